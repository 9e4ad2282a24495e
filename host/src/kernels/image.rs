//! Device images for the chip, one per core, each carrying only the kinds
//! that core runs: the built-in kinds (as a mask for the C runtime's
//! `procs.c`), the message dtypes of their channels, and the users' kernels
//! of its processes (with a table from their kind ids to their entry
//! points). Built at run time with the Epiphany compiler
//! ([`Compiler::epiphany`]) from the runtime's sources ecsp carries, and
//! cached by content like the simulator's objects: objects per source and
//! flags, images per set of objects.
//!
//! A core's image must end below 0x4000, where the host writes the boot
//! table: every image is linked without that limit first, so a core whose
//! code does not fit is refused naming the core, its kinds and the bytes.
//! Each kernel's stack need is computed from the compiler's own account
//! (`-fstack-usage`, `-fcallgraph-info`): its deepest chain of calls, the
//! frames of the interrupts that may land on it and the context switch's;
//! a kernel declaring less (`STACK`) is refused naming the chain.

use super::cache::{temp_beside, Cache, Hasher};
use super::compile::Compiler;
use super::{KernelError, KindBody, UserKind};
use ecsp_device::boot::RUNTIME_END;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What one core's image carries.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// Built-in kinds, a bit per kind id.
    pub kinds: u32,
    /// Message dtypes of the built-in kinds' channels, a bit per dtype code.
    pub dtypes: u32,
    /// Users' kernels: (kind id, kind).
    pub kernels: Vec<(u32, Arc<UserKind>)>,
}

impl ImageSpec {
    /// The kinds it carries, by name, for messages.
    pub fn kind_names(&self) -> Vec<String> {
        let builtin = ecsp_device::process::KINDS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.kinds & (1 << i) != 0)
            .map(|(_, k)| k.name.to_string());
        builtin
            .chain(self.kernels.iter().map(|(_, k)| k.decl.name.clone()))
            .collect()
    }
}

/// An image built.
#[derive(Debug, Clone)]
pub struct CoreImage {
    /// The ELF file.
    pub path: PathBuf,
    /// Bytes of code and data from 0x100 up (what the runtime reserve holds).
    pub code_bytes: u32,
    /// True when it came from the cache.
    pub cached: bool,
    /// Per kernel: its name, the stack it needs, the stack it declares.
    pub stacks: Vec<(String, u32, u32)>,
}

/// The runtime's sources every image compiles.
const RUNTIME_SOURCES: &[&str] = &[
    "silicon/crt0.S",
    "silicon/main.c",
    "silicon/divide.c",
    "silicon/switch.S",
    "src/channel.c",
    "src/barrier.c",
    "src/procs.c",
    "src/executor.c",
    "src/kernel.c",
];

