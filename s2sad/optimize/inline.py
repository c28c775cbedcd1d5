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

from .effects import _skeleton, names, operations, simple_target, walk
from .frees import name_kind

_SIMPLE = (gast.Assign, gast.AugAssign, gast.Expr)  # not Return: `return (x_bar, y_bar)` reads best
_ALLOWED = (gast.BinOp, gast.UnaryOp, gast.Name, gast.Constant, gast.Call, gast.Attribute, gast.operator,
            gast.unaryop, gast.expr_context, gast.IfExp, gast.Compare, gast.cmpop, gast.BoolOp, gast.boolop)


def speed_up_numbers(fn, facts, shapes):
    """`merge_accumulations`, then `inline_numbers` (in place); True on a change. Not in a function that
    catches exceptions (an error would be raised a statement later) or holds another scope."""
    if any(isinstance(n, _SCOPES) and n is not fn for n in operations(fn)):
        return False
    mentioned = {}  # a simple statement -> names(statement), while no pass has changed it
    merged = merge_accumulations(fn, facts, shapes, mentioned)
    return inline_numbers(fn, facts, shapes, mentioned) or merged


def _names_of(stmt, mentioned):
    """names(stmt), remembered for a statement without a block of its own (a compound one changes
    with its blocks, which both passes rewrite first)."""
    found = mentioned.get(stmt)
    if found is None:
        found = names(stmt)
        if not hasattr(stmt, "body"):
            mentioned[stmt] = found
    return found


_SCOPES = (gast.Try, gast.FunctionDef, gast.Lambda, gast.NamedExpr, gast.ListComp, gast.GeneratorExp, gast.SetComp,
           gast.DictComp)


def inline_numbers(fn, facts, shapes, mentioned=None):
    """Inline fn's single-use number temporaries into their one read (in place); True on a change.
    `mentioned`: the names of statements found before (see `_names_of`)."""
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
        _block(fn.body, once, facts, shapes, changed, {} if mentioned is None else mentioned)
    return changed[0]


def _is_number(ident, shapes):
    kind = name_kind(ident, shapes)
    return kind is not None and kind[1] == ()


def _block(stmts, once, facts, shapes, changed, mentioned):
    """One scan of stmts (`_scan`): a candidate waits for its one read, which takes its expression."""
    def candidate(stmt):
        target = simple_target(stmt)
        return (target, stmt.value) if target in once and _movable(stmt.value, facts, shapes) else None

    def meet(stmt, node, value):
        return isinstance(node.ctx, gast.Load) and _inlinable(stmt, node) and _replace(stmt, node, value)

    _scan(stmts, mentioned, changed, lambda inner: _block(inner, once, facts, shapes, changed, mentioned),
          candidate, meet, loads_only=True)


def _scan(stmts, mentioned, changed, recurse, candidate, meet, loads_only=False):
    """One pass over stmts, inner blocks first (`recurse`). `candidate(stmt)` -> (target, value) or None: a
    statement whose target waits (`pending`) until a statement mentions it (only a read, `loads_only`), where
    `meet(stmt, name node, value)` says whether value was taken in, the waiting statement then dropped; or
    until a statement rebinds a name its value reads, which ends the wait."""
    for stmt in stmts:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                recurse(inner)
    pending, waiting, dead = {}, _Waiting(), set()
    for j, stmt in enumerate(stmts):
        nodes = _names_of(stmt, mentioned)
        for node in nodes if pending else ():
            if node.id in pending and (not loads_only or isinstance(node.ctx, gast.Load)):
                k, value = pending.pop(node.id)
                waiting.drop(node.id)
                if meet(stmt, node, value):
                    dead.add(k)
                    mentioned.pop(stmt, None)  # it reads value's names now
        for ident in {n.id for n in nodes if not isinstance(n.ctx, gast.Load)} if waiting.readers else ():
            for t in waiting.readers_of(ident):
                pending.pop(t, None)
        found = candidate(stmt)
        if found is not None:
            pending[found[0]] = (j, found[1])
            waiting.add(found[0], found[1], mentioned.get(stmt))
    if dead:
        stmts[:] = [stmt for i, stmt in enumerate(stmts) if i not in dead]
        changed[0] = True


def _inlinable(stmt, use):
    """Whether a read may take the value's expression: in a simple statement, or in an `if`'s test
    (evaluated once, where the statement is), not in its branches."""
    if isinstance(stmt, _SIMPLE):
        return True
    return isinstance(stmt, gast.If) and any(n is use for n in names(stmt.test))


