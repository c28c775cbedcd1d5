"""Plain functions over the statement lists the reverse builder makes and reads (reverse.py,
reverse_adjoint.py, reverse_calls.py): the line markers, a user line's statement groups, the
recomputation of a line's temporaries in the adjoint sweep, and what a split derivative's backward
half must copy from its record. Nothing here holds state.

Example: `groups([t = x * y, z = t + 1], origins)` is one group when both came from the user's
line `z = x * y + 1`; its adjoint statements are built together under one `# d/dx of:` comment.
"""

import copy

import gast

from . import build as b
from .names import every as every_node  # gast.walk's nodes, in its order, at half its cost
from .names import operations
from .overwrites import live_in


def marked(parsed, line, items, label="d/dx of", before=()):
    """items under a comment naming the user's line (invisible with label None: a line map entry only)."""
    if not items or line is None:
        return items
    marker = b.origin(parsed, line, label)
    last = next((s for s in reversed(before) if b.is_marker(s)), None)
    if last is not None and last.value.value == marker.value.value:  # the same line goes on
        return items
    return [marker] + items


def split_return(body, parsed):
    if not body or not isinstance(body[-1], gast.Return):
        from .syntax import refuse
        refuse(parsed, parsed.node, "a function that does not end in return")
    return body[:-1], body[-1]


def groups(stmts, origins):
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


def breaks(loop):
    """Whether the loop's body ends in its exit test (`if _stopN: break`)."""
    last = loop.body[-1] if loop.body else None
    return isinstance(last, gast.If) and any(isinstance(s, gast.Break) for s in last.body)


def temp_target(stmt, temps):
    return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id in temps


def group_inputs(group, upto, temps):
    """Names a group reads before `upto`, through its temporaries, that are not temporaries."""
    names = set()
    for stmt in group:
        names |= {n for n in b.names_in(stmt.value if isinstance(stmt, gast.Assign) else stmt, gast.Load)}
        if stmt is upto:
            break
    return names - set(temps)


def uses_ans(site):
    from . import templates
    rule = site.rule
    if site.kind != "rule" or rule.vjp is None:
        return False
    _, exprs = templates.parts(rule.vjp, len(rule.wrt))
    return any(templates.mentions(e, "ans") for e in exprs)


def with_recompute(items, temps, restores, made):
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


def left_zero_by_a_trip(loop, entry):
    """The adjoints (of `entry`, those holding a value as the loop's replay starts) that a trip of the replay
    may leave a bare 0.0 for the next: the 0.0 a trip leaves for a name it assigns and does not read first
    reaches the next trip's adjoint unchanged (a name every trip reads first gets its adjoint again from
    that read; one read only in a branch may not). A nested loop's replay leaves the names its own trips
    may leave (its sweep restores which names hold a value, not their values). Read by the adjoint sweep
    and by adjoint_reads.py."""
    left = (entry & _killed_outside_loops(loop.body)) - _read_first_on_every_trip(loop.body)
    read_here = entry | _read_outside_loops(loop.body)  # what may hold a value as a nested loop's replay starts
    for nested in _nested_loops(loop.body):
        left |= left_zero_by_a_trip(nested, read_here | live_in(nested.body))
    return left


def _read_outside_loops(stmts):
    """Names read in stmts, branches included, nested loops' bodies not (their sweeps restore what holds a value)."""
    read = set()
    for stmt in stmts:
        if isinstance(stmt, gast.If):
            read |= set(b.names_in(stmt.test)) | _read_outside_loops(stmt.body + stmt.orelse)
        elif isinstance(stmt, (gast.For, gast.While)):
            read |= set(b.names_in(stmt.iter if isinstance(stmt, gast.For) else stmt.test))
            read |= _read_outside_loops(stmt.orelse)
        else:
            read |= set(b.names_in(stmt, gast.Load))
    return read


