//! NetBSD sysctl arrays: the first byte picks a decoder (kinfo_proc2, kinfo_lwp, kinfo_file, kinfo_pcb,
//! the KERN_PROC_ARGS strings, the size and byte-order sniffers), the byte order and an element size
//! (the known one, a longer one, or a tiny one), which get the rest; with the top bit set, the rest is a
//! bundle of `sysctl/...` members (see `common.rs`) analyzed as a NetBSD dump and reported.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procsift::abi::Endianness;
use procsift::formats::netbsd as nb;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, b)) = data.split_first() else {
        return;
    };
    if sel & 0x80 != 0 {
        common::analyze_and_report(&common::bundle(b), usize::from(sel & 0x7f));
        return;
    }
    let endian = if sel & 1 == 0 {
        Endianness::Little
    } else {
        Endianness::Big
    };
    // Known sizes (layouts.md): kinfo_proc2 680, kinfo_lwp 128, kinfo_file 120, kinfo_pcb 640.
    let size = |known: usize| match (sel >> 1) & 3 {
        0 => known,
        1 => known + 8,
        2 => 1,
        _ => 0,
    };
    match (sel >> 3) % 8 {
        0 => drop(nb::decode_proc2(b, size(680), endian)),
        1 => drop(nb::decode_lwps(b, size(128), endian)),
        2 => drop(nb::decode_files(b, size(120), endian)),
        3 => drop(nb::decode_pcbs(b, size(640), endian)),
        4 => drop((nb::strings(b), nb::pathname(b))),
        5 => drop((
            nb::sniff_proc2_order(b, size(680)),
            nb::infer_proc2_elem(b, endian),
        )),
        6 => drop((
            nb::infer_lwp_elem(b, endian, 1),
            nb::infer_file_elem(b, endian),
        )),
        _ => drop(nb::infer_pcb_elem(b, endian)),
    }
});
