"""Fixed points and solvers, differentiated by the implicit function theorem (seed lecture 004).

    x = s2sad.fixed_point(step, x0, a, b, tol=1e-12, max_iter=1000)

iterates `x = step(x, a, b)` until two iterates agree to `tol`. Inside a differentiated function
the call is a primitive with its own rules (arity.py gives it one per argument count): at
the answer x* = F(x*, p), with A = dF/dx and B = dF/dp,

* forward mode solves the tangent fixed point  t = A t + B p_dot  (iterating the generated JVP
  of step), and t is x*'s tangent;
* reverse mode solves the adjoint fixed point  u = g + A^T u  (iterating the generated VJP of
  step, the lecture's backward pass), and p_bar = B^T u.

x0 gets no derivative (its influence vanishes at convergence). Both linear iterations stop on
the same tolerance as the primal one; any that does not converge raises S2SADError with the
distance between its last two iterates. Second derivatives work in every nesting of modes: the
helpers the first derivative calls have rules of their own (implicit_second.py); third
derivatives are refused.

    @s2sad.implicit(residual)
    def solve(a, b): ...            # any solver; residual(solve(a, b), a, b) == 0

differentiates the answer of solve from residual alone: dx/dp = -(dR/dx)^-1 dR/dp. Up to
`solvers.DENSE_LIMIT` unknowns dR/dx is formed (s2sad's jacobian) and solved directly, its
condition number checked; beyond, GMRES runs matrix-free on the generated JVP (forward mode) or
VJP (reverse mode), and a second GMRES solve of a random vector's image checks that the answer
is unique (solvers.solve_matrix_free).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import linecache
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from . import api, custom, driver, higher, solvers
from .callables import entry
from .registry import Rule

_COUNTER = itertools.count(1)


# -- fixed_point ----------------------------------------------------------------------------------


def fixed_point(step: Callable[..., Any], x0: Any, *params: Any, tol: float = 1e-12, max_iter: int = 1000) -> Any:
    """x with x == step(x, *params), by iteration from x0; derivatives w.r.t. params are implicit."""
    def fail(count, gap):
        return solvers.refuse(f"fixed_point did not converge: after {count} iterations of "
                              f"{_name(step)} two iterates still differ by {gap:.3g} (tol={tol:g})",
                              step, "fixed_point")
    return solvers.iterate(lambda x: step(x, *params), x0, tol, max_iter, fail)


@functools.cache
def _fixed_point_twin(count):
    """fixed_point for calls with `count` positional arguments, carrying its rule."""
    names = [f"p{i}" for i in range(count - 2)]
    twin = _Twin(fixed_point, f"fixed_point_{count}")
    if not names:
        twin.__s2sad_rule__ = Rule(twin, "nondiff", name=twin.__name__)
        return twin
    params = "".join(n + ", " for n in names)
    dots = [n + "_dot" for n in names]
    tuple_of = "(" + params + ")"
    cotangents = ", ".join(f"fixed_point_cotangent(step, ans, cotangent, {tuple_of}, {i}, tol, max_iter)"
                           for i in range(len(names)))
    source = (f"def vjp(cotangent, ans, step, x0, {params}tol=1e-12, max_iter=1000):\n"
              f"    return {cotangents}\n\n\n"
              f"def jvp({''.join(d + ', ' for d in dots)}ans, step, x0, {params}tol=1e-12, max_iter=1000):\n"
              f"    return fixed_point_tangent(step, ans, {tuple_of}, ({''.join(d + ', ' for d in dots)}), "
              "tol, max_iter)\n")
    space = _execute(source, twin.__name__, {"fixed_point_cotangent": fixed_point_cotangent,
                                             "fixed_point_tangent": fixed_point_tangent})
    twin.__s2sad_rule__ = Rule(twin, "custom", ("step", "x0", *names, "tol", "max_iter"),
                               {"tol": 1e-12, "max_iter": 1000}, tuple(names), space["jvp"], space["vjp"],
                               name=twin.__name__)
    return twin


fixed_point.__s2sad_specialize__ = _fixed_point_twin


class _Twin:
    """A callable doing what `fun` does, under its own name, with a rule hung on it."""

    def __init__(self, fun, name):
        self.fun = fun
        self.__name__ = self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def __repr__(self):
        return f"<s2sad {self.__name__}>"


def fixed_point_tangent(step, x, params, dots, tol, max_iter):
    """The t with t = A t + B dots at the fixed point x of step (A, B: step's derivatives)."""
    if all(d is None or solvers.magnitude(d) == 0.0 for d in dots):
        return solvers.tree_map(np.zeros_like, x)
    maps = state_maps(step, x, params)
    _, constant = api.jvp(step, (x, *params), (solvers.tree_map(np.zeros_like, x), *dots))
    return solvers.linear_fixed_point(maps.tangent, constant, tol, max_iter, _linear_failure(step, "tangent", tol))


class StateMaps:
    """t -> A t and u -> A^T u for A = dstep/dx at (x, *params): step's generated JVP and VJP with
    respect to x alone, called directly. The linear iterations apply them hundreds of times, so
    they skip the parameters' derivatives (the VJP of a layer `W @ z` would form an outer product
    for W at every step) and the API's checks."""

    def __init__(self, step, x, params, out=None):
        func = entry(step)
        values = api._bind(func, (x, *params), {})
        self.x, self.inputs, name = x, tuple(values.values()), next(iter(values))
        self.out = x if out is None else out    # step's output (a residual's need not look like x)
        self.forward = driver.derivative(func, "forward", (name,)).function
        self.reverse = driver.derivative(func, "reverse", (name,)).function

    def tangent(self, t):
        return api._like(self.forward(*self.inputs, t)[1], self.out)

    def cotangent(self, u):
        return api._like(self.reverse(*self.inputs, u), self.x)


def state_maps(step, x, params, out=None):
    """The maps t -> A t and u -> A^T u of step at (x, params) (out: step's output there, if not like x).
    A state holding an int or a flag besides floats has no tangent s2sad can iterate: refused."""
    if not api._is_float(x):
        raise solvers.refuse(f"{_name(step)} is differentiated at a state that is not a float value or a container "
                             f"of floats only ({_describe(x)}): keep integers and flags out of the state of "
                             "s2sad.fixed_point or of an s2sad.implicit answer (pass them as parameters)",
                             step, "fixed_point")
    return StateMaps(step, x, params, out)


def _describe(x):
    if isinstance(x, dict):
        return "a dict holding " + ", ".join(f"{k!r}: {type(v).__name__}" for k, v in x.items())
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of " + ", ".join(type(v).__name__ for v in x)
    return type(x).__name__


def _linear_failure(step, which, tol):
    def fail(count, gap):
        return solvers.refuse(f"the {which} iteration of fixed_point did not converge: after {count} iterations "
                              f"two iterates still differ by {gap:.3g} (tol={tol:g}); the step {_name(step)} is "
                              "not a contraction near its fixed point, so its implicit derivative is not defined "
                              "by this iteration", step, "fixed_point")
    return fail


class _LastSolve:
    """The last linear solve of one kind (owner: a function, or a tuple of functions and ints).

    A derivative asks for each active parameter's cotangent in
    a call of its own, with the very same objects: those calls reuse the solve. A hit needs the same
    objects holding the same values (nothing written into them since), so a later derivative, even at
    equal values, solves again."""

    def __init__(self):
        self.local = threading.local()

    def get(self, owner, inputs, compute):
        last = getattr(self.local, "last", None)
        if last is not None and last[0] == owner and len(last[1]) == len(inputs) \
                and all(a is b for a, b in zip(last[1], inputs)) \
                and all(solvers.same_values(c, v) for c, v in zip(last[2], inputs)):
            return last[3]
        result = compute()
        self.local.last = (owner, inputs, _copies(inputs), result)
        return result


_ADJOINTS = _LastSolve()


def adjoint(step, x, g, params, tol, max_iter):
    """(u, the cotangents of params): u = g + A^T u at the fixed point x of step, then B^T u."""
    return _ADJOINTS.get(step, (x, g, *params), lambda: _solve_adjoint(step, x, api._like(g, x), params, tol, max_iter))


def _solve_adjoint(step, x, g, params, tol, max_iter):
    u = solvers.linear_fixed_point(state_maps(step, x, params).cotangent, g, tol, max_iter,
                                   _linear_failure(step, "adjoint", tol))
    return u, api.vjp(step, x, *params)[1](u)[1:]


def _copies(values):
    return solvers.tree_map(lambda v: np.array(v, copy=True) if isinstance(v, np.ndarray) else v, values)


def fixed_point_cotangent(step, x, g, params, i, tol, max_iter):
    """The cotangent of params[i] given x's cotangent g, x the fixed point of step."""
    _, cotangents = adjoint(step, x, g, params, tol, max_iter)
    return cotangent_form(api._like(cotangents[i], params[i]))


def cotangent_form(value):
    """A cotangent as generated code holds it: a container's as a `runtime.Parts`, which adds item by
    item where two cotangents of one value meet (two tuples would concatenate: the gradient of a
    tuple parameter shared by two fixed points once came out wrong)."""
    return custom.as_parts(value)


# -- implicit -------------------------------------------------------------------------------------


def implicit(residual: Callable[..., Any]) -> Callable[[Callable[..., Any]], Implicit]:
    """Decorator: `solve(*params) -> x` whose derivatives come from `residual(x, *params) == 0` alone."""
    if not callable(residual):
        raise solvers.refuse(f"implicit(residual) needs a function, not {residual!r}", None, "implicit")

    def decorate(solve):
        return Implicit(solve, residual)
    return decorate


class Implicit:
    """A solver whose answer s2sad differentiates by the implicit function theorem; calling it solves."""

    def __init__(self, solve, residual):
        functools.update_wrapper(self, solve)
        self.solve, self.residual = solve, residual
        self.__name__ = getattr(solve, "__name__", "solve")
        self._twins = {}
        count = _positional_count(solve)
        if count is not None:  # s2sad.grad(solve) differentiates `def solve(a, b): return solve_2(a, b)`
            self.__s2sad_wrapped__ = _trampoline(self.__s2sad_specialize__(count), solve)

    def __call__(self, *params, **kwargs):
        return self.solve(*params, **kwargs)

    def __repr__(self):
        return f"<s2sad.implicit {self.__name__}>"

    def __s2sad_specialize__(self, count):
        if count not in self._twins:
            self._twins[count] = _implicit_twin(self, count)
        return self._twins[count]


def _positional_count(solve):
    try:
        params = inspect.signature(solve).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) or p.default is not p.empty for p in params):
        return None
    return len(params)


