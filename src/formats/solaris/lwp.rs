//! `lwpsinfo_t` (NT_LWPSINFO, `/proc/<pid>/lwp/<lwpid>/lwpsinfo`, `lpsinfo` entries, `psinfo_t.pr_lwp`)
//! and `lwpstatus_t` (NT_LWPSTATUS, `lwp/<lwpid>/lwpstatus`, `lstatus` entries, `pstatus_t.pr_lwp`), from
//! `sys/procfs.h`.

use super::error::{DecodeError, view};
use super::regs::Registers;
use super::types::{
    Arch, Int, Long, Model, RawSet, RawSigaction, RawSiginfo, RawStack, RawTimestruc, Short,
    SigAction, SigSet, Siginfo, Stack, Timestruc, ULong, UShort, assert_arch_size,
    assert_model_size, c_string,
};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// Raw `lwpsinfo_t` / `lwpsinfo32_t`: 104 bytes ILP32, 128 bytes LP64.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawLwpsinfo<M: Model> {
    pub pr_flag: Int<M>,
    pub pr_lwpid: Int<M>,
    pub pr_addr: ULong<M>,
    pub pr_wchan: ULong<M>,
    pub pr_stype: u8,
    pub pr_state: u8,
    pub pr_sname: u8,
    pub pr_nice: u8,
    pub pr_syscall: Short<M>,
    pub pr_oldpri: u8,
    pub pr_cpu: u8,
    pub pr_pri: Int<M>,
    pub pr_pctcpu: UShort<M>,
    pub pr_pad: UShort<M>,
    pub pr_start: RawTimestruc<M>,
    pub pr_time: RawTimestruc<M>,
    pub pr_clname: [u8; 8],
    pub pr_name: [u8; 16],
    pub pr_onpro: Int<M>,
    pub pr_bindpro: Int<M>,
    pub pr_bindpset: Int<M>,
    pub pr_lgrp: Int<M>,
    pub pr_filler: [Int<M>; 4],
}
assert_model_size!(RawLwpsinfo, 104, 128);

/// One LWP's `ps`-style information: `lwpsinfo_t` of `sys/procfs.h`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Lwpsinfo {
    /// `pr_flag`: LWP flags (PR_STOPPED, PR_ASLEEP, ...).
    pub flag: i32,
    /// `pr_lwpid`: LWP id.
    pub lwpid: i32,
    /// `pr_addr`: kernel address of the LWP.
    pub addr: u64,
    /// `pr_wchan`: wait address for a sleeping LWP.
    pub wchan: u64,
    /// `pr_stype`: synchronization event type.
    pub stype: u8,
    /// `pr_state`: numeric state (SSLEEP 1, SRUN 2, SZOMB 3, SSTOP 4, SIDL 5, SONPROC 6, SWAIT 7).
    pub state: u8,
    /// `pr_sname`: printable state character (`ps` S column).
    pub sname: u8,
    /// `pr_nice`: nice value for the scheduler.
    pub nice: i8,
    /// `pr_syscall`: system call number, if in a system call.
    pub syscall: i16,
    /// `pr_oldpri`: pre-SVR4 low-value-is-high priority.
    pub oldpri: u8,
    /// `pr_cpu`: pre-SVR4 CPU usage for scheduling.
    pub cpu: u8,
    /// `pr_pri`: priority, high value = high priority.
    pub pri: i32,
    /// `pr_pctcpu`: recent CPU time, binary fraction (0x8000 = 100%, see
    /// [`pct_to_percent`](super::pct_to_percent)).
    pub pctcpu: u16,
    /// `pr_start`: LWP start time, from the epoch.
    pub start: Timestruc,
    /// `pr_time`: CPU time used by this LWP.
    pub time: Timestruc,
    /// `pr_clname`: scheduling class name (NUL-trimmed).
    pub clname: Vec<u8>,
    /// `pr_name`: LWP name (NUL-trimmed; older systems: unused).
    pub name: Vec<u8>,
    /// `pr_onpro`: processor which last ran this LWP.
    pub onpro: i32,
    /// `pr_bindpro`: processor to which the LWP is bound.
    pub bindpro: i32,
    /// `pr_bindpset`: processor set to which the LWP is bound.
    pub bindpset: i32,
    /// `pr_lgrp`: home locality group.
    pub lgrp: i32,
}

