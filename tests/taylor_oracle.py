"""An independent oracle for Taylor coefficients: SymPy's derivatives, composed at 40 digits.

A test function is run on `Poly` values instead of floats (its `np` and `math` replaced by
`SYMPY_NP`): a Poly holds the Taylor polynomial of a value along the curve, truncated at degree K,
in mpmath numbers at 40 significant digits. Sums and products are polynomial arithmetic; every
function f (exp, tanh, 1/y, y**p, ...) is applied by Taylor's formula

    f(P) = sum_n f^(n)(P_0) / n! (P - P_0)^n     (truncated at degree K)

with the derivatives f^(n) taken symbolically by SymPy. Nothing here shares code or method with
s2sad's recurrences (runtime_taylor.py), so agreement to 1e-10 is a real check.
"""

import math
import types

import mpmath
import sympy as sp

mpmath.mp.dps = 40
_Y = sp.Symbol("y")
_DERIVATIVES = {}


def _derivative_at(name, expr, n, at):
    """f^(n)(at) for f = expr(y), SymPy's symbolic derivative evaluated at 40 digits."""
    key = (name, n)
    if key not in _DERIVATIVES:
        _DERIVATIVES[key] = sp.diff(expr, _Y, n) if n else expr
    return mpmath.mpf(str(sp.N(_DERIVATIVES[key].subs(_Y, sp.Float(str(at), 45)), 40)))


class Poly:
    """A truncated Taylor polynomial c_0 + c_1 t + ... + c_K t^K."""

    def __init__(self, coefficients):
        self.c = [mpmath.mpf(c) for c in coefficients]

    @property
    def order(self):
        return len(self.c) - 1

    def _lift(self, other):
        if isinstance(other, Poly):
            return other
        return Poly([other] + [0] * self.order)

    def __add__(self, other):
        other = self._lift(other)
        return Poly([a + b for a, b in zip(self.c, other.c)])

    __radd__ = __add__

    def __neg__(self):
        return Poly([-a for a in self.c])

    def __pos__(self):
        return self

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) - self

    def __mul__(self, other):
        other = self._lift(other)
        return Poly([sum(self.c[j] * other.c[k - j] for j in range(k + 1)) for k in range(len(self.c))])

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self * compose("reciprocal", 1 / _Y, self._lift(other))

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __pow__(self, p):
        if isinstance(p, Poly):
            return compose("exp", sp.exp(_Y), p * compose("log", sp.log(_Y), self))
        if isinstance(p, int) and p >= 0:
            out = self._lift(1)
            for _ in range(p):
                out = out * self
            return out
        return compose(f"pow{p}", _Y ** sp.Float(str(p), 45), self)

    def __rpow__(self, base):
        return compose(f"{base}**", sp.Float(str(base), 45) ** _Y, self)

    def __gt__(self, other):
        return self.c[0] > self._lift(other).c[0]

    def __lt__(self, other):
        return self.c[0] < self._lift(other).c[0]

    def __ge__(self, other):
        return self.c[0] >= self._lift(other).c[0]

    def __le__(self, other):
        return self.c[0] <= self._lift(other).c[0]

    def __mod__(self, other):
        return _remainder(mpmath.floor)(self, other)

    def __float__(self):
        return float(self.c[0])

    def derivatives(self):
        """[d^k/dt^k at 0 for k = 1..K]: JAX's jet convention."""
        return [float(c * math.factorial(k)) for k, c in enumerate(self.c) if k]


def compose(name, expr, p):
    """expr(p) by Taylor's formula around p's constant term."""
    at = p.c[0]
    shift = Poly([0] + p.c[1:])
    out = Poly([0] * len(p.c))
    power = Poly([1] + [0] * p.order)
    for n in range(len(p.c)):
        out = out + power * (_derivative_at(name, expr, n, at) / math.factorial(n))
        power = power * shift
    return out


def _unary(name, expr):
    return lambda p: compose(name, expr, p)


def _select(pick_first):
    return lambda a, b: a if pick_first(a, b) else b


def _value(p):
    return p.c[0] if isinstance(p, Poly) else mpmath.mpf(p)


