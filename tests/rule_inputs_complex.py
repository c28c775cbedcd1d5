"""Calls of the NumPy rules that take complex values (complex-safe rules and the complex variants of abs, real,
imag, conj and angle: s2sad/rules/numpy_fft.py), each a function of complex arrays (and, where it says so, a
real one) for tests/test_rules_complex.py, which checks them in both modes against finite differences taken
along real and imaginary directions.

`CASES` holds (primitive, function, arguments); the arguments are drawn once, away from the branch cuts and
kinks (abs and angle at 0, log and sqrt on the negative real axis).
"""

import operator

import numpy as np

RNG = np.random.default_rng(20261206)


def _complex(*shape, lo=0.4, hi=1.5):
    """Values with real parts in [lo, hi] (right of the branch cuts) and imaginary parts in [-1, 1]."""
    return RNG.uniform(lo, hi, shape) + 1j * RNG.uniform(-1.0, 1.0, shape)


Z = _complex(3)
W = _complex(3)
M = _complex(2, 3)
S = _complex(3, 3)
X = RNG.uniform(-1.0, 1.0, 3)
H = _complex(4)            # a half spectrum of 6 points, for irfft
CASES = []


def case(prim, *args):
    """Register the function below as a call of prim with these arguments."""
    def register(fn):
        CASES.append((prim, fn, args))
        return fn
    return register


@case(operator.add, Z, W)
def op_add(z, w):
    return z + w * 2.0


@case(operator.sub, Z, X)
def op_sub_real(z, x):
    return z - x


@case(operator.mul, Z, W)
def op_mul(z, w):
    return z * w


@case(operator.mul, Z, X)
def op_mul_real(z, x):
    return (1.0 + 2.0j) * z * x


@case(operator.truediv, Z, W)
def op_truediv(z, w):
    return z / w


@case(operator.neg, Z)
def op_neg(z):
    return -z


@case(operator.pos, Z)
def op_pos(z):
    return +z * 1j


@case(operator.pow, Z)
def op_pow_int(z):
    return z ** 3


@case(operator.pow, Z)
def op_pow_fraction(z):
    return z ** 2.5


@case(operator.pow, Z, W)
def op_pow_both(z, w):
    return z ** w


@case(operator.matmul, S, Z)
def op_matmul(a, z):
    return a @ z


@case(operator.getitem, M)
def op_getitem(m):
    return m[1, 1:] * m[0, 0]


@case(np.add, Z, W)
def np_add(z, w):
    return np.add(z, w)


@case(np.subtract, Z, W)
def np_subtract(z, w):
    return np.subtract(z, w * 1j)


@case(np.multiply, M, Z)
def np_multiply_broadcast(m, z):
    return np.multiply(m, z)


@case(np.divide, Z, W)
def np_divide(z, w):
    return np.divide(z, w)


@case(np.true_divide, Z, X)
def np_true_divide_real(z, x):
    return np.true_divide(x, z)


@case(np.negative, Z)
def np_negative(z):
    return np.negative(z)


@case(np.positive, Z)
def np_positive(z):
    return np.positive(z) * z


@case(np.square, Z)
def np_square(z):
    return np.square(z)


@case(np.sqrt, Z)
def np_sqrt(z):
    return np.sqrt(z)


@case(np.exp, Z)
def np_exp(z):
    return np.exp(z)


@case(np.log, Z)
def np_log(z):
    return np.log(z)


@case(np.sin, Z)
def np_sin(z):
    return np.sin(z)


@case(np.cos, Z)
def np_cos(z):
    return np.cos(z)


@case(np.tanh, Z)
def np_tanh(z):
    return np.tanh(z)


@case(np.reciprocal, Z)
def np_reciprocal(z):
    return np.reciprocal(z)


@case(np.power, Z, W)
def np_power(z, w):
    return np.power(z, w)


@case(np.sum, M)
def np_sum_axis(m):
    return np.sum(m, axis=0)


@case(np.ndarray.sum, M)
def method_sum(m):
    return m.sum() * m[0]


@case(np.mean, M)
def np_mean(m):
    return np.mean(m, axis=1)


@case(np.ndarray.mean, M)
def method_mean(m):
    return m.mean(axis=0)


