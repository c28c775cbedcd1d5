"""Stage 3c: lower bounds of real values, so that a partial with a pole can be proven finite.

A rule's partial that divides (`1.0 / b` for `a / b`, `0.5 / ans` for sqrt) or has a pole (log's
`1 / x`) multiplies a cotangent or tangent through `times_partial`, which keeps a zero term zero
where the partial is infinite (partials.py). When the divisor is provably at least some c > 0,
the partial is finite wherever the values it reads are, and the product can be the plain one, as
every other rule's is: `t1 = 1.0 + y * y` is at least 1, so log's partial `1.0 / t1` needs no
guard. On scalar code the guard is a test and a branch per term; on arrays, three passes over
the data.

The table holds, for each local name of a specialized derivative's function, a lower bound that
holds for every value the name ever takes (or none), found as `shapes` finds kinds: per name, over
all its assignments, each a plain `name = expr`. A name stored any other way (a loop target, `+=`,
unpacking) has none; a name whose array value could be written in place afterwards has none
either (see `_writes_in_place`). Values are real (complex mode is left out: `1 + z * z` is 0 at
z = i), and a square is nonnegative only of a real value, which the table tracks too.

Bounds are lower bounds of the non-NaN values: a NaN primal makes a NaN derivative in any case.

Example (`t1` and `d` bounded, so log's and sqrt's partials are plain)::

    t1 = 1.0 + y_times_y       t1 >= 1.0
    t4 = a_times_a + c_times_c t4 >= 0.0
    t5 = t4 + 1.0              t5 >= 1.0
    d = math.sqrt(t5)          d >= 1.0
"""

import math

import gast
import numpy as np

from .names import every

_PARAMETER = object()  # an assignment standing for the value a parameter is called with

# functions of real values whose value is real and at least the given bound (None: real, no bound)
_BOUNDED = {math.exp: 0.0, np.exp: 0.0, np.exp2: 0.0, math.cosh: 1.0, np.cosh: 1.0, abs: 0.0, math.fabs: 0.0,
            np.abs: 0.0, np.fabs: 0.0, np.square: 0.0, math.hypot: 0.0, np.hypot: 0.0, np.linalg.norm: 0.0}
_REAL = frozenset([math.sin, math.cos, math.tan, math.tanh, math.sinh, math.atan, math.log, math.log1p, math.expm1,
                   np.sin, np.cos, np.tan, np.tanh, np.sinh, np.arctan, np.log, np.log1p, np.expm1, np.negative,
                   np.sign, np.add, np.subtract, np.multiply, float, np.float64])
_ELEMENTS = frozenset([np.sum, np.mean, np.max, np.min, np.amax, np.amin])  # their values are the elements' bound
# calls in a partial with a pole at 0 of their (one) argument, and calls finite wherever their arguments are
_POLES = frozenset("sqrt log log2 log10 reciprocal cbrt".split())
_ENTIRE = frozenset("sin cos exp exp2 tanh cosh sinh arctan atan square abs absolute fabs sign negative".split())
_CONSTANT = {"log": math.log, "sqrt": math.sqrt, "exp": math.exp}  # calls of a constant a template may hold
_REDUCING = frozenset(["axis", "keepdims"])  # keywords that keep a reduction's bound
_IN_PLACE_METHODS = frozenset("fill sort resize put itemset setfield partition byteswap setflags".split())


