//! `files [PID]`: open file descriptors, like lsof / pfiles / fstat, with sockets joined to their endpoints.

use serde_json::json;

use super::{Filter, Report, no_such_pid};
use crate::model::{Fd, FdKind, Snapshot, Socket};

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
    let mut rows = Vec::new();
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
            unread.push(json!({"pid": p.pid, "user": user, "command": comm,
                "field": u.field, "member": u.member, "error": u.error}));
            let fd = match u.member.rsplit_once('/') {
                Some((dir, _)) if dir.ends_with("/fd") => u.member.rsplit('/').next(),
                _ if u.member.ends_with("/fd") => Some("NOFD"),
                _ => None,
            };
            if let Some(fd) = fd {
                rows.push(vec![
                    p.pid.to_string(),
                    comm.clone(),
                    fd.to_string(),
                    "-".into(),
                    "-".into(),
                    u.describe(),
                ]);
            }
        }
        for fd in p.fds.iter().flatten() {
            rows.push(vec![
                p.pid.to_string(),
                comm.clone(),
                fd.fd.to_string(),
                kind_name(fd).to_string(),
                fd.mode.clone().unwrap_or_else(|| "-".into()),
                describe(fd),
            ]);
            let mut rec = serde_json::to_value(fd).unwrap_or_default();
            if let Some(o) = rec.as_object_mut() {
                o.insert("pid".into(), json!(p.pid));
                o.insert("user".into(), json!(user));
                o.insert("command".into(), json!(comm));
            }
            records.push(rec);
        }
    }
    let mut extra = serde_json::Map::new();
    if !unread.is_empty() {
        extra.insert("unread".into(), serde_json::Value::Array(unread));
    }
    Ok(Report {
        name: "files",
        record_key: "fds",
        columns: ["PID", "COMMAND", "FD", "TYPE", "MODE", "NAME"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        numeric: vec![true, false, true, false, false, false],
        rows,
        records,
        extra,
        ..Report::default()
    })
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
        assert_eq!(r.rows[0], ["102", "worker", "0", "CHR", "r", "/dev/null"]);
        assert_eq!(
            r.rows[1],
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
