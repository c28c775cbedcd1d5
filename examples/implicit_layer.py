"""A deep-equilibrium layer trained a few steps: its output is a fixed point, not a stack of layers.

    z* = tanh(W z* + U u + b)            (s2sad.fixed_point iterates this to convergence)

The gradient of the loss with respect to W, U and b comes from the implicit function theorem:
reverse mode solves the adjoint fixed point  v = g + (d step/dz)^T v  with the generated VJP of
the layer, instead of storing and reversing every forward iteration. The example checks that
gradient against finite differences once, then takes a few gradient steps on a small regression
problem and prints the loss falling.

    python examples/implicit_layer.py
"""

import numpy as np

import s2sad

rng = np.random.default_rng(0)
WIDTH, INPUTS, SAMPLES = 16, 3, 32
INPUT = rng.normal(size=(INPUTS, SAMPLES))          # one column per sample
TARGET = np.sin(INPUT.sum(axis=0))                   # what the layer's read-out should learn


def layer(z, W, U, b):
    """One application of the equilibrium layer to every sample at once (z: WIDTH x SAMPLES)."""
    return np.tanh(W @ z + U @ INPUT + b[:, None])


def loss(W, U, b, readout):
    z = s2sad.fixed_point(layer, np.zeros((WIDTH, SAMPLES)), W, U, b, tol=1e-10)
    prediction = readout @ z
    return np.mean((prediction - TARGET) ** 2)


def finite_difference(f, args, index, direction, eps=1e-6):
    hi = list(args)
    lo = list(args)
    hi[index] = args[index] + eps * direction
    lo[index] = args[index] - eps * direction
    return (f(*hi) - f(*lo)) / (2 * eps)


def main():
    W = rng.normal(size=(WIDTH, WIDTH)) * 0.3 / np.sqrt(WIDTH)   # small: the layer is a contraction
    U = rng.normal(size=(WIDTH, INPUTS)) * 0.5
    b = np.zeros(WIDTH)
    readout = rng.normal(size=WIDTH) / np.sqrt(WIDTH)
    params = [W, U, b, readout]
    gradient = s2sad.grad(loss, wrt=(0, 1, 2, 3))
    grads = gradient(*params)
    direction = rng.normal(size=U.shape)
    print(f"dL/dU . d: implicit {np.vdot(grads[1], direction):.10f}, "
          f"finite differences {finite_difference(loss, params, 1, direction):.10f}")
    rate = 0.1
    print(f"step  0: loss {loss(*params):.6f}")
    for step in range(1, 11):
        grads = gradient(*params)
        params = [p - rate * g for p, g in zip(params, grads)]
        params[0] = params[0] * min(1.0, 0.9 / np.linalg.norm(params[0], 2))   # keep W a contraction
        print(f"step {step:2d}: loss {loss(*params):.6f}")


if __name__ == "__main__":
    main()
