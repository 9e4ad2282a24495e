"""Batches: many messages of a channel in one buffer, for ``Writer.write_many``
and ``Reader.read_many``.

A batch is laid out as numpy lays out an array of the channel's messages:
``(n,)`` values for a scalar channel ("i32"), ``(n, k)`` for a vector
channel ("f32[k]") and for raw bytes (``Bytes(k)``: uint8, or any
bytes-like object of ``n * k`` bytes). Over a host channel a batch moves
between the array's own memory and the channel without a copy (the
extension takes it through the buffer protocol); between Python processes
it is the same values one message at a time, as a reader of a host channel
would see them. The checks here say, by channel, what a batch must be.
"""

from __future__ import annotations

import reprlib
import sys
from functools import lru_cache
from typing import Any, List, Optional, Tuple

from . import _core
from .dtypes import _BYTES, _FORMATS, _VECTOR, SCALARS, codec
from .exceptions import ChannelClosed, ChannelPoisoned, Error

# numpy's names of the element types, for the arrays read_many makes and
# for the errors that say what a batch must hold.
_NUMPY = {"i32": "int32", "u32": "uint32", "f32": "float32", "i64": "int64", "f64": "float64", "u8": "uint8"}
# Buffer-protocol format characters by kind (struct syntax): the element
# type of a buffer is its kind and its item size.
_SIGNED = frozenset("bhilqn")
_UNSIGNED = frozenset("BHILQN")
_FLOAT = frozenset("efd")
_KIND = {"i32": _SIGNED, "i64": _SIGNED, "u32": _UNSIGNED, "f32": _FLOAT, "f64": _FLOAT}
# Messages cross into the device little-endian; a native buffer is that on
# every host ecsp runs on (x86, the Parallella's ARM), not on others.
_NATIVE_LITTLE = sys.byteorder == "little"


class Layout:
    """How a batch of one channel's messages lies in memory."""

    __slots__ = ("dtype", "elem", "per", "size", "raw", "numpy")

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype
        m = _VECTOR.match(dtype)
        b = _BYTES.match(dtype)
        if m:
            self.elem, self.per, self.raw = m.group(1), int(m.group(2)), False
        elif b:
            self.elem, self.per, self.raw = "u8", int(b.group(1)), True
        else:
            self.elem, self.per, self.raw = dtype, 0, False
        #: Bytes per message.
        self.size = SCALARS[self.elem] * max(1, self.per)
        #: numpy's name of the element type.
        self.numpy = _NUMPY[self.elem]

    def shape(self, n: int) -> Tuple[int, ...]:
        """The shape of an array of ``n`` messages."""
        return (n,) if self.per == 0 else (n, self.per)

    def expected(self) -> str:
        """What a batch of this channel is, in words."""
        if self.per == 0:
            return f"a 1-D array of {self.numpy} (shape (n,))"
        if self.raw:
            return f"a 2-D array of uint8 of shape (n, {self.per}), or a bytes-like object of n*{self.per} bytes"
        return f"a 2-D array of {self.numpy} of shape (n, {self.per})"


@lru_cache(maxsize=None)
def layout(dtype: str) -> Layout:
    """The layout of a canonical channel dtype (made once per dtype)."""
    return Layout(dtype)


def _given(values: Any, mv: memoryview) -> str:
    """What a buffer is, in words (numpy's terms for a numpy array)."""
    dtype, shape = getattr(values, "dtype", None), getattr(values, "shape", None)
    if dtype is not None and isinstance(shape, tuple):
        return f"a {len(shape)}-D array of {dtype} of shape {shape}"
    return f"a buffer of format {mv.format!r} and shape {mv.shape}"


def _check(lay: Layout, name: str, what: str, values: Any, mv: memoryview) -> int:
    """The number of messages in the buffer ``mv`` of ``values``; raises,
    naming the channel, the batch it takes and what it got, when the
    element type or the shape is not the channel's."""
    fmt = mv.format
    order, code = (fmt[0], fmt[1:]) if fmt[:1] in ("@", "=", "<", ">", "!") else ("@", fmt)
    little = order == "<" or (order in ("@", "=") and _NATIVE_LITTLE)
    if lay.elem == "u8":
        ok = code in ("B", "b", "c") and mv.itemsize == 1
    else:
        ok = len(code) == 1 and code in _KIND[lay.elem] and mv.itemsize == SCALARS[lay.elem] and little
    if not ok:
        raise TypeError(
            f"channel `{name}` carries {lay.dtype}: {what} takes {lay.expected()}, got {_given(values, mv)}"
        )
    shape = mv.shape or ()
    if lay.per == 0 and len(shape) == 1:
        return shape[0]
    if lay.per and len(shape) == 2 and shape[1] == lay.per:
        return shape[0]
    if lay.raw and len(shape) == 1 and shape[0] % lay.per == 0:
        return shape[0] // lay.per
    raise ValueError(f"channel `{name}` carries {lay.dtype}: {what} takes {lay.expected()}, got {_given(values, mv)}")


def to_send(ch: Any, values: Any) -> Tuple[Any, int]:
    """A batch to send on host channel ``ch``: (a C-contiguous object with
    the buffer protocol, its number of messages). A buffer of the
    channel's layout goes as it is (a copy only when it is not contiguous);
    any other iterable is a sequence of messages, each packed as ``write``
    packs it."""
    lay = layout(ch.dtype)
    try:
        mv = memoryview(values)
    except TypeError:
        pack = codec(ch.dtype, ch.name)[0]
        data = b"".join([pack(v) for v in values])
        return data, len(data) // lay.size
    n = _check(lay, ch.name, "write_many", values, mv)
    if not mv.c_contiguous:
        return mv.tobytes(), n
    return mv, n


