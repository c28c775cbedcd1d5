"""The language (issue 13): generator expressions, loop `else`, `:=`, `assert`, `with`, `import`.

Every function here is in tests/corpus_language.py (tests/test_corpus.py checks all of them in
both modes against finite differences); this file adds derivatives worked out by hand, second
order, and what is still refused, at the user's line.
"""

import inspect
import math
import warnings

import numpy as np
import pytest

import s2sad
from conftest import differentiable, inputs_for

import corpus_language as lang

HERE = "corpus_language.py"


def fd_grad(f, args, i, eps=1e-6):
    """Central differences of scalar f along each element of argument i."""
    x = np.asarray(args[i], dtype=float)
    out = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[idx] = eps
        up, down = list(args), list(args)
        up[i] = x + step if x.shape else float(x + step)
        down[i] = x - step if x.shape else float(x - step)
        out[idx] = (f(*up) - f(*down)) / (2 * eps)
    return out if x.shape else float(out)


def code_lines(source, *starts):
    """The generated lines (comments aside) that start with one of starts."""
    return [line for line in source.splitlines() if line.strip().startswith(starts)]


def check(f, args, want=None, rtol=1e-7):
    """grad (reverse) and jvp (forward) of f at args against central differences, and `want` when given."""
    for i in differentiable(f, args):
        numeric = fd_grad(f, args, i)
        reverse = s2sad.grad(f, wrt=i)(*args)
        np.testing.assert_allclose(reverse, numeric, rtol=1e-6, atol=1e-8)
        columns = []
        for idx in np.ndindex(np.shape(args[i])):
            tangent = np.zeros(np.shape(args[i]))
            tangent[idx] = 1.0
            tangents = [np.zeros_like(a) if k in differentiable(f, args) else None for k, a in enumerate(args)]
            tangents[i] = tangent if np.ndim(args[i]) else 1.0
            value, forward = s2sad.jvp(f, args, tangents)
            assert value == f(*args)
            columns.append(forward)
        np.testing.assert_allclose(np.reshape(columns, np.shape(args[i])), reverse, rtol=1e-10, atol=1e-12)
        expected = want[i] if isinstance(want, tuple) else want
        if expected is not None:
            np.testing.assert_allclose(reverse, expected, rtol=rtol)


# -- generator expressions ---------------------------------------------------------------------


def test_sum_of_a_generator_weighted_by_enumerate():
    # sum(np.sum(p ** 2) * (i + 1) for i, p in enumerate([a, b]))  ->  d/da = 2a, d/db = 4b
    a, b = np.array([0.3, -0.5, 0.8]), np.array([0.1, 0.2, -0.7])
    check(lang.genexp_weighted_sum, [a, b], want=(2 * a, 4 * b))


def test_max_and_min_over_a_generator_follow_the_extreme_item():
    # max(a[i] ** 2 + 0.1 * i for i in range(3)): the gradient is 2 a[k] at the largest item only
    a = np.array([0.3, -0.9, 0.5])
    check(lang.genexp_max, [a], want=np.array([0.0, -1.8, 0.0]))
    # min(sin(a[i]) * x ...) + min(a) * x: d/dx = sin(a[k]) + a[j] at the smallest items
    x = 0.7
    check(lang.genexp_min, [a, x], want=(None, math.sin(-0.9) - 0.9))
    xs = [0.4, 0.9, 0.6]  # max(v * v) - min(xs): 2 * 0.9 for the largest, -1 for the smallest
    np.testing.assert_allclose(s2sad.grad(lang.max_of_a_list)(xs), [-1.0, 1.8, 0.0])


def test_generator_with_a_condition_and_nested_generators():
    x = 0.6  # x + x**3 + x**5
    check(lang.genexp_with_if, [x], want=1 + 3 * x ** 2 + 5 * x ** 4)
    a = np.array([0.3, -0.5, 0.8])  # sum over i != j of a_i a_j: 2 (sum(a) - a_k)
    check(lang.genexp_nested, [a], want=2 * (np.sum(a) - a))
    check(lang.genexp_two_loops, [a, np.array([0.2, 0.4, -0.1])])
    check(lang.genexp_into_tuple, [0.4, 0.7])


def test_any_and_all_over_a_generator_stop_at_the_answer():
    a, x = np.array([0.3, -0.5, 0.8]), 0.6
    # any(...) is false and all(...) true: s = x * sum(a * a) + x * sum(a)
    check(lang.genexp_any_all, [a, x], want=(2 * x * a + x, np.sum(a * a) + np.sum(a)))
    # the items after the answer are never evaluated (a[3] and a[5] would raise IndexError):
    # any(...) is true (n = 1), all(...) false at j = 2
    check(lang.any_stops_reading, [a, x], want=(np.full(3, x), 1 + np.sum(a)))
    text = s2sad.source(lang.genexp_any_all, stage="anf")
    assert "any_ = False" in text and "all_ = True" in text  # a loop, no list of every item


