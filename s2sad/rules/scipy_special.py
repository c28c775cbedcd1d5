"""scipy.special and the log densities of scipy.stats (registered only when SciPy imports).

Elementwise functions give their partial derivatives; polygamma, logsumexp, softmax and log_softmax
have rules of their own. Conventions: `i1e`'s slope at 0 is the limit 1/2 of its formula (which divides
by x); logsumexp's weights `b` carry no derivative.
"""

import math

import numpy as np
import scipy.special
import scipy.stats

from .. import runtime, runtime_scipy
from .. import runtime_taylor as rt
from .. import runtime_taylor_special as rts
from ..registry import RULES, elementwise, jvp, vjp
from ..runtime import broadcast_like, sum_adjoint, sym_lower, sym_lower_adjoint, unbroadcast
from ..runtime_scipy import lse_weights

SQRT_PI = math.sqrt(math.pi)

# -- gamma and its logarithm --------------------------------------------------------------------------


@elementwise(scipy.special.gamma, domain="positive", taylor=rts.gamma)
def gamma(x, ans):
    return ans * scipy.special.digamma(x)


@elementwise(scipy.special.gammaln, domain="positive", taylor=rts.gammaln)
def gammaln(x):
    return scipy.special.digamma(x)


@elementwise(scipy.special.digamma, domain="positive", taylor=rts.digamma)
def digamma(x):
    """polygamma computes in float64: cast back to x's dtype."""
    return np.asarray(scipy.special.polygamma(1, x), np.result_type(x))


@vjp(scipy.special.polygamma, wrt=("x",), taylor=rts.polygamma)
def polygamma(g, ans, n, x):
    """n is an integer order: no derivative."""
    return unbroadcast(g * scipy.special.polygamma(n + 1, x), x)


@jvp(scipy.special.polygamma)
def polygamma_jvp(x_dot, ans, n, x):
    return x_dot * scipy.special.polygamma(n + 1, x)


@elementwise(scipy.special.betaln, domain="positive", taylor=rts.betaln)
def betaln(a, b, ans):
    """In ans's dtype: older SciPy's digamma has no float32 loop."""
    return (scipy.special.digamma(a) - scipy.special.digamma(a + b)).astype(np.result_type(ans)), \
        (scipy.special.digamma(b) - scipy.special.digamma(a + b)).astype(np.result_type(ans))


# -- error functions, logistic --------------------------------------------------------------------------


@elementwise(scipy.special.erf, taylor=rt.erf)
def erf(x):
    return 2.0 / SQRT_PI * np.exp(-x * x)


@elementwise(scipy.special.erfc, taylor=rt.erfc)
def erfc(x):
    return -2.0 / SQRT_PI * np.exp(-x * x)


@elementwise(scipy.special.erfinv, domain="unit", taylor=rts.erfinv)
def erfinv(x, ans):
    return 0.5 * SQRT_PI * np.exp(ans * ans)


@elementwise(scipy.special.expit, taylor=rt.expit)
def expit(x, ans):
    return ans * (1.0 - ans)


@elementwise(scipy.special.logit, domain="probability", taylor=rts.logit)
def logit(x):
    return 1.0 / (x * (1.0 - x))


@elementwise(scipy.special.log_ndtr, taylor=rts.log_ndtr)
def log_ndtr(x, ans):
    """The normal density over its CDF, exp(-x^2/2 - log_ndtr(x)) / sqrt(2 pi): no overflow for x far below 0."""
    return 0.3989422804014327 * np.exp(-0.5 * x * x - ans)


@elementwise(scipy.special.xlogy, domain="positive", taylor=rts.xlogy)
def xlogy(x, y, ans):
    """In the result's dtype (SciPy's loops promote a Python float with a float32 array to float64)."""
    return np.asarray(np.log(y), np.result_type(ans)), np.asarray(x / y, np.result_type(ans))


@elementwise(scipy.special.xlog1py, domain="positive", taylor=rts.xlog1py)
def xlog1py(x, y, ans):
    return np.asarray(np.log1p(y), np.result_type(ans)), np.asarray(x / (1.0 + y), np.result_type(ans))


# -- exponentially scaled Bessel functions: i0e = exp(-|x|) I0(x), i1e = exp(-|x|) I1(x) ----------------


