//! Columnar export: the model of one snapshot as Arrow record batches, written as Parquet files (or
//! NDJSON) in Hive-partitioned datasets that DuckDB, Spark, Trino and ClickHouse read as they are.
//!
//! ```text
//! OUTDIR/<table>/host=<hostname>/date=<YYYY-MM-DD>/<capture_id>.parquet
//! ```
//!
//! One file per table per capture, so a capture's rows are written (and rewritten) independently of
//! every other capture's, in parallel, and the same input always gives the same bytes: rows in the
//! model's order (processes by pid), no write time anywhere. This layer reads only the model
//! ([`crate::model::Snapshot`]); [`tables`] holds the columns, which docs/schema.md documents.

pub mod json;
pub mod rows;
pub mod tables;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use sha2::{Digest, Sha256};

use crate::model::Snapshot;
use crate::time::Timestamp;
pub use tables::Table;

/// The value Hive, Spark and DuckDB read as a null partition value.
pub const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// Output format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Apache Parquet (Snappy-compressed columns, one row group per file).
    #[default]
    Parquet,
    /// One JSON object per line, a row each.
    Ndjson,
}

impl Format {
    /// The files' extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Ndjson => "ndjson",
        }
    }
}

/// Which capture the rows of one snapshot belong to (the first three columns of every table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureKey {
    /// 16 hex digits of a SHA-256 over the capture's identity (see [`capture_key`]).
    pub id: String,
    /// The host name.
    pub host: Option<String>,
    /// When the records were read.
    pub captured_at: Option<Timestamp>,
}

/// The key of `s`. `file_time` is the input file's modification time, the moment of a core (which records
/// none): used only when the model has neither a capture window nor boot time and uptime.
///
/// The id hashes facts of the evidence that do not depend on how procsift decodes the rest: the host name,
/// boot id, boot time and capture window; and, for inputs without a capture window (directories, cores),
/// also every process's pid and start ticks and a core's architecture and signal. So the same input gives
/// the same id whatever its path, and a later procsift version gives the same id too.
pub fn capture_key(s: &Snapshot, file_time: Option<Timestamp>) -> CaptureKey {
    let started = s.capture.as_ref().and_then(|c| c.started);
    let from_uptime = s.host.boot_time.and_then(|b| {
        let up = s.host.uptime_secs?;
        Timestamp::from_secs_f64(b.as_secs_f64() + up)
    });
    let captured_at = started.or(from_uptime).or(file_time);
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &str| {
        h.update(name.as_bytes());
        h.update(b"=");
        h.update(value.len().to_le_bytes());
        h.update(value.as_bytes());
    };
    let opt_ts = |t: Option<Timestamp>| t.map(|t| t.rfc3339()).unwrap_or_default();
    field("host", s.host.hostname.as_deref().unwrap_or(""));
    field("boot_id", s.host.boot_id.as_deref().unwrap_or(""));
    field("boot_time", &opt_ts(s.host.boot_time));
    field("started", &opt_ts(started));
    field(
        "finished",
        &opt_ts(s.capture.as_ref().and_then(|c| c.finished)),
    );
    if started.is_none() {
        field("captured_at", &opt_ts(captured_at));
        for p in &s.processes {
            field(
                "process",
                &format!("{} {}", p.pid, p.start_ticks.unwrap_or(u64::MAX)),
            );
        }
        if let Some(c) = &s.core {
            field("core", &format!("{} {}", c.os, c.arch));
            if let Some(sig) = &c.signal {
                field(
                    "signal",
                    &format!(
                        "{} {:?} {:?} {:?}",
                        sig.number, sig.code, sig.fault_address, sig.thread
                    ),
                );
            }
        }
    }
    let digest = h.finalize();
    let id = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    CaptureKey {
        id,
        host: s.host.hostname.clone(),
        captured_at,
    }
}

/// A partition value as a directory name: ASCII letters, digits, `.`, `_` and `-` as they are, every other
/// byte `%XX` (upper-case hex, as Hive escapes partition values and Spark and DuckDB unescape them); `.` and
/// `..` escaped whole; an unknown value is [`NULL_PARTITION`].
pub fn partition_value(v: Option<&str>) -> String {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return NULL_PARTITION.to_string();
    };
    if v == "." || v == ".." {
        return v.bytes().map(|b| format!("%{b:02X}")).collect();
    }
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where `table`'s part of the capture `key` goes under the output directory:
/// `<table>/host=<host>/date=<YYYY-MM-DD>/<capture_id>.<ext>`.
pub fn relative_path(table: Table, key: &CaptureKey, format: Format) -> PathBuf {
    let date = key.captured_at.map(|t| t.parts().0);
    PathBuf::from(table.name())
        .join(format!("host={}", partition_value(key.host.as_deref())))
        .join(format!("date={}", partition_value(date.as_deref())))
        .join(format!("{}.{}", key.id, format.extension()))
}

/// The record batch of `table` for one snapshot, whose `check` outcome is `checked`.
pub fn batch(
    table: Table,
    s: &Snapshot,
    checked: Option<&crate::check::Outcome>,
    key: &CaptureKey,
) -> crate::Result<RecordBatch> {
    table.rows(s, checked, key).finish().map_err(|e| {
        crate::Error::io(
            table.name(),
            std::io::Error::other(format!("building the {} table: {e}", table.name())),
        )
    })
}

