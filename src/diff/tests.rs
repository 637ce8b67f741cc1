use super::*;
use crate::abi::Endianness;
use crate::model::*;
use serde_json::json;

fn proc(pid: i32, ticks: u64) -> Process {
    Process {
        pid,
        ppid: Some(1),
        pgid: Some(pid),
        sid: Some(pid),
        start_ticks: Some(ticks),
        start_time: Some(Timestamp {
            secs: 1_795_350_000 + ticks as i64,
            nanos: 0,
        }),
        comm: Some("prog".into()),
        exe: Some("/usr/bin/prog".into()),
        argv: Some(vec!["prog".into(), "--serve".into()]),
        cwd: Some("/".into()),
        root: Some("/".into()),
        cred: Credentials {
            uid: Some(1000),
            euid: Some(1000),
            suid: Some(1000),
            fsuid: Some(1000),
            gid: Some(100),
            egid: Some(100),
            sgid: Some(100),
            fsgid: Some(100),
            groups: Some(vec![100]),
            ..Credentials::default()
        },
        nlwp: Some(1),
        user_time: Some(1.0),
        system_time: Some(0.5),
        memory: Some(Memory {
            rss_kib: Some(1000),
            ..Memory::default()
        }),
        namespaces: Some(vec![Namespace {
            kind: "net".into(),
            inode: 4026531993,
            link: None,
        }]),
        cgroup: Some(vec!["0::/user.slice".into()]),
        fds: Some(vec![fd(0, FdKind::Device, "/dev/null", None)]),
        maps: Some(vec![
            map(0x1000, "r-xp", Some("/usr/bin/prog")),
            map(0x2000, "r-xp", Some("/usr/lib/libc.so.6")),
            map(0x3000, "rw-p", None),
            map(0x4000, "r-xp", Some("[vdso]")),
        ]),
        limits: Some(vec![Limit {
            name: "Max open files".into(),
            soft: Some(1024),
            hard: Some(4096),
            unit: Some("files".into()),
        }]),
        io: Some(IoCounters {
            rchar: Some(10),
            wchar: Some(20),
            ..IoCounters::default()
        }),
        ..Process::default()
    }
}

fn fd(n: i32, kind: FdKind, target: &str, socket: Option<Socket>) -> Fd {
    Fd {
        fd: n,
        kind,
        target: Some(target.into()),
        mode: None,
        flags: None,
        pos: Some(0),
        inode: None,
        socket,
    }
}

fn tcp(port: u16, state: &str) -> Socket {
    Socket {
        protocol: "tcp".into(),
        local: Some(SocketEndpoint {
            address: "127.0.0.1".into(),
            port: Some(port),
        }),
        remote: None,
        state: Some(state.into()),
        socket_type: None,
        uid: None,
        netns: None,
    }
}

fn map(start: u64, perms: &str, path: Option<&str>) -> Mapping {
    Mapping {
        start,
        end: start + 0x1000,
        perms: perms.into(),
        path: path.map(ByteString::from),
        ..Mapping::default()
    }
}

fn init() -> Process {
    let mut p = proc(1, 1);
    p.ppid = Some(0);
    p
}

fn snap(processes: Vec<Process>, boot: &str, started: i64) -> Snapshot {
    let mut s = Snapshot {
        source: Source {
            kind: InputKind::Archive,
            path: format!("{started}.tar"),
            os: Some("linux".into()),
        },
        host: Host {
            boot_id: Some(boot.into()),
            hostname: Some("h".into()),
            ..Host::default()
        },
        capture: Some(CaptureInfo {
            started: Some(Timestamp {
                secs: started,
                nanos: 0,
            }),
            ..CaptureInfo::default()
        }),
        processes,
        ..Snapshot::default()
    };
    s.sort();
    s
}

fn diff(old: Vec<Process>, new: Vec<Process>) -> Diff {
    compare(
        &snap(old, "b1", 1000),
        &snap(new, "b1", 1010),
        &Options::default(),
    )
    .unwrap()
}

/// `(pid, kind, field)` of every change.
fn keys(d: &Diff) -> Vec<(Option<i32>, Kind, String)> {
    d.changes
        .iter()
        .map(|c| (c.pid, c.kind, c.field.clone()))
        .collect()
}

