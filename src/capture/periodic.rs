//! Periodic capture, sharded on the time axis: where each tick's archive goes, when the ticks are, what
//! retention deletes, and the index of what was written. The loop itself (signals, logging) is the
//! command line's; each tick is one ordinary [`super::capture_to_path`].
//!
//! ```text
//! DIR/<hostname>/<YYYY-MM-DD>/<HH>/<hostname>-<YYYYMMDDTHHMMSSZ>.tar    one complete, verifiable snapshot
//! DIR/<hostname>/index.tsv                                            <time> TAB <sha256> TAB <path>
//! DIR/<hostname>/.lock                                                held while a capture loop runs
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::time::Timestamp;

/// The host name as a file-name component: ASCII letters, digits, `.`, `-` and `_` kept, anything else
/// `_`; `unknown` when nothing usable is left.
pub fn safe_host(hostname: &str) -> String {
    let host: String = hostname
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if host.is_empty() || host.chars().all(|c| c == '.') {
        "unknown".to_owned()
    } else {
        host
    }
}

/// The directory of one host's captures: `DIR/<host>`.
pub fn host_dir(dir: &Path, hostname: &str) -> PathBuf {
    dir.join(safe_host(hostname))
}

/// Where the capture of `t` goes: `DIR/<host>/<YYYY-MM-DD>/<HH>/<host>-<YYYYMMDDTHHMMSSZ>.tar` (UTC).
pub fn archive_path(dir: &Path, hostname: &str, t: Timestamp) -> PathBuf {
    let host = safe_host(hostname);
    let (date, time) = t.parts();
    let hour = time.get(..2).unwrap_or("00");
    dir.join(&host)
        .join(date)
        .join(hour)
        .join(format!("{host}-{}.tar", t.compact()))
}

/// Ticks on the clock: tick `k` is due at `start + k * every`, whatever the captures before it took, so
/// the schedule never drifts; a tick whose time passed while a capture was running is skipped, never run
/// late or stacked.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    start: Instant,
    every: Duration,
}

impl Schedule {
    /// Ticks every `every`, the first at `start`.
    pub fn new(start: Instant, every: Duration) -> Schedule {
        Schedule { start, every }
    }

    /// When tick `k` is due.
    pub fn due(&self, k: u64) -> Instant {
        let offset = self
            .every
            .checked_mul(u32::try_from(k).unwrap_or(u32::MAX))
            .unwrap_or(Duration::from_secs(u64::from(u32::MAX)));
        self.start + offset
    }

    /// The first tick after `done` that is not yet due at `now`, and how many ticks in between were
    /// missed (their time passed while tick `done` ran).
    pub fn next(&self, done: u64, now: Instant) -> (u64, u64) {
        let mut k = done + 1;
        if self.every.is_zero() {
            return (k, 0);
        }
        let elapsed = now.saturating_duration_since(self.start);
        // The first tick whose time is still ahead (or exactly now).
        let ahead = (elapsed.as_nanos().div_ceil(self.every.as_nanos())) as u64;
        if ahead > k {
            let skipped = ahead - k;
            k = ahead;
            return (k, skipped);
        }
        (k, 0)
    }
}

