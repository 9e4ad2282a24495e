//! Per-core device images built with the Epiphany compiler: what they
//! carry, what they cost, what a kernel's stack needs. Runs when an
//! Epiphany compiler is at hand (ECSP_EPIPHANY_CC, or e-gcc /
//! epiphany-elf-gcc on PATH) and says it was skipped otherwise.

use ecsp_host::kernels::cache::Cache;
use ecsp_host::kernels::compile::Compiler;
use ecsp_host::kernels::image::{build, ImageSpec, CODE_ROOM};
use ecsp_host::kernels::{KernelFile, UserKind};
use std::sync::Arc;

fn compiler() -> bool {
    match Compiler::epiphany() {
        Ok(_) => true,
        Err(e) => {
            eprintln!("skipped: {e}");
            false
        }
    }
}

fn cache() -> Cache {
    Cache::open().unwrap()
}

fn kinds(path: &str) -> Vec<Arc<UserKind>> {
    let file = KernelFile::open(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)).unwrap();
    UserKind::of_file(&file).into_iter().map(Arc::new).collect()
}

#[test]
fn an_image_carries_a_core_s_kinds_and_says_what_it_costs() {
    if !compiler() {
        return;
    }
    let runtime_only = build(
        &cache(),
        &ImageSpec {
            kinds: 0,
            dtypes: 0,
            kernels: Vec::new(),
        },
    )
    .unwrap();
    let generate = 1 << 5;
    let u32_dtype = 1 << 2;
    let with_kernel = build(
        &cache(),
        &ImageSpec {
            kinds: generate,
            dtypes: u32_dtype,
            kernels: vec![(0x100, kinds("tests/kernels/double.c")[0].clone())],
        },
    )
    .unwrap();
    eprintln!(
        "runtime alone {} bytes, with generate and double_it {} bytes, of {CODE_ROOM}",
        runtime_only.code_bytes, with_kernel.code_bytes
    );
    assert!(runtime_only.code_bytes > 1000 && runtime_only.code_bytes < with_kernel.code_bytes);
    assert!(with_kernel.code_bytes < CODE_ROOM);
    let elf = std::fs::read(&with_kernel.path).unwrap();
    assert!(elf.windows(21).any(|w| w == b"ecsp_kernel_double_it"));
    let (name, needed, declared) = with_kernel.stacks[0].clone();
    eprintln!("double_it needs {needed} bytes of stack, declares {declared}");
    assert_eq!(name, "double_it");
    assert!(needed > 88 && needed <= declared, "{needed} {declared}");
    // Cached the second time.
    let again = build(
        &cache(),
        &ImageSpec {
            kinds: generate,
            dtypes: u32_dtype,
            kernels: vec![(0x100, kinds("tests/kernels/double.c")[0].clone())],
        },
    )
    .unwrap();
    assert!(again.cached && again.path == with_kernel.path);
}
