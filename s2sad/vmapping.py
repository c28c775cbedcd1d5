"""s2sad.vmap: a batched version of f, as generated source.

Design: the batched function is a generated Python function (source in `linecache`, so
`inspect.getsource` shows it) that calls f once per example and stacks the results:

    def loss_vmap(params, X, Y):
        n = vmap_size(X, 0, Y, 0)
        outs = []
        for i in range(n):
            outs.append(loss(params, vmap_take(X, i, 0), vmap_take(Y, i, 0)))
        return vmap_stack(outs, 0)

A per-example loop is right whatever f does (control flow on batched values included: each
example takes its own branch, runs its own number of loop trips), and f may be any callable:
another transform's result (`vmap(grad(loss), in_axes=(None, 0, 0))` for per-example gradients)
as well as a user's function. Its cost is B calls of f; docs/api.md states it. `in_axes` and
`out_axes` follow JAX: an int (the batch axis of every argument / output), None for an argument
that is not batched (passed whole to every example), or a tuple with one entry per positional
argument; a container argument or output is batched leaf by leaf. Keyword arguments are not
taken (pass them positionally, with None in in_axes), nor is out_axes=None.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import linecache
from collections.abc import Callable
from typing import Any

import numpy as np

from . import driver, registry, runtime, runtime_vmap, vectorize
from .errors import S2SADError

_COUNTER = itertools.count()


def vmap(f: Callable[..., Any], in_axes: Any = 0, out_axes: int = 0) -> Callable[..., Any]:
    """The batched version of f: f applied to each example along in_axes, results stacked along out_axes.

    When the number of positional arguments is known (in_axes a tuple, or f's signature), the result
    is the generated function itself (so grad(vmap(f)) differentiates it); otherwise a wrapper makes one
    per number of arguments on the first call."""
    if not callable(f):
        raise S2SADError(f"vmap needs a function, not {type(f).__name__}", construct="vmap")
    if out_axes is None or isinstance(out_axes, bool) or not isinstance(out_axes, int):
        raise S2SADError(f"vmap: out_axes must be an int (the axis of every output's batch), not {out_axes!r}",
                         construct="vmap")
    count = len(in_axes) if isinstance(in_axes, (tuple, list)) else _positional_count(f)
    if count is not None:
        return _batched(f, _axes_per_argument(in_axes, count), out_axes)
    generated = {}

    @functools.wraps(f)
    def batched(*args):
        axes = _axes_per_argument(in_axes, len(args))
        fn = generated.get(axes)
        if fn is None:
            fn = generated[axes] = _batched(f, axes, out_axes)
        return fn(*args)

    return batched


def _batched(f, axes, out_axes):
    """The vectorized function where f allows it (see below), else the per-example loop."""
    loop = generate(f, axes, out_axes)
    if out_axes != 0:
        return loop
    gradient_of = getattr(f, "__s2sad_grad__", None)
    if gradient_of is not None and all(a in (0, None) for a in axes):
        return per_example_gradients(*gradient_of, axes, loop)
    return vectorized(f, axes, loop) or loop


def _positional_count(f):
    """How many positional parameters f has, or None when it takes *args or has no signature to read."""
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_POSITIONAL or p.default is not p.empty for p in params):
        return None  # the arguments given decide: one generated function per count
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty)


def batch_size(*pairs):
    """The batch size of the (argument, axis) pairs, which must agree (generated code calls it)."""
    try:
        return runtime_vmap.size(*pairs)
    except runtime.Refusal as exc:
        raise S2SADError(str(exc), construct=exc.construct) from None


registry.nondiff(batch_size)


def _check_axis(axis, what):
    if axis is not None and (isinstance(axis, bool) or not isinstance(axis, int)):
        raise S2SADError(f"vmap: {what} must be an int or None (or a tuple of them, for in_axes), not {axis!r}",
                         construct="vmap")


def _axes_per_argument(in_axes, count):
    """One axis (or None) per positional argument."""
    if isinstance(in_axes, (tuple, list)):
        if len(in_axes) != count:
            raise S2SADError(f"vmap: in_axes has {len(in_axes)} entries but the function got {count} positional "
                             "arguments", construct="vmap")
        axes = tuple(in_axes)
    else:
        axes = (in_axes,) * count
    for axis in axes:
        _check_axis(axis, "in_axes")
    if all(axis is None for axis in axes):
        raise S2SADError("vmap: in_axes must batch at least one argument (every entry is None)", construct="vmap")
    return axes


def _parameter_names(f, count):
    """f's own parameter names when they can stand for its positional arguments, else a0, a1, ..."""
    try:
        params = [p for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params[:count]]
    reserved = {"n", "i", "outs", "vmap_size", "vmap_take", "vmap_stack", "range", getattr(f, "__name__", ""),
                f"transformed_{getattr(f, '__name__', '')}"}
    if len(names) == count and len(set(names)) == count and not reserved & set(names):
        return names
    return [f"a{k}" for k in range(count)]


def generate(f, axes, out_axes):
    """The per-example loop for f with these in_axes, compiled from source registered in linecache."""
    name = getattr(f, "__name__", "f")
    name = name if name.isidentifier() and name not in ("n", "i", "outs", "range") else "f"
    callee = f"transformed_{name}" if hasattr(f, "__wrapped__") else name  # grad(z) is not z: say so
    params = _parameter_names(f, len(axes))
    sized = ", ".join(f"{p}, {a}" for p, a in zip(params, axes) if a is not None)
    args = ", ".join(p if a is None else f"vmap_take({p}, i, {a})" for p, a in zip(params, axes))
    shown = ", ".join(map(repr, axes))
    source = (f"def {name}_vmap({', '.join(params)}):\n"
              f"    # vmap of {callee}, in_axes=({shown}{',' if len(axes) == 1 else ''}), out_axes={out_axes!r}: "
              f"one call per example\n"
              f"    n = vmap_size({sized})\n"
              f"    outs = []\n"
              f"    for i in range(n):\n"
              f"        outs.append({callee}({args}))\n"
              f"    return vmap_stack(outs, {out_axes!r})\n")
    filename = f"<s2sad vmap {name} #{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {callee: f, "vmap_size": batch_size, "vmap_take": runtime_vmap.take,
                 "vmap_stack": runtime_vmap.stack}
    exec(compile(source, filename, "exec"), namespace)
    fn = namespace[f"{name}_vmap"]
    fn.__s2sad_source__ = source
    return fn


