"""Regressions of the second wave, one class of bug per section; each derivative is checked
against central finite differences in both modes (and the Hessian where cheap)."""

import importlib.util

import numpy as np
import pytest

import s2sad
from s2sad import runtime
from s2sad.testing import check_derivatives, numerical_jvp
from test_regressions_rules import assert_grad, fd_grad  # noqa: F401  (one FD checker for both files)


def assert_hessian(f, x, rtol=1e-5, atol=1e-6):
    """The Hessian against finite differences of the (checked) gradient, row by row."""
    x = np.asarray(x, dtype=float)
    g = s2sad.grad(f)
    want = np.stack([numerical_jvp(g, [x], 0, e, 1e-6) for e in np.eye(x.size)])
    np.testing.assert_allclose(s2sad.hessian(f)(x), want, rtol=rtol, atol=atol)


# -- 1. the NaN of a branch np.where discards stays out of the derivative ------------------------


def helper_branch(x):
    return np.sqrt(x) * x


def where_sqrt_times(x):
    return np.sum(np.where(x > 0, np.sqrt(x) * x, 0.0))


def where_log_times(x):
    return np.sum(np.where(x > 0, np.log(x) * (x + 1.0), x * 2.0))


def where_div_sqrt(x):
    return np.sum(np.where(x > 0, x / np.sqrt(x), 0.0))


def where_two_steps(x):
    s = np.sqrt(x)
    t = s * s * x
    u = np.where(x > 0, t, -x)
    return np.sum(u * x)


def where_in_callee(x):
    return np.sum(np.where(x > 0, helper_branch(x), 0.0))


def nan_to_num_product(x):
    return np.sum(np.nan_to_num(np.log(x) * x))


def where_scalar_loop(x):
    total = 0.0
    for i in range(x.shape[0]):
        total = total + np.where(x[i] > 0, np.sqrt(x[i]) * x[i], x[i])
    return total


@pytest.mark.parametrize("f", [where_sqrt_times, where_log_times, where_div_sqrt, where_two_steps,
                               where_in_callee, nan_to_num_product, where_scalar_loop])
def test_discarded_branch_nan_stays_out(f):
    x = np.array([-1.0, 2.0, 3.0, -0.5])  # the selected branch is finite at every point
    with np.errstate(invalid="ignore", divide="ignore"):
        assert_grad(f, x)
        assert_hessian(f, x)
        assert np.all(np.isfinite(s2sad.grad(f)(x)))


def test_ordinary_functions_keep_plain_products():
    def plain(x):
        return np.sum(np.sqrt(x) * x)

    assert "times_partial(" not in s2sad.source(plain).split("sqrt_x_bar", 1)[1].split("\n")[0]
    assert "times_partial" not in s2sad.source(lambda_free_mul)


def lambda_free_mul(x, y):
    return np.sum(x * y)


# -- 2. fuzzer-found crash classes ----------------------------------------------------------------


def read_only_seed(x, y):
    v9 = x - x[0]
    for i in range(2):
        d11 = x  # noqa: F841
    return np.sum(v9)


