//! A network: named processes of built-in kinds, joined by named channels.
//!
//! # Examples
//! ```
//! use ecsp_host::network::Network;
//! use ecsp_device::message::Dtype;
//! let mut net = Network::new();
//! let a = net.channel("a", Dtype::U32, 0).unwrap();
//! net.process("gen", "generate", &[], &[a], &[("start", 1), ("count", 10)]).unwrap();
//! net.process("sink", "consume", &[a], &[], &[("count", 10)]).unwrap();
//! assert_eq!(net.processes().len(), 2);
//! ```

use ecsp_device::boot::MAX_LANES;
use ecsp_device::channel::block::{MAX_CAPACITY, MAX_MESSAGE_SIZE};
use ecsp_device::message::Dtype;
use ecsp_device::process::{kind_by_name, Arity, KindSpec, KINDS};
use std::collections::HashMap;

/// Index of a channel in its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChanId(pub usize);

/// Index of a process in its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcId(pub usize);

/// How many ends of each side a channel has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChannelKind {
    /// One writer, one reader.
    #[default]
    OneToOne,
    /// Any number of writers (each with a lane in the reader's memory,
    /// merged fairly), one reader.
    AnyToOne,
}

/// A channel.
#[derive(Debug, Clone)]
pub struct ChannelSpec {
    /// Its name, unique in the network.
    pub name: String,
    /// Message type.
    pub dtype: Dtype,
    /// Buffer capacity; 0 = rendezvous. For an any-to-one channel, per writer.
    pub capacity: u32,
    /// One-to-one or any-to-one.
    pub kind: ChannelKind,
    /// The process (and its output index) that writes it; for an any-to-one
    /// channel the first of `writers`.
    pub writer: Option<(ProcId, u32)>,
    /// Every process (and its output index) that writes it, in the order
    /// they were added: lane `i` of an any-to-one channel is `writers[i]`.
    pub writers: Vec<(ProcId, u32)>,
    /// The process (and its input index) that reads it.
    pub reader: Option<(ProcId, u32)>,
}

/// A process.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    /// Its name, unique in the network.
    pub name: String,
    /// Its kind's id in the device registry.
    pub kind: u32,
    /// The message type it computes with (that of its channels).
    pub dtype: Dtype,
    /// Parameters, in the kind's order.
    pub params: [i64; ecsp_device::boot::MAX_PARAMS],
    /// Channels it reads, in order.
    pub inputs: Vec<ChanId>,
    /// Channels it writes, in order.
    pub outputs: Vec<ChanId>,
    /// A core it is pinned to: (row, col) inside the chip.
    pub pin: Option<(u32, u32)>,
}

impl ProcessSpec {
    /// Its kind's registry entry.
    pub fn kind_spec(&self) -> &'static KindSpec {
        &KINDS[self.kind as usize]
    }
}

