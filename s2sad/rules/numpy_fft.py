"""np.fft's transforms and the functions that take complex values (abs, real, imag, conj, angle), under
JAX's convention: a cotangent c pairs with a tangent v as Re(c * v), with no conjugate (docs/complex.md).

Then a holomorphic rule is its real rule unchanged (w = f(z): z_bar = w_bar * f'(z)), and the DFT is a
symmetric matrix, so fft's adjoint is fft. What is not holomorphic (abs, real, imag, conj, angle) has a
*complex variant* (`COMPLEX_VARIANTS`), which `s2sad/complex_values.py` puts in place of the real rule at
the calls whose operand may be complex; the real rules stay as they were for real operands.
`COMPLEX_SAFE` lists the other rules known right on complex values; any other rule meeting a value that
may be complex is refused at the user's line. Helpers: `s2sad/runtime_fft.py`.
"""

import numpy as np

from .. import runtime, runtime_fft
from ..registry import COMPLEX_VARIANTS, RULES, elementwise, jvp, linear, nondiff, vjp
from ..runtime_fft import (
    angle_unit,
    fft_adjoint,
    ifft_adjoint,
    irfft_adjoint,
    nonzero,
    real_like,
    rfft_adjoint,
)

# -- the transforms: linear, so forward mode applies them to the tangent --------------------------------


@linear(np.fft.fft)
def fft(g, a, n=None, axis=-1, norm=None):
    return fft_adjoint(g, a, n, axis, norm)


@linear(np.fft.ifft)
def ifft(g, a, n=None, axis=-1, norm=None):
    return ifft_adjoint(g, a, n, axis, norm)


@linear(np.fft.rfft)
def rfft(g, a, n=None, axis=-1, norm=None):
    """a is real (a complex a is refused: rfft drops its imaginary part)."""
    return rfft_adjoint(g, a, n, axis, norm)


@linear(np.fft.irfft)
def irfft(g, a, n=None, axis=-1, norm=None):
    return irfft_adjoint(g, a, n, axis, norm)


# -- their adjoints, for second derivatives: each the transpose of the other ----------------------------


@linear(runtime_fft.fft_adjoint)
def fft_adjoint_(ct, g, x, n=None, axis=-1, norm=None):
    return np.fft.fft(real_like(ct, x), n, axis, norm)


@linear(runtime_fft.ifft_adjoint)
def ifft_adjoint_(ct, g, x, n=None, axis=-1, norm=None):
    return np.fft.ifft(real_like(ct, x), n, axis, norm)


@linear(runtime_fft.rfft_adjoint)
def rfft_adjoint_(ct, g, x, n=None, axis=-1, norm=None):
    return np.fft.rfft(np.real(ct), n, axis, norm)


@linear(runtime_fft.irfft_adjoint)
def irfft_adjoint_(ct, g, w, n=None, axis=-1, norm=None):
    return np.fft.irfft(ct, n, axis, norm)


@linear(runtime_fft.real_like, shapes=((2, 3), (2, 3)))
def real_like_(ct, g, x):
    """Re(g) for a real x: a real output, whose cotangent's real part is all that pairs with a tangent."""
    return real_like(ct, x)


@elementwise(runtime_fft.nonzero, domain="nonzero")
def nonzero_(a):
    return np.where(np.equal(a, 0), 0, np.ones_like(a))


@vjp(np.ndarray.real)
def real_field(g, ans, self):
    """`x.real` of a real x: the identity (a complex x takes np.real's complex variant)."""
    return runtime.real_cotangent(g, self, ".real")


@jvp(np.ndarray.real)
def real_field_jvp(self_dot, ans, self):
    return np.real(self_dot)


# -- the complex variants of abs, real, imag, conj and angle -------------------------------------------


def _variant(prims, stand_in):
    """Move the rule registered for `stand_in` to COMPLEX_VARIANTS under each of prims."""
    rule = RULES.pop(stand_in)
    for prim in prims:
        COMPLEX_VARIANTS[prim] = rule


def complex_abs(x):
    return np.abs(x)


@vjp(complex_abs)
def complex_abs_vjp(g, ans, x):
    """|z| = sqrt(z conj(z)): d|z| = Re(conj(z) dz) / |z|, so z_bar = Re(g) conj(z) / |z| (0 at z = 0)."""
    return real_like(g, ans) * np.conj(x) / nonzero(ans)


@jvp(complex_abs)
def complex_abs_jvp(x_dot, ans, x):
    return real_like(x_dot * np.conj(x) / nonzero(ans), ans)


def complex_real(val):
    return np.real(val)


@vjp(complex_real)
def complex_real_vjp(g, ans, val):
    """Re(c Re(dz)) = Re(Re(c) dz): z_bar = Re(c)."""
    return real_like(g, ans)