class _Waiting:
    """Which waiting values read which names: a statement that rebinds a name ends their wait."""

    def __init__(self):
        self.readers, self.reads = {}, {}

    def add(self, target, value, known=None):
        """`known`: the names of `target = value` as it stands (its value's and the target), where found."""
        self.reads[target] = {n.id for n in (names(value) if known is None else known)} - {target}
        for ident in self.reads[target]:
            self.readers.setdefault(ident, set()).add(target)

    def drop(self, target):
        for ident in self.reads.pop(target, ()):
            self.readers.get(ident, set()).discard(target)

    def readers_of(self, ident):
        found = list(self.readers.pop(ident, ()))
        for target in found:
            self.drop(target)
        return found


def _movable(value, facts, shapes):
    """Arithmetic of numbers (names the shapes table proves of rank 0) and constants, and pure calls:
    nothing a later statement could change, not even in place (an array read could be written)."""
    if value.__class__ is gast.Name:
        return _is_number(value.id, shapes)
    nodes, mentioned = _skeleton(value)  # walk(value) but constants and the markers (allowed), in two lists
    callees = {id(n) for c in nodes if c.__class__ is gast.Call for n in walk(c.func)}
    for node in nodes:
        if not isinstance(node, _ALLOWED):
            return False
        if node.__class__ is gast.Attribute and id(node) not in callees:
            return False  # an attribute read; `math.sin` called is what is called
    if any(id(node) not in callees and not _is_number(node.id, shapes) for node in mentioned):
        return False
    return not callees or facts.is_pure(value)


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


def merge_accumulations(fn, facts, shapes, mentioned=None):
    """`v = e1`, then statements that neither read v nor rebind what e1 reads, then `v = v + e2`:
    `v = e1 + e2` at the second place (the same sum, computed in the same order), for numbers.

    The adjoint sweep accumulates a number's contributions one statement each (`y4_bar = g * x4`,
    three statements later `y4_bar = y4_bar - t11_bar`); merged, the sum is one statement, and a
    name then bound once may be inlined too (`inline_numbers`). Specialized derivatives only."""
    changed = [False]
    _merge_block(fn.body, facts, shapes, changed, {} if mentioned is None else mentioned)
    return changed[0]


_MOST_TERMS = 6  # terms merged into one sum: beyond, a line no one reads


def _merge_block(stmts, facts, shapes, changed, mentioned):
    """One scan of stmts (`_scan`): a sum started waits for its next accumulation, unless a statement
    mentions its name otherwise first."""
    terms = {}  # id of a merged statement's value -> how many terms its sum has

    def candidate(stmt):
        target = simple_target(stmt)
        if target is not None and terms.get(id(stmt.value), 1) < _MOST_TERMS and facts.is_derived(target) \
                and _is_number(target, shapes) and _starts_a_sum(stmt.value, target) \
                and _movable(stmt.value, facts, shapes):
            return target, stmt.value
        return None

    def meet(stmt, node, value):
        if not _accumulate(stmt, node.id, value):
            return False
        terms[id(stmt.value)] = terms.get(id(value), 1) + 1
        return True

    _scan(stmts, mentioned, changed, lambda inner: _merge_block(inner, facts, shapes, changed, mentioned),
          candidate, meet)


def _starts_a_sum(value, target):
    """value does not read target, or only as the left operand of a sum (`x_bar + g * y`): merged with a
    later `target + e2`, it is `(x_bar + g * y) + e2`, the same sums in the same order."""
    while isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub)):
        if target in {n.id for n in names(value.right)}:
            return False
        value = value.left  # down the sum's left spine: `(x_bar + a) + b`
    return isinstance(value, gast.Name) or target not in {n.id for n in names(value)}


def _accumulate(stmt, target, value):
    """stmt is `target = target + e2` (or `-`), e2 not reading target: now `target = value + e2`."""
    if simple_target(stmt) != target or not isinstance(stmt, gast.Assign):
        return False
    total = stmt.value
    if not (isinstance(total, gast.BinOp) and isinstance(total.op, (gast.Add, gast.Sub))
            and isinstance(total.left, gast.Name) and total.left.id == target
            and target not in {n.id for n in names(total.right)}):
        return False
    total.left = value
    return True

