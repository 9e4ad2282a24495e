//! Compiled kernels and device images, cached by content.
//!
//! The cache lives in `$ECSP_CACHE`, else in the user's cache directory
//! (`~/.cache/ecsp` on Linux). Every entry is named by a hash of everything
//! that went into it (ecsp's version, the compiler and its flags, the
//! runtime's sources, the kernel's source and the headers it included), so
//! an unchanged kernel is never compiled twice, a changed one never reused,
//! and two programs compiling at once at worst both write the same entry
//! (written beside, then renamed into place).

use super::KernelError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// The environment variable naming the cache directory.
pub const CACHE_VAR: &str = "ECSP_CACHE";

impl Cache {
    /// The cache at `$ECSP_CACHE`, else in the user's cache directory.
    pub fn open() -> Result<Cache, KernelError> {
        let dir = match std::env::var_os(CACHE_VAR).filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => dirs::cache_dir()
                .map(|d| d.join("ecsp"))
                .ok_or_else(|| KernelError::Cache {
                    dir: PathBuf::from("~/.cache/ecsp"),
                    error: format!("this system names no cache directory for the user: set {CACHE_VAR}"),
                })?,
        };
        Cache::at(dir)
    }

    /// The cache at `dir` (made if missing).
    pub fn at(dir: impl Into<PathBuf>) -> Result<Cache, KernelError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| KernelError::Cache {
            dir: dir.clone(),
            error: format!("{e}: set {CACHE_VAR} to a directory ecsp may write"),
        })?;
        Ok(Cache { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the entry `name` in the section `section` (a
    /// subdirectory, made if missing).
    pub fn entry(&self, section: &str, name: &str) -> Result<PathBuf, KernelError> {
        let dir = self.dir.join(section);
        std::fs::create_dir_all(&dir).map_err(|e| self.error(&dir, e))?;
        Ok(dir.join(name))
    }

    /// Writes `bytes` as the entry at `path`: beside it first, then renamed
    /// into place, so a reader never sees half an entry.
    pub fn put(&self, path: &Path, bytes: &[u8]) -> Result<(), KernelError> {
        let tmp = temp_beside(path);
        std::fs::write(&tmp, bytes).map_err(|e| self.error(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| self.error(path, e))
    }

    /// Moves the file `from` (made beside the entry, see [`temp_beside`])
    /// into place as the entry at `path`.
    pub fn commit(&self, from: &Path, path: &Path) -> Result<(), KernelError> {
        std::fs::rename(from, path).map_err(|e| self.error(path, e))
    }

    /// The runtime's sources written out (once per content): the directory
    /// holding `include/`, `src/` and `silicon/`.
    pub fn runtime_dir(&self) -> Result<PathBuf, KernelError> {
        // The sources' hash is the same for the whole program: once.
        static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let hash = HASH.get_or_init(|| {
            let mut h = Hasher::new("runtime");
            for (path, text) in super::source::FILES {
                h.str(path).str(text);
            }
            h.short()
        });
        let dir = self.dir.join(format!("runtime-{hash}"));
        if dir.join(".complete").exists() {
            return Ok(dir);
        }
        for (path, text) in super::source::FILES {
            let file = dir.join(path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).map_err(|e| self.error(parent, e))?;
            }
            self.put(&file, text.as_bytes())?;
        }
        self.put(&dir.join(".complete"), b"")?;
        Ok(dir)
    }

    fn error(&self, path: &Path, e: std::io::Error) -> KernelError {
        KernelError::Cache {
            dir: path.to_path_buf(),
            error: format!("{e}: set {CACHE_VAR} to a directory ecsp may write"),
        }
    }
}

/// A path beside `path` no other writer uses: `path` plus this process's id
/// and a counter.
pub fn temp_beside(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}-{n}", std::process::id()));
    path.with_file_name(name)
}

/// A content hash of everything that goes into an entry.
#[derive(Clone)]
pub struct Hasher(Sha256);

impl Hasher {
    /// A hash for entries of kind `what` of this version of ecsp.
    pub fn new(what: &str) -> Hasher {
        let mut h = Hasher(Sha256::new());
        h.str("ecsp").str(env!("CARGO_PKG_VERSION")).str(what);
        h
    }

    /// Adds a string (length-prefixed, so no two sequences collide).
    pub fn str(&mut self, s: &str) -> &mut Hasher {
        self.bytes(s.as_bytes())
    }

    /// Adds bytes (length-prefixed).
    pub fn bytes(&mut self, b: &[u8]) -> &mut Hasher {
        self.0.update((b.len() as u64).to_le_bytes());
        self.0.update(b);
        self
    }

    /// The first 32 hex digits of the hash.
    pub fn short(&self) -> String {
        self.0.clone().finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The hash of a file's contents, or `None` when it cannot be read.
pub fn file_hash(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let mut h = Hasher::new("file");
    h.bytes(&bytes);
    Some(h.short())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_separate_their_parts() {
        let a = Hasher::new("x").str("ab").str("c").short();
        let b = Hasher::new("x").str("a").str("bc").short();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_eq!(a, Hasher::new("x").str("ab").str("c").short());
    }

    #[test]
    fn the_runtime_is_written_once_and_entries_replace_atomically() {
        let dir = std::env::temp_dir().join(format!("ecsp-cache-test-{}", std::process::id()));
        let cache = Cache::at(&dir).unwrap();
        let rt = cache.runtime_dir().unwrap();
        assert!(rt.join("include/ecsp/kernel.h").is_file());
        assert_eq!(cache.runtime_dir().unwrap(), rt);
        let entry = cache.entry("sim", "x.bin").unwrap();
        cache.put(&entry, b"one").unwrap();
        cache.put(&entry, b"two").unwrap();
        assert_eq!(std::fs::read(&entry).unwrap(), b"two");
        assert!(file_hash(&entry).is_some() && file_hash(&dir.join("missing")).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
