"""Regenerate tests/golden/: the generated code of the functions in tests/golden_cases.py.

    python scripts/update_golden.py           # rewrite the files, say which changed
    python scripts/update_golden.py --check   # only say which differ (exit status 1 if any)

Run it after a change to the compiler that is meant to change its output, and review the diff
of tests/golden/ as part of the change: it shows what the change does to generated code.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def golden_cases():
    """tests/golden_cases.py, imported with the checkout's s2sad first on the path."""
    for folder in (ROOT / "tests", ROOT):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    import golden_cases

    return golden_cases


def main(argv):
    check = "--check" in argv
    cases = golden_cases()
    changed = []
    for name in cases.CASES:
        path = GOLDEN / f"{name}.py"
        text = cases.render(name)
        if not path.exists() or path.read_text() != text:
            changed.append(path.name)
            if not check:
                path.parent.mkdir(exist_ok=True)
                path.write_text(text)
    orphans = sorted(p for p in GOLDEN.glob("*.py") if p.stem not in cases.CASES)
    for path in orphans:
        changed.append(f"{path.name} (no such case)")
        if not check:
            path.unlink()
    verb = "differ" if check else "rewritten"
    print(f"{len(changed)} of {len(cases.CASES)} golden files {verb}" + (": " + ", ".join(changed) if changed else ""))
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
