//! `prusage_t` (`/proc/<pid>/usage`, `lwp/<lwpid>/lwpusage`, `lusage` entries) from `sys/procfs.h`:
//! 256 bytes ILP32 (`prusage32_t`), 504 bytes LP64.

use super::error::{DecodeError, view};
use super::types::{Int, Model, RawTimestruc, Timestruc, ULong, assert_model_size};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// Raw `prusage_t` / `prusage32_t`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPrusage<M: Model> {
    pub pr_lwpid: Int<M>,
    pub pr_count: Int<M>,
    pub pr_tstamp: RawTimestruc<M>,
    pub pr_create: RawTimestruc<M>,
    pub pr_term: RawTimestruc<M>,
    pub pr_rtime: RawTimestruc<M>,
    pub pr_utime: RawTimestruc<M>,
    pub pr_stime: RawTimestruc<M>,
    pub pr_ttime: RawTimestruc<M>,
    pub pr_tftime: RawTimestruc<M>,
    pub pr_dftime: RawTimestruc<M>,
    pub pr_kftime: RawTimestruc<M>,
    pub pr_ltime: RawTimestruc<M>,
    pub pr_slptime: RawTimestruc<M>,
    pub pr_wtime: RawTimestruc<M>,
    pub pr_stoptime: RawTimestruc<M>,
    pub filltime: [RawTimestruc<M>; 6],
    pub pr_minf: ULong<M>,
    pub pr_majf: ULong<M>,
    pub pr_nswap: ULong<M>,
    pub pr_inblk: ULong<M>,
    pub pr_oublk: ULong<M>,
    pub pr_msnd: ULong<M>,
    pub pr_mrcv: ULong<M>,
    pub pr_sigs: ULong<M>,
    pub pr_vctx: ULong<M>,
    pub pr_ictx: ULong<M>,
    pub pr_sysc: ULong<M>,
    pub pr_ioch: ULong<M>,
    pub filler: [ULong<M>; 10],
}
assert_model_size!(RawPrusage, 256, 504);

/// Resource usage and microstate accounting: `prusage_t` of `sys/procfs.h`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Prusage {
    /// `pr_lwpid`: LWP id; 0 for the process as a whole.
    pub lwpid: i32,
    /// `pr_count`: number of contributing LWPs.
    pub count: i32,
    /// `pr_tstamp`: current time stamp.
    pub tstamp: Timestruc,
    /// `pr_create`: process/LWP creation time stamp.
    pub create: Timestruc,
    /// `pr_term`: process/LWP termination time stamp.
    pub term: Timestruc,
    /// `pr_rtime`: total LWP real (elapsed) time.
    pub rtime: Timestruc,
    /// `pr_utime`: user level CPU time.
    pub utime: Timestruc,
    /// `pr_stime`: system call CPU time.
    pub stime: Timestruc,
    /// `pr_ttime`: other system trap CPU time.
    pub ttime: Timestruc,
    /// `pr_tftime`: text page fault sleep time.
    pub tftime: Timestruc,
    /// `pr_dftime`: data page fault sleep time.
    pub dftime: Timestruc,
    /// `pr_kftime`: kernel page fault sleep time.
    pub kftime: Timestruc,
    /// `pr_ltime`: user lock wait sleep time.
    pub ltime: Timestruc,
    /// `pr_slptime`: all other sleep time.
    pub slptime: Timestruc,
    /// `pr_wtime`: wait-CPU (latency) time.
    pub wtime: Timestruc,
    /// `pr_stoptime`: stopped time.
    pub stoptime: Timestruc,
    /// `pr_minf`: minor page faults.
    pub minf: u64,
    /// `pr_majf`: major page faults.
    pub majf: u64,
    /// `pr_nswap`: swaps.
    pub nswap: u64,
    /// `pr_inblk`: input blocks.
    pub inblk: u64,
    /// `pr_oublk`: output blocks.
    pub oublk: u64,
    /// `pr_msnd`: messages sent.
    pub msnd: u64,
    /// `pr_mrcv`: messages received.
    pub mrcv: u64,
    /// `pr_sigs`: signals received.
    pub sigs: u64,
    /// `pr_vctx`: voluntary context switches.
    pub vctx: u64,
    /// `pr_ictx`: involuntary context switches.
    pub ictx: u64,
    /// `pr_sysc`: system calls.
    pub sysc: u64,
    /// `pr_ioch`: chars read and written.
    pub ioch: u64,
}

impl<M: Model> From<&RawPrusage<M>> for Prusage {
    fn from(r: &RawPrusage<M>) -> Self {
        Prusage {
            lwpid: r.pr_lwpid.get(),
            count: r.pr_count.get(),
            tstamp: (&r.pr_tstamp).into(),
            create: (&r.pr_create).into(),
            term: (&r.pr_term).into(),
            rtime: (&r.pr_rtime).into(),
            utime: (&r.pr_utime).into(),
            stime: (&r.pr_stime).into(),
            ttime: (&r.pr_ttime).into(),
            tftime: (&r.pr_tftime).into(),
            dftime: (&r.pr_dftime).into(),
            kftime: (&r.pr_kftime).into(),
            ltime: (&r.pr_ltime).into(),
            slptime: (&r.pr_slptime).into(),
            wtime: (&r.pr_wtime).into(),
            stoptime: (&r.pr_stoptime).into(),
            minf: r.pr_minf.into(),
            majf: r.pr_majf.into(),
            nswap: r.pr_nswap.into(),
            inblk: r.pr_inblk.into(),
            oublk: r.pr_oublk.into(),
            msnd: r.pr_msnd.into(),
            mrcv: r.pr_mrcv.into(),
            sigs: r.pr_sigs.into(),
            vctx: r.pr_vctx.into(),
            ictx: r.pr_ictx.into(),
            sysc: r.pr_sysc.into(),
            ioch: r.pr_ioch.into(),
        }
    }
}

pub(crate) fn prusage<M: Model>(bytes: &[u8]) -> Result<Prusage, DecodeError> {
    Ok(view::<RawPrusage<M>>(bytes, "prusage_t", 0)?.into())
}
