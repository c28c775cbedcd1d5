"""Rules for the runtime helpers generated code calls, so derivatives can be differentiated again."""

import numpy as np

from .. import revolve, runtime
from .. import runtime_taylor_special as rts
from ..registry import elementwise, jvp, linear, nondiff, vjp
from ..runtime import broadcast_like, unbroadcast


@linear(runtime.sequence, shape="same")
def sequence(ct, xs):
    return ct


@linear(runtime.unbroadcast, batched=("batch_unbroadcast", "g", "x"))
def unbroadcast_(ct, g, x):
    return broadcast_like(ct, g)


@linear(runtime.broadcast_like, batched=("batch_broadcast_like", "g", "x"))
def broadcast_like_(ct, g, x):
    return unbroadcast(ct, g)


@linear(runtime.spread_zero, batched=("batch_broadcast_like", "g", "like"))  # linear in g: g's tangent, spread
def spread_zero_(ct, g, like):
    return unbroadcast(ct, g)


@linear(runtime.scatter, batched=("batch_scatter", "g", "x", "index"))
def scatter(ct, g, x, index):
    """The cotangent may be a bare 0.0 (an adjoint not yet reached): give it x's shape first.

    x may be a container (a record), whose cotangent may lack the item: runtime.part reads it as zero."""
    return runtime.part(broadcast_like(ct, x), index)


@linear(runtime.sum_adjoint, batched=("batch_sum_adjoint", "g", "x", "axis", "keepdims"))
def sum_adjoint(ct, g, x, axis=None, keepdims=False):
    return np.sum(ct, axis=axis, keepdims=keepdims)


@linear(runtime.mean_adjoint)
def mean_adjoint(ct, g, x, axis=None, keepdims=False):
    return np.mean(ct, axis=axis, keepdims=keepdims)


# -- the derivative library's helpers (s2sad/runtime_adjoints.py, runtime_products.py, runtime_linalg.py) ----

nondiff(runtime.tie_weights, runtime.clip_partial, runtime.linspace_ramp, runtime.inverse_axes)


@vjp(runtime.einsum_with, wrt=("operands", "x"))
def einsum_with_vjp(ct, ans, subscripts, operands, i, x):
    return runtime.einsum_with_ops(ct, subscripts, operands, i, x), runtime.einsum_adjoint(ct, subscripts, operands, i)


@jvp(runtime.einsum_with)
def einsum_with_jvp(operands_dot, x_dot, ans, subscripts, operands, i, x):
    return runtime.einsum_with_dops(subscripts, operands, i, x, operands_dot), \
        runtime.einsum_with(subscripts, operands, i, x_dot)


@vjp(runtime.einsum_adjoint, wrt=("g", "operands"))
def einsum_adjoint_vjp(ct, ans, g, subscripts, operands, i):
    return runtime.einsum_with(subscripts, operands, i, ct), runtime.einsum_adjoint_ops(ct, g, subscripts, operands, i)


@jvp(runtime.einsum_adjoint)
def einsum_adjoint_jvp(g_dot, operands_dot, ans, g, subscripts, operands, i):
    return runtime.einsum_adjoint(g_dot, subscripts, operands, i), \
        runtime.einsum_adjoint_dops(g, subscripts, operands, i, operands_dot)


@linear(runtime.split_like)
def split_like(ct, x, like, axis=0, sections=None):
    return runtime.unsplit(ct, x, axis, sections)


@linear(runtime.unsplit)
def unsplit(ct, parts, like, axis=0, sections=None):
    return runtime.split_like(ct, parts, axis, sections)


@linear(runtime.sum_list_adjoint)
def sum_list_adjoint(ct, g, items):
    return broadcast_like(sum(ct), g)


@vjp(runtime.prod_others, wrt=("a",))
def prod_others(ct, ans, a, axis=None):
    """The Jacobian of prod_others is symmetric."""
    return runtime.prod_others_dot(ct, a, axis)


@jvp(runtime.prod_others)
def prod_others_jvp(a_dot, ans, a, axis=None):
    return runtime.prod_others_dot(a_dot, a, axis)


@vjp(runtime.norm_slope, wrt=("x",))
def norm_slope(ct, ans, x, ord=None, axis=None):
    """The norm's Hessian is symmetric."""
    return runtime.norm_slope_dot(ct, x, ord, axis)


