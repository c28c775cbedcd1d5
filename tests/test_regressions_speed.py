"""The specialized scalar path (issue 11): in the derivative grad runs for arguments of known kinds,
an exact product of rank-0 values is written out (`t * p if t and p else times_partial_scalar(t, p)`)
instead of a call of times_partial, and a product by a finite constant partial is a plain product.
Each must give the general derivative's values, exact zeros included, and agree with finite
differences."""

import math

import numpy as np
import pytest
from test_regressions_rules import fd_grad, lentz_continued_fraction

import s2sad
from s2sad import driver
from s2sad.testing import check_derivatives


def general_grad(f, *args, wrt=0):
    """What the general derivative (the one higher orders differentiate) gives, seed 1.0."""
    names = driver.wrt_names(f, wrt)
    value, grads = driver.derivative(f, "reverse", names, with_value=True).function(*args, 1.0)
    return grads


def scalar_chain(x, y, z):
    a = x * y + math.sin(z)
    b = a * a - x / (1.0 + y * y)
    c = math.exp(-0.1 * b) + math.log(1.0 + z * z)
    d = math.sqrt(a * a + c * c + 1.0)
    return d * c / (1.0 + x * x) + b / 6.0 + math.sin(y / z)  # 1/z: no bound makes it finite (bounds.py)


def sqrt_times(x, y):
    return np.sqrt(x) * y


def log_times(x, y):
    return np.log(x) * y + x / 3.0


def reciprocal_chain(x, y):
    return y / (1.0 + 1.0 / x) + np.sqrt(x * y)


def test_specialized_scalar_code_makes_no_call_where_nothing_is_zero():
    text = s2sad.source(scalar_chain, wrt=(0, 1, 2), args=(0.7, -1.3, 0.4))
    assert "times_partial(" not in text
    assert " if " in text and "times_partial_scalar(" in text  # the helper only for the zeros
    general = s2sad.source(scalar_chain, wrt=(0, 1, 2))
    assert "times_partial(" in general and "times_partial_scalar" not in general  # second order stays exact


def test_specialized_scalar_grad_matches_general_and_finite_differences():
    args = (0.7, -1.3, 0.4)
    got = s2sad.grad(scalar_chain, wrt=(0, 1, 2))(*args)
    want = general_grad(scalar_chain, *args, wrt=(0, 1, 2))
    assert got == pytest.approx(want, rel=1e-13)
    for i in range(3):
        def partial(v, i=i):
            return scalar_chain(*(v if j == i else a for j, a in enumerate(args)))
        assert got[i] == pytest.approx(fd_grad(partial, args[i]), rel=1e-6)
    check_derivatives(scalar_chain, list(args))


def test_product_by_a_constant_partial_is_plain():
    text = s2sad.source(lambda x: x / 6.0 + x ** 0.5 * 0.0)
    assert "times_partial" not in text
    assert s2sad.grad(lambda x: x / 6.0)(3.0) == pytest.approx(1.0 / 6.0, rel=1e-15)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("make", [np.float64, lambda v: np.array(v)], ids=["float64", "0-d"])
