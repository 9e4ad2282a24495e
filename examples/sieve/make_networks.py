#!/usr/bin/env python3
"""Writes sieve16.toml and sieve64.toml, the CSP prime sieve with users'
sieve stages through every core of a Parallella-16 and a Parallella-64.

The built-in generator on the first core, a sieve_stage on each core but
the first and the last, collect_primes on the last; the pipeline snakes
through the mesh (row 0 left to right, row 1 right to left, ...) so every
channel joins neighbour cores. collect_primes sends what passed every
stage to the host on `primes`, where check.c compares it with the host's
sieve of Eratosthenes.

    python3 examples/sieve/make_networks.py          # (re)write both files
    python3 examples/sieve/make_networks.py --check  # exit 1 if they differ
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The numbers 2..=limit. Below the square of the first prime no stage
# holds (47 with 14 stages, 307 with 62), everything that passes every
# stage is a prime.
LIMIT = {4: 2000, 8: 5000}


def snake(grid: int):
    for r in range(grid):
        cols = range(grid) if r % 2 == 0 else reversed(range(grid))
        for c in cols:
            yield r, c


def network(grid: int, board: str) -> str:
    limit = LIMIT[grid]
    cores = list(snake(grid))
    stages = len(cores) - 2
    out = [
        f"# The CSP prime sieve through the {len(cores)} cores of a {board}: the numbers",
        f"# 2..={limit}, {stages} sieve stages (sieve.c), the primes that pass them all to the host.",
        "# Written by make_networks.py; run it again after a change, not this file.",
        f"#   ecsp run examples/sieve/sieve{len(cores)}.toml",
        f'board = "{board}"',
        'kernels = ["sieve.c"]',
        "",
        "[check]",
        'source = "check.c"',
    ]
    for s in range(stages + 1):
        out += ["", "[[channel]]", f'name = "n{s}"', 'dtype = "u32"', "capacity = 4"]
    out += [
        "",
        "# What passed every stage, to the host.",
        "[[channel]]",
        'name = "primes"',
        'dtype = "u32"',
        "capacity = 4",
        "",
        "[[process]]",
        'name = "generate"',
        'kind = "generate"',
        f"params = {{ start = 2, count = {limit - 1} }}",
        'outputs = ["n0"]',
        f"core = [{cores[0][0]}, {cores[0][1]}]",
    ]
    for s in range(1, stages + 1):
        r, c = cores[s]
        out += [
            "",
            "[[process]]",
            f'name = "stage{s}"',
            'kind = "sieve_stage"',
            f'inputs = ["n{s - 1}"]',
            f'outputs = ["n{s}"]',
            f"core = [{r}, {c}]",
        ]
    r, c = cores[-1]
    out += [
        "",
        "[[process]]",
        'name = "collect"',
        'kind = "collect_primes"',
        f'inputs = ["n{stages}"]',
        'outputs = ["primes"]',
        f"core = [{r}, {c}]",
    ]
    return "\n".join(out) + "\n"


def main() -> int:
    check = sys.argv[1:] == ["--check"]
    stale = []
    for grid, board in [(4, "parallella-16"), (8, "parallella-64")]:
        path = HERE / f"sieve{grid * grid}.toml"
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
