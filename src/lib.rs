//! procsift: process forensics.
//!
//! Three jobs in one crate: **capture** a live host's process records into one archive, **analyze** an
//! archive, a copied `/proc` tree or a core file anywhere, and **diff** two snapshots.
//!
//! Data flows one way through these layers (see `DESIGN.md` in the shared design notes and the README):
//!
//! ```text
//! capture ──▶ snapshot (raw bytes + manifest) ◀── input sniffing
//!                  │ bytes (mmap, tar members located in place)
//!              formats::{linux, solaris, netbsd, elfcore}   pure decoders: &[u8] -> typed values, no I/O
//!                  │ analyze (convert)
//!              model  (Snapshot { host, processes, warnings })
//!                  │
//!              report (ps, tree, show, threads, maps, files, info) -> render (table | json | ndjson | csv)
//! ```
//!
//! * [`formats`] never touches the filesystem.
//! * [`model`] is OS-neutral and keeps bytes as bytes ([`bytes::ByteString`]).
//! * [`report`] sees only the model.
//! * `unsafe` code lives in [`os`] only (the memory map).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod abi;
pub mod analyze;
pub mod bytes;
pub mod capture;
pub mod check;
pub mod diff;
pub mod error;
pub mod export;
pub mod formats;
pub mod gcore;
pub mod input;
pub mod model;
pub mod os;
pub mod report;
pub mod snapshot;
#[cfg(test)]
mod testdata;
pub mod time;
pub mod unwind;

pub use error::{Error, Result};
