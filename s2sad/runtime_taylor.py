"""The coefficient recurrences that Taylor-mode (jet) code calls. A leaf module: NumPy only.

A value's series is the list `[x1, ..., xK]` of its *normalized* Taylor coefficients: along a
curve t -> x(t), x(t) = x + x1 t + x2 t**2 + ... + xK t**K + O(t**(K+1)) (so xk is the k-th
derivative divided by k!; `s2sad.jet` converts from and to JAX's derivative coefficients at the
boundary). Each coefficient has the value's shape. Generated code keeps the primal `x` beside
its series `x_ser` and calls one helper per nonlinear primitive:

    y = np.exp(x)
    y_ser = jet_exp(y, x, x_ser)

The helpers take the primal result `ans` first (every recurrence starts from it), then each
operand and its series (`None` for an operand without one: a constant). They work on Python
floats and NumPy arrays alike (plain arithmetic, no NumPy call on the coefficients where the
operands are floats), cost O(K**2) operations, and return a fresh list.

The recurrences are the standard ones (Griewank & Walther, *Evaluating Derivatives*, ch. 13):
a product by Leibniz's rule, a quotient solved for term by term, and y = f(x) with f' known
through y' = f'(x) x', i.e. k y_k = sum_j j x_j g_{k-j} with g the series of f'(x).

Every public function here is pure (a fresh value from its arguments; `optimize.effects`).
"""

import math
from operator import mul as _times

import numpy as np

from .runtime import clip_partial, zeros_like


def zeros(x, order):
    """The series of a constant: K zero coefficients shaped like x."""
    zero = zeros_like(x)
    return [zero] * order


def like(xs, ans):
    """xs as the series of ans: each coefficient broadcast to ans's shape (`x + c`, c an array)."""
    if type(xs[0]) is float and type(ans) is float or np.shape(xs[0]) == np.shape(ans):
        return xs
    return [c + zeros_like(ans) for c in xs]


def negated_like(xs, ans):
    """The series of c - x: minus like(xs, ans)."""
    return [-c for c in like(xs, ans)]


def stacks(order):
    """The series of an empty list used as a stack: one empty list per coefficient."""
    return [[] for _ in range(order)]


def push(xs_ser, item_ser):
    for stack, c in zip(xs_ser, item_ser):
        stack.append(c)


def pop(xs_ser):
    return [stack.pop() for stack in xs_ser]


def append(xs_ser, item_ser):
    """xs.append(item) for the series: each coefficient list grows by the item's coefficient."""
    push(xs_ser, item_ser)
    return xs_ser


def _full(x, xs, order):
    """[x0, x1, ..., xK], zeros for a constant."""
    return [x] + (list(xs) if xs is not None else zeros(x, order))


# -- products ------------------------------------------------------------------------


def _cauchy(a, b, k, start=0):
    """sum_{j=start..k} a_j b_{k-j} (map and sum: the loop runs in C for floats)."""
    return sum(map(_times, a[start:k + 1], b[k - start::-1]))


def _weighted(a):
    """[0, 1 a_1, 2 a_2, ...]: the factors of a series' derivative, k a_k."""
    return [0.0] + [j * c for j, c in enumerate(a[1:], 1)]


def mul(ans, x, xs, y, ys):
    """x * y by Leibniz's rule: (xy)_k = sum_j x_j y_{k-j}."""
    if xs is None or ys is None:  # one factor constant: coefficient by coefficient
        return [c * y for c in xs] if ys is None else [x * c for c in ys]
    return _leibniz(len(xs))(x, xs, y, ys)


_LEIBNIZ = {}


