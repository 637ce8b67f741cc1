//! `procsift gcore`: a core file of a live process, without gdb, in the standard Linux format that gdb,
//! eu-stack, readelf and procsift read.
//!
//! The pieces:
//! * the OS side (Linux, x86_64 and aarch64; `live`, through `crate::os::ptrace`): seize every thread
//!   (`PTRACE_SEIZE` + `PTRACE_INTERRUPT`: stopped without a signal), read each thread's register sets
//!   (`PTRACE_GETREGSET`), the mappings (`/proc/PID/smaps`) and their memory (process_vm_readv(2), else
//!   `/proc/PID/mem`), handing each chunk to two writing threads (one writing past the page cache,
//!   one through it) while the next is read, then detach, so the process goes on as before;
//! * [`arch`]: each architecture's register sets and where its stack pointer is;
//! * [`filter`]: which mappings to dump, by the kernel's `coredump_filter` rules;
//! * [`writer`]: the ELF file, from what the OS side read; [`notes`]: the structures it writes.
//!
//! The process is never left stopped: every path out of the dump detaches (a drop guard), SIGINT,
//! SIGTERM, SIGHUP and SIGQUIT are caught while it is stopped and end the dump the same way, and should
//! procsift die anyway the kernel detaches its tracees itself. The core is written to `<out>.tmp` and
//! renamed when complete: a failed dump leaves no file at the output name.

pub mod arch;
pub mod filter;
#[cfg(target_os = "linux")]
mod live;
pub mod notes;
pub mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Whether `PROCSIFT_GCORE_TRACE` is set (to anything): then each phase of a dump is written to stderr
/// with the time since the dump began ([`trace`]), what a benchmark of `gcore` measures phase by phase.
#[cfg(target_os = "linux")]
pub(crate) fn tracing() -> bool {
    trace_start().is_some()
}

fn trace_start() -> Option<std::time::Instant> {
    static ON: std::sync::OnceLock<Option<std::time::Instant>> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PROCSIFT_GCORE_TRACE").map(|_| std::time::Instant::now()))
}

/// Writes one phase of a dump to stderr when [`tracing`].
pub(crate) fn trace(what: std::fmt::Arguments<'_>) {
    if let Some(t0) = trace_start() {
        eprintln!(
            "gcore trace: {:8.1} ms  {what}",
            t0.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// How to dump.
#[derive(Clone, Debug)]
pub struct Options {
    /// `coredump_filter` bits to apply (`--filter`); `None`: the process's own
    /// `/proc/PID/coredump_filter`, as the kernel would.
    pub filter: Option<u32>,
    /// Every readable mapping, whatever the filter (`--all`).
    pub all: bool,
    /// Most bytes the segment data may reach in the file (`--max-size`).
    pub max_size: Option<u64>,
    /// How long to wait for a thread to stop (a thread in uninterruptible sleep does not).
    pub stop_timeout: Duration,
    /// For tests: keep the process stopped this long after its registers are read, before its memory is
    /// (so a test can kill it, or interrupt procsift, mid-dump).
    pub hold: Duration,
    /// [`gcore_to_path`] waits for the core to reach the disk before renaming it (fsync, `--sync`), so
    /// that a host powered off right after the dump keeps it; `false` (default) leaves that to the
    /// kernel's writeback, as gdb and the kernel's own cores do.
    pub sync: bool,
    /// `--brief-stop`: copy the memory into memory of procsift's own while the process is stopped, let
    /// it go, then write (a shorter stop, a longer dump); otherwise the process stays stopped while its
    /// memory is read and written, reading and writing on two threads at once.
    pub brief_stop: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            filter: None,
            all: false,
            max_size: None,
            stop_timeout: Duration::from_secs(10),
            hold: Duration::ZERO,
            sync: false,
            brief_stop: false,
        }
    }
}

/// Where the filter came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterSource {
    /// The process's `/proc/PID/coredump_filter`.
    Process,
    /// `--filter`.
    Option,
    /// The kernel's default, because the process's could not be read (why).
    Default(String),
}

/// What a dump did.
#[derive(Clone, Debug)]
pub struct Summary {
    /// The process.
    pub pid: i32,
    /// Its command name.
    pub comm: Vec<u8>,
    /// Threads dumped.
    pub threads: usize,
    /// What the file holds.
    pub written: writer::Written,
    /// How long the process was stopped.
    pub stopped: Duration,
    /// The filter applied and where it came from.
    pub filter: (u32, FilterSource),
    /// The process was in a job-control stop already (and was left so).
    pub was_stopped: bool,
    /// Things the user should know (ranges that could not be read, `--max-size` reached, ...).
    pub warnings: Vec<String>,
    /// The file written, for [`gcore_to_path`].
    pub output: Option<PathBuf>,
}

/// Dumps process `pid` into `file` (empty, open for writing; it is not renamed or removed here).
pub fn gcore_to_file(pid: i32, file: &File, opts: &Options) -> crate::Result<Summary> {
    #[cfg(target_os = "linux")]
    {
        live::dump(pid, file, opts)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (pid, file, opts);
        Err(crate::Error::Usage(
            "gcore is implemented for Linux only (ptrace and /proc); procsift reads cores of every \
             system it knows"
                .into(),
        ))
    }
}

/// The temporary name a core is written under: `<out>.tmp`.
pub fn temporary_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// Dumps process `pid` into `out`, through `<out>.tmp` renamed when complete; refuses to replace an
/// existing file (evidence is never overwritten).
pub fn gcore_to_path(pid: i32, out: &Path, opts: &Options) -> crate::Result<Summary> {
    if out.symlink_metadata().is_ok() {
        return Err(crate::Error::io(
            out,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "output file already exists",
            ),
        ));
    }
    let tmp = temporary_path(out);
    let file = create_private(&tmp)?;
    let guard = RemoveOnDrop(Some(tmp.clone()));
    trace(format_args!("start"));
    let mut summary = gcore_to_file(pid, &file, opts)?;
    if opts.sync {
        file.sync_all().map_err(|e| crate::Error::io(&tmp, e))?;
        trace(format_args!("fsync done"));
    }
    drop(file);
    rename_no_replace(&tmp, out).map_err(|e| crate::Error::io(out, e))?;
    std::mem::forget(guard);
    summary.output = Some(out.to_path_buf());
    Ok(summary)
}

/// Creates `path`, which must not exist, for reading and writing, readable by its owner only (0600, as
/// the kernel writes cores, whatever the umask): a core holds the process's memory, keys and passwords
/// included.
pub fn create_private(path: &Path) -> crate::Result<File> {
    crate::os::create_private(path).map_err(|e| crate::Error::io(path, e))
}

/// Removes a temporary file unless forgotten.
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE).map_err(std::io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    if to.symlink_metadata().is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "output file already exists",
        ));
    }
    std::fs::rename(from, to)
}

/// `1.5 GiB`-style sizes for messages.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

/// Parses a size: a number of bytes with an optional `K`, `M`, `G` or `T` suffix (powers of 1024; `KiB`,
/// `MB` and friends are read the same).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().ok()?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("512MiB"), Some(512 << 20));
        assert_eq!(parse_size("1x"), None);
        assert_eq!(parse_size("99999999999T"), None);
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(12), "12 bytes");
    }
}