/// Writer settings: Snappy, one row group, dictionary encoding and statistics as parquet-rs does by
/// default, lists in the spec's three-level form (`element`), so Spark, Trino and Hive read them too.
fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_coerce_types(true)
        .set_created_by(format!(
            "procsift {} (parquet-rs)",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
}

/// `batch` as the bytes of one file in `format`.
pub fn encode(batch: &RecordBatch, format: Format) -> crate::Result<Vec<u8>> {
    let err = |e: String| crate::Error::io("export", std::io::Error::other(e));
    match format {
        Format::Parquet => {
            let mut out = Vec::new();
            let mut w = ArrowWriter::try_new(&mut out, batch.schema(), Some(properties()))
                .map_err(|e| err(e.to_string()))?;
            w.write(batch).map_err(|e| err(e.to_string()))?;
            w.close().map_err(|e| err(e.to_string()))?;
            Ok(out)
        }
        Format::Ndjson => json::encode(batch).map_err(err),
    }
}

/// What [`write_snapshot`] wrote.
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// The capture's key.
    pub key: Option<CaptureKey>,
    /// Files written (one per table).
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Rows per table written, in [`Table::ALL`] order.
    pub rows: Vec<(Table, usize)>,
}

/// Writes every table's part of one snapshot under `out`, each file to a temporary name in its directory
/// and renamed over the final name, so a reader never sees half a file and a second export of the same
/// input replaces each file with the same bytes. `checked` is `check`'s outcome on the snapshot: without
/// it, the findings and not-checked tables are not written.
pub fn write_snapshot(
    s: &Snapshot,
    checked: Option<&crate::check::Outcome>,
    key: &CaptureKey,
    out: &Path,
    format: Format,
) -> crate::Result<Written> {
    let mut w = Written {
        key: Some(key.clone()),
        ..Written::default()
    };
    for table in Table::ALL {
        if table.of_check() && checked.is_none() {
            continue;
        }
        let b = batch(table, s, checked, key)?;
        w.rows.push((table, b.num_rows()));
        let bytes = encode(&b, format)?;
        let path = out.join(relative_path(table, key, format));
        write_atomic(&path, &bytes)?;
        w.files += 1;
        w.bytes += bytes.len() as u64;
    }
    Ok(w)
}

/// Writes `bytes` at `path` through a temporary file in the same directory (created with its parents),
/// renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> crate::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Spark and Hive skip files whose names start with `.` or `_`: a temporary file is never read as data.
    static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}-{serial}.tmp", std::process::id()));
    let result = (|| {
        // Owner only (0600): the rows hold environments and command lines.
        let _ = std::fs::remove_file(&tmp);
        let mut f = crate::os::create_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(crate::Error::io(path, e));
    }
    Ok(())
}

/// The schema of `table`, for documentation and tests.
pub fn schema(table: Table) -> Arc<arrow_schema::Schema> {
    rows::schema(table.columns())
}

/// The tables' columns as docs/schema.md lists them (its "export" section is this text, which a test
/// holds it to): per table a heading, what a row is, and `| column | type | meaning |` rows, the type as
/// DuckDB names it.
pub fn schema_markdown() -> String {
    let mut out = String::new();
    for t in Table::ALL {
        out.push_str(&format!(
            "### {}\n\nEach row is {}.\n\n| column | type | meaning |\n|---|---|---|\n",
            t.name(),
            t.row()
        ));
        for c in t.columns() {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                c.name,
                c.ty.sql(),
                c.doc.replace('|', "\\|")
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_schema_md_lists_every_exported_column() {
        let doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.md"));
        let want = schema_markdown();
        assert!(
            doc.contains(&want),
            "docs/schema.md's export section must be exactly:\n{want}"
        );
    }

    #[test]
    fn partition_values_are_safe_directory_names() {
        assert_eq!(partition_value(Some("web-01.example")), "web-01.example");
        assert_eq!(partition_value(Some("a/b=c")), "a%2Fb%3Dc");
        assert_eq!(partition_value(Some("..")), "%2E%2E");
        assert_eq!(partition_value(Some("x\ny")), "x%0Ay");
        assert_eq!(partition_value(Some("")), NULL_PARTITION);
        assert_eq!(partition_value(None), NULL_PARTITION);
    }

    #[test]
    fn the_key_depends_on_the_capture_not_the_path() {
        let mut s = Snapshot::default();
        s.host.hostname = Some("h".into());
        s.capture = Some(crate::model::CaptureInfo {
            started: Some(Timestamp {
                secs: 1_795_355_238,
                nanos: 5,
            }),
            ..Default::default()
        });
        s.source.path = "a.tar".into();
        let a = capture_key(&s, None);
        s.source.path = "b.tar".into();
        assert_eq!(capture_key(&s, None), a);
        assert_eq!(a.id.len(), 16);
        assert_eq!(
            relative_path(Table::Processes, &a, Format::Parquet),
            PathBuf::from(format!("processes/host=h/date=2026-11-22/{}.parquet", a.id))
        );
        s.capture.as_mut().unwrap().started = Some(Timestamp {
            secs: 1_795_355_238,
            nanos: 6,
        });
        assert_ne!(capture_key(&s, None).id, a.id);
    }
}
