"""Processes, Parallel/Sequence, device processes and the Chip."""

from __future__ import annotations

import functools
import os
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import _core
from ._core import Channel, Reader, Writer
from .exceptions import DeadlockError, Error

__all__ = [
    "Chip",
    "DeviceProcess",
    "DeviceResult",
    "Parallel",
    "Process",
    "Sequence",
    "backends",
    "device",
    "kinds",
    "process",
]

# Without a timeout a device network still needs one: a day.
_DEVICE_TIMEOUT_DEFAULT = 86400.0


def _ext() -> Any:
    from . import _ecsp  # the Rust extension, loaded when a device is used

    return _ecsp


class Process:
    """A Python process: a function and its arguments, run by ``Parallel``
    or ``Sequence`` (made by calling an ``@ecsp.process`` function)."""

    __slots__ = ("fn", "args", "kwargs", "name")

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, name: Optional[str] = None) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.name = name if name is not None else getattr(fn, "__name__", "process")

    def __repr__(self) -> str:
        return f"<ecsp process {self.name}>"

    def ends(self) -> List[Union[Reader, Writer]]:
        """The channel ends among its arguments (also inside lists, tuples
        and dicts): the ends it holds, poisoned if it fails."""
        found: List[Union[Reader, Writer]] = []

        def look(v: Any, depth: int) -> None:
            if isinstance(v, (Reader, Writer)):
                found.append(v)
            elif depth and isinstance(v, (list, tuple)):
                for x in v:
                    look(x, depth - 1)
            elif depth and isinstance(v, dict):
                for x in v.values():
                    look(x, depth - 1)

        for a in self.args:
            look(a, 2)
        for a in self.kwargs.values():
            look(a, 2)
        return found


def process(fn: Callable[..., Any]) -> Callable[..., Process]:
    """Makes ``fn`` a process: calling it returns a :class:`Process` to give
    to ``ecsp.Parallel`` or ``ecsp.Sequence``, which run it and return what
    it returns.

    A process that lets ``ChannelPoisoned`` escape ends quietly and poisons
    every channel end among its arguments; one that lets ``ChannelClosed``
    escape closes its write ends; any other exception is a failure that
    poisons its ends and is re-raised by its Parallel.
    """

    # A Python kernel (@ecsp.kernel) as a Python process: its function.
    fn = getattr(fn, "fn", fn) if type(fn).__name__ == "PyKernel" else fn

    @functools.wraps(fn)
    def make(*args: Any, **kwargs: Any) -> Process:
        return Process(fn, args, kwargs)

    return make


@dataclass(frozen=True)
class DeviceResult:
    """What a device process returned: its ``value`` and ``aux`` results
    (what they mean depends on its kind, see ``ecsp.kinds()``), the
    ``ticks`` it measured, its ``core`` (row, col), and whether it
    ``finished`` (False: a kind that runs until stopped was stopped). A
    user's C kernel's ``result`` is what it gave ``ecsp_result`` (an int or
    a float; None when it gave none, or for a built-in kind)."""

    name: str
    kind: str
    core: Tuple[int, int]
    finished: bool
    value: int
    aux: int
    ticks: int
    result: Optional[Union[int, float]] = None


class DeviceProcess:
    """A device process, made by :func:`device` (a built-in kind) or by
    calling a :class:`Kernel` (a user's C kernel)."""

    __slots__ = ("kind", "ends", "core", "name", "params", "kernel_file")

    def __init__(
        self,
        kind: str,
        ends: Tuple[Any, ...],
        core: Optional[Tuple[int, int]],
        name: Optional[str],
        params: Dict[str, Any],
        kernel_file: Optional[str] = None,
    ) -> None:
        self.kind = kind
        self.ends = ends
        self.core = core
        self.name = name
        self.params = params
        self.kernel_file = kernel_file

    def __repr__(self) -> str:
        return f"<ecsp device process {self.name or self.kind}>"


class Barrier:
    """A barrier device processes take part in: a C kernel's ``BARRIER``
    item, a Python kernel's ``ecsp.Barrier`` parameter. Give the same
    Barrier to each process in the place of that item, among its ends; each
    then waits in ``sync`` until every process given it has arrived, over
    and over. ``wand=True`` makes it the chip's hardware barrier (the
    ``wand`` instruction: no mesh traffic; one per network). Barriers join
    device processes only: a Python process given one is refused."""

    __slots__ = ("name", "wand")
    _made = 0

    def __init__(self, name: Optional[str] = None, wand: bool = False) -> None:
        if name is None:
            Barrier._made += 1
            name = f"barrier{Barrier._made}"
        if not isinstance(name, str) or not name:
            raise ValueError(f"a barrier's name is a non-empty str, got {name!r}")
        self.name = name
        self.wand = bool(wand)

    def __repr__(self) -> str:
        return f"<ecsp barrier {self.name}>"


