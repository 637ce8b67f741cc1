//! Every report in every format, plain and redacted: a bundle (see `common.rs`) analyzed at full detail.
//! The decoder targets render only a few reports per input, to run many more inputs per second; this
//! one keeps every renderer fuzzed.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::every_report_every_format(&common::bundle(data));
});
