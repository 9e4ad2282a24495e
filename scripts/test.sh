#!/usr/bin/env bash
# Runs every ecsp test: formatting, lints, then unit, integration and doc
# tests of the whole workspace. Used by CI (.ci/run) and by developers alike.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
