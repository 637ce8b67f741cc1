//! `core FILE`: why a process died and what it was doing — the signal, the faulting thread's registers
//! and where its pc points, every thread, where each value came from, the auxv and the notes.

use super::{Report, sectioned};
use crate::model::{CoreInfo, Mapping, Process, Snapshot};

/// The `core` report. JSON: `core` (the core's facts) and `process` (the model of the dumped process).
pub fn core(snapshot: &Snapshot) -> crate::Result<Report> {
    let info = snapshot.core.as_ref().ok_or_else(|| {
        crate::Error::Usage(format!(
            "{} is not a core file: use ps, show, threads, ... for snapshots",
            snapshot.source.path
        ))
    })?;
    let p = snapshot.processes.first();
    let mut sections: Vec<(&str, Vec<(String, String)>)> = Vec::new();

    let mut file = vec![
        ("file".to_string(), snapshot.source.path.clone()),
        ("written by".into(), info.os.clone()),
        (
            "architecture".into(),
            format!(
                "{} ({}-bit, {}-endian)",
                info.arch, info.elf_class, info.byte_order
            ),
        ),
    ];
    if let Some(k) = &info.kernel {
        file.push(("kernel".into(), k.clone()));
    }
    sections.push(("core", file));

    if let Some(p) = p {
        let mut id = vec![("pid".to_string(), p.pid_text())];
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                id.push((k.into(), v));
            }
        };
        push("ppid", p.ppid.map(|v| v.to_string()));
        push(
            "pgid / sid",
            p.pgid.zip(p.sid).map(|(g, s)| format!("{g} / {s}")),
        );
        push("command", p.comm.as_ref().map(|c| c.escaped()));
        push("executable", p.exe.as_ref().map(|c| c.escaped()));
        push("arguments", Some(p.command_line()));
        push(
            "uid / gid",
            p.cred
                .uid
                .map(|u| format!("{u} / {}", p.cred.gid.map_or("-".into(), |g| g.to_string()))),
        );
        push(
            "euid / egid",
            p.cred.euid.map(|u| {
                format!(
                    "{u} / {}",
                    p.cred.egid.map_or("-".into(), |g| g.to_string())
                )
            }),
        );
        push("state", p.state.clone());
        push("umask", p.umask.map(|u| format!("{u:04o}")));
        push("threads", p.threads.as_ref().map(|t| t.len().to_string()));
        push("started", p.start_time.map(|t| t.rfc3339()));
        sections.push(("process", id));
    }

    if let Some(l) = &info.live {
        let mut live = vec![("written by".to_string(), l.tool.clone())];
        if let Some(t) = l.time {
            live.push(("stopped at".into(), t.rfc3339()));
        }
        live.push((
            "stopped for".into(),
            format!(
                "{:.1} ms{}",
                l.stopped_ms,
                if l.was_stopped {
                    " (it was stopped before, and left so)"
                } else {
                    ""
                }
            ),
        ));
        live.push((
            "mappings".into(),
            if l.all {
                "every readable one (--all)".into()
            } else {
                format!("coredump_filter {:#x}", l.coredump_filter)
            },
        ));
        if let Some(m) = l.max_size {
            live.push(("--max-size".into(), m.to_string()));
        }
        if !l.missing.is_empty() {
            let bytes: u64 = l
                .missing
                .iter()
                .map(|m| m.end.saturating_sub(m.start))
                .sum();
            live.push((
                "not in the core".into(),
                format!(
                    "{} ranges, {bytes} bytes (see the warnings)",
                    l.missing.len()
                ),
            ));
        }
        sections.push(("taken from a live process", live));
    }

    let mut sig = Vec::new();
    match &info.signal {
        Some(s) => {
            let name = s.name.clone().unwrap_or_else(|| "signal".into());
            sig.push(("signal".to_string(), format!("{name} ({})", s.number)));
            if let Some(c) = s.code {
                sig.push((
                    "code".into(),
                    s.code_name
                        .clone()
                        .map_or(c.to_string(), |n| format!("{c} {n}")),
                ));
            }
            if let Some(e) = s.errno.filter(|e| *e != 0) {
                sig.push(("errno".into(), e.to_string()));
            }
            if let Some(a) = s.fault_address {
                let place = p
                    .and_then(|p| locate(p, info, a))
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                sig.push(("fault address".into(), format!("{a:#x}{place}")));
            }
            if let Some(pid) = s.sender_pid {
                let uid = s
                    .sender_uid
                    .map(|u| format!(", uid {u}"))
                    .unwrap_or_default();
                sig.push(("sent by".into(), format!("pid {pid}{uid}")));
            }
            if let Some(t) = s.thread {
                sig.push(("thread".into(), t.to_string()));
            }
            sig.push(("source".into(), s.source.clone()));
        }
        None => sig.push((
            "signal".into(),
            "none recorded (a gcore of a live process, or a stripped core)".into(),
        )),
    }
    sections.push(("signal", sig));

    // The thread that took the signal, and where its pc and sp are.
    if let Some(p) = p {
        let faulting = info
            .signal
            .as_ref()
            .and_then(|s| s.thread)
            .and_then(|tid| p.threads.iter().flatten().find(|t| t.tid == tid))
            .or_else(|| p.threads.iter().flatten().next());
        if let Some(t) = faulting {
            let mut regs = Vec::new();
            if let Some(pc) = t.pc {
                let place = locate(p, info, pc)
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                regs.push(("pc".to_string(), format!("{pc:#x}{place}")));
            }
            if let Some(sp) = t.sp {
                let place = locate(p, info, sp)
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                regs.push(("sp".into(), format!("{sp:#x}{place}")));
            }
            for r in t.registers.iter().flatten() {
                regs.push((r.name.clone(), format!("{:#x}", r.value)));
            }
            let (regs_title, backtrace_title) = if info.signal.is_some() {
                (
                    "registers of the signalled thread",
                    "backtrace of the signalled thread",
                )
            } else {
                (
                    "registers of the first thread",
                    "backtrace of the first thread",
                )
            };
            sections.push((regs_title, with_tid(regs, t.tid)));
            if let Some(frames) = &t.frames {
                sections.push((backtrace_title, backtrace(t, frames, info)));
            }
        }
        let threads: Vec<(String, String)> = p
            .threads
            .iter()
            .flatten()
            .map(|t| {
                let name = t
                    .name
                    .as_ref()
                    .map(|n| format!(" {}", n.escaped()))
                    .unwrap_or_default();
                let pc = t.pc.map(|v| format!(" pc {v:#x}")).unwrap_or_default();
                (
                    format!("{}{name}", t.tid),
                    format!("signal {}{pc}", t.signal.unwrap_or(0)),
                )
            })
            .collect();
        sections.push(("threads", threads));

        if let Some(maps) = &p.maps {
            let missing = maps
                .iter()
                .filter(|m| {
                    m.dumped_bytes
                        .is_some_and(|d| d < m.end.saturating_sub(m.start))
                })
                .count();
            let files = maps.iter().filter(|m| m.path.is_some()).count();
            sections.push((
                "memory",
                vec![
                    ("mappings".into(), maps.len().to_string()),
                    ("file-backed".into(), files.to_string()),
                    (
                        "not fully in the core".into(),
                        format!("{missing} (see `procsift maps`)"),
                    ),
                ]
                .into_iter()
                .chain(
                    info.mappings_omitted
                        .iter()
                        .map(|w| ("list may be incomplete".to_string(), w.clone())),
                )
                .collect(),
            ));
        }
    }

    if !info.modules.is_empty() {
        sections.push((
            "modules",
            info.modules
                .iter()
                .filter(|m| m.frames > 0 || m.status.starts_with("not used"))
                .map(|m| {
                    let mut v = m.status.clone();
                    if let Some(f) = &m.file {
                        v.push_str(&format!(", {f}"));
                    }
                    if let Some(d) = &m.debug_file {
                        v.push_str(&format!(", debug file {d}"));
                    }
                    if let Some(b) = &m.build_id {
                        v.push_str(&format!(", build-id {b}"));
                    }
                    v.push_str(&format!(", {} frames", m.frames));
                    if !m.status.starts_with("used")
                        && let Some(n) = &m.note
                    {
                        v.push_str(&format!(" ({n})"));
                    }
                    (m.path.escaped(), v)
                })
                .collect(),
        ));
    }

    if let Some(limits) = p.and_then(|p| p.limits.as_ref()).filter(|l| !l.is_empty()) {
        let v = |x: Option<u64>| x.map_or("unlimited".to_string(), |x| x.to_string());
        sections.push((
            "limits (soft / hard)",
            limits
                .iter()
                .map(|l| (l.name.clone(), format!("{} / {}", v(l.soft), v(l.hard))))
                .collect(),
        ));
    }
    if !info.provenance.is_empty() {
        sections.push((
            "sources",
            info.provenance
                .iter()
                .map(|s| (s.field.clone(), s.source.clone()))
                .collect(),
        ));
    }
    if !info.auxv.is_empty() {
        sections.push((
            "auxv",
            info.auxv
                .iter()
                .map(|a| {
                    let name = a.name.clone().unwrap_or_else(|| format!("type {}", a.kind));
                    let s = a
                        .string
                        .as_ref()
                        .map(|s| format!(" \"{}\"", s.escaped()))
                        .unwrap_or_default();
                    (name, format!("{:#x}{s}", a.value))
                })
                .collect(),
        ));
    }
    sections.push((
        "notes",
        info.notes
            .iter()
            .map(|n| {
                let name = n
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("type {:#x}", n.kind));
                (
                    format!("{} {name}", n.owner),
                    format!("{} bytes at {:#x}", n.size, n.offset),
                )
            })
            .collect(),
    ));

    let mut extra = serde_json::Map::new();
    extra.insert(
        "core".into(),
        serde_json::to_value(info).unwrap_or_default(),
    );
    if let Some(p) = p {
        extra.insert(
            "process".into(),
            serde_json::to_value(p).unwrap_or_default(),
        );
    }
    Ok(sectioned("core", &sections, extra).about(snapshot))
}

