//! What the unwinder knows of each architecture: the DWARF numbers of the dumped registers, which ones
//! are the stack pointer, frame pointer and return address, how a frame-pointer chain is laid out, and
//! which instructions are calls (to validate a return address found by scanning the stack).
//!
//! DWARF register numbers come from each processor's psABI: System V AMD64 ABI §3.6.2 (table 3.36),
//! i386 ABI (`eax`=0 ... `eip`=8), AAPCS64 "DWARF for the Arm 64-bit architecture" (x0..x30 = 0..30,
//! sp = 31), "DWARF for the Arm architecture" (r0..r15 = 0..15), the RISC-V ELF psABI (x0..x31 =
//! 0..31), the 64-bit PowerPC ELF ABI (r0..r31 = 0..31, lr = 65), the s390x ELF ABI (r0..r15 = 0..15),
//! the MIPS and LoongArch psABIs (r0..r31 = 0..31).

/// The architectures the unwinder distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// x86_64 (amd64).
    X86_64,
    /// i386.
    I386,
    /// aarch64 (arm64).
    Aarch64,
    /// 32-bit arm.
    Arm,
    /// riscv64.
    Riscv64,
    /// ppc64 and ppc64le.
    Ppc64,
    /// 32-bit ppc.
    Ppc,
    /// s390x.
    S390x,
    /// mips, every ABI (o32, n32, n64).
    Mips,
    /// loongarch64.
    Loongarch64,
    /// Anything else: only the context frame.
    Other,
}

/// The largest DWARF register number the unwinder tracks, plus one.
pub const NREGS: usize = 67;

impl Arch {
    /// The architecture of a core from its `CoreInfo.arch` name.
    pub fn from_name(name: &str) -> Arch {
        match name {
            "x86_64" => Arch::X86_64,
            "i386" => Arch::I386,
            "aarch64" => Arch::Aarch64,
            "arm" => Arch::Arm,
            "riscv64" => Arch::Riscv64,
            "ppc64" | "ppc64le" => Arch::Ppc64,
            "ppc" => Arch::Ppc,
            "s390x" => Arch::S390x,
            "mips" | "mips64" | "mips-o32" | "mips-n32" | "mips-n64" => Arch::Mips,
            "loongarch64" | "loongarch" => Arch::Loongarch64,
            _ => Arch::Other,
        }
    }

    /// Whether `.eh_frame`/`.debug_frame` unwinding is done for this architecture.
    pub fn has_cfi(self) -> bool {
        !matches!(self, Arch::Arm | Arch::Other)
    }

    /// DWARF number of the stack pointer.
    pub fn sp(self) -> u16 {
        match self {
            Arch::X86_64 => 7,
            Arch::I386 => 4,
            Arch::Aarch64 => 31,
            Arch::Arm => 13,
            Arch::Riscv64 => 2,
            Arch::Ppc64 | Arch::Ppc => 1,
            Arch::S390x => 15,
            Arch::Mips => 29,
            Arch::Loongarch64 => 3,
            Arch::Other => 0,
        }
    }

    /// DWARF number of the frame pointer, where the ABI has one.
    pub fn fp(self) -> Option<u16> {
        match self {
            Arch::X86_64 => Some(6),
            Arch::I386 => Some(5),
            Arch::Aarch64 => Some(29),
            Arch::Arm => Some(11),
            Arch::Riscv64 => Some(8),
            Arch::Loongarch64 => Some(22),
            Arch::Mips => Some(30),
            Arch::S390x => Some(11),
            Arch::Ppc64 | Arch::Ppc | Arch::Other => None,
        }
    }

    /// The register that holds the return address on entry to a function, when it is a real register
    /// (the link register); `None` where the call pushes it on the stack (x86).
    pub fn link_register(self) -> Option<u16> {
        match self {
            Arch::X86_64 | Arch::I386 | Arch::Other => None,
            Arch::Aarch64 => Some(30),
            Arch::Arm => Some(14),
            Arch::Riscv64 | Arch::Loongarch64 => Some(1),
            Arch::Ppc64 | Arch::Ppc => Some(65),
            Arch::S390x => Some(14),
            Arch::Mips => Some(31),
        }
    }

