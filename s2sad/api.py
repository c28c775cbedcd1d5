"""The public transforms: plain functions in, plain functions out (see shared API contract)."""

import ast
import functools
import inspect
import types

import numpy as np

from . import cache, driver, pytrees, runtime, shapes
from .callables import entry
from .errors import LIMITATIONS, S2SADError
from .parse import own_wrapper

# -- values in and out ---------------------------------------------------------------


def _is_float(x, mixed=False):
    """Whether x is differentiated: a float, a float array, a container of them, or a record (and,
    `mixed`, a container inside a record) holding one, whose other fields are constants."""
    if isinstance(x, bool):
        return False
    if isinstance(x, (float, complex, np.floating, np.complexfloating)):
        return True
    if isinstance(x, np.ndarray):
        return np.issubdtype(x.dtype, np.inexact)
    if pytrees.is_record(x):  # a namedtuple, dataclass or object: its float fields are differentiated
        return any(_is_float(value, True) for _, value in pytrees.items(x))
    if isinstance(x, (tuple, list, dict)):  # a container of floats (params = {"W": ..., "b": ...})
        items = list(x.values()) if isinstance(x, dict) else x
        return bool(items) and (any if mixed else all)(_is_float(item, mixed) for item in items)
    return False


_PLAIN = object()  # _like outside records: a container's items all float


def _like(g, x, constant=_PLAIN):
    """g given the type, shape and dtype of x (a gradient looks like its input).

    A record's fields that are not floats get `constant` (None in a gradient, 0.0 in a tangent
    the generated code reads). A complex g for a real x means a complex value went through rules
    written for real values (the last line of defence after the refusals in the rules): an error,
    never a cast."""
    if g is None:
        g = 0.0
    if pytrees.is_record(x):
        _check_record_derivative(g, x)
        constant = None if constant is _PLAIN else constant
        return pytrees.remake(x, {name: _like(runtime.part(g, pytrees.key(x, i, name)), v, constant)
                                  if _is_float(v, True) else constant for i, (name, v) in enumerate(pytrees.items(x))})
    if constant is not _PLAIN and not _is_float(x, True):  # inside a record: a constant item
        return constant
    if not isinstance(x, (tuple, list, dict)) and np.iscomplexobj(g) and not np.iscomplexobj(x):
        raise S2SADError("the derivative of a real value came out complex: a complex intermediate value went "
                         "through derivative rules written for real values (s2sad differentiates real values only)",
                         construct="complex value", hint=LIMITATIONS)
    if isinstance(x, (tuple, list, dict)):  # the gradient keeps the container's structure
        if isinstance(x, dict):
            return {k: _like(runtime.part(g, k), v, constant) for k, v in x.items()}
        return runtime.rebuild(x, [_like(runtime.part(g, i), v, constant) for i, v in enumerate(x)])
    if isinstance(x, float) and not isinstance(x, np.floating):
        return float(np.real(g)) if np.ndim(g) == 0 else float(np.sum(g))
    if isinstance(x, np.ndarray):
        g = np.asarray(g, dtype=x.dtype)
        return g if g.shape == x.shape else np.broadcast_to(g, x.shape).copy()
    if isinstance(x, (np.floating, np.complexfloating)):
        return type(x)(g)
    return g


def _check_record_derivative(g, x):
    """S2SADError unless g, the derivative of the record x, is one of its fields' (pytrees.py).

    A record the derivative's code did not know the class of (an item of a dict, one made in the
    function) and whose derivative went through a property, or through a field named like an array's
    attribute (`.T`, `.shape`) read as that attribute, gets another entry or an array: refused,
    never dropped."""
    keys = {pytrees.key(x, i, name) for i, (name, _) in enumerate(pytrees.items(x))}
    strange = sorted(map(str, set(g) - keys)) if isinstance(g, dict) else []
    scalar = isinstance(g, (int, float, complex, np.generic)) and g != 0
    if strange or isinstance(g, np.ndarray) or scalar:
        what = f"its attribute {strange[0]}" if strange else "an array attribute read from it"
        raise S2SADError(f"cannot differentiate with respect to the {type(x).__name__} {x!r:.60}: derivatives "
                         f"flowed through {what}, which is not one of its fields (a property, or a field named "
                         "like an array attribute, of an object whose class is known only when the code runs)",
                         construct=type(x).__name__, hint="pass the object itself as a parameter (its class is "
                         "then known), see docs/limitations.md")


def _bind(func, args, kwargs):
    """Every parameter's value, in order, defaults filled in."""
    try:
        bound = inspect.signature(func).bind(*args, **kwargs)
    except TypeError as exc:
        code = func.__code__
        raise S2SADError(f"{func.__name__}: {exc}", code.co_filename, code.co_firstlineno, "call") from None
    bound.apply_defaults()
    return bound.arguments