class Bounds:
    """lower(expr): a lower bound of expr's non-NaN values (None: none known); regular(partial)."""

    def __init__(self, assigned, prims, rank0):
        self.assigned, self.prims, self.rank0 = assigned, prims, rank0  # prims: id(call) -> what it calls
        self.known = {}  # name -> (real, bound), settled

    def name(self, ident):
        if ident not in self.known:
            self.known[ident] = (False, None)  # while it is computed: a cycle gives nothing
            self.known[ident] = self._join(ident)
        return self.known[ident]

    def _join(self, ident):
        values = self.assigned.get(ident)
        if not values:
            return False, None
        real, bound = True, math.inf
        for value in values:
            r, low = (True, None) if value is _PARAMETER else self.fact(value)
            real = real and r
            bound = None if low is None or bound is None else min(bound, low)
        if not real:
            return False, None
        return True, bound if self.rank0 is None or ident in self.rank0 else None

    def fact(self, node):
        """(real, lower bound) of one expression of the function."""
        cls = node.__class__
        if cls is gast.Constant:
            value = node.value
            return (True, float(value)) if isinstance(value, (int, float)) else (False, None)
        if cls is gast.Name:
            return self.name(node.id)
        if cls is gast.BinOp:
            return _binop(node, self.fact(node.left), self.fact(node.right))
        if cls is gast.UnaryOp:
            real, low = self.fact(node.operand)
            return real, low if isinstance(node.op, gast.UAdd) else None
        if cls is gast.Subscript or (cls is gast.Attribute and node.attr == "T"):  # elements of a bounded array
            return self.fact(node.value)
        if cls is gast.IfExp:
            (r1, l1), (r2, l2) = self.fact(node.body), self.fact(node.orelse)
            return r1 and r2, None if l1 is None or l2 is None else min(l1, l2)
        if cls is gast.Call:
            return self._call(node)
        return False, None

    def _call(self, node):
        prim = self.prims.get(id(node))
        args = [self.fact(a) for a in node.args]
        if not args or not all(r for r, _ in args) or any(k.arg not in _REDUCING for k in node.keywords) \
                or node.keywords and prim not in _ELEMENTS:
            return False, None
        try:
            if prim in _BOUNDED:
                return True, _BOUNDED[prim]
            if prim in (math.sqrt, np.sqrt):
                return True, math.sqrt(max(args[0][1], 0.0)) if args[0][1] is not None else 0.0
            if prim in (np.maximum, max, np.fmax):
                return True, max((low for _, low in args if low is not None), default=None)
            if prim in _ELEMENTS:  # a sum of values at least 0 is at least 0 (of none, 0)
                low = args[0][1]
                return True, low if prim is not np.sum else (0.0 if low is not None and low >= 0.0 else None)
            if prim in _REAL:
                return True, None
        except TypeError:  # an unhashable object
            pass
        return False, None

    def lower(self, node):
        real, low = self.fact(node)
        return low if real else None

    def regular(self, partial):
        """Whether a partial (an expression of the function's names, as a rule's template inlined it)
        is finite wherever the values it reads are: each division by, and each pole at, a value
        bounded away from 0; every other call one finite on all reals."""
        for node in every(partial):
            if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Div, gast.FloorDiv, gast.Mod)):
                if not self._positive(node.right):
                    return False
            elif isinstance(node, gast.BinOp) and isinstance(node.op, gast.Pow):
                exponent = node.right.value if isinstance(node.right, gast.Constant) else None
                if not (isinstance(exponent, int) and exponent >= 0) and not self._positive(node.left):
                    return False
            elif isinstance(node, gast.Call):
                called = node.func.attr if isinstance(node.func, gast.Attribute) else getattr(node.func, "id", "")
                if called in _POLES:
                    if len(node.args) != 1 or node.keywords or not self._positive(node.args[0], pole=True):
                        return False
                elif called not in _ENTIRE:
                    return False
        return True

    def _positive(self, node, pole=False):
        if isinstance(node, gast.Constant) and not pole:
            return isinstance(node.value, (int, float)) and node.value != 0
        low = self.lower_in_partial(node)
        return low is not None and low > 0.0

    def lower_in_partial(self, node):
        """lower() of an expression a rule's template built: its calls are known by name, not resolved."""
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Mult)):
            return _binop(node, (True, self.lower_in_partial(node.left)), (True, self.lower_in_partial(node.right)))[1]
        if isinstance(node, (gast.Name, gast.Constant)):
            return self.lower(node)
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and node.func.attr in _CONSTANT \
                and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], gast.Constant):
            value = node.args[0].value  # `math.log(2.718281828459045)`: math.log's partial at its default base
            return _CONSTANT[node.func.attr](value) if isinstance(value, float) and value > 0.0 else None
        return None


