"""How readable the generated reverse-mode code is, in numbers.

For each example function (examples/*.py) and, with --corpus, every corpus function of
the test suite: statements in the normalized primal (`s2sad.source(f, stage="anf")`),
statements in the optimized reverse source, their ratio (the target is at most 2.5),
the same for the reverse source specialized to example arguments (`args=`: identity
`unbroadcast` wrappers left out), and any assignment in the general source whose value
is never read (there should be none). Statements are counted as `ast` sees them
(a compound statement counts once, plus its body); comments and the `def` are not.

Run: python benchmarks/readability.py [--corpus]
"""

import ast
import importlib.util
import inspect
import pathlib
import re
import sys

import numpy as np

import s2sad

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = 2.5


def statements(source):
    """Statements of the (first) function in source, the def itself and comments not counted."""
    fn = ast.parse(source).body[0]
    return sum(1 for node in ast.walk(fn) if isinstance(node, ast.stmt)) - 1


def never_read(source):
    """Names a plain `name = value` in the first function binds that nothing reads: dead code.

    A name bound by unpacking a call's result (`out, record = g_fwd(x)`) is not counted:
    the call stays for its effects and the tuple must be unpacked whole.
    """
    fn = ast.parse(source).body[0]
    plain, loaded = set(), set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            plain.add(node.targets[0].id)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            loaded.add(node.id)
    return sorted(plain - loaded)


def _load(path):
    spec = importlib.util.spec_from_file_location(f"_example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    return module


def example_functions():
    """(label, function) for every function defined in examples/*.py that s2sad can differentiate."""
    found = []
    for path in sorted((ROOT / "examples").glob("*.py")):
        module = _load(path)
        args = _example_args(path.stem)
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if func.__module__ == module.__name__ and not name.startswith("_") and name != "main":
                found.append((f"{path.stem}.{name}", func, args.get(name)))
    return found


def corpus_functions():
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import inputs_for  # noqa: E402
    from test_corpus import FUNCTIONS  # noqa: E402  (the tests directory is not a package)
    return [(f"corpus.{f.__name__}", f, tuple(inputs_for(f))) for f in FUNCTIONS]


def _example_args(module):
    """Arguments to specialize each example function for, as the example itself calls it."""
    rng = np.random.default_rng(0)
    lorenz = {"loss": (10.0, 28.0, 8.0 / 3.0, np.ones((60, 3)), 60, 0.01)}
    mlp = {"loss": (rng.normal(size=(2, 16)), np.zeros(16), rng.normal(size=16), 0.0,
                    rng.uniform(-1.0, 1.0, (400, 2)), np.ones(400))}
    table = {"first_gradient": {"z": (2.0, 3.0)}, "lecture_z": {"z": (2.0, 3.0)}, "lecture_log": {"y": (2.0, 5.0)},
             "logistic_map": {"logistic": (0.3, 10), "by_hand": (0.3, 10)}, "lorenz_fit": lorenz, "mlp": mlp,
             "plot_derivatives": {"total_sin": (np.linspace(0.0, 1.0, 5),), "cube": (0.5,)}}
    return table.get(module, {})


def specialized(func, args):
    """Statements in the reverse source specialized to args (`s2sad.source(..., args=...)`), or None."""
    if args is None:
        return None
    floats = tuple(i for i, a in enumerate(args) if isinstance(a, (float, np.ndarray)) and not isinstance(a, bool))
    try:
        return statements(s2sad.source(func, mode="reverse", wrt=floats, args=args))
    except (s2sad.S2SADError, TypeError):
        return None


def measure(func):
    """(primal statements, reverse statements, dead names) or None when func cannot be differentiated."""
    params = [p for p in inspect.signature(func).parameters.values() if p.default is inspect.Parameter.empty]
    if not params:
        return None
    try:
        anf = s2sad.source(func, stage="anf")
        rev = s2sad.source(func, mode="reverse", wrt=tuple(range(len(params))))
    except s2sad.S2SADError as exc:  # a driver or plotting function of the example, not a model
        return str(exc).splitlines()[0].split(": ", 1)[-1][:48]
    if not re.search(r"^\s+\w*_bar\w* = ", rev, re.M):
        return "the derivative is identically zero"
    return statements(anf), statements(rev), never_read(rev)


def main(argv):
    functions = example_functions() + (corpus_functions() if "--corpus" in argv else [])
    print(f"{'function':40} {'primal':>6} {'reverse':>7} {'ratio':>6} {'special':>7} {'ratio':>6}  never read")
    ratios, special_ratios, over = [], [], []
    for label, func, args in functions:
        result = measure(func)
        if not isinstance(result, tuple):
            print(f"{label:40} (skipped: {result or 'no parameters'})")
            continue
        primal, reverse, dead = result
        ratio = reverse / primal
        ratios.append(ratio)
        special = specialized(func, args)
        if special is not None:
            special_ratios.append(special / primal)
        shown = f"{special:7d} {special / primal:6.2f}" if special is not None else f"{'-':>7} {'-':>6}"
        flag = " over target" if ratio > TARGET else ""
        print(f"{label:40} {primal:6d} {reverse:7d} {ratio:6.2f} {shown}  {', '.join(dead) or '-'}{flag}")
        if ratio > TARGET:
            over.append(label)
    if ratios:
        print(f"\n{len(ratios)} functions: general ratio mean {sum(ratios) / len(ratios):.2f}, max {max(ratios):.2f} "
              f"(target <= {TARGET}); over target: {', '.join(over) or 'none'}")
    if special_ratios:
        print(f"specialized to example arguments ({len(special_ratios)}): ratio mean "
              f"{sum(special_ratios) / len(special_ratios):.2f}, max {max(special_ratios):.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
