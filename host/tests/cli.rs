//! The `ecsp` command as a user runs it: output formats, exit codes, and
//! one-line errors.

use std::path::PathBuf;
use std::process::{Command, Output};

fn ecsp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecsp"))
        .args(args)
        .output()
        .expect("run the ecsp binary")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("UTF-8 stderr")
}

/// Runs `args`, checks it succeeded, and returns its stdout.
fn ok(args: &[&str]) -> String {
    let out = ecsp(args);
    assert!(
        out.status.success(),
        "ecsp {args:?} failed ({}):\n{}",
        out.status,
        stderr(&out)
    );
    stdout(&out)
}

/// A temporary file removed on drop.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_file(stem: &str, ext: &str, contents: &str) -> TempFile {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let path = std::env::temp_dir().join(format!("{stem}-{}-{nanos}.{ext}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    TempFile(path)
}

#[test]
fn boards_json_lists_both_parallellas() {
    let text = ok(&["boards", "--json"]);
    let boards: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let boards = boards.as_array().expect("a JSON array");
    for (name, cores) in [("parallella-16", 16), ("parallella-64", 64)] {
        let b = boards
            .iter()
            .find(|b| b["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {text}"));
        assert_eq!(b["first_core_id"], 0x808, "{name}");
        assert_eq!(b["first_core_id"], 2056, "{name}");
        assert_eq!(b["dram_base"], 0x8e00_0000u32, "{name}");
        assert_eq!(b["dram_base_hex"], "0x8e000000", "{name}");
        assert_eq!(b["num_cores"], cores, "{name}");
    }
}

#[test]
fn boards_table_names_both_parallellas() {
    let text = ok(&["boards"]);
    assert!(
        text.contains("parallella-16") && text.contains("parallella-64"),
        "{text}"
    );
}

