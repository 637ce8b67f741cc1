//! `/proc/<pid>/statm`: memory in pages (size resident shared text lib data dt).

use super::{ParseError, fields, num};

/// statm's first three fields, in pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statm {
    /// Total program size (`size`).
    pub size: u64,
    /// Resident set (`resident`).
    pub resident: u64,
    /// Resident shared pages, file-backed and shmem (`shared`).
    pub shared: u64,
}

/// Decodes statm.
pub fn parse(bytes: &[u8]) -> Result<Statm, ParseError> {
    let mut it = fields(bytes);
    let mut next = |name: &str| {
        let (off, f) = it
            .next()
            .ok_or_else(|| ParseError::new(bytes.len(), format!("missing {name}")))?;
        num::<u64>(f).ok_or_else(|| ParseError::new(off, format!("{name} is not a number")))
    };
    Ok(Statm {
        size: next("size")?,
        resident: next("resident")?,
        shared: next("shared")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pages() {
        let raw =
            crate::testdata::corpus_bytes("linux/proc-snapshots/prometheus-procfs/26231/statm");
        let text = String::from_utf8(raw.clone()).unwrap();
        let want: Vec<u64> = text
            .split_whitespace()
            .take(3)
            .map(|x| x.parse().unwrap())
            .collect();
        let s = parse(&raw).unwrap();
        assert_eq!([s.size, s.resident, s.shared], [want[0], want[1], want[2]]);
        assert_eq!(parse(b"1 2").unwrap_err().offset, 3);
        assert_eq!(parse(b"1 x 3").unwrap_err().offset, 2);
    }
}
