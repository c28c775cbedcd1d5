"""Reverse mode of a reversible loop (`for i in s2sad.reversible(range(n)):`, loops.py): no tape.

The primal sweep runs the loop plainly and keeps only its arguments (the initial state, which the
caller holds anyway) and its final state. The adjoint sweep walks the turns backwards: it
reconstructs the state before each turn with the body's inverse (inversion.py), runs that one
turn's forward half again from it and its backward half at once, so that at any time it holds
the state, its adjoint and one turn's record: O(1) states, for about twice the primal's work.

Never silently wrong: inverting in floating point rounds (`(x + g) - g` need not be x, and a
factor `a` below 1 amplifies the error by 1/a a turn). At the end the reconstructed initial state
is compared with the real one; unless they agree to RTOL (relative to the variable's largest entry
at the start or the end),
the gradients are thrown away and computed again from the real initial state with checkpoints
(`fallback`: sqrt(n) snapshots, each segment taped in turn). `LAST` keeps what the last run
did, for tests and the example.
"""

import inspect
import math
from typing import NamedTuple

import numpy as np

from . import runtime
from .errors import S2SADError

RTOL = 1e-12
LAST = {"reconstructed": None, "error": None, "fallback": None}


class Split(NamedTuple):
    """What calls.py needs of a callee's split derivative."""

    function: object
    backward: object
    source: str
    dependencies: tuple = ()


def split(run, wrt, derive):
    """The split derivative (forward half, backward half) of a reversible loop's `run` function."""
    info = run.__s2sad_reversible__
    names = info.state + info.params
    wanted = [n for n in names if n in wrt]

    def forward(**arguments):
        out = run(**arguments)
        return out, (arguments, out)

    def backward(record, g):
        arguments, out = record
        grads = _reverse(info, derive, arguments, out, g, wanted)
        return grads[0] if len(wanted) == 1 else tuple(grads)

    stem = run.__name__
    forward.__name__ = forward.__qualname__ = f"{stem}_fwd"
    backward.__name__ = backward.__qualname__ = f"{stem}_bwd"
    for half in (forward, backward):
        half.__s2sad_reversible_half__ = info
    source = f"# {stem}: reversible loop at {info.filename}:{info.line}, reversed at run time (s2sad/reversing.py)\n"
    return Split(forward, backward, source)


def _zero_like(x):
    return np.zeros_like(x) if isinstance(x, np.ndarray) else 0.0 * x


def _floating(x):
    return isinstance(x, (float, complex, np.floating, np.complexfloating)) or (
        isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.inexact))


def _reverse(info, derive, arguments, out, g, wanted):
    """The cotangents of `wanted` (state and parameter names), by inversion or, if it drifted, checkpoints."""
    n, start, stride = _bounds(info, arguments)
    for s in info.state:
        if not _floating(arguments[s]) and not isinstance(arguments[s], (int, np.integer)):
            raise S2SADError(f"the reversible loop's state {s!r} is a {type(arguments[s]).__name__}: only float values "
                             "(scalars, arrays) and integers are inverted", info.filename, info.line,
                             "reversible loop", "keep arrays in the loop's state, not containers of them")
    active_state = [s for s in info.state if _floating(arguments[s])]
    step_wrt = tuple(active_state + [p for p in info.params if p in wanted])
    step = derive(info.step, "reverse", step_wrt, None)
    params = [arguments[p] for p in info.params]
    forward = _positional(step.function, [info.step.__code__.co_varnames[0]] + info.state + info.params)
    step = Split(forward, step.backward, step.source)
    bars = {s: _bar(runtime.part(g, k), out[k]) for k, s in enumerate(info.state) if s in active_state}
    with np.errstate(all="ignore"):  # a zero factor: inf or nan, caught by the check below
        result, state = _by_inversion(info, step, list(out), bars, params, n, start, stride, step_wrt)
    error = _mismatch(state, [arguments[s] for s in info.state], out)
    LAST.update(reconstructed=True, error=error, fallback=False)
    if not error <= RTOL:
        LAST.update(fallback=True)
        result = _by_checkpoints(info, step, arguments, out, g, params, n, start, stride, step_wrt, active_state)
    return [result.get(name, _zero_like(arguments[name])) for name in wanted]


