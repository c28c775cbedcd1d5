"""User-defined derivative rules: `custom_vjp`, `custom_jvp` and `stop_gradient`, in JAX's shape.

    @s2sad.custom_vjp
    def f(x, y): ...
    def f_fwd(x, y): return f(x, y), residuals      # (out, residuals)
    def f_bwd(residuals, g): return x_bar, y_bar     # one cotangent per parameter (None: zero)
    f.defvjp(f_fwd, f_bwd)

    @s2sad.custom_jvp
    def f(x, y): ...
    @f.defjvp
    def f_jvp(primals, tangents): return f(*primals), out_dot

The object returned behaves like f. It carries a derivative rule of kind "custom" (found by
`registry.lookup`, so it needs no entry in the library's table) that both transforms use
wherever f is called, in loops and branches alike. The rule's templates are generated per
function and call `custom_tangent` / `custom_cotangent` below, which call the user's rules
when the derivative runs, so `defvjp` / `defjvp` may come after the decorator.

Residuals: reverse mode keeps nothing on the tape for a custom call. The adjoint sweep runs
`fwd` again to get the residuals, then `bwd`, once for each argument that carries a
derivative. `fwd` and `bwd` should therefore be pure functions of their arguments.

One object can hold both rules (`f.defvjp(...)` and `f.defjvp(...)`). With only a VJP,
forward mode refuses f when the derivative is built; with only a JVP, reverse mode stops with
an S2SADError when it reaches f (transposing a user's JVP is not attempted).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import keyword
import linecache
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import runtime
from .errors import S2SADError
from .registry import Rule, nondiff

_HINT = "see docs/custom_rules.md"


def custom_vjp(fun: Callable[..., Any]) -> CustomFunction:
    """fun with a reverse-mode rule to come: `fun.defvjp(fwd, bwd)`."""
    return CustomFunction(fun, "custom_vjp")


def custom_jvp(fun: Callable[..., Any]) -> CustomFunction:
    """fun with a forward-mode rule to come: `fun.defjvp(jvp)`."""
    return CustomFunction(fun, "custom_jvp")


def stop_gradient(x: Any) -> Any:
    """x itself, through which no derivative flows in either mode."""
    return x


nondiff(stop_gradient)


@dataclass
class UserRule(Rule):
    """A custom function's rule. Its templates name parameters `arg0, arg1, ...`, so no user
    parameter name can clash with the names templates reserve (`ans`, the cotangent, globals);
    `keyword_names` maps the user's names to them for calls that pass arguments by keyword."""

    keyword_names: dict = field(default_factory=dict)
    pure: bool = False  # a user's function may have effects: the optimizer never drops or shares a call

    def bind(self, args, keywords):
        return super().bind(args, {self.keyword_names.get(k, k): v for k, v in keywords.items()})


class CustomFunction:
    """A function with user-defined derivative rules; calling it calls the function."""

    def __init__(self, fun, decorator):
        if not callable(fun):
            raise S2SADError(f"{decorator} expects a function, not {fun!r}", construct=decorator)
        functools.update_wrapper(self, fun)
        self.__qualname__ = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or "fn"
        self.__name__ = getattr(fun, "__name__", None) or self.__qualname__
        self.fun = fun
        self.decorator = decorator
        self.fwd = self.bwd = self.jvp_rule = None
        names, defaults = _parameters(fun, decorator)
        self.parameters = names
        self.__s2sad_rule__, self._jvp_template = _rule(self, names, defaults)
        self.__s2sad_wrapped__ = _trampoline(self, names, defaults)  # what s2sad.grad(f) reads

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def __repr__(self):
        return f"<{self.decorator} {self.__qualname__}>"

    def defvjp(self, fwd, bwd):
        """fwd(*args) -> (out, residuals); bwd(residuals, g) -> a tuple with one cotangent per parameter."""
        if not (callable(fwd) and callable(bwd)):
            raise S2SADError(f"{self.__qualname__}.defvjp(fwd, bwd) needs two functions", construct="defvjp")
        self.fwd, self.bwd = fwd, bwd

    def defjvp(self, jvp):
        """jvp(primals, tangents) -> (out, out_tangent); returns jvp, so it works as a decorator."""
        if not callable(jvp):
            raise S2SADError(f"{self.__qualname__}.defjvp(jvp) needs a function", construct="defjvp")
        self.jvp_rule = jvp
        self.__s2sad_rule__.jvp = self._jvp_template
        return jvp

    def where(self):
        """The user's file and line of the function, for messages raised while a derivative runs."""
        code = getattr(self.fun, "__code__", None)
        return (code.co_filename, code.co_firstlineno) if code else (None, None)

    def error(self, message, hint=_HINT):
        return S2SADError(message, *self.where(), construct=self.__qualname__, hint=hint)


