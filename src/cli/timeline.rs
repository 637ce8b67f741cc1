//! `timeline` (many inputs, one sorted list of moments) and `metrics` (one input's numbers for monitoring).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use procsift::analyze::{self, Detail};
use procsift::report::{Format, metrics as m, timeline as t};
use procsift::snapshot::reader::OpenOptions;
use procsift::time::Timestamp;
use procsift::{Error, Result};

use super::Context;
use super::args::{MetricsArgs, MetricsFormat, TimelineArgs, TimelineFormat};
use super::output;

/// A file's modification time: for a core, when it was written (the crash).
fn file_time(path: &Path) -> Option<Timestamp> {
    let d = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(Timestamp {
        secs: i64::try_from(d.as_secs()).ok()?,
        nanos: d.subsec_nanos(),
    })
}

/// Says on stderr how many warnings an input had, and the first.
fn warn_about(source: &str, warnings: &[procsift::model::Warning]) {
    if let Some(first) = warnings.first() {
        output::warning(&format!(
            "{source}: {} warning(s); the first: {first}",
            warnings.len()
        ));
    }
}

/// Writes `bytes` to stdout; a closed pipe is not an error.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("standard output", e))
        }
        _ => Ok(()),
    }
}

/// `timeline`: reads the inputs one at a time (one model in memory), merges their entries, writes them.
pub fn timeline(ctx: Context, a: TimelineArgs) -> Result<ExitCode> {
    let (inputs, skipped) = super::export::expand(&a.inputs)?;
    for s in &skipped {
        output::note(&format!("{}: not a snapshot or core, skipped", s.display()));
    }
    if inputs.is_empty() {
        return Err(Error::Usage("no snapshot or core among the inputs".into()));
    }
    let mut all = Vec::new();
    let mut failed = 0usize;
    for path in &inputs {
        match analyze::open(path, Detail::SUMMARY, &OpenOptions::default()) {
            Ok(mut s) => {
                if ctx.redact {
                    s = procsift::model::redact::redacted(s);
                }
                warn_about(&s.source.path, &s.warnings);
                all.extend(t::entries(&s, file_time(path)));
            }
            Err(e) => {
                failed += 1;
                output::error(&format!("{}: {e}", path.display()));
            }
        }
    }
    let entries = t::merge(all);
    match a.format {
        TimelineFormat::Table | TimelineFormat::Csv => {
            let format = if a.format == TimelineFormat::Csv {
                Format::Csv
            } else {
                Format::Table
            };
            output::emit(&t::timeline(&entries), format)?;
        }
        TimelineFormat::Jsonl => {
            let mut buf = Vec::new();
            t::write_jsonl(&entries, &mut buf).map_err(|e| Error::io("jsonl", e))?;
            write_stdout(&buf)?;
        }
        TimelineFormat::Bodyfile => {
            let mut buf = Vec::new();
            t::write_bodyfile(&entries, &mut buf).map_err(|e| Error::io("bodyfile", e))?;
            write_stdout(&buf)?;
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `metrics`.
pub fn metrics(ctx: Context, a: MetricsArgs) -> Result<ExitCode> {
    let meta = a.format == MetricsFormat::Mackerel
        && std::env::var("MACKEREL_AGENT_PLUGIN_META").is_ok_and(|v| v == "1");
    if meta {
        write_stdout(m::mackerel_meta().as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let s = super::run::load(ctx, a.input.as_deref(), None, Detail::SUMMARY)?;
    warn_about(&s.source.path, &s.warnings);
    let families = m::families(&s, a.top);
    let text = match a.format {
        MetricsFormat::Prometheus => m::prometheus(&families),
        MetricsFormat::Mackerel => {
            let epoch = m::captured_at(&s).unwrap_or_else(Timestamp::now).secs;
            m::mackerel(&families, epoch)
        }
    };
    write_stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
