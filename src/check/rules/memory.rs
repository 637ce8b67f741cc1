//! Rules about what a process has mapped: executable anonymous memory (injected or generated code),
//! executable mappings of deleted files and of files in writable directories (injected or replaced
//! libraries).

use super::names;
use super::unread;
use crate::bytes::ByteString;
use crate::check::evidence::{Fact, of_process};
use crate::check::view::{Proc, Scene, executable, is_deleted, strip_deleted, writable_executable};
use crate::check::{InputClass, Out, Severity};
use crate::model::Mapping;

/// Pseudo-paths of mappings the kernel itself provides.
const KERNEL_PAGES: &[&[u8]] = &[
    b"[vdso]",
    b"[vsyscall]",
    b"[vectors]",
    b"[sigpage]",
    b"[uprobes]",
    b"[vvar]",
    b"[vvar_vclock]",
];

/// x86_64's `vsyscall` page, which a Linux core dumps without a name.
const VSYSCALL: u64 = 0xffff_ffff_ff60_0000;

/// How many mappings a finding lists before `and N more`.
const SHOWN: usize = 4;

fn esc(b: &[u8]) -> String {
    ByteString::new(b).escaped()
}

fn describe(m: &Mapping) -> String {
    let size = m.end.saturating_sub(m.start) / 1024;
    let what = match &m.path {
        Some(p) => p.escaped(),
        None => "anonymous".into(),
    };
    format!("{:x}-{:x} {} {what} ({size} KiB)", m.start, m.end, m.perms)
}

/// The processes whose mappings the rules look at, and a not-checked note for the others.
fn with_maps<'a>(scene: &'a Scene<'_>, out: &mut Out<'_>) -> Vec<(Proc<'a>, &'a [Mapping])> {
    let mut v = Vec::new();
    for p in scene.processes().filter(|p| p.is_user_process()) {
        match p.maps() {
            Some(m) => v.push((p, m)),
            None => out.not_checked(Some(p.pid()), unread(p, "maps", "the memory mappings")),
        }
    }
    v
}

/// The tops of the user address space where FreeBSD maps its shared page (the signal trampoline and
/// time data, `VM_MAXUSER_ADDRESS` of amd64, i386 and arm64), which a core names no file for.
const FREEBSD_USER_TOPS: &[u64] = &[0x0000_8000_0000_0000, 0xbfc0_0000, 0x0001_0000_0000_0000];

/// True for anonymous memory: no file, or a pseudo-path other than the kernel's own pages.
fn anonymous(scene: &Scene<'_>, m: &Mapping, vdso: Option<u64>) -> bool {
    match &m.path {
        None => {
            // A core's program headers name nothing: its vdso, vsyscall and shared pages are known by
            // address.
            let kernel_page = vdso.is_some_and(|v| m.start <= v && v < m.end)
                || m.start == VSYSCALL
                || (scene.class() == Some(InputClass::LinuxCore)
                    && m.start >= 0xffff_8000_0000_0000)
                || (scene.class() == Some(InputClass::FreebsdCore)
                    && FREEBSD_USER_TOPS.contains(&m.end)
                    && m.end - m.start <= 0x2000
                    && !writable_executable(m));
            !kernel_page
        }
        Some(p) => {
            let p = p.as_bytes();
            p.starts_with(b"[") && !KERNEL_PAGES.contains(&p)
        }
    }
}

/// True for a process stack or heap: named so, or (a core, which names no anonymous memory) holding a
/// thread's stack pointer.
fn stack_or_heap(p: Proc<'_>, m: &Mapping) -> bool {
    match &m.path {
        Some(path) => {
            let path = path.as_bytes();
            path.starts_with(b"[heap") || path.starts_with(b"[stack")
        }
        None => p.stack_pointers().any(|sp| m.start <= sp && sp < m.end),
    }
}

