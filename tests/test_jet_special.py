"""Taylor mode for the rest of the table's elementwise rules: sinc, SciPy's special functions and log
densities, np.nan_to_num, np.ldexp and the runtime's own partials, each against exact series
(SymPy through tests/taylor_oracle.py, mpmath's own Taylor expansion for sinc at its removable
singularity) to order 12 at 1e-10 relative, and against jvp at order 1. A last test keeps the
coverage: every elementwise rule has a Taylor rule or is on an explicit list of exclusions.
"""

import math

import numpy as np
import pytest

import s2sad
from s2sad import registry, runtime, taylor

sympy = pytest.importorskip("sympy")
special = pytest.importorskip("scipy.special")
stats = pytest.importorskip("scipy.stats")
from taylor_oracle import exact_derivatives  # noqa: E402

ORDER = 12


def sinc(x):
    return np.sinc(x)


def gamma(x):
    return special.gamma(x)


def gammaln(x):
    return special.gammaln(x)


def digamma(x):
    return special.digamma(x)


def trigamma_and_more(x):
    return special.polygamma(1, x) + special.polygamma(3, x) * 0.1


def erfinv(x):
    return special.erfinv(x)


def logit(x):
    return special.logit(x)


def xlogy(x, y):
    return special.xlogy(x, y)


def xlog1py(x, y):
    return special.xlog1py(x, y)


def betaln(a, b):
    return special.betaln(a, b)


def i0e(x):
    return special.i0e(x)


def i1e(x):
    return special.i1e(x)


def log_ndtr(x):
    return special.log_ndtr(x)


def nested(x):
    """Three deep, as tests/test_jet.py nests numpy's functions."""
    return special.gammaln(np.exp(special.erfinv(np.sinc(x) * 0.5)) + 1.0)


def norm_logpdf(x, loc, scale):
    return stats.norm.logpdf(x, loc, scale)


def norm_logpdf_default(x):
    return stats.norm.logpdf(x)


def t_logpdf(x, df, scale):
    return stats.t.logpdf(x, df, 0.3, scale)


def gamma_logpdf(x, a):
    return stats.gamma.logpdf(x, a)


def beta_logpdf(x, a, b):
    return stats.beta.logpdf(x, a, b)


CASES = [
    (sinc, (0.3,)), (sinc, (1.7,)), (sinc, (-5.2,)), (gamma, (1.3,)), (gamma, (-0.5,)), (gamma, (4.6,)),
    (gammaln, (0.4,)), (gammaln, (3.7,)), (digamma, (0.8,)), (digamma, (2.5,)), (trigamma_and_more, (1.5,)),
    (trigamma_and_more, (0.6,)), (erfinv, (0.3,)), (erfinv, (-0.7,)), (logit, (0.3,)), (logit, (0.85,)),
    (xlogy, (0.5, 1.3)), (xlogy, (-2.0, 0.4)), (xlog1py, (0.5, 1.3)), (xlog1py, (1.5, -0.3)),
    (betaln, (1.5, 2.5)), (betaln, (0.7, 4.0)), (i0e, (0.7,)), (i0e, (-2.0,)), (i1e, (0.7,)), (i1e, (-3.1,)), (log_ndtr, (0.7,)), (log_ndtr, (-0.8,)),
    (nested, (0.4,)), (nested, (1.6,)), (norm_logpdf, (0.4, -0.2, 1.3)), (norm_logpdf_default, (0.8,)),
    (t_logpdf, (0.9, 3.5, 1.2)), (gamma_logpdf, (1.4, 2.3)), (beta_logpdf, (0.3, 2.2, 1.7)),
]


def _series_for(primals, order):
    """A different curve per primal, first two derivatives nonzero (as tests/test_jet.py's)."""
    return [[0.7 * (1 + 0.3 * k), -0.4 + 0.1 * k] + [0.0] * (order - 2) for k in range(len(primals))]


def _assert_close(ours, exact):
    ours, exact = np.asarray(ours, dtype=float), np.asarray(exact, dtype=float)
    scale = np.maximum(np.abs(exact), 1e-3 * np.max(np.abs(exact)))
    worst = np.max(np.abs(ours - exact) / scale)
    assert worst <= 1e-10, f"worst relative error {worst:.2e}\nours  {ours}\nexact {exact}"


@pytest.mark.parametrize("func, primals", CASES, ids=[f"{c[0].__name__}{c[1]}" for c in CASES])
def test_order_12_matches_sympy(func, primals):
    series = _series_for(primals, ORDER)
    out, out_series = s2sad.jet(func, primals, series)
    np.testing.assert_allclose(out, func(*primals), rtol=1e-13)
    _assert_close(out_series, exact_derivatives(func, primals, series, ORDER))


