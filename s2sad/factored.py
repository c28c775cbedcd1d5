"""Rules with residuals: a factorization made once in the primal sweep, reused by the adjoint sweep.

`np.linalg.solve(a, b)`, `slogdet(a)` and `inv(a)` factor `a`; their plain reverse rules
(rules/numpy_linalg.py) factor it again to solve with `a` transposed or to invert it. In
reverse mode such a call is split like a call to a user function (calls.py): the primal
sweep runs `solve_fwd(a, b) -> (x, record)`, the record holding the factor, and the adjoint
sweep runs `solve_bwd(record, x_bar)`. Forward mode keeps the plain JVP templates.

The factor is a `Factor`: how `a` is solved (triangular, Cholesky, or NumPy's LU each time),
found the way `runtime.solve` finds it, so the values are `runtime.solve`'s and `runtime.inv`'s
(the plain rules' own) up to rounding. `np.linalg.cholesky` keeps its answer, the factor, and
its adjoint runs by blocks (`cholesky_adjoint`) at about the cost of a Cholesky factorization.

Differentiating the generated code again: the `*_fwd` / `*_bwd` helpers below are plain
functions without rules, so a second transform differentiates their source. That source
calls `factorize` (no derivative: the factor is a cache of `a`, never a value of its own) and
the `factored_*` primitives, whose rules are the plain solve / inverse / slogdet rules in `a`
and `b`, the factor argument held fixed.
"""

import weakref

import numpy as np

from . import runtime

_SLOGDET = type(np.linalg.slogdet(np.eye(1)))  # NumPy 2's SlogdetResult, a tuple before


class Factor:
    """How one square matrix is solved: kind "cholesky" (a = L L^T, L kept), "lower" / "upper"
    (a is triangular: no factorization), or "" (a general matrix: NumPy's LU on each call)."""

    __slots__ = ("kind", "L")

    def __init__(self, kind, L=None):
        self.kind, self.L = kind, L

    def __repr__(self):
        return f"Factor({self.kind!r})"


def factorize(a):
    """The Factor of a, with runtime.solve's tests (large real 2-D matrices only).

    The last Cholesky factor is remembered, so `slogdet(K)` and `solve(K, y)` of one K factor it
    once: the same array object (a weak reference: K is not kept alive) holding the same values as
    a copy taken then, an O(n^2) comparison instead of an O(n^3) factorization. The copy and the
    factor stay until the next factorization, for matrices up to _MEMO_BYTES: releasing them when
    K goes cost more page faults (n = 500: 4000 a call, a third of the gradient) than they save."""
    last = _LAST[0]
    if last is not None and last[0]() is a and np.array_equal(last[1], a):
        return last[2]
    structure = runtime._structure(a)
    if structure != "symmetric":
        return Factor(structure)
    L = runtime._cholesky(a)
    if L is None:
        return Factor("")
    factor = Factor("cholesky", L)
    if a.nbytes <= _MEMO_BYTES:
        _LAST[0] = (weakref.ref(a), a.copy(), factor)
    return factor


_LAST = [None]  # (weak reference to the matrix, a copy of its values, its Factor)
_MEMO_BYTES = 8 << 20  # a 1024 x 1024 float64 matrix: at most twice this is held


def factored_solve(res, a, b, transpose=False):
    """solve(a, b), or solve(a^T, b) when transpose, with res = factorize(a)."""
    kind = res.kind if np.ndim(b) <= 2 else ""
    if kind == "cholesky":  # symmetric: a^T = a
        return runtime.tri_solve(res.L.T, runtime.tri_solve(res.L, b, True), False)
    if kind:
        lower = (kind == "lower") != bool(transpose)
        return runtime.tri_solve(a.T if transpose else a, b, lower)
    return np.linalg.solve(np.swapaxes(a, -1, -2) if transpose else a, b)


def factored_inv(res, a):
    """inv(a), with res = factorize(a)."""
    if res.kind == "cholesky":
        L_inv = runtime.tri_inv(res.L)
        return L_inv.T @ L_inv
    if res.kind == "lower":
        return runtime.tri_inv(a)
    if res.kind == "upper":
        return runtime.tri_inv(a.T).T
    return np.linalg.inv(a)


