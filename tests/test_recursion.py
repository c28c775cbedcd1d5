"""Recursive functions: the derivative recurses as the primal does (calls.Recursive).

Each example is checked against central finite differences in reverse mode, forward mode and
for the Hessian (the Hessian against differences of the gradient).
"""

import sys

import numpy as np
import pytest

import s2sad
from test_regressions_rules import assert_grad, fd_grad


def power(x, n):
    return 1.0 if n == 0 else x * power(x, n - 1)


def power_plus_sine(x):
    return power(x, 5) + np.sin(x)


def chebyshev(x, n):
    """T_n(x) by its recurrence, two recursive calls a level."""
    if n == 0:
        return np.ones_like(x)
    if n == 1:
        return x
    return 2.0 * x * chebyshev(x, n - 1) - chebyshev(x, n - 2)


def chebyshev_sum(x):
    return np.sum(chebyshev(x, 5))


def pairwise(xs, lo, hi):
    """A pairwise sum of squares, split in halves."""
    if hi - lo == 1:
        return xs[lo] ** 2
    mid = (lo + hi) // 2
    return pairwise(xs, lo, mid) + pairwise(xs, mid, hi)


def pairwise_squares(x):
    return pairwise(x, 0, x.shape[0])


def even(x, n):
    return x if n == 0 else odd(np.sin(x), n - 1)


def odd(x, n):
    return x * x if n == 0 else even(x * 1.5, n - 1)


def mutual(x):
    return even(x, 4)


def halvings(x):
    """Data-dependent depth: recurse until x is small."""
    if x < 0.1:
        return x
    return halvings(x * 0.5) + x * x


CASES = [
    (power_plus_sine, 0.7),
    (chebyshev_sum, np.array([0.3, -0.5, 0.9])),
    (pairwise_squares, np.array([0.3, -0.5, 0.9, 1.1, 0.2])),
    (mutual, 0.4),
    (halvings, 2.3),
]


@pytest.mark.parametrize("f, x", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_both_modes(f, x):
    assert_grad(f, x)


@pytest.mark.parametrize("f, x", CASES, ids=[c[0].__name__ for c in CASES])
def test_hessian(f, x):
    want = fd_grad(lambda y: s2sad.grad(f)(y), x) if np.ndim(x) == 0 else \
        np.array([fd_grad(lambda y, i=i: s2sad.grad(f)(y)[i], x) for i in range(np.size(x))])
    np.testing.assert_allclose(s2sad.hessian(f)(x), want, rtol=1e-5, atol=1e-6)


def test_power_exactly():
    """d/dx x^5 = 5 x^4, and the second derivative 20 x^3, by grad of grad."""
    x = 0.7
    assert s2sad.grad(power)(x, 5) == pytest.approx(5 * x**4, rel=1e-13)
    assert s2sad.grad(s2sad.grad(power_plus_sine))(x) == pytest.approx(20 * x**3 - np.sin(x), rel=1e-12)


def test_the_generated_source_recurses():
    source = s2sad.source(power_plus_sine)
    assert "power_by_x_fwd(x=x, n=n_minus_1)" in source
    assert "power_by_x_bwd(power_record, " in source


def test_deeper_than_the_recursion_limit_is_refused_with_a_way_out():
    depth = sys.getrecursionlimit()
    with pytest.raises(s2sad.S2SADError, match="recursion limit"):
        s2sad.grad(power)(1.0, depth // 2 + 50)
