"""Namedtuples, dataclasses and plain objects as pytrees (issue 13): every derivative against finite
differences, every gradient of its input's type and structure, every refusal at the user's line."""

import collections
import dataclasses
import inspect

import numpy as np
import pytest

import s2sad
from s2sad.driver import front
from s2sad.emit import load
from s2sad.testing import check_derivatives, flat, leaves, numerical_jvp

import corpus_pytrees
from conftest import differentiable, inputs_for

P = collections.namedtuple("P", "w b")
Named = collections.namedtuple("Named", "w n label")
X = np.array([0.3, -0.4, 0.7])
W = np.array([1.0, 2.0, -0.5])


@dataclasses.dataclass
class Model:
    W: np.ndarray
    b: float
    depth: int = 2
    name: str = "model"

    def __call__(self, x):
        return np.tanh(self.W @ x + self.b)

    def predict(self, x):
        h = x
        for _ in range(self.depth):
            h = self(h) * self.gain
        return h

    @property
    def gain(self):
        return 1.0 + self.b * self.b

    def loss(self, x):
        return np.sum(self.predict(x) ** 2)


@dataclasses.dataclass(frozen=True)
class Frozen:
    w: np.ndarray
    b: float


class Plain:
    def __init__(self, w, b, n=3):
        self.w, self.b, self.n = w, b, n


def model():
    return Model(np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.4], [0.0, 0.2, 0.6]]), 0.3)


def fd_gradient(f, args, index=0):
    """The gradient of scalar f with respect to args[index], leaf by leaf, by central differences."""
    rng = np.random.default_rng(0)
    direction = s2sad.testing._random_like(args[index], rng)
    return direction, float(np.asarray(numerical_jvp(f, args, index, direction)))


def assert_gradient(f, args, g, index=0):
    """<g, v> matches the finite difference of f along a random direction v; g has args[index]'s type."""
    assert type(g) is type(args[index])
    direction, numeric = fd_gradient(f, args, index)
    got = sum(float(np.sum(a * b)) for a, b in zip(leaves(g), leaves(direction)))
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


# -- namedtuples, dataclasses, objects as parameters ---------------------------------------------


def tanh_layer(p, x):
    return np.sum(np.tanh(p.w * x + p.b))


def with_constants(p, x):
    total = np.sum(p.w * x) * p.n
    if p.label == "square":
        total = total * total
    return total


def frozen_loss(q, x):
    return np.sum(np.sin(q.w * x)) * q.b


def plain_loss(o, x):
    return np.sum(o.w ** 2 * x) + o.b * o.n


@pytest.mark.parametrize("f, param", [
    (tanh_layer, P(W, 0.5)),
    (with_constants, Named(W, 3, "square")),
    (frozen_loss, Frozen(W, 1.5)),
    (plain_loss, Plain(W, 0.7)),
    (tanh_layer, Frozen(W, 0.5)),
], ids=["namedtuple", "namedtuple-constants", "frozen-dataclass", "object", "duck-typed"])
def test_grad_value_and_grad_vjp_jvp_of_a_record(f, param):
    args = [param, X]
    g = s2sad.grad(f)(*args)
    assert_gradient(f, args, g)
    value, g2 = s2sad.value_and_grad(f)(*args)
    assert value == pytest.approx(f(*args)) and np.allclose(flat(g2), flat(g))
    out, pullback = s2sad.vjp(f, *args)
    gp, gx = pullback(1.0)
    assert type(gp) is type(param) and np.allclose(flat(gp), flat(g))
    direction, numeric = fd_gradient(f, args)
    _, tangent = s2sad.jvp(f, args, (direction, np.zeros(3)))
    assert tangent == pytest.approx(numeric, rel=1e-6)
    check_derivatives(f, args, wrt=(0, 1))


def test_fields_that_are_not_floats_get_none_and_the_input_is_unchanged():
    o = Plain(W.copy(), 0.7)
    g = s2sad.grad(plain_loss)(o, X)
    assert g is not o and g.n is None and o.n == 3
    np.testing.assert_allclose(g.w, 2 * W * X)
    assert g.b == pytest.approx(3.0)
    np.testing.assert_array_equal(o.w, W)
    named = s2sad.grad(with_constants)(Named(W, 3, "square"), X)
    assert named.n is None and named.label is None
    frozen = s2sad.grad(frozen_loss)(Frozen(W, 1.5), X)
    assert type(frozen) is Frozen


