"""`s2sad dump FILE.py`: print or save the generated derivative code of a file's functions.

    s2sad dump FILE.py [--function NAME] [--mode forward|reverse|both|jet] [--order K] [--wrt x,y]
                       [--stage anf|derivative] [-o OUT.py] [--check x=0.5,y=[1,2] ...] [--tol 1e-5]
    s2sad dump FILE.py --tape --at x=np.ones(1000),n=50 [--function NAME] [--wrt x,y]

Without `-o` the generated functions are printed; with `-o` they are written, after a copy
of the user's file (less its `if __name__ == "__main__":` block), as a module that imports
and runs on its own. `--check` runs the dumped code itself at the given point and compares
each derivative with central finite differences of the function. `--tape` prints, instead of the
code, what reverse mode records at the point `--at` gives, per loop and per iteration (tapes.py).

Exit status: 0 on success, 1 on an error (one line on stderr), 2 on a usage error,
3 when `--check` finds an error above the tolerance.
"""

import argparse
import ast
import inspect
import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import driver, runtime, tapes
from .errors import S2SADError
from .parse import unwrap

CHECK_FAILED = 3


# -- loading the user's file -----------------------------------------------------------


def _exec_file(path, name, text=None, home=None):
    """Run a Python file (or `text`, shown as that file) as a fresh module; `home` goes on sys.path."""
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    sys.path.insert(0, str(Path(home or path).parent.resolve()))
    try:
        code = compile(Path(path).read_text() if text is None else text, str(path), "exec")
        exec(code, module.__dict__)
    finally:
        sys.path.pop(0)
    return module


def load_module(path):
    """The user's file, imported as a module of its own (its main block does not run)."""
    path = Path(path)
    if not path.is_file():
        raise S2SADError(f"no such file: {path}", construct="file")
    try:
        return _exec_file(path, f"_s2sad_dump_{path.stem}")
    except S2SADError:
        raise
    except SyntaxError as exc:
        raise S2SADError(f"cannot load {path}: syntax error: {exc.msg}", str(path), exc.lineno, "file") from None
    except Exception as exc:  # whatever the user's module raises on import
        raise S2SADError(f"cannot load {path}: {type(exc).__name__}: {exc}", construct="file") from None


def functions_of(module, only=None):
    """The functions defined in module (decorated ones too), in file order, or the one named `only`."""
    found = []
    for name, obj in vars(module).items():
        if hasattr(obj, "defvjp") or hasattr(obj, "defjvp"):
            continue  # a custom_vjp / custom_jvp function brings its own rules: nothing to generate
        func = unwrap(obj)  # through @s2sad.differentiate
        if inspect.isfunction(func) and func.__module__ == module.__name__ and func.__name__ == name:
            found.append(func)
    found.sort(key=lambda f: f.__code__.co_firstlineno)
    if only is not None:
        chosen = [f for f in found if f.__name__ == only]
        if not chosen:
            names = ", ".join(f.__name__ for f in found) or "none"
            raise S2SADError(f"no function named {only!r} (functions in the file: {names})",
                             module.__file__, None, "function")
        return chosen
    if not found:
        raise S2SADError("the file defines no functions", module.__file__, None, "function")
    return found


# -- generating ------------------------------------------------------------------------


@dataclass
class Dumped:
    """One generated function: the user's function, the mode, the compiled derivative and its source."""

    func: object
    mode: str
    compiled: object
    source: str

    @property
    def name(self):
        return self.func.__name__ if self.compiled is None else self.compiled.function.__name__


def _wrt(func, spec):
    if spec is None:
        return driver.wrt_names(func, 0)
    items = tuple(int(s) if s.strip().isdigit() else s.strip() for s in spec.split(",") if s.strip())
    return driver.wrt_names(func, items)


def generate(module, function=None, mode="reverse", wrt=None, stage="derivative", order=None):
    """A Dumped for each chosen function and mode (mode "both": forward, then reverse; "jet": Taylor
    mode to `order`, with a series for every parameter unless `wrt` names them)."""
    results = []
    modes = ("forward", "reverse") if mode == "both" else (mode,)
    if mode == "jet":
        if order is None or order < 1:
            raise S2SADError("--mode jet needs --order K (a whole number >= 1)", construct="--order")
        modes = (f"jet:{order}",)
    for func in functions_of(module, function):
        if stage == "anf":
            results.append(Dumped(func, "anf", None, driver.anf_source(func)))
            continue
        names = tuple(inspect.signature(func).parameters) if mode == "jet" and wrt is None else _wrt(func, wrt)
        for m in modes:
            compiled = driver.derivative(func, m, names)
            results.append(Dumped(func, m, compiled, compiled.source))
    return results


