"""What the transforms accept as f: any callable the API names, as a plain Python function.

`grad`, `jvp`, `hessian`... read the source of a Python function. Other callables are
turned into one (a *shim*, a one-line function whose source sits in `linecache`, as
custom.py's trampolines do), so everything downstream keeps working on functions:

* `functools.partial(f, 2.0, a=1.0)`: `def f_partial(y, *, a=1.0): return f(_arg0, y, a=a)`;
  the bound values are constants, the remaining parameters are differentiated;
* a callable object: `def Model_call(x): return _call(_self, x)`, its class's `__call__`
  with the object as a constant `self`;
* a NumPy ufunc, a `math` function, any primitive with a derivative rule:
  `def sin(x): return _prim(x)`, differentiated by its rule.

Refused with S2SADError: a class, a builtin or library function without a rule (`len`,
a SciPy function: library code is never differentiated from its source, see
`is_library`), a function hidden behind someone else's decorator whose wrapper takes
`*args` (it cannot be read through), and anything else that is not callable Python.
"""

import functools
import inspect
import itertools
import linecache
import math
import os
import sys
import sysconfig

import numpy as np

from . import registry
from .errors import S2SADError
from .parse import SAME_VALUE_WRAPPERS, foreign_wrapper, unwrap

_HINT = "see docs/limitations.md"
_COUNTER = itertools.count(1)
_PRIMITIVES = {}  # primitive -> its shim, made once


def entry(f):
    """The plain Python function the transforms differentiate for the callable f."""
    if getattr(f, "__name__", None) == "__call__" and callable(getattr(f, "__self__", None)) \
            and not inspect.ismethod(f):  # `obj.__call__` of a C-level callable (a partial's): obj itself
        f = f.__self__
    if isinstance(f, functools.partial):
        return _partial_shim(f)
    if inspect.isclass(f):
        raise S2SADError(f"cannot differentiate the class {f.__qualname__}: differentiate a function or a method",
                         construct="class", hint=_HINT)
    if foreign_wrapper(f):
        _check_wrapper(f)
    if inspect.isfunction(f) and f.__dict__.get("__s2sad_owner__") is f and not hasattr(f, "__s2sad_generated__"):
        raise S2SADError(f"{f.__qualname__} is a function s2sad made (a hessian, a jacobian, or a grad with has_aux) "
                         "whose code is not generated source, so it cannot be differentiated again",
                         construct="transform", hint="differentiate the function it was made from, or use "
                         "s2sad.grad / s2sad.jvp (whose results can be)")
    if inspect.isfunction(f) or inspect.ismethod(f) or _s2sad_object(f):
        func = unwrap(f)
        if inspect.isfunction(func) and not is_library(func):
            return func
        f = func
    if registry.lookup(f) is not None:
        return _primitive_shim(f)
    if inspect.isfunction(f):  # library code without a rule
        raise S2SADError(f"{_name(f)} is library code ({f.__code__.co_filename}) with no derivative rule; s2sad "
                         "differentiates only your own Python source", construct=_name(f),
                         hint=f"give it rules with s2sad.custom_vjp({_name(f)}) and .defvjp(fwd, bwd)")
    call = getattr(type(f), "__call__", None)  # noqa: B004 (the class's own __call__, not callable(f))
    if inspect.isfunction(call) and not isinstance(f, type):
        return _object_shim(f, call)
    raise S2SADError(f"cannot differentiate {_name(f)}: it is not a Python function, a method, a partial, a callable "
                     "object or a primitive with a derivative rule", construct=_name(f),
                     hint="give it rules with s2sad.custom_vjp")


def _s2sad_object(f):
    """An s2sad decorator, transform or custom function, or a wrapper returning its function's values."""
    return any(hasattr(f, a) for a in ("__s2sad_wrapped__", "__s2sad_generated__")) or \
        isinstance(f, SAME_VALUE_WRAPPERS)


def _name(f):
    module = getattr(f, "__module__", None)
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None)
    if name is None:
        return repr(f)
    return f"{module}.{name}" if module and module != "builtins" else name


def _check_wrapper(f):
    """A wrapper made with functools.wraps is differentiated as written; one taking *args cannot be read."""
    code = f.__code__
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        raise S2SADError(
            f"{f.__qualname__} is a wrapper made by a decorator (functools.wraps around "
            f"{getattr(f.__wrapped__, '__qualname__', '?')}); s2sad differentiates what the wrapper computes, and "
            "cannot read through its *args / **kwargs", code.co_filename, code.co_firstlineno, "decorator",
            "give the wrapper named parameters, or, if the decorator does not change the value, differentiate "
            "f.__wrapped__")


# -- library code --------------------------------------------------------------------------


@functools.cache
def _library_roots():
    paths = sysconfig.get_paths()
    roots = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots |= {os.path.dirname(os.__file__), os.path.dirname(np.__file__)}
    roots |= {p for p in sys.path if p.rstrip(os.sep).endswith(("site-packages", "dist-packages"))}
    return tuple(sorted(os.path.realpath(r) + os.sep for r in roots if r))


def is_library(func):
    """Whether func's code lives in the standard library or an installed package, not in the user's files.

    Such code (NumPy's, SciPy's) is never differentiated from its source: it needs a rule."""
    filename = func.__code__.co_filename
    if filename.startswith("<"):
        return False
    return _in_library(filename)


@functools.lru_cache(maxsize=4096)
def _in_library(filename):
    """Whether a file lies under a library root (remembered: a realpath per call cost ~5 us per transform call)."""
    return os.path.realpath(filename).startswith(_library_roots())


# -- shims ---------------------------------------------------------------------------------


