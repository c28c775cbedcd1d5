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
