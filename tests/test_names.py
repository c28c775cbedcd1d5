"""The tree walks every stage shares (s2sad/names.py) answer what `gast.walk` answers, faster."""

import gast
import numpy as np

from s2sad import build, names
from s2sad.driver import front


def stepped(x, n):
    total = 0.0
    for i in range(n):
        if x > i:
            total = total + np.sin(x * i) - (-1.5) ** 2
        else:
            total = total * 0.5
    return total


def test_every_yields_what_gast_walk_yields_in_its_order():
    parsed, normalized = front(stepped)
    for tree in (parsed.node, normalized.node):
        assert [id(n) for n in names.every(tree)] == [id(n) for n in gast.walk(tree)]


def test_the_name_walks_find_every_name():
    _, normalized = front(stepped)
    tree = normalized.node
    every_name = [n for n in gast.walk(tree) if isinstance(n, gast.Name)]
    assert [n.id for n in names.names_in_order(tree)] == [n.id for n in every_name]  # gast.walk's order
    assert sorted(map(id, names.names(tree))) == sorted(map(id, every_name))
    stores = [n.id for n in every_name if isinstance(n.ctx, gast.Store)]
    assert build.names_in(tree, gast.Store) == stores


def test_operations_are_every_node_but_names_constants_and_markers():
    _, normalized = front(stepped)
    tree = normalized.node
    skipped = (gast.Name, gast.Constant, gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)
    want = [n for n in gast.walk(tree) if not isinstance(n, skipped)]
    assert sorted(map(id, names.operations(tree))) == sorted(map(id, want))
