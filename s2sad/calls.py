"""Subroutines: the derivatives of the user functions a differentiated function calls.

A call to a user's Python function is differentiated by generating that function's
own derivative and calling it, as a person would write `layer_jvp` next to `layer`:

* forward mode calls `g_jvp(params..., dots...)` and gets `(out, out_dot)`;
* reverse mode splits `g` in two. The primal sweep calls `g_fwd(params...)`, which
  returns `(out, record)`, the values g's own adjoint sweep will read; the caller keeps
  `record` like any other recorded value (on its tape inside loops). The adjoint sweep
  calls `g_bwd(record, out_bar)` for the cotangents of g's active arguments. So the
  callee's recorded values live on the caller's record, and nothing is recomputed.

The transforms ask a `Callees` object for these; the driver supplies how a derivative
is made (`derive`), so this module never reaches back into the pipeline. A helper
called from several places is generated once (the driver's cache).
"""

import functools
import inspect

import gast

from .callables import is_library
from .errors import S2SADError
from .parse import unwrap
from .partials import require_rule
from .shapes import kind_of

_RUNTIMES = {f"{__package__}.{name}" for name in
             ("runtime", "runtime_decomp", "runtime_misc", "runtime_scipy", "batched_runtime")}
_TRANSFORMS = {"s2sad.api", "s2sad.higher", "s2sad.jets", "s2sad.linearize", "s2sad.vmapping", "s2sad.batching"}

class Callees:
    """Derivatives of called user functions, made on demand and remembered as dependencies."""

    def __init__(self, derive, in_progress, resolver):
        self.derive = derive               # (func, mode, wrt names, receiver) -> Compiled
        self.in_progress = in_progress     # code objects this thread is transforming right now
        self.resolver = resolver           # the caller's names
        self.dependencies = []             # (lookup, dotted name, code): checked before a cached derivative is reused
        self.dispatch = Dispatch(derive)
        self.exact = False                 # the caller selects (partials.selects): so must its callees' derivatives

    def target(self, site):
        """The plain Python function a "function" site calls, or None when it has no source."""
        func = unwrap(site.prim)
        if getattr(func, "__s2sad_opaque__", False):
            return None
        if getattr(func, "__module__", None) in _RUNTIMES:
            return None  # s2sad's own helpers are never read from source: they have rules, or are refused
        return func if inspect.isfunction(func) and not is_library(func) else None  # library code needs a rule

    def bind(self, func, site, where):
        """{parameter name: argument atom} for the call, the way Python would bind it."""
        if any(isinstance(a, gast.Starred) for a in site.args) or None in site.keywords:
            raise where.error(f"*args or **kwargs in a call to {site.label} (write the arguments out)",
                              construct="star-args")
        signature = inspect.signature(func)
        try:
            bound = signature.bind_partial(*site.args, **site.keywords)
        except TypeError as exc:
            raise where.error(f"the call to {site.label} does not match its signature: {exc}",
                              construct=site.label) from None
        for name, param in signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise where.error(f"{site.label} takes *args or **kwargs, which s2sad does not differentiate",
                                  construct=site.label)
            if name not in bound.arguments and param.default is inspect.Parameter.empty:
                raise where.error(f"the call to {site.label} misses the argument {name!r}", construct=site.label)
        return dict(bound.arguments)

    def compiled_call(self, site, where, is_active, mode, kinds_at=None):
        """(function, {parameter: atom}, the active parameters, its derivative) for a call derivatives flow into.

        `kinds_at(bound) -> ({parameter: kind}, output kind) or None`: the kinds the caller knows at this
        call, to which the callee's derivative is specialized (shapes.py). Refused, at the call's line,
        when the callee has neither Python source nor a rule."""
        func = self.target(site)
        if func is None:
            require_rule(site, where)
        if getattr(func, "__module__", None) in _TRANSFORMS:  # s2sad.jvp(h, ...) inside: never read s2sad's source
            raise where.error(f"{site.label}, an s2sad transform, called on values derivatives flow through: inside a "
                              "function being differentiated only s2sad.grad(h)(...) and s2sad.value_and_grad(h)(...) "
                              "are differentiated (write the derivative with those, or differentiate h directly)",
                              construct=site.label)
        half = getattr(func, "__s2sad_reversible_half__", None)
        if half is not None:  # reversing.py: run-time code, not to be differentiated again
            raise S2SADError("a reversible loop is reversed at run time: its gradient cannot be differentiated "
                             "again (hessian, hvp, reverse over reverse)", half.filename, half.line,
                             "reversible loop", "use s2sad.checkpointed(range(n), snapshots=K) for higher derivatives")
        bound = self.bind(func, site, where)
        wrt = [p for p, atom in bound.items() if is_active(atom)]
        return func, bound, wrt, self.derivative(func, mode, wrt, where, site, _kinds(func, kinds_at, bound))

    def derivative(self, func, mode, wrt, where, site, kinds=None):
        # by identity: the same text in two modules is two functions, not recursion
        if any(code is func.__code__ for code in self.in_progress):
            compiled = Recursive(self.derive, func, mode, tuple(wrt), self.receiver(func, site), self.exact)
        elif kinds is not None:
            compiled = self.derive(func, mode, tuple(wrt), self.receiver(func, site), self.exact, kinds=kinds)
        else:
            compiled = self.derive(func, mode, tuple(wrt), self.receiver(func, site), self.exact)
        named = getattr(func, "__s2sad_complex_of__", func)  # a complex variant (complex_values.py): the named one
        for dependency in [(self.resolver.lookup_path, site.label, named.__code__), *compiled.dependencies]:
            if dependency not in self.dependencies:  # each is checked on every cached call: keep them once
                self.dependencies.append(dependency)
        return compiled

    def receiver(self, func, site):
        """(self parameter, its class) when func is a method called on an object of a known class; with
        the caller's parameters that hold the user's objects passed on (`helper(model, x)`, pytrees.py),
        a tuple of such pairs (driver.receivers)."""
        pairs = self.passed_objects(func, site)
        qualname = func.__qualname__.split(".")
        if len(qualname) < 2 or qualname[-2] == "<locals>" or not site.args:
            return pairs or None
        first = site.args[0]
        cls = self.resolver.type_of(first.id) if isinstance(first, gast.Name) else None
        if cls is None or getattr(cls, func.__name__, None) is not func:
            return pairs or None
        own = (parameters(func)[0], cls)
        rest = tuple(p for p in pairs if p[0] != own[0])
        return ((own,) + rest) if rest else own

    def passed_objects(self, func, site):
        """((parameter, class), ...) for the callee's parameters given a name whose class the caller knows
        from its own arguments (resolver.types), so that `model(x)` in the callee resolves too."""
        atoms = list(zip(parameters(func), site.args)) + list(site.keywords.items())
        return tuple((p, self.resolver.types[a.id]) for p, a in atoms
                     if isinstance(a, gast.Name) and a.id in self.resolver.types)


