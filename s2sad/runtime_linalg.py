"""Linear algebra (structured solves and inverses, Cholesky's helpers) and np.r_ / np.c_.

A family of the runtime: `runtime.py` re-exports its names, and generated code sees them there.
A leaf: NumPy and the other runtime families only.
"""

import numpy as np

from .runtime_adjoints import pieces
from .runtime_core import Refusal

# -- linear algebra ------------------------------------------------------------------------


def phi(x):
    """The lower triangle of x with its diagonal halved (used by Cholesky's derivative)."""
    out = np.asarray(np.tril(x), dtype=np.result_type(x, 0.5))  # a fresh array: np.tril copies
    diagonal = np.arange(out.shape[-1])
    out[..., diagonal, diagonal] *= 0.5
    return out


def sym_lower(x):
    """The symmetric matrix whose lower triangle is x's: what np.linalg.cholesky reads of x."""
    return np.tril(x) + np.swapaxes(np.tril(x, -1), -1, -2)


def sym_lower_adjoint(g):
    """The transpose of sym_lower: g's lower triangle plus its upper triangle folded down."""
    return np.tril(g) + np.tril(np.swapaxes(g, -1, -2), -1)


def item_adjoint(g, a, index=()):
    """The cotangent of a in a.item(*index): g at that position (flat for one index), zeros elsewhere."""
    out = np.zeros(np.shape(a), dtype=np.result_type(getattr(a, "dtype", float), np.float32))
    if len(index) > 1:
        out[tuple(index)] = g
    else:
        out.reshape(-1)[index[0] if index else 0] = g
    return out


def item_of(x, index=()):
    """x.item(*index) (the transpose of item_adjoint)."""
    return np.asarray(x).item(*index)


def inverse_axes(axes):
    """The permutation undoing x.transpose(*axes), given the method's argument tuple: piecewise constant."""
    if len(axes) == 1:
        axes = axes[0]
    if axes is None or len(axes) == 0:
        return None
    return np.argsort(axes)


def lower_factor(x, transpose=False):
    """x, or x with its last two axes swapped when `transpose` (Cholesky's upper=True factor)."""
    return np.swapaxes(x, -1, -2) if transpose else x


# Solving and inverting with the matrix's structure, as MATLAB's backslash does: a triangular
# matrix needs no factorization and a symmetric positive definite one only Cholesky's (a third
# of LU's work). The rules' own solves meet both (a Cholesky factor, a covariance), and NumPy
# alone has neither a triangular solve nor an SPD inverse. Same values as np.linalg.solve and
# np.linalg.inv up to rounding, so these two share those functions' rules.

STRUCTURED_MIN = 32  # smaller matrices go straight to NumPy: the checks would cost more than they save
_BLOCK = 64          # tri_solve's blocks: below this, NumPy's solve on the triangle


def solve(a, b):
    """np.linalg.solve(a, b), through the triangle or a Cholesky factor when a has that structure."""
    structure = _structure(a, b)
    if structure == "lower" or structure == "upper":
        return tri_solve(a, b, structure == "lower")
    if structure == "symmetric":
        L = _cholesky(a)
        if L is not None:
            return tri_solve(L.T, tri_solve(L, b, True), False)
    return np.linalg.solve(a, b)


def inv(a):
    """np.linalg.inv(a), through the triangle or a Cholesky factor when a has that structure."""
    structure = _structure(a)
    if structure == "lower":
        return tri_inv(a)
    if structure == "upper":
        return tri_inv(a.T).T
    if structure == "symmetric":
        L = _cholesky(a)
        if L is not None:
            L_inv = tri_inv(L)
            return L_inv.T @ L_inv  # NumPy spots the transposed pair: half a product, exactly symmetric
    return np.linalg.inv(a)


