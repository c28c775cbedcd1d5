"""Stage 1: from a live Python function to its gast tree, with where its names live.

After this stage: `Parsed.node` is a gast FunctionDef without decorators whose line
numbers are the lines of the user's file, and `Parsed.globals` / `Parsed.closure` are the
very dict and cells the function reads, so later stages resolve names exactly as the
function does when it runs.
"""

import inspect
import linecache
import textwrap
from dataclasses import dataclass, field

import gast

from .errors import S2SADError


@dataclass
class Parsed:
    """A function's syntax tree and the environment its free names come from."""

    func: object
    node: gast.FunctionDef
    filename: str
    globals: dict
    closure: dict = field(default_factory=dict)

    def line_text(self, lineno):
        return linecache.getline(self.filename, lineno).strip()


def unwrap(func):
    """The plain Python function behind a decorator object or a bound method."""
    seen = set()
    while id(func) not in seen:
        seen.add(id(func))
        if inspect.ismethod(func):
            func = func.__func__
        elif hasattr(func, "__s2sad_wrapped__"):
            func = func.__s2sad_wrapped__
        elif hasattr(func, "__s2sad_generated__"):  # grad(f) and friends: the generated code they run
            func = func.__s2sad_generated__()
        elif hasattr(func, "__wrapped__") and not inspect.isfunction(func):
            func = func.__wrapped__
    return func


def source_of(func):
    """The dedented source of func and the file line its first line sits on."""
    name = getattr(func, "__qualname__", repr(func))
    code = getattr(func, "__code__", None)
    filename = code.co_filename if code else "<unknown>"
    lineno = code.co_firstlineno if code else None
    try:
        lines, start = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise S2SADError(
            f"cannot read the source of {name} (a function built with exec or typed at the REPL has none)",
            filename, lineno, "source", "define it in a file, or give it a rule with s2sad.custom_vjp",
        ) from exc
    return textwrap.dedent("".join(lines)), start, filename


def parse(func):
    """Parse a Python function into a Parsed record."""
    func = unwrap(func)
    if not inspect.isfunction(func):
        raise S2SADError(f"{func!r} is not a Python function", construct="call")
    text, start, filename = source_of(func)
    module = gast.parse(text)
    node = module.body[0]
    if isinstance(node, gast.AsyncFunctionDef):
        raise S2SADError("async def cannot be differentiated", filename, start, "async def")
    if not isinstance(node, gast.FunctionDef):
        raise S2SADError(
            f"{func.__qualname__} is a lambda or is not defined by a def statement",
            filename, start, "lambda", "define it with def",
        )
    gast.increment_lineno(module, start - 1)
    node.decorator_list = []
    _keyword_only_as_plain(node, func, filename)
    closure = {}
    if func.__closure__:
        closure = dict(zip(func.__code__.co_freevars, func.__closure__))
    return Parsed(func, node, filename, func.__globals__, closure)


def defaults(func):
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

