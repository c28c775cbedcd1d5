"""Stage 2: A-normal form.

After this pass every statement applies at most one primitive to atoms (names or
constants), in one of these shapes::

    stmt  := name = simple | name[index] = atom | expr(call) | return atom
           | if atom: stmt* else: stmt* | while atom: stmt* | for name in range(atom*): stmt*
           | break | continue | pass | assert atom | raise ...
    simple := atom | atom op atom | op atom | atom cmp atom | f(atom*, k=atom*)
           | atom.attr | atom[index] | (atom*) | [atom*] | {atom: atom*} | {constant*}
    index := atom | atom:atom:atom | (index*)

Tuple unpacking, chained comparisons, `and`/`or`, `a if c else b`, augmented
assignment, loops over sequences, `enumerate` and `zip`, comprehensions, `:=`, generator
expressions consumed whole (`sum(... for ...)`, `any(...)`) and `max(xs)` / `min(xs)` of
one iterable are desugared here (loop `else`, `with` and `import`: desugar.py, before).
`is_normal` checks the grammar.

Example::

    z = x1 * x2 + np.sin(x1)      ->    x1_times_x2 = x1 * x2
                                        sin_x1 = np.sin(x1)
                                        z = x1_times_x2 + sin_x1
"""

import builtins
import copy
from dataclasses import dataclass, field

import gast
import numpy as np

from . import build as b
from . import runtime
from .aliases import propagate_aliases
from .errors import LIMITATIONS, S2SADError
from .exits import structure_exits
from .names import names
from .naming import Namer, identifiers
from .resolve import Resolver
from .syntax import refuse
from .templates import clone
from .writes import aliased_names, check_writes

_OP_WORD = {gast.Add: "plus", gast.Sub: "minus", gast.Mult: "times", gast.Div: "over", gast.Pow: "pow",
            gast.MatMult: "at", gast.Mod: "mod", gast.FloorDiv: "floordiv"}
_MUTATORS = {"extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem", "sort", "reverse",
             "fill", "put", "itemset", "resize", "setflags", "partition", "byteswap"}
_CONSUMERS = ("sum", "max", "min", "any", "all", "list", "tuple", "sorted")
_CMP_WORD = {gast.Lt: "lt", gast.Gt: "gt", gast.LtE: "le", gast.GtE: "ge", gast.Eq: "eq", gast.NotEq: "ne"}


@dataclass
class Normalized:
    """A function in A-normal form and the side tables later stages read."""

    node: gast.FunctionDef
    origins: dict = field(default_factory=dict)   # statement -> user's line number
    temps: set = field(default_factory=set)       # expression temporaries: one def, used in its own statement
    names: set = field(default_factory=set)       # every identifier in use
    helpers: dict = field(default_factory=dict)   # name in the code -> runtime object it stands for
    sharers: dict = field(default_factory=dict)   # written name -> other names holding its memory at a write


def normalize(parsed):
    """Normalize a Parsed function; the user's tree is left untouched."""
    node = clone(parsed.node)
    namer = Namer(identifiers(node) | set(parsed.closure))
    if not getattr(node, "s2sad_exits_structured", False):  # loops.py structured them already
        structure_exits(node, namer)
    norm = _Normalizer(namer, parsed)
    node.body = norm.block(node.body)
    propagate_aliases(node, norm.temps)
    result = Normalized(node, norm.origins, norm.temps, set(namer.taken), norm.helpers)
    stores = {n.id for n in names(node) if isinstance(n.ctx, gast.Store)}  # b.names_in, quicker
    local = {a.id for a in node.args.args + node.args.kwonlyargs} | stores
    check_writes(parsed, result, Resolver(parsed, local, result.helpers))
    return result


def _constant_range(node):
    """range(...) for `range(constants)`, else None."""
    if not (isinstance(node, gast.Call) and b.dotted_path(node.func) == "range" and not node.keywords
            and 1 <= len(node.args) <= 3):
        return None
    if not all(isinstance(a, gast.Constant) and type(a.value) is int for a in node.args):
        return None
    try:
        return range(*(a.value for a in node.args))
    except ValueError:
        return None


