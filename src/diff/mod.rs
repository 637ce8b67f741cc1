//! Comparing two snapshots: what started, exited, and changed in between.
//!
//! Pure: two [`Snapshot`]s in, a [`Diff`] out; no I/O. Rendering is `report::diff`'s job.
//!
//! Identity. A process is `(boot id, pid, start time)`: within one boot, a pid whose start time differs
//! between the snapshots is one process that exited and another that started (pid reuse), never a change.
//! Snapshots of different boots share no process. Start times are compared in clock ticks since boot
//! (exact) when both sides have them, else as UTC times to within a second; when one side has no start
//! time at all (a core), the pid alone matches and the change says so.
//!
//! Fields absent on either side are never compared: a member the capture could not read, or a list the
//! input does not have (a core has no open files), is not a change.

mod files;
mod findings;
mod process;
mod system;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bytes::ByteString;
use crate::model::{Process, Snapshot, Source, Warning};
use crate::time::Timestamp;

/// What kind of change a [`Change`] is. The order is the order of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Host-wide: boot id, host name, kernel, load average, memory, process count.
    System,
    /// A process present only in NEW.
    Started,
    /// A process present only in OLD.
    Exited,
    /// A process in neither scan, known only from a capture's process events: it started and exited
    /// while OLD or NEW was being captured (or during OLD's `--watch`).
    Transient,
    /// The process exited but was not yet reaped: a zombie in NEW (`state` `Z`), its resources
    /// released (the `fds`, `sockets` and `maps` changes that follow say which).
    State,
    /// Command changed: `exe`, `argv` or `comm` (an exec, or a process renaming itself; kernel
    /// threads' renames are left out).
    Exec,
    /// User or group ids changed (`uid`, `euid`, `suid`, `fsuid`, `gid`, ..., `groups`).
    Credentials,
    /// Parent, process group or session changed (`ppid`, `pgid`, `sid`): reparented, daemonized.
    Parent,
    /// Current or root directory changed (`cwd`, `root`).
    Cwd,
    /// Moved into another namespace (`ns/<type>`).
    Namespaces,
    /// Moved into another control group (`cgroup` or `cgroup/<controllers>`).
    Cgroup,
    /// Thread count changed (`nlwp`).
    Threads,
    /// A file descriptor that is not a socket was opened, closed or reused (`fd/<n>`).
    Fds,
    /// A socket descriptor was opened, closed, or changed state (`fd/<n>`).
    Sockets,
    /// A file was mapped or unmapped (`map`), or an executable anonymous mapping appeared (`map/anon`).
    Maps,
    /// A resource limit changed (`limit/<name>`).
    Limits,
    /// CPU time used in the interval (`cpu_time`).
    Cpu,
    /// Resident memory grew or shrank (`rss_kib`).
    Memory,
    /// I/O counters moved (`rchar`, `wchar`, `read_bytes`, `write_bytes`).
    Io,
    /// A `check` finding present in NEW and not in OLD (the field is the rule's id).
    Findings,
}

impl Kind {
    /// Every kind, in output order.
    pub const ALL: [Kind; 20] = [
        Kind::System,
        Kind::Started,
        Kind::Exited,
        Kind::Transient,
        Kind::State,
        Kind::Exec,
        Kind::Credentials,
        Kind::Parent,
        Kind::Cwd,
        Kind::Namespaces,
        Kind::Cgroup,
        Kind::Threads,
        Kind::Fds,
        Kind::Sockets,
        Kind::Maps,
        Kind::Limits,
        Kind::Cpu,
        Kind::Memory,
        Kind::Io,
        Kind::Findings,
    ];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Kind::System => "system",
            Kind::Started => "started",
            Kind::Exited => "exited",
            Kind::Transient => "transient",
            Kind::State => "state",
            Kind::Exec => "exec",
            Kind::Credentials => "credentials",
            Kind::Parent => "parent",
            Kind::Cwd => "cwd",
            Kind::Namespaces => "namespaces",
            Kind::Cgroup => "cgroup",
            Kind::Threads => "threads",
            Kind::Fds => "fds",
            Kind::Sockets => "sockets",
            Kind::Maps => "maps",
            Kind::Limits => "limits",
            Kind::Cpu => "cpu",
            Kind::Memory => "memory",
            Kind::Io => "io",
            Kind::Findings => "findings",
        }
    }

    /// Parses a kind name; the error lists the known names.
    pub fn parse(s: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown change kind {s:?}; known kinds: {}",
                    Kind::ALL.map(Kind::name).join(", ")
                )
            })
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Fields that change by themselves on a running host; `--ignore-volatile` leaves them out.
pub const VOLATILE: &[&str] = &[
    "cpu",
    "memory",
    "io",
    "loadavg",
    "mem_available_kib",
    "processes",
];

