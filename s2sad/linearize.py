"""Linearization and transposition (seed lecture 004: lin :: (a -> b) -> a -> (b, T a --o T b)).

    out, f_jvp = s2sad.linearize(f, x, y)      # f_jvp(x_dot, y_dot) -> out's tangent
    f_vjp = s2sad.linear_transpose(f_jvp, x, y)  # f_vjp(out_bar) -> (x_bar, y_bar)

`linearize` cuts f's generated forward-mode code in two. Every statement that reads a tangent
(directly or through a name computed from one) is linear code; the others are the primal. The
primal half runs once, now, and returns f's value and the *residuals*: the primal values the
linear half reads (`np.cos(x)`, `a`). The linear half is a generated function of the residuals
and the tangents, so calling f_jvp runs only tangent arithmetic.

The cut is exact only in straight-line code: where f's forward code has a loop or a branch (whose
tangent statements read per-iteration primal values), or a primal statement changes a value after
a tangent statement read it, f_jvp instead runs the whole forward code (the primal included) on
each call, and says so: `f_jvp.recomputes_primal` is True.

`linear_transpose(f_jvp, *primals)` of a split f_jvp is reverse mode applied to its linear half
with respect to the tangents, the residuals held fixed: generated code again, the transposed
linear code (`f_vjp.source`). For an f_jvp that recomputes, it is f's pullback (the transpose of
the JVP is the VJP). Any other linear function s2sad can read is transposed by reverse mode at
`primals` (which, as in JAX, only give the inputs' types and shapes).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import gast
import numpy as np

from . import api, complex_io, driver, emit, shapes
from . import build as b
from .callables import entry
from .errors import S2SADError


def linearize(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """(f(*primals), f_jvp): f_jvp(*tangents) is generated linear code over stored residuals."""
    func = entry(f)
    values = api._bind(func, primals, {})
    complex_io.refuse_complex(func, values, "linearize")
    names = tuple(n for n in list(values)[: len(primals)] if api._is_float(values[n]))
    node, helpers, parsed, _ = driver.transform(func, "forward", names)
    split = _split(node, len(names))
    if split is None:
        out = func(*values.values())
        return out, LinearFunction(func, values, names, out)
    primal_node, linear_node, residual_names = split
    primal_fn, _ = emit.load(primal_node, helpers, parsed)
    linear_fn, source = emit.load(linear_node, helpers, parsed)
    out, residuals = primal_fn(*values.values())
    residuals = tuple(np.array(r, copy=True) if isinstance(r, np.ndarray) else r for r in residuals)
    return out, LinearFunction(func, values, names, out, linear_fn, source, residuals, residual_names)


class LinearFunction:
    """f_jvp of `linearize`: tangents in (one per primal), out's tangent out."""

    def __init__(self, func, values, names, out, linear=None, source=None, residuals=(), residual_names=()):
        self.func, self.values, self.names, self.out = func, values, names, out
        self.linear, self.source, self.residuals, self.residual_names = linear, source, residuals, residual_names
        self.recomputes_primal = linear is None
        self.__name__ = f"{func.__name__}_jvp"

    def __repr__(self):
        how = "recomputing the primal" if self.recomputes_primal else f"over {len(self.residuals)} residuals"
        return f"<s2sad.linearize of {self.func.__name__}, {how}>"

    def dots(self, tangents):
        """The tangents of the float parameters, checked and given their primals' types."""
        params = list(self.values)
        if len(tangents) != len(params) and len(tangents) != len(self.names):
            raise S2SADError(f"{self.__name__} takes {len(params)} tangent(s), one per primal, not {len(tangents)}",
                             construct="linearize")
        by_name = dict(zip(params, tangents))
        dots = []
        for name in self.names:
            x, t = self.values[name], by_name.get(name)
            if t is not None:
                api.check_like(self.func, repr(name), x, t, "linearize")
            dots.append(api._like(0.0 if t is None else t, x))
        return dots

    def __call__(self, *tangents):
        dots = self.dots(tangents)
        if self.recomputes_primal:
            return api.jvp(self.func, tuple(self.values.values()), _full(self.values, self.names, dots))[1]
        return api._tangent_like(self.linear(*self.residuals, *dots), self.out)


def _full(values, names, dots):
    by_name = dict(zip(names, dots))
    return tuple(by_name.get(n) for n in values)


# -- the cut ---------------------------------------------------------------------------------------