pub(super) fn anon_exec_memory(scene: &Scene<'_>, out: &mut Out<'_>) {
    let vdso = scene.core_vdso();
    let solaris = matches!(
        scene.class(),
        Some(InputClass::Solaris | InputClass::SolarisCore)
    );
    let core = scene.class().is_some_and(InputClass::is_core);
    for (p, maps) in with_maps(scene, out) {
        // A core that names none of its mappings' files cannot tell them from anonymous memory.
        if core
            && !maps.iter().any(|m| {
                m.path
                    .as_ref()
                    .is_some_and(|x| x.as_bytes().starts_with(b"/"))
            })
        {
            out.not_checked(
                Some(p.pid()),
                "the core names no mapped file (no usable NT_FILE or map names): anonymous memory cannot be told from mapped files",
            );
            continue;
        }
        let found: Vec<&Mapping> = maps
            .iter()
            .filter(|m| executable(m) && anonymous(scene, m, vdso))
            .collect();
        if found.is_empty() {
            continue;
        }
        let rwx = found.iter().any(|m| writable_executable(m));
        let only_heap_stack = found.iter().all(|m| stack_or_heap(p, m));
        let bits32 = p.is_32_bit() || scene.core_is_32_bit();
        let jit = p.named(names::is_jit);
        // The executable's own data is executable too: the kernel runs the program with
        // READ_IMPLIES_EXEC (built without PT_GNU_STACK by an old toolchain), and every readable
        // mapping of it is executable.
        let exe = p.exe().map(strip_deleted);
        let read_implies_exec = maps.iter().any(|m| {
            writable_executable(m)
                && m.path.as_ref().map(|x| strip_deleted(x.as_bytes())) == exe
                && exe.is_some()
        });
        let (severity, why) = if jit {
            (
                Severity::Low,
                "; low: a JIT runtime compiles code into such memory",
            )
        } else if read_implies_exec && !solaris {
            (
                Severity::Low,
                "; low: the program's own data is executable too (READ_IMPLIES_EXEC: built without PT_GNU_STACK by an old toolchain), so all its memory is",
            )
        } else if solaris && only_heap_stack {
            (
                Severity::Low,
                "; low: Solaris gives 32-bit programs an executable heap and stack unless noexec_user_heap/noexec_user_stack is set",
            )
        } else if only_heap_stack && bits32 {
            (
                Severity::Low,
                "; low: an executable stack or heap, which older 32-bit systems give every program",
            )
        } else if only_heap_stack {
            (
                Severity::Medium,
                " (an executable stack or heap: a program built with execstack, or injected code)",
            )
        } else if rwx {
            (Severity::High, "")
        } else {
            (Severity::Medium, "")
        };
        let kind = if rwx {
            "writable and executable"
        } else {
            "executable"
        };
        let total: u64 = found
            .iter()
            .map(|m| m.end.saturating_sub(m.start) / 1024)
            .sum();
        let member = of_process(scene, p.pid(), Fact::AnonMaps);
        let f = out.finding(
            Some(p),
            severity,
            format!(
                "{} {kind} anonymous mapping{} ({total} KiB): code that is in no file{why}",
                found.len(),
                if found.len() == 1 { "" } else { "s" }
            ),
        );
        for m in found.iter().take(SHOWN) {
            f.evidence(member.clone(), describe(m));
        }
        if found.len() > SHOWN {
            f.evidence(member, format!("and {} more", found.len() - SHOWN));
        }
    }
}

