//! The system calls of `procsift gcore` (Linux): ptrace(2) to stop each thread and read its registers,
//! process_vm_readv(2) to copy memory, and a handler for the signals that would end procsift mid-dump.
//!
//! rustix wraps none of ptrace, process_vm_readv or sigaction, so these go through the `libc` crate; each
//! `unsafe` block is one call whose pointers point into a live Rust buffer of the stated length. waitpid
//! goes through rustix.
//!
//! Tracing is per thread of procsift: the thread that seized a task is its tracer, and only that thread may
//! interrupt, read, wait for or detach it. When the tracer thread (or procsift) ends, the kernel detaches
//! every task it traced and lets it run (`exit_ptrace()`), so a task is never left stopped by a procsift
//! that died.

use std::sync::atomic::{AtomicI32, Ordering};

use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions};

/// A thread id (a task of the target, `/proc/PID/task/TID`).
pub type Tid = i32;

/// `__WALL` (`include/uapi/linux/wait.h`): wait for every child kind, threads of a traced process included.
const WALL: u32 = 0x4000_0000;
/// `WNOHANG`.
const WNOHANG: u32 = 1;

/// `PTRACE_EVENT_STOP` (`include/uapi/linux/ptrace.h`): the stop of a seized task after
/// `PTRACE_INTERRUPT`, or a group-stop, reported as `status >> 16`.
pub const PTRACE_EVENT_STOP: u32 = 128;

/// `sizeof(siginfo_t)` (`include/uapi/asm-generic/siginfo.h`: `SI_MAX_SIZE`).
pub const SIGINFO_SIZE: usize = 128;

fn errno() -> Errno {
    Errno::from_raw_os_error(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

fn check(ret: libc::c_long) -> Result<libc::c_long, Errno> {
    if ret == -1 { Err(errno()) } else { Ok(ret) }
}

/// `PTRACE_SEIZE`: becomes `tid`'s tracer without stopping it or sending it a signal (no options).
pub fn seize(tid: Tid) -> Result<(), Errno> {
    // SAFETY: PTRACE_SEIZE takes no pointers (addr 0, data 0: no options).
    check(unsafe { libc::ptrace(libc::PTRACE_SEIZE as _, tid, 0usize, 0usize) }).map(|_| ())
}

/// `PTRACE_INTERRUPT`: asks a seized task to stop (it reports a `PTRACE_EVENT_STOP`); no signal is sent.
pub fn interrupt(tid: Tid) -> Result<(), Errno> {
    // SAFETY: no pointers.
    check(unsafe { libc::ptrace(libc::PTRACE_INTERRUPT as _, tid, 0usize, 0usize) }).map(|_| ())
}

/// `PTRACE_DETACH`: lets a stopped task go, delivering `signal` (0 for none) — the signal it was about to
/// receive when it stopped, so nothing it was sent is lost.
pub fn detach(tid: Tid, signal: i32) -> Result<(), Errno> {
    // SAFETY: data is a signal number passed by value, not a pointer.
    check(unsafe { libc::ptrace(libc::PTRACE_DETACH as _, tid, 0usize, signal as usize) })
        .map(|_| ())
}

/// `PTRACE_GETREGSET` of note type `nt` (`NT_PRSTATUS`, `NT_PRFPREG`, `NT_X86_XSTATE`, ...) into `buf`;
/// returns the regset's size (the kernel shortens the iovec to it).
pub fn get_regset(tid: Tid, nt: u32, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: `iov` points at `buf`, writable for `buf.len()` bytes; the kernel writes at most that many
    // and updates `iov.iov_len`, which lives on this stack frame for the duration of the call.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_GETREGSET as _,
            tid,
            nt as usize,
            &mut iov as *mut libc::iovec,
        )
    })?;
    Ok(iov.iov_len.min(buf.len()))
}

/// `PTRACE_GETSIGINFO`: the `siginfo_t` of the signal that stopped the task.
pub fn get_siginfo(tid: Tid) -> Result<[u8; SIGINFO_SIZE], Errno> {
    let mut buf = [0u8; SIGINFO_SIZE];
    // SAFETY: the kernel copies sizeof(siginfo_t) = 128 bytes into `buf`, which is that long.
    check(unsafe { libc::ptrace(libc::PTRACE_GETSIGINFO as _, tid, 0usize, buf.as_mut_ptr()) })?;
    Ok(buf)
}

