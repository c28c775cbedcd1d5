"""Stage 4b: reverse mode. A primal sweep that records what it must, then an adjoint sweep.

After this pass `f_vjp(*params, out_bar=1.0)` returns the adjoints of the `wrt`
parameters. The adjoint sweep visits the statements in reverse; each adjoint `x_bar`
starts as a plain assignment and later contributions add to it.

What is recorded: only the value a statement overwrites, and only when the adjoint
sweep reads that value afterwards (the loop-carried `v` of `v = 4*v*(1-v)`, not its
temporaries, which the adjoint sweep recomputes from `v`). Outside loops a record is
a plain variable (`_v_old`); inside loops it goes on the list `_tape`. A name that a loop
body assigns once and reads only after that, within the body (`k1 = f(x)` in an RK4
step), has a value of its own each iteration: such values go on the tape together, as
one tuple at the end of the iteration, with the temporaries the adjoint sweep would
otherwise recompute, and come back first thing in the iteration's adjoint. Loops replay
their iterations backwards: `for` loops over the same range reversed, `while` loops
as many times as they ran (`_trips1`). Branches replay through their condition,
which the same mechanism keeps.

Example::

    y = x * x                 ->    y = x * x
    return y                        x_bar = y_bar * x + y_bar * x
                                    return x_bar
"""

import copy

import gast
import numpy as np

from . import adjoint_reads, bounds, holders, records, runtime, runtime_fft, stacks
from . import build as b
from . import reverse_code as rc
from .analyze import activity
from .errors import Location
from .names import every as every_node  # gast.walk's nodes, in its order, at half its cost
from .names import statements
from .naming import Namer
from .overwrites import candidates, first_definitions, loop_locals, recomputable, targets_read_outside
from .partials import Helpers, index_expr, selects
from .reverse_adjoint import AdjointSweep
from .reverse_calls import Calls
from .walk import Walk


class _Ctx:
    """Where a block sits: inside how many loops."""

    def __init__(self, loops=0):
        self.loops = loops

    def inner(self):
        return _Ctx(self.loops + 1)


