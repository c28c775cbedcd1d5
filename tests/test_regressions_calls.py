"""Regressions in calls to user functions and in how s2sad receives the function to differentiate.

Each test reads as an example: a small program, then its derivative checked against an
independent oracle (finite differences, of f or of its gradient for second order).
"""

import numpy as np
import pytest

import s2sad
import s2sad.testing
from s2sad.testing import numerical_jvp

EPS = 1e-5


def fd_gradient(f, x):
    """Central differences of scalar f at x (float or array)."""
    if np.ndim(x) == 0:
        return float(numerical_jvp(f, [x], 0, 1.0, EPS))
    return np.array([numerical_jvp(f, [x], 0, e, EPS) for e in np.eye(x.size)]).reshape(x.shape)


def fd_hessian(f, x):
    """Finite differences of s2sad's gradient (itself checked against FD of f below)."""
    g = s2sad.grad(f)
    if np.ndim(x) == 0:
        return float(numerical_jvp(g, [x], 0, 1.0, EPS))
    cols = [np.asarray(numerical_jvp(g, [x], 0, e.reshape(x.shape), EPS)) for e in np.eye(x.size)]
    return np.stack(cols, axis=-1).reshape(x.shape + x.shape)


# -- class 4: second derivatives through a helper holding a loop ---------------------------


def cube(r):
    v = r
    for _ in range(2):
        v = v * r
    return v


def cube_plus_zero(r):
    return cube(r) + 0.0


def branchy(r):
    if r > 0:
        v = r
        for _ in range(3):
            v = v * np.sin(r)
    else:
        v = r * r
    return v


def uses_branchy(r):
    return branchy(r) * 2.0 + r


def power_while(r, n):
    v = 1.0
    k = 0
    while k < n:
        v = v * r
        k = k + 1
    return v


def uses_while(r):
    return power_while(r, 4) - r


def outer_helper(r):
    s = 0.0
    for k in range(2):
        s = s + cube(r + k)
    return s


def helpers_calling_helpers(r):
    return outer_helper(r) * np.cos(r)


def helper_in_caller_loop(r):
    t = r
    for _ in range(2):
        t = cube(t) * 0.5
    return t


def vec_helper(x):
    acc = x
    for _ in range(3):
        acc = np.tanh(acc) * x
    return acc


def vec_loss(x):
    return np.sum(vec_helper(x) ** 2)


SCALAR_CASES = [cube_plus_zero, uses_branchy, uses_while, helpers_calling_helpers, helper_in_caller_loop]


@pytest.mark.parametrize("f", SCALAR_CASES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [1.3, -0.4])
def test_second_derivative_through_helpers_matches_fd_of_gradient(f, x):
    np.testing.assert_allclose(s2sad.grad(f)(x), fd_gradient(f, x), rtol=1e-6)
    want = fd_hessian(f, x)
    np.testing.assert_allclose(s2sad.hessian(f)(x), want, rtol=1e-6)
    np.testing.assert_allclose(s2sad.grad(s2sad.grad(f))(x), want, rtol=1e-6)
    np.testing.assert_allclose(s2sad.hvp(f, (x,), 1.0), want, rtol=1e-6)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(s2sad.jacobian(s2sad.grad(f), mode=mode)(x), want, rtol=1e-6)


def test_cube_through_a_helper_has_second_derivative_six_r():
    assert s2sad.hessian(cube_plus_zero)(1.3) == pytest.approx(7.8, rel=1e-12)


def test_hessian_of_array_helper_with_loop_matches_fd_of_gradient():
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(s2sad.grad(vec_loss)(x), fd_gradient(vec_loss, x), rtol=1e-6)
    want = fd_hessian(vec_loss, x)
    np.testing.assert_allclose(s2sad.hessian(vec_loss)(x), want, rtol=1e-5, atol=1e-8)
    v = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(s2sad.hvp(vec_loss, (x,), v), want @ v, rtol=1e-5, atol=1e-8)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(s2sad.jacobian(s2sad.grad(vec_loss), mode=mode)(x), want, rtol=1e-5, atol=1e-8)


