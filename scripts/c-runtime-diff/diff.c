/* Differential check of the C device runtime: a base revision's (old.so)
 * against the work tree's (new.so), both built for the host with the
 * simulator's HAL (scripts/c-runtime-diff.sh builds and runs it). For a
 * change meant to keep behaviour, such as making the runtime smaller: every
 * return value, every byte of SRAM and every write, wake-up or TESTSET
 * towards other cores must agree.
 *
 *   diff N SEED        N random and mutated boot tables of one core: boot,
 *                      the end checks of every end record, then rounds
 *   diff N SEED e      N end records made to reach every branch of the
 *                      end checks (ecsp_open_reader, ecsp_open_writer)
 *   diff N SEED k      N rooms of users' kernels: ecsp_k_init, then
 *                      ecsp_k_outcome of a random failure
 *
 * DT=<dtype code> fixes the tables' dtype. Reads of the core's own SRAM are
 * not compared (a change may read differently), nor the coroutines' `line`
 * words (the __LINE__ of a resume point moves with any edit). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsp/runtime.h"

#define CORE 0x808u

typedef struct run {
    uint8_t *mem;
    uint64_t log; /* FNV hash of every access outside this core's SRAM, wake etc. */
    uint64_t ticks;
    int oob;
    long calls;
    int armed; /* the budget holds: out is set */
    jmp_buf out; /* where a run that overstays its budget of HAL calls goes */
    const uint8_t *guard; /* bytes no write through the HAL may change (1) */
} run;

/* The task records' host fields and the task arena: a mutated end record
 * can aim a channel's writes at them, and the process states built there
 * hold offsets that the runtime turns into host pointers. Both runtimes
 * get the same refusal. */
static uint8_t guard[0x8000];

static void tick(run *r)
{
    if (++r->calls > 2000000 && r->armed)
        longjmp(r->out, 1);
}

static void mix(run *r, uint64_t v)
{
    tick(r);
    for (int i = 0; i < 8; i++) {
        r->log ^= (v >> (8 * i)) & 0xFF;
        r->log *= 0x100000001b3ull;
    }
}

static int local_ok(run *r, uint32_t off, uint32_t len)
{
    if ((uint64_t)off + len > 0x8000) {
        r->oob++;
        return 0;
    }
    return 1;
}

static uint32_t load_word(void *c, uint32_t off)
{
    run *r = c;
    tick(r); /* reads of this core's SRAM are no one else's business: not logged */
    if (!local_ok(r, off, 4))
        return 0;
    uint32_t v;
    memcpy(&v, r->mem + off, 4);
    return v;
}
static void store_word(void *c, uint32_t off, uint32_t v)
{
    run *r = c;
    mix(r, 2000 + off);
    mix(r, v);
    if (local_ok(r, off, 4) && !(r->guard && (r->guard[off] | r->guard[off + 3])))
        memcpy(r->mem + off, &v, 4);
}
static void read_local(void *c, uint32_t off, void *dst, uint32_t len)
{
    run *r = c;
    tick(r);
    if (local_ok(r, off, len))
        memcpy(dst, r->mem + off, len);
    else
        memset(dst, 0, len);
}
static void gwrite(void *c, uint32_t dst, const void *src, uint32_t len)
{
    run *r = c;
    mix(r, 4000 + (uint64_t)dst);
    mix(r, len);
    for (uint32_t i = 0; i < len; i++)
        mix(r, ((const uint8_t *)src)[i]);
    if ((dst >> 20) == CORE && local_ok(r, dst & 0xFFFFF, len))
        for (uint32_t i = 0; i < len; i++)
            if (!(r->guard && r->guard[(dst & 0xFFFFF) + i]))
                r->mem[(dst & 0xFFFFF) + i] = ((const uint8_t *)src)[i];
}
static void write_word(void *c, uint32_t dst, uint32_t v) { gwrite(c, dst, &v, 4); }
static void wake(void *c, uint32_t core) { mix(c, 5000 + (uint64_t)core); }
static uint64_t now_ticks(void *c)
{
    run *r = c;
    mix(r, 6000);
    return r->ticks += 1000;
}
static uint64_t tps(void *c)
{
    (void)c;
    return 600000000u;
}
static void wake_at(void *c, uint64_t d)
{
    mix(c, 7000);
    mix(c, d);
}
static uint32_t testset(void *c, uint32_t addr, uint32_t value)
{
    run *r = c;
    mix(r, 8000 + (uint64_t)addr);
    mix(r, value);
    if ((addr >> 20) != CORE || !local_ok(r, addr & 0xFFFFF, 4))
        return 0;
    uint32_t old;
    memcpy(&old, r->mem + (addr & 0xFFFFF), 4);
    if (old == 0 && !(r->guard && r->guard[addr & 0xFFFFF]))
        memcpy(r->mem + (addr & 0xFFFFF), &value, 4);
    return old;
}
static uint32_t core_id(void *c)
{
    (void)c;
    return CORE;
}
static void gread(void *c, uint32_t src, void *dst, uint32_t len)
{
    run *r = c;
    mix(r, 9000 + (uint64_t)src);
    if ((src >> 20) == CORE && local_ok(r, src & 0xFFFFF, len))
        memcpy(dst, r->mem + (src & 0xFFFFF), len);
    else
        memset(dst, 0, len);
}
static void wand(void *c) { mix(c, 10000); }
static int take_wand(void *c)
{
    mix(c, 11000);
    return 0;
}
static void suspend(void *c)
{
    (void)c;
    abort();
}

