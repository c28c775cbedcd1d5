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
from typing import NamedTuple

import gast
import numpy as np

from . import build as b
from . import holders, runtime, runtime_fft, stacks
from .analyze import activity, assignments
from .errors import Location
from .partials import Helpers, cotangent_terms, index_expr, merge_twins, refuse_active_object, require_rule, selects


class _Ctx:
    """Where a block sits: inside how many loops."""

    def __init__(self, loops=0):
        self.loops = loops

    def inner(self):
        return _Ctx(self.loops + 1)


class Reverse:
    """Builds the VJP of one normalized function; `saved` limits which names are recorded."""

    def __init__(self, normalized, parsed, resolver, wrt, namer, saved=None, with_value=False, callees=None,
                 split=False, shapes=None):
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
        self.first_defs, self.late_defined = _first_definitions(normalized.node, self.params)
        self.loop_locals = _loop_locals(normalized.node, self.params)  # loop -> [(name, its assignment)]
        self.local_assigns = {s for names in self.loop_locals.values() for _, s in names}
        self.kept_temps = set()     # temporaries kept with the loop's values rather than recomputed
        self.recomputed = set()     # temporaries the adjoint sweep recomputes
        self.targets_read_outside = _targets_read_outside(normalized.node)

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
        body, final = _split_return(fn.body, self.parsed)
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
        kept = sorted(made & set(b.names_in(b.module(adjoint), gast.Load)) - {seed})
        # a value made only in a branch (or loop) the primal did not take is bound all the same:
        # the record returns it, though the adjoint sweep takes the same branch and never reads it
        top = {n for stmt in primal if isinstance(stmt, gast.Assign) for n in b.names_in(stmt.targets[0], gast.Store)}
        primal = [b.assign(n, b.const(None)) for n in kept if n not in top and n not in self.params] + primal
        record = self.namer.fresh("_record")
        fwd = b.function(f"{fn.name}_fwd", list(self.params),
                         primal + [b.ret(b.tup([copy.deepcopy(out), b.tup([b.name(n) for n in kept])]))])
        fwd.args.defaults = copy.deepcopy(fn.args.defaults)
        unpack = [b.assign(b.tup([b.name(n, store=True) for n in kept], store=True), b.name(record))] if kept else []
        stored = _stored(primal, self.tape_name) | _read_from_record(adjoint, kept)
        unpack += [b.assign(n, _copy_of(n)) for n in kept
                   if n in _written_into(adjoint) and not _viewed_by(n, primal, stored - {n}, self.makes_new)]
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
        for group in _groups(stmts, self.norm.origins):
            for stmt in group:
                primal.extend(_marked(self.parsed, self.norm.origins.get(stmt), self.primal(stmt, ctx), None, primal))
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
        writes = [s for s in group if isinstance(s, gast.Assign) and not _temp_target(s, self.norm.temps)]
        if len(writes) < 2:
            return []
        return [s.targets[0].id for s in group
                if _temp_target(s, self.temps) and s.targets[0].id not in self.kept_temps]

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
        for group in reversed(_groups(stmts, self.norm.origins)):
            adjoint.extend(_marked(self.parsed, self.norm.origins.get(group[0]), self.adjoint_group(group, ctx)))
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
        slot = self.namer.fresh(f"_{_word(value)}_old")
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
        if isinstance(stmt, gast.Assign):
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
        if isinstance(stmt, gast.If):
            body, orelse = self.primal_block(stmt.body, ctx), self.primal_block(stmt.orelse, ctx)
            branch = self.branch_name(stmt)
            if branch is None:
                return [b.if_(stmt.test, body, orelse)]
            keep = [self.push(b.name(branch))] if ctx.loops else []
            return [b.assign(branch, copy.deepcopy(stmt.test)), b.if_(b.name(branch), body, orelse)] + keep
        if isinstance(stmt, gast.For):
            body = self.primal_block(stmt.body, ctx.inner()) + self.end_pushes(stmt)
            keep = self.record(stmt, b.name(stmt.target.id), ctx) if self.keeps_target(stmt) else []
            if not _breaks(stmt):
                return keep + [b.for_(stmt.target, stmt.iter, body)]
            return keep + self.counted(stmt, ctx, lambda count: b.for_(stmt.target, stmt.iter, [count] + body))
        if isinstance(stmt, gast.While):
            body = self.primal_block(stmt.body, ctx.inner()) + self.end_pushes(stmt)
            return self.counted(stmt, ctx, lambda count: b.while_(stmt.test, [count] + body))
        if isinstance(stmt, gast.Return):
            raise self.where(stmt).error("return inside a loop or branch is not supported yet", construct="return")
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

    def user_call(self, stmt):
        """For `y = g(...)` with g a user function and derivatives flowing through: how to call its split."""
        if stmt in self.calls:
            return self.calls[stmt]
        call = None
        target = stmt.targets[0]
        if isinstance(target, gast.Name) and target.id in self.activity.active:
            site = self.resolver.site(stmt.value)
            if site.kind in ("function", "method") and any(self.is_active(a) for a in site.operands()):
                call = self.split_call(site, self.where(stmt), target.id)
            elif site.kind == "rule" and site.rule.fwd is not None:
                call = self.residual_call(site)
        self.calls[stmt] = call
        return call

    def residual_call(self, site):
        """A rule with residuals (registry.residuals) split like a user function, or None: no split
        for the arguments that are active here, so the plain templates."""
        bound = site.rule.bind(site.args, site.keywords)
        active = tuple(p for p in site.rule.wrt if isinstance(bound[p], gast.AST) and self.is_active(bound[p]))
        backward = site.rule.bwd.get(active)
        if backward is None:
            return None
        fwd = site.rule.fwd
        value = b.call(b.name(self.helpers(fwd, fwd.__name__)), [copy.deepcopy(a) for a in site.args],
                       {k: copy.deepcopy(v) for k, v in site.keywords.items()})
        record = self.namer.fresh(f"{site.rule.primitive.__name__}_record")
        return Split(value, b.name(self.helpers(backward, backward.__name__)), [bound[p] for p in active], record, True)

    def split_call(self, site, where, target=None):
        """(forward call expression, backward callee, active argument atoms, record name, bare single result)."""
        if site.kind == "method":  # the object's class is known only when the call runs
            if self.is_active(site.args[0]):
                refuse_active_object(site, where)
            active = [self.is_active(a) for a in site.args[1:]]
            value = b.call(b.name(self.helpers(self.callees.dispatch.method_fwd, "method_fwd")),
                           [copy.deepcopy(site.args[0]), b.const(site.prim),
                            b.tup([copy.deepcopy(a) for a in site.args[1:]]), b.tup([b.const(x) for x in active])])
            backward = b.name(self.helpers(self.callees.dispatch.method_bwd, "method_bwd"))
            atoms = [a for a, x in zip(site.args[1:], active) if x]
            return Split(value, backward, atoms, self.namer.fresh(f"{site.prim}_record"), False)
        if self.callees is None:
            require_rule(site, where)
        func, bound, wrt, compiled = self.callees.compiled_call(site, where, self.is_active, "reverse",
                                                                lambda bound: self.callee_kinds(bound, target))
        arguments = {p: copy.deepcopy(atom) for p, atom in bound.items()}
        value = b.call(b.name(self.helpers(compiled.function, compiled.function.__name__)), [], arguments)
        backward = b.name(self.helpers(compiled.backward, compiled.backward.__name__))
        split = Split(value, backward, [bound[p] for p in wrt], self.namer.fresh(f"{func.__name__}_record"), True)
        if getattr(site.prim, "__s2sad_checkpoint__", False):  # s2sad.checkpoint(g): run g, recompute its record
            primal = b.call(b.name(self.helpers(site.prim, func.__name__)), [], copy.deepcopy(arguments))
            split = split._replace(value=primal, recompute=value)
        return split

    def callee_kinds(self, bound, target):
        """The kinds of a callee's arguments at this call, then of its output (the seed of its backward
        half): its derivative is specialized to them (shapes.py). None when the caller's table is
        unknown or the output's kind is (a tuple, a dict): then the callee's general derivative."""
        if self.shapes is None or target is None or self.shapes.kind(target) is None:
            return None
        return {p: self.shapes.of(a) for p, a in bound.items()}, self.shapes.kind(target)

    def call_forward(self, stmt, call, ctx):
        """`y, g_record = g_fwd(...)`, the record kept on the tape inside loops."""
        if call.recompute is not None:  # checkpointed: the plain call, nothing kept but its arguments
            return [b.assign(stmt.targets[0].id, copy.deepcopy(call.value))]
        items = [b.assign(b.tup([b.name(stmt.targets[0].id, store=True), b.name(call.record, store=True)],
                                store=True), copy.deepcopy(call.value))]
        if ctx.loops:
            items.append(self.push(b.name(call.record)))
        return items

    def call_backward(self, stmt, call, ctx, like=None):
        """`a_bar_part, ... = g_bwd(g_record, y_bar)`, then each part added to its argument's adjoint
        (`like`: a name holding y's value, when y itself was restored already)."""
        backward, atoms, record, bare = call.backward, call.atoms, call.record, call.bare
        ident = stmt.targets[0].id
        items = []
        if ctx.loops and call.recompute is None:
            items.append(b.assign(record, self.pop()))
        if ident not in self.defined:
            return items
        if call.recompute is not None:  # `_, g_record = g_fwd(...)` again, from the arguments as they were
            items.append(b.assign(record, gast.Subscript(value=copy.deepcopy(call.recompute), slice=b.const(1),
                                                         ctx=gast.Load())))
        g = self.shaped_bar(ident, b.name(like or ident))
        self.defined.discard(ident)
        value = b.call(copy.deepcopy(backward), [b.name(record), g])
        if len(atoms) == 1 and bare:
            return items + [self.accumulate(atoms[0].id, value)]
        ids = [a.id for a in atoms]
        # an argument with no adjoint yet receives its part directly: `W_bar, v_bar = g_bwd(...)`
        direct = [i not in self.defined and ids.count(i) == 1 for i in ids]
        parts = [self.bar(i) if d else self.namer.fresh(f"{i}_bar_part") for i, d in zip(ids, direct)]
        self.part_names.extend(p for p, d in zip(parts, direct) if not d)
        items.append(b.assign(b.tup([b.name(n, store=True) for n in parts], store=True), value))
        for i, part, d in zip(ids, parts, direct):
            if d:
                self.defined.add(i)
            else:
                items.append(self.accumulate(i, b.name(part)))
        return items

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

    # -- the adjoint sweep ------------------------------------------------------
    def adjoint_group(self, group, ctx):
        items = []
        kept = self.line_temps(group, ctx)
        temps = [s for s in group if _temp_target(s, self.temps) and s.targets[0].id not in self.kept_temps
                 and s.targets[0].id not in kept]
        self.group = group
        for stmt in reversed(group):
            items.extend(self.adjoint(stmt, ctx, group))
        if ctx.loops and temps:
            items = _with_recompute(items, temps, self.restores, self.recomputed)
        return self.pop_line(kept) + items if kept else items

    def adjoint(self, stmt, ctx, group):
        pushed_or_popped = stacks.adjoint(self, stmt, ctx)
        if pushed_or_popped is not None:
            return pushed_or_popped
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript):
                return self.adjoint_store(stmt, ctx)
            return self.adjoint_assign(stmt, ctx, group)
        if isinstance(stmt, gast.If):
            return self.adjoint_if(stmt, ctx)
        if isinstance(stmt, (gast.For, gast.While)):
            counted = isinstance(stmt, gast.While) or _breaks(stmt)
            if isinstance(stmt, gast.While):
                replay = b.call(self.helpers.builtin("range"), [b.name(self.trips_name(stmt))])
                target = b.name(self.namer.fresh("_"), store=True)
            else:
                iterable = copy.deepcopy(stmt.iter)
                if counted:
                    trips = b.name(self.trips_name(stmt))
                    iterable = b.subscript(iterable, gast.Slice(lower=None, upper=trips, step=None))
                replay, target = b.call(self.helpers.builtin("reversed"), [iterable]), stmt.target
            items = self.adjoint_loop(stmt, ctx, replay, target)
            if counted and ctx.loops:
                items.append(self.restore(stmt, b.name(self.trips_name(stmt), store=True), ctx))
            if isinstance(stmt, gast.For) and self.keeps_target(stmt):  # the replay counted it down
                items.append(self.restore(stmt, b.name(stmt.target.id, store=True), ctx))
            return items
        return []

    def appending(self, stmt):
        """Whether stmt is `xs = append(xs, item)` (normalized from `xs.append(item)`)."""
        return isinstance(stmt.targets[0], gast.Name) and self.resolver.site(stmt.value).prim is runtime.append

    def adjoint_append(self, stmt):
        """Pop the item off xs again, handing its cotangent to the item."""
        xs, item = stmt.value.args
        if xs.id in self.activity.active and xs.id in self.defined and self.is_active(item):
            return [self.accumulate(item.id, self.helpers.call("unappend", copy.deepcopy(xs), b.name(self.bar(xs.id))))]
        return [b.expr_stmt(self.helpers.call("unappend", copy.deepcopy(xs), b.const(0.0)))]

    def adjoint_assign(self, stmt, ctx, group):
        ident = stmt.targets[0].id
        if self.appending(stmt):
            return self.adjoint_append(stmt)
        call = self.user_call(stmt)
        if call is not None and call.recompute is not None and self.should_record(stmt, ident):
            # checkpointed `h = g(h, W)`: the recompute reads the arguments as they were, so restore first
            held = self.namer.fresh(f"{ident}_new")
            items = [b.assign(held, b.name(ident)), self.restore(stmt, b.name(ident, store=True), ctx)]
            return items + self.call_backward(stmt, call, ctx, like=held)
        if call is not None:
            items = self.call_backward(stmt, call, ctx)
            if self.should_record(stmt, ident):
                items.append(self.restore(stmt, b.name(ident, store=True), ctx))
            return items
        recorded = self.should_record(stmt, ident)
        early = recorded and ident in _group_inputs(group, stmt, self.temps)
        items = []
        ans = b.name(ident)
        if early:
            site = self.resolver.site(stmt.value)
            if ident in self.active_names and _uses_ans(site):
                held = self.namer.fresh(f"{ident}_new")
                items.append(b.assign(held, b.name(ident)))
                ans = b.name(held)
            items.append(self.restore(stmt, b.name(ident, store=True), ctx))
        if ident in self.active_names and ident in self.defined:
            items.extend(self.contributions(stmt, ident, ans))
        if recorded and not early:
            items.append(self.restore(stmt, b.name(ident, store=True), ctx))
        return items

    def contributions(self, stmt, ident, ans):
        """Accumulate the cotangent of stmt's target into its operands' adjoints."""
        site = self.resolver.site(stmt.value)
        where = self.where(stmt)
        g = b.name(self.bar(ident))
        if site.kind == "atom":
            terms = [(site.args[0], g)] if self.is_active(site.args[0]) else []
        elif site.kind == "container":
            keys = stmt.value.keys if site.prim is dict else [b.const(i) for i in range(len(site.args))]
            terms = [(a, self.helpers.call("part", copy.deepcopy(g), copy.deepcopy(k))) for k, a in zip(keys, site.args)
                     if self.is_active(a)]
        elif site.kind == "inert" or not any(self.is_active(a) for a in site.operands()):
            terms = []  # `c = helper(3.0)`: a constant, though c is active where it is bound again later
        else:
            if any(self.is_active(a) for a in site.operands()):
                require_rule(site, where)
            if site.kind == "rule" and site.rule.kind != "elementwise":
                g = self.shaped_bar(ident, ans)
            terms = cotangent_terms(site, ans, g, self.is_active, self.helpers, where, self.shapes, ident)
        if ident in self.maybe_zero and (site.kind != "rule" or site.rule.kind == "elementwise"):
            self.maybe_zero.update(a.id for a, _ in terms)  # a term of a bare 0.0 may be one too
        self.maybe_zero.update(a.id for a, t in terms if _has_zero_factor(t))
        terms = merge_twins(terms)
        items = self.spread_now(ident, site, terms, ans)
        terms = [(a, self.spread_later(a, t)) for a, t in terms]
        own = [t for a, t in terms if a.id == ident]
        items += [self.accumulate(a.id, t) for a, t in terms if a.id != ident]
        self.defined.discard(ident)
        if own:
            total = own[0]
            for t in own[1:]:
                total = b.add(total, t)
            items.append(self.accumulate(ident, total))
        return items

    def shaped_bar(self, ident, ans):
        """ident's adjoint, spread to ans's shape where it may be a bare 0.0 (a branch not taken, a loop
        not run): an adjoint that splits or reshapes its cotangent needs it shaped. Other adjoints as they are."""
        g = b.name(self.bar(ident))
        return self.helpers.call("spread_zero", g, copy.deepcopy(ans)) if ident in self.maybe_zero else g

    def spread_later(self, atom, term):
        """For `t_bar = sum_adjoint(g, t, axis, keepdims)`, with t a temporary of the same line whose
        statement is elementwise: `t_bar = g`, the spreading over t's shape left to t's statement,
        whose terms (`g * slope`) broadcast g anyway, the same values without the copy
        (`spread_now`)."""
        if self.shapes is None or not self.is_helper(term, runtime.sum_adjoint) or atom.id not in self.temps \
                or len(term.args) > 4 or not b.is_name(term.args[1], atom.id) or atom.id in self.spread:
            return term
        kind = self.shapes.kind(atom.id)
        axis, keepdims = (list(term.args[2:]) + [b.const(None), b.const(False)][len(term.args) - 2:])[:2]
        if kind is None or not isinstance(keepdims, gast.Constant) or not isinstance(axis, gast.Constant):
            return term
        if keepdims.value is True and type(axis.value) is int and -len(kind[1]) <= axis.value < len(kind[1]):
            shape = list(kind[1])
            shape[axis.value] = 1
            reduced = (kind[0], tuple(shape))
        elif keepdims.value in (False, True) and axis.value is None:
            reduced = (kind[0], tuple(1 for _ in kind[1]) if keepdims.value else ())
        else:
            return term
        if reduced == kind:
            return term
        defs = [s for s in self.group if _temp_target(s, self.temps) and s.targets[0].id == atom.id]
        if len(defs) != 1 or self.user_call(defs[0]) is not None:
            return term
        site = self.resolver.site(defs[0].value)
        if site.kind != "rule" or site.rule.kind != "elementwise":
            return term
        self.spread[atom.id] = (reduced, term)
        # an array, as sum_adjoint's result is: a Python float times a float32 array would make float32
        return b.call(b.attribute(b.name(self.helpers(np, "np")), "asarray"), [term.args[0]])

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

    def accumulate(self, ident, term):
        bar = self.bar(ident)
        if ident in self.defined and isinstance(term, gast.UnaryOp) and isinstance(term.op, gast.USub):
            term = b.binop(b.name(bar), gast.Sub(), term.operand)  # x - t is x + (-t), one operation fewer
        elif ident in self.defined:
            term = b.add(b.name(bar), term)
        self.defined.add(ident)
        return b.assign(bar, term)

    def adjoint_store(self, stmt, ctx):
        target = stmt.targets[0]
        obj = target.value.id
        items = []
        if self.should_record(stmt, obj):  # first: the line's temporaries read obj as it was before the write
            items.extend(self.restore_item(stmt, target, ctx))
        if obj in self.activity.active and obj in self.defined:
            bar = b.name(self.bar(obj))
            read = None
            if self.is_active(stmt.value):
                index = index_expr(target.slice, self.helpers.builtin("slice"))
                read = self.helpers.call("item_bar", copy.deepcopy(bar), index, copy.deepcopy(stmt.value))
                if stmt.value.id == obj:  # `z[:] = z`: the cotangent of the value read before the write clears it
                    held = self.namer.fresh(f"{obj}_item_bar")
                    items.append(b.assign(held, read))
                    read = b.name(held)
                else:
                    items.append(self.accumulate(stmt.value.id, read))
                    read = None
            index = index_expr(target.slice, self.helpers.builtin("slice"))
            items.append(b.assign(self.bar(obj), self.helpers.call("without_item", bar, index)))
            if read is not None:
                items.append(self.accumulate(obj, read))
        return items

    def adjoint_if(self, stmt, ctx):
        start = set(self.defined)
        body = self.adjoint_block(stmt.body, ctx)
        after_body, self.defined = self.defined, set(start)
        orelse = self.adjoint_block(stmt.orelse, ctx)
        after_else = self.defined
        both = after_body | after_else
        body += self.zeros(both - after_body)
        orelse += self.zeros(both - after_else)
        self.defined = both
        branch = self.branch_name(stmt)
        replay = [b.assign(branch, self.pop())] if branch and ctx.loops else []
        if not body and not orelse:
            return replay
        test = b.name(branch) if branch else copy.deepcopy(stmt.test)
        return replay + [b.if_(test, body, orelse)]

    def adjoint_loop(self, stmt, ctx, replay, target):
        carried = live_in(stmt.body) & self.activity.active
        before = self.zeros(carried - self.defined)
        entry = set(self.defined)
        killed = {t for t, _, s in assignments(stmt.body) if isinstance(s.targets[0], gast.Name)}
        # The 0.0 a trip leaves for a name it assigns and does not read first reaches the next trip's
        # adjoint unchanged (a name the trip reads first gets its adjoint again from that read).
        self.maybe_zero |= (entry & killed) - carried
        body = self.start_pops(stmt) + self.adjoint_block(stmt.body, ctx.inner())
        body += self.zeros(entry - self.defined)
        self.defined = entry
        if not any(not isinstance(s, gast.Pass) for s in body):
            return before
        return before + [b.for_(target, replay, body)]

    def zeros(self, idents):
        items = []
        for ident in sorted(idents):
            items.append(b.assign(self.bar(ident), b.const(0.0)))
            self.defined.add(ident)
            self.maybe_zero.add(ident)
        return items


