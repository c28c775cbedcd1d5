"""Every derivative rule in the table, checked in both modes on inputs drawn from its own entry.

For each rule that is not `nondiff` and each way of calling it (tests/rule_inputs.py:
derived from the rule's `domain` and `shapes`, or written out with `@case`), in float64
and, where an argument is an array, float32:

* forward mode (`s2sad.jvp`) matches central finite differences taken in float64;
* reverse mode (`s2sad.vjp`) passes the dot-product test <u, J v> = <J^T u, v>;
* the generated derivatives themselves (before the API reshapes them) give each tangent the
  shape and dtype of its primal output, and each cotangent those of its input.

Inputs are drawn as docs/rules.md describes; a rule with no way to be called fails
`test_every_rule_can_be_tested`.
"""

import inspect
import math
import zlib

import numpy as np
import pytest
from rule_inputs import CALLERS, CASES, ELEMENTWISE_SHAPES, Arg, Case
from rule_inputs_extra import EIG_IS_REAL

import s2sad
from s2sad import driver, runtime
from s2sad.registry import RULES, Rule

EPS = 1e-6

# -- drawing inputs --------------------------------------------------------------------------------------

RANGES = {"real": (-1.3, 1.3), "positive": (0.5, 2.0), "unit": (-0.8, 0.8), "above_one": (1.2, 3.0),
          "nonzero": (0.5, 2.0), "sparse": (-1.3, 1.3), "probability": (0.05, 0.95)}


def draw(spec, domain, rng, dtype):
    """One argument: a Python float for shape (), else an array of dtype, with values from the domain."""
    domain = spec.domain or domain
    shape = spec.shape
    if domain in ("matrix", "spd"):
        n = shape[-1]
        x = rng.uniform(-1.0, 1.0, shape)
        x = x + n * np.eye(n) if domain == "matrix" else x @ np.swapaxes(x, -1, -2) + n * np.eye(n)
    elif domain in RANGES:
        x = rng.uniform(*RANGES[domain], size=shape)
        if domain == "nonzero":
            x = x * rng.choice([-1.0, 1.0], size=shape)
        if domain == "sparse":
            x = np.where(rng.random(shape) < 0.3, 0.0, x)
    else:
        raise ValueError(f"unknown input domain {domain!r} (see docs/rules.md)")
    return float(x) if shape == () else np.asarray(x, dtype=dtype)


def is_float(x):
    return isinstance(x, float) or (isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating))


# -- values as trees (outputs may be tuples, lists, or object arrays of pieces) ---------------------------


def leaves(x):
    if isinstance(x, (tuple, list)) or (isinstance(x, np.ndarray) and x.dtype == object):
        return [leaf for item in x for leaf in leaves(item)]
    return [x]


def random_like(x, rng):
    if isinstance(x, (tuple, list)):
        return type(x)(random_like(item, rng) for item in x) if type(x) in (tuple, list) else \
            tuple(random_like(item, rng) for item in x)
    if isinstance(x, np.ndarray) and x.dtype == object:
        return [random_like(item, rng) for item in x]
    if isinstance(x, float):
        return float(rng.standard_normal())
    dtype = np.result_type(x)
    return np.asarray(rng.standard_normal(np.shape(x)), dtype=dtype)[()] if np.ndim(x) == 0 and \
        not isinstance(x, np.ndarray) else np.asarray(rng.standard_normal(np.shape(x)), dtype=dtype)


def as64(x):
    return x.astype(np.float64) if isinstance(x, np.ndarray) and x.dtype == np.float32 else x


def vdot(a, b):
    return sum(float(np.sum(np.asarray(x, dtype=float) * np.asarray(y, dtype=float)))
               for x, y in zip(leaves(a), leaves(b)))


def vabs(a, b):
    return sum(float(np.sum(np.abs(np.asarray(x, dtype=float) * np.asarray(y, dtype=float))))
               for x, y in zip(leaves(a), leaves(b)))


def finite_difference(f, args, directions):
    """(f(args + eps v) - f(args - eps v)) / 2 eps in float64, v nonzero only at `directions`' keys."""
    def shifted(sign):
        out = [as64(a) for a in args]
        for i, v in directions.items():
            out[i] = out[i] + sign * EPS * (float(v) if isinstance(out[i], float) else as64(np.asarray(v)))
        return leaves(f(*out))
    hi, lo = shifted(1.0), shifted(-1.0)
    return [(np.asarray(h, dtype=float) - np.asarray(low, dtype=float)) / (2 * EPS) for h, low in zip(hi, lo)]


# -- the cases -------------------------------------------------------------------------------------------


