//! General-register sets: which slot of a dumped register block is which register, per OS and
//! architecture, and which ones are the program counter, the stack pointer and the frame (or link)
//! register.
//!
//! Sources: Linux `user_regs_struct` / `pt_regs` of each architecture as `ELF_CORE_COPY_REGS` lays them
//! out (the table in the project's layout reference, checked against real cores); FreeBSD
//! `machine/reg.h`; NetBSD `machine/reg.h` (`_REG_*` indices).

use super::memory::read_word;
use crate::abi::Endianness;

/// A register block layout: names of uniform-width slots (empty name = unused slot).
#[derive(Debug)]
pub struct RegisterSet {
    /// Slot names in order; `""` marks a slot the kernel leaves unused.
    pub names: &'static [&'static str],
    /// Width of every slot in bytes (4 or 8).
    pub width: usize,
    /// Slot of the program counter.
    pub pc: usize,
    /// Slot of the stack pointer.
    pub sp: usize,
    /// Slot of the frame pointer, or of the link register where the ABI has no fixed frame pointer.
    pub frame: Option<usize>,
    /// Bits of the pc slot that are not address (s390 31-bit: the addressing-mode bit 31).
    pub pc_mask: u64,
    /// Added to the stack pointer slot to get the real stack pointer (sparc64: the 2047 stack bias).
    pub sp_bias: u64,
}

/// Registers of one thread as dumped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registers {
    /// Every named register with its value, in the block's order.
    pub values: Vec<(&'static str, u64)>,
    /// The program counter (masked as the architecture requires).
    pub pc: Option<u64>,
    /// The stack pointer (stack bias applied).
    pub sp: Option<u64>,
    /// The frame pointer (or link register; see [`RegisterSet::frame`]).
    pub frame: Option<u64>,
    /// The name of the `frame` register (`bp`, `x29`, `fp`, `lr`, ...).
    pub frame_name: Option<&'static str>,
}

impl RegisterSet {
    /// Bytes the set needs.
    pub fn size(&self) -> usize {
        self.names.len() * self.width
    }

    /// Decodes a register block; slots beyond `block` are left out (a short block is not an error here:
    /// the caller warns once about the note's size).
    pub fn decode(&self, block: &[u8], endian: Endianness) -> Registers {
        let slot = |i: usize| {
            block
                .get(i * self.width..(i + 1) * self.width)
                .map(|b| read_word(b, endian))
        };
        let values = self
            .names
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.is_empty())
            .filter_map(|(i, n)| Some((*n, slot(i)?)))
            .collect();
        Registers {
            values,
            pc: slot(self.pc).map(|v| v & self.pc_mask),
            sp: slot(self.sp).map(|v| v.wrapping_add(self.sp_bias)),
            frame: self.frame.and_then(slot),
            frame_name: self.frame.map(|i| self.names[i]),
        }
    }
}

const fn set(
    names: &'static [&'static str],
    width: usize,
    pc: usize,
    sp: usize,
    frame: usize,
) -> RegisterSet {
    RegisterSet {
        names,
        width,
        pc,
        sp,
        frame: Some(frame),
        pc_mask: u64::MAX,
        sp_bias: 0,
    }
}

/// Linux i386 `user_regs_struct` (17 × 4).
pub static LINUX_I386: RegisterSet = set(
    &[
        "bx", "cx", "dx", "si", "di", "bp", "ax", "ds", "es", "fs", "gs", "orig_ax", "ip", "cs",
        "flags", "sp", "ss",
    ],
    4,
    12,
    15,
    5,
);

const X86_64_NAMES: &[&str] = &[
    "r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx", "si", "di",
    "orig_ax", "ip", "cs", "flags", "sp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
];
/// Linux x86_64 and x32 `user_regs_struct` (27 × 8).
pub static LINUX_X86_64: RegisterSet = set(X86_64_NAMES, 8, 16, 19, 4);

/// Linux aarch64 `user_pt_regs` (34 × 8).
pub static LINUX_AARCH64: RegisterSet = set(
    &[
        "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
        "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26",
        "x27", "x28", "x29", "x30", "sp", "pc", "pstate",
    ],
    8,
    32,
    31,
    29,
);

/// Linux arm (EABI) `pt_regs` `uregs[18]`.
pub static LINUX_ARM: RegisterSet = set(
    &[
        "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "fp", "ip", "sp", "lr",
        "pc", "cpsr", "orig_r0",
    ],
    4,
    15,
    13,
    11,
);

/// Linux m68k `ELF_CORE_COPY_REGS` (20 × 4; `fmtvec` = format << 12 | vector).
pub static LINUX_M68K: RegisterSet = set(
    &[
        "d1", "d2", "d3", "d4", "d5", "d6", "d7", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "d0",
        "usp", "orig_d0", "sr", "pc", "fmtvec",
    ],
    4,
    18,
    15,
    13,
);

