"""s2sad.vmap: a batch through vmap(f) equals a Python loop of f, for every corpus function;
vmap(grad(f)) equals a loop of grads; per-example gradients of a loss against finite differences."""

import copy
import dataclasses
import inspect

import numpy as np
import pytest
from conftest import differentiable, inputs_for
from test_corpus import FUNCTIONS

import s2sad
from s2sad.testing import flat

BATCH = 3


def _draws(func):
    """BATCH argument lists for func, one per seed (same structure, different values)."""
    return [inputs_for(func, seed=1234 + k) for k in range(BATCH)]


def _stacked(values):
    """The examples' values stacked on a leading axis (leaf by leaf in a container)."""
    first = values[0]
    if isinstance(first, dict):
        return {k: _stacked([v[k] for v in values]) for k in first}
    if isinstance(first, (tuple, list)):
        return type(first)(_stacked([v[j] for v in values]) for j in range(len(first)))
    return np.stack([np.asarray(v) for v in values])


def _batched_args(func, draws):
    """(args, in_axes): the float arguments batched on axis 0, the others (ints, settings) as in draw 0."""
    floats = set(differentiable(func, draws[0]))
    args, axes = [], []
    for k, value in enumerate(draws[0]):
        same_structure = all(_structure(d[k]) == _structure(value) for d in draws)
        if k in floats and same_structure:
            args.append(_stacked([d[k] for d in draws]))
            axes.append(0)
        else:
            args.append(value)
            axes.append(None)
    return args, tuple(axes)


def _structure(x):
    if isinstance(x, dict):
        return ("dict", tuple((k, _structure(v)) for k, v in x.items()))
    if isinstance(x, (tuple, list)):
        return (type(x).__name__, tuple(_structure(v) for v in x))
    return np.shape(x)


def _loop(func, draws, axes):
    """f on each example, the unbatched arguments taken from draw 0, as a plain Python loop would."""
    outs = []
    for draw in draws:
        args = [copy.deepcopy(draw[k] if axis is not None else draws[0][k]) for k, axis in enumerate(axes)]
        outs.append(func(*args))
    return outs


def _batchable(func):
    draws = _draws(func)
    _, axes = _batched_args(func, draws)
    if all(axis is None for axis in axes):
        return False
    try:
        _stacked(_loop(func, draws, axes))
    except Exception:  # noqa: BLE001 (an output that is not numbers: a string, None, ragged lists)
        return False
    return True


BATCHABLE = [f for f in FUNCTIONS if _batchable(f)]


def test_most_of_the_corpus_is_batchable():
    assert len(BATCHABLE) >= 0.8 * len(FUNCTIONS)


@pytest.mark.parametrize("func", BATCHABLE, ids=lambda f: f.__name__)
def test_vmap_equals_a_loop(func):
    draws = _draws(func)
    args, axes = _batched_args(func, draws)
    want = _stacked(_loop(func, draws, axes))
    got = s2sad.vmap(func, in_axes=axes)(*copy.deepcopy(args))
    assert _structure(got) == _structure(want)
    np.testing.assert_allclose(flat(got), flat(want), rtol=1e-13, atol=1e-13)


def _scalar_valued(func):
    out = func(*inputs_for(func))
    return not isinstance(out, (tuple, list, dict)) and np.ndim(out) == 0


SCALAR = [f for f in BATCHABLE if _scalar_valued(f)]


@pytest.mark.parametrize("func", SCALAR, ids=lambda f: f.__name__)
def test_vmap_of_grad_equals_a_loop_of_grads(func):
    draws = _draws(func)
    args, axes = _batched_args(func, draws)
    wrt = next(k for k, axis in enumerate(axes) if axis is not None)
    grad = s2sad.grad(func, wrt=wrt)
    want = _stacked(_loop(grad, draws, axes))
    got = s2sad.vmap(grad, in_axes=axes)(*copy.deepcopy(args))
    np.testing.assert_allclose(flat(got), flat(want), rtol=1e-12, atol=1e-12)