def _split(fn, count):
    """(primal FunctionDef, linear FunctionDef, residual names), or None where the cut is not exact."""
    body = [s for s in fn.body if not b.is_marker(s)]
    if not body or not isinstance(body[-1], gast.Return) or not _pair(body[-1].value):
        return None
    params = [a.id for a in fn.args.args]
    dots = set(params[len(params) - count:]) if count else set()
    tainted, primal, linear = set(dots), [], []
    for stmt in body[:-1]:
        if not isinstance(stmt, (gast.Assign, gast.Expr)):
            return None  # a loop, a branch: its tangent code reads per-iteration primal values
        if _reads(stmt) & tainted:
            tainted |= _stores(stmt)
            linear.append(stmt)
        elif linear and not _plain_assign(stmt):
            return None  # a primal effect after linear code has read its operands
        else:
            primal.append(stmt)
    out, out_dot = body[-1].value.elts
    if _reads_node(out) & tainted or not _cut_is_exact(primal, linear, params):
        return None
    read = set().union(_reads_node(out_dot), *map(_reads, linear)) - tainted
    residuals = sorted(read & (_assigned(primal) | set(params)))
    return (_function(fn, fn.name + "_primal", params[: len(params) - count], primal,
                      b.tup([copy.deepcopy(out), b.tup([b.name(r) for r in residuals])])),
            _function(fn, fn.name + "_linear", residuals + sorted(dots, key=params.index), linear,
                      copy.deepcopy(out_dot)),
            residuals)


def _pair(value):
    return isinstance(value, gast.Tuple) and len(value.elts) == 2


def _plain_assign(stmt):
    return isinstance(stmt, gast.Assign) and all(isinstance(t, gast.Name) for t in stmt.targets)


def _cut_is_exact(primal, linear, params):
    """No primal statement binds a name twice (nor a parameter), so each residual has one value."""
    seen = set(params)
    for stmt in primal:
        stores = _stores(stmt)
        if stores & seen:
            return False
        seen |= stores
    return not (set().union(*map(_stores, linear)) & seen) if linear else True


def _reads(stmt):
    return {n.id for n in gast.walk(stmt) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def _reads_node(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def _stores(stmt):
    targets = stmt.targets if isinstance(stmt, gast.Assign) else []
    return {n.id for t in targets for n in gast.walk(t) if isinstance(n, gast.Name)}


def _assigned(stmts):
    return set().union(*map(_stores, stmts)) if stmts else set()


def _function(fn, name, params, body, value):
    new = copy.deepcopy(fn)
    new.name = name
    new.args = gast.arguments(args=[_param(p) for p in params],
                              posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    new.body = [copy.deepcopy(s) for s in body] + [gast.Return(value=value)]
    for stmt in new.body:
        gast.copy_location(stmt, fn)
    gast.fix_missing_locations(new)
    return new


def _param(ident):
    return gast.Name(id=ident, ctx=gast.Param(), annotation=None, type_comment=None)


# -- transposition ---------------------------------------------------------------------------------


def linear_transpose(f_jvp: Callable[..., Any], *primals: Any) -> Callable[..., Any]:
    """f_vjp(cotangent) -> one cotangent per primal: the transpose of the linear function f_jvp."""
    if isinstance(f_jvp, LinearFunction):
        return _transpose_linearized(f_jvp)
    _, pullback = api.vjp(f_jvp, *primals)
    return pullback


def _transpose_linearized(lin):
    """Reverse mode on lin's linear half w.r.t. the tangents: the transposed linear code."""
    params = list(lin.values)
    if lin.recomputes_primal:
        _, pullback = api.vjp(lin.func, *lin.values.values())
        return TransposedFunction(lin, pullback, None)
    dot_names = tuple(a.id for a in _params_of(lin.linear)[len(lin.residuals):])
    zeros = [api._like(0.0, lin.values[n]) for n in lin.names]
    kinds = api._kinds(lin.linear, (*lin.residuals, *zeros), shapes.kind_of(lin.out))
    compiled = driver.derivative(lin.linear, "reverse", dot_names, kinds=kinds)

    def pullback(cotangent):
        api.check_like(lin.func, "the output", lin.out, cotangent, "linear_transpose", "cotangent")
        grads = compiled.function(*lin.residuals, *zeros, cotangent)
        grads = (grads,) if len(dot_names) == 1 else grads
        by_name = dict(zip(lin.names, grads))
        return tuple(api._like(by_name[n], lin.values[n]) if n in by_name else None for n in params)
    return TransposedFunction(lin, pullback, compiled.source)


def _params_of(fn):
    code = fn.__code__
    return [gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None)
            for n in code.co_varnames[: code.co_argcount]]


class TransposedFunction:
    """f_vjp of `linear_transpose`: a cotangent of the output in, one cotangent per primal out."""

    def __init__(self, lin, pullback, source):
        self.pullback, self.source = pullback, source
        self.recomputes_primal = lin.recomputes_primal
        self.__name__ = f"{lin.func.__name__}_vjp"

    def __call__(self, cotangent):
        return self.pullback(cotangent)

    def __repr__(self):
        return f"<s2sad.linear_transpose {self.__name__}>"
