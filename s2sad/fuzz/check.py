"""Checking one generated program: every derivative s2sad offers against an independent reference.

Invariant: `check(program)` returns a `Result` whose outcome is one of
OK, KINK (the reference is not trustworthy at this point: a branch decision changed within the
finite-difference step, the step sizes disagree, a value is not finite, or an intermediate is so
large that its rounding swamps the finite differences), REFUSED (s2sad raised
S2SADError), WRONG (a number or a shape differs), CRASH (anything else raised from s2sad), or
INVALID (the program itself fails: a generator bug, never s2sad's).

The references: reverse mode against complex step where the program is analytic (no comparison,
no abs/max/where...), else central differences at two step sizes; forward mode against reverse by
the dot-product test; the general derivative and the unoptimized ones against the specialized,
optimized one `grad` runs; the Hessian against central differences of the gradient. With
backend "numba", the same gradient compiled by numba (`grad(f, backend="numba")`) against the NumPy
backend's: a program numba cannot compile is REFUSED at the check "numba", never WRONG. With
checkpoint K, `grad(f, checkpoint=K)` (every loop with at most K saved states, recomputed in the adjoint
sweep) against the taped gradient to 1e-12 relative (issue 14): a loop that checkpointing refuses is
REFUSED at the check "checkpoint", never WRONG.
"""

import ast
import importlib.util
import itertools
import os
import re
import signal
import sys
import warnings
from dataclasses import dataclass

import numpy as np

import s2sad

from .constructs import fields_of, is_record, materialize, remake

OUTCOMES = ("OK", "KINK", "REFUSED", "WRONG", "CRASH", "INVALID")
FD_STEPS = (1e-5, 1e-6)
HESSIAN_STEPS = (1e-4, 1e-5)
NON_ANALYTIC = {"abs", "max", "min", "where", "maximum", "minimum", "sort", "clip", "norm", "int", "float",
                "round", "astype", "math", "linalg", "fft", "scipy", "real", "imag", "conj", "angle", "nan_to_num",
                "real_if_close", "partition", "sorted", "interp", "select", "isfinite", "errstate"}
_COUNTER = itertools.count()
_COMPLEX_WARNING = getattr(np, "exceptions", np).ComplexWarning  # moved in NumPy 1.25


@dataclass
class Result:
    """What one check found: outcome, which check decided it, and a one-line detail."""

    outcome: str
    check: str = ""
    detail: str = ""

    @property
    def key(self):
        """What a shrunk program must keep failing with: the outcome, the check, the kind of error.

        Numbers, names and line numbers are left out: shrinking changes them."""
        if self.outcome in ("CRASH", "REFUSED"):
            message = re.sub(r"^.*?:\d+: ", "", self.detail)  # the file and line
            message = re.sub(r"\binto \w+", "into #", message)  # the name written into
            words = [re.sub(r"\w*\d\w*", "#", w) for w in message.split()[:6]]  # the names numbered
            return f"{self.outcome}:{self.check}:{' '.join(words)}"
        return f"{self.outcome}:{self.check}"


class _Mismatch(Exception):
    """A derivative disagrees with its reference."""

    def __init__(self, check, detail):
        super().__init__(detail)
        self.check, self.detail = check, detail


class _Kink(Exception):
    """The reference cannot be trusted here."""

    def __init__(self, check, detail=""):
        super().__init__(detail)
        self.check, self.detail = check, detail


class _Timeout(Exception):
    pass


# -- loading ---------------------------------------------------------------------------------


def load(source, directory):
    """Write source to a fresh file and import it: s2sad reads a real module's source, as a user's."""
    name = f"s2sad_fuzz_case_{os.getpid()}_{next(_COUNTER)}"
    path = os.path.join(directory, name + ".py")
    with open(path, "w") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)  # `0.5[3]`: a shrinking step went too far
        spec.loader.exec_module(module)
    return module


def unload(module):
    """Forget a case's module and file, so a long campaign keeps neither."""
    sys.modules.pop(module.__name__, None)
    try:
        os.remove(module.__file__)
    except OSError:
        pass


# -- values as flat vectors ------------------------------------------------------------------


def flatten(args):
    """Every float of args (floats, arrays, dicts of floats) in one vector."""
    parts = []
    for a in args:
        if is_record(a):
            parts.append(flatten(tuple(v for _, v in sorted(fields_of(a).items()))))
        elif isinstance(a, dict):
            parts += [np.ravel(a[k]) for k in sorted(a)]
        else:
            parts.append(np.ravel(np.asarray(a, dtype=float)))
    return np.concatenate(parts)


