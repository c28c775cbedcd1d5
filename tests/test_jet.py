"""Taylor mode: s2sad.jet against exact series (SymPy, tests/taylor_oracle.py) and closed forms.

Each case is a function, its primals and JAX-style series (the derivatives [x1, ..., xK] of the
input curve); jet's output series must match the oracle's derivatives of f along the same curve
to 1e-10 relative, at order 12.
"""

import inspect
import math

import numpy as np
import pytest

import s2sad
from s2sad import driver

sympy = pytest.importorskip("sympy")
from taylor_oracle import exact_derivatives  # noqa: E402

ORDER = 12


# -- the table's elementwise functions, three deep --------------------------------------


def exp_sin_tanh(x):
    return np.exp(np.sin(np.tanh(x)))


def log_cosh_sqrt(x):
    return np.log(np.cosh(np.sqrt(x)))


def tan_arctan_square(x):
    return np.tan(np.arctan(np.square(x)) * 0.5)


def arcsin_sinh_cbrt(x):
    return np.arcsin(np.sinh(np.cbrt(x)) * 0.3)


def arccos_tanh_exp(x):
    return np.arccos(np.tanh(np.exp(x)) * 0.5)


def log1p_expm1_sin(x):
    return np.log1p(np.expm1(np.sin(x)))


def exp2_log2_reciprocal(x):
    return np.exp2(np.log2(np.reciprocal(x)) + np.log10(x))


def arcsinh_arccosh_cosh(x):
    return np.arcsinh(np.arccosh(np.cosh(x) + 1.0))


def arctanh_sin_cos(x):
    return np.arctanh(np.sin(np.cos(x)) * 0.9)


def power_exp_log(x):
    return (np.exp(x) + np.log(x)) ** 2.5


def x_pow_y(x, y):
    return np.power(x, y) * np.sin(y / x)


def math_module(x):
    return math.exp(math.sin(x)) / math.sqrt(1.0 + math.tanh(x) ** 2)


def quotient_chain(x, y):
    return np.sin(x) / (np.cos(y) + 2.0) / (x * y + 1.0)


def abs_max_min(x, y):
    return np.abs(np.sin(x)) * np.maximum(x, y) + np.minimum(np.exp(x), y)


def hypot_atan2(x, y):
    return np.hypot(x, y) + np.arctan2(y, x) * np.logaddexp(x, y)


def erf_expit(x):
    return math.erf(np.tanh(x)) * 2.0


def rational(x, y):
    return (x * x - y) / (1.0 + x * y * y) - 3.0 * x ** 3


# -- programs: a polynomial six times, a loop, a branch, subroutines, an RK4 step ---------


def logistic(x):
    return 3.7 * x * (1.0 - x)


def logistic_six(x):
    for _ in range(6):
        x = logistic(x)
    return x


def loop_sum(x, n=5):
    total = 0.0
    term = x
    for k in range(1, n + 1):
        total = total + np.sin(term) / k
        term = term * x
    return total


def while_halving(x):
    y = x
    while y > 0.1:
        y = y * 0.5 + np.sin(y) * 0.1
    return y * np.exp(x)


def branch(x, y):
    if x * y > 0.5:
        z = np.exp(x) * y
    else:
        z = np.log(y) - x
    return z * z


def lorenz(x, y, z):
    return 10.0 * (y - x), x * (28.0 - z) - y, x * y - 8.0 / 3.0 * z


def rk4_step(x, y, z):
    h = 0.01
    k1 = lorenz(x, y, z)
    k2 = lorenz(x + h / 2 * k1[0], y + h / 2 * k1[1], z + h / 2 * k1[2])
    k3 = lorenz(x + h / 2 * k2[0], y + h / 2 * k2[1], z + h / 2 * k2[2])
    k4 = lorenz(x + h * k3[0], y + h * k3[1], z + h * k3[2])
    return (x + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]),
            y + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]),
            z + h / 6 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2]))


def list_and_tuple(x, y):
    parts = [np.sin(x), np.cos(y)]
    pair = (parts[0] * parts[1], x)
    return pair[0] + pair[1] ** 3


def stack_of_values(x):
    values = []
    for k in range(4):
        values.append(np.sin(x * (k + 1)))
    total = 0.0
    for v in values:
        total = total + v * v
    return total


CURVE = [0.7, -0.4]  # x1, x2: the curve x + 0.7 t - 0.2 t**2 (JAX's derivative coefficients)

