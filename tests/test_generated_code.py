"""Generated code is the product: golden sources, comments naming the user's lines, and
tracebacks, `inspect` and pdb that work on it."""

import inspect
import io
import linecache
import os
import pdb
import re
import sys
import traceback

import numpy as np
import pytest

import s2sad
from s2sad import cache, driver

HERE = os.path.basename(__file__)


def lecture(x1, x2):
    return x1 * x2 + np.sin(x1)


def root_scaled(x, w):
    y = np.sqrt(x) * w
    return y * y


def log_of(x):
    y = np.log(x)
    return y * x


def logistic(x, n):
    v = x
    for _ in range(n):
        v = 4.0 * v * (1.0 - v)
    return v


def _inner(x):
    return np.sqrt(x) * 2.0


def outer(x):
    y = _inner(x) * x
    return y


def line_of(func, text):
    """The file line of func's source line that contains text."""
    lines, start = inspect.getsourcelines(func)
    return start + next(i for i, line in enumerate(lines) if text in line)


# -- golden sources -------------------------------------------------------------------


def test_reverse_source_golden():
    line = line_of(lecture, "return")
    assert s2sad.source(lecture, mode="reverse", wrt=(0, 1)) == f"""\
# reverse mode wrt x1, x2, general (grad runs a variant specialized to its arguments: source(f, args=...))
def lecture_vjp(x1, x2, lecture_bar=1.0):
    x1_times_x2 = x1 * x2
    sin_x1 = np.sin(x1)
    # d/dx of: return x1 * x2 + np.sin(x1)   ({HERE}:{line})
    x1_times_x2_bar = unbroadcast(lecture_bar, x1_times_x2)
    sin_x1_bar = unbroadcast(lecture_bar, sin_x1)
    x1_bar = sin_x1_bar * np.cos(x1) + unbroadcast(x1_times_x2_bar * x2, x1)
    x2_bar = unbroadcast(x1_times_x2_bar * x1, x2)
    return (x1_bar, x2_bar)
"""


def test_forward_source_golden():
    line = line_of(lecture, "return")
    assert s2sad.source(lecture, mode="forward", wrt=(0, 1)) == f"""\
# forward mode wrt x1, x2, general
def lecture_jvp(x1, x2, x1_dot, x2_dot):
    # d/dx of: return x1 * x2 + np.sin(x1)   ({HERE}:{line})
    x1_times_x2 = x1 * x2
    x1_times_x2_dot = x1_dot * x2 + x2_dot * x1
    sin_x1 = np.sin(x1)
    sin_x1_dot = x1_dot * np.cos(x1)
    lecture = x1_times_x2 + sin_x1
    lecture_dot = x1_times_x2_dot + sin_x1_dot
    return (lecture, lecture_dot)
"""


def test_source_is_the_same_byte_for_byte_after_a_cache_clear():
    first = s2sad.source(logistic, mode="reverse", wrt=0)
    cache.clear()
    assert s2sad.source(logistic, mode="reverse", wrt=0) == first


def test_unoptimized_source_shows_what_the_passes_removed():
    plain = s2sad.source(lecture, mode="reverse", wrt=(0, 1), optimize=False)
    optimized = s2sad.source(lecture, mode="reverse", wrt=(0, 1))
    assert "    lecture = x1_times_x2 + sin_x1\n" in plain  # the output, never read by the adjoint sweep
    assert "    lecture = " not in optimized
    assert len(optimized.splitlines()) < len(plain.splitlines())


# -- comments -------------------------------------------------------------------------

COMMENT = re.compile(r"^\s*# d/dx of: (.*)   \((.+):(\d+)\)$")


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("func", [lecture, root_scaled, logistic], ids=lambda f: f.__name__)
def test_every_comment_quotes_the_users_line(func, mode):
    source = s2sad.source(func, mode=mode, wrt=0).split("\n", 1)[1]  # after the header: which variant
    comments = [COMMENT.match(line) for line in source.splitlines() if line.strip().startswith("#")]
    assert comments and all(comments)
    for match in comments:
        text, filename, line = match.groups()
        assert filename == HERE
        assert linecache.getline(__file__, int(line)).strip() == text


