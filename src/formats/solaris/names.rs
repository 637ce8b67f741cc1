//! Name records: `struct utsname` (NT_UTSNAME, `sys/utsname.h`, 5 × `char[_SYS_NMLN = 257]`) and
//! `prlwpname_t` (NT_LWPNAME, `lwp/<lwpid>/lwpname`, `sys/procfs.h`, 40 bytes).

use super::error::{DecodeError, view};
use super::types::c_string;
use zerocopy::byteorder::{ByteOrder, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// `_SYS_NMLN`: size of each `utsname` field.
pub const SYS_NMLN: usize = 257;

/// Raw `struct utsname`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawUtsname {
    pub sysname: [u8; SYS_NMLN],
    pub nodename: [u8; SYS_NMLN],
    pub release: [u8; SYS_NMLN],
    pub version: [u8; SYS_NMLN],
    pub machine: [u8; SYS_NMLN],
}

/// Raw `prlwpname_t`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPrlwpname<O: ByteOrder> {
    pub pr_lwpid: U64<O>,
    pub pr_lwpname: [u8; 32],
}

const _: () = {
    assert!(size_of::<RawUtsname>() == 1285);
    assert!(size_of::<RawPrlwpname<zerocopy::LittleEndian>>() == 40);
    assert!(size_of::<RawPrlwpname<zerocopy::BigEndian>>() == 40);
};

/// System identification: `struct utsname` of `sys/utsname.h` (fields NUL-trimmed).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Utsname {
    /// `sysname`, e.g. `SunOS`.
    pub sysname: Vec<u8>,
    /// `nodename`: host name.
    pub nodename: Vec<u8>,
    /// `release`, e.g. `5.11`.
    pub release: Vec<u8>,
    /// `version`, e.g. `illumos-…`.
    pub version: Vec<u8>,
    /// `machine`, e.g. `i86pc`, `sun4v`.
    pub machine: Vec<u8>,
}

pub(crate) fn utsname(bytes: &[u8]) -> Result<Utsname, DecodeError> {
    let r = view::<RawUtsname>(bytes, "utsname", 0)?;
    Ok(Utsname {
        sysname: c_string(&r.sysname).to_vec(),
        nodename: c_string(&r.nodename).to_vec(),
        release: c_string(&r.release).to_vec(),
        version: c_string(&r.version).to_vec(),
        machine: c_string(&r.machine).to_vec(),
    })
}

/// An LWP's name: `prlwpname_t` of `sys/procfs.h`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Prlwpname {
    /// `pr_lwpid`: LWP id.
    pub lwpid: u64,
    /// `pr_lwpname[THREAD_NAME_MAX]`: name (NUL-trimmed; empty when unnamed).
    pub name: Vec<u8>,
}

pub(crate) fn prlwpname<O: ByteOrder>(bytes: &[u8]) -> Result<Prlwpname, DecodeError> {
    let r = view::<RawPrlwpname<O>>(bytes, "prlwpname_t", 0)?;
    Ok(Prlwpname {
        lwpid: r.pr_lwpid.get(),
        name: c_string(&r.pr_lwpname).to_vec(),
    })
}
