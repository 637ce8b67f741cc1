//! Where each fact a rule reads comes from, named the way the input names it: the archive member
//! (`proc/1234/exe`, `proc/1234/maps`, `sysctl/kern.proc_args/1234/pathname`) or the core note
//! (`NT_FILE`, `NT_PRPSINFO`). This is the one place that knows the members and notes behind the model's
//! fields; a finding's evidence always names one of these.

use super::view::{InputClass, Scene};

/// A fact of a process, or of the host, that a rule reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fact<'a> {
    /// The executable's path.
    Exe,
    /// The argument vector.
    Argv,
    /// The command name.
    Comm,
    /// The environment.
    Env,
    /// The memory mappings.
    Maps,
    /// The memory mappings that are no file's (a core names them by its program headers only).
    AnonMaps,
    /// Descriptor N.
    Fd(i32),
    /// User ids.
    Credentials,
    /// Tracing state.
    Tracer,
    /// Capability sets.
    Capabilities,
    /// Parent pid.
    Parent,
    /// Kernel-thread flag.
    KernelThread,
    /// The namespace link of this type.
    Namespace(&'a str),
}

/// The member or note a process fact comes from.
pub fn of_process(scene: &Scene<'_>, pid: i32, fact: Fact<'_>) -> String {
    match scene.class() {
        Some(InputClass::Linux) | None => linux(pid, fact),
        Some(InputClass::Solaris) => solaris(pid, fact),
        Some(InputClass::Netbsd) => netbsd(pid, fact),
        Some(c) => core(scene, c, fact),
    }
}

fn linux(pid: i32, fact: Fact<'_>) -> String {
    let file = match fact {
        Fact::Exe => "exe".to_string(),
        Fact::Argv => "cmdline".into(),
        Fact::Comm | Fact::KernelThread | Fact::Parent => "stat".into(),
        Fact::Env => "environ".into(),
        Fact::Maps | Fact::AnonMaps => "maps".into(),
        Fact::Fd(n) => format!("fd/{n}"),
        Fact::Credentials | Fact::Tracer | Fact::Capabilities => "status".into(),
        Fact::Namespace(t) => format!("ns/{t}"),
    };
    format!("proc/{pid}/{file}")
}

fn solaris(pid: i32, fact: Fact<'_>) -> String {
    let file = match fact {
        Fact::Exe => "path/a.out".to_string(),
        Fact::Argv | Fact::Comm | Fact::KernelThread | Fact::Parent => "psinfo".into(),
        Fact::Env => "psinfo".into(),
        Fact::Maps | Fact::AnonMaps => "xmap".into(),
        Fact::Fd(n) => format!("fdinfo/{n}"),
        Fact::Credentials => "cred".into(),
        Fact::Tracer => "status".into(),
        Fact::Capabilities => "priv".into(),
        Fact::Namespace(_) => "psinfo".into(),
    };
    format!("proc/{pid}/{file}")
}

fn netbsd(pid: i32, fact: Fact<'_>) -> String {
    match fact {
        Fact::Exe => format!("sysctl/kern.proc_args/{pid}/pathname"),
        Fact::Argv => format!("sysctl/kern.proc_args/{pid}/argv"),
        Fact::Env => format!("sysctl/kern.proc_args/{pid}/env"),
        Fact::Fd(_) => "sysctl/kern.file2".into(),
        Fact::Maps | Fact::AnonMaps => "sysctl/kern.proc2".into(),
        _ => "sysctl/kern.proc2".into(),
    }
}

/// A core's note for `fact`: where the model says the value came from (`CoreInfo.provenance`), else the
/// note each system's cores carry it in.
fn core(scene: &Scene<'_>, class: InputClass, fact: Fact<'_>) -> String {
    let field = match fact {
        Fact::Exe => "exe",
        Fact::Argv => "argv",
        Fact::Env => "env",
        Fact::Comm => "comm",
        _ => "",
    };
    if let Some(core) = &scene.snapshot().core
        && let Some(p) = core.provenance.iter().find(|p| p.field == field)
    {
        // Values read from the dumped stack (argv and environment beyond pr_psargs) are in a PT_LOAD
        // segment, not in a note.
        if p.source.starts_with("stack memory") {
            return STACK.into();
        }
        if let Some(note) = note_in(&p.source) {
            return note;
        }
    }
    let n = match (class, fact) {
        (InputClass::FreebsdCore, Fact::AnonMaps) => "NT_PROCSTAT_VMMAP",
        (_, Fact::AnonMaps) => "PT_LOAD (program headers)",
        (InputClass::LinuxCore, Fact::Exe | Fact::Maps) => "NT_FILE",
        (InputClass::LinuxCore, Fact::Env) => STACK,
        (InputClass::LinuxCore, _) => "NT_PRPSINFO",
        (InputClass::SolarisCore, Fact::Maps) => "PT_LOAD (program headers)",
        (InputClass::SolarisCore, Fact::Fd(_)) => "NT_FDINFO",
        (InputClass::SolarisCore, Fact::Credentials) => "NT_PRCRED",
        (InputClass::SolarisCore, Fact::Tracer) => "NT_PSTATUS",
        (InputClass::SolarisCore, _) => "NT_PSINFO",
        (InputClass::FreebsdCore, Fact::Maps | Fact::Exe) => "NT_PROCSTAT_VMMAP",
        (InputClass::FreebsdCore, Fact::Fd(_)) => "NT_PROCSTAT_FILES",
        (InputClass::FreebsdCore, _) => "NT_PROCSTAT_PROC",
        (InputClass::NetbsdCore, Fact::Maps) => "PT_LOAD (program headers)",
        (_, _) => "NetBSD-CORE procinfo",
    };
    n.to_string()
}

/// A core's dumped stack, where argv and the environment are found through the copy of `NT_AUXV`.
const STACK: &str = "PT_LOAD (the dumped stack)";

/// The first `NT_...` name in a provenance text.
fn note_in(text: &str) -> Option<String> {
    let i = text.find("NT_")?;
    let name: String = text[i..]
        .chars()
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
        .collect();
    Some(name)
}

/// The socket table of a network namespace: `proc/<pid>/net/<protocol>` of the first process captured
/// in it (the capture stores each namespace's tables once, under that process), or `proc/net/...`.
pub fn socket_table(scene: &Scene<'_>, netns: Option<u64>, protocol: &str) -> String {
    let owner = netns.and_then(|ns| {
        scene
            .processes()
            .filter(|p| p.namespace("net") == Some(ns))
            .map(|p| p.pid())
            .min()
    });
    match owner {
        Some(pid) => format!("proc/{pid}/net/{protocol}"),
        None => format!("proc/net/{protocol}"),
    }
}

/// The listing of processes: the `proc/<pid>` directories (Linux, Solaris) or `kern.proc2` (NetBSD).
pub fn listing(scene: &Scene<'_>) -> String {
    match scene.class() {
        Some(InputClass::Netbsd) => "sysctl/kern.proc2".into(),
        _ => "proc".into(),
    }
}

/// The captured process events.
pub const EVENTS: &str = "events/cn_proc.bin";
/// The manifest (its `vanished` list, its `capture.pid`).
pub const MANIFEST: &str = "manifest.json";
/// The pid probe's list.
pub const PROBE: &str = "probe/pids";
/// `/etc/ld.so.preload`.
pub const LD_SO_PRELOAD: &str = "etc/ld.so.preload";

/// `proc/<pid>/mountinfo`.
pub fn mountinfo(pid: i32) -> String {
    format!("proc/{pid}/mountinfo")
}
