"""Numbers read once are computed where they are read, in a derivative specialized to its arguments' kinds.

Normalization names every intermediate (`x_times_y = x * y`, then `a = x_times_y + sin_z`); on
Python floats each such name is a store and a load the interpreter executes, a tenth of a simple
derivative's time. A hand-written gradient writes `a = x * y + sin_z`. Here a name the shapes
table proves holds a number (rank 0), bound once and read once, by a later simple statement of
the same block, is replaced by its expression there, when that moves no computation past
anything that could change what it reads:

* the expression is arithmetic of local names and constants and calls of pure functions
  (`math.sin(z)`): no item, attribute or global read, which a statement in between could change;
* no statement from the binding to the read rebinds a name the expression reads, and the read
  is not inside a loop or branch (the value is computed as often as before), nor the `return`;
* not in a function that catches exceptions (an error would be raised one statement later).

Arrays keep their names (inlining saves no array operation and `frees.py` already lets them go).

Example::

    x_times_y = x * y          ->    a = x * y + math.sin(z)
    sin_z = math.sin(z)
    a = x_times_y + sin_z
"""

import gast

from .effects import _skeleton, names, simple_target, walk
from .frees import name_kind

_SIMPLE = (gast.Assign, gast.AugAssign, gast.Expr)  # not Return: `return (x_bar, y_bar)` reads best
_ALLOWED = (gast.BinOp, gast.UnaryOp, gast.Name, gast.Constant, gast.Call, gast.Attribute, gast.operator,
            gast.unaryop, gast.expr_context, gast.IfExp, gast.Compare, gast.cmpop, gast.BoolOp, gast.boolop)


def inline_numbers(fn, facts, shapes):
    """Inline fn's single-use number temporaries into their one read (in place); True on a change."""
    nodes, mentioned = _skeleton(fn)  # (operations(fn), names(fn)) from one walk
    if any(isinstance(n, (gast.Try, gast.FunctionDef, gast.Lambda, gast.NamedExpr)) and n is not fn for n in nodes):
        return False
    params = {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs if isinstance(a, gast.Name)}
    loads, stores = {}, {}
    for n in mentioned:
        table = loads if isinstance(n.ctx, gast.Load) else stores
        table[n.id] = table.get(n.id, 0) + 1
    once = {ident for ident, count in loads.items() if count == 1 and stores.get(ident) == 1
            and ident not in params and ident not in facts.keep}
    once = {ident for ident in once if _is_number(ident, shapes)}
    changed = [False]
    if once:
        _block(fn.body, once, facts, changed)
    return changed[0]


def _is_number(ident, shapes):
    kind = name_kind(ident, shapes)
    return kind is not None and kind[1] == ()


def _block(stmts, once, facts, changed):
    for stmt in stmts:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                _block(inner, once, facts, changed)
    k, mentioned = 0, {}  # statement -> names(statement), until an inlining changes it
    while k < len(stmts):
        target = simple_target(stmts[k])
        if target in once and _movable(stmts[k].value, facts) and _inline_forward(stmts, k, target, mentioned):
            del stmts[k]
            changed[0] = True
            continue
        k += 1


def _movable(value, facts):
    """Arithmetic of local names and constants and pure calls: nothing a later statement could change."""
    if not facts.is_pure(value):
        return False
    for node in walk(value):
        if not isinstance(node, _ALLOWED):
            return False
        if isinstance(node, gast.Attribute) and not (isinstance(node.ctx, gast.Load) and _is_callee(node, value)):
            return False
    return True


def _is_callee(attribute, value):
    """Whether attribute is the function of a call in value (`math.sin`), not a value read (`self.w`)."""
    return any(isinstance(n, gast.Call) and n.func is attribute for n in walk(value))


def _inline_forward(stmts, k, target, mentioned):
    """Put stmts[k]'s value in place of target's one read in a later simple statement of stmts.
    `mentioned`: the names of statements asked before (kept across calls; a changed one dropped)."""
    value = stmts[k].value
    read = {n.id for n in names(value)}
    for stmt in stmts[k + 1:]:
        found = mentioned.get(stmt)
        if found is None:
            found = mentioned[stmt] = names(stmt)
        use = next((n for n in found if n.id == target and isinstance(n.ctx, gast.Load)), None)
        if use is not None:
            done = isinstance(stmt, _SIMPLE) and _replace(stmt, use, value)
            if done:
                del mentioned[stmt]  # it reads value's names now
            return done
        if any(n.id in read and not isinstance(n.ctx, gast.Load) for n in found):
            return False
    return False


def _replace(stmt, use, value):
    for node in walk(stmt):
        for field in node._fields:
            child = getattr(node, field, None)
            if child is use:
                setattr(node, field, value)
                return True
            if isinstance(child, list):
                for i, item in enumerate(child):
                    if item is use:
                        child[i] = value
                        return True
    return False
