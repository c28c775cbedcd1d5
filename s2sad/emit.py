"""Stage 6: gast to Python source (through the standard library's `ast.unparse`) and to a live function.

The generated function's globals are the user's module globals themselves, so it sees
a global rebound after differentiation exactly as the user's function does; the
helpers it needs (NumPy, the runtime) are closure cells, and the user's own closure
cells are shared, so nothing is ever written into the user's module. The source is
registered in `linecache` under a name of its own, so `inspect.getsource`,
tracebacks and pdb show it.

Comments: the transforms put marker statements in the tree (`build.comment`, `build.origin`);
`to_source` turns each into a `# ...` line, or into nothing for an invisible origin,
and keeps, for every line it writes, the user's line that line came from. `load` uses
that map so an exception raised inside generated code names the user's line: the
compiled function (not the source shown) runs its body inside a `try` whose handler
adds a frame `File "model.py", line 12, in f` to the traceback, right below the
generated line, and, on Python 3.11+, a note. The handler sits on lines of its own
past the end of the shown source, so line numbers, pdb and `inspect` are unchanged.
"""

import ast
import hashlib
import linecache
import math
import sys
import types

import gast

from . import build as b
from . import runtime
from .build import _COMMENT, _ORIGIN, comment, is_marker, origin  # noqa: F401  (the markers, made in build.py)
from .errors import LIMITATIONS, S2SADError

_RELOCATE = "__s2sad_relocate__"


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
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, gast.AST):
        return node
    name = node.__class__.__name__
    special = _SPECIAL.get(name)
    if special is not None:
        new = special(node)
    else:
        cls = getattr(ast, name, None)
        if cls is None:
            return None  # as gast: not part of the standard tree
        new = cls.__new__(cls)
        fields = new.__dict__
        have = node.__dict__
        for field in node._fields:
            if field in have:
                value = have[field]
                fields[field] = _convert(value) if isinstance(value, (gast.AST, list)) else value
    if isinstance(new, ast.stmt) and "lineno" not in new.__dict__:
        new.lineno = getattr(node, "lineno", 1)
    return new


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


# -- loading -------------------------------------------------------------------------


def load(fn_node, helpers, parsed, defaults=()):
    """Compile fn_node into a function that resolves names like the user's function does.

    Returns (function, source).
    """
    source, lines = render(fn_node)
    free = sorted(set(helpers) | set(parsed.closure) | {_RELOCATE})
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    filename = f"<s2sad {parsed.node.name}:{fn_node.name} {digest}>"
    shown = f"# generated by s2sad from {parsed.filename}:{parsed.node.lineno}\n{source}# end\n"
    linecache.cache[filename] = (len(shown), None, shown.splitlines(True), filename)
    tree = _factory(ast.parse("\n" + source, filename).body, free, fn_node.name, source.count("\n") + 2)
    _guard(tree.body[0].body[0], _RELOCATE, len(shown.splitlines()) + 1)
    module_code = compile(tree, filename, "exec")
    outer = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    inner = next(c for c in outer.co_consts if isinstance(c, types.CodeType) and c.co_name == fn_node.name)
    user_lines = {k + 1: v for k, v in lines.items() if v is not None}  # the factory's line 1 is the header
    relocate = _Relocator(inner, user_lines, parsed)
    cells = []
    for ident in inner.co_freevars:
        if ident in parsed.closure:
            cells.append(parsed.closure[ident])
        elif ident == _RELOCATE:
            cells.append(types.CellType(relocate))
        else:
            cells.append(types.CellType(helpers[ident]))
            getattr(helpers[ident], "__s2sad_cells__", []).append(cells[-1])  # calls.py: a trampoline's callers
    func = types.FunctionType(inner, parsed.globals, fn_node.name, tuple(defaults) or None, tuple(cells) or None)
    func.__s2sad_source__ = source
    return func, source


