"""The compiled backend: `s2sad.grad(f, backend="numba")` runs the same generated derivative, compiled by numba.

The NumPy backend's derivative (the one `grad` runs for arguments of these kinds, shapes.py) is
the input; three things change before `numba.njit` compiles it:

* the tape: reverse mode keeps overwritten values on one Python list (`push(_tape, v)`, later
  `v = pop(_tape)`), whose items may be floats, arrays and tuples at once, which numba cannot
  type. Each name pushed gets a stack of its own (`_tape__v`), a typed list numba infers, and
  `push` / `pop` become that list's `append` / `pop`. Reverse mode restores a name from a push
  of that same name (holders.py), and the pushes and pops of a tape nest, so the pushes and pops
  of one name nest in the same way: splitting the tape by name keeps every value's pairing. An
  item kept before a write (`push(_tape, old_item(y, i))`, restored by `y[i] = pop(_tape)`) goes
  on the stack of y's items.
* runtime helpers become their numba twins (`runtime_numba.twins()`), and the derivatives of the
  user functions it calls are compiled the same way; a helper without a twin (a helper for
  containers, most array adjoints) is refused with `S2SADError` naming the user's line that
  needs it, when the derivative is made. Twins that add or write in place (`scatter_add`,
  `clear_item`) are used only on an adjoint proved to own its array (`_check_owned`).
* the names the code reads from the user's module are copied at compile time, as numba freezes
  globals: every call checks that each is still bound to the same object and compiles again if
  not; a global array (which numba would freeze by value) is refused.

What numba then fails to type (a list of mixed types, an unsupported NumPy call) is an
`S2SADError` at the first call, naming the user's line; nothing falls back to the NumPy backend.
"""

import ast
import functools
import inspect
import linecache
import re
import types

import numpy as np

from . import cache, complex_io, driver, runtime, runtime_numba, shapes
from .errors import S2SADError

BACKENDS = ("numpy", "numba", "array_api")
_HINT = "see docs/numba.md for what the numba backend compiles; backend='numpy' differentiates it"


def check_backend(backend, construct="backend"):
    """S2SADError unless backend names a backend; for "numba", unless numba imports."""
    if backend not in BACKENDS:
        raise S2SADError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, not {backend!r}",
                         construct=construct)
    if backend == "numba":
        numba_module()


def numba_module():
    """numba itself, or S2SADError saying how to install it."""
    try:
        import numba
    except ImportError:
        raise S2SADError("backend='numba' needs numba, which is not installed: pip install 's2sad[numba]'",
                         construct="backend") from None
    return numba


# -- the public wrapper ----------------------------------------------------------------


def grad_wrapper(f, wrt, with_value):
    """grad(f, wrt, backend="numba") (with_value: value_and_grad)."""
    from . import api  # the face's value helpers (same layer)
    from .callables import entry

    func = entry(f)
    names = driver.wrt_names(func, wrt)
    code = func.__code__
    if code.co_kwonlyargcount or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        raise S2SADError(f"backend='numba' needs {func.__name__}'s parameters to be positional (no keyword-only, "
                         "*args or **kwargs parameters)", code.co_filename, code.co_firstlineno, "backend", _HINT)
    every = list(inspect.signature(func).parameters)
    where = tuple(every.index(n) for n in names)
    single = not isinstance(wrt, (tuple, list))
    count = code.co_argcount
    table = {}

    def wrapper(*args, **kwargs):
        values = args if not kwargs and len(args) == count else tuple(api._bind(func, args, kwargs).values())
        kinds = tuple(map(shapes.kind_of, values))
        if complex_io.any_complex(values):  # a complex array has a real one's kind: never looked up by it
            complex_io.refuse_second_order(func, "backend='numba'")
        jitted = table.get(kinds)
        if jitted is None or not jitted.current():
            api._check_float(func, names, dict(zip(every, values)))
            jitted = table[kinds] = Jitted(func, api._grad_derivative(func, names, kinds), values)
        out, grads = jitted(values)
        if type(out) is not float:
            api._scalar_out(func, out)
        grads = (grads,) if len(where) == 1 else grads
        shaped = tuple([api._shaped(g, values[i]) for g, i in zip(grads, where)])
        shaped = shaped[0] if single else shaped
        return (out, shaped) if with_value else shaped

    wrapper = functools.wraps(func)(wrapper)
    wrapper.__s2sad_backend__ = "numba"
    return wrapper


