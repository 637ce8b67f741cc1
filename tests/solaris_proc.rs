//! Solaris /proc trees, written by the test-only encoder for i386, amd64, sparc and sparcv9 (each in its
//! native byte order, and one tree that mixes them), analyzed through the CLI: ps with the Solaris
//! columns, show (pflags, pcred, ptime), threads (prstat -mL), maps (pmap -x) and signals (psig).

mod common;
mod solaris_encoder;

use std::path::Path;

use procsift::abi::Endianness;
use procsift::formats::solaris::{Prusage, SigAction, Timestruc, WordSet};
use serde_json::{Value, json};
use solaris_encoder::{Enc, Gen};

fn ts(sec: i64) -> Timestruc {
    Timestruc { sec, nsec: 0 }
}

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn link(root: &Path, rel: &str, target: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, p).unwrap();
}

/// Writes one process `pid` with 2 LWPs, known in every field the reports show.
fn write_process(root: &Path, enc: &Enc, pid: i32) {
    let mut g = Gen::new(enc, pid as u64);
    let dir = format!("proc/{pid}");
    let mut ps = g.psinfo();
    ps.pid = pid;
    ps.ppid = 1;
    ps.pgid = pid;
    ps.sid = 1;
    ps.uid = 100;
    ps.euid = 0;
    ps.gid = 10;
    ps.egid = 10;
    ps.nlwp = 2;
    ps.nzomb = 0;
    ps.fname = b"sleepy".to_vec();
    ps.psargs = b"/usr/bin/sleepy -n 5".to_vec();
    ps.pctcpu = 0x4000; // 50 %
    ps.pctmem = 0x0800; // 6.25 %
    ps.zoneid = 0;
    ps.projid = 3;
    ps.taskid = 77;
    ps.contract = 55;
    ps.dmodel = if enc.lp64() { 2 } else { 1 };
    ps.size_kb = 8192;
    ps.rssize_kb = 2048;
    ps.flag = 0;
    ps.ttydev = if enc.lp64() {
        u64::MAX
    } else {
        u32::MAX as u64
    };
    ps.lwp.sname = b'S';
    ps.lwp.nice = 20; // NZERO: nice(1) 0
    ps.lwp.oldpri = 40; // a time-sharing LWP (ps -l prints NI only when pr_oldpri is not 0)
    ps.start = ts(1_700_000_000);
    put(root, &format!("{dir}/psinfo"), &enc.psinfo(&ps));

    let mut lwps = Vec::new();
    for lwpid in [1, 2] {
        let mut l = g.lwpstatus(enc);
        l.lwpid = lwpid;
        l.flags = 0x10 | 0x1000000; // ASLEEP | MSACCT
        l.why = 0;
        l.what = 0;
        l.cursig = 0;
        l.syscall = if lwpid == 1 { 3 } else { 0 };
        l.nsysarg = 3;
        l.sysarg = [0, 0x8047000, 4096, 0, 0, 0, 0, 0];
        l.lwppend = WordSet([0; 4]);
        l.lwphold = WordSet([1 << 1, 0, 0, 0]); // SIGINT (2)
        l.utime = ts(2);
        l.stime = ts(1);
        l.clname = b"TS".to_vec();
        lwps.push(l.clone());
        put(
            root,
            &format!("{dir}/lwp/{lwpid}/lwpstatus"),
            &enc.lwpstatus(&l),
        );
        let mut i = g.lwpsinfo();
        i.lwpid = lwpid;
        i.sname = b'S';
        i.clname = b"TS".to_vec();
        i.name = if lwpid == 2 {
            b"worker".to_vec()
        } else {
            Vec::new()
        };
        put(
            root,
            &format!("{dir}/lwp/{lwpid}/lwpsinfo"),
            &enc.lwpsinfo(&i),
        );
        let u = Prusage {
            lwpid,
            count: 1,
            rtime: ts(10),
            utime: ts(2),
            stime: ts(1),
            slptime: ts(5),
            wtime: ts(2),
            vctx: 300,
            ictx: 7,
            sysc: 1234,
            sigs: 1,
            ..Prusage::default()
        };
        put(
            root,
            &format!("{dir}/lwp/{lwpid}/lwpusage"),
            &enc.prusage(&u),
        );
    }
    let mut st = g.pstatus(enc);
    st.pid = pid;
    st.ppid = 1;
    st.pgid = pid;
    st.sid = 1;
    st.nlwp = 2;
    st.flags = 0x1000000 | 0x100000; // MSACCT | FORK
    st.utime = ts(4);
    st.stime = ts(2);
    st.zoneid = 0;
    st.projid = 3;
    st.taskid = 77;
    st.dmodel = ps.dmodel;
    st.lwp = lwps[0].clone();
    put(root, &format!("{dir}/status"), &enc.pstatus(&st));

    let mut c = g.prcred(2);
    c.euid = 0;
    c.ruid = 100;
    c.suid = 0;
    c.egid = 10;
    c.rgid = 10;
    c.sgid = 10;
    c.groups = vec![10, 20];
    put(root, &format!("{dir}/cred"), &enc.prcred(&c));

    let mut maps = Vec::new();
    for (i, (vaddr, name, flags)) in [
        (0x10000u64, "a.out", 0x5),
        (0x20000, "a.out", 0x6),
        (0x30000, "", 0x10 | 0x6),
    ]
    .iter()
    .enumerate()
    {
        let mut m = g.prxmap();
        m.vaddr = *vaddr;
        m.size = 0x4000;
        m.mapname = name.as_bytes().to_vec();
        m.offset = (i as i64) * 0x1000;
        m.mflags = *flags;
        m.pagesize = 4096;
        m.rss = 3;
        m.anon = if *flags & 0x2 != 0 { 2 } else { 0 };
        m.locked = if i == 1 { 1 } else { 0 };
        maps.push(enc.prxmap(&m));
    }
    put(root, &format!("{dir}/xmap"), &maps.concat());

    let mut acts: Vec<SigAction> = (0..73)
        .map(|_| SigAction {
            flags: 0,
            handler: 0,
            mask: WordSet([0; 4]),
        })
        .collect();
    acts[1] = SigAction {
        flags: 0x4,
        handler: 0x401000,
        mask: WordSet([1 << 14, 0, 0, 0]),
    }; // SIGINT caught, blocks SIGTERM
    acts[12] = SigAction {
        flags: 0,
        handler: 1,
        mask: WordSet([0; 4]),
    }; // SIGPIPE ignored
    put(root, &format!("{dir}/sigact"), &enc.sigact(&acts));

    link(root, &format!("{dir}/path/a.out"), "/usr/bin/sleepy");
    link(root, &format!("{dir}/path/cwd"), "/var/tmp");
    link(root, &format!("{dir}/path/root"), "/");
    link(root, &format!("{dir}/path/0"), "/dev/pts/3");
    link(root, &format!("{dir}/path/3"), "/var/log/sleepy.log");
    write_fdinfo(root, enc, pid);
}

