//! Output formats: `table` for people, `json`, `ndjson` and `csv` for programs.
//!
//! * `table`: aligned columns without borders (grep-friendly like `ps`). On a terminal, comfy-table wraps
//!   cells to fit its width; when piped, a plain aligner writes every cell whole (nothing is truncated or
//!   wrapped, and it costs a tenth of a layout engine on a 2,000-row `ps`).
//! * `json`: one document `{"schema_version", "report", "source", "host", <records key>: [...],
//!   "warnings": [...]}` (see docs/schema.md).
//! * `ndjson`: one record per line; then one `{"warning": {...}}` line per warning.
//! * `csv`: RFC 4180, a header row then one row per table row.
//!
//! Warnings are part of the document in `json`/`ndjson`; for `table`/`csv` the caller prints them on
//! stderr so that stdout stays parseable.

use std::io::Write;

use comfy_table::{CellAlignment, ContentArrangement, Table};
use serde_json::{Value, json};

use super::Report;
use crate::model::{SCHEMA_VERSION, Snapshot};

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

/// Writes `report` in `format`. `width` is the terminal width when stdout is a terminal (tables then fit
/// it), `None` when piped (tables are never truncated).
pub fn render(
    report: &Report,
    snapshot: &Snapshot,
    format: Format,
    width: Option<u16>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Table => match &report.text {
            Some(text) => out.write_all(text.as_bytes()),
            None => write_table(report, width, out),
        },
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &document(report, snapshot))?;
            writeln!(out)
        }
        Format::Ndjson => {
            for r in &report.records {
                serde_json::to_writer(&mut *out, r)?;
                writeln!(out)?;
            }
            for w in &snapshot.warnings {
                serde_json::to_writer(&mut *out, &json!({ "warning": w }))?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Csv => {
            writeln!(out, "{}", csv_row(&report.columns))?;
            for row in &report.rows {
                writeln!(out, "{}", csv_row(row))?;
            }
            Ok(())
        }
    }
}

/// The JSON document of a report.
pub fn document(report: &Report, snapshot: &Snapshot) -> Value {
    let mut doc = serde_json::Map::new();
    doc.insert("schema_version".into(), json!(SCHEMA_VERSION));
    doc.insert("report".into(), json!(report.name));
    doc.insert(
        "source".into(),
        serde_json::to_value(&snapshot.source).unwrap_or_default(),
    );
    if !report.extra.contains_key("host") {
        doc.insert(
            "host".into(),
            serde_json::to_value(&snapshot.host).unwrap_or_default(),
        );
    }
    if let Some(core) = &snapshot.core
        && !report.extra.contains_key("core")
    {
        doc.insert(
            "core".into(),
            serde_json::to_value(core).unwrap_or_default(),
        );
    }
    for (k, v) in &report.extra {
        doc.insert(k.clone(), v.clone());
    }
    doc.insert(
        report.record_key.into(),
        Value::Array(report.records.clone()),
    );
    doc.insert(
        "warnings".into(),
        serde_json::to_value(&snapshot.warnings).unwrap_or_default(),
    );
    Value::Object(doc)
}

/// Writes the report's rows as a table: fitted to `width` on a terminal, else plain and whole.
pub(crate) fn write_table(
    report: &Report,
    width: Option<u16>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match width {
        Some(w) => {
            // comfy-table pads every cell, so lines end in spaces; drop them.
            for line in table(report, w).to_string().lines() {
                writeln!(out, "{}", line.trim_end())?;
            }
            Ok(())
        }
        None => plain_table(report, out),
    }
}

/// Columns padded to their widest cell, two spaces apart, numbers right-aligned, the last column unpadded.
fn plain_table(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let ncol = report.columns.len();
    let mut widths: Vec<usize> = report.columns.iter().map(|c| c.chars().count()).collect();
    for row in &report.rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = String::new();
    for row in std::iter::once(&report.columns).chain(&report.rows) {
        line.clear();
        for (i, cell) in row.iter().enumerate().take(ncol) {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = widths[i].saturating_sub(cell.chars().count());
            let right = report.numeric.get(i).copied().unwrap_or(false);
            if right {
                line.extend(std::iter::repeat_n(' ', pad));
            }
            line.push_str(cell);
            if !right && i + 1 < ncol {
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// The terminal layout: cells wrap so the table fits `width` columns.
fn table(report: &Report, width: u16) -> Table {
    let mut t = Table::new();
    t.load_style(comfy_table::presets::NOTHING);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(width);
    t.set_header(report.columns.clone());
    for row in &report.rows {
        t.add_row(row.clone());
    }
    for (i, numeric) in report.numeric.iter().enumerate() {
        if *numeric {
            if let Some(col) = t.column_mut(i) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
    }
    t
}

/// One RFC 4180 CSV line (without the line end).
pub(crate) fn csv_row(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::sample;
    use crate::report::{PsOptions, ps};

    fn render_to_string(format: Format, width: Option<u16>) -> String {
        let s = sample();
        let r = ps(&s, &PsOptions::default());
        let mut out = Vec::new();
        render(&r, &s, format, width, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_document_has_schema_version_records_and_warnings() {
        let v: Value = serde_json::from_str(&render_to_string(Format::Json, None)).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["report"], "ps");
        assert_eq!(v["processes"].as_array().unwrap().len(), 4);
        assert_eq!(v["warnings"][0]["member"], "proc/55/stat");
        assert_eq!(v["warnings"][0]["offset"], 12);
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
    fn csv_quotes_and_keeps_every_row() {
        let text = render_to_string(Format::Csv, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "PID,PPID,USER,STAT,NLWP,RSS,VSZ,START,TIME,ARGS");
        assert_eq!(lines.len(), 5);
        assert_eq!(
            csv_row(&["a,b".into(), "say \"hi\"".into()]),
            "\"a,b\",\"say \"\"hi\"\"\""
        );
    }

    #[test]
    fn piped_tables_are_not_truncated() {
        let text = render_to_string(Format::Table, None);
        assert!(text.contains("unshare --pid --fork sleep"), "{text}");
        let narrow = render_to_string(Format::Table, Some(40));
        assert!(narrow.lines().all(|l| l.chars().count() <= 40), "{narrow}");
    }
}
