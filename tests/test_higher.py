"""Higher-order derivatives: s2sad differentiating its own generated code.

Every number is checked against something independent: closed forms, finite differences of
the gradient, another nesting of modes, or one pass per column against the batched pass.
"""

import inspect

import numpy as np
import pytest

import s2sad
from s2sad import batching, driver, higher

import corpus_basic
import corpus_control
from conftest import differentiable, inputs_for

MODULES = [corpus_basic, corpus_control]
FUNCTIONS = [f for m in MODULES for _, f in inspect.getmembers(m, inspect.isfunction) if f.__module__ == m.__name__]


def _scalar_valued(f):
    out = f(*inputs_for(f))
    return not isinstance(out, tuple) and np.ndim(out) == 0


SCALAR = [f for f in FUNCTIONS if _scalar_valued(f) and differentiable(f, inputs_for(f))]
ARRAY = [f for f in FUNCTIONS if not _scalar_valued(f)]
LOOPS_AND_BRANCHES = {f.__name__ for f in SCALAR if f.__module__ == "corpus_control"}


# -- towers of derivatives ----------------------------------------------------------------


def cube(x):
    return x ** 3


def tanh_by_hand(x):
    return (1 - np.exp(-2 * x)) / (1 + np.exp(-2 * x))


def test_four_derivatives_of_a_cube():
    g, found = cube, []
    for _ in range(4):
        g = s2sad.grad(g)
        found.append(g(4.0))
    assert found == [48.0, 24.0, 6.0, 0.0]


def test_three_derivatives_of_tanh_written_out():
    x = 0.7
    t = np.tanh(x)
    d1 = s2sad.grad(tanh_by_hand)
    d2 = s2sad.grad(d1)
    d3 = s2sad.grad(d2)
    np.testing.assert_allclose(d1(x), 1 - t ** 2, rtol=1e-12)
    np.testing.assert_allclose(d2(x), -2 * t * (1 - t ** 2), rtol=1e-12)
    np.testing.assert_allclose(d3(x), (1 - t ** 2) * (6 * t ** 2 - 2), rtol=1e-10)


def newton_loop(x):
    y = x
    while y * y > 2.0 * x + 1e-9:  # trip count depends on the data
        y = 0.5 * (y + 2.0 * x / y)
    return y * y * y


def test_every_nesting_of_modes_on_a_data_dependent_loop():
    """Four ways to the second derivative through a while loop whose trip count depends on x, against FD of f'."""
    x, h = 1.7, 1e-5
    g = s2sad.grad(newton_loop)
    numeric = (g(x + h) - g(x - h)) / (2 * h)
    rev_rev = s2sad.grad(g)(x)
    fwd_rev = s2sad.jvp(g, (x,), (1.0,))[1]
    tangent = higher.jvp_function(newton_loop)
    fwd_fwd = s2sad.jvp(tangent, (x, 1.0), (1.0, 0.0))[1][1]
    rev_fwd = s2sad.vjp(tangent, x, 1.0)[1]((0.0, 1.0))[0]
    for value in (rev_rev, fwd_rev, fwd_fwd, rev_fwd):
        np.testing.assert_allclose(value, numeric, rtol=1e-6)


def test_source_of_a_nested_derivative():
    g = s2sad.grad(corpus_control.logistic_3)
    text = s2sad.source(g, mode="forward")
    assert text.splitlines()[1].startswith("def logistic_3_vjp_jvp(")  # after the header comment
    assert "_bar_dot = " in text
    assert "def logistic_3_vjp_vjp(" in s2sad.source(g, mode="reverse")


def test_a_stack_of_values_is_differentiated_in_step():
    """Reverse code keeps overwritten values with push/pop; its derivatives keep a stack beside it."""
    g = s2sad.grad(corpus_control.logistic_n)
    text = s2sad.source(g, mode="forward")
    assert "push(_tape_dot" in text and "pop(_tape_dot)" in text
    text = s2sad.source(g, mode="reverse")
    assert "_tape_1 = []" in text and "push(_tape_bar" in text


# -- Hessians --------------------------------------------------------------------------------


