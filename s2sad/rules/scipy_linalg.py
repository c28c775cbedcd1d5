"""scipy.linalg (registered only when SciPy imports): solve, solve_triangular, cho_factor / cho_solve,
det, inv, expm. The rules follow NumPy's (s2sad/rules/numpy_linalg.py); `overwrite_*` must be False.

cho_factor's result `(c, lower)` holds the factor in one triangle of c and, in the other, a's own
entries (LAPACK leaves them; SciPy 1.18 zeroes them instead, see runtime_scipy.cho_other): the
factor is differentiated through Cholesky's rule (reading the triangle of a that `lower` names),
the rest as a copy of a or as a constant zero.
"""

import numpy as np
import scipy.linalg

from .. import runtime, runtime_scipy
from ..registry import jvp, linear, nondiff, vjp
from ..runtime import broadcast_like, lower_factor, matmul_adjoint_a, part, phi, sym_lower, sym_lower_adjoint
from ..runtime_scipy import (
    cho_other,
    expm_frechet,
    expm_frechet2,
    flip_trans,
    general_solve,
    is_trans,
    lu_perm,
    triangle_of,
)


@vjp(scipy.linalg.solve, wrt=("a", "b"), domain="matrix")
def solve(g, ans, a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True, assume_a=None,
          transposed=False):
    """op(a) x = b, op(a) = a or a^T: as np.linalg.solve's rule."""
    return lower_factor(-matmul_adjoint_a(
        runtime.solve(np.swapaxes(lower_factor(a, general_solve(assume_a, transposed)), -1, -2), g),
        lower_factor(a, transposed), ans), transposed), \
        runtime.solve(np.swapaxes(lower_factor(a, general_solve(assume_a, transposed)), -1, -2), g)


@jvp(scipy.linalg.solve)
def solve_jvp(a_dot, b_dot, ans, a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
              assume_a=None, transposed=False):
    return -runtime.solve(lower_factor(a, general_solve(assume_a, transposed)),
                          np.matmul(lower_factor(a_dot, transposed), ans)), \
        runtime.solve(lower_factor(a, general_solve(assume_a, transposed)), b_dot)


@vjp(scipy.linalg.solve_triangular, wrt=("a", "b"))
def solve_triangular(g, ans, a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True):
    """op(T) x = b for T the triangle of a that `lower` names (its diagonal taken as ones when
    unit_diagonal): b's cotangent solves with op(T)^T, and only that triangle of a has one."""
    return triangle_of(-lower_factor(np.matmul(
        np.reshape(scipy.linalg.solve_triangular(a, g, flip_trans(trans), lower, unit_diagonal), (np.shape(a)[0], -1)),
        np.swapaxes(np.reshape(ans, (np.shape(a)[0], -1)), -1, -2)), is_trans(trans)), lower, unit_diagonal), \
        scipy.linalg.solve_triangular(a, g, flip_trans(trans), lower, unit_diagonal)


@jvp(scipy.linalg.solve_triangular)
def solve_triangular_jvp(a_dot, b_dot, ans, a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                         check_finite=True):
    return -scipy.linalg.solve_triangular(a, np.matmul(lower_factor(triangle_of(a_dot, lower, unit_diagonal),
                                                                    is_trans(trans)), ans),
                                          trans, lower, unit_diagonal), \
        scipy.linalg.solve_triangular(a, b_dot, trans, lower, unit_diagonal)


@linear(runtime_scipy.triangle_of, shapes=((3, 3),))
def triangle_of_(g, m, lower=False, unit_diagonal=False):
    return triangle_of(g, lower, unit_diagonal)


@vjp(scipy.linalg.det, domain="matrix", shapes=((3, 3),))
def det(g, ans, a, overwrite_a=False, check_finite=True):
    return np.expand_dims(g * ans, (-2, -1)) * np.swapaxes(runtime.inv(a), -1, -2)


@jvp(scipy.linalg.det)
def det_jvp(a_dot, ans, a, overwrite_a=False, check_finite=True):
    return ans * np.trace(runtime.solve(a, a_dot), axis1=-2, axis2=-1)


@vjp(scipy.linalg.inv, wrt=("a",), domain="matrix", shapes=((3, 3),))
def inv(g, ans, a, overwrite_a=False, check_finite=True, assume_a=None, lower=False):
    """The general inverse's rule (assume_a other than the general one: refused, as in solve)."""
    return -np.matmul(np.swapaxes(ans, -1, -2), np.matmul(g, np.swapaxes(lower_factor(
        ans, general_solve(assume_a, False)), -1, -2)))


@jvp(scipy.linalg.inv)
def inv_jvp(a_dot, ans, a, overwrite_a=False, check_finite=True, assume_a=None, lower=False):
    return -np.matmul(lower_factor(ans, general_solve(assume_a, False)), np.matmul(a_dot, ans))


@vjp(scipy.linalg.expm, shapes=((3, 3),))
def expm(g, ans, A):
    """The Fréchet derivative L(A, E); its transpose is L(A^T, .)."""
    return expm_frechet(np.swapaxes(A, -1, -2), g)


