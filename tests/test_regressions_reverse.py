"""Reverse mode's record and restore, by example: each program below once gave a wrong number, a
crash or a needless refusal. Every derivative is checked against finite differences in forward
mode, and reverse mode against forward mode (the dot-product test), by `check_derivatives`.
"""

import numpy as np
import pytest

import s2sad
from s2sad.testing import check_derivatives, numerical_jvp

# -- exits inside loops: what the trip that leaves early pushed, the adjoint pops ------------------


def breaks_out_of_an_and_test(x):
    s = x
    t = x * 0.5
    i = 0
    while i < 4 and t < 0.5:   # the test is computed again only when the loop goes on
        i = i + 1
        if s < 0.5:
            s = t + 0.5
            break
        s = s * 1.5
    return s + t


def returns_from_nested_loops(x):
    s = x
    a = np.ones(3) * x
    for i in range(3):
        k = 0
        while k < 2:
            k = k + 1
            a[2 - k] *= np.cos(x) * s
            if a[0] > 5.0:
                return s * a[1]
        for k in range(2):            # k read after this loop by nothing but the loops over k
            u = a[1] * x
            a[k] += u * u * 0.1
        s = np.sin(s) + u
    return s + np.sum(a * a)


def continues_and_overwrites(x):
    s = x
    t = 1.0
    for i in range(6):
        s = s * 1.2 + np.sin(t)
        if s > 1.0 + i:
            t = s * x
            continue
        t = t * s
    return s * t


def overwrites_the_loop_variable_it_reads(x):
    a = np.ones(3) * x
    k = 0
    while k < 1:
        k = k + 1
        a[2 - k] *= x
    for k in range(3):    # leaves k == 2; the adjoint of the while loop reads k == 1
        a[0] = a[0] + 0.1 * x
    return np.sum(a * a)


# -- one line assigning several things: nothing recomputed before everything is restored -------


def swaps_in_a_loop(x):
    s = x
    t = 2.0 * x
    for i in range(3):
        s, t = np.sin(t) * x, np.sin(s * t)
    return s + t


def swaps_items_in_a_loop(x):
    a = np.array([1.0, 2.0, 3.0]) * x
    for i in range(3):
        a[i % 3], a[(i + 1) % 3] = a[(i + 1) % 3] * x, np.sin(a[i % 3])
    return np.sum(a * a)


def writes_two_arrays_in_one_line(x):
    a = np.array([1.0, 2.0, 3.0]) * x
    b = np.zeros(3)
    for i in range(3):
        a[i] = b[i] = a[i] * x
    return np.sum(a * b)


# -- computed indices: the restore uses the index of the write --------------------------------


def scales_from_the_end(x):
    t = np.ones(4) * x
    for i in range(4):
        t[3 - i] *= x
        t[i] = t[i] + np.sin(t[3 - i])
    return np.sum(t * t)


def writes_at_an_index_the_adjoint_does_not_read(x):
    a = np.array([1.0, 2.0, 3.0])
    y = x
    for i in range(3):
        j = (i + 1) % 3          # only the restore of a[j] reads j
        y = y * a[1] + np.sin(y)
        a[j] = 0.5 * i + 0.2
    return y


# -- arrays written into slices of themselves ---------------------------------------------------


def copies_itself_into_a_slice(x):
    z = x * np.arange(1.0, 5.0)
    z[:] = z
    return np.sum(z * z)


def shifts_overlapping_slices(x):
    z = x * np.arange(1.0, 5.0)
    for i in range(2):
        z[1:] = z[:-1] * x
        z[:] = z
        z[::2] = z[1::2]
    return np.sum(z * np.arange(4.0))


# -- what a name holds, not its name, decides whether a write is allowed -----------------------


def writes_into_a_copy_and_the_original(x):
    a = x * np.ones(3)
    b = a.copy()
    b[1] = x * x
    a[2] = np.sin(x)
    return np.sum(a * b)


def rebinds_before_writing(x):
    a = x * np.ones(3)
    c = a                 # c keeps the first array
    a = np.zeros(3)       # a holds a new one: writing into it leaves c alone
    a[1] = x * x
    return np.sum(a) + np.sum(c)


def writes_into_an_alias_read_only_before(x):
    a = np.ones(3) * x
    s = 0.0
    for i in range(3):
        b = a                        # the adjoint reads b, which is a's memory: a's writes are restored
        s = s + np.sum(b * b)
        a[i] = s * x
    return s


