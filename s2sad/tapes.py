"""`s2sad.tape_report(f, *args, wrt=0)`: what reverse mode records, per loop and per iteration, in bytes.

Reverse mode keeps, inside loops, each value the adjoint sweep reads again on a stack (`push(_tape, v)`,
runtime.py). The report runs the gradient that `grad` would run once, with every `push` and `pop` of
the generated functions counted: each push site is a line of the generated code, which `emit.py` maps
to the user's line it serves, and its enclosing loops to the user's loops. So the report says, per
loop, how many records it made, how many bytes per iteration, and which source line each serves;
then the most bytes the tapes held at once, and tracemalloc's peak of the whole gradient above the
plain call's (which also counts what is held outside the tapes: the records of calls, the adjoints).

Sizes are `sys.getsizeof` of the value (an array that owns its data: its header and data) plus the
tape's slot (8 bytes); a tuple (the record of a call) counts its items, not the stacks inside it,
whose own pushes are counted where they happen. An object already held by a record still on a tape
costs only the slot: the bytes are what the tapes hold, each object once.
"""

from __future__ import annotations

import ast
import gc
import linecache
import os
import re
import sys
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import driver, emit, runtime, shapes
from .api import _bind, _grad_derivative, every_loop_checkpointed
from .callables import entry
from .errors import S2SADError

SLOT = 8  # one pointer in the stack (a list) per record

_SCHEDULE = re.compile(r"^(?P<file>.*) \((?:schedule of the|\w+: the checkpointed) loop at line (?P<line>\d+) in ")


@dataclass
class Site:
    """One push site of the generated code: the user's line it serves and the user's loops around it."""

    filename: str
    line: object
    loops: tuple
    schedule: bool = False
    handoff: bool = False
    records: int = 0
    bytes: int = 0


@dataclass
class TapeRecords:
    """What one run of the gradient recorded: its sites, the most tape bytes held at once, the peaks."""

    name: str
    filename: str
    wrt: tuple
    sites: dict = field(default_factory=dict)
    live: int = 0
    most: int = 0
    peak: int = 0
    primal_peak: int = 0
    loop_text: dict = field(default_factory=dict)


def parts(value, out=None):
    """The objects a record holds, as (id, bytes): the value, and a tuple's items (not a stack's)."""
    out = {} if out is None else out
    if id(value) in out or value is None or isinstance(value, bool):
        return out
    out[id(value)] = sys.getsizeof(value)
    if isinstance(value, tuple):
        for item in value:
            parts(item, out)
    return out


def tape_records(f, *args, wrt=0, checkpoint=None):
    """Run f's gradient at args with its pushes and pops counted (a TapeRecords)."""
    func = entry(every_loop_checkpointed(f, checkpoint))
    if not callable(func) or not hasattr(func, "__code__"):
        raise S2SADError(f"tape_report needs a Python function, not {f!r}", construct="tape_report")
    names = driver.wrt_names(func, wrt)
    values = list(_bind(func, args, {}).values())
    primal_peak, out = _peak(func, values)
    scalar = isinstance(out, (float, np.floating))
    seed = 1.0 if scalar else _ones_like(out)
    if scalar:
        compiled = _grad_derivative(func, names, tuple(map(shapes.kind_of, values)))
    else:
        compiled = driver.derivative(func, "reverse", names, with_value=True)
    code = func.__code__
    records = TapeRecords(func.__name__, code.co_filename, names, primal_peak=primal_peak)
    with _counting(compiled.function, records):
        records.peak = _peak(compiled.function, values + [seed])[0]
    return records


def _ones_like(out):
    if isinstance(out, (tuple, list)):
        return type(out)(_ones_like(o) for o in out)
    return np.ones_like(out) if isinstance(out, np.ndarray) else 1.0


