/* ecsp's device image: the entry point, the interrupt handlers and the
 * executor loop on an Epiphany core (PROTOCOL.md section 4, "Wake-ups and
 * the executor", and section 5). crt0.S enters ecsp_main from the reset
 * (SYNC) interrupt. */
#include <stddef.h>

#include "ecsp/runtime.h"

/* Symbols crt0.S refers to, with fixed names (see crt0.S). */
void ecsp_main(void) __asm__("ecsp_main");
void ecsp_user_isr(void) __asm__("ecsp_user_isr");
void ecsp_fault_isr(void) __asm__("ecsp_fault_isr");
void ecsp_timer_isr(void) __asm__("ecsp_timer_isr");
void ecsp_wand_isr(void) __asm__("ecsp_wand_isr");

#define REG(offset) (*(volatile uint32_t *)(uintptr_t)(offset))

/* What this image carries (protocol.h, ECSP_IMAGE_KINDS): the built-in
 * kinds and message dtypes it runs, and the boot table version it reads.
 * The host reads these words from the ELF section .ecsp_image and refuses
 * to plan a process the image cannot run, or to load an image of another
 * version of ecsp. */
__attribute__((used, section(".ecsp_image"))) const uint32_t ecsp_image_carries[3] = {
    ECSP_IMAGE_KINDS, ECSP_IMAGE_DTYPES, ECSP_BOOT_VERSION};

/* Set by the user interrupt, consumed by the executor before each round. */
static volatile uint32_t woken;
static ecsp_executor executor;
static const ecsp_hal hal;

static uint32_t ctimer0(void)
{
    uint32_t v;
    __asm__ __volatile__("movfs %0, ctimer0" : "=r"(v));
    return v;
}

/* CTIMER0 counts core clock cycles down; the runtime keeps a 64-bit count
 * and reloads the timer long before it could reach zero. */
static uint32_t last_timer = 0xFFFFFFFFu;
static uint64_t ticks;

uint64_t ecsp_now_ticks(const ecsp_hal *h)
{
    (void)h;
    uint32_t now = ctimer0();
    ticks += last_timer - now;
    last_timer = now;
    if (now < 0x80000000u) {
        uint32_t top = 0xFFFFFFFFu;
        __asm__ __volatile__("movts ctimer0, %0" ::"r"(top));
        last_timer = top;
    }
    return ticks;
}

/* Set by the WAND interrupt, consumed by the barrier (ecsp_take_wand). */
static volatile uint32_t wand_latched;

int ecsp_take_wand(const ecsp_hal *h)
{
    (void)h;
    __asm__ __volatile__("gid" ::: "memory");
    int latched = wand_latched != 0;
    wand_latched = 0;
    __asm__ __volatile__("gie" ::: "memory");
    return latched;
}

/* The WAND barrier completed (PROTOCOL.md section 6, "WAND wait"): clear
 * this core's flag (STATUS bit 3), keep the completion for the barrier to
 * consume, and wake the executor as a write would. */
void __attribute__((interrupt, disinterrupt)) ecsp_wand_isr(void)
{
    uint32_t status;
    __asm__ __volatile__("movfs %0, status" : "=r"(status));
    status &= ~0x8u;
    __asm__ __volatile__("movts status, %0" ::"r"(status));
    wand_latched = 1;
    woken = 1;
}

/* The deadline CTIMER1 is counting down to, UINT64_MAX when none. */
static uint64_t armed = UINT64_MAX;

void ecsp_wake_at(const ecsp_hal *h, uint64_t deadline)
{
    uint64_t now = ecsp_now_ticks(h);
    if (deadline >= armed && armed > now)
        return; /* an earlier deadline is pending */
    armed = deadline;
    uint64_t left = deadline > now ? deadline - now : 1;
    /* Long waits are cut into timer periods: an early wake-up is allowed. */
    uint32_t count = left > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)left;
    uint32_t config;
    __asm__ __volatile__("movts ctimer1, %0" ::"r"(count));
    __asm__ __volatile__("movfs %0, config" : "=r"(config));
    config = (config & ~0xF00u) | 0x100u; /* CTIMER1 counts clock cycles */
    __asm__ __volatile__("movts config, %0" ::"r"(config));
}

/* CTIMER1 reached zero: a deadline passed; wake the executor as a write
 * would, and stop the timer. */
void __attribute__((interrupt, disinterrupt)) ecsp_timer_isr(void)
{
    uint32_t config;
    __asm__ __volatile__("movfs %0, config" : "=r"(config));
    config &= ~0xF00u;
    __asm__ __volatile__("movts config, %0" ::"r"(config));
    armed = UINT64_MAX;
    woken = 1;
}

/* The user interrupt: a write to this core landed (PROTOCOL.md section 4).
 * The latch stays set until the executor consumes it. No interrupt comes
 * between the executor's `gie` and its `idle` (see run()), so returning
 * never sleeps through this very wake-up. `disinterrupt`: GCC would
 * otherwise re-enable interrupts inside the handler. */
void __attribute__((interrupt, disinterrupt)) ecsp_user_isr(void)
{
    woken = 1;
}

