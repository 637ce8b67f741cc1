//! `info`: host facts, capture window, counts and warnings.

use serde_json::json;

use super::table::{Cell, ColumnSpec, Kind, Table};
use super::{Block, Report, opt};
use crate::model::Snapshot;

/// The `info` report. JSON: `host`, `capture`, `counts` at the top level; records are the field rows.
pub fn info(snapshot: &Snapshot) -> Report {
    let (threads, fds) = snapshot.list_totals();
    info_with(snapshot, snapshot.processes.len(), threads, fds)
}

/// The `info` report with the processes, and the total threads and open files, counted elsewhere (from
/// an archive's member index, see [`crate::analyze::linux_info`]), not from the model's processes and
/// their lists; `None` when unknown.
pub fn info_with(
    snapshot: &Snapshot,
    processes: usize,
    threads: Option<usize>,
    fds: Option<usize>,
) -> Report {
    let h = &snapshot.host;
    let mut rows: Vec<(&str, String)> = vec![
        (
            "input",
            format!("{} ({:?})", snapshot.source.path, snapshot.source.kind).to_lowercase(),
        ),
        ("hostname", opt(h.hostname.as_deref())),
        (
            "kernel",
            [&h.sysname, &h.release, &h.machine]
                .iter()
                .filter_map(|x| x.as_deref())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ("kernel version", opt(h.version.as_deref())),
        ("os", opt(h.os_release.as_deref())),
        (
            "byte order / data model",
            format!(
                "{} / {}",
                opt(h.byte_order.map(|e| e.name())),
                opt(h.data_model.map(|m| m.name()))
            ),
        ),
        (
            "page size / clock ticks",
            format!("{} / {}", opt(h.page_size), opt(h.clk_tck)),
        ),
        ("boot time", opt(h.boot_time.map(|t| t.rfc3339()))),
        ("boot id", opt(h.boot_id.as_deref())),
        (
            "uptime",
            opt(h
                .uptime_secs
                .map(|u| format!("{u:.0}s ({})", super::cpu_time(u)))),
        ),
        (
            "load average",
            opt(h
                .loadavg
                .map(|l| format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2]))),
        ),
        ("cpus", opt(h.ncpu)),
        (
            "memory total / available",
            format!(
                "{} / {} KiB",
                opt(h.mem_total_kib),
                opt(h.mem_available_kib)
            ),
        ),
    ];
    if let Some(c) = &snapshot.capture {
        rows.push((
            "captured by",
            format!("procsift {} (format {})", c.tool_version, c.format_version),
        ));
        rows.push(("capture started", opt(c.started.map(|t| t.rfc3339()))));
        rows.push(("capture finished", opt(c.finished.map(|t| t.rfc3339()))));
        if let (Some(a), Some(b)) = (c.started, c.finished) {
            rows.push((
                "capture took",
                format!("{:.3}s", b.as_secs_f64() - a.as_secs_f64()),
            ));
        }
        for (k, v) in [
            ("profile", &c.profile),
            ("case", &c.case),
            ("examiner", &c.examiner),
            ("note", &c.note),
        ] {
            if let Some(v) = v {
                rows.push((k, v.clone()));
            }
        }
        rows.push(("members", c.members.to_string()));
        let errs: Vec<String> = c
            .read_errors
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        rows.push((
            "members not read",
            if errs.is_empty() {
                "none".into()
            } else {
                errs.join(", ")
            },
        ));
        rows.push(("vanished during capture", c.vanished.len().to_string()));
    }
    if let Some(core) = &snapshot.core {
        rows.push(("core written by", core.os.clone()));
        rows.push((
            "core architecture",
            format!(
                "{} ({}-bit, {}-endian)",
                core.arch, core.elf_class, core.byte_order
            ),
        ));
        if let Some(k) = &core.kernel {
            rows.push(("core kernel", k.clone()));
        }
        let signal = core.signal.as_ref().map(|s| {
            let name = s.name.clone().unwrap_or_else(|| "signal".into());
            let thread = s
                .thread
                .map(|t| format!(" in thread {t}"))
                .unwrap_or_default();
            format!("{name} ({}){thread}", s.number)
        });
        rows.push((
            "core signal",
            signal.unwrap_or_else(|| "none recorded".into()),
        ));
        rows.push(("core notes", core.notes.len().to_string()));
    }
    if let Some(e) = &snapshot.events {
        rows.push((
            "process events",
            if e.recorded {
                let only = e.processes.len();
                let mut v = format!(
                    "recorded: {} events, {} lost (ENOBUFS), {} processes known only from events",
                    e.count, e.lost, only
                );
                if let Some(w) = e.watch_secs.filter(|w| *w > 0.0) {
                    v.push_str(&format!(", watched {w}s after the scan"));
                }
                if let Some(r) = &e.reason {
                    v.push_str(&format!("; {r}"));
                }
                v
            } else {
                format!(
                    "not recorded: {}",
                    e.reason.as_deref().unwrap_or("no reason given")
                )
            },
        ));
    }
    rows.push(("processes", processes.to_string()));
    let unknown =
        |v: Option<usize>| v.map_or_else(|| "- (not recorded)".to_string(), |n| n.to_string());
    rows.push(("threads", unknown(threads)));
    rows.push(("open fds", unknown(fds)));
    rows.push(("warnings", snapshot.warnings.len().to_string()));

    let mut extra = serde_json::Map::new();
    extra.insert("host".into(), serde_json::to_value(h).unwrap_or_default());
    if let Some(c) = &snapshot.capture {
        extra.insert(
            "capture".into(),
            serde_json::to_value(c).unwrap_or_default(),
        );
    }
    if let Some(e) = &snapshot.events {
        let mut v = json!({
            "recorded": e.recorded,
            "count": e.count,
            "lost": e.lost,
            "processes_only_in_events": e.processes.len(),
        });
        if let (Some(obj), Some(r)) = (v.as_object_mut(), &e.reason) {
            obj.insert("reason".into(), json!(r));
        }
        extra.insert("events".into(), v);
    }
    let mut counts = json!({"processes": processes, "warnings": snapshot.warnings.len()});
    if let Some(o) = counts.as_object_mut() {
        for (k, v) in [("threads", threads), ("fds", fds)] {
            if let Some(v) = v {
                o.insert(k.into(), json!(v));
            }
        }
    }
    extra.insert("counts".into(), counts);
    let fields: Vec<(String, String)> = rows.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    Report {
        name: "info",
        record_key: "fields",
        table: Table {
            columns: vec![
                ColumnSpec::new("FIELD", Kind::Text),
                ColumnSpec::new("VALUE", Kind::Text),
            ],
            rows: fields
                .iter()
                .map(|(k, v)| vec![Cell::text(k), Cell::text(v)])
                .collect(),
        },
        records: fields
            .iter()
            .map(|(k, v)| json!({"field": k, "value": v}))
            .collect(),
        extra,
        text: Some(vec![Block::Fields {
            title: None,
            fields,
        }]),
        ..Report::default()
    }
    .about(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::sample;

    #[test]
    fn counts_and_host() {
        let r = info(&sample());
        let mut out = Vec::new();
        crate::report::render::render(&r, crate::report::Format::Table, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("hostname  "), "{text}");
        assert!(text.contains("testhost"), "{text}");
        assert_eq!(r.extra["counts"]["processes"], 4);
        assert_eq!(r.extra["counts"]["threads"], 2);
        assert_eq!(r.extra["counts"]["warnings"], 1);
    }

    /// A Linux input that records no descriptors (a core, a tree without `fd/`) has no fd count, and
    /// one that is no capture has no `capture` object: unknown is absent, never 0 or null.
    #[test]
    fn unknown_counts_are_absent() {
        let mut s = sample();
        for p in &mut s.processes {
            p.fds = None;
            p.threads = None;
        }
        s.capture = None;
        let r = info(&s);
        assert!(
            r.extra["counts"].get("fds").is_none(),
            "{}",
            r.extra["counts"]
        );
        assert!(r.extra["counts"].get("threads").is_none());
        assert!(!r.extra.contains_key("capture"));
        let mut out = Vec::new();
        crate::report::render::render(&r, crate::report::Format::Table, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let line = text.lines().find(|l| l.starts_with("open fds")).unwrap();
        assert!(line.ends_with("  - (not recorded)"), "{text}");
    }
}
