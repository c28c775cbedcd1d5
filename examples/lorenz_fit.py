"""Fitting the Lorenz system's parameters by gradient descent through an RK4 integrator.

    dx/dt = sigma (y - x),   dy/dt = x (rho - z) - y,   dz/dt = x y - beta z

`loss` integrates the system with classical Runge-Kutta (plain Python floats and a for
loop, as one would write it without any AD library in mind) and sums the squared distance
to an observed trajectory. s2sad differentiates the whole simulation with respect to
(sigma, rho, beta) in one reverse pass; Adam-style steps follow the gradient from a wrong
guess back to the parameters that made the observations.

    python examples/lorenz_fit.py
"""

import time

import numpy as np

import s2sad

TRUE = (10.0, 28.0, 8.0 / 3.0)
START = (7.0, 24.0, 2.0)
STEPS, DT = 60, 0.01  # a short horizon: the system is chaotic, and the example stays fast


def loss(sigma, rho, beta, observed, n, dt):
    """Mean squared distance between an RK4 trajectory from (1, 1, 1) and the observed one."""
    x = 1.0
    y = 1.0
    z = 1.0
    total = 0.0
    for i in range(n):
        k1x = sigma * (y - x)
        k1y = x * (rho - z) - y
        k1z = x * y - beta * z
        x2 = x + 0.5 * dt * k1x
        y2 = y + 0.5 * dt * k1y
        z2 = z + 0.5 * dt * k1z
        k2x = sigma * (y2 - x2)
        k2y = x2 * (rho - z2) - y2
        k2z = x2 * y2 - beta * z2
        x3 = x + 0.5 * dt * k2x
        y3 = y + 0.5 * dt * k2y
        z3 = z + 0.5 * dt * k2z
        k3x = sigma * (y3 - x3)
        k3y = x3 * (rho - z3) - y3
        k3z = x3 * y3 - beta * z3
        x4 = x + dt * k3x
        y4 = y + dt * k3y
        z4 = z + dt * k3z
        k4x = sigma * (y4 - x4)
        k4y = x4 * (rho - z4) - y4
        k4z = x4 * y4 - beta * z4
        x = x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        z = z + dt / 6.0 * (k1z + 2.0 * k2z + 2.0 * k3z + k4z)
        total = total + (x - observed[i, 0]) ** 2 + (y - observed[i, 1]) ** 2 + (z - observed[i, 2]) ** 2
    return total / n


def observe(sigma, rho, beta, n, dt):
    """The 'measured' trajectory, one row (x, y, z) per step: the same RK4, vectorized with NumPy."""
    def field(s):
        return np.array([sigma * (s[1] - s[0]), s[0] * (rho - s[2]) - s[1], s[0] * s[1] - beta * s[2]])

    s, rows = np.ones(3), []
    for _ in range(n):
        k1 = field(s)
        k2 = field(s + 0.5 * dt * k1)
        k3 = field(s + 0.5 * dt * k2)
        k4 = field(s + dt * k3)
        s = s + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        rows.append(s)
    return np.array(rows)


def fit(observed, start, iterations=200, rate=0.2):
    """Gradient descent with Adam's step-size normalization (the three parameters differ in scale)."""
    value_and_grad = s2sad.value_and_grad(loss, wrt=("sigma", "rho", "beta"))
    p = np.array(start)
    m, v = np.zeros(3), np.zeros(3)
    history = []
    for k in range(1, iterations + 1):
        value, g = value_and_grad(*p, observed, STEPS, DT)
        g = np.array(g)
        history.append((k, value, p.copy()))
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        p = p - rate * (m / (1 - 0.9**k)) / (np.sqrt(v / (1 - 0.999**k)) + 1e-12)
    history.append((iterations + 1, loss(*p, observed, STEPS, DT), p.copy()))
    return p, history


if __name__ == "__main__":
    observed = observe(*TRUE, STEPS, DT)
    print(f"true parameters  sigma = {TRUE[0]:.4f}  rho = {TRUE[1]:.4f}  beta = {TRUE[2]:.4f}")
    print(f"{STEPS} RK4 steps of dt = {DT}; loss at the truth = {loss(*TRUE, observed, STEPS, DT):.2e}")

    # The gradient s2sad computes, against central differences, at the starting guess.
    g = s2sad.grad(loss, wrt=(0, 1, 2))(*START, observed, STEPS, DT)
    h, start = 1e-6, np.array(START)
    fd = [(loss(*(start + h * e), observed, STEPS, DT) - loss(*(start - h * e), observed, STEPS, DT)) / (2 * h)
          for e in np.eye(3)]
    print(f"gradient at the start: s2sad {np.round(g, 6)}  finite differences {np.round(fd, 6)}")
    print()

    start_time = time.perf_counter()
    p, history = fit(observed, START)
    seconds = time.perf_counter() - start_time
    print(f"{'step':>5} {'loss':>12} {'sigma':>9} {'rho':>9} {'beta':>9}")
    for k, value, q in history:
        if k in (1, 10, 25, 50, 100, 150, 200) or k == len(history):
            print(f"{k:>5} {value:>12.3e} {q[0]:>9.4f} {q[1]:>9.4f} {q[2]:>9.4f}")
    print()
    print(f"fitted parameters sigma = {p[0]:.4f}  rho = {p[1]:.4f}  beta = {p[2]:.4f}"
          f"   ({len(history) - 1} gradients in {seconds:.1f} s)")
    print(f"largest relative error of the fit: {np.max(np.abs(p - np.array(TRUE)) / np.array(TRUE)):.1e}")
