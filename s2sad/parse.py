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
    closure = {}
    if func.__closure__:
        closure = dict(zip(func.__code__.co_freevars, func.__closure__))
    return Parsed(func, node, filename, func.__globals__, closure)
