"""The compiler of Python kernels: a typed Python function to a C kernel of
``ecsp/kernel.h`` (one ``ECSP_KERNEL`` and the static helpers it calls).

It reads the function's source (``ast``), types every local from its first
assignment (``_ktypes`` holds the promotion rules), and writes C a person
can read: one C statement per Python statement where it can, locals
declared at the top as the kernel's stack holds them. Anything outside the
subset raises :class:`CompileError` naming the file, the line, the
construct and what to write instead.

The generated C keeps Python's meaning where C differs: ``//`` and ``%``
floor, division by zero and an index outside an array end the kernel as a
failure naming the Python line (a loop index the compiler can prove in range
is not checked), negative indexes count from the end, reads of a closed
channel end the kernel as a Python process ends on ``ChannelClosed``.
"""

from .compiler import FnCompiler, compile_kernel
from .model import KernelHelper

__all__ = ["FnCompiler", "KernelHelper", "compile_kernel"]
