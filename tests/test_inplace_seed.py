"""The passes of the derivative grad runs: its seed 1.0 folded in (optimize/seed.py), and adjoints
accumulated in place where only their own name holds them (optimize/inplace.py).

Each example is a gradient checked against central finite differences, and the code it runs,
read from `s2sad.source(f, args=...)`: what the pass promises reads best as the code it leaves.
"""

import textwrap

import gast
import numpy as np
import pytest

import s2sad
from s2sad import runtime
from s2sad.emit import to_source
from s2sad.optimize.effects import Facts
from s2sad.optimize.inplace import accumulate_in_place


def numeric_grad(f, args, wrt, eps=1e-6):
    """Central differences of f with respect to argument wrt (a float or an array), entry by entry."""
    x = args[wrt]
    if isinstance(x, float):
        up, down = list(args), list(args)
        up[wrt], down[wrt] = x + eps, x - eps
        return (f(*up) - f(*down)) / (2 * eps)
    grad = np.zeros_like(x, dtype=float)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        grad[index] = (f(*args[:wrt], up, *args[wrt + 1:]) - f(*args[:wrt], down, *args[wrt + 1:])) / (2 * eps)
    return grad


def derivative_source(f, wrt, args):
    return s2sad.source(f, "reverse", wrt=wrt, args=args)


# -- grad's seed ---------------------------------------------------------------------------------


def scalar_chain(x, y):
    a = x * y + np.sin(x)
    return a * a - x / (1.0 + y * y)


def test_the_seed_of_grad_is_not_multiplied_by():
    args = (0.7, -1.3)
    got = s2sad.grad(scalar_chain, (0, 1))(*args)
    for i in (0, 1):
        assert got[i] == pytest.approx(numeric_grad(scalar_chain, args, i), rel=1e-7)
    text = derivative_source(scalar_chain, (0, 1), args)
    body = text.split("):\n", 1)[1]
    assert "scalar_chain_bar" not in body  # the parameter is still there, never read
    assert "def scalar_chain_vjp(x, y, scalar_chain_bar=1.0):" in text


def test_vjp_with_another_cotangent_still_scales_the_gradient():
    """vjp's seed is the caller's (its kind is not grad's): nothing is folded there."""
    args = (0.7, -1.3)
    _, pullback = s2sad.vjp(scalar_chain, *args)
    want = s2sad.grad(scalar_chain, (0, 1))(*args)
    got = pullback(2.5)
    assert got[0] == pytest.approx(2.5 * want[0], rel=1e-12) and got[1] == pytest.approx(2.5 * want[1], rel=1e-12)


def newton(a, tol):
    x = a
    while abs(x * x - a) > tol:
        x = 0.5 * (x + a / x)
    return x


def test_the_tangent_of_grads_forward_mode_is_folded_in():
    got = s2sad.grad(newton, 0)(7.0, 1e-12)
    assert got == pytest.approx(0.5 / np.sqrt(7.0), rel=1e-9)
    text = derivative_source(newton, 0, (7.0, 1e-12))
    assert "a_dot * " not in text and "a_dot and" not in text


def test_tape_report_passes_the_seed_and_still_counts():
    """tape_report calls grad's derivative with the seed 1.0 given: the parameter is still there."""
    report = s2sad.tape_report(scalar_loop, 0.3, 50)
    assert "50 iterations" in report


def scalar_loop(x, n):
    v = x
    for _ in range(n):
        v = 4.0 * v * (1.0 - v)
    return v


# -- adjoints updated in place: end to end -------------------------------------------------------


def pair_energy(pos, r0):
    n = pos.shape[0]
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = np.linalg.norm(pos[i] - pos[j])
            energy += (r - r0) ** 2
    return energy


def chain_with_gravity(x, k):
    energy = 0.0
    for i in range(x.shape[0] - 1):
        d = x[i + 1] - x[i]
        energy = energy + 0.5 * k * np.sum(d * d)
    for i in range(x.shape[0]):
        energy = energy + 9.81 * x[i, 1]
    return energy


def test_rows_scattered_in_a_loop_are_added_in_place():
    pos = np.random.default_rng(0).uniform(0.0, 3.0, (6, 3))
    got = s2sad.grad(pair_energy, "pos")(pos, 1.0)
    np.testing.assert_allclose(got, numeric_grad(pair_energy, (pos, 1.0), 0), rtol=1e-6, atol=1e-8)
    text = derivative_source(pair_energy, "pos", (pos, 1.0))
    assert "pos_bar = zeros_like(pos)" in text
    # `g = -d; pos_bar[j] += g` subtracts d instead
    assert "pos_bar[j] -= " in text and "pos_bar[i] += " in text and "scatter_add" not in text


def test_the_norms_adjoint_in_a_loop_stays_specialized():
    """The cotangent of `r = np.linalg.norm(d)` in a loop may be a bare 0.0 from the trip before (spread over r's
    shape first); r is a float, so the spread is r's cotangent itself, and the norm's adjoint stays
    `g * (d / r)` from the primal's r: no `norm_slope` recomputing the norm, no `sum_adjoint`."""
    pos = np.random.default_rng(3).uniform(0.0, 3.0, (5, 3))
    text = derivative_source(pair_energy, "pos", (pos, 1.0))
    assert "norm_slope" not in text and "sum_adjoint" not in text and "spread_zero" not in text