/// Parses a duration: a number with an optional unit, `s` (default), `m`, `h`, `d` or `w` (`7d`, `12h`,
/// `90`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 90s, 30m, 12h, 7d, 2w)"))?;
    let mult = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (s, m, h, d, w)")),
    };
    let secs = n * mult;
    if !(secs.is_finite() && secs > 0.0 && secs < 1e12) {
        return Err(format!("{s:?} is not a positive duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// One archive of the tree, with the time in its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Its path.
    pub path: PathBuf,
    /// The capture time from its name.
    pub time: Timestamp,
}

/// The archives under `host_dir` named as [`archive_path`] names them, oldest first.
pub fn stored(host_dir: &Path) -> Vec<Stored> {
    let mut out = Vec::new();
    let prefix = format!(
        "{}-",
        host_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    for day in read_dirs(host_dir) {
        for hour in read_dirs(&day) {
            let Ok(entries) = std::fs::read_dir(&hour) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let Some(stamp) = name
                    .strip_prefix(&prefix)
                    .and_then(|r| r.strip_suffix(".tar"))
                else {
                    continue;
                };
                if let Some(time) = parse_compact(stamp) {
                    out.push(Stored {
                        path: e.path(),
                        time,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| (a.time, &a.path).cmp(&(b.time, &b.path)));
    out
}

fn read_dirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// `20261122T134718Z` back to a timestamp.
fn parse_compact(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let text = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    );
    Timestamp::parse_rfc3339(&text)
}

/// What retention keeps: at most `keep` archives, none older than `keep_for`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Retention {
    /// Keep the newest N archives (`--keep`).
    pub keep: Option<usize>,
    /// Keep archives younger than this (`--keep-for`), by the time in their name.
    pub keep_for: Option<Duration>,
}

/// The archives retention would delete, oldest first (`now` is the current time).
pub fn expired(archives: &[Stored], r: Retention, now: Timestamp) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let over = r.keep.map_or(0, |keep| archives.len().saturating_sub(keep));
    for (i, a) in archives.iter().enumerate() {
        let too_many = i < over;
        let too_old = r.keep_for.is_some_and(|max| {
            let age = now.as_secs_f64() - a.time.as_secs_f64();
            age > max.as_secs_f64()
        });
        if too_many || too_old {
            out.push(a.path.clone());
        }
    }
    out
}

/// Deletes what retention expires under `host_dir` (never `keep_path`, the archive just written), and the
/// hour and day directories left empty. Returns the paths deleted, and the errors met.
pub fn prune(
    host_dir: &Path,
    r: Retention,
    now: Timestamp,
    keep_path: Option<&Path>,
) -> (Vec<PathBuf>, Vec<String>) {
    let mut deleted = Vec::new();
    let mut errors = Vec::new();
    if r.keep.is_none() && r.keep_for.is_none() {
        return (deleted, errors);
    }
    for path in expired(&stored(host_dir), r, now) {
        if Some(path.as_path()) == keep_path {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                // The hour and day directories, when now empty (remove_dir fails on a non-empty one).
                if let Some(hour) = path.parent() {
                    let _ = std::fs::remove_dir(hour);
                    if let Some(day) = hour.parent() {
                        let _ = std::fs::remove_dir(day);
                    }
                }
                deleted.push(path);
            }
            Err(e) => errors.push(format!("{}: {e}", path.display())),
        }
    }
    (deleted, errors)
}

/// The index of `host_dir`: `index.tsv`.
pub fn index_path(host_dir: &Path) -> PathBuf {
    host_dir.join("index.tsv")
}

/// Appends `<time> TAB <sha256> TAB <path relative to host_dir>` to the index, in one write(2) of an
/// `O_APPEND` file, synced.
pub fn append_index(
    host_dir: &Path,
    time: Timestamp,
    sha256: &str,
    archive: &Path,
) -> std::io::Result<()> {
    let rel = archive.strip_prefix(host_dir).unwrap_or(archive);
    let line = format!("{}\t{sha256}\t{}\n", time.rfc3339(), rel.display());
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(index_path(host_dir))?;
    f.write_all(line.as_bytes())?;
    f.sync_data()
}

/// Temporary files of captures that never finished (`*.tar.tmp`, left by a capture killed with SIGKILL
/// or a crash) under `host_dir`.
pub fn stale_temporaries(host_dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for day in read_dirs(host_dir) {
        for hour in read_dirs(&day) {
            let Ok(entries) = std::fs::read_dir(&hour) else {
                continue;
            };
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().ends_with(".tar.tmp") {
                    out.push(e.path());
                }
            }
        }
    }
    out.sort();
    out
}

/// An exclusive lock on `host_dir/.lock`, held while the value lives: two capture loops never write the
/// same tree.
#[derive(Debug)]
pub struct Lock {
    _file: std::fs::File,
}

/// Takes the lock of `host_dir` without waiting; fails when another process holds it.
pub fn lock(host_dir: &Path) -> std::io::Result<Lock> {
    let path = host_dir.join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    #[cfg(not(target_os = "solaris"))]
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(
        |e| {
            if e == rustix::io::Errno::WOULDBLOCK {
                std::io::Error::new(
                    std::io::ErrorKind::WouldBlock,
                    format!(
                        "{}: another procsift capture is writing this directory",
                        path.display()
                    ),
                )
            } else {
                std::io::Error::from(e)
            }
        },
    )?;
    Ok(Lock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    #[test]
    fn paths_are_sharded_by_day_and_hour() {
        let p = archive_path(Path::new("/d"), "web-01", t(1_795_355_238));
        assert_eq!(
            p,
            PathBuf::from("/d/web-01/2026-11-22/13/web-01-20261122T134718Z.tar")
        );
        assert_eq!(
            archive_path(Path::new("d"), "a/b", t(0)),
            PathBuf::from("d/a_b/1970-01-01/00/a_b-19700101T000000Z.tar")
        );
        assert_eq!(parse_compact("20261122T134718Z"), Some(t(1_795_355_238)));
    }

    #[test]
    fn ticks_stay_on_the_clock_and_overruns_skip() {
        let start = Instant::now();
        let s = Schedule::new(start, Duration::from_secs(10));
        assert_eq!(s.due(3), start + Duration::from_secs(30));
        // Tick 0 took 2 s: tick 1 is next, nothing skipped.
        assert_eq!(s.next(0, start + Duration::from_secs(2)), (1, 0));
        // Tick 1 (due at 10 s) took until 35 s: ticks 2 and 3 passed, 4 (40 s) is next.
        assert_eq!(s.next(1, start + Duration::from_secs(35)), (4, 2));
        // Exactly on a tick's time: that tick runs.
        assert_eq!(s.next(1, start + Duration::from_secs(30)), (3, 1));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("3y").is_err());
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn retention_deletes_the_oldest() {
        let a: Vec<Stored> = (0..5)
            .map(|i| Stored {
                path: PathBuf::from(format!("{i}")),
                time: t(i * 100),
            })
            .collect();
        let keep2 = Retention {
            keep: Some(2),
            keep_for: None,
        };
        assert_eq!(
            expired(&a, keep2, t(400)),
            vec![PathBuf::from("0"), PathBuf::from("1"), PathBuf::from("2")]
        );
        let young = Retention {
            keep: None,
            keep_for: Some(Duration::from_secs(150)),
        };
        // Ages 400, 300, 200, 100 and 0 s: the first three are older than 150 s.
        assert_eq!(
            expired(&a, young, t(400)),
            vec![PathBuf::from("0"), PathBuf::from("1"), PathBuf::from("2")]
        );
        assert!(expired(&a, Retention::default(), t(400)).is_empty());
    }
}
