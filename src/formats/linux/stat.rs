//! `/proc/<pid>/stat` and `/proc/<pid>/task/<tid>/stat` (proc(5): "Status information about the process").

use super::{ParseError, num};

/// The fields of a stat line that procsift uses. Field numbers are proc(5)'s, counting from 1.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    /// (1) `pid`.
    pub pid: i32,
    /// (2) `comm`, the bytes between the first `(` and the last `)`.
    pub comm: Vec<u8>,
    /// (3) `state`: R, S, D, Z, T, t, X, I, ...
    pub state: u8,
    /// (4) `ppid`.
    pub ppid: i32,
    /// (5) `pgrp`.
    pub pgrp: i32,
    /// (6) `session`.
    pub session: i32,
    /// (7) `tty_nr`: controlling terminal device.
    pub tty_nr: i64,
    /// (8) `tpgid`: the foreground process group of the controlling terminal (-1 without one).
    pub tpgid: i32,
    /// (9) `flags`: PF_* kernel flags.
    pub flags: u64,
    /// (14) `utime`, clock ticks.
    pub utime: u64,
    /// (15) `stime`, clock ticks.
    pub stime: u64,
    /// (16) `cutime`: waited-for children's user time, clock ticks.
    pub cutime: i64,
    /// (17) `cstime`: waited-for children's system time, clock ticks.
    pub cstime: i64,
    /// (18) `priority`.
    pub priority: i64,
    /// (19) `nice`.
    pub nice: i64,
    /// (20) `num_threads`.
    pub num_threads: i64,
    /// (22) `starttime`: clock ticks after boot.
    pub starttime: u64,
    /// (23) `vsize`: bytes.
    pub vsize: u64,
    /// (24) `rss`: pages.
    pub rss: i64,
    /// (39) `processor`: CPU last run on (since Linux 2.2.8).
    pub processor: Option<u32>,
    /// (52) `exit_code`: the thread's exit status in the form reported by waitpid(2) (since Linux 3.5).
    /// The kernel prints 0 unless the reader may ptrace the process, and it is meaningful only once the
    /// process has exited (a zombie).
    pub exit_code: Option<i32>,
}

/// PF_KTHREAD in `flags`: a kernel thread.
pub const PF_KTHREAD: u64 = 0x0020_0000;