@jvp(complex_real)
def complex_real_jvp(val_dot, ans, val):
    return np.real(val_dot)


def complex_imag(val):
    return np.imag(val)


@vjp(complex_imag)
def complex_imag_vjp(g, ans, val):
    """Re(c Im(dz)) = Re(-i Re(c) dz): z_bar = -i Re(c)."""
    return -1j * real_like(g, ans)


@jvp(complex_imag)
def complex_imag_jvp(val_dot, ans, val):
    return np.imag(val_dot)


def complex_conj(x):
    return np.conj(x)


@vjp(complex_conj)
def complex_conj_vjp(g, ans, x):
    """Re(c conj(dz)) = Re(conj(c) dz): z_bar = conj(c)."""
    return np.conj(g)


@jvp(complex_conj)
def complex_conj_jvp(x_dot, ans, x):
    return np.conj(x_dot)


def complex_angle(z, deg=False):
    return np.angle(z, deg)


@vjp(complex_angle, wrt=("z",))
def complex_angle_vjp(g, ans, z, deg=False):
    """d angle(z) = Im(conj(z) dz) / |z|^2 = Re(-i conj(z) dz) / |z|^2: z_bar = -i Re(c) conj(z) / |z|^2."""
    return -1j * real_like(g, ans) * angle_unit(deg) * np.conj(z) / nonzero(np.real(z * np.conj(z)))


@jvp(complex_angle)
def complex_angle_jvp(z_dot, ans, z, deg=False):
    return angle_unit(deg) * np.imag(np.conj(z) * z_dot) / nonzero(np.real(z * np.conj(z)))


nondiff(angle_unit, runtime_fft.real_arguments)
_variant((np.abs, np.absolute), complex_abs)
_variant((np.real,), complex_real)
_variant((np.imag,), complex_imag)
_variant((np.conj, np.conjugate, np.ndarray.conj, np.ndarray.conjugate), complex_conj)
_variant((np.angle,), complex_angle)

# -- the rules that are right on complex values as they are (holomorphic, or linear over the complex) ----


def mark_complex_safe():
    """Mark the rules known right on complex values (`Rule.complex_safe`), once every family is registered."""
    import operator

    safe = (
        operator.add, operator.sub, operator.mul, operator.truediv, operator.neg, operator.pos, operator.pow,
        operator.matmul, operator.getitem,
        np.add, np.subtract, np.multiply, np.divide, np.true_divide, np.negative, np.positive, np.square,
        np.sqrt, np.exp, np.log, np.sin, np.cos, np.reciprocal, np.power,
        np.sum, np.ndarray.sum, np.mean, np.ndarray.mean, np.reshape, np.ndarray.reshape, np.matmul, np.dot,
        np.fft.fft, np.fft.ifft, np.fft.irfft, np.tanh, np.array, np.asarray, np.transpose, np.ndarray.T,
        np.concatenate, np.stack, np.roll, np.flip, np.cumsum, np.expand_dims, np.moveaxis, np.swapaxes,
        runtime.split_like, runtime.cumsum_adjoint, runtime.part, runtime.sequence, runtime.spread_zero,
        runtime_fft.fft_adjoint, runtime_fft.ifft_adjoint, runtime_fft.rfft_adjoint, runtime_fft.irfft_adjoint,
        runtime_fft.real_like, runtime.unbroadcast, runtime.broadcast_like, runtime.sum_adjoint, runtime.mean_adjoint,
        runtime.scatter, runtime.scatter_add, runtime.pow_base_partial, runtime.times_partial,
        runtime.times_partial_scalar, runtime.matmul_adjoint_a, runtime.matmul_adjoint_b,
    )
    # checked on complex arguments along real and imaginary directions by tests/test_rules_complex.py
    checked = (
        np.tan, np.sinh, np.cosh, np.arctan, np.arcsinh, np.log10, np.log2, np.log1p, np.expm1, np.exp2,
        np.float_power, np.ravel, np.ndarray.ravel, np.squeeze, np.diag, np.diagonal, np.trace, np.outer, np.inner,
        np.tensordot, np.einsum, np.kron, np.tile, np.repeat, np.tril, np.triu, np.hstack, np.vstack,
        np.column_stack, np.dstack, np.fliplr, np.flipud, np.rot90, np.rollaxis, np.broadcast_to, np.atleast_1d,
        np.atleast_2d, np.copy, np.ascontiguousarray, np.full_like, np.diff, np.pad, np.take, np.take_along_axis,
        np.split, np.append, np.cumprod, np.prod, np.cross, np.polyval, np.linalg.inv, np.linalg.solve,
        np.linalg.det, getattr(np, "matrix_transpose", None),
    )
    for prim in safe + tuple(p for p in checked if p is not None and p in RULES):
        RULES[prim].complex_safe = True
    for rule in COMPLEX_VARIANTS.values():
        rule.complex_safe = True
