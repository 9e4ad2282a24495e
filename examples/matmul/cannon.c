/* Cannon's matrix multiply, one kernel per PE of a grid x grid torus of
 * cores (the eSDK's matmul-16 on a Parallella-16, grid = 4; 8 on a
 * Parallella-64). C = A * B with every matrix cut into BLOCK x BLOCK blocks,
 * one block of each per PE.
 *
 * PE (row, col) starts with the blocks Cannon's skew gives it,
 * A(row, row+col) and B(row+col, col) (indices mod grid), made from
 * matrix.h's formula. Each of grid steps multiplies the two blocks into its
 * C block, then passes its A block west and its B block north and takes the
 * next ones from the east and the south; after the last step it sends its
 * C block, with its position, to the host. The shift channels buffer one
 * block, so every PE writes both of its blocks before it reads: a write
 * returns once the block is in the neighbour's buffer, and no ring of PEs
 * can wait on itself. */
#include <ecsp/kernel.h>

#include "matrix.h"

/* ecsp reads a declaration's sizes from this file's own #defines, so the
 * message sizes are spelled here; the asserts tie them to matrix.h. */
#define BB (16 * 16)
#define C_MSG (8 + 4 * BB)
_Static_assert(BB == BLOCK * BLOCK, "BB is matrix.h's block");
_Static_assert(C_MSG == sizeof(c_block), "C_MSG is a c_block");

ECSP_KERNEL(cannon_pe, "one PE of Cannon's matrix multiply: C += A*B, then A west, B north",
            IN(a_in, f32, BB), IN(b_in, f32, BB), OUT(a_out, f32, BB), OUT(b_out, f32, BB),
            OUT(c, u8, C_MSG), PARAM(row, i32), PARAM(col, i32), PARAM(grid, i32, 4),
            STACK(4096))
{
    /* 3 KiB of blocks; the rest of the stack is for the calls. */
    float a[BLOCK][BLOCK], b[BLOCK][BLOCK];
    c_block out;
    int k0 = (row + col) % grid; /* Cannon's skew */
    for (int i = 0; i < BLOCK; i++) {
        for (int j = 0; j < BLOCK; j++) {
            a[i][j] = matrix_a(row * BLOCK + i, k0 * BLOCK + j);
            b[i][j] = matrix_b(k0 * BLOCK + i, col * BLOCK + j);
            out.c[i][j] = 0.0f;
        }
    }
    for (int step = 0; step < grid; step++) {
        for (int i = 0; i < BLOCK; i++)
            for (int k = 0; k < BLOCK; k++) {
                float aik = a[i][k];
                for (int j = 0; j < BLOCK; j++)
                    out.c[i][j] += aik * b[k][j];
            }
        if (step == grid - 1)
            break;
        ecsp_write(a_out, a);
        ecsp_write(b_out, b);
        if (!ecsp_read(a_in, a) || !ecsp_read(b_in, b))
            ecsp_fail_value("a neighbour closed its shift channel at step", step);
    }
    out.row = (uint32_t)row;
    out.col = (uint32_t)col;
    ecsp_write(c, &out);
}
