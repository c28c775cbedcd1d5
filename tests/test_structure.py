"""Containers, indexing and writes as a user meets them: examples with their values checked.

The structure corpus (corpus_structure.py) checks many functions against finite
differences; these tests show the API shapes and the guarantees around writes.
"""

import numpy as np
import pytest

import s2sad
from s2sad.testing import check_derivatives


def mlp_loss(params, X):
    h = np.tanh(X @ params["W"] + params["b"])
    return np.sum(h * h)


def mlp_loss_by_hand(params, X):
    h = np.tanh(X @ params["W"] + params["b"])
    dz = 2.0 * h * (1.0 - h * h)
    return {"W": X.T @ dz, "b": np.sum(dz, axis=0)}


@pytest.fixture
def params():
    rng = np.random.default_rng(0)
    return {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}, rng.normal(size=(5, 3))


def test_grad_of_a_dict_of_arrays_is_a_dict_of_arrays(params):
    p, X = params
    g = s2sad.grad(mlp_loss)(p, X)
    want = mlp_loss_by_hand(p, X)
    assert isinstance(g, dict) and set(g) == {"W", "b"}
    for k in g:
        assert g[k].shape == p[k].shape
        np.testing.assert_allclose(g[k], want[k], rtol=1e-12)


def test_jvp_takes_tangents_of_the_same_structure(params):
    p, X = params
    direction = {"W": np.ones((3, 4)), "b": np.zeros(4)}
    _, tangent = s2sad.jvp(mlp_loss, (p, X), (direction, None))
    want = mlp_loss_by_hand(p, X)
    np.testing.assert_allclose(tangent, np.sum(want["W"]), rtol=1e-10)


def pair_ops(pair, scale):
    u, v = pair
    return (u * scale, [np.dot(u, v), v[0]])


def test_vjp_of_a_nested_output_takes_a_nested_cotangent():
    pair = (np.array([1.0, 2.0]), np.array([3.0, 5.0]))
    out, pullback = s2sad.vjp(pair_ops, pair, 2.0)
    (d_pair, d_scale) = pullback((np.array([1.0, 1.0]), [1.0, 0.0]))
    assert isinstance(d_pair, tuple)
    np.testing.assert_allclose(d_pair[0], [2.0 + 3.0, 2.0 + 5.0])
    np.testing.assert_allclose(d_pair[1], [1.0, 2.0])
    assert d_scale == pytest.approx(3.0)


def test_a_dict_holding_integers_is_not_differentiated():
    def f(config):
        return config["rate"] * 2
    with pytest.raises(s2sad.S2SADError, match="'config'"):
        s2sad.grad(f)({"rate": 3})


def lennard_jones(pos):
    n = pos.shape[0]
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):  # the inner range is computed in the outer body
            d = pos[i] - pos[j]
            r2 = np.sum(d * d)
            s6 = (1.0 / r2) ** 3
            energy = energy + 4.0 * (s6 * s6 - s6)
    return energy


def lennard_jones_by_hand(pos):
    g = np.zeros_like(pos)
    for i in range(len(pos)):
        for j in range(i + 1, len(pos)):
            d = pos[i] - pos[j]
            r2 = np.sum(d * d)
            s6 = (1.0 / r2) ** 3
            gd = (-24.0 * (2.0 * s6 * s6 - s6) / r2) * d
            g[i] += gd
            g[j] -= gd
    return g


def test_an_inner_range_that_depends_on_the_outer_counter():
    pos = 1.1 * np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0.1], [0, 0, 1.0]])
    np.testing.assert_allclose(s2sad.grad(lennard_jones)(pos), lennard_jones_by_hand(pos), rtol=1e-10)


def range_bound_changed_in_the_body(x):
    k = 3
    y = x
    for _ in range(k):
        k = k + 1       # the loop still runs 3 times; the reverse sweep must too
        y = y * x
    return y


def test_a_range_bound_the_body_changes():
    assert s2sad.grad(range_bound_changed_in_the_body)(0.7) == pytest.approx(4 * 0.7 ** 3)


def fill(x, n):
    y = np.zeros(n)
    for i in range(n):
        y[i] = np.sin(x * i)
        y[i] = y[i] * y[i] + x   # the same element written twice
    return np.sum(y)


def test_reverse_mode_records_only_the_overwritten_elements():
    source = s2sad.source(fill)
    assert "old_item(y, i)" in source      # one element per write on the tape, not a copy of y
    assert "clear_item(y_bar, i)" in source  # and the adjoint is updated in place
    check_derivatives(fill, [0.3, 6], wrt=[0])


def test_forward_mode_writes_tangents_in_place():
    source = s2sad.source(fill, mode="forward")
    assert "y_dot[i] = " in source


def test_a_long_fill_loop_costs_what_it_writes():
    import time

    n = 20000
    g = s2sad.grad(fill)
    g(0.3, 10)
    start = time.perf_counter()
    value = g(0.3, n)
    elapsed = time.perf_counter() - start
    assert np.isfinite(value)
    assert elapsed < 2.0  # copying y_bar at each of the 2n writes would move 2n * n floats


def test_a_loop_rebinding_an_array_starts_from_a_scalar_zero_adjoint():
    """K = K + s * I in a loop: the loop's zero adjoint for K meets an array operand."""
    import numpy as np

    from s2sad.testing import check_derivatives

    def f(s, x):
        K = np.outer(x, x) + np.eye(3)
        v = x
        for _ in range(2):
            v = K @ v
            K = K + s * np.eye(3)
        return np.sum(v)

    check_derivatives(f, [1.0, np.array([0.5, -0.3, 0.8])])
