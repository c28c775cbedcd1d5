"""Second derivatives through fixed points and implicit solvers: the rules of implicit.py's helpers.

A first derivative through `fixed_point` or an `@implicit` solver calls one of four helpers of
implicit.py (the tangent or the cotangent, of a fixed point or of an implicit solver). Each is
the solution of a linear system whose matrix is the step's (the residual's) Jacobian, so its
own derivative follows from the implicit function theorem once more: one more linear solve with
the same matrix or its transpose, and one JVP or VJP of the step's (residual's) generated
derivative code, which s2sad differentiates like any other code. With A = dstep/dx,
B = dstep/dp, J(x, p, t, d) = A t + B d (the step's generated JVP) and V(x, p, u) = (A^T u, B^T u)
(its generated VJP):

* fixed_point_tangent, t = J(x, p, t, d):
  forward t' = A t' + J'(x, p, d); reverse (cotangent c) m = c + A^T m, then J's VJP at m;
* fixed_point_cotangent, V_p(x, p, u) with u = g + V_x(x, p, u):
  forward u' = g' + A^T u' + V_x'(x, p), then V_p'(x, p, u);
  reverse l = A l + B_i c, g_bar = l, then V's VJP at (l, c);

and for a residual R (J, V its generated JVP and VJP, R_x its Jacobian in x):

* implicit_tangent, J(x, p, t, d) = 0:
  forward R_x t' = -J'(x, p, d); reverse R_x^T l = c, then J's VJP at -l;
* implicit_cotangent, -V_p(x, p, l) with V_x(x, p, l) = g:
  forward R_x^T l' = g' - V_x'(x, p), then -V_p'(x, p, l);
  reverse R_x n = R_p_i c, g_bar = -n, then V's VJP at (n, -c)

(primes: tangents along the helper's inputs, with t or u or l held where the formula says.) So
`hessian`, `grad(grad)`, forward over forward and reverse over forward all work. The rules of
these rules (third derivatives) are refusals: `S2SADError`, never a wrong number.
"""

import numpy as np

from . import api, driver, solvers
from .callables import entry
from .implicit import (
    _execute,
    _LastSolve,
    _linear_failure,
    _solve_adjoint,
    adjoint,
    cotangent_form,
    fixed_point_cotangent,
    fixed_point_tangent,
    implicit_adjoint,
    implicit_cotangent,
    implicit_tangent,
    linearized,
    state_maps,
)
from .registry import Rule

_SECOND = _LastSolve()


def _zeros(x):
    return solvers.tree_map(np.zeros_like, x)


def _add(a, b):
    return solvers.tree_map(np.add, a, b) if not solvers._scalar(a) else a + b


def _negate(a):
    return solvers.tree_map(np.negative, a)


