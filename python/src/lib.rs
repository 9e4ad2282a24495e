//! The `ecsp` Python package's extension module (`ecsp._ecsp`).
//!
//! The pyo3 bindings are not written yet; this crate holds the place the
//! workspace layout gives them (DESIGN.md sections 1 and 8) so that the
//! Python package can grow here without reshaping the workspace.
