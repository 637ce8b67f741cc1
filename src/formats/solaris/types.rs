//! Data models, ISAs and byte orders, the zerocopy building blocks shared by every structure, and the small
//! decoded types (`timestruc_t`, `sigset_t`, `siginfo_t`, `struct sigaction`, `stack_t`) that several
//! structures embed.
//!
//! Raw structures are `#[repr(C)]` zerocopy structs whose fields all have alignment 1
//! ([`zerocopy::byteorder`] types and byte arrays). The C compiler's padding is spelled out as explicit
//! fields. One struct definition serves all four (data model × byte order) combinations through the
//! `Model` trait (`Ilp32<O>`, `Lp64<O>`), and ISA-dependent ones (register sets) through `Arch`.

use std::marker::PhantomData;

use zerocopy::byteorder::{BigEndian, ByteOrder, I32, I64, LittleEndian, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use crate::abi::{DataModel, Endianness};

/// The instruction-set family; it decides the register sets inside `lwpstatus_t`/`pstatus_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Isa {
    /// i386 (ILP32) and amd64 (LP64): `intel/sys/regset.h`, `intel/sys/procfs_isa.h`.
    X86,
    /// sparc (ILP32, v8 view) and sparcv9 (LP64): `sparc/sys/procfs_isa.h`.
    Sparc,
}

impl Isa {
    /// The byte order every illumos/Solaris kernel of this ISA uses (x86 little, SPARC big endian).
    pub fn native_endian(self) -> Endianness {
        match self {
            Isa::X86 => Endianness::Little,
            Isa::Sparc => Endianness::Big,
        }
    }
}

/// What an ISA-independent structure's layout depends on: data model and byte order.
///
/// `psinfo_t`, `lwpsinfo_t`, `prusage_t`, `prmap_t`, `prxmap_t`, `auxv_t`, `struct sigaction` and
/// `prheader_t` are byte-for-byte the same on x86 and SPARC of one data model (layouts.md §1.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    /// `long`/pointer width.
    pub model: DataModel,
    /// Byte order.
    pub endian: Endianness,
}

impl Layout {
    /// A layout from its two parts.
    pub fn new(model: DataModel, endian: Endianness) -> Self {
        Layout { model, endian }
    }
}

/// What an ISA-dependent structure's layout depends on (`lwpstatus_t`, `pstatus_t`, `lstatus`):
/// ISA, data model and byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// Instruction-set family (register-set layout).
    pub isa: Isa,
    /// `long`/pointer width.
    pub model: DataModel,
    /// Byte order.
    pub endian: Endianness,
}

impl Target {
    /// A target from its parts.
    pub fn new(isa: Isa, model: DataModel, endian: Endianness) -> Self {
        Target { isa, model, endian }
    }

    /// The target with the ISA's native byte order (x86 little, SPARC big endian).
    pub fn native(isa: Isa, model: DataModel) -> Self {
        Target::new(isa, model, isa.native_endian())
    }

    /// The ISA-independent part.
    pub fn layout(self) -> Layout {
        Layout::new(self.model, self.endian)
    }
}

/// A field type of a raw structure: plain bytes, alignment 1, any bit pattern valid.
pub(crate) trait Field:
    FromBytes + KnownLayout + Immutable + Unaligned + Copy + 'static
{
}
impl<T: FromBytes + KnownLayout + Immutable + Unaligned + Copy + 'static> Field for T {}

/// A data model at the type level, with its byte order: the width-dependent C types of `sys/types.h`.
pub(crate) trait Model: 'static {
    /// Byte order of every field.
    type O: ByteOrder + 'static;
    /// `ulong_t`, `size_t`, `uintptr_t`, `caddr_t`, `dev_t` (4 or 8 bytes, unsigned).
    type ULong: Field + Into<u64>;
    /// `long`, `time_t` (4 or 8 bytes, signed).
    type Long: Field + Into<i64>;
    /// Four bytes of padding LP64 has where ILP32 has none (`[u8; 4]` / `[u8; 0]`).
    type Pad4: Field;
    /// Eight bytes ILP32 has where LP64 has none (`sa_resv[2]` of `struct sigaction`).
    type Resv8: Field;
    /// `siginfo_t.__data` (116 / 240 bytes).
    type SiData: Field + AsRef<[u8]>;
    /// `lwpstatus_t.pr_filler`: `int[11 - 2 * sizeof (timestruc_t) / sizeof (int)]` (28 / 12 bytes).
    type LwpFiller: Field;
    /// `prxmap_t.pr_filler`: `ulong_t[6]` (ILP32) / `ulong_t[7]` (LP64).
    type XmapFiller: Field;
    /// The run-time data model.
    const MODEL: DataModel;
}

