//! The OS side of `gcore` on Linux: stop the process, read what the core needs, let it go.
//!
//! Order of work, to keep the stop short: everything that does not need the process stopped is read
//! first (identity, the filter), and the buffers and the writing threads are made ready; then every
//! thread is seized and interrupted; the register sets, the mappings and the memory are read while it is
//! stopped, each chunk of memory handed to the writing threads (`O_DIRECT` and the page cache), which
//! write it while the next is read (with `--brief-stop`: copied into held memory, written after); then
//! every thread is detached, and only then are the last chunks, the notes and the headers written.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant, SystemTime};

use rustix::io::Errno;

use super::arch::{self, Arch};
use super::filter::{self, Decision};
use super::notes::{NT_PRFPREG, NT_PRSTATUS};
use super::writer::{
    self, DumpFacts, FileMapping, Memory, Missing, ProcessState, Run, RunKind, Segment,
    ThreadState, Want, Writer,
};
use super::{FilterSource, Options, Summary, human_size};
use crate::formats::linux::maps::{self, MapLine, SmapsSizes};
use crate::formats::linux::{stat, status};
use crate::os::ptrace::{self, Tid, Waited};

/// `SIGSTOP`, `SIGTSTP`, `SIGTTIN`, `SIGTTOU` (the numbers of x86_64 and of aarch64, whose signals are
/// asm-generic's).
const JOB_CONTROL_STOPS: [i32; 4] = [19, 20, 21, 22];

/// A dump that cannot be done: `reason` is the errno-style name a capture records for the member
/// (`ESRCH`, `EPERM`, `EBUSY`, ...), `msg` the sentence for the user.
fn process_error(reason: &str, msg: impl Into<String>) -> crate::Error {
    crate::Error::Process {
        reason: reason.into(),
        message: msg.into(),
    }
}

/// The name of an errno for messages (`EPERM`), else its number.
fn errno_name(e: Errno) -> String {
    let n = e.raw_os_error();
    let name = match n {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        5 => "EIO",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        19 => "ENODEV",
        22 => "EINVAL",
        _ => return format!("errno {n}"),
    };
    name.to_string()
}

fn read_proc(path: &str) -> Result<Vec<u8>, Errno> {
    std::fs::read(path).map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO))
}

/// A comm for messages: the bytes, lossily.
fn shown(comm: &[u8]) -> String {
    String::from_utf8_lossy(comm).into_owned()
}

/// What the process looked like before it was stopped.
struct Before {
    stat: stat::Stat,
    status: status::Status,
    cmdline: Vec<u8>,
    filter: (u32, FilterSource),
}

fn look(pid: i32, opts: &Options) -> crate::Result<Before> {
    if pid <= 0 {
        return Err(crate::Error::Usage(format!("not a process id: {pid}")));
    }
    let st = match read_proc(&format!("/proc/{pid}/stat")) {
        Ok(b) => stat::parse(&b).map_err(|e| {
            process_error("EIO", format!("/proc/{pid}/stat: {e}: not a Linux /proc?"))
        })?,
        Err(Errno::NOENT | Errno::SRCH) => {
            return Err(crate::Error::NotFound(format!("no process {pid}")));
        }
        Err(e) => {
            return Err(process_error(
                "EIO",
                format!("/proc/{pid}/stat: {}", errno_name(e)),
            ));
        }
    };
    let comm = shown(&st.comm);
    if st.pid != pid {
        // /proc/TID of a thread that is not a group leader still answers: dump its process instead.
        return Err(process_error(
            "ESRCH",
            format!("{pid} is not a process id (a thread of {}?)", st.pid),
        ));
    }
    if st.flags & stat::PF_KTHREAD != 0 {
        return Err(process_error(
            "EPERM",
            format!("{pid} ({comm}) is a kernel thread: it has no user memory to dump"),
        ));
    }
    if pid == std::process::id() as i32 {
        return Err(crate::Error::Usage(
            "procsift cannot dump itself (a process cannot trace itself)".into(),
        ));
    }
    if matches!(st.state, b'Z' | b'X' | b'x') {
        return Err(process_error(
            "ESRCH",
            if st.num_threads > 1 {
                format!(
                    "{pid} ({comm}): its main thread has exited and {} threads go on; gcore does not \
                     dump such a process",
                    st.num_threads - 1
                )
            } else {
                format!("{pid} ({comm}) has exited (a zombie): its memory is gone")
            },
        ));
    }
    let status = read_proc(&format!("/proc/{pid}/status"))
        .ok()
        .and_then(|b| status::parse(&b).ok())
        .unwrap_or_default();
    if let Some(tracer) = status.tracer_pid.filter(|t| *t != 0) {
        let who = read_proc(&format!("/proc/{tracer}/comm"))
            .map(|c| shown(c.trim_ascii_end()))
            .unwrap_or_else(|_| "?".into());
        return Err(process_error(
            "EBUSY",
            format!(
                "{pid} ({comm}) is already traced by {tracer} ({who}): a process has one tracer; end that \
             session (quit gdb, stop strace) and retry"
            ),
        ));
    }
    let cmdline = read_proc(&format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let filter = match opts.filter {
        Some(f) => (f, FilterSource::Option),
        None => match read_proc(&format!("/proc/{pid}/coredump_filter")) {
            Ok(b) => match std::str::from_utf8(&b).ok().and_then(filter::parse) {
                Some(f) => (f, FilterSource::Process),
                None => (
                    filter::DEFAULT,
                    FilterSource::Default("its coredump_filter is not a number".into()),
                ),
            },
            Err(e) => (
                filter::DEFAULT,
                FilterSource::Default(format!(
                    "its coredump_filter could not be read: {}",
                    errno_name(e)
                )),
            ),
        },
    };
    Ok(Before {
        stat: st,
        status,
        cmdline,
        filter,
    })
}

/// Why PTRACE_SEIZE of the main thread failed, in words.
fn seize_error(pid: i32, before: &Before, e: Errno) -> crate::Error {
    let comm = shown(&before.stat.comm);
    if e == Errno::SRCH {
        return process_error(
            "ESRCH",
            format!("{pid} ({comm}) exited before it could be stopped"),
        );
    }
    if e != Errno::PERM {
        return process_error("EIO", format!("ptrace({pid}) failed: {}", errno_name(e)));
    }
    let me = rustix::process::geteuid().as_raw();
    let owner = before.status.uid.map(|u| u[1]);
    let mut why = Vec::new();
    if let Some(owner) = owner.filter(|o| *o != me) {
        why.push(format!(
            "it runs as uid {owner} and procsift as uid {me} (tracing another user's process needs \
             CAP_SYS_PTRACE: run as root)"
        ));
    }
    if let Ok(scope) = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope") {
        match scope.trim() {
            "0" | "" => {}
            "1" => why.push(
                "kernel.yama.ptrace_scope is 1: only a parent may trace its children without \
                 CAP_SYS_PTRACE"
                    .into(),
            ),
            "2" => why.push("kernel.yama.ptrace_scope is 2: only CAP_SYS_PTRACE may trace".into()),
            s => why.push(format!(
                "kernel.yama.ptrace_scope is {s}: tracing is disabled"
            )),
        }
    }
    if why.is_empty() {
        why.push(
            "it may be set-uid, not dumpable (PR_SET_DUMPABLE), or in another user namespace; \
             CAP_SYS_PTRACE (root) may trace it"
                .into(),
        );
    }
    process_error(
        "EPERM",
        format!("not permitted to trace {pid} ({comm}): {}", why.join("; ")),
    )
}

