"""Calls to the user's own functions: generated once, kept current, refused when recursive."""

import textwrap
import types

import numpy as np
import pytest

import s2sad


def module_from(source, name="user_module"):
    """A module with real source on disk semantics: linecache gives inspect the text."""
    import linecache

    filename = f"<test {name}>"
    text = textwrap.dedent(source)
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    module = types.ModuleType(name)
    module.__dict__["np"] = np
    exec(compile(text, filename, "exec"), module.__dict__)
    return module


def redefine(module, source):
    """What re-running a notebook cell does: the same name bound to a new function."""
    import linecache

    filename = f"<test {module.__name__} again {id(source)}>"
    text = textwrap.dedent(source)
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    exec(compile(text, filename, "exec"), module.__dict__)


def test_gradient_through_a_helper():
    m = module_from("""
        def helper(z):
            return z * z

        def f(x):
            return 3.0 * helper(x)
    """)
    assert s2sad.grad(m.f)(2.0) == pytest.approx(12.0)
    assert s2sad.jvp(m.f, (2.0,), (1.0,))[1] == pytest.approx(12.0)


def test_a_redefined_helper_is_seen_by_the_cached_derivative():
    m = module_from("""
        def helper(z):
            return z * z

        def f(x):
            return helper(x) + x
    """, "notebook")
    df = s2sad.grad(m.f)
    assert df(3.0) == pytest.approx(7.0)
    redefine(m, """
        def helper(z):
            return z * z * z
    """)
    assert df(3.0) == pytest.approx(28.0)
    assert s2sad.jvp(m.f, (3.0,), (1.0,))[1] == pytest.approx(28.0)


def test_a_helper_reached_twice_is_generated_once():
    m = module_from("""
        def helper(z):
            return np.sin(z)

        def f(x, y):
            return helper(x) * helper(y)
    """, "twice")
    code = s2sad.source(m.f, mode="reverse", wrt=(0, 1))
    assert code.count("def helper_fwd") == 1 and code.count("def helper_bwd") == 1
    gx, gy = s2sad.grad(m.f, wrt=(0, 1))(0.3, 0.7)
    assert gx == pytest.approx(np.cos(0.3) * np.sin(0.7))
    assert gy == pytest.approx(np.sin(0.3) * np.cos(0.7))


def test_the_callee_record_lives_on_the_callers_tape():
    m = module_from("""
        def step(z):
            return 4.0 * z * (1.0 - z)

        def f(x, n):
            for i in range(n):
                x = step(x)
            return x
    """, "tape")
    code = s2sad.source(m.f, mode="reverse")
    assert "step_fwd" in code and "push(_tape, step_record)" in code
    v, dv = 0.3, 1.0
    for _ in range(5):
        v, dv = 4 * v * (1 - v), dv * (4 - 8 * v)
    assert s2sad.grad(m.f)(0.3, 5) == pytest.approx(dv)


def test_recursion_recurses_in_the_derivative_too():
    m = module_from("""
        def power(x, n):
            if n == 0:
                return 1.0
            return x * power(x, n - 1)
    """, "recursive")
    assert s2sad.grad(m.power)(2.0, 3) == pytest.approx(12.0)  # 3 x**2
    assert s2sad.jvp(m.power, (2.0, 3), (1.0, 0.0))[1] == pytest.approx(12.0)


def test_mutual_recursion():
    m = module_from("""
        def even(x, n):
            if n == 0:
                return x
            return odd(x * 2.0, n - 1)

        def odd(x, n):
            return even(x + 1.0, n)
    """, "mutual")
    assert s2sad.grad(m.even)(2.0, 3) == pytest.approx(8.0)  # even(x, 3) = 8 x + 7


def test_a_method_of_an_object_made_inside_is_dispatched_when_it_runs():
    m = module_from("""
        import math

        class Box:
            def __init__(self, w):
                self.w = w

            def scaled(self, x):
                return self.w * x

        class Opaque:
            scaled = math.sin

        def f(x):
            box = Box(2.0)
            return box.scaled(x) * x

        def g(x):
            box = Opaque()
            return box.scaled(x)
    """, "local_object")
    assert s2sad.grad(m.f)(1.5) == pytest.approx(6.0)
    assert s2sad.jvp(m.f, (1.5,), (1.0,))[1] == pytest.approx(6.0)
    with pytest.raises(s2sad.S2SADError, match="Opaque.scaled"):
        s2sad.grad(m.g)(1.0)


def test_a_subclass_override_gets_its_own_derivative():
    m = module_from("""
        class Base:
            def inner(self, x):
                return x * x

            def outer(self, x):
                return self.inner(x) + x

        class Child(Base):
            def inner(self, x):
                return x * x * x

        base, child = Base(), Child()

        def f(x):
            return base.outer(x)

        def g(x):
            return child.outer(x)
    """, "subclass")
    assert s2sad.grad(m.f)(2.0) == pytest.approx(5.0)
    assert s2sad.grad(m.g)(2.0) == pytest.approx(13.0)


def test_a_function_without_source_or_rule_is_refused():
    import functools

    m = module_from("""
        def f(x):
            return opaque(x)
    """, "opaque")
    m.opaque = functools.partial(pow, exp=2)
    with pytest.raises(s2sad.S2SADError, match="opaque"):
        s2sad.grad(m.f)(2.0)


def test_a_nested_function_used_as_a_value_is_refused():
    m = module_from("""
        def f(x):
            def sq(z):
                return z * z
            g = sq
            return g(x)
    """, "nested_value")
    with pytest.raises(s2sad.S2SADError, match="'sq' used as a value"):
        s2sad.grad(m.f)(1.0)


def test_a_nested_function_reads_the_outer_variable_when_called():
    m = module_from("""
        def f(x):
            c = 1.0
            def scaled(z):
                return c * z * z
            first = scaled(x)
            c = 3.0
            return first + scaled(x)
    """, "late_binding")
    assert m.f(2.0) == pytest.approx(16.0)
    assert s2sad.grad(m.f)(2.0) == pytest.approx(16.0)


def test_every_transform_takes_a_bound_method_with_self_constant():
    m = module_from("""
        class Model:
            def __init__(self, k):
                self.k = k

            def energy(self, x, y):
                return self.k * x * x * y
    """, "bound_method")
    model = m.Model(3.0)
    assert s2sad.grad(model.energy)(2.0, 0.5) == pytest.approx(6.0)
    assert s2sad.grad(model.energy, wrt=(0, 1))(2.0, 0.5) == pytest.approx((6.0, 12.0))
    assert s2sad.grad(model.energy, wrt="y")(2.0, 0.5) == pytest.approx(12.0)
    assert s2sad.value_and_grad(model.energy)(2.0, 0.5) == pytest.approx((6.0, 6.0))
    assert s2sad.jvp(model.energy, (2.0, 0.5), (1.0, 0.0))[1] == pytest.approx(6.0)
    assert s2sad.vjp(model.energy, 2.0, 0.5)[1](1.0) == pytest.approx((6.0, 12.0))
    assert s2sad.hessian(model.energy)(2.0, 0.5) == pytest.approx(3.0)
    assert s2sad.hvp(model.energy, (2.0, 0.5), 1.0) == pytest.approx(3.0)
