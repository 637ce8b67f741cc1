//! Capture: read a live host's process records, byte for byte, into a snapshot.
//!
//! No parsing happens here: every record is stored exactly as the kernel returned it, read until `read`
//! returns 0 (procfs reports `st_size` 0, so nothing else is trustworthy). The pieces:
//!
//! * [`engine`] — OS-neutral: a reading worker thread supervised by the writing thread, so one blocked
//!   read (a process in `D` state holding its `mmap` lock) costs one `timeout` member, never a hang;
//! * [`linux`] — the Linux plan: which /proc and /etc files become which archive members;
//! * [`solaris`] — the Solaris and illumos plan, the same for their binary /proc;
//! * [`netbsd`] — the NetBSD plan: sysctl answers instead of files; [`PlanKind`] chooses;
//! * [`sink`] — where members go: a tar archive ([`capture_to_path`]) or memory ([`capture_to_memory`]);
//! * [`record`] — the manifest's per-member size, SHA-256 or error, and the counts;
//! * [`host`] — uname, page size, clock ticks, boot time and id for the manifest;
//! * [`cores`] — `--core PID`: cores of live processes (the `gcore` module), as archive members;
//! * [`sys`] — the system calls, through rustix.
//!
//! The archive layout is described in [`crate::snapshot`]; its manifest in [`crate::snapshot::manifest`].

pub mod cores;
pub mod engine;
pub mod events;
pub mod host;
pub mod linux;
pub mod netbsd;
pub mod periodic;
pub mod record;
pub mod sink;
pub mod solaris;
pub mod sys;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::snapshot::event_records;
use crate::snapshot::manifest::{
    EVENTS_RAW_MEMBER, FORMAT_VERSION, Manifest, ManifestCapture, ManifestEvents, ManifestHost,
};
use crate::snapshot::{RawSnapshot, Selection};
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
    /// The plan to run; `None` (the default) runs the one for the OS this binary was built for,
    /// [`PlanKind::native`]. Tests set it to run the Solaris plan on Linux against a fake tree.
    pub plan: Option<PlanKind>,
    /// Leave out every `proc/<pid>/environ` (`--no-environ`).
    pub no_environ: bool,
    /// Also read every `proc/<pid>/smaps` (`--smaps`; Linux): per-mapping resident, dirty and anonymous
    /// sizes.
    pub smaps: bool,
    /// Read only what `ps`, `tree`, `files` and the diff's identity need (`--profile minimal`; Linux).
    pub minimal: bool,
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
    /// Record process events ([`events`]) from before the scan until this long after it (`--watch`);
    /// `None` (the default) records none and writes no `events` section. The CLI's `capture` sets it.
    pub events: Option<Duration>,
    /// The sysctl(3) the NetBSD plan reads through; `None` (the default) is the system's own, which
    /// exists only in NetBSD builds. Tests set a fake to run the plan on Linux.
    pub sysctl: Option<Arc<dyn netbsd::Sysctl>>,
    /// Linux: probe every pid up to `pid_max` for processes the listing of /proc leaves out
    /// (`--probe-pids`; see [`linux`]).
    pub probe_pids: bool,
    /// When this flag becomes true the capture stops at its next member and fails with `Interrupted`
    /// (a second SIGTERM/SIGINT in periodic mode); [`capture_to_path`] then leaves nothing behind.
    pub cancel: Option<&'static std::sync::atomic::AtomicBool>,
    /// Processes to dump a core of (`--core`), before the scan; each becomes `cores/<pid>.core`.
    pub cores: Vec<i32>,
    /// Where the cores are written before they are archived (`None`: the system's temporary
    /// directory; [`capture_to_path`] uses the archive's directory).
    pub core_dir: Option<PathBuf>,
    /// Which members and processes to read, whether `proc_root` is a copy, and whether to read the
    /// system files (the Linux and Solaris plans); the default reads everything of a live /proc.
    pub reading: Reading,
    /// Most bytes of member data a capture into memory may hold; past it the read fails (directory
    /// inputs: a tree that large is no /proc). `None`: no bound beyond the per-member one.
    pub max_bytes: Option<u64>,
}

/// How a plan reads, beyond its roots.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    /// Which members and processes.
    pub select: Selection,
    /// `Some(largest file)` when the root is a copy (a directory input that is not a live procfs).
    pub copied: Option<u64>,
    /// Leave out the system files (a single process directory copied from elsewhere has none).
    pub no_system: bool,
    /// Read only this process, from the directory of this name under the root (a copy of one process's
    /// directory whose name is not its pid). Linux plan only.
    pub process_dir: Option<(i32, String)>,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            proc_root: PathBuf::from("/proc"),
            etc_root: PathBuf::from("/etc"),
            plan: None,
            no_environ: false,
            smaps: false,
            minimal: false,
            case: None,
            examiner: None,
            note: None,
            read_timeout: Duration::from_secs(2),
            progress: false,
            command: Vec::new(),
            events: None,
            sysctl: None,
            probe_pids: false,
            cancel: None,
            cores: Vec::new(),
            core_dir: None,
            reading: Reading::default(),
            max_bytes: None,
        }
    }
}

