//! A simulated core's memory-mapped register block (0xF0000..0xF1000).
//!
//! Registers with behaviour:
//! - COREID reads the core's id; writes are ignored.
//! - ILATST sets bits of ILAT (raising those interrupts); ILATCL clears them.
//! - CTIMER0/1 count down, one per clock cycle of the board's 600 MHz
//!   Epiphany clock, while their mode field in CONFIG (bits 7..4 and 11..8)
//!   is non-zero; the simulator counts every mode as clock cycles. They stop
//!   at zero.
//!
//! Every other register is a plain word: written values read back.

use ecsp_device::addr::{reg, CoreId, REGS_BASE, REGS_SIZE};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Epiphany clock on the Parallella, cycles per second.
pub(crate) const CLOCK_HZ: u64 = 600_000_000;

fn off(register: u32) -> u32 {
    register - REGS_BASE
}

/// A timer: the value last written and the time it was written.
struct Timer {
    /// Value at `since_ns`.
    value: AtomicU32,
    /// Simulator time of the last write or mode change.
    since_ns: AtomicU64,
}

/// One core's registers.
pub(crate) struct Registers {
    id: CoreId,
    words: Box<[AtomicU32]>,
    timers: [Timer; 2],
}

/// What a register write asks the simulator to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Nothing beyond the write.
    None,
    /// Interrupts were raised: the bits newly written to ILATST.
    Raised(u32),
}

impl Registers {
    pub(crate) fn new(id: CoreId) -> Registers {
        Registers {
            id,
            words: (0..REGS_SIZE / 4).map(|_| AtomicU32::new(0)).collect(),
            timers: [0, 1].map(|_| Timer {
                value: AtomicU32::new(0),
                since_ns: AtomicU64::new(0),
            }),
        }
    }

    fn word(&self, offset: u32) -> &AtomicU32 {
        &self.words[(offset / 4) as usize]
    }

    /// ILAT, for the simulator's fast path.
    pub(crate) fn ilat(&self) -> &AtomicU32 {
        self.word(off(reg::ILAT))
    }

    fn timer_running(&self, timer: usize) -> bool {
        let config = self.word(off(reg::CONFIG)).load(Ordering::Relaxed);
        (config >> (4 + 4 * timer)) & 0xF != 0
    }

    fn timer_value(&self, timer: usize, now_ns: u64) -> u32 {
        let t = &self.timers[timer];
        let value = t.value.load(Ordering::Relaxed);
        if !self.timer_running(timer) {
            return value;
        }
        let elapsed_ns = now_ns.saturating_sub(t.since_ns.load(Ordering::Relaxed));
        let cycles = (elapsed_ns as u128 * CLOCK_HZ as u128 / 1_000_000_000) as u64;
        value.saturating_sub(cycles.min(u32::MAX as u64) as u32)
    }

    /// Reads the register at `offset` (relative to the block).
    pub(crate) fn read(&self, offset: u32, now_ns: u64) -> u32 {
        match offset + REGS_BASE {
            reg::COREID => self.id.raw() as u32,
            reg::CTIMER0 => self.timer_value(0, now_ns),
            reg::CTIMER1 => self.timer_value(1, now_ns),
            reg::ILATST | reg::ILATCL => 0,
            _ => self.word(offset).load(Ordering::Acquire),
        }
    }

    /// Writes `value` to the register at `offset` and says what follows.
    pub(crate) fn write(&self, offset: u32, value: u32, now_ns: u64) -> Effect {
        match offset + REGS_BASE {
            reg::COREID => Effect::None,
            reg::ILATST => {
                let before = self.ilat().fetch_or(value, Ordering::AcqRel);
                Effect::Raised(value & !before)
            }
            reg::ILATCL => {
                self.ilat().fetch_and(!value, Ordering::AcqRel);
                Effect::None
            }
            reg::CTIMER0 | reg::CTIMER1 => {
                let timer = ((offset + REGS_BASE - reg::CTIMER0) / 4) as usize;
                self.timers[timer].value.store(value, Ordering::Relaxed);
                self.timers[timer].since_ns.store(now_ns, Ordering::Relaxed);
                Effect::None
            }
            reg::CONFIG => {
                // Freeze both timers at their current values, then rebase them.
                let frozen = [self.timer_value(0, now_ns), self.timer_value(1, now_ns)];
                self.word(offset).store(value, Ordering::Release);
                for (t, v) in self.timers.iter().zip(frozen) {
                    t.value.store(v, Ordering::Relaxed);
                    t.since_ns.store(now_ns, Ordering::Relaxed);
                }
                Effect::None
            }
            _ => {
                self.word(offset).store(value, Ordering::Release);
                Effect::None
            }
        }
    }

    /// Back to power-on values.
    pub(crate) fn clear(&self) {
        for w in self.words.iter() {
            w.store(0, Ordering::Relaxed);
        }
        for t in &self.timers {
            t.value.store(0, Ordering::Relaxed);
            t.since_ns.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coreid_reads_the_id() {
        let r = Registers::new(CoreId::from_row_col(33, 9));
        assert_eq!(r.read(off(reg::COREID), 0), 0x849);
        r.write(off(reg::COREID), 5, 0);
        assert_eq!(r.read(off(reg::COREID), 0), 0x849);
    }

    #[test]
    fn ilatst_sets_and_ilatcl_clears() {
        let r = Registers::new(CoreId::from_row_col(32, 8));
        assert_eq!(r.write(off(reg::ILATST), 1 << 9, 0), Effect::Raised(1 << 9));
        assert_eq!(r.write(off(reg::ILATST), 1 << 9, 0), Effect::Raised(0));
        assert_eq!(r.read(off(reg::ILAT), 0), 1 << 9);
        r.write(off(reg::ILATCL), 1 << 9, 0);
        assert_eq!(r.read(off(reg::ILAT), 0), 0);
    }

    #[test]
    fn ctimers_count_down_at_600_mhz_while_enabled() {
        let r = Registers::new(CoreId::from_row_col(32, 8));
        r.write(off(reg::CTIMER0), 1_000_000, 0);
        // Off: frozen.
        assert_eq!(r.read(off(reg::CTIMER0), 1_000), 1_000_000);
        r.write(off(reg::CONFIG), 1 << 4, 1_000);
        // 1 us later: 600 cycles fewer.
        assert_eq!(r.read(off(reg::CTIMER0), 2_000), 1_000_000 - 600);
        // Stops at zero.
        assert_eq!(r.read(off(reg::CTIMER0), 10_000_000_000), 0);
        // Timer 1 is independent and off.
        r.write(off(reg::CTIMER1), 7, 2_000);
        assert_eq!(r.read(off(reg::CTIMER1), 9_000), 7);
    }
}
