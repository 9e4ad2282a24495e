//! The platform e-hal drives: which HDF file `e_init` reads, and whether the
//! board's cores are on the platform it found.
//!
//! A board read from a file hands e-hal that same file. A built-in board
//! hands it the eSDK's own description of the board it runs on, as the
//! eSDK's tools find it: `EPIPHANY_HDF`, else
//! `$EPIPHANY_HOME/bsps/current/platform.hdf` (`EPIPHANY_HOME` defaulting to
//! `/opt/adapteva/esdk`, where the eSDK installs). The board ecsp plans for
//! and the platform e-hal reports are then compared ([`group_origin`]), so a
//! Parallella-64 board description on a Parallella-16 is refused by name
//! instead of writing to cores that are not there.
//!
//! # Examples
//! ```
//! use ecsp_host::board::Board;
//! use ecsp_host::esdk::platform::{group_origin, PlatformGeometry};
//! let p16 = PlatformGeometry { row: 32, col: 8, rows: 4, cols: 4 };
//! let board = Board::builtin("parallella-16").unwrap();
//! assert_eq!(group_origin(&board, p16, "platform.hdf".as_ref()).unwrap(), (0, 0));
//! let too_big = Board::builtin("parallella-64").unwrap();
//! assert!(group_origin(&too_big, p16, "platform.hdf".as_ref()).is_err());
//! ```

use super::EsdkError;
use crate::board::{Board, BoardSource};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Where the eSDK installs when `EPIPHANY_HOME` is not set (as in
/// `epiphany-sys`'s build script).
pub const DEFAULT_EPIPHANY_HOME: &str = "/opt/adapteva/esdk";

/// The platform's bounding box of cores, as `e_get_platform_info` reports it
/// (mesh row and column of its north-west core, rows and columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformGeometry {
    /// Mesh row of the first core.
    pub row: u32,
    /// Mesh column of the first core.
    pub col: u32,
    /// Rows of cores.
    pub rows: u32,
    /// Columns of cores.
    pub cols: u32,
}

/// The HDF file to hand `e_init` for `board`; `env` reads an environment
/// variable (`std::env::var_os` outside tests).
pub fn hdf_path(board: &Board, env: &dyn Fn(&str) -> Option<OsString>) -> Result<PathBuf, EsdkError> {
    if let BoardSource::File(path) = &board.source {
        return Ok(path.clone());
    }
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    let no_hdf = |looked: String| EsdkError::NoHdf {
        board: board.name.clone(),
        looked,
    };
    if let Some(hdf) = set("EPIPHANY_HDF") {
        let path = PathBuf::from(hdf);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(no_hdf(format!(
                "EPIPHANY_HDF is {}, which is not a file",
                path.display()
            )))
        };
    }
    let (home, why) = match set("EPIPHANY_HOME") {
        Some(home) => (PathBuf::from(home), "EPIPHANY_HOME"),
        None => (PathBuf::from(DEFAULT_EPIPHANY_HOME), "the default eSDK root"),
    };
    let path = home.join("bsps/current/platform.hdf");
    if path.is_file() {
        Ok(path)
    } else {
        Err(no_hdf(format!(
            "EPIPHANY_HDF is not set and {} (under {why}) is not a file",
            path.display()
        )))
    }
}

/// The work group's first core relative to the platform's (what `e_open`
/// takes), when every core of `board` is on the platform; else
/// [`EsdkError::Geometry`] naming both.
pub fn group_origin(board: &Board, platform: PlatformGeometry, hdf: &Path) -> Result<(u32, u32), EsdkError> {
    let fits = board.first_row >= platform.row
        && board.first_col >= platform.col
        && board.first_row + board.rows <= platform.row + platform.rows
        && board.first_col + board.cols <= platform.col + platform.cols;
    if !fits {
        return Err(EsdkError::Geometry {
            board: board.name.clone(),
            row: board.first_row,
            col: board.first_col,
            rows: board.rows,
            cols: board.cols,
            hdf: hdf.to_path_buf(),
            platform_row: platform.row,
            platform_col: platform.col,
            platform_rows: platform.rows,
            platform_cols: platform.cols,
        });
    }
    Ok((board.first_row - platform.row, board.first_col - platform.col))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P16: PlatformGeometry = PlatformGeometry {
        row: 32,
        col: 8,
        rows: 4,
        cols: 4,
    };

    #[test]
    fn the_board_must_fit_the_platform() {
        let p16 = Board::builtin("parallella-16").unwrap();
        let p64 = Board::builtin("parallella-64").unwrap();
        let hdf = Path::new("/esdk/bsps/current/platform.hdf");
        assert_eq!(group_origin(&p16, P16, hdf).unwrap(), (0, 0));
        let e = group_origin(&p64, P16, hdf).unwrap_err();
        let text = e.to_string();
        for part in [
            "parallella-64",
            "8x8",
            "4x4",
            "row 32, col 8",
            "/esdk/bsps/current/platform.hdf",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        // A 4x4 board placed elsewhere in a bigger platform: an offset group.
        let p64_platform = PlatformGeometry {
            row: 32,
            col: 8,
            rows: 8,
            cols: 8,
        };
        let mut shifted = p16.clone();
        shifted.first_row = 34;
        shifted.first_col = 10;
        assert_eq!(group_origin(&shifted, p64_platform, hdf).unwrap(), (2, 2));
        // Partly off the platform's north-west corner.
        shifted.first_row = 31;
        assert!(matches!(
            group_origin(&shifted, p64_platform, hdf),
            Err(EsdkError::Geometry { .. })
        ));
    }

    #[test]
    fn a_board_file_is_its_own_hdf_and_a_built_in_one_follows_the_esdk() {
        let dir = std::env::temp_dir().join(format!("ecsp-esdk-hdf-{}", std::process::id()));
        let current = dir.join("bsps/current");
        std::fs::create_dir_all(&current).unwrap();
        let file = dir.join("my-board.hdf");
        std::fs::write(
            &file,
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../boards/parallella-16.hdf")).unwrap(),
        )
        .unwrap();
        let from_file = Board::from_file(&file).unwrap();
        let none = |_: &str| None;
        assert_eq!(hdf_path(&from_file, &none).unwrap(), file);

        let builtin = Board::builtin("parallella-16").unwrap();
        let platform = current.join("platform.hdf");
        std::fs::write(&platform, "").unwrap();
        let home = dir.clone().into_os_string();
        let with_home = |name: &str| (name == "EPIPHANY_HOME").then(|| home.clone());
        assert_eq!(hdf_path(&builtin, &with_home).unwrap(), platform);
        let hdf = file.clone().into_os_string();
        let with_hdf = |name: &str| (name == "EPIPHANY_HDF").then(|| hdf.clone());
        assert_eq!(hdf_path(&builtin, &with_hdf).unwrap(), file);

        let missing = dir.join("nowhere.hdf").into_os_string();
        let bad_hdf = |name: &str| (name == "EPIPHANY_HDF").then(|| missing.clone());
        let e = hdf_path(&builtin, &bad_hdf).unwrap_err().to_string();
        assert!(
            e.contains("nowhere.hdf") && e.contains("EPIPHANY_HDF") && e.contains("parallella-16"),
            "{e}"
        );
        let empty_home = dir.join("empty").into_os_string();
        let bad_home = |name: &str| (name == "EPIPHANY_HOME").then(|| empty_home.clone());
        let e = hdf_path(&builtin, &bad_home).unwrap_err().to_string();
        assert!(
            e.contains("empty/bsps/current/platform.hdf") && e.contains("EPIPHANY_HOME"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
