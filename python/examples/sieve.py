"""The CSP prime sieve, from Python, two ways.

Python processes: a generator, then a chain of filters that grows while it
runs: each filter keeps the first number that reaches it (a prime) and
starts the next filter for the numbers it does not divide (a Parallel
nested inside a process).

Device processes: the same pipeline through every core of the simulated
chip, as ``ecsp demo`` runs it: generate -> 14 sieves -> consume; the
sieves report the primes they hold, the consumer counts the rest.

    python examples/sieve.py [--limit N] [--board parallella-16]
"""

from __future__ import annotations

import argparse

import ecsp


@ecsp.process
def numbers(out, limit):
    for n in range(2, limit + 1):
        out(n)
    ecsp.close(out)


@ecsp.process
def sieve(inp, primes):
    """Keeps the first number as its prime, filters the rest into a new sieve."""
    try:
        prime = inp()
    except ecsp.ChannelClosed:
        ecsp.close(primes)
        return
    primes(prime)
    rest = ecsp.Channel()

    @ecsp.process
    def strike(inp, out):
        for n in inp:
            if n % prime:
                out(n)
        ecsp.close(out)

    ecsp.Parallel(strike(inp, rest.writer()), sieve(rest.reader(), primes))


@ecsp.process
def gather(inp):
    return list(inp)


def python_sieve(limit: int) -> list:
    """The primes up to ``limit``, found by a growing chain of Python processes."""
    ns, primes = ecsp.Channel(), ecsp.Channel()
    return ecsp.Parallel(numbers(ns.writer(), limit), sieve(ns.reader(), primes.writer()), gather(primes.reader()), timeout=60)[2]


def device_sieve(limit: int, board: str = "parallella-16") -> tuple:
    """(primes held by the sieves, count and sum of the numbers that passed them all)."""
    with ecsp.Chip(board) as chip:
        rows, cols = chip.shape
        chans = [ecsp.Channel(dtype="u32") for _ in range(rows * cols - 1)]
        procs = [ecsp.device("generate", chans[0].writer(), start=2, count=limit - 1)]
        for a, b in zip(chans, chans[1:]):
            procs.append(ecsp.device("sieve", a.reader(), b.writer()))
        procs.append(ecsp.device("consume", chans[-1].reader(), count=-1))
        results = ecsp.Parallel(procs, timeout=60)
    held = [r.value for r in results[1:-1] if r.value]
    return held, results[-1].value, results[-1].aux


def main() -> None:
    ap = argparse.ArgumentParser(description="The CSP prime sieve in Python processes and in device processes")
    ap.add_argument("--limit", type=int, default=2000)
    ap.add_argument("--board", default="parallella-16")
    args = ap.parse_args()
    primes = python_sieve(args.limit)
    print(f"Python processes: {len(primes)} primes up to {args.limit}, sum {sum(primes)}, the last {primes[-5:]}")
    held, count, total = device_sieve(args.limit, args.board)
    print(
        f"device processes on {args.board}: {len(held)} held by sieves + {count} reached the consumer = "
        f"{len(held) + count} primes, sum {sum(held) + total}"
    )
    if (len(held) + count, sum(held) + total) != (len(primes), sum(primes)):
        raise SystemExit("the two sieves disagree")
    print("they agree.")


if __name__ == "__main__":
    main()
