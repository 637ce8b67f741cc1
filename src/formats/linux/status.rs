//! `/proc/<pid>/status` and `task/<tid>/status` (proc(5)): `Key:\tvalue` lines.

use super::kv::{kib, pairs};
use super::{ParseError, fields, num};

/// The status fields procsift uses. Each is `None` when the line is absent (older kernels, kernel
/// threads).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// `Name`: the command name (escaped by the kernel: `\n` as `\\n`).
    pub name: Option<Vec<u8>>,
    /// `State`: the letter.
    pub state: Option<u8>,
    /// `Tgid`.
    pub tgid: Option<i32>,
    /// `Pid`.
    pub pid: Option<i32>,
    /// `PPid`.
    pub ppid: Option<i32>,
    /// `TracerPid`.
    pub tracer_pid: Option<i32>,
    /// `Uid`: real, effective, saved set, filesystem.
    pub uid: Option<[u32; 4]>,
    /// `Gid`: real, effective, saved set, filesystem.
    pub gid: Option<[u32; 4]>,
    /// `Groups`: supplementary groups.
    pub groups: Option<Vec<u32>>,
    /// `NStgid`: thread-group id in each nested pid namespace, outermost first (since 4.1).
    pub nstgid: Option<Vec<i32>>,
    /// `NSpid`: pid in each nested pid namespace, outermost first (since 4.1).
    pub nspid: Option<Vec<i32>>,
    /// `NSpgid`.
    pub nspgid: Option<Vec<i32>>,
    /// `NSsid`.
    pub nssid: Option<Vec<i32>>,
    /// `VmSize`, KiB.
    pub vm_size: Option<u64>,
    /// `VmLck`, KiB.
    pub vm_lck: Option<u64>,
    /// `VmHWM`, KiB.
    pub vm_hwm: Option<u64>,
    /// `VmRSS`, KiB.
    pub vm_rss: Option<u64>,
    /// `RssAnon`, KiB.
    pub rss_anon: Option<u64>,
    /// `RssFile`, KiB.
    pub rss_file: Option<u64>,
    /// `RssShmem`, KiB.
    pub rss_shmem: Option<u64>,
    /// `VmSwap`, KiB.
    pub vm_swap: Option<u64>,
    /// `Threads`.
    pub threads: Option<u32>,
    /// `SigPnd`: thread-pending signals, hex.
    pub sig_pnd: Option<String>,
    /// `ShdPnd`: process-pending signals, hex.
    pub shd_pnd: Option<String>,
    /// `SigBlk`, hex.
    pub sig_blk: Option<String>,
    /// `SigIgn`, hex.
    pub sig_ign: Option<String>,
    /// `SigCgt`, hex.
    pub sig_cgt: Option<String>,
    /// `CapInh`, hex.
    pub cap_inh: Option<String>,
    /// `CapPrm`, hex.
    pub cap_prm: Option<String>,
    /// `CapEff`, hex.
    pub cap_eff: Option<String>,
    /// `CapBnd`, hex.
    pub cap_bnd: Option<String>,
    /// `CapAmb`, hex (since Linux 4.3).
    pub cap_amb: Option<String>,
    /// `Umask`: the file mode creation mask, octal in the file (since Linux 4.7).
    pub umask: Option<u32>,
    /// `voluntary_ctxt_switches`.
    pub voluntary_ctxt_switches: Option<u64>,
    /// `nonvoluntary_ctxt_switches`.
    pub nonvoluntary_ctxt_switches: Option<u64>,
}

fn list<T: std::str::FromStr>(value: &[u8]) -> Option<Vec<T>> {
    fields(value).map(|(_, f)| num(f)).collect()
}

fn hex(value: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(value).ok()?;
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_string())
}

/// The `Threads` value alone, as [`parse`] reads it (the last such line; `None` when it is absent or
/// not a number), without decoding the rest.
pub fn threads(bytes: &[u8]) -> Option<u32> {
    const KEY: &[u8] = b"Threads:";
    let start = match memchr::memmem::rfind(bytes, b"\nThreads:") {
        Some(i) => i + 1,
        None if bytes.starts_with(KEY) => 0,
        None => return None,
    };
    let line = &bytes[start + KEY.len()..];
    let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
    num(line.trim_ascii())
}

