"""Drop references as soon as they are dead, in the backward halves of a checkpointed loop's schedule.

A checkpointed loop's schedule (loops.py) is a recursive function; its backward half runs the
backward halves of deeper levels while its own frame is still open. Whatever that frame still
names stays alive: its record (the last step's intermediates), the state the last step started
from, an adjoint about to be replaced. Over the schedule's levels that was several states per
level, more than the snapshots themselves. This pass, run after optimization on those functions
only, makes the frame let go:

* a record made only to be passed on (`rec = g_fwd(...)[1]` then `g_bwd(rec, y_bar)`) is passed
  inline, so the callee holds the only reference and its own pass can drop it (only records: an
  inlined expression keeps the names it reads alive during the call);
* after the last statement of a block that reads a name, `name = None` when the name is certainly
  not read again before it is bound anew (at the function's top level: not read again at all; in
  a loop body: bound again by a later statement of the body, or bound first in the body and read
  nowhere outside the loop).

* a record or cotangent made under `if t:` and handed to a backward half under `if t:` again goes
  through a one-item stack (`_hand_off`), so the frame does not hold it while that half runs.

`slim_record(fwd, bwd)`, on the two halves of one split derivative, keeps out of the record what
the backward half never reads (a value it binds anew before reading it) and keeps of a value it
reads only for its shape (`unbroadcast(g, x)`'s x) a `shaped(x)` stand-in without the data: a
recomputed step's record then holds what its adjoint needs, not every intermediate.

Plain assignments of None and the tape's own push and pop, so the halves stay code that the
transforms read back (Hessians, reverse over reverse).
"""

import gast

from .. import build as b
from .. import runtime


def release_references(fn, helpers=None):
    """fn (a gast FunctionDef), its dead references dropped early (helpers: the generated code's
    names of runtime objects, given when values may be handed off through a stack)."""
    while _inline_block(fn, fn.body):
        pass
    if helpers is not None:
        _hand_off(fn, helpers)
    local = {a.id for a in fn.args.args} | set(b.names_in(b.module(fn.body), gast.Store))
    local -= _stacks(fn, helpers)
    _release_block(fn, fn.body, None, local)
    return fn


def _stacks(fn, helpers):
    """Names bound to `[]` or pushed and popped: stacks (a tape, a hand-off), left alone, since the
    transforms read a name as a stack only when it is used as nothing else (stacks.py)."""
    found = set()
    for n in gast.walk(fn):
        if isinstance(n, gast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], gast.Name) \
                and isinstance(n.value, gast.List) and not n.value.elts:
            found.add(n.targets[0].id)
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.args and isinstance(n.args[0], gast.Name):
            known = (helpers or {}).get(n.func.id)
            if known is runtime.push or known is runtime.pop or (helpers is None and n.func.id in ("push", "pop")):
                found.add(n.args[0].id)
    return found


def _loads(node, name):
    return sum(1 for n in gast.walk(node) if isinstance(n, gast.Name) and n.id == name
               and isinstance(n.ctx, gast.Load))


def _stores(node, name):
    return sum(1 for n in gast.walk(node) if isinstance(n, gast.Name) and n.id == name
               and isinstance(n.ctx, (gast.Store, gast.Del)))


def _inline_block(fn, block):
    """`r = value; ... g(r, ...)` with r read once, right below: `g(value, ...)`. Whether any was."""
    k, changed = 0, False
    while k < len(block):
        stmt = block[k]
        for field in ("body", "orelse"):
            changed |= _inline_block(fn, getattr(stmt, field, None) or [])
        nxt = block[k + 1] if k + 1 < len(block) else None
        if _inlinable(fn, stmt, nxt):
            name = stmt.targets[0].id
            call = nxt.value
            call.args = [stmt.value if isinstance(a, gast.Name) and a.id == name else a for a in call.args]
            del block[k]
            changed = True
            continue
        k += 1
    return changed


def _inlinable(fn, stmt, nxt):
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
        return False
    if not (isinstance(nxt, gast.Assign) and isinstance(nxt.value, gast.Call)):
        return False
    name = stmt.targets[0].id
    direct = [a for a in nxt.value.args if isinstance(a, gast.Name) and a.id == name]
    return len(direct) == 1 and _loads(fn, name) == 1 and _stores(fn, name) == 1 and _loads(nxt, name) == 1 \
        and isinstance(stmt.value, gast.Subscript) and isinstance(stmt.value.value, gast.Call)


def _bound_by(stmt, name):
    """Whether stmt certainly binds name anew without reading it first (a plain assignment)."""
    if not isinstance(stmt, gast.Assign) or _loads(stmt.value, name):
        return False
    return any(name in b.names_in(t, gast.Store) for t in stmt.targets if isinstance(t, (gast.Name, gast.Tuple)))


