"""Stage 1a'': `s2sad.grad(h)(...)` written inside the function being differentiated.

JAX's habit of taking a derivative inside a function that is itself differentiated
(`def f(x): return x * s2sad.grad(lambda y: x + y)(1.0)`) becomes an ordinary call: the
gradient function is made now, bound to a name of the function's environment (a closure
cell), and the call calls it. The later stages see a call of `grad(h)`, whose generated
code they differentiate like any user function (`parse.unwrap` follows a grad wrapper to
the VJP it runs)::

    def f(x):                                         def f(x):
        return x * s2sad.grad(lambda y: x + y)(1.0)  ->    return x * grad_lambda(1.0, x)

    grad_lambda = s2sad.grad(lambda_(y, x): x + y, wrt=0)

A lambda or nested `def` that reads the caller's variables is copied into a function of
its own whose extra, last parameters are those variables (passed at the call, as lifting
does), so the outer derivative flows through them as through any argument. Because the
inner derivative is ordinary generated code of its own, differentiated again as code, the
two perturbations cannot be confused: d/dx [x * d/dy (x + y)] is 1, never 2.

Handled: `s2sad.grad` and `s2sad.value_and_grad` of a function named in the environment, a
lambda, a nested def, or such a call itself (`grad(grad(h))`), with a constant `wrt`.
Anything else written that way (`has_aux`, a computed `wrt`) is refused at the user's line.
"""

import ast
import copy
import itertools
import linecache
import threading
import types

import gast

from . import build as b
from .errors import LIMITATIONS, S2SADError
from .lift import own_statements
from .names import every
from .parse import environment_object

_MAKERS = ("grad", "value_and_grad")
_MEMO = {}                 # (filename, copy's source, cells) -> the copy, so its derivatives are cached
_LOCK = threading.Lock()
_COUNTER = itertools.count(1)


def inner_derivatives(parsed):
    """Rewrite parsed's calls `s2sad.grad(h, wrt=...)(args)` into calls of a name bound to that gradient."""
    every_call = [n for n in every(parsed.node) if isinstance(n, gast.Call)]
    calls = [n for n in every_call if _maker(parsed, n.func)]
    if not calls and not any(_maker(parsed, n) for n in every_call):
        return parsed
    env = _Caller(parsed)
    for call in calls:
        _call_made(env, call, *env.gradient(call.func))
    named = _named_gradients(parsed)
    for statement, uses in named:
        made, extra = env.gradient(statement.value)
        for call in uses:
            _call_made(env, call, made, extra)
    if named:
        parsed.node.body = _without(parsed.node.body, {id(s) for s, _ in named})
    return parsed


def _call_made(env, call, made, extra):
    """call calls the made gradient, bound to a fresh name, with the caller's variables it reads added."""
    cell = env.fresh(made.__name__)
    env.parsed.closure[cell] = types.CellType(made)
    call.func = gast.copy_location(b.name(cell), call.func)
    call.args = list(call.args) + [b.name(v) for v in extra]


def _named_gradients(parsed):
    """[(`dh = s2sad.grad(h)`, the calls `dh(...)`)] for each local name bound once to a gradient and only called."""
    fn = parsed.node
    found = []
    for stmt in own_statements(fn.body):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and _maker(parsed, stmt.value):
            name = stmt.targets[0].id
            stores = [n for n in every(fn) if isinstance(n, gast.Name) and n.id == name
                      and not isinstance(n.ctx, gast.Load)]
            calls = [n for n in every(fn) if isinstance(n, gast.Call) and isinstance(n.func, gast.Name)
                     and n.func.id == name]
            loads = [n for n in every(fn) if isinstance(n, gast.Name) and n.id == name
                     and isinstance(n.ctx, gast.Load)]
            if len(stores) == 1 and len(loads) == len(calls) and name not in {a.id for a in fn.args.args}:
                found.append((stmt, calls))
    return found


def _without(stmts, removed):
    """The statements with those whose ids are in removed taken out (a block left empty gets `pass`)."""
    kept = []
    for stmt in stmts:
        if id(stmt) in removed:
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and not isinstance(stmt, gast.FunctionDef):
                setattr(stmt, field, _without(block, removed) or [gast.Pass()])
        kept.append(stmt)
    return kept


def _maker(parsed, node):
    """The s2sad transform (grad or value_and_grad) node calls, if it is a call of one, else None."""
    if not isinstance(node, gast.Call):
        return None
    obj = environment_object(parsed, node.func, (), builtins_too=True)
    if getattr(obj, "__module__", None) == "s2sad.api" and getattr(obj, "__name__", None) in _MAKERS:
        return obj
    return None




