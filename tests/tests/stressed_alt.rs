//! Stressed Alt on the simulator: nothing a writer sent is lost, and the
//! reader's fair select keeps every channel's count close to the mean.

use ecsp_host::apps::stressed_alt::{stressed_alt, StressedAltError};
use ecsp_host::board::Board;
use ecsp_host::sim::{SimChip, SimOptions};
use std::time::Duration;

#[test]
fn fair_and_lossless_on_one_and_two_threads() {
    for threads in [1, 2] {
        let chip = SimChip::with_options(
            Board::default(),
            SimOptions {
                threads: Some(threads),
                ..SimOptions::default()
            },
        )
        .unwrap();
        for (channels, writers) in [(1, 3), (3, 4), (8, 8)] {
            let r = stressed_alt(&chip, channels, writers, 4000, Duration::from_secs(60)).unwrap();
            let what = format!("{threads} threads, {channels}x{writers}");
            assert_eq!(r.selects, 4000, "{what}");
            assert_eq!(r.lost, 0, "{what}: a completed rendezvous send was never received");
            // Every channel always has writers waiting, so the fair select
            // serves them in turn; allow slack for a writer core that lags.
            assert!(r.max_count_deviation_pct < 25.0, "{what}: unfair: {r:?}");
        }
    }
}

#[test]
fn sizes_out_of_range_are_refused_with_the_limit() {
    let chip = SimChip::new(Board::default()).unwrap();
    for (c, w, limit) in [
        (0, 1, "1 to 8"),
        (9, 1, "1 to 8"),
        (1, 0, "1 to 64"),
        (1, 65, "1 to 64"),
    ] {
        match stressed_alt(&chip, c, w, 10, Duration::from_secs(5)) {
            Err(e @ StressedAltError::Size(_)) => assert!(e.to_string().contains(limit), "{e}"),
            other => panic!("{c}x{w}: expected a size error, got {other:?}"),
        }
    }
}
