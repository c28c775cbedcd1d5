"""Loops (issue 3): for and while loops on Python floats and on NumPy arrays, and tape memory.

Targets: scalar-loop gradients within 3x the primal and 1.5x a hand-written reverse
sweep; the RNN within 1.3x hand-written backprop through time; the logistic map's tape
at most 64 bytes per iteration, growing linearly in n.
"""


import numpy as np
from harness import Probe, ProbeRow, Target, Workload, peak_bytes

import s2sad
import s2sad.driver

# -- the logistic map --------------------------------------------------------------------


def logistic(x, n):
    v = x
    for _ in range(n):
        v = 4.0 * v * (1.0 - v)
    return v


def logistic_grad(x, n):
    """Reverse by hand: keep the trajectory in a list, then walk it backwards."""
    v = x
    trajectory = []
    for _ in range(n):
        trajectory.append(v)
        v = 4.0 * v * (1.0 - v)
    v_bar = 1.0
    for v in reversed(trajectory):
        v_bar = v_bar * (4.0 - 8.0 * v)
    return v_bar


# -- Newton's iteration for sqrt(a) ------------------------------------------------------


def newton_sqrt(a, tol):
    x = a
    while abs(x * x - a) > tol:
        x = 0.5 * (x + a / x)
    return x


def newton_sqrt_grad(a, tol):
    """Reverse by hand through the iterations actually run (x0 = a)."""
    x = a
    xs = []
    while abs(x * x - a) > tol:
        xs.append(x)
        x = 0.5 * (x + a / x)
    x_bar = 1.0
    a_bar = 0.0
    for x in reversed(xs):
        a_bar += x_bar * 0.5 / x
        x_bar = x_bar * 0.5 * (1.0 - a / (x * x))
    return a_bar + x_bar


# -- a while loop with a branch inside ------------------------------------------------------


def while_branch(x, tol):
    v = x
    s = 0.0
    while v > tol:
        if v > 1.0:
            v = 0.9 * v - 0.01
        else:
            v = v * (0.97 - 0.01 * v)
        s = s + v * v
    return s


def while_branch_grad(x, tol):
    """Reverse by hand: keep each trip's v and branch, then walk them backwards."""
    v = x
    trips = []
    while v > tol:
        big = v > 1.0
        trips.append((v, big))
        v = 0.9 * v - 0.01 if big else v * (0.97 - 0.01 * v)
    v_bar = 0.0
    for v_old, big in reversed(trips):
        v_new = 0.9 * v_old - 0.01 if big else v_old * (0.97 - 0.01 * v_old)
        v_bar += 2.0 * v_new
        v_bar *= 0.9 if big else 0.97 - 0.02 * v_old
    return v_bar


# -- RK4 on the Lorenz system ------------------------------------------------------------


def lorenz_rk4(sigma, rho, beta, n, dt):
    x = 1.0
    y = 1.0
    z = 1.0
    h = 0.5 * dt
    for _ in range(n):
        k1x = sigma * (y - x)
        k1y = x * (rho - z) - y
        k1z = x * y - beta * z
        x2 = x + h * k1x
        y2 = y + h * k1y
        z2 = z + h * k1z
        k2x = sigma * (y2 - x2)
        k2y = x2 * (rho - z2) - y2
        k2z = x2 * y2 - beta * z2
        x3 = x + h * k2x
        y3 = y + h * k2y
        z3 = z + h * k2z
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
    return x + y + z


