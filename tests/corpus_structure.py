"""Containers, indexing, mutation and inactive code mixed in: the structure corpus (issue 4).

Inputs come by argument name (see conftest.py): `params` is a dict of arrays, `pair` a
tuple of two vectors, `xs` a list of floats, `vs` a list of vectors, `R` particle
positions, `coef` polynomial coefficients, `idx` an integer index array.
"""

import math

import numpy as np

# -- containers -----------------------------------------------------------------------


def tuple_build_and_index(x, y):
    t = (x * y, x + y, np.sin(x))
    return t[0] * t[2] - t[1]


def tuple_unpack(x, y):
    t = (x * x, y * x)
    p, q = t
    return p * q + p


def swap_by_unpacking(x, y):
    a, b = x, y
    for _ in range(3):
        a, b = b, a * b + 0.5
    return a + 2.0 * b


def tuple_output(x, y):
    return x * y, np.sin(x) + y


def list_output(a):
    return [np.sum(a * a), a[0] * a[1]]


def pair_input(pair):
    u, v = pair
    return np.dot(u, v) + np.sum(u * u)


def pair_input_indexed(pair, x):
    return np.sum(pair[0] * x) + pair[1][2] * pair[-1][0]


def list_of_floats(xs):
    total = 0.0
    for i in range(len(xs)):
        total = total + xs[i] * xs[i] * (i + 1)
    return total


def list_iterated(xs, x):
    s = x
    for v in xs:
        s = s * v + np.cos(v)
    return s


def list_of_vectors(vs):
    acc = np.zeros(3)
    for k, v in enumerate(vs):
        acc = acc + (k + 1.0) * v * v
    return np.sum(np.tanh(acc))


def append_in_loop(x, n):
    values = []
    v = x
    for _ in range(n):
        v = np.sin(v) + x
        values.append(v)
    return sum(values)


def append_then_stack(a):
    rows = []
    for k in range(3):
        rows.append(a * (k + 1.0))
    M = np.stack(rows)
    return np.sum(np.sin(M))


def append_then_index(x, y):
    items = [x]
    items.append(y * x)
    items.append(items[0] + items[1])
    return items[-1] * items[1]


def list_comprehension(a, x):
    parts = [a[i] * x ** i for i in range(3)]
    return parts[0] + parts[1] * parts[2]


def list_comprehension_filtered(xs):
    big = [v * v for v in xs if v > 0.5]
    return sum(big) + len(big)


def comprehension_over_array(a):
    return np.array([np.sin(v) * v for v in a])


def dict_build_and_read(x, y):
    d = {"sum": x + y, "prod": x * y}
    d["ratio"] = d["prod"] / d["sum"]
    return d["ratio"] * d["sum"]


def dict_of_floats_input(d):
    return d["a"] * d["b"] + np.exp(d["a"])


def dict_output(x, y):
    return {"s": x + y, "p": x * y}


def mlp_dict_params(params, X):
    h = np.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.sum(out * out) / X.shape[0]


def params_loop_over_keys(params):
    total = 0.0
    for name in ["W1", "W2"]:
        total = total + np.sum(params[name] ** 2)
    return total + np.sum(params["b1"]) * np.sum(params["b2"])


def len_and_nested(vs, x):
    nested = [[x, x * x], [np.sum(vs[0]), len(vs) * x]]
    return nested[1][0] * nested[0][1] + nested[1][1]


# -- indexing -------------------------------------------------------------------------


def index_scalar_elements(a):
    return a[0] * a[1] + a[-1] * a[2]


def index_matrix_elements(M):
    return M[0, 1] * M[2, 2] - M[1, 0] + M[-1, -2]


def slices_with_steps(a, M):
    return np.sum(a[::-1] * M[0, ::-1]) + np.sum(M[::2, 1:]) + np.sum(a[-2:] ** 2)


def column_and_row(M):
    return np.sum(M[:, 0] * M[1, :]) + np.sum(M[:, -1] ** 2)


