"""Derivatives specialized to the kinds of their arguments (shapes.py): same values, same types, less code.

The API runs a derivative specialized to its arguments' kinds, from which identity
wrappers (`unbroadcast(t, x)` where t already has x's shape) are left out. These tests
compare it, bit for bit, with the general derivative, and check which wrappers go.
"""

import inspect
import math

import numpy as np
import pytest

import s2sad
from s2sad import api, driver, shapes
from s2sad.api import _like
from s2sad.resolve import Resolver
from s2sad.testing import leaves

import corpus_basic
import corpus_control
import corpus_numpy
import corpus_structure
import corpus_subroutines
from conftest import differentiable, inputs_for

CORPUS = [f for m in (corpus_basic, corpus_control, corpus_numpy, corpus_structure, corpus_subroutines)
          for _, f in inspect.getmembers(m, inspect.isfunction)
          if f.__module__ == m.__name__ and not f.__name__.startswith("_")]


def general_grad(func, args, wrt):
    """The gradient from the derivative that knows nothing about its arguments, in the mode grad
    runs: forward (tangent 1.0) when it differentiates one float, else reverse (seed 1.0)."""
    names = driver.wrt_names(func, wrt)
    if api.grad_mode(func, names, shapes.kinds_of(args)) == "forward":
        grads = driver.derivative(func, "forward", names).function(*args, 1.0)[1]
    else:
        grads = driver.derivative(func, "reverse", names).function(*args, 1.0)
    grads = (grads,) if len(names) == 1 else grads
    return tuple(_like(g, args[i]) for g, i in zip(grads, wrt))


def assert_identical(got, want):
    """Same structure, and leaf by leaf the same type, shape, dtype and values."""
    assert type(got) is type(want) and len(leaves(got)) == len(leaves(want))
    for g, w in zip(leaves(got), leaves(want)):
        assert type(g) is type(w)
        assert np.shape(g) == np.shape(w) and getattr(g, "dtype", None) == getattr(w, "dtype", None)
        assert np.array_equal(g, w, equal_nan=True)


def table(func, *args, seed=shapes.GRAD_SEED):
    parsed, normalized = driver.front(func)
    resolver = Resolver(parsed, driver._locals(normalized), normalized.helpers)
    return shapes.infer(normalized, resolver, shapes.kinds_of(args) + (seed,))


# -- the analysis ------------------------------------------------------------------------


def logistic(x, n):
    v = x
    for _ in range(n):
        v = 4.0 * v * (1.0 - v)
    return v


def rows(W, xs, b):
    h = b
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h)


def test_floats_and_loop_counters_are_known():
    dump = table(logistic, 0.3, 5).dump()
    assert "v: float" in dump and "n: int" in dump and "_: int" in dump


def test_array_ranks_follow_matmul_and_indexing():
    t = table(rows, np.ones((4, 4)), np.ones((7, 4)), np.ones(4))
    assert t.kind("h") == ("f", (-1,))
    assert t.kind("xs_t") == ("f", (-1,))
    assert t.kind("xs_shape") is None  # a tuple: nothing known


def test_a_name_with_two_shapes_is_unknown():
    def f(x, y):
        z = x  # noqa: F841
        z = y  # noqa: F841
        w = x * 2.0
        return np.sum(w)
    t = table(f, np.ones(3), np.ones((3, 1)))
    assert t.kind("z") is None and t.kind("x") == ("f", (-1,))


def test_a_cotangent_not_shaped_like_the_output_turns_specialization_off():
    def f(x, n):
        return x * np.ones(n)  # shape unknown: n is any int
    assert table(f, 1.0, 3, seed=shapes.FLOAT) is None  # vjp's cotangent 1.0 may not match
    assert table(f, np.ones(3), 3, seed=shapes.kind_of(np.ones(3))) is None
    assert table(f, 1.0, 3) is not None  # grad refuses a non-scalar output after the call
    assert table(f, np.ones(3), 3, seed=shapes.kind_of(np.ones((1, 3)))) is None


# -- the generated code ---------------------------------------------------------------------


def scalar(x, y):
    a = x * y + math.sin(x)
    return a * a - x / (1.0 + y * y)


def test_floats_need_no_unbroadcast():
    assert "unbroadcast" in s2sad.source(scalar)  # the general derivative
    assert "unbroadcast" not in s2sad.source(scalar, args=(0.3, 0.4))


def broadcast(x, y):
    return np.sum(x * y)


