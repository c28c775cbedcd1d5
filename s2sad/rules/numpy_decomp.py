"""Matrix decompositions: eigh, eig, svd, qr, and pinv and lstsq through them.

Conventions (docs/rules.md): eigh and eig need distinct eigenvalues and svd distinct nonzero
singular values (`runtime_decomp.gap_inverse` refuses a degenerate spectrum, and eig a complex
one, with S2SADError); svd and qr are the reduced factorizations (`full_matrices=False`,
qr's `mode="reduced"` of a matrix with at least as many rows as columns); pinv and lstsq
assume full rank. Stacks of matrices work, as NumPy's own do.
"""

import numpy as np

from .. import runtime, runtime_decomp
from ..registry import jvp, linear, vjp
from ..runtime import broadcast_like, lower_factor, part, sym_lower, sym_lower_adjoint
from ..runtime_decomp import gap_inverse, residuals_like

# -- the helpers' own rules ------------------------------------------------------------------------


@vjp(runtime_decomp.gap_inverse, wrt=("w",))
def gap_inverse_(ct, ans, w, what="np.linalg.eigh"):
    """F = 1 / (w_j - w_i): dF = -F**2 (dw_j - dw_i)."""
    return np.sum(ct * ans * ans, axis=-1) - np.sum(ct * ans * ans, axis=-2)


@jvp(runtime_decomp.gap_inverse)
def gap_inverse_jvp(w_dot, ans, w, what="np.linalg.eigh"):
    return -ans * ans * (np.expand_dims(w_dot, -2) - np.expand_dims(w_dot, -1))


@linear(runtime_decomp.residuals_like, shapes=((3,), (3,)))
def residuals_like_(g, x, res):
    return runtime_decomp.residuals_like_adjoint(g, x, res)


@linear(runtime_decomp.residuals_like_adjoint)
def residuals_like_adjoint_(ct, g, x, res):
    return residuals_like(ct, res)


# -- symmetric eigenproblem ------------------------------------------------------------------------


@vjp(np.linalg.eigh, wrt=("a",))
def eigh(g, ans, a, UPLO="L"):
    """a = V diag(w) V^T, read from one triangle (as cholesky): the symmetric matrix's cotangent is
    V (diag(gw) + F * (V^T gV)) V^T with F_ij = 1 / (w_j - w_i), folded onto that triangle."""
    return lower_factor(sym_lower_adjoint(
        np.matmul(np.matmul(ans[1], gap_inverse(ans[0]) * np.matmul(np.swapaxes(ans[1], -1, -2),
                                                                    broadcast_like(part(g, 1), ans[1]))),
                  np.swapaxes(ans[1], -1, -2))
        + np.matmul(ans[1] * np.expand_dims(broadcast_like(part(g, 0), ans[0]), -2), np.swapaxes(ans[1], -1, -2))),
        UPLO == "U")


@jvp(np.linalg.eigh)
def eigh_jvp(a_dot, ans, a, UPLO="L"):
    """P = V^T S V for the symmetric tangent S: dw = diag(P), dV = V (F * P)."""
    return (np.diagonal(np.matmul(np.swapaxes(ans[1], -1, -2),
                                  np.matmul(sym_lower(lower_factor(a_dot, UPLO == "U")), ans[1])), 0, -2, -1),
            np.matmul(ans[1], gap_inverse(ans[0]) * np.matmul(
                np.swapaxes(ans[1], -1, -2), np.matmul(sym_lower(lower_factor(a_dot, UPLO == "U")), ans[1]))))


@vjp(np.linalg.eigvalsh, wrt=("a",))
def eigvalsh(g, ans, a, UPLO="L"):
    """The eigenvalues only: V diag(g) V^T, V from eigh again (no gaps needed)."""
    return lower_factor(sym_lower_adjoint(np.matmul(
        np.linalg.eigh(a, UPLO)[1] * np.expand_dims(g, -2), np.swapaxes(np.linalg.eigh(a, UPLO)[1], -1, -2))),
        UPLO == "U")


