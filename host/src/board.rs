//! Board descriptions: which Epiphany chip a board carries, where its cores
//! sit in the eMesh and where the shared DRAM is.
//!
//! # The HDF format
//! A board is described by a text file in the eSDK's "simple" HDF format
//! (the one e-hal's `ee_parse_simple_hdf` reads; the XML variant is not
//! supported). Every non-blank line is one `KEY VALUE` pair separated by
//! whitespace; `//` starts a comment that runs to the end of the line. The
//! files shipped in `boards/` are the place to start from:
//!
//! ```text
//! // Parallella-16
//! PLATFORM_VERSION    PARALLELLA1601
//! NUM_CHIPS           1
//! CHIP                E16G301
//! CHIP_ROW            32
//! CHIP_COL            8
//! NUM_EXT_MEMS        1
//! EMEM                ext-DRAM
//! EMEM_BASE_ADDRESS   0x8e000000
//! EMEM_EPI_BASE       0x8e000000
//! EMEM_SIZE           0x02000000
//! EMEM_TYPE           RDWR
//! ```
//!
//! | key | meaning | required | value |
//! |---|---|---|---|
//! | `PLATFORM_VERSION` | free-form board version | no (empty) | text |
//! | `NUM_CHIPS` | chips on the board | no (1) | must be 1 |
//! | `CHIP` | chip model | yes | `E16G301` or `E64G401` |
//! | `CHIP_ROW`, `CHIP_COL` | mesh row and column of the chip's north-west core | yes | count |
//! | `NUM_EXT_MEMS` | external memories | no (1) | must be 1 |
//! | `EMEM` | name of the external memory | no (`ext-DRAM`) | text |
//! | `EMEM_BASE_ADDRESS` | DRAM base as the host sees it | yes | address |
//! | `EMEM_EPI_BASE` | DRAM base as the cores see it | yes | address |
//! | `EMEM_SIZE` | DRAM size in bytes | yes | address |
//! | `EMEM_TYPE` | access type | no (`RDWR`) | `RDWR`, `RD` or `WR` |
//! | `ESYS_REGS_BASE` | found in pre-2016 eSDK files | no | ignored |
//!
//! Numbers: a *count* is decimal (`32`) or hex with a `0x` prefix (`0x20`).
//! An *address* is hex, with or without the `0x` prefix (`0x8e000000` or
//! `8e000000`), because the eSDK reads these keys with `%x`: bare digits in
//! an address key are hex, never decimal. `_` may separate digits in
//! either. Keys, chip names and `EMEM_TYPE` are matched without regard to
//! case; each key may appear only once and unknown keys are an error (as in
//! the eSDK).
//!
//! # Where the geometry comes from
//! The HDF does not list the chip's size: as in the eSDK, the number of core
//! rows and columns follows from the `CHIP` name ([`ChipModel`]: E16G301 is
//! 4x4, E64G401 is 8x8). `CHIP_ROW`/`CHIP_COL` place the chip in the 64x64
//! eMesh; a core's id is `row * 64 + col` and its memory window is
//! `id << 20`. On both Parallella boards the chip starts at row 32, col 8
//! (core id 0x808).
//!
//! # Examples
//! ```
//! use ecsp_host::board::Board;
//! let board = Board::load("parallella-16")?;
//! assert_eq!(board.first_core_id(), 0x808);
//! assert_eq!(board.num_cores(), 16);
//! assert_eq!(board.dram.epiphany_base, 0x8e00_0000);
//! // A user's own file: Board::load("./my-board.hdf")
//! # Ok::<(), ecsp_host::board::BoardError>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// Names of the boards built into ecsp, in the order they are listed.
const BUILTIN_NAMES: &[&str] = &["parallella-16", "parallella-64"];

/// The text of a built-in board file, by canonical name.
fn builtin_text(name: &str) -> Option<&'static str> {
    match name {
        "parallella-16" => Some(include_str!("../../boards/parallella-16.hdf")),
        "parallella-64" => Some(include_str!("../../boards/parallella-64.hdf")),
        _ => None,
    }
}

/// Side of the eMesh: core rows and columns both run 0..64.
const MESH_SIZE: u32 = 64;

/// Every key a board file may contain.
const KEYS: &[&str] = &[
    "PLATFORM_VERSION",
    "NUM_CHIPS",
    "CHIP",
    "CHIP_ROW",
    "CHIP_COL",
    "NUM_EXT_MEMS",
    "EMEM",
    "EMEM_BASE_ADDRESS",
    "EMEM_EPI_BASE",
    "EMEM_SIZE",
    "EMEM_TYPE",
    "ESYS_REGS_BASE",
];

/// Keys whose values are addresses or sizes, read as hex like the eSDK does.
const HEX_KEYS: &[&str] = &["EMEM_BASE_ADDRESS", "EMEM_EPI_BASE", "EMEM_SIZE", "ESYS_REGS_BASE"];

/// The values `EMEM_TYPE` may take.
const EMEM_TYPES: &[&str] = &["RDWR", "RD", "WR"];

/// An Epiphany chip model. Its name in the HDF `CHIP` key fixes its geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChipModel {
    /// Epiphany-III, 16 cores in 4 rows x 4 columns (Parallella-16).
    E16G301,
    /// Epiphany-IV, 64 cores in 8 rows x 8 columns (Parallella-64).
    E64G401,
}

impl ChipModel {
    /// Every chip model ecsp knows, in the order error messages list them.
    pub const ALL: [ChipModel; 2] = [ChipModel::E16G301, ChipModel::E64G401];