def _kinds(func, kinds_at, bound):
    """One kind per parameter of func, then the output's (shapes.infer's `kinds`), or None.

    A parameter the call leaves to its default is unknown (None) unless the default is a number."""
    known = kinds_at(bound) if kinds_at is not None else None
    if known is None:
        return None
    by_param, out = known
    kinds = []
    for name, param in inspect.signature(func).parameters.items():
        if param.kind not in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            return None
        default = param.default if isinstance(param.default, (int, float)) else None
        kinds.append(by_param[name] if name in by_param else kind_of(default) if default is not None else None)
    return tuple(kinds) + (out,)


def _opaque(method):
    """Mark a run-time helper s2sad must not try to differentiate through its source."""
    method.__s2sad_opaque__ = True
    return method


class Dispatch:
    """Calls of methods of objects the function makes itself (`box = Box(w); box.scaled(x)`).

    The object's class is known only when the call runs, so the generated code asks here,
    at run time, for the derivative of `type(obj).method` (made once per class, then cached).
    """

    def __init__(self, derive):
        self.derive = derive

    def method(self, obj, name):
        func = getattr(type(obj), name, None)
        if not inspect.isfunction(func):
            from .errors import S2SADError
            raise S2SADError(f"cannot differentiate the method {type(obj).__name__}.{name}: it has no Python source",
                             construct=f".{name}()", hint="give it a rule with s2sad.custom_vjp")
        return func, (parameters(func)[0], type(obj))

    @_opaque
    def method_jvp(self, obj, name, args, tangents):
        """(out, out_dot) of obj.name(*args) along tangents (None where an argument carries none)."""
        func, receiver = self.method(obj, name)
        params = parameters(func)[1:]
        wrt = tuple(p for p, t in zip(params, tangents) if t is not None)
        compiled = self.derive(func, "forward", wrt, receiver)
        dots = dict(zip(tangent_names(compiled, parameters(func)), [t for t in tangents if t is not None]))
        return compiled.function(obj, *args, **dots)

    @_opaque
    def method_fwd(self, obj, name, args, active):
        """(out, record) of obj.name(*args), for method_bwd."""
        func, receiver = self.method(obj, name)
        wrt = tuple(p for p, a in zip(parameters(func)[1:], active) if a)
        compiled = self.derive(func, "reverse", wrt, receiver)
        out, record = compiled.function(obj, *args)
        return out, (compiled.backward, record, len(wrt))

    @_opaque
    def method_bwd(self, kept, out_bar):
        """The cotangents of the active arguments, always as a tuple."""
        backward, record, count = kept
        grads = backward(record, out_bar)
        return (grads,) if count == 1 else grads


