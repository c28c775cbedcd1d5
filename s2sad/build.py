"""Constructors for the gast nodes the compiler emits, with every field filled.

Keeping node construction in one place means every generated node has the same shape
whatever gast version is installed, and the passes read as code rather than as
constructor noise.
"""

import os

import gast

from .names import names_in_order

LOAD, STORE = gast.Load(), gast.Store()


def _name(ident, store=False):
    return gast.Name(id=ident, ctx=gast.Store() if store else gast.Load(), annotation=None, type_comment=None)


def _const(value):
    return gast.Constant(value=value, kind=None)


def _direct_name(ident, store=False):
    """`_name`, its node's fields set directly: what gast's constructor does with keywords, without its call
    (a transform makes a thousand names)."""
    node, ctx = _NAME.__new__(_NAME), _STORE.__new__(_STORE) if store else _LOAD.__new__(_LOAD)
    fields = node.__dict__
    fields["id"], fields["ctx"], fields["annotation"], fields["type_comment"] = ident, ctx, None, None
    return node


def _direct_const(value):
    node = _CONSTANT.__new__(_CONSTANT)
    fields = node.__dict__
    fields["value"], fields["kind"] = value, None
    return node


def _direct_matches():
    """Whether the direct constructors make what gast's own do (gast's version decides)."""
    for store in (False, True):
        made, direct = _name("x", store), _direct_name("x", store)
        if not _same_fields(made.ctx, direct.ctx) or not _same_fields(made, direct, but="ctx"):
            return False
    return _same_fields(_const(1.0), _direct_const(1.0))


def _same_fields(a, b, but=None):
    return type(a) is type(b) and [(k, v) for k, v in a.__dict__.items() if k != but] == \
        [(k, v) for k, v in b.__dict__.items() if k != but]


_NAME, _LOAD, _STORE, _CONSTANT = gast.Name, gast.Load, gast.Store, gast.Constant
_DIRECT = _direct_matches()
name = _direct_name if _DIRECT else _name
const = _direct_const if _DIRECT else _const


def dotted(path):
    """`np.linalg.norm` from the string "np.linalg.norm"."""
    head, *rest = path.split(".")
    node = name(head)
    for attr in rest:
        node = gast.Attribute(value=node, attr=attr, ctx=gast.Load())
    return node


def call(func, args=(), keywords=()):
    if isinstance(func, str):
        func = dotted(func)
    kws = [gast.keyword(arg=k, value=v) for k, v in (keywords.items() if isinstance(keywords, dict) else keywords)]
    return gast.Call(func=func, args=list(args), keywords=kws)


def assign(target, value):
    if isinstance(target, str):
        target = name(target, store=True)
    return gast.Assign(targets=[target], value=value, type_comment=None)


def expr_stmt(value):
    return gast.Expr(value=value)


def binop(left, op, right):
    return gast.BinOp(left=left, op=op, right=right)


def add(left, right):
    return binop(left, gast.Add(), right)


def tup(elts, store=False):
    return gast.Tuple(elts=list(elts), ctx=gast.Store() if store else gast.Load())


def lst(elts):
    return gast.List(elts=list(elts), ctx=gast.Load())


def subscript(value, index, store=False):
    return gast.Subscript(value=value, slice=index, ctx=gast.Store() if store else gast.Load())


def attribute(value, attr):
    return gast.Attribute(value=value, attr=attr, ctx=gast.Load())


def if_(test, body, orelse=()):
    return gast.If(test=test, body=list(body) or [gast.Pass()], orelse=list(orelse))


def for_(target, iterable, body):
    if isinstance(target, str):
        target = name(target, store=True)
    return gast.For(target=target, iter=iterable, body=list(body) or [gast.Pass()], orelse=[], type_comment=None)


def while_(test, body):
    return gast.While(test=test, body=list(body) or [gast.Pass()], orelse=[])


def ret(value):
    return gast.Return(value=value)


def arguments(names, defaults=()):
    return gast.arguments(
        args=[gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None) for n in names],
        posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=list(defaults),
    )


def function(fname, params, body, defaults=()):
    return gast.FunctionDef(
        name=fname, args=arguments(params, defaults), body=list(body) or [gast.Pass()],
        decorator_list=[], returns=None, type_comment=None, type_params=[],
    )


def module(body):
    return gast.Module(body=list(body), type_ignores=[])


def is_name(node, ident=None):
    return isinstance(node, gast.Name) and (ident is None or node.id == ident)


def is_atom(node):
    return isinstance(node, (gast.Name, gast.Constant))


def dotted_path(node):
    """"np.linalg.norm" for the attribute chain, or None when it is not a plain dotted name."""
    parts = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def names_in(node, ctx=None):
    """Identifiers of every Name under node (optionally only loads or only stores)."""
    if ctx is None:
        return [sub.id for sub in names_in_order(node)]
    return [sub.id for sub in names_in_order(node) if isinstance(sub.ctx, ctx)]


# -- comment markers ------------------------------------------------------------------
# Statements the transforms put in the tree and `emit` prints as comments; made and recognized
# here, at the bottom of the layers, so the transforms and the optimizer need not import emit.

_COMMENT = "__s2sad_comment__"
_ORIGIN = "__s2sad_origin__"


def comment(text):
    """A statement that becomes the comment `# text` in the emitted source."""
    return expr_stmt(const(f"{_COMMENT}{text}"))


def origin(parsed, line, label="d/dx of"):
    """A marker: the code below comes from the user's `line`; shown as `# label: <line>   (file:N)`.

    With label None the marker is invisible: it only maps the lines below to `line`.
    """
    text = ""
    if label is not None:
        where = f"{os.path.basename(parsed.filename)}:{line}"
        text = f"{label}: {parsed.line_text(line)}   ({where})"
    return expr_stmt(const(f"{_ORIGIN}{int(line)}:{text}"))


def is_marker(stmt):
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant) \
        and isinstance(stmt.value.value, str) and stmt.value.value.startswith((_COMMENT, _ORIGIN))
