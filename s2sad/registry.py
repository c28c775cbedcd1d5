"""The derivative rules table: one entry per primitive, both modes side by side.

A rule is runnable Python. Its templates are plain functions whose single `return`
expression is inlined into generated code with the call's own arguments substituted,
so a rule can be called directly in a test and read at a glance. Every entry names
the parameters it differentiates (one partial each), so an inactive argument emits no
code, and the forward and reverse rules of a primitive are registered together.

Named shapes cover most primitives:

* `elementwise`: give the partial derivatives; JVP is `x_dot * dfdx`, VJP is
  `unbroadcast(g * dfdx, x)`.
* `linear`: the JVP is the primitive applied to the tangent; give the VJP.
* `bilinear`: f(a, b, ...) linear in a for b fixed and in b for a fixed (products, convolutions): give
  the two runtime helpers that compute a's and b's cotangents; both modes, the rules of the two
  helpers (for derivatives of derivatives) and jet's rule come from them.
* `vjp` + `jvp`: anything else, one template for each mode.
* `nondiff`: no derivative; the result is never active.

The entry is the only home of a primitive's facts. Besides its templates it holds what the other
stages read, each set by the family declaration and overridable by keyword on the decorator:

* `pure`: a call computes a value from its arguments and touches nothing else, so the optimizer may
  remove or share it (`optimize.effects`). Default True; helpers with effects say `pure=False`.
* `batched`: how batched forward mode pushes B tangents through it (`batching`): the name of a
  batch-aware form in `BATCHED_FORMS`, or a runtime twin `("batch_x", "g", ...)`; else the family's:
  "elementwise" (the tangent lifted past the batch axis), "columns" (one column at a time, by loop),
  "none" (no derivative).
* `shape`: how the shape analysis (`shapes`) finds the result's kind from the arguments' kinds, one of
  `SHAPE_KINDS`; the default comes from the primitive (a ufunc broadcasts, `math` gives a scalar).
* `taylor`: how Taylor mode (`taylor`, `s2sad.jet`) carries a series through it: a recurrence of
  `runtime_taylor*.py`, called `(ans, x, x_ser[, y, y_ser])`, or one of `TAYLOR_FORMS`; the family's
  default: "coefficientwise" (linear: the primitive applied to each coefficient), "bilinear" (Leibniz's
  rule over the primitive), "derived" (elementwise in one argument: from its derivative template), "none"
  (no derivative), "refused" (jet has no rule for it and says so: general rules unless they name one).
* test inputs: `domain` and `shapes` (or `@case` functions in tests/rule_inputs*.py for calls that
  need more); tests/test_rules.py fails for a rule with neither.
"""

import inspect
import itertools
import linecache
import operator
import sys
from dataclasses import dataclass, field

import gast
import numpy as np

RULES = {}
COMPLEX_VARIANTS = {}  # primitive -> its rule for a complex operand (abs, real, conj...: rules/numpy_fft.py)


@dataclass
class Rule:
    """How to differentiate one primitive."""

    primitive: object
    kind: str                      # "elementwise" | "linear" | "bilinear" | "general" | "nondiff"
    params: tuple = ()             # the primitive's parameter names, as the templates spell them
    defaults: dict = field(default_factory=dict)
    wrt: tuple = ()                # the parameters derivatives flow through
    jvp: object = None             # template function (or the partials for "elementwise")
    vjp: object = None
    domain: str = "real"           # where test inputs are drawn: see docs/rules.md
    shapes: tuple = ()             # example input shapes for the generated rule tests
    name: str = ""
    varargs: str = ""              # a `*name` parameter of the templates: gets the remaining arguments as a tuple
    fwd: object = None             # reverse mode's split: fwd(args) -> (ans, record), see `residuals`
    bwd: dict = field(default_factory=dict)  # active wrt parameters (a tuple) -> bwd(record, g)
    pure: bool = True              # no effect beyond its value: the optimizer may drop or share a call
    batched: object = None         # batched forward mode's form (see BATCHED_FORMS); None: the family's
    shape: str = ""                # shape analysis's rule (see SHAPE_KINDS); "": the primitive's default
    complex_safe: bool = False     # right on complex values under JAX's convention (docs/complex.md)
    taylor: object = None          # Taylor mode's rule: a runtime_taylor recurrence or one of TAYLOR_FORMS

    def __post_init__(self):
        if self.batched is None:
            self.batched = _FAMILY_BATCHED.get(self.kind, "columns")  # "custom": a user's rule, by loop
        if not self.shape:
            self.shape = default_shape(self.primitive)
        if self.taylor is None:
            self.taylor = _FAMILY_TAYLOR.get(self.kind, "refused")
            if self.kind == "elementwise" and len(self.params) == 1 and not self.varargs:
                self.taylor = "derived"
        if module_of(self.primitive).startswith("numpy.random"):
            self.pure = False  # draws change the generator's state

    def bind(self, args, keywords):
        """Map the call's positional and keyword argument nodes to parameter names."""
        fixed = list(self.params[: self.params.index(self.varargs)]) if self.varargs else list(self.params)
        bound = dict(zip(fixed, args))
        if self.varargs:
            bound[self.varargs] = gast.Tuple(elts=list(args[len(fixed):]), ctx=gast.Load())
        bound.update(keywords)
        for param in self.params:
            bound.setdefault(param, self.defaults.get(param, _MISSING))
        return bound


