"""s2sad: source-to-source automatic differentiation for Python and NumPy.

The public names are imported on first use (PEP 562): `import s2sad` loads this file and the
error class only, and the first `s2sad.grad` (or `from s2sad import grad`) imports the compiler.
Submodules (`s2sad.driver`, `s2sad.rules`...) are imported the same way when read as attributes."""

import importlib
import sys
import types

from .errors import S2SADError

_HOMES = {
    "differentiate": "api", "every_loop_checkpointed": "api", "grad": "api", "jvp": "api", "source": "api",
    "value_and_grad": "api", "vjp": "api", "checkpoint": "checkpointing", "custom_jvp": "custom",
    "custom_vjp": "custom", "stop_gradient": "custom", "hessian": "higher", "hvp": "higher", "jacobian": "higher",
    "fixed_point": "implicit", "implicit": "implicit", "jet": "jets", "linear_transpose": "linearize",
    "linearize": "linearize", "checkpointed": "revolve", "reversible": "revolve", "tape_report": "tapes",
    "vmap": "vmapping",
}

__all__ = ["S2SADError", "checkpoint", "checkpointed", "custom_jvp", "custom_vjp", "differentiate",
           "every_loop_checkpointed", "fixed_point", "grad", "hessian", "hvp", "implicit", "jacobian", "jet", "jvp",
           "linear_transpose", "linearize", "reversible", "source", "stop_gradient", "tape_report", "value_and_grad",
           "vjp", "vmap"]
__version__ = "0.1.0"


def __getattr__(name):
    """A public name, from the module that defines it, or a submodule, imported now and kept."""
    home = _HOMES.get(name)
    if home is None:
        if name.startswith("__"):
            raise AttributeError(f"module 's2sad' has no attribute {name!r}")
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 's2sad' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package, whose public functions are never replaced by the submodules of the same name.

    Importing `s2sad.implicit` (the module) sets the package's attribute `implicit` to it; the
    public name is the function `s2sad.implicit` (likewise `linearize`), which that module defines."""

    def __setattr__(self, name, value):
        if name in _HOMES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
