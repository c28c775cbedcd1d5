"""Every example runs as `python examples/NAME.py` and prints the numbers it promises."""

import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name, *args, cwd=None):
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                            cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def number(pattern, text):
    """The float captured by pattern's first group in text."""
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in output:\n{text}"
    return float(match.group(1))


def test_every_example_is_tested():
    tested = {name[len("test_"):] + ".py" for name in globals() if name.startswith("test_")}
    assert {path.name for path in EXAMPLES.glob("*.py")} <= tested


def test_first_gradient():
    out = run("first_gradient.py")
    assert number(r"dz/dx1 = (\S+)", out) == pytest.approx(3.0 + math.cos(2.0), abs=1e-6)
    assert number(r"dz/dx2 = (\S+)", out) == pytest.approx(2.0, abs=1e-6)
    assert "def z_jvp(x1, x2, x1_dot, x2_dot):" in out and "def z_vjp(x1, x2, z_bar=1.0):" in out


def test_lecture_z():
    out = run("lecture_z.py")
    assert number(r"dz/dx1 = (\S+)", out) == pytest.approx(3.0 + math.cos(2.0), abs=1e-6)
    assert number(r"dz/dx2 = (\S+)", out) == pytest.approx(2.0, abs=1e-6)
    gradient = re.search(r"gradient = \((\S+), (\S+)\)", out)
    assert float(gradient.group(1)) == pytest.approx(3.0 + math.cos(2.0), abs=1e-6)
    side_by_side = next(line for line in out.splitlines() if line.startswith("def z_jvp"))
    assert "def z_vjp(x1, x2, z_bar=1.0):" in side_by_side  # the two modes on one line


def test_logistic_map():
    out = run("logistic_map.py")
    assert number(r"dv/dx = (\S+)", out) == pytest.approx(number(r"by hand (\S+)", out), rel=1e-12)
    assert "_tape" in out
    rows = {int(line.split()[0]): [float(v) for v in line.split()[1:]]
            for line in out.splitlines() if re.match(r"\s*\d+\s+-?\d", line)}
    assert sorted(rows) == [1, 5, 10, 20, 30, 40]
    for reverse, forward, hand, _ in rows.values():
        assert reverse == pytest.approx(hand, rel=1e-9) and forward == pytest.approx(hand, rel=1e-9)
    assert rows[5][3] == pytest.approx(rows[5][2], rel=1e-6)  # differences agree while n is small
    assert abs(rows[40][3] - rows[40][2]) > 1e3 * abs(rows[40][3])  # and are useless at n = 40


def test_lecture_log():
    out = run("lecture_log.py")
    assert number(r"y_dot = (\S+)", out) == pytest.approx(5.5, abs=1e-4)
    gradient = re.search(r"\(x1_bar, x2_bar\) = \((\S+), (\S+)\)", out)
    assert float(gradient.group(1)) == pytest.approx(5.5, abs=1e-4)
    assert float(gradient.group(2)) == pytest.approx(2 - math.cos(5.0), abs=1e-4)
    assert "log_x1 = math.log(x1)" in out


def test_lorenz_fit():
    out = run("lorenz_fit.py")
    fitted = re.search(r"fitted parameters sigma = (\S+)  rho = (\S+)  beta = (\S+)", out)
    assert [float(v) for v in fitted.groups()] == pytest.approx([10.0, 28.0, 8.0 / 3.0], rel=5e-3)
    start = re.search(r"s2sad \[(.*)\]  finite differences \[(.*)\]", out)
    assert [float(v) for v in start.group(1).split()] == pytest.approx([float(v) for v in start.group(2).split()],
                                                                       rel=1e-5)
    assert number(r"gradients in (\S+) s", out) < 10.0


def test_mlp():
    out = run("mlp.py")
    assert number(r"s2sad (\S+)  finite difference", out) == pytest.approx(
        number(r"finite difference (\S+)", out), abs=1e-7)
    assert number(r"test accuracy on 400 new points: (\S+)", out) > 0.9
    losses = [float(line.split()[1]) for line in out.splitlines() if re.match(r"\s+\d+\s+\d\.\d{4}\s", line)]
    assert len(losses) == 6 and losses[-1] < 0.5 * losses[0]
    assert "def loss_vjp(W1, b1, W2, b2, X, labels, loss_bar=1.0):" in out


