//! `timeline`: what happened when, across snapshots and cores — process starts (start ticks + boot time),
//! the process events a capture recorded (fork, exec, exit, uid, ...), capture windows, and crashes from
//! cores — for people (table), spreadsheets (CSV), Timesketch (JSONL) and The Sleuth Kit's `mactime`
//! (bodyfile).
//!
//! Entries are built per snapshot ([`entries`]), so many inputs can be read one at a time; [`merge`]
//! sorts them and drops repeats (the same process start seen in many captures is one entry).

use std::collections::HashSet;
use std::io::Write;

use serde_json::{Map, Value, json};

use super::table::{Cell, Col, build};
use super::{Report, visible};
use crate::bytes::ByteString;
use crate::model::{ProcEvent, Snapshot};
use crate::time::Timestamp;

/// One moment of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// When.
    pub time: Timestamp,
    /// What the time means (Timesketch `timestamp_desc`): `Process start`, `Process exec`, ...
    pub desc: &'static str,
    /// The kind, short (`start`, `fork`, `exec`, `exit`, `capture_start`, `capture_end`, `crash`, `uid`,
    /// `gid`, `sid`, `ptrace`, `comm`, `coredump`, `lost`).
    pub kind: &'static str,
    /// The host.
    pub host: Option<String>,
    /// The process.
    pub pid: Option<i32>,
    /// Its parent.
    pub ppid: Option<i32>,
    /// Its real uid.
    pub uid: Option<u32>,
    /// Its real gid.
    pub gid: Option<u32>,
    /// Its user name.
    pub user: Option<String>,
    /// Its command name.
    pub comm: Option<ByteString>,
    /// One line saying what happened; text from the evidence is in the byte-string escape (escaped
    /// again for tables, CSV and bodyfile when written).
    pub message: String,
    /// The input it came from.
    pub source: String,
    /// Identity for dropping repeats: a process start is the same in every capture of its boot.
    dedupe: Option<String>,
}

fn argv_text(argv: &Option<Vec<ByteString>>) -> Option<String> {
    argv.as_ref()
        .filter(|a| !a.is_empty())
        .map(|a| a.iter().map(|b| b.escaped()).collect::<Vec<_>>().join(" "))
}

/// The timeline entries of one snapshot. `file_time` is the input file's modification time: for a core,
/// the moment it was written (the crash), which the core itself does not record.
pub fn entries(s: &Snapshot, file_time: Option<Timestamp>) -> Vec<Entry> {
    let host = s.host.hostname.clone();
    let source = s.source.path.clone();
    let boot = s
        .host
        .boot_id
        .clone()
        .or_else(|| s.host.boot_time.map(|t| t.rfc3339()))
        .unwrap_or_default();
    let base = |time, desc, kind, message: String| Entry {
        time,
        desc,
        kind,
        host: host.clone(),
        pid: None,
        ppid: None,
        uid: None,
        gid: None,
        user: None,
        comm: None,
        message,
        source: source.clone(),
        dedupe: None,
    };
    let mut out = Vec::new();
    let hostname = host.clone().unwrap_or_else(|| "the host".into());
    if let Some(c) = &s.capture {
        if let Some(t) = c.started {
            out.push(base(
                t,
                "Capture start",
                "capture_start",
                format!("capture of {hostname} started ({source})"),
            ));
        }
        if let Some(t) = c.finished {
            out.push(base(
                t,
                "Capture end",
                "capture_end",
                format!(
                    "capture of {hostname} finished: {} processes ({source})",
                    s.processes.len()
                ),
            ));
        }
    }
    for p in &s.processes {
        let Some(t) = p.start_time else { continue };
        let what = argv_text(&p.argv)
            .or_else(|| p.exe.as_ref().map(|e| e.escaped()))
            .unwrap_or_else(|| {
                format!(
                    "[{}]",
                    p.comm.as_ref().map(|c| c.escaped()).unwrap_or_default()
                )
            });
        let mut e = base(
            t,
            "Process start",
            "start",
            format!(
                "pid {} started: {what} (user {}, ppid {})",
                p.pid_text(),
                p.cred
                    .user
                    .clone()
                    .or_else(|| p.cred.uid.map(|u| u.to_string()))
                    .unwrap_or_else(|| "-".into()),
                p.ppid.map_or("-".into(), |v| v.to_string())
            ),
        );
        e.pid = p.known_pid();
        e.ppid = p.ppid;
        e.uid = p.cred.uid;
        e.gid = p.cred.gid;
        e.user = p.cred.user.clone();
        e.comm = p.comm.clone();
        e.dedupe = Some(format!(
            "start {} {boot} {} {}",
            host.as_deref().unwrap_or(""),
            p.pid,
            p.start_ticks.map_or_else(|| t.rfc3339(), |v| v.to_string())
        ));
        out.push(e);
    }
    if let Some(log) = &s.events {
        for ev in &log.events {
            if let Some(e) = event_entry(ev, &base) {
                out.push(e);
            }
        }
    }
    if let Some(core) = &s.core
        && let Some(t) = file_time
    {
        let p = s.processes.first();
        let signal = core
            .signal
            .as_ref()
            .map_or("no signal recorded".into(), |g| {
                let mut t = format!(
                    "killed by {}",
                    g.name.clone().unwrap_or_else(|| g.number.to_string())
                );
                if let Some(c) = &g.code_name {
                    t.push_str(&format!(" ({c})"));
                }
                if let Some(a) = g.fault_address {
                    t.push_str(&format!(" at {a:#x}"));
                }
                t
            });
        let what = p
            .and_then(|p| argv_text(&p.argv).or_else(|| p.psargs.as_ref().map(|a| a.escaped())))
            .unwrap_or_default();
        let mut e = base(
            t,
            "Core file written",
            "crash",
            format!(
                "pid {} ({}) {signal}; {} {} core: {what}",
                p.map_or("-".into(), |p| p.pid_text()),
                p.and_then(|p| p.comm.as_ref())
                    .map(|c| c.escaped())
                    .unwrap_or_default(),
                core.os,
                core.arch
            ),
        );
        if let Some(p) = p {
            e.pid = p.known_pid();
            e.ppid = p.ppid;
            e.uid = p.cred.uid;
            e.gid = p.cred.gid;
            e.user = p.cred.user.clone();
            e.comm = p.comm.clone();
        }
        out.push(e);
    }
    out
}

