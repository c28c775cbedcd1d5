"""Griewank's binomial checkpointing schedule (Revolve), and the runtime helpers of checkpointed loops.

A loop of n steps reversed with s snapshots runs, at best, `t*n - beta(s+1, t-1)` forward steps
besides the n taped ones, where `beta(s, t) = C(s+t, s)` and t is the least number with
`n <= beta(s, t)` (Griewank, "Achieving logarithmic growth of temporal and spatial complexity in
reverse automatic differentiation", 1992). The schedule is recursive: keep the state at the start,
run `m = split(n, s)` steps, reverse the last `n - m` steps with s-1 snapshots, then the first m
with s again. `loops.py` writes that recursion as a generated function, so reverse mode (and any
higher derivative) differentiates it like other code; this module only does the arithmetic.

The helpers are leaves: NumPy-free, importing only the errors.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from typing import Any

from .errors import S2SADError

MAX_SNAPSHOTS = 64      # more never pays: the schedule's recursion depth grows with them
MAX_REPETITIONS = 64    # t, the times a step is run at most; beyond it the schedule is hopeless


def beta(s, t):
    """The most steps s snapshots reverse running no step more than t+1 times: C(s+t, s)."""
    return math.comb(s + t, s) if t >= 0 and s >= 0 else 0


def repetitions(n, s):
    """t: the least number with n <= beta(s, t)."""
    t = 0
    while beta(s, t) < n:
        t += 1
    return t


def optimal_cost(n, s):
    """Revolve's least number of forward steps (not counting the n taped ones) to reverse n steps
    with s snapshots, the first of which holds the initial state."""
    if n <= 1:
        return 0
    t = repetitions(n, s)
    return t * n - beta(s + 1, t - 1)


def split(n, s):
    """Where the first intermediate snapshot goes: m steps run and are reversed last, with s
    snapshots; the other n - m are reversed first, with s - 1. Any m in
    [max(n - beta(s-1, t), beta(s, t-2)), min(beta(s, t-1), n - beta(s-1, t-1))] is optimal.
    (A schedule asks once per step it advances over: the binomials go by their ratios, and nothing
    is remembered, which would count as memory the gradient holds.)"""
    if s <= 1:
        return n - 1
    t, top = 0, 1  # top = beta(s, t) = C(s + t, s)
    while top < n:
        t += 1
        top = top * (s + t) // t
    below = top * s // (s + t)  # beta(s - 1, t)
    before = top * t * (t - 1) // ((s + t) * (s + t - 1))  # beta(s, t - 2), 0 for t < 2
    return max(n - below, before, 1)


def schedule_cost(n, s):
    """The forward steps the recursion of `split` runs (tests compare it with `optimal_cost`)."""
    cost, todo = 0, [(n, s)]
    while todo:
        n, s = todo.pop()
        if n > 1:
            m = split(n, s)
            cost += m
            todo += [(n - m, s - 1), (m, s)]
    return cost


def checkpointed(iterable: Iterable[Any], snapshots: int) -> Iterable[Any]:
    """`for i in s2sad.checkpointed(range(n), snapshots=K):` in a function s2sad differentiates: reverse
    mode keeps at most K states of the loop and recomputes the rest (binomial schedule). Called
    plainly it checks its arguments and returns the range itself, so the loop runs unchanged."""
    caller = sys._getframe(1)
    loop_bounds(iterable, snapshots, caller.f_code.co_filename, caller.f_lineno)
    return iterable


def loop_bounds(iterable, snapshots, filename, lineno):
    """(steps, start, stride, snapshots used) of a checkpointed loop, its arguments checked."""
    if isinstance(snapshots, bool) or not isinstance(snapshots, int) or snapshots < 1:
        raise S2SADError(f"checkpointed(..., snapshots={snapshots!r}): snapshots must be an int >= 1", filename,
                         lineno, "checkpointed", "give the number of loop states to keep, e.g. snapshots=16")
    if not isinstance(iterable, range):
        raise S2SADError(f"checkpointed() needs a range, not {type(iterable).__name__}", filename, lineno,
                         "checkpointed", "loop over range(len(xs)) and index xs")
    steps = len(iterable)
    used = min(snapshots, MAX_SNAPSHOTS, max(steps - 1, 1))
    if repetitions(steps, used) > MAX_REPETITIONS:
        raise S2SADError(f"{steps} iterations with snapshots={snapshots} would run each step about "
                         f"{repetitions(steps, used)} times", filename, lineno, "checkpointed",
                         "give more snapshots")
    return steps, iterable.start, iterable.step, used


def segment_split(steps, snapshots):
    """split(steps, snapshots) as the generated segment function calls it (an int, never differentiated)."""
    return split(steps, snapshots)


def reversible(iterable: Iterable[Any]) -> Iterable[Any]:
    """`for i in s2sad.reversible(range(n)):` in a function s2sad differentiates: reverse mode keeps
    only the loop's final state and inverts the body's updates in the adjoint sweep (loops.py,
    reversing.py). Called plainly it checks its argument and returns the range itself."""
    caller = sys._getframe(1)
    reversible_bounds(iterable, caller.f_code.co_filename, caller.f_lineno)
    return iterable


def reversible_bounds(iterable, filename, lineno):
    """(steps, start, stride) of a reversible loop, its argument checked."""
    if not isinstance(iterable, range):
        raise S2SADError(f"reversible() needs a range, not {type(iterable).__name__}", filename, lineno,
                         "reversible", "loop over range(len(xs)) and index xs")
    return len(iterable), iterable.start, iterable.step
