"""Taylor rules of the special functions (sinc, SciPy's gamma family, erfinv, Bessel, logit, xlogy, ...)
and of the runtime's own partials. A leaf module beside `runtime_taylor.py`: NumPy, and SciPy where
a rule needs its functions (imported inside them: SciPy is optional, and only code that calls SciPy
reaches these rules).

Where a function has no neat recurrence, one generic rule composes its derivative tower: given the
normalized derivatives c_j = f^(j)(x0) / j! for j = 0..K (gammaln's are polygamma(j - 1, x0) / j!),

    f(x(t)) = sum_j c_j u(t)**j,    u(t) = x(t) - x0 = x1 t + x2 t**2 + ...,

Faa di Bruno's formula in coefficient form. `compose` evaluates it by Horner's scheme on truncated
series: K products of series, O(K**3) coefficient operations in all (O(K**2) per product; u has no
constant term, so the powers never need more than K + 1 coefficients). The series convention and
the helpers' calling convention are `runtime_taylor.py`'s.

Every public function here is pure (a fresh value from its arguments; `optimize.effects`).
"""

import functools
import math
from operator import mul as _times

import numpy as np

from . import runtime_taylor as rt
from .runtime import Refusal

# -- the generic rule: a derivative tower composed with the input's series ----------------------


def compose(ans, xs, coefficients):
    """The series of f(x(t)) from f's normalized Taylor coefficients at x0 (`coefficients[j]` =
    f^(j)(x0) / j!, j = 0..K; the 0th is replaced by ans): Horner's scheme on truncated series."""
    order = len(xs)
    u = [0.0, *xs]
    y = [coefficients[order]] + [0.0] * order
    for j in range(order - 1, -1, -1):
        y = [coefficients[j] if j else ans] + [sum(map(_times, u[1:k + 1], y[k - 1::-1])) for k in range(1, order + 1)]
    return y[1:]


def _polygamma_tower(ans, xs, x, first):
    """compose() with c_j = polygamma(first + j - 1, x) / j!: one SciPy call for all orders (and elements)."""
    order, x = len(xs), np.asarray(x)
    orders = np.arange(first, first + order).reshape((order,) + (1,) * x.ndim)
    derivatives = _special().polygamma(orders, x) / _FACTORIALS[1:order + 1].reshape(orders.shape)
    if np.ndim(ans) == 0 and not isinstance(ans, np.ndarray):
        derivatives = derivatives.tolist()
    return compose(ans, xs, [ans, *derivatives])


_FACTORIALS = np.array([float(math.factorial(j)) for j in range(171)])


def _special():
    import scipy.special

    return scipy.special


def gammaln(ans, x, xs):
    """log|Gamma(x)|: its j-th derivative is polygamma(j - 1, x)."""
    return _polygamma_tower(ans, xs, x, 0)


def digamma(ans, x, xs):
    return _polygamma_tower(ans, xs, x, 1)


def polygamma(ans, n, ns, x, xs):
    """polygamma(n, x) for a whole n (no series: n is an order): derivatives polygamma(n + j, x)."""
    if np.ndim(n) == 0:
        return _polygamma_tower(ans, xs, x, int(n) + 1)
    return compose(ans, xs, [ans] + [_special().polygamma(n + j, x) / math.factorial(j) for j in range(1, len(xs) + 1)])


def gamma(ans, x, xs):
    """Gamma(x) = +-exp(gammaln(x)): y' = y psi(x) x', i.e. exp's recurrence on gammaln's series from ans."""
    return rt.exp(ans, 0.0 * x, gammaln(0.0 * x, x, xs))


def betaln(ans, a, a_s, b, b_s):
    """gammaln(a) + gammaln(b) - gammaln(a + b)."""
    order = len(a_s if a_s is not None else b_s)
    fa, fb = rt._full(a, a_s, order), rt._full(b, b_s, order)
    ga, gb = gammaln(0.0, a, fa[1:]), gammaln(0.0, b, fb[1:])
    gab = gammaln(0.0, a + b, [c + d for c, d in zip(fa[1:], fb[1:])])
    return [p + q - r for p, q, r in zip(ga, gb, gab)]


