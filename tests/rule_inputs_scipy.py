"""Written-out calls for the SciPy rules (s2sad/rules/scipy_special.py, scipy_linalg.py); imported by
tests/rule_inputs_extra.py only when SciPy is installed."""

import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats
from rule_inputs import arg, case

from s2sad import runtime_scipy

SPD = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.8]])


@case(scipy.special.polygamma, arg((2, 3), "positive"))
def polygamma_1(x):
    return scipy.special.polygamma(1, x)


@case(scipy.special.polygamma, arg((4,), "positive"))
def polygamma_2(x):
    return scipy.special.polygamma(2, x)


@case(scipy.special.logsumexp, (2, 3))
def logsumexp_axis(a):
    return scipy.special.logsumexp(a, axis=1)


@case(scipy.special.logsumexp, (2, 3))
def logsumexp_keepdims_weights(a):
    return scipy.special.logsumexp(a, axis=0, b=np.array([0.5, 1.0, 2.0]), keepdims=True)


@case(runtime_scipy.lse_weights, (2, 3))
def rt_lse_weights(a):
    return runtime_scipy.lse_weights(a, None, 1)


@case(scipy.special.softmax, (2, 3))
def softmax_axis(x):
    return scipy.special.softmax(x, axis=0)


@case(scipy.special.log_softmax, (2, 3))
def log_softmax_axis(x):
    return scipy.special.log_softmax(x, axis=-1)


@case(scipy.stats.t.logpdf, arg((2, 3), "real"), arg((3,), "positive"), arg((), "real"), arg((2, 3), "positive"),
      float32=False)
def t_logpdf(x, df, loc, scale):
    return scipy.stats.t.logpdf(x, df, loc, scale)


@case(scipy.stats.t.logpdf, arg((4,), "real"), arg((), "positive"), float32=False)
def t_logpdf_standard(x, df):
    return scipy.stats.t.logpdf(x, df)


@case(scipy.stats.gamma.logpdf, arg((2, 3), "positive"), arg((3,), "positive"), arg((), "real"),
      arg((2, 3), "positive"), float32=False)
def gamma_logpdf(x, a, loc, scale):
    return scipy.stats.gamma.logpdf(x + 3.0, a, loc, scale)


@case(scipy.stats.beta.logpdf, arg((4,), "probability"), arg((4,), "positive"), arg((), "positive"), arg((), "real"),
      arg((), "positive"), float32=False)
def beta_logpdf(u, a, b, loc, scale):
    return scipy.stats.beta.logpdf(loc + scale * u, a, b, loc, scale)


@case(scipy.stats.norm.logpdf, arg((4,), "real"), float32=False)
def norm_logpdf_standard(x):
    return scipy.stats.norm.logpdf(x)


@case(scipy.stats.multivariate_normal.logpdf, arg((4, 3), "real"), arg((3,), "real"), arg((3, 3), "spd"),
      float32=False)
def mvn_logpdf_batch(x, mean, cov):
    return scipy.stats.multivariate_normal.logpdf(x, mean, cov)


@case(scipy.stats.multivariate_normal.logpdf, arg((3,), "real"), arg((3,), "real"), (3, 3), float32=False)
def mvn_logpdf_one(x, mean, c):
    return scipy.stats.multivariate_normal.logpdf(x, mean, 0.1 * c + SPD)


@case(scipy.linalg.solve, arg((3, 3), "matrix"), arg((3,), "real"))
def sl_solve_vector(a, b):
    return scipy.linalg.solve(a, b)


@case(scipy.linalg.solve, arg((3, 3), "matrix"), arg((3, 2), "real"))
def sl_solve_transposed(a, b):
    return scipy.linalg.solve(a, b, transposed=True)


@case(scipy.linalg.solve_triangular, (3, 3), (3, 2))
def sl_solve_triangular_upper(x, b):
    return scipy.linalg.solve_triangular(x + 3.0 * np.eye(3), b)


@case(scipy.linalg.solve_triangular, (3, 3), (3,))
def sl_solve_triangular_lower_t(x, b):
    return scipy.linalg.solve_triangular(x + 3.0 * np.eye(3), b, trans=1, lower=True)


@case(scipy.linalg.solve_triangular, (3, 3), (3, 2))
def sl_solve_triangular_unit_t(x, b):
    return scipy.linalg.solve_triangular(x, b, trans="T", unit_diagonal=True)


@case(scipy.linalg.expm, (2, 2))
def sl_expm_small(a):
    return scipy.linalg.expm(a)


@case(scipy.linalg.cho_factor, arg((3, 3), "spd"))
def sl_cho_factor_c(a):
    c, low = scipy.linalg.cho_factor(a)
    return c


@case(scipy.linalg.cho_factor, arg((3, 3), "spd"))
def sl_cho_factor_lower(a):
    c, low = scipy.linalg.cho_factor(a, lower=True)
    return c


@case(scipy.linalg.cho_solve, arg((3, 3), "spd"), (3, 2))
def sl_cho_solve(a, b):
    return scipy.linalg.cho_solve(scipy.linalg.cho_factor(a), b)


@case(scipy.linalg.cho_solve, arg((3, 3), "spd"), (3,))
def sl_cho_solve_lower(a, b):
    factor = scipy.linalg.cho_factor(a, lower=True)
    return scipy.linalg.cho_solve(factor, b)


@case(scipy.linalg.solve, arg((3, 3), "matrix"), arg((3, 2), "real"))
def sl_solve_matrix(a, b):
    return scipy.linalg.solve(a, b)


PERMUTED = np.array([[0.1, 0.2, 3.0], [2.5, 0.3, 0.1], [0.2, 4.0, 0.3]])  # pivoting moves every row


@case(scipy.linalg.lu_factor, (3, 3))
def sl_lu_factor(x):
    lu, piv = scipy.linalg.lu_factor(0.1 * x + PERMUTED)
    return lu


@case(scipy.linalg.lu_factor, arg((3, 3), "matrix"))
def sl_lu_factor_pair(a):
    return scipy.linalg.lu_factor(a)


@case(scipy.linalg.lu_solve, (3, 3), (3, 2))
def sl_lu_solve(x, b):
    return scipy.linalg.lu_solve(scipy.linalg.lu_factor(0.1 * x + PERMUTED), b)


@case(scipy.linalg.lu_solve, (3, 3), (3,))
def sl_lu_solve_transposed(x, b):
    factors = scipy.linalg.lu_factor(0.1 * x + PERMUTED)
    return scipy.linalg.lu_solve(factors, b, trans=1)