@jvp(np.linalg.eigvalsh)
def eigvalsh_jvp(a_dot, ans, a, UPLO="L"):
    return np.diagonal(np.matmul(np.swapaxes(np.linalg.eigh(a, UPLO)[1], -1, -2), np.matmul(
        sym_lower(lower_factor(a_dot, UPLO == "U")), np.linalg.eigh(a, UPLO)[1])), 0, -2, -1)


# -- general eigenproblem (real spectra) -------------------------------------------------------------


@vjp(np.linalg.eig, wrt=("a",))
def eig(g, ans, a):
    """a = V diag(w) V^-1 with unit columns in V: a's cotangent is V^-T (diag(gw) + F * (V^T gV')) V^T,
    gV' = gV - V diag(diag(V^T gV)) (the normalization's transpose), F_ij = 1 / (w_j - w_i)."""
    return runtime.solve(np.swapaxes(ans[1], -1, -2), np.matmul(
        gap_inverse(ans[0], "np.linalg.eig") * np.matmul(
            np.swapaxes(ans[1], -1, -2),
            broadcast_like(part(g, 1), ans[1])
            - ans[1] * np.expand_dims(np.sum(ans[1] * broadcast_like(part(g, 1), ans[1]), axis=-2), -2))
        + np.expand_dims(broadcast_like(part(g, 0), ans[0]), -1)
        * np.eye(np.shape(a)[-1], dtype=np.result_type(ans[1])),
        np.swapaxes(ans[1], -1, -2)))


@jvp(np.linalg.eig)
def eig_jvp(a_dot, ans, a):
    """P = V^-1 da V: dw = diag(P), dV = V (F * P) less its component along each (unit) column."""
    return (np.diagonal(runtime.solve(ans[1], np.matmul(a_dot, ans[1])), 0, -2, -1),
            np.matmul(ans[1], gap_inverse(ans[0], "np.linalg.eig") * runtime.solve(ans[1], np.matmul(a_dot, ans[1])))
            - ans[1] * np.expand_dims(np.sum(ans[1] * np.matmul(ans[1], gap_inverse(ans[0], "np.linalg.eig")
                                                                * runtime.solve(ans[1], np.matmul(a_dot, ans[1]))),
                                             axis=-2), -2))


# -- singular value decomposition ----------------------------------------------------------------------


