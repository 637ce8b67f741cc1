//! The per-architecture facts of `gcore`'s ptrace side: the machine a core is for, the size of the general
//! registers `PTRACE_GETREGSET` gives, where the stack pointer is in them, and the other register sets the
//! kernel writes in a core of that architecture, in the kernel's order.
//!
//! Sources: `arch/x86/kernel/ptrace.c` (`x86_64_regsets`), `arch/arm64/kernel/ptrace.c` (`aarch64_regsets`:
//! every register set there has a `core_note_type`, so `fill_thread_core_info()` of `fs/binfmt_elf.c`
//! writes each one the task has, in the array's order, skipping those whose `get` fails: the CPU lacks
//! the feature), `include/uapi/linux/elf.h` (the `NT_*` numbers), `arch/x86/include/asm/user_64.h`
//! (`user_regs_struct`), `arch/arm64/include/uapi/asm/ptrace.h` (`user_pt_regs`, `user_sve_header`,
//! `user_za_header`).

use super::notes::{
    NT_386_IOPERM, NT_ARM_FPMR, NT_ARM_GCS, NT_ARM_HW_BREAK, NT_ARM_HW_WATCH,
    NT_ARM_PAC_ENABLED_KEYS, NT_ARM_PAC_MASK, NT_ARM_PACA_KEYS, NT_ARM_PACG_KEYS, NT_ARM_POE,
    NT_ARM_SSVE, NT_ARM_SVE, NT_ARM_SYSTEM_CALL, NT_ARM_TAGGED_ADDR_CTRL, NT_ARM_TLS, NT_ARM_ZA,
    NT_ARM_ZT, NT_X86_SHSTK, NT_X86_XSTATE,
};
use super::writer::{self, Machine};

/// How long a register set is in a core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreLen {
    /// As long as `PTRACE_GETREGSET` says (it shortens the iovec to the set's `n * size`).
    AsGiven,
    /// As long as the `__u32 size` at its start says (`user_sve_header`, `user_za_header`): the kernel's
    /// `get` writes that many bytes, which is what its core holds, while `PTRACE_GETREGSET` reports the
    /// set's largest size.
    ByHeader,
}

/// A register set beyond the general and floating-point ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Regset {
    /// Its note type (`NT_*`), which is also `PTRACE_GETREGSET`'s `addr`.
    pub nt: u32,
    /// The buffer to read it into: at least the set's largest size, and a multiple of its register size
    /// (the kernel refuses an iovec that is not).
    pub buffer: usize,
    /// How long it is in the core.
    pub sized: CoreLen,
}

const fn set(nt: u32, buffer: usize) -> Regset {
    Regset {
        nt,
        buffer,
        sized: CoreLen::AsGiven,
    }
}

/// One architecture.
#[derive(Clone, Copy, Debug)]
pub struct Arch {
    /// The core's machine (`e_machine`) and `elf_prstatus` layout.
    pub machine: Machine,
    /// The size of `NT_PRSTATUS` from `PTRACE_GETREGSET` for a 64-bit process: `sizeof(user_regs_struct)`
    /// (x86_64, 27 registers) or `sizeof(user_pt_regs)` (aarch64, 34). A 32-bit process gives fewer
    /// (i386's 17 or arm's 18 registers of 4 bytes).
    pub gregs_size: usize,
    /// Which 8-byte register of the general ones is the stack pointer: `sp` (x86_64, 19) or `sp` after
    /// `x0`..`x30` (aarch64, 31).
    pub sp_index: usize,
    /// The 32-bit processes this architecture also runs, which gcore does not dump (for messages).
    pub compat: &'static str,
    /// The other register sets, in the order the kernel writes them in a core.
    pub extra: &'static [Regset],
}

/// x86_64 (`x86_64_regsets` of `arch/x86/kernel/ptrace.c`): `NT_386_IOPERM` (a thread that called
/// ioperm(2)), `NT_X86_XSTATE` (the XSAVE area), `NT_X86_SHSTK` (Linux 6.6 and later, with shadow stacks).
pub const X86_64: Arch = Arch {
    machine: writer::X86_64,
    gregs_size: 27 * 8,
    sp_index: 19,
    compat: "32-bit (i386)",
    extra: &[
        set(NT_386_IOPERM, 8192),
        set(NT_X86_XSTATE, 64 * 1024),
        set(NT_X86_SHSTK, 8),
    ],
};

/// The largest buffer an aarch64 register set needs: `NT_ARM_ZA` for the largest streaming vector length
/// (2048 bits: `ZA_PT_SIZE(16)`, 65,552 bytes); a multiple of every register size there (4, 8, 16, 64).
const ARM64_LARGE: usize = 128 * 1024;

