/* Kernels with the bugs users make: the simulator stops the process and
 * names the kernel, its core and what it did. */
#include <ecsp/kernel.h>

ECSP_KERNEL(wild_write, "writes through a pointer that points nowhere", IN(in, u32), PARAM(addr, u64, 16))
{
    uint32_t v;
    ecsp_read(in, &v);
    *(volatile uint32_t *)(uintptr_t)addr = v;
}

static int deep(volatile int n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    return n == 0 ? pad[0] : deep(n + 1) + pad[0];
}

ECSP_KERNEL(runaway, "recurses without end", IN(in, u32))
{
    uint32_t v;
    ecsp_read(in, &v);
    ecsp_result(deep((int)v));
}

ECSP_KERNEL(divide, "divides by what it reads", IN(in, i32))
{
    int32_t v;
    volatile int32_t top = 100;
    ecsp_read(in, &v);
    ecsp_result(top / v);
}