CASES = [
    (exp_sin_tanh, (0.4,)), (log_cosh_sqrt, (1.3,)), (tan_arctan_square, (0.6,)), (arcsin_sinh_cbrt, (0.5,)),
    (arccos_tanh_exp, (-0.3,)), (log1p_expm1_sin, (0.8,)), (exp2_log2_reciprocal, (1.7,)),
    (arcsinh_arccosh_cosh, (0.9,)), (arctanh_sin_cos, (0.4,)), (power_exp_log, (1.2,)), (x_pow_y, (1.5, 0.8)),
    (math_module, (0.3,)), (quotient_chain, (0.5, 0.2)), (abs_max_min, (-0.7, 0.4)), (hypot_atan2, (0.6, -0.9)),
    (erf_expit, (0.2,)), (rational, (0.3, 1.1)), (logistic_six, (0.3,)), (loop_sum, (0.6,)),
    (while_halving, (3.0,)), (branch, (0.9, 1.4)), (branch, (0.1, 1.4)), (rk4_step, (1.0, 2.0, 20.0)),
    (list_and_tuple, (0.5, 1.1)), (stack_of_values, (0.45,)),
]


def _series_for(primals, k, order):
    """A different curve per primal (scaled and shifted), with its first two derivatives nonzero."""
    return [([CURVE[0] * (1 + 0.3 * k), CURVE[1] + 0.1 * k] + [0.0] * (order - 2)) for k in range(len(primals))]


def _close(ours, exact):
    ours, exact = np.asarray(ours, dtype=float), np.asarray(exact, dtype=float)
    scale = np.maximum(np.abs(exact), 1e-3 * np.max(np.abs(exact)))
    return np.all(np.abs(ours - exact) <= 1e-10 * scale), np.max(np.abs(ours - exact) / scale)


@pytest.mark.parametrize("func, primals", CASES, ids=[f"{c[0].__name__}{i}" for i, c in enumerate(CASES)])
def test_order_12_matches_sympy(func, primals):
    series = [_series_for(primals, k, ORDER)[k] for k in range(len(primals))]
    out, out_series = s2sad.jet(func, primals, series)
    exact = exact_derivatives(func, primals, series, ORDER)
    np.testing.assert_allclose(np.asarray(out, dtype=float), np.asarray(func(*primals), dtype=float), rtol=1e-13)
    ok, worst = _close(out_series, exact)
    assert ok, f"worst relative error {worst:.2e}\nours  {out_series}\nexact {exact}"


def test_exp_closed_form():
    """exp along x(t) = x + t: every derivative is exp(x)."""
    out, series = s2sad.jet(np.exp, (0.5,), ([1.0] + [0.0] * 11,))
    np.testing.assert_allclose(series, [np.exp(0.5)] * 12, rtol=1e-13)


def test_arrays_and_matmul_closed_form():
    """(A x(t)) . x(t) with x(t) = x + v t: the series is [2 v.A x-sym, 2 v.A v, 0, ...]."""
    def quad(A, x):
        return np.sum(x * (A @ x))

    rng = np.random.default_rng(0)
    A, x, v = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3)
    out, (d1, d2, d3) = s2sad.jet(quad, (A, x), (None, [v, np.zeros(3), np.zeros(3)]))
    np.testing.assert_allclose(out, x @ A @ x)
    np.testing.assert_allclose([d1, d2, d3], [v @ (A + A.T) @ x, 2 * v @ A @ v, 0.0], atol=1e-12)


def test_matmul_of_two_series():
    """(A + tB)(A + tB) = A^2 + t(AB + BA) + t^2 B^2: derivatives AB + BA and 2 B^2."""
    def square_matrix(M):
        return M @ M

    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    out, (d1, d2, d3) = s2sad.jet(square_matrix, (A,), ([B, np.zeros((3, 3)), np.zeros((3, 3))],))
    np.testing.assert_allclose(d1, A @ B + B @ A, atol=1e-12)
    np.testing.assert_allclose(d2, 2 * B @ B, atol=1e-12)
    np.testing.assert_allclose(d3, 0.0, atol=1e-12)


def test_vector_elementwise_matches_scalar_runs():
    x = np.array([0.2, 0.5, 0.9])
    series = [np.full(3, 0.7), np.full(3, -0.4), np.zeros(3), np.zeros(3)]
    _, vec = s2sad.jet(exp_sin_tanh, (x,), (series,))
    for i in range(3):
        _, one = s2sad.jet(exp_sin_tanh, (float(x[i]),), ([0.7, -0.4, 0.0, 0.0],))
        np.testing.assert_allclose([c[i] for c in vec], one, rtol=1e-13)