@case(np.reshape, M)
def np_reshape(m):
    return np.reshape(m, (3, 2)) * 2.0


@case(np.ndarray.reshape, M)
def method_reshape(m):
    return m.reshape(6)


@case(np.matmul, M, S)
def np_matmul(m, s):
    return np.matmul(m, s)


@case(np.dot, Z, W)
def np_dot(z, w):
    return np.dot(z, w)


@case(np.dot, S, X)
def np_dot_real(s, x):
    return np.dot(s, x)


@case(np.fft.fft, Z)
def fft_of_complex(z):
    return np.fft.fft(z, n=4)


@case(np.fft.ifft, M)
def ifft_of_complex(m):
    return np.fft.ifft(m, axis=0, norm="ortho")


@case(np.fft.irfft, H)
def irfft_of_complex(h):
    return np.fft.irfft(h, n=6)


@case(np.array, Z)
def np_array(z):
    return np.array([z[0], z[2] * 2.0, 1.0])


@case(np.asarray, Z)
def np_asarray(z):
    return np.asarray(z) * z


@case(np.transpose, M)
def np_transpose(m):
    return np.transpose(m)


@case(np.ndarray.T, M)
def array_t(m):
    return m.T @ m[:, 0]


@case(np.concatenate, Z, M)
def np_concatenate(z, m):
    return np.concatenate([z, m[1], z * 1j])


@case(np.stack, Z, W)
def np_stack(z, w):
    return np.stack([z, w], axis=1)


@case(np.roll, Z)
def np_roll(z):
    return np.roll(z, 1)


@case(np.flip, M)
def np_flip(m):
    return np.flip(m, axis=1)


@case(np.cumsum, M)
def np_cumsum(m):
    return np.cumsum(m, axis=1)


@case(np.expand_dims, Z)
def np_expand_dims(z):
    return np.expand_dims(z, 0) * M


@case(np.moveaxis, M)
def np_moveaxis(m):
    return np.moveaxis(m, 0, 1)


@case(np.swapaxes, M)
def np_swapaxes(m):
    return np.swapaxes(m, 0, 1)


@case(np.abs, Z)
def np_abs(z):
    return np.abs(z)


@case(np.absolute, M)
def np_absolute(m):
    return np.absolute(m) * 2.0


@case(np.real, Z)
def np_real(z):
    return np.real(z * z)


@case(np.ndarray.real, Z)
def field_real(z):
    return z.real * 3.0


@case(np.imag, Z)
def np_imag(z):
    return np.imag(z * z)


@case(np.ndarray.imag, Z)
def field_imag(z):
    return z.imag


@case(np.conj, Z)
def np_conj(z):
    return np.conj(z) * z


@case(np.conjugate, Z, W)
def np_conjugate(z, w):
    return np.conjugate(z) * w


@case(np.ndarray.conj, Z)
def method_conj(z):
    return z.conj() * np.sin(z)


@case(np.ndarray.conjugate, M)
def method_conjugate(m):
    return m.conjugate().T


@case(np.angle, Z)
def np_angle(z):
    return np.angle(z)


@case(np.angle, Z)
def np_angle_deg(z):
    return np.angle(z * 1j, deg=True)


# -- rules marked complex-safe with these cases (holomorphic, or linear over the complex numbers) ---------

S2 = S + 3.0 * np.eye(3)   # well conditioned, for inv, solve and det


@case(np.tan, Z)
def tan(z):
    return np.tan(z * 0.5)


@case(np.sinh, Z)
def sinh(z):
    return np.sinh(z)


@case(np.cosh, Z)
def cosh(z):
    return np.cosh(z)


@case(np.arctan, Z)
def arctan(z):
    return np.arctan(z * 0.5)


@case(np.arcsinh, Z)
def arcsinh(z):
    return np.arcsinh(z * 0.5)


@case(np.log10, Z)
def log10(z):
    return np.log10(z)


@case(np.log2, Z)
def log2(z):
    return np.log2(z)


@case(np.log1p, Z)
def log1p(z):
    return np.log1p(z)


@case(np.expm1, Z)
def expm1(z):
    return np.expm1(z)


