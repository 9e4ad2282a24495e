"""Message types of channels: what one message is when it crosses into the device."""

from __future__ import annotations

import re
from typing import Any, Union

__all__ = ["SCALARS", "MAX_MESSAGE_SIZE", "Bytes", "check_dtype", "message_size"]

#: The element types a device channel carries, with their sizes in bytes.
SCALARS = {"i32": 4, "u32": 4, "f32": 4, "i64": 8, "f64": 8, "u8": 1}

#: The largest message a device channel carries, in bytes.
MAX_MESSAGE_SIZE = 4096

_VECTOR = re.compile(r"^(i32|u32|f32|i64|f64|u8)\[(\d+)\]$")
_BYTES = re.compile(r"^bytes:(\d+)$")


class Bytes:
    """The message type of ``n`` raw bytes: ``ecsp.Channel(dtype=ecsp.Bytes(16))``
    (the same as ``dtype="bytes:16"``)."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_MESSAGE_SIZE:
            raise ValueError(f"Bytes(n): n must be an int from 1 to {MAX_MESSAGE_SIZE} (the message size limit), got {n!r}")
        self.n = n

    def __str__(self) -> str:
        return f"bytes:{self.n}"

    def __repr__(self) -> str:
        return f"Bytes({self.n})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bytes) and other.n == self.n or other == str(self)

    def __hash__(self) -> int:
        return hash(str(self))


def message_size(dtype: str) -> int:
    """Bytes per message of a canonical dtype name."""
    m = _VECTOR.match(dtype)
    if m:
        return SCALARS[m.group(1)] * int(m.group(2))
    m = _BYTES.match(dtype)
    if m:
        return int(m.group(1))
    return SCALARS[dtype]


def check_dtype(dtype: Union[str, Bytes, Any]) -> str:
    """Returns ``dtype`` as its canonical name, or raises ValueError naming
    what is accepted: a scalar ("i32", "u32", "f32", "i64", "f64"), a vector
    ("f32[64]": 64 f32 values) or raw bytes ("bytes:16" or ``Bytes(16)``),
    of at most ``MAX_MESSAGE_SIZE`` bytes."""
    if isinstance(dtype, Bytes):
        return str(dtype)
    if isinstance(dtype, str):
        name = dtype.replace(" ", "")
        if name in SCALARS and name != "u8":
            return name
        m = _VECTOR.match(name) or _BYTES.match(name)
        if m:
            n = int(m.groups()[-1])
            if n == 0:
                raise ValueError(f"channel dtype {dtype!r}: a message holds at least one element")
            size = message_size(name)
            if size > MAX_MESSAGE_SIZE:
                raise ValueError(
                    f"channel dtype {dtype!r}: {size}-byte messages are above the limit of {MAX_MESSAGE_SIZE} bytes"
                )
            return name
    raise ValueError(
        f"unknown channel dtype {dtype!r}: a channel carries a scalar (\"i32\", \"u32\", \"f32\", \"i64\", \"f64\"), "
        "a vector (\"f32[64]\") or raw bytes (\"bytes:16\", ecsp.Bytes(16))"
    )


_FORMATS = {"i32": "i", "u32": "I", "f32": "f", "i64": "q", "f64": "d", "u8": "B"}


def codec(dtype: str, channel: str) -> "tuple[Any, Any]":
    """(pack, unpack) between Python values and a message's little-endian
    bytes. Scalars are ints or floats; a vector message packs from anything
    with the buffer protocol (a numpy array, without a conversion) or a
    sequence, and unpacks to a memoryview of its elements (``numpy.asarray``
    takes it without a copy); ``bytes:N`` packs from any bytes-like object and
    unpacks to bytes."""
    import struct

    m = _BYTES.match(dtype)
    if m:
        n = int(m.group(1))

        def pack_bytes(v: Any) -> bytes:
            try:
                b = bytes(memoryview(v))
            except TypeError:
                raise TypeError(f"channel `{channel}` carries {dtype}: a message is a bytes-like object, got {v!r}") from None
            if len(b) != n:
                raise ValueError(f"channel `{channel}` carries {dtype}: a message is {n} bytes, got {len(b)}")
            return b

        return pack_bytes, bytes
    m = _VECTOR.match(dtype)
    if m:
        f, n = _FORMATS[m.group(1)], int(m.group(2))
        st = struct.Struct(f"<{n}{f}")

        def pack_vector(v: Any) -> bytes:
            try:
                mv = memoryview(v)
            except TypeError:
                mv = None
            if mv is not None:
                if mv.nbytes != st.size:
                    raise ValueError(
                        f"channel `{channel}` carries {dtype}: a message is {st.size} bytes ({n} x {m.group(1)}), "
                        f"got {mv.nbytes}"
                    )
                return mv.tobytes()
            try:
                return st.pack(*v)
            except struct.error as e:
                raise ValueError(f"channel `{channel}` carries {dtype}: {e} (a message is {n} values)") from None

        def unpack_vector(b: bytes) -> memoryview:
            return memoryview(b).cast(f)  # type: ignore[call-overload]

        return pack_vector, unpack_vector
    f = _FORMATS[dtype]
    st = struct.Struct(f"<{f}")
    unpack_from = st.unpack

    def pack_scalar(v: Any) -> bytes:
        try:
            return st.pack(v)
        except struct.error:
            limits = {"i": "-2**31 to 2**31-1", "I": "0 to 2**32-1", "q": "-2**63 to 2**63-1"}.get(f, "a float")
            raise ValueError(f"channel `{channel}` carries {dtype}: {v!r} does not fit ({limits})") from None

    def unpack_scalar(b: bytes) -> Any:
        return unpack_from(b)[0]

    return pack_scalar, unpack_scalar