class GeneratedMaps:
    """fn's generated JVP J(x, *p, t, *d) and VJP V(x, *p, u) at (x, *params), to be differentiated again.

    Positions count x as 0 and params[k] as k + 1; a parameter that is not a float has no tangent
    or cotangent (None). Arguments fn takes beyond (x, *params) keep their defaults."""

    def __init__(self, fn, x, params):
        func = entry(fn)
        values = api._bind(func, (x, *params), {})
        self.count = 1 + len(params)
        self.inputs = tuple(values.values())
        self.floats = [api._is_float(v) for v in self.inputs[: self.count]]
        names = tuple(n for n, f in zip(values, self.floats) if f)
        self.single = len(names) == 1
        self.forward = driver.derivative(func, "forward", names).function
        self.reverse = driver.derivative(func, "reverse", names).function

    def _float_slots(self, values):
        """The entries of a by-position list at the float positions (the generated code's order)."""
        return [v for v, f in zip(values, self.floats) if f]

    def _by_position(self, slots, fill=None):
        slots, out = iter(slots), []
        for f in self.floats:
            out.append(next(slots) if f else fill)
        return out

    def _tangents(self, along):
        """Tangents of the inputs: along's per position (None: zero), the defaults' None."""
        along = [None if t is None else v for t, v in zip(along, self._filled(along))]
        return along + [None] * (len(self.inputs) - self.count)

    def _filled(self, values):
        """A by-position list of values shaped like the float inputs (None: their zero)."""
        return [api._like(v, x) if f else v for v, x, f in zip(values, self.inputs, self.floats)]

    def forward_tangent(self, t, dots, along, dots_along):
        """The tangent of J(x, p, t, d) along (x_dot, p_dot) = along and d_dot = dots_along, t held."""
        slots = self._float_slots(self._filled([t, *dots]))
        dot_slots = self._float_slots(self._tangents([None, *dots_along]))
        out = api.jvp(self.forward, (*self.inputs, *slots), (*self._tangents(along), *dot_slots))[1]
        return out[1]

    def forward_cotangents(self, t, dots, cotangent):
        """J's VJP at cotangent m of its tangent output: (the x and p cotangents, the d cotangents)."""
        slots = self._float_slots(self._filled([t, *dots]))
        primal, pullback = api.vjp(self.forward, *self.inputs, *slots)
        bars = pullback((_zeros(primal[0]), api._like(cotangent, primal[1])))
        ins, dot_bars = list(bars[: self.count]), self._by_position(bars[len(self.inputs):])
        return ins, dot_bars[1:]

    def reverse_tangent(self, u, along, u_along):
        """The tangent of V(x, p, u) by position, along (x_dot, p_dot) = along and u_dot = u_along."""
        out = api.jvp(self.reverse, (*self.inputs, u), (*self._tangents(along), u_along))[1]
        return self._by_position((out,) if self.single else out, 0.0)

    def reverse_cotangents(self, u, cotangents):
        """V's VJP w.r.t. (x, p) at cotangents {position: value} of its outputs, u held: by the symmetry
        of second derivatives, J's VJP at cotangent u, J taken at the tangents those cotangents give
        (reverse over forward, cheaper than reverse over reverse)."""
        t = cotangents.get(0)
        dots = [cotangents.get(k + 1) for k in range(self.count - 1)]
        return self.forward_cotangents(_zeros(self.inputs[0]) if t is None else t, dots, u)[0]


def _dots(params, dots):
    return (None,) * len(params) if dots is None else tuple(dots)


def _like_all(bars, values):
    return tuple(None if b is None else api._like(b, v) for b, v in zip(bars, values))


def _bars(*cotangents):
    """A reverse rule's cotangents in generated code's form (containers as runtime.Parts)."""
    return tuple(cotangent_form(c) for c in cotangents)


# -- fixed points ---------------------------------------------------------------------------------


def fixed_point_tangent_tangent(step, x, params, dots, tol, max_iter, t, x_dot, params_dot, dots_dot):
    """The tangent of t = fixed_point_tangent(step, x, params, dots) along (x_dot, params_dot, dots_dot)."""
    constant = GeneratedMaps(step, x, params).forward_tangent(t, dots, (x_dot, *_dots(params, params_dot)),
                                                      _dots(params, dots_dot))
    return solvers.linear_fixed_point(state_maps(step, x, params).tangent, constant, tol, max_iter,
                                      _linear_failure(step, "second-order tangent", tol))


def fixed_point_tangent_cotangents(step, x, params, dots, tol, max_iter, t, cotangent):
    """(x_bar, params_bar, dots_bar) of t = fixed_point_tangent(step, x, params, dots) for t's cotangent."""
    def compute():
        m, _ = _solve_adjoint(step, x, api._like(cotangent, x), params, tol, max_iter)
        ins, dot_bars = GeneratedMaps(step, x, params).forward_cotangents(t, dots, m)
        return _bars(api._like(ins[0], x), _like_all(ins[1:], params), _like_all(dot_bars, params))
    return compute


