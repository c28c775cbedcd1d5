"""Derivatives on Dask, JAX and CuPy arrays chosen by the arguments alone (no backend=...).

`s2sad.grad(f)(dask_array)` runs the generated derivative on Dask, `s2sad.vjp(f, jax_array)` on JAX:
the argument's type picks the array library (docs/scale-out.md). Every value here is checked
against central finite differences of f on NumPy arrays, and every result's type too: a Dask
result stays a lazy Dask array, a JAX result a JAX array (never silently NumPy's).
"""

import sys

import numpy as np
import pytest
from conftest import differentiable, inputs_for
from numpy import sin as numpy_sin

import s2sad
from s2sad.runtime_scatter import scatter_add
from s2sad.testing import numerical_jvp

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install 's2sad[dask]')")
import dask  # noqa: E402
import test_scale  # noqa: E402  (its corpus lists; after the skip: it needs dask too)

RNG = np.random.default_rng(7)
X_DATA = RNG.normal(size=(12, 3))
Y_DATA = RNG.normal(size=12)
W0 = np.array([0.3, -0.2, 0.5])
REPEATED = np.array([0, 2, 2, 1, 2, 0, 1, 1])


def least_squares(w, X, y):
    residual = X @ w - y
    return 0.5 * np.mean(residual ** 2)


def least_squares_with_residual(w, X, y):
    residual = X @ w - y
    return 0.5 * np.mean(residual ** 2), residual


def squashed_features(w, X):
    """A vector output, for vjp and jvp: tanh(X w) * w[0]."""
    return np.tanh(X @ w) * w[0]


def gathered_squares(theta):
    """theta read at repeated positions: its gradient is a scatter-add that counts every repeat."""
    return np.sum(np.sin(theta[REPEATED]) ** 2)


def sine_weighted(x):
    """numpy's sin imported by name: on JAX it must still be jax.numpy's (np.sin would convert)."""
    return np.sum(numpy_sin(x) * x)


@pytest.fixture(autouse=True)
def synchronous_dask():
    with dask.config.set(scheduler="synchronous"):  # no thread pool: these graphs are tiny
        yield


def chunked(*arrays):
    return tuple(da.from_array(a, chunks=4) for a in arrays)  # several chunks per array


def jax_numpy():
    jax = pytest.importorskip("jax", reason="jax is not installed (pip install 's2sad[jax]')")
    jax.config.update("jax_enable_x64", True)  # float64 as in the NumPy oracle
    return jax.numpy


def assert_gradient(f, args, i, g):
    """<g, d> equals the finite-difference derivative of f (NumPy) along a random direction d."""
    d = np.random.default_rng(0).normal(size=np.shape(args[i]))
    assert float(np.vdot(np.asarray(g), d)) == pytest.approx(float(numerical_jvp(f, args, i, d)), rel=1e-6, abs=1e-9)


# -- grad and value_and_grad: the argument's type picks the library ------------------------------


def test_grad_of_dask_arrays_is_lazy_without_backend():
    lazy = s2sad.grad(least_squares, wrt=(0, 1))(*chunked(W0, X_DATA, Y_DATA))
    assert all(isinstance(g, da.Array) for g in lazy)  # nothing computed yet
    gw, gX = dask.compute(*lazy)
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 0, gw)
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 1, gX)


def test_a_numpy_argument_beside_dask_ones_gets_a_lazy_gradient():
    g = s2sad.grad(least_squares)(W0, *chunked(X_DATA, Y_DATA))  # w NumPy, the data Dask
    assert isinstance(g, da.Array)
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 0, g.compute())


def test_value_and_grad_of_jax_arrays_without_backend():
    jnp = jax_numpy()
    import jax

    value, g = s2sad.value_and_grad(least_squares)(*map(jnp.asarray, (W0, X_DATA, Y_DATA)))
    assert isinstance(value, jax.Array) and isinstance(g, jax.Array)
    assert float(value) == pytest.approx(least_squares(W0, X_DATA, Y_DATA), rel=1e-12)
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 0, g)


def test_auto_selection_works_under_jax_jit():
    jnp = jax_numpy()
    import jax

    g = jax.jit(s2sad.grad(least_squares))(*map(jnp.asarray, (W0, X_DATA, Y_DATA)))
    assert isinstance(g, jax.Array)
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 0, g)