# -- class 13: the same text in two modules is two functions --------------------------------

SAME_TEXT = """
import numpy as np

K = {k}


def helper(x):
    return K * x


def f(x):
    return helper(x) * x
"""


def _module(tmp_path, name, text):
    import importlib.util

    path = tmp_path / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_two_modules_with_the_same_text_keep_their_own_globals(tmp_path):
    a = _module(tmp_path, "same_text_a", SAME_TEXT.format(k=2.0))
    b = _module(tmp_path, "same_text_b", SAME_TEXT.format(k=5.0))
    assert a.f.__code__ == b.f.__code__  # equal code objects: only identity tells them apart
    x = 1.5
    for module, k in ((a, 2.0), (b, 5.0), (a, 2.0)):
        assert s2sad.grad(module.f)(x) == pytest.approx(2 * k * x, rel=1e-12)
        assert s2sad.grad(module.f)(x) == pytest.approx(fd_gradient(module.f, x), rel=1e-6)
        assert s2sad.jvp(module.f, (x,), (1.0,))[1] == pytest.approx(2 * k * x, rel=1e-12)
        assert s2sad.hessian(module.f)(x) == pytest.approx(2 * k, rel=1e-12)


# -- threads compiling at the same time ------------------------------------------------------


def threaded_helper(x):
    return np.sin(x) * x


def threaded_caller(x):
    return threaded_helper(x) + threaded_helper(2.0 * x)


def test_threads_compiling_the_same_functions_at_once_get_no_false_recursion():
    import threading

    from s2sad import cache

    x = 0.7
    want = fd_gradient(threaded_caller, x)
    for _ in range(5):
        cache.clear()
        barrier, results, errors = threading.Barrier(6), [], []

        def work():
            barrier.wait()
            try:
                results.append(s2sad.grad(threaded_caller)(x))
            except Exception as exc:  # collected and reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        np.testing.assert_allclose(results, want, rtol=1e-6)


# -- user names that equal the names generated code uses --------------------------------------


def names_like_the_runtime(x):
    pos = +x
    neg = -pos
    add = neg + x * 3.0
    sub = add - x * 0.5
    mul = sub * x
    mod = mul % 7.0
    matmul = mod @ x
    linear = matmul * 2.0
    jvp = np.sin(linear)
    vjp = jvp * linear
    return vjp


def helper_with_runtime_names(push, pop):
    unbroadcast = push * pop
    for _ in range(2):
        unbroadcast = unbroadcast * pop + 1.0
    return unbroadcast + push


def calls_helper_with_runtime_names(x):
    zeros_like = x * 2.0
    _tape = helper_with_runtime_names(zeros_like, x)
    x_bar = np.sum(_tape)
    return x_bar


def builtins_shadowed(x):
    s = 0.0
    for len in range(3):
        reversed = x * len
        min = reversed[1:] * x[:-1]
        slice = np.sum(min)
        s = s + slice
    return s


def loop_counter_reassigned(x):
    s = 0.0
    for i in range(3):
        i = x * 2.0
        s = s + np.sum(i * x)
    for k, v in enumerate(x):
        k = v * x
        s = s + np.sum(k)
    return s


@pytest.mark.parametrize("f", [names_like_the_runtime, calls_helper_with_runtime_names, builtins_shadowed,
                               loop_counter_reassigned], ids=lambda f: f.__name__)
def test_user_names_never_clash_with_generated_names(f):
    x = np.array([0.3, 0.5, 0.9])
    s2sad.testing.check_derivatives(f, [x])
    np.testing.assert_allclose(s2sad.grad(f)(x), fd_gradient(f, x), rtol=1e-6)
    np.testing.assert_allclose(s2sad.hessian(f)(x), fd_hessian(f, x), rtol=1e-5, atol=1e-8)


def test_loop_counter_reassigned_in_body_gives_the_exact_gradient():
    # s = 3 * 2x * x, so ds/dx = 12 x (the adjoint once read the loop index instead of 2x)
    assert s2sad.grad(lambda_free_counter)(1.5) == pytest.approx(18.0, rel=1e-12)


