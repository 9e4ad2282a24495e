/* ecsp's C device runtime: channel endpoints, built-in processes as
 * stackless coroutines, and the per-core executor.
 *
 * One core runs many processes and has no heap, so a C process is a state
 * struct plus a step function (protothread style): the step runs until the
 * process must wait, saves where it was (`line`) and returns ECSP_BLOCKED;
 * the next step resumes there. Every variable that lives across a wait is
 * in the state, and the state lives in the task arena exactly where the
 * host planned it (TaskRecord.state_offset, state_size): ecsp_c_state_size
 * says how much a kind needs, and a test checks that it fits the room the
 * planner reserves. */
#ifndef ECSP_RUNTIME_H
#define ECSP_RUNTIME_H

#include "hal.h"
#include "protocol.h"

/* What a step or a channel operation reports. */
#define ECSP_BLOCKED 0    /* not yet: wait for a wake-up and step again */
#define ECSP_DONE 1       /* the process ended (step) / the operation completed */
#define ECSP_SHUT_CLOSED (-1)  /* the channel was closed (and drained) */
#define ECSP_SHUT_POISONED (-2) /* the channel was poisoned */

/* A write end: of a one-to-one channel, of one writer of an any-to-one
 * channel (PROTOCOL.md "Send"), or of a one-to-any or any-to-any channel
 * (`shared`: PROTOCOL.md "One-to-any and any-to-any"). Private state of the
 * process that owns it. */
typedef struct ecsp_writer {
    uint32_t ack;       /* one-to-one: SRAM offset of our acknowledgement block */
    uint32_t ring;      /* one-to-one: global address of the reader's ring block */
    uint32_t reader;    /* one-to-one: the reader's core id (0: the host) */
    uint32_t slots;     /* 1 for a rendezvous, else the capacity */
    uint32_t stride;    /* msg_size rounded up to 8 */
    uint32_t msg_size;
    uint32_t written;   /* one-to-one: our copy of the ring's `written` */
    uint32_t next_slot; /* one-to-one: slot cursor, 0..slots */
    uint32_t end;       /* index in this core's end table */
    uint32_t share;     /* shared: SRAM offset of our ShareRecord */
    uint32_t table;     /* shared: SRAM offset of our OutLaneRecords, one per reader */
    uint32_t lanes;     /* shared: number of readers */
    uint32_t in_flight; /* shared rendezvous: lane of the message in flight, ECSP_NO_LANE */
    uint32_t start;     /* shared: the lane to look at first (fairness) */
    uint8_t own_state;  /* ECSP_CLOSED / ECSP_POISONED set by this end */
    uint8_t rendezvous; /* capacity 0 */
    uint8_t put;        /* the message of the send under way is in a ring */
    uint8_t shared;     /* bit 0: a shared end; bit 1: other writers share the readers */
    uint32_t reserved;  /* to a multiple of 8 bytes, so states stay 8-byte sized */
} ecsp_writer;

ECSP_STATIC_ASSERT(sizeof(ecsp_writer) % 8 == 0, "ecsp_writer keeps states 8-byte sized");

/* The read end of a one-to-one channel (lanes == 0), of an any-to-one
 * channel (lanes >= 1, merged fairly; PROTOCOL.md "LaneRecord"), or of a
 * one-to-any or any-to-any channel (share != 0, lanes merged the same way,
 * plus the requests of a rendezvous reader). */
typedef struct ecsp_reader {
    uint32_t ring;      /* one-to-one: SRAM offset of our ring; else of the lane table */
    uint32_t ack;       /* one-to-one: global address of the writer's ack block */
    uint32_t writer;    /* one-to-one: the writer's core id */
    uint32_t lanes;     /* 0: one-to-one; else the number of writers */
    uint32_t slots;
    uint32_t stride;
    uint32_t msg_size;
    uint32_t taken;     /* one-to-one: our copy of `taken` (else in the lane records) */
    uint32_t next_slot; /* one-to-one: slot cursor */
    uint32_t start;     /* lanes: lane to look at first (fairness) */
    uint32_t end;       /* index in this core's end table */
    uint32_t own_state; /* ECSP_POISONED once this end poisoned */
    uint32_t share;     /* shared: SRAM offset of our ShareRecord, 0 otherwise */
    uint32_t asked;     /* shared rendezvous: requests opened so far */
    uint32_t open;      /* shared rendezvous: a request is open */
    uint32_t rendezvous;
} ecsp_reader;

