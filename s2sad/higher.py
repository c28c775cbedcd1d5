"""Higher-order derivatives and whole Jacobians: s2sad differentiates its own output.

Generated derivatives are Python functions whose source sits in `linecache`, so they can
be parsed and differentiated like the user's own. `grad(f)` hands back a wrapper whose
`__s2sad_generated__` gives the generated VJP it runs, and `parse.unwrap` follows it:
`grad(grad(f))`, `jvp(grad(f), ...)` and `source(grad(f), mode="forward")` work on the
generated code. `jvp_function(f)` does the same for forward mode, so every nesting of
modes is reachable.

Built on that:

* `hvp(f, primals, vectors)`: forward over reverse, one JVP of f's generated VJP, H never formed.
* `hessian(f)`: the same JVP with every unit vector at once, as one batched pass (batching.py).
* `jacobian(f, mode=...)`: "forward" is one batched JVP with the identity as tangents (columns);
  "reverse" is one batched JVP of the generated VJP with respect to its cotangent (the adjoint
  sweep is linear in it, so this pushes every row's cotangent through one sweep); "auto"
  picks forward when the inputs are no larger than the output.

When batched mode cannot handle a function (it calls a user function), the same numbers
come from one pass per column or row.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import api, batching, complex_io, driver, pytrees, runtime
from .callables import dict_items, entry, first_output
from .errors import LIMITATIONS, S2SADError
from .higher_batched import _batched_jvp, _block, _blocks, _finish, _unit_batches
from .parse import own_wrapper

MODES = ("auto", "forward", "reverse")


# -- checks ------------------------------------------------------------------------------


def _where(func):
    code = func.__code__
    return code.co_filename, code.co_firstlineno


def _prepare(func, names, args, kwargs, what=None):
    """Every parameter's value, after checking that the wrt ones are floats (and, for `what`, that none is complex)."""
    values = api._bind(func, args, kwargs)
    api._check_float(func, names, values)
    if what is not None:
        complex_io.refuse_complex(func, values, what)
    return values


class _NotScalar(S2SADError):
    """A scalar was needed (grad, hvp, hessian), the function returned out: hessian then takes JAX's way."""

    def __init__(self, out, *args):
        super().__init__(*args)
        self.out = out


def _scalar(func, out, what):
    if isinstance(out, (tuple, list, dict)) or np.ndim(out) != 0:
        shape = type(out).__name__ if isinstance(out, (tuple, list, dict)) else np.shape(out)
        raise _NotScalar(out, f"{what} needs {func.__name__} to return a scalar, but it returned {shape}; "
                         "use s2sad.jacobian for a vector-valued function", *_where(func), what)


def _check_vector(func, name, x, v, what):
    """A vector must have its input's structure and shape (api.check_like)."""
    api.check_like(func, repr(name), x, v, what, "vector")


def _structured(x):
    """Whether x is a container or a record (pytrees.py): its derivatives are blocks in its structure."""
    return isinstance(x, (tuple, list, dict)) or pytrees.is_record(x)


def _plain_array(func, name, x, what):
    if _structured(x):
        raise S2SADError(f"{what} with respect to the container {name!r} is not supported: pass its arrays "
                         "as separate parameters", *_where(func), what)


# -- hvp and hessian -----------------------------------------------------------------------


def _gradient_function(func, names):
    """f's generated VJP returning (f(...), gradients): its output tells a non-scalar f apart."""
    return driver.derivative(func, "reverse", names, with_value=True).function


def _run_checked(func, what, run, grad_fn):
    """run(), turning a failure caused by a non-scalar f into a clear error.

    f's output is read from the failed generated code's frames (the derivative of grad_fn keeps
    grad_fn's name for it), never by running f again: its side effects happen once."""
    try:
        return run()
    except S2SADError:
        raise
    except Exception as exc:
        name = api._output_name(grad_fn)
        tb = exc.__traceback__
        while tb is not None and name:
            frame = tb.tb_frame
            if frame.f_code.co_filename.startswith("<s2sad") and name in frame.f_locals:
                _scalar(func, frame.f_locals[name], what)
                break
            tb = tb.tb_next
        raise


