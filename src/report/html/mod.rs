//! `report`: one self-contained HTML page of a snapshot, or of a diff, to hand over.
//!
//! The page is made of the same reports the command line prints: the header is `info`'s fields, each
//! process's detail is `show`, `files`, `maps` and `threads` of that process, a diff's changes are
//! `diff`'s rows. Nothing is decoded here; this module only lays those reports out as HTML, draws the
//! pictures (SVG, [`svg`]) and builds the process tree.
//!
//! Escaping: every value from the evidence goes through [`Ev`], which applies the terminal's escape of
//! control and format characters ([`visible`]) and then maud's HTML escape (`&`, `<`, `>`, `"`), in text,
//! attributes and SVG text alike. The only markup not built by maud's macros is the tree's structure
//! (`<ul>`, `<li>`, `<details>`), written here from constants. The page loads nothing: one inline style
//! sheet and one inline script ([`assets`]), allowed by their hashes in a Content-Security-Policy that
//! forbids everything else; everything but search and collapse-all works without the script (the tree
//! folds with `<details>`, a process's detail opens with its `#p<pid>` link through CSS `:target`).

mod assets;
mod svg;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use maud::{DOCTYPE, Markup, PreEscaped, Render, html};

use super::text::Block;
use super::{Cell, Filter, Table, escape::visible};
use crate::check::{Finding, NotChecked, Outcome, Severity};
use crate::diff::{Change, Diff, Kind};
use crate::model::{Process, Snapshot};
use crate::snapshot::reader::VerifyReport;
use crate::time::Timestamp;

pub use assets::{content_security_policy, hash_source};

/// One input of the page, with what was learned about the file itself.
pub struct Evidence<'a> {
    /// The model.
    pub snapshot: &'a Snapshot,
    /// Every member checked against the manifest (archives with a manifest).
    pub verify: Option<&'a VerifyReport>,
    /// SHA-256 of the input file as given (hex), when it is one file.
    pub sha256: Option<&'a str>,
    /// Size of the input file in bytes, when it is one file.
    pub size: Option<u64>,
    /// What `check` found in the model as captured (before `--redact`, with `--redact` applied to the
    /// findings' text); `None` when the rules were not run, which the page says.
    pub findings: Option<&'a Outcome>,
}

/// How the page was made.
#[derive(Clone, Debug)]
pub struct Options {
    /// Whether `--redact` was given (the models are already redacted; the page says so).
    pub redacted: bool,
    /// When the page was rendered.
    pub generated: Timestamp,
}

/// Text from the evidence (or any text): control and format characters escaped as the terminal shows them
/// ([`visible`]), then HTML-escaped by maud. The one way a value reaches the page.
struct Ev<'a>(&'a str);

impl Render for Ev<'_> {
    fn render_to(&self, buffer: &mut String) {
        visible(self.0).as_ref().render_to(buffer);
    }
}

/// What a diff says about a process in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Plain,
    Started,
    Exited,
    Changed,
}

/// A process drawn in the tree and given a detail panel.
struct Node<'a> {
    p: &'a Process,
    /// The snapshot it belongs to (OLD for an exited process of a diff).
    snap: &'a Snapshot,
    /// Its element id (`p<pid>`; `x<pid>` for an exited process of a diff), unique in the page.
    id: String,
    mark: Mark,
    /// The diff's changes of this process.
    changes: Vec<&'a Change>,
    /// The findings about this process, with what a diff says of each (`""` on a snapshot page, `new`,
    /// `resolved`, `in both`).
    findings: Vec<(&'a Finding, &'static str)>,
}

/// The page of one snapshot.
pub fn snapshot_page(ev: &Evidence, opts: &Options) -> String {
    let s = ev.snapshot;
    let mut ids = Ids::default();
    let mut nodes: Vec<Node> = s
        .processes
        .iter()
        .map(|p| Node {
            p,
            snap: s,
            id: ids.make('p', p),
            mark: Mark::Plain,
            changes: Vec::new(),
            findings: Vec::new(),
        })
        .collect();
    let found: Vec<&Finding> = ev
        .findings
        .map(|o| o.findings.iter().collect())
        .unwrap_or_default();
    let anchors = attach(&mut nodes, found.iter().map(|f| (*f, "")));
    let host = s.host.hostname.as_deref().unwrap_or("unknown host");
    let title = format!("procsift report: {host}");
    let ids_by_pid = ids.by_pid;
    let body = html! {
        header.top {
            h1 { "Process report: " (Ev(host)) }
            p { (Ev(&subtitle(s))) }
        }
        nav {
            a href="#findings" { "Findings (" (ev.findings.map_or("not run".to_string(), |o| o.findings.len().to_string())) ")" }
            a href="#summary" { "Summary" }
            a href="#pictures" { "Pictures" }
            a href="#processes" { "Processes" }
            a href="#warnings" { "Warnings (" (s.warnings.len()) ")" }
        }
        main {
            (findings_section(ev.findings, &found, &anchors, &ids_of(&nodes)))
            section #summary {
                h2 { "Summary" }
                (evidence_cards(ev, opts))
            }
            section #pictures {
                h2 { "Pictures" }
                h3 { "Process starts and recorded events" }
                (svg::timeline(s))
                div.cards {
                    div.card {
                        h3 { "Resident memory by process (top " (svg::TOP) ")" }
                        (svg::top_bars(s, &ids_by_pid, svg::Measure::Rss))
                    }
                    div.card {
                        h3 { "CPU time by process (top " (svg::TOP) ")" }
                        (svg::top_bars(s, &ids_by_pid, svg::Measure::Cpu))
                    }
                }
            }
            (processes_section(&nodes, None))
            (warnings_section(&[(None, s)]))
        }
        (footer(opts))
    };
    page(&title, body)
}

