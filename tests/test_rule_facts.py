"""The rule entry is the only home of a primitive's facts, and every helper generated code calls has one.

* Every public function of `s2sad.runtime` and of every family module beside it (`s2sad/runtime_*.py`,
  found by file name, so a new family module is checked without editing this test) has a derivative
  rule of its own, so a derivative of a derivative never meets a helper it cannot differentiate. The
  few without one are listed here with the reason, and s2sad refuses them (never reads their source).
* Every rule has each of its facts (`s2sad/registry.py` says what each means): purity, batched form
  (a batch-aware form, the family's lift, or "columns": batched by loop), shape rule, Taylor rule (a
  recurrence of the jet runtime, or a form jet builds, "refused" included), test inputs; and each
  declared value is one the stage that reads it knows.
"""

import importlib
import inspect
from pathlib import Path

import numpy as np
import pytest
from test_rules import cases_for

import s2sad
from s2sad import batched_runtime, batching, registry, rules, runtime_taylor, runtime_taylor_special, shapes
from s2sad.optimize import effects

# Bookkeeping of reverse mode and of the API, which the transforms handle themselves.
BOOKKEEPING = {
    "append": "list appends are paired with `unappend` by the reverse transform (reverse.appending)",
    "rebuild": "builds the API's result structures, never called by generated code",
    "all_floats": "vmap's API asks it before it builds code (vmapping.py), generated code never calls it",
    "replicate": "vmap's API copies arguments with it (vmapping.py), generated code never calls it",
    "library_of": "scatter_add asks it which array library holds its target; generated code never calls it",
}
# Helpers that only the rules of helpers call: a derivative of them is a fourth-order one.
REFUSED_BEYOND = {
    "einsum_with_ops", "einsum_with_dops", "einsum_adjoint_ops", "einsum_adjoint_dops", "norm_slope_dot",
    "expm_frechet2", "matmul_adjoint",
}
# Runtime modules whose generated code is never differentiated again: nothing there needs a rule.
NEVER_DIFFERENTIATED = {
    "runtime_taylor": "jets' Taylor arithmetic (s2sad.jet): the jet is the derivative, never differentiated",
    "runtime_taylor_special": "jets' Taylor rules for SciPy's special functions: part of runtime_taylor, split off",
    "runtime_numba": "the numba backend's compiled twins of derivatives already built",
    "runtime_vmap.leaves": "vmap's own bookkeeping of a pytree's leaves",
}


def runtime_modules():
    """s2sad.runtime and its family modules, by file name."""
    names = sorted(p.stem for p in Path(s2sad.__file__).parent.glob("runtime*.py"))
    return [importlib.import_module(f"s2sad.{n}") for n in names if n not in NEVER_DIFFERENTIATED]


def helpers(module):
    short = module.__name__.rpartition(".")[2]
    return {name for name, obj in vars(module).items()
            if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_")
            and f"{short}.{name}" not in NEVER_DIFFERENTIATED}


def ruled():
    rules.load_all()
    return {getattr(p, "__name__", None) for p, rule in registry.RULES.items()
            if rule is not None and getattr(p, "__module__", "").startswith("s2sad")}


@pytest.mark.parametrize("module", runtime_modules(), ids=lambda m: m.__name__)
def test_every_runtime_helper_has_a_rule(module):
    missing = helpers(module) - ruled() - set(BOOKKEEPING) - REFUSED_BEYOND
    assert not missing, f"runtime helpers without a derivative rule: {sorted(missing)}"


def test_the_lists_hold_only_what_still_lacks_a_rule():
    every = set().union(*(helpers(m) for m in runtime_modules()))
    assert (set(BOOKKEEPING) | REFUSED_BEYOND) <= every
    assert not (set(BOOKKEEPING) | REFUSED_BEYOND) & ruled()


# -- each rule's facts ---------------------------------------------------------------------------------------


