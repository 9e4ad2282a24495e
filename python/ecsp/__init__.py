"""ecsp: CSP message passing for the Epiphany many-core chip, from Python.

Processes share nothing and talk over channels. Python processes run on
ecsp's own user-space scheduler; device processes (built-in kinds, see
:func:`kinds`, your own C kernels, see :func:`kernel_file`, and typed
Python compiled for the cores, see :func:`kernel`) run on the
cores of a simulated (or real) Epiphany chip: ``ecsp.Chip(backend="esdk")``
on a Parallella, see :func:`backends`.

Example::

    import ecsp

    @ecsp.process
    def produce(out, n):
        for i in range(n):
            out(i)
        ecsp.close(out)

    @ecsp.process
    def total(inp):
        return sum(inp)          # iterating a read end stops at close or poison

    ch = ecsp.Channel()
    print(ecsp.Parallel(produce(ch.writer(), 100), total(ch.reader()), timeout=10))
    # [None, 4950]
"""

from ._api import (
    Barrier,
    Chip,
    DeviceProcess,
    DeviceResult,
    Kernel,
    KernelFile,
    Parallel,
    Process,
    Sequence,
    backends,
    device,
    kernel_file,
    kinds,
    process,
)
from ._core import Alt, Channel, Reader, Skip, Timeout, Writer, close, poison
from ._kernel import PyKernel, kernel, kernel_helper, now
from ._ktypes import In, Out, array, f32, f64, i32, i64, u8, u32
from .dtypes import Bytes
from .exceptions import (
    ChannelClosed,
    ChannelPoisoned,
    CompileError,
    DeadlockError,
    Error,
    KernelFailure,
    PlanError,
    ProcessError,
    TimeoutError,
)

__all__ = [
    "Alt",
    "Barrier",
    "CompileError",
    "In",
    "KernelFailure",
    "Out",
    "PyKernel",
    "array",
    "f32",
    "f64",
    "i32",
    "i64",
    "kernel",
    "kernel_helper",
    "now",
    "u8",
    "u32",
    "Bytes",
    "Channel",
    "ChannelClosed",
    "ChannelPoisoned",
    "Chip",
    "DeadlockError",
    "DeviceProcess",
    "DeviceResult",
    "Error",
    "Kernel",
    "KernelFile",
    "Parallel",
    "PlanError",
    "Process",
    "ProcessError",
    "Reader",
    "Sequence",
    "Skip",
    "Timeout",
    "TimeoutError",
    "Writer",
    "backends",
    "close",
    "device",
    "kernel_file",
    "kinds",
    "poison",
    "process",
]