def test_comprehensions_with_conditions_and_sets_of_constants():
    x, a = 0.6, np.array([0.3, -0.5, 0.8])
    check(lang.listcomp_with_if, [x, a], want=(2 * x * a[0] * a[2], np.array([x * x * a[2], 0.0, x * x * a[0]])))
    check(lang.dictcomp_with_if, [x], want=4 * x ** 3 + 4 * x ** 3)
    check(lang.set_of_constants, [x], want=2.0 - 4 * x)  # k in {0, 2}: +2x; else (k = 1, 3): -x*x twice


def test_generator_over_a_list_of_vectors():
    vs = [np.array([0.1, 0.2, 0.3]), np.array([-0.4, 0.5, 0.6]), np.array([0.7, -0.8, 0.9])]
    x = 0.5
    want = sum(np.dot(v, v) * k * x ** (k - 1) for k, v in enumerate(vs) if k)
    assert s2sad.grad(lang.genexp_over_vectors, wrt=1)(vs, x) == pytest.approx(want, rel=1e-12)


# -- loop else, :=, assert, with, import --------------------------------------------------------


def test_for_else_runs_the_else_only_without_break():
    a = np.array([0.3, -0.5, 0.8])
    check(lang.for_else_no_break, [a], want=6 * a)  # no break: s = 3 * sum(a ** 2)
    x = 0.6
    # break at i == 1: (x + a0^2 + a1^2) * x
    check(lang.for_else_breaks, [a, x], want=(np.array([2 * a[0] * x, 2 * a[1] * x, 0.0]),
                                              2 * x + a[0] ** 2 + a[1] ** 2))
    check(lang.while_else, [0.7])


def test_walrus_in_while_and_if():
    # r halves until it is at most 0.01; s sums the squares of the r that pass
    x = 0.7
    terms = [k for k in range(1, 60) if x * 0.5 ** k > 0.01]
    check(lang.walrus_while, [x], want=sum(2 * x * 0.25 ** k for k in terms))
    check(lang.walrus_if, [0.7], want=2 * 0.7 + math.cos(0.7))     # y = x*x <= 1: y + sin(x)
    check(lang.walrus_if, [1.3], want=3 * 1.3 ** 2)                # y > 1: y * x
    check(lang.walrus_while_continue, [0.8])
    check(lang.walrus_while_else, [0.6])
    check(lang.walrus_in_comprehension, [np.array([0.3, -0.5, 0.8])])


def test_walrus_computes_its_value_where_python_does():
    assert s2sad.source(lang.walrus_while, stage="anf").count("r = r * 0.5") == 2  # before the loop, each re-test
    assert s2sad.value_and_grad(lang.walrus_while_else)(0.6)[0] == lang.walrus_while_else(0.6)


def test_assert_is_kept_in_the_primal_sweep():
    a = np.array([0.3, -0.5, 0.8])
    check(lang.with_assert, [a], want=3 * a ** 2)
    for mode in ("forward", "reverse"):
        assert "assert " in s2sad.source(lang.with_assert, mode=mode)
    with pytest.raises(AssertionError, match="item 1 is nan"):
        s2sad.grad(lang.with_assert)(np.array([0.3, np.nan, 0.8]))


def test_value_neutral_with_is_its_body():
    a = np.array([0.3, -0.5, 0.8])
    check(lang.with_errstate, [a])
    check(lang.with_catch_warnings, [0.6], want=1.5 * math.sqrt(0.6))
    check(lang.with_nullcontext, [0.6], want=4 * 0.6)
    check(lang.with_early_return, [0.7], want=1.4)
    check(lang.with_early_return, [0.4], want=3.0)
    before = list(warnings.filters)
    s2sad.grad(lang.with_catch_warnings)(0.6)
    s2sad.jvp(lang.with_catch_warnings, (0.6,), (1.0,))
    assert warnings.filters == before  # the block's simplefilter is dropped, not run outside the block
    for f in (lang.with_errstate, lang.with_catch_warnings, lang.with_nullcontext):
        assert not code_lines(s2sad.source(f, mode="reverse"), "with ")


