"""Constant folding and algebraic simplification.

After this pass no operator has two numeric constants as operands (`2 - 1` is `1`), no
statement assigns a name to itself, and in adjoint and tangent statements (`x_bar =
...`, `x_dot = ...`) no identity survives: `e * 1.0`, `1.0 * e`, `e / 1.0`, `e + 0.0`,
`0.0 + e`, `e - 0.0`, `e ** 1` and `-(-e)` are `e`; `0.0 - e` and `-1.0 * e` are `-e`; a product with a
zero, and a helper linear in its first argument given a zero (`unbroadcast(0.0, x)`),
are `0.0`; an exact product `times_partial(t, c)` of a constant is `t * c` (or 0.0). These
hold exactly for floats and float arrays; a zero's shape does not matter where adjoints and
tangents are concerned (a scalar zero stands for zeros of any shape). The user's own statements
are only constant-folded, since there `x * 1.0` may be a deliberate conversion to float.

Example::

    t1_bar = g * 1.0                  ->    t1_bar = g
    x_bar = unbroadcast(0.0 * w, x)         x_bar = 0.0
"""

import copy
import math
import operator

import gast

from ..names import _NAME_FIELDS, _NO_NAMES
from .effects import derived_test, dotted, operations, reads, simple_target
from .zeros import is_zero

_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul, gast.Div: operator.truediv,
         gast.Pow: operator.pow}
# helpers linear in their first argument and array-valued: a zero in gives a zero out. Every such helper
# that reads its first argument's shape (cumsum_adjoint ravels it, diff_adjoint pads it) must be here:
# once an adjoint upstream has folded to a bare 0.0 it reaches them shapeless (tests/test_regressions_rules.py
# checks that every array-valued @linear runtime helper is listed)
_LINEAR_IN_FIRST = frozenset(
    "unbroadcast broadcast_like sum_adjoint mean_adjoint sum_to_scalar scatter without_item matmul_adjoint_a "
    "matmul_adjoint_b dot_adjoint_a dot_adjoint_b np.transpose np.reshape "
    "cumsum_adjoint diff_adjoint tile_adjoint repeat_adjoint diag_adjoint diagonal_adjoint trace_adjoint "
    "pad_tangent pad_adjoint take_adjoint take_along_axis_adjoint sort_tangent sort_adjoint item_adjoint "
    "sym_lower sym_lower_adjoint ravel_like unravel_like".split())


# helpers that update their first argument in place (reverse.py's _in_place_adjoints)
_UPDATES_FIRST = frozenset(("scatter_add", "clear_item"))


def fold(fn, facts=None):
    """Fold and simplify every statement of fn (in place); True on a change."""
    changed = [False]
    fn.body = _block(fn.body, changed, derived_test(facts), _updated_in_place(fn, facts)) or [gast.Pass()]
    return changed[0]


def _updated_in_place(fn, facts=None):
    """Names whose array is changed in place (`w_dot[1:] = v`, `a_bar = scatter_add(a_bar, ...)`): `z = w * 1.0`
    must stay a copy of such a w, not become the alias `z = w`."""
    found = set()
    for node in operations(fn) if facts is None else facts.skeleton(fn)[0]:
        if isinstance(node, gast.Assign):
            for target in node.targets:
                if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                    found.add(target.value.id)
        elif isinstance(node, gast.Call) and dotted(node.func) in _UPDATES_FIRST and node.args \
                and isinstance(node.args[0], gast.Name):
            found.add(node.args[0].id)
    return found


def _block(stmts, changed, is_derived, updated):
    out = []
    for stmt in stmts:
        target = simple_target(stmt)
        simplify = target is not None and is_derived(target)
        before = copy.deepcopy(stmt.value) if simplify and updated and not isinstance(stmt.value, gast.Name) \
            and (target in updated or not updated.isdisjoint(reads(stmt.value))) else None
        for field in stmt._fields:  # gast.iter_fields, without a generator per statement
            value = getattr(stmt, field, None)
            if isinstance(value, list) and value and isinstance(value[0], gast.stmt):
                empty = [gast.Pass()] if field == "body" else []
                setattr(stmt, field, _block(value, changed, is_derived, updated) or empty)
            elif isinstance(value, gast.expr):
                setattr(stmt, field, expression(value, simplify, changed))
        if before is not None and _aliases(before, stmt.value, target, updated):
            stmt.value = before  # the folded value would leave two names holding one array written in place
        if target is not None and isinstance(stmt.value, gast.Name) and stmt.value.id == target:
            changed[0] = True
            continue
        out.append(stmt)
    return out


_FRESH = (gast.BinOp, gast.UnaryOp, gast.Constant)


def _aliases(before, after, target, updated):
    """Whether folding `target = before` to `target = after` may leave target holding an array another
    name holds, where one of them is updated in place: a bare name (`z = w * 1.0` to `z = w`), or a
    helper that passes its argument through (`y_bar = 0.0 + unbroadcast(g, y)` to `unbroadcast(g, y)`,
    which returns g itself when the shapes agree, so scatter_add into y_bar would change g's other
    holders too). An arithmetic result was a new array; the folded value may not be."""
    if isinstance(after, gast.Name):
        return bool({after.id, target} & updated)
    return isinstance(before, _FRESH) and not isinstance(after, _FRESH)


def number(value):
    """A constant node; negative numbers as `-(c)`, so `(-1.0) ** 2` never prints as `-1.0 ** 2`."""
    if value < 0 or (value == 0 and math.copysign(1.0, value) < 0):
        return gast.UnaryOp(op=gast.USub(), operand=gast.Constant(value=-value, kind=None))
    return gast.Constant(value=value, kind=None)


