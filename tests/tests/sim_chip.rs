//! The simulated chip seen through the `Chip` trait only: register
//! behaviour, memory round trips, the errors for every kind of bad access,
//! reset, and that opening a large chip is cheap.

use ecsp_device::addr::{reg, CoreId, GlobalAddr, SRAM_SIZE};
use ecsp_host::board::Board;
use ecsp_host::chip::{Chip, ChipError};
use ecsp_host::sim::SimChip;
use std::time::Duration;

const DRAM_BASE: u32 = 0x8E00_0000;

fn open(board: &str) -> Box<dyn Chip> {
    Box::new(SimChip::new(Board::load(board).expect("built-in board")).expect("open the simulator"))
}

/// Every core of the chip, row-major.
fn cores(chip: &dyn Chip) -> Vec<CoreId> {
    let b = chip.board();
    (0..b.rows)
        .flat_map(|r| (0..b.cols).map(move |c| CoreId::from_row_col(b.first_row + r, b.first_col + c)))
        .collect()
}

#[test]
fn coreid_reads_each_cores_id_on_parallella_16() {
    let chip = open("parallella-16");
    assert_eq!(chip.backend(), "sim");
    let ids = cores(chip.as_ref());
    assert_eq!(ids.len(), 16);
    assert_eq!(ids[0].raw(), 0x808);
    assert_eq!(ids[1].raw(), 0x809);
    assert_eq!(ids[4].raw(), 0x848);
    assert_eq!(ids[15].raw(), 0x8CB);
    for id in ids {
        let got = chip.read_word(GlobalAddr::on_core(id, reg::COREID)).unwrap();
        assert_eq!(got, id.raw() as u32, "COREID of {id}");
        // Read-only: a write is ignored.
        chip.write_word(GlobalAddr::on_core(id, reg::COREID), 0x123).unwrap();
        assert_eq!(
            chip.read_word(GlobalAddr::on_core(id, reg::COREID)).unwrap(),
            id.raw() as u32
        );
    }
}

#[test]
fn coreid_reads_each_cores_id_on_parallella_64() {
    let chip = open("parallella-64");
    let ids = cores(chip.as_ref());
    assert_eq!(ids.len(), 64);
    assert_eq!(ids[0].raw(), 0x808);
    assert_eq!(ids[8].raw(), 0x848);
    assert_eq!(ids[63].raw(), 0x9CF);
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        let got = chip.read_word(GlobalAddr::on_core(id, reg::COREID)).unwrap();
        assert_eq!(got, id.raw() as u32, "COREID of {id}");
        assert!(seen.insert(got), "COREID {got:#x} read twice");
    }
}

#[test]
fn ctimer0_counts_down_only_while_its_config_mode_is_set() {
    let chip = open("parallella-16");
    let core = CoreId::from_row_col(33, 10);
    let config = GlobalAddr::on_core(core, reg::CONFIG);
    let ctimer0 = GlobalAddr::on_core(core, reg::CTIMER0);
    let ctimer1 = GlobalAddr::on_core(core, reg::CTIMER1);
    let start = 0xF000_0000u32;

    // Off (CONFIG bits 7..4 clear): the timer holds its value.
    chip.write_word(config, 0).unwrap();
    chip.write_word(ctimer0, start).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(chip.read_word(ctimer0).unwrap(), start, "timer off must not count");

    // On: it counts down.
    chip.write_word(config, 1 << 4).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    let a = chip.read_word(ctimer0).unwrap();
    assert!(a < start, "timer on must count down: {a:#x}");
    std::thread::sleep(Duration::from_millis(5));
    let b = chip.read_word(ctimer0).unwrap();
    assert!(b < a, "timer on must keep counting down: {a:#x} then {b:#x}");
    // Timer 1 is independent: its mode (bits 11..8) is off.
    chip.write_word(ctimer1, 77).unwrap();
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(chip.read_word(ctimer1).unwrap(), 77);

    // Every non-zero mode counts (the simulator counts clock cycles for all).
    chip.write_word(config, 0xF << 4).unwrap();
    let c = chip.read_word(ctimer0).unwrap();
    std::thread::sleep(Duration::from_millis(2));
    assert!(chip.read_word(ctimer0).unwrap() < c);

    // Off again: frozen where it stopped.
    chip.write_word(config, 0).unwrap();
    let frozen = chip.read_word(ctimer0).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(
        chip.read_word(ctimer0).unwrap(),
        frozen,
        "timer off again must not count"
    );

    // It stops at zero rather than wrapping.
    chip.write_word(ctimer0, 10).unwrap();
    chip.write_word(config, 1 << 4).unwrap();
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(chip.read_word(ctimer0).unwrap(), 0);
}

