"""grad(f, backend="array_api") on other array libraries: Dask (lazy), JAX (eager and under jax.jit), CuPy.

The same generated derivative runs on the arguments' own library (docs/scale-out.md). Each gradient
is checked against central finite differences of f on NumPy arrays, and its type is checked too:
a Dask gradient stays a lazy Dask array, a JAX gradient a JAX array (never silently NumPy's).
"""

import sys

import corpus_basic
import corpus_control
import corpus_language
import corpus_numpy
import corpus_structure
import corpus_subroutines
import numpy as np
import pytest
from conftest import differentiable, inputs_for

import s2sad
from s2sad.runtime_scatter import scatter_add
from s2sad.testing import numerical_jvp

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install 's2sad[test]')")
import dask  # noqa: E402

MODULES = (corpus_basic, corpus_control, corpus_language, corpus_numpy, corpus_structure, corpus_subroutines)
ON_DASK = ("axis_sum", "broadcast_rows", "dot_product", "matmul_fn", "matvec", "method_calls", "transpose_fn",
           "vector_mean", "vector_sum", "rnn_small", "weighted_row_sum", "column_and_row", "index_matrix_elements",
           "index_scalar_elements", "lennard_jones", "slices_with_steps", "helper_on_arrays", "mlp_with_helpers",
           "genexp_nested", "genexp_weighted_sum", "with_errstate", "attention_layer", "batched_matvec_einsum",
           "bilinear_einsum", "clipped_loss", "cumulative_returns", "gaussian_loglik_diagonal", "huber_loss",
           "kl_diagonal_gaussians", "logistic_nll", "logsumexp_rows", "poisson_loglik", "softmax_entropy",
           "mlp_regression", "softmax_cross_entropy", "standardize_and_score")
ON_JAX = ON_DASK + ("append_then_stack", "frobenius_regularized", "reshape_fn")  # reshape(order=) is not Dask's


def corpus(name):
    """The corpus function called name (corpus_numpy's first, where two modules share a name)."""
    for module in (corpus_numpy,) + MODULES:
        f = getattr(module, name, None)
        if f is not None and getattr(f, "__module__", None) == module.__name__:
            return f
    raise LookupError(name)


def assert_matches_differences(f, args, wrt, grads):
    """<gradient, d> equals the finite-difference derivative of f (NumPy) along a random direction d."""
    rng = np.random.default_rng(0)
    for i, g in zip(wrt, grads):
        d = rng.normal(size=np.shape(args[i]))
        want = numerical_jvp(f, args, i, d)
        assert float(np.vdot(np.asarray(g), d)) == pytest.approx(float(want), rel=1e-5, abs=1e-6)


@pytest.fixture(autouse=True)
def synchronous_dask():
    with dask.config.set(scheduler="synchronous"):  # no thread pool: these graphs are tiny
        yield


@pytest.mark.parametrize("name", ON_DASK)
def test_corpus_gradient_on_dask_is_lazy_and_right(name):
    f = corpus(name)
    args = inputs_for(f)
    wrt = differentiable(f, args)
    lazy = tuple(da.from_array(a, chunks=2) for a in args)  # several chunks per array
    grads = s2sad.grad(f, wrt=wrt, backend="array_api")(*lazy)
    assert all(isinstance(g, da.Array) for g in grads)  # nothing computed yet
    assert_matches_differences(f, args, wrt, dask.compute(*grads))


def test_numpy_arguments_take_the_numpy_path():
    f = corpus_numpy.logistic_nll
    theta = np.array([0.1, -0.2, 0.3])
    got = s2sad.grad(f, backend="array_api")(theta)
    assert type(got) is np.ndarray
    np.testing.assert_allclose(got, s2sad.grad(f)(theta), rtol=0, atol=0)


def test_value_and_grad_on_dask():
    theta = np.array([0.1, -0.2, 0.3])
    value, grad = s2sad.value_and_grad(corpus_numpy.logistic_nll, backend="array_api")(da.from_array(theta, 2))
    assert float(value.compute()) == pytest.approx(corpus_numpy.logistic_nll(theta), rel=1e-12)
    assert_matches_differences(corpus_numpy.logistic_nll, (theta,), (0,), (grad.compute(),))


def test_a_branch_on_a_lazy_value_is_refused_not_computed():
    f = corpus_control.max_tracking  # `if a[i] > best:` inside a loop
    with pytest.raises(s2sad.S2SADError, match=r"cannot run on dask: a branch.*generated line: if ") as info:
        s2sad.grad(f, backend="array_api")(da.from_array(inputs_for(f)[0], chunks=2))
    assert "corpus_control.py" in str(info.value)
    if sys.version_info >= (3, 11):  # the user's own line, from the note the generated code adds
        assert "corpus_control.py:295:" in str(info.value)


def test_two_array_libraries_at_once_are_refused():
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed")
    a = np.ones(3)
    with pytest.raises(s2sad.S2SADError, match="several array libraries"):
        s2sad.grad(corpus_basic.dot_product, wrt=(0, 1), backend="array_api")(da.from_array(a), jnp.asarray(a))


