"""Long iterations (issue 14): 10^4 steps of an update of a 1,000-float state, reversed three ways.

* `long_memory`: for the same loop written with `range(n)` (taped), with
  `s2sad.checkpointed(range(n), snapshots=20)` and with `s2sad.reversible(range(n))`, the
  tracemalloc peak of the gradient above the plain call's peak, in states (8,000 bytes), and
  the gradient's time against the taped one's. The state is (q, p), 500 floats each, advanced by
  a leapfrog step, which reversal can invert exactly in rounding. Targets: checkpointed at most
  25 states above the primal and 3x the taped time; reversible at most 3 states and 2x.
  `long_decay_memory`: the same for checkpointing a one-array update `x = x + 0.001 sin(a x)`,
  which reversal cannot invert (the figure issue 14 measured at 55 states).
"""

import numpy as np
from harness import Probe, ProbeRow, median_time, peak_bytes

import s2sad
from s2sad import reversing

STEPS = 10_000
HALF = 500  # q and p: a 1,000-float state


def leapfrog_taped(q, p, h, n):
    for _ in range(n):
        p = p - h * np.sin(q)
        q = q + h * p
    return np.sum(q * q) + np.sum(p)


def leapfrog_checkpointed(q, p, h, n):
    for _ in s2sad.checkpointed(range(n), snapshots=20):
        p = p - h * np.sin(q)
        q = q + h * p
    return np.sum(q * q) + np.sum(p)


def leapfrog_reversible(q, p, h, n):
    for _ in s2sad.reversible(range(n)):
        p = p - h * np.sin(q)
        q = q + h * p
    return np.sum(q * q) + np.sum(p)


def decay_taped(x, a, n):
    for _ in range(n):
        x = x + 0.001 * np.sin(a * x)
    return np.sum(x * x)


def decay_checkpointed(x, a, n):
    for _ in s2sad.checkpointed(range(n), snapshots=20):
        x = x + 0.001 * np.sin(a * x)
    return np.sum(x * x)


def _rows(prefix, functions, args, state_bytes, settings, limits):
    """A memory row and a time row per way of reversing the loop (taped first)."""
    primal_peak = peak_bytes(functions[0], *args)
    rows, taped_time = [], None
    for (label, func), (memory_limit, time_limit) in zip(functions[1:], limits):
        grad = s2sad.grad(func, wrt=tuple(range(len(args) - 1)))
        grad(*args[:-1], 3)  # compiled outside the measurements
        states = (peak_bytes(grad, *args) - primal_peak) / state_bytes
        seconds = median_time(grad, args, settings, number=1)
        taped_time = taped_time or seconds
        note = ""
        if label == "reversible":
            note = f"inversion {'fell back to checkpoints' if reversing.LAST['fallback'] else 'held'}, " \
                   f"reconstruction error {reversing.LAST['error']:.1e}"
        rows.append(ProbeRow(f"{prefix}_{label}_peak", "peak above the primal's, in states", states, "states",
                             memory_limit, note))
        rows.append(ProbeRow(f"{prefix}_{label}_time", "gradient time / taped gradient time", seconds / taped_time,
                             "×", time_limit, f"{seconds * 1e3:.0f} ms"))
    return rows


def long_memory(settings):
    n = STEPS // 10 if settings.quick else STEPS
    q, p = np.linspace(-1.0, 1.0, HALF), np.linspace(0.0, 1.0, HALF)
    functions = [leapfrog_taped, ("taped", leapfrog_taped), ("checkpointed", leapfrog_checkpointed),
                 ("reversible", leapfrog_reversible)]
    limits = [(None, None), (25.0, 3.0), (3.0, 2.0)]
    return _rows("long", functions, (q, p, 0.001, n), 2 * q.nbytes, settings, limits)


def long_decay_memory(settings):
    n = STEPS // 10 if settings.quick else STEPS
    x = np.linspace(0.0, 1.0, 2 * HALF)
    functions = [decay_taped, ("taped", decay_taped), ("checkpointed", decay_checkpointed)]
    return _rows("decay", functions, (x, 1.3, n), x.nbytes, settings, [(None, None), (25.0, 3.0)])


def workloads(quick=False):
    return [
        Probe("long_memory", "long", long_memory, "10^4 leapfrog steps of a 1,000-float state: taped, "
              "snapshots=20, reversible"),
        Probe("long_decay_memory", "long", long_decay_memory, "10^4 steps of x = x + 0.001 sin(a x), 1,000 floats: "
              "taped, snapshots=20"),
    ]
