"""What one primitive contributes to a derivative, in either mode, read off the rules table.

The transforms call `tangent_terms` and `cotangent_terms` with a resolved site and get
gast expressions back: one term per active operand, so inactive operands cost nothing.
"""

import builtins
import copy
import inspect

import gast
import numpy as np

from . import bounds, runtime, templates
from . import build as b
from .names import every, names
from .shapes import matmul_shape as shapes_matmul

_LITERALS = (type(None), bool, int, float, str)


class Helpers:
    """Names the generated code uses for objects it needs (numpy, runtime helpers)."""

    def __init__(self, namer, initial=None, resolve=None):
        self.namer = namer
        self.by_name = dict(initial or {})
        self.resolve = resolve
        self.exact = False  # every partial product exact-zero (see `selects`), not only the singular ones
        self.bounds = None  # bounds.Bounds of a specialized derivative: partials proven finite multiply plainly

    def __call__(self, obj, preferred):
        for ident, known in self.by_name.items():
            if known is obj:
                return ident
        if self.resolve is not None and self.resolve(preferred) is obj:
            return preferred  # the user's own name for it (`np`) reads best
        ident = self.namer.fresh(preferred)
        self.by_name[ident] = obj
        return ident

    def runtime(self, attr):
        return self(getattr(runtime, attr), attr)

    def builtin(self, ident):
        """The name generated code uses for a builtin (`range`, `slice`): its own unless the user's
        function rebinds it (a local `len`, a global `range`), then a fresh one bound to the builtin."""
        return self(getattr(builtins, ident), ident)

    def call(self, attr, *args):
        return b.call(b.name(self.runtime(attr)), list(args))


def index_expr(node, slice_name="slice"):
    """An index written as an expression: `1:3` becomes `slice(1, 3, None)` (`slice_name`: see Helpers.builtin)."""
    if isinstance(node, gast.Slice):
        parts = [b.const(None) if p is None else copy.deepcopy(p) for p in (node.lower, node.upper, node.step)]
        return b.call(slice_name, parts)
    if isinstance(node, gast.Tuple):
        return b.tup([index_expr(e, slice_name) for e in node.elts])
    return copy.deepcopy(node)


class _Bind(gast.NodeTransformer):
    """Substitute index operands raw inside subscripts and as `slice(...)` elsewhere."""

    def __init__(self, raw):
        self.raw = raw

    def visit_Subscript(self, node):
        node.value = self.visit(node.value)
        if isinstance(node.slice, gast.Name) and node.slice.id in self.raw:
            node.slice = copy.deepcopy(self.raw[node.slice.id])
        else:
            node.slice = self.visit(node.slice)
        return node


def _bindings(site, where, helpers=None):
    bound = site.rule.bind(site.args, site.keywords)
    slice_name = helpers.builtin("slice") if helpers is not None else "slice"
    out, raw = {}, {}
    for param, node in bound.items():
        if isinstance(node, gast.AST):
            if isinstance(node, (gast.Slice, gast.Tuple)):
                raw[param] = node
                out[param] = index_expr(node, slice_name)
            else:
                out[param] = node
        elif _is_literal(node):
            out[param] = _literal(node)
        else:
            raise where.error(f"the call to {site.label} does not match the signature of its derivative rule",
                              construct=site.label)
    return out, raw


def _is_literal(value):
    """A template default the generated code can spell: None, a bool, number or string, or a tuple of them."""
    if isinstance(value, tuple):
        return all(_is_literal(item) for item in value)
    return isinstance(value, _LITERALS)


def _literal(value):
    return b.tup([_literal(item) for item in value]) if isinstance(value, tuple) else b.const(value)


def _inline(fn, expr, bindings, raw, helpers):
    if raw:
        placeholder = {k: b.name(k) for k in raw}
        expr = _Bind(raw).visit(templates.instantiate(fn, expr, {**bindings, **placeholder}, helpers))
        return templates.rebind(expr, {k: v for k, v in bindings.items() if k in raw})
    return templates.instantiate(fn, expr, bindings, helpers)


