"""Bad input fails with S2SADError naming the construct, the file and the line."""

import os

import numpy as np
import pytest

import s2sad

HERE = os.path.basename(__file__)


def non_scalar(x):
    return np.array([x, 2 * x])


def with_try(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y


def with_with(x):
    with open(__file__):
        y = x * 2
    return y


def with_global(x):
    global SOMETHING
    SOMETHING = x
    return x


def with_yield(x):
    yield x


def unknown_call(x):
    return np.sinc(x) if False else unknown_helper(x)


def unknown_helper(x):
    return x


def counts(x, n):
    return x * n


def lineno_of(func, text):
    import inspect

    lines, start = inspect.getsourcelines(func)
    return start + next(i for i, line in enumerate(lines) if text in line)


def test_grad_of_non_scalar_output():
    with pytest.raises(s2sad.S2SADError, match="scalar"):
        s2sad.grad(non_scalar)(1.0)


@pytest.mark.parametrize("func, construct, text", [
    (with_try, "try", "try:"), (with_with, "with", "with open"), (with_global, "global", "global SOMETHING"),
    (with_yield, "yield", "yield x"),
])
def test_unsupported_syntax_names_construct_file_and_line(func, construct, text):
    with pytest.raises(s2sad.S2SADError) as info:
        s2sad.grad(func)(1.0)
    message = str(info.value)
    assert construct in message
    assert f"{HERE}:{lineno_of(func, text)}" in message


def test_wrt_names_a_missing_parameter():
    with pytest.raises(s2sad.S2SADError, match="'q'"):
        s2sad.grad(counts, wrt="q")


def test_wrt_names_an_integer_input():
    with pytest.raises(s2sad.S2SADError, match="'n'.*int"):
        s2sad.grad(counts, wrt="n")(1.0, 3)


def test_function_without_source():
    namespace = {}
    exec("def made(x):\n    return x * x\n", namespace)
    with pytest.raises(s2sad.S2SADError, match="source"):
        s2sad.grad(namespace["made"])(1.0)


def test_call_without_rule_or_source():
    import math

    def uses_c_function(x):
        return math.gamma(x)

    with pytest.raises(s2sad.S2SADError, match="gamma") as info:
        s2sad.grad(uses_c_function)(1.5)
    assert "custom_vjp" in str(info.value)
    assert HERE in str(info.value)
