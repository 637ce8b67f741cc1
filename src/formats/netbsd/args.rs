//! `KERN_PROC_ARGS` answers (`sys/sys/sysctl.h`; `sys/kern/kern_proc.c`): `KERN_PROC_ARGV` and
//! `KERN_PROC_ENV` return the strings back to back, each NUL-terminated, copied out of the process's
//! `ps_strings` area (as `kvm_getargv2(3)` splits them); `KERN_PROC_PATHNAME` (and `KERN_PROC_CWD`)
//! return one NUL-terminated path.

/// Splits an argv or environment answer into its strings. The final NUL is optional (a string cut
/// short by the buffer is kept as it is); an empty answer is no strings.
pub fn strings(bytes: &[u8]) -> Vec<Vec<u8>> {
    let body = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    if bytes.is_empty() {
        return Vec::new();
    }
    body.split(|b| *b == 0).map(<[u8]>::to_vec).collect()
}

/// The path of a `KERN_PROC_PATHNAME` answer: the bytes before the first NUL.
pub fn pathname(bytes: &[u8]) -> Vec<u8> {
    super::c_string(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_nul() {
        assert_eq!(
            strings(b"sshd\0-D\0\0x\0"),
            vec![b"sshd".to_vec(), b"-D".to_vec(), Vec::new(), b"x".to_vec()]
        );
        assert_eq!(strings(b"cut"), vec![b"cut".to_vec()]);
        assert!(strings(b"").is_empty());
        assert_eq!(strings(b"\0"), vec![Vec::<u8>::new()]);
        assert_eq!(pathname(b"/usr/sbin/sshd\0\0"), b"/usr/sbin/sshd");
    }
}
