"""The numerical pieces of implicit differentiation: structured values as vectors, linear fixed
points, and linear systems solved densely or matrix-free (GMRES).

A state may be a float, an array, or a tuple / list / dict of them (at any depth). The linear
algebra works on flat float64 vectors; `flatten` gives the vector of a state and the function
that rebuilds the state's structure from such a vector.

Nothing here differentiates: the callers (implicit.py) hand in the linear maps, made of
s2sad's generated JVPs and VJPs. Every iteration either converges to the tolerance it was given
or raises S2SADError with what it measured, so no caller ever sees an unconverged answer.
"""

import numpy as np

from .errors import S2SADError

DENSE_LIMIT = 1000  # unknowns up to which the residual's Jacobian is formed and factored


# -- structured values ----------------------------------------------------------------------------


def leaves(x):
    """The numbers of a structured value, in order (dicts in their key order)."""
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in leaves(v)]
    if isinstance(x, (tuple, list)):
        return [leaf for v in x for leaf in leaves(v)]
    return [x]


def flatten(x):
    """(vector, rebuild): x's numbers as one float64 vector, and vector -> a value structured like x."""
    parts = leaves(x)
    sizes = [int(np.size(p)) for p in parts]
    vector = np.concatenate([np.ravel(np.asarray(p, dtype=float)) for p in parts]) if parts else np.zeros(0)

    def rebuild(v):
        pieces, start = [], 0
        for p, n in zip(parts, sizes):
            pieces.append(_like_leaf(v[start:start + n], p))
            start += n
        return _assemble(x, iter(pieces))

    return vector, rebuild


def _like_leaf(v, leaf):
    if isinstance(leaf, np.ndarray):
        return v.reshape(leaf.shape).astype(leaf.dtype if np.issubdtype(leaf.dtype, np.inexact) else float)
    return float(v[0])