def _binop(node, left, right):
    """(real, lower bound) of a binary operation of real operands."""
    (r1, l1), (r2, l2) = left, right
    if not (r1 and r2):
        return False, None
    op = node.op.__class__
    if op is gast.Add:
        return True, None if l1 is None or l2 is None else l1 + l2
    if op is gast.Mult:
        if _same(node.left, node.right):
            return True, max(0.0, l1 * l1 if l1 is not None and l1 > 0.0 else 0.0)
        return True, l1 * l2 if l1 is not None and l2 is not None and l1 >= 0.0 and l2 >= 0.0 else None
    if op is gast.Div:
        return True, 0.0 if l1 is not None and l2 is not None and l1 >= 0.0 and l2 > 0.0 else None
    if op is gast.Pow:
        return _power(node, l1)
    return (True, None) if op in (gast.Sub, gast.FloorDiv, gast.Mod) else (False, None)


def _power(node, base):
    """a ** n: real for a whole n (even n: nonnegative) or a positive base (a Python float raised to a
    fraction is complex below 0)."""
    n = node.right.value if isinstance(node.right, gast.Constant) else None
    if isinstance(n, int) and not isinstance(n, bool):
        if n % 2 == 0:
            return True, 0.0
        return True, base ** n if base is not None and base >= 0.0 and n > 0 else None
    if base is not None and base > 0.0:
        return True, base ** n if isinstance(n, float) and n > 0.0 else 0.0
    return False, None


def _same(a, b):
    return isinstance(a, gast.Name) and isinstance(b, gast.Name) and a.id == b.id


def proves_finite(table, rule, partial):
    """Whether the table (None: no table) proves a rule's inlined partial finite wherever the values it reads
    are (`1.0 / t1` with `t1 = 1.0 + y * y`). Never for the runtime's own helpers: times_partial's partials are
    other rules' partials, singular or not."""
    return table is not None and not getattr(rule.primitive, "__module__", "").startswith("s2sad") \
        and table.regular(partial)


def infer(fn, resolver, shapes):
    """The Bounds of the normalized function fn in a derivative specialized to its arguments' kinds
    (`shapes`, see shapes.py); None for a general derivative or in complex mode."""
    if shapes is None or getattr(resolver, "complex_mode", False):
        return None
    return resolver.memoized("bounds", fn, lambda: _table(fn, resolver, shapes))


def _table(fn, resolver, shapes):
    params = [a.id for a in fn.args.args if isinstance(a, gast.Name)]
    assigned = {p: [_PARAMETER] for p in params if _real_kind(shapes.kind(p))}
    other_stores = set(p for p in params if p not in assigned)
    nodes = resolver.nodes(fn)  # list(every(fn)), the walk the other analyses of fn share
    plain = set()  # the targets of plain assignments, by identity
    for node in nodes:
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], gast.Name):
            assigned.setdefault(node.targets[0].id, []).append(node.value)
            plain.add(id(node.targets[0]))
        elif isinstance(node, (gast.FunctionDef, gast.Lambda, gast.Global, gast.Nonlocal)) and node is not fn:
            return Bounds({}, {}, set())  # another scope may rebind a name: nothing is known
    for node in nodes:
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Del)) and id(node) not in plain:
            other_stores.add(node.id)
    for ident in other_stores:
        assigned.pop(ident, None)
    rank0 = None if not _writes_in_place(fn, resolver, nodes) else \
        {n for n in assigned if (shapes.kind(n) or (None, None))[1] == ()}
    # what each call calls, resolved now: the table is kept in the resolver's memo, so it must not hold the resolver
    prims = {id(n): resolver.site(n).prim for n in nodes if isinstance(n, gast.Call)}
    return Bounds(assigned, prims, rank0)


def _real_kind(kind):
    return kind is not None and kind[0] in ("f", "i", "b")


def _writes_in_place(fn, resolver, nodes=None):
    """Whether fn may change an array's values after it was computed: an item or attribute stored, `+=`,
    an `out=` argument, an in-place method, or a call of a function without a pure rule (a function of
    yours may write its argument). Then only values of rank 0 (immutable scalars) keep bounds. `nodes`:
    `list(every(fn))`, where the caller has it."""
    for node in every(fn) if nodes is None else nodes:
        if isinstance(node, gast.AugAssign):
            return True
        if isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)) and isinstance(node.ctx, gast.Store):
            return True
        if isinstance(node, gast.Call):
            if any(k.arg == "out" for k in node.keywords):
                return True
            if isinstance(node.func, gast.Attribute) and node.func.attr in _IN_PLACE_METHODS:
                return True
            site = resolver.site(node)
            if site.kind != "rule" or not getattr(site.rule, "pure", False):
                return True
    return False