class Reverse(Calls, AdjointSweep, Walk):
    """Builds the VJP of one normalized function, recording `saved` (records.Records.recorded) and keeping
    `kept_temps` (records.Records.bundled) with their loops' iterations. The primal sweep and the
    records are here; the adjoint sweep is `reverse_adjoint.AdjointSweep`, the split calls
    `reverse_calls.Calls` (mixins sharing this state)."""

    def __init__(self, normalized, parsed, resolver, wrt, namer, saved=None, with_value=False, callees=None,
                 split=False, shapes=None, kept_temps=frozenset()):
        self.callees = callees
        self.shapes = shapes        # shapes.Shapes when the argument kinds are known: drops identity wrappers
        self.split = split
        self.temps = recomputable(normalized, resolver)
        self.part_names = []        # cotangents returned by a callee's backward half
        self.spread = {}            # temporary -> (kind, wrapper): its adjoint not yet spread over its shape
        self.group = ()             # the statements of the line whose adjoint is being built
        self.calls = {}             # call statement -> (compiled split derivative, bound arguments, wrt, record name)
        self.norm = normalized
        self.parsed = parsed
        self.resolver = resolver
        self.wrt = list(wrt)
        self.namer = namer
        self.helpers = Helpers(namer, normalized.helpers, resolver.lookup_name)
        self.helpers.exact = getattr(callees, "exact", False) or selects(normalized.node, resolver)
        self.helpers.bounds = bounds.infer(normalized.node, resolver, shapes)
        self.activity = activity(normalized.node, resolver, wrt)
        self.active_names = self.activity.active  # a property that intersects two sets: read it once
        self.saved = saved
        self.with_value = with_value
        self.bars = {}
        self.defined = set()
        self.maybe_zero = set()     # adjoints that may hold a bare 0.0 for an array (see runtime.spread_zero)
        self.restores = set()       # restore statements, not counted as adjoint reads
        self.iteration_names = {}   # loop (or a line's kept temporaries) -> the name of the tuple pushed for it
        self.slots = {}             # statement -> name of the variable holding its pre-value
        self.bookkeeping = set()    # statements that are never recorded (loop counters)
        self.uses_tape = False
        self.needs_init = set()     # counters recorded before their first assignment
        self.branches = {}          # if statement -> the variable keeping its branch
        self.params = [a.id for a in normalized.node.args.args]
        self.tape_name = namer.fresh("_tape")  # `_tape_1` when differentiating code that has a `_tape`
        self.first_defs, self.late_defined = first_definitions(normalized.node, self.params)
        self.loop_locals = loop_locals(normalized.node, self.params)  # loop -> [(name, its assignment)]
        self.local_assigns = {s for names in self.loop_locals.values() for _, s in names}
        self.kept_temps = set(kept_temps)  # temporaries kept with the loop's values (records.bundled)
        self.recomputed = set()     # temporaries the adjoint sweep recomputes
        self.targets_read_outside = targets_read_outside(normalized.node)

    # -- names ------------------------------------------------------------------
    def bar(self, ident):
        if ident not in self.bars:
            self.bars[ident] = self.namer.fresh(f"{ident}_bar")
        return self.bars[ident]

    def is_active(self, node):
        return isinstance(node, gast.Name) and node.id in self.active_names

    def where(self, stmt):
        line = self.norm.origins.get(stmt, self.norm.node.lineno)
        return Location(self.parsed.filename, line, self.parsed.line_text(line))

    def tape(self):
        self.uses_tape = True
        return b.name(self.tape_name)

    def push(self, value):
        """`push(_tape, value)`: runtime helpers rather than list methods, so that generated code
        read back in (a Hessian) has a stack the transforms recognize (stacks.py)."""
        return b.expr_stmt(self.helpers.call("push", self.tape(), value))

    def pop(self):
        return self.helpers.call("pop", self.tape())

    # -- the function -----------------------------------------------------------
    def function(self):
        fn = self.norm.node
        body, final = rc.split_return(fn.body, self.parsed)
        out = final.value
        seed = self.bar(out.id) if self.is_active(out) else self.namer.fresh("out_bar")
        if self.is_active(out):
            self.defined.add(out.id)
        primal = self.primal_block(body, _Ctx())
        if self.with_value and isinstance(out, gast.Name):
            # the adjoint sweep restores overwritten variables, so keep the value now
            kept = self.namer.fresh(f"{out.id}_value")
            primal.append(b.assign(kept, b.name(out.id)))
            out = b.name(kept)
        stack_bars = stacks.prologue(self)  # a stack's adjoint is a stack (generated code read back in)
        adjoint = stack_bars + self.adjoint_block(body, _Ctx())
        self.adjoint_sweep = adjoint
        grads = [self.real_part(w) if w in self.defined else b.const(0.0) for w in self.wrt]
        result = grads[0] if len(grads) == 1 else b.tup(grads)
        if self.with_value:
            result = b.tup([copy.deepcopy(out), result])
        local = {n for names in self.loop_locals.values() for n, _ in names}
        prologue = [b.assign(n, b.const(None)) for n in sorted(self.late_defined & self.recorded_names() - local)]
        prologue += [b.assign(n, b.const(0)) for n in sorted(self.needs_init)]
        if self.uses_tape:
            prologue.append(b.assign(self.tape_name, b.lst([])))
        if self.split:
            return self.halves(fn, out, seed, prologue + primal, adjoint, grads)
        node = b.function(f"{fn.name}_vjp", self.params + [seed], prologue + primal + adjoint + [b.ret(result)])
        node.args.defaults = copy.deepcopy(fn.args.defaults) + [b.const(1.0)]
        return node

    def real_part(self, w):
        """w's adjoint, projected onto w's real part in complex mode (complex_values.py): a real input's
        cotangent may have taken an imaginary part from a complex neighbour, which pairs with no tangent."""
        if not getattr(self.resolver, "complex_mode", False):
            return b.name(self.bar(w))
        return b.call(b.name(self.helpers(runtime_fft.real_like, "real_like")), [b.name(self.bar(w)), b.name(w)])

    def halves(self, fn, out, seed, primal, adjoint, grads):
        """`f_fwd(params) -> (out, record)` and `f_bwd(record, out_bar) -> grads`: reverse mode for a caller.

        The record holds exactly the values the adjoint sweep reads from the primal sweep.
        """
        made = set(self.params) | set(b.names_in(b.module(primal), gast.Store))
        reads = set(b.names_in(b.module(adjoint), gast.Load)) | {n for g in grads for n in b.names_in(g, gast.Load)}
        kept = sorted(made & reads - {seed})  # grads: real_like(x_bar, x) reads x (complex mode)
        # a value made only in a branch (or loop) the primal did not take is bound all the same:
        # the record returns it, though the adjoint sweep takes the same branch and never reads it
        top = {n for stmt in primal if isinstance(stmt, gast.Assign) for n in b.names_in(stmt.targets[0], gast.Store)}
        primal = [b.assign(n, b.const(None)) for n in kept if n not in top and n not in self.params] + primal
        record = self.namer.fresh("_record")
        fwd = b.function(f"{fn.name}_fwd", list(self.params),
                         primal + [b.ret(b.tup([copy.deepcopy(out), b.tup([b.name(n) for n in kept])]))])
        fwd.args.defaults = copy.deepcopy(fn.args.defaults)
        unpack = [b.assign(b.tup([b.name(n, store=True) for n in kept], store=True), b.name(record))] if kept else []
        stored = rc.stored(primal, self.tape_name) | rc.read_from_record(adjoint, kept)
        unpack += [b.assign(n, rc.copy_of(n)) for n in kept
                   if n in rc.written_into(adjoint) and not rc.viewed_by(n, primal, stored - {n}, self.makes_new)]
        result = grads[0] if len(grads) == 1 else b.tup(grads)
        bwd = b.function(f"{fn.name}_bwd", [record, seed], unpack + adjoint + [b.ret(result)])
        return fwd, bwd

    def makes_new(self, call):
        """Whether a call of the primal sweep returns a new array, never a view: a ufunc, an array maker,
        a copy (old_item, own_copy)."""
        helper = self.helpers.by_name.get(call.func.id) if isinstance(call.func, gast.Name) else None
        prim = helper if helper is not None else self.resolver.site(call).prim
        try:
            return isinstance(prim, np.ufunc) or prim in holders.MAKERS or prim in (runtime.old_item, runtime.own_copy)
        except TypeError:  # an unhashable callee
            return False

    def recorded_names(self):
        return set(self.saved or ())

    # -- blocks -----------------------------------------------------------------
    def primal_block(self, stmts, ctx):
        primal = []
        for group in rc.groups(stmts, self.norm.origins):
            for stmt in group:
                primal.extend(rc.marked(self.parsed, self.norm.origins.get(stmt), self.primal(stmt, ctx), None, primal))
            kept = self.line_temps(group, ctx)
            if len(kept) == 1:
                primal.append(self.push(b.name(kept[0])))
            elif kept:
                line = self.line_name(kept)
                primal += [b.assign(line, b.tup([b.name(n) for n in kept])), self.push(b.name(line))]
        return primal

    def line_temps(self, group, ctx):
        """The temporaries of a line that assigns more than one variable or item, in a loop (`s, t = t, s * t`,
        `a[0], a[1] = a[1], a[0]`): kept after the line rather than recomputed, since no single point of
        its adjoint sees every variable the line reads restored to its value before the line."""
        if not ctx.loops:
            return []
        writes = [s for s in group if isinstance(s, gast.Assign) and not rc.temp_target(s, self.norm.temps)]
        if len(writes) < 2:
            return []
        return [s.targets[0].id for s in group
                if rc.temp_target(s, self.temps) and s.targets[0].id not in self.kept_temps]

    def line_name(self, kept):
        """One name for a line's kept temporaries, pushed and popped under it (see iteration_name)."""
        if tuple(kept) not in self.iteration_names:
            self.iteration_names[tuple(kept)] = self.namer.fresh("_line")
        return self.iteration_names[tuple(kept)]

    def pop_line(self, kept):
        """The line's kept temporaries back, first thing in its adjoint (the mirror of line_temps' push)."""
        if len(kept) == 1:
            pops = [b.assign(kept[0], self.pop())]
        else:
            line = self.line_name(kept)
            names = b.tup([b.name(n, store=True) for n in kept], store=True)
            pops = [b.assign(line, self.pop()), b.assign(names, b.name(line))]
        self.restores.update(pops)
        return pops

    def adjoint_block(self, stmts, ctx):
        adjoint = []
        for group in reversed(rc.groups(stmts, self.norm.origins)):
            adjoint.extend(rc.marked(self.parsed, self.norm.origins.get(group[0]), self.adjoint_group(group, ctx)))
        return adjoint

    # -- the primal sweep -------------------------------------------------------
    def should_record(self, stmt, ident):
        if stmt in self.bookkeeping or stmt in self.first_defs or stmt in self.local_assigns:
            return False
        return self.saved is None or ident in self.saved

    def record(self, stmt, value, ctx):
        """Keep value (what stmt is about to overwrite) for the adjoint sweep."""
        if ctx.loops:
            return [self.push(value)]
        slot = self.namer.fresh(f"_{rc.word(value)}_old")
        self.slots[stmt] = slot
        return [b.assign(slot, value)]

    def index_recorded(self, target, ctx):
        """Whether a write `x[i] = v` keeps its index beside the old item: inside a loop, an index read
        from a temporary, which the adjoint sweep recomputes only after the restore needs it (and which
        may read x itself, changed by the write)."""
        return bool(ctx.loops) and any(n in self.temps for n in b.names_in(target.slice, gast.Load))

    def restore_item(self, stmt, target, ctx):
        """Put back what the write `x[i] = v` overwrote, at the index the write used."""
        if not self.index_recorded(target, ctx):
            slot = b.subscript(b.name(target.value.id), copy.deepcopy(target.slice), store=True)
            return [self.restore(stmt, slot, ctx)]
        kept = self.namer.fresh(f"_{target.value.id}_write")
        items = [b.assign(kept, self.pop()),
                 b.assign(b.subscript(b.name(target.value.id), b.subscript(b.name(kept), b.const(0)), store=True),
                          b.subscript(b.name(kept), b.const(1)))]
        self.restores.update(items)
        return items

    def restore(self, stmt, target, ctx):
        if ctx.loops:
            value = self.pop()
        else:
            value = b.name(self.slots[stmt])
        node = b.assign(target, value)
        self.restores.add(node)
        return node

    def primal(self, stmt, ctx):
        """The primal sweep of the shared statement walk (walk.py): the statement, with what it records."""
        return self.visit("primal", stmt, ctx)

    def primal_assign(self, stmt, ctx):
        target = stmt.targets[0]
        if self.appending(stmt):
            return [stmt]  # the adjoint sweep pops the item again, which restores the list
        call = self.user_call(stmt)
        if call is not None:
            before = self.record(stmt, b.name(target.id), ctx) if self.should_record(stmt, target.id) else []
            return before + self.call_forward(stmt, call, ctx)
        if isinstance(target, gast.Name) and self.should_record(stmt, target.id):
            return self.record(stmt, b.name(target.id), ctx) + [stmt]
        if isinstance(target, gast.Subscript) and self.should_record(stmt, target.value.id):
            index = index_expr(target.slice, self.helpers.builtin("slice"))
            old = self.helpers.call("old_item", copy.deepcopy(target.value), index)
            if self.index_recorded(target, ctx):
                old = b.tup([copy.deepcopy(index), old])
            return self.record(stmt, old, ctx) + [stmt]
        return [stmt]

    def primal_if(self, stmt, ctx):
        body, orelse = self.primal_block(stmt.body, ctx), self.primal_block(stmt.orelse, ctx)
        branch = self.branch_name(stmt)
        if branch is None:
            return [b.if_(stmt.test, body, orelse)]
        keep = [self.push(b.name(branch))] if ctx.loops else []
        return [b.assign(branch, copy.deepcopy(stmt.test)), b.if_(b.name(branch), body, orelse)] + keep

    def primal_for(self, stmt, ctx):
        body = self.primal_block(stmt.body, ctx.inner()) + self.end_pushes(stmt)
        keep = self.record(stmt, b.name(stmt.target.id), ctx) if self.keeps_target(stmt) else []
        if not rc.breaks(stmt):
            return keep + [b.for_(stmt.target, stmt.iter, body)]
        return keep + self.counted(stmt, ctx, lambda count: b.for_(stmt.target, stmt.iter, [count] + body))

    def primal_while(self, stmt, ctx):
        body = self.primal_block(stmt.body, ctx.inner()) + self.end_pushes(stmt)
        return self.counted(stmt, ctx, lambda count: b.while_(stmt.test, [count] + body))

    def primal_return(self, stmt, ctx):
        raise self.where(stmt).error("return inside a loop or branch is not supported yet", construct="return")

    def primal_other(self, stmt, ctx):
        return [stmt]

    def keeps_target(self, loop):
        """Whether a for loop keeps its variable's value from before it: the adjoint sweep reads the
        variable outside the loops over it, and the loop (and its replay) overwrite it."""
        ident = loop.target.id
        return ident in self.targets_read_outside and self.should_record(loop, ident)

    def kept_locals(self, loop):
        return [n for n, _ in self.loop_locals.get(loop, ())
                if self.saved is None or n in self.saved or n in self.kept_temps]

    def end_pushes(self, loop):
        """The values of one iteration that the adjoint sweep reads, kept after the iteration as one
        tuple: nothing to keep before their first assignment, so no `name = None` before the loop."""
        names = self.kept_locals(loop)
        if len(names) < 2:
            return [self.push(b.name(n)) for n in names]
        kept = self.iteration_name(loop)
        return [b.assign(kept, b.tup([b.name(n) for n in names])), self.push(b.name(kept))]

    def iteration_name(self, loop):
        """One name for the tuple an iteration keeps, pushed and popped under it: generated code read
        back in (a Hessian) pairs each pop with the pushes of the name it binds (holders.py)."""
        if loop not in self.iteration_names:
            self.iteration_names[loop] = self.namer.fresh("_iteration")
        return self.iteration_names[loop]

    def start_pops(self, loop):
        """The iteration's values back, first thing in its adjoint (the mirror of end_pushes)."""
        names = self.kept_locals(loop)
        if len(names) < 2:
            pops = [b.assign(n, self.pop()) for n in names]
        else:
            kept = self.iteration_name(loop)
            pops = [b.assign(kept, self.pop()),
                    b.assign(b.tup([b.name(n, store=True) for n in names], store=True), b.name(kept))]
        self.restores.update(pops)
        return pops

    def branch_name(self, stmt):
        """A variable that keeps which branch ran, when the branch itself changes the test's variable."""
        if not (isinstance(stmt.test, gast.Name) and stmt.test.id in b.names_in(stmt, gast.Store)):
            return None
        if stmt not in self.branches:
            self.branches[stmt] = self.namer.fresh(f"_branch{len(self.branches) + 1}")
        return self.branches[stmt]

    def counted(self, stmt, ctx, make_loop):
        """The loop built by make_loop(counter statement), counting its trips in `_tripsN`."""
        trips = self.trips_name(stmt)
        keep = []
        if ctx.loops:
            keep = self.record(stmt, b.name(trips), ctx)
            self.needs_init.add(trips)
        count = b.assign(trips, b.add(b.name(trips), b.const(1)))
        return keep + [b.assign(trips, b.const(0)), make_loop(count)]

    def trips_name(self, stmt):
        if not hasattr(self, "_trips"):
            self._trips = {}
        if stmt not in self._trips:
            self._trips[stmt] = self.namer.fresh(f"_trips{len(self._trips) + 1}")
        return self._trips[stmt]


