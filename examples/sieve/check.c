/* The host's check of the prime sieve: the primes up to the generator's
 * last number by the host's own sieve of Eratosthenes, against the primes
 * the stages hold (their results, in pipeline order) followed by the
 * numbers that reached the host (in the order they arrived). */
#include <ecsp/check.h>

#include <stdio.h>
#include <stdlib.h>

static int by_value(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int ecsp_check(const ecsp_run *run)
{
    const ecsp_run_process *gen = ecsp_process(run, "generate");
    const ecsp_run_process *collect = ecsp_process(run, "collect");
    if (!gen || !collect) {
        printf("the network has no `generate` or no `collect` process\n");
        return 1;
    }
    /* generate's value is how many numbers it sent: 2..=limit. */
    uint32_t limit = (uint32_t)gen->value + 1;

    /* The host's sieve of Eratosthenes. */
    char *composite = calloc((size_t)limit + 1, 1);
    uint32_t *want = malloc(((size_t)limit + 1) * sizeof *want);
    uint32_t *got = malloc(((size_t)limit + 1) * sizeof *got);
    if (!composite || !want || !got)
        return 1;
    size_t nwant = 0, ngot = 0;
    uint64_t sum_want = 0, sum_got = 0;
    for (uint32_t i = 2; i <= limit; i++) {
        if (composite[i])
            continue;
        want[nwant++] = i;
        sum_want += i;
        for (uint64_t j = (uint64_t)i * i; j <= limit; j += i)
            composite[j] = 1;
    }

    /* The stages' primes (sorted below: the check does not count on the
     * order the processes are reported in). */
    size_t held = 0, empty = 0;
    uint32_t largest_held = 0;
    for (uint32_t p = 0; p < run->process_count; p++) {
        const ecsp_run_process *pr = &run->processes[p];
        if (strcmp(pr->kind, "sieve_stage") != 0)
            continue;
        if (pr->result_kind != 1) {
            empty++; /* the numbers ran out first */
            continue;
        }
        got[ngot++] = (uint32_t)pr->result_int;
        sum_got += (uint64_t)pr->result_int;
        if ((uint32_t)pr->result_int > largest_held)
            largest_held = (uint32_t)pr->result_int;
        held++;
    }
    qsort(got, ngot, sizeof *got, by_value);
    size_t count;
    const uint32_t *arrived = ecsp_output(run, "primes", &count);
    for (size_t i = 0; i < count && ngot <= limit; i++) {
        got[ngot++] = arrived[i];
        sum_got += arrived[i];
    }

    printf("primes up to %u: %zu held by the stages (2 .. %u) + %zu reached the host = %zu, sum %llu\n", limit,
           held, largest_held, count, ngot, (unsigned long long)sum_got);
    printf("the host's sieve of Eratosthenes: %zu primes, sum %llu\n", nwant, (unsigned long long)sum_want);
    int ok = ngot == nwant && collect->result_kind == 1 && (uint64_t)collect->result_int == count;
    for (size_t i = 0; ok && i < ngot; i++) {
        if (got[i] != want[i]) {
            printf("prime %zu: the pipeline has %u, the host %u\n", i + 1, got[i], want[i]);
            ok = 0;
        }
    }
    if (!ok && empty == 0) {
        /* With every stage holding a prime, a composite whose smallest
         * factor no stage holds passes them all. */
        uint32_t next = 0;
        for (size_t i = 0; i < nwant; i++)
            if (want[i] > largest_held) {
                next = want[i];
                break;
            }
        if (next && (uint64_t)next * next <= limit)
            printf("(%zu stages cannot sieve numbers up to %u: %u*%u passes them all; generate fewer than %llu)\n",
                   held, limit, next, next, (unsigned long long)next * next);
    }
    if (collect->result_kind != 1 || (uint64_t)collect->result_int != count)
        printf("collect counted %lld numbers, but %zu reached the host\n", (long long)collect->result_int, count);
    free(composite);
    free(want);
    free(got);
    return ok ? 0 : 1;
}
