"""Regressions of the second wave, one class of bug per section; each derivative is checked
against central finite differences in both modes (and the Hessian where cheap)."""

import numpy as np
import pytest

import s2sad
from s2sad.testing import numerical_jvp


def fd_grad(f, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1.0
        out[i] = numerical_jvp(f, [x], 0, e, eps)
    return out


def assert_grad(f, x, want=None, rtol=1e-6, atol=1e-7):
    """Reverse mode, forward mode (jacobian by columns) and finite differences agree at x."""
    want = fd_grad(f, x) if want is None else want
    np.testing.assert_allclose(s2sad.grad(f)(x), want, rtol=rtol, atol=atol)
    np.testing.assert_allclose(s2sad.jacobian(f, mode="forward")(x), want, rtol=rtol, atol=atol)


def assert_hessian(f, x, rtol=1e-5, atol=1e-6):
    """The Hessian against finite differences of the (checked) gradient, row by row."""
    x = np.asarray(x, dtype=float)
    g = s2sad.grad(f)
    want = np.stack([numerical_jvp(g, [x], 0, e, 1e-6) for e in np.eye(x.size)])
    np.testing.assert_allclose(s2sad.hessian(f)(x), want, rtol=rtol, atol=atol)


# -- 1. the NaN of a branch np.where discards stays out of the derivative ------------------------


def helper_branch(x):
    return np.sqrt(x) * x


def where_sqrt_times(x):
    return np.sum(np.where(x > 0, np.sqrt(x) * x, 0.0))


def where_log_times(x):
    return np.sum(np.where(x > 0, np.log(x) * (x + 1.0), x * 2.0))


def where_div_sqrt(x):
    return np.sum(np.where(x > 0, x / np.sqrt(x), 0.0))


def where_two_steps(x):
    s = np.sqrt(x)
    t = s * s * x
    u = np.where(x > 0, t, -x)
    return np.sum(u * x)


def where_in_callee(x):
    return np.sum(np.where(x > 0, helper_branch(x), 0.0))


def nan_to_num_product(x):
    return np.sum(np.nan_to_num(np.log(x) * x))


def where_scalar_loop(x):
    total = 0.0
    for i in range(x.shape[0]):
        total = total + np.where(x[i] > 0, np.sqrt(x[i]) * x[i], x[i])
    return total


@pytest.mark.parametrize("f", [where_sqrt_times, where_log_times, where_div_sqrt, where_two_steps,
                               where_in_callee, nan_to_num_product, where_scalar_loop])
def test_discarded_branch_nan_stays_out(f):
    x = np.array([-1.0, 2.0, 3.0, -0.5])  # the selected branch is finite at every point
    with np.errstate(invalid="ignore", divide="ignore"):
        assert_grad(f, x)
        assert_hessian(f, x)
        assert np.all(np.isfinite(s2sad.grad(f)(x)))


def test_ordinary_functions_keep_plain_products():
    def plain(x):
        return np.sum(np.sqrt(x) * x)

    assert "times_partial(" not in s2sad.source(plain).split("sqrt_x_bar", 1)[1].split("\n")[0]
    assert "times_partial" not in s2sad.source(lambda_free_mul)


def lambda_free_mul(x, y):
    return np.sum(x * y)
