"""Helpers that batched forward code calls. A leaf module: it imports NumPy and nothing else.

In batched code every tangent of a primal `p` is an array of shape `(B,) + np.shape(p)`:
column k is the tangent along the k-th seed (a container's tangent is the container of
its items' batched tangents). Each helper keeps that invariant; where a fast path does
not apply it works column by column, so a result is never wrong, only slower.

Every public function here counts as pure for the optimizer (`optimize.effects._BATCHED`):
it computes a fresh value from its arguments and changes nothing else.
"""

import numpy as np

from .runtime import scatter as _container_scatter

_CONTAINERS = (list, tuple, dict)


def batch_size(t):
    """B, from one batched tangent (or a container of them)."""
    if isinstance(t, dict):
        t = next(iter(t.values()))
    while isinstance(t, (list, tuple)):
        t = t[0]
    return np.shape(t)[0]


def batch_zeros(x, batch):
    """The batched zero tangent of x: zeros of shape (B,) + shape(x), or a container of them."""
    if isinstance(x, dict):  # a container's cotangent (runtime.Parts) stays one, so that it adds item by item
        return type(x)((k, batch_zeros(v, batch)) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return type(x)(batch_zeros(v, batch) for v in x)
    dtype = np.result_type(getattr(x, "dtype", np.float64), np.float32)
    if not np.issubdtype(dtype, np.inexact):
        dtype = np.float64
    return np.zeros((batch,) + np.shape(x), dtype=dtype)


def lift(t, ans):
    """t with ones inserted after the batch axis so that it broadcasts against a result of ans's rank."""
    return _lift_rank(t, np.ndim(ans))


def _lift_rank(t, ndim):
    if isinstance(t, _CONTAINERS):  # a container's cotangent (runtime.Parts) adds item by item
        return t
    t = np.asarray(t)
    missing = ndim - (t.ndim - 1)
    return t.reshape(t.shape[:1] + (1,) * missing + t.shape[1:]) if missing > 0 else t


def fill(t, ans):
    """t broadcast to the full batched shape (B,) + shape(ans)."""
    if isinstance(t, _CONTAINERS) or isinstance(ans, _CONTAINERS):
        return t
    t = np.asarray(t)
    shape = t.shape[:1] + np.shape(ans)
    return t if t.shape == shape else np.broadcast_to(lift(t, ans), shape)


def column(t, k):
    """Column k of a batched tangent (of a container's, item by item)."""
    if isinstance(t, dict):
        return type(t)((key, column(v, k)) for key, v in t.items())
    if hasattr(t, "_fields"):  # a named tuple's own tangent (one the function built): its fields stay readable
        return type(t)(*[column(v, k) for v in t])
    if isinstance(t, (list, tuple)):
        return _like(t, [column(v, k) for v in t])
    if np.ndim(t) == 0:  # a plain zero among a container's batched items: zero in every column
        return t
    return t[k]


def _like(x, items):
    """items in a list or tuple like x; a plain tuple for a named tuple (np.linalg.eigh's result), as
    the tangents of one are."""
    return tuple(items) if hasattr(x, "_fields") else type(x)(items)


def stack_columns(columns, ans):
    """The batched tangent made of per-column tangents shaped like ans (or broadcastable to it)."""
    if isinstance(ans, dict):
        return {key: stack_columns([c[key] for c in columns], ans[key]) for key in ans}
    if isinstance(ans, (list, tuple)):
        return _like(ans, [stack_columns([c[i] for c in columns], a) for i, a in enumerate(ans)])
    shape = np.shape(ans)
    return np.stack([np.broadcast_to(c, shape) for c in columns])


def per_column(fn, batch, ans, *tangents):
    """fn applied to each column of the tangents, the results stacked: the fallback for any rule."""
    return stack_columns([fn(*(column(t, k) for t in tangents)) for k in range(batch)], ans)


def _index_tuple(index):
    return index if isinstance(index, tuple) else (index,)


def _simple(index):
    """Whether prefixing index with `:` selects the same elements in every column (at most one advanced index)."""
    advanced = [i for i in _index_tuple(index) if isinstance(i, (list, np.ndarray))]
    return len(advanced) <= 1


def batch_item(t, index):
    """The tangent of x[index] from x's batched tangent t."""
    if isinstance(t, _CONTAINERS):
        return t[index]
    if _simple(index):
        return t[(slice(None),) + _index_tuple(index)]
    return np.stack([t[k][index] for k in range(t.shape[0])])


def batch_with_item(t, index, value_t, x):
    """The tangent of x after `x[index] = value`: t with value's tangent written at index."""
    if isinstance(x, _CONTAINERS):
        out = list(t) if isinstance(t, (list, tuple)) else dict(t)
        out[index] = value_t
        return type(t)(out) if isinstance(t, tuple) else out
    value_t = np.asarray(value_t)
    out = np.array(np.broadcast_to(t, value_t.shape[:1] + np.shape(x)), dtype=np.result_type(t, value_t))
    selected = np.shape(np.asarray(x)[index])
    if _simple(index):
        out[(slice(None),) + _index_tuple(index)] = _lift_rank(value_t, len(selected))
    else:
        for k in range(out.shape[0]):
            out[k][index] = value_t[k]
    return out


def batch_without_item(t, index):
    """The tangent of without_item(x_bar, index): zeros written at index."""
    if np.ndim(t) <= 1:
        return t
    out = np.array(t)
    if _simple(index):
        out[(slice(None),) + _index_tuple(index)] = 0.0
    else:
        for k in range(out.shape[0]):
            out[k][index] = 0.0
    return out


def batch_scatter(t, x, index):
    """The tangent of scatter(g, x, index): zeros shaped like x with g's tangent added at index."""
    if isinstance(x, _CONTAINERS):  # Parts({index: g}): g's batched tangent, item by item
        return _container_scatter(t, x, index)
    if not _simple(index):
        return per_column(lambda c: _scatter_one(c, x, index), t.shape[0], np.zeros(np.shape(x)), t)
    t = np.asarray(t)
    out = np.zeros(t.shape[:1] + np.shape(x), dtype=np.result_type(t, getattr(x, "dtype", float), np.float32))
    selected = np.shape(np.asarray(x)[index])
    value = np.broadcast_to(_lift_rank(t, len(selected)), t.shape[:1] + selected)
    where = (slice(None),) + _index_tuple(index)
    if all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in _index_tuple(index)):
        out[where] = value  # basic indexing selects each element at most once: no need for add.at
    else:
        np.add.at(out, where, value)
    return out


