"""Structured exits: `break`, `continue` and early `return` become flags, before normalization.

After this pass a function has one `return`, at its end; `continue` is gone; and the
only `break` left is a loop's last statement, `if _stop1: break`. Both derivative
generators then see plain loops and branches. Statements that an exit would skip are
guarded by a flag that is true while execution goes on (`_go1` inside loop 1,
`_running` outside loops).

Example::

    for x in xs:                     _stop1 = False
        if x > t:                    for x in xs:
            break                        _go1 = True
        s = s + x                        if x > t:
                                             _go1 = False
                                             _stop1 = True
                                         if _go1:
                                             s = s + x
                                         if _stop1:
                                             break
"""

import gast

from . import build as b
from .names import every, statements


class _Loop:
    def __init__(self, go, stop):
        self.go = go
        self.stop = stop
        self.used_stop = False


def _has_exit(stmts, kinds):
    """Whether stmts contain an exit of `kinds` that leaves them (loops capture break/continue)."""
    for stmt in stmts:
        if isinstance(stmt, gast.Return) and "return" in kinds:
            return True
        if isinstance(stmt, gast.Break) and "break" in kinds:
            return True
        if isinstance(stmt, gast.Continue) and "continue" in kinds:
            return True
        if isinstance(stmt, gast.If) and _has_exit(stmt.body + stmt.orelse, kinds):
            return True
        if isinstance(stmt, (gast.For, gast.While)) and "return" in kinds and _has_exit(stmt.body, {"return"}):
            return True
    return False


def _located(stmts, like):
    """The new statements in stmts placed at like's line; the user's statements they wrap keep theirs
    (the reverse sweep groups statements by line: one user line is one group)."""
    for stmt in stmts:
        for node in every(stmt):
            if isinstance(node, gast.stmt) and getattr(node, "lineno", None) is None:
                node.lineno = getattr(like, "lineno", None)
                node.col_offset = 0
    return stmts


class _Exits:
    def __init__(self, namer, result):
        self.namer = namer
        self.result = result
        self.running = None
        self.count = 0

    def block(self, stmts, loops):
        out = []
        for i, stmt in enumerate(stmts):
            new, exits = self.statement(stmt, loops)
            out.extend(new)
            rest = stmts[i + 1:]
            if exits and rest:
                guarded = self.block(rest, loops)
                flag = loops[-1].go if loops else self.running_flag()
                out.extend(_located([b.if_(b.name(flag), guarded)], rest[0]))
                break
        return out

    def running_flag(self):
        if self.running is None:
            self.running = self.namer.fresh("_running")
        return self.running

    def statement(self, stmt, loops):
        """The rewritten statement and whether it may stop what follows it in its block."""
        if isinstance(stmt, gast.Return) and self.result is None:
            return [stmt], False  # the only return, at the end: nothing to restructure
        if isinstance(stmt, gast.Return):
            value = stmt.value if stmt.value is not None else b.const(None)
            new = [b.assign(self.result, value), b.assign(self.running_flag(), b.const(False))]
            for loop in loops:
                loop.used_stop = True
                new += [b.assign(loop.go, b.const(False)), b.assign(loop.stop, b.const(True))]
            return _located(new, stmt), True
        if isinstance(stmt, gast.Break):
            loops[-1].used_stop = True
            stops = [b.assign(loops[-1].go, b.const(False)), b.assign(loops[-1].stop, b.const(True))]
            return _located(stops, stmt), True
        if isinstance(stmt, gast.Continue):
            return _located([b.assign(loops[-1].go, b.const(False))], stmt), True
        if isinstance(stmt, gast.If):
            exits = _has_exit([stmt], {"return", "break", "continue"})
            stmt.body = self.block(stmt.body, loops) or [gast.Pass()]
            stmt.orelse = self.block(stmt.orelse, loops)
            return [stmt], exits
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt, loops)
        return [stmt], False

    def loop(self, stmt, loops):
        returns = _has_exit(stmt.body, {"return"})
        if not _has_exit(stmt.body, {"return", "break", "continue"}):
            stmt.body = self.block(stmt.body, loops)
            return [stmt], False
        self.count += 1
        loop = _Loop(self.namer.fresh(f"_go{self.count}"), self.namer.fresh(f"_stop{self.count}"))
        body = self.block(stmt.body, loops + [loop])
        stmt.body = _located([b.assign(loop.go, b.const(True))], stmt) + body
        before = []
        if loop.used_stop:
            stmt.body += _located([b.if_(b.name(loop.stop), [gast.Break()])], stmt)
            before = _located([b.assign(loop.stop, b.const(False))], stmt)
        return before + [stmt], returns


def structure_exits(fn, namer):
    """Rewrite fn (a gast FunctionDef, in place) so that it has one return, at its end."""
    body = fn.body
    returns = [n for n in statements(fn) if isinstance(n, gast.Return)]  # how many, and the one
    early = len(returns) > 1 or (len(returns) == 1 and returns[0] is not body[-1])
    loops_exit = any(_has_exit([s], {"break", "continue"}) or _nested_loop_exit(s) for s in body)
    if not early and not loops_exit:
        return fn
    result = namer.fresh(fn.name) if early else None
    exits = _Exits(namer, result)
    if not early:
        fn.body = exits.block(body, [])
        return fn
    new = exits.block(body, [])
    start = [b.assign(result, b.const(None)), b.assign(exits.running_flag(), b.const(True))]
    fn.body = _located(start, body[0]) + new + _located([b.ret(b.name(result))], body[-1])
    return fn


def _nested_loop_exit(stmt):
    return any(isinstance(n, (gast.For, gast.While)) and _has_exit(n.body, {"break", "continue"})
               for n in statements(stmt))  # loops are statements: the expressions need no walk
