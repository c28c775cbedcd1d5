"""`python -m s2sad.fuzz --count N --seed S [--out DIR] [--hessian] [--backend numba] [--checkpoint K]`: a campaign.

Exit status 0 when no program was WRONG or CRASHed, 1 otherwise.
"""

import argparse
import os
import signal
import sys

from .campaign import check_file, run


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m s2sad.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="how many programs (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="the first seed; program k uses seed S + k")
    parser.add_argument("--out", help="write each failure, shrunk, to this directory")
    parser.add_argument("--hessian", action="store_true", help="also check hessian against differences of grad")
    parser.add_argument("--shrink-each", type=int, default=2, help="how many failures of each kind to shrink")
    parser.add_argument("--file", help="check one case file (a module defining f and ARGS) instead")
    parser.add_argument("--backend", choices=("numpy", "numba"), default="numpy",
                        help="numba: also check grad(f, backend='numba') against the NumPy backend's gradient")
    parser.add_argument("--checkpoint", type=int, metavar="K",
                        help="also check grad(f, checkpoint=K) against the taped gradient (1e-12 relative)")
    args = parser.parse_args(argv)
    if args.file:
        result = check_file(args.file, backend=args.backend, checkpoint=args.checkpoint)
        print(f"{result.outcome} {result.key} {result.detail}")
        return 0 if result.outcome in ("OK", "KINK") else 1
    signal.signal(signal.SIGTERM, _stop)  # `kill PID` ends a campaign as Ctrl-C does: with its summary
    summary = run(range(args.seed, args.seed + args.count), args.hessian, args.out, args.shrink_each,
                  log=lambda line: print(line, file=sys.stderr, flush=True),
                  backend=args.backend, checkpoint=args.checkpoint)
    print(summary.report())
    if args.out:  # every seed of every failure kind, for a closer look later
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "failures.txt"), "w") as handle:
            for key, seeds in sorted(summary.failures.items()):
                handle.write(f"{key}\t{' '.join(map(str, seeds))}\n")
    return 1 if summary.counts["WRONG"] or summary.counts["CRASH"] else 0


def _stop(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
