//! Network files: a network described in TOML, for `ecsp run` and `ecsp plan`.
//!
//! ```toml
//! board = "parallella-16"            # a name or an HDF path; --board overrides
//! kernels = ["scale.c"]              # users' C kernel files (their kernels become kinds)
//!
//! [[channel]]
//! name = "a"
//! dtype = "u32"                      # i32 u32 f32 i64 f64 u8, a vector "f32[64]", or "bytes:N"
//! capacity = 0                       # 0 = rendezvous (default)
//! kind = "one2one"                   # or "any2one", "one2any", "any2any" (default one2one)
//!
//! [[process]]
//! name = "p0"
//! kind = "prefix"                    # a built-in kind (`ecsp kinds`)
//! params = { value = 0 }             # integers, reals (map's a = 0.5), names (map's fn = "square")
//! inputs = ["d"]
//! outputs = ["a"]
//! core = [0, 1]                      # optional pin: row, col within the chip
//!
//! [check]                            # optional: a host-side check of the answer
//! source = "check.c"                 # C for the host (ecsp/check.h); `ecsp run` exits 0 when it agrees
//! ```
//!
//! Kernel and check files are named relative to the network file's folder.
//!
//! Every mistake is reported with what is wrong and where: unknown keys and
//! malformed TOML with the line (from the TOML parser), unknown kinds,
//! channels, parameters and dtypes by name, a channel end used twice, a
//! channel whose processes compute with different message types.

use crate::network::{ChanId, ChannelKind, Network, NetworkError, Param};
use ecsp_device::message::MsgType;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A network file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    /// The board: a built-in name or an HDF path (relative paths are taken
    /// from the network file's folder).
    pub board: Option<String>,
    /// The channels.
    #[serde(default, rename = "channel")]
    pub channels: Vec<ChannelEntry>,
    /// The processes.
    #[serde(default, rename = "process")]
    pub processes: Vec<ProcessEntry>,
    /// Users' C kernel files, whose kernels become kinds.
    #[serde(default)]
    pub kernels: Vec<String>,
    /// A host-side check of the run's answer.
    pub check: Option<CheckEntry>,
}

/// The `[check]` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckEntry {
    /// The check's C file (`ecsp/check.h`).
    pub source: String,
}

/// One `[[channel]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelEntry {
    /// Its name.
    pub name: String,
    /// Message type: i32, u32, f32, i64 or f64.
    pub dtype: String,
    /// Buffer capacity (0 = rendezvous).
    #[serde(default)]
    pub capacity: u32,
    /// "one2one" (default), "any2one", "one2any" or "any2any".
    #[serde(default)]
    pub kind: Option<String>,
}

/// One `[[process]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessEntry {
    /// Its name.
    pub name: String,
    /// A built-in kind, or a kernel of one of the file's kernel files.
    pub kind: String,
    /// Parameters by name.
    #[serde(default)]
    pub params: BTreeMap<String, ParamValue>,
    /// Channels it reads, in order.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Channels it writes, in order.
    #[serde(default)]
    pub outputs: Vec<String>,
    /// A pin: [row, col] inside the chip.
    pub core: Option<[u32; 2]>,
}

/// Why a network file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetFileError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Not valid TOML, or a key that is not part of the format.
    #[error("{path}: {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A dtype that does not exist.
    #[error("{path}: channel `{channel}`: unknown dtype `{dtype}`; use one of i32, u32, f32, i64, f64, u8, a vector such as f32[64], or bytes:N (N from 1 to 4096 bytes)")]
    Dtype {
        /// The file.
        path: PathBuf,
        /// The channel.
        channel: String,
        /// What was written.
        dtype: String,
    },
    /// A channel kind that does not exist.
    #[error("{path}: channel `{channel}`: unknown kind `{kind}`; use one2one, any2one, one2any or any2any")]
    ChannelKind {
        /// The file.
        path: PathBuf,
        /// The channel.
        channel: String,
        /// What was written.
        kind: String,
    },
    /// A process names a channel no `[[channel]]` declares.
    #[error("{path}: process `{process}` uses channel `{channel}`, which no [[channel]] declares")]
    UnknownChannel {
        /// The file.
        path: PathBuf,
        /// The process.
        process: String,
        /// The channel.
        channel: String,
    },
    /// The network itself is wrong.
    #[error("{path}: {source}")]
    Network {
        /// The file.
        path: PathBuf,
        /// What is wrong (boxed: it is large, and errors are rare).
        source: Box<NetworkError>,
    },
}

/// A network read from a file, with the board it asks for.
#[derive(Debug)]
pub struct LoadedNetwork {
    /// The network.
    pub network: Network,
    /// The board the file names (a name, or a path made absolute).
    pub board: Option<String>,
    /// The check's file, when the network file names one.
    pub check: Option<PathBuf>,
}

