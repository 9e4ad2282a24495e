#!/usr/bin/env bash
# Runs every ecsp test: formatting, lints, then unit, integration and doc
# tests of the whole workspace. Used by CI (.ci/run) and by developers alike.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The Python package: built and installed by pip into a venv of its own (as a
# user would, through maturin with the locked dependencies), then its pytest
# suite, every test under a timeout (pytest-timeout, python/pyproject.toml).
python3 -m venv target/venv
target/venv/bin/python -m pip install --quiet --disable-pip-version-check ./python pytest pytest-timeout mypy numpy hypothesis
target/venv/bin/python -m pytest python/tests -q -p no:cacheprovider
# The package's inline types check, and the extension's stub (_ecsp.pyi)
# matches the installed extension module.
target/venv/bin/python -m mypy --cache-dir target/mypy python/ecsp
target/venv/bin/python -m mypy.stubtest --mypy-config-file python/pyproject.toml ecsp._ecsp
# The loom models: the channel protocol and the barriers (device), the simulator's
# scheduling word and its host-event handshake (host). Their own target directory keeps the `--cfg loom`
# build from invalidating the normal one; two preemptions keep the
# exploration to seconds while covering every ordering they use.
export RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=2
cargo test -p ecsp-device --test loom_channels --release --locked
cargo test -p ecsp-device --test loom_barrier --release --locked
cargo test -p ecsp-host --lib --release --locked loom_
