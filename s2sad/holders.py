"""What each name holds, at each write into an array, list or dict: an analysis for writes.py.

A write `y[i] = v` is differentiated by keeping y's derivative beside y; another name
that holds the same memory and is read after the write would not see its derivative
change. Whether that can happen depends on what the names hold at the write, not on
their names: `b = a.copy()` holds a new array, `c = a` holds a's, `L = [a]` holds a
inside a list, `r = a[0]` may hold a view of it.

Objects are allocation sites: the statement that made a value (a constructor, a copy,
arithmetic, a list display), `("param", p)` for an argument's value, and `OUTER` for
anything the function did not make (a global, a callee's result). A name holds a set
of (object, how) pairs, `how` being "same" (the object itself, or a list holding it)
or "view" (possibly a view of its memory). The analysis runs forward over the
structured statements, joining branches and iterating loops to a fixed point; a
backward pass gives the names that may be read after each write.

Example::

    a = np.zeros(3)      # a: {(S1, same)}
    b = a.copy()         # b: {(S2, same)}      writes into a and into b are independent
    c = a                # c: {(S1, same)}      a write into a while c is read later is refused
    L = [b]              # L: {(S4, same)}, S4 holds {(S2, same)}
"""

import gast
import numpy as np

from . import build as b
from . import runtime
from .names import every as every_node  # gast.walk's nodes, in its order, at half its cost

OUTER = "outer"
BOUND = ("bound",)   # the state's entry for the names bound on every path
SAME, VIEW = "same", "view"

# functions whose result is a new array or container, never a view of an argument
MAKERS = {np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
          np.array, np.copy, np.ndarray.copy, np.arange, np.linspace, np.eye, np.identity, np.concatenate,
          np.stack, np.vstack, np.hstack, np.column_stack, np.outer, np.tile, np.repeat, np.cumsum, np.cumprod,
          list, dict, runtime.zeros_like, runtime.owned, runtime.scatter, np.ndarray.tolist, np.ndarray.astype,
          np.dot, np.matmul,
          np.where, np.clip, np.sort, np.sum, np.mean, np.prod, np.einsum, np.tensordot, np.kron, np.roll, np.triu,
          np.tril, np.linalg.inv, np.linalg.solve, np.meshgrid, np.random.normal,
          np.random.uniform, np.random.rand, np.random.randn}
FRESH_NODES = (gast.List, gast.Dict, gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant)
_CONTAINER_MAKERS = (list, dict, tuple)


class Write:
    """One write into `name`: what it writes, what every name holds then, and who may read after it."""

    def __init__(self, stmt, name, holds, live):
        self.stmt, self.name, self.holds, self.live = stmt, name, holds, live


