"""Stacks: local lists used only as `L = []`, `push(L, v)` and `v = pop(L)`, in both modes.

Reverse-mode code keeps overwritten values on such a stack (`_tape`), so differentiating
generated code again (a Hessian is forward over reverse) means differentiating the stack.
A stack's derivative is a stack of derivatives kept in step with it:

* forward mode: `L_dot = []` beside `L = []`; every push pushes the value's tangent (zero
  when the value carries none) and every pop pops one, so the two stay aligned;
* reverse mode: the adjoint of `v = pop(L)` pushes `v_bar` onto `L_bar` and the adjoint of
  `push(L, v)` pops it back into `v_bar`: the adjoint sweep runs in reverse order, so
  the stack of adjoints is last in, first out as well.

A list used any other way (indexed, passed on, iterated) is not a stack here and is left
to the container rules. After `stacks(fn)`, every name it returns is used only in the
three forms above.
"""

import gast

from . import build as b
from . import runtime
from .names import names


def _call_of(stmt, resolver, prim):
    """The argument atoms when stmt's value is a call of prim (resolved as the function resolves it)."""
    value = stmt.value if isinstance(stmt, (gast.Expr, gast.Assign)) else None
    if not isinstance(value, gast.Call):
        return None
    site = resolver.site(value)
    return site.args if site.prim is prim and not site.keywords else None


def _append(stmt, resolver):
    """(L, value atom) when stmt is `push(L, value)`."""
    args = _call_of(stmt, resolver, runtime.push) if isinstance(stmt, gast.Expr) else None
    if args and len(args) == 2 and isinstance(args[0], gast.Name):
        return args[0].id, args[1]
    return None


def _pop(stmt, resolver):
    """(target, L) when stmt is `target = pop(L)` with a plain name as target, (None, L) for a bare
    `pop(L)` (the adjoint of pushing a value without a cotangent discards its slot): either keeps
    the stack of derivatives in step, so both count."""
    if isinstance(stmt, gast.Expr):
        target = None
    elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        target = stmt.targets[0].id
    else:
        return None
    args = _call_of(stmt, resolver, runtime.pop)
    if args and len(args) == 1 and isinstance(args[0], gast.Name):
        return target, args[0].id
    return None


def _new(stmt):
    """L when stmt is `L = []`."""
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
            and isinstance(stmt.value, gast.List) and not stmt.value.elts:
        return stmt.targets[0].id
    return None


def _statements(stmts):
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            yield from _statements(stmt.body + stmt.orelse)


def stacks(fn, resolver):
    """Names in fn used only as stacks (created empty, then only pushed and popped); computed once per fn."""
    return set(resolver.memoized("stacks", fn, lambda: _stacks(fn, resolver)))


def _stacks(fn, resolver):
    made, seen = set(), {}
    for stmt in _statements(fn.body):
        ident = _new(stmt) or (_append(stmt, resolver) or (None,))[0] or (_pop(stmt, resolver) or (None, None))[1]
        if ident is not None:
            seen[ident] = seen.get(ident, 0) + 1
        if _new(stmt):
            made.add(_new(stmt))
    if not made:
        return set()  # no list made empty: no stack, whatever the names' uses
    uses = {}
    for node in names(fn):  # every Name node, as a walk of every node finds them
        uses[node.id] = uses.get(node.id, 0) + 1
    params = {a.id for a in fn.args.args}
    return {n for n in made if n not in params and seen.get(n) == uses.get(n)}


def edges(fn, resolver):
    """(to, from) pairs along which derivatives flow through fn's lists: push into one, pop out of it.

    Every list pushed to or popped from counts, not only the stacks `stacks` finds: a callee's
    split derivative returns its tape inside its record (`return v, (_tape, r)`) and its
    backward half pops from the tape it unpacks from the record. Differentiated again (a
    Hessian), the tape's tangent must travel with the record, else the popped values'
    tangents are lost and the second derivative comes out wrong."""
    out = []
    for stmt in _statements(fn.body):
        pushed, popped = _append(stmt, resolver), _pop(stmt, resolver)
        if pushed and isinstance(pushed[1], gast.Name):
            out.append((pushed[0], pushed[1].id))
        if popped and popped[0] is not None:
            out.append((popped[0], popped[1]))
    return out


