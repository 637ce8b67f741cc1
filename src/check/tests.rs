//! The rules over hand-built models: the benign causes each rule knows, the cross-views that need
//! records a live test cannot plant (a probe that finds a hidden pid, events of a process the listing
//! lacks, hidepid), and what is said when records are missing.

use super::*;
use crate::model::{
    AuxEntry, Capabilities, CaptureInfo, CoreInfo, EventLog, Fd, FdKind, InputKind, Mapping, Mount,
    MountTable, Namespace, PidProbe, PreloadFile, ProbedPid, Process, ProcessEvents, Socket,
    SocketEndpoint, Source, TableSocket,
};

fn bs(s: &str) -> ByteString {
    ByteString::from(s)
}

fn user(pid: i32, ppid: i32, comm: &str, argv: &[&str], exe: &str) -> Process {
    let mut p = Process {
        pid,
        ppid: Some(ppid),
        comm: Some(bs(comm)),
        argv: Some(argv.iter().map(|a| bs(a)).collect()),
        exe: Some(bs(exe)),
        env: Some(vec![bs("PATH=/usr/bin")]),
        maps: Some(vec![map(0x400000, "r-xp", Some(exe))]),
        fds: Some(Vec::new()),
        kernel_thread: Some(false),
        state: Some("S".into()),
        traced: Some(false),
        ..Process::default()
    };
    p.cred.uid = Some(1000);
    p.cred.euid = Some(1000);
    p.cred.suid = Some(1000);
    p.cred.fsuid = Some(1000);
    p
}

fn map(start: u64, perms: &str, path: Option<&str>) -> Mapping {
    Mapping {
        start,
        end: start + 0x2000,
        perms: perms.into(),
        path: path.map(bs),
        ..Mapping::default()
    }
}

fn linux(processes: Vec<Process>) -> Snapshot {
    let mut s = Snapshot {
        source: Source {
            kind: InputKind::Archive,
            path: "t.tar".into(),
            os: Some("linux".into()),
        },
        processes,
        ..Snapshot::default()
    };
    s.system.ld_so_preload = Some(PreloadFile {
        entries: vec![],
        error: Some("ENOENT".into()),
    });
    s.sort();
    s
}

fn run(s: &Snapshot, rule: &str) -> Outcome {
    check(
        s,
        &Options {
            rules: vec![rule.into()],
            ..Options::default()
        },
    )
}

/// (pid, severity) of each finding of `rule`.
fn found(s: &Snapshot, rule: &str) -> Vec<(Option<i32>, Severity)> {
    run(s, rule)
        .findings
        .iter()
        .map(|f| (f.pid, f.severity))
        .collect()
}

#[test]
fn deleted_and_fileless_programs_by_place() {
    let s = linux(vec![
        user(10, 1, "sshd", &["sshd: root"], "/usr/sbin/sshd (deleted)"),
        user(11, 1, "x", &["x"], "/tmp/x (deleted)"),
        user(12, 1, "tool", &["tool"], "/srv/app/tool (deleted)"),
        user(13, 1, "y", &["y"], "/usr/lib/.cache/y (deleted)"),
        user(
            14,
            1,
            "runc:[2:INIT]",
            &["runc", "init"],
            "/memfd:runc_cloned:/proc/self/exe (deleted)",
        ),
        user(15, 1, "3", &["sleep"], "/memfd:payload (deleted)"),
    ]);
    assert_eq!(
        found(&s, "exe-deleted"),
        [
            (Some(11), Severity::High),
            (Some(13), Severity::High),
            (Some(12), Severity::Medium),
            (Some(10), Severity::Low),
        ]
    );
    assert_eq!(
        found(&s, "exe-memfd"),
        [(Some(15), Severity::High), (Some(14), Severity::Low)]
    );
}

#[test]
fn writable_and_hidden_directories() {
    let s = linux(vec![
        user(10, 1, "cargo", &["cargo"], "/root/.cargo/bin/cargo"),
        user(11, 1, "x", &["x"], "/dev/shm/x"),
        user(12, 1, "y", &["y"], "/var/lib/.hidden/y"),
        user(13, 1, "ls", &["ls"], "/usr/bin/ls"),
    ]);
    assert_eq!(
        found(&s, "exe-writable-dir"),
        [
            (Some(11), Severity::Medium),
            (Some(12), Severity::Medium),
            (Some(10), Severity::Low),
        ]
    );
}

