"""Cannon's matrix multiply, C = A * B, with one Python kernel per core: the
algorithm of examples/matmul (cannon.c) written as a typed Python function
that ecsp compiles to C for the cores.

    pe (r, c): C block += A block * B block, then A west, B north   (grid x grid torus)
    every pe --c--> collector (Python) --> numpy's product in double

Every matrix is cut into 16x16 blocks, one block of each per PE: a 4x4 grid
of PEs on a Parallella-16 (64x64 matrices), 8x8 on a Parallella-64
(128x128). PE (r, c) makes its first blocks of A and B from the formula of
examples/matmul/matrix.h, already skewed as Cannon's algorithm wants
(A(r, r+c) and B(r+c, c)), so no input crosses to the chip. Each of `grid`
steps multiplies the two blocks into its C block, then sends its A block
west and its B block north and takes the next ones from the east and the
south. The shift channels buffer one block, so a PE writes both blocks
before it reads and no ring of PEs waits on itself. At the end every PE
sends its C block, its position in front, to the collector.

The collector puts the blocks together and the check multiplies A and B,
made by the very function the kernels call, in double with numpy: every
element must agree within the rounding bound of a float sum of N products,
N * eps * sum |a| |b|, as examples/matmul/check.c requires.

    python examples/cannon.py [--board parallella-64] [--seed N] [--show-c] [--python]
                              [--backend sim|esdk] [--device-image ecsp-device.elf]

``--python`` runs the same PE function as Python processes instead of on
the cores (``cannon_pe.process(...)``), for comparison. The exit status is
0 when the check agrees, 1 when it does not.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Tuple

import numpy as np

import ecsp
from ecsp import In, Out, f32, i32

#: A PE's block is BLOCK x BLOCK floats (1 KiB, one message), row by row.
BLOCK = 16
BB = BLOCK * BLOCK
#: The message that takes a C block to the collector: its block row and
#: column (as floats: a message has one element type), then the block.
C_MSG = 2 + BB


@ecsp.kernel_helper
def matrix_a(i: i32, j: i32) -> f32:
    """Element (i, j) of A: a value in [-0.5, 0.5) that no two neighbours
    share (examples/matmul/matrix.h's formula)."""
    # On a core every step is float arithmetic. On the host Python computes
    # in double and each f32() rounds a step's result as a core does, so the
    # check's A is the cores' A to the last bit.
    return f32(f32(f32((i * 37 + j * 11 + 5) % 101) / 101.0) - 0.5)


@ecsp.kernel_helper
def matrix_b(i: i32, j: i32) -> f32:
    """Element (i, j) of B (examples/matmul/matrix.h's formula)."""
    return f32(f32(f32((i * 13 + j * 29 + 3) % 97) / 97.0) - 0.5)


@ecsp.kernel
def cannon_pe(
    a_in: In[f32[BB]],
    b_in: In[f32[BB]],
    a_out: Out[f32[BB]],
    b_out: Out[f32[BB]],
    c: Out[f32[C_MSG]],
    row: i32,
    col: i32,
    grid: i32 = 4,
):
    """one PE of Cannon's matrix multiply: C += A*B, then A west, B north"""
    a = ecsp.array(f32, BB)
    b = ecsp.array(f32, BB)
    out = ecsp.array(f32, C_MSG)  # out[0], out[1]: the position; then the C block
    k0 = (row + col) % grid  # Cannon's skew
    for i in range(BLOCK):
        for j in range(BLOCK):
            a[i * BLOCK + j] = matrix_a(row * BLOCK + i, k0 * BLOCK + j)
            b[i * BLOCK + j] = matrix_b(k0 * BLOCK + i, col * BLOCK + j)
    for step in range(grid):
        for i in range(BLOCK):
            for k in range(BLOCK):
                aik = a[i * BLOCK + k]
                for j in range(BLOCK):
                    out[2 + i * BLOCK + j] += aik * b[k * BLOCK + j]
        if step == grid - 1:
            break
        # Both writes first: each lands in the neighbour's one-block buffer.
        a_out.write(a)
        b_out.write(b)
        a = a_in.read()  # the next blocks, into the same arrays
        b = b_in.read()
    out[0] = row
    out[1] = col
    c.write(out)


@ecsp.process
def collector(blocks, grid):
    """The C blocks as they come, placed by their positions: the whole C."""
    n = grid * BLOCK
    got = blocks.read_many(grid * grid)  # a (grid*grid, C_MSG) float32 array
    whole = np.full((n, n), np.nan, dtype=np.float32)
    seen = set()
    for msg in got:
        r, c = int(msg[0]), int(msg[1])
        if not (0 <= r < grid and 0 <= c < grid) or (r, c) in seen:
            raise ValueError(f"a C block at ({r}, {c}): outside the grid or sent twice")
        seen.add((r, c))
        whole[r * BLOCK : (r + 1) * BLOCK, c * BLOCK : (c + 1) * BLOCK] = msg[2:].reshape(BLOCK, BLOCK)
    return whole


def cannon(grid: int, on_cores: bool = True) -> Tuple[np.ndarray, float]:
    """C = A * B on a grid x grid torus of PEs, on the current chip (or as
    Python processes with ``on_cores=False``): the whole C (float32), and
    the seconds the network took."""
    # a[r][c], b[r][c]: the shift channels into PE (r, c), from its east and
    # its south neighbour (round the torus); each buffers one block.
    a = [[ecsp.Channel(dtype=f"f32[{BB}]", buffer=1, name=f"a_{r}_{c}") for c in range(grid)] for r in range(grid)]
    b = [[ecsp.Channel(dtype=f"f32[{BB}]", buffer=1, name=f"b_{r}_{c}") for c in range(grid)] for r in range(grid)]
    blocks = ecsp.Channel(dtype=f"f32[{C_MSG}]", buffer=grid, name="c")  # every PE writes here
    pes = []
    for r in range(grid):
        for c in range(grid):
            ends = (
                a[r][c].reader(),
                b[r][c].reader(),
                a[r][(c - 1) % grid].writer(),  # west
                b[(r - 1) % grid][c].writer(),  # north
                blocks.writer(),
            )
            if on_cores:
                pes.append(cannon_pe(*ends, row=r, col=c, grid=grid, core=(r, c), name=f"pe_{r}_{c}"))
            else:
                pes.append(cannon_pe.process(*ends, row=r, col=c, grid=grid))
    t0 = time.perf_counter()
    results = ecsp.Parallel(pes, collector(blocks.reader(), grid), timeout=600)
    return results[-1], time.perf_counter() - t0


def check(c: np.ndarray, grid: int) -> bool:
    """C against numpy's A * B in double, element by element, within the
    rounding of a float sum of n products in any order (fused or not):
    n * eps * sum |a| |b|. Prints what it found; True when every element
    is within the bound."""
    n = grid * BLOCK
    a = np.array([[matrix_a(i, j) for j in range(n)] for i in range(n)], dtype=np.float64)
    b = np.array([[matrix_b(i, j) for j in range(n)] for i in range(n)], dtype=np.float64)
    want = a @ b
    bound = n * np.finfo(np.float32).eps * (np.abs(a) @ np.abs(b))
    diff = np.abs(c.astype(np.float64) - want)  # NaN where a block never came
    ratio = diff / bound
    bad = int(np.count_nonzero(~(diff <= bound)))
    wi, wj = np.unravel_index(int(np.nanargmax(ratio)), ratio.shape)
    print(f"C = A*B, {n}x{n} floats in {grid}x{grid} blocks of {BLOCK}x{BLOCK}, one per PE")
    print(
        f"numpy's product in double: largest |C| {np.abs(want).max():.4f}; largest difference "
        f"{diff[wi, wj]:.3g} at ({wi}, {wj}), {ratio[wi, wj]:.3f} of the rounding bound; {bad} elements outside it"
    )
    return bad == 0


def how(chip: ecsp.Chip) -> str:
    """How the chip runs: "sim, threaded", "sim, seed 7" or "esdk"."""
    if chip.backend != "sim":
        return chip.backend
    return f"sim, seed {chip.seed}" if chip.seed is not None else "sim, threaded"


def main() -> int:
    ap = argparse.ArgumentParser(description="Cannon's matrix multiply, one Python kernel per core")
    ap.add_argument("--board", default="parallella-16", help="parallella-16 (4x4 PEs) or parallella-64 (8x8)")
    ap.add_argument("--backend", choices=["sim", "esdk"], default="sim", help="the simulator, or a Parallella (or esim) through the eSDK")
    ap.add_argument("--seed", type=int, default=None, help="run the simulator deterministically, replayable by this seed")
    ap.add_argument("--device-image", default=None, help="with --backend esdk: the image to load (default: the one ecsp was built with)")
    ap.add_argument("--show-c", action="store_true", help="print the C the PE kernel compiles to, and stop")
    ap.add_argument("--python", action="store_true", help="run the PEs as Python processes, not on the cores")
    args = ap.parse_args()
    if args.show_c:
        print(cannon_pe.c_source)
        return 0
    if args.backend == "esdk" and args.seed is not None:
        raise SystemExit("--seed: the simulator's (a real chip runs as it runs)")
    options = {"device_image": args.device_image} if args.backend == "esdk" else {"seed": args.seed}
    with ecsp.Chip(args.board, backend=args.backend, **options) as chip:
        rows, cols = chip.shape
        if rows != cols:
            raise SystemExit(f"{args.board}: Cannon's torus wants a square grid of cores, not {rows}x{cols}")
        c, elapsed = cannon(rows, on_cores=not args.python)
    print(f"{rows}x{cols} PEs {'as Python processes' if args.python else f'on {rows * cols} cores ({how(chip)})'}: {elapsed * 1000:.1f} ms")
    if not check(c, rows):
        print("check: the answer disagrees")
        return 1
    print("check: the answer agrees")
    return 0


if __name__ == "__main__":
    sys.exit(main())
