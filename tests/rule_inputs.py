"""How tests/test_rules.py calls each rule's primitive (docs/rules.md explains the scheme).

A rule is tested through small functions that call its primitive, because s2sad
differentiates source. They come from two places:

* derived from the rule itself: an elementwise rule is called on all its arguments with
  the default shapes below (or its `shapes`), any other rule with a `shapes` entry is called
  once on arrays of those shapes; inputs are drawn from the rule's `domain`;
* the `@case` functions in this file, for calls that need more (an axis, indices, a list).

A rule with neither fails the test suite.
"""

import inspect
import math
import operator
from dataclasses import dataclass

import numpy as np

from s2sad import factored, runtime, runtime_vmap


@dataclass(frozen=True)
class Arg:
    """One argument of a test call: its shape (`()` is a Python float) and where its values come from."""

    shape: tuple
    domain: str = None  # None: the rule's own domain


@dataclass
class Case:
    func: object        # a def whose body calls the primitive
    args: tuple         # one Arg per parameter of func
    wrt: tuple = None   # the positions differentiated (default: every float argument)
    float32: bool = True
    name: str = ""


CASES = {}  # primitive -> [Case]

# Shapes for elementwise rules without `shapes`: scalars, arrays, and broadcasting pairs.
ELEMENTWISE_SHAPES = {
    1: [((),), ((4,),), ((2, 3),)],
    2: [((), ()), ((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ())],
    3: [((2, 3), (2, 3), (2, 3)), ((2, 3), (), (3,))],
}

def arg(shape, domain=None):
    return Arg(tuple(shape), domain)


def case(prim, *args, wrt=None, float32=True):
    """Register the decorated function as a test of prim's rule; args give its arguments (shapes or Args)."""
    def register(fn):
        specs = tuple(a if isinstance(a, Arg) else Arg(tuple(a)) for a in args)
        CASES.setdefault(prim, []).append(Case(fn, specs, wrt, float32, fn.__name__))
        return fn
    return register


# -- calls made from a rule's shapes (one function per arity, the primitive in a closure cell) -------


def call1(prim):
    def call(x):
        return prim(x)
    return call


def call2(prim):
    def call(x, y):
        return prim(x, y)
    return call


def call3(prim):
    def call(x, y, z):
        return prim(x, y, z)
    return call


CALLERS = {1: call1, 2: call2, 3: call3}

MASK = np.array([[True, False, True], [False, False, True]])
INDEX = np.array([[2, 0, 1], [1, 1, 0]])
C23 = np.arange(6.0).reshape(2, 3)

# -- operators ------------------------------------------------------------------------------------


@case(operator.getitem, (5,))
def getitem_slice(x):
    return x[1:4]


@case(operator.getitem, (5,))
def getitem_repeated(x):
    return x[[0, 2, 2]]


@case(operator.getitem, (3, 4))
def getitem_row(x):
    return x[1]


@case(operator.getitem, (2, 3, 4))
def getitem_ellipsis(x):
    return x[..., 1:3, 0]


@case(operator.getitem, (2, 3))
def getitem_mask(x):
    return x[MASK]


@case(operator.getitem, (2, 3))
def getitem_scalar(x):
    return x[1, 2]


@case(operator.getitem, (), ())
def getitem_list(x, y):
    pair = [x, y]
    return pair[1] * pair[0]


@case(operator.matmul, (3, 4), (4,))
def matmul_op(x, y):
    return x @ y


@case(operator.matmul, (2, 3, 4), (4, 2))
def matmul_op_batched(x, y):
    return x @ y


@case(operator.matmul, (4,), (4,))
def matmul_op_vectors(x, y):
    return x @ y


# -- builtins and math ------------------------------------------------------------------------------


@case(sum, (), (), ())
def sum_scalars(x, y, z):
    return sum([x, y, z])


@case(sum, (3,), (2, 3))
def sum_broadcast_start(x, y):
    return sum([x, x * 2.0], y)


@case(list, (3,))
def list_of_array(x):
    return np.stack(list(x * x))


@case(tuple, (), ())
def tuple_of_floats(x, y):
    return tuple([x * y, y])[0]


@case(sum, (3, 4))
def sum_rows(x):
    return sum(x)


@case(math.fsum, (), (), ())
def fsum(x, y, z):
    return math.fsum([x, y, z])


@case(math.log, arg((), "positive"), arg((), "above_one"))
def log_base(x, b):
    return math.log(x, b)


@case(math.ldexp, ())
def math_ldexp(x):
    return math.ldexp(x, 3)


@case(np.ldexp, (2, 3))
def np_ldexp(x):
    return np.ldexp(x, INDEX)


# -- elementwise ------------------------------------------------------------------------------------


@case(np.clip, (2, 3))
def clip_constants(x):
    return np.clip(x, -0.5, 0.5)


@case(np.clip, (2, 3), ())
def clip_upper_only(x, hi):
    return np.clip(x, None, hi)


@case(np.clip, (2, 3), (3,), ())
def clip_broadcast(x, lo, hi):
    return np.clip(x, lo, hi)


if "min" in inspect.signature(np.clip).parameters:  # NumPy 2.1
    @case(np.clip, (2, 3), (2, 3), (3,))
    def clip_keywords(x, lo, hi):
        return np.clip(x, min=lo, max=hi)


@case(np.ndarray.clip, (2, 3))
def clip_method(x):
    return x.clip(-0.5, 0.5)


@case(np.ndarray.clip, (2, 3))
def clip_method_max(x):
    return x.clip(max=0.2)


@case(np.where, (2, 3), (3,))
def where_broadcast(x, y):
    return np.where(MASK, x, y)


@case(np.where, (), (2, 3))
def where_scalar(x, y):
    return np.where(MASK, x, y)


@case(np.where, (2, 3))
def where_piecewise(x):
    return np.where(x > 0, x * x, -x)


# -- reductions -------------------------------------------------------------------------------------


@case(np.sum, (2, 3, 4))
def sum_axis_keepdims(x):
    return np.sum(x, axis=1, keepdims=True)


@case(np.sum, (2, 3, 4))
def sum_axes(x):
    return np.sum(x, axis=(0, -1))


@case(np.ndarray.sum, (2, 3))
def sum_method(x):
    return x.sum(axis=0)


@case(np.ndarray.sum, (2, 3))
def sum_method_keepdims(x):
    return x.sum(-1, keepdims=True)


@case(np.mean, (2, 3, 4))
def mean_axes(x):
    return np.mean(x, axis=(0, 2), keepdims=True)


@case(np.ndarray.mean, (2, 3))
def mean_method(x):
    return x.mean(axis=1)


@case(np.prod, arg((3, 4), "sparse"))
def prod_zeros(x):
    return np.prod(x, axis=1)


@case(np.prod, (2, 3, 4))
def prod_axes(x):
    return np.prod(x, axis=(0, 2), keepdims=True)


@case(np.ndarray.prod, arg((2, 3), "sparse"))
def prod_method(x):
    return x.prod()


def _extremes(prim):
    name = prim.__name__

    def reduce_axis(x):
        return prim(x, axis=1)

    def reduce_axes_keepdims(x):
        return prim(x, axis=(0, 2), keepdims=True)

    reduce_axis.__name__, reduce_axes_keepdims.__name__ = f"{name}_axis", f"{name}_axes_keepdims"
    case(prim, (3, 4))(reduce_axis)
    case(prim, (2, 3, 4))(reduce_axes_keepdims)


for _prim in (np.max, np.amax, np.min, np.amin):
    _extremes(_prim)


@case(np.ndarray.max, (3, 4))
def max_method(x):
    return x.max(axis=0)


@case(np.ndarray.min, (3, 4))
def min_method(x):
    return x.min(-1, keepdims=True)


@case(np.ptp, (3, 4))
def ptp_axis(x):
    return np.ptp(x, axis=1)


@case(np.var, (3, 4))
def var_ddof(x):
    return np.var(x, axis=0, ddof=1)


@case(np.var, (2, 3, 4))
def var_axes(x):
    return np.var(x, axis=(1, 2), keepdims=True)


@case(np.ndarray.var, (3, 4))
def var_method(x):
    return x.var(axis=1)


@case(np.std, (3, 4))
def std_ddof(x):
    return np.std(x, axis=1, ddof=1, keepdims=True)


@case(np.ndarray.std, (3, 4))
def std_method(x):
    return x.std(0)


@case(np.cumsum, (3, 4))
def cumsum_axis(x):
    return np.cumsum(x, axis=1)


@case(np.ndarray.cumsum, (3, 4))
def cumsum_method(x):
    return x.cumsum(axis=0)


@case(np.cumprod, (3, 4))
def cumprod_axis(x):
    return np.cumprod(x, axis=0)


@case(np.ndarray.cumprod, (3, 4))
def cumprod_method(x):
    return x.cumprod(1)


@case(np.diff, (3, 5))
def diff_twice(x):
    return np.diff(x, n=2, axis=1)


def _norm(order, shape):
    def norm(x):
        return np.linalg.norm(x, ord=order)

    norm.__name__ = f"norm_{len(shape)}d_ord_{order}"
    case(np.linalg.norm, shape)(norm)


for _ord in [None, 2, 1, np.inf, -np.inf, 3, 0.5]:
    _norm(_ord, (5,))
for _ord in [None, "fro", 1, -1, np.inf, -np.inf, 2, -2, "nuc"]:
    _norm(_ord, (3, 4))


@case(np.linalg.norm, (3, 4))
def norm_axis(x):
    return np.linalg.norm(x, axis=1, keepdims=True)


@case(np.linalg.norm, (2, 3, 4))
def norm_matrix_axes(x):
    return np.linalg.norm(x, ord=1, axis=(2, 1))


@case(np.linspace, (), ())
def linspace_scalars(x, y):
    return np.linspace(x, y, 5)


@case(np.linspace, (2,), (2,))
def linspace_last_axis(x, y):
    return np.linspace(x, y, 4, endpoint=False, axis=-1)


# -- products and linear algebra --------------------------------------------------------------------


@case(np.matmul, (4,), (4, 3))
def matmul_vector_matrix(x, y):
    return np.matmul(x, y)


@case(np.dot, (3,), (3,))
def dot_vectors(x, y):
    return np.dot(x, y)


@case(np.dot, (2, 3, 4), (4, 5))
def dot_nd_2d(x, y):
    return np.dot(x, y)


@case(np.dot, (2, 3), (4, 3, 5))
def dot_nd_nd(x, y):
    return np.dot(x, y)


@case(np.dot, (), (2, 3))
def dot_scalar(x, y):
    return np.dot(x, y)


@case(np.ndarray.dot, (2, 3), (3,))
def dot_method(x, y):
    return x.dot(y)


@case(np.inner, (3,), (3,))
def inner_vectors(x, y):
    return np.inner(x, y)


@case(np.inner, (), (2, 3))
def inner_scalar(x, y):
    return np.inner(x, y)


@case(np.tensordot, (3, 4), (4, 5))
def tensordot_one(x, y):
    return np.tensordot(x, y, axes=1)


@case(np.tensordot, (2, 3, 4), (4, 5, 2))
def tensordot_pairs(x, y):
    return np.tensordot(x, y, axes=([0, 2], [2, 0]))


@case(np.tensordot, (2, 3), (4,))
def tensordot_outer(x, y):
    return np.tensordot(x, y, axes=0)


@case(np.kron, (3,), (2,))
def kron_vectors(x, y):
    return np.kron(x, y)


@case(np.cross, (3, 4), (3, 4))
def cross_axis(x, y):
    return np.cross(x, y, axis=0)


@case(np.einsum, (2, 3), (3, 4))
def einsum_explicit(x, y):
    return np.einsum("ij,jk->ik", x, y)


@case(np.einsum, (2, 3), (3, 4))
def einsum_implicit(x, y):
    return np.einsum("ij,jk", x, y)


@case(np.einsum, (3, 3))
def einsum_diagonal(x):
    return np.einsum("ii->i", x)


@case(np.einsum, (3, 3))
def einsum_trace(x):
    return np.einsum("ii", x)


@case(np.einsum, (2, 3))
def einsum_total(x):
    return np.einsum("ij->", x)


@case(np.einsum, (3,))
def einsum_broadcast(x):
    return np.einsum("i,j->ij", x, np.ones(2))


@case(np.einsum, (2, 3, 4), (4, 5))
def einsum_ellipsis(x, y):
    return np.einsum("...ij,...jk->...ik", x, y)


@case(np.einsum, (2, 1, 3), (4, 3))
def einsum_ellipsis_broadcast(x, y):
    return np.einsum("...j,...j->...", x, y)


@case(np.einsum, (2, 3), (2, 3), (3,))
def einsum_three(x, y, z):
    return np.einsum("ij,ij,j->i", x, y, z)


@case(np.einsum, (2, 3), (3,), (3, 4), (4,))
def einsum_four(w, x, y, z):
    return np.einsum("ij,j,jk,k->i", w, x, y, z)


@case(np.einsum, (3, 4, 3))
def einsum_repeat_transpose(x):
    return np.einsum("iji->ji", x)


@case(np.trace, (2, 3, 4))
def trace_offset_axes(x):
    return np.trace(x, offset=1, axis1=2, axis2=1)


@case(np.linalg.solve, arg((3, 3), "matrix"), (3,))
def solve_vector(a, b):
    return np.linalg.solve(a, b)


@case(np.linalg.solve, arg((3, 3), "matrix"), (3, 2))
def solve_matrix(a, b):
    return np.linalg.solve(a, b)


@case(np.linalg.solve, arg((2, 3, 3), "matrix"), (2, 3, 2))
def solve_batched(a, b):
    return np.linalg.solve(a, b)


@case(np.linalg.inv, arg((2, 3, 3), "matrix"))
def inv_batched(a):
    return np.linalg.inv(a)


@case(np.linalg.det, arg((2, 3, 3), "matrix"))
def det_batched(a):
    return np.linalg.det(a)


@case(np.linalg.slogdet, arg((2, 3, 3), "matrix"))
def slogdet_batched(a):
    return np.linalg.slogdet(a)


@case(np.linalg.slogdet, arg((3, 3), "matrix"), float32=False)
def slogdet_unpacked(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet * 2.0


@case(np.linalg.cholesky, arg((2, 3, 3), "spd"))
def cholesky_batched(a):
    return np.linalg.cholesky(a)


@case(np.linalg.cholesky, arg((3, 3), "spd"))
def cholesky_upper(a):
    return np.linalg.cholesky(a, upper=True)


if hasattr(np.ndarray, "mT"):
    @case(np.ndarray.mT, (2, 3, 4))
    def mT(x):
        return x.mT


# -- shapes ------------------------------------------------------------------------------------------


@case(np.reshape, (2, 3))
def reshape(x):
    return np.reshape(x, (3, 2))


@case(np.reshape, (2, 3))
def reshape_flat(x):
    return np.reshape(x, -1)


@case(np.ndarray.reshape, (2, 3))
def reshape_method_args(x):
    return x.reshape(3, 2)


@case(np.ndarray.reshape, (2, 3))
def reshape_method_tuple(x):
    return x.reshape((6, 1))


@case(np.expand_dims, (2, 3))
def expand_dims(x):
    return np.expand_dims(x, 1)


@case(np.expand_dims, (2, 3))
def expand_dims_axes(x):
    return np.expand_dims(x, (0, 3))


@case(np.squeeze, (2, 1, 3, 1))
def squeeze_axis(x):
    return np.squeeze(x, axis=1)


@case(np.transpose, (2, 3, 4))
def transpose_axes(x):
    return np.transpose(x, (1, 2, 0))


@case(np.transpose, (2, 3))
def transpose_plain(x):
    return np.transpose(x)


@case(np.ndarray.transpose, (2, 3, 4))
def transpose_method(x):
    return x.transpose()


@case(np.ndarray.transpose, (2, 3, 4))
def transpose_method_args(x):
    return x.transpose(2, 0, 1)


@case(np.ndarray.transpose, (2, 3, 4))
def transpose_method_tuple(x):
    return x.transpose((1, 2, 0))


@case(np.ndarray.T, (2, 3))
def T(x):
    return x.T


@case(np.ndarray.T, (2, 3, 4))
def T_3d(x):
    return x.T


@case(np.swapaxes, (2, 3, 4))
def swapaxes(x):
    return np.swapaxes(x, 0, 2)


@case(np.ndarray.swapaxes, (2, 3, 4))
def swapaxes_method(x):
    return x.swapaxes(1, -1)


@case(np.moveaxis, (2, 3, 4))
def moveaxis(x):
    return np.moveaxis(x, 0, -1)


@case(np.moveaxis, (2, 3, 4))
def moveaxis_many(x):
    return np.moveaxis(x, [0, 1], [2, 0])


@case(np.broadcast_to, (3,))
def broadcast_to(x):
    return np.broadcast_to(x, (4, 2, 3))


@case(np.broadcast_to, (2, 1))
def broadcast_to_inner(x):
    return np.broadcast_to(x, (2, 5))


@case(np.array, (), ())
def array_of_scalars(x, y):
    return np.array([x, y, x * y])


@case(np.ndarray.astype, (2, 3))
def astype_float64(x):
    return x.astype(np.float64)


@case(np.ndarray.astype, (2, 3))
def astype_float(x):
    return x.astype(float)


@case(np.ndarray.item, (1,))
def item(x):
    return x.item()


@case(np.ndarray.item, (2, 3))
def item_flat(x):
    return x.item(4)


@case(np.ndarray.item, (2, 3))
def item_multi(x):
    return x.item(1, 0)


@case(np.concatenate, (2, 3), (2, 2))
def concatenate_axis1(x, y):
    return np.concatenate([x, y], axis=1)


@case(np.concatenate, (3,), (2,), (4,))
def concatenate_three(x, y, z):
    return np.concatenate((x, y, z))


@case(np.concatenate, (2, 3), (3,))
def concatenate_flat(x, y):
    return np.concatenate([x, y], axis=None)


@case(np.stack, (2, 3), (2, 3))
def stack(x, y):
    return np.stack([x, y])


@case(np.stack, (2, 3), (2, 3))
def stack_last(x, y):
    return np.stack([x, y, x], axis=-1)


@case(np.stack, (), ())
def stack_scalars(x, y):
    return np.stack([x, y])


@case(np.hstack, (3,), (2,))
def hstack_vectors(x, y):
    return np.hstack([x, y])


@case(np.hstack, (2, 3), (2, 1))
def hstack_matrices(x, y):
    return np.hstack((x, y))


@case(np.hstack, (), (2,))
def hstack_scalar(x, y):
    return np.hstack([x, y])


@case(np.vstack, (3,), (3,))
def vstack_vectors(x, y):
    return np.vstack([x, y])


@case(np.vstack, (2, 3), (3,))
def vstack_mixed(x, y):
    return np.vstack([x, y])


@case(np.column_stack, (3,), (3, 2))
def column_stack(x, y):
    return np.column_stack([x, y])


@case(np.dstack, (2, 3), (2, 3))
def dstack(x, y):
    return np.dstack([x, y])


@case(np.split, (6,))
def split_equal(x):
    return np.split(x, 3)


@case(np.split, (2, 5))
def split_unequal(x):
    return np.split(x, [1, 3], axis=1)


@case(np.split, (4, 3), float32=False)
def split_unpacked(x):
    top, bottom = np.split(x, 2)
    return top * bottom


@case(np.array_split, (7,))
def array_split(x):
    return np.array_split(x, 3)


@case(np.split, (2, 6))
def split_unequal_unpacked(x):
    """Pieces of different shapes, each read on its own (their cotangents cannot be stacked)."""
    a, b, c = np.split(x, [1, 4], axis=1)
    return a * np.sum(b, axis=1, keepdims=True) + np.sum(c * c)


@case(np.array_split, (7,))
def array_split_partly_read(x):
    """The middle piece is never read: its cotangent is zeros of its own shape."""
    parts = np.array_split(x, 3)
    return parts[0][:2] * parts[2]


@case(np.tile, (2, 3))
def tile(x):
    return np.tile(x, 2)


@case(np.tile, (2, 3))
def tile_more_dims(x):
    return np.tile(x, (2, 1, 2))


@case(np.tile, (3,))
def tile_vector(x):
    return np.tile(x, (2, 2))


@case(np.repeat, (2, 3))
def repeat_flat(x):
    return np.repeat(x, 2)


@case(np.repeat, (2, 3))
def repeat_counts(x):
    return np.repeat(x, [1, 0, 2], axis=1)


@case(np.ndarray.repeat, (2, 3))
def repeat_method(x):
    return x.repeat(2, axis=0)


@case(np.pad, (2, 3))
def pad_constant(x):
    return np.pad(x, ((1, 2), (0, 1)))


@case(np.pad, (2, 3))
def pad_constant_values(x):
    return np.pad(x, 1, constant_values=3.0)


def _pad(mode):
    def pad(x):
        return np.pad(x, ((2, 1), (1, 2)), mode=mode)

    pad.__name__ = f"pad_{mode}"
    case(np.pad, (3, 4))(pad)


for _mode in ["edge", "reflect", "symmetric", "wrap"]:
    _pad(_mode)


@case(np.flip, (2, 3, 4))
def flip_axis(x):
    return np.flip(x, axis=(0, 2))


@case(np.roll, (5,))
def roll(x):
    return np.roll(x, 2)


@case(np.roll, (3, 4))
def roll_axes(x):
    return np.roll(x, (1, -1), axis=(0, 1))


@case(np.roll, (3, 4))
def roll_flat(x):
    return np.roll(x, 5)


@case(np.rot90, (2, 3, 4))
def rot90_axes(x):
    return np.rot90(x, 3, axes=(2, 1))


@case(np.diag, (3,))
def diag_build(x):
    return np.diag(x, 1)


@case(np.diag, (3, 4))
def diag_read(x):
    return np.diag(x, -1)


@case(np.diagonal, (2, 3, 4))
def diagonal_axes(x):
    return np.diagonal(x, offset=1, axis1=2, axis2=0)


@case(np.triu, (3, 4))
def triu_k(x):
    return np.triu(x, 1)


@case(np.tril, (3, 4))
def tril_k(x):
    return np.tril(x, -1)


@case(np.take, (3, 4))
def take_axis(x):
    return np.take(x, [2, 0, 2], axis=1)


@case(np.take, (3, 4))
def take_flat(x):
    return np.take(x, INDEX)


@case(np.ndarray.take, (5,))
def take_method(x):
    return x.take([4, 4, 0])


@case(np.take_along_axis, (2, 3))
def take_along_axis(x):
    return np.take_along_axis(x, INDEX, axis=1)


@case(np.take_along_axis, (3, 3))
def take_along_axis_rows(x):
    return np.take_along_axis(x, INDEX, axis=0)


@case(np.sort, (3, 4))
def sort_axis0(x):
    return np.sort(x, axis=0)


@case(np.sort, (3, 4))
def sort_flat(x):
    return np.sort(x, axis=None)


@case(np.full, ())
def full(x):
    return np.full((2, 3), x)


@case(np.full, (3,))
def full_broadcast(x):
    return np.full((2, 3), x)


@case(np.full_like, ())
def full_like(x):
    return np.full_like(C23, x)


# -- the runtime helpers (their rules make derivatives differentiable again) ------------------------------


@case(runtime.sequence, (3,))
def rt_sequence(x):
    return runtime.sequence(x)


@case(runtime.unbroadcast, (2, 3), (3,), wrt=(0,))
def rt_unbroadcast(g, x):
    return runtime.unbroadcast(g, x)


@case(runtime.unbroadcast, (2, 3), (2, 1), wrt=(0,))
def rt_unbroadcast_inner(g, x):
    return runtime.unbroadcast(g, x)


@case(runtime.broadcast_like, (3,), (2, 3), wrt=(0,))
def rt_broadcast_like(g, x):
    return runtime.broadcast_like(g, x)


@case(runtime.scatter, (3,), (5,), wrt=(0,))
def rt_scatter(g, x):
    return runtime.scatter(g, x, [1, 3, 1])


@case(runtime.part, (2, 3), wrt=(0,))
def rt_part(g):
    return runtime.part(g, 1)


_Box = __import__("collections").namedtuple("_Box", "w b")
_BOX = _Box(np.ones(3), 2.0)


@case(runtime.field, (3,), (2,), wrt=(0, 1))
def rt_field(w, b):
    box = _Box(w, b)
    return runtime.field(box, "w") * runtime.field(box, "b")[0]


@case(runtime.field_adjoint, (3,), wrt=(0,))
def rt_field_adjoint(g):
    return runtime.part(runtime.field_adjoint(g, _BOX, "w"), 0) * 2.0


@case(runtime.field_part, (3,), wrt=(0,))
def rt_field_part(g):
    return runtime.field_part(runtime.field_adjoint(g, _BOX, "b"), _BOX, "b") * 3.0


@case(runtime.item_bar, (4, 3), (3,), wrt=(0,))
def rt_item_bar(x_bar, value):
    return runtime.item_bar(x_bar, 2, value)


@case(runtime.cotangent_like, (3,), (3,), wrt=(0,))
def rt_cotangent_like(g, xs):
    return runtime.cotangent_like(g, xs)


@case(runtime.scatter_add, (4, 3), (3,), (4, 3), wrt=(0, 1))
def rt_scatter_add(acc, g, x):
    return runtime.scatter_add(acc * 1.0, g, x, 2)


@case(runtime.owned, (3,), (2, 3), wrt=(0,))
def rt_owned(t, x):
    return runtime.owned(t, x)


@case(runtime.clear_item, (4, 3), wrt=(0,))
def rt_clear_item(x_bar):
    return runtime.clear_item(x_bar * 1.0, (1, slice(0, 2)))


@case(runtime.own_copy, (4, 3))
def rt_own_copy(x):
    return runtime.own_copy(x)


@case(runtime.old_item, (4, 3), wrt=(0,))
def rt_old_item(x):
    return runtime.old_item(x, slice(1, 3))


@case(runtime.sum_adjoint, (2, 4), (2, 3, 4), wrt=(0,))
def rt_sum_adjoint(g, x):
    return runtime.sum_adjoint(g, x, 1, False)


@case(runtime.sum_adjoint, (), (2, 3), wrt=(0,))
def rt_sum_adjoint_all(g, x):
    return runtime.sum_adjoint(g, x)


@case(runtime.mean_adjoint, (2, 1), (2, 3), wrt=(0,))
def rt_mean_adjoint(g, x):
    return runtime.mean_adjoint(g, x, 1, True)


@case(runtime.matmul_adjoint_a, (2, 4), (2, 3), (3, 4), wrt=(0, 2))
def rt_matmul_adjoint_a(g, a, b):
    return runtime.matmul_adjoint_a(g, a, b)


@case(runtime.matmul_adjoint_b, (2, 4), (2, 3), (3, 4), wrt=(0, 1))
def rt_matmul_adjoint_b(g, a, b):
    return runtime.matmul_adjoint_b(g, a, b)


@case(runtime.dot_adjoint_a, (2, 4, 5), (2, 3), (4, 3, 5), wrt=(0, 2))
def rt_dot_adjoint_a(g, a, b):
    return runtime.dot_adjoint_a(g, a, b)


@case(runtime.dot_adjoint_b, (2, 4, 5), (2, 3), (4, 3, 5), wrt=(0, 1))
def rt_dot_adjoint_b(g, a, b):
    return runtime.dot_adjoint_b(g, a, b)


@case(runtime.inner_adjoint_a, (2, 4), (2, 3), (4, 3), wrt=(0, 2))
def rt_inner_adjoint_a(g, a, b):
    return runtime.inner_adjoint_a(g, a, b)


@case(runtime.inner_adjoint_b, (2, 4), (2, 3), (4, 3), wrt=(0, 1))
def rt_inner_adjoint_b(g, a, b):
    return runtime.inner_adjoint_b(g, a, b)


@case(runtime.kron_adjoint_a, (6, 6), (2, 3), (3, 2), wrt=(0, 2))
def rt_kron_adjoint_a(g, a, b):
    return runtime.kron_adjoint_a(g, a, b)


@case(runtime.kron_adjoint_b, (6, 6), (2, 3), (3, 2), wrt=(0, 1))
def rt_kron_adjoint_b(g, a, b):
    return runtime.kron_adjoint_b(g, a, b)


@case(runtime.tensordot_adjoint_a, (3, 5), (2, 3, 4), (4, 5, 2), wrt=(0, 2))
def rt_tensordot_adjoint_a(g, a, b):
    return runtime.tensordot_adjoint_a(g, a, b, ([0, 2], [2, 0]))


@case(runtime.tensordot_adjoint_b, (3, 5), (2, 3, 4), (4, 5, 2), wrt=(0, 1))
def rt_tensordot_adjoint_b(g, a, b):
    return runtime.tensordot_adjoint_b(g, a, b, ([0, 2], [2, 0]))


@case(runtime.einsum_with, (2, 3), (3, 4), (2, 3))
def rt_einsum_with(a, b, x):
    return runtime.einsum_with("ij,jk->ik", (a, b), 0, x)


@case(runtime.einsum_adjoint, (2, 4), (2, 3), (3, 4))
def rt_einsum_adjoint(g, a, b):
    return runtime.einsum_adjoint(g, "ij,jk->ik", (a, b, None), 1)


@case(runtime.einsum_adjoint, (3,), (3, 3))
def rt_einsum_adjoint_diagonal(g, a):
    return runtime.einsum_adjoint(g, "ii->i", (a,), 0)


@case(runtime.split_like, (5, 2), (2, 2), (3, 2), wrt=(0,))
def rt_split_like(x, a, b):
    return runtime.split_like(x, [a, b], 0)


@case(runtime.split_like, (24,), (4, 3), (4, 3), wrt=(0,))
def rt_split_like_equal(x, a, b):
    return runtime.split_like(x, (a, b), None)


@case(runtime.unsplit, (2, 3), (2, 3), (4, 3), wrt=(0, 1))
def rt_unsplit(p, q, x):
    return runtime.unsplit([p, q], x, 0)


@case(runtime.sum_list_adjoint, (2, 3), (2, 3), (2, 3), wrt=(0,))
def rt_sum_list_adjoint(g, a, b):
    return runtime.sum_list_adjoint(g, [a, b])


@case(runtime.prod_others, arg((3, 4), "sparse"))
def rt_prod_others(a):
    return runtime.prod_others(a, 1)


@case(runtime.prod_others, (2, 3, 2))
def rt_prod_others_all(a):
    return runtime.prod_others(a)


def _norm_slope(order):
    def rt_norm_slope(x):
        return runtime.norm_slope(x, order)

    rt_norm_slope.__name__ = f"rt_norm_slope_{order}"
    case(runtime.norm_slope, (5,))(rt_norm_slope)


for _ord in [None, 2, 3]:
    _norm_slope(_ord)


@case(runtime.norm_slope, (3, 4))
def rt_norm_slope_axis(x):
    return runtime.norm_slope(x, "fro", (0, 1))


@case(runtime.norm_slope, (3, 4))
def rt_norm_slope_kinks(x):
    return runtime.norm_slope(x, np.inf, 1)


@case(runtime.cumsum_adjoint, (3, 4), (3, 4), wrt=(0,))
def rt_cumsum_adjoint(g, a):
    return runtime.cumsum_adjoint(g, a, 1)


@case(runtime.cumsum_adjoint, (12,), (3, 4), wrt=(0,))
def rt_cumsum_adjoint_flat(g, a):
    return runtime.cumsum_adjoint(g, a)


@case(runtime.diff_adjoint, (3, 3), (3, 5), wrt=(0,))
def rt_diff_adjoint(g, a):
    return runtime.diff_adjoint(g, a, 2, 1)


@case(runtime.tile_adjoint, (2, 2, 6), (2, 3), wrt=(0,))
def rt_tile_adjoint(g, a):
    return runtime.tile_adjoint(g, a, (2, 1, 2))


@case(runtime.repeat_adjoint, (2, 3), (2, 3), wrt=(0,))
def rt_repeat_adjoint(g, a):
    return runtime.repeat_adjoint(g, a, [1, 0, 2], 1)


@case(runtime.repeat_adjoint, (12,), (2, 3), wrt=(0,))
def rt_repeat_adjoint_flat(g, a):
    return runtime.repeat_adjoint(g, a, 2)


@case(runtime.diag_adjoint, (4, 4), (3,), wrt=(0,))
def rt_diag_adjoint_build(g, v):
    return runtime.diag_adjoint(g, v, 1)


@case(runtime.diag_adjoint, (3,), (4, 3), wrt=(0,))
def rt_diag_adjoint_read(g, v):
    return runtime.diag_adjoint(g, v, -1)


@case(runtime.diagonal_adjoint, (3, 1), (2, 3, 4), wrt=(0,))
def rt_diagonal_adjoint(g, a):
    return runtime.diagonal_adjoint(g, a, 1, 2, 0)


@case(runtime.trace_adjoint, (3,), (2, 3, 4), wrt=(0,))
def rt_trace_adjoint(g, a):
    return runtime.trace_adjoint(g, a, 1, 2, 0)


@case(runtime.pad_tangent, (2, 3))
def rt_pad_tangent(t):
    return runtime.pad_tangent(t, ((1, 0), (2, 1)), "reflect")


@case(runtime.pad_adjoint, (5, 6), (2, 3), wrt=(0,))
def rt_pad_adjoint(g, x):
    return runtime.pad_adjoint(g, x, ((1, 2), (2, 1)), "constant")


@case(runtime.take_adjoint, (3, 3), (3, 4), wrt=(0,))
def rt_take_adjoint(g, a):
    return runtime.take_adjoint(g, a, [2, 0, 2], 1)


@case(runtime.take_adjoint, (2, 3), (3, 4), wrt=(0,))
def rt_take_adjoint_flat(g, a):
    return runtime.take_adjoint(g, a, INDEX)


@case(runtime.take_along_axis_adjoint, (2, 3), (2, 3), wrt=(0,))
def rt_take_along_axis_adjoint(g, a):
    return runtime.take_along_axis_adjoint(g, a, INDEX, 1)


@case(runtime.sort_tangent, (3, 4), (3, 4), wrt=(0,))
def rt_sort_tangent(t, a):
    return runtime.sort_tangent(t, a, 0)


@case(runtime.sort_adjoint, (3, 4), (3, 4), wrt=(0,))
def rt_sort_adjoint(g, a):
    return runtime.sort_adjoint(g, a, -1)


@case(runtime.item_adjoint, (), (2, 3), wrt=(0,))
def rt_item_adjoint(g, a):
    return runtime.item_adjoint(g, a, (1, 2))


@case(runtime.item_of, (2, 3))
def rt_item_of(x):
    return runtime.item_of(x, (4,))


@case(runtime.lower_factor, (2, 3, 4))
def rt_lower_factor(x):
    return runtime.lower_factor(x, True)


@case(runtime.phi, (2, 3, 3))
def rt_phi(x):
    return runtime.phi(x)


@case(runtime.sym_lower, (2, 3, 3))
def rt_sym_lower(x):
    return runtime.sym_lower(x)


@case(runtime.sym_lower_adjoint, (3, 3))
def rt_sym_lower_adjoint(x):
    return runtime.sym_lower_adjoint(x)


# runtime.solve and runtime.inv on matrices large enough for their structured paths
# (runtime.STRUCTURED_MIN): triangular, symmetric positive definite, symmetric indefinite, general.
_N = 40
assert _N >= runtime.STRUCTURED_MIN


@case(runtime.solve, arg((_N, _N), "matrix"), (_N,))
def rt_solve_general(a, b):
    return runtime.solve(a, b)


@case(runtime.solve, (_N, _N), (_N, 3))
def rt_solve_lower(x, b):
    return runtime.solve(np.tril(x) + 40.0 * np.eye(_N), b)


@case(runtime.solve, (_N, _N), (_N,))
def rt_solve_upper(x, b):
    return runtime.solve(np.triu(x) + 40.0 * np.eye(_N), b)


@case(runtime.solve, (_N, _N), (_N, 2))
def rt_solve_spd(x, b):
    return runtime.solve(x + x.T + 110.0 * np.eye(_N), b)


@case(runtime.solve, (_N, _N), (_N,))
def rt_solve_symmetric_indefinite(x, b):
    """Positive diagonal, not positive definite: Cholesky fails and LU takes over."""
    return runtime.solve(x + x.T + 3.0 * np.eye(_N), b)


@case(runtime.inv, (_N, _N))
def rt_inv_lower(x):
    return runtime.inv(np.tril(x) + 40.0 * np.eye(_N))


@case(runtime.inv, (_N, _N))
def rt_inv_upper(x):
    return runtime.inv(np.triu(x) + 40.0 * np.eye(_N))


@case(runtime.inv, (_N, _N))
def rt_inv_spd(x):
    return runtime.inv(x + x.T + 110.0 * np.eye(_N))


# The same structures through np.linalg's rules with residuals (s2sad/factored.py): reverse mode
# keeps the factor of the primal's call, and the factored primitives the split helpers call.


@case(np.linalg.solve, (_N, _N), (_N, 2))
def la_solve_spd(x, b):
    return np.linalg.solve(x + x.T + 110.0 * np.eye(_N), b)


@case(np.linalg.solve, (_N, _N), (_N,))
def la_solve_lower(x, b):
    return np.linalg.solve(np.tril(x) + 40.0 * np.eye(_N), b)


@case(np.linalg.solve, (_N, _N), (_N,), wrt=(1,))
def la_solve_upper_b_only(x, b):
    return np.linalg.solve(np.triu(x) + 40.0 * np.eye(_N), b)


@case(np.linalg.solve, arg((_N, _N), "matrix"), (_N, 3), wrt=(0,))
def la_solve_general_a_only(a, b):
    return np.linalg.solve(a, b)


@case(np.linalg.slogdet, (_N, _N))
def la_slogdet_spd(x):
    return np.linalg.slogdet(x + x.T + 110.0 * np.eye(_N))


@case(np.linalg.slogdet, (_N, _N))
def la_slogdet_upper(x):
    return np.linalg.slogdet(np.triu(x) + 40.0 * np.eye(_N))


@case(np.linalg.inv, (_N, _N))
def la_inv_spd(x):
    return np.linalg.inv(x + x.T + 110.0 * np.eye(_N))


@case(np.linalg.inv, (_N, _N))
def la_inv_lower(x):
    return np.linalg.inv(np.tril(x) + 40.0 * np.eye(_N))


@case(np.linalg.cholesky, (70, 70))
def la_cholesky_blocked(x):
    """Large enough for factored.cholesky_adjoint's blocks."""
    return np.linalg.cholesky(x @ x.T + 70.0 * np.eye(70))


@case(np.linalg.cholesky, (70, 70))
def la_cholesky_blocked_upper(x):
    return np.linalg.cholesky(x @ x.T + 70.0 * np.eye(70), upper=True)


@case(factored.factored_solve, (_N, _N), (_N, 2))
def fa_solve_spd(x, b):
    a = x + x.T + 110.0 * np.eye(_N)
    return factored.factored_solve(factored.factorize(a), a, b)


@case(factored.factored_solve, (_N, _N), (_N,))
def fa_solve_lower_transposed(x, b):
    a = np.tril(x) + 40.0 * np.eye(_N)
    return factored.factored_solve(factored.factorize(a), a, b, True)


@case(factored.factored_solve, arg((3, 3), "matrix"), (3,))
def fa_solve_general_transposed(a, b):
    return factored.factored_solve(factored.factorize(a), a, b, True)


@case(factored.factored_inv, (_N, _N))
def fa_inv_spd(x):
    a = x + x.T + 110.0 * np.eye(_N)
    return factored.factored_inv(factored.factorize(a), a)


@case(factored.factored_inv, (_N, _N))
def fa_inv_upper(x):
    a = np.triu(x) + 40.0 * np.eye(_N)
    return factored.factored_inv(factored.factorize(a), a)


@case(factored.factored_slogdet, (_N, _N))
def fa_slogdet_spd(x):
    a = x + x.T + 110.0 * np.eye(_N)
    return factored.factored_slogdet(factored.factorize(a), a)


@case(factored.factored_slogdet, arg((3, 3), "matrix"))
def fa_slogdet_general(a):
    return factored.factored_slogdet(factored.factorize(a), a)


# -- helpers the transforms emit (read back in for higher derivatives) ------------------------


@case(runtime.with_item, (2, 3), (3,), (2, 3))
def rt_with_item(x_dot, value_dot, x):
    return runtime.with_item(x_dot, 1, value_dot, x)


@case(runtime.with_item, (2, 3), (), (2, 3))
def rt_with_item_scalar(x_dot, value_dot, x):
    return runtime.with_item(x_dot, (0, slice(1, 3)), value_dot, x)


@case(runtime.without_item, (2, 3))
def rt_without_item(x_bar):
    return runtime.without_item(x_bar, (1, slice(0, 2)))


# -- np.r_ / np.c_ (normalized to runtime.index_concat) and np.nan_to_num ------------------------------

ITEMS = (np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, -0.75]))