def kinds() -> Dict[str, Dict[str, Any]]:
    """The built-in device process kinds: name -> dict of ``summary``,
    ``inputs`` and ``outputs`` ((min, max) read and write ends), ``params``
    (parameter names) and ``forever`` (True: runs until its input ends or is
    poisoned, and a network does not wait for it)."""
    out = {}
    for name, summary, inputs, outputs, params, forever in _ext().kinds():
        out[name] = {"summary": summary, "inputs": inputs, "outputs": outputs, "params": list(params), "forever": forever}
    return out


def device(
    kind: str,
    *ends: Union[Reader, Writer],
    core: Optional[Tuple[int, int]] = None,
    name: Optional[str] = None,
    **params: Union[int, float, str],
) -> DeviceProcess:
    """A built-in device process of ``kind`` (see ``ecsp.kinds()``), placed
    on a core of the chip when its ``Parallel`` runs.

    ``ends`` are its channel ends: its read ends are its inputs, its write
    ends its outputs, each in the order given. ``core=(row, col)`` pins it
    to a core; ``name`` names it in results and errors (default: its kind,
    numbered when several share a kind); ``params`` are its
    parameters: ints, floats for real parameters (``map``'s ``a``), strs
    for named choices (``map``'s ``fn="square"``).
    """
    known = kinds()
    if kind not in known:
        raise Error(
            f"unknown device process kind `{kind}`; built-in kinds are: {', '.join(known)} "
            "(a user's kernel comes from ecsp.kernel_file)"
        )
    _check_ends_and_core(f"device process `{kind}`", ends, core)
    for k, v in params.items():
        if k not in known[kind]["params"]:
            ps = ", ".join(known[kind]["params"]) or "no parameters"
            raise Error(f"device process `{kind}`: unknown parameter `{k}`; {kind} takes: {ps}")
        ok = isinstance(v, (int, float, str)) and not isinstance(v, bool)
        if not ok or (isinstance(v, int) and not -(2**63) <= v < 2**63):
            raise Error(
                f"device process `{kind}`: parameter `{k}` must be an int that fits 64 bits, a float or a str, got {v!r}"
            )
    return DeviceProcess(kind, tuple(ends), core, name, dict(params))


def _check_ends_and_core(what: str, ends: Tuple[Any, ...], core: Optional[Tuple[int, int]]) -> None:
    for e in ends:
        if not isinstance(e, (Reader, Writer, Barrier)):
            raise TypeError(f"{what}: {e!r} is not a channel end (use ch.reader() or ch.writer()) nor an ecsp.Barrier")
    if core is not None:
        if not (isinstance(core, tuple) and len(core) == 2 and all(isinstance(c, int) and c >= 0 for c in core)):
            raise Error(f"{what}: core must be a (row, col) pair of ints >= 0, got {core!r}")


