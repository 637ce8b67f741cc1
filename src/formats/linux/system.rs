//! System-wide records: `/proc/loadavg`, `/proc/uptime`, `/proc/meminfo`, `/proc/stat`.

use super::kv::{kib, pairs};
use super::{fields, num};

/// `/proc/loadavg`: the three load averages.
pub fn loadavg(bytes: &[u8]) -> Option<[f64; 3]> {
    let mut it = fields(bytes).map(|(_, f)| num::<f64>(f));
    Some([it.next()??, it.next()??, it.next()??])
}

/// `/proc/uptime`: seconds since boot (first field).
pub fn uptime(bytes: &[u8]) -> Option<f64> {
    fields(bytes).next().and_then(|(_, f)| num(f))
}

/// `/proc/meminfo`: (MemTotal, MemAvailable) in KiB.
pub fn meminfo(bytes: &[u8]) -> (Option<u64>, Option<u64>) {
    let (mut total, mut avail) = (None, None);
    for (_, k, v) in pairs(bytes) {
        match k {
            b"MemTotal" => total = kib(v),
            b"MemAvailable" => avail = kib(v),
            _ => {}
        }
    }
    (total, avail)
}

/// What procsift reads from `/proc/stat`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelStat {
    /// `btime`: boot time, seconds since the epoch.
    pub btime: Option<i64>,
    /// Number of `cpuN` lines.
    pub ncpu: Option<u32>,
}

/// Decodes `/proc/stat`.
pub fn kernel_stat(bytes: &[u8]) -> KernelStat {
    let mut s = KernelStat::default();
    let mut cpus = 0u32;
    for (_, line) in super::lines(bytes) {
        let mut f = fields(line).map(|(_, f)| f);
        match f.next() {
            Some(b"btime") => s.btime = f.next().and_then(num),
            Some(name)
                if name.len() > 3
                    && name.starts_with(b"cpu")
                    && name[3..].iter().all(u8::is_ascii_digit) =>
            {
                cpus += 1
            }
            _ => {}
        }
    }
    s.ncpu = (cpus > 0).then_some(cpus);
    s
}

/// The entries of `/etc/ld.so.preload` as the dynamic linker reads them (glibc `elf/rtld.c`): text from
/// `#` to the end of a line is a comment, and entries are separated by spaces, tabs, newlines and `:`.
pub fn preload_entries(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for line in bytes.split(|b| *b == b'\n') {
        let line = match line.iter().position(|b| *b == b'#') {
            Some(i) => &line[..i],
            None => line,
        };
        out.extend(
            line.split(|b| matches!(b, b' ' | b'\t' | b':' | b'\r'))
                .filter(|e| !e.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preload_entries_as_ld_so_splits_them() {
        assert_eq!(
            preload_entries(
                b"# installed by snoopy\n/lib/libsnoopy.so\n/tmp/a.so:/tmp/b.so /x.so # c\n\n"
            ),
            [
                &b"/lib/libsnoopy.so"[..],
                b"/tmp/a.so",
                b"/tmp/b.so",
                b"/x.so"
            ]
        );
        assert!(preload_entries(b"  \n# nothing\n").is_empty());
    }

    #[test]
    fn system_files() {
        assert_eq!(
            loadavg(b"0.15 0.22 0.30 1/123 4567\n"),
            Some([0.15, 0.22, 0.30])
        );
        assert_eq!(loadavg(b"0.1 x"), None);
        assert_eq!(uptime(b"1234.56 99.0\n"), Some(1234.56));
        assert_eq!(
            meminfo(b"MemTotal:  24000000 kB\nMemFree: 1 kB\nMemAvailable:  2000 kB\n"),
            (Some(24000000), Some(2000))
        );
        let s = kernel_stat(
            b"cpu  1 2 3\ncpu0 1 2 3\ncpu1 4 5 6\nintr 5\nbtime 1795350000\nprocesses 99\n",
        );
        assert_eq!(
            s,
            KernelStat {
                btime: Some(1795350000),
                ncpu: Some(2)
            }
        );
    }
}