#[test]
fn procsifts_own_process_is_info() {
    // A responder's copy of procsift in /tmp: the capture records its own pid, and what the rules find on
    // that process is said as info, with the reason; the same program under another pid is not excused.
    let mut s = linux(vec![
        user(
            50,
            1,
            "procsift",
            &["/tmp/procsift", "capture"],
            "/tmp/procsift",
        ),
        user(
            51,
            1,
            "procsift",
            &["/tmp/procsift", "capture"],
            "/tmp/procsift",
        ),
    ]);
    s.capture = Some(CaptureInfo {
        pid: Some(50),
        ..CaptureInfo::default()
    });
    assert_eq!(
        found(&s, "exe-writable-dir"),
        [(Some(51), Severity::Medium), (Some(50), Severity::Info)]
    );
    let got = run(&s, "exe-writable-dir");
    let own = got.findings.iter().find(|f| f.pid == Some(50)).unwrap();
    assert!(
        own.summary
            .ends_with("; info: procsift's own process, which read these records"),
        "{}",
        own.summary
    );
    assert!(
        own.evidence
            .iter()
            .any(|e| e.member == "manifest.json" && e.detail == "capture.pid 50"),
        "{:?}",
        own.evidence
    );
}

#[test]
fn anonymous_executable_memory_and_its_benign_causes() {
    let with = |pid, comm: &str, maps: Vec<Mapping>| {
        let mut p = user(pid, 1, comm, &[comm], &format!("/usr/bin/{comm}"));
        p.maps = Some(maps);
        p
    };
    let s = linux(vec![
        with(10, "evil", vec![map(0x1000, "rwxp", None)]),
        with(11, "loader", vec![map(0x1000, "r-xp", None)]),
        with(12, "java", vec![map(0x1000, "rwxp", None)]),
        with(13, "old", vec![map(0x1000, "rwxp", Some("[stack]"))]),
        with(
            15,
            "legacy",
            vec![
                map(0x40_0000, "r-xp", Some("/usr/bin/legacy")),
                map(0x41_0000, "rwxp", Some("/usr/bin/legacy")),
                map(0x7000_0000, "rwxp", None),
            ],
        ),
        with(
            14,
            "plain",
            vec![
                map(0x1000, "r-xp", Some("[vdso]")),
                map(0x3000, "rw-p", None),
                map(0xffff_ffff_ff60_0000, "--xp", Some("[vsyscall]")),
            ],
        ),
    ]);
    assert_eq!(
        found(&s, "anon-exec-memory"),
        [
            (Some(10), Severity::High),
            (Some(11), Severity::Medium),
            (Some(13), Severity::Medium),
            (Some(12), Severity::Low),
            (Some(15), Severity::Low),
        ]
    );
}

#[test]
fn a_cores_vdso_and_vsyscall_are_known_by_address() {
    let mut p = user(10, 1, "a", &["a"], "/usr/bin/a");
    p.maps = Some(vec![
        map(0x40_0000, "r-x", Some("/usr/bin/a")),
        map(0x7fff_0000, "r-x", None),
        map(0xffff_ffff_ff60_0000, "r-x", None),
    ]);
    let mut s = linux(vec![p]);
    s.source.kind = InputKind::Core;
    s.core = Some(CoreInfo {
        os: "linux".into(),
        arch: "x86_64".into(),
        elf_class: 64,
        byte_order: crate::abi::Endianness::Little,
        signal: None,
        kernel: None,
        auxv: vec![AuxEntry {
            name: Some("AT_SYSINFO_EHDR".into()),
            kind: 33,
            value: 0x7fff_0000,
            string: None,
        }],
        notes: vec![],
        provenance: vec![],
        mappings_omitted: Default::default(),
        modules: vec![],
        live: None,
    });
    assert!(found(&s, "anon-exec-memory").is_empty());
    // An executable stack (by the thread's stack pointer) of a 64-bit core; a core that names no file.
    let stack = map(0x7ffe_0000, "rwx", None);
    s.processes[0].maps.as_mut().unwrap().push(stack);
    s.processes[0].threads = Some(vec![crate::model::Thread {
        tid: 10,
        sp: Some(0x7ffe_0100),
        ..crate::model::Thread::default()
    }]);
    assert_eq!(
        found(&s, "anon-exec-memory"),
        [(Some(10), Severity::Medium)]
    );
    s.core.as_mut().unwrap().elf_class = 32;
    assert_eq!(found(&s, "anon-exec-memory"), [(Some(10), Severity::Low)]);
    s.core.as_mut().unwrap().elf_class = 64;
    s.processes[0].maps.as_mut().unwrap()[0].path = None;
    let out = run(&s, "anon-exec-memory");
    assert!(out.findings.is_empty());
    assert!(out.not_checked[0].reason.contains("names no mapped file"));
    // The rules a core cannot feed say why, once each.
    let all = check(&s, &Options::default());
    let why: Vec<&str> = all
        .not_checked
        .iter()
        .filter(|n| n.pids.is_empty())
        .map(|n| n.rule.as_str())
        .collect();
    for rule in [
        "traced",
        "shell-socket",
        "orphan-socket",
        "hidden-process",
        "setuid-shell",
    ] {
        assert!(why.contains(&rule), "{rule}: {why:?}");
    }
}