def _fd_hessian(f, args, wrt, h=1e-5):
    """Blocks [i][j]: central differences, along wrt[j], of the gradient for wrt[i]."""
    g = s2sad.grad(f, wrt=wrt)
    blocks = [[None] * len(wrt) for _ in wrt]
    for j, pj in enumerate(wrt):
        xj = np.asarray(args[pj], dtype=float)
        cols = []
        for idx in np.ndindex(xj.shape):
            step = np.zeros_like(xj)
            step[idx] = h
            up, down = list(args), list(args)
            up[pj] = xj + step if xj.shape else float(xj + step)
            down[pj] = xj - step if xj.shape else float(xj - step)
            cols.append([(np.asarray(a) - np.asarray(c)) / (2 * h) for a, c in zip(g(*up), g(*down))])
        for i, pi in enumerate(wrt):
            stacked = np.stack([c[i] for c in cols], axis=-1)
            blocks[i][j] = stacked.reshape(np.shape(args[pi]) + xj.shape)
    return blocks


@pytest.mark.parametrize("func", SCALAR, ids=lambda f: f.__name__)
def test_hessian_matches_finite_differences_and_is_symmetric(func):
    args = inputs_for(func)
    wrt = differentiable(func, args)
    H = s2sad.hessian(func, wrt=wrt)(*args)
    numeric = _fd_hessian(func, args, wrt)
    for i in range(len(wrt)):
        for j in range(len(wrt)):
            got = np.asarray(H[i][j])
            assert got.shape == np.shape(args[wrt[i]]) + np.shape(args[wrt[j]])
            scale = 1.0 + np.max(np.abs(numeric[i][j]), initial=0.0)
            np.testing.assert_allclose(got, numeric[i][j], rtol=1e-5, atol=1e-6 * scale)
            n_i, n_j = np.size(args[wrt[i]]), np.size(args[wrt[j]])
            np.testing.assert_allclose(np.reshape(got, (n_i, n_j)), np.reshape(H[j][i], (n_j, n_i)).T,
                                       rtol=1e-9, atol=1e-9 * scale)


THROUGH_CALLS_AND_CONTAINERS = [
    ("corpus_subroutines", "helper_three_deep"), ("corpus_subroutines", "helper_in_a_loop"),
    ("corpus_subroutines", "helper_in_a_while_loop"), ("corpus_subroutines", "helper_with_a_branch"),
    ("corpus_subroutines", "helper_returning_a_tuple"), ("corpus_subroutines", "mlp_with_helpers"),
    ("corpus_subroutines", "rk_with_helpers"), ("corpus_subroutines", "closure_helper"),
    ("corpus_structure", "tuple_unpack"), ("corpus_structure", "swap_by_unpacking"),
    ("corpus_structure", "overwrite_same_element"), ("corpus_structure", "write_with_mask"),
]


@pytest.mark.parametrize("module, name", THROUGH_CALLS_AND_CONTAINERS, ids=lambda x: x)
def test_hessian_through_subroutines_and_containers(module, name):
    """User functions called from the differentiated one (batched mode falls back to columns) and tuples."""
    func = getattr(pytest.importorskip(module), name)
    args = inputs_for(func)
    wrt = differentiable(func, args)
    H = s2sad.hessian(func, wrt=wrt)(*args)
    numeric = _fd_hessian(func, args, wrt)
    for i in range(len(wrt)):
        for j in range(len(wrt)):
            scale = 1.0 + np.max(np.abs(numeric[i][j]), initial=0.0)
            np.testing.assert_allclose(H[i][j], numeric[i][j], rtol=1e-5, atol=1e-6 * scale)


def test_the_corpus_hessians_cover_loops_and_branches():
    assert len(SCALAR) >= 20 and len(LOOPS_AND_BRANCHES) >= 10


def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] * x[i]) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosenbrock_hessian(x):
    H = np.zeros((x.shape[0], x.shape[0]))
    i = np.arange(x.shape[0] - 1)
    H[i, i] += 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    H[i + 1, i + 1] += 200.0
    H[i, i + 1] = H[i + 1, i] = -400.0 * x[:-1]
    return H


