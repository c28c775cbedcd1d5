"""The few helpers generated code calls. A leaf module: it imports NumPy and nothing else.

Each helper here has a derivative rule in `s2sad.rules`, so code that calls it can be
differentiated again (gradients of gradients).
"""

import numpy as np

_SEQUENCES = (list, tuple, np.ndarray, range)


def sequence(xs):
    """xs itself when it can be indexed by position, else a list of its items."""
    return xs if isinstance(xs, _SEQUENCES) else list(xs)


def index_order(a, order):
    """"C" or "F": the index order in which np.reshape / np.ravel with `order` read a's elements.

    "A" reads in Fortran order when a is Fortran-contiguous and not C-contiguous (NumPy's rule),
    so the derivative must follow a's layout, not its tangent's or cotangent's."""
    if order in (None, "C", "c"):
        return "C"
    if order in ("F", "f"):
        return "F"
    flags = np.asarray(a).flags
    if order in ("A", "a"):
        return "F" if flags.f_contiguous and not flags.c_contiguous else "C"
    raise Refusal(f"derivatives of a reshape with order={order!r}", "reshape")


def memory_permutation(a):
    """perm with np.ravel(a, order="K") == np.ravel(a)[perm]: a's elements in the order they lie in
    memory (negative strides read forwards, as NumPy does)."""
    a = np.asarray(a)
    offsets = np.zeros(a.shape, dtype=np.intp)
    for axis, (n, stride) in enumerate(zip(a.shape, a.strides)):
        offsets = offsets + np.reshape(np.arange(n) * abs(stride), (n,) + (1,) * (a.ndim - axis - 1))
    return np.argsort(np.ravel(offsets), kind="stable")


def ravel_like(t, a, order="C"):
    """t (shaped like a) read as np.ravel(a, order) reads a: the tangent of ravel and flatten."""
    if order in ("K", "k"):
        return np.ravel(t)[memory_permutation(a)]
    return np.ravel(t, order=index_order(a, order))


def unravel_like(g, a, order="C"):
    """The adjoint of ravel_like: the flat cotangent g put back in a's shape."""
    if order in ("K", "k"):
        out = np.empty(np.size(a), dtype=np.result_type(g))
        out[memory_permutation(a)] = g
        return np.reshape(out, np.shape(a))
    return np.reshape(g, np.shape(a), order=index_order(a, order))


class Refusal(NotImplementedError):
    """Raised by a helper when the values at run time are ones s2sad cannot differentiate correctly;
    the generated function's handler turns it into an S2SADError at the user's line (emit.py)."""

    def __init__(self, message, construct=None):
        super().__init__(message)
        self.construct = construct


def real_only(value, construct="value"):
    """value, if it is real: the rules are written for real values (a complex intermediate of a real
    function would need JAX's conjugate convention in every rule), so a complex one is refused."""
    if np.iscomplexobj(value):
        raise Refusal(f"{construct} of a complex value: s2sad differentiates real values only "
                      "(compute with real and imaginary parts as separate real arrays)", construct)
    return value


def real_cotangent(g, x, construct="value"):
    """g, the cotangent of a rule that is right for a real operand x only (np.real, np.conj)."""
    real_only(x, construct)
    return g


def unbroadcast(g, x):
    """Sum g down to the shape of x, undoing NumPy broadcasting."""
    if isinstance(g, dict) and isinstance(x, (list, tuple)):  # xs + ys on lists: which items are whose?
        raise TypeError("s2sad: joining lists with + or * has no reverse-mode derivative; "
                        "build the list with append or a list comprehension")
    if isinstance(x, list) and isinstance(g, list):  # a stack's cotangent (a third derivative): as it is
        return g
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra < 0:  # a scalar cotangent (a loop's zero start) stands for the same value everywhere in x
        inexact = np.issubdtype(np.result_type(x), np.inexact)
        spread = np.broadcast_to(g, np.broadcast_shapes(g.shape, shape))
        return unbroadcast(spread.astype(np.result_type(x) if inexact else g.dtype, copy=True), x)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if kept:
        g = g.sum(axis=kept, keepdims=True)
    return g.reshape(shape) if shape else g[()]


def broadcast_like(g, x):
    """g broadcast to the shape of x: the transpose of unbroadcast.

    For a container x (a tuple, list or dict: a record or a cotangent differentiated again),
    g is already its cotangent in one of its forms, or a bare zero."""
    if isinstance(x, (tuple, list, dict)):
        return g if isinstance(g, (tuple, list, dict)) else zeros_like(x)
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    if isinstance(g, (int, float)) and np.issubdtype(np.result_type(x), np.inexact):
        g = np.asarray(g, dtype=np.result_type(x))  # a Python number takes x's precision, as in NumPy arithmetic
    return np.broadcast_to(g, shape)


def zeros_like(x):
    """A zero with x's shape: 0.0 for a scalar, the same structure for a list, tuple or dict."""
    if isinstance(x, np.ndarray):
        return np.zeros_like(x, dtype=np.result_type(x.dtype, np.float32))
    if isinstance(x, (list, tuple)):
        return rebuild(x, [zeros_like(item) for item in x])
    if isinstance(x, dict):  # a Parts (a cotangent, differentiated again) stays one: Parts add by merging
        zeros = {k: zeros_like(v) for k, v in x.items()}
        return Parts(zeros) if isinstance(x, Parts) else zeros
    return 0.0


def spread_zero(g, like):
    """g, or g spread over the array `like` when g is a scalar: the adjoint of a branch not taken or of a
    loop that did not run is a bare 0.0 standing for zeros of any shape, which an adjoint that splits,
    reshapes or contracts its cotangent (concatenate's, reshape's, matmul's) cannot take as it is."""
    if type(like) is np.ndarray and like.ndim and np.ndim(g) == 0 and not isinstance(g, dict):
        return np.full(like.shape, g, dtype=np.result_type(like.dtype, g, np.float32))
    return g


