//! Why the eSDK backend could not open, load or reach the chip.

use std::fmt;
use std::path::PathBuf;

/// Why the eSDK backend failed. Every e-hal failure names the call; e-hal
/// itself prints its reason on stderr (`warnx`), so the messages point there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EsdkError {
    /// This build of ecsp has no eSDK backend.
    #[error(
        "this ecsp was built without the esdk backend: rebuild it with `cargo build --release -p ecsp-host --features esdk` (on the Parallella, with the Epiphany SDK installed)"
    )]
    NotCompiled,
    /// Neither `--device-image` nor a device image built with ecsp.
    #[error(
        "no device image to load: pass --device-image PATH (an ecsp-device.elf), or rebuild with an Epiphany C compiler at hand (ECSP_EPIPHANY_CC, or e-gcc on PATH) so that ecsp_device::c_runtime::DEVICE_ELF names the one it built"
    )]
    NoDeviceImage,
    /// The device image is missing or is not what the eSDK's loader takes.
    #[error("device image {}: {problem}", path.display())]
    BadImage {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: ImageProblem,
    },
    /// A built-in board, and no HDF file to hand e-hal.
    #[error("board `{board}`: no platform description (HDF) for e_init: {looked}; set EPIPHANY_HDF, or pass the board's .hdf file as --board")]
    NoHdf {
        /// The board.
        board: String,
        /// Where it was looked for.
        looked: String,
    },
    /// Another `EsdkChip` is open in this process.
    #[error(
        "an esdk chip is already open in this process: e-hal drives one platform at a time, drop the other chip first"
    )]
    AlreadyOpen,
    /// `e_init` refused the platform description.
    #[error(
        "e_init failed with {}: e-hal could not read that platform description or reach the chip (its reason is printed above; check /dev/epiphany/mesh0 and its permissions)",
        hdf.display()
    )]
    Init {
        /// The HDF file.
        hdf: PathBuf,
    },
    /// The board's cores are not all on the platform e-hal found.
    #[error(
        "board `{board}` has {rows}x{cols} cores from mesh row {row}, col {col}, but the platform in {} (e-hal) has {platform_rows}x{platform_cols} from row {platform_row}, col {platform_col}: the work group does not fit; use the board that matches the platform",
        hdf.display()
    )]
    Geometry {
        /// The board's name.
        board: String,
        /// Its first core's mesh row.
        row: u32,
        /// Its first core's mesh column.
        col: u32,
        /// Its rows of cores.
        rows: u32,
        /// Its columns of cores.
        cols: u32,
        /// The HDF file.
        hdf: PathBuf,
        /// The platform's first mesh row.
        platform_row: u32,
        /// The platform's first mesh column.
        platform_col: u32,
        /// The platform's rows of cores.
        platform_rows: u32,
        /// The platform's columns of cores.
        platform_cols: u32,
    },
    /// The board's DRAM window is not where e-hal maps it.
    #[error(
        "board `{board}` puts its DRAM at Epiphany address {board_base:#010x}, but e-hal maps it at {platform_base:#010x}: the host's channels would not be where the cores write; use the board that matches the platform"
    )]
    DramMismatch {
        /// The board's name.
        board: String,
        /// `EMEM_EPI_BASE` of the board.
        board_base: u32,
        /// What `e_alloc` reported.
        platform_base: u32,
    },
    /// An e-hal call failed.
    #[error("{call} failed{}{detail} (e-hal prints its reason on stderr)", if detail.is_empty() { "" } else { ": " })]
    Call {
        /// The e-hal function.
        call: &'static str,
        /// What it was asked to do, or what it returned.
        detail: String,
    },
    /// The loader refused the device image.
    #[error("e_load_group failed to load {} onto {rows}x{cols} cores (e-loader prints its reason on stderr)", image.display())]
    Load {
        /// The device image.
        image: PathBuf,
        /// Rows of the work group.
        rows: u32,
        /// Columns of the work group.
        cols: u32,
    },
}

