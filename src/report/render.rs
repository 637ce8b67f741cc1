//! Output formats: `table` for people, `json`, `ndjson` and `csv` for programs.
//!
//! * `table`: aligned columns without borders (grep-friendly like `ps`), or the report's text (tree, show,
//!   core, info, diff). Piped, every line is whole; on a terminal, lines fit its width (see
//!   [`super::table`] and [`super::text`]). Every value is escaped with [`super::escape::visible`].
//! * `json`: one document `{"schema_version", "report", "source", "host", <records key>: [...],
//!   "warnings": [...]}` (see docs/schema.md). JSON keeps the exact bytes (in the byte-string escape of
//!   [`crate::bytes`]; JSON escapes control characters itself).
//! * `ndjson`: one record per line; then one `{"not_checked": {...}}` line per item of that list (`check`)
//!   and one `{"warning": {...}}` line per warning.
//! * `csv`: RFC 4180, a header row then one row per table row: numbers (or empty), RFC 3339 times, text
//!   with control characters escaped.
//!
//! Warnings are part of the document in `json`/`ndjson`; for `table`/`csv` the caller prints them on
//! stderr so that stdout stays parseable.

use std::io::Write;

use serde_json::{Value, json};

use super::Report;
use super::table::{write_csv, write_table};
use super::text::write_blocks;
use crate::model::SCHEMA_VERSION;

/// Top-level lists of a report that NDJSON writes after the records, one `{"<key>": item}` line per item.
const NDJSON_LISTS: &[&str] = &["not_checked"];

/// Output format (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// One JSON document.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values with a header row.
    Csv,
}

/// Writes `report` in `format`. `width` is the terminal's width when stdout is one (tables and text then
/// fit it), `None` when piped or when the terminal's width is unknown (nothing is cut or wrapped).
pub fn render(
    report: &Report,
    format: Format,
    width: Option<usize>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Table => match &report.text {
            Some(blocks) => write_blocks(blocks, width, out),
            None => write_table(&report.table, width, out),
        },
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &document(report))?;
            writeln!(out)
        }
        Format::Ndjson => {
            for r in &report.records {
                serde_json::to_writer(&mut *out, r)?;
                writeln!(out)?;
            }
            // Lists beside the records (`check`'s `not_checked`): one `{"<key>": item}` line each.
            for key in NDJSON_LISTS {
                for item in report
                    .extra
                    .get(*key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    serde_json::to_writer(&mut *out, &json!({ *key: item }))?;
                    writeln!(out)?;
                }
            }
            for (side, w) in &report.warnings {
                let mut line = json!({ "warning": w });
                if let (Some(side), Some(o)) = (side, line.as_object_mut()) {
                    o.insert("side".into(), json!(side));
                }
                serde_json::to_writer(&mut *out, &line)?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Csv => write_csv(&report.table, out),
    }
}

/// The JSON document of a report: `schema_version`, `report`, the report's top-level fields (`source`,
/// `host`, ... set by the report), the records under the report's key, and `warnings` (each with its
/// `side` when the report has two inputs).
pub fn document(report: &Report) -> Value {
    let mut doc = report.extra.clone();
    doc.insert("schema_version".into(), json!(SCHEMA_VERSION));
    doc.insert("report".into(), json!(report.name));
    doc.insert(
        report.record_key.into(),
        Value::Array(report.records.clone()),
    );
    let warnings = report
        .warnings
        .iter()
        .map(|(side, w)| {
            let mut v = serde_json::to_value(w).unwrap_or_default();
            if let (Some(side), Some(o)) = (side, v.as_object_mut()) {
                o.insert("side".into(), json!(side));
            }
            v
        })
        .collect();
    doc.insert("warnings".into(), Value::Array(warnings));
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::sample;
    use crate::report::{PsOptions, ps};

    fn render_to_string(format: Format, width: Option<usize>) -> String {
        let s = sample();
        let r = ps(&s, &PsOptions::default());
        let mut out = Vec::new();
        render(&r, format, width, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_document_has_schema_version_records_and_warnings() {
        let v: Value = serde_json::from_str(&render_to_string(Format::Json, None)).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["report"], "ps");
        assert_eq!(v["source"]["path"], "test.tar");
        assert_eq!(v["host"]["hostname"], "testhost");
        assert_eq!(v["processes"].as_array().unwrap().len(), 4);
        assert_eq!(v["warnings"][0]["member"], "proc/55/stat");
        assert_eq!(v["warnings"][0]["offset"], 12);
        assert!(v["warnings"][0].get("side").is_none());
    }

    #[test]
    fn ndjson_is_one_object_per_line() {
        let text = render_to_string(Format::Ndjson, None);
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0]["pid"], 1);
        assert_eq!(lines[4]["warning"]["offset"], 12);
    }

    #[test]
    fn csv_has_typed_values_and_every_row() {
        let text = render_to_string(Format::Csv, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "PID,PPID,USER,STAT,NLWP,RSS,VSZ,START,TIME,ARGS");
        assert_eq!(lines.len(), 5);
        assert_eq!(
            lines[3],
            "101,100,alice,S,1,1101,10101,2026-11-22T12:21:41Z,1.75,sleep 100 200 \\xff"
        );
    }

    #[test]
    fn piped_tables_are_not_truncated() {
        let text = render_to_string(Format::Table, None);
        assert!(text.contains("unshare --pid --fork sleep"), "{text}");
        let narrow = render_to_string(Format::Table, Some(40));
        assert!(narrow.lines().all(|l| l.chars().count() <= 40), "{narrow}");
        assert_eq!(narrow.lines().count(), 5, "{narrow}");
    }
}
