"""Write docs/coverage.md from the rules table: every supported function, its modes and its kind.

    python scripts/gen_coverage.py            # rewrite docs/coverage.md
    python scripts/gen_coverage.py --check    # exit 1 if docs/coverage.md is stale

tests/test_coverage_doc.py runs the check. Which rules exist depends on the Python and NumPy
versions, so the doc records the ones it was generated under (CI's main Python), and the
check only applies under those.
"""

import argparse
import inspect
import platform
import re
import sys
from pathlib import Path

import numpy as np

import s2sad.driver  # noqa: F401  (importing the driver fills the table)
import s2sad.rules
from s2sad.registry import RULES

s2sad.rules.load_all()  # SciPy's rules too (registered on first need otherwise)
for _name in s2sad.__all__:  # the public modules, imported on first use, register rules of their own (stop_gradient)
    getattr(s2sad, _name)

DOC = Path(__file__).resolve().parent.parent / "docs" / "coverage.md"

FAMILIES = [  # rules module -> heading
    ("arithmetic", "Python operators"),
    ("builtin", "Python builtins"),
    ("mathlib", "The math module"),
    ("numpy_core", "NumPy: elementwise"),
    ("numpy_reduce", "NumPy: reductions and scans"),
    ("numpy_linalg", "NumPy: products and linear algebra"),
    ("numpy_shape", "NumPy: shapes, assembly and selection"),
    ("numpy_decomp", "NumPy: matrix decompositions"),
    ("numpy_misc", "NumPy: convolutions, interpolation, finite differences, selection; sorted"),
    ("numpy_fft", "NumPy: np.fft, and abs, real, imag, conj, angle of complex values (see complex.md)"),
    ("scipy_special", "SciPy: scipy.special and scipy.stats log densities (when SciPy is installed)"),
    ("scipy_linalg", "SciPy: scipy.linalg (when SciPy is installed)"),
    ("runtime_rules", "Runtime helpers (so that derivatives can be differentiated again)"),
]

OPERATORS = {"add": "a + b", "sub": "a - b", "mul": "a * b", "truediv": "a / b", "pow": "a ** b", "mod": "a % b",
             "matmul": "a @ b", "neg": "-a", "pos": "+a", "getitem": "a[index]", "floordiv": "a // b",
             "lt": "a < b", "le": "a <= b", "gt": "a > b", "ge": "a >= b", "eq": "a == b", "ne": "a != b",
             "not_": "not a", "and_": "a & b", "or_": "a | b", "contains": "b in a", "is_": "a is b",
             "is_not": "a is not b", "invert": "~a"}

KINDS = {"elementwise": "elementwise", "linear": "linear", "bilinear": "bilinear", "general": "general"}


def versions():
    """The Python and NumPy the table is read under: which rules exist depends on them
    (`math.cbrt` is new in Python 3.11, NumPy adds and drops functions)."""
    python = ".".join(platform.python_version_tuple()[:2])
    numpy = ".".join(np.__version__.split(".")[:2])
    try:  # the SciPy rules exist only where SciPy is installed
        import scipy
    except ImportError:
        return f"Python {python} and NumPy {numpy} without SciPy"
    return f"Python {python} and NumPy {numpy} and SciPy {'.'.join(scipy.__version__.split('.')[:2])}"


def recorded_versions(text):
    """The versions a rendered doc says it was generated under, or None."""
    match = re.search(r"under (Python \S+ and NumPy \S+?(?: without SciPy| and SciPy \S+?)?);", text)
    return match.group(1) if match else None