def inexact_only(t, ans):
    """t where ans has a float or complex dtype, exact zeros shaped like t where ans holds integers or
    booleans: a cast to an exact dtype (`x.astype(int)`, `np.asarray(x, dtype=bool)`) is piecewise
    constant, so it carries no derivative (JAX's float0)."""
    if np.issubdtype(np.result_type(ans), np.inexact):
        return t
    return np.zeros(np.shape(t)) if np.ndim(t) else 0.0


_FLOAT64 = np.float64


def times_partial(t, partial):
    """t * partial, exactly zero wherever t (or the partial) is zero, even where the other is infinite or NaN.

    A zero tangent or cotangent carries no derivative through a point where a rule's partial is
    singular (sqrt or log at 0, 1 / C for a tiny C): as a symbolic zero would in JAX, it must not
    turn into 0 * inf = NaN. Symmetric, so the rule of times_partial itself (partials `partial`
    and `t`) keeps the property at second order. Elsewhere the product is the plain one."""
    tt, tp = type(t), type(partial)
    if (tt is float or tt is _FLOAT64) and (tp is float or tp is _FLOAT64):  # scalar loops: no NumPy call
        if t and partial:  # no zero to keep (a NaN is true)
            return t * partial
        if tt is float and tp is float:
            product = t * partial
            return product if product - product == 0.0 else 0.0  # a finite product of a zero is a zero
    with np.errstate(invalid="ignore"):
        product = np.multiply(t, partial)
    if np.result_type(product).kind not in "fc" or np.all(np.isfinite(product)):
        return product  # the common case: nothing to mask (a finite product of a zero is zero)
    zero = np.logical_or(np.equal(t, 0), np.equal(partial, 0))
    if not np.any(zero):
        return product
    if np.ndim(product) == 0:
        return type(product)(0) if isinstance(product, (float, complex)) else product.dtype.type(0)
    return np.where(zero, 0, product)


def times_partial_scalar(t, partial):
    """times_partial for a t and a partial the shapes table proves of rank 0 (a specialized
    derivative, never differentiated again): the optimizer writes the call out as
    `(t * partial if t and partial else times_partial_scalar(t, partial))`, the plain product
    with no call wherever neither is zero, the helper for the zeros."""
    return times_partial(t, partial)


def pow_base_partial(a, b):
    """d(a ** b)/da = b * a ** (b - 1), and 0 where b == 0 (a ** 0 is constant, even at a == 0, where
    a ** -1 is infinite, or a ZeroDivisionError for Python floats): JAX's convention."""
    with np.errstate(divide="ignore", invalid="ignore"):
        partial = np.multiply(b, np.power(a, b - 1))  # `b - 1` keeps a Python b weakly typed (NEP 50)
    zero = np.equal(b, 0)
    return np.where(zero, 0, partial)[()] if np.any(zero) else partial


def pow_exponent_partial(a, power):
    """d(a ** b)/db = power * log(a) with power = a ** b, and 0 where a == 0: the derivative JAX gives
    at base 0 (the limit from the right where b > 0), where log(0) = -inf would make 0 * -inf = NaN."""
    safe = np.where(np.equal(a, 0), np.ones_like(a), a)
    return np.multiply(power, np.log(safe, dtype=np.result_type(power)))


def rebuild(x, items):
    """A list or tuple like x (a named tuple too) holding items."""
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*items)
    return type(x)(items)


class Parts(dict):
    """The cotangent of a list, tuple or dict: one entry per item that has one, the rest zero.

    Reading `xs[0]` gives xs the cotangent `Parts({0: g})`, not a list of zeros, so a
    loop over a long list or a dict of large arrays costs what it reads. Adding merges
    entries; NumPy defers to it (`__array_ufunc__ = None`), so `array + Parts` merges too.
    """

    __array_ufunc__ = None

    def __add__(self, other):
        out = Parts(self)
        for k, v in _entries(other):
            out[k] = out[k] + v if k in out else v
        return out

    __radd__ = __add__


def _entries(g):
    """(key, cotangent) pairs of a container's cotangent, written in any of its forms."""
    if isinstance(g, dict):
        return g.items()
    if isinstance(g, (list, tuple)) or (isinstance(g, np.ndarray) and g.ndim):
        return enumerate(g)
    if np.ndim(g) == 0 and not np.any(g):
        return ()
    raise TypeError(f"cannot add {type(g).__name__} to the cotangent of a container")


def cotangent_like(g, xs):
    """g, the cotangent of list(xs), in the form of xs's own: an array when xs is an array."""
    if isinstance(xs, np.ndarray) and isinstance(g, dict):
        out = zeros_like(xs)
        for k, v in g.items():
            out[k] += v
        return out
    return g


def cotangent_like_adjoint(ct, g):
    """The transpose of cotangent_like: ct read back at g's entries."""
    return Parts((k, ct[k]) for k in g) if isinstance(g, dict) else ct


class Sum(tuple):
    """A tuple of tangents that adds item by item: the terms of a rule whose result is a tuple
    (divmod's (quotient, remainder)) add up to the tangent of that tuple, not to a longer tuple."""

    def __add__(self, other):
        if isinstance(other, tuple):
            return Sum(a + b for a, b in zip(self, other))
        return NotImplemented

    __radd__ = __add__


def part(g, key):
    """Item `key` of g, a container's cotangent or tangent (zero when it has none); a string key of
    a value other than a dict is an attribute (the tangent of a namedtuple, dataclass or object)."""
    if isinstance(g, dict):
        return g.get(key, 0.0)
    if isinstance(key, str):
        return getattr(g, key, 0.0)
    if isinstance(g, (list, tuple)) or (isinstance(g, np.ndarray) and g.ndim):
        return g[key]
    return 0.0


def field(x, name):
    """x.name: the primitive behind reading an attribute (`p.w`) of a namedtuple, dataclass or object,
    whose derivative is the field's own, as for an item of a container (`field_adjoint`)."""
    return getattr(x, name)