@pytest.mark.parametrize("func, primals", CASES[:12] + [(rk4_step, (1.0, 2.0, 20.0)), (loop_sum, (0.6,))])
def test_order_1_equals_jvp(func, primals):
    tangents = tuple(0.3 + 0.2 * k for k in range(len(primals)))
    out, (first,) = s2sad.jet(func, primals, [[t] for t in tangents]) if not isinstance(func(*primals), tuple) \
        else (None, (None,))
    if out is None:  # a tuple output: one series per item
        out, series = s2sad.jet(func, primals, [[t] for t in tangents])
        first = [s[0] for s in series]
    _, tangent = s2sad.jvp(func, primals, tangents)
    np.testing.assert_allclose(first, tangent, rtol=1e-13)


def _nested_forward(func, k):
    """d^k/dt^k f(x + t) as a function of x: forward mode's generated code differentiated k times."""
    for _ in range(k):
        func = _derivative_of(driver.derivative(func, "forward", ("x",)).function)
    return func


def _derivative_of(jvp_of):
    def derivative(x):
        return jvp_of(x, x_dot=1.0)[1]
    return derivative


@pytest.mark.parametrize("func", [exp_sin_tanh, log_cosh_sqrt, tan_arctan_square, logistic_six, loop_sum])
def test_order_k_matches_nested_forward(func):
    x = 0.7
    _, series = s2sad.jet(func, (x,), ([1.0, 0.0, 0.0, 0.0],))
    for k in range(1, 5):
        np.testing.assert_allclose(series[k - 1], _nested_forward(func, k)(x), rtol=1e-9)


# -- the generated code and its refusals -------------------------------------------------


def test_source_shows_one_line_per_primitive():
    text = s2sad.source(exp_sin_tanh, mode="jet", order=3)
    assert "def exp_sin_tanh_jet(x, x_ser):" in text
    assert "jet_tanh(" in text and "jet_sin(" in text and "jet_exp(" in text
    compiled = driver.derivative(exp_sin_tanh, "jet:3", ("x",))
    out, coefficients = compiled.function(0.4, [1.0, 0.0, 0.0])
    assert len(coefficients) == 3


def test_callee_gets_its_own_jet():
    text = s2sad.source(rk4_step, mode="jet", order=2)
    assert "lorenz_jet(" in text and "def lorenz_jet(" in text


def test_cli_dump_jet(tmp_path):
    from s2sad import cli

    path = tmp_path / "mod.py"
    path.write_text("import numpy as np\n\ndef f(x):\n    return np.exp(x) * x\n")
    out = tmp_path / "out.py"
    assert cli.main(["dump", str(path), "--mode", "jet", "--order", "3", "-o", str(out)]) == 0
    scope = {}
    exec(compile(out.read_text(), str(out), "exec"), scope)
    _, coefficients = scope["f_jet"](0.5, [1.0, 0.0, 0.0])
    np.testing.assert_allclose(coefficients[2] * 6, np.exp(0.5) * 3.5, rtol=1e-13)  # (x e^x)''' = (x + 3) e^x


def no_rule(x):
    return np.sort(np.array([x, 2.0 * x]))[0] + np.linalg.det(np.eye(2) * x)


def item_write(x):
    a = np.zeros(3)
    a[0] = x
    return np.sum(a * a)


def test_primitive_without_taylor_rule_is_refused():
    with pytest.raises(s2sad.S2SADError, match=r"np\.(sort|linalg\.det) has no Taylor-mode \(jet\) rule") as info:
        s2sad.jet(no_rule, (0.5,), ([1.0, 0.0],))
    assert "test_jet.py" in str(info.value)


def test_item_write_into_active_array_is_refused():
    with pytest.raises(s2sad.S2SADError, match="item write") as info:
        s2sad.jet(item_write, (0.5,), ([1.0, 0.0],))
    assert "test_jet.py" in str(info.value)


def test_series_of_wrong_length_is_refused():
    with pytest.raises(s2sad.S2SADError, match="same length"):
        s2sad.jet(rational, (0.5, 0.2), ([1.0, 0.0], [1.0]))


def power_by_recursion(x, n):
    if n == 0:
        return 1.0
    return x * power_by_recursion(x, n - 1)


