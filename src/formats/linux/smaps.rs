//! `/proc/<pid>/smaps`: each mapping's `maps` line followed by `Key: value kB` lines and `VmFlags:`
//! (proc(5); `show_smap()` in `fs/proc/task_mmu.c`).

use super::maps::{self, MapLine};
use super::{ParseError, num};

/// One mapping with the smaps fields `gcore` decides by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SmapsEntry {
    /// The header line, as in `maps`.
    pub map: MapLine,
    /// `Rss:` in KiB: resident pages.
    pub rss_kib: Option<u64>,
    /// `Anonymous:` in KiB: pages not backed by a file (written copies of a private file mapping among
    /// them).
    pub anonymous_kib: Option<u64>,
    /// `Swap:` in KiB.
    pub swap_kib: Option<u64>,
    /// `VmFlags:` two-letter codes (`rd`, `wr`, `sh`, `dd` VM_DONTDUMP, `io` VM_IO, `pf` VM_PFNMAP,
    /// `ht` hugetlb, ...); empty before Linux 3.8.
    pub vm_flags: Vec<[u8; 2]>,
}

impl SmapsEntry {
    /// True when `VmFlags` holds `code` (`b"dd"`).
    pub fn has_flag(&self, code: &[u8; 2]) -> bool {
        self.vm_flags.contains(code)
    }
}

/// Decodes every entry; a malformed header or value line is reported with its offset and skipped.
pub fn parse(bytes: &[u8]) -> (Vec<SmapsEntry>, Vec<ParseError>) {
    let mut out: Vec<SmapsEntry> = Vec::new();
    let mut errors = Vec::new();
    for (off, line) in super::lines(bytes) {
        if line.trim_ascii().is_empty() {
            continue;
        }
        let first = line.split(|b| *b == b' ').next().unwrap_or(b"");
        if let Some(key) = first.strip_suffix(b":") {
            let Some(entry) = out.last_mut() else {
                errors.push(ParseError::new(off, "smaps field before any mapping"));
                continue;
            };
            let rest = &line[first.len()..];
            if key == b"VmFlags" {
                entry.vm_flags = rest
                    .split(|b| *b == b' ')
                    .filter_map(|f| <[u8; 2]>::try_from(f).ok())
                    .collect();
                continue;
            }
            let slot = match key {
                b"Rss" => &mut entry.rss_kib,
                b"Anonymous" => &mut entry.anonymous_kib,
                b"Swap" => &mut entry.swap_kib,
                _ => continue,
            };
            match rest
                .split(|b| *b == b' ')
                .find(|f| !f.is_empty())
                .and_then(num)
            {
                Some(v) => *slot = Some(v),
                None => errors.push(ParseError::new(off, "smaps value is not a number")),
            }
        } else {
            match maps::parse_line(line) {
                Some(map) => out.push(SmapsEntry {
                    map,
                    ..SmapsEntry::default()
                }),
                None => errors.push(ParseError::new(off, "malformed smaps mapping line")),
            }
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_fields_and_flags() {
        let text = b"562385443000-562385445000 r--p 00000000 fe:00 247030                     /usr/bin/cat\n\
Size:                  8 kB\nRss:                   8 kB\nAnonymous:             4 kB\nSwap:                  0 kB\n\
THPeligible:           0\nVmFlags: rd mr mw me \n\
7ffe1000-7ffe3000 rw-p 00000000 00:00 0                          [stack]\nRss: x kB\nVmFlags: rd wr dd \n";
        let (e, errors) = parse(text);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].map.start, 0x562385443000);
        assert_eq!(e[0].map.path.as_deref(), Some(&b"/usr/bin/cat"[..]));
        assert_eq!(e[0].rss_kib, Some(8));
        assert_eq!(e[0].anonymous_kib, Some(4));
        assert_eq!(e[0].swap_kib, Some(0));
        assert_eq!(e[0].vm_flags, vec![*b"rd", *b"mr", *b"mw", *b"me"]);
        assert!(e[1].has_flag(b"dd"));
        assert_eq!(e[1].rss_kib, None);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "smaps value is not a number");
    }

    #[test]
    fn this_process() {
        let raw = std::fs::read("/proc/self/smaps").unwrap();
        let maps = std::fs::read("/proc/self/maps").unwrap();
        let (e, errors) = parse(&raw);
        assert!(errors.is_empty(), "{errors:?}");
        // The same mappings as maps (read a moment later: allow the allocator a mapping or two).
        let n = maps.iter().filter(|b| **b == b'\n').count();
        assert!(e.len().abs_diff(n) <= 2, "{} vs {n}", e.len());
        assert!(
            e.iter()
                .all(|m| m.rss_kib.is_some() && !m.vm_flags.is_empty())
        );
    }
}
