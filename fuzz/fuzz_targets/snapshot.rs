//! Snapshot reader: tar, `.tar.gz` or `.tar.zst` bytes -> RawSnapshot -> model -> a few reports, and
//! verify; then the same bytes indexed narrowed (the `ps` members of one process) -> model -> reports.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procsift::analyze::Detail;
use procsift::snapshot::Selection;
use procsift::snapshot::reader::{OpenOptions, open_bytes, verify};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    // A small decompression bound keeps bombs cheap; the bound itself is what is tested.
    let opts = OpenOptions {
        max_decompressed: 8 << 20,
        max_dir_bytes: 8 << 20,
        ..OpenOptions::default()
    };
    if let Ok(raw) = open_bytes(data.to_vec(), "fuzz.tar", &opts) {
        let _ = verify(&raw);
        let _ = raw.full_manifest();
        let full = common::analyze_and_report(&raw, data.len());
        // The index narrowed as reports narrow it: the `ps` columns, or one process of the input.
        let pid = full.processes.get(data.len() % 7).map(|p| p.pid);
        let select = Selection {
            pids: pid.map(|p| vec![p]),
            ..Detail::LIST.selection()
        };
        if let Ok(narrow) = open_bytes(data.to_vec(), "fuzz.tar", &OpenOptions { select, ..opts }) {
            common::light_reports(&procsift::analyze::analyze_with(&narrow, Detail::LIST), 0);
        }
    }
});
