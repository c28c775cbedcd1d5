"""Python's operators. The transforms map `a + b` to `operator.add(a, b)` and so on."""

import operator

import numpy as np

from .. import runtime_taylor as rt
from ..registry import bilinear, elementwise, linear, nondiff
from ..runtime import matmul_adjoint_a, matmul_adjoint_b, pow_base_partial, pow_exponent_partial, scatter


@elementwise(operator.add, taylor="sum")
def add(a, b):
    return 1.0, 1.0


@elementwise(operator.sub, taylor="difference")
def sub(a, b):
    return 1.0, -1.0


@elementwise(operator.mul, taylor=rt.mul)
def mul(a, b):
    return b, a


@elementwise(operator.truediv, taylor=rt.div)
def truediv(a, b, ans):
    return 1.0 / b, -ans / b


@elementwise(operator.pow, domain="positive", taylor=rt.power)
def pow_(a, b, ans):
    """At a == 0: slope 0 in b (JAX), and b * a ** (b - 1) computed without dividing by a."""
    return pow_base_partial(a, b), pow_exponent_partial(a, ans)


@elementwise(operator.mod, domain="positive", taylor=rt.remainder)
def mod(a, b):
    """a % b = a - floor(a / b) * b: slope 1 in a, -floor(a / b) in b (away from the jumps)."""
    return 1.0, -np.floor_divide(a, b)


@linear(operator.neg, shapes=((2, 3),), batched="unary")
def neg(g, a):
    return -g


@linear(operator.pos, shapes=((2, 3),), batched="unary")
def pos(g, a):
    return g


bilinear(operator.matmul, adjoints=(matmul_adjoint_a, matmul_adjoint_b), batched="product",
         adjoint_rules=False)  # the adjoints' entries: np.matmul's (rules/numpy_linalg.py)


@linear(operator.getitem, batched="getitem")
def getitem(g, a, index):
    return scatter(g, a, index)


nondiff(operator.floordiv, operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
        operator.not_, operator.and_, operator.or_, operator.contains, operator.is_, operator.is_not,
        operator.invert)
