//! NetBSD core notes: the process note (`NetBSD-CORE`, type `ELF_NOTE_NETBSD_CORE_PROCINFO` 1, `struct
//! netbsd_elfcore_procinfo`), the auxv (type 2), and per-LWP notes named `NetBSD-CORE@<lid>` whose type is
//! the ptrace request that reads them (`PT_GETREGS`, `PT_GETFPREGS`) and whose payload is what that request
//! returns (`sys/sys/exec_elf.h`, `sys/kern/core_elf32.c`, `machine/ptrace.h`).

use zerocopy::byteorder::{ByteOrder, I32, LE, U32};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::regs::{self, Registers};
use super::{Core, CoreWarning};

use crate::abi::with_byte_order;

/// `ELF_NOTE_NETBSD_CORE_PROCINFO`.
pub const NOTE_PROCINFO: u32 = 1;
/// `ELF_NOTE_NETBSD_CORE_AUXV`.
pub const NOTE_AUXV: u32 = 2;

/// `struct netbsd_elfcore_procinfo` (160 bytes; 156 before `cpi_siglwp` was appended).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct Procinfo<O: ByteOrder> {
    cpi_version: U32<O>,
    cpi_cpisize: U32<O>,
    cpi_signo: U32<O>,
    cpi_sigcode: U32<O>,
    cpi_sigpend: [U32<O>; 4],
    cpi_sigmask: [U32<O>; 4],
    cpi_sigignore: [U32<O>; 4],
    cpi_sigcatch: [U32<O>; 4],
    cpi_pid: I32<O>,
    cpi_ppid: I32<O>,
    cpi_pgrp: I32<O>,
    cpi_sid: I32<O>,
    cpi_ruid: U32<O>,
    cpi_euid: U32<O>,
    cpi_svuid: U32<O>,
    cpi_rgid: U32<O>,
    cpi_egid: U32<O>,
    cpi_svgid: U32<O>,
    cpi_nlwps: U32<O>,
    cpi_name: [u8; 32],
}
const _: () = assert!(size_of::<Procinfo<LE>>() == 156);

/// The process note.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcInfo {
    /// `cpi_signo`: the signal that caused the dump.
    pub signo: u32,
    /// `cpi_sigcode`.
    pub sigcode: u32,
    /// `cpi_sigpend`, `cpi_sigmask`, `cpi_sigignore`, `cpi_sigcatch` as 128-bit sets (bit n-1 = signal n).
    pub sigpend: u128,
    /// `cpi_sigmask`.
    pub sigmask: u128,
    /// `cpi_sigignore`.
    pub sigignore: u128,
    /// `cpi_sigcatch`.
    pub sigcatch: u128,
    /// `cpi_pid`.
    pub pid: i32,
    /// `cpi_ppid`.
    pub ppid: i32,
    /// `cpi_pgrp`.
    pub pgrp: i32,
    /// `cpi_sid`.
    pub sid: i32,
    /// `cpi_ruid`.
    pub ruid: u32,
    /// `cpi_euid`.
    pub euid: u32,
    /// `cpi_svuid`.
    pub svuid: u32,
    /// `cpi_rgid`.
    pub rgid: u32,
    /// `cpi_egid`.
    pub egid: u32,
    /// `cpi_svgid`.
    pub svgid: u32,
    /// `cpi_nlwps`.
    pub nlwps: u32,
    /// `cpi_name`.
    pub name: Vec<u8>,
    /// `cpi_siglwp`: the LWP the signal was delivered to (absent in the 156-byte version).
    pub siglwp: Option<i32>,
}

/// One LWP and its registers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lwp {
    /// The LWP id from the note name.
    pub lid: i32,
    /// `PT_GETREGS` payload, when the architecture is known.
    pub registers: Option<Registers>,
}

/// Everything the NetBSD notes say.
#[derive(Clone, Debug, Default)]
pub struct NetBsdCore {
    /// The process note.
    pub procinfo: Option<ProcInfo>,
    /// LWPs in note order (the faulting one first).
    pub lwps: Vec<Lwp>,
    /// The auxv.
    pub auxv: Vec<(u64, u64)>,
}

