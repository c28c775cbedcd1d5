"""The to-be-recorded analysis: what reverse mode records in its primal sweep and restores in its adjoint.

A value is recorded when a later assignment may overwrite it (`candidates`, less the temporaries
the adjoint sweep recomputes) and the adjoint sweep reads it, or reads a name that may share its
memory (`b = a` then `a[i] = v`). In a loop that keeps values of its iterations anyway (a name
the body assigns once, `k1 = f(x)` in an RK4 step), the temporaries the adjoint sweep would
recompute go into the same per-iteration tuple instead ("bundled").

Which names the adjoint sweep reads comes from adjoint_reads.py, which walks the function as the
adjoint sweep will, reading the rules' templates, before the transform (no build). The transform
then builds once from the resulting `Records`, recording exactly `recorded` (each value once,
restored once) and keeping `bundled` per iteration, and checks that its adjoint sweep reads no
overwritten value the table does not record (reverse.check_reads: an S2SADError, never a repair).
`s2sad.source(f, stage="records")` prints the table.

Example, `v = 4.0 * v * (1.0 - v)` in a loop over `range(n)` (logistic, line 7 of its file)::

    # records of logistic with respect to x (reverse mode)
    line  statement                records  kept in
    ----  -----------------------  -------  -------
    7     v = 4.0 * v * (1.0 - v)  v        tape
"""

from dataclasses import dataclass, field

import gast

from . import build as b
from .unparse import to_source


@dataclass(frozen=True)
class Row:
    """One statement's record: its user line, the statement, what it keeps, and where (`tape` inside
    loops, a variable of its own outside them, `per iteration` for a loop's tuple)."""

    line: object
    statement: str
    records: str
    kept_in: str


@dataclass
class Records:
    """The table the reverse transform builds from (sets of names) and its rows, for reading."""

    name: str
    wrt: tuple
    candidates: frozenset           # values a later assignment may overwrite, not recomputable
    reads: frozenset                # the candidates (and their sharers) the adjoint sweep reads
    recorded: frozenset             # candidates & reads: recorded before overwritten, restored after
    bundled: frozenset              # temporaries kept with their loop's iteration tuple, not recomputed
    recomputed: frozenset = frozenset()   # temporaries the adjoint sweep computes again (adjoint_reads.py)
    adjoint_reads: frozenset = frozenset()  # every name the adjoint sweep reads (adjoint_reads.py)
    rows: list = field(default_factory=list)

    def __str__(self):
        headers = ("line", "statement", "records", "kept in")
        cells = [(str(r.line), r.statement, r.records, r.kept_in) for r in self.rows]
        widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]

        def line(items):
            return "  ".join(item.ljust(w) for item, w in zip(items, widths)).rstrip()
        title = f"# records of {self.name} with respect to {', '.join(self.wrt) or 'nothing'} (reverse mode)"
        body = [line(c) for c in cells] or ["(nothing recorded: the adjoint sweep reads no overwritten value)"]
        notes = [f"# bundled per iteration instead of recomputed: {', '.join(sorted(self.bundled))}"] \
            if self.bundled else []
        return "\n".join([title, line(headers), line(["-" * w for w in widths])] + body + notes) + "\n"

    dump = __str__


def find(reads, normalized, sharers):
    """The `Records` of a normalized function from what its adjoint sweep reads (`adjoint_reads.Reads`,
    computed before the transform): the candidates read, directly or through a name sharing their memory."""
    cands = reads.candidates
    read = frozenset(with_sharers(reads.reads, sharers) & cands)
    recorded = cands & read
    bundled = frozenset(bundled_temps(reads.facts.loop_locals, reads.recomputed, recorded))
    found = Records(normalized.node.name, tuple(reads.wrt), cands, read, recorded, bundled, reads.recomputed,
                    reads.reads)
    found.rows = rows(normalized, reads.facts, recorded, bundled)
    return found


def nothing(normalized, wrt):
    """The `Records` of a function no later assignment overwrites a value of (straight-line code)."""
    return Records(normalized.node.name, tuple(wrt), frozenset(), frozenset(), frozenset(), frozenset())


def everything(normalized, wrt, cands):
    """The `Records` that record every candidate: for a function whose analysis met a call the build
    refuses (it then raises its own error; recording more is never wrong)."""
    return Records(normalized.node.name, tuple(wrt), cands, cands, cands, frozenset())