/// The page of a diff: both inputs, the changes, and the tree of NEW with the processes that started,
/// exited (drawn under their old parent) and changed marked.
pub fn diff_page(old: &Evidence, new: &Evidence, diff: &Diff, opts: &Options) -> String {
    let mut ids = Ids::default();
    // Changes per pid; started and exited processes are keyed by pid and start time.
    let mut by_pid: BTreeMap<i32, Vec<&Change>> = BTreeMap::new();
    for c in &diff.changes {
        if let Some(pid) = c.pid {
            by_pid.entry(pid).or_default().push(c);
        }
    }
    let started = |p: &Process| {
        by_pid.get(&p.pid).is_some_and(|cs| {
            cs.iter()
                .any(|c| c.kind == Kind::Started && same_start(c, p))
        })
    };
    let mut nodes: Vec<Node> = Vec::new();
    for p in &new.snapshot.processes {
        let is_started = started(p);
        let changes: Vec<&Change> = by_pid
            .get(&p.pid)
            .into_iter()
            .flatten()
            .copied()
            .filter(|c| {
                !matches!(c.kind, Kind::Exited | Kind::Transient)
                    && (c.kind != Kind::Started || same_start(c, p))
            })
            .collect();
        // Marked as changed for what a reader looks for: cpu, memory and io move by themselves on a
        // running host (they are still in the process's detail).
        let mark = if is_started {
            Mark::Started
        } else if changes
            .iter()
            .any(|c| !matches!(c.kind, Kind::Cpu | Kind::Memory | Kind::Io))
        {
            Mark::Changed
        } else {
            Mark::Plain
        };
        nodes.push(Node {
            p,
            snap: new.snapshot,
            id: ids.make('p', p),
            mark,
            changes,
            findings: Vec::new(),
        });
    }
    for p in &old.snapshot.processes {
        let exited: Vec<&Change> = by_pid
            .get(&p.pid)
            .into_iter()
            .flatten()
            .copied()
            .filter(|c| c.kind == Kind::Exited && same_start(c, p))
            .collect();
        if !exited.is_empty() {
            nodes.push(Node {
                p,
                snap: old.snapshot,
                id: ids.make('x', p),
                mark: Mark::Exited,
                changes: exited,
                findings: Vec::new(),
            });
        }
    }
    // Findings: new in NEW, resolved (in OLD only), in both; a process with a new or resolved finding
    // is marked changed.
    let split = FindingsDiff::new(old.findings, new.findings);
    let anchors = attach(
        &mut nodes,
        split
            .new
            .iter()
            .map(|f| (*f, "new"))
            .chain(split.resolved.iter().map(|f| (*f, "resolved")))
            .chain(split.both.iter().map(|f| (*f, "in both"))),
    );
    for n in &mut nodes {
        if n.mark == Mark::Plain && n.findings.iter().any(|(_, l)| *l != "in both") {
            n.mark = Mark::Changed;
        }
    }
    let count = |m: Mark| nodes.iter().filter(|n| n.mark == m).count();
    let (n_started, n_exited, n_changed) = (
        count(Mark::Started),
        count(Mark::Exited),
        count(Mark::Changed),
    );
    let host = new
        .snapshot
        .host
        .hostname
        .as_deref()
        .or(old.snapshot.host.hostname.as_deref())
        .unwrap_or("unknown host");
    let title = format!("procsift diff: {host}");
    let summary = diff.summary();
    let system: Vec<&Change> = diff
        .changes
        .iter()
        .filter(|c| c.pid.is_none() || c.kind == Kind::Transient)
        .collect();
    let body = html! {
        header.top {
            h1 { "What changed: " (Ev(host)) }
            p { (Ev(&subtitle(old.snapshot))) " → " (Ev(&subtitle(new.snapshot))) }
        }
        nav {
            a href="#findings" { "Findings (" (split.new.len()) " new, " (split.resolved.len()) " resolved)" }
            a href="#summary" { "Summary" }
            a href="#tree-changes" { "On the tree" }
            a href="#changes" { "Host-wide" }
            a href="#processes" { "Processes" }
            a href="#warnings" { "Warnings" }
        }
        main {
            (diff_findings_section(&split, old.findings, new.findings, &anchors, &ids_of(&nodes)))
            section #summary {
                h2 { "Summary" }
                div.cards {
                    div.card {
                        h3 { "Between the snapshots" }
                        table.kv {
                            tr { th { "interval" } td { (Ev(&match diff.interval_secs {
                                Some(i) => format!("{i:.3} s ({})", diff.interval_source),
                                None => diff.interval_source.clone(),
                            })) } }
                            tr { th { "same boot" } td { (match diff.same_boot { Some(true) => "yes", Some(false) => "no", None => "unknown" }) } }
                            tr { th { "started" } td.m-s { (n_started) } }
                            tr { th { "exited" } td.m-x { (n_exited) } }
                            tr { th { "changed" } td.m-c { (n_changed) } }
                            tr { th { "changes" } td { (diff.changes.len()) } }
                        }
                        @for n in &diff.notes { p { "note: " (Ev(n)) } }
                    }
                    div.card {
                        h3 { "Changes by kind" }
                        (svg::kind_bars(&summary))
                    }
                }
                div.cards {
                    div.card { h3 { "OLD" } (evidence_table(old, opts)) }
                    div.card { h3 { "NEW" } (evidence_table(new, opts)) }
                }
            }
            section #tree-changes {
                h2 { "Started, exited and changed, on the tree" }
                (svg::change_tree(&nodes, &forest(&nodes)))
            }
            section #changes {
                h2 { "Host-wide changes and processes seen only in events" }
                @if system.is_empty() {
                    p.hint { "none" }
                } @else {
                    (table(&super::diff::change_table(&system), &[]))
                }
            }
            (processes_section(&nodes, Some((n_started, n_exited, n_changed))))
            (warnings_section(&[(Some("OLD"), old.snapshot), (Some("NEW"), new.snapshot)]))
        }
        (footer(opts))
    };
    page(&title, body)
}

