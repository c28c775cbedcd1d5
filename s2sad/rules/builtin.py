"""Python builtins."""

import builtins

import numpy as np

from .. import runtime
from .. import runtime_taylor as rt
from ..registry import elementwise, jvp, linear, nondiff, vjp
from ..runtime import (
    broadcast_like,
    field_adjoint,
    pow_base_partial,
    pow_exponent_partial,
    sum_list_adjoint,
    unbroadcast,
)


@elementwise(builtins.abs, shape="same", taylor=rt.absolute)
def abs_(x):
    """Slope 0 at 0, as np.sign. Real x only."""
    return np.sign(runtime.real_only(x, "abs"))


@linear(runtime.field, pure=False)
def field(g, x, name):
    """`p.w` for a namedtuple, dataclass or object p: the cotangent goes to p's entry for w."""
    return field_adjoint(g, x, name)


@linear(runtime.field_adjoint, pure=False)
def field_adjoint_(ct, g, x, name):
    """Linear in g: second order (hessian of a function reading p.w) reads the entry back."""
    return runtime.field_part(ct, x, name)


@linear(runtime.field_part, pure=False)
def field_part_(g, ct, x, name):
    """Linear in ct: its transpose puts the entry back (third order)."""
    return field_adjoint(g, x, name)


@linear(builtins.float, shapes=((),), shape="float")
def float_(g, x):
    """Real x only (float of a complex value is an error in Python, of a NumPy complex a ComplexWarning)."""
    return runtime.real_cotangent(g, x, "float")


@elementwise(builtins.pow, domain="positive", taylor=rt.power)
def pow_(a, b, ans):
    return pow_base_partial(a, b), pow_exponent_partial(a, ans)


@elementwise(builtins.max, shapes=((), ()), shape="scalar_pair", taylor=rt.maximum)
def max_(a, b):
    """The two-argument form; ties share equally."""
    return np.heaviside(a - b, 0.5), np.heaviside(b - a, 0.5)


@elementwise(builtins.min, shapes=((), ()), shape="scalar_pair", taylor=rt.minimum)
def min_(a, b):
    return np.heaviside(b - a, 0.5), np.heaviside(a - b, 0.5)


@vjp(builtins.sum, wrt=("iterable", "start"), taylor="coefficientwise")
def sum_(g, ans, iterable, start=0):
    """Each item's cotangent is g, reduced to the item's shape."""
    return sum_list_adjoint(g, iterable), unbroadcast(g, start)


@jvp(builtins.sum)
def sum_jvp(iterable_dot, start_dot, ans, iterable, start=0):
    return broadcast_like(sum(iterable_dot), ans), broadcast_like(start_dot, ans)


@linear(builtins.list, builtins.tuple)
def list_(g, iterable):
    """A copy of the items: the cotangent passes through, shaped as the iterable's own."""
    return runtime.cotangent_like(g, iterable)


@vjp(builtins.divmod, wrt=("a", "b"), shapes=((), ()))
def divmod_(g, ans, a, b):
    """(a // b, a % b): the quotient is piecewise constant; the remainder has %'s slopes (1 and -a // b)."""
    return unbroadcast(runtime.part(g, 1), a), unbroadcast(-runtime.part(g, 1) * (a // b), b)


@jvp(builtins.divmod)
def divmod_jvp(a_dot, b_dot, ans, a, b):
    """Each term a (quotient, remainder) pair that adds item by item (`runtime.Sum`)."""
    return runtime.Sum((0.0 * ans[0], broadcast_like(a_dot, ans[1]))), \
        runtime.Sum((0.0 * ans[0], broadcast_like(-b_dot * (a // b), ans[1])))


nondiff(builtins.int, builtins.bool, builtins.len, builtins.range, builtins.round, builtins.isinstance,
        builtins.print, builtins.enumerate, builtins.zip, builtins.type, builtins.str, builtins.repr,
        builtins.id, builtins.hash, builtins.any, builtins.all, builtins.callable, builtins.hasattr,
        builtins.format)
