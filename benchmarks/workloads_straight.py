"""Straight-line code: a scalar expression on Python floats, and an array expression.

Targets (issue: the compiler core): the reverse gradient within 3x the primal and within
1.3x a hand-written gradient.
"""

import math

import numpy as np
from harness import Target, Workload


def scalar_expr(x, y, z):
    """About 34 operations on Python floats."""
    a = x * y + math.sin(z)
    b = a * a - x / (1.0 + y * y)
    c = math.exp(-0.1 * b) + math.log(1.0 + z * z)
    d = math.sqrt(a * a + c * c + 1.0)
    e = math.tanh(d - x) * c + y * z
    f = e * e / (1.0 + d) + math.cos(a * b)
    return f + a * e - b * c


def scalar_expr_grad(x, y, z):
    """Reverse mode by hand: the forward sweep keeps what the adjoints need."""
    sin_z = math.sin(z)
    a = x * y + sin_z
    q = 1.0 + y * y
    b = a * a - x / q
    ex = math.exp(-0.1 * b)
    zz = 1.0 + z * z
    c = ex + math.log(zz)
    d = math.sqrt(a * a + c * c + 1.0)
    th = math.tanh(d - x)
    e = th * c + y * z
    d1 = 1.0 + d
    ab = a * b
    # out = e*e/d1 + cos(ab) + a*e - b*c
    a_bar = e
    e_bar = a + 2.0 * e / d1
    b_bar = -c
    c_bar = -b
    d_bar = -e * e / (d1 * d1)
    s = -math.sin(ab)
    a_bar += s * b
    b_bar += s * a
    # e = th*c + y*z
    t_bar = e_bar * c * (1.0 - th * th)
    c_bar += e_bar * th
    y_bar = e_bar * z
    z_bar = e_bar * y
    d_bar += t_bar
    x_bar = -t_bar
    # d = sqrt(a*a + c*c + 1)
    a_bar += d_bar * a / d
    c_bar += d_bar * c / d
    # c = exp(-0.1 b) + log(zz)
    b_bar += -0.1 * c_bar * ex
    z_bar += c_bar * 2.0 * z / zz
    # b = a*a - x/q
    a_bar += 2.0 * a * b_bar
    x_bar -= b_bar / q
    y_bar += b_bar * x * 2.0 * y / (q * q)
    # a = x*y + sin(z)
    x_bar += a_bar * y
    y_bar += a_bar * x
    z_bar += a_bar * math.cos(z)
    return x_bar, y_bar, z_bar


def array_expr(x, y):
    """About 15 NumPy operations on two arrays of 10^6 elements."""
    a = np.sin(x) * y
    b = np.exp(-x * x)
    c = a + b * y
    d = np.tanh(c)
    e = d * d + np.log(1.0 + y * y)
    return np.sum(e * x)


def array_expr_grad(x, y):
    """Reverse mode by hand."""
    sin_x = np.sin(x)
    b = np.exp(-x * x)
    d = np.tanh(sin_x * y + b * y)
    yy = 1.0 + y * y
    e = d * d + np.log(yy)
    # out = sum(e * x)
    c_bar = 2.0 * x * d * (1.0 - d * d)
    x_bar = e + c_bar * y * (np.cos(x) - 2.0 * x * b)
    y_bar = c_bar * (sin_x + b) + 2.0 * x * y / yy
    return x_bar, y_bar


def workloads(quick=False):
    rng = np.random.default_rng(0)
    n = 10**6
    x, y = rng.uniform(-1.0, 1.0, n), rng.uniform(-1.0, 1.0, n)
    straight = [Target("s2sad", "primal", 3.0), Target("s2sad", "hand", 1.3)]
    return [
        Workload("scalar_expr", "straight", scalar_expr, (0.7, -1.3, 0.4), wrt=(0, 1, 2),
                 hand=scalar_expr_grad, targets=straight, notes="34 float ops, math module"),
        Workload("array_expr", "straight", array_expr, (x, y), wrt=(0, 1),
                 hand=array_expr_grad, targets=straight, notes="15 array ops, n=10^6"),
    ]