def _identifier(name, fallback):
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in (name or "")).strip("_")
    return name if name.isidentifier() and name[0] != "_" else fallback


def _shim(title, params, call, namespace):
    """`def title(params): return call`, compiled with namespace as its globals, source in linecache."""
    source = f"def {title}({', '.join(params)}):\n    return {call}\n"
    filename = f"<s2sad shim {title} #{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[title]


def _parameters(signature, what):
    """(parameter texts, arguments of the call) for a shim with this signature; defaults as globals."""
    params, args, defaults, keyword_only = [], [], {}, False
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise S2SADError(f"{what} takes *args or **kwargs, which s2sad does not differentiate",
                             construct=what, hint="wrap it in a def with named parameters")
        if p.kind == p.KEYWORD_ONLY and not keyword_only:
            params.append("*")
            keyword_only = True
        text = p.name
        if p.default is not p.empty and _literal(p.default):
            text += f"={p.default!r}"  # reads as the user wrote it (`s2sad.source` shows the signature)
        elif p.default is not p.empty:
            defaults[f"_default_{p.name}"] = p.default
            text += f"=_default_{p.name}"
        params.append(text)
        args.append(f"{p.name}={p.name}" if p.kind == p.KEYWORD_ONLY else p.name)
    return params, args, defaults


def _literal(value):
    """Whether repr(value) spells value back exactly (a number, a string, None, a bool)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (bool, int, str))


def _spelled(prim):
    """(call text, namespace) naming prim as people write it: `np.sin`, `math.exp`, else `_prim`."""
    name = getattr(prim, "__name__", "")
    for alias, module in (("np", np), ("math", math)):
        if name.isidentifier() and getattr(module, name, None) is prim:
            return f"{alias}.{name}", {alias: module}
    return "_prim", {"_prim": prim}


def _partial_shim(p):
    """`def f_partial(<what p leaves open>): return f(<p's arguments>, <those>)`."""
    title = _identifier(getattr(p.func, "__name__", ""), "f") + "_partial"
    try:
        signature = inspect.signature(p)
    except (TypeError, ValueError):
        raise S2SADError(f"cannot read the parameters left open by {p!r}", construct="partial", hint=_HINT) from None
    params, args, namespace = _parameters(signature, title)
    bound = [f"_arg{i}" for i in range(len(p.args))]
    namespace.update(zip(bound, p.args))
    func = entry(p.func)
    name = func.__name__ if func.__name__.isidentifier() and func.__name__ not in signature.parameters \
        and not func.__name__.startswith("_") else "_func"
    namespace[name] = func
    keywords = {n: v for n, v in p.keywords.items() if n not in signature.parameters}
    for k, (name, value) in enumerate(keywords.items()):  # bound keywords the signature no longer lists
        namespace[f"_keyword{k}"] = value
        args.append(f"{name}=_keyword{k}")
    return _shim(title, params, f"{name}({', '.join(bound + args)})", namespace)


def _object_shim(obj, call):
    """`def Cls_call(<__call__'s parameters after self>): return _call(_self, ...)`."""
    title = _identifier(type(obj).__name__, "object") + "_call"
    params, args, namespace = _parameters(inspect.signature(obj), title)
    namespace.update(_call=call, _self=obj)
    return _shim(title, params, f"_call({', '.join(['_self'] + args)})", namespace)


def _primitive_shim(prim):
    """`def sin(x): return _prim(x)` for a primitive with a rule (made once per primitive)."""
    try:
        hit = _PRIMITIVES.get(prim)
    except TypeError:
        hit = None
    if hit is not None:
        return hit
    rule = registry.lookup(prim)
    if rule.kind == "nondiff" or not rule.wrt or rule.varargs:
        raise S2SADError(f"{_name(prim)} has no derivative (it is not differentiable, or takes a variable number "
                         "of arguments)", construct=_name(prim), hint="differentiate a function that calls it")
    required = [n for n in rule.params if n not in rule.defaults]
    optional = [n for n in rule.params if n in rule.defaults and n != "out"]  # out= writes: never through a shim
    spelled, namespace = _spelled(prim)
    params = list(required)
    for n in optional:
        if _literal(rule.defaults[n]):
            params.append(f"{n}={rule.defaults[n]!r}")
        else:
            namespace[f"_default_{n}"] = rule.defaults[n]
            params.append(f"{n}=_default_{n}")
    call = f"{spelled}({', '.join(required + [f'{n}={n}' for n in optional])})"
    shim = _shim(_identifier(getattr(prim, "__name__", ""), "primitive"), params, call, namespace)
    try:
        _PRIMITIVES[prim] = shim
    except TypeError:
        pass
    return shim


def first_output(func):
    """`def f_value(<func's parameters>): return _func(...)[0]`: the value of a function returning (value, aux)."""
    title = _identifier(func.__name__, "f") + "_value"
    params, args, namespace = _parameters(inspect.signature(func), title)
    namespace["_func"] = func
    return _shim(title, params, f"_func({', '.join(args)})[0]", namespace)



def dict_items(func, keys):
    """`def f_items(<func's parameters>): out = _func(...); return (out[k1], out[k2], ...)`: the values of a
    function returning a dict, as a tuple in the order of keys (a Jacobian of a dict output, keyed back)."""
    title = _identifier(func.__name__, "f") + "_items"
    params, args, namespace = _parameters(inspect.signature(func), title)
    namespace["_func"] = func
    picks = ", ".join(f"_out[{k!r}]" for k in keys)
    source = f"def {title}({', '.join(params)}):\n    _out = _func({', '.join(args)})\n    return ({picks},)\n"
    filename = f"<s2sad shim {title} #{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[title]
