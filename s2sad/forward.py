"""Stage 4a: forward mode. Primal and tangent statements interleaved, control flow kept.

After this pass the function `f_jvp(*params, *wrt_dots)` returns `(out, out_dot)`;
every active variable `x` has a tangent `x_dot` computed right beside it.

Example::

    y = np.sin(x)           ->    y = np.sin(x)
                                  y_dot = x_dot * np.cos(x)
"""

import copy

import gast

from . import bounds, runtime, stacks
from . import build as b
from .analyze import activity
from .calls import parameters, tangent_names
from .errors import Location
from .names import every as every_node  # gast.walk's nodes, in its order, at half its cost
from .partials import Helpers, refuse_active_object, require_rule, selects, tangent_terms
from .walk import Walk


class Forward(Walk):
    """Builds the JVP of one normalized function: the tangent sweep of the shared statement walk."""

    def __init__(self, normalized, parsed, resolver, wrt, namer, callees=None, shapes=None):
        self.callees = callees
        self.shapes = shapes  # shapes.Shapes of a derivative specialized to its arguments' kinds, or None
        self.norm = normalized
        self.parsed = parsed
        self.resolver = resolver
        self.wrt = list(wrt)
        self.namer = namer
        self.helpers = Helpers(namer, normalized.helpers, resolver.lookup_name)
        self.helpers.exact = getattr(callees, "exact", False) or selects(normalized.node, resolver)
        self.helpers.bounds = bounds.infer(normalized.node, resolver, shapes)
        self.activity = activity(normalized.node, resolver, wrt)
        self.dots = {}
        self.renamed = {}  # a fresh name holding a variable's new value -> the variable

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
        # a parameter outside wrt that becomes active (y = x * y in a loop) starts with a zero tangent
        starts = [b.assign(self.dot(p), self.helpers.call("zeros_like", b.name(p)))
                  for p in params if p in self.activity.active and p not in self.wrt]
        node = b.function(f"{fn.name}_jvp", params + dots, starts + self.block(fn.body))
        if fn.args.defaults:
            node.args.defaults = copy.deepcopy(fn.args.defaults) + [b.const(0.0) for _ in dots]
        return node

    def block(self, stmts):
        out, last = [], None
        for stmt in stmts:
            line = self.norm.origins.get(stmt)
            if line is not None and line != last:
                out.append(b.origin(self.parsed, line))  # `# d/dx of: <user's line>`, once per line
            last = line
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt):
        """The statement and its tangent statements: a stack's push or pop (stacks.py), else the
        tangent sweep of the shared walk (walk.py) for the statement's kind."""
        pushed_or_popped = stacks.forward(self, stmt)
        if pushed_or_popped is not None:
            return pushed_or_popped
        return self.visit("tangents", stmt)

    def tangents_assign(self, stmt):
        return self.assign(stmt)

    def tangents_return(self, stmt):
        return [b.ret(b.tup([copy.deepcopy(stmt.value), self.tangent_or_zero(stmt.value)]))]

    def tangents_if(self, stmt):
        return [b.if_(stmt.test, self.block(stmt.body), self.block(stmt.orelse))]

    def tangents_while(self, stmt):
        return [b.while_(stmt.test, self.block(stmt.body))]

    def tangents_for(self, stmt):
        return [b.for_(stmt.target, stmt.iter, self.block(stmt.body))]

    def tangents_other(self, stmt):
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
        if site.prim is runtime.append:  # xs = append(xs, v): the tangent list grows beside the list
            xs, item = site.args
            grown = self.helpers.call("append", self.tangent_or_zero(xs), self.tangent_or_zero(item))
            return [stmt, b.assign(self.dot(target.id), grown)]
        if site.kind in ("function", "method") and any(self.tangent_of(a) is not None for a in site.operands()):
            return self.call(stmt, site, where)
        operands = {a.id for a in site.operands() if isinstance(a, gast.Name)}
        if target.id in operands:  # x = f(x): keep the old x until the tangent is computed
            ans = self.namer.fresh(f"{target.id}_new")
            self.renamed[ans] = target.id  # of target's kind, for `scalar`
            primal = [b.assign(ans, stmt.value)]
            finish = [b.assign(b.name(target.id, store=True), b.name(ans))]
        else:
            ans, primal, finish = target.id, [stmt], []
        tangent = self.tangent_expr(site, stmt.value, b.name(ans), where)
        if tangent is None:
            tangent = self.helpers.call("zeros_like", b.name(ans))
        tangent = self.owned(target.id, tangent, b.name(ans))
        if not isinstance(stmt.value, gast.Name) and self.written_tangent(tangent):
            tangent = self.helpers.call("own_copy", tangent)  # `z = w * 1.0`: z a new array, z_dot too
        return primal + [b.assign(self.dot(target.id), tangent)] + finish

    def written_tangent(self, tangent):
        """Whether tangent is the bare tangent of a name the function writes into (then changed in place)."""
        return isinstance(tangent, gast.Name) and any(tangent.id == self.dots.get(n) for n in self.written())

    def written(self):
        """Names the function writes into (`x[i] = v`)."""
        if not hasattr(self, "_written"):
            self._written = {s.targets[0].value.id for s in every_node(self.norm.node)
                             if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript)}
        return self._written

    def tangent_expr(self, site, value, ans, where):
        if site.kind == "atom":
            return self.tangent_of(site.args[0])
        if site.kind == "container":
            if not any(self.tangent_of(a) is not None for a in site.args):
                return None
            elts = [self.tangent_or_zero(a) for a in site.args]
            if site.prim is dict:
                return gast.Dict(keys=copy.deepcopy(value.keys), values=elts)
            if site.prim not in (tuple, list):  # a namedtuple's class called: P(a_dot, b_dot), in field order
                return b.call(copy.deepcopy(value.func), elts)
            return b.tup(elts) if site.prim is tuple else b.lst(elts)
        if site.kind == "inert":
            return None
        if not any(self.tangent_of(a) is not None for a in site.operands()):
            return None
        require_rule(site, where)
        terms = tangent_terms(site, value, ans, self.tangent_of, self.helpers, where,
                              self.scalar(ans.id))
        if not terms:
            return None
        total = terms[0]
        for term in terms[1:]:
            total = b.add(total, term)
        return total

    def scalar(self, ident):
        """Whether the shapes table proves the variable of rank 0 (a float, a 0-d array)."""
        kind = self.shapes.kind(self.renamed.get(ident, ident)) if self.shapes is not None else None
        return kind is not None and kind[1] == ()

    def call(self, stmt, site, where):
        """y = g(a, b) for a user function g: `y, y_dot = g_jvp(a, b, a_dot)`."""
        if self.callees is None:
            require_rule(site, where)
        if site.kind == "method":  # obj.method(a, b): the object's class is known only when the call runs
            if self.tangent_of(site.args[0]) is not None:
                refuse_active_object(site, where)
            dispatch = b.name(self.helpers(self.callees.dispatch.method_jvp, "method_jvp"))
            args = [copy.deepcopy(a) for a in site.args[1:]]
            dots = [self.tangent_of(a) or b.const(None) for a in site.args[1:]]
            value = b.call(dispatch, [copy.deepcopy(site.args[0]), b.const(site.prim), b.tup(args), b.tup(dots)])
        else:
            func, bound, wrt, compiled = self.callees.compiled_call(
                site, where, lambda atom: self.tangent_of(atom) is not None, "forward")
            keywords = {p: copy.deepcopy(atom) for p, atom in bound.items()}
            for p, dot in zip(wrt, tangent_names(compiled, parameters(func))):
                keywords[dot] = self.tangent_of(bound[p])
            value = b.call(b.name(self.helpers(compiled.function, compiled.function.__name__)), [], keywords)
        target = stmt.targets[0].id
        return [b.assign(b.tup([b.name(target, store=True), b.name(self.dot(target), store=True)], store=True), value)]

    def store(self, stmt):
        """x[i] = v: the tangent of x gets v's tangent at i, in place: x_dot is x's own (see `owned`),
        so it shares memory exactly where x does, and a write costs what it writes."""
        target = stmt.targets[0]
        obj = target.value
        if obj.id not in self.activity.active:
            return [stmt]
        value_dot = self.tangent_or_zero(stmt.value)
        slot = b.subscript(b.name(self.dot(obj.id)), copy.deepcopy(target.slice), store=True)
        return [stmt, b.assign(slot, value_dot)]

    def owned(self, ident, tangent, ans):
        """The tangent of a name written into later, as a value no other tangent holds (x_dot = y_dot would not do)."""
        zeros = isinstance(tangent, gast.Call) and b.is_name(tangent.func, self.helpers.runtime("zeros_like"))
        if ident not in self.written() or zeros:
            return tangent
        return self.helpers.call("owned", tangent, copy.deepcopy(ans))


def forward(normalized, parsed, resolver, wrt, namer, callees=None, shapes=None):
    """The gast FunctionDef of the JVP, the helper objects its names stand for, and the tangents' names
    (what the optimizer may treat as tangents).

    With `shapes` (the table of a derivative specialized to its arguments' kinds, which is
    never differentiated again), exact products of rank-0 values are written out without a call."""
    builder = Forward(normalized, parsed, resolver, wrt, namer, callees, shapes)
    node = builder.function()
    return node, builder.helpers.by_name, set(builder.dots.values())