@jvp(runtime.norm_slope)
def norm_slope_jvp(x_dot, ans, x, ord=None, axis=None):
    return runtime.norm_slope_dot(x_dot, x, ord, axis)


@linear(runtime.cumsum_adjoint)
def cumsum_adjoint(ct, g, a, axis=None):
    return np.cumsum(ct, axis=axis)


@linear(runtime.diff_adjoint)
def diff_adjoint(ct, g, a, n=1, axis=-1):
    return np.diff(ct, n, axis)


@linear(runtime.tile_adjoint)
def tile_adjoint(ct, g, a, reps):
    return np.tile(ct, reps)


@linear(runtime.repeat_adjoint)
def repeat_adjoint(ct, g, a, repeats, axis=None):
    return np.repeat(ct, repeats, axis)


@linear(runtime.diag_adjoint)
def diag_adjoint(ct, g, v, k=0):
    return np.diag(ct, k)


@linear(runtime.diagonal_adjoint)
def diagonal_adjoint(ct, g, a, offset=0, axis1=0, axis2=1):
    return np.diagonal(ct, offset, axis1, axis2)


@linear(runtime.trace_adjoint)
def trace_adjoint(ct, g, a, offset=0, axis1=0, axis2=1):
    return np.trace(ct, offset, axis1, axis2)


@linear(runtime.pad_tangent)
def pad_tangent(ct, t, pad_width, mode="constant"):
    return runtime.pad_adjoint(ct, t, pad_width, mode)


@linear(runtime.pad_adjoint)
def pad_adjoint(ct, g, array, pad_width, mode="constant"):
    return runtime.pad_tangent(ct, pad_width, mode)


@linear(runtime.take_adjoint)
def take_adjoint(ct, g, a, indices, axis=None):
    return np.take(ct, indices, axis)


@linear(runtime.take_along_axis_adjoint)
def take_along_axis_adjoint(ct, g, arr, indices, axis):
    return np.take_along_axis(ct, indices, axis)


@linear(runtime.sort_tangent)
def sort_tangent(ct, t, a, axis=-1):
    return runtime.sort_adjoint(ct, a, axis)


@linear(runtime.sort_adjoint)
def sort_adjoint(ct, g, a, axis=-1):
    return runtime.sort_tangent(ct, a, axis)


@linear(runtime.item_adjoint)
def item_adjoint(ct, g, a, index=()):
    return runtime.item_of(ct, index)


@linear(runtime.item_of)
def item_of(ct, x, index=()):
    return runtime.item_adjoint(ct, x, index)


@linear(runtime.phi)
def phi(ct, x):
    """A mask (the lower triangle, the diagonal halved): its own transpose."""
    return runtime.phi(ct)


@linear(runtime.sym_lower)
def sym_lower(ct, x):
    return runtime.sym_lower_adjoint(ct)


@linear(runtime.sym_lower_adjoint)
def sym_lower_adjoint(ct, g):
    return runtime.sym_lower(ct)


@linear(runtime.lower_factor)
def lower_factor(ct, x, transpose=False):
    return runtime.lower_factor(ct, transpose)


# -- the helpers the transforms themselves emit (forward and reverse code read back in) ----

nondiff(runtime.zeros_like)
nondiff(runtime.shaped)  # a record's stand-in for a value read only for its shape (optimize/release.py)
# push and pop carry derivatives, but through the stack, not their arguments: the transforms pair them
# (s2sad/stacks.py), so as calls they are marked as having none of their own
nondiff(runtime.push, runtime.pop)


@linear(runtime.snapshot, shapes=((2, 3),), batched="identity")
def snapshot(ct, value):
    return ct


@linear(runtime.sum_to_scalar, shapes=((2, 3),))
def sum_to_scalar(ct, g):
    return broadcast_like(ct, g)


@linear(runtime.without_item, batched=("batch_without_item", "x_bar", "index"))
def without_item(ct, x_bar, index):
    """A mask: its own transpose."""
    return runtime.without_item(ct, index)


@vjp(runtime.with_item, wrt=("x_dot", "value_dot"))
def with_item_vjp(ct, ans, x_dot, index, value_dot, x):
    return unbroadcast(runtime.without_item(ct, index), x_dot), unbroadcast(ct[index], value_dot)


