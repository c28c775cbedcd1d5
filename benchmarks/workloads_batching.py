"""Batching (issue 16): per-example gradients of the MLP loss by s2sad.vmap(s2sad.grad(loss)).

API (shared API contract): `s2sad.vmap(s2sad.grad(loss), in_axes=(None, 0, 0))(params, X, Y)`,
each example a batch of one (X of shape (64, 1, 784)), as one writes it in JAX.
Target: at most 3x one gradient of the whole batch (`per_example/batch_grad`). The hand-written
candidate computes the 64 per-example gradients vectorized (einsum outer products): it shows what
the output alone costs (64 x 784 x 256 floats of W1 gradients, 103 MB, are written whatever
computes them).
"""

import numpy as np
from harness import Target, Workload
from workloads_subroutines import mlp_data, mlp_loss

import s2sad


def per_example_by_hand(params, X, Y):
    """The MLP's per-example gradients, vectorized over the batch by hand."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    x, labels = X[:, 0, :], Y[:, 0, :]
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    p = np.exp(z)
    p /= np.sum(p, axis=1, keepdims=True)
    z_bar = p - labels  # each example is a batch of one: no 1/64
    a_bar = (z_bar @ W2.T) * (1.0 - h * h)
    return {"W1": np.einsum("bi,bj->bij", x, a_bar), "b1": a_bar,
            "W2": np.einsum("bi,bj->bij", h, z_bar), "b2": z_bar}


def s2sad_per_example():
    return s2sad.vmap(s2sad.grad(mlp_loss), in_axes=(None, 0, 0))


def batch_gradient():
    grad = s2sad.grad(mlp_loss)

    def run(params, X, Y):
        return grad(params, X[:, 0, :], Y[:, 0, :])
    return run


def workloads(quick=False):
    params, x, labels = mlp_data()
    X, Y = x[:, None, :], labels[:, None, :]

    def primal(params, X, Y):
        return mlp_loss(params, X[:, 0, :], Y[:, 0, :])

    return [
        Workload("per_example_grads_mlp", "batching", primal, (params, X, Y), hand=per_example_by_hand,
                 s2sad=s2sad_per_example, peer=None, extra={"batch_grad": batch_gradient},
                 targets=[Target("s2sad", "batch_grad", 3.0, "per_example/batch_grad")],
                 notes="vmap(grad(mlp_loss)), 784-256-10, 64 examples of one; primal and batch_grad: the "
                       "whole batch at once"),
    ]
