"""The to-be-recorded analysis's first half: which names reverse mode's adjoint sweep reads, computed
from the normalized function before the transform, without building the derivative.

The adjoint sweep (reverse_adjoint.py) reads a primal value where a rule's template reads an
operand or `ans` (`x_bar = z_bar * y` reads y), where it replays a loop or a branch (the loop's
iterable, the branch's test), where a line's temporaries are recomputed from what they read
(inside loops), where an item write's index is restored, and where an adjoint that may be a bare
0.0 is spread to its value's shape. `find` walks the function backwards as the adjoint sweep does
(the shared statement walk, walk.py), keeping the sweep's own bookkeeping (which adjoints hold a
value, which may be a bare zero), and instantiates each statement's templates (partials.py) to see
the names they read. It reads as the sweep does when every value a later assignment may overwrite
is recorded; records.py keeps, of those values, exactly the ones read: each is recorded once.

`s2sad.source(f, stage="reads")` prints the table. Example, logistic (`v = 4.0 * v * (1.0 - v)` in a
loop over `range(n)`, line 7 of its file)::

    # adjoint reads of logistic with respect to x (reverse mode)
    line  statement                reads
    ----  -----------------------  ---------
    6     for i in range(n):       n
    7     v = 4.0 * v * (1.0 - v)  t1, t2, v
    # recomputed in the adjoint sweep: t1, t2
"""

import copy
from dataclasses import dataclass, field
from typing import NamedTuple

import gast
import numpy as np

from . import bounds, runtime, stacks
from . import build as b
from . import reverse_code as rc
from .analyze import activity
from .errors import Location, S2SADError
from .naming import Namer
from .overwrites import candidates, first_definitions, live_in, loop_locals, recomputable, targets_read_outside
from .partials import Helpers, cotangent_terms, merge_twins, selects
from .unparse import to_source
from .walk import Walk

_HELD = " held"  # the name the sweep gives a value it holds before a restore: no local has a name with a space


class Item(NamedTuple):
    """One statement of the adjoint sweep, as the names it reads: `reads` in records.adjoint_reads' sense
    (a restore reads only its index), `deep` every name it loads, nested blocks included (what the
    recomputation of a line's temporaries looks at), `head` what the statement itself reads (a loop's
    iterable, a branch's test), `restore` whether it puts a recorded value back."""

    reads: frozenset
    deep: frozenset
    head: frozenset
    restore: bool = False


NOTHING = Item(frozenset(), frozenset(), frozenset())  # a statement that reads no primal value (`x_bar = 0.0`)
POP = NOTHING._replace(restore=True)  # a value popped back into its variable (`v = pop(_tape)`)


def _loads(*nodes):
    return frozenset(n for node in nodes if node is not None for n in b.names_in(node, gast.Load))


def _plain(*nodes):
    return _reading(_loads(*nodes))


def _reading(names):
    """A statement of the sweep that reads names (`x_bar = g_bwd(record, spread_zero(y_bar, y))`)."""
    names = frozenset(names)
    return Item(names, names, names)


def _restore(target):
    """`target = <recorded value>`: reads its index, if an item."""
    index = _loads(target.slice) if isinstance(target, gast.Subscript) else frozenset()
    return Item(index, _loads(target), index, True)


def _compound(head, items):
    """A loop or branch of the sweep: its head's reads and its body's."""
    reads, deep = set(head), set(head)
    for item in items:
        reads |= item.reads
        deep |= item.deep
    return Item(frozenset(reads), frozenset(deep), frozenset(head))


class Split(NamedTuple):
    """A call reverse mode splits in two (reverse_calls.py), as far as its reads go: the atoms whose
    adjoints its backward half gives, whether one bare value, its record's name, and for a checkpointed
    call the arguments it is recomputed from."""

    atoms: list
    bare: bool
    record: str
    recompute: object = None