def field_adjoint(g, x, name):
    """The cotangent of x given g, the cotangent of x.name: one entry, keyed as `part` reads it back
    (a namedtuple's field by its position, so that `p.w` and `p[0]` add up), the rest zero."""
    fields = getattr(type(x), "_fields", None)
    if isinstance(x, tuple) and fields and name in fields:
        return Parts({fields.index(name): g})
    return Parts({name: g})


def field_part(ct, x, name):
    """The transpose of field_adjoint: ct's entry for x.name."""
    fields = getattr(type(x), "_fields", None)
    return part(ct, fields.index(name) if isinstance(x, tuple) and fields and name in fields else name)


def _position(x, index):
    return index % len(x) if isinstance(x, (list, tuple)) and isinstance(index, (int, np.integer)) else index


def scatter(g, x, index):
    """Zeros shaped like x with g added at x[index]: the adjoint of reading x[index]."""
    if isinstance(x, (list, tuple, dict)):
        if isinstance(index, slice):
            return Parts((k, part(g, j)) for j, k in enumerate(range(len(x))[index]))
        return Parts({_position(x, index): g})
    out = np.zeros(np.shape(x), dtype=np.result_type(g, getattr(x, "dtype", float), np.float32))
    np.add.at(out, index, g)
    return out


def _own_buffer(a):
    """Whether an in-place update of the array a changes nothing but a: it is writable and no view of
    another array's memory (a broadcast seed from sum_adjoint, a reshaped or sliced cotangent)."""
    return a.base is None and a.flags.writeable


def scatter_add(acc, g, x, index):
    """acc + scatter(g, x, index), adding in place into acc when acc owns its buffer (the transform proved
    no other variable holds it; the optimizer may still have made it a view, `x_bar = 0.0 + sum_adjoint(...)`
    folded to a broadcast, which is then added out of place)."""
    if type(acc) is np.ndarray and acc.base is None and _int_index(index) and type(x) is np.ndarray \
            and acc.shape == x.shape and (g.dtype == acc.dtype if type(g) is np.ndarray or type(g) is _FLOAT64
                                          else type(g) is float and acc.dtype.kind in "fc") \
            and acc.flags.writeable:
        # the common case in a loop, the checks below made cheap: same answers, same in-place add
        row = acc[index]
        if type(row) is np.ndarray:  # a row: a view of acc, added into where it is
            row += g
        else:
            acc[index] = row + g
        return acc
    if isinstance(acc, np.ndarray) and isinstance(x, np.ndarray) and acc.shape == np.shape(x) \
            and np.can_cast(np.result_type(g), acc.dtype, "same_kind") and _own_buffer(acc):
        if _basic(index):
            acc[index] += g
        else:
            np.add.at(acc, index, g)
        return acc
    if isinstance(acc, Parts) and isinstance(x, (list, tuple, dict)) and not isinstance(index, slice):
        key = _position(x, index)
        acc[key] = acc[key] + g if key in acc else g
        return acc
    return acc + scatter(g, x, index)


def _int_index(index):
    """Whether index is a Python int or a tuple of them (`x[i]`, `x[i, 1]` in a loop): one element or row."""
    return type(index) is int or (type(index) is tuple and all(type(k) is int for k in index))


def _basic(index):
    """Whether index selects each element at most once (ints and slices), so `+=` adds correctly."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


def _repeats(index):
    """Whether an integer-array index names a position twice."""
    for part in index if isinstance(index, tuple) else (index,):
        if not isinstance(part, (slice, type(None), type(Ellipsis))):
            arr = np.asarray(part)
            if arr.dtype.kind in "iu" and arr.size != np.unique(arr).size:
                return True
    return False


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


def sum_adjoint(g, x, axis=None, keepdims=False):
    """g spread back over the axes np.sum(x, axis) reduced."""
    shape = np.shape(x)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape) if shape != np.shape(g) else g


def mean_adjoint(g, x, axis=None, keepdims=False):
    """g spread back over the reduced axes and divided by the count."""
    count = np.size(x) // max(np.size(np.sum(x, axis=axis)), 1)
    return sum_adjoint(g, x, axis, keepdims) / count


def with_item(x_dot, index, value_dot, x):
    """A copy of the tangent x_dot with value_dot written at index: the tangent of `x[index] = value`."""
    if isinstance(x, (list, dict)):
        out = zeros_like(x) if np.ndim(x_dot) == 0 and not isinstance(x_dot, (list, dict)) else type(x_dot)(x_dot)
        if isinstance(out, list) and len(out) < len(x):  # the write appended nothing; lengths agree
            out.extend(zeros_like(item) for item in x[len(out):])
        out[index] = value_dot
        return out
    # at least x's precision: two Python-float tangents must not round to float32 in a float64 array
    inexact = x.dtype if isinstance(x, np.ndarray) and x.dtype.kind in "fc" else np.float32
    out = np.array(x_dot if np.shape(x_dot) == np.shape(x) else np.broadcast_to(x_dot, np.shape(x)),
                   dtype=np.result_type(x_dot, value_dot, inexact))
    out[index] = value_dot
    return out


def owned(t, x):
    """A copy of the tangent t shaped like x: the tangent of an array the function writes into,
    which the writes then change in place."""
    if isinstance(x, np.ndarray):
        dtype = np.result_type(t, x.dtype if np.issubdtype(x.dtype, np.inexact) else np.float64)
        return np.array(np.broadcast_to(t, x.shape), dtype=dtype)
    if isinstance(x, (list, dict)):
        return type(x)(t) if isinstance(t, type(x)) else zeros_like(x)
    return t


def owned_adjoint(ct, t):
    """The transpose of owned: ct summed back to t's shape."""
    return unbroadcast(ct, t) if isinstance(ct, np.ndarray) else ct


def without_item(x_bar, index):
    """A copy of the adjoint x_bar with zeros at index: the element was overwritten."""
    if isinstance(x_bar, (dict, list, tuple)):
        out = Parts(_entries(x_bar))
        out.pop(index if not isinstance(x_bar, (list, tuple)) else index % len(x_bar), None)
        return out
    if np.ndim(x_bar) == 0:
        return x_bar
    out = np.array(x_bar)
    out[index] = 0.0
    return out