@jvp(scipy.linalg.expm)
def expm_jvp(A_dot, ans, A):
    return expm_frechet(A, A_dot)


@vjp(runtime_scipy.expm_frechet, wrt=("a", "e"), shapes=((3, 3), (3, 3)))
def expm_frechet_(ct, ans, a, e):
    """<C, D2 exp(A)[E, F]> = <D2 exp(A^T)[F^T, C], E>, D2 symmetric in its directions."""
    return expm_frechet2(np.swapaxes(a, -1, -2), np.swapaxes(e, -1, -2), ct), \
        expm_frechet(np.swapaxes(a, -1, -2), ct)


@jvp(runtime_scipy.expm_frechet)
def expm_frechet_jvp(a_dot, e_dot, ans, a, e):
    return expm_frechet2(a, a_dot, e), expm_frechet(a, e_dot)


# -- Cholesky: cho_factor's (c, lower) and cho_solve -------------------------------------------------------


@vjp(scipy.linalg.cho_factor, wrt=("a",))
def cho_factor(g, ans, a, lower=False, overwrite_a=False, check_finite=True):
    """L = tril(op(c)) with op the transpose for lower=False: Cholesky's adjoint for the factor's
    triangle of c (NumPy's rule), the identity for the other triangle."""
    return lower_factor(sym_lower_adjoint(runtime.solve(
        np.swapaxes(np.tril(lower_factor(ans[0], not lower)), -1, -2), np.swapaxes(runtime.solve(
            np.swapaxes(np.tril(lower_factor(ans[0], not lower)), -1, -2),
            np.swapaxes(phi(np.matmul(np.swapaxes(np.tril(lower_factor(ans[0], not lower)), -1, -2),
                                      np.tril(lower_factor(broadcast_like(part(g, 0), ans[0]), not lower)))), -1, -2)),
            -1, -2))), not lower) \
        + cho_other(broadcast_like(part(g, 0), ans[0]), lower)


@jvp(scipy.linalg.cho_factor)
def cho_factor_jvp(a_dot, ans, a, lower=False, overwrite_a=False, check_finite=True):
    return (lower_factor(np.matmul(np.tril(lower_factor(ans[0], not lower)), phi(runtime.solve(
        np.tril(lower_factor(ans[0], not lower)), np.swapaxes(runtime.solve(
            np.tril(lower_factor(ans[0], not lower)), sym_lower(lower_factor(a_dot, not lower))), -1, -2)))), not lower)
            + cho_other(a_dot, lower), 0.0)


