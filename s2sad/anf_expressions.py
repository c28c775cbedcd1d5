"""Stage 2, expressions: A-normal form for the right-hand sides.

The normalizer (normalize.py) walks statements; this mixin flattens each expression into
atoms, emitting one statement per primitive (`atom`, `simple`), and desugars the
expressions that hide control flow (`and`/`or`, `a if c else b`, chained comparisons,
comprehensions, generator expressions consumed whole, `:=`). It lives apart only to keep
each module short: the two halves make one class.
"""

import builtins
import copy

import gast
import numpy as np

from . import build as b
from . import runtime
from .names import every
from .syntax import refuse

_OP_WORD = {gast.Add: "plus", gast.Sub: "minus", gast.Mult: "times", gast.Div: "over", gast.Pow: "pow",
            gast.MatMult: "at", gast.Mod: "mod", gast.FloorDiv: "floordiv"}
_MUTATORS = {"extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem", "sort", "reverse",
             "fill", "put", "itemset", "resize", "setflags", "partition", "byteswap"}
_CONSUMERS = ("sum", "max", "min", "any", "all", "list", "tuple", "sorted")
_CMP_WORD = {gast.Lt: "lt", gast.Gt: "gt", gast.LtE: "le", gast.GtE: "ge", gast.Eq: "eq", gast.NotEq: "ne"}


