//! General registers of an LWP (`lwpstatus_t.pr_reg`, `prgregset_t` of `procfs_isa.h`) with their names.

use super::types::{Arch, Isa, Model};
use crate::abi::DataModel;

/// i386 `gregset_t` (`intel/sys/regset.h`, `_NGREG` 19): index order of `pr_reg`.
pub const I386_REG_NAMES: [&str; 19] = [
    "gs", "fs", "es", "ds", "edi", "esi", "ebp", "esp", "ebx", "edx", "ecx", "eax", "trapno",
    "err", "eip", "cs", "efl", "uesp", "ss",
];

/// amd64 `gregset_t` (`intel/sys/regset.h`, `_NGREG` 28): REG_R15 = 0 ... REG_GSBASE = 27.
pub const AMD64_REG_NAMES: [&str; 28] = [
    "r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8", "rdi", "rsi", "rbp", "rbx", "rdx", "rcx",
    "rax", "trapno", "err", "rip", "cs", "rfl", "rsp", "ss", "fs", "gs", "es", "ds", "fsbase",
    "gsbase",
];

/// SPARC v8 (ILP32) `prgregset_t` (`sparc/sys/procfs_isa.h`, `NPRGREG` 38): R_G0 ... R_I7, then
/// R_PSR 32, R_PC 33, R_nPC 34, R_Y 35, R_WIM 36, R_TBR 37.
pub const SPARC_REG_NAMES: [&str; 38] = [
    "g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7",
    "l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7",
    "psr", "pc", "npc", "y", "wim", "tbr",
];

/// SPARC v9 (LP64) `prgregset_t`: as [`SPARC_REG_NAMES`] but R_CCR 32, R_ASI 36, R_FPRS 37.
pub const SPARCV9_REG_NAMES: [&str; 38] = [
    "g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7",
    "l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7",
    "ccr", "pc", "npc", "y", "asi", "fprs",
];

/// General registers from `pr_reg` (`prgregset_t`), each zero-extended to 64 bits.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Registers {
    /// ISA whose register order `values` follow.
    pub isa: Isa,
    /// Data model (register width: 4 bytes ILP32, 8 bytes LP64).
    pub model: DataModel,
    /// Register values in `pr_reg` index order (names from [`Registers::names`]).
    pub values: Vec<u64>,
}

impl Registers {
    pub(crate) fn new<A: Arch>(regs: &A::GRegs) -> Self {
        Registers {
            isa: A::ISA,
            model: <A::M as Model>::MODEL,
            values: regs.as_ref().iter().map(|r| (*r).into()).collect(),
        }
    }

    /// The register names, in `pr_reg` index order.
    pub fn names(&self) -> &'static [&'static str] {
        match (self.isa, self.model) {
            (Isa::X86, DataModel::Ilp32) => &I386_REG_NAMES,
            (Isa::X86, DataModel::Lp64) => &AMD64_REG_NAMES,
            (Isa::Sparc, DataModel::Ilp32) => &SPARC_REG_NAMES,
            (Isa::Sparc, DataModel::Lp64) => &SPARCV9_REG_NAMES,
        }
    }

    /// `(name, value)` pairs in index order.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.names()
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }

    /// The value of the register called `name` (as in [`Registers::names`]).
    pub fn get(&self, name: &str) -> Option<u64> {
        let i = self.names().iter().position(|n| *n == name)?;
        self.values.get(i).copied()
    }

    /// Program counter: `eip` (i386, EIP 14), `rip` (amd64, REG_RIP 17), `pc` (SPARC, R_PC 33).
    pub fn pc(&self) -> Option<u64> {
        self.get(match (self.isa, self.model) {
            (Isa::X86, DataModel::Ilp32) => "eip",
            (Isa::X86, DataModel::Lp64) => "rip",
            (Isa::Sparc, _) => "pc",
        })
    }

    /// User stack pointer: `uesp` (i386, UESP 17; the `esp` slot is the kernel's pusha copy), `rsp`
    /// (amd64, REG_RSP 20), `o6` (SPARC %sp, R_O6 14).
    pub fn sp(&self) -> Option<u64> {
        self.get(match (self.isa, self.model) {
            (Isa::X86, DataModel::Ilp32) => "uesp",
            (Isa::X86, DataModel::Lp64) => "rsp",
            (Isa::Sparc, _) => "o6",
        })
    }

    /// Frame pointer: `ebp` (i386, EBP 6), `rbp` (amd64, REG_RBP 10), `i6` (SPARC %fp, R_I6 30).
    pub fn fp(&self) -> Option<u64> {
        self.get(match (self.isa, self.model) {
            (Isa::X86, DataModel::Ilp32) => "ebp",
            (Isa::X86, DataModel::Lp64) => "rbp",
            (Isa::Sparc, _) => "i6",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_procfs_isa_indices() {
        assert_eq!(I386_REG_NAMES[14], "eip");
        assert_eq!(I386_REG_NAMES[17], "uesp");
        assert_eq!(AMD64_REG_NAMES[14], "rax");
        assert_eq!(AMD64_REG_NAMES[17], "rip");
        assert_eq!(AMD64_REG_NAMES[20], "rsp");
        assert_eq!(AMD64_REG_NAMES[27], "gsbase");
        assert_eq!(SPARC_REG_NAMES[33], "pc");
        assert_eq!(SPARC_REG_NAMES[14], "o6");
        assert_eq!(SPARCV9_REG_NAMES[32], "ccr");
        let r = Registers {
            isa: Isa::Sparc,
            model: DataModel::Lp64,
            values: (0..38).collect(),
        };
        assert_eq!((r.pc(), r.sp(), r.fp()), (Some(33), Some(14), Some(30)));
        assert_eq!(r.get("fprs"), Some(37));
        assert_eq!(r.get("eip"), None);
    }
}
