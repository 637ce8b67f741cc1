//! Allowlists: findings a site has reviewed (`check --allow FILE`).
//!
//! A plain text file, one entry per line: `RULE PATTERN`.
//!
//! * `RULE` is a rule id, or `*` for every rule.
//! * `PATTERN` is the rest of the line, with surrounding blanks removed. An absolute path (it starts with
//!   `/`) matches the process's executable (a ` (deleted)` mark is ignored) and, for findings about
//!   something else than a process's program (the library in `/etc/ld.so.preload`, a mapped library, a
//!   mount point), that thing; a path ending in `/*` matches everything under its directory. Anything else
//!   matches the process's command name (comm) exactly. Bytes that are not printable are written as
//!   procsift shows them (`\xNN`, `\\`).
//! * Blank lines and lines starting with `#` are ignored.
//!
//! An entry that names no known rule is an error naming the line, so a typo does not silently allow
//! nothing.

use super::Finding;
use super::view::strip_deleted;
use crate::bytes::unescape;

/// One allowlist entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowEntry {
    /// The rule id, or `None` for `*` (every rule).
    pub rule: Option<String>,
    /// The pattern's bytes.
    pub pattern: Vec<u8>,
    /// Line number in the file (from 1), for messages.
    pub line: usize,
}

impl AllowEntry {
    fn matches(&self, f: &Finding) -> bool {
        if self.rule.as_deref().is_some_and(|r| r != f.rule) {
            return false;
        }
        if self.pattern.starts_with(b"/") {
            let exe = f.exe.as_ref().map(|e| strip_deleted(e.as_bytes()));
            let subject = f.subject.as_ref().map(|s| s.as_bytes());
            [exe, subject]
                .into_iter()
                .flatten()
                .any(|p| self.path_matches(p))
        } else {
            f.comm
                .as_ref()
                .is_some_and(|c| c.as_bytes() == self.pattern)
        }
    }

    fn path_matches(&self, path: &[u8]) -> bool {
        match self.pattern.strip_suffix(b"/*") {
            Some(dir) => {
                path.len() > dir.len() + 1 && path.starts_with(dir) && path[dir.len()] == b'/'
            }
            None => path == self.pattern,
        }
    }
}

/// A parsed allowlist.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowlist {
    /// The entries, in file order.
    pub entries: Vec<AllowEntry>,
}

impl Allowlist {
    /// Parses an allowlist; `known` says whether a rule id exists. The error names the line.
    pub fn parse(text: &[u8], known: impl Fn(&str) -> bool) -> Result<Allowlist, String> {
        let mut entries = Vec::new();
        for (i, line) in text.split(|b| *b == b'\n').enumerate() {
            let n = i + 1;
            let line = line.trim_ascii();
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            let split = line
                .iter()
                .position(|b| b.is_ascii_whitespace())
                .ok_or_else(|| format!("line {n}: expected RULE PATTERN"))?;
            let rule = std::str::from_utf8(&line[..split])
                .map_err(|_| format!("line {n}: the rule id is not text"))?;
            let pattern = line[split..].trim_ascii();
            let pattern = std::str::from_utf8(pattern)
                .ok()
                .and_then(unescape)
                .ok_or_else(|| format!("line {n}: the pattern is not valid text or escapes"))?;
            if pattern.is_empty() {
                return Err(format!("line {n}: expected RULE PATTERN"));
            }
            let rule = match rule {
                "*" => None,
                r if known(r) => Some(r.to_string()),
                r => return Err(format!("line {n}: unknown rule {r:?}")),
            };
            entries.push(AllowEntry {
                rule,
                pattern,
                line: n,
            });
        }
        Ok(Allowlist { entries })
    }

    /// True when an entry covers `f`.
    pub fn allows(&self, f: &Finding) -> bool {
        self.entries.iter().any(|e| e.matches(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::ByteString;
    use crate::check::Severity;

    fn finding(rule: &str, comm: &str, exe: &str, subject: Option<&str>) -> Finding {
        Finding {
            rule: rule.into(),
            severity: Severity::High,
            pid: Some(7),
            start_time: None,
            comm: Some(comm.into()),
            attack: "T0000".into(),
            summary: String::new(),
            evidence: Vec::new(),
            exe: Some(ByteString::from(exe)),
            subject: subject.map(str::to_owned),
        }
    }

    fn known(r: &str) -> bool {
        ["exe-memfd", "ld-preload", "exe-deleted"].contains(&r)
    }

    #[test]
    fn entries_match_by_exe_comm_subject_and_directory() {
        let text = b"# reviewed 2026-11-30\n\n\
            exe-memfd memfd:sealed-91\n\
            exe-deleted /usr/sbin/sshd\n\
            ld-preload /usr/lib/libsnoopy.so\n\
            *   /opt/agent/*\n\
            exe-deleted Web Content\n";
        let a = Allowlist::parse(text, known).unwrap();
        assert_eq!(a.entries.len(), 5);
        assert_eq!(a.entries[3].rule, None);
        assert_eq!(a.entries[4].pattern, b"Web Content");
        assert!(a.allows(&finding(
            "exe-memfd",
            "memfd:sealed-91",
            "/memfd:x (deleted)",
            None
        )));
        assert!(!a.allows(&finding(
            "exe-deleted",
            "memfd:sealed-91",
            "/memfd:x (deleted)",
            None
        )));
        assert!(a.allows(&finding(
            "exe-deleted",
            "sshd",
            "/usr/sbin/sshd (deleted)",
            None
        )));
        assert!(!a.allows(&finding(
            "exe-deleted",
            "sshd",
            "/usr/sbin/sshd2 (deleted)",
            None
        )));
        assert!(a.allows(&finding(
            "ld-preload",
            "x",
            "/bin/x",
            Some("/usr/lib/libsnoopy.so")
        )));
        assert!(a.allows(&finding("exe-memfd", "a", "/opt/agent/bin/a", None)));
        assert!(!a.allows(&finding("exe-memfd", "a", "/opt/agentx/a", None)));
        assert!(!a.allows(&finding("exe-memfd", "a", "/opt/agent", None)));
        assert!(a.allows(&finding(
            "exe-deleted",
            "Web Content",
            "/usr/lib/firefox/firefox",
            None
        )));
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            Allowlist::parse(b"\nexe-delted /x\n", known).unwrap_err(),
            "line 2: unknown rule \"exe-delted\""
        );
        assert_eq!(
            Allowlist::parse(b"exe-deleted\n", known).unwrap_err(),
            "line 1: expected RULE PATTERN"
        );
        assert!(Allowlist::parse(b"exe-deleted /x\\q\n", known).is_err());
        assert_eq!(
            Allowlist::parse(b"exe-deleted /tmp/a\\x01b\n", known)
                .unwrap()
                .entries[0]
                .pattern,
            b"/tmp/a\x01b"
        );
    }
}
