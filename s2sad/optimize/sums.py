"""Accumulations merged: `x_bar = a; x_bar = x_bar + b` becomes `x_bar = a + b`.

After this pass no adjoint or tangent is assigned and then, in the very next statement,
added to, when the sum fits on a line (100 characters): the contributions of one user
line to one adjoint read as one expression, as a person would write them. Only
neighbours are merged (a comment marker in between means another user line), and
only when the addition does not read the name again, so the values, and the order
in which they are computed, stay the same.

Example::

    x1_bar = g * x2           ->    x1_bar = g * x2 + g * np.cos(x1)
    x1_bar = x1_bar + g * np.cos(x1)
"""

import ast

import gast

from ..unparse import to_ast
from .effects import derived_test, reads, simple_target

_WIDTH = 100


def merge_sums(fn, facts=None):
    """Merge neighbouring accumulations into one assignment (in place); True on a change."""
    changed = [False]
    fn.body = _block(fn.body, changed, derived_test(facts))
    return changed[0]


def _block(stmts, changed, is_derived):
    out = []
    for stmt in stmts:
        for field in ("body", "orelse"):
            if isinstance(stmt, (gast.If, gast.For, gast.While)) and getattr(stmt, field):
                setattr(stmt, field, _block(getattr(stmt, field), changed, is_derived))
        merged = _merge(out[-1], stmt, is_derived) if out else None
        if merged is not None:
            out[-1] = merged
            changed[0] = True
        else:
            out.append(stmt)
    return out


def _merge(first, second, is_derived):
    target = simple_target(first)
    if target is None or not is_derived(target) or simple_target(second) != target:
        return None
    value = second.value
    if not (isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add)
            and isinstance(value.left, gast.Name) and value.left.id == target and target not in reads(value.right)):
        return None
    total = gast.BinOp(left=first.value, op=gast.Add(), right=value.right)
    if len(ast.unparse(to_ast(total))) > _WIDTH:
        return None
    first.value = total
    return first