# -- one compiled derivative -------------------------------------------------------------


class Jitted:
    """One generated derivative (and the derivatives of the user functions it calls), compiled on first call."""

    def __init__(self, func, compiled, values):
        self.func = func
        self.compiled = compiled
        self.epoch = cache.epoch
        self.kernels = {}  # generated function -> its _Kernel (callees included)
        self.frozen = []   # (namespace, name, value) of the globals numba froze
        arrays = {name for name, v in zip(inspect.signature(compiled.function).parameters, values)
                  if isinstance(v, np.ndarray)}
        self.kernel = self.kernel_of(compiled.function, compiled.source, arrays).dispatcher
        self.numba_error = numba_module().core.errors.NumbaError

    def kernel_of(self, function, source, arrays=()):
        """The numba dispatcher of a generated function (made once: a callee may be called twice)."""
        made = self.kernels.get(function)
        if made is None:
            if function in self.kernels:
                message = "the numba backend does not compile recursive user functions"
                raise _Kernel(self, function, source, None).error(None, message, "recursion")
            self.kernels[function] = None
            made = self.kernels[function] = _Kernel(self, function, source, arrays)
        return made

    def current(self):
        """Whether the derivative and every global the compiled code froze are as they were."""
        return self.epoch == cache.epoch and driver.current(self.compiled.dependencies) and \
            all(space.get(name, _MISSING) is value for space, name, value in self.frozen)

    def __call__(self, values):
        try:
            return self.kernel(*values)  # numba compiles on the first call (and for new array layouts)
        except self.numba_error as exc:
            raise self._refusal(exc) from None

    def _refusal(self, exc):
        """S2SADError for numba's failure to compile, naming the user's line it stopped at (the innermost)."""
        text = str(exc)
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(exc).__name__)
        where = [(m.start(), k, int(m.group(1))) for k in self.kernels.values() if k is not None
                 for m in re.finditer(re.escape(k.filename) + r'", line (\d+)', text)]
        kernel, line = (max(where)[1], max(where)[2]) if where else (self.kernels[self.compiled.function], 0)
        return kernel.error(types.SimpleNamespace(lineno=line), f"numba cannot compile the derivative of this line: "
                            f"{first}", "numba")


