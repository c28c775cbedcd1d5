"""Runtime helpers of the rules in `s2sad/rules/numpy_misc.py` (convolve and correlate, interp, gradient,
select, rollaxis, sorted): generated code calls them, and each has a rule of its own there.

A leaf: NumPy, the standard library, `runtime` and `errors`.
"""

import numpy as np

from .runtime import Refusal, sort_adjoint, sort_tangent

# -- convolve and correlate ------------------------------------------------------------------------------


def conv(a, v, mode="full", kind="convolve"):
    """np.convolve(a, v, mode) or np.correlate(a, v, mode) (kind names which)."""
    return np.convolve(a, v, mode) if kind == "convolve" else np.correlate(a, v, mode)


def _full_cotangent(g, n, m, mode, kind):
    """g, the cotangent of conv(a, v, mode) for len(a) = n and len(v) = m, placed in the full result."""
    length = n + m - 1
    g = np.asarray(g)
    if mode == "full":
        return g
    probe_a, probe_v = np.arange(1.0, n + 1) ** 2, np.arange(2.0, m + 2) ** 3
    full, out = conv(probe_a, probe_v, "full", kind), conv(probe_a, probe_v, mode, kind)
    offset = next(k for k in range(length - len(out) + 1) if np.array_equal(full[k:k + len(out)], out))
    padded = np.zeros(length, dtype=np.result_type(g, np.float32))
    padded[offset:offset + len(out)] = g
    return padded


def conv_adjoint_a(g, a, v, mode="full", kind="convolve"):
    """The cotangent of a in conv(a, v, mode, kind). The full correlation is the convolution with v
    reversed, so a's cotangent correlates the full cotangent with v (or with v reversed)."""
    full = _full_cotangent(g, np.size(a), np.size(v), mode, kind)
    w = np.asarray(v) if kind == "convolve" else np.asarray(v)[::-1]
    return np.correlate(full, w, "valid").astype(np.result_type(g, a, v, np.float32), copy=False)


def conv_adjoint_b(g, a, v, mode="full", kind="convolve"):
    """The cotangent of v in conv(a, v, mode, kind)."""
    full = _full_cotangent(g, np.size(a), np.size(v), mode, kind)
    out = np.correlate(full, np.asarray(a), "valid")
    return (out if kind == "convolve" else out[::-1]).astype(np.result_type(g, a, v, np.float32), copy=False)


def convolve_adjoint_a(g, a, v, mode="full"):
    """The cotangent of a in np.convolve(a, v, mode)."""
    return conv_adjoint_a(g, a, v, mode, "convolve")


def convolve_adjoint_b(g, a, v, mode="full"):
    """The cotangent of v in np.convolve(a, v, mode)."""
    return conv_adjoint_b(g, a, v, mode, "convolve")


def correlate_adjoint_a(g, a, v, mode="valid"):
    """The cotangent of a in np.correlate(a, v, mode)."""
    return conv_adjoint_a(g, a, v, mode, "correlate")


def correlate_adjoint_b(g, a, v, mode="valid"):
    """The cotangent of v in np.correlate(a, v, mode)."""
    return conv_adjoint_b(g, a, v, mode, "correlate")


# -- interp ------------------------------------------------------------------------------------------------


def _segments(x, xp):
    """The segment left of x and the segment right of x (they differ only at a knot); -1 or len(xp) - 1 outside."""
    xp = np.asarray(xp)
    return np.searchsorted(xp, x, "left") - 1, np.searchsorted(xp, x, "right") - 1


def interp_values(x, xp, fp, left=None, right=None, period=None, like=None):
    """np.interp(x, xp, fp) with 0 in place of a given `left` or `right`: the tangent of np.interp in fp.
    Float64, as np.interp's values are; in the dtype of `like` when given (a cotangent's)."""
    out = np.interp(x, xp, fp, None if left is None else 0.0, None if right is None else 0.0, period)
    return out if like is None else np.asarray(out, dtype=np.result_type(like, np.float32))