def test_broadcasting_keeps_unbroadcast_where_it_sums():
    code = s2sad.source(broadcast, wrt=(0, 1), args=(np.ones((3, 1)), np.ones(4)))
    assert code.count("unbroadcast(") == 2
    code = s2sad.source(broadcast, wrt=(0, 1), args=(np.ones((3, 4)), np.ones(4)))
    assert code.count("unbroadcast(") == 1  # only y, which is summed over the rows
    code = s2sad.source(broadcast, wrt=(0, 1), args=(np.ones((3, 4)), np.ones((3, 4))))
    assert "unbroadcast(" not in code


def matvec(W, h):
    return np.sum(np.tanh(W @ h))


def test_matmul_adjoints_of_known_ranks_are_inlined():
    code = s2sad.source(matvec, wrt=(0, 1), args=(np.ones((3, 4)), np.ones(4)))
    assert "matmul_adjoint" not in code and "np.outer(" in code and ".T @ " in code
    code = s2sad.source(matvec, wrt=(0, 1), args=(np.ones((2, 3, 4)), np.ones(4)))
    assert "matmul_adjoint_a(" in code and "matmul_adjoint_b(" in code  # batched: the general helpers


# -- values: the specialized derivative equals the general one, bit for bit -------------------


KINDS = {
    "float": lambda rng, shape: float(rng.uniform(0.3, 0.9)),
    "float64": lambda rng, shape: np.float64(rng.uniform(0.3, 0.9)),
    "float32": lambda rng, shape: np.float32(rng.uniform(0.3, 0.9)),
    "0-d": lambda rng, shape: np.array(rng.uniform(0.3, 0.9)),
    "array": lambda rng, shape: rng.uniform(0.3, 0.9, shape),
    "array32": lambda rng, shape: rng.uniform(0.3, 0.9, shape).astype(np.float32),
}


def elementwise(x, y):
    a = x * y + np.sin(x)
    b = a / (1.0 + y * y) - x
    return np.sum(b * b + np.exp(-a))


@pytest.mark.parametrize("kx", KINDS)
@pytest.mark.parametrize("ky", KINDS)
def test_specialized_equals_general_for_every_kind(kx, ky):
    rng = np.random.default_rng(0)
    args = (KINDS[kx](rng, (2, 3)), KINDS[ky](rng, (3,)))
    got = s2sad.grad(elementwise, wrt=(0, 1))(*args)
    assert_identical(got, general_grad(elementwise, args, (0, 1)))
    for g, a in zip(got, args):
        assert type(g) is type(a) and np.shape(g) == np.shape(a)
        assert getattr(g, "dtype", None) == getattr(a, "dtype", None)


@pytest.mark.parametrize("shapes_", [((3, 1), (1, 4)), ((1, 4), (3, 4)), ((4,), (1,)), ((), (2, 2)), ((1,), ())])
def test_specialized_equals_general_when_broadcasting(shapes_):
    rng = np.random.default_rng(1)
    args = tuple(rng.uniform(0.3, 0.9, s) for s in shapes_)
    got = s2sad.grad(elementwise, wrt=(0, 1))(*args)
    assert_identical(got, general_grad(elementwise, args, (0, 1)))


def rnn(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h * h)


@pytest.mark.parametrize("hidden", [1, 4])
def test_specialized_rnn_equals_general(hidden):
    rng = np.random.default_rng(2)
    args = (rng.normal(size=(hidden, hidden)), rng.normal(size=(hidden, 3)), rng.normal(size=hidden),
            rng.normal(size=(5, 3)), rng.normal(size=hidden))
    got = s2sad.grad(rnn, wrt=(0, 1, 2))(*args)
    assert_identical(got, general_grad(rnn, args, (0, 1, 2)))


@pytest.mark.parametrize("func", CORPUS, ids=lambda f: f.__name__)
def test_corpus_specialized_equals_general(func):
    args = inputs_for(func)
    wrt = differentiable(func, args)
    out = func(*args)
    if not wrt or isinstance(out, (tuple, list, dict)) or np.ndim(out) != 0:
        pytest.skip("grad needs a scalar output and a float argument")
    got = s2sad.grad(func, wrt=wrt)(*args)
    assert_identical(got, general_grad(func, args, wrt))


def product_sin(x, y):
    return x * y + np.sin(x)


def test_vjp_specializes_to_the_cotangent():
    x = np.linspace(0.1, 0.9, 4)
    out, pullback = s2sad.vjp(product_sin, x, 0.5)
    ct = np.arange(4.0)
    x_bar, y_bar = pullback(ct)
    np.testing.assert_array_equal(x_bar, ct * 0.5 + ct * np.cos(x))
    assert y_bar == pytest.approx(np.sum(ct * x)) and type(y_bar) is float