def _leibniz(order):
    """`product(x, xs, y, ys)`, the K coefficients of x * y written out as sums of products of locals.

    Made once per order (K <= 24) from source: Leibniz's rule unrolled costs a third of the loop over
    k of sums of slices, for floats and arrays alike (the arithmetic is the same)."""
    made = _LEIBNIZ.get(order)
    if made is not None:
        return made
    if order > 24:
        return _leibniz_loop
    xs = [f"x{k}" for k in range(1, order + 1)]
    ys = [f"y{k}" for k in range(1, order + 1)]
    terms = [" + ".join(f"{'x' if j == 0 else xs[j - 1]} * {'y' if k == j else ys[k - j - 1]}" for j in range(k + 1))
             for k in range(1, order + 1)]
    source = (f"def product(x, xs, y, ys):\n    {', '.join(xs)}, = xs\n    {', '.join(ys)}, = ys\n"
              f"    return [{', '.join(terms)}]\n")
    namespace = {}
    exec(compile(source, f"<s2sad jet product of order {order}>", "exec"), namespace)
    made = _LEIBNIZ[order] = namespace["product"]
    return made


def _leibniz_loop(x, xs, y, ys):
    a, b = [x, *xs], [y, *ys]
    return [sum(map(_times, a[:k + 1], b[k::-1])) for k in range(1, len(a))]


def bilinear(op, ans, x, xs, y, ys):
    """op(x, y) for op bilinear (matmul, dot, einsum, outer, ...): sum_j op(x_j, y_{k-j})."""
    a, b = _full(x, xs, len(xs or ys)), _full(y, ys, len(xs or ys))
    out = []
    for k in range(1, len(a)):
        total = op(a[0], b[k])
        for j in range(1, k + 1):
            total = total + op(a[j], b[k - j])
        out.append(total)
    return out


def square(ans, x, xs):
    return mul(ans, x, xs, x, xs)


def div(ans, x, xs, y, ys):
    """x / y: q_k = (x_k - sum_{j=1..k} y_j q_{k-j}) / y_0."""
    if ys is None:
        return [c / y for c in xs]
    order = len(ys)
    a = _full(x, xs, order)
    b, q = [y, *ys], [ans]
    for k in range(1, order + 1):
        q.append((a[k] - _cauchy(b, q, k, start=1)) / y)
    return q[1:]


def reciprocal(ans, x, xs):
    return div(ans, 1.0, None, x, xs)


def _integral(jx, g, k):
    """(1/k) sum_{j=1..k} j x_j g_{k-j}: the k-th coefficient of y with y' = g x' (jx = _weighted(x))."""
    return sum(map(_times, jx[1:k + 1], g[k - 1::-1])) / k


# -- exponentials and logarithms -------------------------------------------------------


def exp(ans, x, xs):
    """y = exp(x): y' = y x'."""
    jx, y = _weighted([x, *xs]), [ans]
    for k in range(1, len(jx)):
        y.append(_integral(jx, y, k))
    return y[1:]


def expm1(ans, x, xs):
    jx, y = _weighted([x, *xs]), [ans + 1.0]
    for k in range(1, len(jx)):
        y.append(_integral(jx, y, k))
    return y[1:]


def exp2(ans, x, xs):
    return exp(ans, x * math.log(2.0), [c * math.log(2.0) for c in xs])


def log(ans, x, xs):
    """y = log(x): x y' = x' gives y_k = (x_k - (1/k) sum_{j=1..k-1} j y_j x_{k-j}) / x_0."""
    a, jy = [x, *xs], [0.0]
    for k in range(1, len(a)):
        y_k = (a[k] - sum(map(_times, jy[1:k], a[k - 1:0:-1])) / k) / x
        jy.append(k * y_k)
    return [c / k for k, c in enumerate(jy[1:], 1)]


def log1p(ans, x, xs):
    return log(ans, 1.0 + x, xs)


def log2(ans, x, xs):
    return [c / math.log(2.0) for c in log(ans, x, xs)]


def log10(ans, x, xs):
    return [c / math.log(10.0) for c in log(ans, x, xs)]


# -- powers and roots ------------------------------------------------------------------