def snapshot(value):
    """A copy of value that later writes into the array it came from cannot change."""
    return value.copy() if isinstance(value, np.ndarray) else value


MISSING = None  # what old_item keeps for a dict key a write creates


def own_copy(value):
    """A writable copy of an adjoint that later updates change in place."""
    if isinstance(value, np.ndarray):
        return np.array(value)
    if isinstance(value, dict):
        return Parts(value)
    return value


def clear_item(x_bar, index):
    """without_item, in place when x_bar owns its buffer (see scatter_add)."""
    if isinstance(x_bar, np.ndarray) and x_bar.ndim and _own_buffer(x_bar):
        x_bar[index] = 0.0
        return x_bar
    return without_item(x_bar, index)


def old_item(x, index):
    """x[index] before a write overwrites it, as a copy (MISSING for a key the write adds)."""
    if isinstance(x, dict) and index not in x:
        return MISSING
    return snapshot(x[index])


def item_bar(x_bar, index, value):
    """The cotangent of `value` in `x[index] = value`: x_bar at index, summed to value's shape."""
    if isinstance(x_bar, (dict, list, tuple)):
        return part(x_bar, _position(x_bar, index))
    if np.ndim(x_bar) == 0:
        return zeros_like(value)
    if not _basic(index) and _repeats(index):
        raise ValueError("s2sad: a write x[index] = value with an index that repeats a position keeps only the "
                         "last value there; reverse mode cannot tell which, so write each position once")
    out = unbroadcast(x_bar[index], value)
    return out.copy() if isinstance(out, np.ndarray) and np.may_share_memory(out, x_bar) else out


# The reverse sweep's stack (`_tape`): push(stack, value) keeps a value, pop(stack) gives the last
# one back. They are the list methods themselves, so a tape operation costs no extra Python call;
# the transforms differentiate push and pop themselves (stacks.py).
push = list.append
pop = list.pop


def is_array(x):
    """Whether x is a NumPy array (an augmented assignment to it would write in place)."""
    return isinstance(x, np.ndarray)


def shares_memory(view, array):
    """Whether view is an array that may share memory with array (a write into one shows in the other)."""
    return isinstance(view, np.ndarray) and isinstance(array, np.ndarray) and np.may_share_memory(view, array)


def append(xs, item):
    """xs.append(item), returning xs: appending as an expression the transforms can pair."""
    xs.append(item)
    return xs


def unappend(xs, xs_bar):
    """Undo the last append and hand back the cotangent of the item it added."""
    xs.pop()
    return part(xs_bar, len(xs))


# -- helpers of the derivative library (s2sad/rules) -----------------------------------
#
# Each is linear in its first argument, or piecewise constant (a mask), unless its
# docstring says otherwise; docs/rules.md lists which have rules of their own.


def _cast_like(out, x):
    """out in x's floating dtype (a cotangent has its primal's dtype)."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.inexact) and np.result_type(out) != dtype:
        return np.asarray(out, dtype=dtype)
    return out


def _axes(axis, ndim):
    """axis (None, an int or a tuple) as a tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(a) % max(ndim, 1) for a in axis)


def refuse(message, construct):
    """Raise the Refusal: for a rule whose derivative s2sad does not compute correctly in one mode."""
    raise Refusal(message, construct)


