//! Capture: read a live host's process records, byte for byte, into a snapshot.
//!
//! No parsing happens here: every record is stored exactly as the kernel returned it, read until `read`
//! returns 0 (procfs reports `st_size` 0, so nothing else is trustworthy). The pieces:
//!
//! * [`engine`] — OS-neutral: a reading worker thread supervised by the writing thread, so one blocked
//!   read (a process in `D` state holding its `mmap` lock) costs one `timeout` member, never a hang;
//! * [`linux`] — the Linux plan: which /proc and /etc files become which archive members;
//! * [`sink`] — where members go: a tar archive ([`capture_to_path`]) or memory ([`capture_to_memory`]);
//! * [`record`] — the manifest's per-member size, SHA-256 or error, and the counts;
//! * [`host`] — uname, page size, clock ticks, boot time and id for the manifest;
//! * [`sys`] — the system calls, through rustix.
//!
//! The archive layout is described in [`crate::snapshot`]; its manifest in [`crate::snapshot::manifest`].

pub mod engine;
pub mod host;
pub mod linux;
pub mod record;
pub mod sink;
pub mod sys;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::snapshot::RawSnapshot;
use crate::snapshot::manifest::{FORMAT_VERSION, Manifest, ManifestCapture};
use crate::time::Timestamp;
use record::Recorder;
use sink::{MemorySink, Sink, TarSink};

/// What to capture and how.
#[derive(Clone, Debug)]
pub struct CaptureOptions {
    /// The /proc to read (`/proc`; tests point it at a fake tree).
    pub proc_root: PathBuf,
    /// The /etc to read `passwd`, `group` and `os-release` from (`/etc`).
    pub etc_root: PathBuf,
    /// Leave out every `proc/<pid>/environ` (`--no-environ`).
    pub no_environ: bool,
    /// Case identifier for the manifest (`--case`).
    pub case: Option<String>,
    /// Who captured (`--examiner`).
    pub examiner: Option<String>,
    /// Free-text note (`--note`).
    pub note: Option<String>,
    /// How long one member may make no progress before it is recorded as `timeout` (default 2 s).
    pub read_timeout: Duration,
    /// Draw "captured N/M processes" on stderr (the CLI sets it when stderr is a terminal).
    pub progress: bool,
    /// The command line that ran the capture, recorded in the manifest.
    pub command: Vec<String>,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            proc_root: PathBuf::from("/proc"),
            etc_root: PathBuf::from("/etc"),
            no_environ: false,
            case: None,
            examiner: None,
            note: None,
            read_timeout: Duration::from_secs(2),
            progress: false,
            command: Vec::new(),
        }
    }
}

/// What a capture did.
#[derive(Clone, Debug, Default)]
pub struct CaptureSummary {
    /// Processes captured (listed and not vanished).
    pub processes: u64,
    /// Members stored (regular files and symbolic links; `manifest.json` not counted).
    pub members: u64,
    /// Members whose read failed (they are in the manifest with their error).
    pub failed: u64,
    /// Processes that vanished between the listing of /proc and their reading.
    pub vanished: u64,
    /// Archive size in bytes ([`capture_to_path`]), or bytes of member data held ([`capture_to_memory`]).
    pub bytes: u64,
    /// Failed members by error name (`ENOENT`, `EACCES`, `timeout`, ...).
    pub read_errors: BTreeMap<String, u64>,
    /// The archive written, for [`capture_to_path`].
    pub output: Option<PathBuf>,
    /// UTC time the capture started.
    pub started: Option<Timestamp>,
    /// UTC time the capture finished.
    pub finished: Option<Timestamp>,
}

/// The default archive name: `procsift-<host>-<20261122T134718Z>.tar`. Characters of the host name other
/// than ASCII letters, digits, `.`, `-` and `_` become `_`.
pub fn default_output_name(hostname: &str, t: Timestamp) -> String {
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
    let host = if host.is_empty() || host.chars().all(|c| c == '.') {
        "unknown".to_owned()
    } else {
        host
    };
    format!("procsift-{host}-{}.tar", t.compact())
}

