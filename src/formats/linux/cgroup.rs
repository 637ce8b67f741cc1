//! `/proc/<pid>/cgroup`: `hierarchy-ID:controller-list:cgroup-path` lines.

/// The non-empty lines, as bytes (paths are not necessarily UTF-8).
pub fn parse(bytes: &[u8]) -> Vec<Vec<u8>> {
    super::lines(bytes)
        .map(|(_, l)| l.to_vec())
        .filter(|l| !l.trim_ascii().is_empty())
        .collect()
}

/// The cgroup-v2 path (`0::/path`), if the process has one.
pub fn unified_path(lines: &[Vec<u8>]) -> Option<&[u8]> {
    lines.iter().find_map(|l| l.strip_prefix(b"0::"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_unified_path() {
        let l = parse(b"12:pids:/user.slice\n0::/system.slice/docker-abc.scope\n\n");
        assert_eq!(l.len(), 2);
        assert_eq!(
            unified_path(&l),
            Some(&b"/system.slice/docker-abc.scope"[..])
        );
    }
}
