//! `/proc/<pid>/maps`: `start-end perms offset dev inode [path]` per line; and `/proc/<pid>/smaps`, the
//! same lines each followed by `Key: N kB` sizes of that mapping (proc(5), "/proc/pid/smaps").

use super::{ParseError, num};

/// One mapping line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapLine {
    /// Start address.
    pub start: u64,
    /// End address (exclusive).
    pub end: u64,
    /// `rwxp`/`rwxs` letters.
    pub perms: String,
    /// File offset.
    pub offset: u64,
    /// `major:minor` of the device.
    pub dev: String,
    /// Inode (0 for anonymous mappings).
    pub inode: u64,
    /// Path or pseudo-path (`[heap]`); may contain spaces and end in ` (deleted)`. `None` if anonymous.
    pub path: Option<Vec<u8>>,
}

/// Decodes every line; a malformed line is reported with its offset and skipped, the others are kept.
pub fn parse(bytes: &[u8]) -> (Vec<MapLine>, Vec<ParseError>) {
    // One mapping a line: sized once rather than grown (and copied) line by line.
    let mut out = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
    let mut errors = Vec::new();
    for (off, line) in super::lines(bytes) {
        if line.trim_ascii().is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(m) => out.push(m),
            None => errors.push(ParseError::new(off, "malformed maps line")),
        }
    }
    (out, errors)
}

/// The sizes of one mapping in `smaps`, KiB; a key the kernel does not print is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SmapsSizes {
    /// `Rss`: resident.
    pub rss: Option<u64>,
    /// `Pss`: proportional share of the resident pages.
    pub pss: Option<u64>,
    /// `Shared_Dirty` + `Private_Dirty`: modified pages (pmap -x's Dirty).
    pub dirty: Option<u64>,
    /// `Anonymous`: pages not backed by a file.
    pub anonymous: Option<u64>,
    /// `Swap`: swapped out.
    pub swap: Option<u64>,
    /// `Locked`: mlock'ed.
    pub locked: Option<u64>,
    /// `VmFlags`: the mapping's flags as two-letter codes (`rd`, `wr`, `sh`, `dd` VM_DONTDUMP, `io` VM_IO,
    /// `pf` VM_PFNMAP, `ht` hugetlb, ...; `show_smap_vma_flags()` in `fs/proc/task_mmu.c`); empty before
    /// Linux 3.8.
    pub vm_flags: Vec<[u8; 2]>,
}

impl SmapsSizes {
    /// True when `VmFlags` holds `code` (`b"dd"`).
    pub fn has_flag(&self, code: &[u8; 2]) -> bool {
        self.vm_flags.contains(code)
    }
}

/// Decodes smaps: each mapping line (as in `maps`) with the sizes that follow it. A malformed mapping
/// line is reported with its offset and its sizes are skipped.
pub fn parse_smaps(bytes: &[u8]) -> (Vec<(MapLine, SmapsSizes)>, Vec<ParseError>) {
    let mut out: Vec<(MapLine, SmapsSizes)> = Vec::new();
    let mut errors = Vec::new();
    // Whether the sizes being read belong to the last entry of `out` (not to a malformed line).
    let mut current = false;
    for (off, line) in super::lines(bytes) {
        if line.trim_ascii().is_empty() {
            continue;
        }
        let first = line.split(|b| *b == b' ').next().unwrap_or(line);
        if first.ends_with(b":") {
            let Some((_, sizes)) = out.last_mut().filter(|_| current) else {
                continue;
            };
            let key = &first[..first.len() - 1];
            if key == b"VmFlags" {
                sizes.vm_flags = line[first.len()..]
                    .split(|b| *b == b' ')
                    .filter_map(|f| <[u8; 2]>::try_from(f).ok())
                    .collect();
                continue;
            }
            let Some(v) = super::kv::kib(&line[first.len()..]) else {
                continue;
            };
            let add = |slot: &mut Option<u64>| *slot = Some(slot.unwrap_or(0).saturating_add(v));
            match key {
                b"Rss" => sizes.rss = Some(v),
                b"Pss" => sizes.pss = Some(v),
                b"Shared_Dirty" | b"Private_Dirty" => add(&mut sizes.dirty),
                b"Anonymous" => sizes.anonymous = Some(v),
                b"Swap" => sizes.swap = Some(v),
                b"Locked" => sizes.locked = Some(v),
                _ => {}
            }
            continue;
        }
        match parse_line(line) {
            Some(m) => {
                out.push((m, SmapsSizes::default()));
                current = true;
            }
            None => {
                errors.push(ParseError::new(off, "malformed smaps mapping line"));
                current = false;
            }
        }
    }
    (out, errors)
}