/// Whether a started/exited change is about `p` (same start time, or no start time to tell).
fn same_start(c: &Change, p: &Process) -> bool {
    match (c.start_time, p.start_time) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// Element ids: `p<pid>` (or `x<pid>`), with `-2`, `-3`, ... for a pid met again.
#[derive(Default)]
struct Ids {
    used: BTreeSet<String>,
    /// The first id given to each pid (`p` ids only): what pictures and findings link to.
    by_pid: HashMap<i32, String>,
}

impl Ids {
    fn make(&mut self, prefix: char, p: &Process) -> String {
        let base = match p.known_pid() {
            Some(pid) => format!("{prefix}{pid}"),
            None => format!("{prefix}-unknown"),
        };
        let mut id = base.clone();
        let mut n = 1;
        while self.used.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.used.insert(id.clone());
        if prefix == 'p' {
            self.by_pid.entry(p.pid).or_insert_with(|| id.clone());
        }
        id
    }
}

/// The whole document around `body`: the policy, the style sheet, the script.
fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(content_security_policy());
                meta name="referrer" content="no-referrer";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (Ev(title)) }
                style { (PreEscaped(assets::CSS)) }
            }
            body {
                (body)
                script { (PreEscaped(assets::JS)) }
            }
        }
    }
    .into_string()
}

/// `linux archive host.tar, captured 2026-11-22T12:00:00Z`.
fn subtitle(s: &Snapshot) -> String {
    let kind = serde_json::to_value(s.source.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut out = format!(
        "{} {kind} {}",
        s.source.os.as_deref().unwrap_or(""),
        s.source.path
    );
    if let Some(t) = s.capture.as_ref().and_then(|c| c.started) {
        let _ = write!(out, ", captured {}", t.rfc3339());
    }
    out.trim().to_string()
}

/// The header cards of one snapshot: host facts and counts (`info`), the capture window, chain of
/// custody, and the file's hash and verification.
fn evidence_cards(ev: &Evidence, opts: &Options) -> Markup {
    let s = ev.snapshot;
    let info = super::info(s);
    let fields: Vec<(String, String)> = info
        .text
        .iter()
        .flatten()
        .filter_map(|b| match b {
            Block::Fields { fields, .. } => Some(fields.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let pick = |names: &[&str]| -> Vec<(String, String)> {
        fields
            .iter()
            .filter(|(k, _)| names.contains(&k.as_str()))
            .cloned()
            .collect()
    };
    let host = pick(&[
        "hostname",
        "kernel",
        "kernel version",
        "os",
        "byte order / data model",
        "page size / clock ticks",
        "boot time",
        "boot id",
        "uptime",
        "load average",
        "cpus",
        "memory total / available",
    ]);
    let window = pick(&[
        "input",
        "captured by",
        "capture started",
        "capture finished",
        "capture took",
        "process events",
        "core written by",
        "core architecture",
        "core kernel",
        "core signal",
        "core notes",
    ]);
    let counts = pick(&[
        "processes",
        "threads",
        "open fds",
        "warnings",
        "members",
        "members not read",
        "vanished during capture",
    ]);
    html! {
        div.cards {
            div.card { h3 { "Host" } (kv(&host)) }
            div.card { h3 { "Capture" } (kv(&window)) }
            div.card {
                h3 { "Chain of custody" }
                (custody(ev, opts))
            }
            div.card { h3 { "Counts" } (kv(&counts)) }
        }
    }
}

/// Case, examiner, note, the file's hash and size, and what `verify` says.
fn custody(ev: &Evidence, opts: &Options) -> Markup {
    let c = ev.snapshot.capture.as_ref();
    let field = |v: Option<&String>| v.map_or("- (not recorded)".to_string(), |v| v.clone());
    html! {
        table.kv {
            tr { th { "case" } td { (Ev(&field(c.and_then(|c| c.case.as_ref())))) } }
            tr { th { "examiner" } td { (Ev(&field(c.and_then(|c| c.examiner.as_ref())))) } }
            tr { th { "note" } td { (Ev(&field(c.and_then(|c| c.note.as_ref())))) } }
            tr { th { "file SHA-256" } td.mono { (Ev(ev.sha256.unwrap_or("- (not a single file)"))) } }
            @if let Some(size) = ev.size { tr { th { "file size" } td { (size) " bytes" } } }
            tr {
                th { "verify" }
                td {
                    @match ev.verify {
                        Some(v) if v.is_ok() => { span.ok { "intact" } " " (Ev(&v.to_string())) },
                        Some(v) => { span.bad { "NOT INTACT" } " " (Ev(&v.to_string())) },
                        None => "- (no manifest to verify against)",
                    }
                }
            }
            tr { th { "redacted" } td { (if opts.redacted { "yes: environment values and secret-looking arguments are hidden (--redact)" } else { "no" }) } }
        }
    }
}

/// The facts of one side of a diff, in one table.
fn evidence_table(ev: &Evidence, opts: &Options) -> Markup {
    let info = super::info(ev.snapshot);
    let fields: Vec<(String, String)> = info
        .text
        .iter()
        .flatten()
        .filter_map(|b| match b {
            Block::Fields { fields, .. } => Some(fields.clone()),
            _ => None,
        })
        .flatten()
        .filter(|(k, _)| {
            [
                "input",
                "hostname",
                "kernel",
                "boot time",
                "boot id",
                "capture started",
                "capture finished",
                "processes",
                "warnings",
            ]
            .contains(&k.as_str())
        })
        .collect();
    html! { (kv(&fields)) (custody(ev, opts)) }
}

/// How many pids a "not checked" line links before `and N more`.
const NOT_CHECKED_PIDS: usize = 20;

/// Gives each finding about a process to that process's node (same pid and start time; a finding
/// without a start time, or a process without one, goes to the first node of its pid, preferring one
/// that did not exit), and returns the element id each finding links to, by the finding's address.
fn attach<'a>(
    nodes: &mut [Node<'a>],
    findings: impl Iterator<Item = (&'a Finding, &'static str)>,
) -> HashMap<*const Finding, String> {
    let mut by_pid: HashMap<i32, Vec<usize>> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if let Some(pid) = n.p.known_pid() {
            by_pid.entry(pid).or_default().push(i);
        }
    }
    let mut anchors = HashMap::new();
    for (f, label) in findings {
        let Some(candidates) = f.pid.and_then(|pid| by_pid.get(&pid)) else {
            continue;
        };
        let exact = candidates
            .iter()
            .copied()
            .find(|&i| f.start_time.is_some() && nodes[i].p.start_time == f.start_time);
        let loose = || {
            candidates
                .iter()
                .copied()
                .filter(|&i| match (f.start_time, nodes[i].p.start_time) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                })
                .min_by_key(|&i| nodes[i].mark == Mark::Exited)
        };
        if let Some(i) = exact.or_else(loose) {
            anchors.insert(std::ptr::from_ref(f), nodes[i].id.clone());
            nodes[i].findings.push((f, label));
        }
    }
    anchors
}

/// `high` etc. as a coloured label.
fn severity(s: Severity) -> Markup {
    html! { span class={ "sev s-" (s.name()) } { (s.name()) } }
}

/// A table of findings, most severe first (the order `check` gives), each linked to its process.
fn findings_table(findings: &[&Finding], anchors: &HashMap<*const Finding, String>) -> Markup {
    html! {
        table.findings {
            thead { tr { th { "SEVERITY" } th { "RULE" } th.n { "PID" } th { "COMMAND" } th { "SUMMARY AND EVIDENCE" } } }
            tbody {
                @for f in findings {
                    tr {
                        td { (severity(f.severity)) }
                        td { (Ev(&f.rule)) div.u { (Ev(&f.attack)) } }
                        td.n {
                            @match (f.pid, anchors.get(&std::ptr::from_ref(*f))) {
                                (Some(pid), Some(id)) => a href={ "#" (id) } { (pid) },
                                (Some(pid), None) => (pid),
                                (None, _) => span.u { "host" },
                            }
                        }
                        td { (Ev(&f.comm.as_ref().map_or("-".to_string(), |c| c.escaped()))) }
                        td {
                            (Ev(&f.summary))
                            ul.ev { @for e in &f.evidence { li { span.u { (Ev(&e.member)) } " " (Ev(&e.detail)) } } }
                        }
                    }
                }
            }
        }
    }
}

/// What the rules could not check, per rule, with the reason and the processes (linked).
fn not_checked_list(list: &[NotChecked], ids: &HashMap<i32, String>) -> Markup {
    html! {
        @if list.is_empty() {
            p.hint { "Every rule that ran could read what it needs in every process." }
        } @else {
            ul.nc {
                @for n in list {
                    li {
                        span.c { (Ev(&n.rule)) } ": " (Ev(&n.reason))
                        @if !n.pids.is_empty() {
                            " (" (n.pids.len()) (if n.pids.len() == 1 { " process: " } else { " processes: " })
                            @for (k, pid) in n.pids.iter().take(NOT_CHECKED_PIDS).enumerate() {
                                @if k > 0 { ", " }
                                @match ids.get(pid) { Some(id) => a href={ "#" (id) } { (pid) }, None => (pid) }
                            }
                            @if n.pids.len() > NOT_CHECKED_PIDS { " and " (n.pids.len() - NOT_CHECKED_PIDS) " more; `procsift check --format json` lists them all" }
                            ")"
                        }
                    }
                }
            }
        }
    }
}

/// The findings of two snapshots compared by their identity (rule, process, subject), as `diff`'s
/// `findings` kind compares them.
struct FindingsDiff<'a> {
    /// In NEW and not in OLD, most severe first.
    new: Vec<&'a Finding>,
    /// In OLD and not in NEW, most severe first.
    resolved: Vec<&'a Finding>,
    /// In both (NEW's).
    both: Vec<&'a Finding>,
}

impl<'a> FindingsDiff<'a> {
    fn new(old: Option<&'a Outcome>, new: Option<&'a Outcome>) -> FindingsDiff<'a> {
        let (Some(old), Some(new)) = (old, new) else {
            return FindingsDiff {
                new: Vec::new(),
                resolved: Vec::new(),
                both: Vec::new(),
            };
        };
        let before: BTreeSet<_> = old.findings.iter().map(Finding::key).collect();
        let after: BTreeSet<_> = new.findings.iter().map(Finding::key).collect();
        let (both, new_only) = new.findings.iter().partition(|f| before.contains(&f.key()));
        FindingsDiff {
            new: new_only,
            resolved: old
                .findings
                .iter()
                .filter(|f| !after.contains(&f.key()))
                .collect(),
            both,
        }
    }
}

