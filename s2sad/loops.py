"""Checkpointed loops: `for i in s2sad.checkpointed(range(n), snapshots=K):` (a front stage, after lifting).

The loop's state is the names its body writes that were bound before it (the rest are the body's
own temporaries; one of those read after the loop is refused). The body becomes a step function
`step(i, *state, *params) -> state`, and the loop a call of a generated recursive segment function
that runs steps lo..hi-1 by Griewank's binomial schedule (`revolve.py`)::

    def segment(*state, *params, start, stride, lo, hi, snapshots):
        if hi - lo == 1:
            return step(start + lo * stride, *state, *params)
        m = split(hi - lo, snapshots)
        mid = checkpoint(segment)(*state, *params, start, stride, lo, lo + m, snapshots)
        return segment(*mid, *params, start, stride, lo + m, hi, snapshots - 1)

Reverse mode keeps of a `s2sad.checkpoint` call only its arguments (one snapshot: the state at lo)
and runs it again in the adjoint sweep, after reversing the last hi - lo - m steps with one snapshot
fewer: exactly Revolve's recursion, so the forward steps are Revolve's optimum and at most
`snapshots` states are kept at once. Since the schedule is ordinary generated code, forward mode,
Hessians and reverse over reverse differentiate it as any other (it runs the loop unchanged as a
plain call). `break` and `return` inside the loop are flags of the state (exits.py): once set, the
remaining steps do nothing.

`checkpoint_loops(parsed, every=K)` (grad(f, checkpoint=K)) treats every `for` loop over a range
and every `while` loop so. A `while` loop's trip count is found by running it once plainly
(a counting pass), then it is reversed by the binomial schedule for that count: at most
`n + optimal_cost(n, K)` forward steps.
"""

import ast
import copy
import linecache
import textwrap
import types

import gast

from . import build as b
from . import revolve
from .checkpointing import checkpoint
from .errors import S2SADError
from .exits import structure_exits
from .inversion import undo_plan
from .names import every as every_node  # gast.walk's nodes, in its order, at half its cost
from .naming import Namer, identifiers
from .parse import environment_object
from .registry import Rule


def checkpoint_loops(parsed, every=None):
    """Rewrite parsed's checkpointed loops (every loop, with `every` snapshots) as calls of generated
    segment functions; the loops inside them are rewritten when those are differentiated in turn."""
    fn = parsed.node
    _refuse_stray_calls(parsed, fn)
    if not _outermost(parsed, fn.body, every):
        return parsed
    structure_exits(fn, Namer(identifiers(fn) | set(parsed.closure)))
    fn.s2sad_exits_structured = True
    parsed.func.__s2sad_release__ = True  # its derivatives drop dead references early (optimize/release.py)
    namer = Namer(identifiers(fn) | set(parsed.closure) | set(parsed.globals))
    for loop in _outermost(parsed, fn.body, every):
        _rewrite(parsed, fn, loop, every, namer)
    return parsed


def _checkpointed_call(parsed, node):
    return isinstance(node, gast.Call) and environment_object(parsed, node.func, ()) is revolve.checkpointed


def _reversible_call(parsed, node):
    return isinstance(node, gast.Call) and environment_object(parsed, node.func, ()) is revolve.reversible


def _refuse_stray_calls(parsed, fn):
    """checkpointed(...) or reversible(...) anywhere but as the iterable of a `for` would be taped
    silently: refused."""
    nodes = list(every_node(fn))
    allowed = {id(s.iter) for s in nodes if isinstance(s, gast.For)}
    for node in nodes:
        if not isinstance(node, gast.Call):
            continue
        obj = environment_object(parsed, node.func, ())  # what _checkpointed_call and _reversible_call ask
        for marker, what in ((revolve.checkpointed, "checkpointed"), (revolve.reversible, "reversible")):
            if obj is marker and id(node) not in allowed:
                shape = "range(n), snapshots=K" if what == "checkpointed" else "range(n)"
                raise S2SADError(f"s2sad.{what}(...) used other than as the iterable of a for statement",
                                 parsed.filename, getattr(node, "lineno", fn.lineno), what,
                                 f"write `for i in s2sad.{what}({shape}):`")


