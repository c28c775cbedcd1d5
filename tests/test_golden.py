"""Golden sources: the generated code of the functions in tests/golden_cases.py, kept in tests/golden/.

Generated code is the product, so a change to it should be seen in review. Each file in
tests/golden/ holds what `s2sad.source` prints for one case today; this test fails when the
compiler prints something else. When the change is intended, regenerate and commit the diff:

    python scripts/update_golden.py

(`--check` only lists the files that differ). An unintended diff is a bug to look at.
The files are compared under Python 3.10 and newer (3.11 and 3.13 print the same text);
Python 3.9's ast.unparse writes tuple targets in parentheses,
`(a, b) = f(x)`, so there the comparison is skipped (the other tests still run the code).
"""

import difflib
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
REGENERATE = "python scripts/update_golden.py"


def _updater():
    spec = importlib.util.spec_from_file_location("s2sad_update_golden", ROOT / "scripts" / "update_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _updater().golden_cases()


OLD_UNPARSE = pytest.mark.skipif(sys.version_info < (3, 10), reason="Python 3.9's ast.unparse parenthesizes "
                                 "tuple targets; the golden files are printed by 3.10+")


@OLD_UNPARSE
@pytest.mark.parametrize("name", list(CASES.CASES))
def test_generated_code_matches_golden(name):
    path = GOLDEN / f"{name}.py"
    assert path.exists(), f"tests/golden/{path.name} is missing: run {REGENERATE}"
    expected, actual = path.read_text(), CASES.render(name)
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"tests/golden/{path.name}", "generated now"))
        pytest.fail(f"the generated code changed (if intended: {REGENERATE}, and review the diff):\n{diff}")


def test_every_golden_file_has_a_case():
    orphans = sorted(p.name for p in GOLDEN.glob("*.py") if p.stem not in CASES.CASES)
    assert not orphans, f"golden files without a case in tests/golden_cases.py: {orphans} (run {REGENERATE})"


def test_golden_code_compiles():
    """A golden file is Python as it is printed (a header comment, then functions)."""
    for path in sorted(GOLDEN.glob("*.py")):
        compile(path.read_text(), str(path), "exec")
