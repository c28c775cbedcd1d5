"""NumPy's reductions and scans: axis is None, an int or a tuple; keepdims is honoured.

`sum_adjoint(g, a, axis, keepdims)` spreads a reduction's cotangent back over a's shape,
so most reverse rules read "spread g, then multiply by the slope".
"""

import numpy as np

from .. import runtime_taylor_special as rts
from ..registry import jvp, linear, vjp
from ..runtime import (
    cumsum_adjoint,
    diff_adjoint,
    linspace_ramp,
    mean_adjoint,
    norm_slope,
    prod_others,
    sum_adjoint,
    tie_weights,
    unbroadcast,
)


@linear(np.sum, np.ndarray.sum, shapes=((2, 3),), batched="sum", shape="total")
def sum_(g, a, axis=None, dtype=None, out=None, keepdims=False):
    return sum_adjoint(g, a, axis, keepdims)


@linear(np.mean, np.ndarray.mean, shapes=((2, 3),), batched="mean", shape="total")
def mean(g, a, axis=None, dtype=None, out=None, keepdims=False):
    return mean_adjoint(g, a, axis, keepdims)


@vjp(np.prod, np.ndarray.prod, wrt=("a",), shapes=((2, 3),), shape="total")
def prod(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    """Exact where a has zeros: prod_others multiplies the other elements, it does not divide."""
    return sum_adjoint(g, a, axis, keepdims) * prod_others(a, axis)


@jvp(np.prod, np.ndarray.prod)
def prod_jvp(a_dot, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(a_dot * prod_others(a, axis), axis=axis, keepdims=keepdims)


@vjp(np.max, np.amax, np.ndarray.max, np.min, np.amin, np.ndarray.min, wrt=("a",), shapes=((2, 3),), shape="total")
def max_(g, ans, a, axis=None, out=None, keepdims=False):
    """Tied extremes share g equally (tie_weights)."""
    return sum_adjoint(g, a, axis, keepdims) * tie_weights(a, ans, axis, keepdims)


@jvp(np.max, np.amax, np.ndarray.max, np.min, np.amin, np.ndarray.min)
def max_jvp(a_dot, ans, a, axis=None, out=None, keepdims=False):
    return np.sum(a_dot * tie_weights(a, ans, axis, keepdims), axis=axis, keepdims=keepdims)


@vjp(np.ptp, wrt=("a",), shapes=((2, 3),))
def ptp(g, ans, a, axis=None, out=None, keepdims=False):
    return sum_adjoint(g, a, axis, keepdims) * (tie_weights(a, np.max(a, axis=axis, keepdims=True), axis, True)
                                                - tie_weights(a, np.min(a, axis=axis, keepdims=True), axis, True))


@jvp(np.ptp)
def ptp_jvp(a_dot, ans, a, axis=None, out=None, keepdims=False):
    return np.sum(a_dot * (tie_weights(a, np.max(a, axis=axis, keepdims=True), axis, True)
                           - tie_weights(a, np.min(a, axis=axis, keepdims=True), axis, True)), axis=axis,
                  keepdims=keepdims)


@vjp(np.var, np.ndarray.var, wrt=("a",), shapes=((2, 3),))
def var(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return sum_adjoint(g, a, axis, keepdims) * (a - np.mean(a, axis=axis, keepdims=True)) \
        * (2.0 / (np.size(a) // np.size(ans) - ddof))


@jvp(np.var, np.ndarray.var)
def var_jvp(a_dot, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return np.sum(a_dot * (a - np.mean(a, axis=axis, keepdims=True)), axis=axis, keepdims=keepdims) \
        * (2.0 / (np.size(a) // np.size(ans) - ddof))


@vjp(np.std, np.ndarray.std, wrt=("a",), shapes=((2, 3),))
def std(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Slope 0 where every element is equal (ans == 0), as for a norm at the origin."""
    return sum_adjoint(g / (ans + (ans == 0)), a, axis, keepdims) * (a - np.mean(a, axis=axis, keepdims=True)) \
        / (np.size(a) // np.size(ans) - ddof)


@jvp(np.std, np.ndarray.std)
def std_jvp(a_dot, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return np.sum(a_dot * (a - np.mean(a, axis=axis, keepdims=True)), axis=axis, keepdims=keepdims) \
        / ((ans + (ans == 0)) * (np.size(a) // np.size(ans) - ddof))


@linear(np.cumsum, np.ndarray.cumsum, shapes=((2, 3),))
def cumsum(g, a, axis=None, dtype=None, out=None):
    return cumsum_adjoint(g, a, axis)


@vjp(np.cumprod, np.ndarray.cumprod, wrt=("a",), shapes=((2, 3),), taylor=rts.cumprod)
def cumprod(g, ans, a, axis=None, dtype=None, out=None):
    """Divides by a: not defined where a has zeros (docs/rules.md)."""
    return cumsum_adjoint(g * ans, a, axis) / a


@jvp(np.cumprod, np.ndarray.cumprod)
def cumprod_jvp(a_dot, ans, a, axis=None, dtype=None, out=None):
    return ans * np.cumsum(a_dot / a, axis=axis)


@linear(np.diff, shapes=((3, 4),))
def diff(g, a, n=1, axis=-1):
    return diff_adjoint(g, a, n, axis)


@vjp(np.linalg.norm, wrt=("x",), shapes=((2, 3),), shape="total")
def norm(g, ans, x, ord=None, axis=None, keepdims=False):
    """Vector ords None, 2, 1, inf, -inf, 0, p; matrix ords None, "fro", 1, -1, inf, -inf, 2, -2, "nuc"."""
    return sum_adjoint(g, x, axis, keepdims) * norm_slope(x, ord, axis)


@jvp(np.linalg.norm)
def norm_jvp(x_dot, ans, x, ord=None, axis=None, keepdims=False):
    return np.sum(x_dot * norm_slope(x, ord, axis), axis=axis, keepdims=keepdims)


@vjp(np.linspace, wrt=("start", "stop"))
def linspace(g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """start + (stop - start) * t for t = linspace(0, 1): linear in start and stop (retstep=False only)."""
    return unbroadcast(np.sum(g * (1.0 - linspace_ramp(num, endpoint, axis, g)), axis=axis), start), \
        unbroadcast(np.sum(g * linspace_ramp(num, endpoint, axis, g), axis=axis), stop)


@jvp(np.linspace)
def linspace_jvp(start_dot, stop_dot, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    return np.expand_dims(start_dot, axis) * (1.0 - linspace_ramp(num, endpoint, axis, ans)), \
        np.expand_dims(stop_dot, axis) * linspace_ramp(num, endpoint, axis, ans)