# -- what generated code calls ---------------------------------------------------------------------


def custom_cotangent(fn, i, g, args):
    """The cotangent of argument i of fn(*args) given the output's g: fwd runs again for the residuals."""
    if fn.bwd is None:
        raise fn.error(f"{fn.__qualname__} has a custom_jvp rule but reverse mode needs a custom_vjp rule",
                       hint=f"give it one with {fn.__name__}.defvjp(fwd, bwd), {_HINT}")
    _, residuals = _pair(fn, fn.fwd(*args), "fwd", "(out, residuals)")
    cotangents = fn.bwd(residuals, g)
    if not isinstance(cotangents, (tuple, list)) or len(cotangents) != len(args):
        raise fn.error(f"the bwd rule of {fn.__qualname__} must return a tuple of {len(args)} cotangent(s), "
                       f"one per parameter {fn.parameters}, not {_describe(cotangents)}")
    # a tuple's cotangent as runtime.Parts: two of them (the argument used twice) add, not concatenate
    return as_parts(_checked(fn, cotangents[i], args[i], f"cotangent of {fn.parameters[i]!r} from bwd"))


def as_parts(g):
    """A container's cotangent as Parts, nested ones too, so that it adds to another item by item.
    A rule that hands back a tuple cotangent would otherwise meet `+` with another tuple: concatenation."""
    if isinstance(g, dict):
        return runtime.Parts({k: as_parts(v) for k, v in g.items()})
    if isinstance(g, (list, tuple)):
        return runtime.Parts({k: as_parts(v) for k, v in enumerate(g)})
    return g


def custom_tangent(fn, primals, tangents):
    """The tangent of fn(*primals) from the user's jvp; arguments without a tangent get zeros."""
    tangents = tuple(_zero(p) if t is None else t for p, t in zip(primals, tangents))
    out, out_dot = _pair(fn, fn.jvp_rule(primals, tangents), "jvp", "(out, out_tangent)")
    return _checked(fn, out_dot, out, "output tangent from jvp", broadcast=True)


def _pair(fn, result, which, shape):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise fn.error(f"the {which} rule of {fn.__qualname__} must return a pair {shape}, not {_describe(result)}")
    return result


def _zero(primal):
    if isinstance(primal, (float, int, np.number, np.ndarray, list, tuple, dict)) and not isinstance(primal, bool):
        return runtime.zeros_like(primal)
    return None  # a string, a function, ...: nothing a tangent could be


def _checked(fn, value, like, what, broadcast=False):
    """value, which must have like's shape (a missing one, None, is zero)."""
    if value is None:
        return runtime.zeros_like(like)
    if not _is_numeric(like) or not _is_numeric(value):
        return value  # containers: their structure is the user's business
    if np.shape(value) != np.shape(like):
        if broadcast and np.ndim(value) == 0:
            return runtime.broadcast_like(value, like)
        raise fn.error(f"the {what} of {fn.__qualname__} has shape {np.shape(value)}, "
                       f"but it must have the shape {np.shape(like)} of its primal")
    return value


def _is_numeric(x):
    return isinstance(x, (float, int, np.number, np.ndarray))


def _describe(value):
    return f"{type(value).__name__} {value!r}"[:80]


