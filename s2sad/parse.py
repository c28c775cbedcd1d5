"""Stage 1: from a live Python function to its gast tree, with where its names live.

After this stage: `Parsed.node` is a gast FunctionDef without decorators whose line
numbers are the lines of the user's file, and `Parsed.globals` / `Parsed.closure` are the
very dict and cells the function reads, so later stages resolve names exactly as the
function does when it runs.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import linecache
import re
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gast

from . import build as b
from .errors import S2SADError
from .names import every


@dataclass
class Parsed:
    """A function's syntax tree and the environment its free names come from."""

    func: Callable[..., Any]
    node: gast.FunctionDef
    filename: str
    globals: dict[str, Any]
    closure: dict[str, Any] = field(default_factory=dict)  # free name -> its cell
    imported: set[str] = field(default_factory=set)    # closure names bound by an import inside the function
    resolved: list[str] = field(default_factory=list)  # dotted names the front stages read (specialize.py)

    def line_text(self, lineno: int) -> str:
        return linecache.getline(self.filename, lineno).strip()


def unwrap(func: Any) -> Any:
    """The plain Python function behind a decorator object or a bound method.

    A function made by someone else's decorator with `functools.wraps` is that function
    itself: what it computes is the wrapper's code, whatever its `__wrapped__` says (a
    decorator may change the value). It comes back as a copy without `__wrapped__` and
    what `wraps` copied, so that neither `inspect` nor s2sad reads the wrapped function's
    source, signature or rules in its place."""
    seen = set()
    while id(func) not in seen:
        seen.add(id(func))
        if foreign_wrapper(func):
            return _bare(func)
        if inspect.ismethod(func):
            func = func.__func__
        elif hasattr(func, "__s2sad_wrapped__"):
            func = func.__s2sad_wrapped__
        elif hasattr(func, "__s2sad_generated__"):  # grad(f) and friends: the generated code they run
            func = func.__s2sad_generated__()
        elif isinstance(func, SAME_VALUE_WRAPPERS):  # functools.cache: the wrapped function's values
            func = func.__wrapped__
    return func


# Wrappers known to return what the function they wrap returns. Any other object with `__wrapped__`
# (a class-based decorator) is a callable object: its own __call__ is what it computes.
SAME_VALUE_WRAPPERS = (type(functools.lru_cache()(lambda: None)),)


def foreign_wrapper(func):
    """Whether func is a plain function that `functools.wraps` made look like another one,
    other than s2sad's own wrappers (which mark themselves with `__s2sad_owner__`)."""
    own = getattr(func, "__dict__", {})
    return inspect.isfunction(func) and "__wrapped__" in own and own.get("__s2sad_owner__") is not func


def own_wrapper(wrapper):
    """Mark a function made by s2sad with functools.wraps as s2sad's (see `foreign_wrapper`)."""
    wrapper.__s2sad_owner__ = wrapper
    return wrapper


def _bare(func):
    """A copy of func (same code, globals, defaults and cells) without the attributes `wraps` set."""
    bare = types.FunctionType(func.__code__, func.__globals__, func.__code__.co_name, func.__defaults__,
                              func.__closure__)
    bare.__kwdefaults__ = func.__kwdefaults__
    bare.__qualname__ = func.__code__.co_qualname if hasattr(func.__code__, "co_qualname") else func.__name__
    bare.__module__ = func.__module__
    return bare


def source_of(func, exact=False):
    """The dedented source of func and the file line its first line sits on.

    Unless `exact`, a def's lines are cut where the first line of code indented no deeper than
    the def begins (`_def_lines`), without the tokenizer `inspect` runs (a millisecond a function);
    a cut that is wrong leaves a prefix Python cannot parse, which `parse` then reads again exactly."""
    name = getattr(func, "__qualname__", repr(func))
    code = getattr(func, "__code__", None)
    filename = code.co_filename if code else "<unknown>"
    lineno = code.co_firstlineno if code else None
    try:
        lines, start = _def_lines(code) if code is not None and not exact and code.co_name != "<lambda>" else (None, 0)
        if lines is None:
            lines, start = inspect.getsourcelines(code or func)  # the code: inspect would follow __wrapped__
    except (OSError, TypeError) as exc:
        raise S2SADError(
            f"cannot read the source of {name} (a function built with exec or typed at the REPL has none)",
            filename, lineno, "source", "define it in a file, or give it a rule with s2sad.custom_vjp",
        ) from exc
    return textwrap.dedent("".join(lines)), start, filename