_MISSING = object()

# Batched forward mode's batch-aware forms (s2sad/batching.py builds each); a rule names one with
# `batched=`, or gives a runtime twin linear in its first parameter as ("batch_name", "param", ...).
BATCHED_FORMS = frozenset(("elementwise", "columns", "none", "getitem", "sum", "mean", "transpose",
                           "product", "reshape", "unary", "identity", "scatter_add"))
_FAMILY_BATCHED = {"elementwise": "elementwise", "linear": "columns", "bilinear": "columns", "general": "columns",
                   "nondiff": "none"}
# Taylor mode's forms (s2sad/taylor.py builds each); an entry names one with `taylor=`, or a recurrence.
TAYLOR_FORMS = frozenset(("coefficientwise", "bilinear", "derived", "sum", "difference", "clip", "none",
                          "refused"))
_FAMILY_TAYLOR = {"linear": "coefficientwise", "bilinear": "bilinear", "nondiff": "none"}  # others: "refused"
# The shape analysis's rules (s2sad/shapes.py): "broadcast" (a ufunc: the operands' broadcast shape),
# "scalar" (math: a number from numbers), "same" (one argument, its kind), "scalar_pair" (max/min of two
# numbers), "float" (float(x)), "total" (a reduction of everything), "matmul", "unknown".
SHAPE_KINDS = frozenset(("broadcast", "scalar", "same", "scalar_pair", "float", "total", "matmul", "unknown"))


def default_shape(prim):
    """The shape rule a primitive gets unless its entry says otherwise (also for primitives with no rule)."""
    if isinstance(prim, np.ufunc) and prim.nout == 1:
        return "broadcast"
    return "scalar" if getattr(prim, "__module__", None) == "math" else "unknown"


def _facts(rule, pure, batched, shape, taylor=None):
    """Set the facts a decorator was given on one rule entry."""
    if taylor is not None:
        rule.taylor = taylor
    if pure is not None:
        rule.pure = pure
    if batched is not None:
        rule.batched = batched
    if shape:
        rule.shape = shape
    return rule


def _signature(fn, skip):
    """Parameter names after the first `skip` ones (the cotangent or tangents), `ans` left out."""
    sig = inspect.signature(fn)
    params = [p for p in list(sig.parameters.values())[skip:] if p.name != "ans"]
    defaults = {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}
    return tuple(p.name for p in params), defaults


def _varargs(fn):
    """The name of fn's `*args` parameter, or ""."""
    return next((p.name for p in inspect.signature(fn).parameters.values() if p.kind == p.VAR_POSITIONAL), "")


def module_of(prim):
    """The module prim comes from, "" if unknown. NumPy 2.0 (what Python 3.9 gets) leaves its
    ufuncs without `__module__`; they count as "numpy" so rule names and purity do not depend on
    the NumPy version."""
    module = getattr(prim, "__module__", None)
    if not module and isinstance(prim, np.ufunc):
        special = sys.modules.get("scipy.special")  # SciPy's ufuncs have no __module__ either
        if special is not None and getattr(special, prim.__name__, None) is prim:
            return "scipy.special"
        return "numpy"
    return module or ""


def _label(prim):
    module = module_of(prim)
    qual = getattr(prim, "__qualname__", None) or getattr(prim, "__name__", repr(prim))
    return f"{module}.{qual}" if module and module != "builtins" else qual


def _register(prims, make):
    for prim in prims:
        RULES[prim] = make(prim)


def elementwise(*prims, domain="real", shapes=(), pure=None, batched=None, shape="", taylor=None):
    """Register `partials(x, y, ..., ans=...)` returning one partial derivative per argument.

    `pure`, `batched`, `shape`, `taylor`: the entry's facts where the family's default is not right (see above)."""
    def register(partials):
        params, defaults = _signature(partials, skip=0)
        _register(prims, lambda p: _facts(Rule(p, "elementwise", params, defaults, params, partials, partials,
                                               domain, shapes, _label(p), _varargs(partials)), pure, batched, shape,
                                          taylor))
        return partials
    return register