def _wanted(parsed, stmt, every):
    if isinstance(stmt, gast.For):
        if _checkpointed_call(parsed, stmt.iter) or _reversible_call(parsed, stmt.iter):
            return True
        return every is not None and _is_range(parsed, stmt.iter)
    return isinstance(stmt, gast.While) and every is not None


def _is_range(parsed, node):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id == "range" \
        and environment_object(parsed, node.func, ()) is None and not node.keywords


def _outermost(parsed, stmts, every):
    """The loops to rewrite that no other such loop encloses, in source order."""
    found = []
    for stmt in stmts:
        if _wanted(parsed, stmt, every):
            found.append(stmt)
            continue
        for field in ("body", "orelse"):
            found += _outermost(parsed, getattr(stmt, field, None) or [], every)
    return found


# --- what the loop reads and writes ------------------------------------------------------------

def _flat(stmts, out):
    """fn's statements in execution order as (node, "enter" | "exit" | "stmt", stores, loads)."""
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            header = [stmt.target, stmt.iter] if isinstance(stmt, gast.For) else [stmt.test]
            out.append((stmt, "enter", _names(header, gast.Store), _names(header, gast.Load)))
            _flat(stmt.body, out)
            _flat(stmt.orelse, out)
            out.append((stmt, "exit", set(), set()))
        else:
            out.append((stmt, "stmt", _names([stmt], gast.Store), _names([stmt], gast.Load)))
    return out


def _names(nodes, ctx):
    """The function's names that nodes load or store; those a comprehension binds for itself (`m` in
    `sum(0.5 for m in xs)`) are the comprehension's, not the loop's state (the fuzzer found one refused)."""
    found = set()
    for node in nodes:
        found |= _scoped_names(node, ctx, frozenset())
    return found


_COMPREHENSIONS = (gast.ListComp, gast.SetComp, gast.GeneratorExp, gast.DictComp)


def _scoped_names(node, ctx, hidden):
    """Names under node in ctx, less `hidden` (the targets of the comprehensions around node)."""
    if isinstance(node, gast.Name):
        return {node.id} if isinstance(node.ctx, ctx) and node.id not in hidden else set()
    if not isinstance(node, _COMPREHENSIONS):
        return set().union(*(_scoped_names(c, ctx, hidden) for c in gast.iter_child_nodes(node)))
    found, inner = set(), set(hidden)
    for k, gen in enumerate(node.generators):  # the first iterable runs in the enclosing scope
        found |= _scoped_names(gen.iter, ctx, hidden if k == 0 else frozenset(inner))
        inner |= set(b.names_in(gen.target))
        found = found.union(*(_scoped_names(test, ctx, frozenset(inner)) for test in gen.ifs))
    parts = [node.key, node.value] if isinstance(node, gast.DictComp) else [node.elt]
    return found.union(*(_scoped_names(part, ctx, frozenset(inner)) for part in parts))


def _context(fn, loop):
    """(names bound before the loop, names read after it or by a later turn of a loop around it)."""
    flat = _flat(fn.body, [])
    enter = next(k for k, item in enumerate(flat) if item[0] is loop and item[1] == "enter")
    leave = next(k for k, item in enumerate(flat) if item[0] is loop and item[1] == "exit")
    before = {a.id for a in fn.args.args} | set().union(*(item[2] for item in flat[:enter]))
    after = set().union(*(item[3] for item in flat[leave + 1:]))
    for k, item in enumerate(flat[:enter]):
        if item[1] == "enter" and isinstance(item[0], (gast.For, gast.While)):
            close = next(j for j, other in enumerate(flat) if other[0] is item[0] and other[1] == "exit")
            if close > leave:  # a loop around ours: its next turn reads what ours leaves
                after |= set().union(*(other[3] for other in flat[k:enter] + flat[leave + 1:close]))
    return before, after