def fixed_point_cotangent_tangent(step, x, g, params, i, tol, max_iter, x_dot, g_dot, params_dot):
    """The tangent of fixed_point_cotangent(step, x, g, params, i, ...) along (x_dot, g_dot, params_dot):
    u' = g' + V_x'(x, p) + A^T u', then V_p_i'(x, p, u) with u' (what a hessian needs)."""
    u, _ = adjoint(step, x, g, params, tol, max_iter)
    maps = GeneratedMaps(step, x, params)
    along = (x_dot, *_dots(params, params_dot))
    moved = maps.reverse_tangent(u, along, _zeros(u))[0]
    constant = _add(_zeros(x) if g_dot is None else api._like(g_dot, x), api._like(moved, x))
    u_dot = solvers.linear_fixed_point(state_maps(step, x, params).cotangent, constant, tol, max_iter,
                                       _linear_failure(step, "second-order adjoint", tol))
    return cotangent_form(api._like(maps.reverse_tangent(u, along, u_dot)[i + 1], params[i]))   # a cotangent's tangent


def fixed_point_cotangent_cotangents(step, x, g, params, i, tol, max_iter, cotangent):
    """(x_bar, g_bar, params_bar) of fixed_point_cotangent(step, x, g, params, i) for its cotangent c:
    l = A l + B_i c, g_bar = l, and V's VJP at (l on A^T u, c on B_i^T u) (reverse over reverse)."""
    cotangent = api._like(cotangent, params[i])   # a container's may come as a runtime.Parts

    def compute():
        u, _ = adjoint(step, x, g, params, tol, max_iter)
        dots = tuple(cotangent if k == i else None for k in range(len(params)))
        lam = fixed_point_tangent(step, x, params, dots, tol, max_iter)
        ins = GeneratedMaps(step, x, params).reverse_cotangents(u, {0: lam, i + 1: cotangent})
        return _bars(api._like(ins[0], x), api._like(lam, x), _like_all(ins[1:], params))
    return compute


# -- implicit solvers -----------------------------------------------------------------------------


def implicit_tangent_tangent(solver, x, params, dots, t, x_dot, params_dot, dots_dot):
    """The tangent of t = implicit_tangent(solver, x, params, dots): R_x t' = -J'(x, p, d)."""
    moved = GeneratedMaps(solver.residual, x, params).forward_tangent(t, dots, (x_dot, *_dots(params, params_dot)),
                                                              _dots(params, dots_dot))
    linear = linearized(solver, x, params)
    return linear.rebuild(-linear.solve(solvers.flatten(moved)[0]))


def implicit_tangent_cotangents(solver, x, params, dots, t, cotangent):
    """(x_bar, params_bar, dots_bar) of t = implicit_tangent(solver, x, params, dots): R_x^T l = c."""
    def compute():
        linear = linearized(solver, x, params)
        lam = linear.out_rebuild(linear.solve(solvers.flatten(api._like(cotangent, x))[0], transposed=True))
        ins, dot_bars = GeneratedMaps(solver.residual, x, params).forward_cotangents(t, dots, _negate(lam))
        return _bars(api._like(ins[0], x), _like_all(ins[1:], params), _like_all(dot_bars, params))
    return compute


def implicit_cotangent_tangent(solver, x, g, params, i, x_dot, g_dot, params_dot):
    """The tangent of implicit_cotangent(solver, x, g, params, i): R_x^T l' = g' - V_x'(x, p), then
    -V_p_i'(x, p, l) with l'."""
    lam, _ = implicit_adjoint(solver, x, g, params)
    maps = GeneratedMaps(solver.residual, x, params)
    along = (x_dot, *_dots(params, params_dot))
    moved = solvers.flatten(api._like(maps.reverse_tangent(lam, along, _zeros(lam))[0], x))[0]   # by key: a Parts
    rhs = -moved if g_dot is None else solvers.flatten(api._like(g_dot, x))[0] - moved
    linear = linearized(solver, x, params)
    lam_dot = linear.out_rebuild(linear.solve(rhs, transposed=True))
    return cotangent_form(api._like(_negate(maps.reverse_tangent(lam, along, lam_dot)[i + 1]), params[i]))


