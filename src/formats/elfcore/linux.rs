//! Linux core notes: `NT_PRSTATUS` (`struct elf_prstatus`), `NT_PRPSINFO` (`struct elf_prpsinfo`),
//! `NT_SIGINFO` (`siginfo_t`) and `NT_FILE`, for every architecture in [`Abi`].
//!
//! Sources: `include/linux/elfcore.h` and `include/linux/elfcore-compat.h` (the common part before
//! `pr_reg` comes in three shapes: LP64, ILP32, and m68k's 2-byte-aligned ILP32), `fs/binfmt_elf.c`
//! (`fill_files_note`), `include/uapi/asm-generic/siginfo.h`. Offsets and sizes per architecture are
//! those of the project's layout reference, checked there against real cores.

use crate::abi::{Endianness, with_byte_order};
use zerocopy::byteorder::{ByteOrder, I16, I32, I64, LE, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::regs::{self, RegisterSet, Registers};
use super::{Core, CoreWarning};

pub use super::nt::{NT_AUXV, NT_FILE, NT_PRFPREG, NT_PRPSINFO, NT_PRSTATUS, NT_SIGINFO};

/// The Linux process ABIs whose `elf_prstatus` layout is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    /// i386, and ia32 tasks dumped by an x86_64 kernel.
    I386,
    /// x86_64.
    X86_64,
    /// x32 (ELFCLASS32 `EM_X86_64`, 64-bit registers).
    X32,
    /// aarch64.
    Aarch64,
    /// 32-bit arm (EABI).
    Arm,
    /// m68k (2-byte alignment).
    M68k,
    /// s390 31-bit.
    S390,
    /// s390x.
    S390x,
    /// 32-bit PowerPC.
    Ppc,
    /// 64-bit PowerPC, either byte order.
    Ppc64,
    /// riscv64.
    Riscv64,
    /// mips o32.
    MipsO32,
    /// mips n32 (ELFCLASS32, 64-bit registers; `EF_MIPS_ABI2` in `e_flags`).
    MipsN32,
    /// mips n64.
    MipsN64,
    /// sparc64.
    Sparc64,
    /// alpha (LP64; `dump_elf_thread()` fills 33 registers).
    Alpha,
    /// hppa / parisc (32-bit userland, big-endian; `ELF_NGREG` 80).
    Hppa,
    /// loongarch64 (`ELF_NGREG` 45).
    Loongarch64,
    /// sh (SuperH, either byte order; `ELF_NGREG` 23, 16-bit uids).
    Sh,
}

/// The part of `elf_prstatus` before `pr_reg` comes in three shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Common {
    Lp64,
    Ilp32,
    M68k,
}

/// How `elf_prpsinfo` is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PsinfoLayout {
    /// 136 bytes: 8-byte `pr_flag`, 32-bit uid/gid.
    Lp64,
    /// 124 bytes: 4-byte `pr_flag`, 16-bit uid/gid (i386, x32, arm, m68k, s390, sh).
    Uid16,
    /// 128 bytes: 4-byte `pr_flag`, 32-bit uid/gid (ppc, mips o32/n32, hppa).
    Uid32,
}

/// `EF_MIPS_ABI2` (`arch/mips/include/asm/elf.h`): set on n32 objects.
const EF_MIPS_ABI2: u32 = 0x20;

impl Abi {
    /// The ABI of a Linux core from `e_machine`, the ELF class and `e_flags`.
    pub fn detect(machine: u16, is_64: bool, flags: u32) -> Option<Abi> {
        use goblin::elf::header::*;
        /// `EM_ALPHA` (`include/uapi/linux/elf-em.h`: the unofficial number every alpha Linux uses).
        const EM_ALPHA: u16 = 0x9026;
        Some(match (machine, is_64) {
            (EM_386, false) => Abi::I386,
            (EM_X86_64, true) => Abi::X86_64,
            (EM_X86_64, false) => Abi::X32,
            (EM_AARCH64, true) => Abi::Aarch64,
            (EM_ARM, false) => Abi::Arm,
            (EM_68K, false) => Abi::M68k,
            (EM_S390, false) => Abi::S390,
            (EM_S390, true) => Abi::S390x,
            (EM_PPC, false) => Abi::Ppc,
            (EM_PPC64, true) => Abi::Ppc64,
            (EM_RISCV, true) => Abi::Riscv64,
            (EM_MIPS, false) if flags & EF_MIPS_ABI2 != 0 => Abi::MipsN32,
            (EM_MIPS, false) => Abi::MipsO32,
            (EM_MIPS, true) => Abi::MipsN64,
            (EM_SPARCV9, true) => Abi::Sparc64,
            (EM_ALPHA, true) => Abi::Alpha,
            (EM_PARISC, false) => Abi::Hppa,
            (EM_LOONGARCH, true) => Abi::Loongarch64,
            (EM_SH, false) => Abi::Sh,
            _ => return None,
        })
    }

