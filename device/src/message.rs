//! Message types: fixed-size, plain-old-data values copied byte for byte.
//!
//! Every channel carries one message type whose size is fixed when the
//! network is built. On the wire a message is its native little-endian bytes
//! (the Epiphany and every host ecsp supports are little-endian).

use bytemuck::Pod;

/// A value that can travel over a channel: plain old data, `Copy`, any bit
/// pattern valid (so a reader never builds an invalid value from bytes).
pub trait Message: Pod + Send + 'static {}

impl<T: Pod + Send + 'static> Message for T {}

/// The element types the built-in processes compute with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Dtype {
    /// 32-bit signed integer.
    I32 = 1,
    /// 32-bit unsigned integer.
    U32 = 2,
    /// 32-bit float.
    F32 = 3,
    /// 64-bit signed integer.
    I64 = 4,
    /// 64-bit float.
    F64 = 5,
    /// Byte: `bytes:N` messages are vectors of it.
    U8 = 6,
}

impl Dtype {
    /// The word a real parameter travels in to a process computing with
    /// this type: `v` converted as Rust's `as` converts an `f64` (rounding
    /// toward zero and saturating for integers, NaN to 0; rounding to
    /// nearest for `f32`), its little-endian bytes in the word's low bytes,
    /// the rest zero. Converted on the host, so a device image needs no
    /// double-precision arithmetic for kernels over other types
    /// (PROTOCOL.md, "Parameters").
    pub fn real_param_bits(self, v: f64) -> u64 {
        match self {
            Dtype::I32 => u64::from(v as i32 as u32),
            Dtype::U32 => u64::from(v as u32),
            Dtype::U8 => u64::from(v as u8),
            Dtype::I64 => v as i64 as u64,
            Dtype::F32 => u64::from((v as f32).to_bits()),
            Dtype::F64 => v.to_bits(),
        }
    }

    /// Every scalar type, in wire-code order.
    pub const ALL: [Dtype; 6] = [Dtype::I32, Dtype::U32, Dtype::F32, Dtype::I64, Dtype::F64, Dtype::U8];

    /// Bytes per value.
    pub const fn size(self) -> u32 {
        match self {
            Dtype::I32 | Dtype::U32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::F64 => 8,
            Dtype::U8 => 1,
        }
    }

    /// The name used in network descriptions (`"i32"`...).
    pub const fn name(self) -> &'static str {
        match self {
            Dtype::I32 => "i32",
            Dtype::U32 => "u32",
            Dtype::F32 => "f32",
            Dtype::I64 => "i64",
            Dtype::F64 => "f64",
            Dtype::U8 => "u8",
        }
    }

    /// Parses a name as written by [`Dtype::name`].
    pub fn from_name(name: &str) -> Option<Dtype> {
        Dtype::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Decodes the code stored in a boot table.
    pub const fn from_code(code: u32) -> Option<Dtype> {
        match code {
            1 => Some(Dtype::I32),
            2 => Some(Dtype::U32),
            3 => Some(Dtype::F32),
            4 => Some(Dtype::I64),
            5 => Some(Dtype::F64),
            6 => Some(Dtype::U8),
            _ => None,
        }
    }
}

/// What one message of a channel is: `len` values of `dtype`, a scalar when
/// `len` is 1. Fixed when the network is made; the wire size is
/// [`MsgType::size`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MsgType {
    /// The element type.
    pub dtype: Dtype,
    /// Elements per message (1 for a scalar).
    pub len: u32,
}

impl MsgType {
    /// One value of `dtype`.
    pub const fn scalar(dtype: Dtype) -> MsgType {
        MsgType { dtype, len: 1 }
    }

    /// `len` values of `dtype`.
    pub const fn vector(dtype: Dtype, len: u32) -> MsgType {
        MsgType { dtype, len }
    }

    /// `n` raw bytes (`bytes:N`).
    pub const fn bytes(n: u32) -> MsgType {
        MsgType {
            dtype: Dtype::U8,
            len: n,
        }
    }

