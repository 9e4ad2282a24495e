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

use crate::kernels::decl::ParamValue;
use crate::kernels::{KernelError, KernelFile, RustKind, UserKind};
use ecsp_device::boot::MAX_LANES;
use ecsp_device::channel::block::{MAX_CAPACITY, MAX_MESSAGE_SIZE};
use ecsp_device::kernel::USER_KIND_BASE;
use ecsp_device::message::{Dtype, MsgType};
use ecsp_device::process::{kind_by_name, Arity, KindSpec, Shapes, KINDS};
use std::collections::HashMap;
use std::sync::Arc;

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
    /// One writer, any number of readers; each message goes to exactly one
    /// reader (a rendezvous message to one that is asking for it).
    OneToAny,
    /// Any number of writers and of readers; each message goes to exactly
    /// one reader (with TESTSET deciding which writer answers a reader).
    AnyToAny,
}

impl ChannelKind {
    /// True when the channel may have several writers.
    pub fn shared_writes(self) -> bool {
        matches!(self, ChannelKind::AnyToOne | ChannelKind::AnyToAny)
    }

    /// True when the channel may have several readers.
    pub fn shared_reads(self) -> bool {
        matches!(self, ChannelKind::OneToAny | ChannelKind::AnyToAny)
    }

    /// Its name: "one2one", "any2one", "one2any" or "any2any".
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::OneToOne => "one2one",
            ChannelKind::AnyToOne => "any2one",
            ChannelKind::OneToAny => "one2any",
            ChannelKind::AnyToAny => "any2any",
        }
    }
}

/// A channel.
#[derive(Debug, Clone)]
pub struct ChannelSpec {
    /// Its name, unique in the network.
    pub name: String,
    /// What one message is: a scalar or a vector of a dtype.
    pub msg: MsgType,
    /// Buffer capacity; 0 = rendezvous. For a channel with several writers,
    /// per writer (messages it sent that no reader took yet).
    pub capacity: u32,
    /// How many ends of each side it may have.
    pub kind: ChannelKind,
    /// Every process (and its output index) that writes it, in the order
    /// they were added: lane `i` of an any-to-one channel is `writers[i]`.
    pub writers: Vec<(ProcId, u32)>,
    /// Every process (and its input index) that reads it, in the order they
    /// were added.
    pub readers: Vec<(ProcId, u32)>,
}

/// A process.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    /// Its name, unique in the network.
    pub name: String,
    /// Its kind's id: an index in the device registry of built-in kinds, or
    /// a user's kind ([`USER_KIND_BASE`] + its index in
    /// [`Network::user_kinds`]).
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
    /// A user's kind: its parameters' values as the kernel reads them (8
    /// bytes each, in the kind's declaration order). Empty for a built-in.
    pub kernel_params: Vec<u64>,
}

impl ProcessSpec {
    /// Its built-in kind's registry entry.
    ///
    /// # Panics
    /// For a process of a user's kind (see [`Network::kind_of`]).
    pub fn kind_spec(&self) -> &'static KindSpec {
        &KINDS[self.kind as usize]
    }

    /// True for a process of a user's kind.
    pub fn is_user_kind(&self) -> bool {
        self.kind >= USER_KIND_BASE
    }
}

