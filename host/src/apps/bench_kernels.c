/* The kernels of `ecsp bench kernels`: users' C kernels doing the jobs of
 * built-in kinds, compiled and run as any user's are. */
#include <ecsp/kernel.h>

#define LEN 64
#define WIDTH 64

/* map fn=square over f32[64]. */
ECSP_KERNEL(bench_square, "squares every element of f32[64] vectors", IN(in, f32, LEN), OUT(out, f32, LEN), FOREVER,
            STACK(768))
{
    float v[LEN];
    while (ecsp_read(in, v)) {
        for (int i = 0; i < LEN; i++)
            v[i] *= v[i];
        ecsp_write(out, v);
    }
}

/* The built-in mandel over f32: (x0, y, dx, tag) in, (tag, counts...) out. */
ECSP_KERNEL(bench_mandel, "escape counts of a row of points", IN(in, f32, 4), OUT(out, f32, WIDTH + 1),
            PARAM(iterations, i32, 64), FOREVER, STACK(1024))
{
    float row[4], counts[WIDTH + 1];
    while (ecsp_read(in, row)) {
        float x0 = row[0], y = row[1], dx = row[2];
        counts[0] = row[3];
        for (int i = 0; i < WIDTH; i++) {
            float cr = x0 + dx * (float)i, zr = 0.0f, zi = 0.0f;
            int n = 0;
            while (n < iterations) {
                float zr2 = zr * zr, zi2 = zi * zi;
                if (zr2 + zi2 > 4.0f)
                    break;
                zi = zr * zi * 2.0f + y;
                zr = zr2 - zi2 + cr;
                n++;
            }
            counts[1 + i] = (float)n;
        }
        ecsp_write(out, counts);
    }
}

/* Rows of the Mandelbrot set's picture for either mandel: `rows` of them,
 * over and over, `count` in all. */
ECSP_KERNEL(bench_rows, "feeds rows of the picture of the Mandelbrot set", OUT(out, f32, 4), PARAM(count, i32),
            PARAM(rows, i32, 64))
{
    for (int k = 0; k < count; k++) {
        int r = k % rows;
        float row[4] = {-2.0f, -1.25f + 2.5f * (float)r / (float)rows, 2.5f / (float)WIDTH, (float)k};
        ecsp_write(out, row);
    }
}

/* Commstime's four processes. */
ECSP_KERNEL(bench_prefix, "outputs value, then copies", IN(in, u32), OUT(out, u32), PARAM(value, u32, 0), FOREVER)
{
    uint32_t v = value;
    ecsp_write(out, &v);
    while (ecsp_read(in, &v))
        ecsp_write(out, &v);
}

ECSP_KERNEL(bench_delta, "copies to both outputs in turn", IN(in, u32), OUT(a, u32), OUT(b, u32), FOREVER)
{
    uint32_t v;
    while (ecsp_read(in, &v)) {
        ecsp_write(a, &v);
        ecsp_write(b, &v);
    }
}

ECSP_KERNEL(bench_succ, "outputs its input plus one", IN(in, u32), OUT(out, u32), FOREVER)
{
    uint32_t v;
    while (ecsp_read(in, &v)) {
        v++;
        ecsp_write(out, &v);
    }
}

/* Reads warmup values, times count more, checks their sum, poisons. */
ECSP_KERNEL(bench_consume, "times count reads after warmup", IN(in, u32), PARAM(count, i64), PARAM(warmup, i64))
{
    uint32_t v = 0;
    for (int64_t i = 0; i < warmup; i++)
        ecsp_read(in, &v);
    uint64_t began = ecsp_now(), sum = 0;
    for (int64_t i = 0; i < count; i++) {
        ecsp_read(in, &v);
        sum += v;
    }
    uint64_t ticks = ecsp_now() - began;
    uint64_t w = (uint64_t)warmup, n = (uint64_t)count;
    if (sum != (w + n) * (w + n - 1) / 2 - (w ? w * (w - 1) / 2 : 0))
        ecsp_fail_value("commstime's consumer read the wrong sum:", (int64_t)sum);
    ecsp_poison(in);
    ecsp_result((int64_t)ticks);
}
