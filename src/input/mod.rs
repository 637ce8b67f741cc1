//! Opening any input procsift reads: a snapshot archive, a directory, or an ELF core — sniffed by
//! content, never by name — handed to the analysis as an [`Input`].
//!
//! This module sits above the snapshot layer (archives, manifests) and the capture (whose plans read
//! directories: one list of members for both), and below the analysis: it imports neither `analyze`,
//! `report` nor `diff`.

pub mod dir;

use std::path::Path;

use crate::error::{Error, Result};
use crate::snapshot::reader::{self, InputFormat, OpenOptions};
use crate::snapshot::{Backing, RawSnapshot};

/// An opened input.
#[derive(Debug)]
pub enum Input {
    /// Raw members: an archive, a directory, or the live host read into memory.
    Snapshot(Box<RawSnapshot>),
    /// An ELF core file, mapped.
    Core(CoreImage),
}

/// The bytes of an ELF core file, mapped read-only, and its name for messages.
#[derive(Debug)]
pub struct CoreImage {
    backing: Backing,
    /// The path it was read from, as given.
    pub name: String,
}

impl CoreImage {
    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        self.backing.base()
    }
}

/// Opens `path`: a snapshot archive (tar, `.tar.gz`, `.tar.zst`), a directory (see [`dir`]), or an ELF
/// core. Anything else is an error that says what it is.
pub fn open(path: &Path, opts: &OpenOptions) -> Result<Input> {
    match reader::sniff(path)? {
        InputFormat::ElfCore => {
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            let map = crate::os::map_file(&file).map_err(|e| Error::io(path, e))?;
            Ok(Input::Core(CoreImage {
                backing: Backing::Mapped(map),
                name: path.display().to_string(),
            }))
        }
        InputFormat::Directory => dir::open(path, opts).map(|r| Input::Snapshot(Box::new(r))),
        InputFormat::Tar | InputFormat::TarGz | InputFormat::TarZst => {
            reader::open_path(path, opts).map(|r| Input::Snapshot(Box::new(r)))
        }
    }
}

/// Opens `path` as raw members: an archive or a directory; a core is an error.
pub fn open_snapshot(path: &Path, opts: &OpenOptions) -> Result<RawSnapshot> {
    match open(path, opts)? {
        Input::Snapshot(raw) => Ok(*raw),
        Input::Core(_) => Err(Error::Unrecognized {
            path: path.into(),
            reason: "an ELF core file, not a snapshot archive or directory".into(),
        }),
    }
}
