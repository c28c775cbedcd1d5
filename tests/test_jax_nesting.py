"""JAX's nestings: a gradient taken inside a differentiated function, Jacobians of Jacobians, and
Hessians and Jacobians with respect to containers. Every value is checked against closed forms or
central differences of an independent (hand-written or analytic) derivative."""

import math

import numpy as np
import pytest

import s2sad

X = np.array([0.3, -0.7, 1.1])
H_STEP = 1e-6


def central(fn, x, h=H_STEP):
    """d fn / d x by central differences, laid out as fn(x).shape + x.shape (x an array or a float)."""
    x = np.asarray(x, dtype=float)
    columns = []
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = h
        up, down = (x + step, x - step) if x.shape else (float(x + step), float(x - step))
        columns.append((np.asarray(fn(up)) - np.asarray(fn(down))) / (2 * h))
    stacked = np.stack(columns, axis=-1)
    return stacked.reshape(np.shape(fn(x if x.shape else float(x))) + x.shape)


# -- grad inside a differentiated function: no perturbation confusion ----------------------------


def plus(y, x):
    return x + y


def confused_by_name(x):
    return x * s2sad.grad(plus)(1.0, x)  # d/dy (x + y) = 1, so f(x) = x


def confused_by_lambda(x):
    return x * s2sad.grad(lambda y: x + y)(1.0)  # the lambda reads the outer x


def closes_over_x(x):
    return s2sad.grad(lambda y: x * y * y)(1.0)  # 2 x y at y = 1


@pytest.mark.parametrize("f", [confused_by_name, confused_by_lambda])
def test_the_perturbation_confusion_test_gives_one_not_two(f):
    """d/dx [x * d/dy (x + y) at y=1] = 1; an implementation that confuses the perturbations gives 2."""
    assert s2sad.grad(f)(2.0) == pytest.approx(1.0, abs=1e-15)
    assert s2sad.jvp(f, (2.0,), (1.0,))[1] == pytest.approx(1.0, abs=1e-15)
    assert s2sad.value_and_grad(f)(3.0) == pytest.approx((3.0, 1.0))
    assert s2sad.hessian(f)(2.0) == pytest.approx(0.0, abs=1e-15)


def test_an_inner_grad_closing_over_the_outer_variable():
    assert s2sad.grad(closes_over_x)(2.0) == pytest.approx(2.0, abs=1e-15)
    assert s2sad.jvp(closes_over_x, (2.0,), (1.0,)) == pytest.approx((4.0, 2.0))
    out, pullback = s2sad.vjp(closes_over_x, 2.0)
    assert pullback(1.0)[0] == pytest.approx(2.0)


def sine_of_product(x):
    def h(y):
        return np.sin(x * y) * y
    return s2sad.grad(h)(0.5) * x


def test_an_inner_grad_of_a_nested_def_against_its_closed_form():
    """f(x) = x * g(x), g(x) = d/dy [sin(x y) y] at y=0.5 = 0.5 x cos(0.5 x) + sin(0.5 x)."""
    def f_by_hand(x):
        return x * (0.5 * x * np.cos(0.5 * x) + np.sin(0.5 * x))
    x = 0.7
    assert sine_of_product(x) == pytest.approx(f_by_hand(x), rel=1e-13)
    assert s2sad.grad(sine_of_product)(x) == pytest.approx(central(f_by_hand, x), rel=1e-8)
    assert s2sad.hessian(sine_of_product)(x) == pytest.approx(central(lambda z: central(f_by_hand, z, 1e-4), x, 1e-4),
                                                              rel=1e-5)


def weighted(v, x):
    return np.sum(np.tanh(v * x))


def inner_gradient_of_an_array(x, w):
    def scale(v):
        return 2.0 * v

    g = s2sad.grad(lambda v: weighted(scale(v), x), wrt=0)(w)  # a nested def called from the lambda
    return np.sum(g * w)


