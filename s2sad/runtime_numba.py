"""The runtime helpers that generated derivative code calls, as numba compiles them (backend="numba").

Each twin computes exactly what its NumPy-backend original in `runtime.py` computes for the
argument types it accepts; for any other types its typing fails, which the backend reports as
an `S2SADError` naming the user's line (never a different answer). Only the helpers of scalar
loops and of simple array code have twins: `TWINS` maps an original to its twin, and a helper
missing from it is refused when the derivative is compiled (`backend_numba.py`).

numba is imported by `twins()`, on first use of the backend, never by `import s2sad`.
"""

import numpy as np

from . import runtime

_TWINS = {}


def twins():
    """{runtime helper: its numba twin}, made on first call (this imports numba)."""
    if not _TWINS:
        _TWINS.update(_make())
    return _TWINS


def _make():
    """Register the stubs' overloads with numba and compile the twins (this imports numba)."""
    import numba
    from numba.extending import overload

    for stub, typer in _OVERLOADS:
        overload(stub)(typer)
    jit = numba.njit(cache=False, nogil=True)
    return _table({body.__name__: jit(body) for body in _BODIES})


# -- the stubs and their overloads ------------------------------------------------------------
#
# A stub (`..._nb`) is a Python function that compiled code calls; numba replaces it there by what
# its typer (`_...`, registered with `numba.extending.overload` in `_make`) returns for the
# argument types, or fails typing when the typer returns None. The typers import numba's types
# when they run, which is only ever inside numba's compiler.


def times_partial_nb(t, partial):
    raise NotImplementedError  # replaced by the overload below inside compiled code


def _times_partial(t, partial):
    from numba import types

    if isinstance(t, types.Number) and isinstance(partial, types.Number):
        def scalar(t, partial):
            product = t * partial
            if t != 0 and partial != 0:  # as Python's `if t and partial`: NaN is true
                return product
            return product if product - product == 0.0 else 0.0  # a finite product of a zero is a zero
        return scalar
    if isinstance(t, types.Array) or isinstance(partial, types.Array):
        def array(t, partial):
            product = t * partial
            zero = np.logical_or(np.equal(t, 0), np.equal(partial, 0))
            return np.where(np.logical_and(zero, ~np.isfinite(product)), 0.0 * product, product)
        return array
    return None


def unbroadcast_nb(g, x):
    raise NotImplementedError


def _unbroadcast(g, x):
    from numba import types

    if isinstance(x, types.Number) and isinstance(g, types.Number):
        return lambda g, x: g
    if isinstance(x, types.Number) and isinstance(g, types.Array):
        return lambda g, x: g.sum()
    if isinstance(x, types.Array) and isinstance(g, types.Number):
        def spread(g, x):
            return np.full(x.shape, g, dtype=x.dtype)
        return spread
    if isinstance(x, types.Array) and isinstance(g, types.Array) and g.ndim == x.ndim == 1:
        def vector(g, x):
            if g.shape[0] == x.shape[0]:
                return g
            if x.shape[0] != 1:
                raise ValueError("s2sad: unbroadcast: shapes do not broadcast")
            out = np.empty(1, dtype=g.dtype)
            out[0] = g.sum()
            return out
        return vector
    if isinstance(x, types.Array) and isinstance(g, types.Array) and g.ndim == x.ndim:
        def same_rank(g, x):
            if g.shape != x.shape:
                raise ValueError("s2sad: unbroadcast across axes of length 1 is not compiled by the numba "
                                 "backend")
            return g
        return same_rank
    return None


def sum_adjoint_nb(g, x, axis, keepdims):
    raise NotImplementedError


def _sum_adjoint(g, x, axis, keepdims):
    from numba import types

    # only the full sum (axis None): g a scalar spread over x
    if not isinstance(axis, (types.NoneType, types.Omitted)):
        return None
    if isinstance(x, types.Array) and isinstance(g, types.Number):
        return lambda g, x, axis, keepdims: np.full(x.shape, g, dtype=np.float64)
    if isinstance(x, types.Number) and isinstance(g, types.Number):
        return lambda g, x, axis, keepdims: g
    return None


def identity_nb(x):
    raise NotImplementedError


