"""grad, value_and_grad, vjp and jvp on the arguments' own array library.

Chosen by the arguments: `grad(f)(dask_array)` runs here without `backend="array_api"` (gradcall.py
and api.py send a call here when an argument is a Dask, JAX or CuPy array; NumPy arguments never
come, and pay nothing). The derivative is generated once for NumPy stand-ins of the arguments
(arrays of the same dtype and shape: the kinds that specialize it), then rebound to the library
the arguments come from (namespaces.py) and called on them. So the same readable source runs on
NumPy, Dask (lazily: the gradient is a Dask array, computed when the caller asks, in parallel on a
cluster), CuPy and JAX (also under `jax.jit`).

What a library cannot run is refused with an S2SADError naming the backend and the generated
line (never a silently different answer):
* Dask: any compute forced inside the derivative (an `if`, `while`, `float(...)` or `bool(...)`
  on a lazy value) — the derivative runs under a scheduler that refuses to compute;
* JAX: an in-place write (`x[i] = v`, `np.add.at`) on a JAX array, which is immutable; a call
  that turns a JAX array into a NumPy one (namespaces.Converted), and, as the last check, a
  NumPy array among the results.
"""

import contextlib
import functools
import inspect
import linecache
import re
import traceback

import numpy as np

from . import api, driver, namespaces, pytrees, runtime, shapes
from .callables import entry
from .errors import S2SADError
from .values import _bind, _check_float, _is_float, aux_pair, check_like


def grad_wrapper(f, wrt, with_value, has_aux=False):
    """grad(f, wrt, backend="array_api") (with_value: value_and_grad): NumPy arguments take the
    ordinary path, others `grad_on`."""
    func = entry(f)
    names = driver.wrt_names(func, wrt)
    _check_positional(func)
    single = not isinstance(wrt, (tuple, list))
    plain = (api.value_and_grad if with_value else api.grad)(f, wrt, has_aux=has_aux)

    def wrapper(*args, **kwargs):
        values = tuple(_bind(func, args, kwargs).values()) if kwargs or len(args) != func.__code__.co_argcount \
            else args
        backend = namespaces.backend_of(values)
        if backend == "numpy":
            return plain(*values)
        return grad_on(func, names, single, with_value, has_aux, values, backend)

    wrapper = functools.wraps(func)(wrapper)
    wrapper.__s2sad_backend__ = "array_api"
    return wrapper


def _check_positional(func):
    code = func.__code__
    if code.co_kwonlyargcount or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        raise S2SADError(f"derivatives on Dask, JAX or CuPy arrays need {func.__name__}'s parameters to be "
                         "positional", code.co_filename, code.co_firstlineno, "backend")


def grad_on(func, names, single, with_value, has_aux, values, backend):
    """grad (with_value: value_and_grad; has_aux: of f returning (value, aux)) of func at the
    positional argument values, on backend's arrays."""
    _check_positional(func)
    every = list(inspect.signature(func).parameters)
    where = tuple(every.index(n) for n in names)
    stand_ins = tuple(map(stand_in, values))
    _check_float(func, names, dict(zip(every, stand_ins)))
    receiver = _receiver(func, stand_ins)
    if has_aux:
        fn = namespaces.rebind(_derivative(func, names, None, receiver), backend)
        out, grads = run(fn, values + ((1.0, 0.0),), backend, func)
        value, aux = aux_pair(func, out)
    else:
        fn = namespaces.rebind(_derivative(func, names, shapes.kinds_of(stand_ins), receiver), backend)
        value, grads = run(fn, values, backend, func)
    _check_scalar(func, value)
    grads = (grads,) if len(where) == 1 else tuple(grads)
    kept(func, backend, (value,) + grads)
    grads = tuple(_like(g, values[i], backend) for g, i in zip(grads, where))
    grads = grads[0] if single else grads
    if has_aux:
        return ((value, aux), grads) if with_value else (grads, aux)
    return (value, grads) if with_value else grads


