"""The files CI lints stay clean: ruff runs here over the same paths `.ci/run` names, so a lint
error is seen before a submission rather than after CI fails on it."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def ruff_paths():
    """The RUFF_PATHS array of .ci/run."""
    text = (ROOT / ".ci" / "run").read_text()
    match = re.search(r"^RUFF_PATHS=\((.*)\)", text, re.MULTILINE)
    return match.group(1).split()


def ruff_command():
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    return [exe] if exe else None


def test_ci_lints_paths_that_exist():
    assert ruff_paths()
    for path in ruff_paths():
        assert (ROOT / path).exists(), path


def test_linted_paths_are_clean():
    command = ruff_command()
    if command is None:
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    done = subprocess.run(command + ["check", *ruff_paths()], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
