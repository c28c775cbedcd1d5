"""The pipeline, one stage after another: parse, check, normalize, analyze, transform, optimize, emit.

Every stage's output can be printed with `s2sad.source(f, stage=...)`.
"""

from dataclasses import dataclass

import gast

from . import cache, emit, rules  # noqa: F401  (importing rules fills the table)
from .build import names_in
from .errors import S2SADError
from .forward import forward
from .naming import Namer
from .normalize import normalize
from .optimize import optimize
from .parse import parse, unwrap
from .resolve import Resolver
from .reverse import reverse
from .syntax import check

MODES = ("forward", "reverse")


@dataclass
class Compiled:
    """A generated derivative: the live function and its source."""

    function: object
    source: str
    wrt: tuple
    mode: str
    helpers: dict


def front(func):
    """Parse, check and normalize: what every derivative starts from."""
    parsed = parse(func)
    check(parsed)
    return parsed, normalize(parsed)


def wrt_names(func, wrt):
    """Parameter names for a wrt given as positions, names, or a tuple of them."""
    func = unwrap(func)
    code = func.__code__
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise S2SADError(f"wrt must be a parameter position or name, not {item!r}", code.co_filename, code.co_firstlineno, "wrt")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise S2SADError(f"wrt={item} but {func.__name__} has {len(params)} parameters", code.co_filename, code.co_firstlineno, "wrt")
            item = params[item]
        if item not in params:
            raise S2SADError(f"wrt names {item!r}, which is not a parameter of {func.__name__}{tuple(params)}",
                             code.co_filename, code.co_firstlineno, "wrt")
        names.append(item)
    return tuple(names)


def transform(func, mode, wrt, with_value=False, optimized=True):
    """The generated derivative's gast FunctionDef, its helpers and the parsed function."""
    if mode not in MODES:
        raise S2SADError(f"mode must be 'forward' or 'reverse', not {mode!r}", construct="mode")
    parsed, normalized = front(func)
    resolver = Resolver(parsed, _locals(normalized), normalized.helpers)
    if mode == "forward":
        node, helpers = forward(normalized, parsed, resolver, wrt, Namer(normalized.names))
    else:
        node, helpers = reverse(normalized, parsed, resolver, wrt, lambda: Namer(normalized.names), with_value)
    if optimized:
        node = optimize(node)
    return node, helpers, parsed


def derivative(func, mode, wrt, with_value=False, optimized=True):
    """The compiled derivative of func, from the cache when it is there."""
    func = unwrap(func)
    k = cache.key(func, mode, wrt, with_value, optimized)
    hit = cache.get(k)
    if hit is not None:
        return hit
    node, helpers, parsed = transform(func, mode, wrt, with_value, optimized)
    defaults = tuple(func.__defaults__ or ())
    if mode == "reverse":
        defaults += (1.0,)
    elif defaults:
        defaults += (0.0,) * len(wrt)
    fn, source = emit.load(node, helpers, parsed, defaults)
    return cache.put(k, Compiled(fn, source, wrt, mode, helpers))


def anf_source(func):
    _, normalized = front(func)
    return emit.to_source(normalized.node)


def _locals(normalized):
    return {a.id for a in normalized.node.args.args} | set(names_in(normalized.node, gast.Store))
