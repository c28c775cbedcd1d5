"""Runtime helpers of the SciPy rules (`s2sad/rules/scipy_special.py`, `scipy_linalg.py`): generated code
calls them, and each has a rule there (except `expm_frechet2`, which only a second-order rule calls).

A leaf: NumPy, SciPy, the standard library and `errors`. Imported only when SciPy is installed.
"""

import numpy as np
import scipy.linalg
import scipy.special

from .runtime import Refusal, lower_factor


def lse_weights(a, b=None, axis=None, return_sign=False):
    """d logsumexp(a, axis, b) / d a: b exp(a - logsumexp), kept along the reduced axes (a softmax)."""
    if return_sign:
        raise Refusal("scipy.special.logsumexp with return_sign=True has no derivative rule")
    a = np.asarray(a)
    lse = scipy.special.logsumexp(a, axis=axis, b=b, keepdims=True)
    w = np.exp(a - lse)
    return w if b is None else w * b


def triangle_of(m, lower=False, unit_diagonal=False):
    """The triangle of m that a triangular solve reads (without the diagonal when it is a unit one)."""
    out = np.tril(m) if lower else np.triu(m)
    if unit_diagonal:
        out = out - np.tril(np.triu(out))
    return out


def flip_trans(trans=0):
    """The other of solve_triangular's `trans` 0 ("N") and 1 ("T"); "C" is 1 for real matrices."""
    return 0 if trans in (1, 2, "T", "C") else 1


def is_trans(trans=0):
    return trans in (1, 2, "T", "C")


def expm_frechet(a, e):
    """The Fréchet derivative of expm at a in the direction e (linear in e)."""
    out = scipy.linalg.expm_frechet(a, e, compute_expm=False)
    return out.astype(np.result_type(a, e), copy=False)


def expm_frechet2(a, e, f):
    """The second Fréchet derivative of expm at a in the directions e and f: the corner block of the
    exponential of [[a, e, 0], [0, a, f], [0, 0, a]], symmetrized."""
    n = np.shape(a)[-1]
    z = np.zeros_like(a)
    one = scipy.linalg.expm(np.block([[a, e, z], [z, a, f], [z, z, a]]))[:n, 2 * n:]
    two = scipy.linalg.expm(np.block([[a, f, z], [z, a, e], [z, z, a]]))[:n, 2 * n:]
    return (one + two).astype(np.result_type(a, e, f), copy=False)


def general_solve(assume_a=None, transposed=False):
    """scipy.linalg.solve's `transposed`, once `assume_a` is one whose rule is the general one (the
    structured kinds read one triangle of a, which the rule does not model)."""
    if assume_a not in (None, "gen", "general"):
        raise Refusal(f"scipy.linalg.solve with assume_a={assume_a!r} has no derivative rule: "
                         "leave assume_a out, or solve with cho_solve / solve_triangular")
    return transposed


def lu_perm(piv):
    """The row order of lu_factor's pivots: a[perm] = L U (LAPACK's swaps, row i with row piv[i], in turn)."""
    piv = np.asarray(piv)
    perm = np.arange(len(piv))
    for i, p in enumerate(piv):
        perm[i], perm[p] = perm[p], perm[i]
    return perm


def _cho_factor_keeps_a():
    """Whether cho_factor leaves a's own entries in the triangle of c that the factor does not use
    (LAPACK does, and SciPy before 1.18 passed them on; SciPy 1.18 zeroes that triangle)."""
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    return bool(scipy.linalg.cho_factor(a, lower=True)[0][0, 1] == 1.0)


CHO_FACTOR_KEEPS_A = _cho_factor_keeps_a()


def cho_other(t, lower=False):
    """The part of t (a tangent or cotangent of a or c) in the triangle of cho_factor's c that is not
    the factor: a's own entries there where this SciPy keeps them, else nothing (zeros)."""
    if not CHO_FACTOR_KEEPS_A:
        return np.zeros_like(t)
    return lower_factor(np.triu(lower_factor(t, not lower), 1), not lower)
