//! The note walker: `PT_NOTE` segment bytes to [`Note`]s (gABI "Note Section").
//!
//! A note is `n_namesz`, `n_descsz`, `n_type` (three 32-bit words in the file's byte order), the owner name
//! padded to the alignment, then the descriptor padded to the alignment. Cores use 4-byte alignment even
//! when 64-bit; a segment whose `p_align` is 8 is walked with 8.
//!
//! Damaged segments: a run of zero words (as after `NT_FILE` in some real cores) is skipped; a header whose
//! name or sizes cannot be right starts a search, word by word, for the next plausible header; sizes that
//! run past the segment end the walk. Each of these is a [`CoreWarning`]; none is a panic.

use crate::abi::{Endianness, with_byte_order};
use zerocopy::byteorder::{ByteOrder, LE, U32};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::CoreWarning;

/// `Elf32_Nhdr` / `Elf64_Nhdr` (both are three 32-bit words).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct Nhdr<O: ByteOrder> {
    n_namesz: U32<O>,
    n_descsz: U32<O>,
    n_type: U32<O>,
}

const NHDR_SIZE: usize = 12;
const _: () = assert!(size_of::<Nhdr<LE>>() == NHDR_SIZE);

/// One note, borrowing the core's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note<'a> {
    /// The owner name without its terminating NUL (`CORE`, `LINUX`, `FreeBSD`, `NetBSD-CORE@1`).
    pub name: &'a [u8],
    /// `n_type`.
    pub n_type: u32,
    /// The descriptor: exactly `n_descsz` bytes.
    pub desc: &'a [u8],
    /// File offset of the note header.
    pub offset: u64,
    /// File offset of the descriptor.
    pub desc_offset: u64,
}

impl Note<'_> {
    /// The owner name for messages (non-UTF-8 bytes escaped).
    pub fn owner(&self) -> String {
        crate::bytes::escape(self.name)
    }
}

/// The longest owner name accepted as plausible when resynchronizing.
const MAX_PLAUSIBLE_NAME: usize = 64;

fn header(data: &[u8], at: usize, endian: Endianness) -> Option<(usize, usize, u32)> {
    let raw = data.get(at..at.checked_add(NHDR_SIZE)?)?;
    with_byte_order!(endian, O => {
        let h = Nhdr::<O>::ref_from_bytes(raw).ok()?;
        Some((
            h.n_namesz.get() as usize,
            h.n_descsz.get() as usize,
            h.n_type.get(),
        ))
    })
}

fn align_up(value: usize, align: usize) -> Option<usize> {
    value.checked_add(align - 1).map(|v| v & !(align - 1))
}

/// The note at `at`, if its sizes fit in `data`: (name, type, desc range, offset of the next note).
fn note_at(
    data: &[u8],
    at: usize,
    align: usize,
    endian: Endianness,
) -> Option<(&[u8], u32, usize, usize, usize)> {
    let (namesz, descsz, n_type) = header(data, at, endian)?;
    let name_start = at + NHDR_SIZE;
    let name_end = name_start.checked_add(namesz)?;
    let desc_start = align_up(name_end, align)?;
    let desc_end = desc_start.checked_add(descsz)?;
    if name_end > data.len() || desc_end > data.len() {
        return None;
    }
    let name = &data[name_start..name_end];
    let next = align_up(desc_end, align)?.min(data.len());
    Some((name, n_type, desc_start, desc_end, next))
}

/// A header that a real writer could have produced: a short, NUL-terminated, printable owner name and a
/// descriptor inside the segment.
fn plausible(data: &[u8], at: usize, align: usize, endian: Endianness) -> bool {
    let Some((name, _, _, _, _)) = note_at(data, at, align, endian) else {
        return false;
    };
    match name.split_last() {
        Some((0, body)) => {
            !body.is_empty()
                && name.len() <= MAX_PLAUSIBLE_NAME
                && body.iter().all(|b| b.is_ascii_graphic())
        }
        _ => false,
    }
}

