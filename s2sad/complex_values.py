"""Complex mode: a function that makes complex values (np.fft, a `1j`, a complex global, `dtype=complex`)
is differentiated under JAX's convention (docs/complex.md), and checked here, when its derivative is built,
so that no rule written for real values meets a value that may be complex.

A name *may be complex* when a complex value flows into it (flow-insensitive, as `analyze.activity`):
from a source, or through any call other than the ones whose result is real (abs, real, imag, angle, irfft,
a comparison, a shape). Then, at each call that gets one:

* a rule in COMPLEX_VARIANTS (abs, real, conj...) takes its complex variant;
* a rule marked `complex_safe`, or one without a derivative (`nondiff`), runs as it is;
* any other rule, a function of yours (complex values stay inside the function that makes them), a write
  into an array, and a result that may be complex are refused at the user's line.

A function without a source is left as it was: nothing here changes its derivative.
"""

import operator

import gast
import numpy as np

from . import runtime_core, runtime_fft, runtime_writes
from .errors import LIMITATIONS, S2SADError
from .registry import COMPLEX_VARIANTS

SOURCES = (np.fft.fft, np.fft.ifft, np.fft.rfft, runtime_fft.fft_adjoint, runtime_fft.ifft_adjoint,
           runtime_fft.irfft_adjoint)
REAL_RESULTS = (np.abs, np.absolute, np.real, np.imag, np.angle, np.fft.irfft, runtime_fft.rfft_adjoint,
                operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne, len, np.shape,
                np.ndim, np.size, np.ndarray.shape, np.ndarray.ndim, np.ndarray.size, np.ndarray.dtype)
ARRAY_FIELDS = {np.ndarray.real: np.real, np.ndarray.imag: np.imag}
# builtins that only regroup their operands (`enumerate([v, x])` in a generator expression): complex only when
# one of their operands is, as a container is
REGROUPING = (enumerate, zip, range, reversed, sorted, list, tuple, iter, len, runtime_core.sequence,
              runtime_writes.append)


def check(normalized, resolver):
    """Check normalized (its sites resolved by resolver) for complex mode; True when it is in complex mode."""
    stmts = [n for n in gast.walk(normalized.node) if isinstance(n, gast.stmt) and n is not normalized.node]
    sources = [s for s in stmts if isinstance(s, gast.Assign) and _source(s.value, resolver)]
    if not sources:
        return False
    maybe = _may_be_complex(stmts, resolver)
    for stmt in stmts:
        _check(stmt, maybe, resolver, normalized)
    resolver.complex_mode = True
    return True


def _is_complex(obj):
    if isinstance(obj, type):
        return issubclass(obj, (complex, np.complexfloating))
    if isinstance(obj, np.dtype):
        return obj.kind == "c"
    return isinstance(obj, (complex, np.complexfloating)) or (isinstance(obj, np.ndarray) and obj.dtype.kind == "c")


def _atom_complex(node, resolver):
    """A complex constant, or a name of the function's module or closure holding a complex value or type."""
    if isinstance(node, gast.Constant):
        return isinstance(node.value, complex)
    if isinstance(node, gast.Name) and node.id not in resolver.locals:
        return _is_complex(resolver.lookup_name(node.id))
    if isinstance(node, gast.Attribute):  # np.complex128
        path = _path(node)
        if path is None or path.split(".")[0] in resolver.locals:
            return False
        return _is_complex(resolver.lookup_path(path))
    return False


def _path(node):
    from .build import dotted_path
    return dotted_path(node)


def _source(value, resolver):
    """Whether value makes a complex value whatever its operands: a source function or a complex atom."""
    site = resolver.site(value)
    if isinstance(value, (gast.Constant, gast.Name, gast.Attribute)) and _atom_complex(value, resolver):
        return True
    if site.kind == "rule" and any(site.prim is s for s in SOURCES):
        return True
    return any(_atom_complex(a, resolver) for a in site.operands())


def _names(nodes):
    return {n.id for node in nodes for n in gast.walk(node) if isinstance(n, gast.Name)}


