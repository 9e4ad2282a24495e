"""The types of Python kernels (``@ecsp.kernel``): scalars, fixed-size
arrays, channel ports, and the rules by which arithmetic mixes them.

These objects are what a kernel's annotations name (``In[f32[64]]``,
``a: f32``) and, on the host, what the same function calls when it runs as
a Python process: ``f32(x)`` rounds ``x`` to single precision, ``i32(x)``
wraps it to 32 bits, ``array(f32, 64)`` is 64 zeroed single-precision
values.

Promotion (the result type of ``a op b``), written down once and used by
the compiler:

- ``bool`` counts as ``i32`` in arithmetic (``True + 1 == 2``).
- Two integer types: the same type; otherwise the smallest signed type that
  holds both (``i32`` with ``u32`` is ``i64``, with ``i64`` it is ``i64``),
  as numpy does. ``u8`` array elements count as ``i32``.
- An integer type with a real type: the real type (``i32 * f32`` is ``f32``,
  as in C: a core has single-precision hardware only).
- ``f32`` with ``f64``: ``f64``.
- A Python number written in the kernel is weak: it takes the other
  operand's type (``x * 2`` is ``f32`` when ``x`` is; ``n + 1`` stays
  ``u32``), except that a float literal with an integer type gives ``f64``
  (``n * 0.5``). On its own an int literal is ``i32`` (``i64`` when it does
  not fit), a float literal ``f64``.
- ``/`` is true division: two integers give ``f64``; otherwise the promoted
  real type. ``//`` and ``%`` keep Python's meaning (floor, the sign of the
  divisor) for every type.
- Integer arithmetic wraps at the type's width (kernels are compiled with
  ``-fwrapv``); on the host a Python int does not, so results agree while
  they fit.
"""

from __future__ import annotations

import array as _array
import struct
from typing import Any, Dict, Optional, Union

__all__ = [
    "Scalar",
    "ArrayType",
    "PortType",
    "In",
    "Out",
    "i32",
    "u32",
    "i64",
    "f32",
    "f64",
    "u8",
    "array",
    "SCALARS",
]


class Scalar:
    """A scalar type of kernels and channels. ``f32[64]`` is the array (and
    message) type of 64 of them; ``f32(x)`` converts ``x`` as a core would."""

    __slots__ = ("name", "ctype", "kind", "size", "signed", "code")

    def __init__(self, name: str, ctype: str, kind: str, size: int, signed: bool, code: str) -> None:
        self.name = name
        #: Its C type in generated code.
        self.ctype = ctype
        #: "int", "float" or "bool".
        self.kind = kind
        self.size = size
        self.signed = signed
        #: Its struct / array module code.
        self.code = code

    def __getitem__(self, n: int) -> "ArrayType":
        return ArrayType(self, n)

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> Any:
        return (_scalar_named, (self.name,))

    def __call__(self, value: Any) -> Any:
        """``value`` converted as a core converts it: integers wrap to the
        width, a real is truncated toward zero into an integer type, and
        rounded to single precision for ``f32``."""
        if self.kind == "float":
            v = float(value)
            return struct.unpack("<f", struct.pack("<f", v))[0] if self.size == 4 else v
        if self.kind == "bool":
            return bool(value)
        v = int(value)
        bits = self.size * 8
        v &= (1 << bits) - 1
        if self.signed and v >= 1 << (bits - 1):
            v -= 1 << bits
        return v


i32 = Scalar("i32", "int32_t", "int", 4, True, "i")
u32 = Scalar("u32", "uint32_t", "int", 4, False, "I")
i64 = Scalar("i64", "int64_t", "int", 8, True, "q")
f32 = Scalar("f32", "float", "float", 4, True, "f")
f64 = Scalar("f64", "double", "float", 8, True, "d")
#: The element of raw-byte messages (``Bytes(n)`` is ``u8[n]``).
u8 = Scalar("u8", "uint8_t", "int", 1, False, "B")
#: Python's ``bool`` in a kernel.
BOOL = Scalar("bool", "bool", "bool", 1, False, "?")

#: Every scalar a kernel names, by name.
SCALARS: Dict[str, Scalar] = {s.name: s for s in (i32, u32, i64, f32, f64, u8, BOOL)}


def _scalar_named(name: str) -> Scalar:
    return SCALARS[name]


