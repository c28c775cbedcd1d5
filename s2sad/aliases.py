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
- `u = t` is u's only binding, and every other mention of u comes after it in the same
  statement list (nested statements included);
- t is not bound again in the rest of that statement list.

In a loop body this holds per trip: u is bound again from t, before any read, each trip.

Example::

    a = np.ones(3) * x          a = np.ones(3) * x
    b = a               ->      a[0] = x * x
    b[0] = x * x                return np.sum(a)
    return np.sum(a)
"""

import gast

from . import build as b

_SCOPES = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef, gast.Global, gast.Nonlocal)


def propagate_aliases(fn, keep=frozenset()):
    """Rename away every alias `u = t` of fn that the module docstring allows; u in keep is left."""
    if any(isinstance(node, _SCOPES) for stmt in fn.body for node in gast.walk(stmt)):
        return
    params = {a.id for a in fn.args.args + fn.args.kwonlyargs}
    if fn.args.vararg is not None or fn.args.kwarg is not None:
        return
    stores, mentions = {}, {}
    for node in gast.walk(fn):
        if isinstance(node, gast.Name):
            mentions[node.id] = mentions.get(node.id, 0) + 1
            if isinstance(node.ctx, gast.Store):
                stores[node.id] = stores.get(node.id, 0) + 1
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


def _renames(stmt, rest, fixed, stores, mentions):
    """Whether stmt is an alias `u = t` that can go; if so u is renamed t in rest."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and b.is_name(stmt.targets[0])
            and b.is_name(stmt.value)):
        return False
    u, t = stmt.targets[0].id, stmt.value.id
    if u == t and u not in fixed and stores.get(u, 0) > 1:   # `u = u` does nothing
        stores[u] -= 1
        mentions[u] -= 2
        return True
    if u == t or u in fixed or t in fixed or stores.get(u) != 1 or not stores.get(t):
        return False
    later = [node for s in rest for node in gast.walk(s) if isinstance(node, gast.Name)]
    if sum(n.id == u for n in later) != mentions[u] - 1:
        return False                                  # u read before its binding, or elsewhere
    if any(n.id == t and isinstance(n.ctx, gast.Store) for n in later):
        return False                                  # t bound again while u is still read
    for node in later:
        if node.id == u:
            node.id = t
    mentions[t] += mentions.pop(u) - 2
    return True