def test_an_inner_grad_of_an_array_with_respect_to_both_outer_arguments():
    x, w = 0.3, np.array([0.1, -0.4, 0.8])

    def by_hand(x, w):  # d/dv sum tanh(2 v x) = 2 x (1 - tanh(2 v x)^2)
        return np.sum(2 * x * (1 - np.tanh(2 * w * x) ** 2) * w)
    assert inner_gradient_of_an_array(x, w) == pytest.approx(by_hand(x, w), rel=1e-13)
    gx, gw = s2sad.grad(inner_gradient_of_an_array, wrt=(0, 1))(x, w)
    assert gx == pytest.approx(central(lambda z: by_hand(z, w), x), rel=1e-7)
    np.testing.assert_allclose(gw, central(lambda z: by_hand(x, z), w), rtol=1e-7)
    _, tangent = s2sad.jvp(inner_gradient_of_an_array, (x, w), (1.0, np.zeros(3)))
    assert tangent == pytest.approx(gx, rel=1e-12)


def grad_of_grad_inside(x):
    return s2sad.grad(s2sad.grad(lambda y: x * y ** 3))(1.0)  # 6 x y at y = 1


def value_and_grad_inside(x):
    value, slope = s2sad.value_and_grad(lambda y: x * y ** 3)(2.0)  # 8 x and 12 x
    return value * slope


def test_nested_grads_and_value_and_grad_inside():
    assert grad_of_grad_inside(2.0) == pytest.approx(12.0)
    assert s2sad.grad(grad_of_grad_inside)(2.0) == pytest.approx(6.0)
    assert s2sad.grad(value_and_grad_inside)(2.0) == pytest.approx(2 * 96 * 2.0)  # d/dx 96 x^2


def gradient_bound_to_a_name(x, w):
    slope = s2sad.grad(lambda v: np.sum(np.sin(v) * x))   # JAX's habit: name the gradient, then call it
    return np.sum(slope(w) * w)                          # sum(x cos(w) w)


def test_a_gradient_bound_to_a_local_name_and_called():
    x, w = 0.4, np.array([0.2, -1.3])
    gx, gw = s2sad.grad(gradient_bound_to_a_name, wrt=(0, 1))(x, w)
    assert gx == pytest.approx(np.sum(np.cos(w) * w), rel=1e-13)
    np.testing.assert_allclose(gw, x * (np.cos(w) - np.sin(w) * w), rtol=1e-13)


def jvp_inside(x):
    return s2sad.jvp(np.sin, (x,), (1.0,))[1] * x


def test_other_transforms_inside_are_refused_at_the_users_line_not_read():
    with pytest.raises(s2sad.S2SADError, match="s2sad.jvp, an s2sad transform") as caught:
        s2sad.grad(jvp_inside)(0.5)
    assert (caught.value.filename, caught.value.lineno) == (__file__, jvp_inside.__code__.co_firstlineno + 1)


def with_aux_inside(x):
    return s2sad.grad(lambda y: (x * y, 0.0), has_aux=True)(1.0)[0]


def computed_wrt_inside(x, k):
    return s2sad.grad(plus, wrt=k)(1.0, x)


def chosen_at_run_time(x, fns):
    return s2sad.grad(fns[0])(x)


def gamma_inside(x):
    return x * s2sad.grad(lambda y: math.gamma(y) * x)(1.5)


def test_a_refusal_inside_the_inner_lambda_names_the_users_file_and_line():
    with pytest.raises(s2sad.S2SADError, match="math.gamma has no derivative rule") as caught:
        s2sad.grad(gamma_inside)(2.0)
    assert caught.value.filename.startswith(__file__)
    assert caught.value.lineno == gamma_inside.__code__.co_firstlineno + 1


@pytest.mark.parametrize("f, args, match", [
    (with_aux_inside, (1.0,), "other than \\(function, wrt\\)"),
    (computed_wrt_inside, (1.0, 0), "wrt that is not a constant"),
    (chosen_at_run_time, (1.0, [np.sin]), "known only when the code runs"),
])
def test_what_cannot_be_read_inside_is_refused_at_the_users_line(f, args, match):
    with pytest.raises(s2sad.S2SADError, match=match) as caught:
        s2sad.grad(f)(*args)
    assert caught.value.filename == __file__
    assert caught.value.lineno == f.__code__.co_firstlineno + 1


# -- jacobian(jacobian(f)), jacobian(hessian(f)), hessian of a vector function -------------------


def sine_times_norm(x):
    return np.sin(x) * np.sum(x ** 2)


