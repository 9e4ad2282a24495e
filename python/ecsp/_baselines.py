"""What ecsp's Python commstime is measured against, in the same run:

- PyCSP's greenlet backend (``pip install pycsp``), the Python CSP library
  ecsp's users come from, running the same four processes;
- the floor: the least a commstime on greenlets can be, four greenlets
  handing values through channels that are a queue of waiting greenlets
  and nothing else (no poison, no close, no choice, no errors, no hub).
  What ecsp costs beyond it is what its semantics and its scheduler cost;
  the floor itself is what CPython and greenlet switches cost on the
  machine at hand.

Each returns nanoseconds per communication over ``iterations`` loops of
four communications, after ``warmup`` loops.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable, Deque, List


def commstime_pycsp(iterations: int, warmup: int = 1000) -> float:
    """Commstime in PyCSP's greenlet backend; ImportError, saying how to
    install it, without PyCSP."""
    try:
        import pycsp.greenlets as csp  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("PyCSP is not installed: pip install pycsp (0.9, greenlet backend)") from e

    @csp.process  # type: ignore[untyped-decorator,unused-ignore]
    def prefix(cin: Any, cout: Any, value: int) -> None:
        cout(value)
        while True:
            cout(cin())

    @csp.process  # type: ignore[untyped-decorator,unused-ignore]
    def delta(cin: Any, cout1: Any, cout2: Any) -> None:
        while True:
            v = cin()
            cout1(v)
            cout2(v)

    @csp.process  # type: ignore[untyped-decorator,unused-ignore]
    def succ(cin: Any, cout: Any) -> None:
        while True:
            cout(cin() + 1)

    result: List[float] = []

    @csp.process  # type: ignore[untyped-decorator,unused-ignore]
    def consume(cin: Any) -> None:
        for _ in range(warmup):
            cin()
        t0 = time.perf_counter()
        for _ in range(iterations):
            cin()
        result.append((time.perf_counter() - t0) * 1e9 / (iterations * 4))
        csp.poison(cin)

    a, b, c, d = csp.Channel(), csp.Channel(), csp.Channel(), csp.Channel()
    csp.Parallel(prefix(+c, -a, 0), delta(+a, -b, -d), succ(+b, -c), consume(+d))
    return result[0]


def commstime_floor(iterations: int, warmup: int = 1000) -> float:
    """Commstime on bare greenlets: the floor of any greenlet CSP library."""
    from greenlet import getcurrent, greenlet  # type: ignore[import-untyped]

    ready: Deque[Callable[[], Any]] = deque()

    class Proc(greenlet):  # type: ignore[misc]
        __slots__ = ("val",)

    class Chan:
        __slots__ = ("readers", "writers")

        def __init__(self) -> None:
            self.readers: Deque[Proc] = deque()
            self.writers: Deque[Proc] = deque()

    def read(ch: Chan) -> Any:
        if ch.writers:
            w = ch.writers.popleft()
            ready.append(w.switch)
            return w.val
        p = getcurrent()
        ch.readers.append(p)
        ready.popleft()()
        return p.val

    def write(ch: Chan, value: Any) -> None:
        if ch.readers:
            r = ch.readers.popleft()
            r.val = value
            ready.append(r.switch)
            return
        p = getcurrent()
        p.val = value
        ch.writers.append(p)
        ready.popleft()()

    a, b, c, d = Chan(), Chan(), Chan(), Chan()
    result: List[float] = []
    main = getcurrent()

    def prefix() -> None:
        write(a, 0)
        while True:
            write(a, read(c))

    def delta() -> None:
        while True:
            v = read(a)
            write(b, v)
            write(d, v)

    def succ() -> None:
        while True:
            write(c, read(b) + 1)

    def consume() -> None:
        for _ in range(warmup):
            read(d)
        t0 = time.perf_counter()
        for _ in range(iterations):
            read(d)
        result.append((time.perf_counter() - t0) * 1e9 / (iterations * 4))
        main.switch()

    procs = [Proc(f, main) for f in (prefix, delta, succ, consume)]
    ready.extend(p.switch for p in procs)
    ready.popleft()()
    for p in procs:  # the ring's three still wait: end them here
        if not p.dead:
            p.throw()
    return result[0]
