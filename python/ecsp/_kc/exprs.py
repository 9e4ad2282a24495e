"""Expressions of a kernel: each to its C and its type, by the promotion
rules of ``_ktypes``; conversions are spelled out only where C would
convert otherwise."""

from __future__ import annotations

import ast
import inspect
from typing import Any, Optional, Tuple

from .. import _ktypes as T
from .._ktypes import ArrayType, Scalar, Weak
from .model import (
    _BINOPS,
    _CMPOPS,
    _MATH_1,
    _MATH_INT,
    KernelHelper,
    Val,
    Var,
    _c_int,
    _ecsp_attr,
    _fits,
    _float_literal,
    _int_literal,
    _strip,
    _widening,
)
from .prelude import MATH_ERRORS, NEEDS_MATH
from .scope import Scope


class Exprs(Scope):
    """Compiles expressions (and conversions) of one function."""

    def condition(self, node: ast.expr) -> str:
        v = self.expr(node)
        if v.arr is not None or v.t is None:
            raise self.error(node, "a condition is a number or a bool, not an array")
        if v.t is T.BOOL:
            return _strip(v.code)
        return f"{v.code} != 0"

    def expr(self, node: ast.expr) -> Val:
        m = getattr(self, "e_" + type(node).__name__, None)
        if m is None:
            raise self.error(node, self.unsupported_expr(node))
        return m(node)  # type: ignore[no-any-return]

    def unsupported_expr(self, node: ast.expr) -> str:
        name = type(node).__name__
        fixes = {
            "List": "lists cannot grow on a core: use ecsp.array(f32, N)",
            "ListComp": "lists cannot grow on a core: fill an ecsp.array(f32, N) in a loop",
            "Dict": "dicts cannot live on a core",
            "Set": "sets cannot live on a core",
            "Lambda": "define a helper with @ecsp.kernel_helper",
            "JoinedStr": "a core has no strings (except a KernelFailure's message)",
            "Tuple": "tuples only in a, b = b, a",
            "GeneratorExp": "generators cannot run on a core: use a loop",
            "Await": "kernels are sequential",
            "Yield": "kernels are not generators",
            "Starred": "no * unpacking on a core",
            "NamedExpr": "assign in a statement of its own",
        }
        return fixes.get(name, f"`{name}` expressions are not in the kernel subset")

    def e_Constant(self, node: ast.Constant) -> Val:
        v = node.value
        if isinstance(v, bool):
            return Val("1" if v else "0", T.BOOL, v)
        if isinstance(v, int):
            return Val(str(v), T.WEAK_INT, v)
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                raise self.error(node, "a number on a core is finite")
            return Val(repr(v), T.WEAK_FLOAT, v)
        if isinstance(v, str):
            raise self.error(node, "a core has no strings (except a KernelFailure's message)")
        raise self.error(node, f"{v!r} cannot be a value on a core")

    def e_Name(self, node: ast.Name) -> Val:
        var = self.lookup(node.id)
        if var is not None:
            if var.role in ("port",):
                raise self.error(node, f"`{node.id}` is a channel end: use {node.id}.read() or {node.id}.write(v)")
            if var.role == "barrier":
                raise self.error(node, f"`{node.id}` is a barrier: {node.id}.sync() waits at it")
            if var.role in ("alt", "choice"):
                raise self.error(node, f"`{node.id}` is {self.role_text(var)}: compare the choice with `is` (g is left)")
            if var.role == "choice-value":
                raise self.error(
                    node,
                    f"`{node.id}` holds what the Alt read, whose type depends on the guard chosen: "
                    f"use it inside `if <choice> is <read end>:`",
                )
            if isinstance(var.t, ArrayType):
                return Val(var.c, None, arr=var.t)
            return Val(var.c, var.t)
        ok, o = self.obj(node)
        if ok:
            return self.constant(node, o)
        raise self.error(node, f"unknown name `{node.id}`: a kernel uses its parameters, its locals and module-level constants")

    def constant(self, node: ast.AST, o: Any) -> Val:
        if isinstance(o, bool):
            return Val("1" if o else "0", T.BOOL, o)
        if isinstance(o, int):
            return Val(str(o), T.WEAK_INT, o)
        if isinstance(o, float):
            if o != o or o in (float("inf"), float("-inf")):
                raise self.error(node, "a number on a core is finite")
            return Val(repr(o), T.WEAK_FLOAT, o)
        raise self.error(
            node,
            f"{ast.unparse(node)} is {type(o).__name__}, not a number: a kernel sees module-level numbers as constants, "
            "nothing else of the module",
        )

    def e_Attribute(self, node: ast.Attribute) -> Val:
        ok, o = self.obj(node)
        if ok:
            return self.constant(node, o)
        if isinstance(node.value, ast.Name):
            var = self.lookup(node.value.id)
            if var is not None and var.role == "port":
                raise self.error(node, "a kernel's channel end has read(), write(v), close() and poison()")
        raise self.error(node, "attributes are not in the kernel subset (except module constants like math.pi)")

    def e_Subscript(self, node: ast.Subscript) -> Val:
        base = self.expr(node.value)
        if base.arr is None:
            if isinstance(node.value, ast.Subscript):
                raise self.error(node, "arrays are one-dimensional on a core: index a[i * N + j] of ecsp.array(T, M * N)")
            raise self.error(node, "only arrays can be indexed")
        if isinstance(node.slice, ast.Slice):
            raise self.error(node, "slices are not in the kernel subset (except a[:] = b to copy): index element by element")
        idx = self.index(ast.unparse(node.value), base.arr, node.slice, node)
        return Val(f"{base.code}[{idx}]", base.arr.elem)

    def index(self, name: str, arr: ArrayType, sl: ast.AST, node: ast.AST) -> str:
        i = self.expr(sl)  # type: ignore[arg-type]
        if i.arr is not None or i.t is None or i.t.kind != "int" and i.t is not T.BOOL:
            raise self.error(sl, "an index is an integer")
        if isinstance(i.const, int):
            k = i.const + arr.n if i.const < 0 else i.const
            if not 0 <= k < arr.n:
                raise self.error(node, f"index {i.const} is outside an array of {arr.n}")
            return str(k)
        r = self.interval(sl)
        if r is not None and 0 <= r[0] and r[1] < arr.n:
            return _strip(i.code)
        if not self.unit.checks:
            return _strip(i.code)
        self.unit.prelude.add("index")
        where = self.where(node, f"IndexError: {name} has {arr.n} elements, the index was")
        return f"ecsp_py_index({self.convert(i, T.i64, sl, '')}, {arr.n}, {where})"

    def interval(self, node: ast.AST) -> Optional[Tuple[int, int]]:
        """The values an index expression takes, when the compiler can tell."""
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value, node.value
        if isinstance(node, ast.Name):
            if node.id in self.ranges and self.lookup(node.id) is not None:
                return self.ranges[node.id]
            ok, o = self.obj(node)
            if ok and isinstance(o, int) and not isinstance(o, bool):
                return o, o
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.BitAnd)):
            c = self.interval(node.right)
            if c is not None and c[0] == c[1] and c[0] > 0:
                return (0, c[0] - 1) if isinstance(node.op, ast.Mod) else (0, c[0])
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            a, b = self.interval(node.left), self.interval(node.right)
            if a is None or b is None:
                return None
            if isinstance(node.op, ast.Add):
                return a[0] + b[0], a[1] + b[1]
            if isinstance(node.op, ast.Sub):
                return a[0] - b[1], a[1] - b[0]
            products = [x * y for x in a for y in b]
            return min(products), max(products)
        return None

    def e_BinOp(self, node: ast.BinOp) -> Val:
        return self.binop(node.op, self.expr(node.left), self.expr(node.right), node)

    def numeric(self, v: Val, node: ast.AST, what: str) -> T.Type:
        if v.arr is not None:
            raise self.error(node, f"{what} takes numbers, not arrays: loop over the elements")
        assert v.t is not None
        return v.t

    def binop(self, op: ast.operator, a: Val, b: Val, node: ast.AST) -> Val:
        ta, tb = self.numeric(a, node, "arithmetic"), self.numeric(b, node, "arithmetic")
        if isinstance(op, ast.Div):
            dt = T.true_div(ta, tb)
            if a.const is not None and b.const is not None and isinstance(dt, Weak):
                if b.const == 0:
                    raise self.error(node, "division by zero")
                return Val(repr(a.const / b.const), dt, a.const / b.const)
            ct = T.concrete(dt)
            ca, cb = self.operands(a, b, ct, node)
            if b.const is not None and b.const != 0:
                return Val(f"({ca} / {cb})", dt)
            self.unit.prelude.add(f"div_{ct.name}")
            return Val(f"ecsp_py_div_{ct.name}({ca}, {cb}, {self.where(node, 'ZeroDivisionError')})", dt)
        if isinstance(op, ast.Pow):
            return self.power(a, b, node)
        if isinstance(op, ast.MatMult):
            raise self.error(node, "@ is not in the kernel subset: write the loops")
        t: T.Type = T.promote(ta, tb)
        if isinstance(op, (ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)):
            if t.kind != "int":
                raise self.error(node, "bit operations take integers")
        if a.const is not None and b.const is not None and isinstance(t, Weak):
            folded = self.fold(op, a.const, b.const, node)
            if folded is not None:
                return Val(repr(folded), t, folded)
        ct = T.concrete(t)
        ca, cb = self.operands(a, b, ct, node)
        if isinstance(op, (ast.FloorDiv, ast.Mod)):
            which = "floordiv" if isinstance(op, ast.FloorDiv) else "mod"
            if ct is T.i32 or ct is T.i64 or ct is T.u32 or ct.kind == "float":
                key = f"{which}_{ct.name}"
                self.unit.prelude.add(key)
                if key in NEEDS_MATH:
                    self.unit.math = True
                return Val(f"ecsp_py_{which}_{ct.name}({ca}, {cb}, {self.where(node, 'ZeroDivisionError')})", t)
        sym = _BINOPS.get(type(op))
        if sym is None:
            raise self.error(node, f"`{type(op).__name__}` is not in the kernel subset")
        return Val(f"({ca} {sym} {cb})", t)

    def fold(self, op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
        try:
            if isinstance(op, ast.Add):
                return a + b
            if isinstance(op, ast.Sub):
                return a - b
            if isinstance(op, ast.Mult):
                return a * b
            if isinstance(op, ast.FloorDiv):
                return a // b
            if isinstance(op, ast.Mod):
                return a % b
            if isinstance(a, int) and isinstance(b, int):
                if isinstance(op, ast.BitAnd):
                    return a & b
                if isinstance(op, ast.BitOr):
                    return a | b
                if isinstance(op, ast.BitXor):
                    return a ^ b
                if isinstance(op, ast.LShift) and 0 <= b < 64:
                    return a << b
                if isinstance(op, ast.RShift) and 0 <= b < 64:
                    return a >> b
        except ZeroDivisionError:
            raise self.error(node, "division by zero") from None
        return None

    def power(self, a: Val, b: Val, node: ast.AST) -> Val:
        ta, tb = self.numeric(a, node, "**"), self.numeric(b, node, "**")
        if isinstance(b.const, int) and not isinstance(b.const, bool) and 0 <= b.const <= 8 and ta.kind != "bool":
            if b.const == 0:
                return Val("1", T.WEAK_INT, 1) if ta.kind == "int" else Val("1.0", T.WEAK_FLOAT, 1.0)
            if a.const is not None and isinstance(ta, Weak):
                v = a.const**b.const
                return Val(repr(v), ta, v)
            pt = T.concrete(ta)
            if a.code.isidentifier():
                base = a.code
            else:
                base = self.temp("p")
                self.decls.append(f"{pt.ctype} {base} = 0;")
                self.emit(f"{base} = {self.convert(a, pt, node, '')};")
            return Val("(" + " * ".join([base] * b.const) + ")", pt)
        t = T.promote(ta, tb)
        if t.kind != "float":
            raise self.error(node, "an integer ** is a power the compiler knows, 0 to 8 (x ** 2); for others use floats")
        ct = T.concrete(t)
        self.unit.math = True
        f = "powf" if ct is T.f32 else "pow"
        return Val(f"{f}({self.convert(a, ct, node, '')}, {self.convert(b, ct, node, '')})", t)

    def e_UnaryOp(self, node: ast.UnaryOp) -> Val:
        v = self.expr(node.operand)
        t = self.numeric(v, node, "this operator")
        if isinstance(node.op, ast.Not):
            return Val(f"(!({self.condition(node.operand)}))", T.BOOL)
        if isinstance(node.op, ast.USub):
            if v.const is not None and isinstance(t, Weak):
                return Val(repr(-v.const), t, -v.const)
            if t is T.BOOL:
                t = T.i32
            return Val(f"(-{v.code})", t)
        if isinstance(node.op, ast.UAdd):
            return v
        if isinstance(node.op, ast.Invert):
            if t.kind != "int" and t is not T.BOOL:
                raise self.error(node, "~ takes integers")
            if isinstance(v.const, int) and isinstance(t, Weak):
                return Val(repr(~v.const), t, ~v.const)
            return Val(f"(~{v.code})", T.i32 if t is T.BOOL else t)
        raise self.error(node, "this operator is not in the kernel subset")

    def e_BoolOp(self, node: ast.BoolOp) -> Val:
        parts = []
        for x in node.values:
            v = self.expr(x)
            if v.t is not T.BOOL:
                raise self.error(
                    x,
                    "`and` and `or` take bools on a core (Python's value-returning and/or has no type): compare explicitly (n != 0)",
                )
            parts.append(v.code)
        op = " && " if isinstance(node.op, ast.And) else " || "
        return Val("(" + op.join(parts) + ")", T.BOOL)

    def e_Compare(self, node: ast.Compare) -> Val:
        parts = []
        left_node = node.left
        if isinstance(left_node, ast.Name) and self.is_choice(left_node):
            if len(node.ops) != 1:
                raise self.error(node, "compare an Alt's choice with one read end at a time")
            return Val(self.choice_compare(left_node, node.ops[0], node.comparators[0]), T.BOOL)
        left = self.expr(left_node)
        for op, right_node in zip(node.ops, node.comparators):
            if isinstance(op, (ast.Is, ast.IsNot)) or (
                isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(left_node, ast.Name) and self.is_choice(left_node)
            ):
                parts.append(self.choice_compare(left_node, op, right_node))
                left_node = right_node
                continue
            if isinstance(op, (ast.In, ast.NotIn)):
                raise self.error(node, "`in` is not in the kernel subset: compare with == in a loop")
            right = self.expr(right_node)
            ta, tb = self.numeric(left, node, "comparison"), self.numeric(right, node, "comparison")
            t = T.promote(ta, tb)
            ct = T.concrete(t)
            if ta is T.BOOL and tb is T.BOOL:
                ct = T.BOOL
            ca, cb = self.operands(left, right, ct, node)
            parts.append(f"{ca} {_CMPOPS[type(op)]} {cb}")
            left, left_node = right, right_node
        return Val("(" + " && ".join(f"({p})" if len(parts) > 1 else p for p in parts) + ")", T.BOOL)

    def is_choice(self, node: ast.Name) -> bool:
        v = self.lookup(node.id)
        return v is not None and v.role == "choice"

    def choice_compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> str:
        if not (isinstance(left, ast.Name) and isinstance(right, ast.Name) and self.is_choice(left)):
            raise self.error(left, "`is` compares an Alt's choice with one of its read ends (g is left)")
        g = self.lookup(left.id)
        assert g is not None
        i = self.guard_index(g, right)
        return f"{g.c} {'!=' if isinstance(op, (ast.IsNot, ast.NotEq)) else '=='} {i}"

    def e_IfExp(self, node: ast.IfExp) -> Val:
        cond = self.condition(node.test)
        a, b = self.expr(node.body), self.expr(node.orelse)
        t = T.promote(self.numeric(a, node, "if-else"), self.numeric(b, node, "if-else"))
        if a.t is T.BOOL and b.t is T.BOOL:
            t = T.BOOL
        ct = T.concrete(t)
        return Val(f"({cond} ? {self.convert(a, ct, node, '')} : {self.convert(b, ct, node, '')})", t if not isinstance(t, Weak) else ct)

    def e_Call(self, node: ast.Call) -> Val:
        if id(node) in self.hoisted:
            return self.hoisted[id(node)]
        f = node.func
        op = self.port_op(node)
        if op is not None and isinstance(f, ast.Name):
            raise self.error(
                node,
                f"a read here would happen only sometimes, or once for a whole loop: "
                f"read into a variable first, in a statement of its own: v = {f.id}()"
                if op[1] == "read"
                else f"`{f.id}(v)` is a statement on its own, not a value",
            )
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            var = self.lookup(f.value.id)
            if var is not None and var.role == "port":
                if f.attr == "read":
                    raise self.error(
                        node,
                        f"a read here would happen only sometimes, or once for a whole loop: "
                        f"read into a variable first, in a statement of its own: v = {f.value.id}.read()",
                    )
                raise self.error(node, f"`{f.value.id}.{f.attr}()` is a statement on its own, not a value")
            if var is not None and var.role == "alt":
                raise self.error(node, f"g, v = {f.value.id}.select(): an Alt's choice is a statement on its own")
        ok, o = self.obj(f)
        if not ok:
            raise self.error(node, f"unknown function `{ast.unparse(f)}`: a kernel calls math functions, "
                             "conversions (i32, f32, int, float), abs/min/max/len and @ecsp.kernel_helper functions")
        if node.keywords:
            raise self.error(node, "keyword arguments are not in the kernel subset")
        args = node.args
        if o is print:
            raise self.error(node, "a core cannot print: send the value to the host over a channel, or return it")
        if isinstance(o, Scalar):
            if len(args) != 1:
                raise self.error(node, f"{o.name}(x) converts one value")
            return self.conversion(self.expr(args[0]), o, node)
        if o in (int, float, bool):
            if len(args) != 1:
                raise self.error(node, f"{o.__name__}(x) converts one value")
            return self.conversion(self.expr(args[0]), {int: T.i32, float: T.f64, bool: T.BOOL}[o], node)
        if o is len:
            if len(args) != 1:
                raise self.error(node, "len(a) of one array")
            v = self.expr(args[0])
            if v.arr is None:
                raise self.error(node, "len() of an array")
            return Val(str(v.arr.n), T.WEAK_INT, v.arr.n)
        if o is abs:
            if len(args) != 1:
                raise self.error(node, "abs(x)")
            v = self.expr(args[0])
            t = self.numeric(v, node, "abs")
            if v.const is not None and isinstance(t, Weak):
                return Val(repr(abs(v.const)), t, abs(v.const))
            ct = T.concrete(t)
            if ct.kind == "float":
                self.unit.math = True
                return Val(f"{'fabsf' if ct is T.f32 else 'fabs'}({self.convert(v, ct, node, '')})", t)
            tmp = v.code if v.code.isidentifier() else None
            if tmp is None:
                tmp = self.temp("a")
                self.decls.append(f"{ct.ctype} {tmp} = 0;")
                self.emit(f"{tmp} = {self.convert(v, ct, node, '')};")
            return Val(f"({tmp} < 0 ? -{tmp} : {tmp})", ct)
        if o in (min, max):
            if len(args) < 2:
                raise self.error(node, f"{o.__name__}(a, b, ...) of two or more numbers (of an array: loop over it)")
            vals = [self.expr(a) for a in args]
            mt: T.Type = self.numeric(vals[0], node, o.__name__)
            for v in vals[1:]:
                mt = T.promote(mt, self.numeric(v, node, o.__name__))
            ct = T.concrete(mt)
            names = []
            for v, a in zip(vals, args):
                code = self.convert(v, ct, a, "")
                if code.isidentifier() or v.const is not None:
                    names.append(code)
                else:
                    tmp = self.temp("m")
                    self.decls.append(f"{ct.ctype} {tmp} = 0;")
                    self.emit(f"{tmp} = {code};")
                    names.append(tmp)
            acc = names[0]
            cmp = "<" if o is min else ">"
            for i, n in enumerate(names[1:]):
                if i > 0:
                    tmp = self.temp("m")
                    self.decls.append(f"{ct.ctype} {tmp} = 0;")
                    self.emit(f"{tmp} = {_strip(acc)};")
                    acc = tmp
                acc = f"({n} {cmp} {acc} ? {n} : {acc})"
            return Val(acc, ct)
        if o in _MATH_1 or o in _MATH_INT:
            if len(args) != 1:
                raise self.error(node, f"math.{o.__name__}(x)")
            v = self.expr(args[0])
            t = self.numeric(v, node, f"math.{o.__name__}")
            ct = T.f32 if t is T.f32 else T.f64
            self.unit.math = True
            fnames = _MATH_1.get(o) or _MATH_INT[o]
            arg = self.convert(v, ct, node, "")
            if self.unit.checks:
                # Python's errors for a domain or a range the result misses.
                key = f"{fnames[0]}_{ct.name}"
                self.unit.prelude.add(key)
                where = self.where(node, MATH_ERRORS[fnames[0]])
                call = f"ecsp_py_{key}({_strip(arg)}, {where})"
                return Val(call, T.i32 if o in _MATH_INT else ct)
            call = f"{fnames[1] if ct is T.f32 else fnames[0]}({_strip(arg)})"
            if o in _MATH_INT:
                return Val(f"((int32_t){call})", T.i32)
            return Val(call, ct)
        if o is _ecsp_attr("now"):
            if args:
                raise self.error(node, "ecsp.now() takes nothing")
            return Val("((int64_t)ecsp_now())", T.i64)
        if isinstance(o, KernelHelper):
            return self.helper_call(o, node)
        if callable(o) and getattr(o, "__module__", "").startswith("math"):
            raise self.error(
                node,
                f"math.{getattr(o, '__name__', '?')} is not available on a core: "
                "abs, min, max, math.sqrt, floor, ceil, exp, log, sin and cos are",
            )
        if inspect.isfunction(o):
            raise self.error(node, f"`{o.__name__}` is a plain Python function: decorate it with @ecsp.kernel_helper to call it from a kernel")
        raise self.error(node, f"`{ast.unparse(f)}` cannot be called on a core")

    def conversion(self, v: Val, to: Scalar, node: ast.AST) -> Val:
        if v.arr is not None or v.t is None:
            raise self.error(node, f"{to.name}() converts one number, not an array")
        if to is T.BOOL:
            if v.t is T.BOOL:
                return v
            return Val(f"({v.code} != 0)", T.BOOL)
        if v.const is not None and isinstance(v.t, Weak) and to.kind == "float":
            try:
                return Val(_float_literal(float(v.const), to), to, float(v.const))
            except ValueError:
                raise self.error(node, "a number on a core is finite") from None
        if v.const is not None and isinstance(v.t, Weak) and to.kind == "int" and isinstance(v.const, int):
            if not _fits(v.const, to):
                c = to(v.const)
                return Val(_int_literal(c, to), to, c)
            return Val(_int_literal(v.const, to), to, v.const)
        src = T.concrete(v.t)
        if src is to:
            return Val(v.code, to, v.const)
        return Val(f"(({to.ctype}){v.code})", to)

    def helper_call(self, h: KernelHelper, node: ast.Call) -> Val:
        cname, sig = self.unit.helper(h, self, node)
        if len(node.args) != len(sig.params):
            raise self.error(node, f"helper `{h.__name__}` takes {len(sig.params)} arguments")
        args = []
        for (pname, pt), a in zip(sig.params, node.args):
            v = self.expr(a)
            if isinstance(pt, ArrayType):
                if v.arr != pt:
                    raise self.error(a, f"`{pname}` of `{h.__name__}` is {pt!r}: pass an array of {pt!r}")
                args.append(v.code)
            else:
                if v.arr is not None:
                    raise self.error(a, f"`{pname}` of `{h.__name__}` is one {pt.name}")
                args.append(self.convert(v, pt, a, f"`{pname}` of `{h.__name__}` is {pt.name}"))
        call = f"{cname}({', '.join(args)})"
        if sig.ret is None:
            return Val(call, None)
        return Val(call, sig.ret)

    def operands(self, a: Val, b: Val, ct: Scalar, node: ast.AST) -> Tuple[str, str]:
        """Both operands of arithmetic in ``ct``: spelled out where C's own
        conversions would pick another type (i32 with u32 is u32 in C)."""
        force = {_c_int(a.t), _c_int(b.t)} == {T.i32, T.u32}
        return self.convert(a, ct, node, "", force), self.convert(b, ct, node, "", force)

    def convert(self, v: Val, to: Scalar, node: ast.AST, what: str, force: bool = False) -> str:
        """``v``'s code as ``to``, for an assignment, a write, a call or an
        operand. Numbers convert implicitly, except a real into an integer
        and anything into or out of bool (a Python bool counts as an int)."""
        if v.t is None:
            raise self.error(node, "this has no value (a helper that returns nothing)")
        src = v.t
        if isinstance(src, Weak):
            if src.kind == "float" and to.kind != "float":
                if to is T.BOOL:
                    raise self.error(node, f"{what + ': ' if what else ''}a bool is True or False")
                raise self.error(node, f"{what + ': ' if what else ''}this is a float: convert it with int(...) or {to.name}(...)")
            if to is T.BOOL:
                raise self.error(node, f"{what + ': ' if what else ''}a bool is True or False")
            assert v.const is not None
            if to.kind == "float":
                try:
                    return _float_literal(float(v.const), to)
                except ValueError:
                    raise self.error(node, "a number on a core is finite") from None
            if not _fits(int(v.const), to):
                raise self.error(node, f"{v.const} does not fit {to.name}")
            return _int_literal(int(v.const), to)
        if src is to:
            return v.code
        if to is T.BOOL:
            raise self.error(node, f"{what + ': ' if what else ''}this is {src.name}; a bool comes from a comparison (x != 0)")
        if src.kind == "float" and to.kind != "float":
            raise self.error(
                node,
                f"{what + ': ' if what else ''}this is {src.name}: a real does not become an integer by itself; "
                f"convert it with int(...) or {to.name}(...)",
            )
        if _widening(src, to) and not force:
            return v.code  # C converts it the same way by itself
        return f"({to.ctype}){v.code}"


    def guard_index(self, g: Var, node: ast.Name) -> int:
        assert g.alt is not None
        for i, (kind, x) in enumerate(g.alt.guards):
            if kind == "read" and x.name == node.id:
                return i
        raise self.error(node, f"`{node.id}` is not a read guard of this Alt: compare the choice with its read ends")