def lorenz_rk4_grad(sigma, rho, beta, n, dt):
    """Reverse by hand: store each step's state, recompute its stages on the way back.

    For the field k = f(X, Y, Z) = (s(Y-X), X(r-Z)-Y, XY-bZ) with adjoint (kx_b, ky_b, kz_b):
    X_b = -s kx_b + (r-Z) ky_b + Y kz_b,  Y_b = s kx_b - ky_b + X kz_b,  Z_b = -X ky_b - b kz_b,
    s_b = (Y-X) kx_b,  r_b = X ky_b,  b_b = -Z kz_b.
    """
    x = y = z = 1.0
    h = 0.5 * dt
    c = dt / 6.0
    states = []
    for _ in range(n):
        states.append((x, y, z))
        k1x = sigma * (y - x)
        k1y = x * (rho - z) - y
        k1z = x * y - beta * z
        x2, y2, z2 = x + h * k1x, y + h * k1y, z + h * k1z
        k2x = sigma * (y2 - x2)
        k2y = x2 * (rho - z2) - y2
        k2z = x2 * y2 - beta * z2
        x3, y3, z3 = x + h * k2x, y + h * k2y, z + h * k2z
        k3x = sigma * (y3 - x3)
        k3y = x3 * (rho - z3) - y3
        k3z = x3 * y3 - beta * z3
        x4, y4, z4 = x + dt * k3x, y + dt * k3y, z + dt * k3z
        k4x = sigma * (y4 - x4)
        k4y = x4 * (rho - z4) - y4
        k4z = x4 * y4 - beta * z4
        x = x + c * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + c * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        z = z + c * (k1z + 2.0 * k2z + 2.0 * k3z + k4z)
    xb = yb = zb = 1.0
    sb = rb = bb = 0.0
    for x, y, z in reversed(states):
        # recompute the stages of this step
        k1x = sigma * (y - x)
        k1y = x * (rho - z) - y
        k1z = x * y - beta * z
        x2, y2, z2 = x + h * k1x, y + h * k1y, z + h * k1z
        k2x = sigma * (y2 - x2)
        k2y = x2 * (rho - z2) - y2
        k2z = x2 * y2 - beta * z2
        x3, y3, z3 = x + h * k2x, y + h * k2y, z + h * k2z
        k3x = sigma * (y3 - x3)
        k3y = x3 * (rho - z3) - y3
        k3z = x3 * y3 - beta * z3
        x4, y4, z4 = x + dt * k3x, y + dt * k3y, z + dt * k3z
        # stage 4, weight c
        ax, ay, az = c * xb, c * yb, c * zb
        sb += (y4 - x4) * ax
        rb += x4 * ay
        bb -= z4 * az
        x4b = -sigma * ax + (rho - z4) * ay + y4 * az
        y4b = sigma * ax - ay + x4 * az
        z4b = -x4 * ay - beta * az
        # stage 3, weight 2c, plus its use in stage 4's point
        ax, ay, az = 2.0 * c * xb + dt * x4b, 2.0 * c * yb + dt * y4b, 2.0 * c * zb + dt * z4b
        sb += (y3 - x3) * ax
        rb += x3 * ay
        bb -= z3 * az
        x3b = -sigma * ax + (rho - z3) * ay + y3 * az
        y3b = sigma * ax - ay + x3 * az
        z3b = -x3 * ay - beta * az
        # stage 2
        ax, ay, az = 2.0 * c * xb + h * x3b, 2.0 * c * yb + h * y3b, 2.0 * c * zb + h * z3b
        sb += (y2 - x2) * ax
        rb += x2 * ay
        bb -= z2 * az
        x2b = -sigma * ax + (rho - z2) * ay + y2 * az
        y2b = sigma * ax - ay + x2 * az
        z2b = -x2 * ay - beta * az
        # stage 1
        ax, ay, az = c * xb + h * x2b, c * yb + h * y2b, c * zb + h * z2b
        sb += (y - x) * ax
        rb += x * ay
        bb -= z * az
        # the state feeds the new state directly and every stage point
        xb, yb, zb = (xb + x2b + x3b + x4b - sigma * ax + (rho - z) * ay + y * az,
                      yb + y2b + y3b + y4b + sigma * ax - ay + x * az,
                      zb + z2b + z3b + z4b - x * ay - beta * az)
    return sb, rb, bb


# -- an RNN on NumPy arrays --------------------------------------------------------------


def rnn_inputs(rng, hidden=64, inputs=32, steps=100):
    """(W, U, b, xs, h0) of the RNN workloads (every spelling of benchmarks/workloads_spellings.py too)."""
    W = rng.normal(0.0, 0.9 / np.sqrt(hidden), (hidden, hidden))
    U = rng.normal(0.0, 1.0 / np.sqrt(inputs), (hidden, inputs))
    b = rng.normal(0.0, 0.1, hidden)
    xs = rng.normal(0.0, 1.0, (steps, inputs))
    return W, U, b, xs, np.zeros(hidden)


def rnn_loss(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h * h)


def rnn_loss_grad(W, U, b, xs, h0):
    """Backprop through time by hand, the hidden states stored on the way forward."""
    hs = [h0]
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
        hs.append(h)
    W_bar = np.zeros_like(W)
    U_bar = np.zeros_like(U)
    b_bar = np.zeros_like(b)
    h_bar = 2.0 * h
    for t in reversed(range(xs.shape[0])):
        a_bar = h_bar * (1.0 - hs[t + 1] * hs[t + 1])
        W_bar += np.outer(a_bar, hs[t])
        U_bar += np.outer(a_bar, xs[t])
        b_bar += a_bar
        h_bar = W.T @ a_bar
    return W_bar, U_bar, b_bar


# -- tape memory ---------------------------------------------------------------------------


