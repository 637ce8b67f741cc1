//! `/proc/<pid>/maps`: `start-end perms offset dev inode [path]` per line.

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
    let mut out = Vec::new();
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
    let hex = |f: &[u8]| u64::from_str_radix(std::str::from_utf8(f).ok()?, 16).ok();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_maps() {
        let raw = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/corpus/linux/proc-snapshots/prometheus-procfs/26232/maps"
        ))
        .unwrap();
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