ECSP_STATIC_ASSERT(sizeof(ecsp_reader) % 8 == 0, "ecsp_reader keeps states 8-byte sized");

#define ECSP_NO_LANE 0xFFFFFFFFu

/* Opens end `index` of a task's read ends (writer: write ends) from the end
 * table at `ends_offset`: 0, or a ProcessError code (ECSP_ERR_*). */
uint32_t ecsp_open_reader(const ecsp_hal *h, ecsp_reader *r, uint32_t ends_offset, uint32_t end, uint32_t msg_size);
uint32_t ecsp_open_writer(const ecsp_hal *h, ecsp_writer *w, uint32_t ends_offset, uint32_t end, uint32_t msg_size);

/* One attempt at a send of the `msg_size` bytes at `msg` (the same bytes on
 * every attempt of one send): ECSP_DONE, ECSP_BLOCKED, ECSP_SHUT_CLOSED (this
 * end closed before) or ECSP_SHUT_POISONED (not delivered). */
int ecsp_send(const ecsp_hal *h, ecsp_writer *w, const void *msg);
/* One attempt at a receive into `buf`: ECSP_DONE, ECSP_BLOCKED, ECSP_SHUT_CLOSED
 * (closed and drained) or ECSP_SHUT_POISONED. */
int ecsp_recv(const ecsp_hal *h, ecsp_reader *r, void *buf);
void ecsp_close_writer(const ecsp_hal *h, ecsp_writer *w);
void ecsp_poison_writer(const ecsp_hal *h, ecsp_writer *w);
void ecsp_poison_reader(const ecsp_hal *h, ecsp_reader *r);

/* One participant of a barrier (PROTOCOL.md section 6; barrier.rs). */
typedef struct ecsp_barrier_part {
    uint32_t kind;       /* ECSP_BARRIER_DISSEMINATION or ECSP_BARRIER_WAND */
    uint32_t block;      /* SRAM offset of its participant block */
    uint32_t roster;     /* SRAM offset of the roster */
    uint32_t rank;
    uint32_t size;
    uint32_t episode;    /* episodes arrived at: the block's `arrived` */
    uint32_t active;     /* between arriving and leaving */
    uint32_t rounds;     /* dissemination: ceil(log2 size) */
    uint32_t round;      /* dissemination: the round being waited on */
    uint32_t signalled;  /* dissemination: this round's flag was written */
    uint32_t wand_block; /* WAND: SRAM offset of the core's WandBlock */
    uint32_t reserved;
} ecsp_barrier_part;

/* Rounds of a dissemination barrier of `size` participants: ceil(log2
 * size), the flags its participant blocks hold. */
uint32_t ecsp_barrier_rounds(uint32_t size);
/* The index of the task whose TaskRecord is at SRAM offset `record`, as
 * ecsp_barrier_open takes it: (record - tasks_offset) /
 * sizeof(ecsp_task_record), the division done by shift and subtract (the
 * Epiphany has no divide instruction, and libgcc's __udivsi3 is 386
 * bytes). In barrier.c, which every build of the runtime links. */
uint32_t ecsp_task_index(const ecsp_hal *h, uint32_t record);
/* Finds barrier `index` of task `task` in this core's boot table: 0, or
 * ECSP_ERR_MISSING_BARRIER. */
uint32_t ecsp_barrier_open(const ecsp_hal *h, ecsp_barrier_part *b, uint32_t task, uint32_t index);
/* One step of a wait: ECSP_DONE once every participant arrived at this
 * episode, else ECSP_BLOCKED. */
int ecsp_barrier_wait(const ecsp_hal *h, ecsp_barrier_part *b);
/* The test check: other participants not yet arrived at this one's latest
 * episode (remote reads). */
uint32_t ecsp_barrier_laggards(const ecsp_hal *h, const ecsp_barrier_part *b);

/* The result of a process (TaskRecord value, aux, ticks, error). */
typedef struct ecsp_outcome {
    uint64_t value;
    uint64_t aux;
    uint64_t ticks;
    uint32_t error;  /* a ProcessError code, 0 when it returned normally */
    uint32_t detail; /* the end or parameter index the error is about */
} ecsp_outcome;

/* Whether ends first_end .. first_end + inputs + outputs lie in an end
 * table of `count`, without the sum overflowing 32 bits. */
static inline int ecsp_ends_fit(uint32_t first_end, uint32_t inputs, uint32_t outputs, uint32_t count)
{
    return inputs <= count && outputs <= count - inputs && first_end <= count - inputs - outputs;
}

