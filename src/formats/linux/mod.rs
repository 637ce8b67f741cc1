//! Linux /proc text records (proc(5)), decoded from bytes.
//!
//! One file, one module, one type, after `procfs-core`; but nothing is decoded lossily: names, argv and
//! paths stay bytes. Decoders are lenient where the kernel's format grows (unknown keys are ignored, later
//! fields are `Option`) and strict where a value is malformed: a [`ParseError`] gives the byte offset.

pub mod cgroup;
pub mod cmdline;
pub mod cn_proc;
pub mod fdinfo;
pub mod io;
pub mod kv;
pub mod limits;
pub mod links;
pub mod maps;
pub mod mountinfo;
pub mod net;
pub mod passwd;
pub mod stat;
pub mod statm;
pub mod status;
pub mod system;

/// A malformed record: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset of the problem within the record.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        ParseError {
            offset,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

/// Splits `bytes` into whitespace-separated fields with their byte offsets.
pub(crate) fn fields(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        while pos < bytes.len() && !bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        Some((start, &bytes[start..pos]))
    })
}

/// Parses an ASCII decimal field.
pub(crate) fn num<T: std::str::FromStr>(field: &[u8]) -> Option<T> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// Lines with their byte offsets (without the newline).
pub(crate) fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        pos = end + 1;
        Some((start, &bytes[start..end]))
    })
}

/// The lines of a text file (without their newlines), for callers outside this module.
pub fn lines_of(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    lines(bytes).map(|(_, l)| l)
}