@case(runtime.index_concat, (3,), (2, 2))
def r_items(x, y):
    return np.r_[x, 1:3, y.ravel(), x[0]]


@case(runtime.index_concat, (3,), (3,))
def c_items(x, y):
    return np.c_[x, y, np.ones(3)]


@case(runtime.index_concat_tangent, (3,), (3,))
def rt_index_concat_tangent(x, y):
    return runtime.index_concat_tangent((x, y), np.c_, ITEMS, 1.0)


@case(runtime.index_concat_adjoint, (7,))
def rt_index_concat_adjoint(g):
    return runtime.index_concat_adjoint(g, np.r_, (ITEMS[0], slice(0, 1), ITEMS[1]))


@case(np.nan_to_num, (2, 3))
def nan_to_num_of_nan(x):
    return np.nan_to_num(np.sqrt(x), nan=0.5)


@case(np.nan_to_num, (2, 3), ())
def nan_to_num_active_nan(x, y):
    return np.nan_to_num(np.sqrt(x), nan=y)


# -- helpers that second and third derivatives meet -------------------------------------------------


@case(runtime.spread_zero, (2, 3), (2, 3), wrt=(0,))
def rt_spread_zero(g, like):
    return runtime.spread_zero(g, like)


@case(runtime.spread_zero, (), (2, 3), wrt=(0,))
def rt_spread_zero_scalar(g, like):
    return runtime.spread_zero(g, like)


