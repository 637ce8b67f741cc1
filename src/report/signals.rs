//! `signals PID`: what the process does with each signal, like `psig` (Solaris `sigact`; Linux status
//! masks; cores where their notes say it).

use serde_json::json;

use super::{Report, no_such_pid};
use crate::model::Snapshot;

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
    let yes_no = |v: Option<bool>| match v {
        Some(true) => "yes".to_string(),
        Some(false) => String::new(),
        None => "-".to_string(),
    };
    let rows = actions
        .iter()
        .map(|a| {
            let action = match a.handler {
                Some(h) => format!("caught {h:#x}"),
                None => a.action.clone(),
            };
            let mut row = vec![
                a.name.clone().unwrap_or_else(|| a.signal.to_string()),
                action,
            ];
            if states {
                row.extend([yes_no(a.blocked), yes_no(a.pending)]);
            }
            if handlers {
                row.extend([a.flags.join(","), a.mask.join(",")]);
            }
            row
        })
        .collect();
    let mut columns = vec!["SIGNAL", "ACTION"];
    if states {
        columns.extend(["BLOCKED", "PENDING"]);
    }
    if handlers {
        columns.extend(["FLAGS", "MASK"]);
    }
    let mut extra = serde_json::Map::new();
    extra.insert("pid".into(), json!(pid));
    Ok(Report {
        name: "signals",
        record_key: "signals",
        numeric: vec![false; columns.len()],
        columns: columns.iter().map(|s| s.to_string()).collect(),
        rows,
        records: actions
            .iter()
            .map(|a| serde_json::to_value(a).unwrap_or_default())
            .collect(),
        extra,
        ..Report::default()
    })
}
