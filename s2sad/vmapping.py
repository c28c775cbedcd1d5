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

import copy
import functools
import inspect
import itertools
import linecache
import operator

import gast
import numpy as np

from . import build as b
from . import driver, emit, registry, runtime, runtime_vmap
from .build import is_marker as build_is_marker
from .errors import S2SADError
from .resolve import Resolver

_COUNTER = itertools.count()


def vmap(f, in_axes=0, out_axes=0):
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
    return (vectorized(f, axes, loop) if out_axes == 0 else None) or loop


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


# -- the vectorized path ----------------------------------------------------------------------
#
# For the common case the batch needs no loop: a function of straight-line code (no branch or
# loop, no call of a user function) whose steps on batched values are elementwise (NumPy ufuncs,
# arithmetic operators), full sums and means, or matrix products with one batched operand runs on
# the whole batch at once, written with the batch as the leading axis of every batched array.
# Anything else (or an argument that is not an array at run time) takes the loop.

_ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.neg, operator.pos}
_REDUCTIONS = {np.sum: "batch_sum", np.mean: "batch_mean"}


class _NotVectorizable(Exception):
    pass


def vectorized(f, axes, loop):
    """The batch-at-once version of f (falling back to `loop` for non-array arguments), or None."""
    if any(a not in (0, None) for a in axes) or not inspect.isfunction(f) or hasattr(f, "__wrapped__"):
        return None
    try:
        parsed, normalized = driver.front(f)
    except S2SADError:
        return None
    node = normalized.node
    params = [a.id for a in node.args.args]
    if len(params) != len(axes) or node.args.defaults:
        return None
    resolver = Resolver(parsed, driver._locals(normalized), normalized.helpers)
    helpers = dict(normalized.helpers)
    batched = {p for p, a in zip(params, axes) if a is not None}
    try:
        body = _vectorized_body(node.body, resolver, batched, helpers)
    except _NotVectorizable:
        return None
    helpers.update({"vmap_loop": loop, "vmap_all_arrays": runtime_vmap.all_arrays})
    arrays = b.call(b.name("vmap_all_arrays"), [b.name(p) for p in params if p in batched])
    guard = b.if_(gast.UnaryOp(op=gast.Not(), operand=arrays),
                  [b.ret(b.call(b.name("vmap_loop"), [b.name(p) for p in params]))])
    n = b.assign("vmap_n", b.call(b.name(_helper(helpers, runtime_vmap.size, "vmap_size")),
                                  [x for p in params if p in batched for x in (b.name(p), b.const(0))]))
    fn = b.function(f"{node.name}_vmap", params, [guard, n] + body)
    function, _ = emit.load(fn, helpers, parsed)
    return function


def _helper(helpers, obj, name):
    helpers[name] = obj
    return name


def _vectorized_body(stmts, resolver, batched, helpers):
    out = []
    for stmt in stmts:
        if build_is_marker(stmt):
            continue
        if isinstance(stmt, gast.Return):
            value = stmt.value
            if isinstance(value, gast.Name) and value.id in batched:
                out.append(stmt)
            elif isinstance(value, (gast.Name, gast.Constant)):
                size = b.name("vmap_n")
                out.append(b.ret(b.call(b.name(_helper(helpers, runtime_vmap.broadcast_batch, "vmap_broadcast")),
                                        [value, size])))
            else:
                raise _NotVectorizable
            continue
        if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
            raise _NotVectorizable
        out.append(_vectorized_assign(stmt, resolver, batched, helpers))
    return out


def _vectorized_assign(stmt, resolver, batched, helpers):
    target, value = stmt.targets[0].id, stmt.value
    site = resolver.site(value)
    operands = [a for a in site.operands() if isinstance(a, gast.Name) and a.id in batched]
    if not operands:
        batched.discard(target)  # rebound to a value of no example
        return stmt
    batched.add(target)
    if site.kind == "atom":
        return stmt
    if site.kind != "rule" or site.keywords:
        raise _NotVectorizable
    prim = site.prim
    if prim in _REDUCTIONS and len(site.args) == 1:
        return b.assign(target, b.call(b.name(_helper(helpers, getattr(runtime_vmap, _REDUCTIONS[prim]),
                                                      f"vmap_{_REDUCTIONS[prim]}")), [site.args[0]]))
    if prim in (operator.matmul, np.matmul):
        a, c = site.args
        if b.is_name(c) and c.id in batched or not (b.is_name(a) and a.id in batched):
            raise _NotVectorizable  # a batched right operand: a vector example is no matrix row
        return stmt
    elementwise = prim in _ARITHMETIC or isinstance(prim, np.ufunc) and site.rule is not None \
        and site.rule.kind in ("elementwise", "linear")
    if not elementwise or isinstance(value, gast.Compare):
        raise _NotVectorizable
    if len(site.args) == 1:
        return stmt
    if len(site.args) != 2:
        raise _NotVectorizable
    lifted = [_lifted(arg, other, batched, helpers) for arg, other in (site.args, site.args[::-1])]
    new = copy.deepcopy(value)
    if isinstance(new, gast.BinOp):
        new.left, new.right = lifted
    else:
        new.args = lifted
    return b.assign(target, new)


def _lifted(arg, other, batched, helpers):
    """arg, lifted against other when arg is batched (its examples then broadcast as one at a time)."""
    if not (b.is_name(arg) and arg.id in batched) or isinstance(other, gast.Constant) \
            or b.is_name(other) and other.id == arg.id:
        return copy.deepcopy(arg)  # against a number or itself, the batch broadcasts as it is
    other_batched = b.is_name(other) and other.id in batched
    return b.call(b.name(_helper(helpers, runtime_vmap.lift, "vmap_lift")),
                  [copy.deepcopy(arg), copy.deepcopy(other), b.const(other_batched)])