class _Loop:
    """The parts of one loop to rewrite: its counter, state, parameters and body."""

    def __init__(self, parsed, fn, loop, every):
        self.parsed, self.node = parsed, loop
        self.line = loop.lineno
        self.target = self.counter_name(loop)
        body = list(loop.body)
        self.stop = None
        last = body[-1] if body else None
        if isinstance(last, gast.If) and b.is_name(last.test) and len(last.body) == 1 \
                and isinstance(last.body[0], gast.Break) and not last.orelse:
            self.stop = last.test.id  # exits.py's `if _stopN: break`: the flag joins the state
            body = body[:-1]
        self.body = body
        written = _names(body, gast.Store) | ({self.target} if self.target else set())
        before, after = _context(fn, loop)
        locals_ = {a.id for a in fn.args.args} | _names(fn.body, gast.Store)
        state_names = written - {self.target}
        self.state = sorted(state_names & before)
        escaping = sorted((state_names - before) & after)
        if escaping:
            self.refuse(f"{escaping[0]!r} is first assigned inside the checkpointed loop and read after it",
                        f"assign {escaping[0]} before the loop")
        self.keeps_target = bool(self.target and self.target in after)  # set to the last index after the loop
        if self.keeps_target and (self.stop is not None or self.target in _names(body, gast.Store)):
            self.refuse(f"the loop variable {self.target!r} is read after a checkpointed loop that breaks, "
                        "returns or assigns it", "keep the last index in a variable of its own")
        reads = _names(body, gast.Load) | (_names([loop.test], gast.Load) if isinstance(loop, gast.While) else set())
        self.params = sorted((reads - written) & locals_)
        self.free = sorted((reads - written - locals_) & set(parsed.closure))

    def refuse_changes_in_place(self):
        """The schedule runs turns again from a snapshot, so a turn must change nothing but its state's
        names: not a list or array it did not make (`values.append(v)`, `traj[t] = ...`), and not
        a name in a `while` test (`while (r := r * 0.5) > 0.01:`), which the step would not run. (A loop
        with no state is not rewritten: it stays taped.)"""
        loop, outside = self.node, set(self.params)
        if isinstance(loop, gast.While) and any(isinstance(n, gast.NamedExpr) for n in every_node(loop.test)):
            self.refuse("the while test assigns (:=), which the schedule's steps would not run",
                        "assign before the loop and again at the end of its body")
        for node in (n for stmt in self.body for n in every_node(stmt)):
            targets = node.targets if isinstance(node, gast.Assign) else \
                [node.target] if isinstance(node, gast.AugAssign) else []
            for target in targets:
                base = _base_name(target) if isinstance(target, (gast.Subscript, gast.Attribute)) else None
                if base in outside:
                    self.refuse(f"the checkpointed loop writes into {base}, which it did not make: running a turn "
                                "again would write twice", f"build a new value and assign it to {base}")
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                    and node.func.attr in _MUTATORS and _base_name(node.func.value) in outside:
                name = _base_name(node.func.value)
                self.refuse(f"the checkpointed loop changes {name} in place ({name}.{node.func.attr}): running a "
                            "turn again would change it twice", f"assign a new value to {name} instead")

    def counter_name(self, loop):
        if isinstance(loop, gast.While):
            return None
        if not isinstance(loop.target, gast.Name):
            self.refuse("a checkpointed loop's target must be one name", "write `for i in ...` and unpack inside")
        return loop.target.id

    def refuse(self, message, hint=None):
        raise S2SADError(message, self.parsed.filename, self.line, "checkpointed loop", hint)


_MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem", "sort",
             "reverse", "add", "discard", "fill", "put", "resize", "itemset", "__setitem__", "__iadd__"}


def _base_name(node):
    """x for x, x[i], x.a, x[i].b ...; None when the chain does not start at a name."""
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


# --- the generated functions -------------------------------------------------------------------

def _rewrite(parsed, fn, loop, every, namer):
    _hoist_test_assignments(fn, loop)
    info = _Loop(parsed, fn, loop, every)
    if isinstance(loop, gast.For) and _reversible_call(parsed, loop.iter):
        return _rewrite_reversible(parsed, fn, info, namer)
    if not info.state:  # writes nothing that outlives a turn: nothing to keep, the loop stays as it is
        if isinstance(loop, gast.For) and _checkpointed_call(parsed, loop.iter):
            loop.iter = _range_of(parsed, loop.iter, info)[0]
        return
    info.refuse_changes_in_place()
    stem = f"{fn.name}_loop{info.line}"
    step = _step_function(parsed, info, f"{stem}_step")
    segment = _segment_function(parsed, info, step, f"{stem}_segment")
    names = {key: namer.fresh(f"{stem}_{key}") for key in ("segment", "bounds", "count")}
    parsed.closure[names["segment"]] = types.CellType(segment)
    parsed.closure[names["bounds"]] = types.CellType(revolve.loop_bounds)
    if isinstance(loop, gast.While):
        count = _count_function(parsed, info, f"{stem}_count")
        count.__s2sad_rule__ = Rule(count, "nondiff", name=count.__name__)  # an int: no derivative
        parsed.closure[names["count"]] = types.CellType(count)
    _replace(fn, loop, _call_statements(parsed, info, names, namer, every))


def _hoist_test_assignments(fn, loop):
    """`while (r := E) > c: body` as `r = E` before the loop and at the end of its body, `while r > c:`,
    since the schedule's steps run the body alone (the fuzzer found these refused). Only where that is
    the same program: every := runs at every test (none under and/or/if-else/lambda/comprehension), the
    rest of the test reads none of their names, and no break or return skips the test (a continue,
    already a flag of exits.py, still reaches the end); else the loop is refused (refuse_changes_in_place)."""
    if not isinstance(loop, gast.While) or not any(isinstance(n, gast.NamedExpr) for n in gast.walk(loop.test)):
        return
    if any(isinstance(n, (gast.BoolOp, gast.IfExp, gast.Lambda) + _COMPREHENSIONS) for n in gast.walk(loop.test)) \
            or any(isinstance(n, (gast.Break, gast.Continue, gast.Return)) for s in loop.body for n in gast.walk(s)):
        return
    inside = {id(n) for w in gast.walk(loop.test) if isinstance(w, gast.NamedExpr) for n in gast.walk(w)}
    targets = {w.target.id for w in gast.walk(loop.test) if isinstance(w, gast.NamedExpr)}
    rest = {n.id for n in gast.walk(loop.test) if isinstance(n, gast.Name) and id(n) not in inside}
    if rest & targets:
        return
    hoist = _Hoist()
    test = hoist.visit(loop.test)
    assigns = [b.assign(name, value) for name, value in hoist.assigns]
    for stmt in assigns:
        for node in gast.walk(stmt):
            node.lineno, node.col_offset = loop.lineno, loop.col_offset
            node.end_lineno, node.end_col_offset = loop.lineno, loop.col_offset
    loop.test = test
    loop.body = list(loop.body) + copy.deepcopy(assigns)
    _replace(fn, loop, assigns + [loop])


class _Hoist(gast.NodeTransformer):
    """Each `(n := E)` of a test replaced by n, inner ones first (as Python evaluates them); assigns
    collects (n, E) in that order."""

    def __init__(self):
        self.assigns = []

    def visit_NamedExpr(self, node):
        self.generic_visit(node)
        self.assigns.append((node.target.id, node.value))
        return b.name(node.target.id)