@pytest.mark.parametrize("func, primals", CASES, ids=[f"{c[0].__name__}{c[1]}" for c in CASES])
def test_order_1_equals_jvp(func, primals):
    tangents = tuple(0.3 + 0.2 * k for k in range(len(primals)))
    _, (first,) = s2sad.jet(func, primals, [[t] for t in tangents])
    _, tangent = s2sad.jvp(func, primals, tangents)
    np.testing.assert_allclose(first, tangent, rtol=1e-12)


def test_sinc_at_its_removable_singularity_matches_mpmath():
    """At x0 = 0 exactly (where sin(pi x) / (pi x) is 0 / 0): mpmath's Taylor expansion of sincpi along the curve."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    for x1, x2 in ((0.7, -0.4), (0.0, 1.3)):  # the second: a curve that stands still to first order
        _, ours = s2sad.jet(sinc, (0.0,), ([x1, x2] + [0.0] * (ORDER - 2),))
        c = mpmath.taylor(lambda t, x1=x1, x2=x2: mpmath.sincpi(mpmath.mpf(x1) * t + mpmath.mpf(x2) / 2 * t * t),
                          0, ORDER)
        _assert_close(ours, [float(c[k] * math.factorial(k)) for k in range(1, ORDER + 1)])


@pytest.mark.parametrize("func, x", [(sinc, [0.0, 0.3, -0.99, 1.0, 1.7, -5.2]), (i0e, [-2.0, 0.7, 3.3]),
                                     (gamma, [-0.5, 1.3, 4.6])])
def test_arrays_match_scalar_runs(func, x):
    """Per element: sinc picks its series near 0 or its quotient elsewhere, i0e its piece of |x|."""
    x = np.array(x)
    _, vec = s2sad.jet(func, (x,), ([np.full(x.shape, 0.7), np.full(x.shape, -0.4), np.zeros(x.shape)],))
    for i in range(len(x)):
        _, one = s2sad.jet(func, (float(x[i]),), ([0.7, -0.4, 0.0],))
        np.testing.assert_allclose([c[i] for c in vec], one, rtol=1e-12, atol=1e-15)


# -- linear and piecewise ones: closed forms ------------------------------------------------------


def ldexp_of_sin(x):
    return np.ldexp(np.sin(x), 3)


def nan_to_num_of_log(x, y):
    return np.nan_to_num(np.log(x) * np.array([1.0, np.nan, np.inf]), nan=y, posinf=2.0) * y


def test_ldexp_is_coefficientwise():
    """8 sin(x + t): derivatives 8 cos, -8 sin, -8 cos."""
    _, ours = s2sad.jet(ldexp_of_sin, (0.4,), ([1.0, 0.0, 0.0],))
    np.testing.assert_allclose(ours, 8 * np.array([np.cos(0.4), -np.sin(0.4), -np.cos(0.4)]), rtol=1e-13)


def test_nan_to_num_takes_the_replacements_series():
    """[log(x) y, y**2, 2 y] along x + t, y + t: the finite item follows x, the NaN one is nan=y's square."""
    _, (d1, d2) = s2sad.jet(nan_to_num_of_log, (2.0, 0.5), ([1.0, 0.0], [1.0, 0.0]))
    np.testing.assert_allclose(d1, [0.5 / 2.0 + np.log(2.0), 2 * 0.5, 2.0], rtol=1e-13)
    np.testing.assert_allclose(d2, [-0.5 / 4.0 + 2 * 0.5, 2.0, 0.0], rtol=1e-13)


# -- cumulative products and determinants: exact polynomials from SymPy ------------------------------------


def _exact_polynomial_derivatives(expr, t, order):
    """[d^k/dt^k expr at 0 for k = 1..order] of a SymPy polynomial in t (exact rationals)."""
    return [float(sympy.diff(expr, t, k).subs(t, 0)) for k in range(1, order + 1)]


def _quadratic_curves(shape, seed):
    """x0, x1, x2 with small rational entries: x(t) = x0 + x1 t + x2 t**2 / 2, exactly representable."""
    rng = np.random.default_rng(seed)
    return [rng.integers(-8, 9, size=shape) / 8.0 for _ in range(3)]


def cumprod_along_rows(x):
    return np.cumprod(x, axis=1)


def test_cumprod_matches_sympy_with_a_zero_item():
    """Exact at a zero item too (forward mode's rule divides by x there): running products of quadratics."""
    x0, x1, x2 = _quadratic_curves((2, 5), seed=3)
    x0[0, 2] = 0.0
    _, ours = s2sad.jet(cumprod_along_rows, (x0,), ([x1, x2] + [np.zeros((2, 5))] * (ORDER - 2),))
    t = sympy.Symbol("t")
    curve = [[sympy.nsimplify(x0[i, j]) + sympy.nsimplify(x1[i, j]) * t + sympy.nsimplify(x2[i, j]) / 2 * t ** 2
              for j in range(5)] for i in range(2)]
    for i in range(2):
        for j in range(5):
            exact = _exact_polynomial_derivatives(sympy.expand(sympy.prod(curve[i][:j + 1])), t, ORDER)
            np.testing.assert_allclose([c[i, j] for c in ours], exact, rtol=1e-12, atol=1e-12)