class _Caller:
    """The function whose inner gradients are made: its local names and nested functions."""

    def __init__(self, parsed):
        self.parsed = parsed
        fn = parsed.node
        self.nested = {s.name: s for s in own_statements(fn.body) if isinstance(s, gast.FunctionDef)}
        for s in own_statements(fn.body):
            if isinstance(s, gast.Assign) and isinstance(s.value, gast.Lambda) and len(s.targets) == 1 \
                    and isinstance(s.targets[0], gast.Name):
                self.nested[s.targets[0].id] = _as_def(s.targets[0].id, s.value)
        self.locals = {a.id for a in fn.args.args} | set(b.names_in(fn, gast.Store)) | set(self.nested)
        self.taken = set(b.names_in(fn)) | set(parsed.closure) | set(parsed.globals)

    def fresh(self, base):
        name = base if base.isidentifier() else "inner"
        name = f"{name}_grad"
        while name in self.taken:
            name += "_"
        self.taken.add(name)
        return name

    def refuse(self, node, what):
        raise S2SADError(f"{what} inside {self.parsed.node.name}, a function being differentiated, is not "
                         "supported (supported: s2sad.grad(h)(...) and s2sad.value_and_grad(h)(...) of a function, "
                         "a lambda or a nested def, with a constant wrt)",
                         self.parsed.filename, getattr(node, "lineno", None) or self.parsed.node.lineno,
                         "s2sad.grad inside a differentiated function", LIMITATIONS)

    def gradient(self, node):
        """(the gradient function `node` makes, the caller's variables to pass after the call's arguments)."""
        maker = _maker(self.parsed, node)
        if len(node.args) not in (1, 2) or any(k.arg != "wrt" for k in node.keywords):
            self.refuse(node, f"s2sad.{maker.__name__} with arguments other than (function, wrt)")
        wrt_node = node.args[1] if len(node.args) == 2 else next((k.value for k in node.keywords), None)
        try:
            wrt = 0 if wrt_node is None else ast.literal_eval(gast.gast_to_ast(wrt_node))
        except ValueError:
            self.refuse(node, f"s2sad.{maker.__name__} with a wrt that is not a constant")
        target = node.args[0]
        if _maker(self.parsed, target):
            function, extra = self.gradient(target)
        else:
            function, extra = self.function(target, node)
        return maker(function, wrt), extra

    def function(self, node, call):
        """(the function h names, the caller's variables it reads and must be passed)."""
        path = b.dotted_path(node)
        if path is not None and path.split(".")[0] not in self.locals:
            obj = environment_object(self.parsed, node, (), builtins_too=True)  # self.locals: checked above
            if obj is None or not callable(obj):
                self.refuse(call, f"s2sad.grad of {path}, which is not a function")
            head = path.split(".")[0]
            if head not in self.parsed.closure or head in self.parsed.func.__code__.co_freevars:
                self.parsed.resolved.append(path)  # the derivative depends on what path names now
            return obj, []
        if isinstance(node, gast.Lambda):
            return self.copy(_as_def("lambda_", node))
        if isinstance(node, gast.Name) and node.id in self.nested:
            return self.copy(copy.deepcopy(self.nested[node.id]))
        self.refuse(call, "s2sad.grad of a function known only when the code runs")

    def copy(self, node):
        """A lambda or nested def as a function of its own: the caller's variables it reads become its last
        parameters, the nested functions it calls nested defs of its own (lifted when it is differentiated)."""
        if node.decorator_list or node.args.vararg or node.args.kwarg or node.args.kwonlyargs or node.args.defaults:
            self.refuse(node, "s2sad.grad of a nested function with decorators, defaults or *args")
        siblings = self.siblings(node)
        node.body = [copy.deepcopy(s) for s in siblings] + node.body
        extra = sorted((_free(node) & self.locals) - {s.name for s in siblings})
        node.args.args = list(node.args.args) + [gast.Name(id=v, ctx=gast.Param(), annotation=None,
                                                            type_comment=None) for v in extra]
        return _compiled(self.parsed, node), extra

    def siblings(self, node):
        """The caller's nested functions node calls, and those they call."""
        found, todo = [], sorted(_free(node) & set(self.nested))
        while todo:
            name = todo.pop(0)
            if name in [s.name for s in found] or name == node.name:
                continue
            found.append(_as_def(name, self.nested[name]) if isinstance(self.nested[name], gast.Lambda)
                         else self.nested[name])
            todo += sorted(_free(self.nested[name]) & set(self.nested))
        return found


def _as_def(title, value):
    if isinstance(value, gast.FunctionDef):
        return value
    node = b.function(title, [], [gast.copy_location(b.ret(copy.deepcopy(value.body)), value)])
    node.args = copy.deepcopy(value.args)
    return gast.copy_location(node, value)


def _free(node):
    """The names node reads that it neither takes nor binds (nested defs' reads included)."""
    params = {a.id for a in node.args.args}
    stored, loaded = set(), set()
    for stmt in node.body:
        if isinstance(stmt, gast.FunctionDef):
            stored.add(stmt.name)
            loaded |= _free(stmt)
            continue
        stored |= set(b.names_in(stmt, gast.Store))
        loaded |= set(b.names_in(stmt, gast.Load))
    return loaded - params - stored


def _compiled(parsed, node):
    """node as a live function of parsed's module: its globals, the caller's closure cells it reads."""
    text = ast.unparse(gast.gast_to_ast(node))
    cells = sorted(_free(node) & set(parsed.closure))
    key = (parsed.filename, text, tuple((n, id(parsed.closure[n])) for n in cells))
    with _LOCK:
        hit = _MEMO.get(key)
    if hit is not None:
        return hit
    lineno = getattr(node, "lineno", 2) or 2
    if node.name == "lambda_":  # its body, the lambda's expression, on the lambda's line: errors name that line
        lineno -= 1
    source = f"def _s2sad_make({', '.join(cells)}):\n" + "\n".join("    " + line for line in text.splitlines()) \
        + f"\n    return {node.name}\n"
    filename = f"{parsed.filename} (inner {node.name} of {parsed.node.name} #{next(_COUNTER)})"
    padded = "\n" * max(lineno - 2, 0) + source
    linecache.cache[filename] = (len(padded), None, padded.splitlines(True), filename)
    namespace = {}
    exec(compile(padded, filename, "exec"), parsed.globals, namespace)  # noqa: S102 (our own generated source)
    code = next(c for c in namespace["_s2sad_make"].__code__.co_consts
                if isinstance(c, types.CodeType) and c.co_name == node.name)
    made = types.FunctionType(code, parsed.globals, node.name, None,
                              tuple(parsed.closure[v] for v in code.co_freevars))
    made.__qualname__ = node.name
    made.__module__ = parsed.globals.get("__name__")
    with _LOCK:
        if len(_MEMO) > 4096:
            _MEMO.clear()
        _MEMO[key] = made
    return made