def unflatten(z, like):
    """Arguments shaped like `like`, fresh copies, holding z (complex when z is)."""
    out, at = [], 0
    for a in like:
        if is_record(a):
            fields = fields_of(a)
            size = flatten((a,)).size
            values = unflatten(z[at:at + size], tuple(v for _, v in sorted(fields.items())))
            out.append(remake(a, dict(zip(sorted(fields), values))))
            at += size
        elif isinstance(a, dict):
            item = {}
            for k in sorted(a):
                item[k] = z[at].item()
                at += 1
            out.append(item)
        elif isinstance(a, np.ndarray):
            out.append(np.array(z[at:at + a.size]).reshape(a.shape))
            at += a.size
        else:
            out.append(z[at].item())
            at += 1
    return tuple(out)


def flat_like(g, x):
    """An adjoint g of argument x as a vector, read leniently (generated code may return 0.0 for zero)."""
    if is_record(x):
        names = list(fields_of(x))  # the general derivative's adjoint of a record: {field position: adjoint}
        g = fields_of(g) if is_record(g) else {names[k] if isinstance(k, int) else k: v for k, v in g.items()} \
            if isinstance(g, dict) else g
        x = fields_of(x)
    if isinstance(x, dict):
        return np.concatenate([flat_like(g.get(k, 0.0) if isinstance(g, dict) else (0.0 if np.ndim(g) == 0 and not
                               isinstance(g, (list, tuple)) else g[k]), x[k]) for k in sorted(x)])
    if isinstance(x, np.ndarray):
        return np.broadcast_to(np.asarray(g, dtype=float), x.shape).ravel()
    return np.array([float(np.sum(np.asarray(g, dtype=float)))])


def _shape_problem(g, x):
    """Why gradient g does not look like its input x (API: float in, float out; shape S in, S out), or None."""
    if is_record(x):
        if type(g) is not type(x):
            return f"gradient of a {type(x).__name__} is {type(g).__name__}"
        return _shape_problem(fields_of(g), fields_of(x))
    if isinstance(x, dict):
        if not isinstance(g, dict) or set(g) != set(x):
            return f"gradient of a dict is {type(g).__name__}"
        return next((p for k in x if (p := _shape_problem(g[k], x[k]))), None)
    if isinstance(x, np.ndarray):
        if not isinstance(g, np.ndarray) or g.shape != x.shape:
            return f"gradient of a {x.shape} array is {type(g).__name__} {np.shape(g)}"
        return None
    return None if isinstance(g, float) else f"gradient of a float is {type(g).__name__}"


# -- the reference: traced primal, complex step, finite differences ---------------------------


def traced(f, args):
    """f(*args) and the lines it ran in f's file: equal lines at two points = equal branch decisions."""
    filename = f.__code__.co_filename
    lines = []

    def local(frame, event, arg):
        if event == "line":
            lines.append((frame.f_code.co_name, frame.f_lineno))
        return local

    def tracer(frame, event, arg):
        return local if frame.f_code.co_filename == filename else None

    sys.settrace(tracer)
    try:
        value = f(*args)
    finally:
        sys.settrace(None)
    return value, lines


def largest_intermediate(f, args):
    """The largest magnitude a floating value takes among the locals of f's frames (and its helpers').

    Rounding a value of size M costs M * eps, which a difference quotient of step h amplifies by 1/h:
    past some size, finite differences see only rounding (a sum of 1e13-sized terms that cancel to
    O(1) moves in steps of 2e-3, so a step of 1e-6 reads a slope of 0 or thousands)."""
    filename = f.__code__.co_filename
    largest = 0.0

    def local(frame, event, arg):
        nonlocal largest
        if event in ("line", "return"):
            for value in frame.f_locals.values():
                largest = max(largest, _magnitude(value))
        return local

    def tracer(frame, event, arg):
        return local if frame.f_code.co_filename == filename else None

    sys.settrace(tracer)
    try:
        f(*args)
    finally:
        sys.settrace(None)
    return largest


def _magnitude(value, depth=0):
    """The largest finite absolute value of a float, a floating array, or a (shallow) container of them."""
    if isinstance(value, (float, complex, np.floating, np.complexfloating)):
        return float(abs(value)) if np.isfinite(value) else 0.0
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc" and value.size:
        finite = np.abs(value[np.isfinite(value)])
        return float(finite.max()) if finite.size else 0.0
    if depth < 2 and isinstance(value, (list, tuple, dict)):
        items = value.values() if isinstance(value, dict) else value
        return max((_magnitude(item, depth + 1) for item in items), default=0.0)
    return 0.0


