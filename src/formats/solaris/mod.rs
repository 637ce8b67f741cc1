//! Solaris / illumos structured /proc records (`sys/procfs.h`), decoded from bytes.
//!
//! The same structures appear in `/proc/<pid>/{psinfo,status,lwp/*/…,usage,map,xmap,cred,auxv,sigact,…}`
//! and, byte for byte, as the payloads of a core file's new-style ELF notes (NT_PSINFO 13, NT_PSTATUS 10,
//! NT_LWPSINFO 17, NT_LWPSTATUS 16, NT_PRCRED 14, NT_UTSNAME 15, NT_FDINFO 22, …). This layer does no I/O:
//! `&[u8]` in, owned model-independent values out; raw zerocopy structures stay private.
//!
//! Which layout applies:
//! * `/proc` files are in the data model of the process that **read** them (`prgetattr`:
//!   `PR_OBJSIZE(obj32, obj64)`); core notes are in the data model of the dumped process. `pr_dmodel`
//!   describes the target, not the layout. Detect the layout from the size ([`model_from_psinfo_size`],
//!   [`target_from_pstatus_size`], [`target_from_lwpstatus_size`]) or from `pr_pid` ([`detect_psinfo`]).
//! * Only `lwpstatus_t`/`pstatus_t` (register sets) differ between x86 and SPARC of one data model; all
//!   other structures take a [`Layout`] (model + byte order), those two a [`Target`] (ISA too).
//! * SPARC is big-endian, x86 little-endian; every decoder accepts both orders for every model.
//!
//! Robustness: no decoder panics on any input; arrays are bounded by the bytes present and by `pr_entsize`;
//! a lying `pr_nent` or `pr_ngroups` yields the decoded prefix plus a warning ([`Lenient`]).

/// Runs `$body` with the type alias `$M` bound to the zerocopy data model of a run-time [`Layout`].
macro_rules! with_model {
    ($layout:expr, $M:ident => $body:expr) => {{
        use $crate::formats::solaris::types::{Be, Ilp32, Le, Lp64};
        let layout: $crate::formats::solaris::Layout = $layout;
        match (layout.model, layout.endian) {
            ($crate::abi::DataModel::Ilp32, $crate::abi::Endianness::Little) => {
                type $M = Ilp32<Le>;
                $body
            }
            ($crate::abi::DataModel::Ilp32, $crate::abi::Endianness::Big) => {
                type $M = Ilp32<Be>;
                $body
            }
            ($crate::abi::DataModel::Lp64, $crate::abi::Endianness::Little) => {
                type $M = Lp64<Le>;
                $body
            }
            ($crate::abi::DataModel::Lp64, $crate::abi::Endianness::Big) => {
                type $M = Lp64<Be>;
                $body
            }
        }
    }};
}

/// Runs `$body` with the type alias `$A` bound to the zerocopy ISA + data model of a run-time [`Target`].
macro_rules! with_arch {
    ($target:expr, $A:ident => $body:expr) => {{
        use $crate::abi::{DataModel as D, Endianness as E};
        use $crate::formats::solaris::Isa as I;
        use $crate::formats::solaris::types::{Amd64, Be, I386, Le, Sparc32, Sparc64};
        let target: $crate::formats::solaris::Target = $target;
        match (target.isa, target.model, target.endian) {
            (I::X86, D::Ilp32, E::Little) => {
                type $A = I386<Le>;
                $body
            }
            (I::X86, D::Ilp32, E::Big) => {
                type $A = I386<Be>;
                $body
            }
            (I::X86, D::Lp64, E::Little) => {
                type $A = Amd64<Le>;
                $body
            }
            (I::X86, D::Lp64, E::Big) => {
                type $A = Amd64<Be>;
                $body
            }
            (I::Sparc, D::Ilp32, E::Little) => {
                type $A = Sparc32<Le>;
                $body
            }
            (I::Sparc, D::Ilp32, E::Big) => {
                type $A = Sparc32<Be>;
                $body
            }
            (I::Sparc, D::Lp64, E::Little) => {
                type $A = Sparc64<Le>;
                $body
            }
            (I::Sparc, D::Lp64, E::Big) => {
                type $A = Sparc64<Be>;
                $body
            }
        }
    }};
}

use crate::abi::{Endianness, with_byte_order};

