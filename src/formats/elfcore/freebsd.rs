//! FreeBSD core notes (owner `FreeBSD`): `prstatus_t`, `prpsinfo_t`, `thrmisc_t` (`sys/sys/procfs.h`) and
//! the `NT_PROCSTAT_*` notes (`sys/kern/imgact_elf.c`), each an `int structsize` followed by the records
//! `sysctl kern.proc.*` returns: `struct kinfo_proc`, `kinfo_file`, `kinfo_vmentry` (`sys/sys/user.h`),
//! gids, rlimits, osreldate and the auxv.
//!
//! Quirks: `prstatus_t.pr_pid` is the thread (LWP) id; the process id is `prpsinfo_t.pr_pid` (absent in
//! the 108-byte 32-bit layout of FreeBSD 8-11, and 0 on some kernels) and `kinfo_proc.ki_pid`.

use crate::abi::{Endianness, with_byte_order};
use zerocopy::byteorder::{BE, ByteOrder, I32, I64, LE, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::memory::read_word;
use super::regs::{self, Registers};
use super::{Core, CoreWarning};

/// `NT_PRSTATUS`.
pub const NT_PRSTATUS: u32 = 1;
/// `NT_PRPSINFO`.
pub const NT_PRPSINFO: u32 = 3;
/// `NT_THRMISC`.
pub const NT_THRMISC: u32 = 7;
/// `NT_PROCSTAT_PROC`.
pub const NT_PROCSTAT_PROC: u32 = 8;
/// `NT_PROCSTAT_FILES`.
pub const NT_PROCSTAT_FILES: u32 = 9;
/// `NT_PROCSTAT_VMMAP`.
pub const NT_PROCSTAT_VMMAP: u32 = 10;
/// `NT_PROCSTAT_GROUPS`.
pub const NT_PROCSTAT_GROUPS: u32 = 11;
/// `NT_PROCSTAT_UMASK`.
pub const NT_PROCSTAT_UMASK: u32 = 12;
/// `NT_PROCSTAT_RLIMIT`.
pub const NT_PROCSTAT_RLIMIT: u32 = 13;
/// `NT_PROCSTAT_OSREL`.
pub const NT_PROCSTAT_OSREL: u32 = 14;
/// `NT_PROCSTAT_AUXV`.
pub const NT_PROCSTAT_AUXV: u32 = 16;

const OWNER: &[u8] = b"FreeBSD";

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

/// `prpsinfo_t` of LP64 kernels (120 bytes).
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

/// `prpsinfo_t` of i386 (112 bytes; FreeBSD 8-11 wrote 108 without `pr_pid`).
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

/// Head of `struct kinfo_file` (the part before the `kf_un` union).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct KinfoFileHead<O: ByteOrder> {
    kf_structsize: I32<O>,
    kf_type: I32<O>,
    kf_fd: I32<O>,
    kf_ref_count: I32<O>,
    kf_flags: I32<O>,
    _kf_pad0: I32<O>,
    kf_offset: I64<O>,
}
const _: () = assert!(size_of::<KinfoFileHead<LE>>() == 32);
/// Offset of `kf_path` in `struct kinfo_file`.
const KF_PATH: usize = 368;

/// Head of `struct kinfo_vmentry` (everything before `kve_path`).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct KinfoVmentryHead<O: ByteOrder> {
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
    _kve_ispare: [u8; 32],
}
const _: () = assert!(size_of::<KinfoVmentryHead<LE>>() == 136);

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

/// The fields of `struct kinfo_proc` the reports use (offsets from `sys/sys/user.h`, per data model).
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
    /// `ki_groups[0]`: the effective gid.
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

/// `kinfo_proc` offsets: (pid, ppid, pgid, tpgid, sid, uid, ruid, svuid, rgid, svgid, groups, size, rssize,
/// start, flag, stat, nice, tdname, login, comm, emul, numthreads, tid), with the long size.
struct KinfoProcLayout {
    long: usize,
    pid: usize,
    uid: usize,
    groups: usize,
    size: usize,
    start: usize,
    flag: usize,
    stat: usize,
    tdname: usize,
    login: usize,
    comm: usize,
    emul: usize,
    numthreads: usize,
}

/// amd64/arm64 `kinfo_proc` (`KINFO_PROC_SIZE` 1088).
const KINFO_PROC_LP64: KinfoProcLayout = KinfoProcLayout {
    long: 8,
    pid: 72,
    uid: 168,
    groups: 192,
    size: 256,
    start: 336,
    flag: 368,
    stat: 388,
    tdname: 394,
    login: 420,
    comm: 447,
    emul: 467,
    numthreads: 596,
};
/// i386 `kinfo_proc` and the compat32 view (`KINFO_PROC32_SIZE` 768).
const KINFO_PROC_ILP32: KinfoProcLayout = KinfoProcLayout {
    long: 4,
    pid: 40,
    uid: 136,
    groups: 160,
    size: 224,
    start: 280,
    flag: 296,
    stat: 308,
    tdname: 314,
    login: 340,
    comm: 367,
    emul: 387,
    numthreads: 516,
};