def _factory(body, free, name, last):
    """`def __s2sad_factory__(*free): <body>; return name` on line 1: the generated function nested in
    a function whose parameters are the names it reads from cells. body is parsed one line down, so its
    lines are the shown file's (line 1 is the header) and its columns are the source's own."""
    def at(node, line):
        node.lineno, node.col_offset, node.end_lineno, node.end_col_offset = line, 0, line, 0
        return node
    params = ast.arguments(posonlyargs=[], args=[at(ast.arg(n), 1) for n in free], vararg=None, kwonlyargs=[],
                           kw_defaults=[], kwarg=None, defaults=[])
    ret = at(ast.Return(at(ast.Name(name, ast.Load()), last)), last)
    factory = ast.FunctionDef("__s2sad_factory__", params, body + [ret], [], None, None)
    at(factory, 1).end_lineno = last
    return ast.Module([factory], [])


def _guard(fn, relocate, line):
    """Wrap fn's body in `try: ... except Exception as e: relocate(e); raise`, the handler on `line`."""
    handler_body = [ast.Expr(ast.Call(ast.Name(relocate, ast.Load()), [ast.Name("__s2sad_error__", ast.Load())], [])),
                    ast.Raise(None, None)]
    handler = ast.ExceptHandler(ast.Name("Exception", ast.Load()), "__s2sad_error__", handler_body)
    first = fn.body[0]
    guarded = ast.Try(body=fn.body, handlers=[handler], orelse=[], finalbody=[])
    ast.copy_location(guarded, first)
    for node in ast.walk(handler):
        node.lineno, node.end_lineno, node.col_offset, node.end_col_offset = line, line, 0, 0
    guarded.end_lineno, guarded.end_col_offset = line, 0
    fn.body = [guarded]


class _Relocator:
    """Adds the user's file and line below a generated frame in an exception's traceback."""

    def __init__(self, code, user_lines, parsed):
        self.code = code
        self.user_lines = user_lines
        self.filename = parsed.filename
        self.name = parsed.node.name
        self.default_line = parsed.node.lineno

    def __call__(self, exc):
        line = None
        try:
            line = self._relocate(exc)
        except Exception:  # never let the bookkeeping hide the user's error
            pass
        if isinstance(exc, runtime.Refusal):  # a runtime helper found what s2sad cannot differentiate
            raise S2SADError(str(exc), self.filename, line or self.default_line, exc.construct, LIMITATIONS) from exc
        if isinstance(exc, RecursionError):  # a recursive function's derivative takes two frames a level
            raise S2SADError(f"the derivative of {self.name} recursed deeper than Python's recursion limit allows "
                             f"({sys.getrecursionlimit()} frames; a derivative takes about two frames for each level "
                             "of the primal's recursion)", self.filename, line or self.default_line, "recursion",
                             "raise the limit with sys.setrecursionlimit, or write the recursion as a loop") from exc

    def _relocate(self, exc):
        """Add the user's frame below ours in exc's traceback; returns the user's line (None if done before)."""
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code is not self.code:
            tb = tb.tb_next
        if tb is None or (tb.tb_next is not None and tb.tb_next.tb_frame.f_globals.get("__s2sad_user_frame__")):
            return None  # no frame of ours, or already done (the exception passed through here before)
        line = self.user_lines.get(tb.tb_lineno, self.default_line)
        frame = _user_frame(self.filename, line, self.name)
        tb.tb_next = types.TracebackType(tb.tb_next, frame, -1, line)
        if hasattr(exc, "add_note"):  # Python 3.11+; the C traceback printer of 3.11/3.12 omits `<...>` files' lines
            generated = linecache.getline(self.code.co_filename, tb.tb_lineno).strip()
            text = linecache.getline(self.filename, line).strip()
            exc.add_note(f"s2sad: generated line {tb.tb_lineno}, `{generated}`, differentiates "
                         f"{self.filename}:{line} ({self.name}): {text}")
        return line


_FRAMES = {}


def _user_frame(filename, line, name):
    """A finished frame whose code claims to be the user's function at `line`: a traceback entry for it."""
    key = (filename, line, name)
    if key not in _FRAMES:
        code = compile("\n" * (line - 1) + "__s2sad_frame__ = _getframe(0)", filename, "exec")
        code = code.replace(co_name=name, **({"co_qualname": name} if hasattr(code, "co_qualname") else {}))
        namespace = {"_getframe": sys._getframe, "__s2sad_user_frame__": True, "__name__": "__s2sad__"}
        exec(code, namespace)
        _FRAMES[key] = namespace.pop("__s2sad_frame__")
    return _FRAMES[key]