/// Which capture plan to run: which files are read and how the members are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanKind {
    /// Linux /proc text files ([`linux::LinuxPlan`]).
    Linux,
    /// Solaris and illumos binary /proc files ([`solaris::SolarisPlan`]).
    Solaris,
    /// NetBSD sysctl answers ([`netbsd::NetbsdPlan`]).
    Netbsd,
}

impl PlanKind {
    /// The plan for the OS this binary was built for: [`PlanKind::Solaris`] on Solaris and illumos,
    /// [`PlanKind::Netbsd`] on NetBSD, [`PlanKind::Linux`] on Linux and Android, `None` elsewhere
    /// (capture refuses to run).
    ///
    /// This choice is the only OS-specific part of the selection: both plans are compiled everywhere.
    /// procsift has not been built for Solaris or illumos: the machines it is built and tested on have no
    /// standard library for those targets, so the Solaris answer here (and the zone-name lookup in
    /// [`solaris::host_facts`]) never ran; the Solaris plan itself is tested on Linux against a fake tree
    /// through [`CaptureOptions::plan`]. The same holds for NetBSD: its plan is tested on Linux against
    /// a fake sysctl ([`CaptureOptions::sysctl`]); the libc shim (`crate::os::netbsd`) is not compiled
    /// here.
    pub fn native() -> Option<PlanKind> {
        if cfg!(any(target_os = "solaris", target_os = "illumos")) {
            Some(PlanKind::Solaris)
        } else if cfg!(target_os = "netbsd") {
            Some(PlanKind::Netbsd)
        } else if cfg!(any(target_os = "linux", target_os = "android")) {
            Some(PlanKind::Linux)
        } else {
            None
        }
    }

    /// `linux`, `solaris` or `netbsd`: the manifest's `capture.plan` and the snapshot source's OS.
    pub fn name(self) -> &'static str {
        match self {
            PlanKind::Linux => "linux",
            PlanKind::Solaris => "solaris",
            PlanKind::Netbsd => "netbsd",
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
    /// The archive's SHA-256, lower-case hex ([`capture_to_path`]).
    pub sha256: Option<String>,
    /// UTC time the capture started.
    pub started: Option<Timestamp>,
    /// UTC time the capture finished.
    pub finished: Option<Timestamp>,
    /// Process events recorded (`None`: not asked for).
    pub events: Option<u64>,
    /// ENOBUFS overruns while recording events.
    pub events_lost: u64,
    /// Why events were not recorded, when they were asked for.
    pub events_reason: Option<String>,
    /// The cores asked for (`--core`): taken, or why not.
    pub cores: Vec<crate::snapshot::manifest::ManifestCore>,
}

/// The default archive name: `procsift-<host>-<20261122T134718Z>.tar`. Characters of the host name other
/// than ASCII letters, digits, `.`, `-` and `_` become `_`.
pub fn default_output_name(hostname: &str, t: Timestamp) -> String {
    format!(
        "procsift-{}-{}.tar",
        periodic::safe_host(hostname),
        t.compact()
    )
}

/// Captures the host into the snapshot archive `out` (written as `<out>.tmp`, renamed when complete).
/// Refuses to overwrite an existing file.
pub fn capture_to_path(opts: &CaptureOptions, out: &Path) -> crate::Result<CaptureSummary> {
    let started = host::Moment::now();
    let sink = TarSink::create(out, u64::try_from(started.utc.secs).unwrap_or(0))?;
    let mut opts = opts.clone();
    if opts.core_dir.is_none() {
        opts.core_dir = Some(match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        });
    }
    let (recorder, manifest, _) = run(&opts, sink, started)?;
    let mut summary = summarize(&recorder, &manifest);
    let (bytes, sha256) = recorder.sink.finish_with_hash(&manifest)?;
    summary.bytes = bytes;
    summary.sha256 = Some(sha256);
    summary.output = Some(out.to_path_buf());
    Ok(summary)
}

/// Captures the host into memory: a [`RawSnapshot`] of kind live with its manifest attached.
pub fn capture_to_memory(opts: &CaptureOptions) -> crate::Result<RawSnapshot> {
    let (recorder, manifest, kind) =
        run(opts, MemorySink::new(opts.max_bytes), host::Moment::now())?;
    Ok(recorder.sink.finish(manifest, &opts.proc_root, kind.name()))
}

