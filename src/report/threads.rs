//! `threads [PID]`: one row per thread (Linux task, LWP elsewhere).

use serde_json::json;

use super::table::{Cell, Col, build};
use super::{Filter, Report, no_such_pid};
use crate::model::{Frame, Process, Snapshot, Thread, Usage};

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
        return Ok(prstat_ml(snapshot, &procs));
    }
    let rows: Vec<Row> = procs
        .iter()
        .flat_map(|p| p.threads.iter().flatten().map(move |t| (*p, t)))
        .collect();
    let cols = if dumped {
        dumped_columns()
    } else {
        live_columns()
    };
    Ok(Report {
        name: "threads",
        record_key: "threads",
        table: build(&cols, rows.iter().copied()),
        records: rows.iter().map(|&(p, t)| record(p, t)).collect(),
        ..Report::default()
    }
    .about(snapshot))
}

type Row<'a> = (&'a Process, &'a Thread);

/// The `threads --stack` report: one row per frame of every thread of a core (unwound by the core
/// analysis), innermost first; JSON lists the threads with their `frames`.
pub fn stacks(snapshot: &Snapshot, pid: Option<i32>, filter: &Filter) -> crate::Result<Report> {
    let procs: Vec<_> = match pid {
        Some(pid) => vec![
            snapshot
                .process(pid)
                .ok_or_else(|| no_such_pid(snapshot, pid))?,
        ],
        None => filter.select(snapshot).collect(),
    };
    type FrameRow<'a> = (&'a Process, &'a Thread, usize, &'a Frame);
    let rows: Vec<FrameRow> = procs
        .iter()
        .flat_map(|p| {
            p.threads.iter().flatten().flat_map(move |t| {
                t.frames
                    .iter()
                    .flatten()
                    .enumerate()
                    .map(move |(i, f)| (*p, t, i, f))
            })
        })
        .collect();
    let cols: Vec<Col<FrameRow>> = vec![
        Col::num("PID", |r: &FrameRow| Cell::opt_num(r.0.known_pid())),
        Col::num("TID", |r: &FrameRow| Cell::num(r.1.tid)),
        Col::num("#", |r: &FrameRow| Cell::num(r.2)),
        Col::text("FOUND", |r: &FrameRow| Cell::text(r.3.found_by.clone())),
        Col::text("PC", |r: &FrameRow| Cell::text(format!("{:#x}", r.3.pc))),
        Col::text("FUNCTION", |r: &FrameRow| {
            Cell::opt_text(frame_function(r.3))
        }),
        Col::text("SOURCE", |r: &FrameRow| Cell::opt_text(frame_source(r.3))),
        Col::text("MODULE", |r: &FrameRow| Cell::opt_text(frame_module(r.3))),
    ];
    let threads: Vec<Row> = procs
        .iter()
        .flat_map(|p| p.threads.iter().flatten().map(move |t| (*p, t)))
        .collect();
    Ok(Report {
        name: "threads",
        record_key: "threads",
        table: build(&cols, rows.iter().copied()),
        records: threads.iter().map(|&(p, t)| record(p, t)).collect(),
        ..Report::default()
    }
    .about(snapshot))
}

/// `name+0xoff`, or `name (inlined)`, as a frame's function is shown.
pub(crate) fn frame_function(f: &Frame) -> Option<String> {
    let name = f.function.as_ref()?.escaped();
    Some(match (f.inlined, f.function_offset) {
        (true, _) => format!("{name} (inlined)"),
        (false, Some(o)) => format!("{name}+{o:#x}"),
        (false, None) => name,
    })
}

/// `file:line` of a frame.
pub(crate) fn frame_source(f: &Frame) -> Option<String> {
    let file = f.file.as_ref()?.escaped();
    Some(match f.line {
        Some(l) => format!("{file}:{l}"),
        None => file,
    })
}

/// `module+0xoffset` of a frame.
pub(crate) fn frame_module(f: &Frame) -> Option<String> {
    let m = f.module.as_ref()?.escaped();
    Some(match f.module_offset {
        Some(o) => format!("{m}+{o:#x}"),
        None => m,
    })
}

/// A thread as JSON, with its process's pid.
fn record(p: &Process, t: &Thread) -> serde_json::Value {
    let mut rec = serde_json::to_value(t).unwrap_or_default();
    if let Some(obj) = rec.as_object_mut() {
        obj.insert("pid".into(), json!(p.known_pid()));
    }
    rec
}

fn hex(v: Option<u64>) -> Cell {
    v.map_or(Cell::Absent, |v| Cell::text(format!("{v:#x}")))
}

fn name(t: &Thread) -> Cell {
    Cell::opt_text(t.name.as_ref().map(|n| n.escaped()))
}

fn cpu(v: Option<f64>) -> Cell {
    v.map_or(Cell::Absent, Cell::Duration)
}