def _trampoline(twin, solve):
    names = list(inspect.signature(solve).parameters)
    source = f"def {twin.__name__}_call({', '.join(names)}):\n    return solver({', '.join(names)})\n"
    fn = _execute(source, twin.__name__, {"solver": twin})[f"{twin.__name__}_call"]
    fn.__qualname__ = getattr(solve, "__qualname__", twin.__name__)
    return fn


def _implicit_twin(solver, count):
    twin = _Twin(solver.solve, f"{solver.__name__}_{count}")
    names = [f"p{i}" for i in range(count)]
    if not names:
        twin.__s2sad_rule__ = Rule(twin, "nondiff", name=twin.__name__)
        return twin
    params = "".join(n + ", " for n in names)
    dots = "".join(n + "_dot, " for n in names)
    me = solver.__name__ if solver.__name__.isidentifier() and not solver.__name__.startswith(("p", "implicit_")) \
        and solver.__name__ not in ("ans", "cotangent") else "solver"
    cotangents = ", ".join(f"implicit_cotangent({me}, ans, cotangent, ({params}), {i})" for i in range(count))
    source = (f"def vjp(cotangent, ans, {params}):\n    return {cotangents}\n\n\n"
              f"def jvp({dots}ans, {params}):\n    return implicit_tangent({me}, ans, ({params}), ({dots}))\n")
    space = _execute(source, twin.__name__, {me: solver, "implicit_cotangent": implicit_cotangent,
                                             "implicit_tangent": implicit_tangent})
    twin.__s2sad_rule__ = Rule(twin, "custom", tuple(names), {}, tuple(names), space["jvp"], space["vjp"],
                               name=twin.__name__)
    return twin


