//! The dumped process's memory: virtual addresses to file bytes through the `PT_LOAD` segments.
//!
//! Only the bytes a segment holds in the file (`p_filesz`, bounded by the file's length) can be read;
//! the rest of `p_memsz` was not dumped, and reading it gives `None`, never zeros.

use super::Segment;
use crate::abi::Endianness;

/// Read access to the memory image of a core.
#[derive(Clone, Debug)]
pub struct Memory<'a> {
    bytes: &'a [u8],
    /// (vaddr, file offset, bytes present), sorted by vaddr.
    ranges: Vec<(u64, u64, u64)>,
}

impl<'a> Memory<'a> {
    /// Memory of `segments` within the core's `bytes`.
    pub fn new(bytes: &'a [u8], segments: &[Segment]) -> Self {
        let mut ranges: Vec<_> = segments
            .iter()
            .filter(|s| s.filesz > 0)
            .map(|s| (s.vaddr, s.offset, s.filesz))
            .collect();
        ranges.sort_unstable();
        Memory { bytes, ranges }
    }

    /// The longest run of dumped bytes starting at `addr` (up to the end of its segment), if `addr` is dumped.
    pub fn from(&self, addr: u64) -> Option<&'a [u8]> {
        let i = self
            .ranges
            .partition_point(|r| r.0 <= addr)
            .checked_sub(1)?;
        let (vaddr, offset, len) = self.ranges[i];
        let into = addr - vaddr;
        if into >= len {
            return None;
        }
        let start = usize::try_from(offset.checked_add(into)?).ok()?;
        let end = usize::try_from(offset.checked_add(len)?).ok()?;
        self.bytes.get(start..end)
    }

    /// Exactly `len` bytes at `addr`, if all of them were dumped (within one segment).
    pub fn read(&self, addr: u64, len: usize) -> Option<&'a [u8]> {
        self.from(addr)?.get(..len)
    }

    /// A NUL-terminated string at `addr` (without the NUL), at most `max` bytes.
    pub fn cstr(&self, addr: u64, max: usize) -> Option<&'a [u8]> {
        let run = self.from(addr)?;
        let run = &run[..run.len().min(max)];
        let end = run.iter().position(|b| *b == 0)?;
        Some(&run[..end])
    }

    /// A pointer-sized word at `addr`.
    pub fn word(&self, addr: u64, is_64: bool, endian: Endianness) -> Option<u64> {
        let size = if is_64 { 8 } else { 4 };
        Some(read_word(self.read(addr, size)?, endian))
    }
}

/// A 4- or 8-byte unsigned integer in the given byte order (the slice's length picks the width).
pub fn read_word(b: &[u8], endian: Endianness) -> u64 {
    endian.read_uint(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_dumped_bytes() {
        let bytes: Vec<u8> = (0..64u8).collect();
        let segs = [
            Segment {
                vaddr: 0x1000,
                memsz: 0x100,
                offset: 16,
                filesz: 16,
                filesz_claimed: 16,
                flags: 4,
            },
            Segment {
                vaddr: 0x2000,
                memsz: 0x10,
                offset: 0,
                filesz: 0,
                filesz_claimed: 0,
                flags: 4,
            },
        ];
        let m = Memory::new(&bytes, &segs);
        assert_eq!(m.read(0x1000, 2), Some(&[16u8, 17][..]));
        assert_eq!(m.read(0x100f, 1), Some(&[31u8][..]));
        assert_eq!(m.read(0x100f, 2), None);
        assert_eq!(m.read(0x1010, 1), None, "beyond p_filesz is not dumped");
        assert_eq!(m.read(0x2000, 1), None);
        assert_eq!(m.read(0xfff, 1), None);
        assert_eq!(m.word(0x1000, false, Endianness::Little), Some(0x13121110));
        assert_eq!(m.word(0x1000, false, Endianness::Big), Some(0x10111213));
    }
}
