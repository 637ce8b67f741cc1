//! Snapshot reader: tar, `.tar.gz` or `.tar.zst` bytes -> RawSnapshot -> verify and the full manifest
//! -> model -> one report. The input's length picks the model (the `ps` detail, full detail, or the
//! archive indexed narrowed as a report reads it: the `ps` members of one process) and the report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procsift::analyze::{self, Detail};
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
    let Ok(raw) = open_bytes(data.to_vec(), "fuzz.tar", &opts) else {
        return;
    };
    let _ = verify(&raw);
    let _ = raw.full_manifest();
    let k = data.len();
    if k % 3 != 2 {
        common::analyze_and_report(&raw, k);
        return;
    }
    // The index narrowed as reports narrow it: the `ps` columns of one process of the input.
    let list = analyze::analyze_with(&raw, Detail::LIST);
    let pid = list.processes.get(k % 7).map(|p| p.pid);
    let select = Selection {
        pids: pid.map(|p| vec![p]),
        ..Detail::LIST.selection()
    };
    if let Ok(narrow) = open_bytes(data.to_vec(), "fuzz.tar", &OpenOptions { select, ..opts }) {
        common::light_report(&analyze::analyze_with(&narrow, Detail::LIST), k / 3);
    }
});