    /// Like [`Abi::detect`], but when the size of the first `NT_PRSTATUS` fits another ABI of the same
    /// machine and class better, that one: qemu-user writes mips n32 cores without `EF_MIPS_ABI2` in
    /// `e_flags`.
    pub fn detect_with_prstatus(
        machine: u16,
        is_64: bool,
        flags: u32,
        prstatus_size: Option<usize>,
    ) -> Option<Abi> {
        let abi = Abi::detect(machine, is_64, flags)?;
        let Some(size) = prstatus_size else {
            return Some(abi);
        };
        if size == abi.prstatus_size() {
            return Some(abi);
        }
        let alternatives: &[Abi] = match abi {
            Abi::MipsO32 => &[Abi::MipsN32],
            Abi::MipsN32 => &[Abi::MipsO32],
            _ => &[],
        };
        Some(
            alternatives
                .iter()
                .copied()
                .find(|a| a.prstatus_size() == size)
                .unwrap_or(abi),
        )
    }

    /// A short name (`x86_64`, `mips-n32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Abi::I386 => "i386",
            Abi::X86_64 => "x86_64",
            Abi::X32 => "x32",
            Abi::Aarch64 => "aarch64",
            Abi::Arm => "arm",
            Abi::M68k => "m68k",
            Abi::S390 => "s390",
            Abi::S390x => "s390x",
            Abi::Ppc => "ppc",
            Abi::Ppc64 => "ppc64",
            Abi::Riscv64 => "riscv64",
            Abi::MipsO32 => "mips-o32",
            Abi::MipsN32 => "mips-n32",
            Abi::MipsN64 => "mips-n64",
            Abi::Sparc64 => "sparc64",
            Abi::Alpha => "alpha",
            Abi::Hppa => "hppa",
            Abi::Loongarch64 => "loongarch64",
            Abi::Sh => "sh",
        }
    }

    fn common(self) -> Common {
        match self {
            Abi::X86_64
            | Abi::Aarch64
            | Abi::S390x
            | Abi::Ppc64
            | Abi::Riscv64
            | Abi::MipsN64
            | Abi::Sparc64
            | Abi::Alpha
            | Abi::Loongarch64 => Common::Lp64,
            Abi::M68k => Common::M68k,
            _ => Common::Ilp32,
        }
    }

    /// The general registers in `pr_reg`.
    pub fn registers(self) -> &'static RegisterSet {
        match self {
            Abi::I386 => &regs::LINUX_I386,
            Abi::X86_64 | Abi::X32 => &regs::LINUX_X86_64,
            Abi::Aarch64 => &regs::LINUX_AARCH64,
            Abi::Arm => &regs::LINUX_ARM,
            Abi::M68k => &regs::LINUX_M68K,
            Abi::S390 => &regs::LINUX_S390,
            Abi::S390x => &regs::LINUX_S390X,
            Abi::Ppc => &regs::LINUX_PPC,
            Abi::Ppc64 => &regs::LINUX_PPC64,
            Abi::Riscv64 => &regs::LINUX_RISCV64,
            Abi::MipsO32 => &regs::LINUX_MIPS_O32,
            Abi::MipsN32 | Abi::MipsN64 => &regs::LINUX_MIPS64,
            Abi::Sparc64 => &regs::LINUX_SPARC64,
            Abi::Alpha => &regs::LINUX_ALPHA,
            Abi::Hppa => &regs::LINUX_HPPA,
            Abi::Loongarch64 => &regs::LINUX_LOONGARCH64,
            Abi::Sh => &regs::LINUX_SH,
        }
    }

    /// Offset of `pr_reg` in `elf_prstatus`.
    fn reg_offset(self) -> usize {
        match self.common() {
            Common::Lp64 => 112,
            Common::Ilp32 => 72,
            Common::M68k => 70,
        }
    }

    /// Size of `pr_reg` (`elf_gregset_t`; s390's is a struct with the access registers and padding).
    fn reg_block(self) -> usize {
        match self {
            Abi::S390 => 144,
            Abi::S390x => 216,
            _ => self.registers().size(),
        }
    }

    /// `sizeof(struct elf_prstatus)`.
    pub fn prstatus_size(self) -> usize {
        match self {
            Abi::I386 => 144,
            Abi::X86_64 => 336,
            Abi::X32 => 296,
            Abi::Aarch64 => 392,
            Abi::Arm => 148,
            Abi::M68k => 154,
            Abi::S390 => 224,
            Abi::S390x => 336,
            Abi::Ppc => 268,
            Abi::Ppc64 => 504,
            Abi::Riscv64 => 376,
            Abi::MipsO32 => 256,
            Abi::MipsN32 => 440,
            Abi::MipsN64 => 480,
            Abi::Sparc64 => 408,
            Abi::Alpha => 384,
            Abi::Hppa => 396,
            Abi::Loongarch64 => 480,
            Abi::Sh => 168,
        }
    }

    fn psinfo_layout(self) -> PsinfoLayout {
        match self {
            Abi::I386 | Abi::X32 | Abi::Arm | Abi::M68k | Abi::S390 | Abi::Sh => {
                PsinfoLayout::Uid16
            }
            Abi::Ppc | Abi::MipsO32 | Abi::MipsN32 | Abi::Hppa => PsinfoLayout::Uid32,
            _ => PsinfoLayout::Lp64,
        }
    }

    /// `sizeof(struct elf_prpsinfo)`.
    pub fn prpsinfo_size(self) -> usize {
        match self.psinfo_layout() {
            PsinfoLayout::Lp64 => 136,
            PsinfoLayout::Uid16 => 124,
            PsinfoLayout::Uid32 => 128,
        }
    }

    /// Size of the C `long` in `NT_AUXV`, `NT_FILE` and `siginfo_t` (4 for every ILP32 ABI, x32 and n32
    /// included).
    pub fn long_size(self) -> usize {
        if self.common() == Common::Lp64 { 8 } else { 4 }
    }
}

