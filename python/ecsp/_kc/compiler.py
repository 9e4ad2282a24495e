"""One generated C file: the kernel (``FnCompiler``), the helpers it calls
(compiled once each, recursion refused) and the prelude they use."""

from __future__ import annotations

import ast
import inspect
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from .. import _ktypes as T
from .._ktypes import ArrayType, PortType, Scalar
from .model import C_KEYWORDS, HelperSig, KernelHelper, Source, _c_string, _ecsp_attr, _fits, _float_literal
from .prelude import PRELUDE
from .scope import Scope
from .stmts import Stmts


class Unit:
    """What one generated C file holds: its kernel, the helpers it calls,
    and the prelude functions they use."""

    def __init__(self, checks: bool) -> None:
        self.checks = checks
        self.prelude: Set[str] = set()
        self.math = False
        self.helpers: Dict[int, Tuple[str, str]] = {}  # id(helper) -> (C name, C text)
        self.helper_order: List[int] = []
        self.compiling: List[int] = []
        self.helper_stack = 0  # bytes of the largest helper frame (arrays)
        self.helper_names: Dict[int, str] = {}
        self.sigs: Dict[int, HelperSig] = {}

    def helper(self, h: KernelHelper, at: "Scope", node: ast.AST) -> Tuple[str, "HelperSig"]:
        key = id(h)
        if key in self.compiling:
            chain = " -> ".join(self.helper_names.get(k, "?") for k in self.compiling)
            raise at.error(
                node,
                f"recursion ({chain} -> {h.__name__}): a core's stack is fixed, so kernels and their helpers "
                "cannot call themselves; write it as a loop",
            )
        if key not in self.helpers:
            self.compiling.append(key)
            self.helper_names[key] = h.__name__
            try:
                fc = FnCompiler(Source(h.fn), self, helper=True)
                text = fc.compile_helper()
            finally:
                self.compiling.pop()
            self.helpers[key] = (fc.cname, text)
            self.sigs[key] = fc.sig
            self.helper_order.append(key)
            self.helper_stack = max(self.helper_stack, fc.frame_bytes())
        return self.helpers[key][0], self.sigs[key]


