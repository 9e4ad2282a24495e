/* The C runtime's one boundary to the chip: every access to memory that
 * another core (or the host) may touch goes through these functions, as the
 * Rust runtime's goes through its `Mesh` trait (device/src/mesh.rs).
 *
 * Two implementations:
 * - ECSP_HAL_SILICON (the device image for the Epiphany): plain volatile
 *   loads and stores to local offsets and global addresses, and writes to
 *   ILATST. Same source, same destination writes arrive in order on the
 *   mesh; the compiler barrier in each store keeps the compiler from
 *   moving a payload store after its flag store, which is all the ordering
 *   the protocol asks of a C runtime (PROTOCOL.md section 1).
 * - otherwise (the simulator): a table of function pointers the host
 *   provides, which the runtime calls with an opaque context (ecsp-device's
 *   `c_runtime` module fills it from a simulated core's Mesh), so the same
 *   C code runs on simulated cores, counted and ordered like the Rust code.
 *
 * Offsets are in this core's SRAM (0..0x8000); global addresses are
 * `core_id << 20 | offset`. */
#ifndef ECSP_HAL_H
#define ECSP_HAL_H

#include <stdint.h>

#include "protocol.h"

#ifdef ECSP_HAL_SILICON

/* Nothing to carry: the chip is the HAL. */
typedef struct ecsp_hal {
    uint32_t unused;
} ecsp_hal;

#define ECSP_BARRIER() __asm__ __volatile__("" ::: "memory")

static inline uint32_t ecsp_load_word(const ecsp_hal *h, uint32_t offset)
{
    (void)h;
    uint32_t v = *(volatile const uint32_t *)(uintptr_t)offset;
    ECSP_BARRIER(); /* acquire: later reads of the data stay after the poll */
    return v;
}

static inline void ecsp_store_word(const ecsp_hal *h, uint32_t offset, uint32_t value)
{
    (void)h;
    ECSP_BARRIER(); /* release: earlier stores stay before */
    *(volatile uint32_t *)(uintptr_t)offset = value;
}

/* The copy itself is out of line (silicon/main.c), taking no HAL: inlined,
 * each C file carried its own copy of the loops. It ends with
 * ECSP_BARRIER, and a call the compiler cannot see into is one too. */
void ecsp_copy_in(uint32_t offset, void *dst, uint32_t len);
static inline void ecsp_read_local(const ecsp_hal *h, uint32_t offset, void *dst, uint32_t len)
{
    (void)h;
    ecsp_copy_in(offset, dst, len);
}

static inline void ecsp_mesh_write(const ecsp_hal *h, uint32_t dst, const void *src, uint32_t len)
{
    (void)h;
    volatile uint8_t *d = (volatile uint8_t *)(uintptr_t)dst;
    const uint8_t *s = (const uint8_t *)src;
    ECSP_BARRIER();
    if (((dst | (uint32_t)(uintptr_t)src | len) & 7u) == 0) {
        /* doublewords: one mesh transaction per 8 bytes */
        for (uint32_t i = 0; i < len; i += 8)
            *(volatile uint64_t *)(volatile void *)(d + i) = *(const uint64_t *)(const void *)(s + i);
    } else if (((dst | (uint32_t)(uintptr_t)src | len) & 3u) == 0) {
        for (uint32_t i = 0; i < len; i += 4)
            *(volatile uint32_t *)(volatile void *)(d + i) = *(const uint32_t *)(const void *)(s + i);
    } else {
        for (uint32_t i = 0; i < len; i++)
            d[i] = s[i];
    }
}

static inline void ecsp_write_word(const ecsp_hal *h, uint32_t dst, uint32_t value)
{
    (void)h;
    ECSP_BARRIER();
    *(volatile uint32_t *)(uintptr_t)dst = value;
}

/* This core's id (the COREID register). */
static inline uint32_t ecsp_core_id_of(const ecsp_hal *h)
{
    (void)h;
    uint32_t id;
    __asm__ __volatile__("movfs %0, coreid" : "=r"(id));
    return id & 0xFFFu;
}

