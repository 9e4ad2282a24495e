/* The plate of examples/stencil, shared by the kernels (heat.c) and the
 * host's check (check.c): its tile size, its fixed edge temperatures and
 * the message that takes a tile to the host.
 *
 * The plate has n x n points (n = grid * TILE, a TILE x TILE tile per core)
 * inside a ring of fixed temperatures, heat_edge(i, j, n) at the ring's
 * points (i or j is -1 or n); it starts at 0 and heats up from its edges. */
#ifndef STENCIL_HEAT_H
#define STENCIL_HEAT_H

#include <stdint.h>

/* A core's tile: TILE x TILE points (1 KiB of floats); an edge is TILE floats. */
#define TILE 16

/* The fixed temperature at ring point (i, j) of an n x n plate: the top
 * edge at 1, the bottom at 0, the sides falling from 1 at the top to 0. */
static inline float heat_edge(int i, int j, int n)
{
    (void)j;
    if (i < 0)
        return 1.0f;
    if (i >= n)
        return 0.0f;
    return (float)(n - i) / (float)(n + 1);
}

/* What a tile sends the host after its last iteration. */
typedef struct heat_tile_msg {
    uint32_t row;        /* tile row, 0..grid-1 */
    uint32_t col;        /* tile column */
    uint32_t iterations; /* Jacobi iterations done */
    uint32_t reserved;
    float t[TILE][TILE]; /* its points after them */
} heat_tile_msg;

#endif /* STENCIL_HEAT_H */