/// One line per frame (`#0`, `#1`, ...): pc, function, source and module, how it was found; then why the
/// unwind stopped, and a sentence when frames are only module + offset.
fn backtrace(
    t: &crate::model::Thread,
    frames: &[crate::model::Frame],
    info: &CoreInfo,
) -> Vec<(String, String)> {
    use super::threads::{frame_function, frame_module, frame_source};
    let mut out: Vec<(String, String)> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut v = format!("{:#x}", f.pc);
            if let Some(func) = frame_function(f) {
                v.push_str(&format!(" in {func}"));
            }
            if let Some(src) = frame_source(f) {
                v.push_str(&format!(" at {src}"));
            }
            if let Some(m) = frame_module(f) {
                v.push_str(&format!(" ({m})"));
            }
            v.push_str(&format!(" [{}]", f.found_by));
            (format!("#{i}"), v)
        })
        .collect();
    if let Some(stop) = &t.unwind_stop {
        out.push(("end".into(), stop.clone()));
    }
    let unnamed = info
        .modules
        .iter()
        .filter(|m| m.frames > 0 && !m.status.starts_with("used"))
        .count();
    if unnamed > 0 {
        out.push((
            "note".into(),
            format!(
                "{unnamed} module(s) holding frames were not found or not used (see modules): their \
                 frames are module + offset, and without their CFI frame pointers can skip callers; \
                 give a copy of the crashed machine's files with --sysroot DIR, or debug files with \
                 --debug-dir DIR"
            ),
        ));
    }
    out
}

