//! `/proc/<pid>/fdinfo/<n>`: `pos`, `flags` (octal), `mnt_id`, `ino` and type-specific lines.

use super::kv::pairs;
use super::num;

/// The common fdinfo fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FdInfo {
    /// `pos`: file offset.
    pub pos: Option<u64>,
    /// `flags`: open flags (written in octal by the kernel).
    pub flags: Option<u64>,
    /// `mnt_id`.
    pub mnt_id: Option<u64>,
    /// `ino` (since 5.10).
    pub ino: Option<u64>,
}

/// Decodes fdinfo.
pub fn parse(bytes: &[u8]) -> FdInfo {
    let mut f = FdInfo::default();
    for (_, k, v) in pairs(bytes) {
        match k {
            b"pos" => f.pos = num(v),
            b"flags" => {
                f.flags = std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| u64::from_str_radix(s, 8).ok())
            }
            b"mnt_id" => f.mnt_id = num(v),
            b"ino" => f.ino = num(v),
            _ => {}
        }
    }
    f
}

/// `O_ACCMODE` of `flags` as `r`, `w` or `rw`.
pub fn access_mode(flags: u64) -> &'static str {
    match flags & 0o3 {
        0 => "r",
        1 => "w",
        _ => "rw",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_fdinfo() {
        let raw =
            crate::testdata::corpus_bytes("linux/proc-snapshots/prometheus-procfs/26231/fdinfo/10");
        let f = parse(&raw);
        assert_eq!(f.pos, Some(0));
        assert_eq!(f.flags, Some(0o2004002));
        assert_eq!(f.mnt_id, Some(9));
        assert_eq!(access_mode(0o2004002), "rw");
        assert_eq!(access_mode(0o100000), "r");
        assert_eq!(access_mode(0o1), "w");
    }
}