def factored_slogdet(res, a):
    """slogdet(a), with res = factorize(a): from the Cholesky factor's diagonal when there is one."""
    if res.kind == "cholesky":
        sign = np.ones((), a.dtype)[()]
        logdet = 2.0 * np.sum(np.log(np.diagonal(res.L)))
        return _SLOGDET(sign, logdet) if _SLOGDET is not tuple else (sign, logdet)
    return np.linalg.slogdet(a)


# -- the split rules: fwd(args) -> (ans, record), bwd(record, ans_bar) -> cotangents of the active args --


def solve_fwd(a, b):
    res = factorize(a)
    ans = factored_solve(res, a, b)
    return ans, (res, a, ans)


def solve_bwd(record, g):
    """b's cotangent solves with a transposed (the kept factor); a's is minus that times x transposed."""
    res, a, ans = record
    b_bar = factored_solve(res, a, g, True)
    return runtime.matmul_adjoint_a(-b_bar, a, ans), b_bar  # negated before the outer product: n, not n^2


def solve_bwd_a(record, g):
    res, a, ans = record
    return runtime.matmul_adjoint_a(-factored_solve(res, a, g, True), a, ans)


def solve_bwd_b(record, g):
    res, a, ans = record
    return factored_solve(res, a, g, True)


def slogdet_fwd(a):
    res = factorize(a)
    return factored_slogdet(res, a), (res, a)


def slogdet_bwd(record, g):
    """a^-T g[1], the inverse from the kept factor (sign is piecewise constant)."""
    res, a = record
    return np.expand_dims(runtime.part(g, 1), (-2, -1)) * np.swapaxes(factored_inv(res, a), -1, -2)


def inv_fwd(a):
    res = factorize(a)
    ans = factored_inv(res, a)
    return ans, ans


def inv_bwd(ans, g):
    return -np.matmul(np.swapaxes(ans, -1, -2), np.matmul(g, np.swapaxes(ans, -1, -2)))


# -- Cholesky: the factor is the answer; the adjoint is blocked, at about a Cholesky's cost -----------

_NB = 32  # the blocked adjoint's block size; matrices up to 2 * _NB take the closed form


def cholesky_fwd(a, upper=False):
    ans = np.linalg.cholesky(a, upper=True) if upper else np.linalg.cholesky(a)  # NumPy 1 has no `upper`
    return ans, (ans, upper)


def cholesky_bwd(record, g):
    """a's cotangent (lower triangular: cholesky reads one triangle); upper=True transposes."""
    ans, upper = record
    return runtime.lower_factor(cholesky_adjoint(runtime.lower_factor(ans, upper), runtime.lower_factor(g, upper)),
                                upper)


def cholesky_adjoint(L, g):
    """sym_lower_adjoint(L^-T phi(L^T g) L^-1), the rule's closed form, for lower factors L (a stack too).

    By blocks of columns from the last (Murray 2016, "Differentiation of the Cholesky
    decomposition", blocked reverse mode): the closed form on each diagonal block through its
    inverse, matrix products for the rest. At n = 500 about four times faster than the closed
    form's two triangular solves with n right-hand sides and its full product; the same values up
    to rounding. No branch on the size (a small matrix is one block), which would cost a second
    derivative through this source a record per branch."""
    n = np.shape(L)[-1]
    A = np.tril(g) + np.zeros((), np.result_type(L, g, 0.5))  # a fresh array, updated block by block
    for k in range(n, 0, -_NB):
        j = max(0, k - _NB)
        R = L[..., j:k, :j]
        D = L[..., j:k, j:k]
        B = L[..., k:, :j]
        C = L[..., k:, j:k]
        D_inv = np.linalg.inv(D)
        D_inv_T = np.swapaxes(D_inv, -1, -2)
        C_bar = A[..., k:, j:k] @ D_inv  # the block below the diagonal one: C = (its A) D^-T
        C_bar_T = np.swapaxes(C_bar, -1, -2)
        A[..., k:, j:k] = C_bar
        A[..., k:, :j] -= C_bar @ R
        D_g = A[..., j:k, j:k] - np.tril(C_bar_T @ C)  # then the diagonal block: its closed form
        D_bar = runtime.sym_lower_adjoint(D_inv_T @ runtime.phi(np.swapaxes(D, -1, -2) @ D_g) @ D_inv)
        A[..., j:k, j:k] = D_bar
        A[..., j:k, :j] -= C_bar_T @ B + (D_bar + np.swapaxes(D_bar, -1, -2)) @ R
    return A
