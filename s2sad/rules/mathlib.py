"""The `math` module: scalar twins of NumPy's ufuncs, with scalar derivatives.

Their test inputs are Python floats (`shapes` of `()`, one per argument).
"""

import math

from .. import runtime_taylor as rt
from ..registry import elementwise, jvp, linear, nondiff, vjp
from ..runtime import pow_base_partial, pow_exponent_partial, sum_list_adjoint

S1, S2 = ((),), ((), ())  # one or two Python floats


@elementwise(math.sin, shapes=S1, taylor=rt.sin)
def sin(x):
    return math.cos(x)


@elementwise(math.cos, shapes=S1, taylor=rt.cos)
def cos(x):
    return -math.sin(x)


@elementwise(math.tan, shapes=S1, taylor=rt.tan)
def tan(x, ans):
    return 1.0 + ans * ans


@elementwise(math.exp, shapes=S1, taylor=rt.exp)
def exp(x, ans):
    return ans


@elementwise(math.expm1, shapes=S1, taylor=rt.expm1)
def expm1(x, ans):
    return ans + 1.0


@elementwise(math.log, domain="positive", shapes=S1, taylor=rt.log)
def log(x, base=math.e):
    """math.log(x) or math.log(x, base) (tests call the one-argument form; rule_inputs.py the other)."""
    return 1.0 / (x * math.log(base)), -math.log(x) / (base * math.log(base) ** 2)


@elementwise(math.log1p, domain="positive", shapes=S1, taylor=rt.log1p)
def log1p(x):
    return 1.0 / (1.0 + x)


@elementwise(math.log2, domain="positive", shapes=S1, taylor=rt.log2)
def log2(x):
    return 1.0 / (x * math.log(2.0))


@elementwise(math.log10, domain="positive", shapes=S1, taylor=rt.log10)
def log10(x):
    return 1.0 / (x * math.log(10.0))


@elementwise(math.sqrt, domain="positive", shapes=S1, taylor=rt.sqrt)
def sqrt(x, ans):
    return 0.5 / ans


@elementwise(math.tanh, shapes=S1, taylor=rt.tanh)
def tanh(x, ans):
    return 1.0 - ans * ans


@elementwise(math.sinh, shapes=S1, taylor=rt.sinh)
def sinh(x):
    return math.cosh(x)


@elementwise(math.cosh, shapes=S1, taylor=rt.cosh)
def cosh(x):
    return math.sinh(x)


@elementwise(math.asin, domain="unit", shapes=S1, taylor=rt.arcsin)
def asin(x):
    return 1.0 / math.sqrt(1.0 - x * x)


@elementwise(math.acos, domain="unit", shapes=S1, taylor=rt.arccos)
def acos(x):
    return -1.0 / math.sqrt(1.0 - x * x)


@elementwise(math.atan, shapes=S1, taylor=rt.arctan)
def atan(x):
    return 1.0 / (1.0 + x * x)


@elementwise(math.asinh, shapes=S1, taylor=rt.arcsinh)
def asinh(x):
    return 1.0 / math.sqrt(x * x + 1.0)


@elementwise(math.acosh, domain="above_one", shapes=S1, taylor=rt.arccosh)
def acosh(x):
    return 1.0 / math.sqrt(x * x - 1.0)


@elementwise(math.atanh, domain="unit", shapes=S1, taylor=rt.arctanh)
def atanh(x):
    return 1.0 / (1.0 - x * x)


@elementwise(math.pow, domain="positive", shapes=S2, taylor=rt.power)
def pow_(x, y, ans):
    """At x == 0 as the ** rule: slope 0 in y, y * x ** (y - 1) in x without math.pow(0.0, -1.0)."""
    return float(pow_base_partial(x, y)), float(pow_exponent_partial(x, ans))


@elementwise(math.atan2, shapes=S2, taylor=rt.arctan2)
def atan2(y, x):
    return x / (x * x + y * y), -y / (x * x + y * y)


@elementwise(math.hypot, shapes=S2, taylor=rt.hypot)
def hypot(x, y, ans):
    """The two-argument form; slope 0 at the origin."""
    return x / (ans + (ans == 0)), y / (ans + (ans == 0))


@elementwise(math.fabs, shapes=S1, taylor=rt.absolute)
def fabs(x):
    """Slope 0 at 0, as np.sign (the convention for every kink: docs/rules.md)."""
    return float((x > 0) - (x < 0))


@elementwise(math.copysign, shapes=S2, taylor=rt.copysign)
def copysign(x, y):
    """|x| with the sign of y: piecewise constant in y."""
    return float((x > 0) - (x < 0)) * math.copysign(1.0, y), 0.0


@elementwise(math.erf, shapes=S1, taylor=rt.erf)
def erf(x):
    return 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@elementwise(math.erfc, shapes=S1, taylor=rt.erfc)
def erfc(x):
    return -2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@elementwise(math.fmod, domain="positive", shapes=S2, taylor=rt.remainder)
def fmod(x, y):
    return 1.0, -float(int(x / y))


@elementwise(math.remainder, domain="positive", shapes=S2, taylor=rt.remainder)
def remainder(x, y):
    """x - n * y with n the integer nearest x / y."""
    return 1.0, -float(round(x / y))


@linear(math.degrees, shapes=S1)
def degrees(g, x):
    return math.degrees(g)


@linear(math.radians, shapes=S1)
def radians(g, x):
    return math.radians(g)


@vjp(math.ldexp, wrt=("x",), taylor="coefficientwise")
def ldexp(g, ans, x, i):
    """x * 2**i for an integer i."""
    return math.ldexp(g, i)


@jvp(math.ldexp)
def ldexp_jvp(x_dot, ans, x, i):
    return math.ldexp(x_dot, i)


@linear(math.fsum)
def fsum(g, seq):
    return sum_list_adjoint(g, seq)


if hasattr(math, "exp2"):  # Python 3.11

    @elementwise(math.exp2, shapes=S1, taylor=rt.exp2)
    def exp2(x, ans):
        return ans * math.log(2.0)

    @elementwise(math.cbrt, domain="nonzero", shapes=S1, taylor=rt.cbrt)
    def cbrt(x, ans):
        return 1.0 / (3.0 * ans * ans)


nondiff(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
        math.factorial, math.gcd, math.isclose)
