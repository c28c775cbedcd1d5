"""s2sad.jet: Taylor mode at the face, in JAX's `jax.experimental.jet` convention.

The caller gives, per primal x, the list [x1, ..., xK] of the derivatives of a curve t -> x(t)
at t = 0 (x_k = d^k x / dt^k; JAX's *factorial-scaled* coefficients), and gets the same for
f(x(t)). The generated code (taylor.py) works on normalized Taylor coefficients x_k / k!, so this
wrapper divides by k! on the way in and multiplies on the way out; a container output gets a
series per item (a tuple of lists for a tuple output), as JAX returns it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import cache, complex_io, driver, runtime
from .api import _bind, _is_float
from .callables import entry
from .errors import S2SADError


def jet(f: Callable[..., Any], primals: Sequence[Any], series: Sequence[Any]) -> tuple[Any, Any]:
    """(f(*primals), the series of f's output): its K derivatives along the curve the series give."""
    fast = _floats_only(f, primals, series)
    if fast is not None:
        return fast
    func = entry(f)
    primals, series = tuple(primals), tuple(series)
    where = (func.__code__.co_filename, func.__code__.co_firstlineno)
    if len(primals) != len(series):
        raise S2SADError(f"jet got {len(primals)} primals but {len(series)} series", *where, "jet")
    order = _order(series, where)
    code = func.__code__
    if len(primals) == code.co_argcount and not code.co_kwonlyargcount and not code.co_flags & 0x0C:
        values = dict(zip(code.co_varnames, primals))  # every parameter given: no binding to do
    else:
        values = _bind(func, primals, {})
    complex_io.refuse_complex(func, values, "jet")
    names, normalized = [], []
    for name, x, terms in zip(values, primals, series):
        if _is_float(x):
            names.append(name)
            normalized.append(_normalized(x, terms, order, name, where))
        elif terms is not None and any(np.any(np.asarray(t) != 0) for t in terms):
            raise S2SADError(f"jet: {name!r} is not a float, so its series must be None or zeros", *where, "jet")
    compiled = driver.derivative(func, f"jet:{order}", tuple(names))
    _remember_floats(f, func, order, primals, compiled)
    out, out_series = compiled.function(*values.values(), *normalized)
    return out, _derivatives(out, out_series)


# -- every primal a float: the common case of an ODE's state, with less to check per call ----------

_FLOAT_JETS = {}  # (f, K, number of primals) -> (cache epoch, code, generated jet, its dependencies)
_SCALES = {}      # K -> ([1/1!, ..., 1/K!], [1!, ..., K!])


def _floats_only(f, primals, series):
    """jet(f, primals, series) when every primal is a float and every series K floats (or None) and
    f's generated jet was run before with these; else None (the general path checks and compiles)."""
    if type(primals) is not tuple or type(series) not in (tuple, list) or len(primals) != len(series):
        return None
    order = None
    for x, terms in zip(primals, series):
        if type(x) is not float or type(terms) not in (list, tuple) or order not in (None, len(terms)):
            return None
        order = len(terms)
    hit = _FLOAT_JETS.get((f, order, len(primals)))
    if hit is None or hit[0] != cache.epoch or hit[1] is not getattr(f, "__code__", None) \
            or (hit[3] and not driver.current(hit[3])):
        return None
    inverse, factorial = _scales(order)
    try:
        normalized = [[t * c for t, c in zip(map(float, terms), inverse)] for terms in series]
    except (TypeError, ValueError):
        return None
    out, coefficients = hit[2](*primals, *normalized)
    return out, _derivatives(out, coefficients)


def _remember_floats(f, func, order, primals, compiled):
    """Keep the generated jet for _floats_only when f is a plain function called with floats only."""
    code = func.__code__
    plain = not code.co_kwonlyargcount and not code.co_flags & 0x0C  # no keyword-only parameters, *args, **kwargs
    if f is func and plain and all(type(x) is float for x in primals) and len(primals) == code.co_argcount:
        if len(_FLOAT_JETS) > 256:
            _FLOAT_JETS.clear()
        _FLOAT_JETS[(f, order, len(primals))] = (cache.epoch, func.__code__, compiled.function,
                                                 tuple(compiled.dependencies))


def _scales(order):
    if order not in _SCALES:
        _SCALES[order] = ([1.0 / math.factorial(k) for k in range(1, order + 1)],
                          [float(math.factorial(k)) for k in range(1, order + 1)])
    return _SCALES[order]


def _order(series, where):
    """K, the same for every primal's series."""
    orders = {len(terms) for terms in series if terms is not None}
    if len(orders) != 1 or 0 in orders:
        raise S2SADError("jet: every primal's series must be a list of the same length K >= 1 "
                         f"(got lengths {sorted(orders)})", *where, "jet")
    return orders.pop()


def _normalized(x, terms, order, name, where):
    """[x1 / 1!, ..., xK / K!] with each term shaped like x (zeros for a missing series)."""
    if terms is None:
        return [runtime.zeros_like(x)] * order
    if type(x) is float:  # the common scalar case, quickly
        try:
            return [float(t) / math.factorial(k) for k, t in enumerate(terms, 1)]
        except TypeError:
            pass
    out = []
    for k, term in enumerate(terms, 1):
        if np.shape(term) != np.shape(x) and not isinstance(x, (tuple, list, dict)):
            raise S2SADError(f"jet: term {k} of the series of {name!r} has shape {np.shape(term)}, but {name!r} "
                             f"has shape {np.shape(x)}", *where, "jet")
        out.append(_scale(term, 1.0 / math.factorial(k), x))
    return out


def _scale(term, factor, like):
    """term * factor, item by item in a container, with like's type (a float stays a float)."""
    if isinstance(term, dict):
        return {k: _scale(v, factor, like[k]) for k, v in term.items()}
    if isinstance(term, (tuple, list)):
        return type(term)(_scale(v, factor, w) for v, w in zip(term, like))
    if isinstance(like, float) and not isinstance(like, np.floating):
        return float(term) * factor
    return np.asarray(term, dtype=np.result_type(like, np.float64) if np.ndim(like) else None) * factor \
        if isinstance(like, np.ndarray) else term * factor


def _derivatives(out, coefficients):
    """The output's series in JAX's layout: a list of K derivatives per output (k! times each coefficient)."""
    if type(out) is tuple and all(type(o) is float for o in out):
        factorial = _scales(len(coefficients))[1]
        return tuple([float(c) * k for c, k in zip(column, factorial)] for column in zip(*coefficients))
    if isinstance(out, (tuple, list)):
        return runtime.rebuild(out, [_derivatives(o, [runtime.part(c, i) for c in coefficients])
                                     for i, o in enumerate(out)])
    if isinstance(out, dict):
        return {key: _derivatives(o, [runtime.part(c, key) for c in coefficients]) for key, o in out.items()}
    if type(out) is float:
        return [float(c) * k for c, k in zip(coefficients, _scales(len(coefficients))[1])]
    terms = []
    for k, c in enumerate(coefficients, 1):
        term = c * math.factorial(k)
        if isinstance(out, np.ndarray) and np.shape(term) != out.shape:
            term = np.broadcast_to(term, out.shape).astype(np.result_type(out.dtype, np.float64))
        elif isinstance(out, float) and not isinstance(out, np.floating) and np.ndim(term) == 0:
            term = float(term)
        terms.append(term)
    return terms