def logistic_memory(settings):
    """Peak traced memory of the logistic map's reverse-mode gradient, per iteration, at n = 10^4 and 10^5.

    The reverse derivative itself, its tape: s2sad.grad of one float runs forward mode, which keeps none."""
    reverse = s2sad.driver.derivative(logistic, "reverse", ("x",)).function

    def g(x, n):
        return reverse(x, n, 1.0)
    g(0.3, 10)  # compile outside the measurement
    rows = []
    per = {}
    for n in (10**4, 10**5):
        per[n] = peak_bytes(g, 0.3, n) / n
        hand = peak_bytes(logistic_grad, 0.3, n) / n
        rows.append(ProbeRow(f"logistic_tape_n=1e{len(str(n)) - 1}", "peak traced bytes / iteration (s2sad)",
                             per[n], "B", 64.0, f"hand-written reverse {hand:.1f} B/iteration"))
    growth = per[10**5] * 10**5 / (per[10**4] * 10**4)
    rows.append(ProbeRow("logistic_tape_growth", "peak(n=10^5) / peak(n=10^4) (linear: 10)", growth, "×", None,
                         "linear when close to 10"))
    return rows


_FIRST_COMPILE = """
import sys, time
sys.path.insert(0, {here!r})
t0 = time.perf_counter()
import numba
t1 = time.perf_counter()
import s2sad
from workloads_loops import logistic, while_branch, lorenz_rk4
print("import_numba", t1 - t0)
for name, f, args, wrt in [("logistic_map", logistic, (0.3, 1000), 0), ("while_branch", while_branch, (3.0, 1.5e-4), 0),
                           ("lorenz_rk4", lorenz_rk4, (10.0, 28.0, 8.0 / 3.0, 1000, 0.01), (0, 1, 2))]:
    g = s2sad.grad(f, wrt, backend="numba")
    t = time.perf_counter()
    g(*args)
    print(name, time.perf_counter() - t)
"""


def numba_first_compile(settings):
    """Seconds from grad(f, backend="numba") to its first result, in a fresh process (numba imported first)."""
    import importlib.util
    import os
    import subprocess
    import sys

    if importlib.util.find_spec("numba") is None:
        return [ProbeRow("numba_first_compile", "first call, backend='numba'", None, "s", 1.0, "numba not installed")]
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(here), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", _FIRST_COMPILE.format(here=here)], capture_output=True, text=True,
                         check=True, env=env, timeout=300).stdout
    times = dict((name, float(value)) for name, value in (line.split() for line in out.splitlines()))
    rows = [ProbeRow("numba_import", "import numba (not counted in the compiles)", times.pop("import_numba"), "s")]
    rows += [ProbeRow(f"numba_first_compile_{name}", "transform + numba compile + first run (s)", value, "s", 1.0,
                      "first in the process: pays numba's own warm-up" if i == 0 else "")
             for i, (name, value) in enumerate(times.items())]
    return rows


def workloads(quick=False):
    rng = np.random.default_rng(1)
    W, U, b, xs, h0 = rnn_inputs(rng)
    scalar = [Target("s2sad", "primal", 3.0), Target("s2sad", "hand", 1.5)]
    compiled = scalar + [Target("numba", "hand", 0.25)]  # issue 18: backend="numba" (benchmarks/run.py adds it)
    return [
        Workload("logistic_map", "loops", logistic, (0.3, 1000), wrt=0, hand=logistic_grad,
                 targets=compiled, notes="for loop, n=1000"),
        Workload("while_branch", "loops", while_branch, (3.0, 1.5e-4), wrt="x", hand=while_branch_grad,
                 targets=compiled, notes="while loop with a branch inside, 289 trips",
                 skip={"jax-jit": "a while loop on a traced value: jit cannot"}),
        Workload("newton_sqrt", "loops", newton_sqrt, (12345.678, 1e-8), wrt="a", hand=newton_sqrt_grad,
                 targets=scalar, notes="while loop, 11 iterations"),
        Workload("lorenz_rk4", "loops", lorenz_rk4, (10.0, 28.0, 8.0 / 3.0, 1000, 0.01),
                 wrt=("sigma", "rho", "beta"), hand=lorenz_rk4_grad, targets=compiled, notes="1000 RK4 steps",
                 skip={"jax-jit": "jit unrolls the 1000-step Python loop: a very long XLA compile"}),
        Workload("rnn_bptt", "loops", rnn_loss, (W, U, b, xs, h0), wrt=("W", "U", "b"), hand=rnn_loss_grad,
                 targets=[Target("s2sad", "hand", 1.3)], notes="100 steps, hidden 64"),
        Probe("logistic_memory", "loops", logistic_memory, "tracemalloc peak / n, n = 10^4 and 10^5"),
        Probe("numba_first_compile", "loops", numba_first_compile, "fresh process: first call with backend='numba'"),
    ]
