"""Every runtime helper that generated code calls has a derivative rule of its own, so a derivative of
a derivative never meets a helper it cannot differentiate; the few without one are listed here with
the reason, and s2sad refuses them (never reads their source)."""

import inspect

import numpy as np
import pytest

import s2sad
from s2sad import registry, runtime, runtime_decomp, runtime_misc, runtime_scipy

# Bookkeeping of reverse mode and of the API, which the transforms handle themselves.
BOOKKEEPING = {
    "append": "list appends are paired with `unappend` by the reverse transform (reverse.appending)",
    "rebuild": "builds the API's result structures, never called by generated code",
}
# Helpers that only the rules of helpers call: a derivative of them is a fourth-order one.
REFUSED_BEYOND = {
    "einsum_with_ops", "einsum_with_dops", "einsum_adjoint_ops", "einsum_adjoint_dops", "norm_slope_dot",
    "expm_frechet2",
}


def helpers(module):
    return {name for name, obj in vars(module).items()
            if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_")}


def ruled():
    return {getattr(p, "__name__", None) for p, rule in registry.RULES.items()
            if rule is not None and getattr(p, "__module__", "").startswith("s2sad")}


@pytest.mark.parametrize("module", [runtime, runtime_decomp, runtime_misc, runtime_scipy], ids=lambda m: m.__name__)
def test_every_runtime_helper_has_a_rule(module):
    missing = helpers(module) - ruled() - set(BOOKKEEPING) - REFUSED_BEYOND
    assert not missing, f"runtime helpers without a derivative rule: {sorted(missing)}"


def test_the_lists_hold_only_what_still_lacks_a_rule():
    every = set().union(*(helpers(m) for m in (runtime, runtime_decomp, runtime_misc, runtime_scipy)))
    assert (set(BOOKKEEPING) | REFUSED_BEYOND) <= every
    assert not (set(BOOKKEEPING) | REFUSED_BEYOND) & ruled()


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
