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
from .effects import names, operations


def write_out_scalar_products(fn, helpers, facts):
    """Write out every `times_partial_scalar` call of fn (in place); True on a change."""
    names = {n for n, obj in (helpers or {}).items() if obj is runtime.times_partial_scalar}
    if not names:
        return False
    writer = _Writer(names, facts, fn, helpers)
    fn.body = writer.block(fn.body)
    return writer.changed


class _Writer:
    def __init__(self, names, facts, fn, helpers):
        self.names, self.facts, self.fn, self.helpers, self.changed = names, facts, fn, helpers, False
        self.taken = None  # the function's names, gathered on the first partial given a name
        self.before = None  # statements to put before the current one (None: inline, no hoisting here)

    def block(self, stmts):
        out = []
        for stmt in stmts:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                    setattr(stmt, field, self.block(inner))
            if isinstance(stmt, (gast.Assign, gast.Return, gast.Expr)) and stmt.value is not None \
                    and self.calls(stmt.value):
                self.before = [] if isinstance(stmt, gast.Assign) else None
                stmt.value = self.rewrite(stmt.value)
                out.extend(self.before or ())
                self.before = None
            out.append(stmt)
        return out

    def calls(self, node):
        return any(n.__class__ is gast.Call and n.func.__class__ is gast.Name and n.func.id in self.names
                   for n in operations(node))  # calls sit among the operations, not names or constants

    def fresh(self, base):
        if self.taken is None:
            self.taken = {n.id for n in names(self.fn)} | set(self.helpers)
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

    def rewrite(self, node):
        """node with its calls written out, inner ones first (in evaluation order: hoisted partials too)."""
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                setattr(node, field, [self.rewrite(v) if isinstance(v, gast.expr) else v for v in value])
            elif isinstance(value, gast.expr):
                setattr(node, field, self.rewrite(value))
        if not (node.__class__ is gast.Call and isinstance(node.func, gast.Name) and node.func.id in self.names
                and len(node.args) == 2 and not node.keywords and all(self.facts.is_pure(a) for a in node.args)):
            return node
        t, p = (self.operand(a) for a in node.args)
        node.args = [t, p]
        self.changed = True
        return gast.IfExp(test=gast.BoolOp(op=gast.And(), values=[_copy(t), _copy(p)]),
                          body=gast.BinOp(left=_copy(t), op=gast.Mult(), right=_copy(p)), orelse=node)


def _copy(node):
    if node.__class__ is gast.Name:
        return gast.Name(id=node.id, ctx=gast.Load(), annotation=None, type_comment=None)
    if node.__class__ is gast.Constant:
        return gast.Constant(value=node.value, kind=None)
    return copy.deepcopy(node)
