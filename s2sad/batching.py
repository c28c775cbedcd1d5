"""Batched forward mode: one pass pushes B tangents at once, each with an extra leading axis.

After this pass `f_jvp_batched(*params, *wrt_dots)` takes tangents of shape
`(B,) + np.shape(param)` and returns `(out, out_dot)`, `out_dot` of shape `(B,) + np.shape(out)`:
column k of every tangent is what `f_jvp` computes for the k-th seed. A whole Jacobian
of a function with n inputs is one pass with the n unit vectors as the batch.

Invariant: every tangent variable holds exactly `(B,) + shape(primal)` (containers hold
such arrays). Elementwise rules keep it by lifting the tangent past the batch axis
(`lift(x_dot, ans) * partial`); the rules whose tangent would confuse the batch axis with
a data axis (indexing, reductions, reshapes, products, the runtime's adjoint helpers)
have batch-aware twins in `batched_runtime`; every other rule runs column by column
(`per_column`), so a batched derivative is never wrong, only slower where no twin exists.
What cannot be batched (calls of user functions) raises `NotBatchable`, and callers
fall back to one pass per column.

Example::

    y = np.sin(x)        ->   y = np.sin(x)
                              y_dot = fill(lift(x_dot, y) * np.cos(x), y)
"""


import gast
import numpy as np

from . import batched_runtime as br
from . import build as b
from . import driver
from .errors import S2SADError
from .forward import Forward
from .partials import Helpers, _bindings, index_expr, tangent_terms


class NotBatchable(S2SADError):
    """A construct batched forward mode does not handle: compute one column at a time instead."""


_HELPERS = {"zeros_like": "batch_zeros", "with_item": "batch_with_item"}
_AS_IS = {"append", "push", "pop"}


class BatchedHelpers(Helpers):
    """Helpers whose tangent-making calls are the batched twins."""

    def __init__(self, namer, initial, resolve, batch):
        super().__init__(namer, initial, resolve)
        self.batch = batch

    def call(self, attr, *args):
        if attr in _AS_IS:
            return super().call(attr, *args)
        if attr not in _HELPERS:
            raise NotBatchable(f"batched tangents through the runtime helper {attr}", construct=attr)
        extra = [b.name(self.batch)] if attr == "zeros_like" else []
        return self.batched(_HELPERS[attr], *args, *extra)

    def batched(self, attr, *args):
        return b.call(b.name(self(getattr(br, attr), attr)), list(args))


class BatchedForward(Forward):
    """Builds the batched JVP of one normalized function."""

    def __init__(self, normalized, parsed, resolver, wrt, namer):
        super().__init__(normalized, parsed, resolver, wrt, namer)
        self.batch = self.namer.fresh("_batch")
        self.helpers = BatchedHelpers(self.namer, self.helpers.by_name, resolver.lookup_name, self.batch)

    def function(self):
        if not self.wrt:
            raise NotBatchable("a batched JVP with respect to nothing")
        node = super().function()
        node.name = f"{self.norm.node.name}_jvp_batched"
        size = self.helpers.batched("batch_size", b.name(self.dot(self.wrt[0])))
        node.body.insert(0, b.assign(self.batch, size))
        return node

    def call(self, stmt, site, where):
        raise NotBatchable(f"batched tangents through a call of {site.label}", construct=site.label)

    def tangent_expr(self, site, value, ans, where):
        if site.kind in ("atom", "container", "inert"):
            return super().tangent_expr(site, value, ans, where)
        if not any(self.tangent_of(a) is not None for a in site.operands()):
            return None
        if site.kind != "rule":
            raise NotBatchable(f"batched tangents through {site.label}", construct=site.label)
        rule = site.rule
        if rule.kind == "nondiff":
            return None
        twin = batched_form(rule.batched)
        if twin is not None:
            expr = twin(self, site, ans, where)
            if expr is not None:
                return expr
        if rule.kind == "elementwise":
            return self.elementwise(site, value, ans, where)
        return self.per_column(site, value, ans, where)

    def total(self, terms, ans):
        if not terms:
            return None
        total = terms[0]
        for term in terms[1:]:
            total = b.add(total, term)
        return self.helpers.batched("fill", total, ans)

    def elementwise(self, site, value, ans, where):
        """`lift(x_dot, ans) * partial`: the partial broadcasts against the data axes only."""
        def lifted(node):
            t = self.tangent_of(node)
            return None if t is None else self.helpers.batched("lift", t, ans)
        return self.total(tangent_terms(site, value, ans, lifted, self.helpers, where), ans)

    def per_column(self, site, value, ans, where):
        """`per_column(lambda c: <the plain tangent of column c>, B, ans, x_dot)`: right for any rule."""
        names = []
        for atom in site.operands():
            if self.tangent_of(atom) is not None and atom.id not in names:
                names.append(atom.id)
        cols = {n: self.namer.fresh(f"{n}_col") for n in names}

        def column(node):
            return b.name(cols[node.id]) if isinstance(node, gast.Name) and node.id in cols else None
        plain = Helpers(self.namer, None, self.resolver.lookup_name)
        plain.by_name = self.helpers.by_name  # the same table: names the column code uses are bound too
        terms = tangent_terms(site, value, ans, column, plain, where)
        if not terms:
            return None
        body = terms[0]
        for term in terms[1:]:
            body = b.add(body, term)
        fn = gast.Lambda(args=b.arguments([cols[n] for n in names]), body=body)
        tangents = [self.tangent_of(b.name(n)) for n in names]
        return self.helpers.batched("per_column", fn, b.name(self.batch), ans, *tangents)


