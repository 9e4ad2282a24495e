"""Statements of a kernel: assignments (a local's type is its first
value's), control flow, loops over ranges, read ends and arrays, channel
operations, returns and failures."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

from .. import _ktypes as T
from .._ktypes import ArrayType, Scalar, Weak
from ..exceptions import KernelFailure
from .alt import Alts
from .model import Val, Var, _assigned_names, _c_string, _ecsp_attr, _fits, _strip


class Stmts(Alts):
    """Compiles the statements of one function."""

    def body(self, stmts: List[ast.stmt]) -> None:
        for i, s in enumerate(stmts):
            if (
                i == 0
                and isinstance(s, ast.Expr)
                and isinstance(s.value, ast.Constant)
                and isinstance(s.value.value, str)
            ):
                continue  # docstring
            self.following = stmts[i + 1 :]
            self.stmt(s)

    def stmt(self, s: ast.stmt) -> None:
        self.line = s.lineno
        m = getattr(self, "s_" + type(s).__name__, None)
        if m is None:
            raise self.error(s, self.unsupported_stmt(s))
        # Reads inside a statement's expressions happen first, in order, as
        # statements of their own (not in a loop's condition, where they
        # would happen once).
        if isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None and self.special_rhs(s.value) is None:
            self.hoist_reads(s.value)
        elif isinstance(s, ast.Expr) and not self.is_read(s.value):
            self.hoist_reads(s.value)
        elif isinstance(s, (ast.AugAssign, ast.Return)) and s.value is not None:
            self.hoist_reads(s.value)
        elif isinstance(s, ast.If):
            self.hoist_reads(s.test)
        m(s)

    def is_read(self, node: ast.AST) -> bool:
        op = self.port_op(node)
        return op is not None and op[1] == "read"

    def hoist_reads(self, node: ast.AST) -> None:
        if isinstance(node, (ast.BoolOp, ast.IfExp, ast.Lambda)):
            return  # reads there would happen conditionally: refused where met
        op = self.port_op(node)
        if op is not None and op[1] == "read" and op[0].t.direction == "in":
            port = op[0]
            if isinstance(node, ast.Call):
                self.nargs(node, 0)
                m = port.t.msg
                tmp = self.temp("r")
                if isinstance(m, ArrayType):
                    self.decls.append(f"{m.elem.ctype} {tmp}[{m.n}];")
                    self.hoisted[id(node)] = Val(tmp, None, arr=m)
                else:
                    self.decls.append(f"{m.ctype} {tmp} = 0;")
                    self.hoisted[id(node)] = Val(tmp, m)
                self.read_into(port, tmp, isinstance(m, ArrayType))
                return
        for child in ast.iter_child_nodes(node):
            self.hoist_reads(child)

    def unsupported_stmt(self, s: ast.stmt) -> str:
        name = type(s).__name__
        fixes = {
            "Try": "a core has no exceptions to catch: test the condition first, or raise ecsp.KernelFailure to fail",
            "With": "`with` has no meaning on a core",
            "FunctionDef": "define functions a kernel calls at module level, decorated with @ecsp.kernel_helper",
            "ClassDef": "classes cannot run on a core",
            "Import": "import at module level; a kernel may call math.sqrt and the like",
            "ImportFrom": "import at module level",
            "Global": "a kernel has no globals to change: module-level numbers are constants in a kernel",
            "Nonlocal": "a kernel has no enclosing variables to change",
            "Delete": "a core's variables live for the whole kernel",
            "AsyncFor": "kernels are sequential: use a plain for",
            "AsyncWith": "kernels are sequential",
        }
        return fixes.get(name, f"`{name}` statements are not in the kernel subset")

    def s_Pass(self, s: ast.Pass) -> None:
        pass

    def s_Expr(self, s: ast.Expr) -> None:
        v = s.value
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            return
        if isinstance(v, ast.Call):
            if self.channel_call(v):
                return
            val = self.expr(v)
            self.emit(f"(void){val.code};" if val.t is not None else f"{val.code};")
            return
        raise self.error(s, "this expression does nothing: assign it, or remove it")

    def channel_call(self, call: ast.Call) -> bool:
        """Channel operations as statements; True when ``call`` was one."""
        op = self.port_op(call)
        if op is not None:
            port, attr = op
            d = port.t.direction
            if attr == "write":
                if d != "out":
                    raise self.error(call, f"`{port.name}` is a read end (In[...]): it cannot be written")
                self.nargs(call, 1)
                self.write(port, call.args[0], call)
            elif attr == "read":
                if d != "in":
                    raise self.error(call, f"`{port.name}` is a write end (Out[...]): it cannot be read")
                self.nargs(call, 0)
                t = self.temp("discard")
                m = port.t.msg
                self.decls.append(f"{m.elem.ctype} {t}[{m.n}];" if isinstance(m, ArrayType) else f"{m.ctype} {t} = 0;")
                self.read_into(port, t, isinstance(m, ArrayType))
            elif attr == "close":
                self.nargs(call, 0)
                self.close(port, call)
            elif attr == "poison":
                self.nargs(call, 0)
                self.emit(f"ecsp_poison({port.c});")
            else:
                raise self.error(
                    call, f"a kernel's channel end has read, write, close and poison (and for v in {port.name})"
                )
            return True
        f = call.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            b = self.lookup(f.value.id)
            if b is not None and b.role == "barrier":
                if f.attr != "sync":
                    raise self.error(call, f"a barrier has sync(): {f.value.id}.sync() waits for every process in it")
                self.nargs(call, 0)
                self.emit(f"ecsp_sync({b.c});")
                return True
        ok, target = self.obj(call.func)
        if ok and target is _ecsp_attr("close"):
            for a in call.args:
                self.close(self.port_arg(a), call)
            return True
        if ok and target is _ecsp_attr("poison"):
            for a in call.args:
                self.emit(f"ecsp_poison({self.port_arg(a).c});")
            return True
        return False

    def port_arg(self, node: ast.AST) -> Var:
        if isinstance(node, ast.Name):
            v = self.lookup(node.id)
            if v is not None and v.role == "port":
                return v
        raise self.error(node, "this takes the kernel's channel ends (its In[...] and Out[...] parameters)")

    def close(self, port: Var, node: ast.AST) -> None:
        if port.t.direction != "out":
            raise self.error(
                node,
                f"`{port.name}` is a read end: a kernel closes only its write ends "
                "(its read ends retire when it ends; poison stops a writer)",
            )
        self.emit(f"ecsp_close({port.c});")

    def nargs(self, call: ast.Call, n: int) -> None:
        if len(call.args) != n or call.keywords:
            raise self.error(call, f"takes {n} positional argument{'s' if n != 1 else ''}")

    def write(self, port: Var, node: ast.expr, call: ast.AST) -> None:
        m = port.t.msg
        if isinstance(m, ArrayType):
            v = self.expr(node)
            if v.arr is None:
                raise self.error(node, f"`{port.name}` carries {m!r}: write an array of {m!r} (ecsp.array({m.elem.name}, {m.n}))")
            if v.arr != m:
                raise self.error(node, f"`{port.name}` carries {m!r}, this array is {v.arr!r}")
            self.emit(f"ecsp_write({port.c}, {v.code});")
            return
        v = self.expr(node)
        if v.arr is not None:
            raise self.error(node, f"`{port.name}` carries one {m.name}, this is an array")
        code = self.convert(v, m, node, f"`{port.name}` carries {m.name}")
        if isinstance(node, ast.Name) and v.t is m:
            self.emit(f"ecsp_write({port.c}, &{code});")
        else:
            self.emit(f"{{ {m.ctype} ecsp_v = {_strip(code)}; ecsp_write({port.c}, &ecsp_v); }}")

    def read_into(self, port: Var, target: str, is_array: bool) -> None:
        # A read of a closed channel ends the kernel, as ChannelClosed ends a
        # Python process (its write ends close).
        ref = target if is_array else "&" + target
        self.emit(f"if (!ecsp_read({port.c}, {ref}))")
        self.emit("    return;")

    def s_Assign(self, s: ast.Assign) -> None:
        if len(s.targets) != 1:
            raise self.error(s, "one target per assignment: a = b = 0 is two assignments on a core")
        self.assign(s.targets[0], s.value, s)

    def s_AnnAssign(self, s: ast.AnnAssign) -> None:
        if not isinstance(s.target, ast.Name):
            raise self.error(s, "annotate plain names only")
        t = self.annotation(s.annotation, f"`{s.target.id}`")
        if not isinstance(t, (Scalar, ArrayType)) or t is T.u8:
            raise self.error(s, f"a local is a scalar (int, float, bool, i32, u32, i64, f32, f64) or an array (f32[64]), not {t!r}")
        existing = self.lookup(s.target.id)
        if existing is not None:
            if existing.t is not t and existing.t != t:
                raise self.error(s, f"`{s.target.id}` is already {existing.t!r} (line {existing.line + self.src.offset})")
        else:
            self.declare(s.target.id, t, s)
        if s.value is not None:
            self.assign(s.target, s.value, s)
        elif isinstance(t, ArrayType):
            self.emit(f"__builtin_memset({self.vars[s.target.id].c}, 0, sizeof {self.vars[s.target.id].c});")

    def assign(self, target: ast.expr, value: ast.expr, s: ast.stmt) -> None:
        if isinstance(target, ast.Tuple):
            self.assign_tuple(target, value, s)
            return
        if isinstance(target, ast.Name):
            self.assign_name(target.id, value, s)
            return
        if isinstance(target, ast.Subscript):
            self.assign_item(target, value, s)
            return
        raise self.error(target, "assign to a name, an array element (a[i]) or a whole array (a[:])")

    def special_rhs(self, value: ast.expr) -> Optional[str]:
        """What kind of right-hand side needs its own statement form."""
        if self.is_read(value):
            return "read"
        if isinstance(value, ast.Call):
            f = value.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                v = self.lookup(f.value.id)
                if v is not None and v.role == "alt" and f.attr in ("select", "pri_select", "fair_select"):
                    return "select"
            ok, o = self.obj(f)
            if ok and o is T.array:
                return "array"
            if ok and o is _ecsp_attr("Alt"):
                return "alt"
        return None

    def assign_name(self, name: str, value: ast.expr, s: ast.stmt) -> None:
        kind = self.special_rhs(value)
        existing = self.lookup(name)
        if existing is not None and existing.role in ("port", "alt", "choice", "choice-value"):
            raise self.error(s, f"`{name}` is {self.role_text(existing)}: give the new value another name")
        if kind == "read":
            op = self.port_op(value)
            assert op is not None and isinstance(value, ast.Call)
            port = op[0]
            if port.t.direction != "in":
                raise self.error(value, f"`{port.name}` is a write end (Out[...]): it cannot be read")
            self.nargs(value, 0)
            m = port.t.msg
            var = self.bind(name, m, s)
            self.read_into(port, var.c, isinstance(m, ArrayType))
            return
        if kind == "array":
            assert isinstance(value, ast.Call)
            t = self.array_type(value)
            var = self.bind(name, t, s)
            if not self.overwritten_next(name, t.n):
                self.emit(f"__builtin_memset({var.c}, 0, sizeof {var.c});")
            return
        if kind == "alt":
            assert isinstance(value, ast.Call)
            self.define_alt(name, value, s)
            return
        if kind == "select":
            assert isinstance(value, ast.Call)
            self.select(None, name, value, s)
            return
        v = self.expr(value)
        if v.arr is not None:
            raise self.error(
                s,
                f"arrays are not rebound on a core (two names would share one array in Python): "
                f"copy it with {name}[:] = {ast.unparse(value)}, after {name} = ecsp.array({v.arr.elem.name}, {v.arr.n})",
            )
        self.assign_value(name, v, value, s)

    def assign_value(self, name: str, v: Val, value: ast.AST, s: ast.stmt) -> None:
        """``name = v`` for a scalar value ``v``."""
        existing = self.lookup(name)
        if existing is not None and existing.role not in ("local", "param"):
            raise self.error(s, f"`{name}` is {self.role_text(existing)}: give the new value another name")
        if v.t is None:
            raise self.error(value, "this has no value (a helper that returns nothing)")
        if existing is None:
            t = T.concrete(v.t, v.const if not isinstance(v.const, bool) else None)
            if isinstance(v.const, int) and not isinstance(v.const, bool) and isinstance(v.t, Weak) and not _fits(v.const, t):
                raise self.error(value, f"{v.const} does not fit i64")
            var = self.declare(name, t, s)
        else:
            var = existing
            if not isinstance(var.t, Scalar):
                raise self.error(s, f"`{name}` is an array ({var.t!r}): assign its elements, or all of it with {name}[:] = ...")
        code = self.convert(v, var.t, value, f"`{name}` is {var.t.name} (from line {var.line + self.src.offset})")
        self.emit(f"{var.c} = {_strip(code)};")

    def overwritten_next(self, name: str, n: int) -> bool:
        """Whether the statements after ``name = ecsp.array(T, n)`` write
        every element before anything reads the array or leaves the block:
        then its zeros would never be seen, and are not written. Counted:
        ``name[k] = v`` with ``k`` known, and loops ``for i in range(a, b)``
        that never break and write ``name[i + c] = v`` at their top level
        before any statement of theirs reads the array or continues
        (``v`` not of ``name``); statements that do not name the array and
        cannot leave the block are passed over."""
        written: Set[int] = set()
        for st in self.following:
            if len(written) >= n:
                break
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and not _names(st.value, name):
                k = self.element_of(st.targets[0], name, None)
                if k is not None:
                    written.add(k)
                    continue
            if isinstance(st, ast.For):
                span = self.loop_writes(st, name)
                if span is not None:
                    written.update(range(span[0], span[1]))
                    continue
            if _names(st, name) or _leaves(st):
                return False
        return written == set(range(n))

    def element_of(self, target: ast.AST, name: str, var: Optional[str]) -> Optional[int]:
        """The index ``target`` (``name[k]``, or ``name[var + k]`` when
        ``var`` is given) writes: ``k``, when the compiler knows it."""
        if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == name):
            return None
        sl = target.slice
        if var is None:
            return self.const_int(sl)
        if isinstance(sl, ast.Name) and sl.id == var:
            return 0
        if isinstance(sl, ast.BinOp) and isinstance(sl.op, ast.Add):
            if isinstance(sl.left, ast.Name) and sl.left.id == var:
                return self.const_int(sl.right)
            if isinstance(sl.right, ast.Name) and sl.right.id == var:
                return self.const_int(sl.left)
        return None

    def loop_writes(self, loop: ast.For, name: str) -> Optional[Tuple[int, int]]:
        """The elements ``[lo, hi)`` a loop over a known range surely writes
        (see ``overwritten_next``)."""
        it = loop.iter
        if loop.orelse or not isinstance(loop.target, ast.Name) or not isinstance(it, ast.Call) or it.keywords:
            return None
        if self.obj(it.func) != (True, range) or not 1 <= len(it.args) <= 3:
            return None
        args = [self.const_int(a) for a in it.args]
        lo, hi, step = (0, args[0], 1) if len(args) == 1 else (args[0], args[1], args[2] if len(args) == 3 else 1)
        if lo is None or hi is None or step != 1 or lo >= hi:
            return None
        if any(_leaves(st, own_loop=True) for st in loop.body):
            return None
        for st in loop.body:
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and not _names(st.value, name):
                c = self.element_of(st.targets[0], name, loop.target.id)
                if c is not None:
                    return lo + c, hi + c
            if _names(st, name) or any(isinstance(x, ast.Continue) for x in ast.walk(st)):
                return None
        return None

    def const_int(self, node: ast.AST) -> Optional[int]:
        """An integer the compiler knows without emitting anything."""
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, (ast.Name, ast.Attribute)):
            ok, o = self.obj(node)
            return o if ok and type(o) is int else None
        if isinstance(node, ast.Call) and len(node.args) == 1 and self.obj(node.func) == (True, len):
            a = node.args[0]
            v = self.lookup(a.id) if isinstance(a, ast.Name) else None
            return v.t.n if v is not None and isinstance(v.t, ArrayType) else None
        return None

    def array_type(self, call: ast.Call) -> ArrayType:
        if len(call.args) != 2 or call.keywords:
            raise self.error(
                call,
                "ecsp.array(dtype, n): an element type (f32, i32, ...) and a length; arrays are one-dimensional "
                "on a core (ecsp.array(f32, M * N), indexed a[i * N + j])",
            )
        ok, dt = self.obj(call.args[0])
        if not ok or not isinstance(dt, Scalar) or dt.kind == "bool":
            raise self.error(call.args[0], "the element type is one of i32, u32, i64, f32, f64, u8 (from ecsp)")
        n = self.expr(call.args[1])
        if not isinstance(n.const, int) or isinstance(n.const, bool) or n.const < 1:
            raise self.error(
                call.args[1],
                "an array's length is a number the compiler knows (a literal, a module-level constant, len(...)): "
                "lists cannot grow on a core",
            )
        return ArrayType(dt, n.const)

    def assign_tuple(self, target: ast.Tuple, value: ast.expr, s: ast.stmt) -> None:
        if self.special_rhs(value) == "select":
            names = target.elts
            if len(names) != 2 or not all(isinstance(n, ast.Name) for n in names):
                raise self.error(s, "g, v = alt.select(): two names, the guard chosen and the value read")
            assert isinstance(value, ast.Call) and isinstance(names[0], ast.Name) and isinstance(names[1], ast.Name)
            self.select(names[1].id, names[0].id, value, s)
            return
        if not isinstance(value, ast.Tuple) or len(value.elts) != len(target.elts):
            raise self.error(s, "unpack a tuple of as many values as names: a, b = b, a")
        temps = []
        for t_node, v_node in zip(target.elts, value.elts):
            if not isinstance(t_node, ast.Name):
                raise self.error(t_node, "unpack into names: a, b = b, a")
            v = self.expr(v_node)
            if v.arr is not None or v.t is None:
                raise self.error(v_node, "swap arrays element by element: arrays are not rebound on a core")
            if isinstance(v.t, Weak):
                temps.append((t_node.id, v, v_node))
                continue
            tmp = self.temp()
            self.decls.append(f"{v.t.ctype} {tmp} = 0;")
            self.emit(f"{tmp} = {_strip(self.convert(v, v.t, v_node, ''))};")
            temps.append((t_node.id, Val(tmp, v.t), v_node))
        for name, v, v_node in temps:
            self.assign_value(name, v, v_node, s)

    def assign_item(self, target: ast.Subscript, value: ast.expr, s: ast.stmt) -> None:
        base = self.expr(target.value)
        if base.arr is None:
            raise self.error(target, "only arrays have elements to assign")
        arr = base.arr
        sl = target.slice
        if isinstance(sl, ast.Slice):
            if sl.lower is not None or sl.upper is not None or sl.step is not None:
                raise self.error(target, "assign a whole array with a[:] = ...; elements one by one in a loop")
            v = self.expr(value)
            if v.arr is not None:
                if v.arr != arr:
                    raise self.error(s, f"copying {v.arr!r} into {arr!r}: the arrays must match")
                self.emit(f"__builtin_memcpy({base.code}, {v.code}, sizeof({arr.elem.ctype}) * {arr.n});")
                return
            code = self.convert(v, arr.elem, value, f"the array holds {arr.elem.name}")
            i = self.temp("i")
            self.decls.append(f"int32_t {i} = 0;")
            self.emit(f"for ({i} = 0; {i} < {arr.n}; {i}++)")
            self.emit(f"    {base.code}[{i}] = {code};")
            return
        idx = self.index(ast.unparse(target.value), arr, sl, target)
        v = self.expr(value)
        if v.arr is not None:
            raise self.error(value, "an array element holds one value")
        code = self.convert(v, arr.elem, value, f"the array holds {arr.elem.name}")
        self.emit(f"{base.code}[{idx}] = {_strip(code)};")

    def s_AugAssign(self, s: ast.AugAssign) -> None:
        target = s.target
        if isinstance(target, ast.Subscript):
            base = self.expr(target.value)
            if base.arr is None or isinstance(target.slice, ast.Slice):
                raise self.error(target, "augmented assignment to an array element: a[i] += v")
            idx = self.index(ast.unparse(target.value), base.arr, target.slice, target)
            if not idx.isidentifier() and not idx.isdigit():
                k = self.temp("k")
                self.decls.append(f"int32_t {k} = 0;")
                self.emit(f"{k} = {idx};")
                idx = k
            elem = Val(f"{base.code}[{idx}]", base.arr.elem)
            result = self.binop(s.op, elem, self.expr(s.value), s)
            code = self.convert(result, base.arr.elem, s, f"the array holds {base.arr.elem.name}")
            self.emit(f"{base.code}[{idx}] = {_strip(code)};")
            return
        if not isinstance(target, ast.Name):
            raise self.error(s, "augmented assignment to a name or an array element")
        var = self.lookup(target.id)
        if var is None:
            raise self.error(s, f"`{target.id}` has no value yet: assign it first")
        if not isinstance(var.t, Scalar) or var.role not in ("local", "param"):
            raise self.error(s, f"`{target.id}` is {self.role_text(var) if var.role != 'local' else repr(var.t)}: not a number")
        result = self.binop(s.op, Val(var.c, var.t), self.expr(s.value), s)
        code = self.convert(result, var.t, s, f"`{target.id}` is {var.t.name} (from line {var.line + self.src.offset})")
        self.emit(f"{var.c} = {_strip(code)};")

    def s_If(self, s: ast.If) -> None:
        override = self.choice_branch(s.test)
        cond = self.condition(s.test)
        self.emit(f"if ({cond}) {{")
        self.block(s.body, override)
        while s.orelse:
            if len(s.orelse) == 1 and isinstance(s.orelse[0], ast.If):
                s = s.orelse[0]
                self.line = s.lineno
                override = self.choice_branch(s.test)
                self.emit(f"}} else if ({self.condition(s.test)}) {{")
                self.block(s.body, override)
            else:
                self.emit("} else {")
                self.block(s.orelse, None)
                break
        self.emit("}")

    def block(self, stmts: List[ast.stmt], override: Optional[Dict[str, Var]]) -> None:
        self.depth += 1
        if override:
            self.overrides.append(override)
        try:
            for i, st in enumerate(stmts):
                self.following = stmts[i + 1 :]
                self.stmt(st)
        finally:
            if override:
                self.overrides.pop()
            self.depth -= 1

    def s_While(self, s: ast.While) -> None:
        if s.orelse:
            raise self.error(s, "while ... else is not in the kernel subset: use a flag")
        if isinstance(s.test, ast.Constant) and s.test.value is True:
            self.emit("for (;;) {")
        else:
            self.emit(f"while ({self.condition(s.test)}) {{")
        self.loops += 1
        self.block(s.body, None)
        self.loops -= 1
        self.emit("}")

    def s_Break(self, s: ast.Break) -> None:
        self.emit("break;")

    def s_Continue(self, s: ast.Continue) -> None:
        self.emit("continue;")

    def s_For(self, s: ast.For) -> None:
        if s.orelse:
            raise self.error(s, "for ... else is not in the kernel subset: use a flag")
        if not isinstance(s.target, ast.Name):
            raise self.error(s.target, "a for loop's target is one name")
        name = s.target.id
        it = s.iter
        if isinstance(it, ast.Call):
            ok, o = self.obj(it.func)
            if ok and o is range:
                self.for_range(name, it, s)
                return
            if ok and o in (enumerate, zip):
                raise self.error(it, f"{o.__name__}() is not in the kernel subset: loop over range(n) and index")
        port = self.lookup(it.id) if isinstance(it, ast.Name) else None
        if port is not None and port.role == "port":
            if port.t.direction != "in":
                raise self.error(it, f"`{port.name}` is a write end: only read ends can be iterated")
            m = port.t.msg
            var = self.bind(name, m, s)
            ref = var.c if isinstance(m, ArrayType) else "&" + var.c
            self.emit(f"while (ecsp_read({port.c}, {ref})) {{")
            self.loops += 1
            self.block(s.body, None)
            self.loops -= 1
            self.emit("}")
            return
        v = self.expr(it)
        if v.arr is not None:
            var = self.bind(name, v.arr.elem, s)
            i = self.temp("i")
            self.decls.append(f"int32_t {i} = 0;")
            self.emit(f"for ({i} = 0; {i} < {v.arr.n}; {i}++) {{")
            self.emit(f"    {var.c} = {v.code}[{i}];")
            self.loops += 1
            self.block(s.body, None)
            self.loops -= 1
            self.emit("}")
            return
        raise self.error(it, "a kernel loops over range(...), a read end (until it closes), or an array")

    def for_range(self, name: str, call: ast.Call, s: ast.For) -> None:
        if call.keywords or not 1 <= len(call.args) <= 3:
            raise self.error(call, "range(stop), range(start, stop) or range(start, stop, step)")
        args = [self.expr(a) for a in call.args]
        for a, node in zip(args, call.args):
            if a.arr is not None or a.t is None or (isinstance(a.t, Scalar) and a.t.kind != "int") or (
                isinstance(a.t, Weak) and a.t.kind != "int"
            ):
                raise self.error(node, "range() takes integers")
        if len(args) == 1:
            start, stop, step = Val("0", T.WEAK_INT, 0), args[0], Val("1", T.WEAK_INT, 1)
        else:
            start, stop = args[0], args[1]
            step = args[2] if len(args) == 3 else Val("1", T.WEAK_INT, 1)
        if not isinstance(step.const, int) or step.const == 0:
            raise self.error(call, "range()'s step is a nonzero number the compiler knows (a literal or a constant)")
        t = T.concrete(T.promote(start.t, stop.t))  # type: ignore[arg-type]
        var = self.bind(name, t, s)
        assigned = _assigned_names(s.body)
        if name in assigned:
            raise self.error(
                s,
                f"the loop assigns its own index `{name}`: in Python that does not change the next iteration; "
                "use another name inside the loop",
            )
        stop_code = self.convert(stop, t, call, "")
        simple_stop = stop.const is not None or (
            isinstance(call.args[-1 if len(call.args) == 1 else 1], ast.Name)
            and call.args[-1 if len(call.args) == 1 else 1].id not in assigned  # type: ignore[attr-defined]
        )
        if not simple_stop:
            end = self.temp("end")
            self.decls.append(f"{t.ctype} {end} = 0;")
            self.emit(f"{end} = {stop_code};")
            stop_code = end
        cmp = "<" if step.const > 0 else ">"
        if step.const in (1, -1):
            inc = f"{var.c}{'++' if step.const == 1 else '--'}"
        else:
            inc = f"{var.c} {'+' if step.const > 0 else '-'}= {abs(step.const)}"
        self.emit(f"for ({var.c} = {_strip(self.convert(start, t, call, ''))}; {var.c} {cmp} {stop_code}; {inc}) {{")
        saved = self.ranges.pop(name, None)
        if isinstance(start.const, int) and isinstance(stop.const, int):
            lo, hi = (start.const, stop.const - 1) if step.const > 0 else (stop.const + 1, start.const)
            if lo <= hi:
                self.ranges[name] = (lo, hi)
        self.loops += 1
        self.block(s.body, None)
        self.loops -= 1
        self.ranges.pop(name, None)
        if saved is not None:
            self.ranges[name] = saved
        self.emit("}")

    def s_Return(self, s: ast.Return) -> None:
        if self.is_helper:
            if s.value is None:
                if self.ret is not None:
                    raise self.error(s, f"the helper returns {self.ret.name}: return a value")
                self.emit("return;")
                return
            if self.ret is None:
                raise self.error(s, "the helper is annotated to return nothing (add -> f32 or the like)")
            v = self.expr(s.value)
            self.emit(f"return {_strip(self.convert(v, self.ret, s.value, f'the helper returns {self.ret.name}'))};")
            return
        if s.value is not None:
            v = self.expr(s.value)
            if v.arr is not None or v.t is None:
                raise self.error(s.value, "a kernel's result is one number (send arrays over a channel)")
            t = T.concrete(v.t)
            if t.kind == "float":
                self.emit(f"ecsp_result_float({self.convert(v, T.f64, s.value, '')});")
            else:
                self.emit(f"ecsp_result_int({self.convert(v, T.i64, s.value, '')});")
        self.emit("return;")

    def s_Raise(self, s: ast.Raise) -> None:
        exc = s.exc
        if isinstance(exc, ast.Call):
            ok, o = self.obj(exc.func)
            if ok and o is KernelFailure:
                if len(exc.args) != 1 or exc.keywords:
                    raise self.error(s, 'ecsp.KernelFailure("message"): one message')
                self.fail(exc.args[0], s)
                return
        raise self.error(s, 'a kernel fails with raise ecsp.KernelFailure("message"); other exceptions have no meaning on a core')

    def fail(self, msg: ast.expr, s: ast.stmt) -> None:
        line = s.lineno + self.src.offset
        if isinstance(msg, ast.Constant) and isinstance(msg.value, str):
            self.emit(f"ecsp_fail({_c_string(f'{msg.value} ({self.src.file}:{line})')});")
            return
        if isinstance(msg, ast.JoinedStr):
            parts = msg.values
            if (
                len(parts) == 2
                and isinstance(parts[0], ast.Constant)
                and isinstance(parts[1], ast.FormattedValue)
                and parts[1].format_spec is None
            ):
                v = self.expr(parts[1].value)
                if isinstance(v.t, (Scalar, Weak)) and v.t.kind in ("int", "bool") and v.arr is None:
                    text = f"{str(parts[0].value).rstrip()} ({self.src.file}:{line}):"
                    self.emit(f"ecsp_fail_value({_c_string(text)}, {self.convert(v, T.i64, msg, '')});")
                    return
        raise self.error(
            msg,
            'a failure message is a string literal, or an f-string of text then one integer: f"bad count {n}"',
        )

    def s_Assert(self, s: ast.Assert) -> None:
        cond = self.condition(s.test)
        line = s.lineno + self.src.offset
        text = "assertion failed"
        if s.msg is not None:
            if not (isinstance(s.msg, ast.Constant) and isinstance(s.msg.value, str)):
                raise self.error(s.msg, "an assert's message is a string literal on a core")
            text += ": " + s.msg.value
        self.emit(f"if (!({cond}))")
        self.emit(f"    ecsp_fail({_c_string(f'{text} ({self.src.file}:{line})')});")


def _names(node: ast.AST, name: str) -> bool:
    """Whether ``node`` mentions ``name``."""
    return any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(node))


def _leaves(st: ast.stmt, own_loop: bool = False) -> bool:
    """Whether ``st`` may leave the block it is in: it returns, raises, or
    (unless inside a loop of its own) breaks or continues. ``own_loop``:
    ``st`` is in the body of the loop asked about, whose breaks count."""

    def walk(node: ast.AST, in_loop: bool) -> bool:
        if isinstance(node, (ast.Return, ast.Raise)):
            return True
        if isinstance(node, ast.Break) and not in_loop:
            return True
        if isinstance(node, ast.Continue) and not in_loop and not own_loop:
            return True
        inner = in_loop or isinstance(node, (ast.For, ast.While))
        return any(walk(c, inner) for c in ast.iter_child_nodes(node))

    return walk(st, False)