def implicit_cotangent_cotangents(solver, x, g, params, i, cotangent):
    """(x_bar, g_bar, params_bar) of implicit_cotangent(solver, x, g, params, i) for its cotangent c:
    R_x n = R_p_i c, g_bar = -n, and V's VJP at (n on R_x^T l, -c on R_p_i^T l)."""
    cotangent = api._like(cotangent, params[i])

    def compute():
        lam, _ = implicit_adjoint(solver, x, g, params)
        dots = tuple(cotangent if k == i else None for k in range(len(params)))
        _, moved = api.jvp(solver.residual, (x, *params), (None, *dots))
        linear = linearized(solver, x, params)
        n = linear.rebuild(linear.solve(solvers.flatten(moved)[0]))
        ins = GeneratedMaps(solver.residual, x, params).reverse_cotangents(lam, {0: n, i + 1: _negate(cotangent)})
        return _bars(api._like(ins[0], x), api._like(_negate(n), x), _like_all(ins[1:], params))
    return compute


def second_cotangent(which, part, owner, inputs, args):
    """Part `part` of what helper `which` computes: the three cotangents a reverse rule returns come
    from one computation, shared by its three calls."""
    return _SECOND.get((which, owner, len(inputs)), inputs, which(*args))[part]


def second_cotangent_tangent(which, part, owner, inputs, args, args_dot, ans):
    """The tangent of second_cotangent(...) when only its cotangent moves (in which it is linear):
    what the batched rows of a reverse-mode `jacobian` of a gradient need. Any other input moving
    is a third derivative: refused."""
    if args_dot is None:
        return _zeros(ans)
    if any(d is not None and solvers.magnitude(d) != 0.0 for d in args_dot[:-1]):
        raise refuse_third(owner)
    seed = args_dot[-1]
    if seed is None:
        return _zeros(ans)
    return second_cotangent(which, part, owner, (*inputs[:-1], seed), (*args[:-1], seed))


# -- the rules ------------------------------------------------------------------------------------


def _rule(helper, params, wrt, jvp_call, vjp_call, key, namespace):
    """A custom rule for helper: jvp_call its tangent (an expression of the params and their `_dot`s),
    vjp_call(k) the k-th cotangent's expression; key: the inputs that identify one computation."""
    args = ", ".join(params)
    dots = "".join(w + "_dot, " for w in wrt)
    ans = "ans, " if helper in (fixed_point_tangent, implicit_tangent) else ""
    cotangents = ", ".join(f"second_cotangent({vjp_call}, {k}, {params[0]}, ({key}, cotangent), ({args}, {ans}"
                           "cotangent))" for k in range(len(wrt)))
    source = (f"def vjp(cotangent, ans, {args}):\n    return {cotangents}\n\n\n"
              f"def jvp({dots}ans, {args}):\n    return {jvp_call}\n")
    space = _execute(source, helper.__name__, {"second_cotangent": second_cotangent, **namespace})
    return Rule(helper, "custom", tuple(params), {}, tuple(wrt), space["jvp"], space["vjp"], name=helper.__name__)


def _refusing_rule(helper, params, wrt, where=None, jvp_call=None):
    """A rule for a second-order helper: a third derivative through a fixed point is refused
    (where: the parameter naming the user's step or solver)."""
    args, where = ", ".join(params), where or params[0]
    refusals = ", ".join(f"refuse_third({where})" for _ in wrt)
    source = (f'def vjp(cotangent, {args}):\n    """Refused in both modes (S2SADError), never computed wrong."""\n'
              f"    return {refusals}\n\n\n"
              f"def jvp({''.join('d_' + w + ', ' for w in wrt)}ans, {args}):\n"
              f"    return {jvp_call or f'refuse_third({where})'}\n")
    space = _execute(source, helper.__name__, {"refuse_third": refuse_third,
                                               "second_cotangent_tangent": second_cotangent_tangent})
    return Rule(helper, "custom", tuple(params), {}, tuple(wrt), space["jvp"], space["vjp"], name=helper.__name__)


