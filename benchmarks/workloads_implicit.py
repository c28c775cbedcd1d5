"""Fixed points and linearization (issue 15).

* `deq_implicit`: the gradient of a deep-equilibrium layer of width 200 whose forward iteration
  takes about 300 steps, by `s2sad.fixed_point` (implicit function theorem: an adjoint fixed point
  over the generated VJP of one step) against s2sad's gradient of the same 300 steps unrolled.
  Target: implicit / unrolled <= 1.0. The hand-written gradient solves (I - A^T) v = g densely.
* `deq_memory`: tracemalloc peaks of both gradients at two iteration counts: the implicit one
  must not grow with the count (the unrolled one keeps every step).
* `deq_second_order`: a Hessian-vector product through the fixed point (a second adjoint fixed
  point) against the unrolled iterations' (forward over reverse through 300 steps).
* `linearize_vs_jvp`: on the corpus's array functions whose forward code linearize splits,
  the time of a call of f_jvp against a `s2sad.jvp` minus the primal. Target: median ratio <= 1.2.
"""

import os
import statistics
import sys

import numpy as np
from harness import Probe, ProbeRow, Target, Workload, median_time, peak_bytes

import s2sad

WIDTH = 200
UNROLLED_STEPS = 300


def deq_problem():
    rng = np.random.default_rng(7)
    G = rng.normal(size=(WIDTH, WIDTH))
    W = (G + G.T) / 2
    W *= 0.965 / np.max(np.abs(np.linalg.eigvalsh(W)))   # slow contraction: about 300 iterations to 1e-12
    u = 0.1 * rng.normal(size=WIDTH)
    target = rng.normal(size=WIDTH) * 0.1
    return W, u, target


def deq_layer(z, W, u):
    return np.tanh(W @ z + u)


def deq_implicit(W, u, target):
    z = s2sad.fixed_point(deq_layer, np.zeros(WIDTH), W, u)
    return np.sum((z - target) ** 2)


def deq_unrolled(W, u, target, steps=UNROLLED_STEPS):
    z = np.zeros(WIDTH)
    for _ in range(steps):
        z = deq_layer(z, W, u)
    return np.sum((z - target) ** 2)


def deq_hand(W, u, target):
    """By hand: iterate to the fixed point, then solve (I - A^T) v = g with A = diag(1 - z^2) W."""
    z = np.zeros(WIDTH)
    for _ in range(2000):
        new = np.tanh(W @ z + u)
        if np.max(np.abs(new - z)) <= 1e-12:
            z = new
            break
        z = new
    slope = 1.0 - z * z
    v = np.linalg.solve(np.eye(WIDTH) - (slope[:, None] * W).T, 2 * (z - target))
    a_bar = slope * v
    return np.outer(a_bar, z)


def iterations(W, u, tol):
    count = [0]

    def counted(z, W, u):
        count[0] += 1
        return deq_layer(z, W, u)
    s2sad.fixed_point(counted, np.zeros(WIDTH), W, u, tol=tol)
    return count[0]


def deq_memory(settings):
    """Peak traced bytes of the implicit and unrolled gradients at two iteration counts."""
    W, u, target = deq_problem()
    rows = []
    implicit = {}
    for tol in (1e-6, 1e-12):
        def loss(W, tol=tol):
            z = s2sad.fixed_point(deq_layer, np.zeros(WIDTH), W, u, tol=tol)
            return np.sum((z - target) ** 2)
        g = s2sad.grad(loss)
        g(W)
        implicit[tol] = peak_bytes(g, W)
        count = iterations(W, u, tol)
        rows.append(ProbeRow(f"deq_implicit_peak_tol={tol:g}", f"peak traced bytes ({count} iterations)",
                             implicit[tol] / 1e6, "MB", None, "s2sad.fixed_point, reverse mode"))
    unrolled = {}
    for steps in (150, 300):
        g = s2sad.grad(deq_unrolled)
        g(W, u, target, steps)
        unrolled[steps] = peak_bytes(g, W, u, target, steps)
        rows.append(ProbeRow(f"deq_unrolled_peak_n={steps}", "peak traced bytes", unrolled[steps] / 1e6, "MB", None,
                             "s2sad.grad of the unrolled loop"))
    rows.append(ProbeRow("deq_implicit_growth", "implicit peak(1e-12) / peak(1e-6): independent of the count",
                         implicit[1e-12] / implicit[1e-6], "×", 1.1, ""))
    rows.append(ProbeRow("deq_implicit_vs_unrolled", "implicit peak / unrolled peak, 300 iterations",
                         implicit[1e-12] / unrolled[300], "×", 1.0, ""))
    return rows