def _assemble(x, pieces):
    if isinstance(x, dict):
        return {k: _assemble(v, pieces) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(_assemble(v, pieces) for v in x)
    return next(pieces)


def tree_map(fn, x, *others):
    """fn applied leaf by leaf to x and values structured like it."""
    if isinstance(x, dict):
        return {k: tree_map(fn, v, *(o[k] for o in others)) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(tree_map(fn, v, *(o[i] for o in others)) for i, v in enumerate(x))
    return fn(x, *others)


def distance(a, b):
    """The largest absolute difference between two values of the same structure."""
    gaps = [float(np.max(np.abs(np.asarray(p, dtype=float) - np.asarray(q, dtype=float)), initial=0.0))
            for p, q in zip(leaves(a), leaves(b))]
    return max(gaps, default=0.0)


def magnitude(a):
    """The largest absolute entry of a structured value."""
    return max((float(np.max(np.abs(np.asarray(p, dtype=float)), initial=0.0)) for p in leaves(a)), default=0.0)


def same_values(a, b):
    """Whether two structured values hold the same numbers (NaN equal to NaN)."""
    pa, pb = leaves(a), leaves(b)
    return len(pa) == len(pb) and all(p is q if p is None or q is None else
                                      np.shape(p) == np.shape(q) and np.array_equal(p, q, equal_nan=True)
                                      for p, q in zip(pa, pb))


# -- iterations -----------------------------------------------------------------------------------


def iterate(step, x0, tol, max_iter, fail):
    """x = step(x) from x0 until two iterates differ by at most tol * max(1, |x|) (max norm).

    fail(iterations, gap) makes the error raised when that does not happen within max_iter
    steps, or when an iterate stops being finite."""
    x, gap = x0, float("inf")
    for count in range(1, max_iter + 1):
        new = step(x)
        gap = distance(new, x)
        x = new
        if gap <= tol * max(1.0, magnitude(x)):
            return x
        if not np.isfinite(gap):
            raise fail(count, gap)
    raise fail(max_iter, gap)


def linear_fixed_point(apply, constant, tol, max_iter, fail):
    """The u with u = constant + apply(u), by iteration from u = constant (apply is linear)."""
    if magnitude(constant) == 0.0:
        return constant
    return iterate(lambda u: tree_map(np.add, constant, apply(u)) if not _scalar(constant)
                   else constant + apply(u), constant, tol, max_iter, fail)


def _scalar(x):
    return not isinstance(x, (dict, tuple, list))


# -- linear systems -------------------------------------------------------------------------------


def solve_dense(matrix, rhs, fail):
    """matrix^-1 rhs, refusing a matrix whose condition number shows it singular (fail(cond))."""
    if matrix.shape[0] != matrix.shape[1]:
        raise fail(float("inf"), f"the Jacobian is {matrix.shape[0]} x {matrix.shape[1]}, not square")
    singular = np.linalg.svd(matrix, compute_uv=False) if matrix.size else np.ones(1)
    cond = float(singular[0] / singular[-1]) if singular[-1] > 0 else float("inf")
    if not np.isfinite(cond) or cond > 1e12:
        raise fail(cond, f"its smallest singular value is {singular[-1]:.3g}, its largest {singular[0]:.3g}")
    return np.linalg.solve(matrix, rhs)


UNIQUENESS_LIMIT = 1e-6  # largest relative error of the probe solve (below) a nonsingular Jacobian may show


def solve_matrix_free(matvec, rhs, tol, max_iter, unsolved, singular):
    """The x with matvec(x) == rhs, by GMRES (SciPy's when it is installed, else `gmres` below).

    A small residual is not enough: a singular matrix with rhs in its range also gives one, at
    one of many solutions. So a second solve, of matvec(v) for a random v, must give v back:
    with a null space, the Krylov solution misses v's part in it (for a random v about
    1/sqrt(n) of v). unsolved(residual) and singular(probe error) make the errors raised."""
    x = _krylov(matvec, rhs, tol, max_iter)
    left = _relative_residual(matvec, x, rhs)
    probe_error = _probe(matvec, rhs.size, tol, max_iter)
    if probe_error > UNIQUENESS_LIMIT:
        raise singular(probe_error, left)
    if not np.isfinite(left) or left > max(tol * 10, 1e-8):
        raise unsolved(left)
    return x


def _krylov(matvec, rhs, tol, max_iter):
    if float(np.linalg.norm(rhs)) == 0.0:
        return np.zeros_like(rhs)
    try:
        from scipy.sparse.linalg import LinearOperator
        from scipy.sparse.linalg import gmres as scipy_gmres
    except ImportError:
        return gmres(matvec, rhs, tol, max_iter)
    operator = LinearOperator((rhs.size, rhs.size), matvec=matvec, dtype=float)
    return scipy_gmres(operator, rhs, rtol=tol, atol=0.0, restart=min(rhs.size, 50), maxiter=max_iter)[0]


def _relative_residual(matvec, x, rhs):
    norm = float(np.linalg.norm(rhs))
    return float(np.linalg.norm(matvec(x) - rhs)) / norm if norm else 0.0


def _probe(matvec, size, tol, max_iter):
    """The relative error with which the solver recovers a random v from matvec(v)."""
    v = np.random.default_rng(size).standard_normal(size)
    back = _krylov(matvec, matvec(v), tol, max_iter)
    error = float(np.linalg.norm(back - v) / np.linalg.norm(v)) if size else 0.0
    return error if np.isfinite(error) else float("inf")


def gmres(matvec, rhs, tol, max_iter, restart=50):
    """Restarted GMRES with modified Gram-Schmidt: a small stand-in for SciPy's."""
    x = np.zeros_like(rhs)
    norm = np.linalg.norm(rhs)
    for _ in range(max(1, max_iter // restart)):
        r = rhs - matvec(x)
        beta = np.linalg.norm(r)
        if beta <= tol * norm:
            break
        x = x + _gmres_cycle(matvec, r, beta, min(restart, rhs.size))
    return x


def _gmres_cycle(matvec, r, beta, m):
    basis = [r / beta]
    h = np.zeros((m + 1, m))
    for j in range(m):
        w = matvec(basis[j])
        for i in range(j + 1):
            h[i, j] = w @ basis[i]
            w = w - h[i, j] * basis[i]
        h[j + 1, j] = np.linalg.norm(w)
        if h[j + 1, j] <= 1e-14 * beta:
            m = j + 1
            break
        basis.append(w / h[j + 1, j])
    e1 = np.zeros(m + 1)
    e1[0] = beta
    y = np.linalg.lstsq(h[:m + 1, :m], e1, rcond=None)[0]
    return np.column_stack(basis[:m]) @ y


def refuse(message, where, construct):
    """The S2SADError of an implicit derivative, at the user's function `where` names."""
    code = getattr(where, "__code__", None)
    filename, lineno = (code.co_filename, code.co_firstlineno) if code else (None, None)
    return S2SADError(message, filename, lineno, construct, "see docs/implicit.md")