def test_numpy_arguments_never_reach_the_array_api_path(monkeypatch):
    from s2sad import scale

    monkeypatch.setattr(scale, "grad_on", lambda *a: pytest.fail("NumPy arguments reached scale.py"))
    g = s2sad.grad(least_squares)(W0, X_DATA, Y_DATA)
    assert type(g) is np.ndarray
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 0, g)


def test_without_array_api_compat_a_dask_array_is_refused_saying_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "array_api_compat", None)  # as if not installed: importing it fails
    with pytest.raises(s2sad.S2SADError, match=r"array-api-compat: pip install array-api-compat"):
        s2sad.grad(least_squares)(*chunked(W0, X_DATA, Y_DATA))


@pytest.mark.parametrize("library", ["dask", "jax"])
@pytest.mark.parametrize("name", test_scale.ON_JAX)
def test_corpus_gradient_chosen_by_argument_type(name, library):
    """tests/test_scale.py's corpus functions, without backend=...: the arrays choose."""
    if library == "dask" and name not in test_scale.ON_DASK:
        pytest.skip(f"{name} is not run on Dask (tests/test_scale.py says why)")
    to = (lambda a: da.from_array(a, chunks=2)) if library == "dask" else jax_numpy().asarray
    f = test_scale.corpus(name)
    args = inputs_for(f)
    wrt = differentiable(f, args)
    grads = s2sad.grad(f, wrt=wrt)(*(to(a) if isinstance(a, np.ndarray) else a for a in args))
    assert all(type(g).__module__.split(".")[0] in ("dask", "jax", "jaxlib") for g in grads)
    test_scale.assert_matches_differences(f, args, wrt, dask.compute(*grads) if library == "dask" else grads)


# -- has_aux, vjp, jvp ---------------------------------------------------------------------------------


def test_has_aux_on_dask():
    (value, residual), g = s2sad.value_and_grad(least_squares_with_residual, has_aux=True)(*chunked(W0, X_DATA,
                                                                                                     Y_DATA))
    assert isinstance(g, da.Array) and isinstance(residual, da.Array)
    np.testing.assert_allclose(residual.compute(), X_DATA @ W0 - Y_DATA, rtol=1e-12)
    assert float(value.compute()) == pytest.approx(least_squares(W0, X_DATA, Y_DATA), rel=1e-12)
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 0, g.compute())


def test_has_aux_on_jax():
    jnp = jax_numpy()
    import jax

    g, residual = s2sad.grad(least_squares_with_residual, has_aux=True)(*map(jnp.asarray, (W0, X_DATA, Y_DATA)))
    assert isinstance(g, jax.Array) and isinstance(residual, jax.Array)
    np.testing.assert_allclose(np.asarray(residual), X_DATA @ W0 - Y_DATA, rtol=1e-12)
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 0, g)


def assert_vjp(pullback, out, library_array):
    """The pullback of squashed_features at (W0, X_DATA): <J^T c, d> = <c, J d>, J d by finite differences."""
    c = np.random.default_rng(1).normal(size=12)
    cw, cX = pullback(library_array(c))
    for i, ct in enumerate((cw, cX)):
        d = np.random.default_rng(2 + i).normal(size=np.shape((W0, X_DATA)[i]))
        want = float(c @ numerical_jvp(squashed_features, (W0, X_DATA), i, d))
        assert float(np.vdot(np.asarray(ct), d)) == pytest.approx(want, rel=1e-6, abs=1e-9)


def test_vjp_on_dask():
    out, pullback = s2sad.vjp(squashed_features, *chunked(W0, X_DATA))
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), squashed_features(W0, X_DATA), rtol=1e-12)
    assert_vjp(lambda c: dask.compute(*pullback(c)), out, lambda c: da.from_array(c, chunks=4))


def test_vjp_on_jax_returns_jax_cotangents_not_none():
    jnp = jax_numpy()
    import jax

    out, pullback = s2sad.vjp(squashed_features, jnp.asarray(W0), jnp.asarray(X_DATA))
    cotangents = pullback(jnp.ones(12))
    assert all(isinstance(c, jax.Array) for c in cotangents)  # once None: a JAX array was taken for a constant
    assert_vjp(pullback, out, jnp.asarray)


