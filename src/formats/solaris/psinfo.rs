//! `psinfo_t` (NT_PSINFO, NT_SPYMASTER, `/proc/<pid>/psinfo`) from `sys/procfs.h`: 336 bytes ILP32
//! (`psinfo32_t`), 416 bytes LP64, the same on x86 and SPARC.

use super::error::{DecodeError, view};
use super::lwp::{Lwpsinfo, RawLwpsinfo};
use super::types::{
    Int, Model, RawTimestruc, Timestruc, ULong, UShort, assert_model_size, c_string,
};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use crate::abi::DataModel;

/// Raw `psinfo_t` / `psinfo32_t`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPsinfo<M: Model> {
    pub pr_flag: Int<M>,
    pub pr_nlwp: Int<M>,
    pub pr_pid: Int<M>,
    pub pr_ppid: Int<M>,
    pub pr_pgid: Int<M>,
    pub pr_sid: Int<M>,
    pub pr_uid: Int<M>,
    pub pr_euid: Int<M>,
    pub pr_gid: Int<M>,
    pub pr_egid: Int<M>,
    pub pr_addr: ULong<M>,
    pub pr_size: ULong<M>,
    pub pr_rssize: ULong<M>,
    pub pr_pad1: ULong<M>,
    pub pr_ttydev: ULong<M>,
    pub pr_pctcpu: UShort<M>,
    pub pr_pctmem: UShort<M>,
    /// Compiler padding before `pr_start` (LP64 only).
    pub _pad: M::Pad4,
    pub pr_start: RawTimestruc<M>,
    pub pr_time: RawTimestruc<M>,
    pub pr_ctime: RawTimestruc<M>,
    pub pr_fname: [u8; 16],
    pub pr_psargs: [u8; 80],
    pub pr_wstat: Int<M>,
    pub pr_argc: Int<M>,
    pub pr_argv: ULong<M>,
    pub pr_envp: ULong<M>,
    pub pr_dmodel: u8,
    pub pr_pad2: [u8; 3],
    pub pr_taskid: Int<M>,
    pub pr_projid: Int<M>,
    pub pr_nzomb: Int<M>,
    pub pr_poolid: Int<M>,
    pub pr_zoneid: Int<M>,
    pub pr_contract: Int<M>,
    pub pr_filler: [Int<M>; 1],
    pub pr_lwp: RawLwpsinfo<M>,
}
assert_model_size!(RawPsinfo, 336, 416);

/// `PRNODEV`: `pr_ttydev` of a process without a controlling terminal (`(dev_t)-1`, zero-extended; the
/// ILP32 `PRNODEV32` is `0xffffffff`).
pub const PRNODEV_32: u64 = 0xffff_ffff;
/// `PRNODEV` of an LP64 structure.
pub const PRNODEV_64: u64 = u64::MAX;