impl<M: Model> From<&RawLwpsinfo<M>> for Lwpsinfo {
    fn from(r: &RawLwpsinfo<M>) -> Self {
        Lwpsinfo {
            flag: r.pr_flag.get(),
            lwpid: r.pr_lwpid.get(),
            addr: r.pr_addr.into(),
            wchan: r.pr_wchan.into(),
            stype: r.pr_stype,
            state: r.pr_state,
            sname: r.pr_sname,
            nice: r.pr_nice as i8,
            syscall: r.pr_syscall.get(),
            oldpri: r.pr_oldpri,
            cpu: r.pr_cpu,
            pri: r.pr_pri.get(),
            pctcpu: r.pr_pctcpu.get(),
            start: (&r.pr_start).into(),
            time: (&r.pr_time).into(),
            clname: c_string(&r.pr_clname).to_vec(),
            name: c_string(&r.pr_name).to_vec(),
            onpro: r.pr_onpro.get(),
            bindpro: r.pr_bindpro.get(),
            bindpset: r.pr_bindpset.get(),
            lgrp: r.pr_lgrp.get(),
        }
    }
}

pub(crate) fn lwpsinfo<M: Model>(bytes: &[u8]) -> Result<Lwpsinfo, DecodeError> {
    Ok(view::<RawLwpsinfo<M>>(bytes, "lwpsinfo_t", 0)?.into())
}

/// Raw ISA-independent head of `lwpstatus_t` / `lwpstatus32_t`, everything before `pr_reg`: 344 bytes
/// ILP32, 544 bytes LP64.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawLwpstatusHead<M: Model> {
    pub pr_flags: Int<M>,
    pub pr_lwpid: Int<M>,
    pub pr_why: Short<M>,
    pub pr_what: Short<M>,
    pub pr_cursig: Short<M>,
    pub pr_pad1: Short<M>,
    pub pr_info: RawSiginfo<M>,
    pub pr_lwppend: RawSet<M, 4>,
    pub pr_lwphold: RawSet<M, 4>,
    pub pr_action: RawSigaction<M>,
    pub pr_altstack: RawStack<M>,
    pub pr_oldcontext: ULong<M>,
    pub pr_syscall: Short<M>,
    pub pr_nsysarg: Short<M>,
    pub pr_errno: Int<M>,
    pub pr_sysarg: [ULong<M>; 8],
    pub pr_rval1: Long<M>,
    pub pr_rval2: Long<M>,
    pub pr_clname: [u8; 8],
    pub pr_tstamp: RawTimestruc<M>,
    pub pr_utime: RawTimestruc<M>,
    pub pr_stime: RawTimestruc<M>,
    pub pr_filler: M::LwpFiller,
    pub pr_errpriv: Int<M>,
    pub pr_ustack: ULong<M>,
    pub pr_instr: ULong<M>,
}
assert_model_size!(RawLwpstatusHead, 344, 544);

/// Raw `lwpstatus_t` / `lwpstatus32_t`: i386 800, amd64 1296, sparc 896, sparcv9 1392 bytes.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawLwpstatus<A: Arch> {
    pub head: RawLwpstatusHead<A::M>,
    /// `pr_reg` (`prgregset_t`).
    pub pr_reg: A::GRegs,
    /// `pr_fpreg` (`prfpregset_t`), not decoded.
    pub pr_fpreg: A::FpRegs,
}
assert_arch_size!(RawLwpstatus, 800, 1296, 896, 1392);