def rounding_swamps(largest, step, scale, tolerance=1e-4):
    """Whether rounding an intermediate of size `largest`, divided by `step`, can exceed the comparison's tolerance."""
    return largest * np.finfo(float).eps / step > tolerance * scale


def analytic(source):
    """Whether complex step applies: nothing in the source compares, takes a modulus or truncates."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Compare, ast.BoolOp, ast.IfExp)):
            return False
        if isinstance(node, ast.Constant) and isinstance(node.value, complex):  # complex intermediates
            return False
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name in NON_ANALYTIC:
            return False
    return True


def complex_step(f, args):
    """The gradient by complex step (exact to rounding), or None when the program is not complex-safe."""
    z = flatten(args).astype(complex)
    grad = np.empty(z.size)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", _COMPLEX_WARNING)  # a complex value stored into a float array
            for j in range(z.size):
                step = z.copy()
                step[j] += 1e-30j
                value = f(*unflatten(step, args))
                if not np.iscomplexobj(value):
                    return None
                grad[j] = np.imag(value) / 1e-30
    except Exception:
        return None
    return grad if np.all(np.isfinite(grad)) else None


def finite_differences(f, args, base_lines, scale):
    """The gradient by central differences; _Kink when a branch flips or the two step sizes disagree."""
    z = flatten(args)
    estimates = []
    for h in FD_STEPS:
        grad = np.empty(z.size)
        for j in range(z.size):
            values = []
            for sign in (1, -1):
                step = z.copy()
                step[j] += sign * h
                try:
                    value, lines = traced(f, unflatten(step, args))
                    value = float(value)
                except Exception as exc:
                    raise _Kink("nonfinite", f"f fails near the point: {type(exc).__name__}") from None
                if lines != base_lines:
                    raise _Kink("branch", f"the branches taken change within {h:g} of input {j}")
                values.append(value)
            grad[j] = (values[0] - values[1]) / (2 * h)
        estimates.append(grad)
    if not np.allclose(estimates[0], estimates[1], rtol=0, atol=1e-5 * scale):
        raise _Kink("steps", "finite differences at two step sizes disagree (a kink inside the step)")
    return estimates[0]


# -- s2sad's derivatives --------------------------------------------------------------------


def forget():
    """Empty s2sad's derivative cache: a campaign compiles thousands of functions it never calls again."""
    from s2sad import cache

    cache.clear()


def _compiled(f, mode, names, optimized, args=()):
    """The general (not specialized) derivative, optimized or not, as a function.

    The public API runs only optimized code, specialized to the arguments' kinds in `grad`; the
    unoptimized and general variants are reached through the driver, the one place this package
    looks inside s2sad (`s2sad.source(..., optimize=False)` shows the same code as text).
    """
    from s2sad import driver, pytrees

    receiver = pytrees.object_types(names, args)  # the record parameters' classes, as grad passes them
    return driver.derivative(f, mode, names, optimized=optimized, receiver=receiver).function


def _close(got, want, tol, what, scale=1.0):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape or not np.all(np.abs(got - want) <= tol * max(scale, 1.0)):
        raise _Mismatch(what, f"{what}: got {np.array2string(got, precision=6)}, "
                              f"expected {np.array2string(want, precision=6)}")


def _stage(name, run):
    """run(), with anything s2sad raises labelled by the stage: REFUSED or CRASH."""
    try:
        return run()
    except (_Mismatch, _Kink, _Timeout):
        raise
    except s2sad.S2SADError as exc:
        raise _Refused(name, _one_line(exc)) from None
    except Exception as exc:
        raise _Crash(name, f"{type(exc).__name__}: {_one_line(exc)}") from None


class _Refused(Exception):
    def __init__(self, check, detail):
        super().__init__(detail)
        self.check, self.detail = check, detail


class _Crash(_Refused):
    pass


def _one_line(exc):
    return " ".join(str(exc).split())[:300]


def _reverse_checks(f, args, value, reference, scale, exact):
    """grad against the reference; the general and unoptimized reverse code against grad."""
    wrt = tuple(range(len(args)))
    out, grads = _stage("grad", lambda: s2sad.value_and_grad(f, wrt=wrt)(*_copies(args)))
    _close(out, value, 1e-9, "value", abs(value))
    for g, x in zip(grads, args):
        problem = _shape_problem(g, x)
        if problem:
            raise _Mismatch("shape", problem)
    g = np.concatenate([flat_like(g, x) for g, x in zip(grads, args)])
    _close(g, reference, 1e-7 if exact else 1e-4, "reverse-vs-reference", scale)
    names = ("x", "y")
    for optimized, check in ((True, "general-vs-specialized"), (False, "unoptimized-reverse")):
        adjoints = _stage(check, lambda o=optimized: _compiled(f, "reverse", names, o, args)(*_copies(args)))
        _close(np.concatenate([flat_like(a, x) for a, x in zip(adjoints, args)]), g, 1e-8, check, scale)
    return g