def _word(node):
    """A short word for an atom, for naming temporaries after what they hold."""
    if isinstance(node, gast.Name):
        return node.id.strip("_")
    if isinstance(node, gast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return str(node.value) if node.value >= 0 else None
    return None


class Expressions:
    """The expression half of the normalizer (see normalize._Normalizer)."""

    def atom(self, node, hint=None):
        """An atom holding node's value, emitting the statements that compute it."""
        if isinstance(node, (gast.Name, gast.Constant)):
            return node
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) \
                and isinstance(node.operand, gast.Constant) and isinstance(node.operand.value, (int, float, complex)) \
                and not isinstance(node.operand.value, bool):
            return b.const(-node.operand.value)
        if isinstance(node, (gast.BoolOp, gast.IfExp)) or (isinstance(node, gast.Compare) and len(node.ops) > 1):
            return getattr(self, "branching_" + type(node).__name__)(node)
        if isinstance(node, gast.NamedExpr):
            return self.walrus(node)
        value = self.simple(node)
        temp = self.namer.fresh(hint or self.describe(value))
        self.emit(b.assign(temp, value))
        self.temps.add(temp)
        return b.name(temp)

    def simple(self, node, target=None):
        """An expression applying one primitive to atoms."""
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            refuse(self.parsed, node)
        return method(node)

    def expr_Name(self, node):
        return b.name(node.id)

    def expr_Constant(self, node):
        return node

    def expr_BinOp(self, node):
        return b.binop(self.atom(node.left), node.op, self.atom(node.right))

    def expr_UnaryOp(self, node):
        operand = self.atom(node.operand)
        if isinstance(node.op, gast.USub) and isinstance(operand, gast.Constant):
            return self.atom(node)
        if isinstance(node.op, gast.UAdd):
            return operand
        return gast.UnaryOp(op=node.op, operand=operand)

    def expr_Compare(self, node):
        if len(node.ops) > 1:
            return self.atom(node)
        return gast.Compare(left=self.atom(node.left), ops=node.ops, comparators=[self.atom(node.comparators[0])])

    def expr_BoolOp(self, node):
        return self.atom(node)

    def expr_IfExp(self, node):
        return self.atom(node)

    def expr_NamedExpr(self, node):
        return self.atom(node)

    def walrus(self, node):
        """`(y := v)` is the assignment `y = v` where it is evaluated, then the name y: inside a `while`
        test it is computed again with the test (stmt_While), inside `and` / `or` / `if else` only on
        the branch that evaluates it, inside a comprehension on each trip (its name is the function's)."""
        if not isinstance(node.target, gast.Name):
            refuse(self.parsed, node, "an assignment expression (:=) to other than a name")
        self.assign_to(node.target, node.value)
        return b.name(node.target.id)

    def expr_GeneratorExp(self, node):
        refuse(self.parsed, node, "a generator expression other than the argument of "
                                  + ", ".join(sorted(_CONSUMERS)) + " (write a list comprehension)")

    def expr_Set(self, node):
        """A set of constants (`k in {0, 2}`) is a constant: never differentiated."""
        if not all(isinstance(e, gast.Constant) for e in node.elts):
            refuse(self.parsed, node, "a set display of other than constants")
        return gast.Set(elts=list(node.elts))

    def consumed(self, node):
        """A call of sum, max, min, any, all, list, tuple or sorted whose first argument is a generator
        expression: consumed whole before the call returns, so a list comprehension computes the same;
        any / all become a loop that stops evaluating items once the result is known (as they do).
        None for other calls."""
        path = b.dotted_path(node.func)
        if path not in _CONSUMERS or self.rebinds(path) or not node.args \
                or not isinstance(node.args[0], gast.GeneratorExp):
            return None
        gen = node.args[0]
        if path in ("any", "all"):
            if len(node.args) > 1 or node.keywords:
                refuse(self.parsed, node, f"{path} with other than one argument")
            return self.short_circuit(gen, path == "any")
        items = gast.ListComp(elt=gen.elt, generators=gen.generators)
        gast.copy_location(items, gen)
        return gast.Call(func=node.func, args=[items] + list(node.args[1:]), keywords=node.keywords)

    def short_circuit(self, gen, is_any):
        """`any(c(v) for v in xs if t(v))`: `found = False`, then on each trip, while not found, `if t(v):
        found = bool(c(v))` (any and all stop reading the generator once the answer is known)."""
        result = self.namer.fresh("any_" if is_any else "all_")
        self.emit(b.assign(result, b.const(not is_any)))
        going = b.name(result) if not is_any else gast.UnaryOp(op=gast.Not(), operand=b.name(result))

        def make(parts):
            return b.assign(result, b.call(self.builtin("bool"), parts))
        return self.comprehension(gen, result, make, guard=going)

    def fold(self, node):
        """`max(xs)` / `min(xs)` (one argument) as a loop of the two-argument form, whose rule is known:
        `m = seq[0]`, then `m = max(m, seq[i])` for the others (the same value: the first extreme)."""
        path = b.dotted_path(node.func)
        if path not in ("max", "min") or self.rebinds(path) or self.rebinds("range") or len(node.args) != 1 \
                or node.keywords or isinstance(node.args[0], gast.Starred):
            return None
        seq = self.namer.fresh("seq")
        self.emit(b.assign(seq, b.call(self.helper("sequence"), [self.atom(node.args[0])])))
        result = self.namer.fresh(path + "_")
        n = self.namer.fresh(f"len_{seq}")
        self.emit(b.assign(n, b.call(self.builtin("len"), [b.name(seq)])))
        self.emit(b.assign(result, b.subscript(b.name(seq), b.const(0))))
        index = self.namer.fresh("i")
        self.local_names().update([seq, result, n, index])
        step = b.assign(result, b.call(self.builtin(path), [b.name(result), b.subscript(b.name(seq), b.name(index))]))
        loop = b.for_(index, b.call("range", [b.const(1), b.name(n)]), [step])
        gast.copy_location(loop, node)
        self.stmt_For(loop)
        return b.name(result)

    def expr_Call(self, node):
        consumed = self.consumed(node)
        if isinstance(consumed, gast.Name):
            return consumed
        node = consumed or node
        folded = self.fold(node)
        if folded is not None:
            return folded
        if node.args and self.global_object(node.func) is np.einsum:
            node = _einsum_string_form(node)
        if b.dotted_path(node.func) == "dict" and not node.args and "dict" not in self.local_names() \
                and "dict" not in self.parsed.globals and all(kw.arg for kw in node.keywords):
            keys = [b.const(kw.arg) for kw in node.keywords]
            return self.expr_Dict(gast.Dict(keys=keys, values=[kw.value for kw in node.keywords]))
        func = node.func
        path = b.dotted_path(func)
        if path is None or (isinstance(func, gast.Attribute) and path.split(".")[0] in self.local_names()):
            # a method of a computed value (`M.T.dot(v)`, `f(x).sum()`): the value gets a name of its
            # own, so activity and the rules see it as an operand like any other
            if isinstance(func, gast.Attribute):
                func = b.attribute(self.atom(func.value), func.attr)
            else:
                func = self.atom(func)
        args = []
        for arg in node.args:
            if isinstance(arg, gast.Starred):
                refuse(self.parsed, arg, "a *args call")
            args.append(self.atom(arg))
        owner = b.dotted_path(node.func.value) if isinstance(node.func, gast.Attribute) else None
        if owner is not None and node.func.attr in _MUTATORS and owner.split(".")[0] in self.local_names():
            refuse(self.parsed, node, f"the in-place method .{node.func.attr}()")
        keywords = []
        for kw in node.keywords:
            if kw.arg is None:
                refuse(self.parsed, node, "a **kwargs call")
            if kw.arg == "out":
                refuse(self.parsed, node, "a call writing its result into out=")
            keywords.append((kw.arg, self.atom(kw.value)))
        return b.call(func, args, keywords)

    def expr_Attribute(self, node):
        if b.dotted_path(node) is not None and b.dotted_path(node).split(".")[0] not in self.local_names():
            return node
        return b.attribute(self.atom(node.value), node.attr)

    def expr_Subscript(self, node):
        if self.is_index_concat(node.value):
            return self.index_concat(node)
        return b.subscript(self.atom(node.value), self.index(node.slice))

    def expr_Tuple(self, node):
        return b.tup([self.element(e) for e in node.elts])

    def expr_List(self, node):
        return b.lst([self.element(e) for e in node.elts])

    def expr_Dict(self, node):
        if any(k is None for k in node.keys):
            refuse(self.parsed, node, "dict unpacking with **")
        return gast.Dict(keys=[self.atom(k) for k in node.keys], values=[self.atom(v) for v in node.values])

    def expr_ListComp(self, node):
        """`[f(v) for v in xs if c]` becomes a loop appending to a fresh list; its names stay its own."""
        result = self.namer.fresh("items")
        self.emit(b.assign(result, b.lst([])))
        return self.comprehension(node, result,
                                  lambda elt: b.expr_stmt(b.call(b.attribute(b.name(result), "append"), elt)))

    def expr_DictComp(self, node):
        """`{k: f(v) for ...}` becomes a loop writing into a fresh dict."""
        result = self.namer.fresh("entries")
        self.emit(b.assign(result, gast.Dict(keys=[], values=[])))
        return self.comprehension(node, result,
                                  lambda kv: b.assign(b.subscript(b.name(result), kv[0], store=True), kv[1]))

    def comprehension(self, node, result, make, guard=None):
        """node (a comprehension) as loops running make(its parts) on each item; with a guard, each
        loop's trip does nothing once the guard is false (no test, no inner iterable evaluated)."""
        renames = {}
        loops = []
        for gen in node.generators:
            if gen.is_async:
                refuse(self.parsed, node, "async comprehension")
            iterable = _Rename(renames).visit(copy.deepcopy(gen.iter))
            for target in every(gen.target):
                if isinstance(target, gast.Name):
                    renames[target.id] = self.namer.fresh(target.id)
                elif not isinstance(target, (gast.Tuple, gast.List, gast.Store, gast.Load)):
                    refuse(self.parsed, node, "a comprehension target other than names")
            tests = [_Rename(renames).visit(copy.deepcopy(t)) for t in gen.ifs]
            loops.append((_Rename(renames).visit(copy.deepcopy(gen.target)), iterable, tests))
        self.local_names().update([result, *renames.values()])
        parts = [node.elt] if isinstance(node, (gast.ListComp, gast.GeneratorExp)) else [node.key, node.value]
        body = [make([_Rename(renames).visit(copy.deepcopy(p)) for p in parts])]
        for target, iterable, tests in reversed(loops):
            for test in reversed(tests):
                body = [b.if_(test, body)]
            if guard is not None:
                body = [b.if_(copy.deepcopy(guard), body)]
            body = [_loop(target, iterable, body)]
        self.stmt_For(body[0])
        return b.name(result)

    def expr_JoinedStr(self, node):
        return node  # an f-string is never differentiated; leave it as written

    def element(self, node):
        if isinstance(node, gast.Starred):
            refuse(self.parsed, node, "starred element")
        return self.atom(node)

    def index(self, node):
        if isinstance(node, gast.Slice):
            parts = [None if p is None else self.atom(p) for p in (node.lower, node.upper, node.step)]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(node, gast.Tuple):
            return b.tup([self.index(e) for e in node.elts])
        return self.atom(node)

    # -- expressions that branch -------------------------------------------------
    def branching_IfExp(self, node):
        test = self.atom(node.test)
        result = self.namer.fresh("choice")
        self.emit(b.if_(test, self.assign_block(result, node.body), self.assign_block(result, node.orelse)))
        return b.name(result)

    def branching_BoolOp(self, node):
        result = self.namer.fresh("and_" if isinstance(node.op, gast.And) else "or_")
        self.emit(b.assign(result, self.simple_or_atom(node.values[0])))
        self.chain(result, node.values[1:], isinstance(node.op, gast.And))
        return b.name(result)

    def chain(self, result, rest, is_and):
        if not rest:
            return
        saved = self.out
        self.out = []
        self.emit(b.assign(result, self.simple_or_atom(rest[0])))
        self.chain(result, rest[1:], is_and)
        inner, self.out = self.out, saved
        test = b.name(result) if is_and else gast.UnaryOp(op=gast.Not(), operand=b.name(result))
        if not is_and:
            flag = self.namer.fresh("not_" + result)
            self.emit(b.assign(flag, test))
            test = b.name(flag)
        self.emit(b.if_(test, inner))

    def branching_Compare(self, node):
        result = self.namer.fresh("cmp")
        left = self.atom(node.left)
        pairs = list(zip(node.ops, node.comparators))
        self.compare_chain(result, left, pairs)
        return b.name(result)

    def compare_chain(self, result, left, pairs):
        op, right_expr = pairs[0]
        right = self.atom(right_expr)
        self.emit(b.assign(result, gast.Compare(left=left, ops=[op], comparators=[right])))
        if len(pairs) > 1:
            saved = self.out
            self.out = []
            self.compare_chain(result, right, pairs[1:])
            inner, self.out = self.out, saved
            self.emit(b.if_(b.name(result), inner))

    def assign_block(self, result, expr):
        saved = self.out
        self.out = []
        self.emit(b.assign(result, self.simple_or_atom(expr)))
        out, self.out = self.out, saved
        return out

    def simple_or_atom(self, node):
        if isinstance(node, (gast.BoolOp, gast.IfExp)) or (isinstance(node, gast.Compare) and len(node.ops) > 1):
            return self.atom(node)
        return self.simple(node)

    # -- np.r_ and np.c_ ---------------------------------------------------------
    def global_object(self, node):
        """The object a dotted name of a global or closure variable holds now, or None."""
        path = b.dotted_path(node)
        if path is None or path.split(".")[0] in self.local_names():
            return None
        head, *rest = path.split(".")
        obj = self.parsed.globals.get(head)
        if head in self.parsed.closure:
            try:
                obj = self.parsed.closure[head].cell_contents
            except ValueError:
                return None
        for attr in rest:
            obj = getattr(obj, attr, None)
        return obj

    def is_index_concat(self, node):
        """Whether node names np.r_ or np.c_ (an object indexed to build an array, not an array)."""
        return isinstance(self.global_object(node), (type(np.r_), type(np.c_)))

    def index_concat(self, node):
        """`np.r_[x, 1:3]` is the call `index_concat(np.r_, (x, slice(1, 3, None)))`: its items are
        operands like any other, so the rule for index_concat can give each its derivative."""
        elts = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
        items = []
        for elt in elts:
            if isinstance(elt, gast.Slice):
                parts = [b.const(None) if p is None else self.atom(p) for p in (elt.lower, elt.upper, elt.step)]
                items.append(self.atom(b.call("slice", parts)))
            else:
                items.append(self.atom(elt))
        items_name = self.atom(b.tup(items), "items")
        return b.call(self.helper("index_concat"), [self.atom(node.value), items_name])

    # -- naming ----------------------------------------------------------------
    def helper(self, attr):
        """The name generated code uses for runtime.<attr>."""
        for ident, obj in self.helpers.items():
            if obj is getattr(runtime, attr):
                return ident
        ident = self.namer.fresh(attr)
        self.helpers[ident] = getattr(runtime, attr)
        return ident

    def builtin(self, ident):
        """The name for a builtin the normal form calls (`range`, `len`, `min`): its own, unless the
        user's function rebinds it (a local, a closure cell or a global), then a fresh name bound to it."""
        obj = getattr(builtins, ident)
        if not self.rebinds(ident):
            return ident
        for name, known in self.helpers.items():
            if known is obj:
                return name
        name = self.namer.fresh(f"builtin_{ident}")
        self.helpers[name] = obj
        return name

    def rebinds(self, ident):
        """Whether the user's function gives the builtin name ident another meaning."""
        obj = getattr(builtins, ident)
        return ident in self.local_names() or ident in self.parsed.closure \
            or self.parsed.globals.get(ident, obj) is not obj

    def local_names(self):
        if not hasattr(self, "_locals"):
            self._locals = {a.id for a in self.parsed.node.args.args + self.parsed.node.args.kwonlyargs}
            for sub in every(self.parsed.node):
                if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Store):
                    self._locals.add(sub.id)
        return self._locals

    def describe(self, value):
        """`sin_x` for np.sin(x), `x_times_y` for x * y; empty when no short name fits."""
        words = None
        if isinstance(value, gast.BinOp) and type(value.op) in _OP_WORD:
            words = [_word(value.left), _OP_WORD[type(value.op)], _word(value.right)]
        elif isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.USub):
            words = ["neg", _word(value.operand)]
        elif isinstance(value, gast.Call) and len(value.args) <= 2 and not value.keywords:
            path = b.dotted_path(value.func)
            attr = value.func.attr if isinstance(value.func, gast.Attribute) else None
            fname = path.split(".")[-1] if path else attr
            obj = [_word(value.func.value)] if path is None and isinstance(value.func, gast.Attribute) else []
            words = obj + [fname] + [_word(a) for a in value.args]
        elif isinstance(value, gast.Attribute):
            words = [_word(value.value), value.attr]
        elif isinstance(value, gast.Subscript) and _word(value.value):
            words = [_word(value.value), _word(value.slice)]
        elif isinstance(value, gast.Compare) and type(value.ops[0]) in _CMP_WORD:
            words = [_word(value.left), _CMP_WORD[type(value.ops[0])], _word(value.comparators[0])]
        if not words or any(w is None for w in words) or words[0][:1].isdigit():
            return ""
        text = "_".join(words)
        return text if len(text) <= 20 else ""


