//! `/proc/<pid>/io`: I/O counters (`rchar: N` lines).

use super::kv::pairs;
use super::num;

/// The counters; each `None` when absent or not a number. `cancelled_write_bytes` is signed in the kernel
/// text only through a known bug; a negative value is kept out (None) rather than wrapped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Io {
    /// `rchar`.
    pub rchar: Option<u64>,
    /// `wchar`.
    pub wchar: Option<u64>,
    /// `syscr`.
    pub syscr: Option<u64>,
    /// `syscw`.
    pub syscw: Option<u64>,
    /// `read_bytes`.
    pub read_bytes: Option<u64>,
    /// `write_bytes`.
    pub write_bytes: Option<u64>,
    /// `cancelled_write_bytes`.
    pub cancelled_write_bytes: Option<u64>,
}

/// Decodes the io file.
pub fn parse(bytes: &[u8]) -> Io {
    let mut io = Io::default();
    for (_, k, v) in pairs(bytes) {
        let v = num(v);
        match k {
            b"rchar" => io.rchar = v,
            b"wchar" => io.wchar = v,
            b"syscr" => io.syscr = v,
            b"syscw" => io.syscw = v,
            b"read_bytes" => io.read_bytes = v,
            b"write_bytes" => io.write_bytes = v,
            b"cancelled_write_bytes" => io.cancelled_write_bytes = v,
            _ => {}
        }
    }
    io
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_io() {
        let raw = crate::testdata::corpus_bytes("linux/proc-snapshots/prometheus-procfs/26231/io");
        let io = parse(&raw);
        assert_eq!(io.rchar, Some(750339));
        assert_eq!(io.wchar, Some(818609));
        assert_eq!(io.syscr, Some(7405));
        assert_eq!(io.syscw, Some(5245));
        assert_eq!(io.read_bytes, Some(1024));
        assert_eq!(io.write_bytes, Some(2048));
        assert_eq!(io.cancelled_write_bytes, None); // -1024 in the fixture
    }
}
