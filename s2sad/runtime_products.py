"""Products: the adjoints of matmul, dot, vdot, inner, outer, tensordot, kron, cross and einsum.

A family of the runtime: `runtime.py` re-exports its names, and generated code sees them there.
A leaf: NumPy and the other runtime families only.
"""

import numpy as np

from .runtime_adjoints import _cast_like, pieces
from .runtime_core import Refusal, unbroadcast

# -- products ----------------------------------------------------------------------------


def sum_to_scalar(g):
    return np.sum(g)


def _as_matrices(g, a, b):
    """Promote 1-D operands of a matmul to matrices, and g to match their product."""
    a2 = a if np.ndim(a) >= 2 else np.reshape(a, (1, -1))
    b2 = b if np.ndim(b) >= 2 else np.reshape(b, (-1, 1))
    g2 = np.asarray(g)
    if np.ndim(a) < 2:
        g2 = np.expand_dims(g2, -2)
    if np.ndim(b) < 2:
        g2 = np.expand_dims(g2, -1)
    return g2, a2, b2


def matmul_adjoint_a(g, a, b):
    """The cotangent of a in a @ b (any ranks NumPy's matmul accepts)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0 or (np.ndim(a) == 1 and np.ndim(b) == 1):
        return unbroadcast(g * b, a)
    g2, a2, b2 = _as_matrices(g, a, b)
    a_bar = np.matmul(g2, np.swapaxes(b2, -1, -2))
    if np.ndim(a) < 2:
        a_bar = a_bar[..., 0, :]
    return unbroadcast(a_bar, a)


def matmul_adjoint_b(g, a, b):
    """The cotangent of b in a @ b."""
    if np.ndim(a) == 0 or np.ndim(b) == 0 or (np.ndim(a) == 1 and np.ndim(b) == 1):
        return unbroadcast(g * a, b)
    g2, a2, b2 = _as_matrices(g, a, b)
    b_bar = np.matmul(np.swapaxes(a2, -1, -2), g2)
    if np.ndim(b) < 2:
        b_bar = b_bar[..., 0]
    return unbroadcast(b_bar, b)


def dot_adjoint_a(g, a, b):
    """The cotangent of a in np.dot(a, b): matmul's rule except for N-d by N-d, and for a 0-d operand,
    where np.dot is the elementwise product."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(np.multiply(g, b), a)
    if np.ndim(b) > 2:
        b_axes = [i for i in range(np.ndim(b)) if i != np.ndim(b) - 2]
        return np.tensordot(g, b, axes=(list(range(np.ndim(a) - 1, np.ndim(g))), b_axes))
    return matmul_adjoint_a(g, a, b)


def dot_adjoint_b(g, a, b):
    """The cotangent of b in np.dot(a, b)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(np.multiply(g, a), b)
    if np.ndim(b) > 2:
        lead = list(range(np.ndim(a) - 1))
        out = np.tensordot(a, g, axes=(lead, lead))
        return np.moveaxis(out, 0, -2)
    return matmul_adjoint_b(g, a, b)


def _tensordot_axes(axes, nd_a, nd_b):
    if np.ndim(axes) == 0:
        return list(range(nd_a - axes, nd_a)), list(range(axes))
    ax_a, ax_b = axes
    ax_a = [ax_a] if np.ndim(ax_a) == 0 else list(ax_a)
    ax_b = [ax_b] if np.ndim(ax_b) == 0 else list(ax_b)
    return [int(i) % nd_a for i in ax_a], [int(i) % nd_b for i in ax_b]


def tensordot_adjoint_a(g, a, b, axes=2):
    """The cotangent of a in np.tensordot(a, b, axes)."""
    ax_a, ax_b = _tensordot_axes(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in ax_a]
    free_b = [i for i in range(np.ndim(b)) if i not in ax_b]
    out = np.tensordot(g, b, axes=(list(range(len(free_a), np.ndim(g))), free_b))
    order = free_a + [ax_a[k] for k in np.argsort(ax_b)]
    return np.transpose(out, np.argsort(order))


def tensordot_adjoint_b(g, a, b, axes=2):
    """The cotangent of b in np.tensordot(a, b, axes)."""
    ax_a, ax_b = _tensordot_axes(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in ax_a]
    free_b = [i for i in range(np.ndim(b)) if i not in ax_b]
    out = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    order = [ax_b[k] for k in np.argsort(ax_a)] + free_b
    return np.transpose(out, np.argsort(order))


def inner_adjoint_a(g, a, b):
    """The cotangent of a in np.inner(a, b)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(np.multiply(g, b), a)
    return tensordot_adjoint_a(g, a, b, (-1, -1))


