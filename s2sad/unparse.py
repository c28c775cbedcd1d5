"""Gast trees as Python source: the markers the transforms put in a tree become `# ...` comments,
and every printed line keeps the user's line it came from.

A leaf, below every stage, so that a stage that needs to print a tree (lift prints a nested
function, the optimizer converts a node for `ast.unparse`) does not reach up into `emit`.
"""

import ast
import math
import sys

import gast

from . import build as b
from .build import _COMMENT, _ORIGIN

# -- markers -------------------------------------------------------------------------


def _marker_text(line):
    """(comment text or None, user line or None) for a printed marker line, or None for code."""
    stripped = line.strip()
    if not stripped.lstrip("'\"").startswith("__s2sad_"):  # '...', "..." or, first in a body, """..."""
        return None
    quote = stripped[:3] if stripped[:3] in ('"""', "'''") else stripped[0]
    inner = stripped[len(quote):-len(quote)]
    if len(stripped) >= 2 * len(quote) and stripped.endswith(quote) and quote[0] not in inner and "\\" not in inner:
        value = inner  # one plain literal, nothing escaped: what literal_eval would say, without parsing
    else:
        try:
            value = ast.literal_eval(stripped)
        except (ValueError, SyntaxError):
            return None
    if value.startswith(_COMMENT):
        return value[len(_COMMENT):], None
    if value.startswith(_ORIGIN):
        number, _, text = value[len(_ORIGIN):].partition(":")
        return (text or None), int(number)
    return None


# -- source --------------------------------------------------------------------------


def render(node):
    """(source, lines) for a gast node: markers turned into comments, and for each source line
    (1-based) the user's line it came from, or None before the first origin marker."""
    tree = to_ast(node if isinstance(node, gast.Module) else b.module([node]))
    out, lines, current, said = [], {}, None, None
    for line in ast.unparse(tree).splitlines():
        marker = _marker_text(line)
        if marker is None:
            out.append(line)
            lines[len(out)] = current
            continue
        text, user_line = marker
        if user_line is not None:
            current = user_line
        if text is not None and text != said:  # a branch inside a block from the same line: said already
            said = text
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# {text}")
            lines[len(out)] = current
    return "\n".join(out) + "\n", lines


_FAST = (3, 8) <= sys.version_info[:2] < (3, 12)  # the gast <-> ast differences `to_ast` knows


def to_ast(node):
    """The standard-library tree `ast.unparse` prints, as `gast.gast_to_ast` makes it, but built
    directly (a first transformation renders a few thousand nodes). Statements get a placeholder
    `lineno`, all `unparse` reads of locations."""
    if not _FAST:
        tree = _NegativeConstants().visit(gast.gast_to_ast(node))
        return ast.fix_missing_locations(tree)
    return _convert(node)


class _NegativeConstants(ast.NodeTransformer):
    """`_constant` for a tree `gast.gast_to_ast` made: negative numbers as unary minus."""

    def visit_Constant(self, node):
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.copysign(1.0, value) < 0:
            return ast.UnaryOp(ast.USub(), ast.Constant(-value))
        return node


def _convert(node):
    cls = node.__class__
    if cls is list:
        return [_convert(n) for n in node]
    plan = _PLANS.get(cls)
    if plan is None:
        if not isinstance(node, gast.AST):
            return node
        plan = _plan(cls)
    special, target, fields, statement = plan
    if fields is None:
        return target  # a marker (Load, Add): one shared instance, as ast.parse makes them
    if special is not None:
        new = special(node)
    elif target is None:
        return None  # as gast: not part of the standard tree
    else:
        new = target.__new__(target)
        out, have = new.__dict__, node.__dict__
        for field in fields:
            if field in have:
                value = have[field]
                out[field] = _convert(value) if isinstance(value, (gast.AST, list)) else value
    if statement and "lineno" not in new.__dict__:
        new.lineno = getattr(node, "lineno", 1)
    return new


_PLANS = {}  # gast class -> (special converter or None, standard class or None, fields, is a statement)


def _plan(cls):
    """How `_convert` turns a node of the gast class cls into the standard one, worked out once per class."""
    name = cls.__name__
    target = getattr(ast, name, None)
    statement = isinstance(target, type) and issubclass(target, ast.stmt)
    special, fields = _SPECIAL.get(name), cls._fields
    if target is not None and special is None and not fields and not statement \
            and issubclass(target, (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)):
        target, fields = target(), None
    plan = _PLANS[cls] = (special, target, fields, statement)
    return plan


def _arg(node):
    return None if node is None else ast.arg(node.id, _convert(node.annotation), node.type_comment)


def _constant(node):
    """A constant, a negative number printed as a unary minus applied to its magnitude.

    `ast.unparse` writes a negative number as its repr, so `Constant(-1.0) ** k` would print as
    `-1.0 ** k`, which Python reads as `-(1.0 ** k)`; an explicit `UnaryOp` gets the parentheses
    every operator around it needs (`(-1.0) ** k`, `(-1.0).real`, `x ** (-2)` stays right)."""
    value = node.value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.copysign(1.0, value) < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value, None))
    return ast.Constant(value, node.kind)


_SPECIAL = {
    "Constant": _constant,
    "Name": lambda n: ast.Name(n.id, _convert(n.ctx)),
    "Assign": lambda n: ast.Assign(_convert(n.targets), _convert(n.value)),
    "ExceptHandler": lambda n: ast.ExceptHandler(_convert(n.type), n.name.id if n.name else None, _convert(n.body)),
    "FunctionDef": lambda n: ast.FunctionDef(n.name, _convert(n.args), _convert(n.body), _convert(n.decorator_list),
                                             _convert(n.returns), n.type_comment),
    "AsyncFunctionDef": lambda n: ast.AsyncFunctionDef(n.name, _convert(n.args), _convert(n.body),
                                                       _convert(n.decorator_list), _convert(n.returns), n.type_comment),
    "ClassDef": lambda n: ast.ClassDef(n.name, _convert(n.bases), _convert(n.keywords), _convert(n.body),
                                       _convert(n.decorator_list)),
    "arguments": lambda n: ast.arguments([_arg(a) for a in n.posonlyargs], [_arg(a) for a in n.args], _arg(n.vararg),
                                         [_arg(a) for a in n.kwonlyargs], _convert(n.kw_defaults), _arg(n.kwarg),
                                         _convert(n.defaults)),
}


def to_source(node):
    """Python source for a gast node, comment markers turned into comments."""
    return render(node)[0]
