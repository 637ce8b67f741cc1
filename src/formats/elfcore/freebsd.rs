//! FreeBSD core notes (owner `FreeBSD`): `prstatus_t`, `prpsinfo_t`, `thrmisc_t` (`sys/sys/procfs.h`),
//! `struct ptrace_lwpinfo` (`NT_PTLWPINFO`, `sys/sys/ptrace.h`) and the `NT_PROCSTAT_*` notes
//! (`sys/kern/imgact_elf.c`), each an `int structsize` followed by the records `sysctl kern.proc.*` returns:
//! `struct kinfo_proc`, `kinfo_file`, `kinfo_vmentry` (`sys/sys/user.h`), gids, rlimits, umask, osreldate and
//! the auxv.
//!
//! Every record is a zerocopy structure transcribed from those headers (freebsd-src
//! 29363fb446372cb3f10bc98664e9767c53fbb457 for `user.h`, the layout reference's section 8); on an
//! `x86_64-unknown-freebsd` build the [`libc_witness`] module checks their offsets and sizes against the
//! `libc` crate's definitions at compile time.
//!
//! Quirks: `prstatus_t.pr_pid` is the thread (LWP) id; the process id is `prpsinfo_t.pr_pid` (absent in
//! the 108-byte 32-bit layout of FreeBSD 8-11, and 0 on some kernels) and `kinfo_proc.ki_pid`.

use crate::abi::{Endianness, with_byte_order};
use crate::formats::cstr::c_string;
use zerocopy::byteorder::{ByteOrder, I16, I32, I64, LE, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::memory::read_word;
use super::nt::{
    NT_PROCSTAT_AUXV, NT_PROCSTAT_FILES, NT_PROCSTAT_GROUPS, NT_PROCSTAT_OSREL, NT_PROCSTAT_PROC,
    NT_PROCSTAT_RLIMIT, NT_PROCSTAT_UMASK, NT_PROCSTAT_VMMAP, NT_PRPSINFO, NT_PRSTATUS,
    NT_PTLWPINFO, NT_THRMISC, OWNER_FREEBSD,
};
use super::regs::{self, Registers};
use super::{Core, CoreWarning};

/// `prstatus_t` of LP64 kernels (amd64, arm64): `pr_reg` follows at 48.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PrstatusLp64<O: ByteOrder> {
    pr_version: I32<O>,
    _pad0: [u8; 4],
    pr_statussz: U64<O>,
    pr_gregsetsz: U64<O>,
    pr_fpregsetsz: U64<O>,
    pr_osreldate: I32<O>,
    pr_cursig: I32<O>,
    pr_pid: I32<O>,
    _pad1: [u8; 4],
}
const _: () = assert!(size_of::<PrstatusLp64<LE>>() == 48);

/// `prstatus_t` of i386 (and `prstatus32_t`): `pr_reg` follows at 28.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PrstatusIlp32<O: ByteOrder> {
    pr_version: I32<O>,
    pr_statussz: U32<O>,
    pr_gregsetsz: U32<O>,
    pr_fpregsetsz: U32<O>,
    pr_osreldate: I32<O>,
    pr_cursig: I32<O>,
    pr_pid: I32<O>,
}
const _: () = assert!(size_of::<PrstatusIlp32<LE>>() == 28);

/// `prpsinfo_t` of LP64 kernels (120 bytes; `PRFNAMESZ` 16 + 1, `PRARGSZ` 80 + 1).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PrpsinfoLp64<O: ByteOrder> {
    pr_version: I32<O>,
    _pad0: [u8; 4],
    pr_psinfosz: U64<O>,
    pr_fname: [u8; 17],
    pr_psargs: [u8; 81],
    _pad1: [u8; 2],
    pr_pid: I32<O>,
}
const _: () = assert!(size_of::<PrpsinfoLp64<LE>>() == 120);

/// `prpsinfo_t` of i386 as FreeBSD 8-11 wrote it (108 bytes, no `pr_pid`).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PrpsinfoIlp32<O: ByteOrder> {
    pr_version: I32<O>,
    pr_psinfosz: U32<O>,
    pr_fname: [u8; 17],
    pr_psargs: [u8; 81],
    _pad1: [u8; 2],
}
const _: () = assert!(size_of::<PrpsinfoIlp32<LE>>() == 108);

/// `prpsinfo_t` of i386 since `pr_pid` was appended (112 bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PrpsinfoIlp32Pid<O: ByteOrder> {
    head: PrpsinfoIlp32<O>,
    pr_pid: I32<O>,
}
const _: () = assert!(size_of::<PrpsinfoIlp32Pid<LE>>() == 112);

/// A C `long` (or pointer, `time_t`, `segsz_t`, `vm_size_t`) of the dumping ABI: `I64` on amd64/arm64,
/// `I32` on i386 (whose `time_t` is 32-bit too).
trait Long: FromBytes + KnownLayout + Immutable + Unaligned {
    /// The value, sign-extended.
    fn value(&self) -> i64;
}
impl<O: ByteOrder> Long for I64<O> {
    fn value(&self) -> i64 {
        self.get()
    }
}
impl<O: ByteOrder> Long for I32<O> {
    fn value(&self) -> i64 {
        i64::from(self.get())
    }
}

/// `struct timeval` (`sys/sys/_timeval.h`): `time_t tv_sec; suseconds_t tv_usec` (both `long`-sized).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct Timeval<L: Long> {
    tv_sec: L,
    tv_usec: L,
}

/// `struct rusage` (`sys/sys/resource.h`): two timevals and 14 longs.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct Rusage<L: Long> {
    ru_utime: Timeval<L>,
    ru_stime: Timeval<L>,
    /// `ru_maxrss` .. `ru_nivcsw`.
    ru_longs: [L; 14],
}

/// `sigset_t` (`sys/sys/_sigset.h`): `uint32_t __bits[_SIG_WORDS]`, 4 words, bit n-1 = signal n.
type SigSet<O> = [U32<O>; 4];

