"""User-defined rules: s2sad.custom_vjp, s2sad.custom_jvp and s2sad.stop_gradient, in both modes.

Each custom function below is called from ordinary functions (straight-line, in loops, in
branches, in a helper) and its derivatives are checked against finite differences; rules
that deliberately differ from the true derivative show that the user's rule is the one used.
"""

import math

import numpy as np
import pytest

import s2sad
from s2sad.testing import check_derivatives

# -- a numerically stable rule for an unstable formula -------------------------------------------


@s2sad.custom_vjp
def log1pexp(x):
    """log(1 + e^x), written the way that overflows: its own derivative is inf/inf = nan at x = 1000."""
    with np.errstate(over="ignore"):
        return np.log(1.0 + np.exp(x))


def log1pexp_fwd(x):
    return log1pexp(x), (x,)


def log1pexp_bwd(residuals, g):
    (x,) = residuals
    return (g * _sigmoid(x),)


log1pexp.defvjp(log1pexp_fwd, log1pexp_bwd)


@log1pexp.defjvp
def log1pexp_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return log1pexp(x), x_dot * _sigmoid(x)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for any x


def softplus_loss(a):
    return np.sum(log1pexp(a))


def softplus_loss_in_loop(a, n=3):
    total = 0.0
    for i in range(n):
        total = total + np.sum(log1pexp(a * (i + 1.0)))
    return total


def softplus_loss_in_while(x):
    k = 0
    while k < 3:
        x = log1pexp(x) - 0.5
        k = k + 1
    return x


def softplus_branch(x):
    if x > 0.5:
        y = log1pexp(x * x)
    else:
        y = x * log1pexp(x)
    return y


def _layer(a):
    return log1pexp(a) * 2.0


def softplus_through_helper(a):
    return np.sum(_layer(a))


A = np.array([0.3, -1.2, 2.0])


@pytest.mark.parametrize("f, args", [
    (softplus_loss, (A,)),
    (softplus_loss_in_loop, (A,)),
    (softplus_loss_in_while, (0.4,)),
    (softplus_branch, (0.7,)),
    (softplus_branch, (0.2,)),
    (softplus_through_helper, (A,)),
], ids=["straight", "for_loop", "while_loop", "branch_taken", "branch_not_taken", "helper"])
def test_custom_rule_in_both_modes(f, args):
    check_derivatives(f, list(args), wrt=[0])


def test_custom_rule_replaces_an_unstable_derivative():
    x = np.array([1000.0, -1000.0, 0.0])
    np.testing.assert_allclose(s2sad.grad(softplus_loss)(x), [1.0, 0.0, 0.5])
    _, tangent = s2sad.jvp(softplus_loss, (x,), (np.ones(3),))
    np.testing.assert_allclose(tangent, 1.5)


def test_custom_function_is_differentiated_directly_and_still_works():
    assert log1pexp(0.0) == math.log(2.0)
    assert log1pexp.__name__ == "log1pexp" and "overflows" in log1pexp.__doc__
    assert s2sad.grad(log1pexp)(1000.0) == 1.0
    assert s2sad.jvp(log1pexp, (1000.0,), (2.0,))[1] == 2.0


def test_generated_code_calls_the_rule_by_name():
    assert "custom_cotangent(log1pexp, 0, " in s2sad.source(softplus_loss, mode="reverse")
    assert "custom_tangent(log1pexp, (a,), (a_dot,))" in s2sad.source(softplus_loss, mode="forward")


# -- the user's rule is used, even when it is not the true derivative ---------------------------


@s2sad.custom_vjp
def clip_gradient(x, lo, hi):
    """The identity, whose cotangent is clipped to [lo, hi] (a rule no formula would give)."""
    return x


def _clip_fwd(x, lo, hi):
    return x, (lo, hi)


def _clip_bwd(residuals, g):
    lo, hi = residuals
    return np.clip(g, lo, hi), None, None


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def scaled_and_clipped(x):
    return np.sum(clip_gradient(x, -1.0, 1.0) * np.array([0.5, 3.0, -4.0]))


def test_the_users_vjp_is_the_one_used():
    np.testing.assert_allclose(s2sad.grad(scaled_and_clipped)(np.zeros(3)), [0.5, 1.0, -1.0])


