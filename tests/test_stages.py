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
    for stage in ("parse", "anf", "analyses", "unoptimized", "optimized", "derivative"):
        assert repr(stage) in str(info.value)
