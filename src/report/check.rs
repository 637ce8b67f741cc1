//! `check`: the findings table with its evidence and what could not be checked; `check --list-rules`.

use serde_json::{Value, json};

use super::table::{Cell, ColumnSpec, Kind, Table};
use super::text::Block;
use super::{Report, to_json};
use crate::check::{Finding, InputClass, Outcome, RULES, Severity};
use crate::model::Snapshot;

/// How many pids a not-checked line lists before `...`.
const PIDS_SHOWN: usize = 8;

/// The report of `outcome` over `snapshot`, showing the findings at or above `min`.
pub fn check(snapshot: &Snapshot, outcome: &Outcome, min: Severity) -> Report {
    let shown: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.severity >= min)
        .collect();
    let pid = |f: &Finding| Cell::opt_num(f.pid);
    let comm = |f: &Finding| Cell::opt_text(f.comm.as_ref().map(|c| c.escaped()));
    // People: the findings, then their evidence, then what was not checked.
    let mut blocks = Vec::new();
    if shown.is_empty() {
        blocks.push(Block::Line(format!("no findings at or above {min}")));
    } else {
        blocks.push(Block::Table(Table {
            columns: vec![
                ColumnSpec::new("SEVERITY", Kind::Text),
                ColumnSpec::new("RULE", Kind::Text),
                ColumnSpec::new("PID", Kind::Number),
                ColumnSpec::new("COMMAND", Kind::Text),
                // Whole on a narrow terminal: the finding is what a responder acts on.
                ColumnSpec {
                    wrap: true,
                    ..ColumnSpec::new("SUMMARY", Kind::Text)
                },
            ],
            rows: shown
                .iter()
                .map(|f| {
                    vec![
                        Cell::text(f.severity.name()),
                        Cell::text(&f.rule),
                        pid(f),
                        comm(f),
                        Cell::text(&f.summary),
                    ]
                })
                .collect(),
        }));
        blocks.push(Block::Line(String::new()));
        blocks.push(Block::Line("evidence:".into()));
        blocks.push(Block::Table(Table {
            columns: vec![
                ColumnSpec::new("RULE", Kind::Text),
                ColumnSpec::new("PID", Kind::Number),
                ColumnSpec::new("MEMBER", Kind::Text),
                ColumnSpec {
                    wrap: true,
                    ..ColumnSpec::new("DETAIL", Kind::Text)
                },
            ],
            rows: shown
                .iter()
                .flat_map(|f| {
                    f.evidence.iter().map(move |e| {
                        vec![
                            Cell::text(&f.rule),
                            pid(f),
                            Cell::text(&e.member),
                            Cell::text(&e.detail),
                        ]
                    })
                })
                .collect(),
        }));
    }
    if !outcome.not_checked.is_empty() {
        blocks.push(Block::Line(String::new()));
        blocks.push(Block::Line("not checked:".into()));
        for n in &outcome.not_checked {
            let who = match n.pids.len() {
                0 => String::new(),
                count => {
                    let mut list: Vec<String> = n
                        .pids
                        .iter()
                        .take(PIDS_SHOWN)
                        .map(|p| p.to_string())
                        .collect();
                    if count > PIDS_SHOWN {
                        list.push("...".into());
                    }
                    format!(
                        " ({count} process{}: {})",
                        if count == 1 { "" } else { "es" },
                        list.join(", ")
                    )
                }
            };
            blocks.push(Block::Wrapped {
                lead: format!("  {}: ", n.rule),
                text: format!("{}{who}", n.reason),
            });
        }
    }
    blocks.push(Block::Line(String::new()));
    blocks.push(Block::Wrapped {
        lead: String::new(),
        text: totals(outcome, &shown, min),
    });

    // Programs: CSV with the evidence in one cell, JSON with everything.
    let table = Table {
        columns: ["SEVERITY", "RULE"]
            .map(|h| ColumnSpec::new(h, Kind::Text))
            .into_iter()
            .chain([ColumnSpec::new("PID", Kind::Number)])
            .chain(
                ["COMMAND", "SUMMARY", "ATTACK", "EVIDENCE"]
                    .map(|h| ColumnSpec::new(h, Kind::Text)),
            )
            .collect(),
        rows: shown
            .iter()
            .map(|f| {
                vec![
                    Cell::text(f.severity.name()),
                    Cell::text(&f.rule),
                    pid(f),
                    comm(f),
                    Cell::text(&f.summary),
                    Cell::text(&f.attack),
                    Cell::text(
                        f.evidence
                            .iter()
                            .map(|e| format!("{}: {}", e.member, e.detail))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                ]
            })
            .collect(),
    };
    let mut extra = serde_json::Map::new();
    if let Some(input) = outcome.input {
        extra.insert("input".into(), json!(input.name()));
    }
    extra.insert("min_severity".into(), json!(min.name()));
    extra.insert("rules".into(), json!(outcome.rules_run));
    extra.insert("not_checked".into(), to_json(&outcome.not_checked));
    extra.insert("allowed".into(), json!(outcome.allowed.len()));
    Report {
        name: "check",
        record_key: "findings",
        table,
        records: shown.iter().map(to_json).collect(),
        extra,
        text: Some(blocks),
        ..Report::default()
    }
    .about(snapshot)
}