/// `fdinfo/<fd>` of pid's descriptors, as pfiles would show them: the terminal (0), the log (3), a
/// listening TCP socket (4), a connected TCP6 one (5), a connected unix stream socket (6) and a UDP one
/// (7). The sockets have no `path/` link (sockfs gives them none).
fn write_fdinfo(root: &Path, enc: &Enc, pid: i32) {
    use solaris_encoder::*;
    let v6 = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap().octets();
    let int = |v: i32| {
        let mut b = vec![0u8; 4];
        enc.put_n(&mut b, 0, 4, v as u32 as u64);
        b
    };
    let socket = |fd: i32, stype: i32, misc: Vec<(u32, Vec<u8>)>| FdinfoSpec {
        fd,
        mode: 0o140666,
        ino: 1000 + fd as u64,
        offset: 0,
        fileflags: 0x82, // O_RDWR | O_NONBLOCK
        fdflags: 0,
        locktype: 3, // F_UNLCK
        lockpid: -1,
        locksysid: -1,
        peerpid: -1,
        misc: [vec![(PR_SOCKOPT_TYPE, int(stype))], misc].concat(),
        ..FdinfoSpec::default()
    };
    let specs = [
        FdinfoSpec {
            fd: 0,
            mode: 0o020620,
            ino: 12,
            rmajor: 24,
            rminor: 3,
            fileflags: 2,
            locktype: 3,
            peerpid: -1,
            misc: vec![(PR_PATHNAME, b"/dev/pts/3\0".to_vec())],
            ..FdinfoSpec::default()
        },
        FdinfoSpec {
            fd: 3,
            mode: 0o100644,
            ino: 777,
            size: 8192,
            offset: 4096,
            fileflags: 1 | 8, // O_WRONLY | O_APPEND
            fdflags: 1,       // FD_CLOEXEC
            locktype: 3,
            peerpid: -1,
            misc: vec![(PR_PATHNAME, b"/var/log/sleepy.log\0".to_vec())],
            ..FdinfoSpec::default()
        },
        socket(
            4,
            2,
            vec![
                (PR_SOCKETNAME, enc.sockaddr_in([0, 0, 0, 0], 22)),
                (PR_SOCKOPTS_BOOL_OPTS, int((1 << 13) | (1 << 1))), // ACCEPTCONN | REUSEADDR
                (PR_SOCKOPT_SNDBUF, int(49152)),
                (PR_SOCKOPT_RCVBUF, int(128000)),
                (PR_SOCKOPT_TCP_CONGESTION, b"sunreno\0".to_vec()),
                (PR_SOCKFILTERS_PRIV, vec![0xee; 12]),
            ],
        ),
        socket(
            5,
            2,
            vec![
                (PR_SOCKETNAME, enc.sockaddr_in6(v6("2001:db8::1"), 40000, 0)),
                (PR_PEERSOCKNAME, enc.sockaddr_in6(v6("2001:db8::2"), 443, 0)),
            ],
        ),
        FdinfoSpec {
            peerpid: 77,
            peername: b"ctld".to_vec(),
            ..socket(
                6,
                2,
                vec![
                    (PR_SOCKETNAME, enc.sockaddr_un(b"")),
                    (PR_PEERSOCKNAME, enc.sockaddr_un(b"/var/run/ctl.sock")),
                ],
            )
        },
        socket(
            7,
            1,
            vec![(PR_SOCKETNAME, enc.sockaddr_in([127, 0, 0, 1], 53))],
        ),
    ];
    for s in &specs {
        put(
            root,
            &format!("proc/{pid}/fdinfo/{}", s.fd),
            &enc.prfdinfo(s),
        );
    }
}

