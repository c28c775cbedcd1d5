"""Training a small neural network with s2sad gradients.

A two-layer perceptron (2 -> 16 tanh -> 1) learns to tell the points inside a circle from
those outside it, on synthetic data. The loss is one plain NumPy function of the weights;
s2sad writes its reverse-mode derivative (backpropagation, derived from the forward code)
and plain gradient descent trains the network.

    python examples/mlp.py
"""

import numpy as np

import s2sad


def loss(W1, b1, W2, b2, X, labels):
    """Mean logistic loss of the network's logits against labels in {0, 1}."""
    hidden = np.tanh(X @ W1 + b1)
    logits = hidden @ W2 + b2
    # log(1 + exp(-s)) for label 1 and log(1 + exp(s)) for label 0, with s = logits
    signs = 1.0 - 2.0 * labels
    return np.mean(np.log(1.0 + np.exp(signs * logits)))


def predict(W1, b1, W2, b2, X):
    return np.tanh(X @ W1 + b1) @ W2 + b2 > 0.0


def make_data(n, rng):
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    labels = (np.sum(X * X, axis=1) < 0.5).astype(float)
    return X, labels


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X, labels = make_data(400, rng)
    X_test, labels_test = make_data(400, rng)
    params = [rng.normal(0.0, 1.0, (2, 16)), np.zeros(16), rng.normal(0.0, 0.25, 16), 0.0]

    gradient = s2sad.grad(loss, wrt=("W1", "b1", "W2", "b2"))
    grads = gradient(*params, X, labels)
    print("parameter shapes:", [np.shape(p) for p in params], " gradient shapes:", [np.shape(g) for g in grads])

    # One entry of the gradient against a central difference, as a sanity check.
    h = 1e-6
    W1_plus, W1_minus = params[0].copy(), params[0].copy()
    W1_plus[1, 3] += h
    W1_minus[1, 3] -= h
    fd = (loss(W1_plus, *params[1:], X, labels) - loss(W1_minus, *params[1:], X, labels)) / (2 * h)
    print(f"dloss/dW1[1, 3]: s2sad {grads[0][1, 3]:.8f}  finite difference {fd:.8f}")
    print()

    rate = 1.0
    print(f"{'step':>5} {'loss':>8} {'train accuracy':>15}")
    for step in range(1, 801):
        grads = gradient(*params, X, labels)
        params = [p - rate * g for p, g in zip(params, grads)]
        if step in (1, 50, 100, 200, 400, 800):
            accuracy = np.mean(predict(*params, X) == (labels > 0.5))
            print(f"{step:>5} {loss(*params, X, labels):>8.4f} {accuracy:>15.3f}")
    accuracy = np.mean(predict(*params, X_test) == (labels_test > 0.5))
    print()
    print(f"test accuracy on 400 new points: {accuracy:.3f}")
    print()
    print("The generated backpropagation:")
    print(s2sad.source(loss, mode="reverse", wrt=("W1", "b1", "W2", "b2")))
