"""Stage 4a: forward mode. Primal and tangent statements interleaved, control flow kept.

After this pass the function `f_jvp(*params, *wrt_dots)` returns `(out, out_dot)`;
every active variable `x` has a tangent `x_dot` computed right beside it.

Example::

    y = np.sin(x)           ->    y = np.sin(x)
                                  y_dot = x_dot * np.cos(x)
"""

import copy

import gast

from . import build as b
from .analyze import activity
from .errors import Location
from .partials import Helpers, index_expr, require_rule, tangent_terms


class Forward:
    """Builds the JVP of one normalized function."""

    def __init__(self, normalized, parsed, resolver, wrt, namer):
        self.norm = normalized
        self.parsed = parsed
        self.resolver = resolver
        self.wrt = list(wrt)
        self.namer = namer
        self.helpers = Helpers(namer, normalized.helpers, resolver.lookup_name)
        self.activity = activity(normalized.node, resolver, wrt)
        self.dots = {}

    def dot(self, ident):
        if ident not in self.dots:
            self.dots[ident] = self.namer.fresh(f"{ident}_dot")
        return self.dots[ident]

    def tangent_of(self, node):
        if isinstance(node, gast.Name) and node.id in self.activity.active:
            return b.name(self.dot(node.id))
        return None

    def where(self, stmt):
        line = self.norm.origins.get(stmt, self.norm.node.lineno)
        return Location(self.parsed.filename, line, self.parsed.line_text(line))

    def function(self):
        fn = self.norm.node
        params = [a.id for a in fn.args.args]
        dots = [self.dot(w) for w in self.wrt]
        node = b.function(f"{fn.name}_jvp", params + dots, self.block(fn.body))
        if fn.args.defaults:
            node.args.defaults = copy.deepcopy(fn.args.defaults) + [b.const(0.0) for _ in dots]
        return node

    def block(self, stmts):
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt):
        if isinstance(stmt, gast.Assign):
            return self.assign(stmt)
        if isinstance(stmt, gast.Return):
            return [b.ret(b.tup([copy.deepcopy(stmt.value), self.tangent_or_zero(stmt.value)]))]
        if isinstance(stmt, gast.If):
            return [b.if_(stmt.test, self.block(stmt.body), self.block(stmt.orelse))]
        if isinstance(stmt, gast.While):
            return [b.while_(stmt.test, self.block(stmt.body))]
        if isinstance(stmt, gast.For):
            return [b.for_(stmt.target, stmt.iter, self.block(stmt.body))]
        return [stmt]

    def tangent_or_zero(self, atom):
        tangent = self.tangent_of(atom)
        if tangent is not None:
            return tangent
        return self.helpers.call("zeros_like", copy.deepcopy(atom))

    def assign(self, stmt):
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript):
            return self.store(stmt)
        if target.id not in self.activity.active:
            return [stmt]
        site = self.resolver.site(stmt.value)
        where = self.where(stmt)
        operands = {a.id for a in site.operands() if isinstance(a, gast.Name)}
        if target.id in operands:  # x = f(x): keep the old x until the tangent is computed
            ans = self.namer.fresh(f"{target.id}_new")
            primal = [b.assign(ans, stmt.value)]
            finish = [b.assign(b.name(target.id, store=True), b.name(ans))]
        else:
            ans, primal, finish = target.id, [stmt], []
        tangent = self.tangent_expr(site, stmt.value, b.name(ans), where)
        if tangent is None:
            tangent = self.helpers.call("zeros_like", b.name(ans))
        return primal + [b.assign(self.dot(target.id), tangent)] + finish

    def tangent_expr(self, site, value, ans, where):
        if site.kind == "atom":
            return self.tangent_of(site.args[0])
        if site.kind == "container":
            if not any(self.tangent_of(a) is not None for a in site.args):
                return None
            elts = [self.tangent_or_zero(a) for a in site.args]
            return b.tup(elts) if site.prim is tuple else b.lst(elts)
        if site.kind == "inert":
            return None
        if not any(self.tangent_of(a) is not None for a in site.operands()):
            return None
        require_rule(site, where)
        terms = tangent_terms(site, value, ans, self.tangent_of, self.helpers, where)
        if not terms:
            return None
        total = terms[0]
        for term in terms[1:]:
            total = b.add(total, term)
        return total

    def store(self, stmt):
        """x[i] = v: the tangent of x gets v's tangent at i (on a copy, so no other tangent changes)."""
        target = stmt.targets[0]
        obj = target.value
        if obj.id not in self.activity.active:
            return [stmt]
        value_dot = self.tangent_or_zero(stmt.value)
        update = self.helpers.call("with_item", b.name(self.dot(obj.id)), index_expr(target.slice), value_dot, copy.deepcopy(obj))
        return [stmt, b.assign(self.dot(obj.id), update)]


def forward(normalized, parsed, resolver, wrt, namer):
    """The gast FunctionDef of the JVP, and the helper objects its names stand for."""
    builder = Forward(normalized, parsed, resolver, wrt, namer)
    return builder.function(), builder.helpers.by_name
