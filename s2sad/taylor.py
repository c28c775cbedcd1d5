"""Stage 4c: Taylor mode (jet). Forward mode carrying K coefficients instead of one tangent.

After this pass `f_jet(*params, *wrt_series)` returns `(out, out_ser)`: every active variable `x`
has, right beside it, its series `x_ser`, the list `[x1, ..., xK]` of its normalized Taylor
coefficients (`runtime_taylor.py` states the convention; `s2sad.jet` converts from JAX's). The
statements are forward mode's, control flow kept; only the derivative line differs:

    y = x * z          ->    y = x * z
                             y_ser = jet_mul(y, x, x_ser, z, z_ser)     (Leibniz's rule)
    s = np.sum(y)            s = np.sum(y)
                             s_ser = [np.sum(y_k) for y_k in y_ser]     (linear: coefficient-wise)

What a primitive needs is its rule entry's `taylor` (registry.py). A primitive linear in its active
operands (a `linear` rule, `x + c`, `c * x`, `x / c`, `A @ x`) has as series the primitive applied to
each coefficient, one list comprehension; a bilinear one Leibniz's rule over itself; others name a
recurrence of `runtime_taylor*.py`, and an elementwise function of one argument without one gets its
series from the jet of its derivative template ("derived"). A primitive with none is an S2SADError
naming it and the user's line, and so are item writes into an array with a series and method calls
on objects (what this mode cannot do right). A user function called with active arguments gets its
own jet (the driver builds it in mode "jet:K").
"""

import copy

import gast

from . import build as b
from . import runtime, templates
from . import runtime_taylor as rt
from . import runtime_taylor_special as rs
from .calls import parameters, tangent_names
from .errors import S2SADError
from .forward import Forward
from .stacks import _append, _new, _pop

# -- what each primitive needs: its rule entry's `taylor` (registry.py) -------------------------------

# recurrences for products and quotients: a series in one factor only (the numerator) is coefficient-wise
_PRODUCT, _QUOTIENT = rt.mul, rt.div
_DERIVING = set()  # derivative templates whose jet is being built ("derived": a template needing itself is refused)


