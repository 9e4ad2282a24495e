//! End-to-end tests across ecsp crates live in `tests/`.