#[test]
fn identical_snapshots_have_no_changes() {
    let d = diff(vec![init(), proc(5, 50)], vec![init(), proc(5, 50)]);
    assert!(d.is_empty(), "{:#?}", d.changes);
    assert_eq!(d.same_boot, Some(true));
    assert_eq!(d.interval_secs, Some(10.0));
}

#[test]
fn started_exited_and_reused_pids() {
    let d = diff(
        vec![init(), proc(5, 50), proc(7, 70)],
        vec![init(), proc(7, 90), proc(9, 95)],
    );
    assert_eq!(
        keys(&d),
        [
            (Some(5), Kind::Exited, "process".to_string()),
            (Some(7), Kind::Exited, "process".into()),
            (Some(7), Kind::Started, "process".into()),
            (Some(9), Kind::Started, "process".into()),
        ]
    );
    let c = &d.changes;
    assert_eq!(c[0].old, Some(json!("prog --serve")));
    assert_eq!(c[0].note, None);
    assert!(c[1].note.as_deref().unwrap().contains("pid reused"));
    assert!(c[2].note.as_deref().unwrap().contains("pid reused"));
    assert_ne!(c[1].start_time, c[2].start_time);
    assert!(c[3].note.as_deref().unwrap().contains("parent 1"));
}

#[test]
fn different_boots_share_no_process() {
    let d = compare(
        &snap(vec![init(), proc(5, 50)], "b1", 1000),
        &snap(vec![init(), proc(5, 50)], "b2", 2000),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(d.same_boot, Some(false));
    assert!(d.notes.iter().any(|n| n.contains("different boots")));
    let k = keys(&d);
    assert_eq!(k[0], (None, Kind::System, "boot_id".into()));
    assert_eq!(k.iter().filter(|c| c.1 == Kind::Exited).count(), 2);
    assert_eq!(k.iter().filter(|c| c.1 == Kind::Started).count(), 2);
    assert!(
        d.changes
            .iter()
            .all(|c| c.note.as_deref().is_none_or(|n| !n.contains("reused")))
    );
}

#[test]
fn boot_time_decides_when_there_is_no_boot_id() {
    let mut a = snap(vec![], "x", 0);
    let mut b = snap(vec![], "x", 0);
    a.host.boot_id = None;
    b.host.boot_id = None;
    assert_eq!(system::same_boot(&a, &b), None);
    a.host.boot_time = Some(Timestamp {
        secs: 100,
        nanos: 0,
    });
    b.host.boot_time = Some(Timestamp {
        secs: 101,
        nanos: 0,
    });
    assert_eq!(system::same_boot(&a, &b), Some(true));
    b.host.boot_time = Some(Timestamp {
        secs: 5000,
        nanos: 0,
    });
    assert_eq!(system::same_boot(&a, &b), Some(false));
    // Hostile boot times at both ends of the range: a different boot, not an overflow.
    a.host.boot_time = Some(Timestamp {
        secs: i64::MIN,
        nanos: 0,
    });
    b.host.boot_time = Some(Timestamp {
        secs: i64::MAX,
        nanos: 0,
    });
    assert_eq!(system::same_boot(&a, &b), Some(false));
    a.host.mem_total_kib = Some(u64::MAX);
    b.host.mem_total_kib = Some(0);
    let d = compare(&a, &b, &Options::default()).unwrap();
    let c = d
        .changes
        .iter()
        .find(|c| c.field == "mem_total_kib")
        .unwrap();
    assert_eq!(c.delta, Some(json!(i64::MIN)));
}

#[test]
fn exec_credentials_cwd_namespaces_and_limits() {
    let old = proc(5, 50);
    let mut new = old.clone();
    new.exe = Some("/bin/sh".into());
    new.argv = Some(vec!["sh".into()]);
    new.cred.euid = Some(0);
    new.cred.fsuid = Some(0);
    new.cred.gid = Some(200);
    new.cwd = Some("/tmp".into());
    new.namespaces = Some(vec![Namespace {
        kind: "net".into(),
        inode: 4026532999,
        link: None,
    }]);
    new.cgroup = Some(vec!["0::/system.slice/docker-abc.scope".into()]);
    new.nlwp = Some(3);
    new.limits.as_mut().unwrap()[0].soft = None;
    let d = diff(vec![init(), old], vec![init(), new]);
    let fields: Vec<(Kind, &str, bool)> = d
        .changes
        .iter()
        .map(|c| (c.kind, c.field.as_str(), c.highlight))
        .collect();
    assert_eq!(
        fields,
        [
            (Kind::Exec, "exe", false),
            (Kind::Exec, "argv", false),
            (Kind::Credentials, "euid", true),
            (Kind::Credentials, "fsuid", true),
            (Kind::Credentials, "gid", false),
            (Kind::Cwd, "cwd", false),
            (Kind::Namespaces, "ns/net", false),
            (Kind::Cgroup, "cgroup", false),
            (Kind::Threads, "nlwp", false),
            (Kind::Limits, "limit/Max open files", false),
            // A shell now running as root for another user: a new check finding.
            (Kind::Findings, "setuid-shell", true),
        ]
    );
    let c = &d.changes;
    assert_eq!(c[1].new, Some(json!(["sh"])));
    assert_eq!(c[2].old, Some(json!(1000)));
    assert!(c[2].note.as_deref().unwrap().contains("privilege gain"));
    assert_eq!(c[6].note.as_deref(), Some("left the host's net namespace"));
    assert_eq!(
        c[7].note.as_deref(),
        Some("moved into a container's control group")
    );
    assert_eq!(c[8].delta, Some(json!(2)));
    assert_eq!(c[9].new, Some(json!({"soft": "unlimited", "hard": 4096})));
}

#[test]
fn leaving_the_hosts_namespace_is_said() {
    let mut one = init();
    one.namespaces = Some(vec![Namespace {
        kind: "net".into(),
        inode: 4026531993,
        link: None,
    }]);
    let old = proc(5, 50);
    let mut new = old.clone();
    new.namespaces.as_mut().unwrap()[0].inode = 4026532001;
    let d = diff(
        vec![one.clone(), old.clone()],
        vec![one.clone(), new.clone()],
    );
    assert_eq!(
        d.changes[0].note.as_deref(),
        Some("left the host's net namespace")
    );
    let d = diff(vec![one.clone(), new], vec![one, old]);
    assert_eq!(
        d.changes[0].note.as_deref(),
        Some("returned to the host's net namespace")
    );
}

#[test]
fn fds_and_sockets() {
    let mut old = proc(5, 50);
    old.fds.as_mut().unwrap().extend([
        fd(3, FdKind::File, "/var/log/a", None),
        fd(4, FdKind::Socket, "socket:[11]", Some(tcp(80, "LISTEN"))),
        fd(5, FdKind::File, "/etc/x", None),
    ]);
    let mut new = old.clone();
    let f = new.fds.as_mut().unwrap();
    f.retain(|f| f.fd != 3);
    f[2].target = Some("/etc/y".into());
    f[2].pos = Some(99);
    f.push(fd(
        6,
        FdKind::Socket,
        "socket:[12]",
        Some(tcp(8080, "LISTEN")),
    ));
    f.push(fd(
        7,
        FdKind::Socket,
        "socket:[13]",
        Some(tcp(0, "ESTABLISHED")),
    ));
    f[0].pos = Some(500); // a moved position is not a change
    let d = diff(vec![init(), old], vec![init(), new]);
    let got: Vec<_> = d
        .changes
        .iter()
        .map(|c| {
            (
                c.kind,
                c.field.as_str(),
                c.old.clone(),
                c.new.clone(),
                c.highlight,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (Kind::Fds, "fd/3", Some(json!("/var/log/a")), None, false),
            (
                Kind::Fds,
                "fd/5",
                Some(json!("/etc/x")),
                Some(json!("/etc/y")),
                false
            ),
            (
                Kind::Sockets,
                "fd/6",
                None,
                Some(json!("tcp 127.0.0.1:8080 LISTEN socket:[12]")),
                true
            ),
            (
                Kind::Sockets,
                "fd/7",
                None,
                Some(json!("tcp 127.0.0.1:0 ESTABLISHED socket:[13]")),
                false
            ),
        ]
    );
}

#[test]
fn maps_libraries_and_suspicious_mappings() {
    let old = proc(5, 50);
    let mut new = old.clone();
    let m = new.maps.as_mut().unwrap();
    m.push(map(0x5000, "r-xp", Some("/usr/lib/libz.so.1")));
    m.push(map(0x6000, "r--p", Some("/usr/lib/libz.so.1")));
    m.push(map(0x7000, "r-xp", Some("/tmp/x.so (deleted)")));
    m.push(map(0x8000, "rwxp", None));
    m.push(map(0x9000, "rw-p", None)); // plain heap-like growth: not a change
    m.retain(|m| {
        m.path
            .as_ref()
            .is_none_or(|p| !p.as_bytes().ends_with(b"libc.so.6"))
    });
    // An exec of another binary: the executables' own mappings are `exe`, not `map`.
    new.exe = Some("/usr/bin/other".into());
    m.iter_mut().for_each(|m| {
        if m.path
            .as_ref()
            .is_some_and(|p| p.as_bytes() == b"/usr/bin/prog")
        {
            m.path = Some("/usr/bin/other".into());
        }
    });
    let d = compare(
        &snap(vec![init(), old], "b", 0),
        &snap(vec![init(), new], "b", 10),
        &Options {
            only: vec![Kind::Maps],
            ..Options::default()
        },
    )
    .unwrap();
    let got: Vec<_> = d
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.old.clone(), c.new.clone(), c.highlight))
        .collect();
    assert_eq!(
        got,
        [
            ("map", Some(json!("/usr/lib/libc.so.6")), None, false),
            ("map", None, Some(json!("/tmp/x.so (deleted)")), true),
            ("map", None, Some(json!("/usr/lib/libz.so.1")), false),
            ("map/anon", None, Some(json!("0x8000-0x9000 rwxp")), true),
        ]
    );
}

