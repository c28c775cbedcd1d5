"""Containers, tangent arithmetic and the refusal of the runtime: the base the other runtime families build on.

A family of the runtime: `runtime.py` re-exports its names, and generated code sees them there.
A leaf: NumPy and the other runtime families only.
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


class Shaped:
    """An array's shape and type without its data: what a record keeps of a value its backward half
    reads only as `unbroadcast(g, x)`'s x (optimize/release.py), so the record does not keep the array."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype


def shaped(x):
    """x's Shaped stand-in when x is an array, else x itself."""
    return Shaped(x.shape, x.dtype) if isinstance(x, np.ndarray) else x


_SHAPED = (np.ndarray, Shaped)


def unbroadcast(g, x):
    """Sum g down to the shape of x, undoing NumPy broadcasting (x may be a Shaped stand-in)."""
    if type(g) is np.ndarray and type(x) in _SHAPED and g.shape == x.shape:  # the common case, cheaply
        return g
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
        kind = np.result_type(x.dtype if isinstance(x, Shaped) else x)
        inexact = np.issubdtype(kind, np.inexact)
        spread = np.broadcast_to(g, np.broadcast_shapes(g.shape, shape))
        return unbroadcast(spread.astype(kind if inexact else g.dtype, copy=True), x)
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
