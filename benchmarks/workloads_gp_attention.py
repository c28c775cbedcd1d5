"""The derivative library's two benchmarks (issue 5): a Gaussian-process log likelihood, n = 500,
and an einsum attention layer, sequence 128, width 64. Target: each s2sad gradient within 1.3x
the hand-written one; JAX eager and jit beside them when installed.

The primals are written as a user would (Rasmussen & Williams' algorithm 2.1; multi-head
attention in einsum); the hand-written gradients as a careful NumPy programmer would
(R&W eq. 5.9 through the inverse of K; backpropagation with the primal's einsums).
"""

import numpy as np
from harness import Target, Workload

# -- Gaussian-process log marginal likelihood, squared-exponential kernel, n = 500 ----------------


def gp_loglik_cholesky(log_ell, log_sf, log_sn, D2, y):
    """log p(y | X, theta) by R&W algorithm 2.1: Cholesky factor, two solves, log det from its diagonal."""
    n = y.shape[0]
    K = np.exp(2.0 * log_sf) * np.exp(-0.5 * D2 / np.exp(2.0 * log_ell)) + np.exp(2.0 * log_sn) * np.eye(n)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return -0.5 * np.dot(y, alpha) - np.sum(np.log(np.diag(L))) - 0.5 * n * np.log(2.0 * np.pi)


def gp_loglik_slogdet(log_ell, log_sf, log_sn, D2, y):
    """The same likelihood with slogdet for the determinant and solve for K^-1 y."""
    n = y.shape[0]
    K = np.exp(2.0 * log_sf) * np.exp(-0.5 * D2 / np.exp(2.0 * log_ell)) + np.exp(2.0 * log_sn) * np.eye(n)
    sign, logdet = np.linalg.slogdet(K)
    return -0.5 * np.dot(y, np.linalg.solve(K, y)) - 0.5 * logdet - 0.5 * n * np.log(2.0 * np.pi)


def gp_loglik_grad(log_ell, log_sf, log_sn, D2, y):
    """By hand (R&W eq. 5.9): d/dtheta = tr((alpha alpha^T - K^-1) dK/dtheta) / 2.

    K^-1 from np.linalg.inv(K): NumPy has no triangular solve, and this was faster here than
    K^-1 = L^-T L^-1 with L = cholesky(K) and L^-1 from np.linalg.inv (28 ms against 35 ms)."""
    n = y.shape[0]
    ell2, sf2, sn2 = np.exp(2.0 * log_ell), np.exp(2.0 * log_sf), np.exp(2.0 * log_sn)
    Kse = sf2 * np.exp(-0.5 * D2 / ell2)
    K_inv = np.linalg.inv(Kse + sn2 * np.eye(n))
    alpha = K_inv @ y
    W = 0.5 * (np.outer(alpha, alpha) - K_inv)
    return np.sum(W * Kse * D2) / ell2, 2.0 * np.sum(W * Kse), 2.0 * sn2 * np.trace(W)


def gp_data(n=500, seed=11):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3.0, 3.0, (n, 2))
    D2 = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    y = np.sin(X[:, 0]) * np.cos(X[:, 1]) + 0.1 * rng.normal(size=n)
    return D2, y


# -- a multi-head attention layer in einsum, sequence 128, width 64 (4 heads of 16) -----------------


def attention_layer_loss(Wq, Wk, Wv, Wo, x):
    """Multi-head self-attention with a stable softmax, an output projection and a residual connection."""
    q = np.einsum("td,hde->hte", x, Wq)
    k = np.einsum("td,hde->hte", x, Wk)
    v = np.einsum("td,hde->hte", x, Wv)
    s = np.einsum("hte,hse->hts", q, k) / np.sqrt(q.shape[-1])
    s = s - np.max(s, axis=-1, keepdims=True)
    p = np.exp(s)
    p = p / np.sum(p, axis=-1, keepdims=True)
    o = np.einsum("hts,hse->hte", p, v)
    out = np.einsum("hte,hed->td", o, Wo) + x
    return 0.5 * np.sum(out * out)


def attention_layer_grad(Wq, Wk, Wv, Wo, x):
    """By hand: backpropagation through the same einsums (so the comparison is of AD, not of kernels)."""
    q = np.einsum("td,hde->hte", x, Wq)
    k = np.einsum("td,hde->hte", x, Wk)
    v = np.einsum("td,hde->hte", x, Wv)
    scale = 1.0 / np.sqrt(q.shape[-1])
    s = np.einsum("hte,hse->hts", q, k) * scale
    s -= np.max(s, axis=-1, keepdims=True)
    p = np.exp(s)
    p /= np.sum(p, axis=-1, keepdims=True)
    o = np.einsum("hts,hse->hte", p, v)
    out = np.einsum("hte,hed->td", o, Wo) + x
    Wo_bar = np.einsum("hte,td->hed", o, out)
    o_bar = np.einsum("td,hed->hte", out, Wo)
    p_bar = np.einsum("hte,hse->hts", o_bar, v)
    v_bar = np.einsum("hts,hte->hse", p, o_bar)
    s_bar = p * (p_bar - np.sum(p * p_bar, axis=-1, keepdims=True)) * scale
    q_bar = np.einsum("hts,hse->hte", s_bar, k)
    k_bar = np.einsum("hts,hte->hse", s_bar, q)
    return (np.einsum("td,hte->hde", x, q_bar), np.einsum("td,hte->hde", x, k_bar),
            np.einsum("td,hte->hde", x, v_bar), Wo_bar)


def attention_data(seq=128, width=64, heads=4, seed=12):
    rng = np.random.default_rng(seed)
    head = width // heads
    Wq, Wk, Wv = (rng.normal(0.0, 1.0 / np.sqrt(width), (heads, width, head)) for _ in range(3))
    Wo = rng.normal(0.0, 1.0 / np.sqrt(width), (heads, head, width))
    return Wq, Wk, Wv, Wo, rng.normal(0.0, 1.0, (seq, width))


def workloads(quick=False):
    D2, y = gp_data()
    hyper = (float(np.log(1.1)), float(np.log(0.9)), float(np.log(0.2)))
    within = [Target("s2sad", "hand", 1.3)]
    return [
        Workload("gp_loglik_cholesky", "gp_attention", gp_loglik_cholesky, (*hyper, D2, y), wrt=(0, 1, 2),
                 hand=gp_loglik_grad, targets=within,
                 notes="n=500, R&W alg. 2.1 (cholesky, 2 solves, log diag), w.r.t. 3 hyperparameters"),
        Workload("gp_loglik_slogdet", "gp_attention", gp_loglik_slogdet, (*hyper, D2, y), wrt=(0, 1, 2),
                 hand=gp_loglik_grad, targets=within, notes="n=500, slogdet + solve, w.r.t. 3 hyperparameters"),
        Workload("attention_layer", "gp_attention", attention_layer_loss, attention_data(), wrt=(0, 1, 2, 3),
                 hand=attention_layer_grad, targets=within,
                 notes="seq 128, width 64, 4 heads, 7 einsums, w.r.t. Wq, Wk, Wv, Wo"),
    ]