# -- the rule and its templates -------------------------------------------------------------------

_COUNTER = itertools.count(1)


def _parameters(fun, decorator):
    """fun's parameter names and literal defaults; a ufunc's inputs are x1, x2, ..."""
    label = getattr(fun, "__qualname__", None) or repr(fun)
    if isinstance(fun, np.ufunc):
        return tuple(f"x{i + 1}" for i in range(fun.nin)), {}
    try:
        signature = inspect.signature(fun)
    except (TypeError, ValueError):
        raise S2SADError(f"{decorator} cannot read the parameters of {label}", construct=decorator,
                         hint=f"wrap it in a def with named parameters and decorate that, {_HINT}") from None
    names, defaults = [], {}
    for param in signature.parameters.values():
        if param.kind not in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            raise S2SADError(f"{decorator} needs {label} to list its parameters one by one "
                             f"(not *args, **kwargs or keyword-only {param.name!r})", construct=decorator, hint=_HINT)
        if param.default is not param.empty:
            if not _is_literal(param.default):
                raise S2SADError(f"the default of {param.name!r} in {label} must be None, a number, a string, "
                                 "a bool or a tuple of them", construct=decorator, hint=_HINT)
            defaults[param.name] = param.default
        names.append(param.name)
    return tuple(names), defaults


def _is_literal(value):
    if isinstance(value, tuple):
        return all(_is_literal(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def _spell(value):
    """Python source for a literal default (repr, except for the floats repr cannot spell back)."""
    if isinstance(value, tuple):
        return "(" + "".join(_spell(v) + ", " for v in value) + ")"
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    return repr(value)


def _identifier(name, taken, fallback):
    name = name if name.isidentifier() and not keyword.iskeyword(name) else fallback
    while name in taken:
        name += "_"
    return name


def _rule(fn, names, defaults):
    """The UserRule of fn (reverse template included) and its forward template (set by defjvp)."""
    args = [f"arg{i}" for i in range(len(names))]
    dots = [f"{a}_dot" for a in args]
    me = _identifier(getattr(fn, "__name__", ""), set(args) | set(dots) | {"cotangent"}, "fn")
    packed = "(" + "".join(a + ", " for a in args) + ")"
    cotangents = ", ".join(f"custom_cotangent({me}, {i}, cotangent, {packed})" for i in range(len(args)))
    source = (f"def vjp(cotangent, {', '.join(args)}):\n    return {cotangents or 'None'}\n\n\n"
              f"def jvp({', '.join(dots + args)}):\n"
              f"    return custom_tangent({me}, {packed}, ({''.join(d + ', ' for d in dots)}))\n")
    space = _execute(source, f"rules of {fn.__qualname__}",
                     {me: fn, "custom_cotangent": custom_cotangent, "custom_tangent": custom_tangent})
    internal = dict(zip(names, args))
    rule = UserRule(fn, "custom" if args else "nondiff", tuple(args), {internal[k]: v for k, v in defaults.items()},
                    tuple(args), None, space["vjp"], name=f"{getattr(fn, '__module__', '')}.{fn.__qualname__}",
                    keyword_names=internal)
    return rule, space["jvp"]


def _trampoline(fn, names, defaults):
    """`def f(x, y=2.0): return f(x, y)` calling the custom function: s2sad.grad(f) differentiates this."""
    me = _identifier(getattr(fn, "__name__", ""), set(names), "fn")
    title = _identifier(getattr(fn, "__name__", ""), set(), "fn")
    params = ", ".join(n + (f"={_spell(defaults[n])}" if n in defaults else "") for n in names)
    source = f"def {title}({params}):\n    return {me}({', '.join(names)})\n"
    space = _execute(source, f"{fn.__qualname__} as s2sad sees it", {})
    trampoline = space.pop(title)
    space[me] = fn
    trampoline.__qualname__ = fn.__qualname__
    return trampoline


def _execute(source, title, namespace):
    """Run generated source in namespace, registered in linecache so inspect.getsource can read it."""
    filename = f"<s2sad {title} #{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace
