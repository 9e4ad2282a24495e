//! The flagship demo: the prime sieve pipeline over every core agrees with
//! the host's own sieve on both Parallella boards.

use ecsp_host::apps::demo::{primes_up_to, run_demo};
use ecsp_host::board::Board;
use ecsp_host::sim::SimChip;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

fn demo_output(board: &str, limit: u32) -> String {
    let chip = SimChip::new(Board::load(board).unwrap()).unwrap();
    let mut out = Vec::<u8>::new();
    run_demo(&chip, limit, TIMEOUT, &mut out).unwrap_or_else(|e| panic!("demo on {board}: {e}"));
    String::from_utf8(out).expect("the demo prints UTF-8")
}

#[test]
fn host_sieve_counts_the_primes() {
    assert_eq!(primes_up_to(100).len(), 25);
    assert_eq!(primes_up_to(100).last(), Some(&97));
    assert_eq!(primes_up_to(2), vec![2]);
    assert!(primes_up_to(1).is_empty());
    assert_eq!(primes_up_to(1000).len(), 168);
    assert_eq!(primes_up_to(2000).len(), 303);
}

#[test]
fn demo_agrees_on_parallella_16() {
    let out = demo_output("parallella-16", 1000);
    assert!(out.contains("they agree"), "{out}");
    assert!(out.contains("parallella-16"), "{out}");
    // 14 sieves hold the first 14 primes, the rest reach the consumer.
    assert!(out.contains("holds prime   43"), "{out}");
    assert!(out.contains("168 primes"), "{out}");
}

#[test]
fn demo_agrees_on_parallella_64() {
    let out = demo_output("parallella-64", 1000);
    assert!(out.contains("they agree"), "{out}");
    assert!(out.contains("parallella-64"), "{out}");
    assert!(out.contains("168 primes"), "{out}");
}

#[test]
fn demo_refuses_a_limit_below_two() {
    let chip = SimChip::new(Board::default()).unwrap();
    let mut out = Vec::<u8>::new();
    let e = run_demo(&chip, 1, TIMEOUT, &mut out).unwrap_err();
    assert!(e.to_string().contains("--limit 1"), "{e}");
}
