"""Stage 3b: the kind and shape of every variable, given the kinds of the actual arguments.

The general derivative wraps every term of a broadcasting operation in
`unbroadcast(term, x)`, because nothing tells it that `x` already has the term's shape.
When the arguments are known (a Python float, an array of a given rank), most variables'
shapes follow, and a wrapper that is provably the identity can be left out. The
transforms ask this table; they never guess.

A *kind* describes one value: `(tag, shape)`. The tag is "f" (inexact: float, complex,
a float array), "i" (integer), "b" (boolean) or "n" (a number of unknown dtype); the
shape lists each dimension as `1` or `ONE_NOT` (-1, some size other than 1). Sizes
other than 1 need not be known: NumPy broadcasts a dimension that is not 1 only against
1 or an equal size, so a result's dimension is the operand's whenever the operand's is
not 1. Anything else (lists, dicts, objects, subclasses of ndarray) has no kind: `None`.

The analysis is flow-insensitive per name, like `analyze.activity`: a name's kind is
the join of the kinds of all its assignments, and differing kinds join to unknown, so
a known kind holds for every value the name ever takes. Example, `f(x, n)` called with
a float and an int::

    v = x                 v: ('f', ())
    for i in range(n):    i: ('i', ())
        v = 4.0 * v       v: ('f', ())
    s = [v]               s: unknown
"""

import inspect

import gast
import numpy as np

from . import build as b
from . import registry
from .analyze import assignments, returned
from .names import every
from .names import names as name_nodes

ONE_NOT = -1
FLOAT = ("f", ())
GRAD_SEED = ("s", ())  # grad's seed 1.0, for an output grad checks to be a scalar after the call
_SCALARS = {float: FLOAT, complex: FLOAT, int: ("i", ()), bool: ("b", ())}
for _t in set(np.sctypeDict.values()):
    if issubclass(_t, np.inexact):
        _SCALARS[_t] = FLOAT
    elif issubclass(_t, np.bool_):
        _SCALARS[_t] = ("b", ())
    elif issubclass(_t, np.integer):
        _SCALARS[_t] = ("i", ())
_TAGS = {"f": "f", "c": "f", "i": "i", "u": "i", "b": "b"}
_ARRAYS = {}


def kind_of(x):
    """The kind of one argument value (None: nothing known). Cheap: it runs on every call."""
    kind = _SCALARS.get(type(x))
    if kind is not None or type(x) is not np.ndarray:
        return kind
    key = (x.dtype.kind, x.shape)
    kind = _ARRAYS.get(key)
    if kind is None:
        if len(_ARRAYS) > 4096:
            _ARRAYS.clear()
        tag = _TAGS.get(x.dtype.kind)
        kind = _ARRAYS[key] = (tag, tuple(1 if d == 1 else ONE_NOT for d in x.shape)) if tag else None
    return kind


def kinds_of(values):
    return tuple(map(kind_of, values))


# -- the table ----------------------------------------------------------------------


class Shapes:
    """Kinds of a normalized function's variables: `kind(name)`, `shape(expr)`, `dump()`."""

    def __init__(self, kinds, resolver, callee=None):
        self.kinds = kinds
        self.resolver = resolver
        self.callee = callee  # see `infer`

    def kind(self, ident):
        return self.kinds.get(ident)

    def shape(self, node, extra=None, objects=None):
        """The shape of an expression over the table's names (and `extra` ones), or None.

        `objects` names what generated code's own names (such as a helper's `np`) stand for.
        """
        kind = expr_kind(node, _Env(self.kinds, self.resolver, extra, objects, self.callee))
        return None if kind is None else kind[1]

    def of(self, node):
        """The kind of an expression over the table's names (an argument atom of a call), or None."""
        return expr_kind(node, _Env(self.kinds, self.resolver, callee=self.callee))

    def dump(self):
        return "\n".join(f"{n}: {show(self.kinds[n])}" for n in sorted(self.kinds))


def show(kind):
    """A kind in words: `f[n, 1]` (a float array, its second axis of length one), `float`, `int`, `?` (unknown)."""
    if kind is None:
        return "?"
    tag, shape = kind
    dims = ", ".join("1" if d == 1 else "n" for d in shape)
    return f"{tag}[{dims}]" if shape else ("float" if tag == "f" else {"i": "int", "b": "bool"}.get(tag, "number"))