# -- per-example gradients, against finite differences ----------------------------------


def mlp_loss(params, x, y):
    h = np.tanh(x @ params["W"] + params["b"])
    return np.sum((h @ params["v"] - y) ** 2)


def test_per_example_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(4, 5)), "b": rng.normal(size=5), "v": rng.normal(size=(5, 2))}
    X, Y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    per_example = s2sad.vmap(s2sad.grad(mlp_loss), in_axes=(None, 0, 0))(params, X, Y)
    assert per_example["W"].shape == (6, 4, 5) and per_example["v"].shape == (6, 5, 2)
    eps = 1e-6
    for i in (0, 5):
        for (r, c) in ((0, 0), (3, 4)):
            up, down = copy.deepcopy(params), copy.deepcopy(params)
            up["W"][r, c] += eps
            down["W"][r, c] -= eps
            fd = (mlp_loss(up, X[i], Y[i]) - mlp_loss(down, X[i], Y[i])) / (2 * eps)
            assert per_example["W"][i, r, c] == pytest.approx(fd, rel=1e-6, abs=1e-8)


# -- axes, control flow, errors, the generated source --------------------------------------


def branchy(x, n):
    total = 0.0
    k = 0
    while x > 0.1 and k < n:  # each example runs its own number of trips
        x = x * 0.5
        total = total + x
        k = k + 1
    if total > 1.0:
        return total
    return -total


def test_control_flow_on_batched_values():
    xs = np.array([0.05, 1.0, 8.0, 3.0])
    np.testing.assert_array_equal(s2sad.vmap(branchy, in_axes=(0, None))(xs, 10), [branchy(x, 10) for x in xs])


def outer_sum(a, b):
    return np.outer(a, b).sum(axis=0), a * np.sum(b)


def test_in_axes_and_out_axes():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(4, 5))  # a batch of 4 columns of A, rows of B (length 5)
    first, second = s2sad.vmap(outer_sum, in_axes=(1, 0), out_axes=1)(A, B[:, :3])
    for i in range(4):
        want_first, want_second = outer_sum(A[:, i], B[i, :3])
        np.testing.assert_allclose(first[:, i], want_first)
        np.testing.assert_allclose(second[:, i], want_second)


def test_batch_sizes_must_agree():
    with pytest.raises(s2sad.S2SADError, match="different sizes"):
        s2sad.vmap(outer_sum)(np.ones((3, 2)), np.ones((4, 2)))


def test_in_axes_must_batch_something():
    with pytest.raises(s2sad.S2SADError, match="at least one"):
        s2sad.vmap(outer_sum, in_axes=(None, None))(np.ones(3), np.ones(3))


def test_straight_line_code_is_vectorized():
    """Elementwise steps, sums and a matrix product with one batched operand: the batch at once."""
    batched = s2sad.vmap(mlp_loss, in_axes=(None, 0, 0))
    text = inspect.getsource(batched)
    assert "def mlp_loss_vmap(params, x, y):" in text and "for i in range" not in text
    assert "vmap_batch_sum(" in text and "return vmap_loop(params, x, y)" in text  # the loop for non-arrays
    rng = np.random.default_rng(3)
    params = {"W": rng.normal(size=(4, 5)), "b": rng.normal(size=5), "v": rng.normal(size=(5, 2))}
    X, Y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    want = [mlp_loss(params, x, y) for x, y in zip(X, Y)]
    np.testing.assert_allclose(batched(params, X, Y), want, rtol=1e-13)


def test_control_flow_gets_the_loop():
    text = inspect.getsource(s2sad.vmap(branchy, in_axes=(0, None)))
    assert "def branchy_vmap(" in text and "for i in range(n):" in text  # (its own n: the parameters are renamed)


def sine_energy(x, w):
    return np.sum(np.sin(x) * w) + x[0] * x[1]


