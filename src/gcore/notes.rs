//! The structures `gcore` writes, as the kernel's headers declare them (64-bit, little-endian: the
//! machines gcore dumps on), and their encoders. They are the writer's own: the decoders in
//! [`crate::formats::elfcore`] read cores with separate structures, so one mistaken layout cannot agree
//! with itself (and gdb, readelf and eu-readelf check both).
//!
//! Sources: `include/uapi/linux/elf.h` (`Elf64_Ehdr`, `Elf64_Phdr`, `Elf64_Shdr`, `Elf64_Nhdr`, the `NT_*`
//! numbers), `include/linux/elfcore.h` (`struct elf_siginfo`, `elf_prstatus_common`, `elf_prstatus`,
//! `elf_prpsinfo`), `arch/x86/include/asm/user_64.h` (`user_regs_struct`: `elf_gregset_t` of x86_64, 27
//! registers), `arch/arm64/include/uapi/asm/ptrace.h` (`user_pt_regs`: 34 registers),
//! `fs/binfmt_elf.c` (`fill_files_note()`: `NT_FILE`; the note order of `write_note_info()`).

use zerocopy::byteorder::{I16, I32, I64, LE, U16, U32, U64};
use zerocopy::{Immutable, IntoBytes, KnownLayout};

/// `ET_CORE`.
pub const ET_CORE: u16 = 4;
/// `PT_LOAD`.
pub const PT_LOAD: u32 = 1;
/// `PT_NOTE`.
pub const PT_NOTE: u32 = 4;
/// `PN_XNUM`: `e_phnum` when the real count (in section header 0's `sh_info`) does not fit 16 bits.
pub const PN_XNUM: u16 = 0xffff;
/// `PF_X`.
pub const PF_X: u32 = 1;
/// `PF_W`.
pub const PF_W: u32 = 2;
/// `PF_R`.
pub const PF_R: u32 = 4;

/// `NT_PRSTATUS`.
pub const NT_PRSTATUS: u32 = 1;
/// `NT_PRFPREG`.
pub const NT_PRFPREG: u32 = 2;
/// `NT_PRPSINFO`.
pub const NT_PRPSINFO: u32 = 3;
/// `NT_AUXV`.
pub const NT_AUXV: u32 = 6;
/// `NT_SIGINFO` ("SIGI").
pub const NT_SIGINFO: u32 = 0x5349_4749;
/// `NT_FILE` ("FILE").
pub const NT_FILE: u32 = 0x4649_4c45;
/// `NT_386_IOPERM`: the x86 I/O permission bitmap of a thread that called ioperm(2).
pub const NT_386_IOPERM: u32 = 0x201;
/// `NT_X86_XSTATE`: the XSAVE area (AVX, AVX-512, AMX, ... registers).
pub const NT_X86_XSTATE: u32 = 0x202;
/// `NT_X86_SHSTK`: the x86 shadow-stack pointer (Linux 6.6 and later, when shadow stacks are on).
pub const NT_X86_SHSTK: u32 = 0x204;
/// `NT_ARM_TLS`: `tpidr_el0` (and `tpidr2_el0` since Linux 6.0).
pub const NT_ARM_TLS: u32 = 0x401;
/// `NT_ARM_HW_BREAK`: the hardware breakpoint registers (`struct user_hwdebug_state`).
pub const NT_ARM_HW_BREAK: u32 = 0x402;
/// `NT_ARM_HW_WATCH`: the hardware watchpoint registers.
pub const NT_ARM_HW_WATCH: u32 = 0x403;
/// `NT_ARM_SYSTEM_CALL`: the system call number.
pub const NT_ARM_SYSTEM_CALL: u32 = 0x404;
/// `NT_ARM_SVE`: the Scalable Vector Extension registers (`user_sve_header` and the registers).
pub const NT_ARM_SVE: u32 = 0x405;
/// `NT_ARM_PAC_MASK`: the pointer authentication code masks.
pub const NT_ARM_PAC_MASK: u32 = 0x406;
/// `NT_ARM_PACA_KEYS`: the pointer authentication address keys.
pub const NT_ARM_PACA_KEYS: u32 = 0x407;
/// `NT_ARM_PACG_KEYS`: the pointer authentication generic key.
pub const NT_ARM_PACG_KEYS: u32 = 0x408;
/// `NT_ARM_TAGGED_ADDR_CTRL`: the tagged address control (`prctl(PR_SET_TAGGED_ADDR_CTRL)`).
pub const NT_ARM_TAGGED_ADDR_CTRL: u32 = 0x409;
/// `NT_ARM_PAC_ENABLED_KEYS`: the pointer authentication keys enabled (`prctl()`).
pub const NT_ARM_PAC_ENABLED_KEYS: u32 = 0x40a;
/// `NT_ARM_SSVE`: the streaming-mode SVE registers (SME).
pub const NT_ARM_SSVE: u32 = 0x40b;
/// `NT_ARM_ZA`: the SME ZA array (`user_za_header` and the array).
pub const NT_ARM_ZA: u32 = 0x40c;
/// `NT_ARM_ZT`: the SME2 ZT0 register.
pub const NT_ARM_ZT: u32 = 0x40d;
/// `NT_ARM_FPMR`: the floating-point mode register.
pub const NT_ARM_FPMR: u32 = 0x40e;
/// `NT_ARM_POE`: the permission overlay register (`POR_EL0`).
pub const NT_ARM_POE: u32 = 0x40f;
/// `NT_ARM_GCS`: the guarded control stack state (`struct user_gcs`).
pub const NT_ARM_GCS: u32 = 0x410;

