"""NumPy's elementwise functions (ufuncs and their kin). Reductions, products and shapes have files of their own.

Kinks follow one convention (docs/rules.md): the derivative there is the average of the
one-sided derivatives, so |x|' = 0 at 0 and tied arguments of maximum/minimum share equally.
"""

import math

import numpy as np

from .. import runtime_taylor as rt
from .. import runtime_taylor_special as rts
from ..registry import elementwise, jvp, linear, nondiff, vjp
from ..runtime import clip_partial, pow_base_partial, pow_exponent_partial, real_cotangent, real_only, unbroadcast

LN2, LN10 = math.log(2.0), math.log(10.0)

# -- arithmetic ----------------------------------------------------------------


@elementwise(np.add, taylor="sum")
def add(a, b):
    return 1.0, 1.0


@elementwise(np.subtract, taylor="difference")
def subtract(a, b):
    return 1.0, -1.0


@elementwise(np.multiply, taylor=rt.mul)
def multiply(a, b):
    return b, a


@elementwise(np.divide, np.true_divide, taylor=rt.div)
def divide(a, b, ans):
    return 1.0 / b, -ans / b


@elementwise(np.power, domain="positive", taylor=rt.power)
def power(a, b, ans):
    """At a == 0: slope 0 in b (JAX), and b * a ** (b - 1) computed without dividing by a."""
    return pow_base_partial(a, b), pow_exponent_partial(a, ans)


@elementwise(np.float_power, domain="positive", taylor=rt.power)
def float_power(a, b, ans):
    return b * np.float_power(a, b - 1), ans * np.log(a, dtype=np.result_type(ans))


@elementwise(np.mod, np.remainder, domain="positive", taylor=rt.remainder)
def mod(a, b):
    """a - floor(a / b) * b: slope 1 in a and -floor(a / b) in b between the jumps."""
    return 1.0, -np.floor_divide(a, b)


@elementwise(np.fmod, domain="positive", taylor=rt.remainder)
def fmod(a, b):
    """a - trunc(a / b) * b, the sign of a."""
    return 1.0, -np.trunc(np.divide(a, b))


@linear(np.negative, shapes=((2, 3),), batched="unary")
def negative(g, x):
    return -g


@linear(np.positive, shapes=((2, 3),), batched="unary")
def positive(g, x):
    return g


@linear(np.conjugate, np.conj, np.real, shapes=((2, 3),), batched="unary")
def conjugate(g, x):
    """Real inputs only: the identity; a complex x is refused when the adjoint runs."""
    return real_cotangent(g, x, "np.real / np.conj")


@elementwise(np.square, taylor=rt.square)
def square(x):
    return 2.0 * x


@elementwise(np.sqrt, domain="positive", taylor=rt.sqrt)
def sqrt(x, ans):
    return 0.5 / ans


@elementwise(np.cbrt, domain="nonzero", taylor=rt.cbrt)
def cbrt(x, ans):
    return 1.0 / (3.0 * ans * ans)


@elementwise(np.reciprocal, domain="nonzero", taylor=rt.reciprocal)
def reciprocal(x, ans):
    return -ans * ans


@elementwise(np.abs, np.absolute, np.fabs, taylor=rt.absolute)
def absolute(x):
    """Slope 0 at 0 (np.sign): the average of the one-sided slopes -1 and 1. Real x only."""
    return np.sign(real_only(x, "np.abs"))


@vjp(np.copysign, wrt=("x1",), shapes=((2, 3), (3,)), taylor=rt.copysign)
def copysign(g, ans, x1, x2):
    """|x1| with the sign of x2; piecewise constant in x2."""
    return unbroadcast(g * np.sign(x1) * np.copysign(1.0, x2), x1)


@jvp(np.copysign)
def copysign_jvp(x1_dot, ans, x1, x2):
    return x1_dot * np.sign(x1) * np.copysign(1.0, x2)


@vjp(np.ldexp, wrt=("x1",), taylor="coefficientwise")
def ldexp(g, ans, x1, x2):
    """x1 * 2**x2 for integer x2: linear in x1."""
    return unbroadcast(np.ldexp(g, x2), x1)


@jvp(np.ldexp)
def ldexp_jvp(x1_dot, ans, x1, x2):
    return np.ldexp(x1_dot, x2)


