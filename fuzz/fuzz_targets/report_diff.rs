//! Report and diff over decoded models: two bundles (see `common.rs`) separated by `\0%%\0` are analyzed
//! as two snapshots; every report runs over each (plain and redacted), and the diff between them is
//! rendered in every format and as the HTML page (`report --diff`), each side also as its own page.
#![no_main]

use std::io::sink;

use libfuzzer_sys::fuzz_target;
use procsift::diff::{self, Options};
use procsift::model::redact;
use procsift::report::{self, Format, html, render::render};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let mut halves = common::split(data, b"\0%%\0");
    let old = halves.next().unwrap_or_default();
    let new = halves.next().unwrap_or(old);
    let old = common::analyze_and_report(&common::bundle(old), data.len());
    let new = common::analyze_and_report(&common::bundle(new), data.len() / 2);
    let page = html::Options {
        redacted: false,
        generated: procsift::time::Timestamp { secs: 0, nanos: 0 },
    };
    let pairs = [
        (old.clone(), new.clone()),
        (redact::redacted(old), redact::redacted(new)),
    ];
    for ((old, new), opts) in pairs.iter().zip([
        Options::default(),
        Options {
            ignore: diff::VOLATILE.iter().map(|s| s.to_string()).collect(),
            ..Options::default()
        },
    ]) {
        if let Ok(d) = diff::compare(old, new, &opts) {
            for f in [Format::Table, Format::Json, Format::Ndjson, Format::Csv] {
                let _ = render(&report::diff(&d), f, Some(100), &mut sink());
                let _ = render(&report::diff(&d), f, None, &mut sink());
            }
            let ev = |s| html::Evidence { snapshot: s, verify: None, sha256: None, size: None };
            let _ = html::diff_page(&ev(old), &ev(new), &d, &page);
        }
        let _ = html::snapshot_page(
            &html::Evidence { snapshot: new, verify: None, sha256: None, size: None },
            &page,
        );
    }
});
