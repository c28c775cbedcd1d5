"""Every corpus function: its normal form computes the same values, and both modes match finite differences."""

import inspect

import numpy as np
import pytest

import s2sad
from s2sad.driver import front
from s2sad.emit import load
from s2sad.normalize import is_normal
from s2sad.testing import check_derivatives

import corpus_basic
import corpus_control
from conftest import differentiable, inputs_for

MODULES = [corpus_basic, corpus_control]
FUNCTIONS = [f for m in MODULES for _, f in inspect.getmembers(m, inspect.isfunction) if f.__module__ == m.__name__]


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_normal_form_computes_the_same(func):
    parsed, normalized = front(func)
    assert is_normal(normalized.node)
    normal, _ = load(normalized.node, normalized.helpers, parsed, func.__defaults__ or ())
    args = inputs_for(func)
    want, got = func(*args), normal(*args)
    for w, g in zip(np.atleast_1d(np.asarray(want, dtype=float)).ravel(), np.atleast_1d(np.asarray(got, dtype=float)).ravel()):
        assert w == g


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_derivatives_match_finite_differences(func):
    args = inputs_for(func)
    check_derivatives(func, args, wrt=differentiable(func, args))


@pytest.mark.parametrize("func", [f for f in FUNCTIONS if np.ndim(f(*inputs_for(f))) == 0 and not isinstance(f(*inputs_for(f)), tuple)],
                         ids=lambda f: f.__name__)
def test_grad_matches_vjp(func):
    args = inputs_for(func)
    floats = differentiable(func, args)
    grads = s2sad.grad(func, wrt=floats)(*args)
    _, pullback = s2sad.vjp(func, *args)
    cotangents = pullback(1.0)
    for i, g in zip(floats, grads):
        np.testing.assert_allclose(g, cotangents[i], rtol=1e-12)
        assert np.shape(g) == np.shape(args[i]) and type(g) is type(args[i])