/// One LWP's status: `lwpstatus_t` of `sys/procfs.h`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Lwpstatus {
    /// `pr_flags`: PR_STOPPED 0x1, PR_ISTOP 0x2, PR_DSTOP 0x4, PR_STEP 0x8, PR_ASLEEP 0x10, PR_PCINVAL 0x20,
    /// ..., PR_MSACCT 0x1000000 (see layouts.md §1.6).
    pub flags: i32,
    /// `pr_lwpid`: LWP id.
    pub lwpid: i32,
    /// `pr_why`: reason for stop, if stopped (PR_REQUESTED 1, PR_SIGNALLED 2, PR_SYSENTRY 3, ...).
    pub why: i16,
    /// `pr_what`: more detailed reason (signal, syscall or fault number).
    pub what: i16,
    /// `pr_cursig`: current signal, if any.
    pub cursig: i16,
    /// `pr_info`: info associated with the signal or fault.
    pub info: Siginfo,
    /// `pr_lwppend`: set of signals pending to the LWP.
    pub lwppend: SigSet,
    /// `pr_lwphold`: set of signals blocked by the LWP.
    pub lwphold: SigSet,
    /// `pr_action`: signal action for the current signal.
    pub action: SigAction,
    /// `pr_altstack`: alternate signal stack info.
    pub altstack: Stack,
    /// `pr_oldcontext`: address of the previous `ucontext`.
    pub oldcontext: u64,
    /// `pr_syscall`: system call number (if in a system call).
    pub syscall: i16,
    /// `pr_nsysarg`: number of arguments to this system call.
    pub nsysarg: i16,
    /// `pr_errno`: errno for a failed system call.
    pub errno: i32,
    /// `pr_sysarg[PRSYSARGS]`: arguments to this system call, zero-extended under ILP32.
    pub sysarg: [u64; 8],
    /// `pr_rval1`: primary system call return value (`long`, sign-extended).
    pub rval1: i64,
    /// `pr_rval2`: second system call return value, if any.
    pub rval2: i64,
    /// `pr_clname`: scheduling class name (NUL-trimmed).
    pub clname: Vec<u8>,
    /// `pr_tstamp`: real-time time stamp of the stop.
    pub tstamp: Timestruc,
    /// `pr_utime`: LWP user CPU time.
    pub utime: Timestruc,
    /// `pr_stime`: LWP system CPU time.
    pub stime: Timestruc,
    /// `pr_errpriv`: missing privilege.
    pub errpriv: i32,
    /// `pr_ustack`: address of the stack boundary data (`stack_t`).
    pub ustack: u64,
    /// `pr_instr`: current instruction.
    pub instr: u64,
    /// `pr_reg`: general registers (`prgregset_t`).
    pub regs: Registers,
}

fn lwpstatus_from<A: Arch>(r: &RawLwpstatus<A>) -> Lwpstatus {
    let h = &r.head;
    Lwpstatus {
        flags: h.pr_flags.get(),
        lwpid: h.pr_lwpid.get(),
        why: h.pr_why.get(),
        what: h.pr_what.get(),
        cursig: h.pr_cursig.get(),
        info: (&h.pr_info).into(),
        lwppend: SigSet::from_raw(&h.pr_lwppend),
        lwphold: SigSet::from_raw(&h.pr_lwphold),
        action: (&h.pr_action).into(),
        altstack: (&h.pr_altstack).into(),
        oldcontext: h.pr_oldcontext.into(),
        syscall: h.pr_syscall.get(),
        nsysarg: h.pr_nsysarg.get(),
        errno: h.pr_errno.get(),
        sysarg: h.pr_sysarg.map(Into::into),
        rval1: h.pr_rval1.into(),
        rval2: h.pr_rval2.into(),
        clname: c_string(&h.pr_clname).to_vec(),
        tstamp: (&h.pr_tstamp).into(),
        utime: (&h.pr_utime).into(),
        stime: (&h.pr_stime).into(),
        errpriv: h.pr_errpriv.get(),
        ustack: h.pr_ustack.into(),
        instr: h.pr_instr.into(),
        regs: Registers::new::<A>(&r.pr_reg),
    }
}

impl<A: Arch> From<&RawLwpstatus<A>> for Lwpstatus {
    fn from(r: &RawLwpstatus<A>) -> Self {
        lwpstatus_from(r)
    }
}

pub(crate) fn lwpstatus<A: Arch>(bytes: &[u8]) -> Result<Lwpstatus, DecodeError> {
    Ok(view::<RawLwpstatus<A>>(bytes, "lwpstatus_t", 0)?.into())
}