def pieces(items):
    """A sequence's cotangent from one cotangent per item: an array stacked along a new first
    axis when the items agree in shape (as `scatter` makes them), else a 1-D object array.
    Either can be indexed by position and added to another one like it."""
    items = [np.asarray(item) for item in items]
    if all(item.shape == items[0].shape for item in items):
        return np.stack(items) if items else np.zeros((0,))
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def split_like(x, like, axis=0, sections=None):
    """x cut along axis into pieces the sizes of the items of `like` (concatenate's adjoint).

    Each piece is reshaped to its item's shape, so 0-d and 1-d items of hstack/vstack work;
    axis=None means x is the flat concatenation of the raveled items. Given `sections`, x is
    cut as np.array_split cuts it instead (the transpose of `unsplit` with sections)."""
    x = np.asarray(x)
    if sections is not None:
        return pieces(np.array_split(x, sections, axis))
    if axis is None:
        x, axis = np.ravel(x), 0
    axis = axis % x.ndim
    rest = x.size // x.shape[axis] if x.shape[axis] else 1
    bounds = np.cumsum([np.size(item) // rest for item in like])[:-1]
    parts = np.split(x, bounds, axis=axis)
    return pieces([_cast_like(np.reshape(p, np.shape(item)), item) for p, item in zip(parts, like)])


def unsplit(parts, like, axis=0, sections=None):
    """The pieces of a split glued back along axis into like's shape (split's adjoint).

    parts may be a `Parts` holding only the pieces that were read; `sections` (split's
    indices_or_sections) then gives the shapes of the zero pieces in between."""
    shape = np.shape(like)
    if isinstance(parts, dict):
        if sections is None:
            raise TypeError("unsplit needs the split's sections to fill in the pieces that were never read")
        cut = np.array_split(np.asarray(like), sections, 0 if axis is None else axis)
        parts = [np.broadcast_to(part(parts, i), piece.shape) for i, piece in enumerate(cut)]
    if axis is None or len(shape) == 0:
        flat = np.concatenate([np.ravel(p) for p in parts])
        return _cast_like(np.reshape(flat, shape), like)
    axis = axis % len(shape)
    target = list(shape)
    target[axis] = -1
    out = np.concatenate([np.reshape(p, target) for p in parts], axis=axis)
    return _cast_like(out, like)


def sum_list_adjoint(g, items):
    """The cotangents of the items of builtins.sum(items): g, reduced to each item's shape."""
    return pieces([unbroadcast(g, item) for item in items])


def tie_weights(a, ans, axis=None, keepdims=False):
    """Where a reduction max/min over axis is attained, weight 1/count (ties split equally): piecewise constant."""
    a = np.asarray(a)
    ext = ans if keepdims or axis is None else np.expand_dims(ans, axis)
    mask = a == ext
    dtype = a.dtype if np.issubdtype(a.dtype, np.inexact) else np.float64
    return mask / np.sum(mask, axis=axis, keepdims=True, dtype=dtype)


def prod_others(a, axis=None):
    """The product of every other element along axis, at each element (exact with zeros).

    Not linear: the derivative of prod. Its own derivative is `prod_others_dot`."""
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    moved = np.moveaxis(a, axes, range(a.ndim - len(axes), a.ndim))
    lanes = moved.reshape(moved.shape[: a.ndim - len(axes)] + (-1,))
    one = np.ones(lanes.shape[:-1] + (1,), dtype=lanes.dtype)
    left = np.cumprod(np.concatenate([one, lanes[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([one, lanes[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    out = (left * right).reshape(moved.shape)
    return np.moveaxis(out, range(a.ndim - len(axes), a.ndim), axes)


def prod_others_dot(t, a, axis=None):
    """The derivative of prod_others(a, axis) along t (symmetric, so also its transpose).

    Entry i is sum over j != i of t_j times the product of the elements other than i and j."""
    (lanes, tl), restore = _as_lanes(a, axis, t)
    n = lanes.shape[-1]
    out = np.zeros(lanes.shape, dtype=np.result_type(lanes, tl))
    for i in range(n):  # O(n^2) but exact with zeros; second derivatives of prod only
        others = np.delete(lanes, i, axis=-1)
        t_others = np.delete(tl, i, axis=-1)
        out[..., i] = np.sum(t_others * prod_others(others, -1), axis=-1) if n > 1 else 0.0
    return restore(out)


def _as_lanes(a, axis, *like):
    """a and each of `like` (broadcast to a's shape) with the reduced axes moved last and merged into
    one lane axis, and the function that puts a result of the lanes' shape back in a's layout."""
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    lead = a.ndim - len(axes)
    moved = np.moveaxis(a, axes, range(lead, a.ndim))
    shape = moved.shape
    lanes = moved.reshape(shape[:lead] + (-1,))
    rest = [np.moveaxis(np.broadcast_to(v, a.shape), axes, range(lead, a.ndim)).reshape(lanes.shape) for v in like]
    return [lanes] + rest, lambda out: np.moveaxis(out.reshape(shape), range(lead, a.ndim), axes)


def prod_others_ddot(t, s, a, axis=None):
    """The derivative of prod_others_dot(t, a, axis) in a along s (symmetric in t and s, and in the
    element, so also its transposes): entry i is the sum over distinct j, k != i of t_j s_k times the
    product of the other elements. Third derivatives of prod only: O(n^3)."""
    (lanes, tl, sl), restore = _as_lanes(a, axis, t, s)
    n = lanes.shape[-1]
    out = np.zeros(lanes.shape, dtype=np.result_type(lanes, tl, sl))
    for i in range(n):
        others, t_others, s_others = (np.delete(v, i, axis=-1) for v in (lanes, tl, sl))
        out[..., i] = np.sum(t_others * prod_others_dot(s_others, others, -1), axis=-1) if n > 2 else 0.0
    return restore(out)


def cumsum_adjoint(g, a, axis=None):
    """The cotangent of a in np.cumsum(a, axis): a reversed cumulative sum of g."""
    if axis is None:
        g = np.ravel(g)
        return np.reshape(np.cumsum(g[::-1])[::-1], np.shape(a))
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def diff_adjoint(g, a, n=1, axis=-1):
    """The cotangent of a in np.diff(a, n, axis)."""
    for _ in range(n):
        width = [(0, 0)] * np.ndim(g)
        width[axis % np.ndim(g)] = (1, 1)
        g = -np.diff(np.pad(g, width), axis=axis)
    return g


def norm_slope(x, ord=None, axis=None):
    """The gradient of np.linalg.norm(x, ord, axis) with respect to x (shaped like x).

    Not linear: its derivative is `norm_slope_dot`. At a kink the slope is the average of the
    one-sided slopes: 0 at the origin, ties shared equally (docs/rules.md)."""
    if ord is None and axis is None and type(x) is np.ndarray:  # the 2-norm of all of x: the common case, short
        n = np.linalg.norm(x)
        return x / (n + (n == 0))
    x = np.asarray(x)
    matrix = (axis is None and x.ndim == 2 and ord is not None) or (axis is not None and np.ndim(axis) == 1
                                                                    and len(axis) == 2)
    axes = _axes(axis, x.ndim)
    n = np.linalg.norm(x, ord=ord, axis=axis, keepdims=True)
    safe = n + (n == 0)
    if ord is None or ord == "fro" or (ord == 2 and not matrix):
        return x / safe
    if not matrix:
        if ord == 0:
            return np.zeros_like(x)
        if ord == 1:
            return np.sign(x)
        if ord in (np.inf, -np.inf):
            return np.sign(x) * tie_weights(np.abs(x), n, axes, True)
        return np.sign(x) * (np.abs(x) / safe) ** (ord - 1)
    rows, cols = axes
    if ord in (1, -1):
        sums = np.sum(np.abs(x), axis=rows, keepdims=True)
        return np.sign(x) * tie_weights(sums, n, cols, True)
    if ord in (np.inf, -np.inf):
        sums = np.sum(np.abs(x), axis=cols, keepdims=True)
        return np.sign(x) * tie_weights(sums, n, rows, True)
    moved = np.moveaxis(x, (rows, cols), (-2, -1))
    u, s, vh = np.linalg.svd(moved, full_matrices=False)
    if ord == "nuc":
        slope = u @ vh
    else:
        k = [0] if ord == 2 else [-1]  # the largest or the smallest singular value
        slope = u[..., :, k] @ vh[..., k, :]
    return np.moveaxis(slope, (-2, -1), (rows, cols)).astype(x.dtype, copy=False)


def norm_slope_dot(t, x, ord=None, axis=None):
    """The derivative of norm_slope(x, ord, axis) along t (the norm's Hessian times t; symmetric)."""
    x = np.asarray(x)
    matrix = (axis is None and x.ndim == 2 and ord is not None) or (axis is not None and np.ndim(axis) == 1
                                                                    and len(axis) == 2)
    axes = _axes(axis, x.ndim)
    n = np.linalg.norm(x, ord=ord, axis=axis, keepdims=True)
    safe = n + (n == 0)
    if ord is None or ord == "fro" or (ord == 2 and not matrix):
        s = x / safe
        return (t - s * np.sum(s * t, axis=axes, keepdims=True)) / safe
    if ord in (0, 1, -1, np.inf, -np.inf):
        return np.zeros(np.broadcast_shapes(np.shape(t), x.shape), dtype=np.result_type(t, x))
    if not matrix:
        s = norm_slope(x, ord, axis)
        return (ord - 1) * ((np.abs(x) / safe) ** (ord - 2) * t - s * np.sum(s * t, axis=axes, keepdims=True)) / safe
    raise Refusal(f"second derivatives of np.linalg.norm with ord={ord!r}", "np.linalg.norm")


def tile_adjoint(g, a, reps):
    """The cotangent of a in np.tile(a, reps): g's tiles summed."""
    shape = np.shape(a)
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    d = max(len(shape), len(reps))
    full = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + reps
    split = [n for pair in zip(reps, full) for n in pair]
    summed = np.sum(np.reshape(g, split), axis=tuple(range(0, 2 * d, 2)))
    return np.reshape(summed, shape)


def repeat_adjoint(g, a, repeats, axis=None):
    """The cotangent of a in np.repeat(a, repeats, axis): the copies of each element summed."""
    shape = np.shape(a)
    if axis is None:
        n = int(np.prod(shape, dtype=int))
        owner = np.repeat(np.arange(n), repeats)
        out = np.zeros(n, dtype=np.result_type(g, np.float32))
        np.add.at(out, owner, np.ravel(g))
        return _cast_like(np.reshape(out, shape), a)
    axis = axis % len(shape)
    owner = np.repeat(np.arange(shape[axis]), repeats)
    moved = np.moveaxis(np.asarray(g), axis, 0)
    out = np.zeros((shape[axis],) + moved.shape[1:], dtype=np.result_type(g, np.float32))
    np.add.at(out, owner, moved)
    return _cast_like(np.moveaxis(out, 0, axis), a)


def diag_adjoint(g, v, k=0):
    """The cotangent of v in np.diag(v, k): read off the diagonal, or put back on it."""
    if np.ndim(v) == 1:
        return np.diag(g, k)
    out = np.zeros(np.shape(v), dtype=np.result_type(g, np.float32))
    rows = np.arange(np.size(g)) + max(-k, 0)
    out[rows, rows + k] = g
    return _cast_like(out, v)


def diagonal_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """The cotangent of a in np.diagonal(a, offset, axis1, axis2): g put on that diagonal."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, np.float32))
    nd = out.ndim
    view = np.moveaxis(out, (axis1 % nd, axis2 % nd), (-2, -1))
    g = np.asarray(g)
    idx = np.arange(g.shape[-1]) if g.ndim else np.arange(1)
    view[..., idx + max(-offset, 0), idx + max(offset, 0)] = g
    return _cast_like(out, a)


def trace_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """The cotangent of a in np.trace(a, offset, axis1, axis2): g on the diagonal."""
    diag = np.diagonal(a, offset, axis1, axis2)
    return diagonal_adjoint(np.broadcast_to(np.expand_dims(g, -1), diag.shape), a, offset, axis1, axis2)


def _pad_index(shape, pad_width, mode):
    """Which element of the unpadded array each element of np.pad(..., mode) copies (-1: a constant)."""
    index = np.arange(int(np.prod(shape, dtype=int))).reshape(shape)
    if mode == "constant":
        return np.pad(index, pad_width, mode="constant", constant_values=-1)
    if mode in ("edge", "reflect", "symmetric", "wrap"):
        return np.pad(index, pad_width, mode=mode)
    raise Refusal(f"derivatives of np.pad with mode={mode!r} (constant, edge, reflect, symmetric, wrap)", "np.pad")


def pad_tangent(t, pad_width, mode="constant"):
    """The tangent of np.pad(array, pad_width, mode): the tangent padded, with zeros for constants."""
    t = np.asarray(t)
    index = _pad_index(t.shape, pad_width, mode)
    out = np.ravel(t)[np.maximum(index, 0)]
    return np.where(index >= 0, out, np.zeros((), dtype=out.dtype))


def pad_adjoint(g, array, pad_width, mode="constant"):
    """The cotangent of array in np.pad(array, pad_width, mode): g summed back onto what it copied."""
    shape = np.shape(array)
    index = np.ravel(_pad_index(shape, pad_width, mode))
    keep = index >= 0
    out = np.zeros(int(np.prod(shape, dtype=int)), dtype=np.result_type(g, np.float32))
    np.add.at(out, index[keep], np.ravel(g)[keep])
    return _cast_like(np.reshape(out, shape), array)


def take_adjoint(g, a, indices, axis=None):
    """The cotangent of a in np.take(a, indices, axis): g added back where it was taken from."""
    shape = np.shape(a)
    if axis is None:
        out = np.zeros(int(np.prod(shape, dtype=int)), dtype=np.result_type(g, np.float32))
        np.add.at(out, np.ravel(indices), np.ravel(np.broadcast_to(g, np.shape(indices))))
        return _cast_like(np.reshape(out, shape), a)
    axis = axis % len(shape)
    out = np.zeros(shape, dtype=np.result_type(g, np.float32))
    np.add.at(out, (slice(None),) * axis + (np.asarray(indices),), g)
    return _cast_like(out, a)


def take_along_axis_adjoint(g, arr, indices, axis):
    """The cotangent of arr in np.take_along_axis(arr, indices, axis)."""
    shape = np.shape(arr)
    out = np.zeros(shape, dtype=np.result_type(g, np.float32))
    if axis is None:
        np.add.at(out.reshape(-1), indices, g)
        return _cast_like(out, arr)
    axis = axis % len(shape)
    indices = np.asarray(indices)
    grid = np.ogrid[tuple(slice(n) for n in indices.shape)]
    index = tuple(indices if i == axis else np.broadcast_to(grid[i], indices.shape) for i in range(len(shape)))
    np.add.at(out, index, np.broadcast_to(g, indices.shape))
    return _cast_like(out, arr)


def _tie_average(t, sorted_values, axis):
    """t averaged over each run of equal values in sorted_values along axis (ties share)."""
    s = np.moveaxis(sorted_values, axis, -1)
    moved = np.moveaxis(np.broadcast_to(t, np.shape(sorted_values)), axis, -1)
    if s.shape[-1] < 2 or not np.any(s[..., 1:] == s[..., :-1]):
        return t
    lanes = s.reshape(-1, s.shape[-1])
    start = np.concatenate([np.ones((lanes.shape[0], 1), bool), lanes[:, 1:] != lanes[:, :-1]], axis=1)
    group = np.cumsum(start.ravel()) - 1
    values = moved.reshape(-1)
    sums = np.bincount(group, weights=values)
    counts = np.bincount(group)
    out = (sums / counts)[group].astype(moved.dtype, copy=False).reshape(moved.shape)
    return np.moveaxis(out, -1, axis)


def sort_tangent(t, a, axis=-1):
    """The tangent of np.sort(a, axis): t permuted as a's values are (ties averaged)."""
    if axis is None:
        t, a, axis = np.ravel(t), np.ravel(a), -1
    order = np.argsort(a, axis=axis, kind="stable")
    s = np.take_along_axis(a, order, axis)
    return _tie_average(np.take_along_axis(np.broadcast_to(t, np.shape(a)), order, axis), s, axis)


def sort_adjoint(g, a, axis=-1):
    """The cotangent of a in np.sort(a, axis): the transpose of sort_tangent."""
    shape = np.shape(a)
    if axis is None:
        return np.reshape(sort_adjoint(np.ravel(g), np.ravel(a), -1), shape)
    order = np.argsort(a, axis=axis, kind="stable")
    s = np.take_along_axis(a, order, axis)
    g = _tie_average(g, s, axis)
    out = np.zeros(shape, dtype=np.result_type(g, np.float32))
    np.put_along_axis(out, order, g, axis)
    return _cast_like(out, a)


def clip_partial(a, a_min, a_max, wrt, min=None, max=None):
    """d clip(a, a_min, a_max) / d wrt ("a", "a_min" or "a_max") for clip = minimum(maximum(a, a_min), a_max):
    1 or 0 away from the corners, 1/2 where two of them tie (docs/rules.md). Piecewise constant.
    min and max are NumPy 2.1's other names for the bounds."""
    a = np.asarray(a)
    a_min = min if a_min is None else a_min
    a_max = max if a_max is None else a_max
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    dtype = np.result_type(a, 0.5)
    raised = np.maximum(a, lo)
    below_hi = np.heaviside(np.asarray(hi - raised, dtype=dtype), 0.5)
    if wrt == "a":
        return np.heaviside(np.asarray(a - lo, dtype=dtype), 0.5) * below_hi
    if wrt == "a_min":
        return np.heaviside(np.asarray(lo - a, dtype=dtype), 0.5) * below_hi
    return np.heaviside(np.asarray(raised - hi, dtype=dtype), 0.5)


def linspace_ramp(num, endpoint=True, axis=0, like=None):
    """np.linspace(0, 1, num, endpoint) laid along `axis` of the array `like` (np.linspace's result or its
    cotangent), in its dtype: piecewise constant."""
    dtype = np.result_type(like) if np.issubdtype(np.result_type(like), np.floating) else np.float64
    ramp = np.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=dtype)
    ndim = max(np.ndim(like), 1)
    shape = [1] * ndim
    shape[axis % ndim] = num
    return np.reshape(ramp, shape)


# -- products ----------------------------------------------------------------------------


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


# -- linear algebra ------------------------------------------------------------------------


def phi(x):
    """The lower triangle of x with its diagonal halved (used by Cholesky's derivative)."""
    out = np.asarray(np.tril(x), dtype=np.result_type(x, 0.5))  # a fresh array: np.tril copies
    diagonal = np.arange(out.shape[-1])
    out[..., diagonal, diagonal] *= 0.5
    return out


def sym_lower(x):
    """The symmetric matrix whose lower triangle is x's: what np.linalg.cholesky reads of x."""
    return np.tril(x) + np.swapaxes(np.tril(x, -1), -1, -2)


def sym_lower_adjoint(g):
    """The transpose of sym_lower: g's lower triangle plus its upper triangle folded down."""
    return np.tril(g) + np.tril(np.swapaxes(g, -1, -2), -1)


def item_adjoint(g, a, index=()):
    """The cotangent of a in a.item(*index): g at that position (flat for one index), zeros elsewhere."""
    out = np.zeros(np.shape(a), dtype=np.result_type(getattr(a, "dtype", float), np.float32))
    if len(index) > 1:
        out[tuple(index)] = g
    else:
        out.reshape(-1)[index[0] if index else 0] = g
    return out


def item_of(x, index=()):
    """x.item(*index) (the transpose of item_adjoint)."""
    return np.asarray(x).item(*index)


def inverse_axes(axes):
    """The permutation undoing x.transpose(*axes), given the method's argument tuple: piecewise constant."""
    if len(axes) == 1:
        axes = axes[0]
    if axes is None or len(axes) == 0:
        return None
    return np.argsort(axes)


def lower_factor(x, transpose=False):
    """x, or x with its last two axes swapped when `transpose` (Cholesky's upper=True factor)."""
    return np.swapaxes(x, -1, -2) if transpose else x


# Solving and inverting with the matrix's structure, as MATLAB's backslash does: a triangular
# matrix needs no factorization and a symmetric positive definite one only Cholesky's (a third
# of LU's work). The rules' own solves meet both (a Cholesky factor, a covariance), and NumPy
# alone has neither a triangular solve nor an SPD inverse. Same values as np.linalg.solve and
# np.linalg.inv up to rounding, so these two share those functions' rules.

STRUCTURED_MIN = 32  # smaller matrices go straight to NumPy: the checks would cost more than they save
_BLOCK = 64          # tri_solve's blocks: below this, NumPy's solve on the triangle


def solve(a, b):
    """np.linalg.solve(a, b), through the triangle or a Cholesky factor when a has that structure."""
    structure = _structure(a, b)
    if structure == "lower" or structure == "upper":
        return tri_solve(a, b, structure == "lower")
    if structure == "symmetric":
        L = _cholesky(a)
        if L is not None:
            return tri_solve(L.T, tri_solve(L, b, True), False)
    return np.linalg.solve(a, b)


def inv(a):
    """np.linalg.inv(a), through the triangle or a Cholesky factor when a has that structure."""
    structure = _structure(a)
    if structure == "lower":
        return tri_inv(a)
    if structure == "upper":
        return tri_inv(a.T).T
    if structure == "symmetric":
        L = _cholesky(a)
        if L is not None:
            L_inv = tri_inv(L)
            return L_inv.T @ L_inv  # NumPy spots the transposed pair: half a product, exactly symmetric
    return np.linalg.inv(a)


def tri_solve(a, b, lower=True):
    """solve(tril(a), b) (triu when not lower) by halves: two smaller solves and one matrix product,
    so almost all the work runs at matrix-product speed. b: (n,) or (n, k).

    Blocks of at most _BLOCK rows are solved through their inverse: backward stable for the
    block, with an error bound of cond(block) times rounding, as substitution's."""
    a, b = np.asarray(a), np.asarray(b)
    if b.ndim == 1:
        return tri_solve(a, b[:, None], lower)[:, 0]
    n = a.shape[-1]
    if n <= _BLOCK:  # NumPy's solve is slow for many right-hand sides; a small block's inverse is not
        block = np.tril(a) if lower else np.triu(a)
        return np.linalg.solve(block, b) if b.shape[1] < 8 else np.linalg.inv(block) @ b
    h = n // 2
    if lower:
        top = tri_solve(a[:h, :h], b[:h], True)
        return np.concatenate([top, tri_solve(a[h:, h:], b[h:] - a[h:, :h] @ top, True)])
    bottom = tri_solve(a[h:, h:], b[h:], False)
    return np.concatenate([tri_solve(a[:h, :h], b[:h] - a[:h, h:] @ bottom, False), bottom])


def tri_inv(a):
    """inv(tril(a)) by halves: [[A, 0], [C, D]]^-1 = [[A^-1, 0], [-D^-1 C A^-1, D^-1]]."""
    n = a.shape[-1]
    if n <= _BLOCK:
        return np.linalg.inv(np.tril(a))
    h = n // 2
    out = np.zeros_like(a)
    out[:h, :h] = top = tri_inv(a[:h, :h])
    out[h:, h:] = bottom = tri_inv(a[h:, h:])
    out[h:, :h] = -bottom @ (a[h:, :h] @ top)
    return out


def _structure(a, b=None):
    """"lower", "upper", "symmetric" or "" for a large real 2-D a (and a b of at most 2 dimensions).

    Exact tests on the values: a corner decides most matrices in O(1) before the O(n^2) check."""
    if not (isinstance(a, np.ndarray) and a.ndim == 2 and a.shape[0] == a.shape[1] >= STRUCTURED_MIN
            and a.dtype.kind == "f" and (b is None or np.ndim(b) <= 2)):
        return ""
    if a[0, -1] == 0 and not np.triu(a, 1).any():
        return "lower"
    if a[-1, 0] == 0 and not np.tril(a, -1).any():
        return "upper"
    if a[0, -1] == a[-1, 0] and np.array_equal(a, a.T) and (np.diagonal(a) > 0).all():
        return "symmetric"
    return ""


def _cholesky(a):
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:  # symmetric but not positive definite: LU after all
        return None


# -- np.r_ and np.c_ ---------------------------------------------------------------


def index_concat(maker, items):
    """maker[items] for maker np.r_ or np.c_: what `np.r_[x, 1:3]` normalizes to."""
    return maker[tuple(items)]


def _concat_sources(maker, items):
    """For each element of maker[items]: the index of the item it comes from (-1 for the values a
    slice item generates, which are constants) and its flat position in that item."""
    labels, places = [], []
    for k, item in enumerate(items):
        if isinstance(item, str):
            raise Refusal("derivatives of np.r_ / np.c_ with a string directive", "np.r_ / np.c_")
        if isinstance(item, slice):
            made = np.r_[item]
            labels.append(np.full(made.shape, -1))
            places.append(np.zeros(made.shape, dtype=np.intp))
        else:
            shape = np.shape(item)
            labels.append(np.full(shape, k))
            places.append(np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape))
    return maker[tuple(labels)], maker[tuple(places)]


def index_concat_tangent(dots, maker, items, like):
    """The tangent of maker[items] from one tangent per item (items np.r_ / np.c_ only rearrange)."""
    labels, places = _concat_sources(maker, items)
    out = np.zeros(np.shape(labels), dtype=np.result_type(like, np.float32, *(d for d in dots if d is not None)))
    for k, (item, dot) in enumerate(zip(items, dots)):
        if isinstance(item, (slice, str)) or dot is None:
            continue
        mask = labels == k
        out[mask] = np.ravel(np.broadcast_to(dot, np.shape(item)))[places[mask]]
    return out


def index_concat_adjoint(g, maker, items):
    """The cotangents of the items of maker[items], one per item (`pieces`); a slice item gets 0."""
    labels, places = _concat_sources(maker, items)
    g = np.broadcast_to(g, np.shape(labels))
    cts = []
    for k, item in enumerate(items):
        if isinstance(item, (slice, str)):
            cts.append(0.0)
            continue
        mask = labels == k
        ct = np.zeros(int(np.size(item)), dtype=np.result_type(g, np.float32))
        np.add.at(ct, places[mask], g[mask])
        cts.append(ct.reshape(np.shape(item)))
    return pieces(cts)