/// The ILP32 data model (i386, sparc, and the kernel's `*32_t` views) in byte order `O`.
pub(crate) struct Ilp32<O>(PhantomData<O>);
/// The LP64 data model (amd64, sparcv9) in byte order `O`.
pub(crate) struct Lp64<O>(PhantomData<O>);

impl<O: ByteOrder + 'static> Model for Ilp32<O> {
    type O = O;
    type ULong = U32<O>;
    type Long = I32<O>;
    type Pad4 = [u8; 0];
    type Resv8 = [u8; 8];
    type SiData = [u8; 116];
    type LwpFiller = [u8; 28];
    type XmapFiller = [u8; 24];
    const MODEL: DataModel = DataModel::Ilp32;
}

impl<O: ByteOrder + 'static> Model for Lp64<O> {
    type O = O;
    type ULong = U64<O>;
    type Long = I64<O>;
    type Pad4 = [u8; 4];
    type Resv8 = [u8; 0];
    type SiData = [u8; 240];
    type LwpFiller = [u8; 12];
    type XmapFiller = [u8; 56];
    const MODEL: DataModel = DataModel::Lp64;
}

/// An ISA and data model at the type level: adds the register-set types of `procfs_isa.h`.
pub(crate) trait Arch: 'static {
    /// Data model and byte order.
    type M: Model;
    /// `prgregset_t`: `greg_t`/`prgreg_t` words (i386 19 × 4, amd64 28 × 8, sparc 38 × 4, sparcv9 38 × 8).
    type GRegs: Field + AsRef<[<Self::M as Model>::ULong]>;
    /// `prfpregset_t`, kept as bytes (i386 380, amd64 528, sparc 400, sparcv9 544).
    type FpRegs: Field;
    /// The run-time ISA.
    const ISA: Isa;
}

/// i386 (x86, ILP32).
pub(crate) struct I386<O>(PhantomData<O>);
/// amd64 (x86, LP64).
pub(crate) struct Amd64<O>(PhantomData<O>);
/// 32-bit SPARC (v8 register view, ILP32).
pub(crate) struct Sparc32<O>(PhantomData<O>);
/// 64-bit SPARC (sparcv9, LP64).
pub(crate) struct Sparc64<O>(PhantomData<O>);

impl<O: ByteOrder + 'static> Arch for I386<O> {
    type M = Ilp32<O>;
    type GRegs = [U32<O>; 19];
    type FpRegs = [u8; 380];
    const ISA: Isa = Isa::X86;
}

impl<O: ByteOrder + 'static> Arch for Amd64<O> {
    type M = Lp64<O>;
    type GRegs = [U64<O>; 28];
    type FpRegs = [u8; 528];
    const ISA: Isa = Isa::X86;
}

impl<O: ByteOrder + 'static> Arch for Sparc32<O> {
    type M = Ilp32<O>;
    type GRegs = [U32<O>; 38];
    type FpRegs = [u8; 400];
    const ISA: Isa = Isa::Sparc;
}

impl<O: ByteOrder + 'static> Arch for Sparc64<O> {
    type M = Lp64<O>;
    type GRegs = [U64<O>; 38];
    type FpRegs = [u8; 544];
    const ISA: Isa = Isa::Sparc;
}

/// Little-endian byte order (re-exported for the dispatch macros).
pub(crate) type Le = LittleEndian;
/// Big-endian byte order (re-exported for the dispatch macros).
pub(crate) type Be = BigEndian;

/// `ulong_t`/`size_t`/pointer of model `M`.
pub(crate) type ULong<M> = <M as Model>::ULong;
/// `long`/`time_t` of model `M`.
pub(crate) type Long<M> = <M as Model>::Long;
/// `int` in the byte order of model `M`.
pub(crate) type Int<M> = I32<<M as Model>::O>;
/// `uint_t` in the byte order of model `M`.
pub(crate) type UInt<M> = U32<<M as Model>::O>;
/// `short` in the byte order of model `M`.
pub(crate) type Short<M> = zerocopy::byteorder::I16<<M as Model>::O>;
/// `ushort_t` in the byte order of model `M`.
pub(crate) type UShort<M> = zerocopy::byteorder::U16<<M as Model>::O>;

/// Raw `timestruc_t` (`struct timespec`, `sys/time_impl.h`): 8 bytes ILP32, 16 bytes LP64.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned, Clone, Copy)]
#[repr(C)]
pub(crate) struct RawTimestruc<M: Model> {
    pub tv_sec: Long<M>,
    pub tv_nsec: Long<M>,
}

/// Raw `sigset_t` / `fltset_t` (`uint_t[4]`) or `sysset_t` (`uint_t[16]`).
pub(crate) type RawSet<M, const N: usize> = [UInt<M>; N];