def _refuse_unappend(normalized, parsed, resolver):
    """Reverse mode over generated code that undoes list appends (a gradient's list pops) would have to
    put each popped item back: not done, so refused (forward mode over it, as in s2sad.hessian, works)."""
    def unappends(stmt):
        return isinstance(stmt, (gast.Assign, gast.Expr)) and isinstance(stmt.value, gast.Call) \
            and resolver.site(stmt.value).prim is runtime.unappend
    if not any(unappends(stmt) for stmt in statements(normalized.node)):  # the statements alone: quick
        return
    for stmt in every_node(normalized.node):  # the first in gast.walk's order is the one named
        if unappends(stmt):
            line = normalized.origins.get(stmt, normalized.node.lineno)
            raise Location(parsed.filename, line, parsed.line_text(line)).error(
                "reverse mode over the adjoint of a list append (a Jacobian of a gradient of a function that builds a "
                "list by append or a comprehension)", construct="append",
                hint="use forward mode over the gradient: s2sad.hessian, or s2sad.jacobian(..., mode='forward')")


def reverse(normalized, parsed, resolver, wrt, namer_factory, with_value=False, callees=None, split=False, shapes=None):
    """The gast FunctionDef of the VJP and the helper objects its names stand for.

    Built once from the to-be-recorded analysis (records_table, computed before the build): it records
    exactly the values the adjoint sweep reads and keeps the bundled temporaries with their loops'
    iterations; then `check_reads` makes sure the sweep reads no overwritten value left unrecorded.
    """
    _refuse_unappend(normalized, parsed, resolver)
    table = records_table(normalized, parsed, resolver, wrt, callees, shapes)
    built = Reverse(normalized, parsed, resolver, wrt, namer_factory(), saved=set(table.recorded),
                    with_value=with_value, callees=callees, split=split, shapes=shapes, kept_temps=table.bundled)
    node = built.function()
    check_reads(built, table)
    kinds = (runtime.scatter, runtime.without_item, runtime.item_bar)
    names = {v: k for k, v in built.helpers.by_name.items() if v in kinds}
    if runtime.scatter in names or runtime.without_item in names:
        for fn in node if isinstance(node, tuple) else (node,):
            _in_place_adjoints(fn, names, built.helpers)
    made = set(built.bars.values()) | set(built.part_names)  # what the optimizer may treat as adjoints
    return node, built.helpers.by_name, made


