"""Loops and branches: the control-flow corpus (issue 3)."""

import math

import numpy as np


def logistic_3(x):
    v = x
    for i in range(3):
        v = 4 * v * (1 - v)
    return v


def logistic_1000(x):
    v = x
    for i in range(1000):
        v = 3.2 * v * (1 - v)
    return v


def logistic_n(x, n):
    v = x
    for i in range(n):
        v = 4 * v * (1 - v)
    return v


def newton_sqrt(p, tol=1e-12):
    x = p
    while abs(x * x - p) > tol:
        x = 0.5 * (x + p / x)
    return x


def piecewise(x):
    if x < 0.4:
        y = x * x
    elif x < 0.6:
        y = np.sin(x)
    else:
        y = 2.0 * x - 1.0
    return y


def nested_if(x, y):
    if x > 0.5:
        if y > 0.5:
            z = x * y
        else:
            z = x - y
    else:
        z = x + y * y
    return z


def branch_on_computed(x, y):
    t = np.sin(x) * y
    if t > 0.2:
        t = t * t
    return t


def and_or_conditions(x, y):
    s = x
    if x > 0.2 and y > 0.2:
        s = s * y
    if x > 2.0 or not y < 0.1:
        s = s + x * y
    return s


def ternary_in_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + (x * i if i % 2 == 0 else -x)
    return s


def break_threshold(x):
    s = 0.0
    for i in range(20):
        s = s + x * i
        if s > 3.0:
            break
    return s


def continue_odd(x):
    s = 0.0
    for i in range(10):
        if i % 2 == 1:
            continue
        s = s + np.sin(x * i)
    return s


def return_nested(x):
    for i in range(5):
        for j in range(5):
            if x * i * j > 2.0:
                return x * i + j
    return x


def return_in_branch(x):
    if x > 0.5:
        return x * x
    y = np.exp(x)
    return y * x


def while_counter(x):
    s = x
    k = 0
    while k < 5:
        s = s * 1.1 + x
        k = k + 1
    return s


def while_data_dependent(x):
    v = x
    while v < 10.0:
        v = v * 1.5 + x
    return v


def while_break(x):
    v = x
    k = 0
    while True:
        v = v + np.sin(v)
        k += 1
        if k >= 4:
            break
    return v


def range_start_stop_step(x):
    s = 0.0
    for i in range(2, 11, 3):
        s = s + x ** 2 * i
    return s


def range_negative_step(x, n):
    s = x
    for i in range(n, 0, -1):
        s = s * x + i
    return s


def loop_over_rows(X, a):
    total = 0.0
    for row in X:
        total = total + np.sum(row * a)
    return total


def loop_over_list(x):
    total = 0.0
    for c in [1.0, 2.0, 3.0]:
        total = total + c * x ** 2
    return total


def loop_enumerate(a, x):
    s = 0.0
    for i, v in enumerate(a):
        s = s + v * x ** i
    return s


def loop_zip(a, b):
    s = 0.0
    for u, v in zip(a, b):
        s = s + u * v
    return s


def nested_loops(x, n):
    s = 0.0
    for i in range(n):
        for j in range(i):
            s = s + x * i * j
    return s


def triple_nested(x):
    s = x
    for i in range(2):
        for j in range(2):
            for k in range(2):
                s = s * 0.9 + x * (i + j + k)
    return s


def loop_in_branch(x):
    if x > 0.5:
        s = 0.0
        for i in range(4):
            s = s + x ** i
    else:
        s = x
    return s


def branch_in_loop(x, n):
    s = x
    for i in range(n):
        if s > 1.0:
            s = s * 0.5
        else:
            s = s * s + x
    return s


def loop_carried_tuple(x, y):
    a, b = x, y
    for i in range(5):
        a, b = b, a + b * 0.5
    return a * b


def fibonacci_like(x):
    a = x
    b = 1.0
    for i in range(6):
        a, b = b, a + b
    return b


def accumulate_array(a, n):
    s = np.zeros(3)
    for i in range(n):
        s = s + a * i
    return np.sum(s * s)


def rnn_small(M, a):
    h = np.zeros(3)
    for t in range(4):
        h = np.tanh(M @ h + a)
    return np.sum(h)


def euler_decay(x):
    y = 1.0
    dt = 0.1
    for i in range(10):
        y = y - dt * x * y
    return y


def lorenz_rk4(sigma, rho, beta, steps=20):
    s, r, b = sigma, rho, beta
    x, y, z = 1.0, 1.0, 1.0
    dt = 0.01
    for i in range(steps):
        k1x = s * (y - x)
        k1y = x * (r - z) - y
        k1z = x * y - b * z
        x2, y2, z2 = x + 0.5 * dt * k1x, y + 0.5 * dt * k1y, z + 0.5 * dt * k1z
        k2x = s * (y2 - x2)
        k2y = x2 * (r - z2) - y2
        k2z = x2 * y2 - b * z2
        x3, y3, z3 = x + 0.5 * dt * k2x, y + 0.5 * dt * k2y, z + 0.5 * dt * k2z
        k3x = s * (y3 - x3)
        k3y = x3 * (r - z3) - y3
        k3z = x3 * y3 - b * z3
        x4, y4, z4 = x + dt * k3x, y + dt * k3y, z + dt * k3z
        k4x = s * (y4 - x4)
        k4y = x4 * (r - z4) - y4
        k4z = x4 * y4 - b * z4
        x = x + dt / 6.0 * (k1x + 2 * k2x + 2 * k3x + k4x)
        y = y + dt / 6.0 * (k1y + 2 * k2y + 2 * k3y + k4y)
        z = z + dt / 6.0 * (k1z + 2 * k2z + 2 * k3z + k4z)
    return x + y + z


def augmented_in_loop(x):
    s = 1.0
    for i in range(4):
        s *= x
        s += 0.5 * x
        s -= 0.1
        s /= 1.1
    return s


def max_tracking(a):
    best = a[0]
    for i in range(3):
        if a[i] > best:
            best = a[i]
    return best * 2.0


def early_return_in_while(x):
    v = x
    while v < 100.0:
        v = v * 2.0
        if v > 5.0:
            return v * x
    return v


def continue_and_break(x):
    s = 0.0
    for i in range(10):
        if i == 2:
            continue
        if i == 7:
            break
        s = s + math.sin(x * i)
    return s


def reassign_in_both_branches(x, y):
    if x > y:
        x = x * 2.0
    else:
        y = y * 3.0
    return x * y


def loop_zero_trips(x, n):
    s = x
    for i in range(n, n):
        s = s * 100.0
    return s * 2.0


def while_zero_trips(x):
    s = x
    while s > 100.0:
        s = s * 0.5
    return s * 3.0


def loop_reads_index(a, x):
    s = 0.0
    for i in range(3):
        s = s + a[i] * x ** (i + 1)
    return s


def horner(a, x):
    result = 0.0
    for i in range(2, -1, -1):
        result = result * x + a[i]
    return result


def weighted_row_sum(X, a):
    acc = np.zeros(3)
    for i in range(4):
        acc = acc + X[i] * a[i % 3]
    return np.sum(acc ** 2)