def test_zero_cotangent_times_infinite_partial_is_an_exact_zero(make):
    # sqrt's partial 0.5 / sqrt(0) is infinite; y = 0 makes its cotangent zero: x's gradient is 0, not NaN
    x, y = make(0.0), make(0.0)
    got = s2sad.grad(sqrt_times, wrt=(0, 1))(x, y)
    assert [float(g) for g in got] == [0.0, 0.0]
    assert [float(g) for g in general_grad(sqrt_times, x, y, wrt=(0, 1))] == [0.0, 0.0]
    got = s2sad.grad(log_times, wrt=(0, 1))(x, y)  # log's partial 1 / 0 = inf, its cotangent y = 0
    assert float(got[0]) == pytest.approx(1.0 / 3.0) and float(got[1]) == -math.inf
    assert float(got[0]) == pytest.approx(float(general_grad(log_times, x, y, wrt=(0, 1))[0]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("point", [(0.0, 1.0), (0.0, 0.0), (1.0, 0.0), (2.0, 3.0)])
def test_specialized_equals_general_at_singular_points(point):
    x, y = map(np.float64, point)
    for f in (sqrt_times, log_times, reciprocal_chain):
        got = np.asarray(s2sad.grad(f, wrt=(0, 1))(x, y), dtype=float)
        np.testing.assert_array_equal(got, np.asarray(general_grad(f, x, y, wrt=(0, 1)), dtype=float))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_lentz_specialized_float_path_matches_the_general_one():
    x = 0.5
    got = s2sad.grad(lentz_continued_fraction)(x)
    assert type(got) is float and math.isfinite(got)
    assert got == pytest.approx(general_grad(lentz_continued_fraction, x), rel=1e-13)
    assert got == pytest.approx(fd_grad(lentz_continued_fraction, x), rel=1e-6)
    assert s2sad.hessian(lentz_continued_fraction)(x) == pytest.approx(
        fd_grad(s2sad.grad(lentz_continued_fraction), x), rel=1e-6)


def test_scalar_path_keeps_the_type_of_a_zero():
    # the helper, not a literal 0.0, makes the zero: complex and float32 zeros keep their type
    got = s2sad.grad(sqrt_times, wrt=1)(np.float32(4.0), np.float32(0.0))
    assert got == 2.0
    x_bar = s2sad.grad(sqrt_times, wrt=0)(np.float32(4.0), np.float32(0.0))
    assert x_bar == 0.0 and x_bar.dtype == np.float32


def fifty_line_like(x):
    t0 = x * 0.5 + 1.0
    t1 = math.cos(0.5 * t0) - t0
    t2 = t1 / (1.0 + t0 * t0)
    t3 = t1 - 0.3 * t2 * x
    t4 = math.sqrt(1.0 + t3 * t3) + t3
    for _ in range(3):
        t4 = 0.5 * (t4 + t2 / t4)
    return t4 * t1


def test_a_transform_leaves_no_cyclic_garbage():
    # grad's transform runs with the cyclic collector paused (driver._collector_paused): what it
    # drops must be freed by reference counting, or the first collection after it walks every
    # node it made (once a third of the 50-line transform's time); a recursive closure is a cycle
    import gc

    from s2sad import cache
    s2sad.grad(fifty_line_like)(0.3)
    cache.clear()
    gc.collect()  # after the clear: what the cache held before (a recursive function's cycles) is not the transform's
    was = gc.isenabled()
    gc.disable()
    try:
        assert s2sad.grad(fifty_line_like)(0.3) == pytest.approx(fd_grad(fifty_line_like, 0.3), rel=1e-6)
        assert gc.collect() < 500
    finally:
        if was:
            gc.enable()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_times_partial_fast_path_for_numpy_scalars():
    from s2sad import runtime
    got = runtime.times_partial(np.float64(2.0), 3.0)
    assert got == 6.0 and type(got) is np.float64
    for t, p in ((np.float64(0.0), np.inf), (0.0, np.float64(np.nan)), (np.float64(np.inf), 0.0)):
        assert runtime.times_partial(t, p) == 0.0 and runtime.times_partial(p, t) == 0.0
    assert np.isnan(runtime.times_partial(np.float64(np.nan), 2.0))
    assert runtime.times_partial(0.0, math.inf) == 0.0 and runtime.times_partial(-2.0, math.inf) == -math.inf


def twice_accumulated(x, y):
    a = x * y
    e = a + y
    return e * e / (1.0 + a) + a * e


def test_twin_terms_merge_into_an_adjoint_that_has_a_value():
    text = s2sad.source(twice_accumulated, wrt=(0, 1), args=(0.3, 1.2))
    assert "* 2.0" in text
    got = s2sad.grad(twice_accumulated, wrt=(0, 1))(0.3, 1.2)
    assert got[0] == pytest.approx(fd_grad(lambda v: twice_accumulated(v, 1.2), 0.3), rel=1e-6)
    assert got[1] == pytest.approx(fd_grad(lambda v: twice_accumulated(0.3, v), 1.2), rel=1e-6)
