//! Reading a kernel file's declarations: every `ECSP_KERNEL(name, "summary",
//! items...)` at the top level of a C file (`device/c/include/ecsp/kernel.h`),
//! without a C compiler, so that `ecsp kinds` lists a kernel and the planner
//! checks a network against it before anything is compiled or run.
//!
//! The declaration is read as written: comments and other code are skipped,
//! lengths, stacks and defaults may use integer expressions over the
//! object-like `#define`s of the file and of the headers it includes with
//! `#include "..."` (from its own folder); anything else (another macro in the
//! declaration, an item ecsp does not know, a length that is not a positive
//! integer) is an error naming the file, the line and what to write instead.
//!
//! # Examples
//! ```
//! use ecsp_host::kernels::decl::{parse, Item};
//! let src = "#include <ecsp/kernel.h>\n#define N 64\n\
//!            ECSP_KERNEL(scale, \"multiplies by a\", IN(x, f32, N), OUT(y, f32, N), PARAM(a, f32, 2.0))\n\
//!            { float v[N]; while (ecsp_read(x, v)) { ecsp_write(y, v); } }\n";
//! let kernels = parse("scale.c".as_ref(), src).unwrap();
//! assert_eq!(kernels[0].name, "scale");
//! assert_eq!(kernels[0].inputs().count(), 1);
//! assert!(matches!(&kernels[0].items[2], Item::Param(p) if p.name == "a"));
//! ```

use ecsp_device::channel::block::MAX_MESSAGE_SIZE;
use ecsp_device::kernel::{DEFAULT_STACK, MAX_KERNEL_ITEMS};
use ecsp_device::message::{Dtype, MsgType};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// What is wrong with a kernel file's declarations, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct DeclError {
    /// The file.
    pub path: PathBuf,
    /// Its line, from 1.
    pub line: u32,
    /// What is wrong and what to write instead.
    pub message: String,
}

/// A parameter's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// `int32_t`.
    I32,
    /// `uint32_t`.
    U32,
    /// `int64_t`.
    I64,
    /// `uint64_t`.
    U64,
    /// `float`.
    F32,
    /// `double`.
    F64,
    /// `int`, 0 or 1.
    Bool,
}

impl ParamType {
    /// Every type, in the order of their names in messages.
    pub const ALL: [ParamType; 7] = [
        ParamType::I32,
        ParamType::U32,
        ParamType::I64,
        ParamType::U64,
        ParamType::F32,
        ParamType::F64,
        ParamType::Bool,
    ];

    /// Its name in a declaration.
    pub fn name(self) -> &'static str {
        match self {
            ParamType::I32 => "i32",
            ParamType::U32 => "u32",
            ParamType::I64 => "i64",
            ParamType::U64 => "u64",
            ParamType::F32 => "f32",
            ParamType::F64 => "f64",
            ParamType::Bool => "bool",
        }
    }

    /// The type of a declaration's name.
    pub fn from_name(name: &str) -> Option<ParamType> {
        ParamType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// True for `f32` and `f64`.
    pub fn is_float(self) -> bool {
        matches!(self, ParamType::F32 | ParamType::F64)
    }

    /// The 8 bytes the kernel reads for `value` (`kernel.h`'s
    /// `ecsp__param_*`), or what is wrong with it.
    pub fn encode(self, value: &ParamValue) -> Result<u64, String> {
        let int = |v: &ParamValue| -> Result<i128, String> {
            match *v {
                ParamValue::Int(i) => Ok(i as i128),
                ParamValue::Bool(b) => Ok(b as i128),
                ParamValue::Float(f) if f.fract() == 0.0 && f.abs() < 1.9e19 => Ok(f as i128),
                ParamValue::Float(f) => Err(format!("takes an integer ({}), not {f}", self.name())),
            }
        };
        let ranged = |lo: i128, hi: i128| -> Result<u64, String> {
            let i = int(value)?;
            if i < lo || i > hi {
                return Err(format!("is a {} ({lo}..={hi}), not {i}", self.name()));
            }
            Ok(i as i64 as u64)
        };
        match self {
            ParamType::I32 => ranged(i32::MIN as i128, i32::MAX as i128),
            ParamType::U32 => ranged(0, u32::MAX as i128),
            ParamType::I64 => ranged(i64::MIN as i128, i64::MAX as i128),
            ParamType::U64 => {
                let i = int(value)?;
                if i < 0 || i > u64::MAX as i128 {
                    return Err(format!("is a u64 (0..={}), not {i}", u64::MAX));
                }
                Ok(i as u64)
            }
            ParamType::Bool => match *value {
                ParamValue::Bool(b) => Ok(b as u64),
                ParamValue::Int(0) | ParamValue::Int(1) => Ok(int(value)? as u64),
                _ => Err(format!("is a bool (true, false, 0 or 1), not {value}")),
            },
            ParamType::F32 | ParamType::F64 => {
                let f = match *value {
                    ParamValue::Int(i) => i as f64,
                    ParamValue::Float(f) => f,
                    ParamValue::Bool(_) => return Err(format!("takes a number ({}), not {value}", self.name())),
                };
                Ok(if self == ParamType::F32 {
                    (f as f32).to_bits() as u64
                } else {
                    f.to_bits()
                })
            }
        }
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parameter's value as a declaration or a network gives it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// An integer.
    Int(i64),
    /// A real number.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x:?}"),
            ParamValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// A port: a read or a write end the kernel takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// Its name in the kernel.
    pub name: String,
    /// What one message is.
    pub msg: MsgType,
}

/// A parameter the kernel takes.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: ParamType,
    /// Its default, if it has one (checked against the type).
    pub default: Option<ParamValue>,
}