/// The owner of the notes `fs/binfmt_elf.c` names `CORE` (prstatus, fpregs, psinfo, auxv, siginfo, file).
pub const OWNER_CORE: &[u8] = b"CORE";
/// The owner of the other register sets.
pub const OWNER_LINUX: &[u8] = b"LINUX";
/// The owner of procsift's own note ([`NT_PROCSIFT_GCORE`]).
pub const OWNER_PROCSIFT: &[u8] = b"PROCSIFT";
/// procsift's note type: how the core was taken and which ranges it lacks ([`ProcsiftGcore`]). Not a
/// small number: tools that read note types without looking at the owner (BFD, readelf) would take 1 for
/// `NT_PRSTATUS`.
pub const NT_PROCSIFT_GCORE: u32 = 0x5053_4743;

/// `Elf64_Ehdr`.
#[derive(IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Elf64Ehdr {
    /// `e_ident`: magic, class, data, version, OS ABI, ABI version, padding.
    pub e_ident: [u8; 16],
    /// `e_type`.
    pub e_type: U16<LE>,
    /// `e_machine`.
    pub e_machine: U16<LE>,
    /// `e_version`.
    pub e_version: U32<LE>,
    /// `e_entry`.
    pub e_entry: U64<LE>,
    /// `e_phoff`.
    pub e_phoff: U64<LE>,
    /// `e_shoff`.
    pub e_shoff: U64<LE>,
    /// `e_flags`.
    pub e_flags: U32<LE>,
    /// `e_ehsize`.
    pub e_ehsize: U16<LE>,
    /// `e_phentsize`.
    pub e_phentsize: U16<LE>,
    /// `e_phnum`.
    pub e_phnum: U16<LE>,
    /// `e_shentsize`.
    pub e_shentsize: U16<LE>,
    /// `e_shnum`.
    pub e_shnum: U16<LE>,
    /// `e_shstrndx`.
    pub e_shstrndx: U16<LE>,
}
const _: () = assert!(size_of::<Elf64Ehdr>() == 64);

/// `Elf64_Phdr`.
#[derive(IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Elf64Phdr {
    /// `p_type`.
    pub p_type: U32<LE>,
    /// `p_flags`.
    pub p_flags: U32<LE>,
    /// `p_offset`.
    pub p_offset: U64<LE>,
    /// `p_vaddr`.
    pub p_vaddr: U64<LE>,
    /// `p_paddr`.
    pub p_paddr: U64<LE>,
    /// `p_filesz`.
    pub p_filesz: U64<LE>,
    /// `p_memsz`.
    pub p_memsz: U64<LE>,
    /// `p_align`.
    pub p_align: U64<LE>,
}
const _: () = assert!(size_of::<Elf64Phdr>() == 56);

