"""Which values of a function a later assignment may overwrite, and the facts about its loops that the
reverse transform and the to-be-recorded analysis (records.py) read: plain functions over the
normalized function, returning sets and dicts.

* `candidates`: names assigned twice, in a loop, or reassigned parameters;
* `recomputable`: the temporaries the adjoint sweep may compute again instead of recording;
* `live_in`: names a block may read before it assigns them;
* `first_definitions`, `loop_locals`, `targets_read_outside`: the assignments that have nothing to
  record before them, the names each loop iteration has a value of its own of, and the loop
  variables read outside their loops.

Example: in `for i in range(n): v = 4 * v * (1 - v)`, `candidates` holds `v` and `i`.
"""

import gast

from . import build as b
from . import runtime
from .analyze import assignments
from .names import every, names, operations


def must_assign(stmts):
    """Names every path through stmts assigns (loops may run zero times)."""
    names = set()
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            names.add(stmt.targets[0].id)
        elif isinstance(stmt, gast.If):
            names |= must_assign(stmt.body) & must_assign(stmt.orelse)
    return names


def live_in(stmts):
    """Names a block may read before it assigns them."""
    live = set()
    for stmt in reversed(stmts):
        if isinstance(stmt, gast.If):
            live -= must_assign(stmt.body) & must_assign(stmt.orelse)
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


def first_definitions(fn, params):
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


def loop_locals(fn, params):
    """For each loop without a break (whose last trip ends early): the names its body assigns once, at
    its top level, read after that assignment only and nowhere outside the body. Each iteration has its
    own value of them."""
    counts = []  # name_counts(fn), worked out at the first such loop (most functions have none)
    found = {}

    def walk(stmts):
        for stmt in stmts:
            if isinstance(stmt, (gast.For, gast.While)) \
                    and not any(isinstance(n, gast.Break) for n in every(b.module(stmt.body))):
                if not counts:
                    counts.append(name_counts(fn))
                stores, loads = counts[0]
                inner = name_counts(b.module(stmt.body))[1]
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


def targets_read_outside(fn):
    """Names of for-loop variables that something reads outside every for loop over that name."""
    targets = {s.target.id for s in operations(fn) if isinstance(s, gast.For) and isinstance(s.target, gast.Name)}
    found = set()
    if not targets:
        return found  # no for loop over a name: nothing to find

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


def name_counts(tree):
    """(stores, other uses) of each name in tree."""
    stores, loads = {}, {}
    for node in names(tree):
        table = stores if isinstance(node.ctx, gast.Store) else loads
        table[node.id] = table.get(node.id, 0) + 1
    return stores, loads


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
             if isinstance(value, gast.Call) and (split_site(resolver.site(value))
                                                  or resolver.site(value).prim in (runtime.unappend, runtime.pop))}
    return set(normalized.temps) - calls


def split_site(site):
    """A user function's call, or a rule with residuals': its result comes from a split forward half."""
    return site.kind in ("function", "method") or (site.kind == "rule" and site.rule.fwd is not None)