class _Linearized:
    """dR/dx of residual at (x, params), as a map between flat vectors: dense or matrix-free."""

    def __init__(self, solver, x, params):
        self.solver, self.x, self.params = solver, x, tuple(params)
        self.vector, self.rebuild = solvers.flatten(x)
        out = solver.residual(x, *params)
        self.out_vector, self.out_rebuild = solvers.flatten(out)
        self.dense = self.vector.size <= solvers.DENSE_LIMIT
        self.maps = state_maps(solver.residual, x, self.params, out)   # dR/dx alone, for GMRES's many products
        self.matrix = self._matrix() if self.dense else None
        self._pullback = None

    def matvec(self, v):
        return solvers.flatten(self.maps.tangent(self.rebuild(v)))[0]

    def pullback(self, w):
        if self._pullback is None:
            _, self._pullback = api.vjp(self.solver.residual, self.x, *self.params)
        return self._pullback(self.out_rebuild(w))

    def rmatvec(self, w):
        return solvers.flatten(api._like(self.maps.cotangent(self.out_rebuild(w)), self.x))[0]

    def _matrix(self):
        if isinstance(self.x, np.ndarray) and self.x.ndim == 1:
            jac = higher.jacobian(self.solver.residual, wrt=0, mode="forward")(self.x, *self.params)
            return np.reshape(jac, (self.out_vector.size, self.vector.size))
        columns = [self.matvec(e) for e in np.eye(self.vector.size)]
        return np.column_stack(columns) if columns else np.zeros((self.out_vector.size, 0))

    def solve(self, rhs, transposed=False):
        """(dR/dx)^-1 rhs, or (dR/dx)^-T rhs: dense with a singularity check, or by GMRES."""
        if self.dense:
            return solvers.solve_dense(self.matrix.T if transposed else self.matrix, rhs, self._singular)
        apply = self.rmatvec if transposed else self.matvec
        return solvers.solve_matrix_free(apply, rhs, 1e-10, 2000, self._unsolved, self._not_unique)

    def _singular(self, cond, detail):
        return solvers.refuse(f"the Jacobian of {_name(self.solver.residual)} with respect to x at the answer of "
                              f"{_name(self.solver.solve)} is singular (condition number {cond:.3g}; {detail}), "
                              "so the answer has no implicit derivative", self.solver.residual, "implicit")

    def _not_unique(self, probe_error, left):
        return solvers.refuse(f"the Jacobian of {_name(self.solver.residual)} with respect to x at the answer of "
                              f"{_name(self.solver.solve)} is singular or nearly so: GMRES (matrix-free, "
                              f"{self.vector.size} unknowns) recovers a random vector v from the Jacobian times v "
                              f"only to a relative error of {probe_error:.3g} (limit {solvers.UNIQUENESS_LIMIT:g}; "
                              f"the derivative's own system was solved to a relative residual of {left:.3g}), so "
                              "the answer has no unique implicit derivative", self.solver.residual, "implicit")

    def _unsolved(self, left):
        return solvers.refuse(f"GMRES on the Jacobian of {_name(self.solver.residual)} did not converge (relative "
                              f"residual {left:.3g}): the Jacobian may be singular or badly conditioned",
                              self.solver.residual, "implicit")