def test_hessian_and_hvp_of_a_loop_against_the_hand_written_hessian():
    x = np.random.default_rng(3).uniform(-1.0, 1.5, 12)
    v = np.random.default_rng(4).normal(size=12)
    H = rosenbrock_hessian(x)
    np.testing.assert_allclose(s2sad.hessian(rosenbrock)(x), H, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(s2sad.hvp(rosenbrock, (x,), (v,)), H @ v, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(s2sad.hvp(rosenbrock, (x,), v), H @ v, rtol=1e-12, atol=1e-9)


def test_hessian_of_a_float_function_is_a_float():
    assert s2sad.hessian(cube)(4.0) == 24.0
    assert isinstance(s2sad.hessian(cube)(4.0), float)


# -- forward over reverse against reverse over forward (and the other two) ---------------------


@pytest.mark.parametrize("func", SCALAR, ids=lambda f: f.__name__)
def test_hvp_forward_over_reverse_reverse_over_forward_and_forward_over_forward(func):
    args = inputs_for(func)
    wrt = differentiable(func, args)
    rng = np.random.default_rng(7)
    v = [rng.normal(size=np.shape(args[i])) if np.ndim(args[i]) else float(rng.normal()) for i in wrt]
    fwd_rev = s2sad.hvp(func, args, v, wrt=wrt)
    # reverse over forward: the gradient of x -> <grad f(x), v>, through the generated JVP
    tangent = higher.jvp_function(func, wrt=wrt)
    zero_out = 0.0 * func(*args)
    cotangents = s2sad.vjp(tangent, *args, *v)[1]((zero_out, 1.0))
    rev_fwd = [cotangents[i] for i in wrt]
    # forward over forward: <u, H v> for a second direction u
    u = [rng.normal(size=np.shape(args[i])) if np.ndim(args[i]) else float(rng.normal()) for i in wrt]
    u_all = [u[wrt.index(i)] if i in wrt else None for i in range(len(args))]
    primals = tuple(args) + tuple(v[wrt.index(i)] for i in range(len(args)) if i in wrt)
    directions = tuple(u_all) + tuple(0.0 * np.asarray(t) if np.ndim(t) else 0.0 for t in v)
    fwd_fwd = s2sad.jvp(tangent, primals, directions)[1][1]
    for a, c in zip(fwd_rev, rev_fwd):
        scale = 1.0 + np.max(np.abs(a), initial=0.0)
        np.testing.assert_allclose(c, a, rtol=1e-9, atol=1e-9 * scale)
    uHv = sum(np.sum(np.asarray(ui) * np.asarray(hi)) for ui, hi in zip(u, fwd_rev))
    np.testing.assert_allclose(fwd_fwd, uHv, rtol=1e-8, atol=1e-9 * (1.0 + abs(uHv)))


# Reverse over reverse through an adjoint that is a tuple's (runtime.Parts, loop_carried_tuple and
# lorenz_rk4): the zero of a Parts is a Parts, so the second adjoints add (once a TypeError).
@pytest.mark.parametrize("func", SCALAR, ids=lambda f: f.__name__)
def test_hvp_reverse_over_reverse(func):
    args = inputs_for(func)
    wrt = differentiable(func, args)
    rng = np.random.default_rng(7)
    v = [rng.normal(size=np.shape(args[i])) if np.ndim(args[i]) else float(rng.normal()) for i in wrt]
    want = s2sad.hvp(func, args, v, wrt=wrt)
    got = s2sad.vjp(s2sad.grad(func, wrt=wrt), *args)[1](v[0] if len(wrt) == 1 else tuple(v))
    for i, a in zip(wrt, want):
        np.testing.assert_allclose(got[i], a, rtol=1e-9, atol=1e-9 * (1.0 + np.max(np.abs(a), initial=0.0)))


# -- Jacobians -----------------------------------------------------------------------------------


def spiral(x, a):
    y = np.sin(x) * a[:2] + x ** 2
    for i in range(3):
        y = y * np.cos(y) + a[i]
    return np.stack([y[0] * y[1], np.sum(y * y), y[1]])


def matrix_fn(M, a):
    return np.tanh(M @ a).reshape(3, 1) * M


JACOBIAN_CASES = [
    (spiral, (np.array([0.3, 0.5]), np.array([1.0, 2.0, 3.0])), (0, 1)),
    (matrix_fn, (np.arange(9.0).reshape(3, 3) / 10, np.array([0.1, -0.2, 0.3])), (0, 1)),
] + [(f, tuple(inputs_for(f)), differentiable(f, inputs_for(f))) for f in ARRAY
     if not isinstance(f(*inputs_for(f)), tuple)]


@pytest.mark.parametrize("func, args, wrt", JACOBIAN_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_jacobian_in_three_modes_agrees_and_matches_jvps(func, args, wrt):
    results = {mode: s2sad.jacobian(func, wrt=wrt, mode=mode)(*args) for mode in higher.MODES}
    out = func(*args)
    for k, i in enumerate(wrt):
        J = results["forward"][k]
        assert np.shape(J) == np.shape(out) + np.shape(args[i])
        for mode in ("reverse", "auto"):
            np.testing.assert_allclose(results[mode][k], J, rtol=1e-12, atol=1e-12)
        # a column is a JVP along a unit vector
        e = np.zeros(np.shape(args[i]))
        e.flat[-1] = 1.0
        tangents = [e if j == i else 0.0 * np.asarray(args[j]) if j in wrt else None for j in range(len(args))]
        column = s2sad.jvp(func, args, tangents)[1]
        np.testing.assert_allclose(np.reshape(J, np.shape(out) + (-1,))[..., -1], column, rtol=1e-12, atol=1e-12)


def test_jacobian_with_a_tuple_output_is_one_per_item():
    J = s2sad.jacobian(corpus_basic.tuple_return, wrt=0, mode="forward")(0.3, 0.7)
    assert isinstance(J, tuple) and len(J) == 2
    numeric = [(np.asarray(a) - np.asarray(b)) / 2e-6
               for a, b in zip(corpus_basic.tuple_return(0.3 + 1e-6, 0.7), corpus_basic.tuple_return(0.3 - 1e-6, 0.7))]
    np.testing.assert_allclose(J, numeric, rtol=1e-6)


# -- batched tangents against one pass per column --------------------------------------------------


BATCH_CASES = [(f, tuple(inputs_for(f)), differentiable(f, inputs_for(f))) for f in FUNCTIONS
               if differentiable(f, inputs_for(f))] + [(spiral, JACOBIAN_CASES[0][1], (0, 1)),
                                                      (matrix_fn, JACOBIAN_CASES[1][1], (0, 1))]


@pytest.mark.parametrize("func, args, wrt", BATCH_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_batched_jvp_equals_one_jvp_per_column(func, args, wrt):
    rng = np.random.default_rng(11)
    B = 4
    batches = [rng.normal(size=(B,) + np.shape(args[i])) for i in wrt]
    names = tuple(list(inspect.signature(func).parameters)[i] for i in wrt)
    out, dots = higher.batched_jvp(func, args, [batches[wrt.index(i)] if i in wrt else None for i in range(len(args))])
    plain = driver.derivative(func, "forward", names).function
    for k in range(B):
        _, want = plain(*args, *[t[k] if np.ndim(args[i]) else float(t[k]) for t, i in zip(batches, wrt)])
        for w, d in zip(_leaves(want), _leaves(dots)):
            np.testing.assert_allclose(np.asarray(d)[k], np.broadcast_to(w, np.shape(np.asarray(d)[k])),
                                       rtol=1e-12, atol=1e-12)


def _leaves(x):
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def test_batched_hessian_equals_the_one_built_from_separate_hvps():
    x = np.random.default_rng(5).uniform(-1.0, 1.5, 8)
    H = s2sad.hessian(rosenbrock)(x)
    columns = np.stack([s2sad.hvp(rosenbrock, (x,), (e,)) for e in np.eye(8)], axis=1)
    np.testing.assert_allclose(H, columns, rtol=1e-13, atol=1e-12)


def test_batched_reverse_rows_equal_one_vjp_per_row():
    x, a = JACOBIAN_CASES[0][1]
    J = s2sad.jacobian(spiral, wrt=(0, 1), mode="reverse")(x, a)
    _, pullback = s2sad.vjp(spiral, x, a)
    for i in range(3):
        row = pullback(np.eye(3)[i])
        np.testing.assert_allclose(J[0][i], row[0], rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(J[1][i], row[1], rtol=1e-13, atol=1e-13)


def helper_square(z):
    return z * z + np.sin(z)


def calls_a_helper(x):
    y = helper_square(x)
    return np.sum(y * x)


def test_what_batched_mode_cannot_do_is_done_column_by_column():
    """A call of a user function is not batched: the Jacobian comes from one pass per column, same numbers."""
    x = np.array([0.2, 0.4, 0.9])
    with pytest.raises(batching.NotBatchable):
        batching.derivative(calls_a_helper, ("x",))
    H = s2sad.hessian(calls_a_helper)(x)
    numeric = _fd_hessian(calls_a_helper, (x,), (0,))[0][0]
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-8)


# -- bad input ---------------------------------------------------------------------------------------


def test_hessian_of_a_vector_function_is_out_shape_plus_in_shape_twice_and_hvp_is_refused():
    x, a = JACOBIAN_CASES[0][1]
    H = s2sad.hessian(spiral)(x, a)  # JAX's hessian of a vector function: shape (3,) + (2,) + (2,)
    assert H.shape == (3, 2, 2)
    jac, h = s2sad.jacobian(spiral), 1e-6
    numeric = np.stack([(jac(x + h * e, a) - jac(x - h * e, a)) / (2 * h) for e in np.eye(2)], axis=-1)
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-7)
    with pytest.raises(s2sad.S2SADError, match="to return a scalar"):
        s2sad.hvp(spiral, JACOBIAN_CASES[0][1], (np.ones(2),))


def test_a_tangent_batch_of_the_wrong_shape_is_refused():
    x, a = JACOBIAN_CASES[0][1]
    with pytest.raises(s2sad.S2SADError, match=r"tangent batch for 'x' has shape \(4, 3\).*expected \(B,\) \+ \(2,\)"):
        higher.batched_jvp(spiral, (x, a), (np.ones((4, 3)), None))
    with pytest.raises(s2sad.S2SADError, match="disagree in size"):
        higher.batched_jvp(spiral, (x, a), (np.ones((4, 2)), np.ones((5, 3))))
    with pytest.raises(s2sad.S2SADError, match=r"vector for 'x' has shape \(3,\)"):
        s2sad.hvp(rosenbrock, (x,), (np.ones(3),))


def takes_a_count(x, n):
    return x ** n


def test_wrt_an_integer_input_is_refused():
    for make in (s2sad.hessian, s2sad.jacobian):
        with pytest.raises(s2sad.S2SADError, match="with respect to 'n': it is int"):
            make(takes_a_count, wrt=1)(2.0, 3)
    with pytest.raises(s2sad.S2SADError, match="with respect to 'n': it is int"):
        s2sad.hvp(takes_a_count, (2.0, 3), (1,), wrt=1)
    with pytest.raises(s2sad.S2SADError, match="not a float array"):
        higher.batched_jvp(takes_a_count, (2.0, 3), (np.ones(2), np.ones(2)))


def test_an_unknown_jacobian_mode_is_refused():
    with pytest.raises(s2sad.S2SADError, match="jacobian mode must be one of"):
        s2sad.jacobian(spiral, mode="sideways")


# -- batched code goes through the driver's optimizer -----------------------------------------------


def _unread(source):
    """Names a generated function assigns and never reads: dead assignments."""
    import ast
    tree = ast.parse(source)
    stored = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
              for t in node.targets if isinstance(t, ast.Name)}
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return stored - read


@pytest.mark.parametrize("func, args, wrt", BATCH_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_batched_code_is_optimized_and_keeps_its_values(func, args, wrt):
    names = tuple(list(inspect.signature(func).parameters)[i] for i in wrt)
    try:
        optimized = batching.derivative(func, names)
    except batching.NotBatchable:
        return
    plain = driver.derivative(func, batching.MODE, names, optimized=False)
    assert optimized.function is not plain.function
    assert not _unread(optimized.source), optimized.source
    rng = np.random.default_rng(5)
    tangents = [rng.normal(size=(3,) + np.shape(args[i])) for i in wrt]
    for got, want in zip(_leaves(optimized.function(*args, *tangents)), _leaves(plain.function(*args, *tangents))):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12, atol=1e-12)


def test_the_hessians_batched_pass_is_optimized():
    """hessian runs the batched JVP of the generated VJP: that code goes through the optimizer too."""
    names = ("x",)
    vjp = driver.derivative(cube, "reverse", names, with_value=True).function
    batched = batching.derivative(vjp, names)
    assert batched.source != driver.derivative(vjp, batching.MODE, names, optimized=False).source
    assert not _unread(batched.source), batched.source
    assert "_batch = batch_size" not in batched.source  # read by nothing once the optimizer has run
    np.testing.assert_allclose(s2sad.hessian(cube)(np.float64(0.7)), 6 * 0.7)
