"""What a benchmark is, how it is timed, and how its gradient is checked.

A `Workload` is one row of the table: a primal function, its arguments, what to
differentiate, a hand-written gradient, and optionally other ways to build the s2sad
candidate (a Hessian, an HVP) and the peers' candidates. A `Probe` is a measurement that
is not a timing triple (transformation time, call overhead, memory); it returns rows of
its own table.

Timing: every candidate is called once (warm-up: compilation, caches, and the value that
is checked), calibrated to a number of loops whose total reaches `min_time`, then timed
for `repeats` rounds. The rounds are interleaved (primal, s2sad, hand, peers, then again)
so that a slow spell of the shared machine hits every candidate alike, and each column
reports the median of its rounds, per call.
"""

import gc
import statistics
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np


@dataclass
class Target:
    """A goal from the issues: timing[num] / timing[den] <= limit."""

    num: str
    den: str
    limit: float
    name: str = ""

    @property
    def label(self):
        return self.name or f"{self.num}/{self.den}"


@dataclass
class Workload:
    """One row: `primal(*args)`, and candidates that all take the same `*args`.

    s2sad: a factory `() -> callable(*args)`; by default `s2sad.grad(primal, wrt)`.
    hand: the hand-written derivative, `hand(*args)`, compared with s2sad's result.
    peer: a factory `(peer) -> callable(*args)`; by default the peer's grad of the
        primal rebound to the peer's numpy (see peers.py); None to skip peers.
    extra: more s2sad-side candidates timed in the same rounds, by key (used by targets).
    skip: peers not run here, with the reason (shown in the notes).
    """

    name: str
    family: str
    primal: Callable
    args: tuple
    wrt: object = 0
    hand: Optional[Callable] = None
    s2sad: Optional[Callable] = None
    peer: Optional[Callable] = "grad"
    extra: dict = field(default_factory=dict)
    targets: list = field(default_factory=list)
    notes: str = ""
    skip: dict = field(default_factory=dict)  # peer name -> why it is not run on this workload


@dataclass
class Probe:
    """A measurement with its own table: `run(settings)` returns a list of `ProbeRow`."""

    name: str
    family: str
    run: Callable
    notes: str = ""


@dataclass
class ProbeRow:
    name: str
    metric: str
    value: Optional[float]        # None when it could not be measured
    unit: str
    limit: Optional[float] = None  # target: value <= limit
    notes: str = ""


@dataclass
class Settings:
    repeats: int = 7
    min_time: float = 0.020       # seconds per timed round
    budget: float = 6.0           # seconds a candidate's rounds may take before rounds are cut
    quick: bool = False


# -- timing ------------------------------------------------------------------------------


def _loop(fn, args, number):
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            fn(*args)
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def calibrate(fn, args, min_time):
    """(loops, seconds per call of the last try): loops for which one round of fn(*args) takes min_time."""
    number = 1
    while True:
        elapsed = _loop(fn, args, number)
        if elapsed >= min_time:
            return number, elapsed / number
        guess = int(number * min_time / max(elapsed, 1e-9) * 1.2) + 1
        number = min(max(guess, 2 * number), 100 * number)


def time_candidates(candidates, args, settings):
    """Median seconds per call of each candidate over interleaved rounds; candidates: {key: fn}.

    Returns ({key: median}, {key: rounds}). A candidate whose rounds would overrun
    settings.budget gets fewer rounds (at least 3 in a full run, 1 in a quick one), and its
    calibration round counts as one of them.
    """
    number, samples, rounds = {}, {}, {}
    for key, fn in candidates.items():
        number[key], per_call = calibrate(fn, args, settings.min_time)
        rounds[key] = max(1, min(settings.repeats, int(settings.budget / (per_call * number[key]))))
        if not settings.quick:
            rounds[key] = max(rounds[key], min(3, settings.repeats))
        samples[key] = [per_call] if rounds[key] < settings.repeats else []
    for _ in range(max(rounds.values(), default=0)):
        for key, fn in candidates.items():
            if len(samples[key]) < rounds[key]:
                samples[key].append(_loop(fn, args, number[key]) / number[key])
    return {key: statistics.median(s) for key, s in samples.items()}, rounds


def median_time(fn, args=(), settings=None, number=None):
    """Median seconds per call of fn(*args) over settings.repeats rounds."""
    settings = settings or Settings()
    if number is None:
        number, _ = calibrate(fn, args, settings.min_time)
    return statistics.median(_loop(fn, args, number) / number for _ in range(settings.repeats))


# -- checking ------------------------------------------------------------------------------


def leaves(tree):
    """The arrays of a gradient: a float, array, tuple/list or dict (in key order)."""
    if isinstance(tree, dict):
        return [x for k in sorted(tree) for x in leaves(tree[k])]
    if isinstance(tree, (tuple, list)):
        return [x for item in tree for x in leaves(item)]
    return [np.asarray(tree, dtype=float)]


def compare(got, want, rtol=1e-6):
    """None when got equals want to rtol (and a scale-aware atol), else a short reason."""
    a, b = leaves(got), leaves(want)
    if len(a) != len(b):
        return f"{len(a)} parts vs {len(b)}"
    worst = 0.0
    for x, y in zip(a, b):
        if x.shape != y.shape:
            return f"shape {x.shape} vs {y.shape}"
        scale = float(np.max(np.abs(y[np.isfinite(y)]), initial=1.0))
        if not np.allclose(x, y, rtol=rtol, atol=1e-9 * scale, equal_nan=True):
            with np.errstate(all="ignore"):
                err = np.max(np.abs(x - y) / (np.abs(y) + 1e-9 * scale))
            worst = max(worst, float(err))
            return f"max rel err {worst:.1e}"
    return None


# -- formatting ----------------------------------------------------------------------------


def fmt_time(seconds):
    if seconds is None:
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(r):
    return "" if r is None else f"{r:.2f}"


def first_line(exc, root=None):
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if root:
        text = text.replace(root.rstrip("/") + "/", "")
    if not isinstance(exc, Exception) or type(exc).__name__ not in text:
        text = f"{type(exc).__name__}: {text}"
    return text


def peak_bytes(fn, *args):
    """tracemalloc's peak while fn(*args) runs, above what was traced when it started (garbage
    collected first). Tracing slows the call: time it apart."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn(*args)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
