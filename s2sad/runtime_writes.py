"""Reading and writing items (scatter, item writes and their adjoints) and the reverse sweep's tape.

A family of the runtime: `runtime.py` re-exports its names, and generated code sees them there.
A leaf: NumPy and the other runtime families only.
"""

import numpy as np

from .runtime_core import _FLOAT64, Parts, _entries, part, unbroadcast, zeros_like


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
    for piece in index if isinstance(index, tuple) else (index,):
        if not isinstance(piece, (slice, type(None), type(Ellipsis))):
            arr = np.asarray(piece)
            if arr.dtype.kind in "iu" and arr.size != np.unique(arr).size:
                return True
    return False


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
