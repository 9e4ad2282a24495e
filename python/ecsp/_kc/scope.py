"""A function's names as the compiler sees them: its locals, ports and
parameters, the module's constants and functions, errors that name the
Python line, and C names that do not collide."""

from __future__ import annotations

import ast
import builtins
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

from .. import _ktypes as T
from .._ktypes import ArrayType, Scalar
from ..exceptions import CompileError
from .model import C_KEYWORDS, HelperSig, Source, Val, Var, _c_string

if TYPE_CHECKING:
    from .compiler import Unit


class Scope:
    """One function's names, its C declarations and lines."""

    def __init__(self, src: Source, unit: "Unit", helper: bool = False) -> None:
        self.src = src
        self.unit = unit
        self.is_helper = helper
        self.vars: Dict[str, Var] = {}
        self.overrides: List[Dict[str, Var]] = []
        self.decls: List[str] = []
        self.lines: List[str] = []
        self.depth = 1
        self.tmp = 0
        self.loops = 0
        self.ranges: Dict[str, Tuple[int, int]] = {}
        self.used_names: Set[str] = set()
        self.ret: Optional[Scalar] = None
        self.sig = HelperSig([], None)
        self.cname = src.tree.name
        self.ports: List[Tuple[str, Var]] = []
        #: ("in" | "out" | "barrier", name) per port and barrier, in order.
        self.order: List[Tuple[str, str]] = []
        self.params: List[Tuple[Var, Any]] = []
        self.line = src.tree.lineno
        self.hoisted: Dict[int, Val] = {}
        #: The statements after the one being compiled, in its block.
        self.following: List[ast.stmt] = []

    def error(self, node: Optional[ast.AST], message: str) -> CompileError:
        line = getattr(node, "lineno", self.line) + self.src.offset
        construct = ""
        if node is not None:
            try:
                construct = ast.unparse(node)
            except Exception:  # noqa: BLE001 - only a label
                construct = ""
            if len(construct) > 60:
                construct = construct[:57] + "..."
        what = "helper" if self.is_helper else "kernel"
        at = f" `{construct}`" if construct and not isinstance(node, (ast.FunctionDef, ast.arg)) else ""
        return CompileError(
            f"{self.src.path}:{line}: in {what} `{self.src.tree.name}`{at}: {message}",
            self.src.path,
            line,
            construct,
        )

    def where(self, node: ast.AST, what: str) -> str:
        line = getattr(node, "lineno", self.line) + self.src.offset
        return _c_string(f"{self.src.file}:{line}: {what}")

    def cident(self, name: str) -> str:
        c = name
        if c in C_KEYWORDS or c.startswith("ecsp") or c.startswith("ECSP") or c.startswith("_"):
            c = "py_" + c.lstrip("_") if not c.startswith("ecsp") else "py_" + c
        while c in self.used_names:
            c += "_"
        self.used_names.add(c)
        return c

    def temp(self, prefix: str = "t") -> str:
        self.tmp += 1
        name = f"ecsp_{prefix}{self.tmp}"
        self.used_names.add(name)
        return name

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def lookup(self, name: str) -> Optional[Var]:
        for o in reversed(self.overrides):
            if name in o:
                return o[name]
        return self.vars.get(name)

    def obj(self, node: ast.AST) -> Tuple[bool, Any]:
        """The Python object a name or attribute chain names outside the
        kernel's locals (a module, a function, a type, a constant)."""
        if isinstance(node, ast.Name):
            if self.lookup(node.id) is not None:
                return False, None
            if node.id in self.src.globals:
                return True, self.src.globals[node.id]
            if hasattr(builtins, node.id):
                return True, getattr(builtins, node.id)
            return False, None
        if isinstance(node, ast.Attribute):
            ok, base = self.obj(node.value)
            if ok and hasattr(base, node.attr):
                return True, getattr(base, node.attr)
        return False, None

    def declare(self, name: str, t: Any, node: ast.AST, role: str = "local") -> Var:
        v = Var(name, self.cident(name), t, role, getattr(node, "lineno", self.line))
        self.vars[name] = v
        if role == "local":
            if isinstance(t, ArrayType):
                self.decls.append(f"{t.elem.ctype} {v.c}[{t.n}];")
            elif isinstance(t, Scalar):
                self.decls.append(f"{t.ctype} {v.c} = 0;")
            else:
                self.decls.append(f"int {v.c} = 0;")
        return v

    def annotation(self, node: Optional[ast.AST], what: str) -> Any:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                raise self.error(node, f"{what}: its annotation is not an expression") from None
        try:
            assert isinstance(node, ast.expr)
            value = eval(compile(ast.Expression(node), self.src.path, "eval"), self.src.globals)  # noqa: S307
        except Exception as e:  # noqa: BLE001
            raise self.error(node, f"{what}: its annotation cannot be evaluated ({e})") from None
        if value is int:
            return T.i32
        if value is float:
            return T.f64
        if value is bool:
            return T.BOOL
        return value

    def role_text(self, v: Var) -> str:
        return {
            "port": "a channel end",
            "barrier": "a barrier",
            "alt": "an Alt",
            "choice": "an Alt's choice",
            "choice-value": "the value an Alt read",
        }.get(v.role, "a variable")

    def bind(self, name: str, t: Any, s: ast.AST) -> Var:
        existing = self.lookup(name)
        if existing is None:
            return self.declare(name, t, s)
        if existing.t is t or existing.t == t:
            return existing
        raise self.error(
            s,
            f"`{name}` is {existing.t!r} (from line {existing.line + self.src.offset}); this is {t!r}: "
            "a name keeps its first type on a core, give this another name",
        )

    def port_op(self, node: ast.AST) -> Optional[Tuple[Var, str]]:
        """``(port, operation)`` when ``node`` calls a channel end of the
        kernel: ``x.read()`` is ``"read"``, ``x.write(v)`` ``"write"``, and a
        call of the end itself (PyCSP's ``x()`` and ``out(v)``) reads a read
        end and writes a write end."""
        if not isinstance(node, ast.Call):
            return None
        f = node.func
        if isinstance(f, ast.Name):
            port = self.lookup(f.id)
            if port is not None and port.role == "port":
                return port, "read" if port.t.direction == "in" else "write"
            return None
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            port = self.lookup(f.value.id)
            if port is not None and port.role == "port":
                return port, f.attr
        return None
