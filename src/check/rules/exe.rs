//! Rules about the program a process runs: deleted, fileless, from a writable or hidden directory,
//! names that disagree, and user processes dressed as kernel threads.

use super::names::{self, listed};
use super::unread;
use crate::bytes::ByteString;
use crate::check::evidence::{Fact, of_process};
use crate::check::view::{Proc, Scene, argv0_name, file_name, is_deleted, strip_deleted};
use crate::check::{Out, Severity};

/// The executable's path without its ` (deleted)` mark, and whether it had one.
fn exe_of(p: Proc<'_>) -> Option<(&[u8], bool)> {
    let e = p.exe()?;
    Some((strip_deleted(e), is_deleted(e)))
}

fn esc(b: &[u8]) -> String {
    ByteString::new(b).escaped()
}

/// The processes whose program the rules look at, and a not-checked note for the others.
fn with_exe<'a>(scene: &'a Scene<'_>, out: &mut Out<'_>) -> Vec<(Proc<'a>, &'a [u8])> {
    let mut v = Vec::new();
    for p in scene.processes().filter(|p| p.is_user_process()) {
        match p.exe() {
            Some(e) => v.push((p, e)),
            None => out.not_checked(Some(p.pid()), unread(p, "exe", "the executable's path")),
        }
    }
    v
}

pub(super) fn exe_deleted(scene: &Scene<'_>, out: &mut Out<'_>) {
    for (p, exe) in with_exe(scene, out) {
        if !is_deleted(exe) || exe.starts_with(b"/memfd:") {
            continue;
        }
        let path = strip_deleted(exe);
        let (severity, why) = if let Some(d) = names::under(path, names::WRITABLE_DIRS) {
            (
                Severity::High,
                format!(" from {d}, a directory anyone may write to"),
            )
        } else if names::hidden_dir(path).is_some() && !names::in_home(path) {
            (Severity::High, " from a hidden directory".to_string())
        } else if names::under(path, names::SYSTEM_DIRS).is_some() {
            (
                Severity::Low,
                "; low: a system path, most often a package upgrade that replaced the program while it ran (restart it, or compare the package's file)"
                    .to_string(),
            )
        } else {
            (Severity::Medium, String::new())
        };
        out.finding(
            Some(p),
            severity,
            format!("runs a deleted executable {}{why}", esc(exe)),
        )
        .evidence(of_process(scene, p.pid(), Fact::Exe), esc(exe))
        .subject(esc(path));
    }
}

pub(super) fn exe_memfd(scene: &Scene<'_>, out: &mut Out<'_>) {
    for (p, exe) in with_exe(scene, out) {
        let Some(name) = exe.strip_prefix(b"/memfd:") else {
            continue;
        };
        let self_clone = names::SELF_CLONING_MEMFDS
            .iter()
            .any(|n| name.starts_with(n.as_bytes()));
        let (severity, why) = if self_clone {
            (
                Severity::Low,
                "; low: runc re-executes itself from a sealed memfd to protect its binary (CVE-2019-5736)",
            )
        } else {
            (Severity::High, "")
        };
        out.finding(
            Some(p),
            severity,
            format!(
                "runs from a memfd, an anonymous file in memory (fileless execution): {}{why}",
                esc(exe)
            ),
        )
        .evidence(of_process(scene, p.pid(), Fact::Exe), esc(exe));
    }
}

pub(super) fn exe_writable_dir(scene: &Scene<'_>, out: &mut Out<'_>) {
    for (p, exe) in with_exe(scene, out) {
        let path = strip_deleted(exe);
        if !path.starts_with(b"/") {
            continue;
        }
        let (severity, why) = if let Some(d) = names::under(path, names::WRITABLE_DIRS) {
            (
                Severity::Medium,
                format!("under {d}, a directory anyone may write to"),
            )
        } else if let Some(h) = names::hidden_dir(path) {
            if names::in_home(path) {
                (
                    Severity::Low,
                    format!(
                        "in the hidden directory {} of a home directory; low: per-user tool installs live there (~/.cargo/bin, ~/.local/bin, ~/.pyenv, ~/.vscode-server)",
                        esc(h)
                    ),
                )
            } else {
                (
                    Severity::Medium,
                    format!("in the hidden directory {}", esc(h)),
                )
            }
        } else {
            continue;
        };
        out.finding(Some(p), severity, format!("runs {} {why}", esc(exe)))
            .evidence(of_process(scene, p.pid(), Fact::Exe), esc(exe))
            .subject(esc(path));
    }
}

/// Whether two names are the same program: equal, or one is the other cut at the kernel's command-name
/// length (15 bytes on Linux, 16 on Solaris and the BSDs).
fn same(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short == long || (short.len() >= 15 && long.starts_with(short))
}

