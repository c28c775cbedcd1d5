"""Every corpus function: its normal form computes the same values, and both modes match finite differences."""

import inspect

import numpy as np
import pytest

import s2sad
from s2sad.driver import front
from s2sad.emit import load
from s2sad.normalize import is_normal
from s2sad.testing import check_derivatives, flat, leaves

import corpus_basic
import corpus_control
import corpus_language
import corpus_numpy
import corpus_structure
import corpus_subroutines
from conftest import differentiable, inputs_for

MODULES = [corpus_basic, corpus_control, corpus_subroutines, corpus_structure, corpus_numpy, corpus_language]
FUNCTIONS = [f for m in MODULES for _, f in inspect.getmembers(m, inspect.isfunction) if f.__module__ == m.__name__ and not f.__name__.startswith("_")]


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_normal_form_computes_the_same(func):
    parsed, normalized = front(func)
    assert is_normal(normalized.node)
    normal, _ = load(normalized.node, normalized.helpers, parsed, func.__defaults__ or ())
    args = inputs_for(func)
    want, got = func(*args), normal(*args)
    assert type(want) is type(got)
    for w, g in zip(flat(want), flat(got)):
        assert w == g


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_derivatives_match_finite_differences(func):
    args = inputs_for(func)
    check_derivatives(func, args, wrt=differentiable(func, args))


@pytest.mark.parametrize("func", [f for f in FUNCTIONS if not isinstance(f(*inputs_for(f)), (tuple, list, dict))
                                  and np.ndim(f(*inputs_for(f))) == 0],
                         ids=lambda f: f.__name__)
def test_grad_matches_vjp(func):
    args = inputs_for(func)
    floats = differentiable(func, args)
    grads = s2sad.grad(func, wrt=floats)(*args)
    _, pullback = s2sad.vjp(func, *args)
    cotangents = pullback(1.0)
    for i, g in zip(floats, grads):
        np.testing.assert_allclose(flat(g), flat(cotangents[i]), rtol=1e-12)
        assert type(g) is type(args[i])
        for leaf, arg in zip(leaves(g), leaves(args[i])):  # a gradient has its input's structure, shapes and types
            assert np.shape(leaf) == np.shape(arg) and type(leaf) is type(arg)
