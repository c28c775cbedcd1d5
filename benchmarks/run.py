"""Run the s2sad benchmarks and print one table; see benchmarks/README.md.

    python benchmarks/run.py                     # full run (7 rounds of >= 20 ms each)
    python benchmarks/run.py --quick             # smoke run (3 rounds of >= 5 ms)
    python benchmarks/run.py --only loops,mlp_helpers
    python benchmarks/run.py --markdown docs/benchmarks.md

Every workload is run in its own try: a failure of s2sad (or of a peer) on one workload
is reported in its row and the run goes on.
"""

import argparse
import contextlib
import datetime
import importlib.util
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

# One BLAS thread unless the caller says otherwise: on a shared machine a multithreaded BLAS
# competing with other processes' threads can be ten or a hundred times slower, at random.
# This must happen before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from harness import Probe, ProbeRow, Settings, compare, first_line, fmt_ratio, fmt_time, time_candidates  # noqa: E402
from peers import available  # noqa: E402

import s2sad  # noqa: E402

FAMILIES = ("compile", "straight", "loops", "spellings", "subroutines", "numpy", "gp_attention", "higher", "implicit",
            "taylor", "batching", "long")


HAVE_NUMBA = importlib.util.find_spec("numba") is not None


class Timeout(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds):
    """Raise Timeout in the main thread after seconds (a stuck candidate must not stop the run)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def fire(signum, frame):
        raise Timeout(f"took more than {seconds:.0f} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Row:
    name: str
    family: str
    notes: str
    times: dict = field(default_factory=dict)     # key -> median seconds per call
    rounds: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)    # key -> first line of the exception
    mismatch: dict = field(default_factory=dict)  # key -> why its result differs from hand-written
    targets: list = field(default_factory=list)   # (label, value or None, limit)

    def ratio(self, num, den):
        a, b = self.times.get(num), self.times.get(den)
        return a / b if a is not None and b else None


# -- collecting ----------------------------------------------------------------------------


def collect(quick):
    items = []
    for family in FAMILIES:
        module = __import__(f"workloads_{family}")
        items.extend(module.workloads(quick))
    return items


def select(items, only):
    if not only:
        return items
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    known = {i.name for i in items} | {i.family for i in items}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        sys.exit(f"--only: unknown {', '.join(unknown)}; choose from families {', '.join(FAMILIES)} "
                 f"or workloads {', '.join(i.name for i in items)}")
    return [i for i in items if i.name in wanted or i.family in wanted]


# -- running -------------------------------------------------------------------------------


def run_workload(w, peers, settings):
    row = Row(w.name, w.family, w.notes)
    limit = 60.0 if settings.quick else 180.0
    candidates = {"primal": w.primal, "hand": w.hand}
    try:
        want = w.hand(*w.args)
    except Exception as exc:  # noqa: BLE001  (a broken hand-written gradient is reported, not fatal)
        row.errors["hand"] = first_line(exc, ROOT)
        want = None
        del candidates["hand"]

    def prepare(key, build, check=True):
        try:
            with deadline(limit):
                fn = build()
                got = fn(*w.args)  # warm-up: compiles, fills caches, gives the value checked
        except Exception as exc:  # noqa: BLE001  (any failure is a row entry, not a crash)
            row.errors[key] = first_line(exc, ROOT)
            return
        if check and want is not None:
            why = compare(got, want)
            if why:
                row.mismatch[key] = why
        candidates[key] = fn

    prepare("s2sad", w.s2sad or (lambda: s2sad.grad(w.primal, w.wrt)))
    if w.s2sad is None and HAVE_NUMBA:  # a plain gradient: the same one compiled by numba (issue 18)
        prepare("numba", lambda: s2sad.grad(w.primal, w.wrt, backend="numba"))
    for key, build in w.extra.items():
        prepare(key, build, check=False)
    if w.peer is not None:
        for peer in peers:
            if peer.name in w.skip:
                row.errors[peer.name] = f"skipped ({w.skip[peer.name]})"
                continue
            if w.peer == "grad":
                def build(peer=peer):
                    return peer.finish(peer.grad(peer.rebind(w.primal), w.wrt), w.args)
            else:
                def build(peer=peer):
                    return peer.finish(w.peer(peer), w.args)
            prepare(peer.name, build)
    try:
        with deadline(limit * 2):
            row.times, row.rounds = time_candidates(candidates, w.args, settings)
    except Timeout as exc:
        row.errors["timing"] = str(exc)
    for t in w.targets:
        # a target is judged only on a correct gradient: the speed of a wrong one means nothing
        value = None if t.num in row.mismatch or t.den in row.mismatch else row.ratio(t.num, t.den)
        row.targets.append((t.label, value, t.limit))
    return row


def run_probe(p, settings):
    try:
        with deadline(120.0 if settings.quick else 300.0):
            return p.run(settings)
    except Exception as exc:  # noqa: BLE001
        return [ProbeRow(p.name, "", None, "", None, "unsupported: " + first_line(exc, ROOT))]


# -- reporting -----------------------------------------------------------------------------


def target_cell(targets):
    parts = []
    for label, value, limit in targets:
        mark = "n/a" if value is None else ("✓" if value <= limit else "✗")
        parts.append(f"{label} ≤ {limit:g} {mark}")
    return "; ".join(parts)


def check_cell(row, peer_names):
    if "s2sad" in row.errors:
        return "—"
    if "hand" in row.errors:
        return "unchecked"
    cell = f"WRONG ({row.mismatch['s2sad']})" if "s2sad" in row.mismatch else "ok"
    for name in peer_names:
        if name in row.mismatch:
            cell += f"; {name}≠hand"
    return cell


def notes_cell(row, peer_names):
    parts = []
    if "s2sad" in row.errors:
        parts.append(f"unsupported: {row.errors['s2sad']}")
    parts.append(row.notes)
    for key, err in row.errors.items():
        if key == "numba":
            parts.append(f"numba refused: {err}")
        elif key != "s2sad":
            parts.append(f"{key} {err}" if err.startswith("skipped") else f"{key} failed: {err}")
    for key, why in row.mismatch.items():
        if key != "s2sad":
            parts.append(f"{key} differs from hand-written: {why}")
    for key in row.times:
        if key not in ("primal", "s2sad", "hand", "numba") and key not in peer_names:
            parts.append(f"{key} {fmt_time(row.times[key])}")
    cut = [r for k, r in row.rounds.items() if r < max(row.rounds.values())]
    if cut:
        parts.append(f"slow candidates timed over {min(cut)} rounds")
    return "; ".join(p for p in parts if p)


def main_table(rows, peer_names):
    numba = ["numba", "numba/hand"] if HAVE_NUMBA else []
    headers = ["workload", "primal", "s2sad", "hand", *peer_names, "s2sad/primal", "s2sad/hand", *numba,
               *[f"{p}/s2sad" for p in peer_names], "check", "targets", "notes"]
    body = []
    for r in rows:
        s2 = "unsupported" if "s2sad" in r.errors else fmt_time(r.times.get("s2sad"))
        peers = [fmt_time(r.times.get(p)) if p in r.times else
                 ("skipped" if r.errors.get(p, "").startswith("skipped") else "error" if p in r.errors else "—")
                 for p in peer_names]
        compiled = [] if not numba else [
            "refused" if "numba" in r.errors else fmt_time(r.times.get("numba")) if "numba" in r.times else "—",
            fmt_ratio(r.ratio("numba", "hand"))]
        body.append([r.name, fmt_time(r.times.get("primal")), s2, fmt_time(r.times.get("hand")), *peers,
                     fmt_ratio(r.ratio("s2sad", "primal")), fmt_ratio(r.ratio("s2sad", "hand")), *compiled,
                     *[fmt_ratio(r.ratio(p, "s2sad")) for p in peer_names],
                     check_cell(r, peer_names), target_cell(r.targets), notes_cell(r, peer_names)])
    return headers, body


def probe_table(rows):
    headers = ["measurement", "metric", "value", "target", "met", "notes"]
    body = []
    for r in rows:
        value = "unsupported" if r.value is None else f"{r.value:.3g} {r.unit}"
        target = "" if r.limit is None else f"≤ {r.limit:g} {r.unit}"
        met = "" if r.limit is None or r.value is None else ("✓" if r.value <= r.limit else "✗")
        body.append([r.name, r.metric, value, target, met, r.notes])
    return headers, body


def text_table(headers, body, wrap=None):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *body)]
    if wrap:  # the last column (notes) may be long: leave it unpadded
        widths[-1] = 0
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths[:-1]] + ["-----"])] + [line(b) for b in body])


def md_table(headers, body):
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(esc(c) for c in b) + " |" for b in body]
    return "\n".join(out)


def machine_info(peers, missing):
    info = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "s2sad": f"{s2sad.__version__} ({git_revision()})",
        "platform": f"{platform.system()} {platform.machine()}, {cpu_name()}, {os.cpu_count()} CPUs",
        "BLAS threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
    }
    for p in peers:
        info[p.name] = p.version or "installed"
    for name, why in missing.items():
        info[name] = why
    return info


def git_revision():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "s2sad"], cwd=ROOT, capture_output=True,
                               text=True, timeout=10).stdout.strip()
        return f"git {rev}{' + uncommitted changes to s2sad/' if dirty else ''}" if rev else "no git"
    except Exception:  # noqa: BLE001
        return "no git"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def findings(rows, probes):
    """[(title, [(workload, what)])]: wrong gradients, unsupported workloads, targets missed."""
    unsupported = [(r.name, r.errors["s2sad"]) for r in rows if "s2sad" in r.errors]
    unsupported += [(p.name, p.notes) for p in probes if p.value is None]
    wrong = [(r.name, r.mismatch["s2sad"]) for r in rows if "s2sad" in r.mismatch]
    wrong += [(r.name, f"backend='numba': {r.mismatch['numba']}") for r in rows if "numba" in r.mismatch]
    missed = [(r.name, f"{label} = {value:.2f} > {limit:g}") for r in rows for label, value, limit in r.targets
              if value is not None and value > limit]
    missed += [(p.name, f"{p.value:.3g} {p.unit} > {p.limit:g} {p.unit}") for p in probes
               if p.value is not None and p.limit is not None and p.value > p.limit]
    return [("Wrong gradients (s2sad differs from hand-written)", wrong),
            ("Unsupported by s2sad", unsupported), ("Targets missed", missed)]


def summary(rows, probes):
    lines = []
    for title, items in findings(rows, probes):
        lines.append(f"{title}: none" if not items else f"{title}:")
        lines += [f"  - {name}: {what}" for name, what in items]
    return "\n".join(lines)


def summary_markdown(rows, probes):
    parts = []
    for title, items in findings(rows, probes):
        parts.append(f"**{title}:** none" if not items else
                     f"**{title}:**\n\n" + "\n".join(f"- `{name}`: {what}" for name, what in items))
    return "\n\n".join(parts)


def numba_section(rows):
    """The markdown lines saying what the numba columns are, when this run has them."""
    if not any("numba" in r.times or "numba" in r.errors for r in rows):
        return []
    compiled = sum("numba" in r.times for r in rows)
    refused = sum("numba" in r.errors for r in rows)
    return ["## Compiled backend (numba)", "",
            "`numba` is the same gradient with `s2sad.grad(f, backend=\"numba\")` ([the numba backend](numba.md)),",
            "timed in the same rounds; `numba/hand` its ratio to the hand-written gradient (issue 18's target for the",
            "scalar loops: ≤ 0.25). `refused`: the backend raised `S2SADError` (the reason is in the notes).",
            f"In this run {compiled} workloads compiled and {refused} were refused. First calls (transform and",
            "numba compile) are the `numba_first_compile_*` rows below.", ""]


def write_markdown(path, command, info, settings, rows, probes, peer_names, elapsed):
    headers, body = main_table(rows, peer_names)
    pheaders, pbody = probe_table(probes)
    rounds = f"medians of {settings.repeats} rounds, each of at least {settings.min_time * 1e3:g} ms"
    text = [
        "# Benchmarks",
        "",
        f"Generated by `{command}` (see `benchmarks/README.md` for what each column means).",
        "",
        f"Times are per call, {rounds} (a slow candidate gets fewer rounds, as noted); the rounds of a",
        "row's candidates are interleaved, and every ratio is measured in this one run. The machine is",
        "shared and noisy: read the ratios, not the absolute times. `check` says whether s2sad's result",
        "equals the hand-written derivative (`np.allclose`, rtol 1e-6).",
        "",
        "Machine and versions:",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## Derivatives",
        "",
        md_table(headers, body),
        "",
        *numba_section(rows),
        "## Compiler costs and memory",
        "",
        md_table(pheaders, pbody),
        "",
        "## Summary",
        "",
        summary_markdown(rows, probes),
        "",
        f"Total run time {elapsed:.0f} s.",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(text))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 rounds of >= 5 ms")
    parser.add_argument("--only", metavar="NAME[,NAME]", help="workloads or families (" + ", ".join(FAMILIES) + ")")
    parser.add_argument("--markdown", metavar="PATH", help="also write the tables and machine info to PATH")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    args = parser.parse_args(argv)
    settings = (Settings(repeats=3, min_time=0.005, budget=1.0, quick=True) if args.quick
                else Settings(repeats=7, min_time=0.020, budget=6.0))
    items = select(collect(args.quick), args.only)
    if args.list:
        for i in items:
            print(f"{i.family:12} {i.name:24} {getattr(i, 'notes', '')}")
        return 0
    peers, missing = available()
    peer_names = [p.name for p in peers]
    info = machine_info(peers, missing)
    print("Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    start = time.perf_counter()
    rows, probes = [], []
    for item in items:
        t0 = time.perf_counter()
        print(f"  {item.family}/{item.name} ...", end="", file=sys.stderr, flush=True)
        if isinstance(item, Probe):
            probes.extend(run_probe(item, settings))
        else:
            rows.append(run_workload(item, peers, settings))
        print(f" {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - start
    print()
    print(f"Per-call times, medians of {settings.repeats} interleaved rounds of >= {settings.min_time * 1e3:g} ms; "
          "ratios from this run. peer/s2sad > 1: s2sad is faster.")
    if rows:
        print(text_table(*main_table(rows, peer_names), wrap=True))
        print()
    if probes:
        print(text_table(*probe_table(probes), wrap=True))
        print()
    print(summary(rows, probes))
    print(f"\nTotal {elapsed:.0f} s." + (f" Peers not run: {', '.join(f'{k} ({v})' for k, v in missing.items())}."
                                        if missing else ""))
    if args.markdown:
        path = os.path.abspath(args.markdown)
        command = " ".join(["python benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])])
        write_markdown(path, command, info, settings, rows, probes, peer_names, elapsed)
        print(f"Wrote {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