/// The diff page's first section: the findings that are new in NEW, those resolved since OLD, those in
/// both (folded), and what could not be checked on either side.
fn diff_findings_section(
    split: &FindingsDiff,
    old: Option<&Outcome>,
    new: Option<&Outcome>,
    anchors: &HashMap<*const Finding, String>,
    ids: &HashMap<i32, String>,
) -> Markup {
    html! {
        section #findings {
            h2 { "Findings" }
            @if old.is_none() || new.is_none() {
                p.hint { "The rules of `procsift check` were not run on both snapshots: findings are not compared." }
            } @else {
                p.hint { "A finding is the same in both snapshots when its rule, process (pid and start time) and subject are; a resolved finding links to its process as OLD saw it." }
                h3 { "New in NEW (" (split.new.len()) ")" }
                @if split.new.is_empty() { p { span.ok { "No new findings." } } } @else { (findings_table(&split.new, anchors)) }
                h3 { "Resolved: in OLD, not in NEW (" (split.resolved.len()) ")" }
                @if split.resolved.is_empty() { p.hint { "none" } } @else { (findings_table(&split.resolved, anchors)) }
                @if !split.both.is_empty() {
                    details {
                        summary { "In both snapshots (" (split.both.len()) ")" }
                        (findings_table(&split.both, anchors))
                    }
                }
                @for (side, o) in [("OLD", old), ("NEW", new)] {
                    @if let Some(o) = o {
                        h3 { "Not checked in " (side) " (" (o.not_checked.len()) ")" }
                        (not_checked_list(&o.not_checked, ids))
                    }
                }
            }
        }
    }
}

/// The first element id of each pid (`p` ids before `x` ids): where a "not checked" pid links.
fn ids_of(nodes: &[Node]) -> HashMap<i32, String> {
    let mut out = HashMap::new();
    for n in nodes.iter().filter(|n| n.mark != Mark::Exited) {
        out.entry(n.p.pid).or_insert_with(|| n.id.clone());
    }
    for n in nodes {
        out.entry(n.p.pid).or_insert_with(|| n.id.clone());
    }
    out
}