/* TESTSET, the chip's one atomic: if the word at global `addr` is 0, writes
 * `value` there and returns 0, else returns what it holds. */
static inline uint32_t ecsp_testset(const ecsp_hal *h, uint32_t addr, uint32_t value)
{
    (void)h;
    uint32_t v = value, offset = 0;
    __asm__ __volatile__("testset %0, [%1, %2]" : "+r"(v) : "r"(addr), "r"(offset) : "memory");
    return v;
}

/* Blocking read of `len` bytes at global `src` (a round trip on the
 * rMesh): never on a channel's path, only for the barrier check of tests. */
static inline void ecsp_mesh_read(const ecsp_hal *h, uint32_t src, void *dst, uint32_t len)
{
    (void)h;
    const volatile uint8_t *s = (const volatile uint8_t *)(uintptr_t)src;
    uint8_t *d = (uint8_t *)dst;
    for (uint32_t i = 0; i < len; i++)
        d[i] = s[i];
}

/* Raises this core's WAND flag (the `wand` instruction). */
static inline void ecsp_wand(const ecsp_hal *h)
{
    (void)h;
    __asm__ __volatile__("wand" ::: "memory");
}

/* Consumes the latch of a WAND completion (silicon/main.c's handler). */
int ecsp_take_wand(const ecsp_hal *h);

/* Wakes `core`: its user interrupt (a write to its ILATST). The host (core
 * id 0 as a channel peer) polls and needs no interrupt. */
static inline void ecsp_wake(const ecsp_hal *h, uint32_t core)
{
    if (core != 0)
        ecsp_write_word(h, core << 20 | ECSP_ILATST, ECSP_USER_IRQ_BIT);
}

/* The core clock, counted from CTIMER0 (silicon/main.c). */
uint64_t ecsp_now_ticks(const ecsp_hal *h);
/* Ticks per second of ecsp_now_ticks: the core clock. */
#ifndef ECSP_CLOCK_HZ
#define ECSP_CLOCK_HZ 600000000u /* the Parallella's Epiphany clock */
#endif
static inline uint64_t ecsp_ticks_per_second(const ecsp_hal *h)
{
    (void)h;
    return ECSP_CLOCK_HZ;
}
/* Raises this core's wake-up once ecsp_now_ticks reaches `deadline`
 * (CTIMER1, silicon/main.c); the earliest pending deadline is kept. */
void ecsp_wake_at(const ecsp_hal *h, uint64_t deadline);

#else /* the simulator's HAL */

typedef struct ecsp_hal {
    void *ctx;
    /* acquire load of the word at `offset` of this core's SRAM (a poll) */
    uint32_t (*load_word)(void *ctx, uint32_t offset);
    /* release store of the word at `offset` of this core's SRAM */
    void (*store_word)(void *ctx, uint32_t offset, uint32_t value);
    /* copy `len` bytes at `offset` of this core's SRAM into `dst` */
    void (*read_local)(void *ctx, uint32_t offset, void *dst, uint32_t len);
    /* posted write of `len` bytes to global address `dst` */
    void (*write)(void *ctx, uint32_t dst, const void *src, uint32_t len);
    /* posted write of one word to `dst`, after every earlier access */
    void (*write_word)(void *ctx, uint32_t dst, uint32_t value);
    /* raise the user interrupt of `core` (0: the host, which is notified) */
    void (*wake)(void *ctx, uint32_t core);
    /* a free-running tick counter */
    uint64_t (*now_ticks)(void *ctx);
    /* ticks per second of now_ticks */
    uint64_t (*ticks_per_second)(void *ctx);
    /* raise this core's wake-up once now_ticks reaches `deadline` (the
     * earliest pending deadline is kept; a wake-up may come early) */
    void (*wake_at)(void *ctx, uint64_t deadline);
    /* TESTSET of the word at global `addr`: write `value` if it is 0; the
     * old value back */
    uint32_t (*testset)(void *ctx, uint32_t addr, uint32_t value);
    /* this core's id */
    uint32_t (*core_id)(void *ctx);
    /* blocking read of `len` bytes at global `src` (checks of tests only) */
    void (*read)(void *ctx, uint32_t src, void *dst, uint32_t len);
    /* raise this core's WAND flag */
    void (*wand)(void *ctx);
    /* consume this core's latched WAND completion: 1 when there was one */
    int (*take_wand)(void *ctx);
    /* a user's kernel waits: suspend its coroutine until the executor's
     * next round resumes it (only a kernel's HAL has one) */
    void (*suspend)(void *ctx);
    /* this core's SRAM in the host's memory, or NULL: then every access
     * goes through the functions above. With it, the local polls, stores
     * and copies below are made here, exactly as the simulator's Mesh
     * makes them (acquire loads, release stores, relaxed word copies),
     * without a call; anything out of range still goes to the functions,
     * which report it. */
    uint8_t *sram;
} ecsp_hal;

