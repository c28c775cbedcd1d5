"""Common subexpressions: a pure expression computed again is read from the name that holds it.

The adjoint sweep often recomputes what the primal sweep already named: the tanh rule
writes `1.0 - d * d` where the primal has `d_times_d = d * d`, and two adjoints of one
line both compute `c_bar * y`. Within a straight run of statements, a later occurrence of
an expression already assigned to a name reads that name instead, while neither the name
nor anything the expression reads has been rebound.

Kept safe by construction:

* only pure expressions over the function's own locals are remembered (a global may be
  rebound by any call); only operations, never a bare name or constant;
* a statement that is not a plain pure assignment (a call with effects, a write into an
  array, a tape operation) forgets everything, as does entering or leaving a loop or branch;
* a replacement happens only inside a larger pure expression, never as a statement's
  whole value or as an argument of a call with effects, so no array ever gets a second
  name that an in-place update could then change under the other. The one exception, in a
  derivative specialized to its arguments' kinds (`shapes`): arithmetic whose result the
  shapes table proves of rank 0, a number, which nothing can change in place
  (`t8 = dt / 6.0` after `t4 = dt / 6.0` becomes `t8 = t4`);
* pushing a value onto the tape changes no name and no value, so it forgets nothing.

Example::

    d_times_d = d * d                       d_times_d = d * d
    c_bar = d_bar * (1.0 - d * d)     ->    c_bar = d_bar * (1.0 - d_times_d)
"""

import gast

from .effects import Facts, reads, simple_target

_OPERATIONS = (gast.BinOp, gast.UnaryOp, gast.Call)


def eliminate_common(fn, facts=None, shapes=None):
    """Read repeated pure expressions from the names that hold them (in place); True on a change."""
    facts = facts or Facts(fn)
    args = fn.args
    params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs if a is not None}
    local = (params | {n.id for n in facts.skeleton(fn)[1] if isinstance(n.ctx, gast.Store)}) - facts.keep
    changed = [False]
    numbers = _numbers(shapes, local)
    fn.body = _block(fn.body, facts, local, changed, numbers)
    return changed[0]


def _numbers(shapes, local):
    """The locals the shapes table proves of rank 0 (None: no table)."""
    if shapes is None:
        return frozenset()
    return frozenset(n for n in local if (shapes.kind(n) or (None, None))[1] == ())


def _block(stmts, facts, local, changed, numbers=frozenset()):
    held = {}  # expression key -> (name holding it, names the expression reads)
    mentions = {}  # name -> keys of held whose holder or reads name it (looked up, not scanned: long blocks)
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            for field in ("body", "orelse"):
                block = getattr(stmt, field)
                if block:
                    setattr(stmt, field, _block(block, facts, local, changed, numbers))
            held.clear()
            mentions.clear()
            continue
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
            continue  # a comment marker
        if _is_push(stmt, facts):
            continue
        target = simple_target(stmt)
        if target is None or not facts.is_pure(stmt.value):
            held.clear()  # effects, writes into arrays, tape operations: forget everything
            mentions.clear()
            continue
        operation = isinstance(stmt.value, _OPERATIONS)
        if held and operation:
            _replace_inside(stmt.value, held, changed)
            hit = held.get(_key(stmt.value)) if target in numbers and _arithmetic(stmt.value) else None
            if hit is not None and hit[0] in numbers:
                stmt.value = gast.Name(id=hit[0], ctx=gast.Load(), annotation=None, type_comment=None)
                changed[0], operation = True, False
        if held:
            _forget(held, mentions, target)
        if operation and target in local:
            used = reads(stmt.value)
            if target not in used and used <= local:
                key = _key(stmt.value)
                if key not in held:
                    held[key] = (target, used)
                    for name in (target, *used):
                        mentions.setdefault(name, []).append(key)
    return stmts


def _is_push(stmt, facts):
    """`push(_tape, v)`: the tape grows, no name or value changes."""
    call = stmt.value if isinstance(stmt, gast.Expr) else None
    return isinstance(call, gast.Call) and isinstance(call.func, gast.Name) and call.func.id in facts.pushes \
        and all(isinstance(a, (gast.Name, gast.Constant)) for a in call.args) and not call.keywords


def _arithmetic(node):
    return isinstance(node, (gast.BinOp, gast.UnaryOp))


def _forget(held, mentions, target):
    """Drop what target's new value makes stale: the expressions held in target or reading it."""
    for key in mentions.pop(target, ()):
        entry = held.get(key)
        if entry is not None and (entry[0] == target or target in entry[1]):
            del held[key]


def _replace_inside(node, held, changed):
    """Replace, below node (not node itself), the largest subexpressions a name already holds."""
    for field in node._fields:
        value = getattr(node, field, None)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            child = item.value if isinstance(item, gast.keyword) else item
            if not isinstance(child, gast.expr) or child.__class__ is gast.Constant \
                    or (child.__class__ is gast.Name and child.annotation is None):
                continue  # nothing below a constant or a plain name to replace
            hit = held.get(_key(child)) if isinstance(child, _OPERATIONS) else None
            if hit is not None:
                replacement = gast.Name(id=hit[0], ctx=gast.Load(), annotation=None, type_comment=None)
                if isinstance(item, gast.keyword):
                    item.value = replacement
                elif isinstance(value, list):
                    value[i] = replacement
                else:
                    setattr(node, field, replacement)
                changed[0] = True
            else:
                _replace_inside(child, held, changed)


def _key(node):
    """A structural key: equal for expressions that compute the same thing the same way."""
    cls = node.__class__
    if cls is gast.Name:
        return ("name", node.id)
    if cls is gast.Constant:
        return ("const", type(node.value).__name__, repr(node.value))
    if cls is list:
        return tuple([_key(item) for item in node])
    if isinstance(node, gast.AST):
        fields = _KEY_FIELDS.get(cls)
        if fields is None:
            fields = _KEY_FIELDS[cls] = tuple(f for f in cls._fields if f != "ctx")
        return (cls.__name__, *[_key(getattr(node, f, None)) for f in fields])
    return repr(node)


_KEY_FIELDS = {}  # class -> the fields its key is made of