# -- writing a module that runs on its own ---------------------------------------------


def _import_line(ident, obj, module):
    """The import that binds ident to obj in the dumped module, or None when the file already does."""
    if module.__dict__.get(ident, None) is obj:
        return None
    if ident in module.__dict__:
        raise S2SADError(f"the generated code needs its helper {ident!r}, but the file defines its own {ident!r};"
                         " rename it to dump a module that runs on its own", module.__file__, None, "name clash")
    if isinstance(obj, types.ModuleType):
        return f"import {obj.__name__}" + (f" as {ident}" if ident != obj.__name__ else "")
    owner, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    exported = next((n for n, v in vars(runtime).items() if v is obj and not n.startswith("_")), None)
    if exported is not None:  # a runtime helper bound to a builtin (push = list.append)
        owner, qual = runtime.__name__, exported
    if not owner or "<" in qual or "." in qual or owner.startswith("_s2sad_dump_"):
        raise S2SADError(f"the generated code calls {ident!r}, which cannot be imported by name, so the"
                         " derivative cannot be written as a module that runs on its own", module.__file__, None,
                         "helper")
    return f"from {owner} import {qual}" + (f" as {ident}" if ident != qual else "")


def _closure_helpers(fn, source):
    """{name: object} for the names fn's shown source reads from its closure: the helpers it calls."""
    used = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    helpers = {}
    for ident, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        if ident in used:
            try:
                helpers[ident] = cell.cell_contents
            except ValueError:  # an empty cell: nothing to import
                continue
    return helpers


def collect(results, module):
    """(every generated source, callees' derivatives included, each once; the import lines they need).

    A derivative that calls the derivative of one of the user's functions holds it in a
    closure cell; in the dumped module it becomes a module-level function of its own.
    """
    sources, imports = [], set()
    todo = [(item.compiled.function if item.compiled else None, item.source) for item in results]
    bound = {fn.__name__: fn for fn, _ in todo if fn is not None}  # name -> object, as in the dumped module
    while todo:
        fn, source = todo.pop(0)
        sources.append(source.rstrip())
        if fn is None:
            continue
        callees = []
        for ident, obj in sorted(_closure_helpers(fn, source).items()):
            if ident in bound:
                if bound[ident] is not obj:
                    raise S2SADError(f"two different generated functions are both called {ident!r}; dump the"
                                     " functions one at a time with --function", module.__file__, None, "name clash")
                continue
            bound[ident] = obj
            if hasattr(obj, "__s2sad_source__"):
                if obj.__name__ != ident:
                    raise S2SADError(f"the generated code calls {obj.__name__} as {ident!r}; dump the functions one"
                                     " at a time with --function", module.__file__, None, "name clash")
                callees.append(obj)
            else:
                line = _import_line(ident, obj, module)
                if line:
                    imports.add(line)
        callees.sort(key=lambda f: (f.__name__.rsplit("_", 1)[0], f.__name__.endswith("_bwd")))
        todo += [(f, f.__s2sad_source__) for f in callees]
    return sources, _grouped(imports)


def _grouped(lines):
    """`import ...` lines, then one `from M import a, b` line per module, sorted."""
    plain = sorted(line for line in lines if line.startswith("import "))
    names = {}
    for line in lines:
        if line.startswith("from "):
            owner, _, what = line[5:].partition(" import ")
            names.setdefault(owner, set()).add(what)
    return plain + [f"from {owner} import {', '.join(sorted(what))}" for owner, what in sorted(names.items())]


def without_main(text):
    """The file's text with its top-level `if __name__ == "__main__":` blocks cut out, all else verbatim."""
    tree = ast.parse(text)
    lines = text.splitlines()
    for node in reversed(tree.body):
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
            del lines[node.lineno - 1: node.end_lineno]
    return "\n".join(lines).rstrip() + "\n"