def lambda_free_counter(x):
    s = 0.0
    for i in range(3):
        i = x * 2.0
        s = s + i * x
    return s


# -- keyword-only parameters ------------------------------------------------------------------


def scaled_power(x, *, scale=2.0, power=2):
    return scale * x ** power


def calls_keyword_only(x):
    return scaled_power(x, scale=0.5) + scaled_power(x, power=3)


def weighted(x, *, w):
    return w * np.sin(x) * x


def calls_weighted(x, w):
    return weighted(x, w=w) + weighted(w=x, x=w)


def test_helper_with_keyword_only_parameters():
    x = 1.5  # 0.5 x^2 + 2 x^3
    assert s2sad.grad(calls_keyword_only)(x) == pytest.approx(x + 6 * x ** 2, rel=1e-12)
    assert s2sad.jvp(calls_keyword_only, (x,), (1.0,))[1] == pytest.approx(x + 6 * x ** 2, rel=1e-12)
    assert s2sad.hessian(calls_keyword_only)(x) == pytest.approx(fd_hessian(calls_keyword_only, x), rel=1e-6)


def test_keyword_only_parameters_of_the_function_itself():
    x, w = 1.5, 0.7
    gx, gw = s2sad.grad(calls_weighted, wrt=(0, 1))(x, w)
    assert gx == pytest.approx(fd_gradient(lambda_free_weighted_x(w), x), rel=1e-6)
    assert gw == pytest.approx(fd_gradient(lambda_free_weighted_w(x), w), rel=1e-6)
    assert s2sad.grad(weighted)(x, w=w) == pytest.approx(w * (np.cos(x) * x + np.sin(x)), rel=1e-12)
    assert s2sad.grad(weighted, wrt="w")(x, w=w) == pytest.approx(np.sin(x) * x, rel=1e-12)
    assert s2sad.grad(scaled_power, wrt="scale")(x, scale=3.0) == pytest.approx(x ** 2, rel=1e-12)


def lambda_free_weighted_x(w):
    def f(x):
        return calls_weighted(x, w)
    return f


def lambda_free_weighted_w(x):
    def f(w):
        return calls_weighted(x, w)
    return f


def keyword_only_without_default_after_defaults(x, y=1.0, *, w):
    return w * x * y


def test_keyword_only_without_default_after_defaults_is_refused():
    with pytest.raises(s2sad.S2SADError, match="keyword-only parameter 'w'"):
        s2sad.grad(keyword_only_without_default_after_defaults)(1.0, w=2.0)


# -- what grad accepts as f: partials, callable objects, lambdas, ufuncs, math functions -------

import functools  # noqa: E402
import math  # noqa: E402


def scaled_square(x, a):
    return a * x * x


class Quadratic:
    """A callable object: its __call__ is differentiated with the object's attributes as constants."""

    def __init__(self, a):
        self.a = a

    def __call__(self, x, shift=0.0):
        return self.a * np.sin(x) * (x + shift)


square_plus = lambda x, k=3.0: k * np.sin(x) * x + scaled_square(x, 2.0)  # noqa: E731


def calls_a_lambda(x):
    return square_plus(x) * x


@pytest.mark.parametrize("make", [
    lambda: functools.partial(scaled_square, a=1.5),
    lambda: functools.partial(scaled_square, a=1.5).__call__,
    lambda: Quadratic(2.5),
    lambda: square_plus,
    lambda: calls_a_lambda,
    lambda: np.sin,
    lambda: math.sin,
    lambda: np.exp,
    lambda: np.sum,
    lambda: math.exp,
], ids=["partial-keyword", "partial-call", "callable-object", "lambda", "calls-lambda", "np.sin", "math.sin",
        "np.exp", "np.sum", "math.exp"])
