"""The optimizer given a tree its caller gives up (`optimize(..., owned=True)`, as the driver calls it).

It then works on the tree itself where nothing else holds a node, and on copies where something
does: the result prints exactly as the copying optimizer's, and a subtree another holder keeps is
left as that holder knows it.
"""

import copy
import textwrap

import gast

from s2sad.emit import to_source
from s2sad.optimize import _CLAIMS, claimed, optimize

SOURCE = textwrap.dedent("""
    def f_vjp(x, f_bar=1.0):
        t = x * x
        u = t
        f_bar_1 = f_bar * 1.0
        x_bar = f_bar_1 * u * 0.0 + f_bar_1 * 2.0 * x
        return x_bar
""")


def tree():
    return gast.parse(SOURCE).body[0]


def test_owned_prints_as_the_copying_optimizer():
    assert to_source(optimize(tree(), owned=True)) == to_source(optimize(tree()))


def test_a_statement_held_elsewhere_is_left_as_its_holder_knows_it():
    fn = tree()
    kept = fn.body[3]  # x_bar = ..., held by this test too
    before = copy.deepcopy(kept)
    result = optimize(fn, owned=True)
    assert gast.dump(kept) == gast.dump(before)
    assert "x_bar = f_bar * 2.0 * x" in to_source(result)


def test_nodes_held_twice_come_out_apart():
    fn = tree()
    shared = fn.body[0].value  # x * x
    fn.body[1].value = shared  # held twice in the tree, and by this frame
    out = claimed(fn)
    assert out.body[0].value is not out.body[1].value
    if _CLAIMS:
        assert out is fn
