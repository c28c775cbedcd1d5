"""s2sad: source-to-source automatic differentiation for Python and NumPy."""

from .api import differentiate, grad, jvp, source, value_and_grad, vjp
from .errors import S2SADError

__all__ = ["S2SADError", "differentiate", "grad", "jvp", "source", "value_and_grad", "vjp"]
__version__ = "0.1.0"