/// One item of a declaration, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `IN(name, dtype[, n])`.
    In(Port),
    /// `OUT(name, dtype[, n])`.
    Out(Port),
    /// `PARAM(name, type[, default])`.
    Param(ParamDecl),
    /// `BARRIER(name)`.
    Barrier(String),
    /// `STACK(bytes)`.
    Stack(u32),
    /// `FOREVER`.
    Forever,
}

/// One kernel as its file declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelDecl {
    /// Its name (a C identifier; its entry point is `ecsp_kernel_<name>`).
    pub name: String,
    /// Its one-line summary.
    pub summary: String,
    /// The line of its `ECSP_KERNEL`.
    pub line: u32,
    /// Its items, in order.
    pub items: Vec<Item>,
}

impl KernelDecl {
    /// Its read ends, in order.
    pub fn inputs(&self) -> impl Iterator<Item = &Port> {
        self.items.iter().filter_map(|i| match i {
            Item::In(p) => Some(p),
            _ => None,
        })
    }

    /// Its write ends, in order.
    pub fn outputs(&self) -> impl Iterator<Item = &Port> {
        self.items.iter().filter_map(|i| match i {
            Item::Out(p) => Some(p),
            _ => None,
        })
    }

    /// Its parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = &ParamDecl> {
        self.items.iter().filter_map(|i| match i {
            Item::Param(p) => Some(p),
            _ => None,
        })
    }

    /// Its barriers, in order.
    pub fn barriers(&self) -> impl Iterator<Item = &str> {
        self.items.iter().filter_map(|i| match i {
            Item::Barrier(b) => Some(b.as_str()),
            _ => None,
        })
    }

    /// Bytes of its stack: its `STACK`, else [`DEFAULT_STACK`], rounded up to 8.
    pub fn stack(&self) -> u32 {
        let stack = self
            .items
            .iter()
            .find_map(|i| match i {
                Item::Stack(s) => Some(*s),
                _ => None,
            })
            .unwrap_or(DEFAULT_STACK);
        stack.div_ceil(8) * 8
    }

    /// True with a `FOREVER` item: a run does not wait for it.
    pub fn forever(&self) -> bool {
        self.items.iter().any(|i| matches!(i, Item::Forever))
    }

    /// The declaration as `ecsp kinds` shows it: `in x f32[64], out y f32[64]; a: f32 = 2.0`.
    pub fn signature(&self) -> String {
        let mut parts = Vec::new();
        for item in &self.items {
            match item {
                Item::In(p) => parts.push(format!("in {} {}", p.name, p.msg)),
                Item::Out(p) => parts.push(format!("out {} {}", p.name, p.msg)),
                Item::Param(p) => parts.push(match p.default {
                    Some(d) => format!("{}: {} = {d}", p.name, p.ty),
                    None => format!("{}: {}", p.name, p.ty),
                }),
                Item::Barrier(b) => parts.push(format!("barrier {b}")),
                Item::Stack(_) | Item::Forever => {}
            }
        }
        parts.join(", ")
    }
}

/// Reads every kernel declared in the C source `text` of the file `path`
/// (`path` names it in errors only).
pub fn parse(path: &Path, text: &str) -> Result<Vec<KernelDecl>, DeclError> {
    let tokens = lex(path, text)?;
    let mut parser = Parser {
        path,
        tokens: &tokens,
        at: 0,
        defines: HashMap::new(),
    };
    parser.file()
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Number(String),
    Str(String),
    Punct(char),
    /// A `#define NAME` with its value's tokens (object-like only).
    Define(String, Vec<(Tok, u32)>),
    /// An `#include "name"`: a header of the file's own, whose #defines
    /// count too.
    Include(String),
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(s) | Tok::Number(s) => f.write_str(s),
            Tok::Str(s) => write!(f, "{s:?}"),
            Tok::Punct(c) => write!(f, "{c}"),
            Tok::Define(n, _) => write!(f, "#define {n}"),
            Tok::Include(n) => write!(f, "#include \"{n}\""),
        }
    }
}

