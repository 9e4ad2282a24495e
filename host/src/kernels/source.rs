//! The C runtime's sources, carried inside ecsp so that kernels can be
//! compiled at run time on a machine without ecsp's source tree: the
//! headers a kernel includes, the runtime a simulator's kernel object
//! links, and what a device image is built from. Written out once per
//! content into the cache (`cache::Cache::runtime_dir`).

/// `(path relative to the runtime's root, contents)` of every file.
pub const FILES: &[(&str, &str)] = &[
    (
        "include/ecsp/kernel.h",
        include_str!("../../../device/c/include/ecsp/kernel.h"),
    ),
    (
        "include/ecsp/check.h",
        include_str!("../../../device/c/include/ecsp/check.h"),
    ),
    (
        "include/ecsp/protocol.h",
        include_str!("../../../device/c/include/ecsp/protocol.h"),
    ),
    (
        "include/ecsp/hal.h",
        include_str!("../../../device/c/include/ecsp/hal.h"),
    ),
    (
        "include/ecsp/runtime.h",
        include_str!("../../../device/c/include/ecsp/runtime.h"),
    ),
    ("src/channel.c", include_str!("../../../device/c/src/channel.c")),
    ("src/barrier.c", include_str!("../../../device/c/src/barrier.c")),
    ("src/procs.c", include_str!("../../../device/c/src/procs.c")),
    ("src/executor.c", include_str!("../../../device/c/src/executor.c")),
    ("src/kernel.c", include_str!("../../../device/c/src/kernel.c")),
    ("silicon/crt0.S", include_str!("../../../device/c/silicon/crt0.S")),
    ("silicon/main.c", include_str!("../../../device/c/silicon/main.c")),
    ("silicon/divide.c", include_str!("../../../device/c/silicon/divide.c")),
    ("silicon/switch.S", include_str!("../../../device/c/silicon/switch.S")),
    ("silicon/ecsp.ld", include_str!("../../../device/c/silicon/ecsp.ld")),
];

/// The runtime sources a simulated kernel's object links (the channel,
/// barrier and kernel runtime over the simulator's HAL).
pub const SIM_SOURCES: &[&str] = &["src/channel.c", "src/barrier.c", "src/kernel.c"];
