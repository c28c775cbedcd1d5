"""What each normalized expression applies: a primitive with a rule, a user function, or structure.

Names are resolved the way the running function resolves them: locals first, then the
function's closure cells, its module globals, and builtins.
"""

import builtins
import inspect
import operator
from dataclasses import dataclass, field

import gast
import numpy as np

from . import build as b
from . import runtime
from .names import every
from .registry import lookup

BINOPS = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul, gast.Div: operator.truediv,
          gast.Pow: operator.pow, gast.MatMult: operator.matmul, gast.Mod: operator.mod,
          gast.FloorDiv: operator.floordiv, gast.BitAnd: operator.and_, gast.BitOr: operator.or_,
          gast.BitXor: operator.xor, gast.LShift: operator.lshift, gast.RShift: operator.rshift}
UNARYOPS = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_, gast.Invert: operator.invert}
COMPARES = {gast.Lt: operator.lt, gast.Gt: operator.gt, gast.LtE: operator.le, gast.GtE: operator.ge,
            gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Is: operator.is_, gast.IsNot: operator.is_not,
            gast.In: operator.contains, gast.NotIn: operator.contains}
_UNSET = object()


@dataclass
class Site:
    """One normalized expression: what it applies and to which atoms."""

    kind: str                 # "atom" | "rule" | "function" | "method" | "container" | "unknown" | "inert"
    prim: object = None
    rule: object = None
    args: list = field(default_factory=list)
    keywords: dict = field(default_factory=dict)
    label: str = ""

    def operands(self):
        return list(self.args) + list(self.keywords.values())