def inner_adjoint_b(g, a, b):
    """The cotangent of b in np.inner(a, b)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(np.multiply(g, a), b)
    return tensordot_adjoint_b(g, a, b, (-1, -1))


def kron_adjoint_a(g, a, b):
    """The cotangent of a in np.kron(a, b)."""
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + np.shape(a)
    sb = (1,) * (nd - np.ndim(b)) + np.shape(b)
    blocks = np.reshape(g, [n for pair in zip(sa, sb) for n in pair])
    out = np.tensordot(blocks, np.reshape(b, sb), axes=(list(range(1, 2 * nd, 2)), list(range(nd))))
    return np.reshape(out, np.shape(a))


def kron_adjoint_b(g, a, b):
    """The cotangent of b in np.kron(a, b)."""
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + np.shape(a)
    sb = (1,) * (nd - np.ndim(b)) + np.shape(b)
    blocks = np.reshape(g, [n for pair in zip(sa, sb) for n in pair])
    out = np.tensordot(blocks, np.reshape(a, sa), axes=(list(range(0, 2 * nd, 2)), list(range(nd))))
    return np.reshape(out, np.shape(b))


def vdot_adjoint_a(g, a, b):
    """The cotangent of a in np.vdot(a, b) (real operands): b, flattened, laid out as a."""
    return g * np.reshape(b, np.shape(a))


def vdot_adjoint_b(g, a, b):
    """The cotangent of b in np.vdot(a, b)."""
    return g * np.reshape(a, np.shape(b))


def outer_adjoint_a(g, a, b):
    """The cotangent of a in np.outer(a, b), which flattens both: g times b flattened, laid out as a."""
    return np.reshape(np.dot(g, np.ravel(b)), np.shape(a))


def outer_adjoint_b(g, a, b):
    """The cotangent of b in np.outer(a, b)."""
    return np.reshape(np.dot(np.ravel(a), g), np.shape(b))


def cross_adjoint_a(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cotangent of a in np.cross(a, b, ...) of 3-vectors: <g, a x b> = <a, b x g>, the product laid
    along a's own axis (and summed over what a was broadcast along)."""
    return unbroadcast(np.cross(b, g, axisb, axisc, axisa, axis), a)


