//! NetBSD sysctl dumps written by the test-only encoder (both byte orders; the known element sizes and
//! longer ones, with and without a manifest), analyzed through the CLI: ps, tree, show, threads and
//! files (sockets joined to their processes by `ki_fdata` = `ki_sockaddr`, as sockstat(1) does). The
//! capture plan runs against a fake sysctl serving the same answers, and its archive reads back the
//! same. Truncated arrays give warnings and the records present.

mod common;
mod netbsd_encoder;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{TempDir, run_json};
use netbsd_encoder::{Addr, Enc, File, Lwp, Pcb, Proc, Sizes, World};
use procsift::capture::netbsd::Sysctl;
use procsift::capture::{CaptureOptions, PlanKind, capture_to_path};
use rustix::io::Errno;
use serde_json::{Value, json};

const LSRUN: i8 = 2;
const LSSLEEP: i8 = 3;
const LSSTOP: i8 = 4;
const LSZOMB: i8 = 5;
const LSONPROC: i8 = 7;
const L_SINTR: i32 = 0x80;
const NODEV: u32 = u32::MAX;
const TCP: &str = "sysctl/net.inet.tcp.pcblist";
const TCP6: &str = "sysctl/net.inet6.tcp6.pcblist";
const UDP: &str = "sysctl/net.inet.udp.pcblist";
const UDP6: &str = "sysctl/net.inet6.udp6.pcblist";
const STREAM: &str = "sysctl/net.local.stream.pcblist";
const DGRAM: &str = "sysctl/net.local.dgram.pcblist";

fn vnode(pid: u32, fd: i32, vtype: u32, flag: u32, offset: u64) -> File {
    File {
        pid,
        fd,
        ftype: 1,
        vtype,
        flag,
        offset,
        fdata: 0x5000 + (pid as u64) * 0x100 + fd as u64,
    }
}

fn sock(pid: u32, fd: i32, fdata: u64) -> File {
    File {
        pid,
        fd,
        ftype: 2,
        vtype: 0,
        flag: 3,
        offset: 0,
        fdata,
    }
}