#[test]
fn resources_have_deltas_and_rates() {
    let old = proc(5, 50);
    let mut new = old.clone();
    new.user_time = Some(3.0);
    new.system_time = Some(1.5);
    new.memory.as_mut().unwrap().rss_kib = Some(900);
    new.io.as_mut().unwrap().wchar = Some(10_020);
    let d = diff(vec![init(), old], vec![init(), new]);
    let c = &d.changes;
    assert_eq!(c.len(), 3, "{c:#?}");
    assert_eq!((c[0].kind, c[0].field.as_str()), (Kind::Cpu, "cpu_time"));
    assert_eq!(c[0].delta, Some(json!(3.0)));
    assert_eq!(c[0].rate, Some(0.3));
    assert_eq!(c[1].delta, Some(json!(-100)));
    assert_eq!((c[2].field.as_str(), c[2].rate), ("wchar", Some(1000.0)));
}

#[test]
fn filters_only_pid_and_ignore() {
    let old = vec![init(), proc(5, 50), proc(6, 60)];
    let mut new = old.clone();
    new[1].cwd = Some("/tmp".into());
    new[1].user_time = Some(9.0);
    new[2].cwd = Some("/srv".into());
    new.push(proc(8, 80));
    let run = |opts: Options| {
        keys(
            &compare(
                &snap(old.clone(), "b", 0),
                &snap(new.clone(), "b", 10),
                &opts,
            )
            .unwrap(),
        )
    };
    assert_eq!(run(Options::default()).len(), 5);
    assert_eq!(
        run(Options {
            pids: vec![5],
            ..Options::default()
        }),
        [
            (Some(5), Kind::Cwd, "cwd".to_string()),
            (Some(5), Kind::Cpu, "cpu_time".into())
        ]
    );
    assert_eq!(
        run(Options {
            only: vec![Kind::Started],
            ..Options::default()
        }),
        [(Some(8), Kind::Started, "process".to_string())]
    );
    let stable = run(Options {
        ignore: VOLATILE
            .iter()
            .map(|s| s.to_string())
            .chain(["cwd".into()])
            .collect(),
        ..Options::default()
    });
    assert_eq!(stable, [(Some(8), Kind::Started, "process".to_string())]);
}

