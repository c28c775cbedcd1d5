"""Which array library the arguments belong to, and the generated code rebound to run on it.

A generated derivative is ordinary NumPy code: it and the runtime helpers it calls read the
module-level name `np`. Most of it already runs on other libraries' arrays through NumPy's own
dispatch (NEP 13/18: `np.sin(dask_array)` is a Dask array), but not all: `np.zeros(shape)`
makes a NumPy array, `np.add.at` writes in place, and on JAX `np.sin(jax_array)` silently
returns a NumPy array. So for a non-NumPy library the generated function and every runtime
helper it reaches are copied with their globals rebound: each name bound to the numpy module
now names a `Namespace` of the argument's library (`dask.array`, `cupy`, `jax.numpy`), whose
`add.at` is the scatter-add of runtime_scatter.py. NumPy arguments never come here.

Detection needs the array API standard's adapter (`array_api_compat`), imported only when a
non-NumPy array is met: without it such an argument is refused, saying what to install.

On JAX, a NumPy function that reaches a JAX array converts it silently (`np.sin(jax_array)` is a
NumPy array). The rebound generated code reads every NumPy function through the namespace,
also those the user's module imported by name (`from numpy import sin`); a call that leaves
NumPy's reach (the user's own helpers, `math`, `scipy`...) is guarded: a NumPy array out of a
call that took a JAX array in raises `Converted`, which scale.py turns into an S2SADError
naming the generated line.
"""

import sys
import types

import numpy as np

from . import runtime_lazy, runtime_scatter
from .errors import S2SADError

# the functions that make an array from no array (or convert one: np.asarray would compute a Dask array)
_CREATORS = frozenset(("zeros", "ones", "empty", "full", "arange", "eye", "identity", "linspace", "asarray", "array",
                       "asanyarray", "ascontiguousarray", "add", "broadcast_to"))
_NUMPY_LIKE = {"dask": "dask.array", "cupy": "cupy", "jax": "jax.numpy"}


_FOREIGN = ("dask", "cupy", "jax", "jaxlib")


def backend_of(values):
    """"numpy" when every value is NumPy's (or a Python number, or not an array), else the library
    ("dask", "cupy", "jax") of the non-NumPy arrays; mixing two such libraries is refused."""
    found = set()
    for v in values:
        root = type(v).__module__.split(".")[0]
        if root in _FOREIGN:
            if hasattr(v, "shape") and hasattr(v, "dtype"):  # an array (a Dask delayed value is not)
                _require_compat(root)
                found.add(runtime_scatter.library_of(v))
        elif root not in ("numpy", "builtins") and hasattr(v, "__array_namespace__"):
            found.add(_standard_name(v))
    if len(found) > 1:
        raise S2SADError(f"arguments from several array libraries ({', '.join(sorted(found))}): s2sad runs a "
                         "derivative on one", None, None, "backend")
    return found.pop() if found else "numpy"


def foreign(values):
    """backend_of(values) where a value's class (or, inside a dict, list or tuple, a leaf's) comes
    from Dask, JAX or CuPy, else None (NumPy's, a number, an object): cheap, for the slow path of
    every call that is not all NumPy arrays and numbers."""
    for v in values:
        if type(v).__module__.partition(".")[0] in _FOREIGN \
                or type(v) in (dict, list, tuple) and foreign(v.values() if type(v) is dict else v) is not None:
            found = backend_of(tuple(leaves(values)))
            return None if found == "numpy" else found
    return None


def leaves(values):
    """values, with the items of dicts, lists and tuples in place of the containers (recursively)."""
    for v in values:
        if type(v) in (dict, list, tuple):
            yield from leaves(v.values() if type(v) is dict else v)
        else:
            yield v


def _require_compat(root):
    """array_api_compat, or an S2SADError saying what to install to run on root's arrays."""
    try:
        import array_api_compat
    except ImportError:
        extra = {"dask": "dask", "jax": "jax", "jaxlib": "jax"}.get(root)
        also = f" (or pip install 's2sad[{extra}]')" if extra else ""
        raise S2SADError(f"an argument is a {root.replace('lib', '')} array: running a derivative on it needs "
                         f"the array API adapter array-api-compat: pip install array-api-compat{also}; or pass "
                         "NumPy arrays", None, None, "backend") from None
    return array_api_compat


def _standard_name(v):
    array_api_compat = _require_compat(type(v).__module__.split(".")[0])

    return array_api_compat.array_namespace(v).__name__.split(".")[0]


