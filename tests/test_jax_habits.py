"""Functions as values, *args / **kwargs, and JAX habits: source in, derivative values out.

Each derivative is checked against central finite differences, in both modes, and the
Hessian against finite differences of the gradient (second order).
"""

import functools
import math

import numpy as np
import pytest

import s2sad

X = np.array([0.3, -0.7, 1.1])


def fd_grad(f, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def check_both_modes_and_hessian(f, x=X):
    """grad (reverse), jvp (forward) and hessian of f at x against finite differences."""
    expected = fd_grad(f, x)
    np.testing.assert_allclose(s2sad.grad(f)(x), expected, rtol=1e-6, atol=1e-7)
    for k in range(len(x)):
        _, directional = s2sad.jvp(f, (x,), (np.eye(len(x))[k],))
        np.testing.assert_allclose(directional, expected[k], rtol=1e-6, atol=1e-7)
    hessian = s2sad.hessian(f)(x)
    by_fd = np.array([fd_grad(lambda z, k=k: s2sad.grad(f)(z)[k], x) for k in range(len(x))])
    np.testing.assert_allclose(hessian, by_fd, rtol=1e-5, atol=1e-6)


# -- *args and **kwargs in helpers -------------------------------------------------------------


def sum_of_squares(*arrays, **options):
    total = 0.0
    for a in arrays:
        total = total + np.sum(a ** 2)
    return total * options["scale"]


def calls_star_helper(x):
    return sum_of_squares(x, np.sin(x), scale=2.0)


def weighted(a, *rest, w=1.0, **kw):
    return w * a * rest[0] + kw["b"]


def calls_mixed_signature(x):
    return np.sum(weighted(x, x ** 2, w=3.0, b=np.cos(x)))


def calls_star_helper_with_none(x):
    return np.sum(x ** 2) + weighted(x[0], x[1], b=0.5)


def two_calls_two_copies(x):
    return sum_of_squares(x, scale=1.0) + sum_of_squares(x, x ** 2, scale=3.0)  # two copies, one name


# -- functions as values -----------------------------------------------------------------------


def loss(x, reduce=np.sum):
    return reduce(x ** 2)


def default_and_given_reduction(x):
    return loss(x) + loss(x, reduce=np.max)


def apply(fn, x):
    return fn(x)


def cube_sum(x):
    return np.sum(x ** 3)


def apply_user_function(x):
    return apply(cube_sum, x)


def apply_ufunc(x):
    return np.sum(apply(np.sin, x))


def apply_math_function(x):
    return apply(math.exp, x[0]) * x[1]


def product_by_reduce(x):
    return functools.reduce(lambda a, b: a * b, [x[0], x[1], x[2]])


def arrays_by_reduce_with_initial(x):
    return np.sum(functools.reduce(lambda a, b: a * b + a, [x, x ** 2], np.cos(x)))


def nested_def_as_value(x):
    def square(z):
        return z ** 2
    return np.sum(apply(square, x))


def closure_over_a_local(x):
    w = x[0] * 2.0
    scaled = lambda z: z * w  # noqa: E731 (a lambda, as users write them)
    return np.sum(apply(scaled, x))


def nested_calling_nested(x):
    def inner(z):
        return np.sin(z)

    def outer(z):
        return inner(z) * z
    return np.sum(outer(x))


def twice(fn, x):
    return apply(fn, apply(fn, x))


def function_passed_on(x):
    return np.sum(twice(np.tanh, x))


def power(fn, x, n):
    return fn(x) if n == 0 else fn(power(fn, x, n - 1))


def recursive_helper_with_a_function(x):
    return np.sum(power(np.sin, x, 3))


CASES = [calls_star_helper, two_calls_two_copies, calls_mixed_signature, calls_star_helper_with_none,
         default_and_given_reduction,
         apply_user_function, apply_ufunc, apply_math_function, product_by_reduce, arrays_by_reduce_with_initial,
         nested_def_as_value, closure_over_a_local, nested_calling_nested, function_passed_on,
         recursive_helper_with_a_function]


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_functions_as_values_and_star_args_match_finite_differences(f):
    check_both_modes_and_hessian(f)


def test_a_specialized_copy_reads_as_the_helper_with_its_function_bound():
    anf = s2sad.source(apply_ufunc, stage="anf")
    assert "apply_sin(x)" in anf  # the call of the copy made for np.sin
    assert s2sad.grad(apply_ufunc)(X) == pytest.approx(np.cos(X))


def test_programs_without_these_constructs_are_not_rewritten():
    def plain(x):
        return cube_sum(x) * 2.0
    assert "cube_sum(x)" in s2sad.source(plain, stage="anf")


def test_a_function_chosen_at_run_time_is_refused_with_the_way_out():
    def chosen_in_a_loop(x):
        total = 0.0
        for fn in [np.sin, np.cos]:
            total = total + np.sum(apply(fn, x))
        return total
    with pytest.raises(s2sad.S2SADError, match="known only when the code runs.*pass the function by name"):
        s2sad.grad(chosen_in_a_loop)(X)


def test_nested_functions_calling_each_other_in_a_cycle_are_refused():
    def cycle(x):
        def even(z, n):
            return z if n == 0 else odd(z, n - 1)

        def odd(z, n):
            return even(z, n - 1) * z
        return even(x, 2)
    with pytest.raises(s2sad.S2SADError, match="call each other in a cycle"):
        s2sad.grad(cycle)(1.5)


NP_FN = np.sin


def reads_a_module_level_function(x):
    return np.sum(NP_FN(x))


def test_rebinding_a_module_level_numpy_function_rebuilds_the_derivative():
    global NP_FN
    assert s2sad.grad(reads_a_module_level_function)(X) == pytest.approx(np.cos(X))
    NP_FN = np.cos
    try:
        assert s2sad.grad(reads_a_module_level_function)(X) == pytest.approx(-np.sin(X))
    finally:
        NP_FN = np.sin
    assert s2sad.grad(reads_a_module_level_function)(X) == pytest.approx(np.cos(X))


HELPER = cube_sum


def passes_a_module_level_function(x):
    return apply(HELPER, x)


def test_rebinding_a_function_passed_at_a_call_rebuilds_the_derivative():
    global HELPER
    assert s2sad.grad(passes_a_module_level_function)(X) == pytest.approx(3 * X ** 2)
    HELPER = np.sum
    try:
        assert s2sad.grad(passes_a_module_level_function)(X) == pytest.approx(np.ones(3))
    finally:
        HELPER = cube_sum


# -- JAX habits --------------------------------------------------------------------------------


class Model:
    def __init__(self):
        self.W = np.array([1.0, 2.0, 3.0])

    def loss(self, x):
        return np.sum(self.W * np.sin(x))

    @s2sad.differentiate
    def energy(self, x):
        return np.sum(self.W * x ** 3)


def test_bound_method_with_grad_and_source():
    model = Model()
    np.testing.assert_allclose(s2sad.grad(model.loss)(X), model.W * np.cos(X))
    assert "def loss_vjp" in s2sad.source(model.loss)


def test_differentiate_on_a_method():
    model = Model()
    assert model.energy(X) == pytest.approx(np.sum(model.W * X ** 3))
    np.testing.assert_allclose(model.energy.grad(X), 3 * model.W * X ** 2)
    _, tangent = model.energy.jvp((X,), (np.ones(3),))
    assert tangent == pytest.approx(np.sum(3 * model.W * X ** 2))
    assert "def energy_vjp" in model.energy.source()


def test_grad_of_ufuncs_and_math_functions_to_second_order():
    assert s2sad.grad(np.sin)(0.3) == pytest.approx(np.cos(0.3))
    assert s2sad.grad(s2sad.grad(np.sin))(0.3) == pytest.approx(-np.sin(0.3))
    assert s2sad.grad(s2sad.grad(math.log))(0.3) == pytest.approx(-1 / 0.09)


def with_aux(x):
    return np.sum(x ** 2), x * 2


def test_has_aux_on_grad_value_and_grad_vjp_and_jacobian():
    gradient, aux = s2sad.grad(with_aux, has_aux=True)(X)
    np.testing.assert_allclose(gradient, fd_grad(lambda z: with_aux(z)[0], X), rtol=1e-6)
    np.testing.assert_allclose(aux, 2 * X)
    (value, _), gradient = s2sad.value_and_grad(with_aux, has_aux=True)(X)
    assert value == pytest.approx(np.sum(X ** 2))
    _, pullback, _ = s2sad.vjp(with_aux, X, has_aux=True)
    np.testing.assert_allclose(pullback(1.0)[0], 2 * X)


def dict_output(x):
    return {"a": np.sin(x), "b": x[0] * x}


def test_jacobian_of_a_dict_output_is_a_dict_of_jacobians():
    J = s2sad.jacobian(dict_output, mode="forward")(X)
    assert set(J) == {"a", "b"}
    for key in J:
        by_fd = np.array([fd_grad(lambda z, i=i, key=key: dict_output(z)[key][i], X) for i in range(3)])
        np.testing.assert_allclose(J[key], by_fd, rtol=1e-6, atol=1e-8)


# -- second order through a callee with a loop (was a TypeError) ------------------------------


def loop_in_callee(x, y):
    s = 0.0
    for i in range(3):
        s = s + x * y ** 2 * i
    return s


def calls_loop(x, y):
    return loop_in_callee(x, y) * x


def test_grad_of_grad_wrt_one_through_a_callee_with_a_loop():
    inner = s2sad.grad(calls_loop, wrt=1)
    x, y, eps = 1.5, 0.7, 1e-6
    by_fd = (inner(x + eps, y) - inner(x - eps, y)) / (2 * eps)
    assert s2sad.grad(inner)(x, y) == pytest.approx(by_fd, rel=1e-6)
    assert s2sad.grad(inner)(x, y) == pytest.approx(12 * x * y)  # d/dx d/dy 3 x^2 y^2


# -- what stays refused, and says so -----------------------------------------------------------


def grad_inside(x):
    return np.sum(s2sad.grad(cube_sum)(x) * x)


def test_grad_inside_a_differentiated_function_is_differentiated():
    """sum(3 x^2 * x) = 3 sum(x^3): its gradient is 9 x^2 (tests/test_jax_nesting.py has the rest)."""
    np.testing.assert_allclose(s2sad.grad(grad_inside)(X), 9 * X ** 2, rtol=1e-12)


def test_hessian_with_respect_to_a_container_gives_nested_blocks():
    def of_pair(p):
        return np.sum(p[0] ** 2 * p[1])
    H = s2sad.hessian(of_pair)((X, X))  # H[i][j] = d2f / dp[i] dp[j], shape X.shape + X.shape
    np.testing.assert_allclose(H[0][0], np.diag(2 * X), rtol=1e-12)
    np.testing.assert_allclose(H[0][1], np.diag(2 * X), rtol=1e-12)
    np.testing.assert_allclose(H[1][1], np.zeros((3, 3)), atol=1e-12)


def test_jacobian_of_a_jacobian_of_a_ufunc_is_the_third_derivative():
    T = s2sad.jacobian(s2sad.jacobian(np.sin))(X)  # shape (3, 3, 3): -sin(x_i) on the diagonal
    expected = np.zeros((3, 3, 3))
    expected[np.arange(3), np.arange(3), np.arange(3)] = -np.sin(X)
    np.testing.assert_allclose(T, expected, atol=1e-12)


def test_the_fuzzer_draws_star_args_and_functions_passed_as_arguments():
    from s2sad.fuzz.generator import generate
    sources = [generate(seed).source for seed in range(60)]
    assert any("def star1(*terms" in s for s in sources)
    assert any("def apply1(fn, a)" in s for s in sources)
