"""Random programs over what the docs call supported, as readable Python source.

Invariant: `generate(seed)` is a pure function of the seed. It returns a `Program` whose source
defines `f(x, y)` (and maybe helpers `h1`, `h2` it calls) returning a float, and the arguments to
call it with. `x` is a float or a vector of length 4, `y` a float, a vector, or a dict of two
floats. Values stay well-conditioned: nonlinear pieces are bounded (tanh, sin, cos), divisions and
logs see `e * e + 1.0`, loops run at most four times, so finite differences are meaningful.

Every construct drawn here is one the docs list as supported (tutorial, limitations.md, coverage.md):
arithmetic and powers, NumPy ufuncs and reductions, index reads and writes, local arrays and
their aliases, `for` over ranges (fixed or data-dependent, sometimes with an `else`) and over
arrays, `while` with `and` / `or`, `break` / `continue` / early `return`, helpers calling
helpers, a helper that calls itself (recursion, now and then), a helper taking a gradient inside
(`s2sad.grad(inner1)(b, a)`, now and then), lists (summed whole, a comprehension is written
as a generator expression), dicts.
"""

import random
from dataclasses import dataclass

import numpy as np

from .constructs import RECORD, RECORD_CLASSES, Constructs, Fields, aux_variant
from .expressions import Expressions, N, S, V
from .library import SCIPY_IMPORTS, Library

# Names a user may well choose that the generated code also uses (runtime helpers, suffixes):
# the docs promise a clash gets a fresh name, so the generator draws them now and then.
TRICKY = ["add", "mul", "pos", "out", "x_bar", "y_dot", "tape", "t1", "unbroadcast", "sin_x"]


@dataclass
class Program:
    """One generated case: its source, the seed it came from and the point to check it at."""

    seed: int
    source: str
    args: tuple

    def with_source(self, source):
        """The same case with other source (the shrinker's candidates)."""
        return Program(self.seed, source, self.args)

    def with_args(self, args):
        """The same case at other arguments (records made from the loaded program's classes)."""
        return Program(self.seed, self.source, args)


def generate(seed):
    """The program for this seed (deterministic)."""
    rng = random.Random(seed)
    kinds = (rng.choice([S, V, V]), rng.choice([S, S, V, "D"]))
    gen = _Gen(rng)
    extra = random.Random(seed ^ 0x1313)  # issue 13's constructs (constructs.py): their own stream, in half the seeds
    rich = extra.random() < 0.5
    if rich:
        gen.setup_constructs(extra)
        if extra.random() < 0.25:  # y a record: a namedtuple, a dataclass with methods, or a plain object
            gen.record_param = extra.choice(sorted(RECORD_CLASSES))
            gen.records.add(gen.record_param)
            kinds = (kinds[0], RECORD)
        gen.construct_helpers()
    helpers = gen.helpers()
    if random.Random(seed ^ 0x5EED).random() < 0.2:  # its own draw: the other seeds' programs are unchanged
        helpers.append(gen.recursive(random.Random(seed ^ 0xC0DE)))
    if random.Random(seed ^ 0xF00D).random() < 0.2:  # its own draw too: *args, or a function passed as an argument
        helpers.append(gen.higher_order(random.Random(seed ^ 0xFACE)))
    inner = random.Random(seed ^ 0xBEEF).random() < 0.15  # its own draw: a gradient taken inside (inner.py)
    if inner:
        helpers.append(gen.inner_gradient(random.Random(seed ^ 0xD1FF)))
    body = gen.function("f", [("x", kinds[0]), ("y", kinds[1])], S, top=True)
    if rich:
        helpers = gen.module_level() + helpers
        if extra.random() < 0.2:  # f_aux: f returning (value, aux), for grad's has_aux
            body += "\n\n\n" + aux_variant(body)
    source = _imports(gen, inner, rich) + "\n\n\n".join(helpers + [body]) + "\n"
    args = _arguments(seed, kinds)
    if kinds[1] == RECORD:
        args = (args[0], Fields(gen.record_param, {"w": args[1], "b": float(args[1][0] * 0.5 + 0.3)}))
    return Program(seed, source, args)