#[test]
fn deleted_and_dropped_libraries() {
    let with = |pid, comm: &str, lib: &str| {
        let mut p = user(pid, 1, comm, &[comm], &format!("/usr/bin/{comm}"));
        p.maps = Some(vec![
            map(0x1000, "r-xp", Some(&format!("/usr/bin/{comm}"))),
            map(0x5000, "r-xp", Some(lib)),
            map(0x9000, "r--p", Some(lib)),
        ]);
        p
    };
    let s = linux(vec![
        with(10, "a", "/usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)"),
        with(11, "b", "/dev/shm/libx.so (deleted)"),
        with(12, "c", "/memfd:doublemapper (deleted)"),
        with(13, "d", "/memfd:shellcode (deleted)"),
        with(
            14,
            "java",
            "/tmp/libnetty_transport_native_epoll_x86_64123.so",
        ),
        with(15, "e", "/tmp/.x/libhook.so"),
    ]);
    assert_eq!(
        found(&s, "deleted-library"),
        [
            (Some(11), Severity::High),
            (Some(13), Severity::High),
            (Some(10), Severity::Low),
            (Some(12), Severity::Low),
        ]
    );
    assert_eq!(
        found(&s, "library-writable-dir"),
        [
            (Some(11), Severity::Medium),
            (Some(15), Severity::Medium),
            (Some(14), Severity::Low),
        ]
    );
}

#[test]
fn preloads_once_per_tree_and_the_hosts_file() {
    let with_env = |pid, ppid, env: &[&str]| {
        let mut p = user(pid, ppid, "app", &["app"], "/usr/bin/app");
        p.env = Some(env.iter().map(|e| bs(e)).collect());
        p
    };
    let mut s = linux(vec![
        with_env(10, 1, &["LD_PRELOAD=/opt/hook/libhook.so"]),
        with_env(11, 10, &["LD_PRELOAD=/opt/hook/libhook.so"]),
        with_env(12, 11, &["LD_PRELOAD=/opt/hook/libhook.so"]),
        with_env(20, 1, &["LD_PRELOAD=/usr/libexec/coreutils/libstdbuf.so"]),
        with_env(21, 1, &["LD_AUDIT=/dev/shm/a.so"]),
        with_env(22, 1, &["LD_PRELOAD="]),
    ]);
    let out = run(&s, "ld-preload");
    let got: Vec<_> = out.findings.iter().map(|f| (f.pid, f.severity)).collect();
    assert_eq!(
        got,
        [
            (Some(21), Severity::High),
            (Some(10), Severity::Medium),
            (Some(20), Severity::Low),
        ]
    );
    assert!(
        out.findings[1]
            .summary
            .contains("and 2 descendants inherited it")
    );
    // /etc/ld.so.preload: absent is fine; unknown, unreadable or not empty is said.
    s.system.ld_so_preload = Some(PreloadFile {
        entries: vec![bs("/lib/x86_64-linux-gnu/libprocesshider.so")],
        error: None,
    });
    let host: Vec<_> = run(&s, "ld-preload")
        .findings
        .into_iter()
        .filter(|f| f.pid.is_none())
        .collect();
    assert_eq!(host.len(), 1);
    assert_eq!(host[0].severity, Severity::Medium);
    assert_eq!(host[0].evidence[0].member, "etc/ld.so.preload");
    s.system.ld_so_preload = None;
    let nc = run(&s, "ld-preload").not_checked;
    assert!(
        nc.iter()
            .any(|n| n.reason.contains("/etc/ld.so.preload is not in the input"))
    );
    s.system.ld_so_preload = Some(PreloadFile {
        entries: vec![],
        error: Some("EACCES".into()),
    });
    let nc = run(&s, "ld-preload").not_checked;
    assert!(
        nc.iter()
            .any(|n| n.reason.contains("could not be read: EACCES"))
    );
}