# -- batch-aware twins of the rules that would mistake the batch axis for a data axis -------


def _bound(site, where, builder):
    bound, _ = _bindings(site, where, builder.helpers)
    return bound


def _is_none(node):
    return isinstance(node, gast.Constant) and node.value is None


def _unary(builder, site, ans, where):
    """Linear and elementwise in one operand (-x, np.real(x)): the primitive applied to the batch is right."""
    if len(site.args) != 1 or site.keywords or builder.tangent_of(site.args[0]) is None:
        return None
    return builder.helpers.batched("fill", b.call(_callee(builder, site), [builder.tangent_of(site.args[0])]), ans)


def _callee(builder, site):
    prim = site.prim
    return b.name(builder.helpers(prim, getattr(prim, "__name__", "op")))


def _getitem(builder, site, ans, where):
    t = builder.tangent_of(site.args[0])
    if t is None:
        return None
    return builder.helpers.batched("batch_item", t, index_expr(site.args[1], builder.helpers.builtin("slice")))


def _reduction(mean):
    def twin(builder, site, ans, where):
        bound = _bound(site, where, builder)
        t = builder.tangent_of(bound["a"])
        if t is None or not (_is_none(bound["dtype"]) and _is_none(bound["out"])):
            return None
        return builder.helpers.batched("batch_sum", t, bound["a"], bound["axis"], bound["keepdims"], b.const(mean))
    return twin


def _reshape(builder, site, ans, where):
    """C-order reshapes only (order given by keyword or by position): others go column by column."""
    order = _bound(site, where, builder).get("order")
    if order is not None and not (isinstance(order, gast.Constant) and order.value in ("C", None)):
        return None
    t = builder.tangent_of(site.args[0])
    return None if t is None else builder.helpers.batched("batch_reshape", t, ans)


def _transpose(builder, site, ans, where):
    bound = _bound(site, where, builder)
    t = builder.tangent_of(bound["a"])
    if t is None:
        return None
    axes = bound.get("axes", b.const(None))
    if isinstance(axes, gast.Tuple) and not axes.elts:
        axes = b.const(None)
    return builder.helpers.batched("batch_transpose", t, axes)


def _product(builder, site, ans, where):
    if len(site.args) != 2 or site.keywords:
        return None
    a, c = site.args
    op = b.name(builder.helpers(np.dot if site.prim in (np.dot, np.ndarray.dot) else np.matmul,
                                "dot" if site.prim in (np.dot, np.ndarray.dot) else "matmul"))
    terms = []
    if builder.tangent_of(a) is not None:
        terms.append(builder.helpers.batched("batch_product_a", builder.tangent_of(a), c, op))
    if builder.tangent_of(c) is not None:
        terms.append(builder.helpers.batched("batch_product_b", a, builder.tangent_of(c), op))
    return builder.total(terms, ans)


def _runtime_twin(name, params):
    """A runtime helper linear in its first argument, with a twin taking the same other arguments."""
    def twin(builder, site, ans, where):
        bound = _bound(site, where, builder)
        t = builder.tangent_of(bound[params[0]])
        if t is None:
            return None
        return builder.helpers.batched(name, t, *[bound[p] for p in params[1:]])
    return twin


def _scatter_add(builder, site, ans, where):
    """acc + scatter(g, x, index): acc's tangent lifted past the batch axis, g's scattered column by column at once."""
    bound = _bound(site, where, builder)
    terms = []
    acc, g = builder.tangent_of(bound["acc"]), builder.tangent_of(bound["g"])
    if acc is not None:
        terms.append(builder.helpers.batched("lift", acc, ans))
    if g is not None:
        terms.append(builder.helpers.batched("batch_scatter", g, bound["x"], bound["index"]))
    return builder.total(terms, ans)


def _identity(builder, site, ans, where):
    return builder.tangent_of(site.args[0])


_FORMS = {"getitem": _getitem, "sum": _reduction(False), "mean": _reduction(True), "transpose": _transpose,
          "product": _product, "reshape": _reshape, "unary": _unary, "identity": _identity,
          "scatter_add": _scatter_add}


def batched_form(declared):
    """The builder of the batch-aware form a rule entry declares (`Rule.batched`), or None for the
    family's own ("elementwise", "columns", "none": `tangent_expr` handles those)."""
    if isinstance(declared, tuple):
        return _runtime_twin(declared[0], declared[1:])
    return _FORMS.get(declared)


# -- the pipeline ----------------------------------------------------------------------------


MODE = "forward-batched"


def derivative(func, wrt):
    """The compiled batched JVP of func with respect to the parameter names wrt (cached).

    Built by the driver like every other derivative (front, resolve, this transform, the
    optimizer, emit, the cache). Raises NotBatchable when func uses something batched mode
    does not handle.
    """
    return driver.derivative(func, MODE, tuple(wrt))


def _build(normalized, parsed, resolver, wrt, namer):
    builder = BatchedForward(normalized, parsed, resolver, wrt, namer)
    return builder.function(), builder.helpers.by_name, set(builder.dots.values())


driver.register(MODE, _build)