/// Raw `siginfo_t` (`sys/siginfo.h`): 128 bytes ILP32 (`siginfo32_t`), 256 bytes LP64.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawSiginfo<M: Model> {
    pub si_signo: Int<M>,
    pub si_code: Int<M>,
    pub si_errno: Int<M>,
    /// `si_pad` (LP64 only).
    pub si_pad: M::Pad4,
    /// The `__data` union: `__fault.__addr` / `__proc.__pid` at 0, `__proc.__pdata.__kill.__uid` at one
    /// word.
    pub data: M::SiData,
}

/// Raw `struct sigaction` (`sys/signal.h`): 32 bytes in both models.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawSigaction<M: Model> {
    pub sa_flags: Int<M>,
    pub _pad: M::Pad4,
    /// `_funcptr` union (`sa_handler` / `sa_sigaction`).
    pub sa_handler: ULong<M>,
    pub sa_mask: RawSet<M, 4>,
    /// `sa_resv[2]` (ILP32 only).
    pub sa_resv: M::Resv8,
}

/// Raw `stack_t` (`struct sigaltstack`, `sys/signal.h`): 12 bytes ILP32, 24 bytes LP64.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawStack<M: Model> {
    pub ss_sp: ULong<M>,
    pub ss_size: ULong<M>,
    pub ss_flags: Int<M>,
    pub _pad: M::Pad4,
}

/// Asserts the size of a model-generic raw structure for both models and both byte orders.
macro_rules! assert_model_size {
    ($raw:ident, $ilp32:expr, $lp64:expr) => {
        const _: () = {
            use $crate::formats::solaris::types::{Be, Ilp32, Le, Lp64};
            assert!(std::mem::size_of::<$raw<Ilp32<Le>>>() == $ilp32);
            assert!(std::mem::size_of::<$raw<Ilp32<Be>>>() == $ilp32);
            assert!(std::mem::size_of::<$raw<Lp64<Le>>>() == $lp64);
            assert!(std::mem::size_of::<$raw<Lp64<Be>>>() == $lp64);
        };
    };
}
pub(crate) use assert_model_size;

/// Asserts the size of an ISA-generic raw structure for i386, amd64, sparc and sparcv9 (both byte orders).
macro_rules! assert_arch_size {
    ($raw:ident, $i386:expr, $amd64:expr, $sparc:expr, $sparcv9:expr) => {
        const _: () = {
            use $crate::formats::solaris::types::{Amd64, Be, I386, Le, Sparc32, Sparc64};
            assert!(std::mem::size_of::<$raw<I386<Le>>>() == $i386);
            assert!(std::mem::size_of::<$raw<I386<Be>>>() == $i386);
            assert!(std::mem::size_of::<$raw<Amd64<Le>>>() == $amd64);
            assert!(std::mem::size_of::<$raw<Amd64<Be>>>() == $amd64);
            assert!(std::mem::size_of::<$raw<Sparc32<Le>>>() == $sparc);
            assert!(std::mem::size_of::<$raw<Sparc32<Be>>>() == $sparc);
            assert!(std::mem::size_of::<$raw<Sparc64<Le>>>() == $sparcv9);
            assert!(std::mem::size_of::<$raw<Sparc64<Be>>>() == $sparcv9);
        };
    };
}
pub(crate) use assert_arch_size;

assert_model_size!(RawTimestruc, 8, 16);
assert_model_size!(RawSiginfo, 128, 256);
assert_model_size!(RawSigaction, 32, 32);
assert_model_size!(RawStack, 12, 24);

/// A `timestruc_t` (`struct timespec`): seconds and nanoseconds, sign-extended from 32 bits under ILP32.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Timestruc {
    /// `tv_sec` (`time_t`).
    pub sec: i64,
    /// `tv_nsec` (`long`).
    pub nsec: i64,
}

impl<M: Model> From<&RawTimestruc<M>> for Timestruc {
    fn from(t: &RawTimestruc<M>) -> Self {
        Timestruc {
            sec: t.tv_sec.into(),
            nsec: t.tv_nsec.into(),
        }
    }
}

/// A set of 32-bit words as /proc stores signals (`sigset_t`, 4 words), faults (`fltset_t`, 4 words) and
/// system calls (`sysset_t`, 16 words). Member *n* (from 1) is bit `(n-1) % 32` of word `(n-1) / 32`
/// (`praddset()` in `sys/procfs.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WordSet<const N: usize>(pub [u32; N]);

impl<const N: usize> serde::Serialize for WordSet<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.as_slice().serialize(s)
    }
}

impl<const N: usize> Default for WordSet<N> {
    fn default() -> Self {
        WordSet([0; N])
    }
}

impl<const N: usize> WordSet<N> {
    /// Whether member `n` (signal, fault or system-call number, from 1) is in the set.
    pub fn contains(&self, n: u32) -> bool {
        if n == 0 {
            return false;
        }
        let i = ((n - 1) / 32) as usize;
        self.0
            .get(i)
            .is_some_and(|w| w & (1 << ((n - 1) % 32)) != 0)
    }

