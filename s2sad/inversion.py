"""How to undo a reversible loop's body one update at a time (`for i in s2sad.reversible(range(n)):`,
loops.py, reversed by reversing.py).

A body may hold three kinds of statements:

* updates of a state variable that are affine in it: `x = x + g`, `x = x - g`, `x = g - x`,
  `x = a * x + g`, `x = a * x`, `x += g`, `x -= g`, `x *= a`, where neither `a` nor `g` reads x
  (directly or through a temporary); undone as `x = (x - g) / a` and so on;
* permutations of state variables (`x, y = y, x`), undone by the reverse permutation;
* temporaries (names that are not state): `grad = df(w)`, recomputed wherever an undone update
  reads them, which is right only if the state they read has not changed since they were made
  (checked here).

The plan undoes the updates last first. When update j is undone, the state holds its values
right after j: every variable but j's target as it was when j ran. So `a` and `g` are recomputed
exactly (by a small function of the state, `parts`, that reverse mode also differentiates: the
adjoint of the update needs the cotangents of `a` and `g`, nothing else); only rounding differs
(`(x + g) - g` need not be x), which reversing.py checks at the end. Undoing update by update,
not the whole body at once, keeps one update's intermediates alive at a time, not a turn's.
Anything else in the body is refused, naming the statement.
"""

import copy
from typing import NamedTuple

import gast

from . import build as b
from .errors import S2SADError

_HINT = ("a reversible loop's body may only update its state affinely (x = x + g, x = a * x + g with a "
         "nonzero a), swap state variables, and compute temporaries; use s2sad.checkpointed otherwise")


class Undo(NamedTuple):
    """One step of undoing a turn: a permutation (`targets` took the values of `sources`), or an
    update `target = a * target + g` in `form` "plus", "minus" (a * x - g), "negated" (g - a * x)
    or "scale" (a * x), whose `a` and `g` the statements `parts` (temporaries, then
    `return (a, g)`, the absent one left out) recompute from the state; `reads` the names they read,
    `a_reads` those a reads."""

    kind: str
    target: str = None
    form: str = None
    has_a: bool = False
    has_g: bool = False
    parts: list = None
    reads: frozenset = frozenset()
    a_reads: frozenset = frozenset()
    targets: tuple = ()
    sources: tuple = ()


def undo_plan(body, state, filename, text):
    """The Undo steps that take the state after one turn of body back to the state before it."""
    state = set(state)
    items = [_classify(stmt, state, filename, text) for stmt in body]
    plan = []
    for j in reversed(range(len(items))):
        kind, stmt, data = items[j]
        if kind == "swap":
            plan.append(Undo("swap", targets=tuple(data[0]), sources=tuple(data[1])))
        elif kind == "update":
            plan.append(_undo_update(items, j, state, filename, text))
    return plan


def _undo_update(items, j, state, filename, text):
    x, a, g, form = items[j][2]
    temps = _temporaries_for(items, j, _reads_of("update", items[j][2]), state, filename, text)
    values = [copy.deepcopy(part) for part in (a, g) if part is not None]
    parts = [copy.deepcopy(items[k][1]) for k in temps] + [gast.Return(value=b.tup(values))]
    a_temps = _temporaries_for(items, j, _reads_of("update", (x, a, None, form)), state, filename, text)
    return Undo("update", target=x, form=form, has_a=a is not None, has_g=g is not None, parts=parts,
                reads=frozenset(_loads_through(items, temps, a, g)),
                a_reads=frozenset(_loads_through(items, a_temps, a)))


def _loads_through(items, temps, *parts):
    """The names parts read, directly or through the temporaries at positions temps."""
    loads = set()
    for part in parts:
        if part is not None:
            loads |= set(b.names_in(part, gast.Load))
    for k in temps:
        loads |= set(b.names_in(items[k][1].value, gast.Load))
    return loads


def _refuse(stmt, filename, text, why):
    line = getattr(stmt, "lineno", None)
    shown = text(stmt)
    raise S2SADError(f"cannot invert `{shown}` in a reversible loop: {why}", filename, line, "reversible loop", _HINT)