def test_a_loop_body_is_commented_line_by_line():
    source = s2sad.source(logistic, mode="reverse", wrt=0)
    assert f"# d/dx of: for _ in range(n):   ({HERE}:{line_of(logistic, 'for _')})" in source
    assert f"# d/dx of: v = 4.0 * v * (1.0 - v)   ({HERE}:{line_of(logistic, 'v = 4.0')})" in source


# -- tracebacks -----------------------------------------------------------------------


def _failure(func, mode, *args):
    compiled = driver.derivative(func, mode, ("x",))
    extra = (1.0,) if mode == "forward" else ()
    with np.errstate(all="raise"):
        with pytest.raises(FloatingPointError) as info:
            compiled.function(*args, *extra)
    error = info.value
    return compiled, error, "".join(traceback.format_exception(type(error), error, error.__traceback__))


def test_an_error_in_the_adjoint_sweep_names_the_generated_and_the_users_line():
    compiled, error, text = _failure(root_scaled, "reverse", 0.0, 2.0)
    assert type(error) is FloatingPointError and "divide by zero" in str(error)
    assert "<s2sad root_scaled:root_scaled_vjp" in text
    assert "x_bar = times_partial(sqrt_x_bar, 0.5 / sqrt_x)" in text  # the generated line itself
    user = line_of(root_scaled, "np.sqrt")
    assert f'{HERE}", line {user}, in root_scaled' in text
    assert "y = np.sqrt(x) * w" in text
    # the user's frame sits right below the generated one
    assert text.index("<s2sad root_scaled") < text.index(f'line {user}, in root_scaled')


def test_an_error_in_the_primal_sweep_names_the_users_line():
    _, _, text = _failure(log_of, "reverse", -1.0)
    assert f'{HERE}", line {line_of(log_of, "np.log")}, in log_of' in text


def test_an_error_in_forward_mode_names_the_users_line():
    _, _, text = _failure(root_scaled, "forward", 0.0, 2.0)
    assert "<s2sad root_scaled:root_scaled_jvp" in text
    assert f'{HERE}", line {line_of(root_scaled, "np.sqrt")}, in root_scaled' in text


def test_an_error_in_a_called_functions_derivative_names_both_users_lines():
    _, _, text = _failure(outer, "reverse", 0.0)
    at_outer = text.index(f'{HERE}", line {line_of(outer, "_inner(x) * x")}, in outer')
    at_inner = text.index(f'{HERE}", line {line_of(_inner, "np.sqrt")}, in _inner')
    assert text.index("<s2sad outer:outer_vjp") < at_outer < text.index("<s2sad _inner:_inner_bwd") < at_inner


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes arrived in Python 3.11")
def test_a_note_says_which_user_line_failed():
    _, error, _ = _failure(root_scaled, "reverse", 0.0, 2.0)
    note = " ".join(error.__notes__)
    assert f"{HERE}:{line_of(root_scaled, 'np.sqrt')}" in note
    assert "`x_bar = times_partial(sqrt_x_bar, 0.5 / sqrt_x)`" in note  # Python 3.11/3.12 print no `<...>` file's line


def test_an_error_passing_through_twice_gets_one_user_frame():
    compiled, error, text = _failure(root_scaled, "reverse", 0.0, 2.0)
    assert text.count(f'line {line_of(root_scaled, "np.sqrt")}, in root_scaled') == 1


# -- inspect and pdb ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_inspect_getsource_shows_the_generated_function(mode):
    compiled = driver.derivative(logistic, mode, ("x",))
    assert inspect.getsource(compiled.function) == compiled.source


def test_pdb_steps_through_generated_code():
    compiled = driver.derivative(root_scaled, "reverse", ("x",))
    out = io.StringIO()
    debugger = pdb.Pdb(stdin=io.StringIO("step\nnext\nnext\ncontinue\n"), stdout=out, nosigint=True)
    debugger.use_rawinput = False
    result = debugger.runcall(compiled.function, 4.0, 2.0)
    shown = out.getvalue()
    assert "<s2sad root_scaled:root_scaled_vjp" in shown
    assert "-> sqrt_x = np.sqrt(x)" in shown and "-> y = sqrt_x * w" in shown
    assert result == pytest.approx(2.0 ** 2)  # d/dx (sqrt(x) w)^2 = d/dx x w^2 = w^2
