//! Read-only views of the model for the rules: one accessor per fact a rule reads, so that rules never
//! reach into the model's fields themselves (when the model is built lazily, per process and per field
//! family, only these accessors change).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::bytes::ByteString;
use crate::model::{
    Capabilities, Fd, FdKind, InputKind, Mapping, MountTable, PidProbe, PreloadFile, Process,
    Snapshot, TableSocket,
};

/// The kind of input, as the rules' support table names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputClass {
    /// Linux: the live host, a procsift archive, an extracted archive or a copied /proc tree.
    Linux,
    /// A Linux ELF core.
    LinuxCore,
    /// Solaris or illumos: a procsift archive or a copied binary /proc tree.
    Solaris,
    /// An illumos or Solaris ELF core.
    SolarisCore,
    /// NetBSD: a procsift archive or a dump of sysctl answers.
    Netbsd,
    /// A NetBSD ELF core.
    NetbsdCore,
    /// A FreeBSD ELF core.
    FreebsdCore,
}

impl InputClass {
    /// Every class, in the order `--list-rules` shows them.
    pub const ALL: [InputClass; 7] = [
        InputClass::Linux,
        InputClass::LinuxCore,
        InputClass::Solaris,
        InputClass::SolarisCore,
        InputClass::Netbsd,
        InputClass::NetbsdCore,
        InputClass::FreebsdCore,
    ];

    /// The name used in `--list-rules` and JSON (`linux`, `linux-core`, ...).
    pub fn name(self) -> &'static str {
        match self {
            InputClass::Linux => "linux",
            InputClass::LinuxCore => "linux-core",
            InputClass::Solaris => "solaris",
            InputClass::SolarisCore => "solaris-core",
            InputClass::Netbsd => "netbsd",
            InputClass::NetbsdCore => "netbsd-core",
            InputClass::FreebsdCore => "freebsd-core",
        }
    }

    /// What inputs the class covers, in words.
    pub fn describe(self) -> &'static str {
        match self {
            InputClass::Linux => "Linux live host, archive, extracted archive or /proc copy",
            InputClass::LinuxCore => "Linux core",
            InputClass::Solaris => "Solaris/illumos archive or /proc copy",
            InputClass::SolarisCore => "illumos/Solaris core",
            InputClass::Netbsd => "NetBSD archive or sysctl dump",
            InputClass::NetbsdCore => "NetBSD core",
            InputClass::FreebsdCore => "FreeBSD core",
        }
    }

    /// The class of a snapshot, from its source: `None` for a system procsift does not know.
    pub fn of(s: &Snapshot) -> Option<InputClass> {
        let os = s
            .source
            .os
            .as_deref()
            .or(s.core.as_ref().map(|c| c.os.as_str()))?;
        let core = s.source.kind == InputKind::Core || s.core.is_some();
        Some(match (os, core) {
            ("linux", false) => InputClass::Linux,
            ("linux", true) => InputClass::LinuxCore,
            ("solaris" | "illumos", false) => InputClass::Solaris,
            ("solaris" | "illumos", true) => InputClass::SolarisCore,
            ("netbsd", false) => InputClass::Netbsd,
            ("netbsd", true) => InputClass::NetbsdCore,
            ("freebsd", _) => InputClass::FreebsdCore,
            _ => return None,
        })
    }

    /// True for core files (one process, no host).
    pub fn is_core(self) -> bool {
        matches!(
            self,
            InputClass::LinuxCore
                | InputClass::SolarisCore
                | InputClass::NetbsdCore
                | InputClass::FreebsdCore
        )
    }
}

/// The snapshot as the rules see it.
pub struct Scene<'a> {
    snapshot: &'a Snapshot,
    class: Option<InputClass>,
    procs: Vec<Proc<'a>>,
    by_pid: HashMap<i32, usize>,
}

impl<'a> Scene<'a> {
    /// A view of `snapshot`.
    pub fn new(snapshot: &'a Snapshot) -> Self {
        Self::shared(snapshot, &|_| None)
    }

    /// A view of `snapshot` whose processes' records may be held by another snapshot of the same host:
    /// `model(p)` gives, for a process `p` of `snapshot` that is only a stand-in (pid, identity and what
    /// the capture's own events say of it), the process built from the same member bytes elsewhere
    /// (see `analyze::linux::build_pair`). The rules then read that model's records, and `p`'s events.
    pub fn shared(snapshot: &'a Snapshot, model: &dyn Fn(&Process) -> Option<&'a Process>) -> Self {
        let procs: Vec<Proc<'a>> = snapshot
            .processes
            .iter()
            .map(|p| Proc {
                model: model(p).unwrap_or(p),
                own: p,
            })
            .collect();
        Self::of(snapshot, InputClass::of(snapshot), procs)
    }