def test_in_place_accumulation_never_writes_a_broadcast_seed():
    """N4: x_bar was the read-only broadcast seed of np.sum, and scatter_add wrote x[0]'s term into it."""
    x = np.array([0.3, -0.9, 1.1, 0.2])
    np.testing.assert_allclose(s2sad.grad(read_only_seed)(x, 0.5), [-3.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(s2sad.jacobian(read_only_seed, mode="forward")(x, 0.5), [-3.0, 1.0, 1.0, 1.0])


def concat_branch(x, y):
    v4 = np.concatenate([x, x])
    if y > 5.0:
        return np.sum(v4)
    return 2.0 * x[0]


SPLITTING = {
    "concatenate": "np.concatenate([x, x])",
    "concatenate_none": "np.concatenate([x[None], x[None]], axis=None)",
    "stack": "np.stack([x, x])",
    "hstack": "np.hstack([x, x])",
    "vstack": "np.vstack([x, x])",
    "column_stack": "np.column_stack([x, x])",
    "array_of_list": "np.array([x, x])",
    "split": "np.split(x, 2)[0]",
    "reshape": "x.reshape(2, 2).T",
    "matmul": "x @ np.ones((4, 2))",
    "einsum": "np.einsum('i,j->ij', x, x)",
    "tile": "np.tile(x, 2)",
    "kron": "np.kron(x, x)",
    "cumsum": "np.cumsum(x)",
    "diff": "np.diff(x)",
    "pad": "np.pad(x, 1)",
    "triu": "np.triu(np.outer(x, x))",
}


@pytest.fixture(scope="module")
def branchy(tmp_path_factory):
    """`v = OP(x); if y > 5.0: return np.sum(v); return 2.0 * x[0]` for each OP, from a file (s2sad reads source)."""
    path = tmp_path_factory.mktemp("branchy") / "branchy_cases.py"
    path.write_text("import numpy as np\n" + "".join(
        f"\n\ndef f_{name}(x, y):\n    v = {op}\n    if y > 5.0:\n        return np.sum(v)\n    return 2.0 * x[0]\n"
        for name, op in SPLITTING.items()))
    spec = importlib.util.spec_from_file_location("branchy_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", list(SPLITTING))
def test_adjoints_take_the_bare_zero_of_a_branch_not_taken(name, branchy):
    """N5: the adjoint of a branch not taken is a bare 0.0; concatenate's adjoint split it (ZeroDivisionError),
    reshape's reshaped it, matmul's expanded it. Each now gets it spread to the value's shape."""
    f = getattr(branchy, f"f_{name}")
    x = np.array([1.0, 2.0, 3.0, 4.5])
    for y in (1.0, 7.0):
        want = [fd_grad(lambda x: f(x, y), x), 0.0]
        got = s2sad.grad(f, wrt=(0, 1))(x, y)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-7)
        assert got[1] == 0.0
        np.testing.assert_allclose(s2sad.jacobian(f, mode="forward")(x, y), want[0], rtol=1e-6, atol=1e-7)
        H = s2sad.hessian(f, wrt=0)(x, y)
        g = s2sad.grad(f, wrt=0)
        np.testing.assert_allclose(H, [numerical_jvp(g, [x, y], 0, e) for e in np.eye(4)], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s2sad.grad(concat_branch)(x, 1.0), [2.0, 0.0, 0.0, 0.0])


def constant_helper(a):
    return 0.5


def helper_sum(a):
    return 1.5 + 0.5 * a[1] + np.sum(a)


def inactive_helper_then_active(x, y):
    s1 = constant_helper(0.25)
    s1 = s1 - y
    return s1


def helper_then_augassign(x, y):
    s6 = helper_sum(np.linspace(0.0, 1.0, 4) * y)
    s6 += x
    return s6


def test_a_call_of_nothing_active_whose_name_becomes_active():
    """N1: `s1 = h1(0.25)` has no active operand, but the name s1 is active (rebound from y): reverse mode
    asked the call for a rule it does not have."""
    assert s2sad.grad(inactive_helper_then_active, wrt=(0, 1))(0.94, -0.29) == (0.0, -1.0)
    assert s2sad.jacobian(inactive_helper_then_active, wrt=1, mode="forward")(0.94, -0.29) == -1.0
    g = s2sad.grad(helper_then_augassign, wrt=(0, 1))(-0.99, 1.04)
    np.testing.assert_allclose(g, (1.0, numerical_jvp(helper_then_augassign, [-0.99, 1.04], 1, 1.0)), rtol=1e-6)
    np.testing.assert_allclose(s2sad.hessian(helper_then_augassign, wrt=(0, 1))(-0.99, 1.04), np.zeros((2, 2)),
                               atol=1e-9)


# -- 4. runtime refusals are S2SADErrors at the user's line ---------------------------------------


def pad_ramp(x):
    return np.sum(np.pad(x, 1, mode="linear_ramp") ** 2)


def spectral_norm(a):
    return np.linalg.norm(a, ord=2)


def test_runtime_refusals_name_the_users_line():
    """np.pad with a mode s2sad has no adjoint for, and second derivatives of the spectral norm, raised a
    bare NotImplementedError from inside the runtime."""
    with pytest.raises(s2sad.S2SADError, match="np.pad with mode='linear_ramp'") as info:
        s2sad.grad(pad_ramp)(np.arange(3.0))
    assert info.value.lineno == pad_ramp.__code__.co_firstlineno + 1
    a = np.array([[1.0, 2.0], [3.0, 4.5]])
    np.testing.assert_allclose(s2sad.grad(spectral_norm)(a), fd_grad(spectral_norm, a), rtol=1e-6, atol=1e-7)
    with pytest.raises(s2sad.S2SADError, match="second derivatives of np.linalg.norm with ord=2"):
        s2sad.hessian(spectral_norm)(a)


# -- 3. every runtime helper that generated code calls has a rule ---------------------------------

# Helpers generated code calls that the transforms handle themselves, or that generated code never calls.
STRUCTURAL = {
    "append": "xs = append(xs, v) is paired by the transforms (a tangent list beside it; unappend in reverse)",
    "rebuild": "called by the API on results, never by generated code",
}
# Helpers still without a rule: a derivative through one of them stops with "no derivative rule" (or at a
# construct of its source). This list only shrinks: the test fails when one of them gets a rule.
KNOWN_MISSING = {
    "norm_slope_dot": "third derivatives of np.linalg.norm",
    "einsum_with_ops": "third derivatives of einsum's rules",
    "einsum_with_dops": "third derivatives of einsum's rules",
    "einsum_adjoint_ops": "third derivatives of einsum's rules",
    "einsum_adjoint_dops": "third derivatives of einsum's rules",
}


def _public_helpers():
    import inspect

    from s2sad import runtime
    return {name: obj for name, obj in vars(runtime).items()
            if not name.startswith("_") and callable(obj) and not inspect.isclass(obj)
            and getattr(obj, "__module__", None) == runtime.__name__}


def test_every_runtime_helper_has_a_rule():
    from s2sad import registry
    helpers = _public_helpers()
    missing = {name for name, obj in helpers.items() if registry.lookup(obj) is None}
    assert missing - set(STRUCTURAL) - set(KNOWN_MISSING) == set(), "runtime helpers without a derivative rule"
    assert set(KNOWN_MISSING) <= missing, "a helper got its rule: take it off KNOWN_MISSING"
    assert set(STRUCTURAL) <= set(helpers)


def squares_comprehension(x):
    lst = [e * e for e in x]
    return sum(lst)


def append_loop(x):
    out = []
    for i in range(x.shape[0]):
        out.append(np.sin(x[i]) * x[0])
    total = 0.0
    for v in out:
        total = total + v * v
    return total


def stacked_rows(x):
    rows = [x * k for k in range(3)]
    return np.sum(np.stack(rows) ** 3)


@pytest.mark.parametrize("f", [squares_comprehension, append_loop, stacked_rows])
def test_hessian_of_lists(f):
    """unappend (the adjoint of a list append) had no rule: the Hessian of any list comprehension was refused."""
    x = np.array([0.3, -0.9, 1.1, 0.2])
    assert_grad(f, x)
    assert_hessian(f, x)
    with pytest.raises(s2sad.S2SADError, match="reverse mode over the adjoint of a list append"):
        s2sad.jacobian(s2sad.grad(f), mode="reverse")(x)


def prod_line(t):
    return np.prod(np.array([1.0, 0.0, 3.0, -2.0]) + t * np.array([0.5, -1.0, 2.0, 0.3]))


def prod_rows(t):
    a = np.array([[1.0, 0.0, 3.0], [2.0, -1.0, 0.5]]) + t * np.array([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]])
    return np.sum(np.prod(a, axis=1) ** 2)