/// How a thread was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    /// Seized; interrupted or about to be, its stop not yet seen.
    Seized,
    /// Stopped; `deliver` is the signal it was about to receive (0 for none), given back at detach.
    Stopped { deliver: i32, job_stop: bool },
}

/// The threads procsift traces. Dropping it detaches every one: the process is never left stopped.
struct Tracee {
    pid: i32,
    threads: BTreeMap<Tid, Held>,
    /// When the first thread was interrupted.
    since: Option<(Instant, SystemTime)>,
}

impl Tracee {
    /// Lets every thread go, giving back the signals they were about to receive. Returns how long the
    /// process was stopped and any thread that could not be detached.
    fn release(&mut self) -> (Duration, Vec<String>) {
        let mut problems = Vec::new();
        let threads = std::mem::take(&mut self.threads);
        for (tid, held) in threads {
            let deliver = match held {
                Held::Stopped { deliver, .. } => deliver,
                Held::Seized => {
                    // Not yet seen stopped: it must stop before it can be detached (interrupting it
                    // again does no harm if it was).
                    let _ = ptrace::interrupt(tid);
                    let deadline = Instant::now() + Duration::from_secs(2);
                    loop {
                        match ptrace::poll_stop(tid) {
                            Ok(Waited::Stopped { signal, event }) => {
                                break if event == 0 { signal } else { 0 };
                            }
                            Ok(Waited::Running) if Instant::now() < deadline => {
                                std::thread::sleep(Duration::from_millis(1));
                            }
                            Ok(Waited::Running) => {
                                problems.push(format!(
                                    "thread {tid} did not stop; it is let go when procsift's tracing \
                                     thread ends"
                                ));
                                break -1;
                            }
                            Err(Errno::INTR) => {}
                            Ok(Waited::Gone) | Err(_) => break -1,
                        }
                    }
                }
            };
            if deliver < 0 {
                continue;
            }
            match ptrace::detach(tid, deliver) {
                Ok(()) | Err(Errno::SRCH) => {}
                Err(e) => problems.push(format!("detaching thread {tid}: {}", errno_name(e))),
            }
        }
        let stopped = self.since.map_or(Duration::ZERO, |(t, _)| t.elapsed());
        (stopped, problems)
    }

