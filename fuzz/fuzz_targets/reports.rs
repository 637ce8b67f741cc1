//! Every report in every format, plain and redacted: the first byte picks the report (`ps`, `ps` with
//! every column, `tree`, `info`, `threads`, `threads --stack`, `files`, `core`, `show`, `maps`,
//! `signals`, `events`, `check`, `timeline`, `metrics`, sorted `ps`), the format (table, JSON, NDJSON,
//! CSV), the width (80 columns or unbounded) and whether the model is redacted first; the rest is a
//! bundle (see `common.rs`) analyzed at full detail. One report in one format per execution, so that the
//! renderers run on many inputs per second; the decoder targets render only a few reports.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, b)) = data.split_first() else {
        return;
    };
    common::report_by_selector(&common::bundle(b), sel, b.len());
});
