"""Plain aliases of local values renamed away: after `u = t`, u is t.

`u = t` binds u to the object t holds, so a write through either name shows through the
other; differentiating that would need u's derivative kept in step with t's. Where u and t
provably denote one object for every read of u, u is replaced by t and the statement
dropped (copy propagation), so later stages see one name, one value and one derivative.
`u = u` (u bound elsewhere too) does nothing and is dropped as well.

It is done only when all of these hold, else the statement is kept (and check_writes
decides about any write through it):

- u and t are local names of the function, neither an argument, and no nested function,
  lambda, `global` or `nonlocal` is involved;
- every mention of u this binding reaches lies after it in the same statement list, up to
  the next `u = ...` there (that one's value included), with no break, continue or return
  between them and no other binding of u on the way; when there is no next `u = ...`, this
  is u's only binding and no other statement mentions u;
- t is not bound again among those statements before u's last mention there (a nested
  statement mentioning u counts whole).

In a loop body this holds per trip: u is bound again from t, before any read, each trip.

When `u = t` must stay because t is bound again while u is still read (`b = a; b[0] = x;
a = a * 2.0; ... b ...`), the other way round is tried: t's reads up to that binding (its
value included) read u, the same object, so no read of t follows a write through u.

Example::

    a = np.ones(3) * x          a = np.ones(3) * x
    b = a               ->      a[0] = x * x
    b[0] = x * x                return np.sum(a)
    return np.sum(a)
"""

import gast

from . import build as b
from .names import every, names, operations

_SCOPES = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef, gast.Global, gast.Nonlocal)


def propagate_aliases(fn, keep=frozenset()):
    """Rename away every alias `u = t` of fn that the module docstring allows; u in keep is left."""
    if any(isinstance(node, _SCOPES) for node in operations(b.module(fn.body))):  # the body's, in one walk
        return
    params = {a.id for a in fn.args.args + fn.args.kwonlyargs}
    if fn.args.vararg is not None or fn.args.kwarg is not None:
        return
    stores, mentions = {}, {}
    for node in names(fn):
        mentions[node.id] = mentions.get(node.id, 0) + 1
        if isinstance(node.ctx, gast.Store):
            stores[node.id] = stores.get(node.id, 0) + 1
    _drop_self_assignments(fn.body, params | set(keep), stores, mentions)
    _block(fn.body, params | set(keep), stores, mentions)


def _block(stmts, fixed, stores, mentions):
    k = 0
    while k < len(stmts):
        stmt = stmts[k]
        if _renames(stmt, stmts[k + 1:], fixed, stores, mentions):
            del stmts[k]
            continue
        for field in ("body", "orelse"):
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                _block(getattr(stmt, field), fixed, stores, mentions)
        k += 1


def _drop_self_assignments(stmts, fixed, stores, mentions):
    """`u = u`, u bound elsewhere too, does nothing: dropped."""
    for stmt in list(stmts):
        if (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and b.is_name(stmt.targets[0])
                and b.is_name(stmt.value, stmt.targets[0].id) and stmt.value.id not in fixed
                and stores.get(stmt.value.id, 0) > 1):
            stores[stmt.value.id] -= 1
            mentions[stmt.value.id] -= 2
            stmts.remove(stmt)
        elif isinstance(stmt, (gast.If, gast.For, gast.While)):
            _drop_self_assignments(stmt.body, fixed, stores, mentions)
            _drop_self_assignments(stmt.orelse, fixed, stores, mentions)


def _scope(u, rest, stores, mentions):
    """The Name nodes u's binding at the head of rest reaches, or None: every mention of u up to u's next
    binding in rest itself (whose value still reads this one), or every later mention of u when this is
    u's only binding and nothing else mentions u."""
    for j, stmt in enumerate(rest):
        if isinstance(stmt, gast.Assign) and b.is_name(stmt.targets[0], u):
            span, tail = rest[:j], [stmt.value]
            break
    else:
        span, tail = rest, []
    nodes = [n for s in span + tail for n in every(s)]
    if any(isinstance(n, (gast.Break, gast.Continue, gast.Return)) for n in nodes) and tail:
        return None                                   # an exit skips the next binding
    names = [n for n in nodes if isinstance(n, gast.Name)]
    if any(n.id == u and isinstance(n.ctx, gast.Store) for n in names):
        return None                                   # u bound again on some path only
    if not tail and (stores.get(u) != 1 or sum(n.id == u for n in names) != mentions[u] - 1):
        return None                                   # u read before its binding, or elsewhere
    return names


def _stored_before_last_read(t, u, rest):
    """Whether some statement of rest, up to the last one that mentions u (whole), binds t."""
    reach = list(rest)
    while reach and not any(b.is_name(n, u) for n in every(reach[-1])):
        reach.pop()
    return any(isinstance(n, gast.Name) and n.id == t and isinstance(n.ctx, gast.Store)
               for s in reach for n in every(s))


def _renames(stmt, rest, fixed, stores, mentions):
    """Whether stmt is an alias `u = t` that can go; if so u is renamed t where this binding reaches."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and b.is_name(stmt.targets[0])
            and b.is_name(stmt.value)):
        return False
    u, t = stmt.targets[0].id, stmt.value.id
    if u == t or u in fixed or t in fixed or not stores.get(t):
        return False
    names = _scope(u, rest, stores, mentions)
    if names is None or _stored_before_last_read(t, u, rest):
        _original_renamed(u, t, rest, mentions)       # t bound again while u is still read: the other way
        return False
    renamed = [n for n in names if n.id == u]
    for node in renamed:
        node.id = t
    stores[u] -= 1
    mentions[u] -= 1 + len(renamed)
    mentions[t] += len(renamed) - 1
    return True


def _original_renamed(u, t, rest, mentions):
    """After `u = t` that must stay (t is bound again while u is still read), t's own reads up to its next
    binding in the same statement list (that one's value included) read u instead: the same object, since
    neither name is bound again before. Then no write through u is followed by a read of t that still
    holds it. Done only when t's next binding is a plain statement of rest (not inside a branch or loop),
    and no break, continue or return, and no binding of u or t, comes before it."""
    for j, stmt in enumerate(rest):
        if isinstance(stmt, gast.Assign) and b.is_name(stmt.targets[0], t):
            span = rest[:j] + [stmt.value]
            break
    else:
        return
    nodes = [n for s in span for n in every(s)]
    if any(isinstance(n, (gast.Break, gast.Continue, gast.Return)) for n in nodes):
        return
    if any(isinstance(n, gast.Name) and n.id in (u, t) and isinstance(n.ctx, gast.Store) for n in nodes):
        return
    for node in nodes:
        if isinstance(node, gast.Name) and node.id == t:
            node.id = u
            mentions[t] -= 1
            mentions[u] += 1

