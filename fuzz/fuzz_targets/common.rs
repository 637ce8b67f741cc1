//! Helpers shared by the fuzz targets: the member bundle format and a pass over every report.
//!
//! A *bundle* is a mutation-friendly stand-in for a directory tree: records separated by the 4 bytes
//! `\0@@\0`, each record `path\n` followed by the member's bytes. A path ending in `@` is a symbolic link
//! whose target is the record's bytes; a path ending in `!` is a member whose read failed, the record's
//! bytes being the error (`EACCES`); the record `manifest.json` is the snapshot's manifest (host facts,
//! capture window, events clock, failed members), parsed as an archive's is, so manifest fields are
//! fuzzed too. `fuzz/seeds.py` writes bundles from the fixture trees.
#![allow(dead_code)]

use std::io::sink;

use procsift::analyze::{self, Detail};
use procsift::model::{Snapshot, Source, redact};
use procsift::report::{self, Format, PsOptions};
use procsift::snapshot::manifest::{MANIFEST_NAME, parse_light};
use procsift::snapshot::{MemoryBuilder, RawSnapshot};

/// The separator between bundle records.
pub const SEP: &[u8] = b"\0@@\0";

/// Splits `data` at every `sep`.
pub fn split<'a>(data: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(sep.len()).position(|w| w == sep) {
            Some(i) => {
                rest = Some(&r[i + sep.len()..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Reads a bundle as a raw snapshot, with its manifest when it has a `manifest.json` record that parses.
pub fn bundle(data: &[u8]) -> RawSnapshot {
    let mut b = MemoryBuilder::new();
    let mut manifest = None;
    for rec in split(data, SEP) {
        let Some(nl) = rec.iter().position(|c| *c == b'\n') else {
            continue;
        };
        let path = String::from_utf8_lossy(&rec[..nl]).into_owned();
        let body = &rec[nl + 1..];
        if path == MANIFEST_NAME {
            manifest = parse_light(body).ok();
        } else if let Some(link) = path.strip_suffix('@') {
            b.symlink(link, body);
        } else if let Some(failed) = path.strip_suffix('!') {
            b.failed(failed, String::from_utf8_lossy(body));
        } else {
            b.file(path, body);
        }
    }
    // As an archive's reader does: the manifest's failed members are members too.
    for m in manifest.iter().flat_map(|m| &m.members) {
        if let Some(e) = &m.error {
            b.failed(m.path.clone(), e.clone());
        }
    }
    b.build(manifest, Vec::new(), Source::default())
}

/// Builds the model of `raw` at summary detail and at full detail, and runs every report over both (the
/// full one also redacted). `salt` picks the output formats (see [`every_report`]).
pub fn analyze_and_report(raw: &RawSnapshot, salt: usize) -> Snapshot {
    let summary = analyze::analyze_with(raw, Detail::SUMMARY);
    every_report(&summary, salt);
    let full = analyze::analyze(raw);
    every_report(&full, salt + 1);
    every_report(&redact::redacted(full.clone()), salt + 2);
    full
}

/// Runs every report over `s` and renders each in one format, chosen by `salt` (a different one per
/// report, so that an input reaches every renderer), at a terminal width or unbounded.
pub fn every_report(s: &Snapshot, salt: usize) {
    let filter = Default::default();
    let mut reports = vec![
        report::ps(s, &PsOptions::default()),
        report::ps(
            s,
            &PsOptions {
                records: true,
                ..PsOptions::default()
            },
        ),
        report::tree(s, &filter),
        report::info(s),
    ];
    reports.extend(report::threads(s, None, &filter).ok());
    reports.extend(report::stacks(s, None, &filter).ok());
    reports.extend(report::files(s, None, &filter).ok());
    reports.extend(report::core(s).ok());
    for p in s.processes.iter().take(4) {
        reports.extend(report::show(s, p.pid).ok());
        reports.extend(report::maps(s, p.pid).ok());
        reports.extend(report::signals(s, p.pid).ok());
    }
    const FORMATS: [Format; 4] = [Format::Table, Format::Json, Format::Ndjson, Format::Csv];
    for (i, r) in reports.iter().enumerate() {
        let k = salt.wrapping_add(i);
        let width = if k & 4 == 0 { Some(80) } else { None };
        let _ = report::render::render(r, FORMATS[k % 4], width, &mut sink());
    }
}
