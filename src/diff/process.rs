//! Field-by-field comparison of one process present in both snapshots, and the records of processes that
//! started or exited.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::{Change, Kind, Options, files, join_note};
use crate::model::{Limit, Process};

/// What every per-process comparison needs.
pub(super) struct Context<'a> {
    pub opts: &'a Options,
    /// Seconds between the snapshots, when known and positive (rates are computed only then).
    pub interval: Option<f64>,
    /// Namespaces of pid 1 (the host's) in OLD and in NEW, by type.
    pub host_ns: [BTreeMap<String, u64>; 2],
    /// Whether executable anonymous mappings can be compared (not when only one side is a core).
    pub anon_maps: bool,
}

/// The namespaces of pid 1 (`init`), by type: what "the host's namespace" means in its snapshot.
pub(super) fn host_namespaces(init: &Process) -> BTreeMap<String, u64> {
    init.namespaces
        .as_ref()
        .map(|ns| {
            ns.iter()
                .filter(|n| n.link.is_none())
                .map(|n| (n.kind.clone(), n.inode))
                .collect()
        })
        .unwrap_or_default()
}

/// Collects the changes of one process, with its identity filled in.
pub(super) struct Out<'a> {
    opts: &'a Options,
    template: Change,
    changes: &'a mut Vec<Change>,
}

impl Out<'_> {
    /// Records a change of `kind` to `field`, unless the options leave it out; returns it for the caller
    /// to add a highlight, delta or note.
    pub fn push(
        &mut self,
        kind: Kind,
        field: impl Into<String>,
        old: Option<Value>,
        new: Option<Value>,
    ) -> Option<&mut Change> {
        let field = field.into();
        if !self.opts.wants(kind, &field) {
            return None;
        }
        self.changes.push(Change {
            kind,
            field,
            old,
            new,
            ..self.template.clone()
        });
        self.changes.last_mut()
    }

    /// Whether any change of `kind` is wanted (to skip building what would be thrown away).
    pub fn wants(&self, kind: Kind) -> bool {
        self.opts.wants_kind(kind)
    }

    /// Records `field` when both sides have it and the values differ.
    fn field<T: Serialize + PartialEq>(
        &mut self,
        kind: Kind,
        name: &str,
        old: Option<&T>,
        new: Option<&T>,
    ) -> Option<&mut Change> {
        match (old, new) {
            (Some(a), Some(b)) if a != b => self.push(kind, name, Some(json!(a)), Some(json!(b))),
            _ => None,
        }
    }
}

