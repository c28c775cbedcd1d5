"""`import s2sad` loads the package and its error class only (issue 18: import time); the public
names import their modules on first use, and a submodule never hides the public function of its
name (`s2sad.implicit`, `s2sad.linearize`)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROGRAM = """
import sys
import s2sad
loaded = sorted(m for m in sys.modules if m.startswith("s2sad"))
assert loaded == ["s2sad", "s2sad.errors"], loaded
assert "numpy" not in sys.modules
import s2sad.implicit, s2sad.linearize  # the modules, imported as such
assert callable(s2sad.implicit) and s2sad.implicit.__module__ == "s2sad.implicit"
assert callable(s2sad.linearize) and s2sad.linearize.__module__ == "s2sad.linearize"
assert "s2sad.implicit_second" in sys.modules  # implicit's second-order rules come with it
from s2sad import grad, hessian, S2SADError
assert s2sad.driver.__name__ == "s2sad.driver"
try:
    s2sad.no_such_name
except AttributeError:
    pass
else:
    raise AssertionError("s2sad.no_such_name")
print("ok")
"""


def test_import_s2sad_loads_nothing_of_the_compiler_and_keeps_public_names():
    done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