/// Captures the host into the snapshot archive `out` (written as `<out>.tmp`, renamed when complete).
/// Refuses to overwrite an existing file.
pub fn capture_to_path(opts: &CaptureOptions, out: &Path) -> crate::Result<CaptureSummary> {
    let started = Timestamp::now();
    let sink = TarSink::create(out, u64::try_from(started.secs).unwrap_or(0))?;
    let (recorder, manifest) = run(opts, sink, started)?;
    let mut summary = summarize(&recorder, &manifest);
    summary.bytes = recorder.sink.finish(&manifest)?;
    summary.output = Some(out.to_path_buf());
    Ok(summary)
}

/// Captures the host into memory: a [`RawSnapshot`] of kind live with its manifest attached.
pub fn capture_to_memory(opts: &CaptureOptions) -> crate::Result<RawSnapshot> {
    let (recorder, manifest) = run(opts, MemorySink::new(), Timestamp::now())?;
    Ok(recorder.sink.finish(manifest, &opts.proc_root, "linux"))
}

/// Like [`capture_to_memory`], also returning the summary.
pub fn capture_to_memory_with_summary(
    opts: &CaptureOptions,
) -> crate::Result<(RawSnapshot, CaptureSummary)> {
    let (recorder, manifest) = run(opts, MemorySink::new(), Timestamp::now())?;
    let mut summary = summarize(&recorder, &manifest);
    summary.bytes = recorder.sink.bytes();
    Ok((
        recorder.sink.finish(manifest, &opts.proc_root, "linux"),
        summary,
    ))
}

fn summarize<S: Sink>(r: &Recorder<S>, m: &Manifest) -> CaptureSummary {
    CaptureSummary {
        processes: r.processes_done.saturating_sub(r.vanished.len() as u64),
        members: r.stored,
        failed: r.failed,
        vanished: r.vanished.len() as u64,
        bytes: 0,
        read_errors: r.read_errors.clone(),
        output: None,
        started: m.capture.started,
        finished: m.capture.finished,
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn run<S: Sink>(
    opts: &CaptureOptions,
    sink: S,
    started: Timestamp,
) -> crate::Result<(Recorder<S>, Manifest)> {
    let started_boottime = host::boottime_secs();
    let plan = Arc::new(linux::LinuxPlan::new(
        &opts.proc_root,
        &opts.etc_root,
        opts.no_environ,
    )?);
    let total = plan.pids().len();
    let units = Arc::clone(&plan);
    let mut recorder = Recorder::new(
        sink,
        linux::HOST_FACT_MEMBERS,
        Box::new(move |unit| engine::Plan::is_process(&*units, unit)),
        opts.progress,
        total,
    );
    let result = engine::run(Arc::clone(&plan), opts.read_timeout, &mut recorder);
    recorder.end_progress();
    result?;
    let finished = Timestamp::now();
    let finished_boottime = host::boottime_secs();

    let kept = |p: &str| recorder.kept.get(p).map(Vec::as_slice);
    let host = host::facts(
        kept("proc/stat"),
        kept("proc/sys/kernel/random/boot_id"),
        kept("etc/os-release"),
    );
    let mut vanished = recorder.vanished.clone();
    vanished.sort_unstable();
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        tool: "procsift".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        host,
        capture: ManifestCapture {
            started: Some(started),
            finished: Some(finished),
            started_boottime,
            finished_boottime,
            no_environ: opts.no_environ,
            case: opts.case.clone(),
            examiner: opts.examiner.clone(),
            note: opts.note.clone(),
            command: opts.command.clone(),
        },
        members: std::mem::take(&mut recorder.members),
        vanished,
    };
    Ok((recorder, manifest))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn run<S: Sink>(
    _opts: &CaptureOptions,
    _sink: S,
    _started: Timestamp,
) -> crate::Result<(Recorder<S>, Manifest)> {
    Err(crate::Error::Usage(
        "capture of a live host is implemented for Linux only; analyze works everywhere".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name() {
        let t = Timestamp {
            secs: 1_795_355_238,
            nanos: 5,
        };
        assert_eq!(
            default_output_name("web-01.example", t),
            "procsift-web-01.example-20261122T134718Z.tar"
        );
        assert_eq!(
            default_output_name("a/b c", t),
            "procsift-a_b_c-20261122T134718Z.tar"
        );
        assert_eq!(
            default_output_name("..", t),
            "procsift-unknown-20261122T134718Z.tar"
        );
    }
}
