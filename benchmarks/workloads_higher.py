"""Higher order (issue 7): a Hessian, a Hessian built from HVPs, and an HVP of the MLP loss.

API (shared API contract): `s2sad.hessian(f, wrt=0)(*args)` and
`s2sad.hvp(f, primals, vectors, wrt=0)`, here called with `vectors=(v,)`.
Targets: the batched Hessian at least 5x faster than the same Hessian from 100 separate HVPs
(`hessian/100 hvps` <= 0.2, both s2sad, timed in the same rounds); the MLP's HVP within 4x its
gradient. JAX's `jax.hessian` (eager and jit) is the peer when JAX is installed.
"""

import functools

import numpy as np
from harness import Target, Workload
from workloads_subroutines import mlp_data, mlp_loss

import s2sad

# -- a 100-dimensional function with a loop -----------------------------------------------


def rosenbrock_loop(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] * x[i]) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosenbrock_hessian(x):
    """By hand: tridiagonal, term by term."""
    H = np.zeros((x.shape[0], x.shape[0]))
    i = np.arange(x.shape[0] - 1)
    H[i, i] += 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    H[i + 1, i + 1] += 200.0
    H[i, i + 1] = H[i + 1, i] = -400.0 * x[:-1]
    return H


def s2sad_hessian(f):
    def build():
        return s2sad.hessian(f)

    return build


def s2sad_hessian_by_hvps(f):
    def build():
        hvp = s2sad.hvp

        def hessian(x):
            basis = np.eye(x.shape[0])
            return np.stack([hvp(f, (x,), (e,)) for e in basis])

        return hessian

    return build


def peer_hessian(peer, f):
    return peer.hessian(peer.rebind(f), 0)


def peer_hessian_by_hvps(peer, f, n):
    rebound = peer.rebind(f)
    hvps = [peer.hvp(rebound, 0, e) for e in np.eye(n)]

    def hessian(x):
        return peer.np.stack([h(x) for h in hvps])

    return hessian


# -- the MLP's HVP -------------------------------------------------------------------------