def tri_solve(a, b, lower=True):
    """solve(tril(a), b) (triu when not lower) by halves: two smaller solves and one matrix product,
    so almost all the work runs at matrix-product speed. b: (n,) or (n, k).

    Blocks of at most _BLOCK rows are solved through their inverse: backward stable for the
    block, with an error bound of cond(block) times rounding, as substitution's."""
    a, b = np.asarray(a), np.asarray(b)
    if b.ndim == 1:
        return tri_solve(a, b[:, None], lower)[:, 0]
    n = a.shape[-1]
    if n <= _BLOCK:  # NumPy's solve is slow for many right-hand sides; a small block's inverse is not
        block = np.tril(a) if lower else np.triu(a)
        return np.linalg.solve(block, b) if b.shape[1] < 8 else np.linalg.inv(block) @ b
    h = n // 2
    if lower:
        top = tri_solve(a[:h, :h], b[:h], True)
        return np.concatenate([top, tri_solve(a[h:, h:], b[h:] - a[h:, :h] @ top, True)])
    bottom = tri_solve(a[h:, h:], b[h:], False)
    return np.concatenate([tri_solve(a[:h, :h], b[:h] - a[:h, h:] @ bottom, False), bottom])


def tri_inv(a):
    """inv(tril(a)) by halves: [[A, 0], [C, D]]^-1 = [[A^-1, 0], [-D^-1 C A^-1, D^-1]]."""
    n = a.shape[-1]
    if n <= _BLOCK:
        return np.linalg.inv(np.tril(a))
    h = n // 2
    out = np.zeros_like(a)
    out[:h, :h] = top = tri_inv(a[:h, :h])
    out[h:, h:] = bottom = tri_inv(a[h:, h:])
    out[h:, :h] = -bottom @ (a[h:, :h] @ top)
    return out


def _structure(a, b=None):
    """"lower", "upper", "symmetric" or "" for a large real 2-D a (and a b of at most 2 dimensions).

    Exact tests on the values: a corner decides most matrices in O(1) before the O(n^2) check."""
    if not (isinstance(a, np.ndarray) and a.ndim == 2 and a.shape[0] == a.shape[1] >= STRUCTURED_MIN
            and a.dtype.kind == "f" and (b is None or np.ndim(b) <= 2)):
        return ""
    if a[0, -1] == 0 and not np.triu(a, 1).any():
        return "lower"
    if a[-1, 0] == 0 and not np.tril(a, -1).any():
        return "upper"
    if a[0, -1] == a[-1, 0] and np.array_equal(a, a.T) and (np.diagonal(a) > 0).all():
        return "symmetric"
    return ""


def _cholesky(a):
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:  # symmetric but not positive definite: LU after all
        return None


# -- np.r_ and np.c_ ---------------------------------------------------------------


def index_concat(maker, items):
    """maker[items] for maker np.r_ or np.c_: what `np.r_[x, 1:3]` normalizes to."""
    return maker[tuple(items)]


def _concat_sources(maker, items):
    """For each element of maker[items]: the index of the item it comes from (-1 for the values a
    slice item generates, which are constants) and its flat position in that item."""
    labels, places = [], []
    for k, item in enumerate(items):
        if isinstance(item, str):
            raise Refusal("derivatives of np.r_ / np.c_ with a string directive", "np.r_ / np.c_")
        if isinstance(item, slice):
            made = np.r_[item]
            labels.append(np.full(made.shape, -1))
            places.append(np.zeros(made.shape, dtype=np.intp))
        else:
            shape = np.shape(item)
            labels.append(np.full(shape, k))
            places.append(np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape))
    return maker[tuple(labels)], maker[tuple(places)]


def index_concat_tangent(dots, maker, items, like):
    """The tangent of maker[items] from one tangent per item (items np.r_ / np.c_ only rearrange)."""
    labels, places = _concat_sources(maker, items)
    out = np.zeros(np.shape(labels), dtype=np.result_type(like, np.float32, *(d for d in dots if d is not None)))
    for k, (item, dot) in enumerate(zip(items, dots)):
        if isinstance(item, (slice, str)) or dot is None:
            continue
        mask = labels == k
        out[mask] = np.ravel(np.broadcast_to(dot, np.shape(item)))[places[mask]]
    return out


def index_concat_adjoint(g, maker, items):
    """The cotangents of the items of maker[items], one per item (`pieces`); a slice item gets 0."""
    labels, places = _concat_sources(maker, items)
    g = np.broadcast_to(g, np.shape(labels))
    cts = []
    for k, item in enumerate(items):
        if isinstance(item, (slice, str)):
            cts.append(0.0)
            continue
        mask = labels == k
        ct = np.zeros(int(np.size(item)), dtype=np.result_type(g, np.float32))
        np.add.at(ct, places[mask], g[mask])
        cts.append(ct.reshape(np.shape(item)))
    return pieces(cts)
