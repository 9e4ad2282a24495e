//! The C compilers kernels are built with, and the simulator's kernel
//! objects.
//!
//! - The host's compiler (`$CC`, else `cc`) builds a kernel file into a
//!   loadable object for the simulator: the file, plus the C runtime's
//!   channel, barrier and kernel code over the simulator's HAL, as one
//!   shared library (hidden symbols but the kernels' and the runtime's entry
//!   points).
//! - The Epiphany compiler (`ECSP_EPIPHANY_CC`, else `e-gcc` or
//!   `epiphany-elf-gcc` on `PATH`) builds device images (`image.rs`).
//!
//! A kernel's source is compiled from memory (so what was hashed is what is
//! compiled), with a `#line` naming its file, so the compiler's messages name
//! the user's file and line, and with the file's directory on the include
//! path, so its own headers are found; the headers it includes are recorded
//! with their hashes, and a change to one rebuilds it.

use super::cache::{file_hash, temp_beside, Cache, Hasher};
use super::{KernelError, KernelFile};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// A C compiler: its command (a program and arguments, as `CC` may give)
/// and what it says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiler {
    /// The program and its leading arguments.
    pub command: Vec<String>,
    /// Its `--version`'s first line, part of every cache key.
    pub identity: String,
    /// Where it came from, for messages: "CC", "cc on PATH"...
    pub source: String,
}

/// The environment variable naming the Epiphany compiler.
pub const EPIPHANY_CC_VAR: &str = "ECSP_EPIPHANY_CC";

impl Compiler {
    /// The host's C compiler: `$CC`, else `cc`.
    pub fn host() -> Result<Compiler, KernelError> {
        static HOST: OnceLock<Mutex<Option<(String, Compiler)>>> = OnceLock::new();
        let named = std::env::var("CC").ok().filter(|v| !v.trim().is_empty());
        let key = named.clone().unwrap_or_else(|| "cc".to_string());
        let memo = HOST.get_or_init(|| Mutex::new(None));
        if let Some((k, c)) = &*memo.lock().unwrap_or_else(|e| e.into_inner()) {
            if *k == key {
                return Ok(c.clone());
            }
        }
        let source = if named.is_some() { "CC" } else { "cc on PATH" };
        let compiler = Compiler::probe(&key, source).map_err(|why| KernelError::NoCompiler {
            what: "the simulator".into(),
            tried: format!("{key} ({source})"),
            why,
            fix: "install a C compiler (Debian, Ubuntu: apt-get install gcc) or set CC to one".into(),
        })?;
        *memo.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, compiler.clone()));
        Ok(compiler)
    }

    /// The Epiphany C compiler: `ECSP_EPIPHANY_CC`, else `e-gcc` or
    /// `epiphany-elf-gcc` on `PATH`.
    pub fn epiphany() -> Result<Compiler, KernelError> {
        if let Some(named) = std::env::var(EPIPHANY_CC_VAR).ok().filter(|v| !v.trim().is_empty()) {
            return Compiler::probe(&named, EPIPHANY_CC_VAR).map_err(|why| KernelError::NoCompiler {
                what: "the Epiphany".into(),
                tried: format!("{named} ({EPIPHANY_CC_VAR})"),
                why,
                fix: format!("set {EPIPHANY_CC_VAR} to the eSDK's e-gcc or an epiphany-elf-gcc"),
            });
        }
        let mut tried = Vec::new();
        for name in ["e-gcc", "epiphany-elf-gcc"] {
            match Compiler::probe(name, &format!("{name} on PATH")) {
                Ok(c) => return Ok(c),
                Err(why) => tried.push(format!("{name}: {why}")),
            }
        }
        Err(KernelError::NoCompiler {
            what: "the Epiphany".into(),
            tried: "e-gcc and epiphany-elf-gcc on PATH".into(),
            why: tried.join("; "),
            fix: format!(
                "on a Parallella, source the eSDK's setup.sh (it puts e-gcc on PATH); elsewhere set {EPIPHANY_CC_VAR} to an epiphany-elf-gcc"
            ),
        })
    }

    fn probe(command: &str, source: &str) -> Result<Compiler, String> {
        let command: Vec<String> = command.split_whitespace().map(String::from).collect();
        let (program, args) = command.split_first().ok_or("it is empty")?;
        let out = Command::new(program)
            .args(args)
            .arg("--version")
            .output()
            .map_err(|e| format!("it could not be run ({e})"))?;
        if !out.status.success() {
            return Err(format!("`{} --version` failed ({})", command.join(" "), out.status));
        }
        let identity = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        Ok(Compiler {
            identity: format!("{} = {identity}", command.join(" ")),
            command,
            source: source.to_string(),
        })
    }

    /// Runs the compiler with `args`; its messages become the error's.
    pub fn run(&self, args: &[String], file: &Path) -> Result<String, KernelError> {
        let (program, lead) = self.command.split_first().expect("probed: not empty");
        let out = Command::new(program)
            .args(lead)
            .args(args)
            .output()
            .map_err(|e| KernelError::NoCompiler {
                what: "a kernel".into(),
                tried: self.command.join(" "),
                why: format!("it could not be run ({e})"),
                fix: "check the compiler is installed".into(),
            })?;
        let messages = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            return Err(KernelError::Compile {
                path: file.to_path_buf(),
                compiler: self.command.join(" "),
                messages: messages.trim_end().to_string(),
            });
        }
        Ok(messages)
    }
}

