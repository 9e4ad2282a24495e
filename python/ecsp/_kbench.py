"""``python -m ecsp.bench kernels``: the same jobs as Python kernels, as the
hand-written C kernels of ``ecsp bench kernels`` and as the built-in kinds,
side by side on one chip; commstime of four Python kernels beside four
Python processes (and PyCSP's); and what a Python kernel costs to compile
and, on the chip, in code bytes.

Each job's time is its consumer's clock over its timed messages (per
message; for commstime per communication): nanoseconds on the simulator,
core-clock ticks on a chip. Rounds take turns, so drift in the machine's
load falls on every contender; the best and the median are reported.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any, Callable, Dict, List, Optional

from ._api import Chip, Parallel, _ext, device, kernel_file
from ._core import Channel
from ._kbench_kernels import WIDTH, py_consume, py_delta, py_mandel, py_prefix, py_square, py_succ
from ._kernel import PyKernel, cached_source

__all__ = ["JOBS", "kernel_jobs", "commstime_contenders", "compile_cost", "chip_code"]

#: The jobs, in order.
JOBS = ("map square f32[64]", "mandel f32[64]", "commstime")
#: Who does each job.
VARIANTS = ("built-in", "C kernel", "Python kernel")


def _c_kernels() -> Any:
    """``ecsp bench kernels``'s C kernels, as a kernel file in the cache."""
    return kernel_file(cached_source("bench_kernels", _ext().bench_kernels_source()))


def _job(job: str, variant: str, timed: int, warmup: int) -> List[Any]:
    """The processes of one round: the consumer last."""
    c = _c_kernels()
    total = timed + warmup
    if job == "map square f32[64]":
        a, b = Channel(dtype="f32[64]"), Channel(dtype="f32[64]")
        middle = {
            "built-in": lambda: device("map", a.reader(), b.writer(), fn="square"),
            "C kernel": lambda: c.bench_square(a.reader(), b.writer()),
            "Python kernel": lambda: py_square(a.reader(), b.writer()),
        }[variant]()
        return [
            device("ramp", a.writer(), start=0, count=total),
            middle,
            device("consume", b.reader(), count=timed, warmup=warmup),
        ]
    if job == "mandel f32[64]":
        a, b = Channel(dtype="f32[4]"), Channel(dtype=f"f32[{WIDTH + 1}]")
        middle = {
            "built-in": lambda: device("mandel", a.reader(), b.writer(), iterations=64),
            "C kernel": lambda: c.bench_mandel(a.reader(), b.writer(), iterations=64),
            "Python kernel": lambda: py_mandel(a.reader(), b.writer(), iterations=64),
        }[variant]()
        return [c.bench_rows(a.writer(), count=total), middle, device("consume", b.reader(), count=timed, warmup=warmup)]
    a, b, cc, d = (Channel(dtype="u32") for _ in range(4))
    if variant == "built-in":
        return [
            device("prefix", cc.reader(), a.writer(), value=0),
            device("delta", a.reader(), b.writer(), d.writer()),
            device("succ", b.reader(), cc.writer()),
            device("consume", d.reader(), count=timed, warmup=warmup, poison=1),
        ]
    if variant == "C kernel":
        return [
            c.bench_prefix(cc.reader(), a.writer()),
            c.bench_delta(a.reader(), b.writer(), d.writer()),
            c.bench_succ(b.reader(), cc.writer()),
            c.bench_consume(d.reader(), count=timed, warmup=warmup),
        ]
    return [
        py_prefix(cc.reader(), a.writer()),
        py_delta(a.reader(), b.writer(), d.writer()),
        py_succ(b.reader(), cc.writer()),
        py_consume(d.reader(), count=timed, warmup=warmup),
    ]


