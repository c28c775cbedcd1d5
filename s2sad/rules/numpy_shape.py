"""Reshaping, assembling and selecting: all linear, so each rule is the transposed rearrangement.

A sequence argument (the list given to concatenate or stack) gets one cotangent: an array or
sequence whose item i is the cotangent of the sequence's item i (`runtime.pieces`).
"""

import numpy as np

from .. import runtime
from ..registry import jvp, linear, vjp
from ..runtime import (
    diag_adjoint,
    diagonal_adjoint,
    index_order,
    inverse_axes,
    item_adjoint,
    pad_adjoint,
    pad_tangent,
    ravel_like,
    repeat_adjoint,
    sort_adjoint,
    sort_tangent,
    split_like,
    take_adjoint,
    take_along_axis_adjoint,
    tile_adjoint,
    unbroadcast,
    unravel_like,
    unsplit,
)

# -- same elements, new shape ----------------------------------------------------


@vjp(np.reshape, wrt=("a",), batched="reshape", taylor="coefficientwise")
def reshape(g, ans, a, shape=None, order="C"):
    """Both modes read the elements in a's own index order (order="A" depends on a's layout)."""
    return np.reshape(g, np.shape(a), order=index_order(a, order))


@jvp(np.reshape)
def reshape_jvp(a_dot, ans, a, shape=None, order="C"):
    return np.reshape(a_dot, np.shape(ans), order=index_order(a, order))


@vjp(np.ndarray.reshape, wrt=("a",), batched="reshape", taylor="coefficientwise")
def ndarray_reshape(g, ans, a, *shape, order="C"):
    return np.reshape(g, np.shape(a), order=index_order(a, order))


@jvp(np.ndarray.reshape)
def ndarray_reshape_jvp(a_dot, ans, a, *shape, order="C"):
    return np.reshape(a_dot, np.shape(ans), order=index_order(a, order))


@vjp(np.ravel, np.ndarray.ravel, np.ndarray.flatten, wrt=("a",), shapes=((2, 1, 3),), batched="reshape",
     taylor="coefficientwise")
def ravel(g, ans, a, order="C"):
    """order="K" follows a's memory layout (a transpose's ravel is not its C-order ravel)."""
    return unravel_like(g, a, order)


@jvp(np.ravel, np.ndarray.ravel, np.ndarray.flatten)
def ravel_jvp(a_dot, ans, a, order="C"):
    return ravel_like(a_dot, a, order)


@linear(np.squeeze, np.ndarray.squeeze, np.atleast_1d, np.atleast_2d, np.atleast_3d, shapes=((2, 1, 3),),
        batched="reshape")
def squeeze(g, a):
    return np.reshape(g, np.shape(a))


@linear(np.expand_dims, batched="reshape")
def expand_dims(g, a, axis):
    return np.reshape(g, np.shape(a))


@linear(np.transpose, batched="transpose")
def transpose(g, a, axes=None):
    return np.transpose(g, None if axes is None else np.argsort(axes))


@linear(np.ndarray.transpose)
def ndarray_transpose(g, a, *axes):
    """x.transpose(), x.transpose(axes) or x.transpose(i, j, k)."""
    return np.transpose(g, inverse_axes(axes))


@linear(np.ndarray.T, batched="transpose")
def T(g, a):
    return np.transpose(g)


