"""The function `grad(f)` and `value_and_grad(f)` return, and the derivative variant it runs.

A call looks up the generated derivative specialized to its arguments' kinds (shapes.py), runs
it, and shapes the gradients like their inputs. The lookup is the part that runs on every call,
so it is kept to one dictionary lookup keyed by the arguments' types where the types decide the
kinds (see `_make_wrapper`)."""

import ast
import functools
import inspect

import numpy as np

from . import cache, complex_io, driver, namespaces, pytrees, shapes
from .callables import entry
from .errors import S2SADError
from .parse import own_wrapper
from .values import _bind, _check_float, _scalar_out, _shaped, _single, _types, aux_pair

_WRAPPERS = {}


def _wrapper(f, wrt, with_value):
    """grad(f, wrt) or value_and_grad(f, wrt), made once per (f, wrt): making one costs more than calling it."""
    key = (f, wrt, with_value) if _plain_wrt(wrt) else None
    try:
        made = _WRAPPERS.get(key) if key else None
    except TypeError:  # an unhashable callable
        key = made = None
    if made is None:
        made = _make_wrapper(f, wrt, with_value)
        if key is not None:
            if len(_WRAPPERS) > 1024:
                _WRAPPERS.clear()
            _WRAPPERS[key] = made
    return made


def _plain_wrt(wrt):
    """Whether wrt can key a table (bool and int compare equal, so only exact ints and names)."""
    if type(wrt) is int or type(wrt) is str:
        return True
    return type(wrt) is tuple and all(type(w) is int or type(w) is str for w in wrt)


def _make_wrapper(f, wrt, with_value):
    """The wrapper function itself: one frame between the caller and the generated code.

    A call whose argument types were seen before (and whose types decide the kinds: no arrays,
    no objects) takes the fast path, made per arity by `_fast_factory`: the entry last run is kept
    at hand, so a call with the same types as the last one costs a comparison per argument (no
    tuple, no hashing); other types, one dictionary lookup keyed by the tuple of types; then the
    generated function. Anything else (keywords, defaults
    left out, arrays, a first call, a redefined helper) takes `_slow_path`, which checks the
    arguments, picks or compiles the variant, and enters it in the fast table when it may."""
    func = entry(f)
    names = driver.wrt_names(func, wrt)
    where = tuple(list(inspect.signature(func).parameters).index(n) for n in names)
    single = _single(wrt)
    shape = _shaper(where, single, with_value)
    fast = cache.table()  # argument types -> (fn, valueless, floats, code, dependencies); emptied by cache.clear
    code = func.__code__
    count = code.co_argcount if _positional(code) else -1  # -1: never the fast path
    explain = functools.partial(_explain_failure, func)
    elsewhere = functools.partial(on_backend, func, names, single, with_value, False)
    slow = _slow_path(func, names, with_value, shape, fast, explain, elsewhere)
    make = _fast_factory(count, "one" if single else "wrapped" if len(where) == 1 else len(where), with_value)
    wrapper = make(fast.get, func, slow, driver.current, explain, _scalar_out, shape, _given, _MISSING, fast)
    own_wrapper(functools.wraps(func)(wrapper))
    wrapper.__s2sad_generated__ = _generated(func, "reverse", names, with_value)
    if not with_value:
        wrapper.__s2sad_grad__ = (func, wrt)  # vmap(grad(f)) batches f itself (vmapping.per_example_gradients)
    return wrapper


def _positional(code):
    """Whether a function takes positional parameters only (no keyword-only ones, no *args, no **kwargs)."""
    return not code.co_kwonlyargcount and not code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)


_FAST_CALL = """
def make(get, func, slow, current, explain, scalar_out, shape, given, missing, fast):
    unset = last = ({unset})  # the entry last run: its arguments' types, then the fast table's entry

    def forget():
        nonlocal last
        last = unset

    fast.forget = forget

    def wrapper({params}*rest, **kwargs):
        nonlocal last
        entry = last
        if {same} and entry[{at} + 5] and not (rest or kwargs) and entry[{at} + 3] is func.__code__:
            grads = entry[{at}]({args})  # the common case: as last time, gradients alone, of floats
            if {quick_floats}:  # (the generated function returns a tuple of gradients for a tuple of wrt)
                return {quick}
            return shape(None, grads, ({args}))
        if not ({same}) or rest or kwargs:
            if rest or kwargs or {last} is missing:
                return slow(given(({args}), rest), kwargs)
            hit = get(({key}))
            if hit is None:
                return slow(({args}), kwargs)
            entry = last = ({key}) + hit
        fn = entry[{at}]
        if entry[{at} + 3] is not func.__code__ or entry[{at} + 4] and not current(entry[{at} + 4]):
            return slow(({args}), kwargs)
        if entry[{at} + 1]:  # valueless
            out, grads = None, fn({args})
        else:
            try:
                out, grads = fn({args})
            except Exception as exc:
                explain(fn, exc)
                raise
            if type(out) is not float:
                scalar_out(func, out)
        if entry[{at} + 2] and {floats}:  # every wrt argument a Python float
            return {result}
        return shape(out, grads, ({args}))
    return wrapper
"""
_FACTORIES = {}
_MISSING = object()  # an argument not given: the fast path's parameters default to it


