"""Host <-> device throughput of float32 arrays from Python, beside
``ecsp bench host-channel`` (the same measurement from Rust).

Host -> device: a Python process writes ``messages`` numpy float32 arrays
into a channel a device ``consume`` process reads. Device -> host: a device
``ramp`` process sends ``messages`` float32 vectors that a Python process
reads (``numpy.asarray`` views each one without a copy). Message sizes
from 4 B to 4 KiB; the channel's buffer is 16 messages (fewer for large
messages, so its ring fits 16 KiB of a core's SRAM), as the Rust benchmark.

    python examples/host_throughput.py [--sizes 4,64,256,1024,4096] [--messages 20000] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import ecsp

RING_BYTES = 16 * 1024


@ecsp.process
def feed(out, arrays):
    t0 = time.perf_counter()
    for a in arrays:
        out(a)
    elapsed = time.perf_counter() - t0
    ecsp.close(out)
    return elapsed


@ecsp.process
def drain(inp, messages):
    t0 = time.perf_counter()
    first = np.array(inp())  # a copy: checked below
    for _ in range(messages - 1):
        np.asarray(inp())  # a view of the message, no copy
    return time.perf_counter() - t0, first


def measure(size: int, messages: int, capacity: int) -> list:
    n = size // 4
    cap = 0 if capacity == 0 else max(1, min(capacity, RING_BYTES // size))
    dtype = f"f32[{n}]"
    arrays = [np.arange(i, i + n, dtype=np.float32) for i in range(messages)]
    a = ecsp.Channel(dtype=dtype, buffer=cap)
    sent, sink = ecsp.Parallel(feed(a.writer(), arrays), ecsp.device("consume", a.reader(), count=messages), timeout=600)
    if sink.value != messages:
        raise RuntimeError(f"the device received {sink.value} messages, not {messages}")
    b = ecsp.Channel(dtype=dtype, buffer=cap)
    ramp, (got, first) = ecsp.Parallel(
        ecsp.device("ramp", b.writer(), start=0, count=messages), drain(b.reader(), messages), timeout=600
    )
    if ramp.value != messages or not np.array_equal(first, np.arange(n, dtype=np.float32)):
        raise RuntimeError(f"the host received {first[:4]}... first, from {ramp.value} vectors sent")
    row = lambda d, secs: {  # noqa: E731
        "direction": d,
        "msg_bytes": size,
        "messages": messages,
        "capacity": cap,
        "bytes_per_second": size * messages / secs,
        "ns_per_message": secs * 1e9 / messages,
    }
    return [row("host_to_device", sent), row("device_to_host", got)]


def main() -> None:
    ap = argparse.ArgumentParser(description="host <-> device throughput of float32 arrays from Python")
    ap.add_argument("--sizes", default="4,64,256,1024,4096")
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--capacity", type=int, default=16)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for s in sizes:
        if s % 4 or not 4 <= s <= 4096:
            raise SystemExit(f"message size {s}: float32 arrays need a multiple of 4 from 4 to 4096 bytes")
    results = []
    with ecsp.Chip():
        for s in sizes:
            results.extend(measure(s, args.messages, args.capacity))
    if args.json:
        print(json.dumps({"capacity": args.capacity, "results": results}))
        return
    print(f"host channels from Python, float32 arrays, buffer {args.capacity}, {args.messages} messages each")
    print(f"  {'direction':<16} {'bytes':>8} {'buffer':>8} {'MB/s':>14} {'ns/message':>12}")
    for r in results:
        print(
            f"  {r['direction']:<16} {r['msg_bytes']:>8} {r['capacity']:>8} {r['bytes_per_second'] / 1e6:>14.1f} "
            f"{r['ns_per_message']:>12.0f}"
        )


if __name__ == "__main__":
    main()
