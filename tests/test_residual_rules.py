"""Rules with residuals (s2sad/factored.py): reverse mode keeps the factorization the primal made.

np.linalg.solve, slogdet and inv are split in reverse mode: `x, record = solve_fwd(a, b)` in the
primal sweep, `solve_bwd(record, x_bar)` in the adjoint sweep. These tests check that the split
is used, that its numbers are the plain rules' (finite differences, forward against reverse),
in loops, at higher order, and that a matrix changed in place is factored again.
"""

import numpy as np
import pytest

import s2sad
from s2sad import factored
from s2sad.testing import check_derivatives

N = 40  # above runtime.STRUCTURED_MIN, so the structured paths run


def _kernel(s, x):
    return np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / s) + 0.1 * np.eye(x.shape[0])


def gp_slogdet(s, x):
    K = _kernel(s, x)
    sign, logdet = np.linalg.slogdet(K)
    alpha = np.linalg.solve(K, x)
    return 0.5 * np.dot(x, alpha) + 0.5 * logdet + 0.01 * np.sum(np.linalg.inv(K))


def gp_cholesky(s, x):
    L = np.linalg.cholesky(_kernel(s, x))
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, x))
    return 0.5 * np.dot(x, alpha) + np.sum(np.log(np.diag(L)))


def solves_in_a_loop(s, x):
    """Each pass's record (the factor, the solution) goes on the tape."""
    K = _kernel(s, x)
    v = x
    for i in range(3):
        v = np.linalg.solve(K + i * s * np.eye(x.shape[0]), v) + 0.1 * v
    return np.sum(v * v)


def _args():
    return 1.3, np.linspace(-2.0, 2.0, N)


def test_reverse_mode_calls_the_split_and_forward_mode_the_plain_rule():
    reverse = s2sad.source(gp_slogdet, mode="reverse", wrt=(0, 1))
    for name in ("slogdet_fwd(K)", "solve_fwd(K, x)", "inv_fwd(K)", "solve_bwd(", "slogdet_bwd(", "inv_bwd("):
        assert name in reverse, name
    assert "np.linalg.solve" not in reverse.split("return")[0].split("_bar")[0]
    forward = s2sad.source(gp_slogdet, mode="forward", wrt=(0, 1))
    assert "_fwd(" not in forward and "np.linalg.slogdet(K)" in forward


def test_only_the_active_arguments_cotangents_are_computed():
    def f(a, b):
        return np.sum(np.linalg.solve(a, b))
    assert "solve_bwd_b(" in s2sad.source(f, mode="reverse", wrt=1)
    assert "solve_bwd_a(" in s2sad.source(f, mode="reverse", wrt=0)


@pytest.mark.parametrize("f", [gp_slogdet, gp_cholesky, solves_in_a_loop])
def test_gradients_match_finite_differences_and_forward_mode(f):
    check_derivatives(f, _args(), wrt=(0, 1), rtol=1e-5, atol=1e-6)


def test_the_value_is_the_primal_up_to_rounding():
    s, x = _args()
    value, _ = s2sad.value_and_grad(gp_slogdet, wrt=(0, 1))(s, x)
    np.testing.assert_allclose(value, gp_slogdet(s, x), rtol=1e-12)


@pytest.mark.parametrize("f", [gp_slogdet, gp_cholesky])
def test_second_derivatives_in_both_nestings(f):
    """Forward over reverse (the Hessian) and reverse over reverse both differentiate the split
    helpers' own source; both must match finite differences of the gradient."""
    s, x = _args()
    grad = s2sad.grad(f, wrt=0)
    h = 1e-5
    numeric = (grad(s + h, x) - grad(s - h, x)) / (2 * h)
    np.testing.assert_allclose(s2sad.hessian(f, wrt=0)(s, x), numeric, rtol=1e-6)
    np.testing.assert_allclose(s2sad.grad(grad, wrt=0)(s, x), numeric, rtol=1e-6)


def test_the_jacobian_of_the_gradient_in_both_modes():
    s, x = _args()
    grad = s2sad.grad(gp_slogdet, wrt=1)
    h = 1e-6
    numeric = np.array([(grad(s, x + h * e) - grad(s, x - h * e)) / (2 * h) for e in np.eye(N)]).T
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(s2sad.jacobian(grad, wrt=1, mode=mode)(s, x), numeric, rtol=1e-5, atol=1e-6)


def test_a_matrix_changed_in_place_is_factored_again():
    """factorize remembers its last Cholesky factor: only for the same array with the same values."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, N))
    a = x @ x.T + N * np.eye(N)
    first = factored.factorize(a)
    assert factored.factorize(a) is first
    assert factored.factorize(a.copy()) is not first  # equal values, another array: not assumed
    a[3, 3] += 1.0
    again = factored.factorize(a)
    assert again is not first
    np.testing.assert_allclose(again.L @ again.L.T, a, atol=1e-10)
    del a
    assert factored._LAST[0][0]() is None  # the matrix itself is not kept alive


@pytest.mark.parametrize("make", [
    lambda x: x @ x.T + N * np.eye(N),          # Cholesky
    lambda x: np.tril(x) + N * np.eye(N),       # lower triangular
    lambda x: np.triu(x) + N * np.eye(N),       # upper triangular
    lambda x: x + N * np.eye(N),                # general: LU each time
    lambda x: x + x.T + 3.0 * np.eye(N),        # symmetric, not positive definite: LU after all
])
def test_factored_primitives_agree_with_numpy(make):
    rng = np.random.default_rng(1)
    a, b = make(rng.normal(size=(N, N))), rng.normal(size=(N, 3))
    res = factored.factorize(a)
    np.testing.assert_allclose(factored.factored_solve(res, a, b), np.linalg.solve(a, b), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(factored.factored_solve(res, a, b, True), np.linalg.solve(a.T, b), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(factored.factored_inv(res, a), np.linalg.inv(a), rtol=1e-9, atol=1e-12)
    sign, logdet = factored.factored_slogdet(res, a)
    want = np.linalg.slogdet(a)
    assert sign == want[0]
    np.testing.assert_allclose(logdet, want[1], rtol=1e-12)
    assert type(factored.factored_slogdet(res, a)) is type(want)


def _solve_one_way_or_the_other(K, x, by_inverse):
    alpha = np.linalg.inv(K) @ x if by_inverse else np.linalg.solve(K, x)
    return np.dot(x, alpha)


def calls_a_helper_with_a_branch(s, x, by_inverse):
    return _solve_one_way_or_the_other(_kernel(s, x), x, by_inverse)


@pytest.mark.parametrize("by_inverse", [False, True])
def test_a_split_in_a_branch_of_a_called_function(by_inverse):
    """The helper's record returns the record of the branch not taken too (bound to None)."""
    s, x = _args()
    check_derivatives(calls_a_helper_with_a_branch, (s, x, by_inverse), wrt=(0, 1))
