"""Adjoints accumulated in place, in a derivative specialized to its arguments' kinds.

An adjoint that only its own name holds (an owned array) can take its next term in place:
`x_bar = x_bar + t` becomes `x_bar += t` (no new array of x's size per term), and in a loop
that adds into rows of an array's adjoint, `x_bar = scatter_add(x_bar, g, x, i)` becomes
`x_bar[i] += g` (no helper call, no checks per trip), its `x_bar = 0.0` before the loop
becoming `x_bar = zeros_like(x)`. Run last, once, on the settled code.

A name is *owned* where its value was just made by arithmetic (`a * b`, `-a`: a new array
or an immutable number), by `zeros_like` here, or by `own_copy`, and nothing has read it
since except as an operand of arithmetic or a comparison (which keep no reference), or as
the array an update adds into. Any other read (a bare copy `y = x_bar`, a call, a tuple, a
push onto the tape, an item or attribute view, a return) may keep a reference, so the name
is no longer owned there; in a loop, a name is owned at the head only if it is at every
entry (a fixed point), and a loop with `break` or `continue`, a `try` or a `with` is left as
it is. So an update in place changes no value that another name holds.

What makes the two spellings equal on values:

* `x_bar += t` only for the adjoint of a float array (its kind in the shapes table): in a
  specialized derivative the cotangents are shaped like their variables, so the sum has
  x_bar's shape (NumPy raises, as it would for `x_bar + t`, if it did not); a number held by
  x_bar (a zero, before the first term) is rebound by `+=`, as `+` would.
* `x_bar[i] += g` only where x is a parameter the function never rebinds, its kind a float
  array, and each index an int (a row or an element: `x[i]`, `x[i, 1]`), as `scatter_add`'s
  in-place path.
* Not in complex mode (driver.py), where a real adjoint could be given a complex term.
  The adjoint keeps its dtype (`zeros_like(x)`: x's; or its first term's), as `+=` does: a
  float32 x accumulates in float32.

Example::

    x_bar = 0.0                          ->    x_bar = zeros_like(x)
    for i in reversed(range(n)):               for i in reversed(range(n)):
        g = ...                                    g = ...
        x_bar = scatter_add(x_bar, g, x, i)        x_bar[i] += g
"""


import gast

from .. import runtime
from ..names import _NAME_FIELDS, _NO_NAMES
from .effects import names, simple_target, variable_of, walk
from .zeros import is_zero

_ARITHMETIC = (gast.BinOp, gast.UnaryOp, gast.Compare)  # not BoolOp: `a or b` is one of them
_SAFE_ATTRIBUTES = frozenset(("shape", "ndim", "size", "dtype"))
_OPAQUE = (gast.Try, gast.With, gast.AsyncWith, gast.AsyncFor, gast.FunctionDef, gast.AsyncFunctionDef,
           gast.ClassDef)


def accumulate_in_place(fn, helpers, facts, shapes):
    """Rewrite fn's accumulations of owned adjoints as updates in place (in place); True on a change."""
    helpers = helpers if helpers is not None else {}
    if not any(obj is runtime.scatter_add for obj in helpers.values()) \
            and not any(kind is not None and kind[0] == "f" and kind[1] for kind in shapes.kinds.values()):
        return False  # no float array in the table and no scatter_add: nothing `_State` may rewrite
    state = _State(fn, helpers, facts, shapes)
    if not state.scatter and not any(isinstance(n, gast.BinOp) for n in walk(fn)):
        return False
    _materialize_scattered(fn.body, state, fn)
    state.block(fn.body, {})
    if state.changed:
        _subtract_negations(fn, state.facts)
    return state.changed


