"""One scatter-add primitive, `scatter_add(target, index, values)`, implemented per array library.

Reverse mode accumulates a gather's cotangent into the gathered array: `x[index]` read with an
index that may repeat a position needs every repeat added (NumPy's `np.add.at`), not the last
one kept (`x[index] += v`). Each library spells that differently, and one spelling that looks
portable (array-api-extra's `at(x, index).add(v)`) keeps one of the repeats on NumPy but adds
them all on JAX. This module gives the same answer everywhere: `target` plus `values` added at
`index`, every repeat counted. It returns the sum; `target` is left unchanged on every library
(a functional form, the one JAX and Dask can run).

A leaf: NumPy and the standard library; CuPy, JAX and Dask are imported only when their arrays
are met.
"""

import numpy as np


def scatter_add(target, index, values):
    """target + values added at index (repeats counted), as a new array of target's library."""
    kind = library_of(target)
    if kind == "numpy":
        out = np.array(target, copy=True)
        np.add.at(out, index, values)
        return out
    return _SCATTERS[kind](target, index, values)


def library_of(x):
    """"numpy", "cupy", "jax" or "dask": whose array x is (by its class's module, no import)."""
    if isinstance(x, (np.ndarray, np.generic, float, int, complex)):
        return "numpy"
    root = type(x).__module__.split(".")[0]
    if root in ("cupy", "dask"):
        return root
    if root in ("jax", "jaxlib"):
        return "jax"
    raise TypeError(f"s2sad: no scatter-add for arrays of type {type(x).__module__}.{type(x).__name__}")


def _cupy(target, index, values):
    import cupyx

    out = target.copy()
    cupyx.scatter_add(out, index, values)
    return out


def _jax(target, index, values):
    return target.at[index].add(values)  # XLA's scatter adds every repeat


def _dask(target, index, values):
    """Dask, block-wise: each block of values (with its block of target positions, a NumPy index
    known in advance) is scattered by `np.add.at` into a flat zero array of target's size, one task
    per block (`map_blocks`); the blocks' partial sums are added by Dask's tree reduction, then to
    target. Repeats within a block are added by NumPy, those across blocks by the sum; values never
    sit whole in one memory, only target-sized partial sums do (a gather's target is the gathered
    array: parameters, not the data)."""
    import dask.array as da

    index = index if isinstance(index, tuple) else (index,)
    if not all(isinstance(i, (np.ndarray, int, np.integer, slice, type(None), type(Ellipsis), list)) for i in index):
        raise TypeError("s2sad: a Dask scatter-add takes NumPy (not lazy) indices")
    positions = _flat_positions(tuple(target.shape), index)
    values = da.broadcast_to(da.asarray(values), positions.shape).ravel()
    positions = da.from_array(positions.ravel(), chunks=values.chunks)
    size, dtype = int(np.prod(target.shape, dtype=np.int64)), np.result_type(target.dtype, values.dtype)
    parts = da.map_blocks(_block_sums, values, positions, size, dtype, new_axis=1, dtype=dtype,
                          chunks=((1,) * len(values.chunks[0]), (size,)))
    return target + parts.sum(axis=0).reshape(target.shape)


def _block_sums(values, positions, size, dtype):
    """One block's scatter-add into a flat zero array of target's size, as a row (shape (1, size))."""
    out = np.zeros(size, dtype=dtype)
    np.add.at(out, positions, values)
    return out[None, :]


def _flat_positions(shape, index):
    """The flat position in an array of this shape of each element of `array[index]` (NumPy's own
    indexing of a zero-memory grid per axis: only the result is allocated)."""
    positions = np.zeros(np.broadcast_to(np.zeros((), np.intp), shape)[index].shape, dtype=np.intp)
    stride = 1
    for axis in reversed(range(len(shape))):
        grid = np.arange(shape[axis], dtype=np.intp).reshape((-1,) + (1,) * (len(shape) - axis - 1))
        positions = positions + np.broadcast_to(grid, shape)[index] * stride
        stride *= shape[axis]
    return positions


_SCATTERS = {"cupy": _cupy, "jax": _jax, "dask": _dask}
