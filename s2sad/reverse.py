"""Stage 4b: reverse mode. A primal sweep that records what it must, then an adjoint sweep.

After this pass `f_vjp(*params, out_bar=1.0)` returns the adjoints of the `wrt`
parameters. The adjoint sweep visits the statements in reverse; each adjoint `x_bar`
starts as a plain assignment and later contributions add to it.

What is recorded: only the value a statement overwrites, and only when the adjoint
sweep reads that value afterwards (the loop-carried `v` of `v = 4*v*(1-v)`, not its
temporaries, which the adjoint sweep recomputes from `v`). Outside loops a record is
a plain variable (`_v_old`); inside loops it goes on the list `_tape`. Loops replay
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

from . import build as b
from .analyze import activity
from .errors import Location
from .partials import Helpers, cotangent_terms, index_expr, require_rule


class _Ctx:
    """Where a block sits: inside how many loops."""

    def __init__(self, loops=0):
        self.loops = loops

    def inner(self):
        return _Ctx(self.loops + 1)


class Reverse:
    """Builds the VJP of one normalized function; `saved` limits which names are recorded."""

    def __init__(self, normalized, parsed, resolver, wrt, namer, saved=None, with_value=False):
        self.norm = normalized
        self.parsed = parsed
        self.resolver = resolver
        self.wrt = list(wrt)
        self.namer = namer
        self.helpers = Helpers(namer, normalized.helpers, resolver.lookup_name)
        self.activity = activity(normalized.node, resolver, wrt)
        self.saved = saved
        self.with_value = with_value
        self.bars = {}
        self.defined = set()
        self.restores = set()       # restore statements, not counted as adjoint reads
        self.slots = {}             # statement -> name of the variable holding its pre-value
        self.bookkeeping = set()    # statements that are never recorded (loop counters)
        self.uses_tape = False
        self.needs_init = set()     # counters recorded before their first assignment
        self.branches = {}          # if statement -> the variable keeping its branch
        self.params = [a.id for a in normalized.node.args.args]
        self.first_defs, self.late_defined = _first_definitions(normalized.node, self.params)

    # -- names ------------------------------------------------------------------
    def bar(self, ident):
        if ident not in self.bars:
            self.bars[ident] = self.namer.fresh(f"{ident}_bar")
        return self.bars[ident]

    def is_active(self, node):
        return isinstance(node, gast.Name) and node.id in self.activity.active

    def where(self, stmt):
        line = self.norm.origins.get(stmt, self.norm.node.lineno)
        return Location(self.parsed.filename, line, self.parsed.line_text(line))

    def tape(self):
        self.uses_tape = True
        return b.name("_tape")

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
        adjoint = self.adjoint_block(body, _Ctx())
        self.adjoint_sweep = adjoint
        grads = [b.name(self.bar(w)) if w in self.defined else b.const(0.0) for w in self.wrt]
        result = grads[0] if len(grads) == 1 else b.tup(grads)
        if self.with_value:
            result = b.tup([copy.deepcopy(out), result])
        prologue = [b.assign(n, b.const(None)) for n in sorted(self.late_defined & self.recorded_names())]
        prologue += [b.assign(n, b.const(0)) for n in sorted(self.needs_init)]
        if self.uses_tape:
            prologue.append(b.assign("_tape", b.lst([])))
        node = b.function(f"{fn.name}_vjp", self.params + [seed], prologue + primal + adjoint + [b.ret(result)])
        node.args.defaults = copy.deepcopy(fn.args.defaults) + [b.const(1.0)]
        return node

    def recorded_names(self):
        return set(self.saved or ())

    # -- blocks -----------------------------------------------------------------
    def primal_block(self, stmts, ctx):
        primal = []
        for stmt in stmts:
            primal.extend(self.primal(stmt, ctx))
        return primal

    def adjoint_block(self, stmts, ctx):
        adjoint = []
        for group in reversed(_groups(stmts, self.norm.origins)):
            adjoint.extend(self.adjoint_group(group, ctx))
        return adjoint

    # -- the primal sweep -------------------------------------------------------
    def should_record(self, stmt, ident):
        if stmt in self.bookkeeping or stmt in self.first_defs:
            return False
        return self.saved is None or ident in self.saved

    def record(self, stmt, value, ctx):
        """Keep value (what stmt is about to overwrite) for the adjoint sweep."""
        if ctx.loops:
            return [b.expr_stmt(b.call(b.attribute(self.tape(), "append"), [value]))]
        slot = self.namer.fresh(f"_{_word(value)}_old")
        self.slots[stmt] = slot
        return [b.assign(slot, value)]

    def restore(self, stmt, target, ctx):
        if ctx.loops:
            value = b.call(b.attribute(self.tape(), "pop"))
        else:
            value = b.name(self.slots[stmt])
        node = b.assign(target, value)
        self.restores.add(node)
        return node

    def primal(self, stmt, ctx):
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name) and self.should_record(stmt, target.id):
                return self.record(stmt, b.name(target.id), ctx) + [stmt]
            if isinstance(target, gast.Subscript) and self.should_record(stmt, target.value.id):
                old = self.helpers.call("snapshot", b.subscript(copy.deepcopy(target.value), copy.deepcopy(target.slice)))
                return self.record(stmt, old, ctx) + [stmt]
            return [stmt]
        if isinstance(stmt, gast.If):
            body, orelse = self.primal_block(stmt.body, ctx), self.primal_block(stmt.orelse, ctx)
            branch = self.branch_name(stmt)
            if branch is None:
                return [b.if_(stmt.test, body, orelse)]
            keep = [b.expr_stmt(b.call(b.attribute(self.tape(), "append"), [b.name(branch)]))] if ctx.loops else []
            return [b.assign(branch, copy.deepcopy(stmt.test)), b.if_(b.name(branch), body, orelse)] + keep
        if isinstance(stmt, gast.For):
            body = self.primal_block(stmt.body, ctx.inner())
            if not _breaks(stmt):
                return [b.for_(stmt.target, stmt.iter, body)]
            return self.counted(stmt, ctx, lambda count: b.for_(stmt.target, stmt.iter, [count] + body))
        if isinstance(stmt, gast.While):
            body = self.primal_block(stmt.body, ctx.inner())
            return self.counted(stmt, ctx, lambda count: b.while_(stmt.test, [count] + body))
        if isinstance(stmt, gast.Return):
            raise self.where(stmt).error("return inside a loop or branch is not supported yet", construct="return")
        return [stmt]

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
        temps = [s for s in group if _temp_target(s, self.norm.temps)]
        for stmt in reversed(group):
            items.extend(self.adjoint(stmt, ctx, group))
        if ctx.loops and temps:
            items = _with_recompute(items, temps, self.restores)
        return items

    def adjoint(self, stmt, ctx, group):
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
                replay, target = b.call("range", [b.name(self.trips_name(stmt))]), b.name("_", store=True)
            else:
                iterable = copy.deepcopy(stmt.iter)
                if counted:
                    iterable = b.subscript(iterable, gast.Slice(lower=None, upper=b.name(self.trips_name(stmt)), step=None))
                replay, target = b.call("reversed", [iterable]), stmt.target
            items = self.adjoint_loop(stmt, ctx, replay, target)
            if counted and ctx.loops:
                items.append(self.restore(stmt, b.name(self.trips_name(stmt), store=True), ctx))
            return items
        return []

    def adjoint_assign(self, stmt, ctx, group):
        ident = stmt.targets[0].id
        recorded = self.should_record(stmt, ident)
        early = recorded and ident in _group_inputs(group, stmt, self.norm.temps)
        items = []
        ans = b.name(ident)
        if early:
            site = self.resolver.site(stmt.value)
            if ident in self.activity.active and _uses_ans(site):
                held = self.namer.fresh(f"{ident}_new")
                items.append(b.assign(held, b.name(ident)))
                ans = b.name(held)
            items.append(self.restore(stmt, b.name(ident, store=True), ctx))
        if ident in self.activity.active and ident in self.defined:
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
            terms = [(a, b.subscript(copy.deepcopy(g), b.const(i))) for i, a in enumerate(site.args) if self.is_active(a)]
        elif site.kind == "inert":
            terms = []
        else:
            if any(self.is_active(a) for a in site.operands()):
                require_rule(site, where)
            terms = cotangent_terms(site, ans, g, self.is_active, self.helpers, where)
        own = [t for a, t in terms if a.id == ident]
        items = [self.accumulate(a.id, t) for a, t in terms if a.id != ident]
        self.defined.discard(ident)
        if own:
            total = own[0]
            for t in own[1:]:
                total = b.add(total, t)
            items.append(self.accumulate(ident, total))
        return items

    def accumulate(self, ident, term):
        bar = self.bar(ident)
        if ident in self.defined:
            term = b.add(b.name(bar), term)
        self.defined.add(ident)
        return b.assign(bar, term)

    def adjoint_store(self, stmt, ctx):
        target = stmt.targets[0]
        obj = target.value.id
        items = []
        if obj in self.activity.active and obj in self.defined:
            bar = b.name(self.bar(obj))
            if self.is_active(stmt.value):
                items.append(self.accumulate(stmt.value.id, b.subscript(copy.deepcopy(bar), copy.deepcopy(target.slice))))
            items.append(b.assign(self.bar(obj), self.helpers.call("without_item", bar, index_expr(target.slice))))
        if self.should_record(stmt, obj):
            slot = b.subscript(b.name(obj), copy.deepcopy(target.slice), store=True)
            items.append(self.restore(stmt, slot, ctx))
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
        replay = [b.assign(branch, b.call(b.attribute(self.tape(), "pop")))] if branch and ctx.loops else []
        if not body and not orelse:
            return replay
        test = b.name(branch) if branch else copy.deepcopy(stmt.test)
        return replay + [b.if_(test, body, orelse)]

    def adjoint_loop(self, stmt, ctx, replay, target):
        carried = live_in(stmt.body) & self.activity.active
        before = self.zeros(carried - self.defined)
        entry = set(self.defined)
        body = self.adjoint_block(stmt.body, ctx.inner())
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
        return items


# -- helpers over statement lists ------------------------------------------------


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
        if groups and line is not None and origins.get(groups[-1][-1]) == line \
                and not isinstance(stmt, (gast.For, gast.While)) and not isinstance(groups[-1][-1], (gast.For, gast.While)):
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


def _with_recompute(items, temps, restores):
    """Put the group's temporaries back before the first adjoint statement that reads one."""
    temp_names = {s.targets[0].id for s in temps}
    needed = set()
    for item in items:
        if item not in restores:
            needed |= set(b.names_in(item, gast.Load)) & temp_names
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
    return {n for n, c in counts.items() if c > 1} | in_loop


def reverse(normalized, parsed, resolver, wrt, namer_factory, with_value=False):
    """The gast FunctionDef of the VJP and the helper objects its names stand for.

    Built twice: once recording every candidate, to learn which values the adjoint
    sweep reads, and once recording only those.
    """
    params = [a.id for a in normalized.node.args.args]
    cands = candidates(normalized.node, params) - normalized.temps
    probe = Reverse(normalized, parsed, resolver, wrt, namer_factory(), saved=cands, with_value=with_value)
    probe.function()
    reads = _adjoint_reads(probe.adjoint_sweep, probe)
    builder = Reverse(normalized, parsed, resolver, wrt, namer_factory(), saved=cands & reads, with_value=with_value)
    node = builder.function()
    return node, builder.helpers.by_name


def _adjoint_reads(sweep, builder):
    """Names the adjoint sweep reads, restores aside."""
    reads = set()

    def visit(stmts):
        for stmt in stmts:
            if stmt in builder.restores:
                continue
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                reads.update(b.names_in(stmt.iter if isinstance(stmt, gast.For) else stmt.test, gast.Load))
                visit(stmt.body)
                visit(stmt.orelse)
            else:
                reads.update(b.names_in(stmt, gast.Load))
    visit(sweep)
    return reads