def _round(chip: Chip, job: str, variant: str, timed: int) -> float:
    """One round: ns (simulator) or ticks (chip) per message."""
    warmup = max(1, timed // 10)
    results = Parallel(*_job(job, variant, timed, warmup), timeout=600)
    consumer = results[-1]
    ticks = consumer.result if isinstance(consumer.result, int) else consumer.ticks
    if not ticks:
        raise RuntimeError(f"{job}, {variant}: the consumer measured no time")
    per = timed * 4 if job == "commstime" else timed
    scale = 1e9 / chip.ticks_per_second if chip.backend == "sim" else 1.0
    return float(ticks) * scale / per


def kernel_jobs(chip: Chip, messages: int, rounds: int) -> List[Dict[str, Any]]:
    """Every job by every variant, ``rounds`` rounds taking turns: per job
    the best and median per message of each variant, and the Python
    kernel's best over the C kernel's and over the built-in's."""
    out = []
    for job in JOBS:
        timed = max(1, messages // 10) if job.startswith("mandel") else messages
        runs: Dict[str, List[float]] = {v: [] for v in VARIANTS}
        for r in range(max(1, rounds)):
            for i in range(len(VARIANTS)):
                v = VARIANTS[(i + r) % len(VARIANTS)]
                runs[v].append(_round(chip, job, v, timed))
        best = {v: min(x) for v, x in runs.items()}
        out.append(
            {
                "job": job,
                "messages": timed,
                "unit": "ns" if chip.backend == "sim" else "ticks",
                "best": best,
                "median": {v: statistics.median(x) for v, x in runs.items()},
                "python_over_c": best["Python kernel"] / best["C kernel"],
                "python_over_builtin": best["Python kernel"] / best["built-in"],
            }
        )
    return out


def commstime_contenders(iterations: int, rounds: int, against: List[str]) -> Dict[str, Any]:
    """Commstime of four Python kernels on the simulator beside four Python
    processes on ecsp's scheduler (and ``against``: "pycsp"), taking turns:
    host nanoseconds per communication, best and median."""
    from ._baselines import commstime_pycsp
    from .bench import commstime_python

    def kernels(n: int) -> float:
        with Chip() as chip:
            return _round(chip, "commstime", "Python kernel", n)

    runners: Dict[str, Callable[[int], float]] = {
        "Python kernels": kernels,
        "Python processes": commstime_python,
        "pycsp": commstime_pycsp,
    }
    names = ["Python kernels", "Python processes", *against]
    runs: Dict[str, List[float]] = {n: [] for n in names}
    for r in range(max(1, rounds)):
        for i in range(len(names)):
            name = names[(i + r) % len(names)]
            runs[name].append(runners[name](iterations))
    out: Dict[str, Any] = {"iterations": iterations, "contenders": {}}
    for name, ns in runs.items():
        out["contenders"][name] = {"ns_per_comm": min(ns), "median_ns_per_comm": statistics.median(ns)}
    k = out["contenders"]["Python kernels"]["ns_per_comm"]
    out["processes_over_kernels"] = out["contenders"]["Python processes"]["ns_per_comm"] / k
    return out


def compile_cost() -> Dict[str, float]:
    """What a Python kernel costs to compile: Python to C (ms), and the C
    of a kernel never seen to a loaded object for the simulator, cold and
    from the cache (ms): a fresh cache directory, as a new user has."""
    import tempfile

    saved = os.environ.get("ECSP_CACHE")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["ECSP_CACHE"] = scratch
        try:
            fresh = PyKernel(py_mandel.fn, f"mandel_{int(time.time() * 1e6) % 10**9}", None, True, True)
            t0 = time.perf_counter()
            fresh.c_source
            to_c = time.perf_counter() - t0

            def once() -> float:
                a, b = Channel(dtype="f32[4]"), Channel(dtype=f"f32[{WIDTH + 1}]")
                t = time.perf_counter()
                Parallel(
                    _c_kernels().bench_rows(a.writer(), count=1),
                    fresh(a.reader(), b.writer()),
                    device("consume", b.reader(), count=1),
                    timeout=600,
                )
                return time.perf_counter() - t

            cold = once()
            cached = once()
        finally:
            if saved is None:
                del os.environ["ECSP_CACHE"]
            else:
                os.environ["ECSP_CACHE"] = saved
    return {"python_to_c_ms": to_c * 1e3, "cold_run_ms": cold * 1e3, "cached_run_ms": cached * 1e3}


def chip_code(kernels: Optional[List[PyKernel]] = None) -> List[Dict[str, Any]]:
    """Code bytes on a core of each Python kernel of the benchmark (alone
    with ecsp's runtime) and of its hand-written C twin; needs the Epiphany
    compiler."""
    c = _c_kernels()
    pairs = [
        (py_square, c.bench_square),
        (py_mandel, c.bench_mandel),
        (py_prefix, c.bench_prefix),
        (py_delta, c.bench_delta),
        (py_succ, c.bench_succ),
        (py_consume, c.bench_consume),
    ]
    out = []
    for py, ck in pairs:
        p, k = py.chip_code(), ck.chip_code()
        out.append({"kernel": py.name, "python_bytes": p["bytes"], "c_bytes": k["bytes"], "room": p["room"]})
    return out