def _constant(node):
    if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) and _constant(node.operand) is not None:
        return -_constant(node.operand)
    return None


def _scale(term, factor, helpers=None, scalar=False):
    """term * factor, written without the multiplication when factor is 1 or -1.

    With `helpers` (the factor is a partial that can be infinite or NaN at some points), the
    product is `times_partial(term, factor)`: exactly zero where term is zero, so a zero
    tangent or cotangent (the branch `np.where` did not pick, a loop-carried tangent that
    starts at zero) stays zero instead of becoming 0 * inf = NaN. With `scalar` (the shapes table
    proves both of rank 0, in a specialized derivative), `times_partial_scalar`, which the optimizer
    writes out without a call where neither is zero."""
    factor = b.const(_constant(factor)) if _constant(factor) is not None else factor
    if isinstance(factor, gast.Constant) and factor.value == 1.0:
        return term
    if isinstance(factor, gast.Constant) and factor.value == -1.0:
        return gast.UnaryOp(op=gast.USub(), operand=term)
    if helpers is not None and not isinstance(factor, gast.Constant):
        return helpers.call("times_partial_scalar" if scalar else "times_partial", term, factor)
    return b.binop(term, gast.Mult(), factor)


def _exact_or(rule, expr, helpers):
    """The helpers when the product of a term by this partial must be exact-zero: the partial is
    singular, or the function selects (see `selects`), so a plain value such as mul's partial may be
    the NaN of a branch the selection discards."""
    return helpers if helpers.exact or _singular(rule, expr) else None


# Primitives whose result drops some of an operand's values (the branch np.where did not pick, the
# NaNs nansum skips): where they drop one, the operand's cotangent is an exact zero (and in the
# generated code of a derivative, which such a primitive's rules emit, a tangent too), while the
# primal values behind it may be NaN or infinite (`np.where(x > 0, np.sqrt(x) * x, 0.0)` at x < 0).
_SELECTING = frozenset(getattr(np, name) for name in
                       "select piecewise nan_to_num fmax fmin nansum nanprod nanmean nanmax nanmin nanstd nanvar "
                       "nancumsum nancumprod nanmedian nanargmax nanargmin".split() if hasattr(np, name))


def selects(node, resolver):
    """Whether the function's body calls a selecting primitive (three-argument np.where, np.select,
    np.nan_to_num, the nan-reductions, ...). Only then do all elementwise products of a tangent or
    cotangent by a partial go through `runtime.times_partial`; other functions keep plain `*`. Found once."""
    return resolver.memoized(("selects", getattr(resolver, "complex_mode", False)), node, lambda: any(
        _selecting(call, resolver) for call in resolver.nodes(node) if isinstance(call, gast.Call)))


def _selecting(call, resolver):
    prim = resolver.site(call).prim
    if prim is np.where and len(call.args) + len(call.keywords) >= 3:
        return True
    try:
        return prim in _SELECTING
    except TypeError:  # an unhashable object
        return False


_SINGULAR_CALLS = frozenset("log log2 log10 log1p power float_power reciprocal sqrt cbrt arctanh arcsin arccos tan "
                            "times_partial pow_base_partial pow_exponent_partial".split())


def _partial(rule, expr, fn, env, raw, helpers):
    """(The inlined partial, whether it may be infinite or NaN somewhere).

    `a ** n` with a constant whole n >= 1 has the plain partial `n * a ** (n - 1)`, finite
    wherever a is: it is written out (`2 * a` for a square) and multiplies as it is, so the
    commonest power costs no runtime helper."""
    inlined = _inline(fn, expr, env, raw, helpers)
    whole = _whole_power(inlined, helpers)
    if whole is not None:
        return whole, False
    return inlined, _singular(rule, expr) and not bounds.proves_finite(helpers.bounds, rule, inlined)