/// `struct kinfo_proc` (`sys/sys/user.h`, `KINFO_PROC_SIZE` 1088 on amd64/arm64, `KINFO_PROC32_SIZE` 768 on
/// i386 and for 32-bit processes): every field, in order. `L` is the ABI's `long`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct KinfoProcRaw<O: ByteOrder, L: Long> {
    ki_structsize: I32<O>,
    ki_layout: I32<O>,
    ki_args: L,
    ki_paddr: L,
    ki_addr: L,
    ki_tracep: L,
    ki_textvp: L,
    ki_fd: L,
    ki_vmspace: L,
    ki_wchan: L,
    ki_pid: I32<O>,
    ki_ppid: I32<O>,
    ki_pgid: I32<O>,
    ki_tpgid: I32<O>,
    ki_sid: I32<O>,
    ki_tsid: I32<O>,
    ki_jobc: I16<O>,
    ki_spare_short1: I16<O>,
    ki_tdev_freebsd11: U32<O>,
    ki_siglist: SigSet<O>,
    ki_sigmask: SigSet<O>,
    ki_sigignore: SigSet<O>,
    ki_sigcatch: SigSet<O>,
    ki_uid: U32<O>,
    ki_ruid: U32<O>,
    ki_svuid: U32<O>,
    ki_rgid: U32<O>,
    ki_svgid: U32<O>,
    ki_ngroups: I16<O>,
    ki_spare_short2: I16<O>,
    ki_groups: [U32<O>; 16],
    ki_size: L,
    ki_rssize: L,
    ki_swrss: L,
    ki_tsize: L,
    ki_dsize: L,
    ki_ssize: L,
    ki_xstat: U16<O>,
    ki_acflag: U16<O>,
    ki_pctcpu: U32<O>,
    ki_estcpu: U32<O>,
    ki_slptime: U32<O>,
    ki_swtime: U32<O>,
    ki_cow: U32<O>,
    ki_runtime: U64<O>,
    ki_start: Timeval<L>,
    ki_childtime: Timeval<L>,
    ki_flag: L,
    ki_kiflag: L,
    ki_traceflag: I32<O>,
    ki_stat: u8,
    ki_nice: i8,
    ki_lock: u8,
    ki_rqindex: u8,
    ki_oncpu_old: u8,
    ki_lastcpu_old: u8,
    ki_tdname: [u8; 17],
    ki_wmesg: [u8; 9],
    ki_login: [u8; 18],
    ki_lockname: [u8; 9],
    ki_comm: [u8; 20],
    ki_emul: [u8; 17],
    ki_loginclass: [u8; 18],
    ki_moretdname: [u8; 4],
    ki_sparestrings: [u8; 46],
    ki_spareints: [I32<O>; 2],
    ki_tdev: U64<O>,
    ki_oncpu: I32<O>,
    ki_lastcpu: I32<O>,
    ki_tracer: I32<O>,
    ki_flag2: I32<O>,
    ki_fibnum: I32<O>,
    ki_cr_flags: U32<O>,
    ki_jid: I32<O>,
    ki_numthreads: I32<O>,
    ki_tid: I32<O>,
    /// `struct priority`: `pri_class`, `pri_level`, `pri_native`, `pri_user`.
    ki_pri: [u8; 4],
    ki_rusage: Rusage<L>,
    ki_rusage_ch: Rusage<L>,
    ki_pcb: L,
    ki_kstack: L,
    ki_udata: L,
    ki_tdaddr: L,
    ki_pd: L,
    ki_spareptrs: [L; 5],
    ki_sparelongs: [L; 12],
    ki_sflag: L,
    ki_tdflags: L,
}
/// amd64 / arm64 `kinfo_proc`.
type KinfoProcLp64<O> = KinfoProcRaw<O, I64<O>>;
/// i386 `kinfo_proc` and the compat32 view.
type KinfoProcIlp32<O> = KinfoProcRaw<O, I32<O>>;
const KINFO_PROC_SIZE: usize = 1088;
const KINFO_PROC32_SIZE: usize = 768;
const _: () = assert!(size_of::<KinfoProcLp64<LE>>() == KINFO_PROC_SIZE);
const _: () = assert!(size_of::<KinfoProcIlp32<LE>>() == KINFO_PROC32_SIZE);

/// `struct kinfo_file` up to `kf_path` (`sys/sys/user.h`, `KINFO_FILE_SIZE` 1392): records in
/// `NT_PROCSTAT_FILES` are packed, so `kf_path` is the rest of each record.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct KinfoFileRaw<O: ByteOrder> {
    kf_structsize: I32<O>,
    kf_type: I32<O>,
    kf_fd: I32<O>,
    kf_ref_count: I32<O>,
    kf_flags: I32<O>,
    _kf_pad0: I32<O>,
    kf_offset: I64<O>,
    /// `kf_un`: `kf_sock` ([`KfSock`]), `kf_file` ([`KfFile`]), `kf_sem`, `kf_pipe`, `kf_pts`, `kf_proc`,
    /// `kf_eventfd`.
    kf_un: [u8; 304],
    kf_status: U16<O>,
    _kf_pad1: U16<O>,
    _kf_ispare0: I32<O>,
    kf_cap_rights: [U64<O>; 2],
    _kf_cap_spare: U64<O>,
}
/// Offset of `kf_path` in `struct kinfo_file`.
const KF_PATH: usize = 368;
const _: () = assert!(size_of::<KinfoFileRaw<LE>>() == KF_PATH);

/// `kf_un.kf_file` (vnodes, `KF_TYPE_VNODE`).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct KfFile<O: ByteOrder> {
    kf_file_type: I32<O>,
    kf_spareint: [I32<O>; 3],
    kf_spareint64: [U64<O>; 29],
    kf_file_nlink: U64<O>,
    kf_file_fsid: U64<O>,
    kf_file_rdev: U64<O>,
    kf_file_fileid: U64<O>,
    kf_file_size: U64<O>,
    kf_file_fsid_freebsd11: U32<O>,
    kf_file_rdev_freebsd11: U32<O>,
    kf_file_mode: U16<O>,
    kf_file_pad0: U16<O>,
    kf_file_pad1: U32<O>,
}
const _: () = assert!(size_of::<KfFile<LE>>() == 304);

/// `kf_un.kf_sock` (sockets, `KF_TYPE_SOCKET`).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct KfSock<O: ByteOrder> {
    kf_sock_sendq: U32<O>,
    kf_sock_domain0: I32<O>,
    kf_sock_type0: I32<O>,
    kf_sock_protocol0: I32<O>,
    /// `struct sockaddr_storage` (128 bytes).
    kf_sa_local: [u8; 128],
    /// `struct sockaddr_storage` (128 bytes).
    kf_sa_peer: [u8; 128],
    kf_sock_pcb: U64<O>,
    kf_sock_inpcb: U64<O>,
    kf_sock_unpconn: U64<O>,
    kf_sock_snd_sb_state: U16<O>,
    kf_sock_rcv_sb_state: U16<O>,
    kf_sock_recvq: U32<O>,
}
const _: () = assert!(size_of::<KfSock<LE>>() == 304);

