"""Zero adjoints: `x_bar = 0.0` is a symbolic zero, carried forward into the reads that follow.

After this pass (with folding and dead-code elimination) a zero-initialized adjoint or
tangent that is overwritten or accumulated into before anything else reads it is gone:
`x_bar = 0.0; x_bar = x_bar + t` becomes `x_bar = t`, and a term that multiplies a zero
adjoint vanishes. Only adjoint and tangent names (`*_bar`, `*_dot`) are propagated:
their values are floats or float arrays, where a scalar zero stands for zeros of any
shape (the API broadcasts a returned 0.0 to the input's shape). The user's own
variables are left as written.

Example::

    x_bar = 0.0               ->    x_bar = g * w
    x_bar = x_bar + g * w
"""

import gast

from .copies import substitute_forward
from .effects import derived_test, simple_target


def is_zero(node):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float) and node.value == 0


def propagate_zeros(fn, facts=None):
    """Forward-substitute zero-valued adjoints and tangents (in place); True on a change."""
    is_derived = derived_test(facts)

    def pick(stmt):
        target = simple_target(stmt)
        if target is not None and is_derived(target) and is_zero(stmt.value):
            return target, gast.Constant(value=stmt.value.value, kind=None)
        return None
    return substitute_forward(fn, pick)