def _whole_power(node, helpers):
    """`pow_base_partial(a, n)` for a constant whole n >= 1, written as `n * a ** (n - 1)`; else None."""
    if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and len(node.args) == 2
            and helpers.by_name.get(node.func.id) is runtime.pow_base_partial):
        return None
    base, n = node.args[0], _constant(node.args[1])
    if n is None or n < 1 or float(n) != int(n) or n > 64:
        return None
    if n == 1:
        return b.const(1.0)
    power = copy.deepcopy(base) if n == 2 else b.binop(copy.deepcopy(base), gast.Pow(), b.const(n - 1))
    return b.binop(b.const(n), gast.Mult(), power)


def _singular(rule, expr):
    """Whether a partial may be infinite or NaN at points of the primal's domain: the rule's domain
    is restricted, or the partial divides, raises to a power or calls a function with a pole."""
    if rule.domain != "real" or rule.primitive is runtime.times_partial:  # its partials are other rules' partials
        return True
    for node in every(expr):
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Div, gast.Pow)):
            return True
        if isinstance(node, gast.Call):
            name = node.func.attr if isinstance(node.func, gast.Attribute) else getattr(node.func, "id", "")
            if name in _SINGULAR_CALLS:
                return True
    return False


def _replace(node, replacements):
    """A copy of node in which the sub-nodes whose ids are keys are replaced."""
    if id(node) in replacements:
        return copy.deepcopy(replacements[id(node)])
    if isinstance(node, list):
        return [_replace(item, replacements) for item in node]
    if not isinstance(node, gast.AST):
        return node
    return type(node)(**{f: _replace(getattr(node, f), replacements) for f in node._fields})


def _exact_dtype(bound, helpers):
    """Whether the call's `dtype=` argument makes its result integer or boolean: True, False, or
    None when only the running code can tell (a dtype held in a variable)."""
    node = bound.get("dtype")
    if node is None or (isinstance(node, gast.Constant) and node.value is None):
        return False
    if isinstance(node, gast.Constant):
        obj = node.value
    else:
        path = b.dotted_path(node)
        obj = helpers.resolve(path.split(".")[0]) if path and helpers.resolve else None
        if not (inspect.ismodule(obj) or any(obj is t for t in (int, float, bool, complex))):
            return None  # a variable (a global may be rebound later): the running code decides
        for attr in path.split(".")[1:]:
            obj = getattr(obj, attr, None)
        if obj is None:  # np.dtype(None) is float64: an unknown dtype must not read as one
            return None
    try:
        return not np.issubdtype(np.dtype(obj), np.inexact)
    except TypeError:
        return None


def _cut(terms, exact, ans, helpers):
    """The terms of a call with a `dtype=`: none when it makes integers, guarded when unknown."""
    if exact is None:
        return [helpers.call("inexact_only", term, templates.clone(ans)) for term in terms]
    return [] if exact else terms


def tangent_terms(site, value, ans, tangent_of, helpers, where, scalar=False):
    """One tangent term per active operand of `value` (the statement's right-hand side).

    Each term has the result's shape once the terms are added up: an operand smaller than
    the result (`x + C` with scalar x) has its term broadcast to `ans`. A result cast to an
    integer or boolean dtype has no terms (see `_exact_dtype`). `scalar`: the shapes table
    proves the result of rank 0 (a specialized derivative), so an elementwise rule's operands,
    their tangents and its partials are too, and exact products are `times_partial_scalar`.
    """
    if site.rule is None or site.rule.kind == "nondiff":  # no rule: a call of nothing active
        return []
    bound, raw = _bindings(site, where, helpers)
    return _cut(_tangent_terms(site, bound, raw, value, ans, tangent_of, helpers, where, scalar),
                _exact_dtype(bound, helpers), ans, helpers)