class ArrayType:
    """``n`` values of one scalar type: a vector message (``f32[64]``) and
    a kernel's local array (``array(f32, 64)``)."""

    __slots__ = ("elem", "n")

    def __init__(self, elem: Scalar, n: int) -> None:
        if not isinstance(elem, Scalar) or elem.kind == "bool":
            raise TypeError(f"an array holds i32, u32, i64, f32, f64 or u8 values, not {elem!r}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{elem.name}[n]: n must be an int >= 1, got {n!r}")
        self.elem = elem
        self.n = n

    @property
    def size(self) -> int:
        return self.elem.size * self.n

    @property
    def dtype(self) -> str:
        """Its channel dtype: ``"f32[64]"`` (``bytes:n`` for ``u8[n]``)."""
        return f"bytes:{self.n}" if self.elem is u8 else f"{self.elem.name}[{self.n}]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArrayType) and other.elem is self.elem and other.n == self.n

    def __hash__(self) -> int:
        return hash((self.elem.name, self.n))

    def __repr__(self) -> str:
        return f"{self.elem.name}[{self.n}]"


MsgType = Union[Scalar, ArrayType]


class PortType:
    """A kernel's channel end: ``In[f32[64]]`` reads vectors of 64 floats,
    ``Out[i32]`` writes ints."""

    __slots__ = ("direction", "msg")

    def __init__(self, direction: str, msg: MsgType) -> None:
        self.direction = direction
        self.msg = msg

    def __repr__(self) -> str:
        return f"{'In' if self.direction == 'in' else 'Out'}[{self.msg!r}]"


class _PortMaker:
    __slots__ = ("direction",)

    def __init__(self, direction: str) -> None:
        self.direction = direction

    def __getitem__(self, msg: Any) -> PortType:
        if msg is int:
            msg = i32
        elif msg is float:
            msg = f64
        if isinstance(msg, Scalar) and msg.kind != "bool" and msg is not u8:
            return PortType(self.direction, msg)
        if isinstance(msg, ArrayType):
            return PortType(self.direction, msg)
        name = "In" if self.direction == "in" else "Out"
        raise TypeError(f"{name}[...] takes a channel's message type: i32, u32, i64, f32, f64 or an array like f32[64]; got {msg!r}")

    def __repr__(self) -> str:
        return "In" if self.direction == "in" else "Out"


#: A kernel's read end: ``x: In[f32[64]]``.
In = _PortMaker("in")
#: A kernel's write end: ``out: Out[i32]``.
Out = _PortMaker("out")


def array(dtype: Scalar, n: int) -> "_array.array[Any]":
    """``n`` zeroed values of ``dtype``: a kernel's local array. On the host
    an ``array.array`` of that element type (single precision for ``f32``),
    which a vector channel sends as it is."""
    if not isinstance(dtype, Scalar) or dtype.kind == "bool":
        raise TypeError(f"ecsp.array(dtype, n): dtype is i32, u32, i64, f32, f64 or u8, got {dtype!r}")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"ecsp.array({dtype.name}, n): n must be an int >= 1, got {n!r}")
    return _array.array(dtype.code, bytes(dtype.size * n))


# ---- promotion ----


class Weak:
    """The type of a number written in a kernel: it takes the type of what
    it meets (see the module's rules)."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "int" or "float"

    def __repr__(self) -> str:
        return f"{self.kind} literal"


WEAK_INT = Weak("int")
WEAK_FLOAT = Weak("float")

Type = Union[Scalar, Weak]


def concrete(t: Type, value: Optional[Union[int, float]] = None) -> Scalar:
    """The type a value of ``t`` has on its own."""
    if isinstance(t, Scalar):
        return t
    if t.kind == "float":
        return f64
    if value is not None and not -(2**31) <= int(value) < 2**31:
        return i64
    return i32


def _int_of(t: Scalar) -> Scalar:
    return i32 if t.kind == "bool" or t is u8 else t


def promote(a: Type, b: Type) -> Type:
    """The type of ``a op b`` for arithmetic ``op`` (not ``/``)."""
    if isinstance(a, Weak) and isinstance(b, Weak):
        return WEAK_FLOAT if "float" in (a.kind, b.kind) else WEAK_INT
    if isinstance(a, Weak):
        a, b = b, a
    assert isinstance(a, Scalar)
    if isinstance(b, Weak):
        if b.kind == "int":
            return _int_of(a)
        return a if a.kind == "float" else f64
    a, b = _int_of(a), _int_of(b)
    if a is b:
        return a
    if a.kind == "float" or b.kind == "float":
        if a.kind == "float" and b.kind == "float":
            return f64
        return a if a.kind == "float" else b
    # Two different integer types of i32, u32, i64.
    return i64


def true_div(a: Type, b: Type) -> Type:
    """The type of ``a / b``."""
    p = promote(a, b)
    if isinstance(p, Weak):
        return WEAK_FLOAT
    return p if p.kind == "float" else f64