@elementwise(scipy.special.i0e, domain="nonzero", taylor=rts.i0e)
def i0e(x, ans):
    return scipy.special.i1e(x) - np.sign(x) * ans


@elementwise(scipy.special.i1e, domain="nonzero", taylor=rts.i1e)
def i1e(x, ans):
    """I1' = I0 - I1 / x, where I1(x) / x -> 1/2 at x = 0 (I1(x) ~ x / 2): the slope there is 1/2, not NaN."""
    return scipy.special.i0e(x) - np.where(x == 0, 0.5, ans / np.where(x == 0, 1.0, x)) - np.sign(x) * ans


# -- reductions --------------------------------------------------------------------------------------------


@vjp(scipy.special.logsumexp, wrt=("a",), shapes=((2, 3),))
def logsumexp(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    """The weights b exp(a - logsumexp) (a softmax); b carries no derivative."""
    return sum_adjoint(g, a, axis, keepdims) * lse_weights(a, b, axis, return_sign)


@jvp(scipy.special.logsumexp)
def logsumexp_jvp(a_dot, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    return np.sum(a_dot * lse_weights(a, b, axis, return_sign), axis=axis, keepdims=keepdims)


@vjp(runtime_scipy.lse_weights, wrt=("a",))
def lse_weights_(g, ans, a, b=None, axis=None, return_sign=False):
    """w = b exp(a - lse): dw = w (da - sum(w da)), a softmax's derivative."""
    return ans * (g - np.sum(g * ans, axis=axis, keepdims=True))


@jvp(runtime_scipy.lse_weights)
def lse_weights_jvp(a_dot, ans, a, b=None, axis=None, return_sign=False):
    return ans * (a_dot - np.sum(a_dot * ans, axis=axis, keepdims=True))


@vjp(scipy.special.softmax, wrt=("x",), shapes=((2, 3),))
def softmax(g, ans, x, axis=None):
    return ans * (g - np.sum(g * ans, axis=axis, keepdims=True))


@jvp(scipy.special.softmax)
def softmax_jvp(x_dot, ans, x, axis=None):
    return ans * (x_dot - np.sum(x_dot * ans, axis=axis, keepdims=True))


@vjp(scipy.special.log_softmax, wrt=("x",), shapes=((2, 3),))
def log_softmax(g, ans, x, axis=None):
    return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


@jvp(scipy.special.log_softmax)
def log_softmax_jvp(x_dot, ans, x, axis=None):
    return x_dot - np.sum(np.exp(ans) * x_dot, axis=axis, keepdims=True)


# -- scipy.stats log densities (the methods of the distribution objects, called as norm.logpdf(x, ...)) ------
# SciPy computes them in float64 whatever the inputs, so the partials are float64 too.


@elementwise(scipy.stats.norm.logpdf, domain="positive", taylor=rts.norm_logpdf)
def norm_logpdf(x, loc=0.0, scale=1.0):
    """z = (x - loc) / scale: -z / scale, z / scale, (z**2 - 1) / scale."""
    return np.asarray(-(x - loc) / (scale * scale), np.float64), np.asarray((x - loc) / (scale * scale), np.float64), \
        np.asarray(((x - loc) * (x - loc) / (scale * scale) - 1.0) / scale, np.float64)


@elementwise(scipy.stats.t.logpdf, domain="positive", taylor=rts.t_logpdf)
def t_logpdf(x, df, loc=0.0, scale=1.0):
    """z = (x - loc) / scale; logpdf = ... - log(scale) - (df + 1) / 2 log(1 + z**2 / df)."""
    return np.asarray(-(df + 1.0) * (x - loc) / (df * scale * scale + (x - loc) * (x - loc)), np.float64), \
        np.asarray(0.5 * scipy.special.digamma(0.5 * (df + 1.0)) - 0.5 * scipy.special.digamma(0.5 * df) - 0.5 / df
                   - 0.5 * np.log1p((x - loc) * (x - loc) / (scale * scale * df))
                   + 0.5 * (df + 1.0) * (x - loc) * (x - loc) / (df * (df * scale * scale + (x - loc) * (x - loc))),
                   np.float64), \
        np.asarray((df + 1.0) * (x - loc) / (df * scale * scale + (x - loc) * (x - loc)), np.float64), \
        np.asarray(-1.0 / scale
                   + (df + 1.0) * (x - loc) * (x - loc) / (scale * (df * scale * scale + (x - loc) * (x - loc))),
                   np.float64)


@elementwise(scipy.stats.gamma.logpdf, domain="positive", taylor=rts.gamma_logpdf)
def gamma_logpdf(x, a, loc=0.0, scale=1.0):
    """y = (x - loc) / scale; logpdf = (a - 1) log y - y - gammaln(a) - log(scale)."""
    return np.asarray((a - 1.0) / (x - loc) - 1.0 / scale, np.float64), \
        np.asarray(np.log((x - loc) / scale) - scipy.special.digamma(a), np.float64), \
        np.asarray(1.0 / scale - (a - 1.0) / (x - loc), np.float64), \
        np.asarray(((x - loc) / scale - a) / scale, np.float64)


@elementwise(scipy.stats.beta.logpdf, domain="positive", taylor=rts.beta_logpdf)
def beta_logpdf(x, a, b, loc=0.0, scale=1.0):
    """y = (x - loc) / scale; logpdf = (a - 1) log y + (b - 1) log(1 - y) - betaln(a, b) - log(scale)."""
    return np.asarray((a - 1.0) / (x - loc) - (b - 1.0) / (scale - (x - loc)), np.float64), \
        np.asarray(np.log((x - loc) / scale) - scipy.special.digamma(a) + scipy.special.digamma(a + b), np.float64), \
        np.asarray(np.log1p(-(x - loc) / scale) - scipy.special.digamma(b) + scipy.special.digamma(a + b),
                   np.float64), \
        np.asarray((b - 1.0) / (scale - (x - loc)) - (a - 1.0) / (x - loc), np.float64), \
        np.asarray((b - 1.0) * (x - loc) / (scale * (scale - (x - loc))) - a / scale, np.float64)



@vjp(scipy.stats.multivariate_normal.logpdf, wrt=("x", "mean", "cov"))
def mvn_logpdf(g, ans, x, mean=None, cov=1, allow_singular=False):
    """-(d log 2 pi + log det C + r^T C^-1 r) / 2 with r = x - mean, over the last axis of x; the mean and a
    full covariance matrix must be given. SciPy reads the covariance's lower triangle (scipy.linalg.eigh)."""
    return -np.expand_dims(g, -1) * np.matmul(x - mean, runtime.inv(sym_lower(cov))), \
        unbroadcast(np.expand_dims(g, -1) * np.matmul(x - mean, runtime.inv(sym_lower(cov))), mean), \
        sym_lower_adjoint(-0.5 * (np.sum(g) * runtime.inv(sym_lower(cov)) - np.matmul(np.swapaxes(np.reshape(
            np.expand_dims(g, -1) * np.matmul(x - mean, runtime.inv(sym_lower(cov))), (-1, np.shape(cov)[-1])), -1, -2),
            np.reshape(np.matmul(x - mean, runtime.inv(sym_lower(cov))), (-1, np.shape(cov)[-1])))))


@jvp(scipy.stats.multivariate_normal.logpdf)
def mvn_logpdf_jvp(x_dot, mean_dot, cov_dot, ans, x, mean=None, cov=1, allow_singular=False):
    return -np.sum(np.matmul(x - mean, runtime.inv(sym_lower(cov))) * x_dot, axis=-1), \
        broadcast_like(np.sum(np.matmul(x - mean, runtime.inv(sym_lower(cov))) * mean_dot, axis=-1), ans), \
        broadcast_like(-0.5 * np.sum(runtime.inv(sym_lower(cov)) * sym_lower(cov_dot)) + 0.5 * np.sum(np.matmul(
            np.matmul(x - mean, runtime.inv(sym_lower(cov))), sym_lower(cov_dot))
            * np.matmul(x - mean, runtime.inv(sym_lower(cov))), axis=-1), ans)

for _prim, _name in ((scipy.stats.norm.logpdf, "scipy.stats.norm.logpdf"),
                     (scipy.stats.t.logpdf, "scipy.stats.t.logpdf"),
                     (scipy.stats.gamma.logpdf, "scipy.stats.gamma.logpdf"),
                     (scipy.stats.beta.logpdf, "scipy.stats.beta.logpdf"),
                     (scipy.stats.multivariate_normal.logpdf, "scipy.stats.multivariate_normal.logpdf")):
    RULES[_prim].name = _name
