"""Helpers of the derivative library (s2sad/rules): reductions, shapes, sorting, padding.

A family of the runtime: `runtime.py` re-exports its names, and generated code sees them there.
A leaf: NumPy and the other runtime families only.
"""

import numpy as np

from .runtime_core import Refusal, part, unbroadcast

# -- helpers of the derivative library (s2sad/rules) -----------------------------------
#
# Each is linear in its first argument, or piecewise constant (a mask), unless its
# docstring says otherwise; docs/rules.md lists which have rules of their own.


def sum_adjoint(g, x, axis=None, keepdims=False):
    """g spread back over the axes np.sum(x, axis) reduced."""
    shape = np.shape(x)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape) if shape != np.shape(g) else g


def mean_adjoint(g, x, axis=None, keepdims=False):
    """g spread back over the reduced axes and divided by the count."""
    count = np.size(x) // max(np.size(np.sum(x, axis=axis)), 1)
    return sum_adjoint(g, x, axis, keepdims) / count


def _cast_like(out, x):
    """out in x's floating dtype (a cotangent has its primal's dtype)."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.inexact) and np.result_type(out) != dtype:
        return np.asarray(out, dtype=dtype)
    return out


def _axes(axis, ndim):
    """axis (None, an int or a tuple) as a tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(a) % max(ndim, 1) for a in axis)


def refuse(message, construct):
    """Raise the Refusal: for a rule whose derivative s2sad does not compute correctly in one mode."""
    raise Refusal(message, construct)


