"""The one statement walk the transforms share: a dispatch over the kinds of statement a normalized
function holds, which forward mode (forward.py), reverse mode's primal and adjoint sweeps (reverse.py,
reverse_adjoint.py) and the to-be-recorded analysis (adjoint_reads.py) each fill in.

A walker names its sweeps; `self.visit("primal", stmt, ctx)` calls the method `primal_<kind>` for the
statement's kind (`assign`, `augassign`, `if`, `for`, `while`, `return`, `expr`, `pass`, `break`,
`continue`), and `primal_other` for any kind the walker does not handle. A sweep's name is chosen
so that `<sweep>_<kind>` names no method made for another purpose (forward mode's sweep is
`tangents`: `Forward.tangent_expr` builds an expression's tangent). The blocks a sweep walks
(`body`, `orelse`) are the walker's own: a sweep that builds code walks them in order, an adjoint
sweep in reverse.

Example, a walker that counts the assignments of a block::

    class Count(Walk):
        def count_assign(self, stmt):
            return 1
        def count_if(self, stmt):
            return sum(self.visit("count", s) for s in stmt.body + stmt.orelse)
        def count_other(self, stmt):
            return 0
"""

import gast

KINDS = {
    gast.Assign: "assign",
    gast.AugAssign: "augassign",
    gast.If: "if",
    gast.For: "for",
    gast.While: "while",
    gast.Return: "return",
    gast.Expr: "expr",
    gast.Pass: "pass",
    gast.Break: "break",
    gast.Continue: "continue",
}


def kind(stmt):
    """The name of a statement's kind (`assign`, `if`, ...; `other` for a kind the walk does not know)."""
    return KINDS.get(type(stmt), "other")


class Walk:
    """The dispatch of a statement to the method of its sweep and kind; every sweep has `<sweep>_other`."""

    def visit(self, sweep, stmt, *context):
        method = getattr(self, f"{sweep}_{kind(stmt)}", None)
        if method is None:
            method = getattr(self, f"{sweep}_other")
        return method(stmt, *context)
