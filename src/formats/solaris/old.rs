//! The old-style core notes of illumos and Solaris (`usr/src/uts/common/sys/old_procfs.h`): `prpsinfo_t`
//! (`NT_PRPSINFO` 3) and `prstatus_t` (`NT_PRSTATUS` 1, one per LWP). Kernels still write them, in a
//! separate `PT_NOTE` segment, beside the new-style notes that carry the /proc structures; they are the
//! only process notes of cores from before Solaris 2.6. Layouts in the dumped process's data model.

use zerocopy::byteorder::{BE, ByteOrder, I16, I32, I64, LE, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::Layout;
use super::error::{DecodeError, view};
use super::types::{
    Int, Model, RawSet, RawSigaction, RawSiginfo, RawStack, RawTimestruc, Short, Timestruc, ULong,
    UShort, assert_model_size, c_string,
};

use crate::abi::{DataModel, Endianness};

/// `prpsinfo_t` of ILP32 processes (`prpsinfo32_t`, 260 bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawPrpsinfo32<O: ByteOrder> {
    pr_state: u8,
    pr_sname: u8,
    pr_zomb: u8,
    pr_nice: i8,
    pr_flag: U32<O>,
    pr_uid: U32<O>,
    pr_gid: U32<O>,
    pr_pid: I32<O>,
    pr_ppid: I32<O>,
    pr_pgrp: I32<O>,
    pr_sid: I32<O>,
    pr_addr: U32<O>,
    pr_size: U32<O>,
    pr_rssize: U32<O>,
    pr_wchan: U32<O>,
    pr_start: [I32<O>; 2],
    pr_time: [I32<O>; 2],
    pr_pri: I32<O>,
    pr_oldpri: u8,
    pr_cpu: u8,
    pr_ottydev: U16<O>,
    pr_lttydev: U32<O>,
    pr_clname: [u8; 8],
    pr_fname: [u8; 16],
    pr_psargs: [u8; 80],
    pr_syscall: I16<O>,
    pr_fill: I16<O>,
    pr_ctime: [I32<O>; 2],
    pr_bysize: U32<O>,
    pr_byrssize: U32<O>,
    pr_argc: I32<O>,
    pr_argv: U32<O>,
    pr_envp: U32<O>,
    pr_wstat: I32<O>,
    pr_pctcpu: U16<O>,
    pr_pctmem: U16<O>,
    pr_euid: U32<O>,
    pr_egid: U32<O>,
    pr_aslwpid: I32<O>,
    pr_dmodel: u8,
    pr_pad: [u8; 3],
    pr_filler: [u8; 24],
}

/// `prpsinfo_t` of LP64 processes (328 bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawPrpsinfo64<O: ByteOrder> {
    pr_state: u8,
    pr_sname: u8,
    pr_zomb: u8,
    pr_nice: i8,
    pr_flag: U32<O>,
    pr_uid: U32<O>,
    pr_gid: U32<O>,
    pr_pid: I32<O>,
    pr_ppid: I32<O>,
    pr_pgrp: I32<O>,
    pr_sid: I32<O>,
    pr_addr: U64<O>,
    pr_size: U64<O>,
    pr_rssize: U64<O>,
    pr_wchan: U64<O>,
    pr_start: [I64<O>; 2],
    pr_time: [I64<O>; 2],
    pr_pri: I32<O>,
    pr_oldpri: u8,
    pr_cpu: u8,
    pr_ottydev: U16<O>,
    pr_lttydev: U64<O>,
    pr_clname: [u8; 8],
    pr_fname: [u8; 16],
    pr_psargs: [u8; 80],
    pr_syscall: I16<O>,
    pr_fill: I16<O>,
    _pad0: [u8; 4],
    pr_ctime: [I64<O>; 2],
    pr_bysize: U64<O>,
    pr_byrssize: U64<O>,
    pr_argc: I32<O>,
    _pad1: [u8; 4],
    pr_argv: U64<O>,
    pr_envp: U64<O>,
    pr_wstat: I32<O>,
    pr_pctcpu: U16<O>,
    pr_pctmem: U16<O>,
    pr_euid: U32<O>,
    pr_egid: U32<O>,
    pr_aslwpid: I32<O>,
    pr_dmodel: u8,
    pr_pad: [u8; 3],
    pr_filler: [u8; 24],
}