def _is_natural(p):
    """Whether p is a whole number >= 0 (then x**p is a polynomial, fine at x = 0)."""
    values = np.asarray(p)
    return values.dtype.kind in "iub" and np.all(values >= 0) or \
        values.dtype.kind == "f" and np.all((values >= 0) & (values == np.round(values)) & (values <= 64))


def _natural_power(ans, x, xs, p):
    """x**p for a whole p by repeated squaring (exact at x = 0)."""
    n = int(np.max(p))
    if np.ndim(p) > 0 and np.any(np.asarray(p) != n):
        raise ValueError("mixed exponents")
    result, result_s, base, base_s = 1.0, zeros(x, len(xs)), x, xs
    while n:
        if n & 1:
            result_s = mul(None, result, result_s, base, base_s)
            result = result * base
        n >>= 1
        if n:
            base_s = mul(None, base, base_s, base, base_s)
            base = base * base
    return [c + zeros_like(ans) for c in result_s]


def power(ans, x, xs, p, ps):
    """x ** p: a constant p by x y' = p y x', else exp(p log x)."""
    if ps is not None:
        logx = np.log(x)
        log_s = log(logx, x, xs) if xs is not None else None
        expo = p * logx
        return exp(ans, expo, mul(expo, p, ps, logx, log_s))
    if _is_natural(p):
        try:
            return _natural_power(ans, x, xs, p)
        except ValueError:
            pass
    a, y = [x, *xs], [ans]
    for k in range(1, len(a)):
        total = (p * k) * a[k] * ans
        for j in range(1, k):
            total = total + (p * (k - j) - j) * a[k - j] * y[j]
        y.append(total / (k * x))
    return y[1:]


def sqrt(ans, x, xs):
    """y = sqrt(x): y*y = x gives y_k = (x_k - sum_{j=1..k-1} y_j y_{k-j}) / (2 y_0)."""
    y, twice = [ans], 2.0 * ans
    for k in range(1, len(xs) + 1):
        y.append((xs[k - 1] - sum(map(_times, y[1:k], y[k - 1:0:-1]))) / twice)
    return y[1:]


def cbrt(ans, x, xs):
    return power(ans, x, xs, 1.0 / 3.0, None)


# -- trigonometric and hyperbolic ----------------------------------------------------------


def _sin_cos(s0, c0, x, xs, sign):
    """The series of sin and cos (sign -1), or sinh and cosh (sign +1), together: s' = c x', c' = sign s x'."""
    jx, s, c = _weighted([x, *xs]), [s0], [c0]
    for k in range(1, len(jx)):
        s_k = _integral(jx, c, k)
        c.append(sign * _integral(jx, s, k))
        s.append(s_k)
    return s[1:], c[1:]


def sin(ans, x, xs):
    return _sin_cos(ans, np.cos(x), x, xs, -1.0)[0]


def cos(ans, x, xs):
    return _sin_cos(np.sin(x), ans, x, xs, -1.0)[1]


def sinh(ans, x, xs):
    return _sin_cos(ans, np.cosh(x), x, xs, 1.0)[0]


def cosh(ans, x, xs):
    return _sin_cos(np.sinh(x), ans, x, xs, 1.0)[1]


def _one_plus_square(y, k, sign):
    """(1 + sign y**2)_k from y_0..y_k."""
    return (1.0 if k == 0 else 0.0) + sign * _cauchy(y, y, k)


def tan(ans, x, xs):
    """y = tan(x): y' = (1 + y**2) x'."""
    jx, y, g = _weighted([x, *xs]), [ans], [1.0 + ans * ans]
    for k in range(1, len(jx)):
        y.append(_integral(jx, g, k))
        g.append(_one_plus_square(y, k, 1.0))
    return y[1:]


def tanh(ans, x, xs):
    """y = tanh(x): y' = (1 - y**2) x'."""
    jx, y, g = _weighted([x, *xs]), [ans], [1.0 - ans * ans]
    for k in range(1, len(jx)):
        y.append(_integral(jx, g, k))
        g.append(_one_plus_square(y, k, -1.0))
    return y[1:]