#[test]
fn sram_and_dram_round_trip() {
    for board in ["parallella-16", "parallella-64"] {
        let chip = open(board);
        for core in cores(chip.as_ref()) {
            let data: Vec<u8> = (0..64u32).map(|i| (i as u8) ^ (core.raw() as u8)).collect();
            for offset in [0, 0x2000, SRAM_SIZE - 64] {
                let addr = GlobalAddr::on_core(core, offset);
                chip.write(addr, &data).unwrap();
                let mut back = vec![0u8; data.len()];
                chip.read(addr, &mut back).unwrap();
                assert_eq!(back, data, "{board} {addr}");
            }
            let word = GlobalAddr::on_core(core, 0x4000);
            chip.write_word(word, 0xDEAD_BEEF ^ core.raw() as u32).unwrap();
            assert_eq!(chip.read_word(word).unwrap(), 0xDEAD_BEEF ^ core.raw() as u32);
            // The same bytes through the byte interface, little-endian.
            let mut b = [0u8; 4];
            chip.read(word, &mut b).unwrap();
            assert_eq!(u32::from_le_bytes(b), 0xDEAD_BEEF ^ core.raw() as u32);
        }
        // DRAM: its start, its middle and its last bytes (32 MiB window).
        assert_eq!(chip.board().dram.epiphany_base, DRAM_BASE);
        let size = chip.board().dram.size;
        assert_eq!(size, 32 << 20);
        for offset in [0, 0x0010_0000, size - 16] {
            let addr = GlobalAddr::new(DRAM_BASE + offset);
            let data: Vec<u8> = (0..16u8)
                .map(|i| i.wrapping_mul(7).wrapping_add(offset as u8))
                .collect();
            chip.write(addr, &data).unwrap();
            let mut back = [0u8; 16];
            chip.read(addr, &mut back).unwrap();
            assert_eq!(&back[..], &data[..], "{board} {addr}");
            chip.write_word(addr, 0x1234_5678).unwrap();
            assert_eq!(chip.read_word(addr).unwrap(), 0x1234_5678);
        }
    }
}

#[test]
fn bad_accesses_are_errors_and_touch_nothing() {
    let chip = open("parallella-16");
    let core = CoreId::from_row_col(32, 8);

    // Past SRAM: offset 0x8000, and an access straddling the end.
    let past = GlobalAddr::on_core(core, SRAM_SIZE);
    assert!(matches!(chip.write(past, &[1]), Err(ChipError::Unmapped { .. })));
    assert!(matches!(
        chip.read(past, &mut [0u8; 4]),
        Err(ChipError::Unmapped { .. })
    ));
    assert!(matches!(chip.read_word(past), Err(ChipError::Unmapped { .. })));
    assert!(matches!(chip.write_word(past, 1), Err(ChipError::Unmapped { .. })));
    let straddle = GlobalAddr::on_core(core, SRAM_SIZE - 2);
    assert!(matches!(chip.write(straddle, &[9; 4]), Err(ChipError::Unmapped { .. })));
    // Nothing was written by the refused straddling write.
    let mut tail = [0xAAu8; 2];
    chip.read(straddle, &mut tail).unwrap();
    assert_eq!(tail, [0, 0]);
    let e = chip.read(past, &mut [0u8; 4]).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("memory fault") && text.contains("parallella-16"),
        "{text}"
    );

    // Past DRAM.
    let past_dram = GlobalAddr::new(DRAM_BASE + (32 << 20));
    assert!(matches!(chip.read_word(past_dram), Err(ChipError::Unmapped { .. })));
    let dram_end = GlobalAddr::new(DRAM_BASE + (32 << 20) - 2);
    assert!(matches!(chip.write(dram_end, &[0; 4]), Err(ChipError::Unmapped { .. })));

    // A core outside the chip: its memory is unmapped, and it cannot be started.
    let outside = CoreId::from_row_col(40, 8);
    assert!(matches!(
        chip.write(GlobalAddr::on_core(outside, 0x100), &[1, 2, 3, 4]),
        Err(ChipError::Unmapped { .. })
    ));
    assert!(matches!(
        chip.read_word(GlobalAddr::on_core(outside, reg::COREID)),
        Err(ChipError::Unmapped { .. })
    ));
    match chip.start(&[outside]) {
        Err(ChipError::NoSuchCore { core, board }) => {
            assert_eq!(core, outside);
            assert_eq!(board, "parallella-16");
        }
        other => panic!("starting a core outside the chip: {other:?}"),
    }
    // The neighbour just east of the chip (row 32, col 12) is outside too.
    let east = CoreId::from_row_col(32, 12);
    assert!(matches!(
        chip.read_word(GlobalAddr::on_core(east, 0)),
        Err(ChipError::Unmapped { .. })
    ));

    // A local alias (core id 0) from the host.
    for raw in [0x0000_0000u32, 0x0000_0100, reg::COREID] {
        let local = GlobalAddr::new(raw);
        assert!(
            matches!(chip.write(local, &[1]), Err(ChipError::LocalAlias { .. })),
            "{local}"
        );
        assert!(
            matches!(chip.read(local, &mut [0u8; 4]), Err(ChipError::LocalAlias { .. })),
            "{local}"
        );
        assert!(
            matches!(chip.read_word(local), Err(ChipError::LocalAlias { .. })),
            "{local}"
        );
        assert!(
            matches!(chip.write_word(local, 1), Err(ChipError::LocalAlias { .. })),
            "{local}"
        );
    }

    // Registers: only one aligned word through read_word/write_word.
    let coreid = GlobalAddr::on_core(core, reg::COREID);
    assert!(matches!(
        chip.read(coreid, &mut [0u8; 8]),
        Err(ChipError::RegisterAccess { len: 8, .. })
    ));
    assert!(matches!(
        chip.read(coreid, &mut [0u8; 2]),
        Err(ChipError::RegisterAccess { len: 2, .. })
    ));
    assert!(matches!(
        chip.write(GlobalAddr::on_core(core, reg::CONFIG), &[0u8; 8]),
        Err(ChipError::RegisterAccess { .. })
    ));
    // Even one aligned word goes through write_word/read_word, not write/read.
    assert!(matches!(
        chip.write(GlobalAddr::on_core(core, reg::CONFIG), &[0u8; 4]),
        Err(ChipError::RegisterAccess { .. })
    ));
    assert!(matches!(
        chip.read_word(coreid.add(2)),
        Err(ChipError::RegisterAccess { .. })
    ));
    assert!(matches!(
        chip.write_word(GlobalAddr::on_core(core, reg::CONFIG + 1), 1),
        Err(ChipError::RegisterAccess { .. })
    ));
    // CONFIG was not changed by any of the refused writes.
    assert_eq!(chip.read_word(GlobalAddr::on_core(core, reg::CONFIG)).unwrap(), 0);
}