#[test]
fn history_off_by_shell_kind_and_inheritance() {
    let with = |pid, ppid, comm: &str, argv: &[&str], env: &[&str]| {
        let mut p = user(pid, ppid, comm, argv, &format!("/usr/bin/{comm}"));
        p.env = Some(env.iter().map(|e| bs(e)).collect());
        p
    };
    let s = linux(vec![
        with(10, 1, "bash", &["-bash"], &["HISTFILE=/dev/null"]),
        with(11, 1, "bash", &["bash", "-c", "make"], &["HISTSIZE=0"]),
        with(12, 1, "sleep", &["sleep", "9"], &["HISTFILESIZE=0"]),
        with(13, 12, "sleep", &["sleep", "9"], &["HISTFILESIZE=0"]),
        with(
            14,
            1,
            "bash",
            &["bash"],
            &["HISTFILE=/home/a/.bash_history"],
        ),
    ]);
    assert_eq!(
        found(&s, "history-off"),
        [
            (Some(10), Severity::Medium),
            (Some(12), Severity::Medium),
            (Some(11), Severity::Low),
        ]
    );
}

#[test]
fn kernel_thread_look_alikes() {
    let mut real = user(3, 2, "kworker/0:1", &[], "");
    real.kernel_thread = Some(true);
    real.exe = None;
    real.maps = None;
    let s = linux(vec![
        real,
        user(10, 1, "sleep", &["[kworker/0:7]"], "/usr/bin/sleep"),
        user(11, 1, "kworker/1:1", &["x"], "/tmp/x"),
        user(
            12,
            1,
            "python3",
            &["[celeryd: celery@h:ForkPoolWorker-1]"],
            "/usr/bin/python3",
        ),
    ]);
    assert_eq!(
        found(&s, "kernel-thread-masquerade"),
        [(Some(10), Severity::High), (Some(11), Severity::High)]
    );
}

#[test]
fn names_that_disagree_and_those_explained() {
    let s = linux(vec![
        user(10, 1, "gamma", &["beta"], "/usr/bin/alpha"),
        user(11, 1, "sshd", &["sshd: root@pts/0"], "/usr/sbin/sshd"),
        user(
            12,
            1,
            "myscript",
            &["/usr/bin/python3", "/opt/myscript"],
            "/usr/bin/python3.11",
        ),
        user(
            13,
            1,
            "systemd-journal",
            &["/lib/systemd/systemd-journald"],
            "/usr/lib/systemd/systemd-journald",
        ),
        user(14, 1, "sh", &["-sh"], "/usr/bin/busybox"),
    ]);
    assert_eq!(found(&s, "name-mismatch"), [(Some(10), Severity::Low)]);
}

#[test]
fn tracing_of_credential_handlers() {
    let mut sshd = user(10, 1, "sshd", &["sshd: root [priv]"], "/usr/sbin/sshd");
    sshd.traced = Some(true);
    sshd.tracer_pid = Some(20);
    let mut app = user(11, 1, "app", &["app"], "/usr/bin/app");
    app.traced = Some(true);
    app.tracer_pid = Some(21);
    let mut unknown = user(12, 1, "app", &["app"], "/usr/bin/app");
    unknown.traced = None;
    let s = linux(vec![
        sshd,
        app,
        unknown,
        user(20, 1, "strace", &["strace", "-p", "10"], "/usr/bin/strace"),
        user(21, 1, "gdb", &["gdb", "-p", "11"], "/usr/bin/gdb"),
    ]);
    let out = run(&s, "traced");
    let got: Vec<_> = out.findings.iter().map(|f| (f.pid, f.severity)).collect();
    assert_eq!(
        got,
        [(Some(10), Severity::High), (Some(11), Severity::Medium)]
    );
    assert!(out.findings[0].summary.contains("by 20 (strace)"));
    assert_eq!(out.not_checked.len(), 1);
    assert_eq!(out.not_checked[0].pids, [12]);
}

