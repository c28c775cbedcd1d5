"""The lecture examples, exactly as the issue states them."""

import math

import numpy as np

import s2sad


def z(x1, x2):
    return x1 * x2 + np.sin(x1)


def y(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def f(x, y):
    return np.array([x * y, y ** 3])


def test_z_partials_are_x2_plus_cos_x1_and_x1():
    for x1, x2 in [(2.0, 3.0), (-0.5, 1.25)]:
        d1, d2 = s2sad.grad(z, wrt=(0, 1))(x1, x2)
        assert math.isclose(d1, x2 + math.cos(x1), rel_tol=1e-14)
        assert math.isclose(d2, x1, rel_tol=1e-14)


def test_log_example_forward_tangent_is_5_5():
    out, tangent = s2sad.jvp(y, (2.0, 5.0), (1.0, 0.0))
    assert math.isclose(out, math.log(2) + 10 - math.sin(5))
    assert math.isclose(tangent, 5.5, rel_tol=1e-14)


def test_log_example_reverse_gradient():
    d1, d2 = s2sad.grad(y, wrt=("x1", "x2"))(2.0, 5.0)
    assert math.isclose(d1, 5.5, rel_tol=1e-14)
    assert math.isclose(d2, 2 - math.cos(5), rel_tol=1e-14)


def test_vector_function_jvp_and_vjp():
    out, tangent = s2sad.jvp(f, (2.0, 3.0), (1.2, 3.4))
    np.testing.assert_allclose(out, [6.0, 27.0])
    np.testing.assert_allclose(tangent, [10.4, 91.8], rtol=1e-14)
    out, pullback = s2sad.vjp(f, 2.0, 3.0)
    cotangents = pullback(np.array([4.0, 5.0]))
    np.testing.assert_allclose(cotangents, (12.0, 143.0), rtol=1e-14)


def test_generated_source_reads_like_the_target():
    text = s2sad.source(z, mode="reverse", wrt=(0, 1))
    assert text.splitlines()[1].startswith("def z_vjp(x1, x2, z_bar=1.0):")  # after the header comment
    assert "np.cos(x1)" in text