# -- helpers over statement lists ------------------------------------------------


def _marked(parsed, line, items, label="d/dx of", before=()):
    """items under a comment naming the user's line (invisible with label None: a line map entry only)."""
    if not items or line is None:
        return items
    marker = b.origin(parsed, line, label)
    last = next((s for s in reversed(before) if b.is_marker(s)), None)
    if last is not None and last.value.value == marker.value.value:  # the same line goes on
        return items
    return [marker] + items


def _split_return(body, parsed):
    if not body or not isinstance(body[-1], gast.Return):
        from .syntax import refuse
        refuse(parsed, parsed.node, "a function that does not end in return")
    return body[:-1], body[-1]


def _groups(stmts, origins):
    """Consecutive statements that came from the same user line."""
    groups = []
    for stmt in stmts:
        line = origins.get(stmt)
        loops = (gast.For, gast.While)
        if groups and line is not None and origins.get(groups[-1][-1]) == line \
                and not isinstance(stmt, loops) and not isinstance(groups[-1][-1], loops):
            groups[-1].append(stmt)
        else:
            groups.append([stmt])
    return groups


def _breaks(loop):
    """Whether the loop's body ends in its exit test (`if _stopN: break`)."""
    last = loop.body[-1] if loop.body else None
    return isinstance(last, gast.If) and any(isinstance(s, gast.Break) for s in last.body)


