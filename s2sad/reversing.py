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
        record = None
        hand = [out, g]  # handed on, so that this frame does not keep the final state alive
        out = g = None
        grads = _reverse(info, derive, arguments, hand, wanted)
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


def _reverse(info, derive, arguments, hand, wanted):
    """The cotangents of `wanted` (state and parameter names), by inversion or, if it drifted, checkpoints.
    hand: [the final state, its cotangent], emptied here: the sweep replaces the final state as it
    goes, and only the cotangent is kept aside (for the fallback)."""
    out, g = hand
    hand.clear()
    n, start, stride = _bounds(info, arguments)
    for s in info.state:
        if not _floating(arguments[s]) and not isinstance(arguments[s], (int, np.integer)):
            raise S2SADError(f"the reversible loop's state {s!r} is a {type(arguments[s]).__name__}: only float values "
                             "(scalars, arrays) and integers are inverted", info.filename, info.line,
                             "reversible loop", "keep arrays in the loop's state, not containers of them")
    # a state that starts as an integer (v = 0) and leaves as a float carries a derivative too
    active_state = [s for k, s in enumerate(info.state) if _floating(arguments[s]) or _floating(out[k])]
    step_wrt = tuple(active_state + [p for p in info.params if p in wanted])
    step = derive(info.step, "reverse", step_wrt, None)  # its errors name the user's lines; the fallback's
    params = [arguments[p] for p in info.params]
    forward = _positional(step.function, [info.step.__code__.co_varnames[0]] + info.state + info.params)
    step = Split(forward, step.backward, step.source)
    undos = [_prepared(info, undo, derive, step_wrt) for undo in info.undos]
    bars = [_bar(runtime.part(g, k), out[k]) if s in active_state else None for k, s in enumerate(info.state)]
    first_bars = {s: bar for s, bar in zip(info.state, bars) if bar is not None}
    sizes, state = [_size(c) for c in out], list(out)
    out = g = None
    with np.errstate(all="ignore"):  # a zero factor: inf or nan, caught by the check below
        result, state = _by_inversion(info, undos, state, bars, params, n, start, stride)
    error = _mismatch(state, [arguments[s] for s in info.state], sizes)
    state = None
    LAST.update(reconstructed=True, error=error, fallback=False)
    if not error <= RTOL:
        LAST.update(fallback=True)
        result = _by_checkpoints(info, step, arguments, first_bars, params, n, start, stride, step_wrt)
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


def _by_inversion(info, undos, state, bars, params, n, start, stride):
    """Undo the turns last first, each update by update (`_undo_update`), from the final state and its
    cotangent: (the parameters' cotangents and the initial state's, the reconstructed initial state)."""
    grads = {}
    for k in reversed(range(n)):
        i = start + k * stride
        for undo in undos:
            undo(i, state, bars, params, grads)
    for s, bar in zip(info.state, bars):
        if bar is not None:
            grads[s] = bar
    return grads, state


def _prepared(info, undo, derive, step_wrt):
    """undo (an inversion.Undo) as `f(i, state, bars, params, grads)`, which changes the lists state
    and bars (in the order of info.state) to what they were before that step, adding into grads
    (a dict) the parameters' cotangents."""
    position = {s: k for k, s in enumerate(info.state)}
    if undo.kind == "swap":
        moves = [(position[t], position[s]) for t, s in zip(undo.targets, undo.sources)]

        def swap(i, state, bars, params, grads):
            for values in (state, bars):
                taken = [values[t] for t, _ in moves]
                for (_, s), value in zip(moves, taken):
                    values[s] = value
        return swap
    wrt = tuple(name for name in step_wrt if name in undo.reads)
    names = [undo.parts.__code__.co_varnames[0]] + info.state + info.params
    split = None
    if wrt:
        split = derive(undo.parts, "reverse", wrt, None)
        split = Split(_positional(split.function, names), split.backward, split.source)
    into = [position.get(name, name) for name in wrt]
    return _undo_update(undo, position[undo.target], split, into, bool(set(wrt) & undo.a_reads))


