//! `capture --output-dir DIR [--every SECS]`: captures into a tree sharded on time, one tick after another
//! on the clock, with retention, an index of hashes, a log line per tick (what it cost the host), and a
//! clean stop on SIGTERM/SIGINT.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use procsift::capture::periodic::{self, Retention, Schedule};
use procsift::capture::{self, CaptureOptions};
use procsift::time::Timestamp;
use procsift::{Error, Result};

use super::archive::{events_note, summary_line};
use super::args::CaptureArgs;
use super::output;

/// The nice value of a capture loop: below every ordinary process of the host.
const NICE: i32 = 10;

/// Runs the loop (or one capture, without `--every`).
pub fn run(a: &CaptureArgs, dir: &Path, mut opts: CaptureOptions) -> Result<ExitCode> {
    let every = match a.every {
        Some(s) if !(s.is_finite() && s >= 1.0) => {
            return Err(Error::Usage(
                "--every must be at least 1 second (archive names have a resolution of one second)"
                    .into(),
            ));
        }
        Some(s) => Some(Duration::from_secs_f64(s)),
        None => None,
    };
    if a.count == Some(0) {
        return Err(Error::Usage("--count must be at least 1".into()));
    }
    if a.keep == Some(0) {
        return Err(Error::Usage(
            "--keep must be at least 1 (the capture just taken is always kept)".into(),
        ));
    }
    let retention = Retention {
        keep: a.keep,
        keep_for: a
            .keep_for
            .as_deref()
            .map(periodic::parse_duration)
            .transpose()
            .map_err(|e| Error::Usage(format!("--keep-for: {e}")))?,
    };
    let hostname = capture::host::hostname();
    let host_dir = periodic::host_dir(dir, &hostname);
    std::fs::create_dir_all(&host_dir).map_err(|e| Error::io(&host_dir, e))?;
    let _lock = periodic::lock(&host_dir).map_err(|e| Error::io(&host_dir, e))?;
    for stale in periodic::stale_temporaries(&host_dir) {
        match std::fs::remove_file(&stale) {
            Ok(()) => output::warning(&format!(
                "{}: removed the temporary file of a capture that never finished (killed or crashed)",
                stale.display()
            )),
            Err(e) => output::warning(&format!("{}: {e}", stale.display())),
        }
    }

    #[cfg(unix)]
    {
        procsift::os::stop::install().map_err(|e| Error::io("sigaction", e))?;
        for problem in procsift::os::stop::lower_priority(NICE) {
            output::warning(&format!(
                "could not lower the capture's priority: {problem}"
            ));
        }
        opts.cancel = Some(&procsift::os::stop::CANCEL);
    }
    if every.is_some() {
        // One line per tick instead of a progress bar.
        opts.progress = false;
    }

    let count = if every.is_some() { a.count } else { Some(1) };
    let schedule = Schedule::new(Instant::now(), every.unwrap_or_default());
    let (mut tick, mut taken, mut failed, mut skipped) = (0u64, 0u64, 0u64, 0u64);
    let mut last_error = None;
    loop {
        if stop_wait(schedule.due(tick)) {
            break;
        }
        let t = Timestamp::now();
        let path = periodic::archive_path(dir, &hostname, t);
        let cost = Cost::start();
        let result = path
            .parent()
            .map_or(Ok(()), |p| {
                std::fs::create_dir_all(p).map_err(|e| Error::io(p, e))
            })
            .and_then(|()| capture::capture_to_path(&opts, &path));
        taken += 1;
        match result {
            Ok(summary) => {
                let shown = path.display().to_string();
                output::note(&format!("{}{}", summary_line(&shown, &summary), cost.end()));
                events_note(&shown, &summary);
                if let Some(sha) = &summary.sha256
                    && let Err(e) = periodic::append_index(&host_dir, t, sha, &path)
                {
                    output::error(&format!(
                        "{}: {e}",
                        periodic::index_path(&host_dir).display()
                    ));
                }
                let (deleted, errors) = periodic::prune(&host_dir, retention, t, Some(&path));
                for d in deleted {
                    output::note(&format!("{}: deleted (retention)", d.display()));
                }
                for e in errors {
                    output::error(&format!("retention: {e}"));
                }
            }
            Err(e) if interrupted(&e) => {
                output::warning(&format!(
                    "{}: capture dropped at a second {}; nothing was written there",
                    path.display(),
                    signal_name()
                ));
                break;
            }
            Err(e) => {
                failed += 1;
                output::error(&format!("capture at {}: {e}", t.rfc3339()));
                last_error = Some(e);
            }
        }
        if count.is_some_and(|n| taken >= n) || stop_requested() {
            break;
        }
        let (next, missed) = schedule.next(tick, Instant::now());
        if missed > 0 {
            skipped += missed;
            output::warning(&format!(
                "the capture took longer than --every: {missed} tick(s) skipped"
            ));
        }
        tick = next;
    }
    if every.is_none() {
        return match last_error {
            Some(e) => Err(e),
            None => Ok(ExitCode::SUCCESS),
        };
    }
    output::note(&format!(
        "{}: {taken} captures ({failed} failed), {skipped} ticks skipped{}",
        host_dir.display(),
        if stop_requested() {
            format!("; stopped by {}", signal_name())
        } else {
            String::new()
        }
    ));
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn interrupted(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::Interrupted)
}

/// Sleeps until `deadline` unless a stop is requested first; true when it was.
fn stop_wait(deadline: Instant) -> bool {
    #[cfg(unix)]
    {
        procsift::os::stop::wait(deadline)
    }
    #[cfg(not(unix))]
    {
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        false
    }
}

fn stop_requested() -> bool {
    #[cfg(unix)]
    {
        procsift::os::stop::stop_requested()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

fn signal_name() -> &'static str {
    #[cfg(unix)]
    {
        procsift::os::stop::last_signal().unwrap_or("signal")
    }
    #[cfg(not(unix))]
    {
        "signal"
    }
}

/// What one capture cost this process: CPU seconds (all threads) and bytes read and written through
/// system calls (`/proc/self/io` `rchar`/`wchar`, Linux).
struct Cost {
    cpu: Option<(f64, f64)>,
    io: Option<(u64, u64)>,
}

impl Cost {
    fn start() -> Cost {
        Cost {
            cpu: cpu(),
            io: self_io(),
        }
    }

    /// `; cpu 0.41 s (user 0.10, system 0.31), read 12.3 MB, wrote 3.1 MB`.
    fn end(&self) -> String {
        let mut s = String::new();
        if let (Some((u0, s0)), Some((u1, s1))) = (self.cpu, cpu()) {
            let (u, sy) = (u1 - u0, s1 - s0);
            s.push_str(&format!(
                "; cpu {:.2} s (user {u:.2}, system {sy:.2})",
                u + sy
            ));
        }
        if let (Some((r0, w0)), Some((r1, w1))) = (self.io, self_io()) {
            s.push_str(&format!(
                ", read {:.1} MB, wrote {:.1} MB",
                r1.saturating_sub(r0) as f64 / 1e6,
                w1.saturating_sub(w0) as f64 / 1e6
            ));
        }
        s
    }
}

fn cpu() -> Option<(f64, f64)> {
    #[cfg(unix)]
    {
        procsift::os::stop::cpu_seconds()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// `rchar` and `wchar` of `/proc/self/io`.
fn self_io() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/self/io").ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Some((field("rchar:")?, field("wchar:")?))
}