def hvp(f: Callable[..., Any], primals: Sequence[Any], vectors: Any, wrt: int | str | Sequence[int | str] = 0) -> Any:
    """H @ v for scalar f at primals, H the Hessian with respect to wrt: forward over reverse, H never formed.

    vectors has one entry per wrt parameter (a bare array is accepted for a single one);
    the result is shaped like the wrt input (a tuple for a tuple wrt).
    """
    method, obj = api._method(f)
    if obj is not None:
        return hvp(method, (obj, *primals), vectors, api._after_self(wrt))
    func = entry(f)
    names = driver.wrt_names(func, wrt)
    values = _prepare(func, names, tuple(primals), {}, "hvp")
    single = not isinstance(wrt, (tuple, list))
    if single and not (isinstance(vectors, (tuple, list)) and len(vectors) == 1):
        vectors = (vectors,)  # the one vector itself, not one per wrt parameter
    vectors = tuple(vectors)
    if len(vectors) != len(names):
        raise S2SADError(f"hvp got {len(vectors)} vectors for {len(names)} wrt parameters {names}",
                         *_where(func), "hvp")
    for name, v in zip(names, vectors):
        _check_vector(func, name, values[name], v, "hvp")
    dots = [api._like(v, values[n]) for n, v in zip(names, vectors)]
    grad_fn = _gradient_function(func, names)
    tangent = driver.derivative(grad_fn, "forward", names).function
    (out, _), (_, hv) = _run_checked(func, "hvp", lambda: tangent(*values.values(), 1.0, *dots), grad_fn)
    _scalar(func, out, "hvp")
    hv = (hv,) if len(names) == 1 else hv
    shaped = tuple(api._like(h, values[n]) for h, n in zip(hv, names))
    return shaped[0] if single else shaped


def hessian(f: Callable[..., Any], wrt: int | str | Sequence[int | str] = 0) -> Callable[..., Any]:
    """A function giving the Hessian of scalar f: H.shape == input.shape + input.shape.

    Forward over reverse with every unit vector in one batched pass. For a tuple wrt the
    result is a tuple of tuples of blocks, H[i][j] = d/d wrt[j] of the gradient for wrt[i].
    """
    method, obj = api._method(f)
    if obj is not None:
        return functools.partial(hessian(method, api._after_self(wrt)), obj)
    func = entry(f)
    names = driver.wrt_names(func, wrt)
    single = not isinstance(wrt, (tuple, list))

    @functools.wraps(func)
    def hessian_f(*args, **kwargs):
        values = _prepare(func, names, args, kwargs, "hessian")
        inputs = [values[n] for n in names]
        if any(_structured(x) for x in inputs):
            blocks = _container_hessian(func, names, values, inputs)
            return blocks[0][0] if single else blocks
        grad_fn = _gradient_function(func, names)
        seeds = _unit_batches(inputs)

        def run():
            return _batched_jvp(grad_fn, names, values, seeds, (1.0,))
        try:
            (out, _), (_, dgrads) = _run_checked(func, "hessian", run, grad_fn)
            _scalar(func, out, "hessian")
        except _NotScalar as exc:
            if isinstance(exc.out, (tuple, list, dict)):
                raise
            if single:  # JAX: out + in + in
                return jacobian(jacobian(func, wrt, "forward"), wrt, "forward")(*args, **kwargs)
            return tuple(jacobian(jacobian(func, w, "forward"), wrt, "forward")(*args, **kwargs) for w in wrt)
        dgrads = (dgrads,) if len(names) == 1 else dgrads
        blocks = tuple(_blocks(dg, x, inputs) for dg, x in zip(dgrads, inputs))
        _no_complex(blocks, func)
        return blocks[0][0] if single else blocks

    own_wrapper(hessian_f)
    if single:  # the Jacobian of the gradient: what jacobian(hessian(f)) differentiates
        hessian_f.__s2sad_jacobian__ = (hessian_f, lambda: (driver.derivative(func, "reverse", names).function, names,
                                                            func))
    return hessian_f


