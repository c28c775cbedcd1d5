"""The pipeline, one stage after another: parse, check, normalize, analyze, transform, optimize, emit.

Every stage's output can be printed with `s2sad.source(f, stage=...)`.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gast

from . import adjoint_reads, build, cache, complex_values, emit, reversing, rules, shapes  # noqa: F401  (importing rules fills the table)
from .analyze import Analyses, activity
from .arity import specialize_calls
from .callables import is_library
from .calls import Callees, variant_name
from .checkpointing import checkpoint_calls
from .desugar import desugar
from .errors import S2SADError
from .forward import forward
from .inner import inner_derivatives
from .lift import lift
from .loops import checkpoint_loops
from .names import names
from .naming import Namer
from .normalize import Normalized, normalize
from .optimize import optimize
from .optimize.release import release_references, slim_record
from .parse import Parsed, parse, unwrap
from .parse import defaults as parse_defaults
from .partials import selects
from .resolve import Resolver
from .reverse import records_table as reverse_records
from .reverse import reverse
from .specialize import specialize
from .stacks import stacks as stack_names
from .syntax import check
from .taylor import taylor
from .unparse import to_source

MODES = ("forward", "reverse")


@dataclass
class Compiled:
    """A generated derivative: the live function and its source."""

    function: Callable[..., Any]
    source: str
    wrt: tuple[str, ...]
    mode: str
    helpers: dict[str, Any]
    backward: Callable[..., Any] | None = None  # mode "split": f_bwd(record, out_bar)
    dependencies: tuple[Any, ...] = ()  # (lookup, path, code) of each user function it calls


def front(func: Callable[..., Any]) -> tuple[Parsed, Normalized]:
    """Parse, check and normalize: what every derivative starts from."""
    parsed = parse(func)
    check(parsed)
    every = getattr(parsed.func, "__s2sad_every_loop__", None)  # grad(f, checkpoint=K)
    front_end = lift(specialize(specialize_calls(inner_derivatives(checkpoint_calls(desugar(parsed))))))
    return parsed, normalize(checkpoint_loops(front_end, every))


def wrt_names(func: Callable[..., Any], wrt: int | str | Sequence[int | str]) -> tuple[str, ...]:
    """Parameter names for a wrt given as positions, names, or a tuple of them."""
    func = unwrap(func)
    code = func.__code__
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise S2SADError(f"wrt must be a parameter position or name, not {item!r}", code.co_filename,
                             code.co_firstlineno, "wrt")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise S2SADError(f"wrt={item} but {func.__name__} has {len(params)} parameters", code.co_filename,
                                 code.co_firstlineno, "wrt")
            item = params[item]
        if item not in params:
            raise S2SADError(f"wrt names {item!r}, which is not a parameter of {func.__name__}{tuple(params)}",
                             code.co_filename, code.co_firstlineno, "wrt")
        names.append(item)
    return tuple(names)


def receivers(receiver):
    """{parameter: class} from `receiver`: None, one (parameter, class) pair (a method's self), or a
    tuple of such pairs (the parameters holding the user's objects, `model(x)`, see api.object_types)."""
    if not receiver:
        return None
    return dict([receiver]) if isinstance(receiver[0], str) else dict(receiver)


def transform(func, mode, wrt, with_value=False, optimized=True, receiver=None, kinds=None, callee=False,
              exact=False):
    """The generated derivative's gast FunctionDef(s), helpers, parsed function and dependencies.

    Mode "split" is reverse mode cut in two for a caller (see calls.py): a pair of
    FunctionDefs, `f_fwd` and `f_bwd`. `receiver` is (parameter, class) for a method
    whose `self` is known, so `self.other_method(...)` resolves, or a tuple of such pairs. `kinds`
    (see shapes.py), one per parameter and the seed's last, specializes reverse mode to such arguments
    (and forward mode, whose "seed" is then the output's kind, GRAD_SEED for grad's scalar output).
    `exact`: a caller selects, so every partial product is exact-zero (partials.selects).
    """
    if mode not in MODES + ("split",) and mode not in _TRANSFORMS and jet_order(mode) is None:
        raise S2SADError(f"mode must be 'forward' or 'reverse', not {mode!r}", construct="mode")
    parsed, normalized = front(func)
    resolver = Resolver(parsed, _locals(normalized), normalized.helpers, receivers(receiver))
    complex_mode = complex_values.check(normalized, resolver)
    table = None
    in_progress = _in_progress()
    callees = Callees(_derive_callee, in_progress, resolver)
    callees.exact = exact or _selects(normalized, resolver, callees, {func.__code__})
    in_progress.append(func.__code__)
    try:
        if jet_order(mode) is not None:  # here, not registered: the callees get their jets through `callees`
            complex_values.refuse_jets(resolver, "Taylor jets")
            node, helpers, derived = taylor(normalized, parsed, resolver, wrt, Namer(normalized.names), callees,
                                            jet_order(mode))
        elif mode in _TRANSFORMS:
            node, helpers, derived = _TRANSFORMS[mode](normalized, parsed, resolver, wrt, Namer(normalized.names))
        elif mode == "forward":
            table = _table(normalized, resolver, kinds, func)
            node, helpers, derived = forward(normalized, parsed, resolver, wrt, Namer(normalized.names), callees,
                                             shapes=table)
            if with_value and node.args.defaults:  # grad's forward mode: the printed tangent default as run
                node.args.defaults[-1] = build.const(1.0)
        else:
            table = _table(normalized, resolver, kinds, func)
            node, helpers, derived = reverse(normalized, parsed, resolver, wrt, lambda: Namer(normalized.names),
                                             with_value, callees, split=mode == "split", shapes=table)
    finally:
        in_progress.pop()
    if optimized and jet_order(mode) is None:
        in_place = None if complex_mode or mode == "forward" else table  # see optimize/inplace.py
        numbers = None if complex_mode else table  # optimize/inline.py, frees.py: forward mode's too
        node = _optimized(node, helpers, derived, (in_place, numbers), _grad_seed(node, mode, kinds, with_value))
    complex_values.guard_arguments(node, helpers, resolver)
    if mode in ("split", "reverse") and getattr(func, "__s2sad_release__", False):  # checkpointed loops: loops.py
        node = _released(node, helpers)
    if callee:
        _name_for_callee(node, func, wrt, parsed.node.name)
    return node, helpers, parsed, callees.dependencies + _resolved(resolver, callees.dependencies)


def _optimized(node, helpers, derived, tables, seed):
    """The derivative (or the split pair) through the optimizer; only a single derivative has grad's seed.
    `derived`: the names the transform made for adjoints and tangents, which the optimizer may treat as
    such. The transform's tree is given up (`owned`): what nothing else holds is optimized in place."""
    if isinstance(node, tuple):
        return tuple(optimize(n, helpers, derived=derived, shapes=tables[0], numbers=tables[1], owned=True)
                     for n in node)
    return optimize(node, helpers, derived=derived, shapes=tables[0], numbers=tables[1], seed=seed, owned=True)


def _released(node, helpers):
    """A derivative of a checkpointed loop's function (or its split halves) holding no dead references,
    the halves' record slimmed first (optimize/release.py)."""
    if not isinstance(node, tuple):
        return release_references(node, helpers)
    slim_record(*node, helpers)
    return tuple(release_references(n, helpers) for n in node)


def _grad_seed(node, mode, kinds, with_value):
    """The parameter of grad's derivative that is always 1.0 (optimize/seed.py): the seed of a reverse
    derivative specialized to grad's kinds (the seed's kind GRAD_SEED), the one tangent of grad's
    forward mode; None for any other derivative, whose callers pass their own."""
    if isinstance(node, tuple) or not kinds or kinds[-1] != shapes.GRAD_SEED or not node.args.args:
        return None
    if mode == "reverse" or (mode == "forward" and with_value):
        return node.args.args[-1].id
    return None


def _table(normalized, resolver, kinds, func):
    """The shapes table of a derivative specialized to `kinds` (None: general), calls of the user's
    functions followed into their own tables (`_callee_output`)."""
    return shapes.infer(normalized, resolver, kinds, _callee_output({func.__code__}, {})) if kinds else None


def scalar_output(func, kinds):
    """Whether the shapes table proves that func returns a value of rank 0 (a scalar) for arguments
    of these kinds (one per parameter): grad's check of the output then needs no value."""
    try:
        parsed, normalized = front(func)
    except S2SADError:
        return False
    resolver = Resolver(parsed, _locals(normalized), normalized.helpers)
    kind = shapes.output_kind(normalized, resolver, list(kinds), _callee_output({func.__code__}, {}))
    return kind is not None and kind[1] == ()


def _callee_output(seen, memo):
    """`callee(func, arg_kinds)` for shapes.infer: the kind of func's output for arguments of these kinds,
    read from func's own table; None for recursion, a function s2sad refuses, or keyword arguments."""
    def output(func, arg_kinds):
        func = unwrap(func)
        key = (func, tuple(arg_kinds))
        if func.__code__ in seen or is_library(func):
            return None
        if key not in memo:
            memo[key] = None  # a call back into it while it is worked out is unknown
            memo[key] = _output_kind(func, arg_kinds, seen | {func.__code__}, memo)
        return memo[key]
    return output


def _output_kind(func, arg_kinds, seen, memo):
    params = list(inspect.signature(func).parameters.values())
    if len(arg_kinds) > len(params) or any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
        return None
    defaults = [shapes.kind_of(p.default) if isinstance(p.default, (int, float)) else None
                for p in params[len(arg_kinds):]]
    try:
        parsed, normalized = front(func)
    except S2SADError:
        return None
    resolver = Resolver(parsed, _locals(normalized), normalized.helpers)
    return shapes.output_kind(normalized, resolver, list(arg_kinds) + defaults, _callee_output(seen, memo))


def _resolved(resolver, known):
    """Dependencies on the names the front stages and the resolver read in the caller's module (a NumPy
    function bound to a global name, a function passed at a call): rebinding one rebuilds the derivative."""
    found, paths = [], {path for _, path, _ in known}
    for path in dict.fromkeys(resolver.parsed.resolved + sorted(resolver.resolved)):
        if path in paths:
            continue
        dependency = (resolver.lookup_path, path, identity(unwrap(resolver.lookup_path(path))))
        found.append(dependency)
    return found


def jet_order(mode):
    """K for Taylor mode "jet:K" (K >= 1), else None."""
    if isinstance(mode, str) and mode.startswith("jet:") and mode[4:].isdigit() and int(mode[4:]) >= 1:
        return int(mode[4:])
    return None


def _selects(normalized, resolver, callees, seen):
    """Whether the function or a user function it calls (at any depth) selects (partials.selects): the
    exact zeros of a callee's selection reach the caller's products as cotangents."""
    if selects(normalized.node, resolver):
        return True
    for call in resolver.nodes(normalized.node):
        site = resolver.site(call) if isinstance(call, gast.Call) else None
        func = callees.target(site) if site is not None and site.kind == "function" else None
        if func is None or func.__code__ in seen:
            continue
        seen.add(func.__code__)
        try:
            parsed, inner = front(func)
        except S2SADError:
            continue  # refused when its derivative is built
        if _selects(inner, Resolver(parsed, _locals(inner), inner.helpers), callees, seen):
            return True
    return False


_TRANSFORMS = {}


def register(mode, build):
    """Add a transform of the face's own (batched forward mode) under the name `mode`.

    `build(normalized, parsed, resolver, wrt, namer) -> (FunctionDef, helpers, derived names)`; its output goes
    through the same stages as forward and reverse mode's: the optimizer, `emit`, the cache
    (`derivative(func, mode, wrt)`). Called with forward mode's arguments (tangents after the
    parameters, zero by default where the function has defaults)."""
    _TRANSFORMS[mode] = build


def _name_for_callee(node, func, wrt, name):
    """Each generated function of a callee's variant named after it (calls.variant_name)."""
    base = variant_name(func, wrt, name)
    for fn in node if isinstance(node, tuple) else (node,):
        fn.name = base + fn.name[len(name):]


_THREAD = threading.local()


def _in_progress():
    """The code objects this thread is transforming right now: a call back into one is recursion.

    Per thread: two threads compiling the same function at once are not recursion."""
    if not hasattr(_THREAD, "in_progress"):
        _THREAD.in_progress = []
    return _THREAD.in_progress


def _derive_callee(func, mode, wrt, receiver, exact=False, kinds=None):
    """A called user function's derivative; `kinds` (its parameters', then its output's, as the caller
    knows them at the call) specialize its reverse halves to them (shapes.py)."""
    if mode == "reverse" and getattr(func, "__s2sad_reversible__", None) is not None:
        return reversing.split(func, wrt, _derive_callee)
    return derivative(func, "split" if mode == "reverse" else mode, wrt, receiver=receiver, callee=True, exact=exact,
                      kinds=kinds if mode == "reverse" else None)


def derivative(func: Callable[..., Any], mode: str, wrt: Sequence[str], with_value: bool = False,
               optimized: bool = True, receiver: Any = None, kinds: tuple[Any, ...] | None = None,
               callee: bool = False, exact: bool = False) -> Compiled:
    """The compiled derivative of func, from the cache when it is there and still current."""
    func = unwrap(func)
    callee = callee and list(wrt) != list(inspect.signature(func).parameters)  # named apart only then
    k = cache.key(func, mode, wrt, with_value, optimized, receiver, kinds, callee, exact)
    hit = cache.get(k)
    if hit is not None and current(hit.dependencies):
        return hit
    with _collector_paused():
        return cache.put(k, _compile(func, mode, wrt, with_value, optimized, receiver, kinds, callee, exact))


def _compile(func, mode, wrt, with_value, optimized, receiver, kinds, callee, exact=False):
    node, helpers, parsed, dependencies = transform(func, mode, wrt, with_value, optimized, receiver, kinds, callee,
                                                    exact)
    defaults = parse_defaults(func)
    if mode == "split":
        (fwd, fwd_source), (bwd, bwd_source) = (emit.load(n, helpers, parsed, d) for n, d in zip(node, (defaults, ())))
        return Compiled(fwd, fwd_source + "\n\n" + bwd_source, wrt, mode, helpers, bwd, dependencies)
    if mode == "reverse":
        defaults += (1.0,)
    elif mode == "forward" and with_value:  # grad's forward mode (api._forward_for_grad): the tangent 1.0
        defaults += (0.0,) * (len(wrt) - 1) + (1.0,)
    elif defaults:
        defaults += (0.0,) * len(wrt)
    fn, source = emit.load(node, helpers, parsed, defaults)
    return Compiled(fn, source, wrt, mode, helpers, None, dependencies)


@contextlib.contextmanager
def _collector_paused():
    """No cyclic garbage collection while a transform runs: its tens of thousands of short-lived tree
    nodes (freed by reference counting: trees hold no cycles) would set off dozens of collections,
    up to a tenth of a first transformation's time. Collection resumes after, as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def current(dependencies):
    """Whether every helper a derivative called is still the function it was (no notebook edit since), and
    every name it read still names the same object."""
    for lookup, path, code in dependencies:
        if identity(unwrap(lookup(path))) is not code:
            return False
    return True


def identity(obj):
    """What a dependency compares: a Python function's code (redefined means changed), any other object itself."""
    return obj.__code__ if inspect.isfunction(obj) else obj


def callee_sources(compiled):
    """The sources of the generated derivatives of the user functions these derivatives call, each once.

    They are the generated functions held in the derivatives' closure cells, `f_fwd` before `f_bwd`."""
    seen, sources, todo = set(), [], [c.function for c in compiled]
    while todo:
        fn = todo.pop(0)
        found = []
        for cell in fn.__closure__ or ():
            try:
                obj = cell.cell_contents
            except ValueError:
                continue
            if hasattr(obj, "__s2sad_source__") and id(obj) not in seen:
                seen.add(id(obj))
                found.append(obj)
        found.sort(key=lambda f: (f.__name__.rsplit("_", 1)[0], f.__name__.endswith("_bwd")))
        sources += [f.__s2sad_source__ for f in found]
        todo += found
    return sources


STAGES = ("parse", "anf", "analyses", "reads", "records", "unoptimized", "optimized", "derivative")


def parse_source(func):
    """The parsed function as s2sad reads it (checked; before lifting and normalizing)."""
    parsed = parse(func)
    check(parsed)
    return to_source(parsed.node)


def anf_source(func):
    _, normalized = front(func)
    return to_source(normalized.node)


def analyses(func: Callable[..., Any], wrt: Sequence[str], kinds: tuple[Any, ...] | None = None) -> Analyses:
    """The analyses reverse mode runs on func differentiated with respect to wrt, as an `analyze.Analyses`.

    Which names are active, which may be overwritten, which the adjoint sweep recomputes, reads,
    and so must have recorded (the to-be-recorded analysis, `records_table`, run exhaustively)."""
    normalized, resolver, table, shaped = _records(func, wrt, kinds)
    node = normalized.node
    local = _locals(normalized)
    act = activity(node, resolver, wrt)
    return Analyses(node.name, tuple(wrt), local, act, set(table.candidates), set(table.recorded),
                    set(table.adjoint_reads) & local, set(table.recomputed), stack_names(node, resolver), shaped)


def records_table(func, wrt, kinds=None):
    """What reverse mode records of func and restores, as a `records.Records` (`source(f, stage="records")`):
    the table the reverse transform builds from."""
    return _records(func, wrt, kinds)[2]


def reads_table(func, wrt, kinds=None):
    """What reverse mode's adjoint sweep reads of func, line by line, as an `adjoint_reads.Reads`
    (`source(f, stage="reads")`): computed before the transform, the first half of `records_table`."""
    return _records(func, wrt, kinds, _reads)[2]


def _reads(normalized, parsed, resolver, wrt, callees, shaped):
    """The adjoint reads, once the records table (which raises what reverse mode refuses) is made."""
    _exhaustive_records(normalized, parsed, resolver, wrt, callees, shaped)
    return adjoint_reads.find(normalized, parsed, resolver, wrt, callees, shaped)


def _exhaustive_records(normalized, parsed, resolver, wrt, callees, shaped):
    return reverse_records(normalized, parsed, resolver, wrt, callees, shaped, exhaustive=True)


def _records(func, wrt, kinds, analysis=_exhaustive_records):
    """(normalized function, resolver, its `records.Records` (or what `analysis` makes), shapes table) for
    reverse mode with respect to wrt."""
    parsed, normalized = front(func)
    resolver = Resolver(parsed, _locals(normalized), normalized.helpers)
    complex_values.check(normalized, resolver)
    shaped = _table(normalized, resolver, kinds, func)
    in_progress = _in_progress()
    callees = Callees(_derive_callee, in_progress, resolver)
    callees.exact = _selects(normalized, resolver, callees, {func.__code__})

    in_progress.append(func.__code__)
    try:
        table = analysis(normalized, parsed, resolver, wrt, callees, shaped)
    finally:
        in_progress.pop()
    return normalized, resolver, table, shaped


def _analyzed(func):
    """(normalized, resolver) of func: what complex mode reads of a function of yours given complex values."""
    parsed, normalized = front(func)
    return normalized, Resolver(parsed, _locals(normalized), normalized.helpers)


complex_values.analyzed = _analyzed


def _locals(normalized):
    stores = {n.id for n in names(normalized.node) if isinstance(n.ctx, gast.Store)}  # names_in, quicker
    return {a.id for a in normalized.node.args.args} | stores
