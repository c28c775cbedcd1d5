"""`for i in s2sad.reversible(range(n)):`: the adjoint sweep inverts the body instead of reading a tape.

Every gradient is checked against central finite differences, and against the same loop taped
(they agree to rounding). `reversing.LAST` tells whether the inversion held or the check at the
end sent the gradient to the checkpointed fallback.
"""

import gc
import tracemalloc

import numpy as np
import pytest

import s2sad
from s2sad import reversing


def leapfrog(q, p, h, n):
    for i in s2sad.reversible(range(n)):
        p = p - h * np.sin(q)
        q = q + h * p
    return np.sum(q * q) + np.sum(p)


def leapfrog_taped(q, p, h, n):
    for i in range(n):
        p = p - h * np.sin(q)
        q = q + h * p
    return np.sum(q * q) + np.sum(p)


def momentum(w, lr, decay, n):
    v = np.zeros_like(w)
    for i in s2sad.reversible(range(n)):
        g = w - np.cos(w)
        v = decay * v - lr * g
        w = w + v
    return np.sum(w * w)


def momentum_taped(w, lr, decay, n):
    v = np.zeros_like(w)
    for i in range(n):
        g = w - np.cos(w)
        v = decay * v - lr * g
        w = w + v
    return np.sum(w * w)


def swapping(x, y, a, n):
    for i in s2sad.reversible(range(n)):
        x = x + a * np.sin(y)
        x, y = y, x
    return x * y


def augmented(x, a, n):
    for i in s2sad.reversible(range(n)):
        x += a * i
        x *= 1.5
        x -= 0.25
    return x * x


def fd(f, args, k, h=1e-6):
    up, down = list(args), list(args)
    if isinstance(args[k], np.ndarray):
        out = np.zeros_like(args[k])
        for j in range(args[k].size):
            up, down = list(args), list(args)
            up[k], down[k] = args[k].copy(), args[k].copy()
            up[k][j] += h
            down[k][j] -= h
            out[j] = (f(*up) - f(*down)) / (2 * h)
        return out
    up[k] += h
    down[k] -= h
    return (f(*up) - f(*down)) / (2 * h)


Q, P = np.linspace(-1.0, 1.0, 6), np.linspace(0.5, 1.0, 6)


def test_leapfrog_gradient_by_inversion_matches_finite_differences_and_the_tape():
    args = (Q, P, 0.01, 300)
    got = s2sad.grad(leapfrog, wrt=(0, 1, 2))(*args)
    assert reversing.LAST["fallback"] is False and reversing.LAST["error"] < 1e-12
    taped = s2sad.grad(leapfrog_taped, wrt=(0, 1, 2))(*args)
    for k in range(3):
        np.testing.assert_allclose(got[k], taped[k], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got[k], fd(leapfrog, args, k), rtol=1e-6, atol=1e-7)


def test_a_plain_call_runs_the_loop_unchanged():
    assert leapfrog(Q, P, 0.01, 50) == leapfrog_taped(Q, P, 0.01, 50)
    assert momentum(Q, 0.1, 0.9, 30) == momentum_taped(Q, 0.1, 0.9, 30)


def test_momentum_hypergradient_with_a_mild_decay_is_inverted():
    args = (Q, 0.05, 0.99, 100)
    lr_bar, decay_bar = s2sad.grad(momentum, wrt=(1, 2))(*args)
    assert reversing.LAST["fallback"] is False
    assert lr_bar == pytest.approx(fd(momentum, args, 1), rel=1e-6)
    assert decay_bar == pytest.approx(fd(momentum, args, 2), rel=1e-6)
    taped = s2sad.grad(momentum_taped, wrt=(1, 2))(*args)
    assert (lr_bar, decay_bar) == pytest.approx(taped, rel=1e-12)


def test_a_decay_that_amplifies_rounding_falls_back_to_checkpoints_and_stays_right():
    """decay 0.5: each inverted turn doubles the rounding error; after 200 turns the reconstructed
    initial state is wrong, the check sees it and the gradient is computed again with checkpoints."""
    args = (Q, 0.1, 0.5, 200)
    got = s2sad.grad(momentum, wrt=(0, 1, 2))(*args)
    assert reversing.LAST["fallback"] is True and not reversing.LAST["error"] <= reversing.RTOL
    taped = s2sad.grad(momentum_taped, wrt=(0, 1, 2))(*args)
    np.testing.assert_allclose(got[0], taped[0], rtol=1e-12)
    assert got[1:] == pytest.approx(taped[1:], rel=1e-12)
    assert got[1] == pytest.approx(fd(momentum, args, 1), rel=1e-6)