def jacobian_by_hand(x):
    return np.diag(np.cos(x)) * np.sum(x ** 2) + np.outer(np.sin(x), 2 * x)


def test_jacobian_of_a_jacobian_is_the_third_order_tensor():
    T = s2sad.jacobian(s2sad.jacobian(sine_times_norm))(X)
    assert T.shape == (3, 3, 3)  # out + in + in
    np.testing.assert_allclose(T, central(jacobian_by_hand, X), rtol=1e-7, atol=1e-8)
    for inner in ("forward", "reverse"):
        for outer in ("forward", "reverse", "auto"):
            nested = s2sad.jacobian(s2sad.jacobian(sine_times_norm, mode=inner), mode=outer)
            np.testing.assert_allclose(nested(X), T, rtol=1e-12, atol=1e-14)


def test_hessian_of_a_vector_function_is_jacobian_of_jacobian():
    H = s2sad.hessian(sine_times_norm)(X)
    np.testing.assert_allclose(H, central(jacobian_by_hand, X), rtol=1e-7, atol=1e-8)


def sum_of_cubed_sines(x):
    return np.sum(np.sin(x) ** 3)


def scaled_sines(x, a):
    return np.sin(x) * a[0] * a[1]


def test_hessian_of_a_vector_function_with_a_tuple_wrt_gives_blocks_out_plus_in_i_plus_in_j():
    a = np.array([1.5, -0.5])
    H = s2sad.hessian(scaled_sines, wrt=(0, 1))(X, a)
    assert [[np.shape(H[i][j]) for j in range(2)] for i in range(2)] == [[(3, 3, 3), (3, 3, 2)],
                                                                         [(3, 2, 3), (3, 2, 2)]]
    for i, j in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        def inner_jacobian(v, i=i, j=j):  # by hand: d/dx = diag(cos x) a0 a1, d/da = [sin(x) a1, sin(x) a0]
            x, b = [v, a] if j == 0 else [X, v]
            return np.diag(np.cos(x)) * b[0] * b[1] if i == 0 else np.stack([np.sin(x) * b[1], np.sin(x) * b[0]], 1)
        np.testing.assert_allclose(H[i][j], central(inner_jacobian, [X, a][j]), rtol=1e-7, atol=1e-8)


def test_jacobian_of_a_hessian():
    def hessian_by_hand(x):
        return np.diag(6 * np.sin(x) * np.cos(x) ** 2 - 3 * np.sin(x) ** 3)
    T = s2sad.jacobian(s2sad.hessian(sum_of_cubed_sines))(X)
    np.testing.assert_allclose(T, central(hessian_by_hand, X), rtol=1e-7, atol=1e-8)


def scaled(a, x):
    return a * np.tanh(x) * x[0]


def test_jacobian_of_a_jacobian_with_respect_to_other_arguments_and_floats():
    a = 2.0

    def jac_x(a, x):  # d/dx of a tanh(x) x0
        J = np.diag(a * (1 - np.tanh(x) ** 2) * x[0])
        J[:, 0] += a * np.tanh(x)
        return J
    inner = s2sad.jacobian(scaled, wrt=1)
    np.testing.assert_allclose(s2sad.jacobian(inner, wrt=1)(a, X), central(lambda z: jac_x(a, z), X), rtol=1e-7,
                               atol=1e-8)
    np.testing.assert_allclose(s2sad.jacobian(inner, wrt=0)(a, X), central(lambda b: jac_x(b, X), a), rtol=1e-7)
    both = s2sad.jacobian(inner, wrt=(0, 1))(a, X)
    assert both[0].shape == (3, 3) and both[1].shape == (3, 3, 3)
    assert s2sad.jacobian(s2sad.jacobian(quartic))(1.5) == pytest.approx(12 * 1.5 ** 2)
    np.testing.assert_allclose(s2sad.hessian(two_powers)(1.5), [12 * 1.5 ** 2, 6 * 1.5])


def quartic(y):
    return y ** 4


def two_powers(y):
    return np.array([y ** 4, y ** 3])


def sine_and_cosine(x):
    return np.sin(x), np.cos(x)


def sine_in_a_dict(x):
    return {"s": np.sin(x)}


