"""The to-be-recorded analysis (s2sad/records.py): what reverse mode records and restores, as a table
computed before the transform, which the transform then builds from once.

Every derivative here is checked against central differences."""

import numpy as np

import s2sad
from s2sad import driver


def logistic(x, n):
    v = x
    for i in range(n):
        v = 4.0 * v * (1.0 - v)
    return v


def rk_steps(x, n):
    for i in range(n):
        k1 = np.sin(x)
        k2 = np.cos(x + 0.5 * k1)
        x = x + 0.1 * (k1 + k2)
    return x


def straight(x):
    y = x * x
    z = np.sin(y) + y
    return z


def squares_in_place(a0, n):
    a = a0.copy()
    for i in range(n):
        a[i] = a[i] * a[i]
    return np.sum(a)


def _central(f, x, *rest, h=1e-6):
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = (f(x + step, *rest) - f(x - step, *rest)) / (2 * h)
    return grad


def _rows(table):
    """{records column: kept-in column} of a printed records table."""
    lines = str(table).splitlines()
    cut = [lines[1].index(h) for h in ("records", "kept in")]
    return {line[cut[0]:cut[1]].strip(): line[cut[1]:].strip() for line in lines[3:] if not line.startswith("#")}


def test_a_loop_carried_value_is_recorded_on_the_tape():
    table = driver.records_table(logistic, ("x",))
    assert table.recorded == {"v"}
    assert _rows(table) == {"v": "tape"}
    assert s2sad.source(logistic, stage="records") == str(table)
    assert np.isclose(s2sad.grad(logistic)(0.3, 6), _central(lambda x: logistic(x, 6), 0.3))


def test_straight_line_code_records_nothing():
    table = driver.records_table(straight, ("x",))
    assert table.candidates == set() and table.recorded == set()
    assert "nothing recorded" in str(table)
    assert np.isclose(s2sad.grad(straight)(0.7), _central(straight, 0.7))


def test_an_iteration_keeps_its_own_values_and_the_temporaries_they_read():
    table = driver.records_table(rk_steps, ("x",))
    assert {"k1", "k2", "x"} <= table.recorded
    assert table.bundled == {"t1", "x_plus_t1", "k1_plus_k2", "t2"}  # kept with k1, k2, not recomputed
    assert _rows(table)["x"] == "tape"
    x = np.array([0.2, -0.4])
    g = s2sad.vjp(rk_steps, x, 3)[1](np.ones(2))[0]
    assert np.allclose(g, _central(lambda v, n: np.sum(rk_steps(v, n)), x, 3), atol=1e-6)


def test_the_derivative_records_exactly_the_table():
    """The built derivative pushes each recorded value once per trip and nothing else."""
    code = s2sad.source(logistic, optimize=False)
    assert code.count("push(_tape, v)") == 1 and code.count("push(") == 1
    assert code.count("v = pop(_tape)") == 1


def test_an_item_write_records_the_old_item():
    table = driver.records_table(squares_in_place, ("a0",))
    assert table.recorded == {"a"}
    assert _rows(table) == {"a[...]": "tape"}
    a = np.array([0.5, 1.5, -2.0])
    assert np.allclose(s2sad.grad(squares_in_place)(a, 2), _central(squares_in_place, a, 2))


def _g(x):
    return np.sin(x) * x


def calls_in_a_loop(x, n):
    for i in range(n):
        x = _g(x)
    return x


def counted_inner_loops(x, n):
    for i in range(n):
        k = 0
        while k < 3:
            x = x * 0.9 + np.sin(x)
            k = k + 1
    return x


def branch_flips(x, n):
    s = True
    for i in range(n):
        if s:
            s = False
            x = x * 2.0
        else:
            x = np.sin(x)
    return x


def test_a_split_call_in_a_loop_keeps_its_record_not_its_value():
    table = driver.records_table(calls_in_a_loop, ("x",))
    assert _rows(table) == {"_g_record (the call's record)": "tape"}
    assert np.isclose(s2sad.grad(calls_in_a_loop)(0.3, 3), _central(lambda x: calls_in_a_loop(x, 3), 0.3))


def test_a_while_loop_inside_a_loop_keeps_its_trip_count():
    rows = _rows(driver.records_table(counted_inner_loops, ("x",)))
    assert rows["_trips1 (trip count)"] == "tape" and rows["x"] == "tape"
    assert np.isclose(s2sad.grad(counted_inner_loops)(0.3, 2), _central(lambda x: counted_inner_loops(x, 2), 0.3))


