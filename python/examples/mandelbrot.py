"""A Mandelbrot farm: a Python farmer hands rows to workers on every core
of the simulated chip, a Python collector puts the rows the workers send
back into a numpy image. The workers are the built-in `mandel`, or
(``--worker python``) the Python function `mandel_row` below compiled for
the cores with ``@ecsp.kernel``.

    farmer (Python) --jobs[k]--> mandel worker k (device, one per core) --lines--> collector (Python)

Each job is one row: the float32 vector (x0, y, dx, row); a worker answers
with (row, escape counts of the row's points). The farmer offers each row
to every worker at once (an Alt of output guards on the buffered job
channels), so a row goes to whichever worker has room first; the workers
share one any-to-one channel back to the host. The image is checked
against numpy computing the same float32 iteration.

    python examples/mandelbrot.py [--width 128] [--height 48] [--iterations 64] [--board parallella-16]
                                  [--worker builtin|python] [--show-c]
                                  [--backend sim|esdk] [--device-image ecsp-device.elf]

``--backend esdk`` runs the workers on a real Parallella (or on esim),
with an ``ecsp`` built with the eSDK and a device image that carries
mandel (``ECSP_DEVICE_KINDS=mandel ECSP_DEVICE_DTYPES=f32``) or, for Python
workers, the Epiphany compiler (images are built per core); the image is
then also checked against the simulator's, row for row.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import ecsp
from ecsp import In, Out, f32


def python_worker(width: int) -> ecsp.PyKernel:
    """The worker as Python, compiled for the cores: a row's length is part
    of its message type, so each width is a kernel of its own."""

    @ecsp.kernel(name=f"mandel_row_{width}")
    def mandel_row(jobs: In[f32[4]], lines: Out[f32[width + 1]], iterations: int = 64):  # type: ignore[valid-type]
        """escape counts of rows of the picture; returns how many it did"""
        done = 0
        for job in jobs:
            x0 = job[0]
            y = job[1]
            dx = job[2]
            line = ecsp.array(f32, width + 1)
            line[0] = job[3]
            for i in range(width):
                cr = x0 + dx * i
                zr = f32(0)
                zi = f32(0)
                n = 0
                while n < iterations:
                    zr2 = zr * zr
                    zi2 = zi * zi
                    if zr2 + zi2 > 4:
                        break
                    zi = zr * zi * 2 + y
                    zr = zr2 - zi2 + cr
                    n += 1
                line[i + 1] = n
            lines.write(line)
            done += 1
        return done

    return mandel_row


@ecsp.process
def farmer(jobs, width, height, box):
    x0, x1, y0, y1 = box
    dx = (x1 - x0) / width
    for row in range(height):
        y = y0 + (y1 - y0) * row / max(1, height - 1)
        job = np.array([x0, y, dx, row], dtype=np.float32)
        ecsp.Alt(*[(w, job) for w in jobs]).fair_select()
    ecsp.close(*jobs)


@ecsp.process
def collector(lines, width, height):
    image = np.zeros((height, width), dtype=np.int32)
    for _ in range(height):
        line = np.asarray(lines())
        image[int(line[0])] = line[1:]
    return image


def reference(width: int, height: int, box: tuple, iterations: int) -> np.ndarray:
    """The same float32 iteration, in numpy."""
    x0, x1, y0, y1 = box
    f = np.float32
    dx = f((x1 - x0) / width)
    cr = (f(x0) + dx * np.arange(width, dtype=f))[None, :].repeat(height, 0)
    ci = np.array([f(y0 + (y1 - y0) * r / max(1, height - 1)) for r in range(height)], dtype=f)[:, None].repeat(width, 1)
    zr = np.zeros_like(cr)
    zi = np.zeros_like(cr)
    n = np.zeros(cr.shape, dtype=np.int32)
    live = np.ones(cr.shape, dtype=bool)
    for _ in range(iterations):
        zr2, zi2 = zr * zr, zi * zi
        live &= (zr2 + zi2) <= f(4)
        if not live.any():
            break
        zi = np.where(live, zr * zi * f(2) + ci, zi)
        zr = np.where(live, zr2 - zi2 + cr, zr)
        n += live
    return n


def mandelbrot(
    width: int,
    height: int,
    iterations: int,
    board: str = "parallella-16",
    box=(-2.2, 0.8, -1.2, 1.2),
    backend: str = "sim",
    device_image=None,
    worker: str = "builtin",
):
    """(image, per-worker rows) computed by a farm over every core of
    ``board``, simulated (``backend="sim"``) or real (``"esdk"``), by the
    built-in ``mandel`` or (``worker="python"``) the Python kernel."""
    options = {"device_image": device_image} if backend == "esdk" else {}
    kernel = python_worker(width) if worker == "python" else None
    with ecsp.Chip(board, backend=backend, **options) as chip:
        workers = chip.shape[0] * chip.shape[1]
        jobs = [ecsp.Channel(dtype="f32[4]", buffer=2, name=f"jobs{k}") for k in range(workers)]
        lines = ecsp.Channel(dtype=f"f32[{width + 1}]", buffer=2, name="lines")
        results = ecsp.Parallel(
            farmer([j.writer() for j in jobs], width, height, box),
            [
                kernel(j.reader(), lines.writer(), iterations=iterations)
                if kernel is not None
                else ecsp.device("mandel", j.reader(), lines.writer(), iterations=iterations)
                for j in jobs
            ],
            collector(lines.reader(), width, height),
            timeout=600,
        )
    return results[-1], [r.value if r.result is None else r.result for r in results[1:-1]]


def main() -> None:
    ap = argparse.ArgumentParser(description="A Mandelbrot farm over the cores of the chip")
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--height", type=int, default=48)
    ap.add_argument("--iterations", type=int, default=64)
    ap.add_argument("--board", default="parallella-16")
    ap.add_argument("--backend", choices=["sim", "esdk"], default="sim", help="the simulator, or a Parallella (or esim) through the eSDK")
    ap.add_argument("--device-image", default=None, help="with --backend esdk: the image to load (default: the one ecsp was built with)")
    ap.add_argument("--worker", choices=["builtin", "python"], default="builtin", help="the built-in mandel, or the Python kernel")
    ap.add_argument("--show-c", action="store_true", help="print the C the Python worker compiles to")
    args = ap.parse_args()
    if not 1 <= args.width <= 1023:
        raise SystemExit("--width: 1 to 1023 points (a line is at most 4096 bytes of float32)")
    if args.show_c:
        print(python_worker(args.width).c_source)
    t0 = time.perf_counter()
    image, rows = mandelbrot(
        args.width,
        args.height,
        args.iterations,
        args.board,
        backend=args.backend,
        device_image=args.device_image,
        worker=args.worker,
    )
    elapsed = time.perf_counter() - t0
    shades = " .:-=+*#%@"
    for line in image[:: max(1, args.height // 24)]:
        print("".join(shades[min(len(shades) - 1, int(v) * len(shades) // (args.iterations + 1))] for v in line[:: max(1, args.width // 80)]))
    who = "Python-kernel" if args.worker == "python" else "built-in"
    print(f"{args.width}x{args.height} points, at most {args.iterations} iterations, on {len(rows)} {args.backend} {who} workers in {elapsed:.2f} s")
    print(f"rows per worker: {rows}")
    if args.backend != "sim":
        simulated, _ = mandelbrot(args.width, args.height, args.iterations, args.board, worker=args.worker)
        if not np.array_equal(image, simulated):
            raise SystemExit(f"the {args.backend} image differs from the simulator's in rows {sorted(set(np.nonzero(image != simulated)[0]))}")
        print(f"the simulator's image agrees, row for row ({args.height} rows).")
    if not np.array_equal(image, reference(args.width, args.height, (-2.2, 0.8, -1.2, 1.2), args.iterations)):
        raise SystemExit("the farm's image differs from numpy's")
    print("numpy's float32 iteration agrees.")


if __name__ == "__main__":
    main()