def _tangent_terms(site, bound, raw, value, ans, tangent_of, helpers, where, scalar=False):
    rule = site.rule
    active = [p for p in rule.wrt if tangent_of(bound.get(p)) is not None]
    if not active:
        return []
    if rule.kind == "linear":
        return [_linear_tangent(site, value, tangent_of, helpers)]
    if rule.kind == "elementwise":
        return _elementwise_tangents(rule, bound, raw, active, ans, tangent_of, helpers, scalar)
    if rule.jvp is None and rule.kind == "custom":
        raise where.error(f"{site.label} has a custom_vjp rule but forward mode needs a forward rule",
                          construct=site.label,
                          hint=f"give it one with {site.label}.defjvp(jvp), see docs/custom_rules.md")
    if rule.jvp is None:
        raise where.error(f"{site.label} has a reverse rule but no forward rule", construct=site.label)
    env = {**bound, "ans": ans}
    tangent_params = list(_template_params(rule.jvp))[: len(rule.wrt)]
    for param, tparam in zip(rule.wrt, tangent_params):
        env[tparam] = tangent_of(bound.get(param)) or b.const(None if rule.kind == "custom" else 0.0)
    if rule.kind == "custom":  # the user's rule takes every tangent at once and returns the whole term
        return [_inline(rule.jvp, templates.parts(rule.jvp, 1)[1][0], env, raw, helpers)]
    _, exprs = templates.parts(rule.jvp, len(rule.wrt))
    return [_inline(rule.jvp, exprs[rule.wrt.index(p)], env, raw, helpers) for p in active]


def _linear_tangent(site, value, tangent_of, helpers):
    """The primitive applied to the tangents: active operands become their tangents, inactive ones zeros."""
    rule = site.rule
    params = dict(zip(rule.params, site.args))
    params.update(site.keywords)
    swaps = {}
    for p in rule.wrt:
        node = params.get(p)
        if node is None:
            continue
        tangent = tangent_of(node)
        swaps[id(node)] = tangent if tangent is not None else helpers.call("zeros_like", copy.deepcopy(node))
    return _replace(value, swaps)


def _elementwise_tangents(rule, bound, raw, active, ans, tangent_of, helpers, scalar=False):
    """x_dot * dfdx for each active x; broadcast to `ans` when nothing else in the sum has its shape."""
    _, exprs = templates.parts(rule.jvp, len(rule.wrt))
    env = {**bound, "ans": ans}
    terms, covered = [], set()
    for p in active:
        expr = exprs[rule.wrt.index(p)]
        partial, singular = _partial(rule, expr, rule.jvp, env, raw, helpers)
        terms.append(_scale(tangent_of(bound[p]), partial, helpers if helpers.exact or singular else None, scalar))
        mentioned = {n.id for n in names(expr)}
        covered |= {p} | {q for q in rule.params if q in mentioned}
        if "ans" in mentioned:
            covered |= set(rule.params)
    shaped = [q for q in rule.params if isinstance(bound.get(q), gast.AST) and not isinstance(bound[q], gast.Constant)]
    if not scalar and not set(shaped) <= covered:  # some operand that sets the result's shape is in no term
        terms[0] = helpers.call("broadcast_like", terms[0], copy.deepcopy(ans))  # (of rank 0, each has its shape)
    return terms


def cotangent_terms(site, ans, g, is_active, helpers, where, shapes=None, target=None):
    """(operand atom, cotangent expression) for each active operand, given the result's cotangent g.

    With `shapes` (the kinds of the arguments are known, see shapes.py) and the name of
    the statement's `target`, wrappers that are provably the identity are left out.
    """
    rule = site.rule
    if rule is None or rule.kind == "nondiff":  # no rule: a call of nothing active (a name rebound active later)
        return []
    bound, raw = _bindings(site, where, helpers)
    exact = _exact_dtype(bound, helpers)
    if exact is True:
        return []
    if exact is None:
        g = helpers.call("inexact_only", templates.clone(g), templates.clone(ans))
    active = [p for p in rule.wrt if is_active(bound.get(p))]
    if not active:
        return []
    fn = rule.vjp
    _, exprs = templates.parts(fn, len(rule.wrt))
    env = {**bound, "ans": ans}
    if rule.kind != "elementwise":
        env[_template_params(fn)[0]] = g
    known = _Known(shapes, target, (g, ans), helpers)
    terms = []
    for p in active:
        expr = exprs[rule.wrt.index(p)]
        if rule.kind == "elementwise":
            partial, singular = _partial(rule, expr, fn, env, raw, helpers)
            term = _scale(templates.clone(g), partial, helpers if helpers.exact or singular else None,
                          known.scalar(g, partial))
            if len(rule.wrt) > 1 and not known.same(b.name(target) if target else None, bound[p]):
                term = helpers.call("unbroadcast", term, templates.clone(bound[p]))
        else:
            term = known.specialize(_inline(fn, expr, env, raw, helpers))
        terms.append((bound[p], term))
    return terms