def standalone(path, results, module):
    """A module that runs on its own: the user's file (less its main block), imports, then derivatives."""
    modes = sorted({item.mode for item in results})
    header = (f"# Generated by `s2sad dump` from {Path(path).name} ({', '.join(modes)}): a copy of the file\n"
              "# without its main block, then the generated functions.\n")
    sources, imports = collect(results, module)
    if all(item.compiled is not None for item in results):  # (the ANF of f is f again, by design)
        for node in ast.parse("\n\n".join(sources)).body:
            if getattr(node, "name", None) in module.__dict__:
                raise S2SADError(f"the file defines {node.name!r} itself, the name of a generated function;"
                                 " rename it to dump a module that runs on its own", module.__file__, None,
                                 "name clash")
    parts = [header + without_main(Path(path).read_text()),
             "# -- generated by s2sad " + "-" * 66 + "\n" + "".join(line + "\n" for line in imports),
             "\n\n\n".join(sources)]
    text = "\n\n".join(part.rstrip() + "\n" for part in parts)
    compile(text, str(path), "exec")  # never write a module that does not parse
    return text


# -- --check: the dumped derivative against finite differences -------------------------


def _split_top(text, sep=","):
    """Split at separators outside brackets and quotes: "x=[1,2],y=3" -> ["x=[1,2]", "y=3"]."""
    parts, depth, start, quote = [], 0, 0, None
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _value(text):
    """A Python literal, or a NumPy expression such as np.linspace(0, 1, 5); lists become arrays."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        try:
            value = eval(text, {"__builtins__": {}, "np": np, "numpy": np, "pi": np.pi, "e": np.e})  # noqa: S307
        except Exception as exc:
            raise S2SADError(f"--check: cannot read the value {text!r} ({type(exc).__name__}: {exc})",
                             construct="--check") from None
    return np.array(value) if isinstance(value, list) else value


def _as_float(value):
    if isinstance(value, tuple):
        return tuple(_as_float(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.astype(float) if not np.issubdtype(value.dtype, np.inexact) else value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return float(value)
    return value


def parse_point(specs):
    """{'x': 0.5, 'y': array([1., 2.])} from ["x=0.5,y=[1,2]"] (several --check words may be given)."""
    point = {}
    for spec in specs:
        for item in _split_top(spec):
            name, eq, text = item.partition("=")
            if not eq or not name.strip().isidentifier():
                raise S2SADError(f"--check expects NAME=VALUE items, got {item!r}", construct="--check")
            point[name.strip()] = _value(text.strip())
    return point


def _arguments(func, point, wrt):
    """(values of all of func's parameters at the point, given or default; names of those missing)."""
    values, missing = {}, []
    for name, param in inspect.signature(func).parameters.items():
        if name in point:
            values[name] = _as_float(point[name]) if name in wrt else point[name]
        elif param.default is not inspect.Parameter.empty:
            values[name] = param.default
        else:
            missing.append(name)
    return values, missing


def _leaves(x):
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in _leaves(item)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in _leaves(x[k])]
    return [np.asarray(x, dtype=float)]


def _flat(x):
    leaves = _leaves(x)
    return np.concatenate([leaf.ravel() for leaf in leaves]) if leaves else np.zeros(0)


def _basis_like(out, j):
    """A cotangent shaped like out, 1.0 at flat position j and 0.0 elsewhere."""
    counter = [j]

    def build(x):
        if isinstance(x, (tuple, list)):
            return type(x)(build(item) for item in x)
        size = np.size(x)
        k, counter[0] = counter[0], counter[0] - size
        if np.ndim(x) == 0:
            return 1.0 if k == 0 else 0.0
        e = np.zeros(np.shape(x))
        if 0 <= k < size:
            e.flat[k] = 1.0
        return e

    return build(out)


def _with_entry(x, k, delta):
    """x with its flat entry k moved by delta (a float stays a float)."""
    if np.ndim(x) == 0:
        return float(x) + delta
    x = np.array(x, dtype=float)
    x.flat[k] += delta
    return x


def finite_differences(f, values, wrt, eps=1e-6):
    """The Jacobian of f at values by central differences: rows outputs, columns the wrt entries."""
    columns = []
    for name in wrt:
        x = values[name]
        for k in range(np.size(x)):
            h = eps * max(1.0, abs(float(np.ravel(x)[k])))
            hi = f(**{**values, name: _with_entry(x, k, h)})
            lo = f(**{**values, name: _with_entry(x, k, -h)})
            columns.append((_flat(hi) - _flat(lo)) / (2 * h))
    return np.stack(columns, axis=1)


def _zero_like(x):
    return np.zeros(np.shape(x)) if np.ndim(x) else 0.0


def jacobian_forward(jvp, values, wrt):
    """The Jacobian from the dumped JVP, one column per wrt entry (unit tangents)."""
    columns = []
    for name in wrt:
        for k in range(np.size(values[name])):
            dots = [_with_entry(_zero_like(values[n]), k, 1.0) if n == name else _zero_like(values[n]) for n in wrt]
            _, out_dot = jvp(*values.values(), *dots)
            columns.append(_flat(out_dot))
    return np.stack(columns, axis=1)


