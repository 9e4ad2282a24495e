/* A host-side check of a run: C code on the host (the ARM of a Parallella,
 * or a PC) that compares what a network computed with what the host
 * computes itself, named in a network file's [check] section:
 *
 *     kernels = ["cannon.c"]
 *     [check]
 *     source = "check.c"
 *
 * `ecsp run` compiles the file with the host's C compiler (cached like
 * kernels), runs the network, then calls its `ecsp_check` with every
 * message that reached the host and every process's result; the check
 * prints what it compared (stdout) and returns 0 when the answer agrees,
 * which `ecsp run` turns into its exit status. The file is ordinary host
 * C: the C library, <math.h> (libm is linked) and headers of its own
 * folder are at hand.
 *
 *     #include <ecsp/check.h>
 *     #include <stdio.h>
 *
 *     int ecsp_check(const ecsp_run *run)
 *     {
 *         size_t n;
 *         const float *c = ecsp_output(run, "c", &n); // n messages of channel c
 *                                                     // (8-byte aligned)
 *         ...
 *         printf("largest difference %g\n", worst);
 *         return worst < 1e-4 ? 0 : 1;
 *     }
 */
#ifndef ECSP_CHECK_H
#define ECSP_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Everything that reached the host on one channel no process reads. */
typedef struct ecsp_run_output {
    const char *channel; /* its name */
    uint32_t msg_size;   /* bytes per message */
    uint64_t count;      /* messages, in the order they arrived */
    const void *data;    /* count * msg_size bytes, 8-byte aligned */
} ecsp_run_output;

/* One process's report. */
typedef struct ecsp_run_process {
    const char *name;
    const char *kind;
    int finished;       /* 1: it returned; 0: it runs forever and was stopped */
    uint64_t value;     /* TaskRecord results (meaning per kind) */
    uint64_t aux;
    uint64_t ticks;
    int result_kind;    /* a C kernel's ecsp_result: 0 none, 1 integer, 2 real */
    int64_t result_int;
    double result_float;
} ecsp_run_process;

/* A run, as the check sees it: the outputs in the network's channel order,
 * the processes in its process order (a network file's order). */
typedef struct ecsp_run {
    uint32_t version; /* ECSP_CHECK_VERSION */
    uint32_t output_count;
    const ecsp_run_output *outputs;
    uint32_t process_count;
    const ecsp_run_process *processes;
} ecsp_run;

#define ECSP_CHECK_VERSION 1u

/* The messages that reached the host on channel `name`: a pointer to them
 * and their number in *count; NULL (and 0) when no such channel reached it. */
static inline const void *ecsp_output(const ecsp_run *run, const char *name, size_t *count)
{
    for (uint32_t i = 0; i < run->output_count; i++) {
        if (strcmp(run->outputs[i].channel, name) == 0) {
            if (count)
                *count = (size_t)run->outputs[i].count;
            return run->outputs[i].data;
        }
    }
    if (count)
        *count = 0;
    return NULL;
}

/* Bytes per message of channel `name`'s outputs, 0 when no such channel
 * reached the host. */
static inline uint32_t ecsp_output_msg_size(const ecsp_run *run, const char *name)
{
    for (uint32_t i = 0; i < run->output_count; i++)
        if (strcmp(run->outputs[i].channel, name) == 0)
            return run->outputs[i].msg_size;
    return 0;
}

/* The report of process `name`, NULL when there is none. */
static inline const ecsp_run_process *ecsp_process(const ecsp_run *run, const char *name)
{
    for (uint32_t i = 0; i < run->process_count; i++)
        if (strcmp(run->processes[i].name, name) == 0)
            return &run->processes[i];
    return NULL;
}

/* What the check defines: 0 when the run's answer agrees. */
int ecsp_check(const ecsp_run *run) __attribute__((visibility("default")));

#ifdef __cplusplus
}
#endif

#endif /* ECSP_CHECK_H */