def interp_slope(x, xp, fp, period=None):
    """The slope of np.interp(x, xp, fp) in x: the segment's, 0 outside xp, the average of the two
    segments' at a knot (docs/rules.md). Piecewise constant in x, linear in fp."""
    if period is not None:
        raise NotImplementedError("derivatives of np.interp with period=")
    fp = np.asarray(fp)
    slopes = np.diff(fp) / np.diff(np.asarray(xp))
    n = len(slopes)
    left, right = _segments(x, xp)

    def on(seg):
        inside = (seg >= 0) & (seg < n)
        return np.where(inside, slopes[np.clip(seg, 0, max(n - 1, 0))] if n else 0.0, 0.0)
    return (0.5 * (on(left) + on(right))).astype(np.result_type(fp, np.float32), copy=False)


def interp_slope_adjoint(g, x, xp):
    """The transpose of fp -> interp_slope(x, xp, fp): g's share of each slope, spread onto fp."""
    xp = np.asarray(xp)
    dx = np.diff(xp)
    n = len(dx)
    g = np.broadcast_to(g, np.shape(x))
    per_slope = np.zeros(n, dtype=np.result_type(g, np.float32))
    for seg in _segments(x, xp):
        seg = np.ravel(seg)
        inside = (seg >= 0) & (seg < n)
        np.add.at(per_slope, seg[inside], 0.5 * np.ravel(g)[inside])
    out = np.zeros(len(xp), dtype=per_slope.dtype)
    out[1:] += per_slope / dx
    out[:-1] -= per_slope / dx
    return out


def _weights(x, xp, left=None, right=None):
    """For each x: the index k of its segment and the weight t of fp[k + 1] (1 - t of fp[k]), and a
    mask of the x whose value comes from fp (not from a given `left` or `right`)."""
    xp = np.asarray(xp)
    x = np.asarray(x)
    k = np.clip(np.searchsorted(xp, x, "right") - 1, 0, max(len(xp) - 2, 0))
    if len(xp) == 1:
        return k, np.zeros(np.shape(x)), np.ones(np.shape(x), bool)
    t = np.clip((x - xp[k]) / (xp[k + 1] - xp[k]), 0.0, 1.0)
    keep = np.ones(np.shape(x), bool)
    if left is not None:
        keep &= x >= xp[0]
    if right is not None:
        keep &= x <= xp[-1]
    return k, t, keep


def interp_fp_adjoint(g, x, xp, left=None, right=None):
    """The cotangent of fp in np.interp(x, xp, fp, left, right): each g split between its segment's two ends."""
    k, t, keep = _weights(x, xp, left, right)
    g = np.where(keep, np.broadcast_to(g, np.shape(t)), 0.0)
    out = np.zeros(len(xp), dtype=np.result_type(g, np.float32))
    np.add.at(out, np.ravel(k), np.ravel(g * (1.0 - t)))
    if len(xp) > 1:
        np.add.at(out, np.ravel(k) + 1, np.ravel(g * t))
    return out


# -- gradient --------------------------------------------------------------------------------------------


def _axes_of(f, axis):
    ndim = np.ndim(f)
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))


def _stencil_adjoint(g, n, spacing, edge_order):
    """The transpose of np.gradient along the last axis of g (length n). Each output entry reads a window of
    three consecutive inputs (the edges with edge_order=2 too), whose positions differ mod 3: so the
    coefficients are found by applying np.gradient to the three combs (index % 3 == r)."""
    combs = [(np.arange(n) % 3 == r).astype(float) for r in range(3)]
    coeff = np.stack([np.gradient(c, *spacing, edge_order=edge_order) for c in combs])  # (3, n)
    rows = np.arange(n)
    starts = np.clip(rows - 1, 0, max(n - 3, 0))
    out = np.zeros(g.shape, dtype=np.result_type(g, np.float32))
    for shift in range(min(3, n)):
        cols = starts + shift
        weight = coeff[cols % 3, rows]
        np.add.at(np.moveaxis(out, -1, 0), cols, np.moveaxis(g * weight, -1, 0))
    return out


