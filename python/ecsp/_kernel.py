"""Python kernels: ``@ecsp.kernel`` compiles a typed Python function to a
C kernel (``_kc``) that runs on a core, simulated or real, through
the C kernels' path (``ecsp.kernel_file``): compiled by the host's C
compiler for the simulator and by the Epiphany compiler for the chip,
cached by content.

The same function stays a Python function: ``kernel.process(...)`` runs it
as a Python process, so its answers can be checked against the core's.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple, Union, overload

import array as _array
from functools import partial

from . import _core
from ._api import Barrier, DeviceProcess, Kernel, Process, kernel_file
from ._core import Reader, Writer
from ._kc import FnCompiler, KernelHelper, compile_kernel
from .exceptions import Error

__all__ = ["PyKernel", "kernel", "kernel_helper", "now", "cache_dir"]


def cache_dir() -> str:
    """Where ecsp keeps what it builds: ``$ECSP_CACHE``, else the user's
    cache directory (``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux,
    ``~/Library/Caches`` on macOS) with ``ecsp`` under it, as the Rust side
    does."""
    env = os.environ.get("ECSP_CACHE")
    if env:
        return env
    if sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    elif sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "ecsp")


def cached_source(stem: str, source: str) -> str:
    """``source`` as a C file under the cache directory, named by its
    content (written once, atomically): its path."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    folder = os.path.join(cache_dir(), "py-kernels")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{stem}-{digest}.c")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(source)
        os.replace(tmp, path)
    return path


def now() -> int:
    """The clock a kernel reads with ``ecsp.now()``: core-clock ticks on a
    chip, nanoseconds on the simulator; on the host, nanoseconds of the
    monotonic clock."""
    return time.monotonic_ns()


class PyKernel:
    """A Python function compiled to a kernel (:func:`kernel`). Call it with
    its channel ends (``x.reader()`` for an ``In`` port, ``y.writer()`` for
    an ``Out``, in its parameters' order), ``core=(row, col)``, ``name=`` and
    its parameters by name, to place it on a core in a ``Parallel``.

    ``c_source`` is the generated C; ``process(...)`` the same function as
    a Python process; ``ports``, ``params`` and ``stack`` what it declares.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        name: Optional[str],
        stack: Optional[int],
        forever: bool,
        checks: bool,
    ) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.__name__ = self.name
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn
        self._stack_wanted = stack
        self.forever = forever
        self.checks = checks
        self._source: Optional[str] = None
        self._compiler: Optional[FnCompiler] = None
        self._path: Optional[str] = None
        self._kernel: Optional[Kernel] = None
        if stack is not None and (not isinstance(stack, int) or isinstance(stack, bool) or stack < 256):
            raise ValueError(f"kernel `{self.name}`: stack is a number of bytes >= 256, got {stack!r}")

    def _compile(self) -> Tuple[str, FnCompiler]:
        if self._source is None or self._compiler is None:
            doc = (self.fn.__doc__ or "").strip().splitlines()
            summary = doc[0] if doc else f"Python kernel {self.fn.__name__}"
            self._source, self._compiler = compile_kernel(
                self.fn, self.name, summary, self._stack_wanted, self.forever, self.checks
            )
        return self._source, self._compiler

    @property
    def c_source(self) -> str:
        """The C kernel this function compiles to (``ecsp/kernel.h``)."""
        return self._compile()[0]

    @property
    def stack(self) -> int:
        """The bytes of stack it declares: ``stack=`` when given, else an
        estimate from its arrays and scalars."""
        return int(self._compile()[1].stack)

    @property
    def ports(self) -> List[Tuple[str, str, str]]:
        """(direction "in" or "out", name, channel dtype) per port, in order."""
        out = []
        for direction, v in self._compile()[1].ports:
            m = v.t.msg
            out.append((direction, v.name, m.dtype if hasattr(m, "dtype") else m.name))
        return out

    @property
    def barriers(self) -> List[str]:
        """Its barriers' names (``ecsp.Barrier`` parameters), in order."""
        return [n for d, n in self._compile()[1].order if d == "barrier"]

    @property
    def params(self) -> List[Tuple[str, str, Any]]:
        """(name, type, default or None) per parameter, in order."""
        import inspect

        out = []
        for v, default in self._compile()[1].params:
            out.append((v.name, v.t.name, None if default is inspect.Parameter.empty else default))
        return out

    @property
    def path(self) -> str:
        """The generated C file, written under the cache directory."""
        if self._path is None:
            self._path = cached_source(self.name, self.c_source)
        return self._path

    def _loaded(self) -> Kernel:
        if self._kernel is None:
            kf = kernel_file(self.path)
            self._kernel = kf[self.name]
        return self._kernel

    def __call__(
        self,
        *ends: Union[Reader, Writer],
        core: Optional[Tuple[int, int]] = None,
        name: Optional[str] = None,
        **params: Union[int, float, bool],
    ) -> DeviceProcess:
        k = self._loaded()
        order = self._compile()[1].order
        dtypes = {n: dt for _, n, dt in self.ports}
        if len(ends) == len(order):
            for (d, pname), e in zip(order, ends):
                got = "in" if isinstance(e, Reader) else "out" if isinstance(e, Writer) else "barrier" if isinstance(e, Barrier) else "?"
                if got != d:
                    if d == "barrier":
                        raise Error(f"kernel `{self.name}`: `{pname}` is a barrier: pass an ecsp.Barrier there, got {e!r}")
                    need = "a read end (ch.reader())" if d == "in" else "a write end (ch.writer())"
                    raise Error(f"kernel `{self.name}`: port `{pname}` ({'In' if d == 'in' else 'Out'}[{dtypes[pname]}]) takes {need}")
        return k(*ends, core=core, name=name, **params)

    def chip_code(self) -> Dict[str, int]:
        """What it costs on a core of the chip (see ``Kernel.chip_code``):
        code ``bytes`` with ecsp's runtime, the ``room`` for code, what is
        ``left``, ``stack_needed`` and ``stack_declared``."""
        return self._loaded().chip_code()

    def process(self, *args: Any, **kwargs: Any) -> Process:
        """The same function as a Python process, for ``Parallel``: its
        answers are what the kernel's should be. As on a core, a write
        sends the message's value (an array changed after it was written
        does not change what was sent) and returning closes the write ends
        it was given."""
        fn = self.fn
        args = tuple(_by_value(a) for a in args)
        kwargs = {k: _by_value(v) for k, v in kwargs.items()}

        def as_kernel(*a: Any, **k: Any) -> Any:
            result = fn(*a, **k)
            for e in list(a) + list(k.values()):
                if isinstance(e, Writer):
                    e.close()
            return result

        as_kernel.__name__ = self.name
        return Process(as_kernel, args, kwargs, self.name)

    def __repr__(self) -> str:
        return f"<ecsp Python kernel {self.name}>"