def _killed_outside_loops(stmts):
    """Names assigned in stmts, branches included, nested loops' bodies not (their sweeps say what they leave)."""
    killed = set()
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            killed.add(stmt.targets[0].id)
        elif isinstance(stmt, gast.If):
            killed |= _killed_outside_loops(stmt.body + stmt.orelse)
        elif isinstance(stmt, (gast.For, gast.While)):
            killed |= _killed_outside_loops(stmt.orelse)
    return killed


def _nested_loops(stmts):
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While)):
            yield stmt
            yield from _nested_loops(stmt.orelse)
        elif isinstance(stmt, gast.If):
            yield from _nested_loops(stmt.body + stmt.orelse)


def _read_first_on_every_trip(stmts):
    """Names a loop body surely reads before it assigns them: in its leading simple statements, up to the first
    compound statement or exit (a read inside a branch, or after a `continue`, may not happen)."""
    read, assigned = set(), set()
    for stmt in stmts:
        if not isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Expr)):
            break
        read |= {n for n in b.names_in(stmt.value, gast.Load) if n not in assigned}
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            assigned.add(stmt.targets[0].id)
    return read


def word(node):
    if isinstance(node, gast.Name):
        return node.id.strip("_")
    if isinstance(node, gast.Call) and node.args and isinstance(node.args[0], gast.Subscript):
        return word(node.args[0].value) + "_item"
    return "value"



def written_into(stmts):
    """The names whose items the adjoint sweep writes (restores `y[i] = old`): the backward half copies
    them from its record first, so that it owns what it changes and can itself be differentiated
    (unless the record holds views of them, see _viewed_by)."""
    return {t.value.id for stmt in operations(b.module(stmts)) if isinstance(stmt, gast.Assign)
            for t in stmt.targets if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name)}


def viewed_by(name, primal, others, makes_new):
    """Whether one of the names `others` (values the adjoint sweep reads as the primal sweep kept them)
    may hold a view of name's array (`t = A[..., k:]`, `At = A.T`, through any chain): then the backward
    half restores name in place, since such a view relies on the restores showing through it. A value
    built by an operator is a new array."""
    viewers, grew = {name}, True
    assigns = [s for s in every_node(b.module(primal))
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


def stored(primal, tape):
    """The names whose values the primal sweep pushes on its tape, alone or in a tuple pushed whole."""
    pushed = set()
    for node in every_node(b.module(primal)):
        if isinstance(node, gast.Call) and node.args and b.is_name(node.args[0], tape):
            pushed |= set(b.names_in(b.module([b.expr_stmt(a) for a in node.args[1:]]), gast.Load))
    tuples = {s.targets[0].id: s.value for s in every_node(b.module(primal))
              if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Tuple)}
    for ident in list(pushed):
        if ident in tuples:
            pushed |= set(b.names_in(b.module([b.expr_stmt(tuples[ident])]), gast.Load))
    return pushed


def read_from_record(adjoint, kept):
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


def has_zero_factor(term):
    """Whether a cotangent term holds a constant zero (the partial of `0.0 * s`): the optimizer folds
    such a product to a bare 0.0, which must be spread to an array's shape before an adjoint that
    reads its cotangent's shape (cumsum, matmul, kron, solve, ...) takes it."""
    def zero(n):
        return isinstance(n, gast.Constant) and type(n.value) in (int, float) and n.value == 0

    for n in operations(term):  # every BinOp and Call is among them (names and constants are not)
        if isinstance(n, gast.BinOp) and isinstance(n.op, gast.Mult) and (zero(n.left) or zero(n.right)):
            return True
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id.startswith("times_partial") \
                and any(zero(a) for a in n.args):
            return True
    return False


def copy_of(name):
    """`name.copy() if name is not None else None`: a value made only in a branch or loop the primal
    did not take is None in the record (and the adjoint sweep, taking the same way, never reads it)."""
    copied = b.call(b.attribute(b.name(name), "copy"))
    is_set = gast.Compare(left=b.name(name), ops=[gast.IsNot()], comparators=[b.const(None)])
    return gast.IfExp(test=is_set, body=copied, orelse=b.const(None))
