"""What one primitive contributes to a derivative, in either mode, read off the rules table.

The transforms call `tangent_terms` and `cotangent_terms` with a resolved site and get
gast expressions back: one term per active operand, so inactive operands cost nothing.
"""

import copy

import gast

from . import build as b
from . import runtime, templates

_LITERALS = (type(None), bool, int, float, str)


class Helpers:
    """Names the generated code uses for objects it needs (numpy, runtime helpers)."""

    def __init__(self, namer, initial=None, resolve=None):
        self.namer = namer
        self.by_name = dict(initial or {})
        self.resolve = resolve

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

    def call(self, attr, *args):
        return b.call(b.name(self.runtime(attr)), list(args))


def index_expr(node):
    """An index written as an expression: `1:3` becomes `slice(1, 3, None)`."""
    if isinstance(node, gast.Slice):
        parts = [b.const(None) if p is None else copy.deepcopy(p) for p in (node.lower, node.upper, node.step)]
        return b.call("slice", parts)
    if isinstance(node, gast.Tuple):
        return b.tup([index_expr(e) for e in node.elts])
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


def _bindings(site, where):
    bound = site.rule.bind(site.args, site.keywords)
    out, raw = {}, {}
    for param, node in bound.items():
        if isinstance(node, gast.AST):
            if isinstance(node, (gast.Slice, gast.Tuple)):
                raw[param] = node
                out[param] = index_expr(node)
            else:
                out[param] = node
        elif isinstance(node, _LITERALS):
            out[param] = b.const(node)
        else:
            raise where.error(f"the call to {site.label} does not match the signature of its derivative rule",
                              construct=site.label)
    return out, raw


def _inline(fn, expr, bindings, raw, helpers):
    if raw:
        placeholder = {k: b.name(k) for k in raw}
        expr = _Bind(raw).visit(templates.instantiate(fn, expr, {**bindings, **placeholder}, helpers))
        return templates.instantiate(fn, expr, {k: v for k, v in bindings.items() if k in raw}, helpers)
    return templates.instantiate(fn, expr, bindings, helpers)


def _constant(node):
    if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) and _constant(node.operand) is not None:
        return -_constant(node.operand)
    return None


def _scale(term, factor):
    """term * factor, written without the multiplication when factor is 1 or -1."""
    factor = b.const(_constant(factor)) if _constant(factor) is not None else factor
    if isinstance(factor, gast.Constant) and factor.value == 1.0:
        return term
    if isinstance(factor, gast.Constant) and factor.value == -1.0:
        return gast.UnaryOp(op=gast.USub(), operand=term)
    return b.binop(term, gast.Mult(), factor)


def _replace(node, replacements):
    """A copy of node in which the sub-nodes whose ids are keys are replaced."""
    if id(node) in replacements:
        return copy.deepcopy(replacements[id(node)])
    if isinstance(node, list):
        return [_replace(item, replacements) for item in node]
    if not isinstance(node, gast.AST):
        return node
    return type(node)(**{f: _replace(getattr(node, f), replacements) for f in node._fields})


def tangent_terms(site, value, ans, tangent_of, helpers, where):
    """One tangent term per active operand of `value` (the statement's right-hand side)."""
    rule = site.rule
    if rule.kind == "nondiff":
        return []
    bound, raw = _bindings(site, where)
    active = [p for p in rule.wrt if tangent_of(bound.get(p)) is not None]
    if rule.kind == "linear":
        params = dict(zip(rule.params, site.args))
        params.update(site.keywords)
        swaps = {id(params[p]): tangent_of(params[p]) for p in active}
        return [_replace(value, swaps)] if active else []
    if rule.kind == "elementwise":
        _, exprs = templates.parts(rule.jvp, len(rule.wrt))
        env = {**bound, "ans": ans}
        return [_scale(tangent_of(bound[p]), _inline(rule.jvp, exprs[rule.wrt.index(p)], env, raw, helpers))
                for p in active]
    if rule.jvp is None:
        raise where.error(f"{site.label} has a reverse rule but no forward rule", construct=site.label)
    _, exprs = templates.parts(rule.jvp, len(rule.wrt))
    tangent_params = list(_template_params(rule.jvp))[: len(rule.wrt)]
    env = {**bound, "ans": ans}
    for param, tparam in zip(rule.wrt, tangent_params):
        env[tparam] = tangent_of(bound.get(param)) or b.const(0.0)
    return [_inline(rule.jvp, exprs[rule.wrt.index(p)], env, raw, helpers) for p in active]


def cotangent_terms(site, ans, g, is_active, helpers, where):
    """(operand atom, cotangent expression) for each active operand, given the result's cotangent g."""
    rule = site.rule
    if rule.kind == "nondiff":
        return []
    bound, raw = _bindings(site, where)
    active = [p for p in rule.wrt if is_active(bound.get(p))]
    if not active:
        return []
    fn = rule.vjp
    _, exprs = templates.parts(fn, len(rule.wrt))
    env = {**bound, "ans": ans}
    if rule.kind != "elementwise":
        env[_template_params(fn)[0]] = g
    terms = []
    for p in active:
        expr = exprs[rule.wrt.index(p)]
        if rule.kind == "elementwise":
            term = _scale(copy.deepcopy(g), _inline(fn, expr, env, raw, helpers))
            if len(rule.wrt) > 1:
                term = helpers.call("unbroadcast", term, copy.deepcopy(bound[p]))
        else:
            term = _inline(fn, expr, env, raw, helpers)
        terms.append((bound[p], term))
    return terms


def _template_params(fn):
    return templates.params(fn)


def require_rule(site, where):
    """Refuse an active call s2sad has no derivative for."""
    if site.kind == "rule":
        return
    if site.kind == "function":
        raise where.error(
            f"no derivative rule for {site.label} and s2sad does not yet differentiate calls to Python functions",
            construct=site.label, hint="give it a rule with s2sad.custom_vjp",
        )
    raise where.error(f"cannot differentiate {site.label or 'this expression'}", construct=site.label)

