//! Linux /proc text parsers: the first byte picks one decoder, which gets the rest; with the top bit set,
//! the rest is a bundle of members (see `common.rs`) analyzed as a /proc tree and reported.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procsift::abi::Endianness;
use procsift::formats::linux::{
    cgroup, cmdline, fdinfo, io, kv, limits, links, maps, net, passwd, stat, statm, status, system,
};

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
    match sel % 20 {
        0 => drop(stat::parse(b)),
        1 => drop(status::parse(b)),
        2 => drop(statm::parse(b)),
        3 => drop(maps::parse(b)),
        4 => drop(limits::parse(b)),
        5 => drop(io::parse(b)),
        6 => drop(fdinfo::parse(b)),
        7 => drop(cgroup::unified_path(&cgroup::parse(b)).map(<[u8]>::to_vec)),
        8 => drop(cmdline::split(b)),
        9 => drop(kv::smaps_rollup(b)),
        10 => {
            drop(maps::parse_smaps(b));
            let _ = kv::pairs(b)
                .map(|(_, _, v)| (kv::kib(v), kv::leading_u64(v)))
                .count();
        }
        11 => drop(links::fd_target(b)),
        12 => drop(links::namespace(b)),
        13 => drop(net::inet(b, Endianness::Little)),
        14 => drop(net::inet(b, Endianness::Big)),
        15 => drop(net::unix(b)),
        16 => drop(passwd::names(b)),
        17 => drop((system::loadavg(b), system::uptime(b), system::meminfo(b))),
        18 => drop(system::kernel_stat(b)),
        _ => drop(fdinfo::access_mode(u64::from_le_bytes(
            b.get(..8)
                .and_then(|x| x.try_into().ok())
                .unwrap_or_default(),
        ))),
    }
});
