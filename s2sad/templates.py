"""Turning a rule's template function into expressions inside generated code.

A template is a function whose body is one `return` (after an optional docstring).
Its parameters are replaced by the call's own atoms; its other free names (`np`,
`unbroadcast`) become names the generated function binds to the same objects.
"""

import copy
import functools
import inspect
import textwrap

import gast

from . import build as b


@functools.lru_cache(maxsize=None)
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


class _Substitute(gast.NodeTransformer):
    def __init__(self, bindings, fn_globals, helper):
        self.bindings = bindings
        self.fn_globals = fn_globals
        self.helper = helper

    def visit_Name(self, node):
        if node.id in self.bindings:
            return copy.deepcopy(self.bindings[node.id])
        if node.id in self.fn_globals:
            return b.name(self.helper(self.fn_globals[node.id], node.id))
        return node


def instantiate(fn, expr, bindings, helper):
    """expr (from `parts(fn, ...)`) with parameters bound and globals named for the generated code."""
    return _Substitute(bindings, fn.__globals__, helper).visit(copy.deepcopy(expr))


def mentions(expr, ident):
    return any(isinstance(n, gast.Name) and n.id == ident for n in gast.walk(expr))