fn event_entry(
    ev: &ProcEvent,
    base: &impl Fn(Timestamp, &'static str, &'static str, String) -> Entry,
) -> Option<Entry> {
    let t = ev.time?;
    // A process's own events (thread creation and exit are left out, as `events` does by default).
    if ev.kind != "lost" && ev.kind != "exec" && ev.pid.is_some() && ev.pid != ev.tgid {
        return None;
    }
    let pid = ev.tgid.or(ev.pid);
    let p = pid.map_or("-".into(), |p| p.to_string());
    let (desc, kind, message) = match ev.kind.as_str() {
        "fork" => (
            "Process fork",
            "fork",
            format!(
                "pid {p} forked by pid {}",
                ev.parent_tgid.map_or("-".into(), |v| v.to_string())
            ),
        ),
        "exec" => {
            let what = argv_text(&ev.argv)
                .or_else(|| ev.exe.as_ref().map(|e| e.escaped()))
                .or_else(|| {
                    ev.details_error
                        .as_ref()
                        .map(|e| format!("(not read: {e})"))
                })
                .unwrap_or_default();
            ("Process exec", "exec", format!("pid {p} exec: {what}"))
        }
        "exit" => (
            "Process exit",
            "exit",
            format!(
                "pid {p} {}",
                ev.exit_text().unwrap_or_else(|| "exited".into())
            ),
        ),
        "uid" => (
            "Process uid change",
            "uid",
            format!(
                "pid {p} uid {} euid {}",
                ev.ruid.map_or("-".into(), |v| v.to_string()),
                ev.euid.map_or("-".into(), |v| v.to_string())
            ),
        ),
        "gid" => (
            "Process gid change",
            "gid",
            format!(
                "pid {p} gid {} egid {}",
                ev.rgid.map_or("-".into(), |v| v.to_string()),
                ev.egid.map_or("-".into(), |v| v.to_string())
            ),
        ),
        "sid" => (
            "Process new session",
            "sid",
            format!("pid {p} started a session"),
        ),
        "ptrace" => (
            "Process ptrace",
            "ptrace",
            match ev.tracer_tgid.or(ev.tracer_pid) {
                Some(0) | None => format!("pid {p} detached from its tracer"),
                Some(t) => format!("pid {p} traced by pid {t}"),
            },
        ),
        "comm" => (
            "Process rename",
            "comm",
            format!(
                "pid {p} renamed to {}",
                ev.comm.as_ref().map(|c| c.escaped()).unwrap_or_default()
            ),
        ),
        "coredump" => (
            "Process core dump",
            "coredump",
            format!("pid {p} dumped core"),
        ),
        "lost" => (
            "Events lost",
            "lost",
            "process events were lost here (ENOBUFS)".to_string(),
        ),
        _ => return None,
    };
    let mut e = base(t, desc, kind, message);
    e.pid = pid;
    e.ppid = ev.parent_tgid;
    e.comm = ev.comm.clone();
    Some(e)
}

/// Sorts by time (then host, pid, kind), and drops repeats: a process start seen in several captures,
/// and any entry read twice (the same input given twice).
pub fn merge(mut all: Vec<Entry>) -> Vec<Entry> {
    all.sort_by(|a, b| {
        (a.time, &a.host, a.pid, a.kind, &a.message)
            .cmp(&(b.time, &b.host, b.pid, b.kind, &b.message))
    });
    let mut seen = HashSet::new();
    all.retain(|e| {
        let key = e.dedupe.clone().unwrap_or_else(|| {
            format!(
                "{} {} {:?} {:?} {} {}",
                e.time.rfc3339(),
                e.kind,
                e.host,
                e.pid,
                e.message,
                e.desc
            )
        });
        seen.insert(key)
    });
    all
}