/// Bytes of the aligned host stack each simulated kernel runs on (the C
/// runtime finds its kernel from its frames through this alignment).
pub const SIM_STACK_SIZE: usize = 0x40000;

/// Flags of every simulator object: the C the kernels are written in, code
/// that C frames unwind through (a simulated memory fault is a panic that
/// crosses them), position-independent, only entry points exported.
fn sim_flags() -> Vec<String> {
    [
        "-std=gnu11",
        "-O2",
        "-g",
        "-fPIC",
        "-fexceptions",
        "-fvisibility=hidden",
        "-fno-strict-aliasing",
        // Signed overflow wraps, as kernel.h promises (and the chip's build).
        "-fwrapv",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
        "-Wno-implicit-fallthrough",
        "-Wno-unused-function",
    ]
    .into_iter()
    .map(String::from)
    .chain([format!("-DECSP_SIM_STACK_SIZE={SIM_STACK_SIZE:#x}u")])
    .collect()
}

/// What building one object did.
#[derive(Debug, Clone)]
pub struct Built {
    /// The object.
    pub path: PathBuf,
    /// True when it was found in the cache (nothing was compiled).
    pub cached: bool,
    /// The compiler's warnings, when it was compiled.
    pub warnings: String,
}

/// Writes `source` for the compiler, with a `#line` naming `path`.
fn staged_source(cache: &Cache, path: &Path, source: &str, key: &str) -> Result<PathBuf, KernelError> {
    let staged = cache.entry("src", &format!("{key}.c"))?;
    let name = path.display().to_string().replace('\\', "\\\\").replace('"', "\\\"");
    let text = format!("#line 1 \"{name}\"\n{source}");
    cache.put(&staged, text.as_bytes())?;
    Ok(staged)
}

/// Headers a compile included, from its `-MD` file: every dependency but
/// the compiled file itself and the runtime's own headers.
fn deps_of(d_file: &Path, compiled: &Path, runtime: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(d_file) else {
        return Vec::new();
    };
    let joined = text.replace("\\\n", " ");
    let after_colon = joined.split_once(": ").map_or("", |(_, deps)| deps);
    let mut deps = Vec::new();
    let mut word = String::new();
    let mut chars = after_colon.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&' ') => {
                word.push(' ');
                chars.next();
            }
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    deps.push(PathBuf::from(std::mem::take(&mut word)));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        deps.push(PathBuf::from(word));
    }
    deps.into_iter()
        .filter(|d| d != compiled && !d.starts_with(runtime) && !d.starts_with("/usr/"))
        .collect()
}

/// The manifest of a kernel object's headers: `hash path` per line.
fn manifest(deps: &[PathBuf]) -> String {
    deps.iter()
        .map(|d| format!("{} {}\n", file_hash(d).unwrap_or_default(), d.display()))
        .collect()
}

/// Whether every header a manifest lists still has its hash.
fn manifest_holds(text: &str) -> bool {
    text.lines().all(|line| {
        let Some((hash, path)) = line.split_once(' ') else {
            return false;
        };
        file_hash(Path::new(path)).as_deref() == Some(hash)
    })
}

/// The simulator's loadable object of a kernel file: from the cache, else
/// compiled with the host's compiler (and cached).
pub fn sim_object(cache: &Cache, file: &KernelFile) -> Result<Built, KernelError> {
    host_object(cache, &file.path, &file.source, Linked::Kernels)
}

