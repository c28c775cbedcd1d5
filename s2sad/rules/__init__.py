"""The derivative rules, grouped by family. Importing this package fills the table."""

from . import arithmetic, builtin, mathlib, numpy_core, numpy_linalg, numpy_reduce, numpy_shape, runtime_rules  # noqa: F401
from . import numpy_decomp, numpy_misc  # noqa: F401
