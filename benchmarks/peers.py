"""The peers s2sad is compared with: autograd, JAX eager and JAX jit, each optional.

A workload's primal is written once, against the module globals `np` and `math`. A peer
runs the same code by `rebind`: a copy of the function whose globals have `np` replaced by
the peer's NumPy (`autograd.numpy`, `jax.numpy`) and `math` by the same functions from it;
the helper functions the primal calls (any function defined in the same module) are
rebound with it. No source is copied or executed, so each peer computes exactly the
primal's operations.

Every peer candidate returns concrete values: JAX's results are waited for
(`block_until_ready`), so its asynchronous dispatch is not mistaken for speed.
"""

import importlib.util
import inspect
import math
import types


def rebind(func, xnp):
    """func with `np` -> xnp and `math` -> xnp's functions, helpers in its module included."""
    src = func.__globals__
    new = dict(src)
    new["np"] = xnp
    new["math"] = types.SimpleNamespace(
        sin=xnp.sin, cos=xnp.cos, tan=xnp.tan, exp=xnp.exp, log=xnp.log, sqrt=xnp.sqrt,
        tanh=xnp.tanh, pi=math.pi, e=math.e)
    for name, value in src.items():
        if isinstance(value, types.FunctionType) and value.__globals__ is src:
            new[name] = _clone(value, new)
    return new[func.__name__] if src.get(func.__name__) is func else _clone(func, new)


def _clone(func, globals_):
    clone = types.FunctionType(func.__code__, globals_, func.__name__, func.__defaults__, func.__closure__)
    clone.__kwdefaults__ = func.__kwdefaults__
    return clone


def argnums(func, wrt):
    """Positions for wrt given as positions, names or a tuple of them."""
    params = list(inspect.signature(func).parameters)
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    pos = tuple(params.index(w) if isinstance(w, str) else w for w in items)
    return pos if isinstance(wrt, (tuple, list)) else pos[0]


def vdot(xnp, a, b):
    """Sum of a * b over every leaf of two same-shaped gradients (dicts, tuples, arrays).

    b is a plain value; a may be the peer's traced box of one (autograd's DictBox is not a
    dict), so the structure is read from b.
    """
    if isinstance(b, dict):
        return sum(vdot(xnp, a[k], b[k]) for k in sorted(b))
    if isinstance(b, (tuple, list)):
        return sum(vdot(xnp, a[i], y) for i, y in enumerate(b))
    return xnp.sum(a * b)


class Peer:
    """One peer: its NumPy, and grad / hessian / hvp built its way."""

    name = ""
    version = ""
    np = None

    def rebind(self, func):
        return rebind(func, self.np)

    def finish(self, fn, args):
        """The candidate as timed: fn itself, or fn compiled (jit)."""
        return fn

    def grad(self, func, wrt):
        raise NotImplementedError

    def hessian(self, func, wrt):
        raise NotImplementedError

    def hvp(self, func, wrt, vector):
        """A function of the primal's args returning H @ vector (H w.r.t. argument wrt)."""
        raise NotImplementedError


class Autograd(Peer):
    name = "autograd"

    def __init__(self):
        import autograd
        import autograd.numpy as anp

        self.ag = autograd
        self.np = anp
        self.version = getattr(autograd, "__version__", "") or _dist_version("autograd")

    def grad(self, func, wrt):
        return self.ag.grad(func, argnums(func, wrt))

    def hessian(self, func, wrt):
        return self.ag.hessian(func, argnums(func, wrt))

    def hvp(self, func, wrt, vector):
        # reverse over reverse: autograd has no forward mode over its reverse mode for dicts
        num = argnums(func, wrt)
        g = self.ag.grad(func, num)
        anp = self.np

        def g_dot_v(*args):
            return vdot(anp, g(*args), vector)

        return self.ag.grad(g_dot_v, num)


class Jax(Peer):
    name = "jax-eager"

    def __init__(self):
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        self.jax = jax
        self.np = jnp
        self.version = jax.__version__

    def finish(self, fn, args):
        block = self.jax.block_until_ready

        def run(*a):
            return block(fn(*a))

        return run

    def grad(self, func, wrt):
        return self.jax.grad(func, argnums(func, wrt))

    def hessian(self, func, wrt):
        return self.jax.hessian(func, argnums(func, wrt))

    def hvp(self, func, wrt, vector):
        # forward over reverse, the usual JAX HVP
        jax, num = self.jax, argnums(func, wrt)

        def h(*args):
            def g(p):
                return jax.grad(func, num)(*args[:num], p, *args[num + 1:])

            return jax.jvp(g, (args[num],), (vector,))[1]

        return h


class JaxJit(Jax):
    name = "jax-jit"

    def finish(self, fn, args):
        static = tuple(i for i, a in enumerate(args) if isinstance(a, (int, str)) and not isinstance(a, bool))
        jitted = self.jax.jit(fn, static_argnums=static)
        return super().finish(jitted, args)


def _dist_version(name):
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return ""


def available():
    """(peers that import, {name: reason} for those that do not)."""
    found, missing = [], {}
    for name, module, classes in (("autograd", "autograd", (Autograd,)), ("jax", "jax", (Jax, JaxJit))):
        if importlib.util.find_spec(module) is None:
            missing[name] = "not installed"
            continue
        try:
            found.extend(cls() for cls in classes)
        except Exception as exc:  # a broken install is skipped like a missing one
            missing[name] = f"import failed: {exc}"
    return found, missing


ALL_NAMES = ("autograd", "jax-eager", "jax-jit")
