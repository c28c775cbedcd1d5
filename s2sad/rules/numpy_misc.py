"""NumPy functions of several families: convolutions, interpolation and polynomials, finite
differences, selection and reordering, and the builtin `sorted`. Helpers: `s2sad/runtime_misc.py`.

Real inputs only (complex values are refused elsewhere): np.angle of a real array is piecewise
constant, np.real_if_close the identity.
"""

import builtins

import numpy as np

from .. import runtime_misc
from ..registry import bilinear, jvp, linear, nondiff, vjp
from ..runtime import broadcast_like, take_along_axis_adjoint, unbroadcast
from ..runtime_misc import (
    append_count,
    conv_adjoint_a,
    conv_adjoint_b,
    gradient_adjoint,
    gradient_of,
    interp_fp_adjoint,
    interp_slope,
    interp_slope_adjoint,
    interp_values,
    rollaxis_adjoint,
    select_masks,
    sorted_adjoint,
    sorted_tangent,
)

# -- convolve and correlate: bilinear, their adjoints are correlations of the full cotangent -------------


bilinear(np.convolve, adjoints=(runtime_misc.convolve_adjoint_a, runtime_misc.convolve_adjoint_b),
         shapes=((5,), (3,)))
bilinear(np.correlate, adjoints=(runtime_misc.correlate_adjoint_a, runtime_misc.correlate_adjoint_b),
         shapes=((5,), (3,)))
bilinear(runtime_misc.conv, adjoints=(conv_adjoint_a, conv_adjoint_b))  # both, `kind` naming which


# -- interp (in x and fp; xp carries no derivative) and polyval ----------------------------------------------


@vjp(np.interp, runtime_misc.interp_values, wrt=("x", "fp"))
def interp(g, ans, x, xp, fp, left=None, right=None, period=None):
    """Piecewise linear: slope of the segment in x (the two segments' average at a knot, 0 outside xp),
    each value split between its segment's ends in fp."""
    return g * interp_slope(x, xp, fp, period), interp_fp_adjoint(g, x, xp, left, right)


@jvp(np.interp, runtime_misc.interp_values)
def interp_jvp(x_dot, fp_dot, ans, x, xp, fp, left=None, right=None, period=None):
    return broadcast_like(x_dot * interp_slope(x, xp, fp, period), ans), \
        broadcast_like(interp_values(x, xp, fp_dot, left, right, period), ans)


@linear(runtime_misc.interp_slope, wrt="fp")
def interp_slope_(g, x, xp, fp, period=None):
    return interp_slope_adjoint(g, x, xp)


@linear(runtime_misc.interp_slope_adjoint)
def interp_slope_adjoint_(ct, g, x, xp):
    return interp_slope(x, xp, ct)


@vjp(runtime_misc.interp_fp_adjoint, wrt=("g", "x"))
def interp_fp_adjoint_(ct, ans, g, x, xp, left=None, right=None):
    """fp's cotangent sum_i g_i w(x_i): its transpose in g is interp itself, its slope in x interp_slope."""
    return interp_values(x, xp, ct, left, right, like=g), g * interp_slope(x, xp, ct)


@jvp(runtime_misc.interp_fp_adjoint)
def interp_fp_adjoint_jvp(g_dot, x_dot, ans, g, x, xp, left=None, right=None):
    return interp_fp_adjoint(g_dot, x, xp, left, right), interp_slope_adjoint(g * x_dot, x, xp)


@vjp(np.polyval, shapes=((4,), (2, 3)))
def polyval(g, ans, p, x):
    """Linear in p (x's powers), and in x the derivative polynomial's value."""
    return np.matmul(np.ravel(broadcast_like(g, ans)), np.power(np.expand_dims(np.ravel(x), -1), np.arange(
        len(p) - 1, -1, -1, dtype=np.result_type(x)))), \
        unbroadcast(g * np.polyval(p[:-1] * np.arange(len(p) - 1, 0, -1, dtype=np.result_type(p)), x), x)