def test_custom_vjp_only_refuses_forward_mode_at_the_call():
    message = r"test_custom_rules.py:\d+: clip_gradient has a custom_vjp rule.*defjvp"
    with pytest.raises(s2sad.S2SADError, match=message):
        s2sad.jvp(scaled_and_clipped, (np.zeros(3),), (np.ones(3),))


# -- several arguments, keywords, defaults ---------------------------------------------------------


@s2sad.custom_jvp
def weighted(x, w, axes=(0, 1), scale=2.0):
    """scale * sum(w * x**2) over axes; a tuple default exercises literal tuples in rule templates."""
    return scale * np.sum(w * x ** 2, axis=axes)


@weighted.defjvp
def _weighted_jvp(primals, tangents):
    x, w, axes, scale = primals
    x_dot, w_dot, _, scale_dot = tangents
    out = weighted(x, w, axes, scale)
    return out, scale * np.sum(2.0 * w * x * x_dot + w_dot * x ** 2, axis=axes) + scale_dot * out / scale


def _weighted_fwd(x, w, axes=(0, 1), scale=2.0):
    return weighted(x, w, axes, scale), (x, w, axes, scale)


def _weighted_bwd(residuals, g):
    x, w, axes, scale = residuals
    return 2.0 * scale * g * w * x, scale * g * x ** 2, None, g * np.sum(w * x ** 2, axis=axes)


weighted.defvjp(_weighted_fwd, _weighted_bwd)


def weighted_defaults(M, N):
    return weighted(M, N)


def weighted_keywords(M, z):
    return weighted(M, np.ones((3, 3)), scale=z)


def weighted_one_active(M):
    return weighted(np.ones((3, 3)), M)


def weighted_inside_loop(M, N):
    total = 0.0
    for i in range(3):
        total = total + weighted(M[i:], N[i:], scale=0.5 + i)
    return total


RNG = np.random.default_rng(0)
M3, N3 = RNG.standard_normal((3, 3)), RNG.uniform(0.5, 1.5, (3, 3))


@pytest.mark.parametrize("f, args", [
    (weighted_defaults, (M3, N3)),
    (weighted_keywords, (M3, 0.7)),
    (weighted_one_active, (N3,)),
    (weighted_inside_loop, (M3, N3)),
], ids=["defaults", "keywords", "one_active", "loop"])
def test_several_arguments(f, args):
    check_derivatives(f, list(args))


def test_custom_jvp_and_vjp_agree_with_each_other():
    v = RNG.standard_normal((3, 3))
    _, forward = s2sad.jvp(weighted_defaults, (M3, N3), (v, 0.0 * v))
    reverse = s2sad.grad(weighted_defaults)(M3, N3)
    np.testing.assert_allclose(forward, np.sum(reverse * v))


# -- third-party functions without Python source ---------------------------------------------------


def gamma_times(x):
    return math.gamma(x) * x


def test_a_function_without_rule_or_source_is_refused_by_name():
    for mode in ("forward", "reverse"):
        with pytest.raises(s2sad.S2SADError, match=r"test_custom_rules.py:\d+: .*math\.gamma.*s2sad\.custom_vjp"):
            s2sad.source(gamma_times, mode=mode)


gamma = s2sad.custom_vjp(math.gamma)


def _digamma(x):
    """psi(x) by recurrence to x >= 6 and the asymptotic series (ample for a test)."""
    shift = 0.0
    while x < 6.0:
        shift -= 1.0 / x
        x += 1.0
    return shift + math.log(x) - 0.5 / x - 1.0 / (12 * x ** 2) + 1.0 / (120 * x ** 4) - 1.0 / (252 * x ** 6)


gamma.defvjp(lambda x: (math.gamma(x), x), lambda x, g: (g * math.gamma(x) * _digamma(x),))
gamma.defjvp(lambda p, t: (math.gamma(p[0]), t[0] * math.gamma(p[0]) * _digamma(p[0])))


def gamma_wrapped_times(x):
    return gamma(x) * x


arctan = s2sad.custom_jvp(np.arctan)  # a ufunc: its parameters are x1, x2, ...


@arctan.defjvp
def _arctan_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return np.arctan(x), t / (1.0 + x * x)


arctan.defvjp(lambda x: (np.arctan(x), x), lambda x, g: (g / (1.0 + x * x),))


def arctan_sum(a):
    return np.sum(arctan(a * a))


def test_wrapped_c_functions():
    check_derivatives(gamma_wrapped_times, [1.7])
    check_derivatives(arctan_sum, [A])
    assert arctan.parameters == ("x1",)


