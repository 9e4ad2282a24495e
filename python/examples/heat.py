"""A Jacobi heat stencil with one Python kernel per core: the stencil of
examples/stencil (heat.c) written as typed Python functions that ecsp
compiles to C for the cores.

Heat spreads over a square plate whose border is held at fixed
temperatures (the top edge at 1, the bottom at 0, the sides falling from 1
to 0); every iteration each point becomes the mean of its four neighbours.
The plate is cut into 16x16 tiles, one per core: 4x4 tiles (a 64x64 plate,
1000 iterations) on a Parallella-16, 8x8 (128x128, 500 iterations) on a
Parallella-64.

    heat_tile (r, c) <--edges--> its four neighbours' tiles, or a heat_wall on the plate's border
    every heat_tile --tiles--> collector (Python) --> numpy's Jacobi iteration in double

Every iteration a tile sends its four edges to the tiles beside it, takes
their four edges back as its halo, and updates its points. The edge
channels buffer one edge, so a tile writes all four before it reads and no
cycle of tiles waits on itself. A kernel's ports must all be wired, so on
the plate's border a tile's side goes to a heat_wall on the tile's own
core, which answers every edge with the border's temperatures: every tile
runs the same code. After the last iteration each tile sends its points,
with its position and its iteration count, to the collector, and returns
the largest change of its last iteration.

The check runs the same iteration over the whole plate in double with
numpy, prints how the largest change per iteration falls, and compares
the cores' plate within the rounding of the iterations (a Jacobi step
averages, so it never enlarges an error: at most ~1.2 float epsilons per
step add up), and the tiles' last change with its own, as
examples/stencil/check.c does.

    python examples/heat.py [--board parallella-64] [--iterations N] [--seed N] [--show-c]
                            [--backend sim|esdk] [--device-image ecsp-device.elf]

The exit status is 0 when the check agrees, 1 when it does not.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import List, Tuple

import numpy as np

import ecsp
from ecsp import In, Out, f32, i32, i64

#: A core's tile: TILE x TILE points; an edge is TILE floats.
TILE = 16
#: The tile inside its halo, row by row: W x W with W = TILE + 2.
W = TILE + 2
#: The message that takes a tile to the collector: its tile row, column
#: and iterations (as floats: a message has one element type), a zero,
#: then its points row by row.
HEADER = 4
TILE_MSG = HEADER + TILE * TILE
#: Iterations per board, as examples/stencil runs them.
ITERATIONS = {4: 1000, 8: 500}
NORTH, SOUTH, WEST, EAST = 0, 1, 2, 3


@ecsp.kernel_helper
def heat_edge(i: i32, j: i32, n: i32) -> f32:
    """The fixed temperature at border point (i, j) of an n x n plate (i or
    j is -1 or n): the top edge at 1, the bottom at 0, the sides falling
    from 1 at the top to 0."""
    if i < 0:
        return 1.0
    if i >= n:
        return 0.0
    # f32 division on a core; on the host f32() rounds the double to it.
    return f32(f32(n - i) / f32(n + 1))


@ecsp.kernel
def heat_tile(
    from_north: In[f32[TILE]],
    from_south: In[f32[TILE]],
    from_west: In[f32[TILE]],
    from_east: In[f32[TILE]],
    to_north: Out[f32[TILE]],
    to_south: Out[f32[TILE]],
    to_west: Out[f32[TILE]],
    to_east: Out[f32[TILE]],
    tile: Out[f32[TILE_MSG]],
    row: i32,
    col: i32,
    iterations: i32 = 100,
):
    """one tile of a Jacobi heat stencil: sends its edges, takes its halo, updates"""
    # u: the tile inside its halo (row 0 and TILE+1, column 0 and TILE+1);
    # out: the next iteration (after the message's header), sent at the end.
    u = ecsp.array(f32, W * W)
    out = ecsp.array(f32, TILE_MSG)
    edge = ecsp.array(f32, TILE)
    change = f32(0.0)
    for it in range(iterations):
        # Every edge first: each lands in the neighbour's one-edge buffer.
        for k in range(TILE):
            edge[k] = u[1 * W + 1 + k]
        to_north.write(edge)
        for k in range(TILE):
            edge[k] = u[TILE * W + 1 + k]
        to_south.write(edge)
        for k in range(TILE):
            edge[k] = u[(k + 1) * W + 1]
        to_west.write(edge)
        for k in range(TILE):
            edge[k] = u[(k + 1) * W + TILE]
        to_east.write(edge)

        # Then the halo, from the same four sides.
        edge = from_north.read()
        for k in range(TILE):
            u[0 * W + 1 + k] = edge[k]
        edge = from_south.read()
        for k in range(TILE):
            u[(TILE + 1) * W + 1 + k] = edge[k]
        edge = from_west.read()
        for k in range(TILE):
            u[(k + 1) * W + 0] = edge[k]
        edge = from_east.read()
        for k in range(TILE):
            u[(k + 1) * W + TILE + 1] = edge[k]

        change = f32(0.0)
        for i in range(1, TILE + 1):
            for j in range(1, TILE + 1):
                v = (u[(i - 1) * W + j] + u[(i + 1) * W + j] + u[i * W + j - 1] + u[i * W + j + 1]) * 0.25
                change = max(change, abs(v - u[i * W + j]))
                out[HEADER + (i - 1) * TILE + j - 1] = v
        for i in range(1, TILE + 1):
            for j in range(1, TILE + 1):
                u[i * W + j] = out[HEADER + (i - 1) * TILE + j - 1]
    out[0] = row
    out[1] = col
    out[2] = iterations
    out[3] = 0
    tile.write(out)
    return change  # the largest change of the last iteration, which the check compares


@ecsp.kernel
def heat_wall(edge: In[f32[TILE]], halo: Out[f32[TILE]], row: i32, col: i32, side: i32, grid: i32 = 4):
    """a fixed-temperature border beside one tile: answers each edge with heat_edge's values"""
    border = ecsp.array(f32, TILE)
    n = grid * TILE
    for k in range(TILE):
        i = row * TILE + k  # along a west or east side
        j = col * TILE + k  # along a north or south side
        if side == NORTH:
            border[k] = heat_edge(-1, j, n)
        elif side == SOUTH:
            border[k] = heat_edge(n, j, n)
        elif side == WEST:
            border[k] = heat_edge(i, -1, n)
        elif side == EAST:
            border[k] = heat_edge(i, n, n)
        else:
            raise ecsp.KernelFailure(f"side is 0 (north), 1 (south), 2 (west) or 3 (east), not {side}")
    answered = i64(0)
    for _ in edge:  # until the tile closes its edge
        halo.write(border)
        answered += 1
    return answered


