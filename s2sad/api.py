"""The public transforms: plain functions in, plain functions out (see shared API contract).

The helpers they share live in values.py (arguments in, results out) and gradcall.py (the
function grad returns); their names stay importable from here."""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Sequence
from typing import Any, Callable, Union

import numpy as np

from . import complex_io, driver, namespaces, pytrees, shapes
from .callables import entry
from .errors import S2SADError
from .gradcall import (  # noqa: F401
    _aux_wrapper,
    _forward_for_grad,
    _generated,
    _grad_derivative,
    _grad_variant,
    _output_name,
    _valueless,
    _wrapper,
    grad_mode,
    output_at_failure,
)
from .values import (  # noqa: F401
    _bind,
    _check_float,
    _check_nested_records,
    _is_float,
    _kinds,
    _like,
    _scalar_out,
    _shaped,
    _single,
    _tangent_like,
    _types,
    aux_pair,
    check_like,
)

Wrt = Union[int, str, tuple[Union[int, str], ...]]  # an argument position, a parameter name, or a tuple of them
Function = Callable[..., Any]


# -- transforms ----------------------------------------------------------------------


_EVERY_LOOP = {}


def every_loop_checkpointed(f: Function, snapshots: int | None) -> Function:
    """f as a function of its own (same code and environment, a code object of its own so that its
    derivatives are cached apart) whose every `for` loop over a range and every `while` loop reverse
    mode differentiates with at most `snapshots` saved states (loops.py). None: f itself."""
    if snapshots is None:
        return f
    if isinstance(snapshots, bool) or not isinstance(snapshots, int) or snapshots < 1:
        code = getattr(f, "__code__", None)
        raise S2SADError(f"checkpoint={snapshots!r}: the number of saved loop states must be an int >= 1",
                         code and code.co_filename, code and code.co_firstlineno, "checkpoint")
    method, obj = _method(f)
    func = method if obj is not None else f
    if not inspect.isfunction(func):
        func = entry(func)
    if not inspect.isfunction(func):
        raise S2SADError(f"checkpoint= needs a Python function, not {f!r}", construct="checkpoint")
    made = _EVERY_LOOP.get((func, snapshots))
    if made is None:
        made = types.FunctionType(func.__code__.replace(), func.__globals__, func.__name__, func.__defaults__,
                                  func.__closure__)
        made.__kwdefaults__ = func.__kwdefaults__
        made.__qualname__, made.__module__, made.__doc__ = func.__qualname__, func.__module__, func.__doc__
        made.__s2sad_every_loop__ = snapshots
        _EVERY_LOOP[func, snapshots] = made
    return types.MethodType(made, obj) if obj is not None else made


def value_and_grad(f: Function, wrt: Wrt = 0, has_aux: bool = False, checkpoint: int | None = None,
                   backend: str = "numpy") -> Function:
    """A function returning (f(...), gradient of f with respect to wrt).

    With has_aux, f returns (value, aux) and the function returns ((value, aux), gradient).
    With checkpoint=K, every loop of f keeps at most K states (see `every_loop_checkpointed`).
    With backend="numba", the derivative is compiled by numba (backend_numba.py)."""
    f = every_loop_checkpointed(f, checkpoint)
    if backend != "numpy":
        return _compiled(f, wrt, has_aux, backend, True)
    func, obj = _method(f)
    make = _aux_wrapper if has_aux else _wrapper
    if obj is not None:
        return functools.partial(make(func, _after_self(wrt), True), obj)
    return make(f, wrt, True)


def grad(f: Function, wrt: Wrt = 0, has_aux: bool = False, checkpoint: int | None = None,
         backend: str = "numpy") -> Function:
    """The gradient of scalar-valued f with respect to wrt.

    With has_aux, f returns (value, aux) and the function returns (gradient, aux).
    With checkpoint=K, every loop of f keeps at most K states (see `every_loop_checkpointed`).
    With backend="numba", the derivative is compiled by numba (backend_numba.py)."""
    f = every_loop_checkpointed(f, checkpoint)
    if backend != "numpy":
        return _compiled(f, wrt, has_aux, backend, False)
    func, obj = _method(f)
    make = _aux_wrapper if has_aux else _wrapper
    if obj is not None:
        return functools.partial(make(func, _after_self(wrt), False), obj)
    return make(f, wrt, False)