const S390_NAMES: &[&str] = &[
    "psw_mask", "psw_addr", "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10",
    "r11", "r12", "r13", "r14", "r15",
];
/// Linux s390 (31-bit) `s390_compat_regs`: the PSW and the 16 general registers (access registers follow).
pub static LINUX_S390: RegisterSet = RegisterSet {
    names: S390_NAMES,
    width: 4,
    pc: 1,
    sp: 17,
    frame: Some(13),
    pc_mask: 0x7fff_ffff,
    sp_bias: 0,
};
/// Linux s390x `s390_regs`: the PSW and the 16 general registers (access registers follow).
pub static LINUX_S390X: RegisterSet = set(S390_NAMES, 8, 1, 17, 13);

const PPC_NAMES: &[&str] = &[
    "r0",
    "r1",
    "r2",
    "r3",
    "r4",
    "r5",
    "r6",
    "r7",
    "r8",
    "r9",
    "r10",
    "r11",
    "r12",
    "r13",
    "r14",
    "r15",
    "r16",
    "r17",
    "r18",
    "r19",
    "r20",
    "r21",
    "r22",
    "r23",
    "r24",
    "r25",
    "r26",
    "r27",
    "r28",
    "r29",
    "r30",
    "r31",
    "nip",
    "msr",
    "orig_gpr3",
    "ctr",
    "lr",
    "xer",
    "ccr",
    "mq_softe",
    "trap",
    "dar",
    "dsisr",
    "result",
    "",
    "",
    "",
    "",
];
/// Linux ppc `pt_regs` (48 × 4); no fixed frame pointer, so the link register is reported.
pub static LINUX_PPC: RegisterSet = set(PPC_NAMES, 4, 32, 1, 36);
/// Linux ppc64 / ppc64le `pt_regs` (48 × 8).
pub static LINUX_PPC64: RegisterSet = set(PPC_NAMES, 8, 32, 1, 36);

/// Linux riscv64 `user_regs_struct` (32 × 8).
pub static LINUX_RISCV64: RegisterSet = set(
    &[
        "pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
        "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
        "t5", "t6",
    ],
    8,
    0,
    2,
    8,
);

/// Linux mips o32 (45 × 4; `EF_R0` = 6).
pub static LINUX_MIPS_O32: RegisterSet = set(
    &[
        "", "", "", "", "", "", "zero", "at", "v0", "v1", "a0", "a1", "a2", "a3", "t0", "t1", "t2",
        "t3", "t4", "t5", "t6", "t7", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "t8", "t9",
        "k0", "k1", "gp", "sp", "fp", "ra", "lo", "hi", "epc", "badvaddr", "status", "cause", "",
    ],
    4,
    40,
    35,
    36,
);

const MIPS64_NAMES: &[&str] = &[
    "zero", "at", "v0", "v1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "t0", "t1", "t2",
    "t3", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "t8", "t9", "k0", "k1", "gp", "sp", "fp",
    "ra", "lo", "hi", "epc", "badvaddr", "status", "cause", "", "", "", "", "", "", "",
];
/// Linux mips n32 and n64 (45 × 8).
pub static LINUX_MIPS64: RegisterSet = set(MIPS64_NAMES, 8, 34, 29, 30);

/// Linux sparc64 (36 × 8); `o6` is the biased stack pointer.
pub static LINUX_SPARC64: RegisterSet = RegisterSet {
    names: &[
        "g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "o0", "o1", "o2", "o3", "o4", "o5", "sp",
        "o7", "l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "i0", "i1", "i2", "i3", "i4", "i5",
        "fp", "i7", "tstate", "tpc", "tnpc", "y",
    ],
    width: 8,
    pc: 33,
    sp: 14,
    frame: Some(30),
    pc_mask: u64::MAX,
    sp_bias: 2047,
};

/// Linux alpha: `dump_elf_thread()` (`arch/alpha/kernel/process.c`), 33 × 8: r0..r28 by their software
/// names, gp (29), the user stack pointer (30), pc (31) and the thread's `unique` (32).
pub static LINUX_ALPHA: RegisterSet = set(
    &[
        "v0", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "s0", "s1", "s2", "s3", "s4", "s5",
        "fp", "a0", "a1", "a2", "a3", "a4", "a5", "t8", "t9", "t10", "t11", "ra", "t12", "at",
        "gp", "sp", "pc", "unique",
    ],
    8,
    31,
    30,
    15,
);

