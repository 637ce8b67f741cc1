//! Host facts from a snapshot's manifest: the one conversion every OS's analysis starts from.
//!
//! The manifest records what the capturing host said about itself (uname, release, byte order, data
//! model, page size, clock ticks, boot time, boot id). Numbers no real host has are dropped here, each
//! with a warning naming `manifest.json` and the field ([`Host::drop_impossible`]), so no later
//! computation uses them. Inputs without a manifest (copied trees, hand-made dumps) start from nothing;
//! the release then comes from the tree's own `etc/os-release` (`PRETTY_NAME`) or Solaris
//! `etc/release` (first line) when it holds one.

use crate::formats::release;
use crate::model::{Host, Warning};
use crate::snapshot::RawSnapshot;
use crate::snapshot::manifest::MANIFEST_NAME;

/// The host facts of `raw`'s manifest (none without one), checked, with the release filled in from
/// `etc/os-release` or `etc/release` when the manifest has none.
pub(super) fn from_manifest(raw: &RawSnapshot, warnings: &mut Vec<Warning>) -> Host {
    let mut h = Host::default();
    if let Some(m) = &raw.manifest {
        let mh = &m.host;
        h.hostname = mh.hostname.clone();
        h.sysname = mh.sysname.clone();
        h.release = mh.release.clone();
        h.version = mh.version.clone();
        h.machine = mh.machine.clone();
        h.os_release = mh.os_release.clone();
        h.byte_order = mh.endianness();
        h.data_model = mh.model();
        h.page_size = mh.page_size;
        h.clk_tck = mh.clk_tck;
        h.boot_time = mh.boot_time;
        h.boot_id = mh.boot_id.clone();
        warnings.extend(h.drop_impossible(MANIFEST_NAME));
    }
    if h.os_release.is_none() {
        h.os_release = raw
            .file("etc/os-release")
            .and_then(release::pretty_name)
            .or_else(|| raw.file("etc/release").and_then(release::release_line));
    }
    h
}
