"""docs/coverage.md is generated from the rules table and must not go stale."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("gen_coverage", ROOT / "scripts" / "gen_coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_coverage_doc_is_current():
    gen = _generator()
    assert gen.DOC.read_text() == gen.render(), "docs/coverage.md is stale: run python scripts/gen_coverage.py"


def test_coverage_doc_lists_every_rule():
    gen = _generator()
    text = gen.DOC.read_text()
    for rule in gen.RULES.values():
        assert gen.display(rule) in text, rule.name
