"""Test inputs chosen by argument name, as in Tangent's test suite.

A corpus function's parameters say what they hold: `x`, `y`, `z`, `w` are floats,
`a`, `b` vectors of length 3, `M`, `N` 3-by-3 matrices, `n` a small integer, `p` a
positive float; containers and particles are in `_structured`, the NumPy corpus's
matrices and sequences in `_NUMPY_CORPUS`. The tests draw inputs from these conventions.
"""

import numpy as np

import s2sad.rules

s2sad.rules.load_all()  # the tests list every rule, SciPy's too (otherwise registered on first need)

_RNG_SEED = 1234


def inputs_for(func, seed=_RNG_SEED):
    import inspect

    rng = np.random.default_rng(seed)
    values = []
    for name, param in inspect.signature(func).parameters.items():
        if param.default is not inspect.Parameter.empty:
            values.append(param.default)
            continue
        values.append(value_for(name, rng))
    return values


def differentiable(func, args):
    """Indices of the float arguments a test differentiates: defaulted ones are settings (tol=1e-12)."""
    import inspect

    from s2sad.api import _is_float

    params = list(inspect.signature(func).parameters.values())
    return tuple(i for i, (p, a) in enumerate(zip(params, args))
                 if p.default is inspect.Parameter.empty and _is_float(a))


def value_for(name, rng):
    base = name.rstrip("0123456789")
    if base in ("x", "y", "z", "w", "u", "v", "s", "t"):
        return float(rng.uniform(0.3, 0.9))
    if base in ("sigma", "rho", "beta"):
        return {"sigma": 10.0, "rho": 28.0, "beta": 8.0 / 3.0}[base]
    if base in ("p", "q", "pos"):
        return float(rng.uniform(0.5, 2.0))
    if base in ("a", "b", "c", "vec"):
        return rng.uniform(-1.0, 1.0, size=3)
    if base in ("M", "N", "A", "B"):
        return rng.uniform(-1.0, 1.0, size=(3, 3))
    if base in ("X",):
        return rng.uniform(-1.0, 1.0, size=(4, 3))
    if base in ("n", "k", "m"):
        return 3
    if base in _NUMPY_CORPUS:
        return _NUMPY_CORPUS[base](rng)
    return _structured(base, rng)


def _spd(rng, n):
    B = rng.uniform(-1.0, 1.0, (n, n))
    return B @ B.T + n * np.eye(n)


_NUMPY_CORPUS = {  # tests/corpus_numpy.py
    "theta": lambda rng: rng.uniform(-0.5, 0.5, 3),          # small regression coefficients
    "S": lambda rng: _spd(rng, 3),                           # a covariance: symmetric positive definite
    "T": lambda rng: rng.uniform(-1.0, 1.0, (2, 3, 3)),      # a batch of two 3-by-3 matrices
    "Q": lambda rng: rng.uniform(-1.0, 1.0, (4, 3)),         # queries, keys and values: 4 steps of width 3
    "K": lambda rng: rng.uniform(-1.0, 1.0, (4, 3)),
    "V": lambda rng: rng.uniform(-1.0, 1.0, (4, 3)),
    "logits": lambda rng: rng.uniform(-2.0, 2.0, (4, 3)),
}


def _structured(base, rng):
    """Containers and arrays with a shape of their own (the structure corpus)."""
    if base == "params":  # a two-layer MLP's parameters, for inputs X of 3 features
        return {"W1": rng.normal(0.0, 0.5, (3, 4)), "b1": rng.normal(0.0, 0.1, 4),
                "W2": rng.normal(0.0, 0.5, (4, 2)), "b2": rng.normal(0.0, 0.1, 2)}
    if base == "pair":
        return (rng.uniform(-1.0, 1.0, 3), rng.uniform(-1.0, 1.0, 3))
    if base == "xs":
        return [float(v) for v in rng.uniform(0.3, 0.9, 4)]
    if base == "vs":
        return [rng.uniform(-1.0, 1.0, 3) for _ in range(3)]
    if base == "d":
        return {"a": float(rng.uniform(0.3, 0.9)), "b": float(rng.uniform(0.3, 0.9))}
    if base == "R":  # particles on a grid, jittered, never closer than about 1
        grid = np.array([(i, j, 0.0) for i in range(3) for j in range(2)])
        return 1.2 * grid + rng.uniform(-0.05, 0.05, grid.shape)
    if base in _PYTREE_NAMES:
        return _pytree_inputs()[base](rng)
    if base == "coef":
        return rng.uniform(-1.0, 1.0, 5)
    if base == "idx":
        return np.array([2, 0, 2])
    raise ValueError(f"no input convention for a parameter named {base!r}")


def _layer(rng, n_in=3, n_out=4):
    from corpus_pytrees import Layer
    return Layer(rng.normal(0.0, 0.5, (n_in, n_out)), rng.normal(0.0, 0.1, n_out), "tanh")


def _pytree_inputs():
    """Records of the pytree corpus (corpus_pytrees.py), made from the generator given."""
    from corpus_pytrees import Affine, Body, Nest
    return {
        "layer": _layer,
        "model": lambda rng: Affine(rng.normal(0.0, 0.5, (2, 3)), rng.normal(0.0, 0.1, 2), 2),
        "body": lambda rng: Body(rng.uniform(-1.0, 1.0, 3), rng.uniform(-1.0, 1.0, 3), float(rng.uniform(1.0, 2.0))),
        "net": lambda rng: {"hidden": _layer(rng), "out": _layer(rng, 4, 2)},
        "nest": lambda rng: Nest((rng.uniform(-1.0, 1.0, 3), float(rng.uniform(0.5, 1.5))), float(rng.uniform(0.5, 1.0))),
    }


_PYTREE_NAMES = ("layer", "model", "body", "net", "nest")
