"""Calls of primitives whose rule depends on how many arguments they get (a stage before lifting).

`s2sad.fixed_point(step, x0, a, b)` and a solver decorated with `s2sad.implicit(residual)` take
any number of parameters, but a derivative rule names its parameters one by one. Such an object
has a method `__s2sad_specialize__(count)` returning a callable for calls with `count`
positional arguments, which carries a rule (`__s2sad_rule__`) naming each of them. This stage
binds that callable to a fresh closure name and calls it instead, so the call resolves as a
call of a primitive with a rule::

    x = s2sad.fixed_point(step, x0, a, tol=1e-10)
    # becomes
    x = fixed_point_3(step, x0, a, tol=1e-10)       # fixed_point_3: the rule for 3 arguments

After it: no call of such an object is left with positional arguments only (a call with `*args`
is left as it is, and is refused later as a call without a rule).
"""

import types

import gast

from .names import every
from .parse import bound_names, environment_object


def specialize_calls(parsed):
    """Every call of an object with `__s2sad_specialize__` turned into a call of its specialized twin."""
    bound = bound_names(parsed.node)
    for node in every(parsed.node):
        if not isinstance(node, gast.Call) or any(isinstance(a, gast.Starred) for a in node.args):
            continue
        obj = environment_object(parsed, node.func, bound)
        special = getattr(obj, "__s2sad_specialize__", None) if obj is not None else None
        if special is None:
            continue
        twin = special(len(node.args))
        name = _fresh(parsed, twin)
        parsed.closure.setdefault(name, types.CellType(twin))
        node.func = gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
    return parsed


def _fresh(parsed, twin):
    """A name for twin that nothing in the function's environment holds yet (or that holds twin)."""
    name = twin.__name__
    while name in parsed.globals or (name in parsed.closure and parsed.closure[name].cell_contents is not twin):
        name += "_"
    return name