    fn list_tasks(&self) -> Result<Vec<Tid>, Errno> {
        let mut tids = Vec::new();
        for e in std::fs::read_dir(format!("/proc/{}/task", self.pid))
            .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO))?
        {
            let e = e.map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO))?;
            if let Some(t) = e.file_name().to_str().and_then(|s| s.parse().ok()) {
                tids.push(t);
            }
        }
        tids.sort_unstable();
        Ok(tids)
    }

    /// True when `/proc` shows the thread exited: its task directory is gone, or it is a zombie (`Z`)
    /// or dead (`X`).
    fn thread_ended(&self, tid: Tid) -> bool {
        match read_proc(&format!("/proc/{}/task/{tid}/stat", self.pid)) {
            Ok(b) => stat::parse(&b).is_ok_and(|s| matches!(s.state, b'Z' | b'X')),
            Err(_) => true,
        }
    }

    /// Waits for a seized, interrupted thread to stop; `Ok(None)` when it exited.
    fn wait_stop(&self, tid: Tid, deadline: Instant) -> crate::Result<Option<Held>> {
        let mut nap = Duration::from_micros(20);
        loop {
            match ptrace::poll_stop(tid) {
                Ok(Waited::Stopped { signal, event }) => {
                    let held = if event == ptrace::PTRACE_EVENT_STOP {
                        Held::Stopped {
                            deliver: 0,
                            job_stop: JOB_CONTROL_STOPS.contains(&signal),
                        }
                    } else if event == 0 {
                        // A signal-delivery-stop: the thread was about to receive `signal` (a SIGTRAP
                        // too: a seized task's interrupt is a PTRACE_EVENT_STOP, and without options
                        // no other stop reports SIGTRAP).
                        Held::Stopped {
                            deliver: signal,
                            job_stop: false,
                        }
                    } else {
                        Held::Stopped {
                            deliver: 0,
                            job_stop: false,
                        }
                    };
                    return Ok(Some(held));
                }
                Ok(Waited::Gone) | Err(Errno::CHILD) => return Ok(None),
                Ok(Waited::Running) | Err(Errno::INTR) => {}
                Err(e) => {
                    return Err(process_error(
                        "EIO",
                        format!("waiting for thread {tid} to stop: {}", errno_name(e)),
                    ));
                }
            }
            if let Some(sig) = ptrace::caught() {
                return Err(crate::Error::Interrupted(sig));
            }
            // A thread killed while procsift waits may never be reported to its tracer (a SIGKILLed
            // group can be reaped by its parent first): /proc says when it is a zombie or gone.
            if nap >= Duration::from_millis(5) && self.thread_ended(tid) {
                return Ok(None);
            }
            if Instant::now() >= deadline {
                let state = read_proc(&format!("/proc/{}/task/{tid}/stat", self.pid))
                    .ok()
                    .and_then(|b| stat::parse(&b).ok())
                    .map(|s| char::from(s.state));
                let why = if state == Some('D') {
                    " (it is in uninterruptible sleep, state D: waiting on the kernel, a disk or a \
                     network filesystem)"
                } else {
                    ""
                };
                return Err(process_error(
                    "ETIMEDOUT",
                    format!(
                        "thread {tid} of {} did not stop within {:?}{why}; nothing was written",
                        self.pid,
                        deadline.duration_since(self.since.map_or(Instant::now(), |s| s.0))
                    ),
                ));
            }
            std::thread::sleep(nap);
            nap = (nap * 2).min(Duration::from_millis(5));
        }
    }

    /// Seizes and stops every thread, including threads started while it does so.
    /// Seizes the main thread without stopping it: whether procsift may trace the process is known
    /// before anything stops.
    fn seize_main(&mut self, before: &Before) -> crate::Result<()> {
        let pid = self.pid;
        ptrace::seize(pid).map_err(|e| seize_error(pid, before, e))?;
        self.threads.insert(pid, Held::Seized);
        Ok(())
    }

    /// Seizes (the main thread is already) and stops every thread, including threads started while it
    /// does so.
    fn stop_all(&mut self, timeout: Duration) -> crate::Result<()> {
        let pid = self.pid;
        let mut pending = vec![pid];
        let deadline = Instant::now() + timeout;
        loop {
            match self.list_tasks() {
                Ok(tids) => {
                    for tid in tids {
                        if self.threads.contains_key(&tid) {
                            continue;
                        }
                        match ptrace::seize(tid) {
                            Ok(()) => {
                                self.threads.insert(tid, Held::Seized);
                                pending.push(tid);
                            }
                            Err(Errno::SRCH) => {} // it ended meanwhile
                            Err(e) => {
                                return Err(process_error(
                                    "EIO",
                                    format!(
                                        "ptrace(thread {tid} of {pid}) failed: {}",
                                        errno_name(e)
                                    ),
                                ));
                            }
                        }
                    }
                }
                Err(Errno::NOENT | Errno::SRCH) => {
                    return Err(process_error(
                        "ESRCH",
                        format!("{pid} exited while it was being stopped; nothing was written"),
                    ));
                }
                Err(e) => {
                    return Err(process_error(
                        "EIO",
                        format!("/proc/{pid}/task: {}", errno_name(e)),
                    ));
                }
            }
            if pending.is_empty() {
                // Every thread listed is stopped: none can start another.
                return Ok(());
            }
            if self.since.is_none() {
                self.since = Some((Instant::now(), SystemTime::now()));
            }
            for tid in &pending {
                match ptrace::interrupt(*tid) {
                    Ok(()) | Err(Errno::SRCH) => {}
                    Err(e) => {
                        return Err(process_error(
                            "EIO",
                            format!("PTRACE_INTERRUPT of thread {tid}: {}", errno_name(e)),
                        ));
                    }
                }
            }
            for tid in std::mem::take(&mut pending) {
                match self.wait_stop(tid, deadline)? {
                    Some(held) => {
                        self.threads.insert(tid, held);
                    }
                    None => {
                        self.threads.remove(&tid);
                        if tid == pid {
                            return Err(process_error(
                                "ESRCH",
                                format!(
                                    "{pid} exited while it was being stopped; nothing was written"
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }

    /// True when the process was killed while stopped (only SIGKILL ends a stopped thread). The main
    /// thread's exit is reported to its tracer only after every other thread's, so /proc says it first:
    /// the main thread is a zombie, or gone.
    fn gone(&self) -> bool {
        if matches!(
            ptrace::poll_stop(self.pid),
            Ok(Waited::Gone) | Err(Errno::CHILD | Errno::SRCH)
        ) {
            return true;
        }
        match read_proc(&format!("/proc/{}/stat", self.pid)) {
            Ok(b) => stat::parse(&b).is_ok_and(|s| matches!(s.state, b'Z' | b'X' | b'x')),
            Err(_) => true,
        }
    }
}

impl Drop for Tracee {
    fn drop(&mut self) {
        let _ = self.release();
    }
}

/// Reads the stopped process's memory: process_vm_readv(2), else `/proc/PID/mem` (which also reads
/// pages without read permission), skipping never-touched private anonymous pages by `/proc/PID/pagemap`.
struct LiveMemory<'t> {
    pid: i32,
    page: usize,
    mem: Option<Result<File, Errno>>,
    pagemap: Option<File>,
    entries: Vec<u8>,
    /// Whether the segment being read is one whose absent pages are zeros ([`Segment::absent_is_zero`]).
    absent_is_zero: bool,
    tracee: &'t Tracee,
    /// When [`Memory::check`] last asked whether the process is gone.
    last_look: Option<Instant>,
}

/// How often [`Memory::check`] asks whether the process is gone (a wait and a read of its `stat`: tens
/// of microseconds, a cost per chunk read otherwise). A process killed meanwhile also fails the next
/// process_vm_readv (ESRCH).
const LOOK_EVERY: Duration = Duration::from_millis(5);

/// `/proc/PID/pagemap`: bit 63 page present, bit 62 swapped, bit 58 a guard region
/// (`Documentation/admin-guide/mm/pagemap.rst`; `PM_GUARD_REGION` in `fs/proc/task_mmu.c`, Linux 6.15).
const PM_PRESENT: u64 = 1 << 63;
const PM_SWAPPED: u64 = 1 << 62;
const PM_GUARD_REGION: u64 = 1 << 58;

/// Whether a pagemap entry's page may hold data: present or swapped. A guard region
/// (MADV_GUARD_INSTALL: any access faults) is shown as swapped and guard, and holds none: the kernel's own
/// core dump leaves it a hole, and so does gcore (zeros, not an unreadable range).
fn may_hold_data(entry: u64) -> bool {
    entry & PM_GUARD_REGION == 0 && entry & (PM_PRESENT | PM_SWAPPED) != 0
}

impl LiveMemory<'_> {
    fn mem_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let pid = self.pid;
        let file = self.mem.get_or_insert_with(|| {
            File::open(format!("/proc/{pid}/mem"))
                .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO))
        });
        match file {
            Ok(f) => f
                .read_at(buf, addr)
                .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO)),
            Err(e) => Err(*e),
        }
    }

    /// Which pages of `npages` at `addr` may hold data (present or swapped), when the pagemap says.
    fn resident(&mut self, addr: u64, npages: usize) -> Option<Vec<bool>> {
        let f = self.pagemap.as_ref()?;
        let r = resident(f, self.page as u64, addr, npages, &mut self.entries);
        if r.is_none() {
            self.pagemap = None;
        }
        r
    }

    /// Reads `buf` from `addr`, page by page where process_vm_readv stops; a large range in pieces on
    /// every CPU at once (the process is stopped meanwhile: the sooner done, the sooner it goes on).
    fn read_range(&mut self, addr: u64, buf: &mut [u8], runs: &mut Vec<Run>) -> crate::Result<()> {
        let threads = parallelism();
        if threads < 2 || buf.len() < 2 << 20 {
            return self.read_serial(addr, buf, runs);
        }
        let page = self.page;
        let share = buf.len().div_ceil(threads).div_ceil(page) * page;
        let pid = self.pid;
        let got: Vec<Result<usize, Errno>> = std::thread::scope(|s| {
            let mut pieces = buf.chunks_mut(share);
            let first = pieces.next();
            // The first piece on this thread, the others on threads of their own.
            let handles: Vec<_> = pieces
                .enumerate()
                .map(|(i, piece)| {
                    let a = addr + ((i + 1) * share) as u64;
                    s.spawn(move || read_all(pid, a, piece, page))
                })
                .collect();
            let mut got = vec![first.map_or(Ok(0), |p| read_all(pid, addr, p, page))];
            got.extend(handles.into_iter().map(|h| h.join().unwrap_or(Ok(0))));
            got
        });
        for (i, r) in got.into_iter().enumerate() {
            let from = i * share;
            let to = (from + share).min(buf.len());
            let n = match r {
                Ok(n) => n.min(to - from),
                Err(Errno::SRCH) => return Err(self.vanished()),
                Err(_) => 0,
            };
            if n > 0 {
                push(runs, n, RunKind::Data);
            }
            // Where process_vm_readv stopped: page by page.
            self.read_serial(addr + (from + n) as u64, &mut buf[from + n..to], runs)?;
        }
        Ok(())
    }

    /// Reads `buf` from `addr`, page by page where process_vm_readv stops.
    fn read_serial(&mut self, addr: u64, buf: &mut [u8], runs: &mut Vec<Run>) -> crate::Result<()> {
        let page = self.page;
        let mut at = 0usize;
        while at < buf.len() {
            let got = match ptrace::read_memory(self.pid, addr + at as u64, &mut buf[at..]) {
                Ok(n) => n - n % page,
                Err(Errno::SRCH) => return Err(self.vanished()),
                Err(_) => 0,
            };
            if got > 0 {
                push(runs, got, RunKind::Data);
                at += got;
                continue;
            }
            // The page at `at` defeats process_vm_readv (no read permission, past a file's end, ...):
            // /proc/PID/mem forces reads of what can be read at all.
            let end = (at + page).min(buf.len());
            let kind = match self.mem_read(addr + at as u64, &mut buf[at..end]) {
                Ok(n) if n == end - at => RunKind::Data,
                Ok(_) => {
                    if self.tracee.gone() {
                        return Err(self.vanished());
                    }
                    RunKind::Unreadable(Errno::IO.raw_os_error())
                }
                Err(Errno::SRCH) => return Err(self.vanished()),
                Err(e) => RunKind::Unreadable(e.raw_os_error()),
            };
            // A page that holds no data by the pagemap (never touched, or a guard region) in a mapping
            // read without asking it first ([`Segment::mostly_present`]): zeros, as the pagemap path
            // makes it.
            let kind = match kind {
                RunKind::Unreadable(_)
                    if self.absent_is_zero
                        && self.resident(addr + at as u64, 1).as_deref() == Some(&[false]) =>
                {
                    RunKind::Zero
                }
                kind => kind,
            };
            push(runs, end - at, kind);
            at = end;
        }
        Ok(())
    }

    fn vanished(&self) -> crate::Error {
        process_error(
            "ESRCH",
            format!(
                "{} exited during the dump (killed?); nothing was written",
                self.pid
            ),
        )
    }
}

