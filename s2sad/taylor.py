"""Stage 4c: Taylor mode (jet). Forward mode carrying K coefficients instead of one tangent.

After this pass `f_jet(*params, *wrt_series)` returns `(out, out_ser)`: every active variable `x`
has, right beside it, its series `x_ser`, the list `[x1, ..., xK]` of its normalized Taylor
coefficients (`runtime_taylor.py` states the convention; `s2sad.jet` converts from JAX's). The
statements are forward mode's, control flow kept; only the derivative line differs:

    y = x * z          ->    y = x * z
                             y_ser = jet_mul(y, x, x_ser, z, z_ser)     (Leibniz's rule)
    s = np.sum(y)            s = np.sum(y)
                             s_ser = [np.sum(y_k) for y_k in y_ser]     (linear: coefficient-wise)

A primitive is linear in its active operands (a `linear` rule, `x + c`, `c * x`, `x / c`, `A @ x`):
its series is the primitive applied to each coefficient, one list comprehension. Otherwise it
needs a Taylor rule (`TAYLOR` below, recurrences in `runtime_taylor.py`): a primitive with
neither is an S2SADError naming it and the user's line, and so are item writes into an array
with a series and method calls on objects (what this mode cannot do right). A user function
called with active arguments gets its own jet (the driver builds it in mode "jet:K").
"""

import copy
import math
import operator

import gast
import numpy as np

from . import build as b
from . import runtime
from . import runtime_taylor as rt
from .calls import parameters, tangent_names
from .forward import Forward
from .stacks import _append, _new, _pop

# -- what each primitive needs ---------------------------------------------------------

_ADDITIVE = {operator.add: "+", operator.sub: "-", np.add: "+", np.subtract: "-"}
_PRODUCTS = {operator.mul, np.multiply}
_QUOTIENTS = {operator.truediv, np.divide}
# bilinear in their first two array operands: Leibniz's rule with the primitive itself
_BILINEAR = {operator.matmul, np.matmul, np.dot, np.ndarray.dot, np.inner, np.outer, np.cross, np.kron,
             np.tensordot, np.vdot, np.convolve, np.correlate, np.einsum}
# linear in their array operands, though their rules are general ones
_LINEAR_GENERAL = {np.reshape, np.ndarray.reshape, np.ravel, np.ndarray.ravel, np.ndarray.flatten, np.where, sum}


def _unary(*pairs):
    table = {}
    for helper, prims in pairs:
        for prim in prims:
            table[prim] = helper
    return table


# primitive -> runtime_taylor helper, called (ans, x, x_ser) or (ans, x, x_ser, y, y_ser)
TAYLOR = _unary(
    (rt.exp, (np.exp, math.exp)), (rt.expm1, (np.expm1, math.expm1)), (rt.exp2, (np.exp2,)),
    (rt.log, (np.log, math.log)), (rt.log1p, (np.log1p, math.log1p)), (rt.log2, (np.log2, math.log2)),
    (rt.log10, (np.log10, math.log10)), (rt.sqrt, (np.sqrt, math.sqrt)), (rt.cbrt, (np.cbrt,)),
    (rt.square, (np.square,)), (rt.reciprocal, (np.reciprocal,)),
    (rt.sin, (np.sin, math.sin)), (rt.cos, (np.cos, math.cos)), (rt.tan, (np.tan, math.tan)),
    (rt.sinh, (np.sinh, math.sinh)), (rt.cosh, (np.cosh, math.cosh)), (rt.tanh, (np.tanh, math.tanh)),
    (rt.arcsin, (np.arcsin, math.asin)), (rt.arccos, (np.arccos, math.acos)), (rt.arctan, (np.arctan, math.atan)),
    (rt.arcsinh, (np.arcsinh, math.asinh)), (rt.arccosh, (np.arccosh, math.acosh)),
    (rt.arctanh, (np.arctanh, math.atanh)), (rt.absolute, (np.absolute, np.fabs, abs, math.fabs)),
    (rt.erf, (math.erf,)), (rt.erfc, (math.erfc,)),
    (rt.mul, tuple(_PRODUCTS)), (rt.div, tuple(_QUOTIENTS)),
    (rt.power, (operator.pow, np.power, np.float_power, pow, math.pow)),
    (rt.maximum, (np.maximum, np.fmax, max)), (rt.minimum, (np.minimum, np.fmin, min)),
    (rt.hypot, (np.hypot, math.hypot)), (rt.arctan2, (np.arctan2, math.atan2)),
    (rt.logaddexp, (np.logaddexp,)), (rt.logaddexp2, (np.logaddexp2,)),
)
if hasattr(math, "cbrt"):
    TAYLOR[math.cbrt] = rt.cbrt