def test_a_new_kind_compiles_a_new_derivative_and_clear_forgets_them():
    g = s2sad.grad(scalar)
    assert g(0.3, 0.4) == g(np.float64(0.3), 0.4)
    assert type(g(np.float64(0.3), 0.4)) is np.float64
    s2sad.cache.clear()
    assert g(0.3, 0.4) == s2sad.grad(scalar)(0.3, 0.4)


def test_grad_refuses_an_int_after_a_float():
    g = s2sad.grad(scalar)
    g(0.3, 0.4)
    with pytest.raises(s2sad.S2SADError, match="not float"):
        g(1, 0.4)


def matmuls(A, B):
    return np.sum(np.tanh(A @ B) * (A @ B))


@pytest.mark.parametrize("shape_a,shape_b", [((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4, 2)), ((1, 4), (4, 1)),
                                             ((4,), (4,)), ((2, 3, 4), (4, 5))])
def test_specialized_matmul_equals_general(shape_a, shape_b):
    rng = np.random.default_rng(3)
    args = (rng.normal(size=shape_a), rng.normal(size=shape_b))
    got = s2sad.grad(matmuls, wrt=(0, 1))(*args)
    assert_identical(got, general_grad(matmuls, args, (0, 1)))


# -- every rule of the table: its specialized reverse derivative equals the general one ------


def _rule_params():
    import test_rules
    return [p for p in test_rules._params() if p.values[1].name not in test_rules.REVERSE_REFUSED]


@pytest.mark.parametrize("prim, case, dtype", _rule_params())
def test_rule_specialized_equals_general(prim, case, dtype):
    import test_rules
    from test_rules import random_like

    f = case.func
    args, floats, wrt, rng = test_rules._arguments(prim, case, dtype)
    u = random_like(f(*args), rng)
    _, pullback = s2sad.vjp(f, *args)
    got = pullback(u)
    names = test_rules._names(f)
    raw = driver.derivative(f, "reverse", tuple(names[i] for i in floats)).function(*args, u)
    raw = (raw,) if len(floats) == 1 else raw
    for i, g in zip(floats, raw):
        assert_identical(got[i], _like(g, args[i]))


def square_sum(x, y):
    return np.sum(x * x) + y


def test_a_square_adds_its_two_equal_terms_as_one():
    code = s2sad.source(square_sum, args=(np.ones(2), 1.0))  # reverse mode (grad of one float runs forward)
    assert "x_times_x_bar = np.asarray(2.0)" in code  # the two terms as one, doubled before the array (spread.py)
    for x in (0.5, np.float32(0.7), np.array([0.1, -0.0, 3.0])):
        g = s2sad.grad(square_sum)(x, 1.0)
        assert np.array_equal(g, x + x) and type(g) is type(x)


def ones_times(x, n):
    return x * np.ones(n)


def test_grad_still_refuses_a_non_scalar_output_of_unknown_shape():
    with pytest.raises(s2sad.S2SADError, match="return a scalar"):
        s2sad.grad(ones_times)(2.0, 3)
    assert s2sad.grad(ones_times)(2.0, ()) == 1.0  # np.ones(()) is a 0-d array: a scalar


def pair_energy(pos, sigma):
    e = 0.0
    for i in range(pos.shape[0] - 1):
        d = pos[i] - pos[i + 1]
        e = e + sigma / np.sum(d * d)
    return e


def spread(x, y):
    return np.sum(np.sum(np.exp(x * y), axis=1, keepdims=True) * np.sum(x * y))


def test_a_full_sum_hands_its_cotangent_to_an_elementwise_line_unspread():
    # d_bar = np.asarray(g * 2.0) * d: no sum_adjoint copying g out to d's shape, one array product
    code = s2sad.source(pair_energy, args=(np.ones((4, 3)), 1.0))
    assert "sum_adjoint(" not in code and "d_bar = d_times_d_bar * d" in code and " * 2.0)\n" in code
    rng = np.random.default_rng(4)
    for dtype in (np.float64, np.float32):
        args = (rng.uniform(0.0, 1.0, (5, 3)).astype(dtype), 0.5)
        assert_identical((s2sad.grad(pair_energy)(*args),), general_grad(pair_energy, args, (0,)))


@pytest.mark.parametrize("shape_x, shape_y", [((3, 4), (4,)), ((3, 4), (3, 4)), ((3, 1), (1, 4)), ((3, 4), ())])
def test_an_unspread_cotangent_is_spread_where_its_line_broadcasts(shape_x, shape_y):
    rng = np.random.default_rng(5)
    for dtype in (np.float64, np.float32):
        args = (rng.uniform(0.3, 0.9, shape_x).astype(dtype), rng.uniform(0.3, 0.9, shape_y).astype(dtype))
        assert_identical(s2sad.grad(spread, wrt=(0, 1))(*args), general_grad(spread, args, (0, 1)))