def _check_nested_records(func, name, x, top=True):
    """S2SADError for a record inside a container (or another record) with a float field named like an
    array attribute (`shape`, `T`, `real`): the derivative's code cannot know its class, so it would read
    `d["g"].shape` as the array attribute. A parameter's own record is known (pytrees.object_types)."""
    if pytrees.is_record(x):
        children = pytrees.items(x)
        for field, value in children if not top else ():
            if field in pytrees.ARRAY_ATTRIBUTES and _is_float(value, True):
                code = func.__code__
                raise S2SADError(f"cannot differentiate {func.__name__} with respect to {name!r}: it holds a "
                                 f"{type(x).__name__} whose field {field!r} is named like an array attribute, "
                                 "inside a container, where s2sad cannot tell the two apart",
                                 code.co_filename, code.co_firstlineno, "wrt",
                                 hint="rename the field, or pass the record as a parameter of its own; "
                                 "see docs/limitations.md")
    elif isinstance(x, dict):
        children = x.items()
    elif isinstance(x, (tuple, list)):
        children = enumerate(x)
    else:
        return
    for _, value in children:
        _check_nested_records(func, name, value, False)


def _check_float(func, names, values):
    for name in names:
        _check_nested_records(func, name, values[name])
        if not _is_float(values[name]):
            kind = type(values[name]).__name__
            if isinstance(values[name], np.ndarray):
                kind = f"array of {values[name].dtype}"
            raise S2SADError(
                f"cannot differentiate {func.__name__} with respect to {name!r}: it is {kind}, not float "
                f"(integers and booleans are never differentiated; pass {name}=float(...) to differentiate)",
                func.__code__.co_filename, func.__code__.co_firstlineno, "wrt")


def check_like(func, name, x, v, what, role="tangent"):
    """S2SADError unless v (a tangent, cotangent or vector for the value x) has x's structure and shape.

    A scalar is not broadcast to an array and a (2, 3) cotangent is not summed into a (3,) one:
    JAX's rule, since such a mismatch is a mistake more often than a shorthand."""
    where = (func.__code__.co_filename, func.__code__.co_firstlineno)
    if pytrees.is_record(x) and not pytrees.is_namedtuple(x):
        if type(v) is not type(x):
            raise S2SADError(f"{what}: the {role} for {name} must be a {type(x).__name__} like it, "
                             f"not {type(v).__name__}", *where, what)
        for field, value in pytrees.items(x):
            if _is_float(value):
                check_like(func, f"{name}.{field}", value, getattr(v, field), what, role)
        return
    if isinstance(x, dict):
        if not isinstance(v, dict) or set(v) != set(x):
            raise S2SADError(f"{what}: the {role} for {name} must be a dict with the keys {sorted(x)}", *where, what)
        for k in x:
            check_like(func, f"{name}[{k!r}]", x[k], v[k], what, role)
        return
    if isinstance(x, (tuple, list)):
        if not isinstance(v, (tuple, list)) or len(v) != len(x):
            raise S2SADError(f"{what}: the {role} for {name} must be a sequence of {len(x)} items, "
                             f"not {type(v).__name__}", *where, what)
        for k, (a, c) in enumerate(zip(x, v)):
            check_like(func, f"{name}[{k}]", a, c, what, role)
        return
    if not isinstance(x, (float, int, complex, np.number, np.ndarray)) or getattr(x, "dtype", None) == np.dtype(object):
        return  # a value of its own kind (runtime.Pieces): its tangent is not an array to check
    try:
        shape = type(v).__name__ if isinstance(v, dict) else np.shape(v)
    except ValueError:  # a ragged list
        shape = "ragged"
    if shape != np.shape(x):
        raise S2SADError(f"{what}: the {role} for {name} has shape {shape}, but {name} has shape "
                         f"{np.shape(x)}", *where, what)


def _single(wrt):
    return not isinstance(wrt, (tuple, list))


def _scalar_out(func, out):
    if isinstance(out, (tuple, list)):
        raise S2SADError(
            f"grad needs {func.__name__} to return a scalar, but it returned a {type(out).__name__} of {len(out)} "
            "items; if it returns (value, aux), pass has_aux=True, else use s2sad.vjp or s2sad.jacobian",
            func.__code__.co_filename, func.__code__.co_firstlineno, "grad")
    if np.ndim(out) != 0 or not (_is_float(out) or isinstance(out, (int, np.integer))):
        shape = np.shape(out) if not isinstance(out, (tuple, list, dict)) else type(out).__name__
        raise S2SADError(
            f"grad needs {func.__name__} to return a scalar, but it returned {shape}; use s2sad.vjp or s2sad.jacobian",
            func.__code__.co_filename, func.__code__.co_firstlineno, "grad")


