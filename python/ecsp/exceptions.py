"""The exceptions of ecsp: every one is an :class:`Error`.

The extension module raises these same classes for device processes (it
builds them by name from this module), so ``except ecsp.ProcessError``
catches a failure on a core as well as one reported by a Python process's
network.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

__all__ = [
    "Error",
    "ChannelPoisoned",
    "ChannelClosed",
    "ProcessError",
    "DeadlockError",
    "PlanError",
    "TimeoutError",
    "CompileError",
    "KernelFailure",
]

_builtin_timeout = TimeoutError


class Error(Exception):
    """The base of every ecsp exception."""


class ChannelPoisoned(Error):
    """The channel was poisoned: every use of its ends raises this.

    A process that lets it escape ends quietly and poisons every channel end
    it was given, so poison spreads through a network and shuts it down.

    Attributes:
        done: from ``write_many`` and ``read_many``, how many messages of
            the batch went through before the poison: written (on a
            rendezvous, taken by a reader; with a buffer, put in it, as a
            ``write`` returns then), or read (the first ``done`` rows of
            the array, ``out``'s when given). None from a single ``read``
            or ``write`` and from an ``Alt``, which move no batch.
    """

    def __init__(self, message: str, done: Optional[int] = None) -> None:
        super().__init__(message)
        self.done = done


class ChannelClosed(Error):
    """The channel was closed: its writers retired and nothing is left to read
    (or, for a writer, its readers retired).

    A process that lets it escape ends quietly and closes the write ends it
    was given, so the end of a stream flows down a pipeline.

    Attributes:
        done: from ``write_many``, how many messages of the batch were
            written before the close (as for ``ChannelPoisoned``); from
            ``read_many``, 0 (it raises only when no message came: after
            some, it returns them). None from a single ``read`` or
            ``write`` and from an ``Alt``.
    """

    def __init__(self, message: str, done: Optional[int] = None) -> None:
        super().__init__(message)
        self.done = done


class ProcessError(Error):
    """A device process (or the core it ran on) failed.

    Attributes:
        process: the process's name, or None when the core failed outside
            any process.
        core: ``(row, col)`` of its core inside the chip.
        message: what happened.
    """

    def __init__(
        self,
        message: str,
        process: Optional[str] = None,
        core: Optional[Tuple[int, int]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.process = process
        self.core = core


class DeadlockError(Error):
    """No process can ever run again, and some have not finished.

    Attributes:
        report: a dict: ``blocked``, a list of dicts (``process``, ``core``
            (None for a Python process), ``waits``: what it waits on in
            words, ``channel``: ``(name, "read"|"write")`` or None);
            ``cycle``, a list of ``(process, channel, "read"|"write", peer)``
            links, empty when the waits form no cycle; ``seed``, the seed
            that replays the run in deterministic mode, or None; ``text``,
            all of it in words.
    """

    def __init__(self, message: str, report: Optional[dict] = None) -> None:
        super().__init__(message)
        self.report: dict = report if report is not None else {
            "blocked": [],
            "cycle": [],
            "seed": None,
            "text": message,
        }


class PlanError(Error):
    """A network of device processes cannot be placed on the chip.

    Attributes:
        core: ``(row, col)`` of the core that does not fit, when one core is
            the problem, else None.
        bytes_over: bytes over the core's 32 KiB SRAM, when memory is the
            problem, else None.
        bytes_needed: bytes the core would need, when memory is the problem.
        processes: the names of the processes on that core, or how many.
    """

    def __init__(
        self,
        message: str,
        core: Optional[Tuple[int, int]] = None,
        bytes_over: Optional[int] = None,
        bytes_needed: Optional[int] = None,
        processes: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.core = core
        self.bytes_over = bytes_over
        self.bytes_needed = bytes_needed
        self.processes = processes


class TimeoutError(Error, _builtin_timeout):  # noqa: A001 - ecsp.TimeoutError, also a builtin TimeoutError
    """A network did not finish within its timeout.

    Attributes:
        timeout: the limit, in seconds.
    """

    def __init__(self, message: str, timeout: Optional[float] = None, **_: Any) -> None:
        super().__init__(message)
        self.timeout = timeout


class CompileError(Error):
    """A Python kernel (``@ecsp.kernel``) uses something a core cannot run,
    or mixes types: raised when the kernel is first compiled (its first use,
    or ``kernel.c_source``), naming the Python file, the line, the construct
    and what to write instead.

    Attributes:
        path: the Python file.
        line: the line in it, from 1.
        construct: the construct, as written (``"x.append(v)"``).
    """

    def __init__(self, message: str, path: str = "", line: int = 0, construct: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.construct = construct


class KernelFailure(Error):
    """Raised by a kernel to end as a failure: ``raise
    ecsp.KernelFailure("no convergence")``. On a core the run then poisons
    the network and reports the message, with the kernel and its core; as a
    Python process it is the process's failure, as any exception is."""