class Kernel:
    """One kernel of a C kernel file (:func:`kernel_file`): call it with its
    channel ends (read ends for its ``IN`` ports, write ends for its ``OUT``
    ports, each in the order declared), ``core=(row, col)``, ``name=`` and its
    parameters by name, to place it on a core in a ``Parallel``, like
    :func:`device`. ``ports``, ``params`` and ``summary`` say what it takes."""

    def __init__(
        self,
        path: str,
        name: str,
        summary: str,
        line: int,
        ports: List[Tuple[str, str, str]],
        params: List[Tuple[str, str, Any]],
        barriers: List[str],
        stack: int,
        forever: bool,
    ) -> None:
        self.path = path
        self.name = name
        self.summary = summary
        self.line = line
        #: (direction "in" or "out", name, message type) per port, in order.
        self.ports = ports
        #: (name, type, default or None) per parameter, in order.
        self.params = params
        self.barriers = barriers
        self.stack = stack
        self.forever = forever

    def __call__(
        self,
        *ends: Union[Reader, Writer],
        core: Optional[Tuple[int, int]] = None,
        name: Optional[str] = None,
        **params: Union[int, float, bool],
    ) -> DeviceProcess:
        what = f"kernel `{self.name}` ({self.path}:{self.line})"
        _check_ends_and_core(what, ends, core)
        given = sum(isinstance(e, Barrier) for e in ends)
        if given != len(self.barriers):
            takes = ", ".join(self.barriers) or "none"
            raise Error(f"{what}: given {given} barriers, it takes {len(self.barriers)} ({takes}): pass an ecsp.Barrier for each")
        known = [p[0] for p in self.params]
        for k, v in params.items():
            if k not in known:
                takes = ", ".join(f"{p[0]} ({p[1]})" for p in self.params) or "no parameters"
                raise Error(f"{what}: unknown parameter `{k}`; {self.name} takes: {takes}")
            if not isinstance(v, (int, float, bool)):
                raise Error(f"{what}: parameter `{k}` takes a number or a bool, got {v!r}")
        return DeviceProcess(self.name, tuple(ends), core, name, dict(params), self.path)

    def chip_code(self) -> Dict[str, int]:
        """What it costs on a core of the chip, measured by building an
        image that carries it alone with the Epiphany compiler
        (``ECSP_EPIPHANY_CC``, else ``e-gcc`` or ``epiphany-elf-gcc``; cached
        like every image): ``bytes`` of code with ecsp's runtime, the
        ``room`` a core has for code, what is ``left`` for the other kinds a
        core runs, its ``stack_needed`` by the compiler's account and its
        ``stack_declared``. Raises :class:`Error` without an Epiphany
        compiler."""
        code, room, needed, declared = _ext().kernel_image(self.path, self.name)
        return {"bytes": code, "room": room, "left": room - code, "stack_needed": needed, "stack_declared": declared}

    def __repr__(self) -> str:
        return f"<ecsp kernel {self.name} of {self.path}>"


class KernelFile:
    """A C kernel file's kernels (:func:`kernel_file`), by name: as
    attributes (``kf.stencil``), ``kf["stencil"]`` or ``kf.kernels``; a file
    of one kernel is itself callable as that kernel."""

    def __init__(self, path: str, kernels: List[Kernel]) -> None:
        self.path = path
        self.kernels: Dict[str, Kernel] = {k.name: k for k in kernels}

    def __getitem__(self, name: str) -> Kernel:
        try:
            return self.kernels[name]
        except KeyError:
            raise KeyError(f"{self.path} declares no kernel `{name}`; it declares: {', '.join(self.kernels)}") from None

    def __getattr__(self, name: str) -> Kernel:
        kernels = self.__dict__.get("kernels", {})
        if name in kernels:
            return kernels[name]
        raise AttributeError(f"{self.__dict__.get('path')} declares no kernel `{name}`; it declares: {', '.join(kernels)}")

    def __call__(self, *ends: Union[Reader, Writer], **kwargs: Any) -> DeviceProcess:
        if len(self.kernels) != 1:
            raise Error(
                f"{self.path} declares {len(self.kernels)} kernels ({', '.join(self.kernels)}): "
                "call one of them, e.g. kf.<name>(...)"
            )
        return next(iter(self.kernels.values()))(*ends, **kwargs)

    def __repr__(self) -> str:
        return f"<ecsp kernel file {self.path}: {', '.join(self.kernels)}>"


def kernel_file(path: Union[str, "os.PathLike[str]"]) -> KernelFile:
    """Reads the C kernel file at ``path`` (see ``ecsp/kernel.h``): its
    kernels, usable like built-in kinds. The file is compiled when a
    ``Parallel`` first runs one of its kernels (by the host's C compiler
    on the simulator, ``$CC`` or ``cc``; by the Epiphany compiler for the
    chip), and cached: an unchanged file is not compiled again. A
    declaration ecsp cannot read raises :class:`Error` naming the file and
    line."""
    full = os.path.abspath(os.fspath(path))
    rows = _ext().kernel_declarations(full)
    return KernelFile(full, [Kernel(full, *row) for row in rows])


def backends() -> List[str]:
    """The backends this build of ``ecsp`` can open a :class:`Chip` on:
    ``["sim"]``, or ``["sim", "esdk"]`` when it was built with the eSDK
    (``pip install ./python --config-settings=build-args="--features esdk"``).
    Whether an esdk chip then opens depends on the machine: a Parallella's
    ``/dev/epiphany/mesh0``, or esim with ``EHAL_TARGET=esim``."""
    return ["sim", "esdk"] if _ext().ESDK else ["sim"]