def test_callables_as_f_match_finite_differences(make):
    f = make()
    x = 0.7
    assert s2sad.grad(f)(x) == pytest.approx(fd_gradient(f, x), rel=1e-6)
    value, gradient = s2sad.value_and_grad(f)(x)
    assert value == pytest.approx(f(x), rel=1e-14) and gradient == pytest.approx(fd_gradient(f, x), rel=1e-6)
    assert s2sad.jvp(f, (x,), (1.0,))[1] == pytest.approx(fd_gradient(f, x), rel=1e-6)
    assert s2sad.vjp(f, x)[1](1.0)[0] == pytest.approx(fd_gradient(f, x), rel=1e-6)
    assert s2sad.hessian(f)(x) == pytest.approx(fd_hessian(f, x), rel=1e-5, abs=1e-8)


def test_partial_with_bound_positional_differentiates_what_is_left_open():
    f = functools.partial(scaled_square, 2.0)  # x = 2.0 bound: a is left
    assert s2sad.grad(f)(1.5) == pytest.approx(4.0, rel=1e-12)


def test_ufunc_of_arrays_and_two_inputs():
    x, y = np.array([0.3, 1.2]), np.array([0.5, -0.4])
    np.testing.assert_allclose(s2sad.jacobian(np.sin)(x), np.diag(np.cos(x)), rtol=1e-12)
    gx, gy = s2sad.vjp(np.arctan2, y, x)[1](np.ones(2))
    np.testing.assert_allclose(gx, x / (x ** 2 + y ** 2), rtol=1e-12)
    np.testing.assert_allclose(gy, -y / (x ** 2 + y ** 2), rtol=1e-12)


@pytest.mark.parametrize("f, match", [(len, "no derivative"), (Quadratic, "class"), (print, "no derivative")])
def test_callables_without_a_derivative_are_refused(f, match):
    with pytest.raises(s2sad.S2SADError, match=match):
        s2sad.grad(f)(1.0)


def test_two_lambdas_on_one_line_are_refused():
    with pytest.raises(s2sad.S2SADError, match="2 lambdas share the line"):
        s2sad.grad(lambda x: x * (lambda y: y)(x))(1.0)


# -- class 14: functools.wraps decorators that change the value ------------------------------