/// One difference between the snapshots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// What kind of change.
    pub kind: Kind,
    /// The process (absent for `system` changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// The process's start time, UTC (with `pid`, its identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// The process's command name (NEW's, else OLD's), for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comm: Option<ByteString>,
    /// Which field changed (`argv`, `euid`, `fd/3`, `ns/net`, `limit/Max open files`, ...).
    pub field: String,
    /// The value in OLD; `null` when the thing did not exist there (opened, started, loaded).
    pub old: Option<Value>,
    /// The value in NEW; `null` when the thing is gone there (closed, exited, unloaded).
    pub new: Option<Value>,
    /// `new - old` for numeric fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<Value>,
    /// `delta` per second of the interval (for `cpu_time`: CPU seconds per second, × 100 = %CPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Worth a look: a privilege gain, a new listening socket, a new executable anonymous or deleted-file
    /// mapping.
    pub highlight: bool,
    /// Explanation for people (pid reuse, namespace moves, why it is highlighted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One side of the comparison, summarized.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Side {
    /// Where the snapshot came from.
    pub source: Source,
    /// Host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Boot id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
    /// Boot time, UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_time: Option<Timestamp>,
    /// When the capture started, UTC (procsift archives only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured: Option<Timestamp>,
    /// Seconds since boot when the records were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime_secs: Option<f64>,
    /// Number of processes.
    pub processes: usize,
    /// Problems met while reading this side.
    pub warnings: Vec<Warning>,
}

/// The result of comparing OLD with NEW.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Diff {
    /// The earlier snapshot.
    pub old: Side,
    /// The later snapshot.
    pub new: Side,
    /// Whether both were taken in the same boot; absent when neither boot id nor boot time tells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_boot: Option<bool>,
    /// Seconds between the snapshots; absent when it cannot be computed (then there are no rates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_secs: Option<f64>,
    /// How the interval was computed (`capture start times`, `uptime`), or why it was not.
    pub interval_source: String,
    /// Things the reader must know to read the changes (different boots, a core on one side, ...).
    pub notes: Vec<String>,
    /// The changes, in order: system first, then by pid, start time, kind and field.
    pub changes: Vec<Change>,
}

impl Diff {
    /// True when no change was found (exit status 0).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Number of changes and of highlighted changes, per kind, in kind order.
    pub fn summary(&self) -> BTreeMap<Kind, (usize, usize)> {
        let mut m = BTreeMap::new();
        for c in &self.changes {
            let e = m.entry(c.kind).or_insert((0, 0));
            e.0 += 1;
            e.1 += usize::from(c.highlight);
        }
        m
    }
}

/// What to compare.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only these kinds (all when empty).
    pub only: Vec<Kind>,
    /// Only these pids (all when empty); `system` changes are then left out.
    pub pids: Vec<i32>,
    /// Kinds, fields (`euid`, `ns/net`) or field prefixes before a `/` (`ns`, `limit`) to leave out.
    pub ignore: Vec<String>,
    /// The `check` rules whose findings the `findings` kind compares, and the allowlist whose
    /// findings it leaves out (default: every rule, no allowlist).
    pub check: crate::check::Options,
}

impl Options {
    /// Whether changes of `kind` are wanted at all.
    pub fn wants_kind(&self, kind: Kind) -> bool {
        (self.only.is_empty() || self.only.contains(&kind))
            && !self.ignore.iter().any(|i| i == kind.name())
            && (kind != Kind::System || self.pids.is_empty())
    }

