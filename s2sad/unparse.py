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
    tree = node if isinstance(node, gast.Module) else b.module([node])
    text = printed(tree)
    if text is None:
        text = ast.unparse(to_ast(tree))
    out, lines, current, said = [], {}, None, None
    for line in text.splitlines():
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


# -- printing ------------------------------------------------------------------------
# `ast.unparse(to_ast(tree))`, the same text to the character, written from the gast tree directly
# (converting and unparsing the few thousand nodes of a derivative is a tenth of its first
# transformation). The node kinds derivatives are made of are printed here, by the rules of the
# standard library's unparser on the Python versions whose unparser this follows (`_PRINTS`); a tree
# holding anything else goes to `ast.unparse`.

_PRINTS = sys.version_info[:2] == (3, 11)


class _Elsewhere(Exception):
    """A node `printed` leaves to `ast.unparse`."""


# ast._Precedence's values, in its order
_TUPLE, _YIELD, _TEST, _OR, _AND, _NOT, _CMP, _EXPR, _BXOR, _BAND, _SHIFT, _ARITH, _TERM, _FACTOR, _POWER, \
    _AWAIT, _ATOM = range(2, 19)
_BINARY = {gast.Add: ("+", _ARITH), gast.Sub: ("-", _ARITH), gast.Mult: ("*", _TERM), gast.MatMult: ("@", _TERM),
           gast.Div: ("/", _TERM), gast.Mod: ("%", _TERM), gast.LShift: ("<<", _SHIFT), gast.RShift: (">>", _SHIFT),
           gast.BitOr: ("|", _EXPR), gast.BitXor: ("^", _BXOR), gast.BitAnd: ("&", _BAND),
           gast.FloorDiv: ("//", _TERM), gast.Pow: ("**", _POWER)}
_UNARY = {gast.Invert: ("~", _FACTOR), gast.Not: ("not ", _NOT), gast.UAdd: ("+", _FACTOR), gast.USub: ("-", _FACTOR)}
_COMPARE = {gast.Eq: "==", gast.NotEq: "!=", gast.Lt: "<", gast.LtE: "<=", gast.Gt: ">", gast.GtE: ">=",
            gast.Is: "is", gast.IsNot: "is not", gast.In: "in", gast.NotIn: "not in"}
_INFINITY = "1e" + repr(sys.float_info.max_10_exp + 1)


def printed(tree):
    """What `ast.unparse(to_ast(tree))` prints for the gast Module tree, or None where it holds a node
    kind this printer leaves to ast.unparse."""
    if not _PRINTS:
        return None
    lines = []
    try:
        _body(tree.body, 0, lines, docstring=True)
    except _Elsewhere:
        return None
    return "\n".join(lines)


def _body(stmts, level, lines, docstring=False):
    for at, stmt in enumerate(stmts):
        _STATEMENTS.get(stmt.__class__, _elsewhere)(stmt, "    " * level, level, lines, docstring and at == 0)


def _elsewhere(*_):
    raise _Elsewhere


def _assign(node, indent, level, lines, first):
    lines.append(indent + "".join([_expr(t, _TUPLE) + " = " for t in node.targets]) + _expr(node.value, _TEST))


def _aug_assign(node, indent, level, lines, first):
    lines.append(f"{indent}{_expr(node.target, _TEST)} {_BINARY[node.op.__class__][0]}= {_expr(node.value, _TEST)}")


def _expression_statement(node, indent, level, lines, first):
    value = node.value
    if first and value.__class__ is gast.Constant and isinstance(value.value, str):
        lines.append(indent + _docstring(value))
        return
    lines.append(indent + _expr(value, _YIELD))


def _docstring(node):
    """A string first in a body as ast.unparse writes it (between triple quotes), where it holds no quote,
    backslash or character that is not printable (such as a line break); any other goes to ast.unparse."""
    value = node.value
    if not value.isprintable() or "\\" in value or "'" in value or '"' in value:
        raise _Elsewhere
    return ("u" if node.kind == "u" else "") + f'"""{value}"""'


def _return(node, indent, level, lines, first):
    lines.append(indent + "return" if node.value is None else f"{indent}return {_expr(node.value, _TEST)}")


def _keyword_statement(word):
    return lambda node, indent, level, lines, first: lines.append(indent + word)


def _if(node, indent, level, lines, first):
    lines.append(f"{indent}if {_expr(node.test, _TEST)}:")
    _body(node.body, level + 1, lines)
    while len(node.orelse) == 1 and node.orelse[0].__class__ is gast.If:  # elif, as ast.unparse collapses them
        node = node.orelse[0]
        lines.append(f"{indent}elif {_expr(node.test, _TEST)}:")
        _body(node.body, level + 1, lines)
    _orelse(node, indent, level, lines)


def _orelse(node, indent, level, lines):
    if node.orelse:
        lines.append(indent + "else:")
        _body(node.orelse, level + 1, lines)


def _while(node, indent, level, lines, first):
    lines.append(f"{indent}while {_expr(node.test, _TEST)}:")
    _body(node.body, level + 1, lines)
    _orelse(node, indent, level, lines)


def _for(node, indent, level, lines, first):
    if node.type_comment is not None:
        raise _Elsewhere
    lines.append(f"{indent}for {_expr(node.target, _TUPLE)} in {_expr(node.iter, _TEST)}:")
    _body(node.body, level + 1, lines)
    _orelse(node, indent, level, lines)


