//! Users' own processes on the cores: C kernels (`device/c/include/ecsp/kernel.h`)
//! read from their files, and Rust kinds a host program registers.
//!
//! - [`KernelFile`]: a C file read and its declarations parsed ([`decl`]);
//!   [`UserKind`]s come from it, one per `ECSP_KERNEL`.
//! - [`RustKind`]: an `async fn` process of a Rust host program, with its
//!   ports and parameters declared in Rust (simulator only).
//! - A [`crate::network::Network`] takes both beside the built-in kinds;
//!   the planner lays out their rooms ([`ecsp_device::kernel`]).
//! - In the simulator ([`sim`]) a C kernel file is compiled by the host's C
//!   compiler into a loadable object ([`compile`]), cached by content
//!   ([`cache`]), and its kernels run on simulated cores as coroutines,
//!   through the same HAL as the built-in C kinds; on the chip each core's
//!   image carries the kernels that core runs.
//!
//! # Examples
//! ```
//! use ecsp_host::kernels::KernelFile;
//! let file = KernelFile::from_source(
//!     "double.c",
//!     "#include <ecsp/kernel.h>\n\
//!      ECSP_KERNEL(double_it, \"doubles every value\", IN(x, i32), OUT(y, i32)) {\n\
//!          int32_t v;\n\
//!          while (ecsp_read(x, &v)) { v *= 2; ecsp_write(y, &v); }\n\
//!      }\n",
//! ).unwrap();
//! assert_eq!(file.kernels[0].name, "double_it");
//! ```

pub mod cache;
pub mod check;
pub mod compile;
pub mod decl;
pub mod image;
pub mod sim;
mod source;
mod trap;

use decl::{DeclError, Item, KernelDecl, ParamDecl, ParamType, ParamValue, Port};
use ecsp_device::message::MsgType;
use ecsp_device::process::{Proc, ProcessResult};
use std::alloc::Layout;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a kernel cannot be read, built or loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KernelError {
    /// The kernel file cannot be read.
    #[error("kernel file {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        error: String,
    },
    /// A declaration is wrong.
    #[error(transparent)]
    Decl(#[from] DeclError),
    /// A kernel file declares no kernel.
    #[error("kernel file {}: no ECSP_KERNEL(name, \"summary\", items...) in it: declare a kernel (see ecsp/kernel.h)", path.display())]
    NoKernels {
        /// The file.
        path: PathBuf,
    },
    /// No compiler for what must be compiled.
    #[error("no C compiler for {what}: tried {tried}: {why}; {fix}")]
    NoCompiler {
        /// What it was needed for.
        what: String,
        /// What was tried.
        tried: String,
        /// Why it did not do.
        why: String,
        /// How to fix it.
        fix: String,
    },
    /// The compiler refused a kernel.
    #[error("kernel file {} did not compile ({compiler}):\n{messages}", path.display())]
    Compile {
        /// The file.
        path: PathBuf,
        /// The compiler.
        compiler: String,
        /// What the compiler said (with file and line).
        messages: String,
    },
    /// A compiled kernel could not be loaded.
    #[error("kernel file {}: its compiled object {} could not be loaded: {error}", path.display(), object.display())]
    Load {
        /// The file.
        path: PathBuf,
        /// The object.
        object: PathBuf,
        /// What the loader said.
        error: String,
    },
    /// A Rust kind in a network for the chip, which runs C only.
    #[error("kind `{kind}` is a Rust kind, which runs on the simulator only: on the chip every process is C; write it as a C kernel (ecsp/kernel.h)")]
    NotForTheChip {
        /// The kind.
        kind: String,
    },
    /// A kernel declares less stack than the Epiphany compiler says it needs.
    #[error("kernel `{kernel}` ({origin}) needs {needed} bytes of stack on the Epiphany (its deepest calls, its interrupts and its context switch) and declares {declared}: declare STACK({needed}) or more")]
    StackTooSmall {
        /// The kernel.
        kernel: String,
        /// Where it is declared.
        origin: String,
        /// Bytes it needs.
        needed: u32,
        /// Bytes it declares.
        declared: u32,
    },
    /// The cache cannot be used.
    #[error("ecsp's cache {}: {error}", dir.display())]
    Cache {
        /// The directory or file.
        dir: PathBuf,
        /// What went wrong and how to fix it.
        error: String,
    },
}

/// A C kernel file, read and its declarations parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelFile {
    /// The file (as given; it names the file in messages).
    pub path: PathBuf,
    /// Its text, as read.
    pub source: String,
    /// Its kernels, in the order declared.
    pub kernels: Vec<KernelDecl>,
}

