"""Helpers that vmap's generated code calls. A leaf module: NumPy only.

A batched argument is indexed one example at a time (`take`), and the examples' outputs are
stacked back along the output axis (`stack`); a container (tuple, list, dict) is taken and
stacked leaf by leaf, as JAX's vmap treats a pytree.
"""

import copy
import dataclasses

import numpy as np

from .runtime import Refusal


def _record_fields(x):
    """A dataclass instance's or a plain object's fields as a dict, or None for anything else (a namedtuple is a
    tuple here): vmap batches such a record field by field, as JAX does a registered pytree."""
    if isinstance(x, (np.ndarray, np.generic, float, int, complex, str, bytes, tuple, list, dict, type)) or x is None:
        return None
    if dataclasses.is_dataclass(x):
        return {f.name: getattr(x, f.name) for f in dataclasses.fields(x) if hasattr(x, f.name)}
    fields = getattr(x, "__dict__", None)
    return dict(fields) if isinstance(fields, dict) and not callable(x) else None


def _remade(x, values):
    """A record of x's class holding values (a shallow copy with its fields replaced: a frozen dataclass too)."""
    made = copy.copy(x)
    for name, value in values.items():
        object.__setattr__(made, name, value)
    return made


def take(x, i, axis):
    """Example i of x along axis (every leaf of a container)."""
    fields = _record_fields(x)
    if fields is not None:
        return _remade(x, {k: take(v, i, axis) for k, v in fields.items()})
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
    fields = _record_fields(x)
    if fields is not None:
        return _sizes(fields, axis)
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
    fields = _record_fields(first)
    if fields is not None:
        return _remade(first, {k: stack([_record_fields(o)[k] for o in outs], axis) for k in fields})
    if isinstance(first, dict):
        return type(first)((k, stack([o[k] for o in outs], axis)) for k in first)
    if isinstance(first, (tuple, list)):
        items = [stack([o[j] for o in outs], axis) for j in range(len(first))]
        return type(first)(*items) if hasattr(first, "_fields") else type(first)(items)
    return np.stack([np.asarray(o) for o in outs], axis=axis)


def untake(g, x, i, axis):
    """take's adjoint: zeros shaped like x with g at example i along axis (a container: leaf by leaf)."""
    fields = _record_fields(x)
    if fields is not None:
        return _remade(x, {k: untake(_part(g, k), v, i, axis) for k, v in fields.items()})
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
    fields = _record_fields(first)
    if fields is not None:
        parts = {k: unstack(_part(g, k), [_record_fields(o)[k] for o in outs], axis) for k in fields}
        return [_remade(first, {k: parts[k][n] for k in fields}) for n in range(len(outs))]
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
    fields = _record_fields(g)
    if fields is not None:
        return fields.get(key, 0.0)
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


def example_shape(x):
    """x.shape of one example of batched x."""
    return np.shape(x)[1:]


def _as_stacks(a, c, a_batched, c_batched):
    """a and c as stacks of matrices that NumPy's matmul pairs example by example: an example of
    rank 1 made a row (a) or a column (c), and the batched operand given ones after its batch axis
    until its example has as many stack axes as the other's."""
    rank_a, rank_c = np.ndim(a) - a_batched, np.ndim(c) - c_batched
    a2 = np.expand_dims(a, -2) if rank_a == 1 else a
    c2 = np.expand_dims(c, -1) if rank_c == 1 else c
    stack_a, stack_c = max(rank_a, 2) - 2, max(rank_c, 2) - 2
    a2 = _insert_after_batch(a2, stack_c - stack_a) if a_batched else a2
    c2 = _insert_after_batch(c2, stack_a - stack_c) if c_batched else c2
    return a2, c2, rank_a, rank_c


def _insert_after_batch(x, count):
    return x.reshape(x.shape[:1] + (1,) * count + x.shape[1:]) if count > 0 else x


def _unmatrix(out, rank_a, rank_c):
    if rank_a == 1:
        return out[..., 0, 0] if rank_c == 1 else out[..., 0, :]
    return out[..., 0] if rank_c == 1 else out


def matmul(a, c, a_batched, c_batched):
    """a @ c example by example, either operand batched along axis 0 (the other shared by all)."""
    a2, c2, rank_a, rank_c = _as_stacks(a, c, a_batched, c_batched)
    if rank_a == 0 or rank_c == 0:
        raise ValueError("matmul: an operand of an example is a scalar")
    return _unmatrix(np.matmul(a2, c2), rank_a, rank_c)


def matmul_adjoint(ct, a, c, a_batched, c_batched, which):
    """The cotangent of a (which 0) or c (which 1) in matmul(a, c, ...): a shared operand's is summed
    over the batch."""
    a2, c2, rank_a, rank_c = _as_stacks(a, c, a_batched, c_batched)
    out_shape = np.broadcast_shapes(a2.shape[:-2], c2.shape[:-2]) + (a2.shape[-2], c2.shape[-1])
    g = np.reshape(ct, out_shape)
    if which == 0:
        return _summed_to(_product(g, np.swapaxes(c2, -1, -2)), a2.shape).reshape(np.shape(a))
    return _summed_to(_product(np.swapaxes(a2, -1, -2), g), c2.shape).reshape(np.shape(c))


def _product(p, q):
    """p @ q; an outer product (contracting an axis of length 1) by broadcasting, which NumPy's
    matmul does slowly for stacks (a per-example gradient x^T g of one example's row is one)."""
    return p * q if p.shape[-1] == 1 else np.matmul(p, q)


def _summed_to(x, shape):
    """x summed over the axes that broadcasting added or stretched, to shape."""
    extra = x.ndim - len(shape)
    if extra:
        x = np.sum(x, axis=tuple(range(extra)))
    stretched = tuple(k for k, n in enumerate(shape) if n == 1 and x.shape[k] != 1)
    return np.sum(x, axis=stretched, keepdims=True) if stretched else x


def all_floats(x):
    """Whether every leaf of x is a float or an array of floats (what a gradient is taken of)."""
    if isinstance(x, dict):
        return all(all_floats(v) for v in x.values())
    if isinstance(x, (tuple, list)) and not hasattr(x, "_fields"):
        return all(all_floats(v) for v in x)
    return type(x) is float or isinstance(x, np.ndarray) and x.dtype.kind == "f"


def replicate(x, n):
    """x shared by n examples: a read-only view with a new leading axis of n (leaf by leaf)."""
    fields = _record_fields(x)
    if fields is not None:
        return _remade(x, {k: replicate(v, n) for k, v in fields.items()})
    if isinstance(x, dict):
        return type(x)((k, replicate(v, n)) for k, v in x.items())
    if isinstance(x, (tuple, list)):
        return type(x)(replicate(v, n) for v in x)
    x = np.asarray(x, dtype=np.float64) if type(x) is float else x
    return np.broadcast_to(x, (n,) + np.shape(x))


def leaves(x):
    """The leaves of a container (x itself for anything else)."""
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in leaves(v)]
    if isinstance(x, (tuple, list)) and not hasattr(x, "_fields"):
        return [leaf for v in x for leaf in leaves(v)]
    return [x]
