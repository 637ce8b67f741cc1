//! Reports: views of the model, each rendered as a table, JSON, NDJSON or CSV.
//!
//! A report function takes a [`Snapshot`] (and a [`Filter`]) and returns a [`Report`]: a table for
//! people (column headers and display cells) and the same records as JSON values for programs. The
//! [`render`] module turns a report into one of the [`Format`]s. Reports see only the model, so every input
//! kind (live host, archive, directory, core) gets every report.

mod columns;
mod core;
pub mod diff;
mod events;
mod files;
mod filter;
mod info;
mod maps;
mod ps;
pub mod render;
mod show;
mod signals;
mod threads;
mod tree;

pub use columns::{
    ALL_PS_COLUMNS, Column, DEFAULT_PS_COLUMNS, NETBSD_PS_COLUMNS, SOLARIS_PS_COLUMNS,
};
pub use core::core;
pub use events::{EventsOptions, events};
pub use files::files;
pub use filter::Filter;
pub use info::info;
pub use maps::maps;
pub use ps::{PsOptions, ps};
pub use render::Format;
pub use show::show;
pub use signals::signals;
pub use threads::threads;
pub use tree::tree;

use serde_json::Value;

use crate::model::Snapshot;

/// A rendered-agnostic report: what every output format is made from.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Report name (`ps`, `tree`, ...), written as `report` in JSON.
    pub name: &'static str,
    /// Key under which JSON output lists the records (`processes`, `threads`, `fds`, `maps`, ...).
    pub record_key: &'static str,
    /// Table column headers (also the CSV header).
    pub columns: Vec<String>,
    /// Table rows: display text per column.
    pub rows: Vec<Vec<String>>,
    /// Columns whose cells are numbers (right-aligned in tables).
    pub numeric: Vec<bool>,
    /// The records as JSON values (one per record; not necessarily one per row).
    pub records: Vec<Value>,
    /// Extra top-level JSON fields (e.g. `host` for `info`, `process` for `show`).
    pub extra: serde_json::Map<String, Value>,
    /// Preformatted text used instead of the table for `--format table` (tree, show), when set.
    pub text: Option<String>,
}

/// A report of titled sections of `(field, value)` pairs (`show`, `core`): the text lists each non-empty
/// section with its fields aligned; the rows and JSON records are `{section, field, value}`.
pub(crate) fn sectioned(
    name: &'static str,
    sections: &[(&str, Vec<(String, String)>)],
    extra: serde_json::Map<String, Value>,
) -> Report {
    let mut text = String::new();
    let mut rows = Vec::new();
    for (title, fields) in sections.iter().filter(|(_, f)| !f.is_empty()) {
        text.push_str(&format!("{title}:\n"));
        let width = fields
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in fields {
            text.push_str(&format!("  {k:<width$}  {v}\n"));
            rows.push(vec![title.to_string(), k.clone(), v.clone()]);
        }
    }
    Report {
        name,
        record_key: "fields",
        columns: vec!["SECTION".into(), "FIELD".into(), "VALUE".into()],
        numeric: vec![false, false, false],
        records: rows
            .iter()
            .map(|r| serde_json::json!({"section": r[0], "field": r[1], "value": r[2]}))
            .collect(),
        rows,
        extra,
        text: Some(text),
    }
}

/// Renders a snapshot-level error message for a pid that is not in the input.
pub(crate) fn no_such_pid(snapshot: &Snapshot, pid: i32) -> crate::Error {
    crate::Error::NotFound(format!(
        "no process with pid {pid} in {} ({} processes)",
        if snapshot.source.path.is_empty() {
            "the input"
        } else {
            &snapshot.source.path
        },
        snapshot.processes.len()
    ))
}

/// Formats a number of seconds of CPU time as `ps` does: `[DD-]HH:MM:SS`.
pub fn cpu_time(secs: f64) -> String {
    let total = secs.max(0.0).floor() as u64;
    let (d, h, m, s) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Formats an optional value, `-` when absent.
pub(crate) fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_matches_ps() {
        assert_eq!(cpu_time(0.0), "00:00:00");
        assert_eq!(cpu_time(3723.9), "01:02:03");
        assert_eq!(cpu_time(90_061.0), "1-01:01:01");
    }
}
