"""Copy propagation: after `t1 = t0`, later reads of t1 read t0, so the copy can go.

After this pass (and dead-code elimination) no name assigned once in the function is
a plain copy of another name. Only names bound exactly once are replaced (the chains
normalization leaves, `_branch1 = and_`), never a variable the code rebinds, such as a
restore `x = _x_old`, which keeps the adjoint sweep reading the user's own names.
A read is replaced only while neither name has been rebound since the copy: in a loop
the whole body counts as "since", because the next trip runs after the rebinding. The
source must be a local: a global can be rebound by any call.

Example::

    t1 = x                    ->    y = np.sin(x)
    y = np.sin(t1)
"""

import copy

import gast

from ..names import _NAME_FIELDS, _NO_NAMES
from .effects import Facts, simple_target, writes


def propagate_copies(fn, facts=None):
    """Replace reads of single-assignment copies by their source (in place); True on a change."""
    if not _offers(fn.body, _is_copy):
        return False  # no `t1 = t0` left: nothing to count or walk (the fixed point's later rounds)
    facts = facts or Facts(fn)
    keep = facts.keep
    args = fn.args
    params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg] if a is not None}
    counts = {}
    for node in facts.skeleton(fn)[1]:  # names(fn)
        if isinstance(node.ctx, gast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
    once = {n for n, c in counts.items() if c == 1} - params - keep
    local = (set(counts) | params) - keep  # a global may be rebound by any call, so it is never a source

    def pick(stmt):
        target = simple_target(stmt)
        if target in once and isinstance(stmt.value, gast.Name) and stmt.value.id != target \
                and stmt.value.id in local:
            return target, stmt.value
        return None
    return substitute_forward(fn, pick)


def substitute_forward(fn, pick):
    """Forward-substitute the atoms `pick(stmt)` offers, `(name, atom)`, into later reads.

    The machinery shared by copy propagation and zero propagation; True when a read changed.
    """
    if not _offers(fn.body, pick):
        return False  # nothing offered, so nothing replaced and nothing newly offered: the walk would change nothing
    changed = [False]
    fn.body = _block(fn.body, {}, _Offers(pick), changed)
    return changed[0]


class _Offers:
    """pick, and for each name the names whose offered atom it is (`by_atom`): what a rebinding of it
    invalidates, looked up rather than found by scanning every offer (long functions offer hundreds).
    The table only grows (branches share it); `_kill` checks each entry against the offers in force."""

    def __init__(self, pick):
        self.pick, self.by_atom = pick, {}

    def offer(self, stmt, env):
        offered = self.pick(stmt)
        if offered is not None:
            ident, atom = offered
            env[ident] = atom
            if atom.__class__ is gast.Name:
                self.by_atom.setdefault(atom.id, []).append(ident)


def _is_copy(stmt):
    return simple_target(stmt) is not None and isinstance(stmt.value, gast.Name)


def _offers(stmts, pick):
    """Whether pick offers an atom at some statement the substitution visits (nested blocks, not nested scopes)."""
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            if _offers(stmt.body, pick) or _offers(stmt.orelse, pick):
                return True
        elif not isinstance(stmt, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)) and pick(stmt):
            return True
    return False


def _kill(env, stmt, offers):
    """Forget the copies a rebinding inside stmt invalidates: those of a name it binds, and those whose
    atom is such a name."""
    if not env:
        return
    target = simple_target(stmt)
    name_type, by_atom = gast.Name, offers.by_atom
    for name in (target,) if target is not None else writes(stmt):
        env.pop(name, None)
        for ident in by_atom.get(name, ()):
            atom = env.get(ident)
            if atom is not None and atom.__class__ is name_type and atom.id == name:
                del env[ident]


def _replace(node, env, changed):
    """node with every read of a name in env replaced (nested scopes untouched)."""
    if not env or isinstance(node, _OPAQUE):
        return node
    if isinstance(node, gast.Name):
        return _read(node, env, changed)
    cls = node.__class__
    fields = _NAME_FIELDS.get(cls)
    if fields is None:
        fields = _NAME_FIELDS[cls] = tuple(f for f in cls._fields if f not in _NO_NAMES)
    name_type, ast_type = gast.Name, gast.AST
    for field in fields:  # not the fields no name sits under (ctx, op): the walk visits every statement
        value = getattr(node, field, None)
        if type(value) is list:
            for i, item in enumerate(value):
                if item.__class__ is name_type:  # the usual operand, read here rather than by a call
                    value[i] = _read(item, env, changed)
                elif isinstance(item, ast_type):
                    value[i] = _replace(item, env, changed)
        elif isinstance(value, ast_type):
            new = _read(value, env, changed) if value.__class__ is name_type else _replace(value, env, changed)
            if new is not value:
                setattr(node, field, new)
    return node


_OPAQUE = (gast.Constant, gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)


def _read(name, env, changed):
    """A Name node, or a copy of the atom env holds for the name it reads."""
    if isinstance(name.ctx, gast.Load) and name.id in env:
        changed[0] = True
        return _copied(env[name.id])
    return name


def _copied(node):
    """copy.deepcopy of a substituted atom (a name, a constant), without deepcopy's memo and dispatch."""
    cls = node.__class__
    new = cls.__new__(cls)
    fields = new.__dict__
    for key, value in node.__dict__.items():
        if value.__class__ in _PLAIN:
            pass  # an identifier, a number, a line, None: as it is
        elif isinstance(value, gast.AST):
            value = _copied(value)
        elif not isinstance(value, _ATOMIC):
            value = copy.deepcopy(value)
        fields[key] = value
    return new


_ATOMIC = (str, int, float, complex, bytes, type(None))
_PLAIN = frozenset(_ATOMIC + (bool,))  # the atomic values by their exact class: no isinstance for them


def _block(stmts, env, offers, changed):
    out = []
    for stmt in stmts:
        out.append(_statement(stmt, env, offers, changed))
    return out


def _statement(stmt, env, offers, changed):
    if isinstance(stmt, gast.If):
        stmt.test = _replace(stmt.test, env, changed)
        stmt.body = _block(stmt.body, dict(env), offers, changed)
        stmt.orelse = _block(stmt.orelse, dict(env), offers, changed)
        _kill(env, stmt, offers)
        return stmt
    if isinstance(stmt, (gast.For, gast.While)):
        if isinstance(stmt, gast.For):
            stmt.iter = _replace(stmt.iter, env, changed)
        _kill(env, stmt, offers)  # the body runs again after any rebinding inside it
        if isinstance(stmt, gast.While):
            stmt.test = _replace(stmt.test, env, changed)
        stmt.body = _block(stmt.body, dict(env), offers, changed)
        stmt.orelse = _block(stmt.orelse, dict(env), offers, changed)
        return stmt
    if isinstance(stmt, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
        env.clear()
        return stmt
    if isinstance(stmt, gast.Assign):
        stmt.value = _replace(stmt.value, env, changed)
        targets = stmt.targets
        if len(targets) != 1 or targets[0].__class__ is not gast.Name:  # a name bound reads nothing
            stmt.targets = [t if isinstance(t, gast.Name) else _replace(t, env, changed) for t in targets]
    else:
        stmt = _replace(stmt, env, changed)
    _kill(env, stmt, offers)
    offers.offer(stmt, env)
    return stmt