    /// What the CFA is above the caller's stack pointer (s390x: the 160-byte register save area).
    pub fn cfa_bias(self) -> u64 {
        match self {
            Arch::S390x => 160,
            _ => 0,
        }
    }

    /// The DWARF number of a register as the core names it, for the registers that matter to unwinding.
    pub fn dwarf_number(self, name: &str) -> Option<u16> {
        const X86_64: &[(&[&str], u16)] = &[
            (&["ax", "rax"], 0),
            (&["dx", "rdx"], 1),
            (&["cx", "rcx"], 2),
            (&["bx", "rbx"], 3),
            (&["si", "rsi"], 4),
            (&["di", "rdi"], 5),
            (&["bp", "rbp"], 6),
            (&["sp", "rsp"], 7),
        ];
        const I386: &[(&[&str], u16)] = &[
            (&["ax", "eax"], 0),
            (&["cx", "ecx"], 1),
            (&["dx", "edx"], 2),
            (&["bx", "ebx"], 3),
            (&["sp", "esp", "uesp"], 4),
            (&["bp", "ebp"], 5),
            (&["si", "esi"], 6),
            (&["di", "edi"], 7),
        ];
        const RISCV: [&str; 32] = [
            "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
            "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
            "t3", "t4", "t5", "t6",
        ];
        const LOONGARCH: [&str; 32] = [
            "zero", "ra", "tp", "sp", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "t0", "t1",
            "t2", "t3", "t4", "t5", "t6", "t7", "t8", "u0", "fp", "s0", "s1", "s2", "s3", "s4",
            "s5", "s6", "s7", "s8",
        ];
        const MIPS: [&str; 8] = ["k0", "k1", "gp", "sp", "fp", "ra", "t8", "t9"];
        let numbered = |prefix: &str, max: u16| {
            name.strip_prefix(prefix)
                .and_then(|n| n.parse::<u16>().ok())
                .filter(|n| *n < max)
        };
        let table = |t: &[(&[&str], u16)]| {
            t.iter()
                .find(|(names, _)| names.contains(&name))
                .map(|(_, n)| *n)
        };
        match self {
            Arch::X86_64 => table(X86_64).or_else(|| numbered("r", 16).filter(|n| *n >= 8)),
            Arch::I386 => table(I386),
            Arch::Aarch64 => match name {
                "lr" => Some(30),
                "sp" => Some(31),
                _ => numbered("x", 31),
            },
            Arch::Arm => match name {
                "fp" => Some(11),
                "ip" => Some(12),
                "sp" => Some(13),
                "lr" => Some(14),
                _ => numbered("r", 13),
            },
            Arch::Riscv64 => RISCV.iter().position(|n| *n == name).map(|i| i as u16),
            Arch::Loongarch64 => LOONGARCH.iter().position(|n| *n == name).map(|i| i as u16),
            Arch::Ppc64 | Arch::Ppc => match name {
                "lr" => Some(65),
                _ => numbered("r", 32),
            },
            Arch::S390x => numbered("r", 16),
            // The callee-saved and special registers have the same names in every MIPS ABI: s0..s7 are
            // 16..23; k0, k1, gp, sp, fp, ra are 26..31 (t8, t9 24, 25).
            Arch::Mips => match name {
                n if n.starts_with('s') && n.len() == 2 => numbered("s", 8).map(|i| 16 + i),
                _ => MIPS.iter().position(|n| *n == name).map(|i| match i {
                    6 => 24,
                    7 => 25,
                    i => 26 + i as u16,
                }),
            },
            Arch::Other => None,
        }
    }

