"""A campaign: many seeds checked, failures grouped by kind, the first few of each kind shrunk.

Invariant: `run(seeds, ...)` checks each seed's program once and returns a `Summary`; with
`out`, each shrunk failure is written there as a module that runs on its own (`ARGS` holds the
point, the header says what failed), ready to become a regression test.
"""

import collections
import os
import re
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from .check import OUTCOMES, check, forget
from .constructs import is_record, record_literal
from .generator import Program, generate
from .shrink import shrink

FAILURES = ("WRONG", "CRASH", "REFUSED", "INVALID")
SHRUNK = ("WRONG", "CRASH", "REFUSED")  # an INVALID program is the generator's bug: shrinking would empty it


@dataclass
class Summary:
    """Counts per outcome, the seeds of each failure kind, and the files written."""

    counts: collections.Counter = field(default_factory=collections.Counter)
    failures: dict = field(default_factory=dict)  # key -> [seeds]
    written: list = field(default_factory=list)
    kinks: collections.Counter = field(default_factory=collections.Counter)
    interrupted: bool = False

    @property
    def total(self):
        return sum(self.counts.values())

    def rate(self, outcome):
        return self.counts[outcome] / max(self.total, 1)

    def report(self):
        """The summary as text: one line per outcome, then one per failure kind."""
        lines = [f"programs: {self.total}" + (" (stopped by hand)" if self.interrupted else "")]
        lines += [f"  {o:8} {self.counts[o]:6d}  ({100 * self.rate(o):.2f}%)" for o in OUTCOMES]
        lines.append("kinks: " + ", ".join(f"{k} {n}" for k, n in sorted(self.kinks.items())))
        for key, seeds in sorted(self.failures.items()):
            lines.append(f"{len(seeds):6d}  {key}   seeds {' '.join(map(str, seeds[:8]))}")
        lines += [f"wrote {path}" for path in self.written]
        return "\n".join(lines)


def run(seeds, hessian=False, out=None, shrink_each=2, log=None, backend="numpy", checkpoint=None):
    """Check the program of every seed; shrink the first `shrink_each` failures of each kind into out.

    backend "numba" also checks each program's gradient under `backend="numba"`, checkpoint K its
    gradient under `checkpoint=K` (check.py)."""
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="s2sad-fuzz-") as work:
        started = time.monotonic()
        try:
            _loop(seeds, summary, work, hessian, out, shrink_each, log, started, (backend, checkpoint))
        except KeyboardInterrupt:  # a long campaign stopped by hand still reports what it saw
            summary.interrupted = True
    return summary


def _loop(seeds, summary, work, hessian, out, shrink_each, log, started, extra=("numpy", None)):
    """The campaign proper: one seed after the other, into summary; extra is (backend, checkpoint)."""
    for n, seed in enumerate(seeds):
        program = generate(seed)
        result = check(program, work, hessian, backend=extra[0], checkpoint=extra[1])
        summary.counts[result.outcome] += 1
        if result.outcome == "KINK":
            summary.kinks[result.check] += 1
        if result.outcome in FAILURES:
            found = summary.failures.setdefault(result.key, [])
            found.append(seed)
            if out and len(found) <= shrink_each and result.outcome in SHRUNK:
                summary.written.append(_shrink_and_write(program, result, work, hessian, out, *extra))
        if n % 200 == 199:
            forget()
            if log:
                log(f"{n + 1} programs, {time.monotonic() - started:.0f} s: {dict(summary.counts)}")


def _shrink_and_write(program, result, work, hessian, out, backend="numpy", checkpoint=None):
    """The failure shrunk while its key holds, written to out; returns the path."""
    key = result.key

    def fails(source):
        return check(program.with_source(source), work, hessian and "hessian" in key, timeout=5,
                     backend=backend, checkpoint=checkpoint).key == key

    small = shrink(program.source, fails)
    final = check(program.with_source(small), work, hessian and "hessian" in key, backend=backend,
                  checkpoint=checkpoint)
    os.makedirs(out, exist_ok=True)
    name = re.sub(r"[^a-z0-9_-]+", "", "_".join(key.replace(" ", "-").split(":")[:3]).lower())
    path = os.path.join(out, f"{name}_seed{program.seed}.py")
    with open(path, "w") as handle:
        handle.write(module_text(small, program.args, final, program.seed))
    return path


def module_text(source, args, result, seed):
    """A failing case as a module: what failed in its header, the point in ARGS."""
    detail = result.detail.replace("\n", " ")
    header = (f"# s2sad fuzz case (seed {seed}), shrunk: {result.key}\n"
              f"# {detail[:400]}\n"
              f"# check: python -m s2sad.fuzz --file THIS_FILE\n")
    return header + source.rstrip("\n") + f"\n\n\nARGS = {_literal(args)}\n"


def _literal(value):
    """Python source for a point: floats written exactly (repr round-trips), arrays as np.array."""
    if is_record(value):
        return record_literal(value, _literal)
    if isinstance(value, tuple):
        return "(" + "".join(_literal(v) + ", " for v in value).rstrip(" ") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, np.ndarray):
        return "np.array([" + ", ".join(repr(float(v)) for v in value.ravel()) + "])"
    return repr(float(value))


def check_file(path, hessian=True, backend="numpy", checkpoint=None):
    """Check a case written by a campaign (or by hand: a module defining f and ARGS)."""
    namespace = {}
    with open(path) as handle:
        source = handle.read()
    exec(compile(source, path, "exec"), namespace)
    with tempfile.TemporaryDirectory(prefix="s2sad-fuzz-") as work:
        return check(Program(0, source, namespace["ARGS"]), work, hessian, backend=backend, checkpoint=checkpoint)