/// Like [`capture_to_memory`], also returning the summary.
pub fn capture_to_memory_with_summary(
    opts: &CaptureOptions,
) -> crate::Result<(RawSnapshot, CaptureSummary)> {
    let (recorder, manifest, kind) =
        run(opts, MemorySink::new(opts.max_bytes), host::Moment::now())?;
    let mut summary = summarize(&recorder, &manifest);
    summary.bytes = recorder.sink.bytes();
    Ok((
        recorder.sink.finish(manifest, &opts.proc_root, kind.name()),
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
        sha256: None,
        started: m.capture.started,
        finished: m.capture.finished,
        events: m.events.as_ref().map(|e| e.count),
        events_lost: m.events.as_ref().map_or(0, |e| e.lost),
        events_reason: m.events.as_ref().and_then(|e| e.reason.clone()),
        cores: m.cores.clone(),
    }
}

/// Runs the plan `opts` asks for (the native one by default) and builds the manifest.
fn run<S: Sink>(
    opts: &CaptureOptions,
    sink: S,
    started: host::Moment,
) -> crate::Result<(Recorder<S>, Manifest, PlanKind)> {
    let kind = opts.plan.or_else(PlanKind::native).ok_or_else(|| {
        crate::Error::Usage(
            "capture of a live host is implemented for Linux, Solaris, illumos and NetBSD only; \
             analyze works everywhere"
                .into(),
        )
    })?;
    if opts.minimal && kind != PlanKind::Linux {
        return Err(crate::Error::Usage(format!(
            "--profile minimal is implemented for the Linux capture only (this is a {} capture)",
            kind.name()
        )));
    }
    let (recorder, manifest) = match kind {
        PlanKind::Linux => {
            let plan = linux::LinuxPlan::new(
                &opts.proc_root,
                &opts.etc_root,
                opts.no_environ,
                &opts.reading,
            )?
            .probing_pids(opts.probe_pids)
            .read_smaps(opts.smaps)
            .minimal(opts.minimal);
            let total = plan.pids().len();
            run_plan(
                opts,
                sink,
                started,
                Arc::new(plan),
                total,
                linux::HOST_FACT_MEMBERS,
                |kept| {
                    let kept = |p: &str| kept.get(p).map(Vec::as_slice);
                    host::facts(
                        kept("proc/stat"),
                        kept("proc/sys/kernel/random/boot_id"),
                        kept("etc/os-release"),
                    )
                },
                kind,
            )?
        }
        PlanKind::Solaris => {
            let plan = solaris::SolarisPlan::new(&opts.proc_root, &opts.etc_root, &opts.reading)?;
            let total = plan.pids().len();
            run_plan(
                opts,
                sink,
                started,
                Arc::new(plan),
                total,
                solaris::HOST_FACT_MEMBERS,
                solaris::host_facts,
                kind,
            )?
        }
        PlanKind::Netbsd => {
            let sys = opts
                .sysctl
                .clone()
                .or_else(crate::os::native_sysctl)
                .ok_or_else(|| {
                    crate::Error::Usage(
                        "the NetBSD plan reads sysctl(3), which this build has no access to".into(),
                    )
                })?;
            let plan = netbsd::NetbsdPlan::new(sys, &opts.etc_root, opts.no_environ)?;
            let total = plan.pids().len();
            run_plan(
                opts,
                sink,
                started,
                Arc::new(plan),
                total,
                &[],
                |_| host::facts(None, None, None),
                kind,
            )?
        }
    };
    Ok((recorder, manifest, kind))
}

/// Runs `plan` (`total` processes) into `sink`; `host_facts` turns the members named in `keep` into the
/// manifest's host facts.
#[allow(clippy::too_many_arguments)]
fn run_plan<S: Sink, P: engine::Plan>(
    opts: &CaptureOptions,
    sink: S,
    started: host::Moment,
    plan: Arc<P>,
    total: usize,
    keep: &'static [&'static str],
    host_facts: impl FnOnce(&HashMap<String, Vec<u8>>) -> ManifestHost,
    kind: PlanKind,
) -> crate::Result<(Recorder<S>, Manifest)> {
    // Subscribe before the scan starts, so nothing that starts or exits during it goes unseen.
    // Process events exist on Linux only.
    let listener = opts
        .events
        .filter(|_| kind == PlanKind::Linux)
        .map(|_| events::subscribe(&opts.proc_root));
    let units = Arc::clone(&plan);
    let mut recorder = Recorder::new(
        sink,
        keep,
        Box::new(move |unit| engine::Plan::is_process(&*units, unit)),
        opts.progress,
        total,
    );
    recorder.cancel = opts.cancel;
    if kind == PlanKind::Linux && recorder.sink.archive() {
        recorder.tally = Some(Default::default());
    }
    let cores = if opts.cores.is_empty() {
        Vec::new()
    } else {
        let dir = opts.core_dir.clone().unwrap_or_else(std::env::temp_dir);
        cores::dump(&opts.cores, &dir, &mut recorder)?
    };
    let result = engine::run(plan, opts.read_timeout, &mut recorder);
    recorder.end_progress();
    let finished = host::Moment::now();
    let events = match listener {
        Some(listener) => {
            if result.is_ok() {
                std::thread::sleep(opts.events.unwrap_or_default());
            }
            Some(finish_events(listener, opts, &mut recorder)?)
        }
        None => None,
    };
    result?;

    let host = host_facts(&recorder.kept);
    let elem_sizes = if kind == PlanKind::Netbsd {
        netbsd::elem_sizes()
    } else {
        BTreeMap::new()
    };
    let mut vanished = recorder.vanished.clone();
    vanished.sort_unstable();
    // Linux archives record each process's digest (as they record the totals).
    let process_digests = recorder
        .tally
        .is_some()
        .then(|| crate::snapshot::digests::of_members(&recorder.members));
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        tool: "procsift".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        host,
        capture: ManifestCapture {
            started: Some(started.utc),
            finished: Some(finished.utc),
            started_boottime: started.boottime,
            finished_boottime: finished.boottime,
            no_environ: opts.no_environ,
            profile: Some(if opts.minimal { "minimal" } else { "full" }.into()),
            case: opts.case.clone(),
            examiner: opts.examiner.clone(),
            note: opts.note.clone(),
            command: opts.command.clone(),
            pid: own_pid(opts, kind),
            plan: Some(kind.name().into()),
            elem_sizes,
        },
        members: std::mem::take(&mut recorder.members),
        vanished,
        events,
        cores,
        totals: recorder.tally.take().map(|t| t.totals()),
        process_digests,
    };
    Ok((recorder, manifest))
}

