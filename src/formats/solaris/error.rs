//! Decode errors: which structure, at which byte offset of the input, what was wrong.

use zerocopy::{FromBytes, Immutable, KnownLayout};

/// A structure that could not be decoded (or only partly): names the C structure, the byte offset of the
/// problem within the bytes given to the decoder, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{structure} at byte {offset}: {kind}")]
pub struct DecodeError {
    /// The C structure (or /proc file) being decoded, e.g. `"psinfo_t"` or `"lstatus"`.
    pub structure: &'static str,
    /// Byte offset within the decoder's input where the problem is (start of the structure or entry,
    /// or of the offending field).
    pub offset: usize,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

/// What was wrong with the bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
pub enum DecodeErrorKind {
    /// Fewer bytes than the structure needs.
    #[error("truncated: needed {need} bytes, have {have}")]
    Truncated {
        /// Bytes the structure needs from its offset.
        need: usize,
        /// Bytes present from that offset.
        have: usize,
    },
    /// `prheader_t.pr_entsize` cannot hold one entry.
    #[error("pr_entsize {entsize} is smaller than the {entry}-byte entry")]
    EntsizeTooSmall {
        /// The header's `pr_entsize`.
        entsize: i64,
        /// Size of the entry structure.
        entry: usize,
    },
    /// `pr_nent` (or `pr_ngroups`, `pr_nsets`) promises more entries than the bytes hold.
    #[error("{field} {count} too large: only {fit} complete entries in the bytes present")]
    CountTooLarge {
        /// The count field (`pr_nent`, `pr_ngroups`, ...).
        field: &'static str,
        /// Its value.
        count: i64,
        /// How many entries were actually decoded.
        fit: usize,
    },
    /// A negative count or size.
    #[error("{field} is negative ({value})")]
    Negative {
        /// The field.
        field: &'static str,
        /// Its value.
        value: i64,
    },
    /// A self-describing item whose size cannot hold its own header (`pr_misc_size` of an fdinfo item).
    #[error("{field} {value} is smaller than its {min}-byte header")]
    ItemTooSmall {
        /// The size field.
        field: &'static str,
        /// Its value.
        value: u64,
        /// The header's size.
        min: usize,
    },
    /// A list that ends with a terminating record has none before the end of the bytes.
    #[error("no terminating {what} before the end")]
    Unterminated {
        /// The terminator expected (`pr_misc_header_t` with size 0).
        what: &'static str,
    },
    /// Bytes left over after the last whole entry of an array.
    #[error("{extra} trailing bytes after the last whole {entry}-byte entry")]
    Trailing {
        /// Leftover bytes.
        extra: usize,
        /// Entry size.
        entry: usize,
    },
}

impl DecodeError {
    /// An error of `kind` in `structure` at `offset`.
    pub fn new(structure: &'static str, offset: usize, kind: DecodeErrorKind) -> Self {
        DecodeError {
            structure,
            offset,
            kind,
        }
    }

    /// `structure` at `offset` needed `need` bytes and `have` were present.
    pub fn truncated(structure: &'static str, offset: usize, need: usize, have: usize) -> Self {
        DecodeError::new(structure, offset, DecodeErrorKind::Truncated { need, have })
    }
}

/// A value decoded as far as the bytes allowed, with a warning when something was left out (a lying
/// `pr_nent`, a truncated group list, trailing bytes).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Lenient<T> {
    /// What was decoded.
    pub value: T,
    /// Why it is incomplete, if it is.
    pub warning: Option<DecodeError>,
}

impl<T> Lenient<T> {
    /// A complete value.
    pub fn complete(value: T) -> Self {
        Lenient {
            value,
            warning: None,
        }
    }
}

/// A zero-copy view of `T` at the start of `bytes`, which begin at `offset` of the decoder's input.
pub(crate) fn view<'a, T: FromBytes + KnownLayout + Immutable>(
    bytes: &'a [u8],
    structure: &'static str,
    offset: usize,
) -> Result<&'a T, DecodeError> {
    T::ref_from_prefix(bytes)
        .map(|(t, _)| t)
        .map_err(|_| DecodeError::truncated(structure, offset, size_of::<T>(), bytes.len()))
}

/// Views `bytes` as consecutive `T` entries of `stride` bytes (`stride >= size_of::<T>()`), decoding each
/// with `f`. Trailing bytes that do not make a whole entry produce a warning.
pub(crate) fn array<'a, T, U>(
    bytes: &'a [u8],
    stride: usize,
    structure: &'static str,
    mut f: impl FnMut(&'a T) -> U,
) -> Lenient<Vec<U>>
where
    T: FromBytes + KnownLayout + Immutable + 'a,
{
    let size = size_of::<T>();
    let stride = stride.max(size).max(1);
    let mut out = Vec::with_capacity(bytes.len() / stride);
    let mut off = 0;
    while bytes.len() - off >= size {
        let Ok((t, _)) = T::ref_from_prefix(&bytes[off..]) else {
            break;
        };
        out.push(f(t));
        off = match off.checked_add(stride) {
            Some(o) if o <= bytes.len() => o,
            _ => bytes.len(),
        };
    }
    let warning = (off < bytes.len()).then(|| {
        DecodeError::new(
            structure,
            off,
            DecodeErrorKind::Trailing {
                extra: bytes.len() - off,
                entry: size,
            },
        )
    });
    Lenient {
        value: out,
        warning,
    }
}