    /// The model called `name` (as in the HDF `CHIP` key, any case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|chip| chip.name().eq_ignore_ascii_case(name))
    }

    /// The model's name as written in HDF files, e.g. `"E16G301"`.
    pub fn name(&self) -> &'static str {
        match self {
            ChipModel::E16G301 => "E16G301",
            ChipModel::E64G401 => "E64G401",
        }
    }

    /// Rows of cores on the chip.
    pub fn rows(&self) -> u32 {
        match self {
            ChipModel::E16G301 => 4,
            ChipModel::E64G401 => 8,
        }
    }

    /// Columns of cores on the chip.
    pub fn cols(&self) -> u32 {
        match self {
            ChipModel::E16G301 => 4,
            ChipModel::E64G401 => 8,
        }
    }
}

impl fmt::Display for ChipModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a [`Board`] description came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardSource {
    /// One of the boards built into ecsp (see [`Board::builtin_names`]).
    Builtin,
    /// An HDF file read from this path.
    File(PathBuf),
}

impl fmt::Display for BoardSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoardSource::Builtin => f.write_str("builtin"),
            BoardSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// An external memory (the shared DRAM) as the board file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtMem {
    /// Its name (`EMEM`), e.g. `"ext-DRAM"`.
    pub name: String,
    /// Base address as the host sees it (`EMEM_BASE_ADDRESS`).
    pub host_base: u32,
    /// Base address as the Epiphany cores see it (`EMEM_EPI_BASE`).
    pub epiphany_base: u32,
    /// Size in bytes (`EMEM_SIZE`).
    pub size: u32,
    /// Access type (`EMEM_TYPE`): `"RDWR"`, `"RD"` or `"WR"`.
    pub kind: String,
}

/// One board: a single Epiphany chip placed in the eMesh, plus shared DRAM.
///
/// Boards made by [`Board::parse`] and friends are checked: the chip fits in
/// the 64x64 mesh and the DRAM window neither wraps past 4 GiB nor overlaps
/// the chip's cores. The fields are public for reading; a board built by
/// hand is not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    /// The board's name: the built-in name, or the file's stem for a file.
    pub name: String,
    /// Where the description came from.
    pub source: BoardSource,
    /// `PLATFORM_VERSION`, e.g. `"PARALLELLA1601"`; empty if the file has none.
    pub platform_version: String,
    /// The chip model (`CHIP`).
    pub chip: ChipModel,
    /// Mesh row of the chip's north-west core (`CHIP_ROW`).
    pub first_row: u32,
    /// Mesh column of the chip's north-west core (`CHIP_COL`).
    pub first_col: u32,
    /// Rows of cores, from the chip model.
    pub rows: u32,
    /// Columns of cores, from the chip model.
    pub cols: u32,
    /// The shared DRAM.
    pub dram: ExtMem,
}

/// Why a board could not be found, read or accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BoardError {
    /// The name is neither a built-in board nor an existing file.
    #[error(
        "unknown board `{name}`: the built-in boards are {}; a path to an .hdf board file also works (e.g. ./my-board.hdf)",
        .known.join(", ")
    )]
    UnknownBoard {
        /// The name asked for.
        name: String,
        /// The built-in boards.
        known: Vec<String>,
    },

    /// The board file could not be read.
    #[error("cannot read board file {}: {source}; check the path (a built-in board name such as parallella-16 also works)", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },

    /// A key the format does not have.
    #[error(
        "{file}:{line}: unknown key `{key}`; fix its spelling or delete the line (the keys are {})",
        KEYS.join(", ")
    )]
    UnknownKey {
        /// The board file (or built-in board) being read.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The key as written.
        key: String,
    },

    /// A numeric key whose value is not a number that fits in 32 bits.
    #[error("{file}:{line}: {key} needs {}, not `{value}`", number_hint(.key))]
    BadNumber {
        /// The board file (or built-in board) being read.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The key.
        key: String,
        /// The value as written.
        value: String,
    },

    /// A required key is absent.
    #[error("{file}: missing key {key}; add a line such as `{}`", missing_example(.key))]
    MissingKey {
        /// The board file (or built-in board) being read.
        file: String,
        /// The key that is needed.
        key: String,
    },

    /// `CHIP` names a chip model ecsp does not know.
    #[error(
        "{file}:{line}: unknown chip `{value}` in CHIP; use one of {} (the chip's size follows from its name)",
        .known.join(", ")
    )]
    UnknownChip {
        /// The board file (or built-in board) being read.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The chip name as written.
        value: String,
        /// The chip models ecsp knows.
        known: Vec<String>,
    },

    /// A valid HDF setting that ecsp does not support (several chips, no or
    /// several external memories).
    #[error("{file}:{line}: unsupported: {what}")]
    Unsupported {
        /// The board file (or built-in board) being read.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is unsupported and what to write instead.
        what: String,
    },

    /// A line that is not one key followed by one value.
    #[error(
        "{file}:{line}: expected `KEY VALUE`, found `{text}`; write one key and its value on the line, separated by spaces (`//` starts a comment)"
    )]
    BadLine {
        /// The board file (or built-in board) being read.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The line, without its comment.
        text: String,
    },

    /// A key that appears twice.
    #[error("{file}:{line}: {key} is set again (first on line {first_line}); keep only one of the two lines")]
    DuplicateKey {
        /// The board file (or built-in board) being read.
        file: String,
        /// 1-based line number of the second occurrence.
        line: usize,
        /// 1-based line number of the first occurrence.
        first_line: usize,
        /// The key.
        key: String,
    },

    /// A value that parses but makes no sense (zero size, a window that
    /// wraps past 4 GiB, DRAM in the local-memory alias, unknown
    /// `EMEM_TYPE`).
    #[error("{file}:{line}: bad {key} `{value}`: {reason}")]
    BadValue {
        /// The board file (or built-in board) being read.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The key.
        key: String,
        /// The value as written.
        value: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// `CHIP_ROW`/`CHIP_COL` put part of the chip outside the 64x64 mesh.
    #[error(
        "{file}:{line}: the {chip} chip ({rows}x{cols} cores) at CHIP_ROW {first_row}, CHIP_COL {first_col} does not fit the 64x64 eMesh; choose CHIP_ROW <= {} and CHIP_COL <= {}",
        64 - .rows, 64 - .cols
    )]
    ChipOutsideMesh {
        /// The board file (or built-in board) being read.
        file: String,
        /// 1-based line number of the offending `CHIP_ROW` or `CHIP_COL`.
        line: usize,
        /// The chip model.
        chip: ChipModel,
        /// `CHIP_ROW`.
        first_row: u32,
        /// `CHIP_COL`.
        first_col: u32,
        /// Rows of the chip.
        rows: u32,
        /// Columns of the chip.
        cols: u32,
    },

    /// The DRAM window as the cores see it covers a core's address range.
    #[error(
        "{file}:{line}: EMEM_EPI_BASE {epiphany_base:#010x} (EMEM_SIZE {size:#x}) overlaps core {core_id:#05x} (row {}, col {}), whose addresses are {core_id:#05x}00000-{core_id:#05x}fffff; move EMEM_EPI_BASE so that the window holds no core of the chip (Parallella uses 0x8e000000)",
        .core_id >> 6, .core_id & 63
    )]
    DramOverlapsCores {
        /// The board file (or built-in board) being read.
        file: String,
        /// 1-based line number of `EMEM_EPI_BASE`.
        line: usize,
        /// `EMEM_EPI_BASE`.
        epiphany_base: u32,
        /// `EMEM_SIZE`.
        size: u32,
        /// The first core of the chip inside the window.
        core_id: u16,
    },
}