/// A network that is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// Two channels or two processes share a name.
    #[error("{what} name `{name}` is used twice: names must be unique")]
    DuplicateName {
        /// "channel" or "process".
        what: &'static str,
        /// The name.
        name: String,
    },
    /// No built-in kind has this name.
    #[error("process `{process}`: unknown kind `{kind}`; built-in kinds are: {known}")]
    UnknownKind {
        /// The process.
        process: String,
        /// The kind asked for.
        kind: String,
        /// Every kind, comma-separated.
        known: String,
    },
    /// The kind has no parameter of this name.
    #[error("process `{process}` ({kind}): unknown parameter `{param}`; {kind} takes: {known}")]
    UnknownParam {
        /// The process.
        process: String,
        /// Its kind.
        kind: String,
        /// The parameter.
        param: String,
        /// The kind's parameters.
        known: String,
    },
    /// Wrong number of inputs or outputs for the kind.
    #[error("process `{process}` ({kind}) has {given} {what}, it takes {expected}")]
    Arity {
        /// The process.
        process: String,
        /// Its kind.
        kind: String,
        /// "inputs" or "outputs".
        what: &'static str,
        /// How many it was given.
        given: usize,
        /// What the kind takes.
        expected: String,
    },
    /// A channel end is attached to two processes.
    #[error("channel `{channel}`: its {end} end is used by both `{first}` and `{second}`; a one-to-one channel has one writer and one reader")]
    EndUsedTwice {
        /// The channel.
        channel: String,
        /// "read" or "write".
        end: &'static str,
        /// The process that took it first.
        first: String,
        /// The process that took it again.
        second: String,
    },
    /// A process's channels carry different message types.
    #[error("process `{process}`: channel `{channel}` carries {found} but its other channels carry {expected}; give them one dtype")]
    DtypeMismatch {
        /// The process.
        process: String,
        /// The channel that differs.
        channel: String,
        /// Its dtype.
        found: &'static str,
        /// The process's dtype.
        expected: &'static str,
    },
    /// A channel id that is not in this network.
    #[error("process `{process}`: channel #{index} is not in this network")]
    UnknownChannel {
        /// The process.
        process: String,
        /// The bad index.
        index: usize,
    },
    /// A channel with a missing end.
    #[error("channel `{channel}` has no {missing}: connect it to a process")]
    Dangling {
        /// The channel.
        channel: String,
        /// "writer" or "reader".
        missing: &'static str,
    },
    /// Capacity above the limit.
    #[error("channel `{channel}`: capacity {capacity} is above the limit of {MAX_CAPACITY} messages")]
    Capacity {
        /// The channel.
        channel: String,
        /// What was asked.
        capacity: u32,
    },
    /// Message above the limit.
    #[error("channel `{channel}`: {size}-byte messages are above the limit of {MAX_MESSAGE_SIZE} bytes")]
    MessageSize {
        /// The channel.
        channel: String,
        /// What was asked.
        size: u32,
    },
    /// An any-to-one channel with more writers than lanes allow.
    #[error("channel `{channel}` already has {MAX_LANES} writers, the most an any-to-one channel takes")]
    TooManyWriters {
        /// The channel.
        channel: String,
    },
    /// A process without channels has no message type.
    #[error("process `{process}` has no channels, so it has no message type: give it at least one")]
    NoChannels {
        /// The process.
        process: String,
    },
    /// The network has no processes.
    #[error("the network has no processes")]
    Empty,
}

/// A network of processes and channels.
#[derive(Debug, Clone, Default)]
pub struct Network {
    channels: Vec<ChannelSpec>,
    processes: Vec<ProcessSpec>,
    names: HashMap<String, ProcId>,
    channel_names: HashMap<String, ChanId>,
}

impl Network {
    /// An empty network.
    pub fn new() -> Network {
        Network::default()
    }

    /// Adds a one-to-one channel carrying `dtype` with buffer `capacity` (0 = rendezvous).
    pub fn channel(&mut self, name: &str, dtype: Dtype, capacity: u32) -> Result<ChanId, NetworkError> {
        self.channel_of_kind(name, dtype, capacity, ChannelKind::OneToOne)
    }

    /// Adds an any-to-one channel: any number of writers, one reader, each
    /// writer with a buffer of `capacity` of its own (0 = rendezvous).
    pub fn any2one(&mut self, name: &str, dtype: Dtype, capacity: u32) -> Result<ChanId, NetworkError> {
        self.channel_of_kind(name, dtype, capacity, ChannelKind::AnyToOne)
    }

