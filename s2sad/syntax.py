"""Refusals: the constructs s2sad does not differentiate, named at the user's line.

Every stage that meets a construct it cannot handle calls `refuse`, so the message
always has the same form: what the construct is, where it is, and where to read more.
"""

import gast

from .errors import LIMITATIONS, S2SADError
from .names import every

CONSTRUCTS = {
    "Try": "try/except", "TryStar": "try/except*", "With": "with", "AsyncWith": "async with",
    "AsyncFor": "async for", "Match": "match", "Global": "global", "Nonlocal": "nonlocal",
    "Yield": "yield", "YieldFrom": "yield from", "Await": "await", "ClassDef": "a class definition",
    "Delete": "del", "Import": "import inside a function", "ImportFrom": "import inside a function",
    "NamedExpr": "an assignment expression (:=)", "GeneratorExp": "a generator expression",
    "SetComp": "a set comprehension", "DictComp": "a dict comprehension", "ListComp": "a list comprehension",
    "Set": "a set display", "Lambda": "lambda", "FunctionDef": "a nested def", "AsyncFunctionDef": "async def",
    "Starred": "starred expression",
}


def construct_name(node):
    kind = type(node).__name__
    return CONSTRUCTS.get(kind, kind)


def refuse(parsed, node, construct=None):
    """Raise S2SADError for node, an unsupported construct in parsed's function."""
    construct = construct or construct_name(node)
    lineno = getattr(node, "lineno", None) or parsed.node.lineno
    raise S2SADError(
        f"{construct} is not supported by s2sad in {parsed.node.name}",
        parsed.filename, lineno, construct, LIMITATIONS,
    )


def check(parsed):
    """Refuse, before any work, the constructs that can appear anywhere in a function."""
    for node in every(parsed.node):
        if node is parsed.node:
            continue
        if isinstance(node, (gast.Yield, gast.YieldFrom, gast.Await, gast.Global, gast.Nonlocal,
                             gast.AsyncFunctionDef, gast.AsyncFor, gast.AsyncWith)):
            refuse(parsed, node)
    args = parsed.node.args
    if args.vararg is not None or args.kwarg is not None:
        refuse(parsed, parsed.node, "*args or **kwargs in the signature")
