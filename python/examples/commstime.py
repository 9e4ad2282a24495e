"""Commstime, the classic CSP benchmark, from Python.

    Prefix(0) --a--> Delta --b--> Succ
        ^              |            |
        +------c-------+------------+
                       +--d--> Consume (times N reads)

One loop is four rendezvous communications. Run as
``python examples/commstime.py [--iterations N] [--device | --kernels] [--json]``:
by default the four processes are Python processes on ecsp's scheduler;
with ``--device`` they are the built-in device processes on the simulated
chip, started from Python; with ``--kernels`` they are the Python functions
``k_prefix`` .. ``k_consume`` below compiled for the cores
(``@ecsp.kernel``): Python CSP at C speed. ``--backend esdk``: on a real
Parallella, or on esim, with an ``ecsp`` built with the eSDK.
"""

from __future__ import annotations

import argparse
import json
import time

import ecsp
from ecsp import In, Out, u32


@ecsp.process
def prefix(inp, out, value):
    out(value)
    while True:
        out(inp())


@ecsp.process
def delta(inp, out1, out2):
    while True:
        v = inp()
        out1(v)
        out2(v)


@ecsp.process
def succ(inp, out):
    while True:
        out(inp() + 1)


@ecsp.process
def consume(inp, iterations, warmup):
    for _ in range(warmup):
        inp()
    t0 = time.perf_counter()
    for _ in range(iterations):
        inp()
    elapsed = time.perf_counter() - t0
    ecsp.poison(inp)  # runs round the ring: every process ends
    return elapsed * 1e9 / (iterations * 4)


# The same four processes as Python kernels: annotated ports, .read() and
# .write(v); each runs on a core of its own.


@ecsp.kernel(forever=True)
def k_prefix(inp: In[u32], out: Out[u32], value: u32 = 0):  # type: ignore[valid-type]
    out.write(value)
    for v in inp:
        out.write(v)


@ecsp.kernel(forever=True)
def k_delta(inp: In[u32], out1: Out[u32], out2: Out[u32]):  # type: ignore[valid-type]
    for v in inp:
        out1.write(v)
        out2.write(v)


@ecsp.kernel(forever=True)
def k_succ(inp: In[u32], out: Out[u32]):  # type: ignore[valid-type]
    for v in inp:
        out.write(v + 1)


@ecsp.kernel
def k_consume(inp: In[u32], iterations: int, warmup: int):  # type: ignore[valid-type]
    """times `iterations` reads after `warmup`; the result is the clock's ticks"""
    for _ in range(warmup):
        inp.read()
    began = ecsp.now()
    for _ in range(iterations):
        inp.read()
    ticks = ecsp.now() - began
    ecsp.poison(inp)  # runs round the ring: every process ends
    return ticks


def kernels_commstime(iterations: int, backend: str = "sim") -> dict:
    """Commstime with the four processes as Python kernels, spread over
    four cores: ns per communication by the consumer's clock."""
    warmup = min(iterations // 10, 10_000)
    with ecsp.Chip(placement="spread", backend=backend) as chip:
        a, b, c, d = (ecsp.Channel(dtype="u32") for _ in range(4))
        results = ecsp.Parallel(
            k_prefix(c.reader(), a.writer()),
            k_delta(a.reader(), b.writer(), d.writer()),
            k_succ(b.reader(), c.writer()),
            k_consume(d.reader(), iterations=iterations, warmup=warmup),
            timeout=600,
        )
        ns = results[3].result * 1e9 / chip.ticks_per_second / (iterations * 4)
        return {"placement": "spread", "iterations": iterations, "ns_per_comm": ns, "backend": backend}


def python_commstime(iterations: int, warmup: int = 1000) -> float:
    """ns per communication with all four processes in Python."""
    a, b, c, d = (ecsp.Channel() for _ in range(4))
    results = ecsp.Parallel(
        prefix(c.reader(), a.writer(), 0),
        delta(a.reader(), b.writer(), d.writer()),
        succ(b.reader(), c.writer()),
        consume(d.reader(), iterations, warmup),
        timeout=600,
    )
    return results[3]


def device_commstime(iterations: int, placement: str = "spread", backend: str = "sim") -> dict:
    """Commstime with the four processes on the chip (simulated, or real
    with ``backend="esdk"``), started from Python."""
    warmup = min(iterations // 10, 10_000)
    with ecsp.Chip(placement=placement, backend=backend) as chip:
        a, b, c, d = (ecsp.Channel(dtype="u32") for _ in range(4))
        results = ecsp.Parallel(
            ecsp.device("prefix", c.reader(), a.writer(), value=0),
            ecsp.device("delta", a.reader(), b.writer(), d.writer()),
            ecsp.device("succ", b.reader(), c.writer()),
            ecsp.device("consume", d.reader(), count=iterations, warmup=warmup, poison=1),
            timeout=600,
        )
        consumer = results[3]
        expected = (warmup + iterations) * (warmup + iterations - 1) // 2 - warmup * (warmup - 1) // 2
        if consumer.aux != expected:
            raise RuntimeError(f"commstime's consumer summed {consumer.aux}, expected {expected}")
        ns = consumer.ticks * 1e9 / chip.ticks_per_second / (iterations * 4)
        return {"placement": placement, "iterations": iterations, "ns_per_comm": ns, "backend": backend}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=None)
    ap.add_argument("--device", action="store_true", help="run the four processes on the simulated chip")
    ap.add_argument("--kernels", action="store_true", help="run the four processes as Python kernels on the chip")
    ap.add_argument("--placement", default="spread", choices=["spread", "packed"])
    ap.add_argument("--backend", default="sim", choices=["sim", "esdk"], help="with --device: the simulator, or a Parallella (or esim)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.device and args.kernels:
        ap.error("--device (built-in processes) or --kernels (Python kernels), not both")
    if args.kernels:
        out = kernels_commstime(args.iterations or 1_000_000, args.backend)
        out["processes"] = "Python-kernel"
    elif args.device:
        out = device_commstime(args.iterations or 1_000_000, args.placement, args.backend)
        out["processes"] = "device"
    else:
        n = args.iterations or 200_000
        out = {"processes": "python", "iterations": n, "ns_per_comm": python_commstime(n)}
    if args.json:
        print(json.dumps(out))
    else:
        extra = f" ({out['placement']}, {out['backend']})" if args.device or args.kernels else ""
        print(f"commstime, {out['processes']} processes{extra}: {out['ns_per_comm']:.1f} ns per communication over {out['iterations']} loops")


if __name__ == "__main__":
    main()
