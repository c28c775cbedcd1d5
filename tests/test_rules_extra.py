"""What the rules of numpy_decomp, numpy_misc and the SciPy modules refuse, and the conventions they
keep (the rules themselves are checked by tests/test_rules.py)."""

import numpy as np
import pytest
from rule_inputs_extra import EIG_IS_REAL

import s2sad
from s2sad import S2SADError


def _eigvals_sum(a):
    w, v = np.linalg.eigh(a)
    return np.sum(w * w) + np.sum(v[0])


def _eig_values(a):
    w, v = np.linalg.eig(a)
    return np.sum(w)


def _svd_full(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u)


def _sorted_by_key(x):
    return sorted(x, key=abs)[0]


def _sorted_first(x):
    return sorted(x)[0]


def test_eigh_refuses_repeated_eigenvalues():
    with pytest.raises(S2SADError, match="repeated values"):
        s2sad.grad(_eigvals_sum)(np.eye(3))


def test_eig_refuses_a_complex_spectrum():
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    with pytest.raises(S2SADError, match="complex values"):
        s2sad.grad(_eig_values)(rotation)


@pytest.mark.skipif(not EIG_IS_REAL, reason="NumPy 2.5's eig is complex-typed even for a real spectrum: refused")
def test_eig_of_a_real_spectrum_matches_the_trace():
    a = np.array([[2.0, 0.3], [0.1, 1.0]])
    np.testing.assert_allclose(s2sad.grad(_eig_values)(a), np.eye(2), atol=1e-12)


def test_svd_full_matrices_of_a_rectangle_is_refused():
    with pytest.raises(S2SADError, match="full_matrices=False"):
        s2sad.grad(_svd_full)(np.arange(6.0).reshape(3, 2) + np.eye(3, 2))


def test_sorted_with_a_key_is_refused_and_ties_share():
    with pytest.raises(S2SADError, match="key"):
        s2sad.grad(_sorted_by_key)(np.array([2.0, -1.0, 3.0]))
    np.testing.assert_allclose(s2sad.grad(_sorted_first)(np.array([1.0, 0.5, 0.5])), [0.0, 0.5, 0.5])


def _interp_at_knot(x):
    return np.interp(x, np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 3.0]))


def test_interp_slope_at_a_knot_is_the_average():
    assert s2sad.grad(_interp_at_knot)(1.0) == pytest.approx(1.5)
    assert s2sad.grad(_interp_at_knot)(3.0) == 0.0


# -- batched tangents and third derivatives through the new rules' helpers ---------------------------------


def _eigh_cubed(a):
    w, v = np.linalg.eigh(a)
    return np.sum(w * w * w) + np.sum(v[:, 0] ** 3 * v[0, 0])


def _svd_cubed(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(s ** 3) + np.sum(u[0] * vh[:, 1])


def _interp_squared(a):
    return np.sum(np.interp(a, np.array([-1.0, 0.0, 1.0]), a[:3] ** 2) ** 2)


def _convolve_squared(a):
    return np.sum(np.convolve(a, a[::-1] ** 2, "same") ** 2)


def _spd(rng):
    b = rng.normal(size=(3, 3))
    return b @ b.T + 3.0 * np.eye(3)


HIGHER = [(_eigh_cubed, _spd), (_svd_cubed, lambda rng: rng.normal(size=(4, 3))),
          (_interp_squared, lambda rng: rng.uniform(-0.9, 0.9, 4)), (_convolve_squared, lambda rng: rng.normal(size=5))]


@pytest.mark.parametrize("f, draw", HIGHER, ids=[f.__name__ for f, _ in HIGHER])
def test_batched_and_third_order(f, draw):
    """A batch of tangents equals one JVP per column; the third derivative (forward over forward over
    reverse, the generated code differentiated twice more) matches finite differences of the second."""
    from s2sad import driver, higher
    rng = np.random.default_rng(7)
    x = draw(rng)
    batch = rng.normal(size=(3,) + x.shape)
    _, dots = higher.batched_jvp(f, (x,), (batch,))
    np.testing.assert_allclose(dots, [s2sad.jvp(f, (x,), (batch[k],))[1] for k in range(3)], rtol=1e-10, atol=1e-12)
    v = rng.normal(size=x.shape)
    hvp = driver.derivative(driver.derivative(f, "reverse", ("a",)).function, "forward", ("a",)).function
    third = driver.derivative(hvp, "forward", ("a",)).function
    eps = 1e-5
    numeric = (hvp(x + eps * v, 1.0, v)[1] - hvp(x - eps * v, 1.0, v)[1]) / (2 * eps)
    np.testing.assert_allclose(third(x, 1.0, v, v)[1][1], numeric, rtol=1e-4, atol=1e-5)


scipy_linalg = pytest.importorskip("scipy.linalg")


def _solve_symmetric(a, b):
    return np.sum(scipy_linalg.solve(a, b, assume_a="pos"))


def test_scipy_solve_with_a_structure_is_refused():
    with pytest.raises(S2SADError, match="assume_a"):
        s2sad.grad(_solve_symmetric)(np.eye(2) * 2.0, np.ones(2))