/// The snapshot page's first section: `check`'s findings, the totals line it prints, and what could not
/// be checked.
fn findings_section(
    outcome: Option<&Outcome>,
    found: &[&Finding],
    anchors: &HashMap<*const Finding, String>,
    ids: &HashMap<i32, String>,
) -> Markup {
    html! {
        section #findings {
            h2 { "Findings" }
            @match outcome {
                None => p.hint { "The rules of `procsift check` were not run for this page." },
                Some(o) => {
                    @if found.is_empty() {
                        p { span.ok { "No findings." } " " (Ev(&super::check_totals(o, found, Severity::Info))) }
                    } @else {
                        p { (Ev(&super::check_totals(o, found, Severity::Info))) }
                        (findings_table(found, anchors))
                    }
                    h3 { "Not checked (" (o.not_checked.len()) ")" }
                    (not_checked_list(&o.not_checked, ids))
                }
            }
        }
    }
}

/// `field value` rows.
fn kv(fields: &[(String, String)]) -> Markup {
    html! {
        table.kv {
            @for (k, v) in fields { tr { th { (Ev(k)) } td { (Ev(v)) } } }
        }
    }
}

/// A report's table; columns whose header is in `skip` are left out (a process's own pid, user and
/// command, repeated on every row of its detail).
fn table(t: &Table, skip: &[&str]) -> Markup {
    let keep: Vec<usize> = (0..t.columns.len())
        .filter(|&i| !skip.contains(&t.columns[i].header.as_str()))
        .collect();
    html! {
        table {
            thead { tr { @for &i in &keep {
                @let c = &t.columns[i];
                @if c.right { th.n { (Ev(&c.header)) } } @else { th { (Ev(&c.header)) } }
            } } }
            tbody { @for row in &t.rows { tr { @for &i in &keep {
                @let cell = row.get(i).unwrap_or(&Cell::Blank);
                @if t.columns[i].right { td.n { (Ev(&cell.shown())) } } @else { td { (Ev(&cell.shown())) } }
            } } } }
        }
    }
}

/// The tree (collapsible, searchable) and one detail panel per process. `marks` are the diff's counts of
/// started, exited and changed processes (a legend), `None` for a snapshot.
fn processes_section(nodes: &[Node], marks: Option<(usize, usize, usize)>) -> Markup {
    let order = forest(nodes);
    html! {
        section #processes {
            h2 { "Processes (" (nodes.len()) ")" }
            @if let Some((s, x, c)) = marks {
                p.legend {
                    span.tag.t-s { "+" } "started (" (s) ") "
                    span.tag.t-x { "−" } "exited (" (x) ", under their old parent) "
                    span.tag.t-c { "~" } "changed, beyond cpu, memory and io (" (c) ") "
                    span.tag.t-h { "!" } "highlighted change"
                }
            }
            p.hint { "Click a pid for everything about the process (arguments, environment, credentials, namespaces, cgroup, files and sockets, maps, threads, limits); a triangle folds its children." }
            div #tools .tools hidden {
                input #q type="search" placeholder="search: pid, user, command, argument" aria-label="search processes";
                button #xa type="button" { "expand all" }
                button #ca type="button" { "collapse all" }
                span #qn {}
            }
            div #tree { (PreEscaped(tree_html(nodes, &order))) }
            (PreEscaped(details(nodes, marks.is_some())))
        }
    }
}

/// The forest in depth-first order, as (node index, depth), built without recursion (a deep ppid chain
/// cannot exhaust the stack): a process whose parent is not in `nodes` (or is itself) is a root, roots in
/// the order of `nodes`; a cycle in damaged input is cut where it closes.
fn forest(nodes: &[Node]) -> Vec<(usize, usize)> {
    // Parent: the first node with the ppid, preferring one that did not exit.
    let mut index: HashMap<i32, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if n.mark != Mark::Exited {
            index.entry(n.p.pid).or_insert(i);
        }
    }
    for (i, n) in nodes.iter().enumerate() {
        index.entry(n.p.pid).or_insert(i);
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut has_parent = vec![false; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        if let Some(&pi) = n.p.ppid.and_then(|pp| index.get(&pp)) {
            if pi != i {
                children[pi].push(i);
                has_parent[i] = true;
            }
        }
    }
    let mut seen = vec![false; nodes.len()];
    let mut out = Vec::with_capacity(nodes.len());
    // Roots first, then whatever a cycle kept from being reached.
    let order = (0..nodes.len())
        .filter(|&i| !has_parent[i])
        .chain(0..nodes.len());
    for root in order {
        let mut stack = vec![(root, 0)];
        while let Some((i, depth)) = stack.pop() {
            if seen[i] {
                continue;
            }
            seen[i] = true;
            out.push((i, depth));
            for &c in children[i].iter().rev() {
                if !seen[c] {
                    stack.push((c, depth + 1));
                }
            }
        }
    }
    out
}

/// The forest as nested lists: a process with children is a `<details>` whose summary is its line.
fn tree_html(nodes: &[Node], order: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(nodes.len() * 160);
    out.push_str("<ul>");
    // The depths of the processes whose list is open.
    let mut open: Vec<usize> = Vec::new();
    for (k, &(i, depth)) in order.iter().enumerate() {
        while open.last().is_some_and(|&d| d >= depth) {
            open.pop();
            out.push_str("</ul></details></li>");
        }
        let line = line(&nodes[i]).into_string();
        let folder = order.get(k + 1).is_some_and(|&(_, d)| d > depth);
        if folder {
            let _ = write!(
                out,
                "<li><details open><summary class=\"l\">{line}</summary><ul>"
            );
            open.push(depth);
        } else {
            let _ = write!(out, "<li><span class=\"l\">{line}</span></li>");
        }
    }
    for _ in open {
        out.push_str("</ul></details></li>");
    }
    out.push_str("</ul>");
    out
}

