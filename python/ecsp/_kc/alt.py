"""``ecsp.Alt`` in a kernel: its guards (read ends, skip, timeout), the
select that chooses (``ECSP_SELECT``/``ECSP_PRI_SELECT``, pre-conditions with
``ecsp_when``), and the value read, whose storage is per guard when the
guards carry different types (used inside ``if g is <end>:``)."""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Tuple

from .. import _ktypes as T
from .._ktypes import ArrayType
from .exprs import Exprs
from .model import AltInfo, Var, _ecsp_attr


class Alts(Exprs):
    """Compiles an Alt's definition and its selects."""

    def define_alt(self, name: str, call: ast.Call, s: ast.stmt) -> None:
        if self.lookup(name) is not None:
            raise self.error(s, f"`{name}` is already a variable: give the Alt its own name")
        if call.keywords or not call.args:
            raise self.error(call, "ecsp.Alt(guard, ...): read ends, ecsp.Skip() and ecsp.Timeout(seconds)")
        guards: List[Tuple[str, Any]] = []
        for g in call.args:
            if isinstance(g, ast.Name):
                port = self.lookup(g.id)
                if port is not None and port.role == "port":
                    if port.t.direction != "in":
                        raise self.error(g, f"`{g.id}` is a write end: output guards are not available on a core yet")
                    guards.append(("read", port))
                    continue
            if isinstance(g, ast.Tuple):
                raise self.error(g, "output guards ((end, value)) are not available on a core yet")
            if isinstance(g, ast.Call):
                ok, o = self.obj(g.func)
                if ok and o is _ecsp_attr("Skip"):
                    guards.append(("skip", None))
                    continue
                if ok and o is _ecsp_attr("Timeout"):
                    if len(g.args) != 1 or g.keywords:
                        raise self.error(g, "ecsp.Timeout(seconds)")
                    sec = self.expr(g.args[0])
                    if sec.arr is not None or sec.t is None or sec.t.kind == "bool":
                        raise self.error(g, "a timeout is a number of seconds")
                    if isinstance(sec.const, (int, float)) and not isinstance(sec.const, bool):
                        if sec.const < 0:
                            raise self.error(g, "a timeout is >= 0 seconds")
                        us = int(round(sec.const * 1e6))
                        guards.append(("timeout", f"ecsp_us(UINT64_C({us}))"))
                    else:
                        t = self.temp("us")
                        self.decls.append(f"uint64_t {t} = 0;")
                        self.emit(f"{t} = (uint64_t)({self.convert(sec, T.f64, g, '')} * 1e6);")
                        guards.append(("timeout", f"ecsp_us({t})"))
                    continue
            raise self.error(g, "an Alt's guards on a core are its read ends, ecsp.Skip() and ecsp.Timeout(seconds)")
        v = Var(name, self.cident(name), None, "alt", s.lineno)
        v.alt = AltInfo(guards, s.lineno)
        self.vars[name] = v

    def select(self, value_name: Optional[str], choice_name: str, call: ast.Call, s: ast.stmt) -> None:
        assert isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
        alt = self.lookup(call.func.value.id)
        assert alt is not None and alt.alt is not None
        when: Optional[List[ast.expr]] = None
        for kw in call.keywords:
            if kw.arg != "when" or not isinstance(kw.value, (ast.List, ast.Tuple)):
                raise self.error(call, "select(when=[...]): one pre-condition per guard, written as a list")
            when = list(kw.value.elts)
        if call.args:
            raise self.error(call, "select() takes only when=[...]")
        guards = alt.alt.guards
        if when is not None and len(when) != len(guards):
            raise self.error(call, f"when has {len(when)} pre-conditions for {len(guards)} guards: give one per guard")
        # The choice.
        choice = self.lookup(choice_name)
        if choice is None:
            choice = self.declare(choice_name, None, s)
            choice.role = "choice"
            choice.alt = alt.alt
        elif choice.role != "choice" or choice.alt is not alt.alt:
            raise self.error(s, f"`{choice_name}` is already {self.role_text(choice)}: name this choice anew")
        # The values read: one storage when every read guard carries one type.
        reads = [(i, g[1]) for i, g in enumerate(guards) if g[0] == "read"]
        storage: Dict[int, str] = {}
        if value_name is not None:
            types = {repr(p.t.msg) for _, p in reads}
            existing = self.lookup(value_name)
            if len(types) == 1:
                m = reads[0][1].t.msg
                var = self.bind(value_name, m, s)
                for i, _ in reads:
                    storage[i] = var.c
            else:
                if existing is not None and existing.role != "choice-value":
                    raise self.error(s, f"`{value_name}` is already a variable: name the value anew")
                if existing is None:
                    existing = Var(value_name, self.cident(value_name), None, "choice-value", s.lineno)
                    existing.alt = alt.alt
                    self.vars[value_name] = existing
                for i, p in reads:
                    if i not in existing.per_guard:
                        sub = Var(value_name, self.cident(f"{value_name}_{p.name}"), p.t.msg, "local", s.lineno)
                        m = p.t.msg
                        self.decls.append(
                            f"{m.elem.ctype} {sub.c}[{m.n}];" if isinstance(m, ArrayType) else f"{m.ctype} {sub.c} = 0;"
                        )
                        existing.per_guard[i] = sub
                    storage[i] = existing.per_guard[i].c
        for i, p in reads:
            if i not in storage:
                t = self.temp("alt")
                m = p.t.msg
                self.decls.append(f"{m.elem.ctype} {t}[{m.n}];" if isinstance(m, ArrayType) else f"{m.ctype} {t} = 0;")
                storage[i] = t
        parts = []
        for i, (kind, x) in enumerate(guards):
            if kind == "read":
                ref = storage[i] if isinstance(x.t.msg, ArrayType) else "&" + storage[i]
                g = f"ecsp_on_read({x.c}, {ref})"
            elif kind == "skip":
                g = "ecsp_on_skip()"
            else:
                g = f"ecsp_on_timeout({x})"
            if when is not None:
                g = f"ecsp_when({self.condition(when[i])}, {g})"
            parts.append(g)
        macro = "ECSP_PRI_SELECT" if call.func.attr == "pri_select" else "ECSP_SELECT"
        self.emit(f"{choice.c} = {macro}({', '.join(parts)});")
        for i, p in reads:
            # A read guard on a closed, drained channel: ChannelClosed in Python.
            self.emit(f"if ({choice.c} == {i} && ecsp_closed({p.c}))")
            self.emit("    return;")

    def choice_branch(self, test: ast.expr) -> Optional[Dict[str, Var]]:
        """In ``if g is left:``, the value an Alt read through ``left``."""
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.Eq))):
            return None
        if not (isinstance(test.left, ast.Name) and isinstance(test.comparators[0], ast.Name)):
            return None
        g = self.lookup(test.left.id)
        if g is None or g.role != "choice" or g.alt is None:
            return None
        index = self.guard_index(g, test.comparators[0])
        out = {}
        for v in list(self.vars.values()):
            if v.role == "choice-value" and v.alt is g.alt and index in v.per_guard:
                out[v.name] = v.per_guard[index]
        return out