fn lex(path: &Path, text: &str) -> Result<Vec<(Tok, u32)>, DeclError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0usize;
    let mut line = 1u32;
    let mut line_start = true;
    let err = |line: u32, message: String| DeclError {
        path: path.to_path_buf(),
        line,
        message,
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            line_start = true;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let start = line;
            i += 2;
            loop {
                if i + 1 >= chars.len() {
                    return Err(err(start, "a comment that never ends: close it with */".into()));
                }
                if chars[i] == '\n' {
                    line += 1;
                }
                if chars[i] == '*' && chars[i + 1] == '/' {
                    i += 2;
                    break;
                }
                i += 1;
            }
            continue;
        }
        if c == '#' && line_start {
            // A preprocessor line (with its continuations): keep object-like
            // #defines, skip the rest.
            let start = line;
            let mut body = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '\n' {
                if chars[i] == '\\' && chars.get(i + 1) == Some(&'\n') {
                    line += 1;
                    i += 2;
                    body.push(' ');
                    continue;
                }
                body.push(chars[i]);
                i += 1;
            }
            let body = body.trim_start();
            if let Some(rest) = body.strip_prefix("include") {
                if let Some(name) = rest.trim().strip_prefix('"').and_then(|r| r.split('"').next()) {
                    out.push((Tok::Include(name.to_string()), start));
                }
            } else if let Some(rest) = body.strip_prefix("define") {
                let rest = rest.trim_start();
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                let after = &rest[name.len()..];
                if !name.is_empty() && !after.starts_with('(') {
                    let value = lex(path, after)?.into_iter().map(|(t, _)| (t, start)).collect();
                    out.push((Tok::Define(name, value), start));
                }
            }
            continue;
        }
        line_start = false;
        if c.is_alphabetic() || c == '_' {
            let s: String = chars[i..]
                .iter()
                .take_while(|c| c.is_alphanumeric() || **c == '_')
                .collect();
            i += s.len();
            out.push((Tok::Ident(s), line));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let mut s = String::new();
            while i < chars.len() {
                let d = chars[i];
                let exponent_sign = (d == '+' || d == '-')
                    && matches!(s.chars().last(), Some('e' | 'E' | 'p' | 'P'))
                    && !s.starts_with("0x");
                if d.is_alphanumeric() || d == '.' || exponent_sign {
                    s.push(d);
                    i += 1;
                } else {
                    break;
                }
            }
            out.push((Tok::Number(s), line));
            continue;
        }
        if c == '"' || c == '\'' {
            let quote = c;
            let start = line;
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None | Some('\n') => {
                        return Err(err(start, "a string that never ends: close it on its line".into()));
                    }
                    Some('\\') => {
                        let escaped = chars.get(i + 1).copied().unwrap_or('\\');
                        s.push(match escaped {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                        i += 2;
                    }
                    Some(&q) if q == quote => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        s.push(other);
                        i += 1;
                    }
                }
            }
            if quote == '"' {
                out.push((Tok::Str(s), start));
            } else {
                out.push((Tok::Number(format!("'{s}'")), start));
            }
            continue;
        }
        out.push((Tok::Punct(c), line));
        i += 1;
    }
    Ok(out)
}

struct Parser<'a> {
    path: &'a Path,
    tokens: &'a [(Tok, u32)],
    at: usize,
    /// Object-like #defines seen so far: name -> value tokens.
    defines: HashMap<String, Vec<(Tok, u32)>>,
}

/// What the items of a declaration look like, for error messages.
const ITEMS_HELP: &str = "IN(name, dtype[, n]), OUT(name, dtype[, n]), PARAM(name, type[, default]), \
                          BARRIER(name), STACK(bytes) or FOREVER";

impl<'a> Parser<'a> {
    fn err<T>(&self, line: u32, message: impl Into<String>) -> Result<T, DeclError> {
        Err(DeclError {
            path: self.path.to_path_buf(),
            line,
            message: message.into(),
        })
    }

    fn line(&self) -> u32 {
        self.tokens
            .get(self.at)
            .or_else(|| self.tokens.last())
            .map_or(1, |t| t.1)
    }