def _range_of(parsed, call, info):
    """(range expression, snapshots expression) of `checkpointed(range(...), snapshots=K)`."""
    args = list(call.args)
    keywords = {k.arg: k.value for k in call.keywords}
    if set(keywords) - {"snapshots"} or len(args) + len(keywords) != 2 or not args:
        info.refuse("checkpointed() takes a range and snapshots=K", "write checkpointed(range(n), snapshots=K)")
    return args[0], (args[1] if len(args) == 2 else keywords["snapshots"])


def _call_statements(parsed, info, names, namer, every):
    """The statements that replace the loop: check the bounds, then run the segment over them."""
    state = ", ".join(info.state) + ("," if len(info.state) == 1 else "")
    params = "".join(f"{p}, " for p in info.state + info.params)
    steps, start, stride, snaps = (namer.fresh(f"_{key}") for key in ("steps", "start", "stride", "snapshots"))
    where = f"{parsed.filename!r}, {info.line}"
    if isinstance(info.node, gast.While):
        count_args = "".join(f"{p}, " for p in info.state + info.params)
        lines = [f"{steps} = {names['count']}({count_args})",
                 f"{steps}, {start}, {stride}, {snaps} = {names['bounds']}(range({steps}), {every}, {where})"]
    else:
        if _checkpointed_call(parsed, info.node.iter):
            iterable, snapshots = (_text(node) for node in _range_of(parsed, info.node.iter, info))
        else:
            iterable, snapshots = _text(info.node.iter), repr(every)
        lines = [f"{steps}, {start}, {stride}, {snaps} = {names['bounds']}({iterable}, {snapshots}, {where})"]
    lines += [f"if {steps} > 0:",
              f"    {state} = {names['segment']}({params}{start}, {stride}, 0, {steps}, {snaps})"]
    if getattr(info, "keeps_target", False):  # as Python leaves it: the last index, unchanged after no turn
        lines.append(f"    {info.target} = {start} + ({steps} - 1) * {stride}")
    stmts = gast.parse("\n".join(lines)).body
    for node in stmts:
        for sub in every_node(node):
            if hasattr(sub, "lineno") or isinstance(sub, (gast.stmt, gast.expr)):
                sub.lineno, sub.col_offset = info.line, info.node.col_offset
                sub.end_lineno, sub.end_col_offset = info.line, info.node.col_offset
    return stmts


def to_source(node):
    return ast.unparse(ast.fix_missing_locations(gast.gast_to_ast(node)))


def _text(node):
    return to_source(b.module([b.expr_stmt(node)])).strip()


def _replace(fn, loop, stmts):
    def visit(block):
        for k, stmt in enumerate(block):
            if stmt is loop:
                block[k:k + 1] = stmts
                return True
            for field in ("body", "orelse"):
                if visit(getattr(stmt, field, None) or []):
                    return True
        return False
    visit(fn.body)


def _step_function(parsed, info, name):
    """`def step(i, *state, *params): body; return state` with the user's globals and closure cells.
    A `while` loop's step is its body alone (the counting pass found how many turns run)."""
    body = info.body
    if info.stop is not None:  # after a break or return: the remaining turns do nothing
        body = [b.if_(gast.UnaryOp(op=gast.Not(), operand=b.name(info.stop)), body)]
    fn = b.function(name, ([info.target] if info.target else ["_turn"]) + info.state + info.params,
                    body + [b.ret(b.tup([b.name(s) for s in info.state]))])
    step = _compile_nested(parsed, info, fn)
    step.__s2sad_release__ = True  # its backward half drops dead references (optimize/release.py)
    return step