/// `struct kinfo_vmentry` up to `kve_path` (`KINFO_VMENTRY_SIZE` 1160; packed like `kinfo_file`).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct KinfoVmentryRaw<O: ByteOrder> {
    kve_structsize: I32<O>,
    kve_type: I32<O>,
    kve_start: U64<O>,
    kve_end: U64<O>,
    kve_offset: U64<O>,
    kve_vn_fileid: U64<O>,
    kve_vn_fsid_freebsd11: U32<O>,
    kve_flags: I32<O>,
    kve_resident: I32<O>,
    kve_private_resident: I32<O>,
    kve_protection: I32<O>,
    kve_ref_count: I32<O>,
    kve_shadow_count: I32<O>,
    kve_vn_type: I32<O>,
    kve_vn_size: U64<O>,
    kve_vn_rdev_freebsd11: U32<O>,
    kve_vn_mode: U16<O>,
    kve_status: U16<O>,
    kve_vn_fsid: U64<O>,
    kve_vn_rdev: U64<O>,
    _kve_ispare: [I32<O>; 8],
}
/// Offset of `kve_path` in `struct kinfo_vmentry`.
const KVE_PATH: usize = 136;
const _: () = assert!(size_of::<KinfoVmentryRaw<LE>>() == KVE_PATH);

/// `siginfo_t` (`struct __siginfo`, `sys/sys/signal.h`): 80 bytes on amd64, 64 on i386 (`siginfo32`).
/// `_reason` is written as its largest member, `__spare__ { long __spare1__; int __spare2__[7]; }`, then
/// the tail padding of LP64.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct SiginfoRaw<O: ByteOrder, L: Long, const TAIL: usize> {
    si_signo: I32<O>,
    si_errno: I32<O>,
    si_code: I32<O>,
    si_pid: I32<O>,
    si_uid: U32<O>,
    si_status: I32<O>,
    /// `void *si_addr`.
    si_addr: L,
    /// `union sigval si_value` (pointer-sized).
    si_value: L,
    /// `_reason._fault._trapno`, `_reason._timer._timerid`, ... share this first word.
    _reason_spare1: L,
    _reason_spare2: [I32<O>; 7],
    _tail: [u8; TAIL],
}

/// `struct ptrace_lwpinfo` (`sys/sys/ptrace.h`; `ptrace_lwpinfo32` for 32-bit processes): 160 bytes on
/// amd64, 140 on i386. `PAD` is the alignment padding before `pl_siginfo` (4 on LP64).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PtraceLwpinfoRaw<O: ByteOrder, L: Long, const PAD: usize, const TAIL: usize> {
    pl_lwpid: I32<O>,
    pl_event: I32<O>,
    pl_flags: I32<O>,
    pl_sigmask: SigSet<O>,
    pl_siglist: SigSet<O>,
    _pad0: [u8; PAD],
    pl_siginfo: SiginfoRaw<O, L, TAIL>,
    /// `char pl_tdname[MAXCOMLEN + 1]`.
    pl_tdname: [u8; 20],
    pl_child_pid: I32<O>,
    pl_syscall_code: U32<O>,
    pl_syscall_narg: U32<O>,
}
/// amd64 / arm64 `ptrace_lwpinfo`.
type PtraceLwpinfoLp64<O> = PtraceLwpinfoRaw<O, I64<O>, 4, 4>;
/// i386 `ptrace_lwpinfo` and `ptrace_lwpinfo32`.
type PtraceLwpinfoIlp32<O> = PtraceLwpinfoRaw<O, I32<O>, 0, 0>;
const _: () = assert!(size_of::<SiginfoRaw<LE, I64<LE>, 4>>() == 80);
const _: () = assert!(size_of::<SiginfoRaw<LE, I32<LE>, 0>>() == 64);
const _: () = assert!(size_of::<PtraceLwpinfoLp64<LE>>() == 160);
const _: () = assert!(size_of::<PtraceLwpinfoIlp32<LE>>() == 140);
/// `PL_FLAG_SI`: `pl_siginfo` is valid.
const PL_FLAG_SI: i32 = 0x20;

/// One thread's `prstatus_t`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PrStatus {
    /// `pr_osreldate`: the kernel's `__FreeBSD_version`.
    pub osreldate: i32,
    /// `pr_cursig`.
    pub cursig: i32,
    /// `pr_pid`: the thread (LWP) id.
    pub lwpid: i32,
    /// `pr_reg`.
    pub registers: Registers,
}

/// `prpsinfo_t`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrPsInfo {
    /// `pr_fname`.
    pub fname: Vec<u8>,
    /// `pr_psargs` (first 80 bytes of the arguments).
    pub psargs: Vec<u8>,
    /// `pr_pid`: absent in the 108-byte 32-bit layout; 0 on some kernels.
    pub pid: Option<i32>,
}

/// A 128-bit `sigset_t`, bit n-1 = signal n.
pub type SigSet128 = u128;

fn sigset<O: ByteOrder>(words: &SigSet<O>) -> SigSet128 {
    words
        .iter()
        .enumerate()
        .fold(0u128, |acc, (i, w)| acc | (u128::from(w.get()) << (32 * i)))
}

/// The fields of `struct kinfo_proc` the reports use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KinfoProc {
    /// `ki_pid`.
    pub pid: i32,
    /// `ki_ppid`.
    pub ppid: i32,
    /// `ki_pgid`.
    pub pgid: i32,
    /// `ki_tpgid`: the foreground process group of the controlling terminal.
    pub tpgid: i32,
    /// `ki_sid`.
    pub sid: i32,
    /// `ki_siglist`: signals pending to the process.
    pub siglist: SigSet128,
    /// `ki_sigmask`: signals the thread blocks.
    pub sigmask: SigSet128,
    /// `ki_sigignore`: signals ignored.
    pub sigignore: SigSet128,
    /// `ki_sigcatch`: signals caught by a handler.
    pub sigcatch: SigSet128,
    /// `ki_uid`: effective uid.
    pub uid: u32,
    /// `ki_ruid`.
    pub ruid: u32,
    /// `ki_svuid`.
    pub svuid: u32,
    /// `ki_rgid`.
    pub rgid: u32,
    /// `ki_svgid`.
    pub svgid: u32,
    /// `ki_groups[0]`: the effective gid, when `ki_ngroups` > 0.
    pub egid: Option<u32>,
    /// `ki_size`: virtual size in bytes.
    pub size: u64,
    /// `ki_rssize`: resident pages.
    pub rssize: u64,
    /// `ki_start.tv_sec`: process start, seconds since the epoch.
    pub start_sec: i64,
    /// `ki_flag` (`P_*`).
    pub flag: u64,
    /// `ki_stat` (1 SIDL, 2 SRUN, 3 SSLEEP, 4 SSTOP, 5 SZOMB, 6 SWAIT, 7 SLOCK).
    pub stat: u8,
    /// `ki_nice`.
    pub nice: i8,
    /// `ki_tdname`: the thread's name.
    pub tdname: Vec<u8>,
    /// `ki_login`: the session's login name.
    pub login: Vec<u8>,
    /// `ki_comm`.
    pub comm: Vec<u8>,
    /// `ki_emul` (`FreeBSD ELF64`, ...).
    pub emul: Vec<u8>,
    /// `ki_numthreads`.
    pub numthreads: i32,
    /// `ki_tid`.
    pub tid: i32,
}