    /// Whether a change of `kind` to `field` is wanted.
    pub fn wants(&self, kind: Kind, field: &str) -> bool {
        let prefix = field.split_once('/').map(|(p, _)| p);
        self.wants_kind(kind)
            && !self
                .ignore
                .iter()
                .any(|i| i == field || Some(i.as_str()) == prefix)
    }

    fn wants_pid(&self, pid: i32) -> bool {
        self.pids.is_empty() || self.pids.contains(&pid)
    }
}

/// The processes of one side of a comparison, one at a time, in pid order. A whole [`Snapshot`]'s are
/// ([`compare`]); a reader can also build each process when it is asked for and drop it once compared
/// ([`compare_inputs`]), so that a comparison holds two processes at a time, not two hosts.
pub trait Input<'a> {
    /// The process `pid`, asked for before the walk (pid 1, whose namespaces are the host's).
    fn process(&self, pid: i32) -> Option<Cow<'a, Process>>;
    /// The next process, in pid order; `None` at the end.
    fn next_process(&mut self) -> Option<Cow<'a, Process>>;
    /// Every problem met reading this side, in the order a whole read gives them; asked for once the
    /// walk has ended.
    fn warnings(&mut self) -> Vec<Warning>;
    /// What `check` finds in the snapshot with the rules and allowlist of `opts`.
    fn findings(&mut self, opts: &crate::check::Options) -> Vec<crate::check::Finding>;
}

/// A whole snapshot as an [`Input`].
struct Whole<'a> {
    snapshot: &'a Snapshot,
    next: usize,
}

impl<'a> Input<'a> for Whole<'a> {
    fn process(&self, pid: i32) -> Option<Cow<'a, Process>> {
        self.snapshot.process(pid).map(Cow::Borrowed)
    }

    fn next_process(&mut self) -> Option<Cow<'a, Process>> {
        let p = self.snapshot.processes.get(self.next)?;
        self.next += 1;
        Some(Cow::Borrowed(p))
    }

    fn warnings(&mut self) -> Vec<Warning> {
        self.snapshot.warnings.clone()
    }

    fn findings(&mut self, opts: &crate::check::Options) -> Vec<crate::check::Finding> {
        crate::check::check(self.snapshot, opts).findings
    }
}

/// Compares OLD with NEW. Fails only when the two cannot be compared (records of different operating
/// systems); everything else, including different boots or hosts, is a result.
pub fn compare(old: &Snapshot, new: &Snapshot, opts: &Options) -> crate::Result<Diff> {
    compare_inputs(
        old,
        &mut Whole {
            snapshot: old,
            next: 0,
        },
        new,
        &mut Whole {
            snapshot: new,
            next: 0,
        },
        opts,
    )
}

/// A snapshot as an [`Input`] whose processes may be stand-ins for records another snapshot holds
/// (`model`, see [`compare_shared`]); with the pids whose records both snapshots share (`settled`),
/// and its findings when already computed.
struct Shared<'a, 'm> {
    snapshot: &'a Snapshot,
    model: &'m (dyn Fn(&Process) -> Option<&'a Process> + Sync),
    settled: &'m HashSet<i32>,
    next: usize,
    findings: Option<Vec<crate::check::Finding>>,
}

impl<'a> Input<'a> for Shared<'a, '_> {
    fn process(&self, pid: i32) -> Option<Cow<'a, Process>> {
        let p = self.snapshot.process(pid)?;
        Some(Cow::Borrowed((self.model)(p).unwrap_or(p)))
    }

    fn next_process(&mut self) -> Option<Cow<'a, Process>> {
        let p = self.snapshot.processes.get(self.next)?;
        self.next += 1;
        Some(Cow::Borrowed((self.model)(p).unwrap_or(p)))
    }

    fn warnings(&mut self) -> Vec<Warning> {
        self.snapshot.warnings.clone()
    }

    fn findings(&mut self, opts: &crate::check::Options) -> Vec<crate::check::Finding> {
        match self.findings.take() {
            Some(f) => f,
            None => shared_findings(self.snapshot, self.model, self.settled, opts),
        }
    }
}

