/* ecsp's start-up code for an Epiphany core: the interrupt vector table,
 * the loader's configuration words and the reset entry. No e-lib, no
 * newlib: the device image is ecsp's C runtime alone.
 *
 * The loader contract (ecsp's reference on the eSDK loader): the interrupt
 * vector table is at 0x00, one 4-byte entry per interrupt (irq * 4), each
 * a branch; e_start raises SYNC (irq 0), so the core enters entry 0 (esim
 * starts every core at address 0 as well, so entry 0 must branch to the
 * entry point). The loader writes its configuration into the sections
 * named workgroup_cfg, ext_mem_cfg and loader_cfg, which ecsp.ld places at
 * 0x28, 0x50 and 0x58. Code starts at 0x100; the stack grows down from the
 * top of SRAM into the 2 KiB PROTOCOL.md keeps for it.
 *
 * Symbols shared with C have fixed names (asm labels in main.c), so the
 * code is the same whether or not the compiler prefixes C symbols with an
 * underscore (GCC 12 does, the eSDK's GCC 5 does not). Registers are
 * always named r0..r63, never fp: assemblers of different generations
 * disagree on which register fp is. */

    .section .ivt, "ax", @progbits
    .global ecsp_ivt
ecsp_ivt:
    /* Each entry at its exact slot whatever size the assembler picks for
     * the branch: .org pads forward and fails if an entry overran. */
    .org ecsp_ivt + 0x00
    b ecsp_reset            /* 0 SYNC: reset and start */
    .org ecsp_ivt + 0x04
    b ecsp_fault_isr        /* 1 software exception */
    .org ecsp_ivt + 0x08
    b ecsp_fault_isr        /* 2 memory fault */
    .org ecsp_ivt + 0x0c
    b ecsp_quiet_isr        /* 3 timer0 (masked) */
    .org ecsp_ivt + 0x10
    b ecsp_timer_isr        /* 4 timer1: a deadline (ecsp_wake_at) */
    .org ecsp_ivt + 0x14
    b ecsp_quiet_isr        /* 5 message (masked) */
    .org ecsp_ivt + 0x18
    b ecsp_quiet_isr        /* 6 DMA0 (masked) */
    .org ecsp_ivt + 0x1c
    b ecsp_quiet_isr        /* 7 DMA1 (masked) */
    .org ecsp_ivt + 0x20
    b ecsp_wand_isr         /* 8 WAND: a barrier completed (masked without participants) */
    .org ecsp_ivt + 0x24
    b ecsp_user_isr         /* 9 user: the wake-up of the channel protocol */
    .org ecsp_ivt + 0x28

/* The loader fills these (e_group_config, e_emem_config, loader flags). */
    .section workgroup_cfg, "aw", @progbits
    .global ecsp_workgroup_cfg
ecsp_workgroup_cfg:
    .space 0x28
    .section ext_mem_cfg, "aw", @progbits
    .global ecsp_ext_mem_cfg
ecsp_ext_mem_cfg:
    .space 0x08
    .section loader_cfg, "aw", @progbits
    .global ecsp_loader_cfg
ecsp_loader_cfg:
    .space 0x10

    .section .text.ecsp_reset, "ax", @progbits
    .balign 4
    .global ecsp_reset
ecsp_reset:
    /* Stack: from the top of SRAM, 8-byte aligned. */
    mov r13, %low(ecsp_stack_top)
    movt r13, %high(ecsp_stack_top)
    /* Zero .bss (the loader zeroes SRAM too, but a reset need not). */
    mov r0, %low(ecsp_bss_start)
    movt r0, %high(ecsp_bss_start)
    mov r1, %low(ecsp_bss_end)
    movt r1, %high(ecsp_bss_end)
    mov r2, #0
1:
    sub r3, r1, r0
    beq 2f
    str r2, [r0]
    add r0, r0, #4
    b 1b
2:
    /* Leave the SYNC interrupt into ecsp_main (interrupts stay disabled
     * until ecsp_main has set IMASK). */
    mov r0, %low(ecsp_main)
    movt r0, %high(ecsp_main)
    movts iret, r0
    rti

    .balign 4
    .global ecsp_quiet_isr
ecsp_quiet_isr:
    rti
