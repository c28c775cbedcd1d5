"""Stage 5: cleaning the generated code, one pass per module, repeated until nothing changes.

* `zeros`: a zero-initialized adjoint or tangent is carried into the reads that follow;
* `copies`: `t1 = t0` copies are read through and vanish;
* `fold`: constant folding and algebraic simplification (`g * 1.0`, `0.0 + g`, `-(-g)`);
* `cse`: a pure expression computed again reads the name that already holds it;
* `dce`: dead-code elimination, dead restores included;
* `sums`: `x_bar = a; x_bar = x_bar + b` becomes `x_bar = a + b`;
* `spread`: a constant factor of a reduction's cotangent applied before it meets an array;
* `scalars`: last, an exact product of rank-0 values (`times_partial_scalar`) is written out;
* `seed`: first, in the derivative grad runs, its seed 1.0 is bound and carried into the reads
  (then `propagate_constants` joins the passes);
* `inplace`: last, in a derivative specialized to its arguments' kinds, an adjoint that only its
  own name holds is accumulated in place (`x_bar += t`, `x_bar[i] += g`);
* `inline`: then, in the same derivatives, a number bound once and read once is computed where it
  is read (`a = x * y + math.sin(z)`);
* `frees`: then, `del name` after the last read of an array-valued name,
  so that NumPy reuses its memory.

A zero-initialization that is immediately overwritten goes through `dce`, one that is
added to through `zeros` and `fold`. What counts as pure is in `effects`; comment
markers (the `# d/dx of: ...` lines) are kept over the code they label (`markers`).

After `optimize`, the function computes the same values and has the same effects
(every `_tape` push and pop, every call not known to be pure, in the same order),
holds no statement whose result is never read, and no comment marker labels nothing.
One deliberate difference: a zero adjoint is a symbolic zero, so `0.0 * g` is 0.0 even
where g is infinite, as in JAX.
The output depends only on the input tree, so it is byte-for-byte reproducible.
`s2sad.source(f, optimize=False)` shows the code before these passes.
"""

import sys
from sys import getrefcount

import gast

from ..names import _SCALARS
from .copies import propagate_copies
from .cse import eliminate_common
from .dce import eliminate
from .effects import Facts
from .fold import fold
from .frees import free_dead_arrays
from .inline import speed_up_numbers
from .inplace import accumulate_in_place
from .markers import drop_orphans
from .scalars import write_out_scalar_products
from .seed import bind_seed, propagate_constants
from .spread import scale_before_spreading
from .sums import merge_sums
from .zeros import propagate_zeros

PASSES = (propagate_zeros, propagate_copies, fold, eliminate)
_MAX_RUNS = 40


def optimize(fn_node, helpers=None, passes=PASSES, derived=None, seed=None, shapes=None, numbers=None,
             owned=False):
    """An optimized copy of the gast FunctionDef fn_node (the input is left untouched, unless `owned`:
    a caller that gives the tree up has it optimized in place where nothing else holds it, see `claimed`).

    `helpers` (name -> object, as the transforms return them) lets purity be judged by
    object rather than by name (see `effects.Facts`); `derived`, the names the transform made
    for adjoints and tangents, keeps the passes' algebra off the user's own names (without
    it, names ending in `_bar` or `_dot` count, see `effects.is_derived`). `seed`: the parameter
    known to be 1.0 (grad's seed, see `seed`); `shapes`: the shapes table of a specialized
    derivative, which lets adjoints be accumulated in place (see `inplace`).

    The passes run in turn until none of them changes anything (a pass that changed
    nothing is not run again until another one has); then common subexpressions are
    read from their names (and what that leaves unread removed), neighbouring
    accumulations are merged and comment markers left over nothing dropped.
    """
    fn = claimed(fn_node) if owned and _CLAIMS else unshared(fn_node)
    if seed is not None and bind_seed(fn, seed):  # (it adds no nested scope: the facts are the same before)
        passes = _with_constants(tuple(passes))
    # no pass adds a nested scope or a call, so these hold throughout; `walked`: a walk of fn the passes
    # share while none of them changes fn (Facts.skeleton)
    facts = Facts(fn, helpers, derived, walked=[])
    settled, runs = set(), 0
    while len(settled) < len(passes) and runs < _MAX_RUNS:
        for run in passes:
            if run in settled:
                continue
            runs += 1
            if run(fn, facts):
                settled = set()
                facts.walked.clear()
            settled.add(run)
    numbers = shapes if numbers is None else numbers
    changed = eliminate_common(fn, facts, numbers)  # once, when the rest has settled; it can leave a value unread
    facts.walked = None  # the passes from here on walk afresh
    if changed:
        eliminate(fn, facts)
    merge_sums(fn, facts)
    scale_before_spreading(fn, facts)
    write_out_scalar_products(fn, helpers, facts)
    if shapes is not None:
        accumulate_in_place(fn, helpers, facts, shapes)
    if numbers is not None:
        speed_up_numbers(fn, facts, numbers)
        free_dead_arrays(fn, numbers)
    drop_orphans(fn)
    return fn


def _with_constants(passes):
    """passes with propagate_constants ahead of fold: the numbers it carries are folded in the same
    round, which saves the optimizer a round (each costs a fold and an eliminate of the whole function)."""
    if fold not in passes:
        return passes + (propagate_constants,)
    at = passes.index(fold)
    return passes[:at] + (propagate_constants,) + passes[at:]