/// `2 findings (1 high, 1 medium); 1 allowed; 3 below low not shown` (also the HTML page's line).
pub(crate) fn totals(outcome: &Outcome, shown: &[&Finding], min: Severity) -> String {
    let mut by: Vec<String> = Vec::new();
    for s in Severity::ALL.iter().rev() {
        let n = shown.iter().filter(|f| f.severity == *s).count();
        if n > 0 {
            by.push(format!("{n} {s}"));
        }
    }
    let mut text = format!(
        "{} finding{}",
        shown.len(),
        if shown.len() == 1 { "" } else { "s" }
    );
    if !by.is_empty() {
        text.push_str(&format!(" ({})", by.join(", ")));
    }
    let below = outcome.findings.len() - shown.len();
    if below > 0 {
        text.push_str(&format!("; {below} below {min} not shown"));
    }
    if !outcome.allowed.is_empty() {
        text.push_str(&format!(
            "; {} allowed by the allowlist",
            outcome.allowed.len()
        ));
    }
    text.push_str(&format!("; {} rules run", outcome.rules_run.len()));
    text
}

/// `check --list-rules`: every rule with its severity, ATT&CK id, what it looks at, its benign causes,
/// and the inputs it runs on and why not on the others.
pub fn rules() -> Report {
    let mut blocks = Vec::new();
    let mut records = Vec::new();
    let mut rows = Vec::new();
    for r in RULES {
        let runs_on: Vec<&str> = InputClass::ALL
            .iter()
            .filter(|c| r.unsupported_on(**c).is_none())
            .map(|c| c.name())
            .collect();
        let not_on: Vec<(InputClass, &str)> = r.unsupported.to_vec();
        let not_on_text = not_on
            .iter()
            .map(|(c, why)| format!("{}: {why}", c.name()))
            .collect::<Vec<_>>()
            .join("; ");
        let mut fields = vec![
            ("looks at".to_string(), r.looks_at.to_string()),
            ("benign causes".to_string(), r.benign.to_string()),
            ("runs on".to_string(), runs_on.join(", ")),
        ];
        if !not_on.is_empty() {
            fields.push(("not on".to_string(), not_on_text.clone()));
        }
        blocks.push(Block::Fields {
            title: Some(format!("{} ({}, {})", r.id, r.severity, r.attack)),
            fields,
        });
        records.push(json!({
            "id": r.id,
            "severity": r.severity,
            "attack": r.attack,
            "looks_at": r.looks_at,
            "benign": r.benign,
            "runs_on": runs_on,
            "not_on": not_on.iter().map(|(c, why)| json!({"input": c.name(), "reason": why})).collect::<Vec<Value>>(),
        }));
        rows.push(vec![
            Cell::text(r.id),
            Cell::text(r.severity.name()),
            Cell::text(r.attack),
            Cell::text(r.looks_at),
            Cell::text(r.benign),
            Cell::text(runs_on.join(" ")),
            Cell::text(not_on_text),
        ]);
    }
    let mut inputs = serde_json::Map::new();
    for c in InputClass::ALL {
        inputs.insert(c.name().into(), json!(c.describe()));
    }
    let mut extra = serde_json::Map::new();
    extra.insert("inputs".into(), Value::Object(inputs));
    Report {
        name: "check-rules",
        record_key: "rules",
        table: Table {
            columns: [
                "ID", "SEVERITY", "ATTACK", "LOOKS_AT", "BENIGN", "RUNS_ON", "NOT_ON",
            ]
            .map(|h| ColumnSpec::new(h, Kind::Text))
            .to_vec(),
            rows,
        },
        records,
        extra,
        text: Some(blocks),
        ..Report::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::ByteString;
    use crate::check::Options;
    use crate::model::{InputKind, Process, Source};
    use crate::report::render::{Format, render};

    fn hostile() -> Snapshot {
        let p = Process {
            pid: 7,
            ppid: Some(1),
            comm: Some(ByteString::from(&b"x\x1b[31mRED\n"[..])),
            argv: Some(vec![ByteString::from(&b"[kworker/0:1]"[..])]),
            exe: Some(ByteString::from(
                &b"/tmp/a\n    1  high  FAKE-ROW \xff\x1b]0;t\x07"[..],
            )),
            env: Some(vec![ByteString::from(&b"LD_PRELOAD=/tmp/\x1b[2J.so"[..])]),
            kernel_thread: Some(false),
            ..Process::default()
        };
        Snapshot {
            source: Source {
                kind: InputKind::Archive,
                path: "h.tar".into(),
                os: Some("linux".into()),
            },
            processes: vec![p],
            ..Snapshot::default()
        }
    }

    fn rendered(format: Format, width: Option<usize>) -> String {
        let s = hostile();
        let outcome = crate::check::check(&s, &Options::default());
        let mut out = Vec::new();
        render(&check(&s, &outcome, Severity::Low), format, width, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// How many findings the hostile snapshot gives at `Severity::Low` and above.
    fn outcome_count() -> usize {
        let outcome = crate::check::check(&hostile(), &Options::default());
        outcome
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Low)
            .count()
    }

    #[test]
    fn hostile_text_stays_escaped_and_one_line_per_finding() {
        for width in [None, Some(80)] {
            let t = rendered(Format::Table, width);
            assert!(!t.contains('\x1b') && !t.contains('\x07'), "{t}");
            assert!(
                !t.lines().any(|l| l.trim_start().starts_with("1  high")),
                "{t}"
            );
            // Every line of the findings table is one finding's row, or (on a narrow terminal) its
            // summary under it: indented, labelled, never starting like a row.
            let mut rows = 0;
            for line in t.lines().skip(1).take_while(|l| !l.is_empty()) {
                if ["high ", "medium ", "low ", "info "]
                    .iter()
                    .any(|s| line.starts_with(s))
                {
                    rows += 1;
                } else {
                    assert!(
                        width.is_some()
                            && (line.starts_with("    SUMMARY  ") || line.starts_with("    …  ")),
                        "{line:?} in {t}"
                    );
                }
            }
            assert_eq!(rows, outcome_count(), "{t}");
            assert!(t.contains("\\x1b"), "{t}");
        }
        let csv = rendered(Format::Csv, None);
        assert!(!csv.contains('\x1b'), "{csv}");
        // JSON keeps the exact bytes, in its own escape.
        let json: serde_json::Value = serde_json::from_str(&rendered(Format::Json, None)).unwrap();
        let f = &json["findings"];
        assert!(
            f.as_array()
                .unwrap()
                .iter()
                .any(|f| f["comm"] == "x\u{1b}[31mRED\n"),
            "{json:#}"
        );
    }
}
