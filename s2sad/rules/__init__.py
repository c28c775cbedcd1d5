"""The derivative rules, grouped by family. Importing this package fills the table."""

from . import arithmetic, builtin, mathlib, numpy_core, numpy_linalg, numpy_reduce, numpy_shape, runtime_rules  # noqa: F401
from . import numpy_decomp, numpy_misc  # noqa: F401

try:  # SciPy is optional (pip install s2sad[scipy]): its rules are registered when it imports
    import scipy  # noqa: F401
except ImportError:
    pass
else:
    from . import scipy_linalg, scipy_special  # noqa: F401
