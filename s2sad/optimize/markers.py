"""Comment markers (made in build.py, printed by emit.py) in the passes: kept, never left without code under them.

After `drop_orphans`, every marker in a block is followed, before the next marker or the
block's end, by a statement that is neither a marker nor a `return`: a comment naming a
user's line never sits above code the passes removed (the function's closing `return`
belongs to no user line of its own in reverse mode, where `x_bar = s_bar` may have been
propagated into it).
"""

import gast

from ..build import is_marker


def has_code(stmts):
    """Whether stmts hold anything besides markers and `pass`."""
    return any(not is_marker(s) and not isinstance(s, gast.Pass) for s in stmts)


def drop_orphans(fn):
    """Remove markers that label nothing (in place)."""
    fn.body = _block(fn.body) or [gast.Pass()]


def _block(stmts):
    out = []
    for stmt in stmts:
        for field in ("body", "orelse"):
            if isinstance(stmt, (gast.If, gast.For, gast.While)) and getattr(stmt, field):
                setattr(stmt, field, _block(getattr(stmt, field)) or ([gast.Pass()] if field == "body" else []))
        if out and is_marker(out[-1]) and (is_marker(stmt) or isinstance(stmt, gast.Return)):
            out.pop()
        out.append(stmt)
    while out and is_marker(out[-1]):
        out.pop()
    return out


__all__ = ["drop_orphans", "has_code", "is_marker"]