def test_swaps_and_augmented_assignments_are_inverted():
    args = (0.3, 0.7, 0.2, 9)
    got = s2sad.grad(swapping, wrt=(0, 1, 2))(*args)
    assert reversing.LAST["fallback"] is False
    for k in range(3):
        assert got[k] == pytest.approx(fd(swapping, args, k), rel=1e-7)
    args = (0.4, 0.3, 6)
    got = s2sad.grad(augmented, wrt=(0, 1))(*args)
    assert reversing.LAST["fallback"] is False
    for k in range(2):
        assert got[k] == pytest.approx(fd(augmented, args, k), rel=1e-7)


def momentum_from_rest(w, lr, decay, n):
    v = 0  # an integer until the first turn makes it an array: its derivative counts all the same
    for i in s2sad.reversible(range(n)):
        g = w - np.cos(w)
        v = decay * v - lr * g
        w = w + v
    return np.sum(w * w)


def reflected(x, y, a, n):
    for i in s2sad.reversible(range(n)):
        x = np.sin(y) - a * x
        y = y + 0.1 * x
    return np.sum(x * y)


def test_a_state_that_starts_as_an_integer_and_a_negated_update():
    """`v = 0` then `v = decay * v - lr * g`: v is a float from the first turn on, so its adjoint
    is carried (it once was dropped, giving a wrong gradient); `x = g - a * x` is undone as
    `x = (g - x) / a`, its cotangent negated."""
    args = (Q, 0.05, 0.99, 60)
    got = s2sad.grad(momentum_from_rest, wrt=(0, 1, 2))(*args)
    for k in range(3):
        np.testing.assert_allclose(got[k], fd(momentum_from_rest, args, k), rtol=1e-6, atol=1e-8)
    args = (Q, Q + 2.0, 0.9, 20)
    got = s2sad.grad(reflected, wrt=(0, 1, 2))(*args)
    assert reversing.LAST["fallback"] is False
    for k in range(3):
        np.testing.assert_allclose(got[k], fd(reflected, args, k), rtol=1e-6, atol=1e-8)


def helper_loop(q, h):
    p = np.ones_like(q)
    for i in s2sad.reversible(range(40)):
        p = p - h * np.sin(q)
        q = q + h * p
    return q


def through_a_subroutine(q, h):
    return np.sum(helper_loop(q, h) ** 2)


def test_a_reversible_loop_in_a_subroutine_under_vjp_value_and_grad_and_checkpoint():
    args = (Q, 0.05)
    got = s2sad.grad(through_a_subroutine, wrt=(0, 1))(*args)
    np.testing.assert_allclose(got[0], fd(through_a_subroutine, args, 0), rtol=1e-6)
    assert got[1] == pytest.approx(fd(through_a_subroutine, args, 1), rel=1e-6)
    value, grads = s2sad.value_and_grad(leapfrog, wrt=2)(Q, P, 0.01, 50)
    assert value == leapfrog_taped(Q, P, 0.01, 50)
    assert grads == pytest.approx(fd(leapfrog, (Q, P, 0.01, 50), 2), rel=1e-6)
    out, pullback = s2sad.vjp(leapfrog, Q, P, 0.01, 50)
    assert pullback(1.0)[2] == pullback(1.0)[2] == pytest.approx(grads, rel=1e-12)
    assert s2sad.grad(leapfrog, wrt=2, checkpoint=3)(Q, P, 0.01, 50) == pytest.approx(grads, rel=1e-12)


def test_forward_mode_differentiates_the_loop_as_it_runs():
    _, tangent = s2sad.jvp(leapfrog, (Q, P, 0.01, 50), (np.zeros(6), np.zeros(6), 1.0, 0))
    assert tangent == pytest.approx(fd(leapfrog, (Q, P, 0.01, 50), 2), rel=1e-6)


def squares(x, n):
    for i in s2sad.reversible(range(n)):
        x = x * x + 1.0
    return x


def stale(x, y, n):
    for i in s2sad.reversible(range(n)):
        t = np.sin(x)
        x = x + 0.1 * y
        y = y + t
    return x + y


def control(x, n):
    for i in s2sad.reversible(range(n)):
        if x > 1.0:
            x = x - 1.0
    return x


def breaking(x, n):
    for i in s2sad.reversible(range(n)):
        x = x + 1.0
        if x > 3.0:
            break
    return x


@pytest.mark.parametrize("func, args, line, words", [
    (squares, (0.5, 3), 2, "cannot invert `x = x * x + 1.0`"),
    (stale, (0.5, 0.2, 3), 4, "cannot invert `y = y + t`"),
    (control, (0.5, 3), 2, "cannot invert `if x > 1.0:"),
    (breaking, (0.5, 3), 1, "cannot end early"),
])
def test_a_body_that_cannot_be_inverted_is_refused_at_its_line(func, args, line, words):
    with pytest.raises(s2sad.S2SADError) as info:
        s2sad.grad(func)(*args)
    message = str(info.value)
    assert words in message
    assert f"test_reversible.py:{func.__code__.co_firstlineno + line}" in message


