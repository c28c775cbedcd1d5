"""Stage 1b: a call that passes functions, or fills `*args` / `**kwargs`, calls a specialized copy.

A helper that takes a function (`def apply(fn, x): return fn(x)`), has a function-valued
default (`reduce=np.sum`) or collects `*args` / `**kwargs` cannot be differentiated as
written: which function `fn(x)` calls, and what `args[1]` is, are known only at the call.
Where they are known when the derivative is built, the call is rewritten into a call of a
copy of the helper made for it, so the later stages see an ordinary call of an ordinary
function::

    def apply(fn, x):                 def apply_helper(x):        # fn is a closure cell: helper
        return fn(x)                      return fn(x)

    apply(helper, x)          ->      apply_helper(x)

* A function passed by name (a function of yours, a NumPy ufunc, a `math` function, any
  primitive with a rule) becomes a closure cell of the copy holding that very object.
* A lambda or a nested `def` of the caller becomes a nested `def` at the top of the copy
  (lifted later, as any nested function); the caller's variables it reads become extra
  parameters of the copy, passed at the call, so it reads them when the copy runs.
* `*args` and `**kwargs` become one parameter per argument given, and the copy's body
  starts with `args = (args_0, args_1)` and `kwargs = {"scale": kwargs_scale}`.
* Parameters the call leaves out are closure cells holding their default values (the
  objects Python would use).
* `functools.reduce(fn, items[, initial])` is a call of a small Python function of s2sad's
  (`_REDUCE`) that loops over the items, specialized like any other.

The copy's parameters follow the call's arguments in the order written, so they are
evaluated in the same order. A call that needs none of this is left alone (the golden
sources do not change); one that cannot be specialized (`f(*xs)`, a function chosen at run
time) is left as written, and refused by the later stages at the user's line. The caller's
names read here are listed in `Parsed.resolved`, so a cached derivative is rebuilt when one
of them is bound to another object (driver.py).
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import inspect
import itertools
import linecache
import textwrap
import threading
import types

import gast
import numpy as np

from . import build as b
from .callables import is_library
from .lift import own_statements
from .names import every
from .naming import Namer, identifiers
from .parse import Parsed, parse, unwrap
from .registry import lookup

_MEMO = {}          # (callee, copy's source, its cells' ids) -> (callee, cells, the copy): one copy each
_LOCK = threading.Lock()
_COUNTER = itertools.count(1)
_MISSING = object()

_REDUCE_SOURCE = '''\
def functools_reduce(function, items):
    value = items[0]
    for k in range(1, len(items)):
        value = function(value, items[k])
    return value


def functools_reduce_initial(function, items, initial):
    value = initial
    for item in items:
        value = function(value, item)
    return value
'''


def _load_reduce():
    filename = "<s2sad functools.reduce>"
    linecache.cache[filename] = (len(_REDUCE_SOURCE), None, _REDUCE_SOURCE.splitlines(True), filename)
    namespace = {}
    exec(compile(_REDUCE_SOURCE, filename, "exec"), namespace)  # noqa: S102 (our own source)
    return {2: namespace["functools_reduce"], 3: namespace["functools_reduce_initial"]}


_REDUCE = _load_reduce()


def specialize(parsed: Parsed) -> Parsed:
    """Rewrite parsed's calls that pass functions or fill *args / **kwargs (in place)."""
    fn = parsed.node
    calls = [n for n in _own_nodes(fn.body) if isinstance(n, gast.Call)]
    if not calls:
        return parsed
    env = _Caller(parsed)
    for call in calls:
        _rewrite(env, call)
    return parsed