typedef uint32_t (*boot_fn)(const ecsp_hal *, ecsp_executor *, uint32_t, uintptr_t);
typedef uint32_t (*round_fn)(const ecsp_hal *, ecsp_executor *, uintptr_t);
typedef uint32_t (*open_fn)(const ecsp_hal *, void *, uint32_t, uint32_t, uint32_t);

static uint64_t rng = 88172645463325252ull;
static volatile long cur_it;
static volatile uint64_t cur_seed;
static void on_alarm(int sig)
{
    (void)sig;
    char buf[128];
    int n = snprintf(buf, sizeof buf, "stuck at iteration %ld seed %#llx\n", cur_it, (unsigned long long)cur_seed);
    write(1, buf, n);
    _exit(3);
}
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static uint32_t below(uint32_t n) { return (uint32_t)(next() % n); }

static void put(uint8_t *m, uint32_t off, uint32_t v) { memcpy(m + off, &v, 4); }

static uint32_t interesting(void)
{
    static const uint32_t vals[] = {0,      1,      2,      3,      4,      7,          8,          24,
                                    32,     63,     64,     65,     96,     127,        128,        129,
                                    1023,   1024,   1025,   4096,   0x3FFF, 0x4000,     0x4004,     0x77F8,
                                    0x7800, 0x7FF8, 0x8000, 0x8001, 0xFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFF8,
                                    0x80008, 0x808u << 20 | 0x6010};
    switch (below(4)) {
    case 0:
        return (uint32_t)next();
    case 1:
        return below(0x8000);
    default:
        return vals[below(sizeof vals / sizeof vals[0])];
    }
}

static const uint32_t dsize[7] = {0, 4, 4, 4, 8, 8, 1};