def _temp_target(stmt, temps):
    return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id in temps


def _group_inputs(group, upto, temps):
    """Names a group reads before `upto`, through its temporaries, that are not temporaries."""
    names = set()
    for stmt in group:
        names |= {n for n in b.names_in(stmt.value if isinstance(stmt, gast.Assign) else stmt, gast.Load)}
        if stmt is upto:
            break
    return names - set(temps)


def _uses_ans(site):
    from . import templates
    rule = site.rule
    if site.kind != "rule" or rule.vjp is None:
        return False
    _, exprs = templates.parts(rule.vjp, len(rule.wrt))
    return any(templates.mentions(e, "ans") for e in exprs)


def _with_recompute(items, temps, restores, made):
    """Put the group's temporaries back before the first adjoint statement that reads one (the names of
    those the adjoint statements read added to made)."""
    temp_names = {s.targets[0].id for s in temps}
    needed = set()
    for item in items:
        if item not in restores:
            needed |= set(b.names_in(item, gast.Load)) & temp_names
    made.update(needed)  # read by the adjoint statements themselves, not only by other temporaries
    for stmt in reversed(temps):  # a needed temporary needs the temporaries it reads
        if stmt.targets[0].id in needed:
            needed |= set(b.names_in(stmt.value, gast.Load)) & temp_names
    recompute = [copy.deepcopy(s) for s in temps if s.targets[0].id in needed]
    if not recompute:
        return items
    for i, item in enumerate(items):
        if item not in restores and set(b.names_in(item, gast.Load)) & temp_names:
            return items[:i] + recompute + items[i:]
    return items