def _word(node):
    """A short word for an atom, for naming temporaries after what they hold."""
    if isinstance(node, gast.Name):
        return node.id.strip("_")
    if isinstance(node, gast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return str(node.value) if node.value >= 0 else None
    return None


class _Normalizer:
    def __init__(self, namer, parsed):
        self.namer = namer
        self.parsed = parsed
        self.origins = {}
        self.temps = set()
        self.helpers = {}
        self.out = None       # the statement list being built
        self.line = None      # the user's line being normalized

    # -- blocks and statements -------------------------------------------------
    def block(self, stmts):
        saved, line = self.out, self.line
        self.out = []
        for stmt in stmts:
            self.line = getattr(stmt, "lineno", self.line)
            method = getattr(self, "stmt_" + type(stmt).__name__, None)
            if method is None:
                refuse(self.parsed, stmt)
            method(stmt)
        result, self.out, self.line = self.out, saved, line
        return result

    def emit(self, stmt):
        self.origins[stmt] = self.line
        self.out.append(stmt)
        return stmt

    def stmt_Assign(self, node):
        if len(node.targets) == 1:
            self.assign_to(node.targets[0], node.value)
            return
        value = self.atom(node.value)
        for target in node.targets:
            self.assign_to(target, value)

    def stmt_AnnAssign(self, node):
        if node.value is not None:
            self.assign_to(node.target, node.value)

    def stmt_AugAssign(self, node):
        target = node.target
        if isinstance(target, gast.Name):
            if target.id in self.aliased():
                self.guard_in_place(node, target.id)
            self.assign_to(target, gast.BinOp(left=b.name(target.id), op=node.op, right=node.value))
        elif isinstance(target, gast.Subscript):
            obj = self.atom(target.value)
            index = self.index(target.slice)
            old = self.atom(b.subscript(obj, index))
            self.assign_to(b.subscript(obj, copy.deepcopy(index), store=True),
                           gast.BinOp(left=old, op=node.op, right=node.value))
        else:
            refuse(self.parsed, node, "augmented assignment to an attribute")

    def aliased(self):
        if not hasattr(self, "_aliased"):
            self._aliased = aliased_names(self.parsed.node)
        return self._aliased

    def guard_in_place(self, node, ident):
        """`y += v` is rebound as `y = y + v`: the same unless y is an array another name also holds."""
        flag = self.namer.fresh(f"{ident}_is_array")
        error = self.namer.fresh("S2SADError")
        self.helpers[error] = S2SADError
        message = (f"augmented assignment to {ident}, an array another name may also hold: in place, it would change "
                   f"that name too (write {ident} = {ident} + ..., or copy {ident} first)")
        exc = b.call(error, [b.const(message), b.const(self.parsed.filename), b.const(self.line),
                             b.const("augmented assignment to a shared array"), b.const(LIMITATIONS)])
        self.emit(b.assign(flag, b.call(self.helper("is_array"), [b.name(ident)])))
        self.emit(b.if_(b.name(flag), [gast.Raise(exc=exc, cause=None)]))

    def assign_to(self, target, value):
        if isinstance(target, gast.Name):
            self.emit(b.assign(b.name(target.id, store=True), self.simple(value, target.id)))
        elif isinstance(target, (gast.Tuple, gast.List)):
            whole = self.atom(value)
            for i, elt in enumerate(target.elts):
                if isinstance(elt, gast.Starred):
                    refuse(self.parsed, elt, "starred unpacking")
                self.assign_to(elt, b.subscript(whole, b.const(i)))
        elif isinstance(target, gast.Subscript):
            obj = self.atom(target.value)
            index = self.index(target.slice)
            self.emit(b.assign(b.subscript(obj, index, store=True), self.atom(value)))
        else:
            refuse(self.parsed, target, "assignment to an attribute")

    def stmt_Expr(self, node):
        if isinstance(node.value, gast.Constant):
            return  # a docstring or a bare constant does nothing
        if self.appends(node.value):
            xs = self.atom(node.value.func.value)
            item = self.atom(node.value.args[0])
            self.emit(b.assign(xs.id, b.call(self.helper("append"), [xs, item])))
        elif isinstance(node.value, gast.Call):
            self.emit(b.expr_stmt(self.simple(node.value)))
        else:
            self.atom(node.value)

    def appends(self, call):
        """Whether call is `xs.append(item)` on a local list: it becomes `xs = append(xs, item)`,
        an assignment the transforms pair with `xs_dot.append(item_dot)` and, in reverse, a pop."""
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and call.func.attr == "append"):
            return False
        owner = call.func.value
        if not isinstance(owner, gast.Name) or owner.id not in self.local_names():
            refuse(self.parsed, call, "appending to a list the function did not make or receive")
        if len(call.args) != 1 or call.keywords or isinstance(call.args[0], gast.Starred):
            refuse(self.parsed, call, "append with other than one argument")
        return True

    def stmt_Return(self, node):
        value = b.const(None) if node.value is None else self.atom(node.value, self.parsed.node.name)
        self.emit(b.ret(value))

    def stmt_Pass(self, node):
        pass

    def stmt_Break(self, node):
        self.emit(gast.Break())

    def stmt_Continue(self, node):
        self.emit(gast.Continue())

    def stmt_Assert(self, node):
        self.emit(gast.Assert(test=self.atom(node.test), msg=node.msg))

    def stmt_Raise(self, node):
        self.emit(node)

    def stmt_If(self, node):
        test = self.atom(node.test)
        if isinstance(test, gast.Name):
            self.temps.discard(test.id)  # the branches may change what it was computed from
        self.emit(b.if_(test, self.block(node.body), self.block(node.orelse)))

    def stmt_While(self, node):
        if node.orelse:
            refuse(self.parsed, node, "while ... else")
        saved = self.out
        self.out = []
        test = self.atom(node.test, "cond")
        test_stmts, self.out = self.out, saved
        for stmt in test_stmts:
            self.out.append(stmt)
        body = self.block(node.body)
        again = [copy.deepcopy(s) for s in test_stmts]
        for old, new in zip(_nested(test_stmts), _nested(again)):
            self.origins[new] = self.origins[old]
        for stmt in _nested(test_stmts):  # computed twice (before the loop and after each trip): not temporaries
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                self.temps.discard(stmt.targets[0].id)
        self.emit(b.while_(copy.deepcopy(test), self.test_again(body, again)))

    def test_again(self, body, again):
        """body, then the test computed again; when body ends in its exit test (`if _stop1: break`, see
        exits.py), the test is computed only when the loop goes on and the exit stays last, so that the
        trip that breaks runs every statement but that one (reverse mode replays whole trips)."""
        last = body[-1] if body else None
        if not (again and isinstance(last, gast.If) and isinstance(last.test, gast.Name)
                and any(isinstance(s, gast.Break) for s in last.body)):
            return body + again
        going = self.namer.fresh("_going")
        guard = [b.assign(going, gast.UnaryOp(op=gast.Not(), operand=b.name(last.test.id))),
                 b.if_(b.name(going), again)]
        for stmt in guard:
            self.origins[stmt] = self.origins.get(again[0])
        return body[:-1] + guard + [last]

    def stmt_For(self, node):
        if node.orelse:
            refuse(self.parsed, node, "for ... else")
        it = node.iter
        if _mapping_view(it):
            return self.loop_over_mapping(node)
        func = b.dotted_path(it.func) if isinstance(it, gast.Call) else None
        backwards = func == "reversed" and len(it.args) == 1 and not it.keywords \
            and "reversed" not in self.parsed.globals
        if backwards and _constant_range(it.args[0]) is not None and not self.rebinds("range"):
            # reversed(range(2)), as the adjoint sweep writes it: a range too, whose trips the analyses count
            steps = _constant_range(it.args[0])[::-1]
            bounds = [b.const(steps.start), b.const(steps.stop), b.const(steps.step)]
            self.stmt_For(gast.For(target=node.target, iter=b.call("range", bounds), body=node.body, orelse=[],
                                   type_comment=None))
        elif backwards:
            self.loop_over([it.args[0]], [node.target], node, backwards=True)
        elif func == "range" and not self.rebinds("range") and not it.keywords and isinstance(node.target, gast.Name):
            args = [self.atom(a) for a in it.args]
            changed = b.names_in(node, gast.Store)
            for k, arg in enumerate(args):  # the reverse sweep replays the range, so keep its bounds
                if isinstance(arg, gast.Name) and arg.id in changed:  # the body changes it: keep a copy
                    args[k] = b.name(self.namer.fresh(f"{arg.id}_bound"))
                    self.emit(b.assign(args[k].id, arg))
                elif isinstance(arg, gast.Name):
                    self.temps.discard(arg.id)
            index, head = self.loop_index(node, node.target.id)
            body = head + self.block(node.body)
            self.emit(b.for_(index, b.call(self.builtin("range"), args), body))
        elif func == "enumerate" and len(it.args) == 1 and isinstance(node.target, (gast.Tuple, gast.List)) \
                and len(node.target.elts) == 2:
            self.loop_over([it.args[0]], [node.target.elts[1]], node, counter=node.target.elts[0])
        elif func == "zip" and it.args and not it.keywords and isinstance(node.target, (gast.Tuple, gast.List)) \
                and len(node.target.elts) == len(it.args):
            self.loop_over(it.args, node.target.elts, node)
        else:
            self.loop_over([it], [node.target], node)

    def loop_index(self, node, name):
        """(the loop's index name, statements starting its body) for a loop counting with `name`.

        The adjoint sweep replays the loop, rebinding its index each trip; where anything else
        assigns the counter too (the body, `for i in range(n): i = 2 * x`, or another loop over
        `i`, inner or outer) the replay would leave the index where the function had another
        value. Such a loop counts with a fresh index and copies it into `name`, an assignment
        the adjoint sweep restores like any other."""
        stores = b.names_in(self.parsed.node, gast.Store).count(name)
        if stores <= 1:  # the loop's own target is the only store
            return name, []
        index = self.namer.fresh(f"{name}_index")
        self.local_names().add(index)
        return index, [b.assign(name, b.name(index))]

    def loop_over_mapping(self, node):
        """`for k, v in d.items()` becomes `for k in d: v = d[k]`, so each value is read by key."""
        view = node.iter.func.attr
        mapping = self.atom(node.iter.func.value)
        if view == "keys":
            return self.stmt_For(_loop(node.target, mapping, node.body))
        key = b.name(self.namer.fresh("key"))
        self.local_names().add(key.id)
        value = b.subscript(copy.deepcopy(mapping), copy.deepcopy(key))
        if view == "values":
            head = [gast.Assign(targets=[node.target], value=value, type_comment=None)]
        elif isinstance(node.target, (gast.Tuple, gast.List)) and len(node.target.elts) == 2:
            head = [gast.Assign(targets=[node.target.elts[0]], value=copy.deepcopy(key), type_comment=None),
                    gast.Assign(targets=[node.target.elts[1]], value=value, type_comment=None)]
        else:
            refuse(self.parsed, node, "a loop over .items() not unpacked into key, value")
        return self.stmt_For(_loop(b.name(key.id, store=True), mapping, head + node.body))

    def loop_over(self, iterables, targets, node, counter=None, backwards=False):
        """`for x in xs:` becomes `for i in range(len(xs)): x = xs[i]`, so every loop counts."""
        seqs = []
        for it in iterables:
            seq = self.namer.fresh(_word(it) + "_seq" if _word(it) else "seq")
            self.emit(b.assign(seq, b.call(self.helper("sequence"), [self.atom(it)])))
            seqs.append(seq)
        lengths = []
        for seq in seqs:
            n = self.namer.fresh(f"len_{seq}")
            self.emit(b.assign(n, b.call(self.builtin("len"), [b.name(seq)])))
            lengths.append(n)
        if len(lengths) > 1:
            stop = self.namer.fresh("trips")
            self.emit(b.assign(stop, b.call(self.builtin("min"), [b.name(n) for n in lengths])))
        else:
            stop = lengths[0]
        if counter is not None and not isinstance(counter, gast.Name):
            refuse(self.parsed, counter, "a non-name enumerate counter")
        index, counted = self.loop_index(node, counter.id) if counter is not None else (self.namer.fresh("i"), [])
        position = b.name(index)
        if backwards:  # for v in reversed(xs): the items from the last, xs[n - 1 - i]
            last = self.namer.fresh(f"last_{seqs[0]}")
            self.emit(b.assign(last, b.binop(b.name(stop), gast.Sub(), b.const(1))))
            position = b.name(self.namer.fresh(f"{index}_back"))
        saved = self.out
        self.out = []
        if backwards:
            self.emit(b.assign(position.id, b.binop(b.name(last), gast.Sub(), b.name(index))))
        for seq, target in zip(seqs, targets):
            self.assign_to(target, b.subscript(b.name(seq), copy.deepcopy(position)))
        head, self.out = counted + self.out, saved
        body = head + self.block(node.body)
        self.emit(b.for_(index, b.call(self.builtin("range"), [b.name(stop)]), body))

    # -- expressions -----------------------------------------------------------
    def atom(self, node, hint=None):
        """An atom holding node's value, emitting the statements that compute it."""
        self.refuse_complex(node)
        if isinstance(node, (gast.Name, gast.Constant)):
            return node
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) \
                and isinstance(node.operand, gast.Constant) and isinstance(node.operand.value, (int, float)) \
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

    def refuse_complex(self, node):
        """A complex literal (`1j`): the rules are written for real values, refused where it is written."""
        if isinstance(node, gast.Constant) and isinstance(node.value, complex):
            refuse(self.parsed, node, "a complex number (s2sad differentiates real values only)")

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
            for target in gast.walk(gen.target):
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
            for sub in gast.walk(self.parsed.node):
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


