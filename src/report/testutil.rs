//! A small hand-built snapshot for report tests.

use crate::model::*;

fn ts(secs: i64) -> Timestamp {
    Timestamp { secs, nanos: 0 }
}

fn proc(pid: i32, ppid: i32, uid: u32, user: &str, argv: &[&[u8]]) -> Process {
    Process {
        pid,
        ppid: Some(ppid),
        pgid: Some(pid),
        sid: Some(pid),
        comm: argv
            .first()
            .map(|a| ByteString::new(a.rsplit(|&b| b == b'/').next().unwrap_or(a))),
        argv: Some(argv.iter().map(|a| ByteString::new(a)).collect()),
        cred: Credentials {
            uid: Some(uid),
            euid: Some(uid),
            gid: Some(uid),
            egid: Some(uid),
            user: Some(user.to_string()),
            euser: Some(user.to_string()),
            ..Credentials::default()
        },
        state: Some("S".into()),
        nlwp: Some(1),
        user_time: Some(1.5),
        system_time: Some(0.25),
        start_time: Some(ts(1_795_350_000 + i64::from(pid))),
        memory: Some(Memory {
            vsz_kib: Some(10_000 + pid as u64),
            rss_kib: Some(1_000 + pid as u64),
            ..Memory::default()
        }),
        ..Process::default()
    }
}

/// init (1, root) → unshare (100, root) → sleep (101, alice, pid 1 in its namespace) → sleep (102, in a
/// docker cgroup, with a thread, a socket and a mapping).
pub fn sample() -> Snapshot {
    let mut init = proc(1, 0, 0, "root", &[b"/sbin/init"]);
    init.namespaces = Some(vec![Namespace {
        kind: "pid".into(),
        inode: 4026531836,
        link: None,
    }]);
    let unshare = proc(
        100,
        1,
        0,
        "root",
        &[b"unshare", b"--pid", b"--fork", b"sleep"],
    );
    let mut inner = proc(101, 100, 1000, "alice", &[b"sleep", b"100 200", b"\xff"]);
    inner.nspid = Some(vec![101, 1]);
    inner.namespaces = Some(vec![Namespace {
        kind: "pid".into(),
        inode: 4026532500,
        link: None,
    }]);
    let mut worker = proc(102, 101, 1000, "alice", &[b"worker"]);
    worker.nspid = Some(vec![102, 2]);
    worker.namespaces = inner.namespaces.clone();
    worker.cgroup = Some(vec![ByteString::from("0::/system.slice/docker-abc.scope")]);
    worker.nlwp = Some(2);
    worker.threads = Some(vec![
        Thread {
            tid: 102,
            name: Some("worker".into()),
            state: Some("S".into()),
            ..Thread::default()
        },
        Thread {
            tid: 103,
            name: Some("io".into()),
            state: Some("R".into()),
            user_time: Some(0.5),
            ..Thread::default()
        },
    ]);
    worker.fds = Some(vec![
        Fd {
            fd: 0,
            kind: FdKind::Device,
            target: Some("/dev/null".into()),
            mode: Some("r".into()),
            flags: None,
            pos: Some(0),
            inode: None,
            socket: None,
        },
        Fd {
            fd: 3,
            kind: FdKind::Socket,
            target: Some("socket:[777]".into()),
            mode: Some("rw".into()),
            flags: None,
            pos: None,
            inode: Some(777),
            socket: Some(Socket {
                protocol: "tcp".into(),
                local: Some(SocketEndpoint {
                    address: "127.0.0.1".into(),
                    port: Some(8080),
                }),
                remote: None,
                state: Some("LISTEN".into()),
                socket_type: None,
                uid: Some(1000),
                netns: Some(4026531993),
            }),
        },
    ]);
    worker.maps = Some(vec![
        Mapping {
            start: 0x400000,
            end: 0x401000,
            perms: "r-xp".into(),
            offset: 0,
            dev: Some("08:01".into()),
            inode: Some(42),
            path: Some("/usr/bin/worker".into()),
            ..Mapping::default()
        },
        Mapping {
            start: 0x7ff000,
            end: 0x800000,
            perms: "rw-p".into(),
            offset: 0,
            path: Some("[stack]".into()),
            ..Mapping::default()
        },
    ]);
    Snapshot {
        system: Default::default(),
        source: Source {
            kind: InputKind::Archive,
            path: "test.tar".into(),
            os: Some("linux".into()),
        },
        host: Host {
            hostname: Some("testhost".into()),
            sysname: Some("Linux".into()),
            ..Host::default()
        },
        capture: None,
        core: None,
        events: None,
        processes: vec![init, unshare, inner, worker],
        warnings: vec![Warning::at("proc/55/stat", 12, "bad field")],
    }
}