# -- plain aliases `b = a` of a local array: both names are one array (aliases.py) ------------------


def reads_an_alias_after_the_write(x):
    a = np.ones(3) * x
    b = a
    b[0] = x * x
    return np.sum(a)


def writes_through_both_names_in_a_loop(x):
    a = np.ones(3) * x
    b = a
    for i in range(3):
        b[i] = b[i] * x + 1.0
        a[2 - i] = np.sin(a[i]) * b[0]
    return np.sum(a * b)


def aliases_a_fresh_array_each_trip(x):
    s = 0.0
    for i in range(3):
        a = np.ones(3) * (x + i)
        b = a                           # bound again from a, before any read, every trip
        b[i] = x * x
        a[0] = a[0] * b[1]
        s = s + np.sum(b) * np.sum(a)
    return s


def chains_aliases_of_an_array_argument_copy(x):
    a = x.copy()
    b = a
    c = b
    c[1] = np.sin(a[0]) * b[2]
    for i in range(2):
        a[i] = a[i] * c[i + 1]
        b[2] += a[i]
    return c * a


def rebinds_the_original_while_the_alias_is_read(x):
    """b = a must stay (a is bound again while b is still read): a's reads before that read b."""
    a = np.ones(4) * x
    b = a
    for i in range(4):
        b[3 - i] = b[3 - i] * x + i
    a = a * 0.5 + b
    return np.sum(a * b)


def rebinds_the_alias_after_writing_through_it(x):
    a = np.ones(3) * x
    b = a
    b[0] -= x * x
    b = b * 2.0 + a           # b holds a new array from here on: a's writes leave it alone
    a = a
    d = b
    for i in range(2):
        c = a
        d[i] = d[i] * c[2]
        c[i + 1] = c[i] * b[i]
        c = np.cos(c)
        b[i] = c[2] * x
    e = np.sum(d * d)
    b = b[1:] * 1.0           # b bound again after d's last read: d is b up to here
    return np.sum(a[1:] * b) + e


def appends_fresh_rows(x):
    rows = []
    for i in range(3):
        r = np.zeros(2)              # a new array each trip: writing it leaves earlier rows alone
        r[0] = x * i
        r[1] = np.sin(x)
        rows.append(r)
    return np.sum(rows[0] * rows[2]) + np.sum(rows[1])


# -- crashes that were -------------------------------------------------------------------------


def a_list_made_in_the_loop(x):
    s = x
    for i in range(3):
        pair = []
        pair.append(s)
        pair.append(s * s)
        s = pair[0] + 0.1 * pair[1]
    return s


def scale(v):
    return 2.0 * v


def rebinds_a_constant_call(x):
    c = scale(3.0)       # a constant here; c is active only where it is bound again
    for i in range(2):
        c = scale(c) * x
    return c


def or_in_a_while_test(x):
    s = x
    k = 0
    while (s > 1.0 and k < 50) or k < 2:
        s = s * 0.9 + 0.01 * s * s
        k = k + 1
    return s


def conditional_expression_before_a_while(x):
    y = x * 2 if x > 0.5 else x * 3
    k = 0
    while k < 3 and y < 100.0:
        y = y * 1.1 + x * y
        k = k + 1
    return y


def forces(p):
    a = np.zeros(len(p))
    for i in range(len(p)):
        a[i] = -p[i] * np.sum(p ** 2)
    return a


def copies_then_shifts_the_original(x):
    w = np.outer(np.ones(3), x)
    z = w * 1.0                  # a new array: its tangent must not be w's, which the shift changes
    w[1:] = w[:-1] * 0.9
    return np.sum(z) + np.sum(w * w)


def integrates_particles(p):
    v = np.zeros_like(p)
    for step in range(3):
        v = v + 0.1 * forces(p)
        p = p + 0.1 * v
    return np.sum(p * p)


def writes_from_the_end_then_reads_the_last_index(x):
    # fuzz seed 2013544 (there the outer loop grew a to 1e13 and finite differences, not s2sad, failed):
    # a[3 - i] written in a loop, a rebound by a loop reading a[j], then a[i] read after its loop
    a = np.zeros(4)
    a[3] = x
    for i in range(4):
        a[3 - i] += np.cos(x)
    for j in range(3):
        a = a - np.outer((0.5 * a)[:2], ((np.ones(4) * 0.5 * a[j]) ** 3)[2:]).reshape(4)
    a = a - a[i]
    return np.sum(a * a)