def _given(head, rest):
    """The arguments a fast-path wrapper was called with: its named ones that were given, then the rest."""
    return tuple(a for a in head if a is not _MISSING) + rest


def _fast_factory(count, wrt, with_value):
    """The maker of a wrapper for functions of `count` positional parameters (-1: not all positional,
    every call takes the slow path), differentiated with respect to one argument ("one": a bare
    gradient; "wrapped": wrt=(i,), a tuple of one) or to `wrt` of them (a tuple).

    Written out per arity, because the generic spellings cost most of a call: the wrapper's
    parameters are `a0=missing, a1=missing, /, *rest, **kwargs`, so the key is
    `(type(a0), type(a1))`, not `tuple(map(type, args))` (several times slower), and the
    generated function is called as `fn(a0, a1)`; the check that the gradients of Python floats
    came out as Python floats (what `shape` would make of them) is a chain of `type(g) is float`.
    `floats` in a fast-table entry says that every wrt argument is a Python float."""
    known = _FACTORIES.get((count, wrt, with_value))
    if known is not None:
        return known
    names = [f"a{i}" for i in range(max(count, 0))]
    params = "".join(f"{n}=missing, " for n in names) + ("/, " if names else "")
    args = "".join(f"{n}, " for n in names)
    # the last parameter given, else (no parameters) never true for count 0 and always for -1
    last = names[-1] if names else "kwargs" if count == 0 else "missing"
    if wrt in ("one", "wrapped"):
        floats, grads = "type(grads) is float", "grads" if wrt == "one" else "(grads,)"
    else:
        floats = "type(grads) is tuple and " + " and ".join(f"type(grads[{i}]) is float" for i in range(wrt))
        grads = "grads"
    same = " and ".join(f"type({n}) is entry[{i}]" for i, n in enumerate(names)) or "entry[0] is not None"
    text = _FAST_CALL.format(params=params, last=last, args=args, key="".join(f"type({n}), " for n in names),
                             floats=floats, result=f"(out, {grads})" if with_value else grads, at=len(names),
                             same=same, unset="None, " * (len(names) + 6),
                             quick="grads" if wrt == "one" else "(grads,)" if wrt == "wrapped" else "grads",
                             quick_floats=floats.replace("type(grads) is tuple and ", ""))
    space = {}
    exec(compile(text, f"<s2sad fast call: {count} arguments>", "exec"), space)
    _FACTORIES[count, wrt, with_value] = space["make"]
    return space["make"]


def _shaper(where, single, with_value):
    """shape(out, grads, values): grad's result, each gradient given its input's type, shape and dtype."""
    def shape(out, grads, values):
        if single:
            shaped = _shaped(grads, values[where[0]])
        else:
            shaped = tuple([g if type(g) is float and type(values[i]) is float else _shaped(g, values[i])
                            for g, i in zip((grads,) if len(where) == 1 else grads, where)])
        return (out, shaped) if with_value else shaped

    return shape


def _explain_failure(func, fn, exc):
    """S2SADError when the generated `fn`, stopped by exc, had computed a non-scalar output of func, which
    explains the failure; else nothing (the caller re-raises exc). f's code never runs twice."""
    failed = output_at_failure(fn, exc)
    if failed is not _NOTHING and not np.iscomplexobj(failed):  # a complex scalar: exc says more (a rule refused)
        _scalar_out(func, failed)


def on_backend(func, names, single, with_value, has_aux, values, backend):
    """grad and value_and_grad on arguments from another array library (Dask, JAX, CuPy): scale.py."""
    from . import scale

    return scale.grad_on(func, names, single, with_value, has_aux, tuple(values), backend)


