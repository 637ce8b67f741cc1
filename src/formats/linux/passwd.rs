//! `/etc/passwd` and `/etc/group`: id → name, as on the captured host.

use std::collections::BTreeMap;

/// Maps the numeric id (third field) to the name (first field) of every well-formed line. The first
/// entry for an id wins, as getpwuid(3) would return it. Comments and malformed lines are skipped.
pub fn names(bytes: &[u8]) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    for (_, line) in super::lines(bytes) {
        if line.starts_with(b"#") {
            continue;
        }
        let mut f = line.split(|b| *b == b':');
        let (Some(name), Some(_), Some(id)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let (Ok(name), Some(id)) = (std::str::from_utf8(name), super::num::<u32>(id)) else {
            continue;
        };
        if !name.is_empty() {
            out.entry(id).or_insert_with(|| name.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_and_group() {
        let m = names(b"root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\nalice:x:1000:1000::/home/a:/bin/sh\ntoor:x:0:0::/:/bin/sh\n\xff:x:5:5\n");
        assert_eq!(m.get(&0).map(String::as_str), Some("root"));
        assert_eq!(m.get(&1000).map(String::as_str), Some("alice"));
        assert_eq!(m.len(), 2);
        let g = names(b"wheel:x:10:alice,bob\n");
        assert_eq!(g.get(&10).map(String::as_str), Some("wheel"));
    }
}
