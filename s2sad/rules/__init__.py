"""The derivative rules, grouped by family. Importing this package fills the table."""

from . import arithmetic, builtin, mathlib, numpy_core, runtime_rules  # noqa: F401