class _Holders:
    """The forward pass. A state maps each name to what it holds and `("in", obj)` to what the
    container obj may hold; a statement that makes a value in a loop makes a new one each trip, so
    the values from earlier trips become its `("old", stmt)` object (a recency abstraction)."""

    def __init__(self, params, local, resolver):
        self.local = local
        self.resolver = resolver
        self.states = {}            # assignment -> the state just before it
        self.breaks = []            # per enclosing loop: states at its breaks
        self.makers = set()         # statements `made` has seen: only their objects can be in a state
        self.start = {p: frozenset({(("param", p), SAME)}) for p in params}
        self.start[BOUND] = frozenset(params)

    # -- reading what a name holds -------------------------------------------------
    def read(self, state, ident):
        if ident in state:
            return state[ident]
        return frozenset() if ident in self.local else frozenset({(OUTER, SAME)})

    def element(self, state, held, position=None):
        """What `x[i]` may hold for x holding `held`: a container's contents (a tuple display's item at a
        constant position), else a view."""
        out = set()
        for obj, how in held:
            if ("at", obj, position) in state:
                out |= {(o, VIEW if how == VIEW else h) for o, h in state[("at", obj, position)]}
            elif ("in", obj) in state:
                out |= {(o, VIEW if how == VIEW else h) for o, h in state[("in", obj)]}
            else:
                out.add((obj, VIEW))
        return frozenset(out)

    def reach(self, state, held):
        """held and, through containers, everything they may hold."""
        out, todo = set(held), list(held)
        while todo:
            obj, how = todo.pop()
            for o, h in state.get(("in", obj), ()):
                pair = (o, VIEW if VIEW in (how, h) else SAME)
                if pair not in out:
                    out.add(pair)
                    todo.append(pair)
        return out

    def fill(self, state, held, items):
        """state with every container among held possibly holding items as well."""
        state = dict(state)
        for obj, _ in held:
            if ("in", obj) in state:
                state[("in", obj)] = state[("in", obj)] | items
        return state

    # -- values ----------------------------------------------------------------------
    def value(self, stmt, state):
        """(what `target = value` binds target to, the state after it)."""
        value = stmt.value
        if isinstance(value, gast.Name):
            return self.read(state, value.id), state
        if isinstance(value, gast.Tuple):  # immutable: what each position holds stays known
            held, state = self.made(stmt, state, self.atoms(value.elts, state))
            return held, {**state, **{("at", stmt, k): self.atoms([e], state) for k, e in enumerate(value.elts)}}
        if isinstance(value, (gast.List, gast.Dict)):
            parts = value.values if isinstance(value, gast.Dict) else value.elts
            return self.made(stmt, state, self.atoms(parts, state))
        if isinstance(value, FRESH_NODES):
            return self.made(stmt, state)
        if isinstance(value, gast.Subscript):
            owner = self.read(state, value.value.id) if isinstance(value.value, gast.Name) else frozenset()
            return self.element(state, owner, _position(value.slice)), state
        if isinstance(value, gast.Call):
            return self.call(stmt, value, state)
        return self.unknown(value, state), state

    def unknown(self, value, state):
        """Anything the function did not make, or a view of what value reads."""
        return frozenset((o, VIEW) for o, _ in self.atoms(list(every_node(value)), state)) | {(OUTER, SAME)}

    def atoms(self, nodes, state):
        held = set()
        for node in nodes:
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                held |= self.read(state, node.id)
        return frozenset(held)

    def made(self, stmt, state, contents=None):
        """A new object made by stmt: the one it made on an earlier trip becomes its old object."""
        if stmt not in self.makers:  # its first object: nothing in the state is stmt's yet, nothing ages
            self.makers.add(stmt)
            aged = dict(state)
            if contents is not None:
                aged[("in", stmt)] = contents
            return frozenset({(stmt, SAME)}), aged
        old = ("old", stmt)
        aged = {}
        for key, held in state.items():
            if key == BOUND:
                aged[key] = held
                continue
            if isinstance(key, tuple) and key[0] in ("in", "pushed", "at") and key[1] is stmt:
                key = (key[0], old) + key[2:]
            for o, _ in held:  # most sets hold none of stmt's objects: kept as they are, not rebuilt
                if o is stmt:
                    held = frozenset((old if o is stmt else o, h) for o, h in held)
                    break
            before = aged.get(key)
            aged[key] = held if before is None else before | held
        if contents is not None:
            aged[("in", stmt)] = contents
        return frozenset({(stmt, SAME)}), aged

    def call(self, stmt, value, state):
        site = self.resolver.site(value)
        prim = site.prim
        if prim is runtime.append:
            xs = self.read(state, site.args[0].id) if isinstance(site.args[0], gast.Name) else frozenset()
            return xs, self.fill(state, xs, self.atoms(site.args[1:], state))
        if prim is runtime.old_item and isinstance(site.args[0], gast.Name):  # a copy of an array's item
            fresh, state = self.made(stmt, state)
            held = self.read(state, site.args[0].id)
            return fresh | {pair for obj, _ in held for pair in state.get(("in", obj), ())}, state
        if prim is runtime.pop and len(site.args) == 1 and isinstance(site.args[0], gast.Name):
            held = self.read(state, site.args[0].id)
            return self.element(state, held) | self.popped(stmt, held, state), state
        try:
            if prim in _CONTAINER_MAKERS:  # list(xs) copies the list, not the items
                return self.made(stmt, state, self.element(state, self.atoms(site.args, state)))
            if isinstance(prim, np.ufunc) or prim in MAKERS:
                return self.made(stmt, state)
        except TypeError:  # an unhashable callee
            pass
        return self.unknown(value, state), state

    def pushed(self, value, state):
        """The state after the call statement value: `push(tape, v)` keeps v for a `pop(tape)`.

        What a stack keeps is not what it holds for a reader (`("pushed", obj)`, not `("in", obj)`):
        each push is popped once, last first, so a value written after its push is read again
        only through the name a pop binds, which a later write checks like any other."""
        site = self.resolver.site(value)
        if site.prim is runtime.push and len(site.args) == 2 and isinstance(site.args[0], gast.Name):
            state = dict(state)
            value = site.args[1]
            for obj, _ in self.read(state, site.args[0].id):
                keys = [("pushed", obj)] + ([("pushed", obj, value.id)] if isinstance(value, gast.Name) else [])
                for key in keys:
                    state[key] = state.get(key, frozenset()) | self.atoms([value], state)
            return state
        return state

    def popped(self, stmt, tapes, state):
        """What `name = pop(tape)` may bind name to. Generated code pairs each pop with one push, last
        first, and restores a name from the push of that same name (`push(_tape, y)` before y is bound
        again, `y = pop(_tape)` in the adjoint sweep): when the tape has pushes of the name, the pop gets
        only what they kept; otherwise anything pushed on the tape."""
        target = stmt.targets[0] if isinstance(stmt, gast.Assign) else None
        if isinstance(target, gast.Name):
            own = [state[("pushed", obj, target.id)] for obj, _ in tapes if ("pushed", obj, target.id) in state]
            if own and len(own) == len(tapes):
                return frozenset().union(*own)
        return frozenset(pair for obj, _ in tapes for pair in state.get(("pushed", obj), ()))

    # -- statements ------------------------------------------------------------------
    def block(self, stmts, state):
        for stmt in stmts:
            state = self.statement(stmt, state)
        return state

    def statement(self, stmt, state):
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            self.states[stmt] = state
            if isinstance(target, gast.Subscript):  # a container written into holds the value
                owner = self.read(state, target.value.id) if isinstance(target.value, gast.Name) else frozenset()
                return self.fill(state, owner, self.atoms([stmt.value], state))
            held, state = self.value(stmt, state)
            names = b.names_in(target, gast.Store)
            return {**state, **{n: held for n in names}, BOUND: state[BOUND] | set(names)}
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
            return self.pushed(stmt.value, state)
        if isinstance(stmt, gast.If):
            return _join(self.block(stmt.body, state), self.block(stmt.orelse, state))
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt, state)
        if isinstance(stmt, gast.Break) and self.breaks:
            self.breaks[-1].append(state)
        return state

    def loop(self, stmt, state):
        """The state at the loop's head, to a fixed point (states only grow, objects are finite)."""
        head = state
        if isinstance(stmt, gast.For):
            head = {**head, **{n: frozenset() for n in b.names_in(stmt.target, gast.Store)}}
        while True:
            self.breaks.append([])
            end = self.block(stmt.body, head)
            exits = self.breaks.pop()
            after = _join(head, end)
            if after == head:
                break
            head = after
        out = end if _runs(stmt) else head   # at the fixed point, end covers the end of every trip
        for other in exits:
            out = _join(out, other)
        return out


