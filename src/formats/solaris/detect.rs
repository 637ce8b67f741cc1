//! Choosing the layout of a structure: from its size (every structure's size names its data model, and
//! `pstatus_t`/`lwpstatus_t` also the ISA), and the byte order from a known process id.

use super::types::{Isa, Layout};
use zerocopy::FromBytes;
use zerocopy::byteorder::{BigEndian, I32, LittleEndian};

use crate::abi::{DataModel, Endianness};

/// `sizeof (psinfo_t)`: ILP32 (`psinfo32_t`) and LP64.
pub const PSINFO_SIZE: [(DataModel, usize); 2] = [(DataModel::Ilp32, 336), (DataModel::Lp64, 416)];

/// `sizeof (pstatus_t)` per ISA and data model (layouts.md §0).
pub const PSTATUS_SIZE: [(Isa, DataModel, usize); 4] = [
    (Isa::X86, DataModel::Ilp32, 1136),
    (Isa::X86, DataModel::Lp64, 1680),
    (Isa::Sparc, DataModel::Ilp32, 1232),
    (Isa::Sparc, DataModel::Lp64, 1776),
];

/// `sizeof (lwpstatus_t)` per ISA and data model (layouts.md §0).
pub const LWPSTATUS_SIZE: [(Isa, DataModel, usize); 4] = [
    (Isa::X86, DataModel::Ilp32, 800),
    (Isa::X86, DataModel::Lp64, 1296),
    (Isa::Sparc, DataModel::Ilp32, 896),
    (Isa::Sparc, DataModel::Lp64, 1392),
];

/// The data model of a `psinfo_t` of exactly `len` bytes (336 ILP32, 416 LP64).
pub fn model_from_psinfo_size(len: usize) -> Option<DataModel> {
    PSINFO_SIZE.iter().find(|(_, s)| *s == len).map(|(m, _)| *m)
}

/// ISA and data model of a `pstatus_t` of exactly `len` bytes: 1136 i386, 1680 amd64, 1232 sparc,
/// 1776 sparcv9.
pub fn target_from_pstatus_size(len: usize) -> Option<(Isa, DataModel)> {
    PSTATUS_SIZE
        .iter()
        .find(|(_, _, s)| *s == len)
        .map(|(i, m, _)| (*i, *m))
}

/// ISA and data model of an `lwpstatus_t` of exactly `len` bytes: 800 i386, 1296 amd64, 896 sparc,
/// 1392 sparcv9.
pub fn target_from_lwpstatus_size(len: usize) -> Option<(Isa, DataModel)> {
    LWPSTATUS_SIZE
        .iter()
        .find(|(_, _, s)| *s == len)
        .map(|(i, m, _)| (*i, *m))
}

/// ISA and data model of an `lstatus` file from its header's `pr_entsize` (the kernel's `LSPAN` of
/// `lwpstatus_t`: i386 808, sparc 904, amd64 1312, sparcv9 1408).
pub fn target_from_lstatus_entsize(entsize: i64) -> Option<(Isa, DataModel)> {
    LWPSTATUS_SIZE.iter().find_map(|(i, m, s)| {
        let span = match m {
            DataModel::Ilp32 => s.div_ceil(8) * 8 + 8,
            DataModel::Lp64 => s.div_ceil(16) * 16 + 16,
        };
        (i64::try_from(span) == Ok(entsize)).then_some((*i, *m))
    })
}

/// Layout of a `psinfo_t` whose process id is known: the data model from the size (336 / 416 bytes), the
/// byte order from `pr_pid` (offset 8 in both models) equal to `expected_pid`.
///
/// A pid that reads the same in both orders (e.g. 0x01000001) is settled by `pr_nlwp` (offset 4): the
/// order giving the smaller non-negative LWP count wins (little-endian when that ties too). `None` when
/// the size is not a `psinfo_t` size or the pid matches in neither order.
pub fn detect_psinfo(bytes: &[u8], expected_pid: i32) -> Option<Layout> {
    let model = model_from_psinfo_size(bytes.len())?;
    let le = |off: usize| {
        I32::<LittleEndian>::read_from_prefix(&bytes[off..])
            .ok()
            .map(|(v, _)| v.get())
    };
    let be = |off: usize| {
        I32::<BigEndian>::read_from_prefix(&bytes[off..])
            .ok()
            .map(|(v, _)| v.get())
    };
    let endian = match (le(8)? == expected_pid, be(8)? == expected_pid) {
        (true, false) => Endianness::Little,
        (false, true) => Endianness::Big,
        (false, false) => return None,
        (true, true) => {
            let (l, b) = (le(4)?, be(4)?);
            match (l >= 0, b >= 0) {
                (true, true) if b < l => Endianness::Big,
                (true, _) => Endianness::Little,
                (false, true) => Endianness::Big,
                (false, false) => return None,
            }
        }
    };
    Some(Layout::new(model, endian))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_name_isa_and_model() {
        assert_eq!(model_from_psinfo_size(336), Some(DataModel::Ilp32));
        assert_eq!(model_from_psinfo_size(416), Some(DataModel::Lp64));
        assert_eq!(model_from_psinfo_size(415), None);
        assert_eq!(
            target_from_pstatus_size(1136),
            Some((Isa::X86, DataModel::Ilp32))
        );
        assert_eq!(
            target_from_pstatus_size(1680),
            Some((Isa::X86, DataModel::Lp64))
        );
        assert_eq!(
            target_from_pstatus_size(1232),
            Some((Isa::Sparc, DataModel::Ilp32))
        );
        assert_eq!(
            target_from_pstatus_size(1776),
            Some((Isa::Sparc, DataModel::Lp64))
        );
        assert_eq!(target_from_pstatus_size(0), None);
        // pstatus_t = 336 / 384-byte process part + lwpstatus_t.
        for ((i, m, s), (i2, m2, l)) in PSTATUS_SIZE.iter().zip(LWPSTATUS_SIZE.iter()) {
            assert_eq!((i, m), (i2, m2));
            let head = if *m == DataModel::Ilp32 { 336 } else { 384 };
            assert_eq!(*s, head + l);
            assert_eq!(target_from_lwpstatus_size(*l), Some((*i, *m)));
        }
        // LSPAN of lwpstatus_t (prvnops.c), layouts.md section 1.4.
        assert_eq!(
            target_from_lstatus_entsize(808),
            Some((Isa::X86, DataModel::Ilp32))
        );
        assert_eq!(
            target_from_lstatus_entsize(904),
            Some((Isa::Sparc, DataModel::Ilp32))
        );
        assert_eq!(
            target_from_lstatus_entsize(1312),
            Some((Isa::X86, DataModel::Lp64))
        );
        assert_eq!(
            target_from_lstatus_entsize(1408),
            Some((Isa::Sparc, DataModel::Lp64))
        );
        assert_eq!(target_from_lstatus_entsize(800), None);
    }

    #[test]
    fn psinfo_byte_order_from_pid() {
        let mut b = vec![0u8; 416];
        b[8..12].copy_from_slice(&4242i32.to_be_bytes());
        assert_eq!(
            detect_psinfo(&b, 4242),
            Some(Layout::new(DataModel::Lp64, Endianness::Big))
        );
        b[8..12].copy_from_slice(&4242i32.to_le_bytes());
        assert_eq!(
            detect_psinfo(&b, 4242),
            Some(Layout::new(DataModel::Lp64, Endianness::Little))
        );
        assert_eq!(detect_psinfo(&b, 4243), None);
        assert_eq!(detect_psinfo(&b[..100], 4242), None);
    }
}
