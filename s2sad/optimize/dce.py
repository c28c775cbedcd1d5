"""Dead-code elimination: drop every assignment whose value is never read.

After this pass, every statement left either has an effect (a call not known to be
pure, `_tape.pop()`, a store into an array, a loop, a return) or binds a name that
some later statement, on some path, reads. Liveness is computed backwards over the
structured code: a branch is live where either arm is, a loop's head is live where
its body or what follows is (iterated to a fixed point, so a value read in the next
iteration stays), `break` sees what follows the loop and `continue` the loop's head.
This also removes dead restores at the end of the adjoint sweep: `s = _s_old` when s
is not read again, and then the `_s_old = s` that fed it.

Example::

    y = x * w                 ->    y = x * w
    z = y + 1.0                     y_bar = g * w
    y_bar = g * w                   return y_bar
    return y_bar
"""

import gast

from . import markers
from .effects import Facts, reads, writes


class _Loop:
    """Where `break` and `continue` lead: the live names after the loop and at its head."""

    def __init__(self, after, head):
        self.after, self.head = after, head


class _Facts:
    """What one run of the pass knows: the names to leave alone, purity, and each expression's
    reads (memoized, since a loop's body is walked once per round of its fixed point)."""

    def __init__(self, facts):
        self.keep = facts.keep
        self.is_pure = facts.is_pure
        self.removed = False
        self._reads = {}

    def reads(self, node):
        key = id(node)
        if key not in self._reads:
            self._reads[key] = (node, reads(node))  # the node is held, so its id is not reused
        return self._reads[key][1]


def eliminate(fn, facts=None):
    """Remove dead statements from fn (in place); True when something was removed.

    `facts`: an `effects.Facts` for fn, made here when not given.
    """
    facts = _Facts(facts or Facts(fn))
    fn.body, _ = _block(fn.body, set(facts.keep), None, facts, True)
    fn.body = fn.body or [gast.Pass()]
    return facts.removed


def _block(stmts, live, loop, facts, apply):
    """(kept statements, names live before them) given the names live after them.

    Nested blocks are rewritten only when `apply` is set: a loop's fixed point is
    first found without touching anything.
    """
    out = []
    for stmt in reversed(stmts):
        kept, live = _statement(stmt, live, loop, facts, apply)
        out.extend(reversed(kept))
        if apply and not kept and not isinstance(stmt, gast.Pass):
            facts.removed = True
    out.reverse()
    return out, live


def _statement(stmt, live, loop, facts, apply):
    keep = facts.keep
    targets = stmt.targets if isinstance(stmt, gast.Assign) else None
    if targets is not None and ((len(targets) == 1 and targets[0].__class__ is gast.Name)
                                or all(isinstance(t, (gast.Name, gast.Tuple, gast.List)) for t in targets)):
        bound = writes(targets[0]) if len(targets) == 1 else set().union(*(writes(t) for t in targets))
        if not (bound & (live | keep if keep else live)) and facts.is_pure(stmt.value):
            return [], live
        before = live - bound  # a new set, grown in place: no copy of the live names per operand
        before |= facts.reads(stmt.value)
        if keep:
            before |= keep
        return [stmt], before
    if isinstance(stmt, gast.Expr) and (markers.is_marker(stmt) or not facts.is_pure(stmt.value)):
        return [stmt], live | facts.reads(stmt)
    if isinstance(stmt, (gast.Expr, gast.Pass)):
        return [], live
    if isinstance(stmt, gast.Return):
        return [stmt], facts.reads(stmt) | keep
    if isinstance(stmt, gast.Break) and loop is not None:
        return [stmt], set(loop.after)
    if isinstance(stmt, gast.Continue) and loop is not None:
        return [stmt], set(loop.head)
    if isinstance(stmt, gast.AugAssign):  # `x += v` reads x as well
        return [stmt], live | facts.reads(stmt) | writes(stmt.target)
    if isinstance(stmt, gast.If):
        return _if(stmt, live, loop, facts, apply)
    if isinstance(stmt, (gast.For, gast.While)):
        return _loop(stmt, live, facts, apply)
    return [stmt], live | facts.reads(stmt)


def _if(stmt, live, loop, facts, apply):
    body, live_body = _block(stmt.body, live, loop, facts, apply)
    orelse, live_else = _block(stmt.orelse, live, loop, facts, apply)
    if not markers.has_code(body) and not markers.has_code(orelse) and facts.is_pure(stmt.test):
        return [], live
    if apply:
        stmt.body, stmt.orelse = body or [gast.Pass()], orelse
    return [stmt], live_body | live_else | facts.reads(stmt.test)


def _loop(stmt, live, facts, apply):
    """A loop's head is live where what follows it is, or where its body is on the next trip."""
    after_else, live_else = _block(stmt.orelse, live, None, facts, apply)
    target = writes(stmt.target) if isinstance(stmt, gast.For) else set()
    test = facts.reads(stmt.test) if isinstance(stmt, gast.While) else set()
    head = live_else | test
    while True:
        _, body_in = _block(stmt.body, head, _Loop(live, head), facts, False)
        grown = live_else | test | (body_in - target)
        if grown == head:
            break
        head = grown
    body, _ = _block(stmt.body, head, _Loop(live, head), facts, apply)
    if isinstance(stmt, gast.For) and not markers.has_code(body) and not after_else \
            and facts.is_pure(stmt.iter) and not (target & (live | facts.keep)):
        return [], live
    if apply:
        stmt.body, stmt.orelse = body or [gast.Pass()], after_else
    if isinstance(stmt, gast.For):
        return [stmt], head | facts.reads(stmt.iter)
    return [stmt], head