def _position(index):
    """A constant whole index (`t[2]`), or None."""
    if isinstance(index, gast.Constant) and type(index.value) is int:
        return index.value
    return None


def _runs(loop):
    """Whether loop is `for ... in range(constants)` (or reversed(range(...))) with a trip at least."""
    it = loop.iter if isinstance(loop, gast.For) else None
    if isinstance(it, gast.Call) and b.dotted_path(it.func) == "reversed" and len(it.args) == 1:
        it = it.args[0]
    ranged = isinstance(it, gast.Call) and (b.dotted_path(it.func) or "").startswith(("range", "builtin_range"))
    if not (ranged and not it.keywords):
        return False
    if not all(isinstance(a, gast.Constant) and type(a.value) is int for a in it.args) or not 1 <= len(it.args) <= 3:
        return False
    try:
        return len(range(*(a.value for a in it.args))) > 0
    except ValueError:
        return False


def _join(one, two):
    """What either path may hold; bound only what both bound."""
    joined = {n: one.get(n, frozenset()) | two.get(n, frozenset()) for n in set(one) | set(two)}
    joined[BOUND] = one[BOUND] & two[BOUND]
    return joined


# -- which names may be read after a statement ----------------------------------------------


def _live_after(stmts, out, table, reads, exit_live=frozenset()):
    """Names live before stmts when `out` is live after them; table[stmt] = live after each assignment.
    reads(expr): the names an expression reads the values of."""
    live = set(out)
    for stmt in reversed(stmts):
        if isinstance(stmt, gast.Assign):
            table[stmt] = frozenset(live)
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                live.discard(target.id)
            live |= reads(stmt.value)
            if isinstance(target, gast.Subscript):
                live |= set(b.names_in(target, gast.Load))
        elif isinstance(stmt, gast.If):
            live = _live_after(stmt.body, live, table, reads, exit_live) | \
                _live_after(stmt.orelse, live, table, reads, exit_live)
            live |= set(b.names_in(stmt.test, gast.Load))
        elif isinstance(stmt, (gast.For, gast.While)):
            head = set(live) | set(b.names_in(stmt.iter if isinstance(stmt, gast.For) else stmt.test, gast.Load))
            while True:
                new = head | _live_after(stmt.body, head, table, reads, frozenset(live))
                if new == head:
                    break
                head = new
            live = head
        elif isinstance(stmt, gast.Break):
            live = set(exit_live)
        else:
            live |= set(b.names_in(stmt, gast.Load))
    return live


