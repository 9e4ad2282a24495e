#!/usr/bin/env python3
"""Writes heat16.toml and heat64.toml, the Jacobi heat stencil on the 4x4
cores of a Parallella-16 and the 8x8 of a Parallella-64.

One heat_tile per core, pinned to it, with an edge channel into it from
each side (buffered for one edge); a side on the plate's border gets a
heat_wall on the tile's own core instead of a neighbour. Every tile sends
its last iteration to the host on the any2one channel `tiles`, where
check.c compares it with the host's own iteration.

    python3 examples/stencil/make_networks.py          # (re)write both files
    python3 examples/stencil/make_networks.py --check  # exit 1 if they differ
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TILE = 16  # heat.h's TILE
TILE_MSG = 16 + 4 * TILE * TILE  # a heat_tile_msg
SIDES = [("north", -1, 0), ("south", 1, 0), ("west", 0, -1), ("east", 0, 1)]
OPPOSITE = {"north": "south", "south": "north", "west": "east", "east": "west"}
# Iterations per board: enough for the change to fall visibly, few enough
# that the test suite runs both files in seconds in either simulator mode.
ITERATIONS = {4: 1000, 8: 500}


def network(grid: int, board: str) -> str:
    n = grid * TILE
    iterations = ITERATIONS[grid]
    out = [
        f"# A Jacobi heat stencil on the {grid}x{grid} cores of a {board}: a {n}x{n} plate",
        f"# in {TILE}x{TILE} tiles, {iterations} iterations, halos exchanged with the neighbour cores.",
        "# Written by make_networks.py; run it again after a change, not this file.",
        f"#   ecsp run examples/stencil/heat{grid * grid}.toml",
        f'board = "{board}"',
        'kernels = ["heat.c"]',
        "",
        "[check]",
        'source = "check.c"',
        "",
        "# Every tile's last iteration, with its position, to the host.",
        "[[channel]]",
        'name = "tiles"',
        f'dtype = "bytes:{TILE_MSG}"',
        'kind = "any2one"',
    ]
    # from_r_c_side: the edge into tile (r, c) from that side (a neighbour's or a wall's);
    # wall_r_c_side: tile (r, c)'s own edge to the wall on that side.
    for r in range(grid):
        for c in range(grid):
            out += ["", f"# Into tile ({r},{c})."]
            for side, dr, dc in SIDES:
                out += ["[[channel]]", f'name = "from_{r}_{c}_{side}"', f'dtype = "f32[{TILE}]"', "capacity = 1"]
            for side, dr, dc in SIDES:
                if not (0 <= r + dr < grid and 0 <= c + dc < grid):
                    out += ["[[channel]]", f'name = "wall_{r}_{c}_{side}"', f'dtype = "f32[{TILE}]"', "capacity = 1"]
    for r in range(grid):
        for c in range(grid):
            edges = []
            for side, dr, dc in SIDES:
                if 0 <= r + dr < grid and 0 <= c + dc < grid:
                    edges.append(f"from_{r + dr}_{c + dc}_{OPPOSITE[side]}")
                else:
                    edges.append(f"wall_{r}_{c}_{side}")
            ins = ", ".join(f'"from_{r}_{c}_{side}"' for side, _, _ in SIDES)
            outs = ", ".join(f'"{e}"' for e in edges)
            out += [
                "",
                "[[process]]",
                f'name = "tile_{r}_{c}"',
                'kind = "heat_tile"',
                f"params = {{ row = {r}, col = {c}, iterations = {iterations} }}",
                f"inputs = [{ins}]",
                f'outputs = [{outs}, "tiles"]',
                f"core = [{r}, {c}]",
            ]
            for k, (side, dr, dc) in enumerate(SIDES):
                if 0 <= r + dr < grid and 0 <= c + dc < grid:
                    continue
                out += [
                    "[[process]]",
                    f'name = "wall_{r}_{c}_{side}"',
                    'kind = "heat_wall"',
                    f"params = {{ row = {r}, col = {c}, side = {k}, grid = {grid} }}",
                    f'inputs = ["wall_{r}_{c}_{side}"]',
                    f'outputs = ["from_{r}_{c}_{side}"]',
                    f"core = [{r}, {c}]",
                ]
    return "\n".join(out) + "\n"


def main() -> int:
    check = sys.argv[1:] == ["--check"]
    stale = []
    for grid, board in [(4, "parallella-16"), (8, "parallella-64")]:
        path = HERE / f"heat{grid * grid}.toml"
        text = network(grid, board)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print(f"{', '.join(stale)} differ from make_networks.py's output: run it", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
