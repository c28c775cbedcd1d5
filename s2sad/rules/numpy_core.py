"""NumPy's core: elementwise functions, reductions, products and reshaping."""

import numpy as np

from ..registry import elementwise, jvp, linear, nondiff, vjp
from ..runtime import (dot_adjoint_a, dot_adjoint_b, matmul_adjoint_a, matmul_adjoint_b, mean_adjoint,
                       sum_adjoint)

# -- elementwise ---------------------------------------------------------------


@elementwise(np.add)
def add(a, b):
    return 1.0, 1.0


@elementwise(np.subtract)
def subtract(a, b):
    return 1.0, -1.0


@elementwise(np.multiply)
def multiply(a, b):
    return b, a


@elementwise(np.divide, np.true_divide)
def divide(a, b, ans):
    return 1.0 / b, -ans / b


@elementwise(np.power, domain="positive")
def power(a, b, ans):
    return b * np.power(a, b - 1), ans * np.log(a)


@linear(np.negative)
def negative(g, x):
    return -g


@elementwise(np.sin)
def sin(x):
    return np.cos(x)


@elementwise(np.cos)
def cos(x):
    return -np.sin(x)


@elementwise(np.tan)
def tan(x, ans):
    return 1.0 + ans * ans


@elementwise(np.exp)
def exp(x, ans):
    return ans


@elementwise(np.log, domain="positive")
def log(x):
    return 1.0 / x


@elementwise(np.sqrt, domain="positive")
def sqrt(x, ans):
    return 0.5 / ans


@elementwise(np.tanh)
def tanh(x, ans):
    return 1.0 - ans * ans


@elementwise(np.square)
def square(x):
    return 2.0 * x


@elementwise(np.abs, np.absolute)
def absolute(x):
    """Slope 0 at 0 (np.sign), the convention for every kink: docs/rules.md."""
    return np.sign(x)


@elementwise(np.arctan2)
def arctan2(y, x):
    return x / (x * x + y * y), -y / (x * x + y * y)


# -- reductions ----------------------------------------------------------------


@linear(np.sum, np.ndarray.sum)
def sum_(g, a, axis=None, keepdims=False):
    return sum_adjoint(g, a, axis, keepdims)


@linear(np.mean, np.ndarray.mean)
def mean(g, a, axis=None, keepdims=False):
    return mean_adjoint(g, a, axis, keepdims)


# -- products ------------------------------------------------------------------


@vjp(np.matmul)
def matmul(g, ans, a, b):
    return matmul_adjoint_a(g, a, b), matmul_adjoint_b(g, a, b)


@jvp(np.matmul)
def matmul_jvp(a_dot, b_dot, ans, a, b):
    return np.matmul(a_dot, b), np.matmul(a, b_dot)


@vjp(np.dot, np.ndarray.dot)
def dot(g, ans, a, b):
    return dot_adjoint_a(g, a, b), dot_adjoint_b(g, a, b)


@jvp(np.dot, np.ndarray.dot)
def dot_jvp(a_dot, b_dot, ans, a, b):
    return np.dot(a_dot, b), np.dot(a, b_dot)


# -- shapes --------------------------------------------------------------------


@linear(np.reshape)
def reshape(g, a, shape):
    return np.reshape(g, np.shape(a))


@linear(np.ndarray.reshape)
def ndarray_reshape(g, a, *shape):
    return np.reshape(g, np.shape(a))


@linear(np.transpose, np.ndarray.transpose)
def transpose(g, a, axes=None):
    return np.transpose(g, None if axes is None else np.argsort(axes))


@linear(np.ndarray.T)
def T(g, a):
    return np.transpose(g)


@linear(np.copy, np.ndarray.copy)
def copy(g, a):
    return g


@linear(np.array, np.asarray)
def array(g, object, dtype=None):
    """Also builds arrays from lists of active scalars: the list's adjoint is indexed like the array."""
    return g


nondiff(np.shape, np.ndarray.shape, np.size, np.ndim, np.ndarray.ndim, np.ndarray.size, np.ndarray.dtype,
        np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like, np.arange, np.linspace,
        np.argmax, np.argmin, np.argsort, np.floor, np.ceil, np.round, np.rint, np.sign, np.isnan, np.isinf,
        np.isfinite, np.less, np.greater, np.less_equal, np.greater_equal, np.equal, np.not_equal,
        np.logical_and, np.logical_or, np.logical_not, np.all, np.any, np.eye, np.identity, np.ndarray.argmax,
        np.ndarray.argmin, np.nonzero, np.count_nonzero, np.floor_divide)
