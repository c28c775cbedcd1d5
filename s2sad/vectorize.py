"""vmap without a loop: a function's own statements rewritten for a leading batch axis.

`vmap` (vmapping.py) runs this first and falls back to its per-example loop when it fails. The
normalized function is walked statement by statement, knowing for each name whether its value
carries the batch (its *state*: True for a batched array, or a container of batched items;
False for a value that is the same for every example; a tuple or dict of states for a container
whose items differ). A statement that reads no batched value is kept as it is; one that does is
rewritten so that it computes every example at once:

    elementwise operators and ufuncs    the same call, each batched operand given ones after its
                                        batch axis where its example has a lower rank (`vmap_lift`)
    np.sum / np.mean of a whole example `vmap_batch_sum(x)`, `vmap_batch_mean(x)`
    a reduction along axis k >= 0       the same reduction along axis k + 1
    a @ b                               NumPy's stacked matmul, examples of rank 1 made matrices first
    x.shape                             `vmap_shape(x)`: the shape of one example
    a user function                     its own batched version, made the same way
    item of a container                 kept: the item's state is looked up

Anything else (a branch or loop, an item write, a method call, a primitive not listed) raises
`NotVectorizable` and vmap runs its loop: slower, never wrong. Every helper the rewritten code
calls has a derivative rule (rules/runtime_rules.py), so reverse mode differentiates the batched
function like any other; `vmap(grad(loss))` relies on it (vmapping.py).
"""

import copy
import inspect
import operator

import gast
import numpy as np

from . import build as b
from . import driver, emit, runtime_vmap
from .build import is_marker
from .errors import S2SADError
from .resolve import Resolver


class NotVectorizable(Exception):
    """The function has a statement this module cannot batch: vmap loops over the examples instead."""


_ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.neg, operator.pos}
_WHOLE = {np.sum: runtime_vmap.batch_sum, np.mean: runtime_vmap.batch_mean}
_ALONG_AXIS = {np.sum, np.mean, np.max, np.min, np.amax, np.amin}
_MATMUL = {operator.matmul, np.matmul}


def state_of(value, batched):
    """The state of an argument: its structure (dict, tuple, list) with `batched` at every leaf."""
    if isinstance(value, dict):
        return {k: state_of(v, batched) for k, v in value.items()}
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields"):
        return tuple(state_of(v, batched) for v in value)
    return batched


def any_batched(state):
    if isinstance(state, dict):
        return any(any_batched(s) for s in state.values())
    if isinstance(state, tuple):
        return any(any_batched(s) for s in state)
    return bool(state)


def all_batched(state):
    if isinstance(state, dict):
        return all(all_batched(s) for s in state.values())
    if isinstance(state, tuple):
        return all(all_batched(s) for s in state)
    return bool(state)


def batched_function(func, states, made=None):
    """(the batched version of func for arguments in these states, the state of its result).

    Raises NotVectorizable when some statement cannot be batched. `made` caches callees."""
    made = {} if made is None else made
    key = (func, repr(states))
    if key not in made:
        made[key] = None  # being made: a recursive call is not batched (the loop runs)
        made[key] = _Batcher(func, states, made).build()
    if made[key] is None:
        raise NotVectorizable
    return made[key]


def batched_entry(func, states, loop=None):
    """The batched func that vmap hands out: every output batched (one shared by every example is
    broadcast), and with `loop`, a guard that runs the loop instead when a batched argument is not
    an array of numbers. Raises NotVectorizable."""
    return _Batcher(func, states, {}).build(top=True, loop=loop)[0]