    /// The scene of these processes, each found by its pid.
    fn of(snapshot: &'a Snapshot, class: Option<InputClass>, procs: Vec<Proc<'a>>) -> Self {
        Scene {
            snapshot,
            class,
            by_pid: procs
                .iter()
                .enumerate()
                .map(|(i, p)| (p.pid(), i))
                .collect(),
            procs,
        }
    }

    /// The same scene without the processes `settled` names: what a rule of
    /// [`super::Scope::Process`] looks at when those processes' findings are known to be the same
    /// elsewhere (see [`super::check_shared`]). Such a rule reads only each process's own records, so
    /// the processes left out are never looked up.
    pub fn without(&self, settled: &HashSet<i32>) -> Scene<'a> {
        let procs: Vec<Proc<'a>> = self
            .procs
            .iter()
            .filter(|p| !settled.contains(&p.pid()))
            .copied()
            .collect();
        Self::of(self.snapshot, self.class, procs)
    }

    /// The input's class.
    pub fn class(&self) -> Option<InputClass> {
        self.class
    }

    /// The snapshot itself (for the evidence names).
    pub fn snapshot(&self) -> &'a Snapshot {
        self.snapshot
    }

    /// Every process of the scan (processes known only from events are not among them).
    pub fn processes(&self) -> impl Iterator<Item = Proc<'a>> + '_ {
        self.procs.iter().copied()
    }

    /// The process with this pid.
    pub fn process(&self, pid: i32) -> Option<Proc<'a>> {
        self.by_pid
            .get(&pid)
            .and_then(|&i| self.procs.get(i))
            .copied()
    }

    /// Pids of the processes that vanished while the capture read them (manifest `vanished`).
    pub fn vanished(&self) -> &'a [i32] {
        self.snapshot
            .capture
            .as_ref()
            .map_or(&[], |c| c.vanished.as_slice())
    }

    /// `/etc/ld.so.preload`, when the input holds it.
    pub fn ld_so_preload(&self) -> Option<&'a PreloadFile> {
        self.snapshot.system.ld_so_preload.as_ref()
    }

    /// The mount tables, when the input holds them.
    pub fn mount_tables(&self) -> Option<&'a [MountTable]> {
        self.snapshot.system.mount_tables.as_deref()
    }

    /// Every IP socket of the captured network tables, when the input holds them.
    pub fn table_sockets(&self) -> Option<&'a [TableSocket]> {
        self.snapshot.system.sockets.as_deref()
    }

    /// The pid probe, when the capture ran one.
    pub fn pid_probe(&self) -> Option<&'a PidProbe> {
        self.snapshot.system.pid_probe.as_ref()
    }

    /// Whether the capture recorded process events for its whole window, and how many overruns lost
    /// some: `None` when it recorded none.
    pub fn events_recorded(&self) -> Option<u64> {
        let log = self.snapshot.events.as_ref()?;
        log.recorded.then_some(log.lost)
    }

    /// Processes known only from the capture's events.
    pub fn event_only_processes(&self) -> impl Iterator<Item = Proc<'a>> + '_ {
        self.snapshot
            .events
            .iter()
            .flat_map(|l| l.processes.iter())
            .map(|p| Proc { model: p, own: p })
    }

    /// The widest capability bounding set of any process: the full set of the running kernel (a
    /// bounding set only ever shrinks from init's).
    pub fn full_capabilities(&self) -> Option<u64> {
        self.procs
            .iter()
            .filter_map(|p| p.model.capabilities.as_ref())
            .filter_map(|c| Capabilities::mask(&c.bounding))
            .reduce(|a, b| a | b)
    }

    /// The children of each process, by parent pid.
    pub fn children(&self) -> BTreeMap<i32, Vec<i32>> {
        let mut out: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
        for p in &self.procs {
            if let Some(pp) = p.model.ppid {
                out.entry(pp).or_default().push(p.model.pid);
            }
        }
        out
    }

    /// The pid namespace the input was read in, when it is not the initial one (`PROC_PID_INIT_INO`,
    /// 0xEFFFFFFC, include/linux/proc_ns.h): the input then shows only that namespace's processes, and
    /// host-wide records (a shared network namespace's sockets) may belong to processes outside it.
    pub fn inner_pid_namespace(&self) -> Option<u64> {
        const INIT_PID_NS: u64 = 0xEFFF_FFFC;
        self.procs
            .iter()
            .map(|p| p.model)
            .filter(|p| p.nspid.as_ref().is_some_and(|n| n.len() == 1))
            .find_map(|p| {
                p.namespaces
                    .as_ref()?
                    .iter()
                    .find(|n| n.kind == "pid" && n.link.is_none())
                    .map(|n| n.inode)
            })
            .filter(|ns| *ns != INIT_PID_NS)
    }

    /// True for a 32-bit core (`EI_CLASS` `ELFCLASS32`).
    pub fn core_is_32_bit(&self) -> bool {
        self.snapshot
            .core
            .as_ref()
            .is_some_and(|c| c.elf_class == 32)
    }

    /// The vdso's address in a core (`AT_SYSINFO_EHDR` of the auxv), which the core's program headers
    /// do not name.
    pub fn core_vdso(&self) -> Option<u64> {
        self.snapshot
            .core
            .as_ref()?
            .auxv
            .iter()
            .find(|a| a.name.as_deref() == Some("AT_SYSINFO_EHDR"))
            .map(|a| a.value)
    }
}