def _function(node, indent, level, lines, first):
    args = node.args
    if node.returns is not None or node.type_comment is not None or args.posonlyargs or args.vararg is not None \
            or args.kwonlyargs or args.kwarg is not None or getattr(node, "type_params", None):
        raise _Elsewhere
    if lines:
        lines.append("")
    for decorator in node.decorator_list:
        lines.append(f"{indent}@{_expr(decorator, _TEST)}")
    params, defaults = args.args, args.defaults
    defaults = [None] * (len(params) - len(defaults)) + defaults
    lines.append(f"{indent}def {node.name}({', '.join([_param(a, d) for a, d in zip(params, defaults)])}):")
    _body(node.body, level + 1, lines, docstring=True)


def _param(name, default):
    text = name.id if name.annotation is None else f"{name.id}: {_expr(name.annotation, _TEST)}"
    return text if default is None else f"{text}={_expr(default, _TEST)}"


def _expr(node, context):
    """node as ast.unparse writes it where its parent asks for precedence `context`."""
    return _EXPRESSIONS.get(node.__class__, _elsewhere)(node, context)


def _name(node, context):
    return node.id


def _negative(value):
    """Whether to_ast writes the number value as a unary minus (`_constant`)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.copysign(1.0, value) < 0


def _constant(node, context):
    value = node.value
    if _negative(value):
        text = "-" + _literal(-value)
        return f"({text})" if context > _FACTOR else text
    if value is ... or isinstance(value, tuple):
        raise _Elsewhere
    return ("u" if node.kind == "u" else "") + _literal(value)


def _literal(value):
    if isinstance(value, (float, complex)):
        return repr(value).replace("inf", _INFINITY).replace("nan", f"({_INFINITY}-{_INFINITY})")
    return repr(value)


def _binary(node, context):
    operator, precedence = _BINARY[node.op.__class__]
    if precedence == _POWER:
        text = f"{_expr(node.left, precedence + 1)} ** {_expr(node.right, precedence)}"
    else:
        text = f"{_expr(node.left, precedence)} {operator} {_expr(node.right, precedence + 1)}"
    return f"({text})" if context > precedence else text


def _unary(node, context):
    operator, precedence = _UNARY[node.op.__class__]
    text = operator + _expr(node.operand, precedence)
    return f"({text})" if context > precedence else text


def _compare(node, context):
    text = _expr(node.left, _CMP + 1) + "".join([f" {_COMPARE[op.__class__]} {_expr(e, _CMP + 1)}"
                                                   for op, e in zip(node.ops, node.comparators)])
    return f"({text})" if context > _CMP else text


def _bool(node, context):
    operator, precedence = (" and ", _AND) if node.op.__class__ is gast.And else (" or ", _OR)
    text = operator.join([_expr(v, min(precedence + 1 + k, _ATOM)) for k, v in enumerate(node.values)])
    return f"({text})" if context > precedence else text


def _if_expression(node, context):
    text = f"{_expr(node.body, _TEST + 1)} if {_expr(node.test, _TEST + 1)} else {_expr(node.orelse, _TEST)}"
    return f"({text})" if context > _TEST else text


def _call(node, context):
    items = [_expr(a, _TEST) for a in node.args]
    items += [("**" if k.arg is None else k.arg + "=") + _expr(k.value, _TEST) for k in node.keywords]
    return f"{_expr(node.func, _ATOM)}({', '.join(items)})"


def _attribute(node, context):
    value = node.value
    space = value.__class__ is gast.Constant and isinstance(value.value, int) and not _negative(value.value)
    return f"{_expr(value, _ATOM)}{' ' if space else ''}.{node.attr}"


def _subscript(node, context):
    index = node.slice
    if index.__class__ is gast.Tuple and index.elts:
        inside = _items(index.elts)
    else:
        inside = _expr(index, _TEST)
    return f"{_expr(node.value, _ATOM)}[{inside}]"


def _items(elts):
    return _expr(elts[0], _TEST) + "," if len(elts) == 1 else ", ".join([_expr(e, _TEST) for e in elts])


def _tuple(node, context):
    text = _items(node.elts)
    return f"({text})" if not node.elts or context > _TUPLE else text


def _list(node, context):
    return f"[{', '.join([_expr(e, _TEST) for e in node.elts])}]"


def _starred(node, context):
    return "*" + _expr(node.value, _EXPR)


def _slice(node, context):
    text = (_expr(node.lower, _TEST) if node.lower else "") + ":" + (_expr(node.upper, _TEST) if node.upper else "")
    return text + ":" + _expr(node.step, _TEST) if node.step else text


_STATEMENTS = {gast.Assign: _assign, gast.AugAssign: _aug_assign, gast.Expr: _expression_statement,
               gast.Return: _return, gast.Pass: _keyword_statement("pass"), gast.Break: _keyword_statement("break"),
               gast.Continue: _keyword_statement("continue"), gast.If: _if, gast.While: _while, gast.For: _for,
               gast.FunctionDef: _function}
_EXPRESSIONS = {gast.Name: _name, gast.Constant: _constant, gast.BinOp: _binary, gast.UnaryOp: _unary,
                gast.Compare: _compare, gast.BoolOp: _bool, gast.IfExp: _if_expression, gast.Call: _call,
                gast.Attribute: _attribute, gast.Subscript: _subscript, gast.Tuple: _tuple, gast.List: _list,
                gast.Starred: _starred, gast.Slice: _slice}


def to_source(node):
    """Python source for a gast node, comment markers turned into comments."""
    return render(node)[0]