# -- jacobian -------------------------------------------------------------------------------


def jacobian(f: Callable[..., Any], wrt: int | str | Sequence[int | str] = 0, mode: str = "auto",
             has_aux: bool = False) -> Callable[..., Any]:
    """A function giving the Jacobian of f: J.shape == out.shape + input.shape (JAX's layout).

    mode "forward" builds it column by column, "reverse" row by row, both as one batched
    pass; "auto" chooses forward when the wrt inputs have no more elements than the output.
    A tuple wrt gives a tuple of Jacobians; a tuple output gives a tuple, one per item.
    With has_aux, f returns (out, aux) and the function returns (Jacobian of out, aux).
    """
    if mode not in MODES:
        raise S2SADError(f"jacobian mode must be one of {MODES}, not {mode!r}", construct="jacobian")
    method, obj = api._method(f)
    if obj is not None:
        return functools.partial(jacobian(method, api._after_self(wrt), mode, has_aux), obj)
    owner, made = getattr(f, "__s2sad_jacobian__", (None, None))
    if owner is f and not has_aux:  # jacobian(jacobian(f)), jacobian(hessian(f)); not a copy functools.wraps made
        return _jacobian_of_jacobian(f, made, wrt)
    if has_aux:
        return _jacobian_with_aux(entry(f), wrt, mode)
    func = entry(f)
    names = driver.wrt_names(func, wrt)
    single = not isinstance(wrt, (tuple, list))

    @functools.wraps(func)
    def jacobian_f(*args, **kwargs):
        values = _prepare(func, names, args, kwargs)
        if complex_io.needs_jacobian(func, values, names):
            return complex_io.jacobian(func, names, values, mode, single)
        inputs = [values[n] for n in names]
        if any(_structured(x) for x in inputs):
            blocks = _container_jacobian(func, names, values, inputs)
            return blocks[0] if single else blocks
        n_in = sum(np.size(x) for x in inputs)
        sized = mode == "auto" and n_in > 1  # one float in: forward mode, whatever the output
        probe = _probe(func, values, sized)
        if isinstance(probe, dict):  # {key: Jacobian of out[key]}, as JAX nests it
            return _dict_jacobian(func, probe, wrt, mode, args, kwargs)
        chosen = mode if mode != "auto" else "forward" if not sized or n_in <= _size(probe) else "reverse"
        return _jacobian_by(chosen, func, names, values, inputs, single)

    own_wrapper(jacobian_f)
    if single:
        jacobian_f.__s2sad_jacobian__ = (jacobian_f, lambda: (func, names, func))
    return jacobian_f


_DICT_CHECKED = {}  # code -> whether its output was seen not to be a dict (checked once, f runs once more)


def _probe(func, values, sized):
    """f's output when f must run once more to see it, else None: to learn that it is not a dict
    (once per code object) and, when `sized`, to size it for mode "auto"."""
    probe = func(*values.values()) if sized or not _DICT_CHECKED.get(func.__code__) else None
    if probe is not None and not isinstance(probe, dict):
        if _has_dict(probe):
            raise S2SADError("jacobian of an output holding a dict inside a tuple or list is not supported: return "
                             "a dict or a tuple of arrays", *_where(func), "jacobian")
        _DICT_CHECKED[func.__code__] = True
    return probe


