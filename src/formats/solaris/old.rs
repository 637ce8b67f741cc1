//! The old-style core notes of illumos and Solaris (`usr/src/uts/common/sys/old_procfs.h`): `prpsinfo_t`
//! (`NT_PRPSINFO` 3) and `prstatus_t` (`NT_PRSTATUS` 1, one per LWP). Kernels still write them, in a
//! separate `PT_NOTE` segment, beside the new-style notes that carry the /proc structures; they are the
//! only process notes of cores from before Solaris 2.6. Layouts in the dumped process's data model.

use zerocopy::byteorder::{BE, ByteOrder, I16, I32, I64, LE, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::error::DecodeError;
use super::types::{Timestruc, c_string};

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

/// Decodes the identity fields of an old-style `prstatus_t` (offsets from `old_procfs.h`: the 32-bit
/// view has `pr_info` of 128 bytes, the 64-bit one 256).
pub fn decode_old_status(
    bytes: &[u8],
    model: DataModel,
    endian: Endianness,
) -> Result<OldStatus, DecodeError> {
    let (cursig, pid, who) = match model {
        DataModel::Ilp32 => (136, 216, 308),
        DataModel::Lp64 => (264, 360, 520),
    };
    if bytes.len() < who + 4 {
        return Err(DecodeError::truncated(
            "prstatus_t",
            0,
            who + 4,
            bytes.len(),
        ));
    }
    let word = |at: usize, n: usize| -> u64 { endian.read_uint(&bytes[at..at + n]) };
    Ok(OldStatus {
        flags: word(0, 4) as i32,
        why: word(4, 2) as i16,
        what: word(6, 2) as i16,
        cursig: word(cursig, 2) as i16,
        nlwp: word(cursig + 2, 2) as u16,
        pid: word(pid, 4) as i32,
        ppid: word(pid + 4, 4) as i32,
        pgrp: word(pid + 8, 4) as i32,
        sid: word(pid + 12, 4) as i32,
        who: word(who, 4) as i32,
    })
}
