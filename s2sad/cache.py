"""Stage 7: compiled derivatives kept in memory.

Keyed by the function's code object, its closure cells and the options (among them the
kinds of the arguments a derivative is specialized to, see shapes.py), so a function
redefined in a notebook (new code object) is compiled afresh, and a repeated call
costs one dictionary lookup.

`epoch` changes whenever the cache is cleared: the API's wrappers keep their own
small tables of what they last ran and drop them when the epoch they saw is over.
"""

_CACHE = {}
epoch = 0


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
    global epoch
    _CACHE.clear()
    epoch += 1
