"""Every ```python block in README.md and docs/*.md runs here, so the docs cannot say what is false.

A block is one of three kinds:

* **live**: after a snippet marker (`<!-- define: ... -->`, `<!-- run: ... -->`, `raises`, `shell`,
  `markdown`; see docs/_hooks/snippets.py). `snippets.refresh` runs the page's markers, as
  `mkdocs build` does; a marker that fails fails the test. The page must also be up to date, i.e.
  hold what its markers print now (checked under the Python and NumPy that docs/coverage.md was
  generated under, since reprs differ between versions; strict under S2SAD_STRICT_DOCS): if not,
  run `python docs/_hooks/snippets.py` and review the diff.
* **plain**: no marker. The page's plain blocks run in order, as files of their own, in one fresh
  namespace per page (a later block sees an earlier one's names). A top-level expression with a
  value in its comment, `s2sad.grad(f)(2.0)   # (2.58..., 2.0)`, is checked against that value
  (`...` stands for further digits).
* **not run**: after `<!-- norun: REASON -->`, kept rare (at most MAX_NORUN in all). A reason of
  the form "excerpt of PATH" promises that the block's `def` lines appear in the files under PATH,
  and that is checked.
"""

import ast
import importlib.util
import os
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
LIVE = re.compile(r"<!-- (define|run|raises|shell|markdown): .*? -->\s*$")
NORUN = re.compile(r"<!-- norun: (.+?) -->\s*$")
REQUIRES = re.compile(r"<!-- requires: (\w+) -->")  # a page whose plain blocks need an optional package
MAX_NORUN = 3


def _load(name, path):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def snippets():
    return _load("s2sad_docs_snippets", ROOT / "docs" / "_hooks" / "snippets.py")


def python_blocks(page):
    """(kind, line, code, reason) for each ```python block of the page: kind is live, plain or norun."""
    text = page.read_text()
    for match in FENCE.finditer(text):
        if match.group(1) != "python":
            continue
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        line = text.count("\n", 0, match.start()) + 1
        norun = NORUN.match(before)
        if LIVE.match(before):
            yield "live", line, match.group(2), None
        elif norun:
            yield "norun", line, match.group(2), norun.group(1)
        else:
            yield "plain", line, match.group(2), None


def _ids(pages):
    return [p.relative_to(ROOT).as_posix() for p in pages]


# -- live blocks ------------------------------------------------------------------------------------


def _docs_versions_match():
    """Whether this Python and NumPy are the ones the docs were generated under (see docs/coverage.md)."""
    gen = _load("s2sad_gen_coverage", ROOT / "scripts" / "gen_coverage.py")
    recorded = gen.recorded_versions(gen.DOC.read_text())
    return recorded == gen.versions(), f"the docs were generated under {recorded}, this is {gen.versions()}"


LIVE_PAGES = [p for p in PAGES if any(LIVE.match(line) for line in p.read_text().splitlines())]


@pytest.mark.parametrize("page", LIVE_PAGES, ids=_ids(LIVE_PAGES))
def test_live_blocks_run_and_are_current(page):
    text = page.read_text()
    before = set(sys.modules)
    try:
        fresh = snippets().refresh(text, page.name)  # raises SnippetError when a marker fails
    finally:  # the page's define blocks were imported as top-level modules (model, rules, ...)
        for name in set(sys.modules) - before:
            if "s2sad-docs-" in str(getattr(sys.modules[name], "__file__", "")):
                del sys.modules[name]
    if fresh == text:
        return
    same, why = _docs_versions_match()
    if not same and not os.environ.get("S2SAD_STRICT_DOCS"):
        pytest.skip(f"{page.name} differs from what its snippets print here, but {why}")
    stale = [line for line in fresh.splitlines() if line not in text.splitlines()][:5]
    pytest.fail(f"{page.name} is stale (run python docs/_hooks/snippets.py and review the diff); "
                f"new lines include: {stale}")


# -- plain blocks -----------------------------------------------------------------------------------


def _plain(value):
    """value with NumPy scalars as Python numbers and arrays as lists, for comparing with a comment."""
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _value_comment(comment):
    """The comment's text if it states a value (a Python literal, `...` allowed for more digits), else None."""
    try:
        ast.literal_eval(comment.replace("...", "0"))
    except (ValueError, SyntaxError):
        return None
    return comment