/// `Elf64_Shdr`: only section header 0 is written, and only when the segments do not fit `e_phnum`
/// (`PN_XNUM`, as `fill_extnum_info()` does).
#[derive(IntoBytes, Immutable, KnownLayout, Default)]
#[repr(C)]
pub struct Elf64Shdr {
    /// `sh_name`.
    pub sh_name: U32<LE>,
    /// `sh_type`.
    pub sh_type: U32<LE>,
    /// `sh_flags`.
    pub sh_flags: U64<LE>,
    /// `sh_addr`.
    pub sh_addr: U64<LE>,
    /// `sh_offset`.
    pub sh_offset: U64<LE>,
    /// `sh_size`.
    pub sh_size: U64<LE>,
    /// `sh_link`: with `PN_XNUM`, `e_shstrndx`'s real value.
    pub sh_link: U32<LE>,
    /// `sh_info`: with `PN_XNUM`, the real number of program headers.
    pub sh_info: U32<LE>,
    /// `sh_addralign`.
    pub sh_addralign: U64<LE>,
    /// `sh_entsize`.
    pub sh_entsize: U64<LE>,
}
const _: () = assert!(size_of::<Elf64Shdr>() == 64);

/// `Elf64_Nhdr`: a note's header; the owner name and the descriptor follow, each padded to 4 bytes.
#[derive(IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Elf64Nhdr {
    /// `n_namesz`: the owner's length with its NUL.
    pub n_namesz: U32<LE>,
    /// `n_descsz`.
    pub n_descsz: U32<LE>,
    /// `n_type`.
    pub n_type: U32<LE>,
}
const _: () = assert!(size_of::<Elf64Nhdr>() == 12);

/// `struct elf_siginfo` (note the order: code before errno).
#[derive(IntoBytes, Immutable, KnownLayout, Default)]
#[repr(C)]
pub struct ElfSiginfo {
    /// `si_signo`.
    pub si_signo: I32<LE>,
    /// `si_code`.
    pub si_code: I32<LE>,
    /// `si_errno`.
    pub si_errno: I32<LE>,
}

/// `struct __kernel_old_timeval` of a 64-bit kernel.
#[derive(IntoBytes, Immutable, KnownLayout, Default, Clone, Copy)]
#[repr(C)]
pub struct Timeval {
    /// `tv_sec`.
    pub tv_sec: I64<LE>,
    /// `tv_usec`.
    pub tv_usec: I64<LE>,
}

impl Timeval {
    /// The timeval of `micros` microseconds.
    pub fn from_micros(micros: u64) -> Timeval {
        Timeval {
            tv_sec: I64::new(i64::try_from(micros / 1_000_000).unwrap_or(i64::MAX)),
            tv_usec: I64::new((micros % 1_000_000) as i64),
        }
    }
}

/// `struct elf_prstatus_common` of a 64-bit kernel (112 bytes).
#[derive(IntoBytes, Immutable, KnownLayout, Default)]
#[repr(C)]
pub struct ElfPrstatusCommon {
    /// `pr_info`: the signal the thread was stopped with.
    pub pr_info: ElfSiginfo,
    /// `pr_cursig`.
    pub pr_cursig: I16<LE>,
    /// Padding before the `unsigned long`.
    pub _pad0: [u8; 2],
    /// `pr_sigpend`: the thread's own pending signals (`task->pending`).
    pub pr_sigpend: U64<LE>,
    /// `pr_sighold`: its blocked signals.
    pub pr_sighold: U64<LE>,
    /// `pr_pid`: the thread id.
    pub pr_pid: I32<LE>,
    /// `pr_ppid`.
    pub pr_ppid: I32<LE>,
    /// `pr_pgrp`.
    pub pr_pgrp: I32<LE>,
    /// `pr_sid`.
    pub pr_sid: I32<LE>,
    /// `pr_utime`.
    pub pr_utime: Timeval,
    /// `pr_stime`.
    pub pr_stime: Timeval,
    /// `pr_cutime`.
    pub pr_cutime: Timeval,
    /// `pr_cstime`.
    pub pr_cstime: Timeval,
}
const _: () = assert!(size_of::<ElfPrstatusCommon>() == 112);