def doubled(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return 2.0 * fn(x)
    return wrapper


def passed_through(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


@doubled
def doubled_cube(x):
    return x ** 3


@passed_through
def logged_cube(x):
    return x ** 3


def calls_doubled_cube(x):
    return doubled_cube(x) + x


@s2sad.custom_vjp
def custom_twice(x):
    return 2.0 * x


custom_twice.defvjp(lambda x: (2.0 * x, None), lambda _, g: (2.0 * g,))
tripled_custom = functools.wraps(custom_twice)(lambda x: 3.0 * custom_twice(x))


def test_a_wraps_decorator_that_changes_the_value_is_differentiated_through():
    x = 1.3  # 2 x^3: the derivative of the wrapper, 6 x^2, not the undecorated 3 x^2
    assert s2sad.grad(doubled_cube)(x) == pytest.approx(6 * x ** 2, rel=1e-12)
    assert s2sad.grad(calls_doubled_cube)(x) == pytest.approx(6 * x ** 2 + 1, rel=1e-12)
    assert s2sad.jvp(doubled_cube, (x,), (1.0,))[1] == pytest.approx(fd_gradient(doubled_cube, x), rel=1e-6)
    assert s2sad.hessian(doubled_cube)(x) == pytest.approx(12 * x, rel=1e-12)
    assert s2sad.grad(tripled_custom)(x) == pytest.approx(6.0, rel=1e-12)  # not custom_twice's own rule


def test_a_wraps_decorator_with_star_args_is_refused_not_read_through():
    with pytest.raises(s2sad.S2SADError, match="wrapper"):
        s2sad.grad(logged_cube)(1.3)


def test_transforms_of_transforms_without_generated_code_are_refused_not_misread():
    # hessian(f) is a wrapper made with functools.wraps(f): once read as f itself
    with pytest.raises(s2sad.S2SADError):
        s2sad.grad(s2sad.hessian(doubled_cube))(1.3)


# -- library code is never differentiated from its source ------------------------------------


def calls_library_code(x):
    return np.polynomial.polynomial.polyval(x, [1.0, 2.0, 3.0])


def test_library_function_without_rule_is_refused_at_the_users_line():
    with pytest.raises(s2sad.S2SADError, match="custom_vjp") as info:
        s2sad.grad(calls_library_code)(0.5)
    assert info.value.filename == __file__
    assert "library code" in str(info.value)
    with pytest.raises(s2sad.S2SADError, match="library code"):
        s2sad.grad(np.polynomial.polynomial.polyval)(0.5, [1.0, 2.0])


# -- tangents and cotangents of the wrong shape ----------------------------------------------


def sum_of_squares(x):
    return np.sum(x ** 2)


def doubled_vector(x):
    return x * 2.0


def pair_out(x):
    return x * 2.0, np.sum(x)


@pytest.mark.parametrize("run, match", [
    (lambda x: s2sad.jvp(sum_of_squares, (x,), (np.ones(4),)), r"jvp: the tangent for 'x' has shape \(4,\), but 'x' "
                                                                r"has shape \(3,\)"),
    (lambda x: s2sad.jvp(doubled_vector, (x,), (np.ones((3, 3)),)), r"tangent for 'x' has shape \(3, 3\)"),
    (lambda x: s2sad.jvp(doubled_vector, (x,), (1.0,)), r"tangent for 'x' has shape \(\)"),
    (lambda x: s2sad.vjp(doubled_vector, x)[1](np.ones(4)), r"vjp: the cotangent for the output has shape \(4,\)"),
    (lambda x: s2sad.vjp(doubled_vector, x)[1](np.ones((2, 3))), r"cotangent for the output has shape \(2, 3\)"),
    (lambda x: s2sad.vjp(pair_out, x)[1]((np.ones(3),)), "cotangent for the output must be a sequence of 2 items"),
    (lambda x: s2sad.hvp(sum_of_squares, (x,), np.ones(4)), r"hvp: the vector for 'x' has shape \(4,\)"),
], ids=["jvp-length", "jvp-rank", "jvp-scalar", "vjp-length", "vjp-rank", "vjp-tuple", "hvp"])
def test_wrong_shaped_tangents_are_refused_naming_argument_and_shapes(run, match):
    with pytest.raises(s2sad.S2SADError, match=match):
        run(np.ones(3))


def test_right_shaped_tangents_still_match_finite_differences():
    x = np.array([0.5, -1.0, 2.0])
    v = np.array([1.0, 0.5, -0.3])
    assert s2sad.jvp(sum_of_squares, (x,), (v,))[1] == pytest.approx(numerical_jvp(sum_of_squares, [x], 0, v), rel=1e-6)
    (ct,) = s2sad.vjp(doubled_vector, x)[1](v)
    np.testing.assert_allclose(ct, 2.0 * v, rtol=1e-12)


# -- has_aux ---------------------------------------------------------------------------------


def loss_with_aux(x, w):
    pred = np.tanh(x * w)
    loss = np.sum(pred ** 2)
    return loss, {"pred": pred, "count": 3}


def vector_with_aux(x):
    return np.sin(x) * 2.0, "tag"


def test_grad_with_aux_returns_gradient_and_aux():
    x, w = np.array([0.3, -0.2, 0.9]), 1.5

    def loss(x):
        return loss_with_aux(x, w)[0]

    gradient, aux = s2sad.grad(loss_with_aux, has_aux=True)(x, w)
    np.testing.assert_allclose(gradient, fd_gradient(loss, x), rtol=1e-6)
    np.testing.assert_allclose(aux["pred"], np.tanh(x * w), rtol=1e-14)
    assert aux["count"] == 3
    (gx, gw), _ = s2sad.grad(loss_with_aux, wrt=(0, 1), has_aux=True)(x, w)
    assert gw == pytest.approx(fd_gradient(lambda w_: loss_with_aux(x, w_)[0], w), rel=1e-6)
    (value, aux), gradient = s2sad.value_and_grad(loss_with_aux, has_aux=True)(x, w)
    assert value == pytest.approx(loss(x), rel=1e-14)
    np.testing.assert_allclose(gradient, fd_gradient(loss, x), rtol=1e-6)


def test_vjp_and_jacobian_with_aux():
    x, w = np.array([0.3, -0.2, 0.9]), 1.5
    out, pullback, aux = s2sad.vjp(loss_with_aux, x, w, has_aux=True)
    assert out == pytest.approx(loss_with_aux(x, w)[0], rel=1e-14) and aux["count"] == 3
    gx, gw = pullback(1.0)
    np.testing.assert_allclose(gx, fd_gradient(lambda x_: loss_with_aux(x_, w)[0], x), rtol=1e-6)
    for mode in ("forward", "reverse", "auto"):
        J, aux = s2sad.jacobian(vector_with_aux, mode=mode, has_aux=True)(x)
        np.testing.assert_allclose(J, np.diag(2.0 * np.cos(x)), rtol=1e-12)
        assert aux == "tag"


def test_tuple_output_without_has_aux_is_refused_mentioning_has_aux():
    with pytest.raises(s2sad.S2SADError, match="has_aux=True"):
        s2sad.grad(loss_with_aux)(np.ones(2), 1.0)
    with pytest.raises(s2sad.S2SADError, match="return a pair"):
        s2sad.grad(sum_of_squares, has_aux=True)(np.ones(2))


# -- explaining a failure never runs the user's code again ------------------------------------


def broadcasts_to_a_matrix(x, y):
    print("called")
    return x * y


def test_non_scalar_refusal_does_not_run_f_twice(capsys):
    with pytest.raises(s2sad.S2SADError, match=r"returned \(2, 3\)"):
        s2sad.grad(broadcasts_to_a_matrix)(np.ones(3), np.ones((2, 1)))
    assert capsys.readouterr().out.count("called") == 1
    with pytest.raises(s2sad.S2SADError, match="scalar"):  # (hessian of it is JAX's out + in + in: computed)
        s2sad.hvp(broadcasts_to_a_matrix, (np.ones(3), np.ones((2, 1))), np.ones(3))
    assert capsys.readouterr().out.count("called") <= 1


# -- third derivatives through helpers with branches and breaks -------------------------------


def branch_in_loop(r):
    v = r
    for _ in range(2):
        if v > 0.5:
            v = v * np.sin(r)
        else:
            v = v + r * r
    return v


def break_out(r):
    v = r
    k = 0
    while True:
        if k >= 2:
            break
        v = v * np.sin(r)
        k = k + 1
    return v


def uses_branch_in_loop(r):
    return branch_in_loop(r) + 0.0


def uses_break_out(r):
    return break_out(r) * 2.0


def loop_of_sines(r):
    v = r
    for _ in range(2):
        v = v * np.sin(r)
    return v


@pytest.mark.parametrize("f", [uses_branch_in_loop, uses_break_out, branch_in_loop, break_out, cube_plus_zero],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [0.3, 0.7, 1.2])
def test_third_derivative_forward_over_second_matches_fd(f, x):
    # the adjoint of pushing a flag pops it without a name (`pop(_tape_bar)`): its tangent stack must pop too
    g2 = s2sad.grad(s2sad.grad(f))
    want = float(numerical_jvp(g2, [x], 0, 1.0, 1e-4))
    assert s2sad.jvp(g2, (x,), (1.0,))[1] == pytest.approx(want, rel=1e-6, abs=1e-8)
    assert s2sad.hessian(s2sad.grad(f))(x) == pytest.approx(want, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("f", [loop_of_sines, cube, cube_plus_zero, uses_branch_in_loop, uses_break_out,
                               helpers_calling_helpers], ids=lambda f: f.__name__)
def test_third_derivative_reverse_over_reverse_over_reverse(f):
    # a value popped off a stack is recorded, never recomputed by popping again; records and stacks
    # of adjoints are cotangents like any container when differentiated a third time
    g2 = s2sad.grad(s2sad.grad(f))
    assert s2sad.grad(g2)(0.7) == pytest.approx(float(numerical_jvp(g2, [0.7], 0, 1.0, 1e-4)), rel=1e-6)


# -- a second derivative through a helper that appends (runtime.unappend has a forward rule) ---------


def squares_by_append(xs):
    acc = []
    for x in xs:
        acc.append(x * x)
    return acc


def uses_squares_by_append(r):
    vals = squares_by_append([r, 2.0 * r, r * r])
    return vals[0] + vals[1] * vals[2]


def test_second_derivative_through_append_matches_differences_of_the_gradient():
    r = 0.8
    grad = s2sad.grad(uses_squares_by_append)
    assert grad(r) == pytest.approx(fd_gradient(uses_squares_by_append, r), rel=1e-6)
    assert s2sad.hessian(uses_squares_by_append)(r) == pytest.approx(fd_gradient(grad, r), rel=1e-6)


class Doubling:
    """A class-based decorator: functools.update_wrapper gives it the wrapped function's __wrapped__."""

    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self.fn = fn

    def __call__(self, x):
        return 2.0 * self.fn(x)


@Doubling
def doubled_square(x):
    return x * x


def calls_doubled_square(x):
    return doubled_square(x) + x


@functools.lru_cache
def cached_cube(x):
    return x ** 3


def calls_cached_cube(x):
    return cached_cube(x) * 2.0


def test_class_based_decorator_is_never_read_as_its_wrapped_function():
    # once 2x (the undecorated square's derivative): now refused, or right
    for f, x, want in ((doubled_square, 1.5, 6.0), (calls_doubled_square, 1.5, 7.0)):
        try:
            got = s2sad.grad(f)(x)
        except s2sad.S2SADError:
            continue
        assert got == pytest.approx(want, rel=1e-12)


def test_lru_cache_returns_its_functions_values_so_it_is_read_through():
    assert s2sad.grad(cached_cube)(1.5) == pytest.approx(3 * 1.5 ** 2, rel=1e-12)
    assert s2sad.grad(calls_cached_cube)(1.5) == pytest.approx(6 * 1.5 ** 2, rel=1e-12)


# -- a loop counter assigned elsewhere (by an inner loop over the same name) -------------------


def inner_loop_reuses_counter(x):
    s = 0.0
    for i in range(2):
        s = s + x * i
        for i in range(3):
            s = s + np.sin(x * i)
        s = s * (i + 1.0)  # i is 2 here, from the inner loop
    return s


def test_inner_loop_over_the_outer_counter_gives_the_exact_gradient():
    # the adjoint replayed the inner loop and then read its index where the outer one was meant
    x = 0.7
    assert s2sad.grad(inner_loop_reuses_counter)(x) == pytest.approx(fd_gradient(inner_loop_reuses_counter, x),
                                                                      rel=1e-6)
    s2sad.testing.check_derivatives(inner_loop_reuses_counter, [x])
    assert s2sad.hessian(inner_loop_reuses_counter)(x) == pytest.approx(fd_hessian(inner_loop_reuses_counter, x),
                                                                         rel=1e-6)


# -- a helper's backward half restores the arrays of its record: in place when the record holds views
# of them (the views rely on the restores), on its own copy otherwise (so it can be differentiated again)


def smooths_through_views(a):
    A = np.zeros(4) + a
    for i in range(3):
        v = A[i:i + 2]
        A[i + 1] = A[i + 1] + v[0] * a[i]
    return np.sum(A * A)


def calls_the_smoother(x):
    return smooths_through_views(x * 1.2) + x[0]


def test_a_helper_that_keeps_views_of_what_it_writes_is_right_or_refused_at_second_order():
    """Copying A in the backward half would leave the kept views on the old A (a wrong Hessian, as
    gp_cholesky's was); restoring in place is right at first order and refused when differentiated again."""
    x = np.array([0.3, -0.5, 0.8, 0.2])
    want = np.array([(calls_the_smoother(x + 1e-6 * e) - calls_the_smoother(x - 1e-6 * e)) / 2e-6 for e in np.eye(4)])
    np.testing.assert_allclose(s2sad.grad(calls_the_smoother)(x), want, rtol=1e-6, atol=1e-8)
    with pytest.raises(s2sad.S2SADError, match="writing into A"):
        s2sad.hessian(calls_the_smoother)(x)