/// Reads and checks a network file.
pub fn load(path: &Path) -> Result<LoadedNetwork, NetFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| NetFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// A parameter value in a network file: an integer, a real or a name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// `count = 10`.
    Int(i64),
    /// `a = 0.5`.
    Real(f64),
    /// `fn = "square"`.
    Name(String),
    /// `first = true`.
    Bool(bool),
}

impl ParamValue {
    fn to_param(&self) -> Param {
        match self {
            ParamValue::Int(i) => Param::Int(*i),
            ParamValue::Real(r) => Param::Real(*r),
            ParamValue::Name(n) => Param::Name(n.clone()),
            ParamValue::Bool(b) => Param::Bool(*b),
        }
    }
}

/// Parses and checks network-file `text` (`path` names it in errors and
/// anchors a relative board path).
pub fn parse(path: &Path, text: &str) -> Result<LoadedNetwork, NetFileError> {
    let file: NetworkFile = toml::from_str(text).map_err(|e| NetFileError::Toml {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().replace('\n', " "),
    })?;
    let at = |source| NetFileError::Network {
        path: path.to_path_buf(),
        source: Box::new(source),
    };
    let mut net = Network::new();
    let dir = path.parent().unwrap_or(Path::new(""));
    for kernel in &file.kernels {
        net.kernel_file(dir.join(kernel)).map_err(at)?;
    }
    let mut ids: BTreeMap<&str, ChanId> = BTreeMap::new();
    for ch in &file.channels {
        let dtype = MsgType::parse(&ch.dtype).ok_or_else(|| NetFileError::Dtype {
            path: path.to_path_buf(),
            channel: ch.name.clone(),
            dtype: ch.dtype.clone(),
        })?;
        let kind = match ch.kind.as_deref() {
            None | Some("one2one") => ChannelKind::OneToOne,
            Some("any2one") => ChannelKind::AnyToOne,
            Some("one2any") => ChannelKind::OneToAny,
            Some("any2any") => ChannelKind::AnyToAny,
            Some(other) => {
                return Err(NetFileError::ChannelKind {
                    path: path.to_path_buf(),
                    channel: ch.name.clone(),
                    kind: other.to_string(),
                })
            }
        };
        let id = net.channel_of_kind(&ch.name, dtype, ch.capacity, kind).map_err(at)?;
        ids.insert(&ch.name, id);
    }
    for p in &file.processes {
        let resolve = |names: &[String]| {
            names
                .iter()
                .map(|n| {
                    ids.get(n.as_str())
                        .copied()
                        .ok_or_else(|| NetFileError::UnknownChannel {
                            path: path.to_path_buf(),
                            process: p.name.clone(),
                            channel: n.clone(),
                        })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let inputs = resolve(&p.inputs)?;
        let outputs = resolve(&p.outputs)?;
        let params: Vec<(&str, Param)> = p.params.iter().map(|(k, v)| (k.as_str(), v.to_param())).collect();
        let id = net
            .process_with(&p.name, &p.kind, &inputs, &outputs, &params)
            .map_err(at)?;
        if let Some([row, col]) = p.core {
            net.pin(id, row, col);
        }
    }
    // Host channels (a process on one side only) are fine; a channel
    // nobody uses, or a shared one missing a side, is not.
    net.validate().map_err(at)?;
    let board = file.board.map(|b| {
        let as_path = Path::new(&b);
        let looks_like_path = b.contains('/') || b.ends_with(".hdf");
        match path.parent() {
            Some(dir) if looks_like_path && as_path.is_relative() => dir.join(as_path).to_string_lossy().into_owned(),
            _ => b,
        }
    });
    let check = file.check.map(|c| dir.join(c.source));
    Ok(LoadedNetwork {
        network: net,
        board,
        check,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<LoadedNetwork, NetFileError> {
        parse(Path::new("/nets/test.toml"), text)
    }

    const COMMSTIME: &str = r#"
board = "parallella-16"
[[channel]]
name = "a"
dtype = "u32"
[[channel]]
name = "b"
dtype = "u32"
[[channel]]
name = "c"
dtype = "u32"
[[channel]]
name = "d"
dtype = "u32"
[[process]]
name = "prefix"
kind = "prefix"
params = { value = 0 }
inputs = ["c"]
outputs = ["a"]
core = [0, 1]
[[process]]
name = "delta"
kind = "delta"
inputs = ["a"]
outputs = ["b", "d"]
[[process]]
name = "succ"
kind = "succ"
inputs = ["b"]
outputs = ["c"]
[[process]]
name = "consume"
kind = "consume"
params = { count = 100, poison = 1 }
inputs = ["d"]
"#;

    #[test]
    fn reads_the_documented_shape() {
        let loaded = parse_str(COMMSTIME).unwrap();
        assert_eq!(loaded.board.as_deref(), Some("parallella-16"));
        let net = loaded.network;
        assert_eq!(net.processes().len(), 4);
        assert_eq!(net.processes()[0].pin, Some((0, 1)));
        assert_eq!(net.processes()[3].params[0], 100);
        assert_eq!(net.processes()[3].params[2], 1);
    }

    #[test]
    fn a_relative_board_path_is_taken_from_the_file_s_folder() {
        let text = COMMSTIME.replace("\"parallella-16\"", "\"boards/mine.hdf\"");
        assert_eq!(
            parse_str(&text).unwrap().board.as_deref(),
            Some("/nets/boards/mine.hdf")
        );
    }

    #[test]
    fn every_mistake_is_named() {
        let cases: [(&str, &str, &str); 8] = [
            ("kind = \"prefix\"", "kind = \"prefx\"", "unknown kind `prefx`"),
            (
                "outputs = [\"c\"]",
                "outputs = [\"z\"]",
                "channel `z`, which no [[channel]] declares",
            ),
            (
                "params = { count = 100, poison = 1 }",
                "params = { cout = 100 }",
                "unknown parameter `cout`",
            ),
            (
                "name = \"d\"\ndtype = \"u32\"",
                "name = \"d\"\ndtype = \"u33\"",
                "unknown dtype `u33`",
            ),
            (
                "board = \"parallella-16\"",
                "board = \"parallella-16\"\ncolour = 1",
                "unknown field `colour`",
            ),
            ("outputs = [\"b\", \"d\"]", "outputs = [\"b\", \"a\"]", "used by both"),
            ("inputs = [\"d\"]", "inputs = [\"a\"]", "used by both"),
            (
                "name = \"a\"\ndtype = \"u32\"",
                "name = \"a\"\ndtype = \"u32\"\nkind = \"all2all\"",
                "unknown kind `all2all`",
            ),
        ];
        for (from, to, expected) in cases {
            assert!(COMMSTIME.contains(from), "{from}");
            let text = COMMSTIME.replacen(from, to, 1);
            let e = parse_str(&text).unwrap_err().to_string();
            assert!(e.contains(expected), "{to:?}: {e}");
            assert!(e.starts_with("/nets/test.toml"), "{e}");
        }
    }

    #[test]
    fn malformed_toml_names_the_line() {
        let e = parse_str("[[channel]]\nname = \"a\"\ndtype = u32\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn a_dtype_mismatch_names_the_channel() {
        let text = COMMSTIME.replacen("name = \"d\"\ndtype = \"u32\"", "name = \"d\"\ndtype = \"f32\"", 1);
        let e = parse_str(&text).unwrap_err().to_string();
        assert!(e.contains("channel `d` carries f32"), "{e}");
    }

    #[test]
    fn a_channel_without_any_process_is_named() {
        let text = format!("{COMMSTIME}\n[[channel]]\nname = \"spare\"\ndtype = \"u32\"\n");
        let e = parse_str(&text).unwrap_err().to_string();
        assert!(e.contains("channel `spare` has no writer or reader"), "{e}");
    }

    #[test]
    fn vectors_and_named_and_real_parameters() {
        let text = r#"
[[channel]]
name = "raw"
dtype = "f32[64]"
[[channel]]
name = "scaled"
dtype = "f32[64]"
capacity = 2
[[channel]]
name = "sums"
dtype = "f32"
[[process]]
name = "ramp"
kind = "ramp"
params = { count = 3 }
outputs = ["raw"]
[[process]]
name = "scale"
kind = "map"
params = { fn = "scale", a = 0.25 }
inputs = ["raw"]
outputs = ["scaled"]
[[process]]
name = "sum"
kind = "reduce"
params = { op = "sum" }
inputs = ["scaled"]
outputs = ["sums"]
[[process]]
name = "sink"
kind = "consume"
params = { count = -1 }
inputs = ["sums"]
"#;
        let loaded = parse(Path::new("v.toml"), text).unwrap();
        let net = &loaded.network;
        assert_eq!(
            net.channels()[0].msg,
            MsgType::vector(ecsp_device::message::Dtype::F32, 64)
        );
        let scale = &net.processes()[1];
        assert_eq!(scale.params[0], 4, "scale is map's fifth function");
        // Real parameters travel in the process's type, here f32.
        assert_eq!(f32::from_bits(scale.params[1] as u32), 0.25);
        assert_eq!(scale.params[1] >> 32, 0);
        assert_eq!(net.processes()[2].params[0], 0);

        for (bad, needle) in [
            (
                text.replace(
                    "f32[64]\"\n[[channel]]\nname = \"scaled\"",
                    "f32[0]\"\n[[channel]]\nname = \"scaled\"",
                ),
                "unknown dtype `f32[0]`",
            ),
            (text.replace("fn = \"scale\"", "fn = \"cube\""), "no choice `cube`"),
            (
                text.replace("count = 3", "count = \"three\""),
                "takes an integer, not the name `three`",
            ),
            (
                text.replace("dtype = \"f32\"", "dtype = \"f32[2]\""),
                "outputs are scalars",
            ),
        ] {
            let e = parse(Path::new("v.toml"), &bad).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }
}