/// Flags of every object of an image (build.rs's, for users' C too).
fn flags() -> Vec<String> {
    [
        "-std=gnu11",
        "-Os",
        "-ffreestanding",
        "-fno-tree-loop-distribute-patterns",
        // The image lies in the core's SRAM: every call a 4-byte `bl`
        // (device/build.rs says why).
        "-mshort-calls",
        "-ffunction-sections",
        "-fdata-sections",
        // Signed overflow wraps (kernel.h): Python kernels count on it.
        "-fwrapv",
        "-Wall",
        "-Wextra",
        "-Wno-implicit-fallthrough",
        "-Wno-unused-function",
        "-Wno-unused-parameter",
        "-DECSP_HAL_SILICON",
        // Dwarf 4: the eSDK's tools read no newer.
        "-gdwarf-4",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// One object compiled (or cached), with its stack accounts.
struct Object {
    path: PathBuf,
    /// Its `.su` and `.ci` text (empty for assembly).
    stack_usage: String,
    call_graph: String,
}

/// Compiles `source` (the file `path`, as written by the user or carried by
/// ecsp) with `defines` into a cached object.
fn object(
    cache: &Cache,
    cc: &Compiler,
    runtime: &Path,
    path: &Path,
    source: &str,
    defines: &[String],
) -> Result<Object, KernelError> {
    let mut key = Hasher::new("epiphany-object");
    key.str(&cc.identity).str(&runtime.display().to_string());
    for f in flags().iter().chain(defines) {
        key.str(f);
    }
    let dir = std::path::absolute(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    key.str(&path.display().to_string())
        .str(&dir.display().to_string())
        .str(source);
    // Users' headers: their text is part of the key (a change rebuilds).
    for header in local_headers(&dir, source) {
        key.str(&header.display().to_string())
            .str(&std::fs::read_to_string(&header).unwrap_or_default());
    }
    let key = key.short();
    let out = cache.entry("epiphany", &format!("{key}.o"))?;
    let su = out.with_extension("su");
    let ci = out.with_extension("ci");
    if !out.is_file() {
        let assembly = path.extension().is_some_and(|e| e == "S");
        let staged = if assembly {
            path.to_path_buf()
        } else {
            let staged = cache.entry("src", &format!("{key}.c"))?;
            let name = path.display().to_string().replace('\\', "\\\\").replace('"', "\\\"");
            cache.put(&staged, format!("#line 1 \"{name}\"\n{source}").as_bytes())?;
            staged
        };
        let tmp = temp_beside(&out);
        let mut args = flags();
        args.extend(defines.iter().cloned());
        if !assembly {
            // The stack accounts, written beside the object.
            args.extend(["-fstack-usage".into(), "-fcallgraph-info=su".into()]);
        }
        args.extend([
            "-I".into(),
            runtime.join("include").display().to_string(),
            "-I".into(),
            dir.display().to_string(),
            "-c".into(),
            staged.display().to_string(),
            "-o".into(),
            tmp.display().to_string(),
        ]);
        cc.run(&args, path).map_err(for_the_chip)?;
        if !assembly {
            cache.commit(&tmp.with_extension("su"), &su)?;
            cache.commit(&tmp.with_extension("ci"), &ci)?;
        }
        cache.commit(&tmp, &out)?;
    }
    Ok(Object {
        path: out,
        stack_usage: std::fs::read_to_string(&su).unwrap_or_default(),
        call_graph: std::fs::read_to_string(&ci).unwrap_or_default(),
    })
}

/// `#include "..."`s of `source` found in `dir` (one level: a header's own
/// includes are users' business).
fn local_headers(dir: &Path, source: &str) -> Vec<PathBuf> {
    source
        .lines()
        .filter_map(|l| {
            let l = l.trim_start().strip_prefix('#')?.trim_start().strip_prefix("include")?;
            let name = l.trim().strip_prefix('"')?.split('"').next()?;
            let path = dir.join(name);
            path.is_file().then_some(path)
        })
        .collect()
}

/// A compile error for the chip, with what a kernel cannot use there.
fn for_the_chip(e: KernelError) -> KernelError {
    match e {
        KernelError::Compile {
            path,
            compiler,
            messages,
        } if messages.contains("undefined reference") => KernelError::Compile {
            path,
            compiler,
            messages: format!(
                "{messages}\n(on the Epiphany a kernel runs without a C library: no printf, malloc or libm; \
                 ecsp's own functions are those of ecsp/kernel.h)"
            ),
        },
        other => other,
    }
}

/// The C of an image's table of kernels (`kernel.c`'s `ecsp_kernel_table`).
fn kernel_table(kernels: &[(u32, Arc<UserKind>)]) -> String {
    let mut c = String::from("/* ecsp: the kernels of this core's image, by kind id. */\n#include <stdint.h>\n");
    for (_, k) in kernels {
        c.push_str(&format!("void ecsp_kernel_{}(void);\n", k.decl.name));
    }
    c.push_str("typedef struct { uint32_t kind; void (*entry)(void); } ecsp_kernel_entry;\n");
    c.push_str(&format!(
        "const ecsp_kernel_entry ecsp_kernel_table[{}] = {{\n",
        kernels.len().max(1)
    ));
    for (id, k) in kernels {
        c.push_str(&format!("    {{{id:#x}u, ecsp_kernel_{}}},\n", k.decl.name));
    }
    if kernels.is_empty() {
        c.push_str("    {0u, 0},\n");
    }
    c.push_str(&format!(
        "}};\nconst uint32_t ecsp_kernel_count = {}u;\n",
        kernels.len()
    ));
    c
}

/// Builds (or takes from the cache) the image of `spec`.
pub fn build(cache: &Cache, spec: &ImageSpec) -> Result<CoreImage, KernelError> {
    let cc = Compiler::epiphany()?;
    let runtime = cache.runtime_dir()?;
    let defines = vec![
        format!("-DECSP_IMAGE_KINDS={:#x}u", spec.kinds),
        format!("-DECSP_IMAGE_DTYPES={:#x}u", spec.dtypes),
        format!("-DECSP_IMAGE_KERNELS={}", u32::from(!spec.kernels.is_empty())),
    ];
    let mut objects = Vec::new();
    for src in RUNTIME_SOURCES {
        let path = runtime.join(src);
        let text = std::fs::read_to_string(&path).map_err(|e| KernelError::Read {
            path: path.clone(),
            error: e.to_string(),
        })?;
        objects.push(object(cache, &cc, &runtime, &path, &text, &defines)?);
    }
    let mut files: Vec<Arc<super::KernelFile>> = Vec::new();
    for (_, k) in &spec.kernels {
        match &k.body {
            KindBody::C(file) if !files.iter().any(|f| Arc::ptr_eq(f, file)) => files.push(file.clone()),
            KindBody::C(_) => {}
            KindBody::Rust(_) => {
                return Err(KernelError::NotForTheChip {
                    kind: k.decl.name.clone(),
                })
            }
        }
    }
    for file in &files {
        objects.push(object(cache, &cc, &runtime, &file.path, &file.source, &[])?);
    }
    let table = runtime.join("kernel-table.c");
    let table_text = kernel_table(&spec.kernels);
    objects.push(object(cache, &cc, &runtime, &table, &table_text, &[])?);

    let mut key = Hasher::new("epiphany-image");
    key.str(&cc.identity);
    for o in &objects {
        key.str(&o.path.display().to_string());
    }
    let image = cache.entry("epiphany", &format!("{}.elf", key.short()))?;
    let cached = image.is_file();
    if !cached {
        // Linked with room to spare first, so an image that does not fit
        // is measured, not only refused by the linker.
        let script = cache.entry("epiphany", "measure.ld")?;
        let text = std::fs::read_to_string(runtime.join("silicon/ecsp.ld")).unwrap_or_default();
        let measure = text
            .replace("LENGTH = 0x4000 - 0x0100", "LENGTH = 0x10000 - 0x0100")
            .lines()
            .filter(|l| !l.starts_with("ASSERT("))
            .collect::<Vec<_>>()
            .join("\n");
        cache.put(&script, measure.as_bytes())?;
        let tmp = temp_beside(&image);
        let mut args = vec![
            "-nostdlib".to_string(),
            "-nostartfiles".into(),
            "-Wl,--gc-sections".into(),
            "-Wl,--no-warn-rwx-segments".into(),
            format!("-T{}", script.display()),
            "-o".into(),
            tmp.display().to_string(),
        ];
        args.extend(objects.iter().map(|o| o.path.display().to_string()));
        // newlib's libm for kernels' math (sqrtf and the like): only what
        // a kernel calls is linked; its errno is main.c's `__errno`.
        args.push("-lm".into());
        args.push("-lgcc".into());
        let at = files.first().map_or(runtime.clone(), |f| f.path.clone());
        cc.run(&args, &at).map_err(for_the_chip)?;
        cache.commit(&tmp, &image)?;
    }
    let elf = std::fs::read(&image).map_err(|e| KernelError::Read {
        path: image.clone(),
        error: e.to_string(),
    })?;
    let code_bytes = code_bytes(&elf);
    let stacks = stack_needs(&objects, &spec.kernels);
    Ok(CoreImage {
        path: image,
        code_bytes,
        cached,
        stacks,
    })
}

/// Bytes of an image's loaded sections between 0x100 and the end of its
/// code and data: what it takes of the runtime reserve.
pub fn code_bytes(elf: &[u8]) -> u32 {
    let word = |at: usize| -> Option<u32> { Some(u32::from_le_bytes(elf.get(at..at + 4)?.try_into().ok()?)) };
    let half =
        |at: usize| -> Option<usize> { Some(u16::from_le_bytes(elf.get(at..at + 2)?.try_into().ok()?) as usize) };
    let end = || -> Option<u32> {
        let (table, entry, count) = (word(32)? as usize, half(46)?, half(48)?);
        let mut end = 0x100u32;
        for i in 0..count {
            let at = table + i * entry;
            let (flags, addr, size) = (word(at + 8)?, word(at + 12)?, word(at + 20)?);
            const SHF_ALLOC: u32 = 2;
            if flags & SHF_ALLOC != 0 && (0x100..0x8000).contains(&addr) {
                end = end.max(addr + size);
            }
        }
        Some(end)
    };
    end().map_or(0, |e| e - 0x100)
}

/// Bytes the code of a core may take: from 0x100 to the boot table.
pub const CODE_ROOM: u32 = RUNTIME_END - 0x100;

/// Per kernel: (name, the stack it needs, the stack it declares), from the
/// objects' stack accounts.
fn stack_needs(objects: &[Object], kernels: &[(u32, Arc<UserKind>)]) -> Vec<(String, u32, u32)> {
    let mut frames: BTreeMap<String, u32> = BTreeMap::new();
    let mut calls: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for o in objects {
        // `file:line:col:function<TAB>bytes<TAB>kind`
        for line in o.stack_usage.lines() {
            let mut cols = line.split('\t');
            let (Some(site), Some(bytes)) = (cols.next(), cols.next()) else {
                continue;
            };
            let name = site.rsplit(':').next().unwrap_or("").split('.').next().unwrap_or("");
            if let Ok(bytes) = bytes.trim().parse::<u32>() {
                let e = frames.entry(name.to_string()).or_insert(0);
                *e = (*e).max(bytes);
            }
        }
        // VCG: `edge: { sourcename: "f" targetname: "g" ... }`, a static
        // function's name qualified by its file (`path:f.constprop.0`).
        for line in o.call_graph.lines() {
            let field = |key: &str| -> Option<String> {
                let rest = line.split(key).nth(1)?.trim_start().strip_prefix('"')?;
                let name = rest.split('"').next()?.rsplit(':').next()?;
                Some(name.split('.').next()?.to_string())
            };
            if line.trim_start().starts_with("edge:") {
                if let (Some(from), Some(to)) = (field("sourcename:"), field("targetname:")) {
                    calls.entry(from).or_default().insert(to);
                }
            }
        }
    }
    fn deepest(
        f: &str,
        frames: &BTreeMap<String, u32>,
        calls: &BTreeMap<String, BTreeSet<String>>,
        seen: &mut Vec<String>,
    ) -> u32 {
        if seen.iter().any(|s| s == f) || seen.len() > 64 {
            return 0; // recursion: its frames are counted once (STACK must cover more)
        }
        seen.push(f.to_string());
        let below = calls
            .get(f)
            .map(|cs| cs.iter().map(|c| deepest(c, frames, calls, seen)).max().unwrap_or(0))
            .unwrap_or(0);
        seen.pop();
        frames.get(f).copied().unwrap_or(0) + below
    }
    // What lands on a kernel's stack besides its calls: the context switch's
    // frame when it waits, the largest interrupt handler's frame, the 8
    // bytes above the stack pointer the ABI gives a callee, and ecsp_k_main.
    let isr = ["ecsp_user_isr", "ecsp_timer_isr", "ecsp_wand_isr", "ecsp_fault_isr"]
        .iter()
        .map(|f| frames.get(*f).copied().unwrap_or(0))
        .max()
        .unwrap_or(0);
    let main = frames.get("ecsp_k_main").copied().unwrap_or(0);
    kernels
        .iter()
        .map(|(_, k)| {
            let entry = format!("ecsp_kernel_{}", k.decl.name);
            let need = deepest(&entry, &frames, &calls, &mut Vec::new()) + main + 88 + isr + 8;
            (k.decl.name.clone(), need.div_ceil(8) * 8, k.decl.stack())
        })
        .collect()
}

impl ImageSpec {
    /// True when the two specs build the same image.
    pub fn same_as(&self, other: &ImageSpec) -> bool {
        self.kinds == other.kinds
            && self.dtypes == other.dtypes
            && self.kernels.len() == other.kernels.len()
            && self
                .kernels
                .iter()
                .zip(&other.kernels)
                .all(|(a, b)| a.0 == b.0 && Arc::ptr_eq(&a.1, &b.1))
    }
}

/// What each core of `plan` runs, as the spec of its image: the built-in
/// kinds of its processes and their dtypes, and its users' kernels (a Rust
/// kind cannot run on the chip: [`KernelError::NotForTheChip`]).
pub fn specs(
    net: &crate::network::Network,
    plan: &crate::plan::Plan,
) -> Result<Vec<(ecsp_device::addr::CoreId, ImageSpec)>, KernelError> {
    use crate::network::KindRef;
    let mut out = Vec::with_capacity(plan.cores.len());
    for core in &plan.cores {
        let mut spec = ImageSpec {
            kinds: 0,
            dtypes: 0,
            kernels: Vec::new(),
        };
        for p in &core.processes {
            let process = &net.processes()[p.0];
            match net.kind_of(process) {
                KindRef::Builtin(_) => {
                    spec.kinds |= 1 << process.kind;
                    spec.dtypes |= 1 << process.dtype as u32;
                }
                KindRef::User(kind) => {
                    if !kind.is_c() {
                        return Err(KernelError::NotForTheChip {
                            kind: kind.decl.name.clone(),
                        });
                    }
                    if !spec.kernels.iter().any(|(id, _)| *id == process.kind) {
                        let index = (process.kind - ecsp_device::kernel::USER_KIND_BASE) as usize;
                        spec.kernels.push((process.kind, net.user_kinds()[index].clone()));
                    }
                }
            }
        }
        spec.kernels.sort_by_key(|(id, _)| *id);
        out.push((core.core, spec));
    }
    Ok(out)
}

/// Refuses an image whose code does not fit below the boot table, or one of
/// whose kernels declares less stack than it needs.
pub fn check_fits(
    core: ecsp_device::addr::CoreId,
    spec: &ImageSpec,
    image: &CoreImage,
) -> Result<(), crate::chip::ChipError> {
    if image.code_bytes > CODE_ROOM {
        let kinds = spec.kind_names();
        let fix = if kinds.len() > 1 {
            "place some of these processes on other cores (pin them with core = [row, col]), or use fewer kinds per core"
        } else {
            "the core runs nothing else, so the kind itself must shrink: fewer or smaller functions \
             (math on f64, and sin, cos, exp and log, cost the most; `ecsp plan --code` measures)"
        };
        return Err(crate::chip::ChipError::CodeDoesNotFit {
            core,
            kinds: kinds.join(", "),
            fix,
            bytes: image.code_bytes,
            over: image.code_bytes - CODE_ROOM,
            room: CODE_ROOM,
        });
    }
    for (name, needed, declared) in &image.stacks {
        if needed > declared {
            let origin = spec
                .kernels
                .iter()
                .find(|(_, k)| k.decl.name == *name)
                .map_or(String::new(), |(_, k)| k.origin());
            return Err(KernelError::StackTooSmall {
                kernel: name.clone(),
                origin,
                needed: *needed,
                declared: *declared,
            }
            .into());
        }
    }
    Ok(())
}
