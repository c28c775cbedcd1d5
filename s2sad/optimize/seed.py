"""grad's seed folded in: the derivative `grad` runs is always called with the seed 1.0, so it is
not multiplied by.

A reverse derivative specialized to grad's kinds (the seed's kind `shapes.GRAD_SEED`) is called
with its seed parameter left at its default, 1.0 (grad, the numba backend), or given 1.0
(`tape_report`); likewise the tangent of grad's forward mode. Here that parameter is bound to
1.0 by a first statement, the constant is carried into the reads that follow (as `zeros` carries
a zero), and folding does the rest: `g = energy_bar * (2 * r)` becomes `g = 2 * r`,
`times_partial_scalar(energy_bar, p)` becomes `p`. A product by 1.0 is exact for floats and
float arrays, so values are unchanged to the bit. The parameter stays in the signature (a
caller that passes 1.0 still may); a derivative called with another seed (vjp's) never gets
here, since its seed's kind is not GRAD_SEED.

After the seed, any adjoint or tangent assigned a number once (`b_bar = -1.0`) is carried into
its reads too, while the passes run (`propagate_constants`).

Example::

    def f_vjp(x, f_bar=1.0):        ->    def f_vjp(x, f_bar=1.0):
        x_bar = f_bar * np.cos(x)              x_bar = np.cos(x)
"""

import gast

from .copies import _copied, substitute_forward
from .effects import derived_test, simple_target
from .fold import _num, expression, number


def bind_seed(fn, seed):
    """Bind the parameter `seed` to 1.0 at the top of fn's body and carry it into its reads (in place)."""
    if seed not in {a.id for a in fn.args.args}:
        return False
    first = gast.Assign(targets=[gast.Name(id=seed, ctx=gast.Store(), annotation=None, type_comment=None)],
                        value=gast.Constant(value=1.0, kind=None), type_comment=None)
    fn.body.insert(0, first)

    def pick(stmt):
        return (seed, gast.Constant(value=1.0, kind=None)) if stmt is first else None

    substitute_forward(fn, pick)
    return True


def propagate_constants(fn, facts=None):
    """Forward-substitute adjoints and tangents assigned a number (in place); True on a change."""
    is_derived = derived_test(facts)

    def pick(stmt):
        target = simple_target(stmt)
        if target is not None and is_derived(target):
            value = _folded_number(stmt.value)
            if value is not None:
                return target, number(value)
        return None
    return substitute_forward(fn, pick)


def _folded_number(node):
    """The number node is, or folds to (`0.5 * 1.0` once the seed is carried in, `t * 0.0`): what fold
    would make of it next round, carried now, so that a chain of such statements settles in one pass
    rather than one optimizer round per link. node itself is left as it is (fold rewrites it)."""
    value = _num(node)
    if value is not None or not _arithmetic(node) or _keeps_a_name(node):
        return value
    return _num(expression(_copied(node), True, [False]))


def _keeps_a_name(node):
    """Whether folding node (operators over names and numbers) certainly leaves a name in it, so no number:
    fold drops a name only in a product with a factor that folds to zero (`t * 0.0`), and only a factor
    without names can (a name goes in no other way). True where node has a name and each product's
    factors have names or are a number other than zero; then the copy and the fold are spared."""
    stack, named = [node], False
    while stack:
        current = stack.pop()
        if isinstance(current, gast.BinOp):
            if isinstance(current.op, gast.Mult) and not (_nonzero(current.left) and _nonzero(current.right)):
                return False
            stack += (current.left, current.right)
        elif isinstance(current, gast.UnaryOp):
            stack.append(current.operand)
        elif isinstance(current, gast.Name):
            named = True
    return named


def _nonzero(factor):
    """Whether factor certainly folds to no zero: a number other than zero, or anything holding a name
    (a name goes only with a zero factor below it, which `_keeps_a_name` looks for there too)."""
    value = _num(factor)
    return value != 0 if value is not None else _has_name(factor)


def _has_name(node):
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, gast.Name):
            return True
        if isinstance(current, gast.BinOp):
            stack += (current.left, current.right)
        elif isinstance(current, gast.UnaryOp):
            stack.append(current.operand)
    return False


def _arithmetic(node):
    """Whether node is operators over names and numbers only, with a number among them."""
    stack, numbers = [node], False
    while stack:
        current = stack.pop()
        if isinstance(current, gast.BinOp):
            stack += (current.left, current.right)
        elif isinstance(current, gast.UnaryOp):
            stack.append(current.operand)
        elif isinstance(current, gast.Constant):
            numbers = numbers or _num(current) is not None
        elif not isinstance(current, gast.Name):
            return False
    return numbers