def _dict_jacobian(func, probe, wrt, mode, args, kwargs):
    """{key: Jacobian of out[key]} for f returning the dict `probe` (JAX's nesting)."""
    keys = [k for k in probe if isinstance(k, (str, int)) and not isinstance(k, bool)]
    if len(keys) != len(probe):
        raise S2SADError("jacobian of a dict output needs string or integer keys", *_where(func), "jacobian")
    items = jacobian(dict_items(func, keys), wrt, mode)(*args, **kwargs)
    return dict(zip(keys, items))


def _jacobian_by(chosen, func, names, values, inputs, single):
    """The Jacobian of a plain (array or tuple) output, forward (column) or reverse (row) mode."""
    if chosen == "forward":
        out, douts = _batched_jvp(func, names, values, _unit_batches(inputs), ())
        per_out = _per_output(out, douts, lambda o, d: [_block(d, o, x, inputs, k) for k, x in enumerate(inputs)])
    else:
        per_out = _reverse_jacobian(func, names, values, inputs)
    _no_complex(per_out, func)
    return _shape_result(per_out, single)


def _has_dict(out):
    if isinstance(out, dict):
        return True
    return isinstance(out, (tuple, list)) and any(_has_dict(o) for o in out)


def _jacobian_with_aux(func, wrt, mode):
    """(Jacobian of f's first output, its aux): the Jacobian of a shim returning out[0] (callables.first_output).

    f runs once for the aux and once inside the derivative, as the output's size for mode "auto"
    already needs a run of f."""
    of_value = jacobian(first_output(func), wrt, mode)

    @functools.wraps(func)
    def jacobian_f(*args, **kwargs):
        values = api._bind(func, args, kwargs)
        _, aux = api.aux_pair(func, func(*values.values()))
        return of_value(*args, **kwargs), aux

    return own_wrapper(jacobian_f)


def _no_complex(blocks, func):
    """Refuse a complex Jacobian (of float inputs: `_prepare` lets in no other): a complex value went
    through rules written for real values (as api._like refuses for gradients)."""
    if isinstance(blocks, (tuple, list)):
        for block in blocks:
            _no_complex(block, func)
    elif np.iscomplexobj(blocks):
        raise S2SADError("the Jacobian of a function of real values came out complex: a complex intermediate "
                         "value went through derivative rules written for real values (s2sad differentiates "
                         "real values only)", *_where(func), "complex value", LIMITATIONS)


def _size(out):
    if isinstance(out, (tuple, list)):
        return sum(_size(o) for o in out)
    return int(np.size(out))


def _per_output(out, douts, make):
    """make(out_item, its batched tangent) for each item of a tuple output, or for the output."""
    if isinstance(out, (tuple, list)):
        douts = douts if isinstance(douts, (tuple, list)) else (douts,) * len(out)
        made = [make(o, d) for o, d in zip(out, douts)]
        return runtime.rebuild(out, made) if pytrees.is_namedtuple(out) else tuple(made)
    return make(out, douts)


def _shape_result(per_out, single):
    """Jacobians as the API gives them: bare for one wrt, a tuple per output item for a tuple output."""
    if isinstance(per_out, tuple):  # a namedtuple output gives a namedtuple of Jacobians (JAX)
        return runtime.rebuild(per_out, [js[0] if single else tuple(js) for js in per_out])
    return per_out[0] if single else tuple(per_out)


def _reverse_jacobian(func, names, values, inputs):
    """Rows: the generated VJP, batched over its cotangent (the adjoint sweep is linear in it)."""
    vjp_fn = driver.derivative(func, "reverse", names).function
    seed = list(inspect.signature(vjp_fn).parameters)[-1]
    out = func(*values.values())
    if isinstance(out, (tuple, list)):
        raise S2SADError(f"jacobian mode 'reverse' of {func.__name__}, which returns a {type(out).__name__}: "
                         "use mode 'forward'", *_where(func), "jacobian")
    m = int(np.size(out))
    dtype = np.result_type(getattr(out, "dtype", np.float64), np.float64)
    cotangents = np.eye(m, dtype=dtype).reshape((m,) + np.shape(out))
    params = dict(values)
    params[seed] = np.zeros(np.shape(out), dtype=dtype) if np.ndim(out) else 0.0
    try:
        compiled = batching.derivative(vjp_fn, (seed,))
        _, rows = compiled.function(*params.values(), cotangents)
    except batching.NotBatchable:
        rows = _rows_one_by_one(vjp_fn, params, seed, cotangents)
    rows = (rows,) if len(names) == 1 else rows
    return [_row_block(r, out, x) for r, x in zip(rows, inputs)]


