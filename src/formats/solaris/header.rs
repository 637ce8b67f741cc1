//! `prheader_t` arrays: `/proc/<pid>/lpsinfo` (`lwpsinfo_t` entries), `lstatus` (`lwpstatus_t`) and
//! `lusage` (`prusage_t`), from `sys/procfs.h` and `prvnops.c`.
//!
//! The header `{long pr_nent; long pr_entsize;}` (8 bytes ILP32, 16 LP64) is followed by `pr_nent`
//! entries spaced `pr_entsize` bytes apart. The kernel makes the span deliberately larger than the
//! structure (`LSPAN(type) = round16(sizeof type) + 16` for LP64 readers, `LSPAN32 = round8 + 8` for
//! ILP32), so entries are walked by `pr_entsize`, never by the structure size. `lusage` has
//! `nlwp + 1` entries: entry 0 is the process (defunct-LWP) aggregate.

use super::error::{DecodeError, DecodeErrorKind, Lenient, view};
use super::lwp::{Lwpsinfo, Lwpstatus, RawLwpsinfo, RawLwpstatus};
use super::types::{Arch, Long, Model, assert_model_size};
use super::usage::{Prusage, RawPrusage};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// Raw `prheader_t` / `prheader32_t`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPrheader<M: Model> {
    pub pr_nent: Long<M>,
    pub pr_entsize: Long<M>,
}
assert_model_size!(RawPrheader, 8, 16);

/// The header of an `lpsinfo`, `lstatus` or `lusage` file: `prheader_t` of `sys/procfs.h`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PrHeader {
    /// `pr_nent`: number of entries.
    pub nent: i64,
    /// `pr_entsize`: size of each entry, in bytes (the span, larger than the structure).
    pub entsize: i64,
}

pub(crate) fn prheader<M: Model>(bytes: &[u8]) -> Result<PrHeader, DecodeError> {
    let h = view::<RawPrheader<M>>(bytes, "prheader_t", 0)?;
    Ok(PrHeader {
        nent: h.pr_nent.into(),
        entsize: h.pr_entsize.into(),
    })
}

/// Walks the entries after a `prheader_t`, decoding each `T` with `f`.
///
/// Hard errors: a truncated header, a negative `pr_nent`, a `pr_entsize` smaller than `T` (when there are
/// entries). A `pr_nent` larger than the bytes allow gives the entries present plus a warning.
fn entries<'a, M: Model, T, U>(
    bytes: &'a [u8],
    file: &'static str,
    mut f: impl FnMut(&'a T) -> U,
) -> Result<Lenient<Vec<U>>, DecodeError>
where
    T: FromBytes + KnownLayout + Immutable + 'a,
{
    let word = M::MODEL.word_size();
    let hdr = prheader::<M>(bytes).map_err(|e| DecodeError {
        structure: file,
        ..e
    })?;
    if hdr.nent < 0 {
        return Err(DecodeError::new(
            file,
            0,
            DecodeErrorKind::Negative {
                field: "pr_nent",
                value: hdr.nent,
            },
        ));
    }
    if hdr.nent == 0 {
        return Ok(Lenient::complete(Vec::new()));
    }
    let size = size_of::<T>();
    let entsize = match usize::try_from(hdr.entsize) {
        Ok(e) if e >= size && e > 0 => e,
        _ => {
            return Err(DecodeError::new(
                file,
                word,
                DecodeErrorKind::EntsizeTooSmall {
                    entsize: hdr.entsize,
                    entry: size,
                },
            ));
        }
    };
    let start = 2 * word;
    let body = &bytes[start..];
    let fit = if body.len() < size {
        0
    } else {
        (body.len() - size) / entsize + 1
    };
    let n = usize::try_from(hdr.nent).map_or(fit, |nent| nent.min(fit));
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // i < fit, so i * entsize + size <= body.len().
        let off = i * entsize;
        out.push(f(view::<T>(&body[off..], file, start + off)?));
    }
    let warning = (hdr.nent as u64 > n as u64).then(|| {
        DecodeError::new(
            file,
            start.saturating_add(n.saturating_mul(entsize)),
            DecodeErrorKind::CountTooLarge {
                field: "pr_nent",
                count: hdr.nent,
                fit: n,
            },
        )
    });
    Ok(Lenient {
        value: out,
        warning,
    })
}

pub(crate) fn lpsinfo<M: Model>(bytes: &[u8]) -> Result<Lenient<Vec<Lwpsinfo>>, DecodeError> {
    entries::<M, RawLwpsinfo<M>, _>(bytes, "lpsinfo", Lwpsinfo::from)
}

pub(crate) fn lstatus<A: Arch>(bytes: &[u8]) -> Result<Lenient<Vec<Lwpstatus>>, DecodeError> {
    entries::<A::M, RawLwpstatus<A>, _>(bytes, "lstatus", Lwpstatus::from)
}

pub(crate) fn lusage<M: Model>(bytes: &[u8]) -> Result<Lenient<Vec<Prusage>>, DecodeError> {
    entries::<M, RawPrusage<M>, _>(bytes, "lusage", Prusage::from)
}
