"""Regressions from the correctness issue, one class of bug per section.

Each test reads as an example: a source function in, its derivative checked against an
independent oracle (central finite differences for forward mode, the dot-product test for
reverse mode, both in `s2sad.testing.check_derivatives`), and, where the bug was a value,
the expected number written out.
"""

import math

import numpy as np
import pytest

import s2sad
from s2sad.testing import check_derivatives, numerical_jvp


def fd_grad(f, x, eps=1e-6):
    """The gradient of scalar f at x by central differences, one coordinate at a time."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1.0
        out[i] = numerical_jvp(f, [x], 0, e, eps)
    return out


def assert_grad(f, x, want=None, rtol=1e-6, atol=1e-7):
    """Reverse mode, forward mode (jacobian by columns) and finite differences agree at x."""
    want = fd_grad(f, x) if want is None else want
    np.testing.assert_allclose(s2sad.grad(f)(x), want, rtol=rtol, atol=atol)
    np.testing.assert_allclose(s2sad.jacobian(f, mode="forward")(x), want, rtol=rtol, atol=atol)


# -- 1. a negative constant keeps its parentheses under `**` and attribute access ---------------


def log1p_series(x):
    s = 0.0
    for k in range(1, 8):
        term = (-1.0) ** (k + 1) * x**k / k
        s = s + term
    return s


def negative_constants(x):
    return (-2.0) ** 2 * x + (-1) ** 3 * x**2 + x ** (-2.0) + (-3.0).real * x


def test_negative_constant_base_keeps_parentheses():
    x = 0.3
    want = sum((-1.0) ** (k + 1) * x**k / k for k in range(1, 8))
    assert log1p_series(x) == pytest.approx(want)
    np.testing.assert_allclose(s2sad.jvp(log1p_series, (x,), (1.0,))[0], want, rtol=1e-14)
    np.testing.assert_allclose(s2sad.grad(log1p_series)(x), sum((-x) ** (k - 1) for k in range(1, 8)), rtol=1e-12)
    check_derivatives(log1p_series, [x])
    check_derivatives(negative_constants, [0.7])
    assert "(-1.0) ** " in s2sad.source(log1p_series, mode="forward")
    np.testing.assert_allclose(s2sad.hessian(log1p_series)(x), fd_grad(s2sad.grad(log1p_series), x), rtol=1e-6)


# -- 2. reshape / ravel / flatten read elements in their own index order -------------------------

W12 = np.arange(12.0) ** 1.5


def reshape_after_transpose(x):
    M = x.reshape(3, 4)
    flat = M.T.reshape(-1)
    return np.sum(flat * W12)


def ravel_orders(x):
    M = x.reshape(3, 4) * x.reshape(3, 4)
    t = M.T
    return (np.sum(t.ravel() * W12) + np.sum(t.flatten("F") * W12**2) + np.sum(t.ravel(order="K") * W12**0.5)
            + np.sum(np.ravel(t, order="A") * np.cos(W12)) + np.sum(t.reshape(12, order="A") * np.sin(W12))
            + np.sum(np.reshape(M, (2, 6), order="F") * W12.reshape(2, 6)))


@pytest.mark.parametrize("f", [reshape_after_transpose, ravel_orders])
def test_reshape_of_a_transpose_reads_its_index_order(f):
    x = np.linspace(0.5, 2.0, 12)
    assert_grad(f, x)
    check_derivatives(f, [x])
    if f is reshape_after_transpose:  # the adjoint of a transpose's ravel is the transposed weights
        np.testing.assert_allclose(s2sad.grad(f)(x), W12.reshape(4, 3).T.ravel())
    else:
        v = np.cos(np.arange(12.0))  # second order: H v against finite differences of the gradient
        np.testing.assert_allclose(s2sad.hessian(f)(x) @ v, numerical_jvp(s2sad.grad(f), [x], 0, v), rtol=1e-6)


# -- 9. a method of a computed value (`X.T.dot(v)`) is active -----------------------------------


def methods_of_attributes(x):
    X = x.reshape(3, 4)
    v = np.array([0.5, -1.0, 2.0])
    return np.sum(X.T.dot(v) ** 2) + X.T.sum() * X[0, 0] + np.sum(X.T.copy() ** 3) + (X * 2.0).T.mean()


def test_method_on_an_attribute_chain_is_active():
    x = np.linspace(0.5, 2.0, 12)
    assert_grad(methods_of_attributes, x)
    check_derivatives(methods_of_attributes, [x])


# -- 3. a cast to an integer or boolean dtype carries no derivative -------------------------------


def integer_casts(x):
    return (np.sum(x.astype(int) * x) + np.sum(np.asarray(x, dtype=int) * x) + np.sum(np.array(x, np.int32) * x**2)
            + np.sum(x.astype(np.int64) * x) + np.sum(x.astype("bool") * x) + int(x[0]) * x[1]
            + np.sum(np.floor(x) * x) + np.sum(x.astype(float) * x) + np.sum(x.astype(np.float64) ** 2))


def cast_to_a_dtype_held_in_a_variable(x, dt):
    return np.sum(x.astype(dt) * x) + np.sum(np.asarray(x * x, dtype=dt))


def test_integer_cast_cuts_the_derivative():
    x = np.array([1.3, 2.7, 3.1, -0.4])
    i = np.trunc(x)
    want = i + i + 2.0 * i * x + i + (x != 0) + np.floor(x) + 2.0 * x + 2.0 * x
    want = want + np.array([0.0, int(x[0]), 0.0, 0.0])
    assert_grad(integer_casts, x, want)
    check_derivatives(integer_casts, [x])
    np.testing.assert_allclose(s2sad.hessian(integer_casts)(x), np.diag(2.0 * i + 4.0), atol=1e-12)
    for dt, slope in ((int, i), (np.float32, 4.0 * x)):
        g = s2sad.grad(cast_to_a_dtype_held_in_a_variable)(x, dt)
        np.testing.assert_allclose(g, slope, rtol=1e-6)
        _, t = s2sad.jvp(cast_to_a_dtype_held_in_a_variable, (x, dt), (np.ones(4), None))
        np.testing.assert_allclose(t, np.sum(slope), rtol=1e-6)


# -- 11. powers at base 0: no NaN, no ZeroDivisionError ----------------------------------------------


def power_series(x):
    s = 0.0
    for i in range(0, 4):
        s = s + x**i / (i + 1)
    return s


def integer_powers(x):
    return np.sum(x**2 + x**1 + x**0)


def power_of_zero_base(y):
    return np.power(0.0, y) + 0.0**y + pow(0.0, y)


def test_power_at_base_zero_has_its_derivative():
    # d/dx sum_i x**i / (i + 1) at 0 is the i == 1 term only; x**0 is constant even at x == 0
    for mode in ("forward", "reverse"):
        assert s2sad.jacobian(power_series, mode=mode)(0.0) == pytest.approx(0.5)
    assert s2sad.hessian(power_series)(0.0) == pytest.approx(2.0 / 3.0)
    check_derivatives(power_series, [0.0])
    x = np.array([0.0, 0.5, 0.0])
    assert_grad(integer_powers, x, 2 * x + 1)
    # d/dy 0 ** y = 0 for y > 0 (JAX's convention: the one-sided limit)
    for mode in ("forward", "reverse"):
        assert s2sad.jacobian(power_of_zero_base, mode=mode)(2.0) == 0.0
    check_derivatives(power_of_zero_base, [1.5])


# -- 12 and 17. a zero tangent or cotangent stays zero through a singular partial ---------------------


def sqrt_where_positive(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def log_and_reciprocal_where_positive(x):
    safe = np.where(x > 0, np.log(x) + 1.0 / x + np.arcsin(x / 10.0) + x**0.5, 0.0)
    return np.sum(safe * np.arange(1.0, 5.0))


def lentz_continued_fraction(x):
    """x / (1 + x / (1 + x / ...)) by the modified Lentz method, which starts from a tiny constant."""
    f = 1e-300
    C = f
    D = 0.0
    for j in range(1, 30):
        D = 1.0 + x * D
        C = 1.0 + x / C
        D = 1.0 / D
        f = f * C * D
    return x / f


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_where_does_not_leak_nan_from_the_branch_it_discards():
    x = np.array([-1.0, 0.0, 4.0, -2.0])
    assert_grad(sqrt_where_positive, x, np.array([0.0, 0.0, 0.25, 0.0]))
    check_derivatives(sqrt_where_positive, [np.array([-1.0, 4.0, -2.0])])
    y = np.array([-1.0, 0.0, 4.0, 2.0])
    w = np.arange(1.0, 5.0)
    want = np.where(y > 0, (1.0 / y - 1.0 / y**2 + 0.1 / np.sqrt(1 - (y / 10) ** 2) + 0.5 / np.sqrt(y)) * w, 0.0)
    assert_grad(log_and_reciprocal_where_positive, y, want)
    check_derivatives(log_and_reciprocal_where_positive, [np.array([-1.0, 0.5, 4.0, -2.0])])
    z = np.array([-1.0, 0.5, 4.0, -2.0])  # second order: zero rows and columns where x <= 0, no nan
    np.testing.assert_allclose(s2sad.hessian(sqrt_where_positive)(z), np.diag(np.where(z > 0, -0.25, 0.0)
                                                                           * np.abs(z) ** -1.5))
    grad = s2sad.grad(log_and_reciprocal_where_positive)
    columns = np.stack([numerical_jvp(grad, [z], 0, e) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(s2sad.hessian(log_and_reciprocal_where_positive)(z), columns, rtol=1e-5, atol=1e-8)


def test_loop_carried_tangent_of_a_tiny_constant_is_an_exact_zero():
    x = 0.5
    fixed = x * 2.0 / (1.0 + np.sqrt(1.0 + 4.0 * x))  # the fixed point of f = x / (1 + f)
    assert lentz_continued_fraction(x) == pytest.approx(x / fixed, rel=1e-12)
    grad = s2sad.grad(lentz_continued_fraction)(x)
    assert np.isfinite(grad)
    assert s2sad.jvp(lentz_continued_fraction, (x,), (1.0,))[1] == pytest.approx(grad, rel=1e-12)
    assert grad == pytest.approx(fd_grad(lentz_continued_fraction, x), rel=1e-6)
    assert s2sad.jacobian(lentz_continued_fraction, mode="forward")(x) == pytest.approx(grad, rel=1e-12)
    check_derivatives(lentz_continued_fraction, [x])
    second = s2sad.hessian(lentz_continued_fraction)(x)
    assert second == pytest.approx(fd_grad(s2sad.grad(lentz_continued_fraction), x), rel=1e-6)


# -- 10. a tangent written in place belongs to its own name ------------------------------------------


def copy_then_write(a):
    b = a.copy()
    b[0] = 5.0
    c = np.copy(b)
    c[1] = a[1] * 3.0
    return np.sum(a * b) + np.sum(c**2)


def copies_written_in_a_loop(a):
    b = a * 1.0
    c = b.copy()
    for i in range(3):
        c[i] = c[i] * b[i]
        b[i] = 0.0
    return np.sum(c) + np.sum(b * a)


@pytest.mark.parametrize("f", [copy_then_write, copies_written_in_a_loop])
def test_in_place_write_does_not_change_another_names_tangent(f):
    a = np.array([1.0, 2.0, 3.0])
    assert_grad(f, a)
    check_derivatives(f, [a])


# -- crash: np.dot with a 0-d operand is the elementwise product -----------------------------------


def dot_with_scalars(x):
    A = np.cos(np.arange(24.0)).reshape(2, 3, 4) * x[1]
    return (np.sum(np.dot(x[0], A) ** 2) + np.sum(np.dot(A, x[2]) * A) + np.dot(x[0], x[1])
            + np.sum(A.dot(x[0])) + np.sum(np.dot(x[:2], x[2]) * x[1]))


def test_dot_with_a_0d_operand():
    x = np.array([1.5, 2.0, -0.7])
    assert_grad(dot_with_scalars, x)
    check_derivatives(dot_with_scalars, [x])
    v = np.array([0.3, -0.2, 0.9])
    np.testing.assert_allclose(s2sad.hessian(dot_with_scalars)(x) @ v,
                               numerical_jvp(s2sad.grad(dot_with_scalars), [x], 0, v), rtol=1e-6)


# -- 15. np.r_, np.c_, np.nan_to_num, np.einsum in sublist form -------------------------------------


def r_and_c(x):
    w = np.arange(1.0, 10.0)
    r = np.r_[x, 2.0 * x[0], 1:3, x[::-1] ** 2]
    c = np.c_[x, x**2, np.ones(3)]
    return np.sum(r * w) + np.sum(c * w.reshape(3, 3)) + np.sum(np.r_[x[0], x[1]] ** 3)


def nan_to_num_of_partly_invalid(x):
    """sqrt(x - 1) is NaN for x < 1 and log(0 * x) is -inf: there the output is a constant."""
    w = np.arange(1.0, 5.0)
    return np.sum(np.nan_to_num(np.sqrt(x - 1.0)) * w) + np.sum(np.nan_to_num(np.log(x * (x > 3.0)), neginf=-5.0) * w)


def einsum_sublists(x):
    A = x.reshape(2, 2)
    return np.sum(np.einsum(A, [0, 1], [1, 0]) * np.array([[1.0, 2.0], [3.0, 4.0]])) \
        + np.einsum(A, [0, 1], A, [0, 1]) + np.sum(np.einsum(A, [Ellipsis, 1], x[:2], [1]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_index_tricks_nan_to_num_and_sublist_einsum():
    x = np.array([1.5, -2.0, 0.7])
    assert_grad(r_and_c, x)
    check_derivatives(r_and_c, [x])
    y = np.array([0.5, 2.0, 4.0, -3.0])
    w = np.arange(1.0, 5.0)
    want = np.where(y > 1.0, 0.5 / np.sqrt(np.abs(y - 1.0)), 0.0) * w + np.where(y > 3.0, 1.0 / y, 0.0) * w
    assert_grad(nan_to_num_of_partly_invalid, y, want)
    check_derivatives(nan_to_num_of_partly_invalid, [y])
    z = np.array([1.0, -2.0, 0.5, 3.0])
    assert_grad(einsum_sublists, z)
    check_derivatives(einsum_sublists, [z])


# -- 16. complex intermediates: once refused everywhere, now differentiated under JAX's convention
# (docs/complex.md); what has no rule for complex values is refused at its line when the derivative is built

W_COMPLEX = np.array([1j, 2.0])


def complex_literal(x):
    return np.sum(np.abs(x + 1j * x**2))


def abs_of_complex(x):
    z = x * W_COMPLEX
    return np.sum(np.abs(z) ** 2)


def real_of_complex(x):
    z = x * np.exp(x * W_COMPLEX)
    return np.sum(np.real(z * np.conj(z)))


def cast_of_complex(x):
    z = x * W_COMPLEX
    return np.sum((z * z).astype(float))


@pytest.mark.parametrize("f", [complex_literal, abs_of_complex, real_of_complex])
def test_complex_intermediate_of_a_real_function_is_differentiated(f):
    x = np.array([1.0, 2.0])
    check_derivatives(f, [x])
    want = np.array([(f(x + d) - f(x - d)) / 2e-6 for d in np.eye(2) * 1e-6])
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(s2sad.jacobian(f, mode=mode)(x), want, rtol=1e-6)


def test_complex_intermediate_without_a_rule_is_refused_at_its_line():
    import inspect
    x = np.array([1.0, 2.0])
    source, first = inspect.getsourcelines(cast_of_complex)
    want = first + next(i for i, text in enumerate(source) if "astype" in text)
    for derivative in (s2sad.grad(cast_of_complex), lambda x: s2sad.jvp(cast_of_complex, (x,), (x,))):
        with pytest.raises(s2sad.S2SADError, match=r"complex values") as info:
            derivative(x)
        assert info.value.lineno == want and info.value.filename == __file__


SUBLIST = [0, 1]


def einsum_sublist_in_a_variable(x):
    A = x.reshape(2, 2)
    return np.sum(np.einsum(A, SUBLIST, [1, 0]) * np.array([[1.0, 2.0], [3.0, 4.0]]))


def r_with_a_directive(x):
    return np.sum(np.r_["0,2", x, x])


@pytest.mark.parametrize("f, text", [(einsum_sublist_in_a_variable, "np.einsum(A, SUBLIST"),
                                     (r_with_a_directive, 'np.r_["0,2"')])
def test_what_index_tricks_and_einsum_cannot_read_is_refused_at_its_line(f, text):
    import inspect
    source, first = inspect.getsourcelines(f)
    want = first + next(i for i, line in enumerate(source) if text in line)
    for derivative in (s2sad.grad(f), lambda x: s2sad.jvp(f, (x,), (np.ones(4),))):
        with pytest.raises(s2sad.S2SADError) as info:
            derivative(np.arange(1.0, 5.0))
        assert info.value.lineno == want


def math_power_series(x):
    s = 0.0
    for i in range(0, 4):
        s = s + math.pow(x, i) / (i + 1) + math.pow(0.0, x + 1.0)
    return s


def test_math_pow_at_base_zero():
    for mode in ("forward", "reverse"):
        assert s2sad.jacobian(math_power_series, mode=mode)(0.0) == pytest.approx(0.5)
    check_derivatives(math_power_series, [0.7])


def divmod_parts(x, y):
    q, r = divmod(x, y)
    return r * x + q * y


def test_divmod_remainder_has_the_slopes_of_mod():
    # d/dx (r x + q y) = r + x, d/dy = x * (-q) + q, with q = x // y = 3, r = x % y = 0.2
    for mode in ("forward", "reverse"):
        J = s2sad.jacobian(divmod_parts, wrt=(0, 1), mode=mode)(2.3, 0.7)
        np.testing.assert_allclose(J, (2.5, -3.9), rtol=1e-12)
    check_derivatives(divmod_parts, [2.3, 0.7])


def norm_of_complex(x):
    return np.linalg.norm(x * W_COMPLEX)


def test_norm_of_complex_values_is_refused():
    x = np.array([1.0, 2.0])
    if True:
        for derivative in (s2sad.grad(norm_of_complex), lambda x: s2sad.jvp(norm_of_complex, (x,), (x,)),
                           s2sad.jacobian(norm_of_complex, mode="forward"), s2sad.hessian(norm_of_complex)):
            with pytest.raises(s2sad.S2SADError, match="complex"):
                derivative(x)


# -- a cotangent folded to a bare 0.0 reaches an adjoint helper that reads its shape ---------------
# (fuzz seed 2002438) `0.0 * np.sum(op(a))` gives op's output the cotangent 0.0, which the optimizer
# passes on as a scalar: cumsum_adjoint ravels and reshapes it to a's shape and crashed. A helper linear
# in its cotangent given a zero is a zero, so the optimizer folds it away as it does unbroadcast's.

def zeroed_cumsum(x):
    return np.sum(x ** 2) + 0.0 * np.sum(np.cumsum(x * 3.0))


def zeroed_cumprod(x):
    return np.sum(x ** 2) + 0.0 * np.sum(np.cumprod(x))


def zeroed_diff(x):
    return np.sum(x ** 2) + 0.0 * np.sum(np.diff(x * 3.0))


def zeroed_tile_repeat_pad(x):
    return np.sum(x ** 2) + 0.0 * (np.sum(np.tile(x, 2)) + np.sum(np.repeat(x, 2)) + np.sum(np.pad(x, 1)))


def zeroed_take_and_sort(x):
    return np.sum(x ** 2) + 0.0 * (np.sum(np.take(x, [0, 2])) + np.sum(np.sort(x)))


@pytest.mark.parametrize("f", [zeroed_cumsum, zeroed_cumprod, zeroed_diff, zeroed_tile_repeat_pad,
                               zeroed_take_and_sort])
def test_zeroed_cotangent_of_a_shape_reading_adjoint(f):
    x = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.5]])
    assert_grad(f, x, want=2.0 * x)  # d/dx sum(x**2) = 2x; the zeroed term adds nothing
    np.testing.assert_allclose(fd_grad(f, x), 2.0 * x, rtol=1e-6, atol=1e-7)


def test_every_helper_folded_on_a_zero_is_linear_in_its_first_argument():
    from s2sad import registry, rules  # noqa: F401 (rules registers the helpers' own rules)
    from s2sad.optimize.fold import _LINEAR_IN_FIRST
    linear = {prim.__name__: rule for prim, rule in registry.RULES.items()
              if rule.kind == "linear" and getattr(prim, "__module__", "").startswith("s2sad.runtime")}
    bilinear = {"matmul_adjoint_a", "matmul_adjoint_b", "dot_adjoint_a", "dot_adjoint_b"}  # g times an operand
    for name in _LINEAR_IN_FIRST - {"np.transpose", "np.reshape"} - bilinear:
        assert name in linear, f"{name} is folded to 0.0 on a zero but has no @linear rule"
        assert linear[name].wrt == linear[name].params[:1], f"{name} is not linear in its first argument"


# -- a cotangent zeroed by a constant factor, into adjoints that read its shape (fuzz seed 2002438) --

def zeroed_kron(x, w):
    a = x * w
    return w * np.sum(x) + 0.0 * np.sum(np.kron(a, a))


def zeroed_matmul(x, w):
    a = x * w
    return w * np.sum(x) + 0.0 * np.sum(a @ a.T)


def zeroed_einsum(x, w):
    a = x * w
    return w * np.sum(x) + 0.0 * np.sum(np.einsum("ij,kj->ik", a, a))


def zeroed_tril(x, w):
    a = x * w
    return w * np.sum(x) + 0.0 * np.sum(np.tril(a))


def zeroed_concatenate(x, w):
    a = x * w
    return w * np.sum(x) + 0.0 * np.sum(np.concatenate([a, a]))


def zeroed_solve(x, w):
    a = x * w
    m = a @ a.T + np.eye(2)
    return w * np.sum(x) + 0.0 * np.sum(np.linalg.solve(m, a[:, 0]))


ZEROED_BY_A_CONSTANT = [zeroed_kron, zeroed_matmul, zeroed_einsum, zeroed_tril, zeroed_concatenate, zeroed_solve]


@pytest.mark.parametrize("f", ZEROED_BY_A_CONSTANT, ids=lambda f: f.__name__)
def test_zeroed_cotangent_into_an_adjoint_that_reads_its_shape(f):
    x = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.5]])
    w = 1.5
    gx, gw = s2sad.grad(f, wrt=(0, 1))(x, w)
    np.testing.assert_allclose(gx, np.full_like(x, w))
    assert gw == pytest.approx(np.sum(x))
    h = 1e-6
    assert gw == pytest.approx((f(x, w + h) - f(x, w - h)) / (2 * h), rel=1e-6)
    _, tangent = s2sad.jvp(f, (x, w), (np.ones_like(x), 1.0))
    assert tangent == pytest.approx(w * x.size + np.sum(x))