def _must_assign(stmts):
    """Names every path through stmts assigns (loops may run zero times)."""
    names = set()
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            names.add(stmt.targets[0].id)
        elif isinstance(stmt, gast.If):
            names |= _must_assign(stmt.body) & _must_assign(stmt.orelse)
    return names


def live_in(stmts):
    """Names a block may read before it assigns them."""
    live = set()
    for stmt in reversed(stmts):
        if isinstance(stmt, gast.If):
            live -= _must_assign(stmt.body) & _must_assign(stmt.orelse)
            live |= {stmt.test.id} if isinstance(stmt.test, gast.Name) else set()
            live |= live_in(stmt.body) | live_in(stmt.orelse)
            continue
        if isinstance(stmt, (gast.For, gast.While)):  # may run zero times: assigns nothing for sure
            inner = live_in(stmt.body)
            if isinstance(stmt, gast.For):
                inner -= set(b.names_in(stmt.target, gast.Store))
            live |= inner | set(b.names_in(stmt.iter if isinstance(stmt, gast.For) else stmt.test, gast.Load))
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            live.discard(stmt.targets[0].id)
        live |= set(b.names_in(stmt, gast.Load))
    return live


def _first_definitions(fn, params):
    """Top-level first assignments (nothing to record before them) and names first bound in a block."""
    first, seen, late = set(), set(params), set()
    for stmt in fn.body:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            if stmt.targets[0].id not in seen:
                first.add(stmt)
                seen.add(stmt.targets[0].id)
        elif isinstance(stmt, (gast.If, gast.For, gast.While)):
            for ident in b.names_in(stmt, gast.Store):
                if ident not in seen:
                    late.add(ident)
                    seen.add(ident)
    return first, late


