"""The printer behind `s2sad.source` writes what `ast.unparse` writes, to the character.

`unparse.printed` writes a derivative's gast tree as source directly (faster than converting it for
`ast.unparse`); where it cannot it says None, and `render` asks `ast.unparse`. Either way the text is
the same: these examples hold both to it, precedence and the odd spellings of numbers included.
"""

import ast
import textwrap

import gast
import pytest

from s2sad import build
from s2sad.unparse import _PRINTS, printed, render, to_ast

SOURCES = [
    "x = a * (b + c) - d / (e * f) ** -g ** h",
    "y = -(a + b) * c + (-2) ** k + (-1.5).real + 2 .real + (-x).imag",
    "z = a if b < c <= d else e or f and not g",
    "w = (a or b) and (c or d or e) and not (f and g)",
    "v = f(a, *b, k=c, **d)[i, j:k, ::2][:, None][(i,)][()]",
    "a, b = c = (d, e), [f, g], ()",
    "a += b ** c; a @= m @ n; s[i] -= 1e400 - float('nan')",
    "t = a | b ^ c & d << e >> f // g % h",
    "u = x is not None and y not in z or ~k < +j",
    "def f(x, y=1.0, z=-2):\n    'doc'\n    if x:\n        return\n    elif y:\n        pass\n    else:\n"
    "        while x:\n            break\n    for i, j in z:\n        continue\n    return x",
    "def g(x):\n    '__s2sad_comment:hi'\n    x = 1\n    '__s2sad_origin:3:y = x'\n    return x",
]


@pytest.mark.parametrize("source", SOURCES)
def test_printed_as_ast_unparse_prints(source):
    tree = gast.parse(textwrap.dedent(source))
    text = printed(tree)
    assert text == ast.unparse(to_ast(tree)) if _PRINTS else text is None


def test_what_the_printer_leaves_goes_to_ast_unparse():
    tree = gast.parse("f = lambda x: {x: [y for y in x]}")
    assert printed(tree) is None
    assert render(tree)[0] == "f = lambda x: {x: [y for y in x]}\n"


def test_a_negative_number_prints_as_a_unary_minus():
    tree = build.module([build.assign("y", gast.BinOp(left=build.const(-2.0), op=gast.Pow(), right=build.name("k")))])
    assert render(tree)[0] == "y = (-2.0) ** k\n"
