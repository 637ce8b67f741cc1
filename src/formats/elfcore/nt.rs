//! Note types (`n_type`) of every system whose cores procsift reads, and their names: the one place
//! the numbers are written down.
//!
//! Sources: Linux `include/uapi/linux/elf.h`; FreeBSD `sys/sys/elf_common.h`; illumos
//! `usr/src/uts/common/sys/elf.h`; NetBSD `sys/sys/exec_elf.h` (`ELF_NOTE_NETBSD_CORE_*`) and, for the
//! per-LWP notes whose type is a ptrace request, `sys/arch/{amd64,i386,aarch64}/include/ptrace.h`.

use super::Flavor;

/// `NT_PRSTATUS` (Linux, FreeBSD, old-style illumos).
pub const NT_PRSTATUS: u32 = 1;
/// `NT_PRFPREG` / `NT_FPREGSET`.
pub const NT_PRFPREG: u32 = 2;
/// `NT_PRPSINFO` (Linux, FreeBSD, old-style illumos).
pub const NT_PRPSINFO: u32 = 3;
/// `NT_AUXV` (Linux, illumos).
pub const NT_AUXV: u32 = 6;

/// Linux `NT_SIGINFO` ("SIGI").
pub const NT_SIGINFO: u32 = 0x5349_4749;
/// Linux `NT_FILE` ("FILE").
pub const NT_FILE: u32 = 0x4649_4c45;

/// FreeBSD `NT_THRMISC`.
pub const NT_THRMISC: u32 = 7;
/// FreeBSD `NT_PROCSTAT_PROC`.
pub const NT_PROCSTAT_PROC: u32 = 8;
/// FreeBSD `NT_PROCSTAT_FILES`.
pub const NT_PROCSTAT_FILES: u32 = 9;
/// FreeBSD `NT_PROCSTAT_VMMAP`.
pub const NT_PROCSTAT_VMMAP: u32 = 10;
/// FreeBSD `NT_PROCSTAT_GROUPS`.
pub const NT_PROCSTAT_GROUPS: u32 = 11;
/// FreeBSD `NT_PROCSTAT_UMASK`.
pub const NT_PROCSTAT_UMASK: u32 = 12;
/// FreeBSD `NT_PROCSTAT_RLIMIT`.
pub const NT_PROCSTAT_RLIMIT: u32 = 13;
/// FreeBSD `NT_PROCSTAT_OSREL`.
pub const NT_PROCSTAT_OSREL: u32 = 14;
/// FreeBSD `NT_PROCSTAT_PSSTRINGS`.
pub const NT_PROCSTAT_PSSTRINGS: u32 = 15;
/// FreeBSD `NT_PROCSTAT_AUXV`.
pub const NT_PROCSTAT_AUXV: u32 = 16;
/// FreeBSD `NT_PTLWPINFO`: one `struct ptrace_lwpinfo` per thread (FreeBSD 12 and later).
pub const NT_PTLWPINFO: u32 = 17;

/// illumos `NT_PLATFORM`.
pub const NT_PLATFORM: u32 = 5;
/// illumos `NT_PSTATUS`.
pub const NT_PSTATUS: u32 = 10;
/// illumos `NT_PSINFO`.
pub const NT_PSINFO: u32 = 13;
/// illumos `NT_PRCRED`.
pub const NT_PRCRED: u32 = 14;
/// illumos `NT_UTSNAME`.
pub const NT_UTSNAME: u32 = 15;
/// illumos `NT_LWPSTATUS`.
pub const NT_LWPSTATUS: u32 = 16;
/// illumos `NT_LWPSINFO`.
pub const NT_LWPSINFO: u32 = 17;
/// illumos `NT_CONTENT`.
pub const NT_CONTENT: u32 = 20;
/// illumos `NT_ZONENAME`.
pub const NT_ZONENAME: u32 = 21;
/// illumos `NT_FDINFO`.
pub const NT_FDINFO: u32 = 22;
/// illumos `NT_SECFLAGS`.
pub const NT_SECFLAGS: u32 = 24;
/// illumos `NT_LWPNAME`.
pub const NT_LWPNAME: u32 = 25;

/// NetBSD `ELF_NOTE_NETBSD_CORE_PROCINFO` (owner `NetBSD-CORE`).
pub const NETBSD_CORE_PROCINFO: u32 = 1;
/// NetBSD `ELF_NOTE_NETBSD_CORE_AUXV` (owner `NetBSD-CORE`).
pub const NETBSD_CORE_AUXV: u32 = 2;

/// The note owners of the first note types above.
pub const OWNER_CORE: &[u8] = b"CORE";
/// FreeBSD's owner name.
pub const OWNER_FREEBSD: &[u8] = b"FreeBSD";
/// NetBSD's process-note owner name; per-LWP notes are `NetBSD-CORE@<lid>`.
pub const OWNER_NETBSD: &[u8] = b"NetBSD-CORE";

