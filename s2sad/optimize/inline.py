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

from .effects import names, simple_target, walk
from .frees import name_kind

_SIMPLE = (gast.Assign, gast.AugAssign, gast.Expr)  # not Return: `return (x_bar, y_bar)` reads best
_ALLOWED = (gast.BinOp, gast.UnaryOp, gast.Name, gast.Constant, gast.Call, gast.Attribute, gast.operator,
            gast.unaryop, gast.expr_context, gast.IfExp, gast.Compare, gast.cmpop, gast.BoolOp, gast.boolop)


def inline_numbers(fn, facts, shapes):
    """Inline fn's single-use number temporaries into their one read (in place); True on a change."""
    if any(isinstance(n, (gast.Try, gast.FunctionDef, gast.Lambda, gast.NamedExpr)) and n is not fn for n in walk(fn)):
        return False
    params = {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs if isinstance(a, gast.Name)}
    loads, stores = {}, {}
    for n in names(fn):
        table = loads if isinstance(n.ctx, gast.Load) else stores
        table[n.id] = table.get(n.id, 0) + 1
    once = {ident for ident, count in loads.items() if count == 1 and stores.get(ident) == 1
            and ident not in params and ident not in facts.keep}
    once = {ident for ident in once if _is_number(ident, shapes)}
    changed = [False]
    if once:
        _block(fn.body, once, facts, shapes, changed)
    return changed[0]


def _is_number(ident, shapes):
    kind = name_kind(ident, shapes)
    return kind is not None and kind[1] == ()


def _block(stmts, once, facts, shapes, changed):
    for stmt in stmts:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                _block(inner, once, facts, shapes, changed)
    k = 0
    while k < len(stmts):
        target = simple_target(stmts[k])
        if target in once and _movable(stmts[k].value, facts, shapes) and _inline_forward(stmts, k, target):
            del stmts[k]
            changed[0] = True
            continue
        k += 1


def _movable(value, facts, shapes):
    """Arithmetic of numbers (names the shapes table proves of rank 0) and constants, and pure calls:
    nothing a later statement could change, not even in place (an array read could be written)."""
    if not facts.is_pure(value):
        return False
    callees = {id(n) for c in walk(value) if isinstance(c, gast.Call) for n in walk(c.func)}
    for node in walk(value):
        if not isinstance(node, _ALLOWED):
            return False
        if id(node) in callees:
            continue  # `math.sin`, `times_partial_scalar`: what is called
        if isinstance(node, gast.Attribute) or (isinstance(node, gast.Name) and not _is_number(node.id, shapes)):
            return False
    return True


def _inline_forward(stmts, k, target):
    """Put stmts[k]'s value in place of target's one read in a later simple statement of stmts."""
    value = stmts[k].value
    read = {n.id for n in names(value)}
    for stmt in stmts[k + 1:]:
        use = next((n for n in names(stmt) if n.id == target and isinstance(n.ctx, gast.Load)), None)
        if use is not None:
            return isinstance(stmt, _SIMPLE) and _replace(stmt, use, value)
        if any(n.id in read and not isinstance(n.ctx, gast.Load) for n in names(stmt)):
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


def merge_accumulations(fn, facts, shapes):
    """`v = e1`, then statements that neither read v nor rebind what e1 reads, then `v = v + e2`:
    `v = e1 + e2` at the second place (the same sum, computed in the same order), for numbers.

    The adjoint sweep accumulates a number's contributions one statement each (`y4_bar = g * x4`,
    three statements later `y4_bar = y4_bar - t11_bar`); merged, the sum is one statement, and a
    name then bound once may be inlined too (`inline_numbers`). Specialized derivatives only."""
    if any(isinstance(n, (gast.Try, gast.FunctionDef, gast.Lambda, gast.NamedExpr)) and n is not fn for n in walk(fn)):
        return False
    changed = [False]
    _merge_block(fn.body, facts, shapes, changed)
    return changed[0]


_LONGEST = 12  # operations in a merged sum: beyond, a line no one reads


def _merge_block(stmts, facts, shapes, changed):
    for stmt in stmts:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                _merge_block(inner, facts, shapes, changed)
    k = 0
    while k < len(stmts):
        target = simple_target(stmts[k])
        if target is not None and _is_number(target, shapes) and facts.is_derived(target) \
                and _starts_a_sum(stmts[k].value, target) and _movable(stmts[k].value, facts, shapes) \
                and _merge_forward(stmts, k, target):
            del stmts[k]
            changed[0] = True
            continue
        k += 1


def _starts_a_sum(value, target):
    """value does not read target, or only as the left operand of a sum (`x_bar + g * y`): merged with a
    later `target + e2`, it is `(x_bar + g * y) + e2`, the same sums in the same order."""
    while isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub)):
        if target in {n.id for n in names(value.right)}:
            return False
        value = value.left  # down the sum's left spine: `(x_bar + a) + b`
    return isinstance(value, gast.Name) or target not in {n.id for n in names(value)}


def _merge_forward(stmts, k, target):
    value = stmts[k].value
    read = {n.id for n in names(value)} - {target}
    for stmt in stmts[k + 1:]:
        if any(n.id == target for n in names(stmt)):
            return _accumulate(stmt, target, value)
        if any(n.id in read and not isinstance(n.ctx, gast.Load) for n in names(stmt)):
            return False
    return False


def _accumulate(stmt, target, value):
    """stmt is `target = target + e2` (or `-`), e2 not reading target: now `target = value + e2`."""
    if simple_target(stmt) != target or not isinstance(stmt, gast.Assign):
        return False
    total = stmt.value
    if not (isinstance(total, gast.BinOp) and isinstance(total.op, (gast.Add, gast.Sub))
            and isinstance(total.left, gast.Name) and total.left.id == target
            and target not in {n.id for n in names(total.right)}):
        return False
    if _operations(stmt.value) + _operations(value) > _LONGEST:
        return False
    total.left = value
    return True


def _operations(node):
    return sum(isinstance(n, (gast.BinOp, gast.UnaryOp, gast.Call)) for n in walk(node))
