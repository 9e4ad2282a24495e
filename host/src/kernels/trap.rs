//! A C kernel's faults in the simulator: a wild pointer, an index far past
//! an array, a stack overflow or an integer division by zero in a user's
//! kernel must stop that process, with a report naming the kernel, its core
//! and the address, not the whole program.
//!
//! While a kernel's coroutine runs, its thread notes the coroutine's trap
//! handler ([`Running`]). A signal handler for SIGSEGV, SIGBUS, SIGFPE and
//! SIGILL, installed once, runs on an alternate signal stack (so a stack
//! overflow can be handled too); when the faulting stack pointer is inside
//! the running kernel's stack, it records the fault and makes the
//! coroutine return at once (corosensei's trap handling), and the runner
//! reports the process failed. Any other fault goes to the handler that was
//! there before (or the default action), as if ecsp had none.
//!
//! Supported on Linux on x86_64 and aarch64; elsewhere a kernel's fault
//! ends the program as any fault does.

use corosensei::trap::CoroutineTrapHandler;
use std::cell::Cell;

/// `si_code` of an integer division by zero (Linux's and the BSDs' value).
const FPE_INTDIV: i32 = 1;

/// What stopped a kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fault {
    /// The signal.
    pub signal: i32,
    /// The signal's code (`si_code`).
    pub code: i32,
    /// The address it names (`si_addr`).
    pub addr: usize,
    /// True when the address is in the kernel stack's guard page.
    pub overflow: bool,
}

impl Fault {
    /// What the kernel did, in words.
    pub fn describe(&self) -> String {
        match self.signal {
            libc::SIGFPE if self.code == FPE_INTDIV => "divided an integer by zero".to_string(),
            libc::SIGFPE => format!("raised an arithmetic fault (code {})", self.code),
            libc::SIGILL => format!("ran an illegal instruction at {:#x}", self.addr),
            _ if self.overflow => "overflowed its stack in the simulator (a kernel's locals \
                                   there get about 248 KiB of the host's stack): keep big arrays \
                                   fewer, or pass them as messages"
                .to_string(),
            _ => format!(
                "memory fault: read or wrote address {:#x}, outside its memory \
                 (a pointer that points nowhere, or an index past an array)",
                self.addr
            ),
        }
    }
}

/// The kernel running on this thread, while it runs.
#[derive(Clone, Copy)]
pub(crate) struct Running {
    /// Makes the kernel's coroutine return.
    pub handler: CoroutineTrapHandler<()>,
    /// Its stack region: `[low, high)`.
    pub low: usize,
    /// The end of its stack region.
    pub high: usize,
    /// Its guard page: `[guard.0, guard.1)`.
    pub guard: (usize, usize),
    /// Where the handler records the fault.
    pub fault: *mut Option<Fault>,
}

thread_local! {
    static RUNNING: Cell<Option<Running>> = const { Cell::new(None) };
}

/// Notes `running` as this thread's kernel until the guard drops.
pub(crate) fn enter(running: Running) -> Guard {
    install();
    alt_stack();
    RUNNING.with(|r| r.set(Some(running)));
    Guard
}

