"""docs/coverage.md is generated from the rules table and must not go stale.

Which rules exist depends on the Python and NumPy versions (`math.cbrt` is new in Python
3.11), so the doc records the versions it was generated under and is compared only under
those; elsewhere the tests skip and say why. CI sets S2SAD_STRICT_DOCS for its main Python,
where a version mismatch fails instead: the doc must then be regenerated.
"""

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("gen_coverage", ROOT / "scripts" / "gen_coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _doc_for_these_versions(gen):
    """The doc's text, if it was generated under the running Python and NumPy; else skip (or fail when strict)."""
    text = gen.DOC.read_text()
    recorded = gen.recorded_versions(text)
    if recorded != gen.versions():
        reason = f"docs/coverage.md was generated under {recorded}, this is {gen.versions()}"
        if os.environ.get("S2SAD_STRICT_DOCS"):
            pytest.fail(f"{reason}: run python scripts/gen_coverage.py under this Python")
        pytest.skip(f"{reason}; the rules table differs between versions")
    return text


def test_coverage_doc_is_current():
    gen = _generator()
    text = _doc_for_these_versions(gen)
    assert text == gen.render(), "docs/coverage.md is stale: run python scripts/gen_coverage.py"


def test_coverage_doc_lists_every_rule():
    gen = _generator()
    text = _doc_for_these_versions(gen)
    for rule in gen.RULES.values():
        assert gen.display(rule) in text, rule.name