fn json(args: &[&str]) -> Value {
    common::run_json(args)
}

fn check_tree(root: &Path, pids: &[i32]) {
    let r = root.to_str().unwrap();
    let ps = json(&["ps", r, "--format", "json"]);
    let procs = ps["processes"].as_array().unwrap();
    assert_eq!(procs.len(), pids.len());
    for p in procs {
        assert_eq!(p["comm"], "sleepy");
        assert_eq!(
            (p["uid"].as_u64(), p["euid"].as_u64()),
            (Some(100), Some(0)),
            "pcred"
        );
        assert_eq!(p["euser"], "root");
        assert_eq!(p["user"], "sleeper");
        assert_eq!(
            (p["pct_cpu"].as_f64(), p["pct_mem"].as_f64()),
            (Some(50.0), Some(6.25))
        );
        assert_eq!(
            (
                p["project_id"].as_i64(),
                p["task_id"].as_i64(),
                p["zone_id"].as_i64()
            ),
            (Some(3), Some(77), Some(0))
        );
        assert_eq!(p["psargs"], "/usr/bin/sleepy -n 5");
        assert_eq!(
            (p["user_time"].as_f64(), p["system_time"].as_f64()),
            (Some(4.0), Some(2.0))
        );
        assert_eq!(p["nlwp"], 2);
        assert_eq!(p["nice"], 0, "pr_nice 20 is nice(1) 0");
    }
    // The Solaris default columns.
    let out = common::bin().args(["ps", r]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "PID", "PPID", "USER", "ZONE", "STAT", "NLWP", "PCPU", "PMEM", "RSS", "VSZ", "START",
            "TIME", "ARGS"
        ]
    );
    assert!(
        text.contains("global") && text.contains(" 50.0 ") && text.contains("/usr/bin/sleepy -n 5"),
        "{text}"
    );

    for &pid in pids {
        let pid_s = pid.to_string();
        let show = json(&["show", r, &pid_s, "--format", "json"]);
        let p = &show["process"];
        assert_eq!(p["flag_names"], serde_json::json!(["FORK", "MSACCT"]));
        assert_eq!(p["exe"], "/usr/bin/sleepy");
        assert_eq!(p["cwd"], "/var/tmp");
        assert_eq!(p["groups"], serde_json::json!([10, 20]));
        let t1 = &p["threads"][0];
        assert_eq!(t1["flag_names"], serde_json::json!(["ASLEEP", "MSACCT"]));
        assert_eq!(t1["syscall"]["number"], 3);
        assert_eq!(
            t1["syscall"]["args"],
            serde_json::json!([0, 0x8047000, 4096])
        );
        // The hex mask of docs/schema.md (bit n-1 for signal n, sigset_t's 128 bits), names beside it.
        assert_eq!(t1["sig_blocked"], "00000000000000000000000000000002");
        assert_eq!(t1["sig_blocked_names"], serde_json::json!(["SIGINT"]));
        assert_eq!(t1["sig_pending"], "00000000000000000000000000000000");
        assert_eq!(t1["sig_pending_names"], serde_json::json!([]));
        assert_eq!(p["threads"][1]["name"], "worker");
        assert!(p["data_model"] == "ilp32" || p["data_model"] == "lp64");
        let text = String::from_utf8_lossy(
            &common::bin()
                .args(["show", r, &pid_s])
                .output()
                .unwrap()
                .stdout,
        )
        .into_owned();
        assert!(text.contains("syscall 3(0x0, 0x8047000, 0x1000)"), "{text}");
        // pflags: the held signals by name; nothing pending, so no "pending".
        assert!(
            text.contains("held SIGINT") && !text.contains("pending"),
            "{text}"
        );
        assert!(
            text.contains("FORK|MSACCT")
                && text
                    .lines()
                    .any(|l| l.split_whitespace().eq(["zone", "global"])),
            "{text}"
        );

        // prstat -mL: USR 20 %, SYS 10 %, SLP 50 %, LAT 20 % of 10 s.
        let out = common::bin().args(["threads", r, &pid_s]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            lines[0][..8],
            ["PID", "LWP", "NAME", "CLS", "S", "USR", "SYS", "TRP"]
        );
        let row = &lines[1];
        assert_eq!(
            (row[3], row[5], row[6], row[11], row[12]),
            ("TS", "20.0", "10.0", "50.0", "20.0"),
            "{text}"
        );
        assert_eq!((row[13], row[14], row[15]), ("300", "7", "1234"));

        // pmap -x: three mappings, 12 KiB resident each, one locked page.
        let m = json(&["maps", r, &pid_s, "--format", "json"]);
        let maps = m["maps"].as_array().unwrap();
        assert_eq!(maps.len(), 3);
        assert_eq!(maps[0]["path"], "/usr/bin/sleepy");
        assert_eq!(maps[0]["perms"], "r-xp");
        assert_eq!(maps[2]["path"], "[heap]");
        assert_eq!(m["total"]["rss_kib"], 36);
        assert_eq!(maps[1]["locked_kib"], 4);
        let text = String::from_utf8_lossy(
            &common::bin()
                .args(["maps", r, &pid_s])
                .output()
                .unwrap()
                .stdout,
        )
        .into_owned();
        assert!(
            text.lines().next().unwrap().contains("LOCKED  PGSZ"),
            "{text}"
        );

        // psig.
        let s = json(&["signals", r, &pid_s, "--format", "json"]);
        let sigs = s["signals"].as_array().unwrap();
        assert_eq!(sigs.len(), 73);
        assert_eq!(sigs[1]["name"], "SIGINT");
        assert_eq!(sigs[1]["action"], "caught");
        assert_eq!(sigs[1]["handler"], 0x401000);
        assert_eq!(sigs[1]["flags"], serde_json::json!(["SA_RESTART"]));
        assert_eq!(sigs[1]["mask"], serde_json::json!(["SIGTERM"]));
        assert_eq!(
            (sigs[12]["name"].as_str(), sigs[12]["action"].as_str()),
            (Some("SIGPIPE"), Some("ignored"))
        );
        assert_eq!(sigs[0]["action"], "default");

        // pfiles: fdinfo/<fd> joined with the path/ links.
        let f = json(&["files", r, &pid_s, "--format", "json"]);
        let fds = f["fds"].as_array().unwrap();
        let summary: Vec<(i64, &str, &str)> = fds
            .iter()
            .map(|x| {
                (
                    x["fd"].as_i64().unwrap(),
                    x["kind"].as_str().unwrap(),
                    x["target"].as_str().unwrap_or("-"),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, "device", "/dev/pts/3"),
                (3, "file", "/var/log/sleepy.log"),
                (4, "socket", "-"),
                (5, "socket", "-"),
                (6, "socket", "-"),
                (7, "socket", "-"),
            ]
        );
        let log = &fds[1];
        assert_eq!(
            (&log["mode"], &log["flags"], &log["pos"], &log["inode"]),
            (&json!("w"), &json!(9), &json!(4096), &json!(777)),
            "{log}"
        );
        assert_eq!(
            fds[2]["socket"],
            json!({"protocol": "tcp", "local": {"address": "0.0.0.0", "port": 22}, "state": "LISTEN"})
        );
        assert_eq!(
            (&fds[2]["mode"], &fds[2]["flags"]),
            (&json!("rw"), &json!(0x82))
        );
        assert_eq!(
            fds[3]["socket"],
            json!({"protocol": "tcp6", "local": {"address": "2001:db8::1", "port": 40000},
                   "remote": {"address": "2001:db8::2", "port": 443}})
        );
        assert_eq!(
            fds[4]["socket"],
            json!({"protocol": "unix", "remote": {"address": "/var/run/ctl.sock"},
                   "socket_type": "stream"})
        );
        assert_eq!(
            fds[5]["socket"],
            json!({"protocol": "udp", "local": {"address": "127.0.0.1", "port": 53}})
        );
    }
}

