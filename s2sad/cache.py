"""Stage 7: compiled derivatives kept in memory.

Keyed by the function's identity: its code object *and* the globals it runs with (both
compared by identity, never by value: two modules holding the same text have code objects
that compare equal, and the same code can run with two modules' globals), its closure
cells, and the options (among them the kinds of the arguments a derivative is specialized
to, see shapes.py). So a function redefined in a notebook (new code object) is compiled
afresh, a second module's copy of a function gets its own derivative reading its own
globals, and a repeated call costs one dictionary lookup.

`epoch` changes whenever the cache is cleared: the API's wrappers keep their own
small tables of what they last ran and drop them when the epoch they saw is over.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_CACHE = {}
_LOCK = threading.Lock()
_TABLES = weakref.WeakValueDictionary()  # number -> Table, while its wrapper lives
_NUMBERS = itertools.count()
epoch = 0


class Table(dict):
    """A wrapper's own table of what it last ran (a dict that can be weakly referenced).

    `forget`, set by the wrapper, drops the one entry it keeps at hand besides the table."""

    def forget(self) -> None:
        pass

    def clear(self) -> None:
        super().clear()
        self.forget()


def table():
    """A new Table that `clear` empties: a lookup in it needs no check of the epoch."""
    made = Table()
    with _LOCK:
        _TABLES[next(_NUMBERS)] = made
    return made


class Identity:
    """An object as a dictionary key by identity; holding it keeps its id from being reused."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, Identity) and other.obj is self.obj


def key(func: Callable[..., Any], *options: Any) -> tuple[Any, ...]:
    # Cells are unhashable; their ids stay valid because the cached derivative holds the cells.
    cells = tuple(id(c) for c in func.__closure__ or ())
    return (Identity(func.__code__), Identity(func.__globals__), cells, options)


def get(k: tuple[Any, ...]) -> Any:
    return _CACHE.get(k)


def put(k: tuple[Any, ...], value: T) -> T:
    with _LOCK:
        _CACHE[k] = value
    return value


def clear() -> None:
    global epoch
    with _LOCK:
        _CACHE.clear()
        epoch += 1
        for made in list(_TABLES.values()):
            made.clear()
