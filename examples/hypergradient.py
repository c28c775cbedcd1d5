"""Hypergradients through thousands of SGD-with-momentum steps, three ways (seed lecture 004).

A logistic-regression model is trained by SGD with momentum for STEPS steps; the validation
loss after training is differentiated with respect to the learning rate and the momentum decay
(Maclaurin, Duvenaud and Adams, "Gradient-based hyperparameter optimization through reversible
learning", 2015). The same training loop is written three times, only its iterable changes:

* `range(steps)`: reverse mode tapes the weights and velocity of every step;
* `s2sad.checkpointed(range(steps), snapshots=20)`: at most 20 saved states, binomial schedule;
* `s2sad.reversible(range(steps))`: the adjoint sweep inverts each step (`w = w - v`,
  `v = (v + lr * g) / decay`) instead of reading a tape. A decay below 1 multiplies rounding by
  1/decay at each inverted step; s2sad checks the reconstructed initial weights and, when they
  drifted, computes the gradient again with checkpoints (it says so below; over 50 steps the
  inversion holds, over thousands it cannot).

Each hypergradient is checked against central finite differences, then the peak memory
(tracemalloc) of each gradient is plotted against the number of steps (needs matplotlib).

    python examples/hypergradient.py [OUTPUT_DIR] [--steps N]     (default: ./s2sad_plots, 2000)
"""

import gc
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

import s2sad
from s2sad import reversing


def train_taped(lr, decay, w, X, y, Xv, yv, steps):
    v = np.zeros_like(w)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        g = X.T @ (p - y) / y.size + 1e-3 * w
        v = decay * v - lr * g
        w = w + v
    pv = 1.0 / (1.0 + np.exp(-(Xv @ w)))
    return -np.mean(yv * np.log(pv) + (1.0 - yv) * np.log(1.0 - pv))


def train_checkpointed(lr, decay, w, X, y, Xv, yv, steps):
    v = np.zeros_like(w)
    for _ in s2sad.checkpointed(range(steps), snapshots=20):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        g = X.T @ (p - y) / y.size + 1e-3 * w
        v = decay * v - lr * g
        w = w + v
    pv = 1.0 / (1.0 + np.exp(-(Xv @ w)))
    return -np.mean(yv * np.log(pv) + (1.0 - yv) * np.log(1.0 - pv))


def train_reversible(lr, decay, w, X, y, Xv, yv, steps):
    v = np.zeros_like(w)
    for _ in s2sad.reversible(range(steps)):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        g = X.T @ (p - y) / y.size + 1e-3 * w
        v = decay * v - lr * g
        w = w + v
    pv = 1.0 / (1.0 + np.exp(-(Xv @ w)))
    return -np.mean(yv * np.log(pv) + (1.0 - yv) * np.log(1.0 - pv))


METHODS = {"tape": train_taped, "checkpointed": train_checkpointed, "reversible": train_reversible}


def problem(features=40, samples=200, seed=0):
    """A linearly separable-ish classification task, split into training and validation halves."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=features)
    X = rng.normal(size=(2 * samples, features))
    y = (X @ truth + 0.5 * rng.normal(size=2 * samples) > 0).astype(float)
    return np.zeros(features), X[:samples], y[:samples], X[samples:], y[samples:]


def hypergradient(train, lr, decay, data, steps):
    return s2sad.grad(train, wrt=(0, 1))(lr, decay, *data, steps)


def finite_differences(lr, decay, data, steps, h=1e-6):
    loss = train_taped
    d_lr = (loss(lr + h, decay, *data, steps) - loss(lr - h, decay, *data, steps)) / (2 * h)
    d_decay = (loss(lr, decay + h, *data, steps) - loss(lr, decay - h, *data, steps)) / (2 * h)
    return d_lr, d_decay


def peak_bytes(func, *args):
    """tracemalloc's peak while func runs, above what was allocated before."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        func(*args)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def memory_curve(lr, decay, data, counts):
    """{method: [peak bytes of its gradient for each step count]}."""
    curves = {}
    for name, train in METHODS.items():
        grad = s2sad.grad(train, wrt=(0, 1))
        grad(lr, decay, *data, 3)  # compiled outside the measurement
        curves[name] = [peak_bytes(grad, lr, decay, *data, n) for n in counts]
    return curves


def plot(counts, curves, state_bytes, directory):
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, peaks in curves.items():
        ax.plot(counts, np.array(peaks) / state_bytes, "o-", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("SGD steps")
    ax.set_ylabel("peak memory of the gradient / size of (w, v)")
    ax.set_title("Hypergradient memory against training length")
    ax.legend()
    path = directory / "hypergradient_memory.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def main(argv):
    steps = int(argv[argv.index("--steps") + 1]) if "--steps" in argv else 2000
    rest = [a for k, a in enumerate(argv) if a != "--steps" and (k == 0 or argv[k - 1] != "--steps")]
    directory = Path(rest[0] if rest else "s2sad_plots")
    lr, decay = 0.5, 0.9
    data = problem()
    print(f"logistic regression, {data[0].size} weights, SGD with momentum: lr = {lr}, decay = {decay}, "
          f"{steps} steps; validation loss {train_taped(lr, decay, *data, steps):.6f}")
    fd = finite_differences(lr, decay, data, steps)
    print(f"finite differences:  dL/dlr = {fd[0]:+.10f}   dL/ddecay = {fd[1]:+.10f}")
    for name, train in METHODS.items():
        start = time.perf_counter()
        got = hypergradient(train, lr, decay, data, steps)
        took = time.perf_counter() - start
        error = max(abs(g - f) / abs(f) for g, f in zip(got, fd))
        print(f"{name:>13}:  dL/dlr = {got[0]:+.10f}   dL/ddecay = {got[1]:+.10f}   "
              f"max relative difference from finite differences {error:.1e}   ({took:.2f} s)")
        if name == "reversible":
            how = ("held" if not reversing.LAST["fallback"] else
                   "drifted, so the gradient was computed again with checkpoints")
            print(f"{'':>13}   the inversion {how}: reconstructed initial weights off by "
                  f"{reversing.LAST['error']:.1e} (relative; 1/decay = {1 / decay:.3f} per step amplifies rounding)")
    short = 50
    got = hypergradient(train_reversible, lr, decay, data, short)
    want = hypergradient(train_taped, lr, decay, data, short)
    print(f"reversible over {short} steps: the inversion {'held' if not reversing.LAST['fallback'] else 'drifted'} "
          f"(error {reversing.LAST['error']:.1e}); max relative difference from the tape "
          f"{max(abs(g - w) / abs(w) for g, w in zip(got, want)):.1e}")
    counts = [n for n in (steps // 8, steps // 4, steps // 2, steps) if n > 0]
    curves = memory_curve(lr, decay, data, counts)
    state_bytes = 2 * data[0].nbytes
    for name, peaks in curves.items():
        shown = ", ".join(f"{n}: {p / state_bytes:.0f}" for n, p in zip(counts, peaks))
        print(f"peak memory / size of (w, v), {name}: {shown}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib is not installed: no plot (pip install -e \".[examples]\")")
        return
    directory.mkdir(parents=True, exist_ok=True)
    print(f"wrote {plot(counts, curves, state_bytes, directory)}")


if __name__ == "__main__":
    main(sys.argv[1:])