def unshared(node):
    """A deep copy in which no node object appears twice (the transforms reuse subtrees).

    Fields and location attributes only, filled in directly (what a gast constructor does)."""
    if isinstance(node, list):
        return [unshared(n) if isinstance(n, (gast.AST, list)) else n for n in node]
    if not isinstance(node, gast.AST):
        return node
    cls = node.__class__
    plan = _PLANS.get(cls) or _plan(cls)
    if plan is _MARKER:
        return node  # Load, Add: no fields, no location, nothing a pass could change (as ast.parse shares them)
    fresh = cls.__new__(cls)
    fields, have = fresh.__dict__, node.__dict__
    for f in plan[0]:
        value = have[f] if f in have else getattr(node, f, None)
        if value.__class__ is list:
            value = [unshared(v) if isinstance(v, (gast.AST, list)) else v for v in value]
        elif isinstance(value, gast.AST):
            value = unshared(value)
        fields[f] = value
    for f in plan[2]:  # strings, numbers, flags: as they are
        fields[f] = have[f] if f in have else getattr(node, f, None)
    for attr, has_default, default in plan[1]:
        if attr in have:
            fields[attr] = have[attr]
        elif has_default:  # the class's own value of an attribute no node sets (end_lineno: None)
            fields[attr] = default
    return fresh


def claimed(fn_node):
    """fn_node itself, every subtree that nothing but its parent holds kept in place and every other one
    (held by a cache, an analysis's table, another tree, or twice in this one) replaced by an `unshared`
    copy: the tree `unshared` makes, without copying what no one else can see change (a derivative's
    own statements). What holds a node is read off its reference count, so only where `_claims_right`
    finds that this interpreter counts as `_claim` expects."""
    _claim(fn_node, _EXCLUSIVE)
    return fn_node


def _claim(node, exclusive):
    plan = _PLANS.get(node.__class__) or _plan(node.__class__)
    have = node.__dict__
    _settle(node, have, plan)
    for f in plan[0]:
        value = have.get(f)
        if value is None:
            continue
        if value.__class__ is list:
            if getrefcount(value) > exclusive:
                have[f] = unshared(value)
            else:
                _claim_items(value, exclusive)
        elif isinstance(value, gast.AST) and _PLANS.get(value.__class__) is not _MARKER:
            if getrefcount(value) > exclusive:  # held by the parent, by this frame and by the call only
                have[f] = unshared(value)
            else:
                _claim(value, exclusive)


def _claim_items(items, exclusive):
    for i in range(len(items)):  # not enumerate: its reused tuple would hold the item too
        item = items[i]
        if isinstance(item, gast.AST) and _PLANS.get(item.__class__) is not _MARKER:
            if getrefcount(item) > exclusive:
                items[i] = unshared(item)
            else:
                _claim(item, exclusive)
        elif item.__class__ is list:
            if getrefcount(item) > exclusive:
                items[i] = unshared(item)
            else:
                _claim_items(item, exclusive)


def _settle(node, have, plan):
    """node's own entries made what `unshared` gives its copy: every field (None where unset), the location
    attributes it has or its class's defaults, nothing else (a mark a stage left on it)."""
    everything, settled, bare, defaults = _SHAPES.get(node.__class__) or _shapes(node.__class__, plan)
    keys = have.keys()
    if keys == bare:  # most of a derivative's nodes: made without a location
        have.update(defaults)
        return
    if keys == settled or keys == everything:
        return
    entries = {f: have[f] if f in have else getattr(node, f, None) for f in plan[0] + plan[2]}
    for attr, has_default, default in plan[1]:
        if attr in have:
            entries[attr] = have[attr]
        elif has_default:
            entries[attr] = default
    have.clear()
    have.update(entries)


def _shapes(cls, plan):
    """The entries a settled node of cls may have: all; its fields and defaulted attributes; its fields."""
    fields = frozenset(plan[0] + plan[2])
    defaults = {attr: default for attr, has_default, default in plan[1] if has_default}
    shape = _SHAPES[cls] = (fields | {attr for attr, _, _ in plan[1]}, fields | set(defaults), fields, defaults)
    return shape


def _claims_right():
    """Whether `_claim` keeps a node only its parent holds and copies one held twice, on this interpreter:
    a self-check of the reference counts it reads (a field and a list item of each kind)."""
    if sys.implementation.name != "cpython":
        return False
    shared = gast.Name(id="s", ctx=gast.Load(), annotation=None, type_comment=None)
    tree = gast.BinOp(left=shared, op=gast.Add(), right=gast.Call(func=shared, args=[
        gast.Constant(value=1.0, kind=None), shared], keywords=[]))
    ids = (id(shared), id(tree.right), id(tree.right.args[0]))
    del shared  # only the tree holds the nodes now
    _claim(tree, _EXCLUSIVE)
    held = [tree.left, tree.right.func, tree.right.args[1]]
    return (id(tree.right), id(tree.right.args[0])) == ids[1:] and len({id(n) for n in held}) == 3 \
        and sum(id(n) == ids[0] for n in held) == 1 and all(n.id == "s" for n in held)


_PLANS = {}
_SHAPES = {}


def _plan(cls):
    """A class's fields, and its location attributes with their class-level defaults."""
    scalars = tuple(f for f in cls._fields if f in _SCALARS or (cls is gast.Constant and f == "value"))
    plan = _PLANS[cls] = (tuple(f for f in cls._fields if f not in scalars),
                          tuple((a, hasattr(cls, a), getattr(cls, a, None)) for a in cls._attributes), scalars)
    if not cls._fields and not cls._attributes:
        plan = _PLANS[cls] = _MARKER
    return plan


_MARKER = ((), (), ())
_EXCLUSIVE = 3  # a node held by one container: the container, the frame's local and getrefcount's argument
_CLAIMS = _claims_right()
