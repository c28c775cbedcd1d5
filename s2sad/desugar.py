"""Stage 1a: statements with a plain equivalent, rewritten before lifting and normalizing.

After this pass the function has no `import`, no `with`, and no loop with an `else`:

* `import m`, `import m as k`, `from m import a as k` inside the function bind their names
  the way a module-level import does: the object is imported now and given to the later
  stages as a closure cell, so the resolver finds `math.sin` or `sin` and its rule; the
  statement itself is dropped. A name an import binds may not be assigned anywhere else in
  the function (which one would a line read?), and a relative or `*` import is refused.
* `with` of a context manager known not to change values or control flow is its body:
  `np.errstate(...)` whose settings are constants other than "raise" and "call",
  `np.printoptions(...)`, `warnings.catch_warnings()` (without `record=True`; the
  `warnings.simplefilter` / `filterwarnings` calls inside it are dropped, since they only
  change the filters the block would restore) and `contextlib.nullcontext(v)` (`as t`
  becomes `t = v`). Any other `with` is refused at its line.
* `for ... else` / `while ... else` becomes a flag set by the loop's own `break`s::

      for v in xs:                      _broke = False
          if v > t:                     for v in xs:
              break            ->           if v > t:
      else:                                     _broke = True
          s = s + 1.0                           break
                                        if not _broke:
                                            s = s + 1.0
"""

import contextlib
import copy
import importlib
import types
import warnings

import gast
import numpy as np

from . import build as b
from .errors import LIMITATIONS, S2SADError
from .names import every, statements
from .naming import Namer, identifiers
from .syntax import refuse

_QUIET_ERRSTATE = {"ignore", "warn", "print", "log"}


def desugar(parsed):
    """Rewrite parsed.node in place (imports bound, value-neutral `with` inlined, loop `else` as a flag)."""
    fn = parsed.node
    if not any(isinstance(n, (gast.Import, gast.ImportFrom, gast.With, gast.For, gast.While)) for n in statements(fn)):
        return parsed
    namer = Namer(identifiers(fn) | set(parsed.closure))
    _bind_imports(parsed, fn)
    fn.body = _Desugar(parsed, namer).block(fn.body) or [gast.Pass()]
    return parsed


# -- imports ---------------------------------------------------------------------------


def _bind_imports(parsed, fn):
    bound = {}
    statements = {}  # name -> an import statement binding it alone, for the nested functions that read it
    for stmt in _statements(fn.body):
        if isinstance(stmt, (gast.Import, gast.ImportFrom)):
            for alias, (ident, obj) in zip(stmt.names, _imported(parsed, stmt)):
                if ident in bound and bound[ident] is not obj:
                    refuse(parsed, stmt, f"two imports binding {ident!r} to different objects")
                bound[ident] = obj
                alone = gast.Import(names=[alias]) if isinstance(stmt, gast.Import) else \
                    gast.ImportFrom(module=stmt.module, names=[alias], level=0)
                statements[ident] = gast.copy_location(alone, stmt)
    if not bound:
        return
    stored = {a.id for a in fn.args.args + fn.args.kwonlyargs}
    for sub in every(fn):
        if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Store):
            stored.add(sub.id)
        elif isinstance(sub, gast.FunctionDef) and sub is not fn:
            stored.add(sub.name)
    for stmt in _statements(fn.body):
        if isinstance(stmt, (gast.Import, gast.ImportFrom)):
            for alias in stmt.names:
                ident = alias.asname or alias.name.split(".")[0]
                if ident in stored:
                    refuse(parsed, stmt, f"an import of {ident!r}, a name the function also assigns")
    for ident, obj in bound.items():
        parsed.closure[ident] = types.CellType(obj)
        parsed.imported.add(ident)
    _import_in_nested(fn, statements)


def _import_in_nested(fn, statements):
    """A nested def (or `name = lambda`) that reads an imported name imports it itself: lifted out
    (lift.py), it is a function of its own, which reads no local of fn's."""
    for block in _blocks(fn.body):
        for k, stmt in enumerate(block):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Lambda) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], gast.Name):
                lam = stmt.value
                node = b.function(stmt.targets[0].id, [], [gast.copy_location(gast.Return(value=lam.body), stmt)])
                node.args = lam.args
                gast.copy_location(node, stmt)
            elif isinstance(stmt, gast.FunctionDef):
                node = stmt
            else:
                continue
            params = {a.id for a in node.args.args + node.args.kwonlyargs}
            stored = set(b.names_in(node, gast.Store))
            reads = [n.id for n in every(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)]
            needed = sorted({r for r in reads if r in statements and r not in params and r not in stored})
            if needed:
                node.body = [copy.deepcopy(statements[r]) for r in needed] + node.body
                block[k] = node