@dataclass
class Reads:
    """The table: every name the adjoint sweep reads (`reads`), the temporaries it recomputes, one row
    per user line (line, statement, names read there), and the facts records.py's rows read."""

    name: str
    wrt: tuple
    candidates: frozenset
    reads: frozenset
    recomputed: frozenset
    rows: list = field(default_factory=list)
    facts: object = None  # the walker (first_defs, loop_locals, calls, trips, branches, ...)

    def __str__(self):
        cells = [(str(line), text, ", ".join(sorted(names))) for line, text, names in self.rows]
        headers = ("line", "statement", "reads")
        widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]

        def line(items):
            return "  ".join(item.ljust(w) for item, w in zip(items, widths)).rstrip()
        title = f"# adjoint reads of {self.name} with respect to {', '.join(self.wrt) or 'nothing'} (reverse mode)"
        body = [line(c) for c in cells] or ["(the adjoint sweep reads no primal value)"]
        notes = [f"# recomputed in the adjoint sweep: {', '.join(sorted(self.recomputed))}"] if self.recomputed else []
        return "\n".join([title, line(headers), line(["-" * w for w in widths])] + body + notes) + "\n"

    dump = __str__


class Spreads:
    """The adjoint sweep's choice to spread a sum's cotangent over its operand later, at the operand's
    own statement: shared by the sweep (reverse_adjoint.AdjointSweep) and the walk that predicts its
    reads, so both choose alike. Needs `shapes`, `temps`, `spread`, `group`, `helpers`, `bar`,
    `user_call` and `resolver`."""

    def spread_later(self, atom, term):
        """For `t_bar = sum_adjoint(g, t, axis, keepdims)`, with t a temporary of the same line whose
        statement is elementwise: `t_bar = g`, the spreading over t's shape left to t's statement,
        whose terms (`g * slope`) broadcast g anyway, the same values without the copy
        (`spread_now`)."""
        if self.shapes is None or not self.is_helper(term, runtime.sum_adjoint) or atom.id not in self.temps \
                or len(term.args) > 4 or not b.is_name(term.args[1], atom.id) or atom.id in self.spread:
            return term
        reduced = self.reduced_kind(atom, term)
        if reduced is None:
            return term
        defs = [s for s in self.group if rc.temp_target(s, self.temps) and s.targets[0].id == atom.id]
        if len(defs) != 1 or self.user_call(defs[0]) is not None:
            return term
        site = self.resolver.site(defs[0].value)
        if site.kind != "rule" or site.rule.kind != "elementwise":
            return term
        self.spread[atom.id] = (reduced, term)
        # an array, as sum_adjoint's result is: a Python float times a float32 array would make float32
        return b.call(b.attribute(b.name(self.helpers(np, "np")), "asarray"), [term.args[0]])

    def reduced_kind(self, atom, term):
        """The kind of `sum_adjoint(g, t, axis, keepdims)`'s g when the shapes prove it smaller than t's."""
        kind = self.shapes.kind(atom.id)
        axis, keepdims = (list(term.args[2:]) + [b.const(None), b.const(False)][len(term.args) - 2:])[:2]
        if kind is None or not isinstance(keepdims, gast.Constant) or not isinstance(axis, gast.Constant):
            return None
        if keepdims.value is True and type(axis.value) is int and -len(kind[1]) <= axis.value < len(kind[1]):
            shape = list(kind[1])
            shape[axis.value] = 1
            reduced = (kind[0], tuple(shape))
        elif keepdims.value in (False, True) and axis.value is None:
            reduced = (kind[0], tuple(1 for _ in kind[1]) if keepdims.value else ())
        else:
            return None
        return None if reduced == kind else reduced

    def spread_now(self, ident, site, terms, ans):
        """`t_bar = sum_adjoint(t_bar, t, ...)` before t's terms, unless each term is provably shaped like
        its operand with t_bar of the reduced kind (an elementwise rule: then they are the same values)."""
        if ident not in self.spread:
            return []
        reduced, wrapper = self.spread.pop(ident)
        extra = {self.bar(ident): reduced}
        if isinstance(ans, gast.Name):
            extra[ans.id] = self.shapes.kind(ident)
        if site.kind == "rule" and site.rule.kind == "elementwise" and all(
                self.shapes.kind(a.id) is not None
                and self.shapes.shape(t, extra, self.helpers.by_name) == self.shapes.kind(a.id)[1] for a, t in terms):
            return []
        wrapper = copy.deepcopy(wrapper)
        wrapper.args[0] = b.name(self.bar(ident))
        return [b.assign(self.bar(ident), wrapper)]

    def is_helper(self, node, obj):
        return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
            and self.helpers.by_name.get(node.func.id) is obj