/// How to write a number for `key`, for [`BoardError::BadNumber`].
fn number_hint(key: &str) -> &'static str {
    if HEX_KEYS.contains(&key) {
        "a 32-bit hex number such as 0x8e000000 (the 0x is optional: digits are read as hex, as the eSDK does)"
    } else {
        "a decimal number such as 32 (or hex with a 0x prefix, such as 0x20)"
    }
}

/// An example line for a missing key, for [`BoardError::MissingKey`].
fn missing_example(key: &str) -> &'static str {
    match key {
        "CHIP" => "CHIP E16G301",
        "CHIP_ROW" => "CHIP_ROW 32",
        "CHIP_COL" => "CHIP_COL 8",
        "EMEM_BASE_ADDRESS" => "EMEM_BASE_ADDRESS 0x8e000000",
        "EMEM_EPI_BASE" => "EMEM_EPI_BASE 0x8e000000",
        "EMEM_SIZE" => "EMEM_SIZE 0x02000000",
        _ => "KEY VALUE (see boards/parallella-16.hdf)",
    }
}

/// Digits in `radix`, with `_` allowed between digits; `None` unless the
/// whole string is such a number fitting in 32 bits.
fn parse_digits(s: &str, radix: u32) -> Option<u32> {
    if s.is_empty() || s.starts_with('_') || s.ends_with('_') {
        return None;
    }
    if !s.chars().all(|c| c == '_' || c.is_digit(radix)) {
        return None;
    }
    let digits: String = s.chars().filter(|&c| c != '_').collect();
    u32::from_str_radix(&digits, radix).ok()
}

/// `s` without a `0x`/`0X` prefix, if it has one.
fn strip_hex_prefix(s: &str) -> Option<&str> {
    s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))
}

/// A count: decimal, or hex with a `0x` prefix.
fn parse_count(s: &str) -> Option<u32> {
    match strip_hex_prefix(s) {
        Some(hex) => parse_digits(hex, 16),
        None => parse_digits(s, 10),
    }
}

/// An address or size: hex, the `0x` prefix optional.
fn parse_hex(s: &str) -> Option<u32> {
    parse_digits(strip_hex_prefix(s).unwrap_or(s), 16)
}

/// The key/value pairs of one file, each with its line, indexed like [`KEYS`].
struct Entries<'a> {
    /// The file name used in errors.
    file: &'a str,
    /// `(line, value)` per key in [`KEYS`].
    values: Vec<Option<(usize, &'a str)>>,
}

impl<'a> Entries<'a> {
    /// Splits `text` into entries, rejecting bad lines, unknown and repeated keys.
    fn read(file: &'a str, text: &'a str) -> Result<Self, BoardError> {
        let mut values: Vec<Option<(usize, &'a str)>> = vec![None; KEYS.len()];
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = match raw.find("//") {
                Some(at) => &raw[..at],
                None => raw,
            }
            .trim();
            if content.is_empty() {
                continue;
            }
            let mut words = content.split_whitespace();
            let (Some(key), Some(value), None) = (words.next(), words.next(), words.next()) else {
                return Err(BoardError::BadLine {
                    file: file.to_owned(),
                    line,
                    text: content.to_owned(),
                });
            };
            let Some(slot) = KEYS.iter().position(|k| k.eq_ignore_ascii_case(key)) else {
                return Err(BoardError::UnknownKey {
                    file: file.to_owned(),
                    line,
                    key: key.to_owned(),
                });
            };
            if let Some((first_line, _)) = values[slot] {
                return Err(BoardError::DuplicateKey {
                    file: file.to_owned(),
                    line,
                    first_line,
                    key: KEYS[slot].to_owned(),
                });
            }
            values[slot] = Some((line, value));
        }
        Ok(Entries { file, values })
    }

    /// `(line, value)` of `key`, if present.
    fn get(&self, key: &str) -> Option<(usize, &'a str)> {
        let slot = KEYS.iter().position(|k| *k == key)?;
        self.values[slot]
    }

    /// `(line, value)` of a key that must be present.
    fn require(&self, key: &str) -> Result<(usize, &'a str), BoardError> {
        self.get(key).ok_or_else(|| BoardError::MissingKey {
            file: self.file.to_owned(),
            key: key.to_owned(),
        })
    }