def test_grad_of_vmap():
    """The batched function is generated source, so s2sad differentiates it: grad(sum of vmap(f))."""
    batched = s2sad.vmap(sine_energy, in_axes=(0, None))

    def total(X, w):
        return np.sum(batched(X, w))

    rng = np.random.default_rng(2)
    X, w = rng.normal(size=(4, 3)), rng.normal(size=3)
    got = s2sad.grad(total)(X, w)
    want = np.cos(X) * w
    want[:, 0] += X[:, 1]
    want[:, 1] += X[:, 0]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    _, tangent = s2sad.jvp(batched, (X, w), (np.ones_like(X), np.zeros(3)))
    np.testing.assert_allclose(tangent, want.sum(axis=1), rtol=1e-12)


def test_grad_through_the_vectorized_path():
    batched = s2sad.vmap(mlp_loss, in_axes=(None, 0, 0))
    assert "vmap_batch_sum" in inspect.getsource(batched)

    def total(params, X, Y):
        return np.sum(batched(params, X, Y))

    rng = np.random.default_rng(4)
    params = {"W": rng.normal(size=(4, 5)), "b": rng.normal(size=5), "v": rng.normal(size=(5, 2))}
    X, Y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    got = s2sad.grad(total)(params, X, Y)
    eps = 1e-6
    up, down = copy.deepcopy(params), copy.deepcopy(params)
    up["v"][2, 1] += eps
    down["v"][2, 1] -= eps
    fd = sum(mlp_loss(up, x, y) - mlp_loss(down, x, y) for x, y in zip(X, Y)) / (2 * eps)
    assert got["v"][2, 1] == pytest.approx(fd, rel=1e-6)
    grads = [s2sad.grad(mlp_loss)(params, x, y) for x, y in zip(X, Y)]
    for key in params:
        np.testing.assert_allclose(got[key], sum(g[key] for g in grads), rtol=1e-11)


# -- vmap(grad(loss)): one gradient of batched code, not a loop of gradients -----------------


def _dense(W, b, x):
    return x @ W + b


def _log_softmax(z):
    z = z - np.max(z, axis=1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))


def net_loss(params, x, labels):
    """The benchmark's MLP loss: subroutines, reductions along an axis, x.shape; each example a batch of one."""
    h = np.tanh(_dense(params["W1"], params["b1"], x))
    logits = _dense(params["W2"], params["b2"], h)
    return -np.sum(labels * _log_softmax(logits)) / logits.shape[0]


def _net_data(seed=5, batch=5):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(6, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 3)),
              "b2": rng.normal(size=3)}
    X = rng.normal(size=(batch, 1, 6))
    Y = np.eye(3)[rng.integers(0, 3, batch)][:, None, :]
    return params, X, Y


def _fd_gradient(loss, args, k, eps=1e-6):
    """Central differences of loss with respect to every entry of args[k] (an array or dict of arrays)."""
    def entries(value):
        return value.items() if isinstance(value, dict) else [(None, value)]
    out = {}
    for key, leaf in entries(args[k]):
        g = np.zeros_like(leaf)
        for index in np.ndindex(leaf.shape):
            moved = []
            for sign in (1, -1):
                shifted = copy.deepcopy(args)
                target = shifted[k] if key is None else shifted[k][key]
                target[index] += sign * eps
                moved.append(loss(*shifted))
            g[index] = (moved[0] - moved[1]) / (2 * eps)
        out[key] = g
    return out if isinstance(args[k], dict) else out[None]


