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

/// Splits `data` at every `sep`. With `memchr::memmem`, not a loop over `windows`: the fuzzer's
/// coverage instrumentation traces every comparison the harness makes, and comparing every 4-byte window
/// of a 1 MiB core cost more than the decoding.
pub fn split<'a>(data: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memmem::find(r, sep) {
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
        let Some(nl) = memchr::memchr(b'\n', rec) else {
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

/// The output formats, picked by input bits.
pub const FORMATS: [Format; 4] = [Format::Table, Format::Json, Format::Ndjson, Format::Csv];

/// Builds the model of `raw` at the detail `ps` reads (what most reports decode) or at full detail, as
/// bit 0 of `sel` says, and renders one of the reports every model goes through ([`light_report`],
/// chosen by the other bits): the decoders are what these targets fuzz, so each execution does one
/// analysis and one cheap rendering; every report in every format is the `reports` target's work.
pub fn analyze_and_report(raw: &RawSnapshot, sel: usize) -> Snapshot {
    let detail = if sel & 1 == 0 {
        Detail::FULL
    } else {
        Detail::LIST
    };
    let s = analyze::analyze_with(raw, detail);
    light_report(&s, sel >> 1);
    s
}

/// Renders one of `ps` (table), `info`, the `show` of the first process and the backtraces of a core,
/// chosen by `sel`, in a format chosen by `sel`.
pub fn light_report(s: &Snapshot, sel: usize) {
    let r = match sel % 4 {
        0 => Some(report::ps(s, &PsOptions::default())),
        1 => Some(report::info(s)),
        2 => s
            .processes
            .first()
            .and_then(|p| report::show(s, p.pid).ok()),
        _ => report::stacks(s, None, &Default::default()).ok(),
    };
    if let Some(r) = r {
        let _ = report::render::render(&r, FORMATS[(sel / 4) % 4], Some(80), &mut sink());
    }
}

/// How many reports [`one_report`] chooses from.
pub const REPORTS: usize = 16;

/// Runs report number `which` (of [`REPORTS`]) over `s` and renders it in `format`, at 80 columns or
/// unbounded; `pick` chooses the process of the per-process reports (`show`, `maps`, `signals`).
pub fn one_report(s: &Snapshot, which: usize, format: Format, width: Option<usize>, pick: usize) {
    let filter = Default::default();
    let pid = (!s.processes.is_empty()).then(|| s.processes[pick % s.processes.len()].pid);
    let pid_or = |p: i32| pid.unwrap_or(p);
    let r = match which % REPORTS {
        0 => Some(report::ps(s, &PsOptions::default())),
        1 => Some(report::ps(
            s,
            &PsOptions {
                records: true,
                columns: Some(report::ALL_PS_COLUMNS.to_vec()),
                all: true,
                ..PsOptions::default()
            },
        )),
        2 => Some(report::tree(s, &filter)),
        3 => Some(report::info(s)),
        4 => report::threads(s, pid.filter(|_| pick & 1 == 1), &filter).ok(),
        5 => report::stacks(s, None, &filter).ok(),
        6 => report::files(s, pid.filter(|_| pick & 1 == 1), &filter).ok(),
        7 => report::core(s).ok(),
        8 => report::show(s, pid_or(1)).ok(),
        9 => report::maps(s, pid_or(1)).ok(),
        10 => report::signals(s, pid_or(1)).ok(),
        11 => report::events(
            s,
            &report::EventsOptions {
                threads: pick & 1 == 1,
                ..Default::default()
            },
        )
        .ok(),
        12 => {
            let outcome = procsift::check::check(s, &Default::default());
            Some(report::check(s, &outcome, procsift::check::Severity::Info))
        }
        13 => {
            let entries = report::timeline::entries(s, None);
            let _ = report::timeline::write_jsonl(&entries, &mut sink());
            let _ = report::timeline::write_bodyfile(&entries, &mut sink());
            Some(report::timeline::timeline(&entries))
        }
        14 => {
            let families = report::metrics::families(s, 1 + pick % 8);
            let _ = report::metrics::prometheus(&families);
            let _ = report::metrics::mackerel(&families, 0);
            None
        }
        _ => Some(report::ps(
            s,
            &PsOptions {
                sort: vec![(report::Column::Rss, true), (report::Column::Pid, false)],
                records: true,
                ..PsOptions::default()
            },
        )),
    };
    if let Some(r) = r {
        let _ = report::render::render(&r, format, width, &mut sink());
    }
}

/// The `reports` target: `sel` picks the report, the format, the width, and whether the model is
/// redacted first; `pick` the process of per-process reports.
pub fn report_by_selector(raw: &RawSnapshot, sel: u8, pick: usize) {
    let s = analyze::analyze(raw);
    let s = if sel & 8 != 0 { redact::redacted(s) } else { s };
    let width = if sel & 4 == 0 { Some(80) } else { None };
    one_report(
        &s,
        usize::from(sel >> 4),
        FORMATS[usize::from(sel & 3)],
        width,
        pick,
    );
}
