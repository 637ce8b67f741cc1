//! `export`: many inputs into a Hive-partitioned dataset, in parallel, with a progress bar on a terminal.
//!
//! The inputs are expanded first (a directory is a snapshot itself when it looks like one, otherwise the
//! snapshots and cores found under it), then `--jobs` workers take them one at a time: read, build the
//! model, write its tables, drop it. So memory holds at most one input per worker.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use procsift::analyze::{self, Detail};
use procsift::export::{self, Written};
use procsift::snapshot::reader::{self, InputFormat, OpenOptions};
use procsift::time::Timestamp;
use procsift::{Error, Result};

use super::Context;
use super::args::ExportArgs;
use super::output;

/// Names of files never taken as inputs when a directory is walked: the periodic capture's own index and
/// lock, and archives still being written (`.tmp`).
fn skipped_name(name: &str) -> bool {
    name.starts_with('.') || name.ends_with(".tmp") || name == "index.tsv"
}

/// A directory that is one snapshot: an extracted archive (`manifest.json`, `proc/`), a copied /proc
/// (numeric directories holding a Linux `stat` or a Solaris `psinfo` at its top), a NetBSD dump
/// (`sysctl/`, or `kern.proc2` at its top). A numeric directory alone is not enough: the periodic
/// capture's tree has hour directories (`DIR/<host>/<date>/<HH>/`).
fn is_snapshot_dir(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if name == "manifest.json"
            || name == "kern.proc2"
            || (is_dir && (name == "proc" || name == "sysctl"))
            || (is_dir
                && !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_digit())
                && ["stat", "psinfo"]
                    .iter()
                    .any(|f| e.path().join(f).is_file()))
        {
            return true;
        }
    }
    false
}

/// The inputs under the command line's INPUTs, in a stable order, and the files skipped (not snapshots).
pub(super) fn expand(inputs: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if !meta.is_dir() || is_snapshot_dir(input) {
            found.push(input.clone());
            continue;
        }
        walk(input, &mut found, &mut skipped)?;
    }
    Ok((found, skipped))
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, skipped: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if skipped_name(&name) {
            continue;
        }
        // Symbolic links are not followed in a walk (no loops, nothing outside the tree).
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            if is_snapshot_dir(&path) {
                found.push(path);
            } else {
                walk(&path, found, skipped)?;
            }
        } else if kind.is_file() {
            match reader::sniff(&path) {
                Ok(
                    InputFormat::Tar
                    | InputFormat::TarGz
                    | InputFormat::TarZst
                    | InputFormat::ElfCore,
                ) => found.push(path),
                _ => skipped.push(path),
            }
        }
    }
    Ok(())
}

/// One worker's outcome for one input.
struct Done {
    index: usize,
    input_bytes: u64,
    result: Result<(Written, usize)>,
}

/// Reads one input, runs `check`'s rules on it (`rules`, unless none), and writes its tables.
fn export_one(
    ctx: Context,
    path: &Path,
    a: &ExportArgs,
    rules: Option<&procsift::check::Options>,
) -> Result<(Written, usize)> {
    // Environments are not exported: read only for the rules that look at them.
    let detail = Detail {
        env: rules.is_some(),
        ..Detail::FULL
    };
    let mut snapshot = analyze::open(path, detail, &OpenOptions::default())?;
    // The rules read the model as captured; --redact hides secrets in what they report.
    let checked = rules.map(|r| procsift::check::check(&snapshot, r));
    if ctx.redact {
        snapshot = procsift::model::redact::redacted(snapshot);
    }
    let mtime = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| Timestamp {
            secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            nanos: d.subsec_nanos(),
        });
    let key = export::capture_key(&snapshot, mtime);
    let written = export::write_snapshot(&snapshot, checked.as_ref(), &key, &a.output, a.format)?;
    let processes = snapshot.processes.len();
    Ok((written, processes))
}