def refuse_third(where):
    """A third derivative through a fixed point or an implicit solver: refused, never wrong."""
    where = getattr(where, "residual", where)
    raise solvers.refuse("third and higher derivatives through s2sad.fixed_point or s2sad.implicit are not "
                         "supported (first and second derivatives are, in every nesting of modes)", where,
                         "fixed_point")


def _register_rules():
    """Hung on the helpers themselves (`registry.lookup` finds them there), as a custom_vjp's rule is:
    they belong to implicit.py, not to the library's table."""
    space = {f.__name__: f for f in (
        fixed_point_tangent_tangent, fixed_point_tangent_cotangents, fixed_point_cotangent_tangent,
        fixed_point_cotangent_cotangents, implicit_tangent_tangent, implicit_tangent_cotangents,
        implicit_cotangent_tangent, implicit_cotangent_cotangents)}
    fixed_point_tangent.__s2sad_rule__ = _rule(
        fixed_point_tangent, ("step", "x", "params", "dots", "tol", "max_iter"), ("x", "params", "dots"),
        "fixed_point_tangent_tangent(step, x, params, dots, tol, max_iter, ans, x_dot, params_dot, dots_dot)",
        "fixed_point_tangent_cotangents", "x, ans, params, dots", space)
    fixed_point_cotangent.__s2sad_rule__ = _rule(
        fixed_point_cotangent, ("step", "x", "g", "params", "i", "tol", "max_iter"), ("x", "g", "params"),
        "fixed_point_cotangent_tangent(step, x, g, params, i, tol, max_iter, x_dot, g_dot, params_dot)",
        "fixed_point_cotangent_cotangents", "x, g, params, i", space)
    implicit_tangent.__s2sad_rule__ = _rule(
        implicit_tangent, ("solver", "x", "params", "dots"), ("x", "params", "dots"),
        "implicit_tangent_tangent(solver, x, params, dots, ans, x_dot, params_dot, dots_dot)",
        "implicit_tangent_cotangents", "x, ans, params, dots", space)
    implicit_cotangent.__s2sad_rule__ = _rule(
        implicit_cotangent, ("solver", "x", "g", "params", "i"), ("x", "g", "params"),
        "implicit_cotangent_tangent(solver, x, g, params, i, x_dot, g_dot, params_dot)",
        "implicit_cotangent_cotangents", "x, g, params, i", space)
    for helper, params, wrt in (
            (fixed_point_tangent_tangent, ("step", "x", "params", "dots", "tol", "max_iter", "t", "x_dot",
                                           "params_dot", "dots_dot"), ("x", "params", "dots", "t", "x_dot",
                                                                       "params_dot", "dots_dot")),
            (fixed_point_cotangent_tangent, ("step", "x", "g", "params", "i", "tol", "max_iter", "x_dot", "g_dot",
                                             "params_dot"), ("x", "g", "params", "x_dot", "g_dot", "params_dot")),
            (implicit_tangent_tangent, ("solver", "x", "params", "dots", "t", "x_dot", "params_dot", "dots_dot"),
             ("x", "params", "dots", "t", "x_dot", "params_dot", "dots_dot")),
            (implicit_cotangent_tangent, ("solver", "x", "g", "params", "i", "x_dot", "g_dot", "params_dot"),
             ("x", "g", "params", "x_dot", "g_dot", "params_dot"))):
        helper.__s2sad_rule__ = _refusing_rule(helper, params, wrt)
    second_cotangent.__s2sad_rule__ = _refusing_rule(
        second_cotangent, ("which", "part", "owner", "inputs", "args"), ("inputs", "args"), "owner",
        "second_cotangent_tangent(which, part, owner, inputs, args, d_args, ans)")


_register_rules()