def records_table(normalized, parsed, resolver, wrt, callees=None, shapes=None, exhaustive=False):
    """The to-be-recorded analysis of reverse mode (a `records.Records`): what the adjoint sweep reads
    (adjoint_reads.py, skipped when no value can be overwritten, unless `exhaustive`: for printing,
    `s2sad.source(f, stage="records")` and `"analyses"`), and of it what must be recorded."""
    fn = normalized.node
    cands = frozenset(candidates(fn, [a.id for a in fn.args.args]) - recomputable(normalized, resolver))
    if not cands and not exhaustive:
        return records.nothing(normalized, wrt)
    reads = adjoint_reads.find(normalized, parsed, resolver, wrt, callees, shapes)
    if reads.facts.refused:  # the build refuses a call the analysis met: it raises its own error
        if exhaustive:  # printing: raise it here
            Reverse(normalized, parsed, resolver, wrt, Namer(normalized.names), saved=set(cands), callees=callees,
                    shapes=shapes).function()
        return records.everything(normalized, wrt, cands)
    return records.find(reads, normalized, normalized.sharers)


def check_reads(built, table):
    """Refuse, rather than return a wrong derivative, when the adjoint sweep reads a value a later
    assignment overwrote that the table does not record (the analysis and the sweep disagree)."""
    if not table.candidates:
        return
    read = records.with_sharers(records.adjoint_reads(built.adjoint_sweep, built.restores), built.norm.sharers)
    missed = sorted((read & table.candidates) - table.recorded)
    if missed:
        raise built.where(built.norm.node).error(
            f"reverse mode would read {', '.join(missed)} after a later assignment overwrote it, which the "
            "to-be-recorded analysis did not foresee (an s2sad bug: please report it)", construct="records",
            hint="differentiate in forward mode (s2sad.jacobian(..., mode='forward')) meanwhile")


