"""Benchmarks, runnable once the package is installed:

    python -m ecsp.bench commstime [--iterations N] [--device] [--placement spread|packed|auto] [--json]
                                   [--against pycsp,floor] [--rounds R]
    python -m ecsp.bench host-channel [--sizes 4,64,...] [--messages N] [--capacity C] [--rounds R]
                                      [--dtype f32|bytes] [--threads T] [--idle spin|park] [--json]
    python -m ecsp.bench kernels [--messages N] [--rounds R] [--backend sim|esdk] [--against pycsp]
                                 [--code] [--json]

Commstime (Prefix -> Delta -> Succ -> Prefix, Delta also feeding a
Consumer that times N reads; one loop is four rendezvous communications)
with the four processes in Python on ecsp's scheduler, or with ``--device``
as built-in device processes on the simulated chip, started from Python
(compare ``ecsp bench commstime --json``). ``--against pycsp,floor`` runs
PyCSP's greenlet backend and bare greenlets (the floor of any greenlet CSP
library, ``ecsp._baselines``) beside it, taking turns, and compares.

Python kernels (``@ecsp.kernel``, see ``ecsp._kbench``): map square and
mandel as a Python kernel, as the hand-written C kernel of ``ecsp bench
kernels`` and as the built-in, side by side on one chip (nanoseconds on the
simulator, core ticks with ``--backend esdk``); commstime of four Python
kernels beside four Python processes (and PyCSP's with ``--against
pycsp``); compile cost; ``--code``: each kernel's code bytes on a core (an
Epiphany compiler is needed).

Host-channel throughput from Python (a Python process's ``write_many`` of
N messages into a device ``consume``; a device ``ramp`` into
``read_many``; each from or into one numpy array of up to 1 MiB, chunk
after chunk) beside ``ecsp bench host-channel``'s own Rust
measurement, run by the extension module on the same simulated chip in the
same process, size by size, taking turns, for R rounds: per size and
direction the best and the median ns per message of each and Python's
share of the Rust throughput. The chip's waiting threads spin by default
(``--idle spin``, one simulator thread): see ``host_channel_side_by_side``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any, Dict, List, Optional

from ._api import Chip, Parallel, _ext, device, process
from ._core import Channel, Reader, close, poison
from .dtypes import Bytes

__all__ = [
    "commstime_python",
    "commstime_device",
    "commstime_side_by_side",
    "host_channel_capacity",
    "host_channel_python",
    "host_channel_rust",
    "host_channel_side_by_side",
    "main",
]


# How the processes use their ends: "method" calls ``end.read()`` and
# ``end.write(v)`` (bound methods, which CPython calls on its quickest
# path), "call" the ends themselves (``out(v)``, PyCSP's style; before
# CPython 3.12 a call of an end goes through a slower, generic call path).
STYLES = ("method", "call")


def _use(end: Any, style: str) -> Any:
    """What a process calls to use ``end`` in ``style``."""
    if style == "call":
        return end
    return end.read if isinstance(end, Reader) else end.write


@process
def _prefix(inp: Any, out: Any, value: int, style: str) -> None:
    read, write = _use(inp, style), _use(out, style)
    write(value)
    while True:
        write(read())


@process
def _delta(inp: Any, out1: Any, out2: Any, style: str) -> None:
    read, write1, write2 = _use(inp, style), _use(out1, style), _use(out2, style)
    while True:
        v = read()
        write1(v)
        write2(v)


@process
def _succ(inp: Any, out: Any, style: str) -> None:
    read, write = _use(inp, style), _use(out, style)
    while True:
        write(read() + 1)


@process
def _consume(inp: Any, iterations: int, warmup: int, style: str) -> float:
    read = _use(inp, style)
    for _ in range(warmup):
        read()
    t0 = time.perf_counter()
    for _ in range(iterations):
        read()
    elapsed = time.perf_counter() - t0
    poison(inp)  # runs round the ring: every process ends
    return elapsed * 1e9 / (iterations * 4)


def commstime_python(iterations: int, warmup: int = 1000, style: str = "method") -> float:
    """Nanoseconds per communication with all four processes in Python,
    their ends used in ``style`` (see ``STYLES``)."""
    if style not in STYLES:
        raise ValueError(f"style {style!r}: 'method' (end.read(), end.write(v)) or 'call' (end(), end(v))")
    a, b, c, d = (Channel() for _ in range(4))
    results = Parallel(
        _prefix(c.reader(), a.writer(), 0, style),
        _delta(a.reader(), b.writer(), d.writer(), style),
        _succ(b.reader(), c.writer(), style),
        _consume(d.reader(), iterations, warmup, style),
    )
    return float(results[3])


def commstime_side_by_side(iterations: int, against: List[str], rounds: int = 3) -> Dict[str, Any]:
    """Python commstime in ecsp, its processes using their ends as methods
    ("ecsp") and by calling them ("ecsp-call"; see ``STYLES``), beside
    ``against`` ("pycsp": PyCSP's greenlet backend; "floor": bare
    greenlets, see ``ecsp._baselines``),
    ``rounds`` times taking turns (who goes first rotates, so drift in the
    machine's load falls on all): per contender the best and the median ns
    per communication and every round's figure, and per other contender
    ``ecsp`` over it (below 1.0: ecsp is faster)."""
    from ._baselines import commstime_floor, commstime_pycsp

    runners = {
        "ecsp": commstime_python,
        "ecsp-call": lambda n: commstime_python(n, style="call"),
        "pycsp": commstime_pycsp,
        "floor": commstime_floor,
    }
    for name in against:
        if name not in ("pycsp", "floor"):
            raise ValueError(f"--against {name}: 'pycsp' or 'floor'")
    names = ["ecsp", "ecsp-call", *against]
    runs: Dict[str, List[float]] = {n: [] for n in names}
    for r in range(rounds):
        for i in range(len(names)):
            name = names[(i + r) % len(names)]
            runs[name].append(runners[name](iterations))
    out: Dict[str, Any] = {"iterations": iterations, "rounds": rounds, "contenders": {}}
    for name, ns in runs.items():
        out["contenders"][name] = {"ns_per_comm": min(ns), "median_ns_per_comm": statistics.median(ns), "runs": ns}
    best = out["contenders"]["ecsp"]["ns_per_comm"]
    out["ecsp_over"] = {n: best / out["contenders"][n]["ns_per_comm"] for n in against}
    return out


def commstime_device(iterations: int, placement: str = "spread", board: str = "parallella-16") -> Dict[str, Any]:
    """Commstime with the four processes on the simulated chip, started from
    Python: ns per communication as the device consumer measured it."""
    warmup = min(iterations // 10, 10_000)
    with Chip(board, placement=placement) as chip:
        a, b, c, d = (Channel(dtype="u32") for _ in range(4))
        results = Parallel(
            device("prefix", c.reader(), a.writer(), value=0),
            device("delta", a.reader(), b.writer(), d.writer()),
            device("succ", b.reader(), c.writer()),
            device("consume", d.reader(), count=iterations, warmup=warmup, poison=1),
        )
        consumer = results[3]
        expected = (warmup + iterations) * (warmup + iterations - 1) // 2 - warmup * (warmup - 1) // 2
        if consumer.aux != expected:
            raise RuntimeError(f"commstime's consumer summed {consumer.aux}, expected {expected}")
        ns = consumer.ticks * 1e9 / chip.ticks_per_second / (iterations * 4)
        return {"board": chip.board, "placement": placement, "iterations": iterations, "ns_per_comm": ns}


def host_channel_capacity(size: int, capacity: int) -> int:
    """The Rust benchmark's buffer for ``size``-byte messages: ``capacity``,
    fewer for large messages so the ring fits 8 KiB (its own rule, from the
    extension)."""
    return int(_ext().host_channel_capacity(size, capacity))


# Bytes of the array Python's benchmark writes from and reads into, chunk
# after chunk: a program streaming to or from the device reuses one block,
# as the Rust benchmark reuses one message buffer (a fresh array per chunk
# would also time the kernel's first touch of its pages).
_CHUNK_BYTES = 1 << 20


@process
def _feed(out: Any, messages: int, block: Any) -> float:
    """Writes ``messages`` from ``block`` a chunk at a time, then closes;
    returns the seconds taken."""
    left = messages
    t0 = time.perf_counter()
    while left:
        left -= out.write_many(block[: min(left, len(block))])
    elapsed = time.perf_counter() - t0
    close(out)
    return elapsed


@process
def _drain(inp: Any, messages: int, block: Any) -> Any:
    """Reads ``messages`` into ``block`` a chunk at a time; returns the
    seconds taken and the first row of every chunk (for the check)."""
    firsts = []
    left = messages
    t0 = time.perf_counter()
    while left:
        got = inp.read_many(min(left, len(block)), out=block)
        firsts.append(got[0].copy())
        left -= len(got)
    return time.perf_counter() - t0, firsts


def _row(direction: str, size: int, messages: int, capacity: int, secs: float) -> Dict[str, Any]:
    secs = max(secs, 1e-9)
    return {
        "direction": direction,
        "msg_bytes": size,
        "messages": messages,
        "capacity": capacity,
        "bytes_per_second": size * messages / secs,
        "ns_per_message": secs * 1e9 / messages,
    }


def host_channel_python(chip: Chip, size: int, messages: int, capacity: int = 16, dtype: str = "f32") -> List[Dict[str, Any]]:
    """Python's side of ``ecsp bench host-channel`` on ``chip``:
    ``write_many`` of ``messages`` ``size``-byte messages (float32 rows of
    size/4 values, or with ``dtype="bytes"`` uint8 rows of ``size``, the
    Rust benchmark's ``bytes:N``) into a device ``consume``, then
    ``read_many`` of as many from a device ``ramp``, each from or into one
    array of up to 1 MiB, chunk after chunk (as the Rust benchmark reuses
    one buffer); both checked. One row per direction, as
    ``host_channel_rust``'s.

    Host -> device is timed until the last message is in the channel (the
    Rust benchmark: until the device took it; at most a buffer apart)."""
    import numpy as np

    cap = host_channel_capacity(size, capacity)
    np_dtype: Any
    if dtype == "f32":
        if size % 4:
            raise ValueError(f"message size {size}: float32 arrays need a multiple of 4 bytes")
        k, np_dtype, msg = size // 4, np.float32, f"f32[{size // 4}]"
    elif dtype == "bytes":
        k, np_dtype, msg = size, np.uint8, str(Bytes(size))
    else:
        raise ValueError(f"dtype {dtype!r}: 'f32' or 'bytes'")
    rows = max(1, min(messages, _CHUNK_BYTES // size))
    # Small whole numbers, so the device's sum is exact and checks the bytes.
    block = (np.arange(rows * k, dtype=np.int64) % 251).astype(np_dtype).reshape(rows, k)
    with chip:
        a = Channel(dtype=msg, buffer=cap)
        secs, sink = Parallel(_feed(a.writer(), messages, block), device("consume", a.reader(), count=messages), timeout=600)
        whole, part = divmod(messages, rows)
        want = whole * int(block.sum(dtype=np.int64)) + int(block[:part].sum(dtype=np.int64))
        if sink.value != messages or sink.aux != want:
            raise RuntimeError(f"the device received {sink.value} messages summing to {sink.aux}, not {messages} summing to {want}")
        b = Channel(dtype=msg, buffer=cap)
        block = np.ones((rows, k), dtype=np_dtype)  # touched: no page faults timed
        ramp, (got_secs, firsts) = Parallel(
            device("ramp", b.writer(), start=0, count=messages), _drain(b.reader(), messages, block), timeout=600
        )
    # ramp's vector j holds j*k .. j*k + k - 1, in the element type's arithmetic.
    for c, first in enumerate(firsts):
        j = c * len(block)
        expect = np.arange(j * k, j * k + k, dtype=np.int64).astype(np_dtype)
        if not np.array_equal(first, expect):
            raise RuntimeError(f"the host received {first[:4]}... as message {j}, not {expect[:4]}...")
    return [_row("host_to_device", size, messages, cap, secs), _row("device_to_host", size, messages, cap, got_secs)]


def host_channel_rust(chip: Chip, sizes: List[int], messages: int, capacity: int = 16) -> List[Dict[str, Any]]:
    """``ecsp bench host-channel`` (Rust, ``bytes:N`` messages, one try per
    message) run by the extension module on ``chip``'s simulator."""
    keys = ("direction", "msg_bytes", "messages", "capacity", "bytes_per_second", "ns_per_message")
    rows = _ext().host_channel_bench(chip._chip, sizes, messages, capacity, 600.0)
    return [dict(zip(keys, r)) for r in rows]


def host_channel_side_by_side(
    sizes: List[int],
    messages: int,
    capacity: int = 16,
    rounds: int = 3,
    dtype: str = "f32",
    board: str = "parallella-16",
    threads: Optional[int] = 1,
    idle: Optional[str] = "spin",
) -> List[Dict[str, Any]]:
    """Rust and Python host-channel throughput on one simulated chip, size
    by size, ``rounds`` times (the two take turns going first, so drift in
    the machine's load falls on both): per size and direction the best
    (``*_ns_per_message``) and the median ns per message of each, every
    round's figures, and ``ratio``, Python's best throughput over Rust's
    (1.0: as fast; ``median_ratio`` likewise from the medians).

    By default the chip runs its one busy core on one host thread that
    spins while it waits (``threads=1, idle="spin"``), and so do the host's
    waits: a stream then costs what ecsp's code costs, not the OS's thread
    wake-ups, which with ``idle="park"`` swing each figure fivefold from
    run to run on a small machine. The best of the rounds is the figure
    least disturbed by the rest of the machine."""
    chip = Chip(board, placement="spread", threads=threads, idle=idle)  # the Rust benchmark's placement
    # Unmeasured first: the chip's first session touches its memory and
    # spawns its threads, which would fall on whoever goes first.
    host_channel_rust(chip, [sizes[0]], min(messages, 2000), capacity)
    host_channel_python(chip, sizes[0], min(messages, 2000), capacity, dtype)
    runs: Dict[tuple, Dict[str, List[float]]] = {}
    for r in range(rounds):
        for size in sizes:
            for who in ("rust", "python") if r % 2 == 0 else ("python", "rust"):
                if who == "rust":
                    rows = host_channel_rust(chip, [size], messages, capacity)
                else:
                    rows = host_channel_python(chip, size, messages, capacity, dtype)
                for row in rows:
                    key = (size, row["direction"], row["capacity"])
                    runs.setdefault(key, {"rust": [], "python": []})[who].append(row["ns_per_message"])
    out = []
    for (size, direction, cap), ns in runs.items():
        rust, py = min(ns["rust"]), min(ns["python"])
        rust_median, py_median = statistics.median(ns["rust"]), statistics.median(ns["python"])
        out.append(
            {
                "direction": direction,
                "msg_bytes": size,
                "capacity": cap,
                "messages": messages,
                "rust_ns_per_message": rust,
                "python_ns_per_message": py,
                "ratio": rust / py,
                "rust_median_ns_per_message": rust_median,
                "python_median_ns_per_message": py_median,
                "median_ratio": rust_median / py_median,
                "rust_runs": ns["rust"],
                "python_runs": ns["python"],
            }
        )
    return out


def main(argv: Optional[List[str]] = None) -> None:
    """The command line: ``python -m ecsp.bench commstime ...``."""
    ap = argparse.ArgumentParser(prog="python -m ecsp.bench", description="ecsp benchmarks from Python")
    sub = ap.add_subparsers(dest="bench", required=True)
    ct = sub.add_parser("commstime", help="commstime, in Python processes or (--device) on the simulated chip")
    ct.add_argument("--iterations", type=int, default=None, help="timed loops (default 200,000; 1,000,000 with --device)")
    ct.add_argument("--device", action="store_true", help="the four processes on the simulated chip")
    ct.add_argument("--placement", default="spread", choices=["spread", "packed", "auto"])
    ct.add_argument("--board", default="parallella-16")
    ct.add_argument(
        "--against",
        default="",
        help="also run these, taking turns, and compare: pycsp (PyCSP's greenlets, pip install pycsp), floor "
        "(bare greenlets), comma-separated",
    )
    ct.add_argument("--rounds", type=int, default=3, help="with --against: measurements of each (best and median)")
    ct.add_argument(
        "--style", default="method", choices=list(STYLES), help="Python processes call end.read/end.write, or the ends"
    )
    ct.add_argument("--json", action="store_true", help="one JSON object")
    hc = sub.add_parser("host-channel", help="host <-> device throughput, Python batches beside the Rust benchmark")
    hc.add_argument("--sizes", default="4,64,256,1024,4096", help="message sizes in bytes, comma-separated")
    hc.add_argument("--messages", type=int, default=100_000, help="messages per size and direction")
    hc.add_argument("--capacity", type=int, default=16, help="channel buffer (fewer for large messages)")
    hc.add_argument("--rounds", type=int, default=15, help="measurements of each, taking turns (best and median)")
    hc.add_argument("--dtype", default="f32", choices=["f32", "bytes"], help="Python's arrays: float32, or uint8 as Rust")
    hc.add_argument("--board", default="parallella-16")
    hc.add_argument("--threads", type=int, default=1, help="host threads for the simulated cores (default 1)")
    hc.add_argument(
        "--idle", default="spin", choices=["park", "spin"], help="what waiting threads do (default spin: no OS wake-ups timed)"
    )
    hc.add_argument("--json", action="store_true", help="one JSON object")
    kb = sub.add_parser("kernels", help="Python kernels beside C kernels, built-ins and Python processes")
    kb.add_argument("--messages", type=int, default=20_000, help="timed messages a round (mandel: a tenth)")
    kb.add_argument("--rounds", type=int, default=5, help="rounds of each, taking turns (best and median)")
    kb.add_argument("--backend", default="sim", choices=["sim", "esdk"])
    kb.add_argument("--against", default="", help="commstime also against: pycsp (pip install pycsp)")
    kb.add_argument("--code", action="store_true", help="code bytes on a core per kernel (needs an Epiphany compiler)")
    kb.add_argument("--json", action="store_true", help="one JSON object")
    args = ap.parse_args(argv)
    if args.bench == "host-channel":
        _host_channel_main(ap, args)
        return
    if args.bench == "kernels":
        _kernels_main(ap, args)
        return
    if args.iterations is not None and args.iterations < 1:
        ap.error("--iterations: give at least 1")
    against = [a for a in args.against.split(",") if a]
    if against:
        if args.device:
            ap.error("--against compares Python processes: drop --device")
        if args.rounds < 1:
            ap.error("--rounds: give at least 1")
        try:
            side = commstime_side_by_side(args.iterations or 200_000, against, args.rounds)
        except (ValueError, ImportError) as e:
            ap.error(str(e))
        if args.json:
            print(json.dumps(side))
            return
        print(
            f"commstime, four Python processes, {side['iterations']} loops, best and median of {side['rounds']} rounds "
            "taking turns (ns per communication)"
        )
        for name, c in side["contenders"].items():
            ratio = f"   ecsp/{name} {side['ecsp_over'][name]:.2f}" if name in side["ecsp_over"] else ""
            print(f"  {name:<9} {c['ns_per_comm']:>8.1f} {c['median_ns_per_comm']:>8.1f}{ratio}")
        return
    if args.device:
        out = commstime_device(args.iterations or 1_000_000, args.placement, args.board)
        out["processes"] = "device"
    else:
        n = args.iterations or 200_000
        out = {"processes": "python", "style": args.style, "iterations": n, "ns_per_comm": commstime_python(n, style=args.style)}
    if args.json:
        print(json.dumps(out))
    else:
        where = f" on {out['board']} ({out['placement']})" if args.device else f" (ends used as {out['style']}s)"
        print(
            f"commstime, {out['processes']} processes{where}: {out['ns_per_comm']:.1f} ns per communication "
            f"over {out['iterations']} loops"
        )


def _kernels_main(ap: argparse.ArgumentParser, args: Any) -> None:
    from . import _kbench

    if args.messages < 1 or args.rounds < 1:
        ap.error("--messages and --rounds: give at least 1")
    against = [a for a in args.against.split(",") if a]
    for a in against:
        if a != "pycsp":
            ap.error(f"--against {a}: pycsp")
    with Chip(backend=args.backend) as chip:
        jobs = _kbench.kernel_jobs(chip, args.messages, args.rounds)
    try:
        commstime = _kbench.commstime_contenders(args.messages, args.rounds, against) if args.backend == "sim" else None
    except ImportError as e:
        ap.error(str(e))
    compile_cost = _kbench.compile_cost()
    code = _kbench.chip_code() if args.code else None
    if args.json:
        print(json.dumps({"backend": args.backend, "rounds": args.rounds, "jobs": jobs, "commstime": commstime,
                          "compile": compile_cost, "code": code}))
        return
    unit = jobs[0]["unit"]
    print(f"the same job three ways on parallella-16 ({args.backend}), best of {args.rounds} rounds taking turns, {unit} per message")
    print(f"  {'job':<20} {'built-in':>10} {'C kernel':>10} {'Python kernel':>14} {'Python/C':>9} {'Python/built-in':>16}")
    for j in jobs:
        b = j["best"]
        print(
            f"  {j['job']:<20} {b['built-in']:>10.1f} {b['C kernel']:>10.1f} {b['Python kernel']:>14.1f} "
            f"{j['python_over_c']:>9.2f} {j['python_over_builtin']:>16.2f}"
        )
    if commstime is not None:
        print(f"commstime on the host's clock, {commstime['iterations']} loops (ns per communication, best and median)")
        k = commstime["contenders"]["Python kernels"]["ns_per_comm"]
        for name, c in commstime["contenders"].items():
            times = f"   {c['ns_per_comm'] / k:.1f}x the kernels' time" if name != "Python kernels" else ""
            print(f"  {name:<17} {c['ns_per_comm']:>8.1f} {c['median_ns_per_comm']:>8.1f}{times}")
    print(
        f"compiling a new Python kernel: {compile_cost['python_to_c_ms']:.1f} ms to C; a run that compiles it "
        f"(and ecsp's C runtime, in a new cache) {compile_cost['cold_run_ms']:.0f} ms, again {compile_cost['cached_run_ms']:.0f} ms"
    )
    if code is not None:
        print("code bytes on a core, each kernel alone with ecsp's runtime (of the bytes a core has for code)")
        for c in code:
            print(f"  {c['kernel']:<12} Python {c['python_bytes']:>6}   C {c['c_bytes']:>6}   of {c['room']}")


def _host_channel_main(ap: argparse.ArgumentParser, args: Any) -> None:
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        ap.error(f"--sizes {args.sizes}: give sizes in bytes, comma-separated")
    step = 4 if args.dtype == "f32" else 1
    for s in sizes:
        if s % step or not step <= s <= 4096:
            ap.error(f"--sizes: {s} bytes is not a {args.dtype} message (a multiple of {step} from {step} to 4096)")
    if args.messages < 1 or args.rounds < 1 or args.capacity < 0:
        ap.error("--messages and --rounds: give at least 1; --capacity: 0 or more")
    if args.threads is not None and args.threads < 1:
        ap.error("--threads: give at least 1")
    rows = host_channel_side_by_side(
        sizes, args.messages, args.capacity, args.rounds, args.dtype, args.board, args.threads, args.idle
    )
    if args.json:
        doc = {"board": args.board, "dtype": args.dtype, "rounds": args.rounds, "threads": args.threads, "idle": args.idle}
        print(json.dumps({**doc, "results": rows}))
        return
    arrays = "float32 arrays" if args.dtype == "f32" else "uint8 arrays"
    print(
        f"host channels on simulated {args.board} ({args.threads} thread(s), idle {args.idle}), "
        f"{args.messages} messages each, buffer {args.capacity}: Rust (ecsp bench host-channel) beside Python "
        f"(write_many/read_many of {arrays}), best and median of {args.rounds} rounds"
    )
    print(
        f"  {'direction':<16} {'bytes':>6} {'buffer':>6} {'Rust ns/msg':>12} {'Python ns/msg':>14} "
        f"{'Python/Rust':>12} {'(medians)':>10}"
    )
    for r in rows:
        print(
            f"  {r['direction']:<16} {r['msg_bytes']:>6} {r['capacity']:>6} {r['rust_ns_per_message']:>12.0f} "
            f"{r['python_ns_per_message']:>14.0f} {r['ratio']:>12.2f} {r['median_ratio']:>10.2f}"
        )


if __name__ == "__main__":
    main()