def _def_lines(code):
    """(lines, first line) of the def (decorators included) that made code, as `inspect.getsourcelines`
    finds them but for trailing comments, or (None, 0) where a line is indented with anything but spaces.

    The def ends before the first line of code (not blank, not a comment) indented no deeper than the
    def's first line. Such a line inside the def can only continue a bracket, a string or a backslash
    line, and the lines before it then do not parse: the caller's cue to ask `inspect`."""
    lines, first = inspect.findsource(code)
    indent = _indent(lines[first])
    last, started = first, _DEF.match(lines[first].lstrip()) is not None  # past the decorators
    for at in range(first + 1, len(lines)):
        line = lines[at]
        stripped = line.lstrip()
        if not stripped or stripped[0] == "#":
            continue
        depth = _indent(line)
        if depth is None or indent is None:
            return None, 0
        if depth <= indent:
            if started or not (stripped[0] == "@" or _DEF.match(stripped)):
                break
            started = _DEF.match(stripped) is not None
        last = at
    return lines[first:last + 1], first + 1


_DEF = re.compile(r"(async\s+)?def\s")


def _indent(line):
    """The width of line's indentation, None where it holds anything but spaces (a tab's width depends)."""
    stripped = line.lstrip()
    width = len(line) - len(stripped)
    return width if line[:width].strip(" ") == "" else None


def _gast_module(text):
    """gast.parse(text), its generic conversion done without gast's keyword-argument constructors (what a
    first transformation spends most of its parsing on); the node kinds gast converts its own way go through
    gast's own methods. Where gast lacks the converter this relies on, gast.parse itself."""
    converter = _fast_converter()
    tree = ast.parse(text)
    return converter().visit(tree) if converter is not None else gast.ast_to_gast(tree)


@functools.cache
def _fast_converter():
    base = getattr(getattr(gast, "ast3", None), "Ast3ToGAst", None)
    if base is None or not hasattr(base, "_visit"):
        return None
    plans = {}

    class FastAstToGast(base):
        def visit(self, node):  # NodeVisitor.visit's lookup, remembered per class
            cls = node.__class__
            method = self.methods.get(cls)
            if method is None:
                method = self.methods[cls] = getattr(type(self), "visit_" + cls.__name__, None) or _generic
            return method(self, node)

        def generic_visit(self, node):
            return _generic(self, node)

    def _generic(self, node):
        """gast's generic_visit: the gast class of the same name, the fields the node has converted, its
        locations copied."""
        cls = node.__class__
        plan = plans.get(cls)
        if plan is None:
            plan = plans[cls] = (getattr(gast, cls.__name__, None), cls._fields, cls._attributes)
        target, fields, attributes = plan
        if target is None:
            return None
        new = target.__new__(target)
        out, visit = new.__dict__, self.visit
        for name in fields:
            value = getattr(node, name, _ABSENT)
            if value is _ABSENT:
                continue
            if isinstance(value, ast.AST):
                value = visit(value)
            elif value.__class__ is list:
                value = [visit(v) if isinstance(v, ast.AST) else self._visit(v) for v in value]
            out[name] = value
        for attribute in attributes:
            value = getattr(node, attribute, _ABSENT)
            if value is not _ABSENT:
                out[attribute] = value
        return new

    FastAstToGast.methods = {}
    return FastAstToGast


_ABSENT = object()


def _shift_lines(module, by):
    """gast.increment_lineno(module, by), walking each node once by its fields (a node without a
    line gets `by`, as there)."""
    for child in every(module):
        attributes = child._attributes
        if "lineno" in attributes:
            child.lineno = (getattr(child, "lineno", 0) or 0) + by
        if "end_lineno" in attributes:
            child.end_lineno = (getattr(child, "end_lineno", 0) or 0) + by


def parse(func: Callable[..., Any]) -> Parsed:
    """Parse a Python function into a Parsed record."""
    func = unwrap(func)
    if not inspect.isfunction(func):
        raise S2SADError(f"{func!r} is not a Python function", construct="call")
    text, start, filename = source_of(func)
    try:
        module = _gast_module(text)
    except SyntaxError:
        text, start, filename = source_of(func, exact=True)
        try:
            module = _gast_module(text)
        except SyntaxError:  # a lambda inside an expression that goes on over several lines
            raise S2SADError(f"cannot read the source of {func.__qualname__} on its own", filename, start, "lambda",
                             "define it with def") from None
    node = module.body[0]
    if isinstance(node, gast.AsyncFunctionDef):
        raise S2SADError("async def cannot be differentiated", filename, start, "async def")
    _shift_lines(module, start - 1)
    if func.__name__ == "<lambda>":
        node = _lambda_as_def(module, func, filename, start)
    if not isinstance(node, gast.FunctionDef):
        raise S2SADError(
            f"{func.__qualname__} is a lambda or is not defined by a def statement",
            filename, start, "lambda", "define it with def",
        )
    node.decorator_list = []
    _keyword_only_as_plain(node, func, filename)
    closure = {}
    if func.__closure__:
        closure = dict(zip(func.__code__.co_freevars, func.__closure__))
    return Parsed(func, node, filename, func.__globals__, closure)