/// What `check` (with the rules and allowlist of `opts`) finds in `snapshot`, whose stand-ins' records
/// `model` gives, but for the per-process findings of the `settled` pids (see
/// [`crate::check::check_shared`]).
fn shared_findings<'a>(
    snapshot: &'a Snapshot,
    model: &(dyn Fn(&Process) -> Option<&'a Process> + Sync),
    settled: &HashSet<i32>,
    opts: &crate::check::Options,
) -> Vec<crate::check::Finding> {
    crate::check::check_shared(snapshot, model, settled, opts).findings
}

/// [`compare`] of OLD with NEW when some of NEW's processes are stand-ins: `model(p)` gives, for such a
/// process `p` of NEW, OLD's process built from the same evidence bytes, whose records (all but what
/// NEW's own events say of it: see `check::view::Scene::shared`) are NEW's too; `shared` names those
/// pids. The result is that of [`compare`] of OLD with NEW whole. Each side's findings are computed at
/// the same time, without the per-process rules' findings for the shared pids, which are the same on
/// both sides and so would cancel (see [`crate::check::Scope::Process`]).
pub fn compare_shared<'a>(
    old: &'a Snapshot,
    new: &'a Snapshot,
    model: &(dyn Fn(&Process) -> Option<&'a Process> + Sync),
    shared: &HashSet<i32>,
    opts: &Options,
) -> crate::Result<Diff> {
    let no_model = |_: &Process| None;
    let none = HashSet::new();
    // A per-process rule finds the same in both only when it reads them as inputs of one class.
    let settled = if crate::check::InputClass::of(old) == crate::check::InputClass::of(new) {
        shared
    } else {
        &none
    };
    let mut old_in = Shared {
        snapshot: old,
        model: &no_model,
        settled,
        next: 0,
        findings: None,
    };
    let mut new_in = Shared {
        snapshot: new,
        model,
        settled,
        next: 0,
        findings: None,
    };
    let same_os = match (&old.source.os, &new.source.os) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    if same_os && opts.wants_kind(Kind::Findings) && old.core.is_some() == new.core.is_some() {
        let (a, b) = std::thread::scope(|s| {
            let b = s.spawn(|| shared_findings(new, model, settled, &opts.check));
            let a = shared_findings(old, &no_model, settled, &opts.check);
            (a, b.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        (old_in.findings, new_in.findings) = (Some(a), Some(b));
    }
    compare_inputs(old, &mut old_in, new, &mut new_in, opts)
}

/// What a walk saw of one side: how many processes, and each one's start time (for the transients).
#[derive(Default)]
struct Seen {
    count: usize,
    starts: HashMap<i32, Option<Timestamp>>,
}

/// The next process of `input`, counted in `seen`.
fn next<'x>(input: &mut dyn Input<'x>, seen: &mut Seen) -> Option<Cow<'x, Process>> {
    let p = input.next_process()?;
    seen.count += 1;
    seen.starts.entry(p.pid).or_insert(p.start_time);
    Some(p)
}

/// [`compare`] over two [`Input`]s: each side's processes are walked once, in pid order, and each pair
/// is compared and dropped. `old` and `new` are the snapshots without their processes (host, capture,
/// source, events); their `processes` are not read, except a core's (a core is read whole: its one
/// process is looked up in the other side's snapshot, which must then be whole too). The result is
/// that of [`compare`] of the two whole snapshots.
pub fn compare_inputs<'a, 'b>(
    old: &Snapshot,
    old_in: &mut dyn Input<'a>,
    new: &Snapshot,
    new_in: &mut dyn Input<'b>,
    opts: &Options,
) -> crate::Result<Diff> {
    if let (Some(a), Some(b)) = (&old.source.os, &new.source.os) {
        if a != b {
            return Err(crate::Error::Usage(format!(
                "cannot compare records of different operating systems: {} ({a}) and {} ({b})",
                old.source.path, new.source.path
            )));
        }
    }
    let mut diff = Diff {
        old: side(old),
        new: side(new),
        same_boot: system::same_boot(old, new),
        ..Diff::default()
    };
    (diff.interval_secs, diff.interval_source) = system::interval(old, new, diff.same_boot);
    if diff.interval_secs.is_some_and(|i| i <= 0.0) {
        diff.notes.push(format!(
            "NEW was taken {} OLD: were the inputs given in the wrong order? Rates are not computed",
            if diff.interval_secs == Some(0.0) { "at the same time as" } else { "before" }
        ));
    }
    if diff.same_boot == Some(false) {
        diff.notes.push(
            "the snapshots are of different boots: no process is in both, so every process of OLD \
             exited and every process of NEW started"
                .into(),
        );
    }
    if old.host.hostname.is_some()
        && new.host.hostname.is_some()
        && old.host.hostname != new.host.hostname
    {
        diff.notes
            .push("the snapshots are of different hosts".into());
    }
    let host_ns = |i: &dyn Input<'_>| {
        i.process(1)
            .as_deref()
            .map(process::host_namespaces)
            .unwrap_or_default()
    };
    let ctx = process::Context {
        opts,
        interval: diff.interval_secs.filter(|i| *i > 0.0),
        host_ns: [host_ns(&*old_in), host_ns(&*new_in)],
        // A core names only file mappings: its [vdso], [heap] and [stack] look anonymous.
        anon_maps: (old.core.is_some()) == (new.core.is_some()),
    };
    let core_pids = core_pids(old, new)?;
    if let Some(pids) = &core_pids {
        diff.notes.push(format!(
            "a core holds one process: only pid {} is compared{}",
            pids.iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if ctx.anon_maps {
                ""
            } else {
                " (anonymous mappings are not, as a core does not name [vdso], [heap], [stack])"
            }
        ));
    }
    let wanted =
        |pid: i32| opts.wants_pid(pid) && core_pids.as_ref().is_none_or(|c| c.contains(&pid));
    let same_boot = diff.same_boot != Some(false);
    // What check finds in each side, when wanted: each side's check reads that side whole, one side
    // after the other, before the walk.
    let findings = if opts.wants_kind(Kind::Findings) && old.core.is_some() == new.core.is_some() {
        Some((old_in.findings(&opts.check), new_in.findings(&opts.check)))
    } else {
        None
    };
    let mut changes = Vec::new();
    let mut seen = [Seen::default(), Seen::default()];
    let mut p = next(old_in, &mut seen[0]);
    let mut q = next(new_in, &mut seen[1]);
    loop {
        match (p.as_deref(), q.as_deref()) {
            (Some(pp), Some(qq)) if pp.pid == qq.pid => {
                if wanted(pp.pid) {
                    let id = identity(pp, qq);
                    if same_boot && std::ptr::eq(pp, qq) {
                        // A process NEW shares with OLD (the same records, see `compare_shared`):
                        // nothing of it differs.
                    } else if same_boot && !matches!(id, Identity::Different) {
                        let before = changes.len();
                        ctx.compare(pp, qq, &mut changes);
                        // Fields are compared in a natural order; the output groups them by kind.
                        changes[before..].sort_by_key(|c| c.kind);
                        if matches!(id, Identity::PidOnly) {
                            for c in &mut changes[before..] {
                                c.note = Some(join_note(
                                    c.note.take(),
                                    "matched by pid alone: one input has no start time",
                                ));
                            }
                        }
                    } else {
                        let reused = same_boot;
                        let before = changes.len();
                        ctx.exited(pp, reused.then_some(qq), &mut changes);
                        ctx.started(qq, reused.then_some(pp), &mut changes);
                        let evidence = [exit_evidence(pp, new), reuse_evidence(pp.pid, old, new)];
                        annotate(&mut changes[before..], &evidence);
                    }
                }
                p = next(old_in, &mut seen[0]);
                q = next(new_in, &mut seen[1]);
            }
            (Some(pp), qq) if qq.is_none_or(|qq| pp.pid < qq.pid) => {
                if wanted(pp.pid) {
                    let before = changes.len();
                    ctx.exited(pp, None, &mut changes);
                    annotate(&mut changes[before..], &[exit_evidence(pp, new), None]);
                }
                p = next(old_in, &mut seen[0]);
            }
            (_, Some(qq)) => {
                if wanted(qq.pid) {
                    ctx.started(qq, None, &mut changes);
                }
                q = next(new_in, &mut seen[1]);
            }
            (_, None) => break,
        }
    }
    drop((p, q));
    diff.old.processes = seen[0].count;
    diff.new.processes = seen[1].count;
    diff.old.warnings = old_in.warnings();
    diff.new.warnings = new_in.warnings();
    if opts.wants_kind(Kind::System) {
        let mut system = Vec::new();
        system::changes(old, new, [seen[0].count, seen[1].count], opts, &mut system);
        changes.splice(0..0, system);
    }
    let mut resort = false;
    if opts.wants_kind(Kind::Transient) && same_boot {
        transient(old, new, &seen, opts, &wanted, &mut changes);
        resort = true;
    }
    if opts.wants_kind(Kind::Findings) {
        if let Some((before, after)) = findings {
            findings::changes(before, after, opts, &wanted, &mut changes);
            resort = true;
        } else {
            diff.notes.push(
                "findings are not compared between a core and a snapshot: they hold different records \
                 of the process"
                    .into(),
            );
        }
    }
    if resort {
        // System changes first, then by pid (stable: a pid's own changes keep their order).
        changes.sort_by_key(|c| (c.kind != Kind::System, c.pid));
    }
    diff.changes = changes;
    Ok(diff)
}

