//! `pstatus_t` (NT_PSTATUS, `/proc/<pid>/status`) from `sys/procfs.h`: a 336-byte (ILP32) / 384-byte
//! (LP64) process part followed by the representative LWP's `lwpstatus_t`; i386 1136, amd64 1680,
//! sparc 1232, sparcv9 1776 bytes.

use super::error::{DecodeError, view};
use super::lwp::{Lwpstatus, RawLwpstatus};
use super::types::{
    Arch, FltSet, Int, Model, RawSet, RawTimestruc, SigSet, SysSet, Timestruc, ULong,
    assert_arch_size, assert_model_size,
};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use crate::abi::DataModel;

/// Raw process part of `pstatus_t` / `pstatus32_t` (everything before `pr_lwp`).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPstatusHead<M: Model> {
    pub pr_flags: Int<M>,
    pub pr_nlwp: Int<M>,
    pub pr_pid: Int<M>,
    pub pr_ppid: Int<M>,
    pub pr_pgid: Int<M>,
    pub pr_sid: Int<M>,
    pub pr_aslwpid: Int<M>,
    pub pr_agentid: Int<M>,
    pub pr_sigpend: RawSet<M, 4>,
    pub pr_brkbase: ULong<M>,
    pub pr_brksize: ULong<M>,
    pub pr_stkbase: ULong<M>,
    pub pr_stksize: ULong<M>,
    pub pr_utime: RawTimestruc<M>,
    pub pr_stime: RawTimestruc<M>,
    pub pr_cutime: RawTimestruc<M>,
    pub pr_cstime: RawTimestruc<M>,
    pub pr_sigtrace: RawSet<M, 4>,
    pub pr_flttrace: RawSet<M, 4>,
    pub pr_sysentry: RawSet<M, 16>,
    pub pr_sysexit: RawSet<M, 16>,
    pub pr_dmodel: u8,
    pub pr_pad: [u8; 3],
    pub pr_taskid: Int<M>,
    pub pr_projid: Int<M>,
    pub pr_nzomb: Int<M>,
    pub pr_zoneid: Int<M>,
    pub pr_filler: [Int<M>; 15],
}
assert_model_size!(RawPstatusHead, 336, 384);

/// Raw `pstatus_t` / `pstatus32_t`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPstatus<A: Arch> {
    pub head: RawPstatusHead<A::M>,
    pub pr_lwp: RawLwpstatus<A>,
}
assert_arch_size!(RawPstatus, 1136, 1680, 1232, 1776);

/// Process status: `pstatus_t` of `sys/procfs.h`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pstatus {
    /// `pr_flags`: flags (PR_ISSYS, PR_FORK, PR_MSACCT, ...; see [`Lwpstatus::flags`]).
    pub flags: i32,
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
    /// `pr_aslwpid`: historical asynchronous signal LWP id (now 0).
    pub aslwpid: i32,
    /// `pr_agentid`: LWP id of the /proc agent LWP, if any.
    pub agentid: i32,
    /// `pr_sigpend`: set of process-pending signals.
    pub sigpend: SigSet,
    /// `pr_brkbase`: address of the process heap.
    pub brkbase: u64,
    /// `pr_brksize`: size of the process heap, in bytes.
    pub brksize: u64,
    /// `pr_stkbase`: address of the process stack.
    pub stkbase: u64,
    /// `pr_stksize`: size of the process stack, in bytes.
    pub stksize: u64,
    /// `pr_utime`: process user CPU time.
    pub utime: Timestruc,
    /// `pr_stime`: process system CPU time.
    pub stime: Timestruc,
    /// `pr_cutime`: sum of children's user times.
    pub cutime: Timestruc,
    /// `pr_cstime`: sum of children's system times.
    pub cstime: Timestruc,
    /// `pr_sigtrace`: set of traced signals.
    pub sigtrace: SigSet,
    /// `pr_flttrace`: set of traced faults.
    pub flttrace: FltSet,
    /// `pr_sysentry`: set of system calls traced on entry.
    pub sysentry: SysSet,
    /// `pr_sysexit`: set of system calls traced on exit.
    pub sysexit: SysSet,
    /// `pr_dmodel`: data model of the process (`PR_MODEL_ILP32` 1, `PR_MODEL_LP64` 2).
    pub dmodel: u8,
    /// `pr_taskid`: task id.
    pub taskid: i32,
    /// `pr_projid`: project id.
    pub projid: i32,
    /// `pr_nzomb`: number of zombie LWPs.
    pub nzomb: i32,
    /// `pr_zoneid`: zone id.
    pub zoneid: i32,
    /// `pr_lwp`: status of the representative LWP.
    pub lwp: Lwpstatus,
}

impl Pstatus {
    /// `pr_dmodel` as a [`DataModel`].
    pub fn data_model(&self) -> Option<DataModel> {
        DataModel::from_pr_dmodel(self.dmodel)
    }
}

impl<A: Arch> From<&RawPstatus<A>> for Pstatus {
    fn from(r: &RawPstatus<A>) -> Self {
        let h = &r.head;
        Pstatus {
            flags: h.pr_flags.get(),
            nlwp: h.pr_nlwp.get(),
            pid: h.pr_pid.get(),
            ppid: h.pr_ppid.get(),
            pgid: h.pr_pgid.get(),
            sid: h.pr_sid.get(),
            aslwpid: h.pr_aslwpid.get(),
            agentid: h.pr_agentid.get(),
            sigpend: SigSet::from_raw(&h.pr_sigpend),
            brkbase: h.pr_brkbase.into(),
            brksize: h.pr_brksize.into(),
            stkbase: h.pr_stkbase.into(),
            stksize: h.pr_stksize.into(),
            utime: (&h.pr_utime).into(),
            stime: (&h.pr_stime).into(),
            cutime: (&h.pr_cutime).into(),
            cstime: (&h.pr_cstime).into(),
            sigtrace: SigSet::from_raw(&h.pr_sigtrace),
            flttrace: FltSet::from_raw(&h.pr_flttrace),
            sysentry: SysSet::from_raw(&h.pr_sysentry),
            sysexit: SysSet::from_raw(&h.pr_sysexit),
            dmodel: h.pr_dmodel,
            taskid: h.pr_taskid.get(),
            projid: h.pr_projid.get(),
            nzomb: h.pr_nzomb.get(),
            zoneid: h.pr_zoneid.get(),
            lwp: (&r.pr_lwp).into(),
        }
    }
}

pub(crate) fn pstatus<A: Arch>(bytes: &[u8]) -> Result<Pstatus, DecodeError> {
    Ok(view::<RawPstatus<A>>(bytes, "pstatus_t", 0)?.into())
}
