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

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gast

from . import build as b
from .aliases import propagate_aliases
from .anf_expressions import Expressions, _loop, _mapping_view, _nested, _word
from .errors import LIMITATIONS, S2SADError
from .exits import structure_exits
from .names import names
from .naming import Namer, identifiers
from .resolve import Resolver
from .syntax import refuse
from .templates import clone
from .writes import aliased_names, check_writes

if TYPE_CHECKING:
    from .parse import Parsed


@dataclass
class Normalized:
    """A function in A-normal form and the side tables later stages read."""

    node: gast.FunctionDef
    origins: dict[gast.stmt, int | None] = field(default_factory=dict)  # statement -> user's line number
    temps: set[str] = field(default_factory=set)        # expression temporaries: one def, used in its own statement
    names: set[str] = field(default_factory=set)        # every identifier in use
    helpers: dict[str, Any] = field(default_factory=dict)  # name in the code -> runtime object it stands for
    sharers: dict[str, set[str]] = field(default_factory=dict)  # written name -> names holding its memory at a write


def normalize(parsed: Parsed) -> Normalized:
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


class _Normalizer(Expressions):
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