/// process_vm_readv(2): copies up to `buf.len()` bytes at `addr` of process `pid` into `buf`; returns how
/// many were copied (fewer when a page on the way cannot be read).
pub fn read_memory(pid: i32, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as usize as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: `local` describes `buf`, writable for its length; `remote` is an address in the other
    // process, which the kernel checks (it is never dereferenced here).
    let n = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
    if n < 0 {
        Err(errno())
    } else {
        Ok(usize::try_from(n).unwrap_or(0).min(buf.len()))
    }
}

/// What waiting for a traced task found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waited {
    /// The task is stopped: `signal` (`WSTOPSIG`) and `event` (`status >> 16`: `PTRACE_EVENT_STOP` for an
    /// interrupt or group-stop, 0 for a signal-delivery-stop).
    Stopped {
        /// `WSTOPSIG(status)`.
        signal: i32,
        /// `status >> 16`.
        event: u32,
    },
    /// The task exited or was killed.
    Gone,
    /// Nothing to report yet (`WNOHANG`).
    Running,
}

/// waitpid(`tid`, `__WALL | WNOHANG`): whether the traced task has stopped or gone.
pub fn poll_stop(tid: Tid) -> Result<Waited, Errno> {
    let pid = Pid::from_raw(tid).ok_or(Errno::SRCH)?;
    match rustix::process::waitpid(Some(pid), WaitOptions::from_bits_retain(WALL | WNOHANG))? {
        None => Ok(Waited::Running),
        Some((_, status)) => {
            if let Some(sig) = status.stopping_signal() {
                Ok(Waited::Stopped {
                    signal: sig,
                    event: (status.as_raw() as u32) >> 16,
                })
            } else if status.exited() || status.signaled() {
                Ok(Waited::Gone)
            } else {
                Ok(Waited::Running)
            }
        }
    }
}

/// The signal caught by [`catch_termination`]'s handler, 0 for none.
static CAUGHT: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    CAUGHT.store(sig, Ordering::SeqCst);
}

/// The signals that end a command-line tool: SIGINT (^C), SIGTERM, SIGHUP (the terminal went away) and
/// SIGQUIT (^\).
pub const TERMINATION_SIGNALS: [i32; 4] =
    [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// While alive, SIGINT, SIGTERM, SIGHUP and SIGQUIT only record themselves ([`caught`]) instead of ending
/// procsift, so a dump in progress can detach from its target and remove its temporary file first.
/// Dropping it restores the previous dispositions.
#[derive(Debug)]
pub struct CatchTermination {
    previous: Vec<(i32, libc::sigaction)>,
}

// `libc::sigaction` holds a raw handler address; the guard only hands it back to sigaction(2).
// SAFETY: no pointer in it is dereferenced by procsift.
unsafe impl Send for CatchTermination {}

/// Installs the handler of [`CatchTermination`] and clears any signal recorded before.
pub fn catch_termination() -> Result<CatchTermination, Errno> {
    CAUGHT.store(0, Ordering::SeqCst);
    let mut previous = Vec::new();
    for sig in TERMINATION_SIGNALS {
        // SAFETY: a zeroed sigaction is a valid "default" value that the calls below overwrite.
        let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
        new.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        new.sa_flags = 0;
        // SAFETY: `sa_mask` is a field of `new`, a valid sigset_t to initialize.
        unsafe { libc::sigemptyset(&mut new.sa_mask) };
        // SAFETY: as above.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers point at live sigaction values on this frame; the handler only stores
        // into an atomic.
        if unsafe { libc::sigaction(sig, &new, &mut old) } != 0 {
            let e = errno();
            drop(CatchTermination { previous });
            return Err(e);
        }
        previous.push((sig, old));
    }
    Ok(CatchTermination { previous })
}

impl Drop for CatchTermination {
    fn drop(&mut self) {
        for (sig, old) in self.previous.drain(..).rev() {
            // SAFETY: restores the disposition sigaction(2) returned for `sig`.
            unsafe { libc::sigaction(sig, &old, std::ptr::null_mut()) };
        }
    }
}

/// The termination signal caught since [`catch_termination`], if any.
pub fn caught() -> Option<i32> {
    match CAUGHT.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Ends procsift by `signal` with its default action (after a caught signal has been handled), so the
/// parent sees the status it would have seen without the handler.
pub fn die_by(signal: i32) -> ! {
    // SAFETY: resets one disposition to SIG_DFL and sends the signal to this process; no pointers.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
    std::process::exit(128 + signal)
}