@vjp(np.linalg.svd, wrt=("a",))
def svd(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """The reduced SVD a = U diag(s) Vh (Townsend 2016), F_ij = 1 / (s_j^2 - s_i^2):
    U [(F * (U^T gU - gU^T U)) S + diag(gs) + S (F * (V^T gV - gV^T V))] Vh
    + (I - U U^T) gU S^-1 Vh + U S^-1 gVh (I - V Vh)."""
    return np.matmul(np.matmul(
        ans[0],
        runtime_decomp.svd_gaps(ans[1], a, full_matrices, compute_uv)
        * (np.matmul(np.swapaxes(ans[0], -1, -2), broadcast_like(part(g, 0), ans[0]))
           - np.matmul(np.swapaxes(broadcast_like(part(g, 0), ans[0]), -1, -2), ans[0])) * np.expand_dims(ans[1], -2)
        + np.expand_dims(broadcast_like(part(g, 1), ans[1]), -1) * np.eye(np.shape(ans[1])[-1],
                                                                           dtype=np.result_type(ans[1]))
        + np.expand_dims(ans[1], -1) * runtime_decomp.svd_gaps(ans[1], a, full_matrices, compute_uv)
        * (np.matmul(ans[2], np.swapaxes(broadcast_like(part(g, 2), ans[2]), -1, -2))
           - np.matmul(broadcast_like(part(g, 2), ans[2]), np.swapaxes(ans[2], -1, -2)))), ans[2]) \
        + np.matmul((broadcast_like(part(g, 0), ans[0])
                     - np.matmul(ans[0], np.matmul(np.swapaxes(ans[0], -1, -2), broadcast_like(part(g, 0), ans[0]))))
                    / np.expand_dims(ans[1], -2), ans[2]) \
        + np.matmul(ans[0], (broadcast_like(part(g, 2), ans[2])
                             - np.matmul(np.matmul(broadcast_like(part(g, 2), ans[2]), np.swapaxes(ans[2], -1, -2)),
                                         ans[2]))
                    / np.expand_dims(ans[1], -1))


@jvp(np.linalg.svd)
def svd_jvp(a_dot, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """dP = U^T da V: ds = diag(dP), dU = U (F * (dP S + S dP^T)) + (I - U U^T) da V S^-1,
    dV = V (F * (S dP + dP^T S)) + (I - V V^T) da^T U S^-1, and dVh = dV^T."""
    return (np.matmul(ans[0], runtime_decomp.svd_gaps(ans[1], a, full_matrices, compute_uv) * (
                np.matmul(np.swapaxes(ans[0], -1, -2), np.matmul(a_dot, np.swapaxes(ans[2], -1, -2)))
                * np.expand_dims(ans[1], -2)
                + np.expand_dims(ans[1], -1) * np.matmul(np.matmul(ans[2], np.swapaxes(a_dot, -1, -2)), ans[0])))
            + (np.matmul(a_dot, np.swapaxes(ans[2], -1, -2))
               - np.matmul(ans[0], np.matmul(np.swapaxes(ans[0], -1, -2),
                                             np.matmul(a_dot, np.swapaxes(ans[2], -1, -2)))))
            / np.expand_dims(ans[1], -2),
            np.diagonal(np.matmul(np.swapaxes(ans[0], -1, -2), np.matmul(a_dot, np.swapaxes(ans[2], -1, -2))),
                        0, -2, -1),
            np.matmul(runtime_decomp.svd_gaps(ans[1], a, full_matrices, compute_uv) * (
                np.expand_dims(ans[1], -1)
                * np.matmul(np.swapaxes(ans[0], -1, -2), np.matmul(a_dot, np.swapaxes(ans[2], -1, -2)))
                + np.matmul(np.matmul(ans[2], np.swapaxes(a_dot, -1, -2)), ans[0]) * np.expand_dims(ans[1], -2)),
                ans[2]) * -1.0
            + (np.matmul(np.swapaxes(ans[0], -1, -2), a_dot)
               - np.matmul(np.matmul(np.swapaxes(ans[0], -1, -2), np.matmul(a_dot, np.swapaxes(ans[2], -1, -2))),
                           ans[2]))
            / np.expand_dims(ans[1], -1))


@vjp(runtime_decomp.svd_gaps, wrt=("s",))
def svd_gaps_(ct, ans, s, a, full_matrices=True, compute_uv=True):
    """gap_inverse(s**2): its rule times 2 s."""
    return 2.0 * s * (np.sum(ct * ans * ans, axis=-1) - np.sum(ct * ans * ans, axis=-2))


@jvp(runtime_decomp.svd_gaps)
def svd_gaps_jvp(s_dot, ans, s, a, full_matrices=True, compute_uv=True):
    return -2.0 * ans * ans * (np.expand_dims(s * s_dot, -2) - np.expand_dims(s * s_dot, -1))


# -- QR, the pseudo-inverse and least squares ------------------------------------------------------------


@vjp(np.linalg.qr, wrt=("a",))
def qr(g, ans, a, mode="reduced"):
    """a = Q R, reduced, a with at least as many rows as columns: with Y = gR R^T - Q^T gQ,
    a's cotangent is (gQ + Q (Y + tril(Y^T - Y, -1))) R^-T."""
    return np.swapaxes(runtime.solve(ans[1], np.swapaxes(
        broadcast_like(part(g, 0), ans[0]) + np.matmul(ans[0], (
            np.matmul(broadcast_like(part(g, 1), ans[1]), np.swapaxes(ans[1], -1, -2))
            - np.matmul(np.swapaxes(ans[0], -1, -2), broadcast_like(part(g, 0), ans[0])))
            + np.tril(np.swapaxes(
                np.matmul(broadcast_like(part(g, 1), ans[1]), np.swapaxes(ans[1], -1, -2))
                - np.matmul(np.swapaxes(ans[0], -1, -2), broadcast_like(part(g, 0), ans[0])), -1, -2)
                - (np.matmul(broadcast_like(part(g, 1), ans[1]), np.swapaxes(ans[1], -1, -2))
                   - np.matmul(np.swapaxes(ans[0], -1, -2), broadcast_like(part(g, 0), ans[0]))), -1)),
        -1, -2)), -1, -2)


@jvp(np.linalg.qr)
def qr_jvp(a_dot, ans, a, mode="reduced"):
    """X = Q^T da R^-1 and Y = X - L + L^T for L = tril(X, -1) (Q^T dQ is antisymmetric, dR R^-1
    upper triangular): dQ = da R^-1 - Q Y, dR = Y R."""
    return (np.swapaxes(runtime.solve(np.swapaxes(ans[1], -1, -2), np.swapaxes(a_dot, -1, -2)), -1, -2)
            - np.matmul(ans[0], np.matmul(np.swapaxes(ans[0], -1, -2), np.swapaxes(
                runtime.solve(np.swapaxes(ans[1], -1, -2), np.swapaxes(a_dot, -1, -2)), -1, -2))
                - np.tril(np.matmul(np.swapaxes(ans[0], -1, -2), np.swapaxes(
                    runtime.solve(np.swapaxes(ans[1], -1, -2), np.swapaxes(a_dot, -1, -2)), -1, -2)), -1)
                + np.swapaxes(np.tril(np.matmul(np.swapaxes(ans[0], -1, -2), np.swapaxes(
                    runtime.solve(np.swapaxes(ans[1], -1, -2), np.swapaxes(a_dot, -1, -2)), -1, -2)), -1), -1, -2)),
            np.matmul(np.matmul(np.swapaxes(ans[0], -1, -2), np.swapaxes(
                runtime.solve(np.swapaxes(ans[1], -1, -2), np.swapaxes(a_dot, -1, -2)), -1, -2))
                - np.tril(np.matmul(np.swapaxes(ans[0], -1, -2), np.swapaxes(
                    runtime.solve(np.swapaxes(ans[1], -1, -2), np.swapaxes(a_dot, -1, -2)), -1, -2)), -1)
                + np.swapaxes(np.tril(np.matmul(np.swapaxes(ans[0], -1, -2), np.swapaxes(
                    runtime.solve(np.swapaxes(ans[1], -1, -2), np.swapaxes(a_dot, -1, -2)), -1, -2)), -1), -1, -2),
                ans[1]))


@vjp(np.linalg.pinv, wrt=("a",))
def pinv(g, ans, a, rcond=None, hermitian=False, rtol=None):
    """P = pinv(a) of a full-rank a (Golub & Pereyra 1973): a's cotangent is
    -P^T g P^T + (I - a P) g^T P P^T + P^T P g^T (I - P a)."""
    return -np.matmul(np.swapaxes(ans, -1, -2), np.matmul(g, np.swapaxes(ans, -1, -2))) \
        + np.matmul(np.matmul(np.swapaxes(g, -1, -2), ans), np.swapaxes(ans, -1, -2)) \
        - np.matmul(a, np.matmul(ans, np.matmul(np.matmul(np.swapaxes(g, -1, -2), ans), np.swapaxes(ans, -1, -2)))) \
        + np.matmul(np.matmul(np.swapaxes(ans, -1, -2), ans), np.swapaxes(g, -1, -2)) \
        - np.matmul(np.matmul(np.matmul(np.matmul(np.swapaxes(ans, -1, -2), ans), np.swapaxes(g, -1, -2)), ans), a)


@jvp(np.linalg.pinv)
def pinv_jvp(a_dot, ans, a, rcond=None, hermitian=False, rtol=None):
    """-P da P + P P^T da^T (I - a P) + (I - P a) da^T P^T P."""
    return -np.matmul(ans, np.matmul(a_dot, ans)) \
        + np.matmul(np.matmul(ans, np.swapaxes(ans, -1, -2)), np.swapaxes(a_dot, -1, -2)) \
        - np.matmul(np.matmul(np.matmul(ans, np.swapaxes(ans, -1, -2)), np.swapaxes(a_dot, -1, -2)),
                    np.matmul(a, ans)) \
        + np.matmul(np.swapaxes(a_dot, -1, -2), np.matmul(np.swapaxes(ans, -1, -2), ans)) \
        - np.matmul(np.matmul(ans, a), np.matmul(np.swapaxes(a_dot, -1, -2), np.matmul(np.swapaxes(ans, -1, -2), ans)))


@vjp(np.linalg.lstsq, wrt=("a", "b"))
def lstsq(g, ans, a, b, rcond=None):
    """(x, residuals, rank, s) for a of full column rank: x = P b with P = pinv(a), r = b - a x, so
    dx = P (db - da x) + P P^T da^T r; d residuals = 2 sum(r (db - da x)); ds = diag(U^T da V)."""
    return np.matmul(
        np.reshape(b - np.matmul(a, ans[0]), (np.shape(a)[0], -1)), np.swapaxes(np.reshape(
            np.matmul(np.matmul(np.linalg.pinv(a), np.swapaxes(np.linalg.pinv(a), -1, -2)),
                      broadcast_like(part(g, 0), ans[0])), (np.shape(a)[1], -1)), -1, -2)) \
        - np.matmul(np.reshape(np.matmul(np.swapaxes(np.linalg.pinv(a), -1, -2), broadcast_like(part(g, 0), ans[0]))
                               + 2.0 * (b - np.matmul(a, ans[0])) * runtime_decomp.residuals_like_adjoint(
                                   broadcast_like(part(g, 1), ans[1]), np.sum(b - np.matmul(a, ans[0]), axis=0),
                                   ans[1]),
                               (np.shape(a)[0], -1)),
                    np.swapaxes(np.reshape(ans[0], (np.shape(a)[1], -1)), -1, -2)) \
        + np.matmul(np.linalg.svd(a, full_matrices=False)[0] * np.expand_dims(broadcast_like(part(g, 3), ans[3]), -2),
                    np.linalg.svd(a, full_matrices=False)[2]), \
        np.matmul(np.swapaxes(np.linalg.pinv(a), -1, -2), broadcast_like(part(g, 0), ans[0])) \
        + 2.0 * (b - np.matmul(a, ans[0])) * runtime_decomp.residuals_like_adjoint(
            broadcast_like(part(g, 1), ans[1]), np.sum(b - np.matmul(a, ans[0]), axis=0), ans[1])


@jvp(np.linalg.lstsq)
def lstsq_jvp(a_dot, b_dot, ans, a, b, rcond=None):
    return runtime_decomp.summable((np.matmul(np.matmul(np.linalg.pinv(a), np.swapaxes(np.linalg.pinv(a), -1, -2)),
                      np.matmul(np.swapaxes(a_dot, -1, -2), b - np.matmul(a, ans[0])))
            - np.matmul(np.linalg.pinv(a), np.matmul(a_dot, ans[0])),
            runtime_decomp.residuals_like(-2.0 * np.sum((b - np.matmul(a, ans[0])) * np.matmul(a_dot, ans[0]), axis=0),
                                          ans[1]),
            0.0,
            np.sum(np.linalg.svd(a, full_matrices=False)[0] * np.matmul(
                a_dot, np.swapaxes(np.linalg.svd(a, full_matrices=False)[2], -1, -2)), axis=-2))), \
        runtime_decomp.summable((np.matmul(np.linalg.pinv(a), b_dot),
         runtime_decomp.residuals_like(2.0 * np.sum((b - np.matmul(a, ans[0])) * b_dot, axis=0), ans[1]),
         0.0,
         np.zeros_like(ans[3])))


@linear(runtime_decomp.summable)
def summable_(g, items):
    return g
