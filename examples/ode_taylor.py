"""The K-th time derivatives of an ODE solution by Taylor mode (s2sad.jet), K = 1..8.

For dx/dt = f(x), the derivatives of the solution at a point follow from f alone: x' = f(x),
and if x', ..., x^(k) are known, the jet of f along the curve they describe gives
d^k/dt^k f(x(t)) = x^(k+1). Neural-ODE regularization (Kelly et al., "Learning differential
equations that are easy to solve", 2020) penalizes R_K = integral of |x^(K)(t)|^2 dt along the
trajectory; this example computes |x^(K)| for K = 1..8 along a Lorenz trajectory, prints R_K,
checks x'' against the closed form J(x) f(x), prints the generated jet code of f to order 2, and
plots log10 |x^(K)(t)| to a PNG (matplotlib, if installed).

    python examples/ode_taylor.py [OUTPUT.png]
"""

import sys
import time

import numpy as np

import s2sad

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0
ORDER = 8


def lorenz(x, y, z):
    return SIGMA * (y - x), x * (RHO - z) - y, x * y - BETA * z


def time_derivatives(state, order):
    """[x', x'', ..., x^(order)] at state, each a tuple of the three variables' derivatives."""
    derivatives = [lorenz(*state)]
    for k in range(1, order):
        series = [[d[i] for d in derivatives] for i in range(3)]  # the curve known so far, per variable
        _, out_series = s2sad.jet(lorenz, state, series)          # d/dt^1..k of f(x(t))
        derivatives.append(tuple(out_series[i][k - 1] for i in range(3)))
    return derivatives


def second_derivative_by_hand(x, y, z):
    """x'' = J(x) f(x), the Jacobian of Lorenz written out."""
    fx, fy, fz = lorenz(x, y, z)
    J = np.array([[-SIGMA, SIGMA, 0.0], [RHO - z, -1.0, -x], [y, x, -BETA]])
    return J @ np.array([fx, fy, fz])


def rk4(state, dt):
    k1 = np.array(lorenz(*state))
    k2 = np.array(lorenz(*(state + dt / 2 * k1)))
    k3 = np.array(lorenz(*(state + dt / 2 * k2)))
    k4 = np.array(lorenz(*(state + dt * k3)))
    return state + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def trajectory(start, steps, dt):
    states = [np.array(start)]
    for _ in range(steps):
        states.append(rk4(states[-1], dt))
    return np.array(states)


def plot(times, norms, path):
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed, so no plot was drawn")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for k in range(norms.shape[1]):
        ax.plot(times, np.log10(norms[:, k]), label=f"K = {k + 1}")
    ax.set_xlabel("t")
    ax.set_ylabel("log10 |d^K x / dt^K|")
    ax.set_title("Time derivatives of a Lorenz trajectory, by s2sad.jet")
    ax.legend(ncol=4, fontsize=8)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"plot written to {path}")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "ode_taylor.png"
    print("The generated jet of the vector field, order 2:\n")
    print(s2sad.source(lorenz, mode="jet", order=2))

    point = (1.0, 2.0, 20.0)
    jet_second = np.array(time_derivatives(point, 2)[1])
    print(f"x'' at {point}: jet {jet_second}  by hand {second_derivative_by_hand(*point)}")
    h = 1e-4  # x''' as the central difference of the closed-form x'' along the flow
    ahead, behind = rk4(np.array(point), h), rk4(np.array(point), -h)
    by_differences = (second_derivative_by_hand(*ahead) - second_derivative_by_hand(*behind)) / (2 * h)
    print(f"x''' at {point}: jet {np.array(time_derivatives(point, 3)[2])}  differences {by_differences}")

    dt, steps = 0.01, 150
    states = trajectory(point, steps, dt)
    start = time.perf_counter()
    norms = np.array([[np.linalg.norm(d) for d in time_derivatives(tuple(s), ORDER)] for s in states])
    elapsed = time.perf_counter() - start
    print(f"{len(states)} points, derivatives 1..{ORDER} at each, in {elapsed:.2f} s")
    for k in range(ORDER):
        penalty = np.sum(norms[:-1, k] ** 2) * dt  # R_K by the rectangle rule
        print(f"K = {k + 1}: R_K = {penalty:.6e}   max |x^(K)| = {norms[:, k].max():.6e}")
    plot(np.arange(len(states)) * dt, norms, out)


if __name__ == "__main__":
    main()
