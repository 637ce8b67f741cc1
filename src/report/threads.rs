//! `threads [PID]`: one row per thread (Linux task, LWP elsewhere).

use serde_json::json;

use super::{Filter, Report, cpu_time, no_such_pid, opt};
use crate::model::Snapshot;

/// The `threads` report: every thread of the selected processes, or of `pid` alone.
pub fn threads(snapshot: &Snapshot, pid: Option<i32>, filter: &Filter) -> crate::Result<Report> {
    let procs: Vec<_> = match pid {
        Some(pid) => vec![
            snapshot
                .process(pid)
                .ok_or_else(|| no_such_pid(snapshot, pid))?,
        ],
        None => filter.select(snapshot).collect(),
    };
    // Threads from a core have registers and a signal instead of scheduler state.
    let dumped = snapshot.core.is_some();
    // Solaris LWPs with microstate accounting are shown like `prstat -mL`.
    let microstate = !dumped
        && procs
            .iter()
            .any(|p| p.threads.iter().flatten().any(|t| t.usage.is_some()));
    if microstate {
        return Ok(prstat_ml(&procs));
    }
    let hex = |v: Option<u64>| v.map_or("-".into(), |v| format!("{v:#x}"));
    let mut rows = Vec::new();
    let mut records = Vec::new();
    for p in &procs {
        for t in p.threads.iter().flatten() {
            rows.push(if dumped {
                vec![
                    p.pid_text(),
                    t.tid.to_string(),
                    t.name.as_ref().map_or("-".into(), |n| n.escaped()),
                    opt(t.signal),
                    hex(t.pc),
                    hex(t.sp),
                    t.user_time.map_or("-".into(), cpu_time),
                    t.system_time.map_or("-".into(), cpu_time),
                ]
            } else {
                vec![
                    p.pid_text(),
                    t.tid.to_string(),
                    t.name.as_ref().map_or("-".into(), |n| n.escaped()),
                    opt(t.state.as_deref()),
                    opt(t.processor),
                    opt(t.priority),
                    opt(t.nice),
                    t.user_time.map_or("-".into(), cpu_time),
                    t.system_time.map_or("-".into(), cpu_time),
                    opt(t.wchan.as_deref()),
                ]
            });
            let mut rec = serde_json::to_value(t).unwrap_or_default();
            if let Some(obj) = rec.as_object_mut() {
                obj.insert("pid".into(), json!(p.known_pid()));
            }
            records.push(rec);
        }
    }
    let (columns, numeric): (&[&str], Vec<bool>) = if dumped {
        (
            &["PID", "TID", "NAME", "SIG", "PC", "SP", "UTIME", "STIME"],
            vec![true, true, false, true, false, false, false, false],
        )
    } else {
        (
            &[
                "PID", "TID", "NAME", "STAT", "CPU", "PRI", "NI", "UTIME", "STIME", "WCHAN",
            ],
            vec![
                true, true, false, false, true, true, true, false, false, false,
            ],
        )
    };
    Ok(Report {
        name: "threads",
        record_key: "threads",
        columns: columns.iter().map(|c| c.to_string()).collect(),
        numeric,
        rows,
        records,
        ..Report::default()
    })
}

/// `prstat -mL` columns: the share of each LWP's life spent in each microstate (percent of `pr_rtime`),
/// and its context switches, system calls and signals.
fn prstat_ml(procs: &[&crate::model::Process]) -> Report {
    let mut rows = Vec::new();
    let mut records = Vec::new();
    for p in procs {
        for t in p.threads.iter().flatten() {
            let Some(u) = &t.usage else { continue };
            let pct = |v: f64| {
                if u.real > 0.0 {
                    format!("{:.1}", 100.0 * v / u.real)
                } else {
                    "-".into()
                }
            };
            rows.push(vec![
                p.pid_text(),
                t.tid.to_string(),
                t.name.as_ref().map_or("-".into(), |n| n.escaped()),
                opt(t.class.as_deref()),
                opt(t.state.as_deref()),
                pct(u.user),
                pct(u.system),
                pct(u.trap),
                pct(u.text_fault),
                pct(u.data_fault),
                pct(u.lock),
                pct(u.sleep),
                pct(u.wait_cpu),
                u.voluntary_switches.to_string(),
                u.involuntary_switches.to_string(),
                u.syscalls.to_string(),
                u.signals.to_string(),
            ]);
            let mut rec = serde_json::to_value(t).unwrap_or_default();
            if let Some(obj) = rec.as_object_mut() {
                obj.insert("pid".into(), json!(p.known_pid()));
            }
            records.push(rec);
        }
    }
    let columns = [
        "PID", "LWP", "NAME", "CLS", "S", "USR", "SYS", "TRP", "TFL", "DFL", "LCK", "SLP", "LAT",
        "VCX", "ICX", "SCL", "SIG",
    ];
    let mut numeric = vec![true; columns.len()];
    numeric[2] = false;
    numeric[3] = false;
    numeric[4] = false;
    Report {
        name: "threads",
        record_key: "threads",
        columns: columns.iter().map(|c| c.to_string()).collect(),
        numeric,
        rows,
        records,
        ..Report::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::sample;

    #[test]
    fn lists_threads_with_their_process() {
        let s = sample();
        let r = threads(&s, Some(102), &Filter::default()).unwrap();
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[1][..4], ["102", "103", "io", "R"]);
        assert_eq!(r.records[1]["pid"], 102);
        assert_eq!(r.records[1]["tid"], 103);
        let all = threads(&s, None, &Filter::default()).unwrap();
        assert_eq!(all.rows.len(), 2);
        assert!(threads(&s, Some(5), &Filter::default()).is_err());
    }
}