fn passwd(root: &Path) {
    put(
        root,
        "etc/passwd",
        b"root:x:0:0:Super-User:/root:/usr/bin/bash\nsleeper:x:100:10::/home/sleeper:/bin/sh\n",
    );
}

#[test]
fn every_target_in_its_native_byte_order() {
    for (name, endian) in [
        ("I386", Endianness::Little),
        ("Amd64", Endianness::Little),
        ("Sparc", Endianness::Big),
        ("Sparcv9", Endianness::Big),
    ] {
        let dir = common::TempDir::new("solproc");
        passwd(dir.path());
        let enc = Enc::new(name, endian);
        write_process(dir.path(), &enc, 4242);
        write_process(dir.path(), &enc, 77);
        check_tree(dir.path(), &[77, 4242]);
    }
}

#[test]
fn a_tree_assembled_from_several_sources_mixes_layouts() {
    let dir = common::TempDir::new("solmix");
    passwd(dir.path());
    write_process(dir.path(), &Enc::new("Sparc", Endianness::Big), 300);
    write_process(dir.path(), &Enc::new("Amd64", Endianness::Little), 301);
    write_process(dir.path(), &Enc::new("Sparcv9", Endianness::Big), 302);
    check_tree(dir.path(), &[300, 301, 302]);
}

