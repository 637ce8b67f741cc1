//! Reports: views of the model, each rendered as a table, JSON, NDJSON or CSV.
//!
//! A report function takes a [`Snapshot`] (and a [`Filter`]) and returns a [`Report`]: a [`Table`] of typed
//! cells described by column specs ([`table`]), or text blocks ([`text`]), for people and CSV, and the same
//! records as JSON values for programs. The [`render`] module turns a report into one of the [`Format`]s;
//! every value shown in a table, text or CSV passes through the one escape of [`escape`] there, so report
//! builders hand over raw text. Reports see only the model, so every input kind (live host, archive,
//! directory, core) gets every report.

mod check;
mod columns;
mod core;
pub mod diff;
pub mod escape;
mod events;
mod files;
mod filter;
pub mod html;
mod info;
mod maps;
pub mod metrics;
mod ps;
pub mod render;
mod show;
mod signals;
pub mod table;
pub mod text;
mod threads;
pub mod timeline;
mod tree;
mod verify;

pub(crate) use check::totals as check_totals;
pub use check::{check, rules as check_rules};
pub use columns::{
    ALL_PS_COLUMNS, Column, DEFAULT_PS_COLUMNS, NETBSD_PS_COLUMNS, SOLARIS_PS_COLUMNS,
};
pub use core::core;
pub use diff::diff;
pub use escape::visible;
pub use events::{EventsOptions, events};
pub use files::files;
pub use filter::Filter;
pub use info::{info, info_with};
pub use maps::maps;
pub use ps::{PsOptions, ps};
pub use render::Format;
pub use show::show;
pub use signals::signals;
pub use table::{Cell, ColumnSpec, Kind, Table};
pub use text::Block;
pub use threads::{stacks, threads};
pub use tree::tree;
pub use verify::verify;

use serde_json::Value;

use crate::model::{Snapshot, Warning};

/// A report, whatever the output format: what every format is made from.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Report name (`ps`, `tree`, ...), written as `report` in JSON.
    pub name: &'static str,
    /// Key under which JSON output lists the records (`processes`, `threads`, `fds`, `maps`, ...).
    pub record_key: &'static str,
    /// The table: `--format table` (unless `text` is set) and `--format csv`.
    pub table: Table,
    /// The records as JSON values (one per record; not necessarily one per row).
    pub records: Vec<Value>,
    /// Top-level JSON fields besides `schema_version`, `report`, the records and `warnings` (`source`,
    /// `host`, `process` for `show`, ...).
    pub extra: serde_json::Map<String, Value>,
    /// Text shown instead of the table for `--format table` (tree, show, core, info, diff), when set.
    pub text: Option<Vec<Block>>,
    /// The input's warnings, each with the side it belongs to (`old`, `new`) when there are two inputs.
    pub warnings: Vec<(Option<&'static str>, Warning)>,
}

impl Report {
    /// The report of one snapshot: JSON also names its `source`, `host` (unless the report gives its own)
    /// and `core` (for a core, unless the report gives its own), and lists its warnings.
    pub(crate) fn about(mut self, snapshot: &Snapshot) -> Report {
        self.extra
            .entry("source")
            .or_insert_with(|| to_json(&snapshot.source));
        self.extra
            .entry("host")
            .or_insert_with(|| to_json(&snapshot.host));
        if let Some(core) = &snapshot.core {
            self.extra.entry("core").or_insert_with(|| to_json(core));
        }
        self.warnings = snapshot
            .warnings
            .iter()
            .map(|w| (None, w.clone()))
            .collect();
        self
    }
}

/// `v` as JSON (`null` if it cannot be serialized, which the model's types always can).
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// A report of titled sections of `(field, value)` pairs (`show`, `core`): the text lists each non-empty
/// section with its fields aligned; the table rows and JSON records are `{section, field, value}`.
pub(crate) fn sectioned(
    name: &'static str,
    sections: &[(&str, Vec<(String, String)>)],
    extra: serde_json::Map<String, Value>,
) -> Report {
    let mut blocks = Vec::new();
    let mut rows = Vec::new();
    let mut records = Vec::new();
    for (title, fields) in sections.iter().filter(|(_, f)| !f.is_empty()) {
        blocks.push(Block::Fields {
            title: Some(title.to_string()),
            fields: fields.clone(),
        });
        for (k, v) in fields {
            records.push(serde_json::json!({"section": title, "field": k, "value": v}));
            rows.push(vec![Cell::text(*title), Cell::text(k), Cell::text(v)]);
        }
    }
    Report {
        name,
        record_key: "fields",
        table: Table {
            columns: ["SECTION", "FIELD", "VALUE"]
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
mod hostile_tests;

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
