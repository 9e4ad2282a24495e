/* A kernel the tests run: doubles every value until its input closes. */
#include <ecsp/kernel.h>

ECSP_KERNEL(double_it, "doubles every value of its input until it closes",
            IN(x, u32), OUT(y, u32), PARAM(offset, i32, 0))
{
    uint32_t v;
    int64_t n = 0;
    while (ecsp_read(x, &v)) {
        v = 2 * v + (uint32_t)offset;
        ecsp_write(y, &v);
        n++;
    }
    ecsp_result(n);
}
