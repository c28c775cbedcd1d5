"""The fuzzer's grammar for issue 13's constructs: the rest of the language, records, functions as values,
recursion, `has_aux`, complex intermediates (the library rules are in `library.py`).

A mixin of `generator._Gen`. Whether a program uses these at all, and where, is drawn from `self.extra`,
a random stream of its own (seed-derived), so a program that draws none is the program the seed gave
before. Every form here is one the docs call supported (docs/limitations.md, "Python constructs").

Records: a program may take `y` as a namedtuple `Rec`, a dataclass `Box` (with `__call__` and a
method reading `self.w`) or a plain object `Holder`, each holding `w` (a vector) and `b` (a float);
their classes are defined in the program itself (so their methods are the user's code), and the
arguments are made from them once the program is loaded (`Fields`, `materialize`).
"""

import ast
import dataclasses
import random

from .expressions import S, V

RECORD_CLASSES = {
    "Rec": 'Rec = collections.namedtuple("Rec", "w b")',
    "Box": ("@dataclasses.dataclass\nclass Box:\n    w: np.ndarray\n    b: float\n\n"
            "    def __call__(self, v):\n        return np.tanh(self.w * v + self.b)\n\n"
            "    def energy(self, v):\n        return np.sum(self(v) ** 2) * self.b"),
    "Holder": ("class Holder:\n    def __init__(self, w, b):\n        self.w, self.b = w, b\n\n"
               "    def shifted(self, v):\n        return self.w * v + self.b"),
}
METHODS = {"Rec": [], "Box": [("{y}({v})", V), ("{y}.energy({v})", S)], "Holder": [("{y}.shifted({v})", V)]}
RECORD = "R"  # the kind of a record parameter


@dataclasses.dataclass
class Fields:
    """A record argument before its class exists: the class's name (the program defines it) and its fields."""

    cls: str
    values: dict


# -- records as values (the checker's side) ---------------------------------------------------------


def is_record(value):
    """A namedtuple, a dataclass instance, a plain object with attributes, or `Fields`."""
    return isinstance(value, Fields) or (isinstance(value, tuple) and hasattr(value, "_fields")) or (
        not isinstance(value, (dict, list, tuple, float, int, complex)) and hasattr(value, "__dict__")
        and not hasattr(value, "shape"))


def fields_of(record):
    """The record's fields as a dict (a namedtuple's, a dataclass's, an object's attributes)."""
    if isinstance(record, Fields):
        return dict(record.values)
    if hasattr(record, "_asdict"):
        return dict(record._asdict())
    if dataclasses.is_dataclass(record):
        return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    return dict(vars(record))


def remake(record, values):
    """A record of the same class holding values (a dict of its fields)."""
    if isinstance(record, Fields):
        return Fields(record.cls, values)
    return type(record)(**values)


def materialize(args, module):
    """The arguments with each record made from the program's own class of that name (a case file's
    ARGS were made from the classes of another load of the same source)."""
    def one(a):
        if not is_record(a):
            return a
        name = a.cls if isinstance(a, Fields) else type(a).__name__
        return getattr(module, name)(**fields_of(a))
    return tuple(one(a) for a in args)


def record_literal(record, literal):
    """Python source making this record (for a case file's ARGS)."""
    name = record.cls if isinstance(record, Fields) else type(record).__name__
    return f"{name}(" + ", ".join(f"{k}={literal(v)}" for k, v in fields_of(record).items()) + ")"


# -- has_aux -----------------------------------------------------------------------------------


def aux_variant(source):
    """`f_aux`: f returning (value, aux) at each of its returns, aux a list holding the value and x."""
    tree = ast.parse(source)
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "f")

    class Returns(ast.NodeTransformer):
        def visit_FunctionDef(self, node):
            return self.generic_visit(node) if node is func else node  # a nested def keeps its returns

        def visit_Return(self, node):
            aux = ast.List([node.value, ast.Name("x", ast.Load())], ast.Load())
            return ast.Return(ast.Tuple([node.value, aux], ast.Load()))

    func = Returns().visit(func)
    func.name = "f_aux"
    return ast.unparse(ast.fix_missing_locations(func))


