"""The expression half of the fuzzer's grammar (`generator.py` holds the statements and functions):
a mixin of `generator._Gen`, whose methods draw from `self.rng` in the same order as when they
were one class, so a seed still gives the same program.
"""

N = 4  # the length of every vector: small, so finite differences stay cheap
S, V = "S", "V"  # the kinds of values: a float, a vector of length N
UNARY = ["np.sin", "np.cos", "np.tanh"]
SCALAR_ONLY = ["math.sin", "math.cos", "math.tanh"]


class Expressions:
    """Expressions of kind S (a float) or V (a vector of length N); the statements' class mixes this in."""

    # -- expressions ---------------------------------------------------------------------

    def expr(self, scope, kind, depth=None):

        """An expression of kind S or V; depth bounds the nesting so programs stay readable."""
        depth = self.rng.randint(1, 3) if depth is None else depth
        if depth <= 0 or self.rng.random() < 0.25:
            return self.leaf(scope, kind)
        return self.rng.choice([self.compound, self.compound, self.special])(scope, kind, depth - 1)

    def compound(self, scope, kind, depth):

        """Arithmetic, a bounded unary function, a guarded division, a small power, a negation."""
        form = self.rng.random()
        if form < 0.4:
            op = self.rng.choice(["+", "-", "*"])
            return f"{self.expr(scope, kind, depth)} {op} {self.expr(scope, self.rng.choice([kind, S]), depth)}"
        if form < 0.65:
            return self.unary(self.expr(scope, kind, depth), kind)
        if form < 0.8:
            den = _paren(self.expr(scope, kind, depth))
            return f"{self.expr(scope, kind, depth)} / ({den} * {den} + 1.0)"
        if form < 0.9:
            return f"({self.expr(scope, kind, depth)}) ** {self.rng.choice(['2', '3'])}"
        return f"-{self.leaf(scope, kind)}"

    def unary(self, arg, kind):

        """A function whose domain is everything: log and sqrt see e * e + 1.0."""
        form = self.rng.random()
        arg = _paren(arg) if form < 0.25 else arg
        if form < 0.15:
            return f"np.log({arg} * {arg} + 1.0)"
        if form < 0.25:
            return f"np.sqrt({arg} * {arg} + 1.0)"
        if form < 0.32:
            return f"np.exp(np.tanh({arg}))"
        names = UNARY + (SCALAR_ONLY if kind == S and "[" not in arg else [])
        return f"{self.rng.choice(names)}({arg})"

    def special(self, scope, kind, depth):
        """The forms with their own rules: reductions, selections, shape functions, calls."""
        if self.extra is not None and self.extra.random() < 0.2:  # issue 13's library rules (library.py)
            return self.library(scope, kind, depth)
        options = self.specials_scalar if kind == S else self.specials_vector
        return self.rng.choice(options)(scope, depth)

    def bounded(self, scope, kind):
        """A factor in (-1, 1) or near 1, for products that repeat in loops."""
        return self.rng.choice([f"np.tanh({self.expr(scope, kind, 1)})", f"np.cos({self.expr(scope, kind, 1)})"])

    @property
    def specials_scalar(self):
        """The special forms that give a float."""
        return [self.reduce, self.reduce, self.pick, self.call, self.ifexp, self.minmax, self.power, self.methods]

    @property
    def specials_vector(self):
        """The special forms that give a vector."""
        return [self.where, self.shape_op, self.shape_op, self.call_vector, self.maximum, self.build, self.matrix]

    def call_vector(self, scope, depth):

        """A helper call returning a vector."""
        return self.call(scope, depth, V)

    def reduce(self, scope, depth):

        """A vector reduced to a float by one of the reduction rules."""
        v = self.expr(scope, V, depth)
        form = self.rng.choice(["np.sum({})", "np.mean({})", "np.dot({0}, {0})", "np.sum(np.cumsum({}))",
                                "np.prod(np.tanh({}))", "np.max({})", "np.linalg.norm({}) + 0.0", "{}.sum()"])
        if form == "{}.sum()":
            v = f"({v})"
        return form.format(v)

    def pick(self, scope, depth):
        """An index read: a constant index, a loop index, a slice reduced."""
        vectors = scope.of_kind(V)
        if not vectors:
            return self.leaf(scope, S)
        v = self.rng.choice(vectors)
        form = self.rng.random()
        if form < 0.4:
            return f"{v}[{self.rng.randrange(-N, N)}]"
        if form < 0.7 and scope.loop_index:
            return f"{v}[{scope.loop_index}]"
        return f"np.sum({v}[{self.rng.randrange(2)}:{self.rng.randrange(2, N + 1)}])"

    def call(self, scope, depth, kind=S):

        """A call of a helper generated earlier that returns kind (helpers calling helpers)."""
        options = [c for c in self.callables if c[2] == kind]
        if not options:
            return self.leaf(scope, kind)
        name, params, ret, keyword = self.rng.choice(options)
        args = [self.argument(scope, k, depth) for k in params]
        if keyword and self.rng.random() < 0.6:
            args.append(f"c={self.leaf(scope, S)}")
        return f"{name}({', '.join(a for a in args if a)})"

    def argument(self, scope, kind, depth):
        """One argument of a helper call: a count (N), a function (F), `=text` as is, `name=KIND` by keyword,
        `?name=KIND` by keyword or left to its default (an empty string, dropped by the caller)."""
        if kind == "N":
            return str(self.rng.randint(0, 3))
        if kind == "F":
            return self.function_value()
        if kind.startswith("="):
            return kind[1:]
        if kind.startswith("?"):
            return self.argument(scope, kind[1:], depth) if self.rng.random() < 0.5 else ""
        if "=" in kind:
            name, inner = kind.split("=")
            value = self.rng.choice(["np.sum", "np.mean", "np.max"]) if inner == "F2" else self.leaf(scope, inner)
            return f"{name}={value}"
        return self.expr(scope, kind, depth)

    def function_value(self):
        """A function passed as an argument (to apply1)."""
        return self.rng.choice(["np.sin", "np.tanh", "np.exp"])

    def ifexp(self, scope, depth):

        """A conditional expression."""
        body = self.expr(scope, S, depth)
        test = self.condition(scope, simple=True)
        return f"({body} if {test} else {self.expr(scope, S, depth)})"

    def minmax(self, scope, depth):

        """The builtins max and min: kinks the finite-difference check must notice."""
        name = self.rng.choice(["max", "min"])
        return f"{name}({self.expr(scope, S, depth)}, {self.expr(scope, S, depth)})"

    def power(self, scope, depth):

        """Powers: by a loop counter, of a negative constant, next to abs."""
        base = self.expr(scope, S, depth)
        form = self.rng.random()
        if form < 0.3 and scope.loop_index:
            return f"({base}) ** {scope.loop_index}"
        if form < 0.5:
            return f"({self.rng.choice(['-1.5', '-0.5', '2.0'])}) ** 2 * {base}"
        return f"abs({base}) + ({base}) ** {self.rng.choice(['2', '3'])}"

    def methods(self, scope, depth):

        """Array methods, on attribute expressions too (`X.T.dot(v)`), astype and float."""
        v = self.expr(scope, V, depth)
        return self.rng.choice([f"({v}).reshape(2, 2).T.dot(({v})[:2]).sum()", f"float(np.sum({v}))",
                                f"({v}).astype(float).mean()", f"({v}).reshape(2, 2).trace()"])

    def where(self, scope, depth):

        """np.where on a comparison: the selection rule."""
        v = self.expr(scope, V, depth)
        return f"np.where({v} > 0.0, {self.expr(scope, V, depth)}, {self.expr(scope, S, depth)})"

    def maximum(self, scope, depth):

        """np.maximum / np.minimum against a scalar: broadcasting and ties."""
        name = self.rng.choice(["np.maximum", "np.minimum"])
        return f"{name}({self.expr(scope, V, depth)}, {self.expr(scope, S, depth)})"

    def shape_op(self, scope, depth):

        """Shape rules: flip, roll, reversed slices, cumsum, concatenate, reshape after .T, sort, clip."""
        v = self.expr(scope, V, depth)
        return self.rng.choice([f"np.flip({v})", f"np.roll({v}, 1)", f"({v})[::-1]", f"np.cumsum({v})",
                                f"np.concatenate([({v})[2:], ({v})[:2]])", f"({v}).reshape(2, 2).T.reshape(4)",
                                f"np.sort({v})", f"np.clip({v}, -0.8, 0.8)"])

    def build(self, scope, depth):

        """A vector assembled from floats (np.array of a list of active scalars)."""
        parts = ", ".join(self.expr(scope, S, depth) for _ in range(N))
        return f"np.array([{parts}])"

    def matrix(self, scope, depth):

        """Matrix products of reshaped vectors, flattened back to a vector."""
        v = self.expr(scope, V, depth)
        return self.rng.choice([f"(({v}).reshape(2, 2) @ ({v}).reshape(2, 2)).ravel()",
                                f"np.outer(({v})[:2], ({v})[2:]).reshape(4)"])

    def leaf(self, scope, kind):

        """A name, an item of a vector or dict, a loop counter or a constant: the cheap operands."""
        if kind == S:
            options = [n for n, k in scope.names.items() if k == S]
            if scope.names.get("y") == "D":
                options += ['y["a"]', 'y["b"]']
            options += [f"{v}[{self.rng.randrange(N)}]" for v in scope.of_kind(V)]
            if scope.loop_index:
                options += [f"{v}[{scope.loop_index}]" for v in scope.of_kind(V)]
            if scope.counter:
                options.insert(0, f"float({scope.counter})")
            if not options or self.rng.random() < 0.15:
                return self.rng.choice(["0.5", "1.5", "0.7", "2.0", "0.25"])
            return self.recent(options)
        options = scope.of_kind(V)
        if not options or self.rng.random() < 0.1:
            scalar = self.leaf(scope, S)
            return self.rng.choice([f"np.ones(4) * {scalar}", f"np.linspace(0.0, 1.0, 4) * {scalar}"])
        return self.recent(options)

    def recent(self, options):
        """One of the options, the last defined ones likelier: they would otherwise often be dead."""
        if self.rng.random() < 0.5:
            return options[-1]
        return self.rng.choice(options)


def _paren(text):
    """text in parentheses when it is more than one token: `e * e + 1.0` must square all of e."""
    return f"({text})" if " " in text else text
