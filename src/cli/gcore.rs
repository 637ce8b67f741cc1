//! `gcore`: a core file of a live process.

use std::path::PathBuf;
use std::process::ExitCode;

use procsift::gcore::{self, FilterSource, Options, human_size};
use procsift::{Error, Result};

use super::Context;
use super::args::GcoreArgs;
use super::output;

/// Writes the core and says on stderr what it holds and how long the process was stopped.
pub fn gcore(ctx: Context, a: GcoreArgs) -> Result<ExitCode> {
    if ctx.redact {
        return Err(Error::Usage(
            "--redact hides secrets in reports; a core is raw evidence and is written whole".into(),
        ));
    }
    let filter = match &a.filter {
        Some(f) => Some(
            gcore::filter::parse(f)
                .filter(|v| v & !gcore::filter::KNOWN == 0)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--filter {f:?}: not coredump_filter bits (hexadecimal, at most 0x1ff)"
                    ))
                })?,
        ),
        None => None,
    };
    let max_size = match &a.max_size {
        Some(s) => Some(gcore::parse_size(s).ok_or_else(|| {
            Error::Usage(format!(
                "--max-size {s:?}: not a size (bytes, or a number with K, M, G or T)"
            ))
        })?),
        None => None,
    };
    let out = a
        .output
        .unwrap_or_else(|| PathBuf::from(format!("core.{}", a.pid)));
    let opts = Options {
        filter,
        all: a.all,
        max_size,
        hold: std::time::Duration::from_millis(a.hold_ms.unwrap_or(0)),
        sync: a.sync && !a.no_sync,
        brief_stop: a.brief_stop,
        ..Options::default()
    };
    let s = gcore::gcore_to_path(a.pid, &out, &opts)?;
    for w in &s.warnings {
        output::warning(w);
    }
    let w = &s.written;
    let filter = match &s.filter.1 {
        FilterSource::Process => format!("coredump_filter {:#x} (the process's own)", s.filter.0),
        FilterSource::Option => format!("coredump_filter {:#x} (--filter)", s.filter.0),
        FilterSource::Default(why) => {
            format!(
                "coredump_filter {:#x} (the kernel's default: {why})",
                s.filter.0
            )
        }
    };
    let selection = if a.all {
        "every readable mapping (--all)".to_string()
    } else {
        filter
    };
    output::note(&format!(
        "{}: {} ({}), {} thread{}; {} of memory in {} of {} segments, {} written (zero pages are \
         holes); {}",
        out.display(),
        s.pid,
        String::from_utf8_lossy(&s.comm),
        s.threads,
        if s.threads == 1 { "" } else { "s" },
        human_size(w.memory_bytes),
        w.segments_with_data,
        w.segments,
        human_size(w.data_bytes),
        selection,
    ));
    output::note(&format!(
        "{}: the process was stopped for {:.1} ms and {}",
        out.display(),
        s.stopped.as_secs_f64() * 1000.0,
        if s.was_stopped {
            "is left stopped (T), as it was before"
        } else {
            "goes on as before"
        }
    ));
    Ok(ExitCode::SUCCESS)
}
