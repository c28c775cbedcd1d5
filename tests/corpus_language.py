"""The language corpus (issue 13): generator expressions, comprehensions with conditions, sets of
constants, loop `else`, `:=`, `assert`, value-neutral `with`, `import` inside the function,
and `s2sad.grad` taken inside the function (JAX's habit; s2sad/inner.py).

Inputs follow tests/conftest.py (x, y floats in [0.3, 0.9], a, b vectors of 3 in [-1, 1], p in
[0.5, 2], vs a list of three vectors). This module imports neither `math` nor `warnings` nor
`contextlib`: the functions that use them import them themselves.
"""

import numpy as np

import s2sad


# -- generator expressions and comprehensions ------------------------------------------------


def genexp_weighted_sum(a, b):
    parts = [a, b]
    return sum(np.sum(p ** 2) * (i + 1) for i, p in enumerate(parts))


def genexp_max(a):
    return max(a[i] ** 2 + 0.1 * i for i in range(3))


def genexp_min(a, x):
    return min(np.sin(a[i]) * x for i in range(3)) + min(a) * x


def max_of_a_list(xs):
    return max([v * v for v in xs]) - min(xs)


def genexp_with_if(x):
    return sum(x ** k for k in range(6) if k % 2 == 1)


def genexp_nested(a):
    return sum(sum(a[i] * a[j] for j in range(3) if j != i) for i in range(3))


def genexp_two_loops(a, b):
    return sum(a[i] * b[j] for i in range(3) for j in range(i, 3))


def genexp_into_tuple(x, y):
    t = tuple(x * i + y for i in range(3))
    return t[0] * t[2] + t[1]


def genexp_any_all(a, x):
    s = x * np.sum(a * a)
    if any(a[i] > 2.0 for i in range(3)):  # never: the loop stops asking once one is true
        s = s * 2.0
    if all(np.abs(a[i]) < 1.0 for i in range(3) if i != 1):
        s = s + x * np.sum(a)
    return s


def genexp_over_vectors(vs, x):
    return sum(np.dot(v, v) * x ** k for k, v in enumerate(vs))


def listcomp_with_if(x, a):
    kept = [a[i] * x for i in range(3) if i != 1]
    return kept[0] * kept[1]


def dictcomp_with_if(x):
    d = {k: x ** k for k in range(5) if k != 2}
    return d[1] * d[3] + d[4]


def set_of_constants(x):
    s = 0.0
    for k in range(4):
        if k in {0, 2}:
            s = s + x * k
        else:
            s = s - x * x
    return s


# -- loop else ---------------------------------------------------------------------------------


def for_else_no_break(a):
    s = 0.0
    for i in range(3):
        if a[i] > 5.0:
            break
        s = s + a[i] ** 2
    else:
        s = s * 3.0  # runs: no item is above 5
    return s


def for_else_breaks(a, x):
    s = x
    for i in range(3):
        s = s + a[i] ** 2
        if i == 1:
            break
    else:
        s = s * 3.0  # never runs
    return s * x


def for_else_over_a_list(vs, x):
    total = 0.0
    for v in vs:
        total = total + np.sum(v) * x
        if total > 100.0:
            break
    else:
        total = total * x
    return total


def while_else(x):
    y = x
    n = 0
    while y < 10.0:
        y = y * 1.5
        n = n + 1
        if n > 100:
            break
    else:
        y = y * x
    return y


# -- := ----------------------------------------------------------------------------------------


def walrus_while(x):
    r = x
    s = 0.0
    while (r := r * 0.5) > 0.01:
        s = s + r * r
    return s


def walrus_if(x):
    if (y := x * x) > 1.0:
        return y * x
    return y + np.sin(x)


def walrus_while_continue(x):
    r = x
    s = 0.0
    k = 0
    while (r := r * 0.7) > 0.05:
        k = k + 1
        if k % 2 == 0:
            continue
        s = s + np.sin(r)
    return s


def walrus_while_else(x):
    r = x
    while (r := r * 0.5) > 0.01:
        if r < 0.013:
            break
    else:
        r = r * 2.0  # runs for x in [0.3, 0.9]: r steps over (0.01, 0.013)
    return r * x


