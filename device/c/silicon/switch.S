/* The context switch of users' kernels on silicon (src/kernel.c): each
 * kernel runs on a stack of its own in its room, the executor on the
 * image's stack at the top of SRAM.
 *
 * ecsp__switch(uint32_t *save, uint32_t to): pushes the registers a called
 * function must preserve (GCC's epiphany port: r4-r11, r15 and r32-r43)
 * and the return address (r14) on the current stack, stores the stack
 * pointer at *save, switches to the stack `to` and pops the same frame
 * from it, returning to where that stack last called ecsp__switch. A new
 * kernel's stack starts with such a frame built by ecsp_k_step: r4 = the
 * kernel's entry, r14 = ecsp__kernel_start.
 *
 * Frame (88 bytes, 8-byte aligned, from the stack pointer up):
 *   r4 r5 r6 r7 r8 r9 r10 r11 r32 ... r43 r14 r15
 * An interrupt taken during the switch pushes below whichever stack
 * pointer is current, where both stacks are free. */
    .section .text
    .balign 4
    .global ecsp__switch
ecsp__switch:
    sub sp, sp, #88
    strd r4, [sp, #0]
    strd r6, [sp, #1]
    strd r8, [sp, #2]
    strd r10, [sp, #3]
    strd r32, [sp, #4]
    strd r34, [sp, #5]
    strd r36, [sp, #6]
    strd r38, [sp, #7]
    strd r40, [sp, #8]
    strd r42, [sp, #9]
    strd r14, [sp, #10]
    str sp, [r0]
    mov sp, r1
    ldrd r4, [sp, #0]
    ldrd r6, [sp, #1]
    ldrd r8, [sp, #2]
    ldrd r10, [sp, #3]
    ldrd r32, [sp, #4]
    ldrd r34, [sp, #5]
    ldrd r36, [sp, #6]
    ldrd r38, [sp, #7]
    ldrd r40, [sp, #8]
    ldrd r42, [sp, #9]
    ldrd r14, [sp, #10]
    add sp, sp, #88
    rts
    .size ecsp__switch, .-ecsp__switch

/* A new kernel's first switch returns here: run it (ecsp_k_main never
 * returns on silicon; it suspends for good once the kernel is over). */
    .balign 4
    .global ecsp__kernel_start
ecsp__kernel_start:
    mov r0, r4
    bl ecsp_k_main
1:  b 1b
    .size ecsp__kernel_start, .-ecsp__kernel_start
