"""Regressions the fuzzer found once it generated issue 13's constructs (docs/fuzz-findings.md, "Issue 13's
constructs"), one class of bug per section. Each derivative is checked against central finite differences.
"""

import collections

import numpy as np
import pytest

import s2sad
from test_regressions_rules import assert_grad, fd_grad

Rec = collections.namedtuple("Rec", "w b")
X = np.array([0.3, 0.5, -0.2, 0.1])


# -- 1. a loop that reads a name only in a branch it does not take: the name's adjoint is a bare 0.0 -----
# (fuzz seed 9000235: CRASH `cannot reshape array of size 1 into shape (2,2)` in reverse mode)


def read_only_in_a_branch_not_taken(x):
    for e in x:
        if e < 10.0:
            z = np.outer(x[:2], x[2:]).reshape(4)
        else:
            z = z * 2.0
    return np.sum(z)


def test_a_name_read_only_in_a_branch_gets_a_zero_of_its_shape_between_trips():
    assert_grad(read_only_in_a_branch_not_taken, X)


# -- 2. complex mode: builtins that regroup their operands (enumerate, a generator's list) are real -------
# (fuzz seed 9000019: refused `sum on complex values` though every value summed was real)


def enumerate_in_complex_mode(x):
    v = np.abs(x + 1j)
    return sum(np.sum(p ** 2) * (m + 1) for m, p in enumerate([v, x]))


def test_a_generator_over_enumerate_next_to_a_complex_intermediate():
    assert_grad(enumerate_in_complex_mode, X)
    np.testing.assert_allclose(s2sad.grad(enumerate_in_complex_mode)(X), 2 * X + 4 * X)


# -- 3. complex mode: a record parameter's adjoint is projected onto its real part, field by field ----------
# (fuzz seed 9000240: refused at run time, "the derivative of a real value came out complex")


def abs_of_a_complex_made_of_fields(x, p):
    return np.sum(np.abs(p.w + 1j * (p.b + 2.0))) * x


@pytest.mark.parametrize("wrt", [1, (0, 1)])
def test_a_complex_intermediate_of_a_records_fields(wrt):
    p = Rec(X, 0.5)
    g = s2sad.grad(abs_of_a_complex_made_of_fields, wrt=wrt)(0.7, p)
    g = g[1] if isinstance(wrt, tuple) else g
    assert type(g) is Rec
    np.testing.assert_allclose(g.w, fd_grad(lambda w: abs_of_a_complex_made_of_fields(0.7, Rec(w, 0.5)), X),
                               rtol=1e-6)
    fd_b = fd_grad(lambda b: abs_of_a_complex_made_of_fields(0.7, Rec(X, float(b[0]))), np.array([0.5]))[0]
    assert g.b == pytest.approx(fd_b, rel=1e-6)
    _, tangent = s2sad.jvp(abs_of_a_complex_made_of_fields, (0.7, p), (0.0, Rec(np.ones(4), 1.0)))
    assert tangent == pytest.approx(float(np.sum(g.w)) + g.b, rel=1e-9)


# -- 4. a rule that divides by x where the function is smooth: scipy.special.i1e at 0 ------------------------
# (fuzz seed 9100032: WRONG, a NaN gradient where the slope is 1/2)


def i1e_through_zero(x):
    import scipy.special

    return np.sum(scipy.special.i1e(np.linspace(0.0, 1.0, 4) * x) ** 2 + scipy.special.i1e(x * X))


def test_i1e_has_its_slope_at_zero():
    pytest.importorskip("scipy")
    import scipy.special

    assert s2sad.grad(lambda t: scipy.special.i1e(t))(0.0) == pytest.approx(0.5)
    assert_grad(i1e_through_zero, 1.2)
    assert_grad(i1e_through_zero, 0.0, want=np.sum(X) * 0.5)


# -- 5. complex mode in a helper: its backward half reads the parameter it projects onto ------------------------
# (fuzz seed 9100084: CRASH `NameError: name 'a' is not defined` in `cplx1_by_a_bwd`)


def spectrum_of_a_roll(a, b):
    return np.sum(np.real(np.fft.fft(np.roll(a, 1)))) * b


def calls_a_complex_helper(x, y):
    return spectrum_of_a_roll(y, 0.5) + spectrum_of_a_roll(y * x, x)


def test_a_helper_making_complex_values_projects_its_parameters_adjoint():
    y = np.array([0.3, 0.5, -0.2, 0.1])
    gx, gy = s2sad.grad(calls_a_complex_helper, wrt=(0, 1))(0.7, y)
    np.testing.assert_allclose(gy, [0.0, 0.0, 0.0, 2.0 + 4.0 * 0.7 * 0.7])  # 4 y[3] (0.5 + x^2)
    assert gx == pytest.approx(fd_grad(lambda x: calls_a_complex_helper(float(x[0]), y), np.array([0.7]))[0])