def _identity(x):
    from numba import types

    # real_only and sequence on what numba holds: real numbers, real arrays, tuples (as they are)
    if isinstance(x, (types.Float, types.Integer, types.Boolean)):
        return lambda x: x
    if isinstance(x, types.Array) and not isinstance(x.dtype, types.Complex):
        return lambda x: x
    if isinstance(x, types.BaseTuple) and all(isinstance(t, (types.Float, types.Integer)) for t in x.types):
        return lambda x: x
    return None


def spread_zero_nb(g, like):
    raise NotImplementedError


def _spread_zero(g, like):
    from numba import types

    if isinstance(like, types.Array) and like.ndim and isinstance(g, types.Number):
        return lambda g, like: np.full(like.shape, g, dtype=np.float64)
    if isinstance(g, types.Array) or isinstance(like, types.Number):
        return lambda g, like: g
    return None


def asarray_nb(x):
    raise NotImplementedError


def _asarray(x):
    from numba import types

    # np.asarray of a float cotangent seed: the scalar itself (a 0-d array and a float give the same values)
    if isinstance(x, types.Float):
        return lambda x: x
    if isinstance(x, types.Array):
        return lambda x: x
    return None


# -- the twins: plain Python bodies that `_make` compiles with numba.njit ----------------------


def real_only(value, construct="value"):
    return identity_nb(value)


def real_cotangent(g, x, construct="value"):
    identity_nb(x)  # a complex x fails typing: refused, as real_only refuses it
    return g


def is_array_nb(x):
    raise NotImplementedError


def _is_array(x):
    from numba import types

    # decided by the type, as isinstance(x, np.ndarray) is decided by the value's type
    if isinstance(x, types.Array):
        return lambda x: True
    if isinstance(x, (types.Number, types.Boolean, types.BaseTuple)):
        return lambda x: False
    return None


def is_array(x):
    return is_array_nb(x)


def sequence(xs):
    return identity_nb(xs)


def spread_zero(g, like):
    return spread_zero_nb(g, like)


def asarray(x):
    return asarray_nb(x)


def _basic(index):
    """An index that names each element at most once (ints, slices, a tuple of them): `+=` adds right."""
    from numba import types

    parts = index.types if isinstance(index, types.BaseTuple) else (index,)
    return all(isinstance(p, (types.Integer, types.SliceType)) for p in parts)


def scatter_add_nb(acc, g, x, index):
    raise NotImplementedError


def _scatter_add(acc, g, x, index):
    from numba import types

    # in place: the backend calls it only on an accumulator it proved owns its buffer (backend_numba._Owned)
    if isinstance(acc, types.Array) and isinstance(x, types.Array) and acc.ndim == x.ndim and _basic(index):
        def add(acc, g, x, index):
            if acc.shape != x.shape:
                raise ValueError("s2sad: scatter_add: the accumulator is not shaped like x")
            acc[index] += g
            return acc
        return add
    return None


def scatter_nb(g, x, index):
    raise NotImplementedError


def _scatter(g, x, index):
    from numba import types

    if isinstance(x, types.Array) and x.dtype == types.float64 and _basic(index):
        def fresh(g, x, index):
            out = np.zeros(x.shape, dtype=x.dtype)
            out[index] += g
            return out
        return fresh
    return None


def snapshot_nb(value):
    raise NotImplementedError


def _snapshot(value):
    from numba import types

    if isinstance(value, types.Number):
        return lambda value: value
    if isinstance(value, types.Array):
        return lambda value: value.copy()
    return None


def old_item_nb(x, index):
    raise NotImplementedError


def _old_item(x, index):
    from numba import types

    if isinstance(x, types.Array) and _basic(index):
        return lambda x, index: snapshot_nb(x[index])
    return None


def item_bar_nb(x_bar, index, value):
    raise NotImplementedError


def _item_bar(x_bar, index, value):
    from numba import types

    if isinstance(x_bar, types.Number) and isinstance(value, types.Number):
        return lambda x_bar, index, value: 0.0 * value
    if isinstance(x_bar, types.Array) and _basic(index):
        return lambda x_bar, index, value: snapshot_nb(unbroadcast_nb(x_bar[index], value))
    return None


def clear_item_nb(x_bar, index):
    raise NotImplementedError


