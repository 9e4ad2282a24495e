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
}

impl Dtype {
    /// Every scalar type, in wire-code order.
    pub const ALL: [Dtype; 5] = [Dtype::I32, Dtype::U32, Dtype::F32, Dtype::I64, Dtype::F64];

    /// Bytes per value.
    pub const fn size(self) -> u32 {
        match self {
            Dtype::I32 | Dtype::U32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::F64 => 8,
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
            _ => None,
        }
    }
}

/// A scalar the built-in processes can compute with.
pub trait Scalar: Message + PartialEq + PartialOrd {
    /// Its [`Dtype`].
    const DTYPE: Dtype;
    /// Converts from an integer parameter (saturating for floats' range, wrapping for ints).
    fn from_i64(v: i64) -> Self;
    /// Converts to an integer (truncating floats).
    fn to_i64(self) -> i64;
    /// `self + 1` (wrapping for integers).
    fn succ(self) -> Self;
    /// `self + other` (wrapping for integers).
    fn plus(self, other: Self) -> Self;
}

macro_rules! int_scalar {
    ($t:ty, $d:expr) => {
        impl Scalar for $t {
            const DTYPE: Dtype = $d;
            fn from_i64(v: i64) -> Self {
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
        }
    };
}

macro_rules! float_scalar {
    ($t:ty, $d:expr) => {
        impl Scalar for $t {
            const DTYPE: Dtype = $d;
            fn from_i64(v: i64) -> Self {
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
        }
    };
}

int_scalar!(i32, Dtype::I32);
int_scalar!(u32, Dtype::U32);
int_scalar!(i64, Dtype::I64);
float_scalar!(f32, Dtype::F32);
float_scalar!(f64, Dtype::F64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Dtype::ALL {
            assert_eq!(Dtype::from_name(d.name()), Some(d));
            assert_eq!(Dtype::from_code(d as u32), Some(d));
        }
        assert_eq!(Dtype::from_name("u8"), None);
    }

    #[test]
    fn sizes_match_rust_types() {
        assert_eq!(Dtype::I32.size() as usize, core::mem::size_of::<i32>());
        assert_eq!(Dtype::F64.size() as usize, core::mem::size_of::<f64>());
    }
}