/// aarch64 (`aarch64_regsets` of `arch/arm64/kernel/ptrace.c`, in its order; `NT_PRFPREG`,
/// `user_fpsimd_state`, is read as the floating-point set). A set the kernel or the CPU lacks (SVE, SME,
/// pointer authentication, MTE, FPMR, POE, GCS; `NT_ARM_ZT` before Linux 6.3, `NT_ARM_FPMR` before 6.9,
/// `NT_ARM_POE` before 6.12, `NT_ARM_GCS` before 6.13) fails with `EINVAL` or `ENODEV` and is left out,
/// as the kernel leaves it out of its own cores.
pub const AARCH64: Arch = Arch {
    machine: writer::AARCH64,
    gregs_size: 34 * 8,
    sp_index: 31,
    compat: "32-bit (arm)",
    extra: &[
        // tpidr_el0, and tpidr2_el0 since Linux 6.0 (8 bytes before).
        set(NT_ARM_TLS, 16),
        // struct user_hwdebug_state: dbg_info, pad, 16 (address, control, pad) slots.
        set(NT_ARM_HW_BREAK, 8 + 16 * 16),
        set(NT_ARM_HW_WATCH, 8 + 16 * 16),
        set(NT_ARM_FPMR, 8),
        set(NT_ARM_SYSTEM_CALL, 4),
        Regset {
            nt: NT_ARM_SVE,
            buffer: ARM64_LARGE,
            sized: CoreLen::ByHeader,
        },
        Regset {
            nt: NT_ARM_SSVE,
            buffer: ARM64_LARGE,
            sized: CoreLen::ByHeader,
        },
        Regset {
            nt: NT_ARM_ZA,
            buffer: ARM64_LARGE,
            sized: CoreLen::ByHeader,
        },
        // ZT0: 512 bits.
        set(NT_ARM_ZT, 64),
        // struct user_pac_mask: data_mask, insn_mask.
        set(NT_ARM_PAC_MASK, 16),
        set(NT_ARM_PAC_ENABLED_KEYS, 8),
        // struct user_pac_address_keys (four 128-bit keys), user_pac_generic_keys (one).
        set(NT_ARM_PACA_KEYS, 64),
        set(NT_ARM_PACG_KEYS, 16),
        set(NT_ARM_TAGGED_ADDR_CTRL, 8),
        set(NT_ARM_POE, 8),
        // struct user_gcs: features_enabled, features_locked, gcspr_el0.
        set(NT_ARM_GCS, 24),
    ],
};

/// The architecture procsift was built for, when gcore dumps its processes.
#[cfg(target_arch = "x86_64")]
pub const HOST: Option<&Arch> = Some(&X86_64);
/// The architecture procsift was built for, when gcore dumps its processes.
#[cfg(target_arch = "aarch64")]
pub const HOST: Option<&Arch> = Some(&AARCH64);
/// The architecture procsift was built for, when gcore dumps its processes.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub const HOST: Option<&Arch> = None;

impl Arch {
    /// The stack pointer in `gregs` (`NT_PRSTATUS`'s registers), when they hold it.
    pub fn sp(&self, gregs: &[u8]) -> Option<u64> {
        let at = self.sp_index.checked_mul(8)?;
        let b = gregs.get(at..at.checked_add(8)?)?;
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        Some(u64::from_le_bytes(w))
    }
}

impl Regset {
    /// How many of the `given` bytes `PTRACE_GETREGSET` returned belong in the core (all of them, or the
    /// header's size when that is between the header's own 16 bytes and `given`; else all).
    pub fn core_len(&self, bytes: &[u8]) -> usize {
        match self.sized {
            CoreLen::AsGiven => bytes.len(),
            CoreLen::ByHeader => {
                let Some(b) = bytes.get(..4) else {
                    return bytes.len();
                };
                let mut w = [0u8; 4];
                w.copy_from_slice(b);
                match usize::try_from(u32::from_le_bytes(w)) {
                    Ok(n) if (16..=bytes.len()).contains(&n) => n,
                    _ => bytes.len(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_pointers() {
        // x86_64: rsp is user_regs_struct's 20th register; aarch64: sp follows x0..x30.
        let mut x = vec![0u8; X86_64.gregs_size];
        x[19 * 8..20 * 8].copy_from_slice(&0x7ffd_1234_5678u64.to_le_bytes());
        assert_eq!(X86_64.sp(&x), Some(0x7ffd_1234_5678));
        let mut a = vec![0u8; AARCH64.gregs_size];
        a[31 * 8..32 * 8].copy_from_slice(&0xffff_c0de_0000u64.to_le_bytes());
        assert_eq!(AARCH64.sp(&a), Some(0xffff_c0de_0000));
        assert_eq!(AARCH64.sp(&a[..100]), None);
        assert_eq!((X86_64.gregs_size, AARCH64.gregs_size), (216, 272));
    }

    #[test]
    fn header_sized_sets() {
        let sve = AARCH64.extra.iter().find(|r| r.nt == NT_ARM_SVE).unwrap();
        let mut b = vec![0u8; 9000];
        b[..4].copy_from_slice(&544u32.to_le_bytes());
        assert_eq!(sve.core_len(&b), 544);
        b[..4].copy_from_slice(&9001u32.to_le_bytes());
        assert_eq!(sve.core_len(&b), 9000);
        b[..4].copy_from_slice(&8u32.to_le_bytes());
        assert_eq!(sve.core_len(&b), 9000);
        assert_eq!(sve.core_len(&b[..3]), 3);
        let tls = AARCH64.extra[0];
        assert_eq!(tls.core_len(&b[..16]), 16);
    }

    #[test]
    fn buffers_fit_the_register_sizes() {
        // The kernel refuses an iovec whose length is not a multiple of the set's register size (at most
        // 64 bytes: ZT0); each buffer is one.
        for r in AARCH64.extra {
            let unit = match r.nt {
                NT_ARM_ZT => 64,
                NT_ARM_SVE | NT_ARM_SSVE | NT_ARM_ZA | NT_ARM_PACA_KEYS | NT_ARM_PACG_KEYS => 16,
                NT_ARM_HW_BREAK | NT_ARM_HW_WATCH | NT_ARM_SYSTEM_CALL => 4,
                _ => 8,
            };
            assert_eq!(r.buffer % unit, 0, "{:#x}", r.nt);
        }
        let mut nts: Vec<u32> = AARCH64.extra.iter().map(|r| r.nt).collect();
        nts.dedup();
        assert_eq!(nts.len(), AARCH64.extra.len());
    }
}
