"""The NumPy rules that take complex values (tests/rule_inputs_complex.py), checked on complex arguments in
both modes against central finite differences along real and imaginary directions (docs/complex.md):

* forward mode: `s2sad.jvp` along a tangent v equals (f(z + h v) - f(z - h v)) / 2h, for v real and v
  imaginary (a complex argument moved along its real, then its imaginary axis; a real one along its own);
* reverse mode: the pullback is the transpose of that map, Re(sum(c * J v)) = Re(sum(pullback(c) * v)) for
  the same two v (JAX's pairing, no conjugate), so each real and imaginary part of each cotangent is checked.

A real argument's cotangent is real; a result is complex or real as the function's is.
"""

import operator

import numpy as np
import pytest
from rule_inputs_complex import CASES

import s2sad
from s2sad import runtime, runtime_fft
from s2sad.registry import COMPLEX_VARIANTS, RULES, lookup

EPS = 1e-6
IDS = [fn.__name__ for _, fn, _ in CASES]


def tangents(args, imaginary, seed):
    """One tangent per argument: random, real for a real argument, times 1j for a complex one if imaginary."""
    rng = np.random.default_rng(seed)
    out = []
    for a in args:
        v = rng.uniform(-1.0, 1.0, np.shape(a))
        out.append(v * 1j if imaginary and np.iscomplexobj(a) else v)
    return out


def finite_difference(fn, args, dots):
    plus = fn(*[a + EPS * d for a, d in zip(args, dots)])
    minus = fn(*[a - EPS * d for a, d in zip(args, dots)])
    return (np.asarray(plus) - np.asarray(minus)) / (2 * EPS)


def cotangent(out, seed):
    rng = np.random.default_rng(seed)
    c = rng.uniform(-1.0, 1.0, np.shape(out))
    return c + 1j * rng.uniform(-1.0, 1.0, np.shape(out)) if np.iscomplexobj(out) else c


@pytest.mark.parametrize("imaginary", [False, True], ids=["real direction", "imaginary direction"])
@pytest.mark.parametrize("prim, fn, args", CASES, ids=IDS)
def test_jvp_matches_finite_differences(prim, fn, args, imaginary):
    dots = tangents(args, imaginary, 1)
    out, out_dot = s2sad.jvp(fn, args, dots)
    np.testing.assert_allclose(out, fn(*args), rtol=1e-12)
    want = finite_difference(fn, args, dots)
    assert np.iscomplexobj(out_dot) == np.iscomplexobj(fn(*args)) or not np.any(np.imag(out_dot))
    np.testing.assert_allclose(out_dot, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("imaginary", [False, True], ids=["real direction", "imaginary direction"])
@pytest.mark.parametrize("prim, fn, args", CASES, ids=IDS)
def test_vjp_is_the_transpose_of_finite_differences(prim, fn, args, imaginary):
    out, pullback = s2sad.vjp(fn, *args)
    c = cotangent(out, 2)
    cotangents = pullback(c)
    for a, g in zip(args, cotangents):
        assert np.shape(g) == np.shape(a)
        assert np.iscomplexobj(g) == np.iscomplexobj(a)
    dots = tangents(args, imaginary, 3)
    want = np.real(np.sum(c * finite_difference(fn, args, dots)))
    got = sum(np.real(np.sum(g * d)) for g, d in zip(cotangents, dots))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


# -- the table: every complex-safe rule a user calls has a case here ------------------------------------------

GENERATED_ONLY = {runtime.split_like, runtime.cumsum_adjoint, runtime.part, runtime.sequence, runtime.spread_zero,
                  runtime_fft.fft_adjoint, runtime_fft.ifft_adjoint, runtime_fft.rfft_adjoint,
                  runtime_fft.irfft_adjoint, runtime_fft.real_like, runtime.unbroadcast, runtime.broadcast_like,
                  runtime.sum_adjoint, runtime.mean_adjoint, runtime.scatter, runtime.scatter_add,
                  runtime.pow_base_partial, runtime.times_partial, runtime.times_partial_scalar,
                  runtime.matmul_adjoint_a, runtime.matmul_adjoint_b, np.fft.rfft}  # rfft: of real values only


def _known(prim):
    return any(prim is p for p, _, _ in CASES)


def test_every_complex_rule_a_user_calls_has_a_case():
    safe = [p for p, rule in RULES.items() if rule.complex_safe and not any(p is g for g in GENERATED_ONLY)]
    variants = list(COMPLEX_VARIANTS)
    missing = [getattr(p, "__name__", repr(p)) for p in safe + variants if not _known(p)]
    assert not missing, f"complex rules without a case in tests/rule_inputs_complex.py: {missing}"
    assert len(CASES) >= 110


def test_cases_are_complex():
    """Each case gets at least one complex argument, and runs the primitive it is filed under."""
    for prim, fn, args in CASES:
        assert any(np.iscomplexobj(a) for a in args), fn.__name__
        prim = {np.ndarray.real: np.real, np.ndarray.imag: np.imag}.get(prim, prim)  # complex_values.ARRAY_FIELDS
        assert prim in COMPLEX_VARIANTS or lookup(prim).complex_safe, fn.__name__
    assert any(p is operator.pow for p, _, _ in CASES)