@ecsp.process
def collector(tiles, grid):
    """The tiles as they come, placed by their positions: the whole plate,
    and the iterations every tile says it did."""
    n = grid * TILE
    got = tiles.read_many(grid * grid)  # a (grid*grid, TILE_MSG) float32 array
    plate = np.full((n, n), np.nan, dtype=np.float32)
    seen = set()
    iterations = set()
    for msg in got:
        r, c = int(msg[0]), int(msg[1])
        if not (0 <= r < grid and 0 <= c < grid) or (r, c) in seen:
            raise ValueError(f"a tile at ({r}, {c}): outside the grid or sent twice")
        seen.add((r, c))
        iterations.add(int(msg[2]))
        plate[r * TILE : (r + 1) * TILE, c * TILE : (c + 1) * TILE] = msg[HEADER:].reshape(TILE, TILE)
    if len(iterations) != 1:
        raise ValueError(f"the tiles did different numbers of iterations: {sorted(iterations)}")
    return plate, iterations.pop()


def heat(grid: int, iterations: int) -> Tuple[np.ndarray, int, List[ecsp.DeviceResult], float]:
    """The stencil on a grid x grid array of tiles, on the current chip:
    (the plate, float32; the iterations the tiles did; the tiles' and the
    walls' results; the seconds the network took)."""
    sides = [(NORTH, "north", -1, 0), (SOUTH, "south", 1, 0), (WEST, "west", 0, -1), (EAST, "east", 0, 1)]
    opposite = {NORTH: SOUTH, SOUTH: NORTH, WEST: EAST, EAST: WEST}
    edge = f"f32[{TILE}]"
    # into[r][c][s]: the edge into tile (r, c) from side s, a neighbour's or a wall's.
    into = [[[ecsp.Channel(dtype=edge, buffer=1, name=f"from_{r}_{c}_{name}") for _, name, _, _ in sides] for c in range(grid)] for r in range(grid)]
    tiles = ecsp.Channel(dtype=f"f32[{TILE_MSG}]", buffer=grid, name="tiles")
    procs = []
    for r in range(grid):
        for c in range(grid):
            outs = []
            walls = []
            for s, name, dr, dc in sides:
                if 0 <= r + dr < grid and 0 <= c + dc < grid:
                    outs.append(into[r + dr][c + dc][opposite[s]].writer())
                else:
                    # The tile's edge on this side goes to a wall on its own core.
                    to_wall = ecsp.Channel(dtype=edge, buffer=1, name=f"wall_{r}_{c}_{name}")
                    outs.append(to_wall.writer())
                    walls.append(
                        heat_wall(to_wall.reader(), into[r][c][s].writer(), row=r, col=c, side=s, grid=grid,
                                  core=(r, c), name=f"wall_{r}_{c}_{name}")
                    )
            ins = [into[r][c][s].reader() for s, _, _, _ in sides]
            procs.append(
                heat_tile(*ins, *outs, tiles.writer(), row=r, col=c, iterations=iterations, core=(r, c), name=f"tile_{r}_{c}")
            )
            procs += walls
    t0 = time.perf_counter()
    results = ecsp.Parallel(procs, collector(tiles.reader(), grid), timeout=600)
    elapsed = time.perf_counter() - t0
    plate, did = results[-1]
    return plate, did, results[:-1], elapsed