#[test]
fn full_capabilities_by_user_namespace() {
    let caps = |eff: &str| Capabilities {
        effective: Some(eff.into()),
        bounding: Some("000001ffffffffff".into()),
        ..Capabilities::default()
    };
    let with = |pid, uid: u32, eff: &str, userns: Option<u64>| {
        let mut p = user(pid, 1, "app", &["app"], "/usr/bin/app");
        (p.cred.uid, p.cred.euid, p.cred.suid, p.cred.fsuid) =
            (Some(uid), Some(uid), Some(uid), Some(uid));
        p.capabilities = Some(caps(eff));
        p.namespaces = userns.map(|inode| {
            vec![Namespace {
                kind: "user".into(),
                inode,
                link: None,
            }]
        });
        p
    };
    let s = linux(vec![
        with(10, 1000, "000001ffffffffff", Some(0xEFFF_FFFD)),
        with(11, 100000, "000001ffffffffff", Some(4026532300)),
        with(12, 1000, "000001ffffffffff", None),
        with(13, 0, "000001ffffffffff", Some(0xEFFF_FFFD)),
        with(14, 1000, "0000000000003000", Some(0xEFFF_FFFD)),
    ]);
    assert_eq!(
        found(&s, "full-capabilities-nonroot"),
        [
            (Some(10), Severity::High),
            (Some(12), Severity::Medium),
            (Some(11), Severity::Low),
        ]
    );
}

fn tcp(inode: u64, port: u16, state: &str) -> TableSocket {
    TableSocket {
        inode,
        socket: Socket {
            protocol: "tcp".into(),
            local: Some(SocketEndpoint {
                address: bs("0.0.0.0"),
                port: Some(port),
            }),
            remote: None,
            state: Some(state.into()),
            socket_type: None,
            uid: None,
            netns: Some(4026531993),
        },
    }
}

#[test]
fn orphan_sockets_and_their_benign_causes() {
    let mut holder = user(10, 1, "srv", &["srv"], "/usr/bin/srv");
    holder.fds = Some(vec![Fd {
        fd: 3,
        kind: FdKind::Socket,
        target: Some(bs("socket:[100]")),
        mode: None,
        flags: None,
        pos: None,
        inode: Some(100),
        socket: None,
    }]);
    let mut s = linux(vec![holder]);
    s.system.sockets = Some(vec![
        tcp(100, 80, "LISTEN"),
        tcp(101, 4444, "LISTEN"),
        tcp(102, 2049, "LISTEN"),
        tcp(0, 5555, "TIME_WAIT"),
        tcp(103, 6666, "CLOSE_WAIT"),
    ]);
    let got = run(&s, "orphan-socket");
    let sev: Vec<_> = got
        .findings
        .iter()
        .map(|f| (f.subject.clone(), f.severity))
        .collect();
    assert_eq!(
        sev,
        [
            (Some("tcp 0.0.0.0:4444 LISTEN".into()), Severity::Medium),
            (Some("tcp 0.0.0.0:2049 LISTEN".into()), Severity::Low),
        ]
    );
    // A process exited while the capture ran: it may have held it.
    s.capture = Some(CaptureInfo {
        vanished: vec![77],
        ..CaptureInfo::default()
    });
    assert!(
        run(&s, "orphan-socket")
            .findings
            .iter()
            .all(|f| f.severity == Severity::Low)
    );
    // A process whose descriptors could not be read: info, and said.
    s.capture = None;
    let mut blind = user(11, 1, "x", &["x"], "/usr/bin/x");
    blind.fds = None;
    s.processes.push(blind);
    s.sort();
    let got = run(&s, "orphan-socket");
    assert!(got.findings.iter().all(|f| f.severity == Severity::Info));
    assert_eq!(got.not_checked[0].pids, [11]);
}

fn mounts(pid: i32, points: &[(&str, &str)]) -> MountTable {
    MountTable {
        pid,
        namespace: Some(4026531841),
        mounts: points
            .iter()
            .enumerate()
            .map(|(i, (point, fs))| Mount {
                mount_id: 20 + i as u32,
                parent_id: 1,
                dev: "0:5".into(),
                root: bs("/"),
                mount_point: bs(point),
                options: "rw".into(),
                fs_type: bs(fs),
                source: bs(fs),
                super_options: "rw".into(),
            })
            .collect(),
    }
}

