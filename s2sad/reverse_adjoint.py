"""Reverse mode's adjoint sweep: the statements in reverse, each adjoint `x_bar` a plain assignment
first and `x_bar = x_bar + ...` after, restores where the records (records.py) say. A mixin of
`reverse.Reverse`, whose state it shares.

Example, the adjoint of `z = x * y` (z's adjoint `z_bar`)::

    x_bar = z_bar * y
    y_bar = z_bar * x
"""

import copy

import gast

from . import build as b
from . import reverse_code as rc
from . import runtime, stacks
from .adjoint_reads import Spreads
from .overwrites import live_in
from .partials import cotangent_terms, index_expr, merge_twins, require_rule


class AdjointSweep(Spreads):
    """The adjoint-sweep methods of the reverse builder (reverse.Reverse); the spreading of a sum's
    cotangent is `adjoint_reads.Spreads`, shared with the analysis that predicts the sweep's reads."""

    def adjoint_group(self, group, ctx):
        items = []
        kept = self.line_temps(group, ctx)
        temps = [s for s in group if rc.temp_target(s, self.temps) and s.targets[0].id not in self.kept_temps
                 and s.targets[0].id not in kept]
        self.group = group
        for stmt in reversed(group):
            items.extend(self.adjoint(stmt, ctx, group))
        if ctx.loops and temps:
            items = rc.with_recompute(items, temps, self.restores, self.recomputed)
        return self.pop_line(kept) + items if kept else items

    def adjoint(self, stmt, ctx, group):
        """The adjoint sweep of the shared statement walk (walk.py): a stack's push or pop (stacks.py),
        else the adjoint statements of the statement's kind."""
        pushed_or_popped = stacks.adjoint(self, stmt, ctx)
        if pushed_or_popped is not None:
            return pushed_or_popped
        return self.visit("adjoint", stmt, ctx, group)

    def adjoint_assign(self, stmt, ctx, group):
        if isinstance(stmt.targets[0], gast.Subscript):
            return self.adjoint_store(stmt, ctx)
        return self.adjoint_name(stmt, ctx, group)

    def adjoint_for(self, stmt, ctx, group):
        counted = rc.breaks(stmt)
        iterable = copy.deepcopy(stmt.iter)
        if counted:
            trips = b.name(self.trips_name(stmt))
            iterable = b.subscript(iterable, gast.Slice(lower=None, upper=trips, step=None))
        replay = b.call(self.helpers.builtin("reversed"), [iterable])
        items = self.adjoint_loop(stmt, ctx, replay, stmt.target)
        if counted and ctx.loops:
            items.append(self.restore(stmt, b.name(self.trips_name(stmt), store=True), ctx))
        if self.keeps_target(stmt):  # the replay counted it down
            items.append(self.restore(stmt, b.name(stmt.target.id, store=True), ctx))
        return items

    def adjoint_while(self, stmt, ctx, group):
        replay = b.call(self.helpers.builtin("range"), [b.name(self.trips_name(stmt))])
        target = b.name(self.namer.fresh("_"), store=True)
        items = self.adjoint_loop(stmt, ctx, replay, target)
        if ctx.loops:
            items.append(self.restore(stmt, b.name(self.trips_name(stmt), store=True), ctx))
        return items

    def adjoint_other(self, stmt, ctx, group):
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

    def adjoint_name(self, stmt, ctx, group):
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
        early = recorded and ident in rc.group_inputs(group, stmt, self.temps)
        items = []
        ans = b.name(ident)
        if early:
            site = self.resolver.site(stmt.value)
            if ident in self.active_names and rc.uses_ans(site):
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
        self.maybe_zero.update(a.id for a, t in terms if rc.has_zero_factor(t))
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

    def adjoint_if(self, stmt, ctx, group=()):
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
        self.maybe_zero |= rc.left_zero_by_a_trip(stmt, entry)
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

