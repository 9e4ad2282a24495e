/* ecsp wire protocol and boot table, version 4: the C side.
 *
 * Byte for byte the structures and constants of device/PROTOCOL.md (the
 * Rust side: device/src/boot.rs, device/src/channel/block.rs,
 * device/src/barrier.rs). Every offset and size is pinned twice: by the
 * static asserts below, and by device/tests/c_layout.rs, which compares
 * the table that src/layout.c builds with the Rust structures.
 *
 * Freestanding C99: no libc, no e-lib. */
#ifndef ECSP_PROTOCOL_H
#define ECSP_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

/* ---- SRAM layout (PROTOCOL.md section 2) ---- */
#define ECSP_SRAM_SIZE 0x8000u
#define ECSP_RUNTIME_END 0x4000u
#define ECSP_BOOT_OFFSET 0x4000u
#define ECSP_STACK_RESERVE 0x800u
#define ECSP_STACK_BOTTOM 0x7800u
#define ECSP_BOOT_MAGIC 0x50534345u /* "ECSP" read as a little-endian u32 */
#define ECSP_BOOT_VERSION 4u
#define ECSP_MAX_TASKS_PER_CORE 128u
#define ECSP_MAX_PARAMS 4u

/* ---- registers (offsets in a core's 1 MiB window) ---- */
#define ECSP_REG_STATUS 0xF0404u
#define ECSP_REG_IMASK 0xF0424u
#define ECSP_REG_ILAT 0xF0428u
#define ECSP_ILATST 0xF042Cu
#define ECSP_REG_ILATCL 0xF0430u
#define ECSP_REG_CTIMER0 0xF0438u
#define ECSP_REG_CTIMER1 0xF043Cu
#define ECSP_REG_CONFIG 0xF0400u
#define ECSP_REG_COREID 0xF0704u
#define ECSP_USER_IRQ_BIT 0x200u
#define ECSP_WAND_IRQ_BIT 0x100u

/* ---- channel blocks (PROTOCOL.md section 3) ---- */
#define ECSP_RING_WRITTEN 0u
#define ECSP_RING_WRITER_STATE 4u
#define ECSP_RING_SLOTS 8u
#define ECSP_ACK_TAKEN 0u
#define ECSP_ACK_READER_STATE 4u
#define ECSP_ACK_BLOCK_SIZE 8u
#define ECSP_CLOSED 1u
#define ECSP_POISONED 2u
#define ECSP_BLOCK_ALIGN 8u
#define ECSP_MAX_MESSAGE_SIZE 4096u
#define ECSP_MAX_CAPACITY 1024u
#define ECSP_MAX_LANES 64u

#define ECSP_END_READ 0u
#define ECSP_END_WRITE 1u
#define ECSP_END_SHARED_READ 2u
#define ECSP_END_SHARED_WRITE 3u

/* TaskRecord.waiting of a process blocked on anything but one end. */
#define ECSP_WAIT_OTHER 0xFFFFFFFFu

/* core_status and task_status values */
#define ECSP_STATUS_LOADED 0u
#define ECSP_STATUS_RUNNING 1u
#define ECSP_STATUS_FINISHED 2u
#define ECSP_STATUS_FAULTED 3u /* core_status */
#define ECSP_STATUS_FAILED 3u  /* task_status */

/* BootError codes (BootHeader.boot_error) */
#define ECSP_BOOT_NO_TABLE 1u
#define ECSP_BOOT_VERSION_MISMATCH 2u
#define ECSP_BOOT_WRONG_CORE 3u
#define ECSP_BOOT_TOO_MANY_TASKS 4u
#define ECSP_BOOT_CORRUPT 5u
#define ECSP_BOOT_UNKNOWN_KIND 6u
#define ECSP_BOOT_UNKNOWN_DTYPE 7u
#define ECSP_BOOT_NO_ROOM 8u

