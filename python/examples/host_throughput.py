"""Host <-> device throughput of float32 arrays from Python, in batches,
beside ``ecsp bench host-channel`` (the same measurement from Rust) run on
the same simulated chip in the same process.

Host -> device: a Python process writes one numpy float32 array of
``messages`` rows into a channel a device ``consume`` process reads
(``write_many``: the rows go straight from the array's memory). Device ->
host: a device ``ramp`` process sends ``messages`` float32 vectors that a
Python process reads into one array (``read_many``). Message sizes from
4 B to 4 KiB; the channel's buffer is 16 messages (fewer for large
messages, so its ring fits 8 KiB of a core's SRAM), as the Rust
benchmark's. ``python -m ecsp.bench host-channel`` measures the same over
many rounds, steadily, and prints the best and the median.

    python examples/host_throughput.py [--sizes 4,64,256,1024,4096] [--messages 20000] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import ecsp
from ecsp.bench import host_channel_capacity, host_channel_rust


@ecsp.process
def feed(out, rows):
    t0 = time.perf_counter()
    out.write_many(rows)  # every row, in order, many per step
    elapsed = time.perf_counter() - t0
    ecsp.close(out)
    return elapsed


@ecsp.process
def drain(inp, messages):
    t0 = time.perf_counter()
    got = inp.read_many(messages)  # a (messages, n) float32 array
    return time.perf_counter() - t0, got


def measure(size: int, messages: int, capacity: int) -> list:
    n = size // 4
    cap = host_channel_capacity(size, capacity)  # the Rust benchmark's buffer
    dtype = f"f32[{n}]"
    rows = (np.arange(messages * n) % 100).astype(np.float32).reshape(messages, n)
    a = ecsp.Channel(dtype=dtype, buffer=cap)
    sent, sink = ecsp.Parallel(feed(a.writer(), rows), ecsp.device("consume", a.reader(), count=messages), timeout=600)
    if sink.value != messages or sink.aux != int(rows.sum(dtype=np.int64)):
        raise RuntimeError(f"the device received {sink.value} messages summing to {sink.aux}")
    b = ecsp.Channel(dtype=dtype, buffer=cap)
    ramp, (got, block) = ecsp.Parallel(
        ecsp.device("ramp", b.writer(), start=0, count=messages), drain(b.reader(), messages), timeout=600
    )
    if ramp.value != messages or not np.array_equal(block[0], np.arange(n, dtype=np.float32)):
        raise RuntimeError(f"the host received {block[0][:4]}... first, from {ramp.value} vectors sent")
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
    ap = argparse.ArgumentParser(description="host <-> device throughput of float32 arrays from Python, beside Rust")
    ap.add_argument("--sizes", default="4,64,256,1024,4096")
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--capacity", type=int, default=16)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for s in sizes:
        if s % 4 or not 4 <= s <= 4096:
            raise SystemExit(f"message size {s}: float32 arrays need a multiple of 4 from 4 to 4096 bytes")
    python, rust = [], []
    with ecsp.Chip(placement="spread") as chip:  # the Rust benchmark's placement
        for s in sizes:
            rust.extend(host_channel_rust(chip, [s], args.messages, args.capacity))
            python.extend(measure(s, args.messages, args.capacity))
    if args.json:
        print(json.dumps({"capacity": args.capacity, "python": python, "rust": rust}))
        return
    print(f"host channels, float32 arrays in batches from Python beside Rust, buffer {args.capacity}, {args.messages} messages each")
    print(f"  {'direction':<16} {'bytes':>8} {'buffer':>8} {'Python MB/s':>12} {'Rust MB/s':>12} {'Python/Rust':>12}")
    for p, r in zip(python, rust):
        print(
            f"  {p['direction']:<16} {p['msg_bytes']:>8} {p['capacity']:>8} {p['bytes_per_second'] / 1e6:>12.1f} "
            f"{r['bytes_per_second'] / 1e6:>12.1f} {p['bytes_per_second'] / r['bytes_per_second']:>12.2f}"
        )


if __name__ == "__main__":
    main()