def _compiled(f, wrt, has_aux, backend, with_value):
    """grad / value_and_grad on another backend: "numba" (the same generated derivative, compiled) or
    "array_api" (the arguments' own array library: Dask, CuPy, JAX; scale.py)."""
    from . import backend_numba

    if backend == "array_api":
        from . import scale

        return scale.grad_wrapper(f, wrt, with_value, has_aux)

    backend_numba.check_backend(backend)
    func, obj = _method(f)
    if has_aux:
        code = getattr(entry(func), "__code__", None)
        raise S2SADError(f"has_aux=True is not run by backend={backend!r}; use backend='numpy'",
                         code and code.co_filename, code and code.co_firstlineno, "backend")
    if obj is not None:
        return functools.partial(backend_numba.grad_wrapper(func, _after_self(wrt), with_value), obj)
    return backend_numba.grad_wrapper(f, wrt, with_value)


def _method(f):
    """(plain function, its object) for a method bound to a user's object (`model.loss`), else (f, None).

    The object is passed as the first argument and never differentiated (its attributes are
    constants), so `grad(model.loss)(x)` works like `grad(Model.loss, wrt=1)(model, x)`."""
    if inspect.ismethod(f) and inspect.isfunction(f.__func__) and not hasattr(f.__func__, "__s2sad_wrapped__"):
        return f.__func__, f.__self__
    return f, None


def _after_self(wrt):
    """wrt counted among the arguments after self: positions move by one, names stay."""
    if isinstance(wrt, (tuple, list)):
        return type(wrt)(_after_self(w) for w in wrt)
    return wrt + 1 if type(wrt) is int and wrt >= 0 else wrt


