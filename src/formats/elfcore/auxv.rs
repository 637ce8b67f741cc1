//! Auxiliary vectors (`NT_AUXV`, FreeBSD `NT_PROCSTAT_AUXV`, NetBSD `NetBSD-CORE` type 2): (type, value)
//! pairs and the `AT_*` names of each system.
//!
//! Sources: Linux `include/uapi/linux/auxvec.h` and `arch/*/include/uapi/asm/auxvec.h`; FreeBSD
//! `sys/sys/elf_common.h`; illumos `usr/src/uts/common/sys/auxv.h`; NetBSD `sys/sys/exec_elf.h`.

use super::Flavor;
use super::memory::read_word;
use crate::abi::Endianness;

/// `AT_NULL`: the end of the vector.
pub const AT_NULL: u64 = 0;

/// Decodes pairs of `word`-byte integers until `AT_NULL` or the end of `bytes`. With `type_is_u32`, the
/// type is a 32-bit word followed by padding (illumos and NetBSD 64-bit `auxv_t`: the padding may hold
/// garbage and is ignored).
pub fn pairs(bytes: &[u8], word: usize, type_is_u32: bool, endian: Endianness) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    // Only 4- and 8-byte words exist; anything else (a hostile structsize) decodes nothing.
    if word != 4 && word != 8 {
        return out;
    }
    for entry in bytes.chunks_exact(2 * word) {
        let a_type = if type_is_u32 {
            // The 32-bit a_type comes first in memory in both byte orders.
            read_word(&entry[..4], endian)
        } else {
            read_word(&entry[..word], endian)
        };
        if a_type == AT_NULL {
            break;
        }
        out.push((a_type, read_word(&entry[word..], endian)));
    }
    out
}