#[test]
fn commstime_json_has_every_field_and_no_remote_reads() {
    for placement in ["spread", "packed"] {
        let text = ok(&[
            "bench",
            "commstime",
            "--iterations",
            "2000",
            "--placement",
            placement,
            "--timeout",
            "30",
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
        let obj = v.as_object().expect("a JSON object");
        for key in [
            "board",
            "placement",
            "iterations",
            "ns_per_comm",
            "remote_writes_per_comm",
            "remote_reads_per_comm",
        ] {
            assert!(obj.contains_key(key), "{placement}: no `{key}` in {text}");
        }
        assert_eq!(v["board"], "parallella-16", "{text}");
        assert_eq!(v["placement"], placement, "{text}");
        assert_eq!(v["iterations"], 2000, "{text}");
        assert!(v["ns_per_comm"].as_f64().is_some(), "{text}");
        assert_eq!(v["remote_reads_per_comm"].as_f64(), Some(0.0), "{text}");
        let writes = v["remote_writes_per_comm"].as_f64().expect("a number");
        if placement == "packed" {
            assert_eq!(writes, 0.0, "one core: nothing crosses the mesh: {text}");
        } else {
            assert!(writes > 0.0, "{text}");
        }
    }
}

#[test]
fn commstime_text_output() {
    let text = ok(&["bench", "commstime", "--iterations", "500", "--timeout", "30"]);
    assert!(text.contains("ns per communication"), "{text}");
    assert!(text.contains("remote reads per comm"), "{text}");
}

#[test]
fn an_unknown_board_is_one_line_on_stderr() {
    let out = ecsp(&["bench", "commstime", "--board", "nosuch", "--iterations", "10"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("nosuch"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.to_lowercase().contains("backtrace"), "{err}");
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}

#[test]
fn a_user_board_file_works() {
    let text = include_str!("../../boards/parallella-16.hdf");
    let file = temp_file("ecsp-cli-user-board", "hdf", text);
    let path = file.0.to_str().unwrap();
    let out = ok(&[
        "bench",
        "commstime",
        "--board",
        path,
        "--iterations",
        "500",
        "--timeout",
        "30",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["iterations"], 500, "{out}");
    assert_eq!(v["remote_reads_per_comm"].as_f64(), Some(0.0), "{out}");
    let demo = ok(&["demo", "--board", path, "--limit", "500", "--timeout", "30"]);
    assert!(demo.contains("they agree"), "{demo}");
}

#[test]
fn a_bad_board_file_is_one_line_naming_the_file() {
    let file = temp_file("ecsp-cli-bad-board", "hdf", "CHIP E99\n");
    let path = file.0.to_str().unwrap();
    let out = ecsp(&["bench", "commstime", "--board", path, "--iterations", "10"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(&format!("{path}:1")), "names the file and line: {err}");
    assert!(err.contains("E99"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn demo_agrees() {
    let out = ok(&["demo"]);
    assert!(out.contains("they agree"), "{out}");
}

#[test]
fn zero_iterations_is_an_error_not_a_panic() {
    let out = ecsp(&["bench", "commstime", "--iterations", "0"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("--iterations"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// The repository's example network files.
fn example(name: &str) -> String {
    format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn run_and_plan_a_network_file() {
    let text = ok(&["run", &example("fan_in.toml"), "--timeout", "30"]);
    assert!(text.contains("sum"), "{text}");
    // 1..=4000 from the shared channel's four writers plus 1..=500.
    assert!(text.contains("8127250"), "every value reached the sum: {text}");
    let json = ok(&["run", &example("commstime.toml"), "--seed", "5", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(v["seed"], 5);
    let consume = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "consume")
        .unwrap();
    assert_eq!(consume["value"], 100_000, "{json}");
    assert_eq!(v["remote_reads"], 0, "{json}");
    let plan = ok(&["plan", &example("commstime.toml")]);
    assert!(plan.contains("free") && plan.contains("consume"), "{plan}");
    let plan = ok(&["plan", &example("commstime.toml"), "--json", "--placement", "packed"]);
    let v: serde_json::Value = serde_json::from_str(&plan).unwrap();
    // Consume is pinned to (3,3); packed puts the other three on (0,0).
    assert_eq!(v["cores"].as_array().unwrap().len(), 2, "{plan}");
}

#[test]
fn network_file_mistakes_are_one_line_errors() {
    let bad_kind = temp_file(
        "bad-kind",
        "toml",
        "[[channel]]\nname = \"a\"\ndtype = \"u32\"\n[[process]]\nname = \"g\"\nkind = \"gen\"\noutputs = [\"a\"]\n",
    );
    let too_big = temp_file(
        "too-big",
        "toml",
        "[[channel]]\nname = \"a\"\ndtype = \"f64\"\ncapacity = 1024\n[[channel]]\nname = \"b\"\ndtype = \"f64\"\ncapacity = 1024\n[[channel]]\nname = \"c\"\ndtype = \"f64\"\ncapacity = 1024\n\
         [[process]]\nname = \"g\"\nkind = \"generate\"\noutputs = [\"a\"]\ncore = [0, 0]\n\
         [[process]]\nname = \"i\"\nkind = \"id\"\ninputs = [\"a\"]\noutputs = [\"b\"]\ncore = [0, 0]\n\
         [[process]]\nname = \"j\"\nkind = \"id\"\ninputs = [\"b\"]\noutputs = [\"c\"]\ncore = [0, 0]\n\
         [[process]]\nname = \"s\"\nkind = \"consume\"\ninputs = [\"c\"]\ncore = [0, 0]\n",
    );
    let pin = temp_file(
        "pin",
        "toml",
        "[[channel]]\nname = \"a\"\ndtype = \"u32\"\n[[process]]\nname = \"g\"\nkind = \"generate\"\noutputs = [\"a\"]\ncore = [4, 0]\n\
         [[process]]\nname = \"s\"\nkind = \"consume\"\ninputs = [\"a\"]\n",
    );
    let deadlock = temp_file(
        "deadlock",
        "toml",
        "[[channel]]\nname = \"a\"\ndtype = \"u32\"\n[[channel]]\nname = \"b\"\ndtype = \"u32\"\n\
         [[process]]\nname = \"x\"\nkind = \"id\"\ninputs = [\"a\"]\noutputs = [\"b\"]\n\
         [[process]]\nname = \"y\"\nkind = \"sieve\"\ninputs = [\"b\"]\noutputs = [\"a\"]\n",
    );
    let cases = [
        (vec!["run", bad_kind.0.to_str().unwrap()], "unknown kind `gen`"),
        (vec!["plan", too_big.0.to_str().unwrap()], "does not fit"),
        (vec!["plan", pin.0.to_str().unwrap()], "outside the 4x4 chip"),
        (vec!["run", deadlock.0.to_str().unwrap(), "--seed", "1"], "deadlock"),
        (vec!["run", "/nonexistent/net.toml"], "/nonexistent/net.toml"),
    ];
    for (args, expected) in cases {
        let out = ecsp(&args);
        assert!(!out.status.success(), "ecsp {args:?} should fail");
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.contains(expected), "ecsp {args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn run_feeds_host_inputs_and_prints_host_outputs() {
    let args = [
        "run",
        &example("squares.toml"),
        "--feed",
        &format!("in={}", example("squares.in")),
    ];
    let text = ok(&args);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("out ")).collect();
    assert_eq!(lines, ["out 30", "out 1"], "{text}");
    // The same in deterministic mode, as JSON.
    let mut json_args = args.to_vec();
    json_args.extend(["--seed", "3", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&ok(&json_args)).unwrap();
    assert_eq!(v["outputs"]["out"], serde_json::json!(["30", "1"]));
}

#[test]
fn feed_mistakes_are_one_line_errors() {
    let bad_value = temp_file("bad-value", "txt", "1 2 3\n");
    let squares = example("squares.toml");
    let cases = [
        (
            vec!["run".to_string(), squares.clone()],
            "channel `in` has no writer among the processes: feed it with --feed in=FILE",
        ),
        (
            vec![
                "run".into(),
                squares.clone(),
                "--feed".into(),
                format!("in={}", bad_value.0.display()),
            ],
            ":1: channel `in` (f32[4]): 3 values where a f32[4] message has 4",
        ),
        (
            vec!["run".into(), squares.clone(), "--feed".into(), "nope=x".into()],
            "the network has no channel `nope`",
        ),
        (
            vec!["run".into(), squares.clone(), "--feed".into(), "sq=x".into()],
            "channel `sq` is written by process `square`",
        ),
        (
            vec!["run".into(), squares.clone(), "--feed".into(), "in".into()],
            "give CHANNEL=FILE",
        ),
        (
            vec!["run".into(), squares, "--feed".into(), "in=/nonexistent/in.txt".into()],
            "cannot read /nonexistent/in.txt",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = ecsp(&args);
        assert!(!out.status.success(), "ecsp {args:?} should fail");
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.contains(expected), "ecsp {args:?}: {err}");
    }
}

#[test]
fn host_channel_bench_json_has_both_directions_per_size() {
    let json = ok(&[
        "bench",
        "host-channel",
        "--sizes",
        "4,4096",
        "--messages",
        "200",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "{json}");
    for (r, (direction, bytes)) in results.iter().zip([
        ("host_to_device", 4),
        ("device_to_host", 4),
        ("host_to_device", 4096),
        ("device_to_host", 4096),
    ]) {
        assert_eq!(
            (r["direction"].as_str().unwrap(), r["msg_bytes"].as_u64().unwrap()),
            (direction, bytes)
        );
        assert!(r["bytes_per_second"].as_f64().unwrap() > 0.0, "{json}");
        assert_eq!(r["messages"], 200);
    }
    let json = ok(&[
        "bench",
        "host-channel",
        "--sizes",
        "64",
        "--messages",
        "500",
        "--threads",
        "1",
        "--idle",
        "spin",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(
        (v["idle"].as_str(), v["host_threads"].as_u64()),
        (Some("spin"), Some(1)),
        "{json}"
    );
    let out = ecsp(&["bench", "commstime", "--seed", "3", "--idle", "spin"]);
    assert!(
        stderr(&out).contains("--idle applies to the threaded mode"),
        "{}",
        stderr(&out)
    );
    let out = ecsp(&["bench", "host-channel", "--sizes", "0"]);
    assert!(
        stderr(&out).contains("message size 0 is outside 1..=4096 bytes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn trace_writes_chrome_trace_json() {
    let path = std::env::temp_dir().join(format!("ecsp-trace-{}.json", std::process::id()));
    let _cleanup = TempFile(path.clone());
    let path_text = path.to_str().unwrap();
    ok(&[
        "run",
        &example("squares.toml"),
        "--feed",
        &format!("in={}", example("squares.in")),
        "--trace",
        path_text,
    ]);
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let names: Vec<&str> = doc["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "square receive in").count(),
        2,
        "{names:?}"
    );
    assert_eq!(names.iter().filter(|n| **n == "sum send out").count(), 2, "{names:?}");
    ok(&[
        "bench",
        "commstime",
        "--iterations",
        "50",
        "--seed",
        "1",
        "--trace",
        path_text,
    ]);
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let sends = doc["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "succ send c")
        .count();
    assert!(sends >= 50, "{sends} sends of succ");
    let out = ecsp(&[
        "bench",
        "commstime",
        "--iterations",
        "10",
        "--trace",
        "/nonexistent/dir/t.json",
    ]);
    assert!(
        stderr(&out).contains("--trace /nonexistent/dir/t.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn kernels_bench_json_times_every_job_both_ways() {
    let json = ok(&[
        "bench",
        "kernels",
        "--messages",
        "200",
        "--rounds",
        "1",
        "--timeout",
        "60",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(v["backend"], "sim", "{json}");
    let jobs: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["job"].as_str().unwrap())
        .collect();
    assert_eq!(
        jobs,
        [
            "map square f32[64]",
            "map square f32[64], capacity 4",
            "mandel f32[64]",
            "commstime"
        ]
    );
    for r in v["results"].as_array().unwrap() {
        let (b, u) = (r["builtin_ns"].as_f64().unwrap(), r["user_ns"].as_f64().unwrap());
        assert!(b > 0.0 && u > 0.0, "{json}");
        assert!((r["ratio"].as_f64().unwrap() - u / b).abs() < 1e-9, "{json}");
    }
    assert!(v["compile"]["cold_ms"].as_f64().unwrap() > 0.0, "{json}");
    assert!(v["image"].is_null(), "{json}");
    let out = ecsp(&["bench", "kernels", "--messages", "0"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--messages 0"), "{}", stderr(&out));
}