def _rows_one_by_one(vjp_fn, params, seed, cotangents):
    """What the batched VJP gives, one VJP pass per row."""
    results = []
    for u in cotangents:
        params[seed] = u if np.ndim(u) else float(u)
        results.append(vjp_fn(*params.values()))
    if isinstance(results[0], tuple):
        return tuple(np.stack([np.broadcast_to(r[i], np.shape(results[0][i])) for r in results])
                     for i in range(len(results[0])))
    return np.stack([np.asarray(r) for r in results])


def _row_block(rows, out, x):
    """Rows d out_i / d x, stacked as (out.size,) + x.shape, laid out as out.shape + x.shape."""
    rows = np.broadcast_to(rows, (int(np.size(out)),) + np.shape(x))
    return _finish(np.reshape(rows, np.shape(out) + np.shape(x)))


# -- third order: jacobian(jacobian(f)) -------------------------------------------------------


def _jacobian_of_jacobian(outer, made, wrt):
    """The Jacobian of J = jacobian(g, wrt0) (or of hessian(f), the Jacobian of f's generated gradient g):
    shape out + in0 + in1. Column j of J is the JVP of g along the unit vector e_j, and that JVP is
    generated code (forward mode of g), so each column's Jacobian is one more batched forward pass."""
    single = not isinstance(wrt, (tuple, list))

    @functools.wraps(outer)
    def jacobian_f(*args, **kwargs):
        g, names0, func = made()
        names1 = driver.wrt_names(g, wrt)
        values = _prepare(g, tuple(dict.fromkeys(names0 + names1)), args, kwargs, "jacobian of a jacobian")
        for n in names0 + names1:
            _plain_array(func, n, values[n], "jacobian of a jacobian")
        x0 = values[names0[0]]
        tangent = driver.derivative(g, "forward", names0).function
        out, _ = tangent(*values.values(), api._like(0.0, x0))
        if isinstance(out, (tuple, list, dict)):
            raise S2SADError(f"jacobian of a jacobian needs a function returning one array, not a {type(out).__name__}",
                             *_where(func), "jacobian")
        inputs1 = [values[n] for n in names1]
        seeds = _unit_batches(inputs1)
        cols = []
        for e in _units(x0):  # column e of J, differentiated along every unit vector of the wrt inputs at once
            with_tangent = {**values, " tangent": api._like(e, x0)}
            (_, dout), (_, ddout) = _batched_jvp(tangent, names1, with_tangent, seeds, ())
            cols.append([_block(ddout, dout, x1, inputs1, k) for k, x1 in enumerate(inputs1)])
        blocks = tuple(_stack_columns([c[k] for c in cols], x0, values[n]) for k, n in enumerate(names1))
        _no_complex(blocks, func)
        return blocks[0] if single else blocks

    return own_wrapper(jacobian_f)


def _units(x):
    """The unit vectors of x's space, each shaped like x."""
    n = int(np.size(x))
    return [row.reshape(np.shape(x)) for row in np.eye(n)]


def _stack_columns(cols, x0, x1):
    """Blocks out + x1 for each unit vector of x0, laid out as out + x0 + x1."""
    out_shape = np.shape(cols[0])[: np.ndim(cols[0]) - np.ndim(x1)]
    stacked = np.stack([np.broadcast_to(c, out_shape + np.shape(x1)) for c in cols], axis=len(out_shape))
    return _finish(stacked.reshape(out_shape + np.shape(x0) + np.shape(x1)))