def test_an_element_and_rows_of_one_adjoint_in_two_loops():
    x = np.stack([np.linspace(0.0, 3.0, 5), np.random.default_rng(1).uniform(-0.5, 0.5, 5)], axis=1)
    got = s2sad.grad(chain_with_gravity, "x")(x, 10.0)
    np.testing.assert_allclose(got, numeric_grad(chain_with_gravity, (x, 10.0), 0), rtol=1e-6, atol=1e-8)
    assert "x_bar[i, 1] += 9.81" in derivative_source(chain_with_gravity, "x", (x, 10.0))


def array_terms(x, y):
    a = np.sin(x) * y
    b = np.exp(-x * x)
    return np.sum((a + b * y) * x)


def test_terms_of_an_array_adjoint_are_added_in_place():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=7), rng.normal(size=7)
    got = s2sad.grad(array_terms, (0, 1))(x, y)
    for i in (0, 1):
        np.testing.assert_allclose(got[i], numeric_grad(array_terms, (x, y), i), rtol=1e-6, atol=1e-8)
    assert "x_bar += " in derivative_source(array_terms, (0, 1), (x, y))


def test_the_gradient_of_a_float32_array_is_float32_and_close():
    x = np.linspace(0.1, 1.0, 6).astype(np.float32)
    got = s2sad.grad(lambda_free_sum, 0)(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.cos(x.astype(float)) * 2.0 + 1.0, rtol=1e-5)


def lambda_free_sum(x):
    return np.sum(np.sin(x) * 2.0 + x)


def shares_its_adjoint(x):
    y = x * 2.0
    z = y
    return np.sum(z * y) + np.sum(x * x)


def test_an_adjoint_that_another_name_may_hold_is_not_updated_in_place():
    x = np.array([0.5, -1.0, 2.0])
    got = s2sad.grad(shares_its_adjoint, 0)(x)
    np.testing.assert_allclose(got, numeric_grad(shares_its_adjoint, (x,), 0), rtol=1e-6, atol=1e-8)


# -- the pass itself, on code written here -------------------------------------------------------


class Table:
    """A shapes table of a few names: what `accumulate_in_place` asks (`kind`)."""

    def __init__(self, kinds):
        self.kinds = kinds

    def kind(self, ident):
        return self.kinds.get(ident)


ARRAY, INT = ("f", (-1, -1)), ("i", ())
HELPERS = {"scatter_add": runtime.scatter_add, "push": runtime.push}


def in_place(source, kinds):
    fn = gast.parse(textwrap.dedent(source)).body[0]
    accumulate_in_place(fn, dict(HELPERS), Facts(fn, HELPERS), Table(kinds))
    return to_source(fn)


def same(got, want):
    assert got == textwrap.dedent(want).lstrip("\n")


def test_a_loop_that_only_scatters_starts_from_zeros_and_adds_in_place():
    same(in_place("""
        def f_vjp(x, n, g):
            x_bar = 0.0
            for i in reversed(range(n)):
                x_bar = scatter_add(x_bar, g, x, i)
            return x_bar
    """, {"x": ARRAY, "i": INT}), """
        def f_vjp(x, n, g):
            x_bar = zeros_like(x)
            for i in reversed(range(n)):
                x_bar[i] += g
            return x_bar
    """)


def test_an_adjoint_pushed_onto_the_tape_keeps_its_scatter():
    source = """
        def f_vjp(x, n, g):
            x_bar = 0.0
            for i in reversed(range(n)):
                x_bar = scatter_add(x_bar, g, x, i)
                push(_tape, x_bar)
            return x_bar
    """
    assert "scatter_add(x_bar, g, x, i)" in in_place(source, {"x": ARRAY, "i": INT})


def test_a_copy_of_the_adjoint_stops_updates_in_place():
    same(in_place("""
        def f_vjp(x, g, t):
            x_bar = g * 2.0
            y = x_bar
            x_bar = x_bar + t
            x_bar = x_bar * t
            x_bar = x_bar + t
            return (x_bar, y)
    """, {"x": ARRAY}), """
        def f_vjp(x, g, t):
            x_bar = g * 2.0
            y = x_bar
            x_bar = x_bar + t
            x_bar = x_bar * t
            x_bar += t
            return (x_bar, y)
    """)


def test_an_added_negation_read_nowhere_else_is_subtracted():
    same(in_place("""
        def f_vjp(x, n, g):
            x_bar = 0.0
            for i in reversed(range(n)):
                j = i + 1
                d_bar = g * 2.0
                x_i_bar = -d_bar
                x_bar = scatter_add(x_bar, x_i_bar, x, i)
                x_bar = scatter_add(x_bar, d_bar, x, j)
            return x_bar
    """, {"x": ARRAY, "i": INT, "j": INT}), """
        def f_vjp(x, n, g):
            x_bar = zeros_like(x)
            for i in reversed(range(n)):
                j = i + 1
                d_bar = g * 2.0
                x_bar[i] -= d_bar
                x_bar[j] += d_bar
            return x_bar
    """)


def test_an_index_that_is_not_an_int_keeps_its_scatter():
    source = """
        def f_vjp(x, n, g, rows):
            x_bar = 0.0
            for i in reversed(range(n)):
                x_bar = scatter_add(x_bar, g, x, rows)
            return x_bar
    """
    assert "scatter_add(x_bar, g, x, rows)" in in_place(source, {"x": ARRAY, "i": INT})


def test_a_scalar_adjoint_is_left_as_it_is():
    source = """
        def f_vjp(s, g, t):
            s_bar = g * 2.0
            s_bar = s_bar + t
            return s_bar
    """
    assert "s_bar = s_bar + t" in in_place(source, {"s": ("f", ())})
