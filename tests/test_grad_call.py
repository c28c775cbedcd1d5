"""The function `grad(f)` returns keeps one variant per tuple of argument types and answers a
repeated call with one lookup (gradcall.py). The fast path must never run a variant made for
other arguments: a changed type, dtype or rank, a redefined function, a cleared cache, keywords
or left-out defaults each select (or compile) the right one. Every value is checked against
central finite differences."""

import math

import numpy as np
import pytest

import s2sad
from s2sad import cache


def fd(f, args, i, h=1e-6):
    """Central difference of f with respect to argument i (a float or a float array)."""
    x = args[i]
    if isinstance(x, float):
        up, down = list(args), list(args)
        up[i], down[i] = x + h, x - h
        return (f(*up) - f(*down)) / (2 * h)
    grad = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[j] = h
        up, down = list(args), list(args)
        up[i], down[i] = x + e, x - e
        grad[j] = (f(*up) - f(*down)) / (2 * h)
    return grad


def power_sin(x, k):
    return np.sum(x ** k * np.sin(x))


def three(x, y, z):
    return math.sin(x) * y + z / (1.0 + y * y)


def test_float_then_int_then_array_arguments_each_get_their_variant():
    g = s2sad.grad(power_sin)  # wrt x; k is never differentiated
    calls = [(1.3, 2.5), (1.3, 3), (np.array([0.5, 1.1, 1.7]), 3), (1.3, 2.5), (np.array([[0.5, 2.0]]), 2.0),
             (np.float64(0.9), 2), (1.3, 3)]
    for args in calls:
        got = g(*args)
        assert type(got) is type(args[0])
        np.testing.assert_allclose(got, fd(power_sin, args, 0), rtol=1e-6)


def test_an_int_where_a_float_was_is_refused_not_run():
    g = s2sad.grad(three, wrt=(0, 1, 2))
    args = (0.3, -1.2, 0.8)
    for i in range(3):
        np.testing.assert_allclose(g(*args)[i], fd(three, args, i), rtol=1e-6)
    with pytest.raises(s2sad.S2SADError, match="int"):
        g(0.3, 2, 0.8)
    assert g(*args) == g(*args)


def test_gradients_of_floats_are_floats_and_of_numpy_floats_numpy_floats():
    g = s2sad.grad(three, wrt=(0, 2))
    for args in [(0.3, -1.2, 0.8), (np.float64(0.3), -1.2, 0.8), (0.3, np.float64(-1.2), np.float64(0.8))]:
        got = g(*args)
        assert [type(v) for v in got] == [type(args[0]), type(args[2])]
        np.testing.assert_allclose(got, [fd(three, args, 0), fd(three, args, 2)], rtol=1e-5)


def test_keywords_and_defaults_take_the_full_path():
    def scaled(x, s=2.0):
        return s * x * x

    g = s2sad.grad(scaled)
    assert g(1.5) == pytest.approx(6.0)
    assert g(1.5, 3.0) == pytest.approx(9.0)
    assert g(1.5, s=4.0) == pytest.approx(12.0)
    assert g(x=1.5) == pytest.approx(6.0)
    assert s2sad.value_and_grad(scaled)(1.5, 3.0) == (pytest.approx(6.75), pytest.approx(9.0))


def test_a_function_whose_code_is_replaced_is_differentiated_afresh():
    def f(x):
        return x * x

    def cube(x):
        return x * x * x

    g = s2sad.grad(f)
    assert g(2.0) == pytest.approx(4.0)
    f.__code__ = cube.__code__  # what IPython's autoreload does to a function edited in its file
    assert g(2.0) == pytest.approx(12.0)


def test_a_cleared_cache_empties_the_fast_tables():
    g = s2sad.grad(three, wrt=1)
    before = g(0.3, -1.2, 0.8)
    cache.clear()
    assert g(0.3, -1.2, 0.8) == before == pytest.approx(fd(three, (0.3, -1.2, 0.8), 1), rel=1e-6)


def test_a_non_scalar_output_is_refused_on_the_fast_path_too():
    def maybe_vector(x, n):
        return x * np.ones(n) if n > 1 else x * x

    g = s2sad.value_and_grad(maybe_vector)
    assert g(1.5, 1) == (pytest.approx(2.25), pytest.approx(3.0))
    with pytest.raises(s2sad.S2SADError, match="scalar"):
        g(1.5, 3)