# -- containers: JAX's nested blocks -----------------------------------------------------------


def _leaves(x):
    """The arrays (and floats) of a tuple / list / dict, in order; x itself if it is none of those.
    A record's (pytrees.py) are those of its float fields."""
    if pytrees.is_record(x):
        return [leaf for _, v in pytrees.items(x) if api._is_float(v, True) for leaf in _leaves(v)]
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _leaves(v)]
    if isinstance(x, (tuple, list)):
        return [leaf for v in x for leaf in _leaves(v)]
    return [x]


def _leaves_like(g, x):
    """The leaves of g, a tangent or cotangent shaped like x (a missing item reads as zero)."""
    if pytrees.is_record(x):
        return [leaf for i, (name, v) in enumerate(pytrees.items(x)) if api._is_float(v, True)
                for leaf in _leaves_like(runtime.part(g, pytrees.key(x, i, name)), v)]
    if isinstance(x, dict):
        return [leaf for k, v in x.items() for leaf in _leaves_like(runtime.part(g, k), v)]
    if isinstance(x, (tuple, list)):
        return [leaf for i, v in enumerate(x) for leaf in _leaves_like(runtime.part(g, i), v)]
    return [0.0 if g is None else g]


def _rebuild(x, leaves):
    """x's structure holding the next items of the iterator leaves (None in a record's constant fields)."""
    if pytrees.is_record(x):
        return pytrees.remake(x, {name: _rebuild(v, leaves) if api._is_float(v, True) else None
                                  for name, v in pytrees.items(x)})
    if isinstance(x, dict):
        return {k: _rebuild(v, leaves) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return runtime.rebuild(x, [_rebuild(v, leaves) for v in x])
    return next(leaves)


def _container_columns(inputs):
    """(k, j, tangents) for every element of every leaf: input k's leaf j seeded at one element, all else zero."""
    leaves = [_leaves(x) for x in inputs]
    zeros = [[np.zeros(np.shape(leaf)) for leaf in ls] for ls in leaves]
    for k, ls in enumerate(leaves):
        for j, leaf in enumerate(ls):
            for e in _units(leaf):
                seeded = [list(z) for z in zeros]
                seeded[k][j] = e
                tangents = [api._like(_rebuild(x, iter(s)), x, 0.0) for x, s in zip(inputs, seeded)]
                yield k, j, tangents


def _container_jacobian(func, names, values, inputs):
    """Per wrt input, its structure holding the blocks out.shape + leaf.shape (jax.jacobian of a dict
    gives a dict): one forward pass per element, the leaves' tangents given as containers."""
    plain = driver.derivative(func, "forward", names, receiver=api._types(values)).function
    columns = {}
    out = None
    for k, j, tangents in _container_columns(inputs):
        out, dout = plain(*values.values(), *tangents)
        if isinstance(out, (tuple, list, dict)):
            raise S2SADError("jacobian with respect to a container needs a function returning one array, not a "
                             f"{type(out).__name__}", *_where(func), "jacobian")
        columns.setdefault((k, j), []).append(dout)
    blocks = []
    for k, x in enumerate(inputs):
        per_leaf = [_leaf_block(columns[k, j], np.shape(out), leaf) for j, leaf in enumerate(_leaves(x))]
        blocks.append(_rebuild(x, iter(per_leaf)))
    _no_complex(blocks, func)
    return tuple(blocks)


def _leaf_block(columns, out_shape, leaf):
    """The block out_shape + leaf.shape from one column per element of leaf (in C order)."""
    stacked = np.stack([np.broadcast_to(c, out_shape) for c in columns])
    return _finish(np.moveaxis(stacked, 0, -1).reshape(out_shape + np.shape(leaf)))


def _container_hessian(func, names, values, inputs):
    """H[i][j]: input i's structure holding, per leaf, input j's structure holding the blocks
    leaf_i.shape + leaf_j.shape (jax.hessian of f(params: dict) gives H[k1][k2]): forward over
    reverse, one pass per element."""
    grad_fn = _gradient_function(func, names)
    tangent = driver.derivative(grad_fn, "forward", names).function
    columns = {}
    for k, j, tangents in _container_columns(inputs):
        def run(tangents=tangents):
            return tangent(*values.values(), 1.0, *tangents)
        (out, _), (_, dgrads) = _run_checked(func, "hessian", run, grad_fn)
        _scalar(func, out, "hessian")
        dgrads = (dgrads,) if len(names) == 1 else dgrads
        for i, x in enumerate(inputs):
            for m, d in enumerate(_leaves_like(dgrads[i], x)):
                columns.setdefault((i, m, k, j), []).append(d)
    result = []
    for i, xi in enumerate(inputs):
        row = []
        for k, xk in enumerate(inputs):
            per_leaf = []
            for m, leaf_i in enumerate(_leaves(xi)):
                inner = [_leaf_block(columns[i, m, k, j], np.shape(leaf_i), leaf_k)
                         for j, leaf_k in enumerate(_leaves(xk))]
                per_leaf.append(_rebuild(xk, iter(inner)))
            row.append(_rebuild(xi, iter(per_leaf)))
        result.append(tuple(row))
    _no_complex(result, func)
    return tuple(result)


# -- function-valued forward mode and batched tangents -----------------------------------------


def jvp_function(f: Callable[..., Any], wrt: int | str | Sequence[int | str] = 0) -> Callable[..., tuple[Any, Any]]:
    """g(*args, *tangents) -> (f(*args), its JVP): forward mode as a function, so it can be differentiated.

    `s2sad.grad(jvp_function(f))` is not meaningful (two outputs), but `s2sad.jvp(jvp_function(f), ...)`
    is forward over forward and `s2sad.vjp(jvp_function(f), ...)` reverse over forward.
    """
    func = entry(f)
    names = driver.wrt_names(func, wrt)

    @functools.wraps(func)
    def jvp_f(*args):
        return driver.derivative(func, "forward", names).function(*args)

    own_wrapper(jvp_f).__s2sad_generated__ = lambda: driver.derivative(func, "forward", names).function
    return jvp_f


def batched_jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """(f(*primals), out tangents) for B tangents at once: each tangent has shape (B,) + its primal's shape.

    Every primal that is a float gets a tangent batch (None for zeros); the result's tangent
    has shape (B,) + out.shape. Non-float primals take None.
    """
    func = entry(f)
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise S2SADError(f"batched_jvp got {len(primals)} primals but {len(tangents)} tangent batches", construct="jvp")
    values = api._bind(func, primals, {})
    names, batches, size = [], [], None
    for name, x, t in zip(list(values), primals, tangents):
        if t is None:
            continue
        if not api._is_float(x) or _structured(x):
            raise S2SADError(f"batched_jvp: {name!r} is not a float array, so its tangent batch must be None",
                             *_where(func), "jvp")
        if np.ndim(t) != np.ndim(x) + 1 or np.shape(t)[1:] != np.shape(x):
            raise S2SADError(f"batched_jvp: the tangent batch for {name!r} has shape {np.shape(t)}, but {name!r} has "
                             f"shape {np.shape(x)}: expected (B,) + {np.shape(x)}", *_where(func), "jvp")
        if size is not None and np.shape(t)[0] != size:
            raise S2SADError(f"batched_jvp: the tangent batches disagree in size ({size} and {np.shape(t)[0]})",
                             *_where(func), "jvp")
        size = np.shape(t)[0]
        names.append(name)
        batches.append(np.asarray(t, dtype=np.result_type(t, np.float64)))
    if not names:
        raise S2SADError("batched_jvp needs a tangent batch for at least one float input", *_where(func), "jvp")
    return _batched_jvp(func, tuple(names), values, batches, ())