/// A host check's loadable object (`ecsp/check.h`), as [`sim_object`].
pub fn check_object(cache: &Cache, path: &Path, source: &str) -> Result<Built, KernelError> {
    host_object(cache, path, source, Linked::Check)
}

/// What a host object links besides its own file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Linked {
    /// The C runtime over the simulator's HAL: a kernel file's object.
    Kernels,
    /// The C library's maths: a host check.
    Check,
}

/// The directory `path`'s own headers are found in.
fn dir_of(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    abs.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn host_object(cache: &Cache, path: &Path, source: &str, linked: Linked) -> Result<Built, KernelError> {
    let cc = Compiler::host()?;
    let runtime = cache.runtime_dir()?;
    let flags = sim_flags();
    let mut base = Hasher::new(match linked {
        Linked::Kernels => "sim-object",
        Linked::Check => "check-object",
    });
    base.str(&cc.identity).str(&runtime.display().to_string());
    for f in &flags {
        base.str(f);
    }
    let dir = dir_of(path);
    let mut key = base.clone();
    key.str(&path.display().to_string())
        .str(&dir.display().to_string())
        .str(source);
    let key = key.short();
    let manifest_path = cache.entry("sim", &format!("{key}.deps"))?;
    let object_of = |manifest_text: &str| -> Result<PathBuf, KernelError> {
        let mut h = Hasher::new("sim-object-deps");
        h.str(&key).str(manifest_text);
        cache.entry("sim", &format!("{}.so", h.short()))
    };
    if let Ok(text) = std::fs::read_to_string(&manifest_path) {
        if manifest_holds(&text) {
            let object = object_of(&text)?;
            if object.is_file() {
                return Ok(Built {
                    path: object,
                    cached: true,
                    warnings: String::new(),
                });
            }
        }
    }
    // The runtime's objects, shared by every kernel built with this compiler.
    let mut libraries = Vec::new();
    if linked == Linked::Kernels {
        for src in super::source::SIM_SOURCES {
            let mut h = base.clone();
            h.str("runtime").str(src);
            let object = cache.entry("sim", &format!("rt-{}.o", h.short()))?;
            if !object.is_file() {
                let tmp = temp_beside(&object);
                let mut args = flags.clone();
                args.extend([
                    "-I".into(),
                    runtime.join("include").display().to_string(),
                    "-c".into(),
                    runtime.join(src).display().to_string(),
                    "-o".into(),
                    tmp.display().to_string(),
                ]);
                cc.run(&args, &runtime.join(src))?;
                cache.commit(&tmp, &object)?;
            }
            libraries.push(object.display().to_string());
        }
    } else {
        libraries.push("-lm".to_string());
    }
    let staged = staged_source(cache, path, source, &key)?;
    let object = cache.entry("sim", &format!("{key}.o"))?;
    let tmp_o = temp_beside(&object);
    let d_file = temp_beside(&manifest_path);
    let mut args = flags.clone();
    args.extend([
        "-I".into(),
        runtime.join("include").display().to_string(),
        "-I".into(),
        dir.display().to_string(),
        "-MD".into(),
        "-MF".into(),
        d_file.display().to_string(),
        "-c".into(),
        staged.display().to_string(),
        "-o".into(),
        tmp_o.display().to_string(),
    ]);
    let warnings = cc.run(&args, path);
    let deps = deps_of(&d_file, &staged, &runtime);
    let _ = std::fs::remove_file(&d_file);
    let warnings = warnings?;
    let text = manifest(&deps);
    let shared = object_of(&text)?;
    let tmp_so = temp_beside(&shared);
    let mut link = vec![
        "-shared".to_string(),
        "-o".into(),
        tmp_so.display().to_string(),
        tmp_o.display().to_string(),
    ];
    link.extend(libraries);
    let linked = cc.run(&link, path);
    let _ = std::fs::remove_file(&tmp_o);
    linked?;
    cache.commit(&tmp_so, &shared)?;
    cache.put(&manifest_path, text.as_bytes())?;
    Ok(Built {
        path: shared,
        cached: false,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_dependency_files_are_read() {
        let dir = std::env::temp_dir().join(format!("ecsp-deps-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.join("k.d");
        std::fs::write(
            &d,
            "/c/k.o: /c/src/k.c /rt/include/ecsp/kernel.h \\\n /home/u/my\\ dir/m.h /usr/include/stdint.h\n",
        )
        .unwrap();
        let deps = deps_of(&d, Path::new("/c/src/k.c"), Path::new("/rt"));
        assert_eq!(deps, [PathBuf::from("/home/u/my dir/m.h")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