def display(rule):
    """How the user writes the call: `np.sin(x)`, `x.sum()`, `x.T`, `a + b`, `math.sin`, `abs`."""
    name = rule.name
    if name.startswith("_operator."):
        return f"`{OPERATORS.get(name.split('.', 1)[1], name)}`"
    if name.startswith("ndarray."):
        attr = name.split(".", 1)[1]
        is_attribute = inspect.isgetsetdescriptor(rule.primitive) or inspect.isdatadescriptor(rule.primitive)
        return f"`x.{attr}`" if is_attribute else f"`x.{attr}()`"
    if name.startswith("numpy."):
        return f"`np.{name.split('.', 1)[1]}`"
    if name.startswith("s2sad.runtime."):
        return f"`runtime.{name.split('.', 2)[2]}`"
    if name.startswith("scipy."):  # scipy.linalg._basic.solve is scipy.linalg.solve
        return "`" + ".".join(part for part in name.split(".") if not part.startswith("_")) + "`"
    return f"`{name}`"


# rules modules that continue a family of FAMILIES (one family, split to keep modules short)
PARTS = {"runtime_rules_vmap": "runtime_rules"}


def family(rule):
    template = rule.vjp or rule.jvp
    module = template.__module__.rsplit(".", 1)[-1] if template is not None else None
    return PARTS.get(module, module)


def note(rule):
    """The first line of the rule's docstring, if it has one."""
    for template in (rule.vjp, rule.jvp):
        doc = inspect.getdoc(template) if template is not None else None
        if doc:
            return doc.splitlines()[0].replace("|", "\\|")
    return ""


def modes(rule):
    forward = rule.kind in ("elementwise", "linear") or rule.jvp is not None
    reverse = rule.vjp is not None
    return ("yes" if forward else "no"), ("yes" if reverse else "no")


def render():
    rules = [r for r in RULES.values() if r.kind != "nondiff"]
    helpers = [r for r in rules if family(r) == "runtime_rules" or r.name.startswith("s2sad.runtime")]
    both = [r for r in rules if modes(r) == ("yes", "yes") and r not in helpers]
    nondiff = sorted({display(r) for r in RULES.values() if r.kind == "nondiff"}, key=lambda d: d.strip("`").lower())
    lines = [
        "# Coverage: the derivative rules",
        "",
        f"Generated from `s2sad.registry.RULES` by `scripts/gen_coverage.py` under {versions()}; do not edit by hand",
        "(`tests/test_coverage_doc.py` fails when this file is stale). How the rules are written and",
        "tested, and what happens at kinks: [rules.md](rules.md).",
        "",
        f"- **{len(both)}** functions, methods and operators have both "
        "a forward (JVP) and a reverse (VJP) rule;",
        f"- **{len(helpers)}** more rules cover s2sad's own runtime helpers, so generated derivatives can be "
        "differentiated again;",
        f"- **{len(nondiff)}** functions carry no derivative (integers, booleans, indices, shapes): their results "
        "are never active.",
        "",
        "Kinds: *elementwise* (partial derivatives; reverse mode sums over broadcast axes), *linear* (the forward",
        "rule is the function itself applied to the tangent), *bilinear* (products: both modes from the two",
        "adjoints), *general* (one template per mode); *complex-safe*:",
        "right on complex intermediate values as it is ([complex.md](complex.md)).",
        "",
    ]
    for module, heading in FAMILIES:
        members = sorted((r for r in rules if family(r) == module), key=lambda r: display(r).strip("`").lower())
        if not members:
            continue
        lines += [f"## {heading}", "", "| Function | Forward | Reverse | Kind | Test inputs | Notes |",
                  "|---|---|---|---|---|---|"]
        for r in members:
            forward, reverse = modes(r)
            kind = KINDS[r.kind] + (", complex-safe" if r.complex_safe else "")
            lines.append(f"| {display(r)} | {forward} | {reverse} | {kind} | {r.domain} | {note(r)} |")
        lines.append("")
    lines += ["## No derivative", "", ", ".join(nondiff), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/coverage.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not DOC.exists() or DOC.read_text() != text:
            recorded = recorded_versions(DOC.read_text()) if DOC.exists() else None
            under = f" (it was generated under {recorded}, this is {versions()})" if recorded != versions() else ""
            print(f"{DOC} is stale{under}: run python scripts/gen_coverage.py", file=sys.stderr)
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