#[test]
fn mounts_over_proc_and_hidden_parents() {
    let mut child = user(11, 10, "sleep", &["sleep"], "/usr/bin/sleep");
    child.namespaces = Some(vec![Namespace {
        kind: "mnt".into(),
        inode: 4026531841,
        link: None,
    }]);
    let mut init = user(1, 0, "init", &["init"], "/sbin/init");
    init.namespaces = child.namespaces.clone();
    let mut s = linux(vec![init, child]);
    s.system.mount_tables = Some(vec![mounts(
        1,
        &[("/", "ext4"), ("/proc", "proc"), ("/proc/10", "tmpfs")],
    )]);
    s.capture = Some(CaptureInfo {
        vanished: vec![10],
        ..CaptureInfo::default()
    });
    assert_eq!(found(&s, "proc-overmount"), [(Some(10), Severity::High)]);
    let hidden = run(&s, "hidden-process");
    assert_eq!(hidden.findings.len(), 1);
    assert_eq!(
        (hidden.findings[0].pid, hidden.findings[0].severity),
        (Some(10), Severity::High)
    );
    assert!(
        hidden.findings[0]
            .evidence
            .iter()
            .any(|e| e.member == "manifest.json")
    );

    // Without the mount, a parent that vanished during the capture is no finding; one hidden by
    // hidepid from a capture that could not see it is low.
    s.system.mount_tables = Some(vec![mounts(1, &[("/", "ext4"), ("/proc", "proc")])]);
    assert!(found(&s, "hidden-process").is_empty());
    s.capture = Some(CaptureInfo::default());
    let mut t = mounts(1, &[("/proc", "proc")]);
    t.mounts[0].super_options = "rw,hidepid=invisible".into();
    s.system.mount_tables = Some(vec![t]);
    let out = run(&s, "hidden-process");
    assert_eq!(
        (out.findings[0].pid, out.findings[0].severity),
        (Some(10), Severity::Low)
    );
    assert!(out.findings[0].summary.contains("hidepid=invisible"));
    // A /proc tree copied by hand, without a capture manifest, may hold only some processes.
    s.capture = None;
    s.system.mount_tables = None;
    let out = run(&s, "hidden-process");
    assert_eq!(out.findings[0].severity, Severity::Low);
    assert!(
        out.findings[0]
            .summary
            .contains("without a capture manifest")
    );
}

#[test]
fn probed_pids_and_events_of_processes_the_listing_lacks() {
    let mut s = linux(vec![
        user(1, 0, "init", &["init"], "/sbin/init"),
        user(
            40,
            1,
            "redis-server",
            &["redis-server"],
            "/usr/bin/redis-server",
        ),
    ]);
    let probed = |pid, tgid, before| ProbedPid {
        pid,
        tgid: Some(tgid),
        ppid: Some(1),
        comm: Some(bs("x")),
        started_before_capture: before,
        ..ProbedPid::default()
    };
    s.system.pid_probe = Some(PidProbe {
        pid_max: Some(32768),
        answered: vec![
            probed(41, 40, Some(true)),  // a thread of a listed process
            probed(50, 50, Some(true)),  // a hidden process
            probed(51, 50, Some(true)),  // its thread
            probed(60, 60, Some(false)), // started during the capture
            probed(70, 70, None),        // no capture window known
            ProbedPid {
                pid: 90,
                ..ProbedPid::default()
            }, // gone before its stat and status were read
        ],
    });
    assert_eq!(
        found(&s, "hidden-process"),
        [(Some(50), Severity::High), (Some(70), Severity::Medium)]
    );
    // Events: alive before and after the capture, never listed.
    s.system.pid_probe = None;
    let only = |pid, forked: bool, exited: bool| Process {
        events: Some(ProcessEvents {
            seen_only_in_events: true,
            forked: forked.then_some(crate::time::Timestamp { secs: 1, nanos: 0 }),
            exited: exited.then_some(crate::time::Timestamp { secs: 2, nanos: 0 }),
            execs: 1,
            ..ProcessEvents::default()
        }),
        ..user(pid, 1, "x", &["x"], "/usr/bin/x")
    };
    s.events = Some(EventLog {
        recorded: true,
        processes: vec![
            only(80, false, false),
            only(81, true, false),
            only(82, false, true),
        ],
        ..EventLog::default()
    });
    assert_eq!(found(&s, "hidden-process"), [(Some(80), Severity::High)]);
    s.events.as_mut().unwrap().lost = 2;
    assert_eq!(found(&s, "hidden-process"), [(Some(80), Severity::Low)]);
}

