"""Benchmarks, runnable once the package is installed:

    python -m ecsp.bench commstime [--iterations N] [--device] [--placement spread|packed|auto] [--json]

Commstime (Prefix -> Delta -> Succ -> Prefix, Delta also feeding a
Consumer that times N reads; one loop is four rendezvous communications)
with the four processes in Python on ecsp's scheduler, or with ``--device``
as built-in device processes on the simulated chip, started from Python
(compare ``ecsp bench commstime --json``).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, Dict, List, Optional

from ._api import Chip, Parallel, device, process
from ._core import Channel, poison

__all__ = ["commstime_python", "commstime_device", "main"]


@process
def _prefix(inp: Any, out: Any, value: int) -> None:
    out(value)
    while True:
        out(inp())


@process
def _delta(inp: Any, out1: Any, out2: Any) -> None:
    while True:
        v = inp()
        out1(v)
        out2(v)


@process
def _succ(inp: Any, out: Any) -> None:
    while True:
        out(inp() + 1)


@process
def _consume(inp: Any, iterations: int, warmup: int) -> float:
    for _ in range(warmup):
        inp()
    t0 = time.perf_counter()
    for _ in range(iterations):
        inp()
    elapsed = time.perf_counter() - t0
    poison(inp)  # runs round the ring: every process ends
    return elapsed * 1e9 / (iterations * 4)


def commstime_python(iterations: int, warmup: int = 1000) -> float:
    """Nanoseconds per communication with all four processes in Python."""
    a, b, c, d = (Channel() for _ in range(4))
    results = Parallel(
        _prefix(c.reader(), a.writer(), 0),
        _delta(a.reader(), b.writer(), d.writer()),
        _succ(b.reader(), c.writer()),
        _consume(d.reader(), iterations, warmup),
    )
    return float(results[3])


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


def main(argv: Optional[List[str]] = None) -> None:
    """The command line: ``python -m ecsp.bench commstime ...``."""
    ap = argparse.ArgumentParser(prog="python -m ecsp.bench", description="ecsp benchmarks from Python")
    sub = ap.add_subparsers(dest="bench", required=True)
    ct = sub.add_parser("commstime", help="commstime, in Python processes or (--device) on the simulated chip")
    ct.add_argument("--iterations", type=int, default=None, help="timed loops (default 200,000; 1,000,000 with --device)")
    ct.add_argument("--device", action="store_true", help="the four processes on the simulated chip")
    ct.add_argument("--placement", default="spread", choices=["spread", "packed", "auto"])
    ct.add_argument("--board", default="parallella-16")
    ct.add_argument("--json", action="store_true", help="one JSON object")
    args = ap.parse_args(argv)
    if args.iterations is not None and args.iterations < 1:
        ap.error("--iterations: give at least 1")
    if args.device:
        out = commstime_device(args.iterations or 1_000_000, args.placement, args.board)
        out["processes"] = "device"
    else:
        n = args.iterations or 200_000
        out = {"processes": "python", "iterations": n, "ns_per_comm": commstime_python(n)}
    if args.json:
        print(json.dumps(out))
    else:
        where = f" on {out['board']} ({out['placement']})" if args.device else ""
        print(
            f"commstime, {out['processes']} processes{where}: {out['ns_per_comm']:.1f} ns per communication "
            f"over {out['iterations']} loops"
        )


if __name__ == "__main__":
    main()
