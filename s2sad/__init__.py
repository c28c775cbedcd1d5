"""s2sad: source-to-source automatic differentiation for Python and NumPy."""

from .api import differentiate, grad, jvp, source, value_and_grad, vjp
from .checkpointing import checkpoint
from .custom import custom_jvp, custom_vjp, stop_gradient
from .errors import S2SADError
from .higher import hessian, hvp, jacobian
from .jets import jet
from .vmapping import vmap

__all__ = ["S2SADError", "checkpoint", "custom_jvp", "custom_vjp", "differentiate", "grad", "hessian", "hvp", "jacobian", "jet", "jvp",
           "source", "stop_gradient", "value_and_grad", "vjp", "vmap"]
__version__ = "0.1.0"