def deq_second_order(settings):
    """A Hessian-vector product (forward over reverse) through the fixed point against the unrolled one's."""
    W, u, target = deq_problem()
    v = np.random.default_rng(8).normal(size=WIDTH)

    def implicit_of_u(u):
        return deq_implicit(W, u, target)

    def unrolled_of_u(u):
        return deq_unrolled(W, u, target)
    implicit_hvp = s2sad.hvp(implicit_of_u, (u,), (v,))
    unrolled_hvp = s2sad.hvp(unrolled_of_u, (u,), (v,))
    gap = float(np.max(np.abs(implicit_hvp - unrolled_hvp)) / np.max(np.abs(unrolled_hvp)))
    times = {name: median_time(s2sad.hvp, (fn, (u,), (v,)), settings)
             for name, fn in (("implicit", implicit_of_u), ("unrolled", unrolled_of_u))}
    return [ProbeRow("deq_hvp_implicit_vs_unrolled", "hvp time, implicit / unrolled (300 steps)",
                     times["implicit"] / times["unrolled"], "×", None,
                     f"implicit {times['implicit'] * 1e3:.1f} ms, unrolled {times['unrolled'] * 1e3:.1f} ms; "
                     f"largest relative difference {gap:.1e}")]


# -- linearize ----------------------------------------------------------------------------------


def _corpus_arrays():
    """The corpus_numpy functions with an array argument, and their inputs."""
    tests = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import inspect

    import corpus_numpy
    from conftest import differentiable, inputs_for
    for name, func in inspect.getmembers(corpus_numpy, inspect.isfunction):
        if func.__module__ != corpus_numpy.__name__ or name.startswith("_"):
            continue
        args = inputs_for(func)
        floats = differentiable(func, args)
        if floats and any(isinstance(args[i], np.ndarray) for i in floats):
            yield name, func, args, floats


def linearize_vs_jvp(settings):
    rows, ratios = [], []
    for name, func, args, floats in _corpus_arrays():
        out, f_jvp = s2sad.linearize(func, *args)
        if f_jvp.recomputes_primal:
            continue
        tangents = tuple(None if i not in floats else np.ones_like(a) if isinstance(a, np.ndarray) else 1.0
                         for i, a in enumerate(args))
        times = {}
        for _ in range(3):  # interleaved, as the timing table does
            for key, fn, call_args in (("primal", func, args), ("jvp", s2sad.jvp, (func, args, tangents)),
                                       ("f_jvp", f_jvp, tangents)):
                times.setdefault(key, []).append(median_time(fn, call_args, settings))
        t = {k: statistics.median(v) for k, v in times.items()}
        ratio = t["f_jvp"] / max(t["jvp"] - t["primal"], 1e-9)
        ratios.append(ratio)
        rows.append(ProbeRow(f"linearize_{name}", "f_jvp / (jvp − primal)", ratio, "×", None,
                             f"f_jvp {t['f_jvp'] * 1e6:.1f} µs, jvp {t['jvp'] * 1e6:.1f} µs, primal "
                             f"{t['primal'] * 1e6:.1f} µs"))
    rows.append(ProbeRow("linearize_median", f"median f_jvp / (jvp − primal) over {len(ratios)} functions",
                         statistics.median(ratios), "×", 1.2, ""))
    return rows


def workloads(quick=False):
    W, u, target = deq_problem()

    def unrolled_grad():
        return lambda W, u, target: s2sad.grad(deq_unrolled)(W, u, target)
    return [
        Workload("deq_implicit", "implicit", deq_implicit, (W, u, target), wrt=0, hand=deq_hand,
                 extra={"unrolled": unrolled_grad}, peer=None,
                 targets=[Target("s2sad", "unrolled", 1.0, "implicit/unrolled")],
                 notes=f"width {WIDTH}, {iterations(W, u, 1e-12)} forward iterations to 1e-12; unrolled: "
                       f"{UNROLLED_STEPS} steps"),
        Probe("deq_memory", "implicit", deq_memory, "tracemalloc peak of the gradients"),
        Probe("deq_second_order", "implicit", deq_second_order, "hvp through the fixed point"),
        Probe("linearize_vs_jvp", "implicit", linearize_vs_jvp, "corpus_numpy functions with array arguments"),
    ]