class Resolver:
    """Resolves the expressions of one normalized function."""

    def __init__(self, parsed, local_names, helpers=None, types=None):
        self.types = dict(types or {})   # local name -> its class, known for a method's self
        self.parsed = parsed
        self.locals = set(local_names)
        self.helpers = dict(helpers or {})
        self._sites = {}                 # id(node) -> (node, Site): each expression is resolved once
        self.resolved = set()            # paths of calls whose head is a module-level (or closure) name, not a module
        self.memo = {}                   # analyses of this function shared by its builders (analyze, stacks)

    def nodes(self, fn):
        """Every node of fn (a function this resolver resolves) in gast.walk's order, walked once for the
        analyses that ask of all of them (selects, bounds, the driver's callees)."""
        return self.memoized("nodes", fn, lambda: list(every(fn)))

    def memoized(self, what, node, compute):
        """compute(), once per analysis `what` of node (a function this resolver resolves)."""
        key = (what, id(node))
        hit = self.memo.get(key)
        if hit is None or hit[0] is not node:
            hit = self.memo[key] = (node, compute())
        return hit[1]

    def lookup_name(self, ident):
        if ident in self.types:
            return self.types[ident]  # `self.predict` names the class's function
        if ident in self.locals:
            return _UNSET
        if ident in self.helpers:
            return self.helpers[ident]
        if ident in self.parsed.closure:
            try:
                return self.parsed.closure[ident].cell_contents
            except ValueError:
                return _UNSET
        if ident in self.parsed.globals:
            return self.parsed.globals[ident]
        return getattr(builtins, ident, _UNSET)

    def lookup_path(self, path):
        head, *rest = path.split(".")
        obj = self.lookup_name(head)
        for attr in rest:
            if obj is _UNSET:
                return _UNSET
            obj = getattr(obj, attr, _UNSET)
        return obj

    def type_of(self, ident):
        """The class of the object a name holds, when it is known before the function runs."""
        if ident in self.types:
            return self.types[ident]
        obj = self.lookup_name(ident)
        return None if obj is _UNSET else type(obj)

    def site(self, node):
        """What node applies. Memoized: the probe and the builder of reverse mode, the activity and
        stack analyses all ask about the same nodes, which no stage changes in place. The entry holds
        the node, so its id is not reused while the entry lives."""
        hit = self._sites.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        method = getattr(self, "site_" + type(node).__name__, None)
        site = method(node) if method else Site("unknown", label=type(node).__name__)
        self._sites[id(node)] = (node, site)
        return site

    def site_Name(self, node):
        return Site("atom", args=[node])

    def site_Constant(self, node):
        return Site("inert")

    def site_JoinedStr(self, node):
        return Site("inert")

    def site_Set(self, node):
        return Site("inert")  # a set of constants (normalize.expr_Set)

    def site_BinOp(self, node):
        return self.primitive(BINOPS[type(node.op)], [node.left, node.right])

    def site_UnaryOp(self, node):
        return self.primitive(UNARYOPS[type(node.op)], [node.operand])

    def site_Compare(self, node):
        return self.primitive(COMPARES[type(node.ops[0])], [node.left, node.comparators[0]])

    def site_Subscript(self, node):
        return self.primitive(operator.getitem, [node.value, node.slice])

    def site_Tuple(self, node):
        return Site("container", tuple, args=list(node.elts))

    def site_List(self, node):
        return Site("container", list, args=list(node.elts))

    def site_Dict(self, node):
        return Site("container", dict, args=list(node.values), keywords={})

    def site_Attribute(self, node):
        path = b.dotted_path(node)
        if path is not None and path.split(".")[0] not in self.locals:
            return Site("inert", label=path)  # a module constant such as np.pi
        known = self.types.get(node.value.id) if isinstance(node.value, gast.Name) else None
        if known is not None:  # the class of a parameter holding the user's object, or of a method's self
            static = inspect.getattr_static(known, node.attr, None)
            if isinstance(static, property) and inspect.isfunction(static.fget):  # m.norm: the property's code
                return self.primitive(static.fget, [node.value], label=f".{node.attr}")
            return self.primitive(runtime.field, [node.value, b.const(node.attr)], label=f".{node.attr}")
        descriptor = getattr(np.ndarray, node.attr, None)
        if descriptor is None or callable(descriptor):  # a field of a namedtuple, dataclass or object (`p.mean`:
            # an array's method is called, not read): read like a container's item
            return self.primitive(runtime.field, [node.value, b.const(node.attr)], label=f".{node.attr}")
        return self.primitive(descriptor, [node.value], label=f".{node.attr}")

    def site_Call(self, node):
        func = node.func
        args = list(node.args)
        keywords = {kw.arg: kw.value for kw in node.keywords}
        path = b.dotted_path(func)
        if path is not None and path.split(".")[0] not in self.locals:
            obj = self.lookup_path(path)
            if obj is _UNSET:
                return Site("unknown", args=args, keywords=keywords, label=path)
            self._note(path)
            if _namedtuple_class(obj) and set(keywords) == set(obj._fields[len(args):]):  # P(w, b=c): a tuple
                items = args + [keywords[name] for name in obj._fields[len(args):]]     # whose items are named
                return Site("container", obj, args=items, label=path)
            if _user_method(obj) and lookup(obj) is None and isinstance(func, gast.Attribute):  # model.predict(x)
                return self.primitive(obj.__func__, [func.value] + args, keywords, label=path)
            if isinstance(getattr(obj, "__self__", None), np.ndarray) and isinstance(func, gast.Attribute) \
                    and getattr(np.ndarray, func.attr, None) is not None:  # W.dot(x) for a module-level array W
                return self.primitive(getattr(np.ndarray, func.attr), [func.value] + args, keywords, label=path)
            return self.primitive(obj, args, keywords, label=path)
        known = self.types.get(func.id) if isinstance(func, gast.Name) else None
        call = inspect.getattr_static(known, "__call__", None)
        if inspect.isfunction(call):  # model(x) for a parameter holding the user's object (pytrees.py)
            return self.primitive(call, [func] + args, keywords, label=f"{func.id}()")
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and func.value.id in self.types:
            method = getattr(self.types[func.value.id], func.attr, None)
            if inspect.isfunction(method):  # self.other_method(...)
                return self.primitive(method, [func.value] + args, keywords, label=f"{func.value.id}.{func.attr}")
        if isinstance(func, gast.Attribute):  # a method of a local value
            method = getattr(np.ndarray, func.attr, None)
            if method is None:  # a method of an object made inside the function: dispatched when it runs
                kind = "method" if isinstance(func.value, gast.Name) and not keywords else "unknown"
                return Site(kind, func.attr, None, [func.value] + args, keywords, label=f".{func.attr}()")
            return self.primitive(method, [func.value] + args, keywords, label=f".{func.attr}()")
        return Site("unknown", args=[func] + args, keywords=keywords, label=path or "call")

    def _note(self, path):
        """Remember a call through a name the function's module (or closure) binds, other than a module:
        `np_fn = np.sin` may later be bound to np.cos, and the derivative must follow (driver.py)."""
        head = path.split(".")[0]
        own = self.parsed.func.__code__.co_freevars if inspect.isfunction(self.parsed.func) else ()
        if head in self.helpers or (head in self.parsed.closure and head not in own):
            return
        if head not in self.parsed.globals and head not in own:
            return
        if not inspect.ismodule(self.lookup_name(head)):
            self.resolved.add(path)

    def primitive(self, obj, args, keywords=None, label=""):
        rule = lookup(obj)
        label = label or getattr(obj, "__name__", repr(obj))
        if rule is not None:
            return Site("rule", obj, rule, args, keywords or {}, label)
        return Site("function", obj, None, args, keywords or {}, label)


def _user_method(obj):
    """A method bound to an object the user made (not a NumPy array's method)."""
    return inspect.ismethod(obj) and inspect.isfunction(obj.__func__)


def _namedtuple_class(obj):
    return isinstance(obj, type) and issubclass(obj, tuple) and isinstance(getattr(obj, "_fields", None), tuple)
