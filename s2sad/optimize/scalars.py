"""Exact products of rank-0 values written out: `times_partial_scalar(t, p)` (partials._scale, in a
derivative specialized to its arguments' kinds, where the shapes table proves t and p of rank 0)
becomes `(t * p if t and p else times_partial_scalar(t, p))`.

Wherever neither is zero the product is the plain one, as times_partial's; where one is zero the
helper still gives the exact zero (0 * inf is not NaN). On scalars the hot path then makes no
Python call. A partial that is not a name or a constant is computed once, into a name of its own,
by the statement before (the call computed it there too, before multiplying). Run last, once
the other passes have settled, so that folding, common subexpressions and merged sums see the
call as one pure expression.

Example::

    x_bar = x_bar + times_partial_scalar(g, 0.5 / d)  ->  partial = 0.5 / d
                                                          x_bar = x_bar + (g * partial if g and partial else
                                                                           times_partial_scalar(g, partial))
"""

import copy

import gast

from .. import runtime
from .effects import walk


def write_out_scalar_products(fn, helpers, facts):
    """Write out every `times_partial_scalar` call of fn (in place); True on a change."""
    names = {n for n, obj in (helpers or {}).items() if obj is runtime.times_partial_scalar}
    if not names or not any(isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id in names
                            for n in walk(fn)):
        return False
    taken = {n.id for n in walk(fn) if isinstance(n, gast.Name)} | {a.id for a in fn.args.args} | set(helpers)
    writer = _Writer(names, facts, taken)
    fn.body = writer.block(fn.body)
    return writer.changed


class _Writer(gast.NodeTransformer):
    def __init__(self, names, facts, taken):
        self.names, self.facts, self.taken, self.changed = names, facts, taken, False
        self.before = None  # statements to put before the current one (None: inline, no hoisting here)

    def block(self, stmts):
        out = []
        for stmt in stmts:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                    setattr(stmt, field, self.block(inner))
            if isinstance(stmt, gast.Assign):
                self.before = []
                stmt.value = self.visit(stmt.value)
                out.extend(self.before)
                self.before = None
            elif isinstance(stmt, (gast.Return, gast.Expr)) and stmt.value is not None:
                stmt.value = self.visit(stmt.value)
            out.append(stmt)
        return out

    def fresh(self, base):
        ident, k = base, 0
        while ident in self.taken:
            k += 1
            ident = f"{base}_{k}"
        self.taken.add(ident)
        return ident

    def operand(self, node):
        if isinstance(node, (gast.Name, gast.Constant)) or self.before is None:
            return node
        ident = self.fresh("partial")
        self.before.append(gast.Assign(targets=[gast.Name(id=ident, ctx=gast.Store(), annotation=None,
                                                          type_comment=None)], value=node, type_comment=None))
        return gast.Name(id=ident, ctx=gast.Load(), annotation=None, type_comment=None)

    def visit_Call(self, node):
        self.generic_visit(node)
        if not (isinstance(node.func, gast.Name) and node.func.id in self.names and len(node.args) == 2
                and not node.keywords and all(self.facts.is_pure(a) for a in node.args)):
            return node
        t, p = (self.operand(a) for a in node.args)
        node.args = [t, p]
        self.changed = True
        return gast.IfExp(test=gast.BoolOp(op=gast.And(), values=[copy.deepcopy(t), copy.deepcopy(p)]),
                          body=gast.BinOp(left=copy.deepcopy(t), op=gast.Mult(), right=copy.deepcopy(p)),
                          orelse=node)