def test_source_reads_the_field_and_its_tangent():
    forward = s2sad.source(tanh_layer, mode="forward")
    assert "p_w = p.w" in forward and "p_w_dot = p_dot.w" in forward
    assert "field_adjoint(" in s2sad.source(tanh_layer, mode="reverse")


# -- nesting -------------------------------------------------------------------------------------


def nested_loss(tree, x):
    first = tree["first"]
    inner, scale = first.b
    return np.sum(first.w * x * inner) * scale + tree["second"].b ** 2


def test_a_dict_of_namedtuples_one_holding_a_tuple():
    tree = {"first": P(W, (np.array([0.5, 1.0, 2.0]), 1.5)), "second": P(np.zeros(2), 0.8)}
    g = s2sad.grad(nested_loss)(tree, X)
    assert set(g) == {"first", "second"} and type(g["first"]) is P and type(g["first"].b) is tuple
    np.testing.assert_allclose(g["first"].w, X * np.array([0.5, 1.0, 2.0]) * 1.5)
    np.testing.assert_allclose(g["second"].w, 0.0)
    assert_gradient(nested_loss, [tree, X], g)
    check_derivatives(nested_loss, [tree, X], wrt=(0,))


# -- models: __call__, methods, properties --------------------------------------------------------


def called(m, x):
    return np.sum(m(x) ** 2)


def predicted(m, x):
    return np.sum(m.predict(x)) + m.gain


def through_a_helper(m, x):
    return called(m, x) * 2.0


@pytest.mark.parametrize("f", [called, predicted, through_a_helper, Model.loss],
                         ids=["__call__", "method-and-property", "helper", "unbound-method"])
def test_a_model_class_is_differentiated_with_respect_to_itself(f):
    args = [model(), X]
    g = s2sad.grad(f)(*args)
    assert type(g) is Model and g.depth is None and g.name is None
    assert_gradient(f, args, g)
    check_derivatives(f, args, wrt=(0, 1))


def test_a_bound_method_keeps_its_object_constant():
    m = model()
    g = s2sad.grad(m.loss)(X)
    direction = np.array([0.2, -0.1, 0.4])
    numeric = numerical_jvp(m.loss, [X], 0, direction)
    assert float(np.dot(g, direction)) == pytest.approx(float(numeric), rel=1e-6)
    out, pullback = s2sad.vjp(m.loss, X)
    (gx,) = pullback(1.0)
    np.testing.assert_allclose(gx, g)
    _, tangent = s2sad.jvp(m.loss, (X,), (direction,))
    assert tangent == pytest.approx(float(numeric), rel=1e-6)


Gamma = collections.namedtuple("Gamma", "shape scale T")


def log_density(p, x):
    return np.sum((p.shape - 1.0) * np.log(x) - x / p.scale) * p.T


def test_fields_named_like_array_attributes_are_fields():
    args = [Gamma(2.0, 1.5, 0.7), np.array([0.3, 0.4])]
    g = s2sad.grad(log_density)(*args)
    assert g.shape != 0.0 and g.T != 0.0
    assert_gradient(log_density, args, g)


# -- results ---------------------------------------------------------------------------------------


def to_pair(x):
    return P(np.sin(x), np.sum(x * x))


def test_namedtuple_results_in_jvp_vjp_and_jacobian():
    out, tangent = s2sad.jvp(to_pair, (X,), (np.ones(3),))
    assert type(tangent) is P
    np.testing.assert_allclose(tangent.w, np.cos(X))
    assert tangent.b == pytest.approx(2 * np.sum(X))
    _, pullback = s2sad.vjp(to_pair, X)
    (g,) = pullback(P(np.ones(3), 1.0))
    np.testing.assert_allclose(g, np.cos(X) + 2 * X)
    J = s2sad.jacobian(to_pair)(X)
    assert type(J) is P
    np.testing.assert_allclose(J.w, np.diag(np.cos(X)))
    np.testing.assert_allclose(J.b, 2 * X)


def test_jacobian_and_hessian_with_respect_to_records():
    def cubic(q):
        return np.sum(q.w ** 3) * q.b
    q = Frozen(W, 0.5)
    J = s2sad.jacobian(cubic)(q)
    assert type(J) is Frozen
    np.testing.assert_allclose(J.w, 3 * W ** 2 * 0.5)
    H = s2sad.hessian(cubic)(P(W, 0.5))
    assert type(H) is P and type(H.w) is P
    np.testing.assert_allclose(H.w.w, np.diag(6 * W * 0.5))
    np.testing.assert_allclose(H.w.b, 3 * W ** 2)
    np.testing.assert_allclose(H.b.w, 3 * W ** 2)
    assert H.b.b == pytest.approx(0.0)