def _clear_item(x_bar, index):
    from numba import types

    # in place: only on an adjoint the backend proved owns its buffer (backend_numba._check_owned)
    if isinstance(x_bar, types.Array) and x_bar.ndim and _basic(index):
        def clear(x_bar, index):
            x_bar[index] = 0.0
            return x_bar
        return clear
    return None


def without_item_nb(x_bar, index):
    raise NotImplementedError


def _without_item(x_bar, index):
    from numba import types

    if isinstance(x_bar, types.Number):
        return lambda x_bar, index: x_bar
    if isinstance(x_bar, types.Array) and x_bar.ndim and _basic(index):
        def cleared(x_bar, index):
            out = x_bar.copy()
            out[index] = 0.0
            return out
        return cleared
    return None


def without_item(x_bar, index):
    return without_item_nb(x_bar, index)


def own_copy(value):
    return snapshot_nb(value)


def old_item(x, index):
    return old_item_nb(x, index)


def item_bar(x_bar, index, value):
    return item_bar_nb(x_bar, index, value)


def clear_item(x_bar, index):
    return clear_item_nb(x_bar, index)


def scatter_add(acc, g, x, index):
    return scatter_add_nb(acc, g, x, index)


def scatter(g, x, index):
    return scatter_nb(g, x, index)


def zeros_like(x):
    return np.zeros_like(x)


def times_partial(t, partial):
    return times_partial_nb(t, partial)


def unbroadcast(g, x):
    return unbroadcast_nb(g, x)


def sum_adjoint(g, x, axis=None, keepdims=False):
    return sum_adjoint_nb(g, x, axis, keepdims)


def pow_base_partial(a, b):
    if b == 0:
        return 0.0 * a
    return b * np.power(a, b - 1.0)


def pow_exponent_partial(a, power):
    return power * np.log(1.0 if a == 0 else a)


def reversed_first(start, stop, step, limit):
    """The first item of reversed(range(start, stop, step)[:limit]) (start - step when it is empty)."""
    return start + (min(len(range(start, stop, step)), limit) - 1) * step


_OVERLOADS = (
    (times_partial_nb, _times_partial),
    (unbroadcast_nb, _unbroadcast),
    (sum_adjoint_nb, _sum_adjoint),
    (identity_nb, _identity),
    (spread_zero_nb, _spread_zero),
    (asarray_nb, _asarray),
    (is_array_nb, _is_array),
    (scatter_add_nb, _scatter_add),
    (scatter_nb, _scatter),
    (snapshot_nb, _snapshot),
    (old_item_nb, _old_item),
    (item_bar_nb, _item_bar),
    (clear_item_nb, _clear_item),
    (without_item_nb, _without_item),
)
_BODIES = (
    real_only, real_cotangent, is_array, sequence, spread_zero, asarray, without_item, own_copy, old_item, item_bar,
    clear_item, scatter_add, scatter, zeros_like, times_partial, unbroadcast, sum_adjoint, pow_base_partial,
    pow_exponent_partial, reversed_first,
)


def _table(c):
    """{runtime helper (or a key of the backend's own): its twin}, from the twins compiled by name."""
    return {
        "__s2sad_reversed_first__": c["reversed_first"],
        "__s2sad_zeros_like__": c["zeros_like"],
        runtime.zeros_like: c["zeros_like"],  # an adjoint made an array before a loop (optimize/inplace.py)
        runtime.scatter_add: c["scatter_add"],
        runtime.scatter: c["scatter"],
        runtime.old_item: c["old_item"],
        runtime.without_item: c["without_item"],
        runtime.own_copy: c["own_copy"],
        runtime.item_bar: c["item_bar"],
        runtime.clear_item: c["clear_item"],
        runtime.real_only: c["real_only"],
        runtime.real_cotangent: c["real_cotangent"],
        runtime.is_array: c["is_array"],
        runtime.sequence: c["sequence"],
        runtime.spread_zero: c["spread_zero"],
        np.asarray: c["asarray"],
        runtime.times_partial: c["times_partial"],
        runtime.times_partial_scalar: c["times_partial"],
        runtime.unbroadcast: c["unbroadcast"],
        runtime.sum_adjoint: c["sum_adjoint"],
        runtime.pow_base_partial: c["pow_base_partial"],
        runtime.pow_exponent_partial: c["pow_exponent_partial"],
    }