/// Threads of a core: registers and a signal instead of scheduler state.
fn dumped_columns<'a>() -> Vec<Col<'a, Row<'a>>> {
    vec![
        Col::num("PID", |r: &Row| Cell::opt_num(r.0.known_pid())),
        Col::num("TID", |r: &Row| Cell::num(r.1.tid)),
        Col::text("NAME", |r: &Row| name(r.1)),
        Col::num("SIG", |r: &Row| Cell::opt_num(r.1.signal)),
        Col::text("PC", |r: &Row| hex(r.1.pc)),
        Col::text("SP", |r: &Row| hex(r.1.sp)),
        Col::num("UTIME", |r: &Row| cpu(r.1.user_time)).left(),
        Col::num("STIME", |r: &Row| cpu(r.1.system_time)).left(),
    ]
}

fn live_columns<'a>() -> Vec<Col<'a, Row<'a>>> {
    vec![
        Col::num("PID", |r: &Row| Cell::opt_num(r.0.known_pid())),
        Col::num("TID", |r: &Row| Cell::num(r.1.tid)),
        Col::text("NAME", |r: &Row| name(r.1)),
        Col::text("STAT", |r: &Row| Cell::opt_text(r.1.state.clone())),
        Col::num("CPU", |r: &Row| Cell::opt_num(r.1.processor)),
        Col::num("PRI", |r: &Row| Cell::opt_num(r.1.priority)),
        Col::num("NI", |r: &Row| Cell::opt_num(r.1.nice)),
        Col::num("UTIME", |r: &Row| cpu(r.1.user_time)).left(),
        Col::num("STIME", |r: &Row| cpu(r.1.system_time)).left(),
        Col::text("WCHAN", |r: &Row| Cell::opt_text(r.1.wchan.clone())),
    ]
}

/// `prstat -mL` columns: the share of each LWP's life spent in each microstate (percent of `pr_rtime`),
/// and its context switches, system calls and signals.
fn prstat_ml(snapshot: &Snapshot, procs: &[&Process]) -> Report {
    type Lwp<'a> = (&'a Process, &'a Thread, &'a Usage);
    let rows: Vec<Lwp> = procs
        .iter()
        .flat_map(|p| {
            p.threads
                .iter()
                .flatten()
                .filter_map(move |t| t.usage.as_ref().map(|u| (*p, t, u)))
        })
        .collect();
    let pct = |f: fn(&Usage) -> f64| {
        move |r: &Lwp| {
            let u = r.2;
            if u.real > 0.0 {
                Cell::Number(format!("{:.1}", 100.0 * f(u) / u.real))
            } else {
                Cell::Absent
            }
        }
    };
    let cols: Vec<Col<Lwp>> = vec![
        Col::num("PID", |r: &Lwp| Cell::opt_num(r.0.known_pid())),
        Col::num("LWP", |r: &Lwp| Cell::num(r.1.tid)),
        Col::text("NAME", |r: &Lwp| name(r.1)),
        Col::text("CLS", |r: &Lwp| Cell::opt_text(r.1.class.clone())),
        Col::text("S", |r: &Lwp| Cell::opt_text(r.1.state.clone())),
        Col::num("USR", pct(|u| u.user)),
        Col::num("SYS", pct(|u| u.system)),
        Col::num("TRP", pct(|u| u.trap)),
        Col::num("TFL", pct(|u| u.text_fault)),
        Col::num("DFL", pct(|u| u.data_fault)),
        Col::num("LCK", pct(|u| u.lock)),
        Col::num("SLP", pct(|u| u.sleep)),
        Col::num("LAT", pct(|u| u.wait_cpu)),
        Col::num("VCX", |r: &Lwp| Cell::num(r.2.voluntary_switches)),
        Col::num("ICX", |r: &Lwp| Cell::num(r.2.involuntary_switches)),
        Col::num("SCL", |r: &Lwp| Cell::num(r.2.syscalls)),
        Col::num("SIG", |r: &Lwp| Cell::num(r.2.signals)),
    ];
    Report {
        name: "threads",
        record_key: "threads",
        table: build(&cols, rows.iter().copied()),
        records: rows.iter().map(|&(p, t, _)| record(p, t)).collect(),
        ..Report::default()
    }
    .about(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::sample;

    #[test]
    fn lists_threads_with_their_process() {
        let s = sample();
        let r = threads(&s, Some(102), &Filter::default()).unwrap();
        let rows = r.table.texts();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][..4], ["102", "103", "io", "R"]);
        assert_eq!(r.records[1]["pid"], 102);
        assert_eq!(r.records[1]["tid"], 103);
        let all = threads(&s, None, &Filter::default()).unwrap();
        assert_eq!(all.table.rows.len(), 2);
        assert!(threads(&s, Some(5), &Filter::default()).is_err());
    }
}