/* ProcessError codes (TaskRecord.error) */
#define ECSP_ERR_WRONG_DIRECTION 1u
#define ECSP_ERR_SIZE_MISMATCH 2u
#define ECSP_ERR_BAD_BLOCK 3u
#define ECSP_ERR_MISSING_END 4u
#define ECSP_ERR_BAD_PARAM 5u
#define ECSP_ERR_PANICKED 6u
#define ECSP_ERR_FAULTED 7u
#define ECSP_ERR_MISSING_BARRIER 8u
#define ECSP_ERR_NO_SCRATCH 9u
#define ECSP_ERR_LENGTH_MISMATCH 10u
#define ECSP_ERR_KERNEL_FAILED 11u  /* a user's kernel called ecsp_fail: its message is in its room */
#define ECSP_ERR_STACK_OVERFLOW 12u /* a user's kernel ran past the bottom of its stack */
#define ECSP_ERR_BAD_KERNEL 13u     /* a user's kernel room is not what its declaration needs */

/* Dtype codes (TaskRecord.dtype) */
#define ECSP_DTYPE_I32 1u
#define ECSP_DTYPE_U32 2u
#define ECSP_DTYPE_F32 3u
#define ECSP_DTYPE_I64 4u
#define ECSP_DTYPE_F64 5u
#define ECSP_DTYPE_U8 6u

/* Kind ids (TaskRecord.kind): the order of KINDS in
 * device/src/process/registry.rs. */
#define ECSP_KIND_ID 0u
#define ECSP_KIND_SUCC 1u
#define ECSP_KIND_PREFIX 2u
#define ECSP_KIND_DELTA 3u
#define ECSP_KIND_CONSUME 4u
#define ECSP_KIND_GENERATE 5u
#define ECSP_KIND_SIEVE 6u
#define ECSP_KIND_MERGE 7u
#define ECSP_KIND_PLUS 8u
#define ECSP_KIND_TAIL 9u
#define ECSP_KIND_ALT_COUNT 10u
#define ECSP_KIND_DELTA_PAR 11u
#define ECSP_KIND_MUX 12u
#define ECSP_KIND_DEMUX 13u
#define ECSP_KIND_BARRIER_COUNT 14u
#define ECSP_KIND_WATCHDOG 15u
#define ECSP_KIND_MAP 16u
#define ECSP_KIND_ZIP 17u
#define ECSP_KIND_REDUCE 18u
#define ECSP_KIND_RAMP 19u
#define ECSP_KIND_MANDEL 20u

/* The kinds this build of the C runtime carries, one bit per kind id.
 * ecsp's simulator carries them all; a device image may carry fewer to fit
 * a core's SRAM (device/build.rs, ECSP_DEVICE_KINDS) and refuses the others
 * at boot with ECSP_BOOT_UNKNOWN_KIND. The image publishes its set as the
 * word `ecsp_image_kinds` (silicon/main.c), which the host reads from the
 * ELF before it plans. */
#define ECSP_ALL_KINDS 0x1FFFFFu
#ifndef ECSP_IMAGE_KINDS
#define ECSP_IMAGE_KINDS ECSP_ALL_KINDS
#endif
#define ECSP_IMAGE_HAS_KIND(k) ((k) < 32u && ((ECSP_IMAGE_KINDS >> (k)) & 1u) != 0)

/* The message dtypes this build of the C runtime carries, one bit per dtype
 * code, as for kinds: an image without f64 (or i64) leaves out the
 * software floating point (or 64-bit arithmetic) it needs, and refuses such
 * channels at boot with ECSP_BOOT_UNKNOWN_DTYPE. Published as
 * `ecsp_image_dtypes`. */
#define ECSP_ALL_DTYPES 0x7Eu
#ifndef ECSP_IMAGE_DTYPES
#define ECSP_IMAGE_DTYPES ECSP_ALL_DTYPES
#endif
#define ECSP_IMAGE_HAS_DTYPE(d) ((d) < 32u && ((ECSP_IMAGE_DTYPES >> (d)) & 1u) != 0)

/* Whether this build of the C runtime runs users' kernels: a device image
 * built for cores that run some (ecsp-host's per-core images) defines it
 * to 1 and links their table; an image without them leaves their runtime
 * out. The simulator runs kernels through ecsp-host's runner instead. */
#ifndef ECSP_IMAGE_KERNELS
#define ECSP_IMAGE_KERNELS 0
#endif

/* Set in TaskRecord.kind by a host that wants this process run by the C
 * runtime in a simulator that carries both runtimes (ecsp-device's
 * `c-runtime` feature). The C runtime ignores the bit: on silicon every
 * process is a C process. */
#define ECSP_KIND_C_FLAG 0x80000000u