def _forward_checks(f, args, g, scale, rng):
    """jvp by the dot-product test against the gradient, then the unoptimized JVP against jvp."""
    direction = rng.standard_normal(g.size)
    tangents = unflatten(direction, args)
    out, out_dot = _stage("jvp", lambda: s2sad.jvp(f, _copies(args), tangents))
    _close(out_dot, float(g @ direction), 1e-8, "forward-vs-reverse", scale * np.abs(direction).sum())
    def plain_jvp():
        return _compiled(f, "forward", ("x", "y"), False, args)(*_copies(args), *unflatten(direction, args))

    plain = _stage("unoptimized-forward", plain_jvp)
    _close(plain[1], out_dot, 1e-8, "unoptimized-forward", scale * np.abs(direction).sum())


def _hessian_check(f, args, base_lines, largest):
    """hessian(f, wrt=0) against central differences of grad(f, wrt=0), at two step sizes."""
    x = args[0]
    if rounding_swamps(largest, HESSIAN_STEPS[-1], 1.0):
        raise _Kink("rounding", f"an intermediate reaches {largest:.3g}: rounding swamps the Hessian's differences")
    H = np.ravel(_stage("hessian", lambda: s2sad.hessian(f, wrt=0)(*_copies(args))))
    grad = s2sad.grad(f, wrt=0)
    z = np.ravel(np.asarray(x, dtype=float))
    columns = {}
    for h in HESSIAN_STEPS:
        cols = []
        for j in range(z.size):
            pair = []
            for sign in (1, -1):
                step = z.copy()
                step[j] += sign * h
                point = (step.reshape(np.shape(x)) if isinstance(x, np.ndarray) else float(step[0]),) + tuple(args[1:])
                if traced(f, _copies(point))[1] != base_lines:
                    raise _Kink("branch", "the branches taken change within the Hessian's step")
                pair.append(np.ravel(grad(*_copies(point))))
            cols.append((pair[0] - pair[1]) / (2 * h))
        columns[h] = np.stack(cols, axis=1).ravel()
    wide, narrow = (columns[h] for h in HESSIAN_STEPS)
    scale = max(1.0, float(np.max(np.abs(wide))))
    if not np.allclose(wide, narrow, rtol=0, atol=1e-4 * scale):
        raise _Kink("steps", "the gradient's finite differences disagree at two step sizes")
    _close(H, wide, 1e-4, "hessian-vs-fd", scale)


def _numba_check(f, args, value, g, scale):
    """value_and_grad(f, backend="numba") against the NumPy backend's value and its checked gradient g."""
    wrt = tuple(range(len(args)))
    out, grads = _stage("numba", lambda: s2sad.value_and_grad(f, wrt=wrt, backend="numba")(*_copies(args)))
    _close(out, value, 1e-9, "numba-value", abs(value))
    for got, x in zip(grads, args):
        problem = _shape_problem(got, x)
        if problem:
            raise _Mismatch("numba-shape", problem)
    _close(np.concatenate([flat_like(got, x) for got, x in zip(grads, args)]), g, 1e-8, "numba-vs-numpy", scale)


def _checkpoint_check(f, args, value, g, snapshots):
    """value_and_grad(f, checkpoint=K) against the taped value and gradient g, to 1e-12 relative: the
    schedule recomputes the taped forward sweep's operations, so anything more than rounding is WRONG."""
    wrt = tuple(range(len(args)))
    out, grads = _stage("checkpoint", lambda: s2sad.value_and_grad(f, wrt=wrt, checkpoint=snapshots)(*_copies(args)))
    _close(out, value, 1e-12, "checkpoint-value", abs(value))
    for got, x in zip(grads, args):
        problem = _shape_problem(got, x)
        if problem:
            raise _Mismatch("checkpoint-shape", problem)
    scale = max(1.0, float(np.max(np.abs(g), initial=0.0)))
    _close(np.concatenate([flat_like(got, x) for got, x in zip(grads, args)]), g, 1e-12, "checkpoint-vs-tape", scale)


