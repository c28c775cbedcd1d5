"""Values in and out of the public transforms: which arguments are differentiated, and results
shaped like the inputs they belong to (a gradient has its input's type, shape and dtype).

Shared by api.py, gradcall.py and the other transforms of the face (higher, jets, linearize...)."""

import inspect

import numpy as np

from . import pytrees, runtime, shapes
from .errors import LIMITATIONS, S2SADError


def _is_float(x, mixed=False):
    """Whether x is differentiated: a float, a float array, a container of them, or a record (and,
    `mixed`, a container inside a record) holding one, whose other fields are constants."""
    if isinstance(x, bool):
        return False
    if isinstance(x, (float, complex, np.floating, np.complexfloating)):
        return True
    if isinstance(x, np.ndarray):
        return np.issubdtype(x.dtype, np.inexact)
    if type(x).__module__.partition(".")[0] in _OTHER_ARRAYS and hasattr(x, "dtype"):
        _refuse_other_array(x)
    if pytrees.is_record(x):  # a namedtuple, dataclass or object: its float fields are differentiated
        return any(_is_float(value, True) for _, value in pytrees.items(x))
    if isinstance(x, (tuple, list, dict)):  # a container of floats (params = {"W": ..., "b": ...})
        items = list(x.values()) if isinstance(x, dict) else x
        return bool(items) and (any if mixed else all)(_is_float(item, mixed) for item in items)
    return False


_OTHER_ARRAYS = ("dask", "jax", "jaxlib", "cupy")


def _refuse_other_array(x):
    """A Dask, JAX or CuPy array reached a transform that runs on NumPy arrays only: taken for a
    constant, it would give a silently wrong derivative (grad, value_and_grad, vjp and jvp send
    such arguments to scale.py before they get here)."""
    library = type(x).__module__.partition(".")[0].replace("jaxlib", "jax")
    raise S2SADError(f"an argument is a {library} array: grad, value_and_grad, vjp and jvp run on {library} "
                     "arrays (docs/scale-out.md), this transform on NumPy arrays only; pass np.asarray(x)",
                     construct=f"{library} array")


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
    if isinstance(x, complex) and not isinstance(x, np.complexfloating):
        return complex(g) if np.ndim(g) == 0 else complex(np.sum(g))
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
    if np.iscomplexobj(out) and np.ndim(out) == 0:
        from .complex_io import check_real_output
        check_real_output(func, out)
    if np.ndim(out) != 0 or not (_is_float(out) or isinstance(out, (int, np.integer))):
        shape = np.shape(out) if not isinstance(out, (tuple, list, dict)) else type(out).__name__
        raise S2SADError(
            f"grad needs {func.__name__} to return a scalar, but it returned {shape}; use s2sad.vjp or s2sad.jacobian",
            func.__code__.co_filename, func.__code__.co_firstlineno, "grad")


def aux_pair(func, out):
    """(value, aux) from the output of a function given with has_aux=True, else S2SADError."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        kind = f"a {type(out).__name__} of {len(out)} items" if isinstance(out, (tuple, list)) else type(out).__name__
        raise S2SADError(f"has_aux=True needs {func.__name__} to return a pair (value, aux), but it returned {kind}",
                         func.__code__.co_filename, func.__code__.co_firstlineno, "has_aux")
    return out[0], out[1]


def _types(values):
    """The classes of the user's objects among the bound parameter values (a dict), for the driver."""
    return pytrees.object_types(list(values), list(values.values()))


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


def _tangent_like(t, out):
    if isinstance(out, (tuple, list)):
        return runtime.rebuild(out, [_tangent_like(runtime.part(t, i), o) for i, o in enumerate(out)])
    if isinstance(out, dict):
        return {k: _tangent_like(runtime.part(t, k), o) for k, o in out.items()}
    if isinstance(out, (int, np.integer)) and not isinstance(out, bool):
        return _like(t, float(out))
    return _like(t, out)
