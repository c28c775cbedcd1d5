"""The derivative rules, grouped by family. Importing this package fills the table."""

import sys

from ..registry import late
from . import (  # noqa: F401
    arithmetic,
    builtin,
    mathlib,
    numpy_core,
    numpy_decomp,
    numpy_fft,
    numpy_linalg,
    numpy_misc,
    numpy_reduce,
    numpy_shape,
    runtime_rules,
    runtime_rules_vmap,
)

numpy_fft.mark_complex_safe()  # once every family is in the table


def _scipy_rules(force=False):
    """SciPy's rules (SciPy is optional: pip install s2sad[scipy]), registered once the user's code has
    imported SciPy (registry.late), not at `import s2sad`: importing them imports scipy.stats."""
    if not force and "scipy" not in sys.modules:
        return False
    try:
        from . import scipy_linalg, scipy_special  # noqa: F401
    except ImportError:
        pass
    return True


late(_scipy_rules)


def load_all():
    """Every family of rules, SciPy's included when it is installed (for what lists them all: the tests,
    the coverage page)."""
    _scipy_rules(force=True)
