"""The derivative rules, grouped by family. Importing this package fills the table."""

from . import (  # noqa: F401
    arithmetic,
    builtin,
    mathlib,
    numpy_core,
    numpy_decomp,
    numpy_linalg,
    numpy_misc,
    numpy_reduce,
    numpy_shape,
    runtime_rules,
)

try:  # SciPy is optional (pip install s2sad[scipy]): its rules are registered when it imports
    import scipy  # noqa: F401
except ImportError:
    pass
else:
    from . import scipy_linalg, scipy_special  # noqa: F401
