"""What the reverse sweep keeps of a loop, and how (reverse.py): the values of one iteration.

A name a loop body assigns once and reads only after that, within the body, has a value
of its own in every iteration. It is kept after the iteration, with the others of its
kind in one tuple, and taken back first thing in the iteration's adjoint: no `name =
None` before the loop is needed for a first push. In such a loop the temporaries the
adjoint sweep reads join the tuple too, rather than being recomputed. Names carried from one iteration to
the next keep the old scheme (their value before each assignment). These tests check
the generated code's form and, above all, the values: against finite differences, and
second derivatives through the tuple stack.
"""

import numpy as np

import s2sad


def pairs(pos, eps):
    n = pos.shape[0]
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            d = pos[i] - pos[j]
            r2 = np.sum(d * d)
            s6 = (1.0 / r2) ** 3
            energy = energy + 4.0 * eps * (s6 * s6 - s6)
    return energy


def rk2(a, b, n):
    x = 1.0
    y = 0.5
    for _ in range(n):
        kx = a * y
        ky = -b * x
        mx = x + 0.05 * kx
        my = y + 0.05 * ky
        x = x + 0.1 * a * my
        y = y - 0.1 * b * mx
    return x * x + y


def last_seen(x, n):
    s = 0.0
    for i in range(n):
        t = x * (i + 1.0)
        s = s + t * t
    return s + t  # t is read after the loop: it keeps the old scheme


def stops(x, n):
    s = x
    for _ in range(n):
        t = s * 1.5
        u = t - 0.25 * s
        s = u * u
        if s > 100.0:
            break
    return s


def _fd_grad(f, args, i, h=1e-6):
    x = np.asarray(args[i], dtype=float)
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = h
        hi, lo = list(args), list(args)
        hi[i] = x + e if x.ndim else float(x + e)
        lo[i] = x - e if x.ndim else float(x - e)
        g[k] = (f(*hi) - f(*lo)) / (2 * h)
    return g


def test_values_of_one_iteration_go_on_the_tape_as_one_tuple_after_it():
    code = s2sad.source(rk2, wrt=(0, 1))
    assert "= None" not in code
    assert "_iteration = (kx, " in code and "push(_tape, _iteration)" in code  # pushed and popped by one name
    assert "kx, " in code.split("= _iteration\n")[0].splitlines()[-1]
    assert code.count("pop(_tape)") == 3  # the tuple, then x and y (carried: their values before each assignment)


def test_a_double_loop_gradient_and_hessian():
    rng = np.random.default_rng(0)
    pos = rng.uniform(0.0, 1.0, (5, 3)) + 1.2 * np.arange(5)[:, None]
    assert "= None" not in s2sad.source(pairs, wrt=0, args=(pos, 1.0))
    g = s2sad.grad(pairs)(pos, 1.0)
    assert np.allclose(g, _fd_grad(pairs, (pos, 1.0), 0), rtol=1e-5, atol=1e-6)
    H = s2sad.hessian(pairs)(pos, 1.0)
    column = _fd_grad(lambda p, e: s2sad.grad(pairs)(p, e)[1, 2], (pos, 1.0), 0)
    assert np.allclose(H[1, 2], column, rtol=1e-4, atol=1e-5)


def test_carried_and_kept_values_together():
    for args in [(0.7, 1.3, 6), (0.2, 0.4, 0), (1.1, 0.9, 1)]:
        got = s2sad.grad(rk2, wrt=(0, 1))(*args)
        want = [_fd_grad(rk2, args, i) for i in (0, 1)]
        assert np.allclose(got, want, rtol=1e-5, atol=1e-7)
        hv = s2sad.hvp(rk2, args, (1.0, 0.0), wrt=(0, 1))
        fd = (np.array(s2sad.grad(rk2, wrt=(0, 1))(args[0] + 1e-6, *args[1:]))
              - np.array(s2sad.grad(rk2, wrt=(0, 1))(args[0] - 1e-6, *args[1:]))) / 2e-6
        assert np.allclose(hv, fd, rtol=1e-4, atol=1e-6)


def test_a_name_read_after_the_loop_or_a_loop_with_break_keep_the_old_scheme():
    assert "t = None" in s2sad.source(last_seen)
    for f, args in [(last_seen, (0.3, 4)), (stops, (0.9, 6)), (stops, (3.0, 6))]:
        assert np.isclose(s2sad.grad(f)(*args), _fd_grad(f, args, 0), rtol=1e-5)