#[test]
fn a_core_is_compared_with_its_own_process_only() {
    let mut core = snap(vec![], "b", 0);
    let mut p = proc(5, 50);
    p.start_ticks = None;
    p.start_time = None;
    p.cwd = Some("/crash".into());
    p.fds = None;
    core.processes = vec![p];
    core.capture = None;
    core.host = Host::default();
    core.core = Some(CoreInfo {
        os: "linux".into(),
        arch: "x86_64".into(),
        elf_class: 64,
        byte_order: Endianness::Little,
        signal: None,
        kernel: None,
        auxv: Vec::new(),
        notes: Vec::new(),
        provenance: Vec::new(),
        mappings_omitted: None,
        live: None,
        modules: Vec::new(),
    });
    let d = compare(
        &snap(vec![init(), proc(5, 50), proc(6, 60)], "b", 0),
        &core,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(keys(&d), [(Some(5), Kind::Cwd, "cwd".to_string())]);
    assert!(d.changes[0].note.as_deref().unwrap().contains("pid alone"));
    assert!(d.notes.iter().any(|n| n.contains("core")));
    assert!(d.interval_secs.is_none());
    // A core's [vdso] has no name: anonymous mappings are not compared with a snapshot's.
    core.processes[0]
        .maps
        .as_mut()
        .unwrap()
        .push(map(0xa000, "r-xp", None));
    let d = compare(&snap(vec![proc(5, 50)], "b", 0), &core, &Options::default()).unwrap();
    assert_eq!(keys(&d), [(Some(5), Kind::Cwd, "cwd".to_string())]);
    // A core whose process the snapshot does not have is nothing to compare.
    let err = compare(&snap(vec![proc(6, 60)], "b", 0), &core, &Options::default()).unwrap_err();
    assert!(err.to_string().contains("holds pid 5"), "{err}");
}

#[test]
fn different_operating_systems_are_refused() {
    let a = snap(vec![], "b", 0);
    let mut b = snap(vec![], "b", 0);
    b.source.os = Some("solaris".into());
    assert!(compare(&a, &b, &Options::default()).is_err());
}

#[test]
fn kinds_parse_by_name() {
    for k in Kind::ALL {
        assert_eq!(Kind::parse(k.name()), Ok(k));
        assert_eq!(json!(k), json!(k.name()));
    }
    assert!(Kind::parse("bogus").unwrap_err().contains("started"));
}

#[test]
fn events_report_transient_processes_and_confirm_pid_reuse() {
    use crate::model::{EventLog, ProcEvent, ProcessEvents};
    let at = |secs| Some(Timestamp { secs, nanos: 0 });
    let ev = |kind: &str, secs, pid| ProcEvent {
        time: at(secs),
        kind: kind.into(),
        pid: Some(pid),
        tgid: Some(pid),
        ..ProcEvent::default()
    };
    let exit3 = ProcEvent {
        exit_status: Some(3),
        ..ev("exit", 1005, 20)
    };
    let payload = Process {
        ppid: Some(1),
        start_time: at(1004),
        argv: Some(vec!["/tmp/payload".into()]),
        events: Some(ProcessEvents {
            seen_only_in_events: true,
            forked: at(1004),
            execs: 1,
            exited: at(1005),
            exit: Some(exit3.clone()),
        }),
        ..proc(20, 0)
    };
    let old = snap(vec![init(), proc(7, 70)], "b1", 1000);
    let mut new = snap(vec![init(), proc(7, 90)], "b1", 1010);
    new.events = Some(EventLog {
        recorded: true,
        events: vec![ev("exit", 1008, 7), ev("fork", 1009, 7), exit3],
        processes: vec![payload],
        ..EventLog::default()
    });
    let d = compare(&old, &new, &Options::default()).unwrap();
    assert_eq!(
        keys(&d),
        [
            (Some(7), Kind::Exited, "process".to_string()),
            (Some(7), Kind::Started, "process".into()),
            (Some(20), Kind::Transient, "process".into()),
        ]
    );
    assert!(
        d.changes[0]
            .note
            .as_deref()
            .unwrap()
            .contains("pid reuse confirmed by NEW's events"),
        "{:?}",
        d.changes[0].note
    );
    let t = &d.changes[2];
    assert_eq!(t.new, Some(json!("/tmp/payload")));
    let note = t.note.as_deref().unwrap();
    assert!(
        note.contains("exited 3") && note.contains("NEW's process events"),
        "{note}"
    );
    // --only exited leaves transient processes out.
    let d = compare(
        &old,
        &new,
        &Options {
            only: vec![Kind::Exited],
            ..Options::default()
        },
    )
    .unwrap();
    assert!(d.changes.iter().all(|c| c.kind == Kind::Exited));
    // A snapshot with events compared with itself: its own capture window is no change.
    let mut same = new.clone();
    if let Some(c) = same.capture.as_mut() {
        c.finished = at(1011);
    }
    let d = compare(&same, &same, &Options::default()).unwrap();
    assert!(d.changes.is_empty(), "{:?}", keys(&d));
    // Lives that ended before OLD's capture closed are OLD's moment, not the interval.
    let mut closed_late = old.clone();
    if let Some(c) = closed_late.capture.as_mut() {
        c.finished = at(1006);
    }
    let d = compare(&closed_late, &new, &Options::default()).unwrap();
    assert!(
        !d.changes.iter().any(|c| c.kind == Kind::Transient),
        "{:?}",
        keys(&d)
    );
}

#[test]
fn a_process_that_started_and_became_a_zombie_says_so() {
    let mut z = proc(9, 90);
    z.state = Some("Z".into());
    z.exit = Some(Exit::from_code(2 << 8, |_| None));
    let d = compare(
        &snap(vec![], "b", 0),
        &snap(vec![z], "b", 10),
        &Options::default(),
    )
    .unwrap();
    let started = d.changes.iter().find(|c| c.kind == Kind::Started).unwrap();
    assert!(
        started
            .note
            .as_deref()
            .unwrap()
            .ends_with("already exited, not yet reaped: exited 2"),
        "{started:?}"
    );
}

#[test]
fn shared_processes_give_the_whole_comparisons_findings() {
    // pid 5's records are the same in both (a deleted executable: a finding on both sides); pid 6
    // gains a deleted executable; pid 7 is a shell whose child 8 inherits its history setting, and 7
    // is shared while 8 changes: the host rule still reads 7's environment.
    let deleted = |pid, ticks| Process {
        exe: Some("/tmp/x (deleted)".into()),
        ..proc(pid, ticks)
    };
    let shell = Process {
        comm: Some("bash".into()),
        argv: Some(vec!["bash".into()]),
        exe: Some("/usr/bin/bash".into()),
        env: Some(vec!["HISTFILE=/dev/null".into()]),
        ..proc(7, 70)
    };
    let child = |argv: &str| Process {
        ppid: Some(7),
        comm: Some("bash".into()),
        argv: Some(vec!["bash".into(), argv.into()]),
        exe: Some("/usr/bin/bash".into()),
        env: Some(vec!["HISTFILE=/dev/null".into()]),
        ..proc(8, 80)
    };
    let old = snap(
        vec![
            init(),
            deleted(5, 50),
            proc(6, 60),
            shell.clone(),
            child("-i"),
        ],
        "b1",
        1000,
    );
    let new_whole = snap(
        vec![
            init(),
            deleted(5, 50),
            deleted(6, 60),
            shell.clone(),
            child("-l"),
        ],
        "b1",
        1010,
    );
    let whole = compare(&old, &new_whole, &Options::default()).unwrap();
    // NEW with stand-ins for 5 and 7, whose records are OLD's.
    let mut new = new_whole.clone();
    for p in &mut new.processes {
        if p.pid == 5 || p.pid == 7 {
            *p = Process {
                pid: p.pid,
                ppid: p.ppid,
                start_time: p.start_time,
                ..Process::default()
            };
        }
    }
    let shared: HashSet<i32> = [5, 7].into();
    let model = |p: &Process| {
        if shared.contains(&p.pid) {
            old.process(p.pid)
        } else {
            None
        }
    };
    let d = compare_shared(&old, &new, &model, &shared, &Options::default()).unwrap();
    assert_eq!(keys(&d), keys(&whole));
    assert!(
        keys(&d)
            .iter()
            .any(|k| *k == (Some(6), Kind::Findings, "exe-deleted".into())),
        "{:?}",
        keys(&d)
    );
}