def walrus_in_comprehension(a):
    ys = [y * 2.0 for i in range(3) if (y := a[i] ** 2) > 0.01]
    return sum(ys) + y


# -- assert, with, import ----------------------------------------------------------------------


def with_assert(a):
    s = 0.0
    for i in range(3):
        assert np.isfinite(a[i]), f"item {i} is {a[i]}"
        s = s + a[i] ** 3
    assert s == s
    return s


def with_errstate(a):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(a * a + 1.0)
    return np.sum(y * a)


def with_catch_warnings(x):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = np.sqrt(x) * x
    return y


def with_nullcontext(x):
    import contextlib

    with contextlib.nullcontext(x * 2.0) as t:
        y = t * x
    return y


def with_early_return(x):
    with np.errstate(all="ignore"), np.printoptions(precision=3):
        if x > 0.5:
            return x * x
        y = x * 3.0
    return y


def import_inside(x):
    import math
    import numpy.linalg as la
    from numpy import sin as sine

    return math.exp(x) * sine(x) + la.norm(np.array([x, 2.0 * x]))


def import_in_a_loop(x):
    s = 0.0
    for k in range(3):
        from math import cos
        s = s + cos(k * x)
    return s


def import_read_by_a_nested_def(x):
    import math

    def h(t):
        return math.sin(t) * t

    scaled = lambda t: math.exp(-t) * t  # noqa: E731
    return h(x) + scaled(x) * math.cos(x)


def any_stops_reading(a, x):
    n = 0
    if any(a[i] * 0.0 + i > 0.5 for i in range(5) if a[i] * 0.0 + 1.0 > 0.0):  # a[3] would raise: never read
        n = n + 1
    if all(a[j] * 0.0 + j < 1.5 for i in range(3) for j in range(i, 3 + 5 * i)):  # false at j = 2; a[5] never read
        n = n + 2
    return x * n + np.sum(a) * x


# -- functions as values, *args and **kwargs in helpers -------------------------------------------


def _total(*terms, **options):
    s = 0.0
    for t in terms:
        s = s + np.sum(t)
    return s * options["scale"]


def star_args_helper(a, x):
    return _total(a ** 2, np.sin(a) * x, scale=1.5) + _total(x * x, scale=2.0)


def _reduced(v, reduce=np.sum):
    return reduce(v ** 2)


def function_valued_default(a):
    return _reduced(a) + _reduced(a, reduce=np.max)


def _apply(fn, v):
    return fn(v)


def _cubes(v):
    return np.sum(v ** 3)


def function_passed_by_name(a, x):
    return _apply(_cubes, a) * x + np.sum(_apply(np.tanh, a))


def lambda_passed_with_a_closure(a, x):
    return np.sum(_apply(lambda v: v * x + v ** 2, a))


def reduce_with_a_lambda(x, y):
    import functools
    return functools.reduce(lambda u, w: u * w + u, [x, y, x * y])


def nested_functions_calling_each_other(a, x):
    def inner(v):
        return np.sin(v) * x

    def outer(v):
        return inner(v) * v
    return np.sum(outer(a)) + np.sum(_apply(outer, a))


# -- a gradient taken inside the function differentiated --------------------------------------------


def grad_inside_of_a_lambda(x, y):
    return x * s2sad.grad(lambda t: x * t * t + y * t)(0.5)  # x (x + y)


def grad_inside_of_a_nested_def(a, x):
    def energy(v):
        return np.sum(np.sin(v * x))
    return np.sum(s2sad.grad(energy)(a) * a)


def grad_of_grad_inside(x, y):
    return s2sad.grad(s2sad.grad(lambda t: np.sin(x * t) * y))(0.3) * x


def value_and_grad_inside(a, x):
    value, slope = s2sad.value_and_grad(_cubes)(a * x)
    return value * np.sum(slope)


def grad_bound_to_a_name(a, y):
    slope = s2sad.grad(lambda v: np.sum(np.tanh(v) * y))
    return np.sum(slope(a) ** 2)