class _Known:
    """What the shapes table proves about one statement's terms; knows nothing without a table."""

    def __init__(self, shapes, target, like_target, helpers):
        self.shapes = shapes if target is not None and shapes is not None and shapes.kind(target) else None
        kind = self.shapes.kind(target) if self.shapes else None
        # the cotangent g and `ans` are shaped like the target (ans may be a copy's name; g may be spread first,
        # `spread_zero(g, ans)`, where a bare 0.0 may reach it)
        self.helpers = helpers
        self.extra = {n.id: kind for n in map(self.spread, like_target) if isinstance(n, gast.Name)}
        self.ans = like_target[1]  # the primal result of the statement, for `_Specialize.visit_BinOp`

    def shape(self, node):
        return None if self.shapes is None else self.shapes.shape(node, self.extra, self.objects())

    def spread(self, node, part=0):
        """g (part 0) or like (part 1) of `spread_zero(g, like)`, else node (a bare 0.0 from the trip before,
        spread over `like`: as it is when like is a float)."""
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and len(node.args) == 2 \
                and self.helpers.by_name.get(node.func.id) is runtime.spread_zero:
            return node.args[part]
        return node

    def scalar(self, *nodes):
        """Whether every node is provably of rank 0 (a float, a 0-d array)."""
        return self.shapes is not None and all(self.shape(n) == () for n in nodes)

    def same(self, left, right):
        return left is not None and self.shape(left) is not None and self.shape(left) == self.shape(right)

    def objects(self):
        return self.helpers.by_name

    def specialize(self, term):
        """term with runtime helpers whose branch the shapes decide replaced by that branch."""
        if self.shapes is None:
            return term
        return _Specialize(self).visit(term)


_SPECIALIZED = (runtime.unbroadcast, runtime.matmul_adjoint_a, runtime.matmul_adjoint_b, runtime.dot_adjoint_a,
                runtime.dot_adjoint_b)
_ADJOINTS_OF_A = (runtime.matmul_adjoint_a, runtime.dot_adjoint_a)


