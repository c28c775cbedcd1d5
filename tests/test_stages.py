"""s2sad.source(f, stage=...): every stage of the pipeline prints its output."""

import numpy as np
import pytest

import s2sad
from s2sad.errors import S2SADError


def square_loop(x, n):
    y = x * 2.0
    for i in range(n):
        y = np.sin(y) * x
    return np.sum(y)


def plain(x):
    return x * x + 1.0


def test_parse_stage_prints_the_function_as_read():
    assert s2sad.source(plain, stage="parse") == "def plain(x):\n    return x * x + 1.0\n"


def test_anf_stage_names_every_intermediate():
    assert s2sad.source(plain, stage="anf") == (
        "def plain(x):\n    x_times_x = x * x\n    plain = x_times_x + 1.0\n    return plain\n")


def test_analyses_stage_is_a_table():
    table = s2sad.source(square_loop, stage="analyses")
    lines = table.splitlines()
    assert lines[0] == "# analyses of square_loop with respect to x (reverse mode)"
    assert lines[1].split() == ["name", "varied", "useful", "active", "overwritten", "adjoint", "reads",
                                "recorded", "recomputed", "stack"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:]}
    assert set(rows) == {"square_loop", "i", "n", "sin_y", "x", "y"}
    assert rows["y"] == ["x", "x", "x", "x", "x", "x", ".", "."]  # overwritten in the loop and read back: recorded
    assert rows["n"][:3] == [".", ".", "."] and rows["i"] == ["."] * 8
    assert rows["sin_y"][6] == "x"  # recomputed by the adjoint sweep, not recorded


def test_analyses_with_args_add_the_kinds():
    table = s2sad.source(square_loop, stage="analyses", args=(np.ones(3), 2))
    assert "specialized" in table.splitlines()[0]
    rows = {line.split()[0]: line.split()[-1] for line in table.splitlines()[3:]}
    assert rows["x"] == "f[n]" and rows["n"] == "int"


def test_optimized_and_unoptimized_stages():
    assert s2sad.source(plain, stage="optimized") == s2sad.source(plain)
    assert s2sad.source(plain, stage="unoptimized") == s2sad.source(plain, optimize=False)
    assert s2sad.source(plain, stage="unoptimized") != s2sad.source(plain, stage="optimized")


def test_a_bad_stage_lists_the_stages():
    with pytest.raises(S2SADError) as info:
        s2sad.source(plain, stage="ast")
    for stage in ("parse", "anf", "analyses", "records", "unoptimized", "optimized", "derivative"):
        assert repr(stage) in str(info.value)


# -- which variant source() prints -------------------------------------------------------


def _ran_by_grad(monkeypatch, f, args):
    """The generated functions grad(f)(*args) called, caught on their way out of the driver."""
    from s2sad import driver
    made, real = [], driver.derivative

    def catching(*a, **k):
        compiled = real(*a, **k)
        made.append(compiled.function)
        return compiled
    monkeypatch.setattr(driver, "derivative", catching)
    s2sad.grad(f)(*args)
    monkeypatch.setattr(driver, "derivative", real)
    return made


def _body(text):
    """The source without the header comment source() puts first."""
    first, rest = text.split("\n", 1)
    assert first.startswith(("# reverse mode", "# forward mode"))
    return rest


@pytest.mark.parametrize("args", [(np.ones(3), 2), (0.5, 3), (np.ones((2, 3)), 1)])
def test_source_with_args_prints_what_grad_runs(monkeypatch, args):
    def f(x, n):
        y = x * 2.0
        for i in range(n):
            y = np.sin(y) * x
        return np.sum(y)
    ran = _ran_by_grad(monkeypatch, f, args)
    assert len(ran) == 1
    printed = s2sad.source(f, args=args)
    assert _body(printed) == ran[0].__s2sad_source__
    assert "specialized to x: " in printed.splitlines()[0]


def test_source_with_args_for_keyword_only_parameters_is_general(monkeypatch):
    def f(x, *, scale=2.0):
        return np.sum(x * scale)
    ran = _ran_by_grad(monkeypatch, f, (np.ones(2),))
    printed = s2sad.source(f, args=(np.ones(2),))
    assert _body(printed) == ran[0].__s2sad_source__
    assert "general" in printed.splitlines()[0]


def test_the_header_says_which_variant():
    assert s2sad.source(plain).splitlines()[0] == (
        "# reverse mode wrt x, general (grad runs a variant specialized to its arguments: source(f, args=...))")
    assert s2sad.source(plain, mode="forward").splitlines()[0] == "# forward mode wrt x, general"
    assert s2sad.source(plain, args=(np.ones(2),)).splitlines()[0] == (
        "# reverse mode wrt x, specialized to x: f[n] (what grad runs for such arguments)")
    assert s2sad.source(plain, args=(1.5,)).splitlines()[0] == (
        "# forward mode wrt x, specialized to x: float (what grad runs for such arguments: one float "
        "differentiated, one forward pass; called with the tangent 1.0)")
    assert s2sad.source(plain, stage="unoptimized").splitlines()[0].startswith("# reverse mode wrt x, unoptimized, ")