/// `struct elf_siginfo`: note the order, code before errno.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct ElfSiginfo<O: ByteOrder> {
    si_signo: I32<O>,
    si_code: I32<O>,
    si_errno: I32<O>,
}

/// `elf_prstatus_common` of LP64 ABIs (`kernel_old_timeval` = two longs; sparc64's `tv_usec` is an int
/// followed by padding, so the second word is kept as bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PrstatusCommonLp64<O: ByteOrder> {
    pr_info: ElfSiginfo<O>,
    pr_cursig: I16<O>,
    _pad0: [u8; 2],
    pr_sigpend: U64<O>,
    pr_sighold: U64<O>,
    pr_pid: I32<O>,
    pr_ppid: I32<O>,
    pr_pgrp: I32<O>,
    pr_sid: I32<O>,
    /// utime, stime, cutime, cstime: (tv_sec, tv_usec).
    times: [(I64<O>, I64<O>); 4],
}
const _: () = assert!(size_of::<PrstatusCommonLp64<LE>>() == 112);

/// `compat_elf_prstatus_common` / the ILP32 `elf_prstatus_common` (x32 and n32 share it).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PrstatusCommonIlp32<O: ByteOrder> {
    pr_info: ElfSiginfo<O>,
    pr_cursig: I16<O>,
    _pad0: [u8; 2],
    pr_sigpend: U32<O>,
    pr_sighold: U32<O>,
    pr_pid: I32<O>,
    pr_ppid: I32<O>,
    pr_pgrp: I32<O>,
    pr_sid: I32<O>,
    times: [(I32<O>, I32<O>); 4],
}
const _: () = assert!(size_of::<PrstatusCommonIlp32<LE>>() == 72);

/// m68k's `elf_prstatus_common`: the GCC m68k ABI aligns int and long to 2, so nothing pads `pr_cursig`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PrstatusCommonM68k<O: ByteOrder> {
    pr_info: ElfSiginfo<O>,
    pr_cursig: I16<O>,
    pr_sigpend: U32<O>,
    pr_sighold: U32<O>,
    pr_pid: I32<O>,
    pr_ppid: I32<O>,
    pr_pgrp: I32<O>,
    pr_sid: I32<O>,
    times: [(I32<O>, I32<O>); 4],
}
const _: () = assert!(size_of::<PrstatusCommonM68k<LE>>() == 70);

/// `struct elf_prpsinfo` of LP64 ABIs (136 bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PrpsinfoLp64<O: ByteOrder> {
    pr_state: u8,
    pr_sname: u8,
    pr_zomb: u8,
    pr_nice: i8,
    _pad0: [u8; 4],
    pr_flag: U64<O>,
    pr_uid: U32<O>,
    pr_gid: U32<O>,
    pr_pid: I32<O>,
    pr_ppid: I32<O>,
    pr_pgrp: I32<O>,
    pr_sid: I32<O>,
    pr_fname: [u8; 16],
    pr_psargs: [u8; 80],
}
const _: () = assert!(size_of::<PrpsinfoLp64<LE>>() == 136);

/// `struct elf_prpsinfo` with 16-bit `__kernel_uid_t` (124 bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PrpsinfoUid16<O: ByteOrder> {
    pr_state: u8,
    pr_sname: u8,
    pr_zomb: u8,
    pr_nice: i8,
    pr_flag: U32<O>,
    pr_uid: U16<O>,
    pr_gid: U16<O>,
    pr_pid: I32<O>,
    pr_ppid: I32<O>,
    pr_pgrp: I32<O>,
    pr_sid: I32<O>,
    pr_fname: [u8; 16],
    pr_psargs: [u8; 80],
}
const _: () = assert!(size_of::<PrpsinfoUid16<LE>>() == 124);

/// `struct elf_prpsinfo` of ILP32 ABIs with 32-bit uids (128 bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct PrpsinfoUid32<O: ByteOrder> {
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
    pr_fname: [u8; 16],
    pr_psargs: [u8; 80],
}
const _: () = assert!(size_of::<PrpsinfoUid32<LE>>() == 128);

/// One thread's `NT_PRSTATUS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PrStatus {
    /// `pr_info.si_signo`.
    pub signo: i32,
    /// `pr_info.si_code`.
    pub code: i32,
    /// `pr_info.si_errno`.
    pub errno: i32,
    /// `pr_cursig`: the signal the thread was stopped by (0 for threads that were not signalled).
    pub cursig: i16,
    /// `pr_sigpend`: pending signals (bit n-1 = signal n).
    pub sigpend: u64,
    /// `pr_sighold`: blocked signals.
    pub sighold: u64,
    /// `pr_pid`: the thread id.
    pub pid: i32,
    /// `pr_ppid`.
    pub ppid: i32,
    /// `pr_pgrp`.
    pub pgrp: i32,
    /// `pr_sid`.
    pub sid: i32,
    /// `pr_utime` in seconds.
    pub utime: f64,
    /// `pr_stime` in seconds.
    pub stime: f64,
    /// `pr_cutime` in seconds.
    pub cutime: f64,
    /// `pr_cstime` in seconds.
    pub cstime: f64,
    /// `pr_reg`.
    pub registers: Registers,
    /// The `NT_SIGINFO` written after this thread's `NT_PRSTATUS` (the kernel writes one, for the dumping
    /// thread; gdb's `gcore` one per thread).
    pub siginfo: Option<SigInfo>,
}