def implicit_tangent(solver, x, params, dots):
    """x's tangent: -(dR/dx)^-1 (dR/dp . dots) at the answer x of solver."""
    if all(d is None or solvers.magnitude(d) == 0.0 for d in dots):
        return solvers.tree_map(np.zeros_like, x)
    zero = solvers.tree_map(np.zeros_like, x)
    _, moved = api.jvp(solver.residual, (x, *params), (zero, *dots))
    linear = linearized(solver, x, params)
    return linear.rebuild(-linear.solve(solvers.flatten(moved)[0]))


_IMPLICIT = _LastSolve()


def implicit_cotangent(solver, x, g, params, i):
    """The cotangent of params[i]: -(dR/dp_i)^T lambda with (dR/dx)^T lambda = g."""
    _, cotangents = implicit_adjoint(solver, x, g, params)
    return cotangent_form(api._like(cotangents[i], params[i]))


def implicit_adjoint(solver, x, g, params):
    """(lambda, the cotangents of params): (dR/dx)^T lambda = g, then -(dR/dp)^T lambda."""
    return _IMPLICIT.get(solver, (x, g, *params), lambda: _implicit_cotangents(solver, x, g, params))


def _implicit_cotangents(solver, x, g, params):
    linear = linearized(solver, x, params)
    lam = linear.solve(solvers.flatten(api._like(g, x))[0], transposed=True)
    return linear.out_rebuild(lam), linear.pullback(-lam)[1:]


_LINEARIZED = _LastSolve()


def linearized(solver, x, params):
    """dR/dx at (x, params), formed once for the several solves of one derivative."""
    return _LINEARIZED.get(solver, (x, *params), lambda: _Linearized(solver, x, params))


def _name(fn):
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _execute(source, title, namespace):
    """Run generated rule templates, registered in linecache so the template reader finds them."""
    filename = f"<s2sad rules of {title} #{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace.setdefault("__name__", __name__)  # the templates' module: s2sad.implicit
    exec(compile(source, filename, "exec"), namespace)
    return namespace



from . import implicit_second  # noqa: E402, F401  (hangs the second-order rules on this module's helpers)
