"""s2sad: source-to-source automatic differentiation for Python and NumPy."""

from . import implicit_second  # noqa: F401  (hangs the second-order rules on implicit's helpers)
from .api import differentiate, every_loop_checkpointed, grad, jvp, source, value_and_grad, vjp
from .checkpointing import checkpoint
from .custom import custom_jvp, custom_vjp, stop_gradient
from .errors import S2SADError
from .higher import hessian, hvp, jacobian
from .implicit import fixed_point, implicit
from .jets import jet
from .linearize import linear_transpose, linearize
from .revolve import checkpointed, reversible
from .tapes import tape_report
from .vmapping import vmap

__all__ = ["S2SADError", "checkpoint", "checkpointed", "custom_jvp", "custom_vjp", "differentiate",
           "every_loop_checkpointed", "fixed_point", "grad", "hessian", "hvp", "implicit", "jacobian", "jet", "jvp",
           "linear_transpose", "linearize", "reversible", "source", "stop_gradient", "tape_report", "value_and_grad",
           "vjp", "vmap"]
__version__ = "0.1.0"