/// One line per mapped file (its first range, and how many more), at most [`SHOWN`] files.
fn by_file<'a>(maps: impl Iterator<Item = &'a Mapping>) -> Vec<String> {
    let mut files: Vec<(&'a Mapping, usize)> = Vec::new();
    for m in maps {
        match files.iter_mut().find(|(f, _)| f.path == m.path) {
            Some((_, n)) => *n += 1,
            None => files.push((m, 0)),
        }
    }
    let mut out: Vec<String> = files
        .iter()
        .take(SHOWN)
        .map(|(m, more)| match more {
            0 => describe(m),
            n => format!(
                "{} and {n} more range{}",
                describe(m),
                if *n == 1 { "" } else { "s" }
            ),
        })
        .collect();
    if files.len() > SHOWN {
        out.push(format!("and {} more files", files.len() - SHOWN));
    }
    out
}

/// Executable file mappings other than the executable itself.
fn library_mappings<'a>(p: Proc<'_>, maps: &'a [Mapping]) -> Vec<&'a Mapping> {
    let exe = p.exe().map(strip_deleted);
    maps.iter()
        .filter(|m| executable(m))
        .filter(|m| {
            m.path.as_ref().is_some_and(|path| {
                let path = path.as_bytes();
                path.starts_with(b"/") && Some(strip_deleted(path)) != exe
            })
        })
        .collect()
}

pub(super) fn deleted_library(scene: &Scene<'_>, out: &mut Out<'_>) {
    for (p, maps) in with_maps(scene, out) {
        let mut found: Vec<(&Mapping, Severity, &str)> = Vec::new();
        let jit = p.named(names::is_jit);
        for m in library_mappings(p, maps) {
            let path = m.path.as_ref().map(|x| x.as_bytes()).unwrap_or_default();
            if !is_deleted(path) {
                continue;
            }
            let file = strip_deleted(path);
            let (severity, why) = if let Some(name) = file.strip_prefix(b"/memfd:") {
                let jit_memfd = names::JIT_MEMFDS
                    .iter()
                    .any(|n| name.starts_with(n.as_bytes()));
                if jit || jit_memfd {
                    (Severity::Low, "a JIT runtime's code cache in a memfd")
                } else {
                    (Severity::High, "code loaded from a memfd")
                }
            } else if names::under(file, names::WRITABLE_DIRS).is_some() {
                (Severity::High, "from a directory anyone may write to")
            } else if names::under(file, names::SYSTEM_DIRS).is_some() {
                (
                    Severity::Low,
                    "a system path: most often a package upgrade replaced the library while the process ran",
                )
            } else {
                (Severity::Medium, "")
            };
            found.push((m, severity, why));
        }
        let Some(severity) = found.iter().map(|f| f.1).max() else {
            continue;
        };
        let worst = found.iter().find(|f| f.1 == severity).map(|f| (f.0, f.2));
        let (first, why) = worst.unwrap_or((found[0].0, ""));
        let member = of_process(scene, p.pid(), Fact::Maps);
        let path = first
            .path
            .as_ref()
            .map(|x| x.as_bytes())
            .unwrap_or_default();
        let why = match (why.is_empty(), severity) {
            (true, _) => String::new(),
            (false, Severity::Low) => format!("; low: {why}"),
            (false, _) => format!(" ({why})"),
        };
        let others = match found.len() {
            1 => String::new(),
            n => format!(
                " and {} other deleted file{}",
                n - 1,
                if n == 2 { "" } else { "s" }
            ),
        };
        let f = out.finding(
            Some(p),
            severity,
            format!(
                "maps executable code of the deleted file {}{others}{why}",
                esc(path)
            ),
        );
        f.subject(esc(strip_deleted(path)));
        for line in by_file(found.iter().map(|x| x.0)) {
            f.evidence(member.clone(), line);
        }
    }
}

pub(super) fn library_writable_dir(scene: &Scene<'_>, out: &mut Out<'_>) {
    for (p, maps) in with_maps(scene, out) {
        let java = p.named(|n| n == b"java" || n.starts_with(b"java"));
        let mut found: Vec<(&Mapping, Severity, String)> = Vec::new();
        for m in library_mappings(p, maps) {
            let path = strip_deleted(m.path.as_ref().map(|x| x.as_bytes()).unwrap_or_default());
            if path.starts_with(b"/memfd:") {
                continue;
            }
            let place = if let Some(d) = names::under(path, names::WRITABLE_DIRS) {
                format!("under {d}")
            } else if let Some(h) = names::hidden_dir(path) {
                format!("in the hidden directory {}", esc(h))
            } else {
                continue;
            };
            let name = crate::check::view::file_name(path);
            let (severity, why) = if java {
                (
                    Severity::Low,
                    format!(
                        "{place}; low: Java libraries (netty, JNA, snappy, sqlite-jdbc) unpack their native code to a temporary directory and load it"
                    ),
                )
            } else if path.starts_with(b"/tmp/_MEI") {
                (
                    Severity::Low,
                    format!(
                        "{place}; low: a PyInstaller program unpacks its libraries to /tmp/_MEI*"
                    ),
                )
            } else if name.starts_with(b"ffi") {
                (
                    Severity::Low,
                    format!(
                        "{place}; low: libffi maps its closures from a temporary file where anonymous executable memory is refused"
                    ),
                )
            } else if names::in_home(path) && names::hidden_dir(path).is_some() {
                (
                    Severity::Low,
                    format!(
                        "{place}; low: per-user tool installs live in hidden directories of a home directory"
                    ),
                )
            } else {
                (Severity::Medium, place)
            };
            found.push((m, severity, why));
        }
        let Some(severity) = found.iter().map(|f| f.1).max() else {
            continue;
        };
        let (first, why) = found
            .iter()
            .find(|f| f.1 == severity)
            .map(|f| (f.0, f.2.clone()))
            .unwrap_or((found[0].0, String::new()));
        let member = of_process(scene, p.pid(), Fact::Maps);
        let first_path = first.path.as_ref().map(|x| x.escaped()).unwrap_or_default();
        let f = out.finding(
            Some(p),
            severity,
            format!("maps executable code from {first_path}, {why}"),
        );
        f.subject(esc(strip_deleted(
            first
                .path
                .as_ref()
                .map(|x| x.as_bytes())
                .unwrap_or_default(),
        )));
        for line in by_file(found.iter().map(|x| x.0)) {
            f.evidence(member.clone(), line);
        }
    }
}