def vjp_on(func, primals, has_aux, constant_self, backend):
    """s2sad.vjp of func at primals on backend's arrays: (out, pullback[, aux]); the pullback runs
    the rebound reverse derivative with the cotangent as its seed, once per call."""
    _check_positional(func)
    values = tuple(_bind(func, primals, {}).values())
    stand_ins = tuple(map(stand_in, values))
    params = list(inspect.signature(func).parameters)[: len(values)]
    names = tuple(n for n, x in zip(params[constant_self:], stand_ins[constant_self:]) if _is_float(x))
    receiver = _receiver(func, stand_ins)
    forward = driver.derivative(func, "split", names, optimized=False, receiver=receiver)
    out, _ = run(namespaces.rebind(forward.function, backend), values, backend, func)
    if has_aux:
        out, aux = aux_pair(func, out)
    kept(func, backend, (out,))

    def pullback(cotangent):
        check_like(func, "the output", stand_in(out), stand_in(cotangent), "vjp", "cotangent")
        seed = (cotangent, 0.0) if has_aux else cotangent
        reverse = driver.derivative(func, "reverse", names, optimized=False, receiver=receiver)
        grads = run(namespaces.rebind(reverse.function, backend), values + (seed,), backend, func) if names else ()
        grads = (grads,) if len(names) == 1 else tuple(grads)
        kept(func, backend, grads)
        by_name = {n: _like(g, values[params.index(n)], backend) for n, g in zip(names, grads)}
        return tuple(by_name.get(n) for n in params[constant_self:])

    return (out, pullback, aux) if has_aux else (out, pullback)


def jvp_on(func, primals, tangents, backend):
    """s2sad.jvp of func on backend's arrays: (out, tangent of out) from the rebound forward derivative."""
    _check_positional(func)
    params = list(_bind(func, primals, {}))
    names, dots = [], []
    for name, x, t in zip(params, primals, tangents):
        shown = stand_in(x)
        if _is_float(shown) and not (t is None and pytrees.is_record(x)):  # a method's object: a constant
            if t is not None:
                check_like(func, repr(name), shown, stand_in(t), "jvp")
            names.append(name)
            dots.append(_like(0.0, x, backend) if t is None else t)
        elif t is not None:
            raise S2SADError(f"jvp: {name!r} is not a float, so its tangent must be None", construct="jvp")
    receiver = _receiver(func, tuple(map(stand_in, primals)))
    forward = driver.derivative(func, "forward", tuple(names), optimized=False, receiver=receiver)
    out, out_dot = run(namespaces.rebind(forward.function, backend), tuple(primals) + tuple(dots), backend, func)
    kept(func, backend, (out, out_dot))
    if np.ndim(out_dot) != len(tuple(getattr(out, "shape", ()))) and hasattr(out, "shape"):
        out_dot = _like(out_dot, out, backend)
    return out, out_dot


def kept(func, backend, results):
    """The last check against a silent conversion: on JAX, a NumPy array among the results means a
    NumPy function converted a JAX array somewhere no guard saw (namespaces.Converted)."""
    if backend == "jax" and any(isinstance(r, (np.ndarray, np.generic)) and np.ndim(r) > 0
                                for r in namespaces.leaves(results)):
        raise S2SADError(f"{func.__name__} cannot run on jax: a result came back as a NumPy array (a NumPy "
                         "function converted a JAX array silently); run it on NumPy arrays instead",
                         func.__code__.co_filename, func.__code__.co_firstlineno, "backend jax")


def _receiver(func, values):
    """The classes of the user's objects among the arguments (a method's object), for the driver: of the
    stand-ins, so that a Dask or JAX array is an array, not an object whose methods are library code."""
    return pytrees.object_types(list(inspect.signature(func).parameters)[: len(values)], list(values))


def _derivative(func, names, kinds, receiver=None):
    """The reverse derivative (value and gradients) for arguments of these kinds, unoptimized: the
    optimizer writes scalar products as `a * b if a and b else ...`, a test on values that a lazy
    or traced array cannot answer without computing."""
    kinds = None if kinds is None else tuple(kinds) + (shapes.GRAD_SEED,)
    return driver.derivative(func, "reverse", names, with_value=True, optimized=False, kinds=kinds,
                             receiver=receiver).function


