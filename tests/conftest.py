"""Test inputs chosen by argument name, as in Tangent's test suite.

A corpus function's parameters say what they hold: `x`, `y`, `z`, `w` are floats,
`a`, `b` vectors of length 3, `M`, `N` 3-by-3 matrices, `n` a small integer, `p` a
positive float. The tests draw inputs from these conventions.
"""

import numpy as np

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
    raise ValueError(f"no input convention for a parameter named {name!r}")