/// Adds the events' evidence to the `exited` (first) and `started` (second) changes just made.
fn annotate(changes: &mut [Change], evidence: &[Option<String>; 2]) {
    for c in changes {
        let note = match c.kind {
            Kind::Exited => evidence[0]
                .as_deref()
                .into_iter()
                .chain(evidence[1].as_deref()),
            Kind::Started => None.into_iter().chain(evidence[1].as_deref()),
            _ => continue,
        };
        for n in note.collect::<Vec<_>>() {
            c.note = Some(join_note(c.note.take(), n));
        }
    }
}

/// How OLD's process `p` exited, when a capture's events saw it: OLD's (it exited during OLD's watch)
/// or NEW's (it exited while NEW was captured).
fn exit_evidence(p: &Process, new: &Snapshot) -> Option<String> {
    let text = |e: &crate::model::ProcessEvents, side: &str| {
        let how = e.exit_text()?;
        Some(match e.exited {
            Some(t) => format!("{how} at {} ({side}'s events)", t.rfc3339()),
            None => format!("{how} ({side}'s events)"),
        })
    };
    if let Some(e) = &p.events {
        if let Some(t) = text(e, "OLD") {
            return Some(t);
        }
    }
    let log = new.events.as_ref()?;
    log.processes
        .iter()
        .filter(|q| q.pid == p.pid)
        .filter_map(|q| q.events.as_ref())
        .find(|e| e.forked.is_none())
        .and_then(|e| text(e, "NEW"))
}