# -- forward mode --------------------------------------------------------------------------


def forward(builder, stmt):
    """The JVP statements of a stack operation on an active stack, or None when stmt is not one."""
    resolver = builder.resolver
    active = builder.activity.active
    if _new(stmt) in active:
        return [stmt, b.assign(builder.dot(_new(stmt)), b.lst([]))]
    pushed = _append(stmt, resolver)
    if pushed and pushed[0] in active:
        dot = b.name(builder.dot(pushed[0]))
        return [stmt, b.expr_stmt(builder.helpers.call("push", dot, builder.tangent_or_zero(pushed[1])))]
    popped = _pop(stmt, resolver)
    if popped and popped[1] in active:
        pop = builder.helpers.call("pop", b.name(builder.dot(popped[1])))
        if popped[0] is not None and popped[0] in active:
            return [stmt, b.assign(builder.dot(popped[0]), pop)]
        return [stmt, b.expr_stmt(pop)]
    return None


# -- reverse mode --------------------------------------------------------------------------


def active_stacks(builder):
    """Active stacks, and active lists popped here but made elsewhere (a tape unpacked from a record).

    The adjoint of each is a stack of adjoints started empty; for a received tape it is handed
    back with the record's cotangent, where the adjoint of the half that pushed pops from it."""
    fn, resolver = builder.norm.node, builder.resolver
    received = {p[1] for p in map(lambda s: _pop(s, resolver), _statements(fn.body)) if p}
    received -= {_new(s) for s in _statements(fn.body)}
    return (stacks(fn, resolver) | received) & builder.activity.active


def prologue(builder):
    """`L_bar = []` for each active stack; they count as defined from the start."""
    names = sorted(active_stacks(builder))
    builder.defined |= set(names)
    return [b.assign(builder.bar(n), b.lst([])) for n in names]


def adjoint(builder, stmt, ctx):
    """The adjoint statements of a stack operation on an active stack, or None when stmt is not one
    (`L = []` for a list used otherwise too is an assignment like any other: its old value comes back)."""
    resolver = builder.resolver
    active = builder.activity.active
    made = _new(stmt)
    if made is not None and made in active_stacks(builder):  # asked only of `L = []`: active_stacks walks the function
        return []
    pushed = _append(stmt, resolver)
    if pushed and pushed[0] in active:
        pop = builder.helpers.call("pop", b.name(builder.bar(pushed[0])))
        if builder.is_active(pushed[1]):
            return _unless_zero(builder, pushed[0], builder.accumulate(pushed[1].id, pop))
        return _unless_zero(builder, pushed[0], b.expr_stmt(pop))
    popped = _pop(stmt, resolver)
    if popped and popped[1] in active:
        target, stack = popped
        value = b.name(builder.bar(target)) if target in active and target in builder.defined else b.const(0.0)
        builder.defined.discard(target)
        items = [b.expr_stmt(builder.helpers.call("push", b.name(builder.bar(stack)), value))]
        if target is not None and builder.should_record(stmt, target):
            items.append(builder.restore(stmt, b.name(target, store=True), ctx))
        return items
    return None


def _unless_zero(builder, stack, statement):
    """[statement], the pop of `L_bar`; for a tape received in a record (not made here), under
    `if isinstance(L_bar, list):`. Its cotangent comes from the record's cotangent, which is zero
    where no adjoint pushed onto it (the values popped off it in the other half carried no
    derivative): then the values pushed here get no cotangent from it, and nothing is popped."""
    if stack in stacks(builder.norm.node, builder.resolver):
        return [statement]
    test = b.call(b.name("isinstance"), [b.name(builder.bar(stack)), b.name("list")])
    return [b.if_(test, [statement])]
