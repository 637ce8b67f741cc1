//! Snapshot reader: tar, `.tar.gz` or `.tar.zst` bytes -> RawSnapshot -> model -> every report, and verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
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
        common::analyze_and_report(&raw, data.len());
    }
});
