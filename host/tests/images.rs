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
    let spec = || ImageSpec {
        kinds: generate,
        dtypes: u32_dtype,
        kernels: vec![(0x100, kinds("tests/kernels/double.c")[0].clone())],
    };
    let with_kernel = build(&cache(), &spec()).unwrap();
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
    let again = build(&cache(), &spec()).unwrap();
    assert!(again.cached && again.path == with_kernel.path);
}

#[test]
fn a_kernel_declaring_too_little_stack_is_refused_naming_what_it_needs() {
    if !compiler() {
        return;
    }
    let file = KernelFile::from_source(
        "/tmp/ecsp-test-greedy.c",
        "#include <ecsp/kernel.h>\n\
         ECSP_KERNEL(greedy, \"keeps a big array on its stack\", IN(x, f32, 64), OUT(y, f32), STACK(256)) {\n\
             float v[64][4];\n\
             while (ecsp_read(x, v[0])) { for (int i = 1; i < 4; i++) for (int j = 0; j < 64; j++) v[i][j] = v[i-1][j] * 2; ecsp_write(y, &v[3][7]); }\n\
         }\n",
    )
    .unwrap();
    let kind = Arc::new(UserKind::of_file(&file).remove(0));
    let spec = ImageSpec {
        kinds: 0,
        dtypes: 0,
        kernels: vec![(0x100, kind)],
    };
    let image = build(&cache(), &spec).unwrap();
    let core = ecsp_device::addr::CoreId::from_row_col(32, 8);
    let e = ecsp_host::kernels::image::check_fits(core, &spec, &image)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("kernel `greedy` (/tmp/ecsp-test-greedy.c:2) needs "),
        "{e}"
    );
    assert!(e.contains("and declares 256: declare STACK("), "{e}");
}

#[test]
fn a_core_whose_code_does_not_fit_is_refused_naming_its_kinds_and_bytes() {
    if !compiler() {
        return;
    }
    // Every numeric kernel over every dtype, f64 included: more than a core holds.
    let kinds = ["map", "zip", "reduce", "ramp", "mandel"]
        .iter()
        .map(|k| 1u32 << ecsp_device::process::kind_by_name(k).unwrap().0)
        .fold(0, |a, b| a | b);
    let spec = ImageSpec {
        kinds,
        dtypes: 0x7E,
        kernels: Vec::new(),
    };
    let image = build(&cache(), &spec).unwrap();
    assert!(image.code_bytes > CODE_ROOM, "{} bytes", image.code_bytes);
    let core = ecsp_device::addr::CoreId::from_row_col(32, 9);
    let e = ecsp_host::kernels::image::check_fits(core, &spec, &image)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("core 0x809 (row 32, col 9): its image carries map, zip, reduce, ramp, mandel and is "),
        "{e}"
    );
    assert!(
        e.contains(&format!("over the {CODE_ROOM} bytes a core has for code")),
        "{e}"
    );
    assert!(e.ends_with("or use fewer kinds per core"), "{e}");
    // One kind too large for a core: moving processes cannot help.
    let mandel = ecsp_device::process::kind_by_name("mandel").unwrap().0;
    let spec = ImageSpec {
        kinds: 1 << mandel,
        dtypes: 0x7E,
        kernels: Vec::new(),
    };
    let mut image = build(&cache(), &spec).unwrap();
    image.code_bytes = CODE_ROOM + 1;
    let e = ecsp_host::kernels::image::check_fits(core, &spec, &image)
        .unwrap_err()
        .to_string();
    assert!(e.contains("carries mandel and is"), "{e}");
    assert!(
        e.contains("the core runs nothing else, so the kind itself must shrink"),
        "{e}"
    );
}