def _own_nodes(nodes):
    """The nodes of the function's own code: nested defs and lambdas excluded (specialized on their own)."""
    todo = list(nodes)
    while todo:
        node = todo.pop()
        if isinstance(node, (gast.FunctionDef, gast.Lambda)):
            continue
        yield node
        for field in node._fields:  # gast.iter_child_nodes(node), in its order, without its generators
            value = getattr(node, field, None)
            if isinstance(value, gast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend([item for item in value if isinstance(item, gast.AST)])


class _Caller:
    """The names of the function whose calls are specialized: its locals, nested functions, environment."""

    def __init__(self, parsed):
        self.parsed = parsed
        fn = parsed.node
        self.nested = _nested_functions(fn)
        self.locals = {a.id for a in fn.args.args} | set(b.names_in(fn, gast.Store)) | set(self.nested)
        self.namer = Namer(identifiers(fn) | set(parsed.closure) | self.locals)

    def resolve(self, path):
        """The object a dotted path names where the caller runs, or None (a local, or unbound)."""
        head, *rest = path.split(".")
        if head in self.locals:
            return None
        if head in self.parsed.closure:
            try:
                obj = self.parsed.closure[head].cell_contents
            except ValueError:
                return None
        elif head in self.parsed.globals:
            obj = self.parsed.globals[head]
        else:
            obj = getattr(builtins, head, None)
        for attr in rest:
            obj = getattr(obj, attr, None)
        return obj

    def note(self, path):
        """Remember that the derivative depends on what path names now."""
        if path.split(".")[0] not in self.parsed.closure or path.split(".")[0] in self.parsed.func.__code__.co_freevars:
            self.parsed.resolved.append(path)

    def value(self, node):
        """What an argument is, if it is a function known now: ("object", obj, path) or ("code", defs, name)."""
        if isinstance(node, gast.Lambda):
            return "code", node
        path = b.dotted_path(node)
        if path is None:
            return None
        if path in self.nested:
            return "code", self.nested[path]
        obj = self.resolve(path)
        if obj is not None and _is_function(obj):
            return "object", obj, path
        return None


def _nested_functions(fn):
    """{name: def or lambda} of the nested functions fn defines once (by `def` or `name = lambda`)."""
    found, twice = {}, set()
    for node in own_statements(fn.body):
        if isinstance(node, gast.FunctionDef) and not node.decorator_list:
            name, value = node.name, node
        elif isinstance(node, gast.Assign) and isinstance(node.value, gast.Lambda) and len(node.targets) == 1 \
                and isinstance(node.targets[0], gast.Name):
            name, value = node.targets[0].id, node.value
        else:
            continue
        if name in found:
            twice.add(name)
        found[name] = value
    if not found:
        return found
    stores = {n.id for stmt in own_statements(fn.body) if not isinstance(stmt, gast.FunctionDef)
              for n in every(stmt) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    lambdas = {k for k, v in found.items() if isinstance(v, gast.Lambda)}
    return {k: v for k, v in found.items() if k not in twice and (k not in stores or k in lambdas)}


def _is_function(obj):
    """A function value s2sad can call by name: a plain function, or a primitive with a rule."""
    if isinstance(obj, (type, np.ndarray)) or inspect.ismethod(obj):
        return False
    return inspect.isfunction(obj) or lookup(obj) is not None


def _callee(env, call):
    """The user function the call calls, if it is one s2sad can copy, else None."""
    path = b.dotted_path(call.func)
    if path is None:
        return None, None
    obj = env.resolve(path)
    if obj is functools.reduce:
        obj = _REDUCE.get(len(call.args)) if not call.keywords else None
    if obj is None or any(hasattr(obj, a) for a in ("__s2sad_wrapped__", "__s2sad_generated__", "__s2sad_rule__")):
        return None, None
    func = unwrap(obj)
    if not inspect.isfunction(func) or is_library(func) or lookup(obj) is not None or lookup(func) is not None \
            or (func.__module__ or "").split(".")[0] == __package__:  # s2sad's own (grad inside f): not copied
        return None, None
    return func, path


def _rewrite(env, call):
    func, path = _callee(env, call)
    if func is None or any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return
    signature = inspect.signature(func)
    try:
        bound = signature.bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError:
        return  # refused by the later stages, at the call
    star = any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values())
    values = {n: env.value(a) for n, a in bound.arguments.items()
              if signature.parameters[n].kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)}
    values = {n: v for n, v in values.items() if v is not None}
    defaults = {n: p.default for n, p in signature.parameters.items()
                if n not in bound.arguments and p.default is not p.empty}
    if not star and not values and not any(_is_function(d) for d in defaults.values()):
        return
    made = _Copy(env, func, call, signature, values, defaults).make()
    if made is None:
        return
    copied, arguments = made
    if path != "functools.reduce" and env.resolve(path) is not functools.reduce:
        env.note(path)
    cell = env.namer.fresh(copied.__name__)
    env.parsed.closure[cell] = types.CellType(copied)
    call.func = gast.copy_location(b.name(cell), call.func)
    call.args, call.keywords = arguments, []


