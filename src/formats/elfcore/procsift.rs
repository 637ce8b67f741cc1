//! procsift's own core note (owner `PROCSIFT`, type [`NT_PROCSIFT_GCORE`]), written by `procsift gcore`:
//! when and how a live process was dumped, and the ranges of its memory the core lacks. The layout is
//! described in the project's `docs/core-layouts.md`; these decoding structures are separate from the
//! writer's (`crate::gcore::notes`).

use crate::abi::{Endianness, with_byte_order};
use zerocopy::byteorder::{ByteOrder, I32, I64, LE, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::CoreWarning;

/// The owner name.
pub const OWNER_PROCSIFT: &[u8] = b"PROCSIFT";
/// The note type ("GCSP" in a little-endian file).
pub const NT_PROCSIFT_GCORE: u32 = 0x5053_4743;

/// The note's fixed part (56 bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct Head<O: ByteOrder> {
    version: U32<O>,
    range_size: U32<O>,
    nranges: U32<O>,
    flags: U32<O>,
    filter: U64<O>,
    stopped_ns: U64<O>,
    time_sec: I64<O>,
    time_nsec: U32<O>,
    nthreads: U32<O>,
    max_size: U64<O>,
}
const _: () = assert!(size_of::<Head<LE>>() == 56);

/// One range record (24 bytes; later versions may make them longer: walked by `range_size`).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RangeRecord<O: ByteOrder> {
    start: U64<O>,
    end: U64<O>,
    reason: U32<O>,
    errno: I32<O>,
}
const RANGE_SIZE: usize = 24;
const _: () = assert!(size_of::<RangeRecord<LE>>() == RANGE_SIZE);

/// `flags`: every readable mapping was dumped (`--all`).
pub const GCORE_ALL: u32 = 1;
/// `flags`: `--max-size` left memory out.
pub const GCORE_CAPPED: u32 = 2;
/// `flags`: the process was in a job-control stop before the dump, and was left so.
pub const GCORE_WAS_STOPPED: u32 = 4;
/// A range's `reason`: it could not be read.
pub const RANGE_UNREADABLE: u32 = 1;
/// A range's `reason`: left out by `--max-size`.
pub const RANGE_OVER_MAX_SIZE: u32 = 2;

/// A range the core lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingRange {
    /// First address.
    pub start: u64,
    /// End address (exclusive).
    pub end: u64,
    /// `RANGE_UNREADABLE`, `RANGE_OVER_MAX_SIZE`, or a later reason.
    pub reason: u32,
    /// The errno of an unreadable range.
    pub errno: i32,
}

/// The decoded note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GcoreNote {
    /// Layout version (1).
    pub version: u32,
    /// `GCORE_*` bits.
    pub flags: u32,
    /// The `coredump_filter` bits applied.
    pub filter: u64,
    /// How long the process was stopped, nanoseconds.
    pub stopped_ns: u64,
    /// When it was stopped: UTC seconds and nanoseconds.
    pub time: (i64, u32),
    /// Threads dumped.
    pub nthreads: u32,
    /// `--max-size`, 0 for none.
    pub max_size: u64,
    /// The ranges missing.
    pub ranges: Vec<MissingRange>,
}

/// Decodes the note's descriptor (at file offset `offset`).
pub fn decode(
    desc: &[u8],
    endian: Endianness,
    offset: u64,
    warnings: &mut Vec<CoreWarning>,
) -> Option<GcoreNote> {
    const WHAT: &str = "PROCSIFT note";
    with_byte_order!(endian, O => {
        let Ok((h, rest)) = Head::<O>::ref_from_prefix(desc) else {
            warnings.push(CoreWarning::new(
                WHAT,
                offset,
                format!("{} bytes, the note needs 56: not read", desc.len()),
            ));
            return None;
        };
        let size = h.range_size.get() as usize;
        let claimed = h.nranges.get() as usize;
        let mut ranges = Vec::new();
        if size < RANGE_SIZE {
            if claimed > 0 {
                warnings.push(CoreWarning::new(
                    WHAT,
                    offset + 4,
                    format!("range records of {size} bytes are too short (24): not read"),
                ));
            }
        } else {
            let room = rest.len() / size;
            if claimed > room {
                warnings.push(CoreWarning::new(
                    WHAT,
                    offset + 8,
                    format!("{claimed} ranges do not fit in {} bytes: read {room}", desc.len()),
                ));
            }
            for rec in rest.chunks_exact(size).take(claimed.min(room)) {
                if let Ok((r, _)) = RangeRecord::<O>::ref_from_prefix(rec) {
                    ranges.push(MissingRange {
                        start: r.start.get(),
                        end: r.end.get(),
                        reason: r.reason.get(),
                        errno: r.errno.get(),
                    });
                }
            }
        }
        Some(GcoreNote {
            version: h.version.get(),
            flags: h.flags.get(),
            filter: h.filter.get(),
            stopped_ns: h.stopped_ns.get(),
            time: (h.time_sec.get(), h.time_nsec.get()),
            nthreads: h.nthreads.get(),
            max_size: h.max_size.get(),
            ranges,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(v: &mut Vec<u8>, bytes: &[u8]) {
        v.extend_from_slice(bytes);
    }

    /// Built field by field from the layout in docs/core-layouts.md.
    fn note(nranges: u32, records: usize) -> Vec<u8> {
        let mut v = Vec::new();
        put(&mut v, &1u32.to_le_bytes());
        put(&mut v, &24u32.to_le_bytes());
        put(&mut v, &nranges.to_le_bytes());
        put(&mut v, &6u32.to_le_bytes());
        put(&mut v, &0x33u64.to_le_bytes());
        put(&mut v, &1_500_000u64.to_le_bytes());
        put(&mut v, &1_700_000_000i64.to_le_bytes());
        put(&mut v, &7u32.to_le_bytes());
        put(&mut v, &3u32.to_le_bytes());
        put(&mut v, &(1u64 << 30).to_le_bytes());
        for i in 0..records as u64 {
            put(&mut v, &(0x1000 * (i + 1)).to_le_bytes());
            put(&mut v, &(0x1000 * (i + 2)).to_le_bytes());
            put(&mut v, &1u32.to_le_bytes());
            put(&mut v, &5i32.to_le_bytes());
        }
        v
    }

    #[test]
    fn fields_and_ranges() {
        let mut w = Vec::new();
        let n = decode(&note(2, 2), Endianness::Little, 100, &mut w).unwrap();
        assert!(w.is_empty());
        assert_eq!(n.flags, GCORE_CAPPED | GCORE_WAS_STOPPED);
        assert_eq!(
            (n.filter, n.stopped_ns, n.time, n.nthreads),
            (0x33, 1_500_000, (1_700_000_000, 7), 3)
        );
        assert_eq!(n.max_size, 1 << 30);
        assert_eq!(
            n.ranges,
            vec![
                MissingRange {
                    start: 0x1000,
                    end: 0x2000,
                    reason: 1,
                    errno: 5
                },
                MissingRange {
                    start: 0x2000,
                    end: 0x3000,
                    reason: 1,
                    errno: 5
                },
            ]
        );
    }

    #[test]
    fn lying_counts_are_bounded() {
        let mut w = Vec::new();
        let n = decode(&note(u32::MAX, 1), Endianness::Little, 100, &mut w).unwrap();
        assert_eq!(n.ranges.len(), 1);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].offset, 108);
        let mut w = Vec::new();
        assert!(decode(&note(0, 0)[..40], Endianness::Little, 100, &mut w).is_none());
        assert_eq!(w.len(), 1);
    }
}