    fn peek(&self) -> Option<&'a Tok> {
        self.tokens.get(self.at).map(|t| &t.0)
    }

    fn next(&mut self) -> Option<&'a (Tok, u32)> {
        let t = self.tokens.get(self.at);
        self.at += 1;
        t
    }

    fn expect_punct(&mut self, c: char, what: &str) -> Result<(), DeclError> {
        let line = self.line();
        match self.next() {
            Some((Tok::Punct(p), _)) if *p == c => Ok(()),
            Some((other, _)) => self.err(line, format!("expected `{c}` {what}, found `{other}`")),
            None => self.err(line, format!("expected `{c}` {what}, found the end of the file")),
        }
    }

    fn file(&mut self) -> Result<Vec<KernelDecl>, DeclError> {
        let mut kernels: Vec<KernelDecl> = Vec::new();
        let mut depth = 0i32;
        while let Some((tok, line)) = self.next() {
            match tok {
                Tok::Define(name, value) => {
                    self.defines.insert(name.clone(), value.clone());
                }
                Tok::Include(name) => {
                    let dir = self.path.parent().unwrap_or(Path::new("")).to_path_buf();
                    self.include(&dir.join(name), 0);
                }
                Tok::Punct('{' | '(' | '[') => depth += 1,
                Tok::Punct('}' | ')' | ']') => depth -= 1,
                Tok::Ident(id) if id == "ECSP_KERNEL" => {
                    if depth != 0 {
                        return self.err(
                            *line,
                            "ECSP_KERNEL inside a function or braces: declare kernels at the top level of the file",
                        );
                    }
                    let kernel = self.kernel(*line)?;
                    if let Some(first) = kernels.iter().find(|k| k.name == kernel.name) {
                        return self.err(
                            *line,
                            format!(
                                "a second kernel named `{}` (the first is on line {}): give each kernel its own name",
                                kernel.name, first.line
                            ),
                        );
                    }
                    kernels.push(kernel);
                }
                _ => {}
            }
        }
        Ok(kernels)
    }

    /// Takes the object-like #defines of a header of the file's own (and of
    /// the headers it includes of its own). A header that cannot be read
    /// adds nothing: the compiler will say what is wrong with it.
    fn include(&mut self, header: &Path, depth: u32) {
        if depth > 8 {
            return;
        }
        let Ok(text) = std::fs::read_to_string(header) else {
            return;
        };
        let Ok(tokens) = lex(header, &text) else {
            return;
        };
        let dir = header.parent().unwrap_or(Path::new("")).to_path_buf();
        for (tok, _) in tokens {
            match tok {
                Tok::Define(name, value) => {
                    self.defines.insert(name, value);
                }
                Tok::Include(name) => self.include(&dir.join(name), depth + 1),
                _ => {}
            }
        }
    }

    fn ident(&mut self, what: &str) -> Result<(String, u32), DeclError> {
        let line = self.line();
        match self.next() {
            Some((Tok::Ident(s), l)) => Ok((s.clone(), *l)),
            Some((other, _)) => self.err(line, format!("expected {what}, found `{other}`")),
            None => self.err(line, format!("expected {what}, found the end of the file")),
        }
    }

    fn kernel(&mut self, line: u32) -> Result<KernelDecl, DeclError> {
        self.expect_punct('(', "after ECSP_KERNEL")?;
        let (name, _) = self.ident("the kernel's name (a C identifier)")?;
        self.expect_punct(',', "after the kernel's name")?;
        let mut summary = String::new();
        let summary_line = self.line();
        while let Some(Tok::Str(s)) = self.peek() {
            summary.push_str(s);
            self.at += 1;
        }
        if summary.is_empty() {
            return self.err(
                summary_line,
                format!("kernel `{name}`: its second argument is a one-line summary in quotes (\"what it does\")"),
            );
        }
        let mut items = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::Punct(')')) => {
                    self.at += 1;
                    break;
                }
                Some(Tok::Punct(',')) => {
                    self.at += 1;
                    let item = self.item(&name)?;
                    items.push(item);
                }
                Some(other) => {
                    return self.err(
                        self.line(),
                        format!("kernel `{name}`: expected `,` or `)` after an item, found `{other}`"),
                    )
                }
                None => return self.err(line, format!("kernel `{name}`: ECSP_KERNEL( is never closed")),
            }
        }
        if items.is_empty() {
            return self.err(
                line,
                format!("kernel `{name}` declares no items: give it its ports ({ITEMS_HELP})"),
            );
        }
        if items.len() > MAX_KERNEL_ITEMS as usize {
            return self.err(
                line,
                format!(
                    "kernel `{name}` declares {} items, at most {MAX_KERNEL_ITEMS} fit: pass vectors instead of many scalars",
                    items.len()
                ),
            );
        }
        let decl = KernelDecl {
            name,
            summary: summary.trim().to_string(),
            line,
            items,
        };
        self.check(&decl)?;
        Ok(decl)
    }

    fn check(&self, k: &KernelDecl) -> Result<(), DeclError> {
        let mut names: HashMap<&str, &str> = HashMap::new();
        let mut stacks = 0;
        for item in &k.items {
            let (name, what) = match item {
                Item::In(p) => (p.name.as_str(), "port"),
                Item::Out(p) => (p.name.as_str(), "port"),
                Item::Param(p) => (p.name.as_str(), "parameter"),
                Item::Barrier(b) => (b.as_str(), "barrier"),
                Item::Stack(_) => {
                    stacks += 1;
                    continue;
                }
                Item::Forever => continue,
            };
            if let Some(before) = names.insert(name, what) {
                return self.err(
                    k.line,
                    format!(
                        "kernel `{}`: `{name}` names a {before} and a {what}: give each item its own name",
                        k.name
                    ),
                );
            }
        }
        if stacks > 1 {
            return self.err(
                k.line,
                format!("kernel `{}` has {stacks} STACK items: give one", k.name),
            );
        }
        if k.inputs().count() > 255 || k.outputs().count() > 255 {
            return self.err(k.line, format!("kernel `{}` has too many ports", k.name));
        }
        Ok(())
    }

    /// The tokens of one item argument, up to `,` or `)` at depth 0.
    fn arg(&mut self) -> Vec<(Tok, u32)> {
        let mut depth = 0;
        let mut out = Vec::new();
        while let Some((tok, line)) = self.tokens.get(self.at) {
            match tok {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') if depth == 0 => break,
                Tok::Punct(')') => depth -= 1,
                Tok::Punct(',') if depth == 0 => break,
                _ => {}
            }
            out.push((tok.clone(), *line));
            self.at += 1;
        }
        out
    }

    fn item(&mut self, kernel: &str) -> Result<Item, DeclError> {
        let line = self.line();
        let (head, _) = match self.next() {
            Some((Tok::Ident(s), l)) => (s.clone(), *l),
            Some((other, _)) => {
                return self.err(
                    line,
                    format!("kernel `{kernel}`: `{other}` is not an item; items are {ITEMS_HELP}"),
                )
            }
            None => return self.err(line, format!("kernel `{kernel}`: the declaration is cut off")),
        };
        if head == "FOREVER" {
            return Ok(Item::Forever);
        }
        if !matches!(head.as_str(), "IN" | "OUT" | "PARAM" | "BARRIER" | "STACK") {
            return self.err(
                line,
                format!("kernel `{kernel}`: `{head}` is not an item; items are {ITEMS_HELP}"),
            );
        }
        self.expect_punct('(', &format!("after {head}"))?;
        let mut args = Vec::new();
        loop {
            args.push(self.arg());
            match self.next() {
                Some((Tok::Punct(','), _)) => continue,
                Some((Tok::Punct(')'), _)) => break,
                _ => return self.err(line, format!("kernel `{kernel}`: {head}( is never closed")),
            }
        }
        let single_ident = |arg: &[(Tok, u32)]| match arg {
            [(Tok::Ident(s), _)] => Some(s.clone()),
            _ => None,
        };
        let arity = |min: usize, max: usize, shape: &str| -> Result<(), DeclError> {
            if args.len() < min || args.len() > max || args.iter().any(|a| a.is_empty()) {
                self.err(line, format!("kernel `{kernel}`: write {shape}"))
            } else {
                Ok(())
            }
        };
        match head.as_str() {
            "IN" | "OUT" => {
                let shape = format!("{head}(name, dtype) or {head}(name, dtype, n) (dtype: i32 u32 f32 i64 f64 u8)");
                arity(2, 3, &shape)?;
                let Some(name) = single_ident(&args[0]) else {
                    return self.err(line, format!("kernel `{kernel}`: {head}'s name must be an identifier"));
                };
                let Some(dtype) = single_ident(&args[1]) else {
                    return self.err(line, format!("kernel `{kernel}`: port `{name}`: write {shape}"));
                };
                let dtype = match dtype.as_str() {
                    "bytes" => Dtype::U8,
                    d => Dtype::from_name(d).ok_or_else(|| DeclError {
                        path: self.path.to_path_buf(),
                        line,
                        message: format!(
                            "kernel `{kernel}`: port `{name}` has dtype `{d}`; dtypes are i32 u32 f32 i64 f64 u8"
                        ),
                    })?,
                };
                let len = match args.get(2) {
                    None => 1,
                    Some(arg) => {
                        let n = self.eval(arg, &format!("the length of port `{name}`"))?;
                        if !(1..=MAX_MESSAGE_SIZE as i64).contains(&n) {
                            return self.err(
                                line,
                                format!("kernel `{kernel}`: port `{name}` has length {n}; a length is 1 or more"),
                            );
                        }
                        n as u32
                    }
                };
                let msg = MsgType::vector(dtype, len);
                if msg.size() > MAX_MESSAGE_SIZE {
                    return self.err(
                        line,
                        format!(
                            "kernel `{kernel}`: port `{name}` carries {msg}, {} bytes; a message is at most {MAX_MESSAGE_SIZE} bytes",
                            msg.size()
                        ),
                    );
                }
                let port = Port { name, msg };
                Ok(if head == "IN" { Item::In(port) } else { Item::Out(port) })
            }
            "PARAM" => {
                let shape = "PARAM(name, type) or PARAM(name, type, default) (type: i32 u32 i64 u64 f32 f64 bool)";
                arity(2, 3, shape)?;
                let Some(name) = single_ident(&args[0]) else {
                    return self.err(line, format!("kernel `{kernel}`: write {shape}"));
                };
                let ty = single_ident(&args[1])
                    .as_deref()
                    .and_then(ParamType::from_name)
                    .ok_or_else(|| DeclError {
                        path: self.path.to_path_buf(),
                        line,
                        message: format!("kernel `{kernel}`: parameter `{name}`: write {shape}"),
                    })?;
                let default = match args.get(2) {
                    None => None,
                    Some(arg) => {
                        let v = self.value(arg, &format!("the default of `{name}`"))?;
                        if let Err(problem) = ty.encode(&v) {
                            return self.err(
                                line,
                                format!("kernel `{kernel}`: parameter `{name}`'s default {v}: `{name}` {problem}"),
                            );
                        }
                        Some(v)
                    }
                };
                Ok(Item::Param(ParamDecl { name, ty, default }))
            }
            "BARRIER" => {
                arity(1, 1, "BARRIER(name)")?;
                let Some(name) = single_ident(&args[0]) else {
                    return self.err(line, format!("kernel `{kernel}`: write BARRIER(name)"));
                };
                Ok(Item::Barrier(name))
            }
            _ => {
                arity(1, 1, "STACK(bytes)")?;
                let n = self.eval(&args[0], "the stack")?;
                if !(8..=0x4000).contains(&n) {
                    return self.err(
                        line,
                        format!("kernel `{kernel}`: STACK({n}): a stack is 8 to 16384 bytes (a core has 32 KiB)"),
                    );
                }
                Ok(Item::Stack(n as u32))
            }
        }
    }

    /// The tokens with every #define'd name replaced by its value.
    fn expand(&self, tokens: &[(Tok, u32)], depth: u32) -> Result<Vec<(Tok, u32)>, String> {
        if depth > 16 {
            return Err("its #defines refer to each other without end".into());
        }
        let mut out = Vec::new();
        for (tok, line) in tokens {
            match tok {
                Tok::Ident(name) => match self.defines.get(name) {
                    Some(value) => out.extend(self.expand(value, depth + 1)?),
                    None => out.push((tok.clone(), *line)),
                },
                _ => out.push((tok.clone(), *line)),
            }
        }
        Ok(out)
    }

    /// An integer expression: literals, + - * / % and parentheses over
    /// literals and the file's #defines.
    fn eval(&self, tokens: &[(Tok, u32)], what: &str) -> Result<i64, DeclError> {
        let line = tokens.first().map_or(self.line(), |t| t.1);
        let fail = |why: String| {
            DeclError {
            path: self.path.to_path_buf(),
            line,
            message: format!(
                "{what}: {why}; write an integer, or an expression of integers and #defines of this file or its own headers"
            ),
        }
        };
        let tokens = self.expand(tokens, 0).map_err(fail)?;
        let mut e = Expr { tokens: &tokens, at: 0 };
        let v = e.sum().map_err(fail)?;
        if e.at != tokens.len() {
            return Err(fail(format!("`{}` is not understood", tokens[e.at].0)));
        }
        Ok(v)
    }

    /// A default value: an optionally signed number literal, `true`,
    /// `false`, or an integer expression.
    fn value(&self, tokens: &[(Tok, u32)], what: &str) -> Result<ParamValue, DeclError> {
        let line = tokens.first().map_or(self.line(), |t| t.1);
        let expanded = self.expand(tokens, 0).map_err(|why| DeclError {
            path: self.path.to_path_buf(),
            line,
            message: format!("{what}: {why}"),
        })?;
        let (negative, rest) = match expanded.as_slice() {
            [(Tok::Punct('-'), _), rest @ ..] => (true, rest),
            [(Tok::Punct('+'), _), rest @ ..] => (false, rest),
            all => (false, all),
        };
        match rest {
            [(Tok::Ident(b), _)] if b == "true" || b == "false" => return Ok(ParamValue::Bool(b == "true")),
            [(Tok::Number(n), _)] if is_float_literal(n) => {
                let digits = n.trim_end_matches(['f', 'F', 'l', 'L']);
                if let Ok(f) = digits.parse::<f64>() {
                    return Ok(ParamValue::Float(if negative { -f } else { f }));
                }
            }
            _ => {}
        }
        self.eval(tokens, what).map(ParamValue::Int)
    }
}