/* A memory fault or software exception: the platform's part of PROTOCOL.md
 * section 5. The task being stepped fails with Faulted, the core stops. */
void __attribute__((interrupt, disinterrupt)) ecsp_fault_isr(void)
{
    uint32_t t = executor.current;
    if (t != ECSP_NO_TASK) {
        uint32_t record = executor.tasks_offset + t * (uint32_t)sizeof(ecsp_task_record);
        REG(record + ECSP_TASK_ERROR_OFFSET) = ECSP_ERR_FAULTED;
        REG(record + ECSP_TASK_STATUS_OFFSET) = ECSP_STATUS_FAILED;
    }
    REG(ECSP_BOOT_OFFSET + ECSP_FAULT_TASK_OFFSET) = t;
    REG(ECSP_BOOT_OFFSET + ECSP_CORE_STATUS_OFFSET) = ECSP_STATUS_FAULTED;
    for (;;)
        __asm__ __volatile__("gid\n\tidle");
}

/* Rounds until no process is live; between rounds, sleep unless a wake-up
 * was latched since the round began.
 *
 * The check and the sleep must be one step: an interrupt taken after the
 * check but before `idle` would set the latch and return to the `idle`, and
 * the core would sleep through that wake-up. So the check runs with
 * interrupts disabled, and `gie` and `idle` sit in one aligned 64-bit
 * word, which the Epiphany fetches together: no interrupt is taken between
 * them (esim models the same), and one pending wakes the `idle`. Editing
 * IRET in the handler instead does not work: GCC's interrupt prologue saves
 * IRET and its epilogue restores it. `.balignw` pads with 16-bit `nop`s. */
static void __attribute__((noinline)) run(void)
{
    for (;;) {
        woken = 0;
        if (ecsp_round(&hal, &executor, 0) == 0)
            return;
        __asm__ __volatile__("gid" ::: "memory");
        if (!woken)
            __asm__ __volatile__(".balignw 8, 0x01a2\n\tgie\n\t.global ecsp_idle_insn\necsp_idle_insn:\n\tidle" ::: "memory");
        __asm__ __volatile__("gie" ::: "memory");
    }
}

void ecsp_main(void)
{
    uint32_t core_id;
    __asm__ __volatile__("movfs %0, coreid" : "=r"(core_id));
    /* CTIMER0 counts clock cycles: CONFIG bits 7:4 = 1 (E_CTIMER_CLK). */
    uint32_t config, top = 0xFFFFFFFFu;
    __asm__ __volatile__("movts ctimer0, %0" ::"r"(top));
    __asm__ __volatile__("movfs %0, config" : "=r"(config));
    config = (config & ~0xF0u) | 0x10u;
    __asm__ __volatile__("movts config, %0" ::"r"(config));
    /* A core with no WAND participants raises its flag once and never
     * clears it, so that cores which take part are not held back
     * (PROTOCOL.md section 6, "Which cores take part"); one with
     * participants takes the WAND interrupt instead. */
    uint32_t wand_irq = 0;
    if (REG(ECSP_BOOT_OFFSET + ECSP_WAND_OFFSET_OFFSET) == 0)
        __asm__ __volatile__("wand");
    else
        wand_irq = ECSP_WAND_IRQ_BIT;
    /* Take only the wake-up, WAND completions, the timer of deadlines
     * (timer1, irq 4) and the faults (an IMASK bit set masks). */
    uint32_t mask = 0x3FFu & ~(ECSP_USER_IRQ_BIT | wand_irq | 0x10u | 0x2u | 0x4u);
    __asm__ __volatile__("movts imask, %0" ::"r"(mask));
    __asm__ __volatile__("gie" ::: "memory");
    if (ecsp_boot(&hal, &executor, core_id & 0xFFFu, 0) == 0)
        run();
    for (;;)
        __asm__ __volatile__("gid\n\tidle");
}

/* The HAL's copy out of this core's SRAM (include/ecsp/hal.h). */
void ecsp_copy_in(uint32_t offset, void *dst, uint32_t len)
{
    const volatile uint8_t *s = (const volatile uint8_t *)(uintptr_t)offset;
    uint8_t *d = (uint8_t *)dst;
    if (((offset | (uint32_t)(uintptr_t)dst | len) & 3u) == 0) {
        for (uint32_t i = 0; i < len; i += 4)
            *(uint32_t *)(void *)(d + i) = *(const volatile uint32_t *)(const volatile void *)(s + i);
    } else {
        for (uint32_t i = 0; i < len; i++)
            d[i] = s[i];
    }
    ECSP_BARRIER();
}

/* Where newlib's math functions (linked for kernels that call them) set
 * errno; nothing reads it. */
int *__errno(void)
{
    static int errno_value;
    return &errno_value;
}

/* What the compiler may call for struct copies and zeroing. Volatile
 * accesses keep it from turning these loops into calls to themselves. */
void *memset(void *dst, int c, size_t n)
{
    volatile uint8_t *d = (volatile uint8_t *)dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    volatile uint8_t *d = (volatile uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    while (n--)
        *d++ = *s++;
    return dst;
}