/// Five processes: init, sshd (two LWPs; tcp and tcp6 listeners and one connection), dnsd (three LWPs;
/// udp, link-local udp6, a connected unix datagram socket, a pipe, a kqueue, a directory), a stopped
/// client of sshd (a unix stream socket and a tcp6 connection) and a zombie; plus control blocks no
/// process holds.
fn world() -> World {
    let base = Proc {
        nice: 20,
        priority: 85,
        tdev: NODEV,
        uvalid: true,
        ..Proc::default()
    };
    let procs = vec![
        Proc {
            pid: 1,
            ppid: 0,
            pgid: 1,
            sid: 1,
            groups: vec![0],
            comm: "init",
            login: "root",
            wmesg: "wait",
            stat: LSSLEEP,
            flag: L_SINTR,
            rssize: 100,
            msize: 300,
            start: (1_700_000_000, 250_000),
            utime: (1, 500_000),
            stime: (2, 0),
            maxrss: 1200,
            lwps: vec![Lwp {
                lid: 1,
                stat: LSSLEEP,
                flag: L_SINTR,
                wmesg: "wait",
                cpuid: 0,
                priority: 85,
                ..Lwp::default()
            }],
            argv: Some(vec!["init"]),
            env: Some(vec![]),
            path: Some("/sbin/init"),
            ..base.clone()
        },
        Proc {
            pid: 412,
            ppid: 1,
            pgid: 412,
            sid: 412,
            groups: vec![0, 5],
            comm: "sshd",
            login: "root",
            wmesg: "select",
            stat: LSSLEEP,
            flag: L_SINTR,
            pctcpu: 1024,
            rssize: 512,
            msize: 4096,
            start: (1_700_000_100, 0),
            utime: (3, 0),
            stime: (4, 250_000),
            maxrss: 2100,
            lwps: vec![
                Lwp {
                    lid: 1,
                    stat: LSSLEEP,
                    flag: L_SINTR,
                    wmesg: "select",
                    cpuid: 1,
                    priority: 85,
                    ..Lwp::default()
                },
                Lwp {
                    lid: 2,
                    stat: LSONPROC,
                    name: "sshd-worker",
                    cpuid: 0,
                    priority: 43,
                    pctcpu: 2048,
                    ..Lwp::default()
                },
            ],
            // sshd ignores SIGPIPE (13) and catches SIGHUP (1), SIGTERM (15), SIGCHLD (20) and
            // SIGRTMIN+1 (34).
            sigignore: 1 << 12,
            sigcatch: 1 | (1 << 14) | (1 << 19) | (1 << 33),
            argv: Some(vec!["/usr/sbin/sshd", "-D"]),
            env: Some(vec!["PATH=/bin:/usr/bin", "HOME=/root"]),
            path: Some("/usr/sbin/sshd"),
            ..base.clone()
        },
        Proc {
            pid: 733,
            ppid: 1,
            pgid: 733,
            sid: 733,
            ruid: 1000,
            euid: 1000,
            svuid: 1000,
            rgid: 100,
            egid: 100,
            svgid: 100,
            groups: vec![100],
            comm: "dnsd",
            login: "dns",
            stat: LSRUN,
            eflag: 1,
            tdev: 0x0500,
            nice: 25,
            rssize: 64,
            msize: 2048,
            start: (1_700_000_200, 0),
            utime: (10, 0),
            stime: (0, 0),
            maxrss: 300,
            lwps: vec![
                Lwp {
                    lid: 1,
                    stat: LSONPROC,
                    name: "dnsd",
                    cpuid: 1,
                    priority: 40,
                    ..Lwp::default()
                },
                Lwp {
                    lid: 2,
                    stat: LSRUN,
                    name: "worker-1",
                    cpuid: u64::MAX,
                    priority: 41,
                    ..Lwp::default()
                },
                Lwp {
                    lid: 3,
                    stat: LSSLEEP,
                    name: "worker-2",
                    wmesg: "biowait",
                    cpuid: 0,
                    priority: 42,
                    ..Lwp::default()
                },
            ],
            argv: Some(vec!["dnsd", "-c", "/etc/dnsd.conf"]),
            env: None,
            path: Some("/usr/sbin/dnsd"),
            ..base.clone()
        },
        Proc {
            pid: 901,
            ppid: 412,
            pgid: 901,
            sid: 412,
            ruid: 1000,
            euid: 1000,
            svuid: 1000,
            rgid: 100,
            egid: 100,
            svgid: 100,
            groups: vec![100],
            comm: "ctl",
            stat: LSSTOP,
            start: (1_700_000_300, 0),
            lwps: vec![Lwp {
                lid: 1,
                stat: LSSTOP,
                cpuid: 0,
                ..Lwp::default()
            }],
            argv: Some(vec!["ctl", "status"]),
            path: Some("/usr/bin/ctl"),
            ..base.clone()
        },
        Proc {
            pid: 950,
            ppid: 412,
            pgid: 412,
            sid: 412,
            comm: "defunct",
            stat: LSZOMB,
            uvalid: false,
            ..base
        },
    ];
    let files = vec![
        vnode(412, 0, 4, 1, 0),
        vnode(412, 1, 1, 2, 4096),
        sock(412, 3, 0xa000),
        sock(412, 4, 0xa100),
        sock(412, 5, 0xa200),
        sock(733, 3, 0xb000),
        sock(733, 4, 0xb100),
        sock(733, 5, 0xb200),
        File {
            ftype: 3,
            flag: 2,
            ..vnode(733, 6, 0, 2, 0)
        },
        File {
            ftype: 4,
            flag: 3,
            ..vnode(733, 7, 0, 3, 0)
        },
        vnode(733, 8, 2, 1, 0),
        sock(901, 3, 0xd000),
        sock(901, 4, 0xd200),
    ];
    let v6 = |s: &str| s.parse::<Ipv6Addr>().unwrap();
    let pcbs = vec![
        Pcb {
            list: TCP,
            sockaddr: 0xa000,
            family: 2,
            sock_type: 1,
            protocol: 6,
            tstate: 1,
            local: Addr::In(Ipv4Addr::UNSPECIFIED, 22),
            remote: Addr::In(Ipv4Addr::UNSPECIFIED, 0),
            ..Pcb::default()
        },
        Pcb {
            list: TCP6,
            sockaddr: 0xa100,
            family: 24,
            sock_type: 1,
            protocol: 6,
            tstate: 1,
            local: Addr::In6(Ipv6Addr::UNSPECIFIED, 22, 0),
            remote: Addr::In6(Ipv6Addr::UNSPECIFIED, 0, 0),
            ..Pcb::default()
        },
        Pcb {
            list: TCP,
            sockaddr: 0xa200,
            family: 2,
            sock_type: 1,
            protocol: 6,
            tstate: 4,
            local: Addr::In(Ipv4Addr::new(10, 0, 0, 5), 22),
            remote: Addr::In(Ipv4Addr::new(192, 0, 2, 7), 51234),
            ..Pcb::default()
        },
        // TIME_WAIT: no descriptor holds it.
        Pcb {
            list: TCP,
            sockaddr: 0xe000,
            family: 2,
            sock_type: 1,
            protocol: 6,
            tstate: 10,
            local: Addr::In(Ipv4Addr::new(10, 0, 0, 5), 22),
            remote: Addr::In(Ipv4Addr::new(192, 0, 2, 9), 40000),
            ..Pcb::default()
        },
        Pcb {
            list: UDP,
            sockaddr: 0xb000,
            family: 2,
            sock_type: 2,
            protocol: 17,
            local: Addr::In(Ipv4Addr::LOCALHOST, 53),
            remote: Addr::In(Ipv4Addr::UNSPECIFIED, 0),
            ..Pcb::default()
        },
        Pcb {
            list: UDP6,
            sockaddr: 0xb100,
            family: 24,
            sock_type: 2,
            protocol: 17,
            local: Addr::In6(v6("fe80::1"), 53, 2),
            remote: Addr::In6(Ipv6Addr::UNSPECIFIED, 0, 0),
            ..Pcb::default()
        },
        Pcb {
            list: DGRAM,
            sockaddr: 0xb200,
            family: 1,
            sock_type: 2,
            local: Addr::None,
            remote: Addr::Un("/var/run/log"),
            conn: 0xc000,
            ..Pcb::default()
        },
        Pcb {
            list: STREAM,
            sockaddr: 0xd000,
            family: 1,
            sock_type: 1,
            local: Addr::None,
            remote: Addr::Un("/var/run/ctl.sock"),
            conn: 0xd100,
            ..Pcb::default()
        },
        // The server end, held by no process in the dump.
        Pcb {
            list: STREAM,
            sockaddr: 0xd100,
            family: 1,
            sock_type: 1,
            local: Addr::Un("/var/run/ctl.sock"),
            conn: 0xd000,
            ..Pcb::default()
        },
        Pcb {
            list: TCP6,
            sockaddr: 0xd200,
            family: 24,
            sock_type: 1,
            protocol: 6,
            tstate: 4,
            local: Addr::In6(v6("2001:db8::1"), 40000, 0),
            remote: Addr::In6(v6("2001:db8::2"), 443, 0),
            ..Pcb::default()
        },
    ];
    World {
        procs,
        files,
        pcbs,
        page_size: Some(4096),
        passwd: Some(
            "root:*:0:0:Charlie &:/root:/bin/sh\ndns:*:1000:100:DNS:/var/dns:/sbin/nologin\n",
        ),
    }
}