def jacobian_reverse(vjp, out, values, wrt):
    """The Jacobian from the dumped VJP, one row per output entry (unit cotangents)."""
    rows = []
    for j in range(_flat(out).size):
        grads = vjp(*values.values(), _basis_like(out, j))
        grads = (grads,) if len(wrt) == 1 else grads
        rows.append(np.concatenate([np.broadcast_to(np.asarray(g, dtype=float), np.shape(values[n])).ravel()
                                    for g, n in zip(grads, wrt)]))
    return np.stack(rows, axis=0)


def relative_error(got, want):
    """Largest |got - want| / max(|got|, |want|, floor), floor = 1e-3 of the Jacobian's largest entry.

    The floor keeps an entry that should be zero (where differences leave ~1e-10 of noise)
    from counting as a 100% error, while entries at the Jacobian's scale are measured relatively.
    """
    if got.size == 0:
        return 0.0
    floor = max(1e-3 * float(np.max(np.abs(want))), 1e-12)
    scale = np.maximum(np.maximum(np.abs(got), np.abs(want)), floor)
    return float(np.max(np.abs(got - want) / scale))


def check(results, dumped, point, tol):
    """Run each dumped derivative at point; return (report lines, all within tol).

    With several functions, those whose parameters the point does not cover are skipped
    (and said so); a name that is no function's parameter is an error.
    """
    functions = {item.func.__name__: getattr(dumped, item.func.__name__) for item in results}
    known = {p for f in functions.values() for p in inspect.signature(f).parameters}
    unknown = sorted(set(point) - known)
    if unknown:
        which = ", ".join(f"{name}{inspect.signature(f)}" for name, f in functions.items())
        raise S2SADError(f"--check gives {', '.join(unknown)}, which is not a parameter of {which}",
                         construct="--check")
    lines, ok, checked = [], True, 0
    for item in results:
        primal = functions[item.func.__name__]
        values, missing = _arguments(primal, point, item.compiled.wrt)
        if missing:
            if len(functions) == 1:
                raise S2SADError(f"--check needs a value for {', '.join(missing)} of {primal.__name__}"
                                 f"{inspect.signature(primal)}", construct="--check")
            lines.append(f"# check {item.name}: skipped, no value for {', '.join(missing)}")
            continue
        error = _check_one(primal, getattr(dumped, item.name), item, values)
        passed = bool(error <= tol)
        ok, checked = ok and passed, checked + 1
        at = ", ".join(f"{k}={_short(v)}" for k, v in values.items())
        lines.append(f"# check {item.name}({at}): max relative error {error:.2e} against central differences"
                     f" (tolerance {tol:g}): {'ok' if passed else 'FAILED'}")
    if not checked:
        raise S2SADError("--check covers the parameters of none of the functions; name one with --function",
                         construct="--check")
    return lines, ok


def _check_one(primal, derivative, item, values):
    """The largest relative error of one dumped derivative's Jacobian at values."""
    wrt = item.compiled.wrt
    try:
        out = primal(**values)
        want = finite_differences(primal, values, wrt)
        if item.mode == "forward":
            got = jacobian_forward(derivative, values, wrt)
        else:
            got = jacobian_reverse(derivative, out, values, wrt)
    except Exception as exc:
        raise S2SADError(f"--check: running {item.name} at the point raised {type(exc).__name__}: {exc}",
                         construct="--check") from None
    return relative_error(got, want)


def _short(value):
    if isinstance(value, np.ndarray):
        return repr(value.tolist()) if value.size <= 6 else f"<array {value.shape}>"
    return repr(value)


# -- the command -----------------------------------------------------------------------