pub mod auxv;
pub mod cred;
pub mod detect;
pub mod error;
pub mod fdinfo;
pub mod header;
pub mod lwp;
pub mod map;
pub mod names;
pub mod old;
pub mod psinfo;
pub mod regs;
pub mod sigact;
pub mod status;
pub mod types;
pub mod usage;

pub use auxv::AuxvEntry;
pub use cred::{Prcred, Prpriv, Prsecflags};
pub use detect::{
    detect_psinfo, model_from_psinfo_size, target_from_lstatus_entsize, target_from_lwpstatus_size,
    target_from_pstatus_size,
};
pub use error::{DecodeError, DecodeErrorKind, Lenient};
pub use fdinfo::{FdInfo, Prfdinfo};
pub use header::PrHeader;
pub use lwp::{Lwpsinfo, Lwpstatus};
pub use map::{Prmap, Prxmap};
pub use names::{Prlwpname, Utsname};
pub use psinfo::Psinfo;
pub use regs::Registers;
pub use status::Pstatus;
pub use types::{
    FltSet, Isa, Layout, SigAction, SigSet, Siginfo, Stack, SysSet, Target, Timestruc, WordSet,
    c_string, pct_to_percent,
};
pub use usage::Prusage;

/// Decodes a `psinfo_t` (NT_PSINFO, `/proc/<pid>/psinfo`; 336 bytes ILP32, 416 LP64). Extra bytes are
/// ignored.
pub fn decode_psinfo(bytes: &[u8], layout: Layout) -> Result<Psinfo, DecodeError> {
    with_model!(layout, M => psinfo::psinfo::<M>(bytes))
}

/// Decodes an `lwpsinfo_t` (NT_LWPSINFO, `lwp/<lwpid>/lwpsinfo`; 104 bytes ILP32, 128 LP64).
pub fn decode_lwpsinfo(bytes: &[u8], layout: Layout) -> Result<Lwpsinfo, DecodeError> {
    with_model!(layout, M => lwp::lwpsinfo::<M>(bytes))
}

/// Decodes a `pstatus_t` (NT_PSTATUS, `/proc/<pid>/status`; i386 1136, amd64 1680, sparc 1232,
/// sparcv9 1776 bytes).
pub fn decode_pstatus(bytes: &[u8], target: Target) -> Result<Pstatus, DecodeError> {
    with_arch!(target, A => status::pstatus::<A>(bytes))
}

/// Decodes an `lwpstatus_t` (NT_LWPSTATUS, `lwp/<lwpid>/lwpstatus`; i386 800, amd64 1296, sparc 896,
/// sparcv9 1392 bytes).
pub fn decode_lwpstatus(bytes: &[u8], target: Target) -> Result<Lwpstatus, DecodeError> {
    with_arch!(target, A => lwp::lwpstatus::<A>(bytes))
}

/// Decodes a `prusage_t` (`/proc/<pid>/usage`, `lwpusage`; 256 bytes ILP32, 504 LP64).
pub fn decode_prusage(bytes: &[u8], layout: Layout) -> Result<Prusage, DecodeError> {
    with_model!(layout, M => usage::prusage::<M>(bytes))
}

/// Decodes the `prheader_t` at the start of an `lpsinfo`, `lstatus` or `lusage` file.
pub fn decode_prheader(bytes: &[u8], layout: Layout) -> Result<PrHeader, DecodeError> {
    with_model!(layout, M => header::prheader::<M>(bytes))
}

/// Decodes `/proc/<pid>/lpsinfo`: a `prheader_t` and `pr_nent` `lwpsinfo_t` entries spaced `pr_entsize`
/// apart (one per LWP, zombies included).
pub fn decode_lpsinfo(bytes: &[u8], layout: Layout) -> Result<Lenient<Vec<Lwpsinfo>>, DecodeError> {
    with_model!(layout, M => header::lpsinfo::<M>(bytes))
}

/// Decodes `/proc/<pid>/lstatus`: a `prheader_t` and `pr_nent` `lwpstatus_t` entries spaced
/// `pr_entsize` apart (one per live LWP).
pub fn decode_lstatus(
    bytes: &[u8],
    target: Target,
) -> Result<Lenient<Vec<Lwpstatus>>, DecodeError> {
    with_arch!(target, A => header::lstatus::<A>(bytes))
}

