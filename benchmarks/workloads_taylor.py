"""Taylor mode (issue 16): s2sad.jet on an RK4 step of the Lorenz system, orders 1 to 12.

API (shared API contract): `s2sad.jet(f, primals, series)`, JAX's convention. The step takes the
three state variables as Python floats (the generated jet then works on floats and lists).
Targets: order 8 at most 10x the primal; the time from order 1 to 12 growing at most
quadratically (`jet_growth`, t(12) / t(1) <= 144). The hand-written candidate is the same Taylor
arithmetic written by hand (a list per variable, Leibniz's rule for the two products). Nested
forward mode (the generated JVP differentiated again, K times) is the comparison for K <= 4.
"""

import time

import numpy as np
from harness import Probe, ProbeRow, Target, Workload

import s2sad
from s2sad import driver

H = 0.01


def lorenz(x, y, z):
    return 10.0 * (y - x), x * (28.0 - z) - y, x * y - 8.0 / 3.0 * z


def rk4_step(x, y, z):
    k1 = lorenz(x, y, z)
    k2 = lorenz(x + H / 2 * k1[0], y + H / 2 * k1[1], z + H / 2 * k1[2])
    k3 = lorenz(x + H / 2 * k2[0], y + H / 2 * k2[1], z + H / 2 * k2[2])
    k4 = lorenz(x + H * k3[0], y + H * k3[1], z + H * k3[2])
    return (x + H / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]),
            y + H / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]),
            z + H / 6 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2]))


# -- by hand: series as lists [c0, c1, ..., cK] of normalized coefficients ------------------


def _mul(a, b):
    return [sum(a[j] * b[k - j] for j in range(k + 1)) for k in range(len(a))]


def _lin(*terms):
    """sum of c * series over (c, series) pairs; a plain number c0 for a constant term."""
    out = None
    for c, s in terms:
        scaled = [c * v for v in s]
        out = scaled if out is None else [u + v for u, v in zip(out, scaled)]
    return out


def _lorenz_series(x, y, z, order):
    const = [1.0] + [0.0] * order
    dx = _lin((10.0, y), (-10.0, x))
    dy = _lin((1.0, _mul(x, _lin((28.0, const), (-1.0, z)))), (-1.0, y))
    dz = _lin((1.0, _mul(x, y)), (-8.0 / 3.0, z))
    return dx, dy, dz


def hand_jet(order):
    """jet of rk4_step by hand, in JAX's convention (derivatives in, derivatives out)."""
    import math

    def run(x, y, z):
        state = [[v] + [1.0 / math.factorial(k) for k in range(1, order + 1)] for v in (x, y, z)]
        k1 = _lorenz_series(*state, order)
        k2 = _lorenz_series(*[_lin((1.0, s), (H / 2, k)) for s, k in zip(state, k1)], order)
        k3 = _lorenz_series(*[_lin((1.0, s), (H / 2, k)) for s, k in zip(state, k2)], order)
        k4 = _lorenz_series(*[_lin((1.0, s), (H, k)) for s, k in zip(state, k3)], order)
        new = [_lin((1.0, s), (H / 6, a), (H / 3, b), (H / 3, c), (H / 6, d))
               for s, a, b, c, d in zip(state, k1, k2, k3, k4)]
        return tuple(n[0] for n in new), tuple([n[k] * math.factorial(k) for k in range(1, order + 1)] for n in new)

    return run


def s2sad_jet(order, size=None):
    one = 1.0 if size is None else np.ones(size)
    series = [[one] * order] * 3  # the curve x + t + t**2/2 + ...: every derivative 1

    def build():
        def run(x, y, z):
            return s2sad.jet(rk4_step, (x, y, z), series)
        return run

    return build


def _hand_series(order):
    run = hand_jet(order)

    def hand(x, y, z):
        return run(x, y, z)
    return hand


def nested_forward(order):
    """The order-th derivative of the step along (1, 1, 1), by forward mode over forward mode ... (K deep)."""
    def build():
        func = _along_diagonal(rk4_step)
        for _ in range(order):
            func = _derivative_of(driver.derivative(func, "forward", ("t",)).function)
        return lambda x, y, z: func(0.0, x, y, z)

    return build


def _along_diagonal(step):
    def moved(t, x, y, z):
        out = step(x + t, y + t, z + t)
        return out[0] + out[1] + out[2]
    return moved


def _derivative_of(jvp_of):
    def derivative(t, x, y, z):
        return jvp_of(t, x, y, z, t_dot=1.0)[1]
    return derivative


def jet_growth(settings):
    """t(order 12) / t(order 1) of s2sad.jet on the step: quadratic growth would be 144."""
    args = (1.0, 2.0, 20.0)
    times = {}
    for order in (1, 2, 4, 8, 12):
        run = s2sad_jet(order)()
        run(*args)
        best = float("inf")
        for _ in range(settings.repeats):
            number = 200 if settings.quick else 1000
            start = time.perf_counter()
            for _ in range(number):
                run(*args)
            best = min(best, (time.perf_counter() - start) / number)
        times[order] = best
    shown = ", ".join(f"K={k}: {t * 1e6:.0f} us" for k, t in times.items())
    return [ProbeRow("jet_growth", "t(K=12) / t(K=1)", times[12] / times[1], "x", 144.0, shown)]


def workloads(quick=False):
    args = (1.0, 2.0, 20.0)
    rows = []
    for order in (1, 4, 8, 12):
        extra = {"nested_forward": nested_forward(order)} if order <= 4 else {}
        targets = [Target("s2sad", "primal", 10.0, "jet/primal")] if order == 8 else []
        rows.append(Workload(f"jet_rk4_order{order}", "taylor", rk4_step, args, hand=_hand_series(order),
                             s2sad=s2sad_jet(order), peer=None, extra=extra, targets=targets,
                             notes=f"s2sad.jet of an RK4 step of Lorenz (3 floats), order {order}"
                                   + ("; extra: nested forward mode to the same order" if extra else "")))
    states = tuple(np.linspace(v, v + 1.0, 1000) for v in args)
    rows.append(Workload("jet_rk4_arrays_order8", "taylor", rk4_step, states, hand=_hand_series(8),
                         s2sad=s2sad_jet(8, 1000), peer=None,
                         notes="the same step on 1000 trajectories at once (each state variable an array), order 8"))
    rows.append(Probe("jet_growth", "taylor", jet_growth, "s2sad.jet on the RK4 step, orders 1, 2, 4, 8, 12"))
    return rows