def _undo_update(undo, k, split, into, a_wanted):
    """The step undoing `x = a * x + g` (undo.form) for state[k]: a and g recomputed from the state
    (their forward half, when their inputs carry derivatives), x inverted, then the cotangents: x's
    scaled by a, a's and g's handed to their backward half, whose parts go to `into` (a position in
    state, or a parameter's name). Only this update's intermediates live meanwhile."""
    form, has_a, has_g = undo.form, undo.has_a, undo.has_g
    negated = form == "negated"

    def run(i, state, bars, params, grads):
        if split is None:
            values, record = undo.parts(i, *state, *params), None
        else:
            values, record = split.function(i, *state, *params)
        a, g = (values[0] if has_a else None), (values[-1] if has_g else None)
        values, x = None, state[k]
        state[k] = None
        if has_g:
            x = g - x if negated else x - g if form == "plus" else x + g
            g = _Like(g)  # the increment's shape and type: enough for its cotangent
        if has_a:
            x = x / a
        state[k] = x
        bar = bars[k]
        if bar is None:  # an integer (a counter): no cotangent
            return
        bars[k] = None
        cotangent = []
        if has_a:
            # x - g: the backward half is linear in its cotangent, so it gets x's, and its parts are
            # subtracted (no array for -bar)
            flip = negated or (form == "minus" and record is not None)
            cotangent.append(_fit(-(x * bar) if flip else x * bar, a) if a_wanted and record is not None else 0.0)
            x = None
            bars[k] = _fit(-(a * bar) if negated else a * bar, state[k])
        else:
            bars[k] = -bar if negated else bar
        if record is None:
            return
        if has_g:
            cotangent.append(_fit(bar, g))
        a = g = bar = None
        box = [record, tuple(cotangent)]
        record = cotangent = None
        _add(split.backward(box.pop(0), box.pop()), into, bars, grads, form == "minus")
    return run


class _Like:
    """What `_fit` needs of a value it fits a cotangent to (its shape, its type), without the value."""

    __slots__ = ("shape", "dtype")

    def __init__(self, value):
        self.shape, self.dtype = np.shape(value), np.result_type(value)

    def stand_in(self):
        return np.broadcast_to(np.zeros((), self.dtype), self.shape)  # no memory of its own


def _fit(value, like):
    """A cotangent of like (a value or a _Like): summed to its shape, its real part when like is real."""
    shape = like.shape if isinstance(like, _Like) else np.shape(like)
    if np.shape(value) != shape:
        value = runtime.unbroadcast(value, like.stand_in() if isinstance(like, _Like) else like)
    complex_like = np.issubdtype(like.dtype, np.complexfloating) if isinstance(like, _Like) else np.iscomplexobj(like)
    if np.iscomplexobj(value) and not complex_like:
        value = np.real(value)
    return value


def _add(parts, into, bars, grads, subtract=False):
    """A backward half's output (one part per entry of `into`) added into (or subtracted from) bars
    (at positions) and grads."""
    for where, part in zip(into, parts if len(into) > 1 else (parts,)):
        if isinstance(where, int):
            bars[where] = bars[where] - part if subtract else bars[where] + part
        elif where in grads:
            grads[where] = grads[where] - part if subtract else grads[where] + part
        else:
            grads[where] = -part if subtract else part


def _size(x):
    """The largest magnitude of a float value (0.0 when empty), None for others."""
    if not _floating(x):
        return None
    return float(np.max(np.abs(x))) if np.size(x) else 0.0


def _mismatch(got, real, sizes):
    """The largest difference of the reconstructed initial state from the real one, relative to the
    size of that variable at the start or at the end (`sizes`: a velocity that starts at zero)."""
    worst = 0.0
    for a, b, c in zip(got, real, sizes):
        if not _floating(b) and not _floating(a):
            worst = max(worst, 0.0 if a == b else math.inf)
            continue
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return math.inf
        scale = max(float(np.max(np.abs(b))), c or 0.0) if b.size else 0.0
        diff = float(np.max(np.abs(a - b))) if b.size else 0.0
        if not math.isfinite(diff):
            return math.inf
        worst = max(worst, diff / scale if scale else (0.0 if diff == 0.0 else math.inf))
    return worst


def _by_checkpoints(info, step, arguments, bars, params, n, start, stride, step_wrt):
    """The same cotangents from the real initial state: sqrt(n) snapshots, each segment taped in turn."""
    every = max(1, math.isqrt(max(n - 1, 0)) + 1)
    forward = _positional(info.step, [info.step.__code__.co_varnames[0]] + info.state + info.params)
    state = [arguments[s] for s in info.state]
    snapshots = []
    for k in range(n):
        if k % every == 0:
            snapshots.append(list(state))
        state = list(forward(start + k * stride, *state, *params))
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