def test_per_example_gradients_of_the_mlp_are_batched_code():
    params, X, Y = _net_data()
    per_example = s2sad.vmap(s2sad.grad(net_loss), in_axes=(None, 0, 0))
    got = per_example(params, X, Y)
    assert [v for v in per_example.__s2sad_batched__.values()] != [None]  # batched code, not the loop
    for i in range(len(X)):
        want = _fd_gradient(net_loss, [params, X[i], Y[i]], 0)
        one = s2sad.grad(net_loss)(params, X[i], Y[i])
        for key in params:
            assert got[key].shape == (len(X),) + params[key].shape
            np.testing.assert_allclose(got[key][i], one[key], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(got[key][i], want[key], rtol=1e-6, atol=1e-8)


def logistic_loss(w, b, x, y):
    """Examples of rank 1: x @ w is a dot product."""
    z = x @ w + b
    return np.log(1.0 + np.exp(-y * z))


def projected(W, x):
    """A shared matrix times a batched vector (batched right operand)."""
    return np.sum(np.tanh(W @ x) ** 2)


@pytest.mark.parametrize("case", ["logistic", "logistic_wrt_x", "projected"])
def test_per_example_gradients_of_small_losses(case):
    rng = np.random.default_rng(6)
    if case.startswith("logistic"):
        w, b, X, y = rng.normal(size=4), 0.3, rng.normal(size=(7, 4)), np.sign(rng.normal(size=7))
        func, args, axes = logistic_loss, [w, b, X, y], (None, None, 0, 0)
        wrt = (0, 1) if case == "logistic" else 2
    else:
        func, args, axes, wrt = projected, [rng.normal(size=(3, 4)), rng.normal(size=(7, 4))], (None, 0), 0
    batched = s2sad.vmap(s2sad.grad(func, wrt=wrt), in_axes=axes)
    got = batched(*args)
    assert None not in batched.__s2sad_batched__.values()
    for i in range(7):
        example = [a[i] if axis == 0 else a for a, axis in zip(args, axes)]
        for k, g in zip((wrt,) if isinstance(wrt, int) else wrt, (got,) if isinstance(wrt, int) else got):
            want = _fd_gradient(func, [np.asarray(a, dtype=float) for a in example], k)
            np.testing.assert_allclose(g[i], want, rtol=1e-6, atol=1e-8)


def branchy_loss(w, x):
    return np.sum(w * x) if x[0] > 0 else np.sum(w * w * x)


def test_per_example_gradients_through_a_branch_take_the_loop():
    w, X = np.array([1.0, 2.0]), np.array([[1.0, 3.0], [-1.0, 3.0]])
    batched = s2sad.vmap(s2sad.grad(branchy_loss), in_axes=(None, 0))
    np.testing.assert_allclose(batched(w, X), [[1.0, 3.0], [-2.0, 12.0]], rtol=1e-15)
    assert list(batched.__s2sad_batched__.values()) == [None]


def vector_loss(w, x):
    return w * x


def test_per_example_gradient_of_a_vector_output_is_refused_as_grad_refuses_it():
    with pytest.raises(s2sad.S2SADError):
        s2sad.vmap(s2sad.grad(vector_loss), in_axes=(None, 0))(np.ones(3), np.ones((4, 3)))


# -- the batched matrix product that vectorized code calls (runtime_vmap.matmul) ---------------

_RANKS = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 2), (2, 3), (1, 3)]


def _example_shapes(ranks):
    """Shapes of one example's a and c with those ranks that matmul accepts (contracting 4)."""
    left = {1: (4,), 2: (3, 4), 3: (2, 3, 4)}[ranks[0]]
    right = {1: (4,), 2: (4, 5), 3: (2, 4, 5)}[ranks[1]]
    return left, right


