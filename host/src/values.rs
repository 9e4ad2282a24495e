//! Messages as text: how `ecsp run --feed` reads values from a file and how
//! values arriving on host channels are printed. One message a line; a
//! vector (or `bytes:N`) message is its elements separated by spaces or
//! commas. Integers are decimal or `0x` hex; floats as Rust reads them.

use ecsp_device::message::{Dtype, MsgType};

/// Parses one message of type `msg` from `text`, as little-endian bytes.
/// The error says what is wrong with which element.
pub fn parse_message(msg: MsgType, text: &str) -> Result<Vec<u8>, String> {
    let items: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .collect();
    if items.len() != msg.len as usize {
        return Err(format!("{} values where a {msg} message has {}", items.len(), msg.len));
    }
    let mut out = Vec::with_capacity(msg.size() as usize);
    for item in items {
        parse_scalar(msg.dtype, item, &mut out)?;
    }
    Ok(out)
}

fn parse_int(item: &str) -> Option<i128> {
    let (negative, digits) = match item.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, item.strip_prefix('+').unwrap_or(item)),
    };
    let value = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some(if negative { -value } else { value })
}

fn parse_scalar(dtype: Dtype, item: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let range = |lo: i128, hi: i128| -> Result<i128, String> {
        let v = parse_int(item).ok_or_else(|| format!("`{item}` is not an integer ({})", dtype.name()))?;
        if v < lo || v > hi {
            return Err(format!("{item} does not fit {} ({lo} to {hi})", dtype.name()));
        }
        Ok(v)
    };
    let float = || -> Result<f64, String> {
        item.parse::<f64>()
            .map_err(|_| format!("`{item}` is not a number ({})", dtype.name()))
    };
    match dtype {
        Dtype::I32 => out.extend((range(i32::MIN as i128, i32::MAX as i128)? as i32).to_le_bytes()),
        Dtype::U32 => out.extend((range(0, u32::MAX as i128)? as u32).to_le_bytes()),
        Dtype::I64 => out.extend((range(i64::MIN as i128, i64::MAX as i128)? as i64).to_le_bytes()),
        Dtype::U8 => out.push(range(0, 255)? as u8),
        Dtype::F32 => out.extend((float()? as f32).to_le_bytes()),
        Dtype::F64 => out.extend(float()?.to_le_bytes()),
    }
    Ok(())
}

/// Formats one message of type `msg` (its little-endian `bytes`): its
/// elements separated by single spaces.
pub fn format_message(msg: MsgType, bytes: &[u8]) -> String {
    let size = msg.dtype.size() as usize;
    bytes
        .chunks_exact(size)
        .map(|b| match msg.dtype {
            Dtype::I32 => i32::from_le_bytes(b.try_into().expect("4 bytes")).to_string(),
            Dtype::U32 => u32::from_le_bytes(b.try_into().expect("4 bytes")).to_string(),
            Dtype::I64 => i64::from_le_bytes(b.try_into().expect("8 bytes")).to_string(),
            Dtype::U8 => b[0].to_string(),
            Dtype::F32 => f32::from_le_bytes(b.try_into().expect("4 bytes")).to_string(),
            Dtype::F64 => f64::from_le_bytes(b.try_into().expect("8 bytes")).to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_dtype() {
        for (msg, text) in [
            (MsgType::scalar(Dtype::I32), "-7"),
            (MsgType::scalar(Dtype::U32), "4294967295"),
            (MsgType::scalar(Dtype::I64), "-9223372036854775808"),
            (MsgType::scalar(Dtype::F32), "0.5"),
            (MsgType::scalar(Dtype::F64), "-2.25"),
            (MsgType::vector(Dtype::I32, 3), "1 2 3"),
            (MsgType::bytes(4), "0 1 254 255"),
        ] {
            let bytes = parse_message(msg, text).unwrap();
            assert_eq!(bytes.len(), msg.size() as usize);
            assert_eq!(format_message(msg, &bytes), text);
        }
        assert_eq!(
            parse_message(MsgType::scalar(Dtype::U32), "0x10").unwrap(),
            16u32.to_le_bytes()
        );
        assert_eq!(
            parse_message(MsgType::vector(Dtype::F32, 2), " 1.5, 2 ").unwrap(),
            [1.5f32.to_le_bytes(), 2f32.to_le_bytes()].concat()
        );
    }

    #[test]
    fn bad_values_say_what_and_why() {
        let e = |msg, text| parse_message(msg, text).unwrap_err();
        assert!(e(MsgType::scalar(Dtype::U32), "-1").contains("does not fit u32"));
        assert!(e(MsgType::bytes(1), "256").contains("0 to 255"));
        assert!(e(MsgType::scalar(Dtype::I32), "1.5").contains("not an integer"));
        assert!(e(MsgType::scalar(Dtype::F32), "x").contains("not a number"));
        assert!(e(MsgType::vector(Dtype::I32, 3), "1 2").contains("2 values where a i32[3] message has 3"));
    }
}
