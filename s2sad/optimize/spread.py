"""A reduction's cotangent scaled before it is spread: `t = np.asarray(s)` read once as `t * c`
becomes `t = np.asarray(s * c)`, read as `t`.

When the adjoint of `np.sum(d * d)` is left to the elementwise statement below it
(adjoint_reads.Spreads), the sum's cotangent s arrives as `np.asarray(s)` (an array of s's own
dtype, as `sum_adjoint` would give) and the square's rule multiplies it by 2.0 before the array
`d`: `t * 2.0 * d`, whose first product is arithmetic on a 0-d array, several times the cost of
the same product of numbers. Scaling s first computes the same value (one IEEE product, the
result's dtype unchanged: `np.asarray(s) * c` and `np.asarray(s * c)` agree for a Python float,
a NumPy scalar, a 0-d or any other array s) with a number product. In a loop over the springs of
a chain, a microsecond per trip.

Only for an adjoint t (a name the transform made) read exactly once in the function, so no
other reader sees the scaled value.

Example::

    d_times_d_bar = np.asarray(sum_bar)        ->    d_times_d_bar = np.asarray(sum_bar * 2.0)
    d_bar = d_times_d_bar * 2.0 * d                  d_bar = d_times_d_bar * d
"""

import gast

from .effects import derived_test, dotted, names, operations, simple_target
from .fold import _constant, _num


def scale_before_spreading(fn, facts=None):
    """Move constant factors into `np.asarray(s)` cotangents read once (in place); True on a change."""
    is_derived = derived_test(facts)
    spreads = {}
    for stmt in operations(fn):  # statements and operations: no names or constants to step over
        target = simple_target(stmt) if stmt.__class__ is gast.Assign else None
        if target is not None and is_derived(target) and _asarray_of_one(stmt.value):
            spreads[target] = None if target in spreads else stmt
    if not spreads:
        return False
    reads = {}
    for node in names(fn):
        if node.id in spreads and isinstance(node.ctx, gast.Load):
            reads[node.id] = reads.get(node.id, 0) + 1
    changed = False
    for node in operations(fn):
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult):
            changed |= _fold_factor(node, spreads, reads)
    return changed


def _asarray_of_one(value):
    return isinstance(value, gast.Call) and dotted(value.func) in ("np.asarray", "numpy.asarray") \
        and len(value.args) == 1 and not value.keywords and isinstance(value.args[0], (gast.Name, gast.Constant))


def _fold_factor(node, spreads, reads):
    """`t * c` (or `c * t`) inside node.left, t a spread read once: the factor moves into t's statement."""
    inner = node.left
    if not (isinstance(inner, gast.BinOp) and isinstance(inner.op, gast.Mult)):
        return False
    for name, const in ((inner.left, inner.right), (inner.right, inner.left)):
        if isinstance(name, gast.Name) and spreads.get(name.id) is not None and reads.get(name.id) == 1 \
                and _num(const) is not None:
            call = spreads[name.id].value
            product = gast.BinOp(left=call.args[0], op=gast.Mult(), right=const)
            call.args[0] = _constant(product) or product  # `np.asarray(2.0)`, not `np.asarray(1.0 * 2.0)`
            node.left = name
            spreads[name.id] = None
            return True
    return False