/* A one-core pipeline: task k reads channel k-1 and writes channel k. */
static void make_table(uint8_t *m)
{
    memset(m, 0, 0x8000);
    uint32_t n = 1 + below(4), dtype = getenv("DT") ? (uint32_t)atoi(getenv("DT")) : 1 + below(6), chans = n - 1 + below(2);
    uint32_t tasks = 0x4040, ends = 0x4200, barriers = 0x4300, wandb = 0x4340, arena = 0x4400;
    uint32_t nbar = below(3), room = 0x600;
    uint32_t end = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t t = tasks + 96 * k;
        uint32_t kind = below(21);
        uint32_t inputs = k == 0 ? below(2) : 1, outputs = k < chans ? 1 : 0;
        if (below(8) == 0)
            inputs = below(3), outputs = below(3);
        put(m, t + 0, kind | (below(2) ? ECSP_KIND_C_FLAG : 0));
        put(m, t + 4, below(10) ? dtype : 1 + below(6));
        put(m, t + 8, end);
        put(m, t + 12, inputs);
        put(m, t + 16, outputs);
        put(m, t + 20, room * k);
        put(m, t + 24, room);
        for (int p = 0; p < 4; p++) {
            int64_t v = below(3) ? (int64_t)below(12) - 2 : (int64_t)next();
            if (kind == ECSP_KIND_MANDEL && p == 0 && v > 64)
                v = 64; /* its iterations per point, all in one step */
            memcpy(m + t + 32 + 8 * p, &v, 8);
        }
        /* read ends: channel k-1 (or k for a task without a predecessor) */
        for (uint32_t i = 0; i < inputs + outputs; i++, end++) {
            uint32_t e = ends + 32 * end;
            uint32_t is_in = i < inputs;
            uint32_t ch = is_in ? (k ? k - 1 : k) : k;
            uint32_t blk = 0x6000 + 0x100 * (ch % 8), cap = ch % 3 == 2 ? 3 : ch % 2;
            uint32_t len = below(4) ? 1 : 1 + below(4);
            uint32_t msg = dsize[dtype] * len;
            put(m, e + 0, is_in ? blk + 0x10 : blk);
            put(m, e + 4, CORE << 20 | (is_in ? blk : blk + 0x10));
            put(m, e + 8, CORE);
            put(m, e + 12, cap);
            put(m, e + 16, msg);
            put(m, e + 20, is_in ? ECSP_END_READ : ECSP_END_WRITE);
            put(m, e + 24, 1);
            put(m, e + 28, 0);
        }
    }
    for (uint32_t b = 0; b < nbar; b++) {
        uint32_t r = barriers + 24 * b;
        put(m, r + 0, below(4) ? 1 : 2);
        put(m, r + 4, below(n));
        put(m, r + 8, 0);
        put(m, r + 12, 1 + below(2));
        put(m, r + 16, 0x7000 + 0x40 * b);
        put(m, r + 20, 0x7200 + 0x40 * b);
        put(m, 0x7200 + 0x40 * b, CORE << 20 | (0x7000 + 0x40 * b));
        put(m, 0x7204 + 0x40 * b, CORE << 20 | (0x7000 + 0x40 * b));
    }
    put(m, 0x4000, ECSP_BOOT_MAGIC);
    put(m, 0x4004, ECSP_BOOT_VERSION);
    put(m, 0x4008, CORE);
    put(m, 0x400C, n);
    put(m, 0x4010, end);
    put(m, 0x4014, tasks);
    put(m, 0x4018, ends);
    put(m, 0x401C, arena);
    put(m, 0x4020, room * n);
    put(m, 0x4030, nbar);
    put(m, 0x4034, barriers);
    put(m, 0x4038, below(2) ? wandb : 0);
    put(m, wandb, 1);
    /* mutations: header, task records, end records, barriers, blocks */
    uint32_t muts = below(5);
    for (uint32_t i = 0; i < muts; i++) {
        static const uint32_t areas[][2] = {{0x4000, 0x40}, {0x4040, 0x180}, {0x4200, 0x100}, {0x4300, 0x50},
                                            {0x6000, 0x800}, {0x7000, 0x300}};
        uint32_t a = below(6);
        uint32_t off = areas[a][0] + 4 * below(areas[a][1] / 4);
        put(m, off, interesting());
    }
}

static _Alignas(8) uint8_t mem_a[0x8000], mem_b[0x8000], base[0x8000];

/* Whether the SRAMs agree but for each state's `line`: the __LINE__ of a
 * resume point, which moves with any edit of procs.c. */
static int same_sram(const ecsp_executor *ex)
{
    static uint8_t a[0x8000], b[0x8000];
    memcpy(a, mem_a, sizeof a);
    memcpy(b, mem_b, sizeof b);
    for (uint32_t i = 0; i < ex->count; i++) {
        uint32_t so;
        memcpy(&so, mem_a + ex->tasks_offset + 96 * i + 20, 4);
        uint32_t at = ex->arena_offset + so;
        if (at + 4 <= 0x8000) {
            uint32_t la, lb;
            memcpy(&la, a + at, 4);
            memcpy(&lb, b + at, 4);
            if ((la == 0xFFFFFFFFu) != (lb == 0xFFFFFFFFu) || (la == 0) != (lb == 0))
                return 0;
            memset(a + at, 0, 4);
            memset(b + at, 0, 4);
        }
    }
    return memcmp(a, b, sizeof a) == 0;
}