def _classify(stmt, state, filename, text):
    """("temp", stmt, target) | ("update", stmt, (x, a, g, form)) | ("swap", stmt, (targets, sources))."""
    if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
        op = {gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul"}.get(type(stmt.op))
        x = stmt.target.id
        if x not in state:
            return "temp", gast.Assign(targets=[b.name(x, store=True)],
                                       value=gast.BinOp(left=b.name(x), op=stmt.op, right=stmt.value)), x
        if op is None:
            _refuse(stmt, filename, text, "only +=, -= and *= are inverted")
        if op == "mul":
            data = (x, stmt.value, None, "scale")
        else:
            data = (x, None, stmt.value, "plus" if op == "add" else "minus")
        _check_free_of(stmt, x, data, filename, text)
        return "update", stmt, data
    if not isinstance(stmt, gast.Assign) or len(stmt.targets) != 1:
        _refuse(stmt, filename, text, "not an assignment")
    target = stmt.targets[0]
    if isinstance(target, gast.Tuple):
        return "swap", stmt, _permutation(stmt, state, filename, text)
    if not isinstance(target, gast.Name):
        _refuse(stmt, filename, text, "only names are assigned in a reversible loop")
    x = target.id
    if x not in state:
        return "temp", stmt, x
    data = _affine(stmt.value, x)
    if data is None:
        _refuse(stmt, filename, text, f"not of the form {x} = a * {x} + g with a and g free of {x}")
    _check_free_of(stmt, x, data, filename, text)
    return "update", stmt, data


def _permutation(stmt, state, filename, text):
    target, value = stmt.targets[0], stmt.value
    ok = isinstance(value, gast.Tuple) and all(isinstance(e, gast.Name) for e in target.elts + value.elts)
    targets = [e.id for e in target.elts] if ok else []
    sources = [e.id for e in value.elts] if ok else []
    if not ok or sorted(targets) != sorted(sources) or len(set(targets)) != len(targets) or not set(targets) <= state:
        _refuse(stmt, filename, text, "a tuple assignment is inverted only when it permutes state variables")
    return targets, sources


def _is_x(node, x):
    return isinstance(node, gast.Name) and node.id == x


def _scaled(node, x):
    """a when node is x (a = None), a * x or x * a; else False."""
    if _is_x(node, x):
        return None
    if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult):
        if _is_x(node.right, x):
            return node.left
        if _is_x(node.left, x):
            return node.right
    return False


def _affine(value, x):
    """(x, a, g, form) for value = a*x (+|-) g, g + a*x or g - a*x; None when it is not such."""
    a = _scaled(value, x)
    if a is not False:
        return x, a, None, "scale"
    if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub)):
        left, right = _scaled(value.left, x), _scaled(value.right, x)
        if left is not False:
            return x, left, value.right, "plus" if isinstance(value.op, gast.Add) else "minus"
        if right is not False:
            return x, right, value.left, "plus" if isinstance(value.op, gast.Add) else "negated"
    return None


def _check_free_of(stmt, x, data, filename, text):
    _, a, g, _ = data
    for part in (a, g):
        if part is not None and x in b.names_in(part, gast.Load):
            _refuse(stmt, filename, text, f"its factor or increment reads {x} itself")


def _reads_of(kind, data):
    if kind == "swap":
        return set()
    _, a, g, _ = data
    return set().union(*(b.names_in(p, gast.Load) for p in (a, g) if p is not None))


def _updated(items, k, j):
    """The state names the updates and permutations among items[k..j] change."""
    changed = set()
    for kind, _, data in items[k:j + 1]:
        if kind == "update":
            changed.add(data[0])
        elif kind == "swap":
            changed |= set(data[0])
    return changed


def _temporaries_for(items, j, reads, state, filename, text):
    """Positions of the temporaries update j reads (through each other), in body order, each checked
    to read no state that changed between where it is made and j."""
    needed, todo = set(), list(reads)
    while todo:
        name = todo.pop()
        made = [k for k in range(j) if items[k][0] == "temp" and items[k][2] == name]
        if not made or made[-1] in needed:
            continue
        k = made[-1]
        needed.add(k)
        loads = set(b.names_in(items[k][1].value, gast.Load))
        stale = sorted(loads & state & _updated(items, k, j))
        if stale:
            _refuse(items[j][1], filename, text, f"it reads {items[k][2]}, made from {stale[0]} before {stale[0]} "
                                                 "changed")
        todo += list(loads)
    return sorted(needed)