/// Decodes `/proc/<pid>/lusage`: a `prheader_t` and `pr_nent` `prusage_t` entries spaced `pr_entsize`
/// apart; `nlwp + 1` entries, the first being the process aggregate of defunct LWPs.
pub fn decode_lusage(bytes: &[u8], layout: Layout) -> Result<Lenient<Vec<Prusage>>, DecodeError> {
    with_model!(layout, M => header::lusage::<M>(bytes))
}

/// Decodes `/proc/<pid>/map` or `rmap`: consecutive `prmap_t` (96 bytes ILP32, 104 LP64).
pub fn decode_map(bytes: &[u8], layout: Layout) -> Lenient<Vec<Prmap>> {
    with_model!(layout, M => map::map::<M>(bytes))
}

/// Decodes `/proc/<pid>/xmap`: consecutive `prxmap_t` (152 bytes ILP32, 216 LP64).
pub fn decode_xmap(bytes: &[u8], layout: Layout) -> Lenient<Vec<Prxmap>> {
    with_model!(layout, M => map::xmap::<M>(bytes))
}

/// Decodes NT_AUXV or `/proc/<pid>/auxv` (`auxv_t`, 8 bytes ILP32, 16 LP64) up to the first `AT_NULL`.
pub fn decode_auxv(bytes: &[u8], layout: Layout) -> Lenient<Vec<AuxvEntry>> {
    with_model!(layout, M => auxv::auxv::<M>(bytes))
}

/// Decodes `/proc/<pid>/sigact`: one `struct sigaction` (32 bytes) per signal, entry *i* for signal
/// *i + 1*.
pub fn decode_sigact(bytes: &[u8], layout: Layout) -> Lenient<Vec<SigAction>> {
    with_model!(layout, M => sigact::sigact::<M>(bytes))
}

/// Decodes a `prcred_t` (NT_PRCRED, `/proc/<pid>/cred`) with its `pr_ngroups` supplementary groups,
/// bounded by the bytes present (same layout in both data models).
pub fn decode_prcred(bytes: &[u8], endian: Endianness) -> Result<Lenient<Prcred>, DecodeError> {
    with_byte_order!(endian, O => cred::prcred::<O>(bytes))
}

/// Decodes a `prpriv_t` (NT_PRPRIV, `/proc/<pid>/priv`): header, sets, raw info bytes.
pub fn decode_prpriv(bytes: &[u8], endian: Endianness) -> Result<Lenient<Prpriv>, DecodeError> {
    with_byte_order!(endian, O => cred::prpriv::<O>(bytes))
}

/// Decodes a `prsecflags_t` (NT_SECFLAGS, `/proc/<pid>/secflags`; 40 bytes).
pub fn decode_prsecflags(bytes: &[u8], endian: Endianness) -> Result<Prsecflags, DecodeError> {
    with_byte_order!(endian, O => cred::prsecflags::<O>(bytes))
}

/// Decodes a `prfdinfo_core_t` (NT_FDINFO of illumos cores; 1088 bytes).
pub fn decode_fdinfo(bytes: &[u8], endian: Endianness) -> Result<FdInfo, DecodeError> {
    with_byte_order!(endian, O => fdinfo::fdinfo::<O>(bytes))
}

/// Decodes `/proc/<pid>/fdinfo/<fd>`: a `prfdinfo_t` and its `pr_misc` items (path, socket addresses and
/// options), in the byte order of the process that read it (the same offsets in every data model).
pub fn decode_prfdinfo(bytes: &[u8], endian: Endianness) -> Result<Lenient<Prfdinfo>, DecodeError> {
    with_byte_order!(endian, O => fdinfo::prfdinfo::<O>(bytes, endian))
}

/// Decodes a `prlwpname_t` (NT_LWPNAME, `lwp/<lwpid>/lwpname`; 40 bytes).
pub fn decode_lwpname(bytes: &[u8], endian: Endianness) -> Result<Prlwpname, DecodeError> {
    with_byte_order!(endian, O => names::prlwpname::<O>(bytes))
}

/// Decodes a `struct utsname` (NT_UTSNAME; 5 × 257 bytes, no numbers, so no byte order).
pub fn decode_utsname(bytes: &[u8]) -> Result<Utsname, DecodeError> {
    names::utsname(bytes)
}