fn kinfo_proc_from<O: ByteOrder, L: Long>(k: &KinfoProcRaw<O, L>) -> KinfoProc {
    let text = |b: &[u8]| c_string(b).to_vec();
    KinfoProc {
        pid: k.ki_pid.get(),
        ppid: k.ki_ppid.get(),
        pgid: k.ki_pgid.get(),
        tpgid: k.ki_tpgid.get(),
        sid: k.ki_sid.get(),
        siglist: sigset(&k.ki_siglist),
        sigmask: sigset(&k.ki_sigmask),
        sigignore: sigset(&k.ki_sigignore),
        sigcatch: sigset(&k.ki_sigcatch),
        uid: k.ki_uid.get(),
        ruid: k.ki_ruid.get(),
        svuid: k.ki_svuid.get(),
        rgid: k.ki_rgid.get(),
        svgid: k.ki_svgid.get(),
        egid: (k.ki_ngroups.get() > 0).then(|| k.ki_groups[0].get()),
        size: k.ki_size.value() as u64,
        rssize: k.ki_rssize.value().max(0) as u64,
        start_sec: k.ki_start.tv_sec.value(),
        flag: k.ki_flag.value() as u64,
        stat: k.ki_stat,
        nice: k.ki_nice,
        tdname: text(&k.ki_tdname),
        login: text(&k.ki_login),
        comm: text(&k.ki_comm),
        emul: text(&k.ki_emul),
        numthreads: k.ki_numthreads.get(),
        tid: k.ki_tid.get(),
    }
}

/// Decodes one `kinfo_proc` record of 1088 (LP64) or 768 (ILP32) bytes.
pub fn kinfo_proc(rec: &[u8], endian: Endianness) -> Option<KinfoProc> {
    with_byte_order!(endian, O => match rec.len() {
        KINFO_PROC_SIZE => KinfoProcLp64::<O>::ref_from_bytes(rec).ok().map(kinfo_proc_from),
        KINFO_PROC32_SIZE => KinfoProcIlp32::<O>::ref_from_bytes(rec).ok().map(kinfo_proc_from),
        _ => None,
    })
}

/// One `kinfo_file` record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KinfoFile {
    /// `kf_type` (`KF_TYPE_VNODE` 1, `SOCKET` 2, `PIPE` 3, `FIFO` 4, `KQUEUE` 5, `PTS` 10, ...).
    pub kf_type: i32,
    /// `kf_fd`; negative for the special entries (`KF_FD_TYPE_CWD` -1, `ROOT` -2, `JAIL` -3, `TRACE` -4,
    /// `TEXT` -5, `CTTY` -6).
    pub fd: i32,
    /// `kf_flags` (`KF_FLAG_READ` 1, `KF_FLAG_WRITE` 2, `KF_FLAG_APPEND` 4, ...).
    pub flags: i32,
    /// `kf_offset`.
    pub offset: i64,
    /// `kf_path`.
    pub path: Vec<u8>,
    /// For vnodes: `kf_un.kf_file.kf_file_type` (`KF_VTYPE_VREG` 1, `VDIR` 2, `VBLK` 3, `VCHR` 4, `VLNK` 5,
    /// `VSOCK` 6, `VFIFO` 7).
    pub vtype: Option<i32>,
    /// For vnodes: `kf_un.kf_file.kf_file_fileid`, the inode number.
    pub fileid: Option<u64>,
    /// For sockets: (`kf_sock_domain0`, `kf_sock_type0`, `kf_sock_protocol0`).
    pub socket: Option<(i32, i32, i32)>,
    /// For IPv4/IPv6/unix sockets: the local and peer (address, port) from `kf_sa_local` / `kf_sa_peer`.
    pub endpoints: Option<(SockAddr, SockAddr)>,
}

/// An address from a `sockaddr_storage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SockAddr {
    /// Printable address (`127.0.0.1`, `::1`, a unix path).
    pub address: String,
    /// The port, for inet sockets.
    pub port: Option<u16>,
}

/// `KF_TYPE_VNODE`.
pub const KF_TYPE_VNODE: i32 = 1;
/// `KF_TYPE_SOCKET`.
pub const KF_TYPE_SOCKET: i32 = 2;
/// A `struct sockaddr_storage` of `kf_sa_local`/`kf_sa_peer`, through the shared BSD sockaddr decoder.
fn sockaddr(ss: &[u8], e: Endianness) -> Option<SockAddr> {
    use crate::formats::sockaddr::{self as sa, SockAddr as A};
    match sa::bsd(ss, sa::AF_INET6_FREEBSD, e)? {
        A::Inet { addr, port } => Some(SockAddr {
            address: addr.to_string(),
            port: Some(port),
        }),
        A::Inet6 { addr, port, .. } => Some(SockAddr {
            address: addr.to_string(),
            port: Some(port),
        }),
        A::Local { path } => Some(SockAddr {
            address: String::from_utf8_lossy(&path).into_owned(),
            port: None,
        }),
        A::Unspec | A::Other { .. } => None,
    }
}

/// One `kinfo_vmentry` record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KinfoVmentry {
    /// `kve_start`.
    pub start: u64,
    /// `kve_end`.
    pub end: u64,
    /// `kve_offset`.
    pub offset: u64,
    /// `kve_protection` (`KVME_PROT_READ` 1, `WRITE` 2, `EXEC` 4).
    pub protection: i32,
    /// `kve_resident`: resident pages.
    pub resident: i32,
    /// `kve_private_resident`.
    pub private_resident: i32,
    /// `kve_type` (`KVME_TYPE_DEFAULT` 1, `VNODE` 2, `SWAP` 3, `DEVICE` 4, `PHYS` 5, `DEAD` 6, `SG` 7,
    /// `MGTDEVICE` 8, `GUARD` 9).
    pub kve_type: i32,
    /// `kve_vn_fileid`: the inode of a vnode mapping.
    pub fileid: u64,
    /// `kve_path`.
    pub path: Vec<u8>,
}

