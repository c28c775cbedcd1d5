"""The command line: dump prints code; -o writes a module that runs on its own."""

import importlib.util
import subprocess
import sys
import textwrap

import numpy as np

import s2sad

SOURCE = textwrap.dedent('''
    import numpy as np

    def z(x1, x2):
        return x1 * x2 + np.sin(x1)

    if __name__ == "__main__":
        print("main block")
''')


def run(*args):
    return subprocess.run([sys.executable, "-m", "s2sad", *args], capture_output=True, text=True)


def test_dump_prints_reverse_code(tmp_path):
    path = tmp_path / "demo.py"
    path.write_text(SOURCE)
    result = run("dump", str(path), "--wrt", "x1,x2")
    assert result.returncode == 0, result.stderr
    assert "def z_vjp(x1, x2, z_bar=1.0):" in result.stdout


def test_dump_to_a_module_that_runs_alone(tmp_path):
    path = tmp_path / "demo.py"
    path.write_text(SOURCE)
    out = tmp_path / "demo_grad.py"
    result = run("dump", str(path), "--mode", "both", "--wrt", "x1,x2", "-o", str(out))
    assert result.returncode == 0, result.stderr
    spec = importlib.util.spec_from_file_location("demo_grad", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dumped = module.z_vjp(2.0, 3.0)
    in_process = s2sad.grad(module.z, wrt=(0, 1))(2.0, 3.0)
    np.testing.assert_allclose(dumped, in_process)
    assert module.z_jvp(2.0, 3.0, 1.0, 0.0)[1] == in_process[0]


def test_dump_anf_stage(tmp_path):
    path = tmp_path / "demo.py"
    path.write_text(SOURCE)
    result = run("dump", str(path), "--stage", "anf")
    assert "x1_times_x2 = x1 * x2" in result.stdout


def test_errors_are_one_line_and_nonzero(tmp_path):
    result = run("dump", str(tmp_path / "missing.py"))
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "missing.py" in result.stderr
    path = tmp_path / "demo.py"
    path.write_text(SOURCE)
    result = run("dump", str(path), "--function", "nope")
    assert result.returncode != 0 and "nope" in result.stderr