const _: () = {
    assert!(size_of::<RawPrpsinfo32<LE>>() == 260);
    assert!(size_of::<RawPrpsinfo64<BE>>() == 328);
};

/// The old-style `prpsinfo_t` (fields NUL-trimmed where they are strings).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OldPsinfo {
    /// `pr_sname`: state letter.
    pub sname: u8,
    /// `pr_nice`.
    pub nice: i8,
    /// `pr_flag`.
    pub flag: u32,
    /// `pr_uid`: real uid.
    pub uid: u32,
    /// `pr_gid`: real gid.
    pub gid: u32,
    /// `pr_euid`.
    pub euid: u32,
    /// `pr_egid`.
    pub egid: u32,
    /// `pr_pid`.
    pub pid: i32,
    /// `pr_ppid`.
    pub ppid: i32,
    /// `pr_pgrp`.
    pub pgrp: i32,
    /// `pr_sid`.
    pub sid: i32,
    /// `pr_bysize`: process image size in bytes.
    pub size_bytes: u64,
    /// `pr_byrssize`: resident set size in bytes.
    pub rss_bytes: u64,
    /// `pr_start`.
    pub start: Timestruc,
    /// `pr_time`: user + system CPU time.
    pub time: Timestruc,
    /// `pr_pri`.
    pub pri: i32,
    /// `pr_clname`.
    pub clname: Vec<u8>,
    /// `pr_fname`.
    pub fname: Vec<u8>,
    /// `pr_psargs`.
    pub psargs: Vec<u8>,
    /// `pr_argc`.
    pub argc: i32,
    /// `pr_argv`: address of the argument vector.
    pub argv: u64,
    /// `pr_envp`: address of the environment vector.
    pub envp: u64,
    /// `pr_pctcpu` (binary fraction, 0x8000 = 100%).
    pub pctcpu: u16,
    /// `pr_pctmem`.
    pub pctmem: u16,
    /// `pr_dmodel`.
    pub dmodel: u8,
}

/// Decodes an old-style `prpsinfo_t` in `model` and `endian`.
pub fn decode_old_psinfo(
    bytes: &[u8],
    model: DataModel,
    endian: Endianness,
) -> Result<OldPsinfo, DecodeError> {
    macro_rules! fill {
        ($r:expr) => {{
            let r = $r;
            OldPsinfo {
                sname: r.pr_sname,
                nice: r.pr_nice,
                flag: r.pr_flag.get(),
                uid: r.pr_uid.get(),
                gid: r.pr_gid.get(),
                euid: r.pr_euid.get(),
                egid: r.pr_egid.get(),
                pid: r.pr_pid.get(),
                ppid: r.pr_ppid.get(),
                pgrp: r.pr_pgrp.get(),
                sid: r.pr_sid.get(),
                size_bytes: r.pr_bysize.get().into(),
                rss_bytes: r.pr_byrssize.get().into(),
                start: Timestruc {
                    sec: r.pr_start[0].get().into(),
                    nsec: r.pr_start[1].get().into(),
                },
                time: Timestruc {
                    sec: r.pr_time[0].get().into(),
                    nsec: r.pr_time[1].get().into(),
                },
                pri: r.pr_pri.get(),
                clname: c_string(&r.pr_clname).to_vec(),
                fname: c_string(&r.pr_fname).to_vec(),
                psargs: c_string(&r.pr_psargs).to_vec(),
                argc: r.pr_argc.get(),
                argv: r.pr_argv.get().into(),
                envp: r.pr_envp.get().into(),
                pctcpu: r.pr_pctcpu.get(),
                pctmem: r.pr_pctmem.get(),
                dmodel: r.pr_dmodel,
            }
        }};
    }
    let need = match model {
        DataModel::Ilp32 => 260,
        DataModel::Lp64 => 328,
    };
    let short = || DecodeError::truncated("prpsinfo_t", 0, need, bytes.len());
    Ok(match (model, endian) {
        (DataModel::Ilp32, Endianness::Little) => fill!(
            RawPrpsinfo32::<LE>::ref_from_prefix(bytes)
                .map_err(|_| short())?
                .0
        ),
        (DataModel::Ilp32, Endianness::Big) => fill!(
            RawPrpsinfo32::<BE>::ref_from_prefix(bytes)
                .map_err(|_| short())?
                .0
        ),
        (DataModel::Lp64, Endianness::Little) => fill!(
            RawPrpsinfo64::<LE>::ref_from_prefix(bytes)
                .map_err(|_| short())?
                .0
        ),
        (DataModel::Lp64, Endianness::Big) => fill!(
            RawPrpsinfo64::<BE>::ref_from_prefix(bytes)
                .map_err(|_| short())?
                .0
        ),
    })
}

