//! The commands on archives themselves: `capture` (write one) and `verify` (check one).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use procsift::capture::{self, CaptureOptions};
use procsift::model::InputKind;
use procsift::report::{self, Format};
use procsift::snapshot::reader::{self, OpenOptions};
use procsift::{Error, Result};

use super::Context;
use super::args::CaptureArgs;
use super::output;

/// `capture`: writes the archive and says on stderr what it holds.
pub fn capture(ctx: Context, a: CaptureArgs) -> Result<ExitCode> {
    if ctx.redact {
        return Err(Error::Usage(
            "--redact hides secrets in reports; a capture keeps the raw evidence (use --no-environ to \
             leave environments out)"
                .into(),
        ));
    }
    if !(a.read_timeout.is_finite() && a.read_timeout > 0.0) {
        return Err(Error::Usage(
            "--read-timeout must be a positive number of seconds".into(),
        ));
    }
    if !(a.watch.is_finite() && a.watch >= 0.0) {
        return Err(Error::Usage(
            "--watch must be zero or a positive number of seconds".into(),
        ));
    }
    if a.profile == "minimal" && a.smaps {
        return Err(Error::Usage(
            "--smaps reads more than the minimal profile holds: use one or the other".into(),
        ));
    }
    let defaults = CaptureOptions::default();
    let opts = CaptureOptions {
        events: (!a.no_events).then(|| std::time::Duration::from_secs_f64(a.watch)),
        no_environ: a.no_environ,
        smaps: a.smaps,
        minimal: a.profile == "minimal",
        case: a.case.clone(),
        examiner: a.examiner.clone(),
        note: a.note.clone(),
        read_timeout: std::time::Duration::from_secs_f64(a.read_timeout),
        progress: std::io::stderr().is_terminal(),
        command: std::env::args().collect(),
        cores: a.cores.clone(),
        proc_root: a.proc_root.clone().unwrap_or(defaults.proc_root.clone()),
        etc_root: a.etc_root.clone().unwrap_or(defaults.etc_root.clone()),
        probe_pids: a.probe_pids,
        ..defaults
    };
    if let Some(dir) = &a.output_dir {
        return super::periodic::run(&a, dir, opts);
    }
    let out = match a.output {
        Some(p) => p,
        None => PathBuf::from(capture::default_output_name(
            &capture::host::hostname(),
            procsift::time::Timestamp::now(),
        )),
    };
    let summary = capture::capture_to_path(&opts, &out)?;
    output::note(&summary_line(&out.display().to_string(), &summary));
    events_note(&out.display().to_string(), &summary);
    Ok(ExitCode::SUCCESS)
}

/// The capture's one-line summary: `OUT: N processes, M members, B bytes; K members not read (...); V
/// processes vanished; sha256 HEX`.
pub fn summary_line(out: &str, summary: &capture::CaptureSummary) -> String {
    let errors: Vec<String> = summary
        .read_errors
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    format!(
        "{}: {} processes, {} members, {} bytes; {} members not read{}; {} processes vanished{}",
        out,
        summary.processes,
        summary.members,
        summary.bytes,
        summary.failed,
        if errors.is_empty() {
            String::new()
        } else {
            format!(" ({})", errors.join(", "))
        },
        summary.vanished,
        summary
            .sha256
            .as_ref()
            .map(|h| format!("; sha256 {h}"))
            .unwrap_or_default()
    )
}

/// The lines after a capture's summary: each core taken (`--core`), and the process events (a warning
/// when they were not recorded).
pub fn events_note(out: &str, summary: &capture::CaptureSummary) {
    for c in &summary.cores {
        match (&c.member, &c.error) {
            (Some(member), _) => {
                for w in &c.warnings {
                    output::warning(&format!("core of {}: {w}", c.pid));
                }
                let n = c.threads.unwrap_or(0);
                output::note(&format!(
                    "{out}: {member}: {n} thread{}; the process was stopped for {:.1} ms",
                    if n == 1 { "" } else { "s" },
                    c.stopped_ms.unwrap_or(0.0)
                ));
            }
            (None, Some(e)) => output::warning(&format!("no core of {}: {e}", c.pid)),
            (None, None) => {}
        }
    }
    match (&summary.events, &summary.events_reason) {
        (Some(n), None) => output::note(&format!(
            "{out}: {n} process events recorded, {} lost",
            summary.events_lost
        )),
        (Some(n), Some(r)) if summary.events_lost > 0 || *n > 0 => {
            output::warning(&format!("process events: {n} recorded, then: {r}"))
        }
        (_, Some(r)) => output::warning(&format!("process events were not recorded: {r}")),
        (None, None) => {}
    }
}

/// `verify`: every member against the manifest; exit status 1 when any does not match.
pub fn verify(path: &Path) -> Result<ExitCode> {
    let opts = OpenOptions {
        walk: true,
        ..OpenOptions::default()
    };
    let raw = reader::open_path(path, &opts)?;
    // A damaged archive whose manifest is lost is still reported (its damage), not refused.
    if raw.source.kind != InputKind::Archive || (raw.manifest.is_none() && raw.damage.is_empty()) {
        return Err(Error::Usage(format!(
            "{}: not a snapshot archive with a manifest; nothing to verify",
            path.display()
        )));
    }
    let result = reader::verify(&raw);
    output::emit(&report::verify(&result), Format::Table)?;
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