/* Bytes of the state of a process of `kind` (the C flag masked off), 0 for
 * a kind the C runtime does not have. Independent of the dtype. */
uint32_t ecsp_c_state_size(uint32_t kind);
/* Alignment of every state. */
#define ECSP_C_STATE_ALIGN 8u

/* Builds the state of the task whose TaskRecord is at SRAM offset `record`
 * at `state` (`room` bytes, 8-byte aligned): 0, or a BootError code
 * (ECSP_BOOT_UNKNOWN_KIND, _UNKNOWN_DTYPE, _NO_ROOM, _CORRUPT). */
uint32_t ecsp_c_init(const ecsp_hal *h, void *state, uint32_t room, uint32_t record, uint32_t ends_offset,
                     uint32_t end_count);
/* Runs the process until it blocks (ECSP_BLOCKED, having stored what it
 * waits on in its TaskRecord.waiting) or ends (ECSP_DONE, `out` filled). */
int ecsp_c_step(const ecsp_hal *h, void *state, ecsp_outcome *out);

/* ---- users' kernels (kernel.c; protocol.h "users' kernels") ---- */

/* Whether a TaskRecord.kind names a user's kernel. */
static inline int ecsp_is_kernel(uint32_t kind) { return (kind & ~ECSP_KIND_C_FLAG) >= ECSP_USER_KIND_BASE; }
/* Checks the room the host planned for the kernel task at `record` (its
 * block, items and parameters) and opens its ports: 0, or
 * ECSP_BOOT_CORRUPT. A port that does not fit its end fails the kernel at
 * its first step. */
uint32_t ecsp_k_init(const ecsp_hal *h, void *state, uint32_t room, uint32_t record, uint32_t ends_offset,
                     uint32_t end_count);
/* Runs the kernel (on its own stack) from its entry point until it is
 * over; suspends through the HAL each time it waits. */
#ifdef ECSP_HAL_SILICON
void ecsp_k_main(void (*entry)(void)) __asm__("ecsp_k_main"); /* called from silicon/switch.S */
#else
void ecsp_k_main(void (*entry)(void));
#endif
/* The outcome of a kernel that is over (ECSP_DONE), its failure message
 * copied into its room. */
int ecsp_k_outcome(const ecsp_hal *h, void *state, ecsp_outcome *out);
#ifdef ECSP_HAL_SILICON
/* Resumes the kernel until it waits again (ECSP_BLOCKED) or is over
 * (ECSP_DONE, `out` filled). */
int ecsp_k_step(const ecsp_hal *h, void *state, ecsp_outcome *out);
#endif

/* The correctly rounded square root (no libm on silicon). */
double ecsp_sqrt(double x);
float ecsp_sqrtf(float x);

/* ---- the executor (executor.c; PROTOCOL.md section 5) ---- */

/* The executor's own state: small, since on silicon it lives in the 16 KiB
 * runtime reserve with the code. A task's record and state are found from
 * the boot table each round. */
typedef struct ecsp_executor {
    uint32_t count;        /* tasks in the boot table */
    uint32_t live;         /* tasks still running */
    uint32_t tasks_offset; /* SRAM offset of the first TaskRecord */
    uint32_t arena_offset; /* SRAM offset of the task arena */
    uint32_t current;      /* the task being stepped, ECSP_NO_TASK between steps */
    uint32_t reserved;
    uint32_t live_bits[ECSP_MAX_TASKS_PER_CORE / 32];
} ecsp_executor;

#define ECSP_NO_TASK 0xFFFFFFFFu
/* ecsp_device::c_runtime::CExecutor mirrors it. */
ECSP_STATIC_ASSERT(sizeof(ecsp_executor) == 40, "ecsp_executor is 40 bytes");

/* Reads this core's boot table and builds every process's state, checking
 * in PROTOCOL.md's order; writes boot_error and core_status. Returns 0 or
 * the BootError code. `sram` is where this core's SRAM offset 0 is in the
 * address space the code runs in (0 on silicon). */
uint32_t ecsp_boot(const ecsp_hal *h, ecsp_executor *ex, uint32_t core_id, uintptr_t sram);
/* One round: steps every live process once, writing the results of those
 * that end. Returns the number still live. */
uint32_t ecsp_round(const ecsp_hal *h, ecsp_executor *ex, uintptr_t sram);

#endif /* ECSP_RUNTIME_H */