class _Kernel:
    """One generated function rewritten for numba (tape, helpers, zeros) and its `numba.njit` dispatcher."""

    def __init__(self, owner, function, source, arrays=()):
        self.owner = owner
        self.function = function
        relocate = _cells(function).get("__s2sad_relocate__")
        self.user_file = getattr(relocate, "filename", owner.func.__code__.co_filename)
        self.user_name = getattr(relocate, "name", owner.func.__name__)
        self.default_line = getattr(relocate, "default_line", owner.func.__code__.co_firstlineno)
        self.user_lines = _user_lines(function)
        if arrays is None:
            return  # only for an error message
        self.filename = f"<s2sad numba {function.__name__} {id(self):x}>"
        linecache.cache[self.filename] = (len(source), None, source.splitlines(True), self.filename)
        tree = ast.parse(source, self.filename)
        fn = tree.body[0]
        _drop_frees(fn)
        self.bound = _bound_values(function)
        helpers = self._module_twins(fn)
        helpers.update(self._helpers(fn))
        _Tape(self).visit(fn)
        _zero_arrays(fn, set(arrays))
        _check_owned(self, fn)
        owner.frozen.extend(self._globals(fn, helpers))
        namespace = dict(function.__globals__)
        namespace.update(helpers)
        for name in ("__s2sad_reversed_first__", "__s2sad_zeros_like__"):
            namespace[name] = runtime_numba.twins()[name]
        namespace.update({k: v for k, v in self.bound.items() if k not in helpers})
        exec(compile(ast.fix_missing_locations(tree), self.filename, "exec"), namespace)
        python = namespace[fn.name]
        python.__defaults__ = function.__defaults__
        self.dispatcher = numba_module().njit(cache=False)(python)

    # -- what the code reads -----------------------------------------------------------

    def _helpers(self, fn):
        """{name: twin} for every helper the code calls (a called user function's derivative compiled too);
        S2SADError at a helper without a twin."""
        twins = runtime_numba.twins()
        out = {}
        for node in ast.walk(fn):
            if not isinstance(node, ast.Name) or node.id not in self.bound or node.id in out:
                continue
            helper = self.bound[node.id]
            if helper is runtime.push or helper is runtime.pop or isinstance(helper, types.ModuleType):
                continue
            if callable(helper) and hasattr(helper, "__s2sad_source__"):  # a callee's generated derivative
                out[node.id] = self.owner.kernel_of(helper, helper.__s2sad_source__).dispatcher
                continue
            twin = twins.get(helper) if _hashable(helper) else None
            if twin is None and callable(helper):
                what = getattr(helper, "__name__", node.id)
                raise self.error(node, f"the numba backend has no compiled version of {what}, which the derivative "
                                 "of this line calls", what)
            if twin is not None:
                out[node.id] = twin
        return out

    def _module_twins(self, fn):
        """`runtime.real_only` / `np.asarray` -> the twin's name, for a function of a module that has one;
        S2SADError at any other function of s2sad's runtime (NumPy's own are numba's to type)."""
        twins = runtime_numba.twins()
        out = {}
        for node in ast.walk(fn):
            for field, child in ast.iter_fields(node):
                if not (isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name)):
                    continue
                module = self.bound.get(child.value.id, self.function.__globals__.get(child.value.id))
                if not isinstance(module, types.ModuleType):
                    continue
                target = getattr(module, child.attr, None)
                twin = twins.get(target) if _hashable(target) else None
                if twin is not None:
                    name = f"__s2sad_twin_{child.value.id}_{child.attr}__"
                    out[name] = twin
                    setattr(node, field, ast.copy_location(ast.Name(name, ast.Load()), child))
                elif module is runtime or module.__name__.startswith("s2sad."):
                    raise self.error(child, f"the numba backend has no compiled version of {child.attr}, which the "
                                     "derivative of this line calls", child.attr)
        return out

    def _globals(self, fn, helpers):
        """[(namespace, name, value)] of the user's globals the code reads (numba freezes them)."""
        local = {a.arg for a in fn.args.args} | {n.id for n in ast.walk(fn)
                                                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        space = self.function.__globals__
        frozen = []
        for node in ast.walk(fn):
            if not isinstance(node, ast.Name) or node.id in local or node.id in helpers or node.id in self.bound:
                continue
            value = space.get(node.id, _MISSING)
            if value is _MISSING:
                continue  # a builtin (abs, range, float)
            if isinstance(value, np.ndarray):
                raise self.error(node, f"the derivative reads the global array {node.id!r}, which numba would freeze "
                                 "at compile time; pass it as an argument", "global array")
            frozen.append((space, node.id, value))
        return frozen

    # -- errors --------------------------------------------------------------------------

    def error(self, node, message, construct):
        """S2SADError at the user's line that generated line node.lineno (of the shown source) came from."""
        line = self.user_lines.get(getattr(node, "lineno", 0)) or self.default_line
        return S2SADError(f"{message} (in {self.user_name}, backend='numba')", self.user_file, line, construct, _HINT)


_MISSING = object()


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _cells(function):
    """{name: value} of a generated function's filled closure cells: helpers, the user's cells, the relocator."""
    code, cells = function.__code__, function.__closure__ or ()
    out = {}
    for name, cell in zip(code.co_freevars, cells):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # an empty cell
            pass
    return out


def _bound_values(function):
    """The closure values the generated code reads (the relocator, emit.py's error bookkeeping, left out)."""
    out = _cells(function)
    out.pop("__s2sad_relocate__", None)
    return out


def _user_lines(function):
    """{line of the shown source: the user's line} from the emitted function's relocator (emit.py)."""
    lines = getattr(_cells(function).get("__s2sad_relocate__"), "user_lines", {})
    return {k - 1: v for k, v in lines.items()}  # the relocator counts the factory's header line


def _drop_frees(fn):
    """fn without its `del name` statements (optimize/frees.py): numba frees arrays itself, and refuses `del`."""
    for node in ast.walk(fn):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and any(isinstance(s, ast.Delete) for s in block):
                setattr(node, field, [s for s in block if not isinstance(s, ast.Delete)] or [ast.Pass()])


def _zero_arrays(fn, arrays):
    """`a_bar = 0.0` -> `a_bar = zeros_like(a)` for an array parameter a: numba gives a variable one type,
    so an adjoint that starts as the scalar zero and becomes an array (by `+` or `scatter_add`) must
    start as an array of zeros (the same values: 0.0 + g and zeros + g agree)."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Constant) and node.value.value == 0 \
                and node.targets[0].id.endswith("_bar") and node.targets[0].id[:-4] in arrays:
            node.value = ast.copy_location(ast.Call(ast.Name("__s2sad_zeros_like__", ast.Load()),
                                                    [ast.Name(node.targets[0].id[:-4], ast.Load())], []), node.value)


def _check_owned(kernel, fn):
    """S2SADError unless every accumulator `acc = scatter_add(acc, ...)` owns its buffer.

    The twin adds in place (as the NumPy backend does when `acc.base is None`, which numba cannot
    see), so nothing else may hold acc's array: acc is bound only to fresh zeros or fresh results
    (arithmetic, scatter_add of itself) and read only by arithmetic, its own scatter_add and the return."""
    adders = {n for n, h in kernel.bound.items() if h is runtime.scatter_add or h is runtime.clear_item}
    readers = {n for n, h in kernel.bound.items() if h is runtime.item_bar}  # their twin copies what it reads
    copies = {n for n, h in kernel.bound.items()  # fresh arrays (zeros_like: optimize/inplace.py's accumulators)
              if h is runtime.own_copy or h is runtime.without_item or h is runtime.zeros_like}
    for node in ast.walk(fn):
        if isinstance(node, ast.Return):
            for part in ast.walk(node):
                part._s2sad_returned = True
    accumulators = {s.targets[0].id for s in ast.walk(fn) if isinstance(s, ast.Assign) and _calls(s.value, adders)}
    params = {a.arg for a in fn.args.args}
    simple = {id(s.targets[0]) for s in ast.walk(fn) if isinstance(s, ast.Assign) and len(s.targets) == 1}
    for acc in accumulators:
        for node in ast.walk(fn):
            stored = isinstance(node, ast.Name) and node.id == acc and isinstance(node.ctx, ast.Store)
            if acc in params or (stored and id(node) not in simple):
                raise kernel.error(node if stored else fn, f"the numba backend adds into {acc!r} in place, but it "
                                   "may share its array (a parameter, or bound by unpacking)", "scatter_add")
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == acc for t in node.targets) \
                    and not _fresh(node.value, acc, adders, copies):
                raise kernel.error(node, f"the numba backend adds into {acc!r} in place, but this line may make it "
                                   "share its array", "scatter_add")
            if _aliasing_read(node, acc, adders | readers | copies):
                raise kernel.error(node, f"the numba backend adds into {acc!r} in place, but this line may keep "
                                   "its array elsewhere", "scatter_add")


def _calls(value, names):
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in names


def _fresh(value, acc, adders, copies):
    if isinstance(value, (ast.BinOp, ast.UnaryOp)) or _calls(value, copies):
        return True
    if _calls(value, adders):
        return isinstance(value.args[0], ast.Name) and value.args[0].id == acc
    return _calls(value, {"__s2sad_zeros_like__"}) or isinstance(value, ast.Constant)


def _aliasing_read(node, acc, adders):
    """Whether node reads acc where the array could be kept: anything but an operand, its own add, a return."""
    if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Return)):
        return False
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):  # `acc[i] += g`: a write into acc
        return False
    if isinstance(node, ast.Tuple) and node.elts and any(isinstance(e, ast.Name) and e.id == acc for e in node.elts):
        return not getattr(node, "_s2sad_returned", False)
    children = list(ast.iter_child_nodes(node))
    if _calls(node, adders):
        children = children[2:]  # the function name and acc itself
    if isinstance(node, ast.Assign):
        children = [node.value]
    return any(isinstance(c, ast.Name) and c.id == acc and isinstance(c.ctx, ast.Load) for c in children) \
        and not isinstance(node, (ast.BinOp, ast.UnaryOp))


class _Tape(ast.NodeTransformer):
    """`_tape = []`, `push(_tape, v)`, `v = pop(_tape)` -> `_tape_v = []`, `_tape_v.append(v)`, `v = _tape_v.pop()`."""

    def __init__(self, kernel):
        self.kernel = kernel
        helpers = kernel.bound
        self.push = {n for n, h in helpers.items() if h is runtime.push}
        self.pop = {n for n, h in helpers.items() if h is runtime.pop}
        self.old_item = {n for n, h in helpers.items() if h is runtime.old_item}
        self.tapes = {}  # tape name -> {pushed name}

    def key(self, node):
        """The stack a kept or restored value goes on: a name's own, or for `old_item(y, i)` / `y[i] = ...`
        the stack of y's items (reverse mode restores an item it kept before writing it); None: neither."""
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            return f"{node.value.id}__item"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.old_item \
                and node.args and isinstance(node.args[0], ast.Name):
            return f"{node.args[0].id}__item"
        return None

    def visit_FunctionDef(self, fn):
        self.tapes = {_tape_name(s): set() for s in ast.walk(fn) if _tape_name(s)}
        popped = {}
        for node in ast.walk(fn):
            if self._is(node, self.push) and len(node.args) == 2 and self.key(node.args[1]):
                self.tapes[node.args[0].id].add(self.key(node.args[1]))
            restore = isinstance(node, ast.Assign) and len(node.targets) == 1 and self.key(node.targets[0])
            if restore and self._is(node.value, self.pop):
                popped[self.key(node.targets[0])] = (node.value.args[0].id, node)
        for name, (tape, node) in popped.items():
            if name not in self.tapes[tape]:
                raise self.kernel.error(node, "the numba backend splits the tape by name, but this line restores "
                                        f"{name!r}, which no line keeps", "tape")
        self.generic_visit(fn)
        return fn

    def visit_For(self, node):
        """`for i in reversed(range(a, b, c))` -> `for i in range(first, a - c, -c)` (numba has no reversed)."""
        self.generic_visit(node)
        it = node.iter
        inner = it.args[0] if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) \
            and it.func.id == "reversed" and len(it.args) == 1 else None
        limit = ast.Constant(2 ** 62)
        if isinstance(inner, ast.Subscript) and isinstance(inner.slice, ast.Slice) and inner.slice.lower is None \
                and inner.slice.step is None and inner.slice.upper is not None:  # reversed(range(n)[:trips])
            inner, limit = inner.value, inner.slice.upper
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "range" \
                and not inner.keywords:
            bounds = inner.args
            start, stop, step = (ast.Constant(0), *bounds, ast.Constant(1))[:3] if len(bounds) == 1 else \
                (*bounds, ast.Constant(1))[:3]
            first = ast.Call(ast.Name("__s2sad_reversed_first__", ast.Load()), [start, stop, step, limit], [])
            last = ast.BinOp(start, ast.Sub(), step)
            node.iter = ast.copy_location(ast.Call(ast.Name("range", ast.Load()),
                                                   [first, last, ast.UnaryOp(ast.USub(), step)], []), it)
        return node

    def visit_Assign(self, node):
        name = _tape_name(node)
        if name is not None:
            return [ast.copy_location(_assign(_stack(name, pushed), ast.List([], ast.Load())), node)
                    for pushed in sorted(self.tapes[name])] or [ast.copy_location(ast.Pass(), node)]
        call = node.value
        if self._is(call, self.pop):
            key = self.key(node.targets[0]) if len(node.targets) == 1 else None
            if key is None:
                raise self.kernel.error(node, "the numba backend splits the tape by name, but this line restores "
                                        "a value that is neither a name nor an item", "tape")
            stack = _stack(call.args[0].id, key)
            node.value = ast.copy_location(ast.Call(_attr(stack, "pop"), [], []), call)
            return node
        return self.generic_visit(node)

    def visit_Expr(self, node):
        call = node.value
        if self._is(call, self.push):
            value = call.args[1]
            key = self.key(value)
            if key is None:
                raise self.kernel.error(node, "the numba backend splits the tape by name, but this line keeps a "
                                        "value that is neither a name nor an item", "tape")
            return ast.copy_location(ast.Expr(ast.Call(_attr(_stack(call.args[0].id, key), "append"),
                                                       [self.generic_visit(value)], [])), node)
        return self.generic_visit(node)

    def _is(self, call, names):
        return isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in names \
            and call.args and isinstance(call.args[0], ast.Name) and call.args[0].id in self.tapes

    def visit_Name(self, node):
        if node.id in self.tapes and isinstance(node.ctx, ast.Load):
            raise self.kernel.error(node, "the numba backend cannot compile a tape handed on whole (a record of "
                                    "a split derivative)", "tape")
        return node


def _tape_name(node):
    """The tape a statement `_tape = []` makes, else None."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
            and node.targets[0].id.startswith("_tape") and isinstance(node.value, ast.List) and not node.value.elts:
        return node.targets[0].id
    return None


def _stack(tape, pushed):
    return f"{tape}__{pushed}"


def _attr(name, method):
    return ast.Attribute(ast.Name(name, ast.Load()), method, ast.Load())


def _assign(name, value):
    return ast.Assign([ast.Name(name, ast.Store())], value)