def _scaled_bessel(ans, x, xs, n):
    """i0e (n = 0), i1e (n = 1): exp(-|x|) I_n(x) = exp(-s u) exp(-|x0|) I_n(x0 + u) on the piece of sign s.
    I_n^(j) = 2^-j sum_m C(j, m) I_(n-j+2m) (I_-v = I_v), scaled by ive; times exp(-s u)'s series."""
    ive, order = _special().ive, len(xs)
    scaled = [sum(math.comb(j, m) * ive(abs(n - j + 2 * m), x) for m in range(j + 1)) / (2.0 ** j * math.factorial(j))
              for j in range(order + 1)]
    s = np.sign(x)
    damp = [(-s) ** j / math.factorial(j) for j in range(order + 1)]
    coefficients = [sum(scaled[i] * damp[j - i] for i in range(j + 1)) for j in range(order + 1)]
    return compose(ans, xs, coefficients)


def i0e(ans, x, xs):
    return _scaled_bessel(ans, x, xs, 0)


def i1e(ans, x, xs):
    return _scaled_bessel(ans, x, xs, 1)


# -- recurrences ------------------------------------------------------------------------------------


def erfinv(ans, x, xs):
    """y = erfinv(x): y' = g x' with g = sqrt(pi)/2 exp(y**2), and g' = g (y**2)'."""
    jx, y = rt._weighted([x, *xs]), [ans]
    g = [0.5 * math.sqrt(math.pi) * np.exp(ans * ans)]
    jw = [0.0]
    for k in range(1, len(jx)):
        y.append(rt._integral(jx, g, k))
        jw.append(k * rt._cauchy(y, y, k))
        g.append(rt._integral(jw, g, k))
    return y[1:]


def logit(ans, x, xs):
    """log(x) - log(1 - x)."""
    return [p - q for p, q in zip(rt.log(ans, x, xs), rt.log(ans, 1.0 - x, [-c for c in xs]))]


def _times_log(ans, x, xs, y, ys, shift):
    """x * log(shift + y) (xlogy: shift 0, xlog1py: shift 1)."""
    logy = np.log(shift + y)
    log_s = rt.log(logy, shift + y, ys) if ys is not None else None
    return rt.mul(ans, x, xs, logy, log_s) if xs is not None or log_s is not None else None


def xlogy(ans, x, xs, y, ys):
    return _times_log(ans, x, xs, y, ys, 0.0)


def xlog1py(ans, x, xs, y, ys):
    return _times_log(ans, x, xs, y, ys, 1.0)


# -- sinc: sin(pi x) / (pi x), with the removable singularity at 0 ------------------------------------

_SINC_TERMS = 30  # Maclaurin terms beyond order K: below 1e-30 relative for |x0| < 1


def _sinc_coefficients(x0, order):
    """sinc's normalized Taylor coefficients at x0 from its Maclaurin series sum_m (-1)^m (pi x)^2m / (2m+1)!:
    c_j = sum_n a_n C(n, j) x0^(n-j), exact at 0 and well conditioned for |x0| < 1."""
    out = []
    for weights in _sinc_weights(order):
        total = weights[0] + 0.0 * x0
        for w in weights[1:]:  # Horner in x0
            total = total * x0 + w
        out.append(total)
    return out


