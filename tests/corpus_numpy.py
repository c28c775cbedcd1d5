"""Realistic NumPy programs: likelihoods, regression losses, linear algebra, attention, layers.

Parameters follow tests/conftest.py (`x`, `y` floats, `p`, `q` positive floats, `a`, `b`
3-vectors, `theta` a small 3-vector, `M`, `N` 3-by-3 matrices, `S` symmetric positive
definite, `T` a batch of two 3-by-3 matrices, `Q`, `K`, `V` 4-by-3 sequences, `logits` 4-by-3,
`X` 4-by-3); the data they are fitted to are the module constants below, which carry no
derivative. Each program is checked in both modes against finite differences by
tests/test_corpus.py.
"""

import math

import numpy as np

_RNG = np.random.default_rng(20261203)
DATA = _RNG.normal(0.4, 1.3, 20)                         # scalar observations
DATA3 = _RNG.normal(0.0, 1.0, (10, 3))                   # 3-dimensional observations
FEATURES = _RNG.normal(0.0, 1.0, (12, 3))                # a design matrix
COUNTS = _RNG.poisson(2.0, 12).astype(float)             # Poisson responses
LABELS = (_RNG.random(12) < 0.5).astype(float)           # binary responses
TARGETS = FEATURES @ np.array([0.5, -1.0, 0.25]) + 0.1 * _RNG.normal(size=12)
CLASSES = np.array([0, 2, 1, 2])                         # class of each row of `logits`
ONEHOT = np.eye(3)[CLASSES]
INPUTS = np.linspace(-1.0, 1.0, 6)                       # a Gaussian process's inputs
OUTPUTS = np.sin(2.0 * INPUTS) + 0.05 * _RNG.normal(size=6)
MIXTURE = np.array([0.2, 0.5, 0.3])                      # mixture weights
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


# -- likelihoods ---------------------------------------------------------------------------------


def gaussian_loglik(x, p):
    """Normal log-likelihood of DATA with mean x and standard deviation p."""
    z = (DATA - x) / p
    return -0.5 * np.sum(z ** 2) - DATA.size * (np.log(p) + HALF_LOG_2PI)


def gaussian_loglik_diagonal(a, b):
    """Independent normals per coordinate: mean a, log standard deviation b."""
    var = np.exp(2.0 * b)
    return np.sum(-0.5 * (DATA3 - a) ** 2 / var - b) - DATA3.size * HALF_LOG_2PI


def mvn_logpdf(a, S):
    """Multivariate normal log density of DATA3 (rows) with mean a and covariance S, via slogdet and solve."""
    centered = DATA3 - a
    sign, logdet = np.linalg.slogdet(S)
    quad = np.sum(centered * np.linalg.solve(S, centered.T).T)
    return -0.5 * quad - 0.5 * DATA3.shape[0] * (logdet + 3 * math.log(2 * math.pi))


def poisson_loglik(theta):
    """Poisson regression with log link: log p(COUNTS | exp(FEATURES @ theta)), Stirling term left out."""
    eta = FEATURES @ theta
    return np.sum(COUNTS * eta - np.exp(eta))


def poisson_loglik_offset(theta, x):
    """The same with an intercept x and the log-factorial term kept (a constant)."""
    rate = np.exp(np.dot(FEATURES, theta) + x)  # not FEATURES.dot(theta): unresolved for a global array
    log_factorial = np.array([math.lgamma(c + 1.0) for c in COUNTS])
    return np.sum(COUNTS * np.log(rate) - rate - log_factorial)


def logistic_nll(theta):
    """Binary cross-entropy of a logistic regression, written with logaddexp for stability."""
    z = FEATURES @ theta
    return np.sum(np.logaddexp(0.0, z) - LABELS * z)


def student_t_loglik(x, p):
    """Student-t (3 degrees of freedom) log-likelihood of DATA with location x and scale p."""
    nu = 3.0
    r = (DATA - x) / p
    return np.sum(-0.5 * (nu + 1.0) * np.log1p(r * r / nu)) - DATA.size * np.log(p)


