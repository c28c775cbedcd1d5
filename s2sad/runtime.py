"""The few helpers generated code calls. A leaf module: it imports NumPy and nothing else.

Each helper here has a derivative rule in `s2sad.rules`, so code that calls it can be
differentiated again (gradients of gradients).
"""

import numpy as np

_SEQUENCES = (list, tuple, np.ndarray, range)


def sequence(xs):
    """xs itself when it can be indexed by position, else a list of its items."""
    return xs if isinstance(xs, _SEQUENCES) else list(xs)


def unbroadcast(g, x):
    """Sum g down to the shape of x, undoing NumPy broadcasting."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if kept:
        g = g.sum(axis=kept, keepdims=True)
    return g.reshape(shape) if shape else g[()]


def broadcast_like(g, x):
    """g broadcast to the shape of x: the transpose of unbroadcast."""
    shape = np.shape(x)
    return g if np.shape(g) == shape else np.broadcast_to(g, shape)


def zeros_like(x):
    """A zero with x's shape: 0.0 for a scalar."""
    if isinstance(x, np.ndarray):
        return np.zeros_like(x, dtype=np.result_type(x.dtype, np.float32))
    return 0.0


def scatter(g, x, index):
    """Zeros shaped like x with g added at x[index]: the adjoint of reading x[index]."""
    out = np.zeros(np.shape(x), dtype=np.result_type(g, getattr(x, "dtype", float), np.float32))
    np.add.at(out, index, g)
    return out


def sum_to_scalar(g):
    return np.sum(g)


def _as_matrices(g, a, b):
    """Promote 1-D operands of a matmul to matrices, and g to match their product."""
    a2 = a if np.ndim(a) >= 2 else np.reshape(a, (1, -1))
    b2 = b if np.ndim(b) >= 2 else np.reshape(b, (-1, 1))
    g2 = np.asarray(g)
    if np.ndim(a) < 2:
        g2 = np.expand_dims(g2, -2)
    if np.ndim(b) < 2:
        g2 = np.expand_dims(g2, -1)
    return g2, a2, b2


def matmul_adjoint_a(g, a, b):
    """The cotangent of a in a @ b (any ranks NumPy's matmul accepts)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0 or (np.ndim(a) == 1 and np.ndim(b) == 1):
        return unbroadcast(g * b, a)
    g2, a2, b2 = _as_matrices(g, a, b)
    a_bar = np.matmul(g2, np.swapaxes(b2, -1, -2))
    if np.ndim(a) < 2:
        a_bar = a_bar[..., 0, :]
    return unbroadcast(a_bar, a)


def matmul_adjoint_b(g, a, b):
    """The cotangent of b in a @ b."""
    if np.ndim(a) == 0 or np.ndim(b) == 0 or (np.ndim(a) == 1 and np.ndim(b) == 1):
        return unbroadcast(g * a, b)
    g2, a2, b2 = _as_matrices(g, a, b)
    b_bar = np.matmul(np.swapaxes(a2, -1, -2), g2)
    if np.ndim(b) < 2:
        b_bar = b_bar[..., 0]
    return unbroadcast(b_bar, b)


def dot_adjoint_a(g, a, b):
    """The cotangent of a in np.dot(a, b): matmul's rule except for N-d by N-d."""
    if np.ndim(b) > 2:
        return np.tensordot(g, b, axes=(list(range(np.ndim(a) - 1, np.ndim(g))), [i for i in range(np.ndim(b)) if i != np.ndim(b) - 2]))
    return matmul_adjoint_a(g, a, b)


def dot_adjoint_b(g, a, b):
    """The cotangent of b in np.dot(a, b)."""
    if np.ndim(b) > 2:
        lead = list(range(np.ndim(a) - 1))
        out = np.tensordot(a, g, axes=(lead, lead))
        return np.moveaxis(out, 0, -2)
    return matmul_adjoint_b(g, a, b)


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


def with_item(x_dot, index, value_dot, x):
    """A copy of the tangent x_dot with value_dot written at index: the tangent of `x[index] = value`."""
    out = np.array(x_dot if np.shape(x_dot) == np.shape(x) else np.broadcast_to(x_dot, np.shape(x)),
                   dtype=np.result_type(x_dot, value_dot, np.float32))
    out[index] = value_dot
    return out


def without_item(x_bar, index):
    """A copy of the adjoint x_bar with zeros at index: the element was overwritten."""
    if np.ndim(x_bar) == 0:
        return x_bar
    out = np.array(x_bar)
    out[index] = 0.0
    return out


def snapshot(value):
    """A copy of value that later writes into the array it came from cannot change."""
    return value.copy() if isinstance(value, np.ndarray) else value
