//! A core's fault as the C runtime records it on silicon: there is no host
//! interrupt, so the host reads each started core's boot header.
//!
//! The C runtime writes `core_status` FAULTED when booting fails (with the
//! code in `boot_error`) and when a memory fault or software exception stops
//! the core (its fault handler also writes the task being stepped to
//! `fault_task`, `u32::MAX` for none, and fails that task). A process that
//! returns an error does not stop its core: its task record says FAILED.
//!
//! # Examples
//! ```
//! use ecsp_device::addr::CoreId;
//! use ecsp_device::boot::core_status;
//! use ecsp_host::esdk::fault::fault_of;
//! let core = CoreId::from_row_col(32, 8);
//! assert!(fault_of(core, [core_status::RUNNING, u32::MAX, 0]).is_none());
//! let fault = fault_of(core, [core_status::FAULTED, 2, 0]).unwrap();
//! assert_eq!(fault.task, Some(2));
//! ```

use crate::chip::CoreFault;
use ecsp_device::addr::CoreId;
use ecsp_device::boot::{core_status, BOOT_ERROR_OFFSET, CORE_STATUS_OFFSET, FAULT_TASK_OFFSET};

/// Offset in the boot header of the three words [`fault_of`] reads:
/// `core_status`, `fault_task`, `boot_error`, in that order.
pub const FAULT_WORDS_OFFSET: u32 = CORE_STATUS_OFFSET;

const _: () = assert!(FAULT_TASK_OFFSET == CORE_STATUS_OFFSET + 4 && BOOT_ERROR_OFFSET == CORE_STATUS_OFFSET + 8);

/// The fault of `core` whose boot header holds `words` (`core_status`,
/// `fault_task`, `boot_error`), if it stopped on one.
pub fn fault_of(core: CoreId, words: [u32; 3]) -> Option<CoreFault> {
    let [status, fault_task, boot_error] = words;
    if status != core_status::FAULTED {
        return None;
    }
    if boot_error != 0 {
        return Some(CoreFault {
            core,
            task: None,
            message: format!("boot failed: {}", describe_boot_error(boot_error)),
        });
    }
    Some(CoreFault {
        core,
        task: (fault_task != u32::MAX).then_some(fault_task),
        message: "a memory fault or software exception stopped the core".to_string(),
    })
}

/// What a `boot_error` code (`ecsp_device::executor::BootError::code`) means.
fn describe_boot_error(code: u32) -> String {
    let what = match code {
        1 => "no boot table at 0x4000: load the network before starting the core",
        2 => {
            "the boot table's version is not the device image's: host and device image are from different ecsp versions"
        }
        3 => "the boot table was planned for another core",
        4 => "more processes on the core than the runtime holds",
        5 => "boot table records lie outside SRAM",
        6 => "a task names a process kind the device image does not have",
        7 => "a task names an unknown message type",
        8 => "a task's state does not fit the room planned for it: host and device image disagree on state sizes",
        _ => "an unknown boot error",
    };
    format!("{what} (code {code})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_boot_errors_and_faults() {
        let core = CoreId::from_row_col(33, 9);
        for status in [core_status::LOADED, core_status::RUNNING, core_status::FINISHED] {
            assert_eq!(fault_of(core, [status, 3, 6]), None);
        }
        let boot = fault_of(core, [core_status::FAULTED, u32::MAX, 6]).unwrap();
        assert_eq!((boot.core, boot.task), (core, None));
        assert!(
            boot.message.starts_with("boot failed: a task names a process kind"),
            "{}",
            boot.message
        );
        let fault = fault_of(core, [core_status::FAULTED, 1, 0]).unwrap();
        assert_eq!(fault.task, Some(1));
        assert!(fault.message.contains("memory fault"));
        assert_eq!(fault_of(core, [core_status::FAULTED, u32::MAX, 0]).unwrap().task, None);
    }
}
