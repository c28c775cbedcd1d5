"""Which names a gast tree reads and writes: the questions every stage asks of a tree.

A leaf, so that the front (normalize), the driver and the optimizer share one walk without the
front reaching up into the optimizer.
"""

import gast


def walk(node):
    """Every node under node (node included), in no particular order; quicker than gast.walk."""
    stack = [node]
    ast_type = gast.AST
    while stack:
        current = stack.pop()
        yield current
        for field in current._fields:
            value = getattr(current, field, None)
            if type(value) is list:
                stack.extend(v for v in value if isinstance(v, ast_type))
            elif isinstance(value, ast_type):
                stack.append(value)


def every(node):
    """Every node under node (node included), breadth first: what gast.walk yields, in its order and
    as lazily (a node's children are read when it is reached), at about half its cost (no deque, no
    generator per node). The front stages and analyses walk whole functions many times."""
    todo = [node]
    ast_type, list_type = gast.AST, list
    for current in todo:
        cls = current.__class__
        fields = _NODE_FIELDS.get(cls)
        if fields is None:
            fields = _NODE_FIELDS[cls] = () if cls is gast.Constant else \
                tuple(f for f in cls._fields if f not in _SCALARS)
        for field in fields:
            value = getattr(current, field, None)
            if value.__class__ is list_type:
                if value:
                    todo += [v for v in value if isinstance(v, ast_type)]
            elif isinstance(value, ast_type):
                todo.append(value)
        yield current


def statements(node):
    """Every statement under node (node included when it is one), in no particular order. Expressions
    hold no statement (a lambda's body is an expression), so the walk does not enter them: a few times
    quicker than filtering `walk`, for questions about assignments or calls that are statements."""
    found, stack = [], [node]
    ast_type, expr_type, stmt_type = gast.AST, gast.expr, gast.stmt
    while stack:
        current = stack.pop()
        if isinstance(current, stmt_type):
            found.append(current)
        for field in current._fields:
            value = getattr(current, field, None)
            if type(value) is list:
                stack.extend([v for v in value if isinstance(v, ast_type) and not isinstance(v, expr_type)])
            elif isinstance(value, ast_type) and not isinstance(value, expr_type):
                stack.append(value)
    return found


# fields that never hold a node, or only nodes that are neither names nor hold one (ctx, op, ops)
_NO_NAMES = frozenset("ctx op ops id attr arg kind type_comment module level is_async conversion simple".split())
_NAME_FIELDS = {}
_SCALARS = _NO_NAMES - {"ctx", "op", "ops"}  # fields that never hold a node (strings, numbers, flags)
_NODE_FIELDS = {}  # class -> the fields `every` reads: all but _SCALARS (none of a Constant's)


def _skeleton(node):
    """Every node under node (node included) but names, constants and the markers (ctx, op, ops) no name
    sits under; the names are listed apart. (nodes, names): what `walk` finds, for the questions
    about names and scopes, at half its cost (the optimizer asks them of the whole function)."""
    nodes, names, stack = [], [], [node]
    ast_type, name_type, constant_type = gast.AST, gast.Name, gast.Constant
    while stack:
        current = stack.pop()
        cls = current.__class__
        if cls is name_type:
            names.append(current)
            if current.annotation is not None:
                stack.append(current.annotation)
            continue
        if cls is constant_type:
            continue
        nodes.append(current)
        fields = _NAME_FIELDS.get(cls)
        if fields is None:
            fields = _NAME_FIELDS[cls] = tuple(f for f in cls._fields if f not in _NO_NAMES)
        for field in fields:
            value = getattr(current, field, None)
            if type(value) is list:
                stack.extend([v for v in value if isinstance(v, ast_type)])
            elif isinstance(value, ast_type):
                stack.append(value)
    return nodes, names


def operations(node):
    """Every node under node (node included) but names, constants and the operator markers: the
    statements and operations, for a question about calls or assignments of a whole function."""
    return _skeleton(node)[0]


def split(node):
    """(operations(node), names(node)), from one walk."""
    return _skeleton(node)


def names_in_order(node):
    """Every Name node under node (node included), in the order gast.walk meets them (breadth
    first), without visiting the constants and markers no name sits under: for callers whose
    output follows that order (the names a generated statement lists)."""
    found, todo = [], [node]
    ast_type, name_type, constant_type = gast.AST, gast.Name, gast.Constant
    for current in todo:
        cls = current.__class__
        if cls is name_type:
            found.append(current)
            if current.annotation is not None:
                todo.append(current.annotation)
            continue
        fields = _NAME_FIELDS.get(cls)
        if fields is None:
            fields = _NAME_FIELDS[cls] = tuple(f for f in cls._fields if f not in _NO_NAMES)
        for field in fields:
            value = getattr(current, field, None)
            if value.__class__ is list:
                if value:
                    todo += [v for v in value if isinstance(v, ast_type) and v.__class__ is not constant_type]
            elif isinstance(value, ast_type) and value.__class__ is not constant_type:
                todo.append(value)
    return found


def names(node):
    """Every Name node under node (node included), in no particular order."""
    return _skeleton(node)[1]


def reads(node):
    """Names node loads (a subscript store `x[i] = v` reads x)."""
    if node.__class__ is gast.Name and node.annotation is None:  # the usual operand: no walk
        return set() if isinstance(node.ctx, (gast.Store, gast.Param)) else {node.id}
    return _loaded(node)


def _loaded(node):
    """The ids of the names under node not stored or bound as parameters: `_skeleton`'s walk keeping
    only those names (no list of the other nodes); the optimizer asks it of every statement."""
    found, stack = set(), [node]
    ast_type, name_type, constant_type, bound = gast.AST, gast.Name, gast.Constant, (gast.Store, gast.Param)
    while stack:
        current = stack.pop()
        cls = current.__class__
        if cls is name_type:
            if not isinstance(current.ctx, bound):
                found.add(current.id)
            if current.annotation is not None:
                stack.append(current.annotation)
            continue
        if cls is constant_type:
            continue
        fields = _NAME_FIELDS.get(cls)
        if fields is None:
            fields = _NAME_FIELDS[cls] = tuple(f for f in cls._fields if f not in _NO_NAMES)
        for field in fields:
            value = getattr(current, field, None)
            if value.__class__ is list:
                if value:
                    stack += [v for v in value if isinstance(v, ast_type)]
            elif isinstance(value, ast_type):
                stack.append(value)
    return found


def writes(node):
    """Names node binds (assignment and loop targets, anywhere inside)."""
    if node.__class__ is gast.Name and node.annotation is None:  # the usual target: no walk
        return {node.id} if isinstance(node.ctx, gast.Store) else set()
    return {n.id for n in names(node) if isinstance(n.ctx, gast.Store)}