if hasattr(math, "exp2"):
    TAYLOR[math.exp2] = rt.exp2


def _scipy_rules():
    """The SciPy primitives with a Taylor rule, when SciPy is there."""
    try:
        import scipy.special as special
    except ImportError:  # pragma: no cover - SciPy is optional
        return
    TAYLOR.update({special.erf: rt.erf, special.erfc: rt.erfc, special.expit: rt.expit})


_scipy_rules()


class Taylor(Forward):
    """Builds the jet of one normalized function, to order K."""

    def __init__(self, normalized, parsed, resolver, wrt, namer, callees, order):
        super().__init__(normalized, parsed, resolver, wrt, namer, callees)
        self.order = order

    def dot(self, ident):
        if ident not in self.dots:
            self.dots[ident] = self.namer.fresh(f"{ident}_ser")
        return self.dots[ident]

    def jet_call(self, helper, *args):
        """`jet_<name>(args...)`, the helper named for what it computes."""
        return b.call(b.name(self.helpers(helper, f"jet_{helper.__name__}")), list(args))

    def zero_series(self, atom):
        return self.jet_call(rt.zeros, copy.deepcopy(atom), b.const(self.order))

    def tangent_or_zero(self, atom):
        series = self.tangent_of(atom)
        return series if series is not None else self.zero_series(atom)

    def function(self):
        fn = self.norm.node
        params = [a.id for a in fn.args.args]
        series = [self.dot(w) for w in self.wrt]
        starts = [b.assign(self.dot(p), self.zero_series(b.name(p)))
                  for p in params if p in self.activity.active and p not in self.wrt]
        node = b.function(f"{fn.name}_jet", params + series, starts + self.block(fn.body))
        if fn.args.defaults:
            node.args.defaults = copy.deepcopy(fn.args.defaults) + [b.const(None) for _ in series]
        return node

    def statement(self, stmt):
        stacked = self.stack_statement(stmt)
        if stacked is not None:
            return stacked
        return super().statement(stmt)

    def stack_statement(self, stmt):
        """A list used as a stack: one list per coefficient, pushed and popped together."""
        active = self.activity.active
        made = _new(stmt)
        if made is not None and made in active:
            return [stmt, b.assign(self.dot(made), self.jet_call(rt.stacks, b.const(self.order)))]
        pushed = _append(stmt, self.resolver)
        if pushed and pushed[0] in active:
            return [stmt, b.expr_stmt(self.jet_call(rt.push, b.name(self.dot(pushed[0])),
                                                    self.tangent_or_zero(pushed[1])))]
        popped = _pop(stmt, self.resolver)
        if popped and popped[1] in active:
            pop = self.jet_call(rt.pop, b.name(self.dot(popped[1])))
            if popped[0] is not None and popped[0] in active:
                return [stmt, b.assign(self.dot(popped[0]), pop)]
            return [stmt, b.expr_stmt(pop)]
        return None

    def assign(self, stmt):
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript):
            return self.store(stmt)
        if target.id not in self.activity.active:
            return [stmt]
        site = self.resolver.site(stmt.value)
        where = self.where(stmt)
        if site.prim is runtime.append:
            xs, item = site.args
            grown = self.jet_call(rt.append, self.tangent_or_zero(xs), self.tangent_or_zero(item))
            return [stmt, b.assign(self.dot(target.id), grown)]
        if site.kind in ("function", "method") and any(self.tangent_of(a) is not None for a in site.operands()):
            return self.call(stmt, site, where)
        operands = {a.id for a in site.operands() if isinstance(a, gast.Name)}
        if target.id in operands:  # x = f(x): keep the old x until the series is computed
            ans = self.namer.fresh(f"{target.id}_new")
            primal = [b.assign(ans, stmt.value)]
            finish = [b.assign(b.name(target.id, store=True), b.name(ans))]
        else:
            ans, primal, finish = target.id, [stmt], []
        series = self.series_expr(site, stmt.value, b.name(ans), where)
        if series is None:
            series = self.zero_series(b.name(ans))
        return primal + [b.assign(self.dot(target.id), series)] + finish

    def store(self, stmt):
        obj = stmt.targets[0].value
        if obj.id in self.activity.active or self.tangent_of(stmt.value) is not None:
            raise self.where(stmt).error(
                f"an item write into {obj.id!r}, whose value has a Taylor series, is not supported by jet",
                construct="item write",
                hint="build the array from its items (np.stack, np.array of a list) instead of writing into it")
        return [stmt]

    # -- the series of one right-hand side -------------------------------------------------

    def series_expr(self, site, value, ans, where):
        if site.kind == "atom":
            return self.tangent_of(site.args[0])
        if site.kind == "container":
            return self.container(site, value)
        if site.kind == "inert" or not any(self.tangent_of(a) is not None for a in site.operands()):
            return None
        if site.kind != "rule" or site.rule is None:
            raise where.error(f"{site.label or 'this call'} has no Taylor-mode (jet) rule", construct=site.label)
        if site.rule.kind == "nondiff":
            return None
        active = [a for a in site.operands() if self.tangent_of(a) is not None]
        prim = site.prim
        if site.rule.kind == "linear" or prim in _LINEAR_GENERAL:
            return self.coefficientwise(value, active, where, site)
        if prim in _ADDITIVE:
            return self.additive(site, ans)
        if prim in _PRODUCTS | _BILINEAR | _QUOTIENTS and self.linear_in(site, active):
            return self.coefficientwise(value, active, where, site)
        if prim in _BILINEAR:
            return self.bilinear(site, value, ans, where)
        helper = TAYLOR.get(prim)
        if helper is None:
            raise where.error(f"{site.label} has no Taylor-mode (jet) rule", construct=site.label,
                              hint="jet knows the elementwise functions, products, quotients, powers and the "
                                   "linear operations; see docs/taylor.md")
        return self.nonlinear(helper, site, ans, where)

    def linear_in(self, site, active):
        """Whether a product or quotient has a series in one factor only (a quotient: its numerator)."""
        if len(active) != 1:
            return False
        if site.prim in _QUOTIENTS:
            return site.args and active[0] is site.args[0] and (len(site.args) < 2 or site.args[1] is not active[0])
        return sum(1 for a in site.args if a is active[0] or b.is_name(a, active[0].id)) == 1

    def comprehension(self, expr_of, series):
        """`[expr for a_k, b_k in zip(a_ser, b_ser)]`, expr_of mapping the loop names to the item."""
        loop = [self.namer.fresh(f"{getattr(s, 'id', 'c').removesuffix('_ser')}_k") for s in series]
        item = expr_of([b.name(n) for n in loop])
        if len(series) == 1:
            target, source = b.name(loop[0], store=True), series[0]
        else:
            target = b.tup([b.name(n, store=True) for n in loop], store=True)
            source = b.call(b.name(self.helpers.builtin("zip")), list(series))
        return gast.ListComp(elt=item, generators=[gast.comprehension(target=target, iter=source, ifs=[], is_async=0)])

    def coefficientwise(self, value, active, where, site):
        """The primitive applied to each coefficient: its active operands replaced, the rest kept."""
        if site.rule.kind == "linear":  # linear in its wrt parameters only: a series elsewhere has no rule
            bound = site.rule.bind(site.args, site.keywords)
            if any(isinstance(node, gast.Name) and self.tangent_of(node) is not None and p not in site.rule.wrt
                   for p, node in bound.items()):
                raise where.error(f"{site.label} with a Taylor series in an argument it is not linear in has no "
                                  "Taylor-mode (jet) rule", construct=site.label)
        names = []
        for atom in active:
            if atom.id not in names:
                names.append(atom.id)
        series = [b.name(self.dot(n)) for n in names]

        def item(loop):
            swapped = copy.deepcopy(value)
            swaps = dict(zip(names, loop))
            for node in gast.walk(swapped):
                for field, child in gast.iter_fields(node):
                    if isinstance(child, gast.Name) and child.id in swaps:
                        setattr(node, field, copy.deepcopy(swaps[child.id]))
                    elif isinstance(child, list):
                        child[:] = [copy.deepcopy(swaps[c.id]) if isinstance(c, gast.Name) and c.id in swaps else c
                                    for c in child]
            return swapped

        return self.comprehension(item, series)

    def additive(self, site, ans):
        """x + y, x - y: the sum of the operands' series; a constant operand adds nothing (its shape aside)."""
        x, y = site.args[:2]
        sx, sy = self.tangent_of(x), self.tangent_of(y)
        minus = _ADDITIVE[site.prim] == "-"
        if sx is not None and sy is not None:
            op = gast.Sub() if minus else gast.Add()
            return self.comprehension(lambda loop: b.binop(loop[0], op, loop[1]), [sx, sy])
        if sx is not None:
            return self.jet_call(rt.like, sx, copy.deepcopy(ans))
        like = self.jet_call(rt.like, sy, copy.deepcopy(ans))
        if not minus:
            return like
        return self.comprehension(lambda loop: gast.UnaryOp(op=gast.USub(), operand=loop[0]), [like])

    def bilinear(self, site, value, ans, where):
        """Both factors with series: Leibniz's rule over the primitive, given as a lambda of the two."""
        active = [a for a in site.args if self.tangent_of(a) is not None]
        if len(active) != 2:
            raise where.error(f"{site.label} with more than two operands that have Taylor series is not "
                              "supported by jet", construct=site.label)
        left, right = active
        u, v = self.namer.fresh("u"), self.namer.fresh("v")
        body = copy.deepcopy(value)
        fresh = iter((u, v))  # x @ x: one occurrence each (the sum over j is symmetric)
        by_name = {left.id: u, right.id: v} if left.id != right.id else None

        def swap(child):
            if not isinstance(child, gast.Name) or child.id not in (left.id, right.id):
                return child
            return b.name(by_name[child.id] if by_name else next(fresh))

        for node in list(gast.walk(body)):
            for field, child in gast.iter_fields(node):
                if isinstance(child, list):
                    child[:] = [swap(c) for c in child]
                else:
                    setattr(node, field, swap(child))
        op = gast.Lambda(args=b.arguments([u, v]), body=body)
        return self.jet_call(rt.bilinear, op, copy.deepcopy(ans), copy.deepcopy(left), self.tangent_of(left),
                             copy.deepcopy(right), self.tangent_of(right))

    def nonlinear(self, helper, site, ans, where):
        """`jet_f(ans, x, x_ser[, y, y_ser])` for a primitive with a Taylor rule."""
        rule = site.rule
        bound = rule.bind(site.args, site.keywords)
        params = [p for p in rule.params if isinstance(bound.get(p), gast.AST)]
        wanted = 2 if helper in _BINARY_HELPERS else 1
        if len(params) != wanted or any(p not in rule.wrt for p in params):
            raise where.error(f"{site.label} called with these arguments has no Taylor-mode (jet) rule",
                              construct=site.label)
        args = [copy.deepcopy(ans)]
        for p in params:
            args += [copy.deepcopy(bound[p]), self.tangent_of(bound[p]) or b.const(None)]
        return self.jet_call(helper, *args)

    def container(self, site, value):
        if not any(self.tangent_of(a) is not None for a in site.args):
            return None
        series = []
        for a in site.args:
            s = self.tangent_of(a)
            if s is not None and not any(b.is_name(s, x.id) for x in series):
                series.append(s)
        index = {s.id: k for k, s in enumerate(series)}

        def item(loop):
            elts = [loop[index[self.tangent_of(a).id]] if self.tangent_of(a) is not None
                    else self.helpers.call("zeros_like", copy.deepcopy(a)) for a in site.args]
            if site.prim is dict:
                return gast.Dict(keys=copy.deepcopy(value.keys), values=elts)
            if site.prim not in (tuple, list):  # a namedtuple's class called: P(a_dot, b_dot), in field order
                return b.call(copy.deepcopy(value.func), elts)
            return b.tup(elts) if site.prim is tuple else b.lst(elts)

        return self.comprehension(item, series)

    def call(self, stmt, site, where):
        """y = g(a, b) for a user function g: `y, y_ser = g_jet(a, b, a_ser)`."""
        if site.kind == "method" or self.callees is None:
            raise where.error(f"jet cannot follow the method call {site.label or ''} (its class is known only "
                              "when it runs)", construct=site.label or "method call")
        func, bound, wrt, compiled = self.callees.compiled_call(
            site, where, lambda atom: self.tangent_of(atom) is not None, f"jet:{self.order}")
        keywords = {p: copy.deepcopy(atom) for p, atom in bound.items()}
        for p, series in zip(wrt, tangent_names(compiled, parameters(func))):
            keywords[series] = self.tangent_of(bound[p])
        value = b.call(b.name(self.helpers(compiled.function, compiled.function.__name__)), [], keywords)
        target = stmt.targets[0].id
        return [b.assign(b.tup([b.name(target, store=True), b.name(self.dot(target), store=True)], store=True), value)]


_BINARY_HELPERS = {rt.mul, rt.div, rt.power, rt.maximum, rt.minimum, rt.hypot, rt.arctan2, rt.logaddexp,
                   rt.logaddexp2}


def taylor(normalized, parsed, resolver, wrt, namer, callees, order):
    """The gast FunctionDef of the jet to order K, the helper objects its names stand for, and the
    series' names."""
    builder = Taylor(normalized, parsed, resolver, wrt, namer, callees, order)
    node = builder.function()
    return node, builder.helpers.by_name, set(builder.dots.values())
