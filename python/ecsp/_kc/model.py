"""What the kernel compiler passes around: an expression's C and type
(``Val``), a name (``Var``), a function's source (``Source``), helpers, and
the small rules of C spelling (literals, names, implicit conversions)."""

from __future__ import annotations

import ast
import inspect
import math
import os
import textwrap
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union

from .. import _ktypes as T
from .._ktypes import ArrayType, Scalar
from ..exceptions import CompileError

C_KEYWORDS = set(
    """auto break case char const continue default do double else enum extern float for goto if inline int long
    register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
    _Bool _Complex _Imaginary bool true false NULL main int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t
    uint64_t size_t sqrt sqrtf exp expf log logf sin sinf cos cosf floor floorf ceil ceilf fabs fabsf fmod fmodf
    pow powf memcpy memset abs""".split()
)

# math functions: Python object -> (C name for f64, for f32, result is integer)
_MATH_1 = {
    math.sqrt: ("sqrt", "sqrtf"),
    math.exp: ("exp", "expf"),
    math.log: ("log", "logf"),
    math.sin: ("sin", "sinf"),
    math.cos: ("cos", "cosf"),
}
_MATH_INT = {math.floor: ("floor", "floorf"), math.ceil: ("ceil", "ceilf")}

_BINOPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


class Val:
    """An expression's C code and type; ``const`` is its value when the
    compiler knows it; ``arr`` the array an expression names."""

    __slots__ = ("code", "t", "const", "arr")

    def __init__(
        self,
        code: str,
        t: Optional[T.Type],
        const: Optional[Union[int, float, bool]] = None,
        arr: Optional[ArrayType] = None,
    ) -> None:
        self.code = code
        self.t = t
        self.const = const
        self.arr = arr


class Var:
    """A name in a kernel: a local, a parameter, a port, an Alt, an Alt's
    choice, or a value whose storage depends on the choice."""

    __slots__ = ("name", "c", "t", "role", "line", "alt", "per_guard")

    def __init__(self, name: str, c: str, t: Any, role: str, line: int) -> None:
        self.name = name
        self.c = c
        self.t = t  # Scalar, ArrayType, PortType, or None (alt, choice)
        self.role = role  # "local", "param", "port", "alt", "choice", "choice-value"
        self.line = line
        self.alt: Optional[AltInfo] = None
        self.per_guard: Dict[int, Var] = {}


class AltInfo:
    __slots__ = ("guards", "line")

    def __init__(self, guards: List[Tuple[str, Any]], line: int) -> None:
        # ("read", Var of the port) | ("skip", None) | ("timeout", C code of microseconds)
        self.guards = guards
        self.line = line


class KernelHelper:
    """A function a kernel calls (``@ecsp.kernel_helper``): annotated
    scalars and arrays in, a scalar (or nothing) out. Called on the host it
    is the plain function, its result converted to its annotated type as a
    core converts it (``-> f32`` rounds to single precision)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn
        self._ret: Any = None
        self._ret_known = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self.fn(*args, **kwargs)
        if not self._ret_known:
            ret = inspect.signature(self.fn).return_annotation
            if isinstance(ret, str):
                try:
                    ret = eval(ret, getattr(self.fn, "__globals__", {}))  # noqa: S307 - the function's own annotation
                except Exception:  # noqa: BLE001 - then nothing to convert to
                    ret = None
            self._ret = {int: T.i32, float: T.f64}.get(ret, ret)
            self._ret_known = True
        if isinstance(self._ret, Scalar) and result is not None:
            return self._ret(result)
        return result

    def __repr__(self) -> str:
        return f"<ecsp kernel helper {self.fn.__name__}>"


class Source:
    """A function's syntax tree and where it came from."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        try:
            self.path = inspect.getsourcefile(fn) or "<unknown>"
            lines, first = inspect.getsourcelines(fn)
        except (OSError, TypeError) as e:
            raise CompileError(
                f"kernel `{getattr(fn, '__name__', fn)}`: its source cannot be read ({e}); "
                "a kernel must be defined in a file (or a notebook cell), not built with exec or a lambda"
            ) from None
        text = textwrap.dedent("".join(lines))
        tree = ast.parse(text)
        defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        if not defs or isinstance(defs[0], ast.AsyncFunctionDef):
            raise CompileError(f"kernel `{fn.__name__}`: a kernel is a plain `def` function", self.path, first)
        self.tree: ast.FunctionDef = defs[0]
        self.offset = first - 1
        self.globals: Dict[str, Any] = dict(getattr(fn, "__globals__", {}))
        closure = getattr(fn, "__closure__", None) or ()
        for name, cell in zip(fn.__code__.co_freevars, closure):
            try:
                self.globals[name] = cell.cell_contents
            except ValueError:
                pass

    @property
    def file(self) -> str:
        return os.path.basename(self.path)


def _c_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("?")
    return '"' + "".join(out) + '"'


def _float_literal(v: float, t: Scalar) -> str:
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError("not finite")
    r = repr(float(v))
    if "e" not in r and "." not in r:
        r += ".0"
    return r + ("f" if t is T.f32 else "")


def _int_literal(v: int, t: Scalar) -> str:
    if t is T.i64:
        return f"INT64_C({v})"
    if t is T.u32:
        return f"{v}u"
    if v == -(2**31):
        return "INT32_MIN"
    return str(v)


def _fits(v: int, t: Scalar) -> bool:
    bits = t.size * 8
    return (-(2 ** (bits - 1)) <= v < 2 ** (bits - 1)) if t.signed else (0 <= v < 2**bits)


class HelperSig:
    def __init__(self, params: List[Tuple[str, Any]], ret: Optional[Scalar]) -> None:
        self.params = params
        self.ret = ret


def _c_int(t: Optional[T.Type]) -> Optional[Scalar]:
    """An operand's type after C's integer promotions."""
    if isinstance(t, Scalar):
        return T.i32 if t in (T.BOOL, T.u8) else t
    return None


def _widening(src: Scalar, to: Scalar) -> bool:
    """Whether C's implicit conversion of ``src`` to ``to`` (in an
    assignment or an operand of ``to``'s arithmetic) is the conversion
    meant, exactly, so the generated C need not spell it."""
    if to.kind == "float":
        return src.kind in ("int", "bool") or (src is T.f32 and to is T.f64)
    if to is T.i64:
        return src in (T.i32, T.u32, T.u8, T.BOOL)
    if to is T.i32:
        return src in (T.u8, T.BOOL)
    return False


def _strip(code: str) -> str:
    """``code`` without one pair of outer parentheses that wrap all of it."""
    if code.startswith("(") and code.endswith(")"):
        depth = 0
        for i, ch in enumerate(code):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i != len(code) - 1:
                return code
        return code[1:-1]
    return code


def _assigned_names(stmts: List[ast.stmt]) -> Set[str]:
    out: Set[str] = set()
    for s in stmts:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                out.add(n.id)
    return out


def _ecsp_attr(name: str) -> Any:
    import ecsp

    return getattr(ecsp, name, None)
