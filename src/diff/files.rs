//! Open files, sockets and mappings: set differences, with the suspicious additions highlighted.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::Kind;
use super::process::Out;
use crate::model::{Fd, FdKind, Mapping, Process};

/// Descriptors by number: closed, opened, or reused for something else (`fd/<n>`). A socket descriptor
/// whose endpoint or state changed is a `sockets` change too. New listening sockets are highlighted.
pub(super) fn fds(p: &Process, q: &Process, out: &mut Out) {
    let (Some(a), Some(b)) = (&p.fds, &q.fds) else {
        return;
    };
    let ma: BTreeMap<i32, &Fd> = a.iter().map(|f| (f.fd, f)).collect();
    let mb: BTreeMap<i32, &Fd> = b.iter().map(|f| (f.fd, f)).collect();
    let numbers: BTreeSet<i32> = ma.keys().chain(mb.keys()).copied().collect();
    for n in numbers {
        let (fa, fb) = (ma.get(&n).copied(), mb.get(&n).copied());
        let (da, db) = (fa.map(describe), fb.map(describe));
        if da == db {
            continue;
        }
        let socket = fa.is_some_and(|f| f.kind == FdKind::Socket)
            || fb.is_some_and(|f| f.kind == FdKind::Socket);
        let kind = if socket { Kind::Sockets } else { Kind::Fds };
        let new_listener = fb.is_some_and(listening)
            && !fa.is_some_and(|f| listening(f) && f.inode == fb.and_then(|g| g.inode));
        if let Some(c) = out.push(
            kind,
            format!("fd/{n}"),
            da.map(|d| json!(d)),
            db.map(|d| json!(d)),
        ) {
            if new_listener {
                c.highlight = true;
                c.note = Some("new listening socket".into());
            }
        }
    }
}

/// The descriptors of a process that became a zombie: each of OLD's is closed (`fd/<n>`, `new` null),
/// a listening socket said to be so. A zombie's descriptor table is gone: NEW has none, or an empty one.
pub(super) fn released_fds(p: &Process, q: &Process, out: &mut Out) {
    if q.fds.as_ref().is_some_and(|f| !f.is_empty()) {
        return fds(p, q, out);
    }
    for f in p.fds.iter().flatten() {
        let kind = if f.kind == FdKind::Socket {
            Kind::Sockets
        } else {
            Kind::Fds
        };
        if let Some(c) = out.push(kind, format!("fd/{}", f.fd), Some(json!(describe(f))), None) {
            c.note = Some(if listening(f) {
                "listening socket released: the process exited".into()
            } else {
                "released: the process exited".into()
            });
        }
    }
}

/// The mappings of a process that became a zombie: one `maps` change, `old` the number of OLD's
/// mappings and `new` null (a zombie has no address space; listing every library as unloaded would
/// say nothing more).
pub(super) fn released_maps(p: &Process, q: &Process, out: &mut Out) {
    let Some(a) = p.maps.as_ref().filter(|m| !m.is_empty()) else {
        return;
    };
    if q.maps.as_ref().is_some_and(|m| !m.is_empty()) {
        return maps(p, q, true, out);
    }
    if let Some(c) = out.push(Kind::Maps, "maps", Some(json!(a.len())), None) {
        c.note = Some("all mappings released: the process exited".into());
    }
}

/// Mapped files (`map`: loaded or unloaded, the executable's own mappings left out: those are `exe`) and
/// executable anonymous mappings (`map/anon`, unless `anon` is false). New executable mappings of deleted files and new
/// executable anonymous mappings are highlighted.
pub(super) fn maps(p: &Process, q: &Process, anon: bool, out: &mut Out) {
    let (Some(a), Some(b)) = (&p.maps, &q.maps) else {
        return;
    };
    let exes: Vec<&[u8]> = [&p.exe, &q.exe]
        .into_iter()
        .flatten()
        .map(|e| e.as_bytes())
        .collect();
    let (fa, fb) = (files(a, &exes), files(b, &exes));
    for path in fa.keys().filter(|k| !fb.contains_key(*k)) {
        out.push(Kind::Maps, "map", Some(json!(escaped(path))), None);
    }
    for (path, exec) in fb.iter().filter(|(k, _)| !fa.contains_key(*k)) {
        new_file_mapping(out, path, *exec);
    }
    if !anon {
        return;
    }
    let (xa, xb) = (anon_exec(a), anon_exec(b));
    for m in xa.difference(&xb) {
        out.push(Kind::Maps, "map/anon", Some(json!(m)), None);
    }
    for m in xb.difference(&xa) {
        new_anon_exec(out, m);
    }
}