/// Linux notes named by type alone (`CORE` and `LINUX` owners).
const LINUX: &[(u32, &str)] = &[
    (NT_PRSTATUS, "NT_PRSTATUS"),
    (NT_PRFPREG, "NT_PRFPREG"),
    (NT_PRPSINFO, "NT_PRPSINFO"),
    (4, "NT_TASKSTRUCT"),
    (NT_AUXV, "NT_AUXV"),
    (NT_SIGINFO, "NT_SIGINFO"),
    (NT_FILE, "NT_FILE"),
    (0x46e6_2b7f, "NT_PRXFPREG"),
    (0x100, "NT_PPC_VMX"),
    (0x101, "NT_PPC_SPE"),
    (0x102, "NT_PPC_VSX"),
    (0x103, "NT_PPC_TAR"),
    (0x104, "NT_PPC_PPR"),
    (0x105, "NT_PPC_DSCR"),
    (0x200, "NT_386_TLS"),
    (0x201, "NT_386_IOPERM"),
    (0x202, "NT_X86_XSTATE"),
    (0x204, "NT_X86_SHSTK"),
    (0x205, "NT_X86_XSAVE_LAYOUT"),
    (0x300, "NT_S390_HIGH_GPRS"),
    (0x301, "NT_S390_TIMER"),
    (0x302, "NT_S390_TODCMP"),
    (0x303, "NT_S390_TODPREG"),
    (0x304, "NT_S390_CTRS"),
    (0x305, "NT_S390_PREFIX"),
    (0x306, "NT_S390_LAST_BREAK"),
    (0x307, "NT_S390_SYSTEM_CALL"),
    (0x308, "NT_S390_TDB"),
    (0x309, "NT_S390_VXRS_LOW"),
    (0x30a, "NT_S390_VXRS_HIGH"),
    (0x30b, "NT_S390_GS_CB"),
    (0x30c, "NT_S390_GS_BC"),
    (0x30d, "NT_S390_RI_CB"),
    (0x30e, "NT_S390_PV_CPU_DATA"),
    (0x400, "NT_ARM_VFP"),
    (0x401, "NT_ARM_TLS"),
    (0x402, "NT_ARM_HW_BREAK"),
    (0x403, "NT_ARM_HW_WATCH"),
    (0x404, "NT_ARM_SYSTEM_CALL"),
    (0x405, "NT_ARM_SVE"),
    (0x406, "NT_ARM_PAC_MASK"),
    (0x407, "NT_ARM_PACA_KEYS"),
    (0x408, "NT_ARM_PACG_KEYS"),
    (0x409, "NT_ARM_TAGGED_ADDR_CTRL"),
    (0x40a, "NT_ARM_PAC_ENABLED_KEYS"),
    (0x40b, "NT_ARM_SSVE"),
    (0x40c, "NT_ARM_ZA"),
    (0x40d, "NT_ARM_ZT"),
    (0x500, "NT_ARC_V2"),
    (0x600, "NT_VMCOREDD"),
    (0x800, "NT_MIPS_DSP"),
    (0x801, "NT_MIPS_FP_MODE"),
    (0x802, "NT_MIPS_MSA"),
    (0x900, "NT_RISCV_CSR"),
    (0x901, "NT_RISCV_VECTOR"),
    (0xa00, "NT_LOONGARCH_CPUCFG"),
    (0xa01, "NT_LOONGARCH_CSR"),
    (0xa02, "NT_LOONGARCH_LSX"),
    (0xa03, "NT_LOONGARCH_LASX"),
    (0xa04, "NT_LOONGARCH_LBT"),
    (0xa05, "NT_LOONGARCH_HW_BREAK"),
    (0xa06, "NT_LOONGARCH_HW_WATCH"),
];

const FREEBSD: &[(u32, &str)] = &[
    (NT_PRSTATUS, "NT_PRSTATUS"),
    (NT_PRFPREG, "NT_FPREGSET"),
    (NT_PRPSINFO, "NT_PRPSINFO"),
    (NT_THRMISC, "NT_THRMISC"),
    (NT_PROCSTAT_PROC, "NT_PROCSTAT_PROC"),
    (NT_PROCSTAT_FILES, "NT_PROCSTAT_FILES"),
    (NT_PROCSTAT_VMMAP, "NT_PROCSTAT_VMMAP"),
    (NT_PROCSTAT_GROUPS, "NT_PROCSTAT_GROUPS"),
    (NT_PROCSTAT_UMASK, "NT_PROCSTAT_UMASK"),
    (NT_PROCSTAT_RLIMIT, "NT_PROCSTAT_RLIMIT"),
    (NT_PROCSTAT_OSREL, "NT_PROCSTAT_OSREL"),
    (NT_PROCSTAT_PSSTRINGS, "NT_PROCSTAT_PSSTRINGS"),
    (NT_PROCSTAT_AUXV, "NT_PROCSTAT_AUXV"),
    (NT_PTLWPINFO, "NT_PTLWPINFO"),
    (0x100, "NT_PPC_VMX"),
    (0x102, "NT_PPC_VSX"),
    (0x202, "NT_X86_XSTATE"),
    (0x203, "NT_X86_SEGBASES"),
    (0x400, "NT_ARM_VFP"),
    (0x401, "NT_ARM_TLS"),
    (0x406, "NT_ARM_ADDR_MASK"),
];