@pytest.mark.parametrize("f", [prod_line, prod_rows])
@pytest.mark.parametrize("t0", [0.0, 0.4])
def test_third_derivative_of_prod(f, t0):
    """prod_others_dot (prod's second derivative) had no rule: a third derivative went into np.delete's source."""
    d2 = s2sad.grad(s2sad.grad(f))
    want = numerical_jvp(d2, [t0], 0, 1.0, 1e-4)
    np.testing.assert_allclose(s2sad.grad(d2)(t0), want, rtol=1e-6)


def test_fourth_derivative_of_prod_is_refused():
    with pytest.raises(s2sad.S2SADError, match="fourth derivatives of np.prod"):
        s2sad.grad(s2sad.grad(s2sad.grad(s2sad.grad(prod_line))))(0.3)


TRI_A = np.array([[4.2, 0.3, -0.5, 0.1], [0.7, 3.9, 0.2, -0.4], [-0.3, 0.6, 4.4, 0.5], [0.2, -0.1, 0.8, 3.7]])


def tri_solve_lower(a, b):
    return np.sum(np.sin(runtime.tri_solve(a, b, True)) ** 2)


def tri_solve_upper(a, b):
    return np.sum(runtime.tri_solve(a, b, False) ** 3)


def tri_inverse(a):
    return np.sum(np.cos(runtime.tri_inv(a)))


