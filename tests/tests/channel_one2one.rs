//! One-to-one channels end to end: messages are neither lost, duplicated nor
//! reordered, for every capacity, placement, message type and thread count,
//! and the protocol's cost is what DESIGN.md section 3 promises: no remote
//! reads at all, and five remote writes per cross-core message (payload,
//! counter, ILATST to the reader; acknowledgement, ILATST to the writer).

use ecsp_device::message::Dtype;
use ecsp_host::board::Board;
use ecsp_host::chip::{Chip, CoreCounters};
use ecsp_host::network::Network;
use ecsp_host::plan::{plan, Placement};
use ecsp_host::run::{run, RunReport};
use ecsp_host::sim::{SimChip, SimOptions};
use std::time::Duration;

/// Every run gets this long before it is abandoned as a hang.
const TIMEOUT: Duration = Duration::from_secs(30);

const CAPACITIES: [u32; 4] = [0, 1, 3, 16];
const DTYPES: [Dtype; 3] = [Dtype::U32, Dtype::I64, Dtype::F64];

/// Where the four processes of the pipeline go.
#[derive(Debug, Clone, Copy)]
enum Layout {
    /// One process per core.
    Spread,
    /// Everything on one core.
    Packed,
    /// `generate` and the first `id` pinned together on one core, the second
    /// `id` pinned to another, `consume` placed by Spread (the first core).
    Mixed,
}

const LAYOUTS: [Layout; 3] = [Layout::Spread, Layout::Packed, Layout::Mixed];

fn chip(threads: usize) -> SimChip {
    SimChip::with_options(
        Board::default(),
        SimOptions {
            threads: Some(threads),
            ..SimOptions::default()
        },
    )
    .expect("open a simulated parallella-16")
}

/// generate(1..=n, then close) -> id -> id -> consume(until closed).
fn pipeline(dtype: Dtype, capacity: u32, n: u64, layout: Layout) -> Network {
    let mut net = Network::new();
    let c0 = net.channel("c0", dtype, capacity).unwrap();
    let c1 = net.channel("c1", dtype, capacity).unwrap();
    let c2 = net.channel("c2", dtype, capacity).unwrap();
    let gen = net
        .process("gen", "generate", &[], &[c0], &[("start", 1), ("count", n as i64)])
        .unwrap();
    let id1 = net.process("id1", "id", &[c0], &[c1], &[]).unwrap();
    let id2 = net.process("id2", "id", &[c1], &[c2], &[]).unwrap();
    net.process("sink", "consume", &[c2], &[], &[("count", -1)]).unwrap();
    if let Layout::Mixed = layout {
        net.pin(gen, 1, 2);
        net.pin(id1, 1, 2);
        net.pin(id2, 3, 0);
    }
    net
}

fn summed(counters: &[CoreCounters]) -> CoreCounters {
    let mut total = CoreCounters::default();
    for c in counters {
        total.add(c);
    }
    total
}