/// Reads `buf` from `addr` by process_vm_readv as far as it goes, in whole pages: the bytes read.
fn read_all(pid: i32, addr: u64, buf: &mut [u8], page: usize) -> Result<usize, Errno> {
    let mut at = 0;
    while at < buf.len() {
        let n = match ptrace::read_memory(pid, addr + at as u64, &mut buf[at..]) {
            Ok(n) => n - n % page,
            Err(e) if at == 0 || e == Errno::SRCH => return Err(e),
            Err(_) => 0,
        };
        if n == 0 {
            break;
        }
        at += n;
    }
    Ok(at)
}

fn push(runs: &mut Vec<Run>, len: usize, kind: RunKind) {
    match runs.last_mut() {
        Some(r) if r.kind == kind => r.len += len,
        _ => runs.push(Run { len, kind }),
    }
}

impl Memory for LiveMemory<'_> {
    fn read(
        &mut self,
        segment: &Segment,
        addr: u64,
        buf: &mut [u8],
        runs: &mut Vec<Run>,
    ) -> crate::Result<()> {
        runs.clear();
        self.absent_is_zero = segment.absent_is_zero;
        let page = self.page;
        let npages = buf.len().div_ceil(page);
        let resident = if segment.absent_is_zero && !segment.mostly_present {
            self.resident(addr, npages)
        } else {
            None
        };
        let Some(resident) = resident else {
            return self.read_range(addr, buf, runs);
        };
        let mut i = 0;
        while i < npages {
            let here = resident[i];
            let mut j = i + 1;
            while j < npages && resident[j] == here {
                j += 1;
            }
            let (a, b) = (i * page, (j * page).min(buf.len()));
            if here {
                self.read_range(addr + a as u64, &mut buf[a..b], runs)?;
            } else {
                push(runs, b - a, RunKind::Zero);
            }
            i = j;
        }
        Ok(())
    }

    fn check(&mut self) -> crate::Result<()> {
        if let Some(sig) = ptrace::caught() {
            return Err(crate::Error::Interrupted(sig));
        }
        if self.last_look.is_some_and(|t| t.elapsed() < LOOK_EVERY) {
            return Ok(());
        }
        self.last_look = Some(Instant::now());
        if self.tracee.gone() {
            return Err(self.vanished());
        }
        Ok(())
    }
}

/// Clock ticks to microseconds.
fn micros(ticks: u64, hz: u64) -> u64 {
    (u128::from(ticks) * 1_000_000 / u128::from(hz.max(1))) as u64
}

fn sigset(hex: Option<&String>) -> u64 {
    hex.and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or(0)
}

/// `/proc/PID/maps` escapes a newline in a path as `\012`; the kernel's `NT_FILE` holds the byte itself.
fn unescape_path(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        if p[i..].starts_with(b"\\012") {
            out.push(b'\n');
            i += 4;
        } else {
            out.push(p[i]);
            i += 1;
        }
    }
    out
}

/// What the threads and the memory were, read while the process was stopped.
struct Stopped {
    threads: Vec<ThreadState>,
    process: ProcessState,
    /// The first thread's pending signal's siginfo, when it had one.
    warnings: Vec<String>,
}