/// `siginfo_t` of `NT_PTLWPINFO`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    /// `si_signo`.
    pub signo: i32,
    /// `si_errno`.
    pub errno: i32,
    /// `si_code` (`SEGV_MAPERR` 1, `SI_USER` 0x10001, `SI_NOINFO` 0, ...).
    pub code: i32,
    /// `si_pid`: the sender.
    pub pid: i32,
    /// `si_uid`: the sender's uid.
    pub uid: u32,
    /// `si_addr`: the faulting address.
    pub addr: u64,
}

/// One thread's `struct ptrace_lwpinfo` from `NT_PTLWPINFO`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LwpInfo {
    /// `pl_lwpid`.
    pub lwpid: i32,
    /// `pl_event` (`PL_EVENT_NONE` 0, `PL_EVENT_SIGNAL` 1).
    pub event: i32,
    /// `pl_flags`.
    pub flags: i32,
    /// `pl_sigmask`: signals the thread blocks.
    pub sigmask: SigSet128,
    /// `pl_siglist`: signals pending to the thread.
    pub siglist: SigSet128,
    /// `pl_siginfo`, when `PL_FLAG_SI` says it is valid.
    pub siginfo: Option<SigInfo>,
    /// `pl_tdname`.
    pub tdname: Vec<u8>,
}

fn lwpinfo_from<O: ByteOrder, L: Long, const P: usize, const T: usize>(
    l: &PtraceLwpinfoRaw<O, L, P, T>,
) -> LwpInfo {
    let si = &l.pl_siginfo;
    LwpInfo {
        lwpid: l.pl_lwpid.get(),
        event: l.pl_event.get(),
        flags: l.pl_flags.get(),
        sigmask: sigset(&l.pl_sigmask),
        siglist: sigset(&l.pl_siglist),
        siginfo: (l.pl_flags.get() & PL_FLAG_SI != 0).then(|| SigInfo {
            signo: si.si_signo.get(),
            errno: si.si_errno.get(),
            code: si.si_code.get(),
            pid: si.si_pid.get(),
            uid: si.si_uid.get(),
            // A 32-bit pointer is unsigned: no sign extension.
            addr: if size_of::<L>() == 4 {
                si.si_addr.value() as u32 as u64
            } else {
                si.si_addr.value() as u64
            },
        }),
        tdname: c_string(&l.pl_tdname).to_vec(),
    }
}