#[test]
fn damaged_files_are_warnings_naming_file_and_offset() {
    let dir = common::TempDir::new("soldamage");
    passwd(dir.path());
    let enc = Enc::new("Amd64", Endianness::Little);
    write_process(dir.path(), &enc, 500);
    write_process(dir.path(), &enc, 501);
    // A truncated status, an xmap cut mid-entry, and a psinfo that belongs to another pid.
    let st = std::fs::read(dir.path().join("proc/500/status")).unwrap();
    std::fs::write(dir.path().join("proc/500/status"), &st[..700]).unwrap();
    let xm = std::fs::read(dir.path().join("proc/500/xmap")).unwrap();
    std::fs::write(dir.path().join("proc/500/xmap"), &xm[..300]).unwrap();
    std::fs::copy(
        dir.path().join("proc/500/psinfo"),
        dir.path().join("proc/501/psinfo"),
    )
    .unwrap();
    // fdinfo: an item too small for its own header, and one cut short.
    let fi = std::fs::read(dir.path().join("proc/500/fdinfo/4")).unwrap();
    let mut bad = fi[..196].to_vec();
    bad.extend([3, 0, 0, 0, 1, 0, 0, 0]);
    std::fs::write(dir.path().join("proc/500/fdinfo/4"), &bad).unwrap();
    let fi = std::fs::read(dir.path().join("proc/500/fdinfo/5")).unwrap();
    std::fs::write(
        dir.path().join("proc/500/fdinfo/5"),
        &fi[..196 + 8 + 8 + 10],
    )
    .unwrap();
    let r = dir.path().to_str().unwrap();
    let files = json(&["files", r, "500", "--format", "json"]);
    let fds = files["fds"].as_array().unwrap();
    assert_eq!(
        fds.len(),
        6,
        "the damaged records still give their fixed fields"
    );
    assert_eq!(
        (&fds[2]["fd"], &fds[2]["kind"]),
        (&json!(4), &json!("socket"))
    );
    let fw: Vec<String> = files["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| format!("{} {} {}", w["member"], w["offset"], w["message"]))
        .collect();
    assert!(
        fw.iter().any(|w| w.contains("proc/500/fdinfo/4")
            && w.contains(" 196 ")
            && w.contains("pr_misc_size 3")),
        "{fw:?}"
    );
    // fd 5's first item (the socket type, 12 bytes) is whole; its second (the address) is cut.
    assert!(
        fw.iter().any(|w| w.contains("proc/500/fdinfo/5")
            && w.contains(" 208 ")
            && w.contains("truncated")),
        "{fw:?}"
    );
    let out = json(&["maps", r, "500", "--format", "json"]);
    assert_eq!(
        out["maps"].as_array().unwrap().len(),
        1,
        "the whole entry before the cut"
    );
    let warnings: Vec<String> = out["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| format!("{} {} {}", w["member"], w["offset"], w["message"]))
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains("proc/500/status")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("proc/500/xmap") && w.contains("216")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("proc/501/psinfo") && w.contains("pr_pid")),
        "{warnings:?}"
    );
}