class FnCompiler(Stmts):
    """Compiles one function of a unit: the kernel, or a helper."""

    def compile_kernel(self, name: str, summary: str, stack: Optional[int], forever: bool) -> str:
        tree = self.src.tree
        self.check_signature(tree)
        fn = self.src.fn
        sig = inspect.signature(fn)
        items: List[str] = []
        for a in tree.args.args:
            t = self.annotation(a.annotation, f"parameter `{a.arg}`")
            if t is None:
                raise self.error(
                    a,
                    f"parameter `{a.arg}` needs an annotation: In[...] or Out[...] for a channel end "
                    "(In[f32[64]], Out[i32]), or a scalar type for a parameter (int, float, bool, i32, u32, i64, f32, f64)",
                )
            if a.arg in C_KEYWORDS or a.arg.startswith("ecsp") or a.arg.startswith("_"):
                raise self.error(a, f"`{a.arg}` cannot name a port or parameter on a core (a C name): rename it")
            default = sig.parameters[a.arg].default
            if t is _ecsp_attr("Barrier"):
                if default is not inspect.Parameter.empty:
                    raise self.error(a, f"barrier `{a.arg}` cannot have a default")
                self.declare(a.arg, None, a, "barrier")
                self.order.append(("barrier", a.arg))
                items.append(f"BARRIER({a.arg})")
            elif isinstance(t, PortType):
                self.order.append((t.direction, a.arg))
                if default is not inspect.Parameter.empty:
                    raise self.error(a, f"port `{a.arg}` cannot have a default")
                v = self.declare(a.arg, t, a, "port")
                self.ports.append((t.direction, v))
                m = t.msg
                if isinstance(m, ArrayType):
                    dt = "u8" if m.elem is T.u8 else m.elem.name
                    items.append(f"{'IN' if t.direction == 'in' else 'OUT'}({a.arg}, {dt}, {m.n})")
                else:
                    items.append(f"{'IN' if t.direction == 'in' else 'OUT'}({a.arg}, {m.name})")
            elif isinstance(t, Scalar) and t is not T.u8:
                v = self.declare(a.arg, t, a, "param")
                self.params.append((v, default))
                if default is inspect.Parameter.empty:
                    items.append(f"PARAM({a.arg}, {t.name})")
                else:
                    items.append(f"PARAM({a.arg}, {t.name}, {self.default_literal(a, t, default)})")
            else:
                raise self.error(
                    a,
                    f"parameter `{a.arg}`: {t!r} is neither a channel end (In[...], Out[...]), an ecsp.Barrier, "
                    "nor a scalar (int, float, bool, i32, u32, i64, f32, f64)",
                )
        self.body(tree.body)
        if stack is None:
            stack = self.frame_bytes() + self.unit.helper_stack
            stack = max(512, (stack + 7) // 8 * 8)
        items.append(f"STACK({stack})")
        if forever:
            items.append("FOREVER")
        self.stack = stack
        summary = summary.replace('"', "'").replace("\\", "/")
        head = f"ECSP_KERNEL({name}, {_c_string(summary)},"
        return self.function_text(head, items)

    def frame_bytes(self) -> int:
        """What the kernel's frame holds, generously: its arrays and scalars,
        the runtime calls it makes and what math needs."""
        size = 384
        for v in self.vars.values():
            if v.role == "local":
                size += v.t.size if isinstance(v.t, (ArrayType, Scalar)) else 8
                size += 8
        if self.unit.math:
            size += 256
        return size

    def function_text(self, head: str, items: List[str]) -> str:
        lines = [head]
        line = "            "
        for i, it in enumerate(items):
            piece = it + ("," if i < len(items) - 1 else ")")
            if len(line) + len(piece) + 1 > 110:
                lines.append(line.rstrip())
                line = "            "
            line += piece + " "
        lines.append(line.rstrip())
        return "\n".join(lines) + "\n{\n" + self.block_text() + "}\n"

    def block_text(self) -> str:
        out = ["    " + d for d in self.decls]
        if self.decls:
            out.append("")
        out.extend(self.lines)
        return "\n".join(out) + "\n"

    def default_literal(self, node: ast.AST, t: Scalar, v: Any) -> str:
        if t is T.BOOL:
            if not isinstance(v, bool):
                raise self.error(node, f"the default of a bool parameter is True or False, got {v!r}")
            return "1" if v else "0"
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.error(node, f"the default of a {t.name} parameter is a number, got {v!r}")
        if t.kind == "int":
            if not isinstance(v, int):
                raise self.error(node, f"the default of a {t.name} parameter is an int, got {v!r}")
            if not _fits(v, t):
                raise self.error(node, f"the default {v} does not fit {t.name}")
            return str(v)
        try:
            r = repr(float(v))
            _float_literal(float(v), t)
        except ValueError:
            raise self.error(node, f"the default of a real parameter is a finite number, got {v!r}") from None
        return r if ("." in r or "e" in r) else r + ".0"

    def check_signature(self, tree: ast.FunctionDef) -> None:
        a = tree.args
        if a.vararg or a.kwarg or a.kwonlyargs or getattr(a, "posonlyargs", []):
            raise self.error(tree, "a kernel's parameters are plain named ones: no *args, **kwargs, keyword-only or positional-only")
        if tree.decorator_list and self.is_helper and len(tree.decorator_list) > 1:
            raise self.error(tree, "a helper takes no other decorator")

    def compile_helper(self) -> str:
        tree = self.src.tree
        self.check_signature(tree)
        params: List[Tuple[str, Any]] = []
        cparams: List[str] = []
        for a in tree.args.args:
            t = self.annotation(a.annotation, f"parameter `{a.arg}`")
            if isinstance(t, ArrayType):
                v = self.declare(a.arg, t, a, "param")
                cparams.append(f"{t.elem.ctype} *{v.c}")
            elif isinstance(t, Scalar) and t is not T.u8:
                v = self.declare(a.arg, t, a, "param")
                cparams.append(f"{t.ctype} {v.c}")
            elif isinstance(t, PortType):
                raise self.error(a, "channel ends stay in the kernel: read or write there and pass the values to the helper")
            else:
                raise self.error(
                    a,
                    f"parameter `{a.arg}` of a helper needs a scalar (int, float, bool, i32, u32, i64, f32, f64) "
                    "or array (f32[64]) annotation",
                )
            params.append((a.arg, t))
        ret = self.annotation(tree.returns, "the return value") if tree.returns is not None else None
        if ret is not None and not (isinstance(ret, Scalar) and ret is not T.u8):
            if ret is type(None) or (isinstance(tree.returns, ast.Constant) and tree.returns.value is None):
                ret = None
            else:
                raise self.error(tree.returns, "a helper returns a scalar (int, float, bool, i32, ...) or nothing; arrays go in as parameters")
        self.ret = ret
        self.sig = HelperSig(params, ret)
        self.cname = tree.name if tree.name not in C_KEYWORDS and not tree.name.startswith("ecsp") else "py_" + tree.name
        self.body(tree.body)
        rtype = ret.ctype if ret is not None else "void"
        head = f"static {rtype} {self.cname}({', '.join(cparams) or 'void'})"
        text = head + "\n{\n" + self.block_text()
        if ret is not None and not (tree.body and isinstance(tree.body[-1], ast.Return)):
            text += "    return 0;\n"
        return text + "}\n"


def compile_kernel(
    fn: Callable[..., Any], name: str, summary: str, stack: Optional[int], forever: bool, checks: bool
) -> Tuple[str, "FnCompiler"]:
    """The C file of kernel ``fn``, and its compiler (ports, params, stack)."""
    unit = Unit(checks)
    fc = FnCompiler(Source(fn), unit)
    kernel = fc.compile_kernel(name, summary, stack, forever)
    src = fc.src
    out = [
        f"/* Generated by ecsp from the Python kernel `{src.tree.name}` ({src.path}, line {src.tree.lineno + src.offset}).",
        " * Edit the Python: this file is written again from it. */",
        "#include <ecsp/kernel.h>",
        "#include <stdbool.h>",
    ]
    if unit.math:
        out.append("#include <math.h>")
    out.append("")
    for name in sorted(unit.prelude):
        out.append(PRELUDE[name])
        out.append("")
    for key in unit.helper_order:
        out.append(unit.helpers[key][1])
    out.append(kernel)
    return "\n".join(out), fc