def _slow_path(func, names, with_value, shape, fast, explain, elsewhere):
    """slow(args, kwargs): a call the fast path did not answer (see `_make_wrapper`); elsewhere(values,
    backend) answers one whose arguments include another library's arrays (never entered in a table)."""
    by_type, lookup = _specializer(func, names, with_value)
    count, positional = func.__code__.co_argcount, _positional(func.__code__)

    def slow(args, kwargs):
        values = args if not kwargs and len(args) == count and positional else \
            tuple(_bind(func, args, kwargs).values())
        types = tuple(map(type, values))
        hit = by_type.get(types)
        if hit is None or hit[0] != cache.epoch or hit[1] is not func.__code__ \
                or (hit[3] and not driver.current(hit[3])):
            fn, valueless = lookup(values, types)
            if valueless is None:  # fn: the name of the arguments' array library
                return elsewhere(values, fn)
            hit = by_type.get(types)
        else:
            fn, valueless = hit[2], hit[4]
        if values is args and hit is not None and hit[0] == cache.epoch and hit[2] is fn:
            # hit[5]: every wrt argument a Python float; last, whether the wrapper's first branch may run it
            fast[types] = (fn, valueless, hit[5], hit[1], hit[3], bool(valueless and hit[5] and not hit[3]))
            fast.forget()  # the entry the wrapper last ran may be the stale one this replaces
        if valueless:  # the output is proven a scalar: only the gradients (see _specializer)
            return shape(None, fn(*values), values)
        try:
            out, grads = fn(*values)  # the seed out_bar defaults to 1.0
        except Exception as exc:
            explain(fn, exc)
            raise
        if type(out) is not float:
            _scalar_out(func, out)
        return shape(out, grads, values)

    return slow


_NOTHING = object()


_OUTPUT_NAMES = {}


def output_at_failure(fn, exc):
    """The output a generated `f_vjp(...) -> (out, grads)` had computed when exc stopped it, else _NOTHING.

    Read from the failed call's own frame in the traceback: explaining a failure (a non-scalar
    output under grad) never runs the user's code, and its side effects, a second time."""
    name = _output_name(fn)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is fn.__code__:
            return tb.tb_frame.f_locals.get(name, _NOTHING) if name else _NOTHING
        tb = tb.tb_next
    return _NOTHING


def _output_name(fn):
    """The local a generated value-and-gradient function returns first (`return (f_value, x_bar)`)."""
    code = fn.__code__
    if code not in _OUTPUT_NAMES:
        name = None
        try:
            tree = ast.parse(fn.__s2sad_source__)
            last = tree.body[0].body[-1]
            if isinstance(last, ast.Return) and isinstance(last.value, ast.Tuple) \
                    and isinstance(last.value.elts[0], ast.Name):
                name = last.value.elts[0].id
        except (AttributeError, SyntaxError, IndexError):
            pass
        _OUTPUT_NAMES[code] = name
    return _OUTPUT_NAMES[code]


def _specializer(func, names, with_value=True):
    """(by_type, lookup): the generated function for arguments of these values' kinds (shapes.py).

    The one last run for each tuple of argument types (for scalars, the type decides the
    kind) or kinds (arrays also need their ranks) is kept here, so a repeated call costs a
    lookup, and for derivatives that call the user's helper functions (or read functions
    bound to module-level names) a check that those were not redefined since. `lookup`
    returns (function, valueless): valueless when grad (not with_value) runs a reverse
    derivative that returns the gradients alone, the shapes table having proved the output
    a scalar, so that neither the output's last statements nor the check run.
    """
    code = func.__code__
    positional = not code.co_kwonlyargcount and not code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)
    every = list(inspect.signature(func).parameters)
    where = tuple(every.index(n) for n in names)
    by_type, by_kind = {}, {}

    def lookup(values, types):
        if complex_io.any_complex(values):  # never by kind: a complex array has a real one's kind
            return _complex_grad(func, names, dict(zip(every, values))), False
        kinds = tuple(map(shapes.kind_of, values))
        if None in kinds:  # not a NumPy array nor a number: perhaps another library's array
            backend = namespaces.foreign(values)
            if backend is not None:
                return backend, None
        hit = by_kind.get(kinds)
        if hit is not None and hit[0] == cache.epoch and hit[1] is func.__code__ \
                and (not hit[3] or driver.current(hit[3])):
            return hit[2], hit[4]
        _check_float(func, names, dict(zip(every, values)))
        receiver = pytrees.object_types(every, values)
        # kept by kind only when the kinds decide _check_float and no call was resolved by an object's class
        # (`model(x)`: another class of the same kind calls another method)
        kept = receiver is None and all(kinds[i] is not None and kinds[i][0] == "f" for i in where)
        valueless = not with_value and positional and kept and _valueless(func, names, kinds)
        compiled = _grad_variant(func, names, kinds if positional else None, not valueless, receiver)
        if kept:
            by_kind[kinds] = (cache.epoch, func.__code__, compiled.function, tuple(compiled.dependencies), valueless)
            if np.ndarray not in types:
                by_type[types] = by_kind[kinds] + (all(types[i] is float for i in where),)
        return compiled.function, valueless

    return by_type, lookup


def _complex_grad(func, names, values):
    """The value-and-gradient function of func's complex variant (complex_io.py) for these arguments."""
    _check_float(func, names, values)
    return complex_io.derivative(func, values, "reverse", names, "grad", with_value=True,
                                 receiver=pytrees.object_types(list(values), list(values.values()))).function


