//! Host-wide facts: same boot or not, the interval between the snapshots, and system changes.

use serde_json::json;

use super::{Change, Kind, Options};
use crate::model::Snapshot;

/// Boot times read from `/proc/stat` `btime` may move by a second between reads (it is derived from the
/// wall clock); more than this is another boot.
const BOOT_TIME_SLACK_SECS: u64 = 2;

/// Whether both snapshots are of one boot: by boot id, else by boot time; `None` when neither tells.
pub(super) fn same_boot(old: &Snapshot, new: &Snapshot) -> Option<bool> {
    if let (Some(a), Some(b)) = (&old.host.boot_id, &new.host.boot_id) {
        return Some(a == b);
    }
    if let (Some(a), Some(b)) = (old.host.boot_time, new.host.boot_time) {
        return Some(a.secs.abs_diff(b.secs) <= BOOT_TIME_SLACK_SECS);
    }
    None
}

/// Seconds from OLD to NEW and how they were found: the capture start times of two procsift archives,
/// else (same boot only) the difference of the uptimes read with the records.
pub(super) fn interval(
    old: &Snapshot,
    new: &Snapshot,
    same_boot: Option<bool>,
) -> (Option<f64>, String) {
    let started = |s: &Snapshot| s.capture.as_ref().and_then(|c| c.started);
    if let (Some(a), Some(b)) = (started(old), started(new)) {
        return (
            Some(b.as_secs_f64() - a.as_secs_f64()),
            "capture start times".into(),
        );
    }
    if same_boot == Some(true) {
        if let (Some(a), Some(b)) = (old.host.uptime_secs, new.host.uptime_secs) {
            return (Some(b - a), "uptime".into());
        }
    }
    (
        None,
        "unknown: no capture times in both inputs, nor uptimes of one boot; cpu% and rates are not \
         computed"
            .into(),
    )
}

/// Boot id, host name, kernel, load average, memory and process count (`counts`: OLD's and NEW's).
pub(super) fn changes(
    old: &Snapshot,
    new: &Snapshot,
    counts: [usize; 2],
    opts: &Options,
    out: &mut Vec<Change>,
) {
    let (a, b) = (&old.host, &new.host);
    let mut found = Vec::new();
    if let (Some(x), Some(y)) = (&a.boot_id, &b.boot_id) {
        if x != y {
            found.push(
                change("boot_id", json!(x), json!(y))
                    .note("the host rebooted in between (or these are different hosts)"),
            );
        }
    }
    for (field, x, y) in [
        ("hostname", &a.hostname, &b.hostname),
        ("release", &a.release, &b.release),
    ] {
        if let (Some(x), Some(y)) = (x, y) {
            if x != y {
                found.push(change(field, json!(x), json!(y)));
            }
        }
    }
    if let (Some(x), Some(y)) = (a.loadavg, b.loadavg) {
        if x != y {
            found.push(change("loadavg", json!(x), json!(y)));
        }
    }
    for (field, x, y) in [
        ("mem_total_kib", a.mem_total_kib, b.mem_total_kib),
        (
            "mem_available_kib",
            a.mem_available_kib,
            b.mem_available_kib,
        ),
    ] {
        if let (Some(x), Some(y)) = (x, y) {
            if x != y {
                found.push(change(field, json!(x), json!(y)).delta(i128::from(y) - i128::from(x)));
            }
        }
    }
    // A core holds one process: its count says nothing about the host.
    let [x, y] = counts;
    if x != y && old.core.is_none() && new.core.is_none() {
        found.push(change("processes", json!(x), json!(y)).delta(y as i128 - x as i128));
    }
    out.extend(
        found
            .into_iter()
            .filter(|c| opts.wants(Kind::System, &c.field)),
    );
}

fn change(field: &str, old: serde_json::Value, new: serde_json::Value) -> Change {
    Change {
        kind: Kind::System,
        pid: None,
        start_time: None,
        comm: None,
        field: field.to_string(),
        old: Some(old),
        new: Some(new),
        delta: None,
        rate: None,
        highlight: false,
        note: None,
    }
}

impl Change {
    fn note(mut self, note: &str) -> Self {
        self.note = Some(note.to_string());
        self
    }

    fn delta(mut self, delta: i128) -> Self {
        self.delta = Some(json!(delta.clamp(i64::MIN.into(), i64::MAX.into()) as i64));
        self
    }
}