class _Specialize(gast.NodeTransformer):
    """`unbroadcast(t, x)` -> `t` when shapes match; a matmul (or np.dot) adjoint of known ranks -> its NumPy call.

    Each replacement is the computation the helper performs for those ranks (`a.T @ g`
    is the same BLAS call as the helper's `swapaxes(a) @ g[:, None]`), so values are
    unchanged to the bit; `np.outer(g, b)` computes each g[i] * b[j] once, as the helper's
    matmul with an inner dimension of 1 does, except perhaps for the sign of a zero.
    """

    def __init__(self, known):
        self.known = known

    def visit_BinOp(self, node):
        """`sum_adjoint(g, x, None, False) * norm_slope(x, None, None)` with g of rank 0 (the rule of
        `ans = np.linalg.norm(x)`): `np.asarray(g) * (x / (ans + (ans == 0)))`, the slope (shaped like x)
        spreading g, with no copy, from the norm the primal computed (norm_slope's own short case). The
        0-d array keeps the helper's dtype: a float32 slope times a float64 g is float64 either way."""
        self.generic_visit(node)
        spread, slope = node.left, node.right
        if not (isinstance(node.op, gast.Mult) and self.called(spread, runtime.sum_adjoint)
                and self.called(slope, runtime.norm_slope)) or len(spread.args) != 4 or spread.keywords:
            return node
        g, x, axis, keepdims = spread.args
        g = self.known.spread(g) if self.known.shape(self.known.spread(g, 1)) == () else g  # spread over a float: g
        if not (_is_const(axis, None) and _is_const(keepdims, False) and _same(x, slope.args[0])
                and len(slope.args) == 3 and _is_const(slope.args[1], None) and _is_const(slope.args[2], None)
                and not slope.keywords and self.known.shape(g) == () and self.known.shape(x)
                and isinstance(self.known.ans, gast.Name)):
            return node
        asarray = b.attribute(b.name(self.known.helpers(np, "np")), "asarray")
        ans = self.known.ans
        safe = b.binop(b.name(ans.id), gast.Add(), gast.Compare(left=b.name(ans.id), ops=[gast.Eq()],
                                                                  comparators=[b.const(0)]))
        return b.binop(b.call(asarray, [g]), gast.Mult(), b.binop(copy.deepcopy(x), gast.Div(), safe))

    def called(self, node, obj):
        return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
            and self.known.helpers.by_name.get(node.func.id) is obj

    def visit_Call(self, node):
        self.generic_visit(node)
        helper = self.helper(node)
        if helper is None or node.keywords:
            return node
        shapes = [self.known.shape(a) for a in node.args]
        if helper is runtime.unbroadcast and len(shapes) == 2 and shapes[0] is not None and shapes[0] == shapes[1]:
            return node.args[0]
        if helper is not runtime.unbroadcast and len(shapes) == 3 and None not in shapes:
            # np.dot of a matrix by a vector or a matrix is the matmul: dot's helpers call matmul's
            return self.matmul(any(helper is h for h in _ADJOINTS_OF_A), node.args, shapes) or node
        return node

    def helper(self, node):
        if not isinstance(node.func, gast.Name):
            return None
        obj = self.known.helpers.by_name.get(node.func.id)
        return next((h for h in _SPECIALIZED if obj is h), None)

    def matmul(self, wrt_a, args, shapes):
        g, a, x = args
        sg, sa, sb = shapes
        if len(sa) != 2 or len(sb) not in (1, 2) or sg != shapes_matmul(sa, sb):
            return None
        if wrt_a and len(sb) == 1:  # (m, k) @ (k,): the outer product of g and b
            return b.call(b.attribute(b.name(self.known.helpers(np, "np")), "outer"), [g, x])
        if wrt_a:  # (m, k) @ (k, n)
            return b.binop(g, gast.MatMult(), _transposed(x))
        return b.binop(_transposed(a), gast.MatMult(), g)


def _is_const(node, value):
    return isinstance(node, gast.Constant) and node.value is value


def _transposed(node):
    return gast.Attribute(value=node, attr="T", ctx=gast.Load())


def merge_twins(terms):
    """`t * 2.0` for an operand's first two terms when they are the same expression (`x * x`; `_doubled`).

    Where the operand's adjoint has no value yet, its first two terms are added to each other,
    and t + t is exactly t * 2.0, one operation less; where it has one, `x_bar + t * 2.0` is
    `x_bar + t + t` rounded once instead of twice, two operations less.
    """
    seen = {}
    for i, (atom, _) in enumerate(terms):
        seen.setdefault(atom.id, []).append(i)
    drop = set()
    merged = list(terms)
    for places in seen.values():
        if len(places) >= 2:
            first, second = places[0], places[1]
            if _same(terms[first][1], terms[second][1]):
                merged[first] = (terms[first][0], _doubled(terms[first][1]))
                drop.add(second)
    return [t for i, t in enumerate(merged) if i not in drop]


