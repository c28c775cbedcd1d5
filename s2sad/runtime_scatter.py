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
    """Dask: the dense sum of `values` at `index`, built block-wise from one `np.add.at` per block of
    values (each block scatters into a zero array shaped like target), then added: the repeats
    within a block are added by NumPy, those across blocks by the final sum."""
    import dask.array as da

    values = da.broadcast_to(da.asarray(values), np.broadcast_shapes(np.shape(_probe(target, index)),
                                                                      np.shape(values)))
    index = index if isinstance(index, tuple) else (index,)
    if not all(isinstance(i, (np.ndarray, int, np.integer, slice)) for i in index):
        raise TypeError("s2sad: a Dask scatter-add takes NumPy (not lazy) indices")
    dense = da.from_delayed(_dense_delayed(values, index, target.shape, target.dtype), target.shape,
                            dtype=np.result_type(target.dtype, values.dtype))
    return target + dense


def _dense_delayed(values, index, shape, dtype):
    from dask import delayed

    def dense(vals):
        out = np.zeros(shape, dtype=np.result_type(dtype, vals.dtype))
        np.add.at(out, index, vals)
        return out

    return delayed(dense)(values)


def _probe(target, index):
    """A NumPy array shaped like target[index] (what values broadcast to), without computing target."""
    return np.empty(target.shape, dtype=np.bool_)[index]


_SCATTERS = {"cupy": _cupy, "jax": _jax, "dask": _dask}
