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
use ecsp_device::message::Dtype;
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

/// What a device image carries: the kinds and message dtypes its C runtime
/// was built with (`ECSP_DEVICE_KINDS`, `ECSP_DEVICE_DTYPES` of
/// `device/build.rs`), as the two words of its `.ecsp_image` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carries {
    /// Bit `k` set: the image runs processes of kind id `k`.
    pub kinds: u32,
    /// Bit `d` set: the image runs processes on channels of dtype code `d`.
    pub dtypes: u32,
    /// The boot table version it reads (`None`: an image of an ecsp before
    /// images said, which read version 3 or older).
    pub version: Option<u32>,
}

impl Carries {
    /// Whether the image runs processes of kind id `kind`.
    pub fn kind(&self, kind: u32) -> bool {
        kind < 32 && self.kinds & (1 << kind) != 0
    }

    /// Whether the image runs processes on channels of `dtype`.
    pub fn dtype(&self, dtype: Dtype) -> bool {
        let code = dtype as u32;
        code < 32 && self.dtypes & (1 << code) != 0
    }
}

/// Name of the section in which a device image says what it carries.
const CARRIES_SECTION: &[u8] = b".ecsp_image";

/// Reads what the ELF image `elf` (whose header [`check_header`] accepted)
/// carries, from its section headers.
pub fn carries(elf: &[u8]) -> Result<Carries, ImageProblem> {
    let word = |at: usize| -> Option<u32> { Some(u32::from_le_bytes(elf.get(at..at + 4)?.try_into().ok()?)) };
    let half =
        |at: usize| -> Option<usize> { Some(u16::from_le_bytes(elf.get(at..at + 2)?.try_into().ok()?) as usize) };
    let find = || -> Option<Carries> {
        let (table, entry, count, names) = (word(32)? as usize, half(46)?, half(48)?, half(50)?);
        let header = |i: usize| table.checked_add(i.checked_mul(entry)?);
        let names_at = word(header(names)? + 16)? as usize;
        (0..count).find_map(|i| {
            let at = header(i)?;
            let name = names_at.checked_add(word(at)? as usize)?;
            let name = elf.get(name..name + CARRIES_SECTION.len() + 1)?;
            if &name[..CARRIES_SECTION.len()] != CARRIES_SECTION || name[CARRIES_SECTION.len()] != 0 {
                return None;
            }
            let (offset, size) = (word(at + 16)? as usize, word(at + 20)?);
            (size >= 8).then_some(())?;
            Some(Carries {
                kinds: word(offset)?,
                dtypes: word(offset + 4)?,
                version: if size >= 12 { word(offset + 8) } else { None },
            })
        })
    };
    find().ok_or(ImageProblem::NoCarries)
}

/// Reads the device image at `path`: checks the loader takes it and says
/// what it carries.
pub fn read_file(path: &Path) -> Result<Carries, EsdkError> {
    let bad = |problem| EsdkError::BadImage {
        path: path.to_path_buf(),
        problem,
    };
    let elf = std::fs::read(path).map_err(|e| bad(ImageProblem::Unreadable(e.to_string())))?;
    check_header(&elf).map_err(bad)?;
    let carries = carries(&elf).map_err(bad)?;
    if carries.version != Some(ecsp_device::boot::BOOT_VERSION) {
        return Err(bad(ImageProblem::Version { found: carries.version }));
    }
    Ok(carries)
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

    /// An ELF32 Epiphany executable whose only sections are `name` holding
    /// `words`, and the section names.
    fn image_with_section(name: &[u8], words: &[u32]) -> Vec<u8> {
        let mut elf = header(1, 1, 2, 0x1223);
        let data: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let names = [b"\0".as_slice(), name, b"\0.shstrtab\0"].concat();
        let data_at = elf.len();
        let names_at = data_at + data.len();
        let table = names_at + names.len();
        elf.extend_from_slice(&data);
        elf.extend_from_slice(&names);
        let section = |name: u32, offset: usize, size: usize| {
            let mut h = [0u8; 40];
            h[0..4].copy_from_slice(&name.to_le_bytes());
            h[16..20].copy_from_slice(&(offset as u32).to_le_bytes());
            h[20..24].copy_from_slice(&(size as u32).to_le_bytes());
            h
        };
        elf.extend_from_slice(&section(0, 0, 0));
        elf.extend_from_slice(&section(1, data_at, data.len()));
        elf.extend_from_slice(&section(name.len() as u32 + 2, names_at, names.len()));
        elf[32..36].copy_from_slice(&(table as u32).to_le_bytes());
        elf[46..48].copy_from_slice(&40u16.to_le_bytes());
        elf[48..50].copy_from_slice(&3u16.to_le_bytes());
        elf[50..52].copy_from_slice(&2u16.to_le_bytes());
        elf
    }

    #[test]
    fn an_image_says_which_kinds_and_dtypes_it_carries() {
        let elf = image_with_section(b".ecsp_image", &[0b1001, 1 << Dtype::U32 as u32, 4]);
        assert_eq!(check_header(&elf), Ok(()));
        let carries = carries(&elf).unwrap();
        assert_eq!(carries.version, Some(4));
        let old = super::carries(&image_with_section(b".ecsp_image", &[0b1001, 2])).unwrap();
        assert_eq!(old.version, None);
        assert!(carries.kind(0) && carries.kind(3) && !carries.kind(1) && !carries.kind(40));
        assert!(carries.dtype(Dtype::U32) && !carries.dtype(Dtype::F64));
        // Another section of a similar name, or too short a section: not ours.
        assert_eq!(
            super::carries(&image_with_section(b".ecsp_imagery", &[1, 2])),
            Err(ImageProblem::NoCarries)
        );
        assert_eq!(
            super::carries(&image_with_section(b".ecsp_image", &[1])),
            Err(ImageProblem::NoCarries)
        );
        // Section headers past the end of the file.
        let mut cut = elf.clone();
        cut.truncate(elf.len() - 50);
        assert_eq!(super::carries(&cut), Err(ImageProblem::NoCarries));
        assert!(ImageProblem::NoCarries.to_string().contains(".ecsp_image"));
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
