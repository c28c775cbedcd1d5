"""The validation loss of ridge regression, differentiated with respect to the regularization
strength through scipy.optimize.minimize (a bilevel problem).

    w*(lam) = argmin_w  |X w - y|^2 / 2 + lam |w|^2 / 2         (the inner problem: SciPy solves it)
    L(lam)  = mean((X_valid w*(lam) - y_valid)^2)               (the outer one: what we tune)

s2sad never reads SciPy's code. `@s2sad.implicit(residual)` says what the solver's answer
satisfies, the gradient of the inner objective being zero (a residual s2sad generates with
s2sad.grad), and dL/dlam follows from the implicit function theorem. The example compares it with
the closed form and draws L and dL/dlam against lam (matplotlib; skipped when not installed;
the drawing helpers are plot_derivatives.py's).

    python examples/bilevel.py [OUTPUT_DIR]      (default: ./s2sad_plots)
"""

import numpy as np
import scipy.optimize
from plot_derivatives import output_directory, pyplot, save  # the plotting both examples share

import s2sad

rng = np.random.default_rng(1)
FEATURES = 8
X_TRAIN = rng.normal(size=(12, FEATURES))
TRUE_W = rng.normal(size=FEATURES)
Y_TRAIN = X_TRAIN @ TRUE_W + 2.0 * rng.normal(size=12)
X_VALID = rng.normal(size=(40, FEATURES))
Y_VALID = X_VALID @ TRUE_W + 2.0 * rng.normal(size=40)


def inner_objective(w, lam):
    return 0.5 * np.sum((X_TRAIN @ w - Y_TRAIN) ** 2) + 0.5 * lam * np.sum(w ** 2)


inner_gradient = s2sad.grad(inner_objective)     # zero at the inner problem's answer: the residual


@s2sad.implicit(inner_gradient)
def fit(lam):
    """Ridge weights by BFGS: s2sad treats this as a black box."""
    result = scipy.optimize.minimize(inner_objective, np.zeros(FEATURES), args=(lam,), jac=inner_gradient,
                                     method="BFGS", options={"gtol": 1e-11})
    return result.x


def validation_loss(lam):
    w = fit(lam)
    return np.mean((X_VALID @ w - Y_VALID) ** 2)


def closed_form_gradient(lam):
    """dL/dlam by hand: dw/dlam = -(X^T X + lam I)^-1 w."""
    H = X_TRAIN.T @ X_TRAIN + lam * np.eye(FEATURES)
    w = np.linalg.solve(H, X_TRAIN.T @ Y_TRAIN)
    dw = -np.linalg.solve(H, w)
    return np.vdot(2 * X_VALID.T @ (X_VALID @ w - Y_VALID) / len(Y_VALID), dw)


def plot(plt, lams, losses, grads, directory):
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
    top.plot(lams, losses)
    top.set_ylabel("validation loss L")
    bottom.plot(lams, grads, label="s2sad (implicit)")
    bottom.axhline(0.0, color="k", lw=0.5)
    bottom.set_ylabel("dL/dlam")
    bottom.set_xlabel("regularization strength lam")
    bottom.set_xscale("log")
    top.set_title("ridge regression tuned through scipy.optimize.minimize")
    return save(plt, fig, directory / "bilevel.png")


if __name__ == "__main__":
    gradient = s2sad.grad(validation_loss)
    lam = 2.0
    print(f"at lam = {lam}: dL/dlam = {gradient(lam):.10f}, closed form {closed_form_gradient(lam):.10f}")
    lams = np.geomspace(0.05, 200.0, 30)
    losses = np.array([validation_loss(v) for v in lams])
    grads = np.array([gradient(v) for v in lams])
    worst = max(abs(g - closed_form_gradient(v)) for v, g in zip(lams, grads))
    print(f"max |s2sad - closed form| over {lams.size} strengths: {worst:.1e}")
    best = lams[np.argmin(losses)]
    print(f"best strength on the grid: {best:.3g} (validation loss {losses.min():.4f})")
    plt = pyplot()
    if plt is not None:
        print(f"wrote {plot(plt, lams, losses, grads, output_directory())}")
