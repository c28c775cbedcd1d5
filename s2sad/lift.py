"""Stage 1b: nested functions and lambdas become helpers of their own (lambda lifting).

A `def` or `name = lambda ...` inside the differentiated function is taken out and
compiled on its own, with the outer variables it reads turned into extra parameters;
every call `h(a)` becomes `h(a, w)`. Because a closure reads an outer variable when it
is called, passing that variable's value at the call reads the same value, so the
lifted program computes what the original does. The lifted function is then an
ordinary user function: both modes differentiate it and call its derivative.

What cannot be lifted that way is refused: a nested function used as a value (passed,
returned, stored) rather than called, one that calls itself, one with decorators, or
one that assigns the outer variables (`nonlocal`, refused already by syntax.py).

Example::

    def f(x, w):                         def h(z, w):          # lifted
        def h(z):                            return z * w
            return z * w
        return h(x) + h(2.0)       ->    def f(x, w):
                                             return h(x, w) + h(2.0, w)
"""

import copy
import linecache
import types

import gast

from . import build as b
from .syntax import refuse
from .unparse import to_source


def lift(parsed):
    """Take parsed's nested functions out; they become closure cells the later stages resolve."""
    fn = parsed.node
    nested = _nested(parsed, fn)
    if not nested:
        return parsed
    outer = _outer_names(parsed, fn)
    originals = {name: copy.deepcopy(node) for name, (node, _) in nested.items()}
    for name, (node, _) in nested.items():
        _copy_siblings(parsed, name, node, nested, originals)
    for name, (node, statement) in nested.items():
        free = sorted(_free_names(node) & outer)
        _check_only_called(parsed, fn, name, node, statement)
        parsed.closure[name] = types.CellType(_compile(parsed, name, node, free))
        _add_arguments(fn, name, free)
    fn.body = _without(fn.body, {statement for _, statement in nested.values()})
    return parsed


def _nested(parsed, fn):
    """{name: (FunctionDef, the statement defining it)} for every def and `name = lambda` in fn's blocks."""
    found = {}
    for stmt in own_statements(fn.body):
        if isinstance(stmt, gast.FunctionDef):
            if stmt.decorator_list:
                refuse(parsed, stmt, "a decorated nested def")
            node = stmt
        elif isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Lambda) \
                and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
            node = b.function(stmt.targets[0].id, [], [b.ret(stmt.value.body)])
            node.args = stmt.value.args
            gast.copy_location(node, stmt)
        else:
            continue
        if node.name in found:
            refuse(parsed, stmt, f"a nested function {node.name!r} defined twice")
        found[node.name] = (node, stmt)
    return found


def own_statements(stmts):
    """Every statement of fn's own blocks, nested blocks included, a nested def's body excluded."""
    for stmt in stmts:
        yield stmt
        if not isinstance(stmt, gast.FunctionDef):
            for field in ("body", "orelse"):
                yield from own_statements(getattr(stmt, field, None) or [])


def _outer_names(parsed, fn):
    """Names the nested functions may read from the function around them: its locals and its closure."""
    names = {a.id for a in fn.args.args} | (set(parsed.closure) - parsed.imported)  # a nested def imports its own
    for stmt in own_statements(fn.body):
        for target in getattr(stmt, "targets", None) or [getattr(stmt, "target", None)]:
            if target is not None:
                names |= set(b.names_in(target, gast.Store))
    return names


def _free_names(node):
    params = {a.id for a in node.args.args} | {a.id for a in node.args.kwonlyargs}
    stored = set()
    loaded = set()
    for stmt in node.body:
        if isinstance(stmt, gast.FunctionDef):  # a sibling copied in (_copy_siblings): what it reads from here
            stored.add(stmt.name)
            loaded |= _free_names(stmt)
            continue
        stored |= set(b.names_in(stmt, gast.Store))
        loaded |= set(b.names_in(stmt, gast.Load))
    return loaded - params - stored


def _copy_siblings(parsed, name, node, nested, originals):
    """A nested function that calls others gets copies of them as nested defs of its own (lifted in turn
    when it is differentiated), so `outer` calling `inner` works; a cycle among them is refused."""
    reached, todo = [], [n for n in sorted(_free_names(node)) if n in nested and n != name]
    while todo:
        other = todo.pop(0)
        if other in reached:
            continue
        reached.append(other)
        todo += [n for n in sorted(_free_names(nested[other][0])) if n in nested and n not in reached]
    if name in reached:
        refuse(parsed, node, f"nested functions that call each other in a cycle ({name!r} and {reached[0]!r}) "
                             "(define them at module level)")
    node.body = [copy.deepcopy(originals[other]) for other in reached] + node.body


def _check_only_called(parsed, fn, name, node, statement):
    """A lifted function must be called, never used as a value, and must not call itself."""
    if name in _free_names(node):
        refuse(parsed, node, f"a nested function {name!r} that calls itself")
    calls = set()
    for sub in gast.walk(fn):
        if isinstance(sub, gast.Call) and isinstance(sub.func, gast.Name) and sub.func.id == name:
            calls.add(id(sub.func))
    for sub in gast.walk(fn):
        if isinstance(sub, gast.Name) and sub.id == name and id(sub) not in calls:
            if isinstance(statement, gast.Assign) and statement.targets[0] is sub:
                continue  # `name = lambda ...` itself
            refuse(parsed, sub if hasattr(sub, "lineno") else node,
                   f"the nested function {name!r} used as a value (only calls to it are supported)")


def _compile(parsed, name, node, free):
    """The nested function as a real function of its own, its source visible to inspect and tracebacks."""
    lifted = copy.deepcopy(node)
    lifted.args.args = list(lifted.args.args) + [
        gast.Name(id=v, ctx=gast.Param(), annotation=None, type_comment=None) for v in free]
    text = to_source(lifted)
    filename = f"{parsed.filename} (nested {name} in {parsed.node.name})"
    padded = "\n" * (node.lineno - 1) + text
    linecache.cache[filename] = (len(padded), None, padded.splitlines(True), filename)
    namespace = {}
    exec(compile(padded, filename, "exec"), parsed.globals, namespace)  # noqa: S102 (our own generated source)
    return namespace[name]


def _add_arguments(fn, name, free):
    """`name(a)` becomes `name(a, *free)` in fn's own code (a nested def has its own copy of name)."""
    if not free:
        return
    todo = list(fn.body)
    while todo:
        sub = todo.pop()
        if isinstance(sub, gast.FunctionDef):
            continue
        if isinstance(sub, gast.Call) and isinstance(sub.func, gast.Name) and sub.func.id == name:
            sub.args = list(sub.args) + [b.name(v) for v in free]
        todo.extend(gast.iter_child_nodes(sub))


def _without(stmts, removed):
    kept = []
    for stmt in stmts:
        if stmt in removed:
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block:
                setattr(stmt, field, _without(block, removed) or [gast.Pass()])
        kept.append(stmt)
    return kept