/// The identity fields of an old-style `prstatus_t` (one per LWP).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OldStatus {
    /// `pr_flags` (old bit assignment: `PR_STOPPED` 1, `PR_ISTOP` 2, `PR_DSTOP` 4, `PR_ASLEEP` 8, ...).
    pub flags: i32,
    /// `pr_why`.
    pub why: i16,
    /// `pr_what`.
    pub what: i16,
    /// `pr_cursig`.
    pub cursig: i16,
    /// `pr_nlwp`.
    pub nlwp: u16,
    /// `pr_pid`.
    pub pid: i32,
    /// `pr_ppid`.
    pub ppid: i32,
    /// `pr_pgrp`.
    pub pgrp: i32,
    /// `pr_sid`.
    pub sid: i32,
    /// `pr_who`: the LWP id.
    pub who: i32,
}

/// Raw old-style `prstatus_t` (`old_procfs.h`; `prstatus32_t` for ILP32) from `pr_flags` through
/// `pr_who`: 312 bytes ILP32, 524 LP64 (layouts.md, "prstatus_t (NT_PRSTATUS, old_procfs.h)"). What
/// follows (`pr_lwppend`, `pr_oldcontext`, the heap and stack bounds, `pr_reg` and the ISA's register
/// sets: 432 i386, 508 sparc, 824 amd64, 904 sparcv9 bytes in all) is not decoded here. Unlike
/// `lwpstatus_t`, `pr_altstack` comes before `pr_action`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawPrstatusHead<M: Model> {
    pr_flags: Int<M>,
    pr_why: Short<M>,
    pr_what: Short<M>,
    pr_info: RawSiginfo<M>,
    pr_cursig: Short<M>,
    pr_nlwp: UShort<M>,
    pr_sigpend: RawSet<M, 4>,
    pr_sighold: RawSet<M, 4>,
    /// LP64 only: `pr_altstack` is 8-aligned.
    _pad0: M::Pad4,
    pr_altstack: RawStack<M>,
    pr_action: RawSigaction<M>,
    pr_pid: Int<M>,
    pr_ppid: Int<M>,
    pr_pgrp: Int<M>,
    pr_sid: Int<M>,
    pr_utime: RawTimestruc<M>,
    pr_stime: RawTimestruc<M>,
    pr_cutime: RawTimestruc<M>,
    pr_cstime: RawTimestruc<M>,
    pr_clname: [u8; 8],
    pr_syscall: Short<M>,
    pr_nsysarg: Short<M>,
    /// LP64 only: `pr_sysarg` is 8-aligned.
    _pad1: M::Pad4,
    pr_sysarg: [ULong<M>; 8],
    pr_who: Int<M>,
}
assert_model_size!(RawPrstatusHead, 312, 524);