const ILLUMOS: &[(u32, &str)] = &[
    (NT_PRSTATUS, "NT_PRSTATUS"),
    (NT_PRFPREG, "NT_PRFPREG"),
    (NT_PRPSINFO, "NT_PRPSINFO"),
    (4, "NT_PRXREG"),
    (NT_PLATFORM, "NT_PLATFORM"),
    (NT_AUXV, "NT_AUXV"),
    (7, "NT_GWINDOWS"),
    (8, "NT_ASRS"),
    (9, "NT_LDT"),
    (NT_PSTATUS, "NT_PSTATUS"),
    (NT_PSINFO, "NT_PSINFO"),
    (NT_PRCRED, "NT_PRCRED"),
    (NT_UTSNAME, "NT_UTSNAME"),
    (NT_LWPSTATUS, "NT_LWPSTATUS"),
    (NT_LWPSINFO, "NT_LWPSINFO"),
    (18, "NT_PRPRIV"),
    (19, "NT_PRPRIVINFO"),
    (NT_CONTENT, "NT_CONTENT"),
    (NT_ZONENAME, "NT_ZONENAME"),
    (NT_FDINFO, "NT_FDINFO"),
    (23, "NT_SPYMASTER"),
    (NT_SECFLAGS, "NT_SECFLAGS"),
    (NT_LWPNAME, "NT_LWPNAME"),
    (26, "NT_UPANIC"),
    (27, "NT_CWD"),
];

/// NetBSD per-LWP note types: the ptrace request that reads the same data, per `e_machine`.
fn netbsd_lwp(machine: u16, t: u32) -> Option<&'static str> {
    use goblin::elf::header::{EM_386, EM_AARCH64, EM_X86_64};
    Some(match (machine, t) {
        (EM_X86_64, 33) | (EM_386, 33) | (EM_AARCH64, 32) => "PT_GETREGS",
        (EM_X86_64, 35) | (EM_386, 35) | (EM_AARCH64, 34) => "PT_GETFPREGS",
        (EM_X86_64, 37) | (EM_386, 39) => "PT_GETDBREGS",
        (EM_386, 37) => "PT_GETXMMREGS",
        (EM_X86_64, 41) | (EM_386, 43) => "PT_GETXSTATE",
        _ => return None,
    })
}

/// The name of a note of `owner` and type `t` in a core written by `flavor` for `e_machine`.
pub fn name(flavor: Flavor, machine: u16, owner: &[u8], t: u32) -> Option<&'static str> {
    let find =
        |table: &[(u32, &'static str)]| table.iter().find(|(v, _)| *v == t).map(|(_, name)| *name);
    match flavor {
        Flavor::Linux if owner == super::procsift::OWNER_PROCSIFT => {
            (t == super::procsift::NT_PROCSIFT_GCORE).then_some("NT_PROCSIFT_GCORE")
        }
        Flavor::Linux => find(LINUX),
        Flavor::FreeBsd => find(FREEBSD),
        Flavor::Illumos => find(ILLUMOS),
        Flavor::NetBsd if owner == OWNER_NETBSD => match t {
            NETBSD_CORE_PROCINFO => Some("NETBSD_CORE_PROCINFO"),
            NETBSD_CORE_AUXV => Some("NETBSD_CORE_AUXV"),
            _ => None,
        },
        Flavor::NetBsd if owner.starts_with(b"NetBSD-CORE@") => netbsd_lwp(machine, t),
        Flavor::NetBsd => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_per_system() {
        assert_eq!(name(Flavor::Linux, 62, b"CORE", NT_FILE), Some("NT_FILE"));
        assert_eq!(
            name(Flavor::Linux, 62, b"PROCSIFT", 0x5053_4743),
            Some("NT_PROCSIFT_GCORE")
        );
        // Another owner's type 1 is not NT_PRSTATUS.
        assert_eq!(name(Flavor::Linux, 62, b"PROCSIFT", 1), None);
        assert_eq!(
            name(Flavor::FreeBsd, 62, b"FreeBSD", 17),
            Some("NT_PTLWPINFO")
        );
        assert_eq!(name(Flavor::Illumos, 62, b"CORE", 17), Some("NT_LWPSINFO"));
        assert_eq!(
            name(Flavor::NetBsd, 62, b"NetBSD-CORE@2", 33),
            Some("PT_GETREGS")
        );
        assert_eq!(
            name(Flavor::NetBsd, 183, b"NetBSD-CORE@1", 34),
            Some("PT_GETFPREGS")
        );
        assert_eq!(
            name(Flavor::NetBsd, 62, b"NetBSD-CORE", 1),
            Some("NETBSD_CORE_PROCINFO")
        );
    }
}
