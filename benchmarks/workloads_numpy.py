"""The NumPy library (issue 5): linear algebra and einsum.

Targets: each gradient within 1.3x hand-written; JAX eager and jit beside them when
installed.
"""

import numpy as np
from harness import Target, Workload

# -- Gaussian-process negative log marginal likelihood, n = 500 ---------------------------


def gp_nll_cholesky(log_ell, log_sf, log_sn, D2, y):
    """0.5 y^T K^-1 y + 0.5 log|K| + const, through the Cholesky factor."""
    n = y.shape[0]
    K = np.exp(2.0 * log_sf) * np.exp(-0.5 * D2 / np.exp(2.0 * log_ell)) + np.exp(2.0 * log_sn) * np.eye(n)
    L = np.linalg.cholesky(K)
    z = np.linalg.solve(L, y)
    return 0.5 * np.dot(z, z) + np.sum(np.log(np.diag(L))) + 0.5 * n * np.log(2.0 * np.pi)


def gp_nll_slogdet(log_ell, log_sf, log_sn, D2, y):
    """The same value through slogdet and solve."""
    n = y.shape[0]
    K = np.exp(2.0 * log_sf) * np.exp(-0.5 * D2 / np.exp(2.0 * log_ell)) + np.exp(2.0 * log_sn) * np.eye(n)
    sign, logdet = np.linalg.slogdet(K)
    alpha = np.linalg.solve(K, y)
    return 0.5 * np.dot(y, alpha) + 0.5 * logdet + 0.5 * n * np.log(2.0 * np.pi)


def gp_nll_grad(log_ell, log_sf, log_sn, D2, y):
    """By hand: dNLL/dK = (K^-1 - alpha alpha^T) / 2, then the chain rule to each hyperparameter."""
    n = y.shape[0]
    ell2, sf2, sn2 = np.exp(2.0 * log_ell), np.exp(2.0 * log_sf), np.exp(2.0 * log_sn)
    Kse = sf2 * np.exp(-0.5 * D2 / ell2)
    K = Kse + sn2 * np.eye(n)
    K_inv = np.linalg.inv(K)
    alpha = K_inv @ y
    K_bar = 0.5 * (K_inv - np.outer(alpha, alpha))
    g_ell = np.sum(K_bar * Kse * D2) / ell2
    g_sf = 2.0 * np.sum(K_bar * Kse)
    g_sn = 2.0 * sn2 * np.trace(K_bar)
    return g_ell, g_sf, g_sn


def gp_data(n=500, seed=4):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3.0, 3.0, (n, 2))
    D2 = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    y = np.sin(X[:, 0]) * np.cos(X[:, 1]) + 0.1 * rng.normal(size=n)
    return D2, y


# -- an einsum attention layer, sequence 128, width 64 -------------------------------------


def attention_loss(Wq, Wk, Wv, x):
    q = np.einsum("td,de->te", x, Wq)
    k = np.einsum("td,de->te", x, Wk)
    v = np.einsum("td,de->te", x, Wv)
    s = np.einsum("te,se->ts", q, k) / np.sqrt(q.shape[1])
    s = s - np.max(s, axis=1, keepdims=True)
    p = np.exp(s)
    p = p / np.sum(p, axis=1, keepdims=True)
    o = np.einsum("ts,se->te", p, v)
    return np.sum(o * o)


def attention_loss_grad(Wq, Wk, Wv, x):
    """By hand, with the same einsums as the primal (so the comparison is of AD, not of kernels)."""
    q = np.einsum("td,de->te", x, Wq)
    k = np.einsum("td,de->te", x, Wk)
    v = np.einsum("td,de->te", x, Wv)
    scale = 1.0 / np.sqrt(q.shape[1])
    s = np.einsum("te,se->ts", q, k) * scale
    s -= np.max(s, axis=1, keepdims=True)
    p = np.exp(s)
    p /= np.sum(p, axis=1, keepdims=True)
    o = np.einsum("ts,se->te", p, v)
    o_bar = 2.0 * o
    p_bar = np.einsum("te,se->ts", o_bar, v)
    v_bar = np.einsum("ts,te->se", p, o_bar)
    s_bar = p * (p_bar - np.sum(p * p_bar, axis=1, keepdims=True)) * scale
    q_bar = np.einsum("ts,se->te", s_bar, k)
    k_bar = np.einsum("ts,te->se", s_bar, q)
    return (np.einsum("td,te->de", x, q_bar), np.einsum("td,te->de", x, k_bar),
            np.einsum("td,te->de", x, v_bar))


def attention_data(seq=128, width=64, seed=5):
    rng = np.random.default_rng(seed)
    Wq, Wk, Wv = (rng.normal(0.0, 1.0 / np.sqrt(width), (width, width)) for _ in range(3))
    return Wq, Wk, Wv, rng.normal(0.0, 1.0, (seq, width))


def workloads(quick=False):
    D2, y = gp_data()
    hyper = (float(np.log(1.2)), float(np.log(0.8)), float(np.log(0.3)))
    within = [Target("s2sad", "hand", 1.3)]
    return [
        Workload("gp_cholesky", "numpy", gp_nll_cholesky, (*hyper, D2, y), wrt=(0, 1, 2), hand=gp_nll_grad,
                 targets=within, notes="n=500, cholesky + solve, w.r.t. 3 hyperparameters"),
        Workload("gp_slogdet", "numpy", gp_nll_slogdet, (*hyper, D2, y), wrt=(0, 1, 2), hand=gp_nll_grad,
                 targets=within, notes="n=500, slogdet + solve, w.r.t. 3 hyperparameters"),
        Workload("attention_einsum", "numpy", attention_loss, attention_data(), wrt=(0, 1, 2),
                 hand=attention_loss_grad, targets=within, notes="seq 128, width 64, 6 einsums"),
    ]
