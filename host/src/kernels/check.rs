//! A host-side check of a run (`device/c/include/ecsp/check.h`): a C file
//! that compares what a network computed with what the host computes, named
//! by a network file's `[check]` section. Compiled by the host's C compiler
//! and cached like kernels; called once the run is over with every message
//! that reached the host and every process's report.

use super::cache::Cache;
use super::compile::check_object;
use super::KernelError;
use crate::run::{KernelResult, RunReport};
use std::ffi::{c_char, c_int, c_void, CString};
use std::path::{Path, PathBuf};

/// `ecsp_run_output`.
#[repr(C)]
struct COutput {
    channel: *const c_char,
    msg_size: u32,
    count: u64,
    data: *const c_void,
}

/// `ecsp_run_process`.
#[repr(C)]
struct CProcess {
    name: *const c_char,
    kind: *const c_char,
    finished: c_int,
    value: u64,
    aux: u64,
    ticks: u64,
    result_kind: c_int,
    result_int: i64,
    result_float: f64,
}

/// `ecsp_run`.
#[repr(C)]
struct CRun {
    version: u32,
    output_count: u32,
    outputs: *const COutput,
    process_count: u32,
    processes: *const CProcess,
}

/// `ECSP_CHECK_VERSION`.
const CHECK_VERSION: u32 = 1;

/// What reached the host on one channel: its name, bytes per message, and
/// the messages back to back in arrival order.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The channel.
    pub channel: String,
    /// Bytes per message.
    pub msg_size: u32,
    /// The messages.
    pub bytes: Vec<u8>,
}

/// A check file.
#[derive(Debug, Clone)]
pub struct Check {
    /// Its path (names it in messages; its folder holds its headers).
    pub path: PathBuf,
    source: String,
}

impl Check {
    /// Reads the check file at `path`.
    pub fn open(path: &Path) -> Result<Check, KernelError> {
        let source = std::fs::read_to_string(path).map_err(|e| KernelError::Read {
            path: path.to_path_buf(),
            error: e.to_string(),
        })?;
        Ok(Check {
            path: path.to_path_buf(),
            source,
        })
    }

    /// As [`Check::run`], with what the check prints sent to standard error
    /// (for a program whose standard output is a document, as `--json`'s).
    pub fn run_to_stderr(&self, report: &RunReport, outputs: &[Output]) -> Result<bool, KernelError> {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: dup and dup2 of the standard descriptors; standard output
        // is put back before returning, whatever the check did.
        let saved = unsafe { libc::dup(1) };
        if saved >= 0 {
            // SAFETY: as above.
            unsafe { libc::dup2(2, 1) };
        }
        let agrees = self.run(report, outputs);
        if saved >= 0 {
            // SAFETY: as above: C's buffers are flushed by `run`.
            unsafe {
                libc::dup2(saved, 1);
                libc::close(saved);
            }
        }
        agrees
    }

    /// Compiles (or takes from the cache) and calls the check on a run's
    /// report and outputs: `Ok(true)` when it says the answer agrees. What it
    /// prints goes to this program's standard output.
    pub fn run(&self, report: &RunReport, outputs: &[Output]) -> Result<bool, KernelError> {
        let cache = Cache::open()?;
        let built = check_object(&cache, &self.path, &self.source)?;
        let load_error = |e: libloading::Error| KernelError::Load {
            path: self.path.clone(),
            object: built.path.clone(),
            error: e.to_string(),
        };
        // SAFETY: an object ecsp compiled from the check file; loading it runs
        // only what C runs at load time (nothing, for a check file).
        let lib = unsafe { libloading::Library::new(&built.path) }.map_err(load_error)?;
        type CheckFn = unsafe extern "C" fn(*const CRun) -> c_int;
        // SAFETY: `ecsp_check` is declared by check.h with this signature.
        let check = unsafe { lib.get::<CheckFn>(b"ecsp_check\0") }.map_err(|e| KernelError::Load {
            path: self.path.clone(),
            object: built.path.clone(),
            error: format!("{e}: define `int ecsp_check(const ecsp_run *run)` (ecsp/check.h)"),
        })?;
        let text = |s: &str| CString::new(s.replace('\0', "")).unwrap_or_default();
        // Each channel's messages 8-byte aligned (check.h promises it), in
        // words of their own.
        let aligned: Vec<Vec<u64>> = outputs
            .iter()
            .map(|o| {
                let mut words = vec![0u64; o.bytes.len().div_ceil(8)];
                bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..o.bytes.len()].copy_from_slice(&o.bytes);
                words
            })
            .collect();
        let channels: Vec<CString> = outputs.iter().map(|o| text(&o.channel)).collect();
        let c_outputs: Vec<COutput> = outputs
            .iter()
            .zip(&channels)
            .zip(&aligned)
            .map(|((o, name), words)| COutput {
                channel: name.as_ptr(),
                msg_size: o.msg_size,
                count: if o.msg_size == 0 {
                    0
                } else {
                    (o.bytes.len() / o.msg_size as usize) as u64
                },
                data: words.as_ptr() as *const c_void,
            })
            .collect();
        let names: Vec<(CString, CString)> = report
            .processes
            .iter()
            .map(|p| (text(&p.name), text(&p.kind)))
            .collect();
        let c_processes: Vec<CProcess> = report
            .processes
            .iter()
            .zip(&names)
            .map(|(p, (name, kind))| {
                let (result_kind, result_int, result_float) = match p.result {
                    None => (0, 0, 0.0),
                    Some(KernelResult::Int(i)) => (1, i, i as f64),
                    Some(KernelResult::Float(f)) => (2, f as i64, f),
                };
                CProcess {
                    name: name.as_ptr(),
                    kind: kind.as_ptr(),
                    finished: p.finished as c_int,
                    value: p.value,
                    aux: p.aux,
                    ticks: p.ticks,
                    result_kind,
                    result_int,
                    result_float,
                }
            })
            .collect();
        let run = CRun {
            version: CHECK_VERSION,
            output_count: c_outputs.len() as u32,
            outputs: c_outputs.as_ptr(),
            process_count: c_processes.len() as u32,
            processes: c_processes.as_ptr(),
        };
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: (1) `run` and everything it points to live across the call;
        // (2) the check reads them as check.h declares them.
        let status = unsafe { check(&run) };
        // SAFETY: flushes C's standard output, so what the check printed
        // comes before what ecsp prints next.
        unsafe { libc::fflush(std::ptr::null_mut()) };
        Ok(status == 0)
    }
}
