"""`s2sad.checkpoint(g)`: reverse mode keeps g's arguments, not its intermediates, and runs g's forward
half again in the adjoint sweep. Derivatives are those of the plain program (checked against finite
differences), in both modes and at second order; the memory kept per loop iteration drops."""

import tracemalloc

import numpy as np
import pytest

import s2sad
from test_regressions_rules import assert_grad, fd_grad


@s2sad.checkpoint
def step(h, W):
    return np.tanh(W @ h)


def unrolled(W, h):
    for _ in range(6):
        h = step(h, W)
    return np.sum(h ** 2)


def plain_step(h, W):
    return np.tanh(W @ h)


def unrolled_inline(W, h):
    """The call shape of the API: s2sad.checkpoint(g)(...) written at the call."""
    for _ in range(6):
        h = s2sad.checkpoint(plain_step)(h, W)
    return np.sum(h ** 2)


@s2sad.checkpoint
def inner_loop(x, a):
    y = x
    for _ in range(3):
        y = y * a + np.sin(y)
    return y


def outer_loop(a):
    x = 0.3
    for _ in range(4):
        x = inner_loop(x, a) * 0.5
    return x


W0 = np.array([[0.3, -0.2, 0.1], [0.05, 0.4, -0.3], [-0.25, 0.1, 0.2]])
H0 = np.array([0.5, -0.7, 0.9])


@pytest.mark.parametrize("f", [unrolled, unrolled_inline])
def test_gradient_and_hessian_match_finite_differences(f):
    np.testing.assert_allclose(s2sad.grad(f)(W0, H0), fd_grad(lambda W: f(W, H0), W0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(s2sad.grad(f, wrt=1)(W0, H0), fd_grad(lambda h: f(W0, h), H0), rtol=1e-6, atol=1e-8)
    hess = s2sad.hessian(f, wrt=1)(W0, H0)
    want = np.array([fd_grad(lambda h, i=i: s2sad.grad(f, wrt=1)(W0, h)[i], H0) for i in range(3)])
    np.testing.assert_allclose(hess, want, rtol=1e-5, atol=1e-7)


def test_a_checkpointed_helper_with_its_own_loop():
    assert_grad(outer_loop, 0.8)
    assert s2sad.grad(s2sad.grad(outer_loop))(0.8) == pytest.approx(float(fd_grad(s2sad.grad(outer_loop), 0.8)),
                                                                      rel=1e-6)


def test_the_adjoint_sweep_recomputes_from_the_arguments():
    code = s2sad.source(unrolled)
    assert "h = step(h=h, W=W)" in code          # the plain call: no record kept
    assert "step_record = step_fwd(h=h, W=W)[1]" in code
    assert code.index("h = pop(_tape)") < code.index("step_record = step_fwd")  # h as the call read it


def wide_step(h, W):
    a = np.tanh(W * h)
    b = np.sin(a) * h
    c = np.exp(-b * b)
    return np.cos(c + a) * 0.5


def many_steps(W, h):
    for _ in range(50):
        h = wide_step(h, W)
    return np.sum(h)


def many_steps_checkpointed(W, h):
    for _ in range(50):
        h = s2sad.checkpoint(wide_step)(h, W)
    return np.sum(h)


def _peak(f, *args):
    s2sad.grad(f)(*args)  # compiled before measuring
    tracemalloc.start()
    s2sad.grad(f)(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_kept_per_iteration_drops():
    W, h = np.linspace(0.1, 1.0, 2000), np.linspace(-1.0, 1.0, 2000)
    np.testing.assert_allclose(s2sad.grad(many_steps_checkpointed)(W, h), s2sad.grad(many_steps)(W, h), rtol=1e-12)
    assert _peak(many_steps_checkpointed, W, h) < 0.5 * _peak(many_steps, W, h)


def cube(y):
    return y ** 3


def checkpoint_of_a_parameter(x, cube):
    """`cube` here is the parameter, not the module's function of the same name."""
    return s2sad.checkpoint(cube)(x)


def test_a_parameter_hides_the_global_of_its_name():
    """s2sad.checkpoint(g) with g a parameter once differentiated the module's g (6.75 for y**2 at
    1.5): now the call is refused, as any function received by the function being differentiated."""
    with pytest.raises(s2sad.S2SADError, match="known only when the code runs") as info:
        s2sad.grad(checkpoint_of_a_parameter)(1.5, np.square)
    assert info.value.lineno == checkpoint_of_a_parameter.__code__.co_firstlineno + 2