/// The `AT_*` name of an auxv type on `flavor`, if known.
pub fn name(flavor: Flavor, a_type: u64) -> Option<&'static str> {
    // Types 0..=9 and 11..=14 mean the same everywhere (SVR4 gABI).
    let common = match a_type {
        0 => Some("AT_NULL"),
        1 => Some("AT_IGNORE"),
        2 => Some("AT_EXECFD"),
        3 => Some("AT_PHDR"),
        4 => Some("AT_PHENT"),
        5 => Some("AT_PHNUM"),
        6 => Some("AT_PAGESZ"),
        7 => Some("AT_BASE"),
        8 => Some("AT_FLAGS"),
        9 => Some("AT_ENTRY"),
        _ => None,
    };
    if common.is_some() {
        return common;
    }
    match flavor {
        Flavor::Linux => Some(match a_type {
            10 => "AT_NOTELF",
            11 => "AT_UID",
            12 => "AT_EUID",
            13 => "AT_GID",
            14 => "AT_EGID",
            15 => "AT_PLATFORM",
            16 => "AT_HWCAP",
            17 => "AT_CLKTCK",
            18 => "AT_FPUCW",
            19 => "AT_DCACHEBSIZE",
            20 => "AT_ICACHEBSIZE",
            21 => "AT_UCACHEBSIZE",
            22 => "AT_IGNOREPPC",
            23 => "AT_SECURE",
            24 => "AT_BASE_PLATFORM",
            25 => "AT_RANDOM",
            26 => "AT_HWCAP2",
            27 => "AT_RSEQ_FEATURE_SIZE",
            28 => "AT_RSEQ_ALIGN",
            29 => "AT_HWCAP3",
            30 => "AT_HWCAP4",
            31 => "AT_EXECFN",
            32 => "AT_SYSINFO",
            33 => "AT_SYSINFO_EHDR",
            34 => "AT_L1I_CACHESHAPE",
            35 => "AT_L1D_CACHESHAPE",
            36 => "AT_L2_CACHESHAPE",
            37 => "AT_L3_CACHESHAPE",
            40 => "AT_L1I_CACHESIZE",
            41 => "AT_L1I_CACHEGEOMETRY",
            42 => "AT_L1D_CACHESIZE",
            43 => "AT_L1D_CACHEGEOMETRY",
            44 => "AT_L2_CACHESIZE",
            45 => "AT_L2_CACHEGEOMETRY",
            46 => "AT_L3_CACHESIZE",
            47 => "AT_L3_CACHEGEOMETRY",
            51 => "AT_MINSIGSTKSZ",
            _ => return None,
        }),
        Flavor::FreeBsd => Some(match a_type {
            10 => "AT_NOTELF",
            11 => "AT_UID",
            12 => "AT_EUID",
            13 => "AT_GID",
            14 => "AT_EGID",
            15 => "AT_EXECPATH",
            16 => "AT_CANARY",
            17 => "AT_CANARYLEN",
            18 => "AT_OSRELDATE",
            19 => "AT_NCPUS",
            20 => "AT_PAGESIZES",
            21 => "AT_PAGESIZESLEN",
            22 => "AT_TIMEKEEP",
            23 => "AT_STACKPROT",
            24 => "AT_EHDRFLAGS",
            25 => "AT_HWCAP",
            26 => "AT_HWCAP2",
            27 => "AT_BSDFLAGS",
            28 => "AT_ARGC",
            29 => "AT_ARGV",
            30 => "AT_ENVC",
            31 => "AT_ENVV",
            32 => "AT_PS_STRINGS",
            33 => "AT_FXRNG",
            34 => "AT_KPRELOAD",
            35 => "AT_USRSTACKBASE",
            36 => "AT_USRSTACKLIM",
            _ => return None,
        }),
        // NetBSD `sys/sys/exec_elf.h`: 10-13 are its own; 2000-2014 the Solaris-compatible vendor types.
        Flavor::NetBsd => Some(match a_type {
            10 => "AT_DCACHEBSIZE",
            11 => "AT_ICACHEBSIZE",
            12 => "AT_UCACHEBSIZE",
            13 => "AT_STACKBASE",
            2000 => "AT_EUID",
            2001 => "AT_RUID",
            2002 => "AT_EGID",
            2003 => "AT_RGID",
            2004 => "AT_SUN_LDELF",
            2005 => "AT_SUN_LDSHDR",
            2006 => "AT_SUN_LDNAME",
            2007 => "AT_SUN_LPGSIZE",
            2008 => "AT_SUN_PLATFORM",
            2009 => "AT_SUN_HWCAP",
            2010 => "AT_SUN_IFLUSH",
            2011 => "AT_SUN_CPU",
            2012 => "AT_SUN_EMUL_ENTRY",
            2013 => "AT_SUN_EMUL_EXECFD",
            2014 => "AT_SUN_EXECNAME",
            _ => return None,
        }),
        Flavor::Illumos => Some(match a_type {
            2000 => "AT_SUN_UID",
            2001 => "AT_SUN_RUID",
            2002 => "AT_SUN_GID",
            2003 => "AT_SUN_RGID",
            2004 => "AT_SUN_LDELF",
            2005 => "AT_SUN_LDSHDR",
            2006 => "AT_SUN_LDNAME",
            2007 => "AT_SUN_LPAGESZ",
            2008 => "AT_SUN_PLATFORM",
            2009 => "AT_SUN_HWCAP",
            2010 => "AT_SUN_IFLUSH",
            2011 => "AT_SUN_CPU",
            2012 => "AT_SUN_EMUL_ENTRY",
            2013 => "AT_SUN_EMUL_EXECFD",
            2014 => "AT_SUN_EXECNAME",
            2015 => "AT_SUN_MMU",
            2016 => "AT_SUN_LDDATA",
            2017 => "AT_SUN_AUXFLAGS",
            2018 => "AT_SUN_EMULATOR",
            2019 => "AT_SUN_BRANDNAME",
            2020 => "AT_SUN_BRAND_AUX1",
            2021 => "AT_SUN_BRAND_AUX2",
            2022 => "AT_SUN_BRAND_AUX3",
            2023 => "AT_SUN_HWCAP2",
            2027 => "AT_SUN_COMMPAGE",
            2028 => "AT_SUN_FPTYPE",
            2029 => "AT_SUN_FPSIZE",
            _ => return None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_stop_at_null_and_ignore_padding() {
        let mut b = Vec::new();
        for (t, v) in [(6u64, 4096u64), (3, 0x400040), (0, 0), (9, 1)] {
            b.extend_from_slice(&(t as u32).to_le_bytes());
            b.extend_from_slice(&0xdeadbeefu32.to_le_bytes()); // garbage padding
            b.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(
            pairs(&b, 8, true, Endianness::Little),
            vec![(6, 4096), (3, 0x400040)]
        );
        assert_eq!(
            pairs(&b[..20], 8, true, Endianness::Little),
            vec![(6, 4096)]
        );
        assert_eq!(name(Flavor::Linux, 33), Some("AT_SYSINFO_EHDR"));
        assert_eq!(name(Flavor::FreeBsd, 18), Some("AT_OSRELDATE"));
        assert_eq!(name(Flavor::NetBsd, 13), Some("AT_STACKBASE"));
        assert_eq!(name(Flavor::NetBsd, 2014), Some("AT_SUN_EXECNAME"));
    }

    #[test]
    fn word_sizes_that_do_not_exist_decode_nothing() {
        let b = [1u8; 64];
        for word in [0, 1, 2, 3, 5, 16, usize::MAX] {
            for u32_type in [false, true] {
                assert!(
                    pairs(&b, word, u32_type, Endianness::Little).is_empty(),
                    "{word}"
                );
            }
        }
    }
}
