//! `struct kinfo_proc2` (`sys/sys/sysctl.h`), the records of `KERN_PROC2`: 680 bytes on every NetBSD
//! architecture, in the host's byte order.
//!
//! Field offsets: layouts.md §2.2 / `layouts-json/netbsd/*.json` (identical for amd64, i386, aarch64 and
//! sparc64), and the libc crate's `kinfo_proc2` (rust-lang/libc `src/unix/bsd/netbsdlike/netbsd/mod.rs`,
//! 5494238c472339f532810281adadd7f98ef72c7e): the same field list in the same order. The test below
//! checks every offset.

use zerocopy::byteorder::{ByteOrder, I16, I32, I64, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::c_string;

/// Raw `struct kinfo_proc2`, fields in header order. `ki_sigset_t` is `uint32_t __bits[4]`.
#[allow(non_snake_case)] // `p__pgid`, the header's name.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawKinfoProc2<O: ByteOrder> {
    pub p_forw: U64<O>,
    pub p_back: U64<O>,
    pub p_paddr: U64<O>,
    pub p_addr: U64<O>,
    pub p_fd: U64<O>,
    pub p_cwdi: U64<O>,
    pub p_stats: U64<O>,
    pub p_limit: U64<O>,
    pub p_vmspace: U64<O>,
    pub p_sigacts: U64<O>,
    pub p_sess: U64<O>,
    pub p_tsess: U64<O>,
    pub p_ru: U64<O>,
    pub p_eflag: I32<O>,
    pub p_exitsig: I32<O>,
    pub p_flag: I32<O>,
    pub p_pid: I32<O>,
    pub p_ppid: I32<O>,
    pub p_sid: I32<O>,
    /// `p__pgid`: named so because `<sys/proc.h>` hijacks `p_pgid`.
    pub p__pgid: I32<O>,
    pub p_tpgid: I32<O>,
    pub p_uid: U32<O>,
    pub p_ruid: U32<O>,
    pub p_gid: U32<O>,
    pub p_rgid: U32<O>,
    pub p_groups: [U32<O>; 16],
    pub p_ngroups: I16<O>,
    pub p_jobc: I16<O>,
    pub p_tdev: U32<O>,
    pub p_estcpu: U32<O>,
    pub p_rtime_sec: U32<O>,
    pub p_rtime_usec: U32<O>,
    pub p_cpticks: I32<O>,
    pub p_pctcpu: U32<O>,
    pub p_swtime: U32<O>,
    pub p_slptime: U32<O>,
    pub p_schedflags: I32<O>,
    pub p_uticks: U64<O>,
    pub p_sticks: U64<O>,
    pub p_iticks: U64<O>,
    pub p_tracep: U64<O>,
    pub p_traceflag: I32<O>,
    pub p_holdcnt: I32<O>,
    pub p_siglist: [U32<O>; 4],
    pub p_sigmask: [U32<O>; 4],
    pub p_sigignore: [U32<O>; 4],
    pub p_sigcatch: [U32<O>; 4],
    pub p_stat: i8,
    pub p_priority: u8,
    pub p_usrpri: u8,
    pub p_nice: u8,
    pub p_xstat: U16<O>,
    pub p_acflag: U16<O>,
    pub p_comm: [u8; 24],
    pub p_wmesg: [u8; 8],
    pub p_wchan: U64<O>,
    pub p_login: [u8; 24],
    pub p_vm_rssize: I32<O>,
    pub p_vm_tsize: I32<O>,
    pub p_vm_dsize: I32<O>,
    pub p_vm_ssize: I32<O>,
    pub p_uvalid: I64<O>,
    pub p_ustart_sec: U32<O>,
    pub p_ustart_usec: U32<O>,
    pub p_uutime_sec: U32<O>,
    pub p_uutime_usec: U32<O>,
    pub p_ustime_sec: U32<O>,
    pub p_ustime_usec: U32<O>,
    pub p_uru_maxrss: U64<O>,
    pub p_uru_ixrss: U64<O>,
    pub p_uru_idrss: U64<O>,
    pub p_uru_isrss: U64<O>,
    pub p_uru_minflt: U64<O>,
    pub p_uru_majflt: U64<O>,
    pub p_uru_nswap: U64<O>,
    pub p_uru_inblock: U64<O>,
    pub p_uru_oublock: U64<O>,
    pub p_uru_msgsnd: U64<O>,
    pub p_uru_msgrcv: U64<O>,
    pub p_uru_nsignals: U64<O>,
    pub p_uru_nvcsw: U64<O>,
    pub p_uru_nivcsw: U64<O>,
    pub p_uctime_sec: U32<O>,
    pub p_uctime_usec: U32<O>,
    pub p_cpuid: U64<O>,
    pub p_realflag: U64<O>,
    pub p_nlwps: U64<O>,
    pub p_nrlwps: U64<O>,
    pub p_realstat: U64<O>,
    pub p_svuid: U32<O>,
    pub p_svgid: U32<O>,
    pub p_ename: [u8; 16],
    pub p_vm_vsize: I64<O>,
    pub p_vm_msize: I64<O>,
}
const _: () =
    assert!(size_of::<RawKinfoProc2<zerocopy::LittleEndian>>() == super::KINFO_PROC2_SIZE);
