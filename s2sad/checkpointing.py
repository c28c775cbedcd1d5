"""Trading memory for time in reverse mode (seed lecture 004, "Differentiating long iterations").

`s2sad.checkpoint(g)` marks a function whose intermediates reverse mode does not keep: the
primal sweep calls g itself and keeps only its arguments; the adjoint sweep runs g's forward
half again from them to get its record, then its backward half. So a loop that calls a
checkpointed step keeps one set of arguments per iteration instead of every intermediate of the
step, at the cost of running each step twice. Forward mode is unchanged. Because the recompute
is ordinary generated code (`g_fwd` then `g_bwd`), higher derivatives differentiate it like any
other call::

    @s2sad.checkpoint
    def step(h, W):
        return np.tanh(W @ h)

    def loss(W, h):
        for _ in range(100):
            h = step(h, W)          # or s2sad.checkpoint(step)(h, W) at the call
        return np.sum(h ** 2)
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable
from typing import Any

import gast

from .names import every
from .parse import bound_names, environment_object, own_wrapper


def checkpoint(g: Callable[..., Any]) -> Callable[..., Any]:
    """g, whose intermediates reverse mode recomputes in the adjoint sweep instead of storing them."""
    @functools.wraps(g)
    def checkpointed(*args, **kwargs):
        return g(*args, **kwargs)
    own_wrapper(checkpointed)
    checkpointed.__s2sad_wrapped__ = g
    checkpointed.__s2sad_checkpoint__ = True
    return checkpointed


def checkpoint_calls(parsed):
    """`s2sad.checkpoint(g)(x)` written at the call: the checkpointed g becomes a name of the function's
    environment, so the call resolves as a call of a checkpointed function (a stage before lifting)."""
    bound = None  # bound_names(parsed.node), worked out at the first call of a call (before any rewrite)
    for node in every(parsed.node):
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Call)):
            continue
        bound = bound_names(parsed.node) if bound is None else bound
        inner = node.func
        if environment_object(parsed, inner.func, bound) is not checkpoint or len(inner.args) != 1 or inner.keywords:
            continue
        g = environment_object(parsed, inner.args[0], bound)
        if not inspect.isfunction(g):
            continue
        name = f"{g.__name__}_checkpointed"
        while name in parsed.globals or (name in parsed.closure and parsed.closure[name].cell_contents.__wrapped__
                                         is not g):
            name += "_"
        parsed.closure.setdefault(name, types.CellType(checkpoint(g)))
        node.func = gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
    return parsed
