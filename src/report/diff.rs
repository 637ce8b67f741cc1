//! `diff OLD NEW`: a [`Diff`] rendered as a summary and per-process detail (table), one JSON document,
//! one change per line (NDJSON) or one change per row (CSV).

use std::io::Write;

use serde_json::{Value, json};

use super::Report;
use super::render::{Format, csv_row, write_table};
use crate::diff::{Change, Diff, Kind, Side};
use crate::model::SCHEMA_VERSION;

/// Writes `diff` in `format`. `width` is the terminal width when stdout is a terminal.
pub fn render_diff(
    diff: &Diff,
    format: Format,
    width: Option<u16>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Table => table(diff, width, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &document(diff))?;
            writeln!(out)
        }
        Format::Ndjson => {
            for c in &diff.changes {
                serde_json::to_writer(&mut *out, c)?;
                writeln!(out)?;
            }
            for (side, w) in warnings(diff) {
                serde_json::to_writer(&mut *out, &json!({"warning": w, "side": side}))?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Csv => {
            let r = detail(diff, true);
            writeln!(out, "{}", csv_row(&r.columns))?;
            for row in &r.rows {
                writeln!(out, "{}", csv_row(row))?;
            }
            Ok(())
        }
    }
}

/// The JSON document: `schema_version`, `report` (`diff`), `old` and `new` (source, host name, boot id,
/// boot time, capture time, uptime, process count), `same_boot`, `interval_secs`, `interval_source`,
/// `notes`, `summary` (per kind: `changes`, `highlighted`), `changes`, and `warnings` (each with `side`).
pub fn document(diff: &Diff) -> Value {
    let side = |s: &Side| {
        let mut v = serde_json::to_value(s).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("warnings");
        }
        v
    };
    let summary: serde_json::Map<String, Value> = diff
        .summary()
        .into_iter()
        .map(|(k, (n, h))| {
            (
                k.name().to_string(),
                json!({"changes": n, "highlighted": h}),
            )
        })
        .collect();
    let warnings: Vec<Value> = warnings(diff)
        .map(|(side, w)| {
            let mut v = serde_json::to_value(w).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("side".into(), json!(side));
            }
            v
        })
        .collect();
    let mut doc = json!({
        "schema_version": SCHEMA_VERSION,
        "report": "diff",
        "old": side(&diff.old),
        "new": side(&diff.new),
        "interval_source": diff.interval_source,
        "notes": diff.notes,
        "summary": summary,
        "changes": diff.changes,
        "warnings": warnings,
    });
    // Unknown is absent, never null.
    if let Some(o) = doc.as_object_mut() {
        if let Some(b) = diff.same_boot {
            o.insert("same_boot".into(), json!(b));
        }
        if let Some(i) = diff.interval_secs {
            o.insert("interval_secs".into(), json!(i));
        }
    }
    doc
}

fn warnings(diff: &Diff) -> impl Iterator<Item = (&'static str, &crate::model::Warning)> {
    let old = diff.old.warnings.iter().map(|w| ("old", w));
    let new = diff.new.warnings.iter().map(|w| ("new", w));
    old.chain(new)
}

fn table(diff: &Diff, width: Option<u16>, out: &mut dyn Write) -> std::io::Result<()> {
    for (name, s) in [("OLD", &diff.old), ("NEW", &diff.new)] {
        writeln!(out, "{name}  {}", side_line(s))?;
    }
    match diff.interval_secs {
        Some(i) => writeln!(out, "interval: {i:.3} s ({})", diff.interval_source)?,
        None => writeln!(out, "interval: {}", diff.interval_source)?,
    }
    for n in &diff.notes {
        writeln!(out, "note: {n}")?;
    }
    writeln!(out)?;
    if diff.changes.is_empty() {
        return writeln!(out, "no differences");
    }
    write_table(&summary(diff), width, out)?;
    writeln!(out)?;
    write_table(&detail(diff, false), width, out)
}