@jvp(runtime.with_item)
def with_item_jvp(x_dot_dot, value_dot_dot, ans, x_dot, index, value_dot, x):
    return runtime.with_item(x_dot_dot, index, 0.0, x), runtime.with_item(0.0, index, value_dot_dot, x)


# -- containers and writes (s2sad/runtime_core.py, runtime_writes.py: part, item_bar, old_item) ----


nondiff(runtime.shares_memory, runtime.is_array, pure=False)


@linear(runtime.part, pure=False)
def part(ct, g, key):
    return runtime.with_item(0.0, key, ct, g)


@vjp(runtime.scatter_add, wrt=("acc", "g"), pure=False, batched="scatter_add")
def scatter_add_vjp(ct, ans, acc, g, x, index):
    return ct, unbroadcast(runtime.part(ct, index), g)


@jvp(runtime.scatter_add)
def scatter_add_jvp(acc_dot, g_dot, ans, acc, g, x, index):
    return acc_dot, runtime.scatter(g_dot, x, index)


@linear(runtime.clear_item, pure=False)
def clear_item(ct, x_bar, index):
    """A mask: its own transpose."""
    return runtime.without_item(ct, index)


@linear(runtime.own_copy, pure=False)
def own_copy(ct, value):
    return ct


@linear(runtime.owned, pure=False)
def owned(ct, t, x):
    return runtime.owned_adjoint(ct, t)


@linear(runtime.cotangent_like, pure=False)
def cotangent_like(ct, g, xs):
    return runtime.cotangent_like_adjoint(ct, g)


@linear(runtime.item_bar, pure=False)
def item_bar(ct, x_bar, index, value):
    return runtime.with_item(0.0, index, ct, x_bar)


@linear(runtime.old_item, pure=False)
def old_item(ct, x, index):
    return runtime.scatter(ct, x, index)


@linear(runtime.ravel_like, shapes=((2, 3), (2, 3)), pure=False)
def ravel_like_(ct, t, a, order="C"):
    return runtime.unravel_like(ct, a, order)


@linear(runtime.unravel_like, shapes=((6,), (2, 3)), pure=False)
def unravel_like_(ct, g, a, order="C"):
    return runtime.ravel_like(ct, a, order)


nondiff(runtime.index_order, runtime.memory_permutation, runtime.einsum_subscripts, pure=False)


@linear(runtime.inexact_only, shapes=((2, 3), (2, 3)), pure=False)
def inexact_only_(ct, t, ans):
    return runtime.inexact_only(ct, ans)


@elementwise(runtime.times_partial, taylor=rts.times_partial)
def times_partial_(t, partial):
    return partial, t


@elementwise(runtime.times_partial_scalar, taylor=rts.times_partial)
def times_partial_scalar_(t, partial):
    return partial, t


@elementwise(runtime.pow_base_partial, domain="positive", pure=False, taylor=rts.pow_base_partial)
def pow_base_partial_(a, b):
    """b * (b - 1) * a ** (b - 2) in a: zero for b == 0 and b == 1, even at a == 0."""
    return runtime.times_partial(b, runtime.pow_base_partial(a, b - 1)), \
        np.power(a, b - 1) + b * runtime.pow_exponent_partial(a, np.power(a, b - 1))


@elementwise(runtime.pow_exponent_partial, domain="positive", pure=False, taylor=rts.pow_exponent_partial)
def pow_exponent_partial_(a, power):
    return power / a, runtime.pow_exponent_partial(a, np.ones_like(power))


@linear(runtime.index_concat_tangent, pure=False)
def index_concat_tangent_(ct, dots, maker, items, like):
    return runtime.index_concat_adjoint(ct, maker, items)


@linear(runtime.index_concat_adjoint, pure=False)
def index_concat_adjoint_(ct, g, maker, items):
    return runtime.index_concat_tangent(ct, maker, items, g)


@linear(runtime.real_only, shapes=((2, 3),), pure=False)
def real_only_(ct, value, construct="value"):
    return ct


@linear(runtime.real_cotangent, shapes=((2, 3), (2, 3)), pure=False)
def real_cotangent_(ct, g, x, construct="value"):
    return runtime.real_cotangent(ct, x, construct)


@vjp(runtime.unappend, wrt=("xs_bar",))
def unappend_(ct, ans, xs, xs_bar):
    """Reverse mode would need the list as it was before the pops that follow: refused when it runs."""
    return runtime.refuse("reverse mode over the adjoint of a list append (a Jacobian of a gradient of a list "
                          "built by append or a comprehension: use forward mode over it, as s2sad.hessian does)",
                          "append")


@jvp(runtime.unappend)
def unappend_jvp(xs_bar_dot, ans, xs, xs_bar):
    """A tangent statement runs after its primal's pop: len(xs) is the position of the item it removed."""
    return runtime.part(xs_bar_dot, len(xs))


@linear(runtime.cotangent_like_adjoint, pure=False)
def cotangent_like_adjoint_(ct, g_ct, g):
    return runtime.cotangent_like(ct, g_ct)


@linear(runtime.owned_adjoint, pure=False)
def owned_adjoint_(ct, t_ct, t):
    return broadcast_like(ct, t_ct)


@linear(runtime.pieces)
def pieces_(ct, items):
    """A sequence's cotangent may be an array stacked along a first axis (see pieces): ct is one."""
    return ct


nondiff(runtime.refuse, pure=False)


@vjp(runtime.prod_others_dot, wrt=("t", "a"))
def prod_others_dot_(ct, ans, t, a, axis=None):
    """Linear and symmetric in t; its derivative in a is the symmetric prod_others_ddot."""
    return runtime.prod_others_dot(ct, a, axis), runtime.prod_others_ddot(t, ct, a, axis)


@jvp(runtime.prod_others_dot)
def prod_others_dot_jvp(t_dot, a_dot, ans, t, a, axis=None):
    return runtime.prod_others_dot(t_dot, a, axis), runtime.prod_others_ddot(t, a_dot, a, axis)


@vjp(runtime.prod_others_ddot, wrt=("t", "s", "a"))
def prod_others_ddot_(ct, ans, t, s, a, axis=None):
    """Linear and symmetric in t and s; a fourth derivative of np.prod (in a) is refused when it runs."""
    return runtime.prod_others_ddot(ct, s, a, axis), runtime.prod_others_ddot(t, ct, a, axis), \
        runtime.refuse("fourth derivatives of np.prod", "np.prod")


@jvp(runtime.prod_others_ddot)
def prod_others_ddot_jvp(t_dot, s_dot, a_dot, ans, t, s, a, axis=None):
    return runtime.prod_others_ddot(t_dot, s, a, axis), runtime.prod_others_ddot(t, s_dot, a, axis), \
        runtime.refuse("fourth derivatives of np.prod", "np.prod")


@vjp(runtime.tri_solve, wrt=("a", "b"))
def tri_solve_(ct, ans, a, b, lower=True):
    """x = T^-1 b with T = tril(a) (triu(a) when not lower): b_bar = T^-T g, a_bar = -(b_bar x^T) on T's triangle."""
    return -np.where(lower, np.tril(np.reshape(runtime.tri_solve(np.transpose(a), ct, not lower), (np.shape(a)[0], -1))
                                    @ np.transpose(np.reshape(ans, (np.shape(a)[0], -1)))),
                     np.triu(np.reshape(runtime.tri_solve(np.transpose(a), ct, not lower), (np.shape(a)[0], -1))
                             @ np.transpose(np.reshape(ans, (np.shape(a)[0], -1))))), \
        runtime.tri_solve(np.transpose(a), ct, not lower)


@jvp(runtime.tri_solve)
def tri_solve_jvp(a_dot, b_dot, ans, a, b, lower=True):
    return -runtime.tri_solve(a, np.reshape(np.where(lower, np.tril(a_dot), np.triu(a_dot))
                                            @ np.reshape(ans, (np.shape(a)[0], -1)), np.shape(ans)), lower), \
        runtime.tri_solve(a, b_dot, lower)


@vjp(runtime.tri_inv, wrt=("a",))
def tri_inv_(ct, ans, a):
    """X = tril(a)^-1: a_bar = -tril(X^T g X^T)."""
    return -np.tril(np.transpose(ans) @ ct @ np.transpose(ans))


@jvp(runtime.tri_inv)
def tri_inv_jvp(a_dot, ans, a):
    return -(ans @ np.tril(a_dot) @ ans)


nondiff(revolve.split, revolve.loop_bounds)  # the checkpointed loops' schedule: integers only