@functools.cache
def _sinc_weights(order):
    """For each j: [a_n C(n, j) for n from the last term down to j]."""
    last = order + _SINC_TERMS
    a = [(-1.0) ** (n // 2) * math.pi ** n / math.factorial(n + 1) if n % 2 == 0 else 0.0 for n in range(last + 1)]
    return tuple(tuple(a[n] * math.comb(n, j) for n in range(last, j - 1, -1)) for j in range(order + 1))


def _sinc_quotient(ans, x, xs):
    """sin(pi x) / (pi x) by the quotient's recurrence (for |x0| >= 1)."""
    px, p_s = math.pi * x, [math.pi * c for c in xs]
    s = np.sin(px)
    return rt.div(ans, s, rt.sin(s, px, p_s), px, p_s)


def sinc(ans, x, xs):
    """np.sinc: the Maclaurin coefficients composed near 0 (|x0| < 1: 0 itself exactly), the quotient of
    the series of sin(pi x) and pi x elsewhere; per element for arrays."""
    near = np.abs(x) < 1.0
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return compose(ans, xs, _sinc_coefficients(x, len(xs))) if near else _sinc_quotient(ans, x, xs)
    x_near, x_far = np.where(near, x, 0.0), np.where(near, 2.5, x)
    small = compose(ans, xs, _sinc_coefficients(x_near, len(xs)))
    large = _sinc_quotient(np.sinc(x_far), x_far, xs)
    return [np.where(near, p, q) + 0.0 * ans for p, q in zip(small, large)]


# -- scipy.stats log densities: series arithmetic on full series [c0, c1, ..., cK] ----------------------


def _whole(x, xs, order):
    return rt._full(x, xs, order)


def _product(a, b):
    return [a[0] * b[0]] + rt.mul(None, a[0], a[1:], b[0], b[1:])


def _quotient(a, b):
    q = a[0] / b[0]
    return [q] + rt.div(q, a[0], a[1:], b[0], b[1:])


def _log(a):
    return [np.log(a[0])] + rt.log(None, a[0], a[1:])


def _gammaln(a):
    return [0.0 * a[0]] + gammaln(0.0 * a[0], a[0], a[1:])  # the constant is never read: ans is the primal


def _combine(*terms):
    """sum of weight * series over (weight, series) pairs, coefficient by coefficient."""
    return [sum(w * s[k] for w, s in terms) for k in range(len(terms[0][1]))]


def _standardized(order, x, xs, loc, locs, scale, scales):
    """(z, scale) as full series, z = (x - loc) / scale."""
    big_s = _whole(scale, scales, order)
    return _quotient(_combine((1.0, _whole(x, xs, order)), (-1.0, _whole(loc, locs, order))), big_s), big_s


def _order(*series):
    return len(next(s for s in series if s is not None))


def norm_logpdf(ans, x, xs, loc, locs, scale, scales):
    """-z**2 / 2 - log(scale) - log(2 pi) / 2."""
    z, big_s = _standardized(_order(xs, locs, scales), x, xs, loc, locs, scale, scales)
    return _combine((-0.5, _product(z, z)), (-1.0, _log(big_s)))[1:]


def t_logpdf(ans, x, xs, df, dfs, loc, locs, scale, scales):
    """gammaln((df + 1) / 2) - gammaln(df / 2) - log(df pi) / 2 - log(scale) - (df + 1) / 2 log(1 + z**2 / df)."""
    order = _order(xs, dfs, locs, scales)
    z, big_s = _standardized(order, x, xs, loc, locs, scale, scales)
    nu = _whole(df, dfs, order)
    half_up = _combine((0.5, nu), (0.5, [1.0] + [0.0] * order))
    inner = _log(_combine((1.0, [1.0] + [0.0] * order), (1.0, _quotient(_product(z, z), nu))))
    return _combine((1.0, _gammaln(half_up)), (-1.0, _gammaln(_combine((0.5, nu)))), (-0.5, _log(nu)),
                    (-1.0, _log(big_s)), (-1.0, _product(half_up, inner)))[1:]


def gamma_logpdf(ans, x, xs, a, a_s, loc, locs, scale, scales):
    """(a - 1) log y - y - gammaln(a) - log(scale), y = (x - loc) / scale."""
    order = _order(xs, a_s, locs, scales)
    y, big_s = _standardized(order, x, xs, loc, locs, scale, scales)
    shape = _whole(a, a_s, order)
    return _combine((1.0, _product(_combine((1.0, shape), (-1.0, [1.0] + [0.0] * order)), _log(y))), (-1.0, y),
                    (-1.0, _gammaln(shape)), (-1.0, _log(big_s)))[1:]


def beta_logpdf(ans, x, xs, a, a_s, b, b_s, loc, locs, scale, scales):
    """(a - 1) log y + (b - 1) log(1 - y) - betaln(a, b) - log(scale), y = (x - loc) / scale."""
    order = _order(xs, a_s, b_s, locs, scales)
    one = [1.0] + [0.0] * order
    y, big_s = _standardized(order, x, xs, loc, locs, scale, scales)
    fa, fb = _whole(a, a_s, order), _whole(b, b_s, order)
    return _combine((1.0, _product(_combine((1.0, fa), (-1.0, one)), _log(y))),
                    (1.0, _product(_combine((1.0, fb), (-1.0, one)), _log(_combine((1.0, one), (-1.0, y))))),
                    (-1.0, _gammaln(fa)), (-1.0, _gammaln(fb)), (1.0, _gammaln(_combine((1.0, fa), (1.0, fb)))),
                    (-1.0, _log(big_s)))[1:]


def nan_to_num(ans, x, xs, copy, copy_s, nan, nans, posinf, posinf_s, neginf, neginf_s):
    """x's series where x is finite, else the series of the replacement there (np.nan_to_num's forward rule)."""
    order = _order(xs, nans, posinf_s, neginf_s)
    pick = [(np.isnan(x), nans), (np.isposinf(x), posinf_s), (np.isneginf(x), neginf_s)]
    out = rt._full(x, xs, order)[1:] if xs is not None else rt.zeros(ans, order)
    for where, series in pick:
        if np.any(where):
            out = [np.where(where, 0.0 if series is None else series[k], c) + 0.0 * ans
                   for k, c in enumerate(out)]
    return out


# -- cumulative products and determinants ---------------------------------------------------------------


def _full_product(a, b):
    """The full series of a * b from full series a, b (Leibniz's rule, coefficient 0 included)."""
    return [a[0] * b[0]] + rt.mul(None, a[0], a[1:], b[0], b[1:])


def cumprod(ans, a, a_s, axis, axis_s, dtype, dtype_s, out, out_s):
    """np.cumprod: prefix products by doubling (Hillis and Steele), P_i <- P_i P_(i-s) for s = 1, 2, 4, ...:
    log2(n) products of series, and exact where a has zeros (forward mode's rule divides by a)."""
    if out is not None:
        raise Refusal("jet of np.cumprod with out= is not supported", "np.cumprod")
    full = [np.asarray(c) for c in [a, *a_s]]
    full = [c.ravel() for c in full] if axis is None else [np.moveaxis(c, axis, -1) for c in full]
    n, shift = full[0].shape[-1], 1
    while shift < n:
        pad = full[0][..., :shift]
        left = [np.concatenate([np.ones_like(pad) if k == 0 else np.zeros_like(pad), c[..., :-shift]], axis=-1)
                for k, c in enumerate(full)]
        full, shift = _full_product(full, left), 2 * shift
    back = full[1:] if axis is None else [np.moveaxis(c, -1, axis) for c in full[1:]]
    return [np.asarray(c, dtype=np.result_type(ans)) for c in back]


def det(ans, a, a_s):
    """det(A(t)) = det(A0) exp(tr log(I + B(t))), B = A0^-1 (A(t) - A0) = O(t): the series of the
    logarithm is sum_m (-1)^(m+1) tr(B^m) / m up to m = K, then exp's recurrence from ans.
    Through the inverse, as forward mode's rule: not defined at a singular A0 (LinAlgError)."""
    order, inverse = len(a_s), np.linalg.inv(a)
    b = [None] + [inverse @ c for c in a_s]
    power = list(b)  # B^m as a series: its coefficients below m are zero (None)
    logdet = [0.0 * ans] * (order + 1)
    for m in range(1, order + 1):
        logdet = [v + (-1.0) ** (m + 1) / m * np.trace(power[k], axis1=-2, axis2=-1) if k >= m else v
                  for k, v in enumerate(logdet)]
        power = [None] * (m + 1) + [sum(power[i] @ b[k - i] for i in range(m, k)) for k in range(m + 1, order + 1)]
    return rt.exp(ans, 0.0 * ans, logdet[1:])


# -- the runtime's partials (in generated derivative code: jet of a derivative) ------------------------


def times_partial(ans, t, ts, partial, partial_s):
    """t * partial: Leibniz's rule."""
    return rt.mul(ans, t, ts, partial, partial_s)


def pow_base_partial(ans, a, a_s, b, b_s):
    """b a**(b - 1), zero where b is a constant 0 (runtime.pow_base_partial's convention)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.power(a, b - 1.0)
    order = len(a_s if a_s is not None else b_s)
    p_s = rt.power(p, a, a_s if a_s is not None else rt.zeros(a, order), b - 1.0, b_s)
    out = rt.mul(ans, b, b_s, p, p_s)
    if b_s is None and np.any(np.equal(b, 0)):
        out = [np.where(np.equal(b, 0), 0.0, c) + 0.0 * ans for c in out]
    return out


def pow_exponent_partial(ans, a, a_s, power, power_s):
    """power log(a): Leibniz's rule with log's series."""
    loga = np.log(a)
    log_s = rt.log(loga, a, a_s) if a_s is not None else None
    return rt.mul(ans, power, power_s, loga, log_s)



def log_ndtr(ans, x, xs):
    """y = log Phi(x) by y' = exp(h - y) x' with h = -x**2/2 - log(sqrt(2 pi)): no division by Phi(x), which
    underflows far left, and no cancellation of log's recurrence there."""
    xser = [x, *xs]
    h = [-0.5 * rt._cauchy(xser, xser, k) for k in range(len(xser))]
    h[0] -= 0.5 * math.log(2.0 * math.pi)
    jx, y, e = rt._weighted(xser), [ans], [np.exp(h[0] - ans)]
    ju = [0.0]
    for k in range(1, len(xser)):
        y.append(rt._integral(jx, e, k))
        ju.append(k * (h[k] - y[k]))
        e.append(rt._integral(ju, e, k))
    return y[1:]


# -- any elementwise function of one argument, from its derivative template ----------------------------------


def from_derivative(ans, x, xs, derivative_jet, with_ans):
    """y = f(x) for an elementwise f known only by its rule's derivative d (of x, or of x and ans = y):
    y' = d x', so y_k = (1/k) sum_{j=1..k} j x_j d_{k-j}, with d's series along the curve from d's own jet
    (`derivative_jet(x[, ans], x_ser[, ans_ser]) -> (d, d_ser)`, which Taylor mode builds from the
    template to order max(K - 1, 1)). A d that reads ans is solved for term by term: d_{k-1} needs the
    coefficients of y up to k - 1 only, so each y_k comes from one more run of d's jet."""
    order = max(len(xs) - 1, 1)
    x_in = (list(xs) + [rt.zeros_like(x)] * order)[:order]
    jx = rt._weighted([x, *xs])
    if not with_ans:
        d, ds = derivative_jet(x, x_in)
        series = [d, *_or_zeros(ds, d, order)]
        return [rt._integral(jx, series, k) for k in range(1, len(jx))]
    y = []
    for k in range(1, len(jx)):
        d, ds = derivative_jet(x, ans, x_in, (y + [rt.zeros_like(ans)] * order)[:order])
        y.append(rt._integral(jx, [d, *_or_zeros(ds, d, order)], k))
    return y


def _or_zeros(series, like, order):
    """A jet's series, or zeros where the derivative is constant along the curve (no series came back)."""
    return list(series) if series is not None else [rt.zeros_like(like)] * order
