//! The device image: which file to load, and whether the eSDK's loader will
//! take it (ELF32, little-endian, an executable for the Epiphany: what
//! e-loader's `is_epiphany_exec_elf` accepts).
//!
//! # Examples
//! ```
//! use ecsp_host::esdk::image::{check_header, EM_ADAPTEVA_EPIPHANY};
//! use ecsp_host::esdk::ImageProblem;
//! let mut header = [0u8; 52];
//! header[..4].copy_from_slice(b"\x7fELF");
//! header[4] = 1; // ELFCLASS32
//! header[5] = 1; // ELFDATA2LSB
//! header[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
//! header[18..20].copy_from_slice(&EM_ADAPTEVA_EPIPHANY.to_le_bytes());
//! assert_eq!(check_header(&header), Ok(()));
//! header[18..20].copy_from_slice(&0x28u16.to_le_bytes()); // ARM
//! assert_eq!(check_header(&header), Err(ImageProblem::WrongMachine { machine: 0x28 }));
//! ```

use super::{EsdkError, ImageProblem};
use std::io::Read;
use std::path::{Path, PathBuf};

/// `e_machine` of the Epiphany (EM_ADAPTEVA_EPIPHANY).
pub const EM_ADAPTEVA_EPIPHANY: u16 = 0x1223;
/// Bytes in an ELF32 file header.
pub const ELF32_HEADER_LEN: usize = 52;

/// `e_type` of an executable.
const ET_EXEC: u16 = 2;

/// Checks an ELF file header (the file's first bytes, at least
/// [`ELF32_HEADER_LEN`] of them) is that of a little-endian ELF32
/// executable for the Epiphany.
pub fn check_header(bytes: &[u8]) -> Result<(), ImageProblem> {
    if bytes.len() >= 4 && &bytes[..4] != b"\x7fELF" {
        return Err(ImageProblem::NotElf);
    }
    if bytes.len() < ELF32_HEADER_LEN {
        return Err(ImageProblem::TooShort { len: bytes.len() });
    }
    if bytes[4] != 1 {
        return Err(ImageProblem::NotElf32 { class: bytes[4] });
    }
    if bytes[5] != 1 {
        return Err(ImageProblem::NotLittleEndian { data: bytes[5] });
    }
    let half = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let machine = half(18);
    if machine != EM_ADAPTEVA_EPIPHANY {
        return Err(ImageProblem::WrongMachine { machine });
    }
    let kind = half(16);
    if kind != ET_EXEC {
        return Err(ImageProblem::NotExecutable { kind });
    }
    Ok(())
}

/// Checks the file at `path` is a device image the loader takes.
pub fn check_file(path: &Path) -> Result<(), EsdkError> {
    let bad = |problem| EsdkError::BadImage {
        path: path.to_path_buf(),
        problem,
    };
    let mut header = Vec::with_capacity(ELF32_HEADER_LEN);
    std::fs::File::open(path)
        .and_then(|f| f.take(ELF32_HEADER_LEN as u64).read_to_end(&mut header))
        .map_err(|e| bad(ImageProblem::Unreadable(e.to_string())))?;
    check_header(&header).map_err(bad)
}

/// The device image to load: `given` (`--device-image`), else `built_in`
/// (the image ecsp was built with, `ecsp_device::c_runtime::DEVICE_ELF`),
/// else [`EsdkError::NoDeviceImage`].
pub fn resolve(given: Option<PathBuf>, built_in: Option<&str>) -> Result<PathBuf, EsdkError> {
    given
        .or_else(|| built_in.map(PathBuf::from))
        .ok_or(EsdkError::NoDeviceImage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(class: u8, data: u8, kind: u16, machine: u16) -> Vec<u8> {
        let mut h = vec![0u8; ELF32_HEADER_LEN];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = class;
        h[5] = data;
        h[6] = 1;
        h[16..18].copy_from_slice(&kind.to_le_bytes());
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h
    }

    #[test]
    fn takes_only_little_endian_elf32_epiphany_executables() {
        assert_eq!(check_header(&header(1, 1, 2, 0x1223)), Ok(()));
        assert_eq!(
            check_header(&header(2, 1, 2, 0x1223)),
            Err(ImageProblem::NotElf32 { class: 2 })
        );
        assert_eq!(
            check_header(&header(1, 2, 2, 0x1223)),
            Err(ImageProblem::NotLittleEndian { data: 2 })
        );
        assert_eq!(
            check_header(&header(1, 1, 2, 0x3E)),
            Err(ImageProblem::WrongMachine { machine: 0x3E })
        );
        // A relocatable object of the right machine: not linked yet.
        assert_eq!(
            check_header(&header(1, 1, 1, 0x1223)),
            Err(ImageProblem::NotExecutable { kind: 1 })
        );
        assert_eq!(check_header(b"#!/bin/sh\n"), Err(ImageProblem::NotElf));
        assert_eq!(check_header(b"\x7fELF\x01"), Err(ImageProblem::TooShort { len: 5 }));
        assert_eq!(check_header(b""), Err(ImageProblem::TooShort { len: 0 }));
    }

    #[test]
    fn a_file_is_checked_and_named() {
        let dir = std::env::temp_dir().join(format!("ecsp-esdk-image-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.elf");
        std::fs::write(&good, [header(1, 1, 2, 0x1223), vec![0; 100]].concat()).unwrap();
        assert_eq!(check_file(&good), Ok(()));
        let arm = dir.join("arm.elf");
        std::fs::write(&arm, header(1, 1, 2, 0x28)).unwrap();
        let e = check_file(&arm).unwrap_err();
        assert!(matches!(
            &e,
            EsdkError::BadImage { path, problem: ImageProblem::WrongMachine { machine: 0x28 } } if path == &arm
        ));
        assert!(e.to_string().contains("arm.elf"), "{e}");
        let missing = dir.join("missing.elf");
        let e = check_file(&missing).unwrap_err();
        assert!(
            matches!(
                &e,
                EsdkError::BadImage {
                    problem: ImageProblem::Unreadable(_),
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("missing.elf") && e.to_string().contains("cannot be read"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_given_image_wins_over_the_built_in_one() {
        assert_eq!(
            resolve(Some("/a.elf".into()), Some("/b.elf")).unwrap(),
            PathBuf::from("/a.elf")
        );
        assert_eq!(resolve(None, Some("/b.elf")).unwrap(), PathBuf::from("/b.elf"));
        assert_eq!(resolve(None, None), Err(EsdkError::NoDeviceImage));
    }
}
