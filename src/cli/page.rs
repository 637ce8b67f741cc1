//! `report`: the HTML page of a snapshot or of a diff, written to a file only once it is complete.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sha2::{Digest, Sha256};

use procsift::analyze::{self, Detail};
use procsift::input::Input;
use procsift::model::Snapshot;
use procsift::report::html::{self, Evidence, Options};
use procsift::snapshot::reader::{self, OpenOptions, VerifyReport};
use procsift::time::Timestamp;
use procsift::{Error, Result};

use super::Context;
use super::args::ReportArgs;
use super::output;

/// One input, read whole, with its file's hash and its verification.
struct Loaded {
    snapshot: Snapshot,
    verify: Option<VerifyReport>,
    sha256: Option<String>,
    size: Option<u64>,
    /// `check`'s findings, from the model as captured (`--redact` hides secrets in their text).
    findings: procsift::check::Outcome,
}

impl Loaded {
    fn evidence(&self) -> Evidence<'_> {
        Evidence {
            snapshot: &self.snapshot,
            verify: self.verify.as_ref(),
            sha256: self.sha256.as_deref(),
            size: self.size,
            findings: Some(&self.findings),
        }
    }
}

/// `report INPUT [--diff NEW] -o FILE`.
pub fn report(ctx: Context, a: ReportArgs) -> Result<ExitCode> {
    if a.output.as_os_str().is_empty() || a.output.is_dir() {
        return Err(Error::Usage(format!(
            "-o {}: give the path of the HTML file to write",
            a.output.display()
        )));
    }
    // Before reading anything: an unknown rule or a bad allowlist is a usage error.
    let rules = super::run::rule_options(a.rules, ctx.redact)?;
    let opts = Options {
        redacted: ctx.redact,
        generated: Timestamp::now(),
    };
    let page = match &a.diff {
        None => {
            let one = load(ctx, &a.input, &rules)?;
            html::snapshot_page(&one.evidence(), &opts)
        }
        Some(new_path) => {
            // The two inputs are independent: read them at the same time.
            let (old, new) = std::thread::scope(|s| {
                let new = s.spawn(|| load(ctx, new_path, &rules));
                let old = load(ctx, &a.input, &rules);
                (
                    old,
                    new.join()
                        .unwrap_or_else(|_| Err(Error::Usage("reading NEW failed".into()))),
                )
            });
            let (old, new) = (old?, new?);
            // The page compares the findings itself, from the models as captured (the models
            // compared here are redacted under --redact, which would hide what some rules read).
            let d = procsift::diff::compare(
                &old.snapshot,
                &new.snapshot,
                &procsift::diff::Options {
                    ignore: vec!["findings".into()],
                    ..procsift::diff::Options::default()
                },
            )?;
            html::diff_page(&old.evidence(), &new.evidence(), &d, &opts)
        }
    };
    write_whole(&a.output, page.as_bytes())?;
    output::note(&format!("{}: {} bytes", a.output.display(), page.len()));
    Ok(ExitCode::SUCCESS)
}

/// Reads `path` with every list (environment, threads, fds, maps, limits), checks an archive against
/// its manifest, hashes the file, runs `check`'s rules (`rules`: which, and the allowlist); redacts the
/// model when `--redact` was given.
fn load(ctx: Context, path: &Path, rules: &procsift::check::Options) -> Result<Loaded> {
    let opts = OpenOptions {
        select: Detail::FULL.selection(),
        walk: true,
        ..OpenOptions::default()
    };
    let input = procsift::input::open(path, &opts)?;
    let verify = match &input {
        Input::Snapshot(raw) if raw.manifest.is_some() => Some(reader::verify(raw)),
        _ => None,
    };
    let snapshot = analyze::analyze_input(&input, Detail::FULL)?;
    let (sha256, size) = if path.is_file() {
        let (h, n) = hash_file(path)?;
        (Some(h), Some(n))
    } else {
        (None, None)
    };
    // The rules read the model as captured; --redact hides secrets in what they report (as `check`).
    let findings = procsift::check::check(&snapshot, rules);
    let snapshot = if ctx.redact {
        procsift::model::redact::redacted(snapshot)
    } else {
        snapshot
    };
    Ok(Loaded {
        snapshot,
        verify,
        sha256,
        size,
        findings,
    })
}

/// SHA-256 (hex) and size of the file at `path`, read in pieces.
fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        h.update(&buf[..n]);
        total += n as u64;
    }
    Ok((
        h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        total,
    ))
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place: no half page is ever left.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report.html".into());
    let tmp = dir.join(format!(".{name}.procsift-{}.tmp", std::process::id()));
    let result = (|| {
        // Owner only (0600): the page holds environments and command lines.
        let _ = std::fs::remove_file(&tmp);
        let mut f = procsift::os::create_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