/// Decodes the identity fields of an old-style `prstatus_t` (`old_procfs.h`) in `model` and `endian`.
pub fn decode_old_status(
    bytes: &[u8],
    model: DataModel,
    endian: Endianness,
) -> Result<OldStatus, DecodeError> {
    with_model!(Layout::new(model, endian), M => {
        let r = view::<RawPrstatusHead<M>>(bytes, "prstatus_t", 0)?;
        Ok(OldStatus {
            flags: r.pr_flags.get(),
            why: r.pr_why.get(),
            what: r.pr_what.get(),
            cursig: r.pr_cursig.get(),
            nlwp: r.pr_nlwp.get(),
            pid: r.pr_pid.get(),
            ppid: r.pr_ppid.get(),
            pgrp: r.pr_pgrp.get(),
            sid: r.pr_sid.get(),
            who: r.pr_who.get(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::solaris::types::{Be, Ilp32, Le, Lp64};
    use std::mem::offset_of;

    /// The offsets of layouts.md's old-style `prstatus_t` table (i386/sparc and amd64/sparcv9 columns).
    #[test]
    fn prstatus_offsets_match_the_reference_layout() {
        type P32 = RawPrstatusHead<Ilp32<Be>>;
        type P64 = RawPrstatusHead<Lp64<Le>>;
        for (name, have32, want32, have64, want64) in [
            (
                "pr_info",
                offset_of!(P32, pr_info),
                8,
                offset_of!(P64, pr_info),
                8,
            ),
            (
                "pr_cursig",
                offset_of!(P32, pr_cursig),
                136,
                offset_of!(P64, pr_cursig),
                264,
            ),
            (
                "pr_nlwp",
                offset_of!(P32, pr_nlwp),
                138,
                offset_of!(P64, pr_nlwp),
                266,
            ),
            (
                "pr_sigpend",
                offset_of!(P32, pr_sigpend),
                140,
                offset_of!(P64, pr_sigpend),
                268,
            ),
            (
                "pr_sighold",
                offset_of!(P32, pr_sighold),
                156,
                offset_of!(P64, pr_sighold),
                284,
            ),
            (
                "pr_altstack",
                offset_of!(P32, pr_altstack),
                172,
                offset_of!(P64, pr_altstack),
                304,
            ),
            (
                "pr_action",
                offset_of!(P32, pr_action),
                184,
                offset_of!(P64, pr_action),
                328,
            ),
            (
                "pr_pid",
                offset_of!(P32, pr_pid),
                216,
                offset_of!(P64, pr_pid),
                360,
            ),
            (
                "pr_sid",
                offset_of!(P32, pr_sid),
                228,
                offset_of!(P64, pr_sid),
                372,
            ),
            (
                "pr_utime",
                offset_of!(P32, pr_utime),
                232,
                offset_of!(P64, pr_utime),
                376,
            ),
            (
                "pr_cstime",
                offset_of!(P32, pr_cstime),
                256,
                offset_of!(P64, pr_cstime),
                424,
            ),
            (
                "pr_clname",
                offset_of!(P32, pr_clname),
                264,
                offset_of!(P64, pr_clname),
                440,
            ),
            (
                "pr_syscall",
                offset_of!(P32, pr_syscall),
                272,
                offset_of!(P64, pr_syscall),
                448,
            ),
            (
                "pr_nsysarg",
                offset_of!(P32, pr_nsysarg),
                274,
                offset_of!(P64, pr_nsysarg),
                450,
            ),
            (
                "pr_sysarg",
                offset_of!(P32, pr_sysarg),
                276,
                offset_of!(P64, pr_sysarg),
                456,
            ),
            (
                "pr_who",
                offset_of!(P32, pr_who),
                308,
                offset_of!(P64, pr_who),
                520,
            ),
        ] {
            assert_eq!((have32, have64), (want32, want64), "prstatus_t.{name}");
        }
    }

    #[test]
    fn old_status_reads_its_fields_in_both_models_and_orders() {
        for (model, endian, pid_at, who_at) in [
            (DataModel::Ilp32, Endianness::Big, 216, 308),
            (DataModel::Lp64, Endianness::Little, 360, 520),
        ] {
            let mut b = vec![0u8; who_at + 4];
            let put = |b: &mut Vec<u8>, at: usize, v: u32| {
                let w = match endian {
                    Endianness::Big => v.to_be_bytes(),
                    Endianness::Little => v.to_le_bytes(),
                };
                b[at..at + 4].copy_from_slice(&w);
            };
            put(&mut b, pid_at, 4242);
            put(&mut b, pid_at + 4, 1);
            put(&mut b, who_at, 7);
            let s = decode_old_status(&b, model, endian).unwrap();
            assert_eq!((s.pid, s.ppid, s.who), (4242, 1, 7));
            let e = decode_old_status(&b[..who_at + 3], model, endian).unwrap_err();
            assert_eq!(e.structure, "prstatus_t");
        }
    }
}
