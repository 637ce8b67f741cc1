//! Symbolic-link texts under /proc/<pid>: `fd/<n>` targets and `ns/<type>` identities.

/// What an fd link points at, by its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FdTarget<'a> {
    /// `socket:[inode]`.
    Socket(u64),
    /// `pipe:[inode]`.
    Pipe(u64),
    /// `anon_inode:[eventfd]`, `anon_inode:inotify`, ...: the kind.
    AnonInode(&'a [u8]),
    /// An absolute path (a file, directory or device; ` (deleted)` kept).
    Path(&'a [u8]),
    /// Anything else (`net:[...]`, `/memfd:` is a path, `[eventpoll]`...).
    Other(&'a [u8]),
}

/// Classifies an fd link text.
pub fn fd_target(text: &[u8]) -> FdTarget<'_> {
    if let Some(i) = bracketed(text, b"socket:") {
        return FdTarget::Socket(i);
    }
    if let Some(i) = bracketed(text, b"pipe:") {
        return FdTarget::Pipe(i);
    }
    if let Some(kind) = text.strip_prefix(b"anon_inode:") {
        let kind = kind
            .strip_prefix(b"[")
            .and_then(|k| k.strip_suffix(b"]"))
            .unwrap_or(kind);
        return FdTarget::AnonInode(kind);
    }
    if text.starts_with(b"/") {
        return FdTarget::Path(text);
    }
    FdTarget::Other(text)
}

/// Parses `prefix[N]`.
fn bracketed(text: &[u8], prefix: &[u8]) -> Option<u64> {
    let inner = text
        .strip_prefix(prefix)?
        .strip_prefix(b"[")?
        .strip_suffix(b"]")?;
    super::num(inner)
}

/// Parses an ns link text, `net:[4026531993]` → (`net`, 4026531993).
pub fn namespace(text: &[u8]) -> Option<(String, u64)> {
    let colon = text.iter().position(|b| *b == b':')?;
    let kind = std::str::from_utf8(&text[..colon]).ok()?;
    let inode = bracketed(&text[colon..], b":")?;
    Some((kind.to_string(), inode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert_eq!(fd_target(b"socket:[12345]"), FdTarget::Socket(12345));
        assert_eq!(fd_target(b"pipe:[77]"), FdTarget::Pipe(77));
        assert_eq!(
            fd_target(b"anon_inode:[eventfd]"),
            FdTarget::AnonInode(b"eventfd")
        );
        assert_eq!(
            fd_target(b"anon_inode:inotify"),
            FdTarget::AnonInode(b"inotify")
        );
        assert_eq!(
            fd_target(b"/var/log/x (deleted)"),
            FdTarget::Path(b"/var/log/x (deleted)")
        );
        assert_eq!(fd_target(b"socket:[x]"), FdTarget::Other(b"socket:[x]"));
        assert_eq!(
            namespace(b"net:[4026531993]"),
            Some(("net".into(), 4026531993))
        );
        assert_eq!(
            namespace(b"pid_for_children:[4026531836]"),
            Some(("pid_for_children".into(), 4026531836))
        );
        assert_eq!(namespace(b"garbage"), None);
    }
}