def _by_derivative(ans, x, xs, fprime_ser):
    """y = f(x) with the series of f'(x) given: y_k = (1/k) sum_j j x_j f'_{k-j}."""
    jx = _weighted([x, *xs])
    return [_integral(jx, fprime_ser, k) for k in range(1, len(jx))]


def _inverse_root(x, xs, sign, shift):
    """The series of 1/sqrt(shift + sign x**2) and its value (for arcsin, arcsinh, arccosh)."""
    q = shift + sign * x * x
    q_s = [sign * c for c in mul(None, x, xs, x, xs)]
    r = np.sqrt(q)
    r_s = sqrt(r, q, q_s)
    inv = 1.0 / r
    return [inv] + div(inv, 1.0, None, r, r_s)


def _inverse_quadratic(x, xs, sign):
    """The series of 1/(1 + sign x**2) (for arctan, arctanh)."""
    q = 1.0 + sign * x * x
    q_s = [sign * c for c in mul(None, x, xs, x, xs)]
    inv = 1.0 / q
    return [inv] + div(inv, 1.0, None, q, q_s)


def arctan(ans, x, xs):
    return _by_derivative(ans, x, xs, _inverse_quadratic(x, xs, 1.0))


def arctanh(ans, x, xs):
    return _by_derivative(ans, x, xs, _inverse_quadratic(x, xs, -1.0))


def arcsin(ans, x, xs):
    return _by_derivative(ans, x, xs, _inverse_root(x, xs, -1.0, 1.0))


def arccos(ans, x, xs):
    return [-c for c in arcsin(ans, x, xs)]


def arcsinh(ans, x, xs):
    return _by_derivative(ans, x, xs, _inverse_root(x, xs, 1.0, 1.0))


def arccosh(ans, x, xs):
    return _by_derivative(ans, x, xs, _inverse_root(x, xs, 1.0, -1.0))


def erf(ans, x, xs):
    """erf' = 2/sqrt(pi) exp(-x**2)."""
    minus_sq = -x * x
    e = np.exp(minus_sq)
    e_s = exp(e, minus_sq, [-c for c in mul(None, x, xs, x, xs)])
    scale = 2.0 / math.sqrt(math.pi)
    return _by_derivative(ans, x, xs, [scale * e] + [scale * c for c in e_s])


def erfc(ans, x, xs):
    return [-c for c in erf(ans, x, xs)]


def expit(ans, x, xs):
    """The logistic sigmoid: y' = y (1 - y) x'."""
    jx, y, g = _weighted([x, *xs]), [ans], [ans * (1.0 - ans)]
    for k in range(1, len(jx)):
        y.append(_integral(jx, g, k))
        g.append(y[k] - _cauchy(y, y, k))
    return y[1:]


# -- piecewise smooth: the piece the primal is on ----------------------------------------


def absolute(ans, x, xs):
    """|x| = sign(x) x away from 0 (at 0, the sign forward mode uses: +1)."""
    sign = np.where(np.asarray(x) < 0, -1.0, 1.0)
    sign = float(sign) if np.ndim(sign) == 0 and not isinstance(x, np.ndarray) else sign
    return [sign * c for c in xs]


def _linear_piece(ans, slopes, series):
    """y_k = sum_i slope_i (x_i)_k: f linear on the piece the primal is on (its partials there)."""
    out = None
    for slope, xs in zip(slopes, series):
        if xs is not None:
            terms = [slope * c for c in xs]
            out = terms if out is None else [a + t for a, t in zip(out, terms)]
    if isinstance(ans, np.ndarray):
        return [c + zeros_like(ans) for c in out]
    return out


def remainder(ans, x, xs, y, ys):
    """x % y, np.fmod, np.remainder, math.remainder: x - q y with q a whole number constant on the piece
    (floor, trunc or round of x / y, read off the primal as round((x - ans) / y)), so slopes 1 and -q."""
    quotient = np.round((np.asarray(x) - ans) / y)
    if np.ndim(quotient) == 0 and not isinstance(ans, np.ndarray):
        quotient = float(quotient)
    return _linear_piece(ans, (1.0, -quotient), (xs, ys))