class Namespace(types.ModuleType):
    """The numpy module as the generated code sees it, for one library: its functions where it has
    them; else NumPy's, where NumPy's dispatch hands the call to the library (not for JAX, whose
    arrays NumPy converts silently: a missing function is refused)."""

    def __init__(self, backend):
        super().__init__(f"s2sad_{backend}_numpy")
        self.backend = backend
        self.module = _import(_NUMPY_LIKE[backend])
        self.add = _AddUfunc(np.add, self.module.add)
        self.ndarray = _array_class(backend)

    def __getattr__(self, name):
        if name in _SHAPES:
            return _SHAPES[name]
        if self.backend != "jax" and name not in _CREATORS and hasattr(np, name):
            return getattr(np, name)  # NumPy's dispatch (NEP 13/18) hands the call to the library's arrays
        if hasattr(self.module, name):
            return getattr(self.module, name)
        raise S2SADError(f"np.{name} has no {self.backend} counterpart: the derivative cannot run on "
                         f"{self.backend} arrays", None, None, f"np.{name}")


class _AddUfunc:
    """`np.add` whose `.at(target, index, values)` (an in-place scatter-add) writes the functional
    scatter-add's result back into target where the library can (Dask, CuPy) and is refused on JAX."""

    def __init__(self, numpy_add, own_add):
        self._own = own_add

    def __call__(self, *args, **kwargs):
        return self._own(*args, **kwargs)

    def at(self, target, index, values):
        if runtime_scatter.library_of(target) == "jax":
            raise S2SADError("an in-place scatter-add (np.add.at) cannot run on JAX arrays, which are immutable",
                             None, None, "np.add.at")
        target[...] = runtime_scatter.scatter_add(target, index, values)


def _array_class(backend):
    """A class that NumPy's arrays and the library's (JAX's tracers included) are instances of:
    `isinstance(x, np.ndarray)` in a rebound helper then means "an array" (an `is np.ndarray` test
    does not: runtime_lazy.py replaces the helpers that make one)."""
    module, name = _ARRAY_CLASSES[backend]
    kinds = (np.ndarray, getattr(_import(module), name))

    class _Meta(type):
        def __instancecheck__(cls, x):
            return isinstance(x, kinds)

    return _Meta("ndarray", (), {})


_ARRAY_CLASSES = {"dask": ("dask.array", "Array"), "jax": ("jax", "Array"), "cupy": ("cupy", "ndarray")}


def _import(name):
    __import__(name)
    return sys.modules[name]


def _size(x, axis=None):
    """np.size from the shape alone (Dask does not implement np.size: NumPy's would compute x)."""
    shape = np.shape(x) if isinstance(x, (float, int, complex, np.generic, np.ndarray)) else tuple(x.shape)
    return int(np.prod(shape, dtype=np.int64)) if axis is None else shape[axis]


def _shape(x):
    return np.shape(x) if isinstance(x, (float, int, complex, np.generic, np.ndarray, list, tuple)) else tuple(x.shape)


def _ndim(x):
    return len(_shape(x))


_SHAPES = {"size": _size, "shape": _shape, "ndim": _ndim}
_NAMESPACES = {}
_REBOUND = {}


def namespace(backend):
    """The Namespace for backend, made once."""
    if backend not in _NAMESPACES:
        _NAMESPACES[backend] = Namespace(backend)
    return _NAMESPACES[backend]


def rebind(fn, backend):
    """A copy of the generated function fn (and, recursively, of the s2sad runtime helpers it reads
    from its cells and globals) in which the numpy module is `namespace(backend)`.

    The runtime helpers' copies are made once per backend (their modules do not change); the
    generated functions' are made per call, since their globals are the user's module's, which
    may have changed since (a copy kept would read yesterday's constants)."""
    return _copy(fn, namespace(backend), {})


def _copy(fn, ns, seen):
    if not fn.__code__.co_filename.startswith("<s2sad"):
        seen = _REBOUND.setdefault(ns.backend, {})  # a runtime helper: kept
    if id(fn) in seen:
        return seen[id(fn)]
    scope = {}
    olds = fn.__closure__ or ()
    cells = tuple(types.CellType() if _filled(c) else c for c in olds)  # filled below: a helper may reach fn again
    copy = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, cells or None)
    copy.__kwdefaults__ = fn.__kwdefaults__
    copy.__dict__.update(fn.__dict__)
    seen[id(fn)] = copy
    own = fn.__module__ == "s2sad.runtime_lazy"  # its globals name runtime's helpers it wraps: not overridden
    guard = ns.backend == "jax" and fn.__code__.co_filename.startswith("<s2sad")  # the user's names it reads
    scope.update({k: _swap(v, ns, seen, not own, guard) for k, v in fn.__globals__.items()})
    for old, cell in zip(olds, cells):
        if old is not cell:
            cell.cell_contents = _swap(old.cell_contents, ns, seen, True, guard)
    return copy


