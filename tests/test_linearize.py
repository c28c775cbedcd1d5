"""linearize and linear_transpose on every corpus function: f_jvp agrees with finite differences,
is linear, does not recompute the primal where the cut is exact, and its transpose passes the
dot-product test <f_jvp(v), u> == <v, f_vjp(u)>."""

import numpy as np
import pytest
from conftest import differentiable, inputs_for
from test_corpus import FUNCTIONS

import s2sad
from s2sad.testing import flat, numerical_jvp


def random_like(x, rng):
    """A random value with x's structure, shapes and types."""
    if isinstance(x, dict):
        return {k: random_like(v, rng) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(random_like(v, rng) for v in x)
    if isinstance(x, np.ndarray):
        return rng.normal(size=x.shape).astype(x.dtype)
    return float(rng.normal())


def tangents_for(func, args, rng):
    floats = differentiable(func, args)
    return tuple(random_like(a, rng) if i in floats else None for i, a in enumerate(args))


def combine(a, x, b, y):
    """a x + b y over structured values (None stays None)."""
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: combine(a, x[k], b, y[k]) for k in x}
    if isinstance(x, (tuple, list)):
        return type(x)(combine(a, p, b, q) for p, q in zip(x, y))
    return a * x + b * y


def vdot(x, y):
    return float(np.dot(flat(x), flat(y)))


def linearized(func):
    args = inputs_for(func)
    floats = differentiable(func, args)
    if not floats:
        pytest.skip("no float argument")
    out, f_jvp = s2sad.linearize(func, *args)
    return args, floats, out, f_jvp


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_f_jvp_is_the_derivative_and_linear(func):
    args, floats, out, f_jvp = linearized(func)
    rng = np.random.default_rng(3)
    v, w = tangents_for(func, args, rng), tangents_for(func, args, rng)
    np.testing.assert_allclose(flat(out), flat(func(*args)), rtol=1e-12)
    fd = sum(flat(numerical_jvp(func, args, i, v[i])) for i in floats)
    np.testing.assert_allclose(flat(f_jvp(*v)), fd, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(flat(f_jvp(*combine(2.0, v, -3.0, w))),
                               2.0 * flat(f_jvp(*v)) - 3.0 * flat(f_jvp(*w)), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_dot_product_of_f_jvp_and_its_transpose(func):
    args, floats, out, f_jvp = linearized(func)
    f_vjp = s2sad.linear_transpose(f_jvp, *args)
    rng = np.random.default_rng(4)
    v, u = tangents_for(func, args, rng), random_like(out, rng)
    cotangents = f_vjp(u)
    assert len(cotangents) == len(args)
    lhs = vdot(f_jvp(*v), u)
    rhs = sum(vdot(v[i], cotangents[i]) for i in floats)
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-10)


def straight(x, a):
    y = np.sin(x) * a
    return np.sum(y ** 2 + x)


def looping(x, n):
    for _ in range(n):
        x = np.sin(x) * x
    return x


def test_straight_line_code_is_split():
    x = np.array([0.3, 0.5])
    out, f_jvp = s2sad.linearize(straight, x, 1.5)
    assert not f_jvp.recomputes_primal
    assert "np.sin(x)" not in f_jvp.source and "np.cos(x)" in f_jvp.source
    assert "sin_x" in f_jvp.residual_names
    exact = np.sum(2 * np.sin(x) * 1.5 * np.cos(x) * 1.5 + 1.0) + np.sum(2 * np.sin(x) ** 2 * 1.5) * 0.5
    assert f_jvp(np.ones(2), 0.5) == pytest.approx(exact, rel=1e-12)
    f_vjp = s2sad.linear_transpose(f_jvp, x, 1.5)
    np.testing.assert_allclose(f_vjp(1.0)[0], 2 * np.sin(x) * 1.5 ** 2 * np.cos(x) + 1.0, rtol=1e-12)
    assert "def straight_jvp_linear_vjp" in f_vjp.source


def test_loops_fall_back_to_recomputing_and_say_so():
    x = np.array([0.3, 0.5])
    _, f_jvp = s2sad.linearize(looping, x, 3)
    assert f_jvp.recomputes_primal
    np.testing.assert_allclose(f_jvp(np.ones(2), None), s2sad.jvp(looping, (x, 3), (np.ones(2), None))[1])


def test_residuals_are_copies():
    x = np.array([0.3, 0.5])
    _, f_jvp = s2sad.linearize(straight, x, 1.5)
    before = f_jvp(np.ones(2), 0.0)
    x[:] = 10.0
    assert f_jvp(np.ones(2), 0.0) == before


def test_transpose_of_a_plain_linear_function():
    M = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])

    def apply(v):
        return M @ v
    f_vjp = s2sad.linear_transpose(apply, np.zeros(2))
    np.testing.assert_allclose(f_vjp(np.array([1.0, 0.0, -1.0]))[0], M.T @ np.array([1.0, 0.0, -1.0]))


def test_wrong_tangent_shape_is_refused():
    _, f_jvp = s2sad.linearize(straight, np.array([0.3, 0.5]), 1.5)
    with pytest.raises(s2sad.S2SADError, match="shape"):
        f_jvp(np.ones(3), 0.0)