class _Batcher:
    """Rewrites one function's normalized statements for a leading batch axis."""

    def __init__(self, func, states, made):
        try:
            self.parsed, normalized = driver.front(func)
        except S2SADError:
            raise NotVectorizable from None
        self.node = normalized.node
        self.params = [a.id for a in self.node.args.args]
        if len(self.params) != len(states) or self.node.args.defaults:
            raise NotVectorizable
        self.resolver = Resolver(self.parsed, driver._locals(normalized), normalized.helpers)
        self.helpers = dict(normalized.helpers)
        self.state = dict(zip(self.params, states))
        self.made = made
        self.result = None

    def build(self, top=False, loop=None):
        body = []
        for stmt in self.node.body:
            if is_marker(stmt):
                continue
            body.append(self.statement(stmt))
        if top:
            body = self.prologue(loop) + [self.broadcast_return(s) if isinstance(s, gast.Return) else s for s in body]
        fn = b.function(f"{self.node.name}_vmap", self.params, body)
        function, _ = emit.load(fn, self.helpers, self.parsed)
        return function, self.result

    def prologue(self, loop):
        """The batch size (an output the same for every example is broadcast to it); the guard."""
        batched = [p for p in self.params if any_batched(self.state[p])]
        if not batched or not all(all_batched(self.state[p]) for p in batched):
            raise NotVectorizable
        size = self.helper(runtime_vmap.size, "vmap_size")
        stmts = [b.assign("vmap_n", b.call(size, [x for p in batched for x in (b.name(p), b.const(0))]))]
        if loop is not None:
            arrays = b.call(self.helper(runtime_vmap.all_arrays, "vmap_all_arrays"), [b.name(p) for p in batched])
            loop_call = b.call(self.helper(loop, "vmap_loop"), [b.name(p) for p in self.params])
            stmts.insert(0, b.if_(gast.UnaryOp(op=gast.Not(), operand=arrays), [b.ret(loop_call)]))
        return stmts

    def broadcast_return(self, stmt):
        if all_batched(self.result):
            return stmt
        if any_batched(self.result):
            raise NotVectorizable  # a container with items of both kinds
        broadcast = self.helper(runtime_vmap.broadcast_batch, "vmap_broadcast")
        return b.ret(b.call(broadcast, [copy.deepcopy(stmt.value), b.name("vmap_n")]))

    def helper(self, obj, name):
        self.helpers[name] = obj
        return b.name(name)

    def state_of_atom(self, atom):
        return self.state.get(atom.id, False) if isinstance(atom, gast.Name) else False

    def statement(self, stmt):
        if isinstance(stmt, gast.Return):
            if not isinstance(stmt.value, (gast.Name, gast.Constant)):
                raise NotVectorizable
            self.result = self.state_of_atom(stmt.value)
            return stmt
        if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
            raise NotVectorizable
        value, state = self.assign(stmt.value)
        self.state[stmt.targets[0].id] = state
        return b.assign(stmt.targets[0].id, value)

    def assign(self, value):
        site = self.resolver.site(value)
        if site.kind == "atom":
            return value, self.state_of_atom(site.args[0])
        if site.kind == "container":
            return value, self.container(site, value)
        if not any(any_batched(self.state_of_atom(a)) for a in site.operands()):
            return value, False
        if site.kind == "function":
            return self.call(site)
        if site.kind != "rule":
            raise NotVectorizable
        return self.primitive(site, value)

    def container(self, site, value):
        states = [self.state_of_atom(a) for a in site.args]
        if site.prim is dict:
            if not all(isinstance(k, gast.Constant) for k in value.keys):
                raise NotVectorizable
            return {k.value: s for k, s in zip(value.keys, states)}
        return tuple(states)

    def call(self, site):
        """A user function: a call of its batched version (keywords bound to positions first)."""
        func = site.prim
        if not inspect.isfunction(func) or hasattr(func, "__wrapped__") or func.__code__.co_flags & 0x0C:
            raise NotVectorizable  # a decorated or library function, *args: the loop calls it as it is
        try:
            bound = inspect.signature(func).bind(*site.args, **site.keywords)
        except (TypeError, ValueError):
            raise NotVectorizable from None
        if len(bound.arguments) != func.__code__.co_argcount or bound.kwargs:
            raise NotVectorizable
        args = list(bound.arguments.values())
        function, result = batched_function(func, tuple(self.state_of_atom(a) for a in args), self.made)
        name = f"{func.__name__}_vmap_{len(self.helpers)}"
        return b.call(self.helper(function, name), [copy.deepcopy(a) for a in args]), result

    def primitive(self, site, value):
        prim = site.prim
        if prim is operator.getitem:
            return self.item(site, value)
        if prim is np.ndarray.shape:
            return b.call(self.helper(runtime_vmap.example_shape, "vmap_shape"), [site.args[0]]), False
        if prim in _MATMUL and not site.keywords:
            return self.matmul(*site.args)
        if prim in _WHOLE and len(site.args) == 1 and not site.keywords:
            return b.call(self.helper(_WHOLE[prim], f"vmap_{_WHOLE[prim].__name__}"), [site.args[0]]), True
        if prim in _ALONG_AXIS:
            return self.along_axis(site, value)
        elementwise = prim in _ARITHMETIC or isinstance(prim, np.ufunc) and site.rule is not None \
            and site.rule.kind in ("elementwise", "linear")
        if not elementwise or isinstance(value, gast.Compare) or site.keywords:
            raise NotVectorizable
        if not all(state in (True, False) for state in map(self.state_of_atom, site.args)):
            raise NotVectorizable
        if len(site.args) == 1:
            return value, True
        if len(site.args) != 2:
            raise NotVectorizable
        lifted = [self.lifted(arg, other) for arg, other in (site.args, site.args[::-1])]
        new = copy.deepcopy(value)
        if isinstance(new, gast.BinOp):
            new.left, new.right = lifted
        else:
            new.args = lifted
        return new, True

    def item(self, site, value):
        """x[key]: an item of a container (its state looked up); an array's items are not batched here."""
        obj, key = site.args
        state = self.state_of_atom(obj)
        if not isinstance(key, gast.Constant):
            raise NotVectorizable
        if isinstance(state, dict) and key.value in state:
            return value, state[key.value]
        if state is True and isinstance(key.value, str):  # a batched dict: its items are batched
            return value, True
        if isinstance(state, tuple) and isinstance(key.value, int) and -len(state) <= key.value < len(state):
            return value, state[key.value]
        raise NotVectorizable  # an item of a batched array (or of a container of unknown structure)

    def along_axis(self, site, value):
        """np.sum(x, axis=k, keepdims=...) with a constant k: the example's axis k is the batch's k + 1."""
        if len(site.args) != 1 or set(site.keywords) - {"axis", "keepdims"} or "axis" not in site.keywords:
            raise NotVectorizable
        axis = site.keywords["axis"]
        if not isinstance(axis, gast.Constant) or type(axis.value) is not int:
            raise NotVectorizable
        if self.state_of_atom(site.args[0]) is not True:
            raise NotVectorizable
        new = copy.deepcopy(value)
        for keyword in new.keywords:
            if keyword.arg == "axis" and axis.value >= 0:
                keyword.value = b.const(axis.value + 1)
        return new, True

    def matmul(self, a, c):
        """a @ c as stacked matrices: examples of rank 1 made into a row (left) or column (right), the
        batched operand's stack axes matched to the other's, the extra axes taken out again."""
        left, right = self.state_of_atom(a), self.state_of_atom(c)
        if left not in (True, False) or right not in (True, False):
            raise NotVectorizable
        return b.call(self.helper(runtime_vmap.matmul, "vmap_matmul"),
                      [copy.deepcopy(a), copy.deepcopy(c), b.const(bool(left)), b.const(bool(right))]), True

    def lifted(self, arg, other):
        """arg, lifted against other when arg is batched (its examples then broadcast as one at a time)."""
        mine, theirs = self.state_of_atom(arg), self.state_of_atom(other)
        if not mine or isinstance(other, gast.Constant) or b.is_name(other) and other.id == arg.id:
            return copy.deepcopy(arg)  # against a number or itself, the batch broadcasts as it is
        return b.call(self.helper(runtime_vmap.lift, "vmap_lift"),
                      [copy.deepcopy(arg), copy.deepcopy(other), b.const(bool(theirs))])
