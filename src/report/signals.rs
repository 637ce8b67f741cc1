//! `signals PID`: what the process does with each signal, like `psig` (Solaris `sigact`).

use serde_json::json;

use super::{Report, no_such_pid};
use crate::model::Snapshot;

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
    let rows = actions
        .iter()
        .map(|a| {
            let action = match a.handler {
                Some(h) => format!("caught {h:#x}"),
                None => a.action.clone(),
            };
            vec![
                a.name.clone().unwrap_or_else(|| a.signal.to_string()),
                action,
                a.flags.join(","),
                a.mask.join(","),
            ]
        })
        .collect();
    let mut extra = serde_json::Map::new();
    extra.insert("pid".into(), json!(pid));
    Ok(Report {
        name: "signals",
        record_key: "signals",
        columns: ["SIGNAL", "ACTION", "FLAGS", "MASK"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        numeric: vec![false; 4],
        rows,
        records: actions
            .iter()
            .map(|a| serde_json::to_value(a).unwrap_or_default())
            .collect(),
        extra,
        ..Report::default()
    })
}