def test_a_branch_that_changes_its_own_test_keeps_which_branch_ran():
    rows = _rows(driver.records_table(branch_flips, ("x",)))
    assert rows["_branch1 (the branch taken)"] == "tape"
    assert np.isclose(s2sad.grad(branch_flips)(0.3, 3), _central(lambda x: branch_flips(x, 3), 0.3))


# -- the oracle: the analysis (s2sad/adjoint_reads.py, no build) against the adjoint sweep as built ----

import inspect  # noqa: E402

import pytest  # noqa: E402

from s2sad import adjoint_reads, records, shapes  # noqa: E402
from s2sad.naming import Namer  # noqa: E402
from s2sad.reverse import Reverse  # noqa: E402
from s2sad.values import _bind, _kinds  # noqa: E402

import corpus_basic  # noqa: E402
import corpus_control  # noqa: E402
import corpus_language  # noqa: E402
import corpus_numpy  # noqa: E402
import corpus_pytrees  # noqa: E402
import corpus_structure  # noqa: E402
import corpus_subroutines  # noqa: E402
from conftest import differentiable, inputs_for  # noqa: E402

CORPUS = [f for m in (corpus_basic, corpus_control, corpus_subroutines, corpus_structure, corpus_numpy,
                      corpus_language, corpus_pytrees)
          for _, f in inspect.getmembers(m, inspect.isfunction) if f.__module__ == m.__name__
          and not f.__name__.startswith("_")]


def _predicted_and_built(normalized, parsed, resolver, wrt, callees, shaped):
    """The analysis's reads, and the reads of an adjoint sweep built recording every value a later
    assignment may overwrite (what the analysis describes), both restricted to the function's names."""
    reads = adjoint_reads.find(normalized, parsed, resolver, wrt, callees, shaped)
    built = Reverse(normalized, parsed, resolver, wrt, Namer(normalized.names), saved=set(reads.candidates),
                    callees=callees, shapes=shaped)
    built.function()
    local = driver._locals(normalized)
    return ((reads.reads & local, set(reads.recomputed)),
            (records.adjoint_reads(built.adjoint_sweep, built.restores) & local, built.recomputed))


def _setup(func):
    args = inputs_for(func)
    wrt = driver.wrt_names(func, differentiable(func, args))
    kinds = _kinds(func, _bind(func, tuple(args), {}).values(), shapes.GRAD_SEED)
    return args, wrt, kinds


@pytest.mark.parametrize("func", CORPUS, ids=lambda f: f.__name__)
def test_the_analysis_predicts_exactly_what_the_adjoint_sweep_reads(func):
    """Every name the adjoint sweep reads, and every temporary it recomputes, is what adjoint_reads.py
    says before the build: for the general derivative and for the one specialized to the arguments' kinds."""
    args, wrt, kinds = _setup(func)
    for variant in (None, kinds):
        try:
            predicted, built = driver._records(func, wrt, variant, _predicted_and_built)[2]
        except s2sad.S2SADError:  # refused in reverse mode (the build says so too: test_must_fail)
            return
        assert predicted == built


def test_the_reads_stage_prints_the_table():
    text = s2sad.source(logistic, stage="reads")
    assert text == str(driver.reads_table(logistic, ("x",)))
    assert text.splitlines()[0] == "# adjoint reads of logistic with respect to x (reverse mode)"
    rows = [line.split(None, 1)[1] for line in text.splitlines()[3:] if not line.startswith("#")]
    assert rows == ["for i in range(n):       n",  # the replay reads the loop's range
                    "v = 4.0 * v * (1.0 - v)  t1, t2, v"]  # the template reads v and the line's temporaries
    assert text.splitlines()[-1] == "# recomputed in the adjoint sweep: t1, t2"


def test_the_build_refuses_a_read_the_table_does_not_record(monkeypatch):
    """Never silently wrong: were the analysis to miss a read, reverse mode raises instead of returning
    a derivative that reads an overwritten value."""
    real = records.find

    def forgetful(reads, normalized, sharers):
        table = real(reads, normalized, sharers)
        table.recorded = frozenset()
        return table
    monkeypatch.setattr(records, "find", forgetful)
    with pytest.raises(s2sad.S2SADError, match="to-be-recorded analysis did not foresee"):
        driver.transform(logistic, "reverse", ("x",))