def _loop_locals(fn, params):
    """For each loop without a break (whose last trip ends early): the names its body assigns once, at
    its top level, read after that assignment only and nowhere outside the body. Each iteration has its
    own value of them."""
    stores, loads = _name_counts(fn)
    found = {}

    def walk(stmts):
        for stmt in stmts:
            if isinstance(stmt, (gast.For, gast.While)) \
                    and not any(isinstance(n, gast.Break) for n in gast.walk(b.module(stmt.body))):
                inner = _name_counts(b.module(stmt.body))[1]
                live = live_in(stmt.body)
                found[stmt] = [(s.targets[0].id, s) for s in stmt.body
                               if isinstance(s, gast.Assign) and len(s.targets) == 1
                               and isinstance(s.targets[0], gast.Name) and stores.get(s.targets[0].id) == 1
                               and s.targets[0].id not in live and s.targets[0].id not in params
                               and loads.get(s.targets[0].id, 0) == inner.get(s.targets[0].id, 0)]
            if isinstance(stmt, (gast.For, gast.While, gast.If)):
                walk(stmt.body)
                walk(stmt.orelse)
    walk(fn.body)
    walk = None  # a recursive closure is a cycle: broken here, it is freed at once (no collection)
    return found


def _targets_read_outside(fn):
    """Names of for-loop variables that something reads outside every for loop over that name."""
    targets = {s.target.id for s in gast.walk(fn) if isinstance(s, gast.For) and isinstance(s.target, gast.Name)}
    found = set()

    def visit(node, covered):
        if isinstance(node, gast.For) and isinstance(node.target, gast.Name):
            found.update(n for n in b.names_in(node.iter, gast.Load) if n in targets - covered)
            for child in node.body + node.orelse:
                visit(child, covered | {node.target.id})
            return
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and node.id in targets - covered:
            found.add(node.id)
        for child in gast.iter_child_nodes(node):
            visit(child, covered)
    for stmt in fn.body:
        visit(stmt, frozenset())
    visit = None  # a recursive closure is a cycle: broken here, it is freed at once (no collection)
    return found


