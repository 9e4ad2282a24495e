//! Byte views of Python objects through the buffer protocol (PEP 3118): a
//! batch of messages moves between a numpy array (or any other exporter:
//! `bytes`, `bytearray`, `array.array`, `memoryview`) and a host channel
//! without a copy in between.
//!
//! The extension is built for the stable ABI of CPython 3.9 (pyo3's
//! `abi3-py39`), whose limited API leaves the buffer protocol out until
//! 3.11, so pyo3 compiles `pyo3::buffer` out. The struct and the two
//! functions are declared here instead, as mpi4py does for its abi3
//! builds: CPython exports both functions from every 3.x release, and the
//! struct's layout, unchanged since 3.3, is the one 3.11 froze into the
//! stable ABI.
//!
//! Only C-contiguous exporters are taken (`PyBUF_SIMPLE`): a numpy array
//! that is a strided view is refused by numpy itself, and the Python layer
//! (`ecsp/_batch.py`) makes a contiguous copy before it gets here.

use pyo3::ffi;
use pyo3::prelude::*;
use std::ffi::{c_char, c_int, c_void};
use std::marker::PhantomData;

/// CPython's `Py_buffer` (Include/pybuffer.h), field for field.
#[repr(C)]
struct RawBuffer {
    buf: *mut c_void,
    obj: *mut ffi::PyObject,
    len: ffi::Py_ssize_t,
    itemsize: ffi::Py_ssize_t,
    readonly: c_int,
    ndim: c_int,
    format: *mut c_char,
    shape: *mut ffi::Py_ssize_t,
    strides: *mut ffi::Py_ssize_t,
    suboffsets: *mut ffi::Py_ssize_t,
    internal: *mut c_void,
}

// Resolved against the interpreter that loads the module (the
// `extension-module` feature), or against libpython in the crate's own
// builds, as every other CPython function pyo3 calls.
extern "C" {
    fn PyObject_GetBuffer(obj: *mut ffi::PyObject, view: *mut RawBuffer, flags: c_int) -> c_int;
    fn PyBuffer_Release(view: *mut RawBuffer);
}

/// A contiguous buffer, no format or shape asked for.
const PYBUF_SIMPLE: c_int = 0;
/// ... that the caller may write.
const PYBUF_WRITABLE: c_int = 0x0001;

/// The bytes of an object that exports them, held (and the exporter's
/// memory pinned: a numpy array cannot be resized meanwhile) until drop.
/// It lives only inside one call from Python; its slices are borrowed only
/// while that call holds the GIL and runs no Python code (it may let the
/// GIL go in between, to wait, but holds no slice then), so nothing else
/// touches the bytes while they are borrowed.
pub(crate) struct ByteView<'py> {
    raw: RawBuffer,
    writable: bool,
    /// Tied to the GIL token of the call that made it.
    _py: PhantomData<Python<'py>>,
}

impl<'py> ByteView<'py> {
    /// The bytes of `obj`, read-only.
    pub(crate) fn of(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        Self::get(obj, false)
    }

    /// The bytes of `obj`, to write into; a read-only exporter (`bytes`)
    /// raises BufferError.
    pub(crate) fn of_mut(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        Self::get(obj, true)
    }

    fn get(obj: &Bound<'py, PyAny>, writable: bool) -> PyResult<Self> {
        let mut raw = RawBuffer {
            buf: std::ptr::null_mut(),
            obj: std::ptr::null_mut(),
            len: 0,
            itemsize: 0,
            readonly: 0,
            ndim: 0,
            format: std::ptr::null_mut(),
            shape: std::ptr::null_mut(),
            strides: std::ptr::null_mut(),
            suboffsets: std::ptr::null_mut(),
            internal: std::ptr::null_mut(),
        };
        let flags = if writable { PYBUF_WRITABLE } else { PYBUF_SIMPLE };
        // SAFETY: `obj` is a live object (a Bound holds a reference) and the
        // GIL is held; `raw` is a writable Py_buffer the call fills in.
        if unsafe { PyObject_GetBuffer(obj.as_ptr(), &mut raw, flags) } != 0 {
            return Err(PyErr::fetch(obj.py()));
        }
        debug_assert!(raw.len >= 0 && (raw.len == 0 || !raw.buf.is_null()));
        Ok(ByteView {
            raw,
            writable,
            _py: PhantomData,
        })
    }

    /// The number of bytes.
    pub(crate) fn len(&self) -> usize {
        self.raw.len as usize
    }

    /// The bytes. Hold the slice only while the GIL is held and no Python
    /// code runs (see [`ByteView`]).
    pub(crate) fn as_slice(&self) -> &[u8] {
        if self.raw.len == 0 {
            return &[];
        }
        // SAFETY: (1) a SIMPLE (or WRITABLE) request yields `len` contiguous
        // bytes at `buf`, valid until PyBuffer_Release in drop; (2) no Python
        // code runs while the borrow lives (the callers hold the GIL and call
        // none meanwhile), so the exporter's owner cannot write them.
        unsafe { std::slice::from_raw_parts(self.raw.buf.cast::<u8>(), self.len()) }
    }

    /// The bytes, to write into; held as [`ByteView::as_slice`]'s.
    ///
    /// # Panics
    /// When the view was made read-only ([`ByteView::of`]).
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        assert!(self.writable, "a read-only byte view cannot be written");
        if self.raw.len == 0 {
            return &mut [];
        }
        // SAFETY: as in `as_slice`, and the exporter granted a writable view
        // (PYBUF_WRITABLE); `&mut self` keeps this the only borrow of it.
        unsafe { std::slice::from_raw_parts_mut(self.raw.buf.cast::<u8>(), self.len()) }
    }
}

impl Drop for ByteView<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` was filled by a successful PyObject_GetBuffer and is
        // released once, with the GIL held (the view cannot outlive 'py).
        unsafe { PyBuffer_Release(&mut self.raw) }
    }
}
