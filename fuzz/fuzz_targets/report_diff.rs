//! Diff over decoded models: the first byte picks the variant, the rest is two bundles (see `common.rs`)
//! separated by `\0%%\0`, analyzed as two snapshots at full detail. Bit 0 of the first byte redacts both
//! models, bit 1 ignores the volatile fields (`diff::VOLATILE`), bits 2..=4 pick the output: the diff
//! report in one of the four formats at 100 columns, as an unbounded table, the HTML diff page
//! (`report --diff`), or the HTML page of the new or the old side alone. One output per execution (the
//! reports over each side are the `reports` target's).
#![no_main]

use std::io::sink;

use libfuzzer_sys::fuzz_target;
use procsift::check;
use procsift::diff::{self, Options};
use procsift::model::redact;
use procsift::report::{self, Format, html, render::render};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, data)) = data.split_first() else {
        return;
    };
    let mut halves = common::split(data, b"\0%%\0");
    let old = halves.next().unwrap_or_default();
    let new = halves.next().unwrap_or(old);
    let mut old = procsift::analyze::analyze(&common::bundle(old));
    let mut new = procsift::analyze::analyze(&common::bundle(new));
    if sel & 1 != 0 {
        old = redact::redacted(old);
        new = redact::redacted(new);
    }
    let opts = if sel & 2 != 0 {
        Options {
            ignore: diff::VOLATILE.iter().map(|s| s.to_string()).collect(),
            ..Options::default()
        }
    } else {
        Options::default()
    };
    let page = html::Options {
        redacted: sel & 1 != 0,
        generated: procsift::time::Timestamp { secs: 0, nanos: 0 },
    };
    // The pages list check's findings first: run the rules, as `procsift report` does.
    let findings = |s| check::check(s, &check::Options::default());
    let ev = |s, f| html::Evidence {
        snapshot: s,
        verify: None,
        sha256: None,
        size: None,
        findings: f,
    };
    match (sel >> 2) % 8 {
        6 => drop(html::snapshot_page(&ev(&new, Some(&findings(&new))), &page)),
        7 => drop(html::snapshot_page(&ev(&old, None), &page)),
        out => {
            let Ok(d) = diff::compare(&old, &new, &opts) else {
                return;
            };
            if out == 5 {
                let (of, nf) = (findings(&old), findings(&new));
                drop(html::diff_page(
                    &ev(&old, Some(&of)),
                    &ev(&new, Some(&nf)),
                    &d,
                    &page,
                ));
                return;
            }
            let r = report::diff(&d);
            let (format, width) = match out {
                0 => (Format::Table, Some(100)),
                1 => (Format::Json, Some(100)),
                2 => (Format::Ndjson, Some(100)),
                3 => (Format::Csv, Some(100)),
                _ => (Format::Table, None),
            };
            let _ = render(&r, format, width, &mut sink());
        }
    }
});