# -- exponentials and logarithms -------------------------------------------------


@elementwise(np.exp, taylor=rt.exp)
def exp(x, ans):
    return ans


@elementwise(np.exp2, taylor=rt.exp2)
def exp2(x, ans):
    return ans * LN2


@elementwise(np.expm1, taylor=rt.expm1)
def expm1(x, ans):
    return ans + 1.0


@elementwise(np.log, domain="positive", taylor=rt.log)
def log(x):
    return 1.0 / x


@elementwise(np.log2, domain="positive", taylor=rt.log2)
def log2(x):
    return 1.0 / (x * LN2)


@elementwise(np.log10, domain="positive", taylor=rt.log10)
def log10(x):
    return 1.0 / (x * LN10)


@elementwise(np.log1p, domain="positive", taylor=rt.log1p)
def log1p(x):
    return 1.0 / (1.0 + x)


@elementwise(np.logaddexp, taylor=rt.logaddexp)
def logaddexp(a, b, ans):
    return np.exp(a - ans), np.exp(b - ans)


@elementwise(np.logaddexp2, taylor=rt.logaddexp2)
def logaddexp2(a, b, ans):
    return np.exp2(a - ans), np.exp2(b - ans)


# -- trigonometric and hyperbolic --------------------------------------------------


@elementwise(np.sin, taylor=rt.sin)
def sin(x):
    return np.cos(x)


@elementwise(np.cos, taylor=rt.cos)
def cos(x):
    return -np.sin(x)


@elementwise(np.tan, taylor=rt.tan)
def tan(x, ans):
    return 1.0 + ans * ans


@elementwise(np.arcsin, domain="unit", taylor=rt.arcsin)
def arcsin(x):
    return 1.0 / np.sqrt(1.0 - x * x)


@elementwise(np.arccos, domain="unit", taylor=rt.arccos)
def arccos(x):
    return -1.0 / np.sqrt(1.0 - x * x)


@elementwise(np.arctan, taylor=rt.arctan)
def arctan(x):
    return 1.0 / (1.0 + x * x)


@elementwise(np.arctan2, taylor=rt.arctan2)
def arctan2(y, x):
    return x / (x * x + y * y), -y / (x * x + y * y)


@elementwise(np.hypot, taylor=rt.hypot)
def hypot(x, y, ans):
    """Slope 0 at the origin (ans == 0), as for every norm."""
    return x / (ans + (ans == 0)), y / (ans + (ans == 0))


@elementwise(np.sinh, taylor=rt.sinh)
def sinh(x):
    return np.cosh(x)


@elementwise(np.cosh, taylor=rt.cosh)
def cosh(x):
    return np.sinh(x)


@elementwise(np.tanh, taylor=rt.tanh)
def tanh(x, ans):
    return 1.0 - ans * ans


@elementwise(np.arcsinh, taylor=rt.arcsinh)
def arcsinh(x):
    return 1.0 / np.sqrt(x * x + 1.0)


@elementwise(np.arccosh, domain="above_one", taylor=rt.arccosh)
def arccosh(x):
    return 1.0 / np.sqrt(x * x - 1.0)


@elementwise(np.arctanh, domain="unit", taylor=rt.arctanh)
def arctanh(x):
    return 1.0 / (1.0 - x * x)


@linear(np.deg2rad, np.radians, shapes=((2, 3),), batched="unary")
def deg2rad(g, x):
    return np.deg2rad(g)


@linear(np.rad2deg, np.degrees, shapes=((2, 3),), batched="unary")
def rad2deg(g, x):
    return np.rad2deg(g)


@elementwise(np.sinc, taylor=rts.sinc)
def sinc(x, ans):
    """(cos(pi x) - sinc(x)) / x, and 0 at 0."""
    return (np.cos(math.pi * x) - ans) / (x + (x == 0))


# -- maxima, minima, clipping and selection ----------------------------------------


@elementwise(np.maximum, taylor=rt.maximum)
def maximum(a, b):
    """Ties share equally: heaviside(0, 0.5) = 0.5 to each."""
    return np.heaviside(a - b, 0.5), np.heaviside(b - a, 0.5)


