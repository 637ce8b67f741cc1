//! Byte strings that are kept losslessly.
//!
//! argv, comm, environment entries and paths are bytes on every Unix, not UTF-8. procsift keeps them as
//! bytes in the model and renders them with one documented, reversible escape (see [`escape`]):
//! valid UTF-8 is written as is, every byte that is not part of valid UTF-8 becomes `\xNN` (two lower-case
//! hex digits) and a backslash becomes `\\`. No byte is ever replaced by U+FFFD.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An owned byte string, serialized as an escaped string (see the module documentation).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteString(pub Vec<u8>);

impl ByteString {
    /// Copies `bytes` into a new byte string.
    pub fn new(bytes: &[u8]) -> Self {
        ByteString(bytes.to_vec())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The escaped text form (see [`escape`]).
    pub fn escaped(&self) -> String {
        escape(&self.0)
    }

    /// True when the string holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&[u8]> for ByteString {
    fn from(b: &[u8]) -> Self {
        ByteString(b.to_vec())
    }
}

impl From<Vec<u8>> for ByteString {
    fn from(b: Vec<u8>) -> Self {
        ByteString(b)
    }
}

impl From<&str> for ByteString {
    fn from(s: &str) -> Self {
        ByteString(s.as_bytes().to_vec())
    }
}

impl fmt::Debug for ByteString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", escape(&self.0))
    }
}

impl fmt::Display for ByteString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape(&self.0))
    }
}

impl Serialize for ByteString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&escape(&self.0))
    }
}

impl<'de> Deserialize<'de> for ByteString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        unescape(&s)
            .map(ByteString)
            .ok_or_else(|| serde::de::Error::custom("invalid \\x escape in byte string"))
    }
}

/// Escapes bytes for display and JSON: valid UTF-8 stays, `\` becomes `\\`, every other byte `\xNN`.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Reverses [`escape`]; `None` when the text holds a malformed escape.
pub fn unescape(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1)? {
            b'\\' => {
                out.push(b'\\');
                i += 2;
            }
            b'x' => {
                let hex = text.get(i + 2..i + 4)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 4;
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_round_trips_invalid_bytes_and_backslashes() {
        let raw = b"a b\xffc\\d\xc3\xa9";
        let text = escape(raw);
        assert_eq!(text, "a b\\xffc\\\\d\u{e9}");
        assert_eq!(unescape(&text).unwrap(), raw);
    }

    #[test]
    fn unescape_rejects_malformed() {
        assert_eq!(unescape("\\q"), None);
        assert_eq!(unescape("\\x4"), None);
        assert_eq!(unescape("\\"), None);
    }
}