# -- the scatter-add primitive: the same answer with repeated indices everywhere ------------------

INDEX = np.array([0, 2, 2, 1, 2, 0])
VALUES = np.array([1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0])
EXPECTED = np.array([0.5 + 100001.0, 1.5 + 1000.0, 2.5 + 10110.0])  # every repeat added, by hand


def test_scatter_add_counts_every_repeat_on_numpy_and_dask():
    base = np.array([0.5, 1.5, 2.5])
    np.testing.assert_array_equal(scatter_add(base, INDEX, VALUES), EXPECTED)
    lazy = scatter_add(da.from_array(base, chunks=2), INDEX, da.from_array(VALUES, chunks=2))
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), EXPECTED)
    np.testing.assert_array_equal(base, [0.5, 1.5, 2.5])  # functional: the target is unchanged


def test_scatter_add_counts_every_repeat_on_jax():
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed")
    with_x64()
    got = scatter_add(jnp.asarray([0.5, 1.5, 2.5]), jnp.asarray(INDEX), jnp.asarray(VALUES))
    np.testing.assert_array_equal(np.asarray(got), EXPECTED)


def test_scatter_add_counts_every_repeat_on_cupy():
    cupy = cuda_cupy()
    got = scatter_add(cupy.asarray([0.5, 1.5, 2.5]), cupy.asarray(INDEX), cupy.asarray(VALUES))
    np.testing.assert_array_equal(cupy.asnumpy(got), EXPECTED)


# -- JAX: eager, and the readable derivative compiled by jax.jit ----------------------------------


def with_x64():
    import jax

    jax.config.update("jax_enable_x64", True)  # float64 as in the NumPy oracle


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("name", ON_JAX)
def test_corpus_gradient_on_jax(name, jit):
    jax = pytest.importorskip("jax", reason="jax is not installed (pip install 's2sad[jax]')")
    with_x64()
    f = corpus(name)
    args = inputs_for(f)
    wrt = differentiable(f, args)
    g = s2sad.grad(f, wrt=wrt, backend="array_api")
    grads = (jax.jit(g) if jit else g)(*map(jax.numpy.asarray, args))
    assert all(isinstance(x, jax.Array) for x in grads)  # not silently converted to NumPy
    assert_matches_differences(f, args, wrt, grads)


def test_an_in_place_write_on_jax_is_refused():
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed")
    f = corpus_numpy.quadratic_form_trace
    args = inputs_for(f)
    with pytest.raises(s2sad.S2SADError, match=r"cannot run on jax: an in-place write.*generated line"):
        s2sad.grad(f, wrt=(0, 1), backend="array_api")(*map(jnp.asarray, args))


# -- CuPy: only where a GPU is ----------------------------------------------------------------------


def cuda_cupy():
    """cupy, or a skip saying why: CuPy runs only where it is installed and a CUDA GPU is present."""
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (no CUDA GPU on this machine)")
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # cupy installed, no driver or device
        pytest.skip(f"no CUDA GPU available for CuPy: {exc}")
    return cupy


@pytest.mark.parametrize("name", ON_DASK)
def test_corpus_gradient_on_cupy(name):
    cupy = cuda_cupy()
    f = corpus(name)
    args = inputs_for(f)
    wrt = differentiable(f, args)
    grads = s2sad.grad(f, wrt=wrt, backend="array_api")(*map(cupy.asarray, args))
    assert all(isinstance(x, cupy.ndarray) for x in grads)
    assert_matches_differences(f, args, wrt, [cupy.asnumpy(x) for x in grads])


def test_a_branch_on_a_traced_value_under_jit_is_refused():
    jax = pytest.importorskip("jax", reason="jax is not installed")
    f = corpus_control.max_tracking  # `if a[i] > best:` needs a value a tracer does not have
    g = s2sad.grad(f, backend="array_api")
    with pytest.raises(s2sad.S2SADError, match=r"cannot run on jax: a branch.*under jax.jit.*generated line: if "):
        jax.jit(g)(jax.numpy.asarray(inputs_for(f)[0]))


WEIGHT = 2.0


def weighted_sum_of_squares(a):
    return WEIGHT * np.sum(a ** 2)


def test_a_changed_module_constant_is_read_again(monkeypatch):
    a = np.array([1.0, -2.0, 3.0])
    g = s2sad.grad(weighted_sum_of_squares, backend="array_api")
    np.testing.assert_allclose(g(da.from_array(a, chunks=2)).compute(), 4.0 * a)
    monkeypatch.setattr(__import__(__name__), "WEIGHT", 5.0)
    np.testing.assert_allclose(g(da.from_array(a, chunks=2)).compute(), 10.0 * a)


def test_a_vector_output_is_refused_as_on_numpy():
    with pytest.raises(s2sad.S2SADError, match=r"to return a scalar float, but it returned \(3,\)"):
        s2sad.grad(lambda a: a * 2.0, backend="array_api")(da.from_array(np.ones(3)))
