"""Subroutines (issue 4): code that calls helper functions, takes a dict, and indexes arrays.

Targets: the MLP gradient within 1.3x hand-written backprop; the Lennard-Jones gradient
within 2x a hand-written double loop.
"""

import numpy as np
from harness import Target, Workload

# -- an MLP with helpers, its parameters in a dict ----------------------------------------


def dense(W, b, x):
    return x @ W + b


def log_softmax(z):
    m = np.max(z, axis=1, keepdims=True)
    s = z - m
    return s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))


def cross_entropy(logits, labels):
    return -np.sum(labels * log_softmax(logits)) / logits.shape[0]


def mlp_loss(params, x, labels):
    h = np.tanh(dense(params["W1"], params["b1"], x))
    logits = dense(params["W2"], params["b2"], h)
    return cross_entropy(logits, labels)


def mlp_loss_grad(params, x, labels):
    """Backprop by hand."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    p = np.exp(z)
    p /= np.sum(p, axis=1, keepdims=True)
    z_bar = (p - labels) / x.shape[0]
    h_bar = z_bar @ W2.T
    a_bar = h_bar * (1.0 - h * h)
    return {"W1": x.T @ a_bar, "b1": np.sum(a_bar, axis=0), "W2": h.T @ z_bar, "b2": np.sum(z_bar, axis=0)}


def mlp_data(seed=2, batch=64, sizes=(784, 256, 10)):
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out = sizes
    params = {
        "W1": rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, n_hidden)),
        "b1": rng.normal(0.0, 0.1, n_hidden),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(n_hidden), (n_hidden, n_out)),
        "b2": rng.normal(0.0, 0.1, n_out),
    }
    x = rng.normal(0.0, 1.0, (batch, n_in))
    labels = np.eye(n_out)[rng.integers(0, n_out, batch)]
    return params, x, labels


# -- Lennard-Jones energy, a double loop over particles ---------------------------------


def lj_energy(pos, eps, sigma):
    n = pos.shape[0]
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            d = pos[i] - pos[j]
            r2 = np.sum(d * d)
            s6 = (sigma * sigma / r2) ** 3
            energy = energy + 4.0 * eps * (s6 * s6 - s6)
    return energy


def lj_energy_grad(pos, eps, sigma):
    """The same double loop, each pair's force added to both particles."""
    n = pos.shape[0]
    g = np.zeros_like(pos)
    s2 = sigma * sigma
    for i in range(n):
        for j in range(i + 1, n):
            d = pos[i] - pos[j]
            r2 = np.sum(d * d)
            s6 = (s2 / r2) ** 3
            gd = (-24.0 * eps * (2.0 * s6 * s6 - s6) / r2) * d
            g[i] += gd
            g[j] -= gd
    return g


def lj_positions(n=30, spacing=1.2, seed=3):
    rng = np.random.default_rng(seed)
    grid = np.array([(i, j, k) for i in range(4) for j in range(4) for k in range(2)], dtype=float)[:n]
    return spacing * grid + rng.uniform(-0.05, 0.05, (n, 3))


def workloads(quick=False):
    params, x, labels = mlp_data()
    return [
        Workload("mlp_helpers", "subroutines", mlp_loss, (params, x, labels), wrt="params", hand=mlp_loss_grad,
                 targets=[Target("s2sad", "hand", 1.3)], notes="784-256-10, batch 64, dict params, 4 helpers"),
        Workload("lennard_jones", "subroutines", lj_energy, (lj_positions(), 1.0, 1.0), wrt="pos",
                 hand=lj_energy_grad, targets=[Target("s2sad", "hand", 2.0)], notes="30 particles, 435 pairs",
                 skip={"jax-jit": "jit unrolls the 435 pairs: a very long XLA compile"}),
    ]