def _remainder(whole):
    """a - whole(a_0 / b_0) b: on a piece, the quotient is the constant whole number at t = 0."""
    return lambda a, b: a - int(whole(_value(a) / _value(b))) * b


def _clip(a, lo, hi):
    """The piece at t = 0: a between the bounds, else the bound (no ties in the tests)."""
    if lo is not None and _value(a) < _value(lo):
        return lo
    if hi is not None and _value(a) > _value(hi):
        return hi
    return a


def _copysign(a, b):
    return a if (_value(a) > 0) == (_value(b) > 0) else -a


SYMPY_NP = types.SimpleNamespace(
    exp=_unary("exp", sp.exp(_Y)), log=_unary("log", sp.log(_Y)), log1p=_unary("log1p", sp.log(1 + _Y)),
    expm1=_unary("expm1", sp.exp(_Y) - 1), exp2=_unary("exp2", 2 ** _Y), log2=_unary("log2", sp.log(_Y, 2)),
    log10=_unary("log10", sp.log(_Y, 10)), sqrt=_unary("sqrt", sp.sqrt(_Y)), cbrt=_unary("cbrt", sp.cbrt(_Y)),
    square=_unary("square", _Y ** 2), reciprocal=_unary("reciprocal", 1 / _Y),
    sin=_unary("sin", sp.sin(_Y)), cos=_unary("cos", sp.cos(_Y)), tan=_unary("tan", sp.tan(_Y)),
    sinh=_unary("sinh", sp.sinh(_Y)), cosh=_unary("cosh", sp.cosh(_Y)), tanh=_unary("tanh", sp.tanh(_Y)),
    arcsin=_unary("asin", sp.asin(_Y)), arccos=_unary("acos", sp.acos(_Y)), arctan=_unary("atan", sp.atan(_Y)),
    arcsinh=_unary("asinh", sp.asinh(_Y)), arccosh=_unary("acosh", sp.acosh(_Y)),
    arctanh=_unary("atanh", sp.atanh(_Y)), erf=_unary("erf", sp.erf(_Y)), erfc=_unary("erfc", sp.erfc(_Y)),
    expit=_unary("expit", 1 / (1 + sp.exp(-_Y))),
    abs=lambda p: p if p.c[0] > 0 else -p, fabs=lambda p: p if p.c[0] > 0 else -p,
    maximum=_select(lambda a, b: a >= b), minimum=_select(lambda a, b: a <= b),
    hypot=lambda a, b: compose("sqrt", sp.sqrt(_Y), a * a + b * b),
    arctan2=lambda a, b: compose("atan", sp.atan(_Y), a / b) + (mpmath.atan2(a.c[0], b.c[0])
                                                                - mpmath.atan(a.c[0] / b.c[0])),
    logaddexp=lambda a, b: compose("log", sp.log(_Y), compose("exp", sp.exp(_Y), a) + compose("exp", sp.exp(_Y), b)),
    power=lambda a, p: a ** p, pi=math.pi,
    mod=_remainder(mpmath.floor), remainder=_remainder(mpmath.floor), fmod=_remainder(lambda q: int(q)),
    clip=_clip, copysign=_copysign,
)
SYMPY_NP.asin, SYMPY_NP.acos, SYMPY_NP.atan = SYMPY_NP.arcsin, SYMPY_NP.arccos, SYMPY_NP.arctan
SYMPY_NP.asinh, SYMPY_NP.acosh, SYMPY_NP.atanh, SYMPY_NP.atan2 = (SYMPY_NP.arcsinh, SYMPY_NP.arccosh,
                                                                   SYMPY_NP.arctanh, SYMPY_NP.arctan2)




def _signed(name, expr_of_sign):
    """A function on one piece of |y| (i0e, i1e): the expression for the sign of the value at t = 0."""
    return lambda p: compose(f"{name}{int(mpmath.sign(p.c[0]))}", expr_of_sign(int(mpmath.sign(p.c[0]))), p)


def _loggamma(p):
    return compose("loggamma", sp.loggamma(_Y), p)