/// Decodes one mapping line (also the header line of each `smaps` entry).
pub fn parse_line(line: &[u8]) -> Option<MapLine> {
    // Five fixed fields, then (after any run of spaces) the path, which may itself contain spaces.
    let mut rest = line;
    let mut take = || -> Option<&[u8]> {
        let s = rest.trim_ascii_start();
        let end = s.iter().position(|b| *b == b' ').unwrap_or(s.len());
        let (field, tail) = s.split_at(end);
        rest = tail;
        (!field.is_empty()).then_some(field)
    };
    let range = take()?;
    let perms = take()?;
    let offset = take()?;
    let dev = take()?;
    let inode = take()?;
    let path = rest.trim_ascii_start();
    let dash = range.iter().position(|b| *b == b'-')?;
    let hex = hex_u64;
    Some(MapLine {
        start: hex(&range[..dash])?,
        end: hex(&range[dash + 1..])?,
        perms: String::from_utf8(perms.to_vec()).ok()?,
        offset: hex(offset)?,
        dev: String::from_utf8(dev.to_vec()).ok()?,
        inode: num(inode)?,
        path: (!path.is_empty()).then(|| path.to_vec()),
    })
}

/// A hexadecimal number as `u64::from_str_radix(_, 16)` reads it (an optional `+`, then at least one
/// digit, no overflow), without going through `str`.
fn hex_u64(f: &[u8]) -> Option<u64> {
    let digits = f.strip_prefix(b"+").unwrap_or(f);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, b| {
        let d = (*b as char).to_digit(16)?;
        acc.checked_mul(16)?.checked_add(u64::from(d))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_reads_as_from_str_radix() {
        for s in [
            "",
            "+",
            "-1",
            "0",
            "+7f",
            "7F",
            "ffffffffffffffff",
            "10000000000000000",
            "0x10",
            "1 ",
            "00000000000000000000ff",
            "g",
        ] {
            assert_eq!(
                super::hex_u64(s.as_bytes()),
                u64::from_str_radix(s, 16).ok(),
                "{s:?}"
            );
        }
        assert_eq!(super::hex_u64(b"\xff"), None);
    }

    use super::*;

    #[test]
    fn smaps_sizes_per_mapping() {
        let text = b"558da21e2000-558da2211000 r--p 00000000 fe:00 247003                     /usr/bin/bash
Size:                188 kB
Rss:                 188 kB
Pss:                  23 kB
Shared_Dirty:          4 kB
Private_Dirty:         8 kB
Anonymous:             0 kB
Locked:                0 kB
VmFlags: rd mr mw me
garbage line
Rss: 5 kB
7ffd4e3c1000-7ffd4e3e2000 rw-p 00000000 00:00 0                          [stack]
Rss:                  20 kB
Anonymous:            20 kB
Swap:                  4 kB
";
        let (m, errors) = parse_smaps(text);
        assert_eq!(errors.len(), 1);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0.path.as_deref(), Some(&b"/usr/bin/bash"[..]));
        assert_eq!(
            m[0].1,
            SmapsSizes {
                rss: Some(188),
                pss: Some(23),
                dirty: Some(12),
                anonymous: Some(0),
                swap: None,
                locked: Some(0),
                vm_flags: vec![*b"rd", *b"mr", *b"mw", *b"me"],
            }
        );
        assert!(m[0].1.has_flag(b"mw"));
        assert!(!m[0].1.has_flag(b"dd"));
        assert_eq!(
            (m[1].1.rss, m[1].1.anonymous, m[1].1.swap),
            (Some(20), Some(20), Some(4))
        );
        assert_eq!(m[1].1.dirty, None);
    }

    #[test]
    fn corpus_maps() {
        let raw =
            crate::testdata::corpus_bytes("linux/proc-snapshots/prometheus-procfs/26232/maps");
        let (maps, errors) = parse(&raw);
        assert!(errors.is_empty());
        assert_eq!(maps.len(), raw.iter().filter(|b| **b == b'\n').count());
        assert_eq!(maps[0].start, 0x55680ae1e000);
        assert_eq!(maps[0].end, 0x55680ae20000);
        assert_eq!(maps[0].perms, "r--p");
        assert_eq!(maps[0].dev, "fd:01");
        assert_eq!(maps[0].inode, 47316994);
        assert_eq!(maps[0].path.as_deref(), Some(&b"/bin/cat"[..]));
        assert_eq!(maps[1].offset, 0xa000);
        assert_eq!(maps[2].path.as_deref(), Some(&b"[heap]"[..]));
    }

    #[test]
    fn anonymous_spaces_and_garbage() {
        let (m, e) = parse(b"0808c000-08146000 rwxp 00000000 00:00 0\n7f00-7f10 rw-s 0 00:05 9 /memfd:a b (deleted)\nnonsense\n");
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].path, None);
        assert_eq!(m[1].path.as_deref(), Some(&b"/memfd:a b (deleted)"[..]));
        assert_eq!(e, vec![ParseError::new(86, "malformed maps line")]);
    }
}