/// The timeline as a report: a table (TIME, DESC, HOST, PID, PPID, USER, MESSAGE), CSV, JSON and NDJSON.
pub fn timeline(entries: &[Entry]) -> Report {
    let cols: Vec<Col<&Entry>> = vec![
        Col::time("TIME", |e: &&Entry| Cell::time(e.time, e.time.rfc3339())),
        Col::text("DESC", |e: &&Entry| Cell::text(e.desc)),
        Col::text("HOST", |e: &&Entry| Cell::opt_text(e.host.clone())),
        Col::num("PID", |e: &&Entry| Cell::opt_num(e.pid)),
        Col::num("PPID", |e: &&Entry| Cell::opt_num(e.ppid)),
        Col::text("USER", |e: &&Entry| Cell::opt_text(e.user.clone())),
        Col::text("MESSAGE", |e: &&Entry| Cell::text(e.message.clone())),
    ];
    Report {
        name: "timeline",
        record_key: "entries",
        table: build(&cols, entries.iter()),
        records: entries.iter().map(record).collect(),
        ..Report::default()
    }
}

/// An entry as JSON: Timesketch's `message`, `datetime`, `timestamp_desc` and `timestamp` (microseconds),
/// then procsift's own attributes (`data_type`, `hostname`, `pid`, ...; absent when unknown).
fn record(e: &Entry) -> Value {
    let mut m = Map::new();
    m.insert("message".into(), json!(e.message));
    m.insert("datetime".into(), json!(e.time.rfc3339()));
    m.insert("timestamp_desc".into(), json!(e.desc));
    if let Some(us) = e.time.as_micros() {
        m.insert("timestamp".into(), json!(us));
    }
    m.insert("data_type".into(), json!(format!("procsift:{}", e.kind)));
    let mut opt = |k: &str, v: Value| {
        if !v.is_null() {
            m.insert(k.into(), v);
        }
    };
    opt("hostname", json!(e.host));
    opt("pid", json!(e.pid));
    opt("ppid", json!(e.ppid));
    opt("uid", json!(e.uid));
    opt("gid", json!(e.gid));
    opt("user", json!(e.user));
    opt("comm", json!(e.comm));
    opt("source", json!(e.source));
    Value::Object(m)
}

/// Timesketch JSONL: one [`record`] per line.
pub fn write_jsonl(entries: &[Entry], out: &mut dyn Write) -> std::io::Result<()> {
    for e in entries {
        serde_json::to_writer(&mut *out, &record(e))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// A bodyfile field: the text with every character that could move a terminal escaped ([`visible`]),
/// then `%`, `|` and any control character left as `%XX` — `mactime` decodes `%XX` in every field, so a
/// `|` in a name is `%7C` and a `%` is `%25`, and a newline (already `\n` as two characters) cannot end
/// the line.
pub fn body_field(text: &str) -> String {
    let shown = visible(text);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        if c == '%' || c == '|' || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The Sleuth Kit's body format (3.x), one line per entry:
/// `MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`, with the entry's time (whole
/// seconds since the epoch) in all four time fields (so `mactime -b` lists it once, as `macb`), the name
/// `[procsift] <time> <desc>: <host>: <message>` (the exact time in the name: the time fields hold whole
/// seconds, and mactime merges lines whose name and second are the same), the process's uid and gid (`-1` when unknown or not a
/// process's: mactime needs a number there, and 0 would say root), and 0 for MD5, inode, mode and size,
/// which a process has not.
pub fn write_bodyfile(entries: &[Entry], out: &mut dyn Write) -> std::io::Result<()> {
    for e in entries {
        let name = format!(
            "[procsift] {} {}: {}: {}",
            e.time.rfc3339(),
            e.desc,
            e.host.as_deref().unwrap_or("-"),
            e.message
        );
        let t = e.time.secs.max(0);
        let id = |v: Option<u32>| v.map_or("-1".to_string(), |v| v.to_string());
        writeln!(
            out,
            "0|{}|0|0|{}|{}|0|{t}|{t}|{t}|{t}",
            body_field(&name),
            id(e.uid),
            id(e.gid)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodyfile_fields_keep_one_line_and_eleven_fields() {
        assert_eq!(body_field("a|b%c"), "a%7Cb%25c");
        assert_eq!(body_field("x\ny\x1b[31m"), "x\\ny\\x1b[31m");
        let e = Entry {
            time: Timestamp {
                secs: 1_795_355_238,
                nanos: 0,
            },
            desc: "Process start",
            kind: "start",
            host: Some("h|x".into()),
            pid: Some(7),
            ppid: None,
            uid: Some(1000),
            gid: None,
            user: None,
            comm: None,
            message: "pid 7 started: sh -c 'a|b'\nFAKE".into(),
            source: String::new(),
            dedupe: None,
        };
        let mut out = Vec::new();
        write_bodyfile(&[e], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert_eq!(text.trim_end().split('|').count(), 11);
        assert!(text.contains("h%7Cx"));
        assert!(text.contains("|1000|-1|0|1795355238|1795355238|1795355238|1795355238"));
    }
}