/// Process information for `ps`: `psinfo_t` of `sys/procfs.h`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Psinfo {
    /// `pr_flag`: process flags (SSYS, SMSACCT, ...).
    pub flag: i32,
    /// `pr_nlwp`: number of active LWPs.
    pub nlwp: i32,
    /// `pr_pid`: process id.
    pub pid: i32,
    /// `pr_ppid`: parent process id.
    pub ppid: i32,
    /// `pr_pgid`: process group id.
    pub pgid: i32,
    /// `pr_sid`: session id.
    pub sid: i32,
    /// `pr_uid`: real user id.
    pub uid: u32,
    /// `pr_euid`: effective user id.
    pub euid: u32,
    /// `pr_gid`: real group id.
    pub gid: u32,
    /// `pr_egid`: effective group id.
    pub egid: u32,
    /// `pr_addr`: kernel address of the process.
    pub addr: u64,
    /// `pr_size`: size of the process image in Kbytes.
    pub size_kb: u64,
    /// `pr_rssize`: resident set size in Kbytes.
    pub rssize_kb: u64,
    /// `pr_ttydev`: controlling tty device; [`PRNODEV_32`]/[`PRNODEV_64`] when none.
    pub ttydev: u64,
    /// `pr_pctcpu`: recent CPU time, binary fraction (0x8000 = 100%).
    pub pctcpu: u16,
    /// `pr_pctmem`: share of system memory, binary fraction (0x8000 = 100%).
    pub pctmem: u16,
    /// `pr_start`: process start time, from the epoch.
    pub start: Timestruc,
    /// `pr_time`: user + system CPU time of the process.
    pub time: Timestruc,
    /// `pr_ctime`: user + system CPU time of reaped children.
    pub ctime: Timestruc,
    /// `pr_fname[PRFNSZ]`: last component of the exec()ed path (NUL-trimmed).
    pub fname: Vec<u8>,
    /// `pr_psargs[PRARGSZ]`: initial characters of the argument list (NUL-trimmed).
    pub psargs: Vec<u8>,
    /// `pr_wstat`: wait() status if a zombie.
    pub wstat: i32,
    /// `pr_argc`: initial argument count.
    pub argc: i32,
    /// `pr_argv`: address of the initial argument vector.
    pub argv: u64,
    /// `pr_envp`: address of the initial environment vector.
    pub envp: u64,
    /// `pr_dmodel`: data model of the process (`PR_MODEL_ILP32` 1, `PR_MODEL_LP64` 2).
    pub dmodel: u8,
    /// `pr_taskid`: task id.
    pub taskid: i32,
    /// `pr_projid`: project id.
    pub projid: i32,
    /// `pr_nzomb`: number of zombie LWPs.
    pub nzomb: i32,
    /// `pr_poolid`: pool id.
    pub poolid: i32,
    /// `pr_zoneid`: zone id.
    pub zoneid: i32,
    /// `pr_contract`: process contract id.
    pub contract: i32,
    /// `pr_lwp`: information of the representative LWP.
    pub lwp: Lwpsinfo,
}

impl Psinfo {
    /// `pr_dmodel` as a [`DataModel`] (`None` for `PR_MODEL_UNKNOWN` or garbage).
    pub fn data_model(&self) -> Option<DataModel> {
        DataModel::from_pr_dmodel(self.dmodel)
    }

    /// Whether `pr_ttydev` is `PRNODEV` (no controlling terminal).
    pub fn has_no_tty(&self) -> bool {
        self.ttydev == PRNODEV_32 || self.ttydev == PRNODEV_64
    }
}

impl<M: Model> From<&RawPsinfo<M>> for Psinfo {
    fn from(r: &RawPsinfo<M>) -> Self {
        Psinfo {
            flag: r.pr_flag.get(),
            nlwp: r.pr_nlwp.get(),
            pid: r.pr_pid.get(),
            ppid: r.pr_ppid.get(),
            pgid: r.pr_pgid.get(),
            sid: r.pr_sid.get(),
            uid: r.pr_uid.get() as u32,
            euid: r.pr_euid.get() as u32,
            gid: r.pr_gid.get() as u32,
            egid: r.pr_egid.get() as u32,
            addr: r.pr_addr.into(),
            size_kb: r.pr_size.into(),
            rssize_kb: r.pr_rssize.into(),
            ttydev: r.pr_ttydev.into(),
            pctcpu: r.pr_pctcpu.get(),
            pctmem: r.pr_pctmem.get(),
            start: (&r.pr_start).into(),
            time: (&r.pr_time).into(),
            ctime: (&r.pr_ctime).into(),
            fname: c_string(&r.pr_fname).to_vec(),
            psargs: c_string(&r.pr_psargs).to_vec(),
            wstat: r.pr_wstat.get(),
            argc: r.pr_argc.get(),
            argv: r.pr_argv.into(),
            envp: r.pr_envp.into(),
            dmodel: r.pr_dmodel,
            taskid: r.pr_taskid.get(),
            projid: r.pr_projid.get(),
            nzomb: r.pr_nzomb.get(),
            poolid: r.pr_poolid.get(),
            zoneid: r.pr_zoneid.get(),
            contract: r.pr_contract.get(),
            lwp: (&r.pr_lwp).into(),
        }
    }
}

pub(crate) fn psinfo<M: Model>(bytes: &[u8]) -> Result<Psinfo, DecodeError> {
    Ok(view::<RawPsinfo<M>>(bytes, "psinfo_t", 0)?.into())
}
