//! `ps`: one row per process, columns chosen with `-o`, sorted with `--sort`.

use std::cmp::Ordering;

use serde_json::Value;

use super::{
    ALL_PS_COLUMNS, Column, DEFAULT_PS_COLUMNS, Filter, NETBSD_PS_COLUMNS, Report,
    SOLARIS_PS_COLUMNS, Table,
};
use crate::model::{Process, Snapshot};

/// What `ps` shows.
#[derive(Clone, Debug)]
pub struct PsOptions {
    /// Columns, in order (`-o`); `None` for the default of the snapshot's system
    /// ([`DEFAULT_PS_COLUMNS`], or [`SOLARIS_PS_COLUMNS`] / [`NETBSD_PS_COLUMNS`] for Solaris / NetBSD
    /// inputs).
    pub columns: Option<Vec<Column>>,
    /// Sort keys (`--sort`): column and whether descending (`-rss`).
    pub sort: Vec<(Column, bool)>,
    /// Which processes.
    pub filter: Filter,
    /// Build the JSON records (false when only the table or CSV is wanted: they cost as much as the rest
    /// of the report on a big snapshot).
    pub records: bool,
    /// `--all`: the default columns are [`ALL_PS_COLUMNS`] (with `seen` and `exit`). The caller also moves
    /// the processes known only from events into the snapshot
    /// ([`Snapshot::include_event_processes`](crate::model::Snapshot::include_event_processes)).
    pub all: bool,
}

impl Default for PsOptions {
    fn default() -> Self {
        PsOptions {
            columns: None,
            sort: Vec::new(),
            filter: Filter::default(),
            records: true,
            all: false,
        }
    }
}

impl PsOptions {
    /// Parses a `--sort` list: `rss`, `-rss` (descending), `+pid`, comma-separated.
    pub fn parse_sort(list: &str) -> Result<Vec<(Column, bool)>, String> {
        list.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                let s = s.trim();
                let (desc, name) = match s.as_bytes().first() {
                    Some(b'-') => (true, &s[1..]),
                    Some(b'+') => (false, &s[1..]),
                    _ => (false, s),
                };
                Column::parse(name).map(|c| (c, desc)).ok_or_else(|| {
                    format!(
                        "unknown sort column {name:?}; known: {}",
                        Column::names().join(", ")
                    )
                })
            })
            .collect()
    }
}

/// The `ps` report. JSON records are process summaries (every process field except the bulky lists:
/// threads, fds, maps, limits, env), whatever `-o` says; `-o` chooses table and CSV columns.
pub fn ps(snapshot: &Snapshot, opts: &PsOptions) -> Report {
    let columns: &[Column] = match &opts.columns {
        Some(c) => c,
        None if opts.all => ALL_PS_COLUMNS,
        None if snapshot.source.os.as_deref() == Some("solaris") => SOLARIS_PS_COLUMNS,
        None if snapshot.source.os.as_deref() == Some("netbsd") => NETBSD_PS_COLUMNS,
        None => DEFAULT_PS_COLUMNS,
    };
    let mut procs: Vec<&Process> = opts.filter.select(snapshot).collect();
    if !opts.sort.is_empty() {
        procs.sort_by(|a, b| {
            for &(col, desc) in &opts.sort {
                let o = compare(&col.value(a, snapshot), &col.value(b, snapshot));
                let o = if desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            a.pid.cmp(&b.pid)
        });
    }
    Report {
        name: "ps",
        record_key: "processes",
        table: Table {
            columns: columns.iter().map(|c| c.spec()).collect(),
            rows: procs
                .iter()
                .map(|p| columns.iter().map(|c| c.cell(p, snapshot)).collect())
                .collect(),
        },
        records: if opts.records {
            procs.iter().map(|p| summary(p)).collect()
        } else {
            Vec::new()
        },
        ..Report::default()
    }
    .about(snapshot)
}

/// A process as JSON without its bulky lists (threads, fds, maps, limits, env).
pub(crate) fn summary(p: &Process) -> Value {
    let mut p = p.clone();
    p.threads = None;
    p.fds = None;
    p.maps = None;
    p.limits = None;
    p.env = None;
    serde_json::to_value(&p).unwrap_or(Value::Null)
}

/// Orders JSON values: absent first, numbers numerically, strings lexically.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        _ => a.to_string().cmp(&b.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::sample;

    #[test]
    fn default_columns_and_values() {
        let s = sample();
        let r = ps(&s, &PsOptions::default());
        assert_eq!(
            r.table.headers(),
            [
                "PID", "PPID", "USER", "STAT", "NLWP", "RSS", "VSZ", "START", "TIME", "ARGS"
            ]
        );
        let rows = r.table.texts();
        assert_eq!(rows.len(), 4);
        let row = &rows[2];
        assert_eq!(row[0], "101");
        assert_eq!(row[2], "alice");
        assert_eq!(row[5], "1101");
        assert_eq!(row[8], "00:00:01");
        assert_eq!(row[9], "sleep 100 200 \\xff");
        assert_eq!(
            r.records[2]["argv"],
            serde_json::json!(["sleep", "100 200", "\\xff"])
        );
        assert!(r.records[3].get("threads").is_none());
    }

    #[test]
    fn sorts_descending_and_by_text() {
        let s = sample();
        let opts = PsOptions {
            sort: PsOptions::parse_sort("-rss").unwrap(),
            ..PsOptions::default()
        };
        let pids: Vec<_> = ps(&s, &opts)
            .table
            .texts()
            .iter()
            .map(|r| r[0].clone())
            .collect();
        assert_eq!(pids, ["102", "101", "100", "1"]);
        let opts = PsOptions {
            sort: PsOptions::parse_sort("user,-pid").unwrap(),
            ..PsOptions::default()
        };
        let pids: Vec<_> = ps(&s, &opts)
            .table
            .texts()
            .iter()
            .map(|r| r[0].clone())
            .collect();
        assert_eq!(pids, ["102", "101", "100", "1"]);
        assert!(PsOptions::parse_sort("nope").is_err());
    }
}
