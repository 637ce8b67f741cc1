//! SIGTERM and SIGINT for a long-running capture, its own priority, and its cost: the calls rustix does not
//! wrap (`sigaction`, `ioprio_set`, `getrusage`), through libc.
//!
//! The signal handler only stores to atomics and writes one byte to a pipe (both async-signal-safe): the
//! first signal asks the loop to stop after the capture in progress ([`stop_requested`]), the second to drop
//! that capture at once ([`CANCEL`], which the capture checks at every member). [`wait`] sleeps until a
//! deadline or a signal, whichever comes first, by polling the pipe.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Signals received since [`install`].
static RECEIVED: AtomicU32 = AtomicU32::new(0);
/// The last signal received.
static LAST: AtomicI32 = AtomicI32::new(0);
/// Write end of the self-pipe (-1 before [`install`]).
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);
/// Read end of the self-pipe.
static PIPE_READ: AtomicI32 = AtomicI32::new(-1);

/// Set by the second SIGTERM/SIGINT: the capture in progress is to be dropped now (see
/// [`crate::capture::CaptureOptions::cancel`]).
pub static CANCEL: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int) {
    LAST.store(sig, Ordering::SeqCst);
    if RECEIVED.fetch_add(1, Ordering::SeqCst) >= 1 {
        CANCEL.store(true, Ordering::SeqCst);
    }
    let fd = PIPE_WRITE.load(Ordering::SeqCst);
    if fd >= 0 {
        let b = 1u8;
        // SAFETY: write(2) on a non-blocking pipe is async-signal-safe; the buffer is a local byte. A full
        // pipe (EAGAIN) loses nothing: one byte already wakes the reader.
        unsafe {
            libc::write(fd, (&b as *const u8).cast(), 1);
        }
    }
}

/// Installs the handler for SIGTERM and SIGINT (once per process).
pub fn install() -> std::io::Result<()> {
    if PIPE_WRITE.load(Ordering::SeqCst) >= 0 {
        return Ok(());
    }
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe(2) to fill.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    for fd in fds {
        // SAFETY: plain fcntl(2) flag changes on descriptors this function just created.
        unsafe {
            let fl = libc::fcntl(fd, libc::F_GETFL);
            libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
    PIPE_READ.store(fds[0], Ordering::SeqCst);
    PIPE_WRITE.store(fds[1], Ordering::SeqCst);
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: a zeroed sigaction is a valid starting point; the handler is an `extern "C" fn(c_int)`
        // that only touches atomics and write(2); SA_RESTART keeps the capture's own reads from failing
        // with EINTR.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(sig, &sa, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// True once SIGTERM or SIGINT was received.
pub fn stop_requested() -> bool {
    RECEIVED.load(Ordering::SeqCst) > 0
}

/// The name of the last signal received (`SIGTERM`), if any.
pub fn last_signal() -> Option<&'static str> {
    match LAST.load(Ordering::SeqCst) {
        libc::SIGTERM => Some("SIGTERM"),
        libc::SIGINT => Some("SIGINT"),
        _ => None,
    }
}

/// Sleeps until `deadline` or until a signal arrives. Returns true when a stop was requested.
pub fn wait(deadline: Instant) -> bool {
    let fd = PIPE_READ.load(Ordering::SeqCst);
    loop {
        if stop_requested() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        let left = deadline - now;
        if fd < 0 {
            std::thread::sleep(left.min(Duration::from_millis(200)));
            continue;
        }
        let ms = libc::c_int::try_from(left.as_millis().saturating_add(1)).unwrap_or(i32::MAX);
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd; the timeout is bounded.
        let n = unsafe { libc::poll(&mut p, 1, ms) };
        if n > 0 {
            let mut buf = [0u8; 16];
            // SAFETY: reading into a local buffer of the length given, from our non-blocking pipe.
            unsafe {
                libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
            }
        }
    }
}

/// Lowers this thread's CPU priority to `nice` and, on Linux, its I/O class to idle; threads created
/// afterwards (the capture's workers) inherit both. Returns what could not be done, in words.
pub fn lower_priority(nice: i32) -> Vec<String> {
    let mut failed = Vec::new();
    if let Err(e) = rustix::process::setpriority_process(None, nice) {
        failed.push(format!("setpriority({nice}): {e}"));
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        const IOPRIO_WHO_PROCESS: libc::c_long = 1;
        const IOPRIO_CLASS_IDLE: libc::c_long = 3;
        const IOPRIO_CLASS_SHIFT: libc::c_long = 13;
        // SAFETY: ioprio_set(2) takes three integers; pid 0 is the calling thread.
        let r = unsafe {
            libc::syscall(
                libc::SYS_ioprio_set,
                IOPRIO_WHO_PROCESS,
                0 as libc::c_long,
                IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT,
            )
        };
        if r != 0 {
            failed.push(format!(
                "ioprio_set(idle): {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    failed
}

/// CPU seconds (user, system) this process has used so far, all threads (getrusage `RUSAGE_SELF`).
pub fn cpu_seconds() -> Option<(f64, f64)> {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return None;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some((secs(ru.ru_utime), secs(ru.ru_stime)))
}
