"""Passes that run only on the derivative grad runs for known argument kinds (optimize/cse.py's numbers,
optimize/spread.py, optimize/frees.py). Each example is a gradient checked against central finite
differences, and the code it runs, read from `s2sad.source(f, args=...)`."""

import importlib.util
import math

import numpy as np
import pytest
from test_inplace_seed import numeric_grad  # central differences, entry by entry

import s2sad
from s2sad.errors import S2SADError


def specialized(f, wrt, args):
    return s2sad.source(f, "reverse", wrt=wrt, args=args)


# -- numbers computed twice are computed once ---------------------------------------------------


def euler_steps(a, b, n, dt):
    x = 1.0
    y = 0.5
    for _ in range(n):
        x = x + dt / 2.0 * (a * x - x * y)
        y = y + dt / 2.0 * (x * y - b * y)
    return x * x + y


def test_a_number_computed_again_is_read_from_its_name():
    args = (0.7, 0.4, 20, 0.05)
    got = s2sad.grad(euler_steps, (0, 1))(*args)
    for k in (0, 1):
        assert got[k] == pytest.approx(numeric_grad(euler_steps, args, k), rel=1e-7)
    primal_sweep = specialized(euler_steps, (0, 1), args).split("reversed(")[0]
    assert primal_sweep.count("= dt / 2.0\n") == 1  # once per trip, not twice


def squares(x):
    a = x * x
    b = x * x  # an array: the two stay two arrays, so an update in place of one leaves the other
    return np.sum(a * b) + np.sum(b)


def test_an_array_computed_again_keeps_its_own_array():
    x = np.array([0.5, -1.5, 2.0])
    np.testing.assert_allclose(s2sad.grad(squares)(x), numeric_grad(squares, (x,), 0), rtol=1e-7)
    assert specialized(squares, 0, (x,)).count("= x * x\n") == 2


# -- a reduction's cotangent is scaled before it meets an array ---------------------------------


def spring_chain(x, k, rest):
    energy = 0.0
    for i in range(x.shape[0] - 1):
        d = x[i + 1] - x[i]
        stretch = np.sqrt(np.sum(d * d)) - rest
        energy = energy + 0.5 * k * stretch * stretch
    return energy


def test_the_sum_of_squares_cotangent_is_doubled_as_a_number():
    rng = np.random.default_rng(3)
    x = np.stack([np.linspace(0.0, 3.0, 6), rng.uniform(-0.5, 0.5, 6)], axis=1)
    args = (x, 10.0, 0.2)
    np.testing.assert_allclose(s2sad.grad(spring_chain)(*args), numeric_grad(spring_chain, args, 0), rtol=1e-6)
    text = specialized(spring_chain, 0, args)
    assert "d_times_d_bar = np.asarray(" in text and " * 2.0)\n" in text and "d_bar = d_times_d_bar * d\n" in text


def test_float32_cotangents_keep_their_dtype():
    x = np.linspace(0.0, 3.0, 8, dtype=np.float32).reshape(4, 2)
    got = s2sad.grad(spring_chain)(x, 10.0, 0.2)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, numeric_grad(spring_chain, (x.astype(float), 10.0, 0.2), 0), rtol=1e-3, atol=1e-4)


# -- arrays let go after their last read --------------------------------------------------------


def array_chain(x, y):
    a = np.sin(x) * y
    b = np.exp(-x * x)
    c = np.tanh(a + b * y)
    return np.sum(c * c * x)


def test_dead_arrays_are_deleted_after_their_last_read():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=6), rng.normal(size=6))
    got = s2sad.grad(array_chain, (0, 1))(*args)
    for k in (0, 1):
        np.testing.assert_allclose(got[k], numeric_grad(array_chain, args, k), rtol=1e-6)
    text = specialized(array_chain, (0, 1), args)
    assert "\n    del " in text
    general = s2sad.source(array_chain, "reverse", wrt=(0, 1))
    assert "del " not in general  # the general derivative, which higher orders read back, has none


def test_numbers_are_not_deleted():
    text = specialized(euler_steps, (0, 1), (0.7, 0.4, 20, 0.05))
    assert "del " not in text


def branchy(x, flag):
    if flag:
        t = x * 2.0
    else:
        t = x * 3.0
    u = np.sin(t)
    return np.sum(u * u)


