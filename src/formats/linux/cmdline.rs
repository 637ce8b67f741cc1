//! `/proc/<pid>/cmdline` and `/proc/<pid>/environ`: NUL-separated strings.

/// Splits at NUL. A trailing NUL ends the last string (it does not start an empty one); a missing trailing
/// NUL (a process that rewrote its argv) keeps the last string whole. An empty record is an empty list
/// (kernel threads, zombies).
pub fn split(bytes: &[u8]) -> Vec<Vec<u8>> {
    let body = bytes.strip_suffix(b"\0").unwrap_or(bytes);
    if body.is_empty() {
        return Vec::new();
    }
    // Sized by the NULs first (one pass of memchr): collecting would grow it several times for a long
    // command line.
    let mut out = Vec::with_capacity(memchr::memchr_iter(0, body).count() + 1);
    out.extend(body.split(|b| *b == 0).map(<[u8]>::to_vec));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_the_kernel_writes() {
        assert_eq!(
            split(b"vim\0test.go\0+10\0"),
            vec![b"vim".to_vec(), b"test.go".to_vec(), b"+10".to_vec()]
        );
        assert_eq!(split(b""), Vec::<Vec<u8>>::new());
        assert_eq!(
            split(b"nginx: worker process"),
            vec![b"nginx: worker process".to_vec()]
        );
        assert_eq!(
            split(b"a\0\0b\0"),
            vec![b"a".to_vec(), b"".to_vec(), b"b".to_vec()]
        );
        assert_eq!(split(b"x\xff\0"), vec![b"x\xff".to_vec()]);
    }
}