/// `host.tar (archive): host web1, captured 2026-..., boot 6a1f..., 812 processes`.
fn side_line(s: &Side) -> String {
    let mut parts = Vec::new();
    if let Some(h) = &s.hostname {
        parts.push(format!("host {h}"));
    }
    if let Some(c) = s.captured {
        parts.push(format!("captured {}", c.rfc3339()));
    }
    match (&s.boot_id, s.boot_time) {
        (Some(id), _) => parts.push(format!("boot {id}")),
        (None, Some(t)) => parts.push(format!("booted {}", t.rfc3339())),
        _ => {}
    }
    parts.push(format!("{} processes", s.processes));
    format!(
        "{} ({}): {}",
        s.source.path,
        serde_json::to_value(s.source.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        parts.join(", ")
    )
}

fn summary(diff: &Diff) -> Report {
    let rows: Vec<Vec<String>> = diff
        .summary()
        .into_iter()
        .map(|(k, (n, h))| vec![k.name().to_string(), n.to_string(), h.to_string()])
        .collect();
    Report {
        name: "diff",
        record_key: "summary",
        columns: vec!["KIND".into(), "CHANGES".into(), "HIGHLIGHTED".into()],
        numeric: vec![false, true, true],
        rows,
        ..Report::default()
    }
}

/// One row per change. `raw` (CSV) keeps full start times and separate delta/rate columns.
fn detail(diff: &Diff, raw: bool) -> Report {
    let columns: Vec<&str> = if raw {
        vec![
            "pid",
            "start_time",
            "comm",
            "kind",
            "field",
            "old",
            "new",
            "delta",
            "rate",
            "highlight",
            "note",
        ]
    } else {
        vec![
            "!", "PID", "START", "COMM", "KIND", "FIELD", "OLD", "NEW", "NOTE",
        ]
    };
    let rows = diff
        .changes
        .iter()
        .map(|c| {
            let pid = c.pid.map(|p| p.to_string()).unwrap_or_default();
            let comm = c.comm.as_ref().map(|c| c.escaped()).unwrap_or_default();
            let (old, new) = (text(c.old.as_ref()), text(c.new.as_ref()));
            if raw {
                vec![
                    pid,
                    c.start_time.map(|t| t.rfc3339()).unwrap_or_default(),
                    comm,
                    c.kind.name().to_string(),
                    c.field.clone(),
                    old,
                    new,
                    c.delta.as_ref().map(|d| d.to_string()).unwrap_or_default(),
                    c.rate.map(|r| r.to_string()).unwrap_or_default(),
                    c.highlight.to_string(),
                    c.note.clone().unwrap_or_default(),
                ]
            } else {
                vec![
                    if c.highlight { "!" } else { "" }.to_string(),
                    pid,
                    c.start_time
                        .map(|t| {
                            let (d, t) = t.parts();
                            format!("{d} {t}")
                        })
                        .unwrap_or_default(),
                    comm,
                    c.kind.name().to_string(),
                    c.field.clone(),
                    old,
                    new,
                    note(c),
                ]
            }
        })
        .collect();
    let n = columns.len();
    let mut numeric = vec![false; n];
    numeric[usize::from(!raw)] = true;
    Report {
        name: "diff",
        record_key: "changes",
        columns: columns.into_iter().map(String::from).collect(),
        numeric,
        rows,
        ..Report::default()
    }
}

/// A value for people: strings as they are, lists joined by spaces, `-` for nothing.
fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| text(Some(x)))
            .collect::<Vec<_>>()
            .join(" "),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, x)| format!("{k}={}", text(Some(x))))
            .collect::<Vec<_>>()
            .join(" "),
        Some(other) => other.to_string(),
    }
}

/// The delta and rate in the units of the field, then the note.
fn note(c: &Change) -> String {
    let mut parts = Vec::new();
    let d = c.delta.as_ref().and_then(Value::as_f64);
    match (c.kind, d) {
        (Kind::Cpu, Some(d)) => {
            let mut s = format!("{d:+.2} s");
            if let Some(r) = c.rate {
                s.push_str(&format!(", {:.1}% cpu", r * 100.0));
            }
            parts.push(s);
        }
        (Kind::Io, Some(d)) => {
            let mut s = format!("{}{}", if d < 0.0 { "-" } else { "+" }, bytes(d.abs()));
            if let Some(r) = c.rate {
                s.push_str(&format!(", {}/s", bytes(r.abs())));
            }
            parts.push(s);
        }
        (_, Some(d)) if c.field.ends_with("_kib") => parts.push(format!("{d:+} KiB")),
        (_, Some(d)) => parts.push(format!("{d:+}")),
        _ => {}
    }
    if let Some(n) = &c.note {
        parts.push(n.clone());
    }
    parts.join("; ")
}

