//! `events`: the timeline of process events the capture recorded (fork, exec, uid/gid/sid, ptrace,
//! comm, coredump, exit, and where events were lost).

use serde_json::json;

use super::table::{Cell, Col, build};
use super::{Block, Report};
use crate::model::{ProcEvent, Snapshot};

/// What `events` shows.
#[derive(Clone, Debug, Default)]
pub struct EventsOptions {
    /// Only events of these processes (`tgid`, or `pid` of a thread; a fork also matches its parent).
    pub pids: Vec<i32>,
    /// Only these kinds (`fork`, `exec`, `exit`, ...; `lost` entries are always shown).
    pub kinds: Vec<String>,
    /// Also the events of threads other than a process's main thread (thread creation and exit).
    pub threads: bool,
}

impl EventsOptions {
    fn wants(&self, e: &ProcEvent) -> bool {
        if e.kind == "lost" {
            return true;
        }
        if !self.threads && e.pid.is_some() && e.pid != e.tgid && e.kind != "exec" {
            return false;
        }
        if !self.kinds.is_empty() && !self.kinds.contains(&e.kind) {
            return false;
        }
        if !self.pids.is_empty() {
            let ids = [e.pid, e.tgid, e.parent_tgid];
            if !self.pids.iter().any(|p| ids.contains(&Some(*p))) {
                return false;
            }
        }
        true
    }
}

/// The `events` report: one row per event, in kernel time order. JSON: the event objects under `events`,
/// and the recording's facts (`recorded`, `reason`, `count`, `lost`, ...) under `recording`. An error
/// when the input has no event section at all (not a procsift archive, or one captured without events).
pub fn events(snapshot: &Snapshot, opts: &EventsOptions) -> crate::Result<Report> {
    let Some(log) = &snapshot.events else {
        return Err(crate::Error::NotFound(format!(
            "{} has no process events: only archives written by `procsift capture` (Linux) have them",
            if snapshot.source.path.is_empty() {
                "the input"
            } else {
                &snapshot.source.path
            }
        )));
    };
    let shown: Vec<&ProcEvent> = log.events.iter().filter(|e| opts.wants(e)).collect();
    let mut recording = json!({
        "recorded": log.recorded,
        "count": log.count,
        "lost": log.lost,
    });
    if let Some(obj) = recording.as_object_mut() {
        for (k, v) in [
            ("reason", json!(log.reason)),
            ("subscribed", json!(log.subscribed.map(|t| t.rfc3339()))),
            ("unsubscribed", json!(log.unsubscribed.map(|t| t.rfc3339()))),
            ("watch_secs", json!(log.watch_secs)),
        ] {
            if !v.is_null() {
                obj.insert(k.into(), v);
            }
        }
    }
    let mut extra = serde_json::Map::new();
    extra.insert("recording".into(), recording);
    let opt = |v: Option<i32>| Cell::opt_num(v);
    let cols: Vec<Col<&ProcEvent>> = vec![
        Col::time("TIME", |e: &&ProcEvent| match e.time {
            Some(t) => {
                let (_, hms) = t.parts();
                Cell::time(t, format!("{hms}.{:06}", t.nanos / 1000))
            }
            None => Cell::Mark(format!("{}ns", e.timestamp_ns)),
        }),
        Col::text("EVENT", |e: &&ProcEvent| Cell::text(e.kind.clone())),
        Col::num("PID", move |e: &&ProcEvent| opt(e.tgid)),
        Col::num("TID", |e: &&ProcEvent| match (e.pid, e.tgid) {
            (Some(p), Some(t)) if p != t => Cell::num(p),
            _ => Cell::Absent,
        }),
        Col::num("PPID", move |e: &&ProcEvent| opt(e.parent_tgid)),
        Col::text("DETAIL", |e: &&ProcEvent| Cell::text(detail(e))),
    ];
    let report = Report {
        name: "events",
        record_key: "events",
        table: build(&cols, shown.iter().copied()),
        records: shown
            .iter()
            .map(|e| serde_json::to_value(e).unwrap_or_default())
            .collect(),
        extra,
        text: (!log.recorded).then(|| {
            vec![Block::Wrapped {
                lead: "process events were not recorded: ".into(),
                text: log.reason.as_deref().unwrap_or("no reason given").into(),
            }]
        }),
        ..Report::default()
    }
    .about(snapshot);
    Ok(report)
}