/* ---- users' kernels (PROTOCOL.md section 7) ----
 *
 * A process of a user's kind (kind id ECSP_USER_KIND_BASE and up, numbered
 * by the host per network) has a room in the task arena laid out as:
 *
 *   ecsp_kernel_block          the kernel's head (host and device fields)
 *   ecsp_kernel_item x items   one per item of its declaration, in order
 *   parameter values           8 bytes each, where the items say
 *   port states                ecsp_reader / ecsp_writer / ecsp_barrier_part
 *   canary word (8 bytes)      ECSP_STACK_CANARY twice, under the stack
 *   stack                      `stack` bytes, the room's last ones
 *
 * The host writes the block's host fields, the items and the parameter
 * values into the room before the core starts; the device fills the rest. */
#define ECSP_USER_KIND_BASE 0x100u
#define ECSP_KERNEL_MAGIC 0x4E52454Bu /* "KERN" read as a little-endian u32 */
#define ECSP_MAX_KERNEL_ITEMS 32u
#define ECSP_STACK_CANARY 0xC0DEFA11u

/* ecsp_kernel_item.kind */
#define ECSP_ITEM_NONE 0u    /* STACK, FOREVER: nothing at run time */
#define ECSP_ITEM_IN 1u      /* a read end: `index` is its input number */
#define ECSP_ITEM_OUT 2u     /* a write end: `index` is its output number */
#define ECSP_ITEM_BARRIER 3u /* a barrier: `index` among the task's barriers */
#define ECSP_ITEM_PARAM 4u   /* a parameter: its 8-byte value at `state` */

/* ecsp_kernel_block.state */
#define ECSP_KSTATE_READY 0u    /* written by the host: not started */
#define ECSP_KSTATE_RUNNING 1u  /* started, running or blocked */
#define ECSP_KSTATE_RETURNED 2u /* the kernel returned: outputs closed */
#define ECSP_KSTATE_POISONED 3u /* it met poison: every end poisoned */
#define ECSP_KSTATE_FAILED 4u   /* ecsp_fail, or a bad room: `error` says */

/* ecsp_kernel_block.result_kind */
#define ECSP_RESULT_NONE 0u
#define ECSP_RESULT_INT 1u   /* `result` holds an int64_t */
#define ECSP_RESULT_FLOAT 2u /* `result` holds the bits of a double */

typedef struct ecsp_kernel_block {
    uint32_t magic;       /* ECSP_KERNEL_MAGIC. Host writes. */
    uint32_t items;       /* number of ecsp_kernel_item that follow. Host writes. */
    uint32_t stack;       /* bytes of stack at the end of the room (a multiple of 8). Host writes. */
    uint32_t state;       /* ECSP_KSTATE_*. Host writes READY; device after. */
    uint64_t context;     /* the suspended kernel: its stack pointer on silicon, the
                             simulator's coroutine in ecsp's simulator. Device. */
    uint64_t result;      /* the value given to ecsp_result. Device. */
    uint64_t note;        /* the failure message's address while the kernel fails. Device. */
    int64_t note_value;   /* the value given to ecsp_fail_value. Device. */
    uint32_t result_kind; /* ECSP_RESULT_*. Device. */
    uint32_t error;       /* a ProcessError code when state is FAILED. Device. */
    uint32_t message;     /* room offset of the failure message (NUL-terminated), 0: none. Device. */
    uint32_t record;      /* SRAM offset of the kernel's TaskRecord. Device. */
    uint32_t first_end;   /* the TaskRecord's first_end. Device. */
    uint32_t fair;        /* the guard chosen last by a fair select, for the next one. Device. */
} ecsp_kernel_block;

typedef struct ecsp_kernel_item {
    uint8_t kind;      /* ECSP_ITEM_*. Host writes. */
    uint8_t index;     /* see ECSP_ITEM_*. Host writes. */
    uint16_t msg_size; /* a port's declared message bytes (dtype size x length). Host writes. */
    uint16_t state;    /* room offset of a port's state or a parameter's value. Host writes. */
    uint8_t flags;     /* bit 0: an input seen closed and drained. Device. */
    uint8_t reserved;
} ecsp_kernel_item;

#define ECSP_ITEM_CLOSED 1u