pub(super) fn name_mismatch(scene: &Scene<'_>, out: &mut Out<'_>) {
    for p in scene.processes().filter(|p| p.is_user_process()) {
        let (Some(comm), Some(argv), Some((exe, _))) = (p.comm(), p.argv(), exe_of(p)) else {
            out.not_checked(
                Some(p.pid()),
                unread(p, "exe", "the command name, argv or executable"),
            );
            continue;
        };
        let Some(&argv0) = argv.first() else {
            continue;
        };
        let n_exe = file_name(exe);
        let n_argv = argv0_name(argv0);
        if same(comm, n_exe) || same(comm, n_argv) || same(n_exe, n_argv) {
            continue;
        }
        let runtime = [n_exe, n_argv, comm]
            .iter()
            .any(|n| listed(n, names::RUNTIMES, names::RUNTIME_PREFIXES));
        if runtime {
            continue;
        }
        out.finding(
            Some(p),
            Severity::Low,
            format!(
                "its names disagree: comm {}, argv[0] {}, executable {} (a process that renamed itself, or was started under a false name)",
                esc(comm),
                esc(argv0),
                esc(exe)
            ),
        )
        .evidence(of_process(scene, p.pid(), Fact::Comm), format!("comm {}", esc(comm)))
        .evidence(of_process(scene, p.pid(), Fact::Argv), format!("argv[0] {}", esc(argv0)))
        .evidence(of_process(scene, p.pid(), Fact::Exe), esc(exe));
    }
}

/// The name inside `[...]` when `s` has the form `ps` gives kernel threads and the name looks like one
/// (no blanks; a known kernel-thread name, or `name/N`).
fn bracketed_kernel_name(s: &[u8]) -> Option<&[u8]> {
    let inner = s.strip_prefix(b"[")?.strip_suffix(b"]")?;
    if inner.is_empty() || inner.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    (kernel_like(inner) || inner.contains(&b'/')).then_some(inner)
}

fn kernel_like(name: &[u8]) -> bool {
    names::KERNEL_THREAD_PREFIXES
        .iter()
        .any(|p| name.starts_with(p.as_bytes()))
}

pub(super) fn kernel_thread_masquerade(scene: &Scene<'_>, out: &mut Out<'_>) {
    let core = scene.class().is_some_and(|c| c.is_core());
    let linux = matches!(
        scene.class(),
        Some(crate::check::InputClass::Linux | crate::check::InputClass::LinuxCore)
    );
    for p in scene.processes() {
        if p.kernel_thread() == Some(true) || p.is_zombie() {
            continue;
        }
        let argv0 = p.argv0();
        let by_argv = argv0.and_then(bracketed_kernel_name);
        let by_comm = p.comm().filter(|c| linux && kernel_like(c));
        let Some(name) = by_argv.or(by_comm) else {
            continue;
        };
        // What proves it is no kernel thread.
        let pid = p.pid();
        let mut proofs: Vec<(String, String)> = Vec::new();
        if core {
            proofs.push((
                of_process(scene, pid, Fact::Comm),
                "a kernel thread never dumps core".into(),
            ));
        }
        if p.kernel_thread() == Some(false) {
            proofs.push((
                of_process(scene, pid, Fact::KernelThread),
                "no kernel-thread flag (PF_KTHREAD, SSYS, P_SYSTEM)".into(),
            ));
        }
        if let Some(e) = p.exe() {
            proofs.push((
                of_process(scene, pid, Fact::Exe),
                format!("executable {}", esc(e)),
            ));
        }
        if let Some(m) = p.maps().filter(|m| !m.is_empty()) {
            proofs.push((
                of_process(scene, pid, Fact::Maps),
                format!("{} memory mappings", m.len()),
            ));
        }
        if linux
            && !core
            && let Some(pp) = p.ppid()
            && pp != 2
            && p.nspid().is_none_or(|n| n.len() <= 1)
        {
            proofs.push((
                of_process(scene, pid, Fact::Parent),
                format!("parent {pp}, not kthreadd (2)"),
            ));
        }
        if proofs.is_empty() {
            out.not_checked(Some(pid), "no record tells whether it is a kernel thread");
            continue;
        }
        let how = match (by_argv, argv0) {
            (Some(_), Some(a)) => format!("argv[0] {}", esc(a)),
            _ => format!("command name {}", esc(p.comm().unwrap_or_default())),
        };
        let f = out.finding(
            Some(p),
            Severity::High,
            format!(
                "named like the kernel thread {} ({how}) but is a user process",
                esc(name)
            ),
        );
        if by_argv.is_some() {
            f.evidence(of_process(scene, pid, Fact::Argv), how.clone());
        } else {
            f.evidence(of_process(scene, pid, Fact::Comm), how.clone());
        }
        for (m, d) in proofs {
            f.evidence(m, d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_brackets() {
        assert!(same(b"python3", b"python3"));
        assert!(same(b"systemd-journal", b"systemd-journald"));
        assert!(!same(b"sh", b"bash"));
        assert_eq!(
            bracketed_kernel_name(b"[kworker/0:2]"),
            Some(&b"kworker/0:2"[..])
        );
        assert_eq!(bracketed_kernel_name(b"[kthreadd]"), Some(&b"kthreadd"[..]));
        assert_eq!(
            bracketed_kernel_name(b"[celeryd: celery@h:ForkPoolWorker-1]"),
            None
        );
        assert_eq!(bracketed_kernel_name(b"[mything]"), None);
        assert_eq!(bracketed_kernel_name(b"kworker/0:2"), None);
    }
}