def is_normal(node):
    """True when every statement of the function has the A-normal shape above."""
    return all(_normal_stmt(s) for s in node.body)


def _is_index(node):
    if isinstance(node, gast.Slice):
        return all(p is None or b.is_atom(p) for p in (node.lower, node.upper, node.step))
    if isinstance(node, gast.Tuple):
        return all(_is_index(e) for e in node.elts)
    return b.is_atom(node)


def _is_simple(node):
    if b.is_atom(node) or isinstance(node, gast.JoinedStr):
        return True
    if isinstance(node, gast.BinOp):
        return b.is_atom(node.left) and b.is_atom(node.right)
    if isinstance(node, gast.UnaryOp):
        return b.is_atom(node.operand)
    if isinstance(node, gast.Compare):
        return len(node.ops) == 1 and b.is_atom(node.left) and b.is_atom(node.comparators[0])
    if isinstance(node, gast.Call):
        func_ok = b.dotted_path(node.func) is not None \
            or (isinstance(node.func, gast.Attribute) and b.is_atom(node.func.value))
        return func_ok and all(b.is_atom(a) for a in node.args) and all(b.is_atom(k.value) for k in node.keywords)
    if isinstance(node, gast.Attribute):
        return b.is_atom(node.value) or b.dotted_path(node) is not None
    if isinstance(node, gast.Subscript):
        return b.is_atom(node.value) and _is_index(node.slice)
    if isinstance(node, (gast.Tuple, gast.List)):
        return all(b.is_atom(e) for e in node.elts)
    if isinstance(node, gast.Dict):
        return all(b.is_atom(k) for k in node.keys) and all(b.is_atom(v) for v in node.values)
    if isinstance(node, gast.Set):
        return all(isinstance(e, gast.Constant) for e in node.elts)
    return False