fn with_tid(mut regs: Vec<(String, String)>, tid: i32) -> Vec<(String, String)> {
    regs.insert(0, ("thread".into(), tid.to_string()));
    regs
}

/// Where `addr` is: `path+0xoffset` or `anonymous rw- mapping ...` for the mapping that holds it, with
/// `, not dumped` when the core does not hold that byte; `not mapped` when no mapping holds it and the core
/// lists every mapping, else `in no mapping the core lists` with the reason the list may be incomplete.
fn locate(p: &Process, info: &CoreInfo, addr: u64) -> Option<String> {
    let maps = p.maps.as_ref()?;
    let Some(m) = maps.iter().find(|m| m.start <= addr && addr < m.end) else {
        return Some(match &info.mappings_omitted {
            Some(why) => format!("in no mapping the core lists; {why}"),
            None => "not mapped".into(),
        });
    };
    let into = addr - m.start;
    let mut place = match m {
        Mapping {
            path: Some(path),
            offset,
            ..
        } => {
            // A hostile core may give a file offset near 2^64: say so rather than wrap.
            match offset.checked_add(into) {
                Some(at) => format!("{}+{at:#x}", path.escaped()),
                None => format!(
                    "{} at {into:#x} into the mapping (its file offset {offset:#x} overflows)",
                    path.escaped()
                ),
            }
        }
        m if m.perms.is_empty() => format!("anonymous mapping {:#x}-{:#x}", m.start, m.end),
        m => format!("anonymous {} mapping {:#x}-{:#x}", m.perms, m.start, m.end),
    };
    if m.dumped_bytes.is_some_and(|d| into >= d) {
        place.push_str(", not dumped");
    }
    Some(place)
}