    /// A number, read as hex or as a count depending on the key.
    fn number(&self, key: &str, line: usize, value: &str) -> Result<u32, BoardError> {
        let parsed = if HEX_KEYS.contains(&key) {
            parse_hex(value)
        } else {
            parse_count(value)
        };
        parsed.ok_or_else(|| BoardError::BadNumber {
            file: self.file.to_owned(),
            line,
            key: key.to_owned(),
            value: value.to_owned(),
        })
    }

    /// `(line, number)` of a key that must be present.
    fn require_number(&self, key: &str) -> Result<(usize, u32), BoardError> {
        let (line, value) = self.require(key)?;
        Ok((line, self.number(key, line, value)?))
    }

    /// A count that defaults to 1 and must be 1.
    fn require_one(&self, key: &str, what: &str) -> Result<(), BoardError> {
        let Some((line, value)) = self.get(key) else {
            return Ok(());
        };
        let n = self.number(key, line, value)?;
        if n == 1 {
            return Ok(());
        }
        Err(BoardError::Unsupported {
            file: self.file.to_owned(),
            line,
            what: format!("{key} {value}: ecsp supports boards with exactly one {what}; set {key} 1"),
        })
    }

    /// A [`BoardError::BadValue`] for `key`, which must be present.
    fn bad_value(&self, key: &str, reason: String) -> BoardError {
        let (line, value) = self.get(key).unwrap_or((0, ""));
        BoardError::BadValue {
            file: self.file.to_owned(),
            line,
            key: key.to_owned(),
            value: value.to_owned(),
            reason,
        }
    }
}