def parser():
    top = argparse.ArgumentParser(prog="s2sad", description="Source-to-source automatic differentiation.")
    sub = top.add_subparsers(dest="command", required=True)
    dump = sub.add_parser("dump", help="print the generated derivative code of a file's functions",
                          description="Print (or write with -o) the derivative code s2sad generates for the "
                                      "functions of FILE.")
    dump.add_argument("file", help="a Python file")
    dump.add_argument("--function", help="only this function (default: every function in the file)")
    dump.add_argument("--mode", choices=["forward", "reverse", "both", "jet"], default="reverse",
                      help="forward (JVP), reverse (VJP), both into one module, or jet (Taylor mode to "
                           "--order K) (default: reverse)")
    dump.add_argument("--order", type=int, help="the order K of --mode jet")
    dump.add_argument("--wrt", help="comma-separated parameter names or positions (default: the first)")
    dump.add_argument("--stage", choices=["anf", "derivative"], default="derivative",
                      help="anf: the normalized function instead of its derivative")
    dump.add_argument("-o", "--output", help="write a module that imports and runs on its own")
    dump.add_argument("--check", nargs="+", metavar="NAME=VALUE",
                      help="run the dumped derivative at this point (e.g. x=0.5,y=[1,2,3]) and compare it "
                           "with central finite differences")
    dump.add_argument("--tol", type=float, default=1e-5,
                      help="largest relative error --check accepts (default: 1e-5)")
    dump.add_argument("--tape", action="store_true",
                      help="print what reverse mode records, per loop and per iteration, in bytes, at the "
                           "point --at gives (instead of the code)")
    dump.add_argument("--at", nargs="+", metavar="NAME=VALUE", help="the point of --tape (e.g. x=np.ones(1000),n=50)")
    return top


def dump(args):
    """Generate, write or print, and check; returns the exit status."""
    if args.tape or args.at:
        return tape(args)
    if args.check and args.stage != "derivative":
        raise S2SADError("--check needs --stage derivative", construct="--check")
    if args.check and args.mode == "jet":
        raise S2SADError("--check compares first derivatives with finite differences; it does not check "
                         "--mode jet (tests/test_jet.py checks jets against SymPy)", construct="--check")
    point = parse_point(args.check) if args.check else None
    module = load_module(args.file)
    results = generate(module, args.function, args.mode, args.wrt, args.stage, args.order)
    text = standalone(args.file, results, module) if (args.output or point is not None) else None
    if args.output:
        if Path(args.output).resolve() == Path(args.file).resolve():
            raise S2SADError(f"-o {args.output} would overwrite the input file", construct="-o")
        Path(args.output).write_text(text)
    lines, ok = _run_check(args, results, text, point) if point is not None else ([], True)
    if not args.output:
        print("\n\n\n".join(collect(results, module)[0]))
        if lines:
            print()
    if lines:
        print("\n".join(lines))
    if not ok:
        print(f"s2sad: error: --check: a derivative differs from finite differences by more than {args.tol:g}",
              file=sys.stderr)
        return CHECK_FAILED
    return 0


def tape(args):
    """`--tape`: the tape report of each chosen function whose parameters --at gives."""
    if not (args.tape and args.at):
        raise S2SADError("--tape needs the point to run the gradient at: --at x=...,n=...", construct="--tape")
    if args.mode != "reverse" or args.stage != "derivative" or args.output or args.check:
        raise S2SADError("--tape reports reverse mode's records: it takes none of --mode, --stage, -o, --check",
                         construct="--tape")
    point = parse_point(args.at)
    module = load_module(args.file)
    reports, skipped = [], []
    for func in functions_of(module, args.function):
        params = inspect.signature(func).parameters
        missing = [n for n, p in params.items() if n not in point and p.default is inspect.Parameter.empty]
        if missing:
            skipped.append(f"{func.__name__} (no value for {', '.join(missing)})")
            continue
        names = _wrt(func, args.wrt)
        values = [(_as_float(point[n]) if n in names else point[n]) if n in point else p.default
                  for n, p in params.items()]
        reports.append(tapes.tape_report(func, *values, wrt=names))
    if not reports:
        raise S2SADError(f"--at gives the parameters of no function: {'; '.join(skipped)}", construct="--at")
    print("\n\n".join(reports))
    return 0


def _run_check(args, results, text, point):
    """Load the dumped module's text (what -o wrote, even to /dev/null) and check its derivatives."""
    name = f"_s2sad_dumped_{Path(args.file).stem}"
    shown_as = args.output or f"<s2sad dump of {args.file}>"
    dumped = _exec_file(shown_as, name, text, home=args.file)
    return check(results, dumped, point, args.tol)


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return dump(args)
    except (S2SADError, OSError) as exc:
        print(f"s2sad: error: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug in s2sad: still one line, with a way to see the traceback
        if os.environ.get("S2SAD_TRACEBACK"):
            raise
        print(f"s2sad: internal error: {type(exc).__name__}: {_one_line(str(exc))}"
              " (set S2SAD_TRACEBACK=1 to see where; please report it)", file=sys.stderr)
        return 1


def _one_line(text):
    return " ".join(text.split())
