/* The host's check of Cannon's multiply: C = A * B over the whole matrices
 * from matrix.h's formula, in double precision, against the C blocks the
 * PEs sent. The grid is the number of cannon_pe processes (16 or 64). */
#include <ecsp/check.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "matrix.h"

int ecsp_check(const ecsp_run *run)
{
    int pes = 0;
    for (uint32_t p = 0; p < run->process_count; p++)
        pes += strcmp(run->processes[p].kind, "cannon_pe") == 0;
    int grid = (int)lround(sqrt((double)pes));
    if (pes == 0 || grid * grid != pes) {
        printf("%d cannon_pe processes: not a square grid\n", pes);
        return 1;
    }
    int n = grid * BLOCK;

    size_t count;
    const unsigned char *data = ecsp_output(run, "c", &count);
    for (uint32_t o = 0; o < run->output_count; o++)
        if (strcmp(run->outputs[o].channel, "c") == 0 && run->outputs[o].msg_size != sizeof(c_block)) {
            printf("channel c carries %u-byte messages, not a c_block's %zu\n", run->outputs[o].msg_size,
                   sizeof(c_block));
            return 1;
        }
    if (count != (size_t)pes) {
        printf("%zu C blocks reached the host; the %dx%d grid has %d\n", count, grid, grid, pes);
        return 1;
    }

    /* The whole C the PEs computed, placed by each block's position. */
    float *c = calloc((size_t)n * n, sizeof *c);
    char *seen = calloc((size_t)pes, 1);
    if (!c || !seen)
        return 1;
    for (size_t m = 0; m < count; m++) {
        c_block blk;
        memcpy(&blk, data + m * sizeof blk, sizeof blk); /* the messages are bytes: copy, do not cast */
        if (blk.row >= (uint32_t)grid || blk.col >= (uint32_t)grid || seen[blk.row * grid + blk.col]++) {
            printf("a C block at (%u, %u): outside the grid or sent twice\n", blk.row, blk.col);
            free(c);
            free(seen);
            return 1;
        }
        for (int i = 0; i < BLOCK; i++)
            for (int j = 0; j < BLOCK; j++)
                c[(blk.row * BLOCK + i) * n + blk.col * BLOCK + j] = blk.c[i][j];
    }

    /* Each element against the host's, within the rounding of a float sum
     * of n products in any order, fused multiply-adds or not (GCC fuses
     * them on the chip): n * eps * sum |a| |b|. */
    double worst = 0, worst_ratio = 0, norm = 0;
    int wi = 0, wj = 0, bad = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            double want = 0, mag = 0;
            for (int k = 0; k < n; k++) {
                double p = (double)matrix_a(i, k) * (double)matrix_b(k, j);
                want += p;
                mag += fabs(p);
            }
            double diff = fabs((double)c[i * n + j] - want);
            double bound = n * FLT_EPSILON * mag;
            norm = fmax(norm, fabs(want));
            if (diff > bound)
                bad++;
            if (diff / bound > worst_ratio) {
                worst_ratio = diff / bound;
                worst = diff;
                wi = i;
                wj = j;
            }
        }
    }
    printf("C = A*B, %dx%d floats in %dx%d blocks of %dx%d, one per PE: %zu blocks reached the host\n", n, n, grid,
           grid, BLOCK, BLOCK, count);
    printf("the host's product in double: largest |C| %.4f; largest difference %.3g at (%d, %d), %.3f of the "
           "rounding bound; %d elements outside it\n",
           norm, worst, wi, wj, worst_ratio, bad);
    free(c);
    free(seen);
    return bad == 0 ? 0 : 1;
}