# -- transforms ----------------------------------------------------------------------


_EVERY_LOOP = {}


def every_loop_checkpointed(f, snapshots):
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


def value_and_grad(f, wrt=0, has_aux=False, checkpoint=None, backend="numpy"):
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


def grad(f, wrt=0, has_aux=False, checkpoint=None, backend="numpy"):
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

    if backend == "array_api" and not has_aux:
        from . import scale

        return scale.grad_wrapper(f, wrt, with_value)

    backend_numba.check_backend(backend)
    func, obj = _method(f)
    if has_aux:
        code = getattr(entry(func), "__code__", None)
        raise S2SADError(f"has_aux=True is not run by backend={backend!r}; use backend='numpy'",
                         code and code.co_filename, code and code.co_firstlineno, "backend")
    if obj is not None:
        return functools.partial(backend_numba.grad_wrapper(func, _after_self(wrt), with_value), obj)
    return backend_numba.grad_wrapper(f, wrt, with_value)


def _aux_wrapper(f, wrt, with_value):
    """grad / value_and_grad of f returning (value, aux): the aux output carries no derivative.

    Reverse mode split in two (calls.py): the primal half runs, its output is checked to be a
    pair with a scalar value, then the adjoint half runs with the seed (1.0, 0.0). f runs once."""
    func = entry(f)
    names = driver.wrt_names(func, wrt)
    where = tuple(list(inspect.signature(func).parameters).index(n) for n in names)

    def wrapper(*args, **kwargs):
        values = _bind(func, args, kwargs)
        _check_float(func, names, values)
        compiled = driver.derivative(func, "split", names, receiver=_types(values))
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


def aux_pair(func, out):
    """(value, aux) from the output of a function given with has_aux=True, else S2SADError."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        kind = f"a {type(out).__name__} of {len(out)} items" if isinstance(out, (tuple, list)) else type(out).__name__
        raise S2SADError(f"has_aux=True needs {func.__name__} to return a pair (value, aux), but it returned {kind}",
                         func.__code__.co_filename, func.__code__.co_firstlineno, "has_aux")
    return out[0], out[1]


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
    """The wrapper function itself: one frame between the caller and the generated code."""
    func = entry(f)
    names = driver.wrt_names(func, wrt)
    by_type, lookup = _specializer(func, names, with_value)
    code = func.__code__
    count = code.co_argcount
    positional = not code.co_kwonlyargcount and not code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)
    where = tuple(list(inspect.signature(func).parameters).index(n) for n in names)
    first = where[0] if _single(wrt) else None

    def wrapper(*args, **kwargs):
        values = args if not kwargs and len(args) == count and positional else \
            tuple(_bind(func, args, kwargs).values())
        types = tuple(map(type, values))
        hit = by_type.get(types)
        if hit is not None and hit[0] == cache.epoch and hit[1] is func.__code__ \
                and (not hit[3] or driver.current(hit[3])):
            fn, valueless, floats = hit[2], hit[4], hit[5]  # floats: every wrt argument is a Python float
        else:
            (fn, valueless), floats = lookup(values, types), False
        try:
            if valueless:  # the output is proven a scalar: only the gradients (see _specializer)
                grads = fn(*values)
            else:
                out, grads = fn(*values)  # the seed out_bar defaults to 1.0
        except Exception as exc:
            failed = _NOTHING if valueless else output_at_failure(fn, exc)  # f's code never runs twice
            if failed is not _NOTHING:
                _scalar_out(func, failed)  # a non-scalar output explains the failure
            raise
        if not valueless and type(out) is not float:
            _scalar_out(func, out)
        if first is not None:
            shaped = grads if floats and type(grads) is float else _shaped(grads, values[first])
        elif floats and type(grads) is tuple and set(map(type, grads)) == _FLOAT_ONLY:
            shaped = grads
        else:
            shaped = tuple([g if type(g) is float and type(values[i]) is float else _shaped(g, values[i])
                            for g, i in zip((grads,) if len(where) == 1 else grads, where)])
        return (out, shaped) if with_value else shaped

    own_wrapper(functools.wraps(func)(wrapper))
    wrapper.__s2sad_generated__ = _generated(func, "reverse", names, with_value)
    if not with_value:
        wrapper.__s2sad_grad__ = (func, wrt)  # vmap(grad(f)) batches f itself (vmapping.per_example_gradients)
    return wrapper


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
        kinds = tuple(map(shapes.kind_of, values))
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


def _types(values):
    """The classes of the user's objects among the bound parameter values (a dict), for the driver."""
    return pytrees.object_types(list(values), list(values.values()))


_FLOAT_ONLY = {float}