def det_of(a):
    return np.linalg.det(a)


def test_det_matches_sympy():
    """det(A0 + A1 t + A2 t**2 / 2) for 3x3 matrices: a polynomial of degree 6, its derivatives exact."""
    a0, a1, a2 = _quadratic_curves((3, 3), seed=5)
    a0 = a0 + 2.0 * np.eye(3)
    _, ours = s2sad.jet(det_of, (a0,), ([a1, a2] + [np.zeros((3, 3))] * (ORDER - 2),))
    t = sympy.Symbol("t")
    curve = sympy.Matrix(3, 3, lambda i, j: sympy.nsimplify(a0[i, j]) + sympy.nsimplify(a1[i, j]) * t
                         + sympy.nsimplify(a2[i, j]) / 2 * t ** 2)
    exact = _exact_polynomial_derivatives(sympy.expand(curve.det()), t, ORDER)
    np.testing.assert_allclose(ours, exact, rtol=1e-10, atol=1e-10 * np.max(np.abs(exact)))
    _, (first,) = s2sad.jet(det_of, (a0,), ([a1],))
    np.testing.assert_allclose(first, s2sad.jvp(det_of, (a0,), (a1,))[1], rtol=1e-12)


def sort_then_sum(x):
    return np.sum(np.sort(x) * x)


def test_non_elementwise_primitive_without_rule_is_refused():
    with pytest.raises(s2sad.S2SADError, match=r"np\.sort has no Taylor-mode \(jet\) rule") as info:
        s2sad.jet(sort_then_sum, (np.array([0.3, 0.1]),), ([np.ones(2)],))
    assert "test_jet_special.py" in str(info.value)


# -- the runtime's partials (what generated derivative code calls) ---------------------------------


def pow_base(a, b):
    return runtime.pow_base_partial(a, b) + runtime.times_partial(a, b) * runtime.pow_exponent_partial(a, b)


def pow_base_written_out(a, b):
    return b * a ** (b - 1.0) + a * b * (b * np.log(a))


def test_runtime_partials_match_their_formulas():
    primals = (1.3, 2.2)
    series = _series_for(primals, ORDER)
    _, ours = s2sad.jet(pow_base, primals, series)
    _assert_close(ours, exact_derivatives(pow_base_written_out, primals, series, ORDER))


# -- coverage: every elementwise rule has a Taylor rule -----------------------------------------------

# Elementwise rules deliberately without a Taylor rule, each with its reason. Empty: an elementwise rule
# of one argument gets its Taylor rule derived from its derivative template (the entry's default,
# taylor="derived"); one of several arguments names a recurrence (`taylor=` on its entry) or a line here.
EXCLUDED = {}

# Registered with rules of their own ("general"), but elementwise in their differentiated arguments.
ELEMENTWISE_GENERAL = (np.ldexp, math.ldexp, np.nan_to_num, np.copysign, special.polygamma)


def _has_taylor_rule(prim):
    return taylor.has_taylor_rule(prim, registry.RULES[prim])


def test_every_elementwise_rule_has_a_taylor_rule():
    from s2sad.rules import load_all

    load_all()
    elementwise = {rule.name: prim for prim, rule in registry.RULES.items()
                   if rule.kind == "elementwise" or prim in ELEMENTWISE_GENERAL}
    assert len(elementwise) > 100 and all(prim in elementwise.values() for prim in ELEMENTWISE_GENERAL)
    missing = sorted(name for name, prim in elementwise.items() if not _has_taylor_rule(prim) and name not in EXCLUDED)
    assert not missing, f"elementwise rules without a Taylor rule (add one, or a reason to EXCLUDED): {missing}"
    assert not [name for name in EXCLUDED if name in elementwise and _has_taylor_rule(elementwise[name])]


def steps_and_comparisons(x):
    return np.floor(x) + np.sign(x) * 2.0 + (x > 0.5) + np.round(x * 3.0) + np.exp(x)


def test_nondiff_primitives_carry_a_zero_series():
    """floor, sign, comparisons, rounding: constant on the piece, so only exp(x) contributes."""
    _, ours = s2sad.jet(steps_and_comparisons, (0.7,), ([1.0, 0.0, 0.0],))
    np.testing.assert_allclose(ours, [np.exp(0.7)] * 3, rtol=1e-13)