def has_taylor_rule(prim, rule):
    """Whether jet knows prim (with its table rule): its entry names a recurrence or a form."""
    return rule.taylor not in (None, "refused")


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
        form = site.rule.taylor
        if form == "coefficientwise":
            return self.coefficientwise(value, active, where, site)
        if form in ("sum", "difference"):
            return self.additive(site, ans, form == "difference")
        if site.rule.kind == "bilinear":
            self.only_wrt(site, where)
        if form in ("bilinear", _PRODUCT, _QUOTIENT) and self.linear_in(site, active):
            return self.coefficientwise(value, active, where, site)
        if form == "bilinear":
            return self.bilinear(site, value, ans, where)
        if form == "clip":
            return self.clip(site, ans, where)
        if form == "derived":
            return self.derived(site, ans, where)
        if form is None or isinstance(form, str):
            raise where.error(f"{site.label} has no Taylor-mode (jet) rule", construct=site.label,
                              hint="jet knows the elementwise functions, products, quotients, powers and the "
                                   "linear operations; see docs/taylor.md")
        return self.nonlinear(form, site, ans, where)

    def derived(self, site, ans, where):
        """An elementwise function of one argument known only by its derivative template d(x[, ans]):
        `jet_from_derivative(ans, x, x_ser, d_jet, reads_ans)`, d_jet the jet of the template itself,
        built as a called function's is (its primitives' own Taylor rules), to order K - 1."""
        rule = site.rule
        bound = rule.bind(site.args, site.keywords)
        x = rule.params[0]
        names = templates.params(rule.jvp)
        if [p for p in rule.params if isinstance(bound.get(p), gast.AST)] != [x] or names not in ([x], [x, "ans"]) \
                or self.callees is None:
            raise where.error(f"{site.label} called with these arguments has no Taylor-mode (jet) rule",
                              construct=site.label)
        if rule.jvp in _DERIVING:
            raise where.error(f"{site.label} has no Taylor-mode (jet) rule: its derivative needs its own",
                              construct=site.label)
        _DERIVING.add(rule.jvp)
        try:
            compiled = self.callees.derive(rule.jvp, f"jet:{max(self.order - 1, 1)}", tuple(names), None)
        except S2SADError as exc:
            raise where.error(f"{site.label} has no Taylor-mode (jet) rule: its derivative's jet fails: {exc}",
                              construct=site.label) from None
        finally:
            _DERIVING.discard(rule.jvp)
        helper = b.name(self.helpers(compiled.function, f"{rule.jvp.__name__}_derivative_jet"))
        return self.jet_call(rs.from_derivative, copy.deepcopy(ans), copy.deepcopy(bound[x]),
                             self.tangent_of(bound[x]), helper, b.const(len(names) == 2))

    def only_wrt(self, site, where):
        """Refuse a series in a parameter the rule does not differentiate (a bilinear adjoint's shape operand)."""
        bound = site.rule.bind(site.args, site.keywords)
        if any(isinstance(node, gast.Name) and self.tangent_of(node) is not None and p not in site.rule.wrt
               for p, node in bound.items()):
            raise where.error(f"{site.label} with a Taylor series in an argument it is not linear in has no "
                              "Taylor-mode (jet) rule", construct=site.label)

    def linear_in(self, site, active):
        """Whether a product or quotient has a series in one factor only (a quotient: its numerator)."""
        if len(active) != 1:
            return False
        if site.rule.taylor is _QUOTIENT:
            return site.args and active[0] is site.args[0] and (len(site.args) < 2 or site.args[1] is not active[0])
        return sum(1 for a in site.args if a is active[0] or b.is_name(a, active[0].id)) == 1

    def comprehension(self, expr_of, series):
        """`(expr(a_ser[0], b_ser[0]), ..., expr(a_ser[K-1], b_ser[K-1]))`, expr_of mapping the items of
        the series to the result's item: unrolled, as K is known (a tuple display costs a third of a
        list comprehension's frame and zip). A series given as a call is read once, by a comprehension."""
        if all(isinstance(s, gast.Name) for s in series):
            unrolled = b.tup([expr_of([b.subscript(b.name(s.id), b.const(k)) for s in series])
                              for k in range(self.order)])
            unrolled.s2sad_unrolled = True  # fuse() may write it into the one statement that reads it
            return unrolled
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

    def additive(self, site, ans, minus):
        """x + y, x - y: the sum of the operands' series; a constant operand adds nothing (its shape aside)."""
        x, y = site.args[:2]
        sx, sy = self.tangent_of(x), self.tangent_of(y)
        if sx is not None and sy is not None:
            op = gast.Sub() if minus else gast.Add()
            return self.comprehension(lambda loop: b.binop(loop[0], op, loop[1]), [sx, sy])
        if sx is not None:
            return self.jet_call(rt.like, sx, copy.deepcopy(ans))
        return self.jet_call(rt.negated_like if minus else rt.like, sy, copy.deepcopy(ans))

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
        if helper in _VARIADIC_HELPERS:
            return self.variadic(helper, rule, bound, ans, where, site)
        params = [p for p in rule.params if isinstance(bound.get(p), gast.AST)]
        wanted = 2 if helper in _BINARY_HELPERS else 1
        if len(params) != wanted or any(p not in rule.wrt for p in params if self.tangent_of(bound[p]) is not None):
            raise where.error(f"{site.label} called with these arguments has no Taylor-mode (jet) rule",
                              construct=site.label)
        args = [copy.deepcopy(ans)]
        for p in params:
            args += [copy.deepcopy(bound[p]), self.tangent_of(bound[p]) or b.const(None)]
        return self.jet_call(helper, *args)

    def variadic(self, helper, rule, bound, ans, where, site):
        """`jet_f(ans, a, a_ser, b, b_ser, ...)` over every parameter of the rule, in order (the SciPy log
        densities, np.nan_to_num: a parameter left out is its default, as a constant)."""
        args = [copy.deepcopy(ans)]
        for p in rule.params:
            atom = bound.get(p)
            if not isinstance(atom, gast.AST) and not (atom is None or isinstance(atom, (bool, int, float))):
                raise where.error(f"{site.label} called with these arguments has no Taylor-mode (jet) rule",
                                  construct=site.label)
            if not isinstance(atom, gast.AST):
                args += [b.const(atom), b.const(None)]
            elif self.tangent_of(atom) is not None and p not in rule.wrt:
                raise where.error(f"{site.label} with a Taylor series in {p!r} has no Taylor-mode (jet) rule",
                                  construct=site.label)
            else:
                args += [copy.deepcopy(atom), self.tangent_of(atom) or b.const(None)]
        return self.jet_call(helper, *args)

    def clip(self, site, ans, where):
        """np.clip(a, a_min, a_max) (or a.clip(...)): `jet_clip(ans, a, a_ser, lo, lo_ser, hi, hi_ser)`."""
        bound = site.rule.bind(site.args, site.keywords)
        if any(bound.get(p) is not None for p in ("min", "max")) or set(bound) - {"a", "a_min", "a_max", "min", "max"}:
            raise where.error(f"{site.label} called with these arguments has no Taylor-mode (jet) rule",
                              construct=site.label, hint="write np.clip(a, a_min, a_max)")
        args = [copy.deepcopy(ans)]
        for p in ("a", "a_min", "a_max"):
            atom = bound.get(p)
            atom = b.const(None) if atom is None else atom
            args += [copy.deepcopy(atom), self.tangent_of(atom) or b.const(None)]
        return self.jet_call(rt.clip, *args)

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
            elts = [copy.deepcopy(loop[index[self.tangent_of(a).id]]) if self.tangent_of(a) is not None
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
                   rt.logaddexp2, rt.remainder, rt.copysign, rs.betaln, rs.polygamma, rs.xlogy, rs.xlog1py,
                   rs.times_partial, rs.pow_base_partial, rs.pow_exponent_partial}
