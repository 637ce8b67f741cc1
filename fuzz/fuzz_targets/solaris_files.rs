//! Solaris/illumos procfs files: the first byte picks one decoder and its layout (data model, byte order,
//! ISA), which gets the rest; with the top bit set, the rest is a bundle of members (see `common.rs`)
//! analyzed as a Solaris /proc tree and reported.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procsift::abi::{DataModel, Endianness};
use procsift::formats::solaris::{self as sol, Isa, Layout, Target, old};

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
    let model = if sel & 1 == 0 {
        DataModel::Ilp32
    } else {
        DataModel::Lp64
    };
    let endian = if sel & 2 == 0 {
        Endianness::Little
    } else {
        Endianness::Big
    };
    let isa = if sel & 4 == 0 { Isa::X86 } else { Isa::Sparc };
    let layout = Layout { model, endian };
    let target = Target { isa, model, endian };
    match (sel >> 3) % 16 {
        0 => drop(sol::decode_psinfo(b, layout)),
        1 => drop(sol::decode_lwpsinfo(b, layout)),
        2 => drop(sol::decode_pstatus(b, target)),
        3 => drop(sol::decode_lwpstatus(b, target)),
        4 => drop(sol::decode_prusage(b, layout)),
        5 => drop((
            sol::decode_prheader(b, layout),
            sol::decode_lpsinfo(b, layout),
        )),
        6 => drop((
            sol::decode_lstatus(b, target),
            sol::decode_lusage(b, layout),
        )),
        7 => drop((sol::decode_map(b, layout), sol::decode_xmap(b, layout))),
        8 => drop((sol::decode_auxv(b, layout), sol::decode_sigact(b, layout))),
        9 => drop((sol::decode_prcred(b, endian), sol::decode_prpriv(b, endian))),
        10 => drop((
            sol::decode_prsecflags(b, endian),
            sol::decode_fdinfo(b, endian),
            sol::decode_prfdinfo(b, endian),
        )),
        11 => drop((sol::decode_lwpname(b, endian), sol::decode_utsname(b))),
        12 => drop((
            old::decode_old_psinfo(b, model, endian),
            old::decode_old_status(b, model, endian),
        )),
        13 => drop((
            sol::model_from_psinfo_size(b.len()),
            sol::target_from_pstatus_size(b.len()),
            sol::target_from_lwpstatus_size(b.len()),
            sol::detect_psinfo(b, 4242),
        )),
        _ => drop(sol::detect_psinfo(b, i32::from(sel))),
    }
});
