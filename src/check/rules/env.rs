//! Rules about environments and the host's preload file: libraries forced into programs
//! (`LD_PRELOAD`, `LD_AUDIT`, `/etc/ld.so.preload`) and shell history turned off.

use super::names;
use super::unread;
use crate::bytes::ByteString;
use crate::check::evidence::{self, Fact, of_process};
use crate::check::view::{Proc, Scene, file_name};
use crate::check::{InputClass, Out, Severity};

/// The variables that make the dynamic linker load code: glibc's and musl's, and Solaris's per data
/// model.
const PRELOAD_VARS: &[&str] = &[
    "LD_PRELOAD",
    "LD_AUDIT",
    "LD_PRELOAD_32",
    "LD_PRELOAD_64",
    "LD_AUDIT_32",
    "LD_AUDIT_64",
];

fn esc(b: &[u8]) -> String {
    ByteString::new(b).escaped()
}

/// The processes whose environment the rules look at, and a not-checked note for the others.
fn with_env<'a>(scene: &'a Scene<'_>, out: &mut Out<'_>) -> Vec<Proc<'a>> {
    let mut v = Vec::new();
    for p in scene.processes().filter(|p| p.is_user_process()) {
        if p.env().is_some() {
            v.push(p);
        } else {
            out.not_checked(Some(p.pid()), unread(p, "env", "the environment"));
        }
    }
    v
}

/// True when the parent carries the same value: the finding belongs to the ancestor that set it.
fn inherited(scene: &Scene<'_>, p: Proc<'_>, var: &str, value: &[u8]) -> bool {
    p.ppid()
        .and_then(|pp| scene.process(pp))
        .and_then(|parent| parent.env_var(var))
        .is_some_and(|v| v == value)
}

/// How many descendants of `p` carry `var=value` (they inherited it).
fn carriers_below(scene: &Scene<'_>, p: Proc<'_>, var: &str, value: &[u8]) -> usize {
    let children = scene.children();
    let mut stack = vec![p.pid()];
    let mut n = 0;
    let mut seen = std::collections::HashSet::new();
    while let Some(pid) = stack.pop() {
        for &c in children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
            if !seen.insert(c) {
                continue;
            }
            if scene.process(c).and_then(|q| q.env_var(var)) == Some(value) {
                n += 1;
                stack.push(c);
            }
        }
    }
    n
}

fn preload_severity(entries: &[&[u8]]) -> (Severity, &'static str) {
    let writable = entries
        .iter()
        .any(|e| names::under(e, names::WRITABLE_DIRS).is_some() || names::hidden_dir(e).is_some());
    let benign = entries.iter().all(|e| {
        let name = file_name(e);
        names::BENIGN_PRELOADS
            .iter()
            .any(|b| name.starts_with(b.as_bytes()))
    });
    if writable {
        (Severity::High, " (from a writable or hidden directory)")
    } else if benign {
        (
            Severity::Low,
            "; low: a library commonly preloaded on purpose (stdbuf, fakeroot, eatmydata, an allocator, a sanitizer, snoopy, ...)",
        )
    } else {
        (Severity::Medium, "")
    }
}

pub(super) fn ld_preload(scene: &Scene<'_>, out: &mut Out<'_>) {
    // Host-wide: /etc/ld.so.preload (Linux snapshots).
    if scene.class() == Some(InputClass::Linux) {
        match scene.ld_so_preload() {
            None => out.not_checked(
                None,
                "/etc/ld.so.preload is not in the input (captured by procsift since this rule; a copied /proc tree has no /etc)",
            ),
            Some(f) => match &f.error {
                Some(e) if e == "ENOENT" => {}
                Some(e) => out.not_checked(None, format!("/etc/ld.so.preload could not be read: {e}")),
                None if f.entries.is_empty() => {}
                None => {
                    let entries: Vec<&[u8]> = f.entries.iter().map(ByteString::as_bytes).collect();
                    let (severity, why) = preload_severity(&entries);
                    let list = entries.iter().map(|e| esc(e)).collect::<Vec<_>>().join(" ");
                    out.finding(
                        None,
                        severity,
                        format!("/etc/ld.so.preload loads {list} into every dynamically linked program{why}"),
                    )
                    .evidence(evidence::LD_SO_PRELOAD, list.clone())
                    .subject(entries.first().map(|e| esc(e)).unwrap_or_default());
                }
            },
        }
    }
    for p in with_env(scene, out) {
        for var in PRELOAD_VARS {
            let Some(value) = p.env_var(var) else {
                continue;
            };
            if value.trim_ascii().is_empty() || inherited(scene, p, var, value) {
                continue;
            }
            let entries: Vec<&[u8]> = value
                .split(|b| matches!(b, b' ' | b':' | b'\t'))
                .filter(|e| !e.is_empty())
                .collect();
            let (severity, why) = preload_severity(&entries);
            let below = carriers_below(scene, p, var, value);
            let shown = out.env_text(var, value);
            let also = match below {
                0 => String::new(),
                n => format!(
                    " (and {n} descendant{} inherited it)",
                    if n == 1 { "" } else { "s" }
                ),
            };
            out.finding(
                Some(p),
                severity,
                format!("{shown} in its environment: the dynamic linker loads it into the program{also}{why}"),
            )
            .evidence(of_process(scene, p.pid(), Fact::Env), shown.clone())
            .subject(entries.first().map(|e| esc(e)).unwrap_or_default());
        }
    }
}

/// Whether a shell is interactive: no `-c` and no script, or `-i`.
fn interactive_shell(p: Proc<'_>) -> bool {
    let Some(argv) = p.argv() else {
        return false;
    };
    let args = argv.get(1..).unwrap_or_default();
    if args.iter().any(|a| *a == b"-i") {
        return true;
    }
    !args.iter().any(|a| *a == b"-c" || !a.starts_with(b"-"))
}

pub(super) fn history_off(scene: &Scene<'_>, out: &mut Out<'_>) {
    for p in with_env(scene, out) {
        let mut why: Vec<String> = Vec::new();
        let mut shown: Vec<String> = Vec::new();
        for (var, off) in [
            (
                "HISTFILE",
                p.env_var("HISTFILE")
                    .filter(|v| *v == b"/dev/null" || v.is_empty()),
            ),
            ("HISTSIZE", p.env_var("HISTSIZE").filter(|v| *v == b"0")),
            (
                "HISTFILESIZE",
                p.env_var("HISTFILESIZE").filter(|v| *v == b"0"),
            ),
            ("SAVEHIST", p.env_var("SAVEHIST").filter(|v| *v == b"0")),
        ] {
            if let Some(v) = off
                && !inherited(scene, p, var, v)
            {
                why.push(var.to_string());
                shown.push(out.env_text(var, v));
            }
        }
        if why.is_empty() {
            continue;
        }
        let shell = p.named(names::is_shell);
        let (severity, note) = if shell && interactive_shell(p) {
            (Severity::Medium, String::new())
        } else if shell {
            (
                Severity::Low,
                "; low: not an interactive shell, which keeps no history anyway (some images and scripts set these)".to_string(),
            )
        } else {
            (
                Severity::Medium,
                "; it was started with them, or inherited them from a shell that turned its history off".to_string(),
            )
        };
        let f = out.finding(
            Some(p),
            severity,
            format!("shell history turned off: {}{note}", shown.join(" ")),
        );
        for s in shown {
            f.evidence(of_process(scene, p.pid(), Fact::Env), s);
        }
    }
}