fn set(words: &[U32<impl ByteOrder>; 4]) -> u128 {
    words
        .iter()
        .enumerate()
        .fold(0u128, |acc, (i, w)| acc | (u128::from(w.get()) << (32 * i)))
}

fn procinfo<O: ByteOrder>(d: &[u8]) -> Option<ProcInfo> {
    let (p, rest) = Procinfo::<O>::ref_from_prefix(d).ok()?;
    let siglwp = if p.cpi_cpisize.get() >= 160 {
        I32::<O>::ref_from_prefix(rest).ok().map(|(v, _)| v.get())
    } else {
        None
    };
    Some(ProcInfo {
        signo: p.cpi_signo.get(),
        sigcode: p.cpi_sigcode.get(),
        sigpend: set(&p.cpi_sigpend),
        sigmask: set(&p.cpi_sigmask),
        sigignore: set(&p.cpi_sigignore),
        sigcatch: set(&p.cpi_sigcatch),
        pid: p.cpi_pid.get(),
        ppid: p.cpi_ppid.get(),
        pgrp: p.cpi_pgrp.get(),
        sid: p.cpi_sid.get(),
        ruid: p.cpi_ruid.get(),
        euid: p.cpi_euid.get(),
        svuid: p.cpi_svuid.get(),
        rgid: p.cpi_rgid.get(),
        egid: p.cpi_egid.get(),
        svgid: p.cpi_svgid.get(),
        nlwps: p.cpi_nlwps.get(),
        name: crate::formats::cstr::c_string(&p.cpi_name).to_vec(),
        siglwp,
    })
}

/// The `PT_GETREGS` request number and register set of an architecture (`machine/ptrace.h`).
fn getregs(core: &Core<'_>) -> Option<(u32, &'static regs::RegisterSet)> {
    use goblin::elf::header::{EM_386, EM_AARCH64, EM_X86_64};
    match core.machine {
        EM_X86_64 => Some((33, &regs::NETBSD_AMD64)),
        EM_386 => Some((33, &regs::NETBSD_I386)),
        EM_AARCH64 => Some((32, &regs::NETBSD_AARCH64)),
        _ => None,
    }
}

/// Decodes the NetBSD notes of `core`.
pub fn decode(core: &Core<'_>, warnings: &mut Vec<CoreWarning>) -> NetBsdCore {
    let mut out = NetBsdCore::default();
    let regset = getregs(core);
    for note in &core.notes {
        if note.name == b"NetBSD-CORE" {
            match note.n_type {
                NOTE_PROCINFO if out.procinfo.is_none() => {
                    out.procinfo = with_byte_order!(core.endian, O => procinfo::<O>(note.desc));
                    if out.procinfo.is_none() {
                        warnings.push(CoreWarning::new(
                            "NetBSD-CORE procinfo",
                            note.desc_offset,
                            format!("{} bytes, at least 156 expected", note.desc.len()),
                        ));
                    }
                }
                NOTE_AUXV => {
                    let word = if core.is_64 { 8 } else { 4 };
                    out.auxv = super::auxv::pairs(note.desc, word, core.is_64, core.endian);
                }
                _ => {}
            }
        } else if let Some(lid) = note.name.strip_prefix(b"NetBSD-CORE@") {
            let Some(lid) = std::str::from_utf8(lid)
                .ok()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                warnings.push(CoreWarning::new(
                    "NetBSD-CORE@",
                    note.offset,
                    "LWP note name without a decimal LWP id",
                ));
                continue;
            };
            let index = match out.lwps.iter().position(|l| l.lid == lid) {
                Some(i) => i,
                None => {
                    out.lwps.push(Lwp {
                        lid,
                        registers: None,
                    });
                    out.lwps.len() - 1
                }
            };
            if let Some((request, set)) = regset
                && note.n_type == request
            {
                if note.desc.len() < set.size() {
                    warnings.push(CoreWarning::new(
                        format!("NetBSD-CORE@{lid} PT_GETREGS"),
                        note.desc_offset,
                        format!("{} bytes, {} expected", note.desc.len(), set.size()),
                    ));
                }
                out.lwps[index].registers = Some(set.decode(note.desc, core.endian));
            }
        }
    }
    out
}