/// One process's line in the tree: marks, pid (the link to its detail), user, command name, arguments.
fn line(n: &Node) -> Markup {
    let p = n.p;
    let user = p
        .cred
        .euser
        .clone()
        .or_else(|| p.cred.user.clone())
        .or_else(|| p.cred.euid.or(p.cred.uid).map(|u| u.to_string()));
    let comm = p.comm.as_ref().map(|c| c.escaped());
    let highlighted = n.changes.iter().any(|c| c.highlight);
    let kinds: BTreeSet<&str> = n
        .changes
        .iter()
        .filter(|c| !matches!(c.kind, Kind::Started | Kind::Exited))
        .map(|c| c.kind.name())
        .collect();
    let class = match n.mark {
        Mark::Plain => "",
        Mark::Started => "m-s",
        Mark::Exited => "m-x",
        Mark::Changed => "m-c",
    };
    html! {
        @match n.mark {
            Mark::Started => span.tag.t-s { "+" },
            Mark::Exited => span.tag.t-x { "−" },
            Mark::Changed => span.tag.t-c { "~" },
            Mark::Plain => {},
        }
        @if highlighted { span.tag.t-h { "!" } }
        a href={ "#" (n.id) } { (p.pid_text()) }
        " "
        span.u { (Ev(user.as_deref().unwrap_or("-"))) }
        " "
        span class=(class) {
            @if let Some(c) = &comm { span.c { (Ev(c)) } " " }
            (Ev(&p.command_line()))
        }
        @if !kinds.is_empty() { " " span.m-c { "[" (Ev(&kinds.into_iter().collect::<Vec<_>>().join(", "))) "]" } }
        @if let Some(x) = p.events.as_ref().and_then(|e| e.exit_text()) { " " span.u { "[" (Ev(&x)) "]" } }
    }
}

/// Columns a process's own detail leaves out: they are the same on every row.
const OWN: &[&str] = &["PID", "USER", "COMMAND", "COMM"];

/// Up to this many processes, a page lists every mapping of every process (as `maps` does); above it,
/// each process's mapped objects (one row per file or pseudo-name), which keeps a 2,000-process page
/// small enough to attach to a ticket.
pub const FULL_MAPS_UP_TO: usize = 300;

/// A section of a process's detail: its title and its body (HTML).
struct Section {
    title: String,
    body: String,
}

/// A section shared by several processes is kept once in the page from this size on (smaller ones are
/// cheaper written in place).
const SHARED_MIN_BYTES: usize = 64;

/// A bundle of shared sections is made when at least this many processes share all of it.
const BUNDLE_MIN: usize = 4;

/// About what one link to a shared panel costs in a process's panel, in bytes.
const LINK_BYTES: usize = 50;

/// The detail panels of `nodes`, and the shared panels they point to.
///
/// A section that is the same for several processes (limits, namespaces, cgroup, an inherited
/// environment, the files and mapped objects of one program, their credentials) is written once, as a
/// panel of its own, and each process links to it. The shared sections of one process usually come
/// together (a thousand workers of one service share all of them), so they are also kept as bundles: a
/// process's shared sections, most shared first, as far as at least [`BUNDLE_MIN`] processes have them
/// all, are one panel and one link; the rest are linked one by one. The script copies what a process
/// links to in place when the process is opened; without the script each link opens its panel.
///
/// On a diff page (`diff` true), a process that did not start, exit or change (beyond cpu, memory and
/// io) gets a brief panel: its cpu, memory and io changes and where the rest is. The snapshot pages of
/// OLD and NEW have every process in full.
fn details(nodes: &[Node], diff: bool) -> String {
    let full_maps = nodes.len() <= FULL_MAPS_UP_TO;
    let brief = |n: &Node| diff && n.mark == Mark::Plain && n.findings.is_empty();
    let all: Vec<Vec<Section>> = nodes
        .iter()
        .map(|n| {
            if brief(n) {
                brief_sections(n)
            } else {
                sections(n, full_maps)
            }
        })
        .collect();
    // Each distinct section (title, body) big enough to share: its number and how many processes have it.
    let mut number: HashMap<(&str, &str), usize> = HashMap::new();
    let mut count: Vec<usize> = Vec::new();
    // Per process, per section: its number when it is big enough to share.
    let mut ids: Vec<Vec<Option<usize>>> = Vec::with_capacity(all.len());
    for secs in &all {
        let mut row = Vec::with_capacity(secs.len());
        for sec in secs {
            if sec.body.len() < SHARED_MIN_BYTES {
                row.push(None);
                continue;
            }
            let next = count.len();
            let id = *number
                .entry((sec.title.as_str(), sec.body.as_str()))
                .or_insert(next);
            if id == next {
                count.push(0);
            }
            count[id] += 1;
            row.push(Some(id));
        }
        ids.push(row);
    }
    // Each process's shared sections, most shared first: its candidate bundles are the prefixes.
    let order: Vec<Vec<usize>> = ids
        .iter()
        .map(|row| {
            let mut v: Vec<usize> = row
                .iter()
                .flatten()
                .copied()
                .filter(|&id| count[id] > 1)
                .collect();
            v.sort_by_key(|&id| (std::cmp::Reverse(count[id]), id));
            v
        })
        .collect();
    let mut prefix_count: HashMap<&[usize], usize> = HashMap::new();
    for v in &order {
        for len in 2..=v.len() {
            *prefix_count.entry(&v[..len]).or_default() += 1;
        }
    }
    // The bytes of each shared section in a panel.
    let mut size = vec![0usize; count.len()];
    for (secs, row) in all.iter().zip(&ids) {
        for (sec, id) in secs.iter().zip(row) {
            if let Some(id) = id {
                size[*id] = sec.title.len() + sec.body.len() + 9;
            }
        }
    }
    // The prefix that costs the fewest bytes per process: its share of the bundle's panel and one link,
    // plus one link per shared section left out of it (none: every section linked one by one).
    let bundle_of = |v: &[usize]| -> usize {
        let mut best = (LINK_BYTES * v.len(), 0);
        let mut bytes = 0;
        for len in 1..=v.len() {
            bytes += size[v[len - 1]];
            let Some(&c) = prefix_count.get(&v[..len]) else {
                continue;
            };
            if len < 2 || c < BUNDLE_MIN {
                continue;
            }
            let cost = bytes / c + LINK_BYTES * (v.len() - len + 1);
            if cost < best.0 {
                best = (cost, len);
            }
        }
        best.1
    };
    let mut pool = String::new();
    let mut made: BTreeSet<usize> = BTreeSet::new();
    let mut bundle_ids: HashMap<&[usize], String> = HashMap::new();
    let mut out = String::with_capacity(nodes.len() * 800);
    for (k, (n, secs)) in nodes.iter().zip(&all).enumerate() {
        let bundle = &order[k][..bundle_of(&order[k])];
        let mut body = String::new();
        let mut links = String::new();
        if !bundle.is_empty() {
            let processes = prefix_count.get(bundle).copied().unwrap_or(0);
            let next = bundle_ids.len();
            let id = bundle_ids.entry(bundle).or_insert_with(|| {
                let id = format!("b{next}");
                // In the order the process's panel has them.
                let mut inner = String::new();
                for (i, sec) in secs.iter().enumerate() {
                    if ids[k][i].is_some_and(|x| bundle.contains(&x)) {
                        push_section(&mut inner, sec);
                    }
                }
                pool.push_str(&shared_panel(&id, "sections", processes, &inner));
                id
            });
            let titles: Vec<&str> = secs
                .iter()
                .enumerate()
                .filter(|(i, _)| ids[k][*i].is_some_and(|x| bundle.contains(&x)))
                .map(|(_, s)| s.title.split(" (").next().unwrap_or_default())
                .collect();
            let _ = write!(
                links,
                "<a data-same=\"{id}\" href=\"#{id}\">{}</a> ({processes})",
                html! { (Ev(&titles.join(", "))) }.into_string()
            );
        }
        for (i, sec) in secs.iter().enumerate() {
            match ids[k][i] {
                Some(x) if bundle.contains(&x) => {}
                Some(x) if count[x] > 1 => {
                    let id = format!("s{x}");
                    if made.insert(x) {
                        let mut inner = String::new();
                        push_section(&mut inner, sec);
                        pool.push_str(&shared_panel(&id, &sec.title, count[x], &inner));
                    }
                    if !links.is_empty() {
                        links.push_str(", ");
                    }
                    let _ = write!(
                        links,
                        "<a data-same=\"{id}\" href=\"#{id}\">{}</a> ({})",
                        html! { (Ev(&sec.title)) }.into_string(),
                        count[x]
                    );
                }
                _ => push_section(&mut body, sec),
            }
        }
        if !links.is_empty() {
            let _ = write!(
                body,
                "<p class=\"same\">the same in other processes (how many): {links}</p>"
            );
        }
        let what = match n.mark {
            Mark::Plain if brief(n) => {
                "not started, exited or changed between the snapshots (beyond cpu, memory and io)"
            }
            Mark::Plain => "",
            Mark::Started => "started between the snapshots",
            Mark::Exited => "exited between the snapshots (as OLD saw it)",
            Mark::Changed => "changed between the snapshots",
        };
        let p = n.p;
        out.push_str(
            &html! {
                article.proc id=(n.id) {
                    a.close href="#-" { "close ✕" }
                    h2 { (p.pid_text()) " " (Ev(&p.comm.as_ref().map(|c| c.escaped()).unwrap_or_default())) }
                    @if !what.is_empty() { p class=(match n.mark { Mark::Started => "m-s", Mark::Exited => "bad", Mark::Plain => "hint", Mark::Changed => "m-c" }) { (what) } }
                    (PreEscaped(body))
                }
            }
            .into_string(),
        );
    }
    out.push_str(&pool);
    out
}

