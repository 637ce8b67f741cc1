//! `files [PID]`: open file descriptors, like lsof / pfiles / fstat, with sockets joined to their endpoints.

use serde_json::json;

use super::table::{Cell, Col, build};
use super::{Filter, Report, no_such_pid};
use crate::model::{Fd, FdKind, Process, Snapshot, Socket, Unread};

/// The `files` report: every fd of the selected processes, or of `pid` alone.
pub fn files(snapshot: &Snapshot, pid: Option<i32>, filter: &Filter) -> crate::Result<Report> {
    let procs: Vec<_> = match pid {
        Some(pid) => vec![
            snapshot
                .process(pid)
                .ok_or_else(|| no_such_pid(snapshot, pid))?,
        ],
        None => filter.select(snapshot).collect(),
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut records = Vec::new();
    let mut unread = Vec::new();
    for p in procs {
        let comm = p.comm.as_ref().map_or("-".into(), |c| c.escaped());
        // Who holds the descriptor, as sockstat(1) names it: the effective user (numeric when unknown).
        let user = super::Column::User.display(p, snapshot);
        // What could not be read, as lsof says it: a `NOFD` row for a descriptor directory that could
        // not be listed, a row per descriptor whose link could not be read.
        for u in p
            .unread
            .iter()
            .filter(|u| u.field == "fds" || u.field == "sockets")
        {
            unread.push(json!({"pid": p.known_pid(), "user": user, "command": comm,
                "field": u.field, "member": u.member, "error": u.error}));
            let fd = match u.member.rsplit_once('/') {
                Some((dir, n)) if dir.ends_with("/fd") => Some(n),
                _ if u.member.ends_with("/fd") => Some("NOFD"),
                _ => None,
            };
            if let Some(fd) = fd {
                rows.push((p, Entry::Unread(fd, u)));
            }
        }
        for fd in p.fds.iter().flatten() {
            let mut rec = serde_json::to_value(fd).unwrap_or_default();
            if let Some(o) = rec.as_object_mut() {
                o.insert("pid".into(), json!(p.known_pid()));
                o.insert("user".into(), json!(user));
                o.insert("command".into(), json!(comm));
            }
            records.push(rec);
            rows.push((p, Entry::Fd(fd)));
        }
    }
    let mut extra = serde_json::Map::new();
    if !unread.is_empty() {
        extra.insert("unread".into(), serde_json::Value::Array(unread));
    }
    let cols: Vec<Col<Row>> = vec![
        Col::num("PID", |r: &Row| Cell::opt_num(r.0.known_pid())),
        Col::text("COMMAND", |r: &Row| {
            Cell::opt_text(r.0.comm.as_ref().map(|c| c.escaped()))
        }),
        Col::num("FD", |r: &Row| match r.1 {
            Entry::Fd(fd) => Cell::num(fd.fd),
            Entry::Unread(n, _) => Cell::Mark(n.to_string()),
        }),
        Col::text("TYPE", |r: &Row| match r.1 {
            Entry::Fd(fd) => Cell::text(kind_name(fd)),
            Entry::Unread(..) => Cell::Absent,
        }),
        Col::text("MODE", |r: &Row| match r.1 {
            Entry::Fd(fd) => Cell::opt_text(fd.mode.clone()),
            Entry::Unread(..) => Cell::Absent,
        }),
        Col::text("NAME", |r: &Row| match r.1 {
            Entry::Fd(fd) => Cell::text(describe(fd)),
            Entry::Unread(_, u) => Cell::text(u.describe()),
        }),
    ];
    Ok(Report {
        name: "files",
        record_key: "fds",
        table: build(&cols, rows),
        records,
        extra,
        ..Report::default()
    }
    .about(snapshot))
}

type Row<'a> = (&'a Process, Entry<'a>);

/// A row of `files`: a descriptor, or what could not be read where descriptors would be (lsof's `NOFD`
/// row for a descriptor directory that could not be listed; the number of a descriptor whose link could
/// not be read).
#[derive(Clone, Copy)]
enum Entry<'a> {
    Fd(&'a Fd),
    Unread(&'a str, &'a Unread),
}

fn kind_name(fd: &Fd) -> &'static str {
    match fd.kind {
        FdKind::File => "REG",
        FdKind::Dir => "DIR",
        FdKind::Device => "CHR",
        FdKind::Pipe => "FIFO",
        FdKind::Socket => match fd.socket.as_ref().map(|s| s.protocol.as_str()) {
            Some("tcp6" | "udp6") => "IPv6",
            Some("tcp" | "udp") => "IPv4",
            Some("unix") => "unix",
            _ => "sock",
        },
        FdKind::AnonInode => "a_inode",
        FdKind::Other => "?",
    }
}

/// The NAME column: the path, or for sockets `tcp 127.0.0.1:8080 LISTEN` / `tcp a:1 -> b:2 ESTABLISHED`.
fn describe(fd: &Fd) -> String {
    match &fd.socket {
        Some(s) => socket_text(s),
        None => fd.target.as_ref().map_or("-".into(), |t| t.escaped()),
    }
}

/// One line for a socket, as `lsof -n -P` would name it.
pub fn socket_text(s: &Socket) -> String {
    let mut out = s.protocol.clone();
    if let Some(t) = &s.socket_type {
        out.push_str(&format!(" {t}"));
    }
    match (&s.local, &s.remote) {
        (Some(l), Some(r)) => out.push_str(&format!(" {l} -> {r}")),
        (Some(l), None) => out.push_str(&format!(" {l}")),
        (None, Some(r)) => out.push_str(&format!(" -> {r}")),
        (None, None) => {}
    }
    if let Some(st) = &s.state {
        out.push_str(&format!(" {st}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::sample;

    #[test]
    fn sockets_are_named_by_endpoint() {
        let s = sample();
        let r = files(&s, Some(102), &Filter::default()).unwrap();
        let rows = r.table.texts();
        assert_eq!(rows[0], ["102", "worker", "0", "CHR", "r", "/dev/null"]);
        assert_eq!(
            rows[1],
            [
                "102",
                "worker",
                "3",
                "IPv4",
                "rw",
                "tcp 127.0.0.1:8080 LISTEN"
            ]
        );
        assert_eq!(r.records[1]["socket"]["local"]["port"], 8080);
    }
}
