"""Records as pytrees: namedtuples, dataclass instances and plain objects holding arrays as attributes.

A record is differentiated field by field, as JAX flattens a pytree: its fields that hold floats
(arrays, floats, or containers and records of them) are differentiated, the others (ints,
strings, bools, functions) are constants. Its gradient is a record of the same type whose
float fields hold their gradients and whose other fields hold None: a namedtuple is remade with
`_make`, a dataclass or an object is a shallow copy whose attributes are replaced (so a frozen
dataclass and a class whose `__init__` takes other arguments work too).

Inside the differentiated function, reading `p.w` is the primitive `runtime.field` (resolve.py),
whose cotangent `Parts({"w": g})` (a namedtuple's by position) is read back here with
`runtime.part`. The classes of the records the function receives are passed to the driver
(`object_types`), so a call `model(x)` or `model.predict(x)` resolves to the class's method.

Example::

    P = namedtuple("P", "w b n")
    grad(lambda p, x: np.sum(p.w * x) * p.b)(P(w, 2.0, 3), x)  ->  P(w=2.0 * x, b=np.sum(w * x), n=None)
"""

import copy
import dataclasses
import types

import numpy as np

_NOT_RECORDS = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                np.ndarray, np.generic, np.ufunc, str, bytes, int, float, complex, list, dict, set, frozenset)


# an array's attributes that are values, not methods: `p.shape` of a record whose class the derivative's
# code does not know (in a dict, made in the function) reads as the array's (api._check_nested_records)
ARRAY_ATTRIBUTES = frozenset(n for n in dir(np.ndarray)
                             if not n.startswith("_") and not callable(getattr(np.ndarray, n)))


def is_namedtuple(x):
    return isinstance(x, tuple) and isinstance(getattr(type(x), "_fields", None), tuple)


def is_record(x):
    """Whether x is a namedtuple, a dataclass instance or an object with attributes (a `__dict__`)."""
    if isinstance(x, tuple):
        return is_namedtuple(x)
    if x is None or isinstance(x, _NOT_RECORDS):
        return False
    if dataclasses.is_dataclass(x):
        return True
    return isinstance(getattr(x, "__dict__", None), dict)


def items(x):
    """(field name, value) pairs of a record, in order (a dataclass's fields, an object's attributes)."""
    if is_namedtuple(x):
        return list(zip(type(x)._fields, x))
    if dataclasses.is_dataclass(x):
        return [(f.name, getattr(x, f.name)) for f in dataclasses.fields(x) if hasattr(x, f.name)]
    return list(vars(x).items())


def key(x, position, name):
    """The key a cotangent of x has for the field `name` (`runtime.field_adjoint`): a namedtuple's position."""
    return position if is_namedtuple(x) else name


def remake(x, values):
    """A record of x's type holding values (a dict from field name to value)."""
    if is_namedtuple(x):
        return type(x)._make(values[name] for name in type(x)._fields)
    made = copy.copy(x)
    for name, value in values.items():
        object.__setattr__(made, name, value)  # a frozen dataclass too
    return made


def object_types(params, values):
    """((parameter, class), ...) for the parameters holding records, so that the derivative resolves
    `model(x)`, `model.predict(x)`, a property `model.norm` and a field named like an array's
    attribute (`params.shape`) by the class (driver.receivers); None when there is none."""
    pairs = tuple((name, type(value)) for name, value in zip(params, values) if is_record(value))
    return pairs or None
