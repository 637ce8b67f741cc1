//! Credentials and privileges: `prcred_t` (NT_PRCRED, `/proc/<pid>/cred`), the `prpriv_t` header
//! (NT_PRPRIV, `priv`) and `prsecflags_t` (NT_SECFLAGS, `secflags`), from `sys/procfs.h`. All three have
//! the same layout in every data model; only the byte order varies.

use super::error::{DecodeError, DecodeErrorKind, Lenient, view};
use zerocopy::byteorder::{ByteOrder, I32, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// Raw `prcred_t` / `prcred32_t` with its one declared group (32 bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPrcred<O: ByteOrder> {
    pub pr_euid: U32<O>,
    pub pr_ruid: U32<O>,
    pub pr_suid: U32<O>,
    pub pr_egid: U32<O>,
    pub pr_rgid: U32<O>,
    pub pr_sgid: U32<O>,
    pub pr_ngroups: I32<O>,
    pub pr_groups: [U32<O>; 1],
}

/// Raw `prpriv_t` header with its one declared `priv_chunk_t` (16 bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPrpriv<O: ByteOrder> {
    pub pr_nsets: U32<O>,
    pub pr_setsize: U32<O>,
    pub pr_infosize: U32<O>,
    pub pr_sets: [U32<O>; 1],
}

/// Raw `prsecflags_t` (40 bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPrsecflags<O: ByteOrder> {
    pub pr_version: U32<O>,
    pub pr_pad: [u8; 4],
    pub pr_effective: U64<O>,
    pub pr_inherit: U64<O>,
    pub pr_lower: U64<O>,
    pub pr_upper: U64<O>,
}

const _: () = {
    use zerocopy::{BigEndian as B, LittleEndian as L};
    assert!(size_of::<RawPrcred<L>>() == 32 && size_of::<RawPrcred<B>>() == 32);
    assert!(size_of::<RawPrpriv<L>>() == 16 && size_of::<RawPrpriv<B>>() == 16);
    assert!(size_of::<RawPrsecflags<L>>() == 40 && size_of::<RawPrsecflags<B>>() == 40);
};

/// Offset of `pr_groups` in `prcred_t`.
const GROUPS_OFFSET: usize = 28;
/// Offset of `pr_sets` in `prpriv_t`.
const SETS_OFFSET: usize = 12;

/// Process credentials: `prcred_t` of `sys/procfs.h`. The file holds `pr_ngroups` groups
/// (`sizeof (prcred_t) + (ngroups - 1) * sizeof (gid_t)` bytes when `ngroups > 1`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Prcred {
    /// `pr_euid`: effective user id.
    pub euid: u32,
    /// `pr_ruid`: real user id.
    pub ruid: u32,
    /// `pr_suid`: saved user id (from exec).
    pub suid: u32,
    /// `pr_egid`: effective group id.
    pub egid: u32,
    /// `pr_rgid`: real group id.
    pub rgid: u32,
    /// `pr_sgid`: saved group id (from exec).
    pub sgid: u32,
    /// `pr_ngroups`: number of supplementary groups, as stored.
    pub ngroups: i32,
    /// `pr_groups`: the supplementary groups present in the bytes (at most `pr_ngroups`).
    pub groups: Vec<u32>,
}

/// Reads `count` 32-bit words starting at `start`, bounded by the bytes present; warns when `count` is
/// larger than what fits.
fn words<O: ByteOrder>(
    bytes: &[u8],
    start: usize,
    count: u64,
    structure: &'static str,
    field: &'static str,
) -> (Vec<u32>, Option<DecodeError>) {
    let avail = bytes.get(start..).unwrap_or_default();
    let fit = avail.len() / 4;
    let n = usize::try_from(count).map_or(fit, |c| c.min(fit));
    let (words, _) = <[U32<O>]>::ref_from_prefix_with_elems(avail, n).unwrap_or_default();
    let warning = (count > n as u64).then(|| {
        DecodeError::new(
            structure,
            start + 4 * n,
            DecodeErrorKind::CountTooLarge {
                field,
                count: i64::try_from(count).unwrap_or(i64::MAX),
                fit: n,
            },
        )
    });
    (words.iter().map(|w| w.get()).collect(), warning)
}