/// Decodes a status file. Unknown keys are ignored; a known key with a malformed value is an error at
/// that line's offset.
pub fn parse(bytes: &[u8]) -> Result<Status, ParseError> {
    let mut s = Status::default();
    for (off, key, value) in pairs(bytes) {
        let bad = || {
            ParseError::new(
                off,
                format!("bad value for {}", String::from_utf8_lossy(key)),
            )
        };
        match key {
            b"Name" => s.name = Some(value.to_vec()),
            b"State" => s.state = value.first().copied(),
            b"Tgid" => s.tgid = Some(num(value).ok_or_else(bad)?),
            b"Pid" => s.pid = Some(num(value).ok_or_else(bad)?),
            b"PPid" => s.ppid = Some(num(value).ok_or_else(bad)?),
            b"TracerPid" => s.tracer_pid = Some(num(value).ok_or_else(bad)?),
            b"Uid" | b"Gid" => {
                let v: Vec<u32> = list(value).ok_or_else(bad)?;
                let ids: [u32; 4] = v.try_into().map_err(|_| bad())?;
                if key == b"Uid" {
                    s.uid = Some(ids);
                } else {
                    s.gid = Some(ids);
                }
            }
            b"Groups" => s.groups = Some(list(value).ok_or_else(bad)?),
            b"NStgid" => s.nstgid = Some(list(value).ok_or_else(bad)?),
            b"NSpid" => s.nspid = Some(list(value).ok_or_else(bad)?),
            b"NSpgid" => s.nspgid = Some(list(value).ok_or_else(bad)?),
            b"NSsid" => s.nssid = Some(list(value).ok_or_else(bad)?),
            b"VmSize" => s.vm_size = kib(value),
            b"VmLck" => s.vm_lck = kib(value),
            b"VmHWM" => s.vm_hwm = kib(value),
            b"VmRSS" => s.vm_rss = kib(value),
            b"RssAnon" => s.rss_anon = kib(value),
            b"RssFile" => s.rss_file = kib(value),
            b"RssShmem" => s.rss_shmem = kib(value),
            b"VmSwap" => s.vm_swap = kib(value),
            b"Threads" => s.threads = Some(num(value).ok_or_else(bad)?),
            b"SigPnd" => s.sig_pnd = hex(value),
            b"ShdPnd" => s.shd_pnd = hex(value),
            b"SigBlk" => s.sig_blk = hex(value),
            b"SigIgn" => s.sig_ign = hex(value),
            b"SigCgt" => s.sig_cgt = hex(value),
            b"CapInh" => s.cap_inh = hex(value),
            b"CapPrm" => s.cap_prm = hex(value),
            b"CapEff" => s.cap_eff = hex(value),
            b"CapBnd" => s.cap_bnd = hex(value),
            b"CapAmb" => s.cap_amb = hex(value),
            b"Umask" => {
                s.umask = Some(
                    std::str::from_utf8(value)
                        .ok()
                        .and_then(|v| u32::from_str_radix(v, 8).ok())
                        .ok_or_else(bad)?,
                )
            }
            b"voluntary_ctxt_switches" => s.voluntary_ctxt_switches = num(value),
            b"nonvoluntary_ctxt_switches" => s.nonvoluntary_ctxt_switches = num(value),
            _ => {}
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_alone_is_what_parse_reads() {
        for text in [
            &b"Name:\tx\nThreads:\t3\nSigQ:\t0/1\n"[..],
            b"Threads:\t1\n",
            b"Threads:\t1\nThreads:\t7",
            b"Name:\tx\n",
            b"Threads:\tx\n",
            b"",
        ] {
            let whole = parse(text).ok().and_then(|s| s.threads);
            assert_eq!(threads(text), whole, "{}", String::from_utf8_lossy(text));
        }
    }

    fn corpus(rel: &str) -> Vec<u8> {
        crate::testdata::corpus_bytes(&format!("linux/proc-snapshots/{rel}"))
    }

    #[test]
    fn prometheus_status() {
        let s = parse(&corpus("prometheus-procfs/26231/status")).unwrap();
        assert_eq!(s.name.as_deref(), Some(&b"prometheus"[..]));
        assert_eq!(s.state, Some(b'S'));
        assert_eq!((s.tgid, s.pid, s.ppid), (Some(26231), Some(26231), Some(1)));
        assert_eq!(s.uid, Some([1000, 1000, 1000, 0]));
        assert_eq!(s.gid, Some([1001, 1001, 1001, 0]));
        assert_eq!(s.groups, Some(vec![]));
        assert_eq!(s.nspid, Some(vec![1]));
        assert_eq!(s.vm_size, Some(58440));
        assert_eq!(s.vm_rss, Some(6716));
        assert_eq!(s.vm_hwm, Some(8028));
        assert_eq!(s.vm_swap, Some(660));
        assert_eq!(s.threads, Some(1));
        assert_eq!(s.sig_blk.as_deref(), Some("7be3c0fe28014a03"));
        assert_eq!(s.voluntary_ctxt_switches, Some(4742839));
        assert_eq!(s.tracer_pid, Some(0));
        assert_eq!(s.cap_inh.as_deref(), Some("0000000000000000"));
        assert_eq!(s.cap_prm.as_deref(), Some("0000003fffffffff"));
        assert_eq!(s.cap_eff.as_deref(), Some("0000003fffffffff"));
        assert_eq!(s.cap_bnd.as_deref(), Some("0000003fffffffff"));
        assert_eq!(s.cap_amb.as_deref(), Some("0000000000000000"));
        assert_eq!(s.umask, Some(0o022));
    }

    #[test]
    fn gopsutil_statuses_decode() {
        // The fixtures' directory names are not their pids (the maintainers edited them).
        let s = parse(&corpus("gopsutil/linux/1/status")).unwrap();
        assert_eq!(
            (s.name.as_deref(), s.pid),
            (Some(&b"ksoftirqd/0"[..]), Some(10))
        );
        let s = parse(&corpus("gopsutil/linux/1060/status")).unwrap();
        assert_eq!((s.pid, s.uid), (Some(2549), Some([107; 4])));
        let s = parse(&corpus("gopsutil/linux/23819/status")).unwrap();
        assert_eq!(s.uid, Some([4061200383; 4]));
        assert_eq!(s.nspid, Some(vec![23819, 1]));
    }

    #[test]
    fn nested_namespaces_and_bad_values() {
        let s = parse(b"Name:\tsleep\nNSpid:\t5752\t1\nUid:\t0\t0\t0\t0\n").unwrap();
        assert_eq!(s.nspid, Some(vec![5752, 1]));
        let e = parse(b"Name:\tx\nUid:\t0\t0\n").unwrap_err();
        assert_eq!(e.offset, 8);
        assert!(parse(b"Pid:\t99999999999999999999\n").is_err());
        assert_eq!(parse(b"garbage\n\xff\xfe\n").unwrap(), Status::default());
    }
}