static inline int ecsp__sram_word(const ecsp_hal *h, uint32_t offset)
{
    return h->sram != 0 && offset <= ECSP_SRAM_SIZE - 4u && (offset & 3u) == 0;
}

static inline uint32_t ecsp_load_word(const ecsp_hal *h, uint32_t offset)
{
    if (ecsp__sram_word(h, offset))
        return __atomic_load_n((const uint32_t *)(const void *)(h->sram + offset), __ATOMIC_ACQUIRE);
    return h->load_word(h->ctx, offset);
}
static inline void ecsp_store_word(const ecsp_hal *h, uint32_t offset, uint32_t value)
{
    if (ecsp__sram_word(h, offset)) {
        __atomic_store_n((uint32_t *)(void *)(h->sram + offset), value, __ATOMIC_RELEASE);
        return;
    }
    h->store_word(h->ctx, offset, value);
}
static inline void ecsp_read_local(const ecsp_hal *h, uint32_t offset, void *dst, uint32_t len)
{
    if (h->sram != 0 && ((offset | len | (uint32_t)(uintptr_t)dst) & 3u) == 0 && len <= ECSP_SRAM_SIZE &&
        offset <= ECSP_SRAM_SIZE - len) {
        const uint32_t *s = (const uint32_t *)(const void *)(h->sram + offset);
        uint32_t *d = (uint32_t *)dst;
        for (uint32_t i = 0; i < len / 4u; i++)
            d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
        return;
    }
    h->read_local(h->ctx, offset, dst, len);
}
static inline void ecsp_mesh_write(const ecsp_hal *h, uint32_t dst, const void *src, uint32_t len)
{
    h->write(h->ctx, dst, src, len);
}
static inline void ecsp_write_word(const ecsp_hal *h, uint32_t dst, uint32_t value)
{
    h->write_word(h->ctx, dst, value);
}
static inline void ecsp_wake(const ecsp_hal *h, uint32_t core) { h->wake(h->ctx, core); }
static inline uint64_t ecsp_now_ticks(const ecsp_hal *h) { return h->now_ticks(h->ctx); }
static inline uint64_t ecsp_ticks_per_second(const ecsp_hal *h) { return h->ticks_per_second(h->ctx); }
static inline void ecsp_wake_at(const ecsp_hal *h, uint64_t deadline) { h->wake_at(h->ctx, deadline); }
static inline uint32_t ecsp_testset(const ecsp_hal *h, uint32_t addr, uint32_t value)
{
    return h->testset(h->ctx, addr, value);
}
static inline uint32_t ecsp_core_id_of(const ecsp_hal *h) { return h->core_id(h->ctx); }
static inline void ecsp_mesh_read(const ecsp_hal *h, uint32_t src, void *dst, uint32_t len)
{
    h->read(h->ctx, src, dst, len);
}
static inline void ecsp_wand(const ecsp_hal *h) { h->wand(h->ctx); }
static inline int ecsp_take_wand(const ecsp_hal *h) { return h->take_wand(h->ctx); }

#endif

#endif /* ECSP_HAL_H */