/// `struct elf_prstatus` of x86_64: `pr_reg` is `user_regs_struct` (r15 r14 r13 r12 bp bx r11 r10 r9 r8
/// ax cx dx si di orig_ax ip cs flags sp ss fs_base gs_base ds es fs gs).
#[derive(IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct ElfPrstatusX86_64 {
    /// The part before `pr_reg`.
    pub common: ElfPrstatusCommon,
    /// `pr_reg`.
    pub pr_reg: [U64<LE>; 27],
    /// `pr_fpvalid`: 1 when an `NT_PRFPREG` follows.
    pub pr_fpvalid: I32<LE>,
    /// Padding to the structure's 8-byte alignment.
    pub _pad1: [u8; 4],
}
const _: () = assert!(size_of::<ElfPrstatusX86_64>() == 336);

/// `struct elf_prstatus` of aarch64: `pr_reg` is `user_pt_regs` (x0..x30, sp, pc, pstate).
#[derive(IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct ElfPrstatusAarch64 {
    /// The part before `pr_reg`.
    pub common: ElfPrstatusCommon,
    /// `pr_reg`.
    pub pr_reg: [U64<LE>; 34],
    /// `pr_fpvalid`.
    pub pr_fpvalid: I32<LE>,
    /// Padding to the structure's 8-byte alignment.
    pub _pad1: [u8; 4],
}
const _: () = assert!(size_of::<ElfPrstatusAarch64>() == 392);

/// `struct elf_prpsinfo` of a 64-bit kernel (136 bytes).
#[derive(IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct ElfPrpsinfo {
    /// `pr_state`: the state's index in "RSDTZW".
    pub pr_state: u8,
    /// `pr_sname`: the state letter.
    pub pr_sname: u8,
    /// `pr_zomb`.
    pub pr_zomb: u8,
    /// `pr_nice`.
    pub pr_nice: i8,
    /// Padding before the `unsigned long`.
    pub _pad0: [u8; 4],
    /// `pr_flag`: the task's `PF_*` flags.
    pub pr_flag: U64<LE>,
    /// `pr_uid`: the real uid.
    pub pr_uid: U32<LE>,
    /// `pr_gid`: the real gid.
    pub pr_gid: U32<LE>,
    /// `pr_pid`.
    pub pr_pid: I32<LE>,
    /// `pr_ppid`.
    pub pr_ppid: I32<LE>,
    /// `pr_pgrp`.
    pub pr_pgrp: I32<LE>,
    /// `pr_sid`.
    pub pr_sid: I32<LE>,
    /// `pr_fname`: the command name, NUL-padded.
    pub pr_fname: [u8; 16],
    /// `pr_psargs`: the first 79 bytes of the argument area, NULs turned to spaces, NUL-terminated.
    pub pr_psargs: [u8; 80],
}
const _: () = assert!(size_of::<ElfPrpsinfo>() == 136);

/// The head of `NT_FILE` on a 64-bit kernel: `count`, then `page_size` (the unit of `file_ofs`).
#[derive(IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct NtFileHead {
    /// Number of mappings.
    pub count: U64<LE>,
    /// `PAGE_SIZE`.
    pub page_size: U64<LE>,
}

/// One `NT_FILE` entry; the names follow all entries, NUL-terminated, in the same order.
#[derive(IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct NtFileEntry {
    /// `vm_start`.
    pub start: U64<LE>,
    /// `vm_end`.
    pub end: U64<LE>,
    /// `vm_pgoff`: the file offset in pages.
    pub file_ofs: U64<LE>,
}