def python_messages(ch: Any, values: Any) -> List[Any]:
    """The messages of ``values`` for a channel between Python processes: a
    buffer of the channel's layout as a reader of a host channel would
    receive it (ints or floats, a memoryview per vector, bytes per raw
    message: copies, so later changes to the array do not reach a reader);
    any other iterable as its items, as ``write`` passes them."""
    try:
        mv = memoryview(values)
    except TypeError:
        return list(values)
    lay = layout(ch.dtype)
    n = _check(lay, ch.name, "write_many", values, mv)
    data = mv.tobytes()
    if lay.per == 0:
        if not _NATIVE_LITTLE:  # pragma: no cover - no such host in use
            raise Error("write_many between Python processes needs a little-endian host")
        return memoryview(data).cast(_FORMATS[lay.elem]).tolist()  # type: ignore[call-overload, no-any-return]
    size = lay.size
    rows = [data[i * size : (i + 1) * size] for i in range(n)]
    if lay.raw:
        return rows
    unpack = codec(ch.dtype, ch.name)[1]
    return [unpack(r) for r in rows]


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise Error("read_many returns numpy arrays: install numpy (pip install numpy)") from None
    return numpy


def to_receive(ch: Any, n: Optional[int], out: Any) -> Tuple[Any, int]:
    """Where ``read_many`` receives on channel ``ch``: (a C-contiguous,
    writable numpy array of the channel's layout, the number of messages
    to receive into its first rows). ``out`` when given, else a fresh
    array of ``n`` messages."""
    np = _numpy()
    lay = layout(ch.dtype)
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
        raise ValueError(f"read_many: n must be an int >= 0, got {n!r}")
    if out is None:
        if n is None:
            raise TypeError("read_many needs n (how many messages) or out (an array to fill)")
        return np.empty(lay.shape(n), dtype=lay.numpy), n
    if not isinstance(out, np.ndarray):
        raise TypeError(
            f"channel `{ch.name}` carries {ch.dtype}: read_many's out is {lay.expected()} (a numpy array), got {out!r}"
        )
    mv = memoryview(out)
    rows = _check(lay, ch.name, "read_many's out", out, mv)
    if out.ndim == 1 and lay.raw:
        raise ValueError(
            f"channel `{ch.name}` carries {ch.dtype}: read_many's out is an array of shape (n, {lay.per}), "
            f"got shape {out.shape}"
        )
    if mv.readonly or not mv.c_contiguous:
        raise ValueError(
            f"channel `{ch.name}`: read_many's out must be writable and C-contiguous (numpy.ascontiguousarray), "
            f"got {'a read-only' if mv.readonly else 'a strided'} array"
        )
    if n is None:
        n = rows
    elif n > rows:
        raise ValueError(f"channel `{ch.name}`: read_many({n}) into an out of {rows} messages: give n <= {rows}")
    return out, n


def write_many(end: Any, values: Any) -> int:
    """``Writer.write_many``: every message of ``values``, in order."""
    ch = end._ch
    if ch._state == _core._HOST:
        data, n = to_send(ch, values)
        return ch._host.write_many(data, n)  # type: ignore[no-any-return]
    if ch._state:
        ch._refuse(0)
    write = _core._write
    messages = python_messages(ch, values)
    done = 0
    try:
        for done, v in enumerate(messages):
            write(end, v)
    except (ChannelPoisoned, ChannelClosed) as e:
        e.done = done  # the messages before this one were written
        raise
    return len(messages)


def read_many(end: Any, n: Optional[int], out: Any) -> Any:
    """``Reader.read_many``: up to ``n`` messages (or ``len(out)``) into a
    numpy array; fewer only at close, none raises ChannelClosed."""
    ch = end.channel
    target, n = to_receive(ch, n, out)
    if n == 0:
        return target[:0]
    now = end._ch
    if now._state == _core._HOST and not (now._buf or now._wq):
        got = now._host.read_many(target, 0, n)
    else:
        got = _read_python(end, target, n)
    if got == 0:
        raise ChannelClosed(f"channel `{ch.name}` is closed", done=0)
    return target[:got] if got < len(target) else target


def _read_python(end: Any, target: Any, n: int) -> int:
    """Reads ``n`` values from Python processes into ``target``, each
    packed as a host channel's ``write`` packs it; fewer only when the
    channel closes. A value that does not pack is not taken: the error
    says so, and holds the messages that came before it. On a host channel
    the values Python processes left in it come first, then the device's."""
    ch = end.channel

    def unfit(value: Any, err: BaseException, got: int) -> BaseException:
        e = type(err)(
            f"{err}; read_many took {got} of its {n} messages, then came {reprlib.repr(value)} "
            f"(a {type(value).__name__}), which stays on the channel for the next read"
        )
        e.done = got  # type: ignore[attr-defined]
        e.received = target[:got]  # type: ignore[attr-defined]
        return e

    size = layout(ch.dtype).size
    pack = codec(ch.dtype, ch.name)[0]
    got = _core.read_batch(end, memoryview(target).cast("B"), size, n, pack, unfit)
    now = end._ch
    if got < n and now._state == _core._HOST:
        got = now._host.read_many(target, got, n)
    return got
