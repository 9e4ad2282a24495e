//! The device image the eSDK's loader takes: when this crate was built with
//! an Epiphany C compiler at hand, `ecsp-device.elf` must be an ELF32
//! little-endian executable for machine 0x1223 (EM_ADAPTEVA_EPIPHANY) with
//! the vector table at 0x0, the loader's configuration sections at 0x28,
//! 0x50 and 0x58, code from 0x100, nothing allocated past the runtime
//! reserve (RUNTIME_END, where the host writes the boot table), the reset
//! entry at the start of the code, and an `.ecsp_image` section naming the
//! kinds and dtypes it carries and the boot table version it reads. Without
//! such a compiler the test says it was skipped.

use ecsp_device::boot::RUNTIME_END;
use ecsp_device::c_runtime::DEVICE_ELF;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// One section: name, type, flags, address, offset, size, link.
struct Section {
    name: String,
    kind: u32,
    flags: u32,
    addr: u32,
    offset: u32,
    size: u32,
    link: u32,
}

fn c_string(b: &[u8], at: usize) -> String {
    let end = b[at..].iter().position(|&c| c == 0).map_or(b.len(), |n| at + n);
    String::from_utf8_lossy(&b[at..end]).into_owned()
}

fn sections(elf: &[u8]) -> Vec<Section> {
    let (shoff, shentsize, shnum, shstrndx) = (
        u32_at(elf, 0x20) as usize,
        u16_at(elf, 0x2E) as usize,
        u16_at(elf, 0x30) as usize,
        u16_at(elf, 0x32) as usize,
    );
    let raw: Vec<Section> = (0..shnum)
        .map(|i| {
            let at = shoff + i * shentsize;
            Section {
                name: u32_at(elf, at).to_string(),
                kind: u32_at(elf, at + 4),
                flags: u32_at(elf, at + 8),
                addr: u32_at(elf, at + 12),
                offset: u32_at(elf, at + 16),
                size: u32_at(elf, at + 20),
                link: u32_at(elf, at + 24),
            }
        })
        .collect();
    let names = raw[shstrndx].offset as usize;
    raw.into_iter()
        .map(|s| Section {
            name: c_string(elf, names + s.name.parse::<usize>().unwrap()),
            ..s
        })
        .collect()
}

/// Value of the symbol `name` in the image's symbol table.
fn symbol(elf: &[u8], sections: &[Section], name: &str) -> Option<u32> {
    let symtab = sections.iter().find(|s| s.kind == 2)?;
    let strtab = sections[symtab.link as usize].offset as usize;
    (0..symtab.size as usize / 16).find_map(|i| {
        let at = symtab.offset as usize + 16 * i;
        (c_string(elf, strtab + u32_at(elf, at) as usize) == name).then(|| u32_at(elf, at + 4))
    })
}

#[test]
fn the_device_image_is_what_the_loader_expects() {
    let Some(path) = DEVICE_ELF else {
        eprintln!(
            "skipped: no Epiphany C compiler when ecsp-device was built \
             (set ECSP_EPIPHANY_CC or put epiphany-elf-gcc or e-gcc on PATH)"
        );
        return;
    };
    let elf = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(&elf[..4], b"\x7fELF", "{path}: not an ELF file");
    assert_eq!(elf[4], 1, "{path}: not ELF32");
    assert_eq!(elf[5], 1, "{path}: not little-endian");
    assert_eq!(u16_at(&elf, 0x10), 2, "{path}: not ET_EXEC");
    assert_eq!(u16_at(&elf, 0x12), 0x1223, "{path}: not for the Epiphany");
    let sections = sections(&elf);
    let at = |name: &str| {
        sections
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{path}: no section {name}"))
            .addr
    };
    assert_eq!(at(".ivt"), 0x0);
    assert_eq!(at("workgroup_cfg"), 0x28);
    assert_eq!(at("ext_mem_cfg"), 0x50);
    assert_eq!(at("loader_cfg"), 0x58);
    assert_eq!(at(".text"), 0x100);
    // SHF_ALLOC: everything loaded lies below the boot table.
    for s in sections.iter().filter(|s| s.flags & 2 != 0) {
        assert!(
            s.addr + s.size <= RUNTIME_END,
            "{path}: section {} reaches {:#x}, past the runtime reserve",
            s.name,
            s.addr + s.size
        );
    }
    assert_eq!(u32_at(&elf, 0x18), 0x100, "{path}: the entry is the reset code");
    assert_eq!(symbol(&elf, &sections, "ecsp_reset"), Some(0x100));
    assert_eq!(symbol(&elf, &sections, "ecsp_ivt"), Some(0x0));
    for name in ["ecsp_main", "ecsp_user_isr", "ecsp_fault_isr", "ecsp_idle_insn"] {
        assert!(symbol(&elf, &sections, name).is_some(), "{path}: no symbol {name}");
    }
    assert!(symbol(&elf, &sections, "ecsp_stack_top") == Some(0x8000 - 8));
    // The executor's `gie` and `idle` share one aligned 64-bit word, so no
    // interrupt comes between them (silicon/main.c, run()).
    let idle = symbol(&elf, &sections, "ecsp_idle_insn").unwrap();
    assert_eq!(
        (idle - 2) % 8,
        0,
        "{path}: `gie; idle` at {:#x} is not 8-byte aligned",
        idle - 2
    );
    // What it carries: unless ECSP_DEVICE_KINDS chose otherwise, the kinds
    // of commstime and of the demo, and no f64.
    let carries = sections
        .iter()
        .find(|s| s.name == ".ecsp_image")
        .unwrap_or_else(|| panic!("{path}: no .ecsp_image section"));
    // Three words (the section may be padded to 8-byte alignment), as
    // silicon/main.c writes them and the host's esdk::image reads them.
    assert!(
        (12..=16).contains(&carries.size),
        "{path}: .ecsp_image holds the kinds, dtypes and boot version words: {} bytes",
        carries.size
    );
    let (kinds, dtypes, version) = (
        u32_at(&elf, carries.offset as usize),
        u32_at(&elf, carries.offset as usize + 4),
        u32_at(&elf, carries.offset as usize + 8),
    );
    assert_eq!(
        version,
        ecsp_device::boot::BOOT_VERSION,
        "{path}: the boot version it reads"
    );
    assert_ne!(kinds, 0, "{path}: the image carries no kind");
    if std::env::var_os("ECSP_DEVICE_KINDS").is_none() {
        // id, succ, prefix, delta, consume, generate, sieve
        assert_eq!(kinds & 0x7F, 0x7F, "{path}: kinds {kinds:#x}");
    }
    if std::env::var_os("ECSP_DEVICE_DTYPES").is_none() {
        assert_eq!(
            dtypes & (1 << 5),
            0,
            "{path}: the default image carries no f64: {dtypes:#x}"
        );
    }
}
