"""Writes into arrays, lists and dicts: allowed into values the function made itself.

`y[i] = v` and `xs.append(v)` are differentiated by keeping y's derivative beside y. That
is right only while nothing else holds y's memory: not the caller (y an argument), not
the module (a global), not another name (`z = y`). After `check_writes`, every written
name is made inside the function by an expression that builds a new value, and a name
holding a possible view of it (`row = y[0]`, `t = y.T`) taken before a later write is
checked when the code runs (`view_guards`). Anything else is refused at the user's line.

Example::

    y = np.zeros(n)         # made here: writes into y are differentiated
    y[i] = x * i
    x[0] = 1.0              # x is an argument: S2SADError (writes into the caller's array)
"""

import gast
import numpy as np

from . import build as b
from . import runtime
from .errors import S2SADError
from .naming import identifiers

# functions whose result is a new array or container, never a view of an argument
_MAKERS = {np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
           np.array, np.copy, np.ndarray.copy, np.arange, np.linspace, np.eye, np.identity, np.concatenate,
           np.stack, np.vstack, np.hstack, np.column_stack, np.outer, np.tile, np.repeat, np.cumsum, np.cumprod,
           list, dict, runtime.zeros_like, runtime.owned, np.ndarray.tolist, np.ndarray.astype, np.dot, np.matmul,
           np.where, np.clip, np.sort, np.sum, np.mean, np.prod, np.einsum, np.tensordot, np.kron, np.roll, np.triu,
           np.tril, np.linalg.inv, np.linalg.solve, np.full, np.meshgrid, np.ones, np.random.normal,
           np.random.uniform, np.random.rand, np.random.randn}
_FRESH_NODES = (gast.List, gast.Dict, gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant)


def check_writes(parsed, normalized, resolver):
    """Refuse writes into values the function did not make; add run-time checks for kept views."""
    fn = normalized.node
    params = {a.id for a in fn.args.args + fn.args.kwonlyargs}
    user = identifiers(parsed.node)
    defs, copies = {}, []
    for stmt in _statements(fn.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            defs.setdefault(stmt.targets[0].id, []).append(stmt)
            if isinstance(stmt.value, gast.Name) and stmt.value.id in user:  # a list comprehension's list is
                copies.append(stmt)                                        # named once, by the user
    for stmt, ident in _writes(fn.body, resolver):
        reason = _not_made_here(ident, params, defs, copies, resolver)
        if reason:
            raise S2SADError(f"writing into {ident}, {reason}: its derivative cannot follow the other holders "
                             f"(make a copy first: {ident} = {ident}.copy(), or build a new list)",
                             parsed.filename, normalized.origins.get(stmt, fn.lineno), "a write into an array or list",
                             "see docs/limitations.md")
    view_guards(fn, normalized, parsed, resolver, {ident for _, ident in _writes(fn.body, resolver)})


def _statements(stmts):
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            yield from _statements(stmt.body + stmt.orelse)


def _writes(stmts, resolver):
    """(statement, name) for every `name[index] = v` and `name = append(name, v)`."""
    for stmt in _statements(stmts):
        if not isinstance(stmt, gast.Assign):
            continue
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript):
            yield stmt, target.value.id
        elif isinstance(stmt.value, gast.Call) and resolver.site(stmt.value).prim is runtime.append:
            yield stmt, target.id


def _not_made_here(ident, params, defs, copies, resolver):
    """Why ident may share memory with something else, or None when the function made it."""
    if ident in params:
        return "an argument (the caller's value)"
    if not defs.get(ident):
        return "which the function did not create (a global or an outside object)"
    for stmt in defs[ident]:
        if not _fresh(stmt, ident, resolver, defs, copies):
            return "which may share memory with another value (a view, or an outside object's array)"
    for stmt in copies:
        if ident in (stmt.targets[0].id, stmt.value.id):
            return f"which another name also holds ({stmt.targets[0].id} = {stmt.value.id})"
    return None


def _fresh(stmt, ident, resolver, defs, copies):
    """Whether `ident = value` binds a new object, not one that something else holds."""
    value = stmt.value
    if isinstance(value, _FRESH_NODES):
        return True
    if isinstance(value, gast.Name) and stmt not in copies and value.id in defs:  # the list a comprehension made
        return all(_fresh(d, value.id, resolver, defs, copies) for d in defs[value.id])
    if isinstance(value, gast.Call):
        site = resolver.site(value)
        if site.prim is runtime.append:
            return b.is_name(site.args[0], ident)
        try:
            return isinstance(site.prim, np.ufunc) or site.prim in _MAKERS  # a ufunc without out= allocates
        except TypeError:
            return False
    return False


# -- views kept in names --------------------------------------------------------------


def view_guards(fn, normalized, parsed, resolver, written):
    """After `z = y[...]` (or y.T, y.reshape(...)) with y written later, check z holds no view of y."""
    order = list(_statements(fn.body))
    writes = [(order.index(stmt), ident) for stmt, ident in _writes(fn.body, resolver)]

    def visit(stmts):
        out = []
        for stmt in stmts:
            out.append(stmt)
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                stmt.body, stmt.orelse = visit(stmt.body), visit(stmt.orelse)
                continue
            source = _view_source(stmt, written, normalized.temps)
            if source is not None and _read_after_write(order.index(stmt), stmt.targets[0].id, source, writes, order):
                out.extend(_guard(stmt, source, normalized, parsed))
        return out
    fn.body = visit(fn.body)