def with_sharers(reads, sharers):
    """reads and the written names whose memory a read name may share (`b = a` then `a[i] = v`): the
    adjoint sweep reads b's value through a's memory, so a's writes are restored too."""
    reads, grown = set(reads), True
    while grown:
        more = {ident for ident, others in sharers.items() if others & reads} - reads
        reads |= more
        grown = bool(more)
    return reads


def bundled_temps(loop_locals, recomputed, saved):
    """The temporaries the adjoint sweep recomputed in a loop that keeps values of its iterations anyway
    (Reverse.kept_locals): one more item each in the tuple kept per iteration, instead of recomputing
    them and the temporaries they read."""
    keep = set()
    for names in loop_locals.values():
        if any(n in saved for n, _ in names):
            keep.update(n for n, _ in names if n in recomputed)
    return keep


def adjoint_reads(sweep, restores):
    """Names the adjoint sweep reads, restores aside (a restored item's index is read, though:
    `x[j] = pop(_tape)`)."""
    reads = set()
    todo = list(sweep)
    while todo:
        stmt = todo.pop()
        if stmt in restores:
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript):
                reads.update(b.names_in(target.slice, gast.Load))
        elif isinstance(stmt, (gast.If, gast.For, gast.While)):
            reads.update(b.names_in(stmt.iter if isinstance(stmt, gast.For) else stmt.test, gast.Load))
            todo += stmt.body + stmt.orelse
        else:
            reads.update(b.names_in(stmt, gast.Load))
    return reads


def rows(normalized, facts, recorded, bundled):
    """One `Row` per thing the derivative records, in the function's order: the values it overwrites
    (as the builder's `should_record`, `keeps_target`, `kept_locals` decide with `recorded` as `saved`),
    and, named as the build names them (`facts`: the walker of adjoint_reads.py), a split call's record,
    a loop's trip count, the branch a loop's `if` took."""
    found = []

    def walk(stmts, loops):
        for stmt in stmts:
            found.extend(_rows_of(stmt, loops, normalized.origins, facts, recorded, bundled))
            if isinstance(stmt, (gast.For, gast.While)):
                walk(stmt.body, loops + 1)
            elif isinstance(stmt, gast.If):
                walk(stmt.body, loops)
                walk(stmt.orelse, loops)
    walk(normalized.node.body, 0)
    walk = None  # a recursive closure is a cycle: broken here, it is freed at once (no collection)
    return found


def _rows_of(stmt, loops, origins, facts, recorded, bundled):
    """The rows of one statement (its body aside)."""
    line = origins.get(stmt)
    text = (facts.parsed.line_text(line).strip() if line is not None else "") \
        or to_source(stmt).strip().splitlines()[0]  # the user's line, as `# d/dx of:` quotes it
    where = "tape" if loops else "variable"
    kept = []
    if isinstance(stmt, gast.Assign):
        target = stmt.targets[0]
        ident = target.id if isinstance(target, gast.Name) else target.value.id
        if ident in recorded and stmt not in facts.first_defs and stmt not in facts.local_assigns \
                and not facts.appending(stmt):
            indexed = isinstance(target, gast.Subscript) and loops \
                and any(n in facts.temps for n in b.names_in(target.slice, gast.Load))
            kept.append((ident if isinstance(target, gast.Name) else f"{ident}[...]" + " (and index)" * indexed,
                         where))
        call = facts.calls.get(stmt)
        if call is not None and call.recompute is None:
            kept.append((f"{call.record} (the call's record)", where))
    elif isinstance(stmt, (gast.For, gast.While)):
        if isinstance(stmt, gast.For) and stmt.target.id in facts.targets_read_outside and stmt.target.id in recorded:
            kept.append((stmt.target.id, where))
        trips = facts.trips.get(stmt)
        if trips is not None and loops:
            kept.append((f"{trips} (trip count)", where))
        bundle = [n for n, _ in facts.loop_locals.get(stmt, ()) if n in recorded or n in bundled]
        if bundle:
            kept.append((", ".join(bundle), "tape, per iteration"))
    elif isinstance(stmt, gast.If) and facts.branches.get(stmt) is not None and loops:
        kept.append((f"{facts.branches[stmt]} (the branch taken)", where))
    return [Row(line, text, what, kept_in) for what, kept_in in kept]