def _num(node):
    """The number a constant node holds (bools are not numbers here), else None."""
    if isinstance(node, gast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) and _num(node.operand) is not None:
        return -_num(node.operand)
    return None


def expression(node, simplify, changed):
    """node folded bottom-up; identities removed too when `simplify`."""
    if isinstance(node, (gast.Name, gast.Constant)):
        return node
    cls = node.__class__
    fields = _NAME_FIELDS.get(cls)
    if fields is None:
        fields = _NAME_FIELDS[cls] = tuple(f for f in cls._fields if f not in _NO_NAMES)
    leaves = _LEAVES
    for field in fields:  # not ctx, op, ops, id, ...: no expression sits there
        value = getattr(node, field, None)
        if type(value) is list:
            for i, item in enumerate(value):
                if item.__class__ in leaves:
                    continue  # a name or a constant folds to itself
                if isinstance(item, gast.expr):
                    value[i] = expression(item, simplify, changed)
                elif isinstance(item, gast.keyword):
                    item.value = expression(item.value, simplify, changed)
        elif value.__class__ not in leaves and isinstance(value, gast.expr):
            new = expression(value, simplify, changed)
            if new is not value:
                setattr(node, field, new)
    new = _constant(node)
    if new is None and simplify:
        new = _identity(node)
    if new is None:
        return node
    changed[0] = True
    return new


_LEAVES = frozenset((gast.Name, gast.Constant))


def _constant(node):
    if isinstance(node, gast.BinOp) and type(node.op) in _FOLD:
        a, b = _num(node.left), _num(node.right)
        if a is None or b is None or (isinstance(node.op, gast.Pow) and abs(b) > 64):
            return None
        try:
            value = _FOLD[type(node.op)](a, b)
        except (ArithmeticError, ValueError):
            return None
        if type(value) in (int, float) and math.isfinite(value):
            return number(value)
    return None


def _identity(node):
    if isinstance(node, gast.BinOp):
        a, b, op = _num(node.left), _num(node.right), type(node.op)
        if op is gast.Mult and (a == 0 or b == 0):
            return gast.Constant(value=0.0, kind=None)
        if (op is gast.Mult and b == 1) or (op is gast.Div and b == 1) or (op in (gast.Add, gast.Sub) and b == 0) \
                or (op is gast.Pow and b == 1):
            return node.left
        if (op is gast.Mult and a == 1) or (op is gast.Add and a == 0):
            return node.right
        if op is gast.Sub and a == 0:
            return _negate(node.right)
        if op is gast.Mult and (a == -1 or b == -1):  # `-1.0 * g` (a seed folded in) is `-g`, exactly
            return _negate(node.right if a == -1 else node.left)
        return None
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = node.operand
        if isinstance(inner, gast.UnaryOp) and isinstance(inner.op, gast.USub):
            return inner.operand
        if is_zero(inner):
            return gast.Constant(value=0.0, kind=None)
        return None
    if isinstance(node, gast.Call) and node.args and is_zero(node.args[0]) and dotted(node.func) in _LINEAR_IN_FIRST:
        return gast.Constant(value=0.0, kind=None)
    if isinstance(node, gast.Call):
        return _exact_product(node) or _math_calls(node) or _index_order(node)
    return None


_EXACT_PRODUCTS = frozenset(("times_partial", "times_partial_scalar"))


def _exact_product(node):
    """`times_partial(t, p)` with a constant operand: 0.0 for a zero (its exact zero), the plain
    `t * c` for a finite nonzero c (a product of c is zero only where the other operand is, and
    infinite or NaN only where it is too, as times_partial's)."""
    if dotted(node.func) not in _EXACT_PRODUCTS or len(node.args) != 2 or node.keywords:
        return None
    t, p = node.args
    for const, other, right in ((_num(p), t, True), (_num(t), p, False)):
        if const is None or not math.isfinite(const):
            continue
        if const == 0:
            return gast.Constant(value=0.0, kind=None)
        if const == 1:
            return other
        c = number(const)
        left, right_operand = (other, c) if right else (c, other)
        return gast.BinOp(left=left, op=gast.Mult(), right=right_operand)
    return None


def _index_order(node):
    """`index_order(a, 'C')` is 'C' (and 'F' is 'F'), and reshape's `order='C'` goes: the reshape
    rules name the index order for "A", whose meaning depends on a's layout, and say nothing else."""
    if dotted(node.func) == "index_order" and len(node.args) == 2 and isinstance(node.args[1], gast.Constant) \
            and node.args[1].value in ("C", "F"):
        return gast.Constant(value=node.args[1].value, kind=None)
    if dotted(node.func) in ("np.reshape", "np.ravel") and any(
            k.arg == "order" and isinstance(k.value, gast.Constant) and k.value.value == "C" for k in node.keywords):
        node.keywords = [k for k in node.keywords if k.arg != "order"]
        return node
    return None


def _math_calls(node):
    if isinstance(node, gast.Call) and dotted(node.func) in _MATH_OF_CONSTANTS and not node.keywords:
        return _math_of_constants(node)  # `math.log(2.718281828459045)` from a rule's default base
    return None


_MATH_OF_CONSTANTS = {f"math.{name}": getattr(math, name) for name in ("log", "log2", "log10", "exp", "sqrt")}


def _math_of_constants(node):
    """A math function of constants in derivative code, computed now (the same call the code would make)."""
    args = [_num(a) for a in node.args]
    if not args or any(a is None for a in args):
        return None
    try:
        value = _MATH_OF_CONSTANTS[dotted(node.func)](*args)
    except (ArithmeticError, ValueError, TypeError):
        return None
    return number(value) if math.isfinite(value) else None


def _negate(node):
    if is_zero(node):
        return gast.Constant(value=0.0, kind=None)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return node.operand
    return gast.UnaryOp(op=gast.USub(), operand=node)