RIGHT = [
    (breaks_out_of_an_and_test, [0.3]),
    (breaks_out_of_an_and_test, [0.45]),
    (returns_from_nested_loops, [0.3]),
    (returns_from_nested_loops, [0.9]),
    (continues_and_overwrites, [0.4]),
    (overwrites_the_loop_variable_it_reads, [0.3]),
    (swaps_in_a_loop, [0.7]),
    (swaps_items_in_a_loop, [0.7]),
    (writes_two_arrays_in_one_line, [0.7]),
    (scales_from_the_end, [0.7]),
    (writes_at_an_index_the_adjoint_does_not_read, [0.7]),
    (copies_itself_into_a_slice, [0.9]),
    (shifts_overlapping_slices, [0.8]),
    (writes_into_a_copy_and_the_original, [0.7]),
    (rebinds_before_writing, [0.7]),
    (writes_into_an_alias_read_only_before, [0.7]),
    (reads_an_alias_after_the_write, [0.7]),
    (writes_through_both_names_in_a_loop, [0.7]),
    (aliases_a_fresh_array_each_trip, [0.7]),
    (chains_aliases_of_an_array_argument_copy, [np.array([0.3, -0.4, 0.6])]),
    (rebinds_the_alias_after_writing_through_it, [0.7]),
    (rebinds_the_original_while_the_alias_is_read, [0.7]),
    (appends_fresh_rows, [0.7]),
    (a_list_made_in_the_loop, [0.6]),
    (rebinds_a_constant_call, [0.6]),
    (or_in_a_while_test, [3.0]),
    (conditional_expression_before_a_while, [0.7]),
    (conditional_expression_before_a_while, [0.3]),
    (integrates_particles, [np.array([0.3, 0.5, -0.2])]),
    (copies_then_shifts_the_original, [np.array([0.3, -0.4, 0.6])]),
    (writes_from_the_end_then_reads_the_last_index, [0.7]),
]


@pytest.mark.parametrize("func, args", RIGHT, ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(RIGHT)])
def test_both_modes_match_finite_differences(func, args):
    check_derivatives(func, list(args))
    if np.ndim(args[0]) == 0:  # and the gradient itself, not only its projection
        want = numerical_jvp(func, args, 0, 1.0)
        np.testing.assert_allclose(s2sad.grad(func)(*args), want, rtol=1e-5, atol=1e-6)


def test_the_gradient_of_a_reversed_write_is_the_textbook_one():
    # t = x * ones(4); t[3], t[2], t[1], t[0] each times x: sum(t*t) = 4 x^4, d/dx = 16 x^3
    def f(x):
        t = np.ones(4) * x
        for i in range(4):
            t[3 - i] *= x
        return np.sum(t * t)
    assert s2sad.grad(f)(0.5) == pytest.approx(16 * 0.5 ** 3)


def test_a_slice_written_with_itself_keeps_its_gradient():
    def f(x):
        z = x * np.arange(1.0, 5.0)
        z[:] = z
        return np.sum(z * z)
    assert s2sad.grad(f)(0.9) == pytest.approx(2 * 0.9 * 30.0)


@pytest.mark.parametrize("func, x", [(or_in_a_while_test, 3.0), (conditional_expression_before_a_while, 0.7),
                                     (breaks_out_of_an_and_test, 0.3), (swaps_in_a_loop, 0.7)])
def test_higher_order_transforms_of_loops_with_exits(func, x):
    g = s2sad.grad(func)
    second = (g(x + 1e-5) - g(x - 1e-5)) / 2e-5
    assert s2sad.hessian(func)(x) == pytest.approx(second, rel=1e-4, abs=1e-6)
    assert s2sad.hvp(func, (x,), (1.0,)) == pytest.approx(second, rel=1e-4, abs=1e-6)
    assert s2sad.jacobian(func)(x) == pytest.approx(g(x))


# -- second order: the generated VJP's own writes (restores into arrays popped off its tape) ----------


def restores_an_array_a_loop_rebinds(x):
    a = np.zeros(3)
    a[1] *= 1
    for i in range(3):
        a = x * x + 1.0
    return a[2]


