"""`grad(f, checkpoint=2)` on every corpus function with a loop: the gradient equals the fully taped
one to 1e-12 relative, or the loop is refused with an S2SADError at its line (a turn that changes
a list or array it did not make, or a `while` test that assigns with `:=`: running a turn again
from a snapshot would be wrong). Never a different number."""

import ast
import inspect
import textwrap

import numpy as np
import pytest
from conftest import differentiable, inputs_for
from test_corpus import FUNCTIONS

import s2sad
from s2sad.testing import flat

REFUSED = {"append_in_loop", "leapfrog", "leapfrog_named_views",
           "walrus_while_else"}


def _has_loop(func):
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    return any(isinstance(node, (ast.For, ast.While)) for node in ast.walk(tree))


def _scalar(func):
    out = func(*inputs_for(func))
    return not isinstance(out, (tuple, list, dict)) and np.ndim(out) == 0


LOOPS = [f for f in FUNCTIONS if _has_loop(f) and _scalar(f)]


@pytest.mark.parametrize("func", LOOPS, ids=lambda f: f.__name__)
def test_checkpointed_gradient_equals_the_taped_one_or_is_refused(func):
    args = inputs_for(func)
    wrt = differentiable(func, args)
    taped = s2sad.grad(func, wrt=wrt)(*args)
    if func.__name__ in REFUSED:
        with pytest.raises(s2sad.S2SADError, match=rf"{func.__module__}.py:\d+: "):
            s2sad.grad(func, wrt=wrt, checkpoint=2)(*args)
        return
    got = s2sad.grad(func, wrt=wrt, checkpoint=2)(*args)
    for g, t in zip(flat(got), flat(taped)):
        np.testing.assert_allclose(g, t, rtol=1e-12, atol=1e-14)