def _peak(fn, values):
    """(tracemalloc's peak while fn(*values) runs, above what was traced before, fn's result)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out = fn(*values)
        return tracemalloc.get_traced_memory()[1] - base, out
    finally:
        tracemalloc.stop()


class _counting:
    """Swap the `push` and `pop` cells of every generated function fn reaches for counting ones."""

    def __init__(self, fn, records):
        self.records = records
        self.cells = []
        self.sites = {}
        self.held = {}  # id -> how many records on the tapes hold the object (which keeps it alive)
        self.boxes = set()  # the one-item stacks of optimize/release.py's hand-offs
        seen = set()
        self._collect(fn, seen)

    def _collect(self, fn, seen):
        if id(fn) in seen:
            return
        seen.add(id(fn))
        for inner in (getattr(fn, "__s2sad_wrapped__", None), getattr(fn, "__wrapped__", None)):
            if callable(inner):
                self._collect(inner, seen)
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                content = cell.cell_contents
            except ValueError:
                continue
            if content is runtime.push:
                self.cells.append((cell, content, self.push))
            elif content is runtime.pop:
                self.cells.append((cell, content, self.pop))
            elif callable(content) and hasattr(content, "__code__"):
                self._collect(content, seen)
        for value in getattr(fn, "__globals__", {}).values() if _generated_namespace(fn) else ():
            if callable(value) and hasattr(value, "__code__"):
                self._collect(value, seen)

    def __enter__(self):
        for cell, _, counting in self.cells:
            cell.cell_contents = counting
        return self

    def __exit__(self, *exc):
        for cell, original, _ in self.cells:
            cell.cell_contents = original
        return False

    def push(self, stack, value):
        frame = sys._getframe(1)
        site = self.site(frame.f_code, frame.f_lineno)
        if site.handoff:  # optimize/release.py passing a value on, not a tape
            self.boxes.add(id(stack))
            stack.append(value)
            return
        size = SLOT
        for ident, nbytes in parts(value).items():  # an object already on a tape costs nothing more
            count = self.held.get(ident, 0)
            size += 0 if count else nbytes
            self.held[ident] = count + 1
        site.records += 1
        site.bytes += size
        self.records.live += size
        self.records.most = max(self.records.most, self.records.live)
        stack.append(value)

    def pop(self, stack):
        value = stack.pop()
        if id(stack) in self.boxes:
            return value
        size = SLOT
        for ident, nbytes in parts(value).items():
            count = self.held.pop(ident) - 1
            if count:
                self.held[ident] = count
            else:
                size += nbytes
        self.records.live -= size
        return value

    def site(self, code, lineno):
        key = (code, lineno)
        if key not in self.sites:
            self.sites[key] = self.records.sites.setdefault(key, _site(code, lineno, self.records))
        return self.sites[key]


def _generated_namespace(fn):
    """The schedule of a checkpointed loop (loops.py) is compiled into a namespace of its own."""
    return getattr(fn, "__module__", None) == "s2sad.loops"


def _relocator(code):
    """emit's line map of the generated function whose code this is (None for other code)."""
    for obj in gc.get_referrers(code):
        closure = getattr(obj, "__closure__", None)
        if getattr(obj, "__code__", None) is code and closure:
            for cell in closure:
                try:
                    if isinstance(cell.cell_contents, emit._Relocator):
                        return cell.cell_contents, obj
                except ValueError:
                    continue
    return None, None


