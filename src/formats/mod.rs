//! Pure decoders: `&[u8]` in, typed values out. No I/O, no allocation without a bound from the input.
//!
//! Each submodule mirrors one OS's record formats. Nothing outside `formats` sees their raw (zerocopy)
//! types: the [`crate::analyze`] layer converts decoded values into the [`crate::model`].

pub mod elfcore;
pub mod errno;
pub mod linux;
pub mod netbsd;
pub mod signals;
pub mod solaris;

/// The bytes of a fixed-size C `char[]` field up to (not including) the first NUL, or all of them when
/// there is none.
pub fn c_string(bytes: &[u8]) -> &[u8] {
    bytes
        .iter()
        .position(|b| *b == 0)
        .map_or(bytes, |n| &bytes[..n])
}
