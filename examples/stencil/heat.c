/* A 2D heat (Jacobi) stencil: a plate cut into TILE x TILE tiles, one per
 * core; every iteration each point becomes the mean of its four
 * neighbours. A tile needs its neighbours' edge rows and columns (its
 * halo), so every iteration it sends its four edges and takes four back.
 *
 * heat_tile: the tile of core (row, col). Each iteration writes its edges
 * (north row, south row, west column, east column), then reads its halo
 * from the same four sides, then updates. The edge channels buffer one
 * edge, so writing all four before reading cannot deadlock. A side on the
 * plate's border talks to a heat_wall instead of a tile.
 *
 * heat_wall: a piece of the plate's fixed border beside one tile. It
 * answers every edge the tile sends with the border's temperatures
 * (heat.h's heat_edge), so a tile treats a border like a neighbour and
 * every tile runs the same code. It ends when the tile closes its edge. */
#include <ecsp/kernel.h>

#include "heat.h"

/* ecsp reads a declaration's sizes from this file's own #defines, so the
 * sizes are spelled here; the asserts tie them to heat.h. */
#define T 16
#define TILE_MSG (16 + 4 * T * T)
_Static_assert(T == TILE, "T is heat.h's TILE");
_Static_assert(TILE_MSG == sizeof(heat_tile_msg), "TILE_MSG is a heat_tile_msg");

ECSP_KERNEL(heat_tile, "one tile of a Jacobi heat stencil: sends its edges, takes its halo, updates",
            IN(from_north, f32, T), IN(from_south, f32, T), IN(from_west, f32, T), IN(from_east, f32, T),
            OUT(to_north, f32, T), OUT(to_south, f32, T), OUT(to_west, f32, T), OUT(to_east, f32, T),
            OUT(tile, u8, TILE_MSG), PARAM(row, i32), PARAM(col, i32), PARAM(iterations, i32, 100),
            STACK(3072))
{
    /* u: the tile inside its halo (row 0 and TILE+1, column 0 and TILE+1);
     * out.t: the next iteration, sent to the host after the last. */
    float u[TILE + 2][TILE + 2];
    heat_tile_msg out;
    float edge[TILE];
    float change = 0.0f;
    for (int i = 0; i < TILE + 2; i++)
        for (int j = 0; j < TILE + 2; j++)
            u[i][j] = 0.0f;
    for (int it = 0; it < iterations; it++) {
        ecsp_write(to_north, &u[1][1]);
        ecsp_write(to_south, &u[TILE][1]);
        for (int i = 0; i < TILE; i++)
            edge[i] = u[i + 1][1];
        ecsp_write(to_west, edge);
        for (int i = 0; i < TILE; i++)
            edge[i] = u[i + 1][TILE];
        ecsp_write(to_east, edge);

        if (!ecsp_read(from_north, &u[0][1]) || !ecsp_read(from_south, &u[TILE + 1][1]))
            ecsp_fail_value("a neighbour closed its edge at iteration", it);
        if (!ecsp_read(from_west, edge))
            ecsp_fail_value("the west neighbour closed its edge at iteration", it);
        for (int i = 0; i < TILE; i++)
            u[i + 1][0] = edge[i];
        if (!ecsp_read(from_east, edge))
            ecsp_fail_value("the east neighbour closed its edge at iteration", it);
        for (int i = 0; i < TILE; i++)
            u[i + 1][TILE + 1] = edge[i];

        change = 0.0f;
        for (int i = 1; i <= TILE; i++) {
            for (int j = 1; j <= TILE; j++) {
                float v = (u[i - 1][j] + u[i + 1][j] + u[i][j - 1] + u[i][j + 1]) * 0.25f;
                float d = v > u[i][j] ? v - u[i][j] : u[i][j] - v;
                change = d > change ? d : change;
                out.t[i - 1][j - 1] = v;
            }
        }
        for (int i = 1; i <= TILE; i++)
            for (int j = 1; j <= TILE; j++)
                u[i][j] = out.t[i - 1][j - 1];
    }
    out.row = (uint32_t)row;
    out.col = (uint32_t)col;
    out.iterations = (uint32_t)iterations;
    out.reserved = 0;
    ecsp_write(tile, &out);
    /* The largest change of the last iteration, which the check compares. */
    ecsp_result(change);
}

/* side: 0 north, 1 south, 2 west, 3 east of tile (row, col). */
ECSP_KERNEL(heat_wall, "a fixed-temperature border beside one tile: answers each edge with heat_edge's values",
            IN(edge, f32, T), OUT(halo, f32, T), PARAM(row, i32), PARAM(col, i32), PARAM(side, i32),
            PARAM(grid, i32, 4))
{
    float in[TILE], border[TILE];
    int n = grid * TILE;
    for (int k = 0; k < TILE; k++) {
        int i = row * TILE + k, j = col * TILE + k; /* along a west/east side, along a north/south one */
        switch (side) {
        case 0: border[k] = heat_edge(-1, j, n); break;
        case 1: border[k] = heat_edge(n, j, n); break;
        case 2: border[k] = heat_edge(i, -1, n); break;
        case 3: border[k] = heat_edge(i, n, n); break;
        default: ecsp_fail_value("side is 0 (north), 1 (south), 2 (west) or 3 (east), not", side);
        }
    }
    int64_t answered = 0;
    while (ecsp_read(edge, in)) {
        ecsp_write(halo, border);
        answered++;
    }
    ecsp_result(answered);
}