/// Decodes one stat line. `comm` may hold spaces and parentheses: it ends at the LAST `)`.
pub fn parse(bytes: &[u8]) -> Result<Stat, ParseError> {
    let open = bytes
        .iter()
        .position(|b| *b == b'(')
        .ok_or_else(|| ParseError::new(0, "no '(' before comm"))?;
    let close = bytes
        .iter()
        .rposition(|b| *b == b')')
        .filter(|c| *c > open)
        .ok_or_else(|| ParseError::new(open, "no ')' after comm"))?;
    let pid =
        num(bytes[..open].trim_ascii()).ok_or_else(|| ParseError::new(0, "pid is not a number"))?;
    let rest_off = close + 1;
    // Fields 3.. with their offsets in the whole line.
    // (Sized for the 50 fields kernels write after comm, so that it is not grown five times.)
    let mut rest: Vec<(usize, &[u8])> = Vec::with_capacity(64);
    rest.extend(super::fields(&bytes[rest_off..]).map(|(o, f)| (o + rest_off, f)));
    // rest[0] is field 3.
    let field = |n: usize| rest.get(n - 3);
    let need = |n: usize| -> Result<&[u8], ParseError> {
        field(n)
            .map(|(_, f)| *f)
            .ok_or_else(|| ParseError::new(bytes.len(), format!("line ends before field {n}")))
    };
    let parse_n = |n: usize| -> Result<i64, ParseError> {
        let f = need(n)?;
        num::<i64>(f).ok_or_else(|| {
            ParseError::new(
                field(n).map_or(0, |x| x.0),
                format!("field {n} is not a number"),
            )
        })
    };
    let parse_u = |n: usize| -> Result<u64, ParseError> {
        let f = need(n)?;
        num::<u64>(f).ok_or_else(|| {
            ParseError::new(
                field(n).map_or(0, |x| x.0),
                format!("field {n} is not an unsigned number"),
            )
        })
    };
    let state = need(3)?.first().copied().unwrap_or(b'?');
    Ok(Stat {
        pid,
        comm: bytes[open + 1..close].to_vec(),
        state,
        ppid: parse_n(4)? as i32,
        pgrp: parse_n(5)? as i32,
        session: parse_n(6)? as i32,
        tty_nr: parse_n(7)?,
        tpgid: parse_n(8)? as i32,
        flags: parse_u(9)?,
        utime: parse_u(14)?,
        stime: parse_u(15)?,
        cutime: parse_n(16)?,
        cstime: parse_n(17)?,
        priority: parse_n(18)?,
        nice: parse_n(19)?,
        num_threads: parse_n(20)?,
        starttime: parse_u(22)?,
        vsize: parse_u(23)?,
        rss: parse_n(24)?,
        processor: field(39).and_then(|(_, f)| num(f)),
        exit_code: field(52).and_then(|(_, f)| num(f)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(rel: &str) -> Vec<u8> {
        crate::testdata::corpus_bytes(&format!("linux/proc-snapshots/{rel}"))
    }

    #[test]
    fn prometheus_vim() {
        let s = parse(&corpus("prometheus-procfs/26231/stat")).unwrap();
        assert_eq!(s.pid, 26231);
        assert_eq!(s.comm, b"vim");
        assert_eq!(s.state, b'R');
        assert_eq!(
            (s.ppid, s.pgrp, s.session, s.tty_nr),
            (5392, 7446, 5392, 34835)
        );
        assert_eq!(s.flags, 4218880);
        assert_eq!((s.utime, s.stime), (1677, 44));
        assert_eq!((s.cutime, s.cstime), (158, 99));
        assert_eq!((s.priority, s.nice, s.num_threads), (20, 0, 1));
        assert_eq!(s.starttime, 82375);
        assert_eq!(s.vsize, 56274944);
        assert_eq!(s.rss, 1981);
        assert_eq!(s.processor, Some(0));
        assert_eq!(s.tpgid, 7446);
        assert_eq!(s.exit_code, Some(0));
    }

    #[test]
    fn comm_with_spaces_and_parentheses() {
        let s = parse(&corpus("prometheus-procfs/584/stat")).unwrap();
        assert_eq!(s.pid, 1020);
        assert_eq!(s.comm, b"(a b ) ( c d) ");
        assert_eq!(s.ppid, 28378);
        assert_eq!(s.processor, Some(5));
    }

    #[test]
    fn kernel_thread_flags_and_extreme_values() {
        let s = parse(&corpus("prometheus-procfs/26232/stat")).unwrap();
        assert_eq!(s.comm, b"ata_sff");
        assert_ne!(s.flags & PF_KTHREAD, 0);
        assert_eq!(s.nice, -20);
    }

    #[test]
    fn short_lines_from_other_kernels() {
        // lx brand zone (illumos emulating Linux): 39 fields, ending at `processor`.
        let s = parse(&corpus("gopsutil/lx_brandz/1/stat")).unwrap();
        assert_eq!(
            (s.pid, s.comm.as_slice(), s.ppid, s.starttime),
            (1, &b"systemd"[..], 0, 25)
        );
        assert_eq!((s.utime, s.stime), (8, 15));
        assert_eq!(s.processor, Some(0));
        let cut = parse(b"1 (x) S 0 0 0 0 -1 0 0 0 0 0 8 15 48 52 1 0 0 0 25 3 4").unwrap();
        assert_eq!(cut.processor, None);
        let s = parse(&corpus("gopsutil/linux/68927/stat")).unwrap();
        assert_eq!(s.comm, b"test(cmd).sh");
        assert_eq!(s.starttime, 114413973);
    }

    #[test]
    fn bad_lines_give_offsets() {
        assert_eq!(parse(b"12 (x").unwrap_err().offset, 3);
        assert!(parse(b"").is_err());
        assert!(parse(b"abc (x) S 1").is_err());
        let e = parse(b"1 (x) S 1 1 1 0 -1 zz").unwrap_err();
        assert!(e.message.contains("field 9"), "{e}");
        assert_eq!(e.offset, 19);
        let truncated = parse(b"1 (\xff) S 1 1 1 0").unwrap_err();
        assert!(truncated.message.contains("before field"));
    }
}
