"""Helpers that vmap's generated code calls. A leaf module: NumPy only.

A batched argument is indexed one example at a time (`take`), and the examples' outputs are
stacked back along the output axis (`stack`); a container (tuple, list, dict) is taken and
stacked leaf by leaf, as JAX's vmap treats a pytree.
"""

import numpy as np

from .runtime import Refusal


def take(x, i, axis):
    """Example i of x along axis (every leaf of a container)."""
    if isinstance(x, dict):
        return type(x)((k, take(v, i, axis)) for k, v in x.items())
    if isinstance(x, (tuple, list)):
        items = [take(v, i, axis) for v in x]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    if axis == 0:
        return x[i]
    return np.take(x, i, axis=axis)


def size(*pairs):
    """The batch size: every batched argument's (x, axis) must give the same one (a container: each leaf)."""
    sizes = set()
    for x, axis in zip(pairs[::2], pairs[1::2]):
        sizes |= _sizes(x, axis)
    if len(sizes) != 1:
        raise Refusal(f"vmap: the batched arguments have different sizes along their in_axes: {sorted(sizes)}",
                      construct="vmap")
    n = sizes.pop()
    if n == 0:
        raise Refusal("vmap: a batch of size 0 (its outputs' shapes are unknown)", construct="vmap")
    return n


def _sizes(x, axis):
    if isinstance(x, dict):
        return set().union(*(_sizes(v, axis) for v in x.values()))
    if isinstance(x, (tuple, list)):
        return set().union(*(_sizes(v, axis) for v in x))
    shape = np.shape(x)
    if not -len(shape) <= axis < len(shape):
        raise Refusal(f"vmap: in_axes {axis} for an argument of shape {shape}", construct="vmap")
    return {shape[axis]}


def stack(outs, axis):
    """The examples' outputs stacked along axis (leaf by leaf)."""
    first = outs[0]
    if isinstance(first, dict):
        return type(first)((k, stack([o[k] for o in outs], axis)) for k in first)
    if isinstance(first, (tuple, list)):
        items = [stack([o[j] for o in outs], axis) for j in range(len(first))]
        return type(first)(*items) if hasattr(first, "_fields") else type(first)(items)
    return np.stack([np.asarray(o) for o in outs], axis=axis)


def untake(g, x, i, axis):
    """take's adjoint: zeros shaped like x with g at example i along axis (a container: leaf by leaf)."""
    if isinstance(x, dict):
        return type(x)((k, untake(_part(g, k), v, i, axis)) for k, v in x.items())
    if isinstance(x, (tuple, list)):
        items = [untake(_part(g, j), v, i, axis) for j, v in enumerate(x)]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    out = np.zeros(np.shape(x), dtype=np.result_type(getattr(x, "dtype", np.float64), np.float32))
    index = (slice(None),) * (axis % out.ndim) + (i,)
    out[index] = g
    return out


def unstack(g, outs, axis):
    """stack's adjoint: the slices of g along axis, one per example."""
    first = outs[0]
    if isinstance(first, dict):
        parts = {k: unstack(_part(g, k), [o[k] for o in outs], axis) for k in first}
        return [type(first)((k, parts[k][n]) for k in first) for n in range(len(outs))]
    if isinstance(first, (tuple, list)):
        parts = [unstack(_part(g, j), [o[j] for o in outs], axis) for j in range(len(first))]
        rebuilt = [[p[n] for p in parts] for n in range(len(outs))]
        return [type(first)(*r) if hasattr(first, "_fields") else type(first)(r) for r in rebuilt]
    g = np.broadcast_to(g, (len(outs),) + np.shape(first)) if axis == 0 and np.ndim(g) == 0 else g
    return [_like(np.take(g, n, axis=axis), o) for n, o in enumerate(outs)]


def restack(ct, outs, axis):
    """unstack's adjoint: the examples' cotangents (a list, or a container's cotangent with items
    missing where they are zero) stacked along axis."""
    items = [_part(ct, n) for n in range(len(outs))]
    return stack([np.full(np.shape(o), c, dtype=np.result_type(getattr(o, "dtype", np.float64), np.float32))
                  if np.ndim(c) == 0 and np.ndim(o) else c for c, o in zip(items, outs)], axis)


def _like(value, example):
    """A slice for a float example is a float, as the example's own cotangent would be."""
    if isinstance(example, float) and np.ndim(value) == 0:
        return float(value)
    return value


def _part(g, key):
    """Item key of a container's cotangent (0.0 where it has none yet)."""
    if isinstance(g, dict):
        return g.get(key, 0.0)
    if isinstance(g, (tuple, list)):
        return g[key]
    return 0.0


# -- the vectorized path: the batch as a leading axis of arrays ---------------------------------


def all_arrays(*xs):
    """Whether every batched argument is a NumPy array of numbers (else the loop runs instead)."""
    return all(isinstance(x, np.ndarray) and x.dtype.kind in "fiu" and x.ndim >= 1 for x in xs)


def lift(x, other, other_batched):
    """Batched x with ones inserted after its batch axis, so that its examples broadcast against
    other's as they do one at a time (an example of x of rank 1 against a matrix: (B, 1, n))."""
    rank = np.ndim(other) - (1 if other_batched else 0)
    missing = rank - (x.ndim - 1)
    return x.reshape(x.shape[:1] + (1,) * missing + x.shape[1:]) if missing > 0 else x


def batch_sum(x):
    """np.sum of each example."""
    return np.sum(x, axis=tuple(range(1, x.ndim)))


def batch_mean(x):
    """np.mean of each example."""
    return np.mean(x, axis=tuple(range(1, x.ndim)))


def unsum(ct, x):
    """batch_sum's adjoint: each example's cotangent spread over the example."""
    ct = np.asarray(ct)
    return np.broadcast_to(ct.reshape(ct.shape[:1] + (1,) * (np.ndim(x) - 1)), np.shape(x)).copy()


def broadcast_batch(value, n):
    """An output that does not depend on the batch: the same for every example."""
    value = np.asarray(value)
    return np.broadcast_to(value, (n,) + value.shape).copy()
