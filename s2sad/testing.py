"""Checking derivatives mechanically: finite differences, forward against reverse.

Shipped inside the package (as autograd does) so users can check their own functions
and custom rules the same way the test suite checks s2sad.
"""

import numpy as np

from . import api, pytrees, runtime


def _record_map(fn, x, *others):
    """A record like x whose float fields are fn(field, the same field of each of others); its other
    fields are kept (pytrees.py: they are constants)."""
    values = {}
    for i, (name, v) in enumerate(pytrees.items(x)):
        if api._is_float(v, True):
            key = pytrees.key(x, i, name)
            values[name] = fn(v, *[runtime.part(o, key) for o in others])
        else:
            values[name] = v
    return pytrees.remake(x, values)


def _axpy(x, eps, d):
    """x + eps * d over a value and a direction of the same structure."""
    if pytrees.is_record(x):
        return _record_map(lambda a, b: _axpy(a, eps, b), x, d)
    if isinstance(x, (tuple, list)):
        return type(x)(_axpy(a, eps, b) for a, b in zip(x, d))
    if isinstance(x, dict):
        return {k: _axpy(x[k], eps, d[k]) for k in x}
    if isinstance(x, np.ndarray):
        return x + eps * np.reshape(d, x.shape).astype(x.dtype)
    return type(x)(x + eps * float(np.ravel(d)[0]))


def _perturb(args, index, direction, eps):
    args = list(args)
    args[index] = _axpy(args[index], eps, direction)
    return args


def numerical_jvp(f, args, index, direction, eps=1e-6):
    """Central finite difference of f along direction (shaped like argument `index`)."""
    hi = f(*_perturb(args, index, direction, eps))
    lo = f(*_perturb(args, index, direction, -eps))
    return _tree_map2(lambda a, b: (np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) / (2 * eps), hi, lo)


def _tree_map2(fn, a, b):
    if pytrees.is_record(a):
        return _record_map(lambda x, y: _tree_map2(fn, x, y), a, b)
    if isinstance(a, (tuple, list)):
        return type(a)(_tree_map2(fn, x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _tree_map2(fn, a[k], b[k]) for k in a}
    return fn(a, b)


def leaves(x):
    """The arrays and scalars inside x, dict entries in key order."""
    return _leaves(x)


def _leaves(x):
    if pytrees.is_record(x):  # its float fields (a gradient has None in the others)
        return [leaf for _, v in pytrees.items(x) if api._is_float(v, True) for leaf in _leaves(v)]
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in _leaves(item)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in _leaves(x[k])]
    return [x]


def flat(x):
    """Every number in x (an array, a scalar, or a tuple, list or dict of them) in one float vector."""
    return np.concatenate([np.ravel(np.asarray(leaf, dtype=float)) for leaf in _leaves(x)] or [np.zeros(0)])


def _vdot(a, b):
    pairs = zip(_leaves(a), _leaves(b))
    return sum(float(np.sum(np.asarray(x, dtype=float) * np.asarray(y, dtype=float))) for x, y in pairs)


def _random_like(x, rng):
    if pytrees.is_record(x):
        return _record_map(lambda v: _random_like(v, rng), x)
    if isinstance(x, (tuple, list)):
        return type(x)(_random_like(item, rng) for item in x)
    if isinstance(x, dict):
        return {k: _random_like(v, rng) for k, v in x.items()}
    return rng.standard_normal(np.shape(x)) if np.ndim(x) else float(rng.standard_normal())


def _zeros_like(x):
    return _tree_map2(lambda a, b: np.zeros_like(a) if np.ndim(a) else 0.0, x, x)


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
    if any(np.iscomplexobj(a) for a in list(args) + [out] if isinstance(a, (complex, np.generic, np.ndarray))):
        return _check_complex(f, args, indices, out, rng, rtol, atol, eps)
    u = _random_like(out, rng)
    _, pullback = api.vjp(f, *args)
    cotangents = pullback(u)
    for i in indices:
        direction = _random_like(args[i], rng)
        tangents = [direction if k == i else _zeros_like(a) if api._is_float(a) else None for k, a in enumerate(args)]
        _, forward = api.jvp(f, args, tangents)
        numeric = numerical_jvp(f, args, i, direction, eps)
        for got, want in zip(_leaves(forward), _leaves(numeric)):
            np.testing.assert_allclose(np.asarray(got, dtype=float), want, rtol=rtol * 100, atol=atol * 100,
                                       err_msg=f"forward mode vs finite differences, argument {i}")
        lhs = _vdot(u, forward)
        rhs = _vdot(cotangents[i], direction)
        np.testing.assert_allclose(lhs, rhs, rtol=rtol, atol=atol,
                                   err_msg=f"reverse vs forward (dot product), argument {i}")
    return True


def _check_complex(f, args, indices, out, rng, rtol, atol, eps):
    """check_derivatives where an argument or the result is complex (plain numbers and arrays only), under
    JAX's pairing Re(c * v) (docs/complex.md): each complex argument is moved along a real and an imaginary
    direction, forward mode is compared with finite differences, reverse mode by Re(u J v) = Re((J^T u) v)."""
    def draw(x, imaginary=False):
        v = _random_like(x, rng)
        return v * 1j if imaginary else v
    u = draw(out) + (draw(out, True) if np.iscomplexobj(out) else 0.0)
    cotangents = api.vjp(f, *args)[1](u)
    for i in indices:
        for imaginary in (False, True) if np.iscomplexobj(args[i]) else (False,):
            direction = draw(args[i], imaginary)
            tangents = [direction if k == i else _zeros_like(a) if api._is_float(a) else None
                        for k, a in enumerate(args)]
            forward = api.jvp(f, args, tangents)[1]
            hi = [a + eps * direction if k == i else a for k, a in enumerate(args)]
            lo = [a - eps * direction if k == i else a for k, a in enumerate(args)]
            numeric = (np.asarray(f(*hi)) - np.asarray(f(*lo))) / (2 * eps)
            np.testing.assert_allclose(forward, numeric, rtol=rtol * 100, atol=atol * 100,
                                       err_msg=f"forward mode vs finite differences, argument {i}")
            np.testing.assert_allclose(np.real(np.sum(u * forward)), np.real(np.sum(cotangents[i] * direction)),
                                       rtol=rtol, atol=atol, err_msg=f"reverse vs forward (pairing), argument {i}")
    return True
