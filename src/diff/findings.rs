//! The `findings` kind: `check` findings present in NEW and not in OLD.
//!
//! A finding is the same in both when its rule, process (pid and start time) and subject (the library,
//! mount point or socket it is about) are: a finding whose severity or wording changed is not new.

use std::collections::HashSet;

use super::{Change, Kind, Options};
use crate::check::{Finding, Severity};

/// Appends a `findings` change for each finding of NEW (`after`) that OLD (`before`) does not have.
pub(super) fn changes(
    before: Vec<Finding>,
    after: Vec<Finding>,
    opts: &Options,
    wanted: &dyn Fn(i32) -> bool,
    out: &mut Vec<Change>,
) {
    let before: HashSet<_> = before.iter().map(Finding::key).collect();
    for f in after {
        if before.contains(&f.key()) || !opts.wants(Kind::Findings, &f.rule) {
            continue;
        }
        match f.pid {
            Some(pid) if !wanted(pid) => continue,
            None if !opts.pids.is_empty() => continue,
            _ => {}
        }
        out.push(Change {
            kind: Kind::Findings,
            pid: f.pid,
            start_time: f.start_time,
            comm: f.comm.clone(),
            field: f.rule.clone(),
            old: None,
            highlight: f.severity >= Severity::Medium,
            note: Some(format!("{}: {}", f.severity, f.summary)),
            new: Some(serde_json::to_value(&f).unwrap_or_default()),
            delta: None,
            rate: None,
        });
    }
}