def test_recursion_matches_closed_form():
    """x**4 by recursion along x + t: the derivatives 4x^3, 12x^2, 24x, 24."""
    x = 1.3
    _, series = s2sad.jet(power_by_recursion, (x, 4), ([1.0, 0.0, 0.0, 0.0, 0.0], None))
    np.testing.assert_allclose(series, [4 * x**3, 12 * x**2, 24 * x, 24.0, 0.0], rtol=1e-13, atol=1e-12)


def scaled_exp(p):
    return np.exp(p["a"]) * p["b"]


def test_dict_primal_and_integer_argument():
    out, series = s2sad.jet(scaled_exp, ({"a": 0.5, "b": 2.0},), ([{"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 1.0}],))
    # along a = 0.5 + t, b = 2 + t^2/2: d/dt = 2e^a, d2/dt2 = 2e^a + e^a (b'' = 1)
    np.testing.assert_allclose(series, [2 * np.exp(0.5), 3 * np.exp(0.5)], rtol=1e-13)
    _, series = s2sad.jet(loop_sum, (0.6, 3), ([1.0, 0.0], None))
    exact = exact_derivatives(lambda x: loop_sum(x, 3), (0.6,), ([1.0, 0.0],), 2)
    np.testing.assert_allclose(series, exact, rtol=1e-12)


# -- the fast paths: unrolled series, fused steps, Leibniz's rule per order, float primals ---------


def test_linear_steps_are_fused_into_one_statement_per_series():
    """An RK4 stage's input x + h/2 * k1[0] is one tuple display of its coefficients, not three."""
    text = s2sad.source(rk4_step, mode="jet", order=3)
    assert "t1_ser = (x_ser[0] + h_over_2 * k1_ser[0][0], x_ser[1] + h_over_2 * k1_ser[1][0], " \
           "x_ser[2] + h_over_2 * k1_ser[2][0])" in text
    assert "h_over_2_times_k1_0_ser" not in text and "k1_0_ser" not in text


def rebinds_in_a_loop(x):
    """y's series is read after x is rebound in the loop: fusing must not read the new x."""
    y = x * 2.0
    for _ in range(3):
        z = y + x
        x = np.sin(z)
        y = z * 0.5
    return x + y


def test_fusion_keeps_values_in_loops_and_rebinding():
    primals, series = (0.3,), [[0.7, -0.4] + [0.0] * 6]
    _, ours = s2sad.jet(rebinds_in_a_loop, primals, series)
    ok, worst = _close(ours, exact_derivatives(rebinds_in_a_loop, primals, series, 8))
    assert ok, worst


@pytest.mark.parametrize("order", [1, 2, 5, 12, 24, 25, 30])
def test_leibniz_rule_per_order_matches_the_sum(order):
    """The unrolled product (K <= 24; a loop beyond) equals sum_j x_j y_(k-j), for floats and arrays."""
    from s2sad import runtime_taylor as rt

    rng = np.random.default_rng(order)
    for shape in ((), (3,)):
        x, y = rng.normal(size=shape), rng.normal(size=shape)
        xs, ys = list(rng.normal(size=(order,) + shape)), list(rng.normal(size=(order,) + shape))
        full_x, full_y = [x, *xs], [y, *ys]
        want = [sum(full_x[j] * full_y[k - j] for j in range(k + 1)) for k in range(1, order + 1)]
        np.testing.assert_allclose(rt.mul(x * y, x, xs, y, ys), want, rtol=1e-13, atol=1e-13)


def cubic(x, y):
    return x * x * y


def test_float_primals_take_the_fast_path_with_the_same_result():
    """Repeated calls with floats skip the checks (s2sad.jets._FLOAT_JETS); results are Python floats."""
    from s2sad import jets

    series = ([1.0, 0.5, 0.0], [0.0, 1.0, 0.25])
    first = s2sad.jet(cubic, (0.7, 1.3), series)
    assert (cubic, 3, 2) in jets._FLOAT_JETS
    again = s2sad.jet(cubic, (0.7, 1.3), series)
    assert again == first and all(type(d) is float for d in again[1])
    # x(t) = 0.7 + t + t^2/4, y(t) = 1.3 + t^2/2 + t^3/24: f = x^2 y, derivatives from the polynomial in t
    t = sympy.symbols("t")
    poly = sympy.expand((sympy.Rational(7, 10) + t + t ** 2 / 4) ** 2 * (sympy.Rational(13, 10) + t ** 2 / 2 + t ** 3 / 24))
    want = [float(poly.coeff(t, k) * math.factorial(k)) for k in range(1, 4)]
    np.testing.assert_allclose(again[1], want, rtol=1e-13)


def scaled(x):
    return _helper_for_redefinition(x) * 2.0


def _helper_for_redefinition(x):
    return x * x


def test_fast_path_sees_a_redefined_helper():
    global _helper_for_redefinition
    old = _helper_for_redefinition
    assert s2sad.jet(scaled, (1.5,), ([1.0],))[1] == [6.0]
    try:
        def _helper_for_redefinition(x):  # noqa: F811 - redefined on purpose
            return x * x * x
        assert s2sad.jet(scaled, (1.5,), ([1.0],))[1] == [pytest.approx(13.5)]
    finally:
        _helper_for_redefinition = old


def with_keyword_only(x, *, scale=2.0):
    return np.exp(x) * scale


def test_keyword_only_defaults_are_kept_on_repeated_calls():
    for _ in range(2):  # the second call must not skip the default (the float fast path is not taken)
        out, series = s2sad.jet(with_keyword_only, (0.5,), ([1.0, 0.0],))
        np.testing.assert_allclose([out, *series], [2.0 * np.exp(0.5)] * 3, rtol=1e-14)


# -- piecewise linear primitives: the series of the piece the primal is on -------------------------


def remainders(x, y):
    return np.exp(np.mod(x * 3.0, 1.3)) + np.fmod(np.sin(x) * 5.0, y) * np.remainder(x, y * 0.25) \
        + (x * 7.0) % (y + 0.2)


def clipped(x, y):
    return np.clip(x * x, 0.1, 0.5) * np.sin(x) + np.clip(x, y, 2.0) ** 3 + np.clip(np.exp(x), None, 1.5)


def signs(x, y):
    return np.copysign(np.tanh(x), -y) * x + np.copysign(x * x, y)


@pytest.mark.parametrize("func", [remainders, clipped, signs])
def test_piecewise_linear_primitives_match_the_oracle(func):
    primals = (0.6, 0.7)
    series = [_series_for(primals, k, ORDER)[k] for k in range(2)]
    out, ours = s2sad.jet(func, primals, series)
    ok, worst = _close(ours, exact_derivatives(func, primals, series, ORDER))
    assert ok, f"worst relative error {worst:.2e}"
    _, tangent = s2sad.jvp(func, primals, tuple(s[0] for s in series))
    np.testing.assert_allclose(ours[0], tangent, rtol=1e-13)


def test_clip_with_other_bound_names_is_refused():
    def f(x):
        return np.clip(x, min=0.0, max=1.0)
    if "min" not in inspect.signature(np.clip).parameters:
        pytest.skip("NumPy before 2.1 has no min/max keywords for clip")
    with pytest.raises(s2sad.S2SADError, match="no Taylor-mode"):
        s2sad.jet(f, (0.5,), ([1.0],))


def math_pieces(x, y):
    return math.remainder(x, y) * 2.0 + math.fmod(x, y) + math.copysign(x, -y)


def test_math_module_pieces_closed_form():
    """x = 2.7, y = 1.0: remainder = x - 3y, fmod = x - 2y, copysign(x, -y) = -x: slopes (2, -6), (1, -2), (-1, 0)."""
    out, series = s2sad.jet(math_pieces, (2.7, 1.0), ([0.5, 0.25], [1.5, -1.0]))
    assert out == pytest.approx(2 * (-0.3) + 0.7 - 2.7)
    np.testing.assert_allclose(series, [2 * 0.5 - 6 * 1.5 + 0.5 - 2 * 1.5 - 0.5,
                                        2 * 0.25 - 6 * -1.0 + 0.25 - 2 * -1.0 - 0.25], rtol=1e-14)


@pytest.mark.parametrize("func", [remainders, clipped, signs])
def test_piecewise_linear_on_arrays_matches_scalar_runs(func):
    x = np.array([0.6, 0.2, 1.1])
    series = [np.full(3, 0.7), np.full(3, -0.4), np.zeros(3)]
    _, vec = s2sad.jet(func, (x, 0.7), (series, [0.3, 0.1, 0.0]))
    for i in range(3):
        _, one = s2sad.jet(func, (float(x[i]), 0.7), ([0.7, -0.4, 0.0], [0.3, 0.1, 0.0]))
        np.testing.assert_allclose([c[i] for c in vec], one, rtol=1e-13)