/// A tree captured by the Solaris plan (run here against the encoder's tree) reads back as Solaris from
/// the archive, with every report as from the tree itself.
#[test]
fn captured_by_the_solaris_plan_and_read_back() {
    use procsift::capture::{self, CaptureOptions, PlanKind};
    let dir = common::TempDir::new("solcap");
    passwd(dir.path());
    let enc = Enc::new("Sparcv9", Endianness::Big);
    write_process(dir.path(), &enc, 4242);
    write_process(dir.path(), &enc, 77);
    let out = dir.path().join("sol.tar");
    let opts = CaptureOptions {
        proc_root: dir.path().join("proc"),
        etc_root: dir.path().join("etc"),
        plan: Some(PlanKind::Solaris),
        ..CaptureOptions::default()
    };
    capture::capture_to_path(&opts, &out).unwrap();
    check_tree(&out, &[77, 4242]);
}

/// The real /proc structures inside the illumos cores (NT_PSINFO, NT_PSTATUS, NT_PRCRED, NT_LWPSINFO,
/// NT_LWPSTATUS), laid out as a /proc directory, read as a Solaris tree: the CORPUS.md facts.
#[test]
fn illumos_core_payloads_as_a_proc_tree() {
    use procsift::formats::elfcore::Core;
    for (core, pid, ppid, uid, gid, nlwp) in [
        (
            "illumos/nsu-k.kozlov-lab16-amd64.core",
            11341,
            10998,
            4887,
            4899,
            1,
        ),
        (
            "illumos/nsu-a.chepenkov-lab20-i386.core",
            26100,
            25503,
            4981,
            4996,
            1,
        ),
    ] {
        let bytes = std::fs::read(common::corpus(core)).unwrap();
        let c = Core::parse(&bytes).unwrap();
        let dir = common::TempDir::new("solcore");
        let note = |t: u32| c.note(b"CORE", t).unwrap().desc;
        put(dir.path(), &format!("proc/{pid}/psinfo"), note(13));
        put(dir.path(), &format!("proc/{pid}/status"), note(10));
        put(dir.path(), &format!("proc/{pid}/cred"), note(14));
        put(dir.path(), &format!("proc/{pid}/lwp/1/lwpsinfo"), note(17));
        put(dir.path(), &format!("proc/{pid}/lwp/1/lwpstatus"), note(16));
        let r = dir.path().to_str().unwrap();
        let ps = json(&["ps", r, "--format", "json"]);
        let p = &ps["processes"][0];
        assert_eq!(p["pid"], pid, "{core}");
        assert_eq!(p["ppid"], ppid, "{core}");
        assert_eq!(p["pgid"], pid, "{core}");
        assert_eq!(p["sid"], ppid, "{core}");
        assert_eq!(
            (p["uid"].as_i64(), p["euid"].as_i64()),
            (Some(uid), Some(uid)),
            "{core}"
        );
        assert_eq!(
            (p["gid"].as_i64(), p["egid"].as_i64()),
            (Some(gid), Some(gid)),
            "{core}"
        );
        assert_eq!(p["comm"], "a.out", "{core}");
        assert_eq!(p["psargs"], "./a.out", "{core}");
        assert_eq!(p["nlwp"], nlwp, "{core}");
        // pr_nice 20 and pr_oldpri 40 in both (read from the note bytes with Python): nice(1) 0.
        assert_eq!(p["nice"], 0, "{core}");
        let show = json(&["show", r, &pid.to_string(), "--format", "json"]);
        let t = &show["process"]["threads"][0];
        assert_eq!(
            (t["tid"].as_i64(), t["signal"].as_i64()),
            (Some(1), Some(11)),
            "{core}: SIGSEGV"
        );
    }
}

/// Writes encoder-made Solaris trees (one per target, one mixed) under `$PROCSIFT_SEED_DIR`, for
/// `fuzz/seeds.py` to turn into fuzzing seeds. Does nothing without the variable.
#[test]
#[ignore = "writes fuzzing seeds; run by fuzz/seeds.py"]
fn write_fuzz_seeds() {
    let Some(out) = std::env::var_os("PROCSIFT_SEED_DIR") else {
        return;
    };
    let out = Path::new(&out);
    for (name, endian) in [
        ("I386", Endianness::Little),
        ("Amd64", Endianness::Little),
        ("Sparc", Endianness::Big),
        ("Sparcv9", Endianness::Big),
    ] {
        let root = out.join(name);
        passwd(&root);
        write_process(&root, &Enc::new(name, endian), 4242);
        write_process(&root, &Enc::new(name, endian), 77);
    }
    let root = out.join("mixed");
    passwd(&root);
    write_process(&root, &Enc::new("Sparc", Endianness::Big), 300);
    write_process(&root, &Enc::new("Amd64", Endianness::Little), 301);
}