def _aux_wrapper(f, wrt, with_value):
    """grad / value_and_grad of f returning (value, aux): the aux output carries no derivative.

    Reverse mode split in two (calls.py): the primal half runs, its output is checked to be a
    pair with a scalar value, then the adjoint half runs with the seed (1.0, 0.0). f runs once."""
    func = entry(f)
    names = driver.wrt_names(func, wrt)
    where = tuple(list(inspect.signature(func).parameters).index(n) for n in names)

    def wrapper(*args, **kwargs):
        values = _bind(func, args, kwargs)
        backend = namespaces.foreign(values.values())
        if backend is not None:
            return on_backend(func, names, _single(wrt), with_value, True, values.values(), backend)
        _check_float(func, names, values)
        compiled = complex_io.derivative(func, values, "split", names, "grad", receiver=_types(values))
        out, record = compiled.function(*values.values())
        value, aux = aux_pair(func, out)
        _scalar_out(func, value)
        grads = compiled.backward(record, (1.0, 0.0))
        grads = (grads,) if len(names) == 1 else grads
        params = list(values.values())
        shaped = tuple(_shaped(g, params[i]) for g, i in zip(grads, where))
        shaped = shaped[0] if _single(wrt) else shaped
        return ((value, aux), shaped) if with_value else (shaped, aux)

    return own_wrapper(functools.wraps(func)(wrapper))


def _grad_derivative(func, names, kinds, with_value=True, receiver=None):
    """The reverse derivative of grad and value_and_grad: value (unless with_value is False, see
    `_valueless`) and gradients, specialized to the arguments' kinds (None: general, for a function
    with keyword-only or variable arguments) and to the classes of the user's objects it receives
    (`receiver`, see pytrees.object_types). What the numba backend compiles."""
    specialized = None if kinds is None else tuple(kinds) + (shapes.GRAD_SEED,)
    return driver.derivative(func, "reverse", names, with_value=with_value, kinds=specialized, receiver=receiver)


def _grad_variant(func, names, kinds, with_value=True, receiver=None):
    """The compiled derivative grad and value_and_grad run on NumPy: when the differentiated inputs
    total one scalar, forward mode (one pass, no tape, see `_forward_for_grad`); else
    `_grad_derivative`."""
    if grad_mode(func, names, kinds) == "forward":
        forward = _forward_for_grad(func, names, tuple(kinds) + (shapes.GRAD_SEED,), receiver)
        if forward is not None:
            return forward
    return _grad_derivative(func, names, kinds, with_value, receiver)


def _valueless(func, names, kinds):
    """Whether grad may run the reverse derivative that returns the gradients alone: the shapes table
    proves f's output a scalar for arguments of these kinds (grad's check would pass), and f's
    last statements, which compute only the output, need not run. Asked once per kinds (it reads
    f's source): only where the wrapper keeps its answer, every wrt argument of a float kind."""
    return grad_mode(func, names, kinds) == "reverse" and driver.scalar_output(func, kinds)


_REVERSE_SCHEDULES = frozenset(("checkpointed", "checkpoint", "reversible"))


def grad_mode(func, names, kinds):
    """The mode grad runs for arguments of these kinds: "forward" when it differentiates one
    parameter holding one float (a Python or NumPy float, a 0-d array), whose derivative is a
    single tangent, "reverse" otherwise, and always where f asks for a reverse-mode schedule
    (`s2sad.checkpointed`, `s2sad.checkpoint`, `s2sad.reversible`, `grad(f, checkpoint=K)`): it
    runs as asked, with the recomputations and the tape it promises."""
    if kinds is None or len(names) != 1 or hasattr(func, "__s2sad_every_loop__") \
            or not _REVERSE_SCHEDULES.isdisjoint(func.__code__.co_names):
        return "reverse"
    code = func.__code__  # the kinds are those of the positional parameters, in order (cheap: runs per call)
    params = code.co_varnames[:code.co_argcount]
    kind = kinds[params.index(names[0])] if names[0] in params else None
    return "forward" if kind == shapes.FLOAT else "reverse"


def _forward_for_grad(func, names, kinds, receiver=None):
    """The forward derivative whose one tangent defaults to 1.0 (with_value, for forward mode), so that
    `fn(*values)` returns (value, gradient) as the reverse one does; None when forward mode refuses
    the function (a custom_vjp without a forward rule...), which reverse mode then runs."""
    try:
        return driver.derivative(func, "forward", names, with_value=True, kinds=kinds, receiver=receiver)
    except S2SADError:
        return None


def _generated(func, mode, names, with_value=False):
    """What a wrapper runs, as a plain generated function: differentiating the wrapper differentiates it.

    Compiled on first use (unwrap calls it), so making a wrapper stays cheap."""
    return lambda: driver.derivative(func, mode, names, with_value).function