@elementwise(np.minimum, taylor=rt.minimum)
def minimum(a, b):
    return np.heaviside(b - a, 0.5), np.heaviside(a - b, 0.5)


@elementwise(np.fmax, taylor=rt.maximum)
def fmax(a, b):
    """As maximum, except that a NaN argument is ignored: the other one gets slope 1."""
    return np.fmax(np.heaviside(a - b, 0.5), np.isnan(b)), np.fmax(np.heaviside(b - a, 0.5), np.isnan(a))


@elementwise(np.fmin, taylor=rt.minimum)
def fmin(a, b):
    return np.fmax(np.heaviside(b - a, 0.5), np.isnan(b)), np.fmax(np.heaviside(a - b, 0.5), np.isnan(a))


@elementwise(np.clip, shapes=((2, 3), (2, 3), (2, 3)), taylor="clip")
def clip(a, a_min=None, a_max=None, min=None, max=None):
    """clip = minimum(maximum(a, a_min), a_max), each tie shared equally (NumPy 2.1 also names the bounds min, max)."""
    return (clip_partial(a, a_min, a_max, "a", min, max), clip_partial(a, a_min, a_max, "a_min", min, max),
            clip_partial(a, a_min, a_max, "a_max", min, max), clip_partial(a, a_min, a_max, "a_min", min, max),
            clip_partial(a, a_min, a_max, "a_max", min, max))


@elementwise(np.ndarray.clip, taylor="clip")
def ndarray_clip(a, min=None, max=None):
    return clip_partial(a, min, max, "a"), clip_partial(a, min, max, "a_min"), clip_partial(a, min, max, "a_max")


@vjp(np.nan_to_num, wrt=("x", "nan", "posinf", "neginf"), taylor=rts.nan_to_num)
def nan_to_num(g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    """The identity where x is finite; where it is NaN or infinite the result is the replacement, so
    the derivative goes there, and x's is an exact zero (np.where: an infinite tangent stays out)."""
    return unbroadcast(np.where(np.isfinite(x), g, 0), x), unbroadcast(np.where(np.isnan(x), g, 0), nan), \
        unbroadcast(np.where(np.isposinf(x), g, 0), posinf), unbroadcast(np.where(np.isneginf(x), g, 0), neginf)


@jvp(np.nan_to_num)
def nan_to_num_jvp(x_dot, nan_dot, posinf_dot, neginf_dot, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    return np.where(np.isfinite(x), x_dot, np.zeros_like(ans)), np.where(np.isnan(x), nan_dot, np.zeros_like(ans)), \
        np.where(np.isposinf(x), posinf_dot, np.zeros_like(ans)), \
        np.where(np.isneginf(x), neginf_dot, np.zeros_like(ans))


@vjp(np.where, wrt=("x", "y"), taylor="coefficientwise")
def where(g, ans, condition, x, y):
    return unbroadcast(np.where(condition, g, np.zeros_like(ans)), x), \
        unbroadcast(np.where(condition, np.zeros_like(ans), g), y)


@jvp(np.where)
def where_jvp(x_dot, y_dot, ans, condition, x, y):
    return np.where(condition, x_dot, np.zeros_like(ans)), np.where(condition, np.zeros_like(ans), y_dot)


nondiff(np.shape, np.ndarray.shape, np.size, np.ndim, np.ndarray.ndim, np.ndarray.size, np.ndarray.dtype,
        np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like, np.arange,
        np.argmax, np.argmin, np.argsort, np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix,
        np.sign, np.heaviside, np.isnan, np.isinf, np.isfinite, np.isclose, np.allclose, np.array_equal,
        np.less, np.greater, np.less_equal, np.greater_equal, np.equal, np.not_equal,
        np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.all, np.any, np.eye, np.identity, np.tri,
        np.ndarray.argmax, np.ndarray.argmin, np.ndarray.argsort, np.ndarray.all, np.ndarray.any, np.ndarray.round,
        np.nonzero, np.flatnonzero, np.argwhere, np.count_nonzero, np.floor_divide, np.searchsorted, np.digitize,
        np.signbit, np.indices, np.diag_indices, np.tril_indices, np.triu_indices, np.unravel_index,
        np.ravel_multi_index, np.result_type, np.broadcast_shapes, np.ndarray.nonzero, np.ndarray.tolist)
