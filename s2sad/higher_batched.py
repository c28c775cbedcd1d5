"""Batched tangents for `higher.py`: the unit tangent batches that seed a Jacobian, one batched
forward pass through them (or one plain pass per column where batching refuses), and the blocks
cut out of the result. Apart from `higher.py` so that each stays under the size limit.
"""

import numpy as np

from . import api, batching, driver


def _unit_batches(inputs):
    """One tangent batch per input, together the identity: column k seeds element k of the inputs laid end to end."""
    total = sum(int(np.size(x)) for x in inputs)
    batches, start = [], 0
    for x in inputs:
        n = int(np.size(x))
        dtype = np.result_type(getattr(x, "dtype", np.float64), np.float64)
        seed = np.zeros((total, n), dtype=dtype)
        seed[start:start + n] = np.eye(n, dtype=dtype)
        batches.append(seed.reshape((total,) + np.shape(x)))
        start += n
    return batches


def _batched_jvp(fn, names, values, batches, extra):
    """(out, batched out tangent) of fn at values along the tangent batches; one pass, or one per column."""
    try:
        compiled = batching.derivative(fn, names)
    except batching.NotBatchable:
        return _columns_one_by_one(fn, names, values, batches, extra)
    return compiled.function(*values.values(), *extra, *batches)


def _columns_one_by_one(fn, names, values, batches, extra):
    """What the batched JVP gives, from one plain JVP pass per column."""
    plain = driver.derivative(fn, "forward", names).function
    outs = [plain(*values.values(), *extra, *[api._like(t[k], values[n]) for t, n in zip(batches, names)])
            for k in range(len(batches[0]))]
    return outs[0][0], _stack_tangents([o[1] for o in outs], outs[0][0])


def _stack_tangents(columns, like):
    if isinstance(like, (tuple, list)):
        return tuple(_stack_tangents([c[i] for c in columns], item) for i, item in enumerate(like))
    return np.stack([np.broadcast_to(c, np.shape(like)) for c in columns])


def _block(douts, out, x, inputs, k):
    """The Jacobian block of out with respect to inputs[k], from tangents seeded by _unit_batches."""
    start = sum(int(np.size(inputs[j])) for j in range(k))
    n = int(np.size(x))
    total = sum(int(np.size(v)) for v in inputs)
    douts = np.broadcast_to(douts, (total,) + np.shape(out))[start:start + n]
    cols = np.reshape(douts, (n, int(np.size(out))))
    return _finish(np.reshape(cols.T, np.shape(out) + np.shape(x)))


def _blocks(dgrad, x, inputs):
    """Hessian blocks d grad / d inputs[k] for every k: grad is shaped like x, so each is x.shape + inputs[k].shape."""
    return tuple(_block(dgrad, x, xk, inputs, k) for k, xk in enumerate(inputs))


def _finish(J):
    """A 0-d result (float in, float out) is a float, as a gradient would be; else a fresh array."""
    return float(J) if np.ndim(J) == 0 else np.ascontiguousarray(J)