/// This process's pid as the captured records name it (manifest `capture.pid`): on Linux the `self`
/// link of the /proc that was read (none when that /proc belongs to a pid namespace this process is not
/// in); NetBSD's sysctls and Solaris's own /proc name it by getpid(2). A copied tree (a directory input)
/// names none: its `self` is whoever copied it.
fn own_pid(opts: &CaptureOptions, kind: PlanKind) -> Option<i32> {
    if opts.reading.copied.is_some() {
        return None;
    }
    let getpid = || i32::try_from(std::process::id()).ok();
    match kind {
        PlanKind::Linux => std::fs::read_link(opts.proc_root.join("self"))
            .ok()?
            .to_str()?
            .parse()
            .ok(),
        PlanKind::Netbsd => getpid(),
        PlanKind::Solaris if opts.proc_root == Path::new("/proc") => getpid(),
        PlanKind::Solaris => None,
    }
}

/// Stops the event listener (if it started), stores its records as `events/cn_proc.bin` (raw, as
/// received: the archive holds no decoded form; `events --format ndjson` derives it), and describes
/// them for the manifest.
fn finish_events<S: Sink>(
    listener: Result<events::Listener, String>,
    opts: &CaptureOptions,
    recorder: &mut Recorder<S>,
) -> crate::Result<ManifestEvents> {
    use engine::Handler;
    let watch_secs = opts.events.unwrap_or_default().as_secs_f64();
    let listener = match listener {
        Ok(l) => l,
        Err(reason) => {
            return Ok(ManifestEvents {
                recorded: false,
                source: "cn_proc".into(),
                reason: Some(reason),
                watch_secs,
                ..ManifestEvents::default()
            });
        }
    };
    let clock = listener.clock;
    let collected = listener.stop();
    let mut raw = event_records::RECORDS_MAGIC.to_vec();
    for r in &collected.records {
        event_records::write_record(&mut raw, r);
    }
    recorder.event(engine::Event::File {
        path: EVENTS_RAW_MEMBER.into(),
        data: raw,
    })?;
    Ok(ManifestEvents {
        recorded: true,
        source: "cn_proc".into(),
        reason: collected.error,
        member: Some(EVENTS_RAW_MEMBER.into()),
        decoded_member: None,
        count: collected.count,
        lost: collected.lost,
        watch_secs,
        subscribed: Some(clock.utc),
        unsubscribed: collected.stopped,
        clock: Some(clock),
    })
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
