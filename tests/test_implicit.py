"""Fixed points and solvers differentiated by the implicit function theorem (docs/implicit.md).

Each problem's derivative is checked against finite differences of the converged solution, and,
where the solver's iterations converge, against s2sad's derivative of the unrolled iterations;
closed forms where there are.
"""

import numpy as np
import pytest

import s2sad
from s2sad import solvers

RNG = np.random.default_rng(15)
EPS = 1e-6


def fd(f, x, direction=None, eps=EPS):
    """Central difference of f at x along direction (1 for a float x)."""
    if direction is None:
        return (f(x + eps) - f(x - eps)) / (2 * eps)
    return (f(x + eps * direction) - f(x - eps * direction)) / (2 * eps)


# -- 1. a scalar Newton square root ---------------------------------------------------------------


def newton_step(x, a):
    return 0.5 * (x + a / x)


def sqrt_fixed(a):
    return s2sad.fixed_point(newton_step, 1.0, a)


def sqrt_unrolled(a):
    x = 1.0
    for _ in range(30):
        x = newton_step(x, a)
    return x


def test_newton_square_root_every_mode():
    a = 2.0
    exact = 0.5 / np.sqrt(a)
    assert sqrt_fixed(a) == pytest.approx(np.sqrt(a), abs=1e-14)
    assert s2sad.grad(sqrt_fixed)(a) == pytest.approx(exact, rel=1e-12)
    assert s2sad.jvp(sqrt_fixed, (a,), (1.0,))[1] == pytest.approx(exact, rel=1e-12)
    assert s2sad.grad(sqrt_fixed)(a) == pytest.approx(fd(sqrt_fixed, a), rel=1e-8)
    assert s2sad.grad(sqrt_fixed)(a) == pytest.approx(s2sad.grad(sqrt_unrolled)(a), rel=1e-12)


def test_hessian_through_a_fixed_point():
    a = 2.0
    assert s2sad.hessian(sqrt_fixed)(a) == pytest.approx(-0.25 * a ** -1.5, rel=1e-10)
    assert s2sad.hvp(sqrt_fixed, (a,), (1.0,)) == pytest.approx(-0.25 * a ** -1.5, rel=1e-10)


# -- 2. a contraction in R^50 ---------------------------------------------------------------------

N50 = 50
A50 = RNG.normal(size=(N50, N50)) * 0.5 / np.sqrt(N50)


def contraction(x, A, c):
    return A @ np.tanh(x) + c


def contraction_loss(A, c):
    x = s2sad.fixed_point(contraction, np.zeros(N50), A, c)
    return np.sum(np.sin(x))


def contraction_unrolled(A, c):
    x = np.zeros(N50)
    for _ in range(80):
        x = contraction(x, A, c)
    return np.sum(np.sin(x))


def test_contraction_in_R50():
    c = RNG.normal(size=N50)
    dA, dc = s2sad.grad(contraction_loss, wrt=(0, 1))(A50, c)
    direction = RNG.normal(size=N50)
    assert np.vdot(dc, direction) == pytest.approx(fd(lambda v: contraction_loss(A50, v), c, direction), rel=1e-6)
    matrix_direction = RNG.normal(size=(N50, N50))
    assert np.vdot(dA, matrix_direction) == pytest.approx(
        fd(lambda m: contraction_loss(m, c), A50, matrix_direction), rel=1e-6)
    unrolled = s2sad.grad(contraction_unrolled, wrt=(0, 1))(A50, c)
    np.testing.assert_allclose(dA, unrolled[0], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(dc, unrolled[1], rtol=1e-8, atol=1e-12)
    forward = s2sad.jvp(contraction_loss, (A50, c), (matrix_direction, direction))[1]
    assert forward == pytest.approx(np.vdot(dA, matrix_direction) + np.vdot(dc, direction), rel=1e-9)


# -- 3. a deep-equilibrium layer ------------------------------------------------------------------

WIDTH, INPUTS = 8, 3
W_DEQ = RNG.normal(size=(WIDTH, WIDTH)) * 0.4 / np.sqrt(WIDTH)
U_DEQ = RNG.normal(size=(WIDTH, INPUTS))


def deq_layer(z, W, U, u, b):
    return np.tanh(W @ z + U @ u + b)


def deq_loss(W, u, b):
    z = s2sad.fixed_point(deq_layer, np.zeros(WIDTH), W, U_DEQ, u, b)
    return np.sum(z ** 2)


def deq_unrolled(W, u, b):
    z = np.zeros(WIDTH)
    for _ in range(100):
        z = deq_layer(z, W, U_DEQ, u, b)
    return np.sum(z ** 2)


def test_deep_equilibrium_layer():
    u, b = RNG.normal(size=INPUTS), RNG.normal(size=WIDTH)
    grads = s2sad.grad(deq_loss, wrt=(0, 1, 2))(W_DEQ, u, b)
    unrolled = s2sad.grad(deq_unrolled, wrt=(0, 1, 2))(W_DEQ, u, b)
    for got, want in zip(grads, unrolled):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)
    for i, direction in enumerate(np.eye(INPUTS)):
        assert grads[1][i] == pytest.approx(fd(lambda v: deq_loss(W_DEQ, v, b), u, direction), rel=1e-6)
    hessian = s2sad.hessian(deq_loss, wrt=1)(W_DEQ, u, b)
    column = fd(lambda v: s2sad.grad(deq_loss, wrt=1)(W_DEQ, v, b), u, np.eye(INPUTS)[0])
    np.testing.assert_allclose(hessian[:, 0], column, rtol=1e-5, atol=1e-8)