fn read_threads(
    tracee: &Tracee,
    before: &Before,
    hz: u64,
    arch: &Arch,
) -> crate::Result<(Vec<ThreadState>, Vec<u8>, Vec<String>)> {
    let pid = tracee.pid;
    let mut out = Vec::new();
    let mut siginfo = vec![0u8; ptrace::SIGINFO_SIZE];
    let mut warnings = Vec::new();
    let whole = read_proc(&format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|b| stat::parse(&b).ok());
    let mut buf = vec![0u8; 64 * 1024];
    // The main thread first: gdb shows the first thread of a core as the current one.
    let mut order: Vec<(&Tid, &Held)> = tracee.threads.iter().collect();
    order.sort_by_key(|(t, _)| (**t != pid, **t));
    for (&tid, held) in order {
        let deliver = match held {
            Held::Stopped { deliver, .. } => *deliver,
            Held::Seized => 0,
        };
        let n = match ptrace::get_regset(tid, NT_PRSTATUS, &mut buf) {
            Ok(n) => n,
            Err(Errno::SRCH) => {
                if tracee.gone() {
                    return Err(process_error(
                        "ESRCH",
                        format!("{pid} exited during the dump (killed?); nothing was written"),
                    ));
                }
                warnings.push(format!("thread {tid} ended during the dump: left out"));
                continue;
            }
            Err(e) => {
                return Err(process_error(
                    "EIO",
                    format!("PTRACE_GETREGSET of thread {tid}: {}", errno_name(e)),
                ));
            }
        };
        if n != arch.gregs_size {
            let name = arch.machine.name;
            return Err(process_error(
                "ENOSYS",
                format!(
                    "{pid} ({}) is not a 64-bit {name} process ({n} bytes of general registers: a {} \
                     process?): gcore dumps 64-bit {name} processes only",
                    shown(&before.stat.comm),
                    arch.compat
                ),
            ));
        }
        let gregs = buf[..n].to_vec();
        let fpregs = ptrace::get_regset(tid, NT_PRFPREG, &mut buf)
            .ok()
            .map(|n| buf[..n].to_vec());
        let mut extra = Vec::new();
        for set in arch.extra {
            if buf.len() < set.buffer {
                buf.resize(set.buffer, 0);
            }
            // A set the kernel or the CPU lacks fails (EINVAL, ENODEV): the kernel's own core lacks it too.
            if let Ok(n) = ptrace::get_regset(tid, set.nt, &mut buf[..set.buffer]) {
                let n = set.core_len(&buf[..n]);
                if n > 0 {
                    extra.push((set.nt, buf[..n].to_vec()));
                }
            }
        }
        if deliver != 0 && tid == pid {
            if let Ok(si) = ptrace::get_siginfo(tid) {
                siginfo = si.to_vec();
            }
        }
        let tstat = read_proc(&format!("/proc/{pid}/task/{tid}/stat"))
            .ok()
            .and_then(|b| stat::parse(&b).ok());
        let tstatus = read_proc(&format!("/proc/{pid}/task/{tid}/status"))
            .ok()
            .and_then(|b| status::parse(&b).ok())
            .unwrap_or_default();
        // fill_prstatus(): the main thread carries the whole process's times.
        let times = if tid == pid {
            whole.as_ref()
        } else {
            tstat.as_ref()
        };
        out.push(ThreadState {
            tid,
            signal: deliver,
            sigpend: sigset(tstatus.sig_pnd.as_ref()),
            sighold: sigset(tstatus.sig_blk.as_ref()),
            utime_us: times.map_or(0, |s| micros(s.utime, hz)),
            stime_us: times.map_or(0, |s| micros(s.stime, hz)),
            gregs,
            fpregs,
            extra,
        });
    }
    Ok((out, siginfo, warnings))
}

/// `PF_R | PF_W | PF_X` from `rwxp`.
fn pflags(perms: &str) -> u32 {
    let b = perms.as_bytes();
    let mut f = 0;
    if b.first() == Some(&b'r') {
        f |= super::notes::PF_R;
    }
    if b.get(1) == Some(&b'w') {
        f |= super::notes::PF_W;
    }
    if b.get(2) == Some(&b'x') {
        f |= super::notes::PF_X;
    }
    f
}

/// The mappings, as smaps shows them (maps when smaps cannot be read: then "written to" is unknown and
/// every writable private file mapping counts as written).
fn read_mappings(pid: i32) -> crate::Result<Vec<(MapLine, SmapsSizes)>> {
    match read_proc(&format!("/proc/{pid}/smaps")) {
        Ok(b) => Ok(maps::parse_smaps(&b).0),
        Err(_) => {
            let b = read_proc(&format!("/proc/{pid}/maps")).map_err(|e| {
                process_error("EIO", format!("/proc/{pid}/maps: {}", errno_name(e)))
            })?;
            Ok(maps::parse(&b)
                .0
                .into_iter()
                .map(|map| (map, SmapsSizes::default()))
                .collect())
        }
    }
}

/// Most memory held while the process is stopped: the rest is written as it is read.
const MAX_HELD: u64 = 2 << 30;

/// Most memory to prepare before the stop: a quarter of the host's available memory, within
/// [`MAX_HELD`].
fn budget() -> u64 {
    let available = read_proc("/proc/meminfo")
        .ok()
        .and_then(|m| {
            crate::formats::linux::lines_of(&m)
                .find_map(|l| l.strip_prefix(b"MemAvailable:"))
                .and_then(|v| {
                    std::str::from_utf8(v)
                        .ok()?
                        .split_whitespace()
                        .next()?
                        .parse::<u64>()
                        .ok()
                })
        })
        .map_or(0, |k| k.saturating_mul(1024));
    (available / 4).min(MAX_HELD)
}

/// Transparent huge pages: the size the held memory is aligned to, so that the kernel can give it in
/// 2 MiB pages.
const HUGE: usize = 2 << 20;

/// The memory the process's memory is held in: `len` bytes from `skip` in `map` (aligned to [`HUGE`]).
struct HeldMemory {
    map: memmap2::MmapMut,
    skip: usize,
    len: usize,
}

impl HeldMemory {
    fn memory(&mut self) -> &mut [u8] {
        &mut self.map[self.skip..self.skip + self.len]
    }
}

/// Whether to ask for huge pages (`MADV_HUGEPAGE`), and if not why: only where the kernel gives them
/// to memory that asks (transparent huge pages `always` or `madvise`) without making them on the spot
/// (`defrag` `defer` or `never`: a huge page when a free 2 MiB block is there, small pages otherwise).
/// With `defrag` `always`, `madvise` or `defer+madvise` a fault in memory that asked waits while the
/// kernel reclaims and compacts memory to make a 2 MiB block, which on a host whose memory is filled
/// with page cache took 6 to 30 ms a MiB, ten to forty times the cost of clearing 4 KiB pages.
fn huge_pages() -> Result<(), &'static str> {
    let sys = |f: &str| {
        std::fs::read_to_string(format!("/sys/kernel/mm/transparent_hugepage/{f}"))
            .unwrap_or_default()
    };
    let enabled = sys("enabled");
    if !(enabled.contains("[always]") || enabled.contains("[madvise]")) {
        return Err("transparent huge pages are off");
    }
    let defrag = sys("defrag");
    if defrag.contains("[defer]") || defrag.contains("[never]") {
        Ok(())
    } else {
        Err("transparent huge pages would be made by reclaim and compaction on the spot (defrag)")
    }
}