@vjp(scipy.linalg.cho_solve, wrt=("c_and_lower", "b"))
def cho_solve(g, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    """(L L^T) x = b, L = tril(op(c)): b's cotangent solves again; L's is -(b_bar x^T + x b_bar^T) L,
    placed in c's triangle (the other triangle of c and `lower` have none)."""
    return (lower_factor(np.tril(-np.matmul(
        np.matmul(np.reshape(scipy.linalg.cho_solve(c_and_lower, g), (np.shape(b)[0], -1)),
                  np.swapaxes(np.reshape(ans, (np.shape(b)[0], -1)), -1, -2))
        + np.matmul(np.reshape(ans, (np.shape(b)[0], -1)),
                    np.swapaxes(np.reshape(scipy.linalg.cho_solve(c_and_lower, g), (np.shape(b)[0], -1)), -1, -2)),
        np.tril(lower_factor(c_and_lower[0], not c_and_lower[1])))), not c_and_lower[1]), 0.0), \
        scipy.linalg.cho_solve(c_and_lower, g)


@jvp(scipy.linalg.cho_solve)
def cho_solve_jvp(c_and_lower_dot, b_dot, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    """d(L L^T) = dL L^T + L dL^T with dL = tril(op(dc))."""
    return -scipy.linalg.cho_solve(c_and_lower, np.matmul(
        np.tril(lower_factor(part(c_and_lower_dot, 0), not c_and_lower[1])),
        np.matmul(np.swapaxes(np.tril(lower_factor(c_and_lower[0], not c_and_lower[1])), -1, -2), ans))
        + np.matmul(np.tril(lower_factor(c_and_lower[0], not c_and_lower[1])), np.matmul(
            np.swapaxes(np.tril(lower_factor(part(c_and_lower_dot, 0), not c_and_lower[1])), -1, -2), ans))), \
        scipy.linalg.cho_solve(c_and_lower, b_dot)


nondiff(runtime_scipy.flip_trans, runtime_scipy.is_trans, runtime_scipy.general_solve)


# -- LU: lu_factor's (lu, piv) and lu_solve. a[perm] = L U with L = tril(lu, -1) + I, U = triu(lu) -----------


@vjp(scipy.linalg.lu_factor, wrt=("a",))
def lu_factor(g, ans, a, overwrite_a=False, check_finite=True):
    """X = L^-1 da[perm] U^-1 gives dL = L tril(X, -1), dU = triu(X) U; transposed:
    X_bar = tril(L^T tril(g, -1), -1) + triu(triu(g) U^T), a_bar[perm] = L^-T X_bar U^-T."""
    return np.take(runtime.solve(np.swapaxes(np.tril(ans[0], -1)
                                             + np.eye(np.shape(a)[-1], dtype=np.result_type(ans[0])), -1, -2),
                                 np.swapaxes(runtime.solve(np.triu(ans[0]), np.swapaxes(
                                     np.tril(np.matmul(np.swapaxes(np.tril(ans[0], -1), -1, -2)
                                                       + np.eye(np.shape(a)[-1], dtype=np.result_type(ans[0])),
                                                       np.tril(broadcast_like(part(g, 0), ans[0]), -1)), -1)
                                     + np.triu(np.matmul(np.triu(broadcast_like(part(g, 0), ans[0])),
                                                         np.swapaxes(np.triu(ans[0]), -1, -2))), -1, -2)), -1, -2)),
                   np.argsort(lu_perm(ans[1])), axis=0)


@jvp(scipy.linalg.lu_factor)
def lu_factor_jvp(a_dot, ans, a, overwrite_a=False, check_finite=True):
    return (np.matmul(np.tril(ans[0], -1) + np.eye(np.shape(a)[-1], dtype=np.result_type(ans[0])), np.tril(
        runtime.solve(np.tril(ans[0], -1) + np.eye(np.shape(a)[-1], dtype=np.result_type(ans[0])), np.swapaxes(
            runtime.solve(np.swapaxes(np.triu(ans[0]), -1, -2), np.swapaxes(np.take(a_dot, lu_perm(ans[1]), axis=0),
                                                                           -1, -2)), -1, -2)), -1))
            + np.matmul(np.triu(runtime.solve(
                np.tril(ans[0], -1) + np.eye(np.shape(a)[-1], dtype=np.result_type(ans[0])), np.swapaxes(
                    runtime.solve(np.swapaxes(np.triu(ans[0]), -1, -2),
                                  np.swapaxes(np.take(a_dot, lu_perm(ans[1]), axis=0), -1, -2)), -1, -2))),
                np.triu(ans[0])), np.zeros_like(ans[1]))


@vjp(scipy.linalg.lu_solve, wrt=("lu_and_piv", "b"))
def lu_solve(g, ans, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """op(a) x = b with a[perm] = L U: b's cotangent solves with op(a)^T; with A_bar = -(b_bar x^T)
    (transposed for trans=1) and P = A_bar[perm], lu's is tril(P U^T, -1) + triu(L^T P)."""
    return (np.tril(np.matmul(np.take(-lower_factor(np.matmul(
        np.reshape(scipy.linalg.lu_solve(lu_and_piv, g, flip_trans(trans)), (np.shape(b)[0], -1)),
        np.swapaxes(np.reshape(ans, (np.shape(b)[0], -1)), -1, -2)), is_trans(trans)), lu_perm(lu_and_piv[1]), axis=0),
        np.swapaxes(np.triu(lu_and_piv[0]), -1, -2)), -1)
        + np.triu(np.matmul(np.swapaxes(np.tril(lu_and_piv[0], -1), -1, -2)
                            + np.eye(np.shape(b)[0], dtype=np.result_type(lu_and_piv[0])),
                            np.take(-lower_factor(np.matmul(
                                np.reshape(scipy.linalg.lu_solve(lu_and_piv, g, flip_trans(trans)),
                                           (np.shape(b)[0], -1)),
                                np.swapaxes(np.reshape(ans, (np.shape(b)[0], -1)), -1, -2)), is_trans(trans)),
                                lu_perm(lu_and_piv[1]), axis=0))), 0.0), \
        scipy.linalg.lu_solve(lu_and_piv, g, flip_trans(trans))


@jvp(scipy.linalg.lu_solve)
def lu_solve_jvp(lu_and_piv_dot, b_dot, ans, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """da = (dL U + L dU)[perm^-1] with dL = tril(dlu, -1), dU = triu(dlu)."""
    return -scipy.linalg.lu_solve(lu_and_piv, np.matmul(lower_factor(np.take(
        np.matmul(np.tril(part(lu_and_piv_dot, 0), -1), np.triu(lu_and_piv[0]))
        + np.matmul(np.tril(lu_and_piv[0], -1) + np.eye(np.shape(b)[0], dtype=np.result_type(lu_and_piv[0])),
                    np.triu(part(lu_and_piv_dot, 0))),
        np.argsort(lu_perm(lu_and_piv[1])), axis=0), is_trans(trans)), ans), trans), \
        scipy.linalg.lu_solve(lu_and_piv, b_dot, trans)


nondiff(runtime_scipy.lu_perm)


@linear(runtime_scipy.cho_other, shapes=((3, 3),))
def cho_other_(g, t, lower=False):
    return cho_other(g, lower)