/// Runs the pipeline and checks every message arrived once, in order, and
/// that the traffic counters match the protocol exactly.
fn check(chip: &SimChip, dtype: Dtype, capacity: u32, layout: Layout, n: u64) -> RunReport {
    let what = format!(
        "{dtype:?}, capacity {capacity}, {layout:?}, {} threads, n {n}",
        chip.threads()
    );
    let net = pipeline(dtype, capacity, n, layout);
    let placement = match layout {
        Layout::Packed => Placement::Packed,
        Layout::Spread | Layout::Mixed => Placement::Spread,
    };
    let plan = plan(&net, chip.board(), placement, &|k, d| chip.state_layout(k, d))
        .unwrap_or_else(|e| panic!("{what}: plan failed: {e}"));
    let distinct_cores = plan.cores.len();
    match layout {
        Layout::Spread => assert_eq!(distinct_cores, 4, "{what}"),
        Layout::Packed => assert_eq!(distinct_cores, 1, "{what}"),
        Layout::Mixed => assert_eq!(distinct_cores, 3, "{what}"),
    }
    let report = run(chip, &net, &plan, TIMEOUT).unwrap_or_else(|e| panic!("{what}: run failed: {e}"));

    let gen = report.process("gen").unwrap();
    assert!(gen.finished, "{what}: generate did not finish");
    assert_eq!(gen.value, n, "{what}: generate's count");
    let sink = report.process("sink").unwrap();
    assert!(sink.finished, "{what}: consume did not finish");
    // The count catches lost and duplicated messages and a close that
    // overtook messages (they would be lost); the sum catches wrong values.
    assert_eq!(sink.value, n, "{what}: messages received");
    assert_eq!(
        sink.aux as i64,
        (n * (n + 1) / 2) as i64,
        "{what}: sum of the messages received"
    );

    // Counters, straight from the chip (the run resets them at its start).
    let counters = chip.counters().expect("the simulator counts traffic");
    let total = summed(&counters);
    assert_eq!(
        Some(total),
        report.total_counters(),
        "{what}: the report's counters are the chip's"
    );
    assert_eq!(total.remote_reads, 0, "{what}: every poll must be local");
    assert_eq!(total.remote_read_bytes, 0, "{what}");
    // Every channel carries n values, then its writer closes it.
    let cross_channels = net
        .channels()
        .iter()
        .filter(|c| plan.assignment[c.writers[0].0 .0] != plan.assignment[c.readers[0].0 .0])
        .count() as u64;
    assert_eq!(
        total.remote_writes,
        cross_channels * (5 * n + 2),
        "{what}: remote writes for {cross_channels} cross-core channels of {n} messages \
         (payload, counter, ILATST, ack, ILATST each) and a close (state, ILATST)"
    );
    if let Layout::Packed = layout {
        assert_eq!(total.remote_writes, 0, "{what}: one core, nothing crosses the mesh");
        assert_eq!(total.remote_write_bytes, 0, "{what}");
    }
    report
}

#[test]
fn no_loss_duplication_or_reordering_across_the_matrix() {
    const N: u64 = 1000;
    for threads in [1, 2] {
        let chip = chip(threads);
        for dtype in DTYPES {
            for capacity in CAPACITIES {
                for layout in LAYOUTS {
                    check(&chip, dtype, capacity, layout, N);
                }
            }
        }
    }
}

#[test]
fn a_longer_stream_through_every_capacity() {
    const N: u64 = 20_000;
    let chip = chip(2);
    for capacity in CAPACITIES {
        check(&chip, Dtype::U32, capacity, Layout::Spread, N);
    }
}

#[test]
fn rendezvous_over_distinct_cores_costs_five_remote_writes_per_message() {
    const N: u64 = 1000;
    for threads in [1, 2] {
        let chip = chip(threads);
        let report = check(&chip, Dtype::U32, 0, Layout::Spread, N);
        let total = report.total_counters().unwrap();
        // Three channels, each crossing cores, each carrying N values and a close.
        assert_eq!(total.remote_writes, 3 * (5 * N + 2), "{threads} threads");
        assert_eq!(total.remote_reads, 0, "{threads} threads");
        // Per core: the generator only writes to id1 (payload, counter,
        // ILATST; then state, ILATST to close); the consumer only
        // acknowledges (ack, ILATST); each id does both.
        let by_name = |name: &str| {
            let core = report.process(name).unwrap().core;
            let board = chip.board();
            let index = (core.row() - board.first_row) * board.cols + (core.col() - board.first_col);
            report.counters.as_ref().unwrap()[index as usize]
        };
        assert_eq!(by_name("gen").remote_writes, 3 * N + 2, "{threads} threads");
        assert_eq!(by_name("id1").remote_writes, 5 * N + 2, "{threads} threads");
        assert_eq!(by_name("id2").remote_writes, 5 * N + 2, "{threads} threads");
        assert_eq!(by_name("sink").remote_writes, 2 * N, "{threads} threads");

        let packed = check(&chip, Dtype::U32, 0, Layout::Packed, N);
        let total = packed.total_counters().unwrap();
        assert_eq!(total.remote_writes, 0, "{threads} threads");
        assert_eq!(total.remote_reads, 0, "{threads} threads");
    }
}

#[test]
fn many_short_runs_on_the_same_chips() {
    const RUNS: usize = 200;
    const N: u64 = 40;
    let chips = [chip(1), chip(2)];
    for i in 0..RUNS {
        let chip = &chips[i % 2];
        let capacity = CAPACITIES[(i / 2) % CAPACITIES.len()];
        let layout = LAYOUTS[(i / 8) % LAYOUTS.len()];
        let dtype = DTYPES[(i / 24) % DTYPES.len()];
        check(chip, dtype, capacity, layout, N);
    }
}