def test_higher_derivatives_through_a_reversible_loop_are_refused():
    with pytest.raises(s2sad.S2SADError, match="reversed at run time") as info:
        s2sad.hessian(swapping, wrt=2)(0.3, 0.7, 0.2, 7)
    assert f"test_reversible.py:{swapping.__code__.co_firstlineno + 1}" in str(info.value)


def not_range(x, xs):
    for v in s2sad.reversible(xs):
        x = x + v
    return x


def stray_reversible(x):
    r = s2sad.reversible(range(3))
    for i in r:
        x = x * 2.0
    return x


def test_reversible_needs_a_range_and_a_for_at_the_users_line():
    line = not_range.__code__.co_firstlineno + 1
    for run in (not_range, s2sad.grad(not_range)):
        with pytest.raises(s2sad.S2SADError, match=rf"test_reversible.py:{line}: reversible\(\) needs a range"):
            run(1.0, [1.0, 2.0])
        with pytest.raises(s2sad.S2SADError, match=rf"test_reversible.py:{line}: reversible\(\) needs a range"):
            run(1.0, iter(range(2)))
    line = stray_reversible.__code__.co_firstlineno + 1
    with pytest.raises(s2sad.S2SADError, match=rf"test_reversible.py:{line}: .*other than as the iterable of a for"):
        s2sad.grad(stray_reversible)(1.0)


def with_a_counter(x, a, n):
    k = 0
    for i in s2sad.reversible(range(n)):
        x = x + a * np.cos(1.0 * k)
        k = k + 1
    return x


def reading_the_index(x, data, a):
    for i in s2sad.reversible(range(len(data))):
        x = x + a * data[i]
    return x * x


def inside_a_taped_loop(x, a):
    s = 0.0
    for j in range(3):
        for i in s2sad.reversible(range(5)):
            x = x + a * np.sin(j + 0.0)
        s = s + x * x
    return s


def inside_a_checkpointed_loop(x, a):
    for j in s2sad.checkpointed(range(4), snapshots=2):
        for i in s2sad.reversible(range(5)):
            x = x - a * 0.1
        x = np.sin(x)
    return x


@pytest.mark.parametrize("func, args, wrt", [
    (with_a_counter, (0.3, 0.2, 7), (0, 1)),
    (reading_the_index, (0.3, np.arange(5.0), 0.2), (0, 2)),
    (inside_a_taped_loop, (0.3, 0.2), (0, 1)),
    (inside_a_checkpointed_loop, (0.3, 0.2), (0, 1)),
])
def test_nesting_an_integer_state_and_the_loop_index(func, args, wrt):
    got = s2sad.grad(func, wrt=wrt)(*args)
    assert reversing.LAST["fallback"] is False
    for k, g in zip(wrt, got):
        assert g == pytest.approx(fd(func, args, k), rel=1e-7)


def list_state(xs, a, n):
    for i in s2sad.reversible(range(n)):
        xs = xs + [a]
    return xs[-1] * 2.0


def test_a_state_that_is_not_a_number_is_refused():
    with pytest.raises(s2sad.S2SADError, match="state 'xs' is a list") as info:
        s2sad.grad(list_state, wrt=1)([1.0], 0.5, 3)
    assert f"test_reversible.py:{list_state.__code__.co_firstlineno + 1}" in str(info.value)


def _gradient_peak(grad, *args):
    gc.collect()  # also empties CPython's free lists, so what the call leaves on them is traced
    tracemalloc.start()
    try:
        grad(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_adjoint_sweep_of_a_reversible_loop_holds_no_more_memory_after_more_turns():
    """Only the final state is kept: 2,000 more turns cost no memory. (Each turn once left a
    2-tuple on CPython's free list, which tracemalloc counts: 112 KB after 2,000 turns, 14 states
    of the issue's benchmark.)"""
    q, p = np.linspace(-1.0, 1.0, 50), np.linspace(0.0, 1.0, 50)
    grad = s2sad.grad(leapfrog, wrt=(0, 1, 2))
    grad(q, p, 0.01, 3)
    short, long = _gradient_peak(grad, q, p, 0.01, 300), _gradient_peak(grad, q, p, 0.01, 2300)
    assert long - short < 8_000, (short, long)
    assert not reversing.LAST["fallback"]


def test_turns_call_a_step_positionally_in_the_order_of_its_state_and_parameters():
    """Turns call the step and its inverse positionally (keyword calls would leave dicts on CPython's
    free list); a derivative whose parameters came out in another order is called by name."""
    def step(i, p, q):
        return i, p, q

    def reordered(q, i, p):
        return i, p, q

    assert reversing._positional(step, ["i", "p", "q"]) is step
    assert reversing._positional(reordered, ["i", "p", "q"])(0, 1.0, 2.0) == (0, 1.0, 2.0)
