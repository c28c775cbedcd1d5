"""The public transforms: plain functions in, plain functions out (see shared API contract)."""

import functools
import inspect

import numpy as np

from . import driver
from .errors import S2SADError
from .parse import unwrap


# -- values in and out ---------------------------------------------------------------


def _is_float(x):
    if isinstance(x, bool):
        return False
    if isinstance(x, (float, complex, np.floating, np.complexfloating)):
        return True
    if isinstance(x, np.ndarray):
        return np.issubdtype(x.dtype, np.inexact)
    return False


def _like(g, x):
    """g given the type, shape and dtype of x (a gradient looks like its input)."""
    if g is None:
        g = 0.0
    if isinstance(x, float) and not isinstance(x, np.floating):
        return float(np.real(g)) if np.ndim(g) == 0 else float(np.sum(g))
    if isinstance(x, np.ndarray):
        g = np.asarray(g, dtype=x.dtype)
        return g if g.shape == x.shape else np.broadcast_to(g, x.shape).copy()
    if isinstance(x, (np.floating, np.complexfloating)):
        return type(x)(g)
    return g


def _bind(func, args, kwargs):
    """Every parameter's value, in order, defaults filled in."""
    try:
        bound = inspect.signature(func).bind(*args, **kwargs)
    except TypeError as exc:
        raise S2SADError(f"{func.__name__}: {exc}", func.__code__.co_filename, func.__code__.co_firstlineno, "call") from None
    bound.apply_defaults()
    return bound.arguments


def _check_float(func, names, values):
    for name in names:
        if not _is_float(values[name]):
            kind = type(values[name]).__name__
            if isinstance(values[name], np.ndarray):
                kind = f"array of {values[name].dtype}"
            raise S2SADError(
                f"cannot differentiate {func.__name__} with respect to {name!r}: it is {kind}, not float "
                f"(integers and booleans are never differentiated; pass {name}=float(...) to differentiate)",
                func.__code__.co_filename, func.__code__.co_firstlineno, "wrt")


def _single(wrt):
    return not isinstance(wrt, (tuple, list))


def _scalar_out(func, out):
    if np.ndim(out) != 0 or not (_is_float(out) or isinstance(out, (int, np.integer))):
        shape = np.shape(out) if not isinstance(out, (tuple, list, dict)) else type(out).__name__
        raise S2SADError(
            f"grad needs {func.__name__} to return a scalar, but it returned {shape}; use s2sad.vjp or s2sad.jacobian",
            func.__code__.co_filename, func.__code__.co_firstlineno, "grad")


# -- transforms ----------------------------------------------------------------------


def value_and_grad(f, wrt=0):
    """A function returning (f(...), gradient of f with respect to wrt)."""
    func = unwrap(f)
    names = driver.wrt_names(func, wrt)

    @functools.wraps(func)
    def value_and_grad_f(*args, **kwargs):
        values = _bind(func, args, kwargs)
        _check_float(func, names, values)
        compiled = driver.derivative(func, "reverse", names, with_value=True)
        try:
            out, grads = compiled.function(*values.values(), 1.0)
        except Exception:
            _scalar_out(func, func(*values.values()))  # a non-scalar output explains the failure
            raise
        _scalar_out(func, out)
        grads = (grads,) if len(names) == 1 else grads
        shaped = tuple(_like(g, values[n]) for g, n in zip(grads, names))
        return out, (shaped[0] if _single(wrt) else shaped)

    return value_and_grad_f


def grad(f, wrt=0):
    """The gradient of scalar-valued f with respect to wrt."""
    both = value_and_grad(f, wrt)

    @functools.wraps(unwrap(f))
    def grad_f(*args, **kwargs):
        return both(*args, **kwargs)[1]

    return grad_f


def jvp(f, primals, tangents):
    """(f(*primals), the directional derivative along tangents), in one forward pass."""
    func = unwrap(f)
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise S2SADError(f"jvp got {len(primals)} primals but {len(tangents)} tangents", construct="jvp")
    values = _bind(func, primals, {})
    params = list(values)
    names, dots = [], []
    for name, x, t in zip(params, primals, tangents):
        if _is_float(x):
            names.append(name)
            dots.append(_like(0.0 if t is None else t, x))
        elif t is not None and np.any(np.asarray(t) != 0):
            raise S2SADError(f"jvp: {name!r} is not a float, so its tangent must be None or 0", construct="jvp")
    compiled = driver.derivative(func, "forward", tuple(names))
    out, out_dot = compiled.function(*values.values(), *dots)
    return out, _tangent_like(out_dot, out)


def _tangent_like(t, out):
    if isinstance(out, tuple):
        t = t if isinstance(t, tuple) else (t,) * len(out)
        return tuple(_tangent_like(a, o) for a, o in zip(t, out))
    if isinstance(out, list):
        return [_tangent_like(a, o) for a, o in zip(t, out)]
    if isinstance(out, (int, np.integer)) and not isinstance(out, bool):
        return _like(t, float(out))
    return _like(t, out)


def vjp(f, *primals):
    """(f(*primals), pullback) with pullback(cotangent) giving one cotangent per primal."""
    func = unwrap(f)
    values = _bind(func, primals, {})
    params = list(values)[: len(primals)]
    names = tuple(n for n in params if _is_float(values[n]))
    out = func(*primals)

    def pullback(cotangent):
        compiled = driver.derivative(func, "reverse", names)
        grads = compiled.function(*values.values(), cotangent) if names else ()
        grads = (grads,) if len(names) == 1 else grads
        by_name = dict(zip(names, grads))
        return tuple(_like(by_name[n], values[n]) if n in by_name else None for n in params)

    return out, pullback


def source(f, mode="reverse", wrt=0, stage="derivative", optimize=True):
    """The generated source: the derivative (mode "forward", "reverse" or "both") or the ANF."""
    func = unwrap(f)
    if stage == "anf":
        return driver.anf_source(func)
    if stage != "derivative":
        raise S2SADError(f"stage must be 'anf' or 'derivative', not {stage!r}", construct="stage")
    names = driver.wrt_names(func, wrt)
    modes = ("forward", "reverse") if mode == "both" else (mode,)
    return "\n\n".join(driver.derivative(func, m, names, optimized=optimize).source for m in modes)


# -- the decorator ------------------------------------------------------------------


class Differentiable:
    """A function with its derivatives one attribute away; calling it calls the function."""

    def __init__(self, func, wrt=0, mode="reverse"):
        functools.update_wrapper(self, func)
        self.__s2sad_wrapped__ = func
        self.wrt = wrt
        self.mode = mode

    def __call__(self, *args, **kwargs):
        return self.__s2sad_wrapped__(*args, **kwargs)

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def grad(self, *args, **kwargs):
        return grad(self.__s2sad_wrapped__, self.wrt)(*args, **kwargs)

    def value_and_grad(self, *args, **kwargs):
        return value_and_grad(self.__s2sad_wrapped__, self.wrt)(*args, **kwargs)

    def jvp(self, primals, tangents):
        return jvp(self.__s2sad_wrapped__, primals, tangents)

    def vjp(self, *primals):
        return vjp(self.__s2sad_wrapped__, *primals)

    def source(self, mode=None, stage="derivative", optimize=True):
        return source(self.__s2sad_wrapped__, mode or self.mode, self.wrt, stage, optimize)


def differentiate(func=None, *, wrt=0, mode="reverse"):
    """`@differentiate` or `@differentiate(wrt=..., mode=...)`."""
    if func is None:
        return lambda f: Differentiable(f, wrt, mode)
    return Differentiable(func, wrt, mode)