fn cstr(bytes: &[u8]) -> Vec<u8> {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    bytes[..end].to_vec()
}

/// Decodes one `kinfo_proc` record of `len` 1088 or 768 bytes.
pub fn kinfo_proc(rec: &[u8], endian: Endianness) -> Option<KinfoProc> {
    let l = match rec.len() {
        1088 => &KINFO_PROC_LP64,
        768 => &KINFO_PROC_ILP32,
        _ => return None,
    };
    let int = |at: usize| read_word(&rec[at..at + 4], endian) as u32;
    let long = |at: usize| read_word(&rec[at..at + l.long], endian);
    let ngroups = read_word(&rec[l.groups - 4..l.groups - 2], endian);
    Some(KinfoProc {
        pid: int(l.pid) as i32,
        ppid: int(l.pid + 4) as i32,
        pgid: int(l.pid + 8) as i32,
        tpgid: int(l.pid + 12) as i32,
        sid: int(l.pid + 16) as i32,
        uid: int(l.uid),
        ruid: int(l.uid + 4),
        svuid: int(l.uid + 8),
        rgid: int(l.uid + 12),
        svgid: int(l.uid + 16),
        egid: (ngroups > 0).then(|| int(l.groups)),
        size: long(l.size),
        rssize: long(l.size + l.long),
        start_sec: if l.long == 8 {
            long(l.start) as i64
        } else {
            i64::from(int(l.start) as i32)
        },
        flag: long(l.flag),
        stat: rec[l.stat],
        nice: rec[l.stat + 1] as i8,
        tdname: cstr(&rec[l.tdname..l.tdname + 17]),
        login: cstr(&rec[l.login..l.login + 18]),
        comm: cstr(&rec[l.comm..l.comm + 20]),
        emul: cstr(&rec[l.emul..l.emul + 17]),
        numthreads: int(l.numthreads) as i32,
        tid: int(l.numthreads + 4) as i32,
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
    /// For sockets: (`kf_sock_domain0`, `kf_sock_type0`, `kf_sock_protocol0`).
    pub socket: Option<(i32, i32, i32)>,
    /// For IPv4/IPv6 sockets: the local and peer (address, port) from `kf_sa_local` / `kf_sa_peer`.
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

/// `KF_TYPE_SOCKET`.
pub const KF_TYPE_SOCKET: i32 = 2;

fn sockaddr(ss: &[u8]) -> Option<SockAddr> {
    let family = *ss.get(1)?;
    match family {
        2 => {
            let port = u16::from_be_bytes([*ss.get(2)?, *ss.get(3)?]);
            let a = ss.get(4..8)?;
            Some(SockAddr {
                address: std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string(),
                port: Some(port),
            })
        }
        28 => {
            let port = u16::from_be_bytes([*ss.get(2)?, *ss.get(3)?]);
            let a: [u8; 16] = ss.get(8..24)?.try_into().ok()?;
            Some(SockAddr {
                address: std::net::Ipv6Addr::from(a).to_string(),
                port: Some(port),
            })
        }
        1 => Some(SockAddr {
            address: String::from_utf8_lossy(&cstr(ss.get(2..)?)).into_owned(),
            port: None,
        }),
        _ => None,
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

/// Everything the FreeBSD notes say.
#[derive(Clone, Debug, Default)]
pub struct FreeBsdCore {
    /// One per thread, in note order (the first took the signal).
    pub threads: Vec<PrStatus>,
    /// Thread names from `NT_THRMISC`, in the same order as `threads`.
    pub thread_names: Vec<Vec<u8>>,
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

/// Decodes the FreeBSD notes of `core`.
pub fn decode(core: &Core<'_>, warnings: &mut Vec<CoreWarning>) -> FreeBsdCore {
    let mut out = FreeBsdCore::default();
    let e = core.endian;
    for note in core.notes.iter().filter(|n| n.name == OWNER) {
        let at = note.desc_offset;
        let d = note.desc;
        match note.n_type {
            NT_PRSTATUS => match prstatus(core, d) {
                Some(st) => out.threads.push(st),
                None => warnings.push(CoreWarning::new(
                    "NT_PRSTATUS",
                    at,
                    format!("{} bytes: too short", d.len()),
                )),
            },
            NT_THRMISC => out.thread_names.push(cstr(&d[..d.len().min(20)])),
            NT_PRPSINFO if out.psinfo.is_none() => {
                out.psinfo = prpsinfo(core.is_64, e, d);
                if out.psinfo.is_none() {
                    warnings.push(CoreWarning::new(
                        "NT_PRPSINFO",
                        at,
                        format!("{} bytes: too short", d.len()),
                    ));
                }
            }
            NT_PROCSTAT_PROC => {
                let Some((size, recs)) = procstat(d, e) else {
                    continue;
                };
                if size != 1088 && size != 768 {
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
    let ((osreldate, cursig, lwpid), reg) = match (core.is_64, e) {
        (true, Endianness::Little) => prstatus_head::<PrstatusLp64<LE>>(d)?,
        (true, Endianness::Big) => prstatus_head::<PrstatusLp64<BE>>(d)?,
        (false, Endianness::Little) => prstatus_head::<PrstatusIlp32<LE>>(d)?,
        (false, Endianness::Big) => prstatus_head::<PrstatusIlp32<BE>>(d)?,
    };
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
    fn ids(&self) -> (i32, i32, i32);
}
impl<O: ByteOrder> PrstatusHead for PrstatusLp64<O> {
    fn ids(&self) -> (i32, i32, i32) {
        (
            self.pr_osreldate.get(),
            self.pr_cursig.get(),
            self.pr_pid.get(),
        )
    }
}
impl<O: ByteOrder> PrstatusHead for PrstatusIlp32<O> {
    fn ids(&self) -> (i32, i32, i32) {
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
    // Names are bytes, and pr_pid is the only integer read: the byte order matters only there.
    let pid_at = |at: usize| d.get(at..at + 4).map(|b| read_word(b, e) as u32 as i32);
    if is_64 {
        let p = PrpsinfoLp64::<LE>::ref_from_prefix(d).ok()?.0;
        Some(PrPsInfo {
            fname: cstr(&p.pr_fname),
            psargs: cstr(&p.pr_psargs),
            pid: pid_at(116),
        })
    } else {
        let p = PrpsinfoIlp32::<LE>::ref_from_prefix(d).ok()?.0;
        // The 112-byte layout appends pr_pid; the 108-byte one of FreeBSD 8-11 has none.
        Some(PrPsInfo {
            fname: cstr(&p.pr_fname),
            psargs: cstr(&p.pr_psargs),
            pid: pid_at(108),
        })
    }
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
                at + pos,
                format!("record size {size} with {} bytes left: stopped", rest.len()),
            ));
            break;
        }
        match decode(&rest[..size], e) {
            Some(r) => out.push(r),
            None => warnings.push(CoreWarning::new(
                what,
                at + pos,
                format!("record of {size} bytes is too short"),
            )),
        }
        rest = &rest[size..];
        pos += size as u64;
    }
    out
}

fn kinfo_file(rec: &[u8], e: Endianness) -> Option<KinfoFile> {
    let (kf_type, fd, flags, offset) = with_byte_order!(e, O => {
        let h = KinfoFileHead::<O>::ref_from_prefix(rec).ok()?.0;
        (
            h.kf_type.get(),
            h.kf_fd.get(),
            h.kf_flags.get(),
            h.kf_offset.get(),
        )
    });
    let int = |at: usize| rec.get(at..at + 4).map(|b| read_word(b, e) as u32 as i32);
    let (socket, endpoints) = if kf_type == KF_TYPE_SOCKET {
        let s = (int(36)?, int(40)?, int(44)?);
        let ep = rec
            .get(48..176)
            .and_then(sockaddr)
            .zip(rec.get(176..304).and_then(sockaddr));
        (Some(s), ep)
    } else {
        (None, None)
    };
    let vtype = if kf_type == 1 { int(32) } else { None };
    Some(KinfoFile {
        kf_type,
        fd,
        flags,
        offset,
        path: cstr(rec.get(KF_PATH..).unwrap_or(&[])),
        vtype,
        socket,
        endpoints,
    })
}

fn kinfo_vmentry(rec: &[u8], e: Endianness) -> Option<KinfoVmentry> {
    macro_rules! fill {
        ($h:expr) => {{
            let h = $h;
            KinfoVmentry {
                start: h.kve_start.get(),
                end: h.kve_end.get(),
                offset: h.kve_offset.get(),
                protection: h.kve_protection.get(),
                resident: h.kve_resident.get(),
                private_resident: h.kve_private_resident.get(),
                kve_type: h.kve_type.get(),
                fileid: h.kve_vn_fileid.get(),
                path: cstr(rec.get(136..).unwrap_or(&[])),
            }
        }};
    }
    Some(with_byte_order!(e, O => fill!(KinfoVmentryHead::<O>::ref_from_prefix(rec).ok()?.0)))
}
