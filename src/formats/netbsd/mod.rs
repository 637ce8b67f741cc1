//! NetBSD sysctl(3) answers, decoded from bytes: the fixed-width records of `KERN_PROC2`
//! (`struct kinfo_proc2`), `KERN_LWP` (`struct kinfo_lwp`), `KERN_FILE2` (`struct kinfo_file`), the
//! `net.*.pcblist` nodes (`struct kinfo_pcb`), and the NUL-separated strings of `KERN_PROC_ARGS`.
//!
//! Sources: `sys/sys/sysctl.h` 1.236 (`kinfo_proc2`, `kinfo_lwp`, `kinfo_file`) and `sys/sys/socket.h`
//! (`kinfo_pcb`), transcribed and machine-checked in layouts.md §2 and `layouts-json/netbsd/*.json`, and
//! cross-checked against the libc crate (rust-lang/libc `src/unix/bsd/netbsdlike/netbsd/mod.rs` at
//! 5494238c472339f532810281adadd7f98ef72c7e for `kinfo_proc2`, `kinfo_lwp`, `kinfo_file`;
//! `src/new/netbsd/sys/socket.rs` at b15d3d5c40b0d346054c7ef85de86ceeedb19aca for `kinfo_pcb`).
//!
//! The structures are built from fixed-width integers with explicit pads, so every field has the same
//! offset on every NetBSD architecture (amd64, i386, aarch64, sparc64): only the byte order follows the
//! host. This layer does no I/O: `&[u8]` in, owned values out; the raw zerocopy structures stay private.
//!
//! # Element size
//!
//! The caller of these sysctls names the element size in the MIB (`{..., elem_size, elem_count}`); the
//! kernel copies `min(elem_size, sizeof (struct))` bytes per entry and steps by `elem_size`. New fields
//! are only ever appended, so an array is walked by the element size it was taken with (`walk`), and a
//! newer kernel's longer records still decode their known prefix. An element size smaller than the
//! structure known here is an error (the fields past it would be missing).
//!
//! Robustness: no decoder panics on any input; a truncated array yields the whole records present plus
//! a warning ([`Lenient`]).

pub mod args;
pub mod file;
pub mod lwp;
pub mod pcb;
pub mod proc2;
#[cfg(target_os = "netbsd")]
mod witness;

pub use crate::formats::solaris::{DecodeError, DecodeErrorKind, Lenient};
pub use args::{pathname, strings};
pub use file::KinfoFile;
pub use lwp::KinfoLwp;
pub use pcb::{KinfoPcb, SockAddr};
pub use proc2::KinfoProc2;

use zerocopy::byteorder::{BigEndian, ByteOrder, I32, LittleEndian};
use zerocopy::{FromBytes, Immutable, KnownLayout};

use file::RawKinfoFile;
use lwp::RawKinfoLwp;
use pcb::RawKinfoPcb;
use proc2::RawKinfoProc2;

use crate::abi::{Endianness, with_byte_order};

/// `sizeof (struct kinfo_proc2)` (layouts.md §2.2).
pub const KINFO_PROC2_SIZE: usize = 680;
/// `sizeof (struct kinfo_lwp)`.
pub const KINFO_LWP_SIZE: usize = 128;
/// `sizeof (struct kinfo_file)`.
pub const KINFO_FILE_SIZE: usize = 120;
/// `sizeof (struct kinfo_pcb)`.
pub const KINFO_PCB_SIZE: usize = 640;

/// Largest pid or count taken as plausible when sniffing the byte order (NetBSD's `PID_MAX` is 30000;
/// the bound leaves room for other configurations while still rejecting a byte-swapped small number).
const PLAUSIBLE_ID: i64 = 1 << 22;

/// Walks `bytes` as consecutive records of `elem_size` bytes, decoding the known prefix `T` of each with
/// `f`. A final partial record is left out with a warning; `elem_size` smaller than `T` is an error.
pub(crate) fn walk<'a, T, U>(
    bytes: &'a [u8],
    elem_size: usize,
    structure: &'static str,
    mut f: impl FnMut(&'a T) -> U,
) -> Result<Lenient<Vec<U>>, DecodeError>
where
    T: FromBytes + KnownLayout + Immutable + 'a,
{
    let size = size_of::<T>();
    if elem_size < size || elem_size == 0 {
        return Err(DecodeError::new(
            structure,
            0,
            DecodeErrorKind::EntsizeTooSmall {
                entsize: elem_size as i64,
                entry: size,
            },
        ));
    }
    let whole = bytes.len() / elem_size;
    let mut out = Vec::with_capacity(whole);
    for chunk in bytes.chunks_exact(elem_size) {
        // chunk.len() == elem_size >= size: the prefix view cannot fail.
        if let Ok((t, _)) = T::ref_from_prefix(chunk) {
            out.push(f(t));
        }
    }
    let rest = bytes.len() % elem_size;
    let warning =
        (rest != 0).then(|| DecodeError::truncated(structure, whole * elem_size, elem_size, rest));
    Ok(Lenient {
        value: out,
        warning,
    })
}