fn input_size(path: &Path) -> u64 {
    std::fs::metadata(path)
        .map(|m| if m.is_file() { m.len() } else { 0 })
        .unwrap_or(0)
}

/// `export`.
pub fn export(ctx: Context, a: ExportArgs) -> Result<ExitCode> {
    let (inputs, skipped) = expand(&a.inputs)?;
    if inputs.is_empty() {
        return Err(Error::Usage(format!(
            "no snapshot archive, /proc-shaped directory or core found in {}",
            a.inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    for s in skipped.iter().take(5) {
        output::warning(&format!(
            "{}: not a snapshot archive or core; skipped",
            s.display()
        ));
    }
    if skipped.len() > 5 {
        output::warning(&format!(
            "... and {} more files that are not snapshots",
            skipped.len() - 5
        ));
    }
    // Before reading anything: an unknown rule or a bad allowlist is a usage error.
    let rules = if a.no_findings {
        None
    } else {
        Some(super::run::rule_options(a.rules.clone(), ctx.redact)?)
    };
    std::fs::create_dir_all(&a.output).map_err(|e| Error::io(&a.output, e))?;
    let jobs = a
        .jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .clamp(1, 64)
        .min(inputs.len());
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let mut progress = Progress::new(std::io::stderr().is_terminal(), inputs.len());
    let (tx, rx) = mpsc::channel::<Done>();
    let mut failed = 0u64;
    let mut totals = Written::default();
    let mut processes = 0usize;
    let mut read_bytes = 0u64;
    let mut ids = std::collections::BTreeSet::new();
    let mut duplicates = 0u64;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, inputs, a, rules) = (&next, &inputs, &a, rules.as_ref());
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = inputs.get(index) else { break };
                    let result = export_one(ctx, path, a, rules);
                    let done = Done {
                        index,
                        input_bytes: input_size(path),
                        result,
                    };
                    if tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for done in rx {
            read_bytes += done.input_bytes;
            match done.result {
                Ok((w, n)) => {
                    processes += n;
                    totals.files += w.files;
                    totals.bytes += w.bytes;
                    if let Some(k) = &w.key
                        && !ids.insert(k.id.clone())
                    {
                        duplicates += 1;
                    }
                }
                Err(e) => {
                    failed += 1;
                    progress.clear();
                    let path = inputs.get(done.index).map(|p| p.display().to_string());
                    output::error(&format!("{}: {e}", path.unwrap_or_default()));
                }
            }
            progress.step(read_bytes);
        }
    });
    progress.clear();
    let secs = started.elapsed().as_secs_f64();
    output::note(&format!(
        "{}: {} snapshots ({} processes) exported as {} files, {} bytes, in {:.2} s; {} failed{}",
        a.output.display(),
        ids.len(),
        processes,
        totals.files,
        totals.bytes,
        secs,
        failed,
        if duplicates > 0 {
            format!("; {duplicates} inputs were the same capture as another (written once)")
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

/// `[#####-----] 37/100 snapshots, 1.2 GB` on stderr, redrawn at most ten times a second.
struct Progress {
    enabled: bool,
    total: usize,
    done: usize,
    last: Option<Instant>,
    drawn: bool,
}

impl Progress {
    fn new(enabled: bool, total: usize) -> Progress {
        Progress {
            enabled,
            total,
            done: 0,
            last: None,
            drawn: false,
        }
    }

    fn step(&mut self, bytes: u64) {
        self.done += 1;
        if !self.enabled
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
                && self.done < self.total
        {
            return;
        }
        self.last = Some(Instant::now());
        self.drawn = true;
        const WIDTH: usize = 30;
        let filled = (self.done * WIDTH)
            .checked_div(self.total)
            .unwrap_or(WIDTH)
            .min(WIDTH);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {}/{} snapshots, {:.1} MB read",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            self.done,
            self.total,
            bytes as f64 / 1e6
        );
        let _ = err.flush();
    }

    /// Erases the bar (before a message, and at the end).
    fn clear(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}