impl Context<'_> {
    fn out<'b>(&'b self, p: &Process, changes: &'b mut Vec<Change>) -> Out<'b> {
        Out {
            opts: self.opts,
            template: Change {
                kind: Kind::System,
                pid: Some(p.pid),
                start_time: p.start_time,
                comm: p.comm.clone(),
                field: String::new(),
                old: None,
                new: None,
                delta: None,
                rate: None,
                highlight: false,
                note: None,
            },
            changes,
        }
    }

    /// A process only in NEW. `reused` is OLD's process that had the same pid.
    pub fn started(&self, q: &Process, reused: Option<&Process>, changes: &mut Vec<Change>) {
        let mut out = self.out(q, changes);
        let mut note = who(q);
        if zombie(q) {
            note = join_note(
                Some(note),
                &format!("already exited, not yet reaped: {}", exit_words(q)),
            );
        }
        if let Some(p) = reused {
            note = join_note(
                Some(note),
                &format!("pid reused: the earlier process {}exited", started_at(p)),
            );
        }
        if let Some(c) = out.push(
            Kind::Started,
            "process",
            None,
            Some(json!(q.command_line())),
        ) {
            c.note = Some(note);
        }
        files::started(q, &mut out);
    }

    /// A process only in OLD. `reused` is NEW's process that has the same pid.
    pub fn exited(&self, p: &Process, reused: Option<&Process>, changes: &mut Vec<Change>) {
        let mut out = self.out(p, changes);
        let mut note = reused.map(|q| format!("pid reused by a process {}", started_at(q)));
        if zombie(p) {
            note = Some(join_note(
                note,
                &format!("a zombie in OLD ({}): reaped since", exit_words(p)),
            ));
        }
        if let Some(c) = out.push(Kind::Exited, "process", Some(json!(p.command_line())), None) {
            c.note = note;
        }
    }

    /// A process that exited between the snapshots but was not reaped: a zombie in NEW. What a zombie
    /// still has is compared (credentials, parent, final CPU time and I/O); what it no longer has is
    /// released, not changed: its descriptors and mappings are gone, and its command line, directories,
    /// namespaces, control group and threads read empty or unreadable, which is no exec or move.
    fn became_zombie(&self, p: &Process, q: &Process, o: &mut Out) {
        if let Some(c) = o.push(
            Kind::State,
            "state",
            p.state.as_ref().map(|s| json!(s)),
            q.state.as_ref().map(|s| json!(s)),
        ) {
            c.note = Some(format!("exited, not yet reaped: {}", exit_words(q)));
        }
        credentials(p, q, o);
        o.field(Kind::Parent, "ppid", p.ppid.as_ref(), q.ppid.as_ref());
        o.field(Kind::Parent, "pgid", p.pgid.as_ref(), q.pgid.as_ref());
        o.field(Kind::Parent, "sid", p.sid.as_ref(), q.sid.as_ref());
        if o.wants(Kind::Fds) || o.wants(Kind::Sockets) {
            files::released_fds(p, q, o);
        }
        if o.wants(Kind::Maps) {
            files::released_maps(p, q, o);
        }
        self.resources(p, q, o);
    }

    /// Everything that differs between two records of the same process.
    pub fn compare(&self, p: &Process, q: &Process, changes: &mut Vec<Change>) {
        let mut out = self.out(q, changes);
        if out.template.comm.is_none() {
            out.template.comm = p.comm.clone();
        }
        if out.template.start_time.is_none() {
            out.template.start_time = p.start_time;
        }
        let o = &mut out;
        if zombie(q) && !zombie(p) {
            self.became_zombie(p, q, o);
            return;
        }
        o.field(Kind::Exec, "exe", p.exe.as_ref(), q.exe.as_ref());
        o.field(Kind::Exec, "argv", p.argv.as_ref(), q.argv.as_ref());
        // Kernel workers rename themselves after the work they run: not an exec.
        if q.kernel_thread != Some(true) {
            o.field(Kind::Exec, "comm", p.comm.as_ref(), q.comm.as_ref());
        }
        credentials(p, q, o);
        o.field(Kind::Parent, "ppid", p.ppid.as_ref(), q.ppid.as_ref());
        o.field(Kind::Parent, "pgid", p.pgid.as_ref(), q.pgid.as_ref());
        o.field(Kind::Parent, "sid", p.sid.as_ref(), q.sid.as_ref());
        o.field(Kind::Cwd, "cwd", p.cwd.as_ref(), q.cwd.as_ref());
        o.field(Kind::Cwd, "root", p.root.as_ref(), q.root.as_ref());
        self.namespaces(p, q, o);
        cgroups(p, q, o);
        if let Some(c) = o.field(Kind::Threads, "nlwp", p.nlwp.as_ref(), q.nlwp.as_ref()) {
            c.delta = Some(json!(
                i64::from(q.nlwp.unwrap_or(0)) - i64::from(p.nlwp.unwrap_or(0))
            ));
        }
        if o.wants(Kind::Fds) || o.wants(Kind::Sockets) {
            files::fds(p, q, o);
        }
        if o.wants(Kind::Maps) {
            files::maps(p, q, self.anon_maps, o);
        }
        if o.wants(Kind::Limits) {
            limits(p, q, o);
        }
        self.resources(p, q, o);
    }

    fn namespaces(&self, p: &Process, q: &Process, out: &mut Out) {
        let (Some(a), Some(b)) = (&p.namespaces, &q.namespaces) else {
            return;
        };
        if !out.wants(Kind::Namespaces) {
            return;
        }
        for na in a {
            // `pid_for_children` is also of type `pid`: a link is matched by its type and its name.
            let Some(nb) = b.iter().find(|n| n.kind == na.kind && n.link == na.link) else {
                continue;
            };
            if na.inode == nb.inode {
                continue;
            }
            let name = na.link.as_deref().unwrap_or(&na.kind);
            let host = match &na.link {
                None => (self.host_ns[0].get(&na.kind), self.host_ns[1].get(&na.kind)),
                Some(_) => (None, None),
            };
            let note = match host {
                (Some(h0), Some(h1)) if *h0 == na.inode && *h1 != nb.inode => {
                    Some(format!("left the host's {} namespace", na.kind))
                }
                (Some(h0), Some(h1)) if *h0 != na.inode && *h1 == nb.inode => {
                    Some(format!("returned to the host's {} namespace", na.kind))
                }
                _ => None,
            };
            if let Some(c) = out.push(
                Kind::Namespaces,
                format!("ns/{name}"),
                Some(json!(na.inode)),
                Some(json!(nb.inode)),
            ) {
                c.note = note;
            }
        }
    }

    fn resources(&self, p: &Process, q: &Process, out: &mut Out) {
        let rate = |d: f64| self.interval.map(|i| d / i);
        let cpu = |x: &Process| Some(x.user_time? + x.system_time?);
        if let (Some(a), Some(b)) = (cpu(p), cpu(q)) {
            // Clock ticks are at most 1 ms: rounding to that removes float noise.
            let (a, b) = (round_ms(a), round_ms(b));
            let d = round_ms(b - a);
            if d != 0.0 {
                if let Some(c) = out.push(Kind::Cpu, "cpu_time", Some(json!(a)), Some(json!(b))) {
                    c.delta = Some(json!(d));
                    c.rate = rate(d);
                }
            }
        }
        let rss = |x: &Process| x.memory.as_ref().and_then(|m| m.rss_kib);
        if let Some(c) = out.field(Kind::Memory, "rss_kib", rss(p).as_ref(), rss(q).as_ref()) {
            let d = delta_u64(rss(p), rss(q));
            c.delta = Some(json!(d));
        }
        let (Some(a), Some(b)) = (&p.io, &q.io) else {
            return;
        };
        for (name, x, y) in [
            ("rchar", a.rchar, b.rchar),
            ("wchar", a.wchar, b.wchar),
            ("read_bytes", a.read_bytes, b.read_bytes),
            ("write_bytes", a.write_bytes, b.write_bytes),
        ] {
            if let Some(c) = out.field(Kind::Io, name, x.as_ref(), y.as_ref()) {
                let d = delta_u64(x, y);
                c.delta = Some(json!(d));
                c.rate = rate(d as f64);
            }
        }
    }
}