/// Linux hppa (parisc): `ELF_CORE_COPY_REGS` (`arch/parisc/include/asm/elf.h`), 80 × 4: gr0..gr31,
/// sr0..sr7, iaoq (the instruction address queue: pc is `iaoq[0]` with the privilege level in its low two
/// bits), iasq, sar, iir, isr, ior, then control registers; slots 64..79 unused. sp is gr30; gr3 is the
/// frame pointer by convention.
pub static LINUX_HPPA: RegisterSet = RegisterSet {
    names: &[
        "gr0", "gr1", "rp", "gr3", "gr4", "gr5", "gr6", "gr7", "gr8", "gr9", "gr10", "gr11",
        "gr12", "gr13", "gr14", "gr15", "gr16", "gr17", "gr18", "gr19", "gr20", "gr21", "gr22",
        "gr23", "gr24", "gr25", "gr26", "dp", "ret0", "ret1", "sp", "gr31", "sr0", "sr1", "sr2",
        "sr3", "sr4", "sr5", "sr6", "sr7", "iaoq0", "iaoq1", "iasq0", "iasq1", "sar", "iir", "isr",
        "ior", "ipsw", "cr0", "cr24", "cr25", "cr26", "cr27", "cr28", "cr29", "cr30", "cr31",
        "cr8", "cr9", "cr12", "cr13", "cr10", "cr15", "", "", "", "", "", "", "", "", "", "", "",
        "", "", "", "", "",
    ],
    width: 4,
    pc: 40,
    sp: 30,
    frame: Some(3),
    pc_mask: !3,
    sp_bias: 0,
};

/// Linux loongarch64: `loongarch_dump_regs64()` with the `LOONGARCH_EF_*` slots of
/// `arch/loongarch/include/uapi/asm/reg.h`, 45 × 8: r0..r31 (r1 ra, r3 sp, r22 fp), orig_a0 (32),
/// csr_era = pc (33), csr_badv, crmd, prmd, euen, ecfg, estat (39); slots 40..44 reserved.
pub static LINUX_LOONGARCH64: RegisterSet = set(
    &[
        "zero", "ra", "tp", "sp", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "t0", "t1", "t2",
        "t3", "t4", "t5", "t6", "t7", "t8", "u0", "fp", "s0", "s1", "s2", "s3", "s4", "s5", "s6",
        "s7", "s8", "orig_a0", "era", "badv", "crmd", "prmd", "euen", "ecfg", "estat", "", "", "",
        "", "",
    ],
    8,
    33,
    3,
    22,
);

/// Linux sh (SuperH): `struct pt_regs` copied whole by `ELF_CORE_COPY_REGS` (`arch/sh/include/asm/elf.h`,
/// `arch/sh/include/uapi/asm/ptrace_32.h`), 23 × 4: r0..r15 (r15 sp, r14 fp), pc, pr, sr, gbr, mach, macl,
/// tra.
pub static LINUX_SH: RegisterSet = set(
    &[
        "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "r13",
        "r14", "r15", "pc", "pr", "sr", "gbr", "mach", "macl", "tra",
    ],
    4,
    16,
    15,
    14,
);

/// FreeBSD i386 `struct reg` (`__reg32`, 19 × 4).
pub static FREEBSD_I386: RegisterSet = set(
    &[
        "fs", "es", "ds", "edi", "esi", "ebp", "isp", "ebx", "edx", "ecx", "eax", "trapno", "err",
        "eip", "cs", "eflags", "esp", "ss", "gs",
    ],
    4,
    13,
    16,
    5,
);

/// FreeBSD aarch64 `struct reg` (x0..x29, lr, sp, elr, spsr).
pub static FREEBSD_AARCH64: RegisterSet = set(
    &[
        "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
        "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26",
        "x27", "x28", "x29", "lr", "sp", "elr", "spsr",
    ],
    8,
    32,
    31,
    29,
);

/// NetBSD amd64 `struct reg` (`_REG_*`, 26 × 8).
pub static NETBSD_AMD64: RegisterSet = set(
    &[
        "rdi", "rsi", "rdx", "rcx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rbp",
        "rbx", "rax", "gs", "fs", "es", "ds", "trapno", "err", "rip", "cs", "rflags", "rsp", "ss",
    ],
    8,
    21,
    24,
    12,
);

/// NetBSD i386 `struct reg` (16 × 4).
pub static NETBSD_I386: RegisterSet = set(
    &[
        "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags", "cs", "ss", "ds",
        "es", "fs", "gs",
    ],
    4,
    8,
    4,
    5,
);

/// NetBSD aarch64 `struct reg` (x0..x30, sp, pc, spsr, tpidr).
pub static NETBSD_AARCH64: RegisterSet = set(
    &[
        "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
        "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26",
        "x27", "x28", "x29", "x30", "sp", "pc", "spsr", "tpidr",
    ],
    8,
    32,
    31,
    29,
);

