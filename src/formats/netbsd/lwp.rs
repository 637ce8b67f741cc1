//! `struct kinfo_lwp` (`sys/sys/sysctl.h`), the records of `KERN_LWP`: 128 bytes on every NetBSD
//! architecture, in the host's byte order.
//!
//! Field offsets: layouts.md §2.2 / `layouts-json/netbsd/*.json`, and the libc crate's `kinfo_lwp`
//! (rust-lang/libc `src/unix/bsd/netbsdlike/netbsd/mod.rs`, 5494238c472339f532810281adadd7f98ef72c7e;
//! `l_pad1`/`l_pad2` are its `Padding` fields). The test below checks every offset.

use zerocopy::byteorder::{ByteOrder, I32, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::c_string;

/// Raw `struct kinfo_lwp`, fields in header order (`l_pad1`, `l_pad2` are the header's own pads).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawKinfoLwp<O: ByteOrder> {
    pub l_forw: U64<O>,
    pub l_back: U64<O>,
    pub l_laddr: U64<O>,
    pub l_addr: U64<O>,
    pub l_lid: I32<O>,
    pub l_flag: I32<O>,
    pub l_swtime: U32<O>,
    pub l_slptime: U32<O>,
    pub l_schedflags: I32<O>,
    pub l_holdcnt: I32<O>,
    pub l_priority: u8,
    pub l_usrpri: u8,
    pub l_stat: i8,
    pub l_pad1: i8,
    pub l_pad2: I32<O>,
    pub l_wmesg: [u8; 8],
    pub l_wchan: U64<O>,
    pub l_cpuid: U64<O>,
    pub l_rtime_sec: U32<O>,
    pub l_rtime_usec: U32<O>,
    pub l_cpticks: U32<O>,
    pub l_pctcpu: U32<O>,
    pub l_pid: U32<O>,
    pub l_name: [u8; 20],
}
const _: () = assert!(size_of::<RawKinfoLwp<zerocopy::LittleEndian>>() == super::KINFO_LWP_SIZE);
const _: () = assert!(size_of::<RawKinfoLwp<zerocopy::BigEndian>>() == super::KINFO_LWP_SIZE);

/// One LWP as `KERN_LWP` describes it: `struct kinfo_lwp` of `sys/sys/sysctl.h`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KinfoLwp {
    /// `l_laddr`: kernel address of the `struct lwp`.
    pub laddr: u64,
    /// `l_lid`: LWP id.
    pub lid: i32,
    /// `l_flag`: `L_*` compat flags (`L_SINTR` 0x80: interruptible sleep, `L_SYSTEM` 0x200, ...).
    pub flag: i32,
    /// `l_swtime`: time swapped in or out.
    pub swtime: u32,
    /// `l_slptime`: time since last blocked.
    pub slptime: u32,
    /// `l_schedflags`: `PSCHED_*` flags.
    pub schedflags: i32,
    /// `l_holdcnt`: if nonzero, don't swap.
    pub holdcnt: i32,
    /// `l_priority`: priority.
    pub priority: u8,
    /// `l_usrpri`: user priority.
    pub usrpri: u8,
    /// `l_stat`: `LS*` state (`LSIDL` 1, `LSRUN` 2, `LSSLEEP` 3, `LSSTOP` 4, `LSZOMB` 5, `LSONPROC` 7,
    /// `LSSUSPENDED` 8; `sys/lwp.h`).
    pub stat: i8,
    /// `l_wmesg`: wait channel message (NUL-trimmed).
    pub wmesg: Vec<u8>,
    /// `l_wchan`: sleep address.
    pub wchan: u64,
    /// `l_cpuid`: CPU the LWP last ran on; `KI_NOCPU` (all ones) when none.
    pub cpuid: u64,
    /// `l_rtime_sec`: real (run) time, seconds.
    pub rtime_sec: u32,
    /// `l_rtime_usec`: real (run) time, microseconds.
    pub rtime_usec: u32,
    /// `l_cpticks`: ticks during `l_swtime`.
    pub cpticks: u32,
    /// `l_pctcpu`: %cpu, a `fixpt_t` with `FSCALE` 2048.
    pub pctcpu: u32,
    /// `l_pid`: process id.
    pub pid: u32,
    /// `l_name`: LWP name (NUL-trimmed; may be empty).
    pub name: Vec<u8>,
}

impl KinfoLwp {
    pub(crate) fn from_raw<O: ByteOrder>(r: &RawKinfoLwp<O>) -> Self {
        KinfoLwp {
            laddr: r.l_laddr.get(),
            lid: r.l_lid.get(),
            flag: r.l_flag.get(),
            swtime: r.l_swtime.get(),
            slptime: r.l_slptime.get(),
            schedflags: r.l_schedflags.get(),
            holdcnt: r.l_holdcnt.get(),
            priority: r.l_priority,
            usrpri: r.l_usrpri,
            stat: r.l_stat,
            wmesg: c_string(&r.l_wmesg),
            wchan: r.l_wchan.get(),
            cpuid: r.l_cpuid.get(),
            rtime_sec: r.l_rtime_sec.get(),
            rtime_usec: r.l_rtime_usec.get(),
            cpticks: r.l_cpticks.get(),
            pctcpu: r.l_pctcpu.get(),
            pid: r.l_pid.get(),
            name: c_string(&r.l_name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    /// Every field's offset, as layouts-json/netbsd/*.json and the libc crate give it.
    #[test]
    fn offsets_match_the_reference_layout() {
        type R = RawKinfoLwp<zerocopy::LittleEndian>;
        let got: &[(&str, usize, usize)] = &super::super::offsets!(
            R,
            (l_forw, 0),
            (l_back, 8),
            (l_laddr, 16),
            (l_addr, 24),
            (l_lid, 32),
            (l_flag, 36),
            (l_swtime, 40),
            (l_slptime, 44),
            (l_schedflags, 48),
            (l_holdcnt, 52),
            (l_priority, 56),
            (l_usrpri, 57),
            (l_stat, 58),
            (l_pad1, 59),
            (l_pad2, 60),
            (l_wmesg, 64),
            (l_wchan, 72),
            (l_cpuid, 80),
            (l_rtime_sec, 88),
            (l_rtime_usec, 92),
            (l_cpticks, 96),
            (l_pctcpu, 100),
            (l_pid, 104),
            (l_name, 108)
        );
        for (name, have, want) in got {
            assert_eq!(have, want, "kinfo_lwp.{name}");
        }
    }
}