static void init_hal(ecsp_hal *h, run *r, uint8_t *mem)
{
    memset(r, 0, sizeof *r);
    r->mem = mem;
    r->log = 0xcbf29ce484222325ull;
    *h = (ecsp_hal){r,        load_word, store_word, read_local, gwrite, write_word, wake,      now_ticks,
                    tps,      wake_at,   testset,    core_id,    gread,  wand,       take_wand, suspend};
}

typedef uint32_t (*kinit_fn)(const ecsp_hal *, void *, uint32_t, uint32_t, uint32_t, uint32_t);
typedef int (*kout_fn)(const ecsp_hal *, void *, ecsp_outcome *);

/* Users' kernels: ecsp_k_init over random rooms, ecsp_k_outcome over
 * random failures. */
static int fuzz_kernels(void *old, void *new, long iters)
{
    kinit_fn init[2] = {(kinit_fn)dlsym(old, "ecsp_k_init"), (kinit_fn)dlsym(new, "ecsp_k_init")};
    kout_fn outc[2] = {(kout_fn)dlsym(old, "ecsp_k_outcome"), (kout_fn)dlsym(new, "ecsp_k_outcome")};
    static char note[400];
    long ok = 0, msgs = 0;
    for (long it = 0; it < iters; it++) {
        uint64_t seed = rng;
        cur_it = it;
        cur_seed = seed;
        alarm(2);
        make_table(base);
        uint32_t tasks = 0x4040, t = below(2), rec = tasks + 96 * t, arena = 0x4400, so = 0x600 * t;
        uint32_t room = below(4) ? 0x600 : below(0x700);
        put(base, 0x4014, tasks);
        put(base, 0x4030, below(3)); /* a boot would have refused a count past the table */
        put(base, rec + 24, room);
        uint8_t *r = base + arena + so;
        memset(r, below(2) ? 0 : 0xA5, 0x600);
        uint32_t items = below(8) ? below(10) : interesting() % 40;
        uint32_t stack = below(4) ? 8 * below(0x60) : interesting();
        put(r, 0, below(10) ? ECSP_KERNEL_MAGIC : interesting());
        put(r, 4, items);
        put(r, 8, stack);
        uint32_t at = 72 + 8 * (items < 40 ? items : 0);
        at = (at + 7) & ~7u;
        for (uint32_t i = 0; i < items && i < 40; i++) {
            uint8_t *item = r + 72 + 8 * i;
            uint32_t kind = below(10) ? below(5) : below(256);
            uint32_t size = kind == 1 ? 64 : kind == 2 ? 72 : kind == 3 ? 48 : kind == 4 ? 8 : 0;
            item[0] = (uint8_t)kind;
            item[1] = (uint8_t)(below(4) ? below(2) : below(256));
            uint16_t ms = (uint16_t)(below(3) ? 4 * (1 + below(2)) : below(0x10000));
            memcpy(item + 2, &ms, 2);
            uint16_t st = (uint16_t)(below(6) ? at : below(0x10000));
            memcpy(item + 4, &st, 2);
            at += size;
        }
        memcpy(mem_a, base, sizeof base);
        memcpy(mem_b, base, sizeof base);
        run ra, rb;
        ecsp_hal ha, hb;
        init_hal(&ha, &ra, mem_a);
        init_hal(&hb, &rb, mem_b);
        uint32_t ca = init[0](&ha, mem_a + arena + so, room, rec, 0x4200, 4);
        uint32_t cb = init[1](&hb, mem_b + arena + so, room, rec, 0x4200, 4);
        if (ca != cb || memcmp(mem_a, mem_b, sizeof mem_a) || ra.log != rb.log) {
            printf("k_init differs at iteration %ld (seed %#llx): old %u new %u\n", it, (unsigned long long)seed, ca, cb);
            return 1;
        }
        ok += ca == 0;
        /* a failure to report */
        uint8_t *pa = mem_a + arena + so, *pb = mem_b + arena + so;
        uint32_t state = below(3) ? ECSP_KSTATE_FAILED : below(5), error = below(3) ? ECSP_ERR_KERNEL_FAILED : below(14);
        uint32_t len = below(3) ? below(40) : below(sizeof note);
        for (uint32_t i = 0; i < len; i++)
            note[i] = (char)(' ' + below(90));
        note[len] = 0;
        uint64_t notep = below(8) ? (uint64_t)(uintptr_t)note : 0;
        int64_t value = below(3) ? (int64_t)next() : below(2) ? INT64_MIN : (int64_t)below(2000) - 1000;
        uint32_t message = below(2);
        if (ca != 0 || items > 32)
            continue; /* k_outcome runs only on a room k_init accepted */
        for (int side = 0; side < 2; side++) {
            uint8_t *p = side ? pb : pa;
            ecsp_kernel_block *b = (ecsp_kernel_block *)(void *)p;
            b->state = state;
            b->note = notep;
            b->note_value = value;
            b->error = error;
            b->message = message;
            b->result = (uint64_t)value ^ 0x55;
        }
        ecsp_outcome oa, ob;
        memset(&oa, 0x77, sizeof oa);
        memset(&ob, 0x77, sizeof ob);
        int xa = outc[0](&ha, pa, &oa), xb = outc[1](&hb, pb, &ob);
        msgs++;
        if (xa != xb || memcmp(&oa, &ob, sizeof oa) || memcmp(mem_a, mem_b, sizeof mem_a)) {
            printf("k_outcome differs at iteration %ld (seed %#llx)\n", it, (unsigned long long)seed);
            return 1;
        }
    }
    printf("%ld rooms: %ld accepted, %ld outcomes\n", iters, ok, msgs);
    return 0;
}