/// Clears the thread's running kernel when dropped.
pub(crate) struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        RUNNING.with(|r| r.set(None));
    }
}

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod imp {
    use super::*;
    use std::sync::{Once, OnceLock};

    const SIGNALS: [i32; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL];

    /// The handlers there before ours, by index in [`SIGNALS`].
    static PREVIOUS: OnceLock<[libc::sigaction; 4]> = OnceLock::new();

    pub(super) fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            // SAFETY: a zeroed sigaction is a valid value to be filled in.
            let mut previous: [libc::sigaction; 4] = unsafe { std::mem::zeroed() };
            for (old, &signal) in previous.iter_mut().zip(&SIGNALS) {
                // SAFETY: asks only, changes nothing.
                unsafe { libc::sigaction(signal, std::ptr::null(), old) };
            }
            let _ = PREVIOUS.set(previous);
            for &signal in &SIGNALS {
                // SAFETY: (1) a zeroed sigaction is valid to fill in; (2) the
                // handler is async-signal-safe (it touches a thread-local
                // cell, the faulting context and plain memory, and calls
                // only sigaction and the previous handler).
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = handler as *const () as usize;
                    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                    libc::sigemptyset(&mut action.sa_mask);
                    libc::sigaction(signal, &action, std::ptr::null_mut());
                }
            }
        });
    }

    thread_local! {
        static ALT_STACK: Cell<bool> = const { Cell::new(false) };
    }

    /// Bytes of each thread's alternate signal stack.
    const ALT_STACK_SIZE: usize = 64 * 1024;

    pub(super) fn alt_stack() {
        if ALT_STACK.with(|a| a.get()) {
            return;
        }
        // SAFETY: (1) the stack is leaked memory of its own, alive for the
        // thread's life (a thread that ran kernels keeps it); (2) sigaltstack
        // only records it.
        unsafe {
            let mut old: libc::stack_t = std::mem::zeroed();
            libc::sigaltstack(std::ptr::null(), &mut old);
            if old.ss_flags & libc::SS_DISABLE == 0 && old.ss_size >= ALT_STACK_SIZE {
                ALT_STACK.with(|a| a.set(true));
                return;
            }
            let memory = Box::leak(vec![0u8; ALT_STACK_SIZE].into_boxed_slice());
            let stack = libc::stack_t {
                ss_sp: memory.as_mut_ptr() as *mut libc::c_void,
                ss_flags: 0,
                ss_size: ALT_STACK_SIZE,
            };
            libc::sigaltstack(&stack, std::ptr::null_mut());
        }
        ALT_STACK.with(|a| a.set(true));
    }

    /// The faulting context's stack pointer.
    ///
    /// # Safety
    /// `context` is the `ucontext_t` the kernel passed to the handler.
    unsafe fn stack_pointer(context: *mut libc::c_void) -> usize {
        let uc = context as *mut libc::ucontext_t;
        // SAFETY: caller duty.
        unsafe {
            #[cfg(target_arch = "x86_64")]
            {
                (*uc).uc_mcontext.gregs[libc::REG_RSP as usize] as usize
            }
            #[cfg(target_arch = "aarch64")]
            {
                (*uc).uc_mcontext.sp as usize
            }
        }
    }

    /// Points the faulting context at the coroutine's trap return.
    ///
    /// # Safety
    /// As [`stack_pointer`]; `regs` come from the running coroutine's handler.
    unsafe fn redirect(context: *mut libc::c_void, regs: corosensei::trap::TrapHandlerRegs) {
        let uc = context as *mut libc::ucontext_t;
        // SAFETY: caller duty.
        unsafe {
            #[cfg(target_arch = "x86_64")]
            {
                let corosensei::trap::TrapHandlerRegs {
                    rip,
                    rsp,
                    rbp,
                    rdi,
                    rsi,
                } = regs;
                let g = &mut (*uc).uc_mcontext.gregs;
                g[libc::REG_RIP as usize] = rip as i64;
                g[libc::REG_RSP as usize] = rsp as i64;
                g[libc::REG_RBP as usize] = rbp as i64;
                g[libc::REG_RDI as usize] = rdi as i64;
                g[libc::REG_RSI as usize] = rsi as i64;
            }
            #[cfg(target_arch = "aarch64")]
            {
                let corosensei::trap::TrapHandlerRegs {
                    pc,
                    sp,
                    x0,
                    x1,
                    x29,
                    lr,
                } = regs;
                let m = &mut (*uc).uc_mcontext;
                m.pc = pc;
                m.sp = sp;
                m.regs[0] = x0;
                m.regs[1] = x1;
                m.regs[29] = x29;
                m.regs[30] = lr;
            }
        }
    }

    extern "C" fn handler(signal: i32, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
        let running = RUNNING.try_with(|r| r.get()).ok().flatten();
        if let Some(running) = running {
            // SAFETY: the kernel passes a valid context and siginfo.
            let (sp, addr, code) = unsafe { (stack_pointer(context), (*info).si_addr() as usize, (*info).si_code) };
            if sp >= running.low && sp < running.high {
                let fault = Fault {
                    signal,
                    code,
                    addr,
                    overflow: addr >= running.guard.0 && addr < running.guard.1,
                };
                // SAFETY: (1) `fault` points into the running kernel's task,
                // alive while it runs; (2) the faulting context's stack
                // pointer is in the coroutine (checked), as
                // setup_trap_handler requires; (3) the context is updated
                // with the registers it returns.
                unsafe {
                    *running.fault = Some(fault);
                    let regs = running.handler.setup_trap_handler(|| ());
                    redirect(context, regs);
                }
                return;
            }
        }
        // Not a kernel's fault: what was there before ecsp decides.
        let index = SIGNALS.iter().position(|&s| s == signal).unwrap_or(0);
        // SAFETY: a zeroed sigaction is SIG_DFL with no flags.
        let default: libc::sigaction = unsafe { std::mem::zeroed() };
        let previous = PREVIOUS.get().map_or(&default, |p| &p[index]);
        // SAFETY: calling the previous handler, or restoring the default
        // action and returning (the fault repeats and takes it), is what a
        // chained handler does.
        unsafe {
            let action = previous.sa_sigaction;
            if action == libc::SIG_DFL || action == libc::SIG_IGN {
                libc::sigaction(signal, previous, std::ptr::null_mut());
            } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
                let f: extern "C" fn(i32, *mut libc::siginfo_t, *mut libc::c_void) = std::mem::transmute(action);
                f(signal, info, context);
            } else {
                let f: extern "C" fn(i32) = std::mem::transmute(action);
                f(signal);
            }
        }
    }
}

#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
mod imp {
    pub(super) fn install() {}
    pub(super) fn alt_stack() {}
}

use imp::{alt_stack, install};