def _doubled(term):
    """term * 2.0, written `g * 2.0 * x` for a product `g * x` (the cotangent times a partial): the same
    value (doubling is exact), and where g is a scalar and x an array (`np.sum(d * d)`'s adjoint)
    one array operation instead of two."""
    if isinstance(term, gast.BinOp) and isinstance(term.op, gast.Mult):
        return b.binop(b.binop(term.left, gast.Mult(), b.const(2.0)), gast.Mult(), term.right)
    return b.binop(term, gast.Mult(), b.const(2.0))


def _same(left, right):
    """Whether two expressions are the same tree (gast.dump without its garbage: dump's recursive
    closure is a reference cycle on every call)."""
    if left.__class__ is not right.__class__:
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(_same(a, c) for a, c in zip(left, right))
    if not isinstance(left, gast.AST):
        return type(left) is type(right) and (repr(left) == repr(right) if isinstance(left, float) else left == right)
    return all(_same(getattr(left, f, None), getattr(right, f, None)) for f in left._fields)


def _template_params(fn):
    return templates.params(fn)


def require_rule(site, where):
    """Refuse an active call s2sad has no derivative for."""
    if site.kind == "rule":
        return
    if site.kind == "function" and getattr(site.prim, "__module__", None) == runtime.__name__:
        raise where.error(
            f"{site.label} (an s2sad runtime helper in generated code) has no derivative rule, so this "
            "derivative cannot be differentiated again", construct=site.label,
            hint="a higher derivative of a function that builds a list with append is not supported yet; "
            "build it with np.stack or a list comprehension, see docs/limitations.md")
    if site.kind == "function":  # reached for callables without Python source (C functions, builtins)
        name = getattr(site.prim, "__name__", None) or "f"
        why = "is library code, which s2sad never differentiates from its source" if inspect.isfunction(site.prim) \
            else "has no Python source s2sad could differentiate"
        raise where.error(
            f"{_full_name(site)} has no derivative rule and {why}",
            construct=site.label, hint=f"give it rules: {name} = s2sad.custom_vjp({_full_name(site)}); "
            f"{name}.defvjp(fwd, bwd) (and .defjvp for forward mode), see docs/custom_rules.md",
        )
    if site.kind == "unknown" and site.label.isidentifier() and site.args and b.is_name(site.args[0], site.label):
        raise where.error(
            f"cannot differentiate the call of {site.label}, a function known only when the code runs (chosen from "
            "a list, in a loop, or received by the function being differentiated)", construct=site.label,
            hint="pass the function by name where a helper is called, apply(helper, x) or apply(np.sin, x), so "
            "that s2sad specializes the helper to it; see docs/limitations.md")
    if site.kind == "unknown" and site.label.startswith(".") and site.label[1:].isidentifier():
        raise where.error(f"cannot differentiate {site.label}, an attribute of a value derivatives flow through "
                          "(a namedtuple's field, a dataclass's or an object's attribute)", construct=site.label,
                          hint="pass the arrays as parameters, or in a tuple, list or dict (whose gradients keep "
                          "their structure); an object's attributes are constants; see docs/limitations.md")
    raise where.error(f"cannot differentiate {site.label or 'this expression'}", construct=site.label)


def refuse_active_object(site, where):
    """A method called on an object derivatives flow through, whose class is known only when the call
    runs: the run-time dispatch (calls.Dispatch) differentiates its arguments, never the object."""
    raise where.error(f"cannot differentiate {site.label} with respect to its object: the object's class is known "
                      "only when the code runs (an object made in the function, or one a helper receives from "
                      "outside the function being differentiated)", construct=site.label,
                      hint="call the method on a parameter of the function being differentiated (its class is "
                      "known from the argument), see docs/limitations.md")


def _full_name(site):
    """`math.gamma` rather than `gamma` when the call spelled it short (`from math import gamma`)."""
    module = getattr(site.prim, "__module__", None)
    name = getattr(site.prim, "__qualname__", None)
    if module and name and module != "builtins" and "." not in site.label:
        return f"{module}.{name}"
    return site.label