def _bounds(info, arguments):
    start, stride, steps = (arguments[k] for k in info.counters)
    return steps, start, stride


def _bar(g, like):
    if g is None or (isinstance(g, float) and g == 0.0 and not isinstance(like, float)):
        return _zero_like(like)
    return g


def _positional(function, names):
    """function, called with its arguments in the order of names. Turns call the step and its inverse
    positionally: keyword calls build dicts, and freed dicts wait on CPython's free list (tracemalloc
    counts them)."""
    if list(inspect.signature(function).parameters) == names:
        return function
    return lambda *values: function(**dict(zip(names, values)))


def _turn(info, step, i, state, params, bars, step_wrt, grads):
    """One turn's forward half from `state` (the values of info.state, in order; params likewise),
    then its backward half: the state's adjoints before the turn, and the parameters' parts added
    into grads."""
    record = step.function(i, *state, *params)[1]  # not its output
    state = None
    # tuple of a list, not of a generator: that one shrinks a 10-slot tuple, which when freed joins
    # CPython's free list of small tuples; one a turn, 2,000 of them (tracemalloc counts them)
    parts = step.backward(record, tuple([bars.pop(s) if s in bars else 0.0 for s in info.state]))
    record = None
    parts = parts if len(step_wrt) > 1 else (parts,)
    new_bars = {}
    for name, part in zip(step_wrt, parts):
        if name in info.state:
            new_bars[name] = part
        else:
            grads[name] = grads[name] + part if name in grads else part
    return new_bars


def _by_inversion(info, step, state, bars, params, n, start, stride, step_wrt):
    grads = {}
    inverse = _positional(info.inverse, [info.inverse.__code__.co_varnames[0]] + info.state + info.params)
    for k in reversed(range(n)):
        i = start + k * stride
        state = inverse(i, *state, *params)
        bars = _turn(info, step, i, state, params, bars, step_wrt, grads)
    grads.update(bars)
    return grads, state


def _mismatch(got, real, final):
    """The largest difference of the reconstructed initial state from the real one, relative to the
    size of that variable at the start or at the end (a velocity that starts at zero)."""
    worst = 0.0
    for a, b, c in zip(got, real, final):
        if not _floating(b) and not _floating(a):
            worst = max(worst, 0.0 if a == b else math.inf)
            continue
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return math.inf
        scale = max(float(np.max(np.abs(b))), float(np.max(np.abs(c)))) if b.size else 0.0
        diff = float(np.max(np.abs(a - b))) if b.size else 0.0
        if not math.isfinite(diff):
            return math.inf
        worst = max(worst, diff / scale if scale else (0.0 if diff == 0.0 else math.inf))
    return worst


def _by_checkpoints(info, step, arguments, out, g, params, n, start, stride, step_wrt, active_state):
    """The same cotangents from the real initial state: sqrt(n) snapshots, each segment taped in turn."""
    every = max(1, math.isqrt(max(n - 1, 0)) + 1)
    forward = _positional(info.step, [info.step.__code__.co_varnames[0]] + info.state + info.params)
    state = [arguments[s] for s in info.state]
    snapshots = []
    for k in range(n):
        if k % every == 0:
            snapshots.append(list(state))
        state = list(forward(start + k * stride, *state, *params))
    bars = {s: _bar(runtime.part(g, k), out[k]) for k, s in enumerate(info.state) if s in active_state}
    grads = {}
    for first in reversed(range(0, n, every)):
        states = [snapshots.pop()]
        for k in range(first, min(first + every, n) - 1):
            states.append(list(forward(start + k * stride, *states[-1], *params)))
        for k in reversed(range(first, min(first + every, n))):
            bars = _turn(info, step, start + k * stride, states.pop(), params, bars,
                         step_wrt, grads)
    grads.update(bars)
    return grads