/// A section as a process's panel shows it: its title, then its body.
fn push_section(out: &mut String, sec: &Section) {
    let _ = write!(
        out,
        "<h3>{}</h3>{}",
        html! { (Ev(&sec.title)) }.into_string(),
        sec.body
    );
}

/// A panel of sections shared by `processes` processes; its last element holds the sections (what the
/// script copies into a process's panel).
fn shared_panel(id: &str, what: &str, processes: usize, inner: &str) -> String {
    html! {
        article.proc id=(id) {
            a.close href="#-" { "close ✕" }
            h2 { "The same in " (processes) " processes: " (Ev(what)) }
            div { (PreEscaped(inner)) }
        }
    }
    .into_string()
}

/// A diff page's panel of a process that did not start, exit or change: its cpu, memory and io changes
/// and where everything else is.
fn brief_sections(n: &Node) -> Vec<Section> {
    let mut out = Vec::new();
    if !n.changes.is_empty() {
        out.push(Section {
            title: "changes".into(),
            body: table(&super::diff::change_table(&n.changes), &["PID", "COMM"]).into_string(),
        });
    }
    out.push(Section {
        title: "everything else".into(),
        body: html! {
            p.hint {
                "What the diff compares (arguments, credentials, parent, cwd, namespaces, cgroup, threads, "
                "files, sockets, maps, limits) did not change. Everything about it is on the snapshot page "
                "of either side (`procsift report NEW -o FILE.html`) and in `procsift show NEW "
                (n.p.pid_text()) "`."
            }
        }
        .into_string(),
    });
    out
}

/// `text` (already passed through [`visible`] by the text layout) in a `<pre>`, HTML-escaped.
fn pre(text: &str) -> String {
    html! { pre { (text) } }.into_string()
}