/// Memory to hold the process's memory in, given by the kernel now (before the stop: copying into it
/// then costs no page fault): as much as the process's resident and swapped memory, within [`budget`].
/// One anonymous mapping, page-aligned (for `O_DIRECT`), its pages given by `MADV_POPULATE_WRITE` on
/// every CPU at once (by touching each page on kernels before 5.14). Where [`huge_pages`] allows, it is
/// aligned to 2 MiB and asks for transparent huge pages (`MADV_HUGEPAGE`): the kernel then gives free
/// 2 MiB blocks, 512 faults a gigabyte instead of 262,144 (0.43 s instead of 0.83 s for a GiB on one
/// CPU, measured). `None` when the process has no memory to speak of or the mapping cannot be made.
fn buffers(before: &Before) -> Option<HeldMemory> {
    let kib = |v: Option<u64>| v.unwrap_or(0).saturating_mul(1024);
    let wanted = kib(before.status.vm_rss).saturating_add(kib(before.status.vm_swap));
    let len = wanted.min(budget()).div_ceil(writer::CHUNK as u64) * writer::CHUNK as u64;
    let len = usize::try_from(len).ok().filter(|l| *l > 0)?;
    let huge = huge_pages();
    // Room to align the start to HUGE: at most HUGE - 4096 bytes more of address space, never touched.
    let room = if huge.is_ok() {
        len.checked_add(HUGE)?
    } else {
        len
    };
    let mut map = memmap2::MmapOptions::new().len(room).map_anon().ok()?;
    let skip = if huge.is_ok() {
        (HUGE - map.as_ptr() as usize % HUGE) % HUGE
    } else {
        0
    };
    let huge = huge.and_then(|()| {
        map.advise_range(memmap2::Advice::HugePage, skip, len)
            .map_err(|_| "MADV_HUGEPAGE refused")
    });
    super::trace(format_args!(
        "held memory: {} MiB, {}",
        len >> 20,
        match huge {
            Ok(()) => "transparent huge pages asked (MADV_HUGEPAGE)".to_string(),
            Err(why) => format!("4 KiB pages: {why}"),
        }
    ));
    let threads = parallelism();
    let share = len.div_ceil(threads).div_ceil(writer::CHUNK) * writer::CHUNK;
    let given = std::thread::scope(|s| {
        let map = &map;
        let handles: Vec<_> = (0..len)
            .step_by(share)
            .map(|off| {
                s.spawn(move || {
                    map.advise_range(
                        memmap2::Advice::PopulateWrite,
                        skip + off,
                        share.min(len - off),
                    )
                    .is_ok()
                })
            })
            .collect();
        handles.into_iter().all(|h| h.join().unwrap_or(false))
    });
    if !given {
        std::thread::scope(|s| {
            for piece in map[skip..skip + len].chunks_mut(share) {
                s.spawn(move || {
                    for p in piece.iter_mut().step_by(4096) {
                        *p = 1;
                    }
                    std::hint::black_box(piece);
                });
            }
        });
    }
    if super::tracing() {
        // Only when tracing: reading smaps_rollup walks procsift's page table.
        super::trace(format_args!(
            "held memory given; procsift's AnonHugePages: {}",
            read_proc("/proc/self/smaps_rollup")
                .ok()
                .and_then(|b| {
                    crate::formats::linux::lines_of(&b)
                        .find_map(|l| l.strip_prefix(b"AnonHugePages:"))
                        .map(|v| String::from_utf8_lossy(v.trim_ascii()).into_owned())
                })
                .unwrap_or_else(|| "?".into())
        ));
    }
    Some(HeldMemory { map, skip, len })
}

/// `file` opened again for writing with `O_DIRECT` (through `/proc/self/fd`): large writes of whole
/// pages go from procsift's memory to the disk without being copied into the page cache (which would
/// have to be allocated, then written back, page by page). `None` where the file system refuses.
fn reopen_unbuffered(file: &File) -> Option<File> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    File::options()
        .write(true)
        .custom_flags(rustix::fs::OFlags::DIRECT.bits() as i32)
        .open(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .ok()
}

/// The writing threads asked for by `PROCSIFT_GCORE_WRITERS` (for comparisons; see the README's gcore
/// benchmark): `direct` for one thread writing past the page cache (`O_DIRECT`), `page-cache` for one
/// through it; unset (or anything else): both at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WritersAsked {
    Direct,
    PageCache,
}

fn writers_asked() -> Option<WritersAsked> {
    match std::env::var_os("PROCSIFT_GCORE_WRITERS")?.to_str()? {
        "direct" => Some(WritersAsked::Direct),
        "page-cache" => Some(WritersAsked::PageCache),
        _ => None,
    }
}

/// Threads for giving pages and reading memory: the CPUs procsift may use, at most 4.
fn parallelism() -> usize {
    // Asked once: the answer reads cgroup files.
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)))
}

/// Which of `npages` pages at `addr` may hold data (present or swapped), by `/proc/PID/pagemap`; `None`
/// when it cannot be read.
fn resident(
    pagemap: &File,
    page: u64,
    addr: u64,
    npages: usize,
    entries: &mut Vec<u8>,
) -> Option<Vec<bool>> {
    entries.resize(npages.checked_mul(8)?, 0);
    let at = (addr / page).checked_mul(8)?;
    let mut got = 0;
    while got < entries.len() {
        match pagemap.read_at(&mut entries[got..], at + got as u64) {
            Ok(0) => return None,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(
        entries
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                may_hold_data(u64::from_ne_bytes(b))
            })
            .collect(),
    )
}

/// Dumps `pid` into `file`.
pub(super) fn dump(pid: i32, file: &File, opts: &Options) -> crate::Result<Summary> {
    let arch = arch::HOST.ok_or_else(|| {
        process_error(
            "ENOSYS",
            format!(
                "gcore dumps processes on x86_64 and aarch64 only, not on {}",
                std::env::consts::ARCH
            ),
        )
    })?;
    let before = look(pid, opts)?;
    let catch = ptrace::catch_termination()
        .map_err(|e| process_error("EIO", format!("sigaction: {}", errno_name(e))))?;
    // The tracing happens on a thread of its own: only it may use the tracee, and when it ends, however
    // it ends, the kernel lets go of whatever it still traces.
    let result = std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("gcore".into())
            .spawn_scoped(s, || dump_stopped(pid, file, opts, &before, arch))
            .map_err(|e| crate::Error::io("gcore thread", e))?
            .join()
            .unwrap_or_else(|_| Err(process_error("EIO", "the dump failed unexpectedly")))
    });
    let caught = ptrace::caught();
    drop(catch);
    match (result, caught) {
        (_, Some(sig)) => Err(crate::Error::Interrupted(sig)),
        (r, None) => r,
    }
}