@pytest.mark.parametrize("f, kind", [(sine_and_cosine, "tuple"), (sine_in_a_dict, "dict")])
def test_jacobian_of_a_jacobian_of_a_container_output_is_refused_at_the_users_function(f, kind):
    with pytest.raises(s2sad.S2SADError, match=f"returning one array, not a {kind}") as caught:
        s2sad.jacobian(s2sad.jacobian(f))(X)
    assert (caught.value.filename, caught.value.lineno) == (__file__, f.__code__.co_firstlineno)


def test_a_fourth_nesting_is_refused():
    with pytest.raises(s2sad.S2SADError, match="cannot be differentiated again"):
        s2sad.jacobian(s2sad.jacobian(s2sad.jacobian(sum_of_cubed_sines)))(X)


# -- hessian and jacobian with respect to containers: JAX's nested blocks -------------------------


def of_params(p):
    return np.sum(p["w"] ** 2 * p["b"][0]) + p["b"][0] ** 3 + np.sin(p["w"][0] * p["b"][0])


def of_params_flat(z):  # the same function of the leaves laid end to end (w: 3, b: 1)
    return of_params({"w": z[:3], "b": z[3:]})


PARAMS = {"w": np.array([0.3, -0.5, 0.7]), "b": np.array([2.0])}


def _flat_hessian(x):
    return central(lambda z: central(of_params_flat, z, 1e-4), x, 1e-4)


def test_hessian_with_respect_to_a_dict_gives_a_block_per_pair_of_keys():
    H = s2sad.hessian(of_params)(PARAMS)
    assert set(H) == {"w", "b"} and set(H["w"]) == {"w", "b"}
    assert H["w"]["b"].shape == (3, 1) and H["b"]["w"].shape == (1, 3)
    flat = _flat_hessian(np.concatenate([PARAMS["w"], PARAMS["b"]]))
    np.testing.assert_allclose(H["w"]["w"], flat[:3, :3], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H["w"]["b"], flat[:3, 3:], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H["b"]["w"], flat[3:, :3], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H["b"]["b"], flat[3:, 3:], rtol=1e-5, atol=1e-6)


def test_jacobian_with_respect_to_a_dict_of_a_scalar_and_of_a_vector_function():
    J = s2sad.jacobian(of_params)(PARAMS)
    flat = central(of_params_flat, np.concatenate([PARAMS["w"], PARAMS["b"]]))
    np.testing.assert_allclose(J["w"], flat[:3], rtol=1e-7)
    np.testing.assert_allclose(J["b"], flat[3:], rtol=1e-7)
    J = s2sad.jacobian(product_of_items)({"a": X, "c": 2.0})
    np.testing.assert_allclose(J["a"], 2.0 * np.eye(3), rtol=1e-13)
    np.testing.assert_allclose(J["c"], X, rtol=1e-13)  # out.shape + () for a float leaf


def product_of_items(p):
    return p["a"] * p["c"]


def of_pair_and_scale(pair, q):
    return np.sum(pair[0] * pair[1] ** 2) * q


def test_hessian_with_respect_to_a_tuple_and_a_float_with_wrt_0_1():
    u, v, q = X, 2 * X, 3.0
    H = s2sad.hessian(of_pair_and_scale, wrt=(0, 1))((u, v), q)
    np.testing.assert_allclose(H[0][0][0][1], np.diag(2 * v * q), rtol=1e-12)  # d2 / du dv
    np.testing.assert_allclose(H[0][0][1][1], np.diag(2 * u * q), rtol=1e-12)  # d2 / dv dv
    np.testing.assert_allclose(H[0][0][0][0], np.zeros((3, 3)), atol=1e-14)
    np.testing.assert_allclose(H[0][1][1], 2 * u * v, rtol=1e-12)             # d2 / dv dq, shape (3,)
    np.testing.assert_allclose(H[1][0][0], v ** 2, rtol=1e-12)                # d2 / dq du
    assert H[1][1] == 0.0
    numeric = central(lambda w: s2sad.grad(of_pair_and_scale, wrt=0)((u, w), q)[0], v)
    np.testing.assert_allclose(H[0][0][0][1], numeric, rtol=1e-7, atol=1e-8)


def of_nested(p):
    return np.sum(p["layers"][0] * p["layers"][1]) ** 2