def gradient_adjoint(g, f, varargs=(), axis=None, edge_order=1):
    """The cotangent of f in np.gradient(f, *varargs, axis=axis, edge_order=edge_order); g holds one
    cotangent per axis when the gradient is a tuple (a container's cotangent in any of its forms)."""
    axes = _axes_of(f, axis)
    single = len(axes) == 1
    if len(varargs) == len(axes):
        spacings = list(varargs)
    else:  # one spacing for every axis, or none
        spacings = list(varargs) * len(axes) if varargs else [()] * len(axes)
    out = np.zeros(np.shape(f), dtype=np.result_type(f, np.float32))
    for i, ax in enumerate(axes):
        if single:
            gi = g
        elif isinstance(g, dict):
            gi = g.get(i, 0.0)
        elif isinstance(g, (list, tuple)) or (isinstance(g, np.ndarray) and g.dtype == object) or \
                (isinstance(g, np.ndarray) and g.ndim == np.ndim(f) + 1):
            gi = g[i]
        else:
            gi = 0.0
        gi = np.broadcast_to(np.asarray(gi), np.shape(f))
        spacing = spacings[i]
        spacing = spacing if isinstance(spacing, tuple) else (spacing,)
        moved = _stencil_adjoint(np.moveaxis(gi, ax, -1), np.shape(f)[ax], spacing, edge_order)
        out = out + np.moveaxis(moved, -1, ax)
    return out.astype(np.result_type(f, np.float32) if isinstance(f, np.ndarray) else out.dtype, copy=False)


def gradient_of(t, f, varargs=(), axis=None, edge_order=1):
    """np.gradient(t, *varargs, axis=axis, edge_order=edge_order): gradient_adjoint's transpose."""
    return np.gradient(t, *varargs, axis=axis, edge_order=edge_order)


# -- select, rollaxis, append -----------------------------------------------------------------------------


def select_masks(condlist, ans):
    """One boolean array per choice of np.select (where it is the first true condition), then the default's."""
    conds = [np.broadcast_to(np.asarray(c, bool), np.shape(ans)) for c in condlist]
    taken = np.zeros(np.shape(ans), bool)
    masks = []
    for c in conds:
        masks.append(c & ~taken)
        taken = taken | c
    masks.append(~taken)
    return np.stack(masks)


def rollaxis_adjoint(g, a, axis, start=0):
    """The transpose of np.rollaxis(a, axis, start): g's axes put back (NumPy's own normalization of start)."""
    ndim = np.ndim(a)
    axis = axis % ndim
    start = start + ndim if start < 0 else start
    if axis < start:
        start -= 1
    axes = list(range(ndim))
    axes.remove(axis)
    axes.insert(start, axis)
    return np.transpose(g, np.argsort(axes))


def append_count(arr, axis=None):
    """How many entries (axis None) or slices along axis arr has: where np.append's result splits."""
    return np.size(arr) if axis is None else np.shape(arr)[axis]


# -- sorted --------------------------------------------------------------------------------------------------


def _dense(g, n):
    """A list's cotangent, in any of its forms, as an array of n entries."""
    if isinstance(g, dict):
        out = np.zeros(n)
        for k, v in g.items():
            out[k] += v
        return out
    if np.ndim(g) == 0:
        return np.zeros(n) + g
    return np.asarray([float(x) for x in g]) if isinstance(g, (list, tuple)) else np.asarray(g)


def _no_key(key):
    if key is not None:
        raise Refusal("sorted(..., key=...) has no derivative rule: only sorted(x) and sorted(x, reverse=True)")


def sorted_tangent(t, x, reverse=False, key=None):
    """The tangent of sorted(x, reverse=reverse), a list: t permuted as x's values are (ties averaged)."""
    _no_key(key)
    values = np.asarray(x, dtype=float)
    out = sort_tangent(_dense(t, len(values)), values)
    return list(out[::-1] if reverse else out)


def sorted_adjoint(g, x, reverse=False, key=None):
    """The cotangent of x in sorted(x, reverse=reverse): the transpose of sorted_tangent."""
    _no_key(key)
    values = np.asarray(x, dtype=float)
    g = _dense(g, len(values))
    out = sort_adjoint(g[::-1] if reverse else g, values)
    return out.astype(x.dtype, copy=False) if isinstance(x, np.ndarray) else out
