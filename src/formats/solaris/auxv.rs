//! `auxv_t` arrays (NT_AUXV, `/proc/<pid>/auxv`) from `sys/auxv.h`: 8 bytes per entry ILP32 (`auxv32_t`),
//! 16 bytes LP64.
//!
//! LP64 quirk: `a_type` is a 4-byte `int` followed by 4 bytes of compiler padding before the 8-byte
//! `a_un`; illumos does not clear that padding, so it holds garbage and is ignored here. The kernel
//! writes `__KERN_NAUXV_IMPL` entries padded with `AT_NULL`.

use super::error::{Lenient, array};
use super::types::{Int, Model, ULong, assert_model_size};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// Raw `auxv_t` / `auxv32_t`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawAuxv<M: Model> {
    pub a_type: Int<M>,
    /// Padding (LP64 only); garbage on illumos.
    pub _pad: M::Pad4,
    /// `a_un` (`a_val` / `a_ptr` / `a_fcn`).
    pub a_un: ULong<M>,
}
assert_model_size!(RawAuxv, 8, 16);

/// `AT_NULL`: end of the vector.
pub const AT_NULL: i32 = 0;

/// One auxiliary vector entry: `auxv_t` of `sys/auxv.h`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AuxvEntry {
    /// `a_type`: `AT_*` type.
    pub a_type: i32,
    /// `a_un.a_val` / `a_ptr`, zero-extended.
    pub value: u64,
}

impl AuxvEntry {
    /// The `AT_*` name of `a_type` (`sys/auxv.h`), if known.
    pub fn type_name(&self) -> Option<&'static str> {
        Some(match self.a_type {
            0 => "AT_NULL",
            1 => "AT_IGNORE",
            2 => "AT_EXECFD",
            3 => "AT_PHDR",
            4 => "AT_PHENT",
            5 => "AT_PHNUM",
            6 => "AT_PAGESZ",
            7 => "AT_BASE",
            8 => "AT_FLAGS",
            9 => "AT_ENTRY",
            25 => "AT_RANDOM",
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
            _ => return None,
        })
    }
}

/// Decodes entries up to (not including) the first `AT_NULL`; a trailing partial entry gives a warning.
pub(crate) fn auxv<M: Model>(bytes: &[u8]) -> Lenient<Vec<AuxvEntry>> {
    let mut done = false;
    let mut all = array::<RawAuxv<M>, _>(bytes, size_of::<RawAuxv<M>>(), "auxv_t", |r| {
        let e = AuxvEntry {
            a_type: r.a_type.get(),
            value: r.a_un.into(),
        };
        let keep = !done && e.a_type != AT_NULL;
        done |= e.a_type == AT_NULL;
        keep.then_some(e)
    });
    Lenient {
        value: all.value.drain(..).flatten().collect(),
        warning: all.warning,
    }
}