/// `NT_PRPSINFO`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrPsInfo {
    /// `pr_state`: numeric scheduler state.
    pub state: u8,
    /// `pr_sname`: state letter (`R`, `S`, `D`, ...).
    pub sname: u8,
    /// `pr_zomb`.
    pub zomb: u8,
    /// `pr_nice`.
    pub nice: i8,
    /// `pr_flag`: the task's `PF_*` flags.
    pub flag: u64,
    /// `pr_uid` (16 bits wide in the 124-byte layouts).
    pub uid: u32,
    /// `pr_gid`.
    pub gid: u32,
    /// `pr_pid`.
    pub pid: i32,
    /// `pr_ppid`.
    pub ppid: i32,
    /// `pr_pgrp`.
    pub pgrp: i32,
    /// `pr_sid`.
    pub sid: i32,
    /// `pr_fname`: the command name (up to 16 bytes, NUL removed).
    pub fname: Vec<u8>,
    /// `pr_psargs`: the first 80 bytes of the argument list, arguments separated by spaces.
    pub psargs: Vec<u8>,
}

/// `NT_SIGINFO`: the signal that killed the process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    /// `si_signo`.
    pub signo: i32,
    /// `si_errno`.
    pub errno: i32,
    /// `si_code` (`SEGV_MAPERR` 1, `SI_USER` 0, `SI_KERNEL` 0x80, ...).
    pub code: i32,
    /// `si_addr`: the faulting address, for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGTRAP.
    pub addr: Option<u64>,
    /// `si_pid`: the sender, for signals sent by a process (`si_code` <= 0).
    pub sender_pid: Option<i32>,
    /// `si_uid`: the sender's uid.
    pub sender_uid: Option<u32>,
}

/// One mapping of `NT_FILE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedFile {
    /// `vm_start`.
    pub start: u64,
    /// `vm_end`.
    pub end: u64,
    /// Offset in the file in bytes (`vm_pgoff` × page size).
    pub offset: u64,
    /// The file's path as the kernel printed it.
    pub path: Vec<u8>,
}

/// `NT_FILE`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileNote {
    /// The page size the offsets are counted in.
    pub page_size: u64,
    /// The mappings, in address order.
    pub files: Vec<MappedFile>,
}

fn seconds(sec: i64, usec: i64) -> f64 {
    sec as f64 + usec as f64 / 1e6
}

fn cstr(bytes: &[u8]) -> Vec<u8> {
    crate::formats::cstr::c_string(bytes).to_vec()
}

fn truncated(what: &str, offset: u64, need: usize, have: usize) -> CoreWarning {
    CoreWarning::new(
        what,
        offset,
        format!("{have} bytes, the layout needs {need}: decoded what is there"),
    )
}

/// Decodes one `NT_PRSTATUS` descriptor.
pub fn prstatus(
    abi: Abi,
    endian: Endianness,
    desc: &[u8],
    offset: u64,
    warnings: &mut Vec<CoreWarning>,
) -> Option<PrStatus> {
    if desc.len() != abi.prstatus_size() {
        warnings.push(CoreWarning::new(
            "NT_PRSTATUS",
            offset,
            format!(
                "{} bytes, {} expected for {}",
                desc.len(),
                abi.prstatus_size(),
                abi.name()
            ),
        ));
    }
    let mut st = with_byte_order!(endian, O => prstatus_common::<O>(abi, desc))?;
    let block = desc.get(abi.reg_offset()..).unwrap_or(&[]);
    let block = &block[..block.len().min(abi.reg_block())];
    if block.len() < abi.reg_block() {
        warnings.push(truncated(
            "NT_PRSTATUS pr_reg",
            offset,
            abi.reg_block(),
            block.len(),
        ));
    }
    st.registers = abi.registers().decode(block, endian);
    Some(st)
}

