"""Plots of functions and the derivatives s2sad computes for them, saved as PNG.

    sin(x) and its derivative (which should be cos x), and x**3 with its first three
    derivatives 3x^2, 6x and 6, each obtained by applying s2sad.grad to the previous one
    (s2sad differentiates its own generated code).

Needs matplotlib (pip install -e ".[examples]"); without it the example says so and exits.

    python examples/plot_derivatives.py [OUTPUT_DIR]      (default: ./s2sad_plots)
"""

import sys
from pathlib import Path

import numpy as np

import s2sad


def total_sin(x):
    """The sum of sin over an array: its gradient is cos, elementwise."""
    return np.sum(np.sin(x))


def cube(x):
    return x**3


def sin_derivative(xs):
    """sin'(x) on the whole grid in one reverse pass."""
    return s2sad.grad(total_sin)(xs)


def cube_derivatives(xs):
    """x**3 and its first three derivatives, point by point: rows 0 to 3."""
    d1 = s2sad.grad(cube)
    d2 = s2sad.grad(d1)  # the gradient of a gradient: s2sad differentiates the generated cube_vjp
    d3 = s2sad.grad(d2)
    return np.array([[f(float(x)) for x in xs] for f in (cube, d1, d2, d3)])


# -- drawing, shared with bilevel.py ----------------------------------------------------------------


def output_directory():
    """Where the plots go: the first command-line argument, else ./s2sad_plots."""
    return Path(sys.argv[1] if len(sys.argv) > 1 else "s2sad_plots")


def pyplot():
    """matplotlib.pyplot drawing to files only (no window), or None, saying so, when it is not installed."""
    try:
        import matplotlib
    except ImportError:
        print('matplotlib is not installed, so no plots were drawn (pip install -e ".[examples]")')
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(plt, fig, path):
    """fig written to path as a PNG (its folder made), then closed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot(plt, xs, dsin, xs3, cubes, directory):
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xs, np.sin(xs), label="sin x")
    ax.plot(xs, dsin, label="s2sad.grad: d/dx sin x")
    ax.plot(xs[::8], np.cos(xs[::8]), "k.", label="cos x")
    ax.set_xlabel("x")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3)
    ax.set_title("sin and its derivative")
    paths = [save(plt, fig, directory / "sin_derivative.png")]

    fig, ax = plt.subplots(figsize=(6, 4))
    for values, label in zip(cubes, ["x³", "d/dx: 3x²", "d²/dx²: 6x", "d³/dx³: 6"]):
        ax.plot(xs3, values, label=label)
    ax.set_xlabel("x")
    ax.set_ylim(-13, 13)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=4)
    ax.set_title("x³ and its first three derivatives (grad of grad of grad)")
    paths.append(save(plt, fig, directory / "cube_derivatives.png"))
    return paths


if __name__ == "__main__":
    xs = np.linspace(-2 * np.pi, 2 * np.pi, 200)
    dsin = sin_derivative(xs)
    print(f"max |s2sad.grad(sin) - cos| on {xs.size} points: {np.max(np.abs(dsin - np.cos(xs))):.1e}")
    xs3 = np.linspace(-2.0, 2.0, 101)
    cubes = cube_derivatives(xs3)
    exact = [xs3**3, 3 * xs3**2, 6 * xs3, np.full_like(xs3, 6.0)]
    for k, name in enumerate(["x**3", "3x**2", "6x", "6"]):
        print(f"derivative {k} of x**3 vs {name:>5}: max error {np.max(np.abs(cubes[k] - exact[k])):.1e}")
    print(f"at x = 1.5: x**3 and its derivatives = {cube_derivatives([1.5])[:, 0].tolist()}")
    plt = pyplot()
    if plt is not None:
        for path in plot(plt, xs, dsin, xs3, cubes, output_directory()):
            print(f"wrote {path}")