@linear(np.swapaxes, np.ndarray.swapaxes)
def swapaxes(g, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


@linear(np.moveaxis)
def moveaxis(g, a, source, destination):
    return np.moveaxis(g, destination, source)


@linear(np.broadcast_to)
def broadcast_to(g, array, shape):
    return unbroadcast(g, array)


@linear(np.copy, np.ndarray.copy, shapes=((2, 3),))
def copy(g, a):
    return g


@linear(np.asarray, shapes=((2, 3),), shape="same")
@linear(np.array, np.asarray_chkfinite, np.ascontiguousarray, shapes=((2, 3),))
def array(g, object, dtype=None):
    """Also builds arrays from lists of active scalars: the list's adjoint is indexed like the array."""
    return g


@linear(np.ndarray.astype)
def astype(g, a, dtype=None):
    """The cotangent goes back to a's own dtype; a complex a is refused (astype(float) drops its
    imaginary part, which the rules upstream of it would need JAX's conjugate convention for)."""
    return np.asarray(runtime.real_cotangent(g, a, "astype"), dtype=a.dtype)


# -- assembling and cutting ------------------------------------------------------


@linear(np.concatenate)
def concatenate(g, arrays, axis=0):
    return split_like(g, arrays, axis)


@linear(np.stack)
def stack(g, arrays, axis=0):
    return np.moveaxis(g, axis, 0)


@linear(np.hstack)
def hstack(g, tup):
    return split_like(g, tup, 0 if np.ndim(g) == 1 else 1)


@linear(np.vstack)
def vstack(g, tup):
    return split_like(g, tup, 0)


@linear(np.column_stack)
def column_stack(g, tup):
    return split_like(g, tup, 1)


@linear(np.dstack)
def dstack(g, tup):
    return split_like(g, tup, 2)


@linear(np.split, np.array_split)
def split(g, ary, indices_or_sections, axis=0):
    """Returns a list; its cotangent holds one piece per item read (`Parts`), or every piece."""
    return unsplit(g, ary, axis, indices_or_sections)


@linear(np.tile)
def tile(g, A, reps):
    return tile_adjoint(g, A, reps)


@linear(np.repeat, np.ndarray.repeat)
def repeat(g, a, repeats, axis=None):
    return repeat_adjoint(g, a, repeats, axis)


@vjp(np.pad, wrt=("array",))
def pad(g, ans, array, pad_width, mode="constant"):
    """Modes constant (any constant_values: they carry no derivative), edge, reflect, symmetric and wrap."""
    return pad_adjoint(g, array, pad_width, mode)


@jvp(np.pad)
def pad_jvp(array_dot, ans, array, pad_width, mode="constant"):
    return pad_tangent(array_dot, pad_width, mode)


# -- rearranging -----------------------------------------------------------------


@linear(np.flip, shapes=((2, 3),))
def flip(g, m, axis=None):
    return np.flip(g, axis)


@linear(np.fliplr, shapes=((2, 3),))
def fliplr(g, m):
    return np.fliplr(g)


@linear(np.flipud, shapes=((2, 3),))
def flipud(g, m):
    return np.flipud(g)


@linear(np.roll)
def roll(g, a, shift, axis=None):
    return np.roll(g, np.negative(shift), axis)


@linear(np.rot90, shapes=((2, 3),))
def rot90(g, m, k=1, axes=None):
    return np.rot90(g, -k, axes or (0, 1))


@linear(np.diag)
def diag(g, v, k=0):
    return diag_adjoint(g, v, k)


@linear(np.diagonal, np.ndarray.diagonal, shapes=((3, 4),))
def diagonal(g, a, offset=0, axis1=0, axis2=1):
    return diagonal_adjoint(g, a, offset, axis1, axis2)


@linear(np.triu, shapes=((2, 3, 4),))
def triu(g, m, k=0):
    return np.triu(g, k)


@linear(np.tril, shapes=((2, 3, 4),))
def tril(g, m, k=0):
    return np.tril(g, k)


# -- selecting -------------------------------------------------------------------


@linear(np.take, np.ndarray.take)
def take(g, a, indices, axis=None):
    return take_adjoint(g, a, indices, axis)


@linear(np.take_along_axis)
def take_along_axis(g, arr, indices, axis):
    return take_along_axis_adjoint(g, arr, indices, axis)


@vjp(np.sort, wrt=("a",), shapes=((3, 4),))
def sort(g, ans, a, axis=-1):
    """The values: g goes back through the sorting permutation; tied values share equally."""
    return sort_adjoint(g, a, axis)


@jvp(np.sort)
def sort_jvp(a_dot, ans, a, axis=-1):
    return sort_tangent(a_dot, a, axis)


@linear(np.full, wrt="fill_value")
def full(g, shape, fill_value, dtype=None):
    return unbroadcast(g, fill_value)


@linear(np.full_like, wrt="fill_value")
def full_like(g, a, fill_value, dtype=None):
    return unbroadcast(g, fill_value)


@linear(np.ndarray.item)
def item(g, a, *index):
    """x.item(), x.item(flat_index) or x.item(i, j): a Python scalar."""
    return item_adjoint(g, a, index)


# -- np.r_ and np.c_ (normalized to runtime.index_concat) ------------------------


@vjp(runtime.index_concat, wrt=("items",), pure=False)
def index_concat(g, ans, maker, items):
    """Each output element is one element of one item, or a constant a slice item makes."""
    return runtime.index_concat_adjoint(g, maker, items)


@jvp(runtime.index_concat)
def index_concat_jvp(items_dot, ans, maker, items):
    return runtime.index_concat_tangent(items_dot, maker, items, ans)