def cross_adjoint_b(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cotangent of b in np.cross(a, b, ...): <g, a x b> = <b, g x a>."""
    return unbroadcast(np.cross(g, a, axisc, axisa, axisb, axis), b)


def vecdot_adjoint_a(g, a, b, axis=-1):
    """The cotangent of a in np.vecdot(a, b, axis=axis) (real operands): g times b along each operand's own
    `axis` (a generalized ufunc's core axis), summed over what a was broadcast along."""
    return np.moveaxis(unbroadcast(np.expand_dims(g, -1) * np.moveaxis(b, axis, -1), np.moveaxis(a, axis, -1)),
                       -1, axis)


def vecdot_adjoint_b(g, a, b, axis=-1):
    """The cotangent of b in np.vecdot(a, b, axis=axis)."""
    return np.moveaxis(unbroadcast(np.expand_dims(g, -1) * np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)),
                       -1, axis)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_parse(subscripts, ndims):
    """Explicit per-operand subscripts and output, with `...` spelled out as letters."""
    subscripts = subscripts.replace(" ", "")
    lhs, arrow, out = subscripts.partition("->")
    ins = lhs.split(",")
    used = set(subscripts) - set(".,->")
    spare = [c for c in _LETTERS if c not in used]
    ell = max([nd - len(s.replace("...", "")) for s, nd in zip(ins, ndims) if "..." in s] or [0])
    fill = "".join(spare[:ell])
    ins = [s.replace("...", fill[ell - (nd - len(s.replace("...", ""))):] if ell else "") for s, nd in zip(ins, ndims)]
    if not arrow:
        letters = "".join(ins)
        out = fill + "".join(sorted(c for c in set(letters) - set(fill) if letters.count(c) == 1))
    else:
        out = out.replace("...", fill)
    return ins, out


def einsum_subscripts(subscripts):
    """Called only when np.einsum's first argument is active: an array operand of the sublist form
    whose sublists are not literal lists of integers, which the einsum rule cannot read."""
    raise Refusal("derivatives of np.einsum in sublist form need literal sublists (np.einsum(A, [0, 1], [1, 0])) "
                  "or the subscripts string (np.einsum('ij->ji', A))", "np.einsum")


def einsum_with(subscripts, operands, i, x):
    """np.einsum(subscripts, *operands) with operand i replaced by x (None operands left out)."""
    if not isinstance(subscripts, str):
        einsum_subscripts(subscripts)
    ops = [o for o in operands if o is not None]
    ops[i] = x
    return np.einsum(subscripts, *ops)


def einsum_adjoint(g, subscripts, operands, i):
    """The cotangent of operand i of np.einsum(subscripts, *operands) (None operands left out)."""
    if not isinstance(subscripts, str):
        einsum_subscripts(subscripts)
    ops = [o for o in operands if o is not None]
    ins, out = _einsum_parse(subscripts, [np.ndim(o) for o in ops])
    target, shape = ins[i], np.shape(ops[i])
    others = [j for j in range(len(ops)) if j != i]
    uniq = "".join(dict.fromkeys(target))
    avail = "".join(c for c in uniq if c in out or any(c in ins[j] for j in others))
    spec = ",".join([out] + [ins[j] for j in others]) + "->" + avail
    t = np.einsum(spec, g, *[ops[j] for j in others])
    sizes = {c: shape[target.index(c)] for c in uniq}
    t = np.expand_dims(t, tuple(k for k, c in enumerate(uniq) if c not in avail)) if len(avail) < len(uniq) else t
    t = np.broadcast_to(t, tuple(sizes[c] if c not in avail else t.shape[k] for k, c in enumerate(uniq)))
    shrink = tuple(k for k, c in enumerate(uniq) if sizes[c] == 1 and t.shape[k] != 1)
    if shrink:
        t = np.sum(t, axis=shrink, keepdims=True)
    if len(uniq) == len(target):
        return _cast_like(np.array(t), ops[i])
    out_arr = np.zeros(shape, dtype=np.result_type(t, np.float32))
    grid = np.indices(t.shape, sparse=True)
    out_arr[tuple(grid[uniq.index(c)] for c in target)] = t
    return _cast_like(out_arr, ops[i])


def einsum_with_ops(ct, subscripts, operands, i, x):
    """The cotangent of `operands` in einsum_with(subscripts, operands, i, x), one per operand."""
    ops = list(operands)
    ops[i] = x
    return pieces([0.0 if o is None else np.zeros_like(operands[i]) if j == i
                   else einsum_adjoint(ct, subscripts, ops, j) for j, o in enumerate(ops)])


def einsum_with_dops(subscripts, operands, i, x, dots):
    """The tangent of einsum_with(subscripts, operands, i, x) along the tangents `dots` of operands."""
    ops = list(operands)
    ops[i] = x
    terms = [einsum_with(subscripts, ops, j, dots[j]) for j, o in enumerate(ops) if o is not None and j != i]
    return sum(terms) if terms else 0.0 * einsum_with(subscripts, ops, i, x)


def einsum_adjoint_ops(ct, g, subscripts, operands, i):
    """The cotangent of `operands` in einsum_adjoint(g, subscripts, operands, i), one per operand."""
    ops = list(operands)
    ops[i] = ct
    return pieces([0.0 if o is None else np.zeros_like(operands[i]) if j == i
                   else einsum_adjoint(g, subscripts, ops, j) for j, o in enumerate(ops)])


def einsum_adjoint_dops(g, subscripts, operands, i, dots):
    """The tangent of einsum_adjoint(g, subscripts, operands, i) along the tangents `dots` of operands."""
    total = np.zeros(np.shape(operands[i]), dtype=np.result_type(g, *[o for o in operands if o is not None]))
    for j, o in enumerate(operands):
        if o is not None and j != i:
            ops = list(operands)
            ops[j] = dots[j]
            total = total + einsum_adjoint(g, subscripts, ops, i)
    return total