/// Everything the FreeBSD notes say.
#[derive(Clone, Debug, Default)]
pub struct FreeBsdCore {
    /// One per thread, in note order (the first took the signal).
    pub threads: Vec<PrStatus>,
    /// Thread names from `NT_THRMISC`, in the same order as `threads`.
    pub thread_names: Vec<Vec<u8>>,
    /// `NT_PTLWPINFO`, one per thread, in the same order as `threads` (FreeBSD 12 and later).
    pub lwpinfo: Vec<LwpInfo>,
    /// `NT_PRPSINFO`.
    pub psinfo: Option<PrPsInfo>,
    /// `NT_PROCSTAT_PROC`: one record per thread.
    pub procs: Vec<KinfoProc>,
    /// `NT_PROCSTAT_FILES`.
    pub files: Vec<KinfoFile>,
    /// `NT_PROCSTAT_VMMAP`.
    pub vmmap: Vec<KinfoVmentry>,
    /// `NT_PROCSTAT_GROUPS`.
    pub groups: Option<Vec<u32>>,
    /// `NT_PROCSTAT_UMASK`.
    pub umask: Option<u16>,
    /// `NT_PROCSTAT_RLIMIT`: (name, soft, hard); `None` = infinity.
    pub rlimits: Vec<(&'static str, Option<u64>, Option<u64>)>,
    /// `NT_PROCSTAT_OSREL`.
    pub osrel: Option<i32>,
    /// `NT_PROCSTAT_AUXV`.
    pub auxv: Vec<(u64, u64)>,
}

/// `RLIMIT_*` names in index order (`sys/sys/resource.h`).
const RLIMIT_NAMES: [&str; 16] = [
    "cpu", "fsize", "data", "stack", "core", "rss", "memlock", "nproc", "nofile", "sbsize", "vmem",
    "npts", "swap", "kqueues", "umtxp", "pipebuf",
];

/// Splits an `NT_PROCSTAT_*` descriptor into its `structsize` and payload.
fn procstat(desc: &[u8], endian: Endianness) -> Option<(usize, &[u8])> {
    let size = read_word(desc.get(..4)?, endian) as u32 as usize;
    Some((size, &desc[4..]))
}

fn short(what: &str, at: u64, len: usize, need: &str) -> CoreWarning {
    CoreWarning::new(
        what,
        at,
        format!("{len} bytes, {need} expected: not decoded"),
    )
}

/// Decodes the FreeBSD notes of `core`.
pub fn decode(core: &Core<'_>, warnings: &mut Vec<CoreWarning>) -> FreeBsdCore {
    let mut out = FreeBsdCore::default();
    let e = core.endian;
    for note in core.notes.iter().filter(|n| n.name == OWNER_FREEBSD) {
        let at = note.desc_offset;
        let d = note.desc;
        match note.n_type {
            NT_PRSTATUS => match prstatus(core, d) {
                Some(st) => out.threads.push(st),
                None => warnings.push(short("NT_PRSTATUS", at, d.len(), "28 or 48")),
            },
            NT_THRMISC => out
                .thread_names
                .push(c_string(&d[..d.len().min(20)]).to_vec()),
            NT_PTLWPINFO => match procstat(d, e).and_then(|(size, rec)| {
                let rec = rec.get(..size)?;
                with_byte_order!(e, O => match size {
                    160 => PtraceLwpinfoLp64::<O>::ref_from_bytes(rec).ok().map(lwpinfo_from),
                    140 => PtraceLwpinfoIlp32::<O>::ref_from_bytes(rec).ok().map(lwpinfo_from),
                    _ => None,
                })
            }) {
                Some(l) => out.lwpinfo.push(l),
                None => warnings.push(short(
                    "NT_PTLWPINFO",
                    at,
                    d.len(),
                    "a structsize of 160 (LP64) or 140 (ILP32) and that many bytes",
                )),
            },
            NT_PRPSINFO if out.psinfo.is_none() => {
                out.psinfo = prpsinfo(core.is_64, e, d);
                if out.psinfo.is_none() {
                    warnings.push(short("NT_PRPSINFO", at, d.len(), "108, 112 or 120"));
                }
            }
            NT_PROCSTAT_PROC => {
                let Some((size, recs)) = procstat(d, e) else {
                    warnings.push(short("NT_PROCSTAT_PROC", at, d.len(), "at least 4"));
                    continue;
                };
                if size != KINFO_PROC_SIZE && size != KINFO_PROC32_SIZE {
                    warnings.push(CoreWarning::new(
                        "NT_PROCSTAT_PROC",
                        at,
                        format!("unknown kinfo_proc size {size}"),
                    ));
                    continue;
                }
                out.procs
                    .extend(recs.chunks_exact(size).filter_map(|r| kinfo_proc(r, e)));
            }
            NT_PROCSTAT_FILES => {
                out.files = packed(d, e, at, "NT_PROCSTAT_FILES", warnings, kinfo_file)
            }
            NT_PROCSTAT_VMMAP => {
                out.vmmap = packed(d, e, at, "NT_PROCSTAT_VMMAP", warnings, kinfo_vmentry)
            }
            NT_PROCSTAT_GROUPS => {
                if let Some((4, g)) = procstat(d, e) {
                    out.groups = Some(g.chunks_exact(4).map(|b| read_word(b, e) as u32).collect());
                }
            }
            NT_PROCSTAT_UMASK => {
                if let Some((2, u)) = procstat(d, e) {
                    out.umask = u.get(..2).map(|b| read_word(b, e) as u16);
                }
            }
            NT_PROCSTAT_OSREL => {
                if let Some((4, o)) = procstat(d, e) {
                    out.osrel = o.get(..4).map(|b| read_word(b, e) as u32 as i32);
                }
            }
            NT_PROCSTAT_RLIMIT => {
                if let Some((size @ (8 | 16), r)) = procstat(d, e) {
                    let half = size / 2;
                    let lim = |b: &[u8]| {
                        let v = read_word(b, e);
                        // RLIM_INFINITY is the largest positive rlim_t.
                        let inf = if half == 8 {
                            i64::MAX as u64
                        } else {
                            i32::MAX as u64
                        };
                        (v != inf).then_some(v)
                    };
                    out.rlimits = r
                        .chunks_exact(size)
                        .zip(RLIMIT_NAMES)
                        .map(|(c, name)| (name, lim(&c[..half]), lim(&c[half..])))
                        .collect();
                }
            }
            NT_PROCSTAT_AUXV => {
                if let Some((size @ (8 | 16), a)) = procstat(d, e) {
                    out.auxv = super::auxv::pairs(a, size / 2, false, e);
                }
            }
            _ => {}
        }
    }
    out
}

fn prstatus(core: &Core<'_>, d: &[u8]) -> Option<PrStatus> {
    use goblin::elf::header::{EM_386, EM_AARCH64, EM_X86_64};
    let e = core.endian;
    let ((osreldate, cursig, lwpid), reg) = with_byte_order!(e, O => if core.is_64 {
        prstatus_head::<PrstatusLp64<O>>(d)?
    } else {
        prstatus_head::<PrstatusIlp32<O>>(d)?
    });
    let registers = match core.machine {
        EM_X86_64 => regs::decode_freebsd_amd64(reg, e),
        EM_386 => regs::FREEBSD_I386.decode(reg, e),
        EM_AARCH64 => regs::FREEBSD_AARCH64.decode(reg, e),
        _ => Registers::default(),
    };
    Some(PrStatus {
        osreldate,
        cursig,
        lwpid,
        registers,
    })
}

/// (`pr_osreldate`, `pr_cursig`, `pr_pid`).
type PrstatusIds = (i32, i32, i32);

/// The fields both `prstatus_t` layouts share.
trait PrstatusHead {
    fn ids(&self) -> PrstatusIds;
}
impl<O: ByteOrder> PrstatusHead for PrstatusLp64<O> {
    fn ids(&self) -> PrstatusIds {
        (
            self.pr_osreldate.get(),
            self.pr_cursig.get(),
            self.pr_pid.get(),
        )
    }
}
impl<O: ByteOrder> PrstatusHead for PrstatusIlp32<O> {
    fn ids(&self) -> PrstatusIds {
        (
            self.pr_osreldate.get(),
            self.pr_cursig.get(),
            self.pr_pid.get(),
        )
    }
}

/// (osreldate, cursig, lwpid) and the bytes of `pr_reg`.
fn prstatus_head<'d, H: PrstatusHead + FromBytes + KnownLayout + Immutable + Unaligned + 'd>(
    d: &'d [u8],
) -> Option<(PrstatusIds, &'d [u8])> {
    let (h, rest) = H::ref_from_prefix(d).ok()?;
    Some((h.ids(), rest))
}

fn prpsinfo(is_64: bool, e: Endianness, d: &[u8]) -> Option<PrPsInfo> {
    with_byte_order!(e, O => {
        if is_64 {
            let p = PrpsinfoLp64::<O>::ref_from_prefix(d).ok()?.0;
            Some(PrPsInfo {
                fname: c_string(&p.pr_fname).to_vec(),
                psargs: c_string(&p.pr_psargs).to_vec(),
                pid: Some(p.pr_pid.get()),
            })
        } else if let Ok((p, _)) = PrpsinfoIlp32Pid::<O>::ref_from_prefix(d) {
            Some(PrPsInfo {
                fname: c_string(&p.head.pr_fname).to_vec(),
                psargs: c_string(&p.head.pr_psargs).to_vec(),
                pid: Some(p.pr_pid.get()),
            })
        } else {
            // The 108-byte layout of FreeBSD 8-11 has no pr_pid.
            let p = PrpsinfoIlp32::<O>::ref_from_prefix(d).ok()?.0;
            Some(PrPsInfo {
                fname: c_string(&p.pr_fname).to_vec(),
                psargs: c_string(&p.pr_psargs).to_vec(),
                pid: None,
            })
        }
    })
}

/// Walks packed variable-length records whose first int is their own size.
fn packed<T>(
    desc: &[u8],
    e: Endianness,
    at: u64,
    what: &str,
    warnings: &mut Vec<CoreWarning>,
    decode: fn(&[u8], Endianness) -> Option<T>,
) -> Vec<T> {
    let Some((_, mut rest)) = procstat(desc, e) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut pos = 4u64;
    while rest.len() >= 4 {
        let size = read_word(&rest[..4], e) as u32 as usize;
        if size < 4 || size > rest.len() {
            warnings.push(CoreWarning::new(
                what,
                at.saturating_add(pos),
                format!("record size {size} with {} bytes left: stopped", rest.len()),
            ));
            break;
        }
        match decode(&rest[..size], e) {
            Some(r) => out.push(r),
            None => warnings.push(CoreWarning::new(
                what,
                at.saturating_add(pos),
                format!("record of {size} bytes is too short"),
            )),
        }
        rest = &rest[size..];
        pos += size as u64;
    }
    out
}

fn kinfo_file(rec: &[u8], e: Endianness) -> Option<KinfoFile> {
    let path = c_string(rec.get(KF_PATH..).unwrap_or(&[])).to_vec();
    with_byte_order!(e, O => {
        let h = KinfoFileRaw::<O>::ref_from_prefix(rec).ok()?.0;
        let kf_type = h.kf_type.get();
        let (mut vtype, mut fileid, mut socket, mut endpoints) = (None, None, None, None);
        if kf_type == KF_TYPE_VNODE {
            let f = KfFile::<O>::ref_from_bytes(&h.kf_un).ok()?;
            vtype = Some(f.kf_file_type.get());
            fileid = Some(f.kf_file_fileid.get()).filter(|v| *v != 0);
        } else if kf_type == KF_TYPE_SOCKET {
            let k = KfSock::<O>::ref_from_bytes(&h.kf_un).ok()?;
            socket = Some((
                k.kf_sock_domain0.get(),
                k.kf_sock_type0.get(),
                k.kf_sock_protocol0.get(),
            ));
            endpoints = sockaddr(&k.kf_sa_local, e).zip(sockaddr(&k.kf_sa_peer, e));
        }
        Some(KinfoFile {
            kf_type,
            fd: h.kf_fd.get(),
            flags: h.kf_flags.get(),
            offset: h.kf_offset.get(),
            path,
            vtype,
            fileid,
            socket,
            endpoints,
        })
    })
}

fn kinfo_vmentry(rec: &[u8], e: Endianness) -> Option<KinfoVmentry> {
    let path = c_string(rec.get(KVE_PATH..).unwrap_or(&[])).to_vec();
    with_byte_order!(e, O => {
        let h = KinfoVmentryRaw::<O>::ref_from_prefix(rec).ok()?.0;
        Some(KinfoVmentry {
            start: h.kve_start.get(),
            end: h.kve_end.get(),
            offset: h.kve_offset.get(),
            protection: h.kve_protection.get(),
            resident: h.kve_resident.get(),
            private_resident: h.kve_private_resident.get(),
            kve_type: h.kve_type.get(),
            fileid: h.kve_vn_fileid.get(),
            path,
        })
    })
}

/// Compile-time checks of the structures above against the `libc` crate's FreeBSD definitions: a second
/// witness, independent of the layout reference both the decoders and the tests' encoders come from.
/// Compiled only for `x86_64-unknown-freebsd` (`cargo clippy --target x86_64-unknown-freebsd` in CI).
#[cfg(all(target_os = "freebsd", target_arch = "x86_64"))]
mod libc_witness {
    use super::*;
    use core::mem::{offset_of, size_of};

