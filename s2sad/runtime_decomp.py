"""Runtime helpers of the decomposition rules (eigh, eig, svd): generated code calls them.

A leaf, like `runtime.py`: NumPy, the standard library and s2sad's own `errors` leaf. Each helper
has a rule (`s2sad/rules/numpy_decomp.py`), so derivatives through them can be differentiated again.
"""

import numpy as np

from .runtime import Refusal

GAP_RTOL = 1e-10  # eigenvalues (or squared singular values) closer than this, relative to the largest, count as equal


def gap_inverse(w, what="np.linalg.eigh"):
    """F[..., i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it: the divided differences that the
    derivatives of eigen- and singular vectors are made of. Refuses (S2SADError) a complex spectrum
    and repeated values, where the vectors have no derivative."""
    if np.iscomplexobj(w):  # a complex spectrum, or NumPy >= 2.5, whose eig is complex-typed even for a real one
        raise Refusal(f"{what} returned complex values here: s2sad differentiates real values only "
                      "(for a symmetric matrix use np.linalg.eigh)")
    w = np.asarray(w)
    diff = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    n = w.shape[-1]
    eye = np.eye(n, dtype=bool)
    scale = np.max(np.abs(w), axis=-1, initial=0.0)[..., None, None]
    close = (np.abs(diff) <= GAP_RTOL * np.maximum(scale, np.finfo(np.float64).tiny)) & ~eye
    if np.any(close):
        raise Refusal(f"{what} has repeated values here: the vectors have no derivative at a degenerate "
                         "spectrum (docs/rules.md)")
    return np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, diff)).astype(w.dtype, copy=False)


def residuals_like(x, res):
    """x in the shape of np.linalg.lstsq's residuals `res` (empty when lstsq returns none)."""
    if np.size(res) == 0:
        return np.zeros(np.shape(res), dtype=np.result_type(x, np.float32))
    return np.reshape(x, np.shape(res))


def residuals_like_adjoint(g, x, res):
    """The transpose of residuals_like: g in x's shape (zeros when there are no residuals)."""
    if np.size(res) == 0:
        return np.zeros(np.shape(x), dtype=np.result_type(g, np.float32))
    return np.reshape(g, np.shape(x))


def svd_gaps(s, a, full_matrices=True, compute_uv=True):
    """gap_inverse(s**2) for the singular values s of a, refusing what the SVD rule does not cover: the
    full factors of a matrix that is not square, compute_uv=False, and zero singular values."""
    shape = np.shape(a)
    if not compute_uv:
        raise Refusal("np.linalg.svd with compute_uv=False has no rule: use np.linalg.svd(a, full_matrices=False)"
                         " and its singular values")
    if full_matrices and shape[-1] != shape[-2]:
        raise Refusal("np.linalg.svd of a non-square matrix is differentiated with full_matrices=False only")
    if np.any(np.asarray(s) == 0):
        raise Refusal("np.linalg.svd has a zero singular value here: the singular vectors have no derivative")
    return gap_inverse(np.asarray(s) * s, "np.linalg.svd")


class Summable(tuple):
    """A tuple that adds item by item: the forward rule of a primitive with several differentiated
    arguments and a tuple result (np.linalg.lstsq) returns one of these per argument, and the
    transform adds the terms up with `+`, which would join plain tuples."""

    def __add__(self, other):
        if isinstance(other, tuple):
            return Summable(a + b for a, b in zip(self, other))
        return NotImplemented

    __radd__ = __add__


def summable(items):
    """items as a Summable tuple."""
    return Summable(items)
