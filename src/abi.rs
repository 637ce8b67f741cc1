//! The two facts, besides the structure itself, that every binary record's layout depends on: the byte
//! order and the data model of the system (or program) that wrote it. One vocabulary for every layer:
//! the decoders take them as parameters, the manifest records them as text (`little`/`big`,
//! `ilp32`/`lp64`), and the model and its JSON carry them in the same lower-case spelling.

use serde::{Deserialize, Serialize};

/// Byte order of the bytes being decoded (ELF `EI_DATA`, a manifest's `host.byte_order`, the ISA of a
/// Solaris structure, a NetBSD dump's sniffed order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endianness {
    /// Least significant byte first (x86, most arm, riscv; ELF `ELFDATA2LSB`).
    Little,
    /// Most significant byte first (SPARC, s390x, m68k, some ppc and mips; ELF `ELFDATA2MSB`).
    Big,
}

impl Endianness {
    /// This build's own byte order.
    pub const NATIVE: Endianness = if cfg!(target_endian = "big") {
        Endianness::Big
    } else {
        Endianness::Little
    };

    /// `little` or `big`, as the manifest and the JSON spell it.
    pub fn name(self) -> &'static str {
        match self {
            Endianness::Little => "little",
            Endianness::Big => "big",
        }
    }

    /// Parses [`Endianness::name`]'s spelling; anything else is unknown.
    pub fn from_name(name: &str) -> Option<Endianness> {
        match name {
            "little" => Some(Endianness::Little),
            "big" => Some(Endianness::Big),
            _ => None,
        }
    }

    /// An unsigned integer of `bytes.len()` bytes (at most 8; longer slices are cut to their first 8)
    /// in this byte order: the reader for words whose width is known only at run time.
    pub fn read_uint(self, bytes: &[u8]) -> u64 {
        let b = &bytes[..bytes.len().min(8)];
        let mut buf = [0u8; 8];
        match self {
            Endianness::Little => {
                buf[..b.len()].copy_from_slice(b);
                u64::from_le_bytes(buf)
            }
            Endianness::Big => {
                buf[8 - b.len()..].copy_from_slice(b);
                u64::from_be_bytes(buf)
            }
        }
    }
}

impl std::fmt::Display for Endianness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The data model of a structure: the width of C `long`, `size_t` and pointers it was laid out for.
///
/// A core holds structures in the dumped process's model; a Solaris `/proc` file holds them in the model
/// of the process that *read* it; a procsift capture records its own model in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataModel {
    /// 32-bit `long` and pointers (i386, sparc, arm, ...). Solaris `PR_MODEL_ILP32` = 1.
    Ilp32,
    /// 64-bit `long` and pointers (amd64, sparcv9, aarch64, ...). Solaris `PR_MODEL_LP64` = 2.
    Lp64,
}

impl DataModel {
    /// This build's own data model.
    pub const NATIVE: DataModel = if cfg!(target_pointer_width = "64") {
        DataModel::Lp64
    } else {
        DataModel::Ilp32
    };

    /// The model whose words are 64 bits wide when `is_64` (an ELF `ELFCLASS64` file), else 32.
    pub fn from_is_64(is_64: bool) -> DataModel {
        if is_64 {
            DataModel::Lp64
        } else {
            DataModel::Ilp32
        }
    }

    /// Maps Solaris `pr_dmodel` (`sys/procfs.h`: `PR_MODEL_ILP32` 1, `PR_MODEL_LP64` 2) to a model.
    pub fn from_pr_dmodel(dmodel: u8) -> Option<DataModel> {
        match dmodel {
            1 => Some(DataModel::Ilp32),
            2 => Some(DataModel::Lp64),
            _ => None,
        }
    }

    /// Size in bytes of a C `long`, `size_t` or pointer in this model.
    pub fn word_size(self) -> usize {
        match self {
            DataModel::Ilp32 => 4,
            DataModel::Lp64 => 8,
        }
    }

    /// `ilp32` or `lp64`, as the manifest and the JSON spell it.
    pub fn name(self) -> &'static str {
        match self {
            DataModel::Ilp32 => "ilp32",
            DataModel::Lp64 => "lp64",
        }
    }

    /// Parses [`DataModel::name`]'s spelling; anything else is unknown.
    pub fn from_name(name: &str) -> Option<DataModel> {
        match name {
            "ilp32" => Some(DataModel::Ilp32),
            "lp64" => Some(DataModel::Lp64),
            _ => None,
        }
    }
}

impl std::fmt::Display for DataModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Runs `$body` with the type alias `$O` bound to the zerocopy byte order (`zerocopy::LittleEndian` or
/// `zerocopy::BigEndian`) of a run-time [`Endianness`]: the one way a decoder picks its instantiation.
macro_rules! with_byte_order {
    ($endianness:expr, $O:ident => $body:expr) => {{
        match $endianness {
            $crate::abi::Endianness::Little => {
                type $O = zerocopy::LittleEndian;
                $body
            }
            $crate::abi::Endianness::Big => {
                type $O = zerocopy::BigEndian;
                $body
            }
        }
    }};
}
pub(crate) use with_byte_order;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serialize_lower_case() {
        for e in [Endianness::Little, Endianness::Big] {
            assert_eq!(Endianness::from_name(e.name()), Some(e));
            assert_eq!(serde_json::to_value(e).unwrap(), e.name());
        }
        for m in [DataModel::Ilp32, DataModel::Lp64] {
            assert_eq!(DataModel::from_name(m.name()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.name());
        }
        assert_eq!(Endianness::from_name("BIG"), None);
        assert_eq!(DataModel::from_name("LP64"), None);
    }

    #[test]
    fn byte_order_dispatch_picks_the_zerocopy_order() {
        use zerocopy::byteorder::U32;
        let bytes = [0x01, 0x02, 0x03, 0x04];
        let read = |e: Endianness| with_byte_order!(e, O => U32::<O>::from_bytes(bytes).get());
        assert_eq!(read(Endianness::Little), 0x0403_0201);
        assert_eq!(read(Endianness::Big), 0x0102_0304);
    }

    #[test]
    fn read_uint_takes_its_width_from_the_slice() {
        let b = [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18];
        assert_eq!(Endianness::Little.read_uint(&b[..4]), 0x1312_1110);
        assert_eq!(Endianness::Big.read_uint(&b[..4]), 0x1011_1213);
        assert_eq!(Endianness::Big.read_uint(&b[..2]), 0x1011);
        assert_eq!(Endianness::Little.read_uint(&b), 0x1716_1514_1312_1110);
        assert_eq!(Endianness::Big.read_uint(&[]), 0);
    }
}
