"""Stage 3: analyses over the normalized function, returned as tables.

`activity` answers which variables carry derivatives: a variable is *varied* when it
depends on a differentiated input through differentiable operations, *useful* when the
output depends on it the same way, and *active* when both. Only active variables get
tangents or adjoints. The analysis is flow-insensitive per name (a name is active if
any of its definitions is), which is conservative and so never drops a derivative.

Example, differentiating `f(x, n)` with respect to x::

    k = n * 2            # inactive: n is not differentiated
    y = x * k            # active
    s = y.shape          # inactive: shapes carry no derivative
    return y
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gast

from . import build as b
from . import stacks

if TYPE_CHECKING:
    from .resolve import Resolver


@dataclass
class Activity:
    varied: set[str] = field(default_factory=set)
    useful: set[str] = field(default_factory=set)
    _active: tuple[Any, Any] = field(default=(None, None), repr=False, compare=False)

    @property
    def active(self) -> set[str]:
        """varied & useful, kept while the two sets keep their sizes (they only grow, while
        `activity` closes them): the transforms ask once per statement. Not to be changed."""
        sizes = (len(self.varied), len(self.useful))
        if self._active[0] != sizes:
            self._active = (sizes, self.varied & self.useful)
        return self._active[1]

    def is_active(self, node: gast.AST) -> bool:
        return isinstance(node, gast.Name) and node.id in self.active

    def dump(self) -> str:
        return "\n".join(f"{n}: {'active' if n in self.active else 'varied' if n in self.varied else 'useful'}"
                         for n in sorted(self.varied | self.useful))


@dataclass
class Analyses:
    """What the analyses found about one function, for reading (`s2sad.source(f, stage="analyses")`).

    Sets of names: `names` (the function's locals), `overwritten` (values a later assignment may overwrite,
    not recomputable),
    `adjoint_reads` (names the adjoint sweep reads: live in it), `recorded` (overwritten and read
    by the adjoint sweep: what reverse mode keeps), `recomputed` (temporaries the adjoint sweep
    computes again instead), `stacks`; `shapes` is the kinds table when argument kinds were given.
    """

    name: str
    wrt: tuple[str, ...]
    names: set[str]
    activity: Activity
    overwritten: set[str]
    recorded: set[str]
    adjoint_reads: set[str]
    recomputed: set[str]
    stacks: set[str]
    shapes: Any = None  # shapes.py's kinds table, or None

    COLUMNS = ("varied", "useful", "active", "overwritten", "adjoint reads", "recorded", "recomputed", "stack")

    def rows(self):
        """(name, marks, kind) for every local name (parameters included), sorted."""
        act = self.activity
        sets = (act.varied, act.useful, act.active, self.overwritten, self.adjoint_reads, self.recorded,
                self.recomputed, self.stacks)
        for n in sorted(self.names):
            kind = self.shapes.kinds.get(n) if self.shapes else None
            yield n, tuple(n in s for s in sets), "" if kind is None else _show_kind(kind)

    def dump(self):
        """A text table, one row per name, `x` where a column holds."""
        rows = list(self.rows())
        headers = ("name",) + self.COLUMNS + (("kind",) if self.shapes else ())
        cells = [(n,) + tuple("x" if m else "." for m in marks) + ((kind or "?",) if self.shapes else ())
                 for n, marks, kind in rows]
        widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
        line = lambda items: "  ".join(item.ljust(w) for item, w in zip(items, widths)).rstrip()  # noqa: E731
        title = f"# analyses of {self.name} with respect to {', '.join(self.wrt) or 'nothing'}"
        title += " (reverse mode" + (", specialized to the arguments' kinds)" if self.shapes else ")")
        return "\n".join([title, line(headers), line(["-" * w for w in widths])] + [line(c) for c in cells]) + "\n"


def _show_kind(kind):
    from .shapes import show  # shapes imports this module
    return show(kind)


def flows(site):
    """The operand atoms a derivative can flow through at this site."""
    if site.kind == "atom":
        return list(site.args)
    if site.kind == "rule":
        if site.rule.kind == "nondiff":
            return []
        bound = site.rule.bind(site.args, site.keywords)
        return [bound[p] for p in site.rule.wrt if isinstance(bound.get(p), gast.AST)]
    if site.kind in ("container", "function", "method", "unknown"):
        return site.operands()
    return []


def assignments(stmts):
    """Every (target name, value node, statement) in stmts, nested blocks included."""
    for stmt in stmts:
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                yield target.id, stmt.value, stmt
            elif isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                yield target.value.id, stmt.value, stmt
        elif isinstance(stmt, (gast.If, gast.While, gast.For)):
            yield from assignments(stmt.body + stmt.orelse)


def returned(stmts):
    for stmt in stmts:
        if isinstance(stmt, gast.Return) and isinstance(stmt.value, gast.Name):
            yield stmt.value.id
        elif isinstance(stmt, (gast.If, gast.While, gast.For)):
            yield from returned(stmt.body + stmt.orelse)


def activity(fn_node: gast.FunctionDef, resolver: Resolver, wrt: Iterable[str]) -> Activity:
    """The Activity table of a normalized function differentiated with respect to `wrt` names.

    Computed once per function and wrt (the adjoint-reads analysis and the build both ask); the table is
    never changed."""
    return resolver.memoized(("activity", tuple(wrt)), fn_node, lambda: _activity(fn_node, resolver, wrt))


def _activity(fn_node, resolver, wrt):
    edges = []  # (target, source) pairs along which a derivative may flow
    for target, value, _stmt in assignments(fn_node.body):
        site = resolver.site(value)
        for atom in flows(site):
            if b.is_name(atom):
                edges.append((target, atom.id))
    edges += stacks.edges(fn_node, resolver)  # a pushed value flows into its stack, and out with the pop
    result = Activity(set(wrt), set(returned(fn_node.body)))
    _close(result.varied, [(t, s) for t, s in edges])
    _close(result.useful, [(s, t) for t, s in edges])
    return result


def _close(reached, edges):
    """Grow `reached` along (to, from) edges until nothing changes: each name reached is followed once
    (not a sweep over every edge per step, as many sweeps as the longest chain)."""
    onward = {}
    for to, frm in edges:
        onward.setdefault(frm, []).append(to)
    todo = list(reached)
    while todo:
        for to in onward.get(todo.pop(), ()):
            if to not in reached:
                reached.add(to)
                todo.append(to)
