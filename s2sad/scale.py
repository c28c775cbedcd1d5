"""grad and value_and_grad on the arguments' own array library: `backend="array_api"`.

The derivative is generated once for NumPy stand-ins of the arguments (arrays of the same dtype
and shape: the kinds that specialize it), then rebound to the library the arguments come from
(namespaces.py) and called on them. So the same readable source runs on NumPy, Dask (lazily:
the gradient is a Dask array, computed when the caller asks, in parallel on a cluster), CuPy and
JAX (also under `jax.jit`). NumPy arguments take the ordinary NumPy path, unchanged.

What a library cannot run is refused with an S2SADError naming the backend and the generated
line (never a silently different answer):
* Dask: any compute forced inside the derivative (an `if`, `while`, `float(...)` or `bool(...)`
  on a lazy value) — the derivative runs under a scheduler that refuses to compute;
* JAX: an in-place write (`x[i] = v`, `np.add.at`) on a JAX array, which is immutable.
"""

import contextlib
import functools
import inspect
import linecache
import re
import traceback

import numpy as np

from . import api, driver, namespaces, shapes
from .callables import entry
from .errors import S2SADError


def grad_wrapper(f, wrt, with_value):
    """grad(f, wrt, backend="array_api") (with_value: value_and_grad)."""
    func = entry(f)
    names = driver.wrt_names(func, wrt)
    code = func.__code__
    if code.co_kwonlyargcount or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        raise S2SADError(f"backend='array_api' needs {func.__name__}'s parameters to be positional",
                         code.co_filename, code.co_firstlineno, "backend")
    every = list(inspect.signature(func).parameters)
    where = tuple(every.index(n) for n in names)
    single = not isinstance(wrt, (tuple, list))
    plain = (api.value_and_grad if with_value else api.grad)(f, wrt)

    def wrapper(*args, **kwargs):
        values = tuple(api._bind(func, args, kwargs).values()) if kwargs or len(args) != code.co_argcount else args
        backend = namespaces.backend_of(values)
        if backend == "numpy":
            return plain(*values)
        stand_ins = tuple(map(stand_in, values))
        api._check_float(func, names, dict(zip(every, stand_ins)))
        kinds = shapes.kinds_of(stand_ins)
        fn = namespaces.rebind(_derivative(func, names, kinds), backend)
        out, grads = run(fn, values, backend, func)
        _check_scalar(func, out)
        grads = (grads,) if len(where) == 1 else tuple(grads)
        grads = tuple(_like(g, values[i], backend) for g, i in zip(grads, where))
        grads = grads[0] if single else grads
        return (out, grads) if with_value else grads

    wrapper = functools.wraps(func)(wrapper)
    wrapper.__s2sad_backend__ = "array_api"
    return wrapper


def _derivative(func, names, kinds):
    """The reverse derivative (value and gradients) for arguments of these kinds, unoptimized: the
    optimizer writes scalar products as `a * b if a and b else ...`, a test on values that a lazy
    or traced array cannot answer without computing."""
    kinds = tuple(kinds) + (shapes.GRAD_SEED,)
    return driver.derivative(func, "reverse", names, with_value=True, optimized=False, kinds=kinds).function


def _check_scalar(func, out):
    """api's check that f returned a scalar (the seed 1.0 would sum a vector's gradients), on the
    output's shape alone: a lazy output is not computed."""
    if isinstance(out, (tuple, list)) or tuple(getattr(out, "shape", ())) != () \
            or "float" not in str(getattr(out, "dtype", type(out).__name__)):
        shape = type(out).__name__ if isinstance(out, (tuple, list)) else tuple(getattr(out, "shape", ()))
        raise S2SADError(f"grad needs {func.__name__} to return a scalar float, but it returned {shape}; use "
                         "s2sad.vjp or s2sad.jacobian", func.__code__.co_filename, func.__code__.co_firstlineno, "grad")


def stand_in(x):
    """A NumPy array of x's dtype and shape (no data copied) for another library's array x; x otherwise."""
    if type(x).__module__.split(".")[0] in ("numpy", "builtins") or not hasattr(x, "shape"):
        return x
    shape = tuple(x.shape)
    if any(not isinstance(d, int) for d in shape):
        raise S2SADError(f"an argument of unknown shape {shape} (a Dask array with unknown chunk sizes): "
                         "compute its chunks first (x.compute_chunk_sizes())", None, None, "backend")
    return np.broadcast_to(np.zeros((), dtype=np.dtype(str(x.dtype))), shape)  # no memory: one element, broadcast


def _like(g, x, backend):
    """The gradient g of argument x on x's library and dtype (a constant gradient may come back as 0.0)."""
    if isinstance(x, float) or namespaces.backend_of((g,)) == backend and g.shape == x.shape:
        return g
    return namespaces.namespace(backend).zeros(x.shape, dtype=x.dtype) + g


def run(fn, values, backend, func):
    """fn(*values) with the backend's refusals turned into S2SADErrors naming the generated line."""
    try:
        with _no_compute() if backend == "dask" else contextlib.nullcontext():
            return fn(*values)
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
