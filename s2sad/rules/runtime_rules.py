"""Rules for the runtime helpers generated code calls, so derivatives can be differentiated again."""

import numpy as np

from .. import runtime
from ..registry import jvp, linear, vjp
from ..runtime import broadcast_like, matmul_adjoint_a, matmul_adjoint_b, unbroadcast


@linear(runtime.sequence)
def sequence(ct, xs):
    return ct


@linear(runtime.unbroadcast)
def unbroadcast_(ct, g, x):
    return broadcast_like(ct, g)


@linear(runtime.broadcast_like)
def broadcast_like_(ct, g, x):
    return unbroadcast(ct, g)


@linear(runtime.scatter)
def scatter(ct, g, x, index):
    return ct[index]


@linear(runtime.sum_adjoint)
def sum_adjoint(ct, g, x, axis=None, keepdims=False):
    return np.sum(ct, axis=axis, keepdims=keepdims)


@linear(runtime.mean_adjoint)
def mean_adjoint(ct, g, x, axis=None, keepdims=False):
    return np.mean(ct, axis=axis, keepdims=keepdims)


@vjp(runtime.matmul_adjoint_a, wrt=("g", "b"))
def matmul_adjoint_a_vjp(ct, ans, g, a, b):
    return np.matmul(ct, b), matmul_adjoint_b(g, ct, b)


@jvp(runtime.matmul_adjoint_a)
def matmul_adjoint_a_jvp(g_dot, b_dot, ans, g, a, b):
    return matmul_adjoint_a(g_dot, a, b), matmul_adjoint_a(g, a, b_dot)


@vjp(runtime.matmul_adjoint_b, wrt=("g", "a"))
def matmul_adjoint_b_vjp(ct, ans, g, a, b):
    return np.matmul(a, ct), matmul_adjoint_a(g, a, ct)


@jvp(runtime.matmul_adjoint_b)
def matmul_adjoint_b_jvp(g_dot, a_dot, ans, g, a, b):
    return matmul_adjoint_b(g_dot, a, b), matmul_adjoint_b(g, a_dot, b)
