"""The `math` module: scalar twins of NumPy's ufuncs, with scalar derivatives."""

import math

from ..registry import elementwise, nondiff


@elementwise(math.sin)
def sin(x):
    return math.cos(x)


@elementwise(math.cos)
def cos(x):
    return -math.sin(x)


@elementwise(math.tan)
def tan(x, ans):
    return 1.0 + ans * ans


@elementwise(math.exp)
def exp(x, ans):
    return ans


@elementwise(math.expm1)
def expm1(x, ans):
    return ans + 1.0


@elementwise(math.log, domain="positive")
def log(x):
    return 1.0 / x


@elementwise(math.log1p, domain="positive")
def log1p(x):
    return 1.0 / (1.0 + x)


@elementwise(math.log2, domain="positive")
def log2(x):
    return 1.0 / (x * math.log(2.0))


@elementwise(math.log10, domain="positive")
def log10(x):
    return 1.0 / (x * math.log(10.0))


@elementwise(math.sqrt, domain="positive")
def sqrt(x, ans):
    return 0.5 / ans


@elementwise(math.tanh)
def tanh(x, ans):
    return 1.0 - ans * ans


@elementwise(math.sinh)
def sinh(x):
    return math.cosh(x)


@elementwise(math.cosh)
def cosh(x):
    return math.sinh(x)


@elementwise(math.asin, domain="unit")
def asin(x):
    return 1.0 / math.sqrt(1.0 - x * x)


@elementwise(math.acos, domain="unit")
def acos(x):
    return -1.0 / math.sqrt(1.0 - x * x)


@elementwise(math.atan)
def atan(x):
    return 1.0 / (1.0 + x * x)


@elementwise(math.asinh)
def asinh(x):
    return 1.0 / math.sqrt(x * x + 1.0)


@elementwise(math.acosh, domain="above_one")
def acosh(x):
    return 1.0 / math.sqrt(x * x - 1.0)


@elementwise(math.atanh, domain="unit")
def atanh(x):
    return 1.0 / (1.0 - x * x)


@elementwise(math.pow, domain="positive")
def pow_(x, y, ans):
    return y * math.pow(x, y - 1.0), ans * math.log(x)


@elementwise(math.atan2)
def atan2(y, x):
    return x / (x * x + y * y), -y / (x * x + y * y)


@elementwise(math.hypot)
def hypot(x, y, ans):
    return x / ans, y / ans


@elementwise(math.fabs)
def fabs(x):
    """Slope 0 at 0, as np.sign (the convention for every kink: docs/rules.md)."""
    return float((x > 0) - (x < 0))


@elementwise(math.erf)
def erf(x):
    return 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@elementwise(math.erfc)
def erfc(x):
    return -2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@elementwise(math.fmod, domain="positive")
def fmod(x, y):
    return 1.0, -float(int(x / y))


nondiff(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
        math.factorial, math.gcd, math.isclose)