def defaults(func: Callable[..., Any]) -> tuple[Any, ...]:
    """The default values of func's parameters as the generated code's signature lists them:
    the positional ones', then the keyword-only ones' (see `_keyword_only_as_plain`)."""
    kw = func.__kwdefaults__ or {}
    code = func.__code__
    names = code.co_varnames[code.co_argcount: code.co_argcount + code.co_kwonlyargcount]
    return tuple(func.__defaults__ or ()) + tuple(kw[n] for n in names if n in kw)


def _keyword_only_as_plain(node, func, filename):
    """Keyword-only parameters become plain ones after the positional ones, in place.

    Generated functions are called with every parameter by position (the API binds the
    user's arguments first) or by keyword (a caller's derivative calls a callee's), and
    they append their own parameters (tangents, the seed) after the user's: so a
    derivative's signature is the user's with `*` removed. A keyword-only parameter
    without a default after defaults has no such signature: refused."""
    args = node.args
    if not args.kwonlyargs:
        return
    has_default = [False] * (len(args.args) - len(args.defaults)) + [True] * len(args.defaults) \
        + [d is not None for d in args.kw_defaults]
    names = [a.id for a in args.args + args.kwonlyargs]
    late = [n for k, n in enumerate(names) if not has_default[k] and any(has_default[:k])]
    if late:
        raise S2SADError(f"{func.__qualname__}: the keyword-only parameter {late[0]!r} has no default but "
                         "comes after parameters with defaults", filename, node.lineno, "keyword-only parameter",
                         "give it a default, or make it a plain parameter")
    args.args = args.args + args.kwonlyargs
    args.defaults = args.defaults + [d for d in args.kw_defaults if d is not None]
    args.kwonlyargs, args.kw_defaults = [], []


def _lambda_as_def(module, func, filename, start):
    """The one lambda on its source line, as `def name(params): return body` (name: the name it is
    assigned to, `g = lambda x: ...`, else `lambda_`). Two lambdas on the line cannot be told apart."""
    found = [n for n in gast.walk(module) if isinstance(n, gast.Lambda)]
    if len(found) != 1:
        raise S2SADError(f"{len(found)} lambdas share the line of {func.__qualname__}, so s2sad cannot tell which "
                         "one to read", filename, start, "lambda", "define it with def, or on a line of its own")
    lam = found[0]
    statement = module.body[0]
    name = "lambda_"
    if isinstance(statement, gast.Assign) and statement.value is lam and len(statement.targets) == 1 \
            and isinstance(statement.targets[0], gast.Name):
        name = statement.targets[0].id
    body = gast.Return(value=lam.body)
    node = gast.FunctionDef(name=name, args=lam.args, body=[body], decorator_list=[], returns=None,
                            type_comment=None, type_params=[])
    gast.copy_location(body, lam)
    gast.copy_location(node, lam)
    node.end_lineno, node.end_col_offset = lam.end_lineno, lam.end_col_offset
    return node


def bound_names(node):
    """The names a function binds itself (parameters and assignment targets, nested scopes included):
    each hides the global or closure variable of the same name."""
    return set(b.names_in(node, (gast.Param, gast.Store)))


def environment_object(parsed, node, bound, builtins_too=False):
    """The object a dotted name (`s2sad.checkpoint`, `step`) of the function's environment holds now, or
    None: for an expression, a name in `bound` (see bound_names: a parameter `g` is not the module's `g`),
    an empty closure cell, or a builtin unless builtins_too."""
    path = b.dotted_path(node)
    if path is None:
        return None
    head, *rest = path.split(".")
    if head in bound:
        return None
    if head in parsed.closure:
        try:
            obj = parsed.closure[head].cell_contents
        except ValueError:
            return None
    elif head in parsed.globals:
        obj = parsed.globals[head]
    elif builtins_too:
        obj = getattr(builtins, head, None)
    else:
        return None
    for attr in rest:
        obj = getattr(obj, attr, None)
    return obj
