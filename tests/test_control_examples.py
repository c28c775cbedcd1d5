"""The control-flow examples the loops-and-branches issue names, checked against closed forms."""

import math

import numpy as np
import pytest

import s2sad
from s2sad.testing import numerical_jvp

import corpus_control


def test_newton_sqrt_derivative_is_one_over_two_sqrt():
    for p in (0.5, 2.0, 9.0):
        assert s2sad.grad(corpus_control.newton_sqrt)(p) == pytest.approx(1.0 / (2.0 * math.sqrt(p)), rel=1e-9)
        _, tangent = s2sad.jvp(corpus_control.newton_sqrt, (p, 1e-12), (1.0, 0.0))
        assert tangent == pytest.approx(1.0 / (2.0 * math.sqrt(p)), rel=1e-9)


@pytest.mark.parametrize("n", [3, 1000])
def test_logistic_map_matches_the_chain_rule(n):
    v, dv = 0.3, 1.0
    for _ in range(n):
        v, dv = 4 * v * (1 - v), dv * (4 - 8 * v)
    assert s2sad.grad(corpus_control.logistic_n)(0.3, n) == pytest.approx(dv, rel=1e-9)
    assert s2sad.jvp(corpus_control.logistic_n, (0.3, n), (1.0, None))[1] == pytest.approx(dv, rel=1e-9)


def test_lorenz_rk4_for_1000_steps_in_both_modes():
    params = (10.0, 28.0, 8.0 / 3.0)
    reverse = s2sad.grad(corpus_control.lorenz_rk4, wrt=(0, 1, 2))(*params, 1000)
    for i in range(3):
        tangents = [0.0, 0.0, 0.0, None]
        tangents[i] = 1.0
        _, forward = s2sad.jvp(corpus_control.lorenz_rk4, (*params, 1000), tangents)
        assert forward == pytest.approx(reverse[i], rel=1e-8)
        numeric = numerical_jvp(corpus_control.lorenz_rk4, [*params, 1000], i, np.array([1.0]), eps=1e-7)
        assert float(numeric) == pytest.approx(reverse[i], rel=1e-4)