    /// True for one value.
    pub const fn is_scalar(self) -> bool {
        self.len == 1
    }

    /// Bytes per message, saturating (a size past any limit stays past it).
    pub const fn size(self) -> u32 {
        self.dtype.size().saturating_mul(self.len)
    }

    /// Parses `i32`, `f32[64]` (a vector of 64), `bytes:16` or `u8[16]`.
    /// `None` for anything else, a zero length included.
    pub fn parse(text: &str) -> Option<MsgType> {
        let text = text.trim();
        if let Some(n) = text.strip_prefix("bytes:") {
            let n: u32 = n.trim().parse().ok()?;
            return (n > 0).then_some(MsgType::bytes(n));
        }
        if let Some(open) = text.find('[') {
            let inner = text[open + 1..].strip_suffix(']')?;
            let dtype = Dtype::from_name(text[..open].trim())?;
            let len: u32 = inner.trim().parse().ok()?;
            return (len > 0).then_some(MsgType::vector(dtype, len));
        }
        Dtype::from_name(text).map(MsgType::scalar)
    }
}

impl From<Dtype> for MsgType {
    fn from(dtype: Dtype) -> MsgType {
        MsgType::scalar(dtype)
    }
}

impl core::fmt::Display for MsgType {
    /// As [`MsgType::parse`] reads it: `f32`, `f32[64]`, `bytes:16`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match (self.dtype, self.len) {
            (d, 1) => f.write_str(d.name()),
            (Dtype::U8, n) => write!(f, "bytes:{n}"),
            (d, n) => write!(f, "{}[{n}]", d.name()),
        }
    }
}

/// A scalar the built-in processes can compute with.
pub trait Scalar: Message + PartialEq + PartialOrd {
    /// Its [`Dtype`].
    const DTYPE: Dtype;
    /// Converts from an integer parameter (saturating for floats' range, wrapping for ints).
    fn from_i64(v: i64) -> Self;
    /// Converts from a real parameter (rounding toward zero and saturating
    /// for integers).
    fn from_f64(v: f64) -> Self;
    /// Converts to an integer (truncating floats).
    fn to_i64(self) -> i64;
    /// `self + 1` (wrapping for integers).
    fn succ(self) -> Self;
    /// `self + other` (wrapping for integers).
    fn plus(self, other: Self) -> Self;
    /// `self - other` (wrapping for integers).
    fn minus(self, other: Self) -> Self;
    /// `self * other` (wrapping for integers).
    fn times(self, other: Self) -> Self;
    /// `self / other` (for integers truncating, and 0 when that divides by zero or overflows).
    fn divide(self, other: Self) -> Self;
    /// `-self` (wrapping for integers; unsigned types wrap around).
    fn negate(self) -> Self;
    /// `|self|` (wrapping for the most negative integer).
    fn magnitude(self) -> Self;
    /// The square root; for integers the floor of it, and 0 for negatives.
    fn root(self) -> Self;
    /// The smaller of the two (for floats, NaN loses).
    fn lesser(self, other: Self) -> Self {
        if other < self {
            other
        } else {
            self
        }
    }
    /// The larger of the two (for floats, NaN loses).
    fn greater(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }
    /// Zero.
    fn zero() -> Self {
        Self::from_i64(0)
    }
    /// Decodes a real parameter's word (see [`Dtype::real_param_bits`]).
    fn from_param_bits(bits: u64) -> Self {
        bytemuck::pod_read_unaligned(&bits.to_le_bytes()[..core::mem::size_of::<Self>()])
    }
}