def _derived(prim, rule):
    """Calls made from the rule's own fields: elementwise on default or given shapes, others on `shapes`."""
    if rule.kind == "elementwise":
        arity = len(rule.shapes) if rule.shapes else len(rule.params)
        shape_sets = [rule.shapes] if rule.shapes else ELEMENTWISE_SHAPES.get(arity, [])
    elif rule.shapes:
        arity, shape_sets = len(rule.shapes), [rule.shapes]
    else:
        return []
    if arity not in CALLERS or not shape_sets:
        return []
    func = _caller(prim, arity)
    return [Case(func, tuple(Arg(tuple(s)) for s in shapes), name="derived" + "".join(str(tuple(s)) for s in shapes))
            for shapes in shape_sets]


_CALLERS = {}


def _caller(prim, arity):
    key = (id(prim), arity)
    if key not in _CALLERS:
        _CALLERS[key] = (prim, CALLERS[arity](prim))
    return _CALLERS[key][1]


def cases_for(prim):
    rule = RULES[prim]
    return list(CASES.get(prim, [])) + _derived(prim, rule)


def _tested_rules():
    return [(prim, rule) for prim, rule in RULES.items() if rule.kind != "nondiff"]


def _params():
    params = []
    for prim, rule in _tested_rules():
        for case in cases_for(prim):
            dtypes = [np.float64]
            if case.float32 and any(s.shape != () for s in case.args):
                dtypes.append(np.float32)
            marks = [pytest.mark.skip(reason=NOT_HERE[case.name])] if case.name in NOT_HERE else []
            for dtype in dtypes:
                params.append(pytest.param(prim, case, dtype, id=f"{rule.name}:{case.name}:{np.dtype(dtype).name}",
                                           marks=marks))
    return params


def _arguments(prim, case, dtype):
    rule = RULES[prim]
    rng = np.random.default_rng(zlib.crc32(f"{rule.name}:{case.name}:{np.dtype(dtype).name}".encode()))
    args = [draw(spec, rule.domain, rng, dtype) for spec in case.args]
    floats = [i for i, a in enumerate(args) if is_float(a)]
    wrt = list(case.wrt) if case.wrt is not None else floats
    return args, floats, wrt, rng


def _names(func):
    return list(inspect.signature(func).parameters)


# -- the tests -------------------------------------------------------------------------------------------


def test_every_rule_can_be_tested():
    untested = sorted(rule.name for prim, rule in _tested_rules() if not cases_for(prim))
    assert not untested, (f"no test inputs for {untested}: give the rule `shapes=` or add a @case in "
                          "tests/rule_inputs.py (docs/rules.md)")


def test_the_table_is_large():
    assert len(_tested_rules()) >= 150


def test_cases_name_their_primitive():
    """Each written-out case calls a primitive that has a rule (a typo would test nothing)."""
    for prim in CASES:
        assert prim in RULES and RULES[prim].kind != "nondiff", prim


# Cases this NumPy cannot run as real computations (NumPy 2.5's eig is complex-typed for a real spectrum,
# and s2sad refuses complex values: tests/test_rules_extra.py checks that refusal there).
NOT_HERE = {} if EIG_IS_REAL else dict.fromkeys(("eig_real", "eig_values"), "np.linalg.eig is complex-typed on this NumPy")

# Cases whose reverse mode s2sad refuses (an S2SADError, checked): reverse mode over a list's unappend.
REVERSE_REFUSED = {"rt_unappend"}


