"""Writes into arrays, lists and dicts: allowed into values the function made itself.

`y[i] = v` and `xs.append(v)` are differentiated by keeping y's derivative beside y. That
is right only while nothing else holds y's memory: not the caller (y an argument), not
the module (a global), not another name read after the write (`z = y`, `L = [y]`). What
a name holds at the write decides (holders.py), not its name: `b = a.copy()` and a name
bound again to a new array are independent. After `check_writes`, every write goes into
a value the function made that no other name read after the write holds; a name that may
hold a view of it (`row = y[0]`, `t = y.T`) is checked where it is bound, when the code
runs (`view_guards`). Anything else is refused at the user's line.

Example::

    y = np.zeros(n)         # made here: writes into y are differentiated
    y[i] = x * i
    x[0] = 1.0              # x is an argument: S2SADError (writes into the caller's array)
"""

import gast

from . import build as b
from . import holders, runtime
from .errors import S2SADError


def check_writes(parsed, normalized, resolver):
    """Refuse writes into values the function did not make, or that another name read later holds;
    add run-time checks for kept views."""
    fn = normalized.node
    if not any(_written(stmt, resolver) for stmt in _statements(fn.body)):
        return  # nothing written into (the analysis would find no write): nothing to refuse, no view to guard
    params = {a.id for a in fn.args.args + fn.args.kwonlyargs}
    analysis = holders.analyze(fn, resolver, lambda stmt: _written(stmt, resolver))
    written = {w.name for w in analysis.writes}
    for write in analysis.writes:
        normalized.sharers.setdefault(write.name, set()).update(holders.sharers(write))
        reason = _not_its_own(write, params, fn, analysis, written, normalized.temps)
        if reason:
            raise S2SADError(f"writing into {write.name}, {reason}: its derivative cannot follow the other holders "
                             f"(make a copy first: {write.name} = {write.name}.copy(), or build a new list)",
                             parsed.filename, normalized.origins.get(write.stmt, fn.lineno),
                             "a write into an array or list", "see docs/limitations.md")
    view_guards(fn, normalized, parsed, analysis, written)


def _statements(stmts):
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            yield from _statements(stmt.body + stmt.orelse)


def _written(stmt, resolver):
    """The name stmt writes into: `name[index] = v` and `name = append(name, v)`; else None."""
    if not isinstance(stmt, gast.Assign):
        return None
    target = stmt.targets[0]
    if isinstance(target, gast.Subscript):
        return target.value.id
    if isinstance(stmt.value, gast.Call) and resolver.site(stmt.value).prim is runtime.append:
        return target.id
    return None


def _not_its_own(write, params, fn, analysis, written, temps):
    """Why the value a write goes into may show the write elsewhere, or None: what the name holds at
    the write (not what the name was bound to elsewhere) and who reads after it decide."""
    kind = holders.outside(write)
    if write.name in params or kind == "param":
        return "an argument (the caller's value)"
    if write.name not in b.names_in(fn, gast.Store):
        return "which the function did not create (a global or an outside object)"
    if kind == holders.OUTER:
        return "which may share memory with another value (a view, or an outside object's array)"
    for other, theirs, mine in holders.conflicts(write):
        if mine == holders.VIEW:
            return f"which may share memory with {other} (a view of it), read after the write"
        if theirs == holders.SAME:
            return f"which {other} also holds, read after the write"
        if not _guarded(write, other, fn, analysis, written, temps):
            return f"which {other} may hold a view of, read after the write"
    return None


def _guarded(write, view, fn, analysis, written, temps):
    """Whether a run-time check where view is bound (view_guards) covers what the write changes."""
    objects = analysis.viewed(write, view)
    binds = [s for s in _statements(fn.body) if _keeps_view(s, temps) and b.is_name(s.targets[0], view)]
    return any(objects & analysis.before(s, source) for s in binds for source in analysis.guard_sources(s, written))


# -- views kept in names --------------------------------------------------------------


def view_guards(fn, normalized, parsed, analysis, written):
    """After `z = y[...]` (or y.T, y.reshape(...)), a check that z holds no view of y when a later write
    changes what y held there while z is still read (holders.Analysis.guard_sources)."""

    def visit(stmts):
        out = []
        for stmt in stmts:
            out.append(stmt)
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                stmt.body, stmt.orelse = visit(stmt.body), visit(stmt.orelse)
                continue
            if _keeps_view(stmt, normalized.temps):
                for source in analysis.guard_sources(stmt, written):
                    out.extend(_guard(stmt, source, normalized, parsed))
        return out
    fn.body = visit(fn.body)
    visit = None  # the closure refers to itself: a cycle holding the analysis until a collection


def _keeps_view(stmt, temps):
    """Whether stmt is `z = <something that may be a view>`, z kept beyond its line."""
    return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
        and stmt.targets[0].id not in temps and not isinstance(stmt.value, holders.FRESH_NODES)


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