def copysign(ans, x, xs, y, ys):
    """|x| with y's sign: slope sign(x) sign(y) in x (0 at x = 0, as forward mode's rule), 0 in y."""
    slope = np.sign(x) * np.copysign(1.0, y)
    if np.ndim(slope) == 0 and not isinstance(ans, np.ndarray):
        slope = float(slope)
    return _linear_piece(ans, (slope,), (xs,)) if xs is not None else zeros(ans, len(ys))


def clip(ans, a, a_s, lo, lo_s, hi, hi_s):
    """np.clip(a, lo, hi): the series of whichever of a, lo, hi the primal is (ties shared, as forward mode's
    rule: runtime.clip_partial)."""
    slopes = [clip_partial(a, lo, hi, which) for which in ("a", "a_min", "a_max")]
    order = len(next(s for s in (a_s, lo_s, hi_s) if s is not None))
    terms = _linear_piece(np.asarray(ans), slopes, (a_s, lo_s, hi_s)) or zeros(ans, order)
    if not isinstance(ans, np.ndarray):
        return [float(c) for c in terms]
    return terms


def _select(pick_x, ans, x, xs, y, ys):
    order = len(xs if xs is not None else ys)
    a, b = _full(x, xs, order)[1:], _full(y, ys, order)[1:]
    if np.ndim(pick_x) == 0 and not isinstance(ans, np.ndarray):
        return a if pick_x else b
    return [np.where(pick_x, c, d) + zeros_like(ans) for c, d in zip(a, b)]


def maximum(ans, x, xs, y, ys):
    """max(x, y): the series of the larger one (x on a tie, as forward mode's rule)."""
    return _select(np.asarray(x) >= np.asarray(y), ans, x, xs, y, ys)


def minimum(ans, x, xs, y, ys):
    return _select(np.asarray(x) <= np.asarray(y), ans, x, xs, y, ys)


def hypot(ans, x, xs, y, ys):
    """sqrt(x**2 + y**2)."""
    order = len(xs if xs is not None else ys)
    xx = mul(None, x, _full(x, xs, order)[1:], x, _full(x, xs, order)[1:])
    yy = mul(None, y, _full(y, ys, order)[1:], y, _full(y, ys, order)[1:])
    return sqrt(ans, x * x + y * y, [c + d for c, d in zip(xx, yy)])


def arctan2(ans, y, ys, x, xs):
    """atan2(y, x) = atan(y / x) plus a constant (a multiple of pi): the same coefficients."""
    order = len(xs if xs is not None else ys)
    a, b = _full(y, ys, order), _full(x, xs, order)
    w = y / x
    w_s = div(w, y, a[1:], x, b[1:])
    return arctan(ans, w, w_s)


def logaddexp(ans, x, xs, y, ys):
    """log(exp(x) + exp(y)) = m + log(exp(x - m) + exp(y - m)) with m the larger primal."""
    order = len(xs if xs is not None else ys)
    a, b = _full(x, xs, order), _full(y, ys, order)
    ex, ey = np.exp(x - ans), np.exp(y - ans)
    ex_s, ey_s = exp(ex, x - ans, a[1:]), exp(ey, y - ans, b[1:])
    total_s = [c + d for c, d in zip(ex_s, ey_s)]
    return log(0.0 * ans, ex + ey, total_s)


def logaddexp2(ans, x, xs, y, ys):
    ln2 = math.log(2.0)
    order = len(xs if xs is not None else ys)
    scaled = [c * ln2 for c in _full(x, xs, order)], [c * ln2 for c in _full(y, ys, order)]
    nat = logaddexp(ans * ln2, scaled[0][0], scaled[0][1:], scaled[1][0], scaled[1][1:])
    return [c / ln2 for c in nat]

