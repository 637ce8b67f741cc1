//! Pure decoders: `&[u8]` in, typed values out. No I/O, no allocation without a bound from the input.
//!
//! Each submodule mirrors one OS's record formats. Nothing outside `formats` sees their raw (zerocopy)
//! types: the [`crate::analyze`] layer converts decoded values into the [`crate::model`].

pub mod cstr;
pub mod elfcore;
pub mod errno;
pub mod linux;
pub mod netbsd;
pub mod release;
pub mod signals;
pub mod sockaddr;
pub mod solaris;