def jvp(f: Function, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """(f(*primals), the directional derivative along tangents), in one forward pass."""
    method, obj = _method(f)
    if obj is not None:  # the object is a constant: a record whose tangent is None is not differentiated
        return jvp(method, (obj, *primals), (None, *tangents))
    func = entry(f)
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise S2SADError(f"jvp got {len(primals)} primals but {len(tangents)} tangents", construct="jvp")
    backend = namespaces.foreign(primals)
    if backend is not None:  # Dask, JAX or CuPy arrays: scale.py
        from . import scale

        return scale.jvp_on(func, primals, tangents, backend)
    values = _bind(func, primals, {})
    params = list(values)
    names, dots = [], []
    for name, x, t in zip(params, primals, tangents):
        if _is_float(x) and not (t is None and pytrees.is_record(x)):
            if t is not None:
                check_like(func, repr(name), x, t, "jvp")
                complex_io.check_tangent(func, name, x, t)
            _check_nested_records(func, name, x)
            names.append(name)
            dots.append(_like(0.0 if t is None else t, x, 0.0))
        elif t is not None and np.any(np.asarray(t) != 0):
            raise S2SADError(f"jvp: {name!r} is not a float, so its tangent must be None or 0", construct="jvp")
    compiled = complex_io.derivative(func, values, "forward", tuple(names), "jvp", receiver=_types(values))
    out, out_dot = compiled.function(*values.values(), *dots)
    return out, _tangent_like(out_dot, out)


def vjp(f: Function, *primals: Any, has_aux: bool = False, checkpoint: int | None = None) -> tuple[Any, ...]:
    """(f(*primals), pullback) with pullback(cotangent) giving one cotangent per primal.

    With has_aux, f returns (out, aux): the result is (out, pullback, aux), the cotangent is out's.
    With checkpoint=K, every loop of f keeps at most K states (see `every_loop_checkpointed`)."""
    f = every_loop_checkpointed(f, checkpoint)
    method, obj = _method(f)
    if obj is not None:
        return _vjp(method, (obj, *primals), has_aux, constant_self=True)
    return _vjp(f, primals, has_aux)


def _vjp(f, primals, has_aux, constant_self=False):
    """vjp of f; with constant_self, f is a method whose first argument (its object) is a constant
    and gets no cotangent."""
    func = entry(f)
    backend = namespaces.foreign(primals)
    if backend is not None:  # Dask, JAX or CuPy arrays: scale.py
        from . import scale

        return scale.vjp_on(func, tuple(primals), has_aux, constant_self, backend)
    values = _bind(func, primals, {})
    params = list(values)[: len(primals)]
    names = tuple(n for n in params[constant_self:] if _is_float(values[n]))
    for name in names:
        _check_nested_records(func, name, values[name])
    out = func(*primals)
    if has_aux:
        out, aux = aux_pair(func, out)

    def pullback(cotangent):
        check_like(func, "the output", out, cotangent, "vjp", "cotangent")
        complex_io.check_tangent(func, "the output", out, cotangent, "vjp", "cotangent")
        seed = (cotangent, 0.0) if has_aux else cotangent
        kinds = None if has_aux else _kinds(func, values.values(), shapes.kind_of(cotangent))
        compiled = complex_io.derivative(func, values, "reverse", names, "vjp", kinds=kinds, receiver=_types(values))
        grads = compiled.function(*values.values(), seed) if names else ()
        grads = (grads,) if len(names) == 1 else grads
        by_name = dict(zip(names, grads))
        return tuple(_like(by_name[n], values[n]) if n in by_name else None for n in params[constant_self:])

    return (out, pullback, aux) if has_aux else (out, pullback)


def source(f: Function, mode: str = "reverse", wrt: Wrt | None = None, stage: str = "derivative",
           optimize: bool = True, *, args: Sequence[Any] | None = None, order: int | None = None) -> str:
    """The output of one stage of the pipeline, as source text (or a table, for "analyses").

    stage is one of `driver.STAGES`: "parse" (the function as read), "anf" (normalized),
    "analyses" (reverse mode's tables), "unoptimized" or "optimized" (the derivative before or
    after the optimizer), "derivative" (the optimized one unless optimize=False). For the
    derivative, mode is "forward", "reverse" or "both". Without `args`, the general derivative;
    with example arguments `args`, in place of the reverse one, the derivative grad runs for
    arguments of their kinds (shapes.py), identity wrappers left out: forward mode when they
    differentiate one float (see `grad_mode`), else reverse, as its first line says. Mode "jet"
    with `order=K` is Taylor mode (s2sad.jet) to order K, with a series for every parameter unless
    `wrt` names them (wrt is 0 for the other modes).
    """
    if wrt is None and mode != "jet":
        wrt = 0
    method, obj = _method(f)
    if obj is not None:  # a bound method: its object is a constant, wrt counts the arguments after it
        f, wrt = method, _after_self(wrt)
    func = entry(f)
    if mode == "jet":
        return _jet_source(func, wrt, stage, order)
    if stage not in driver.STAGES:
        raise S2SADError(f"stage must be one of {', '.join(map(repr, driver.STAGES))}, not {stage!r}",
                         construct="stage")
    if stage == "parse":
        return driver.parse_source(func)
    if stage == "anf":
        return driver.anf_source(func)
    names = driver.wrt_names(func, wrt)
    values = None if args is None else _bind(func, tuple(args), {})
    kinds = None if values is None else _kinds(func, values.values(), shapes.GRAD_SEED)
    if stage == "analyses":
        return driver.analyses(func, names, kinds).dump()
    if stage == "reads":
        return str(driver.reads_table(func, names, kinds))
    if stage == "records":
        return str(driver.records_table(func, names, kinds))
    optimize = {"unoptimized": False, "optimized": True}.get(stage, optimize)
    modes = ("forward", "reverse") if mode == "both" else (mode,)
    compiled, heads = [], []
    for m in modes:
        if m == "reverse" and values is not None:  # what grad(f)(*args) runs, the very function
            compiled.append(_what_grad_runs(func, names, values, kinds, optimize))
            heads.append(_header(func, compiled[-1].mode, names, values, None if kinds is None else kinds[:-1],
                                 optimize))
        else:
            compiled.append(driver.derivative(func, m, names, optimized=optimize))
            heads.append(_header(func, m, names, None, None, optimize))
    return "\n\n".join([h + c.source for h, c in zip(heads, compiled)] + driver.callee_sources(compiled))


def _what_grad_runs(func, names, values, kinds, optimize):
    """The compiled derivative grad(func) runs for arguments `values` of these kinds (the seed's last)."""
    if complex_io.any_complex(list(values.values())):
        return complex_io.derivative(func, values, "reverse", names, "grad", with_value=True, optimized=optimize)
    by_kind = None if kinds is None else kinds[:-1]
    chosen = grad_mode(func, names, by_kind)
    where = [list(values).index(n) for n in names]
    kept = by_kind is not None and all(by_kind[i] is not None and by_kind[i][0] == "f" for i in where)
    valued = not kept or not _valueless(func, names, by_kind)
    if optimize:
        return _grad_variant(func, names, by_kind, valued)
    return driver.derivative(func, chosen, names, chosen == "forward" or valued, False, kinds=kinds)


def _jet_source(func, wrt, stage, order):
    """The generated Taylor-mode code to order K and the jets of the user functions it calls."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise S2SADError(f"source(mode='jet') needs order=K, a whole number >= 1, not {order!r}", construct="order")
    if stage not in ("derivative", "unoptimized", "optimized"):
        return source(func, "forward", 0 if wrt is None else wrt, stage)
    names = tuple(inspect.signature(func).parameters) if wrt is None else driver.wrt_names(func, wrt)
    compiled = driver.derivative(func, f"jet:{order}", names)
    head = (f"# jet (Taylor mode) to order {order} wrt {', '.join(names) or 'nothing'}: each x_ser is the list "
            f"[x1, ..., x{order}] of normalized Taylor coefficients (k-th derivative / k!)\n")
    return "\n\n".join([head + compiled.source] + driver.callee_sources([compiled]))


def _header(func, mode, names, values, kinds, optimized):
    """The comment above a printed derivative: which variant it is, and for which arguments."""
    what = f"# {mode} mode wrt {', '.join(names) or 'nothing'}" + ("" if optimized else ", unoptimized")
    if values is not None and complex_io.any_complex(list(values.values())):
        return f"{what}, for complex arguments (what grad runs for them)\n"
    if kinds is not None:
        shown = ", ".join(f"{n}: {shapes.show(k)}" for n, k in zip(values, kinds))
        why = ": one float differentiated, one forward pass; called with the tangent 1.0" if mode == "forward" else ""
        return f"{what}, specialized to {shown} (what grad runs for such arguments{why})\n"
    if values is not None:
        return f"{what}, general (what grad runs: {func.__name__} has keyword-only or variable parameters)\n"
    if mode == "reverse":
        return f"{what}, general (grad runs a variant specialized to its arguments: source(f, args=...))\n"
    return f"{what}, general\n"


# -- the decorator ------------------------------------------------------------------


class Differentiable:
    """A function with its derivatives one attribute away; calling it calls the function."""

    def __init__(self, func, wrt=0, mode="reverse", checkpoint=None):
        functools.update_wrapper(self, func)
        self.__s2sad_wrapped__ = func
        self.wrt = wrt
        self.mode = mode
        self.checkpoint = checkpoint

    def __call__(self, *args, **kwargs):
        return self.__s2sad_wrapped__(*args, **kwargs)

    def __get__(self, obj, objtype=None):
        """On an object, `model.loss` is the method bound to it with its derivatives (`model.loss.grad(x)`):
        the object is a constant, wrt counts the arguments after it."""
        if obj is None:
            return self
        return Differentiable(types.MethodType(self.__s2sad_wrapped__, obj), self.wrt, self.mode)

    def grad(self, *args, **kwargs):
        return grad(self.__s2sad_wrapped__, self.wrt, checkpoint=self.checkpoint)(*args, **kwargs)

    def value_and_grad(self, *args, **kwargs):
        return value_and_grad(self.__s2sad_wrapped__, self.wrt, checkpoint=self.checkpoint)(*args, **kwargs)

    def jvp(self, primals, tangents):
        return jvp(self.__s2sad_wrapped__, primals, tangents)

    def vjp(self, *primals):
        return vjp(self.__s2sad_wrapped__, *primals, checkpoint=self.checkpoint)

    def source(self, mode=None, stage="derivative", optimize=True):
        return source(self.__s2sad_wrapped__, mode or self.mode, self.wrt, stage, optimize)


def differentiate(func: Function | None = None, *, wrt: Wrt = 0, mode: str = "reverse",
                  checkpoint: int | None = None) -> Any:
    """`@differentiate` or `@differentiate(wrt=..., mode=..., checkpoint=K)`."""
    if func is None:
        return lambda f: Differentiable(f, wrt, mode, checkpoint)
    return Differentiable(func, wrt, mode, checkpoint)