class Recursive:
    """The derivative of a function that is being generated right now: a recursive call (`power` calling
    `power`, or `even` calling `odd` calling `even`).

    It cannot be compiled before its own source is finished, and needs not be: its generated
    functions are looked up when they first run (the driver's cache has them by then), so the
    derivative recurses exactly as deep as the primal does, each level with its own record. Stands
    in for the driver's Compiled: `function` (and `backward` in reverse mode) are plain functions
    named as the generated ones are; forward mode passes tangents under names of its own
    (`tangent_params`), renamed to the generated function's on the way in."""

    dependencies = ()

    def __init__(self, derive, func, mode, wrt, receiver, exact):
        self.wrt, self.mode = wrt, mode
        self.tangent_params = tuple(f"_s2sad_dot_{i}" for i in range(len(wrt)))
        made = []

        def compiled():
            if not made:
                made.append(derive(func, mode, wrt, receiver, exact))
            return made[0]

        def renamed(arguments):
            real = compiled()
            theirs = tangent_names(real, [p for p in arguments if p not in self.tangent_params])
            for mine, their in zip(self.tangent_params, theirs):
                arguments[their] = arguments.pop(mine)
            return arguments

        forward_like = mode == "forward" or mode.startswith("jet:")  # tangents or series after the parameters
        if forward_like:
            def function(**arguments):
                return compiled().function(**renamed(arguments))
        else:
            def function(**arguments):
                return compiled().function(**arguments)

        cells = []  # the generated callers' cells that hold `backward` (emit.load adds them)

        def backward(record, g):
            # the callers' cells get the real backward half: this frame would hold the record while it runs
            real = compiled().backward
            for cell in cells:
                cell.cell_contents = real
            cells.clear()
            return real(record, g)
        backward.__s2sad_cells__ = cells

        base = variant_name(func, wrt)
        first = "jet" if mode.startswith("jet:") else "jvp" if mode == "forward" else "fwd"
        for fn, suffix, kind in ((function, first, "function"),
                                 (backward, "bwd", "backward")):
            fn.__name__ = fn.__qualname__ = f"{base}_{suffix}"
            # read back for a higher derivative: parse.unwrap follows this to the generated function
            fn.__s2sad_generated__ = functools.partial(_generated_half, compiled, kind)
        self.function, self.backward = function, backward


def variant_name(func, wrt, name=None):
    """`dense_by_W_b` for the derivative of dense with respect to W and b only (`dense` for all its
    parameters): one name per variant, so a module holding several (`s2sad dump -o`) has no clashes."""
    name = name or func.__name__
    if list(wrt) == parameters(func):
        return name
    return f"{name}_by_{'_'.join(wrt)}" if wrt else f"{name}_by_nothing"


def tangent_names(compiled, params):
    """The names of a generated JVP's tangent parameters (they follow the primal ones)."""
    if hasattr(compiled, "tangent_params"):
        return compiled.tangent_params
    code = compiled.function.__code__
    names = code.co_varnames[: code.co_argcount]
    return names[len(params):]


def parameters(func):
    return list(inspect.signature(func).parameters)


def _generated_half(compiled, kind):
    """The generated function (or backward half) a callee's variant stands for, read when needed."""
    return getattr(compiled(), kind)
