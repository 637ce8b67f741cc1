//! Core reader: any bytes as an ELF core (`procsift::analyze::core::analyze`), then every report.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = procsift::analyze::core::analyze(data, "fuzz.core") {
        common::every_report(&s, data.len());
        common::every_report(&procsift::model::redact::redacted(s), data.len() + 1);
    }
});
