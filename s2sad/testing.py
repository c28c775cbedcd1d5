"""Checking derivatives mechanically: finite differences, forward against reverse.

Shipped inside the package (as autograd does) so users can check their own functions
and custom rules the same way the test suite checks s2sad.
"""

import numpy as np

from . import api


def _flat(x):
    return np.asarray(x, dtype=float).ravel()


def _perturb(args, index, direction, eps):
    args = list(args)
    x = args[index]
    if isinstance(x, np.ndarray):
        args[index] = x + eps * direction.reshape(x.shape).astype(x.dtype)
    else:
        args[index] = type(x)(x + eps * float(direction[0]))
    return args


def numerical_jvp(f, args, index, direction, eps=1e-6):
    """Central finite difference of f along direction in argument `index`."""
    hi = f(*_perturb(args, index, direction, eps))
    lo = f(*_perturb(args, index, direction, -eps))
    return _tree_map2(lambda a, b: (np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) / (2 * eps), hi, lo)


def _tree_map2(fn, a, b):
    if isinstance(a, (tuple, list)):
        return type(a)(_tree_map2(fn, x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _tree_map2(fn, a[k], b[k]) for k in a}
    return fn(a, b)


def _leaves(x):
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in _leaves(item)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in _leaves(x[k])]
    return [x]


def _vdot(a, b):
    return sum(float(np.sum(np.asarray(x, dtype=float) * np.asarray(y, dtype=float))) for x, y in zip(_leaves(a), _leaves(b)))


def _random_like(x, rng):
    if isinstance(x, (tuple, list)):
        return type(x)(_random_like(item, rng) for item in x)
    if isinstance(x, dict):
        return {k: _random_like(v, rng) for k, v in x.items()}
    return rng.standard_normal(np.shape(x)) if np.ndim(x) else float(rng.standard_normal())


def check_derivatives(f, args, wrt=None, rtol=1e-5, atol=1e-6, eps=1e-6, seed=0):
    """Check f's derivatives at args in both modes; raise AssertionError on a mismatch.

    For each differentiated argument and a random direction v and cotangent u:
    forward mode's JVP matches central finite differences, and reverse mode satisfies
    the dot-product test <u, J v> = <J^T u, v>.
    """
    rng = np.random.default_rng(seed)
    indices = wrt if wrt is not None else [i for i, a in enumerate(args) if api._is_float(a)]
    indices = [indices] if isinstance(indices, int) else list(indices)
    out = f(*args)
    u = _random_like(out, rng)
    _, pullback = api.vjp(f, *args)
    cotangents = pullback(u)
    for i in indices:
        v = rng.standard_normal(np.shape(args[i]) or (1,))
        direction = v.reshape(np.shape(args[i])) if np.ndim(args[i]) else float(v[0])
        tangents = [direction if k == i else (np.zeros_like(a) if np.ndim(a) else 0.0) if api._is_float(a) else None
                    for k, a in enumerate(args)]
        _, forward = api.jvp(f, args, tangents)
        numeric = numerical_jvp(f, args, i, v, eps)
        for got, want in zip(_leaves(forward), _leaves(numeric)):
            np.testing.assert_allclose(np.asarray(got, dtype=float), want, rtol=rtol * 100, atol=atol * 100,
                                       err_msg=f"forward mode vs finite differences, argument {i}")
        lhs = _vdot(u, forward)
        rhs = _vdot(cotangents[i], direction)
        np.testing.assert_allclose(lhs, rhs, rtol=rtol, atol=atol, err_msg=f"reverse vs forward (dot product), argument {i}")
    return True