def _normal_stmt(stmt):
    if isinstance(stmt, gast.Assign):
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript):
            return b.is_atom(target.value) and _is_index(target.slice) and b.is_atom(stmt.value)
        return len(stmt.targets) == 1 and isinstance(target, gast.Name) and _is_simple(stmt.value)
    if isinstance(stmt, gast.Expr):
        return isinstance(stmt.value, gast.Call) and _is_simple(stmt.value)
    if isinstance(stmt, gast.Return):
        return b.is_atom(stmt.value)
    if isinstance(stmt, gast.If):
        return b.is_atom(stmt.test) and all(map(_normal_stmt, stmt.body + stmt.orelse))
    if isinstance(stmt, gast.While):
        return b.is_atom(stmt.test) and not stmt.orelse and all(map(_normal_stmt, stmt.body))
    if isinstance(stmt, gast.For):
        it = stmt.iter
        return (isinstance(stmt.target, gast.Name) and isinstance(it, gast.Call) and _names_range(it.func)
                and all(b.is_atom(a) for a in it.args) and not stmt.orelse and all(map(_normal_stmt, stmt.body)))
    if isinstance(stmt, gast.Assert):
        return b.is_atom(stmt.test)
    return isinstance(stmt, (gast.Break, gast.Continue, gast.Pass, gast.Raise))


def _names_range(func):
    """`range`, or the fresh name the normal form calls it by where the user rebinds `range`."""
    path = b.dotted_path(func) or ""
    return path == "range" or path.startswith("builtin_range")