def _kinds(func, values, seed_kind):
    """The kinds of the parameters' values, then the seed's kind, or None when not all parameters are positional."""
    code = func.__code__
    if code.co_kwonlyargcount or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return None
    return shapes.kinds_of(values) + (seed_kind,)


def _shaped(g, x):
    """_like(g, x), with the common cases that need no conversion answered first."""
    if type(g) is float and type(x) is float:
        return g
    if type(g) is np.ndarray and type(x) is np.ndarray and g.dtype == x.dtype and g.shape == x.shape:
        return g
    return _like(g, x)


def _generated(func, mode, names, with_value=False):
    """What a wrapper runs, as a plain generated function: differentiating the wrapper differentiates it.

    Compiled on first use (unwrap calls it), so making a wrapper stays cheap."""
    return lambda: driver.derivative(func, mode, names, with_value).function


def jvp(f, primals, tangents):
    """(f(*primals), the directional derivative along tangents), in one forward pass."""
    method, obj = _method(f)
    if obj is not None:  # the object is a constant: a record whose tangent is None is not differentiated
        return jvp(method, (obj, *primals), (None, *tangents))
    func = entry(f)
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise S2SADError(f"jvp got {len(primals)} primals but {len(tangents)} tangents", construct="jvp")
    values = _bind(func, primals, {})
    params = list(values)
    names, dots = [], []
    for name, x, t in zip(params, primals, tangents):
        if _is_float(x) and not (t is None and pytrees.is_record(x)):
            if t is not None:
                check_like(func, repr(name), x, t, "jvp")
            _check_nested_records(func, name, x)
            names.append(name)
            dots.append(_like(0.0 if t is None else t, x, 0.0))
        elif t is not None and np.any(np.asarray(t) != 0):
            raise S2SADError(f"jvp: {name!r} is not a float, so its tangent must be None or 0", construct="jvp")
    compiled = driver.derivative(func, "forward", tuple(names), receiver=_types(values))
    out, out_dot = compiled.function(*values.values(), *dots)
    return out, _tangent_like(out_dot, out)


def _tangent_like(t, out):
    if isinstance(out, (tuple, list)):
        return runtime.rebuild(out, [_tangent_like(runtime.part(t, i), o) for i, o in enumerate(out)])
    if isinstance(out, dict):
        return {k: _tangent_like(runtime.part(t, k), o) for k, o in out.items()}
    if isinstance(out, (int, np.integer)) and not isinstance(out, bool):
        return _like(t, float(out))
    return _like(t, out)


def vjp(f, *primals, has_aux=False, checkpoint=None):
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
        seed = (cotangent, 0.0) if has_aux else cotangent
        kinds = None if has_aux else _kinds(func, values.values(), shapes.kind_of(cotangent))
        compiled = driver.derivative(func, "reverse", names, kinds=kinds, receiver=_types(values))
        grads = compiled.function(*values.values(), seed) if names else ()
        grads = (grads,) if len(names) == 1 else grads
        by_name = dict(zip(names, grads))
        return tuple(_like(by_name[n], values[n]) if n in by_name else None for n in params[constant_self:])

    return (out, pullback, aux) if has_aux else (out, pullback)


def source(f, mode="reverse", wrt=None, stage="derivative", optimize=True, *, args=None, order=None):
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
    optimize = {"unoptimized": False, "optimized": True}.get(stage, optimize)
    modes = ("forward", "reverse") if mode == "both" else (mode,)
    compiled, heads = [], []
    for m in modes:
        if m == "reverse" and values is not None:  # what grad(f)(*args) runs, the very function
            by_kind = None if kinds is None else kinds[:-1]
            chosen = grad_mode(func, names, by_kind)
            where = [list(values).index(n) for n in names]
            kept = by_kind is not None and all(by_kind[i] is not None and by_kind[i][0] == "f" for i in where)
            valued = not kept or not _valueless(func, names, by_kind)
            compiled.append(_grad_variant(func, names, by_kind, valued) if optimize else
                            driver.derivative(func, chosen, names, chosen == "forward" or valued, False, kinds=kinds))
            heads.append(_header(func, compiled[-1].mode, names, values, by_kind, optimize))
        else:
            compiled.append(driver.derivative(func, m, names, optimized=optimize))
            heads.append(_header(func, m, names, None, None, optimize))
    return "\n\n".join([h + c.source for h, c in zip(heads, compiled)] + driver.callee_sources(compiled))


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


def differentiate(func=None, *, wrt=0, mode="reverse", checkpoint=None):
    """`@differentiate` or `@differentiate(wrt=..., mode=..., checkpoint=K)`."""
    if func is None:
        return lambda f: Differentiable(f, wrt, mode, checkpoint)
    return Differentiable(func, wrt, mode, checkpoint)