@pytest.mark.parametrize("prim, case, dtype", _params())
def test_rule(prim, case, dtype):
    f = case.func
    args, floats, wrt, rng = _arguments(prim, case, dtype)
    names = _names(f)
    out = f(*args)
    tol = 1e-3 if dtype == np.float32 else 1e-5
    dot_tol = 1e-4 if dtype == np.float32 else 1e-9

    # forward mode against finite differences
    v = {i: random_like(args[i], rng) for i in wrt}
    tangents = [v.get(i, 0.0 * args[i]) if i in floats else None for i in range(len(args))]
    _, jv = s2sad.jvp(f, args, tangents)
    numeric = finite_difference(f, args, v)
    assert len(leaves(jv)) == len(numeric)
    for got, want in zip(leaves(jv), numeric):
        scale = 1.0 + float(np.max(np.abs(want), initial=0.0))
        np.testing.assert_allclose(np.asarray(got, dtype=float), want, rtol=tol, atol=tol * scale,
                                   err_msg="forward mode against finite differences")
    if case.name in REVERSE_REFUSED:
        with pytest.raises(s2sad.S2SADError):
            s2sad.vjp(f, *args)[1](random_like(out, rng))
        return

    # reverse mode: the dot-product test
    u = random_like(out, rng)
    _, pullback = s2sad.vjp(f, *args)
    cotangents = pullback(u)
    lhs = vdot(u, jv)
    rhs = sum(vdot(cotangents[i], v[i]) for i in wrt)
    scale = vabs(u, jv) + sum(vabs(cotangents[i], v[i]) for i in wrt) + 1e-12
    assert abs(lhs - rhs) <= dot_tol * scale, f"<u, J v> = {lhs} but <J^T u, v> = {rhs}"

    # the generated code's own results: shapes and dtypes
    wrt_names = tuple(names[i] for i in wrt)
    _, raw_dot = driver.derivative(f, "forward", wrt_names).function(*args, *[v[i] for i in wrt])
    for t, o in zip(leaves(raw_dot), leaves(out)):
        assert np.shape(t) == np.shape(o), f"tangent shape {np.shape(t)} for an output of shape {np.shape(o)}"
        if isinstance(o, (np.ndarray, np.floating)):
            assert np.result_type(t) == np.result_type(o), f"tangent {np.result_type(t)} for output {o.dtype}"
    raw = driver.derivative(f, "reverse", wrt_names).function(*args, u)
    raw = (raw,) if len(wrt) == 1 else raw
    out_dtypes = {np.result_type(o) for o in leaves(out)}
    for i, g in zip(wrt, raw):
        if type(g) is float and g == 0.0:
            continue  # the compiler's literal zero: no derivative reaches this argument
        assert np.shape(g) == np.shape(args[i]), f"cotangent of {names[i]} shaped {np.shape(g)}"
        if isinstance(args[i], np.ndarray):  # its own dtype, or the output's if NumPy promoted the computation
            assert np.result_type(g) in {args[i].dtype} | out_dtypes, f"cotangent of {names[i]} is {np.result_type(g)}"


# -- one argument at a time: the tangent must still have the output's shape -------------------------------


def _single_params():
    params = []
    for prim, rule in _tested_rules():
        for case in cases_for(prim):
            shapes = [s.shape for s in case.args]
            if len(shapes) < 2:
                continue
            for i in range(len(shapes)) if case.wrt is None else case.wrt:
                params.append(pytest.param(prim, case, i, id=f"{rule.name}:{case.name}:arg{i}"))
    return params


@pytest.mark.parametrize("prim, case, position", _single_params())
def test_rule_one_argument_active(prim, case, position):
    """Forward mode with only one argument differentiated (the others are constants)."""
    f = case.func
    args, floats, wrt, rng = _arguments(prim, case, np.float64)
    if position not in floats:
        pytest.skip("not a float argument")
    names = _names(f)
    v = random_like(args[position], rng)
    out, tangent = driver.derivative(f, "forward", (names[position],)).function(*args, v)
    numeric = finite_difference(f, args, {position: v})
    for t, o, want in zip(leaves(tangent), leaves(out), numeric):
        assert np.shape(t) == np.shape(o), f"tangent shape {np.shape(t)} for an output of shape {np.shape(o)}"
        np.testing.assert_allclose(np.asarray(t, dtype=float), want, rtol=1e-5,
                                   atol=1e-5 * (1.0 + float(np.max(np.abs(want), initial=0.0))))


# -- rule shapes the library does not use yet: a linear rule in two arguments -------------------------


def _axpy_vjp(g, a, b):
    return g, 2.0 * g


class _Axpy:
    """a + 2 b with a "linear" rule in both arguments, carried on the object (as custom rules are)."""

    def __call__(self, a, b):
        return a + 2.0 * b


axpy = _Axpy()
axpy.__s2sad_rule__ = Rule(axpy, "linear", ("a", "b"), {}, ("a", "b"), None, _axpy_vjp, name="axpy")
C3 = np.array([1.0, -2.0, 3.0])


def _axpy_first(x):
    return axpy(x, C3)


def _axpy_second(x):
    return axpy(C3, x)


def test_a_linear_rule_in_two_arguments_zeroes_the_inactive_one():
    """The tangent of axpy(x, C) is axpy(x_dot, 0), not axpy(x_dot, C)."""
    x, v = np.array([0.5, 0.25, -1.0]), np.array([1.0, 2.0, 3.0])
    assert "zeros_like(C3)" in s2sad.source(_axpy_first, mode="forward")
    np.testing.assert_allclose(s2sad.jvp(_axpy_first, (x,), (v,))[1], v)
    np.testing.assert_allclose(s2sad.jvp(_axpy_second, (x,), (v,))[1], 2.0 * v)
    np.testing.assert_allclose(s2sad.vjp(_axpy_second, x)[1](v)[0], 2.0 * v)