def _all_rules():
    rules.load_all()
    return list(registry.RULES.items())


def _missing_facts(prim, rule):
    missing = []
    if not isinstance(rule.pure, bool):
        missing.append("pure")
    batched = rule.batched
    if isinstance(batched, tuple):
        if not (callable(getattr(batched_runtime, batched[0], None)) and set(batched[1:]) <= set(rule.params)):
            missing.append(f"batched {batched} (a twin of batched_runtime and the rule's own parameters)")
    elif batched not in registry.BATCHED_FORMS:
        missing.append(f"batched {batched!r}")
    if rule.shape not in registry.SHAPE_KINDS:
        missing.append(f"shape {rule.shape!r}")
    if not (rule.taylor in registry.TAYLOR_FORMS if isinstance(rule.taylor, str) else _is_recurrence(rule.taylor)):
        missing.append(f"taylor {rule.taylor!r} (a form of registry.TAYLOR_FORMS or a runtime_taylor* recurrence)")
    if rule.taylor == "derived" and not (rule.kind == "elementwise" and len(rule.params) == 1):
        missing.append("taylor 'derived' on a rule that is not elementwise in one argument")
    if rule.kind != "nondiff" and not cases_for(prim):
        missing.append("test inputs (`shapes=` on the entry, or a @case in tests/rule_inputs.py)")
    return missing


def _is_recurrence(helper):
    return any(getattr(module, getattr(helper, "__name__", ""), None) is helper
               for module in (runtime_taylor, runtime_taylor_special))


def test_every_rule_has_its_facts():
    lacking = {rule.name: m for prim, rule in _all_rules() if (m := _missing_facts(prim, rule))}
    assert not lacking, f"rules lacking facts (s2sad/registry.py says each): {lacking}"


def test_every_declared_fact_has_a_reader():
    """A batched form or shape rule an entry may name is one that batching or shapes builds."""
    assert set(batching._FORMS) | {"elementwise", "columns", "none"} == registry.BATCHED_FORMS
    assert set(shapes._SHAPE_RULES) == registry.SHAPE_KINDS


def test_the_families_set_the_facts():
    assert registry.RULES[np.sin].batched == "elementwise" and registry.RULES[np.sin].shape == "broadcast"
    assert registry.RULES[np.sum].batched == "sum" and registry.RULES[np.sum].shape == "total"
    assert registry.RULES[np.cumsum].batched == "columns"
    assert registry.RULES[np.argmax].batched == "none"
    assert registry.RULES[np.kron].taylor == "bilinear" and registry.RULES[np.sum].taylor == "coefficientwise"
    assert registry.RULES[np.sinh].taylor is runtime_taylor.sinh and registry.RULES[np.sort].taylor == "refused"
    assert registry.RULES[s2sad.runtime.refuse].pure is False


def test_purity_is_read_from_the_entries():
    """optimize.effects keeps no list of its own, beyond the helpers that have no entry to say it."""
    assert effects.PURE_WITHOUT_RULE <= REFUSED_BEYOND
    assert "unbroadcast" in effects.pure_calls() and "refuse" not in effects.pure_calls()
    assert "np.sin" in effects.pure_calls()


def trace_of_expm(x):
    import scipy.linalg
    return np.trace(scipy.linalg.expm(np.array([[0.1, 0.2], [0.0, 0.3]]) * x))


def test_a_derivative_beyond_the_helpers_rules_is_refused():
    """expm's second derivative is right; its third would differentiate expm_frechet2, which has no rule:
    refused, never read from source."""
    pytest.importorskip("scipy")
    second = s2sad.grad(s2sad.grad(trace_of_expm))
    assert second(1.0) == pytest.approx(0.1 ** 2 * np.exp(0.1) + 0.3 ** 2 * np.exp(0.3), rel=1e-10)
    with pytest.raises(s2sad.S2SADError, match="expm_frechet2"):
        s2sad.grad(second)(1.0)