def tri_solve_flat(v):
    return tri_solve_lower(np.reshape(v[:16], (4, 4)) + TRI_A, v[16:])


def tri_inverse_flat(v):
    return tri_inverse(np.reshape(v, (4, 4)) + TRI_A)


def test_factored_triangular_helpers_have_rules():
    """tri_solve and tri_inv (the factored solves) had no rule: derivatives went into their blocked source."""
    b, B = np.array([0.3, -1.2, 0.8, 0.5]), np.array([[0.3, 1.0], [-1.2, 0.1], [0.8, -0.7], [0.5, 0.2]])
    check_derivatives(tri_solve_lower, (TRI_A, b))
    check_derivatives(tri_solve_lower, (TRI_A, B))
    check_derivatives(tri_solve_upper, (TRI_A, b))
    check_derivatives(tri_inverse, (TRI_A,))
    v = np.linspace(-0.2, 0.3, 20)
    assert_hessian(tri_solve_flat, v)
    assert_hessian(tri_inverse_flat, v[:16])


def positive_part(c, v):
    return np.where(c, v, 0.0)


def selection_in_callee(x):
    """The caller's product meets the callee's exact zeros: it must multiply exactly too."""
    return np.sum(positive_part(x > 0, np.sqrt(x) * x))


def test_a_selection_inside_a_callee_protects_the_callers_products():
    x = np.array([-1.0, 2.0, 3.0, -0.5])
    with np.errstate(invalid="ignore", divide="ignore"):
        assert_grad(selection_in_callee, x)
        assert_hessian(selection_in_callee, x)


def loop_not_run(x, n):
    v = np.concatenate([x, x]).reshape(2, -1)
    s = 0.0
    for i in range(n):
        s = s + np.sum(v @ np.ones(4))
    return s + x[0]


def doubled(x):
    return np.concatenate([x, x]).reshape(2, -1) * 2.0


def callee_result_unused(x, y):
    w = doubled(x)
    if y > 5.0:
        return np.sum(w @ np.ones(4))
    return x[0]


@pytest.mark.parametrize("f, other", [(loop_not_run, 0), (loop_not_run, 2), (callee_result_unused, 1.0),
                                      (callee_result_unused, 7.0)])
def test_bare_zero_of_a_loop_not_run_or_a_callee_result_unused(f, other):
    x = np.array([0.5, 1.0, -2.0, 3.0])
    want = fd_grad(lambda x: f(x, other), x)
    np.testing.assert_allclose(s2sad.grad(f)(x, other), want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(s2sad.jacobian(f, mode="forward")(x, other), want, rtol=1e-6, atol=1e-7)


# -- an adjoint a loop trip kills (0.0) reaches the next trip's reshape (fuzz seed 102331) ---------


def reshapes_overwritten_in_a_loop(x):
    v = x
    for _ in range(4):
        flat = v.reshape(2, 2).reshape(4)
    return np.sum(flat * flat)


def reshape_then_split_in_a_loop(x):
    total = 0.0
    for k in range(3):
        halves = np.split(x.reshape(2, 2) * (k + 1.0), 2)
        total = total + np.sum(halves[0])
    return total


@pytest.mark.parametrize("f", [reshapes_overwritten_in_a_loop, reshape_then_split_in_a_loop])
def test_an_adjoint_killed_in_a_loop_trip_is_spread_before_a_reshape(f):
    x = np.array([1.1, 0.6, 1.3, -0.4])
    assert_grad(f, x)
    assert_hessian(f, x)
