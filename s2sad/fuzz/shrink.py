"""Shrinking a failing program to a small one that fails the same way.

Invariant: `shrink(source, fails)` returns source for which `fails` still holds, and no single
edit below (deleting a statement, replacing a loop or branch by its body, replacing an expression
by one of its parts or by a constant) keeps it failing, unless the budget ran out first. Edits
are tried biggest first, so a long program loses whole statements before anything finer.
"""

import ast
import copy
import time

_COMPOUND = (ast.If, ast.For, ast.While)


def shrink(source, fails, budget=400, seconds=90.0):
    """The smallest source found by greedy edits for which fails(source) stays true."""
    deadline = time.monotonic() + seconds
    tries, start, clean_from_top = 0, 0, False
    while not clean_from_top and tries < budget and time.monotonic() < deadline:
        tree = ast.parse(source)
        edits = _edits(tree)
        clean_from_top = start == 0  # a pass from the top with no success ends the search
        for at in range(start, len(edits)):
            candidate = _apply(tree, edits[at])
            if candidate is None or candidate == source:
                continue
            tries += 1
            if fails(candidate):
                # the edits before this one were tried already: resume here, not from the top
                source, start, clean_from_top = candidate, at, False
                break
            if tries >= budget or time.monotonic() >= deadline:
                break
        else:
            start = 0
    return source


def _edits(tree):
    """Every edit of the tree, as (kind, path, choice), statements first, then expressions."""
    statements, expressions = [], []
    _collect(tree, (), statements, expressions)
    return statements + expressions


def _collect(node, path, statements, expressions):
    for field, value in ast.iter_fields(node):
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if not isinstance(item, ast.AST):
                continue
            where = path + ((field, index if isinstance(value, list) else None),)
            if isinstance(item, ast.stmt) and _removable(item):
                statements.append(("delete", where, None))
                if isinstance(item, _COMPOUND):
                    statements.append(("inline", where, "body"))
                    if getattr(item, "orelse", None):
                        statements.append(("inline", where, "orelse"))
            if isinstance(item, ast.expr) and field not in ("targets", "target") and not isinstance(item, ast.Constant):
                for part in _parts(item):
                    expressions.append(("replace", where, part))
            if field not in ("targets", "target"):  # `0.5[3] = e` would fail where it runs
                _collect(item, where, statements, expressions)


def _removable(stmt):
    """Imports, the function under test and the record classes its arguments are made of stay; everything else
    may go."""
    return not isinstance(stmt, (ast.Import, ast.ImportFrom, ast.ClassDef)) and not (
        isinstance(stmt, ast.FunctionDef) and stmt.name == "f") and not (
        isinstance(stmt, ast.Assign) and "namedtuple" in ast.unparse(stmt.value))


def _parts(expr):
    """What an expression may shrink to: its sub-expressions, then a constant."""
    parts = [] if isinstance(expr, ast.Name) else [
        ("child", i) for i, child in enumerate(ast.iter_child_nodes(expr)) if _useful(child)]
    return parts + [("constant", 0.5)]


def _useful(child):
    """A part worth trying in its parent's place: an expression, but not a module name or a call's callee."""
    if isinstance(child, ast.Name):
        return isinstance(child.ctx, ast.Load) and child.id not in ("np", "math")
    return isinstance(child, ast.expr) and not isinstance(child, ast.Attribute) or \
        isinstance(child, ast.Attribute) and not isinstance(child.value, ast.Name)


def _locate(tree, path):
    """(parent, field, index) of the node at path."""
    node = tree
    for field, index in path[:-1]:
        value = getattr(node, field)
        node = value[index] if index is not None else value
    field, index = path[-1]
    return node, field, index


def _apply(tree, edit):
    """The source after one edit, or None when the edit does not apply."""
    kind, path, choice = edit
    tree = copy.deepcopy(tree)
    parent, field, index = _locate(tree, path)
    target = getattr(parent, field)[index] if index is not None else getattr(parent, field)
    if kind == "delete":
        body = getattr(parent, field)
        del body[index]
        if not body and field == "body":
            body.append(ast.Pass())
    elif kind == "inline":
        replacement = getattr(target, choice)
        getattr(parent, field)[index:index + 1] = replacement
    else:
        new = _replacement(target, choice)
        if new is None:
            return None
        if index is None:
            setattr(parent, field, new)
        else:
            getattr(parent, field)[index] = new
    try:
        return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    except Exception:
        return None


def _replacement(expr, choice):
    what, value = choice
    if what == "constant":
        return ast.Constant(value)
    children = [c for c in ast.iter_child_nodes(expr) if isinstance(c, ast.expr)]
    child = list(ast.iter_child_nodes(expr))[value]
    return child if child in children else None