# every parameter of the rule passed, with its series or None (multi-parameter densities)
_VARIADIC_HELPERS = {rs.norm_logpdf, rs.t_logpdf, rs.gamma_logpdf, rs.beta_logpdf, rs.nan_to_num, rs.cumprod}


def taylor(normalized, parsed, resolver, wrt, namer, callees, order):
    """The gast FunctionDef of the jet to order K, the helper objects its names stand for, and the
    series' names."""
    builder = Taylor(normalized, parsed, resolver, wrt, namer, callees, order)
    node = builder.function()
    fuse(node)
    return node, builder.helpers.by_name, set(builder.dots.values())


# -- fusing coefficient-wise steps ------------------------------------------------------------
#
# `t_ser = (x_ser[0] * c, ...)` read only by `u_ser = (t_ser[0] + y_ser[0], ...)` a few statements
# later becomes `u_ser = (x_ser[0] * c + y_ser[0], ...)`: one tuple built instead of two. Chains of
# linear steps (an RK4 stage's sums) collapse into one statement per series; the primal
# statements are untouched. Only where it keeps every value: the series is bound once, read once
# per coefficient by a single later statement of the same block, and nothing its items read is
# rebound in between.


def fuse(fn):
    """Write each coefficient-wise series into its one reader, where that is safe (see above)."""
    changed = True
    while changed:
        changed = False
        counts = _name_counts(fn)
        for block in _blocks(fn):
            k = 0
            while k < len(block):
                if _fuse_at(block, k, counts):
                    changed = True
                    counts = _name_counts(fn)
                else:
                    k += 1


def _blocks(fn):
    """Every statement list in fn (the body, and the bodies of its branches and loops)."""
    for node in gast.walk(fn):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
                yield block


def _name_counts(fn):
    """{(name, 'load' | 'store'): how often} over the whole function."""
    counts = {}
    for node in gast.walk(fn):
        if isinstance(node, gast.Name):
            key = (node.id, "store" if isinstance(node.ctx, (gast.Store, gast.Del)) else "load")
            counts[key] = counts.get(key, 0) + 1
    return counts


def _is_unrolled(stmt):
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
        and getattr(stmt.value, "s2sad_unrolled", False)


def _fuse_at(block, k, counts):
    """Fuse block[k] into its reader; whether it did."""
    stmt = block[k]
    if not _is_unrolled(stmt):
        return False
    name, items = stmt.targets[0].id, stmt.value.elts
    if counts.get((name, "store")) != 1 or counts.get((name, "load")) != len(items):
        return False
    reader = next((j for j in range(k + 1, len(block)) if _reads(block[j], name)), None)
    if reader is None or not _is_unrolled(block[reader]):
        return False
    uses = [n for n in gast.walk(block[reader].value) if isinstance(n, gast.Subscript) and b.is_name(n.value, name)]
    indices = [u.slice.value for u in uses if isinstance(u.slice, gast.Constant) and type(u.slice.value) is int]
    if len(uses) != len(items) or sorted(indices) != list(range(len(items))):
        return False
    read = {n.id for n in gast.walk(stmt.value) if isinstance(n, gast.Name)}
    between = {n.id for s in block[k + 1:reader] for n in gast.walk(s)
               if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    if read & between:
        return False
    by_index = dict(zip((id(u) for u in uses), indices))
    _substitute(block[reader].value, by_index, items)
    del block[k]
    return True


def _reads(stmt, name):
    return any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load) for n in gast.walk(stmt))


def _substitute(tree, by_index, items):
    """Each use (a subscript node listed in by_index) replaced by a copy of its item."""
    for node in list(gast.walk(tree)):
        for field, child in gast.iter_fields(node):
            if isinstance(child, list):
                child[:] = [copy.deepcopy(items[by_index[id(c)]]) if id(c) in by_index else c for c in child]
            elif id(child) in by_index:
                setattr(node, field, copy.deepcopy(items[by_index[id(child)]]))