/// `1.5 MiB`, `512 B`.
fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Options, compare};
    use crate::report::testutil::sample;

    fn changed() -> Diff {
        let old = sample();
        let mut new = sample();
        new.processes[3].cred.euid = Some(0);
        new.processes[3].user_time = Some(2.5);
        new.processes.remove(2);
        compare(&old, &new, &Options::default()).unwrap()
    }

    fn render(d: &Diff, format: Format) -> String {
        let mut out = Vec::new();
        render_diff(d, format, None, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The sample has no capture times and no boot facts: `same_boot` and `interval_secs` are unknown,
    /// so absent, not null.
    #[test]
    fn unknown_interval_and_boot_are_absent() {
        let doc = document(&changed());
        assert!(doc.get("same_boot").is_none(), "{doc}");
        assert!(doc.get("interval_secs").is_none(), "{doc}");
        assert!(
            doc["interval_source"]
                .as_str()
                .unwrap()
                .starts_with("unknown")
        );
    }

    #[test]
    fn table_has_summary_and_detail() {
        let text = render(&changed(), Format::Table);
        assert!(
            text.starts_with("OLD  test.tar (archive): host testhost"),
            "{text}"
        );
        assert!(text.contains("interval: unknown"), "{text}");
        assert!(text.contains("KIND         CHANGES  HIGHLIGHTED"), "{text}");
        let euid = text.lines().find(|l| l.contains("euid")).unwrap();
        assert!(euid.starts_with('!'), "{euid}");
        let cells: Vec<&str> = euid.split_whitespace().collect();
        assert!(cells.windows(2).any(|w| w == ["1000", "0"]), "{euid}");
        assert!(euid.contains("privilege gain"), "{euid}");
        let cpu = text.lines().find(|l| l.contains("cpu_time")).unwrap();
        assert!(cpu.contains("+1.00 s"), "{cpu}");
        assert!(!cpu.contains("% cpu"), "no interval, no rate: {cpu}");
    }

    #[test]
    fn no_differences_is_said() {
        let d = compare(&sample(), &sample(), &Options::default()).unwrap();
        assert!(render(&d, Format::Table).ends_with("no differences\n"));
        let nd = render(&d, Format::Ndjson);
        assert_eq!(nd.lines().count(), 2, "{nd}");
        assert!(nd.lines().all(|l| l.contains("proc/55/stat")), "{nd}");
    }

    #[test]
    fn json_ndjson_and_csv() {
        let d = changed();
        let v: Value = serde_json::from_str(&render(&d, Format::Json)).unwrap();
        assert_eq!(v["report"], "diff");
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["summary"]["exited"]["changes"], 1);
        assert_eq!(v["summary"]["credentials"]["highlighted"], 1);
        assert_eq!(v["changes"][0]["field"], "processes");
        assert_eq!(v["changes"][0]["delta"], -1);
        assert_eq!(v["changes"][1]["kind"], "exited");
        assert_eq!(v["changes"][1]["old"], "sleep 100 200 \\xff");
        assert_eq!(v["warnings"][0]["side"], "old");
        assert!(v["old"].get("warnings").is_none());

        let lines: Vec<Value> = render(&d, Format::Ndjson)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), d.changes.len() + 2);
        assert_eq!(lines[0]["kind"], "system");
        assert_eq!(lines[1]["pid"], 101);
        assert_eq!(lines.last().unwrap()["side"], "new");

        let csv = render(&d, Format::Csv);
        let mut rows = csv.lines();
        assert_eq!(
            rows.next(),
            Some("pid,start_time,comm,kind,field,old,new,delta,rate,highlight,note")
        );
        assert!(
            csv.lines()
                .any(|l| l.starts_with("102,") && l.contains(",credentials,euid,1000,0,,,true,")),
            "{csv}"
        );
    }

    #[test]
    fn byte_counts_for_people() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0), "3.0 MiB");
    }
}
