//! Converts raw snapshot members into the OS-neutral [`crate::model::Snapshot`].

pub mod core;
pub mod events;
mod host;
pub mod linux;
pub mod linux_info;
pub mod linux_system;
pub mod netbsd;
mod sockaddr;
pub mod solaris;

use crate::input::Input;
use crate::model::Snapshot;
use crate::snapshot::{RawSnapshot, Selection};

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
    /// The rest of a process: the `exe`, `cwd` and `root` links, namespaces, cgroup, I/O counters and
    /// `smaps_rollup`. Without it a live read does not fetch them and an archive's index leaves them
    /// out (a copied directory is read whole, and what it holds is decoded).
    pub extras: bool,
    /// What the process does with each signal (Linux: built from `status`'s masks, which are read
    /// anyway; 64 records per process, which only `show`, `signals` and JSON records show).
    pub signals: bool,
}

impl Detail {
    /// Everything.
    pub const FULL: Detail = Detail {
        env: true,
        threads: true,
        fds: true,
        maps: true,
        limits: true,
        extras: true,
        signals: true,
    };
    /// Identity, credentials, state, times, memory, namespaces and cgroup only.
    pub const SUMMARY: Detail = Detail {
        env: false,
        threads: false,
        fds: false,
        maps: false,
        limits: false,
        extras: true,
        signals: true,
    };
    /// What `ps`'s usual columns show (identity, credentials, state, times, memory, argv): a live or
    /// directory read fetches only each process's `stat`, `status` and `cmdline`, as `ps` itself does,
    /// an archive's index holds only those (and the other small members), and no signal dispositions
    /// are built.
    pub const LIST: Detail = Detail {
        extras: false,
        signals: false,
        ..Detail::SUMMARY
    };