class _Env:
    """Name lookup for the transfer functions: the table, then extra names; unknown otherwise."""

    def __init__(self, kinds, resolver, extra=None, objects=None, callee=None):
        self.kinds = kinds
        self.resolver = resolver
        self.extra = extra or {}
        self.objects = objects or {}
        self.callee = callee

    def get(self, ident):
        kind = self.kinds.get(ident)
        return self.extra.get(ident) if kind is None else kind

    def lookup_path(self, path):
        """The object a dotted name outside the function's locals stands for (None: a local, or unknown)."""
        head, *rest = path.split(".")
        if head in self.resolver.locals or head in self.kinds or head in self.extra:
            return None
        obj = self.objects[head] if head in self.objects else self.resolver.lookup_name(head)
        for attr in rest:
            obj = getattr(obj, attr, None)
        return obj


def infer(normalized, resolver, kinds, callee=None):
    """The Shapes table of a normalized function whose parameters, then seed, have `kinds`.

    `kinds` holds one kind per parameter, in order, and last the kind of the output's
    cotangent (the seed). Returns None when the seed's shape is not the output's: then
    the cotangents are not known to be shaped like their variables, and nothing may be
    specialized. The seed GRAD_SEED is grad's: the caller refuses any output that is not
    a scalar, so an output of unknown kind is taken to be one. `callee(func, arg_kinds)`
    gives the output kind of a call of the user's function func (see `output_kind`), or None.
    """
    fn = normalized.node
    params = [a.id for a in fn.args.args]
    if len(kinds) != len(params) + 1 or fn.args.vararg or fn.args.kwarg or fn.args.kwonlyargs:
        return None
    known = _known(fn, resolver, dict(zip(params, kinds)), callee)
    seed = kinds[-1]
    for out in _returned(fn):
        if seed is None or (known[out][1] != seed[1] if out in known else seed != GRAD_SEED):
            return None
    return Shapes(known, resolver, callee)


def output_kind(normalized, resolver, kinds, callee=None):
    """The kind of what a normalized function returns when its parameters have `kinds` (one each,
    None for unknown), or None: unknown, or not the same kind at every `return`."""
    fn = normalized.node
    params = [a.id for a in fn.args.args]
    if len(kinds) != len(params) or fn.args.vararg or fn.args.kwarg or fn.args.kwonlyargs:
        return None
    returns = [n.value for n in every(fn) if isinstance(n, gast.Return)]
    if not returns or not all(isinstance(v, gast.Name) for v in returns):
        return None
    known = _known(fn, resolver, dict(zip(params, kinds)), callee)
    found = {known.get(v.id) for v in returns}
    return found.pop() if len(found) == 1 else None


def _known(fn, resolver, params, callee):
    """{name: kind} for the names of fn whose kind the parameters' kinds decide: a fixpoint."""
    untracked = _untracked(fn)
    flow = _Flow({**{p: _TOP if k is None else k for p, k in params.items()}, **{n: _TOP for n in untracked}},
                 resolver, callee=callee)
    stmts = [(t, v) for t, v, s in assignments(fn.body) if isinstance(s.targets[0], gast.Name)]
    stmts += [(t, _Iter(i)) for t, i in _loop_targets(fn.body)]
    changed = True
    while changed:
        changed = False
        for target, value in stmts:
            try:
                kind = None if target in untracked else expr_kind(value, flow)
            except _NotYet:
                continue
            changed |= flow.assign(target, kind)
    return {n: k for n, k in flow.kinds.items() if k is not _TOP and n not in untracked}


_TOP = "unknown"


class _NotYet(Exception):
    """A local read before any assignment of it was seen: try the statement again later."""


class _Flow(_Env):
    """The running table of the fixpoint."""

    def get(self, ident):
        kind = self.kinds.get(ident, _ABSENT)
        if kind is _ABSENT:
            if ident in self.resolver.locals:
                raise _NotYet(ident)
            return None
        return None if kind is _TOP else kind

    def assign(self, ident, kind):
        old = self.kinds.get(ident)
        new = (_TOP if kind is None else kind) if old is None else _join(old, kind)
        if new != old:
            self.kinds[ident] = new
            return True
        return False


_ABSENT = object()


