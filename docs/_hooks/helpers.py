"""Tables the docs compute when they are built (see snippets.py): nothing here is typed by hand.

`constructs_table()` runs s2sad on one tiny function per Python construct and reports what
happens; `status(name)` says whether a name of the API contract is in `s2sad.__all__`.
"""

import collections
import contextlib
import math
import re

import numpy as np

import s2sad


def c_try(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y


def c_with(x):
    with open(__file__):
        y = x * 2
    return y


def c_global(x):
    global SOMETHING
    SOMETHING = x
    return x


def c_yield(x):
    yield x


def c_lambda(x):
    square = lambda t: t * t  # noqa: E731
    return square(x)


def c_nested_def(x):
    def square(t):
        return t * t
    return square(x)


def c_class(x):
    class Box:
        pass
    return x


def c_del(x):
    y = x * 2
    del y
    return x


def c_with_errstate(x):
    with np.errstate(divide="ignore"):
        y = np.log(x) * x
    return y


def c_with_suppress(x):
    with contextlib.suppress(ValueError):
        y = x * 2
    return y


def c_walrus(x):
    return (y := x * 2) + y


def c_walrus_while(x):
    r = x
    while (r := r * 0.5) > 0.1:
        x = x * r
    return x


def c_for_else(x):
    for _ in range(3):
        if x > 10.0:
            break
        x = x * 2.0
    else:
        x = x * x
    return x


def c_assert(x):
    assert x > 0, "x must be positive"
    return x * x


def c_starred(x):
    a, *_rest = (x, x, x)
    return a


def c_import(x):
    import math
    return math.sin(x)


def c_generator(x):
    return sum(x * i for i in range(3)) + max(x ** k for k in range(3) if k != 1)


def c_generator_any(x):
    return x * 2 if any(x > i for i in range(3)) else x


def c_generator_elsewhere(x):
    return np.sum(x * i for i in range(3))


def c_set_literal(x):
    return sum([x * k for k in range(4) if k in {0, 2}])


def c_set_comprehension(x):
    return len({t for t in (x,)})


def c_dict_comprehension(x):
    return {k: x for k in "ab"}["a"]


def c_recursion(x, n):
    if n == 0:
        return x
    return c_recursion(x * x, n - 1)


def c_no_rule(x):
    return math.gamma(x)


def c_kwargs(x, **options):
    return x


def _star_sum(*terms, **options):
    total = 0.0
    for t in terms:
        total = total + t
    return total * options["scale"]


def c_star_helper(x):
    return _star_sum(x, x * x, scale=2.0)


def _apply(fn, x):
    return fn(x)


def c_apply(x):
    return _apply(math.sin, x) + _apply(lambda z: z * x, x)


def c_chosen_at_run_time(x):
    total = 0.0
    for fn in [math.sin, math.cos]:
        total = total + _apply(fn, x)
    return total


def c_grad_inside(x):
    return x * s2sad.grad(lambda y: x * y * y)(1.0)


def c_jvp_inside(x):
    return s2sad.jvp(math.sin, (x,), (1.0,))[1] * x


Pair = collections.namedtuple("Pair", "w b")


def c_namedtuple_field(p):
    return p.w * p.b


class Model:
    def __init__(self, W, steps=2):
        self.W, self.steps = W, steps

    def __call__(self, x):
        return np.tanh(self.W @ x)

    def predict(self, x):
        return self(x) * self.steps


MODEL = (Model(np.eye(2)), np.ones(2))


def c_model_call(m, x):
    return np.sum(m(x) + m.predict(x))


def c_attribute_write(m, x):
    m.cache = x
    return np.sum(m(x))


def c_field_write(p):
    p.w[0] = 0.0
    return np.sum(p.w) * p.b


def c_array_named_field(params):
    return params["g"].shape * params["g"].scale


Gamma = collections.namedtuple("Gamma", "shape scale")


def c_method_of_an_item(models, x):
    return model_sum(models[0], x)


def model_sum(m, x):
    return np.sum(m.predict(x))


def c_list_comprehension(x):
    return sum([x * i for i in range(3)])


def c_while(x):
    while x < 10.0:
        x = x * 2.0
    return x


def c_setitem(x):
    y = np.zeros(3)
    y[0] = x
    y[1] = 2 * x
    return np.sum(y * y)


def c_append(x):
    ys = []
    for i in range(3):
        ys.append(x * i)
    return ys[2]


def c_dict(x):
    d = {"a": x, "b": 2 * x}
    return d["a"] * d["b"]


CONSTRUCTS = [
    ("`try` / `except`", c_try, (1.5,)),
    ("`with` of another context manager (`open`)", c_with, (1.5,)),
    ("`with contextlib.suppress(...)`", c_with_suppress, (1.5,)),
    ("`with np.errstate(...)` (also `np.printoptions`, `warnings.catch_warnings()`, `contextlib.nullcontext`)",
     c_with_errstate, (1.5,)),
    ("`global`", c_global, (1.5,)),
    ("`yield` (generators)", c_yield, (1.5,)),
    ("`lambda`", c_lambda, (1.5,)),
    ("`def` inside the function", c_nested_def, (1.5,)),
    ("`class` inside the function", c_class, (1.5,)),
    ("`del`", c_del, (1.5,)),
    ("assignment expression `:=`", c_walrus, (1.5,)),
    ("`:=` in a `while` test", c_walrus_while, (1.5,)),
    ("`for ... else` (and `while ... else`)", c_for_else, (1.5,)),
    ("`assert` (kept: it runs in the derivative too)", c_assert, (1.5,)),
    ("starred unpacking `a, *rest = ...`", c_starred, (1.5,)),
    ("`import` inside the function", c_import, (1.5,)),
    ("generator expression in `sum`, `max`, `min`, `list`, `tuple`, `sorted`", c_generator, (1.5,)),
    ("generator expression in `any`, `all`", c_generator_any, (1.5,)),
    ("generator expression anywhere else", c_generator_elsewhere, (1.5,)),
    ("set of constants (`k in {0, 2}`)", c_set_literal, (1.5,)),
    ("set comprehension", c_set_comprehension, (1.5,)),
    ("dict comprehension", c_dict_comprehension, (1.5,)),
    ("recursion", c_recursion, (1.5, 2)),
    ("a call with no rule and no source", c_no_rule, (1.5,)),
    ("`*args` / `**kwargs` in the signature of the function differentiated", c_kwargs, (1.5,)),
    ("a helper with `*args` / `**kwargs`, called with arguments written out", c_star_helper, (1.5,)),
    ("a function passed as an argument (`apply(math.sin, x)`, a lambda, a nested def)", c_apply, (1.5,)),
    ("a function chosen when the code runs (from a list, in a loop)", c_chosen_at_run_time, (1.5,)),
    ("`s2sad.grad(h)(y)` inside the function (h a function, lambda or nested def)", c_grad_inside, (1.5,)),
    ("`s2sad.jvp`, `jacobian`, `hessian`, ... inside the function, on values derivatives flow through", c_jvp_inside,
     (1.5,)),
    ("a namedtuple's field, a dataclass's or an object's attribute that derivatives flow through", c_namedtuple_field,
     (Pair(1.5, 3.0),)),
    ("a model object differentiated: `m(x)`, `m.predict(x)`, `self.W`", c_model_call, MODEL),
    ("assigning an attribute (`m.cache = x`)", c_attribute_write, MODEL),
    ("writing into a field (`p.w[0] = 0.0`)", c_field_write, (Pair(np.ones(2), 3.0),)),
    ("a record in a container with a field named like an array attribute (`params[\"g\"].shape`)",
     c_array_named_field, ({"g": Gamma(2.0, 1.5)},)),
    ("a method of an object derivatives flow through, whose class only the running code knows (`models[0]`)",
     c_method_of_an_item, ([MODEL[0]], MODEL[1])),
    ("list comprehension", c_list_comprehension, (1.5,)),
    ("`while` loop", c_while, (1.5,)),
    ("item assignment `y[i] = ...`", c_setitem, (1.5,)),
    ("`list.append`", c_append, (1.5,)),
    ("`dict` literals and indexing", c_dict, (1.5,)),
]


# -- complex values (docs/complex.md): what works and what is refused in complex mode -----------------------


def k_power_spectrum(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2)


def k_filter(x):
    return np.sum(np.fft.irfft(np.fft.rfft(x) * np.array([1.0, 0.5j, 0.25])) ** 2)


def k_maximum(x):
    z = np.fft.fft(x)
    return np.sum(np.real(np.maximum(z, 0.0)))


def k_helper(x):
    return k_spectrum_sum(np.fft.fft(x))


def k_spectrum_sum(z):
    return np.sum(np.abs(z))


def k_result(x):
    return np.fft.fft(x)[1]


def k_write(x):
    out = np.zeros(4, dtype=complex)
    out[:] = np.fft.fft(x)
    return np.sum(np.abs(out))


def k_rfft_of_complex(x):
    return np.sum(np.abs(np.fft.rfft(1j * x)))


def k_argument(x, h):
    return np.sum(np.abs(np.fft.rfft(x) * h))


def k_norm(x):
    return np.linalg.norm(np.fft.fft(x))


X4 = np.array([0.5, -1.0, 2.0, 0.25])
COMPLEX = [
    ("a spectral loss `np.sum(np.abs(np.fft.rfft(x)) ** 2)`", k_power_spectrum, (X4,)),
    ("filtering `np.fft.irfft(np.fft.rfft(x) * H)`", k_filter, (X4,)),
    ("a rule without complex support (`np.maximum`, `np.sort`, `np.where`, comparisons...) on complex values",
     k_maximum, (X4,)),
    ("`np.linalg.norm` of complex values (write `np.sqrt(np.sum(np.abs(z) ** 2))`)", k_norm, (X4,)),
    ("complex values passed to a function of yours", k_helper, (X4,)),
    ("a complex result of the function differentiated", k_result, (X4,)),
    ("writing complex values into an array", k_write, (X4,)),
    ("`np.fft.rfft` of complex values", k_rfft_of_complex, (X4,)),
    ("a complex argument `h` of a function that makes complex values", k_argument, (X4, np.array([1j, 1.0, 2.0]))),
]


# -- complex parameters and results at the entry points (s2sad/complex_io.py) ---------------------------------


def p_energy(z):
    return np.sum(np.abs(z) ** 2)


def p_square(z):
    return z ** 2


def p_not_holomorphic(z):
    return z * np.conj(z)


def p_maximum(z):
    return np.real(np.sum(np.maximum(z, 0.0)))


def p_conj_method(z):
    return np.sum(z.real * z.imag) + np.real(np.sum(z.conj() * z.conjugate()))


def p_phase(x):
    return np.exp(1j * x) * x


def p_in_a_dict(params):
    return np.abs(params["z"]) ** 2


Z2 = np.array([1.0 + 2.0j, -0.5 + 0.25j])
COMPLEX_PARAMETERS = [
    ("`grad` of a real function of complex `z` (`np.sum(np.abs(z) ** 2)`: `2 * np.conj(z)`)",
     lambda: s2sad.grad(p_energy)(Z2)),
    ("`value_and_grad`, `vjp`, `jvp` with complex `z`", lambda: (s2sad.value_and_grad(p_energy)(Z2),
                                                                  s2sad.vjp(p_square, Z2)[1](Z2),
                                                                  s2sad.jvp(p_square, (Z2,), (Z2,)))),
    ("`jacobian` of a real function of complex `z`, or of a complex function of real `x`",
     lambda: (s2sad.jacobian(p_energy)(Z2), s2sad.jacobian(p_phase)(X4))),
    ("`jacobian` of a holomorphic function (`z ** 2`: `f'(z)`)", lambda: s2sad.jacobian(p_square)(Z2)),
    ("`grad` of a complex result", lambda: s2sad.grad(p_square)(1.0 + 2.0j)),
    ("`jacobian` of a complex function that is not holomorphic (`z * np.conj(z)`)",
     lambda: s2sad.jacobian(p_not_holomorphic)(Z2)),
    ("`hessian`, `hvp`, `grad(grad(f))`", lambda: s2sad.hessian(p_energy)(Z2)),
    ("`jet`, `linearize`, `backend=\"numba\"`", lambda: s2sad.jet(p_energy, (Z2,), ([Z2],))),
    ("a rule without complex support on a complex parameter (`np.maximum`)", lambda: s2sad.grad(p_maximum)(Z2)),
    ("the methods `z.conj()`, `z.conjugate()` and the fields `z.real`, `z.imag`",
     lambda: s2sad.grad(p_conj_method)(Z2)),
    ("complex values inside a dict, a tuple or an object", lambda: s2sad.grad(p_in_a_dict)({"z": 1.0 + 2.0j})),
]


def complex_parameters_table():
    rows = ["| complex parameters and results | what s2sad does |", "|---|---|"]
    for label, run in COMPLEX_PARAMETERS:
        rows.append(f"| {label} | {ran(run).replace('|', '&#124;')} |")
    return "\n".join(rows) + "\n"


def ran(run):
    """'works' or the S2SADError run() raises."""
    try:
        run()
    except s2sad.S2SADError as exc:
        return f"refused: `{_where(str(exc))}`"
    except Exception as exc:  # a crash is a bug: show it, so it gets noticed
        return f"**crashes** ({type(exc).__name__}: {_where(str(exc))})"
    return "works"


def complex_table():
    rows = ["| complex values | what `s2sad.grad` does |", "|---|---|"]
    for label, func, args in COMPLEX:
        rows.append(f"| {label} | {outcome(func, args).replace('|', '&#124;')} |")
    return "\n".join(rows) + "\n"


def _where(message):
    """A message with paths cut to file names, so the page does not depend on the checkout."""
    return re.sub(r"(/[^\s:]+/)([^/\s:]+\.py)", r"\2", message)


def outcome(func, args):
    """What s2sad.grad does with func at args: 'works' or the error it raises."""
    try:
        s2sad.grad(func)(*args)
    except s2sad.S2SADError as exc:
        return f"refused: `{_where(str(exc))}`"
    except Exception as exc:  # a crash is a bug: show it, so it gets noticed
        return f"**crashes** ({type(exc).__name__}: {_where(str(exc))})"
    return "works"


def constructs_table():
    rows = ["| construct | what `s2sad.grad` does |", "|---|---|"]
    for label, func, args in CONSTRUCTS:
        rows.append(f"| {label} | {outcome(func, args).replace('|', '&#124;')} |")
    return "\n".join(rows) + "\n"


def status(name):
    """Nothing when s2sad.NAME is part of the package today, else a line saying it is not there yet."""
    if name in s2sad.__all__ and hasattr(s2sad, name):
        return ""
    return f"**Status: not implemented yet** (`s2sad.{name}` is not in `s2sad.__all__` of s2sad {s2sad.__version__}).\n"


# -- mistakes in how s2sad is called ------------------------------------------------------


def pair(x):
    return np.array([x, 2 * x])


def scaled(x, n):
    return x * n


def writes_argument(x):
    x[0] = 0.0
    return np.sum(x * x)


def _made_by_exec():
    namespace = {}
    exec("def made(x):\n    return x * x\n", namespace)
    return namespace["made"]


MISTAKES = [
    ("`grad` of a function that returns an array", lambda: s2sad.grad(pair)(1.0)),
    ("`wrt` names no parameter", lambda: s2sad.grad(scaled, wrt="q")(1.0, 3)),
    ("`wrt` names an integer argument", lambda: s2sad.grad(scaled, wrt="n")(1.0, 3)),
    ("a function built with `exec` (no source)", lambda: s2sad.grad(_made_by_exec())(1.0)),
    ("writing into an argument array", lambda: s2sad.grad(writes_argument)(np.ones(2))),
]


def mistakes_table():
    rows = ["| mistake | what s2sad says |", "|---|---|"]
    for label, call in MISTAKES:
        try:
            call()
            outcome = "works"
        except s2sad.S2SADError as exc:
            outcome = f"`{_where(str(exc))}`"
        except Exception as exc:
            outcome = f"**crashes** ({type(exc).__name__}: {_where(str(exc))})"
        rows.append(f"| {label} | {outcome.replace('|', '&#124;')} |")
    return "\n".join(rows) + "\n"