/// Decodes `KERN_PROC2` output: `struct kinfo_proc2` records `elem_size` bytes apart.
pub fn decode_proc2(
    bytes: &[u8],
    elem_size: usize,
    endian: Endianness,
) -> Result<Lenient<Vec<KinfoProc2>>, DecodeError> {
    with_byte_order!(endian, O => walk(bytes, elem_size, "kinfo_proc2", KinfoProc2::from_raw::<O>))
}

/// Decodes `KERN_LWP` output: `struct kinfo_lwp` records `elem_size` bytes apart.
pub fn decode_lwps(
    bytes: &[u8],
    elem_size: usize,
    endian: Endianness,
) -> Result<Lenient<Vec<KinfoLwp>>, DecodeError> {
    with_byte_order!(endian, O => walk(bytes, elem_size, "kinfo_lwp", KinfoLwp::from_raw::<O>))
}

/// Decodes `KERN_FILE2` output: `struct kinfo_file` records `elem_size` bytes apart.
pub fn decode_files(
    bytes: &[u8],
    elem_size: usize,
    endian: Endianness,
) -> Result<Lenient<Vec<KinfoFile>>, DecodeError> {
    with_byte_order!(endian, O => walk(bytes, elem_size, "kinfo_file", KinfoFile::from_raw::<O>))
}

/// Decodes a `net.*.pcblist` answer: `struct kinfo_pcb` records `elem_size` bytes apart.
pub fn decode_pcbs(
    bytes: &[u8],
    elem_size: usize,
    endian: Endianness,
) -> Result<Lenient<Vec<KinfoPcb>>, DecodeError> {
    with_byte_order!(endian, O => walk(bytes, elem_size, "kinfo_pcb", |r| KinfoPcb::from_raw::<O>(r, endian)))
}

fn plausible(v: i64) -> bool {
    (0..PLAUSIBLE_ID).contains(&v)
}

/// Whether every record (at most the first 256) of a `KERN_PROC2` answer read in byte order `O` with
/// element size `elem` has a plausible `p_pid`, `p_ppid`, `p_nlwps` and `p_ngroups`.
fn proc2_plausible<O: ByteOrder>(bytes: &[u8], elem: usize) -> bool {
    if elem < KINFO_PROC2_SIZE || bytes.len() < KINFO_PROC2_SIZE {
        return false;
    }
    bytes.chunks_exact(elem).take(256).all(|r| {
        RawKinfoProc2::<O>::ref_from_prefix(r).is_ok_and(|(k, _)| {
            plausible(i64::from(k.p_pid.get()))
                && plausible(i64::from(k.p_ppid.get()))
                && k.p_nlwps.get() < PLAUSIBLE_ID as u64
                && (0..=16).contains(&k.p_ngroups.get())
        })
    })
}

/// The byte order of a `KERN_PROC2` answer taken with records of `elem_size` bytes: the order in which
/// every record's `p_pid` and `p_ppid` are plausible pids, `p_nlwps` (64 bits) a plausible count and
/// `p_ngroups` at most `KI_NGROUPS`. A 64-bit count read in the wrong order is
/// at least 2^24, so one real record settles it. `None` when neither or both orders fit (no records).
pub fn sniff_proc2_order(bytes: &[u8], elem_size: usize) -> Option<Endianness> {
    match (
        proc2_plausible::<LittleEndian>(bytes, elem_size),
        proc2_plausible::<BigEndian>(bytes, elem_size),
    ) {
        (true, false) => Some(Endianness::Little),
        (false, true) => Some(Endianness::Big),
        _ => None,
    }
}

/// The element size of an array of `len` bytes of a structure known to be `known` bytes, taken without
/// a record of it (no manifest): `known` when it divides `len` and `ok` accepts it, else the smallest
/// larger multiple of 8 (at most four times `known`) that divides `len` and that `ok` accepts, else
/// `known` (the walk then warns about the bytes left over). `ok(size)` checks the records a size
/// would give (plausible pids, the expected `l_pid`, known families).
pub fn infer_elem_size(len: usize, known: usize, ok: impl Fn(usize) -> bool) -> usize {
    if len == 0 || (len % known == 0 && ok(known)) {
        return known;
    }
    (known + 8..=len.min(known * 4))
        .step_by(8)
        .find(|&e| len % e == 0 && ok(e))
        .unwrap_or(known)
}