    /// The members, ascending.
    pub fn members(&self) -> Vec<u32> {
        (1..=(N as u32) * 32)
            .filter(|&n| self.contains(n))
            .collect()
    }

    /// True when no member is set.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    pub(crate) fn from_raw<O: ByteOrder>(raw: &[U32<O>; N]) -> Self {
        WordSet(raw.map(|w| w.get()))
    }
}

/// `sigset_t` (`sys/signal.h`, `__sigbits[4]`).
pub type SigSet = WordSet<4>;
/// `fltset_t` (`sys/fault.h`, `word[4]`).
pub type FltSet = WordSet<4>;
/// `sysset_t` (`sys/syscall.h`, `word[16]`).
pub type SysSet = WordSet<16>;

/// The leading members of a `siginfo_t` (`sys/siginfo.h`). Note the illumos order signo, code, errno.
///
/// The union members overlap: `addr` is meaningful for faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE), `pid`
/// and `uid` for signals sent by a process (`si_code` <= 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Siginfo {
    /// `si_signo`.
    pub signo: i32,
    /// `si_code`.
    pub code: i32,
    /// `si_errno`.
    pub errno: i32,
    /// `si_addr` (`__data.__fault.__addr`), zero-extended.
    pub addr: u64,
    /// `si_pid` (`__data.__proc.__pid`).
    pub pid: i32,
    /// `si_uid` (`__data.__proc.__pdata.__kill.__uid`).
    pub uid: u32,
}

impl<M: Model> From<&RawSiginfo<M>> for Siginfo {
    fn from(s: &RawSiginfo<M>) -> Self {
        let data = s.data.as_ref();
        let word = M::MODEL.word_size();
        Siginfo {
            signo: s.si_signo.get(),
            code: s.si_code.get(),
            errno: s.si_errno.get(),
            addr: ULong::<M>::read_from_prefix(data).map_or(0, |(v, _)| v.into()),
            pid: Int::<M>::read_from_prefix(data).map_or(0, |(v, _)| v.get()),
            uid: data
                .get(word..)
                .and_then(|d| UInt::<M>::read_from_prefix(d).ok())
                .map_or(0, |(v, _)| v.get()),
        }
    }
}

/// A `struct sigaction` (`sys/signal.h`), as in `/proc/<pid>/sigact` and `lwpstatus_t.pr_action`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SigAction {
    /// `sa_flags` (SA_ONSTACK 0x1, SA_RESETHAND 0x2, SA_RESTART 0x4, SA_SIGINFO 0x8, ...).
    pub flags: i32,
    /// `sa_handler` / `sa_sigaction` (the `_funcptr` union); 0 = SIG_DFL, 1 = SIG_IGN.
    pub handler: u64,
    /// `sa_mask`.
    pub mask: SigSet,
}

impl<M: Model> From<&RawSigaction<M>> for SigAction {
    fn from(a: &RawSigaction<M>) -> Self {
        SigAction {
            flags: a.sa_flags.get(),
            handler: a.sa_handler.into(),
            mask: SigSet::from_raw(&a.sa_mask),
        }
    }
}

/// A `stack_t` (`struct sigaltstack`, `sys/signal.h`): the alternate signal stack.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stack {
    /// `ss_sp`.
    pub sp: u64,
    /// `ss_size`.
    pub size: u64,
    /// `ss_flags` (SS_ONSTACK 1, SS_DISABLE 2).
    pub flags: i32,
}

impl<M: Model> From<&RawStack<M>> for Stack {
    fn from(s: &RawStack<M>) -> Self {
        Stack {
            sp: s.ss_sp.into(),
            size: s.ss_size.into(),
            flags: s.ss_flags.get(),
        }
    }
}

pub use crate::formats::cstr::c_string;

/// Converts a `pr_pctcpu`/`pr_pctmem` value, a 16-bit binary fraction where 0x8000 is 100%
/// (`sys/procfs.h`), to percent.
pub fn pct_to_percent(pct: u16) -> f64 {
    f64::from(pct) * 100.0 / f64::from(0x8000u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_members_follow_praddset() {
        // Signal 1 is bit 0 of word 0; signal 33 is bit 0 of word 1; signal 64 is bit 31 of word 1.
        let s = SigSet::from_raw::<LittleEndian>(&[1, 0x8000_0001, 0, 0].map(U32::new));
        assert!(s.contains(1) && s.contains(33) && s.contains(64));
        assert!(!s.contains(0) && !s.contains(2) && !s.contains(129));
        assert_eq!(s.members(), vec![1, 33, 64]);
        assert!(SysSet::default().is_empty());
    }

    #[test]
    fn fractions() {
        assert_eq!(pct_to_percent(0x8000), 100.0);
        assert_eq!(pct_to_percent(0x2000), 25.0);
    }
}