    /// Adds a channel of `kind`.
    pub fn channel_of_kind(
        &mut self,
        name: &str,
        dtype: Dtype,
        capacity: u32,
        kind: ChannelKind,
    ) -> Result<ChanId, NetworkError> {
        if self.channel_names.contains_key(name) {
            return Err(NetworkError::DuplicateName {
                what: "channel",
                name: name.to_string(),
            });
        }
        if capacity > MAX_CAPACITY {
            return Err(NetworkError::Capacity {
                channel: name.to_string(),
                capacity,
            });
        }
        if dtype.size() > MAX_MESSAGE_SIZE {
            return Err(NetworkError::MessageSize {
                channel: name.to_string(),
                size: dtype.size(),
            });
        }
        let id = ChanId(self.channels.len());
        self.channels.push(ChannelSpec {
            name: name.to_string(),
            dtype,
            capacity,
            kind,
            writer: None,
            writers: Vec::new(),
            reader: None,
        });
        self.channel_names.insert(name.to_string(), id);
        Ok(id)
    }

    /// Adds a process of built-in `kind` reading `inputs` and writing `outputs`.
    pub fn process(
        &mut self,
        name: &str,
        kind: &str,
        inputs: &[ChanId],
        outputs: &[ChanId],
        params: &[(&str, i64)],
    ) -> Result<ProcId, NetworkError> {
        if self.names.contains_key(name) {
            return Err(NetworkError::DuplicateName {
                what: "process",
                name: name.to_string(),
            });
        }
        let (kind_id, spec) = kind_by_name(kind).ok_or_else(|| NetworkError::UnknownKind {
            process: name.to_string(),
            kind: kind.to_string(),
            known: KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", "),
        })?;
        let mut values = [0i64; ecsp_device::boot::MAX_PARAMS];
        for (param, value) in params {
            let index = spec
                .params
                .iter()
                .position(|p| p == param)
                .ok_or_else(|| NetworkError::UnknownParam {
                    process: name.to_string(),
                    kind: kind.to_string(),
                    param: param.to_string(),
                    known: if spec.params.is_empty() {
                        "no parameters".to_string()
                    } else {
                        spec.params.join(", ")
                    },
                })?;
            values[index] = *value;
        }
        for (what, given, arity) in [
            ("inputs", inputs.len(), spec.inputs),
            ("outputs", outputs.len(), spec.outputs),
        ] {
            if !arity.allows(given as u32) {
                return Err(NetworkError::Arity {
                    process: name.to_string(),
                    kind: kind.to_string(),
                    what,
                    given,
                    expected: match arity {
                        Arity::Exactly(n) => format!("exactly {n}"),
                        Arity::Between { min, max } => format!("{min} to {max}"),
                    },
                });
            }
        }
        let mut dtype = None;
        for &c in inputs.iter().chain(outputs) {
            let ch = self.channels.get(c.0).ok_or_else(|| NetworkError::UnknownChannel {
                process: name.to_string(),
                index: c.0,
            })?;
            match dtype {
                None => dtype = Some(ch.dtype),
                Some(d) if d != ch.dtype => {
                    return Err(NetworkError::DtypeMismatch {
                        process: name.to_string(),
                        channel: ch.name.clone(),
                        found: ch.dtype.name(),
                        expected: d.name(),
                    })
                }
                Some(_) => {}
            }
        }
        let dtype = dtype.ok_or_else(|| NetworkError::NoChannels {
            process: name.to_string(),
        })?;
        let id = ProcId(self.processes.len());
        // Attach ends only once every check passed, so a failed call changes nothing.
        let mut claims = Vec::new();
        for (i, &c) in inputs.iter().enumerate() {
            claims.push((c, true, i as u32));
        }
        for (i, &c) in outputs.iter().enumerate() {
            claims.push((c, false, i as u32));
        }
        for (n, &(c, read, _)) in claims.iter().enumerate() {
            let ch = &self.channels[c.0];
            let shared_writes = !read && ch.kind == ChannelKind::AnyToOne;
            if shared_writes && ch.writers.len() >= MAX_LANES as usize {
                return Err(NetworkError::TooManyWriters {
                    channel: ch.name.clone(),
                });
            }
            let taken = if read {
                ch.reader
            } else if shared_writes {
                None
            } else {
                ch.writer
            };
            let twice_here = claims[..n].iter().any(|&(c2, r2, _)| c2 == c && r2 == read);
            if taken.is_some() || twice_here {
                return Err(NetworkError::EndUsedTwice {
                    channel: ch.name.clone(),
                    end: if read { "read" } else { "write" },
                    first: taken.map_or(name.to_string(), |(p, _)| self.processes[p.0].name.clone()),
                    second: name.to_string(),
                });
            }
        }
        for (c, read, port) in claims {
            let ch = &mut self.channels[c.0];
            if read {
                ch.reader = Some((id, port));
            } else {
                ch.writer = ch.writer.or(Some((id, port)));
                ch.writers.push((id, port));
            }
        }
        self.processes.push(ProcessSpec {
            name: name.to_string(),
            kind: kind_id,
            dtype,
            params: values,
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            pin: None,
        });
        self.names.insert(name.to_string(), id);
        Ok(id)
    }

    /// Pins a process to the core at (`row`, `col`) inside the chip.
    pub fn pin(&mut self, process: ProcId, row: u32, col: u32) {
        self.processes[process.0].pin = Some((row, col));
    }

    /// Checks that every channel has both ends.
    pub fn validate(&self) -> Result<(), NetworkError> {
        if self.processes.is_empty() {
            return Err(NetworkError::Empty);
        }
        for ch in &self.channels {
            if ch.writer.is_none() {
                return Err(NetworkError::Dangling {
                    channel: ch.name.clone(),
                    missing: "writer",
                });
            }
            if ch.reader.is_none() {
                return Err(NetworkError::Dangling {
                    channel: ch.name.clone(),
                    missing: "reader",
                });
            }
        }
        Ok(())
    }

    /// The channels, by [`ChanId`].
    pub fn channels(&self) -> &[ChannelSpec] {
        &self.channels
    }

    /// The processes, by [`ProcId`].
    pub fn processes(&self) -> &[ProcessSpec] {
        &self.processes
    }

    /// A process by name.
    pub fn process_id(&self, name: &str) -> Option<ProcId> {
        self.names.get(name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_networks_with_named_errors() {
        let mut net = Network::new();
        let a = net.channel("a", Dtype::U32, 0).unwrap();
        let f = net.channel("f", Dtype::F32, 0).unwrap();
        assert!(matches!(
            net.channel("a", Dtype::U32, 0),
            Err(NetworkError::DuplicateName { .. })
        ));
        let e = net.process("p", "nosuch", &[], &[a], &[]).unwrap_err();
        assert!(e.to_string().contains("prefix"), "{e}");
        let e = net.process("p", "prefix", &[a], &[a], &[("valeu", 1)]).unwrap_err();
        assert!(e.to_string().contains("takes: value"), "{e}");
        let e = net.process("p", "succ", &[a], &[], &[]).unwrap_err();
        assert!(matches!(e, NetworkError::Arity { what: "outputs", .. }), "{e}");
        let e = net.process("p", "succ", &[a], &[f], &[]).unwrap_err();
        assert!(matches!(e, NetworkError::DtypeMismatch { .. }), "{e}");
        net.process("g", "generate", &[], &[a], &[]).unwrap();
        let e = net.process("h", "generate", &[], &[a], &[]).unwrap_err();
        assert!(e.to_string().contains("used by both `g` and `h`"), "{e}");
        assert!(matches!(
            net.validate(),
            Err(NetworkError::Dangling { missing: "reader", .. })
        ));
        assert!(matches!(
            net.channel("big", Dtype::U32, MAX_CAPACITY + 1),
            Err(NetworkError::Capacity { .. })
        ));
    }

    #[test]
    fn a_failed_add_changes_nothing() {
        let mut net = Network::new();
        let a = net.channel("a", Dtype::U32, 0).unwrap();
        let b = net.channel("b", Dtype::I32, 0).unwrap();
        assert!(net.process("p", "id", &[a], &[b], &[]).is_err());
        assert!(net.channels()[0].reader.is_none());
        net.process("p", "id", &[a], &[a], &[]).unwrap();
    }
}