/// A process's kind: built in, or a user's.
#[derive(Debug, Clone, Copy)]
pub enum KindRef<'a> {
    /// A built-in kind.
    Builtin(&'static KindSpec),
    /// A user's kind (a C kernel or a Rust kind).
    User(&'a UserKind),
}

impl KindRef<'_> {
    /// Its name.
    pub fn name(&self) -> &str {
        match self {
            KindRef::Builtin(k) => k.name,
            KindRef::User(k) => &k.decl.name,
        }
    }

    /// True when a run does not wait for its processes to finish.
    pub fn forever(&self) -> bool {
        match self {
            KindRef::Builtin(k) => k.forever,
            KindRef::User(k) => k.decl.forever(),
        }
    }

    /// Barriers each of its processes waits on.
    pub fn barriers(&self) -> u32 {
        match self {
            KindRef::Builtin(k) => ecsp_device::process::barriers_of_kind(k.name),
            KindRef::User(k) => k.decl.barriers().count() as u32,
        }
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
    /// No kind has this name.
    #[error("process `{process}`: unknown kind `{kind}`; kinds are: {known} (a kernel file adds its kernels)")]
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
    #[error("channel `{channel}`: its {end} end is used by both `{first}` and `{second}`; {hint}")]
    EndUsedTwice {
        /// The channel.
        channel: String,
        /// What the channel allows, in words.
        hint: &'static str,
        /// "read" or "write".
        end: &'static str,
        /// The process that took it first.
        first: String,
        /// The process that took it again.
        second: String,
    },
    /// A process's channels carry different element types.
    #[error("process `{process}`: channel `{channel}` carries {found} but its other channels carry {expected}; give them one dtype")]
    DtypeMismatch {
        /// The process.
        process: String,
        /// The channel that differs.
        channel: String,
        /// Its message type.
        found: String,
        /// The message type of the process's other channels.
        expected: String,
    },
    /// A channel's message shape (scalar, vector length) does not suit the
    /// kind of a process using it.
    #[error("process `{process}` ({kind}): channel `{channel}` carries {msg}, but {problem}")]
    MessageShape {
        /// The process.
        process: String,
        /// Its kind.
        kind: String,
        /// The channel.
        channel: String,
        /// Its message type.
        msg: String,
        /// What the kind needs instead.
        problem: String,
    },
    /// A parameter value of the wrong sort (a name where a number goes, an
    /// unknown name, a fraction where an integer goes).
    #[error("process `{process}` ({kind}): parameter `{param}` {problem}")]
    BadParam {
        /// The process.
        process: String,
        /// Its kind.
        kind: String,
        /// The parameter.
        param: String,
        /// What is wrong and what it takes.
        problem: String,
    },
    /// A channel id that is not in this network.
    #[error("process `{process}`: channel #{index} is not in this network")]
    UnknownChannel {
        /// The process.
        process: String,
        /// The bad index.
        index: usize,
    },
    /// A channel with no process at either end.
    #[error("channel `{channel}` has no {missing}: connect it to a process")]
    Dangling {
        /// The channel.
        channel: String,
        /// "writer" or "reader".
        missing: &'static str,
    },
    /// A one-to-any or any-to-any channel with no process on one side: the
    /// host can hold an end of one-to-one and any-to-one channels only.
    #[error("channel `{channel}` ({kind}) has no {missing}; the host can hold the missing end of one2one and any2one channels only: connect a process to it")]
    HostEndShared {
        /// The channel.
        channel: String,
        /// Its kind.
        kind: &'static str,
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
    #[error("channel `{channel}`: {msg} messages are {size} bytes, above the limit of {MAX_MESSAGE_SIZE} bytes")]
    MessageSize {
        /// The channel.
        channel: String,
        /// Its message type.
        msg: String,
        /// What was asked.
        size: u32,
    },
    /// A channel with more writers than lanes allow.
    #[error("channel `{channel}` already has {MAX_LANES} writers, the most a channel takes")]
    TooManyWriters {
        /// The channel.
        channel: String,
    },
    /// A channel with more readers than lanes allow.
    #[error("channel `{channel}` already has {MAX_LANES} readers, the most a channel takes")]
    TooManyReaders {
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
    /// A kernel file cannot be read or declares wrongly.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// Two kinds with one name.
    #[error("kind `{name}` is declared twice: {first} and {second}; give each kernel its own name")]
    DuplicateKind {
        /// The name.
        name: String,
        /// Where the first comes from.
        first: String,
        /// Where the second comes from.
        second: String,
    },
    /// A port of a user's kind and the channel wired to it carry different messages.
    #[error("process `{process}` ({kind}): its port `{port}` {problem}")]
    PortMismatch {
        /// The process.
        process: String,
        /// Its kind.
        kind: String,
        /// The port's name.
        port: String,
        /// What differs (naming the channel), and the fix.
        problem: String,
    },
    /// A Rust kind with more parameters than a task record holds.
    #[error("Rust kind `{kind}` declares {given} parameters, at most {max} fit: pass the rest in a message", max = ecsp_device::boot::MAX_PARAMS)]
    TooManyParams {
        /// The kind.
        kind: String,
        /// How many it declares.
        given: usize,
    },
    /// A parameter a user's kind needs was not given and has no default.
    #[error("process `{process}` ({kind}): parameter `{param}` ({ty}) has no default: give it a value")]
    MissingParam {
        /// The process.
        process: String,
        /// Its kind.
        kind: String,
        /// The parameter.
        param: String,
        /// Its type.
        ty: String,
    },
    /// A barrier that cannot be made as asked.
    #[error("barrier `{barrier}`: {problem}")]
    Barrier {
        /// The barrier.
        barrier: String,
        /// What is wrong, and how to fix it.
        problem: String,
    },
    /// A process in more or fewer barriers than its kind waits on.
    #[error("process `{process}` ({kind}) waits on {needed} barrier(s) but takes part in {given}{hint}")]
    BarrierCount {
        /// The process.
        process: String,
        /// Its kind.
        kind: String,
        /// Barriers its kind waits on.
        needed: u32,
        /// Barriers it was put in.
        given: u32,
        /// How to fix it.
        hint: &'static str,
    },
}

/// A network of processes and channels.
#[derive(Debug, Clone, Default)]
pub struct Network {
    channels: Vec<ChannelSpec>,
    processes: Vec<ProcessSpec>,
    names: HashMap<String, ProcId>,
    channel_names: HashMap<String, ChanId>,
    barriers: Vec<BarrierSpec>,
    kinds: Vec<Arc<UserKind>>,
}

impl Network {
    /// An empty network.
    pub fn new() -> Network {
        Network::default()
    }

    /// Adds a one-to-one channel carrying `dtype` with buffer `capacity` (0 = rendezvous).
    pub fn channel(&mut self, name: &str, msg: impl Into<MsgType>, capacity: u32) -> Result<ChanId, NetworkError> {
        self.channel_of_kind(name, msg, capacity, ChannelKind::OneToOne)
    }

    /// Adds an any-to-one channel: any number of writers, one reader, each
    /// writer with a buffer of `capacity` of its own (0 = rendezvous).
    pub fn any2one(&mut self, name: &str, msg: impl Into<MsgType>, capacity: u32) -> Result<ChanId, NetworkError> {
        self.channel_of_kind(name, msg, capacity, ChannelKind::AnyToOne)
    }

    /// Adds a one-to-any channel: one writer, any number of readers, each
    /// message to exactly one of them. A rendezvous (`capacity` 0) hands a
    /// message only to a reader that is receiving; a buffered one puts it in
    /// the least loaded reader's lane at once (it is that reader's from then
    /// on), with at most `capacity` messages sent and not yet taken.
    pub fn one2any(&mut self, name: &str, msg: impl Into<MsgType>, capacity: u32) -> Result<ChanId, NetworkError> {
        self.channel_of_kind(name, msg, capacity, ChannelKind::OneToAny)
    }

    /// Adds an any-to-any channel: any number of writers and of readers,
    /// each message to exactly one reader; `capacity` is per writer, as in
    /// [`Network::one2any`].
    pub fn any2any(&mut self, name: &str, msg: impl Into<MsgType>, capacity: u32) -> Result<ChanId, NetworkError> {
        self.channel_of_kind(name, msg, capacity, ChannelKind::AnyToAny)
    }

    /// Adds a channel of `kind`.
    pub fn channel_of_kind(
        &mut self,
        name: &str,
        msg: impl Into<MsgType>,
        capacity: u32,
        kind: ChannelKind,
    ) -> Result<ChanId, NetworkError> {
        let msg = msg.into();
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
        if msg.size() > MAX_MESSAGE_SIZE || msg.len == 0 {
            return Err(NetworkError::MessageSize {
                channel: name.to_string(),
                msg: msg.to_string(),
                size: msg.size(),
            });
        }
        let id = ChanId(self.channels.len());
        self.channels.push(ChannelSpec {
            name: name.to_string(),
            msg,
            capacity,
            kind,
            writers: Vec::new(),
            readers: Vec::new(),
        });
        self.channel_names.insert(name.to_string(), id);
        Ok(id)
    }

    /// Adds a process of built-in `kind` reading `inputs` and writing
    /// `outputs`, with integer parameters.
    pub fn process(
        &mut self,
        name: &str,
        kind: &str,
        inputs: &[ChanId],
        outputs: &[ChanId],
        params: &[(&str, i64)],
    ) -> Result<ProcId, NetworkError> {
        let params: Vec<(&str, Param)> = params.iter().map(|&(p, v)| (p, Param::Int(v))).collect();
        self.process_with(name, kind, inputs, outputs, &params)
    }

    /// Adds a process of built-in `kind` reading `inputs` and writing
    /// `outputs`, with parameters of any sort: integers, reals (for the
    /// kind's real parameters, such as `map`'s `a`), and names (for its
    /// named choices, such as `map`'s `fn = "square"`).
    pub fn process_with(
        &mut self,
        name: &str,
        kind: &str,
        inputs: &[ChanId],
        outputs: &[ChanId],
        params: &[(&str, Param)],
    ) -> Result<ProcId, NetworkError> {
        if self.names.contains_key(name) {
            return Err(NetworkError::DuplicateName {
                what: "process",
                name: name.to_string(),
            });
        }
        if let Some(index) = self.kinds.iter().position(|k| k.decl.name == kind) {
            return self.user_process(name, index, inputs, outputs, params);
        }
        let (kind_id, spec) = kind_by_name(kind).ok_or_else(|| NetworkError::UnknownKind {
            process: name.to_string(),
            kind: kind.to_string(),
            known: self.kind_names().join(", "),
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
            values[index] = encode_param(spec, param, value).map_err(|problem| NetworkError::BadParam {
                process: name.to_string(),
                kind: kind.to_string(),
                param: param.to_string(),
                problem,
            })?;
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
        let mut first: Option<&ChannelSpec> = None;
        for &c in inputs.iter().chain(outputs) {
            let ch = self.channels.get(c.0).ok_or_else(|| NetworkError::UnknownChannel {
                process: name.to_string(),
                index: c.0,
            })?;
            match first {
                None => first = Some(ch),
                Some(f) if f.msg.dtype != ch.msg.dtype => {
                    return Err(NetworkError::DtypeMismatch {
                        process: name.to_string(),
                        channel: ch.name.clone(),
                        found: ch.msg.to_string(),
                        expected: f.msg.to_string(),
                    })
                }
                Some(_) => {}
            }
        }
        let dtype = first
            .ok_or_else(|| NetworkError::NoChannels {
                process: name.to_string(),
            })?
            .msg
            .dtype;
        self.check_shapes(name, spec, inputs, outputs)?;
        // Real parameters travel converted to the type the process computes in.
        for (value, param) in values.iter_mut().zip(spec.params) {
            if spec.float_params.contains(param) {
                *value = dtype.real_param_bits(f64::from_bits(*value as u64)) as i64;
            }
        }
        self.attach(name, kind_id, dtype, values, Vec::new(), inputs, outputs)
    }

    /// Adds a process once its kind's checks passed: claims its channel
    /// ends (checking they are free), then records it.
    #[allow(clippy::too_many_arguments)]
    fn attach(
        &mut self,
        name: &str,
        kind_id: u32,
        dtype: Dtype,
        values: [i64; ecsp_device::boot::MAX_PARAMS],
        kernel_params: Vec<u64>,
        inputs: &[ChanId],
        outputs: &[ChanId],
    ) -> Result<ProcId, NetworkError> {
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
            let shared = if read {
                ch.kind.shared_reads()
            } else {
                ch.kind.shared_writes()
            };
            let ends = if read { &ch.readers } else { &ch.writers };
            if shared && ends.len() >= MAX_LANES as usize {
                return Err(if read {
                    NetworkError::TooManyReaders {
                        channel: ch.name.clone(),
                    }
                } else {
                    NetworkError::TooManyWriters {
                        channel: ch.name.clone(),
                    }
                });
            }
            let taken = if shared { None } else { ends.first().copied() };
            let twice_here = claims[..n].iter().any(|&(c2, r2, _)| c2 == c && r2 == read);
            if taken.is_some() || twice_here {
                let hint = match (shared, ch.kind) {
                    (true, _) => "a process takes each end of a channel once",
                    (false, ChannelKind::OneToOne) => {
                        "a one-to-one channel has one writer and one reader (any2one, one2any and any2any channels share ends)"
                    }
                    (false, ChannelKind::AnyToOne) => "an any-to-one channel has one reader (any2any shares both ends)",
                    (false, _) => "a one-to-any channel has one writer (any2any shares both ends)",
                };
                return Err(NetworkError::EndUsedTwice {
                    channel: ch.name.clone(),
                    hint,
                    end: if read { "read" } else { "write" },
                    first: taken.map_or(name.to_string(), |(p, _)| self.processes[p.0].name.clone()),
                    second: name.to_string(),
                });
            }
        }
        for (c, read, port) in claims {
            let ch = &mut self.channels[c.0];
            if read {
                ch.readers.push((id, port));
            } else {
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
            kernel_params,
        });
        self.names.insert(name.to_string(), id);
        Ok(id)
    }

    /// Adds a process of the user's kind `index` (see [`Network::process_with`]).
    fn user_process(
        &mut self,
        name: &str,
        index: usize,
        inputs: &[ChanId],
        outputs: &[ChanId],
        params: &[(&str, Param)],
    ) -> Result<ProcId, NetworkError> {
        let kind = self.kinds[index].clone();
        let decl = &kind.decl;
        let kind_name = decl.name.clone();
        for (what, given, ports) in [
            ("inputs", inputs.len(), decl.inputs().count()),
            ("outputs", outputs.len(), decl.outputs().count()),
        ] {
            if given != ports {
                return Err(NetworkError::Arity {
                    process: name.to_string(),
                    kind: kind_name,
                    what,
                    given,
                    expected: format!("exactly {ports} ({})", decl.signature()),
                });
            }
        }
        let wired = decl
            .inputs()
            .zip(inputs)
            .map(|(p, c)| ("input", p, c))
            .chain(decl.outputs().zip(outputs).map(|(p, c)| ("output", p, c)));
        for (direction, port, &c) in wired {
            let ch = self.channels.get(c.0).ok_or_else(|| NetworkError::UnknownChannel {
                process: name.to_string(),
                index: c.0,
            })?;
            if ch.msg != port.msg {
                return Err(NetworkError::PortMismatch {
                    process: name.to_string(),
                    kind: kind_name,
                    port: port.name.clone(),
                    problem: format!(
                        "(an {direction}) takes {} but channel `{}` carries {}: give the channel dtype {}",
                        port.msg, ch.name, ch.msg, port.msg
                    ),
                });
            }
        }
        let declared: Vec<_> = decl.params().collect();
        let known = || {
            if declared.is_empty() {
                "no parameters".to_string()
            } else {
                declared
                    .iter()
                    .map(|p| format!("{} ({})", p.name, p.ty))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        for (param, _) in params {
            if !declared.iter().any(|p| p.name == *param) {
                return Err(NetworkError::UnknownParam {
                    process: name.to_string(),
                    kind: kind_name,
                    param: param.to_string(),
                    known: known(),
                });
            }
        }
        let mut kernel_params = Vec::with_capacity(declared.len());
        for p in &declared {
            let given = params.iter().rev().find(|(n, _)| *n == p.name).map(|(_, v)| v);
            let value = match (given, p.default) {
                (Some(v), _) => match v {
                    Param::Int(i) => ParamValue::Int(*i),
                    Param::Real(r) => ParamValue::Float(*r),
                    Param::Bool(b) => ParamValue::Bool(*b),
                    Param::Name(n) => {
                        return Err(NetworkError::BadParam {
                            process: name.to_string(),
                            kind: kind_name,
                            param: p.name.clone(),
                            problem: format!("takes a number ({}), not the name `{n}`", p.ty),
                        })
                    }
                },
                (None, Some(d)) => d,
                (None, None) => {
                    return Err(NetworkError::MissingParam {
                        process: name.to_string(),
                        kind: kind_name,
                        param: p.name.clone(),
                        ty: p.ty.to_string(),
                    })
                }
            };
            kernel_params.push(p.ty.encode(&value).map_err(|problem| NetworkError::BadParam {
                process: name.to_string(),
                kind: kind_name.clone(),
                param: p.name.clone(),
                problem,
            })?);
        }
        // A Rust kind reads its parameters from the task record.
        let mut values = [0i64; ecsp_device::boot::MAX_PARAMS];
        for (v, bits) in values.iter_mut().zip(&kernel_params) {
            *v = *bits as i64;
        }
        let dtype = inputs
            .iter()
            .chain(outputs)
            .next()
            .map_or(Dtype::U32, |c| self.channels[c.0].msg.dtype);
        self.attach(
            name,
            USER_KIND_BASE + index as u32,
            dtype,
            values,
            kernel_params,
            inputs,
            outputs,
        )
    }

    /// Reads a C kernel file and adds its kernels as kinds this network's
    /// processes can be of; returns their names. A relative path is taken
    /// from the current directory.
    pub fn kernel_file(&mut self, path: impl AsRef<std::path::Path>) -> Result<Vec<String>, NetworkError> {
        let file = KernelFile::open(path)?;
        self.add_kernels(&file)
    }

    /// Adds the kernels of a kernel file as kinds (see [`Network::kernel_file`]).
    pub fn add_kernels(&mut self, file: &Arc<KernelFile>) -> Result<Vec<String>, NetworkError> {
        let kinds = UserKind::of_file(file);
        for (i, k) in kinds.iter().enumerate() {
            self.check_new_kind(k)?;
            if let Some(twin) = kinds[..i].iter().find(|o| o.decl.name == k.decl.name) {
                return Err(NetworkError::DuplicateKind {
                    name: k.decl.name.clone(),
                    first: twin.origin(),
                    second: k.origin(),
                });
            }
        }
        let names = kinds.iter().map(|k| k.decl.name.clone()).collect();
        self.kinds.extend(kinds.into_iter().map(Arc::new));
        Ok(names)
    }

    /// Adds a Rust kind of the host program (simulator only).
    pub fn add_rust_kind(&mut self, kind: RustKind) -> Result<(), NetworkError> {
        let kind = UserKind::of_rust(kind);
        self.check_new_kind(&kind)?;
        let params = kind.decl.params().count();
        if params > ecsp_device::boot::MAX_PARAMS {
            return Err(NetworkError::TooManyParams {
                kind: kind.decl.name.clone(),
                given: params,
            });
        }
        self.kinds.push(Arc::new(kind));
        Ok(())
    }

    fn check_new_kind(&self, kind: &UserKind) -> Result<(), NetworkError> {
        let name = &kind.decl.name;
        if kind_by_name(name).is_some() {
            return Err(NetworkError::DuplicateKind {
                name: name.clone(),
                first: "a built-in kind (ecsp kinds)".to_string(),
                second: kind.origin(),
            });
        }
        if let Some(first) = self.kinds.iter().find(|k| k.decl.name == *name) {
            return Err(NetworkError::DuplicateKind {
                name: name.clone(),
                first: first.origin(),
                second: kind.origin(),
            });
        }
        Ok(())
    }

    /// The users' kinds, by index (kind id [`USER_KIND_BASE`] + index).
    pub fn user_kinds(&self) -> &[Arc<UserKind>] {
        &self.kinds
    }

    /// The kind of a process of this network.
    pub fn kind_of(&self, process: &ProcessSpec) -> KindRef<'_> {
        if process.kind >= USER_KIND_BASE {
            KindRef::User(&self.kinds[(process.kind - USER_KIND_BASE) as usize])
        } else {
            KindRef::Builtin(process.kind_spec())
        }
    }

    /// Every kind a process of this network may be of: the built-in ones,
    /// then the users'.
    pub fn kind_names(&self) -> Vec<String> {
        KINDS
            .iter()
            .map(|k| k.name.to_string())
            .chain(self.kinds.iter().map(|k| k.decl.name.clone()))
            .collect()
    }

    /// Checks the message shapes of a process's channels against its kind's
    /// [`Shapes`] rule.
    fn check_shapes(
        &self,
        process: &str,
        spec: &KindSpec,
        inputs: &[ChanId],
        outputs: &[ChanId],
    ) -> Result<(), NetworkError> {
        let err = |c: ChanId, problem: String| {
            let ch = &self.channels[c.0];
            Err(NetworkError::MessageShape {
                process: process.to_string(),
                kind: spec.name.to_string(),
                channel: ch.name.clone(),
                msg: ch.msg.to_string(),
                problem,
            })
        };
        let len = |c: &ChanId| self.channels[c.0].msg.len;
        // Ends that must all have one length, and ends that must be scalars.
        let (same, scalars): (Vec<ChanId>, Vec<ChanId>) = match spec.shapes {
            Shapes::Scalars => (Vec::new(), inputs.iter().chain(outputs).copied().collect()),
            Shapes::SameLength => (inputs.iter().chain(outputs).copied().collect(), Vec::new()),
            Shapes::ToScalar => (inputs.to_vec(), outputs.to_vec()),
            Shapes::AnyLength => (outputs.to_vec(), inputs.to_vec()),
            Shapes::Free => (Vec::new(), Vec::new()),
        };
        for &c in &scalars {
            if len(&c) != 1 {
                let problem = match spec.shapes {
                    Shapes::Scalars => format!(
                        "{} takes scalars only; vectors go through map, zip, reduce and ramp",
                        spec.name
                    ),
                    _ => format!("{}'s outputs are scalars", spec.name),
                };
                return err(c, problem);
            }
        }
        if let Some(first) = same.first() {
            for &c in &same[1..] {
                if len(&c) != len(first) {
                    let other = &self.channels[first.0];
                    return err(
                        c,
                        format!(
                            "{} needs one vector length on these channels and `{}` carries {}",
                            spec.name, other.name, other.msg
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// Pins a process to the core at (`row`, `col`) inside the chip.
    pub fn pin(&mut self, process: ProcId, row: u32, col: u32) {
        self.processes[process.0].pin = Some((row, col));
    }

    /// Checks the network: processes exist, every channel has a process on
    /// at least one side. A channel with no process on one side is a host
    /// channel: the host holds that end (one-to-one and any-to-one
    /// channels only).
    pub fn validate(&self) -> Result<(), NetworkError> {
        if self.processes.is_empty() {
            return Err(NetworkError::Empty);
        }
        for ch in &self.channels {
            if ch.writers.is_empty() && ch.readers.is_empty() {
                return Err(NetworkError::Dangling {
                    channel: ch.name.clone(),
                    missing: "writer or reader",
                });
            }
            if (ch.writers.is_empty() || ch.readers.is_empty()) && ch.kind.shared_reads() {
                return Err(NetworkError::HostEndShared {
                    channel: ch.name.clone(),
                    kind: ch.kind.name(),
                    missing: if ch.writers.is_empty() { "writer" } else { "reader" },
                });
            }
        }
        self.validate_barriers()
    }

    /// The channels, by [`ChanId`].
    pub fn channels(&self) -> &[ChannelSpec] {
        &self.channels
    }

    /// The processes, by [`ProcId`].
    pub fn processes(&self) -> &[ProcessSpec] {
        &self.processes
    }

    /// Every (writer, reader) pair of processes of every channel, each pair
    /// of a channel with several writers or readers once: who sends to whom.
    pub fn writer_reader_pairs(&self) -> impl Iterator<Item = (ProcId, ProcId)> + '_ {
        self.channels.iter().flat_map(|c| {
            c.writers
                .iter()
                .flat_map(move |w| c.readers.iter().map(move |r| (w.0, r.0)))
        })
    }

    /// A channel by name.
    pub fn channel_id(&self, name: &str) -> Option<ChanId> {
        self.channel_names.get(name).copied()
    }

    /// A process by name.
    pub fn process_id(&self, name: &str) -> Option<ProcId> {
        self.names.get(name).copied()
    }
}

/// A parameter value as a user gives it; [`Network::process_with`] turns it
/// into the 64-bit word the device reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// An integer.
    Int(i64),
    /// A real number (for the kind's real parameters).
    Real(f64),
    /// A name (for the kind's named choices).
    Name(String),
    /// `true` or `false` (a user's kind's `bool` parameter; 1 or 0 elsewhere).
    Bool(bool),
}

impl From<bool> for Param {
    fn from(v: bool) -> Param {
        Param::Bool(v)
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(v)
    }
}

impl From<f64> for Param {
    fn from(v: f64) -> Param {
        Param::Real(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Name(v.to_string())
    }
}

/// The device word of `value` for parameter `param` of `spec`, or what is
/// wrong with it.
fn encode_param(spec: &KindSpec, param: &str, value: &Param) -> Result<i64, String> {
    if let Some((_, names)) = spec.choices.iter().find(|(p, _)| *p == param) {
        let listed = names.join(", ");
        return match value {
            Param::Bool(_) => Err(format!("takes one of: {listed}")),
            Param::Name(n) => names
                .iter()
                .position(|x| x == n)
                .map(|i| i as i64)
                .ok_or_else(|| format!("has no choice `{n}`; it takes one of: {listed}")),
            Param::Int(i) if *i >= 0 && (*i as usize) < names.len() => Ok(*i),
            _ => Err(format!("takes one of: {listed}")),
        };
    }
    if spec.float_params.contains(&param) {
        return match value {
            Param::Real(r) => Ok(r.to_bits() as i64),
            Param::Int(i) => Ok((*i as f64).to_bits() as i64),
            Param::Bool(b) => Err(format!("takes a number, not {b}")),
            Param::Name(n) => Err(format!("takes a number, not the name `{n}`")),
        };
    }
    match value {
        Param::Int(i) => Ok(*i),
        Param::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e18 => Ok(*r as i64),
        Param::Real(r) => Err(format!("takes an integer, not {r}")),
        Param::Bool(b) => Ok(*b as i64),
        Param::Name(n) => Err(format!("takes an integer, not the name `{n}`")),
    }
}

/// Index of a barrier in its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BarrierId(pub usize);

/// How a barrier synchronises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarrierKind {
    /// The software dissemination barrier: `ceil(log2 p)` rounds of flag
    /// writes, each participant with a flag block in its own SRAM.
    Dissemination,
    /// The chip-wide WAND barrier: the hardware's wired AND, one per chip.
    Wand,
}

impl BarrierKind {
    /// "dissemination" or "wand".
    pub fn name(self) -> &'static str {
        match self {
            BarrierKind::Dissemination => "dissemination",
            BarrierKind::Wand => "wand",
        }
    }
}

/// A barrier: processes that wait for each other, episode after episode.
#[derive(Debug, Clone)]
pub struct BarrierSpec {
    /// Its name, unique among the network's barriers.
    pub name: String,
    /// Its kind.
    pub kind: BarrierKind,
    /// The processes taking part; a process's rank is its index here.
    pub participants: Vec<ProcId>,
}

impl Network {
    /// Adds a software dissemination barrier over `processes`: none of them
    /// leaves an episode of the barrier before all of them have arrived at
    /// it. A process's rank is its position in `processes`; a process finds
    /// its barriers in the order they were added
    /// (`ecsp_device::process::Proc::barrier`).
    ///
    /// Only remote writes and local polls: `ceil(log2 p)` flag writes per
    /// participant and episode, and a flag block of `8 + 4 ceil(log2 p)`
    /// bytes in each participant's SRAM (`ecsp_device::barrier`).
    ///
    /// # Examples
    /// ```
    /// use ecsp_host::network::Network;
    /// use ecsp_device::message::Dtype;
    /// let mut net = Network::new();
    /// let a = net.channel("a", Dtype::U32, 1).unwrap();
    /// let b = net.channel("b", Dtype::U32, 1).unwrap();
    /// let p = net.process("p", "barrier_count", &[b], &[a], &[("rounds", 3)]).unwrap();
    /// let q = net.process("q", "barrier_count", &[a], &[b], &[("rounds", 3)]).unwrap();
    /// net.barrier("phase", &[p, q]).unwrap();
    /// net.validate().unwrap();
    /// ```
    pub fn barrier(&mut self, name: &str, processes: &[ProcId]) -> Result<BarrierId, NetworkError> {
        self.barrier_of_kind(name, BarrierKind::Dissemination, processes)
    }

    /// Adds the chip-wide WAND barrier over `processes`: the hardware
    /// barrier (the `wand` instruction and the WAND interrupt). A core raises
    /// its WAND flag once every process of it in `processes` has arrived; the
    /// barrier opens when every core with such processes has. A chip has one
    /// WAND wire, so a network has at most one WAND barrier.
    ///
    /// It costs no mesh traffic, but orders no memory either: writes issued
    /// before it may still be in flight when it opens (use channels for data).
    pub fn wand_barrier(&mut self, name: &str, processes: &[ProcId]) -> Result<BarrierId, NetworkError> {
        self.barrier_of_kind(name, BarrierKind::Wand, processes)
    }

    /// Adds a barrier of `kind` over `processes`.
    pub fn barrier_of_kind(
        &mut self,
        name: &str,
        kind: BarrierKind,
        processes: &[ProcId],
    ) -> Result<BarrierId, NetworkError> {
        let fail = |problem: String| {
            Err(NetworkError::Barrier {
                barrier: name.to_string(),
                problem,
            })
        };
        if self.barriers.iter().any(|b| b.name == name) {
            return Err(NetworkError::DuplicateName {
                what: "barrier",
                name: name.to_string(),
            });
        }
        if kind == BarrierKind::Wand {
            if let Some(other) = self.barriers.iter().find(|b| b.kind == BarrierKind::Wand) {
                return fail(format!(
                    "the chip has one WAND barrier and `{}` is it already; make this one a dissemination barrier (Network::barrier)",
                    other.name
                ));
            }
        }
        if processes.is_empty() {
            return fail("it has no processes: give it at least one".to_string());
        }
        for (i, p) in processes.iter().enumerate() {
            let Some(spec) = self.processes.get(p.0) else {
                return fail(format!("process #{} is not in this network", p.0));
            };
            if processes[..i].contains(p) {
                return fail(format!("process `{}` is listed twice", spec.name));
            }
        }
        let id = BarrierId(self.barriers.len());
        self.barriers.push(BarrierSpec {
            name: name.to_string(),
            kind,
            participants: processes.to_vec(),
        });
        Ok(id)
    }

    /// The barriers, by [`BarrierId`].
    pub fn barriers(&self) -> &[BarrierSpec] {
        &self.barriers
    }

    /// The barriers `process` takes part in, in the order they were added
    /// (its barrier 0 first), each with the process's rank in it.
    pub fn barriers_of(&self, process: ProcId) -> Vec<(BarrierId, u32)> {
        self.barriers
            .iter()
            .enumerate()
            .filter_map(|(b, spec)| {
                let rank = spec.participants.iter().position(|&p| p == process)?;
                Some((BarrierId(b), rank as u32))
            })
            .collect()
    }

    /// Every process is in as many barriers as its kind waits on.
    fn validate_barriers(&self) -> Result<(), NetworkError> {
        for (i, p) in self.processes.iter().enumerate() {
            let kind_ref = self.kind_of(p);
            let kind = kind_ref.name();
            let needed = kind_ref.barriers();
            let given = self.barriers_of(ProcId(i)).len() as u32;
            if given != needed {
                return Err(NetworkError::BarrierCount {
                    process: p.name.clone(),
                    kind: kind.to_string(),
                    needed,
                    given,
                    hint: if needed == 0 {
                        ": its kind never waits on a barrier, so the others would wait for it forever"
                    } else {
                        ": add it to a barrier with Network::barrier or Network::wand_barrier"
                    },
                });
            }
        }
        Ok(())
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
        // `a` has no reader: the host reads it. `f` has no end at all.
        let e = net.validate().unwrap_err();
        assert!(e.to_string().contains("channel `f` has no writer or reader"), "{e}");
        let shared = net.one2any("s", Dtype::U32, 0).unwrap();
        net.process("gs", "generate", &[], &[shared], &[]).unwrap();
        net.process("uses_f", "consume", &[f], &[], &[]).unwrap();
        let e = net.validate().unwrap_err();
        assert!(
            matches!(e, NetworkError::HostEndShared { missing: "reader", .. }),
            "{e}"
        );
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
        assert!(net.channels()[0].readers.is_empty());
        net.process("p", "id", &[a], &[a], &[]).unwrap();
    }
}
