"""The rules of vmap's runtime helpers (`s2sad/runtime_vmap.py`): s2sad.vmap generates a loop over
them, and grad(vmap(f)) differentiates that loop. One family with `runtime_rules.py` (the coverage
page lists them together), in a module of its own to keep each under the size limit.
"""

import numpy as np

from .. import runtime_vmap
from ..registry import jvp, linear, nondiff, vjp

# -- vmap's helpers (s2sad.vmap generates a loop over them; grad(vmap(f)) differentiates it) ----


@linear(runtime_vmap.take)
def vmap_take(ct, x, i, axis):
    return runtime_vmap.untake(ct, x, i, axis)


@linear(runtime_vmap.untake)
def vmap_untake(ct, g, x, i, axis):
    return runtime_vmap.take(ct, i, axis)


@linear(runtime_vmap.stack)
def vmap_stack(ct, outs, axis):
    return runtime_vmap.unstack(ct, outs, axis)


@linear(runtime_vmap.unstack)
def vmap_unstack(ct, g, outs, axis):
    return runtime_vmap.restack(ct, outs, axis)


@linear(runtime_vmap.restack)
def vmap_restack(ct, items, outs, axis):
    return runtime_vmap.unstack(ct, outs, axis)


nondiff(runtime_vmap.size)


@linear(runtime_vmap.lift)
def vmap_lift(ct, x, other, other_batched):
    return np.reshape(ct, np.shape(x))


@linear(runtime_vmap.batch_sum)
def vmap_batch_sum(ct, x):
    return runtime_vmap.unsum(ct, x)


@linear(runtime_vmap.unsum)
def vmap_unsum(ct, g, x):
    return runtime_vmap.batch_sum(ct)


@linear(runtime_vmap.batch_mean)
def vmap_batch_mean(ct, x):
    return runtime_vmap.unsum(ct, x) * (np.shape(x)[0] / np.size(x))


@linear(runtime_vmap.broadcast_batch)
def vmap_broadcast_batch(ct, value, n):
    return np.sum(ct, axis=0)


nondiff(runtime_vmap.all_arrays)
nondiff(runtime_vmap.example_shape)


@vjp(runtime_vmap.matmul, wrt=("a", "c"))
def vmap_matmul(ct, ans, a, c, a_batched, c_batched):
    return runtime_vmap.matmul_adjoint(ct, a, c, a_batched, c_batched, 0), \
        runtime_vmap.matmul_adjoint(ct, a, c, a_batched, c_batched, 1)


@jvp(runtime_vmap.matmul)
def vmap_matmul_jvp(a_dot, c_dot, ans, a, c, a_batched, c_batched):
    return runtime_vmap.matmul(a_dot, c, a_batched, c_batched), runtime_vmap.matmul(a, c_dot, a_batched, c_batched)