/// One process as the rules see it.
#[derive(Clone, Copy)]
pub struct Proc<'a> {
    /// Its records (those of the snapshot, or the same bytes' model in another; see [`Scene::shared`]).
    model: &'a Process,
    /// The snapshot's own process: what its capture's events say of it.
    own: &'a Process,
}

impl<'a> Proc<'a> {
    /// The pid.
    pub fn pid(&self) -> i32 {
        self.model.pid
    }

    /// The model's process (for the finding's identity).
    pub fn process(&self) -> &'a Process {
        self.model
    }

    /// Parent pid.
    pub fn ppid(&self) -> Option<i32> {
        self.model.ppid
    }

    /// Command name.
    pub fn comm(&self) -> Option<&'a [u8]> {
        self.model.comm.as_ref().map(ByteString::as_bytes)
    }

    /// The executable's path as the source gives it (Linux: with ` (deleted)` when it was deleted).
    pub fn exe(&self) -> Option<&'a [u8]> {
        self.model.exe.as_ref().map(ByteString::as_bytes)
    }

    /// The argument vector; for sources that have only the kernel's summary (`pr_psargs`), its words.
    pub fn argv(&self) -> Option<Vec<&'a [u8]>> {
        if let Some(a) = &self.model.argv {
            return Some(a.iter().map(ByteString::as_bytes).collect());
        }
        let ps = self.model.psargs.as_ref()?.as_bytes();
        Some(ps.split(|b| *b == b' ').filter(|w| !w.is_empty()).collect())
    }

    /// The argument vector as the model has it (for redaction).
    pub fn argv_model(&self) -> Option<&'a [ByteString]> {
        self.model.argv.as_deref()
    }

    /// `argv[0]`.
    pub fn argv0(&self) -> Option<&'a [u8]> {
        // What `argv()?.first()` gives, without listing every argument.
        if let Some(a) = &self.model.argv {
            return a.first().map(ByteString::as_bytes);
        }
        let ps = self.model.psargs.as_ref()?.as_bytes();
        ps.split(|b| *b == b' ').find(|w| !w.is_empty())
    }

    /// The environment, when it was read.
    pub fn env(&self) -> Option<&'a [ByteString]> {
        self.model.env.as_deref()
    }

    /// The value of environment variable `name`, when the environment was read and has it.
    pub fn env_var(&self, name: &str) -> Option<&'a [u8]> {
        let name = name.as_bytes();
        self.env()?.iter().find_map(|e| {
            let e = e.as_bytes();
            // The `=` after the name first: most entries are not this one, and a byte comparison
            // rules them out before the names are compared.
            (e.get(name.len()) == Some(&b'=') && e.starts_with(name)).then(|| &e[name.len() + 1..])
        })
    }

    /// The memory mappings, when read.
    pub fn maps(&self) -> Option<&'a [Mapping]> {
        self.model.maps.as_deref()
    }

    /// The open descriptors, when read.
    pub fn fds(&self) -> Option<&'a [Fd]> {
        self.model.fds.as_deref()
    }

    /// Descriptor `n`, when descriptors were read and it is open.
    pub fn fd(&self, n: i32) -> Option<&'a Fd> {
        self.fds()?.iter().find(|f| f.fd == n)
    }

    /// Real, effective, saved and filesystem user ids (each when known).
    pub fn uids(&self) -> [Option<u32>; 4] {
        let c = &self.model.cred;
        [c.uid, c.euid, c.suid, c.fsuid]
    }

    /// Whether it is a kernel thread (`Some(false)` only when the source says so).
    pub fn kernel_thread(&self) -> Option<bool> {
        self.model.kernel_thread
    }

    /// True for a zombie (state `Z`): it has no memory, descriptors or environment left.
    pub fn is_zombie(&self) -> bool {
        self.model.state.as_deref() == Some("Z")
    }

    /// True when the rules about a program's image apply: not a kernel thread, not a zombie.
    pub fn is_user_process(&self) -> bool {
        self.kernel_thread() != Some(true) && !self.is_zombie()
    }

    /// Whether it is being traced, and by which pid when known.
    pub fn traced(&self) -> Option<(bool, Option<i32>)> {
        Some((self.model.traced?, self.model.tracer_pid))
    }

    /// Capability sets.
    pub fn capabilities(&self) -> Option<&'a Capabilities> {
        self.model.capabilities.as_ref()
    }

    /// The inode of its namespace of `kind` (`user`, `pid`, `mnt`, `net`), when known.
    pub fn namespace(&self, kind: &str) -> Option<u64> {
        self.model
            .namespaces
            .as_ref()?
            .iter()
            .find(|n| n.kind == kind && n.link.is_none())
            .map(|n| n.inode)
    }

    /// The stack pointers of its threads, where the source records them (cores).
    pub fn stack_pointers(&self) -> impl Iterator<Item = u64> + 'a {
        self.model.threads.iter().flatten().filter_map(|t| t.sp)
    }

    /// True when the process's data model is 32-bit (Solaris `pr_dmodel`).
    pub fn is_32_bit(&self) -> bool {
        self.model.data_model == Some(crate::abi::DataModel::Ilp32)
    }

    /// Pid in each nested pid namespace, outermost first.
    pub fn nspid(&self) -> Option<&'a [i32]> {
        self.model.nspid.as_deref()
    }

    /// Why `field` (`env`, `maps`, `fds`, `exe`, `status`, ...) could not be read, when the input records
    /// a failure for it.
    pub fn unread_reason(&self, field: &str) -> Option<String> {
        self.model.unread_reason(field)
    }

    /// What the capture's events say about it.
    pub fn events(&self) -> Option<&'a crate::model::ProcessEvents> {
        self.own.events.as_ref()
    }

    /// The names it goes by, for the lists of shells, interpreters and services: comm, and the file
    /// names of the executable and of `argv[0]` (leading `-` of a login shell and ` (deleted)` removed).
    pub fn names(&self) -> Vec<&'a [u8]> {
        self.name_list().into_iter().flatten().collect()
    }

    /// True when `pred` holds for one of its names.
    pub fn named(&self, pred: impl Fn(&[u8]) -> bool) -> bool {
        self.name_list().into_iter().flatten().any(pred)
    }

    /// Its names ([`Proc::names`]), each when known, in that order.
    fn name_list(&self) -> [Option<&'a [u8]>; 3] {
        [
            self.comm(),
            self.exe().map(|e| file_name(strip_deleted(e))),
            self.argv0().map(argv0_name),
        ]
    }
}