def _copied(value: Any) -> Any:
    """What a core would send for ``value``: a copy of a mutable array."""
    if isinstance(value, _array.array):
        return _array.array(value.typecode, value)
    if isinstance(value, bytearray):
        return bytes(value)
    if hasattr(value, "__array_interface__") and hasattr(value, "copy"):
        return value.copy()  # a numpy array
    return value


def _write_by_value(end: Any, value: Any) -> None:
    _core._write(end, _copied(value))


class _ValueWriter(Writer):
    """A write end that sends a copy of a mutable array, as a core sends
    the bytes of its message: it stands for the end it was made from (the
    channel counts one writer, and the process holds only this one)."""

    __slots__ = ()

    def __new__(cls, ch: Any) -> "_ValueWriter":
        self = partial.__new__(cls, _write_by_value)
        self.__setstate__((_write_by_value, (self,), None, None))  # type: ignore[attr-defined]
        self._ch = ch
        return self

    write = _write_by_value  # type: ignore[assignment]


def _by_value(arg: Any) -> Any:
    if isinstance(arg, Writer) and not isinstance(arg, _ValueWriter):
        return _ValueWriter(arg._ch)
    return arg


@overload
def kernel(fn: Callable[..., Any]) -> PyKernel: ...


@overload
def kernel(
    fn: None = None,
    *,
    name: Optional[str] = None,
    stack: Optional[int] = None,
    forever: bool = False,
    checks: bool = True,
) -> Callable[[Callable[..., Any]], PyKernel]: ...


def kernel(
    fn: Optional[Callable[..., Any]] = None,
    *,
    name: Optional[str] = None,
    stack: Optional[int] = None,
    forever: bool = False,
    checks: bool = True,
) -> Union[PyKernel, Callable[[Callable[..., Any]], PyKernel]]:
    """Makes a typed Python function a kernel: a device process compiled
    to C and run on a core (see ``PyKernel``)::

        @ecsp.kernel
        def scale(x: In[f32[64]], out: Out[f32[64]], a: f32 = 2.0):
            for v in x:
                r = ecsp.array(f32, 64)
                for i in range(64):
                    r[i] = a * v[i]
                out.write(r)

    Its parameters are its ports (``In[...]``, ``Out[...]``) and its
    parameters (``int`` is i32, ``float`` f64, ``bool``, or ``i32 u32 i64
    f32 f64``). It is compiled when first used; what a core cannot run
    raises ``ecsp.CompileError`` naming the file, line and fix. ``name``
    names the kind (default: the function's name); ``stack`` sets its stack
    in bytes (default: an estimate, checked on the chip against what the
    compiler says it needs); ``forever`` means a run does not wait for it
    (it still ends when its channels close or are poisoned); ``checks=False``
    leaves out index checks (an index outside an array is then undefined).
    """

    def wrap(f: Callable[..., Any]) -> PyKernel:
        if isinstance(f, (PyKernel, KernelHelper)):
            raise TypeError(f"{f!r} is already compiled for a core")
        if not callable(f) or not hasattr(f, "__code__"):
            raise TypeError(f"@ecsp.kernel decorates a def function, got {f!r}")
        return PyKernel(f, name, stack, forever, checks)

    if fn is not None:
        return wrap(fn)
    return wrap


def kernel_helper(fn: Callable[..., Any]) -> KernelHelper:
    """Makes a typed Python function callable from kernels: its parameters
    annotated scalars or arrays (``a: f32[64]``, passed by reference as in
    Python), its result a scalar (``-> f32``) or nothing. On the host it is
    the plain function."""
    if not callable(fn) or not hasattr(fn, "__code__"):
        raise TypeError(f"@ecsp.kernel_helper decorates a def function, got {fn!r}")
    return KernelHelper(fn)