/// Every member of encoder-written Solaris trees (amd64 and sparc: both models, both byte orders),
/// truncated at many offsets, with seeded bit flips, and with each aligned count, size and offset word
/// set to huge values (`pr_nent`, `pr_entsize`, `pr_ngroups`, ...): no panic, bounded time and memory,
/// and every warning the damage causes names the damaged member with an offset inside it.
#[test]
fn hostile_solaris_files() {
    use common::hostile::{Rng, analyze_bounded, check_new_warnings, text_members, with_member};
    use procsift::input::open_snapshot;
    use procsift::snapshot::reader::OpenOptions;
    let mut rng = Rng(0x0050_1a15_0000_0001);
    // psinfo and status decide the layout every other file of the process is read in: their damage may
    // show in the process's other files. Files outside a process are on their own.
    let scope = |path: &str| -> String {
        match path.strip_prefix("proc/").and_then(|r| r.split_once('/')) {
            Some((pid, _)) => format!("proc/{pid}/"),
            None => path.to_string(),
        }
    };
    for (name, endian) in [("Amd64", Endianness::Little), ("Sparc", Endianness::Big)] {
        let dir = common::TempDir::new("solhostile");
        passwd(dir.path());
        write_process(dir.path(), &Enc::new(name, endian), 4242);
        let raw = open_snapshot(dir.path(), &OpenOptions::default()).unwrap();
        let baseline: std::collections::BTreeSet<String> = analyze_bounded(&raw, name)
            .warnings
            .iter()
            .map(|w| w.to_string())
            .collect();
        for (path, bytes) in text_members(&raw) {
            let step = (bytes.len() / 48).max(1);
            for cut in (0..bytes.len()).step_by(step) {
                let damaged = with_member(&raw, &path, &bytes[..cut]);
                let s = analyze_bounded(&damaged, &path);
                check_new_warnings(&baseline, &s, &damaged, &scope(&path));
            }
            for _ in 0..16 {
                let mut b = bytes.clone();
                if b.is_empty() {
                    break;
                }
                for _ in 0..=(rng.next() % 4) {
                    let i = (rng.next() as usize) % b.len();
                    b[i] ^= 1 << (rng.next() % 8);
                }
                let damaged = with_member(&raw, &path, &b);
                let s = analyze_bounded(&damaged, &path);
                check_new_warnings(&baseline, &s, &damaged, &scope(&path));
            }
            // The first 16 aligned words (headers, counts and sizes live there), and a sample of the rest.
            let words: Vec<usize> = (0..bytes.len().saturating_sub(3))
                .step_by(4)
                .enumerate()
                .filter(|(k, _)| *k < 16 || k % 7 == 0)
                .map(|(_, o)| o)
                .collect();
            for at in words {
                for huge in [[0x7f, 0xff, 0xff, 0xff], [0xff; 4], [0x80, 0, 0, 0]] {
                    let mut b = bytes.clone();
                    b[at..at + 4].copy_from_slice(&huge);
                    let damaged = with_member(&raw, &path, &b);
                    let s = analyze_bounded(&damaged, &path);
                    check_new_warnings(&baseline, &s, &damaged, &scope(&path));
                }
            }
        }
    }
}

/// Writes a `manifest.json` for a Solaris tree (the Solaris plan's, byte order and data model of an
/// amd64 reader) whose host facts are `host`.
fn solaris_manifest(root: &Path, host: Value) {
    let mut h = serde_json::json!({
        "hostname": "omni",
        "sysname": "SunOS",
        "release": "5.11",
        "machine": "i86pc",
        "byte_order": "little",
        "data_model": "lp64",
    });
    for (k, v) in host.as_object().unwrap() {
        h[k] = v.clone();
    }
    let m = serde_json::json!({
        "format_version": 1,
        "tool": "procsift",
        "tool_version": "0.1.0",
        "host": h,
        "capture": {"plan": "solaris"},
        "members": [],
    });
    put(root, "manifest.json", m.to_string().as_bytes());
}

/// The manifest's host facts reach `info` for Solaris as for Linux: release, clock ticks, page size,
/// boot time and boot id (the Solaris conversion used to drop `os_release`, `clk_tck` and `boot_id`).
#[test]
fn manifest_host_facts_reach_info() {
    let dir = common::TempDir::new("solhost");
    passwd(dir.path());
    write_process(dir.path(), &Enc::new("Amd64", Endianness::Little), 4242);
    solaris_manifest(
        dir.path(),
        serde_json::json!({
            "os_release": "OmniOS v11 r151046",
            "page_size": 4096,
            "clk_tck": 100,
            "boot_time": "2023-11-14T00:00:00Z",
            "boot_id": "1c7b0c6e-boot",
            "zonename": "global",
        }),
    );
    let r = dir.path().to_str().unwrap();
    let info = json(&["info", r, "--format", "json"]);
    let h = &info["host"];
    assert_eq!(h["os_release"], "OmniOS v11 r151046", "{h}");
    assert_eq!(h["clk_tck"], 100, "{h}");
    assert_eq!(h["page_size"], 4096, "{h}");
    assert_eq!(h["boot_time"], "2023-11-14T00:00:00Z", "{h}");
    assert_eq!(h["boot_id"], "1c7b0c6e-boot", "{h}");
    assert_eq!(h["sysname"], "SunOS", "{h}");
}