class _Copy:
    """The copy of func for one call: its tree, closure cells, and the call's new arguments."""

    def __init__(self, env, func, call, signature, values, defaults):
        self.env, self.func, self.call, self.signature = env, func, call, signature
        self.values, self.defaults = values, defaults
        self.parsed = parse(func)
        self.namer = Namer(identifiers(self.parsed.node) | set(func.__code__.co_freevars) | set(signature.parameters))
        self.params, self.arguments, self.cells, self.prelude = [], [], {}, []

    def make(self):
        if not self._bind():
            return None
        node = self.parsed.node
        node.args = b.arguments(self.params)
        node.body = [gast.copy_location(s, node) if not hasattr(s, "lineno") else s for s in self.prelude] + node.body
        node.name = self._title()
        return _compiled(self.func, node, self.cells, self.env.parsed.node.name), self.arguments

    def _title(self):
        named = [v[2].split(".")[-1] if v[0] == "object" else n for n, v in self.values.items()]
        base = self.func.__name__ if self.func.__name__.isidentifier() else "f"
        return "_".join([base] + [n for n in named if n.isidentifier()]) if named else base + "_star"

    def _bind(self):
        """Each argument written at the call given to a parameter, a cell or an item of *args / **kwargs."""
        star, starstar = [], []
        for name, arg in self._written():
            if isinstance(name, tuple):  # ("*", k) or ("**", key)
                if self.env.value(arg) is not None:
                    return False  # a function among *args: not specialized
                param = self.namer.fresh(f"{name[2]}_{name[1]}")
                (star if name[0] == "*" else starstar).append((name[1], param))
                self._parameter(param, arg)
            elif name in self.values:
                self._function(name, self.values[name])
            else:
                self._parameter(name, arg)
        for name, default in self.defaults.items():
            self.cells[name] = default
        for name, p in self.signature.parameters.items():
            if p.kind is p.VAR_POSITIONAL:
                self.prelude.append(b.assign(name, b.tup([b.name(v) for _, v in star])))
            elif p.kind is p.VAR_KEYWORD:
                self.prelude.append(b.assign(name, gast.Dict(keys=[b.const(k) for k, _ in starstar],
                                                             values=[b.name(v) for _, v in starstar])))
        return True

    def _written(self):
        """(parameter name or ("*", k, name) / ("**", key, name), argument) in the order the call writes them."""
        params = list(self.signature.parameters.values())
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        vararg = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)
        kwarg = next((p.name for p in params if p.kind is p.VAR_KEYWORD), None)
        named = {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        for k, arg in enumerate(self.call.args):
            yield (positional[k].name if k < len(positional) else ("*", k - len(positional), vararg)), arg
        for keyword in self.call.keywords:
            yield (keyword.arg if keyword.arg in named else ("**", keyword.arg, kwarg)), keyword.value

    def _parameter(self, param, arg):
        self.params.append(param)
        self.arguments.append(arg)

    def _function(self, name, value):
        if value[0] == "object":
            self.cells[name] = value[1]
            self.env.note(value[2])
            return
        self._code(name, value[1])

    def _code(self, name, node):
        """A caller's lambda or nested def as a nested def of the copy, named `name`; what it reads of
        the caller's comes in as extra parameters (values) or cells (functions and modules)."""
        defs = _with_siblings(self.env, node, name)
        inner = {d.name for d in defs}
        free = set()
        for d in defs:
            params = {a.id for a in d.args.args} | {a.id for a in d.args.kwonlyargs}
            free |= set(b.names_in(d, gast.Load)) - params - set(b.names_in(d, gast.Store)) - inner
        renamed = {}
        for ident in sorted(free):
            if ident in self.env.locals:
                renamed[ident] = self.namer.fresh(f"{name}_{ident}")
                self._parameter(renamed[ident], b.name(ident))
                continue
            obj = self.env.resolve(ident)
            if ident not in self.env.parsed.globals and ident not in self.env.parsed.closure:
                continue  # a builtin (or unbound): read the same way in the copy
            if isinstance(obj, types.ModuleType) or (callable(obj) and not isinstance(obj, np.ndarray)):
                if self.func.__globals__.get(ident, _MISSING) is obj:
                    if not isinstance(obj, types.ModuleType):
                        self.env.note(ident)
                    continue  # the copy's module binds it too (np, math, a helper beside it): read it there
                renamed[ident] = self.namer.fresh(f"{name}_{ident}")
                self.cells[renamed[ident]] = obj
                self.env.note(ident)
            else:  # a global value: read when the caller runs
                renamed[ident] = self.namer.fresh(f"{name}_{ident}")
                self._parameter(renamed[ident], b.name(ident))
        for d in defs:
            for sub in every(d):
                if isinstance(sub, gast.Name) and sub.id in renamed:
                    sub.id = renamed[sub.id]
        self.prelude.extend(defs)


def _with_siblings(env, node, name):
    """Copies of the def (named name) and of the caller's nested functions it reads, as defs."""
    defs, todo, seen = [], [(name, node)], set()
    while todo:
        title, value = todo.pop(0)
        if title in seen:
            continue
        seen.add(title)
        defs.append(_as_def(title, value))
        for ident in b.names_in(value, gast.Load):
            if ident in env.nested and ident not in seen:
                todo.append((ident, env.nested[ident]))
    renames = {}
    if isinstance(node, gast.FunctionDef) and node.name != name:  # the def passed as `fn`: calls to itself too
        renames[node.name] = name
    for d in defs:
        for sub in every(d):
            if isinstance(sub, gast.Name) and sub.id in renames:
                sub.id = renames[sub.id]
    return defs


def _as_def(title, value):
    if isinstance(value, gast.Lambda):
        node = b.function(title, [], [gast.copy_location(b.ret(copy.deepcopy(value.body)), value)])
        node.args = copy.deepcopy(value.args)
        return gast.copy_location(node, value)
    node = copy.deepcopy(value)
    node.name = title
    return node


def _compiled(func, node, cells, caller):
    """The copy as a live function: func's globals, its closure cells shared, the new cells added."""
    text = ast.unparse(gast.gast_to_ast(node))
    makers = sorted(set(cells) | set(func.__code__.co_freevars))
    key = (id(func), text, tuple((n, id(cells[n])) for n in sorted(cells)))
    with _LOCK:
        hit = _MEMO.get(key)
    if hit is not None:
        return hit[2]
    source = f"def _s2sad_make({', '.join(makers)}):\n" + textwrap.indent(text, "    ") + f"\n    return {node.name}\n"
    filename = f"{func.__code__.co_filename} (specialized {func.__name__} for {caller} #{next(_COUNTER)})"
    padded = "\n" * max(func.__code__.co_firstlineno - 2, 0) + source
    linecache.cache[filename] = (len(padded), None, padded.splitlines(True), filename)
    namespace = {}
    exec(compile(padded, filename, "exec"), func.__globals__, namespace)  # noqa: S102 (our own generated source)
    code = next(c for c in namespace["_s2sad_make"].__code__.co_consts
                if isinstance(c, types.CodeType) and c.co_name == node.name)
    own = dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
    closure = tuple(types.CellType(cells[v]) if v in cells else own[v] for v in code.co_freevars)
    copied = types.FunctionType(code, func.__globals__, node.name, None, closure)
    copied.__qualname__ = node.name
    copied.__module__ = func.__module__
    with _LOCK:
        if len(_MEMO) > 4096:
            _MEMO.clear()
        _MEMO[key] = (func, dict(cells), copied)
    return copied
