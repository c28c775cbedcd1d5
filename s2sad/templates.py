"""Turning a rule's template function into expressions inside generated code.

A template is a function whose body is one `return` (after an optional docstring).
Its parameters are replaced by the call's own atoms; its other free names (`np`,
`unbroadcast`) become names the generated function binds to the same objects.
"""

import functools
import inspect
import textwrap

import gast

from . import build as b
from .names import names


@functools.cache
def _parsed(fn):
    source = textwrap.dedent(inspect.getsource(fn))
    node = gast.parse(source).body[0]
    body = [s for s in node.body if not (isinstance(s, gast.Expr) and isinstance(s.value, gast.Constant))]
    if len(body) != 1 or not isinstance(body[0], gast.Return):
        raise ValueError(f"rule template {fn.__qualname__} must be a single return statement")
    params = [a.id for a in node.args.args + node.args.kwonlyargs]
    return params, body[0].value


def params(fn):
    """The template's parameter names, in order."""
    return _parsed(fn)[0]


def parts(fn, count):
    """The template's returned expressions, one per differentiable parameter."""
    params, expr = _parsed(fn)
    if count > 1:
        if not isinstance(expr, gast.Tuple) or len(expr.elts) != count:
            raise ValueError(f"rule template {fn.__qualname__} must return {count} expressions")
        return params, list(expr.elts)
    return params, [expr]


def clone(node):
    """A copy of a gast tree: `copy.deepcopy` without its memo and dispatch, ten times faster.

    Generated code is built from many small copies (every operand and template is copied
    where it is used), so this is what a first transformation mostly spends its time on.
    """
    cls = node.__class__
    if cls in _SHARED:
        return node
    new = cls.__new__(cls)
    fields = new.__dict__
    for key, value in node.__dict__.items():
        if isinstance(value, gast.AST):
            value = clone(value)
        elif isinstance(value, list):
            value = [clone(v) if isinstance(v, gast.AST) else v for v in value]
        fields[key] = value
    return new


_SHARED = {gast.Load, gast.Store, gast.Del}  # field-less markers: one instance can sit in many trees


def _substitute(node, bindings, fn_globals, helper):
    """A copy of node with parameters replaced by copies of their bindings and globals by helper names."""
    if isinstance(node, gast.Name):
        if node.id in bindings:
            return clone(bindings[node.id])
        if node.id in fn_globals:
            return b.name(helper(fn_globals[node.id], node.id))
    cls = node.__class__
    new = cls.__new__(cls)
    fields = new.__dict__
    for key, value in node.__dict__.items():
        if isinstance(value, gast.AST):
            value = _substitute(value, bindings, fn_globals, helper)
        elif isinstance(value, list):
            value = [_substitute(v, bindings, fn_globals, helper) if isinstance(v, gast.AST) else v for v in value]
        fields[key] = value
    return new


def instantiate(fn, expr, bindings, helper):
    """expr (from `parts(fn, ...)`) with parameters bound and globals named for the generated code."""
    return _substitute(expr, bindings, fn.__globals__, helper)


def mentions(expr, ident):
    return any(n.id == ident for n in names(expr))


def rebind(expr, bindings):
    """expr with the names in bindings replaced by copies of their values, and nothing else.

    For a second pass over an instantiated template: its other names are the user's atoms and
    helper names by now, and must not be read as the template module's globals again (a user's
    variable `T` is also the name of a rule in numpy_shape)."""
    return _substitute(expr, bindings, {}, None)