class _State:
    def __init__(self, fn, helpers, facts, shapes):
        self.helpers, self.facts, self.shapes, self.changed = helpers, facts, shapes, False
        args = fn.args
        params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        stores = [n.id for n in names(fn) if isinstance(n.ctx, (gast.Store, gast.Del))]
        # parameters never rebound, and names bound once by the first statement (a split derivative's backward
        # half unpacks its record there): their shapes hold throughout
        first = {n.id for n in walk(fn.body[0]) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)} \
            if fn.body and isinstance(fn.body[0], gast.Assign) else set()
        once = {n for n in first if stores.count(n) == 1}
        self.fixed = ((params - set(stores)) | once) - facts.keep
        self.scatter = {n for n, obj in helpers.items() if obj is runtime.scatter_add}
        self.updates = self.scatter | {n for n, obj in helpers.items() if obj is runtime.clear_item}
        self.fresh_calls = {n for n, obj in helpers.items() if obj is runtime.own_copy}
        self.zeros_like = None  # the name of runtime.zeros_like, once made

    def zeros_helper(self, fn):
        """The name fn calls `runtime.zeros_like` by (zeros of x's shape and dtype): the helpers' own, else new."""
        if self.zeros_like is None:
            bound = next((n for n, obj in self.helpers.items() if obj is runtime.zeros_like), None)
            if bound is None:
                taken = {n.id for n in names(fn)} | set(self.helpers)
                bound = next(f"zeros_like_{k}" if k else "zeros_like" for k in range(len(taken) + 1)
                             if (f"zeros_like_{k}" if k else "zeros_like") not in taken)
                self.helpers[bound] = runtime.zeros_like
            self.zeros_like = bound
        return self.zeros_like

    # -- what the shapes table says ------------------------------------------------------------

    def float_array(self, ident):
        kind = self.shapes.kind(ident) if ident is not None else None
        return kind is not None and kind[0] == "f" and len(kind[1]) > 0

    def array_adjoint(self, ident):
        """Whether ident is an adjoint the transform made for a float array of the table."""
        variable = variable_of(ident, ("bar",))
        return variable is not None and self.facts.is_derived(ident) and self.float_array(variable)

    def int_index(self, node, rank):
        parts = node.elts if isinstance(node, gast.Tuple) else [node]
        return 0 < len(parts) <= rank and all(self.int_atom(p) for p in parts)

    def int_atom(self, node):
        if isinstance(node, gast.Constant):
            return type(node.value) is int
        return isinstance(node, gast.Name) and self.shapes.kind(node.id) == ("i", ())

    # -- the walk ----------------------------------------------------------------------------

    def block(self, stmts, owned, rewrite=True):
        """Walk stmts with `owned` (name -> the parameter whose shape it has, or None) at their start;
        rewrite them when `rewrite`. Returns what is owned after them."""
        for k, stmt in enumerate(stmts):
            owned = self.statement(stmts, k, stmt, owned, rewrite)
        return owned

    def statement(self, stmts, k, stmt, owned, rewrite):
        if isinstance(stmt, gast.Assign):
            return self.assign(stmts, k, stmt, owned, rewrite)
        if isinstance(stmt, gast.If):
            self.release(stmt.test, owned)
            body = self.block(stmt.body, dict(owned), rewrite)
            orelse = self.block(stmt.orelse, dict(owned), rewrite)
            return {n: s for n, s in body.items() if n in orelse and orelse[n] == s}
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt, owned, rewrite)
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, (gast.Name, gast.Subscript)):
            self.release(stmt.value, owned, top_safe=True)
            target = stmt.target
            if isinstance(target, gast.Subscript):
                self.release(target.slice, owned)
                if not (isinstance(target.value, gast.Name) and target.value.id in owned):
                    self.release(target.value, owned)
            return owned
        if isinstance(stmt, _OPAQUE):
            return self.forget(stmt, owned)
        for child in gast.iter_child_nodes(stmt):
            self.release(child, owned)
        for node in walk(stmt):
            if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
                owned.pop(node.id, None)
        return owned

    def forget(self, stmt, owned):
        touched = {n.id for n in walk(stmt) if isinstance(n, gast.Name)}
        return {n: s for n, s in owned.items() if n not in touched}

    def assign(self, stmts, k, stmt, owned, rewrite):
        target = simple_target(stmt)
        value = stmt.value
        if target is None:
            self.release(value, owned)
            for t in stmt.targets:
                self.release(t, owned)
            return {n: s for n, s in owned.items() if n not in {x.id for x in walk(stmt) if isinstance(x, gast.Name)
                                                                 and not isinstance(x.ctx, gast.Load)}}
        if target in owned and self.updates_itself(target, value):
            rest = value.args[1:] if isinstance(value, gast.Call) else [value.right]
            for part in rest:
                self.release(part, owned, top_safe=True)
            if rewrite and target in owned:
                stmts[k] = self.in_place(stmt, target, owned[target]) or stmt
            return owned
        self.release(value, owned)
        owned.pop(target, None)
        if self.is_fresh(value) and target not in self.facts.keep:  # a nested scope's reads are not seen here
            owned[target] = value.args[0].id if self.is_zeros_like(value) else None
        return owned

    def updates_itself(self, target, value):
        """`t = t + e`, `t = t - e` (e not reading t), or `t = scatter_add(t, ...)` / `clear_item(t, ...)`."""
        if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub)):
            return isinstance(value.left, gast.Name) and value.left.id == target \
                and target not in {n.id for n in walk(value.right) if isinstance(n, gast.Name)}
        return isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and value.func.id in self.updates \
            and bool(value.args) and isinstance(value.args[0], gast.Name) and value.args[0].id == target \
            and target not in {n.id for a in value.args[1:] for n in walk(a) if isinstance(n, gast.Name)}

    def in_place(self, stmt, target, shaped_like):
        """The update in place that stmt (`t = t + e`, `t = scatter_add(t, g, x, i)`) may become, or None."""
        value = stmt.value
        if isinstance(value, gast.BinOp):
            if not self.array_adjoint(target):
                return None
            self.changed = True
            return _augment(gast.Name(id=target, ctx=gast.Store(), annotation=None, type_comment=None),
                            value.op, value.right, stmt)
        if value.func.id not in self.scatter or len(value.args) != 4 or value.keywords:
            return None
        _, g, x, index = value.args
        if not (isinstance(x, gast.Name) and x.id == shaped_like and x.id in self.fixed
                and self.float_array(x.id) and self.int_index(index, len(self.shapes.kind(x.id)[1]))):
            return None
        self.changed = True
        item = gast.Subscript(value=gast.Name(id=target, ctx=gast.Load(), annotation=None, type_comment=None),
                              slice=index, ctx=gast.Store())
        return _augment(item, gast.Add(), g, stmt)

    def is_fresh(self, value):
        if isinstance(value, (gast.BinOp, gast.UnaryOp)):
            return True
        if isinstance(value, gast.Constant):
            return type(value.value) in (int, float)
        return isinstance(value, gast.Call) and (self.is_zeros_like(value) or (
            isinstance(value.func, gast.Name) and value.func.id in self.fresh_calls))

    def is_zeros_like(self, value):
        return self.zeros_like is not None and isinstance(value, gast.Call) and len(value.args) == 1 \
            and isinstance(value.func, gast.Name) and value.func.id == self.zeros_like \
            and isinstance(value.args[0], gast.Name) and not value.keywords

    def release(self, node, owned, top_safe=False):
        """Drop from owned every name node reads where a reference may be kept (see the module's docstring)."""
        if not owned or node is None:
            return
        if top_safe and isinstance(node, gast.Name):
            return
        for parent, child in _names_under(node):
            if child.id in owned and not _safe_in(parent):
                owned.pop(child.id, None)
        if isinstance(node, gast.Name):
            owned.pop(node.id, None)

    def loop(self, stmt, owned, rewrite):
        if isinstance(stmt, gast.For):
            self.release(stmt.iter, owned)
            owned = {n: s for n, s in owned.items() if n not in {x.id for x in walk(stmt.target)
                                                                  if isinstance(x, gast.Name)}}
        if any(isinstance(n, (gast.Break, gast.Continue)) for n in _own_statements(stmt.body)) \
                or any(isinstance(n, _OPAQUE) for n in walk(stmt)):
            return self.forget(stmt, owned)
        entry = dict(owned)
        while True:
            head = dict(entry)
            if isinstance(stmt, gast.While):
                self.release(stmt.test, head)
            out = self.block(stmt.body, dict(head), rewrite=False)
            again = {n: s for n, s in head.items() if out.get(n, _NOT) == s}
            if again == entry:
                break
            entry = again
        head = dict(entry)
        if isinstance(stmt, gast.While):
            self.release(stmt.test, head)
        out = self.block(stmt.body, dict(head), rewrite)
        after = {n: s for n, s in head.items() if out.get(n, _NOT) == s}
        return self.block(stmt.orelse, after, rewrite)


