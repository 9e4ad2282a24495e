/* The matrices of examples/matmul, shared by the kernel (cannon.c), which
 * makes each PE's blocks from them on its core, and the host's check
 * (check.c), which multiplies the whole matrices from the same formula: no
 * input files, and the answer is known on both sides.
 *
 * A and B are N x N with N = grid * BLOCK; element (i, j) is a value in
 * [-0.5, 0.5) that no two neighbours share, and not a short binary fraction,
 * so the products round as real matrices' do. */
#ifndef MATMUL_MATRIX_H
#define MATMUL_MATRIX_H

#include <stdint.h>

/* A PE's block: BLOCK x BLOCK floats (1 KiB, one message). */
#define BLOCK 16

static inline float matrix_a(int i, int j)
{
    return (float)((i * 37 + j * 11 + 5) % 101) / 101.0f - 0.5f;
}

static inline float matrix_b(int i, int j)
{
    return (float)((i * 13 + j * 29 + 3) % 97) / 97.0f - 0.5f;
}

/* What a PE sends the host at the end: where its block of C is, and the
 * block. */
typedef struct c_block {
    uint32_t row; /* block row of C, 0..grid-1 */
    uint32_t col; /* block column */
    float c[BLOCK][BLOCK];
} c_block;

#endif /* MATMUL_MATRIX_H */