/* The end checks alone, over end records made to reach every branch. */
static int fuzz_ends(void *old, void *new, long iters)
{
    open_fn open_r[2] = {(open_fn)dlsym(old, "ecsp_open_reader"), (open_fn)dlsym(new, "ecsp_open_reader")};
    open_fn open_w[2] = {(open_fn)dlsym(old, "ecsp_open_writer"), (open_fn)dlsym(new, "ecsp_open_writer")};
    long ok[2] = {0, 0}, codes[16] = {0};
    for (long it = 0; it < iters; it++) {
        uint64_t seed = rng;
        cur_it = it;
        cur_seed = seed;
        memset(base, 0, sizeof base);
        static const uint32_t offs[] = {0x6000, 0x6008, 0x6004, 0x6001, 0x7FF8, 0x7FF0, 0x8000, 0x7F00, 0x7E00, 0x4000};
        uint32_t e = 0x4200, msg = below(3) ? 4 : interesting() % 70;
        put(base, e + 0, below(3) ? offs[below(10)] : interesting());
        put(base, e + 4, interesting());
        put(base, e + 8, below(0x1000));
        put(base, e + 12, below(2) ? below(4) : interesting());
        put(base, e + 16, below(4) ? msg : interesting());
        put(base, e + 20, below(5));
        put(base, e + 24, below(2) ? below(4) : interesting());
        put(base, e + 28, below(3) ? (below(2) ? 0 : offs[below(10)]) : interesting());
        for (uint32_t k = 0; k < 4; k++) {
            /* a share head, wherever `local` points */
            uint32_t local;
            memcpy(&local, base + e, 4);
            if ((uint64_t)local + 16 <= 0x8000)
                put(base, local + 4 * k, below(2) ? (k == 2 ? 0x7000 + 4 * below(16) : below(70)) : interesting());
        }
        memcpy(mem_a, base, sizeof base);
        memcpy(mem_b, base, sizeof base);
        run ra, rb;
        ecsp_hal ha, hb;
        init_hal(&ha, &ra, mem_a);
        init_hal(&hb, &rb, mem_b);
        for (int w = 0; w < 2; w++) {
            uint8_t sa[128], sb[128];
            memset(sa, 0x33, sizeof sa);
            memset(sb, 0x33, sizeof sb);
            open_fn *f = w ? open_w : open_r;
            uint32_t xa = f[0](&ha, sa, 0x4200, 0, msg), xb = f[1](&hb, sb, 0x4200, 0, msg);
            ok[w] += xa == 0;
            codes[xa & 15]++;
            if (xa != xb || memcmp(sa, sb, sizeof sa) || ra.log != rb.log || ra.oob != rb.oob) {
                printf("open %s differs at iteration %ld (seed %#llx): old %u new %u\n", w ? "writer" : "reader", it,
                       (unsigned long long)seed, xa, xb);
                return 1;
            }
        }
    }
    printf("%ld ends: %ld readers and %ld writers opened; codes:", iters, ok[0], ok[1]);
    for (int i = 0; i < 16; i++)
        if (codes[i])
            printf(" %d:%ld", i, codes[i]);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 100000;
    if (argc > 2)
        rng = strtoull(argv[2], 0, 0);
    void *old = dlopen("./old.so", RTLD_NOW | RTLD_LOCAL), *new = dlopen("./new.so", RTLD_NOW | RTLD_LOCAL);
    if (!old || !new) {
        fprintf(stderr, "%s\n", dlerror());
        return 2;
    }
    signal(SIGALRM, on_alarm);
    if (argc > 3 && argv[3][0] == 'e')
        return fuzz_ends(old, new, iters);
    if (argc > 3 && argv[3][0] == 'k')
        return fuzz_kernels(old, new, iters);
    boot_fn boot[2] = {(boot_fn)dlsym(old, "ecsp_boot"), (boot_fn)dlsym(new, "ecsp_boot")};
    round_fn round[2] = {(round_fn)dlsym(old, "ecsp_round"), (round_fn)dlsym(new, "ecsp_round")};
    open_fn open_r[2] = {(open_fn)dlsym(old, "ecsp_open_reader"), (open_fn)dlsym(new, "ecsp_open_reader")};
    open_fn open_w[2] = {(open_fn)dlsym(old, "ecsp_open_writer"), (open_fn)dlsym(new, "ecsp_open_writer")};
    signal(SIGALRM, on_alarm);
    long long_runs = 0, overlapping = 0;
    long booted = 0, rounds = 0, codes[16] = {0}, opens = 0, open_ok = 0;
    for (long it = 0; it < iters; it++) {
        uint64_t seed = rng;
        cur_it = it;
        cur_seed = seed;
        alarm(2);
        make_table(base);
        memcpy(mem_a, base, sizeof base);
        memcpy(mem_b, base, sizeof base);
        run ra, rb;
        ecsp_hal ha, hb;
        init_hal(&ha, &ra, mem_a);
        init_hal(&hb, &rb, mem_b);
        ecsp_executor ea, eb;
        memset(&ea, 0x5A, sizeof ea);
        memset(&eb, 0x5A, sizeof eb);
        uint32_t ca = boot[0](&ha, &ea, CORE, (uintptr_t)mem_a), cb = boot[1](&hb, &eb, CORE, (uintptr_t)mem_b);
        codes[ca & 15]++;
        if (ca != cb || memcmp(mem_a, mem_b, sizeof mem_a) || (ca == 0 && memcmp(&ea, &eb, sizeof ea)) ||
            ra.oob != rb.oob) {
            printf("boot differs at iteration %ld (seed %#llx): old %u new %u\n", it, (unsigned long long)seed, ca, cb);
            return 1;
        }
        /* the end checks alone, on every end record as reader and writer */
        for (uint32_t e = 0; e < 8; e++) {
            for (int w = 0; w < 2; w++) {
                uint8_t sa[128], sb[128];
                memset(sa, 0x33, sizeof sa);
                memset(sb, 0x33, sizeof sb);
                uint32_t msg = below(3) ? dsize[1 + below(6)] * (1 + below(2)) : interesting();
                open_fn *f = w ? open_w : open_r;
                uint32_t xa = f[0](&ha, sa, 0x4200, e, msg), xb = f[1](&hb, sb, 0x4200, e, msg);
                opens++;
                open_ok += xa == 0;
                if (xa != xb || memcmp(sa, sb, sizeof sa)) {
                    printf("open %s differs at iteration %ld end %u (seed %#llx): old %u new %u\n",
                           w ? "writer" : "reader", it, e, (unsigned long long)seed, xa, xb);
                    return 1;
                }
            }
        }
        if (ca != 0)
            continue;
        booted++;
        {
            /* A table whose arena overlaps its task records lets a process's
             * own state writes change where states are: no host does that,
             * and here it would crash the fuzzer, not the runtime. */
            uint32_t arena_size;
            memcpy(&arena_size, base + 0x4020, 4);
            int overlap = ea.arena_offset < ea.tasks_offset + 96 * ea.count && ea.tasks_offset < ea.arena_offset + arena_size;
            /* nor do two states share bytes */
            for (uint32_t i = 0; i < ea.count; i++)
                for (uint32_t j = 0; j < i; j++) {
                    uint32_t si, zi, sj, zj;
                    memcpy(&si, base + ea.tasks_offset + 96 * i + 20, 4);
                    memcpy(&zi, base + ea.tasks_offset + 96 * i + 24, 4);
                    memcpy(&sj, base + ea.tasks_offset + 96 * j + 20, 4);
                    memcpy(&zj, base + ea.tasks_offset + 96 * j + 24, 4);
                    if ((uint64_t)si < (uint64_t)sj + zj && (uint64_t)sj < (uint64_t)si + zi)
                        overlap = 1;
                }
            if (overlap) {
                overlapping++;
                continue;
            }
        }
        memset(guard, 0, sizeof guard);
        for (uint32_t i = 0; i < ea.count; i++)
            memset(guard + ea.tasks_offset + 96 * i, 1, 28);
        {
            uint32_t arena_size;
            memcpy(&arena_size, base + 0x4020, 4);
            memset(guard + ea.arena_offset, 1, arena_size);
        }
        ra.guard = rb.guard = guard;
        for (int k = 0; k < 40; k++) {
            volatile uint32_t la = 0xEEEE, lb = 0xEEEE;
            ra.armed = rb.armed = 1;
            if (!setjmp(ra.out))
                la = round[0](&ha, &ea, (uintptr_t)mem_a);
            if (!setjmp(rb.out))
                lb = round[1](&hb, &eb, (uintptr_t)mem_b);
            if (la == 0xEEEE || lb == 0xEEEE) {
                long_runs++;
                if (la != lb || ra.log != rb.log)
                    printf("budget: old %u new %u\n", la, lb);
                if (la != lb || ra.log != rb.log)
                    return 1;
                break;
            }
            rounds++;
            if (la != lb || !same_sram(&ea) || memcmp(&ea, &eb, sizeof ea) || ra.log != rb.log ||
                ra.oob != rb.oob) {
                printf("round %d differs at iteration %ld (seed %#llx): live old %u new %u\n", k, it,
                       (unsigned long long)seed, la, lb);
                for (uint32_t i = 0; i < 0x8000; i++)
                    if (mem_a[i] != mem_b[i])
                        printf("  %#x: old %02x new %02x\n", i, mem_a[i], mem_b[i]);
                for (uint32_t t = 0; t < 4; t++)
                    printf("  task %u kind %#x dtype %u ends %u+%u/%u\n", t, *(uint32_t *)(base + 0x4040 + 96 * t),
                           *(uint32_t *)(base + 0x4044 + 96 * t), *(uint32_t *)(base + 0x404c + 96 * t),
                           *(uint32_t *)(base + 0x4050 + 96 * t), *(uint32_t *)(base + 0x4010));
                return 1;
            }
            if (la == 0)
                break;
        }
    }
    printf("%ld overstayed, %ld overlapping; ", long_runs, overlapping);
    printf("%ld tables: booted %ld, %ld rounds, %ld end opens (%ld ok); boot codes:", iters, booted, rounds, opens,
           open_ok);
    for (int i = 0; i < 16; i++)
        if (codes[i])
            printf(" %d:%ld", i, codes[i]);
    printf("\n");
    return 0;
}