def _filled(cell):
    try:
        cell.cell_contents  # noqa: B018 (reading an empty cell raises)
    except ValueError:
        return False
    return True


def _swap(v, ns, seen, override=True, guard=False):
    """What a global or cell holding v holds in the rebound copy (guard: one the generated code of a
    JAX derivative reads, see `_guarded`)."""
    if v is np:
        return ns
    if isinstance(v, types.FunctionType) and _is_runtime(v):
        if override and v.__module__.startswith("s2sad.runtime") and v.__module__ != "s2sad.runtime_lazy" \
                and v.__name__ in runtime_lazy.OVERRIDES:  # runtime.py, or the family module it moved to
            v = runtime_lazy.OVERRIDES[v.__name__]
        return _copy(v, ns, seen)
    return _guarded(v, ns) if guard else v


class Converted(Exception):
    """A call in a JAX derivative took a JAX array and returned a NumPy one: NumPy converted it silently."""

    def __init__(self, callee):
        super().__init__(f"{callee} returned a NumPy array for a JAX array argument")
        self.callee = callee


def _guarded(v, ns):
    """What a user's name read by JAX-bound generated code becomes: a NumPy function (`from numpy
    import sin`) or submodule (`import numpy.linalg as la`) the namespace's own; a module or a
    function beyond NumPy's reach (math, scipy, the user's helpers) wrapped by `_guard`."""
    if isinstance(v, types.ModuleType):
        name = v.__name__
        if name.startswith("numpy.") and name.count(".") == 1 and hasattr(ns.module, name[6:]):
            return getattr(ns.module, name[6:])
        return v if name.split(".")[0] in ("s2sad", "jax", "jaxlib", "numpy") else _GuardedModule(v, ns)
    if not isinstance(v, (types.FunctionType, types.BuiltinFunctionType, np.ufunc)) or _is_runtime_like(v):
        return v  # a class, a value, a callable object (its attributes stay readable): as it is
    name = getattr(v, "__name__", None)
    if isinstance(name, str) and getattr(np, name, None) is v and hasattr(ns.module, name):
        return getattr(ns.module, name)
    return _guard(v)


def _is_runtime_like(v):
    module = getattr(v, "__module__", None) or ""
    return module.split(".")[0] in ("s2sad", "jax", "jaxlib", "builtins")


def _guard(fn):
    """fn, raising Converted where it returns a NumPy array for a JAX array argument."""
    def guarded(*args, **kwargs):
        out = fn(*args, **kwargs)
        outs = out if isinstance(out, tuple) else (out,)
        if any(isinstance(o, (np.ndarray, np.generic)) for o in outs) and _any_jax(args + tuple(kwargs.values())):
            raise Converted(getattr(fn, "__qualname__", repr(fn)))
        return out

    guarded.__name__ = guarded.__qualname__ = getattr(fn, "__name__", "guarded")
    guarded.__s2sad_guarded__ = fn
    return guarded


def _any_jax(values):
    for v in values:
        if type(v).__module__.split(".")[0] in ("jax", "jaxlib"):
            return True
        if isinstance(v, (list, tuple)) and _any_jax(v):
            return True
    return False


class _GuardedModule(types.ModuleType):
    """A module beyond NumPy's reach (math, scipy.special) as JAX-bound generated code sees it: its
    functions guarded (`_guard`), its submodules too."""

    def __init__(self, module, ns):
        super().__init__(module.__name__)
        self._module, self._ns = module, ns

    def __getattr__(self, name):
        return _guarded(getattr(self._module, name), self._ns)


def _is_runtime(fn):
    """A function s2sad generated (its code's file is `<s2sad ...>`) or a runtime helper (an s2sad module's)."""
    module = getattr(fn, "__module__", None) or ""
    if module == "s2sad.runtime_scatter":
        return False  # dispatches on the array's library itself
    return fn.__code__.co_filename.startswith("<s2sad") or module == "s2sad" or module.startswith("s2sad.runtime") \
        or module.startswith("s2sad.batched_runtime")