def find(normalized, parsed, resolver, wrt, callees=None, shapes=None):
    """The `Reads` of a normalized function differentiated in reverse mode with respect to wrt."""
    walker = AdjointReads(normalized, parsed, resolver, wrt, callees, shapes)
    walker.run()
    fn = normalized.node
    local = {a.id for a in fn.args.args} | set(b.names_in(fn, gast.Store))
    rows = []
    for group in _groups_in_order(fn.body[:-1], normalized.origins):
        names = walker.row_reads.get(id(group[0]))
        if names is not None and names & local:
            line = normalized.origins.get(group[0])
            text = (parsed.line_text(line).strip() if line is not None else "") \
                or to_source(group[0]).strip().splitlines()[0]
            rows.append((line, text, names & local))
    return Reads(fn.name, tuple(wrt), walker.saved, frozenset(walker.reads), frozenset(walker.recomputed),
                 rows, walker)


def _groups_in_order(stmts, origins):
    """The statement groups of the adjoint sweep (reverse_code.groups), nested blocks after their statement."""
    for group in rc.groups(stmts, origins):
        yield group
        for stmt in group:
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                yield from _groups_in_order(stmt.body, origins)
                yield from _groups_in_order(stmt.orelse, origins)


class AdjointReads(Spreads, Walk):
    """The backward walk: the adjoint sweep's bookkeeping (`defined`: adjoints that hold a value;
    `maybe_zero`: those that may be a bare 0.0) kept as reverse_adjoint.AdjointSweep keeps it, and each
    statement's adjoint as the `Item`s it would be, every overwritable value recorded (`saved`)."""

    def __init__(self, normalized, parsed, resolver, wrt, callees=None, shapes=None):
        fn = normalized.node
        self.norm, self.parsed, self.resolver, self.callees, self.shapes = normalized, parsed, resolver, callees, shapes
        self.params = [a.id for a in fn.args.args]
        self.temps = recomputable(normalized, resolver)
        self.saved = frozenset(candidates(fn, self.params) - self.temps)
        self.activity = activity(fn, resolver, wrt)
        self.active_names = self.activity.active
        self.first_defs, _ = first_definitions(fn, self.params)
        self.loop_locals = loop_locals(fn, self.params)
        self.local_assigns = {s for names in self.loop_locals.values() for _, s in names}
        self.targets_read_outside = targets_read_outside(fn)
        self.namer = Namer(normalized.names)
        self.helpers = Helpers(self.namer, normalized.helpers, resolver.lookup_name)
        self.helpers.exact = getattr(callees, "exact", False) or selects(fn, resolver)
        self.helpers.bounds = bounds.infer(fn, resolver, shapes)
        self.defined, self.maybe_zero, self.spread, self.group = set(), set(), {}, ()
        self.reads, self.recomputed, self.row_reads = set(), set(), {}
        self.calls, self.trips, self.branches = {}, {}, {}
        self.refused = False  # a call the build refuses met: it raises its own error

    def run(self):
        body, final = rc.split_return(self.norm.node.body, self.parsed)
        self.name_in_primal_order(body)
        if self.is_active(final.value):
            self.defined.add(final.value.id)
        self.defined |= stacks.active_stacks(self)
        for item in self.block(body, 0):
            self.reads |= item.reads

    # -- what records.py's rows read, named as the build names them -----------------------------
    def name_in_primal_order(self, stmts):
        """The split calls (in order), counted loops and kept branches (each after its body), as the
        primal sweep names them: `_g_record`, `_trips1`, `_branch1`."""
        for stmt in stmts:
            if isinstance(stmt, gast.Assign) and not self.appending(stmt):
                self.user_call(stmt)
            elif isinstance(stmt, (gast.If, gast.For, gast.While)):
                self.name_in_primal_order(stmt.body)
                self.name_in_primal_order(stmt.orelse)
                if isinstance(stmt, gast.If) and self.branch_test(stmt):
                    self.branches[stmt] = self.namer.fresh(f"_branch{len(self.branches) + 1}")
                elif isinstance(stmt, gast.While) or (isinstance(stmt, gast.For) and rc.breaks(stmt)):
                    self.trips[stmt] = self.namer.fresh(f"_trips{len(self.trips) + 1}")

    @staticmethod
    def branch_test(stmt):
        return isinstance(stmt.test, gast.Name) and stmt.test.id in b.names_in(stmt, gast.Store)

    def appending(self, stmt):
        return isinstance(stmt.targets[0], gast.Name) and self.resolver.site(stmt.value).prim is runtime.append

    def where(self, stmt):
        line = self.norm.origins.get(stmt, self.norm.node.lineno)
        return Location(self.parsed.filename, line, self.parsed.line_text(line))

    def bar(self, ident):
        return f" {ident}_bar"  # no local has a name with a space: an adjoint is never a primal value

    def is_active(self, node):
        return isinstance(node, gast.Name) and node.id in self.active_names

    def should_record(self, stmt, ident):
        return stmt not in self.first_defs and stmt not in self.local_assigns and ident in self.saved

    # -- split calls ---------------------------------------------------------------------------
    def user_call(self, stmt):
        """As reverse_calls.Calls.user_call decides, without deriving the callee."""
        if stmt in self.calls:
            return self.calls[stmt]
        call, target = None, stmt.targets[0]
        if isinstance(target, gast.Name) and target.id in self.active_names:
            site = self.resolver.site(stmt.value)
            if site.kind in ("function", "method") and any(self.is_active(a) for a in site.operands()):
                call = self.split_call(site, stmt)
            elif site.kind == "rule" and site.rule.fwd is not None:
                bound = site.rule.bind(site.args, site.keywords)
                active = tuple(p for p in site.rule.wrt if isinstance(bound[p], gast.AST) and self.is_active(bound[p]))
                if site.rule.bwd.get(active) is not None:
                    record = self.namer.fresh(f"{site.rule.primitive.__name__}_record")
                    call = Split([bound[p] for p in active], True, record)
        self.calls[stmt] = call
        return call

    def split_call(self, site, stmt):
        if site.kind == "method":
            self.refused |= self.is_active(site.args[0])  # an active object: refused by the build
            atoms = [a for a in site.args[1:] if self.is_active(a)]
            return Split(atoms, False, self.namer.fresh(f"{site.prim}_record"))
        func = self.callees.target(site) if self.callees is not None else None
        try:
            bound = self.callees.bind(func, site, self.where(stmt)) if func is not None else None
        except S2SADError:  # the build refuses the call, with its own message
            bound = None
        if bound is None:
            self.refused = True
            return Split([a for a in site.operands() if self.is_active(a)], True, self.namer.fresh("_record"))
        atoms = [atom for atom in bound.values() if self.is_active(atom)]
        record = self.namer.fresh(f"{func.__name__}_record")
        recompute = None
        if getattr(site.prim, "__s2sad_checkpoint__", False):
            recompute = _loads(*[a for a in bound.values() if isinstance(a, gast.AST)])
        return Split(atoms, True, record, recompute)

    # -- blocks and lines ----------------------------------------------------------------------
    def block(self, stmts, loops):
        items = []
        for group in reversed(rc.groups(stmts, self.norm.origins)):
            items.extend(self.line(group, loops))
        return items

    def line(self, group, loops):
        """As AdjointSweep.adjoint_group: the line's statements in reverse, its temporaries recomputed
        (inside loops) or, for a line that writes two values, popped first."""
        kept = self.line_temps(group, loops)
        temps = [s for s in group if rc.temp_target(s, self.temps) and s.targets[0].id not in kept]
        self.group = group
        items = []
        for stmt in reversed(group):
            items.extend(self.statement(stmt, loops, group))
        if loops and temps:
            items += self.recompute(items, temps)
        self.row_reads[id(group[0])] = frozenset().union(*[item.head for item in items])
        pops = [POP] if kept else []
        return pops + items

    def line_temps(self, group, loops):
        """As Reverse.line_temps, nothing bundled: the temporaries of a line that writes two values in a loop."""
        writes = [s for s in group if isinstance(s, gast.Assign) and not rc.temp_target(s, self.norm.temps)]
        if not loops or len(writes) < 2:
            return []
        return [s.targets[0].id for s in group if rc.temp_target(s, self.temps)]

    def recompute(self, items, temps):
        """As reverse_code.with_recompute: the line's temporaries the adjoint statements read (and those they
        read), computed again."""
        temp_names = {s.targets[0].id for s in temps}
        needed = set()
        for item in items:
            if not item.restore:
                needed |= item.deep & temp_names
        self.recomputed |= needed
        for stmt in reversed(temps):
            if stmt.targets[0].id in needed:
                needed |= set(b.names_in(stmt.value, gast.Load)) & temp_names
        return [_plain(s) for s in temps if s.targets[0].id in needed]

    def zeros(self, idents):
        self.defined |= set(idents)
        self.maybe_zero |= set(idents)
        return [NOTHING for _ in idents]

    # -- statements ----------------------------------------------------------------------------
    def statement(self, stmt, loops, group):
        pushed_or_popped = self.stack_operation(stmt, loops)
        if pushed_or_popped is not None:
            return pushed_or_popped
        return self.visit("reads", stmt, loops, group)

    def stack_operation(self, stmt, loops):
        """As stacks.adjoint: a push's adjoint pops the value's cotangent, a pop's pushes one; neither
        reads a primal value."""
        made = stacks._new(stmt)
        if made is not None and made in stacks.active_stacks(self):
            return []
        pushed = stacks._append(stmt, self.resolver)
        if pushed and pushed[0] in self.active_names:
            if self.is_active(pushed[1]):
                self.defined.add(pushed[1].id)
            return [NOTHING]
        popped = stacks._pop(stmt, self.resolver)
        if popped and popped[1] in self.active_names:
            target = popped[0]
            self.defined.discard(target)
            restore = [_restore(b.name(target, store=True))] if target is not None \
                and self.should_record(stmt, target) else []
            return [NOTHING] + restore
        return None

    def reads_assign(self, stmt, loops, group):
        if isinstance(stmt.targets[0], gast.Subscript):
            return self.store(stmt, loops)
        return self.assign_name(stmt, loops, group)

    def store(self, stmt, loops):
        """As AdjointSweep.adjoint_store: the old item back, then the item's cotangent to the value."""
        target = stmt.targets[0]
        obj, index = target.value.id, _loads(target.slice)
        items = []
        if self.should_record(stmt, obj):
            if loops and index & self.temps:  # the index kept beside the item: `x[_x_write[0]] = _x_write[1]`
                items += [POP, POP._replace(deep=frozenset({obj}))]
            else:
                items.append(_restore(target))
        if obj in self.active_names and obj in self.defined:
            held = False
            if self.is_active(stmt.value):
                items.append(_reading(index | {stmt.value.id}))
                held = stmt.value.id == obj
                if not held:
                    self.defined.add(stmt.value.id)
            items.append(_reading(index))
            if held:
                items.append(NOTHING)
                self.defined.add(obj)
        return items

    def assign_name(self, stmt, loops, group):
        """As AdjointSweep.adjoint_name."""
        ident = stmt.targets[0].id
        if self.appending(stmt):
            xs, item = stmt.value.args
            if xs.id in self.active_names and xs.id in self.defined and self.is_active(item):
                self.defined.add(item.id)
            return [_plain(xs)]
        call = self.user_call(stmt)
        if call is not None and call.recompute is not None and self.should_record(stmt, ident):
            restore = _restore(b.name(ident, store=True))
            return [_plain(b.name(ident)), restore] + self.call_backward(stmt, call, loops, held=True)
        if call is not None:
            items = self.call_backward(stmt, call, loops)
            return items + ([_restore(b.name(ident, store=True))] if self.should_record(stmt, ident) else [])
        recorded = self.should_record(stmt, ident)
        early = recorded and ident in rc.group_inputs(group, stmt, self.temps)
        items, ans = [], ident
        if early:
            if ident in self.active_names and rc.uses_ans(self.resolver.site(stmt.value)):
                items.append(_plain(b.name(ident)))
                ans = _HELD
            items.append(_restore(b.name(ident, store=True)))
        if ident in self.active_names and ident in self.defined:
            items += self.contributions(stmt, ident, b.name(ans))
        if recorded and not early:
            items.append(_restore(b.name(ident, store=True)))
        return items

    def call_backward(self, stmt, call, loops, held=False):
        """As Calls.call_backward: the record popped, the backward half called with y's adjoint (spread to
        y's shape, reading y, where it may be a bare 0.0)."""
        ident = stmt.targets[0].id
        items = [NOTHING] if loops and call.recompute is None else []
        if ident not in self.defined:
            return items
        if call.recompute is not None:
            items.append(_reading(call.recompute))
        seed = frozenset({ident}) if ident in self.maybe_zero and not held else frozenset()
        self.defined.discard(ident)
        items.append(_reading(seed))
        self.defined |= {a.id for a in call.atoms}
        return items

    def contributions(self, stmt, ident, ans):
        """As AdjointSweep.contributions: the statement's cotangent terms, from its rule's template."""
        site = self.resolver.site(stmt.value)
        terms = self.terms(stmt, site, ident, ans)
        if ident in self.maybe_zero and (site.kind != "rule" or site.rule.kind == "elementwise"):
            self.maybe_zero.update(a.id for a, _ in terms)
        self.maybe_zero.update(a.id for a, t in terms if rc.has_zero_factor(t))
        terms = merge_twins(terms)
        items = [_plain(s.value) for s in self.spread_now(ident, site, terms, ans)]
        terms = [(a, self.spread_later(a, t)) for a, t in terms]
        items += [_plain(t) for _, t in terms]
        self.defined.discard(ident)
        self.defined |= {a.id for a, _ in terms}
        return items

    def terms(self, stmt, site, ident, ans):
        g = b.name(self.bar(ident))
        if site.kind == "atom":
            return [(site.args[0], g)] if self.is_active(site.args[0]) else []
        if site.kind == "container":
            keys = stmt.value.keys if site.prim is dict else [b.const(i) for i in range(len(site.args))]
            return [(a, self.helpers.call("part", copy.deepcopy(g), copy.deepcopy(k)))
                    for k, a in zip(keys, site.args) if self.is_active(a)]
        if site.kind == "inert" or not any(self.is_active(a) for a in site.operands()):
            return []
        if site.kind != "rule":  # a call without a rule: the build refuses it
            self.refused = True
            return []
        if site.rule.kind != "elementwise" and ident in self.maybe_zero:
            g = self.helpers.call("spread_zero", g, copy.deepcopy(ans))
        try:
            return cotangent_terms(site, ans, g, self.is_active, self.helpers, self.where(stmt), self.shapes, ident)
        except S2SADError:
            self.refused = True
            return []

    def reads_if(self, stmt, loops, group):
        """As AdjointSweep.adjoint_if: both branches from the same adjoints, those one of them leaves
        without a value made 0.0; the test (or the kept branch) read when a branch has statements."""
        start = set(self.defined)
        body = self.block(stmt.body, loops)
        after_body, self.defined = self.defined, set(start)
        orelse = self.block(stmt.orelse, loops)
        after_else = self.defined
        both = after_body | after_else
        body += self.zeros(both - after_body)
        orelse += self.zeros(both - after_else)
        self.defined = both
        kept = self.branch_test(stmt)
        replay = [_restore(b.name("_branch", store=True))] if kept and loops else []
        if not body and not orelse:
            return replay
        return replay + [_compound(frozenset() if kept else _loads(stmt.test), body + orelse)]

    def reads_for(self, stmt, loops, group):
        counted = rc.breaks(stmt)
        items = self.loop(stmt, loops, _loads(stmt.iter))
        if counted and loops:
            items.append(_restore(b.name("_trips", store=True)))
        if stmt.target.id in self.targets_read_outside and self.should_record(stmt, stmt.target.id):
            items.append(_restore(b.name(stmt.target.id, store=True)))
        return items

    def reads_while(self, stmt, loops, group):
        items = self.loop(stmt, loops, frozenset())  # replayed over `range(_tripsN)`
        if loops:
            items.append(_restore(b.name("_trips", store=True)))
        return items

    def reads_other(self, stmt, loops, group):
        return []

    def loop(self, stmt, loops, head):
        """As AdjointSweep.adjoint_loop: the adjoints the body carries start at 0.0; the iteration's own
        values popped first; no loop at all when its body has no statement."""
        carried = live_in(stmt.body) & self.active_names
        before = self.zeros(carried - self.defined)
        entry = set(self.defined)
        self.maybe_zero |= rc.left_zero_by_a_trip(stmt, entry)
        kept = [n for n, _ in self.loop_locals.get(stmt, ()) if n in self.saved]
        pops = [POP for _ in kept[:2]]
        body = pops + self.block(stmt.body, loops + 1)
        body += self.zeros(entry - self.defined)
        self.defined = entry
        if not body:
            return before
        return before + [_compound(head, body)]