    macro_rules! same {
        ($ours:ty, $theirs:ty, [$($f:ident),* $(,)?]) => {
            $(const _: () = assert!(offset_of!($ours, $f) == offset_of!($theirs, $f));)*
        };
    }

    type Kp = KinfoProcLp64<LE>;
    const _: () = assert!(size_of::<Kp>() == size_of::<libc::kinfo_proc>());
    same!(
        Kp,
        libc::kinfo_proc,
        [
            ki_structsize,
            ki_layout,
            ki_args,
            ki_paddr,
            ki_addr,
            ki_tracep,
            ki_textvp,
            ki_fd,
            ki_vmspace,
            ki_wchan,
            ki_pid,
            ki_ppid,
            ki_pgid,
            ki_tpgid,
            ki_sid,
            ki_tsid,
            ki_jobc,
            ki_spare_short1,
            ki_tdev_freebsd11,
            ki_siglist,
            ki_sigmask,
            ki_sigignore,
            ki_sigcatch,
            ki_uid,
            ki_ruid,
            ki_svuid,
            ki_rgid,
            ki_svgid,
            ki_ngroups,
            ki_spare_short2,
            ki_groups,
            ki_size,
            ki_rssize,
            ki_swrss,
            ki_tsize,
            ki_dsize,
            ki_ssize,
            ki_xstat,
            ki_acflag,
            ki_pctcpu,
            ki_estcpu,
            ki_slptime,
            ki_swtime,
            ki_cow,
            ki_runtime,
            ki_start,
            ki_childtime,
            ki_flag,
            ki_kiflag,
            ki_traceflag,
            ki_stat,
            ki_nice,
            ki_lock,
            ki_rqindex,
            ki_oncpu_old,
            ki_lastcpu_old,
            ki_tdname,
            ki_wmesg,
            ki_login,
            ki_lockname,
            ki_comm,
            ki_emul,
            ki_loginclass,
            ki_moretdname,
            ki_sparestrings,
            ki_spareints,
            ki_tdev,
            ki_oncpu,
            ki_lastcpu,
            ki_tracer,
            ki_flag2,
            ki_fibnum,
            ki_cr_flags,
            ki_jid,
            ki_numthreads,
            ki_tid,
            ki_pri,
            ki_rusage,
            ki_rusage_ch,
            ki_pcb,
            ki_kstack,
            ki_udata,
            ki_tdaddr,
            ki_sparelongs,
            ki_sflag,
            ki_tdflags,
        ]
    );

    // libc describes FreeBSD 12 for this target, where the first of six spare pointers became FreeBSD
    // 13's `ki_pd` (our layout, with five spares after it): the same bytes either way.
    const _: () = assert!(offset_of!(Kp, ki_pd) == offset_of!(libc::kinfo_proc, ki_spareptrs));
    const _: () =
        assert!(offset_of!(Kp, ki_sparelongs) == offset_of!(libc::kinfo_proc, ki_sparelongs));

    type Kf = KinfoFileRaw<LE>;
    const _: () = assert!(KF_PATH == offset_of!(libc::kinfo_file, kf_path));
    same!(
        Kf,
        libc::kinfo_file,
        [
            kf_structsize,
            kf_type,
            kf_fd,
            kf_ref_count,
            kf_flags,
            kf_offset,
            kf_status,
            kf_cap_rights,
        ]
    );