def gaussian_mixture_loglik(a, p):
    """Three-component 1-d mixture with means a and a shared scale p, logsumexp over components."""
    z = (DATA[:, None] - a[None, :]) / p
    log_comp = np.log(MIXTURE) - 0.5 * z ** 2 - np.log(p) - HALF_LOG_2PI
    top = np.max(log_comp, axis=1, keepdims=True)
    per_point = top[:, 0] + np.log(np.sum(np.exp(log_comp - top), axis=1))
    return np.sum(per_point)


def kl_diagonal_gaussians(a, b, theta):
    """KL(N(a, diag(exp(2 theta))) || N(b, I))."""
    var = np.exp(2.0 * theta)
    return 0.5 * np.sum(var + (a - b) ** 2 - 1.0 - 2.0 * theta)


# -- softmax and friends --------------------------------------------------------------------------


def logsumexp_rows(logits):
    top = np.max(logits, axis=1, keepdims=True)
    return np.sum(top + np.log(np.sum(np.exp(logits - top), axis=1, keepdims=True)))


def softmax_stable(logits):
    """Row softmax, shifted by the row maximum (an array output)."""
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_cross_entropy(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.mean(np.sum(ONEHOT * log_probs, axis=1))


def softmax_entropy(a):
    e = np.exp(a - np.max(a))
    probs = e / e.sum()
    return -np.sum(probs * np.log(probs))


def class_log_likelihood(logits):
    """The log-probability of each row's class, picked with take_along_axis."""
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return np.sum(np.take_along_axis(log_probs, CLASSES[:, None], axis=1))


# -- regression losses ----------------------------------------------------------------------------


def least_squares_solve(M, a):
    """Fit by the normal equations (solve), then the residual norm of that fit."""
    G = M.T @ M + np.eye(3)
    coef = np.linalg.solve(G, M.T @ a)
    r = M @ coef - a
    return r @ r


def ridge_loss(theta, p):
    r = FEATURES @ theta - TARGETS
    return 0.5 * np.mean(r ** 2) + 0.5 * p * np.dot(theta, theta)


def ridge_closed_form(p):
    """The ridge solution as a function of its penalty, and its training error."""
    coef = np.linalg.solve(FEATURES.T @ FEATURES + p * np.eye(3), FEATURES.T @ TARGETS)
    return np.sum((FEATURES @ coef - TARGETS) ** 2)


def huber_loss(theta):
    r = FEATURES @ theta - TARGETS
    small = np.abs(r) < 0.3
    return np.sum(np.where(small, 0.5 * r ** 2, 0.3 * (np.abs(r) - 0.15)))


def smoothness_penalty(a, b):
    """Squared first and second differences of a signal built by concatenation."""
    signal = np.concatenate([a, b[::-1]])
    return np.sum(np.diff(signal) ** 2) + 0.5 * np.sum(np.diff(signal, n=2) ** 2)


# -- Gaussian processes and linear algebra ---------------------------------------------------------


def gp_log_marginal(p, q):
    """GP log marginal likelihood of OUTPUTS (RBF kernel, length scale p, signal variance q): cholesky, slogdet."""
    sq = (INPUTS[:, None] - INPUTS[None, :]) ** 2
    Kxx = q * np.exp(-0.5 * sq / (p * p)) + 0.1 * np.eye(INPUTS.size)
    L = np.linalg.cholesky(Kxx)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, OUTPUTS))
    sign, logdet = np.linalg.slogdet(Kxx)
    return -0.5 * OUTPUTS @ alpha - 0.5 * logdet - INPUTS.size * HALF_LOG_2PI


def gp_log_marginal_diag(p, q):
    """The same evidence with log det from the Cholesky factor's diagonal."""
    sq = np.subtract.outer(INPUTS, INPUTS) ** 2
    Kxx = q * np.exp(-sq / (2.0 * p ** 2)) + 0.1 * np.eye(6)
    L = np.linalg.cholesky(Kxx)
    v = np.linalg.solve(L, OUTPUTS)
    return -0.5 * np.dot(v, v) - np.sum(np.log(np.diag(L))) - 6 * HALF_LOG_2PI


