//! Rules about control and privilege: a traced process, and a non-root identity with every capability.

use super::names;
use super::unread;
use crate::bytes::ByteString;
use crate::check::evidence::{Fact, of_process};
use crate::check::view::Scene;
use crate::check::{Out, Severity};
use crate::model::Capabilities;

/// The inode of the initial user namespace (`PROC_USER_INIT_INO`, include/linux/proc_ns.h).
const INIT_USER_NS: u64 = 0xEFFF_FFFD;

fn esc(b: &[u8]) -> String {
    ByteString::new(b).escaped()
}

pub(super) fn traced(scene: &Scene<'_>, out: &mut Out<'_>) {
    for p in scene.processes().filter(|p| p.is_user_process()) {
        let Some((traced, tracer)) = p.traced() else {
            out.not_checked(Some(p.pid()), unread(p, "status", "its tracing state"));
            continue;
        };
        if !traced {
            continue;
        }
        let tracer_proc = tracer.and_then(|t| scene.process(t));
        let by = match (tracer, tracer_proc.and_then(|t| t.comm())) {
            (Some(t), Some(c)) => format!(" by {t} ({})", esc(c)),
            (Some(t), None) => format!(" by {t}"),
            (None, _) => String::new(),
        };
        let credentials = p.named(|n| names::listed(n, names::CREDENTIAL_HANDLERS, &[]));
        let debugger =
            tracer_proc.is_some_and(|t| t.named(|n| names::listed(n, names::DEBUGGERS, &[])));
        let (severity, why) = if credentials {
            (
                Severity::High,
                ": it handles credentials, which a tracer reads as they pass (strace -p on sshd)",
            )
        } else if debugger {
            (Severity::Medium, "; a debugging session looks the same")
        } else {
            (
                Severity::Medium,
                ": a tracer can read and change its memory and registers (injection, credential theft)",
            )
        };
        let tracer_command = tracer_proc.map(|tp| out.command_text(tp));
        let f = out.finding(Some(p), severity, format!("being traced{by}{why}"));
        f.evidence(
            of_process(scene, p.pid(), Fact::Tracer),
            match tracer {
                Some(t) => format!("TracerPid {t}"),
                None => "traced".into(),
            },
        );
        if let (Some(t), Some(command)) = (tracer, tracer_command) {
            f.evidence(
                of_process(scene, t, Fact::Argv),
                format!("tracer {t}: {command}"),
            );
        }
    }
}

pub(super) fn full_capabilities_nonroot(scene: &Scene<'_>, out: &mut Out<'_>) {
    let Some(full) = scene.full_capabilities().filter(|f| *f != 0) else {
        out.not_checked(None, "no process's capability sets are in the input");
        return;
    };
    for p in scene.processes().filter(|p| p.is_user_process()) {
        let Some(eff) = p
            .capabilities()
            .and_then(|c| Capabilities::mask(&c.effective))
        else {
            out.not_checked(Some(p.pid()), unread(p, "status", "its capability sets"));
            continue;
        };
        let uids = p.uids();
        if uids.iter().any(|u| *u == Some(0) || u.is_none()) || eff & full != full {
            continue;
        }
        let uid = uids[0].unwrap_or_default();
        let (severity, why) = match p.namespace("user") {
            Some(ns) if ns != INIT_USER_NS => (
                Severity::Low,
                format!(
                    "; low: it is in user namespace {ns}, not the initial one: its capabilities count only there (rootless containers)"
                ),
            ),
            Some(_) => (Severity::High, String::new()),
            None => (
                Severity::Medium,
                " (its user namespace is unknown: in a rootless container this is normal)".into(),
            ),
        };
        let f = out.finding(
            Some(p),
            severity,
            format!(
                "user {uid} holds every capability ({eff:x}): root's power under another name{why}"
            ),
        );
        f.evidence(
            of_process(scene, p.pid(), Fact::Capabilities),
            format!(
                "CapEff {eff:016x}; uids {}",
                uids.iter()
                    .map(|u| u.map_or("-".into(), |u| u.to_string()))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        );
        if let Some(ns) = p.namespace("user") {
            f.evidence(
                of_process(scene, p.pid(), Fact::Namespace("user")),
                format!("user:[{ns}]"),
            );
        }
    }
}