def linear(*prims, wrt=None, domain="real", shapes=(), pure=None, batched=None, shape="", taylor=None):
    """Register `vjp(g, x, ...)` for primitives linear in `wrt` (default: the first parameter).

    The first parameter of every VJP template is the cotangent, whatever its name.
    """
    def register(vjp_template):
        params, defaults = _signature(vjp_template, skip=1)
        diff = tuple(wrt) if isinstance(wrt, (tuple, list)) else ((wrt,) if wrt else params[:1])
        _register(prims, lambda p: _facts(Rule(p, "linear", params, defaults, diff, None, vjp_template, domain,
                                               shapes, _label(p), _varargs(vjp_template)), pure, batched, shape,
                                          taylor))
        return vjp_template
    return register


def vjp(*prims, wrt=None, domain="real", shapes=(), pure=None, batched=None, shape="", taylor=None):
    """Register `vjp(g, ans, x, y, ...)` returning one cotangent per parameter in wrt."""
    def register(template):
        params, defaults = _signature(template, skip=1)
        diff = tuple(wrt) if wrt else tuple(p for p in params if p not in defaults)
        for prim in prims:
            old = RULES.get(prim)
            RULES[prim] = _facts(Rule(prim, "general", params, defaults, diff, old.jvp if old else None, template,
                                      domain, shapes, _label(prim), _varargs(template)), pure, batched, shape,
                                     taylor)
        return template
    return register


def bilinear(*prims, adjoints, domain="real", shapes=(), pure=None, batched=None, shape="", adjoint_rules=True):
    """Register primitives f(a, b, *rest) bilinear in a and b by their adjoints, two runtime helpers
    `adjoint_a(g, a, b, *rest)` and `adjoint_b(g, a, b, *rest)` giving a's and b's cotangents for f's
    cotangent g (the helpers' signatures name the parameters). Everything else follows from bilinearity:

    * JVP: f(a_dot, b, *rest) + f(a, b_dot, *rest); VJP: adjoint_a(g, ...), adjoint_b(g, ...);
    * each adjoint's own rule (a second derivative differentiates them): adjoint_a is bilinear in g and b,
      its transposes f(ct, b, *rest) and adjoint_b(g, ct, b, *rest); likewise adjoint_b;
    * jet's rule: Leibniz's rule over f itself (taylor.py);
    * test inputs of the adjoints: (f's output, a, b) shaped from `shapes`.

    f is written as the first primitive (`np.dot` for `np.ndarray.dot` too); `operator.matmul` as `@`.
    `adjoint_rules=False`: the adjoints' entries are another declaration's (the same helpers shared).
    The shape rule defaults to "unknown": a bilinear ufunc is a generalized one (matmul, vecdot), whose
    result does not have its operands' broadcast shape."""
    if not prims:  # a function this NumPy lacks
        return
    adjoint_a, adjoint_b = adjoints
    params, defaults = _signature(adjoint_a, skip=1)
    if _signature(adjoint_b, skip=1) != (params, defaults) or {"g", "ct", "ans"} & set(params):
        raise ValueError(f"the adjoints of {_label(prims[0])} must take (g, a, b, ...) alike")
    made = _bilinear_templates(prims[0], adjoint_a, adjoint_b, params, sys._getframe(1).f_globals["__name__"])
    for prim in prims:
        RULES[prim] = _facts(Rule(prim, "bilinear", params, defaults, params[:2], made["jvp"], made["vjp"], domain,
                                  shapes, _label(prim)), pure, batched, shape or "unknown")
    if not adjoint_rules:
        return
    helper_shapes = _adjoint_shapes(prims[0], shapes)
    for helper, side, wrt in ((adjoint_a, "a", ("g", params[1])), (adjoint_b, "b", ("g", params[0]))):
        RULES[helper] = Rule(helper, "bilinear", ("g", *params), defaults, wrt, made[f"{side}_jvp"],
                             made[f"{side}_vjp"], shapes=helper_shapes, name=_label(helper))


_GENERATED = itertools.count()