def restores_before_a_loop_that_scales(x):
    a = np.zeros(3)
    a[2] += x[1] * x[0]
    for i in range(2):
        a = a * x
    return np.sum(a * a)


def restores_after_reversed_loops(x):
    a = x * 1.0
    for i in reversed(range(3)):
        a[i] = a[i] * a[(i + 1) % 3]
    b = a
    b[0] = np.sin(b[0])
    return np.sum(a * x)


@pytest.mark.parametrize("func, x", [(restores_an_array_a_loop_rebinds, np.array([0.3, -0.4, 0.6])),
                                     (restores_before_a_loop_that_scales, np.array([0.3, -0.4, 0.6])),
                                     (restores_after_reversed_loops, np.array([0.3, -0.4, 0.6])),
                                     (writes_through_both_names_in_a_loop, 0.7),
                                     (rebinds_the_alias_after_writing_through_it, 0.7)])
def test_hessians_of_programs_whose_vjp_restores_arrays(func, x):
    check_derivatives(func, [x])
    g, eps = s2sad.grad(func), 1e-5
    directions = np.eye(np.size(x)).reshape((np.size(x),) + np.shape(x))
    want = np.array([(g(x + eps * e) - g(x - eps * e)) / (2 * eps) for e in directions]).reshape(np.shape(x) * 2)
    np.testing.assert_allclose(s2sad.hessian(func)(x), want, rtol=1e-4, atol=1e-6)


# -- real aliasing is refused, at the user's line -----------------------------------------------


def reads_a_list_holding_a_written_array(x):
    a = np.ones(3) * x
    pair = [a, a * 2]
    a[1] = np.sin(x)
    return np.sum(pair[0] * pair[1])


def aliases_in_one_branch(x):
    a = np.ones(3) * x
    b = a * 2.0
    if x > 0:
        b = a                     # b is a's array on one path only: not renamed away
    b[0] = x * x
    return np.sum(a) + np.sum(b)


def keeps_a_chained_view(x):
    a = np.ones((2, 2)) * x
    row = a[0]
    kept = row            # renamed away (aliases.py): the check is where row is taken
    a[0, 0] = x * x
    return np.sum(kept) + np.sum(a)


@pytest.mark.parametrize("func, text", [(reads_a_list_holding_a_written_array, "pair also holds"),
                                        (aliases_in_one_branch, "a also holds"),
                                        (keeps_a_chained_view, "row holds a view of a")])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_aliasing_writes_are_refused(func, text, mode):
    with pytest.raises(s2sad.S2SADError, match=text) as info:
        if mode == "reverse":
            s2sad.grad(func)(0.7)
        else:
            s2sad.jvp(func, (0.7,), (1.0,))
    assert "test_regressions_reverse.py" in str(info.value)


# -- an adjoint updated in place never shares its array with another adjoint ----------------------


def reads_an_item_and_the_whole_array(x, y):
    s = y[3] + np.sum(np.sin(y + x))
    for _ in y:     # y named in the loop starts y_bar at 0.0: `y_bar = 0.0 + unbroadcast(g, y)` before y[3] adds
        held = y    # noqa: F841 (unused, but what makes the adjoint start at 0.0)
    return s


def test_folding_a_zero_start_keeps_the_adjoint_its_own():
    """Folding `y_bar = 0.0 + unbroadcast(g, y)` to `unbroadcast(g, y)` left y_bar holding g itself,
    which x_bar also held: scatter_add of y[3]'s cotangent into y_bar then added 1 to x_bar[3]. The
    general derivative (grad runs one specialized to its arguments) is checked here, through the driver."""
    from s2sad import driver

    x, y = np.array([0.9, 1.2, -0.7, -0.8]), np.array([-0.1, -0.4, 0.2, 0.3])
    general = driver.derivative(reads_an_item_and_the_whole_array, "reverse", ("x", "y")).function
    fd = [[numerical_jvp(reads_an_item_and_the_whole_array, (x, y), i, e) for e in np.eye(4)] for i in (0, 1)]
    x_bar, y_bar = general(x, y)
    np.testing.assert_allclose(x_bar, fd[0], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(y_bar, fd[1], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(x_bar, np.cos(x + y), rtol=1e-12)   # x[3] is not read alone: no extra 1
    check_derivatives(reads_an_item_and_the_whole_array, (x, y))
