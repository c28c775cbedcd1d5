"""What the passes need to know about generated code: which names a node reads and
writes, which expressions are free of side effects, and which names are adjoints or
tangents.

Purity is decided by name, as generated code spells it: operators, constants,
attribute and item reads, calls of NumPy, `math` and builtin functions that have a
derivative rule (pure mathematical functions), the runtime helpers, and a short list
of pure array methods. Everything else, `_tape.pop()`, `print`, a user's function, is
a side effect and is never removed or reordered.
"""

import functools
import re

import gast

from .. import batched_runtime, registry, runtime
from ..names import _skeleton, names, operations, reads, walk, writes  # noqa: F401  (the passes import them from here)

_PURE_METHODS = frozenset(
    "all any argmax argmin astype clip conj conjugate copy cumprod cumsum diagonal dot flatten item max mean "
    "min nonzero prod ravel repeat reshape round squeeze std sum swapaxes take tolist trace transpose var".split())
_PURE_EXTRA = frozenset(
    "abs all any bool complex divmod enumerate float int isinstance len list max min range reversed round "
    "slice sorted sum tuple zip np.shape np.ndim np.size np.zeros np.ones np.zeros_like np.ones_like "
    "np.asarray np.array np.result_type np.broadcast_to np.arange np.full np.full_like np.empty_like "
    "np.transpose np.reshape np.float64 np.float32 np.int64 math.pi".split())
# The runtime helpers' purity is their rule entry's (`Rule.pure`, read by `pure_runtime`). These few
# helpers have no rule (a derivative of them would be a fourth-order one, refused: tests/test_rule_facts.py)
# and so no entry to say it; the test checks the list holds only such helpers.
PURE_WITHOUT_RULE = frozenset(
    "einsum_with_ops einsum_with_dops einsum_adjoint_ops einsum_adjoint_dops norm_slope_dot".split())
# batched forward mode's helpers: each computes a fresh value from its arguments (by object only:
# their names, `lift`, `fill`, are too common to trust)
_BATCHED = frozenset(obj for name, obj in vars(batched_runtime).items()
                     if callable(obj) and not name.startswith("_")
                     and getattr(obj, "__module__", None) == batched_runtime.__name__)
_EFFECTS = frozenset("print input open exec eval setattr delattr next iter append unappend push pop".split())
_DERIVED = re.compile(r"_(bar|dot)(_\d+)?$")
_VARIABLE_OF = re.compile(r"^(.+)_(bar|dot)(_\d+)?$")
_SCOPES = (gast.Lambda, gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef,
           gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)


def pure_calls():
    """Dotted names of the callables known to be pure, from the rules table and the runtime.

    Read once, on first use. Only NumPy, `math` and builtin primitives count: a user's
    function with a custom rule may have effects.
    """
    from .. import rules  # noqa: F401  (fills the table)
    pure = set(_PURE_EXTRA)
    for prim, rule in list(registry.RULES.items()):
        module, name = registry.module_of(prim), getattr(prim, "__name__", None)
        if not name or rule is None or not rule.pure:
            continue
        if module == "builtins":
            pure.add(name)
        elif module == "math":
            pure.add(f"math.{name}")
        elif module.startswith("numpy"):
            rest = module[len("numpy"):].lstrip(".")
            path = ".".join(p for p in rest.split(".") if p and not p.startswith("_"))
            for head in ("np", "numpy"):
                pure.add(".".join(filter(None, (head, path, name))))
    pure |= _pure_runtime()
    return frozenset(pure - _EFFECTS)


@functools.cache
def _pure_names():
    return pure_calls()


@functools.cache
def _pure_runtime():
    """Names of the helpers of `s2sad.runtime` (as generated code binds them) whose rule says they are pure."""
    from .. import rules  # noqa: F401  (fills the table)
    found = set(PURE_WITHOUT_RULE)
    for name, obj in vars(runtime).items():
        rule = registry.RULES.get(obj) if callable(obj) and not isinstance(obj, type) else None
        if rule is not None and rule.pure and registry.module_of(obj).startswith("s2sad"):
            found.add(name)
    return frozenset(found)


