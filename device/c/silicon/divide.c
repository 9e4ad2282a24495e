/* 64-bit integer division for the device image, in place of libgcc's.
 *
 * The Epiphany has no divide instruction, so GCC calls __udivdi3,
 * __umoddi3, __divdi3 and __moddi3 for 64-bit `/` and `%`. libgcc's are
 * unrolled for speed and take about 7.6 KiB of Epiphany code together,
 * close to a whole SRAM bank; the runtime divides 64-bit numbers only off
 * the hot paths (a reduce's mean, a watchdog's period, an i64 `div`
 * kernel), so one shift-and-subtract loop of about 100 bytes serves all
 * four. Defined here, these are linked before libgcc is searched, and
 * libgcc's copies are never pulled in. */
#include <stdint.h>

/* libgcc's names, as C names: the compiler gives them the same symbol
 * prefix as its own calls to them, whichever GCC it is (see crt0.S). */
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
int64_t __divdi3(int64_t n, int64_t d);
int64_t __moddi3(int64_t n, int64_t d);

/* n / d into *q and n % d into *r, one bit a round. Division by zero gives
 * an all-ones quotient and leaves n as the remainder (callers check d). */
static void __attribute__((noinline)) udivmod(uint64_t n, uint64_t d, uint64_t *q, uint64_t *r)
{
    uint64_t quot = 0, rem = 0;
    for (int bit = 63; bit >= 0; bit--) {
        rem = (rem << 1) | ((n >> bit) & 1u);
        quot <<= 1;
        if (rem >= d) {
            rem -= d;
            quot |= 1u;
        }
    }
    *q = quot;
    *r = rem;
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
    uint64_t q, r;
    udivmod(n, d, &q, &r);
    return q;
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
    uint64_t q, r;
    udivmod(n, d, &q, &r);
    return r;
}

static uint64_t magnitude(int64_t x) { return x < 0 ? 0u - (uint64_t)x : (uint64_t)x; }

/* Truncating division, as C's `/` on signed numbers. */
int64_t __divdi3(int64_t n, int64_t d)
{
    uint64_t q, r;
    udivmod(magnitude(n), magnitude(d), &q, &r);
    return (n < 0) != (d < 0) ? (int64_t)(0u - q) : (int64_t)q;
}

/* The remainder takes the sign of the dividend, as C's `%`. */
int64_t __moddi3(int64_t n, int64_t d)
{
    uint64_t q, r;
    udivmod(magnitude(n), magnitude(d), &q, &r);
    return n < 0 ? (int64_t)(0u - r) : (int64_t)r;
}
