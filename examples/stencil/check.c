/* The host's check of the heat stencil: the same Jacobi iteration over the
 * whole plate, in double precision, from the same start and border
 * (heat.h), against the tiles the cores sent; it prints how the largest
 * change per iteration falls, so the convergence shows. The grid is the
 * number of heat_tile processes; the iterations are what the tiles say. */
#include <ecsp/check.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "heat.h"

/* Point (i, j) of the plate with its border ring: i, j from -1 to n. */
#define AT(u, i, j) (u)[((i) + 1) * (size_t)(n + 2) + (j) + 1]

int ecsp_check(const ecsp_run *run)
{
    int tiles = 0;
    for (uint32_t p = 0; p < run->process_count; p++)
        tiles += strcmp(run->processes[p].kind, "heat_tile") == 0;
    int grid = (int)lround(sqrt((double)tiles));
    if (tiles == 0 || grid * grid != tiles) {
        printf("%d heat_tile processes: not a square grid\n", tiles);
        return 1;
    }
    int n = grid * TILE;

    size_t count;
    const unsigned char *data = ecsp_output(run, "tiles", &count);
    if (count != (size_t)tiles) {
        printf("%zu tiles reached the host; the %dx%d grid has %d\n", count, grid, grid, tiles);
        return 1;
    }
    float *got = calloc((size_t)n * n, sizeof *got);
    double *u = calloc((size_t)(n + 2) * (n + 2), sizeof *u);
    double *v = calloc((size_t)(n + 2) * (n + 2), sizeof *v);
    char *seen = calloc((size_t)tiles, 1);
    if (!got || !u || !v || !seen)
        return 1;
    int iterations = -1, ok = 1;
    for (size_t m = 0; m < count && ok; m++) {
        heat_tile_msg tm;
        memcpy(&tm, data + m * sizeof tm, sizeof tm); /* the messages are bytes: copy, do not cast */
        if (tm.row >= (uint32_t)grid || tm.col >= (uint32_t)grid || seen[tm.row * grid + tm.col]++) {
            printf("a tile at (%u, %u): outside the grid or sent twice\n", tm.row, tm.col);
            ok = 0;
        } else if (iterations >= 0 && tm.iterations != (uint32_t)iterations) {
            printf("tile (%u, %u) did %u iterations, another %d\n", tm.row, tm.col, tm.iterations, iterations);
            ok = 0;
        }
        iterations = (int)tm.iterations;
        for (int i = 0; i < TILE; i++)
            for (int j = 0; j < TILE; j++)
                got[(tm.row * TILE + i) * n + tm.col * TILE + j] = tm.t[i][j];
    }

    /* The border ring is fixed; the plate starts at 0. */
    for (int k = -1; k <= n; k++) {
        AT(u, -1, k) = AT(v, -1, k) = heat_edge(-1, k, n);
        AT(u, n, k) = AT(v, n, k) = heat_edge(n, k, n);
        AT(u, k, -1) = AT(v, k, -1) = heat_edge(k, -1, n);
        AT(u, k, n) = AT(v, k, n) = heat_edge(k, n, n);
    }
    printf("heat on a %dx%d plate in %dx%d tiles of %dx%d, one per core: %d Jacobi iterations\n", n, n, grid, grid,
           TILE, TILE, iterations);
    /* A point's change is a quarter of its residual (the discrete
     * Laplacian) before the step: the change falling is the residual
     * falling. */
    printf("  iteration   largest change (the host's, in double; = largest residual / 4)\n");
    double change = 0;
    for (int it = 1; ok && it <= iterations; it++) {
        change = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double x = (AT(u, i - 1, j) + AT(u, i + 1, j) + AT(u, i, j - 1) + AT(u, i, j + 1)) * 0.25;
                change = fmax(change, fabs(x - AT(u, i, j)));
                AT(v, i, j) = x;
            }
        double *w = u;
        u = v;
        v = w;
        /* Powers of two and the last: the change falls as the plate settles. */
        if ((it & (it - 1)) == 0 || it == iterations)
            printf("  %9d   %.6e\n", it, change);
    }

    /* A Jacobi step averages, so it never enlarges an error: each float
     * step adds at most ~1.2 eps of rounding (three additions of values
     * within the border's range), and the errors of `iterations` steps at
     * most add up. */
    double hottest = 0;
    for (int k = -1; k <= n; k++)
        hottest = fmax(hottest, fmax(fmax(fabs(AT(u, -1, k)), fabs(AT(u, n, k))),
                                     fmax(fabs(AT(u, k, -1)), fabs(AT(u, k, n)))));
    double bound = 1.5 * FLT_EPSILON * hottest * (iterations > 0 ? iterations : 1);
    double worst = 0, mean = 0;
    int bad = 0;
    for (int i = 0; ok && i < n; i++)
        for (int j = 0; j < n; j++) {
            double d = fabs((double)got[i * n + j] - AT(u, i, j));
            worst = fmax(worst, d);
            mean += got[i * n + j] / ((double)n * n);
            bad += d > bound;
        }
    /* The tiles' own largest changes of their last iteration (their results). */
    double tile_change = 0;
    for (uint32_t p = 0; p < run->process_count; p++) {
        const ecsp_run_process *pr = &run->processes[p];
        if (strcmp(pr->kind, "heat_tile") != 0)
            continue;
        if (pr->result_kind != 2) {
            printf("%s gave no result\n", pr->name);
            ok = 0;
        }
        tile_change = fmax(tile_change, pr->result_float);
    }
    /* Near convergence a change is a difference of nearby floats: compare
     * it within the same bound, twice (two iterates). */
    int change_ok = fabs(tile_change - change) <= 2 * bound;
    if (ok) {
        printf("the cores' plate: mean temperature %.6f; largest difference from the host's %.3g (bound %.3g), %d points "
               "outside it\n",
               mean, worst, bound, bad);
        printf("last iteration's largest change: %.6e on the cores, %.6e on the host\n", tile_change, change);
    }
    free(got);
    free(u);
    free(v);
    free(seen);
    return ok && bad == 0 && change_ok ? 0 : 1;
}