def test_import_inside_the_function_uses_the_imported_rule():
    x = 0.6
    want = math.exp(x) * (math.sin(x) + math.cos(x)) + math.sqrt(5.0)
    check(lang.import_inside, [x], want=want)
    check(lang.import_in_a_loop, [x], want=-math.sin(x) - 2 * math.sin(2 * x))
    assert not code_lines(s2sad.source(lang.import_inside, mode="reverse"), "import ", "from ")


# -- second order --------------------------------------------------------------------------------


def _fd_hessian(f, x, eps=1e-5):
    g = s2sad.grad(f)
    x = np.asarray(x, dtype=float)
    cols = []
    for idx in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[idx] = eps
        up, down = (x + step, x - step) if x.shape else (float(x + eps), float(x - eps))
        cols.append((np.asarray(g(up)) - np.asarray(g(down))) / (2 * eps))
    return np.stack(cols, axis=-1).reshape(x.shape + x.shape)


ONE_ARGUMENT = [f for _, f in inspect.getmembers(lang, inspect.isfunction)
                if f.__module__ == lang.__name__ and len(inspect.signature(f).parameters) == 1
                and np.ndim(f(*inputs_for(f))) == 0 and not isinstance(inputs_for(f)[0], list)]


@pytest.mark.parametrize("func", ONE_ARGUMENT, ids=lambda f: f.__name__)
def test_hessian_matches_finite_differences(func):
    x = inputs_for(func)[0]
    H = s2sad.hessian(func)(x)
    np.testing.assert_allclose(H, _fd_hessian(func, x), rtol=1e-5, atol=1e-6)


def test_hessians_cover_every_construct():
    names = {f.__name__ for f in ONE_ARGUMENT}
    for part in ("genexp", "walrus", "for_else", "while_else", "with_", "import", "set_of", "dictcomp"):
        assert any(part in n for n in names), part


@pytest.mark.parametrize("func", [lang.genexp_into_tuple, lang.genexp_weighted_sum], ids=lambda f: f.__name__)
def test_hessian_with_two_inputs_through_a_list(func):
    """A container's cotangent (runtime.Parts) keeps its type in the batched Hessian pass."""
    args = inputs_for(func)
    hessian = s2sad.hessian(func, wrt=(0, 1))(*args)
    for i in range(2):
        for j in range(2):
            def partial_grad(v, i=i, j=j):
                moved = list(args)
                moved[j] = v
                return s2sad.grad(func, wrt=(0, 1))(*moved)[i]
            x = np.asarray(args[j], dtype=float)
            columns = [(partial_grad(x + 1e-6 * e) - partial_grad(x - 1e-6 * e)) / 2e-6
                       for e in np.eye(x.size).reshape((x.size,) + x.shape)]
            want = np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(hessian[i][j]))
            np.testing.assert_allclose(hessian[i][j], want, rtol=1e-5, atol=1e-6)


# -- still refused ----------------------------------------------------------------------------------


def refused_open(x):
    with open(__file__):
        y = x * 2
    return y


def refused_errstate_raise(x):
    with np.errstate(divide="raise"):
        y = np.log(x)
    return y


def refused_suppress(x):
    import contextlib

    with contextlib.suppress(ValueError):
        y = x * 2
    return y


def refused_generator_to_numpy(a):
    return np.sum(a[i] for i in range(3))


def refused_loop_over_generator(x):
    s = 0.0
    for v in (x * i for i in range(3)):
        s = s + v
    return s


def refused_set_comprehension(x):
    return len({t for t in (x,)}) * x


def refused_set_of_variables(x):
    return len({x, 2.0}) * x


def refused_import_also_assigned(x):
    import math
    math = 3  # noqa: F811
    return x * math


@pytest.mark.parametrize("func, construct, text", [
    (refused_open, "with open(...)", "with open"),
    (refused_errstate_raise, "divide='raise'", "with np.errstate"),
    (refused_suppress, "with contextlib.suppress(...)", "with contextlib"),
    (refused_generator_to_numpy, "a generator expression other than", "return np.sum"),
    (refused_loop_over_generator, "a generator expression other than", "for v in"),
    (refused_set_comprehension, "a set comprehension", "return len"),
    (refused_set_of_variables, "a set display of other than constants", "return len"),
    (refused_import_also_assigned, "an import of 'math'", "import math"),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_refused_at_the_users_line(func, construct, text):
    lines, start = inspect.getsourcelines(func)
    line = start + next(i for i, t in enumerate(lines) if text in t)
    for run in (lambda: s2sad.grad(func)(0.5), lambda: s2sad.jvp(func, (0.5,), (1.0,))):
        with pytest.raises(s2sad.S2SADError) as info:
            run()
        assert construct in str(info.value)
        assert f"test_language.py:{line}" in str(info.value)