def _count_function(parsed, info, name):
    """`def count(*state, *params)`: a `while` loop run plainly, returning its number of turns."""
    turns = Namer(identifiers(info.node)).fresh("_turns")
    text = to_source(b.module([b.function(name, info.state + info.params, [])]))
    head = text.split("\n")[0]
    body = to_source(b.module(info.body)).rstrip("\n") + "\n"
    stop = f"        if {info.stop}:\n            break\n" if info.stop is not None else ""  # break or return inside
    code = (f"{head}\n    {turns} = 0\n    while {_text(info.node.test)}:\n"
            + textwrap.indent(body, "        ") + f"        {turns} = {turns} + 1\n" + stop + f"    return {turns}\n")
    return _compile_text(parsed, info, name, code)


def _compile_nested(parsed, info, fn):
    return _compile_text(parsed, info, fn.name, to_source(b.module([fn])))


def _compile_text(parsed, info, name, text):
    """A function from its source, inside an outer def that declares the closure names it reads, so
    that it shares the user's closure cells; its source is visible to inspect (and to s2sad)."""
    free = info.free
    outer = "def _outer():\n" + "".join(f"    {v} = None\n" for v in free) + textwrap.indent(text, "    ")
    filename = f"{parsed.filename} ({name}: the checkpointed loop at line {info.line} in {parsed.node.name})"
    padded = "\n" * max(info.line - 2 - len(free), 0) + outer
    linecache.cache[filename] = (len(padded), None, padded.splitlines(True), filename)
    module = compile(padded, filename, "exec")
    outer_code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    code = next(c for c in outer_code.co_consts if isinstance(c, types.CodeType) and c.co_name == name)
    cells = tuple(parsed.closure[v] for v in code.co_freevars)
    return types.FunctionType(code, parsed.globals, name, None, cells or None)


_SEGMENT = '''\
def {segment}({args}, {start}, {stride}, {lo}, {hi}, {snaps}):
    """Steps {lo}..{hi}-1 of the loop at line {line} by the binomial schedule ({snaps} states kept)."""
    while {hi} - {lo} > 1:
        {m} = {split}({hi} - {lo}, {snaps})
        {state} = {ckpt}({args}, {start}, {stride}, {lo}, {lo} + {m}, {snaps})
        {lo} = {lo} + {m}
        {snaps} = {snaps} - 1
    return {step}({start} + {lo} * {stride}, {args})
'''


def _segment_function(parsed, info, step, name):
    namer = Namer(set(info.state) | set(info.params) | {name})
    keys = ("start", "stride", "lo", "hi", "snaps", "m", "step", "split", "ckpt")
    fresh = {k: namer.fresh(f"_{k}") for k in keys}
    args = ", ".join(info.state + info.params)
    state = ", ".join(info.state) + ("," if len(info.state) == 1 else "")
    text = _SEGMENT.format(segment=name, args=args, line=info.line, state=state, **fresh)
    filename = f"{parsed.filename} (schedule of the loop at line {info.line} in {parsed.node.name})"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = {"__name__": "s2sad.loops", fresh["step"]: step, fresh["split"]: revolve.split}
    exec(compile(text, filename, "exec"), namespace)  # noqa: S102 (our own generated source)
    segment = namespace[name]
    segment.__s2sad_release__ = True  # its backward half drops dead references (optimize/release.py)
    namespace[fresh["ckpt"]] = checkpoint(segment)
    return segment


# --- reversible loops --------------------------------------------------------------------------

class Reversible:
    """What reverse mode needs of a reversible loop (reversing.py): its step,
    `f(i, *state, *params) -> state`, the plan undoing a turn (inversion.Undo steps, each update's
    `parts` compiled to a function `f(i, *state, *params) -> (a, g)`), the names, and where the loop is."""

    def __init__(self, step, undos, state, params, filename, line):
        self.step, self.undos = step, undos
        self.state, self.params = list(state), list(params)
        self.filename, self.line = filename, line