def _view_source(stmt, written, temps):
    """y when stmt is `z = <something that may be a view of y>` with y written somewhere, z kept."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return None
    if stmt.targets[0].id in temps or isinstance(stmt.value, _FRESH_NODES):
        return None
    for ident in b.names_in(stmt.value, gast.Load):
        if ident in written and ident != stmt.targets[0].id:
            return ident
    return None


def _read_after_write(position, view, source, writes, order):
    """Whether `view` (bound at position) may be read after a write into `source` ran: later in the
    function before view is bound again, or in the next trip of a loop around both."""
    reads = [p for p, stmt in enumerate(order) if view in _reads(stmt)]
    binds = [p for p, stmt in enumerate(order) if isinstance(stmt, gast.Assign) and b.is_name(stmt.targets[0], view)]
    for w in (w for w, name in writes if name == source):
        if w > position:  # straight on: a read after the write, before view is bound again
            rebound = min([p for p in binds if p > w] or [len(order)])
            if any(w < r <= rebound for r in reads):
                return True
        around = _outermost_loop(order, w)
        if around is not None and (position < around[0] or around[0] <= position <= around[1]):
            first = around[0]  # the next trip: a read before the write, of a view no bind in between renewed
            if any(first <= r < w and not any(first <= p < r for p in binds) for r in reads):
                return True
    return False


def _outermost_loop(order, position):
    """(first, last) positions of the outermost loop around the statement at position, or None."""
    for p, stmt in enumerate(order):
        if isinstance(stmt, (gast.For, gast.While)):
            last = p + len(list(_statements([stmt]))) - 1
            if p < position <= last:
                return p, last
    return None


def _reads(stmt):
    """Names a statement reads itself (a compound statement: its test or iterable only)."""
    if isinstance(stmt, (gast.If, gast.While)):
        return set(b.names_in(stmt.test, gast.Load))
    if isinstance(stmt, gast.For):
        return set(b.names_in(stmt.iter, gast.Load))
    return set(b.names_in(stmt, gast.Load))


def _guard(stmt, source, normalized, parsed):
    """`if shares_memory(z, y): raise S2SADError(...)` at stmt's line."""
    target = stmt.targets[0].id
    line = normalized.origins.get(stmt)
    check_name = _helper(normalized, "shares_memory", runtime.shares_memory)
    error_name = _helper(normalized, "S2SADError", S2SADError)
    flag = _fresh_name(normalized, f"_{target}_shares_{source}")
    message = (f"{target} holds a view of {source}, which is written afterwards: its derivative would not "
               f"follow the write (keep a copy instead: .copy() where {target} is taken)")
    error = b.call(error_name, [b.const(message), b.const(parsed.filename), b.const(line),
                                b.const("a view of a written array"), b.const("see docs/limitations.md")])
    check = b.assign(flag, b.call(check_name, [b.name(target), b.name(source)]))
    fail = b.if_(b.name(flag), [gast.Raise(exc=error, cause=None)])
    for node in (check, fail):
        normalized.origins[node] = line
    return [check, fail]


def _helper(normalized, preferred, obj):
    for ident, known in normalized.helpers.items():
        if known is obj:
            return ident
    ident = _fresh_name(normalized, preferred)
    normalized.helpers[ident] = obj
    return ident


def _fresh_name(normalized, preferred):
    ident, k = preferred, 1
    while ident in normalized.names:
        k += 1
        ident = f"{preferred}{k}"
    normalized.names.add(ident)
    return ident


# -- names that may hold the same array (for augmented assignment) -----------------------

_VIEWERS = {"reshape", "ravel", "asarray", "asanyarray", "transpose", "squeeze", "atleast_1d", "atleast_2d",
            "atleast_3d", "expand_dims", "swapaxes", "moveaxis", "broadcast_to", "diagonal", "real", "imag", "flip",
            "fliplr", "flipud", "rot90", "view", "T", "mT", "flat"}


def aliased_names(fn):
    """User names that may hold the same array as another name: both sides of `y = x`, `y = x[0]`,
    `y = x.T`, `y = np.reshape(x, ...)`, and a loop variable over a sequence with the sequence."""
    names = set()
    for node in gast.walk(fn):
        if isinstance(node, gast.Assign):
            shared = _shared_sources(node.value)
            if shared:
                names |= shared | set(b.names_in(gast.Module(body=[gast.Expr(value=t) for t in node.targets],
                                                             type_ignores=[]), gast.Store))
        elif isinstance(node, gast.For) and not _is_range(node.iter):
            names |= set(b.names_in(node.target, gast.Store)) | set(b.names_in(node.iter, gast.Load))
    return names


def _shared_sources(value):
    """Names whose memory value may share."""
    if isinstance(value, gast.Name):
        return {value.id}
    if isinstance(value, (gast.Tuple, gast.List)):
        return set().union(*(_shared_sources(e) for e in value.elts)) if value.elts else set()
    if isinstance(value, (gast.Subscript, gast.Attribute)):
        return _shared_sources(value.value)
    if isinstance(value, gast.Call):
        func = value.func
        attr = func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", "")
        if attr in _VIEWERS:
            found = set(b.names_in(func.value, gast.Load)) if isinstance(func, gast.Attribute) else set()
            return found | set().union(*(set(b.names_in(a, gast.Load)) for a in value.args)) if value.args else found
    return set()


def _is_range(node):
    path = b.dotted_path(node.func) if isinstance(node, gast.Call) else None
    return path is not None and (path == "range" or path.startswith("builtin_range"))  # see normalize.builtin