def mlp_hvp_hand(params, x, labels, v):
    """Pearlmutter's R-operator applied by hand to the hand-written backprop."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    V1, c1, V2, c2 = v["W1"], v["b1"], v["W2"], v["b2"]
    batch = x.shape[0]
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    p = np.exp(z)
    p /= np.sum(p, axis=1, keepdims=True)
    z_bar = (p - labels) / batch
    h_bar = z_bar @ W2.T
    dtanh = 1.0 - h * h
    # directional derivatives of the forward pass
    Rh = dtanh * (x @ V1 + c1)
    Rz = Rh @ W2 + h @ V2 + c2
    Rp = p * (Rz - np.sum(p * Rz, axis=1, keepdims=True))
    # ... and of the backward pass
    Rz_bar = Rp / batch
    Rh_bar = Rz_bar @ W2.T + z_bar @ V2.T
    Ra_bar = Rh_bar * dtanh - 2.0 * h * Rh * h_bar
    return {"W1": x.T @ Ra_bar, "b1": np.sum(Ra_bar, axis=0),
            "W2": Rh.T @ z_bar + h.T @ Rz_bar, "b2": np.sum(Rz_bar, axis=0)}


def s2sad_mlp_hvp(v):
    def build():
        hvp = s2sad.hvp

        def mlp_hvp(params, x, labels):
            return hvp(mlp_loss, (params, x, labels), (v,))

        return mlp_hvp

    return build


def s2sad_mlp_grad():
    return s2sad.grad(mlp_loss)


# -- JAX's nestings (issue 13): a gradient taken inside, a third-order tensor ---------------


def energy_with_inner_grad(x):
    """sum(x * g(x)), g = d/dw sum(tanh(w * x)) at w = x: s2sad.grad inside (s2sad/inner.py)."""
    return np.sum(s2sad.grad(lambda w: np.sum(np.tanh(w * x)))(x) * x)


def energy_written_out(x):
    """The same function with the inner derivative written by hand: sum(x^2 (1 - tanh(x^2)^2))."""
    t = np.tanh(x * x)
    return np.sum(x * x * (1.0 - t * t))


def energy_gradient(x):
    t = np.tanh(x * x)
    return 2.0 * x * (1.0 - t * t) - 4.0 * x ** 3 * t * (1.0 - t * t)


def sine_times_norm(x):
    return np.sin(x) * np.sum(x * x)


def sine_times_norm_third(x):
    """d/dx_i of J[o, j] = delta_oj cos(x_o) |x|^2 + 2 sin(x_o) x_j, by hand."""
    n = x.shape[0]
    eye = np.eye(n)
    s, c = np.sin(x), np.cos(x)
    T = -np.einsum("o,oj,oi->oji", s * np.sum(x * x), eye, eye)
    T += 2.0 * np.einsum("o,oj,i->oji", c, eye, x) + 2.0 * np.einsum("o,oi,j->oji", c, eye, x)
    T += 2.0 * np.einsum("o,ji->oji", s, eye)
    return T


def s2sad_third_order():
    return s2sad.jacobian(s2sad.jacobian(sine_times_norm))


def s2sad_vector_hessian():
    return s2sad.hessian(sine_times_norm)


def workloads(quick=False):
    rng = np.random.default_rng(6)
    x = rng.uniform(-1.0, 1.5, 100)
    params, xs, labels = mlp_data()
    v = {k: rng.normal(0.0, 1.0, w.shape) for k, w in params.items()}

    def hand_hvp(params, x, labels):
        return mlp_hvp_hand(params, x, labels, v)

    def peer_mlp_hvp(peer):
        return peer.hvp(peer.rebind(mlp_loss), 0, v)

    return [
        Workload("hessian_rosenbrock", "higher", rosenbrock_loop, (x,), hand=rosenbrock_hessian,
                 s2sad=s2sad_hessian(rosenbrock_loop), peer=functools.partial(peer_hessian, f=rosenbrock_loop),
                 extra={"s2sad_hvps": s2sad_hessian_by_hvps(rosenbrock_loop)},
                 targets=[Target("s2sad", "s2sad_hvps", 0.2, "hessian/100 hvps")],
                 notes="s2sad.hessian (one batched forward-over-reverse pass), 100-dim, loop of 99 terms"),
        Workload("hessian_by_100_hvps", "higher", rosenbrock_loop, (x,), hand=rosenbrock_hessian,
                 s2sad=s2sad_hessian_by_hvps(rosenbrock_loop),
                 peer=functools.partial(peer_hessian_by_hvps, f=rosenbrock_loop, n=x.shape[0]),
                 notes="100 calls of s2sad.hvp stacked",
                 skip={"jax-jit": "jit unrolls 100 HVPs of a 99-step Python loop: a very long XLA compile"}),
        Workload("hvp_mlp", "higher", mlp_loss, (params, xs, labels), hand=hand_hvp,
                 s2sad=s2sad_mlp_hvp(v), peer=peer_mlp_hvp, extra={"s2sad_grad": s2sad_mlp_grad},
                 targets=[Target("s2sad", "s2sad_grad", 4.0, "hvp/grad")],
                 notes="HVP of the MLP loss (784-256-10, batch 64)"),
        Workload("grad_of_inner_grad", "higher", energy_with_inner_grad, (x,), hand=energy_gradient, peer=None,
                 extra={"written_out": lambda: s2sad.grad(energy_written_out)},
                 notes="grad of f calling s2sad.grad(lambda w: ...)(x) inside, 100-dim; written_out: s2sad.grad of "
                       "the same f with the inner derivative written by hand"),
        Workload("jacobian_of_jacobian", "higher", sine_times_norm, (x[:20],), hand=sine_times_norm_third, peer=None,
                 s2sad=s2sad_third_order, extra={"vector_hessian": s2sad_vector_hessian},
                 notes="jacobian(jacobian(f)), f: R^20 -> R^20, the (20, 20, 20) tensor (20 batched passes)"),
    ]
