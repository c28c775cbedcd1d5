"""Runtime helpers of the rules in `s2sad/rules/numpy_fft.py`: the adjoints of np.fft's transforms and the
projection of a real value's cotangent onto its real part. Generated code calls them, and each has a rule.

The convention (docs/complex.md): a cotangent c pairs with a tangent v as Re(c * v), no conjugate, as in
JAX. The DFT matrix F is symmetric, so the adjoint of w = fft(x) is fft(w_bar) (same `norm`), and the
adjoint of a map that pads or cuts x to n points along an axis cuts or pads back (`fit`).

A leaf: NumPy and the standard library.
"""

import numpy as np


def real_like(g, x):
    """g's real part when x is real and g complex (a real value's cotangent: the imaginary part a complex
    neighbour gave it pairs with no tangent), else g. A record's or a container's cotangent (a dict of its
    fields' or items', `runtime.Parts`, or a list) item by item."""
    if isinstance(g, dict) and not isinstance(x, np.ndarray):
        return type(g)((k, real_like(v, _item(x, k))) for k, v in g.items())
    if isinstance(g, (list, tuple)) and isinstance(x, (list, tuple)) and len(g) == len(x):
        return type(g)(real_like(v, item) for v, item in zip(g, x)) if not hasattr(g, "_fields") else g
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        return np.real(g)
    return g


def _item(x, key):
    """Item key of a container, or field key of a record (by position in a namedtuple); None when x has none
    (then g's item is taken as a real value's: the function's arguments are real in complex mode)."""
    try:
        return x[key] if isinstance(x, (dict, list, tuple)) else getattr(x, key, None)
    except (KeyError, IndexError, TypeError):
        return None


def _fit(a, m, axis):
    """a cut to, or padded with zeros to, m points along axis (the transpose of itself the other way)."""
    a = np.asarray(a)
    have = a.shape[axis]
    if have >= m:
        return np.take(a, np.arange(m), axis=axis)
    widths = [(0, 0)] * a.ndim
    widths[axis] = (0, m - have)
    return np.pad(a, widths)


def fft_adjoint(g, x, n=None, axis=-1, norm=None):
    """x_bar for w = np.fft.fft(x, n, axis, norm): F is symmetric, so fft(g), cut or padded back to x's length."""
    return real_like(_fit(np.fft.fft(g, axis=axis, norm=norm), np.shape(x)[axis], axis), x)


def ifft_adjoint(g, x, n=None, axis=-1, norm=None):
    """x_bar for w = np.fft.ifft(x, n, axis, norm): the inverse DFT matrix is symmetric too."""
    return real_like(_fit(np.fft.ifft(g, axis=axis, norm=norm), np.shape(x)[axis], axis), x)


def rfft_adjoint(g, x, n=None, axis=-1, norm=None):
    """x_bar for w = np.fft.rfft(x, n, axis, norm), x real: w is the first n//2 + 1 rows of fft(x, n), so
    g padded with zeros to n points, transformed, cut back to x's length, real part."""
    size = np.shape(x)[axis] if n is None else n
    return np.real(_fit(np.fft.fft(_fit(g, size, axis), axis=axis, norm=norm), np.shape(x)[axis], axis))


def _half_weights(size, axis, ndim):
    """a_k of irfft(w, size) = Re(sum_k a_k w_k e^(2 pi i k t / size) / scale): 1 for k = 0 and k = size / 2
    (size even), 2 between, shaped to broadcast along axis."""
    weights = np.full(size // 2 + 1, 2.0)
    weights[0] = 1.0
    if size % 2 == 0:
        weights[-1] = 1.0
    shape = [1] * ndim
    shape[axis] = weights.size
    return weights.reshape(shape)


def irfft_adjoint(g, w, n=None, axis=-1, norm=None):
    """w_bar for y = np.fft.irfft(w, n, axis, norm) = Re(M w), M_tk = a_k e^(2 pi i k t / n) / scale:
    M^T Re(g) = a * ifft(Re(g))[: n//2 + 1] (ifft has the same e^+ and scale), fitted to w's length."""
    size = 2 * (np.shape(w)[axis] - 1) if n is None else n
    g = np.real(g)
    half = _fit(np.fft.ifft(g, axis=axis, norm=norm), size // 2 + 1, axis)
    return _fit(half * _half_weights(size, axis % np.ndim(g), np.ndim(g)), np.shape(w)[axis], axis)


def angle_unit(deg):
    """Degrees per radian when deg, else 1 (np.angle's deg=)."""
    return 180.0 / np.pi if deg else 1.0


def nonzero(a):
    """a with its zeros made ones: the divisor of conj(z) / |z|, whose value at z = 0 is then 0."""
    return np.where(np.equal(a, 0), 1.0, a)


def real_arguments(*values):
    """Refuse a complex argument of a function in complex mode: which of its values may be complex was
    worked out from its code alone (s2sad/complex_values.py), its parameters taken as real."""
    for value in values:
        if _holds_complex(value):
            from .runtime import Refusal
            raise Refusal("a complex argument of a function that makes complex values: s2sad differentiates "
                          "such a function for real arguments only (pass real and imaginary parts apart)",
                          "complex argument")


def _holds_complex(value, depth=0):
    if np.iscomplexobj(value) if isinstance(value, (np.ndarray, np.generic, complex)) else False:
        return True
    if depth > 8:
        return False
    if isinstance(value, (list, tuple)):
        return any(_holds_complex(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(_holds_complex(v, depth + 1) for v in value.values())
    fields = getattr(value, "__dict__", None)
    if isinstance(fields, dict) and not isinstance(value, type):
        return any(_holds_complex(v, depth + 1) for v in fields.values())
    return False