def _bilinear_templates(prim, adjoint_a, adjoint_b, params, module):
    """The six templates of a bilinear family (see `bilinear`), as source registered in linecache so the
    template reader (templates.py) parses them as it does a hand-written rule; `module`: the rules module
    that declared it, as theirs."""
    from .runtime import broadcast_like  # the templates' one helper besides f and the adjoints

    a, b, *rest = params
    tail = "".join(f", {p}={p}" for p in rest)  # by keyword: a ufunc's third positional is `out`
    namespace = {"broadcast_like": broadcast_like, adjoint_a.__name__: adjoint_a, adjoint_b.__name__: adjoint_b}
    if prim is operator.matmul:
        def f(x, y):
            return f"{x} @ {y}"
    else:
        spelled = _spelling(prim, namespace)

        def f(x, y):
            return f"{spelled}({x}, {y}{tail})"
    A, B, sig = adjoint_a.__name__, adjoint_b.__name__, ", ".join(params)
    source = f"""
def vjp(g, ans, {sig}):
    "Bilinear: the cotangents are {A} and {B}."
    return {A}(g, {a}, {b}{tail}), {B}(g, {a}, {b}{tail})
def jvp({a}_dot, {b}_dot, ans, {sig}):
    return {f(f"{a}_dot", b)}, {f(a, f"{b}_dot")}
def a_vjp(ct, ans, g, {sig}):
    return {f(f"broadcast_like(ct, {a})", b)}, {B}(g, broadcast_like(ct, {a}), {b}{tail})
def a_jvp(g_dot, {b}_dot, ans, g, {sig}):
    return {A}(g_dot, {a}, {b}{tail}), {A}(g, {a}, {b}_dot{tail})
def b_vjp(ct, ans, g, {sig}):
    return {f(a, f"broadcast_like(ct, {b})")}, {A}(g, {a}, broadcast_like(ct, {b}){tail})
def b_jvp(g_dot, {a}_dot, ans, g, {sig}):
    return {B}(g_dot, {a}, {b}{tail}), {B}(g, {a}_dot, {b}{tail})
"""
    filename = f"<s2sad bilinear rules of {_label(prim)} #{next(_GENERATED)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace["__name__"] = module
    exec(compile(source, filename, "exec"), namespace)
    for side in ("a_vjp", "a_jvp", "b_vjp", "b_jvp"):  # the adjoints' rules: listed with the runtime helpers'
        namespace[side].__module__ = "s2sad.rules.runtime_rules"
    return namespace


def _spelling(prim, namespace):
    """How generated code writes a call of prim: `np.name` for NumPy's own, else its name, bound in namespace."""
    name = prim.__name__
    if getattr(np, name, None) is prim:
        namespace["np"] = np
        return f"np.{name}"
    namespace[name] = prim
    return name


def _adjoint_shapes(prim, shapes):
    """(f's output, a, b) shapes for the adjoints' tests, from f's own test shapes (none without them)."""
    if len(shapes) != 2:
        return ()
    out = prim(np.ones(shapes[0]), np.ones(shapes[1]))
    return (np.shape(out), tuple(shapes[0]), tuple(shapes[1]))


def jvp(*prims):
    """Register `jvp(x_dot, y_dot, ..., ans, x, y, ...)` returning one tangent term per wrt parameter.

    Use after `vjp` for the same primitives, which declares the parameters.
    """
    def register(template):
        for prim in prims:
            RULES[prim].jvp = template
        return template
    return register


def residuals(*prims, fwd, bwd):
    """Reverse mode through a split, as for a user function: the primal sweep runs `fwd(args)` ->
    `(ans, record)` and keeps the record (a factorization, say); the adjoint sweep runs
    `bwd[active](record, g)` -> the cotangent of the one active parameter, or a tuple of them.
    `bwd` maps each supported tuple of active parameters to its function; another activity, and
    forward mode, use the plain templates. fwd and bwd must be plain functions whose source
    s2sad can differentiate (a second derivative differentiates the generated code again)."""
    for prim in prims:
        RULES[prim].fwd, RULES[prim].bwd = fwd, dict(bwd)


def nondiff(*prims, pure=None, shape=""):
    """Primitives whose results carry no derivative (integers, booleans, indices, shapes)."""
    _register(prims, lambda p: _facts(Rule(p, "nondiff", name=_label(p)), pure, None, shape))


_LATE = []  # loaders of rule families registered on first need (see `late`)


def late(loader):
    """Register `loader() -> bool`, which fills the table with a family of rules whose library is costly to
    import (SciPy's: scipy.stats alone takes half a second) once that library is imported, returning True
    then. It runs at the first lookup that misses, until it returns True: a function that calls SciPy has
    imported it, so its rules are there before its first derivative needs them."""
    _LATE.append(loader)


def load_late():
    """Run the loaders whose libraries are imported now (or that import them: the tests, the coverage page)."""
    for loader in list(_LATE):
        if loader():
            _LATE.remove(loader)


def lookup(prim):
    """prim's rule: from the table, or the one a user's custom_vjp / custom_jvp object carries."""
    try:
        rule = RULES.get(prim)
    except TypeError:  # an unhashable callable has no table entry
        return _own_rule(prim)
    if rule is None and _LATE:
        load_late()
        rule = RULES.get(prim)
    return rule if rule is not None else _own_rule(prim)


def _own_rule(prim):
    """The rule a user's custom_vjp / custom_jvp object carries, or None."""
    own = getattr(prim, "__dict__", None)
    rule = own.get("__s2sad_rule__") if isinstance(own, dict) else None
    if rule is not None and inspect.isfunction(prim) and "__wrapped__" in own:
        rule = None  # functools.wraps copied a custom function's rule onto a wrapper that computes something else
    return rule