#[test]
fn shells_on_sockets_pipes_and_under_services() {
    let sock = |fd, proto: &str| Fd {
        fd,
        kind: FdKind::Socket,
        target: Some(bs("socket:[9]")),
        mode: None,
        flags: None,
        pos: None,
        inode: Some(9 + fd as u64),
        socket: Some(Socket {
            protocol: proto.into(),
            local: None,
            remote: None,
            state: Some("ESTABLISHED".into()),
            socket_type: None,
            uid: None,
            netns: None,
        }),
    };
    let pipe = |fd, inode| Fd {
        fd,
        kind: FdKind::Pipe,
        target: Some(bs(&format!("pipe:[{inode}]"))),
        mode: None,
        flags: None,
        pos: None,
        inode: Some(inode),
        socket: None,
    };
    let mut rev = user(10, 1, "bash", &["bash", "-i"], "/usr/bin/bash");
    rev.fds = Some(vec![sock(0, "tcp"), sock(1, "tcp"), sock(2, "tcp")]);
    let mut journal = user(
        11,
        1,
        "python3",
        &["python3", "app.py"],
        "/usr/bin/python3.11",
    );
    journal.fds = Some(vec![sock(1, "unix"), sock(2, "unix")]);
    let mut piped = user(12, 1, "sh", &["sh", "-i"], "/usr/bin/dash");
    piped.fds = Some(vec![pipe(0, 500), pipe(1, 501)]);
    let mut nc = user(
        13,
        1,
        "nc",
        &["nc", "10.0.0.1", "4444"],
        "/usr/bin/nc.openbsd",
    );
    nc.fds = Some(vec![pipe(0, 501), sock(3, "tcp")]);
    let php = user(
        20,
        1,
        "php-fpm8.2",
        &["php-fpm: pool www"],
        "/usr/sbin/php-fpm8.2",
    );
    let mail = user(
        21,
        20,
        "sh",
        &["sh", "-c", "/usr/sbin/sendmail -t -i"],
        "/usr/bin/dash",
    );
    let web = user(22, 20, "sh", &["sh", "-c", "id; uname -a"], "/usr/bin/dash");
    let s = linux(vec![rev, journal, piped, nc, php, mail, web]);
    assert_eq!(
        found(&s, "shell-socket"),
        [(Some(10), Severity::High), (Some(12), Severity::High)]
    );
    assert_eq!(
        found(&s, "service-spawned-shell"),
        [(Some(22), Severity::Medium), (Some(21), Severity::Low)]
    );
}

#[test]
fn allowlists_redaction_and_rule_selection() {
    let mut p = user(10, 1, "app", &["app", "--password=hunter2"], "/usr/bin/app");
    p.env = Some(vec![bs("LD_PRELOAD=/opt/hook/libhook.so")]);
    let s = linux(vec![p]);
    let red = check(
        &s,
        &Options {
            rules: vec!["ld-preload".into()],
            redact: true,
            ..Options::default()
        },
    );
    assert!(red.findings[0].summary.contains("LD_PRELOAD=<redacted:"));
    assert!(!format!("{:?}", red.findings[0].evidence).contains("libhook"));
    let allow = Allowlist::parse(b"ld-preload /usr/bin/app\n", |r| rule(r).is_some()).unwrap();
    let out = check(
        &s,
        &Options {
            rules: vec!["ld-preload".into()],
            allow,
            ..Options::default()
        },
    );
    assert!(out.findings.is_empty());
    assert_eq!(out.allowed.len(), 1);
    assert!(
        Options {
            skip: vec!["nope".into()],
            ..Options::default()
        }
        .validate()
        .is_err()
    );
    let only = check(
        &s,
        &Options {
            skip: RULES.iter().map(|r| r.id.to_string()).collect(),
            ..Options::default()
        },
    );
    assert!(only.rules_run.is_empty() && only.findings.is_empty());
}

#[test]
fn evidence_members_per_input() {
    let s = linux(vec![user(5, 1, "a", &["a"], "/usr/bin/a")]);
    let scene = view::Scene::new(&s);
    use evidence::{Fact, of_process};
    assert_eq!(of_process(&scene, 5, Fact::Exe), "proc/5/exe");
    assert_eq!(of_process(&scene, 5, Fact::Fd(2)), "proc/5/fd/2");
    let mut sol = s.clone();
    sol.source.os = Some("solaris".into());
    let scene = view::Scene::new(&sol);
    assert_eq!(of_process(&scene, 5, Fact::Exe), "proc/5/path/a.out");
    assert_eq!(of_process(&scene, 5, Fact::Credentials), "proc/5/cred");
    let mut nb = s.clone();
    nb.source.os = Some("netbsd".into());
    let scene = view::Scene::new(&nb);
    assert_eq!(
        of_process(&scene, 5, Fact::Env),
        "sysctl/kern.proc_args/5/env"
    );
}

