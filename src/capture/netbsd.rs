//! The NetBSD capture plan: sysctl(3) answers, stored byte for byte as `sysctl/...` members.
//!
//! NetBSD has no `/proc` to copy (procfs is optional and incomplete): the kernel answers sysctl with
//! arrays of fixed-width records and with strings. The members (README, "NetBSD"):
//!
//! * unit 0, the system: `sysctl/kern.proc2` (`{CTL_KERN, KERN_PROC2, KERN_PROC_ALL, 0, elem_size,
//!   elem_count}`), `sysctl/hw.pagesize` (`{CTL_HW, HW_PAGESIZE}`), `sysctl/kern.file2` (`{CTL_KERN,
//!   KERN_FILE2, KERN_FILE_BYPID, -1, elem_size, elem_count}`: every process's descriptors), the six
//!   `sysctl/net.*.pcblist` answers (the name's MIB from `sysctlnametomib(3)`, then `{PCB_ALL, 0,
//!   elem_size, elem_count}`), and `etc/passwd`, `etc/group`;
//! * one unit per process of `kern.proc2`: `sysctl/kern.lwp/<pid>` (`{CTL_KERN, KERN_LWP, pid,
//!   elem_size, elem_count}`) and `sysctl/kern.proc_args/<pid>/{argv,env,pathname}` (`{CTL_KERN,
//!   KERN_PROC_ARGS, pid, KERN_PROC_ARGV | KERN_PROC_ENV | KERN_PROC_PATHNAME}`; `env` not with
//!   `--no-environ`).
//!
//! Each answer is read as kvm(3) and sockstat(1) read them: a size query (`oldp` NULL), then the
//! fetch into a buffer of that size plus an eighth; when the table grew in between, the kernel fills
//! what fits and fails with `ENOMEM`, and the query and fetch are retried (at most
//! [`MAX_ATTEMPTS`] times). Array MIBs carry the element size procsift knows (the kernel copies
//! `min(elem_size, sizeof)` bytes per record) and `INT_MAX` as the element count (the buffer length
//! bounds the copy; with a smaller count the kernel would stop counting what it needs and a grown
//! table would go unnoticed). The element sizes are recorded in the manifest (`capture.elem_sizes`).
//!
//! The system calls are behind the [`Sysctl`] trait: the libc shim is `crate::os::netbsd`, compiled
//! only on NetBSD; everything here is OS-neutral and tested on Linux against a fake.

use std::collections::BTreeMap;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use rustix::io::Errno;

use super::engine::{Abandoned, Event, Plan, Resume, SKIPPED, Worker};
use super::sys;
use crate::abi::Endianness;
use crate::formats::netbsd as nb;
use crate::snapshot::manifest::MemberKind;

/// sysctl(3) as the plan needs it (defined in [`crate::os`], where the system's own lives).
pub use crate::os::Sysctl;

/// `CTL_KERN`.
pub const CTL_KERN: i32 = 1;
/// `CTL_HW`.
pub const CTL_HW: i32 = 6;
/// `HW_PAGESIZE`.
pub const HW_PAGESIZE: i32 = 7;
/// `KERN_PROC2`.
pub const KERN_PROC2: i32 = 47;
/// `KERN_PROC_ARGS`.
pub const KERN_PROC_ARGS: i32 = 48;
/// `KERN_LWP`.
pub const KERN_LWP: i32 = 64;
/// `KERN_FILE2`.
pub const KERN_FILE2: i32 = 77;
/// `KERN_PROC_ALL`.
pub const KERN_PROC_ALL: i32 = 0;
/// `KERN_FILE_BYPID`; its argument -1 means every process.
pub const KERN_FILE_BYPID: i32 = 2;
/// `KERN_PROC_ARGV`.
pub const KERN_PROC_ARGV: i32 = 1;
/// `KERN_PROC_ENV`.
pub const KERN_PROC_ENV: i32 = 3;
/// `KERN_PROC_PATHNAME`.
pub const KERN_PROC_PATHNAME: i32 = 5;
/// `PCB_ALL`.
pub const PCB_ALL: i32 = 0;

/// Most size-query-and-fetch rounds for one answer before it is recorded as `ENOMEM`.
pub const MAX_ATTEMPTS: usize = 8;

