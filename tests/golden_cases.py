"""The functions whose generated code is kept in tests/golden/ (see tests/test_golden.py).

One function per kind of code the compiler writes. The generated comments name lines of this
file, so adding a function at the end keeps the other golden files as they are.
"""

import numpy as np

import s2sad


def lecture_z(x1, x2):
    return x1 * x2 + np.sin(x1)


def array_loss(w, x, y):
    err = np.tanh(x @ w) - y
    return np.mean(err**2)


def logistic(x, n):
    v = x
    for _ in range(n):
        v = 4.0 * v * (1.0 - v)
    return v


def newton_sqrt(p, tol=1e-12):
    x = p
    while abs(x * x - p) > tol:
        x = 0.5 * (x + p / x)
    return x


def break_threshold(x):
    total = 0.0
    for i in range(10):
        total = total + x * i
        if total > 5.0:
            break
    return total


def continue_and_return(x):
    total = 0.0
    for i in range(6):
        if i % 2 == 1:
            continue
        total = total + np.sin(x * i)
        if total > 2.0:
            return total * x
    return total


def branches(x, y):
    if x > y:
        z = x * y
    elif x > 0.5:
        z = np.exp(x)
    else:
        z = y / x
    return z * z


def predict(w, x):
    return np.tanh(x @ w)


def helper_call(w, x, y):
    err = predict(w, x) - y
    return np.sum(err * err)


def nested_def(x, w):
    def scaled(z):
        return z * w

    square = lambda t: t * t  # noqa: E731 (the lambda is the point)
    return scaled(x) + square(x)


def dict_params(params, X):
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    out = hidden @ params["W2"]
    return np.sum(out**2)


def indexing_writes(x, n):
    y = np.zeros(n)
    for i in range(n):
        y[i] = x * i
    y[0] = np.cos(x)
    return np.sum(y * y)


def matrix_ops(S, a):
    K = S @ S.T + np.eye(3)
    alpha = np.linalg.solve(K, a)
    sign, logdet = np.linalg.slogdet(K)
    return a @ alpha + logdet + np.trace(np.linalg.inv(K))


def cubic(x):
    return np.sum(x**3) + x[0] * x[1]


def rnn_step(W, U, b, x, h):
    return np.tanh(np.dot(W, h) + np.dot(U, x) + b)


def rnn_dot(W, U, b, xs, h):
    for t in range(xs.shape[0]):
        h = rnn_step(W, U, b, xs[t], h)
    return np.sum(h * h)


CASES = {
    # name: (function, keyword arguments of s2sad.source); the function may be a transform's output
    "straight_line_reverse": (lecture_z, {"mode": "reverse", "wrt": ("x1", "x2")}),
    "straight_line_forward": (lecture_z, {"mode": "forward", "wrt": ("x1", "x2")}),
    "straight_line_anf": (lecture_z, {"stage": "anf"}),
    "array_expr_reverse": (array_loss, {"mode": "reverse", "wrt": "w"}),
    "array_expr_forward": (array_loss, {"mode": "forward", "wrt": ("w", "x")}),
    "array_expr_kinds": (array_loss, {"mode": "reverse", "wrt": "w", "args": (np.ones(2), np.ones((3, 2)), 0.5)}),
    "for_loop_reverse": (logistic, {"mode": "reverse"}),
    "for_loop_forward": (logistic, {"mode": "forward"}),
    "while_reverse": (newton_sqrt, {"mode": "reverse"}),
    "break_reverse": (break_threshold, {"mode": "reverse"}),
    "continue_return_reverse": (continue_and_return, {"mode": "reverse"}),
    "continue_return_anf": (continue_and_return, {"stage": "anf"}),
    "branches_reverse": (branches, {"mode": "reverse", "wrt": ("x", "y")}),
    "branches_reverse_unoptimized": (branches, {"mode": "reverse", "wrt": ("x", "y"), "optimize": False}),
    "branches_forward": (branches, {"mode": "forward", "wrt": ("x", "y")}),
    "helper_call_reverse": (helper_call, {"mode": "reverse", "wrt": "w"}),
    "helper_call_forward": (helper_call, {"mode": "forward", "wrt": "w"}),
    "nested_def_both": (nested_def, {"mode": "both", "wrt": ("x", "w")}),
    "dict_params_reverse": (dict_params, {"mode": "reverse", "wrt": "params"}),
    "indexing_writes_both": (indexing_writes, {"mode": "both"}),
    "matrix_ops_reverse": (matrix_ops, {"mode": "reverse", "wrt": ("S", "a")}),
    "matrix_ops_forward": (matrix_ops, {"mode": "forward", "wrt": "S"}),
    "hessian_forward_over_reverse": (s2sad.grad(cubic), {"mode": "forward"}),  # what hvp and hessian run
    # what grad runs for one float: forward mode, with exact products of floats written out
    "one_float_grad_forward": (newton_sqrt, {"mode": "reverse", "args": (2.0,)}),
    # np.dot adjoints of known ranks as NumPy calls, in a helper specialized to the kinds at its call
    "dot_helper_kinds": (rnn_dot, {"mode": "reverse", "wrt": ("W", "U", "b"), "args": (
        np.ones((2, 2)), np.ones((2, 3)), np.ones(2), np.ones((4, 3)), np.ones(2))}),
}
SHOWN = {"hessian_forward_over_reverse": "s2sad.grad(cubic)"}  # how the header names a function that is not plain


def render(name):
    """The text kept in tests/golden/NAME.py: a header naming the case, then s2sad.source's output."""
    func, options = CASES[name]
    shown = ", ".join(f"{k}={v!r}" for k, v in options.items() if k != "args")
    if "args" in options:
        shown += ", args=<" + ", ".join(type(a).__name__ + str(np.shape(a)) for a in options["args"]) + ">"
    header = f"# s2sad.source({SHOWN.get(name, func.__name__)}, {shown})  (tests/golden_cases.py)\n"
    return header + s2sad.source(func, **options).rstrip("\n") + "\n"