# -- the vectorized paths (vectorize.py) ------------------------------------------------------


def vectorized(f, axes, loop):
    """The batch-at-once version of f (falling back to `loop` for non-array arguments), or None."""
    if any(a not in (0, None) for a in axes) or not inspect.isfunction(f) or hasattr(f, "__wrapped__"):
        return None
    try:
        return vectorize.batched_entry(f, tuple(a is not None for a in axes), loop)
    except vectorize.NotVectorizable:
        return None


def per_example_gradients(func, wrt, axes, loop):
    """vmap(grad(func, wrt)) as one gradient of batched code, when func's statements batch.

    The example's gradient with respect to a shared argument p is that of the sum over examples
    of func(p_i, x_i) with respect to p_i, p_i a copy of p per example (examples do not interact,
    so each term depends on its own copy only). So the wrt arguments that in_axes leaves shared
    are replicated along a new batch axis (`np.broadcast_to`: no copy), func's batched version
    is summed over the batch, and reverse mode differentiates that once. The loop runs instead
    when an argument is not what this needs (arrays of floats) or func does not batch."""
    names = driver.wrt_names(func, wrt)
    params = list(inspect.signature(func).parameters)
    where = [params.index(n) for n in names]
    built = {}

    def batched(*args):
        if len(args) != len(axes) or not _gradient_arguments(args, axes, where):
            return loop(*args)
        key = tuple((repr(vectorize.state_of(a, True)), tuple(map(np.shape, runtime_vmap.leaves(a)))) for a in args)
        n = batch_size(*[x for a, axis in zip(args, axes) if axis is not None for x in (a, axis)])
        copies = [runtime_vmap.replicate(a, n) if k in where and axes[k] is None else a for k, a in enumerate(args)]
        if key not in built:
            if len(built) > 64:  # many shapes: keep the table small
                built.clear()
            built[key] = _batch_gradient(func, wrt, copies, axes, where, n)
        made = built[key]
        return loop(*args) if made is None else made(*copies)

    batched.__wrapped__ = loop
    batched.__s2sad_batched__ = built  # argument structure and shapes -> the gradient made (None: the loop)
    batched.__s2sad_owner__ = batched
    batched.__s2sad_generated__ = lambda: loop  # differentiated again, it is the loop (the same values)
    return batched


def _gradient_arguments(args, axes, where):
    """Whether the batched arguments are arrays of numbers and the wrt ones hold floats only."""
    batched = [leaf for a, axis in zip(args, axes) if axis is not None for leaf in runtime_vmap.leaves(a)]
    if not runtime_vmap.all_arrays(*batched):
        return False
    return all(runtime_vmap.all_floats(args[k]) for k in where)


def _batch_gradient(func, wrt, args, axes, where, n):
    """grad of the batch's total loss, func's batched version summed; None if func does not batch
    or its output is not one number per example (grad refuses that: the loop says so)."""
    from .api import grad

    states = tuple(vectorize.state_of(a, axis is not None or k in where) for k, (a, axis) in
                   enumerate(zip(args, axes)))
    try:
        function, result = vectorize.batched_function(func, states)
    except vectorize.NotVectorizable:
        return None
    if result is not True or np.shape(function(*args)) != (n,):
        return None
    total = _total(function, len(args))
    return grad(total, wrt=tuple(where) if not isinstance(wrt, (int, str)) else where[0])


def _total(function, count):
    """def total(a0, ..., ak): return np.sum(batched(a0, ..., ak)), compiled from registered source."""
    params = ", ".join(f"a{k}" for k in range(count))
    source = f"def vmap_total({params}):\n    return vmap_sum(vmap_batched({params}))\n"
    filename = f"<s2sad vmap total #{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"vmap_sum": np.sum, "vmap_batched": function}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["vmap_total"]