def fancy_indexing(a, M):
    idx = np.array([2, 0, 2, 1])
    return np.sum(a[idx] ** 2) + np.sum(M[idx, 0]) + np.sum(M[[0, 2]][:, [1, 1]])


def boolean_mask(a, M):
    mask = a > 0.0
    return np.sum(np.exp(a[mask])) + np.sum(M[M > 0.0] ** 2)


def index_by_argmax(a):
    k = np.argmax(a)
    return a[k] * np.sum(a) + a[np.argmin(a)]


def index_array_argument(a, idx):
    return np.sum(a[idx] * a[idx])


# -- writes into arrays the function created -------------------------------------------


def fill_in_loop(x, n):
    y = np.zeros(n)
    for i in range(n):
        y[i] = np.sin(x * (i + 1))
    return np.sum(y * y)


def overwrite_same_element(x):
    y = np.zeros(3)
    for _ in range(4):
        y[1] = y[1] * x + 1.0
        y[0] = y[1] * y[0] + x
    return y[0] + y[1]


def copy_then_write(a, x):
    y = a.copy()
    y[0] = x * y[1]
    y[2] = y[0] * a[2]
    return np.sum(y ** 2)


def slice_augmented(a, x):
    y = np.zeros(6)
    y[1:4] += a * x
    y[2:5] += a
    y[::2] *= x
    return np.sum(y * y)


def augmented_everything(x, a):
    s = x
    s += 1.0
    s *= x
    s -= 0.5 * x
    s /= 1.0 + x
    v = a * 1.0
    v += s
    v *= a
    v[0] -= s
    v[1] /= 2.0 + x
    return np.sum(v) * s


def matrix_rows_written(M, x):
    out = np.zeros((3, 3))
    for i in range(3):
        out[i, :] = M[i] * x + out[i - 1]
        out[i, i] = out[i, i] ** 2
    return np.sum(out)


def write_with_mask(a, x):
    y = a * x
    y[y < 0.0] = 0.0
    return np.sum(y * a)


def cumulative_product(a):
    c = np.ones(4)
    for i in range(3):
        c[i + 1] = c[i] * a[i]
    return c


def list_written_by_index(x, y):
    vals = [x, y, x * y]
    vals[1] = vals[0] * vals[2]
    vals[0] = vals[1] + vals[0]
    return vals[0] * vals[1] + vals[2]


# -- inactive code mixed in -----------------------------------------------------------


def inactive_integer_work(a, x):
    n = len(a)
    half = int(n / 2)
    k = n // 2 + half - 1
    total = 0.0
    for i in range(k, n):
        if i % 2 == 0 and i > 0:
            total = total + a[i] * x
        else:
            total = total - a[i]
    assert n == a.shape[0], "shape"
    assert isinstance(x, float)
    return total


def floor_round_sign(x, a):
    k = np.floor(x * 10.0)
    r = np.round(a * 3.0)
    return np.sign(x - 0.5) * x * k + np.sum(r * a) + np.sign(a[0]) * a[0]


def shape_arithmetic(M, a):
    rows, cols = M.shape
    scale = 1.0 / (rows * cols)
    size = M.size + a.shape[0] - 1
    return scale * np.sum(M * M) + np.sum(a) / size


def printing_inside(x, y):
    z = x * y
    print("z is", z > 0.0)
    return z + np.sin(y)


def argmax_used_as_index(M, a):
    best = np.argmax(M[:, 0])
    row = M[best]
    return np.sum(row * a) + M[best, best] * a[best]


# -- programs -------------------------------------------------------------------------


def lennard_jones(R):
    n = R.shape[0]
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            d = R[i] - R[j]
            r2 = np.sum(d * d)
            s6 = (1.0 / r2) ** 3
            energy = energy + 4.0 * (s6 * s6 - s6)
    return energy


def lennard_jones_components(R):
    n = R.shape[0]
    energy = 0.0
    for i in range(n - 1):
        for j in range(i + 1, n):
            r2 = 0.0
            for k in range(3):
                r2 += (R[i, k] - R[j, k]) ** 2
            inv6 = 1.0 / (r2 * r2 * r2)
            energy += 4.0 * (inv6 * inv6 - inv6)
    return energy