def _join(old, kind):
    if old is _TOP or kind is None or old[1] != kind[1]:
        return _TOP
    return old if old[0] == kind[0] else ("n", old[1])


def _returned(fn):
    return set(returned(fn.body))


def _untracked(fn):
    """Names bound other than by `name = ...` or a `for` target: their kinds are not followed.

    In the normal form only statements bind names, so only statements are searched; a
    statement of another kind is searched whole.
    """
    names = set()
    for stmt in _statements(fn.body):
        if isinstance(stmt, gast.Assign):
            targets = stmt.targets[1:] if isinstance(stmt.targets[0], gast.Name) else stmt.targets
            nodes = [n for t in targets for n in name_nodes(t)] + name_nodes(stmt.value)
        elif isinstance(stmt, gast.For):
            target = [] if isinstance(stmt.target, gast.Name) else name_nodes(stmt.target)
            nodes = name_nodes(stmt.iter) + target
        elif isinstance(stmt, (gast.If, gast.While)):
            nodes = name_nodes(stmt.test)
        elif isinstance(stmt, (gast.Expr, gast.Return, gast.Pass, gast.Break, gast.Continue)):
            continue
        else:
            nodes = name_nodes(stmt)
        names.update(n.id for n in nodes if isinstance(n.ctx, gast.Store))  # the names alone: no walk of every node
    return names


def _statements(stmts):
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (gast.For, gast.If, gast.While)):
            yield from _statements(stmt.body + stmt.orelse)


def _loop_targets(stmts):
    for stmt in stmts:
        if isinstance(stmt, gast.For):
            if isinstance(stmt.target, gast.Name):
                yield stmt.target.id, stmt.iter
            yield from _loop_targets(stmt.body + stmt.orelse)
        elif isinstance(stmt, (gast.If, gast.While)):
            yield from _loop_targets(stmt.body + stmt.orelse)


class _Iter:
    """The iterable of a `for` statement: its target's value is one of its items."""

    def __init__(self, node):
        self.node = node


def _iter_kind(it, env):
    iterable = it.node
    if isinstance(iterable, gast.Call) and isinstance(iterable.func, gast.Name) \
            and env.lookup_path(iterable.func.id) is range:
        return ("i", ())
    return None


# -- transfer functions -------------------------------------------------------------


def broadcast(*shapes):
    """NumPy's broadcast of abstract shapes (None when one is unknown)."""
    if any(s is None for s in shapes):
        return None
    ndim = max(len(s) for s in shapes)
    out = []
    for axis in range(ndim):
        dims = [s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0]
        out.append(ONE_NOT if ONE_NOT in dims else 1)
    return tuple(out)


def _tag(tags, integral):
    if all(t == "i" for t in tags) and integral:
        return "i"
    return "f" if "f" in tags else "n"


_INTEGRAL = (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)
_ARITH = _INTEGRAL + (gast.Div, gast.Pow)


def expr_kind(node, env):
    """The kind of an expression whose names have kinds in env, or None."""
    method = _KINDS.get(type(node))
    return method(node, env) if method else None


def _name(node, env):
    return env.get(node.id)


def _constant(node, env):
    value = node.value
    return _SCALARS.get(type(value)) if type(value) in (int, float, complex, bool) else None


def _binop(node, env):
    left, right = expr_kind(node.left, env), expr_kind(node.right, env)
    if left is None or right is None:
        return None
    if isinstance(node.op, _ARITH):
        return (_tag((left[0], right[0]), isinstance(node.op, _INTEGRAL)), broadcast(left[1], right[1]))
    if isinstance(node.op, gast.MatMult):
        shape = matmul_shape(left[1], right[1])
        return None if shape is None else (_tag((left[0], right[0]), True), shape)
    return None


def matmul_shape(left, right):
    """The shape of left @ right for operands of rank 1 or 2 (None otherwise)."""
    if not (1 <= len(left) <= 2 and 1 <= len(right) <= 2):
        return None
    return left[:-1] + right[-1:] if len(right) == 2 else left[:-1]


def _unaryop(node, env):
    operand = expr_kind(node.operand, env)
    if isinstance(node.op, (gast.USub, gast.UAdd)):
        return operand
    if isinstance(node.op, gast.Not):
        return ("b", ())
    return None


