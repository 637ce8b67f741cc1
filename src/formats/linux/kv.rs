//! `Key: value` records (status, smaps_rollup, meminfo, io, fdinfo).

/// Iterates `(offset, key, value)` over `Key:<ws>value` lines; the value has surrounding whitespace
/// trimmed. Lines without a colon are skipped.
pub fn pairs(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8], &[u8])> {
    super::lines(bytes).filter_map(|(off, line)| {
        let colon = memchr::memchr(b':', line)?;
        Some((off, &line[..colon], line[colon + 1..].trim_ascii()))
    })
}

/// The number at the start of a value like `  1234 kB`.
pub fn leading_u64(value: &[u8]) -> Option<u64> {
    super::fields(value).next().and_then(|(_, f)| super::num(f))
}

/// A `Key: N kB` value, in KiB.
pub fn kib(value: &[u8]) -> Option<u64> {
    leading_u64(value)
}

/// Decodes smaps_rollup: every `Key: N kB` line, by key. `Rss`, `Pss`, `Anonymous`, `Swap`, ...
pub fn smaps_rollup(bytes: &[u8]) -> std::collections::BTreeMap<String, u64> {
    pairs(bytes)
        .filter_map(|(_, k, v)| Some((String::from_utf8_lossy(k).into_owned(), kib(v)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smaps_rollup_fields() {
        let text = b"00400000-7fff5d5ff000 ---p 00000000 00:00 0    [rollup]\nRss:  29948 kB\nPss:   29944 kB\nAnonymous:  1000 kB\n";
        let m = smaps_rollup(text);
        assert_eq!(m.get("Rss"), Some(&29948));
        assert_eq!(m.get("Pss"), Some(&29944));
        assert_eq!(m.get("Anonymous"), Some(&1000));
    }
}
