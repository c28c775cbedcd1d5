"""Partials proven finite multiply plainly (s2sad/bounds.py), and only those.

A partial with a pole (`1.0 / b` of a division, `0.5 / ans` of sqrt, `1.0 / x` of log) multiplies
through `times_partial`, which keeps a zero cotangent zero where the partial is infinite. Where the
values it divides by are provably at least some c > 0 (`1.0 + y * y`), the derivative grad runs
multiplies plainly. Each example is checked against central differences, and the guard's presence
or absence read from the code grad runs.
"""

import math

import numpy as np
import pytest
from test_inplace_seed import numeric_grad  # central differences, entry by entry

import s2sad
from s2sad.errors import S2SADError


def guarded(f, wrt, args):
    """Whether the derivative grad runs for these arguments multiplies some term through times_partial."""
    return "times_partial" in s2sad.source(f, "reverse", wrt=wrt, args=args)


def check_gradient(f, wrt, args, rel=1e-6):
    got = s2sad.grad(f, wrt)(*args)
    for k, i in enumerate(wrt):
        np.testing.assert_allclose(got[k], numeric_grad(f, args, i), rtol=rel, atol=1e-8)


# -- proven: no guard ------------------------------------------------------------------------------


def smooth_scalars(x, y, z):
    a = x * y + math.sin(z)
    c = math.exp(-0.1 * a) + math.log(1.0 + z * z)
    d = math.sqrt(a * a + c * c + 1.0)
    return d / (1.0 + d) - x / (1.0 + y * y)


def smooth_arrays(x, y):
    t = 1.0 + y * y
    r = np.sqrt(np.sum(x * x) + 2.0)
    return np.sum(x * np.log(t)) / r + np.sum(np.cosh(x) / np.cosh(y))


def test_scalar_partials_with_bounded_divisors_multiply_plainly():
    args = (0.7, -1.3, 0.4)
    check_gradient(smooth_scalars, (0, 1, 2), args)
    assert not guarded(smooth_scalars, (0, 1, 2), args)


def test_array_partials_with_bounded_divisors_multiply_plainly():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=5), rng.normal(size=5))
    check_gradient(smooth_arrays, (0, 1), args)
    assert not guarded(smooth_arrays, (0, 1), args)


def test_forward_mode_of_one_float_multiplies_plainly_too():
    def f(x):
        return math.log(1.0 + x * x) / math.sqrt(2.0 + math.exp(x))

    assert s2sad.grad(f)(0.3) == pytest.approx(numeric_grad(f, (0.3,), 0), rel=1e-7)
    text = s2sad.source(f, args=(0.3,))
    assert text.startswith("# forward mode") and "times_partial" not in text


# -- not proven: the guard stays, and keeps a zero cotangent zero -----------------------------------


def sqrt_of_a_parameter(x, y):
    return np.sum(y * np.sqrt(x))


def test_a_parameter_has_no_bound():
    x, y = np.array([0.0, 1.0]), np.array([0.0, 2.0])
    assert guarded(sqrt_of_a_parameter, (0, 1), (x, y))
    with np.errstate(divide="ignore"):
        x_bar, y_bar = s2sad.grad(sqrt_of_a_parameter, (0, 1))(x, y)
    np.testing.assert_array_equal(x_bar, [0.0, 1.0])  # at x = 0 the partial is infinite, its cotangent 0
    np.testing.assert_array_equal(y_bar, [0.0, 1.0])


def log_of_a_difference(x, y):
    return y * math.log(2.0 - x * x)  # only lower bounds are tracked: 2 - x^2 has none


def test_a_difference_has_no_bound():
    assert guarded(log_of_a_difference, (0, 1), (0.5, 2.0))
    check_gradient(log_of_a_difference, (0, 1), (0.5, 2.0))


def sum_in_a_loop(x, n):
    s = 0.0
    for _ in range(n):
        s = s + x * x  # s reads itself: no bound is claimed (s is 0 at x = 0)
    return math.sqrt(s + 1e-300) * 0.0 + math.log(1.0 + s)


def test_a_name_that_reads_itself_has_no_bound():
    assert guarded(sum_in_a_loop, (0,), (0.5, 3))
    check_gradient(sum_in_a_loop, (0,), (0.5, 3))


def written_in_place(x, y):
    t = 1.0 + y * y
    t -= 1.0  # in place: t is y * y, zero at y = 0
    return np.sum(x * np.sqrt(t))


def written_through_out(x, y):
    t = 1.0 + y * y
    np.subtract(t, 1.0, out=t)
    return np.sum(x * np.sqrt(t))


def shift_down(t):
    t -= 1.0
    return 0.0


def written_by_a_helper(x, y):
    t = 1.0 + y * y
    shift_down(t)
    return np.sum(x * np.sqrt(t))


@pytest.mark.parametrize("f", [written_in_place, written_through_out, written_by_a_helper])
def test_an_array_written_in_place_loses_its_bound(f):
    x, y = np.array([0.0, 1.5, -0.5]), np.array([0.0, 0.7, -1.2])  # at index 0 the partial is infinite
    try:
        got = s2sad.grad(f, (0, 1))(x, y)
    except S2SADError:
        return  # refusing is right too; a NaN where the cotangent is zero is not
    assert np.all(np.isfinite(got[1])) and got[1][0] == 0.0
    np.testing.assert_allclose(got[1][1:], numeric_grad(f, (x, y), 1)[1:], rtol=1e-6)
    np.testing.assert_allclose(got[0][1:], numeric_grad(f, (x, y), 0)[1:], rtol=1e-6)


def complex_square(x):
    z = x + 1j
    return np.real(np.log(1.0 + z * z))  # 1 + z^2 is not at least 1 for complex z


def test_complex_values_claim_no_bound():
    got = s2sad.grad(complex_square)(0.5)
    assert got == pytest.approx(numeric_grad(complex_square, (0.5,), 0), rel=1e-6)


def pow_of_a_negative(x):
    a = (-1.0 - x * x) ** 3  # odd whole power of a value below 0: no lower bound
    return 1.0 / (2.0 + a * a) + math.log(4.0 + a)  # 4 + a may be below 0: log's partial keeps its guard


def test_odd_powers_bound_nothing_below_zero():
    assert guarded(pow_of_a_negative, (0,), (0.3,))
    check_gradient(pow_of_a_negative, (0,), (0.3,))