def check(plate: np.ndarray, iterations: int, devices: List[ecsp.DeviceResult]) -> bool:
    """The same Jacobi iteration over the whole plate in double, from the
    same start and border, against the cores' plate and the tiles' last
    change. Prints what it found; True when both agree."""
    n = plate.shape[0]
    grid = n // TILE
    # u: the plate inside its fixed border ring (points -1 and n).
    u = np.zeros((n + 2, n + 2))
    for k in range(-1, n + 1):
        u[0, k + 1] = heat_edge(-1, k, n)
        u[n + 1, k + 1] = heat_edge(n, k, n)
        u[k + 1, 0] = heat_edge(k, -1, n)
        u[k + 1, n + 1] = heat_edge(k, n, n)
    print(f"heat on a {n}x{n} plate in {grid}x{grid} tiles of {TILE}x{TILE}, one per core: {iterations} Jacobi iterations")
    print("  iteration   largest change (numpy's, in double; = largest residual / 4)")
    change = 0.0
    for it in range(1, iterations + 1):
        inner = (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:]) * 0.25
        change = float(np.abs(inner - u[1:-1, 1:-1]).max())
        u[1:-1, 1:-1] = inner
        if it & (it - 1) == 0 or it == iterations:  # powers of two and the last
            print(f"  {it:9d}   {change:.6e}")
    want = u[1:-1, 1:-1]

    # A Jacobi step averages, so it never enlarges an error: each float step
    # adds at most ~1.2 eps of rounding, and the steps' errors at most add up.
    hottest = max(np.abs(u[0]).max(), np.abs(u[-1]).max(), np.abs(u[:, 0]).max(), np.abs(u[:, -1]).max())
    bound = 1.5 * np.finfo(np.float32).eps * hottest * max(iterations, 1)
    diff = np.abs(plate.astype(np.float64) - want)  # NaN where a tile never came
    bad = int(np.count_nonzero(~(diff <= bound)))
    tile_changes = [d.result for d in devices if d.kind == "heat_tile"]
    if any(not isinstance(x, float) for x in tile_changes):
        print("a tile gave no result")
        return False
    tile_change = max(tile_changes)
    # Near convergence a change is a difference of nearby floats: within the
    # same bound, twice (two iterates).
    change_ok = abs(tile_change - change) <= 2 * bound
    print(
        f"the cores' plate: mean temperature {np.mean(plate, dtype=np.float64):.6f}; largest difference from numpy's "
        f"{np.nanmax(diff):.3g} (bound {bound:.3g}), {bad} points outside it"
    )
    print(f"last iteration's largest change: {tile_change:.6e} on the cores, {change:.6e} in numpy")
    # Every wall answered every edge its tile sent.
    walls = [d for d in devices if d.kind == "heat_wall"]
    wrong = [d.name for d in walls if d.result != iterations]
    if wrong:
        print(f"walls that did not answer {iterations} edges: {', '.join(wrong)}")
    return bad == 0 and change_ok and not wrong


def main() -> int:
    ap = argparse.ArgumentParser(description="A Jacobi heat stencil, one Python kernel per core")
    ap.add_argument("--board", default="parallella-16", help="parallella-16 (4x4 tiles) or parallella-64 (8x8)")
    ap.add_argument("--iterations", type=int, default=None, help="Jacobi iterations (default: 1000 on a Parallella-16, 500 on a -64)")
    ap.add_argument("--backend", choices=["sim", "esdk"], default="sim", help="the simulator, or a Parallella (or esim) through the eSDK")
    ap.add_argument("--seed", type=int, default=None, help="run the simulator deterministically, replayable by this seed")
    ap.add_argument("--device-image", default=None, help="with --backend esdk: the image to load (default: the one ecsp was built with)")
    ap.add_argument("--show-c", action="store_true", help="print the C the tile and wall kernels compile to, and stop")
    args = ap.parse_args()
    if args.show_c:
        print(heat_tile.c_source)
        print(heat_wall.c_source)
        return 0
    if args.iterations is not None and args.iterations < 1:
        raise SystemExit("--iterations: at least 1")
    if args.backend == "esdk" and args.seed is not None:
        raise SystemExit("--seed: the simulator's (a real chip runs as it runs)")
    options = {"device_image": args.device_image} if args.backend == "esdk" else {"seed": args.seed}
    with ecsp.Chip(args.board, backend=args.backend, **options) as chip:
        rows, cols = chip.shape
        if rows != cols:
            raise SystemExit(f"{args.board}: the plate is square, the grid of cores {rows}x{cols}")
        iterations = args.iterations or ITERATIONS.get(rows, 100)
        plate, did, devices, elapsed = heat(rows, iterations)
    how = chip.backend if chip.backend != "sim" else f"sim, seed {chip.seed}" if chip.seed is not None else "sim, threaded"
    print(f"{rows}x{cols} tiles and {len(devices) - rows * cols} walls on {rows * cols} cores ({how}): {elapsed * 1000:.1f} ms")
    if not check(plate, did, devices):
        print("check: the answer disagrees")
        return 1
    print("check: the answer agrees")
    return 0


if __name__ == "__main__":
    sys.exit(main())