/// Largest answer read (256 MiB): a size query answering more is recorded as `EFBIG`.
pub const MAX_ANSWER: usize = 256 << 20;

/// The pcblist nodes and their members.
pub const PCBLISTS: [(&str, &str); 6] = [
    ("net.inet.tcp.pcblist", "sysctl/net.inet.tcp.pcblist"),
    ("net.inet6.tcp6.pcblist", "sysctl/net.inet6.tcp6.pcblist"),
    ("net.inet.udp.pcblist", "sysctl/net.inet.udp.pcblist"),
    ("net.inet6.udp6.pcblist", "sysctl/net.inet6.udp6.pcblist"),
    (
        "net.local.stream.pcblist",
        "sysctl/net.local.stream.pcblist",
    ),
    ("net.local.dgram.pcblist", "sysctl/net.local.dgram.pcblist"),
];

/// Files read relative to the /etc root, stored as `etc/<name>`; a failure is recorded.
pub const ETC_SYSTEM: &[&str] = &["passwd", "group"];

/// The element size of each array, as the manifest records it.
pub fn elem_sizes() -> BTreeMap<String, u64> {
    [
        ("kinfo_proc2", nb::KINFO_PROC2_SIZE),
        ("kinfo_lwp", nb::KINFO_LWP_SIZE),
        ("kinfo_file", nb::KINFO_FILE_SIZE),
        ("kinfo_pcb", nb::KINFO_PCB_SIZE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v as u64))
    .collect()
}

/// Reads node `mib` whole: size query, then fetch into that size plus an eighth, again while the
/// answer grew in between (`ENOMEM`), at most [`MAX_ATTEMPTS`] rounds.
pub fn fetch(sys: &dyn Sysctl, mib: &[i32]) -> Result<Vec<u8>, Errno> {
    let mut extra = 0usize;
    for _ in 0..MAX_ATTEMPTS {
        let need = sys.read(mib, None)?;
        if need > MAX_ANSWER {
            return Err(Errno::FBIG);
        }
        let cap = need.saturating_add(need / 8).saturating_add(extra);
        let mut buf = vec![0u8; cap];
        match sys.read(mib, Some(&mut buf)) {
            Ok(n) => {
                buf.truncate(n.min(cap));
                return Ok(buf);
            }
            Err(Errno::NOMEM) => extra = extra.saturating_mul(2).max(cap / 2).max(64),
            Err(e) => return Err(e),
        }
    }
    Err(Errno::NOMEM)
}

/// An array node's MIB: `prefix`, then the element size and `INT_MAX` elements.
pub fn array_mib(prefix: &[i32], elem_size: usize) -> Vec<i32> {
    let mut m = prefix.to_vec();
    m.push(i32::try_from(elem_size).unwrap_or(i32::MAX));
    m.push(i32::MAX);
    m
}

/// The MIB of `KERN_PROC2` for every process.
pub fn proc2_mib() -> Vec<i32> {
    array_mib(
        &[CTL_KERN, KERN_PROC2, KERN_PROC_ALL, 0],
        nb::KINFO_PROC2_SIZE,
    )
}

// Step numbers within the system unit.
const SYS_PROC2: u32 = 0;
const SYS_PAGESIZE: u32 = 1;
const SYS_FILE2: u32 = 2;
const SYS_PCB: u32 = 3;
const SYS_ETC: u32 = SYS_PCB + PCBLISTS.len() as u32;

// Step numbers within a process unit.
const STEP_LWP: u32 = 0;
const STEP_ARGV: u32 = 1;
const STEP_ENV: u32 = 2;
const STEP_PATH: u32 = 3;

/// The NetBSD plan for one capture.
#[derive(Debug)]
pub struct NetbsdPlan {
    sys: Arc<dyn Sysctl>,
    etc_root: Option<OwnedFd>,
    proc2: Vec<u8>,
    pids: Vec<i32>,
    no_environ: bool,
}