const _: () = assert!(size_of::<RawKinfoProc2<zerocopy::BigEndian>>() == super::KINFO_PROC2_SIZE);

/// A timeval as `kinfo_proc2` stores it: `*_sec` and `*_usec` halves, each truncated to 32 bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TimeVal32 {
    /// Seconds (`*_sec`).
    pub sec: u32,
    /// Microseconds (`*_usec`).
    pub usec: u32,
}

impl TimeVal32 {
    /// The value in seconds.
    pub fn secs(self) -> f64 {
        f64::from(self.sec) + f64::from(self.usec) / 1e6
    }
}

/// One process as `KERN_PROC2` describes it: `struct kinfo_proc2` of `sys/sys/sysctl.h`. Kernel
/// addresses (`p_forw`, `p_fd`, ...) are left out except the process's own (`p_paddr`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KinfoProc2 {
    /// `p_paddr`: kernel address of the `struct proc`.
    pub paddr: u64,
    /// `p_eflag`: `EPROC_CTTY` 0x1 (controlling tty vnode active), `EPROC_SLEADER` 0x2 (session leader).
    pub eflag: i32,
    /// `p_exitsig`: signal sent to the parent on exit.
    pub exitsig: i32,
    /// `p_flag`: `P_*`/`L_*` compat flags (`P_SYSTEM` 0x200, `L_SINTR` 0x80, `P_TRACED` 0x800, ...).
    pub flag: i32,
    /// `p_pid`: process id.
    pub pid: i32,
    /// `p_ppid`: parent process id.
    pub ppid: i32,
    /// `p_sid`: session id.
    pub sid: i32,
    /// `p__pgid`: process group id.
    pub pgid: i32,
    /// `p_tpgid`: process group of the controlling terminal.
    pub tpgid: i32,
    /// `p_uid`: effective user id.
    pub uid: u32,
    /// `p_ruid`: real user id.
    pub ruid: u32,
    /// `p_gid`: effective group id.
    pub gid: u32,
    /// `p_rgid`: real group id.
    pub rgid: u32,
    /// `p_groups[p_ngroups]`: supplementary groups (at most `KI_NGROUPS` 16).
    pub groups: Vec<u32>,
    /// `p_ngroups` as recorded (may exceed `groups.len()` when the kernel truncated the list).
    pub ngroups: i16,
    /// `p_jobc`: job control counter.
    pub jobc: i16,
    /// `p_tdev`: controlling terminal device, truncated to 32 bits; `0xffffffff` (`NODEV`) when none.
    pub tdev: u32,
    /// `p_estcpu`: time-averaged value of `p_cpticks`.
    pub estcpu: u32,
    /// `p_rtime_sec`/`p_rtime_usec`: real (run) time.
    pub rtime: TimeVal32,
    /// `p_cpticks`: ticks of CPU time.
    pub cpticks: i32,
    /// `p_pctcpu`: %cpu during `p_swtime`, a `fixpt_t` with `FSCALE` 2048 (`1 << FSHIFT`).
    pub pctcpu: u32,
    /// `p_swtime`: time swapped in or out.
    pub swtime: u32,
    /// `p_slptime`: time since last blocked.
    pub slptime: u32,
    /// `p_uticks`: statclock hits in user mode.
    pub uticks: u64,
    /// `p_sticks`: statclock hits in system mode.
    pub sticks: u64,
    /// `p_iticks`: statclock hits processing interrupts.
    pub iticks: u64,
    /// `p_siglist`: signals arrived but not delivered (bit n-1 = signal n).
    pub siglist: u128,
    /// `p_sigmask`: current signal mask.
    pub sigmask: u128,
    /// `p_sigignore`: signals being ignored.
    pub sigignore: u128,
    /// `p_sigcatch`: signals being caught.
    pub sigcatch: u128,
    /// `p_stat`: `LS*` state of the representative LWP (`LSIDL` 1, `LSRUN` 2, `LSSLEEP` 3, `LSSTOP` 4,
    /// `LSZOMB` 5, `LSONPROC` 7, `LSSUSPENDED` 8; `sys/lwp.h`).
    pub stat: i8,
    /// `p_priority`: process priority.
    pub priority: u8,
    /// `p_usrpri`: user priority.
    pub usrpri: u8,
    /// `p_nice`: nice value plus `NZERO` (20).
    pub nice: u8,
    /// `p_xstat`: exit status for wait; also the stop signal.
    pub xstat: u16,
    /// `p_acflag`: accounting flags.
    pub acflag: u16,
    /// `p_comm`: command name (NUL-trimmed, at most `KI_MAXCOMLEN` 24 bytes).
    pub comm: Vec<u8>,
    /// `p_wmesg`: wait channel message (NUL-trimmed).
    pub wmesg: Vec<u8>,
    /// `p_wchan`: sleep address.
    pub wchan: u64,
    /// `p_login`: `setlogin(2)` name of the session (NUL-trimmed).
    pub login: Vec<u8>,
    /// `p_vm_rssize`: resident set size in pages.
    pub vm_rssize: i32,
    /// `p_vm_tsize`: text size in pages.
    pub vm_tsize: i32,
    /// `p_vm_dsize`: data size in pages.
    pub vm_dsize: i32,
    /// `p_vm_ssize`: stack size in pages.
    pub vm_ssize: i32,
    /// `p_uvalid`: nonzero when the `p_u*` fields below are valid (zero for zombies).
    pub uvalid: i64,
    /// `p_ustart_sec`/`p_ustart_usec`: start time, from the epoch.
    pub ustart: TimeVal32,
    /// `p_uutime_sec`/`p_uutime_usec`: user time.
    pub uutime: TimeVal32,
    /// `p_ustime_sec`/`p_ustime_usec`: system time.
    pub ustime: TimeVal32,
    /// `p_uru_maxrss`: maximum resident set size (KiB).
    pub uru_maxrss: u64,
    /// `p_uru_minflt`: page reclaims.
    pub uru_minflt: u64,
    /// `p_uru_majflt`: page faults.
    pub uru_majflt: u64,
    /// `p_uru_inblock`: block input operations.
    pub uru_inblock: u64,
    /// `p_uru_oublock`: block output operations.
    pub uru_oublock: u64,
    /// `p_uru_nsignals`: signals received.
    pub uru_nsignals: u64,
    /// `p_uru_nvcsw`: voluntary context switches.
    pub uru_nvcsw: u64,
    /// `p_uru_nivcsw`: involuntary context switches.
    pub uru_nivcsw: u64,
    /// `p_uctime_sec`/`p_uctime_usec`: user + system time of reaped children.
    pub uctime: TimeVal32,
    /// `p_cpuid`: CPU id; `KI_NOCPU` (all ones) when none.
    pub cpuid: u64,
    /// `p_realflag`: `P_*` flags, not including the LWPs'.
    pub realflag: u64,
    /// `p_nlwps`: number of LWPs.
    pub nlwps: u64,
    /// `p_nrlwps`: number of running LWPs.
    pub nrlwps: u64,
    /// `p_realstat`: process state, not LWP-derived (`SIDL` 1, `SACTIVE` 2, `SDYING` 3, `SSTOP` 4,
    /// `SZOMB` 5, `SDEAD` 6; `sys/proc.h`).
    pub realstat: u64,
    /// `p_svuid`: saved user id.
    pub svuid: u32,
    /// `p_svgid`: saved group id.
    pub svgid: u32,
    /// `p_ename`: emulation name (`netbsd`, `linux`, ...; NUL-trimmed).
    pub ename: Vec<u8>,
    /// `p_vm_vsize`: total map size in pages.
    pub vm_vsize: i64,
    /// `p_vm_msize`: stack-adjusted map size in pages (what `ps -o vsz` shows).
    pub vm_msize: i64,
}