def _einsum_string_form(node):
    """`np.einsum(A, [0, 1], [1, 0])` (sublist form, literal sublists) as `np.einsum("ab->ba", A)`, the
    form the einsum rule reads; any other call unchanged (a sublist form the rule cannot read then
    fails when it runs, see runtime.einsum_subscripts)."""
    args = node.args
    if isinstance(args[0], gast.Constant) and isinstance(args[0].value, str):
        return node
    operands, specs = args[0::2], [_sublist(s) for s in args[1::2]]
    if len(args) < 2 or None in specs:
        return node
    output = ""
    if len(args) % 2:
        operands, output = operands[:-1], _sublist(args[-1])
        if output is None:
            return node
    spec = ",".join(specs) + ("->" + output if len(args) % 2 else "")
    return gast.Call(func=node.func, args=[b.const(spec)] + list(operands), keywords=node.keywords)


def _sublist(node):
    """The subscripts a literal sublist `[0, 1]` or `[Ellipsis, 1]` stands for ("ab", "...b"), or None."""
    if not isinstance(node, (gast.List, gast.Tuple)):
        return None
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = []
    for elt in node.elts:
        if isinstance(elt, gast.Constant) and elt.value is Ellipsis:
            out.append("...")
        elif isinstance(elt, gast.Name) and elt.id == "Ellipsis":
            out.append("...")
        elif isinstance(elt, gast.Constant) and type(elt.value) is int and 0 <= elt.value < len(letters):
            out.append(letters[elt.value])
        else:
            return None
    return "".join(out)


def _nested(stmts):
    """The statements of stmts and of the branches inside them, in order (a test of `and`/`or` branches)."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, gast.If):
            yield from _nested(stmt.body + stmt.orelse)


def _loop(target, iterable, body):
    return gast.For(target=target, iter=iterable, body=body, orelse=[], type_comment=None)


def _mapping_view(node):
    """Whether node is `d.items()`, `d.values()` or `d.keys()`."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
        and node.func.attr in ("items", "values", "keys") and not node.args and not node.keywords


class _Rename(gast.NodeTransformer):
    """Rename a comprehension's own variables, so the loop it becomes leaves the function's alone."""

    def __init__(self, renames):
        self.renames = renames

    def visit_Name(self, node):
        if node.id in self.renames:
            return gast.Name(id=self.renames[node.id], ctx=node.ctx, annotation=None, type_comment=None)
        return node