impl Board {
    /// Names of the built-in boards: `["parallella-16", "parallella-64"]`.
    pub fn builtin_names() -> &'static [&'static str] {
        BUILTIN_NAMES
    }

    /// The built-in board called `name` (any case).
    ///
    /// # Errors
    /// [`BoardError::UnknownBoard`] if there is no such built-in board.
    pub fn builtin(name: &str) -> Result<Board, BoardError> {
        let canonical = BUILTIN_NAMES
            .iter()
            .find(|known| known.eq_ignore_ascii_case(name))
            .ok_or_else(|| unknown_board(name))?;
        let text = builtin_text(canonical).ok_or_else(|| unknown_board(name))?;
        Board::parse(canonical, BoardSource::Builtin, text)
    }

    /// Reads and parses the HDF file at `path`; the board is named after the
    /// file's stem (`boards/my-board.hdf` is `my-board`).
    ///
    /// # Errors
    /// [`BoardError::Io`] if the file cannot be read, else any parse error.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Board, BoardError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| BoardError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Board::parse(&name, BoardSource::File(path.to_path_buf()), &text)
    }

    /// A built-in board by name, or else a board file by path.
    ///
    /// `name_or_path` is taken as a path when it is not a built-in name and
    /// it contains a path separator, ends in `.hdf`, or names an existing
    /// file.
    ///
    /// # Errors
    /// [`BoardError::UnknownBoard`] for a name that is neither; otherwise
    /// those of [`Board::builtin`] and [`Board::from_file`].
    pub fn load(name_or_path: &str) -> Result<Board, BoardError> {
        if BUILTIN_NAMES
            .iter()
            .any(|known| known.eq_ignore_ascii_case(name_or_path))
        {
            return Board::builtin(name_or_path);
        }
        let looks_like_path = name_or_path.contains('/')
            || name_or_path.contains(std::path::MAIN_SEPARATOR)
            || name_or_path.to_ascii_lowercase().ends_with(".hdf")
            || Path::new(name_or_path).is_file();
        if looks_like_path {
            Board::from_file(name_or_path)
        } else {
            Err(unknown_board(name_or_path))
        }
    }

    /// Parses HDF `text` describing the board `name` that came from `source`.
    ///
    /// # Errors
    /// Any [`BoardError`] but `UnknownBoard` and `Io`, naming the line at
    /// fault.
    pub fn parse(name: &str, source: BoardSource, text: &str) -> Result<Board, BoardError> {
        let file = match &source {
            BoardSource::Builtin => format!("<built-in {name}>"),
            BoardSource::File(path) => path.display().to_string(),
        };
        let entries = Entries::read(&file, text)?;

        entries.require_one("NUM_CHIPS", "Epiphany chip")?;
        entries.require_one("NUM_EXT_MEMS", "external memory (the shared DRAM)")?;

        let (chip_line, chip_name) = entries.require("CHIP")?;
        let chip = ChipModel::from_name(chip_name).ok_or_else(|| BoardError::UnknownChip {
            file: file.clone(),
            line: chip_line,
            value: chip_name.to_owned(),
            known: ChipModel::ALL.iter().map(|c| c.name().to_owned()).collect(),
        })?;
        let (rows, cols) = (chip.rows(), chip.cols());
        let (row_line, first_row) = entries.require_number("CHIP_ROW")?;
        let (col_line, first_col) = entries.require_number("CHIP_COL")?;
        let outside_line = if first_row.checked_add(rows).is_none_or(|end| end > MESH_SIZE) {
            Some(row_line)
        } else if first_col.checked_add(cols).is_none_or(|end| end > MESH_SIZE) {
            Some(col_line)
        } else {
            None
        };
        if let Some(line) = outside_line {
            return Err(BoardError::ChipOutsideMesh {
                file,
                line,
                chip,
                first_row,
                first_col,
                rows,
                cols,
            });
        }

        let (_, host_base) = entries.require_number("EMEM_BASE_ADDRESS")?;
        let (epi_line, epiphany_base) = entries.require_number("EMEM_EPI_BASE")?;
        let (_, size) = entries.require_number("EMEM_SIZE")?;
        if size == 0 {
            return Err(entries.bad_value(
                "EMEM_SIZE",
                "the shared DRAM cannot be empty; give its size in bytes, e.g. 0x02000000 for 32 MiB".into(),
            ));
        }
        let end = |base: u32| u64::from(base) + u64::from(size);
        if end(host_base) > 1 << 32 {
            return Err(entries.bad_value(
                "EMEM_SIZE",
                format!(
                    "EMEM_BASE_ADDRESS {host_base:#010x} + EMEM_SIZE {size:#x} runs past the 4 GiB address space; lower one of them"
                ),
            ));
        }
        if end(epiphany_base) > 1 << 32 {
            return Err(entries.bad_value(
                "EMEM_SIZE",
                format!(
                    "EMEM_EPI_BASE {epiphany_base:#010x} + EMEM_SIZE {size:#x} runs past the 4 GiB address space; lower one of them"
                ),
            ));
        }
        // Core id of each 1 MiB slot the window touches.
        let first_slot = epiphany_base >> 20;
        let last_slot = ((end(epiphany_base) - 1) >> 20) as u32;
        if first_slot == 0 {
            return Err(entries.bad_value(
                "EMEM_EPI_BASE",
                "addresses below 0x00100000 are each core's own local memory, not DRAM; use an address such as 0x8e000000".into(),
            ));
        }
        let in_chip = |slot: u32| {
            let (row, col) = (slot >> 6, slot & 63);
            (first_row..first_row + rows).contains(&row) && (first_col..first_col + cols).contains(&col)
        };
        if let Some(slot) = (first_slot..=last_slot).find(|&slot| in_chip(slot)) {
            return Err(BoardError::DramOverlapsCores {
                file,
                line: epi_line,
                epiphany_base,
                size,
                // A slot number is at most 0xFFF.
                core_id: slot as u16,
            });
        }

        let kind = match entries.get("EMEM_TYPE") {
            None => "RDWR".to_owned(),
            Some((_, value)) => match EMEM_TYPES.iter().find(|t| t.eq_ignore_ascii_case(value)) {
                Some(t) => (*t).to_owned(),
                None => {
                    return Err(entries.bad_value(
                        "EMEM_TYPE",
                        "the access type must be RDWR, RD or WR (ecsp needs RDWR)".into(),
                    ))
                }
            },
        };
        let dram = ExtMem {
            name: entries.get("EMEM").map_or("ext-DRAM", |(_, value)| value).to_owned(),
            host_base,
            epiphany_base,
            size,
            kind,
        };
        Ok(Board {
            name: name.to_owned(),
            source,
            platform_version: entries
                .get("PLATFORM_VERSION")
                .map_or("", |(_, value)| value)
                .to_owned(),
            chip,
            first_row,
            first_col,
            rows,
            cols,
            dram,
        })
    }

    /// Number of cores on the board.
    pub fn num_cores(&self) -> u32 {
        self.rows * self.cols
    }

    /// Core id of the chip's north-west core: `first_row * 64 + first_col`
    /// (0x808 on Parallella).
    pub fn first_core_id(&self) -> u16 {
        (self.first_row * MESH_SIZE + self.first_col) as u16
    }

    /// Core id of the core at `row_in_chip`, `col_in_chip`, counted from the
    /// chip's north-west core.
    ///
    /// # Panics
    /// When the position is outside the chip.
    pub fn core_id(&self, row_in_chip: u32, col_in_chip: u32) -> u16 {
        assert!(
            row_in_chip < self.rows && col_in_chip < self.cols,
            "core ({row_in_chip}, {col_in_chip}) is outside the {}x{} chip of board {}",
            self.rows,
            self.cols,
            self.name
        );
        ((self.first_row + row_in_chip) * MESH_SIZE + self.first_col + col_in_chip) as u16
    }

    /// Whether `core_id` names one of the board's cores.
    pub fn contains_core_id(&self, core_id: u16) -> bool {
        let (row, col) = (u32::from(core_id) >> 6, u32::from(core_id) & 63);
        (self.first_row..self.first_row + self.rows).contains(&row)
            && (self.first_col..self.first_col + self.cols).contains(&col)
    }

    /// The board as JSON: `name`, `chip`, `platform_version`, `rows`,
    /// `cols`, `num_cores`, `first_row`, `first_col`, `first_core_id` (a
    /// number) and `first_core_hex` (`"0x808"`), `dram_base` (the cores'
    /// view, a number) and `dram_base_hex`, `dram_host_base` and
    /// `dram_host_base_hex`, `dram_size`, and `source` (`"builtin"` or the
    /// file's path).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "chip": self.chip.name(),
            "platform_version": self.platform_version,
            "rows": self.rows,
            "cols": self.cols,
            "num_cores": self.num_cores(),
            "first_row": self.first_row,
            "first_col": self.first_col,
            "first_core_id": self.first_core_id(),
            "first_core_hex": format!("{:#x}", self.first_core_id()),
            "dram_base": self.dram.epiphany_base,
            "dram_base_hex": format!("{:#010x}", self.dram.epiphany_base),
            "dram_host_base": self.dram.host_base,
            "dram_host_base_hex": format!("{:#010x}", self.dram.host_base),
            "dram_size": self.dram.size,
            "source": self.source.to_string(),
        })
    }
}

impl Default for Board {
    /// The Parallella-16.
    fn default() -> Self {
        Board::builtin("parallella-16").expect("the built-in parallella-16 board parses")
    }
}