/// The event in words.
pub(crate) fn detail(e: &ProcEvent) -> String {
    match e.kind.as_str() {
        "fork" if e.pid != e.tgid => "new thread".into(),
        "fork" => "new process".into(),
        "exec" => {
            let mut s = match (&e.argv, &e.comm) {
                (Some(a), _) if !a.is_empty() => {
                    a.iter().map(|x| x.escaped()).collect::<Vec<_>>().join(" ")
                }
                (_, Some(c)) => format!("[{}]", c.escaped()),
                _ => "(program unknown)".into(),
            };
            if let Some(x) = &e.exe {
                s = format!("{s} (exe {})", x.escaped());
            }
            if let Some(err) = &e.details_error {
                s = format!("{s} (not read: {err})");
            }
            s
        }
        "exit" => {
            let mut s = e.exit_text().unwrap_or_else(|| "exited".into());
            if e.pid != e.tgid {
                s = format!("thread {s}");
            }
            s
        }
        "uid" => format!("ruid {} euid {}", super::opt(e.ruid), super::opt(e.euid)),
        "gid" => format!("rgid {} egid {}", super::opt(e.rgid), super::opt(e.egid)),
        "sid" => "new session (setsid)".into(),
        "comm" => format!(
            "renamed to {}",
            e.comm.as_ref().map(|c| c.escaped()).unwrap_or_default()
        ),
        "ptrace" => match e.tracer_tgid {
            Some(0) | None => "ptrace detached".into(),
            Some(t) => format!("ptrace attached by {t}"),
        },
        "coredump" => "dumping core".into(),
        "lost" => "events lost here: the socket buffer overflowed (ENOBUFS)".into(),
        _ => format!("unknown event {:#x}", e.what.unwrap_or(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventLog;

    #[test]
    fn rows_filters_and_not_recorded() {
        let mut s = Snapshot::default();
        assert!(events(&s, &EventsOptions::default()).is_err());
        let exec = ProcEvent {
            kind: "exec".into(),
            pid: Some(20),
            tgid: Some(20),
            argv: Some(vec!["/bin/true".into(), "x".into()]),
            ..ProcEvent::default()
        };
        let thread = ProcEvent {
            kind: "fork".into(),
            pid: Some(21),
            tgid: Some(20),
            parent_tgid: Some(20),
            ..ProcEvent::default()
        };
        let exit = ProcEvent {
            kind: "exit".into(),
            pid: Some(20),
            tgid: Some(20),
            signal: Some(9),
            signal_name: Some("SIGKILL".into()),
            ..ProcEvent::default()
        };
        s.events = Some(EventLog {
            recorded: true,
            events: vec![exec, thread, exit],
            ..EventLog::default()
        });
        let r = events(&s, &EventsOptions::default()).unwrap();
        let rows = r.table.texts();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][5], "/bin/true x");
        assert_eq!(rows[1][5], "killed SIGKILL");
        let r = events(
            &s,
            &EventsOptions {
                threads: true,
                kinds: vec!["fork".into()],
                ..EventsOptions::default()
            },
        )
        .unwrap();
        let rows = r.table.texts();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][3], "21");
        s.events = Some(EventLog {
            recorded: false,
            reason: Some("bind: EPERM".into()),
            ..EventLog::default()
        });
        let r = events(&s, &EventsOptions::default()).unwrap();
        assert_eq!(
            r.text.unwrap(),
            [Block::Wrapped {
                lead: "process events were not recorded: ".into(),
                text: "bind: EPERM".into()
            }]
        );
        assert_eq!(r.extra["recording"]["recorded"], false);
    }
}
