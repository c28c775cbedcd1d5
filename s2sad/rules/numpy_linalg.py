"""Products and linear algebra. Bilinear products differentiate each factor with the other held fixed.

Matrix functions work on stacks of matrices (the last two axes), as NumPy's do.
"""

import numpy as np

from .. import factored, runtime
from .. import runtime_taylor_special as rts
from ..registry import bilinear, jvp, linear, nondiff, residuals, vjp
from ..runtime import (
    dot_adjoint_a,
    dot_adjoint_b,
    einsum_adjoint,
    einsum_subscripts,
    einsum_with,
    inner_adjoint_a,
    inner_adjoint_b,
    kron_adjoint_a,
    kron_adjoint_b,
    lower_factor,
    matmul_adjoint_a,
    matmul_adjoint_b,
    part,
    phi,
    sym_lower,
    sym_lower_adjoint,
    tensordot_adjoint_a,
    tensordot_adjoint_b,
    trace_adjoint,
)


def _numpy2(*names):
    """The functions of these dotted names that this NumPy has (NumPy 2 added the array API's)."""
    found = []
    for name in names:
        obj = np
        for attr in name.split("."):
            obj = getattr(obj, attr, None)
        if obj is not None:
            found.append(obj)
    return found


# -- products: bilinear, one line each (registry.bilinear derives both modes, the adjoints' rules and jet's) --

bilinear(np.matmul, *_numpy2("linalg.matmul"), adjoints=(matmul_adjoint_a, matmul_adjoint_b),
         shapes=((2, 3, 4), (4, 2)), batched="product", shape="matmul")
bilinear(np.dot, np.ndarray.dot, adjoints=(dot_adjoint_a, dot_adjoint_b), shapes=((2, 3), (3, 4)),
         batched="product", shape="matmul")
bilinear(np.vdot, adjoints=(runtime.vdot_adjoint_a, runtime.vdot_adjoint_b), shapes=((2, 3), (6,)))
bilinear(np.inner, adjoints=(inner_adjoint_a, inner_adjoint_b), shapes=((2, 3), (4, 3)))
bilinear(np.outer, adjoints=(runtime.outer_adjoint_a, runtime.outer_adjoint_b), shapes=((2, 3), (4,)))
bilinear(np.tensordot, adjoints=(tensordot_adjoint_a, tensordot_adjoint_b), shapes=((2, 3, 4), (3, 4, 5)))
bilinear(np.kron, adjoints=(kron_adjoint_a, kron_adjoint_b), shapes=((2, 3), (3, 2)))
bilinear(np.cross, adjoints=(runtime.cross_adjoint_a, runtime.cross_adjoint_b), shapes=((4, 3), (3,)))
bilinear(*_numpy2("vecdot", "linalg.vecdot"), adjoints=(runtime.vecdot_adjoint_a, runtime.vecdot_adjoint_b),
         shapes=((2, 3), (3,)))
# NumPy 2's array-API spellings that differ from the functions above: their adjoints' entries are those above
bilinear(*_numpy2("linalg.outer"), adjoints=(runtime.outer_adjoint_a, runtime.outer_adjoint_b), shapes=((3,), (4,)),
         adjoint_rules=False)
bilinear(*_numpy2("linalg.tensordot"), adjoints=(tensordot_adjoint_a, tensordot_adjoint_b),
         shapes=((2, 3, 4), (3, 4, 5)), adjoint_rules=False)


@vjp(np.einsum, wrt=("subscripts", "a", "b", "c", "d"), taylor="bilinear")
def einsum(g, ans, subscripts, a, b=None, c=None, d=None):
    """Subscripts with or without `->`, `...` included; up to four operands. The sublist form with
    literal sublists is rewritten to this one when normalizing; an active first argument is an
    operand of a sublist form that could not be, and fails loudly (einsum_subscripts)."""
    return einsum_subscripts(subscripts), \
        einsum_adjoint(g, subscripts, (a, b, c, d), 0), einsum_adjoint(g, subscripts, (a, b, c, d), 1), \
        einsum_adjoint(g, subscripts, (a, b, c, d), 2), einsum_adjoint(g, subscripts, (a, b, c, d), 3)


@jvp(np.einsum)
def einsum_jvp(subscripts_dot, a_dot, b_dot, c_dot, d_dot, ans, subscripts, a, b=None, c=None, d=None):
    return einsum_subscripts(subscripts), \
        einsum_with(subscripts, (a, b, c, d), 0, a_dot), einsum_with(subscripts, (a, b, c, d), 1, b_dot), \
        einsum_with(subscripts, (a, b, c, d), 2, c_dot), einsum_with(subscripts, (a, b, c, d), 3, d_dot)


@linear(np.trace, np.ndarray.trace, shapes=((3, 4),))
def trace(g, a, offset=0, axis1=0, axis2=1):
    return trace_adjoint(g, a, offset, axis1, axis2)


# -- matrix functions ------------------------------------------------------------


@vjp(np.linalg.solve, runtime.solve)
def solve(g, ans, a, b):
    """x = solve(a, b): b's cotangent solves with a transposed; a's is minus that times x transposed.

    The rules solve and invert with `runtime.solve` / `runtime.inv`, which use a triangular or
    symmetric positive definite matrix's structure (the same values, faster)."""
    return -matmul_adjoint_a(runtime.solve(np.swapaxes(a, -1, -2), g), a, ans), \
        runtime.solve(np.swapaxes(a, -1, -2), g)


@jvp(np.linalg.solve, runtime.solve)
def solve_jvp(a_dot, b_dot, ans, a, b):
    return -runtime.solve(a, np.matmul(a_dot, ans)), runtime.solve(a, b_dot)