def mahalanobis(a, S):
    return a @ np.linalg.solve(S, a)


def inverse_trace(S, M):
    return np.trace(np.linalg.inv(S) @ M)


def log_abs_det(S):
    return np.log(np.abs(np.linalg.det(S)))


def frobenius_regularized(M, N):
    return np.linalg.norm(M @ N - np.eye(3)) + 0.1 * np.linalg.norm(M.ravel(), 1)


def quadratic_form_trace(M, N):
    return np.trace(M @ N @ M.T) + np.sum(np.outer(M[0], N[:, 1]))


# -- einsum, batched and attention ----------------------------------------------------------------


def batched_matvec_einsum(T, a):
    """Apply each matrix of the batch T to a, then a squared norm."""
    y = np.einsum("bij,j->bi", T, a)
    return np.sum(y ** 2)


def batched_gram_einsum(T):
    """Batched T_b^T T_b and its traces, with einsum and an explicit output."""
    gram = np.einsum("bki,bkj->bij", T, T)
    return np.einsum("bii->", gram) + np.sum(np.einsum("bij->b", gram) ** 2)


def bilinear_einsum(M, a, b):
    return np.einsum("i,ij,j->", a, M, b)


def tensordot_contraction(T, M):
    return np.sum(np.tensordot(T, M, axes=([1, 2], [0, 1])) ** 2)


def attention_layer(Q, K, V):
    """Scaled dot-product attention with a stable softmax, einsum for the products."""
    scores = np.einsum("id,jd->ij", Q, K) / math.sqrt(Q.shape[1])
    scores = scores - np.max(scores, axis=1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / np.sum(weights, axis=1, keepdims=True)
    out = np.einsum("ij,jd->id", weights, V)
    return np.sum(out * out)


def batched_attention(T, M):
    """Self-attention over each matrix in the batch, projections by matmul (array output)."""
    q = T @ M
    k = T @ M.T
    scores = q @ np.swapaxes(k, -1, -2)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ T


# -- layers ------------------------------------------------------------------------------------------


def mlp_regression(M, N, a):
    """Two tanh layers on FEATURES, squared error against TARGETS."""
    h = np.tanh(FEATURES @ M + a)
    out = np.tanh(h @ N) @ np.ones(3) / 3.0
    return np.mean((out - TARGETS) ** 2)


def layer_norm(X, a, b):
    """Normalize each row of X, then scale by a and shift by b (an array output)."""
    mean = np.mean(X, axis=1, keepdims=True)
    std = np.sqrt(np.var(X, axis=1, keepdims=True) + 1e-5)
    return (X - mean) / std * a + b


def rbf_kernel_sum(X, p):
    d2 = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    return np.sum(np.exp(-d2 / p))


def cosine_similarity(a, b):
    return np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))


def cumulative_returns(theta):
    """Compounded growth from returns theta: cumprod of 1 + r, its log and a running total."""
    growth = np.cumprod(1.0 + theta)
    return np.log(growth[-1]) + np.sum(np.cumsum(theta) ** 2)


def clipped_loss(theta):
    pred = np.clip(FEATURES @ theta, -1.0, 1.0)
    return np.sum((pred - np.clip(TARGETS, -1.0, 1.0)) ** 2)


def polynomial_features(theta, x):
    """Degree-2 features stacked with hstack, a linear model on them, evaluated at x shifts."""
    phi = np.hstack([FEATURES, FEATURES ** 2])
    w = np.concatenate([theta, theta * x])
    return np.sum((phi @ w - TARGETS) ** 2)


def standardize_and_score(X):
    """Column z-scores (mean, std with axis) and a log-sum-of-squares score."""
    z = (X - X.mean(axis=0)) / X.std(axis=0)
    return np.log(np.sum(z[:, :2] ** 2) + 1.0) + np.sum(np.max(np.abs(X), axis=0))
