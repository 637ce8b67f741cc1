//! `prmap_t` (`/proc/<pid>/map`, `rmap`; 96 bytes ILP32, 104 LP64) and `prxmap_t` (`xmap`; 152 / 216
//! bytes) arrays from `sys/procfs.h`: one entry per mapping, no header.

use super::error::{Lenient, array};
use super::types::{Int, Model, ULong, assert_model_size, c_string};
use zerocopy::byteorder::{I64, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// `offset_t` / `off64_t` of model `M`'s byte order.
type Off<M> = I64<<M as Model>::O>;

/// Raw `prmap_t` / `prmap32_t`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPrmap<M: Model> {
    pub pr_vaddr: ULong<M>,
    pub pr_size: ULong<M>,
    pub pr_mapname: [u8; 64],
    pub pr_offset: Off<M>,
    pub pr_mflags: Int<M>,
    pub pr_pagesize: Int<M>,
    pub pr_shmid: Int<M>,
    pub pr_filler: [Int<M>; 1],
}
assert_model_size!(RawPrmap, 96, 104);

/// Raw `prxmap_t` / `prxmap32_t`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPrxmap<M: Model> {
    pub pr_vaddr: ULong<M>,
    pub pr_size: ULong<M>,
    pub pr_mapname: [u8; 64],
    pub pr_offset: Off<M>,
    pub pr_mflags: Int<M>,
    pub pr_pagesize: Int<M>,
    pub pr_shmid: Int<M>,
    /// Compiler padding before `pr_dev` (LP64 only).
    pub _pad: M::Pad4,
    pub pr_dev: ULong<M>,
    pub pr_ino: U64<M::O>,
    pub pr_rss: ULong<M>,
    pub pr_anon: ULong<M>,
    pub pr_locked: ULong<M>,
    pub pr_pad: ULong<M>,
    pub pr_hatpagesize: U64<M::O>,
    pub pr_filler: M::XmapFiller,
}
assert_model_size!(RawPrxmap, 152, 216);

/// `pr_mflags` bits (`sys/procfs.h`).
pub mod mflags {
    /// `MA_EXEC`: readable by the traced process.
    pub const MA_EXEC: i32 = 0x01;
    /// `MA_WRITE`.
    pub const MA_WRITE: i32 = 0x02;
    /// `MA_READ`.
    pub const MA_READ: i32 = 0x04;
    /// `MA_SHARED`: changes are shared by mapped object.
    pub const MA_SHARED: i32 = 0x08;
    /// `MA_BREAK`: grown by brk(2).
    pub const MA_BREAK: i32 = 0x10;
    /// `MA_STACK`: grown automatically on stack faults.
    pub const MA_STACK: i32 = 0x20;
    /// `MA_ANON`: anonymous memory.
    pub const MA_ANON: i32 = 0x40;
    /// `MA_ISM`: intimate shared memory.
    pub const MA_ISM: i32 = 0x80;
    /// `MA_NORESERVE`: mapped with MAP_NORESERVE.
    pub const MA_NORESERVE: i32 = 0x100;
    /// `MA_SHM`: System V shared memory.
    pub const MA_SHM: i32 = 0x200;
    /// `MA_RESERVED1`: reserved.
    pub const MA_RESERVED1: i32 = 0x400;
}

/// One mapping from `map`/`rmap`: `prmap_t` of `sys/procfs.h`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Prmap {
    /// `pr_vaddr`: virtual address of the mapping.
    pub vaddr: u64,
    /// `pr_size`: size of the mapping in bytes.
    pub size: u64,
    /// `pr_mapname[PRMAPSZ]`: name in `/proc/<pid>/object` (NUL-trimmed).
    pub mapname: Vec<u8>,
    /// `pr_offset`: offset into the mapped object, if any.
    pub offset: i64,
    /// `pr_mflags`: protection and attribute flags ([`mflags`]).
    pub mflags: i32,
    /// `pr_pagesize`: page size for the mapping, in bytes.
    pub pagesize: i32,
    /// `pr_shmid`: SysV shmid, -1 if not SysV shared memory.
    pub shmid: i32,
}

impl<M: Model> From<&RawPrmap<M>> for Prmap {
    fn from(r: &RawPrmap<M>) -> Self {
        Prmap {
            vaddr: r.pr_vaddr.into(),
            size: r.pr_size.into(),
            mapname: c_string(&r.pr_mapname).to_vec(),
            offset: r.pr_offset.get(),
            mflags: r.pr_mflags.get(),
            pagesize: r.pr_pagesize.get(),
            shmid: r.pr_shmid.get(),
        }
    }
}

/// One mapping from `xmap`: `prxmap_t` of `sys/procfs.h`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Prxmap {
    /// `pr_vaddr`: virtual address of the mapping.
    pub vaddr: u64,
    /// `pr_size`: size of the mapping in bytes.
    pub size: u64,
    /// `pr_mapname[PRMAPSZ]`: name in `/proc/<pid>/object` (NUL-trimmed).
    pub mapname: Vec<u8>,
    /// `pr_offset`: offset into the mapped object, if any.
    pub offset: i64,
    /// `pr_mflags`: protection and attribute flags ([`mflags`]).
    pub mflags: i32,
    /// `pr_pagesize`: page size for the mapping, in bytes.
    pub pagesize: i32,
    /// `pr_shmid`: SysV shmid, -1 if not SysV shared memory.
    pub shmid: i32,
    /// `pr_dev`: device of the mapped object, `PRNODEV` if none.
    pub dev: u64,
    /// `pr_ino`: inode of the mapped object, if any.
    pub ino: u64,
    /// `pr_rss`: pages of resident memory.
    pub rss: u64,
    /// `pr_anon`: pages of resident anonymous memory.
    pub anon: u64,
    /// `pr_locked`: pages of locked memory.
    pub locked: u64,
    /// `pr_hatpagesize`: hardware page size (0 if unknown).
    pub hatpagesize: u64,
}

impl<M: Model> From<&RawPrxmap<M>> for Prxmap {
    fn from(r: &RawPrxmap<M>) -> Self {
        Prxmap {
            vaddr: r.pr_vaddr.into(),
            size: r.pr_size.into(),
            mapname: c_string(&r.pr_mapname).to_vec(),
            offset: r.pr_offset.get(),
            mflags: r.pr_mflags.get(),
            pagesize: r.pr_pagesize.get(),
            shmid: r.pr_shmid.get(),
            dev: r.pr_dev.into(),
            ino: r.pr_ino.get(),
            rss: r.pr_rss.into(),
            anon: r.pr_anon.into(),
            locked: r.pr_locked.into(),
            hatpagesize: r.pr_hatpagesize.get(),
        }
    }
}

pub(crate) fn map<M: Model>(bytes: &[u8]) -> Lenient<Vec<Prmap>> {
    array::<RawPrmap<M>, _>(bytes, size_of::<RawPrmap<M>>(), "prmap_t", Prmap::from)
}

pub(crate) fn xmap<M: Model>(bytes: &[u8]) -> Lenient<Vec<Prxmap>> {
    array::<RawPrxmap<M>, _>(bytes, size_of::<RawPrxmap<M>>(), "prxmap_t", Prxmap::from)
}