macro_rules! int_scalar {
    ($t:ty, $d:expr) => {
        impl Scalar for $t {
            const DTYPE: Dtype = $d;
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn to_i64(self) -> i64 {
                self as i64
            }
            fn succ(self) -> Self {
                self.wrapping_add(1)
            }
            fn plus(self, other: Self) -> Self {
                self.wrapping_add(other)
            }
            fn minus(self, other: Self) -> Self {
                self.wrapping_sub(other)
            }
            fn times(self, other: Self) -> Self {
                self.wrapping_mul(other)
            }
            fn divide(self, other: Self) -> Self {
                self.checked_div(other).unwrap_or(0 as $t)
            }
            fn negate(self) -> Self {
                (0 as $t).wrapping_sub(self)
            }
            fn magnitude(self) -> Self {
                if self < (0 as $t) {
                    self.negate()
                } else {
                    self
                }
            }
            fn root(self) -> Self {
                if self <= (0 as $t) {
                    return 0 as $t;
                }
                // Integer Newton iteration on u64: exact floor, no float rounding.
                let n = self as u64;
                let mut x = n;
                let mut y = x.div_ceil(2);
                while y < x {
                    x = y;
                    y = (x + n / x) / 2;
                }
                x as $t
            }
        }
    };
}

macro_rules! float_scalar {
    ($t:ty, $d:expr, $sqrt:path) => {
        impl Scalar for $t {
            const DTYPE: Dtype = $d;
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn to_i64(self) -> i64 {
                self as i64
            }
            fn succ(self) -> Self {
                self + 1.0
            }
            fn plus(self, other: Self) -> Self {
                self + other
            }
            fn minus(self, other: Self) -> Self {
                self - other
            }
            fn times(self, other: Self) -> Self {
                self * other
            }
            fn divide(self, other: Self) -> Self {
                self / other
            }
            fn negate(self) -> Self {
                -self
            }
            fn magnitude(self) -> Self {
                if self < 0.0 {
                    -self
                } else {
                    self
                }
            }
            fn root(self) -> Self {
                $sqrt(self)
            }
        }
    };
}

int_scalar!(i32, Dtype::I32);
int_scalar!(u32, Dtype::U32);
int_scalar!(i64, Dtype::I64);
int_scalar!(u8, Dtype::U8);
float_scalar!(f32, Dtype::F32, libm::sqrtf);
float_scalar!(f64, Dtype::F64, libm::sqrt);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Dtype::ALL {
            assert_eq!(Dtype::from_name(d.name()), Some(d));
            assert_eq!(Dtype::from_code(d as u32), Some(d));
        }
        assert_eq!(Dtype::from_name("u16"), None);
    }

    #[test]
    fn message_types_parse_and_print() {
        for (text, msg, size) in [
            ("f32", MsgType::scalar(Dtype::F32), 4),
            ("f32[64]", MsgType::vector(Dtype::F32, 64), 256),
            ("i64[3]", MsgType::vector(Dtype::I64, 3), 24),
            ("bytes:5", MsgType::bytes(5), 5),
        ] {
            assert_eq!(MsgType::parse(text), Some(msg));
            let mut printed = heapless::String::<16>::new();
            core::fmt::Write::write_fmt(&mut printed, format_args!("{msg}")).unwrap();
            assert_eq!(printed.as_str(), text);
            assert_eq!(msg.size(), size);
        }
        assert_eq!(MsgType::parse("u8[7]"), Some(MsgType::bytes(7)));
        assert_eq!(MsgType::parse(" f32 [ 2 ] "), Some(MsgType::vector(Dtype::F32, 2)));
        for bad in ["f32[0]", "bytes:0", "f32[", "f32[x]", "q32[4]", "bytes:", "f32[4]x"] {
            assert_eq!(MsgType::parse(bad), None, "{bad}");
        }
        assert_eq!(MsgType::vector(Dtype::F64, u32::MAX).size(), u32::MAX);
    }

    #[test]
    fn integer_roots_are_floors() {
        for n in 0u32..2000 {
            let r = n.root();
            assert!(r * r <= n && (r + 1) * (r + 1) > n, "{n}");
        }
        assert_eq!((-4i32).root(), 0);
        assert_eq!(i64::MAX.root(), 3_037_000_499);
        assert_eq!(2.25f32.root(), 1.5);
    }

    #[test]
    fn sizes_match_rust_types() {
        assert_eq!(Dtype::I32.size() as usize, core::mem::size_of::<i32>());
        assert_eq!(Dtype::F64.size() as usize, core::mem::size_of::<f64>());
    }
}