def test_ode_taylor(tmp_path):
    out = run("ode_taylor.py", str(tmp_path / "ode.png"), cwd=tmp_path)
    assert "def lorenz_jet(x, y, z, x_ser, y_ser, z_ser):" in out
    second = re.search(r"x'' at .*: jet \[(.*)\]  by hand \[(.*)\]", out)
    assert [float(v) for v in second.group(1).split()] == pytest.approx([float(v) for v in second.group(2).split()],
                                                                          rel=1e-12)
    third = re.search(r"x''' at .*: jet \[(.*)\]  differences \[(.*)\]", out)
    assert [float(v) for v in third.group(1).split()] == pytest.approx([float(v) for v in third.group(2).split()],
                                                                         rel=1e-5)
    assert len(re.findall(r"K = \d: R_K = ", out)) == 8
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "ode.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_derivatives(tmp_path):
    out = run("plot_derivatives.py", str(tmp_path / "plots"), cwd=tmp_path)
    assert number(r"max \|s2sad.grad\(sin\) - cos\| on 200 points: (\S+)", out) < 1e-12
    assert [float(v) for v in re.findall(r"max error (\S+)", out)] == pytest.approx([0.0] * 4, abs=1e-9)
    assert "at x = 1.5: x**3 and its derivatives = [3.375, 6.75, 9.0, 6.0]" in out
    if importlib.util.find_spec("matplotlib") is None:
        assert "matplotlib is not installed" in out
        pytest.skip("matplotlib is not installed: the values were checked, the plots were not drawn")
    for name in ("sin_derivative.png", "cube_derivatives.png"):
        png = tmp_path / "plots" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_implicit_layer():
    out = run("implicit_layer.py")
    assert number(r"implicit (\S+),", out) == pytest.approx(number(r"finite differences (\S+)", out), rel=1e-7)
    losses = [float(v) for v in re.findall(r"loss (\S+)", out)]
    assert len(losses) == 11 and losses[-1] < 0.5 * losses[0]


def test_bilevel(tmp_path):
    pytest.importorskip("scipy")
    out = run("bilevel.py", str(tmp_path / "plots"), cwd=tmp_path)
    assert number(r"dL/dlam = (\S+),", out) == pytest.approx(number(r"closed form (\S+)", out), rel=1e-7)
    assert number(r"max \|s2sad - closed form\| over 30 strengths: (\S+)", out) < 1e-6
    if importlib.util.find_spec("matplotlib") is None:
        assert "matplotlib is not installed" in out
        pytest.skip("matplotlib is not installed: the values were checked, the plot was not drawn")
    png = tmp_path / "plots" / "bilevel.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_hypergradient(tmp_path):
    out = run("hypergradient.py", str(tmp_path / "plots"), "--steps", "200", cwd=tmp_path)
    fd = (number(r"finite differences:  dL/dlr = (\S+)", out), number(r"finite differences: .* dL/ddecay = (\S+)", out))
    for name in ("tape", "checkpointed", "reversible"):
        got = (number(rf"{name}:  dL/dlr = (\S+)", out), number(rf"{name}: .* dL/ddecay = (\S+)", out))
        assert got == pytest.approx(fd, rel=1e-5)
        assert number(rf"{name}: .*finite differences (\S+)", out) < 1e-5
    assert "the inversion drifted, so the gradient was computed again with checkpoints" in out
    assert "reversible over 50 steps: the inversion held" in out
    assert number(r"over 50 steps: .* from the tape (\S+)", out) < 1e-12
    tape = [float(v) for v in re.findall(r"\d+: (\d+)", out.split("tape: ")[-1].splitlines()[0])]
    checkpointed = [float(v) for v in re.findall(r"\d+: (\d+)", out.split("checkpointed: ")[-1].splitlines()[0])]
    assert tape[-1] > 3 * tape[0] and checkpointed[-1] < 2 * checkpointed[0]  # linear against logarithmic
    if importlib.util.find_spec("matplotlib") is None:
        assert "matplotlib is not installed" in out
        pytest.skip("matplotlib is not installed: the values were checked, the plot was not drawn")
    png = tmp_path / "plots" / "hypergradient_memory.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_distributed_regression():
    try:
        import dask.distributed  # noqa: F401
    except ImportError as exc:  # not installed, or a release that does not match dask's
        pytest.skip(f"dask.distributed does not import ({exc}): distributed must be installed, the release "
                    "matching dask's (pip install 's2sad[test]')")
    out = run("distributed_regression.py", "--rows", "20000", "--chunk-rows", "5000", "--workers", "1")
    assert "lazy gradient: dask.array.core.Array" in out and "dashboard: http" in out
    assert number(r"max relative difference from X\^T \(X w - y\) / n: (\S+)", out) < 1e-4
    losses = [float(v) for v in re.findall(r"step \d: loss (\S+)", out)]
    assert len(losses) == 3 and losses[-1] < 0.1 * losses[0]