# -- the chip --------------------------------------------------------------------

_chips: List["Chip"] = []
_default_chip: Optional["Chip"] = None


class Chip:
    """The chip device processes run on: a simulated Parallella-16 unless
    told otherwise. Use it as a context manager: ``Parallel`` calls inside
    the ``with`` block run on it.

    Args:
        board: a built-in board ("parallella-16", "parallella-64") or the
            path of a board file in the eSDK's HDF format.
        backend: "sim" (the simulator, the default) or "esdk": the real
            Epiphany of a Parallella through the Epiphany SDK's e-hal (also
            its simulator esim, with ``EHAL_TARGET=esim``). "esdk" needs an
            ``ecsp`` built with it (see :func:`backends`):
            ``pip install ./python --config-settings=build-args="--features esdk"``
            with the eSDK at hand. One esdk chip at a time per process.
        mode: "threaded" (the default) runs as fast as the host allows;
            "deterministic" runs the chip and the Python processes in an
            order drawn from ``seed``, so a program replays exactly (the
            simulator only: silicon runs as it runs).
        seed: the seed of a deterministic run (implies
            ``mode="deterministic"``); without one a fresh seed is drawn
            and kept in ``chip.seed``.
        threads: host threads for the simulated cores (threaded mode).
        idle: what the simulator's waiting threads, and the host's waits
            on the chip, do (threaded mode): "park" (the default) sleeps
            until woken, so a waiting network burns no CPU; "spin" spins
            (up to 50 ms) first, so a stream through host channels or a
            benchmark pays no OS wake-ups, at the price of a busy CPU per
            waiting thread (give ``threads`` to leave CPUs to the host).
        placement: how device processes without a pinned core are placed:
            "auto" (the default, as ``ecsp run``: the mapper keeps channels
            short on the mesh and spreads processes evenly), "spread" (one
            per core in mesh order) or "packed" (all on the first core).
        device_image: with ``backend="esdk"``, the device image to load (an
            ``ecsp-device.elf``); default: the one ``ecsp`` was built with.
    """

    def __init__(
        self,
        board: str = "parallella-16",
        backend: str = "sim",
        mode: Optional[str] = None,
        seed: Optional[int] = None,
        threads: Optional[int] = None,
        idle: Optional[str] = None,
        placement: str = "auto",
        device_image: Optional[Union[str, "os.PathLike[str]"]] = None,
    ) -> None:
        if backend not in ("sim", "esdk"):
            raise Error(f"unknown backend {backend!r}: 'sim' (the simulator) or 'esdk' (a real Parallella)")
        if placement not in ("auto", "spread", "packed"):
            raise Error(f"unknown placement {placement!r}: 'auto', 'spread' or 'packed'")
        self.backend: str = backend
        self.placement = placement
        if backend == "esdk":
            # Silicon runs as it runs: the simulator's schedule options mean
            # nothing there, so they are refused rather than ignored.
            if mode not in (None, "threaded"):
                raise Error(
                    f"mode={mode!r} applies to backend='sim' only: a real chip (backend='esdk') runs as it runs; "
                    "drop mode, or use backend='sim' to replay a run"
                )
            if seed is not None:
                raise Error(
                    "seed applies to backend='sim' only (a deterministic simulated run): drop seed with backend='esdk'"
                )
            if threads is not None:
                raise Error("threads applies to backend='sim' only (host threads of simulated cores): drop threads")
            if idle is not None:
                raise Error("idle applies to backend='sim' only (the simulator's waiting threads): drop idle")
            if not _ext().ESDK:
                raise Error(
                    "backend 'esdk' (a real Parallella, or the eSDK's esim) is not in this build of ecsp: reinstall it "
                    "with the eSDK at hand (EPIPHANY_HOME) and an Epiphany C compiler (ECSP_EPIPHANY_CC): "
                    "pip install ./python --config-settings=build-args=\"--features esdk\"; "
                    "or use backend='sim', the simulator"
                )
            self.mode: str = "threaded"
            self.seed: Optional[int] = None
            self._rng: Optional[random.Random] = None
            self._chip = _ext().Chip.esdk(board, None if device_image is None else os.fspath(device_image))
            return
        if device_image is not None:
            raise Error("device_image applies to backend='esdk' only: the simulator runs the Rust device runtime")
        if mode is None:
            mode = "deterministic" if seed is not None else "threaded"
        if mode not in ("threaded", "deterministic"):
            raise Error(f"unknown mode {mode!r}: 'threaded' or 'deterministic'")
        if mode == "threaded" and seed is not None:
            raise Error("seed applies to mode='deterministic' only: drop the seed or set mode='deterministic'")
        if mode == "deterministic" and threads is not None:
            raise Error("threads applies to mode='threaded' only: a deterministic chip runs on one host thread")
        if seed is not None and (not isinstance(seed, int) or not 0 <= seed < 2**64):
            raise Error(f"seed must be an int in 0..2**64, got {seed!r}")
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise Error(f"threads must be an int >= 1, got {threads!r}")
        if idle not in (None, "park", "spin"):
            raise Error(f"unknown idle {idle!r}: 'park' (sleep until woken, the default) or 'spin'")
        if mode == "deterministic" and idle is not None:
            raise Error("idle applies to mode='threaded' only: a deterministic chip steps only while the host waits")
        if mode == "deterministic" and seed is None:
            seed = random.SystemRandom().getrandbits(63)
        self.mode = mode
        self.seed = seed
        self._rng = random.Random(seed) if mode == "deterministic" else None
        self._chip = _ext().Chip.sim(board, mode, seed, threads, idle or "park")

    @property
    def board(self) -> str:
        """The board's name."""
        return self._chip.board

    @property
    def shape(self) -> Tuple[int, int]:
        """(rows, cols) of cores."""
        return self._chip.shape

    @property
    def ticks_per_second(self) -> int:
        """Ticks per second of a device process's clock (``DeviceResult.ticks``):
        nanoseconds on the simulator, the 600 MHz core clock on silicon."""
        return self._chip.ticks_per_second

    def __repr__(self) -> str:
        if self.backend == "esdk":
            return f"Chip(board={self.board!r}, backend='esdk')"
        seed = f", seed={self.seed}" if self.seed is not None else ""
        return f"Chip(board={self.board!r}, mode={self.mode!r}{seed})"

    def __enter__(self) -> "Chip":
        _chips.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self in _chips:
            _chips.remove(self)