_NOT = object()


def _names_under(node):
    """(parent, name) for every Name directly under a node below node (node included as a parent):
    the pairs a walk of every node's children finds, without visiting constants and markers."""
    found, stack = [], [node]
    name_type, constant_type, ast_type = gast.Name, gast.Constant, gast.AST
    while stack:
        parent = stack.pop()
        cls = parent.__class__
        fields = _NAME_FIELDS.get(cls)
        if fields is None:
            fields = _NAME_FIELDS[cls] = tuple(f for f in cls._fields if f not in _NO_NAMES)
        for field in fields:
            value = getattr(parent, field, None)
            for child in (value if value.__class__ is list else (value,)):
                if child.__class__ is name_type:
                    found.append((parent, child))
                    if child.annotation is not None:
                        stack.append(child)  # the annotation's parent is the name
                elif child.__class__ is not constant_type and isinstance(child, ast_type):
                    stack.append(child)
    return found


def _safe_in(parent):
    """Whether a name read directly under parent keeps no reference to its value."""
    if isinstance(parent, _ARITHMETIC):
        return True
    return isinstance(parent, gast.Attribute) and parent.attr in _SAFE_ATTRIBUTES


def _own_statements(body):
    """The statements of body, nested ones included, but not those of loops nested in it."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (gast.For, gast.While)):
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                yield from _own_statements([s for s in inner if isinstance(s, gast.stmt)])


def _augment(target, op, value, like):
    node = gast.AugAssign(target=target, op=op, value=value)
    return gast.copy_location(node, like) if hasattr(like, "lineno") else node


# -- before the loops: the adjoints scattered into, made arrays --------------------------------


def _materialize_scattered(stmts, state, fn):
    """`x_bar = 0.0` before a loop that only scatters into x_bar (`x_bar = scatter_add(x_bar, g, x, i)`)
    becomes `x_bar = zeros_like(x)`, so the loop can add in place from its first trip."""
    for k, stmt in enumerate(stmts):
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(stmt, (gast.For, gast.While, gast.If)) and inner:
                _materialize_scattered(inner, state, fn)
        if not isinstance(stmt, (gast.For, gast.While)):
            continue
        for ident, x in _scattered_only(stmt, state).items():
            init = _zero_before(stmts, k, ident)
            if init is not None:
                init.value = _call(state.zeros_helper(fn), x)
                state.changed = True


def _scattered_only(loop, state):
    """{adjoint: x} for the adjoints the loop only scatters into, all at rows of one fixed array x."""
    found, bad = {}, set()
    updates = set()
    for node in walk(loop):
        if isinstance(node, gast.Assign) and simple_target(node) is not None \
                and state.updates_itself(simple_target(node), node.value) \
                and isinstance(node.value, gast.Call) and node.value.func.id in state.scatter \
                and len(node.value.args) == 4 and isinstance(node.value.args[2], gast.Name):
            ident, x = simple_target(node), node.value.args[2].id
            if found.setdefault(ident, x) != x or x not in state.fixed or not state.float_array(x) \
                    or not state.int_index(node.value.args[3], len(state.shapes.kind(x)[1])):
                bad.add(ident)
            updates.add(id(node.targets[0]))
            updates.add(id(node.value.args[0]))
    for node in walk(loop):
        if isinstance(node, gast.Name) and node.id in found and id(node) not in updates:
            bad.add(node.id)
    return {n: x for n, x in found.items() if n not in bad}


def _zero_before(stmts, k, ident):
    """The `ident = 0.0` before stmts[k] with nothing between reading or writing ident, else None."""
    for stmt in reversed(stmts[:k]):
        if simple_target(stmt) == ident:
            return stmt if is_zero(stmt.value) else None
        if any(isinstance(n, gast.Name) and n.id == ident for n in walk(stmt)):
            return None
    return None


def _call(helper, arg):
    return gast.Call(func=gast.Name(id=helper, ctx=gast.Load(), annotation=None, type_comment=None),
                     args=[gast.Name(id=arg, ctx=gast.Load(), annotation=None, type_comment=None)], keywords=[])


# -- after: `g = -e; x_bar[i] += g` is `x_bar[i] -= e` -------------------------------------------


def _subtract_negations(fn, facts):
    """An update in place adding an adjoint that is only the negation of another, read nowhere else,
    subtracts that other one instead (`a + (-b)` is `a - b`, exactly), and the negation goes."""
    loads = {}
    for node in names(fn):
        if isinstance(node.ctx, gast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
    for stmts in _blocks(fn):
        dropped = set()
        for k, stmt in enumerate(stmts):
            if not (isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, gast.Add)
                    and isinstance(stmt.value, gast.Name) and loads.get(stmt.value.id) == 1):
                continue
            found = _negation_before(stmts, k, stmt.value.id, facts)
            if found is not None:
                dropped.add(found)
                stmt.op, stmt.value = gast.Sub(), stmts[found].value.operand
        stmts[:] = [s for k, s in enumerate(stmts) if k not in dropped]


def _negation_before(stmts, k, ident, facts):
    """The index of `ident = -e` (both adjoints) before stmts[k], with neither rebound since, else None."""
    for j in range(k - 1, -1, -1):
        stmt = stmts[j]
        value = stmt.value if isinstance(stmt, gast.Assign) else None
        if simple_target(stmt) == ident:
            if isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.USub) \
                    and isinstance(value.operand, gast.Name) and facts.is_derived(ident) \
                    and facts.is_derived(value.operand.id):
                other = value.operand.id
                between = stmts[j + 1:k]
                if not any(isinstance(n, gast.Name) and n.id in (ident, other) and not isinstance(n.ctx, gast.Load)
                           for s in between for n in walk(s)):
                    return j
            return None
        if any(isinstance(n, gast.Name) and n.id == ident for n in walk(stmt)):
            return None
    return None


def _blocks(fn):
    """Every statement list of fn (bodies of loops and branches included)."""
    found = [fn.body]
    for node in walk(fn):
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(node, field, None)
            if node is not fn and isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                found.append(inner)
    return found