/// What is wrong with a device image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageProblem {
    /// The file cannot be read.
    Unreadable(String),
    /// Shorter than an ELF32 header.
    TooShort {
        /// Its length in bytes.
        len: usize,
    },
    /// No ELF magic.
    NotElf,
    /// An ELF64 (or unknown class) file.
    NotElf32 {
        /// `e_ident[EI_CLASS]`.
        class: u8,
    },
    /// Big-endian (or unknown data encoding).
    NotLittleEndian {
        /// `e_ident[EI_DATA]`.
        data: u8,
    },
    /// Built for another machine.
    WrongMachine {
        /// `e_machine`.
        machine: u16,
    },
    /// Not an executable (a relocatable object, a shared object...).
    NotExecutable {
        /// `e_type`.
        kind: u16,
    },
    /// No `.ecsp_image` section saying which kinds and dtypes it carries:
    /// not a device image of this ecsp.
    NoCarries,
    /// An image of another version of ecsp: it reads another boot table.
    Version {
        /// The boot table version it reads (`None`: 3 or older).
        found: Option<u32>,
    },
}

impl fmt::Display for ImageProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageProblem::Unreadable(e) => write!(f, "cannot be read: {e}"),
            ImageProblem::Version { found } => write!(
                f,
                "was built by another version of ecsp: it reads boot tables of version {}, this ecsp writes version {}; rebuild it, or leave --device-image out and let ecsp build each core's image",
                found.map_or("3 or older".to_string(), |v| v.to_string()),
                ecsp_device::boot::BOOT_VERSION
            ),
            ImageProblem::TooShort { len } => write!(f, "is {len} bytes, shorter than an ELF32 header"),
            ImageProblem::NotElf => f.write_str("is not an ELF file"),
            ImageProblem::NotElf32 { class } => write!(
                f,
                "is not ELF32 (class {class}); the Epiphany's loader takes 32-bit executables"
            ),
            ImageProblem::NotLittleEndian { data } => {
                write!(f, "is not little-endian (data encoding {data})")
            }
            ImageProblem::WrongMachine { machine } => write!(
                f,
                "is built for machine {machine:#06x}, not the Epiphany ({:#06x}): build it with epiphany-elf-gcc or e-gcc",
                super::image::EM_ADAPTEVA_EPIPHANY
            ),
            ImageProblem::NotExecutable { kind } => write!(
                f,
                "is an ELF file of type {kind}, not an executable (ET_EXEC): link it into ecsp-device.elf"
            ),
            ImageProblem::NoCarries => f.write_str(
                "has no .ecsp_image section naming the kinds it carries: it is not a device image of this ecsp \
                 (build ecsp-device with an Epiphany compiler, see device/c/README.md)",
            ),
        }
    }
}

impl EsdkError {
    /// The error of an e-hal call `call` that failed doing `detail`.
    #[cfg_attr(not(feature = "esdk"), allow(dead_code))]
    pub(crate) fn call(call: &'static str, detail: impl Into<String>) -> EsdkError {
        EsdkError::Call {
            call,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_thing_and_the_fix() {
        assert!(EsdkError::NotCompiled.to_string().contains("--features esdk"));
        let e = EsdkError::NoDeviceImage.to_string();
        assert!(e.contains("--device-image") && e.contains("DEVICE_ELF"), "{e}");
        let e = EsdkError::BadImage {
            path: "/x/a.elf".into(),
            problem: ImageProblem::WrongMachine { machine: 0x28 },
        }
        .to_string();
        assert!(
            e.contains("/x/a.elf") && e.contains("0x0028") && e.contains("0x1223"),
            "{e}"
        );
        let e = EsdkError::Init { hdf: "/b/p.hdf".into() }.to_string();
        assert!(e.starts_with("e_init failed") && e.contains("/b/p.hdf"), "{e}");
        let e = EsdkError::call("e_halt", "core 0x808").to_string();
        assert_eq!(e, "e_halt failed: core 0x808 (e-hal prints its reason on stderr)");
        assert_eq!(
            EsdkError::call("e_finalize", "").to_string(),
            "e_finalize failed (e-hal prints its reason on stderr)"
        );
        let e = EsdkError::Load {
            image: "/i.elf".into(),
            rows: 4,
            cols: 4,
        }
        .to_string();
        assert!(e.starts_with("e_load_group failed") && e.contains("/i.elf"), "{e}");
    }
}