/// A report's blocks laid out as the terminal shows them when piped (whole lines), then escaped.
fn text_of(bs: &[Block]) -> String {
    let mut out = Vec::new();
    let _ = super::text::write_blocks(bs, None, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `t` without the columns named in `skip`.
fn without(t: &Table, skip: &[&str]) -> Table {
    let keep: Vec<usize> = (0..t.columns.len())
        .filter(|&i| !skip.contains(&t.columns[i].header.as_str()))
        .collect();
    Table {
        columns: keep.iter().map(|&i| t.columns[i].clone()).collect(),
        rows: t
            .rows
            .iter()
            .map(|r| {
                keep.iter()
                    .map(|&i| r.get(i).cloned().unwrap_or(Cell::Blank))
                    .collect()
            })
            .collect(),
    }
}

/// The `maps` table grouped by mapped object: one row per file or pseudo-name, in the order of first
/// appearance, with the number of mappings, their total size and their modes.
fn mapped_objects(t: &Table) -> Table {
    use super::table::{ColumnSpec, Kind as ColKind};
    let col = |h: &str| t.columns.iter().position(|c| c.header == h);
    let (Some(addr), Some(kb), Some(mode), Some(name)) =
        (col("ADDRESS"), col("KBYTES"), col("MODE"), col("MAPPING"))
    else {
        return t.clone();
    };
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, (usize, u64, BTreeSet<String>)> = HashMap::new();
    for r in &t.rows {
        let text = |i: usize| r.get(i).map(|c| c.shown().into_owned()).unwrap_or_default();
        if text(addr) == "total kB" || text(addr) == "-" {
            continue;
        }
        let key = match text(name) {
            n if n.is_empty() || n == "-" => "[anon]".to_string(),
            n => n,
        };
        let g = groups.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            (0, 0, BTreeSet::new())
        });
        g.0 += 1;
        g.1 = g.1.saturating_add(text(kb).parse::<u64>().unwrap_or(0));
        g.2.insert(text(mode));
    }
    let mut rows: Vec<Vec<Cell>> = order
        .iter()
        .filter_map(|k| {
            let (n, kib, modes) = groups.get(k)?;
            Some(vec![
                Cell::num(*n),
                Cell::num(*kib),
                Cell::text(modes.iter().cloned().collect::<Vec<_>>().join(",")),
                Cell::text(k.clone()),
            ])
        })
        .collect();
    // The total row, as `maps` gives it.
    if let Some(total) = t
        .rows
        .iter()
        .find(|r| r.get(addr).is_some_and(|c| c.shown() == "total kB"))
    {
        rows.push(vec![
            Cell::num(groups.values().map(|g| g.0).sum::<usize>()),
            total.get(kb).cloned().unwrap_or(Cell::Blank),
            Cell::Blank,
            Cell::text("total kB"),
        ]);
    }
    Table {
        columns: vec![
            ColumnSpec::new("MAPS", ColKind::Number),
            ColumnSpec::new("KBYTES", ColKind::Number),
            ColumnSpec::new("MODES", ColKind::Text),
            ColumnSpec::new("MAPPING", ColKind::Text),
        ],
        rows,
    }
}

/// Everything about one process: its changes (diff), then the `show` report's sections, its files and
/// sockets, its maps (every mapping, or its mapped objects), its threads.
fn sections(n: &Node, full_maps: bool) -> Vec<Section> {
    let p = n.p;
    let s = n.snap;
    let pid = p.pid;
    let mut out = Vec::new();
    if !n.findings.is_empty() {
        out.push(Section {
            title: format!("findings ({})", n.findings.len()),
            body: html! {
                ul.ev {
                    @for (f, label) in &n.findings {
                        li {
                            (severity(f.severity)) " "
                            @if !label.is_empty() { span.u { "[" (label) "] " } }
                            span.c { (Ev(&f.rule)) } ": " (Ev(&f.summary))
                            ul.ev { @for e in &f.evidence { li { span.u { (Ev(&e.member)) } " " (Ev(&e.detail)) } } }
                        }
                    }
                }
                p.same { a href="#findings" { "all findings" } }
            }
            .into_string(),
        });
    }
    if !n.changes.is_empty() {
        out.push(Section {
            title: "changes".into(),
            body: table(&super::diff::change_table(&n.changes), &["PID", "COMM"]).into_string(),
        });
    }
    if let Ok(r) = super::show(s, pid) {
        // The pid in each namespace is the process's own: shown with its identity, so that the
        // namespaces section is the same for every process of the same namespaces (and kept once).
        let fields_of = |t: &str| {
            r.text.iter().flatten().find_map(|b| match b {
                Block::Fields {
                    title: Some(x),
                    fields,
                } if x == t => Some(fields.clone()),
                _ => None,
            })
        };
        let nspid = fields_of("namespaces").and_then(|f| f.into_iter().find(|(k, _)| k == "nspid"));
        for b in r.text.iter().flatten() {
            if let Block::Fields { title, fields } = b {
                let mut fields = fields.clone();
                match title.as_deref() {
                    Some("namespaces") => fields.retain(|(k, _)| k != "nspid"),
                    Some("process") => fields.extend(nspid.clone()),
                    _ => {}
                }
                if fields.is_empty() {
                    continue;
                }
                let body = text_of(&[Block::Fields {
                    title: None,
                    fields,
                }]);
                out.push(Section {
                    title: title.clone().unwrap_or_default(),
                    body: pre(&body),
                });
            }
        }
    }
    let filter = Filter::default();
    if let Ok(r) = super::files(s, Some(pid), &filter) {
        if !r.table.rows.is_empty() {
            out.push(Section {
                title: format!("files and sockets ({})", r.table.rows.len()),
                body: pre(&text_of(&[Block::Table(without(&r.table, OWN))])),
            });
        }
    }
    if p.maps.is_some() {
        if let Ok(r) = super::maps(s, pid) {
            let n = p.maps.as_ref().map_or(0, Vec::len);
            let (title, t) = if full_maps {
                (format!("maps ({n})"), without(&r.table, OWN))
            } else {
                (
                    format!("mapped objects ({n} mappings; `procsift maps` lists each)"),
                    mapped_objects(&r.table),
                )
            };
            out.push(Section {
                title,
                body: pre(&text_of(&[Block::Table(t)])),
            });
        }
    }
    if let Ok(r) = super::threads(s, Some(pid), &filter) {
        if !r.table.rows.is_empty() {
            out.push(Section {
                title: format!("threads ({})", r.table.rows.len()),
                body: pre(&text_of(&[Block::Table(without(&r.table, OWN))])),
            });
        }
    }
    out
}

/// Every warning of the inputs, with its side when there are two.
fn warnings_section(sides: &[(Option<&str>, &Snapshot)]) -> Markup {
    html! {
        section #warnings {
            h2 { "Warnings" }
            @for (side, s) in sides {
                @if let Some(side) = side { h3 { (side) " (" (s.warnings.len()) ")" } }
                @if s.warnings.is_empty() {
                    p.hint { "none: every member was decoded" }
                } @else {
                    ul.warn { @for w in &s.warnings { li { (Ev(&w.to_string())) } } }
                }
            }
        }
    }
}

fn footer(opts: &Options) -> Markup {
    html! {
        footer {
            "Written by procsift " (env!("CARGO_PKG_VERSION")) " at " (opts.generated.rfc3339())
            ". Self-contained: this page loads nothing; its style sheet and script are allowed by hash in its Content-Security-Policy, and every value from the evidence is shown as text."
        }
    }
}

#[cfg(test)]
mod tests;