def _in_place_adjoints(fn, names, helpers):
    """Adjoints that only their own variable holds are updated in place: `a_bar = a_bar + scatter(g, a, i)`
    becomes `a_bar = scatter_add(a_bar, g, a, i)` and `a_bar = without_item(a_bar, i)` becomes
    `a_bar = clear_item(a_bar, i)`, so reading or writing a[i] in a loop costs what it touches.

    An adjoint qualifies when every assignment to it makes a new value or updates itself (0.0, a
    scatter, an arithmetic result, one of the two updates) and it is read only by arithmetic, by
    those updates, by `item_bar` (which copies) and by the final return."""
    scatter, without = names.get(runtime.scatter), names.get(runtime.without_item)
    updates = [u for u in (scatter, without) if u]
    defs, bad, copies = {}, {a.id for a in fn.args.args}, set()
    for node in every_node(fn):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
            ident = node.targets[0].id
            defs.setdefault(ident, []).append(node)
            if not _owned_value(node.value, ident, scatter, updates):
                copies.add(node)  # made its own by a copy, if ident qualifies
        elif isinstance(node, (gast.Assign, gast.For)):  # unpacked or looped over: may be held elsewhere
            targets = node.targets if isinstance(node, gast.Assign) else [node.target]
            bad.update(n for t in targets for n in b.names_in(t, gast.Store))
    allowed = set()
    readers = set(names.values())
    for node in every_node(fn):
        if isinstance(node, gast.BinOp):
            allowed |= {id(node.left), id(node.right)}
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id in readers and node.args:
            allowed.add(id(node.args[0]))
        elif isinstance(node, gast.Return):
            allowed |= {id(n) for n in every_node(node.value) if isinstance(n, gast.Name)}
    for node in every_node(fn):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and id(node) not in allowed:
            bad.add(node.id)
    for ident in set(defs) - bad:
        if not any(_is_update(s.value, ident, scatter, updates) for s in defs[ident]):
            continue
        for stmt in defs[ident]:
            value = stmt.value
            if stmt in copies:
                stmt.value = helpers.call("own_copy", value)
            elif scatter and isinstance(value, gast.BinOp) and _is_call(value.right, scatter):
                stmt.value = helpers.call("scatter_add", value.left, *value.right.args)
            elif without and _is_call(value, without):
                stmt.value = helpers.call("clear_item", *value.args)


def _is_update(value, ident, scatter, updates):
    """ident + scatter(...) or without_item(ident, ...): what the in-place versions speed up."""
    if isinstance(value, gast.BinOp):
        return bool(scatter) and b.is_name(value.left, ident) and _is_call(value.right, scatter)
    return any(_is_call(value, u) and value.args and b.is_name(value.args[0], ident) for u in updates if u != scatter)


def _is_call(node, ident):
    return isinstance(node, gast.Call) and b.is_name(node.func, ident)


def _owned_value(value, ident, scatter, updates):
    """Whether `ident = value` leaves ident holding a value nothing else holds."""
    if isinstance(value, gast.Constant):
        return value.value == 0.0
    if isinstance(value, (gast.BinOp, gast.UnaryOp)) or (scatter and _is_call(value, scatter)):
        return True
    return any(_is_call(value, u) and value.args and b.is_name(value.args[0], ident) for u in updates)
