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

Complex parameters (s2sad/complex_io.py): the entry points differentiate a *complex variant* of the function, a
copy whose `__s2sad_complex__` names the parameters that hold complex values. Those are sources too, and a
variant may return a complex result (jvp, vjp and jacobian take it; grad refuses it at the call).
"""

import inspect
import linecache
import operator
import re
import types

import gast
import numpy as np

from . import runtime_core, runtime_fft, runtime_writes
from .errors import LIMITATIONS, S2SADError
from .names import every, statements
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
COMPLEX_RESULT = "a complex result"  # the construct of the refusal that complex_io retries with a variant


def complex_parameters(resolver):
    """The parameters a complex variant (complex_io.variant) holds complex values in; None for a plain function."""
    return getattr(resolver.parsed.func, "__s2sad_complex__", None)


def check(normalized, resolver):
    """Check normalized (its sites resolved by resolver) for complex mode; True when it is in complex mode."""
    seeds = complex_parameters(resolver)
    if not seeds and not any(isinstance(s, gast.Assign) and _source(s.value, resolver)
                             for s in statements(normalized.node)):
        return False  # no complex source among the assignments (found without entering expressions)
    stmts = [n for n in every(normalized.node) if isinstance(n, gast.stmt) and n is not normalized.node]
    maybe = _may_be_complex(stmts, resolver, set(seeds or ()))
    for stmt in stmts:
        _check(stmt, maybe, resolver, normalized, seeds is not None)
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
    return {n.id for node in nodes for n in every(node) if isinstance(n, gast.Name)}


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
    if any(site.prim is r for r in REAL_RESULTS + tuple(ARRAY_FIELDS)):
        return False
    made = _variant_for(site, maybe, resolver) if site.kind == "function" else None
    return made is None or returns_complex(made)


analyzed = None  # (normalized, resolver) of a function: set by driver.py (the front stages are not imported here)
_RETURNS = {}


def returns_complex(made):
    """Whether the complex variant `made` of a function of yours may return a complex value (its returns, by the
    analysis above); a call back into it while this is worked out (recursion) takes it as complex."""
    if made not in _RETURNS:
        _RETURNS[made] = True
        try:
            normalized, resolver = analyzed(made)
        except S2SADError:
            return True
        stmts = [n for n in gast.walk(normalized.node) if isinstance(n, gast.stmt) and n is not normalized.node]
        maybe = _may_be_complex(stmts, resolver, set(made.__s2sad_complex__))
        if len(_RETURNS) > 1024:
            _RETURNS.clear()
        _RETURNS[made] = any(isinstance(s, gast.Return) and _names([s.value]) & maybe for s in stmts)
    return _RETURNS[made]


def _may_be_complex(stmts, resolver, seeds):
    """The names that may hold a complex value (the complex parameters, `seeds`, among them), closed over every
    assignment."""
    maybe, grown = seeds, True
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


def _check(stmt, maybe, resolver, normalized, complex_result=False):
    if isinstance(stmt, gast.Return):
        if _names([stmt.value]) & maybe and not complex_result:
            _refuse(normalized, resolver, stmt, f"{COMPLEX_RESULT} (complex values stay inside the function that makes "
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
    elif site.kind == "function" and _to_variant(site, maybe, resolver):
        return
    elif site.kind in ("function", "method", "unknown"):
        _refuse(normalized, resolver, stmt, f"{site.label} called with complex values (complex values stay inside "
                                      "the function that makes them)")


def _to_variant(site, maybe, resolver):
    """Point a call of a function of yours given complex values at its complex variant (`_variant_for`); False
    where there is none."""
    made = _variant_for(site, maybe, resolver)
    if made is not None:
        site.prim = made
    return made is not None


def _variant_for(site, maybe, resolver):
    """The complex variant of the function of yours a "function" site calls, taking as complex the parameters
    that may get complex values (they become its sources, see `variant`); None where that cannot be told (a
    library function, *args or **kwargs)."""
    func = getattr(site.prim, "__s2sad_complex_of__", site.prim)
    package = (getattr(func, "__module__", None) or "").split(".")[0]  # None for some made functions
    if not inspect.isfunction(func) or package in ("numpy", "scipy", "s2sad"):
        return None
    if any(isinstance(a, gast.Starred) for a in site.args) or None in site.keywords:
        return None
    signature = inspect.signature(func)
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values()):
        return None
    try:
        bound = signature.bind_partial(*site.args, **site.keywords).arguments
    except TypeError:
        return None
    names = tuple(sorted(p for p, atom in bound.items() if _names([atom]) & maybe or _atom_complex(atom, resolver)))
    return variant(func, names)


_VARIANTS = {}


def variant(func, names):
    """A copy of func (same code and environment, a code object of its own, so that its derivatives are cached
    apart) whose derivatives take the parameters `names` as complex and may return complex results."""
    key = (func, tuple(names))
    made = _VARIANTS.get(key)
    if made is None:
        made = types.FunctionType(func.__code__.replace(), func.__globals__, func.__name__, func.__defaults__,
                                  func.__closure__)
        made.__kwdefaults__ = func.__kwdefaults__
        made.__qualname__, made.__module__, made.__doc__ = func.__qualname__, func.__module__, func.__doc__
        made.__s2sad_complex__, made.__s2sad_complex_of__ = frozenset(names), func
        if getattr(func, "__s2sad_every_loop__", None) is not None:
            made.__s2sad_every_loop__ = func.__s2sad_every_loop__
        if len(_VARIANTS) > 1024:
            _VARIANTS.clear()
        _VARIANTS[key] = made
    return made


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
    complex_params = complex_parameters(resolver) or ()
    params = [a.id for a in resolver.parsed.node.args.args if a.id not in complex_params]
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
    filename, where = parsed.filename, parsed.node.name
    found = re.match(r"# generated by s2sad from (.*):(\d+)$", linecache.getline(filename, 1).strip()) \
        if filename.startswith("<s2sad") else None
    if found:  # a derivative differentiated again: the user's function it was generated from
        filename, line = found.group(1), int(found.group(2))
        where = f"{parsed.node.name} (a derivative: second order through complex values that pass between " \
                "functions is not supported)"
    raise S2SADError(f"{construct} is not supported by s2sad in {where}", filename, line, construct, LIMITATIONS)