/// [`infer_elem_size`] for `KERN_PROC2`: records plausible in byte order `endian`.
pub fn infer_proc2_elem(bytes: &[u8], endian: Endianness) -> usize {
    infer_elem_size(
        bytes.len(),
        KINFO_PROC2_SIZE,
        |e| with_byte_order!(endian, O => proc2_plausible::<O>(bytes, e)),
    )
}

/// [`infer_elem_size`] for `KERN_LWP` of process `pid`: every record's `l_pid` is `pid`.
pub fn infer_lwp_elem(bytes: &[u8], endian: Endianness, pid: i32) -> usize {
    infer_elem_size(bytes.len(), KINFO_LWP_SIZE, |e| {
        with_byte_order!(endian, O => bytes.chunks_exact(e).all(|r| {
            RawKinfoLwp::<O>::ref_from_prefix(r).is_ok_and(|(l, _)| l.l_pid.get() == pid as u32)
        }))
    })
}

/// [`infer_elem_size`] for `KERN_FILE2`: every record's `ki_pid` is a plausible pid and its `ki_ftype` a
/// `DTYPE_*` (1..=10).
pub fn infer_file_elem(bytes: &[u8], endian: Endianness) -> usize {
    infer_elem_size(bytes.len(), KINFO_FILE_SIZE, |e| {
        with_byte_order!(endian, O => bytes.chunks_exact(e).all(|r| {
            RawKinfoFile::<O>::ref_from_prefix(r).is_ok_and(|(f, _)| {
                plausible(i64::from(f.ki_pid.get())) && (1..=10).contains(&f.ki_ftype.get())
            })
        }))
    })
}

/// [`infer_elem_size`] for a pcblist: every record's `ki_family` is `AF_LOCAL` 1, `AF_INET` 2 or
/// `AF_INET6` 24.
pub fn infer_pcb_elem(bytes: &[u8], endian: Endianness) -> usize {
    infer_elem_size(bytes.len(), KINFO_PCB_SIZE, |e| {
        with_byte_order!(endian, O => bytes.chunks_exact(e).all(|r| {
            RawKinfoPcb::<O>::ref_from_prefix(r)
                .is_ok_and(|(p, _)| matches!(p.ki_family.get(), 1 | 2 | 24))
        }))
    })
}

/// The `int` answer of `hw.pagesize` (`{CTL_HW, HW_PAGESIZE}`, `sys/sys/sysctl.h`) in byte order `endian`:
/// `None` when the member holds fewer than 4 bytes or a value that is not positive.
pub fn decode_pagesize(bytes: &[u8], endian: Endianness) -> Option<u64> {
    let v = with_byte_order!(endian, O => I32::<O>::read_from_prefix(bytes).ok()?.0.get());
    u64::try_from(v).ok().filter(|v| *v > 0)
}

/// `[(field name, offset_of!, expected offset)]` for the layout tests.
#[cfg(test)]
macro_rules! offsets {
    ($t:ty, $(($f:ident, $o:expr)),* $(,)?) => {
        [$((stringify!($f), offset_of!($t, $f), $o)),*]
    };
}
#[cfg(test)]
pub(crate) use offsets;

/// The bytes of a fixed-size C `char[]` field up to (not including) the first NUL, owned.
pub(crate) fn c_string(bytes: &[u8]) -> Vec<u8> {
    crate::formats::cstr::c_string(bytes).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_steps_by_the_element_size_and_warns_on_a_partial_record() {
        let mut b = vec![0u8; 3 * 136 + 50];
        for i in 0..3 {
            b[i * 136 + 32] = i as u8 + 1; // l_lid, little-endian
        }
        let l = decode_lwps(&b, 136, Endianness::Little).unwrap();
        assert_eq!(
            l.value.iter().map(|l| l.lid).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        let w = l.warning.unwrap();
        assert_eq!((w.structure, w.offset), ("kinfo_lwp", 408));
        assert!(decode_lwps(&b, 100, Endianness::Little).is_err());
        assert!(decode_lwps(&b, 0, Endianness::Little).is_err());
    }

    #[test]
    fn element_size_is_inferred_from_length_and_records() {
        // 3 records of 136 bytes whose l_pid is 7.
        let mut b = vec![0u8; 3 * 136];
        for i in 0..3 {
            b[i * 136 + 104] = 7;
        }
        assert_eq!(infer_lwp_elem(&b, Endianness::Little, 7), 136);
        let mut c = vec![0u8; 2 * 128];
        c[104] = 7;
        c[128 + 104] = 7;
        assert_eq!(infer_lwp_elem(&c, Endianness::Little, 7), 128);
        assert_eq!(infer_lwp_elem(&c, Endianness::Big, 7), 128);
        assert_eq!(infer_lwp_elem(&[], Endianness::Little, 7), 128);
    }
}