SYMPY_NP.sinc = _unary("sinc", sp.sin(sp.pi * _Y) / (sp.pi * _Y))  # not at 0 (tests use the known series there)

# `special` in a test module (from scipy import special) stands for this namespace
SYMPY_SPECIAL = types.SimpleNamespace(
    erf=SYMPY_NP.erf, erfc=SYMPY_NP.erfc, expit=SYMPY_NP.expit, erfinv=_unary("erfinv", sp.erfinv(_Y)),
    logit=_unary("logit", sp.log(_Y / (1 - _Y))), gamma=_unary("gamma", sp.gamma(_Y)), gammaln=_loggamma,
    digamma=_unary("digamma", sp.polygamma(0, _Y)),
    polygamma=lambda n, p: compose(f"polygamma{int(n)}", sp.polygamma(int(n), _Y), p),
    betaln=lambda a, b: _loggamma(a) + _loggamma(b) - _loggamma(a + b),
    xlogy=lambda a, b: a * compose("log", sp.log(_Y), b), xlog1py=lambda a, b: a * compose("log1p", sp.log(1 + _Y), b),
    i0e=_signed("i0e", lambda s: sp.exp(-s * _Y) * sp.besseli(0, _Y)),
    i1e=_signed("i1e", lambda s: sp.exp(-s * _Y) * sp.besseli(1, _Y)),
    log_ndtr=_unary("log_ndtr", sp.log(sp.erfc(-_Y / sp.sqrt(2)) / 2)),
)
SYMPY_SPECIAL.psi = SYMPY_SPECIAL.digamma


def _apply(name, expr, at_float, v):
    return compose(name, expr, v) if isinstance(v, Poly) else at_float(mpmath.mpf(v))


def _log(v):
    return _apply("log", sp.log(_Y), mpmath.log, v)


def _lgamma(v):
    return _apply("loggamma", sp.loggamma(_Y), mpmath.loggamma, v)


def _norm_logpdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return -(z * z) / 2 - _log(scale) - mpmath.log(2 * mpmath.pi) / 2


def _t_logpdf(x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return _lgamma((df + 1) / 2) - _lgamma(df / 2) - _log(df * mpmath.pi) / 2 - _log(scale) \
        - (df + 1) / 2 * _log(1 + z * z / df)


def _gamma_logpdf(x, a, loc=0.0, scale=1.0):
    y = (x - loc) / scale
    return (a - 1) * _log(y) - y - _lgamma(a) - _log(scale)


def _beta_logpdf(x, a, b, loc=0.0, scale=1.0):
    y = (x - loc) / scale
    return (a - 1) * _log(y) + (b - 1) * _log(1 - y) - _lgamma(a) - _lgamma(b) + _lgamma(a + b) - _log(scale)


# `stats` in a test module (from scipy import stats): the log densities written out
SYMPY_STATS = types.SimpleNamespace(**{name: types.SimpleNamespace(logpdf=f) for name, f in (
    ("norm", _norm_logpdf), ("t", _t_logpdf), ("gamma", _gamma_logpdf), ("beta", _beta_logpdf))})


def _rebuilt(func, scope):
    return types.FunctionType(func.__code__, scope, func.__name__, func.__defaults__, func.__closure__)


def exact_derivatives(func, primals, series, order):
    """The K derivatives of func along the curve x(t) = x + x1 t + x2 t^2/2 + ..., from the oracle."""
    scope = dict(func.__globals__, np=SYMPY_NP, math=SYMPY_NP, special=SYMPY_SPECIAL, stats=SYMPY_STATS)
    for name, value in func.__globals__.items():  # the module's other functions (subroutines) too
        if isinstance(value, types.FunctionType) and value.__module__ == func.__module__:
            scope[name] = _rebuilt(value, scope)
    run = _rebuilt(func, scope)
    polys = [Poly([x] + [s / math.factorial(k) for k, s in enumerate(terms, 1)] + [0] * (order - len(terms)))
             for x, terms in zip(primals, series)]
    out = run(*polys)
    if isinstance(out, (tuple, list)):
        return [o.derivatives() if isinstance(o, Poly) else [0.0] * order for o in out]
    return out.derivatives()