@case(runtime.cotangent_like_adjoint, (3,), wrt=(0,))
def rt_cotangent_like_adjoint(ct):
    return runtime.cotangent_like_adjoint(ct, {0: 1.0, 2: 1.0})[2] * 1.0


@case(runtime.owned_adjoint, (2, 3), (3,), wrt=(0,))
def rt_owned_adjoint(ct, t):
    return runtime.owned_adjoint(ct, t)


@case(runtime.pieces, (3,), (3,), wrt=(0, 1))
def rt_pieces(a, b):
    return runtime.pieces([a, b])


@case(runtime.prod_others_dot, (3, 4), arg((3, 4), "sparse"))
def rt_prod_others_dot(t, a):
    return runtime.prod_others_dot(t, a, 1)


@case(runtime.prod_others_dot, (2, 3), (2, 3))
def rt_prod_others_dot_all(t, a):
    return runtime.prod_others_dot(t, a)


PROD_A = np.array([[0.5, 0.0, -1.2, 2.0], [1.5, 0.7, 0.0, 0.0]])


@case(runtime.prod_others_ddot, (2, 4), (2, 4))
def rt_prod_others_ddot(t, s):
    """Linear in t and s; in a it would be a fourth derivative of prod, refused (test_regressions_wave2)."""
    return runtime.prod_others_ddot(t, s, PROD_A, 1)