def leapfrog(R, x):
    steps = 5
    dt = 0.1
    traj = np.zeros((steps + 1, R.shape[0], R.shape[1]))
    traj[0] = R
    v = np.zeros_like(R)
    for t in range(steps):
        force = -x * traj[t]
        v = v + 0.5 * dt * force
        traj[t + 1] = traj[t] + dt * v
        v = v + 0.5 * dt * (-x * traj[t + 1])
    return np.sum(traj[-1] ** 2) + np.sum(v)


def leapfrog_named_views(R, x):
    traj = np.zeros((4, 3))
    traj[0] = R[0]
    vel = np.zeros(3)
    for t in range(3):
        pos = traj[t]
        vel = vel - 0.1 * x * pos
        traj[t + 1] = pos + 0.1 * vel
    return np.sum(traj ** 2)


def horner(coef, x):
    acc = 0.0
    for c in coef[::-1]:
        acc = acc * x + c
    return acc


def horner_indexed(coef, x):
    n = coef.shape[0]
    acc = coef[n - 1]
    for i in range(n - 2, -1, -1):
        acc = acc * x + coef[i]
    return acc


def prefix_sums(a):
    out = np.zeros(a.shape[0] + 1)
    for i in range(a.shape[0]):
        out[i + 1] = out[i] + a[i] * a[i]
    return out[1:]


def finite_difference_stencil(a, x):
    n = a.shape[0]
    lap = np.zeros(n)
    for i in range(1, n - 1):
        lap[i] = a[i - 1] - 2.0 * a[i] + a[i + 1]
    lap[0] = x * a[0]
    return np.sum(lap * lap) + lap[n - 1]


def bubble_pass_sorted(a):
    y = a.copy()
    for i in range(len(y) - 1):
        if y[i] > y[i + 1]:
            tmp = y[i]
            y[i] = y[i + 1]
            y[i + 1] = tmp
    return y * np.arange(1.0, 4.0)


def softmax_cross_entropy(X, a):
    logits = X @ a
    m = np.max(logits)
    e = np.exp(logits - m)
    p = e / np.sum(e)
    label = int(np.argmax(X[:, 0]))
    return -math.log(p[label]) + 0.0 * np.sum(p)


# -- more containers and writes --------------------------------------------------------


def params_items_loop(params):
    total = 0.0
    for name, value in params.items():
        if name.startswith("W"):
            total = total + np.sum(np.sin(value))
    for value in params.values():
        total = total + 0.5 * np.sum(value * value)
    return total


def dict_comprehension(params, x):
    scaled = {k: v * x for k, v in params.items() if k != "b2"}
    return np.sum(scaled["W1"] ** 2) + np.sum(scaled["b1"]) * np.sum(scaled["W2"])


def reversed_iteration(xs, x):
    acc = x
    for v in reversed(xs):
        acc = acc * v + x
    return acc


def list_and_dict_builtins(xs, y):
    ys = list(xs)
    t = tuple(ys)
    d = dict(first=t[0], last=t[-1] * y)
    return d["first"] * d["last"] + ys[1]


def list_slices(xs):
    head = xs[:2]
    tail = xs[-2:]
    return head[0] * tail[1] + head[1] * tail[0] + xs[::2][1]


def writes_through_slices_and_indices(a, x):
    y = np.zeros(6)
    y[1:4] = a * x
    y[-1] = x
    y[[0, 5]] += a[:2]
    y[::2] = y[::2] * 2.0
    return y


def nested_output(a, x):
    return a * x, [x * x, {"sum": np.sum(a), "prod": a[0] * a[1]}]


def shift_register(a, x):
    y = a * x
    for _ in range(3):
        y[1:] = y[:-1]
        y[0] = x * y[1]
    return y


def shift_columns(M, x):
    y = M * 1.0
    for k in range(2):
        y[:, 1:] = y[:, :-1] * x
        y[k] += y[k - 1]
    return y