fn is_float_literal(n: &str) -> bool {
    !n.starts_with("0x") && !n.starts_with("0X") && (n.contains('.') || n.contains('e') || n.contains('E'))
}

/// Integer literal: decimal, hex, octal, with u/l suffixes.
fn int_literal(n: &str) -> Option<i64> {
    let n = n.trim_end_matches(['u', 'U', 'l', 'L']);
    if let Some(hex) = n.strip_prefix("0x").or_else(|| n.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok();
    }
    if n.len() > 1 && n.starts_with('0') {
        return i64::from_str_radix(&n[1..], 8).ok();
    }
    n.parse().ok()
}

struct Expr<'t> {
    tokens: &'t [(Tok, u32)],
    at: usize,
}

impl Expr<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|t| &t.0)
    }

    fn sum(&mut self) -> Result<i64, String> {
        let mut v = self.product()?;
        while let Some(Tok::Punct(op @ ('+' | '-'))) = self.peek() {
            let op = *op;
            self.at += 1;
            let r = self.product()?;
            v = if op == '+' { v.checked_add(r) } else { v.checked_sub(r) }.ok_or("it overflows")?;
        }
        Ok(v)
    }

    fn product(&mut self) -> Result<i64, String> {
        let mut v = self.unary()?;
        while let Some(Tok::Punct(op @ ('*' | '/' | '%'))) = self.peek() {
            let op = *op;
            self.at += 1;
            let r = self.unary()?;
            v = match op {
                '*' => v.checked_mul(r),
                '/' => v.checked_div(r),
                _ => v.checked_rem(r),
            }
            .ok_or("it overflows or divides by zero")?;
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<i64, String> {
        match self.peek() {
            Some(Tok::Punct('-')) => {
                self.at += 1;
                Ok(-self.unary()?)
            }
            Some(Tok::Punct('+')) => {
                self.at += 1;
                self.unary()
            }
            Some(Tok::Punct('(')) => {
                self.at += 1;
                let v = self.sum()?;
                match self.peek() {
                    Some(Tok::Punct(')')) => {
                        self.at += 1;
                        Ok(v)
                    }
                    _ => Err("a `(` is never closed".into()),
                }
            }
            Some(Tok::Number(n)) => {
                let v = int_literal(n).ok_or_else(|| format!("`{n}` is not an integer"))?;
                self.at += 1;
                Ok(v)
            }
            Some(Tok::Ident(name)) => Err(format!(
                "`{name}` is not a #define of this file (nor of a header it includes with #include \"...\")"
            )),
            Some(other) => Err(format!("`{other}` is not understood")),
            None => Err("it is empty".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> KernelDecl {
        let mut k = parse(Path::new("k.c"), src).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(k.len(), 1);
        k.remove(0)
    }

    fn error(src: &str) -> String {
        parse(Path::new("k.c"), src).unwrap_err().to_string()
    }

    #[test]
    fn reads_every_item() {
        let k = one("#include <ecsp/kernel.h>\n\
             #define TILE (8 * 8)\n\
             /* ECSP_KERNEL(commented, \"no\", IN(x, i32)) */\n\
             // ECSP_KERNEL(also_commented, \"no\", IN(x, i32))\n\
             ECSP_KERNEL(heat, \"one tile \" \"of a stencil\",\n\
                 IN(north, f32, TILE), OUT(south, f32, TILE + 2), IN(count, bytes, 16),\n\
                 PARAM(iterations, i32, 100), PARAM(alpha, f32, 0.25f), PARAM(flag, bool, true),\n\
                 PARAM(offset, i64, -3), PARAM(scale, f64), BARRIER(phase), STACK(1000), FOREVER)\n\
             { int x = 1; }\n");
        assert_eq!(k.name, "heat");
        assert_eq!(k.summary, "one tile of a stencil");
        assert_eq!(k.line, 5);
        let ins: Vec<_> = k.inputs().map(|p| p.msg.to_string()).collect();
        assert_eq!(ins, ["f32[64]", "bytes:16"]);
        assert_eq!(k.outputs().next().unwrap().msg, MsgType::vector(Dtype::F32, 66));
        let params: Vec<_> = k.params().map(|p| (p.name.as_str(), p.ty, p.default)).collect();
        assert_eq!(
            params,
            [
                ("iterations", ParamType::I32, Some(ParamValue::Int(100))),
                ("alpha", ParamType::F32, Some(ParamValue::Float(0.25))),
                ("flag", ParamType::Bool, Some(ParamValue::Bool(true))),
                ("offset", ParamType::I64, Some(ParamValue::Int(-3))),
                ("scale", ParamType::F64, None),
            ]
        );
        assert_eq!(k.barriers().collect::<Vec<_>>(), ["phase"]);
        assert_eq!(k.stack(), 1000);
        assert!(k.forever());
        assert!(
            k.signature().starts_with("in north f32[64], out south f32[66]"),
            "{}",
            k.signature()
        );
    }

    #[test]
    fn several_kernels_and_defaults() {
        let ks = parse(
            Path::new("k.c"),
            "ECSP_KERNEL(a, \"first\", IN(x, i32)) {}\nECSP_KERNEL(b, \"second\", OUT(y, u32), STACK(12)) {}",
        )
        .unwrap();
        assert_eq!(ks.len(), 2);
        assert_eq!(ks[0].stack(), DEFAULT_STACK);
        assert_eq!(ks[1].stack(), 16);
        assert!(!ks[0].forever());
        assert_eq!(ks[1].line, 2);
    }

    #[test]
    fn mistakes_are_named_with_file_and_line() {
        let e = error("\n\nECSP_KERNEL(k, \"s\", IN(x, float, 4)) {}");
        assert!(e.starts_with("k.c:3: kernel `k`: port `x` has dtype `float`"), "{e}");
        let e = error("ECSP_KERNEL(k, \"s\", INPUT(x, f32)) {}");
        assert!(e.contains("`INPUT` is not an item; items are IN(name"), "{e}");
        let e = error("ECSP_KERNEL(k, IN(x, f32)) {}");
        assert!(e.contains("one-line summary in quotes"), "{e}");
        let e = error("ECSP_KERNEL(k, \"s\", IN(x, f32, N)) {}");
        assert!(e.contains("`N` is not a #define of this file"), "{e}");
        // A header of the file's own gives its #defines.
        let dir = std::env::temp_dir().join(format!("ecsp-decl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sizes.h"), "#define TILE 16\n#include \"more.h\"\n").unwrap();
        std::fs::write(dir.join("more.h"), "#define EDGE (TILE + 2)\n").unwrap();
        let k = parse(
            &dir.join("k.c"),
            "#include \"sizes.h\"\nECSP_KERNEL(k, \"s\", IN(x, f32, TILE * TILE), OUT(y, f32, EDGE)) {}",
        )
        .unwrap();
        assert_eq!(k[0].outputs().next().unwrap().msg.len, 18);
        std::fs::remove_dir_all(&dir).unwrap();
        let e = error("ECSP_KERNEL(k, \"s\", IN(x, f32, 0)) {}");
        assert!(e.contains("length 0"), "{e}");
        let e = error("ECSP_KERNEL(k, \"s\", IN(x, f64, 1000)) {}");
        assert!(e.contains("8000 bytes; a message is at most 4096"), "{e}");
        let e = error("ECSP_KERNEL(k, \"s\", PARAM(n, i32, 3.5)) {}");
        assert!(e.contains("takes an integer (i32), not 3.5"), "{e}");
        let e = error("ECSP_KERNEL(k, \"s\", PARAM(n, u32, -1)) {}");
        assert!(e.contains("is a u32"), "{e}");
        let e = error("ECSP_KERNEL(k, \"s\", IN(x, i32), OUT(x, i32)) {}");
        assert!(e.contains("`x` names a port and a port"), "{e}");
        let e = error("ECSP_KERNEL(k, \"s\", IN(x, i32)) {}\nECSP_KERNEL(k, \"t\", IN(x, i32)) {}");
        assert!(
            e.starts_with("k.c:2: a second kernel named `k` (the first is on line 1)"),
            "{e}"
        );
        let e = error("ECSP_KERNEL(k, \"s\") {}");
        assert!(e.contains("declares no items"), "{e}");
        let e = error("ECSP_KERNEL(k, \"s\", STACK(4)) {}");
        assert!(e.contains("a stack is 8 to 16384 bytes"), "{e}");
        let e = error("void f(void) { ECSP_KERNEL(k, \"s\", IN(x, i32)) }");
        assert!(e.contains("top level"), "{e}");
        let items: String = (0..33).map(|i| format!(", IN(p{i}, i32)")).collect();
        let e = error(&format!("ECSP_KERNEL(k, \"s\"{items}) {{}}"));
        assert!(e.contains("33 items, at most 32"), "{e}");
    }

    #[test]
    fn parameter_values_encode_as_the_kernel_reads_them() {
        assert_eq!(ParamType::I32.encode(&ParamValue::Int(-1)), Ok(u64::MAX));
        assert_eq!(
            ParamType::F32.encode(&ParamValue::Float(1.5)),
            Ok(1.5f32.to_bits() as u64)
        );
        assert_eq!(ParamType::F64.encode(&ParamValue::Int(2)), Ok(2f64.to_bits()));
        assert_eq!(ParamType::Bool.encode(&ParamValue::Bool(true)), Ok(1));
        assert!(ParamType::I32.encode(&ParamValue::Int(1 << 40)).is_err());
        assert!(ParamType::Bool.encode(&ParamValue::Int(2)).is_err());
        assert_eq!(ParamType::U64.encode(&ParamValue::Float(3.0)), Ok(3));
    }
}