fn by_pid(records: &Value) -> BTreeMap<i64, Value> {
    records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["pid"].as_i64().unwrap(), r.clone()))
        .collect()
}

/// Asserts every value ps, tree, show, threads and files show for the world.
fn check_reports(input: &Path) {
    let input = input.to_str().unwrap();

    // ps: every process field the JSON carries.
    let ps = run_json(&["ps", input, "--format", "json"]);
    assert_eq!(ps["warnings"], json!([]), "{input}");
    let procs = by_pid(&ps["processes"]);
    assert_eq!(
        procs.keys().copied().collect::<Vec<_>>(),
        [1, 412, 733, 901, 950]
    );
    let init = &procs[&1];
    for (k, v) in [
        ("ppid", json!(0)),
        ("pgid", json!(1)),
        ("sid", json!(1)),
        ("comm", json!("init")),
        ("exe", json!("/sbin/init")),
        ("argv", json!(["init"])),
        ("login", json!("root")),
        ("uid", json!(0)),
        ("user", json!("root")),
        ("state", json!("S")),
        ("nice", json!(0)),
        ("priority", json!(85)),
        ("nlwp", json!(1)),
        ("user_time", json!(1.5)),
        ("system_time", json!(2.0)),
        ("start_time", json!("2023-11-14T22:13:20.25Z")),
        ("wchan", json!("wait")),
        ("kernel_thread", json!(false)),
        ("pct_cpu", json!(0.0)),
        (
            "memory",
            json!({"rss_kib": 400, "vsz_kib": 1200, "rss_peak_kib": 1200}),
        ),
    ] {
        assert_eq!(init[k], v, "init {k} in {input}");
    }
    assert!(init.get("tty").is_none());
    let sshd = &procs[&412];
    assert_eq!(sshd["argv"], json!(["/usr/sbin/sshd", "-D"]));
    assert_eq!(sshd["groups"], json!([0, 5]));
    assert_eq!(sshd["pct_cpu"], json!(50.0));
    assert_eq!(sshd["nlwp"], json!(2));
    assert_eq!(sshd["system_time"], json!(4.25));
    assert_eq!(sshd["memory"]["rss_kib"], json!(2048));
    assert!(sshd.get("env").is_none(), "ps leaves env out");
    let dnsd = &procs[&733];
    for (k, v) in [
        ("uid", json!(1000)),
        ("euid", json!(1000)),
        ("suid", json!(1000)),
        ("gid", json!(100)),
        ("egid", json!(100)),
        ("sgid", json!(100)),
        ("user", json!("dns")),
        ("euser", json!("dns")),
        ("state", json!("R")),
        ("nice", json!(5)),
        ("tty", json!(1280)),
        ("exe", json!("/usr/sbin/dnsd")),
        ("argv", json!(["dnsd", "-c", "/etc/dnsd.conf"])),
    ] {
        assert_eq!(dnsd[k], v, "dnsd {k} in {input}");
    }
    assert_eq!(procs[&901]["state"], json!("T"));
    let zombie = &procs[&950];
    assert_eq!(zombie["state"], json!("Z"));
    assert_eq!(zombie["comm"], json!("defunct"));
    // fill_kproc2() fills no address space, LWP priority or times for a zombie: unknown, not 0 (the
    // encoder wrote priority 85 and sizes 0 as such a record could hold).
    for absent in [
        "start_time",
        "user_time",
        "argv",
        "exe",
        "memory",
        "priority",
    ] {
        assert!(zombie.get(absent).is_none(), "zombie {absent}: {zombie}");
    }

    // ps table: the NetBSD columns.
    let table = common::run_ok(&["ps".as_ref(), input.as_ref()]);
    let text = String::from_utf8_lossy(&table.stdout);
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "PID", "PPID", "USER", "STAT", "NLWP", "PCPU", "RSS", "VSZ", "START", "TIME", "WCHAN",
            "ARGS"
        ]
    );
    assert!(
        text.lines()
            .any(|l| l.contains("/usr/sbin/sshd -D") && l.contains("50.0")),
        "{text}"
    );
    // The zombie's RSS and VSZ are unknown: `-`, like its START and TIME.
    let zrow: Vec<&str> = text
        .lines()
        .find(|l| l.trim_start().starts_with("950 "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(zrow[6..10], ["-", "-", "-", "-"], "{text}");

    // tree: init → sshd → {ctl, defunct}, init → dnsd.
    let tree = run_json(&["tree", input, "--format", "json"]);
    let roots = tree["tree"].as_array().unwrap();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0]["pid"], 1);
    let kids: Vec<i64> = roots[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["pid"].as_i64().unwrap())
        .collect();
    assert_eq!(kids, [412, 733]);
    let grandkids: Vec<i64> = roots[0]["children"][0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["pid"].as_i64().unwrap())
        .collect();
    assert_eq!(grandkids, [901, 950]);

    // show: argv, environment, pathname, credentials.
    let show = run_json(&["show", input, "412", "--format", "json"]);
    let p = &show["process"];
    assert_eq!(p["env"], json!(["PATH=/bin:/usr/bin", "HOME=/root"]));
    assert_eq!(p["exe"], json!("/usr/sbin/sshd"));
    assert_eq!(p["login"], json!("root"));
    assert_eq!(p["threads"].as_array().unwrap().len(), 2);
    assert_eq!(p["fds"].as_array().unwrap().len(), 5);
    let show_init = run_json(&["show", input, "1", "--format", "json"]);
    assert_eq!(show_init["process"]["env"], json!([]));
    let show_dnsd = run_json(&["show", input, "733", "--format", "json"]);
    assert!(
        show_dnsd["process"].get("env").is_none(),
        "env not captured"
    );
    let fields = show_dnsd["fields"].as_array().unwrap();
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f["field"] == name)
            .map(|f| f["value"].as_str().unwrap().to_owned())
    };
    assert_eq!(field("uid (real)").as_deref(), Some("1000(dns)"));
    assert_eq!(field("argv[2]").as_deref(), Some("/etc/dnsd.conf"));
    assert_eq!(field("envp").as_deref(), Some("(not captured)"));

    // threads: LWPs with state, wchan (l_wmesg), cpu, name, priority.
    let th = run_json(&["threads", input, "--format", "json"]);
    let rows: Vec<Value> = th["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            json!([
                t["pid"],
                t["tid"],
                t["name"],
                t["state"],
                t["processor"],
                t["priority"],
                t["wchan"],
                t["pct_cpu"]
            ])
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            json!([1, 1, null, "S", 0, 85, "wait", 0.0]),
            json!([412, 1, null, "S", 1, 85, "select", 0.0]),
            json!([412, 2, "sshd-worker", "R", 0, 43, null, 100.0]),
            json!([733, 1, "dnsd", "R", 1, 40, null, 0.0]),
            json!([733, 2, "worker-1", "R", null, 41, null, 0.0]),
            json!([733, 3, "worker-2", "D", 0, 42, "biowait", 0.0]),
            json!([901, 1, null, "T", 0, 0, null, 0.0]),
        ],
        "{input}"
    );

    // files: the fstat/sockstat view, every socket joined to its process.
    let files = run_json(&["files", input, "--format", "json"]);
    let rows: Vec<Value> = files["fds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            json!([
                f["user"],
                f["command"],
                f["pid"],
                f["fd"],
                f["kind"],
                f["mode"],
                f["socket"]["protocol"],
                f["socket"]["socket_type"],
                f["socket"]["local"]["address"],
                f["socket"]["local"]["port"],
                f["socket"]["remote"]["address"],
                f["socket"]["remote"]["port"],
                f["socket"]["state"]
            ])
        })
        .collect();
    let n = Value::Null;
    assert_eq!(
        rows,
        vec![
            json!(["root", "sshd", 412, 0, "device", "r", n, n, n, n, n, n, n]),
            json!(["root", "sshd", 412, 1, "file", "w", n, n, n, n, n, n, n]),
            json!([
                "root", "sshd", 412, 3, "socket", "rw", "tcp", n, "0.0.0.0", 22, n, n, "LISTEN"
            ]),
            json!([
                "root", "sshd", 412, 4, "socket", "rw", "tcp6", n, "::", 22, n, n, "LISTEN"
            ]),
            json!([
                "root",
                "sshd",
                412,
                5,
                "socket",
                "rw",
                "tcp",
                n,
                "10.0.0.5",
                22,
                "192.0.2.7",
                51234,
                "ESTABLISHED"
            ]),
            json!([
                "dns",
                "dnsd",
                733,
                3,
                "socket",
                "rw",
                "udp",
                n,
                "127.0.0.1",
                53,
                n,
                n,
                n
            ]),
            json!([
                "dns",
                "dnsd",
                733,
                4,
                "socket",
                "rw",
                "udp6",
                n,
                "fe80::1%2",
                53,
                n,
                n,
                n
            ]),
            json!([
                "dns",
                "dnsd",
                733,
                5,
                "socket",
                "rw",
                "unix",
                "dgram",
                n,
                n,
                "/var/run/log",
                n,
                "CONNECTED"
            ]),
            json!(["dns", "dnsd", 733, 6, "pipe", "w", n, n, n, n, n, n, n]),
            json!([
                "dns",
                "dnsd",
                733,
                7,
                "anon_inode",
                "rw",
                n,
                n,
                n,
                n,
                n,
                n,
                n
            ]),
            json!(["dns", "dnsd", 733, 8, "dir", "r", n, n, n, n, n, n, n]),
            json!([
                "dns",
                "ctl",
                901,
                3,
                "socket",
                "rw",
                "unix",
                "stream",
                n,
                n,
                "/var/run/ctl.sock",
                n,
                "CONNECTED"
            ]),
            json!([
                "dns",
                "ctl",
                901,
                4,
                "socket",
                "rw",
                "tcp6",
                n,
                "2001:db8::1",
                40000,
                "2001:db8::2",
                443,
                "ESTABLISHED"
            ]),
        ],
        "{input}"
    );
    let pos: Vec<Value> = files["fds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["pid"] == 412 && f["fd"].as_i64() < Some(3))
        .map(|f| f["pos"].clone())
        .collect();
    assert_eq!(pos, [json!(0), json!(4096)]);
    // The table names sockets by their endpoints, as lsof/sockstat do.
    let table = common::run_ok(&[
        "files".as_ref(),
        input.as_ref(),
        "--pid".as_ref(),
        "412".as_ref(),
    ]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("tcp 10.0.0.5:22 -> 192.0.2.7:51234 ESTABLISHED"),
        "{text}"
    );
    assert!(
        text.contains("IPv6") && text.contains("tcp6 [::]:22 LISTEN"),
        "{text}"
    );
}

