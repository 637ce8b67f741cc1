//! `signals PID`: what the process does with each signal, like `psig` (Solaris `sigact`).

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
        crate::Error::NotFound(format!(
            "no signal actions for pid {pid} in {}: they are recorded for Solaris processes (sigact) and NetBSD dumps (kinfo_proc2)",
            snapshot.source.path
        ))
    })?;
    let cols: Vec<Col<&SignalAction>> = vec![
        Col::text("SIGNAL", |a: &&SignalAction| {
            Cell::text(a.name.clone().unwrap_or_else(|| a.signal.to_string()))
        }),
        Col::text("ACTION", |a: &&SignalAction| {
            Cell::text(match a.handler {
                Some(h) => format!("caught {h:#x}"),
                None => a.action.clone(),
            })
        }),
        Col::text("FLAGS", |a: &&SignalAction| Cell::text(a.flags.join(","))),
        Col::text("MASK", |a: &&SignalAction| Cell::text(a.mask.join(","))),
    ];
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
