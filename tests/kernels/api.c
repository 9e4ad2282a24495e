/* Kernels that exercise the C kernel API, one feature each; the tests in
 * tests/tests/kernels_c.rs run them on the simulator, both modes. */
#include <ecsp/kernel.h>

/* Fair alternation over two inputs until both are closed: the count. */
ECSP_KERNEL(fair_merge, "merges two inputs fairly until both close",
            IN(left, u32), IN(right, u32), OUT(out, u32))
{
    uint32_t l, r;
    int64_t n = 0;
    while (!ecsp_closed(left) || !ecsp_closed(right)) {
        int k = ECSP_SELECT(ecsp_when(!ecsp_closed(left), ecsp_on_read(left, &l)),
                            ecsp_when(!ecsp_closed(right), ecsp_on_read(right, &r)));
        if (k == 0 && !ecsp_closed(left)) {
            ecsp_write(out, &l);
            n++;
        } else if (k == 1 && !ecsp_closed(right)) {
            ecsp_write(out, &r);
            n++;
        }
    }
    ecsp_result(n);
}

/* A priority select with a skip guard first never takes the input; with
 * the skip disabled it takes it. Result: 100 * skips + reads. */
ECSP_KERNEL(pri_skip, "priority select: a skip guard wins over later guards",
            IN(in, u32), PARAM(rounds, i32, 5))
{
    uint32_t v;
    int64_t skips = 0, reads = 0;
    for (int i = 0; i < rounds; i++) {
        if (ECSP_PRI_SELECT(ecsp_on_skip(), ecsp_on_read(in, &v)) == 0)
            skips++;
    }
    while (reads < rounds) {
        int k = ECSP_PRI_SELECT(ecsp_when(0, ecsp_on_skip()), ecsp_on_read(in, &v));
        if (k == 1 && !ecsp_closed(in))
            reads++;
        if (ecsp_closed(in))
            break;
    }
    ecsp_result(100 * skips + reads);
}

/* Waits for a message with a timeout; the result is 1 when the timeout
 * fired first, 2 when a message came; the time waited is checked. */
ECSP_KERNEL(wait_or_timeout, "a read guard against a timeout",
            IN(in, u32), PARAM(us, i32, 200))
{
    uint32_t v;
    uint64_t began = ecsp_now();
    int k = ECSP_PRI_SELECT(ecsp_on_read(in, &v), ecsp_on_timeout(ecsp_us((uint64_t)us)));
    uint64_t waited = ecsp_now() - began;
    if (k == 1 && waited < ecsp_us((uint64_t)us))
        ecsp_fail_value("the timeout fired early, after ticks", (int64_t)waited);
    if (k == 1)
        ecsp_read(in, &v); /* the late message, so its writer ends */
    ecsp_result(k + 1);
}

/* Sleeps, then reports the ticks it slept as a float of microseconds. */
ECSP_KERNEL(sleeper, "sleeps, then gives the microseconds it slept",
            OUT(done, u32), PARAM(us, u32, 50))
{
    uint64_t began = ecsp_now();
    ecsp_sleep(ecsp_us(us));
    uint64_t slept = ecsp_now() - began;
    uint32_t one = 1;
    ecsp_write(done, &one);
    ecsp_result((double)slept * 1e6 / (double)ecsp_clock_hz());
}

/* `rounds` episodes of a barrier, passing the episode number round a ring. */
ECSP_KERNEL(barrier_ring, "waits at a barrier and passes episode numbers round a ring",
            IN(prev, u32), OUT(next, u32), BARRIER(phase), PARAM(rounds, i32, 4), PARAM(first, bool, false))
{
    uint32_t e = 0, got;
    int64_t sum = 0;
    for (int i = 0; i < rounds; i++) {
        ecsp_sync(phase);
        e = (uint32_t)i;
        if (first) {
            ecsp_write(next, &e);
            if (!ecsp_read(prev, &got))
                ecsp_fail("the ring closed");
        } else {
            if (!ecsp_read(prev, &got))
                ecsp_fail("the ring closed");
            ecsp_write(next, &got);
        }
        sum += got;
    }
    ecsp_result(sum);
}

/* Reads `count` values, then poisons its input: poison travels upstream. */
ECSP_KERNEL(poisoner, "reads count values, then poisons its input", IN(in, i32), PARAM(count, i32, 3))
{
    int32_t v;
    for (int i = 0; i < count; i++)
        ecsp_read(in, &v);
    ecsp_poison(in);
    ecsp_result(count);
}

/* Copies until it meets poison (then every end it has is poisoned). */
ECSP_KERNEL(copy_i32, "copies scalars until its input ends", IN(in, i32), OUT(out, i32), FOREVER)
{
    int32_t v;
    while (ecsp_read(in, &v))
        ecsp_write(out, &v);
}

/* Fails when it reads a value above its limit. */
ECSP_KERNEL(checker, "fails on a value above limit", IN(in, u32), PARAM(limit, u32, 10))
{
    uint32_t v;
    while (ecsp_read(in, &v))
        if (v > limit)
            ecsp_fail_value("value above the limit:", v);
}

/* Every parameter type, combined into one float result. */
ECSP_KERNEL(all_params, "every parameter type",
            OUT(out, f64), PARAM(a, i32, -2), PARAM(b, u32, 3000000000), PARAM(c, i64, -5000000000),
            PARAM(d, u64, 7), PARAM(e, f32, 0.5), PARAM(f, f64, 0.25), PARAM(g, bool, true))
{
    double r = (double)a + (double)b + (double)c + (double)d + (double)e + f + (g ? 1000.0 : 0.0);
    ecsp_write(out, &r);
    ecsp_result(r);
}

/* Vectors in and out: scales a vector of floats. */
ECSP_KERNEL(scale_vec, "scales f32[16] vectors", IN(in, f32, 16), OUT(out, f32, 16), PARAM(k, f32, 2.0))
{
    float v[16];
    while (ecsp_read(in, v)) {
        for (int i = 0; i < 16; i++)
            v[i] *= k;
        ecsp_write(out, v);
    }
}

/* A parameter without a default. */
ECSP_KERNEL(needs_n, "takes a parameter without a default", IN(in, u32), PARAM(n, i32))
{
    uint32_t v;
    for (int i = 0; i < n; i++)
        ecsp_read(in, &v);
}