/// [`BoardError::UnknownBoard`] for `name`.
fn unknown_board(name: &str) -> BoardError {
    BoardError::UnknownBoard {
        name: name.to_owned(),
        known: BUILTIN_NAMES.iter().map(|n| (*n).to_owned()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid Parallella-16 file with `edit` applied to one line: `(key,
    /// Some(line))` replaces the key's line, `(key, None)` drops it.
    fn p16_with(key: &str, replacement: Option<&str>) -> String {
        let mut out = String::new();
        for line in builtin_text("parallella-16").unwrap().lines() {
            let first = line.split_whitespace().next();
            if first == Some(key) {
                if let Some(r) = replacement {
                    out.push_str(r);
                    out.push('\n');
                }
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// The 1-based line of `key` in the built-in Parallella-16 file.
    fn p16_line(key: &str) -> usize {
        builtin_text("parallella-16")
            .unwrap()
            .lines()
            .position(|l| l.split_whitespace().next() == Some(key))
            .unwrap()
            + 1
    }

    fn parse(text: &str) -> Result<Board, BoardError> {
        Board::parse("test", BoardSource::File("test.hdf".into()), text)
    }

    #[test]
    fn parallella_16() {
        let b = Board::builtin("parallella-16").unwrap();
        assert_eq!(b.name, "parallella-16");
        assert_eq!(b.source, BoardSource::Builtin);
        assert_eq!(b.platform_version, "PARALLELLA1601");
        assert_eq!(b.chip, ChipModel::E16G301);
        assert_eq!((b.first_row, b.first_col, b.rows, b.cols), (32, 8, 4, 4));
        assert_eq!(b.num_cores(), 16);
        assert_eq!(b.first_core_id(), 0x808);
        assert_eq!(b.core_id(3, 3), 0x8cb);
        assert_eq!(b.core_id(1, 0), 0x848);
        assert_eq!(
            b.dram,
            ExtMem {
                name: "ext-DRAM".into(),
                host_base: 0x8e00_0000,
                epiphany_base: 0x8e00_0000,
                size: 32 << 20,
                kind: "RDWR".into(),
            }
        );
        assert!(b.contains_core_id(0x808));
        assert!(b.contains_core_id(0x8cb));
        assert!(!b.contains_core_id(0x80c));
        assert!(!b.contains_core_id(0x908));
        assert!(!b.contains_core_id(0x807));
        assert!(!b.contains_core_id(0x7cb));
        assert!(!b.contains_core_id(0x808 + 4096));
        assert_eq!(Board::default(), b);
    }

    #[test]
    fn parallella_64() {
        let b = Board::load("parallella-64").unwrap();
        assert_eq!(b.platform_version, "PARALLELLA6401");
        assert_eq!(b.chip, ChipModel::E64G401);
        assert_eq!((b.first_row, b.first_col, b.rows, b.cols), (32, 8, 8, 8));
        assert_eq!(b.num_cores(), 64);
        assert_eq!(b.first_core_id(), 0x808);
        assert_eq!(b.core_id(7, 7), 0x9cf);
        assert!(b.contains_core_id(0x9cf));
        assert!(!b.contains_core_id(0x9d0));
        assert_eq!(b.dram.epiphany_base, 0x8e00_0000);
        assert_eq!(b.dram.size, 0x0200_0000);
    }

    #[test]
    #[should_panic(expected = "outside the 4x4 chip")]
    fn core_id_outside_chip_panics() {
        Board::default().core_id(4, 0);
    }

    #[test]
    fn builtin_names_and_case() {
        assert_eq!(Board::builtin_names(), &["parallella-16", "parallella-64"]);
        for name in Board::builtin_names() {
            assert_eq!(Board::load(name).unwrap().name, *name);
        }
        assert_eq!(Board::load("Parallella-16").unwrap().name, "parallella-16");
    }

    #[test]
    fn chip_models() {
        assert_eq!(ChipModel::from_name("E16G301"), Some(ChipModel::E16G301));
        assert_eq!(ChipModel::from_name("e64g401"), Some(ChipModel::E64G401));
        assert_eq!(ChipModel::from_name("E4G301"), None);
        for chip in ChipModel::ALL {
            assert_eq!(ChipModel::from_name(chip.name()), Some(chip));
            assert_eq!(chip.to_string(), chip.name());
        }
        assert_eq!((ChipModel::E16G301.rows(), ChipModel::E16G301.cols()), (4, 4));
        assert_eq!((ChipModel::E64G401.rows(), ChipModel::E64G401.cols()), (8, 8));
    }

    #[test]
    fn json() {
        let j = Board::default().to_json();
        assert_eq!(j["name"], "parallella-16");
        assert_eq!(j["chip"], "E16G301");
        assert_eq!(j["rows"], 4);
        assert_eq!(j["cols"], 4);
        assert_eq!(j["num_cores"], 16);
        assert_eq!(j["first_core_id"], 0x808);
        assert_eq!(j["first_core_hex"], "0x808");
        assert_eq!(j["first_row"], 32);
        assert_eq!(j["first_col"], 8);
        assert_eq!(j["dram_base"], 0x8e00_0000u32);
        assert_eq!(j["dram_base_hex"], "0x8e000000");
        assert_eq!(j["dram_size"], 0x0200_0000);
        assert_eq!(j["source"], "builtin");
        let f = parse(builtin_text("parallella-16").unwrap()).unwrap().to_json();
        assert_eq!(f["source"], "test.hdf");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_count("32"), Some(32));
        assert_eq!(parse_count("0x20"), Some(32));
        assert_eq!(parse_count("0X20"), Some(32));
        assert_eq!(parse_count("1_000"), Some(1000));
        assert_eq!(parse_count("20h"), None);
        assert_eq!(parse_count("+3"), None);
        assert_eq!(parse_count("0x"), None);
        assert_eq!(parse_count("_1"), None);
        assert_eq!(parse_count("4294967296"), None);
        assert_eq!(parse_hex("0x8e000000"), Some(0x8e00_0000));
        assert_eq!(parse_hex("8E000000"), Some(0x8e00_0000));
        assert_eq!(parse_hex("0x8e00_0000"), Some(0x8e00_0000));
        assert_eq!(parse_hex("02000000"), Some(0x0200_0000));
        assert_eq!(parse_hex("0x100000000"), None);
        assert_eq!(parse_hex("-1"), None);
        assert_eq!(parse_hex("0xg"), None);
    }

    #[test]
    fn lenient_forms() {
        let text = "\u{feff}// header\r\n\
                    platform_version X\r\n\
                    \r\n\
                    CHIP e64g401   // trailing comment\r\n\
                    CHIP_ROW 0x20\r\n\
                    CHIP_COL 8\r\n\
                    ESYS_REGS_BASE 0x70000000\r\n\
                    EMEM_BASE_ADDRESS 3e000000\r\n\
                    EMEM_EPI_BASE 8e00_0000\r\n\
                    EMEM_SIZE 0X02000000\r\n\
                    EMEM_TYPE rdwr\r\n";
        let b = parse(text).unwrap();
        assert_eq!(b.platform_version, "X");
        assert_eq!(b.chip, ChipModel::E64G401);
        assert_eq!(b.first_core_id(), 0x808);
        assert_eq!(b.dram.host_base, 0x3e00_0000);
        assert_eq!(b.dram.epiphany_base, 0x8e00_0000);
        assert_eq!(b.dram.size, 0x0200_0000);
        assert_eq!(b.dram.kind, "RDWR");
        // Optional keys default.
        assert_eq!(b.dram.name, "ext-DRAM");
        let minimal = p16_with("EMEM_TYPE", None);
        let minimal = minimal.replace("PLATFORM_VERSION", "// PLATFORM_VERSION");
        let b = parse(&minimal).unwrap();
        assert_eq!(b.dram.kind, "RDWR");
        assert_eq!(b.platform_version, "");
    }

    #[test]
    fn user_file() {
        let dir = std::env::temp_dir().join(format!(
            "ecsp-board-test-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("my-board.hdf");
        let text = p16_with("CHIP_ROW", Some("CHIP_ROW 0"));
        std::fs::write(&path, text.replace("CHIP_COL", "CHIP_COL 60 //")).unwrap();

        let b = Board::from_file(&path).unwrap();
        assert_eq!(b.name, "my-board");
        assert_eq!(b.source, BoardSource::File(path.clone()));
        assert_eq!(b.first_core_id(), 60);
        assert_eq!(b.to_json()["source"], path.display().to_string());
        assert_eq!(Board::load(path.to_str().unwrap()).unwrap(), b);

        // A file without the .hdf ending loads by path too.
        let bare = dir.join("plainname");
        std::fs::copy(&path, &bare).unwrap();
        assert_eq!(Board::load(bare.to_str().unwrap()).unwrap().name, "plainname");

        // Errors name the user's file.
        std::fs::write(&path, "CHIP E16G301\nBOGUS 1\n").unwrap();
        let err = Board::load(path.to_str().unwrap()).unwrap_err();
        assert!(matches!(err, BoardError::UnknownKey { line: 2, .. }), "{err:?}");
        assert!(err.to_string().starts_with(&format!("{}:2: ", path.display())), "{err}");

        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_board() {
        let err = Board::load("parallella-32").unwrap_err();
        let BoardError::UnknownBoard { name, known } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(name, "parallella-32");
        assert_eq!(known, &["parallella-16", "parallella-64"]);
        let msg = err.to_string();
        assert!(msg.contains("parallella-16, parallella-64"), "{msg}");
        assert!(msg.contains(".hdf"), "{msg}");
        assert!(matches!(Board::builtin("nope"), Err(BoardError::UnknownBoard { .. })));
    }

    #[test]
    fn io_error() {
        let err = Board::load("./no/such/board.hdf").unwrap_err();
        let BoardError::Io { path, source } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(path, Path::new("./no/such/board.hdf"));
        assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        assert!(err.to_string().contains("./no/such/board.hdf"), "{err}");
        // Looks like a path (ends in .hdf) even without a '/'.
        assert!(matches!(Board::load("missing.hdf"), Err(BoardError::Io { .. })));
    }

    #[test]
    fn unknown_key() {
        let err = parse("CHIP E16G301\n\n// c\nCHIP_ROWS 32\n").unwrap_err();
        assert!(
            matches!(&err, BoardError::UnknownKey { line: 4, key, .. } if key == "CHIP_ROWS"),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.starts_with("test.hdf:4: unknown key `CHIP_ROWS`"), "{msg}");
        assert!(msg.contains("CHIP_ROW,"), "{msg}");
    }

    #[test]
    fn bad_number() {
        let line = p16_line("CHIP_ROW");
        let err = parse(&p16_with("CHIP_ROW", Some("CHIP_ROW thirty-two"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::BadNumber { line: l, key, value, .. }
                if *l == line && key == "CHIP_ROW" && value == "thirty-two"),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("test.hdf:{line}: CHIP_ROW")), "{msg}");
        assert!(msg.contains("decimal"), "{msg}");

        let line = p16_line("EMEM_SIZE");
        let err = parse(&p16_with("EMEM_SIZE", Some("EMEM_SIZE 32MiB"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::BadNumber { line: l, .. } if *l == line),
            "{err:?}"
        );
        assert!(err.to_string().contains("hex"), "{err}");

        let line = p16_line("NUM_CHIPS");
        let err = parse(&p16_with("NUM_CHIPS", Some("NUM_CHIPS one"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::BadNumber { line: l, .. } if *l == line),
            "{err:?}"
        );
    }

    #[test]
    fn missing_key() {
        for key in [
            "CHIP",
            "CHIP_ROW",
            "CHIP_COL",
            "EMEM_BASE_ADDRESS",
            "EMEM_EPI_BASE",
            "EMEM_SIZE",
        ] {
            let err = parse(&p16_with(key, None)).unwrap_err();
            assert!(
                matches!(&err, BoardError::MissingKey { key: k, .. } if k == key),
                "{key}: {err:?}"
            );
            let msg = err.to_string();
            assert!(
                msg.starts_with(&format!("test.hdf: missing key {key}; add a line such as `{key} ")),
                "{msg}"
            );
        }
    }

    #[test]
    fn unknown_chip() {
        let line = p16_line("CHIP");
        let err = parse(&p16_with("CHIP", Some("CHIP E16G3"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::UnknownChip { line: l, value, known, .. }
                if *l == line && value == "E16G3" && known == &["E16G301", "E64G401"]),
            "{err:?}"
        );
        assert!(err.to_string().contains("E16G301, E64G401"), "{err}");
    }

    #[test]
    fn unsupported() {
        let line = p16_line("NUM_CHIPS");
        let err = parse(&p16_with("NUM_CHIPS", Some("NUM_CHIPS 2"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::Unsupported { line: l, .. } if *l == line),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("NUM_CHIPS 2") && msg.contains("set NUM_CHIPS 1"), "{msg}");

        let line = p16_line("NUM_EXT_MEMS");
        let err = parse(&p16_with("NUM_EXT_MEMS", Some("NUM_EXT_MEMS 0"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::Unsupported { line: l, .. } if *l == line),
            "{err:?}"
        );
        assert!(err.to_string().contains("set NUM_EXT_MEMS 1"), "{err}");
    }

    #[test]
    fn bad_line() {
        let err = parse("// c\nCHIP E16G301\nCHIP_ROW   // no value\n").unwrap_err();
        assert!(
            matches!(&err, BoardError::BadLine { line: 3, text, .. } if text == "CHIP_ROW"),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("test.hdf:3: expected `KEY VALUE`"), "{err}");
        let err = parse("CHIP E16G301 extra\n").unwrap_err();
        assert!(matches!(&err, BoardError::BadLine { line: 1, .. }), "{err:?}");
    }

    #[test]
    fn duplicate_key() {
        let err = parse("CHIP E16G301\nCHIP_ROW 32\nchip E64G401\n").unwrap_err();
        assert!(
            matches!(&err, BoardError::DuplicateKey { line: 3, first_line: 1, key, .. } if key == "CHIP"),
            "{err:?}"
        );
        assert!(err.to_string().contains("first on line 1"), "{err}");
    }

    #[test]
    fn chip_outside_mesh() {
        let line = p16_line("CHIP_ROW");
        let err = parse(&p16_with("CHIP_ROW", Some("CHIP_ROW 61"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::ChipOutsideMesh { line: l, .. } if *l == line),
            "{err:?}"
        );
        assert!(err.to_string().contains("CHIP_ROW <= 60"), "{err}");
        // 60 + 4 = 64 fits.
        assert!(parse(&p16_with("CHIP_ROW", Some("CHIP_ROW 60"))).is_ok());

        let line = p16_line("CHIP_COL");
        let err = parse(&p16_with("CHIP_COL", Some("CHIP_COL 0xffffffff"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::ChipOutsideMesh { line: l, .. } if *l == line),
            "{err:?}"
        );
    }

    #[test]
    fn dram_overlaps_cores() {
        let line = p16_line("EMEM_EPI_BASE");
        // 0x8c0 is row 35, col 0; 16 MiB reaches col 15, through the chip's cols 8-11.
        let text = p16_with("EMEM_EPI_BASE", Some("EMEM_EPI_BASE 0x8c000000"));
        let err = parse(&text).unwrap_err();
        assert!(
            matches!(&err, BoardError::DramOverlapsCores { line: l, core_id: 0x8c8, .. } if *l == line),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("EMEM_EPI_BASE 0x8c000000") && msg.contains("overlaps core 0x8c8"),
            "{msg}"
        );
        // Directly on the first core.
        let text = p16_with("EMEM_EPI_BASE", Some("EMEM_EPI_BASE 0x80800000"));
        assert!(matches!(
            parse(&text),
            Err(BoardError::DramOverlapsCores { core_id: 0x808, .. })
        ));
        // Just after the last core's row: fine (0x8cc is row 35, col 12).
        let text = p16_with("EMEM_EPI_BASE", Some("EMEM_EPI_BASE 0x8cc00000"));
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn bad_value() {
        let line = p16_line("EMEM_SIZE");
        let err = parse(&p16_with("EMEM_SIZE", Some("EMEM_SIZE 0"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::BadValue { line: l, key, .. } if *l == line && key == "EMEM_SIZE"),
            "{err:?}"
        );
        let err = parse(&p16_with("EMEM_SIZE", Some("EMEM_SIZE 0x80000000"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::BadValue { line: l, .. } if *l == line),
            "{err:?}"
        );
        assert!(err.to_string().contains("past the 4 GiB"), "{err}");

        let line = p16_line("EMEM_EPI_BASE");
        let err = parse(&p16_with("EMEM_EPI_BASE", Some("EMEM_EPI_BASE 0x1000"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::BadValue { line: l, key, .. } if *l == line && key == "EMEM_EPI_BASE"),
            "{err:?}"
        );
        assert!(err.to_string().contains("local memory"), "{err}");

        let line = p16_line("EMEM_TYPE");
        let err = parse(&p16_with("EMEM_TYPE", Some("EMEM_TYPE RW"))).unwrap_err();
        assert!(
            matches!(&err, BoardError::BadValue { line: l, value, .. } if *l == line && value == "RW"),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("test.hdf:{line}: bad EMEM_TYPE `RW`")),
            "{err}"
        );
    }

    #[test]
    fn builtin_error_names_the_board() {
        let err = Board::parse("x", BoardSource::Builtin, "CHIP Z\n").unwrap_err();
        assert!(err.to_string().starts_with("<built-in x>:1: "), "{err}");
    }
}