impl NetbsdPlan {
    /// Reads the process table (the units are its processes). Fails only when `kern.proc2` cannot be
    /// read.
    pub fn new(
        sys: Arc<dyn Sysctl>,
        etc_root: &std::path::Path,
        no_environ: bool,
    ) -> crate::Result<Self> {
        let proc2 = fetch(&*sys, &proc2_mib())
            .map_err(|e| crate::Error::io("sysctl kern.proc2", std::io::Error::from(e)))?;
        let mut pids: Vec<i32> = nb::decode_proc2(
            &proc2,
            nb::KINFO_PROC2_SIZE,
            // sysctl answers are in the kernel's byte order, which is this binary's.
            Endianness::NATIVE,
        )
        .map(|l| l.value.iter().map(|p| p.pid).collect())
        .unwrap_or_default();
        pids.sort_unstable();
        pids.dedup();
        Ok(NetbsdPlan {
            sys,
            etc_root: sys::open_root(etc_root).ok(),
            proc2,
            pids,
            no_environ,
        })
    }

    /// The pids of the process table read at the start, ascending.
    pub fn pids(&self) -> &[i32] {
        &self.pids
    }

    fn answer(
        &self,
        w: &mut Worker,
        step: u32,
        path: String,
        mib: &[i32],
    ) -> super::engine::Step<()> {
        let sys = Arc::clone(&self.sys);
        w.produce(step, path, move || fetch(&*sys, mib))
    }

    fn run_system(&self, from: Resume, w: &mut Worker) -> Result<(), Abandoned> {
        // Steps before `from.step` were done by a worker that timed out.
        let todo = |step: u32| step >= from.step;
        if todo(SYS_PROC2) {
            let bytes = self.proc2.clone();
            let _ = w.produce(SYS_PROC2, "sysctl/kern.proc2".into(), move || Ok(bytes))?;
        }
        if todo(SYS_PAGESIZE) {
            let _ = self.answer(
                w,
                SYS_PAGESIZE,
                "sysctl/hw.pagesize".into(),
                &[CTL_HW, HW_PAGESIZE],
            )?;
        }
        if todo(SYS_FILE2) {
            let mib = array_mib(
                &[CTL_KERN, KERN_FILE2, KERN_FILE_BYPID, -1],
                nb::KINFO_FILE_SIZE,
            );
            let _ = self.answer(w, SYS_FILE2, "sysctl/kern.file2".into(), &mib)?;
        }
        for (i, (name, member)) in PCBLISTS.iter().enumerate() {
            let step = SYS_PCB + i as u32;
            if !todo(step) {
                continue;
            }
            let sys = Arc::clone(&self.sys);
            let name = *name;
            let _ = w.produce(step, (*member).into(), move || {
                let mut mib = sys.name_to_mib(name)?;
                mib.extend([PCB_ALL, 0]);
                fetch(&*sys, &array_mib(&mib, nb::KINFO_PCB_SIZE))
            })?;
        }
        for (i, name) in ETC_SYSTEM.iter().enumerate() {
            let step = SYS_ETC + i as u32;
            if todo(step) {
                let candidates: Vec<_> = self.etc_root.iter().map(|d| (d.as_fd(), *name)).collect();
                let _ = w.file_first(step, format!("etc/{name}"), &candidates)?;
            }
        }
        Ok(())
    }

    fn run_process(&self, pid: i32, from: Resume, w: &mut Worker) -> Result<(), Abandoned> {
        let lwp = format!("sysctl/kern.lwp/{pid}");
        let args = format!("sysctl/kern.proc_args/{pid}");
        let mut steps: Vec<(u32, String, Vec<i32>)> = vec![
            (
                STEP_LWP,
                lwp,
                array_mib(&[CTL_KERN, KERN_LWP, pid], nb::KINFO_LWP_SIZE),
            ),
            (
                STEP_ARGV,
                format!("{args}/argv"),
                vec![CTL_KERN, KERN_PROC_ARGS, pid, KERN_PROC_ARGV],
            ),
        ];
        if !self.no_environ {
            steps.push((
                STEP_ENV,
                format!("{args}/env"),
                vec![CTL_KERN, KERN_PROC_ARGS, pid, KERN_PROC_ENV],
            ));
        }
        steps.push((
            STEP_PATH,
            format!("{args}/pathname"),
            vec![CTL_KERN, KERN_PROC_ARGS, pid, KERN_PROC_PATHNAME],
        ));
        for (step, path, mib) in steps {
            if step < from.step {
                continue;
            }
            if from.after_timeout {
                // KERN_PROC_ARGS copies out of the process's memory, under its locks: what blocked one
                // read would most likely block the next.
                w.skip(path, MemberKind::File, SKIPPED)?;
                continue;
            }
            let r = self.answer(w, step, path, &mib)?;
            if step == STEP_LWP
                && let Err(e) = r
                && sys::is_gone(e)
            {
                w.note(Event::Vanished(pid))?;
                return Ok(());
            }
        }
        Ok(())
    }
}