/// The exit of `pid`'s earlier process and the fork of its later one, when either side's events hold
/// both: the pid reuse is then confirmed, not inferred from start times.
fn reuse_evidence(pid: i32, old: &Snapshot, new: &Snapshot) -> Option<String> {
    for (side, s) in [("NEW", new), ("OLD", old)] {
        let Some(log) = &s.events else { continue };
        let own = |kind: &str| {
            log.events
                .iter()
                .filter(|e| e.kind == kind && e.pid == Some(pid) && e.tgid == Some(pid))
                .filter_map(|e| e.time)
                .next_back()
        };
        if let (Some(exit), Some(fork)) = (own("exit"), own("fork")) {
            if exit <= fork {
                return Some(format!(
                    "pid reuse confirmed by {side}'s events: exit at {}, fork at {}",
                    exit.rfc3339(),
                    fork.rfc3339()
                ));
            }
        }
    }
    None
}

/// Processes known only from either side's events that exited: they lived and died around a capture
/// and are in neither scan.
fn transient(
    old: &Snapshot,
    new: &Snapshot,
    walked: &[Seen; 2],
    opts: &Options,
    wanted: &dyn Fn(i32) -> bool,
    changes: &mut Vec<Change>,
) {
    let mut seen = BTreeSet::new();
    // Only lives inside the interval count: a process that started after OLD's capture was closed (events
    // up to then, the --watch window included, describe OLD's own moment, not a change since). A snapshot
    // compared with itself therefore has no transients.
    let boundary = old.capture.as_ref().and_then(|c| c.finished);
    for (side, s, other) in [("OLD", old, &walked[1]), ("NEW", new, &walked[0])] {
        let Some(log) = &s.events else { continue };
        for p in &log.processes {
            let Some(e) = &p.events else { continue };
            let Some(how) = e.exit_text() else { continue };
            if let Some(b) = boundary
                && e.forked
                    .or(e.exited)
                    .is_none_or(|t| t.as_secs_f64() <= b.as_secs_f64())
            {
                continue;
            }
            if !wanted(p.pid) || !opts.wants(Kind::Transient, "process") {
                continue;
            }
            // The same short life seen by both captures is reported once.
            if !seen.insert((p.pid, p.start_time, e.exited)) {
                continue;
            }
            // Read by the other side's scan: then it is no transient of the interval.
            if other.starts.get(&p.pid).is_some_and(|q| {
                q.is_some()
                    && p.start_time.is_some_and(|t| {
                        (t.as_secs_f64() - q.map_or(0.0, |x| x.as_secs_f64())).abs() <= 1.0
                    })
            }) {
                continue;
            }
            let mut note = String::new();
            if let Some(t) = e.forked {
                note.push_str(&format!("started {}, ", t.rfc3339()));
            }
            note.push_str(&how);
            if let Some(t) = e.exited {
                note.push_str(&format!(" at {}", t.rfc3339()));
            }
            note.push_str(&format!("; known only from {side}'s process events"));
            if let Some(pp) = p.ppid {
                note.push_str(&format!("; parent {pp}"));
            }
            changes.push(Change {
                kind: Kind::Transient,
                pid: Some(p.pid),
                start_time: p.start_time,
                comm: p.comm.clone(),
                field: "process".into(),
                old: None,
                new: Some(Value::String(p.command_line())),
                delta: None,
                rate: None,
                highlight: false,
                note: Some(note),
            });
        }
    }
}