/// procsift's note (owner `PROCSIFT`, type [`NT_PROCSIFT_GCORE`]): how a live process was dumped. It is
/// followed by `nranges` [`ProcsiftRange`] records, `range_size` bytes apart. The layout is described in
/// the project's `docs/core-layouts.md`.
#[derive(IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct ProcsiftGcore {
    /// Layout version: 1.
    pub version: U32<LE>,
    /// Size of each range record (24).
    pub range_size: U32<LE>,
    /// Number of range records that follow.
    pub nranges: U32<LE>,
    /// [`GCORE_ALL`], [`GCORE_CAPPED`], [`GCORE_WAS_STOPPED`].
    pub flags: U32<LE>,
    /// The `coredump_filter` bits the dump applied.
    pub filter: U64<LE>,
    /// Nanoseconds the process was stopped: from the first `PTRACE_INTERRUPT` to the last detach.
    pub stopped_ns: U64<LE>,
    /// When the process was stopped, UTC: seconds since the epoch.
    pub time_sec: I64<LE>,
    /// ... and nanoseconds.
    pub time_nsec: U32<LE>,
    /// Number of threads dumped.
    pub nthreads: U32<LE>,
    /// `--max-size` in bytes, 0 for none.
    pub max_size: U64<LE>,
}
const _: () = assert!(size_of::<ProcsiftGcore>() == 56);

/// [`ProcsiftGcore::flags`]: every readable mapping was dumped (`--all`), whatever the filter.
pub const GCORE_ALL: u32 = 1;
/// [`ProcsiftGcore::flags`]: `--max-size` left memory out.
pub const GCORE_CAPPED: u32 = 2;
/// [`ProcsiftGcore::flags`]: the process was already stopped (job control) when it was dumped, and was
/// left so.
pub const GCORE_WAS_STOPPED: u32 = 4;

/// A range of the process's memory that the core lacks, and why (after [`ProcsiftGcore`]).
#[derive(IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct ProcsiftRange {
    /// First address.
    pub start: U64<LE>,
    /// End address (exclusive).
    pub end: U64<LE>,
    /// [`RANGE_UNREADABLE`] or [`RANGE_OVER_MAX_SIZE`].
    pub reason: U32<LE>,
    /// For [`RANGE_UNREADABLE`], the errno of the failed read (`EIO` 5, `EFAULT` 14, ...); else 0.
    pub errno: I32<LE>,
}
const _: () = assert!(size_of::<ProcsiftRange>() == 24);

/// [`ProcsiftRange::reason`]: neither process_vm_readv(2) nor `/proc/PID/mem` could read it (a file
/// mapping past the file's end, a device mapping, ...); its segment has no bytes in the file.
pub const RANGE_UNREADABLE: u32 = 1;
/// [`ProcsiftRange::reason`]: left out because the core reached `--max-size`.
pub const RANGE_OVER_MAX_SIZE: u32 = 2;

/// Appends one note (header, owner padded to 4, descriptor padded to 4) to `out`.
pub fn push_note(out: &mut Vec<u8>, owner: &[u8], n_type: u32, desc: &[u8]) {
    let namesz = owner.len() + 1;
    let hdr = Elf64Nhdr {
        n_namesz: U32::new(namesz as u32),
        n_descsz: U32::new(u32::try_from(desc.len()).unwrap_or(u32::MAX)),
        n_type: U32::new(n_type),
    };
    out.extend_from_slice(hdr.as_bytes());
    out.extend_from_slice(owner);
    out.push(0);
    pad4(out);
    out.extend_from_slice(desc);
    pad4(out);
}

fn pad4(out: &mut Vec<u8>) {
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_padding() {
        let mut v = Vec::new();
        push_note(&mut v, b"CORE", NT_AUXV, &[1, 2, 3, 4, 5]);
        // 12 header + "CORE\0" padded to 8 + 5 padded to 8.
        assert_eq!(v.len(), 28);
        assert_eq!(&v[0..12], &[5, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0]);
        assert_eq!(&v[12..20], b"CORE\0\0\0\0");
        assert_eq!(&v[20..28], &[1, 2, 3, 4, 5, 0, 0, 0]);
    }

    #[test]
    fn timeval() {
        let t = Timeval::from_micros(3_250_000);
        assert_eq!(t.tv_sec.get(), 3);
        assert_eq!(t.tv_usec.get(), 250_000);
    }
}
