"""Stage 7: compiled derivatives kept in memory.

Keyed by the function's code object, its closure cells and the options, so a function
redefined in a notebook (new code object) is compiled afresh, and a repeated call
costs one dictionary lookup.
"""

_CACHE = {}


def key(func, *options):
    # Cells are unhashable; their ids stay valid because the cached derivative holds the cells.
    cells = tuple(id(c) for c in func.__closure__ or ())
    return (func.__code__, cells, options)


def get(k):
    return _CACHE.get(k)


def put(k, value):
    _CACHE[k] = value
    return value


def clear():
    _CACHE.clear()