fn prstatus_common<O: ByteOrder>(abi: Abi, desc: &[u8]) -> Option<PrStatus> {
    macro_rules! fill {
        ($c:expr, $usec:expr) => {{
            let c = $c;
            let t = |i: usize| seconds(c.times[i].0.get().into(), $usec(&c.times[i].1));
            PrStatus {
                signo: c.pr_info.si_signo.get(),
                code: c.pr_info.si_code.get(),
                errno: c.pr_info.si_errno.get(),
                cursig: c.pr_cursig.get(),
                sigpend: c.pr_sigpend.get().into(),
                sighold: c.pr_sighold.get().into(),
                pid: c.pr_pid.get(),
                ppid: c.pr_ppid.get(),
                pgrp: c.pr_pgrp.get(),
                sid: c.pr_sid.get(),
                utime: t(0),
                stime: t(1),
                cutime: t(2),
                cstime: t(3),
                registers: Registers::default(),
                siginfo: None,
            }
        }};
    }
    Some(match abi.common() {
        Common::Lp64 => {
            let (c, _) = PrstatusCommonLp64::<O>::ref_from_prefix(desc).ok()?;
            let sparc = abi == Abi::Sparc64;
            // sparc64 (big-endian) has `int tv_usec` then 4 bytes of padding: the high half of the word.
            fill!(c, |w: &I64<O>| if sparc { w.get() >> 32 } else { w.get() })
        }
        Common::Ilp32 => {
            let (c, _) = PrstatusCommonIlp32::<O>::ref_from_prefix(desc).ok()?;
            fill!(c, |w: &I32<O>| i64::from(w.get()))
        }
        Common::M68k => {
            let (c, _) = PrstatusCommonM68k::<O>::ref_from_prefix(desc).ok()?;
            fill!(c, |w: &I32<O>| i64::from(w.get()))
        }
    })
}

/// Decodes `NT_PRPSINFO`.
pub fn prpsinfo(
    abi: Abi,
    endian: Endianness,
    desc: &[u8],
    offset: u64,
    warnings: &mut Vec<CoreWarning>,
) -> Option<PrPsInfo> {
    if desc.len() != abi.prpsinfo_size() {
        warnings.push(CoreWarning::new(
            "NT_PRPSINFO",
            offset,
            format!(
                "{} bytes, {} expected for {}",
                desc.len(),
                abi.prpsinfo_size(),
                abi.name()
            ),
        ));
    }
    with_byte_order!(endian, O => prpsinfo_as::<O>(abi.psinfo_layout(), desc))
}

fn prpsinfo_as<O: ByteOrder>(layout: PsinfoLayout, desc: &[u8]) -> Option<PrPsInfo> {
    macro_rules! fill {
        ($p:expr) => {{
            let p = $p;
            PrPsInfo {
                state: p.pr_state,
                sname: p.pr_sname,
                zomb: p.pr_zomb,
                nice: p.pr_nice,
                flag: p.pr_flag.get().into(),
                uid: p.pr_uid.get().into(),
                gid: p.pr_gid.get().into(),
                pid: p.pr_pid.get(),
                ppid: p.pr_ppid.get(),
                pgrp: p.pr_pgrp.get(),
                sid: p.pr_sid.get(),
                fname: cstr(&p.pr_fname),
                psargs: cstr(&p.pr_psargs),
            }
        }};
    }
    Some(match layout {
        PsinfoLayout::Lp64 => fill!(PrpsinfoLp64::<O>::ref_from_prefix(desc).ok()?.0),
        PsinfoLayout::Uid16 => fill!(PrpsinfoUid16::<O>::ref_from_prefix(desc).ok()?.0),
        PsinfoLayout::Uid32 => fill!(PrpsinfoUid32::<O>::ref_from_prefix(desc).ok()?.0),
    })
}

impl Abi {
    /// The signals whose `siginfo` carries `si_addr`: SIGILL 4, SIGTRAP 5, SIGFPE 8, SIGSEGV 11 everywhere,
    /// and SIGBUS, which is 7 in `asm-generic/signal.h` but 10 on mips, sparc, alpha and parisc.
    fn fault_signals(self) -> [i32; 5] {
        let sigbus = match self {
            Abi::MipsO32 | Abi::MipsN32 | Abi::MipsN64 | Abi::Sparc64 | Abi::Alpha | Abi::Hppa => {
                10
            }
            _ => 7,
        };
        [4, 5, sigbus, 8, 11]
    }
}

/// An unsigned C `long` of the dumping ABI in the file's byte order.
trait Word: FromBytes + KnownLayout + Immutable + Unaligned {
    fn value(&self) -> u64;
}
impl<O: ByteOrder> Word for U32<O> {
    fn value(&self) -> u64 {
        u64::from(self.get())
    }
}
impl<O: ByteOrder> Word for U64<O> {
    fn value(&self) -> u64 {
        self.get()
    }
}

/// The head of `siginfo_t` (`include/uapi/asm-generic/siginfo.h`: `si_signo`, `si_errno`, `si_code`;
/// mips swaps the last two: `si_signo`, `si_code`, `si_errno`). The `_sifields` union follows at 12 on
/// ILP32 ABIs and at 16 on LP64 ones (4 bytes of padding).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct SiginfoHead<O: ByteOrder> {
    si_signo: I32<O>,
    /// `si_errno` (`si_code` on mips).
    si_word1: I32<O>,
    /// `si_code` (`si_errno` on mips).
    si_word2: I32<O>,
}
const _: () = assert!(size_of::<SiginfoHead<LE>>() == 12);

/// `_sifields._kill` (and the head of `_rt`, `_sigchld`): who sent the signal.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct SigKill<O: ByteOrder> {
    si_pid: I32<O>,
    si_uid: U32<O>,
}

/// `_sifields._sigfault`: `void __user *_addr` first.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct SigFault<W: Word> {
    si_addr: W,
}

