"""Ordinary spellings of the same programs (issue 18): no spelling may be slow.

The RNN of `workloads_loops.py` written with `np.dot` and `np.tanh` as a new user would, with its
step as a helper, and with methods (`W.dot(h)`, `.sum()`); a pair potential over particles
(`np.linalg.norm` of each pair's difference) and a spring chain, each written with a loop over
rows as in a textbook (the hand-written gradients use the primal's own primitives, np.linalg.norm
included). Targets: every gradient at most 1.3x its hand-written one.
"""

import numpy as np
from harness import Target, Workload
from workloads_loops import rnn_inputs, rnn_loss_grad

# -- the RNN, three more spellings -----------------------------------------------------------


def rnn_dot(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(np.dot(W, h) + np.dot(U, xs[t]) + b)
    return np.sum(h * h)


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


# -- a pair potential over particles ---------------------------------------------------------


def pair_potential(pos, r0):
    """Harmonic bonds between every pair at rest length r0: sum of (|pi - pj| - r0)^2."""
    n = pos.shape[0]
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = np.linalg.norm(pos[i] - pos[j])
            energy += (r - r0) ** 2
    return energy


def pair_potential_grad(pos, r0):
    """By hand, with the primal's own np.linalg.norm."""
    n = pos.shape[0]
    g = np.zeros_like(pos)
    for i in range(n):
        for j in range(i + 1, n):
            d = pos[i] - pos[j]
            r = np.linalg.norm(d)
            gd = (2.0 * (r - r0) / r) * d
            g[i] += gd
            g[j] -= gd
    return g


# -- a spring chain ---------------------------------------------------------------------------


def spring_chain(x, k, rest):
    """Springs between neighbours of a chain of points in the plane."""
    energy = 0.0
    for i in range(x.shape[0] - 1):
        d = x[i + 1] - x[i]
        stretch = np.sqrt(np.sum(d * d)) - rest
        energy = energy + 0.5 * k * stretch * stretch
    return energy


def spring_chain_gravity(x, k, rest):
    """The chain with gravity on each point, added in a second loop over the points (`x[i, 1]`)."""
    energy = spring_chain(x, k, rest)
    for i in range(x.shape[0]):
        energy = energy + 9.81 * x[i, 1]
    return energy


def spring_chain_grad(x, k, rest):
    g = np.zeros_like(x)
    for i in range(x.shape[0] - 1):
        d = x[i + 1] - x[i]
        length = np.sqrt(np.sum(d * d))
        gd = (k * (length - rest) / length) * d
        g[i + 1] += gd
        g[i] -= gd
    return g


def spring_chain_gravity_grad(x, k, rest):
    g = spring_chain_grad(x, k, rest)
    g[:, 1] += 9.81
    return g


def workloads(quick=False):
    rng = np.random.default_rng(1)
    rnn = rnn_inputs(rng)
    hand = [Target("s2sad", "hand", 1.3)]
    pos = rng.uniform(0.0, 3.0, (30, 3))
    chain = np.stack([np.linspace(0.0, 10.0, 50), rng.uniform(-0.5, 0.5, 50)], axis=1)
    return [
        Workload("rnn_dot", "spellings", rnn_dot, rnn, wrt=("W", "U", "b"), hand=rnn_loss_grad, targets=hand,
                 notes="np.dot and np.tanh, 100 steps, hidden 64"),
        Workload("rnn_helper", "spellings", rnn_helper, rnn, wrt=("W", "U", "b"), hand=rnn_loss_grad, targets=hand,
                 notes="the step a helper function, np.dot"),
        Workload("rnn_methods", "spellings", rnn_methods, rnn, wrt=("W", "U", "b"), hand=rnn_loss_grad,
                 targets=hand, notes="W.dot(h), (h * h).sum(), a loop over the rows of xs"),
        Workload("pair_potential", "spellings", pair_potential, (pos, 1.0), wrt="pos", hand=pair_potential_grad,
                 targets=hand, notes="30 particles, 435 pairs, np.linalg.norm",
                 skip={"jax-jit": "jit unrolls the 435 pairs: an XLA compile of more than 7 minutes"}),
        Workload("spring_chain", "spellings", spring_chain, (chain, 10.0, 0.2), wrt="x", hand=spring_chain_grad,
                 targets=hand, notes="50 points in the plane, 49 springs"),
        Workload("spring_chain_gravity", "spellings", spring_chain_gravity, (chain, 10.0, 0.2), wrt="x",
                 hand=spring_chain_gravity_grad, targets=hand,
                 notes="the chain as a helper, then gravity point by point (by hand: one vectorized add)"),
    ]