/// A varied host: something for each per-process rule, and a tree whose preload and history settings
/// are inherited (what the host rules read across processes).
fn varied() -> Snapshot {
    let mut rwx = user(20, 1, "node", &["node"], "/usr/bin/node");
    rwx.maps = Some(vec![
        map(0x1000, "r-xp", Some("/usr/bin/node")),
        map(0x7000, "rwxp", None),
        map(0x9000, "r-xp", Some("/tmp/.x/libz.so (deleted)")),
    ]);
    let mut shell = user(21, 20, "bash", &["bash", "-p"], "/usr/bin/bash");
    shell.cred.euid = Some(0);
    shell.env = Some(vec![
        bs("LD_PRELOAD=/dev/shm/h.so"),
        bs("HISTFILE=/dev/null"),
    ]);
    let mut child = user(22, 21, "sh", &["sh"], "/usr/bin/dash");
    child.env = shell.env.clone();
    let mut kernel = user(2, 0, "kthreadd", &[], "");
    kernel.kernel_thread = Some(true);
    kernel.exe = None;
    kernel.maps = None;
    linux(vec![
        kernel,
        user(10, 1, "x", &["x"], "/tmp/x (deleted)"),
        user(11, 10, "kworker/1:1", &["[kworker/1:1]"], "/dev/shm/k"),
        user(12, 1, "3", &["sleep"], "/memfd:payload (deleted)"),
        user(13, 12, "gamma", &["beta"], "/usr/bin/alpha"),
        rwx,
        shell,
        child,
    ])
}

/// `(rule, pid, severity, summary)` of each finding, in order.
fn listed(o: &Outcome) -> Vec<(String, Option<i32>, Severity, String)> {
    o.findings
        .iter()
        .map(|f| (f.rule.clone(), f.pid, f.severity, f.summary.clone()))
        .collect()
}

#[test]
fn a_per_process_rule_reads_only_the_process_it_looks_at() {
    // What each per-process rule finds about a process over the whole host is what it finds over a
    // host of that process alone: the property `check_shared` relies on to leave settled ones out.
    let s = varied();
    let whole = check(&s, &Options::default());
    let scene = Scene::new(&s);
    let mut seen = 0;
    for r in RULES.iter().filter(|r| r.scope == Scope::Process) {
        for p in &s.processes {
            let others: std::collections::HashSet<i32> = s
                .processes
                .iter()
                .map(|q| q.pid)
                .filter(|q| *q != p.pid)
                .collect();
            let alone = super::run(
                &scene,
                Some(&scene.without(&others)),
                &Options {
                    rules: vec![r.id.into()],
                    ..Options::default()
                },
            );
            let expected: Vec<_> = listed(&whole)
                .into_iter()
                .filter(|f| f.0 == r.id && f.1 == Some(p.pid))
                .collect();
            seen += expected.len();
            assert_eq!(listed(&alone), expected, "{} on pid {}", r.id, p.pid);
        }
    }
    // The host exercises the per-process rules (a fixture that finds nothing proves nothing).
    assert!(seen >= 8, "{seen} per-process findings");
}

#[test]
fn settled_processes_skip_only_the_per_process_rules() {
    let s = varied();
    let whole = check(&s, &Options::default());
    let settled: std::collections::HashSet<i32> = [10, 20, 21].into();
    let shared = check_shared(&s, &|_| None, &settled, &Options::default());
    let expected: Vec<_> = listed(&whole)
        .into_iter()
        .filter(|f| {
            let scope = rule(&f.0).map(|r| r.scope);
            !(scope == Some(Scope::Process) && f.1.is_some_and(|p| settled.contains(&p)))
        })
        .collect();
    assert_eq!(listed(&shared), expected);
    // Both kinds are there: per-process findings of the settled pids left out, host findings about
    // them (the preload and history settings their children inherit) kept.
    assert!(listed(&whole).len() > expected.len());
    assert!(
        expected
            .iter()
            .any(|f| f.0 == "ld-preload" && f.1 == Some(21)),
        "{expected:?}"
    );
    // Nothing settled: the outcome is check's.
    let none = check_shared(&s, &|_| None, &Default::default(), &Options::default());
    assert_eq!(listed(&none), listed(&whole));
}
