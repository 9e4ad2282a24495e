/* The CSP prime sieve's stages as users' kernels (`ecsp demo` runs the
 * built-in `sieve` kind): numbers 2, 3, 4, ... flow down a pipeline of
 * stages, one per core; each stage keeps the first number that reaches it
 * (a prime: no stage before divided it) and passes on the numbers its
 * prime does not divide. The end marker is the channel's close: a stage
 * whose input closes returns, which closes its output, and so on down the
 * pipeline. */
#include <ecsp/kernel.h>

ECSP_KERNEL(sieve_stage, "keeps the first number as its prime and passes on those it does not divide",
            IN(in, u32), OUT(out, u32))
{
    uint32_t prime, n;
    if (!ecsp_read(in, &prime))
        return; /* the numbers ran out before this stage: no prime, no result */
    if (prime < 2)
        ecsp_fail_value("a stage's numbers start at 2, not", prime);
    ecsp_result((int64_t)prime);
    while (ecsp_read(in, &n))
        if (n % prime != 0)
            ecsp_write(out, &n);
}

/* The pipeline's end: what passed every stage is prime (while the numbers
 * stay below the square of the first prime no stage holds); sends each to
 * the host, and counts them. */
ECSP_KERNEL(collect_primes, "sends the numbers that passed every stage to the host, and counts them",
            IN(in, u32), OUT(host, u32))
{
    uint32_t n;
    int64_t count = 0;
    while (ecsp_read(in, &n)) {
        ecsp_write(host, &n);
        count++;
    }
    ecsp_result(count);
}
