//! Converts raw snapshot members into the OS-neutral [`crate::model::Snapshot`].

pub mod core;
pub mod events;
mod host;
pub mod linux;
pub mod linux_system;
pub mod netbsd;
mod sockaddr;
pub mod solaris;

use crate::model::Snapshot;
use crate::snapshot::RawSnapshot;

/// Which of the bulky per-process lists to build. A report that does not show them (ps, tree, info) skips
/// their decoding, which is most of the work on a big snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detail {
    /// Environment (`environ`).
    pub env: bool,
    /// Threads (`task/*`).
    pub threads: bool,
    /// Open files and their sockets (`fd/*`, `fdinfo/*`, `net/*`).
    pub fds: bool,
    /// Memory mappings (`maps`).
    pub maps: bool,
    /// Resource limits (`limits`).
    pub limits: bool,
}

impl Detail {
    /// Everything.
    pub const FULL: Detail = Detail {
        env: true,
        threads: true,
        fds: true,
        maps: true,
        limits: true,
    };
    /// Identity, credentials, state, times, memory, namespaces and cgroup only.
    pub const SUMMARY: Detail = Detail {
        env: false,
        threads: false,
        fds: false,
        maps: false,
        limits: false,
    };
}

/// Builds the full model from a raw snapshot, recording every decode problem as a warning.
pub fn analyze(raw: &RawSnapshot) -> Snapshot {
    analyze_with(raw, Detail::FULL)
}

/// Builds the model with only the lists `detail` asks for; the others are absent (`None`).
pub fn analyze_with(raw: &RawSnapshot, detail: Detail) -> Snapshot {
    if netbsd::looks_like_netbsd(raw) {
        netbsd::build(raw, detail)
    } else if solaris::looks_like_solaris(raw) {
        solaris::build(raw, detail)
    } else {
        linux::build(raw, detail)
    }
}

/// Reads any input procsift understands (a snapshot archive, a /proc-shaped directory, or an ELF core)
/// and builds the model with the lists `detail` asks for (a core is small: it is always built whole).
pub fn open(
    path: &std::path::Path,
    detail: Detail,
    opts: &crate::snapshot::reader::OpenOptions,
) -> crate::Result<Snapshot> {
    use crate::snapshot::reader::{self, InputFormat};
    match reader::sniff(path)? {
        InputFormat::ElfCore => {
            let file = std::fs::File::open(path).map_err(|e| crate::Error::io(path, e))?;
            let map = crate::os::map_file(&file).map_err(|e| crate::Error::io(path, e))?;
            core::analyze(&map, &path.display().to_string()).map_err(|e| {
                crate::Error::Unrecognized {
                    path: path.into(),
                    reason: e.to_string(),
                }
            })
        }
        _ => Ok(analyze_with(&reader::open_path(path, opts)?, detail)),
    }
}