def dotted(node):
    """"np.linalg.norm" for an attribute chain on a name, else None."""
    parts = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class Facts:
    """What the passes may ask about one function: the names to leave alone, and purity.

    With `helpers` (generated name -> object, as the transforms return them), a runtime
    helper's name counts as pure only where it stands for that helper: a user's own
    function that happens to be called `scatter` is then a side effect like any other,
    and the runtime's `scatter` under a fresh name (`scatter_1`) is pure. Without them,
    names are trusted as the transforms spell them.
    """

    def __init__(self, fn, helpers=None, derived=None, walked=None):
        self.walked = walked  # see `skeleton`
        self.keep = pinned(fn, self.skeleton(fn)[0])
        self.derived = None if derived is None else frozenset(derived)
        if self.derived is not None:  # `is_derived(ident, self.derived)`, asked of every statement by every pass
            self.is_derived = self.derived.__contains__
        self.shadowed, self.extra, self.pushes = frozenset(), frozenset(), frozenset()
        if helpers is not None:
            self.pushes = frozenset(n for n, obj in helpers.items() if obj is runtime.push)
            pure_objects = {getattr(runtime, n) for n in _pure_runtime()} | _BATCHED
            self.shadowed = frozenset(n for n in _pure_runtime() if helpers.get(n) is not getattr(runtime, n))
            self.extra = frozenset(n for n, obj in helpers.items() if _is_one_of(obj, pure_objects))

    def is_pure(self, node):
        return is_pure(node, self.shadowed, self.extra)

    def skeleton(self, fn):
        """`_skeleton(fn)` (fn's operations, its names). While `optimize` runs its passes it keeps the last
        walk (`walked`) until a pass says it changed fn: each pass must say so (its fixed point relies on
        it too). Elsewhere (`walked` None) every call walks."""
        walked = self.walked
        if walked is None:
            return _skeleton(fn)
        if not walked or walked[0] is not fn:
            walked[:] = [fn, _skeleton(fn)]
        return walked[1]

    def is_derived(self, ident):
        return is_derived(ident, self.derived)


def _is_one_of(obj, objects):
    return any(obj is o for o in objects)


def is_pure(node, shadowed=frozenset(), extra=frozenset()):
    """Whether evaluating the expression node can have no effect beyond its value.

    `shadowed`: names not to trust as the pure function they usually are; `extra`: names
    known to be pure besides the usual ones (see `Facts`).
    """
    if node is None or isinstance(node, (gast.Name, gast.Constant, gast.Slice, gast.Load, gast.expr_context)):
        return True
    if isinstance(node, gast.Call):
        path = dotted(node.func)
        known = (path in _pure_names() and path not in shadowed) or path in extra or (
            isinstance(node.func, gast.Attribute) and node.func.attr in _PURE_METHODS and path is not None)
        return known and all(is_pure(a, shadowed, extra) for a in node.args) \
            and all(is_pure(k.value, shadowed, extra) for k in node.keywords)
    if isinstance(node, _OPERATIONS):  # pure when every operand is (the operators are markers)
        for field in node._fields:
            value = getattr(node, field, None)
            for child in value if value.__class__ is list else (value,):
                if child.__class__ not in _ATOMS and isinstance(child, gast.AST) \
                        and not isinstance(child, _OPERATORS) and not is_pure(child, shadowed, extra):
                    return False
        return True
    return False


_OPERATIONS = (gast.BinOp, gast.UnaryOp, gast.BoolOp, gast.Compare, gast.IfExp, gast.Attribute, gast.Subscript,
               gast.Tuple, gast.List, gast.Dict, gast.Set, gast.Starred)
_OPERATORS = (gast.operator, gast.unaryop, gast.cmpop, gast.boolop)
_ATOMS = frozenset((gast.Name, gast.Constant))  # pure, as is_pure says first: no call for them


def pinned(fn, nodes=None):
    """Names the passes must leave alone: those a nested scope or a global statement sees. `nodes`:
    `_skeleton(fn)[0]`, where the caller has it."""
    seen = set()
    for node in _skeleton(fn)[0] if nodes is None else nodes:
        if node.__class__ in _UNSCOPED:
            continue
        if isinstance(node, _SCOPES) and node is not fn:
            seen |= {n.id for n in walk(node) if isinstance(n, gast.Name)}
        elif isinstance(node, (gast.Global, gast.Nonlocal)):
            seen |= set(node.names)
    return seen


# the commonest node classes, neither a scope nor a global statement: `pinned` passes them at once
_UNSCOPED = frozenset((gast.Assign, gast.AugAssign, gast.Expr, gast.Return, gast.If, gast.For, gast.While, gast.BinOp,
                       gast.UnaryOp, gast.Call, gast.Attribute, gast.Subscript, gast.Tuple, gast.List, gast.Compare,
                       gast.BoolOp, gast.IfExp, gast.keyword, gast.Load, gast.Store, gast.Add, gast.Sub, gast.Mult,
                       gast.Div, gast.USub))


def variable_of(ident, suffixes=("bar", "dot")):
    """The variable an adjoint or tangent is named after (`x` of `x_bar`, `x_bar_2`, `x_dot`), else None."""
    match = _VARIABLE_OF.match(ident)
    return match.group(1) if match is not None and match.group(2) in suffixes else None


def is_derived(ident, derived=None):
    """Whether a name is an adjoint or a tangent (`x_bar`, `x_dot`, `x_bar_1`), whose value is a float or array.

    When the transform said which names it made (`derived`, handed to `optimize` and kept in
    `Facts`), only those count: a user's own variable called `n_bar` is left alone."""
    if derived is not None:
        return ident in derived
    return bool(_DERIVED.search(ident))


def derived_test(facts):
    """`is_derived` as the passes ask it: by the facts' list of made names when there are facts."""
    return is_derived if facts is None else facts.is_derived


def simple_target(stmt):
    """The name an `Assign` binds when it binds exactly one plain name, else None."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
        return stmt.targets[0].id
    return None
