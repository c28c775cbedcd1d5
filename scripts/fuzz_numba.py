"""The fuzzer's programs under backend="numba": each one compiles and equals the NumPy backend, or is refused.

    python scripts/fuzz_numba.py --start 0 --count 200

The NumPy backend's gradient is the fuzzer's own checked one (s2sad.fuzz checks it against complex
steps and finite differences); here the compiled gradient must equal it (rtol 1e-9), or the
backend must raise S2SADError. Prints one line per program that is WRONG or CRASHes, then counts.
"""

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import s2sad  # noqa: E402
from s2sad.fuzz.check import flat_like, load, unload  # noqa: E402
from s2sad.fuzz.generator import generate  # noqa: E402


def compare(program, directory):
    """"compiled", "refused", "skipped" (the NumPy backend fails too), or ("WRONG" | "CRASH", detail)."""
    module = load(program.source, directory)
    try:
        wrt = tuple(range(len(program.args)))
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want_value, want = s2sad.value_and_grad(module.f, wrt=wrt)(*program.args)
        except Exception:  # noqa: BLE001  (not a case for the backend: out of range, or refused by s2sad)
            return "skipped"
        try:
            with np.errstate(all="ignore"):
                value, got = s2sad.value_and_grad(module.f, wrt=wrt, backend="numba")(*program.args)
        except s2sad.S2SADError:
            return "refused"
        except Exception as exc:  # noqa: BLE001
            return "CRASH", f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        got = np.concatenate([flat_like(g, x) for g, x in zip(got, program.args)])
        want = np.concatenate([flat_like(g, x) for g, x in zip(want, program.args)])
        if not np.allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True) or \
                not np.isclose(value, want_value, rtol=1e-12, equal_nan=True):
            return "WRONG", f"numba {got[:4]} vs numpy {want[:4]}"
        return "compiled"
    finally:
        unload(module)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args(argv)
    counts, compiled = {}, []
    with tempfile.TemporaryDirectory() as directory:
        for seed in range(args.start, args.start + args.count):
            outcome = compare(generate(seed), directory)
            if isinstance(outcome, tuple):
                print(f"seed {seed}: {outcome[0]}: {outcome[1]}", flush=True)
                outcome = outcome[0]
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome == "compiled":
                compiled.append(seed)
    print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f"; compiled seeds {compiled}")
    return 1 if counts.get("WRONG") or counts.get("CRASH") else 0


if __name__ == "__main__":
    sys.exit(main())