    /// The members a live or directory read must fetch for this detail (all processes).
    pub fn selection(&self) -> Selection {
        Selection {
            environ: self.env,
            threads: self.threads,
            fds: self.fds,
            maps: self.maps,
            limits: self.limits,
            extras: self.extras,
            pids: None,
        }
    }
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

/// Builds the models of two snapshots of one host with the lists `detail` asks for, each as
/// [`analyze_with`] builds it, except that a process whose evidence is unchanged is decoded and held
/// once, NEW holding a stand-in for it (see [`linux::build_pair`]). `None` for the inputs that are not
/// Linux records.
///
/// With `known` (the pids whose process digests are the same in both manifests, see
/// [`crate::snapshot::digests`]), those are the shared processes (NEW may have been read without
/// them), and `None` also when that cannot be exact ([`linux::build_pair_known`]): NEW must then be
/// read whole.
pub fn analyze_pair(
    old: &RawSnapshot,
    new: &RawSnapshot,
    detail: Detail,
    known: Option<&std::collections::BTreeSet<i32>>,
) -> Option<linux::Pair> {
    let linux = |r: &RawSnapshot| !netbsd::looks_like_netbsd(r) && !solaris::looks_like_solaris(r);
    if !(linux(old) && linux(new)) {
        return None;
    }
    match known {
        Some(k) => linux::build_pair_known(old, new, detail, k),
        None => Some(linux::build_pair(old, new, detail)),
    }
}

/// Builds the model of an opened input: raw members with the lists `detail` asks for, or a core (small:
/// always built whole).
pub fn analyze_input(input: &Input, detail: Detail) -> crate::Result<Snapshot> {
    match input {
        Input::Snapshot(raw) => Ok(analyze_with(raw, detail)),
        Input::Core(image) => {
            core::analyze(image.bytes(), &image.name).map_err(|e| crate::Error::Unrecognized {
                path: image.name.clone().into(),
                reason: e.to_string(),
            })
        }
    }
}

/// Opens any input procsift understands (a snapshot archive, a directory, or an ELF core; see
/// [`crate::input`]) and builds the model with the lists `detail` asks for. A directory read fetches
/// only the members `detail` needs, of the processes `opts.select.pids` names (all when `None`).
pub fn open(
    path: &std::path::Path,
    detail: Detail,
    opts: &crate::snapshot::reader::OpenOptions,
) -> crate::Result<Snapshot> {
    let opts = crate::snapshot::reader::OpenOptions {
        select: Selection {
            pids: opts.select.pids.clone(),
            ..detail.selection()
        },
        ..opts.clone()
    };
    analyze_input(&crate::input::open(path, &opts)?, detail)
}

/// Reads the core of process `pid` that a snapshot archive holds (`capture --core`: the member
/// `cores/<pid>.core`) where it lies — mapped with the archive, not copied — and builds its model;
/// without `pid`, the archive's only core. An ELF core given directly is read as it is (its pid must be
/// `pid`, when one is given). With `search`, the core's threads are also unwound
/// ([`core::analyze_with_stacks`]) with module files looked up on this machine as it says.
pub fn open_stored_core(
    path: &std::path::Path,
    pid: Option<i32>,
    opts: &crate::snapshot::reader::OpenOptions,
    search: Option<&crate::unwind::ModuleSearch>,
) -> crate::Result<Snapshot> {
    use crate::snapshot::manifest::core_member;
    use crate::snapshot::reader::{self, InputFormat};
    let shown = path.display().to_string();
    if reader::sniff(path)? == InputFormat::ElfCore {
        let s = match search {
            Some(search) => open_with_stacks(path, Detail::FULL, opts, search)?,
            None => open(path, Detail::FULL, opts)?,
        };
        if let (Some(want), Some(p)) = (pid, s.processes.first())
            && p.pid != want
            && p.pid != crate::model::Process::PID_UNKNOWN
        {
            return Err(crate::Error::NotFound(format!(
                "{shown} is a core of process {}, not {want}",
                p.pid
            )));
        }
        return Ok(s);
    }
    let raw = reader::open_path(path, opts)?;
    let mut held: Vec<i32> = raw
        .children("cores")
        .iter()
        .filter(|n| raw.file(&format!("cores/{n}")).is_some())
        .filter_map(|n| n.strip_suffix(".core")?.parse().ok())
        .collect();
    held.sort_unstable();
    let list = |v: &[i32]| {
        v.iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let pid = match (pid, held.as_slice()) {
        (Some(p), _) => p,
        (None, [one]) => *one,
        (None, []) => {
            let failed: Vec<String> = raw
                .manifest
                .iter()
                .flat_map(|m| &m.cores)
                .filter_map(|c| Some(format!("{}: {}", c.pid, c.error.as_ref()?)))
                .collect();
            return Err(crate::Error::NotFound(if failed.is_empty() {
                format!("{shown} holds no core (`procsift capture --core PID` stores one)")
            } else {
                format!(
                    "{shown} holds no core: the capture could not take {}",
                    failed.join("; ")
                )
            }));
        }
        (None, many) => {
            return Err(crate::Error::Usage(format!(
                "{shown} holds cores of processes {}: choose one with --pid",
                list(many)
            )));
        }
    };
    let member = core_member(pid);
    match raw.file(&member) {
        Some(bytes) => {
            let name = format!("{shown}:{member}");
            match search {
                Some(search) => core::analyze_with_stacks(
                    bytes,
                    &name,
                    &crate::unwind::FsModules::new(search.clone()),
                ),
                None => core::analyze(bytes, &name),
            }
            .map_err(|e| crate::Error::Corrupt {
                member: member.clone(),
                offset: 0,
                reason: e.to_string(),
            })
        }
        None => {
            let why = raw
                .manifest
                .as_ref()
                .and_then(|m| m.cores.iter().find(|c| c.pid == pid))
                .and_then(|c| c.error.clone())
                .or_else(|| raw.failure(&member).map(str::to_owned));
            Err(crate::Error::NotFound(match why {
                Some(why) => {
                    format!("{shown} holds no core of {pid}: the capture could not take it: {why}")
                }
                None if held.is_empty() => {
                    format!("{shown} holds no core (`procsift capture --core PID` stores one)")
                }
                None => format!(
                    "{shown} holds no core of {pid}; it holds cores of {}",
                    list(&held)
                ),
            }))
        }
    }
}

/// Reads INPUT as [`open`] does; when it is a core, its threads are also unwound
/// ([`core::analyze_with_stacks`]) with module files looked up on this machine as `search` says.
pub fn open_with_stacks(
    path: &std::path::Path,
    detail: Detail,
    opts: &crate::snapshot::reader::OpenOptions,
    search: &crate::unwind::ModuleSearch,
) -> crate::Result<Snapshot> {
    use crate::snapshot::reader::{self, InputFormat};
    match reader::sniff(path)? {
        InputFormat::ElfCore => {
            let file = std::fs::File::open(path).map_err(|e| crate::Error::io(path, e))?;
            let map = crate::os::map_file(&file).map_err(|e| crate::Error::io(path, e))?;
            let modules = crate::unwind::FsModules::new(search.clone());
            core::analyze_with_stacks(&map, &path.display().to_string(), &modules).map_err(|e| {
                crate::Error::Unrecognized {
                    path: path.into(),
                    reason: e.to_string(),
                }
            })
        }
        _ => open(path, detail, opts),
    }
}