/// For a process that started in between: its listening sockets and suspicious mappings, highlighted
/// like those of a process that was there before.
pub(super) fn started(q: &Process, out: &mut Out) {
    if out.wants(Kind::Sockets) {
        for f in q.fds.iter().flatten().filter(|f| listening(f)) {
            if let Some(c) = out.push(
                Kind::Sockets,
                format!("fd/{}", f.fd),
                None,
                Some(json!(describe(f))),
            ) {
                c.highlight = true;
                c.note = Some("new listening socket".into());
            }
        }
    }
    if out.wants(Kind::Maps) {
        if let Some(maps) = &q.maps {
            let exes: Vec<&[u8]> = q.exe.iter().map(|e| e.as_bytes()).collect();
            for (path, exec) in files(maps, &exes) {
                if exec && deleted(path) {
                    new_file_mapping(out, path, exec);
                }
            }
            for m in anon_exec(maps) {
                new_anon_exec(out, &m);
            }
        }
    }
}

fn new_file_mapping(out: &mut Out, path: &[u8], exec: bool) {
    if let Some(c) = out.push(Kind::Maps, "map", None, Some(json!(escaped(path)))) {
        if exec && deleted(path) {
            c.highlight = true;
            c.note = Some("new executable mapping of a deleted file".into());
        }
    }
}

fn new_anon_exec(out: &mut Out, m: &str) {
    if let Some(c) = out.push(Kind::Maps, "map/anon", None, Some(json!(m))) {
        c.highlight = true;
        c.note = Some("new executable anonymous mapping".into());
    }
}

fn deleted(path: &[u8]) -> bool {
    path.ends_with(b" (deleted)")
}

fn escaped(path: &[u8]) -> String {
    crate::bytes::escape(path)
}

/// Mapped files (not `[heap]`-style pseudo names, not the executables), with whether any of their
/// mappings is executable.
fn files<'a>(maps: &'a [Mapping], exes: &[&[u8]]) -> BTreeMap<&'a [u8], bool> {
    let mut m: BTreeMap<&[u8], bool> = BTreeMap::new();
    for map in maps {
        let Some(path) = map.path.as_ref().map(|p| p.as_bytes()) else {
            continue;
        };
        if path.is_empty() || path.starts_with(b"[") || exes.contains(&path) {
            continue;
        }
        *m.entry(path).or_default() |= executable(map);
    }
    m
}

/// Executable anonymous mappings (no path, or a `[anon:name]` name), as `start-end perms`.
fn anon_exec(maps: &[Mapping]) -> BTreeSet<String> {
    maps.iter()
        .filter(|m| executable(m))
        .filter(|m| {
            m.path
                .as_ref()
                .is_none_or(|p| p.is_empty() || p.as_bytes().starts_with(b"[anon"))
        })
        .map(|m| format!("{:#x}-{:#x} {}", m.start, m.end, m.perms))
        .collect()
}

fn executable(m: &Mapping) -> bool {
    m.perms.as_bytes().get(2) == Some(&b'x')
}

fn listening(f: &Fd) -> bool {
    f.socket
        .as_ref()
        .is_some_and(|s| s.state.as_deref() == Some("LISTEN"))
}

/// One line for a descriptor: the link target, or for a joined socket its endpoints, state and link
/// target (`tcp 127.0.0.1:80 LISTEN socket:[123]`, `tcp 10.0.0.1:5000 -> 10.0.0.2:443 ESTABLISHED
/// socket:[124]`, `unix stream /run/x.sock LISTEN socket:[125]`).
pub(crate) fn describe(f: &Fd) -> String {
    let target = f
        .target
        .as_ref()
        .map_or_else(|| "?".to_string(), |t| t.escaped());
    let Some(s) = &f.socket else {
        return target;
    };
    let mut d = s.protocol.clone();
    if let Some(t) = &s.socket_type {
        d.push_str(&format!(" {t}"));
    }
    if let Some(l) = s.local.as_ref().filter(|l| !l.address.is_empty()) {
        d.push_str(&format!(" {l}"));
    }
    if let Some(r) = &s.remote {
        d.push_str(&format!(" -> {r}"));
    }
    if let Some(st) = &s.state {
        d.push_str(&format!(" {st}"));
    }
    d.push(' ');
    d.push_str(&target);
    d
}