/* ---- boot table (PROTOCOL.md section 3) ---- */
typedef struct ecsp_boot_header {
    uint32_t magic;
    uint32_t version;
    uint32_t core_id;
    uint32_t task_count;
    uint32_t end_count;
    uint32_t tasks_offset;
    uint32_t ends_offset;
    uint32_t arena_offset;
    uint32_t arena_size;
    uint32_t core_status;
    uint32_t fault_task;
    uint32_t boot_error;
    uint32_t barrier_count;
    uint32_t barriers_offset;
    uint32_t wand_offset;
    uint32_t reserved;
} ecsp_boot_header;

typedef struct ecsp_task_record {
    uint32_t kind;
    uint32_t dtype;
    uint32_t first_end;
    uint32_t inputs;
    uint32_t outputs;
    uint32_t state_offset;
    uint32_t state_size;
    uint32_t status;
    int64_t params[ECSP_MAX_PARAMS];
    uint64_t value;
    uint64_t aux;
    uint64_t ticks;
    uint32_t error;
    uint32_t waiting;
} ecsp_task_record;

typedef struct ecsp_end_record {
    uint32_t local;
    uint32_t remote;
    uint32_t peer;
    uint32_t capacity;
    uint32_t msg_size;
    uint32_t direction;
    uint32_t lanes;
    uint32_t table;
} ecsp_end_record;

typedef struct ecsp_lane_record {
    uint32_t ring;
    uint32_t ack;
    uint32_t peer;
    uint32_t taken;
    uint32_t next_slot;
    uint32_t reserved;
} ecsp_lane_record;

typedef struct ecsp_share_record {
    uint32_t state;
    uint32_t claim;
    uint32_t peers;
    uint32_t peer_count;
} ecsp_share_record;

typedef struct ecsp_out_lane_record {
    uint32_t taken;
    uint32_t reader_state;
    uint32_t asked;
    uint32_t ring;
    uint32_t claim;
    uint32_t peer;
    uint32_t written;
    uint32_t next_slot;
    uint32_t handled;
    uint32_t reserved;
} ecsp_out_lane_record;

typedef struct ecsp_peer_record {
    uint32_t state;
    uint32_t peer;
} ecsp_peer_record;

typedef struct ecsp_barrier_record {
    uint32_t kind;
    uint32_t task;
    uint32_t rank;
    uint32_t size;
    uint32_t block;
    uint32_t roster;
} ecsp_barrier_record;

typedef struct ecsp_wand_block {
    uint32_t members;
    uint32_t arrived;
    uint32_t completed;
    uint32_t reserved;
} ecsp_wand_block;

/* Barriers (PROTOCOL.md section 6) */
#define ECSP_BARRIER_DISSEMINATION 1u
#define ECSP_BARRIER_WAND 2u
#define ECSP_BARRIER_ARRIVED 0u
#define ECSP_BARRIER_LEFT 4u
#define ECSP_BARRIER_FLAGS 8u
#define ECSP_WAND_MEMBERS 0u
#define ECSP_WAND_ARRIVED 4u
#define ECSP_WAND_COMPLETED 8u
#define ECSP_WAND_OFFSET_OFFSET 56u

/* Offsets the runtime addresses words by. */
#define ECSP_CORE_STATUS_OFFSET 36u
#define ECSP_FAULT_TASK_OFFSET 40u
#define ECSP_BOOT_ERROR_OFFSET 44u
#define ECSP_TASK_STATE_OFFSET_OFFSET 20u
#define ECSP_TASK_STATUS_OFFSET 28u
#define ECSP_TASK_VALUE_OFFSET 64u
#define ECSP_TASK_ERROR_OFFSET 88u
#define ECSP_TASK_WAITING_OFFSET 92u
#define ECSP_LANE_TAKEN_OFFSET 12u
#define ECSP_LANE_NEXT_SLOT_OFFSET 16u
#define ECSP_SHARE_STATE_OFFSET 0u
#define ECSP_SHARE_CLAIM_OFFSET 4u
#define ECSP_OUT_LANE_ASKED_OFFSET 8u
#define ECSP_OUT_LANE_HANDLED_OFFSET 32u

/* A compile-time check in C99 (C11's _Static_assert where there is one). */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define ECSP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#else
#define ECSP_GLUE2(a, b) a##b
#define ECSP_GLUE(a, b) ECSP_GLUE2(a, b)
#define ECSP_STATIC_ASSERT(cond, msg) typedef char ECSP_GLUE(ecsp_static_assert_, __LINE__)[(cond) ? 1 : -1]
#endif

