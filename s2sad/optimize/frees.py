"""Arrays let go after their last read, in a derivative specialized to its arguments' kinds.

A generated derivative names every intermediate of the primal sweep and every adjoint, and a
name keeps its array alive until the function returns: on n = 10^6 floats, a dozen dead 8 MB
arrays whose memory the next operations cannot reuse, so each new result is fresh memory the
system must map (a page fault per 4 KB), which costs as much as the arithmetic. A hand-written
gradient lets temporaries go as it goes. Here, after the statement of the function's body that
reads an array-valued name for the last time, `del name` drops the reference, so NumPy's next
result reuses the memory. Measured on `array_expr` (benchmarks/workloads_straight.py): 1.54x the
hand-written gradient's time before, 1.0x after.

Only where it is certainly safe and worth it:

* names whose kind (shapes.py; an adjoint `x_bar` has x's) is an array, not a number;
* bound only by statements of the function's own body (not in a loop or branch), so certainly
  bound when deleted, and not parameters (the caller holds those anyway);
* after the last top-level statement that reads the name, a loop or branch read counting as
  its statement's; not in front of the closing `return`, where the frame ends anyway;
* not in a function holding a nested function or lambda (a closure could read the name later).

The numba backend drops these statements (numba frees its arrays itself and refuses `del`).
Specialized derivatives are never differentiated again, so no transform reads a `del` back.

Example::

    b = np.exp(neg_x_times_x)       ->    b = np.exp(neg_x_times_x)
    b_times_y = b * y                     del neg_x_times_x
                                          b_times_y = b * y
"""


import gast

from .. import build as b
from ..names import every, names
from .effects import variable_of


def free_dead_arrays(fn, shapes):
    """Insert `del name` after the last read of each array-valued name of fn's body (in place)."""
    if not any(_is_array(t.id, shapes) for stmt in fn.body for t in _plain_targets(stmt)):
        return False  # a function of numbers: nothing to let go (and no walk of it)
    if any(isinstance(n, (gast.FunctionDef, gast.Lambda, gast.Global, gast.Nonlocal)) and n is not fn
           for n in every(fn)):
        return False
    body = fn.body
    candidates = _top_level_names(fn, shapes)
    if not candidates:
        return False
    last = {}
    for k, stmt in enumerate(body):
        for name in set(b.names_in(stmt, gast.Load)) & candidates:
            last[name] = k
    dead_after = {}
    for name, k in last.items():
        if k + 1 < len(body) and not isinstance(body[k + 1], gast.Return) and not isinstance(body[k], gast.Return):
            dead_after.setdefault(k, []).append(name)
    if not dead_after:
        return False
    out = []
    for k, stmt in enumerate(body):
        out.append(stmt)
        if k in dead_after:
            out.append(gast.Delete(targets=[_deleted(n) for n in sorted(dead_after[k])]))
    fn.body = out
    return True


def _deleted(ident):
    return gast.Name(id=ident, ctx=gast.Del(), annotation=None, type_comment=None)


def _top_level_names(fn, shapes):
    """Array-valued names bound only by plain assignments of fn's body, before any read of them."""
    params = {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs if isinstance(a, gast.Name)}
    top, first_bound, first_read = set(), {}, {}
    for k, stmt in enumerate(fn.body):
        for target in _plain_targets(stmt):
            top.add(id(target))
            first_bound.setdefault(target.id, k)
        for name in b.names_in(stmt, gast.Load):
            first_read.setdefault(name, k)
    elsewhere = {n.id for n in names(fn) if isinstance(n.ctx, (gast.Store, gast.Del)) and id(n) not in top}
    return {n for n, k in first_bound.items()
            if n not in params and n not in elsewhere and k <= first_read.get(n, k) and _is_array(n, shapes)}


def _plain_targets(stmt):
    """The one Name a plain `name = ...` or `name += ...` binds, as a list (else empty)."""
    if isinstance(stmt, (gast.Assign, gast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
        if len(targets) == 1 and isinstance(targets[0], gast.Name):
            return targets
    return []


def _is_array(name, shapes):
    kind = name_kind(name, shapes)
    return kind is not None and len(kind[1]) > 0


def name_kind(name, shapes):
    """A name's kind in the shapes table; an adjoint's or tangent's (`x_bar`, `x_bar_2`, `x_dot`) is its
    variable's."""
    kind = shapes.kind(name)
    if kind is None:
        variable = variable_of(name)
        kind = shapes.kind(variable) if variable is not None else None
    return kind