    /// Whether the instruction that ends just before `ret` is a call, from the code bytes before it
    /// (`code` ends at `ret`; on arm the return address's thumb bit is already cleared). `None`: the
    /// architecture has no validator.
    pub fn call_before(self, code: &[u8], big_endian: bool) -> Option<bool> {
        let n = code.len();
        let word = |back: usize| -> Option<u32> {
            let b: [u8; 4] = code
                .get(n.checked_sub(back)?..n.checked_sub(back)? + 4)?
                .try_into()
                .ok()?;
            Some(if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            })
        };
        let half = |back: usize| -> Option<u16> {
            let b: [u8; 2] = code
                .get(n.checked_sub(back)?..n.checked_sub(back)? + 2)?
                .try_into()
                .ok()?;
            Some(if big_endian {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            })
        };
        let byte = |back: usize| n.checked_sub(back).and_then(|i| code.get(i)).copied();
        Some(match self {
            Arch::X86_64 | Arch::I386 => {
                // call rel32: E8 xx xx xx xx.
                if byte(5) == Some(0xe8) {
                    return Some(true);
                }
                // call r/m: FF /2, with the ModRM byte deciding the length: register (2 bytes), [reg]
                // (2), [reg+disp8] (3), [reg+disp32] or [rip+disp32] (6), with a SIB byte one more.
                for len in [2usize, 3, 4, 6, 7] {
                    if byte(len) != Some(0xff) {
                        continue;
                    }
                    let Some(modrm) = byte(len - 1) else { continue };
                    if (modrm >> 3) & 7 != 2 {
                        continue;
                    }
                    let md = modrm >> 6;
                    let rm = modrm & 7;
                    let sib = usize::from(md != 3 && rm == 4);
                    let disp = match md {
                        0 if rm == 5 => 4,
                        0 => 0,
                        1 => 1,
                        2 => 4,
                        _ => 0,
                    };
                    if 2 + sib + disp == len {
                        return Some(true);
                    }
                }
                false
            }
            Arch::Aarch64 => word(4).is_some_and(|i| {
                // BL imm26; BLR Xn; BLRAA/BLRAB/BLRAAZ/BLRABZ.
                i & 0xfc00_0000 == 0x9400_0000
                    || i & 0xffff_fc1f == 0xd63f_0000
                    || i & 0xfeff_f800 == 0xd63f_0800
            }),
            Arch::Arm => {
                // A32 BL / BLX imm, BLX reg; T32 BL/BLX (two halfwords), T16 BLX reg.
                let a32 = word(4).is_some_and(|i| {
                    i & 0x0f00_0000 == 0x0b00_0000
                        || i & 0xfe00_0000 == 0xfa00_0000
                        || i & 0x0fff_fff0 == 0x012f_ff30
                });
                let t32 = half(4).zip(half(2)).is_some_and(|(h1, h2)| {
                    h1 & 0xf800 == 0xf000 && (h2 & 0xd000 == 0xd000 || h2 & 0xd001 == 0xc000)
                });
                let t16 = half(2).is_some_and(|h| h & 0xff87 == 0x4780);
                a32 || t32 || t16
            }
            Arch::Riscv64 => {
                // JAL ra / JALR ra (rd = x1), and c.jalr (the compressed form writes ra).
                let jal = word(4).is_some_and(|i| {
                    let op = i & 0x7f;
                    let rd = (i >> 7) & 0x1f;
                    (op == 0x6f || op == 0x67) && rd == 1
                });
                let cjalr = half(2).is_some_and(|h| h & 0xf07f == 0x9002 && (h >> 7) & 0x1f != 0);
                jal || cjalr
            }
            Arch::Ppc64 | Arch::Ppc => word(4).is_some_and(|i| {
                // bl / bla (opcode 18, LK = 1); bctrl; blrl.
                i & 0xfc00_0001 == 0x4800_0001 || i == 0x4e80_0421 || i == 0x4e80_0021
            }),
            Arch::S390x => {
                // BRASL (6 bytes: C0 r5), BRAS (4: A7 r5), BAS (4: 4D), BASR (2: 0D).
                let brasl = byte(6) == Some(0xc0) && byte(5).is_some_and(|b| b & 0x0f == 5);
                let bras = byte(4) == Some(0xa7) && byte(3).is_some_and(|b| b & 0x0f == 5);
                let bas = byte(4) == Some(0x4d);
                let basr = byte(2) == Some(0x0d);
                brasl || bras || bas || basr
            }
            Arch::Mips => word(8).is_some_and(|i| {
                // The return address is after the delay slot: JAL, JALR (SPECIAL funct 9), BAL/BGEZAL.
                let op = i >> 26;
                op == 3
                    || (op == 0 && i & 0x3f == 9)
                    || (op == 1 && matches!((i >> 16) & 0x1f, 0x10 | 0x11))
            }),
            Arch::Loongarch64 => word(4).is_some_and(|i| {
                // BL (opcode 0x15 << 26) and JIRL with rd = ra.
                i >> 26 == 0x15 || (i >> 26 == 0x13 && i & 0x1f == 1)
            }),
            Arch::Other => return None,
        })
    }

    /// How many bytes before a return address the call validator reads.
    pub const CALL_WINDOW: usize = 8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x86_calls() {
        // call rel32
        assert_eq!(
            Arch::X86_64.call_before(&[0, 0, 0, 0xe8, 1, 2, 3, 4], false),
            Some(true)
        );
        // call *%rax (ff d0), call *0x8(%rbx) (ff 53 08), call *0x10(%rip) (ff 15 disp32)
        assert_eq!(
            Arch::X86_64.call_before(&[0x90, 0xff, 0xd0], false),
            Some(true)
        );
        assert_eq!(
            Arch::X86_64.call_before(&[0x90, 0xff, 0x53, 0x08], false),
            Some(true)
        );
        assert_eq!(
            Arch::X86_64.call_before(&[0xff, 0x15, 1, 2, 3, 4], false),
            Some(true)
        );
        // jmp *%rax (ff e0) and plain data are not calls
        assert_eq!(
            Arch::X86_64.call_before(&[0x90, 0xff, 0xe0], false),
            Some(false)
        );
        assert_eq!(Arch::X86_64.call_before(&[0; 8], false), Some(false));
        assert_eq!(Arch::X86_64.call_before(&[], false), Some(false));
    }

    #[test]
    fn aarch64_and_others() {
        let bl = 0x9400_0010u32.to_le_bytes();
        assert_eq!(Arch::Aarch64.call_before(&bl, false), Some(true));
        let blr = 0xd63f_0100u32.to_le_bytes();
        assert_eq!(Arch::Aarch64.call_before(&blr, false), Some(true));
        let ret = 0xd65f_03c0u32.to_le_bytes();
        assert_eq!(Arch::Aarch64.call_before(&ret, false), Some(false));
        let ppc_bl = 0x4800_0101u32.to_be_bytes();
        assert_eq!(Arch::Ppc64.call_before(&ppc_bl, true), Some(true));
        assert_eq!(Arch::Other.call_before(&ppc_bl, true), None);
    }

    #[test]
    fn register_names() {
        assert_eq!(Arch::X86_64.dwarf_number("bp"), Some(6));
        assert_eq!(Arch::X86_64.dwarf_number("rbp"), Some(6));
        assert_eq!(Arch::X86_64.dwarf_number("r12"), Some(12));
        assert_eq!(Arch::X86_64.dwarf_number("r1"), None);
        assert_eq!(Arch::I386.dwarf_number("ebx"), Some(3));
        assert_eq!(Arch::Aarch64.dwarf_number("x29"), Some(29));
        assert_eq!(Arch::Aarch64.dwarf_number("lr"), Some(30));
        assert_eq!(Arch::Riscv64.dwarf_number("s0"), Some(8));
        assert_eq!(Arch::Mips.dwarf_number("ra"), Some(31));
        assert_eq!(Arch::Mips.dwarf_number("s3"), Some(19));
        assert_eq!(Arch::Ppc64.dwarf_number("r31"), Some(31));
        assert_eq!(Arch::Loongarch64.dwarf_number("fp"), Some(22));
    }
}