@pytest.mark.parametrize("ranks", _RANKS)
@pytest.mark.parametrize("batched", [(True, False), (False, True), (True, True)])
def test_batched_matmul_equals_a_loop_and_its_adjoint_is_its_transpose(ranks, batched):
    from s2sad import runtime_vmap

    rng = np.random.default_rng(7)
    left, right = _example_shapes(ranks)
    a = rng.normal(size=((6,) if batched[0] else ()) + left)
    c = rng.normal(size=((6,) if batched[1] else ()) + right)
    out = runtime_vmap.matmul(a, c, *batched)
    want = np.stack([(a[i] if batched[0] else a) @ (c[i] if batched[1] else c) for i in range(6)])
    np.testing.assert_allclose(out, want, rtol=1e-13)
    ct = rng.normal(size=out.shape)  # matmul is linear in each operand: <ct, M da> = <M^T ct, da>
    da, dc = rng.normal(size=a.shape), rng.normal(size=c.shape)
    a_bar = runtime_vmap.matmul_adjoint(ct, a, c, *batched, 0)
    c_bar = runtime_vmap.matmul_adjoint(ct, a, c, *batched, 1)
    assert a_bar.shape == a.shape and c_bar.shape == c.shape
    assert np.sum(ct * runtime_vmap.matmul(da, c, *batched)) == pytest.approx(np.sum(a_bar * da), rel=1e-12)
    assert np.sum(ct * runtime_vmap.matmul(a, dc, *batched)) == pytest.approx(np.sum(c_bar * dc), rel=1e-12)


def countdown(x, n):
    """Recursive: the batched version would call itself; vmap loops instead."""
    return x if n == 0 else countdown(np.sin(x), n - 1) + x


def recursive_loss(x):
    return np.sum(countdown(x, 2))


def test_recursion_is_not_batched_but_looped():
    X = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    np.testing.assert_allclose(s2sad.vmap(recursive_loss)(X), [recursive_loss(x) for x in X], rtol=1e-15)
    got = s2sad.vmap(s2sad.grad(recursive_loss))(X)
    for x, g in zip(X, got):  # d/dx of sin(sin(x)) + sin(x) + x
        want = np.cos(np.sin(x)) * np.cos(x) + np.cos(x) + 1.0
        np.testing.assert_allclose(g, want, rtol=1e-13)


def test_per_example_gradients_can_be_differentiated_again():
    """grad of a sum of per-example gradients differentiates the loop of gradients (the same values)."""
    per_example = s2sad.vmap(s2sad.grad(sine_energy), in_axes=(0, None))

    def total(X, w):
        return np.sum(per_example(X, w))

    rng = np.random.default_rng(8)
    X, w = rng.normal(size=(4, 3)), rng.normal(size=3)
    got = s2sad.grad(total)(X, w)
    want = -np.sin(X) * w  # d/dX of sum(cos(X) w + [x1, x0, 0]) per row
    want[:, 0] += 1.0
    want[:, 1] += 1.0
    np.testing.assert_allclose(got, want, rtol=1e-12)


# -- records: a dataclass or a plain object batched field by field ------------------------------


@dataclasses.dataclass
class Layer:
    w: np.ndarray
    b: float


class Weights:
    def __init__(self, w, b):
        self.w, self.b = w, b


def layer_loss(p, x):
    return np.sum(np.tanh(p.w * x)) * p.b


@pytest.mark.parametrize("cls", [Layer, Weights], ids=["dataclass", "object"])
def test_vmap_over_a_record_batches_its_fields(cls):
    W = np.array([[0.1, -0.4, 0.3], [0.5, 0.2, -0.6]])
    b = np.array([0.5, 0.7])
    x = np.array([0.3, -0.2, 0.4])
    values = s2sad.vmap(layer_loss, in_axes=(0, None))(cls(W, b), x)
    np.testing.assert_allclose(values, [layer_loss(cls(W[k], b[k]), x) for k in range(2)])
    grads = s2sad.vmap(s2sad.grad(layer_loss), in_axes=(0, None))(cls(W, b), x)
    assert type(grads) is cls
    for k in range(2):  # each example's gradient against central differences
        h = 1e-6
        for j in range(3):
            step = np.eye(3)[j] * h
            fd = (layer_loss(cls(W[k] + step, b[k]), x) - layer_loss(cls(W[k] - step, b[k]), x)) / (2 * h)
            assert grads.w[k, j] == pytest.approx(fd, rel=1e-6, abs=1e-9)
        fd_b = (layer_loss(cls(W[k], b[k] + h), x) - layer_loss(cls(W[k], b[k] - h), x)) / (2 * h)
        assert grads.b[k] == pytest.approx(fd_b, rel=1e-6)