@vjp(np.linalg.inv, runtime.inv, domain="matrix", shapes=((3, 3),))
def inv(g, ans, a):
    return -np.matmul(np.swapaxes(ans, -1, -2), np.matmul(g, np.swapaxes(ans, -1, -2)))


@jvp(np.linalg.inv, runtime.inv)
def inv_jvp(a_dot, ans, a):
    return -np.matmul(ans, np.matmul(a_dot, ans))


@vjp(np.linalg.det, domain="matrix", shapes=((3, 3),), taylor=rts.det)
def det(g, ans, a):
    """Through the inverse: not defined at singular matrices."""
    return np.expand_dims(g * ans, (-2, -1)) * np.swapaxes(runtime.inv(a), -1, -2)


@jvp(np.linalg.det)
def det_jvp(a_dot, ans, a):
    return ans * np.trace(runtime.solve(a, a_dot), axis1=-2, axis2=-1)


@vjp(np.linalg.slogdet, domain="matrix", shapes=((3, 3),))
def slogdet(g, ans, a):
    """(sign, log|det|): the sign is piecewise constant, so only g[1] flows back."""
    return np.expand_dims(g[1], (-2, -1)) * np.swapaxes(runtime.inv(a), -1, -2)


@jvp(np.linalg.slogdet)
def slogdet_jvp(a_dot, ans, a):
    return np.zeros_like(ans[0]), np.trace(runtime.solve(a, a_dot), axis1=-2, axis2=-1)


@vjp(np.linalg.cholesky, wrt=("a",), domain="spd", shapes=((3, 3),))
def cholesky(g, ans, a, upper=False):
    """L = cholesky(a) reads one triangle of a only (sym_lower), so a's cotangent is triangular too.

    sym_lower_adjoint(L^-T phi(L^T g) L^-1) for L = lower_factor(ans, upper); upper=True transposes."""
    return lower_factor(sym_lower_adjoint(runtime.solve(
        np.swapaxes(lower_factor(ans, upper), -1, -2), np.swapaxes(runtime.solve(
            np.swapaxes(lower_factor(ans, upper), -1, -2),
            np.swapaxes(phi(np.matmul(np.swapaxes(lower_factor(ans, upper), -1, -2), lower_factor(g, upper))), -1, -2)),
            -1, -2))), upper)


@jvp(np.linalg.cholesky)
def cholesky_jvp(a_dot, ans, a, upper=False):
    """L phi(L^-1 S L^-T) with S = sym_lower(a_dot); upper=True transposes a_dot and the result."""
    return lower_factor(np.matmul(lower_factor(ans, upper), phi(runtime.solve(lower_factor(ans, upper), np.swapaxes(
        runtime.solve(lower_factor(ans, upper), sym_lower(lower_factor(a_dot, upper))), -1, -2)))), upper)


# -- rules with residuals (factored.py): reverse mode keeps the factor the primal made ---------------

residuals(np.linalg.solve, fwd=factored.solve_fwd,
          bwd={("a", "b"): factored.solve_bwd, ("a",): factored.solve_bwd_a, ("b",): factored.solve_bwd_b})
residuals(np.linalg.slogdet, fwd=factored.slogdet_fwd, bwd={("a",): factored.slogdet_bwd})
residuals(np.linalg.inv, fwd=factored.inv_fwd, bwd={("a",): factored.inv_bwd})
residuals(np.linalg.cholesky, fwd=factored.cholesky_fwd, bwd={("a",): factored.cholesky_bwd})

nondiff(factored.factorize)  # a cache of its matrix: what depends on it is differentiated in the matrix


@vjp(factored.factored_solve, wrt=("a", "b"))
def factored_solve(g, ans, res, a, b, transpose=False):
    """solve's rule for op(a) x = b, op(a) = a or a^T: the factor res of a is held fixed."""
    return lower_factor(-matmul_adjoint_a(factored.factored_solve(res, a, g, not transpose),
                                          lower_factor(a, transpose), ans), transpose), \
        factored.factored_solve(res, a, g, not transpose)


@jvp(factored.factored_solve)
def factored_solve_jvp(a_dot, b_dot, ans, res, a, b, transpose=False):
    return -factored.factored_solve(res, a, np.matmul(lower_factor(a_dot, transpose), ans), transpose), \
        factored.factored_solve(res, a, b_dot, transpose)


@vjp(factored.factored_inv, wrt=("a",))
def factored_inv(g, ans, res, a):
    return -np.matmul(np.swapaxes(ans, -1, -2), np.matmul(g, np.swapaxes(ans, -1, -2)))


@jvp(factored.factored_inv)
def factored_inv_jvp(a_dot, ans, res, a):
    return -np.matmul(ans, np.matmul(a_dot, ans))


@vjp(factored.factored_slogdet, wrt=("a",))
def factored_slogdet(g, ans, res, a):
    return np.expand_dims(part(g, 1), (-2, -1)) * np.swapaxes(factored.factored_inv(res, a), -1, -2)


@jvp(factored.factored_slogdet)
def factored_slogdet_jvp(a_dot, ans, res, a):
    return np.zeros_like(ans[0]), np.trace(factored.factored_solve(res, a, a_dot), axis1=-2, axis2=-1)


if hasattr(np, "matrix_transpose"):  # NumPy 2

    @linear(np.matrix_transpose, np.linalg.matrix_transpose, shapes=((2, 3, 4),))
    def matrix_transpose(g, x):
        return np.swapaxes(g, -1, -2)

    @linear(np.ndarray.mT)
    def mT(g, a):
        return np.swapaxes(g, -1, -2)