def test_a_custom_jvp_alone_stops_reverse_mode_with_advice():
    erf = s2sad.custom_jvp(math.erf)
    erf.defjvp(lambda p, t: (math.erf(p[0]), t[0] * 2.0 / math.sqrt(math.pi) * math.exp(-p[0] ** 2)))
    assert erf(0.5) == math.erf(0.5)
    assert s2sad.jvp(erf, (0.0,), (1.0,))[1] == pytest.approx(2.0 / math.sqrt(math.pi))
    # grad of one float runs forward mode, which the rule serves; with two inputs grad runs reverse mode
    assert s2sad.grad(erf)(0.5) == pytest.approx(2.0 / math.sqrt(math.pi) * math.exp(-0.25))

    def erf_times(x, y):
        return erf(x) * y
    with pytest.raises(s2sad.S2SADError, match=r"erf has a custom_jvp rule but reverse mode needs a custom_vjp rule"):
        s2sad.grad(erf_times, wrt=(0, 1))(0.5, 2.0)


# -- mistakes in rules are reported, not differentiated ----------------------------------------------


@s2sad.custom_vjp
def bad_count(x, y):
    return x * y


bad_count.defvjp(lambda x, y: (x * y, (x, y)), lambda r, g: g * r[1])


@s2sad.custom_vjp
def bad_shape(a):
    return np.sum(a)


bad_shape.defvjp(lambda a: (np.sum(a), None), lambda r, g: (g,))


def test_a_bwd_with_the_wrong_number_or_shape_of_cotangents_is_an_error():
    with pytest.raises(s2sad.S2SADError, match=r"bwd rule of bad_count must return a tuple of 2 cotangent"):
        s2sad.grad(bad_count)(1.0, 2.0)
    with pytest.raises(s2sad.S2SADError, match=r"cotangent of 'a' from bwd of bad_shape has shape \(\)"):
        s2sad.grad(bad_shape)(A)


def test_custom_vjp_needs_named_parameters():
    with pytest.raises(s2sad.S2SADError, match="one by one"):
        s2sad.custom_vjp(lambda *xs: sum(xs))
    with pytest.raises(s2sad.S2SADError, match="cannot read the parameters of max"):
        s2sad.custom_vjp(max)


# -- stop_gradient -----------------------------------------------------------------------------------


def stopped_product(x):
    return x * s2sad.stop_gradient(x)


def stopped_in_loop(a):
    total = 0.0
    for i in range(3):
        total = total + np.sum(a * s2sad.stop_gradient(a * i))
    return total


def test_stop_gradient_blocks_both_modes():
    assert s2sad.grad(stopped_product)(3.0) == 3.0
    assert s2sad.jvp(stopped_product, (3.0,), (1.0,)) == (9.0, 3.0)
    np.testing.assert_allclose(s2sad.grad(stopped_in_loop)(A), 3.0 * A)
    np.testing.assert_allclose(s2sad.jvp(stopped_in_loop, (A,), (np.ones(3),))[1], 3.0 * np.sum(A))
    assert s2sad.stop_gradient(A) is A


def only_stopped(a):
    return np.sum(s2sad.stop_gradient(a) ** 2)


def test_stop_gradient_everywhere_gives_zero_derivatives():
    np.testing.assert_array_equal(s2sad.grad(only_stopped)(A), np.zeros(3))
    assert s2sad.jvp(only_stopped, (A,), (np.ones(3),))[1] == 0.0


# A custom rule's cotangent for a tuple argument, the tuple passed to two calls: the two cotangents
# add item by item (as tuples they once concatenated, and the gradient read only the first's).


@s2sad.custom_vjp
def pair_product(p):
    a, b = p
    return a * b


def pair_product_fwd(p):
    return pair_product(p), p


def pair_product_bwd(p, g):
    a, b = p
    return ((g * b, g * a),)


pair_product.defvjp(pair_product_fwd, pair_product_bwd)


def pair_used_twice(a, b):
    p = (a, b)
    return pair_product(p) + 2.0 * pair_product(p)


def test_a_tuple_cotangent_from_two_custom_calls_adds():
    assert s2sad.grad(pair_used_twice, wrt=(0, 1))(0.7, 0.4) == pytest.approx((3 * 0.4, 3 * 0.7), rel=1e-12)