fn dump_stopped(
    pid: i32,
    file: &File,
    opts: &Options,
    before: &Before,
    arch: &Arch,
) -> crate::Result<Summary> {
    let page = rustix::param::page_size();
    let hz = rustix::param::clock_ticks_per_second();
    let mut tracee = Tracee {
        pid,
        threads: BTreeMap::new(),
        since: None,
    };
    tracee.seize_main(before)?;
    // --brief-stop: memory for the process's memory, given now: while the process is stopped, its
    // memory is copied into it without a page fault, and written to the file only after it was let go.
    // Otherwise a few buffers, touched now, that a second thread writes to the file from while the
    // next are read.
    let mut pool = if opts.brief_stop {
        super::trace(format_args!(
            "seized; giving memory to hold the process's in"
        ));
        buffers(before)
    } else {
        None
    };
    let mut writer = Writer::new(file, page as u64, opts.max_size);
    if opts.brief_stop {
        if let Some(held) = pool.as_mut() {
            writer.hold_in(held.memory());
        }
        // The held memory goes to the file past the page cache (O_DIRECT), when the file system takes
        // it.
        if let Some(unbuffered) = reopen_unbuffered(file) {
            writer.unbuffered(unbuffered);
        }
    } else {
        // Two writing threads, one past the page cache (O_DIRECT) and one through it, taking chunks
        // from the same queue: the disk takes what it can, the page cache the rest. Either alone stalls
        // on the benchmark host at times (the disk at 1.2-1.7 GB/s, the page cache from 4 GB/s down to
        // 80 MB/s when its memory is faulted in again from the virtual machine's host: see the README's
        // gcore benchmark). Where the file system refuses O_DIRECT: the page cache alone.
        let writers = match (reopen_unbuffered(file), writers_asked()) {
            (None, _) => writer::Writers::PageCache,
            (Some(_), Some(WritersAsked::PageCache)) => writer::Writers::PageCache,
            (Some(d), Some(WritersAsked::Direct)) => writer::Writers::Direct(d),
            (Some(direct), None) => writer::Writers::Dual {
                direct,
                buffered: file
                    .try_clone()
                    .map_err(|e| crate::Error::io("core file", e))?,
            },
        };
        let how = match &writers {
            writer::Writers::PageCache => "one writing thread, page cache",
            writer::Writers::Direct(_) => "one writing thread, O_DIRECT",
            writer::Writers::Dual { .. } => "two writing threads, O_DIRECT and page cache",
        };
        writer.pipelined(writers)?;
        super::trace(format_args!("seized; {how}"));
    }
    tracee.stop_all(opts.stop_timeout)?;
    super::trace(format_args!("stopped"));
    let job_stop = tracee
        .threads
        .values()
        .any(|h| matches!(h, Held::Stopped { job_stop: true, .. }))
        || before.stat.state == b'T';
    let stopped = read_while_stopped(&tracee, before, opts, page, hz, arch)?;
    super::trace(format_args!("registers and mappings read"));
    let until = Instant::now() + opts.hold;
    while Instant::now() < until {
        if let Some(sig) = ptrace::caught() {
            return Err(crate::Error::Interrupted(sig));
        }
        if tracee.gone() {
            return Err(process_error(
                "ESRCH",
                format!("{pid} exited during the dump (killed?); nothing was written"),
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let (segments, order) = plan(
        &stopped.1,
        &stopped.0.threads,
        before.filter.0,
        opts.all,
        arch,
    );
    {
        let mut mem = LiveMemory {
            pid,
            page,
            mem: None,
            pagemap: File::open(format!("/proc/{pid}/pagemap")).ok(),
            entries: Vec::new(),
            absent_is_zero: false,
            tracee: &tracee,
            last_look: None,
        };
        for i in order {
            writer.segment(&segments[i], &mut mem)?;
        }
        mem.check()?;
    }
    let time = tracee
        .since
        .map(|(_, t)| t)
        .unwrap_or_else(SystemTime::now)
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    super::trace(format_args!("memory read"));
    let (held_for, problems) = tracee.release();
    super::trace(format_args!("released"));
    if let Some(sig) = ptrace::caught() {
        return Err(crate::Error::Interrupted(sig));
    }
    let Stopped {
        threads,
        process,
        mut warnings,
    } = stopped.0;
    warnings.extend(problems);
    let facts = DumpFacts {
        filter: before.filter.0,
        all: opts.all,
        was_stopped: job_stop,
        stopped_ns: u64::try_from(held_for.as_nanos()).unwrap_or(u64::MAX),
        time: (
            i64::try_from(time.as_secs()).unwrap_or(i64::MAX),
            time.subsec_nanos(),
        ),
        max_size: opts.max_size.unwrap_or(0),
    };
    let written = writer.finish(arch.machine, &threads, &process, &facts)?;
    super::trace(format_args!(
        "written: {} MiB of data",
        written.data_bytes >> 20
    ));
    let unreadable: Vec<_> = written
        .missing
        .iter()
        .filter_map(|m| match m.why {
            Missing::Unreadable(e) => Some((m, e)),
            Missing::OverMaxSize => None,
        })
        .collect();
    for (m, e) in unreadable.iter().take(20) {
        warnings.push(format!(
            "{:#x}-{:#x} could not be read ({}): the core has no bytes there (recorded in its PROCSIFT \
             note)",
            m.start,
            m.end,
            errno_name(Errno::from_raw_os_error(*e))
        ));
    }
    if unreadable.len() > 20 {
        warnings.push(format!(
            "... and {} more unreadable ranges (all in the core's PROCSIFT note)",
            unreadable.len() - 20
        ));
    }
    let capped: u64 = written
        .missing
        .iter()
        .filter(|m| m.why == Missing::OverMaxSize)
        .map(|m| m.end - m.start)
        .sum();
    if capped > 0 {
        warnings.push(format!(
            "--max-size reached: {} of memory left out (the ranges are in the core's PROCSIFT note)",
            human_size(capped)
        ));
    }
    Ok(Summary {
        pid,
        comm: before.stat.comm.clone(),
        threads: threads.len(),
        written,
        stopped: held_for,
        filter: before.filter.clone(),
        was_stopped: job_stop,
        warnings,
        output: None,
    })
}

/// Everything the notes need, and the mappings, read while the process is stopped.
fn read_while_stopped(
    tracee: &Tracee,
    before: &Before,
    _opts: &Options,
    page: usize,
    hz: u64,
    arch: &Arch,
) -> crate::Result<(Stopped, Vec<(MapLine, SmapsSizes)>)> {
    let pid = tracee.pid;
    let (threads, siginfo, warnings) = read_threads(tracee, before, hz, arch)?;
    let mappings = read_mappings(pid)?;
    let auxv = read_proc(&format!("/proc/{pid}/auxv")).unwrap_or_default();
    let files = mappings
        .iter()
        .filter_map(|(m, _)| {
            let path = m.path.as_deref()?;
            path.starts_with(b"/").then(|| FileMapping {
                start: m.start,
                end: m.end,
                offset: m.offset,
                path: unescape_path(path),
            })
        })
        .collect();
    let st = &before.stat;
    let process = ProcessState {
        pid,
        ppid: st.ppid,
        pgrp: st.pgrp,
        sid: st.session,
        uid: before.status.uid.map_or(0, |u| u[0]),
        gid: before.status.gid.map_or(0, |g| g[0]),
        state: st.state,
        nice: i8::try_from(st.nice).unwrap_or(0),
        flags: st.flags,
        comm: st.comm.clone(),
        args: before.cmdline.iter().copied().take(80).collect(),
        cutime_us: micros(u64::try_from(st.cutime).unwrap_or(0), hz),
        cstime_us: micros(u64::try_from(st.cstime).unwrap_or(0), hz),
        siginfo,
        auxv,
        files,
        page_size: page as u64,
    };
    Ok((
        Stopped {
            threads,
            process,
            warnings,
        },
        mappings,
    ))
}

/// Pages of a mapping that may be neither resident nor swapped while its pagemap is still not read: at
/// most one in this many.
const FEW_ABSENT: u64 = 64;

/// True when smaps counts (almost) every page of `map` resident or swapped: `Rss` + `Swap` (KiB) fall
/// short of its size by at most one page in [`FEW_ABSENT`]. Its pagemap is then not read: for a
/// gigabyte of heap that took 14 to 22 ms of the stop on the benchmark host, while the few absent pages
/// cost a read each (they read as zeros: the kernel maps its zero page there, no memory is allocated;
/// gdb reads every page so). Not for a mapping registered with userfaultfd (`VmFlags` `um`, `uw`, `ui`):
/// a read of an absent page there waits for its handler, which is stopped with the process.
fn mostly_present(map: &MapLine, sizes: &SmapsSizes) -> bool {
    if [b"um", b"uw", b"ui"].iter().any(|f| sizes.has_flag(f)) {
        return false;
    }
    let size = map.end.saturating_sub(map.start);
    let present = sizes
        .rss
        .and_then(|r| r.checked_add(sizes.swap.unwrap_or(0)))
        .and_then(|kib| kib.checked_mul(1024));
    present.is_some_and(|p| size.saturating_sub(p) <= size / FEW_ABSENT)
}

/// The segments in address order, and the order to write them in: the mappings holding a thread's
/// stack pointer first (so `--max-size` keeps what a backtrace needs), then the others by address.
fn plan(
    mappings: &[(MapLine, SmapsSizes)],
    threads: &[ThreadState],
    filter_bits: u32,
    all: bool,
    arch: &Arch,
) -> (Vec<Segment>, Vec<usize>) {
    let sps: Vec<u64> = threads.iter().filter_map(|t| arch.sp(&t.gregs)).collect();
    let mut segments = Vec::with_capacity(mappings.len());
    for (map, sizes) in mappings {
        if map.end <= map.start {
            continue;
        }
        let fm = filter::Mapping {
            perms: &map.perms,
            offset: map.offset,
            path: map.path.as_deref(),
            anonymous_kib: sizes.anonymous,
            vm_flags: &sizes.vm_flags,
        };
        let want = match filter::decide(&fm, filter_bits, all) {
            Decision::Whole => Want::Whole,
            Decision::ElfHeader => Want::ElfHeader,
            Decision::Skip(_) => Want::Nothing,
        };
        segments.push(Segment {
            start: map.start,
            end: map.end,
            flags: pflags(&map.perms),
            want,
            absent_is_zero: fm.absent_is_zero(),
            untouched: sizes.rss == Some(0) && sizes.swap.unwrap_or(0) == 0,
            mostly_present: mostly_present(map, sizes),
        });
    }
    segments.sort_by_key(|s| s.start);
    let mut order: Vec<usize> = (0..segments.len()).collect();
    order.sort_by_key(|&i| {
        let s = &segments[i];
        let stack = sps.iter().any(|sp| s.start <= *sp && *sp < s.end);
        (!stack, s.start)
    });
    (segments, order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_unescaped() {
        assert_eq!(
            unescape_path(b"/tmp/a\\012b (deleted)"),
            b"/tmp/a\nb (deleted)"
        );
        assert_eq!(unescape_path(b"/x\\01"), b"/x\\01");
    }

    #[test]
    fn pagemap_skipped_only_when_few_pages_are_absent() {
        // A 256 KiB heap (64 pages): smaps sizes are in KiB.
        let map =
            maps::parse_line(b"55d0c0000000-55d0c0040000 rw-p 00000000 00:00 0 [heap]").unwrap();
        let sizes = |rss: Option<u64>, swap: Option<u64>| SmapsSizes {
            rss,
            swap,
            ..SmapsSizes::default()
        };
        assert!(mostly_present(&map, &sizes(Some(256), Some(0))));
        assert!(mostly_present(&map, &sizes(Some(240), Some(16))));
        assert!(mostly_present(&map, &sizes(Some(256), None)));
        // One page of 64 absent: still read whole; two: the pagemap is asked.
        assert!(mostly_present(&map, &sizes(Some(252), Some(0))));
        assert!(!mostly_present(&map, &sizes(Some(248), Some(0))));
        // Unknown (smaps unreadable, only maps): asked too.
        assert!(!mostly_present(&map, &sizes(None, None)));
        // Sizes that overflow are not taken for "all there".
        assert!(!mostly_present(&map, &sizes(Some(u64::MAX), Some(1))));
        // Registered with userfaultfd: never, however resident.
        let mut uffd = sizes(Some(256), Some(0));
        uffd.vm_flags = vec![*b"rd", *b"wr", *b"um"];
        assert!(!mostly_present(&map, &uffd));
    }

    #[test]
    fn pagemap_entries() {
        assert!(may_hold_data(PM_PRESENT | 0x1234));
        assert!(may_hold_data(PM_SWAPPED));
        assert!(!may_hold_data(0));
        // A guard region, as Linux 6.18 shows one: swapped and guard.
        assert!(!may_hold_data(PM_SWAPPED | PM_GUARD_REGION));
    }

    #[test]
    fn ticks() {
        assert_eq!(micros(250, 100), 2_500_000);
    }
}