impl KernelFile {
    /// Reads the kernel file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Arc<KernelFile>, KernelError> {
        let path = path.as_ref();
        let source = std::fs::read_to_string(path).map_err(|e| KernelError::Read {
            path: path.to_path_buf(),
            error: e.to_string(),
        })?;
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        KernelFile::from_source(path, source)
    }

    /// A kernel file of the given text, as if read from `path` (which names
    /// it in messages; its directory is where its own `#include "..."`s are
    /// looked for).
    pub fn from_source(path: impl Into<PathBuf>, source: impl Into<String>) -> Result<Arc<KernelFile>, KernelError> {
        let path = path.into();
        let source = source.into();
        let kernels = decl::parse(&path, &source)?;
        if kernels.is_empty() {
            return Err(KernelError::NoKernels { path });
        }
        Ok(Arc::new(KernelFile { path, source, kernels }))
    }
}

/// How a Rust kind spawns its process into a room.
type RustSpawn = dyn Fn(
        Proc<crate::sim::mesh::SimMesh>,
        *mut u8,
        usize,
    ) -> Result<ecsp_device::process::Spawned, ecsp_device::process::SpawnError>
    + Send
    + Sync;

/// A process kind written in Rust by a host program: an `async fn` over a
/// simulated core, with its ports and parameters declared, run on simulated
/// cores with its real state size (the future's). The chip runs C only:
/// `--backend esdk` refuses a network that uses one.
///
/// # Examples
/// ```
/// use ecsp_host::kernels::RustKind;
/// use ecsp_device::message::Dtype;
/// use ecsp_device::process::{Outcome, ProcessError};
/// let triple = RustKind::new("triple", "outputs three times its input")
///     .input("x", Dtype::I32)
///     .output("y", Dtype::I32)
///     .body(|p| async move {
///         let (mut rx, mut tx) = (p.input::<i32>(0)?, p.output::<i32>(0)?);
///         let mut n = 0;
///         while let Ok(v) = rx.recv().await {
///             if tx.send(3 * v).await.is_err() { break; }
///             n += 1;
///         }
///         tx.close();
///         Ok::<_, ProcessError>(Outcome { value: n, ..Outcome::default() })
///     });
/// assert!(triple.layout().size() > 0);
/// ```
#[derive(Clone)]
pub struct RustKind {
    decl: KernelDecl,
    layout: Layout,
    spawn: Option<Arc<RustSpawn>>,
}

impl std::fmt::Debug for RustKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RustKind")
            .field("decl", &self.decl)
            .field("layout", &self.layout)
            .finish()
    }
}

impl RustKind {
    /// A kind named `name` (summary for `ecsp kinds`), with no ports yet.
    pub fn new(name: &str, summary: &str) -> RustKind {
        RustKind {
            decl: KernelDecl {
                name: name.to_string(),
                summary: summary.to_string(),
                line: 0,
                items: Vec::new(),
            },
            layout: Layout::new::<()>(),
            spawn: None,
        }
    }

    /// Adds a read end (`p.input(i)` for the i-th one).
    pub fn input(mut self, name: &str, msg: impl Into<MsgType>) -> RustKind {
        self.decl.items.push(Item::In(Port {
            name: name.to_string(),
            msg: msg.into(),
        }));
        self
    }

    /// Adds a write end (`p.output(i)`).
    pub fn output(mut self, name: &str, msg: impl Into<MsgType>) -> RustKind {
        self.decl.items.push(Item::Out(Port {
            name: name.to_string(),
            msg: msg.into(),
        }));
        self
    }

    /// Adds a parameter (`p.param(i)` reads the i-th as the kernel's
    /// encoding: an integer, or an `f32`'s or `f64`'s bits). At most four.
    pub fn param(mut self, name: &str, ty: ParamType, default: Option<ParamValue>) -> RustKind {
        self.decl.items.push(Item::Param(ParamDecl {
            name: name.to_string(),
            ty,
            default,
        }));
        self
    }

    /// Marks it as running until stopped: a run does not wait for it.
    pub fn forever(mut self) -> RustKind {
        self.decl.items.push(Item::Forever);
        self
    }

    /// Its body: the `async` process, given its [`Proc`].
    pub fn body<F, B>(mut self, body: B) -> RustKind
    where
        B: Fn(Proc<crate::sim::mesh::SimMesh>) -> F + Send + Sync + 'static,
        F: Future<Output = ProcessResult> + 'static,
    {
        self.layout = Layout::new::<F>();
        self.spawn = Some(Arc::new(move |proc, dst, room| {
            // SAFETY: the executor hands the room it planned for this
            // process: valid for `room` bytes, never moved while it lives.
            unsafe { sim::place_future(dst, room, body(proc)) }
        }));
        self
    }

