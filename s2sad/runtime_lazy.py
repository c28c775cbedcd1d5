"""Branch-free versions of the runtime helpers that look at values, for lazy and traced arrays.

Some helpers of runtime.py test their data to skip work on the common path (`if np.any(zero)`:
mask only where a zero meets an infinite partial). On a Dask array that test computes the
graph; under `jax.jit` it fails on a tracer. namespaces.rebind puts these versions, which always
take the masked path (same values, no test), in their place when the derivative runs on
Dask, CuPy or JAX. They read `np`, which rebind also swaps for the library's namespace.
"""

import numpy as np

from .runtime import Parts
from .runtime import scatter as container_scatter
from .runtime import scatter_add as container_scatter_add
from .runtime_scatter import scatter_add as scatter_into


def times_partial(t, partial):
    """runtime.times_partial without the test: t * partial, zero wherever t or partial is zero."""
    product = np.multiply(t, partial)
    zero = np.logical_or(np.equal(t, 0), np.equal(partial, 0))
    return np.where(np.logical_and(zero, np.logical_not(np.isfinite(product))), np.zeros_like(product), product)


def times_partial_scalar(t, partial):
    return times_partial(t, partial)


def pow_base_partial(a, b):
    """runtime.pow_base_partial without the test: b * a ** (b - 1), 0 where b == 0."""
    partial = np.multiply(b, np.power(a, b - 1))
    return np.where(np.equal(b, 0), np.zeros_like(partial), partial)


def spread_zero(g, like):
    """runtime.spread_zero for any library's array `like` (runtime's tests `type(like) is np.ndarray`)."""
    if not isinstance(g, dict) and hasattr(like, "shape") and hasattr(like, "dtype") and np.ndim(like) \
            and np.ndim(g) == 0:
        return np.zeros(np.shape(like), dtype=np.result_type(like.dtype, np.float32)) + g
    return g


def scatter_add(acc, g, x, index):
    """runtime.scatter_add without its in-place paths (they read NumPy's buffer flags): acc + scatter."""
    if isinstance(acc, Parts) and isinstance(x, (list, tuple, dict)) and not isinstance(index, slice):
        return container_scatter_add(acc, g, x, index)
    return acc + scatter(g, x, index)


def scatter(g, x, index):
    """runtime.scatter: zeros shaped like x with g added at x[index] (through the library's scatter-add)."""
    if isinstance(x, (list, tuple, dict)):
        return container_scatter(g, x, index)
    zero = np.zeros(np.shape(x), dtype=np.result_type(getattr(g, "dtype", float), getattr(x, "dtype", float),
                                                        np.float32))
    return scatter_into(zero, index, g)


OVERRIDES = {"spread_zero": spread_zero, "scatter_add": scatter_add, "scatter": scatter,
             "times_partial": times_partial, "times_partial_scalar": times_partial_scalar,
             "pow_base_partial": pow_base_partial}