def _next_event(block, start, name):
    """'bound' when a plain assignment at the block's level binds name before anything reads it,
    'read' when something reads (or may bind) it first, None when nothing after start mentions it."""
    for stmt in block[start:]:
        if _bound_by(stmt, name):
            return "bound"
        if _loads(stmt, name) or _stores(stmt, name):
            return "read"
    return None


def _release_block(fn, block, loop, local, looped=False, rest=()):
    """Insert `name = None` in block (the body of `loop`, or the function's when loop is None;
    looped: whether a loop encloses it; rest: (enclosing block, position of the statement holding
    this one), innermost first)."""
    k = 0
    while k < len(block):
        stmt = block[k]
        inner_loop = isinstance(stmt, (gast.For, gast.While))
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None) or []
            _release_block(fn, inner, stmt if inner_loop else None, local, looped or inner_loop,
                           ((block, k),) + tuple(rest))
        if isinstance(stmt, gast.Return):
            break
        if k + 1 < len(block) and isinstance(block[k + 1], gast.Return):
            break  # the frame ends next: nothing to gain
        dead = [name for name in sorted(set(b.names_in(stmt, gast.Load)) & local)
                if _dead_after(fn, block, k, name, loop) or _dead_in_nested(fn, block, k, name, looped, rest)]
        for offset, name in enumerate(dead, 1):
            block.insert(k + offset, b.assign(name, b.const(None)))
        k += 1 + len(dead)


def _dead_after(fn, block, k, name, loop):
    event = _next_event(block, k + 1, name)
    if event == "bound":
        return True
    if event == "read" or _bound_by(block[k], name):
        return False
    if loop is None:
        return block is fn.body
    # the end of a loop body: dead if the body binds it first and nothing outside the loop reads it
    if _next_event(block, 0, name) != "bound":
        return False
    return _loads(fn, name) == sum(_loads(s, name) for s in block)


def _dead_in_nested(fn, block, k, name, looped, rest):
    """In a block under an `if` or a loop: name is dead after block[k] when nothing after it reads it
    before binding it anew. Outside loops, what runs after is what follows in this block and in
    each enclosing one (`rest`); in a loop, the block may run again: every read of name in the
    function must then be in block[:k + 1], and the block must bind it before reading it."""
    if block is fn.body or _next_event(block, k + 1, name) is not None:
        return False
    if looped:
        return _loads(fn, name) == sum(_loads(s, name) for s in block[:k + 1]) \
            and _next_event(block, 0, name) == "bound"
    for outer, position in rest:
        event = _next_event(outer, position + 1, name)
        if event is not None:
            return event == "bound"
    return True


# -- handing a value to a call ------------------------------------------------------------------

def _helper(helpers, obj, preferred, taken):
    for ident, known in helpers.items():
        if known is obj:
            return ident
    ident = preferred
    while ident in taken or ident in helpers:
        ident += "_"
    helpers[ident] = obj
    return ident


def _blocks(stmts, loops=0, tests=()):
    """Every block with (its statements, how many loops enclose it, the tests of the ifs around it)."""
    yield stmts, loops, tests
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While)):
            yield from _blocks(stmt.body, loops + 1, tests)
            yield from _blocks(stmt.orelse, loops + 1, tests)
        elif isinstance(stmt, gast.If):
            test = stmt.test.id if isinstance(stmt.test, gast.Name) else None
            yield from _blocks(stmt.body, loops, tests + ((test, True),))
            yield from _blocks(stmt.orelse, loops, tests + ((test, False),))


def _hand_off(fn, helpers):
    """`v = ...` then `y = g_bwd(..., v, ...)`, v read there only: v goes on a one-item stack where it
    is made and comes off it as the argument, so the frame holds no reference while the backward
    half runs (CPython moves a call's argument values into the callee's frame). Outside loops, v is
    made under `if t:` and handed on under `if t:` again (the same block or, the adjoint sweep
    mirroring the primal's branches, another under the same tests); in a loop, in the same block
    before the call, in one or more assignments (`v = v + ...`), pushed after the last: a
    schedule's level then does not hold the cotangent it hands down while the levels below run.
    Not at the function's top level: reverse over reverse misreads such a stack."""
    taken = set(b.names_in(b.module([fn]))) | {a.id for a in fn.args.args}
    params = {a.id for a in fn.args.args}
    blocks = list(_blocks(fn.body))
    made = {}  # name -> [(block, statement, loops, tests)] of its assignments
    for block, loops, tests in blocks:
        for stmt in block:
            if isinstance(stmt, gast.Assign):
                for name in b.names_in(stmt.targets[0], gast.Store):
                    made.setdefault(name, []).append((block, stmt, loops, tests))
    plans = []
    for block, loops, tests in blocks:
        if not loops and (not tests or any(test is None for test, _ in tests)):
            continue
        for stmt in block:
            if not (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call)
                    and isinstance(stmt.value.func, gast.Name) and stmt.value.func.id.endswith("_bwd")):
                continue  # only what a backward half is handed: a record, a cotangent
            for position, arg in enumerate(stmt.value.args):
                name = arg.id if isinstance(arg, gast.Name) else None
                if name is None or name in params or name not in made:
                    continue
                source = _handed_from(fn, name, made[name], block, loops, tests, stmt)
                if source is not None:
                    plans.append((name, *source, stmt, position))
    _hand_off_plans(fn, helpers, taken, plans)