# -- runtime.solve and runtime.inv: NumPy's values, through the matrix's structure ----------------------


def _matrices(n, rng):
    B = rng.normal(size=(n, n))
    K = B @ B.T + n * np.eye(n)
    L = np.linalg.cholesky(K)
    return {"symmetric": K, "lower": L, "upper": L.T, "": B + n * np.eye(n), "indefinite": B + B.T + 0.5 * np.eye(n)}


@pytest.mark.parametrize("n", [5, 33, 64, 65, 150])
def test_structured_solve_and_inverse_match_numpy(n):
    rng = np.random.default_rng(n)
    for kind, a in _matrices(n, rng).items():
        if n >= runtime.STRUCTURED_MIN and kind != "indefinite":
            assert runtime._structure(a) == kind
        for rhs in (rng.normal(size=n), rng.normal(size=(n, 3)), rng.normal(size=(n, 70))):
            np.testing.assert_allclose(runtime.solve(a, rhs), np.linalg.solve(a, rhs), rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(runtime.inv(a), np.linalg.inv(a), rtol=1e-8, atol=1e-11)
        a32 = a.astype(np.float32)
        assert runtime.solve(a32, np.ones(n, np.float32)).dtype == np.float32 and runtime.inv(a32).dtype == np.float32


def test_structured_paths_leave_batches_and_small_matrices_to_numpy():
    rng = np.random.default_rng(0)
    batch = np.stack([_matrices(40, rng)["lower"]] * 2)
    assert runtime._structure(batch) == runtime._structure(np.eye(3)) == ""
    np.testing.assert_allclose(runtime.solve(batch, np.ones((2, 40, 1))), np.linalg.solve(batch, np.ones((2, 40, 1))))


# -- conventions at kinks (docs/rules.md) ------------------------------------------------------------------


def _abs_sum(x):
    return np.sum(np.abs(x))


def _max_all(x):
    return np.max(x)


def _max_rows(x):
    return np.sum(np.max(x, axis=1))


def _maximum_pair(x, y):
    return np.sum(np.maximum(x, y))


def _minimum_pair(x, y):
    return np.sum(np.minimum(x, y))


def _clip_sum(x):
    return np.sum(np.clip(x, -1.0, 1.0))


def _norm_at_zero(x):
    return np.linalg.norm(x)


def _hypot_at_zero(x, y):
    return np.hypot(x, y)


def _std_constant(x):
    return np.std(x)


def _sort_weighted(x):
    return np.sum(np.sort(x) * np.array([1.0, 2.0, 3.0]))


def _prod(x):
    return np.prod(x)


def _builtin_max(x, y):
    return max(x, y)


def _math_fabs(x):
    return math.fabs(x)


def _norm_inf(x):
    return np.linalg.norm(x, ord=np.inf)


def test_kink_abs_slope_is_zero_at_zero():
    np.testing.assert_array_equal(s2sad.grad(_abs_sum)(np.array([0.0, 2.0, -3.0])), [0.0, 1.0, -1.0])
    assert s2sad.grad(_math_fabs)(0.0) == 0.0


def test_kink_tied_maxima_share_equally():
    np.testing.assert_allclose(s2sad.grad(_max_all)(np.array([1.0, 3.0, 3.0, 3.0])), [0, 1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(s2sad.grad(_max_rows)(np.array([[2.0, 2.0], [1.0, 0.0]])), [[0.5, 0.5], [1, 0]])
    _, t = s2sad.jvp(_max_all, (np.array([1.0, 3.0, 3.0]),), (np.array([0.0, 1.0, 0.0]),))
    assert t == 0.5
    np.testing.assert_allclose(s2sad.grad(_norm_inf)(np.array([-2.0, 2.0, 1.0])), [-0.5, 0.5, 0.0])


def test_kink_tied_maximum_and_minimum_share_equally():
    for f in (_maximum_pair, _minimum_pair):
        gx, gy = s2sad.grad(f, wrt=(0, 1))(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
        np.testing.assert_allclose(gx + gy, [1.0, 1.0])
        assert gx[0] == gy[0] == 0.5
    assert s2sad.grad(_builtin_max, wrt=(0, 1))(2.0, 2.0) == (0.5, 0.5)


def test_kink_clip_bounds_share_equally():
    np.testing.assert_allclose(s2sad.grad(_clip_sum)(np.array([-1.0, 0.0, 1.0, 2.0])), [0.5, 1.0, 0.5, 0.0])


def test_kink_norms_have_slope_zero_at_the_origin():
    np.testing.assert_array_equal(s2sad.grad(_norm_at_zero)(np.zeros(3)), np.zeros(3))
    assert s2sad.grad(_hypot_at_zero, wrt=(0, 1))(0.0, 0.0) == (0.0, 0.0)
    np.testing.assert_array_equal(s2sad.grad(_std_constant)(np.ones(4)), np.zeros(4))


def test_kink_sort_ties_share_equally():
    np.testing.assert_allclose(s2sad.grad(_sort_weighted)(np.array([1.0, 0.0, 1.0])), [2.5, 1.0, 2.5])
    _, t = s2sad.jvp(_sort_weighted, (np.array([1.0, 0.0, 1.0]),), (np.array([1.0, 0.0, 0.0]),))
    assert t == 2.5


def test_prod_is_exact_at_zeros():
    np.testing.assert_allclose(s2sad.grad(_prod)(np.array([0.0, 2.0, 3.0])), [6.0, 0.0, 0.0])
    np.testing.assert_allclose(s2sad.grad(_prod)(np.array([0.0, 2.0, 0.0])), [0.0, 0.0, 0.0])


# -- second order: the generated reverse code differentiated again in forward mode -----------------------


SECOND_ORDER_UNSUPPORTED = {"norm_2d_ord_2", "norm_2d_ord_-2", "norm_2d_ord_nuc"}  # through the SVD: not yet


def _second_order_params():
    """The float64 calls of every rule except the runtime helpers' (their rules' helpers have none: docs/rules.md)."""
    return [p for p in _params() if p.values[2] == np.float64 and not RULES[p.values[0]].name.startswith("s2sad.")
            and p.values[1].name not in SECOND_ORDER_UNSUPPORTED]


@pytest.mark.parametrize("prim, case, dtype", _second_order_params())
def test_rule_second_order(prim, case, dtype):
    """Forward over reverse: the rule's VJP, as generated, has derivatives that match finite differences.

    This exercises the rules of the runtime helpers that reverse rules emit."""
    f = case.func
    args, floats, wrt, rng = _arguments(prim, case, dtype)
    names = _names(f)
    u = random_like(f(*args), rng)
    pullback = driver.derivative(f, "reverse", tuple(names[i] for i in wrt)).function
    v = {i: random_like(args[i], rng) for i in wrt}
    tangents = [v.get(i, 0.0 * args[i]) if i in floats else None for i in range(len(args))]
    seed_tangent = 0.0 * u if is_float(u) else None  # the cotangent is held fixed
    _, hv = s2sad.jvp(pullback, (*args, u), (*tangents, seed_tangent))
    numeric = finite_difference(lambda *a: pullback(*a, u), args, v)
    for got, want in zip(leaves(hv), numeric):
        np.testing.assert_allclose(np.asarray(got, dtype=float), want, rtol=1e-4,
                                   atol=1e-4 * (1.0 + float(np.max(np.abs(want), initial=0.0))))


# -- batched forward mode: every rule's calls, B tangents in one pass -------------------------------------


def _batched_params():
    """The float64 calls of every rule: batched forward mode reads the entry's `batched` form."""
    return [p for p in _params() if p.values[2] == np.float64]


def _batch_of(x, rng, size=3):
    return np.stack([random_like(x, rng) for _ in range(size)])


@pytest.mark.parametrize("prim, case, dtype", _batched_params())
def test_rule_batched(prim, case, dtype):
    """B tangents pushed at once (`batched_jvp`: the rule's batch-aware form, its elementwise lift, or one
    column at a time) give what one JVP per column gives."""
    from s2sad import higher
    f = case.func
    args, floats, wrt, rng = _arguments(prim, case, dtype)
    if any(not isinstance(args[i], (float, np.ndarray)) for i in wrt):
        pytest.skip("a container argument: batched_jvp takes float arrays")
    batches = [_batch_of(args[i], rng) if i in wrt else None for i in range(len(args))]
    _, dots = higher.batched_jvp(f, args, batches)
    for k in range(3):
        column = [batches[i][k] if batches[i] is not None else (0.0 * args[i] if i in floats else None)
                  for i in range(len(args))]
        _, want = s2sad.jvp(f, args, column)
        got = leaves(_column(dots, k))
        assert len(got) == len(leaves(want))
        for value, expected in zip(got, leaves(want)):
            np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-14, err_msg=f"column {k} of the batch")


def _column(batched, k):
    """Column k of a batched tangent: of each item of a tuple or list, else row k (of an object array too)."""
    if isinstance(batched, (tuple, list)):
        return [_column(item, k) for item in batched]
    return np.asarray(batched)[k]