def test_jacobian_through_a_fixed_point_both_modes():
    u = RNG.normal(size=INPUTS)

    def layer_of(b):
        return s2sad.fixed_point(deq_layer, np.zeros(WIDTH), W_DEQ, U_DEQ, u, b)
    b = RNG.normal(size=WIDTH)
    columns = np.column_stack([fd(layer_of, b, e) for e in np.eye(WIDTH)])
    np.testing.assert_allclose(s2sad.jacobian(layer_of, mode="forward")(b), columns, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(s2sad.jacobian(layer_of, mode="reverse")(b), columns, rtol=1e-6, atol=1e-9)


# -- 4. the steady-state heat equation by Jacobi iteration ----------------------------------------

CELLS = 8


def jacobi(T, q, left, right):
    padded = np.concatenate([np.array([left]), T, np.array([right])])
    return 0.5 * (padded[:-2] + padded[2:] + q / (CELLS + 1) ** 2)


def heat_energy(q, left):
    T = s2sad.fixed_point(jacobi, np.zeros(CELLS), q, left, 1.0, max_iter=5000)
    return np.sum(T ** 2)


def test_heat_equation_by_jacobi_matches_the_linear_solve():
    q, left = RNG.uniform(0.5, 1.5, CELLS), 0.3
    laplacian = 2 * np.eye(CELLS) - np.eye(CELLS, k=1) - np.eye(CELLS, k=-1)
    boundary = np.zeros(CELLS)
    boundary[0], boundary[-1] = left, 1.0
    T = np.linalg.solve(laplacian, q / (CELLS + 1) ** 2 + boundary)
    exact_q = np.linalg.solve(laplacian.T, 2 * T) / (CELLS + 1) ** 2   # d sum(T^2) / dq
    dq, dleft = s2sad.grad(heat_energy, wrt=(0, 1))(q, left)
    np.testing.assert_allclose(dq, exact_q, rtol=1e-8)
    assert dleft == pytest.approx(np.linalg.solve(laplacian.T, 2 * T)[0], rel=1e-8)
    assert dleft == pytest.approx(fd(lambda v: heat_energy(q, v), left), rel=1e-6)
    direction = RNG.normal(size=CELLS)
    quadratic = fd(lambda v: heat_energy(v, left), q, direction, eps=1e-3)   # exact for a quadratic
    assert np.vdot(dq, direction) == pytest.approx(quadratic, rel=1e-6)


def heat_energy_unrolled(q, left):
    T = np.zeros(CELLS)
    for _ in range(800):            # spectral radius cos(pi / 9) = 0.94: converged to 1e-16
        T = jacobi(T, q, left, 1.0)
    return np.sum(T ** 2)


def test_heat_equation_matches_the_unrolled_jacobi_iterations():
    q, left = RNG.uniform(0.5, 1.5, CELLS), 0.3
    implicit = s2sad.grad(heat_energy, wrt=(0, 1))(q, left)
    unrolled = s2sad.grad(heat_energy_unrolled, wrt=(0, 1))(q, left)
    np.testing.assert_allclose(implicit[0], unrolled[0], rtol=1e-9)
    assert implicit[1] == pytest.approx(unrolled[1], rel=1e-9)


# -- 5, 6, 7. ridge regression by np.linalg.solve and scipy.optimize.minimize; a bilevel gradient --

X_TRAIN, Y_TRAIN = RNG.normal(size=(30, 4)), RNG.normal(size=30)
X_VALID, Y_VALID = RNG.normal(size=(20, 4)), RNG.normal(size=20)


def ridge_residual(w, lam):
    return X_TRAIN.T @ (X_TRAIN @ w - Y_TRAIN) + lam * w


@s2sad.implicit(ridge_residual)
def ridge_by_solve(lam):
    return np.linalg.solve(X_TRAIN.T @ X_TRAIN + lam * np.eye(4), X_TRAIN.T @ Y_TRAIN)


def ridge_objective(w, lam):
    return 0.5 * np.sum((X_TRAIN @ w - Y_TRAIN) ** 2) + 0.5 * lam * np.sum(w ** 2)


@s2sad.implicit(s2sad.grad(ridge_objective))
def ridge_by_minimize(lam):
    scipy_optimize = pytest.importorskip("scipy.optimize")
    return scipy_optimize.minimize(ridge_objective, np.zeros(4), args=(lam,), jac=s2sad.grad(ridge_objective),
                                   method="BFGS", options={"gtol": 1e-12}).x


def ridge_exact_derivative(lam):
    H = X_TRAIN.T @ X_TRAIN + lam * np.eye(4)
    return -np.linalg.solve(H, np.linalg.solve(H, X_TRAIN.T @ Y_TRAIN))


@pytest.mark.parametrize("solver", [ridge_by_solve, ridge_by_minimize], ids=["solve", "minimize"])
def test_ridge_regression_weights(solver):
    lam = 0.7
    exact = ridge_exact_derivative(lam)
    np.testing.assert_allclose(s2sad.jacobian(solver)(lam), exact, rtol=1e-6)
    np.testing.assert_allclose(s2sad.jvp(solver, (lam,), (1.0,))[1], exact, rtol=1e-6)
    _, pullback = s2sad.vjp(solver, lam)
    direction = RNG.normal(size=4)
    assert pullback(direction)[0] == pytest.approx(np.vdot(exact, direction), rel=1e-6)
    np.testing.assert_allclose(fd(solver, lam, eps=1e-4), exact, rtol=1e-5)


def validation_loss(lam):
    w = ridge_by_minimize(lam)
    return np.mean((X_VALID @ w - Y_VALID) ** 2)


def test_bilevel_hyperparameter_gradient():
    lam = 0.7
    w = ridge_by_solve(lam)
    exact = np.vdot(2 * X_VALID.T @ (X_VALID @ w - Y_VALID) / len(Y_VALID), ridge_exact_derivative(lam))
    assert s2sad.grad(validation_loss)(lam) == pytest.approx(exact, rel=1e-6)
    assert s2sad.grad(validation_loss)(lam) == pytest.approx(fd(validation_loss, lam, eps=1e-4), rel=1e-4)


# -- 8. dict and tuple states; loops ---------------------------------------------------------------


def coupled(state, a):
    return {"x": 0.5 * np.cos(state["y"]) + a, "y": 0.3 * np.sin(state["x"])}


def coupled_product(a):
    state = s2sad.fixed_point(coupled, {"x": 0.0, "y": 0.0}, a)
    return state["x"] * state["y"]


def pair_step(pair, a):
    x, y = pair
    return (0.5 * np.cos(y) + a, 0.3 * np.sin(x))


def pair_product(a):
    x, y = s2sad.fixed_point(pair_step, (0.0, 0.0), a)
    return x * y


def coupled_unrolled(a):
    state = {"x": 0.0, "y": 0.0}
    for _ in range(60):
        state = coupled(state, a)
    return state["x"] * state["y"]


@pytest.mark.parametrize("f", [coupled_product, pair_product], ids=["dict", "tuple"])
def test_structured_states(f):
    a = 0.7
    want = fd(f, a)
    assert s2sad.grad(f)(a) == pytest.approx(want, rel=1e-7)
    assert s2sad.jvp(f, (a,), (1.0,))[1] == pytest.approx(want, rel=1e-7)
    assert s2sad.grad(f)(a) == pytest.approx(s2sad.grad(coupled_unrolled)(a), rel=1e-10)
    assert s2sad.hessian(f)(a) == pytest.approx(fd(s2sad.grad(f), a), rel=1e-5)


def sqrt_sum_in_a_loop(a):
    total, x = 0.0, 1.0
    for k in range(3):
        x = s2sad.fixed_point(newton_step, x, a + k)   # warm-started from the last answer
        total = total + x
    return total


def test_fixed_points_inside_a_loop():
    a = 2.0
    exact = sum(0.5 / np.sqrt(a + k) for k in range(3))
    assert s2sad.grad(sqrt_sum_in_a_loop)(a) == pytest.approx(exact, rel=1e-12)
    assert s2sad.jvp(sqrt_sum_in_a_loop, (a,), (1.0,))[1] == pytest.approx(exact, rel=1e-12)


def sqrt_of_start(x0, a):
    return s2sad.fixed_point(newton_step, x0, a)


def test_the_start_gets_no_derivative():
    dx0, da = s2sad.grad(sqrt_of_start, wrt=(0, 1))(1.0, 2.0)
    assert dx0 == 0.0
    assert da == pytest.approx(0.5 / np.sqrt(2.0), rel=1e-12)


def test_generated_code_calls_the_adjoint_fixed_point():
    source = s2sad.source(sqrt_fixed)
    assert "fixed_point_3(newton_step, 1.0, a)" in source
    assert "fixed_point_cotangent(newton_step" in source
    assert "fixed_point_tangent(newton_step" in s2sad.source(sqrt_fixed, mode="forward")


# -- refusals -----------------------------------------------------------------------------------


def expanding(x, a):
    return 2.0 * x - a          # fixed point a, but |d step/dx| = 2: not a contraction


def expanding_answer(a):
    return s2sad.fixed_point(expanding, a, a)   # starts on the answer, so the primal "converges"


def test_non_contraction_is_refused_in_both_modes():
    assert expanding_answer(1.5) == 1.5
    with pytest.raises(s2sad.S2SADError, match="adjoint iteration of fixed_point did not converge"):
        s2sad.vjp(expanding_answer, 1.5)[1](1.0)
    with pytest.raises(s2sad.S2SADError, match="tangent iteration of fixed_point did not converge"):
        s2sad.grad(expanding_answer)(1.5)  # grad of one float runs forward mode
    with pytest.raises(s2sad.S2SADError, match="tangent iteration of fixed_point did not converge"):
        s2sad.jvp(expanding_answer, (1.5,), (1.0,))


def test_primal_non_convergence_names_the_measured_gap():
    with pytest.raises(s2sad.S2SADError, match=r"did not converge: after 20 iterations .* differ by") as info:
        s2sad.fixed_point(expanding, 0.0, 1.0, max_iter=20)
    assert "test_implicit.py" in str(info.value)


def singular_residual(x, a):
    return np.array([x[0] + x[1] - a, 2 * x[0] + 2 * x[1] - 2 * a])


@s2sad.implicit(singular_residual)
def singular_solver(a):
    return np.array([a, 0.0])


def test_singular_jacobian_is_refused():
    with pytest.raises(s2sad.S2SADError, match="is singular"):
        s2sad.grad(lambda a: np.sum(singular_solver(a)))(1.0)
    with pytest.raises(s2sad.S2SADError, match="is singular"):
        s2sad.jvp(singular_solver, (1.0,), (1.0,))


def test_matrix_free_path(monkeypatch):
    monkeypatch.setattr(solvers, "DENSE_LIMIT", 2)
    lam = 0.7
    exact = ridge_exact_derivative(lam)
    np.testing.assert_allclose(s2sad.jvp(ridge_by_solve, (lam,), (1.0,))[1], exact, rtol=1e-7)
    _, pullback = s2sad.vjp(ridge_by_solve, lam)
    assert pullback(np.ones(4))[0] == pytest.approx(np.sum(exact), rel=1e-7)
    monkeypatch.setattr(solvers, "DENSE_LIMIT", 0)
    with pytest.raises(s2sad.S2SADError, match="GMRES"):   # dR/da is outside the range of dR/dx
        s2sad.jvp(inconsistent_solver, (2.0,), (1.0,))


def inconsistent_residual(x, a):
    return np.array([x[0] + x[1] - a, 2 * x[0] + 2 * x[1] - a ** 2])


@s2sad.implicit(inconsistent_residual)
def inconsistent_solver(a):
    return np.array([a, 0.0])


def test_own_gmres_solves_a_nonsymmetric_system():
    matrix = np.eye(30) * 3 + RNG.normal(size=(30, 30)) * 0.3
    rhs = RNG.normal(size=30)
    np.testing.assert_allclose(solvers.gmres(lambda v: matrix @ v, rhs, 1e-12, 300), np.linalg.solve(matrix, rhs),
                               rtol=1e-8)


def cubic_residual(x, a, b):
    return x ** 3 + a * x - b


@s2sad.implicit(cubic_residual)
def cubic_root(a, b):
    scipy_optimize = pytest.importorskip("scipy.optimize")
    return float(scipy_optimize.root(lambda x: cubic_residual(x, a, b), 1.0, tol=1e-14).x[0])


def test_scipy_root_as_the_solver_with_two_parameters():
    a, b = 2.0, 5.0
    x = cubic_root(a, b)
    slope = 3 * x ** 2 + a
    da, db = s2sad.grad(cubic_root, wrt=(0, 1))(a, b)
    assert (da, db) == pytest.approx((-x / slope, 1.0 / slope), rel=1e-10)
    assert s2sad.jvp(cubic_root, (a, b), (1.0, 0.0))[1] == pytest.approx(-x / slope, rel=1e-10)
    assert da == pytest.approx(fd(lambda v: cubic_root(v, b), a), rel=1e-6)


# -- singular Jacobians, small (dense) and large (matrix-free) ------------------------------------
# R(x, a) = x - s * mean(x) - a * v: its Jacobian I - (s/n) 1 1^T is singular at s = 1 (the
# constants are its null space, the zero-mean vectors its range), well conditioned for s < 1.


def projection_residual(x, a, shrink, v):
    return x - shrink * np.mean(x) - a * v


def projection_solver(v, shrink):
    """The answer x = a v + c 1, c = s mean(a v) / (1 - s) (any c when s = 1 and mean(v) = 0)."""
    @s2sad.implicit(lambda x, a: projection_residual(x, a, shrink, v))
    def solve(a):
        c = 0.0 if shrink == 1.0 else shrink * np.mean(a * v) / (1 - shrink)
        return a * v + c
    return solve


def inconsistent_projection_solver(n):
    """R(x, a) = x - mean(x) + (a - 2) 1: zero at a = 2 for every constant x; dR/da = 1 is outside
    the range of dR/dx, so no derivative exists."""
    @s2sad.implicit(lambda x, a: x - np.mean(x) + (a - 2.0) * np.ones(n))
    def solve(a):
        return np.full(n, 3.0)
    return solve


SIZES = [pytest.param(6, id="small-dense"), pytest.param(solvers.DENSE_LIMIT + 200, id="large-matrix-free")]


def zero_mean(n):
    v = np.random.default_rng(n).normal(size=n)
    return v - np.mean(v)


@pytest.mark.parametrize("n", SIZES)
def test_singular_consistent_jacobian_is_refused(n):
    solve = projection_solver(zero_mean(n), 1.0)
    assert np.max(np.abs(projection_residual(solve(0.5), 0.5, 1.0, zero_mean(n)))) < 1e-12
    with pytest.raises(s2sad.S2SADError, match="is singular") as info:
        s2sad.jvp(solve, (0.5,), (1.0,))
    assert "test_implicit.py" in str(info.value)
    with pytest.raises(s2sad.S2SADError, match="is singular"):
        s2sad.grad(lambda a: np.sum(solve(a) ** 2))(0.5)


@pytest.mark.parametrize("n", SIZES)
def test_singular_inconsistent_jacobian_is_refused(n):
    solve = inconsistent_projection_solver(n)
    with pytest.raises(s2sad.S2SADError, match="is singular"):
        s2sad.jvp(solve, (2.0,), (1.0,))
    with pytest.raises(s2sad.S2SADError, match="is singular"):
        s2sad.grad(lambda a: np.sum(solve(a)))(2.0)


@pytest.mark.parametrize("n", SIZES)
def test_nearly_singular_but_well_posed_jacobian_is_solved(n):
    shrink = 0.999          # condition number 1000
    v = np.random.default_rng(n + 1).normal(size=n)
    solve = projection_solver(v, shrink)
    a = 0.5
    exact = solve(a) / a    # x is linear in a
    assert np.max(np.abs(projection_residual(solve(a), a, shrink, v))) < 1e-9
    np.testing.assert_allclose(s2sad.jvp(solve, (a,), (1.0,))[1], exact, rtol=1e-7)
    np.testing.assert_allclose(fd(solve, a), exact, rtol=1e-6)
    weights = np.random.default_rng(n + 2).normal(size=n)
    assert s2sad.grad(lambda s: np.vdot(weights, solve(s)))(a) == pytest.approx(np.vdot(weights, exact), rel=1e-7)


def test_matrix_free_error_reports_the_measurement():
    n = solvers.DENSE_LIMIT + 200
    with pytest.raises(s2sad.S2SADError, match=r"matrix-free, 1200 unknowns.*relative error of [0-9.e-]+"):
        s2sad.jvp(projection_solver(zero_mean(n), 1.0), (0.5,), (1.0,))


# -- second derivatives, every nesting of modes ---------------------------------------------------
# Against central differences of the gradient (FD of s2sad's first derivative, itself checked above
# against FD of the solution) and, for ridge regression, against the closed form.


def second_derivatives(f, args, wrt, v, u):
    """<u, H v> four ways: forward over reverse (hvp), reverse over reverse, reverse over forward,
    forward over forward. args: a tuple; v, u: one direction per wrt position."""
    fwd_rev = s2sad.hvp(f, args, v, wrt=wrt)
    rev_rev = s2sad.vjp(s2sad.grad(f, wrt=wrt), *args)[1](v[0] if len(wrt) == 1 else tuple(v))
    tangent = s2sad.higher.jvp_function(f, wrt=wrt)
    cotangents = s2sad.vjp(tangent, *args, *v)[1]((0.0 * f(*args), 1.0))
    u_all = [u[wrt.index(i)] if i in wrt else None for i in range(len(args))]
    zeros = tuple(0.0 * np.asarray(t) if np.ndim(t) else 0.0 for t in v)
    fwd_fwd = s2sad.jvp(tangent, tuple(args) + tuple(v), tuple(u_all) + zeros)[1][1]
    dot = sum(np.vdot(ui, hi) for ui, hi in zip(u, fwd_rev))
    return ([fwd_rev[k] for k in range(len(wrt))], [rev_rev[i] for i in wrt], [cotangents[i] for i in wrt],
            dot, fwd_fwd)


def hessian_by_fd(f, args, wrt, v, eps=1e-5):
    """H v by central differences of s2sad's gradient along v."""
    def moved(sign):
        shifted = list(args)
        for i, vi in zip(wrt, v):
            shifted[i] = args[i] + sign * eps * vi
        return s2sad.grad(f, wrt=wrt)(*shifted)   # a tuple: wrt is one
    return [(p - m) / (2 * eps) for p, m in zip(moved(1), moved(-1))]


def check_second_derivatives(f, args, wrt, rtol=1e-6, atol=1e-9):
    rng = np.random.default_rng(len(wrt))
    v = [rng.normal(size=np.shape(args[i])) if np.ndim(args[i]) else float(rng.normal()) for i in wrt]
    u = [rng.normal(size=np.shape(args[i])) if np.ndim(args[i]) else float(rng.normal()) for i in wrt]
    want = hessian_by_fd(f, args, wrt, v)
    fwd_rev, rev_rev, rev_fwd, dot, fwd_fwd = second_derivatives(f, args, wrt, v, u)
    for got in (fwd_rev, rev_rev, rev_fwd):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    assert fwd_fwd == pytest.approx(sum(np.vdot(ui, wi) for ui, wi in zip(u, want)), rel=rtol, abs=atol)
    assert fwd_fwd == pytest.approx(dot, rel=1e-9, abs=1e-12)


def damped_step(x, a, count, scale=0.5):
    """An int parameter and a default argument besides the float one."""
    return scale * np.cos(x) * a + 0.1 * a ** count


def damped_cubes(a):
    return np.sum(s2sad.fixed_point(damped_step, np.zeros(3), a, 2) ** 3)


def coupled_residual(state, a):
    x, y = state
    return (x + 0.3 * np.sin(y) - a, y - 0.2 * x ** 2 - a ** 2)


@s2sad.implicit(coupled_residual)
def coupled_solver(a):
    """A tuple answer, by a plain iteration s2sad does not read."""
    x, y = 0.0, 0.0
    for _ in range(200):
        x, y = a - 0.3 * np.sin(y), 0.2 * x ** 2 + a ** 2
    return (x, y)


def coupled_solution_product(a):
    x, y = coupled_solver(a)
    return x * y ** 2


# A tuple parameter shared by two fixed points (or solvers): its two cotangents must add item by
# item (they once concatenated as tuples, a wrong gradient).


def cosine_step(x, p):
    a, b = p
    return 0.5 * np.cos(x) * a + b


def sine_step(x, p):
    a, b = p
    return 0.3 * np.sin(x) * b + a


def shared_tuple_parameter(a, b):
    p = (a, b)
    return s2sad.fixed_point(cosine_step, 0.0, p) * s2sad.fixed_point(sine_step, 0.0, p)


def cubic_residual_of_pair(x, p):
    a, b = p
    return x ** 3 + a * x - b


@s2sad.implicit(cubic_residual_of_pair)
def cubic_root_of_pair(p):
    scipy_optimize = pytest.importorskip("scipy.optimize")
    return float(scipy_optimize.root(lambda x: cubic_residual_of_pair(x, p), 1.0, tol=1e-14).x[0])


def shared_tuple_parameter_of_solvers(a, b):
    p = (a, b)
    return cubic_root_of_pair(p) * cubic_root_of_pair((b, a)) + cubic_root_of_pair(p) ** 2


@pytest.mark.parametrize("f", [shared_tuple_parameter, shared_tuple_parameter_of_solvers],
                         ids=["fixed-points", "implicit-solvers"])
def test_a_tuple_parameter_shared_by_two_solves(f):
    a, b = 0.7, 0.4
    da, db = s2sad.grad(f, wrt=(0, 1))(a, b)
    assert da == pytest.approx(fd(lambda v: f(v, b), a), rel=1e-6)
    assert db == pytest.approx(fd(lambda v: f(a, v), b), rel=1e-6)
    assert s2sad.jvp(f, (a, b), (1.0, 0.0))[1] == pytest.approx(da, rel=1e-9)


def contraction_loss_of_c(c):
    return contraction_loss(A50, c)


def cubic_root_product(a, b):
    return cubic_root(a, b) * a


def ridge_validation(lam):
    w = ridge_by_solve(lam)
    return np.mean((X_VALID @ w - Y_VALID) ** 2)


SECOND_ORDER = [
    pytest.param(sqrt_fixed, (2.0,), (0,), id="newton-sqrt"),
    pytest.param(contraction_loss_of_c, (RNG.normal(size=N50),), (0,), id="contraction-R50"),
    pytest.param(deq_loss, (W_DEQ, RNG.normal(size=INPUTS), RNG.normal(size=WIDTH)), (0, 1, 2), id="deq"),
    pytest.param(coupled_product, (0.7,), (0,), id="dict-state"),
    pytest.param(pair_product, (0.7,), (0,), id="tuple-state"),
    pytest.param(damped_cubes, (np.array([0.3, 0.5, 0.7]),), (0,), id="int-parameter-and-default"),
    pytest.param(coupled_solution_product, (0.4,), (0,), id="implicit-tuple-answer"),
    pytest.param(shared_tuple_parameter, (0.7, 0.4), (0, 1), id="shared-tuple-parameter"),
    pytest.param(shared_tuple_parameter_of_solvers, (0.7, 0.4), (0, 1), id="implicit-shared-tuple-parameter"),
    pytest.param(sqrt_sum_in_a_loop, (2.0,), (0,), id="in-a-loop"),
    pytest.param(ridge_validation, (0.7,), (0,), id="ridge-solve"),
    pytest.param(validation_loss, (0.7,), (0,), id="ridge-minimize"),
    pytest.param(cubic_root_product, (2.0, 5.0), (0, 1), id="scipy-root-two-params"),
]


@pytest.mark.parametrize("f, args, wrt", SECOND_ORDER)
def test_second_derivatives_in_every_nesting(f, args, wrt):
    check_second_derivatives(f, args, wrt, rtol=1e-4 if f is validation_loss else 1e-6)


def test_hessian_of_the_newton_square_root_every_way():
    a, exact = 2.0, -0.25 * 2.0 ** -1.5
    assert s2sad.grad(s2sad.grad(sqrt_fixed))(a) == pytest.approx(exact, rel=1e-12)
    assert s2sad.jacobian(s2sad.grad(sqrt_fixed), mode="reverse")(a) == pytest.approx(exact, rel=1e-12)
    assert s2sad.jacobian(s2sad.grad(sqrt_fixed), mode="forward")(a) == pytest.approx(exact, rel=1e-12)


def ridge_second_derivative(lam):
    """d^2 w / d lam^2 = 2 H^-2 H^-1 X^T y... of w = H^-1 X^T y, H = X^T X + lam I: 2 H^-3 X^T y."""
    H = X_TRAIN.T @ X_TRAIN + lam * np.eye(4)
    return 2 * np.linalg.solve(H, np.linalg.solve(H, np.linalg.solve(H, X_TRAIN.T @ Y_TRAIN)))


@pytest.mark.parametrize("solver", [ridge_by_solve, ridge_by_minimize], ids=["solve", "minimize"])
def test_ridge_second_derivative_closed_form(solver):
    lam, weights = 0.7, RNG.normal(size=4)
    exact = np.vdot(weights, ridge_second_derivative(lam))

    def weighted(s):
        return np.vdot(weights, solver(s))
    assert s2sad.hessian(weighted)(lam) == pytest.approx(exact, rel=1e-6)
    assert s2sad.grad(s2sad.grad(weighted))(lam) == pytest.approx(exact, rel=1e-6)


@pytest.mark.parametrize("n", [pytest.param(4, id="dense"), pytest.param(solvers.DENSE_LIMIT + 10, id="matrix-free")])
def test_second_derivative_through_a_large_implicit_solver(n):
    v = np.random.default_rng(3).normal(size=n)
    solve = projection_solver(v, 0.5)          # x = a v + a mean(v): linear in a

    def energy(a):
        return np.sum(np.sin(solve(a)))
    a = 0.3
    x_per_a = solve(1.0)
    exact = -np.sum(np.sin(a * x_per_a) * x_per_a ** 2)
    assert s2sad.hessian(energy)(a) == pytest.approx(exact, rel=1e-8)
    assert s2sad.grad(s2sad.grad(energy))(a) == pytest.approx(exact, rel=1e-8)


def test_third_derivatives_are_refused():
    with pytest.raises(s2sad.S2SADError, match="third and higher derivatives") as info:
        s2sad.grad(s2sad.grad(s2sad.grad(sqrt_fixed)))(2.0)
    assert "test_implicit.py" in str(info.value)
    with pytest.raises(s2sad.S2SADError, match="third and higher derivatives"):
        s2sad.hessian(s2sad.grad(cubic_root))(2.0, 5.0)


@pytest.mark.parametrize("f, args", [pytest.param(sqrt_fixed, (2.0,), id="newton-sqrt"),
                                     pytest.param(contraction_loss_of_c, (RNG.normal(size=N50),), id="contraction"),
                                     pytest.param(ridge_validation, (0.7,), id="ridge-solve")])
def test_linearize_and_transpose_through_a_fixed_point_or_solver(f, args):
    """The transposed linear code differentiates fixed_point_tangent / implicit_tangent in reverse mode."""
    out, f_jvp = s2sad.linearize(f, *args)
    f_vjp = s2sad.linear_transpose(f_jvp, *args)
    v = RNG.normal(size=np.shape(args[0])) if np.ndim(args[0]) else 1.3
    assert out == pytest.approx(f(*args), rel=1e-12)
    assert f_jvp(v) == pytest.approx(np.vdot(fd(f, args[0], v, eps=1e-5), 1.0), rel=1e-6)
    assert np.vdot(f_vjp(1.0)[0], v) == pytest.approx(f_jvp(v), rel=1e-10)   # <f_jvp(v), 1> == <v, f_vjp(1)>


def counted_step(state, a):
    return {"x": 0.5 * np.cos(state["x"]) + a, "n": state["n"]}


def state_with_an_int(a):
    state = s2sad.fixed_point(counted_step, {"x": 0.0, "n": 3}, a)
    return state["x"] ** 2 * state["n"]


def test_a_state_holding_an_int_is_refused():
    """Its derivative once failed with a TypeError inside the adjoint iteration."""
    assert state_with_an_int(0.7) > 0
    for derivative in (lambda: s2sad.grad(state_with_an_int)(0.7),
                       lambda: s2sad.jvp(state_with_an_int, (0.7,), (1.0,))):
        with pytest.raises(s2sad.S2SADError, match=r"not a float value or a container of floats only \(a dict "
                                                   r"holding 'x': float64, 'n': int\)") as info:
            derivative()
        assert "test_implicit.py" in str(info.value)
