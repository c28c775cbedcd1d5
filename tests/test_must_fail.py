"""What s2sad cannot differentiate correctly fails loudly, at the user's line, in both modes.

Each refusal is an S2SADError naming the construct, this file and the line. Next to
them, the nearby programs that are right (a write into a copy, an augmented assignment
to a float) are checked against finite differences, so the refusals stay narrow.
"""

import inspect
import os

import numpy as np
import pytest

import s2sad
from s2sad.testing import check_derivatives

HERE = os.path.basename(__file__)
TABLE = np.zeros(3)
SEEN = []


class Holder:
    def __init__(self):
        self.value = 0.0
        self.cache = np.zeros(2)


HOLDER = Holder()


def writes_into_its_input(a):
    a[0] = 2.0 * a[1]
    return np.sum(a * a)


def adds_into_its_input(a):
    a[1:] += 1.0
    return np.sum(a * a)


def writes_into_an_input_list(xs):
    xs[0] = xs[1] * xs[2]
    return xs[0] + xs[1]


def writes_into_an_input_dict(d):
    d["a"] = d["a"] * d["b"]
    return d["a"]


def scales_a_shared_array(a):
    b = a
    b *= 2.0
    return np.sum(a * a)


def writes_into_a_global(x):
    TABLE[0] = x
    return np.sum(TABLE) * x


def sets_an_outside_attribute(x):
    HOLDER.value = x
    return x * x


def writes_into_an_outside_array(x):
    HOLDER.cache[0] = x
    return x * x


def appends_to_a_global(x):
    SEEN.append(x)
    return x * x


def keeps_a_view_across_a_write(x):
    y = np.zeros((2, 2))
    row = y[0]
    y[0, 0] = x
    return np.sum(row) * x


def reads_a_view_in_the_next_trip(x):
    y = np.ones((3, 2)) * x
    s = 0.0
    row = y[0]
    for _ in range(2):
        s = s + np.sum(row)
        y[0, 1] = s * x
    return s


def sorts_in_place(a):
    y = a * 2.0
    y.sort()
    return np.sum(y * a)


def extends_a_list(x):
    xs = [x]
    xs.extend([x, x])
    return xs[0] * xs[2]


def writes_through_out(a):
    y = np.zeros(3)
    np.multiply(a, a, out=y)
    return np.sum(y)


async def coroutine(x):
    return x * x


def uses_nonlocal(x):
    z = x

    def inner():
        nonlocal z
        z = 2 * z
    inner()
    return z


def yields_from(x):
    yield from [x, x * x]


def try_finally(x):
    try:
        y = x * 2.0
    finally:
        y = x
    return y


def lineno_of(func, text):
    lines, start = inspect.getsourcelines(func)
    return start + next(i for i, line in enumerate(lines) if text in line)


REFUSED = [
    (writes_into_its_input, (np.array([0.3, 0.5, 0.7]),), "writing into", "a[0] = "),
    (adds_into_its_input, (np.array([0.3, 0.5, 0.7]),), "writing into", "a[1:] += "),
    (writes_into_an_input_list, ([0.3, 0.5, 0.7],), "writing into", "xs[0] = "),
    (writes_into_an_input_dict, ({"a": 0.3, "b": 0.5},), "writing into", 'd["a"] = '),
    (scales_a_shared_array, (np.array([0.3, 0.5, 0.7]),), "augmented assignment", "b *= 2.0"),
    (writes_into_a_global, (0.5,), "writing into", "TABLE[0] = x"),
    (sets_an_outside_attribute, (0.5,), "attribute", "HOLDER.value = x"),
    (writes_into_an_outside_array, (0.5,), "writing into", "HOLDER.cache[0] = x"),
    (appends_to_a_global, (0.5,), "appending", "SEEN.append(x)"),
    (keeps_a_view_across_a_write, (0.5,), "view", "row = y[0]"),
    (reads_a_view_in_the_next_trip, (0.5,), "view", "row = y[0]"),
    (sorts_in_place, (np.array([0.3, 0.5, 0.7]),), ".sort()", "y.sort()"),
    (extends_a_list, (0.5,), ".extend()", "xs.extend"),
    (writes_through_out, (np.array([0.3, 0.5, 0.7]),), "out=", "np.multiply(a, a, out=y)"),
    (coroutine, (0.5,), "async def", "async def coroutine"),
    (uses_nonlocal, (0.5,), "nonlocal", "nonlocal z"),
    (yields_from, (0.5,), "yield from", "yield from"),
    (try_finally, (0.5,), "try", "try:"),
]


@pytest.mark.parametrize("func, args, construct, text", REFUSED, ids=[r[0].__name__ for r in REFUSED])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_refused_at_the_users_line(func, args, construct, text, mode):
    with pytest.raises(s2sad.S2SADError) as info:
        if mode == "reverse":
            s2sad.grad(func)(*args)
        else:
            s2sad.jvp(func, args, [s2sad.testing._random_like(a, np.random.default_rng(0)) for a in args])
    message = str(info.value)
    assert construct in message
    assert f"{HERE}:{lineno_of(func, text)}" in message


# -- the nearby programs that are right ----------------------------------------------------


def writes_into_a_copy(a):
    y = a.copy()
    y[0] = 2.0 * y[1]
    return np.sum(y * a)


def scales_a_float_alias(x):
    s = x
    s *= 2.0
    s += x
    return s * x


def scales_its_own_array(a):
    a *= 2.0       # rebinding gives the same value: nothing else holds a here
    return np.sum(a * a)


def reads_a_view_then_writes(x):
    y = np.ones((2, 2)) * x
    row = y[0].copy()
    y[0, 0] = x * x
    return np.sum(row) * y[0, 0] + y[1, 1]


def swaps_elements_through_a_name(a):
    y = a * 1.0
    tmp = y[0]
    y[0] = y[2]
    y[2] = tmp
    return y * np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize("func, args", [
    (writes_into_a_copy, (np.array([0.3, 0.5, 0.7]),)),
    (scales_a_float_alias, (0.4,)),
    (scales_its_own_array, (np.array([0.3, 0.5, 0.7]),)),
    (reads_a_view_then_writes, (0.6,)),
    (swaps_elements_through_a_name, (np.array([0.3, 0.5, 0.7]),)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_nearby_programs_are_right(func, args):
    check_derivatives(func, list(args))