def test_hessian_with_respect_to_nested_containers_and_a_list():
    a, c = np.array([0.5, -1.0]), np.array([2.0, 0.25])
    H = s2sad.hessian(of_nested)({"layers": [a, c]})
    block = H["layers"][0]["layers"][1]  # d2 / da dc of (a . c)^2 = 2 c a^T + 2 (a . c) I
    np.testing.assert_allclose(block, 2 * np.outer(c, a) + 2 * np.dot(a, c) * np.eye(2), rtol=1e-12)
    numeric = central(lambda w: s2sad.grad(of_nested)({"layers": [a, w]})["layers"][0], c)
    np.testing.assert_allclose(block, numeric, rtol=1e-7)


def pair_out(p):
    return p["a"], p["a"] * 2.0


def test_jacobian_of_a_tuple_output_with_respect_to_a_container_is_refused():
    with pytest.raises(s2sad.S2SADError, match="returning one array"):
        s2sad.jacobian(pair_out)({"a": X})


def test_the_fuzzer_draws_gradients_taken_inside():
    from s2sad.fuzz.generator import generate
    sources = [generate(seed).source for seed in range(80)]
    assert any("def grad1(a, b):\n    return s2sad.grad(inner1)(b, a)" in s for s in sources)
    assert any("s2sad.value_and_grad(inner1)(b, a)[1]" in s for s in sources)


# -- the corpus functions (tests/corpus_language.py) at second order ---------------------------------


def test_corpus_grad_inside_of_a_lambda_against_its_closed_form():
    import corpus_language as lang
    x, y = 0.6, 0.8  # x (x + y)
    assert s2sad.grad(lang.grad_inside_of_a_lambda, wrt=(0, 1))(x, y) == pytest.approx((2 * x + y, x))
    H = s2sad.hessian(lang.grad_inside_of_a_lambda, wrt=(0, 1))(x, y)
    assert [H[0][0], H[0][1], H[1][0], H[1][1]] == pytest.approx([2.0, 1.0, 1.0, 0.0])


@pytest.mark.parametrize("name", ["grad_inside_of_a_nested_def", "grad_of_grad_inside", "value_and_grad_inside",
                                  "grad_bound_to_a_name"])
def test_corpus_gradients_inside_at_second_order(name):
    import corpus_language as lang
    from conftest import inputs_for
    func = getattr(lang, name)
    args = inputs_for(func)
    H = s2sad.hessian(func, wrt=(0, 1))(*args)
    for i in range(2):
        for j in range(2):
            def partial_grad(v, i=i, j=j):
                moved = list(args)
                moved[j] = v
                return s2sad.grad(func, wrt=(0, 1))(*moved)[i]
            numeric = central(partial_grad, args[j], 1e-5)
            np.testing.assert_allclose(H[i][j], numeric, rtol=1e-5, atol=1e-6)


def norm_times_scale(p):
    return np.sum(p[0] ** 2) * p[1]


Pair = __import__("collections").namedtuple("Pair", "w b")


@pytest.mark.parametrize("make", [tuple, lambda items: Pair(*items)], ids=["tuple", "namedtuple"])
def test_a_tuple_of_an_array_and_a_float_in_every_transform(make):
    """An array and a float in one tuple (once crashed jvp: NumPy could not make one array of the tangent)."""
    w, b = X, 2.0
    p = make((w, b))
    out, tangent = s2sad.jvp(norm_times_scale, (p,), (make((np.ones(3), 1.0)),))
    assert tangent == pytest.approx(2 * np.sum(w) * b + np.sum(w ** 2))
    g = s2sad.grad(norm_times_scale)(p)
    assert type(g) is type(p)
    np.testing.assert_allclose(g[0], 2 * w * b)
    J = s2sad.jacobian(norm_times_scale)(p)
    np.testing.assert_allclose(J[0], 2 * w * b)
    assert J[1] == pytest.approx(np.sum(w ** 2))
    H = s2sad.hessian(norm_times_scale)(p)
    assert type(H) is type(p) and type(H[0]) is type(p)
    np.testing.assert_allclose(H[0][0], 2 * b * np.eye(3))
    np.testing.assert_allclose(H[0][1], 2 * w)
    np.testing.assert_allclose(H[1][0], 2 * w)
    assert H[1][1] == 0.0