def _result_may_be_complex(value, maybe, resolver):
    if _source(value, resolver):
        return True
    site = resolver.site(value)
    if not (_names(site.operands()) & maybe):
        if site.kind == "function" and any(site.prim is r for r in REGROUPING):
            return False
        return site.kind in ("function", "method", "unknown")  # what a call without a rule returns is not known
    if site.kind == "rule" and site.prim is runtime_fft.real_like:  # real when its second operand is
        return len(site.args) > 1 and bool(_names(site.args[1:]) & maybe)
    return not any(site.prim is r for r in REAL_RESULTS + tuple(ARRAY_FIELDS))


def _may_be_complex(stmts, resolver):
    """The names that may hold a complex value, closed over every assignment."""
    maybe, grown = set(), True
    while grown:
        grown = False
        for stmt in stmts:
            if isinstance(stmt, gast.Assign) and _result_may_be_complex(stmt.value, maybe, resolver):
                new = _names(stmt.targets) - maybe if not isinstance(stmt.targets[0], gast.Subscript) else set()
            elif isinstance(stmt, gast.For) and _names([stmt.iter]) & maybe:
                new = _names([stmt.target]) - maybe
            else:
                continue
            if new:
                maybe |= new
                grown = True
    return maybe


def _check(stmt, maybe, resolver, normalized):
    if isinstance(stmt, gast.Return):
        if _names([stmt.value]) & maybe:
            _refuse(normalized, resolver, stmt, "a complex result (complex values stay inside the function that makes "
                                      "them: return a real value, np.real(...) or np.abs(...))")
        return
    if not isinstance(stmt, (gast.Assign, gast.Expr)):
        return
    value = stmt.value
    if isinstance(stmt, gast.Assign) and not isinstance(stmt.targets[0], (gast.Name, gast.Tuple)) \
            and _names([value] + stmt.targets) & maybe:
        _refuse(normalized, resolver, stmt, "a write of complex values into an array or object")
    site = resolver.site(value)
    if not (_names(site.operands()) & maybe):
        return
    variant = COMPLEX_VARIANTS.get(ARRAY_FIELDS.get(site.prim, site.prim)) if _hashable(site.prim) else None
    if variant is not None and site.kind in ("rule", "function"):
        site.kind, site.rule = "rule", variant
    elif site.kind == "rule":
        if site.rule.kind != "nondiff" and not site.rule.complex_safe:
            _refuse(normalized, resolver, stmt, f"{site.label} on complex values (no rule for them)")
    elif site.kind in ("function", "method", "unknown"):
        _refuse(normalized, resolver, stmt, f"{site.label} called with complex values (complex values stay inside "
                                      "the function that makes them)")


def _hashable(obj):
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def guard_arguments(node, helpers, resolver):
    """node (the generated FunctionDef, or the first of a pair) made to refuse complex arguments when it runs:
    the analysis took the parameters as real. Generated code read back in (a second derivative) is left as it
    is: its parameters (a record, a cotangent) are complex only where the first derivative made them so."""
    if not getattr(resolver, "complex_mode", False) or resolver.parsed.filename.startswith("<s2sad"):
        return
    fn = node[0] if isinstance(node, tuple) else node
    params = [a.id for a in resolver.parsed.node.args.args]
    if params:
        helpers["_real_arguments"] = runtime_fft.real_arguments  # the leading _: no name of the user's
        check = gast.Call(func=gast.Name(id="_real_arguments", ctx=gast.Load(),
                                         annotation=None, type_comment=None),
                          args=[gast.Name(id=p, ctx=gast.Load(), annotation=None, type_comment=None) for p in params],
                          keywords=[])
        fn.body.insert(0, gast.Expr(value=check))


def refuse_jets(resolver, mode):
    """Taylor jets have no complex variants: a function in complex mode is refused there."""
    if getattr(resolver, "complex_mode", False):
        _refuse(None, resolver, resolver.parsed.node, f"{mode} of a function that makes complex values")


def _refuse(normalized, resolver, stmt, construct):
    """S2SADError for construct at stmt's line of the user's function."""
    parsed = resolver.parsed
    line = normalized.origins.get(stmt, parsed.node.lineno) if normalized is not None else parsed.node.lineno
    raise S2SADError(f"{construct} is not supported by s2sad in {parsed.node.name}", parsed.filename, line,
                     construct, LIMITATIONS)