def test_vjp_with_aux_on_jax():
    jnp = jax_numpy()

    out, pullback, residual = s2sad.vjp(least_squares_with_residual, *map(jnp.asarray, (W0, X_DATA, Y_DATA)),
                                        has_aux=True)
    np.testing.assert_allclose(np.asarray(residual), X_DATA @ W0 - Y_DATA, rtol=1e-12)
    gw, gX, gy = pullback(jnp.asarray(2.0))
    assert_gradient(lambda w, X, y: 2.0 * least_squares(w, X, y), (W0, X_DATA, Y_DATA), 0, gw)
    assert_gradient(lambda w, X, y: 2.0 * least_squares(w, X, y), (W0, X_DATA, Y_DATA), 2, gy)


@pytest.mark.parametrize("library", ["dask", "jax"])
def test_jvp(library):
    to = (lambda a: da.from_array(a, chunks=4)) if library == "dask" else jax_numpy().asarray
    dw, dX = np.random.default_rng(3).normal(size=3), np.random.default_rng(4).normal(size=(12, 3))
    out, out_dot = s2sad.jvp(squashed_features, (to(W0), to(X_DATA)), (to(dw), to(dX)))
    assert type(out_dot).__module__.split(".")[0] in ("dask", "jax", "jaxlib")
    out, out_dot = (x.compute() for x in (out, out_dot)) if library == "dask" else (out, out_dot)
    want = numerical_jvp(squashed_features, (W0, X_DATA), 0, dw) + numerical_jvp(squashed_features, (W0, X_DATA), 1,
                                                                                  dX)
    np.testing.assert_allclose(np.asarray(out), squashed_features(W0, X_DATA), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(out_dot), want, rtol=1e-6, atol=1e-9)


# -- the scatter-add: block-wise on Dask, every repeat counted ----------------------------------------


def test_dask_scatter_add_is_block_wise_and_counts_repeats_across_blocks():
    values = np.arange(1.0, 9.0)  # 8 values in 3 blocks; position 2 is hit in blocks 1 and 2, 0 in 1 and 2
    lazy = scatter_add(da.zeros(3, chunks=2), REPEATED, da.from_array(values, chunks=3))
    tasks = [k for k in dict(lazy.__dask_graph__()) if "_block_sums" in str(k)]
    assert len(tasks) == 3  # one scatter per block of values, none holding them all
    expected = np.zeros(3)
    np.add.at(expected, REPEATED, values)
    np.testing.assert_array_equal(lazy.compute(), expected)
    np.testing.assert_array_equal(expected, [1.0 + 6.0, 4.0 + 7.0 + 8.0, 2.0 + 3.0 + 5.0])  # by hand


def test_gradient_of_a_gather_with_repeats_on_dask():
    theta = np.array([0.4, -1.1, 0.7])
    g = s2sad.grad(gathered_squares)(da.from_array(theta, chunks=2))
    assert_gradient(gathered_squares, (theta,), 0, g.compute())


# -- JAX: NumPy's silent conversions ----------------------------------------------------------------


def test_numpy_function_imported_by_name_runs_as_jax_numpy():
    jnp = jax_numpy()
    import jax

    x = np.array([0.5, -1.0, 2.0])
    g = jax.jit(s2sad.grad(sine_weighted))(jnp.asarray(x))  # under jit a NumPy call would fail, not convert
    assert isinstance(g, jax.Array)
    assert_gradient(sine_weighted, (x,), 0, g)


def expit_total(x):
    import scipy.special

    return np.sum(scipy.special.expit(x))


def test_a_call_that_turns_a_jax_array_into_numpy_is_refused_naming_the_line():
    jnp = jax_numpy()
    pytest.importorskip("scipy.special", reason="scipy is not installed")
    x = np.array([0.5, -1.0, 2.0])
    with pytest.raises(s2sad.S2SADError, match=r"cannot run on jax: .*expit.* returned a NumPy array for a JAX "
                                               r"array.*generated line: .*expit"):
        s2sad.grad(expit_total)(jnp.asarray(x))
    g = s2sad.grad(expit_total)(da.from_array(x, chunks=2))  # on Dask the ufunc dispatches, lazily
    assert isinstance(g, da.Array)
    assert_gradient(expit_total, (x,), 0, g.compute())


# -- CuPy: only where a GPU is ----------------------------------------------------------------------


