//! `signals PID`: what the process does with each signal, like `psig` (Solaris `sigact`; Linux status
//! masks; NetBSD `kinfo_proc2`; cores where their notes say it). The report reads only the model.

use serde_json::json;

use super::table::{Cell, Col, build};
use super::{Report, no_such_pid};
use crate::model::{SignalAction, Snapshot};

/// The `signals` report of one process.
pub fn signals(snapshot: &Snapshot, pid: i32) -> crate::Result<Report> {
    let p = snapshot
        .process(pid)
        .ok_or_else(|| no_such_pid(snapshot, pid))?;
    let actions = p.signal_actions.as_ref().ok_or_else(|| {
        let why = ["status", "sigact"]
            .iter()
            .find_map(|f| p.unread.iter().find(|u| u.field == *f))
            .map(|u| format!(": {}", u.describe()))
            .unwrap_or_default();
        crate::Error::NotFound(format!(
            "no signal state for pid {pid} in {}{why}",
            snapshot.source.path
        ))
    })?;
    // Linux masks say blocked and pending but no handler, flags or mask; Solaris sigact the reverse.
    let states = actions
        .iter()
        .any(|a| a.blocked.is_some() || a.pending.is_some());
    let handlers = !states
        || actions
            .iter()
            .any(|a| a.handler.is_some() || !a.flags.is_empty() || !a.mask.is_empty());
    let yes = |v: Option<bool>| match v {
        Some(true) => Cell::text("yes"),
        Some(false) => Cell::Blank,
        None => Cell::Absent,
    };
    let mut cols: Vec<Col<&SignalAction>> = vec![
        Col::text("SIGNAL", |a: &&SignalAction| {
            Cell::text(a.name.clone().unwrap_or_else(|| a.signal.to_string()))
        }),
        Col::text("ACTION", |a: &&SignalAction| {
            Cell::text(match a.handler {
                Some(h) => format!("caught {h:#x}"),
                None => a.action.clone(),
            })
        }),
    ];
    if states {
        cols.push(Col::text(
            "BLOCKED",
            move |a: &&SignalAction| yes(a.blocked),
        ));
        cols.push(Col::text(
            "PENDING",
            move |a: &&SignalAction| yes(a.pending),
        ));
    }
    if handlers {
        cols.push(Col::text("FLAGS", |a: &&SignalAction| {
            Cell::text(a.flags.join(","))
        }));
        cols.push(Col::text("MASK", |a: &&SignalAction| {
            Cell::text(a.mask.join(","))
        }));
    }
    let mut extra = serde_json::Map::new();
    if let Some(pid) = p.known_pid() {
        extra.insert("pid".into(), json!(pid));
    }
    Ok(Report {
        name: "signals",
        record_key: "signals",
        table: build(&cols, actions.iter()),
        records: actions
            .iter()
            .map(|a| serde_json::to_value(a).unwrap_or_default())
            .collect(),
        extra,
        ..Report::default()
    }
    .about(snapshot))
}
