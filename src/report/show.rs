//! `show PID`: everything about one process in one view (pargs -e, pcred, status, limits, namespaces,
//! cgroup).

use super::{Report, cpu_time, no_such_pid, sectioned};
use crate::model::{Process, Snapshot};

/// The `show` report for `pid`. JSON: the whole process object under `process`.
pub fn show(snapshot: &Snapshot, pid: i32) -> crate::Result<Report> {
    let p = snapshot
        .process(pid)
        .ok_or_else(|| no_such_pid(snapshot, pid))?;
    let sections = sections(p);
    let mut extra = serde_json::Map::new();
    extra.insert(
        "process".into(),
        serde_json::to_value(p).unwrap_or_default(),
    );
    Ok(sectioned("show", &sections, extra).about(snapshot))
}

type Fields = Vec<(String, String)>;

fn sections(p: &Process) -> Vec<(&'static str, Fields)> {
    let mut out = Vec::new();
    let mut id: Fields = vec![("pid".into(), p.pid_text())];
    let push = |v: &mut Fields, k: &str, val: Option<String>| {
        if let Some(val) = val {
            v.push((k.to_string(), val));
        }
    };
    push(&mut id, "ppid", p.ppid.map(|x| x.to_string()));
    push(&mut id, "pgid", p.pgid.map(|x| x.to_string()));
    push(&mut id, "sid", p.sid.map(|x| x.to_string()));
    push(&mut id, "tty", p.tty_name.clone());
    push(&mut id, "start", p.start_time.map(|t| t.rfc3339()));
    push(&mut id, "comm", p.comm.as_ref().map(|c| c.escaped()));
    push(&mut id, "exe", p.exe.as_ref().map(|c| c.escaped()));
    push(&mut id, "cwd", p.cwd.as_ref().map(|c| c.escaped()));
    push(&mut id, "root", p.root.as_ref().map(|c| c.escaped()));
    push(
        &mut id,
        "kernel thread",
        p.kernel_thread.filter(|k| *k).map(|_| "yes".into()),
    );
    out.push(("process", id));

    let mut args: Fields = Vec::new();
    match &p.argv {
        Some(argv) => {
            for (i, a) in argv.iter().enumerate() {
                args.push((format!("argv[{i}]"), a.escaped()));
            }
        }
        None => match &p.psargs {
            Some(ps) => args.push(("psargs".into(), ps.escaped())),
            None => args.push(("argv".into(), not_there(p, "argv"))),
        },
    }
    out.push(("arguments", args));

    let mut env: Fields = Vec::new();
    match &p.env {
        Some(e) => {
            for (i, a) in e.iter().enumerate() {
                env.push((format!("envp[{i}]"), a.escaped()));
            }
        }
        None => env.push(("envp".into(), not_there(p, "env"))),
    }
    out.push(("environment", env));

    let c = &p.cred;
    let mut cred: Fields = Vec::new();
    let named = |id: Option<u32>, name: &Option<String>| {
        id.map(|i| match name {
            Some(n) => format!("{i}({n})"),
            None => i.to_string(),
        })
    };
    push(&mut cred, "uid (real)", named(c.uid, &c.user));
    push(&mut cred, "euid", named(c.euid, &c.euser));
    push(&mut cred, "suid", c.suid.map(|x| x.to_string()));
    push(&mut cred, "fsuid", c.fsuid.map(|x| x.to_string()));
    push(&mut cred, "gid (real)", named(c.gid, &c.group));
    push(&mut cred, "egid", c.egid.map(|x| x.to_string()));
    push(&mut cred, "sgid", c.sgid.map(|x| x.to_string()));
    push(&mut cred, "fsgid", c.fsgid.map(|x| x.to_string()));
    push(
        &mut cred,
        "groups",
        c.groups.as_ref().map(|g| {
            g.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }),
    );
    out.push(("credentials", cred));

    let mut st: Fields = Vec::new();
    push(&mut st, "state", p.state.clone());
    push(
        &mut st,
        "stat",
        p.stat.clone().filter(|s| Some(s) != p.state.as_ref()),
    );
    push(
        &mut st,
        "exit",
        p.exit.as_ref().map(|e| format!("{}, not reaped", e.text())),
    );
    push(&mut st, "%cpu", p.pct_cpu.map(|c| format!("{c:.1}")));
    push(&mut st, "%mem", p.pct_mem.map(|m| format!("{m:.1}")));
    push(&mut st, "threads", p.nlwp.map(|x| x.to_string()));
    push(&mut st, "nice", p.nice.map(|x| x.to_string()));
    push(&mut st, "priority", p.priority.map(|x| x.to_string()));
    push(&mut st, "flags", p.flags.map(|x| format!("{x:#x}")));
    push(&mut st, "wchan", p.wchan.clone());
    push(
        &mut st,
        "user time",
        p.user_time.map(|t| format!("{t:.2}s ({})", cpu_time(t))),
    );
    push(
        &mut st,
        "system time",
        p.system_time.map(|t| format!("{t:.2}s ({})", cpu_time(t))),
    );
    if let Some(m) = &p.memory {
        let kib = |v: Option<u64>| v.map(|x| format!("{x} KiB"));
        push(&mut st, "vsz", kib(m.vsz_kib));
        push(&mut st, "rss", kib(m.rss_kib));
        push(&mut st, "rss peak", kib(m.rss_peak_kib));
        push(&mut st, "shared", kib(m.shared_kib));
        push(&mut st, "pss", kib(m.pss_kib));
        push(&mut st, "anon", kib(m.anon_kib));
        push(&mut st, "swap", kib(m.swap_kib));
        push(&mut st, "locked", kib(m.locked_kib));
    }
    if let Some(io) = &p.io {
        push(
            &mut st,
            "io read bytes",
            io.read_bytes.map(|x| x.to_string()),
        );
        push(
            &mut st,
            "io write bytes",
            io.write_bytes.map(|x| x.to_string()),
        );
        push(
            &mut st,
            "io rchar/wchar",
            io.rchar.zip(io.wchar).map(|(r, w)| format!("{r}/{w}")),
        );
    }
    push(
        &mut st,
        "open fds",
        p.fds.as_ref().map(|f| f.len().to_string()),
    );
    push(
        &mut st,
        "mappings",
        p.maps.as_ref().map(|m| m.len().to_string()),
    );
    out.push(("status", st));

    let mut lim: Fields = Vec::new();
    for l in p.limits.iter().flatten() {
        let v = |x: Option<u64>| x.map_or("unlimited".to_string(), |x| x.to_string());
        let unit = l
            .unit
            .as_deref()
            .map(|u| format!(" {u}"))
            .unwrap_or_default();
        lim.push((
            l.name.clone(),
            format!("{} / {}{unit}", v(l.soft), v(l.hard)),
        ));
    }
    out.push(("limits (soft / hard)", lim));

    let mut ns: Fields = Vec::new();
    push(
        &mut ns,
        "nspid",
        p.nspid.as_ref().map(|v| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }),
    );
    for n in p.namespaces.iter().flatten() {
        let name = n.link.as_ref().unwrap_or(&n.kind);
        ns.push((name.clone(), n.inode.to_string()));
    }
    out.push(("namespaces", ns));

    // Solaris: what pflags, prstat and ptime show beyond the common sections.
    let mut sol: Fields = Vec::new();
    push(
        &mut sol,
        "zone",
        p.zone.clone().or_else(|| {
            p.zone_id.map(|z| {
                if z == 0 {
                    "global".into()
                } else {
                    z.to_string()
                }
            })
        }),
    );
    push(&mut sol, "project", p.project_id.map(|x| x.to_string()));
    push(&mut sol, "task", p.task_id.map(|x| x.to_string()));
    push(&mut sol, "contract", p.contract.map(|x| x.to_string()));
    // pflags spells it `_LP64`; the JSON has the lower-case name.
    push(
        &mut sol,
        "data model",
        p.data_model.map(|m| m.name().to_uppercase()),
    );
    push(
        &mut sol,
        "flags",
        p.flag_names.as_ref().map(|f| f.join("|")),
    );
    out.push(("solaris", sol));

    // Per LWP, like pflags: flags, why it is stopped, the system call in progress, the signal, masks.
    let mut lwps: Fields = Vec::new();
    for t in p.threads.iter().flatten() {
        let mut parts = Vec::new();
        if let Some(f) = &t.flag_names {
            parts.push(if f.is_empty() {
                "flags 0".to_string()
            } else {
                format!("flags {}", f.join("|"))
            });
        }
        if let Some(r) = &t.stop_reason {
            parts.push(r.clone());
        }
        if let Some(sc) = &t.syscall {
            let args: Vec<String> = sc.args.iter().map(|a| format!("{a:#x}")).collect();
            let name = sc
                .name
                .clone()
                .unwrap_or_else(|| format!("syscall {}", sc.number));
            parts.push(format!("{name}({})", args.join(", ")));
        }
        if let Some(sig) = t.signal.filter(|s| *s != 0) {
            parts.push(format!("cursig {sig}"));
        }
        if let Some(m) = t
            .sig_pending_names
            .as_ref()
            .filter(|m| !m.is_empty() && p.flag_names.is_some())
        {
            parts.push(format!("pending {}", m.join(" ")));
        }
        if let Some(m) = t
            .sig_blocked_names
            .as_ref()
            .filter(|m| !m.is_empty() && p.flag_names.is_some())
        {
            parts.push(format!("held {}", m.join(" ")));
        }
        if !parts.is_empty() && (t.flag_names.is_some() || t.syscall.is_some()) {
            lwps.push((format!("lwp {}", t.tid), parts.join("  ")));
        }
    }
    out.push(("lwps", lwps));

    // ptime: the process's microstate accounting.
    let mut usage: Fields = Vec::new();
    if let Some(u) = &p.usage {
        for (k, v) in [
            ("real", u.real),
            ("user", u.user),
            ("sys", u.system),
            ("trap", u.trap),
            ("tflt", u.text_fault),
            ("dflt", u.data_fault),
            ("kflt", u.kernel_fault),
            ("lock", u.lock),
            ("slp", u.sleep),
            ("lat", u.wait_cpu),
            ("stop", u.stopped),
        ] {
            usage.push((k.into(), format!("{v:.6}")));
        }
        usage.push(("syscalls".into(), u.syscalls.to_string()));
        usage.push((
            "ctx switches (vol/invol)".into(),
            format!("{}/{}", u.voluntary_switches, u.involuntary_switches),
        ));
        usage.push((
            "faults (minor/major)".into(),
            format!("{}/{}", u.minor_faults, u.major_faults),
        ));
    }
    out.push(("usage (ptime)", usage));

    let cg: Fields = p
        .cgroup
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, l)| (i.to_string(), l.escaped()))
        .collect();
    out.push(("cgroup", cg));

    // What could not be read, member by member, and why.
    let unread: Fields = p
        .unread
        .iter()
        .map(|u| (u.field.clone(), u.describe()))
        .collect();
    out.push(("not read", unread));
    out
}

/// `(not read: EACCES: Permission denied)` when the members of `field` failed, else `(not captured)`.
fn not_there(p: &Process, field: &str) -> String {
    match p.unread_reason(field) {
        Some(r) => format!("(not read: {r})"),
        None => "(not captured)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::sample;

    #[test]
    fn shows_arguments_credentials_and_namespaces() {
        let s = sample();
        let r = show(&s, 101).unwrap();
        let mut out = Vec::new();
        crate::report::render::render(&r, crate::report::Format::Table, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("argv[1]  100 200\n"), "{text}");
        assert!(text.contains("argv[2]  \\xff\n"), "{text}");
        assert!(text.contains("uid (real)  1000(alice)"), "{text}");
        assert!(text.contains("nspid  101 1"), "{text}");
        assert!(text.contains("envp  (not captured)"), "{text}");
        assert_eq!(r.extra["process"]["pid"], 101);
        assert!(
            show(&s, 9999)
                .unwrap_err()
                .to_string()
                .contains("no process with pid 9999")
        );
    }
}