class Constructs:
    """Issue 13's statements and helpers; `self.extra` decides where they appear."""

    extra = None  # the construct stream: None in a program that uses none

    def setup_constructs(self, extra):
        """Start a program with constructs: module-level helpers they add, the record classes used."""
        self.extra = extra
        self.module_helpers = {}  # name -> source, emitted before the functions that call them
        self.records = set()

    # -- module level ----------------------------------------------------------------------

    def module_level(self):
        """Sources of the record classes and helpers the constructs used, in a fixed order."""
        classes = [RECORD_CLASSES[c] for c in RECORD_CLASSES if c in self.records]
        return classes + [self.module_helpers[k] for k in sorted(self.module_helpers)]

    def helper(self, name, source, entry=None):
        """A module-level helper (once per program); entry makes it one that call() may draw."""
        if name not in self.module_helpers:
            self.module_helpers[name] = source
            if entry:
                self.callables.append((name,) + entry)
        return name

    def construct_helpers(self):
        """Helpers drawn once a program: recursion with a depth the data decide, mutual recursion, a pairwise
        sum, *args / **kwargs, a function-valued default, a helper taking a record."""
        rng = self.extra
        if rng.random() < 0.3:
            self.helper("halve1", "def halve1(a):\n    if abs(a) < 0.2:\n        return np.sin(a)\n"
                        "    return halve1(a * 0.5) + 0.5 * a * a", ([S], S, []))
        if rng.random() < 0.2:
            self.helper("even1", "def even1(a, n):\n    return a if n == 0 else odd1(np.sin(a), n - 1)",
                        ([S, "N"], S, []))
            self.helper("odd1", "def odd1(a, n):\n    return a * a if n == 0 else even1(a * 0.9, n - 1)")
        if rng.random() < 0.2:
            self.helper("pair1", "def pair1(v, lo, hi):\n    if hi - lo == 1:\n        return np.sin(v[lo]) * v[lo]\n"
                        "    mid = (lo + hi) // 2\n    return pair1(v, lo, mid) + pair1(v, mid, hi)",
                        ([V, "=0", "=4"], S, []))
        if rng.random() < 0.2:
            self.helper("kw1", "def kw1(*terms, **options):\n    total = 0.0\n    for t in terms:\n"
                        "        total = total + np.sum(t)\n    return total * options[\"scale\"]",
                        ([S, V, "scale=S"], S, []))
        if rng.random() < 0.25:
            self.complex_helper(random.Random(rng.random()))
        if rng.random() < 0.2:
            self.helper("red1", "def red1(a, reduce=np.sum):\n    return reduce(np.tanh(a) ** 2) + 0.0",
                        ([V, "?reduce=F2"], S, []))

    # -- statements --------------------------------------------------------------------------

    def construct(self, scope):
        """One of issue 13's statements, drawn from the construct stream."""
        forms = [self.genexp, self.genexp, self.comprehension, self.walrus_if, self.walrus_while,
                 self.while_else, self.assert_stmt, self.errstate, self.import_inside, self.set_of_constants,
                 self.reduce_lambda, self.nested_defs, self.record_result, self.record_use]
        return self.extra.choice(forms)(scope)

    def new_scalar(self, scope, value):
        """`t = value` for a fresh float name t."""
        name = self.fresh(S)
        scope.names[name] = S
        return [f"{name} = {value}"]

    def indexed(self, scope, index):
        """A float expression reading vectors at `index` (a comprehension's variable)."""
        inner = scope.child(loop_index=index)
        return self.expr(inner, S, 1)

    def genexp(self, scope):
        """sum / max / min of a generator expression, with or without a condition, over enumerate too."""
        form = self.rng.randrange(5)
        if form == 0:
            parts = ", ".join(self.expr(scope, V, 1) for _ in range(2))
            return self.new_scalar(scope, f"sum(np.sum(p ** 2) * (m + 1) for m, p in enumerate([{parts}]))")
        if form == 1:
            word = self.rng.choice(["max", "min"])
            return self.new_scalar(scope, f"{word}({self.indexed(scope, 'm')} + 0.1 * m for m in range(4) if m != "
                                          f"{self.rng.randrange(4)})")
        if form == 2:
            return self.new_scalar(scope, f"sum({self.indexed(scope, 'm')} for m in range(4) if m % 2 == 1)")
        if form == 3:
            vectors = scope.of_kind(V) or ["np.linspace(-1.0, 1.0, 4)"]
            return self.new_scalar(scope, f"sum(np.tanh(e) * {self.leaf(scope, S)} for e in "
                                          f"{self.rng.choice(vectors)} if e > -0.2)")
        return self.new_scalar(scope, f"sum({self.indexed(scope.child(loop_index='n'), 'm')} * (n + 1) "
                                      f"for m in range(3) for n in range(m, 4))")

    def comprehension(self, scope):
        """A list or dict comprehension with a condition, a tuple of a generator, `any` / `all` as a test."""
        form = self.rng.randrange(4)
        if form == 0:
            name = self.fresh("L")
            line = f"{name} = [{self.indexed(scope, 'm')} for m in range(4) if m != {self.rng.randrange(4)}]"
            return [line] + self.new_scalar(scope, f"{name}[0] * {name}[-1] + {name}[1]")
        if form == 1:
            name = self.fresh("D")
            line = f"{name} = {{m: {self.indexed(scope, 'm')} * m for m in range(4) if m != 1}}"
            return [line] + self.new_scalar(scope, f"{name}[0] + {name}[3] * {name}[2]")
        if form == 2:
            name = self.fresh("L")
            return [f"{name} = tuple({self.indexed(scope, 'm')} for m in range(3))"] + self.new_scalar(
                scope, f"{name}[0] * {name}[2] + {name}[1]")
        target = self.new_scalar(scope, self.expr(scope, S, 1))
        name = target[0].split(" = ")[0]
        word = self.rng.choice(["any", "all"])
        test = f"{word}({self.indexed(scope, 'm')} > 0.2 for m in range(4))"
        return target + [f"if {test}:", f"    {name} = {name} * {self.bounded(scope, S)}"]

    def walrus_if(self, scope):
        """`if (w := e) > c:` with w read in both branches and after."""
        name = self.fresh(S)
        test = f"({name} := {self.expr(scope, S, 2)}) > {self.rng.choice(['0.0', '0.3'])}"
        scope.names[name] = S
        out = self.fresh(S)
        lines = [f"{out} = 0.0", f"if {test}:", f"    {out} = {name} * {self.bounded(scope, S)}",
                 "else:", f"    {out} = {name} + {self.expr(scope, S, 1)}"]
        scope.names[out] = S
        return lines

    def walrus_while(self, scope):
        """`while (r := r * 0.6) > 0.1:` from a start the data decide: at most about six trips."""
        if scope.counter is not None or self.depth >= 2:
            return self.walrus_if(scope)
        r, acc = self.fresh(S, prefix="r"), self.fresh(S)
        lines = [f"{r} = abs({self.expr(scope, S, 1)}) + 0.6", f"{acc} = 0.0",
                 f"while ({r} := {r} * 0.6) > 0.1:"]
        inner = scope.child(in_loop=True, counter=r)
        inner.names[r] = S
        lines += [f"    {acc} = {acc} + {r} * {self.bounded(inner, S)}"]
        scope.names[acc] = S
        return lines

    def while_else(self, scope):
        """A `while` whose `break` decides whether its `else` runs."""
        if scope.counter is not None or self.depth >= 2:
            return self.for_else(scope)
        counter, acc = self.fresh(S, prefix="k"), self.fresh(S)
        inner = scope.child(in_loop=True, counter=counter)
        inner.names[acc] = S
        self.depth += 1
        body = self.block(inner, self.rng.randint(1, 2))
        self.depth -= 1
        lines = [f"{acc} = {self.expr(scope, S, 1)}", f"{counter} = 0", f"while {counter} < 3:",
                 f"    {counter} = {counter} + 1"] + ["    " + line for line in body]
        lines += [f"    {acc} = {acc} * {self.bounded(inner, S)}", f"    if {self.condition(inner, simple=True)}:",
                  "        break", "else:", f"    {acc} = {acc} * 0.5 + 0.1"]
        scope.names[acc] = S
        return lines

    def for_else(self, scope):
        """A `for` over range whose `break` decides whether its `else` runs."""
        acc = self.fresh(S)
        inner = scope.child(in_loop=True, loop_index="m")
        inner.names[acc] = S
        lines = [f"{acc} = {self.expr(scope, S, 1)}", "for m in range(3):",
                 f"    {acc} = {acc} + {self.bounded(inner, S)}", f"    if {self.condition(inner, simple=True)}:",
                 "        break", "else:", f"    {acc} = {acc} * 0.5"]
        scope.names[acc] = S
        return lines

    def assert_stmt(self, scope):
        """`assert` on values: kept in the primal sweep, no derivative."""
        if scope.of_kind(V) and self.rng.random() < 0.5:
            return [f"assert np.all(np.isfinite({self.rng.choice(scope.of_kind(V))})), \"not finite\""]
        return [f"assert {self.expr(scope, S, 1)} < 1e300"]

    def errstate(self, scope):
        """`with np.errstate(...)`: its body, whose names stay visible after it."""
        setting = self.rng.choice(['divide="ignore", invalid="ignore"', 'all="ignore"', 'over="warn"'])
        self.depth += 1
        body = self.block(scope, self.rng.randint(1, 2))
        self.depth -= 1
        return [f"with np.errstate({setting}):"] + ["    " + line for line in body]

    def import_inside(self, scope):
        """`from numpy import ... as ...` inside the function, then used (one name per import)."""
        name = self.rng.choice(["sinh", "arctan", "cosh"])
        alias = f"{name}{self.count}"
        return [f"from numpy import {name} as {alias}"] + self.new_scalar(
            scope, f"{alias}(np.tanh({self.expr(scope, S, 1)}))")

    def set_of_constants(self, scope):
        """`if m in {0, 2}:` in a loop: a set of constants is a constant."""
        acc = self.fresh(S)
        inner = scope.child(in_loop=True, loop_index="m")
        lines = [f"{acc} = 0.0", "for m in range(4):", f"    if m in {{0, {self.rng.choice([2, 3])}}}:",
                 f"        {acc} = {acc} + {self.indexed(inner, 'm')}", "    else:",
                 f"        {acc} = {acc} - 0.5 * {self.bounded(inner, S)}"]
        scope.names[acc] = S
        return lines

    def reduce_lambda(self, scope):
        """functools.reduce with a lambda over a list of floats."""
        items = ", ".join(self.bounded(scope, S) for _ in range(3))
        return self.new_scalar(scope, f"functools.reduce(lambda u, w: u * w + u, [{items}])")

    def nested_defs(self, scope):
        """Nested functions (one reading an outer name) calling each other, a lambda, a function passed on."""
        if scope.in_loop:
            return self.reduce_lambda(scope)
        k = self.count
        captured = self.leaf(scope, S)
        if self.rng.random() < 0.5:
            lines = [f"def inner{k}(u):", f"    return np.tanh(u) * {captured}", "",
                     f"def outer{k}(u):", f"    return inner{k}(u) * u + u"]
            call = f"outer{k}"
        else:
            lines = [f"sq{k} = lambda u: u * u * 0.5 + {captured}"]
            call = f"sq{k}"
        apply = self.helper("apply2", "def apply2(fn, a):\n    return fn(a) * 0.5")
        use = self.rng.choice([f"np.sum({call}({self.expr(scope, V, 1)}))", f"{call}({self.expr(scope, S, 1)})",
                               f"np.sum({apply}({call}, {self.expr(scope, V, 1)}))"])
        return lines + self.new_scalar(scope, use)

    def record_result(self, scope):
        """A namedtuple made by a helper (or in place) and read by field and by index."""
        self.records.add("Rec")
        self.helper("mk1", "def mk1(a, b):\n    return Rec(np.sin(a) * b, np.sum(a * a) * b)")
        name = self.fresh(S, prefix="rec")
        value = self.rng.choice([f"mk1({self.expr(scope, V, 1)}, {self.expr(scope, S, 1)})",
                                 f"Rec({self.expr(scope, V, 1)}, {self.expr(scope, S, 1)})",
                                 f"Rec(w={self.expr(scope, V, 1)}, b={self.expr(scope, S, 1)})"])
        scope.names[f"{name}.w"], scope.names[f"{name}.b"] = V, S
        return [f"{name} = {value}"] + self.new_scalar(scope, f"{name}[1] * {name}.b + np.sum({name}.w)")

    def record_use(self, scope):
        """A record parameter passed to a helper, or a method of it called (`y(v)`, `y.energy(v)`)."""
        cls = getattr(self, "record_param", None)
        if cls is None or "y.w" not in scope.names:
            return self.record_result(scope)
        if METHODS[cls] and self.rng.random() < 0.6:
            form, kind = self.rng.choice(METHODS[cls])
            call = form.format(y="y", v=self.expr(scope, V, 1))
            return self.new_scalar(scope, call if kind == S else f"np.sum({call})")
        self.helper("use1", "def use1(p, a):\n    return np.sum(np.tanh(p.w * a)) + p.b * p.b")
        return self.new_scalar(scope, f"use1(y, {self.expr(scope, V, 1)})")

