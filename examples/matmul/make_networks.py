#!/usr/bin/env python3
"""Writes cannon16.toml and cannon64.toml, Cannon's matrix multiply on the
4x4 cores of a Parallella-16 and the 8x8 of a Parallella-64.

One cannon_pe process per core, pinned to it; two shift channels into each
PE (its next A block from the east, its next B block from the south, each
wrapping round the torus), buffered for one block; one any2one channel c
that every PE's C block takes to the host, where check.c compares them.

    python3 examples/matmul/make_networks.py          # (re)write both files
    python3 examples/matmul/make_networks.py --check  # exit 1 if they differ
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BLOCK = 16  # matrix.h's BLOCK
C_MSG = 8 + 4 * BLOCK * BLOCK  # a c_block: position and block


def network(grid: int, board: str) -> str:
    n = grid * BLOCK
    out = [
        f"# Cannon's matrix multiply on the {grid}x{grid} cores of a {board}: C = A*B,",
        f"# {n}x{n} floats in {BLOCK}x{BLOCK} blocks, one block of each matrix per core.",
        "# Written by make_networks.py; run it again after a change, not this file.",
        f"#   ecsp run examples/matmul/cannon{grid * grid}.toml",
        f'board = "{board}"',
        'kernels = ["cannon.c"]',
        "",
        "[check]",
        'source = "check.c"',
        "",
        "# Every PE's C block, with its position, to the host.",
        "[[channel]]",
        'name = "c"',
        f'dtype = "bytes:{C_MSG}"',
        'kind = "any2one"',
    ]
    for r in range(grid):
        for c in range(grid):
            out += [
                "",
                f"# Into PE ({r},{c}): A from ({r},{(c + 1) % grid}), B from ({(r + 1) % grid},{c}).",
                "[[channel]]",
                f'name = "a_{r}_{c}"',
                f'dtype = "f32[{BLOCK * BLOCK}]"',
                "capacity = 1",
                "[[channel]]",
                f'name = "b_{r}_{c}"',
                f'dtype = "f32[{BLOCK * BLOCK}]"',
                "capacity = 1",
            ]
    for r in range(grid):
        for c in range(grid):
            west = f"a_{r}_{(c - 1) % grid}"
            north = f"b_{(r - 1) % grid}_{c}"
            out += [
                "",
                "[[process]]",
                f'name = "pe_{r}_{c}"',
                'kind = "cannon_pe"',
                f"params = {{ row = {r}, col = {c}, grid = {grid} }}",
                f'inputs = ["a_{r}_{c}", "b_{r}_{c}"]',
                f'outputs = ["{west}", "{north}", "c"]',
                f"core = [{r}, {c}]",
            ]
    return "\n".join(out) + "\n"


def main() -> int:
    check = sys.argv[1:] == ["--check"]
    stale = []
    for grid, board in [(4, "parallella-16"), (8, "parallella-64")]:
        path = HERE / f"cannon{grid * grid}.toml"
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