def _scatter_one(g, x, index):
    out = np.zeros(np.shape(x), dtype=np.result_type(g, np.float64))
    np.add.at(out, index, g)
    return out


def batch_unbroadcast(t, x):
    """The tangent of unbroadcast(g, x): t summed down to (B,) + shape(x)."""
    t = np.asarray(t)
    shape = np.shape(x)
    extra = t.ndim - 1 - len(shape)
    if extra > 0:
        t = t.sum(axis=tuple(range(1, 1 + extra)))
    kept = tuple(i + 1 for i, n in enumerate(shape) if n == 1 and t.shape[i + 1] != 1)
    if kept:
        t = t.sum(axis=kept, keepdims=True)
    return fill(t, x)


def batch_broadcast_like(t, x):
    """The tangent of broadcast_like(g, x): t broadcast to (B,) + shape(x)."""
    return fill(t, x)


def _shifted(axis, ndim):
    """A primal reduction axis (None, int or tuple) as batched axes: all primal axes are one further on."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(a) % max(ndim, 1) + 1 for a in axes)


def batch_sum(t, x, axis=None, keepdims=False, mean=False):
    """The tangent of np.sum(x, axis, keepdims=...) (or np.mean) from x's batched tangent."""
    axes = _shifted(axis, np.ndim(x))
    reduce = np.mean if mean else np.sum
    return reduce(t, axis=axes, keepdims=keepdims) if axes else np.asarray(t)


def batch_sum_adjoint(t, x, axis=None, keepdims=False):
    """The tangent of sum_adjoint(g, x, axis, keepdims): t spread back over the reduced axes."""
    t = np.asarray(t)
    if axis is not None and not keepdims:
        t = np.expand_dims(t, _shifted(axis, np.ndim(x)))
    return fill(t, x)


def batch_reshape(t, ans):
    """The tangent of any reshape of x (reshape, ravel, squeeze, expand_dims) that gave ans."""
    return np.reshape(t, np.shape(t)[:1] + np.shape(ans))


def batch_transpose(t, axes=None):
    """The tangent of np.transpose(x, axes) from x's batched tangent."""
    nd = np.ndim(t) - 1
    axes = tuple(range(nd))[::-1] if axes is None or len(axes) == 0 else tuple(int(a) % nd for a in axes)
    return np.transpose(t, (0,) + tuple(a + 1 for a in axes))


def batch_product_a(t, b, op):
    """The tangent of op(a, b) (np.matmul or np.dot) along a's batched tangent t."""
    if 1 <= np.ndim(t) - 1 <= 2 and 1 <= np.ndim(b) <= 2:
        return np.matmul(t, b)
    return np.stack([op(t[k], b) for k in range(np.shape(t)[0])])


def batch_product_b(a, t, op):
    """The tangent of op(a, b) (np.matmul or np.dot) along b's batched tangent t."""
    nb = np.ndim(t) - 1
    if nb == 2 and 1 <= np.ndim(a) <= 2:
        return np.matmul(a, t)
    if nb == 1 and 1 <= np.ndim(a) <= 2:
        return np.matmul(t, np.swapaxes(a, -1, -2)) if np.ndim(a) == 2 else np.matmul(t, a)
    return np.stack([op(a, t[k]) for k in range(np.shape(t)[0])])
