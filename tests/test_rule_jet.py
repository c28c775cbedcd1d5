"""Every rule's Taylor mode (jet), checked on the calls tests/test_rules.py makes from the rule's own entry.

For each rule that is not `nondiff` and each of its float64 calls, the jet to order 3 along a
curve x(t) = x0 + x1 t + x2 t**2 / 2 of its float arguments is either

* the curve's first three derivatives of the call, as central finite differences of the function
  itself find them (an oracle that shares nothing with s2sad's rules or recurrences), or
* an S2SADError naming the primitive, which is what an entry with `taylor="refused"` (no Taylor rule)
  must give: never a silently wrong series.

A rule whose entry claims a Taylor rule (a recurrence, a form, or "derived" from its derivative
template) must give values on every one of its calls, except those listed in REFUSED_CALLS with the
reason. The entry is the only thing to write: a new rule is picked up here as it is in test_rules.py.
"""

import inspect

import numpy as np
import pytest
from test_rules import _arguments, _params, is_float, leaves, random_like

import s2sad
from s2sad.registry import RULES
from s2sad.taylor import has_taylor_rule

ORDER = 3
STEP = 2e-3

# Calls (rule:case, as the test ids) whose entry has a Taylor rule these arguments do not reach, with the reason.
REFUSED_CALLS = {
    "math.log:log_base": "math.log(x, base): its recurrence is for one argument",
    "numpy.clip:clip_keywords": "np.clip with min=/max= keywords: jet reads np.clip(a, a_min, a_max) only",
    "ndarray.clip:clip_method": "x.clip(...): jet reads np.clip(a, a_min, a_max) only",
    "ndarray.clip:clip_method_max": "x.clip(max=...): jet reads np.clip(a, a_min, a_max) only",
    "ndarray.clip:derived(2, 3)(2, 3)(2, 3)": "x.clip(lo, hi): jet reads np.clip(a, a_min, a_max) only",
    "ndarray.clip:derived(2, 3)()(3,)": "x.clip(lo, hi): jet reads np.clip(a, a_min, a_max) only",
    "numpy.einsum:einsum_three": "np.einsum with three operands that have series: jet's Leibniz rule is for two",
    "numpy.einsum:einsum_four": "np.einsum with four operands that have series: jet's Leibniz rule is for two",
}
if "min" not in inspect.signature(np.clip).parameters:  # NumPy before 2.1 has no such case (tests/rule_inputs.py)
    del REFUSED_CALLS["numpy.clip:clip_keywords"]


def _jet_params():
    return [p for p in _params() if p.values[2] == np.float64]


def _curve(args, wrt, rng):
    """For each argument: its series [x1, x2, 0] (None for what is not a float), zeros for a float held fixed."""
    series = []
    for i, x in enumerate(args):
        if not is_float(x):
            series.append(None)
        elif i in wrt:
            series.append([0.5 * random_like(x, rng), 0.5 * random_like(x, rng), 0.0 * random_like(x, rng)])
        else:
            series.append([0.0 * x] * ORDER)
    return series


def _along(f, args, series, t):
    """f at the curve's point t (second order in t: the curve's third coefficient is 0)."""
    moved = [a if s is None else a + t * s[0] + 0.5 * t * t * s[1] for a, s in zip(args, series)]
    return [np.asarray(leaf, dtype=float) for leaf in leaves(f(*moved))]


# central stencils over f at t = -3h ... 3h: the first two derivatives to O(h**6), the third to O(h**4)
STENCILS = ((np.array([-1, 9, -45, 0, 45, -9, 1]) / 60, 1), (np.array([2, -27, 270, -490, 270, -27, 2]) / 180, 2),
            (np.array([1, -8, 13, 0, -13, 8, -1]) / 8, 3))


def _finite_differences(f, args, series, step=STEP):
    """The first three derivatives along the curve, one list of output leaves each."""
    at = [_along(f, args, series, k * step) for k in range(-3, 4)]
    return [[sum(w * point[i] for w, point in zip(weights, at)) / step ** power for i in range(len(at[0]))]
            for weights, power in STENCILS]