#define ECSP_PIN(type, field, off) ECSP_STATIC_ASSERT(offsetof(type, field) == (off), #type "." #field " at " #off)
ECSP_PIN(ecsp_boot_header, core_status, ECSP_CORE_STATUS_OFFSET);
ECSP_PIN(ecsp_boot_header, fault_task, ECSP_FAULT_TASK_OFFSET);
ECSP_PIN(ecsp_boot_header, boot_error, ECSP_BOOT_ERROR_OFFSET);
ECSP_PIN(ecsp_boot_header, wand_offset, 56);
ECSP_PIN(ecsp_task_record, state_offset, ECSP_TASK_STATE_OFFSET_OFFSET);
ECSP_PIN(ecsp_task_record, status, ECSP_TASK_STATUS_OFFSET);
ECSP_PIN(ecsp_task_record, params, 32);
ECSP_PIN(ecsp_task_record, value, ECSP_TASK_VALUE_OFFSET);
ECSP_PIN(ecsp_task_record, error, ECSP_TASK_ERROR_OFFSET);
ECSP_PIN(ecsp_task_record, waiting, ECSP_TASK_WAITING_OFFSET);
ECSP_PIN(ecsp_end_record, table, 28);
ECSP_PIN(ecsp_lane_record, taken, ECSP_LANE_TAKEN_OFFSET);
ECSP_PIN(ecsp_lane_record, next_slot, ECSP_LANE_NEXT_SLOT_OFFSET);
ECSP_PIN(ecsp_share_record, state, ECSP_SHARE_STATE_OFFSET);
ECSP_PIN(ecsp_share_record, claim, ECSP_SHARE_CLAIM_OFFSET);
ECSP_PIN(ecsp_out_lane_record, asked, ECSP_OUT_LANE_ASKED_OFFSET);
ECSP_PIN(ecsp_out_lane_record, handled, ECSP_OUT_LANE_HANDLED_OFFSET);
ECSP_STATIC_ASSERT(sizeof(ecsp_boot_header) == 64, "BootHeader is 64 bytes");
ECSP_STATIC_ASSERT(sizeof(ecsp_task_record) == 96, "TaskRecord is 96 bytes");
ECSP_STATIC_ASSERT(sizeof(ecsp_end_record) == 32, "EndRecord is 32 bytes");
ECSP_STATIC_ASSERT(sizeof(ecsp_lane_record) == 24, "LaneRecord is 24 bytes");
ECSP_STATIC_ASSERT(sizeof(ecsp_share_record) == 16, "ShareRecord is 16 bytes");
ECSP_STATIC_ASSERT(sizeof(ecsp_out_lane_record) == 40, "OutLaneRecord is 40 bytes");
ECSP_STATIC_ASSERT(sizeof(ecsp_peer_record) == 8, "PeerRecord is 8 bytes");
ECSP_STATIC_ASSERT(sizeof(ecsp_barrier_record) == 24, "BarrierRecord is 24 bytes");
ECSP_STATIC_ASSERT(sizeof(ecsp_wand_block) == 16, "WandBlock is 16 bytes");
ECSP_STATIC_ASSERT(sizeof(ecsp_kernel_block) == 72, "KernelBlock is 72 bytes");
ECSP_STATIC_ASSERT(sizeof(ecsp_kernel_item) == 8, "KernelItem is 8 bytes");
ECSP_PIN(ecsp_kernel_block, context, 16);
ECSP_PIN(ecsp_kernel_block, result_kind, 48);

/* Slots and stride of a ring (PROTOCOL.md "Capacity, counters, slots"). */
static inline uint32_t ecsp_slot_count(uint32_t capacity) { return capacity == 0 ? 1u : capacity; }
static inline uint32_t ecsp_slot_stride(uint32_t msg_size) { return (msg_size + 7u) & ~7u; }
static inline uint32_t ecsp_ring_block_size(uint32_t capacity, uint32_t msg_size)
{
    return ECSP_RING_SLOTS + ecsp_slot_count(capacity) * ecsp_slot_stride(msg_size);
}

#endif /* ECSP_PROTOCOL_H */