def _blocks(stmts):
    """stmts and every statement list nested in them (a nested def's body excluded)."""
    yield stmts
    for stmt in stmts:
        if not isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if inner:
                    yield from _blocks(inner)


def _imported(parsed, stmt):
    """[(name, object)] that an import statement binds."""
    if isinstance(stmt, gast.ImportFrom):
        if stmt.level:
            refuse(parsed, stmt, "a relative import inside a function")
        module = _module(parsed, stmt, stmt.module)
        found = []
        for alias in stmt.names:
            if alias.name == "*":
                refuse(parsed, stmt, "import * inside a function")
            if hasattr(module, alias.name):
                obj = getattr(module, alias.name)
            else:
                obj = _module(parsed, stmt, f"{stmt.module}.{alias.name}")
            found.append((alias.asname or alias.name, obj))
        return found
    found = []
    for alias in stmt.names:
        module = _module(parsed, stmt, alias.name)
        if alias.asname:
            found.append((alias.asname, module))
        else:
            head = alias.name.split(".")[0]
            found.append((head, _module(parsed, stmt, head)))
    return found


def _module(parsed, stmt, name):
    try:
        return importlib.import_module(name)
    except ImportError:
        refuse(parsed, stmt, f"import of {name!r}, which cannot be imported")


def _statements(stmts):
    """Every statement of the function's own blocks (a nested def's body excluded)."""
    for stmt in stmts:
        yield stmt
        if not isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
            for field in ("body", "orelse", "finalbody"):
                yield from _statements(getattr(stmt, field, None) or [])
            for handler in getattr(stmt, "handlers", None) or []:
                yield from _statements(handler.body)


# -- with and loop else ------------------------------------------------------------------