def test_grad_and_vjp_of_cupy_arrays_without_backend():
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (it needs a CUDA GPU, none on this machine)")
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # cupy installed, no driver or device
        pytest.skip(f"no CUDA GPU available for CuPy: {exc}")
    args = tuple(map(cupy.asarray, (W0, X_DATA, Y_DATA)))
    g = s2sad.grad(least_squares)(*args)
    assert isinstance(g, cupy.ndarray)
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 0, cupy.asnumpy(g))
    out, pullback = s2sad.vjp(squashed_features, *args[:2])
    assert_vjp(lambda c: tuple(map(cupy.asnumpy, pullback(c))), out, cupy.asarray)


# -- parameters in a dict ------------------------------------------------------------------------------


def dict_regression(params, X, y):
    residual = np.tanh(X @ params["W"]) @ params["v"] - y
    return np.mean(residual ** 2)


def test_dict_of_dask_and_of_jax_parameters():
    W, v = RNG.normal(size=(3, 4)), RNG.normal(size=4)
    for to in (lambda a: da.from_array(a, chunks=2), jax_numpy().asarray):
        g = s2sad.grad(dict_regression)({"W": to(W), "v": to(v)}, to(X_DATA), to(Y_DATA))
        assert set(g) == {"W", "v"}
        assert type(g["W"]) is type(to(W))  # the library's array, not NumPy's
        for key, value in (("W", W), ("v", v)):
            def along(a, key=key):
                return dict_regression({"W": W, "v": v, key: a}, X_DATA, Y_DATA)

            assert_gradient(along, (value,), 0, np.asarray(g[key]))


def test_has_aux_vjp_and_jvp_inside_jax_jit():
    jnp = jax_numpy()
    import jax

    args = tuple(map(jnp.asarray, (W0, X_DATA, Y_DATA)))
    g, residual = jax.jit(s2sad.grad(least_squares_with_residual, has_aux=True))(*args)
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 0, g)
    np.testing.assert_allclose(np.asarray(residual), X_DATA @ W0 - Y_DATA, rtol=1e-12)
    dw = np.random.default_rng(5).normal(size=3)
    out_dot = jax.jit(lambda w, X, t: s2sad.jvp(squashed_features, (w, X), (t, None))[1])(*args[:2], jnp.asarray(dw))
    np.testing.assert_allclose(np.asarray(out_dot), numerical_jvp(squashed_features, (W0, X_DATA), 0, dw),
                               rtol=1e-6, atol=1e-9)
    pullback_jit = jax.jit(lambda w, X, c: s2sad.vjp(squashed_features, w, X)[1](c))
    assert_vjp(lambda c: pullback_jit(*args[:2], c), None, jnp.asarray)


class LinearModel:
    """A model object whose method is the loss: the object is a constant, its weights an argument."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def loss(self, w):
        return least_squares(w, self.X, self.y)


def test_a_bound_method_on_dask_data():
    model = LinearModel(*chunked(X_DATA, Y_DATA))
    g = s2sad.grad(model.loss)(da.from_array(W0, chunks=2))
    assert isinstance(g, da.Array)
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 0, g.compute())
    out, pullback = s2sad.vjp(model.loss, da.from_array(W0, chunks=2))
    (gw,) = pullback(1.0)
    assert_gradient(least_squares, (W0, X_DATA, Y_DATA), 0, gw.compute())


class Scaler:
    """A callable object read as a module-level name: its attributes stay readable on JAX."""

    factor = 3.0

    def __call__(self, x):
        return x * self.factor


SCALE = Scaler()


def scaled_sum(x):
    return np.sum(x * SCALE.factor)


def test_a_module_level_callable_object_keeps_its_attributes_on_jax():
    jnp = jax_numpy()
    x = np.array([0.5, -1.0, 2.0])
    g = s2sad.grad(scaled_sum)(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(g), 3.0 * np.ones(3))
    assert_gradient(scaled_sum, (x,), 0, g)


@pytest.mark.parametrize("transform", ["jacobian", "hessian", "linearize"])
def test_transforms_that_run_on_numpy_only_refuse_a_dask_array(transform):
    """Taken for a constant, a Dask argument would give a silently wrong derivative: refused instead."""
    X, y = chunked(X_DATA, Y_DATA)
    calls = {"jacobian": lambda: s2sad.jacobian(squashed_features)(da.from_array(W0), X),
             "hessian": lambda: s2sad.hessian(least_squares)(da.from_array(W0), X, y),
             "linearize": lambda: s2sad.linearize(squashed_features, da.from_array(W0), X)}
    with pytest.raises(s2sad.S2SADError, match="an argument is a dask array: grad, value_and_grad, vjp and jvp run"):
        calls[transform]()