# Runtime helpers of generated code that read only the shape, dtype or structure of one argument (its
# position): a write into what that argument holds changes none of these, so such a read after a
# write is no reason to refuse the write (`item_bar(x_bar, index, value)` when value is a view of x).
_SHAPE_ONLY = {runtime.item_bar: 2, runtime.unbroadcast: 1, runtime.scatter: 1, runtime.sum_adjoint: 1,
               runtime.zeros_like: 0, runtime.spread_zero: 1, runtime.broadcast_like: 1}


def _value_reads(resolver):
    """reads(expr) for _live_after: every name expr loads, but a shape-only argument of a helper call."""
    def reads(expr):
        names = set(b.names_in(expr, gast.Load))
        if isinstance(expr, gast.Call):
            position = _SHAPE_ONLY.get(resolver.site(expr).prim)
            shape_only = expr.args[position] if position is not None and len(expr.args) > position else None
            if isinstance(shape_only, gast.Name) and \
                    sum(isinstance(n, gast.Name) and n.id == shape_only.id for n in every_node(expr)) == 1:
                names.discard(shape_only.id)
        return names
    return reads


class Analysis:
    """The writes of a function (Write each), and what names hold before each assignment."""

    def __init__(self, holders, writes):
        self.holders, self.writes = holders, writes

    def before(self, stmt, ident):
        """The objects ident may hold just before the assignment stmt (through containers too)."""
        state = self.holders.states.get(stmt, {})
        return {obj for obj, _ in self.holders.reach(state, self.holders.read(state, ident))}

    def guard_sources(self, stmt, written):
        """The written names y, bound at `view = ...` (stmt), holding an object that a later write changes
        while view, which may hold a view of it then, is still read: `shares_memory(view, y)` is checked
        at stmt."""
        view = stmt.targets[0].id
        state = self.holders.states.get(stmt, {})
        sources = []
        for source in sorted(written & state.get(BOUND, frozenset()) - {view}):
            objects = self.before(stmt, source)
            if any(objects & self.viewed(write, view) for write in self.writes):
                sources.append(source)
        return sources

    def viewed(self, write, view):
        """The objects a write changes that view may hold a view of and read after it."""
        if view == write.name or view not in write.live:
            return set()
        mine = {obj for obj, _ in write.holds[write.name]}
        return mine & {obj for obj, how in write.holds.get(view, ()) if how == VIEW}


def analyze(fn, resolver, is_write):
    """The Analysis of fn: a Write for each statement is_write(stmt) names a written name for, with what
    every name holds just before it and the names that may be read after it."""
    params = [a.id for a in fn.args.args + fn.args.kwonlyargs]
    local = set(params) | set(b.names_in(fn, gast.Store))
    holders = _Holders(params, local, resolver)
    holders.block(fn.body, dict(holders.start))
    live = {}
    _live_after(fn.body, set(), live, _value_reads(resolver))
    found = []
    for stmt, state in holders.states.items():
        name = is_write(stmt)
        if name is not None:
            holds = {n: holders.reach(state, h) for n, h in state.items() if isinstance(n, str)}
            holds[name] = holders.read(state, name)
            found.append(Write(stmt, name, holds, live.get(stmt, frozenset())))
    return Analysis(holders, found)


def conflicts(write):
    """(other name, how it holds the object, how the written name holds it) for each name read after
    the write that holds what it writes."""
    mine = {}
    for obj, how in write.holds[write.name]:
        mine[obj] = VIEW if VIEW in (how, mine.get(obj)) else SAME
    found = []
    for other in sorted(write.live - {write.name}):
        for obj, how in sorted(write.holds.get(other, ()), key=repr):
            if obj in mine:
                found.append((other, how, mine[obj]))
    return found


def sharers(write):
    """The other names that hold (or may hold a view of) what the write changes, read later or not."""
    mine = {obj for obj, _ in write.holds[write.name]}
    return {n for n, held in write.holds.items() if n != write.name and mine & {obj for obj, _ in held}}


def outside(write):
    """The kind of object a write goes into that the function did not make: "param", OUTER or None.
    An argument's field is both (the caller's object, reached through an attribute): "param" wins, so the
    message does not depend on the order of a set."""
    objects = {obj for obj, _ in write.holds[write.name]}
    if any(isinstance(obj, tuple) and obj[0] == "param" for obj in objects):
        return "param"
    return OUTER if OUTER in objects else None