def _site(code, lineno, records):
    """Where a push at generated line `lineno` of code serves: the user's file, line and loops."""
    relocate, fn = _relocator(code)
    if relocate is None:
        return Site(code.co_filename, None, ())
    loops = []
    lines = fn.__s2sad_source__.splitlines()
    text = lines[lineno - 2] if 0 <= lineno - 2 < len(lines) else ""  # the source's line k is the code's k + 1
    if "_handed" in text:  # a hand-off of optimize/release.py: not a tape
        return Site(code.co_filename, None, (), handoff=True)
    tree = ast.parse(fn.__s2sad_source__)
    for node in ast.walk(tree):  # the generated source's line k is the code's line k + 1
        if isinstance(node, (ast.For, ast.While)) and node.lineno + 1 < lineno <= node.end_lineno + 1:
            loops.append((node.lineno, relocate.user_lines.get(node.lineno + 1)))
    loops.sort()
    filename, line = relocate.filename, relocate.user_lines.get(lineno)
    inner = [user for _, user in loops if user is not None]
    schedule = _SCHEDULE.match(filename)
    outer = ()
    if schedule:  # a checkpointed loop's generated schedule or step: shown under the user's loop
        filename = schedule.group("file")
        checkpointed = int(schedule.group("line"))
        if "schedule of the" in relocate.filename:
            records.loop_text.setdefault((filename, checkpointed), _line_text(filename, checkpointed))
            return Site(filename, None, ((filename, checkpointed, "snapshots"),), schedule=True)
        outer, inner = ((filename, checkpointed, "checkpointed"),), inner
    user_loops = outer + tuple((filename, user, "loop") for user in inner)
    for _, user, _kind in user_loops:
        records.loop_text.setdefault((filename, user), _line_text(filename, user))
    return Site(filename, line, tuple(dict.fromkeys(user_loops)))


def _line_text(filename, line):
    return linecache.getline(filename, line).strip()


def tape_report(f: Callable[..., Any], *args: Any, wrt: int | str | Sequence[int | str] = 0,
                checkpoint: Any = None) -> str:
    """What reverse mode records for f at args, per loop and per iteration, in bytes (a str)."""
    records = tape_records(f, *args, wrt=wrt, checkpoint=checkpoint)
    return format_report(records)


def format_report(records):
    """The report's text: per loop, its records per iteration and the lines they serve."""
    wrt = ", ".join(records.wrt)
    out = [f"tape report: reverse mode of {records.name} wrt {wrt} ({os.path.basename(records.filename)})"]
    groups = {}
    for site in records.sites.values():
        if site.records:
            groups.setdefault(site.loops, []).append(site)
    if not groups:
        out.append("no loop records anything: the adjoint sweep reads only the function's own variables")
    for loops in sorted(groups, key=lambda key: [(f, line) for f, line, _ in key]):
        out += _loop_lines(records, loops, groups[loops])
    total = sum(s.bytes for s in records.sites.values())
    count = sum(s.records for s in records.sites.values())
    out.append(f"in all: {count:,} records, {total:,} bytes pushed; at most {records.most:,} bytes on the tapes"
               " at once")
    out.append(f"peak memory (tracemalloc): {records.peak:,} bytes for the gradient, "
               f"{records.primal_peak:,} bytes for the plain call")
    return "\n".join(out)


def _loop_lines(records, loops, sites):
    """A loop's heading (its turns, bytes per turn) and one line per source line its records serve."""
    if not loops:
        head, turns = "outside loops", 1
    else:
        filename, line, kind = loops[-1]
        text = records.loop_text.get((filename, line), "")
        where = " > ".join(f"line {ln}" for _, ln, _ in loops)
        turns = max(s.records for s in sites)
        if kind == "snapshots":
            total = sum(s.bytes for s in sites)
            return [f"checkpointed loop at {where} ({text}): {turns:,} snapshots of its state taken "
                    f"(recomputations included), {total:,} bytes, {total // max(turns, 1):,} bytes per snapshot"]
        head = f"loop at {where} ({text}): {turns:,} iterations"
    total = sum(s.bytes for s in sites)
    lines = [f"{head}, {total:,} bytes, {total // max(turns, 1):,} bytes per iteration"]
    by_line = {}
    for site in sites:
        entry_ = by_line.setdefault(site.line, [0, 0])
        entry_[0] += site.records
        entry_[1] += site.bytes
    for line, (count, size) in sorted(by_line.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        filename = loops[-1][0] if loops else records.filename
        label = f"line {line}" if line is not None else "the loop's bookkeeping"
        text = _line_text(filename, line) if line is not None else ""
        lines.append(f"    {label}: {size // max(count, 1):,} bytes per record, {count:,} records"
                     + (f"    {text}" if text else ""))
    return lines