/// `path` without a trailing ` (deleted)`.
pub fn strip_deleted(path: &[u8]) -> &[u8] {
    path.strip_suffix(b" (deleted)").unwrap_or(path)
}

/// True when the kernel marked the path as deleted.
pub fn is_deleted(path: &[u8]) -> bool {
    path.ends_with(b" (deleted)")
}

/// The last component of a path.
pub fn file_name(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|b| *b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// The program name in `argv[0]`: its first word (a rewritten title such as `sshd: root@pts/0` keeps
/// the program's name first), without a trailing `:`, the leading `-` of a login shell, or directories.
pub fn argv0_name(argv0: &[u8]) -> &[u8] {
    let word = argv0.split(|b| *b == b' ').next().unwrap_or(argv0);
    let word = word.strip_suffix(b":").unwrap_or(word);
    let word = word.strip_prefix(b"-").unwrap_or(word);
    file_name(word)
}

/// True for a mapping that is executable.
pub fn executable(m: &Mapping) -> bool {
    m.perms.as_bytes().get(2) == Some(&b'x')
}

/// True for a mapping that is writable and executable.
pub fn writable_executable(m: &Mapping) -> bool {
    m.perms.as_bytes().get(1) == Some(&b'w') && executable(m)
}

/// True when `kind` is a socket.
pub fn is_socket(f: &Fd) -> bool {
    f.kind == FdKind::Socket
}