@pytest.mark.parametrize("prim, case, dtype", _jet_params())
def test_rule_jet(prim, case, dtype):
    rule = RULES[prim]
    f = case.func
    args, floats, wrt, rng = _arguments(prim, case, dtype)
    series = _curve(args, wrt, rng)
    if not has_taylor_rule(prim, rule) or f"{rule.name}:{case.name}" in REFUSED_CALLS:
        with pytest.raises(s2sad.S2SADError, match="Taylor-mode|jet|complex values"):
            s2sad.jet(f, args, series)
        return
    try:
        out, out_series = s2sad.jet(f, args, series)
    except s2sad.S2SADError as refusal:  # jets refuse complex values as a whole (docs/complex.md)
        assert "complex values" in str(refusal), refusal
        return
    wanted, halved = _finite_differences(f, args, series), _finite_differences(f, args, series, STEP / 2)
    by_leaf = _leaf_series(out, out_series)
    assert len(by_leaf) == len(wanted[0])
    for k, (want, check) in enumerate(zip(wanted, halved)):
        for value, expected, again in zip([s[k] for s in by_leaf], want, check):
            # the oracle's own error, per item: what two step sizes disagree by (large only beside a pole or a jump)
            scale = 1e-4 * (1.0 + float(np.max(np.abs(expected), initial=0.0))) + 10 * np.abs(expected - again)
            assert np.all(np.abs(np.asarray(value, dtype=float) - expected) <= 1e-4 * np.abs(expected) + scale), \
                f"coefficient {k + 1}: jet {value} but finite differences {expected}"


def _leaf_series(out, series):
    """One list of K derivatives per leaf of the output (jet gives the output's structure, each leaf's series
    in its place)."""
    if isinstance(out, (tuple, list)) and not (isinstance(out, tuple) and all(type(o) is float for o in out)):
        return [leaf for o, s in zip(out, series) for leaf in _leaf_series(o, s)]
    if isinstance(out, tuple):  # floats: a tuple of series
        return list(series)
    if isinstance(out, np.ndarray) and out.dtype == object:  # pieces: each its own leaf
        return [[c[i] for c in series] for i in range(len(out))]
    return [series]


def test_the_refused_calls_are_calls_of_rules_with_a_taylor_rule():
    """Each line of REFUSED_CALLS names a call made above, of an entry that claims a Taylor rule."""
    ids = {p.id.rpartition(":")[0]: p.values[0] for p in _jet_params()}
    assert set(REFUSED_CALLS) <= set(ids)
    assert all(has_taylor_rule(ids[name], RULES[ids[name]]) for name in REFUSED_CALLS)


def test_most_rules_have_a_taylor_rule():
    """jet is refused only where an entry says so (general rules without a recurrence: np.sort, the
    decompositions...); the families give the rest theirs."""
    differentiable = [rule for rule in RULES.values() if rule.kind != "nondiff"]
    refused = [rule.name for rule in differentiable if rule.taylor == "refused"]
    assert len(refused) < len(differentiable) / 2, refused


# -- the rule jet derives from a derivative template, against the recurrences written by hand ----------------


def _unary_with_recurrence():
    """The float64 calls of the elementwise rules of one argument that name a recurrence of their own."""
    return [p for p in _jet_params() if RULES[p.values[0]].kind == "elementwise"
            and len(RULES[p.values[0]].params) == 1 and callable(RULES[p.values[0]].taylor)]


@pytest.mark.parametrize("prim, case, dtype", _unary_with_recurrence())
def test_derived_taylor_rule_matches_the_recurrence(prim, case, dtype, monkeypatch):
    """What an entry without `taylor=` gets (its derivative template's own jet, runtime_taylor_special.
    from_derivative) agrees with the recurrence written for it, to order 4 (order 5's first four
    coefficients: each order is compiled and cached on its own)."""
    args, floats, wrt, rng = _arguments(prim, case, dtype)
    series = [None if s is None else s + [0.0 * s[0]] for s in _curve(args, wrt, rng)]
    _, written = s2sad.jet(case.func, args, [None if s is None else s + [0.0 * s[0]] for s in series])
    monkeypatch.setattr(RULES[prim], "taylor", "derived")
    _, derived = s2sad.jet(case.func, args, series)
    for k in range(ORDER + 1):
        np.testing.assert_allclose(np.asarray(derived[k], dtype=float), np.asarray(written[k], dtype=float),
                                   rtol=1e-9, atol=1e-9 * (1.0 + float(np.max(np.abs(written[k])))))