def _rewrite_reversible(parsed, fn, info, namer):
    """The loop becomes a call of a generated `run(*state, *params, start, stride, steps)`, which runs
    it plainly; reverse mode does not tape it but inverts it (reversing.py)."""
    if info.stop is not None:
        info.refuse("a reversible loop cannot end early (break or return inside it)",
                    "end it by its range, or use s2sad.checkpointed")
    if not info.state:
        info.node.iter = info.node.iter.args[0]
        return
    info.refuse_changes_in_place()
    stem = f"{fn.name}_loop{info.line}"
    step = _step_function(parsed, info, f"{stem}_step")
    undos = _undo_functions(parsed, info, f"{stem}_undo")
    run = _run_function(parsed, info, step, f"{stem}_reversible")
    run.__s2sad_reversible__ = Reversible(step, undos, info.state, info.params, parsed.filename, info.line)
    run.__s2sad_reversible__.counters = run.__s2sad_counters__
    names = {key: namer.fresh(f"{stem}_{key}") for key in ("run", "bounds")}
    parsed.closure[names["run"]] = types.CellType(run)
    parsed.closure[names["bounds"]] = types.CellType(revolve.reversible_bounds)
    call = info.node.iter
    if len(call.args) != 1 or call.keywords:
        info.refuse("reversible() takes one range", "write reversible(range(n))")
    state = ", ".join(info.state) + ("," if len(info.state) == 1 else "")
    args = "".join(f"{p}, " for p in info.state + info.params)
    steps, start, stride = (namer.fresh(f"_{key}") for key in ("steps", "start", "stride"))
    lines = [f"{steps}, {start}, {stride} = {names['bounds']}({_text(call.args[0])}, {parsed.filename!r}, {info.line})",
             f"if {steps} > 0:",
             f"    {state} = {names['run']}({args}{start}, {stride}, {steps})"]
    stmts = gast.parse("\n".join(lines)).body
    for node in stmts:
        for sub in every_node(node):
            if isinstance(sub, (gast.stmt, gast.expr)):
                sub.lineno, sub.col_offset = info.line, info.node.col_offset
                sub.end_lineno, sub.end_col_offset = info.line, info.node.col_offset
    _replace(fn, info.node, stmts)


def _undo_functions(parsed, info, stem):
    """The plan undoing a turn, each update's `parts` compiled to `def undo(i, *state, *params)`
    returning its (a, g)."""
    plan = undo_plan(info.body, info.state, parsed.filename, _text_of_statement)
    for k, undo in enumerate(plan):
        if undo.kind == "update":
            fn = b.function(f"{stem}{k}", [info.target] + info.state + info.params, undo.parts)
            parts = _compile_nested(parsed, info, fn)
            parts.__s2sad_release__ = True  # its backward half drops dead references (optimize/release.py)
            plan[k] = undo._replace(parts=parts)
    return plan


def _text_of_statement(stmt):
    return to_source(b.module([stmt])).strip().splitlines()[0]


_RUN = '''\
def {run}({args}, {start}, {stride}, {steps}):
    """The reversible loop at line {line}, run plainly."""
    for {k} in range({steps}):
        {state} = {step}({start} + {k} * {stride}, {args})
    return ({tuple_})
'''


def _run_function(parsed, info, step, name):
    namer = Namer(set(info.state) | set(info.params) | {name})
    fresh = {k: namer.fresh(f"_{k}") for k in ("start", "stride", "steps", "k", "step")}
    args = ", ".join(info.state + info.params)
    state = ", ".join(info.state) + ("," if len(info.state) == 1 else "")
    text = _RUN.format(run=name, args=args, line=info.line, state=state, tuple_=state, **fresh)
    filename = f"{parsed.filename} (the reversible loop at line {info.line} in {parsed.node.name})"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = {"__name__": "s2sad.loops", fresh["step"]: step}
    exec(compile(text, filename, "exec"), namespace)  # noqa: S102 (our own generated source)
    run = namespace[name]
    run.__s2sad_counters__ = (fresh["start"], fresh["stride"], fresh["steps"])
    return run