    /// Its declaration.
    pub fn decl(&self) -> &KernelDecl {
        &self.decl
    }

    /// Size and alignment of its state (its future).
    pub fn layout(&self) -> Layout {
        self.layout
    }
}

/// What a user's kind is made of.
#[derive(Debug, Clone)]
pub enum KindBody {
    /// A kernel of a C file.
    C(Arc<KernelFile>),
    /// A Rust kind of the host program.
    Rust(RustKind),
}

/// A user's kind, as a network knows it.
#[derive(Debug, Clone)]
pub struct UserKind {
    /// Its declaration.
    pub decl: KernelDecl,
    /// Its code.
    pub body: KindBody,
}

impl UserKind {
    /// The kinds of a kernel file, one per kernel.
    pub fn of_file(file: &Arc<KernelFile>) -> Vec<UserKind> {
        file.kernels
            .iter()
            .map(|k| UserKind {
                decl: k.clone(),
                body: KindBody::C(file.clone()),
            })
            .collect()
    }

    /// The kind of a Rust kind.
    pub fn of_rust(kind: RustKind) -> UserKind {
        UserKind {
            decl: kind.decl.clone(),
            body: KindBody::Rust(kind),
        }
    }

    /// Where it comes from, for messages and `ecsp kinds`: its file and line, or "Rust".
    pub fn origin(&self) -> String {
        match &self.body {
            KindBody::C(file) => format!("{}:{}", file.path.display(), self.decl.line),
            KindBody::Rust(_) => "a Rust kind of the host program".to_string(),
        }
    }

    /// True for a C kernel.
    pub fn is_c(&self) -> bool {
        matches!(self.body, KindBody::C(_))
    }
}

/// The room a process of a user's kind needs in its core's task arena.
#[derive(Debug, Clone)]
pub enum Room {
    /// A C kernel's room: its block, items, parameters, port states and
    /// stack ([`ecsp_device::kernel::RoomLayout`]); the host writes its head.
    Kernel(Box<ecsp_device::kernel::RoomLayout>),
    /// A Rust kind's state: its future.
    Rust(Layout),
}

impl Room {
    /// Bytes of the room, a multiple of 8.
    pub fn size(&self) -> u32 {
        match self {
            Room::Kernel(r) => r.size,
            Room::Rust(l) => (l.size() as u32).div_ceil(8) * 8,
        }
    }

    /// Alignment of the room's start.
    pub fn align(&self) -> u32 {
        match self {
            Room::Kernel(_) => 8,
            Room::Rust(l) => (l.align() as u32).max(8),
        }
    }
}

impl UserKind {
    /// The room of a process of this kind with these parameter values (in
    /// declaration order, as the kernel reads them).
    pub fn room(&self, params: &[u64]) -> Room {
        use ecsp_device::kernel::{RoomItem, RoomLayout};
        match &self.body {
            KindBody::Rust(r) => Room::Rust(r.layout),
            KindBody::C(_) => {
                let (mut ins, mut outs, mut bars, mut ps) = (0u8, 0u8, 0u8, 0usize);
                let items: Vec<RoomItem> = self
                    .decl
                    .items
                    .iter()
                    .map(|item| match item {
                        Item::In(p) => {
                            ins += 1;
                            RoomItem::In {
                                index: ins - 1,
                                msg_size: p.msg.size() as u16,
                            }
                        }
                        Item::Out(p) => {
                            outs += 1;
                            RoomItem::Out {
                                index: outs - 1,
                                msg_size: p.msg.size() as u16,
                            }
                        }
                        Item::Barrier(_) => {
                            bars += 1;
                            RoomItem::Barrier { index: bars - 1 }
                        }
                        Item::Param(_) => {
                            ps += 1;
                            RoomItem::Param {
                                bits: params.get(ps - 1).copied().unwrap_or(0),
                            }
                        }
                        Item::Stack(_) | Item::Forever => RoomItem::None,
                    })
                    .collect();
                // The declaration was checked (at most MAX_KERNEL_ITEMS items,
                // a stack of 8..=16384 bytes rounded to 8).
                Room::Kernel(Box::new(
                    RoomLayout::new(&items, self.decl.stack()).expect("a checked declaration lays out"),
                ))
            }
        }
    }
}