def _aux_check(f_aux, args, value, g, scale):
    """value_and_grad with has_aux of f_aux (f returning (value, [value, x])): the value and gradient of f, the
    aux f_aux's own."""
    wrt = tuple(range(len(args)))
    (out, aux), grads = _stage("has_aux", lambda: s2sad.value_and_grad(f_aux, wrt=wrt, has_aux=True)(*_copies(args)))
    _close(out, value, 1e-9, "has_aux-value", abs(value))
    _close(np.concatenate([flat_like(a, x) for a, x in zip(grads, args)]), g, 1e-8, "has_aux-gradient", scale)
    want = f_aux(*_copies(args))[1]
    if len(aux) != len(want):
        raise _Mismatch("has_aux-aux", f"aux has {len(aux)} items, expected {len(want)}")
    for got, expected in zip(aux, want):
        _close(got, expected, 1e-12, "has_aux-aux", 1.0)


def _copies(args):
    """Fresh copies: a derivative that writes into its arguments must not spoil the next check."""
    return tuple(remake(a, {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in fields_of(a).items()})
                 if is_record(a) else a.copy() if isinstance(a, (np.ndarray, dict)) else a for a in args)


# -- one program ------------------------------------------------------------------------------


def check(program, directory, hessian=False, timeout=30, backend="numpy", checkpoint=None):
    """The outcome of every check on one program (see the module docstring); backend "numba" adds
    the numba backend's gradient to the checks, checkpoint K the gradient with at most K saved states."""
    module = None
    try:
        module = load(program.source, directory)
        program = program.with_args(materialize(program.args, module))  # records from the program's classes
    except Exception as exc:  # a shrinking candidate that is not a program any more
        if module is not None:
            unload(module)
        return Result("INVALID", "load", f"{type(exc).__name__}: {_one_line(exc)}")
    forget()  # s2sad's cache takes equal code objects of two modules for one function (fuzz-findings.md, N6)
    # CPU time, not wall time: on a loaded machine a slow program is not a hung one
    previous = signal.signal(signal.SIGPROF, _on_alarm)
    signal.setitimer(signal.ITIMER_PROF, timeout)
    try:
        with np.errstate(all="ignore"):
            return _check(module.f, program, hessian, backend, getattr(module, "f_aux", None), checkpoint)
    except _Timeout:
        return Result("CRASH", "timeout", f"no answer within {timeout} s of CPU time")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        unload(module)


def _on_alarm(signum, frame):
    raise _Timeout()


def _check(f, program, hessian, backend="numpy", f_aux=None, checkpoint=None):
    args = program.args
    try:
        value, base_lines = traced(f, _copies(args))
        if np.iscomplexobj(value):  # `(-1.5) ** 0.5` from a shrinking step: float() would drop the imaginary part
            raise TypeError("f returned a complex number")
        value = float(value)
    except _Timeout:  # a shrinking candidate that lost its loop counter
        return Result("INVALID", "primal", "the program does not stop")
    except Exception as exc:
        if isinstance(exc, (OverflowError, ZeroDivisionError)) or "math domain" in str(exc):
            return Result("KINK", "nonfinite", f"{type(exc).__name__}: {_one_line(exc)}")  # out of range: no reference
        return Result("INVALID", "primal", f"{type(exc).__name__}: {_one_line(exc)}")
    if not np.isfinite(value) or abs(value) > 1e6:
        return Result("KINK", "nonfinite", f"f = {value}")
    try:
        exact = analytic(program.source) and (reference := complex_step(f, args)) is not None
        largest = largest_intermediate(f, _copies(args))
        if not exact:
            if rounding_swamps(largest, min(FD_STEPS), max(1.0, abs(value))):
                raise _Kink("rounding", f"an intermediate reaches {largest:.3g}: rounding swamps finite differences")
            reference = finite_differences(f, args, base_lines, max(1.0, abs(value)))
        scale = max(1.0, abs(value), float(np.max(np.abs(reference))))
        if scale > 1e6:
            raise _Kink("nonfinite", "derivatives too large to compare")
        g = _reverse_checks(f, args, value, reference, scale, exact)
        _forward_checks(f, args, g, scale, np.random.default_rng(program.seed))
        if backend == "numba":
            _numba_check(f, args, value, g, scale)
        if checkpoint is not None:
            _checkpoint_check(f, args, value, g, checkpoint)
        if f_aux is not None:
            _aux_check(f_aux, args, value, g, scale)
        if hessian:
            _hessian_check(f, args, base_lines, largest)
    except _Kink as kink:
        return Result("KINK", kink.check, kink.detail)
    except _Mismatch as bad:
        return Result("WRONG", bad.check, bad.detail)
    except _Crash as crash:
        return Result("CRASH", crash.check, crash.detail)
    except _Refused as refused:
        return Result("REFUSED", refused.check, refused.detail)
    return Result("OK")
