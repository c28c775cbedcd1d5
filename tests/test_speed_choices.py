"""The speed work of issues 11 and 18, as examples: which derivative grad runs, and the NumPy it writes.

Every gradient here is checked against central differences or a closed form; the generated
source is read only to see which variant runs (forward mode for one float, `np.outer` for a
matrix-vector product, no `unbroadcast` where the kinds are known).
"""

import math
import subprocess
import sys

import numpy as np
import pytest

import s2sad


def fd(f, args, i, eps=1e-6):
    """Central differences of scalar f with respect to argument i (a float or an array)."""
    x = np.asarray(args[i], dtype=float)
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[k] = eps
        up, down = list(args), list(args)
        up[i], down[i] = x + step, x - step
        if not x.shape:
            up[i], down[i] = float(up[i]), float(down[i])
        grad[k] = (f(*up) - f(*down)) / (2 * eps)
    return grad


# -- grad of one float runs forward mode ---------------------------------------------------------


def logistic(x, n):
    v = x
    for _ in range(n):
        v = 4.0 * v * (1.0 - v)
    return v


def test_grad_of_one_float_runs_forward_mode():
    head = s2sad.source(logistic, args=(0.3, 5)).splitlines()[0]
    assert head.startswith("# forward mode wrt x, specialized to x: float, n: int")
    g = s2sad.grad(logistic)(0.3, 5)
    assert type(g) is float and g == pytest.approx(float(fd(logistic, (0.3, 5), 0)), rel=1e-6)
    assert s2sad.grad(logistic)(np.float32(0.3), 5).dtype == np.float32  # a gradient looks like its input
    assert s2sad.value_and_grad(logistic)(0.3, 5) == (logistic(0.3, 5), pytest.approx(g, rel=1e-12))


def test_two_floats_or_an_array_run_reverse_mode():
    def f(x, y):
        return x * math.sin(y)
    assert s2sad.source(f, wrt=(0, 1), args=(0.5, 0.2)).startswith("# reverse mode")
    assert s2sad.source(f, args=(np.ones(2), 0.2)).startswith("# reverse mode")
    assert s2sad.grad(f, wrt=(0, 1))(0.5, 0.2) == (pytest.approx(math.sin(0.2)), pytest.approx(0.5 * math.cos(0.2)))


def looped(x, n):
    for i in s2sad.checkpointed(range(n), snapshots=2):
        x = np.sin(x)
    return x


def test_a_function_that_asks_for_a_reverse_schedule_keeps_it():
    assert s2sad.source(looped, args=(0.3, 4)).startswith("# reverse mode")
    assert s2sad.grad(looped)(0.3, 4) == pytest.approx(float(fd(looped, (0.3, 4), 0)), rel=1e-6)


def scaled_norm(x, y):
    return np.sum(x * x) * y


def test_grad_leaves_out_the_value_where_the_output_is_proven_a_scalar():
    code = s2sad.source(scaled_norm, args=(np.ones(3), 2.0))
    assert code.rstrip().endswith("return x_bar")  # the gradient alone: no value to check
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(s2sad.grad(scaled_norm)(x, 2.0), 4.0 * x)
    value, grad = s2sad.value_and_grad(scaled_norm)(x, 2.0)
    assert value == pytest.approx(2.0 * 5.25) and np.allclose(grad, 4.0 * x)


# -- ordinary spellings, written as NumPy -----------------------------------------------------------


def rnn_cell(W, U, b, x, h):
    return np.tanh(np.dot(W, h) + np.dot(U, x) + b)


def rnn_helper(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = rnn_cell(W, U, b, xs[t], h)
    return np.sum(h * h)


def rnn_methods(W, U, b, xs, h0):
    h = h0
    for x in xs:
        h = np.tanh(W.dot(h) + U.dot(x) + b)
    return (h * h).sum()


RNG = np.random.default_rng(18)
RNN = (RNG.normal(0, 0.5, (4, 4)), RNG.normal(0, 0.5, (4, 3)), RNG.normal(0, 0.1, 4), RNG.normal(0, 1, (5, 3)),
       np.zeros(4))


@pytest.mark.parametrize("rnn", [rnn_helper, rnn_methods], ids=lambda f: f.__name__)
def test_rnn_spellings_write_outer_products(rnn):
    code = s2sad.source(rnn, wrt=(0, 1, 2), args=RNN)
    assert "np.outer(" in code and "dot_adjoint" not in code and "unbroadcast" not in code
    grads = s2sad.grad(rnn, wrt=(0, 1, 2))(*RNN)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, fd(rnn, RNN, i), rtol=1e-5, atol=1e-8)


def pair_potential(pos, r0):
    n = pos.shape[0]
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = np.linalg.norm(pos[i] - pos[j])
            energy += (r - r0) ** 2
    return energy


def test_pair_potential_adjoint_uses_the_primal_norm():
    pos = RNG.uniform(0.0, 2.0, (5, 3))
    code = s2sad.source(pair_potential, args=(pos, 1.0))
    assert "norm_slope" not in code and "unbroadcast" not in code and "sum_adjoint" not in code
    np.testing.assert_allclose(s2sad.grad(pair_potential)(pos, 1.0), fd(pair_potential, (pos, 1.0), 0), rtol=1e-6)
    pos[1] = pos[0]  # a pair at distance 0: the norm's slope there is 0 (docs/rules.md), not NaN
    g = s2sad.grad(pair_potential)(pos, 1.0)
    assert np.all(np.isfinite(g))


def chain_with_gravity(x, k):
    energy = 0.0
    for i in range(x.shape[0] - 1):
        d = x[i + 1] - x[i]
        stretch = np.sqrt(np.sum(d * d)) - 1.0
        energy = energy + 0.5 * k * stretch * stretch
    for i in range(x.shape[0]):
        energy = energy + 9.81 * x[i, 1]
    return energy


def test_spring_chain_with_item_reads():
    x = np.stack([np.linspace(0.0, 3.0, 6), RNG.uniform(-0.5, 0.5, 6)], axis=1)
    code = s2sad.source(chain_with_gravity, args=(x, 10.0))
    assert "unbroadcast" not in code and "d_bar = d_times_d_bar * d" in code
    np.testing.assert_allclose(s2sad.grad(chain_with_gravity)(x, 10.0), fd(chain_with_gravity, (x, 10.0), 0),
                               rtol=1e-6)


# -- SciPy's rules are registered when SciPy is imported, not by import s2sad ------------------------


def test_import_s2sad_does_not_import_scipy():
    code = "import sys, s2sad; print(any(m == 'scipy' or m.startswith('scipy.') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_scipy_rules_arrive_with_scipy(tmp_path):
    pytest.importorskip("scipy")
    script = tmp_path / "uses_scipy.py"
    script.write_text(
        "import math\n"
        "import scipy.special\n"
        "import s2sad\n\n\n"
        "def f(x):\n"
        "    return scipy.special.expit(x) * 2.0\n\n\n"
        "s = 1.0 / (1.0 + math.exp(-0.3))\n"
        "print(abs(s2sad.grad(f)(0.3) - 2.0 * s * (1.0 - s)) < 1e-12)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.stdout.strip() == "True", done.stderr