def _name_counts(tree):
    """(stores, other uses) of each name in tree."""
    stores, loads = {}, {}
    for node in gast.walk(tree):
        if isinstance(node, gast.Name):
            table = stores if isinstance(node.ctx, gast.Store) else loads
            table[node.id] = table.get(node.id, 0) + 1
    return stores, loads


def _word(node):
    if isinstance(node, gast.Name):
        return node.id.strip("_")
    if isinstance(node, gast.Call) and node.args and isinstance(node.args[0], gast.Subscript):
        return _word(node.args[0].value) + "_item"
    return "value"


def candidates(fn, params):
    """Names whose values can be overwritten: assigned twice, in a loop, or a reassigned parameter."""
    counts = {p: 1 for p in params}
    in_loop = set()

    def walk(stmts, loop):
        for stmt in stmts:
            if isinstance(stmt, gast.Assign):
                target = stmt.targets[0]
                ident = target.id if isinstance(target, gast.Name) else target.value.id
                counts[ident] = counts.get(ident, 0) + (2 if isinstance(target, gast.Subscript) else 1)
                if loop:
                    in_loop.add(ident)
            elif isinstance(stmt, gast.If):
                walk(stmt.body, loop)
                walk(stmt.orelse, loop)
            elif isinstance(stmt, (gast.For, gast.While)):
                if isinstance(stmt, gast.For):
                    counts[stmt.target.id] = counts.get(stmt.target.id, 0) + 1
                walk(stmt.body, True)
    walk(fn.body, False)
    walk = None  # a recursive closure is a cycle: broken here, it is freed at once (no collection)
    return {n for n, c in counts.items() if c > 1} | in_loop