def test_a_name_bound_in_a_branch_is_not_deleted():
    x = np.array([0.1, 0.7])
    for flag in (True, False):
        np.testing.assert_allclose(s2sad.grad(branchy)(x, flag), numeric_grad(branchy, (x, flag), 0), rtol=1e-6)
    assert "del t\n" not in specialized(branchy, 0, (x, True)) and "del t," not in specialized(branchy, 0, (x, True))


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba not installed")
def test_the_numba_backend_drops_the_deletes():
    rng = np.random.default_rng(1)
    args = (rng.normal(size=5), rng.normal(size=5))
    try:
        got = s2sad.grad(array_chain, (0, 1), backend="numba")(*args)
    except S2SADError:
        pytest.skip("numba refuses this function")
    want = s2sad.grad(array_chain, (0, 1))(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)


# -- numbers read once are computed where they are read ---------------------------------------------


def chain_of_numbers(x, y, z):
    a = x * y + math.sin(z)
    b = a * a - x / (1.0 + y * y)
    return math.exp(-0.1 * b) * a + y * z


def test_a_number_read_once_is_computed_where_it_is_read():
    args = (0.7, -1.3, 0.4)
    got = s2sad.grad(chain_of_numbers, (0, 1, 2))(*args)
    for k in range(3):
        assert got[k] == pytest.approx(numeric_grad(chain_of_numbers, args, k), rel=1e-7)
    text = specialized(chain_of_numbers, (0, 1, 2), args)
    assert "a = x * y + math.sin(z)\n" in text  # not x_times_y = x * y; sin_z = math.sin(z); a = ...
    assert text.rstrip().endswith("return (x_bar, y_bar, z_bar)")


def rebound_after(x, y):
    t = x * y
    x = x + 1.0  # x rebound between t's binding and its read: t is computed before
    return t * x + math.cos(t)


def read_in_a_loop(x, w, n):
    t = x * 2.0  # read in the loop: computed once, before it, as written
    s = w
    for _ in range(n):
        s = s * t + 0.5
    return s


@pytest.mark.parametrize("f, args", [(rebound_after, (0.7, -1.3)), (read_in_a_loop, (0.3, 0.2, 5))])
def test_inlining_moves_nothing_past_what_changes_it(f, args):
    got = s2sad.grad(f, (0, 1))(*args)  # two floats: reverse mode, the specialized derivative shown below
    for k in (0, 1):
        assert got[k] == pytest.approx(numeric_grad(f, args, k), rel=1e-7)
    text = specialized(f, (0, 1), args)
    assert "t = x * 2.0\n" in text or f is rebound_after


def sum_then_write(x, w):
    a = x * w
    s = np.sum(a)  # a number read from an array ...
    a[0] = 0.0     # ... that is then written in place: s is not computed after this
    u = s * w
    return u + np.sum(a * a)


def restores_between_sums(R, x):
    traj = np.zeros((4, R.shape[0]))
    traj[0] = R
    v = np.zeros_like(R)
    for t in range(3):
        v = v + 0.05 * (-x * traj[t])
        traj[t + 1] = traj[t] + 0.1 * v
        v = v + 0.05 * (-x * traj[t + 1])  # x's adjoint sums terms read from rows restored in place
    return np.sum(traj[-1] ** 2) + np.sum(v)


@pytest.mark.parametrize("f, args", [(sum_then_write, (np.array([0.5, -1.0, 2.0]), 0.7)),
                                     (restores_between_sums, (np.array([0.3, -0.8]), 1.3))])
def test_nothing_moves_past_a_write_in_place(f, args):
    got = s2sad.grad(f, (0, 1))(*args)
    for k in (0, 1):
        np.testing.assert_allclose(got[k], numeric_grad(f, args, k), rtol=1e-6)


def shrink_until(x, tol):
    v = x
    s = 0.0
    while v > tol:
        if v > 1.0:
            v = 0.9 * v - 0.01
        else:
            v = v * (0.97 - 0.01 * v)
        s = s + v * v
    return s


def test_forward_mode_of_one_float_is_compact_too():
    got = s2sad.grad(shrink_until)(3.0, 0.01)
    assert got == pytest.approx(numeric_grad(shrink_until, (3.0, 0.01), 0, eps=1e-7), rel=1e-5)
    text = s2sad.source(shrink_until, args=(3.0, 0.01))
    assert text.startswith("# forward mode")
    assert "        if v > 1.0:\n" in text  # the test computed where it is read
    assert "            v = 0.9 * v - 0.01\n" in text