/// Decodes `NT_SIGINFO`. A descriptor too short for the head is no signal at all (`None`, with a warning),
/// never a made-up signal 0.
pub fn siginfo(
    abi: Abi,
    endian: Endianness,
    desc: &[u8],
    offset: u64,
    warnings: &mut Vec<CoreWarning>,
) -> Option<SigInfo> {
    let union_at = if abi.long_size() == 8 { 16 } else { 12 };
    let mips = matches!(abi, Abi::MipsO32 | Abi::MipsN32 | Abi::MipsN64);
    let si = with_byte_order!(endian, O => {
        let Ok((h, _)) = SiginfoHead::<O>::ref_from_prefix(desc) else {
            warnings.push(CoreWarning::new(
                "NT_SIGINFO",
                offset,
                format!("{} bytes, too few for si_signo, si_errno and si_code: no signal read", desc.len()),
            ));
            return None;
        };
        let (w1, w2) = (h.si_word1.get(), h.si_word2.get());
        let (code, errno) = if mips { (w1, w2) } else { (w2, w1) };
        let signo = h.si_signo.get();
        let fields = desc.get(union_at..).unwrap_or(&[]);
        let addr = if abi.fault_signals().contains(&signo) && code > 0 {
            if abi.long_size() == 8 {
                SigFault::<U64<O>>::ref_from_prefix(fields).ok().map(|(f, _)| f.si_addr.value())
            } else {
                SigFault::<U32<O>>::ref_from_prefix(fields).ok().map(|(f, _)| f.si_addr.value())
            }
        } else {
            None
        };
        let sender = if code <= 0 {
            SigKill::<O>::ref_from_prefix(fields).ok().map(|(k, _)| (k.si_pid.get(), k.si_uid.get()))
        } else {
            None
        };
        SigInfo {
            signo,
            errno,
            code,
            addr,
            sender_pid: sender.map(|s| s.0),
            sender_uid: sender.map(|s| s.1),
        }
    });
    if desc.len() < union_at + abi.long_size() {
        warnings.push(truncated("NT_SIGINFO", offset, 128, desc.len()));
    }
    Some(si)
}

/// `NT_FILE` header (`fill_files_note()` in `fs/binfmt_elf.c`): `long count; long page_size;`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct NtFileHead<W: Word> {
    count: W,
    page_size: W,
}

/// One `NT_FILE` entry: `long start, end, file_ofs` (`file_ofs` in pages: `vm_pgoff`).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct NtFileEntry<W: Word> {
    start: W,
    end: W,
    file_ofs: W,
}
const _: () = assert!(size_of::<NtFileEntry<U64<LE>>>() == 24);
const _: () = assert!(size_of::<NtFileEntry<U32<LE>>>() == 12);

/// Decodes `NT_FILE` (`long` of `long_size` bytes): the header, `count` entries, then `count`
/// NUL-terminated names in the same order.
pub fn file_note(
    long_size: usize,
    endian: Endianness,
    desc: &[u8],
    offset: u64,
    warnings: &mut Vec<CoreWarning>,
) -> FileNote {
    with_byte_order!(endian, O => if long_size == 8 {
        file_note_as::<U64<O>>(desc, offset, warnings)
    } else {
        file_note_as::<U32<O>>(desc, offset, warnings)
    })
}

fn file_note_as<W: Word>(desc: &[u8], offset: u64, warnings: &mut Vec<CoreWarning>) -> FileNote {
    let Ok((head, rest)) = NtFileHead::<W>::ref_from_prefix(desc) else {
        warnings.push(truncated(
            "NT_FILE",
            offset,
            size_of::<NtFileHead<W>>(),
            desc.len(),
        ));
        return FileNote::default();
    };
    let (count, page_size) = (head.count.value(), head.page_size.value());
    // Every entry needs its three longs: the descriptor bounds the count.
    let room = rest.len() / size_of::<NtFileEntry<W>>();
    let mut n = usize::try_from(count).unwrap_or(usize::MAX);
    if n > room {
        warnings.push(CoreWarning::new(
            "NT_FILE",
            offset,
            format!(
                "count {count} does not fit in {} bytes: read {room}",
                desc.len()
            ),
        ));
        n = room;
    }
    let Ok((entries, names)) = <[NtFileEntry<W>]>::ref_from_prefix_with_elems(rest, n) else {
        return FileNote::default();
    };
    let mut names = names.split(|b| *b == 0);
    let mut files = Vec::with_capacity(n);
    for (i, e) in entries.iter().enumerate() {
        let Some(path) = names.next() else {
            warnings.push(CoreWarning::new(
                "NT_FILE",
                offset,
                format!("names end after {i} of {n} entries"),
            ));
            break;
        };
        files.push(MappedFile {
            start: e.start.value(),
            end: e.end.value(),
            offset: e.file_ofs.value().saturating_mul(page_size),
            path: path.to_vec(),
        });
    }
    FileNote { page_size, files }
}