def _handed_from(fn, name, sites, block, loops, tests, call):
    """(block, statement) after which name goes on the stack for the call, or None."""
    if loops:
        if any(home is not block or block.index(source) > block.index(call) for home, source, _, _ in sites):
            return None
        if _stores(fn, name) != len(sites) or _loads(fn, name) != 1 + sum(_loads(s, name) for _, s, _, _ in sites):
            return None
        return block, max((source for _, source, _, _ in sites), key=block.index)
    if len(sites) != 1 or _loads(fn, name) != 1 or _stores(fn, name) != 1:
        return None
    home, source, home_loops, home_tests = sites[0]
    if home_loops == loops and home_tests == tests and (home is not block or home.index(source) < block.index(call)):
        return home, source
    return None


def _hand_off_plans(fn, helpers, taken, plans):
    if not plans:
        return
    push = _helper(helpers, runtime.push, "push", taken)
    pop = _helper(helpers, runtime.pop, "pop", taken)
    for name, home, source, stmt, position in plans:
        box = name + "_handed"
        while box in taken:
            box += "_"
        taken.add(box)
        where = home.index(source) + 1
        home[where:where] = [b.expr_stmt(b.call(b.name(push), [b.name(box), b.name(name)])),
                             b.assign(name, b.const(None))]
        fn.body.insert(0, b.assign(box, b.lst([])))
        stmt.value.args[position] = b.call(b.name(pop), [b.name(box)])


# -- the record of a split derivative ------------------------------------------------------------

def slim_record(fwd, bwd, helpers):
    """fwd's record (`return (out, (v1, v2, ...))`, unpacked by bwd's `v1, v2, ... = record`) without
    the values bwd binds anew before reading, and with `shaped(v)` for those it reads only as
    `unbroadcast(g, v)`'s v. Either half left as it is when they are not of that form."""
    entries, unpack, rest = _record_form(fwd, bwd)
    if entries is None:
        return
    shaped = None
    kept = []
    for entry, target in zip(entries, unpack.targets[0].elts):
        if not _read_first(rest, target.id):
            continue
        if isinstance(entry, gast.Name) and _shape_only(bwd, target.id, helpers):
            if shaped is None:
                shaped = _helper(helpers, runtime.shaped, "shaped", set(b.names_in(b.module([fwd, bwd]))))
            entry = b.call(b.name(shaped), [entry])
        kept.append((entry, target))
    if not kept:
        kept = [(b.const(None), b.name("_", store=True))]
    entries[:] = [entry for entry, _ in kept]
    unpack.targets[0].elts[:] = [target for _, target in kept]


def _record_form(fwd, bwd):
    """(the record tuple's entries, bwd's unpacking statement, the statements after it), or Nones."""
    returns = [n for n in gast.walk(fwd) if isinstance(n, gast.Return)]
    last = fwd.body[-1] if fwd.body else None
    if len(returns) != 1 or returns[0] is not last or not bwd.args.args:
        return None, None, None
    value = last.value
    if not (isinstance(value, gast.Tuple) and len(value.elts) == 2 and isinstance(value.elts[1], gast.Tuple)):
        return None, None, None
    record = bwd.args.args[0].id
    for k, stmt in enumerate(bwd.body):
        if _loads(stmt, record):
            target = stmt.targets[0] if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 else None
            ok = b.is_name(stmt.value, record) and isinstance(target, gast.Tuple) \
                and len(target.elts) == len(value.elts[1].elts) and all(isinstance(e, gast.Name) for e in target.elts) \
                and _loads(bwd, record) == 1
            return (value.elts[1].elts, stmt, bwd.body[k + 1:]) if ok else (None, None, None)
    return None, None, None


def _read_first(stmts, name):
    """Whether running stmts may read name before binding it (a loop's body or a branch may not run)."""
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            head = stmt.iter if isinstance(stmt, gast.For) else stmt.test
            if _loads(head, name) or _read_first(stmt.body, name) or _read_first(stmt.orelse, name):
                return True
            continue
        if _bound_by(stmt, name):
            return False
        if _loads(stmt, name) or _stores(stmt, name):
            return True
    return False


def _shape_only(fn, name, helpers):
    """Whether fn binds name once and reads it only as the second argument of unbroadcast."""
    if _stores(fn, name) != 1:
        return False
    uses = sum(1 for n in gast.walk(fn) if isinstance(n, gast.Call) and isinstance(n.func, gast.Name)
               and helpers.get(n.func.id) is runtime.unbroadcast and len(n.args) == 2 and not n.keywords
               and b.is_name(n.args[1], name) and not _loads(n.args[0], name))
    return uses == _loads(fn, name)