/// When a side is a core: the pids it holds, which must be on the other side too (a core is one process:
/// the other side's other processes did not start or exit, and a process in one side only is nothing to
/// compare).
fn core_pids(old: &Snapshot, new: &Snapshot) -> crate::Result<Option<BTreeSet<i32>>> {
    let mut pids = BTreeSet::new();
    for (core, other, name) in [(old, new, "NEW"), (new, old, "OLD")] {
        if core.core.is_none() {
            continue;
        }
        for p in &core.processes {
            if other.process(p.pid).is_none() {
                return Err(crate::Error::NotFound(format!(
                    "the core {} holds pid {}, which is not in {name} ({}): nothing to compare",
                    core.source.path, p.pid, other.source.path
                )));
            }
            pids.insert(p.pid);
        }
    }
    Ok((old.core.is_some() || new.core.is_some()).then_some(pids))
}

/// How two processes with the same pid relate.
enum Identity {
    /// The same process.
    Same,
    /// Different processes (the pid was reused).
    Different,
    /// One side has no start time: assumed the same.
    PidOnly,
}

fn identity(p: &Process, q: &Process) -> Identity {
    if let (Some(a), Some(b)) = (p.start_ticks, q.start_ticks) {
        return if a == b {
            Identity::Same
        } else {
            Identity::Different
        };
    }
    if let (Some(a), Some(b)) = (p.start_time, q.start_time) {
        return if (a.as_secs_f64() - b.as_secs_f64()).abs() <= 1.0 {
            Identity::Same
        } else {
            Identity::Different
        };
    }
    Identity::PidOnly
}

pub(crate) fn join_note(a: Option<String>, b: &str) -> String {
    match a {
        Some(a) => format!("{a}; {b}"),
        None => b.to_string(),
    }
}

fn side(s: &Snapshot) -> Side {
    Side {
        source: s.source.clone(),
        hostname: s.host.hostname.clone(),
        boot_id: s.host.boot_id.clone(),
        boot_time: s.host.boot_time,
        captured: s.capture.as_ref().and_then(|c| c.started),
        uptime_secs: s.host.uptime_secs,
        // Counted by the walk.
        processes: 0,
        // Given by the input once walked.
        warnings: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