def _current_chip(need: bool) -> Optional[Chip]:
    global _default_chip
    if _chips:
        return _chips[-1]
    if not need:
        return None
    if _default_chip is None:
        _default_chip = Chip()
    return _default_chip


# -- Parallel and Sequence ------------------------------------------------------------


def _flatten(items: Tuple[Any, ...]) -> List[Any]:
    out: List[Any] = []
    for it in items:
        if isinstance(it, (list, tuple)):
            out.extend(_flatten(tuple(it)))
        elif isinstance(it, (Process, DeviceProcess)):
            out.append(it)
        else:
            raise TypeError(
                f"Parallel and Sequence run processes (made by an @ecsp.process function or ecsp.device), got {it!r}"
            )
    return out


class _SessionWait:
    """A device session seen as a run to wait for (``done``, ``wait``): done
    once it can never move again, or at its deadline."""

    def __init__(self, session: Any, deadline: float) -> None:
        self.session = session
        self.deadline = deadline

    def done(self) -> bool:
        return bool(self.session.progress() != 0 or time.monotonic() >= self.deadline)

    def wait(self, seconds: float) -> bool:
        self.session.wait_event(seconds)
        return self.done()


class _DeviceNet:
    """The device processes of one Parallel, as a network on the chip; a
    channel between them and Python processes is a host channel."""

    def __init__(self, chip: Chip, devs: List[Tuple[int, DeviceProcess]], python_ends: Dict[Channel, List[Any]]) -> None:
        ext = _ext()
        self.chip = chip
        self.devs = devs
        net = ext.DeviceNetwork()
        readers: Dict[Channel, List[Tuple[DeviceProcess, Reader]]] = {}
        writers: Dict[Channel, List[Tuple[DeviceProcess, Writer]]] = {}
        order: List[Channel] = []
        for _, d in devs:
            for e in d.ends:
                if isinstance(e, Barrier):
                    continue
                ch = e.channel
                if ch not in readers:
                    readers[ch], writers[ch] = [], []
                    order.append(ch)
                (readers if isinstance(e, Reader) else writers)[ch].append((d, e))
        names: Dict[int, str] = {}
        counts: Dict[str, int] = {}
        for _, d in devs:
            counts[d.kind] = counts.get(d.kind, 0) + 1
        seen: Dict[str, int] = {}
        for _, d in devs:
            if d.name is not None:
                names[id(d)] = d.name
            else:
                seen[d.kind] = seen.get(d.kind, 0) + 1
                names[id(d)] = d.kind if counts[d.kind] == 1 else f"{d.kind}#{seen[d.kind]}"
        ids: Dict[Channel, int] = {}
        # Host channels: (channel, Python writer ends or None when Python reads it).
        self.hosted: List[Tuple[Channel, Optional[List[Writer]]]] = []
        for ch in order:
            r, w = readers[ch], writers[ch]
            who = names[id((r or w)[0][0])]
            py_ends = python_ends.get(ch, [])
            py_r = [e for e in py_ends if isinstance(e, Reader)]
            py_w = [e for e in py_ends if isinstance(e, Writer)]
            if (py_r and r) or (py_w and w) or (py_r and py_w):
                raise Error(
                    f"channel `{ch.name}` has Python and device processes on one side (device process `{who}`): "
                    "a channel between Python and device processes has Python processes on one side only and "
                    "device processes on the other"
                )
            if not (r or py_r) or not (w or py_w):
                missing = "reads" if not (r or py_r) else "writes"
                raise Error(
                    f"channel `{ch.name}` is used by device process `{who}` but no process in this Parallel {missing} it"
                )
            kind = {(False, False): "one2one", (True, False): "any2one", (False, True): "one2any", (True, True): "any2any"}[
                (len(w) > 1, len(r) > 1)
            ]
            ids[ch] = net.channel(ch.name, ch.dtype, ch.buffer, kind)
            if py_r or py_w:
                self.hosted.append((ch, py_w if py_w else None))
        self.channels = order
        added: List[str] = []
        for _, d in devs:
            if d.kernel_file is not None and d.kernel_file not in added:
                net.kernel_file(d.kernel_file)
                added.append(d.kernel_file)
        procs: List[int] = []
        for _, d in devs:
            inputs = [ids[e.channel] for e in d.ends if isinstance(e, Reader)]
            outputs = [ids[e.channel] for e in d.ends if isinstance(e, Writer)]
            procs.append(net.process(names[id(d)], d.kind, inputs, outputs, sorted(d.params.items()), d.core))
        self._barriers(net, [d for _, d in devs], procs, names)
        self.ids = ids
        self.net = net
        self.session: Any = None
        self.saved: List[int] = []
        self.timeout = _DEVICE_TIMEOUT_DEFAULT

    @staticmethod
    def _barriers(net: Any, devs: List[DeviceProcess], procs: List[int], names: Dict[int, str]) -> None:
        """Adds the network's barriers. A process's barriers are matched to
        its kind's in the order it was given them, and the network keeps one
        order for all: barriers are added in the order they first appear."""
        order: List[Barrier] = []
        for d in devs:
            for e in d.ends:
                if isinstance(e, Barrier) and all(e is not b for b in order):
                    order.append(e)
        for d in devs:
            mine = [next(i for i, b in enumerate(order) if b is e) for e in d.ends if isinstance(e, Barrier)]
            if mine != sorted(mine) or len(set(mine)) != len(mine):
                first = [b.name for b in order if any(b is e for e in d.ends)]
                raise Error(
                    f"device process `{names[id(d)]}` is given barriers {', '.join(e.name for e in d.ends if isinstance(e, Barrier))} "
                    f"in another order than earlier processes give them ({', '.join(first)}), or one twice: "
                    "give every process its barriers in one order"
                )
        for b in order:
            members = [p for d, p in zip(devs, procs) if any(e is b for e in d.ends)]
            net.barrier(b.name, members, b.wand)

    def start(self, timeout: Optional[float]) -> None:
        """Starts the network as a session: its cores run (on the
        simulator's threads, or on the chip) while Python processes run here, and the Python processes on
        its host channels use the session's host ends."""
        self.timeout = _DEVICE_TIMEOUT_DEFAULT if timeout is None else timeout
        self.started = time.monotonic()
        self.session = _ext().DeviceSession(self.chip._chip, self.net, self.chip.placement)
        self.saved = [ch._state for ch in self.channels]
        for ch in self.channels:
            ch._state = _core._DEVICE
        for ch, py_writers in self.hosted:
            cid = self.ids[ch]
            if py_writers is not None:
                ch._host = _core._HostEnd(ch, self.session.host_sender(cid), None, py_writers, self.session)
            else:
                ch._host = _core._HostEnd(ch, None, self.session.host_receiver(cid), [], self.session)
            ch._state = _core._HOST

    def finish(self, wait: bool) -> List[DeviceResult]:
        """Waits for the network to end (``wait``; else halts it now) and
        returns its results, or raises its error. The wait is in Python, in
        short waits, so Ctrl-C interrupts it (and halts the chip); inside a
        process the other Python processes run meanwhile."""
        try:
            if wait:
                _core.wait_device(_SessionWait(self.session, self.started + self.timeout))
            rows = self.session.finish(wait, self.timeout)
        except BaseException:
            try:
                self.session.finish(False, 0.0)  # halts the chip; the first error is the one to see
            except BaseException:  # noqa: BLE001
                pass
            raise
        finally:
            for ch, st in zip(self.channels, self.saved):
                ch._state = st
                ch._host = None
        return [DeviceResult(*row) for row in rows]