def pieces(items):
    """A sequence's cotangent from one cotangent per item: an array stacked along a new first
    axis when the items agree in shape (as `scatter` makes them), else a 1-D object array.
    Either can be indexed by position and added to another one like it."""
    items = [np.asarray(item) for item in items]
    if all(item.shape == items[0].shape for item in items):
        return np.stack(items) if items else np.zeros((0,))
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def split_like(x, like, axis=0, sections=None):
    """x cut along axis into pieces the sizes of the items of `like` (concatenate's adjoint).

    Each piece is reshaped to its item's shape, so 0-d and 1-d items of hstack/vstack work;
    axis=None means x is the flat concatenation of the raveled items. Given `sections`, x is
    cut as np.array_split cuts it instead (the transpose of `unsplit` with sections)."""
    x = np.asarray(x)
    if sections is not None:
        return pieces(np.array_split(x, sections, axis))
    if axis is None:
        x, axis = np.ravel(x), 0
    axis = axis % x.ndim
    rest = x.size // x.shape[axis] if x.shape[axis] else 1
    bounds = np.cumsum([np.size(item) // rest for item in like])[:-1]
    parts = np.split(x, bounds, axis=axis)
    return pieces([_cast_like(np.reshape(p, np.shape(item)), item) for p, item in zip(parts, like)])


def unsplit(parts, like, axis=0, sections=None):
    """The pieces of a split glued back along axis into like's shape (split's adjoint).

    parts may be a `Parts` holding only the pieces that were read; `sections` (split's
    indices_or_sections) then gives the shapes of the zero pieces in between."""
    shape = np.shape(like)
    if isinstance(parts, dict):
        if sections is None:
            raise TypeError("unsplit needs the split's sections to fill in the pieces that were never read")
        cut = np.array_split(np.asarray(like), sections, 0 if axis is None else axis)
        parts = [np.broadcast_to(part(parts, i), piece.shape) for i, piece in enumerate(cut)]
    if axis is None or len(shape) == 0:
        flat = np.concatenate([np.ravel(p) for p in parts])
        return _cast_like(np.reshape(flat, shape), like)
    axis = axis % len(shape)
    target = list(shape)
    target[axis] = -1
    out = np.concatenate([np.reshape(p, target) for p in parts], axis=axis)
    return _cast_like(out, like)


def sum_list_adjoint(g, items):
    """The cotangents of the items of builtins.sum(items): g, reduced to each item's shape."""
    return pieces([unbroadcast(g, item) for item in items])


def tie_weights(a, ans, axis=None, keepdims=False):
    """Where a reduction max/min over axis is attained, weight 1/count (ties split equally): piecewise constant."""
    a = np.asarray(a)
    ext = ans if keepdims or axis is None else np.expand_dims(ans, axis)
    mask = a == ext
    dtype = a.dtype if np.issubdtype(a.dtype, np.inexact) else np.float64
    return mask / np.sum(mask, axis=axis, keepdims=True, dtype=dtype)


def prod_others(a, axis=None):
    """The product of every other element along axis, at each element (exact with zeros).

    Not linear: the derivative of prod. Its own derivative is `prod_others_dot`."""
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    moved = np.moveaxis(a, axes, range(a.ndim - len(axes), a.ndim))
    lanes = moved.reshape(moved.shape[: a.ndim - len(axes)] + (-1,))
    one = np.ones(lanes.shape[:-1] + (1,), dtype=lanes.dtype)
    left = np.cumprod(np.concatenate([one, lanes[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([one, lanes[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    out = (left * right).reshape(moved.shape)
    return np.moveaxis(out, range(a.ndim - len(axes), a.ndim), axes)


def prod_others_dot(t, a, axis=None):
    """The derivative of prod_others(a, axis) along t (symmetric, so also its transpose).

    Entry i is sum over j != i of t_j times the product of the elements other than i and j."""
    (lanes, tl), restore = _as_lanes(a, axis, t)
    n = lanes.shape[-1]
    out = np.zeros(lanes.shape, dtype=np.result_type(lanes, tl))
    for i in range(n):  # O(n^2) but exact with zeros; second derivatives of prod only
        others = np.delete(lanes, i, axis=-1)
        t_others = np.delete(tl, i, axis=-1)
        out[..., i] = np.sum(t_others * prod_others(others, -1), axis=-1) if n > 1 else 0.0
    return restore(out)


def _as_lanes(a, axis, *like):
    """a and each of `like` (broadcast to a's shape) with the reduced axes moved last and merged into
    one lane axis, and the function that puts a result of the lanes' shape back in a's layout."""
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    lead = a.ndim - len(axes)
    moved = np.moveaxis(a, axes, range(lead, a.ndim))
    shape = moved.shape
    lanes = moved.reshape(shape[:lead] + (-1,))
    rest = [np.moveaxis(np.broadcast_to(v, a.shape), axes, range(lead, a.ndim)).reshape(lanes.shape) for v in like]
    return [lanes] + rest, lambda out: np.moveaxis(out.reshape(shape), range(lead, a.ndim), axes)


def prod_others_ddot(t, s, a, axis=None):
    """The derivative of prod_others_dot(t, a, axis) in a along s (symmetric in t and s, and in the
    element, so also its transposes): entry i is the sum over distinct j, k != i of t_j s_k times the
    product of the other elements. Third derivatives of prod only: O(n^3)."""
    (lanes, tl, sl), restore = _as_lanes(a, axis, t, s)
    n = lanes.shape[-1]
    out = np.zeros(lanes.shape, dtype=np.result_type(lanes, tl, sl))
    for i in range(n):
        others, t_others, s_others = (np.delete(v, i, axis=-1) for v in (lanes, tl, sl))
        out[..., i] = np.sum(t_others * prod_others_dot(s_others, others, -1), axis=-1) if n > 2 else 0.0
    return restore(out)


def cumsum_adjoint(g, a, axis=None):
    """The cotangent of a in np.cumsum(a, axis): a reversed cumulative sum of g."""
    if axis is None:
        g = np.ravel(g)
        return np.reshape(np.cumsum(g[::-1])[::-1], np.shape(a))
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def diff_adjoint(g, a, n=1, axis=-1):
    """The cotangent of a in np.diff(a, n, axis)."""
    for _ in range(n):
        width = [(0, 0)] * np.ndim(g)
        width[axis % np.ndim(g)] = (1, 1)
        g = -np.diff(np.pad(g, width), axis=axis)
    return g


def norm_slope(x, ord=None, axis=None):
    """The gradient of np.linalg.norm(x, ord, axis) with respect to x (shaped like x).

    Not linear: its derivative is `norm_slope_dot`. At a kink the slope is the average of the
    one-sided slopes: 0 at the origin, ties shared equally (docs/rules.md)."""
    if ord is None and axis is None and type(x) is np.ndarray:  # the 2-norm of all of x: the common case, short
        n = np.linalg.norm(x)
        return x / (n + (n == 0))
    x = np.asarray(x)
    matrix = (axis is None and x.ndim == 2 and ord is not None) or (axis is not None and np.ndim(axis) == 1
                                                                    and len(axis) == 2)
    axes = _axes(axis, x.ndim)
    n = np.linalg.norm(x, ord=ord, axis=axis, keepdims=True)
    safe = n + (n == 0)
    if ord is None or ord == "fro" or (ord == 2 and not matrix):
        return x / safe
    if not matrix:
        if ord == 0:
            return np.zeros_like(x)
        if ord == 1:
            return np.sign(x)
        if ord in (np.inf, -np.inf):
            return np.sign(x) * tie_weights(np.abs(x), n, axes, True)
        return np.sign(x) * (np.abs(x) / safe) ** (ord - 1)
    rows, cols = axes
    if ord in (1, -1):
        sums = np.sum(np.abs(x), axis=rows, keepdims=True)
        return np.sign(x) * tie_weights(sums, n, cols, True)
    if ord in (np.inf, -np.inf):
        sums = np.sum(np.abs(x), axis=cols, keepdims=True)
        return np.sign(x) * tie_weights(sums, n, rows, True)
    moved = np.moveaxis(x, (rows, cols), (-2, -1))
    u, s, vh = np.linalg.svd(moved, full_matrices=False)
    if ord == "nuc":
        slope = u @ vh
    else:
        k = [0] if ord == 2 else [-1]  # the largest or the smallest singular value
        slope = u[..., :, k] @ vh[..., k, :]
    return np.moveaxis(slope, (-2, -1), (rows, cols)).astype(x.dtype, copy=False)


def norm_slope_dot(t, x, ord=None, axis=None):
    """The derivative of norm_slope(x, ord, axis) along t (the norm's Hessian times t; symmetric)."""
    x = np.asarray(x)
    matrix = (axis is None and x.ndim == 2 and ord is not None) or (axis is not None and np.ndim(axis) == 1
                                                                    and len(axis) == 2)
    axes = _axes(axis, x.ndim)
    n = np.linalg.norm(x, ord=ord, axis=axis, keepdims=True)
    safe = n + (n == 0)
    if ord is None or ord == "fro" or (ord == 2 and not matrix):
        s = x / safe
        return (t - s * np.sum(s * t, axis=axes, keepdims=True)) / safe
    if ord in (0, 1, -1, np.inf, -np.inf):
        return np.zeros(np.broadcast_shapes(np.shape(t), x.shape), dtype=np.result_type(t, x))
    if not matrix:
        s = norm_slope(x, ord, axis)
        return (ord - 1) * ((np.abs(x) / safe) ** (ord - 2) * t - s * np.sum(s * t, axis=axes, keepdims=True)) / safe
    raise Refusal(f"second derivatives of np.linalg.norm with ord={ord!r}", "np.linalg.norm")


def tile_adjoint(g, a, reps):
    """The cotangent of a in np.tile(a, reps): g's tiles summed."""
    shape = np.shape(a)
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    d = max(len(shape), len(reps))
    full = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + reps
    split = [n for pair in zip(reps, full) for n in pair]
    summed = np.sum(np.reshape(g, split), axis=tuple(range(0, 2 * d, 2)))
    return np.reshape(summed, shape)


def repeat_adjoint(g, a, repeats, axis=None):
    """The cotangent of a in np.repeat(a, repeats, axis): the copies of each element summed."""
    shape = np.shape(a)
    if axis is None:
        n = int(np.prod(shape, dtype=int))
        owner = np.repeat(np.arange(n), repeats)
        out = np.zeros(n, dtype=np.result_type(g, np.float32))
        np.add.at(out, owner, np.ravel(g))
        return _cast_like(np.reshape(out, shape), a)
    axis = axis % len(shape)
    owner = np.repeat(np.arange(shape[axis]), repeats)
    moved = np.moveaxis(np.asarray(g), axis, 0)
    out = np.zeros((shape[axis],) + moved.shape[1:], dtype=np.result_type(g, np.float32))
    np.add.at(out, owner, moved)
    return _cast_like(np.moveaxis(out, 0, axis), a)


def diag_adjoint(g, v, k=0):
    """The cotangent of v in np.diag(v, k): read off the diagonal, or put back on it."""
    if np.ndim(v) == 1:
        return np.diag(g, k)
    out = np.zeros(np.shape(v), dtype=np.result_type(g, np.float32))
    rows = np.arange(np.size(g)) + max(-k, 0)
    out[rows, rows + k] = g
    return _cast_like(out, v)


def diagonal_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """The cotangent of a in np.diagonal(a, offset, axis1, axis2): g put on that diagonal."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, np.float32))
    nd = out.ndim
    view = np.moveaxis(out, (axis1 % nd, axis2 % nd), (-2, -1))
    g = np.asarray(g)
    idx = np.arange(g.shape[-1]) if g.ndim else np.arange(1)
    view[..., idx + max(-offset, 0), idx + max(offset, 0)] = g
    return _cast_like(out, a)


def trace_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """The cotangent of a in np.trace(a, offset, axis1, axis2): g on the diagonal."""
    diag = np.diagonal(a, offset, axis1, axis2)
    return diagonal_adjoint(np.broadcast_to(np.expand_dims(g, -1), diag.shape), a, offset, axis1, axis2)


def _pad_index(shape, pad_width, mode):
    """Which element of the unpadded array each element of np.pad(..., mode) copies (-1: a constant)."""
    index = np.arange(int(np.prod(shape, dtype=int))).reshape(shape)
    if mode == "constant":
        return np.pad(index, pad_width, mode="constant", constant_values=-1)
    if mode in ("edge", "reflect", "symmetric", "wrap"):
        return np.pad(index, pad_width, mode=mode)
    raise Refusal(f"derivatives of np.pad with mode={mode!r} (constant, edge, reflect, symmetric, wrap)", "np.pad")


def pad_tangent(t, pad_width, mode="constant"):
    """The tangent of np.pad(array, pad_width, mode): the tangent padded, with zeros for constants."""
    t = np.asarray(t)
    index = _pad_index(t.shape, pad_width, mode)
    out = np.ravel(t)[np.maximum(index, 0)]
    return np.where(index >= 0, out, np.zeros((), dtype=out.dtype))


def pad_adjoint(g, array, pad_width, mode="constant"):
    """The cotangent of array in np.pad(array, pad_width, mode): g summed back onto what it copied."""
    shape = np.shape(array)
    index = np.ravel(_pad_index(shape, pad_width, mode))
    keep = index >= 0
    out = np.zeros(int(np.prod(shape, dtype=int)), dtype=np.result_type(g, np.float32))
    np.add.at(out, index[keep], np.ravel(g)[keep])
    return _cast_like(np.reshape(out, shape), array)


def take_adjoint(g, a, indices, axis=None):
    """The cotangent of a in np.take(a, indices, axis): g added back where it was taken from."""
    shape = np.shape(a)
    if axis is None:
        out = np.zeros(int(np.prod(shape, dtype=int)), dtype=np.result_type(g, np.float32))
        np.add.at(out, np.ravel(indices), np.ravel(np.broadcast_to(g, np.shape(indices))))
        return _cast_like(np.reshape(out, shape), a)
    axis = axis % len(shape)
    out = np.zeros(shape, dtype=np.result_type(g, np.float32))
    np.add.at(out, (slice(None),) * axis + (np.asarray(indices),), g)
    return _cast_like(out, a)


def take_along_axis_adjoint(g, arr, indices, axis):
    """The cotangent of arr in np.take_along_axis(arr, indices, axis)."""
    shape = np.shape(arr)
    out = np.zeros(shape, dtype=np.result_type(g, np.float32))
    if axis is None:
        np.add.at(out.reshape(-1), indices, g)
        return _cast_like(out, arr)
    axis = axis % len(shape)
    indices = np.asarray(indices)
    grid = np.ogrid[tuple(slice(n) for n in indices.shape)]
    index = tuple(indices if i == axis else np.broadcast_to(grid[i], indices.shape) for i in range(len(shape)))
    np.add.at(out, index, np.broadcast_to(g, indices.shape))
    return _cast_like(out, arr)


def _tie_average(t, sorted_values, axis):
    """t averaged over each run of equal values in sorted_values along axis (ties share)."""
    s = np.moveaxis(sorted_values, axis, -1)
    moved = np.moveaxis(np.broadcast_to(t, np.shape(sorted_values)), axis, -1)
    if s.shape[-1] < 2 or not np.any(s[..., 1:] == s[..., :-1]):
        return t
    lanes = s.reshape(-1, s.shape[-1])
    start = np.concatenate([np.ones((lanes.shape[0], 1), bool), lanes[:, 1:] != lanes[:, :-1]], axis=1)
    group = np.cumsum(start.ravel()) - 1
    values = moved.reshape(-1)
    sums = np.bincount(group, weights=values)
    counts = np.bincount(group)
    out = (sums / counts)[group].astype(moved.dtype, copy=False).reshape(moved.shape)
    return np.moveaxis(out, -1, axis)


def sort_tangent(t, a, axis=-1):
    """The tangent of np.sort(a, axis): t permuted as a's values are (ties averaged)."""
    if axis is None:
        t, a, axis = np.ravel(t), np.ravel(a), -1
    order = np.argsort(a, axis=axis, kind="stable")
    s = np.take_along_axis(a, order, axis)
    return _tie_average(np.take_along_axis(np.broadcast_to(t, np.shape(a)), order, axis), s, axis)


def sort_adjoint(g, a, axis=-1):
    """The cotangent of a in np.sort(a, axis): the transpose of sort_tangent."""
    shape = np.shape(a)
    if axis is None:
        return np.reshape(sort_adjoint(np.ravel(g), np.ravel(a), -1), shape)
    order = np.argsort(a, axis=axis, kind="stable")
    s = np.take_along_axis(a, order, axis)
    g = _tie_average(g, s, axis)
    out = np.zeros(shape, dtype=np.result_type(g, np.float32))
    np.put_along_axis(out, order, g, axis)
    return _cast_like(out, a)


def clip_partial(a, a_min, a_max, wrt, min=None, max=None):
    """d clip(a, a_min, a_max) / d wrt ("a", "a_min" or "a_max") for clip = minimum(maximum(a, a_min), a_max):
    1 or 0 away from the corners, 1/2 where two of them tie (docs/rules.md). Piecewise constant.
    min and max are NumPy 2.1's other names for the bounds."""
    a = np.asarray(a)
    a_min = min if a_min is None else a_min
    a_max = max if a_max is None else a_max
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    dtype = np.result_type(a, 0.5)
    raised = np.maximum(a, lo)
    below_hi = np.heaviside(np.asarray(hi - raised, dtype=dtype), 0.5)
    if wrt == "a":
        return np.heaviside(np.asarray(a - lo, dtype=dtype), 0.5) * below_hi
    if wrt == "a_min":
        return np.heaviside(np.asarray(lo - a, dtype=dtype), 0.5) * below_hi
    return np.heaviside(np.asarray(raised - hi, dtype=dtype), 0.5)


def linspace_ramp(num, endpoint=True, axis=0, like=None):
    """np.linspace(0, 1, num, endpoint) laid along `axis` of the array `like` (np.linspace's result or its
    cotangent), in its dtype: piecewise constant."""
    dtype = np.result_type(like) if np.issubdtype(np.result_type(like), np.floating) else np.float64
    ramp = np.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=dtype)
    ndim = max(np.ndim(like), 1)
    shape = [1] * ndim
    shape[axis % ndim] = num
    return np.reshape(ramp, shape)