def check_value(actual, expected, where):
    actual = _plain(actual)
    if "..." in expected:
        pattern = re.escape(expected).replace(re.escape("..."), r"\d*")
        assert re.fullmatch(pattern, repr(actual)), f"{where}: the comment says {expected}, the code gives {actual!r}"
        return
    wanted = ast.literal_eval(expected)
    assert np.shape(actual) == np.shape(wanted), f"{where}: the comment says {expected}, the code gives {actual!r}"
    assert np.allclose(np.asarray(actual, dtype=float), np.asarray(wanted, dtype=float), rtol=1e-12, atol=0), (
        f"{where}: the comment says {expected}, the code gives {actual!r}")


def with_value_checks(code, where):
    """code with each one-line top-level expression `EXPR  # VALUE` turned into a check of that value."""
    lines = code.splitlines()
    for node in ast.parse(code).body:
        if not isinstance(node, ast.Expr) or node.lineno != node.end_lineno:
            continue
        line = lines[node.lineno - 1]
        comment = line[node.end_col_offset:].strip()
        if not comment.startswith("#"):
            continue
        expected = _value_comment(comment[1:].strip())
        if expected is not None:
            expr = line[node.col_offset:node.end_col_offset]
            lines[node.lineno - 1] = f"__check_value__({expr}, {expected!r}, {f'{where}:{node.lineno}'!r})"
    return "\n".join(lines) + "\n"


PLAIN_PAGES = [p for p in PAGES if any(kind == "plain" for kind, *_ in python_blocks(p))]


@pytest.mark.parametrize("page", PLAIN_PAGES, ids=_ids(PLAIN_PAGES))
def test_plain_blocks_run(page, tmp_path, monkeypatch):
    for package in REQUIRES.findall(page.read_text()):
        pytest.importorskip(package, reason=f"{page.name}'s blocks need {package}, an optional extra")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for number, (kind, line, code, _) in enumerate(python_blocks(page)):
        if kind != "plain":
            continue
        where = f"{page.name}:{line}"
        path = tmp_path / f"block{number}.py"
        path.write_text(with_value_checks(code, where))  # a file, so s2sad can read the functions' source
        module = types.ModuleType(f"docs_block{number}")
        module.__file__ = str(path)
        module.__dict__.update(namespace)
        module.__dict__["__check_value__"] = check_value
        monkeypatch.setitem(sys.modules, module.__name__, module)
        exec(compile(path.read_text(), str(path), "exec"), module.__dict__)  # noqa: S102 (the docs' own code)
        namespace.update({k: v for k, v in vars(module).items() if not k.startswith("__")})


def test_value_comments_are_found():
    """The check above sees the README's gradient comment (so a value comment cannot go unchecked)."""
    code = 's2sad.grad(z)(2.0, 3.0)     # (2.58..., 2.0)\nx = 1  # not an expression\nf(x)  # prose, not a value\n'
    checked = with_value_checks(code, "page")
    assert checked.splitlines()[0] == "__check_value__(s2sad.grad(z)(2.0, 3.0), '(2.58..., 2.0)', 'page:1')"
    assert checked.splitlines()[1:] == code.splitlines()[1:]
    check_value((np.float64(2.5838), 2.0), "(2.58..., 2.0)", "page")
    with pytest.raises(AssertionError):
        check_value((2.6, 2.0), "(2.58..., 2.0)", "page")
    with pytest.raises(AssertionError):
        check_value(np.array([1.0, 2.0]), "[1.0, 2.5]", "page")


# -- blocks not run ---------------------------------------------------------------------------------


def test_blocks_not_run_are_rare_and_excerpts_are_real():
    norun = [(page, line, code, reason) for page in PAGES
             for kind, line, code, reason in python_blocks(page) if kind == "norun"]
    assert len(norun) <= MAX_NORUN, f"too many <!-- norun --> blocks: {[(p.name, line) for p, line, *_ in norun]}"
    for page, line, code, reason in norun:
        excerpt = re.match(r"excerpt of (\S+)", reason)
        if not excerpt:
            continue
        source = "\n".join(p.read_text() for p in sorted((ROOT / excerpt.group(1)).glob("**/*.py")))
        for def_line in (s.strip() for s in code.splitlines() if s.startswith("def ")):
            assert def_line in source, f"{page.name}:{line}: `{def_line}` is not in {excerpt.group(1)}"


def test_every_python_block_is_accounted_for():
    """Each page's python blocks are live, plain (run above) or norun: nothing else is skipped."""
    kinds = {kind for page in PAGES for kind, *_ in python_blocks(page)}
    assert kinds <= {"live", "plain", "norun"}
    assert any(kind == "plain" for kind, *_ in python_blocks(ROOT / "README.md"))