def recomputable(normalized, resolver):
    """The temporaries the adjoint sweep may recompute rather than record: not results of user functions,
    which would run again, nor values popped off a stack (generated code read back in: popping again
    takes the next item, or fails on an empty stack), nor of the runtime's list updates (a second
    `unappend` would pop twice)."""
    calls = {target for target, value, _ in assignments(normalized.node.body)
             if isinstance(value, gast.Call) and (_split_site(resolver.site(value))
                                                  or resolver.site(value).prim in (runtime.unappend, runtime.pop))}
    return set(normalized.temps) - calls


def _refuse_unappend(normalized, parsed, resolver):
    """Reverse mode over generated code that undoes list appends (a gradient's list pops) would have to
    put each popped item back: not done, so refused (forward mode over it, as in s2sad.hessian, works)."""
    for stmt in gast.walk(normalized.node):
        if isinstance(stmt, (gast.Assign, gast.Expr)) and isinstance(stmt.value, gast.Call) \
                and resolver.site(stmt.value).prim is runtime.unappend:
            line = normalized.origins.get(stmt, normalized.node.lineno)
            raise Location(parsed.filename, line, parsed.line_text(line)).error(
                "reverse mode over the adjoint of a list append (a Jacobian of a gradient of a function that builds a "
                "list by append or a comprehension)", construct="append",
                hint="use forward mode over the gradient: s2sad.hessian, or s2sad.jacobian(..., mode='forward')")


def _split_site(site):
    """A user function's call, or a rule with residuals': its result comes from a split forward half."""
    return site.kind in ("function", "method") or (site.kind == "rule" and site.rule.fwd is not None)


def reverse(normalized, parsed, resolver, wrt, namer_factory, with_value=False, callees=None, split=False, shapes=None):
    """The gast FunctionDef of the VJP and the helper objects its names stand for.

    Built twice: once recording every candidate, to learn which values the adjoint
    sweep reads, and once recording only those. When it reads them all (straight-line
    code has none), the second build would be the first again: the first is kept.
    """
    _refuse_unappend(normalized, parsed, resolver)
    params = [a.id for a in normalized.node.args.args]
    cands = candidates(normalized.node, params) - recomputable(normalized, resolver)
    probe = Reverse(normalized, parsed, resolver, wrt, namer_factory(), saved=cands, with_value=with_value,
                    callees=callees, split=split, shapes=shapes)
    node = probe.function()
    reads = _with_sharers(_adjoint_reads(probe.adjoint_sweep, probe), normalized.sharers)
    builder = probe
    keep = _bundled_temps(probe, cands & reads)
    if keep or not cands <= reads:
        builder = Reverse(normalized, parsed, resolver, wrt, namer_factory(), saved=cands & reads,
                          with_value=with_value, callees=callees, split=split, shapes=shapes)
        builder.kept_temps = keep
        node = builder.function()
    kinds = (runtime.scatter, runtime.without_item, runtime.item_bar)
    names = {v: k for k, v in builder.helpers.by_name.items() if v in kinds}
    if runtime.scatter in names or runtime.without_item in names:
        for fn in node if isinstance(node, tuple) else (node,):
            _in_place_adjoints(fn, names, builder.helpers)
    made = set(builder.bars.values()) | set(builder.part_names)  # what the optimizer may treat as adjoints
    return node, builder.helpers.by_name, made


def _with_sharers(reads, sharers):
    """reads and the written names whose memory a read name may share (`b = a` then `a[i] = v`): the
    adjoint sweep reads b's value through a's memory, so a's writes are restored too."""
    reads, grown = set(reads), True
    while grown:
        more = {ident for ident, others in sharers.items() if others & reads} - reads
        reads |= more
        grown = bool(more)
    return reads


def _bundled_temps(probe, saved):
    """The temporaries the adjoint sweep recomputed in a loop that keeps values of its iterations anyway
    (Reverse.kept_locals): one more item each in the tuple kept per iteration, instead of recomputing
    them and the temporaries they read."""
    keep = set()
    for names in probe.loop_locals.values():
        if any(n in saved for n, _ in names):
            keep.update(n for n, _ in names if n in probe.recomputed)
    return keep


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
    for node in gast.walk(fn):
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
    for node in gast.walk(fn):
        if isinstance(node, gast.BinOp):
            allowed |= {id(node.left), id(node.right)}
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id in readers and node.args:
            allowed.add(id(node.args[0]))
        elif isinstance(node, gast.Return):
            allowed |= {id(n) for n in gast.walk(node.value) if isinstance(n, gast.Name)}
    for node in gast.walk(fn):
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