#[test]
fn reset_zeroes_sram_dram_and_registers() {
    let chip = open("parallella-16");
    let all = cores(chip.as_ref());
    for &core in &all {
        chip.write(GlobalAddr::on_core(core, 0), &[0x5A; 256]).unwrap();
        chip.write(GlobalAddr::on_core(core, SRAM_SIZE - 256), &[0xA5; 256])
            .unwrap();
        chip.write_word(GlobalAddr::on_core(core, reg::IMASK), 0x3FF).unwrap();
    }
    chip.write(GlobalAddr::new(DRAM_BASE), &[0x77; 64]).unwrap();
    chip.reset().unwrap();
    for &core in &all {
        let mut sram = vec![0xFFu8; SRAM_SIZE as usize];
        chip.read(GlobalAddr::on_core(core, 0), &mut sram).unwrap();
        assert!(sram.iter().all(|&b| b == 0), "SRAM of {core} not zeroed");
        assert_eq!(chip.read_word(GlobalAddr::on_core(core, reg::IMASK)).unwrap(), 0);
        assert_eq!(chip.read_word(GlobalAddr::on_core(core, reg::ILAT)).unwrap(), 0);
        // COREID survives a reset.
        assert_eq!(
            chip.read_word(GlobalAddr::on_core(core, reg::COREID)).unwrap(),
            core.raw() as u32
        );
    }
    let mut dram = [0xFFu8; 64];
    chip.read(GlobalAddr::new(DRAM_BASE), &mut dram).unwrap();
    assert_eq!(dram, [0u8; 64]);
    assert!(chip.faults().is_empty());
    let counters = chip.counters().unwrap();
    assert_eq!(counters.len(), 16);
    assert!(counters.iter().all(|c| *c == Default::default()));
    // Memory is usable again after a reset.
    let addr = GlobalAddr::on_core(all[5], 0x100);
    chip.write_word(addr, 42).unwrap();
    assert_eq!(chip.read_word(addr).unwrap(), 42);
}

#[test]
fn opening_parallella_64_is_cheap() {
    let board = Board::load("parallella-64").unwrap();
    for _ in 0..50 {
        let chip = SimChip::new(board.clone()).unwrap();
        assert_eq!(chip.board().num_cores(), 64);
        let nw = GlobalAddr::on_core(CoreId::from_row_col(32, 8), reg::COREID);
        assert_eq!(chip.read_word(nw).unwrap(), 0x808);
    }
}