@case(runtime.tri_solve, arg((4, 4), "matrix"), (4,))
def rt_tri_solve(a, b):
    return runtime.tri_solve(a, b, True)


@case(runtime.tri_solve, arg((4, 4), "matrix"), (4, 2))
def rt_tri_solve_upper(a, b):
    return runtime.tri_solve(a, b, False)


@case(runtime.tri_inv, arg((4, 4), "matrix"))
def rt_tri_inv(a):
    return runtime.tri_inv(a)


@case(runtime.unappend, (3,), (3,), wrt=(0, 1), float32=False)
def rt_unappend(g0, g1):
    """Forward mode only: reverse mode over an unappend is refused (test_rules.REVERSE_REFUSED)."""
    xs = [1.0, 2.0]
    return runtime.unappend(xs, [g0, g1]) * 1.0


# -- vmap's helpers --------------------------------------------------------------------------


@case(runtime_vmap.take, (4, 3), wrt=(0,))
def rt_vmap_take(x):
    return runtime_vmap.take(x, 2, 0)


@case(runtime_vmap.take, (3, 4, 2), wrt=(0,))
def rt_vmap_take_axis(x):
    return runtime_vmap.take(x, 1, 1)


@case(runtime_vmap.untake, (3,), (4, 3), wrt=(0,))
def rt_vmap_untake(g, x):
    return runtime_vmap.untake(g, x, 2, 0)