def _adjoint_reads(sweep, builder):
    """Names the adjoint sweep reads, restores aside."""
    reads = set()

    def visit(stmts):
        for stmt in stmts:
            if stmt in builder.restores:  # a restored item's index is read, though: `x[j] = pop(_tape)`
                target = stmt.targets[0]
                if isinstance(target, gast.Subscript):
                    reads.update(b.names_in(target.slice, gast.Load))
                continue
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                reads.update(b.names_in(stmt.iter if isinstance(stmt, gast.For) else stmt.test, gast.Load))
                visit(stmt.body)
                visit(stmt.orelse)
            else:
                reads.update(b.names_in(stmt, gast.Load))
    visit(sweep)
    visit = None  # a recursive closure is a cycle: broken here, it is freed at once (no collection)
    return reads


class Split(NamedTuple):
    """How reverse mode calls a function it splits in two: `y, record = value` in the primal sweep and
    `backward(record, y_bar)` in the adjoint sweep for the cotangents of `atoms` (one bare value
    when `bare` and one atom). A checkpointed call (s2sad.checkpoint) runs the plain function
    as `value` and keeps no record: `recompute` makes it again in the adjoint sweep."""

    value: object
    backward: object
    atoms: list
    record: str
    bare: bool
    recompute: object = None


def _written_into(stmts):
    """The names whose items the adjoint sweep writes (restores `y[i] = old`): the backward half copies
    them from its record first, so that it owns what it changes and can itself be differentiated
    (unless the record holds views of them, see _viewed_by)."""
    return {t.value.id for stmt in gast.walk(b.module(stmts)) if isinstance(stmt, gast.Assign)
            for t in stmt.targets if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name)}


def _viewed_by(name, primal, others, makes_new):
    """Whether one of the names `others` (values the adjoint sweep reads as the primal sweep kept them)
    may hold a view of name's array (`t = A[..., k:]`, `At = A.T`, through any chain): then the backward
    half restores name in place, since such a view relies on the restores showing through it. A value
    built by an operator is a new array."""
    viewers, grew = {name}, True
    assigns = [s for s in gast.walk(b.module(primal))
               if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)]
    while grew:
        grew = False
        for stmt in assigns:
            target = stmt.targets[0].id
            if target in viewers or isinstance(stmt.value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant)):
                continue
            if isinstance(stmt.value, gast.Call) and makes_new(stmt.value):
                continue
            if viewers & set(b.names_in(stmt.value, gast.Load)):
                viewers.add(target)
                grew = True
    return bool(viewers & others)


def _stored(primal, tape):
    """The names whose values the primal sweep pushes on its tape, alone or in a tuple pushed whole."""
    pushed = set()
    for node in gast.walk(b.module(primal)):
        if isinstance(node, gast.Call) and node.args and b.is_name(node.args[0], tape):
            pushed |= set(b.names_in(b.module([b.expr_stmt(a) for a in node.args[1:]]), gast.Load))
    tuples = {s.targets[0].id: s.value for s in gast.walk(b.module(primal))
              if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Tuple)}
    for ident in list(pushed):
        if ident in tuples:
            pushed |= set(b.names_in(b.module([b.expr_stmt(tuples[ident])]), gast.Load))
    return pushed


def _read_from_record(adjoint, kept):
    """The record's names whose first mention in the adjoint sweep (in reading order) reads them."""
    first = {}

    def mention(names, how):
        for ident in names:
            first.setdefault(ident, how)

    def visit(stmts):
        for stmt in stmts:
            if isinstance(stmt, gast.Assign):
                mention(b.names_in(stmt.value, gast.Load), "load")
                for target in stmt.targets:
                    mention(b.names_in(target, gast.Load), "load")  # y[i] = v reads y (and i)
                    mention(b.names_in(target, gast.Store), "store")
            elif isinstance(stmt, (gast.If, gast.While)):
                mention(b.names_in(stmt.test, gast.Load), "load")
                visit(stmt.body)
                visit(stmt.orelse)
            elif isinstance(stmt, gast.For):
                mention(b.names_in(stmt.iter, gast.Load), "load")
                mention(b.names_in(stmt.target, gast.Store), "store")
                visit(stmt.body)
                visit(stmt.orelse)
            else:
                mention(b.names_in(stmt, gast.Load), "load")

    visit(adjoint)
    return {n for n in kept if first.get(n) == "load"}


def _has_zero_factor(term):
    """Whether a cotangent term holds a constant zero (the partial of `0.0 * s`): the optimizer folds
    such a product to a bare 0.0, which must be spread to an array's shape before an adjoint that
    reads its cotangent's shape (cumsum, matmul, kron, solve, ...) takes it."""
    def zero(n):
        return isinstance(n, gast.Constant) and type(n.value) in (int, float) and n.value == 0

    for n in gast.walk(term):
        if isinstance(n, gast.BinOp) and isinstance(n.op, gast.Mult) and (zero(n.left) or zero(n.right)):
            return True
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id.startswith("times_partial") \
                and any(zero(a) for a in n.args):
            return True
    return False


def _copy_of(name):
    """`name.copy() if name is not None else None`: a value made only in a branch or loop the primal
    did not take is None in the record (and the adjoint sweep, taking the same way, never reads it)."""
    copied = b.call(b.attribute(b.name(name), "copy"))
    is_set = gast.Compare(left=b.name(name), ops=[gast.IsNot()], comparators=[b.const(None)])
    return gast.IfExp(test=is_set, body=copied, orelse=b.const(None))