def _compare(node, env):
    if len(node.ops) != 1 or not isinstance(node.ops[0], (gast.Lt, gast.Gt, gast.LtE, gast.GtE, gast.Eq, gast.NotEq)):
        return ("b", ()) if len(node.ops) == 1 and isinstance(node.ops[0], (gast.Is, gast.IsNot)) else None
    left, right = expr_kind(node.left, env), expr_kind(node.comparators[0], env)
    if left is None or right is None:
        return None
    return ("b", broadcast(left[1], right[1]))


def _subscript(node, env):
    """x[i] and x[i, j] with integer indices: the item's kind (each index drops one axis)."""
    value = expr_kind(node.value, env)
    parts = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
    if value is None or len(parts) > len(value[1]) or any(expr_kind(p, env) != ("i", ()) for p in parts):
        return None
    return (value[0], value[1][len(parts):])


def _attribute(node, env):
    value = expr_kind(node.value, env)
    if value is not None and node.attr == "T":
        return (value[0], value[1][::-1])
    return None


def _call(node, env):
    if node.keywords:
        return None
    path = b.dotted_path(node.func)
    prim = env.lookup_path(path) if path is not None else None
    args = [expr_kind(a, env) for a in node.args]
    if any(a is None for a in args):
        return None
    if prim is None and isinstance(node.func, gast.Attribute):
        return _method_kind(expr_kind(node.func.value, env), node.func.attr, args)
    if prim is None or not args:
        return None
    if env.callee is not None and inspect.isfunction(prim) \
            and not (prim.__module__ or "").startswith(("numpy", "scipy", "s2sad")):
        return env.callee(prim, args)  # a user's function: the kind its own table gives its output
    return _call_kind(prim, args)


_METHOD_TOTALS = frozenset("sum mean prod max min".split())


def _method_kind(obj, attr, args):
    """The kind of `x.attr(*args)` for an array x of kind obj: `x.dot(y)`, a total `x.sum()`, `x.copy()`."""
    if obj is None or not obj[1]:
        return None
    if attr == "dot" and len(args) == 1:
        shape = matmul_shape(obj[1], args[0][1])
        return None if shape is None else (_tag((obj[0], args[0][0]), True), shape)
    if attr in _METHOD_TOTALS and not args:
        return ("n", ())
    if attr == "copy" and not args:
        return obj
    return None


def _call_kind(prim, args):
    """The kind of prim(*args) by the shape rule its entry names (`Rule.shape`; `registry.SHAPE_KINDS`)."""
    rule = registry.lookup(prim)
    shape_rule = _SHAPE_RULES.get(rule.shape if rule is not None else registry.default_shape(prim))
    return None if shape_rule is None else shape_rule(prim, [a[0] for a in args], [a[1] for a in args], args)


def _broadcast_kind(prim, tags, shapes, args):
    if getattr(prim, "nin", len(args)) != len(args):
        return None
    return ("n" if "f" not in tags else "f", broadcast(*shapes))


def _scalar_kind(prim, tags, shapes, args):
    return ("n", ()) if all(s == () for s in shapes) else None


def _same_kind(prim, tags, shapes, args):
    return args[0] if len(args) == 1 else None


def _scalar_pair_kind(prim, tags, shapes, args):
    return (_tag(tags, True), ()) if len(args) == 2 and shapes == [(), ()] else None


def _float_kind(prim, tags, shapes, args):
    return FLOAT if len(args) == 1 and shapes == [()] else None


def _total_kind(prim, tags, shapes, args):
    return ("n", ()) if len(args) == 1 else None


def _matmul_kind(prim, tags, shapes, args):
    shape = matmul_shape(*shapes) if len(args) == 2 else None
    return None if shape is None else (_tag(tags, True), shape)


_SHAPE_RULES = {"broadcast": _broadcast_kind, "scalar": _scalar_kind, "same": _same_kind,
                "scalar_pair": _scalar_pair_kind, "float": _float_kind, "total": _total_kind,
                "matmul": _matmul_kind, "unknown": None}

_KINDS = {_Iter: _iter_kind, gast.Name: _name, gast.Constant: _constant, gast.BinOp: _binop, gast.UnaryOp: _unaryop,
          gast.Compare: _compare, gast.Subscript: _subscript, gast.Attribute: _attribute, gast.Call: _call}
