"""The few helpers generated code calls. A leaf module: it imports NumPy and nothing else.

Each helper here has a derivative rule in `s2sad.rules`, so code that calls it can be
differentiated again (gradients of gradients).

The helpers live in families, one module each (as the rules do in `s2sad/rules/`):

* `runtime_core.py`: containers' cotangents, tangent arithmetic, `Refusal`;
* `runtime_writes.py`: reading and writing items (scatter, item writes) and the reverse sweep's tape;
* `runtime_adjoints.py`: the derivative library's helpers (reductions, shapes, sorting, padding);
* `runtime_products.py`: the adjoints of the products (matmul to cross) and of einsum;
* `runtime_linalg.py`: structured solves and inverses, Cholesky's helpers, np.r_ / np.c_.

This module stays the one namespace generated code, `s2sad dump -o` files, the rules and the
numba backend see: it re-exports every name of the families (private ones too, which a few
modules read), and gives their functions and classes `s2sad.runtime` as their module, as
NumPy's `set_module` does, so that rule labels (`s2sad.runtime.unbroadcast`), error messages,
pickles and the checks that know a runtime helper by its module see one runtime, wherever in
the families a helper is written.
"""

import inspect

import numpy as np  # noqa: F401  (as before the split: `runtime.np`)

from .runtime_adjoints import (  # noqa: F401  (re-exported: generated code's namespace)
    _as_lanes,
    _axes,
    _cast_like,
    _pad_index,
    _tie_average,
    clip_partial,
    cumsum_adjoint,
    diag_adjoint,
    diagonal_adjoint,
    diff_adjoint,
    linspace_ramp,
    mean_adjoint,
    norm_slope,
    norm_slope_dot,
    pad_adjoint,
    pad_tangent,
    pieces,
    prod_others,
    prod_others_ddot,
    prod_others_dot,
    refuse,
    repeat_adjoint,
    sort_adjoint,
    sort_tangent,
    split_like,
    sum_adjoint,
    sum_list_adjoint,
    take_adjoint,
    take_along_axis_adjoint,
    tie_weights,
    tile_adjoint,
    trace_adjoint,
    unsplit,
)
from .runtime_core import (  # noqa: F401  (re-exported: generated code's namespace)
    _FLOAT64,
    _SEQUENCES,
    Parts,
    Refusal,
    Shaped,
    Sum,
    _entries,
    broadcast_like,
    cotangent_like,
    cotangent_like_adjoint,
    field,
    field_adjoint,
    field_part,
    index_order,
    inexact_only,
    memory_permutation,
    part,
    pow_base_partial,
    pow_exponent_partial,
    ravel_like,
    real_cotangent,
    real_only,
    rebuild,
    sequence,
    shaped,
    spread_zero,
    times_partial,
    times_partial_scalar,
    unbroadcast,
    unravel_like,
    zeros_like,
)
from .runtime_linalg import (  # noqa: F401  (re-exported: generated code's namespace)
    _BLOCK,
    STRUCTURED_MIN,
    _cholesky,
    _concat_sources,
    _structure,
    index_concat,
    index_concat_adjoint,
    index_concat_tangent,
    inv,
    inverse_axes,
    item_adjoint,
    item_of,
    lower_factor,
    phi,
    solve,
    sym_lower,
    sym_lower_adjoint,
    tri_inv,
    tri_solve,
)
from .runtime_products import (  # noqa: F401  (re-exported: generated code's namespace)
    _LETTERS,
    _as_matrices,
    _einsum_parse,
    _tensordot_axes,
    cross_adjoint_a,
    cross_adjoint_b,
    dot_adjoint_a,
    dot_adjoint_b,
    einsum_adjoint,
    einsum_adjoint_dops,
    einsum_adjoint_ops,
    einsum_subscripts,
    einsum_with,
    einsum_with_dops,
    einsum_with_ops,
    inner_adjoint_a,
    inner_adjoint_b,
    kron_adjoint_a,
    kron_adjoint_b,
    matmul_adjoint_a,
    matmul_adjoint_b,
    outer_adjoint_a,
    outer_adjoint_b,
    sum_to_scalar,
    tensordot_adjoint_a,
    tensordot_adjoint_b,
    vdot_adjoint_a,
    vdot_adjoint_b,
    vecdot_adjoint_a,
    vecdot_adjoint_b,
)
from .runtime_writes import (  # noqa: F401  (re-exported: generated code's namespace)
    MISSING,
    _basic,
    _int_index,
    _own_buffer,
    _position,
    _repeats,
    append,
    clear_item,
    is_array,
    item_bar,
    old_item,
    own_copy,
    owned,
    owned_adjoint,
    pop,
    push,
    scatter,
    scatter_add,
    shares_memory,
    snapshot,
    unappend,
    with_item,
    without_item,
)

_FAMILIES = tuple(f"{__name__}_{family}" for family in ("core", "writes", "adjoints", "products", "linalg"))


def _adopt(namespace):
    """Name this module as the module of the families' functions and classes (see the docstring)."""
    for obj in list(namespace.values()):
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ in _FAMILIES:
            obj.__module__ = __name__


_adopt(globals())