# -- refusals ------------------------------------------------------------------------------------


def writes_an_attribute(m, x):
    m.cache = x
    return np.sum(m.W @ x)


def writes_into_a_field(p, x):
    p.w[0] = 2.0
    return np.sum(p.w * x)


def array_named_field_in_a_dict(tree, x):
    return np.sum(tree["g"].shape * x)


def predict_of(m, x):
    return np.sum(m.predict(x))


def helper_on_an_item(models, x):
    return predict_of(models[0], x)


def line_of(f, text):
    lines, first = inspect.getsourcelines(f)
    return first + next(i for i, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("f, args, match, text", [
    (writes_an_attribute, lambda: (model(), X), "assignment to an attribute", "m.cache"),
    (writes_into_a_field, lambda: (P(W.copy(), 0.5), X), "writing into p_w", "p.w[0]"),
    (array_named_field_in_a_dict, lambda: ({"g": Gamma(2.0, 1.0, 1.0)}, X), "named like an array attribute", "def "),
    (helper_on_an_item, lambda: ([model()], X), "with respect to its object", "m.predict"),
], ids=["attribute-write", "field-write", "array-named-field-in-a-container", "method-of-an-item"])
def test_what_cannot_be_differentiated_is_refused_at_the_line(f, args, match, text):
    with pytest.raises(s2sad.S2SADError, match=match) as caught:
        s2sad.grad(f)(*args())
    assert caught.value.filename == __file__
    where = predict_of if text == "m.predict" else f
    assert caught.value.lineno == line_of(where, text)


def test_a_property_of_a_record_in_a_container_is_refused_not_dropped():
    def gain_of_item(models):
        return models[0].gain
    with pytest.raises(s2sad.S2SADError, match="its attribute gain, which is not one of its fields"):
        s2sad.grad(gain_of_item)([model()])


# -- the corpus ------------------------------------------------------------------------------------

CORPUS = [f for _, f in inspect.getmembers(corpus_pytrees, inspect.isfunction) if f.__module__ == "corpus_pytrees"]


@pytest.mark.parametrize("func", CORPUS, ids=lambda f: f.__name__)
def test_corpus_normal_form_computes_the_same(func):
    parsed, normalized = front(func)
    normal, _ = load(normalized.node, normalized.helpers, parsed, func.__defaults__ or ())
    args = inputs_for(func)
    want, got = func(*args), normal(*args)
    assert type(want) is type(got) and np.array_equal(flat(want), flat(got))


@pytest.mark.parametrize("func", CORPUS, ids=lambda f: f.__name__)
def test_corpus_both_modes_match_finite_differences(func):
    args = inputs_for(func)
    check_derivatives(func, args, wrt=differentiable(func, args))


@pytest.mark.parametrize("func", [f for f in CORPUS if not isinstance(f(*inputs_for(f)), tuple)
                                  and np.ndim(f(*inputs_for(f))) == 0], ids=lambda f: f.__name__)
def test_corpus_grad_has_the_structure_of_its_input(func):
    args = inputs_for(func)
    floats = differentiable(func, args)
    grads = s2sad.grad(func, wrt=floats)(*args)
    _, pullback = s2sad.vjp(func, *args)
    cotangents = pullback(1.0)
    for i, g in zip(floats, grads):
        assert type(g) is type(args[i])
        np.testing.assert_allclose(flat(g), flat(cotangents[i]), rtol=1e-12)
        for leaf, arg in zip(leaves(g), leaves(args[i])):
            assert np.shape(leaf) == np.shape(arg)


class Doubled(Model):
    def __call__(self, x):
        return 2.0 * np.tanh(self.W @ x + self.b)


def test_a_model_of_another_class_calls_its_own_method():
    """The derivative resolved `m(x)` by m's class: a call with another class must not reuse it."""
    first = s2sad.grad(called, wrt=1)(model(), X)
    other = Doubled(model().W, model().b)
    second = s2sad.grad(called, wrt=1)(other, X)
    np.testing.assert_allclose(second, 4.0 * first)
    assert_gradient(called, [other, X], s2sad.grad(called)(other, X))


def made_with_keywords(x):
    p = P(b=np.cos(x), w=x * 2.0)
    return np.sum(p.w * p.b) + p[1][0]


def test_a_namedtuple_made_with_keywords_in_the_function():
    check_derivatives(made_with_keywords, [X], wrt=(0,))
    assert_gradient(made_with_keywords, [X], s2sad.grad(made_with_keywords)(X))