def _imports(gen, inner, rich):
    """The program's imports: what its constructs use, nothing more (a program without them is unchanged)."""
    lines = "import math\n\nimport numpy as np\n\n" + ("import s2sad\n\n" if inner else "")
    if rich:
        lines = ("import collections\nimport dataclasses\nimport functools\n" + lines
                 + (SCIPY_IMPORTS + "\n" if getattr(gen, "uses_scipy", False) else ""))
    return lines + "\n"


def _arguments(seed, kinds):
    """Inputs in [-1.3, 1.3]: away from zero often enough that no rule sits on its kink."""
    rng = np.random.default_rng(seed)

    def one(kind):

        """A random value of this kind."""
        if kind == S:
            return float(rng.uniform(-1.3, 1.3))
        if kind in (V, RECORD):  # a record's fields are made from a vector (generate)
            return rng.uniform(-1.3, 1.3, N)
        return {"a": float(rng.uniform(-1.3, 1.3)), "b": float(rng.uniform(-1.3, 1.3))}

    return tuple(one(k) for k in kinds)


class _Scope:
    """The names visible at one point: name -> kind, plus what a loop body may use."""

    def __init__(self, names, loop_index=None, in_loop=False, counter=None):
        self.names = dict(names)
        self.loop_index = loop_index  # an int name ranging over 0..N-1, usable as an index
        self.in_loop = in_loop
        self.counter = counter  # a while loop's counter: never reassigned by the body

    def child(self, **changes):

        """A copy for a nested block, with some fields changed: its new names do not leak out."""
        kid = _Scope(self.names, self.loop_index, self.in_loop, self.counter)
        for key, value in changes.items():
            setattr(kid, key, value)
        return kid

    def writable(self, kinds):
        """The names of these kinds an assignment may rebind: not a record's fields (`y.w`)."""
        return [n for n, k in self.names.items() if k in kinds and "." not in n]

    def of_kind(self, kind):

        """The visible names holding values of this kind."""
        return [n for n, k in self.names.items() if k == kind]