def Parallel(*procs: Any, timeout: Optional[float] = None) -> List[Any]:
    """Runs ``procs`` (Python processes and device processes) in parallel
    and returns their results in order: what each Python process returned,
    a :class:`DeviceResult` for each device process.

    The first failure (in argument order) is re-raised once every process
    has ended; a failed process poisons its channels so the others shut
    down. A deadlock raises ``DeadlockError``; passing ``timeout`` seconds
    raises ``ecsp.TimeoutError``. Called from inside a process, it runs the
    processes on the same scheduler and returns when they are done.
    """
    items = _flatten(procs)
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout != timeout or timeout < 0):
        raise ValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
    py: List[Tuple[int, Callable, tuple, dict, str, list]] = []
    devs: List[Tuple[int, DeviceProcess]] = []
    python_ends: Dict[Channel, List[Any]] = {}
    counts: Dict[str, int] = {}
    for it in items:
        if isinstance(it, Process):
            counts[it.name] = counts.get(it.name, 0) + 1
    seen: Dict[str, int] = {}
    for i, it in enumerate(items):
        if isinstance(it, Process):
            held = [a for a in list(it.args) + list(it.kwargs.values()) if isinstance(a, Barrier)]
            if held:
                raise Error(
                    f"Python process `{it.name}` is given {held[0]!r}: barriers join device processes only "
                    "(C kernels, Python kernels run on the cores)"
                )
            ends = it.ends()
            for e in ends:
                python_ends.setdefault(e.channel, []).append(e)
            name = it.name
            if counts[name] > 1:
                seen[name] = seen.get(name, 0) + 1
                name = f"{name}#{seen[name]}"
            py.append((i, it.fn, it.args, it.kwargs, name, ends))
        else:
            devs.append((i, it))
    chip = _current_chip(need=bool(devs))
    dnet = _DeviceNet(chip, devs, python_ends) if devs else None  # type: ignore[arg-type]
    rng = (chip._rng, chip.seed or 0) if chip is not None and chip._rng is not None else None
    if dnet is not None:
        dnet.start(timeout)
    results: List[Any] = [None] * len(items)
    py_error: Optional[BaseException] = None
    try:
        if py:
            sessions = [dnet.session] if dnet is not None and dnet.session is not None else []
            for (i, *_), r in zip(py, _core.run_processes(py, timeout, rng, sessions)):
                results[i] = r
    except BaseException as e:  # the device run must end before this Parallel does
        py_error = e
    if dnet is not None:
        try:
            # After a Python failure the network is halted at once, unless it
            # is independent of the Python processes (no host channels) and
            # they deadlocked: then its own outcome is waited for, as the
            # first failure may be there.
            independent = not dnet.hosted and isinstance(py_error, DeadlockError)
            dres = dnet.finish(wait=py_error is None or independent)
        except BaseException as e:
            if py_error is None or isinstance(py_error, DeadlockError):
                raise e from py_error
            raise py_error from e
        if py_error is not None:
            raise py_error
        for (i, _), r in zip(devs, dres):
            results[i] = r
    elif py_error is not None:
        raise py_error
    return results


def Sequence(*procs: Any, timeout: Optional[float] = None) -> List[Any]:
    """Runs ``procs`` one after another and returns their results in order;
    the first failure is raised at once. ``timeout`` bounds the whole
    sequence."""
    items = _flatten(procs)
    deadline = None if timeout is None else time.monotonic() + timeout
    out = []
    for it in items:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        out.append(Parallel(it, timeout=left)[0])
    return out
