//! The per-process digests of a Linux capture (the manifest's `process_digests`): one SHA-256 per
//! process, over what the manifest records of each member below `proc/<pid>/`. Two processes of two
//! captures with the same digest have the same members (the same names, each of the same kind with
//! the same bytes or link target, or the same failed read), so `diff` knows which processes are
//! unchanged from the two manifests, before it reads either archive's processes. Written at capture
//! from the member list; `verify` recomputes them from the member list, which it checks against the
//! members, and reports a difference.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::manifest::{ManifestMember, MemberKind};

/// The pid of a member `proc/<pid>/...` (the pid written as the capture writes it: decimal digits,
/// no sign or leading zero), and the rest of its path.
fn pid_of(path: &str) -> Option<i32> {
    let (pid, _) = path.strip_prefix("proc/")?.split_once('/')?;
    let canonical = !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && (pid == "0" || !pid.starts_with('0'));
    if !canonical {
        return None;
    }
    pid.parse().ok()
}

/// Adds one member to a process's digest: its path, then what it holds, each as a little-endian
/// 64-bit length and the bytes (so no two member lists hash the same input). A stored member is its
/// kind (`f` file, `l` link) and its SHA-256 as the manifest writes it; a failed one is `e` and the
/// error.
fn feed(h: &mut Sha256, m: &ManifestMember) {
    let mut field = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    field(m.path.as_bytes());
    match (&m.error, m.kind) {
        (Some(e), _) => {
            field(b"e");
            field(e.as_bytes());
        }
        (None, kind) => {
            field(match kind {
                MemberKind::File => b"f",
                MemberKind::Symlink => b"l",
                MemberKind::Directory => b"d",
            });
            field(m.sha256.as_deref().unwrap_or_default().as_bytes());
        }
    }
}

/// The digest of every process with a member below `proc/<pid>/`, by pid: the SHA-256 (lower-case
/// hex) of its members in path order (byte order; members of one path in the order listed).
pub fn of_members(members: &[ManifestMember]) -> BTreeMap<i32, String> {
    // A process's members come together in a capture: group runs, then sort each group.
    let mut by_pid: BTreeMap<i32, Vec<&ManifestMember>> = BTreeMap::new();
    let mut run: Option<(i32, Vec<&ManifestMember>)> = None;
    for m in members {
        let Some(pid) = pid_of(&m.path) else {
            continue;
        };
        match &mut run {
            Some((p, v)) if *p == pid => v.push(m),
            _ => {
                if let Some((p, v)) = run.replace((pid, vec![m])) {
                    by_pid.entry(p).or_default().extend(v);
                }
            }
        }
    }
    if let Some((p, v)) = run {
        by_pid.entry(p).or_default().extend(v);
    }
    by_pid
        .into_iter()
        .map(|(pid, mut list)| {
            list.sort_by(|a, b| a.path.cmp(&b.path));
            let mut h = Sha256::new();
            for m in list {
                feed(&mut h, m);
            }
            (pid, hex(&h.finalize()))
        })
        .collect()
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

/// The pids whose digests are the same in `old` and `new`.
pub fn shared(old: &BTreeMap<i32, String>, new: &BTreeMap<i32, String>) -> Vec<i32> {
    new.iter()
        .filter(|(pid, d)| old.get(pid) == Some(d))
        .map(|(pid, _)| *pid)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(
        path: &str,
        kind: MemberKind,
        sha: Option<&str>,
        err: Option<&str>,
    ) -> ManifestMember {
        ManifestMember {
            path: path.into(),
            kind,
            size: None,
            sha256: sha.map(Into::into),
            error: err.map(Into::into),
        }
    }

    #[test]
    fn digest_follows_members_not_their_order() {
        let a = vec![
            member("proc/1/stat", MemberKind::File, Some("aa"), None),
            member("proc/1/exe", MemberKind::Symlink, Some("bb"), None),
            member("proc/2/stat", MemberKind::File, Some("aa"), None),
            member("proc/loadavg", MemberKind::File, Some("cc"), None),
            member("proc/01/stat", MemberKind::File, Some("cc"), None),
        ];
        let mut b = a.clone();
        b.swap(0, 1);
        let da = of_members(&a);
        assert_eq!(da.keys().copied().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(da, of_members(&b));
        // A changed hash, kind or failure changes the process's digest, and only its.
        for changed in [
            member("proc/1/stat", MemberKind::File, Some("ab"), None),
            member("proc/1/stat", MemberKind::Symlink, Some("aa"), None),
            member("proc/1/stat", MemberKind::File, None, Some("EACCES")),
        ] {
            let mut c = a.clone();
            c[0] = changed;
            let dc = of_members(&c);
            assert_ne!(dc[&1], da[&1]);
            assert_eq!(dc[&2], da[&2]);
            assert_eq!(shared(&da, &dc), vec![2]);
        }
        // An added member changes it too.
        let mut c = a.clone();
        c.push(member("proc/1/fd/0", MemberKind::Symlink, Some("dd"), None));
        assert_ne!(of_members(&c)[&1], da[&1]);
    }
}
