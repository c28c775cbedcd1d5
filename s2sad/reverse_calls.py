"""Reverse mode's calls of the user's functions and of rules with residuals: split in two, a forward
half in the primal sweep (`y, g_record = g_fwd(...)`, the record on the tape inside loops) and a
backward half in the adjoint sweep (`x_bar = g_bwd(g_record, y_bar)`). A mixin of `reverse.Reverse`.

Example::

    y = g(x)          ->    y, g_record = g_fwd(x=x)
                            ...
                            x_bar = g_bwd(g_record, y_bar)
"""

import copy
from typing import NamedTuple

import gast

from . import build as b
from .partials import refuse_active_object, require_rule


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


class Calls:
    """The call methods of the reverse builder (reverse.Reverse): its state is the builder's."""

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