@case(np.exp2, Z)
def exp2(z):
    return np.exp2(z)


@case(np.ravel, M)
def ravel(m):
    return np.ravel(m)


@case(np.ndarray.ravel, M)
def mravel(m):
    return m.ravel()


@case(np.squeeze, Z)
def squeeze(z):
    return np.squeeze(z[None, :])


@case(np.diag, S)
def diag(s):
    return np.diag(s)


@case(np.diag, Z)
def diag_make(z):
    return np.diag(z)


@case(np.diagonal, S)
def diagonal(s):
    return np.diagonal(s)


@case(np.trace, S)
def trace(s):
    return np.trace(s)


@case(np.outer, Z, W)
def outer(z, w):
    return np.outer(z, w)


@case(np.inner, Z, W)
def inner(z, w):
    return np.inner(z, w)


@case(np.tensordot, M, S)
def tensordot(m, s):
    return np.tensordot(m, s, axes=1)


@case(np.einsum, M, S)
def einsum(m, s):
    return np.einsum("ij,jk->ik", m, s)


@case(np.kron, Z, W)
def kron(z, w):
    return np.kron(z, w)


@case(np.tile, Z)
def tile(z):
    return np.tile(z, 2)


@case(np.repeat, Z)
def repeat(z):
    return np.repeat(z, 2)


@case(np.tril, S)
def tril(s):
    return np.tril(s)


@case(np.triu, S)
def triu(s):
    return np.triu(s, 1)


@case(np.hstack, Z, W)
def hstack(z, w):
    return np.hstack([z, w])


@case(np.vstack, Z, W)
def vstack(z, w):
    return np.vstack([z, w])


@case(np.column_stack, Z, W)
def column_stack(z, w):
    return np.column_stack([z, w])


@case(np.fliplr, M)
def fliplr(m):
    return np.fliplr(m)


@case(np.flipud, M)
def flipud(m):
    return np.flipud(m)


@case(np.rot90, M)
def rot90(m):
    return np.rot90(m)


@case(np.broadcast_to, Z)
def broadcast_to(z):
    return np.broadcast_to(z, (2, 3))


@case(np.atleast_2d, Z)
def atleast_2d(z):
    return np.atleast_2d(z)


@case(np.copy, Z)
def copy(z):
    return np.copy(z) * 2.0


@case(np.diff, Z)
def diff(z):
    return np.diff(z)


@case(np.pad, Z)
def pad(z):
    return np.pad(z, 1)


@case(np.take, Z)
def take(z):
    return np.take(z, [2, 0])


@case(np.cumprod, Z)
def cumprod(z):
    return np.cumprod(z)


@case(np.prod, Z)
def prod(z):
    return np.prod(z)


@case(np.append, Z, W)
def append(z, w):
    return np.append(z, w)


@case(np.cross, Z, W)
def cross(z, w):
    return np.cross(z, w)


@case(np.linalg.inv, S2)
def inv(s):
    return np.linalg.inv(s)


@case(np.linalg.solve, S2, Z)
def solve(s, z):
    return np.linalg.solve(s, z)


@case(np.linalg.det, S2)
def det(s):
    return np.linalg.det(s)


@case(np.polyval, Z, W)
def polyval(p, z):
    return np.polyval(p, z)


@case(np.split, M)
def split(m):
    return np.split(m, 3, axis=1)[1]


@case(np.matrix_transpose, M)
def mt(m):
    return np.matrix_transpose(m)


@case(np.float_power, Z)
def float_power(z):
    return np.float_power(z, 2.0)


@case(np.rollaxis, M)
def rollaxis(m):
    return np.rollaxis(m, 1)


@case(np.dstack, Z, W)
def dstack(z, w):
    return np.dstack([z, w])


@case(np.atleast_1d, Z)
def atleast_1d(z):
    return np.atleast_1d(z)


@case(np.ascontiguousarray, M)
def asc(m):
    return np.ascontiguousarray(m.T)


@case(np.full_like, Z)
def full_like(z):
    return np.full_like(z, 2.0) * z


@case(np.take_along_axis, M)
def tal(m):
    return np.take_along_axis(m, np.array([[0, 2], [1, 1]]), axis=1)