pub(crate) fn prcred<O: ByteOrder>(bytes: &[u8]) -> Result<Lenient<Prcred>, DecodeError> {
    let r = view::<RawPrcred<O>>(bytes, "prcred_t", 0)?;
    let ngroups = r.pr_ngroups.get();
    let (groups, warning) = if ngroups < 0 {
        let e = DecodeErrorKind::Negative {
            field: "pr_ngroups",
            value: ngroups.into(),
        };
        (Vec::new(), Some(DecodeError::new("prcred_t", 24, e)))
    } else {
        words::<O>(
            bytes,
            GROUPS_OFFSET,
            ngroups as u64,
            "prcred_t",
            "pr_ngroups",
        )
    };
    Ok(Lenient {
        value: Prcred {
            euid: r.pr_euid.get(),
            ruid: r.pr_ruid.get(),
            suid: r.pr_suid.get(),
            egid: r.pr_egid.get(),
            rgid: r.pr_rgid.get(),
            sgid: r.pr_sgid.get(),
            ngroups,
            groups,
        },
        warning,
    })
}

/// Process privilege sets: the `prpriv_t` header of `sys/procfs.h` with its sets. Followed in the file by
/// `pr_infosize` bytes of `priv_info_t` records, kept raw.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Prpriv {
    /// `pr_nsets`: number of privilege sets (effective, inheritable, permitted, limit).
    pub nsets: u32,
    /// `pr_setsize`: size of each set, in `priv_chunk_t` (32-bit) words.
    pub setsize: u32,
    /// `pr_infosize`: size of the trailing `priv_info_t` data, in bytes.
    pub infosize: u32,
    /// `pr_sets`: `nsets` sets of `setsize` words each (only whole sets present in the bytes).
    pub sets: Vec<Vec<u32>>,
    /// The `priv_info_t` records after the sets, raw (bounded by the bytes present).
    pub info: Vec<u8>,
}

pub(crate) fn prpriv<O: ByteOrder>(bytes: &[u8]) -> Result<Lenient<Prpriv>, DecodeError> {
    let r = view::<RawPrpriv<O>>(bytes, "prpriv_t", 0)?;
    let (nsets, setsize, infosize) = (r.pr_nsets.get(), r.pr_setsize.get(), r.pr_infosize.get());
    let total = u64::from(nsets) * u64::from(setsize);
    let (flat, mut warning) = words::<O>(bytes, SETS_OFFSET, total, "prpriv_t", "pr_nsets");
    let sets = if setsize == 0 {
        Vec::new()
    } else {
        flat.chunks_exact(setsize as usize)
            .map(<[u32]>::to_vec)
            .collect()
    };
    let info_start = SETS_OFFSET + 4 * flat.len();
    let avail = bytes.get(info_start..).unwrap_or_default();
    let info_len = avail.len().min(infosize as usize);
    if warning.is_none() && info_len < infosize as usize {
        warning = Some(DecodeError::truncated(
            "prpriv_t",
            info_start,
            infosize as usize,
            avail.len(),
        ));
    }
    Ok(Lenient {
        value: Prpriv {
            nsets,
            setsize,
            infosize,
            sets,
            info: avail[..info_len].to_vec(),
        },
        warning,
    })
}

/// Security flags: `prsecflags_t` of `sys/procfs.h` (`secflagset_t` bit sets: PROC_SEC_ASLR 0x1,
/// PROC_SEC_FORBIDNULLMAP 0x2, PROC_SEC_NOEXECSTACK 0x4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Prsecflags {
    /// `pr_version`: `PRSECFLAGS_VERSION_1` = 1.
    pub version: u32,
    /// `pr_effective`: effective flags.
    pub effective: u64,
    /// `pr_inherit`: flags inherited by children.
    pub inherit: u64,
    /// `pr_lower`: lower bound.
    pub lower: u64,
    /// `pr_upper`: upper bound.
    pub upper: u64,
}

pub(crate) fn prsecflags<O: ByteOrder>(bytes: &[u8]) -> Result<Prsecflags, DecodeError> {
    let r = view::<RawPrsecflags<O>>(bytes, "prsecflags_t", 0)?;
    Ok(Prsecflags {
        version: r.pr_version.get(),
        effective: r.pr_effective.get(),
        inherit: r.pr_inherit.get(),
        lower: r.pr_lower.get(),
        upper: r.pr_upper.get(),
    })
}
