//! `diff OLD NEW`: a [`Diff`] rendered as a summary and per-process detail (table), one JSON document,
//! one change per line (NDJSON) or one change per row (CSV).

use serde_json::{Value, json};

use super::table::{Cell, Col, build};
use super::{Block, Report, to_json};
use crate::diff::{Change, Diff, Kind, Side};

/// The `diff` report. JSON: `old` and `new` (source, host name, boot id, boot time, capture time, uptime,
/// process count), `same_boot`, `interval_secs`, `interval_source`, `notes`, `summary` (per kind:
/// `changes`, `highlighted`), `changes`, and `warnings` (each with `side`). The table: both inputs, the
/// interval and notes, a summary per kind, then one row per change; CSV: one row per change with full
/// times and separate delta and rate.
pub fn diff(diff: &Diff) -> Report {
    let side = |s: &Side| {
        let mut v = to_json(s);
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
    let mut extra = serde_json::Map::new();
    extra.insert("old".into(), side(&diff.old));
    extra.insert("new".into(), side(&diff.new));
    // Unknown is absent, never null.
    if let Some(b) = diff.same_boot {
        extra.insert("same_boot".into(), json!(b));
    }
    if let Some(i) = diff.interval_secs {
        extra.insert("interval_secs".into(), json!(i));
    }
    extra.insert("interval_source".into(), json!(diff.interval_source));
    extra.insert("notes".into(), json!(diff.notes));
    extra.insert("summary".into(), Value::Object(summary));
    let warnings = [("old", &diff.old), ("new", &diff.new)]
        .into_iter()
        .flat_map(|(name, s)| s.warnings.iter().map(move |w| (Some(name), w.clone())))
        .collect();
    Report {
        name: "diff",
        record_key: "changes",
        table: build(&csv_columns(), &diff.changes),
        records: diff.changes.iter().map(to_json).collect(),
        extra,
        text: Some(text(diff)),
        warnings,
    }
}

/// The table: both inputs, the interval, the notes, then the summary and one row per change.
fn text(diff: &Diff) -> Vec<Block> {
    let mut blocks = Vec::new();
    for (name, s) in [("OLD", &diff.old), ("NEW", &diff.new)] {
        blocks.push(Block::Wrapped {
            lead: format!("{name}  "),
            text: side_line(s),
        });
    }
    blocks.push(Block::Wrapped {
        lead: "interval: ".into(),
        text: match diff.interval_secs {
            Some(i) => format!("{i:.3} s ({})", diff.interval_source),
            None => diff.interval_source.clone(),
        },
    });
    for n in &diff.notes {
        blocks.push(Block::Wrapped {
            lead: "note: ".into(),
            text: n.clone(),
        });
    }
    blocks.push(Block::Line(String::new()));
    if diff.changes.is_empty() {
        blocks.push(Block::Line("no differences".into()));
        return blocks;
    }
    let summary: Vec<(&'static str, usize, usize)> = diff
        .summary()
        .into_iter()
        .map(|(k, (n, h))| (k.name(), n, h))
        .collect();
    let cols: Vec<Col<&(&str, usize, usize)>> = vec![
        Col::text("KIND", |r: &&(&str, usize, usize)| Cell::text(r.0)),
        Col::num("CHANGES", |r: &&(&str, usize, usize)| Cell::num(r.1)),
        Col::num("HIGHLIGHTED", |r: &&(&str, usize, usize)| Cell::num(r.2)),
    ];
    blocks.push(Block::Table(build(&cols, &summary)));
    blocks.push(Block::Line(String::new()));
    let day = diff.new.captured.or(diff.old.captured).map(|t| t.parts().0);
    blocks.push(Block::Table(build(&table_columns(day), &diff.changes)));
    blocks
}

/// The rows of `changes` as the table of `diff` shows them, with full start times (for the HTML page's
/// per-process changes).
pub(crate) fn change_table(changes: &[&Change]) -> super::Table {
    build(&table_columns(None), changes.iter().copied())
}

/// A change's pid, blank for host-wide changes.
fn pid(c: &Change) -> Cell {
    c.pid.map_or(Cell::Blank, Cell::num)
}

fn comm(c: &Change) -> Cell {
    c.comm
        .as_ref()
        .map_or(Cell::Blank, |c| Cell::text(c.escaped()))
}

/// One row per change, for people: `!` marks highlights; deltas and rates in the note. START is as `ps`
/// shows it when `day` (`YYYY-MM-DD`, the day of the capture) is given: `HH:MM:SS` (UTC) for a process
/// that started that day, its date otherwise; else the date and the time. OLD, NEW and NOTE wrap on a
/// narrow terminal (under the row when it is too narrow for them beside it), so that what changed is
/// never cut off.
fn table_columns<'a>(day: Option<String>) -> Vec<Col<'a, &'a Change>> {
    vec![
        Col::text("!", |c: &&Change| {
            Cell::text(if c.highlight { "!" } else { "" })
        }),
        Col::num("PID", |c: &&Change| pid(c)),
        Col::time("START", move |c: &&Change| {
            c.start_time.map_or(Cell::Blank, |t| {
                let (d, time) = t.parts();
                let shown = match &day {
                    Some(day) if *day == d => time,
                    Some(_) => d,
                    None => format!("{d} {time}"),
                };
                Cell::time(t, shown)
            })
        }),
        Col::text("COMM", |c: &&Change| comm(c)),
        Col::text("KIND", |c: &&Change| Cell::text(c.kind.name())),
        Col::text("FIELD", |c: &&Change| Cell::text(c.field.clone())),
        Col::text("OLD", |c: &&Change| Cell::text(value_text(c.old.as_ref()))).wrap(),
        Col::text("NEW", |c: &&Change| Cell::text(new_text(c))).wrap(),
        Col::text("NOTE", |c: &&Change| Cell::text(note(c))).wrap(),
    ]
}

/// One row per change, for programs (CSV): full times, delta and rate in their own columns.
fn csv_columns<'a>() -> Vec<Col<'a, &'a Change>> {
    let number = |v: Option<&Value>| match v {
        None | Some(Value::Null) => Cell::Blank,
        Some(Value::Number(n)) => Cell::Number(n.to_string()),
        Some(other) => Cell::text(value_text(Some(other))),
    };
    vec![
        Col::num("pid", |c: &&Change| pid(c)),
        Col::time("start_time", |c: &&Change| {
            c.start_time
                .map_or(Cell::Blank, |t| Cell::time(t, t.rfc3339()))
        }),
        Col::text("comm", |c: &&Change| comm(c)),
        Col::text("kind", |c: &&Change| Cell::text(c.kind.name())),
        Col::text("field", |c: &&Change| Cell::text(c.field.clone())),
        Col::text("old", |c: &&Change| Cell::text(value_text(c.old.as_ref()))),
        Col::text("new", |c: &&Change| Cell::text(new_text(c))),
        Col::num("delta", move |c: &&Change| number(c.delta.as_ref())),
        Col::num("rate", |c: &&Change| {
            c.rate.map_or(Cell::Blank, |r| Cell::Number(r.to_string()))
        }),
        Col::text("highlight", |c: &&Change| {
            Cell::text(c.highlight.to_string())
        }),
        Col::text("note", |c: &&Change| {
            Cell::text(c.note.clone().unwrap_or_default())
        }),
    ]
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

/// NEW's value for people; a new finding (whose whole record is in JSON) by its severity.
fn new_text(c: &Change) -> String {
    match (c.kind, &c.new) {
        (Kind::Findings, Some(f)) => value_text(f.get("severity")),
        _ => value_text(c.new.as_ref()),
    }
}

/// A value for people: strings as they are, lists joined by spaces, `-` for nothing.
fn value_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| value_text(Some(x)))
            .collect::<Vec<_>>()
            .join(" "),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, x)| format!("{k}={}", value_text(Some(x))))
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
    use crate::report::Format;
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
        crate::report::render::render(&diff(d), format, None, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The sample has no capture times and no boot facts: `same_boot` and `interval_secs` are unknown,
    /// so absent, not null.
    #[test]
    fn unknown_interval_and_boot_are_absent() {
        let doc: Value = serde_json::from_str(&render(&changed(), Format::Json)).unwrap();
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

    /// `changed()` and an exec whose new argv is longer than any terminal line.
    fn changed_long() -> Diff {
        let old = sample();
        let mut new = sample();
        new.processes[3].cred.euid = Some(0);
        new.processes[3].user_time = Some(2.5);
        new.processes.remove(2);
        let long: Vec<crate::bytes::ByteString> = (0..12)
            .map(|i| {
                format!("--option-{i}=/srv/app/releases/2026-12-06/config-{i}.toml")
                    .as_str()
                    .into()
            })
            .collect();
        new.processes[1].argv = Some(long);
        compare(&old, &new, &Options::default()).unwrap()
    }

    fn render_at(d: &Diff, width: usize) -> String {
        let mut out = Vec::new();
        crate::report::render::render(&diff(d), Format::Table, Some(width), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The change table: from its header (`!  PID  START ...`) on.
    fn table_part(text: &str) -> &str {
        &text[text.find("\n!  ").unwrap() + 1..]
    }

    /// On a terminal of any usual width, every change shows its NEW value and its note whole (wrapped, not
    /// cut), and no line is wider than the terminal. Before NEW and NOTE could wrap, they were cut off at 80
    /// and 120 columns.
    #[test]
    fn new_values_and_notes_survive_narrow_terminals() {
        let d = changed_long();
        let bare = |s: &str| s.replace([' ', '\n', '…'], "");
        for width in [80, 100, 120, 200] {
            let text = render_at(&d, width);
            assert!(
                text.lines()
                    .all(|l| super::super::table::width_of(l) <= width),
                "{width}:\n{text}"
            );
            let table = table_part(&text);
            for c in &d.changes {
                let new = new_text(c);
                assert!(
                    bare(table).contains(&bare(&new)),
                    "{width}: NEW {new:?} in\n{table}"
                );
                let n = note(c);
                assert!(
                    bare(table).contains(&bare(&n)),
                    "{width}: NOTE {n:?} in\n{table}"
                );
            }
            let euid = text.lines().position(|l| l.contains("euid")).unwrap();
            let after: Vec<&str> = text.lines().skip(euid).take(4).collect();
            assert!(
                after.join("\n").contains("privilege gain"),
                "{width}: {text}"
            );
        }
        // Piped, one line per change, as before.
        let piped = render(&d, Format::Table);
        let table = table_part(&piped);
        assert_eq!(table.lines().count(), d.changes.len() + 1, "{piped}");
    }

    /// START as `ps` shows it: the time for a process started on the day NEW was captured, the date for
    /// one started before; both when no capture time is known (the sample has none).
    #[test]
    fn start_is_shown_as_ps_shows_it() {
        let mut d = changed();
        let euid_start = |d: &Diff| {
            let text = render(d, Format::Table);
            let row = text
                .lines()
                .find(|l| l.contains("euid"))
                .unwrap()
                .to_string();
            row.split_whitespace().nth(2).unwrap().to_string()
        };
        // pid 102 started at 1_795_350_102 s: 2026-11-22 12:21:42 UTC.
        assert_eq!(euid_start(&d), "2026-11-22");
        let text = render(&d, Format::Table);
        assert!(text.contains("2026-11-22 12:21:42"), "{text}");
        let at = |secs| crate::time::Timestamp { secs, nanos: 0 };
        d.new.captured = Some(at(1_795_350_102 + 3600));
        assert_eq!(euid_start(&d), "12:21:42");
        d.new.captured = Some(at(1_795_350_102 + 86_400));
        assert_eq!(euid_start(&d), "2026-11-22");
        // OLD's capture day when NEW's is unknown.
        d.new.captured = None;
        d.old.captured = Some(at(1_795_350_000));
        assert_eq!(euid_start(&d), "12:21:42");
        // CSV keeps the full time.
        assert!(render(&d, Format::Csv).contains("2026-11-22T12:21:42Z"));
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