def _check_scalar(func, out):
    """api's check that f returned a scalar (the seed 1.0 would sum a vector's gradients), on the
    output's shape alone: a lazy output is not computed."""
    if isinstance(out, (tuple, list)) or tuple(getattr(out, "shape", ())) != () \
            or "float" not in str(getattr(out, "dtype", type(out).__name__)):
        shape = type(out).__name__ if isinstance(out, (tuple, list)) else tuple(getattr(out, "shape", ()))
        raise S2SADError(f"grad needs {func.__name__} to return a scalar float, but it returned {shape}; use "
                         "s2sad.vjp or s2sad.jacobian", func.__code__.co_filename, func.__code__.co_firstlineno, "grad")


def stand_in(x):
    """A NumPy array of x's dtype and shape (no data copied) for another library's array x (also inside
    a dict, list or tuple); x otherwise."""
    if type(x) is dict:
        return {k: stand_in(v) for k, v in x.items()}
    if type(x) in (list, tuple):
        return type(x)(map(stand_in, x))
    if type(x).__module__.split(".")[0] in ("numpy", "builtins") or not hasattr(x, "shape"):
        return x
    shape = tuple(x.shape)
    if any(not isinstance(d, int) for d in shape):
        raise S2SADError(f"an argument of unknown shape {shape} (a Dask array with unknown chunk sizes): "
                         "compute its chunks first (x.compute_chunk_sizes())", None, None, "backend")
    return np.broadcast_to(np.zeros((), dtype=np.dtype(str(x.dtype))), shape)  # no memory: one element, broadcast


def _like(g, x, backend):
    """The gradient g of argument x on x's library and dtype (a constant gradient may come back as 0.0),
    for each item of a dict, list or tuple x."""
    if type(x) is dict:
        return {k: _like(runtime.part(g, k), v, backend) for k, v in x.items()}
    if type(x) in (list, tuple):
        return type(x)(_like(runtime.part(g, i), v, backend) for i, v in enumerate(x))
    if isinstance(x, float) or namespaces.backend_of((g,)) == backend and g.shape == x.shape:
        return g
    return namespaces.namespace(backend).zeros(tuple(x.shape), dtype=x.dtype) + g


def run(fn, values, backend, func):
    """fn(*values) with the backend's refusals turned into S2SADErrors naming the generated line."""
    try:
        with _no_compute() if backend == "dask" else contextlib.nullcontext():
            return fn(*values)
    except namespaces.Converted as exc:
        raise _refusal(exc, func, backend, f"{exc.callee} returned a NumPy array for a JAX array argument "
                       "(a NumPy function converted it silently)") from None
    except _Forced as exc:
        raise _refusal(exc, func, backend, "a branch, loop test or conversion on a lazy Dask value "
                       "would compute it inside the derivative") from None
    except TypeError as exc:
        if backend == "jax" and type(exc).__module__.startswith("jax") and "Tracer" in type(exc).__name__ \
                or "Concretization" in type(exc).__name__:
            raise _refusal(exc, func, backend, f"a branch, loop test or conversion needs a concrete "
                           f"value under jax.jit ({type(exc).__name__})") from None
        if backend == "jax" and ("immutable" in str(exc) or "does not support item assignment" in str(exc)):
            raise _refusal(exc, func, backend, "an in-place write on a JAX array (JAX arrays are "
                           "immutable)") from None
        raise


class _Forced(Exception):
    """Raised by the refusing scheduler: something inside the derivative asked Dask to compute."""


def _refuse(*args, **kwargs):
    raise _Forced()


@contextlib.contextmanager
def _no_compute():
    import dask

    with dask.config.set(scheduler=_refuse):
        yield


def _refusal(exc, func, backend, what):
    """S2SADError for what, naming the user's line (from the note the generated code adds to the
    exception, on Python 3.11+) and the innermost generated line of the traceback."""
    frames = [fr for fr in traceback.extract_tb(exc.__traceback__) if fr.filename.startswith("<s2sad")]
    filename, line = func.__code__.co_filename, func.__code__.co_firstlineno
    for note in getattr(exc, "__notes__", ()):
        found = re.search(r"differentiates (.+):(\d+) \(", note)
        if found:
            filename, line = found.group(1), int(found.group(2))
    where = ""
    if frames:
        where = f" (generated line: {linecache.getline(frames[-1].filename, frames[-1].lineno).strip()})"
    return S2SADError(f"{func.__name__} cannot run on {backend}: {what}{where}; run it on NumPy arrays instead",
                      filename, line, "backend " + backend)
