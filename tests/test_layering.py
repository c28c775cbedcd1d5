"""Import direction inside s2sad/, as it holds today (docs/architecture.md explains the layers).

* The runtime that generated code calls (`s2sad/runtime.py` and the families it re-exports,
  `s2sad/runtime_core.py` ... `runtime_linalg.py`; `s2sad/batched_runtime.py`) is a leaf: it
  imports NumPy and the standard library, nothing of the compiler.
* Every module belongs to one layer of LAYERS, lowest first, and imports only from its own
  layer or lower ones. The upward imports that exist today are listed in KNOWN_DEBT; a new one
  fails, and so does a listed one that has gone (remove it from the list, and from
  docs/architecture.md).

Imports are read from the source (function-level imports included), so nothing is imported.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "s2sad"

LEAF_RUNTIMES = ("runtime", "batched_runtime", "runtime_decomp", "runtime_misc", "runtime_scipy", "runtime_taylor",
                 "runtime_taylor_special", "runtime_vmap", "runtime_fft", "runtime_core", "runtime_writes",
                 "runtime_adjoints", "runtime_products", "runtime_linalg", "runtime_scatter", "runtime_lazy")

# Module names relative to s2sad ("" is the package's __init__); "optimize.*" is every module of
# the optimize package.
LAYERS = (
    ("leaves", ("errors", "naming", "build", "names", "unparse", "cache", "registry", "runtime", "batched_runtime",
                "runtime_decomp", "runtime_misc", "runtime_scipy", "solvers", "revolve", "runtime_taylor",
                "runtime_taylor_special", "runtime_vmap", "runtime_numba", "runtime_fft", "runtime_core",
                "runtime_writes", "runtime_adjoints", "runtime_products", "runtime_linalg", "runtime_scatter",
                "runtime_lazy", "namespaces")),
    ("rules", ("factored", "rules", "rules.*", "custom")),
    ("front", ("parse", "callables", "syntax", "desugar", "templates", "exits", "aliases", "writes", "holders",
               "checkpointing", "inner", "arity", "specialize", "lift", "inversion", "loops",
               "resolve", "anf_expressions", "normalize")),
    ("analysis", ("analyze", "overwrites", "records", "stacks", "shapes", "bounds", "complex_values")),
    ("transform", ("walk", "partials", "adjoint_reads", "calls", "forward", "reverse_code", "reverse_calls",
                   "reverse_adjoint", "reverse",
                   "taylor")),
    ("optimize", ("optimize", "optimize.*")),
    ("emit", ("emit",)),
    ("driver", ("driver", "reversing")),
    ("face", ("", "__main__", "api", "values", "complex_io", "gradcall", "pytrees", "implicit", "linearize", "higher",
              "higher_batched", "batching", "cli", "tapes", "jets", "vmapping", "vectorize", "testing", "fuzz",
              "fuzz.*", "backend_numba",
              "implicit_second", "scale")),
)

# (importer, imported): upward imports that exist today, each a leak to remove (see
# docs/architecture.md, "Known debt"). None is left: printing moved down to the leaf `unparse`,
# the name walks to the leaf `names`, and reverse reads the markers from `build`.
KNOWN_DEBT = set()


def module_name(path):
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules():
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name, known):
    """The s2sad module an imported dotted name (relative to s2sad) refers to: itself, or its package."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def imports_of(name, path, known):
    """The s2sad modules (relative names) that the module imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module == "s2sad" or (node.module or "").startswith("s2sad."):
                target = node.module[len("s2sad."):] if node.module != "s2sad" else ""
            else:
                continue
            for alias in node.names:  # `from . import emit` names a module, `from .emit import x` does not
                joined = f"{target}.{alias.name}" if target else alias.name
                found.add(joined if joined in known else _resolve(target, known))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "s2sad" or alias.name.startswith("s2sad."):
                    found.add(_resolve(alias.name[len("s2sad."):] if alias.name != "s2sad" else "", known))
    found.discard(name)
    return found


def layer_of(name):
    for index, (_, members) in enumerate(LAYERS):
        for member in members:
            if name == member or (member.endswith(".*") and name.startswith(member[:-1])):
                return index
    return None


def test_every_module_has_a_layer():
    missing = [name or "__init__" for name in modules() if layer_of(name) is None]
    assert not missing, f"modules in no layer of tests/test_layering.py (add them, see docs/architecture.md): {missing}"


def test_runtime_is_a_leaf():
    """Generated code imports the runtime on its own (`s2sad dump -o`): numpy and the standard library only."""
    known = modules()
    stdlib = getattr(sys, "stdlib_module_names", None)  # Python 3.10+
    for name in LEAF_RUNTIMES:
        path = known[name]
        assert not imports_of(name, path, known) - set(LEAF_RUNTIMES), f"s2sad/{name}.py imports from s2sad"
        for node in ast.walk(ast.parse(path.read_text())):
            tops = []
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 1 and (node.module in LEAF_RUNTIMES or (
                    node.module is None and all(alias.name in LEAF_RUNTIMES for alias in node.names))):
                continue  # one runtime leaf reading another (runtime.Refusal, `from . import runtime_taylor`)
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"s2sad/{name}.py has a relative import"
                tops = [node.module.split(".")[0]]
            for top in tops:
                allowed = ("numpy", "scipy") if name in ("runtime_scipy", "runtime_taylor_special") else ("numpy",)
                if name == "runtime_scatter":  # each library's scatter-add, imported when its arrays are met
                    allowed = ("numpy", "cupyx", "dask")
                assert top in allowed or stdlib is None or top in stdlib, f"s2sad/{name}.py imports {top}"


def upward_imports():
    known = modules()
    found = set()
    for name, path in known.items():
        for imported in imports_of(name, path, known):
            if layer_of(imported) is not None and layer_of(imported) > layer_of(name):
                found.add((name, imported))
    return found


def test_no_new_upward_import():
    new = sorted(upward_imports() - KNOWN_DEBT)
    described = [f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})" for a, b in new]
    assert not new, f"imports against the layer order of tests/test_layering.py: {described}"


def test_known_debt_is_still_owed():
    paid = sorted(KNOWN_DEBT - upward_imports())
    assert not paid, f"these upward imports are gone: remove them from KNOWN_DEBT and docs/architecture.md: {paid}"


def test_the_import_reader_sees_imports():
    known = modules()
    assert "unparse" in imports_of("lift", known["lift"], known)
    assert "names" in imports_of("normalize", known["normalize"], known)
    assert "rules" in imports_of("optimize.effects", known["optimize.effects"], known)  # inside a function
    assert {"arithmetic", "numpy_linalg"} <= {m.rpartition(".")[2] for m in imports_of("rules", known["rules"], known)}


RUNTIME_FAMILIES = ("runtime_core", "runtime_writes", "runtime_adjoints", "runtime_products", "runtime_linalg")


def test_runtime_families_are_one_namespace():
    """Generated code, rule labels and pickles see the helpers as `s2sad.runtime.<name>`: every
    function and class of a family is re-exported by runtime.py and names it as its module."""
    import importlib
    import inspect

    from s2sad import runtime

    for family in RUNTIME_FAMILIES:
        module = importlib.import_module(f"s2sad.{family}")
        for name, obj in vars(module).items():
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ in ("s2sad.runtime",
                                                                                         module.__name__):
                assert getattr(runtime, name, None) is obj, f"runtime.py does not re-export {family}.{name}"
                assert obj.__module__ == "s2sad.runtime", f"{family}.{name} keeps its family's module name"
    assert runtime.unbroadcast.__module__ == "s2sad.runtime"