impl Plan for NetbsdPlan {
    fn units(&self) -> usize {
        self.pids.len() + 1
    }

    fn is_process(&self, unit: usize) -> bool {
        unit >= 1
    }

    fn run(&self, unit: usize, from: Resume, w: &mut Worker) -> Result<(), Abandoned> {
        match unit.checked_sub(1) {
            None => self.run_system(from, w),
            Some(i) => match self.pids.get(i) {
                Some(&pid) => self.run_process(pid, from, w),
                None => Ok(()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A node whose answer grows by `grow` bytes after each size query, `times` times.
    #[derive(Debug)]
    struct Growing {
        len: Mutex<usize>,
        grow: usize,
        times: Mutex<usize>,
        calls: Mutex<Vec<bool>>,
    }

    impl Sysctl for Growing {
        fn read(&self, _mib: &[i32], buf: Option<&mut [u8]>) -> Result<usize, Errno> {
            let mut len = self.len.lock().unwrap();
            self.calls.lock().unwrap().push(buf.is_some());
            match buf {
                None => {
                    let need = *len;
                    let mut t = self.times.lock().unwrap();
                    if *t > 0 {
                        *t -= 1;
                        *len += self.grow;
                    }
                    Ok(need)
                }
                Some(b) if b.len() < *len => Err(Errno::NOMEM),
                Some(b) => {
                    b[..*len].fill(7);
                    Ok(*len)
                }
            }
        }
        fn name_to_mib(&self, _: &str) -> Result<Vec<i32>, Errno> {
            Err(Errno::NOENT)
        }
    }

    /// Answers 100 bytes to the size query, and ENOMEM to every fetch; counts the calls.
    #[derive(Debug)]
    struct Stubborn(Mutex<usize>);

    impl Sysctl for Stubborn {
        fn read(&self, _mib: &[i32], buf: Option<&mut [u8]>) -> Result<usize, Errno> {
            *self.0.lock().unwrap() += 1;
            match buf {
                None => Ok(100),
                Some(_) => Err(Errno::NOMEM),
            }
        }
        fn name_to_mib(&self, _: &str) -> Result<Vec<i32>, Errno> {
            Err(Errno::NOENT)
        }
    }

    fn growing(len: usize, grow: usize, times: usize) -> Growing {
        Growing {
            len: Mutex::new(len),
            grow,
            times: Mutex::new(times),
            calls: Mutex::new(Vec::new()),
        }
    }

    #[test]
    fn fetch_retries_while_the_table_grows() {
        // Grows by far more than the slop twice, then stays: two ENOMEM rounds, then success.
        let g = growing(680, 680 * 10, 2);
        let v = fetch(&g, &[1, 47]).unwrap();
        assert_eq!(v.len(), 680 * 21);
        assert!(v.iter().all(|b| *b == 7));
        assert_eq!(
            *g.calls.lock().unwrap(),
            vec![false, true, false, true, false, true]
        );
        // Growth within the slop needs one round.
        let g = growing(800, 50, 1);
        assert_eq!(fetch(&g, &[1]).map(|v| v.len()), Ok(850));
        // A table that outgrows every buffer is ENOMEM after MAX_ATTEMPTS rounds.
        let s = Stubborn(Mutex::new(0));
        assert!(matches!(fetch(&s, &[1]), Err(Errno::NOMEM)));
        assert_eq!(*s.0.lock().unwrap(), 2 * MAX_ATTEMPTS);
        // An empty table is an empty answer.
        assert!(fetch(&growing(0, 0, 0), &[1]).unwrap().is_empty());
        // An absurd size is refused.
        assert!(matches!(
            fetch(&growing(MAX_ANSWER + 1, 0, 0), &[1]),
            Err(Errno::FBIG)
        ));
    }

    #[test]
    fn array_mibs_end_with_size_and_int_max() {
        assert_eq!(proc2_mib(), vec![1, 47, 0, 0, 680, i32::MAX]);
        assert_eq!(array_mib(&[1, 64, 42], 128), vec![1, 64, 42, 128, i32::MAX]);
    }
}