/// Everything the Linux notes of a core say, thread by thread.
#[derive(Clone, Debug, Default)]
pub struct LinuxCore {
    /// The process ABI.
    pub abi: Option<Abi>,
    /// One per thread, in note order (the first is the thread that took the signal).
    pub threads: Vec<PrStatus>,
    /// `NT_PRPSINFO`.
    pub psinfo: Option<PrPsInfo>,
    /// `NT_SIGINFO`.
    pub siginfo: Option<SigInfo>,
    /// `NT_FILE`.
    pub files: Option<FileNote>,
    /// `NT_AUXV` as (type, value) pairs.
    pub auxv: Vec<(u64, u64)>,
    /// The core was written by gdb's `gcore`: its first `CORE` note is `NT_PRPSINFO` (the kernel and
    /// qemu-user write the dumping thread's `NT_PRSTATUS` first). gdb fills neither `pr_sigpend` nor
    /// `pr_sighold`, nor `pr_ppid`/`pr_pgrp`/`pr_sid` of `NT_PRSTATUS`.
    pub by_gdb: bool,
}

/// Decodes the Linux notes of `core`.
pub fn decode(core: &Core<'_>, warnings: &mut Vec<CoreWarning>) -> LinuxCore {
    let mut out = LinuxCore::default();
    let first_prstatus = core.note(b"CORE", NT_PRSTATUS).map(|n| n.desc.len());
    let Some(abi) = Abi::detect_with_prstatus(core.machine, core.is_64, core.flags, first_prstatus)
    else {
        warnings.push(CoreWarning::new(
            "ELF header",
            18,
            format!(
                "no known elf_prstatus layout for e_machine {} ({}, {}-bit): notes other than NT_FILE and NT_AUXV are not decoded",
                core.machine,
                core.machine_name(),
                if core.is_64 { 64 } else { 32 }
            ),
        ));
        // The class gives the long of NT_AUXV and NT_FILE on every ABI but x32 and n32, which are known.
        let long = if core.is_64 { 8 } else { 4 };
        if let Some(n) = core.note(b"CORE", NT_AUXV) {
            out.auxv = super::auxv::pairs(n.desc, long, false, core.endian);
        }
        if let Some(n) = core.note(b"CORE", NT_FILE) {
            out.files = Some(file_note(
                long,
                core.endian,
                n.desc,
                n.desc_offset,
                warnings,
            ));
        }
        return out;
    };
    out.abi = Some(abi);
    out.by_gdb = core
        .notes
        .iter()
        .find(|n| n.name == b"CORE")
        .is_some_and(|n| n.n_type == NT_PRPSINFO);
    for note in &core.notes {
        if note.name != b"CORE" {
            continue;
        }
        match note.n_type {
            NT_PRSTATUS => {
                if let Some(st) = prstatus(abi, core.endian, note.desc, note.desc_offset, warnings)
                {
                    out.threads.push(st);
                } else {
                    warnings.push(truncated(
                        "NT_PRSTATUS",
                        note.desc_offset,
                        abi.prstatus_size(),
                        note.desc.len(),
                    ));
                }
            }
            NT_PRPSINFO if out.psinfo.is_none() => {
                out.psinfo = prpsinfo(abi, core.endian, note.desc, note.desc_offset, warnings);
                if out.psinfo.is_none() {
                    warnings.push(truncated(
                        "NT_PRPSINFO",
                        note.desc_offset,
                        abi.prpsinfo_size(),
                        note.desc.len(),
                    ));
                }
            }
            NT_SIGINFO => {
                let si = siginfo(abi, core.endian, note.desc, note.desc_offset, warnings);
                // A siginfo that could not be read leaves the thread's pr_cursig in charge.
                if let (Some(t), Some(si)) = (out.threads.last_mut(), &si)
                    && t.siginfo.is_none()
                {
                    t.siginfo = Some(si.clone());
                }
                if out.siginfo.is_none() {
                    out.siginfo = si;
                }
            }
            NT_FILE if out.files.is_none() => {
                out.files = Some(file_note(
                    abi.long_size(),
                    core.endian,
                    note.desc,
                    note.desc_offset,
                    warnings,
                ));
            }
            NT_AUXV if out.auxv.is_empty() => {
                out.auxv = super::auxv::pairs(note.desc, abi.long_size(), false, core.endian);
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test-only writer: puts `value` as `width` bytes at `off` in the given byte order (offsets from the
    /// layout reference, not from the structures above).
    fn put(buf: &mut [u8], off: usize, width: usize, value: u64, endian: Endianness) {
        let bytes = match endian {
            Endianness::Little => value.to_le_bytes()[..width].to_vec(),
            Endianness::Big => value.to_be_bytes()[8 - width..].to_vec(),
        };
        buf[off..off + width].copy_from_slice(&bytes);
    }

    struct Case {
        abi: Abi,
        endian: Endianness,
        size: usize,
        cursig: usize,
        pid: usize,
        /// (tv_sec offset, width, tv_usec offset, width) of pr_utime.
        utime: (usize, usize, usize, usize),
        pc: (usize, usize),
        sp: (usize, usize),
    }

    /// Offsets from the layout reference, section 7.4 (pr_reg offset + slot × width).
    const CASES: &[Case] = &[
        Case {
            abi: Abi::X32,
            endian: Endianness::Little,
            size: 296,
            cursig: 12,
            pid: 24,
            utime: (40, 4, 44, 4),
            pc: (72 + 16 * 8, 8),
            sp: (72 + 19 * 8, 8),
        },
        Case {
            abi: Abi::S390,
            endian: Endianness::Big,
            size: 224,
            cursig: 12,
            pid: 24,
            utime: (40, 4, 44, 4),
            pc: (76, 4),
            sp: (80 + 15 * 4, 4),
        },
        Case {
            abi: Abi::Sparc64,
            endian: Endianness::Big,
            size: 408,
            cursig: 12,
            pid: 32,
            utime: (48, 8, 56, 4),
            pc: (112 + 33 * 8, 8),
            sp: (112 + 14 * 8, 8),
        },
        Case {
            abi: Abi::M68k,
            endian: Endianness::Big,
            size: 154,
            cursig: 12,
            pid: 22,
            utime: (38, 4, 42, 4),
            pc: (70 + 18 * 4, 4),
            sp: (70 + 15 * 4, 4),
        },
        Case {
            abi: Abi::MipsN32,
            endian: Endianness::Big,
            size: 440,
            cursig: 12,
            pid: 24,
            utime: (40, 4, 44, 4),
            pc: (72 + 34 * 8, 8),
            sp: (72 + 29 * 8, 8),
        },
        Case {
            abi: Abi::I386,
            endian: Endianness::Little,
            size: 144,
            cursig: 12,
            pid: 24,
            utime: (40, 4, 44, 4),
            pc: (72 + 12 * 4, 4),
            sp: (72 + 15 * 4, 4),
        },
    ];

    #[test]
    fn prstatus_layouts_without_corpus_cores() {
        for c in CASES {
            let mut b = vec![0u8; c.size];
            put(&mut b, c.cursig, 2, 11, c.endian);
            put(&mut b, c.pid, 4, 4242, c.endian);
            put(&mut b, c.pid + 4, 4, 4241, c.endian);
            put(&mut b, c.utime.0, c.utime.1, 3, c.endian);
            put(&mut b, c.utime.2, c.utime.3, 250_000, c.endian);
            let pc = if c.abi == Abi::S390 {
                0x8040_009a
            } else {
                0x40_0123
            };
            put(&mut b, c.pc.0, c.pc.1, pc, c.endian);
            put(&mut b, c.sp.0, c.sp.1, 0x7ff0_0000, c.endian);
            let mut w = Vec::new();
            let st = prstatus(c.abi, c.endian, &b, 0, &mut w).unwrap();
            assert!(w.is_empty(), "{:?}: {w:?}", c.abi);
            assert_eq!(
                (st.cursig, st.pid, st.ppid),
                (11, 4242, 4241),
                "{:?}",
                c.abi
            );
            assert_eq!(st.utime, 3.25, "{:?}", c.abi);
            let want_pc = if c.abi == Abi::S390 {
                0x40_009a
            } else {
                0x40_0123
            };
            let want_sp = if c.abi == Abi::Sparc64 {
                0x7ff0_0000 + 2047
            } else {
                0x7ff0_0000
            };
            assert_eq!(
                (st.registers.pc, st.registers.sp),
                (Some(want_pc), Some(want_sp)),
                "{:?}",
                c.abi
            );
            // Every truncation decodes what is there, or nothing, without panicking.
            for len in 0..c.size {
                let _ = prstatus(c.abi, c.endian, &b[..len], 0, &mut Vec::new());
            }
        }
    }

    #[test]
    fn prpsinfo_uid_widths() {
        // 124 bytes, 16-bit uid at 8 (x32, arm, m68k, s390); 128 bytes, 32-bit uid at 8 (ppc, mips).
        let mut b = vec![0u8; 124];
        b[1] = b'S';
        put(&mut b, 8, 2, 1000, Endianness::Big);
        put(&mut b, 10, 2, 501, Endianness::Big);
        put(&mut b, 12, 4, 77, Endianness::Big);
        b[28..31].copy_from_slice(b"cat");
        let p = prpsinfo(Abi::S390, Endianness::Big, &b, 0, &mut Vec::new()).unwrap();
        assert_eq!(
            (p.uid, p.gid, p.pid, p.fname.as_slice(), p.sname),
            (1000, 501, 77, &b"cat"[..], b'S')
        );
        let mut b = vec![0u8; 128];
        put(&mut b, 8, 4, 70_000, Endianness::Little);
        put(&mut b, 16, 4, 78, Endianness::Little);
        b[32..35].copy_from_slice(b"dog");
        let p = prpsinfo(Abi::MipsN32, Endianness::Little, &b, 0, &mut Vec::new()).unwrap();
        assert_eq!(
            (p.uid, p.pid, p.fname.as_slice()),
            (70_000, 78, &b"dog"[..])
        );
    }

    #[test]
    fn abi_detection_uses_the_prstatus_size() {
        use goblin::elf::header::EM_MIPS;
        assert_eq!(
            Abi::detect_with_prstatus(EM_MIPS, false, 0, Some(440)),
            Some(Abi::MipsN32)
        );
        assert_eq!(
            Abi::detect_with_prstatus(EM_MIPS, false, 0, Some(256)),
            Some(Abi::MipsO32)
        );
        assert_eq!(
            Abi::detect_with_prstatus(EM_MIPS, false, EF_MIPS_ABI2, None),
            Some(Abi::MipsN32)
        );
    }
}