/// Numbers no host has are warnings naming `manifest.json` and the field, which is then unknown.
#[test]
fn impossible_manifest_numbers_are_warnings_and_unknown() {
    let dir = common::TempDir::new("solbadhost");
    passwd(dir.path());
    write_process(dir.path(), &Enc::new("Sparcv9", Endianness::Big), 4242);
    solaris_manifest(
        dir.path(),
        serde_json::json!({
            "byte_order": "big",
            "page_size": 3000,
            "clk_tck": 0,
            "boot_time": "1960-01-01T00:00:00Z",
        }),
    );
    let r = dir.path().to_str().unwrap();
    let info = json(&["info", r, "--format", "json"]);
    let h = &info["host"];
    for field in ["page_size", "clk_tck", "boot_time"] {
        assert!(h.get(field).is_none(), "{field}: {h}");
    }
    let warnings: Vec<String> = info["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["member"] == "manifest.json")
        .map(|w| w["message"].as_str().unwrap().to_string())
        .collect();
    for what in ["page size 3000", "clock ticks per second 0", "boot time"] {
        assert!(
            warnings.iter().any(|w| w.contains(what)),
            "{what}: {warnings:?}"
        );
    }
    // The processes are still read.
    let ps = json(&["ps", r, "--format", "json"]);
    assert_eq!(ps["processes"][0]["pid"], 4242);
}

/// What the kernel leaves zero because it does not apply is unknown, never a made-up 0: a zombie's
/// psinfo has no address space (`pr_size`, `pr_rssize` 0) and a zeroed `pr_lwp` (priority, nice; ps
/// prints `-` for its NI and SZ), and a mapping whose `pr_pagesize` is 0 has no page size to count its
/// resident pages in.
#[test]
fn zombies_and_missing_page_sizes_are_unknown_not_zero() {
    let dir = common::TempDir::new("solzero");
    passwd(dir.path());
    let enc = Enc::new("Sparcv9", Endianness::Big);
    write_process(dir.path(), &enc, 4242);
    // pid 600: a zombie, as prgetpsinfo() writes one.
    let mut g = Gen::new(&enc, 600);
    let mut z = g.psinfo();
    z.pid = 600;
    z.ppid = 4242;
    z.nlwp = 0;
    z.nzomb = 1;
    z.flag = 0;
    z.size_kb = 0;
    z.rssize_kb = 0;
    z.dmodel = 2;
    z.lwp = procsift::formats::solaris::Lwpsinfo {
        sname: b'Z',
        state: 3, // SZOMB
        ..procsift::formats::solaris::Lwpsinfo::default()
    };
    put(dir.path(), "proc/600/psinfo", &enc.psinfo(&z));
    // pid 4242's xmap gets a mapping with no page size.
    let mut m = g.prxmap();
    m.vaddr = 0x50000;
    m.size = 0x2000;
    m.mapname = Vec::new();
    m.mflags = 0x4;
    m.pagesize = 0;
    m.rss = 2;
    let mut xmap = std::fs::read(dir.path().join("proc/4242/xmap")).unwrap();
    xmap.extend(enc.prxmap(&m));
    put(dir.path(), "proc/4242/xmap", &xmap);

    let r = dir.path().to_str().unwrap();
    let ps = json(&["ps", r, "--format", "json"]);
    let zombie = ps["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pid"] == 600)
        .unwrap();
    assert_eq!(zombie["state"], "Z");
    for absent in ["memory", "priority", "nice"] {
        assert!(zombie.get(absent).is_none(), "zombie {absent}: {zombie}");
    }
    let out = common::bin().args(["ps", r]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.trim_start().starts_with("600 "))
        .unwrap()
        .split_whitespace()
        .collect();
    // PID PPID USER ZONE STAT NLWP PCPU PMEM RSS VSZ ...
    assert_eq!(row[8..10], ["-", "-"], "{text}");

    let maps = json(&["maps", r, "4242", "--format", "json"]);
    let last = maps["maps"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["start"], 0x50000);
    for absent in ["page_size", "rss_kib", "anon_kib", "locked_kib"] {
        assert!(last.get(absent).is_none(), "{absent}: {last}");
    }
}