@case(runtime_vmap.stack, (3,), (3,), wrt=(0, 1))
def rt_vmap_stack(a, b):
    return runtime_vmap.stack([a, b], 0)


@case(runtime_vmap.stack, (2, 3), (2, 3), wrt=(0, 1))
def rt_vmap_stack_axis(a, b):
    return runtime_vmap.stack([a, b], 2)


@case(runtime_vmap.unstack, (2, 3), (3,), (3,), wrt=(0,))
def rt_vmap_unstack(g, a, b):
    return runtime_vmap.unstack(g, [a, b], 0)[1]


@case(runtime_vmap.restack, (3,), (3,), (3,), (3,), wrt=(0, 1))
def rt_vmap_restack(a, b, x, y):
    return runtime_vmap.restack([a, b], [x, y], 0)


@case(runtime_vmap.lift, (3, 2), (4, 2), wrt=(0,))
def rt_vmap_lift(x, other):
    return runtime_vmap.lift(x, other, False)


@case(runtime_vmap.batch_sum, (3, 2, 4), wrt=(0,))
def rt_vmap_batch_sum(x):
    return runtime_vmap.batch_sum(x)


@case(runtime_vmap.unsum, (3,), (3, 2, 4), wrt=(0,))
def rt_vmap_unsum(g, x):
    return runtime_vmap.unsum(g, x)


@case(runtime_vmap.batch_mean, (3, 5), wrt=(0,))
def rt_vmap_batch_mean(x):
    return runtime_vmap.batch_mean(x)


@case(runtime_vmap.broadcast_batch, (2, 3), wrt=(0,))
def rt_vmap_broadcast_batch(x):
    return runtime_vmap.broadcast_batch(x, 4)


@case(runtime_vmap.matmul, (3, 4), (3, 4, 2))
def rt_vmap_matmul_rows(a, c):
    return runtime_vmap.matmul(a, c, True, True)


@case(runtime_vmap.matmul, (2, 4), (3, 4))
def rt_vmap_matmul_shared_left(a, c):
    return runtime_vmap.matmul(a, c, False, True)


@case(runtime_vmap.matmul, (3, 1, 4), (4, 2))
def rt_vmap_matmul_outer(a, c):
    return runtime_vmap.matmul(a, c, True, False)


# -- rules of numpy_decomp, numpy_misc and the SciPy modules: in a file of their own ----------------------

from rule_inputs_extra import *  # noqa: E402, F401, F403
from rule_inputs_fft import *  # noqa: E402, F401, F403