    type Kve = KinfoVmentryRaw<LE>;
    const _: () = assert!(KVE_PATH == offset_of!(libc::kinfo_vmentry, kve_path));
    const _: () = assert!(size_of::<libc::kinfo_vmentry>() == KVE_PATH + 1024);
    same!(
        Kve,
        libc::kinfo_vmentry,
        [
            kve_structsize,
            kve_type,
            kve_start,
            kve_end,
            kve_offset,
            kve_vn_fileid,
            kve_vn_fsid_freebsd11,
            kve_flags,
            kve_resident,
            kve_private_resident,
            kve_protection,
            kve_ref_count,
            kve_shadow_count,
            kve_vn_type,
            kve_vn_size,
            kve_vn_rdev_freebsd11,
            kve_vn_mode,
            kve_status,
            kve_vn_fsid,
            kve_vn_rdev,
        ]
    );

    type Pl = PtraceLwpinfoLp64<LE>;
    const _: () = assert!(size_of::<Pl>() == size_of::<libc::ptrace_lwpinfo>());
    same!(
        Pl,
        libc::ptrace_lwpinfo,
        [
            pl_lwpid,
            pl_event,
            pl_flags,
            pl_sigmask,
            pl_siglist,
            pl_siginfo,
            pl_tdname,
            pl_child_pid,
            pl_syscall_code,
            pl_syscall_narg,
        ]
    );
    type Si = SiginfoRaw<LE, I64<LE>, 4>;
    const _: () = assert!(size_of::<Si>() == size_of::<libc::siginfo_t>());
    same!(
        Si,
        libc::siginfo_t,
        [
            si_signo, si_errno, si_code, si_pid, si_uid, si_status, si_addr, si_value
        ]
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Offsets from the layout reference's section 8.3 (independent of the structures above).
    #[test]
    fn kinfo_proc_key_offsets_from_the_reference() {
        for (size, pid, uid, comm, tid, sigignore) in [
            (1088usize, 72usize, 168usize, 447usize, 600usize, 136usize),
            (768, 40, 136, 367, 520, 104),
        ] {
            let mut r = vec![0u8; size];
            r[pid..pid + 4].copy_from_slice(&4189i32.to_le_bytes());
            r[uid..uid + 4].copy_from_slice(&1001u32.to_le_bytes());
            r[comm..comm + 3].copy_from_slice(b"bsi");
            r[tid..tid + 4].copy_from_slice(&101733i32.to_le_bytes());
            r[sigignore..sigignore + 4].copy_from_slice(&0x8000_0001u32.to_le_bytes());
            let k = kinfo_proc(&r, Endianness::Little).unwrap();
            assert_eq!(
                (k.pid, k.uid, k.comm.as_slice(), k.tid, k.sigignore),
                (4189, 1001, &b"bsi"[..], 101733, 0x8000_0001),
                "{size}"
            );
        }
    }

    /// A packed socket record with the offsets of the layout reference (kf_sock_domain0 at 36,
    /// kf_sa_local at 48, kf_sa_peer at 176, kf_path at 368) and a vnode record (kf_file_type at 32,
    /// kf_file_fileid at 32 + 272).
    #[test]
    fn kinfo_file_sockets_and_vnodes() {
        let mut r = vec![0u8; 376];
        r[0..4].copy_from_slice(&376i32.to_le_bytes());
        r[4..8].copy_from_slice(&2i32.to_le_bytes());
        r[8..12].copy_from_slice(&5i32.to_le_bytes());
        r[36..40].copy_from_slice(&28i32.to_le_bytes());
        r[40..44].copy_from_slice(&1i32.to_le_bytes());
        r[44..48].copy_from_slice(&6i32.to_le_bytes());
        r[48] = 28;
        r[49] = 28;
        r[50..52].copy_from_slice(&8080u16.to_be_bytes());
        r[56 + 15] = 1; // ::1
        r[176] = 16;
        r[177] = 2;
        r[178..180].copy_from_slice(&443u16.to_be_bytes());
        r[180..184].copy_from_slice(&[10, 0, 0, 7]);
        let f = kinfo_file(&r, Endianness::Little).unwrap();
        assert_eq!((f.kf_type, f.fd, f.socket), (2, 5, Some((28, 1, 6))));
        let (l, p) = f.endpoints.unwrap();
        assert_eq!((l.address.as_str(), l.port), ("::1", Some(8080)));
        assert_eq!((p.address.as_str(), p.port), ("10.0.0.7", Some(443)));

        let mut v = vec![0u8; 376];
        v[4..8].copy_from_slice(&1i32.to_le_bytes());
        v[32..36].copy_from_slice(&2i32.to_le_bytes());
        v[32 + 272..32 + 280].copy_from_slice(&4242u64.to_le_bytes());
        v[368..372].copy_from_slice(b"/tmp");
        let f = kinfo_file(&v, Endianness::Little).unwrap();
        assert_eq!(
            (f.vtype, f.fileid, f.path.as_slice()),
            (Some(2), Some(4242), &b"/tmp"[..])
        );
    }

    /// `ptrace_lwpinfo` offsets written by hand from `sys/sys/ptrace.h` and `sys/sys/signal.h`: amd64
    /// pl_siginfo at 48 (si_code +8, si_addr +24), pl_tdname at 128; i386 pl_siginfo at 44, si_addr +24,
    /// pl_tdname at 108.
    #[test]
    fn ptlwpinfo_layouts() {
        for (size, si, tdname) in [(160usize, 48usize, 128usize), (140, 44, 108)] {
            let mut d = vec![0u8; 4 + size];
            d[..4].copy_from_slice(&(size as u32).to_le_bytes());
            let r = &mut d[4..];
            r[0..4].copy_from_slice(&100221i32.to_le_bytes());
            r[4..8].copy_from_slice(&1i32.to_le_bytes());
            r[8..12].copy_from_slice(&0x20i32.to_le_bytes());
            r[28..32].copy_from_slice(&(1u32 << 10).to_le_bytes());
            r[si..si + 4].copy_from_slice(&11i32.to_le_bytes());
            r[si + 8..si + 12].copy_from_slice(&2i32.to_le_bytes());
            r[si + 24..si + 28].copy_from_slice(&0xdead_beefu32.to_le_bytes());
            r[tdname..tdname + 4].copy_from_slice(b"main");
            let (sz, rec) = procstat(&d, Endianness::Little).unwrap();
            let l = if sz == 160 {
                lwpinfo_from(PtraceLwpinfoLp64::<LE>::ref_from_bytes(rec).unwrap())
            } else {
                lwpinfo_from(PtraceLwpinfoIlp32::<LE>::ref_from_bytes(rec).unwrap())
            };
            assert_eq!(l.lwpid, 100221);
            assert_eq!(l.siglist, 1 << 10);
            assert_eq!(l.tdname, b"main");
            let si = l.siginfo.unwrap();
            assert_eq!((si.signo, si.code, si.addr), (11, 2, 0xdead_beef), "{size}");
        }
    }
}
