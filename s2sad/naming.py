"""Fresh, deterministic names that never clash with the user's.

A Namer is seeded with every identifier the function mentions; each name it hands out
is new to the function, and the same input always gives the same names, so generated
code is byte-for-byte reproducible.
"""

import builtins
import keyword
import re

import gast

from .names import split

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def identifiers(node):
    """Every identifier that appears in node (names, parameters, attributes are not names)."""
    operations, names = split(node)
    found = {sub.id for sub in names}
    for sub in operations:
        if isinstance(sub, (gast.FunctionDef, gast.ClassDef)) and sub is not node:
            found.add(sub.name)
    return found


class Namer:
    """Hands out names unused so far in one function."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self._counter = 0

    def reserve(self, ident):
        self.taken.add(ident)

    def fresh(self, base):
        """`base` if free, else `base_1`, `base_2`, ...; always a valid identifier."""
        if not base or not _IDENT.match(base) or keyword.iskeyword(base) or hasattr(builtins, base):
            return self.numbered()
        candidate, k = base, 0
        while candidate in self.taken:
            k += 1
            candidate = f"{base}_{k}"
        self.taken.add(candidate)
        return candidate

    def numbered(self, prefix="t"):
        while True:
            self._counter += 1
            candidate = f"{prefix}{self._counter}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