class _Desugar:
    def __init__(self, parsed, namer):
        self.parsed = parsed
        self.namer = namer

    def block(self, stmts):
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt):
        if isinstance(stmt, (gast.Import, gast.ImportFrom)):
            return []  # bound by _bind_imports
        if isinstance(stmt, gast.With):
            return self.with_(stmt)
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt)
        if isinstance(stmt, gast.If):
            stmt.body = self.block(stmt.body) or [_at(gast.Pass(), stmt)]
            stmt.orelse = self.block(stmt.orelse)
        return [stmt]

    def loop(self, stmt):
        stmt.body = self.block(stmt.body) or [_at(gast.Pass(), stmt)]
        orelse = self.block(stmt.orelse)
        stmt.orelse = []
        if not orelse:
            return [stmt]
        breaks = list(_own_breaks(stmt.body))
        if not breaks:
            return [stmt] + orelse  # nothing leaves the loop early: the else always runs
        flag = self.namer.fresh("_broke")
        _set_before_breaks(stmt, flag)
        where = orelse[0]
        test = gast.UnaryOp(op=gast.Not(), operand=b.name(flag))
        return [_at(b.assign(flag, b.const(False)), stmt), stmt, _at(b.if_(test, orelse), where)]

    def with_(self, stmt):
        out = []
        quiet = False
        for item in stmt.items:
            kind, call = self.manager(stmt, item.context_expr)
            if item.optional_vars is not None:
                if kind != "nullcontext":
                    refuse(self.parsed, stmt, f"with {b.dotted_path(call.func)}(...) as a name")
                value = call.args[0] if call.args else b.const(None)
                out.append(_at(gast.Assign(targets=[item.optional_vars], value=value, type_comment=None), stmt))
            elif kind == "nullcontext" and call.args and not isinstance(call.args[0], (gast.Name, gast.Constant)):
                out.append(_at(b.expr_stmt(call.args[0]), stmt))  # evaluated, as the with statement does
            quiet = quiet or kind == "catch_warnings"
        body = self.block(stmt.body)
        if quiet:
            body = self.without_filters(body)
        return out + body

    def without_filters(self, stmts):
        """stmts without the calls that set warning filters, nested blocks included."""
        kept = []
        for stmt in stmts:
            if self.sets_filters(stmt):
                continue
            for field in ("body", "orelse"):
                block = getattr(stmt, field, None)
                if isinstance(block, list) and block:
                    setattr(stmt, field, self.without_filters(block) or ([_at(gast.Pass(), stmt)]
                                                                        if field == "body" else []))
            kept.append(stmt)
        return kept

    def manager(self, stmt, expr):
        """('errstate' | 'printoptions' | 'catch_warnings' | 'nullcontext', the call) for a context
        manager known to leave values and control flow alone; refuses any other."""
        path = b.dotted_path(expr.func) if isinstance(expr, gast.Call) else None
        obj = self.lookup(path) if path else None
        known = {np.errstate: "errstate", np.printoptions: "printoptions", warnings.catch_warnings: "catch_warnings",
                 contextlib.nullcontext: "nullcontext"}
        kind = next((k for o, k in known.items() if obj is o), None)
        if kind is None:
            shown = f"with {path}(...)" if path else "with"
            raise S2SADError(f"{shown} is not supported by s2sad in {self.parsed.node.name}: its __exit__ may change "
                             "what happens (an exception silenced, a resource released)", self.parsed.filename,
                             stmt.lineno, shown, "only np.errstate, np.printoptions, warnings.catch_warnings and "
                             "contextlib.nullcontext, which change no value, are read through; move the computation "
                             f"out of the block, {LIMITATIONS}")
        if kind == "nullcontext":
            if len(expr.args) > 1 or expr.keywords:
                refuse(self.parsed, stmt, "with contextlib.nullcontext(...) with other than one argument")
            return kind, expr
        if any(not isinstance(a, gast.Constant) for a in expr.args) or \
                any(kw.arg is None or not isinstance(kw.value, gast.Constant) for kw in expr.keywords):
            refuse(self.parsed, stmt, f"with {path}(...) whose settings are not constants")
        if kind == "errstate":
            for kw in expr.keywords:
                if kw.arg == "call" or kw.value.value not in _QUIET_ERRSTATE:
                    refuse(self.parsed, stmt, f"with {path}({kw.arg}={kw.value.value!r}) (it changes what raises; "
                                              "only 'ignore', 'warn', 'print' and 'log' are read through)")
        if kind == "catch_warnings":
            for kw in expr.keywords:
                if kw.arg == "record" and kw.value.value:
                    refuse(self.parsed, stmt, "with warnings.catch_warnings(record=True)")
        return kind, expr

    def sets_filters(self, stmt):
        """Whether stmt is a call of warnings.simplefilter / filterwarnings (inside catch_warnings)."""
        if not (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call)):
            return False
        path = b.dotted_path(stmt.value.func)
        obj = self.lookup(path) if path else None
        return obj is warnings.simplefilter or obj is warnings.filterwarnings

    def lookup(self, path):
        """The object a dotted global or closure name holds now, or None (a local, or not found)."""
        head, *rest = path.split(".")
        fn = self.parsed.node
        if head in {a.id for a in fn.args.args + fn.args.kwonlyargs} or \
                head in {n.id for n in every(fn) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}:
            return None
        if head in self.parsed.closure:
            try:
                obj = self.parsed.closure[head].cell_contents
            except ValueError:
                return None
        elif head in self.parsed.globals:
            obj = self.parsed.globals[head]
        else:
            import builtins
            obj = getattr(builtins, head, None)
        for attr in rest:
            obj = getattr(obj, attr, None)
        return obj


def _own_breaks(stmts):
    """The `break`s in stmts that leave the loop whose body they are (not those of inner loops)."""
    for stmt in stmts:
        if isinstance(stmt, gast.Break):
            yield stmt
        elif isinstance(stmt, gast.If):
            yield from _own_breaks(stmt.body + stmt.orelse)
        elif isinstance(stmt, (gast.Try, gast.With)):
            yield from _own_breaks(stmt.body)


def _set_before_breaks(loop, flag):
    """`flag = True` before each `break` of loop's own."""
    def visit(stmts):
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Break):
                out.append(_at(b.assign(flag, b.const(True)), stmt))
            elif isinstance(stmt, gast.If):
                stmt.body = visit(stmt.body)
                stmt.orelse = visit(stmt.orelse)
            out.append(stmt)
        return out
    loop.body = visit(loop.body)


def _at(stmt, like):
    """stmt (and the new nodes in it) placed at like's line."""
    for node in every(stmt):
        if isinstance(node, (gast.stmt, gast.expr)) and getattr(node, "lineno", None) is None:
            node.lineno = getattr(like, "lineno", None)
            node.col_offset = getattr(like, "col_offset", 0)
            node.end_lineno = getattr(like, "end_lineno", None)
            node.end_col_offset = getattr(like, "end_col_offset", 0)
    return stmt