/// Walks one `PT_NOTE` segment's bytes (`data`, found at file offset `base`), appending notes and warnings.
pub fn walk<'a>(
    data: &'a [u8],
    base: u64,
    p_align: u64,
    endian: Endianness,
    what: &str,
    notes: &mut Vec<Note<'a>>,
    warnings: &mut Vec<CoreWarning>,
) {
    let align = if p_align == 8 { 8 } else { 4 };
    let mut at = 0usize;
    while at < data.len() {
        if data.len() - at < NHDR_SIZE {
            if data[at..].iter().any(|b| *b != 0) {
                warnings.push(CoreWarning::new(
                    what,
                    base + at as u64,
                    format!(
                        "{} trailing bytes are too few for a note header",
                        data.len() - at
                    ),
                ));
            }
            return;
        }
        // A run of zero words: no writer emits an empty, nameless, typeless note, so it is padding.
        if data[at..at + NHDR_SIZE].iter().all(|b| *b == 0) {
            let start = at;
            while at + 4 <= data.len() && data[at..at + 4] == [0; 4] {
                at += 4;
            }
            if at < data.len() {
                warnings.push(CoreWarning::new(
                    what,
                    base + start as u64,
                    format!("skipped {} zero bytes inside the note segment", at - start),
                ));
            }
            continue;
        }
        match note_at(data, at, align, endian) {
            Some((name, n_type, desc_start, desc_end, next))
                if plausible(data, at, align, endian) || name.is_empty() =>
            {
                let name = name.strip_suffix(&[0]).unwrap_or(name);
                notes.push(Note {
                    name,
                    n_type,
                    desc: &data[desc_start..desc_end],
                    offset: base + at as u64,
                    desc_offset: base + desc_start as u64,
                });
                at = next;
            }
            _ => {
                // Sizes run past the segment, or the name is garbage: look for the next plausible header.
                let start = at;
                let mut probe = at + 4;
                while probe + NHDR_SIZE <= data.len() && !plausible(data, probe, align, endian) {
                    probe += 4;
                }
                if probe + NHDR_SIZE > data.len() {
                    warnings.push(CoreWarning::new(
                        what,
                        base + start as u64,
                        format!(
                            "note header does not fit the segment ({} bytes left) and no later note was found: stopped",
                            data.len() - start
                        ),
                    ));
                    return;
                }
                warnings.push(CoreWarning::new(
                    what,
                    base + start as u64,
                    format!(
                        "damaged note header: skipped {} bytes to the next plausible note",
                        probe - start
                    ),
                ));
                at = probe;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(name: &[u8], n_type: u32, desc: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(name.len() as u32 + 1).to_le_bytes());
        v.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        v.extend_from_slice(&n_type.to_le_bytes());
        v.extend_from_slice(name);
        v.push(0);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v.extend_from_slice(desc);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }

    fn run(data: &[u8]) -> (Vec<Note<'_>>, Vec<CoreWarning>) {
        let (mut n, mut w) = (Vec::new(), Vec::new());
        walk(
            data,
            0x100,
            4,
            Endianness::Little,
            "PT_NOTE[0]",
            &mut n,
            &mut w,
        );
        (n, w)
    }

    #[test]
    fn walks_and_pads() {
        let mut data = note(b"CORE", 1, b"abcde");
        data.extend(note(b"LINUX", 0x200, b"xy"));
        let (n, w) = run(&data);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(n.len(), 2);
        assert_eq!(
            (n[0].name, n[0].n_type, n[0].desc),
            (&b"CORE"[..], 1, &b"abcde"[..])
        );
        assert_eq!(n[0].offset, 0x100);
        assert_eq!(n[0].desc_offset, 0x100 + 12 + 8);
        assert_eq!((n[1].name, n[1].desc), (&b"LINUX"[..], &b"xy"[..]));
    }

    #[test]
    fn zero_run_is_skipped_with_a_warning() {
        let mut data = note(b"CORE", 1, b"abcd");
        data.extend([0u8; 52]);
        data.extend(note(b"CORE", 2, b"efgh"));
        let (n, w) = run(&data);
        assert_eq!(n.len(), 2);
        assert_eq!(n[1].n_type, 2);
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("52 zero bytes"), "{w:?}");
    }

    #[test]
    fn garbage_resynchronizes_and_lies_stop() {
        let mut data = note(b"CORE", 1, b"abcd");
        data.extend([0xffu8; 20]);
        data.extend(note(b"CORE", 3, b"zz"));
        let (n, w) = run(&data);
        assert_eq!(n.iter().map(|n| n.n_type).collect::<Vec<_>>(), vec![1, 3]);
        assert!(w[0].message.contains("skipped 20 bytes"), "{w:?}");

        let mut lying = note(b"CORE", 1, b"abcd");
        lying[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let (n, w) = run(&lying);
        assert!(n.is_empty());
        assert!(w[0].message.contains("stopped"), "{w:?}");
    }

    #[test]
    fn every_truncation_is_safe() {
        let mut data = note(b"CORE", 1, &[7u8; 37]);
        data.extend(note(b"FreeBSD", 8, &[1u8; 9]));
        for len in 0..data.len() {
            let _ = run(&data[..len]);
        }
        for i in 0..data.len() {
            let mut d = data.clone();
            d[i] ^= 0xa5;
            let _ = run(&d);
        }
    }
}
