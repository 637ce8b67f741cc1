//! C strings in fixed-size fields: the one NUL-trimming rule every decoder uses (Solaris `pr_fname`,
//! NetBSD `p_comm`, FreeBSD `kf_path`, Linux `pr_psargs`, tar header names, ...).
//!
//! A `char name[N]` field holds its string up to the first NUL; the bytes after it are whatever the
//! writer left there (often more NULs, sometimes stale data) and are not part of the string. A field
//! with no NUL is full: all `N` bytes are the string (C's `strncpy` fills it that way).

/// The bytes of a fixed-size C `char[]` field up to (not including) the first NUL; all of them when
/// there is no NUL.
pub fn c_string(bytes: &[u8]) -> &[u8] {
    bytes
        .iter()
        .position(|b| *b == 0)
        .map_or(bytes, |n| &bytes[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_the_first_nul_or_the_end() {
        assert_eq!(c_string(b"a.out\0\0junk"), b"a.out");
        assert_eq!(c_string(b"full"), b"full");
        assert_eq!(c_string(b"\0x"), b"");
        assert_eq!(c_string(b""), b"");
    }
}