/// A `ki_sigset_t` as a 128-bit set: word *i* holds signals `32 i + 1 ..= 32 i + 32`.
fn sigset<O: ByteOrder>(s: &[U32<O>; 4]) -> u128 {
    s.iter()
        .enumerate()
        .fold(0u128, |acc, (i, w)| acc | (u128::from(w.get()) << (32 * i)))
}

fn tv(sec: U32<impl ByteOrder>, usec: U32<impl ByteOrder>) -> TimeVal32 {
    TimeVal32 {
        sec: sec.get(),
        usec: usec.get(),
    }
}

impl KinfoProc2 {
    pub(crate) fn from_raw<O: ByteOrder>(r: &RawKinfoProc2<O>) -> Self {
        let ngroups = r.p_ngroups.get();
        let n = usize::try_from(ngroups).unwrap_or(0).min(r.p_groups.len());
        KinfoProc2 {
            paddr: r.p_paddr.get(),
            eflag: r.p_eflag.get(),
            exitsig: r.p_exitsig.get(),
            flag: r.p_flag.get(),
            pid: r.p_pid.get(),
            ppid: r.p_ppid.get(),
            sid: r.p_sid.get(),
            pgid: r.p__pgid.get(),
            tpgid: r.p_tpgid.get(),
            uid: r.p_uid.get(),
            ruid: r.p_ruid.get(),
            gid: r.p_gid.get(),
            rgid: r.p_rgid.get(),
            groups: r.p_groups[..n].iter().map(|g| g.get()).collect(),
            ngroups,
            jobc: r.p_jobc.get(),
            tdev: r.p_tdev.get(),
            estcpu: r.p_estcpu.get(),
            rtime: tv(r.p_rtime_sec, r.p_rtime_usec),
            cpticks: r.p_cpticks.get(),
            pctcpu: r.p_pctcpu.get(),
            swtime: r.p_swtime.get(),
            slptime: r.p_slptime.get(),
            uticks: r.p_uticks.get(),
            sticks: r.p_sticks.get(),
            iticks: r.p_iticks.get(),
            siglist: sigset(&r.p_siglist),
            sigmask: sigset(&r.p_sigmask),
            sigignore: sigset(&r.p_sigignore),
            sigcatch: sigset(&r.p_sigcatch),
            stat: r.p_stat,
            priority: r.p_priority,
            usrpri: r.p_usrpri,
            nice: r.p_nice,
            xstat: r.p_xstat.get(),
            acflag: r.p_acflag.get(),
            comm: c_string(&r.p_comm),
            wmesg: c_string(&r.p_wmesg),
            wchan: r.p_wchan.get(),
            login: c_string(&r.p_login),
            vm_rssize: r.p_vm_rssize.get(),
            vm_tsize: r.p_vm_tsize.get(),
            vm_dsize: r.p_vm_dsize.get(),
            vm_ssize: r.p_vm_ssize.get(),
            uvalid: r.p_uvalid.get(),
            ustart: tv(r.p_ustart_sec, r.p_ustart_usec),
            uutime: tv(r.p_uutime_sec, r.p_uutime_usec),
            ustime: tv(r.p_ustime_sec, r.p_ustime_usec),
            uru_maxrss: r.p_uru_maxrss.get(),
            uru_minflt: r.p_uru_minflt.get(),
            uru_majflt: r.p_uru_majflt.get(),
            uru_inblock: r.p_uru_inblock.get(),
            uru_oublock: r.p_uru_oublock.get(),
            uru_nsignals: r.p_uru_nsignals.get(),
            uru_nvcsw: r.p_uru_nvcsw.get(),
            uru_nivcsw: r.p_uru_nivcsw.get(),
            uctime: tv(r.p_uctime_sec, r.p_uctime_usec),
            cpuid: r.p_cpuid.get(),
            realflag: r.p_realflag.get(),
            nlwps: r.p_nlwps.get(),
            nrlwps: r.p_nrlwps.get(),
            realstat: r.p_realstat.get(),
            svuid: r.p_svuid.get(),
            svgid: r.p_svgid.get(),
            ename: c_string(&r.p_ename),
            vm_vsize: r.p_vm_vsize.get(),
            vm_msize: r.p_vm_msize.get(),
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
        type R = RawKinfoProc2<zerocopy::BigEndian>;
        let got: &[(&str, usize, usize)] = &super::super::offsets!(
            R,
            (p_forw, 0),
            (p_back, 8),
            (p_paddr, 16),
            (p_addr, 24),
            (p_fd, 32),
            (p_cwdi, 40),
            (p_stats, 48),
            (p_limit, 56),
            (p_vmspace, 64),
            (p_sigacts, 72),
            (p_sess, 80),
            (p_tsess, 88),
            (p_ru, 96),
            (p_eflag, 104),
            (p_exitsig, 108),
            (p_flag, 112),
            (p_pid, 116),
            (p_ppid, 120),
            (p_sid, 124),
            (p__pgid, 128),
            (p_tpgid, 132),
            (p_uid, 136),
            (p_ruid, 140),
            (p_gid, 144),
            (p_rgid, 148),
            (p_groups, 152),
            (p_ngroups, 216),
            (p_jobc, 218),
            (p_tdev, 220),
            (p_estcpu, 224),
            (p_rtime_sec, 228),
            (p_rtime_usec, 232),
            (p_cpticks, 236),
            (p_pctcpu, 240),
            (p_swtime, 244),
            (p_slptime, 248),
            (p_schedflags, 252),
            (p_uticks, 256),
            (p_sticks, 264),
            (p_iticks, 272),
            (p_tracep, 280),
            (p_traceflag, 288),
            (p_holdcnt, 292),
            (p_siglist, 296),
            (p_sigmask, 312),
            (p_sigignore, 328),
            (p_sigcatch, 344),
            (p_stat, 360),
            (p_priority, 361),
            (p_usrpri, 362),
            (p_nice, 363),
            (p_xstat, 364),
            (p_acflag, 366),
            (p_comm, 368),
            (p_wmesg, 392),
            (p_wchan, 400),
            (p_login, 408),
            (p_vm_rssize, 432),
            (p_vm_tsize, 436),
            (p_vm_dsize, 440),
            (p_vm_ssize, 444),
            (p_uvalid, 448),
            (p_ustart_sec, 456),
            (p_ustart_usec, 460),
            (p_uutime_sec, 464),
            (p_uutime_usec, 468),
            (p_ustime_sec, 472),
            (p_ustime_usec, 476),
            (p_uru_maxrss, 480),
            (p_uru_ixrss, 488),
            (p_uru_idrss, 496),
            (p_uru_isrss, 504),
            (p_uru_minflt, 512),
            (p_uru_majflt, 520),
            (p_uru_nswap, 528),
            (p_uru_inblock, 536),
            (p_uru_oublock, 544),
            (p_uru_msgsnd, 552),
            (p_uru_msgrcv, 560),
            (p_uru_nsignals, 568),
            (p_uru_nvcsw, 576),
            (p_uru_nivcsw, 584),
            (p_uctime_sec, 592),
            (p_uctime_usec, 596),
            (p_cpuid, 600),
            (p_realflag, 608),
            (p_nlwps, 616),
            (p_nrlwps, 624),
            (p_realstat, 632),
            (p_svuid, 640),
            (p_svgid, 644),
            (p_ename, 648),
            (p_vm_vsize, 664),
            (p_vm_msize, 672)
        );
        for (name, have, want) in got {
            assert_eq!(have, want, "kinfo_proc2.{name}");
        }
    }
}