class _Gen(Constructs, Library, Expressions):
    """The grammar: one method per kind of statement or expression, each drawing from rng (the
    expressions' methods are in `expressions.py`)."""

    def __init__(self, rng):
        self.rng = rng
        self.count = 0
        self.callables = []  # (name, [param kinds], return kind, keyword-only names)
        self.depth = 0

    # -- names ---------------------------------------------------------------------------

    def fresh(self, kind, prefix=None):

        """A new name; now and then one the generated code also uses, which s2sad must rename around."""
        self.count += 1
        if self.rng.random() < 0.04:
            name = self.rng.choice(TRICKY)
            if name not in self.used:
                self.used.add(name)
                return name
        name = (prefix or {"S": "s", "V": "v", "L": "lst", "D": "d", "A": "arr"}[kind]) + str(self.count)
        self.used.add(name)
        return name

    # -- functions -----------------------------------------------------------------------

    def helpers(self):
        """Zero to two helpers; the second may call the first (helpers calling helpers)."""
        out = []
        for index in range(self.rng.choice([0, 0, 1, 1, 2])):
            name = f"h{index + 1}"
            params = [(p, self.rng.choice([S, S, V])) for p in ["a", "b"][: self.rng.choice([1, 2])]]
            ret = self.rng.choice([S, S, V])
            keyword = self.rng.random() < 0.1
            out.append(self.function(name, params, ret, keyword=keyword))
            self.callables.append((name, [k for _, k in params], ret, ["c"] if keyword else []))
        return out

    def recursive(self, rng):
        """`r1(a, n)`, a helper that calls itself n levels deep (drawn from its own rng)."""
        kind = rng.choice([S, V])
        main, self.rng = self.rng, rng
        self.used = {"a", "n", "i", "j", "k", "e"}
        scope = _Scope([("a", kind)])
        base, step, extra = (self.expr(scope, kind, 1) for _ in range(3))
        self.rng = main
        self.callables.append(("r1", [kind, "N"], kind, []))
        return (f"def r1(a, n):\n    if n <= 0:\n        return {base}\n"
                f"    return 0.5 * r1(np.tanh({step}), n - 1) + {extra}")

    def higher_order(self, rng):
        """`star1(*terms, c=1.0)`, a helper summing its *args, or `apply1(fn, a)`, one calling the function it is
        passed (np.sin, np.tanh, np.exp at the call): specialized copies (specialize.py). Its own rng."""
        if rng.random() < 0.5:
            self.callables.append(("star1", [S, S], S, ["c"]))
            return ("def star1(*terms, c=1.0):\n    total = 0.0\n    for t in terms:\n"
                    "        total = total + t\n    return c * total")
        kind = rng.choice([S, V])
        self.callables.append(("apply1", ["F", kind], kind, []))
        return f"def apply1(fn, a):\n    return {rng.choice(['0.5', '1.5'])} * fn(a) + a"

    def inner_gradient(self, rng):
        """`grad1(a, b)`, d/dt inner1(t, a) at t = b by `s2sad.grad(inner1)(b, a)` (or value_and_grad): JAX's
        grad taken inside a differentiated function, the outer derivative flowing through a. A named inner1, not
        a lambda reading a: a lambda's closure is new at every call, so each call of f would build the inner
        derivative again, too slow for finite differences (lambdas are in tests/test_jax_nesting.py)."""
        main, self.rng = self.rng, rng
        self.used = {"a", "b", "t", "i", "j", "k", "e"}
        scope = _Scope([("t", S), ("a", S)])
        body = f"{self.expr(scope, S, 1)} * t + np.sin(a * t)"
        self.rng = main
        self.callables.append(("grad1", [S, S], S, []))
        form = rng.choice(["s2sad.grad(inner1)(b, a)", "s2sad.value_and_grad(inner1)(b, a)[1]"])
        return f"def inner1(t, a):\n    return {body}\n\n\ndef grad1(a, b):\n    return {form}"

    def function(self, name, params, ret, top=False, keyword=False):

        """One function's source: a few statements, then a return that reads what they computed."""
        self.used = {p for p, _ in params} | {"i", "j", "k", "e", "m", "n", "u", "w", "p"}
        self.ret = ret
        scope = _Scope(params)
        for p, kind in params:
            if kind == RECORD:  # its fields are read as names are, never written (limitations.md)
                scope.names[f"{p}.w"], scope.names[f"{p}.b"] = V, S
        if keyword:
            scope.names["c"] = S
        lines = self.block(scope, self.rng.randint(2, 6) if top else self.rng.randint(1, 3))
        lines.append(f"return {self.result(scope, ret)}")
        args = ", ".join(p for p, _ in params) + (", *, c=0.5" if keyword else "")
        return f"def {name}({args}):\n" + _indent(lines)

    def result(self, scope, kind):
        """The returned value, reading several of the names computed, so that few statements are dead."""
        names = [n for n, k in scope.names.items() if k == kind and n not in ("x", "y")]
        picked = self.rng.sample(names, min(len(names), 3))
        terms = [self.expr(scope, kind, 1)] + [f"{self.rng.choice(['0.5', '1.5', '-0.3'])} * {n}" for n in picked]
        if kind == S:
            terms += [f"np.sum({n})" for n in scope.of_kind(V) if n not in ("x", "y")][:1]
        return " + ".join(terms)

    # -- statements ----------------------------------------------------------------------

    def block(self, scope, count):

        """count statements in scope, each seeing the names the earlier ones made."""
        lines = []
        for _ in range(count):
            lines += self.statement(scope)
        return lines

    def statement(self, scope):
        """One statement, drawn by weight; compound ones only while not nested too deep."""
        if self.extra is not None and self.extra.random() < 0.15:  # issue 13's statements (constructs.py)
            return self.construct(scope)
        choices = [(self.assign_new, 5), (self.reassign, 3), (self.local_array, 2), (self.lists, 1), (self.dicts, 1)]
        if self.depth < 2:
            choices += [(self.if_stmt, 2), (self.for_range, 2), (self.for_array, 1), (self.while_loop, 1)]
        if scope.in_loop:
            choices += [(self.exit_stmt, 1)]
        funcs, weights = zip(*choices)
        return self.rng.choices(funcs, weights)[0](scope)

    def assign_new(self, scope):

        """A new name for a new value; sometimes by tuple unpacking, swapping with an old one."""
        kind = self.rng.choice([S, S, V])
        value = self.expr(scope, kind)
        if self.rng.random() < 0.1 and scope.writable((S,)):  # tuple unpacking
            other = self.rng.choice(scope.writable((S,)))
            value = self.expr(scope, S)
            name = self.fresh(S)
            scope.names[name] = S
            return [f"{name}, {other} = {other}, {value}"]
        name = self.fresh(kind)
        scope.names[name] = kind
        return [f"{name} = {value}"]

    def reassign(self, scope):

        """An old name rebound or updated (`s += e`): the updates reverse mode has to undo."""
        names = [n for n in scope.writable((S, V)) if n not in ("x", "y", scope.counter)]
        if not names:
            return self.assign_new(scope)
        name = self.rng.choice(names)
        kind = scope.names[name]
        sym = self.rng.choice([None, "+", "-", "*"])
        value = self.bounded(scope, S) if sym == "*" else self.expr(scope, kind)
        if sym is None:
            return [f"{name} = {value}"]
        if kind == V:  # never in place on a vector: it may be the caller's argument
            return [f"{name} = {name} {sym} ({value})"]
        return [f"{name} {sym}= {value}"]

    def local_array(self, scope):
        """A local array written by index and slice, maybe through an alias (`u = t`)."""
        name = self.fresh("A")
        start = self.rng.choice(["np.zeros(4)", "np.ones(4) * 0.5"] + [f"{v}.copy()" for v in scope.of_kind(V)])
        lines = [f"{name} = {start}"]
        target = name
        if self.rng.random() < 0.15:
            target = self.fresh("A")
            lines.append(f"{target} = {name}")
            scope.names[target] = V
        for _ in range(self.rng.randint(1, 3)):
            lines.append(self.write(scope, target))
        if self.rng.random() < 0.3:  # the whole array in a loop, index computed from the counter
            op = self.rng.choice(["=", "+=", "*="])
            index = self.rng.choice(["i", "3 - i"])
            inner = scope.child(loop_index="i", in_loop=True)
            lines += ["for i in range(4):", f"    {target}[{index}] {op} {self.bounded(inner, S)}"]
        scope.names[name] = V
        return lines

    def write(self, scope, target):

        """One write into a local array: an item (maybe augmented), a slice, or the whole of it."""
        kind = self.rng.random()
        if kind < 0.5:
            op = self.rng.choice(["=", "+=", "-=", "*="])
            return f"{target}[{self.rng.randrange(N)}] {op} {self.expr(scope, S)}"
        if kind < 0.8:
            lo = self.rng.randrange(N - 1)
            hi = self.rng.randrange(lo + 1, N + 1)
            value = self.rng.choice([self.expr(scope, S), f"({self.expr(scope, V)})[{lo}:{hi}]"])
            return f"{target}[{lo}:{hi}] = {value}"
        return f"{target}[:] = {self.expr(scope, V)}"

    def lists(self, scope):
        """A list built by literal, comprehension or append, then read whole or by item."""
        name = self.fresh("L")
        form = self.rng.random()
        vectors = scope.of_kind(V)
        if form < 0.35 or not vectors:
            lines = [f"{name} = [{self.expr(scope, S)}, {self.expr(scope, S)}]"]
        elif form < 0.7:
            lines = [f"{name} = [{self.unary('e', S)} * {self.leaf(scope, S)} for e in {self.rng.choice(vectors)}]"]
        else:
            inner = scope.child(in_loop=True, loop_index="i")
            lines = [f"{name} = []", "for i in range(3):", f"    {name}.append({self.expr(inner, S)})"]
        use = self.rng.choice([f"sum({name})", f"{name}[0]", f"{name}[-1]", f"np.sum(np.array({name}))"])
        factor = self.leaf(scope, S)
        target = self.fresh(S)
        scope.names[target] = S
        if use == f"sum({name})" and lines[0].endswith("]") and " for e in " in lines[0]:
            # the comprehension summed whole: as a generator expression (no draw, so the seeds' other choices stay)
            return [f"{target} = sum({lines[0][len(name) + 4:-1]}) * {factor}"]
        return lines + [f"{target} = {use} * {factor}"]

    def dicts(self, scope):

        """A dict literal, one item updated, both read: dicts are documented as differentiable."""
        name = self.fresh("D")
        lines = [f'{name} = {{"p": {self.expr(scope, S)}, "q": {self.expr(scope, S)}}}']
        key = self.rng.choice(["p", "q"])
        lines.append(f'{name}["{key}"] = {name}["{key}"] * {self.bounded(scope, S)}')
        target = self.fresh(S)
        scope.names[target] = S
        return lines + [f'{target} = {name}["p"] + {name}["q"]']

    def if_stmt(self, scope):

        """if / elif / else, each branch a block of its own."""
        self.depth += 1
        lines = [f"if {self.condition(scope)}:"] + _indent_lines(self.branch(scope))
        if self.rng.random() < 0.3:
            lines += [f"elif {self.condition(scope)}:"] + _indent_lines(self.branch(scope))
        if self.rng.random() < 0.6:
            lines += ["else:"] + _indent_lines(self.branch(scope))
        self.depth -= 1
        return lines

    def branch(self, scope):
        """A body whose new names stay inside it (they might not exist after the statement)."""
        inner = scope.child()
        return self.block(inner, self.rng.randint(1, 2))

    def for_range(self, scope):

        """A for loop over range: a fixed count, or one read from the data through int()."""
        self.depth += 1
        trips = self.rng.choice(["3", "4", "2", "data"])
        lines = []
        if trips == "data":  # a trip count read from the data: 1 to 3
            bound = self.fresh(S, prefix="n")
            lines.append(f"{bound} = int(2.0 * np.tanh({self.leaf(scope, S)}) ** 2) + 1")
            trips = bound
        index = "i" if scope.loop_index is None else "j"
        inner = scope.child(loop_index=index, in_loop=True)
        body = self.block(inner, self.rng.randint(1, 3))
        self.depth -= 1
        lines += [f"for {index} in range({trips}):"] + _indent_lines(body)
        return lines + self.loop_else(scope, body)

    def loop_else(self, scope, body):
        """Now and then (every other loop that breaks; no draw) an `else:` that runs when it did not break."""
        names = [n for n in scope.writable((S,)) if n not in ("x", "y", scope.counter)]
        if not names or self.count % 2 or not any(line.strip() == "break" for line in body):
            return []
        name = names[self.count % len(names)]
        return ["else:", f"    {name} = {name} * 0.5 + 0.1"]

    def for_array(self, scope):

        """A for loop over the items of a vector."""
        vectors = scope.of_kind(V)
        if not vectors or "e" in scope.names:
            return self.for_range(scope)
        self.depth += 1
        inner = scope.child(in_loop=True)
        inner.names["e"] = S
        body = self.block(inner, self.rng.randint(1, 2))
        self.depth -= 1
        return [f"for e in {self.rng.choice(vectors)}:"] + _indent_lines(body)

    def while_loop(self, scope):
        """`while` on a counter and a data condition joined by and / or: at most 4 trips."""
        if scope.counter is not None:
            return self.for_range(scope)
        self.depth += 1
        counter = self.fresh(S, prefix="k")
        data = self.condition(scope, simple=True)
        cond = self.rng.choice([f"{counter} < 4 and {data}", f"{counter} < 3 and ({data} or {counter} < 1)",
                                f"{counter} < 3"])
        inner = scope.child(in_loop=True, counter=counter)
        body = [f"{counter} = {counter} + 1"] + self.block(inner, self.rng.randint(1, 3))
        self.depth -= 1
        return [f"{counter} = 0", f"while {cond}:"] + _indent_lines(body)

    def exit_stmt(self, scope):

        """break, continue or an early return, under a condition so the loop still runs."""
        word = self.rng.choice(["break", "continue", "return"])
        if word == "return":
            word = f"return {self.expr(scope, self.ret)}"
        return [f"if {self.condition(scope)}:", f"    {word}"]

    def condition(self, scope, simple=False):

        """A comparison, maybe joined to another by and / or, maybe negated."""
        left = self.expr(scope, S, depth=1)
        cond = f"{left} {self.rng.choice(['>', '<', '>=', '<='])} {self.rng.choice(['0.0', '0.3', '-0.2'])}"
        if not simple and self.rng.random() < 0.25:
            other = f"{self.leaf(scope, S)} {self.rng.choice(['>', '<'])} 0.1"
            cond = f"{cond} {self.rng.choice(['and', 'or'])} {other}"
        if not simple and self.rng.random() < 0.1:
            cond = f"not ({cond})"
        return cond


def _indent_lines(lines):
    return ["    " + line for line in lines]


def _indent(lines):
    return "".join("    " + line + "\n" for line in lines).rstrip("\n")