@jvp(np.polyval)
def polyval_jvp(p_dot, x_dot, ans, p, x):
    return broadcast_like(np.polyval(p_dot, x), ans), \
        x_dot * np.polyval(p[:-1] * np.arange(len(p) - 1, 0, -1, dtype=np.result_type(p)), x)


# -- finite differences ---------------------------------------------------------------------------------------


@linear(np.gradient)
def gradient(g, f, *varargs, axis=None, edge_order=1):
    """Linear in f (spacings carry no derivative): the stencil's transpose, per axis."""
    return gradient_adjoint(g, f, varargs, axis, edge_order)


@linear(runtime_misc.gradient_adjoint)
def gradient_adjoint_(ct, g, f, varargs=(), axis=None, edge_order=1):
    return gradient_of(ct, f, varargs, axis, edge_order)


@linear(runtime_misc.gradient_of)
def gradient_of_(ct, t, f, varargs=(), axis=None, edge_order=1):
    return gradient_adjoint(ct, f, varargs, axis, edge_order)


# -- joining, selecting, reordering ---------------------------------------------------------------------------


@linear(np.append, wrt=("arr", "values"))
def append(g, arr, values, axis=None):
    """np.concatenate of the two (flattened when axis is None): g cut back into them."""
    return np.reshape(np.take(g, np.arange(append_count(arr, axis)), axis), np.shape(arr)), \
        np.reshape(np.take(g, np.arange(append_count(arr, axis), append_count(g, axis)), axis), np.shape(values))


@linear(np.select, wrt=("choicelist", "default"))
def select(g, condlist, choicelist, default=0):
    """Each entry from the first choice whose condition holds, else the default."""
    return np.where(select_masks(condlist, g)[:-1], g, 0.0), \
        unbroadcast(np.where(select_masks(condlist, g)[-1], g, 0.0), default)


@vjp(np.partition, wrt=("a",))
def partition(g, ans, a, kth, axis=-1, kind="introselect", order=None):
    """The entries taken in np.argpartition's order (tied values: one of them, as NumPy picks)."""
    return take_along_axis_adjoint(g, a, np.argpartition(a, kth, axis), axis)


@jvp(np.partition)
def partition_jvp(a_dot, ans, a, kth, axis=-1, kind="introselect", order=None):
    return np.take_along_axis(a_dot, np.argpartition(a, kth, axis), axis)


@linear(np.rollaxis)
def rollaxis(g, a, axis, start=0):
    return rollaxis_adjoint(g, a, axis, start)


@linear(runtime_misc.rollaxis_adjoint)
def rollaxis_adjoint_(ct, g, a, axis, start=0):
    return np.rollaxis(ct, axis, start)


@linear(np.real_if_close, shapes=((2, 3),))
def real_if_close(g, a, tol=100):
    """Real input: the identity."""
    return g


@vjp(builtins.sorted, wrt=("iterable",))
def sorted_(g, ans, iterable, key=None, reverse=False):
    """A 1-D array or list of floats, no key: a permutation (ties share, as np.sort's)."""
    return sorted_adjoint(g, iterable, reverse, key)


@jvp(builtins.sorted)
def sorted_jvp(iterable_dot, ans, iterable, key=None, reverse=False):
    return sorted_tangent(iterable_dot, iterable, reverse, key)


@linear(runtime_misc.sorted_tangent)
def sorted_tangent_(ct, t, x, reverse=False, key=None):
    return sorted_adjoint(ct, x, reverse, key)


@linear(runtime_misc.sorted_adjoint)
def sorted_adjoint_(ct, g, x, reverse=False, key=None):
    return np.stack(sorted_tangent(ct, x, reverse, key))


nondiff(np.angle, np.argpartition, runtime_misc.select_masks, runtime_misc.append_count)