#[test]
fn little_endian_dump_with_the_known_sizes_and_no_manifest() {
    let dir = TempDir::new("netbsd-le");
    world().write(dir.path(), Enc { big: false }, Sizes::KNOWN);
    check_reports(dir.path());
    // The sysctl directory itself is a dump too (without etc/passwd: numeric users).
    let inner = dir.path().join("sysctl");
    let ps = run_json(&["ps", inner.to_str().unwrap(), "--format", "json"]);
    let procs = by_pid(&ps["processes"]);
    assert_eq!(procs.len(), 5);
    assert_eq!(procs[&412]["argv"], json!(["/usr/sbin/sshd", "-D"]));
    assert!(procs[&412].get("user").is_none());
    let info = run_json(&["info", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(info["host"]["byte_order"], "little");
    assert_eq!(info["host"]["sysname"], "NetBSD");
    assert_eq!(info["source"]["os"], "netbsd");
}

/// Records longer than the known structures (a newer kernel), big-endian: decoded by their known
/// prefix, with the element sizes read from a manifest or, without one, inferred from the lengths.
#[test]
fn big_endian_dump_with_longer_records() {
    let sizes = Sizes {
        proc2: 696,
        lwp: 136,
        file: 128,
        pcb: 656,
    };
    let enc = Enc { big: true };
    // Inferred.
    let dir = TempDir::new("netbsd-be");
    world().write(dir.path(), enc, sizes);
    check_reports(dir.path());
    let info = run_json(&["info", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(info["host"]["byte_order"], "big");
    // Recorded in a manifest (as a capture on a big-endian NetBSD host would write it).
    let dir = TempDir::new("netbsd-be-manifest");
    world().write(dir.path(), enc, sizes);
    let manifest = json!({
        "format_version": 1, "tool": "procsift", "tool_version": "0.1.0",
        "host": {"sysname": "NetBSD", "machine": "sparc64", "byte_order": "big", "data_model": "lp64",
                 "page_size": 8192},
        "capture": {"plan": "netbsd", "started": null, "finished": null,
                    "elem_sizes": {"kinfo_proc2": 696, "kinfo_lwp": 136, "kinfo_file": 128, "kinfo_pcb": 656}},
        "members": []
    });
    std::fs::write(dir.path().join("manifest.json"), manifest.to_string()).unwrap();
    // The manifest's page size (8192) wins over hw.pagesize.
    let ps = run_json(&["ps", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(ps["warnings"], json!([]));
    assert_eq!(by_pid(&ps["processes"])[&1]["memory"]["rss_kib"], 800);
    let files = run_json(&[
        "files",
        dir.path().to_str().unwrap(),
        "--pid",
        "901",
        "--format",
        "json",
    ]);
    assert_eq!(files["fds"][1]["socket"]["remote"]["port"], 443);
    let th = run_json(&[
        "threads",
        dir.path().to_str().unwrap(),
        "733",
        "--format",
        "json",
    ]);
    assert_eq!(th["threads"][2]["wchan"], "biowait");
}

/// `signals` like psig, from `kinfo_proc2`'s `p_sigignore` and `p_sigcatch`: every signal 1..=63 is
/// default, ignored or caught (NetBSD records no handler address or per-signal mask in a dump).
#[test]
fn signal_dispositions_from_kinfo_proc2() {
    let dir = TempDir::new("netbsd-signals");
    world().write(dir.path(), Enc { big: true }, Sizes::KNOWN);
    let s = run_json(&[
        "signals",
        dir.path().to_str().unwrap(),
        "412",
        "--format",
        "json",
    ]);
    let sigs = s["signals"].as_array().unwrap();
    assert_eq!(sigs.len(), 63);
    let action = |n: usize| {
        (
            sigs[n - 1]["name"].as_str().unwrap_or("").to_string(),
            sigs[n - 1]["action"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(action(1), ("SIGHUP".into(), "caught".into()));
    assert_eq!(action(2), ("SIGINT".into(), "default".into()));
    assert_eq!(action(13), ("SIGPIPE".into(), "ignored".into()));
    assert_eq!(action(15), ("SIGTERM".into(), "caught".into()));
    assert_eq!(action(20), ("SIGCHLD".into(), "caught".into()));
    assert_eq!(action(30), ("SIGUSR1".into(), "default".into()));
    assert_eq!(action(34), ("SIGRTMIN+1".into(), "caught".into()));
    assert!(sigs[0].get("handler").is_none());
    let out = common::run_ok(&["signals".as_ref(), dir.path().as_os_str(), "412".as_ref()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["SIGPIPE", "ignored"]),
        "{text}"
    );
}

/// The manifest's host facts reach `info` (release, clock ticks, boot time, boot id), and numbers no host
/// has are warnings naming `manifest.json` and the field, which is then unknown: a page size of 0 gives
/// way to the dump's own `hw.pagesize`.
#[test]
fn manifest_host_facts_are_converted_and_checked() {
    let manifest = |host: Value| {
        let mut h = json!({"sysname": "NetBSD", "release": "10.0", "machine": "amd64",
                           "byte_order": "little", "data_model": "lp64"});
        for (k, v) in host.as_object().unwrap() {
            h[k] = v.clone();
        }
        json!({"format_version": 1, "tool": "procsift", "tool_version": "0.1.0", "host": h,
               "capture": {"plan": "netbsd"}, "members": []})
    };
    let dir = TempDir::new("netbsd-host");
    world().write(dir.path(), Enc { big: false }, Sizes::KNOWN);
    let m = manifest(
        json!({"os_release": "NetBSD 10.0", "page_size": 8192, "clk_tck": 100,
                            "boot_time": "2023-11-14T00:00:00Z", "boot_id": "nb-boot"}),
    );
    std::fs::write(dir.path().join("manifest.json"), m.to_string()).unwrap();
    let info = run_json(&["info", dir.path().to_str().unwrap(), "--format", "json"]);
    let h = &info["host"];
    assert_eq!(
        (
            &h["os_release"],
            &h["clk_tck"],
            &h["page_size"],
            &h["boot_time"],
            &h["boot_id"]
        ),
        (
            &json!("NetBSD 10.0"),
            &json!(100),
            &json!(8192),
            &json!("2023-11-14T00:00:00Z"),
            &json!("nb-boot")
        ),
        "{h}"
    );

    let m = manifest(json!({"page_size": 0, "clk_tck": 10_000_000_000u64,
                            "boot_time": "10000-01-01T00:00:00Z"}));
    std::fs::write(dir.path().join("manifest.json"), m.to_string()).unwrap();
    let r = dir.path().to_str().unwrap();
    let info = run_json(&["info", r, "--format", "json"]);
    let h = &info["host"];
    assert!(
        h.get("clk_tck").is_none() && h.get("boot_time").is_none(),
        "{h}"
    );
    // hw.pagesize (4096) stands in for the impossible manifest page size.
    assert_eq!(h["page_size"], 4096, "{h}");
    let warnings: Vec<String> = info["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["member"] == "manifest.json")
        .map(|w| w["message"].as_str().unwrap().to_string())
        .collect();
    for what in [
        "page size 0",
        "clock ticks per second 10000000000",
        "boot time",
    ] {
        assert!(
            warnings.iter().any(|w| w.contains(what)),
            "{what}: {warnings:?}"
        );
    }
    let ps = run_json(&["ps", r, "--format", "json"]);
    assert_eq!(by_pid(&ps["processes"])[&412]["memory"]["rss_kib"], 2048);
}

/// A dump cut short: the whole records present are shown, the cut is a warning naming the member and
/// the offset of the partial record.
#[test]
fn truncated_arrays_warn_and_keep_the_records_present() {
    let dir = TempDir::new("netbsd-cut");
    world().write(dir.path(), Enc { big: false }, Sizes::KNOWN);
    let cut = |rel: &str, keep: usize| {
        let p = dir.path().join(rel);
        let b = std::fs::read(&p).unwrap();
        std::fs::write(&p, &b[..keep]).unwrap();
    };
    cut("sysctl/kern.proc2", 4 * 680 + 100); // the zombie's record is cut
    cut("sysctl/kern.lwp/733", 2 * 128 + 10);
    cut("sysctl/kern.file2", 5 * 120 + 1);
    cut(TCP, 7);
    let input = dir.path().to_str().unwrap();
    let ps = run_json(&["ps", input, "--format", "json"]);
    let pids: Vec<i64> = by_pid(&ps["processes"]).keys().copied().collect();
    assert_eq!(pids, [1, 412, 733, 901]);
    let files = run_json(&["files", input, "--format", "json"]);
    let warnings: Vec<(String, i64)> = files["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["member"].as_str().unwrap().to_owned(),
                w["offset"].as_i64().unwrap(),
            )
        })
        .collect();
    for want in [
        ("sysctl/kern.proc2".to_string(), 4 * 680),
        ("sysctl/kern.file2".to_string(), 5 * 120),
        (TCP.to_string(), 0),
    ] {
        assert!(warnings.contains(&want), "{want:?} not in {warnings:?}");
    }
    // Five whole kinfo_file records: sshd's five descriptors; its tcp sockets' pcblist is gone.
    let fds = files["fds"].as_array().unwrap();
    assert_eq!(fds.len(), 5);
    assert!(fds[2]["socket"].is_null());
    assert_eq!(fds[3]["socket"]["protocol"], "tcp6");
    let th = run_json(&["threads", input, "733", "--format", "json"]);
    assert_eq!(th["threads"].as_array().unwrap().len(), 2);
    assert!(
        th["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["member"] == "sysctl/kern.lwp/733" && w["offset"] == 256),
        "{}",
        th["warnings"]
    );
    // Garbage that is no kinfo_proc2 in either byte order is a warning, not a panic.
    std::fs::write(dir.path().join("sysctl/kern.proc2"), [0xffu8; 1000]).unwrap();
    let ps = run_json(&["ps", input, "--format", "json"]);
    assert!(
        ps["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("plausible in neither byte order")
    );
}

/// sysctl(3) as a NetBSD kernel answers it, serving the world's answers: array MIBs must carry the
/// known element size and `INT_MAX`; `kern.file2` grows once between the size query and the fetch.
#[derive(Debug)]
struct FakeKernel {
    answers: BTreeMap<Vec<i32>, Result<Vec<u8>, Errno>>,
    names: BTreeMap<String, Vec<i32>>,
    grow_once: Mutex<bool>,
    log: Mutex<Vec<(Vec<i32>, bool)>>,
}

const FILE2_MIB: [i32; 6] = [1, 77, 2, -1, 120, i32::MAX];

impl FakeKernel {
    fn new(world: &World) -> FakeKernel {
        let members: BTreeMap<String, Vec<u8>> = world
            .members(Enc { big: false }, Sizes::KNOWN)
            .into_iter()
            .collect();
        let mut answers = BTreeMap::new();
        let mut names = BTreeMap::new();
        answers.insert(
            vec![1, 47, 0, 0, 680, i32::MAX],
            Ok(members["sysctl/kern.proc2"].clone()),
        );
        answers.insert(vec![6, 7], Ok(members["sysctl/hw.pagesize"].clone()));
        answers.insert(FILE2_MIB.to_vec(), Ok(members["sysctl/kern.file2"].clone()));
        for (i, list) in netbsd_encoder::PCBLISTS.iter().enumerate() {
            let name = list.trim_start_matches("sysctl/").to_string();
            let mib = vec![4, 100 + i as i32, 99];
            let mut full = mib.clone();
            full.extend([0, 0, 640, i32::MAX]);
            answers.insert(full, Ok(members[*list].clone()));
            names.insert(name, mib);
        }
        for p in &world.procs {
            let lwp = members
                .get(&format!("sysctl/kern.lwp/{}", p.pid))
                .cloned()
                .unwrap_or_default();
            // The zombie is reaped between the listing and its reading.
            let lwp = if p.pid == 950 {
                Err(Errno::SRCH)
            } else {
                Ok(lwp)
            };
            answers.insert(vec![1, 64, p.pid, 128, i32::MAX], lwp);
            for (kind, name) in [(1, "argv"), (3, "env"), (5, "pathname")] {
                let a = members
                    .get(&format!("sysctl/kern.proc_args/{}/{name}", p.pid))
                    .cloned()
                    .ok_or(Errno::PERM);
                answers.insert(vec![1, 48, p.pid, kind], a);
            }
        }
        FakeKernel {
            answers,
            names,
            grow_once: Mutex::new(true),
            log: Mutex::new(Vec::new()),
        }
    }
}

impl Sysctl for FakeKernel {
    fn read(&self, mib: &[i32], buf: Option<&mut [u8]>) -> Result<usize, Errno> {
        self.log.lock().unwrap().push((mib.to_vec(), buf.is_some()));
        let answer = self.answers.get(mib).ok_or(Errno::NOENT)?.clone()?;
        match buf {
            None => {
                // The file table "grows" after the first size query: it answered half its size.
                if mib == FILE2_MIB && std::mem::take(&mut *self.grow_once.lock().unwrap()) {
                    return Ok(answer.len() / 2);
                }
                Ok(answer.len())
            }
            Some(b) if b.len() < answer.len() => {
                let n = b.len();
                b.copy_from_slice(&answer[..n]);
                Err(Errno::NOMEM)
            }
            Some(b) => {
                b[..answer.len()].copy_from_slice(&answer);
                Ok(answer.len())
            }
        }
    }

    fn name_to_mib(&self, name: &str) -> Result<Vec<i32>, Errno> {
        self.names.get(name).cloned().ok_or(Errno::NOENT)
    }
}

#[test]
fn capture_plan_against_a_fake_kernel_reads_back_the_same() {
    let dir = TempDir::new("netbsd-capture");
    let etc = dir.path().join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("passwd"), world().passwd.unwrap()).unwrap();
    std::fs::write(etc.join("group"), "wheel:*:0:root\n").unwrap();
    let kernel = Arc::new(FakeKernel::new(&world()));
    let out = dir.path().join("netbsd.tar");
    let opts = CaptureOptions {
        plan: Some(PlanKind::Netbsd),
        sysctl: Some(kernel.clone()),
        etc_root: etc,
        case: Some("nb-1".into()),
        ..CaptureOptions::default()
    };
    let summary = capture_to_path(&opts, &out).expect("capture");
    assert_eq!(summary.processes, 4);
    assert_eq!(summary.vanished, 1);
    // The environments of dnsd and ctl were refused (EPERM); the zombie's args were not asked for.
    assert_eq!(summary.read_errors.get("EPERM"), Some(&2));

    // The file table was fetched again after the kernel said ENOMEM.
    let log = kernel.log.lock().unwrap();
    let file2: Vec<bool> = log
        .iter()
        .filter(|(m, _)| m == &FILE2_MIB)
        .map(|(_, fetch)| *fetch)
        .collect();
    assert_eq!(file2, [false, true, false, true]);
    // Every MIB asked for is one the kernel knows (the array ones with 680/128/120/640 and INT_MAX).
    assert!(
        log.iter().all(|(m, _)| kernel.answers.contains_key(m)),
        "{log:?}"
    );
    drop(log);

    let input = out.to_str().unwrap();
    let info = run_json(&["info", input, "--format", "json"]);
    assert_eq!(info["capture"]["vanished"], json!([950]));
    assert_eq!(info["source"]["os"], "netbsd");
    let listing = std::process::Command::new("tar")
        .args(["tf", input])
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&listing.stdout);
    for m in [
        "sysctl/kern.proc2",
        "sysctl/kern.file2",
        "sysctl/hw.pagesize",
        "sysctl/net.inet6.udp6.pcblist",
        "sysctl/kern.lwp/733",
        "sysctl/kern.proc_args/412/env",
        "etc/passwd",
        "manifest.json",
    ] {
        assert!(names.lines().any(|l| l == m), "{m} not in {names}");
    }
    let manifest: Value = serde_json::from_slice(
        &std::process::Command::new("tar")
            .args(["xOf", input, "manifest.json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(manifest["capture"]["plan"], "netbsd");
    assert_eq!(
        manifest["capture"]["elem_sizes"],
        json!({"kinfo_file": 120, "kinfo_lwp": 128, "kinfo_pcb": 640, "kinfo_proc2": 680})
    );
    check_reports(&out);
}