/// FreeBSD amd64 `struct reg` (`__reg64`) has 16-bit and 32-bit fields among the 64-bit ones, so it is
/// decoded field by field: (name, offset, size).
pub const FREEBSD_AMD64_FIELDS: &[(&str, usize, usize)] = &[
    ("r15", 0, 8),
    ("r14", 8, 8),
    ("r13", 16, 8),
    ("r12", 24, 8),
    ("r11", 32, 8),
    ("r10", 40, 8),
    ("r9", 48, 8),
    ("r8", 56, 8),
    ("rdi", 64, 8),
    ("rsi", 72, 8),
    ("rbp", 80, 8),
    ("rbx", 88, 8),
    ("rdx", 96, 8),
    ("rcx", 104, 8),
    ("rax", 112, 8),
    ("trapno", 120, 4),
    ("fs", 124, 2),
    ("gs", 126, 2),
    ("err", 128, 4),
    ("es", 132, 2),
    ("ds", 134, 2),
    ("rip", 136, 8),
    ("cs", 144, 8),
    ("rflags", 152, 8),
    ("rsp", 160, 8),
    ("ss", 168, 8),
];

/// Decodes FreeBSD amd64 `struct reg`.
pub fn decode_freebsd_amd64(block: &[u8], endian: Endianness) -> Registers {
    let values: Vec<(&'static str, u64)> = FREEBSD_AMD64_FIELDS
        .iter()
        .filter_map(|(n, off, size)| Some((*n, read_word(block.get(*off..off + size)?, endian))))
        .collect();
    let get = |name: &str| values.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    Registers {
        pc: get("rip"),
        sp: get("rsp"),
        frame: get("rbp"),
        frame_name: Some("rbp"),
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_consistent() {
        for s in [
            &LINUX_I386,
            &LINUX_X86_64,
            &LINUX_AARCH64,
            &LINUX_ARM,
            &LINUX_M68K,
            &LINUX_S390,
            &LINUX_S390X,
            &LINUX_PPC,
            &LINUX_PPC64,
            &LINUX_RISCV64,
            &LINUX_MIPS_O32,
            &LINUX_MIPS64,
            &LINUX_SPARC64,
            &LINUX_ALPHA,
            &LINUX_HPPA,
            &LINUX_LOONGARCH64,
            &LINUX_SH,
            &FREEBSD_I386,
            &FREEBSD_AARCH64,
            &NETBSD_AMD64,
            &NETBSD_I386,
            &NETBSD_AARCH64,
        ] {
            assert!(s.pc < s.names.len() && s.sp < s.names.len());
            assert!(!s.names[s.pc].is_empty() && !s.names[s.sp].is_empty());
        }
        assert_eq!(LINUX_I386.size(), 68);
        assert_eq!(LINUX_X86_64.size(), 216);
        assert_eq!(LINUX_AARCH64.size(), 272);
        assert_eq!(LINUX_ARM.size(), 72);
        assert_eq!(LINUX_M68K.size(), 80);
        assert_eq!(LINUX_PPC.size(), 192);
        assert_eq!(LINUX_PPC64.size(), 384);
        assert_eq!(LINUX_RISCV64.size(), 256);
        assert_eq!(LINUX_MIPS_O32.size(), 180);
        assert_eq!(LINUX_MIPS64.size(), 360);
        assert_eq!(LINUX_SPARC64.size(), 288);
        // ELF_NGREG × sizeof(elf_greg_t): alpha 33 × 8, hppa 80 × 4, loongarch 45 × 8, sh 23 × 4.
        assert_eq!(LINUX_ALPHA.size(), 264);
        assert_eq!(LINUX_HPPA.size(), 320);
        assert_eq!(LINUX_LOONGARCH64.size(), 360);
        assert_eq!(LINUX_SH.size(), 92);
        assert_eq!(FREEBSD_I386.size(), 76);
        assert_eq!(FREEBSD_AARCH64.size(), 272);
        assert_eq!(NETBSD_AMD64.size(), 208);
        assert_eq!(NETBSD_I386.size(), 64);
        assert_eq!(NETBSD_AARCH64.size(), 280);
    }

    #[test]
    fn masks_and_bias() {
        let mut block = vec![0u8; 18 * 4];
        block[4..8].copy_from_slice(&0x8040_009au32.to_be_bytes());
        let r = LINUX_S390.decode(&block, Endianness::Big);
        assert_eq!(r.pc, Some(0x40009a));
        let mut block = vec![0u8; 36 * 8];
        block[14 * 8..15 * 8].copy_from_slice(&0x7fe_ffa0_0f91u64.to_be_bytes());
        let r = LINUX_SPARC64.decode(&block, Endianness::Big);
        assert_eq!(r.sp, Some(0x7fe_ffa0_0f91 + 2047));
    }
}