/// Whether the process has exited and waits to be reaped (`Z`; `X` is the moment of its reaping).
pub(super) fn zombie(p: &Process) -> bool {
    matches!(p.state.as_deref(), Some("Z" | "X"))
}

/// How a zombie exited: `exited 3`, `killed SIGTERM` (its stat `exit_code`, else its exit event), or
/// that it is not known.
fn exit_words(p: &Process) -> String {
    p.exit
        .as_ref()
        .map(crate::model::Exit::text)
        .or_else(|| p.events.as_ref().and_then(|e| e.exit_text()))
        .unwrap_or_else(|| "exit status not known".into())
}

fn round_ms(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn delta_u64(a: Option<u64>, b: Option<u64>) -> i64 {
    let d = i128::from(b.unwrap_or(0)) - i128::from(a.unwrap_or(0));
    d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// `user alice, parent 1234` for a started process.
fn who(p: &Process) -> String {
    let user = p
        .cred
        .euser
        .clone()
        .or_else(|| p.cred.euid.map(|u| u.to_string()));
    let mut parts = Vec::new();
    if let Some(u) = user {
        parts.push(format!("user {u}"));
    }
    if let Some(pp) = p.ppid {
        parts.push(format!("parent {pp}"));
    }
    parts.join(", ")
}

fn started_at(p: &Process) -> String {
    p.start_time
        .map(|t| format!("started {} ", t.rfc3339()))
        .unwrap_or_default()
}

fn credentials(p: &Process, q: &Process, out: &mut Out) {
    let (a, b) = (&p.cred, &q.cred);
    for (name, x, y, what) in [
        ("uid", a.uid, b.uid, "root"),
        ("euid", a.euid, b.euid, "root"),
        ("suid", a.suid, b.suid, "root"),
        ("fsuid", a.fsuid, b.fsuid, "root"),
        ("gid", a.gid, b.gid, "group 0"),
        ("egid", a.egid, b.egid, "group 0"),
        ("sgid", a.sgid, b.sgid, "group 0"),
        ("fsgid", a.fsgid, b.fsgid, "group 0"),
    ] {
        if let Some(c) = out.field(Kind::Credentials, name, x.as_ref(), y.as_ref()) {
            if y == Some(0) {
                c.highlight = true;
                c.note = Some(format!("privilege gain: {name} became {what}"));
            }
        }
    }
    if let Some(c) = out.field(
        Kind::Credentials,
        "groups",
        a.groups.as_ref(),
        b.groups.as_ref(),
    ) {
        let had = a.groups.as_ref().is_some_and(|g| g.contains(&0));
        let has = b.groups.as_ref().is_some_and(|g| g.contains(&0));
        if has && !had {
            c.highlight = true;
            c.note = Some("privilege gain: joined group 0".into());
        }
    }
}

/// Control groups by hierarchy: cgroup v2's one line is `cgroup`; v1 lines are `cgroup/<controllers>`.
fn cgroups(p: &Process, q: &Process, out: &mut Out) {
    let (Some(a), Some(b)) = (&p.cgroup, &q.cgroup) else {
        return;
    };
    if !out.wants(Kind::Cgroup) || a == b {
        return;
    }
    let split = |lines: &[crate::bytes::ByteString]| -> BTreeMap<String, String> {
        lines
            .iter()
            .filter_map(|l| {
                let text = l.escaped();
                let mut parts = text.splitn(3, ':');
                let (h, ctl, path) = (parts.next()?, parts.next()?, parts.next()?);
                let key = match (h, ctl) {
                    ("0", "") => "cgroup".to_string(),
                    (h, "") => format!("cgroup/{h}"),
                    (_, c) => format!("cgroup/{c}"),
                };
                Some((key, path.to_string()))
            })
            .collect()
    };
    let (ma, mb) = (split(a), split(b));
    for (key, pa) in &ma {
        let Some(pb) = mb.get(key) else { continue };
        if pa == pb {
            continue;
        }
        let note = match (in_container(pa), in_container(pb)) {
            (false, true) => Some("moved into a container's control group".to_string()),
            (true, false) => Some("moved out of a container's control group".to_string()),
            _ => None,
        };
        if let Some(c) = out.push(Kind::Cgroup, key.clone(), Some(json!(pa)), Some(json!(pb))) {
            c.note = note;
        }
    }
}

/// Whether a cgroup path names a container runtime's group.
fn in_container(path: &str) -> bool {
    [
        "docker",
        "containerd",
        "kubepods",
        "libpod",
        "crio",
        "lxc",
        "machine.slice",
    ]
    .iter()
    .any(|k| path.contains(k))
}

fn limits(p: &Process, q: &Process, out: &mut Out) {
    let (Some(a), Some(b)) = (&p.limits, &q.limits) else {
        return;
    };
    let value = |l: &Limit| {
        let v = |x: Option<u64>| x.map_or_else(|| json!("unlimited"), |n| json!(n));
        json!({"soft": v(l.soft), "hard": v(l.hard)})
    };
    for la in a {
        let Some(lb) = b.iter().find(|l| l.name == la.name) else {
            continue;
        };
        if la.soft != lb.soft || la.hard != lb.hard {
            out.push(
                Kind::Limits,
                format!("limit/{}", la.name),
                Some(value(la)),
                Some(value(lb)),
            );
        }
    }
}
