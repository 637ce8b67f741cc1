//! `procsift check` on Solaris /proc trees and NetBSD sysctl dumps written by the test-only encoders
//! (tests/solaris_encoder, tests/netbsd_encoder): each condition the rules can see on those systems is
//! planted in the records, each finding asserted with its pid and evidence member, nothing on the
//! controls, and the rules that cannot run there are listed as not checked with their reason.

mod common;
mod netbsd_encoder;
mod solaris_encoder;

use std::net::Ipv4Addr;
use std::path::Path;

use common::TempDir;
use procsift::abi::Endianness;
use procsift::formats::solaris::{Prxmap, Timestruc};
use serde_json::Value;

fn check(dir: &Path) -> (i32, Value) {
    let out = common::bin()
        .args([
            "check",
            dir.to_str().unwrap(),
            "--min-severity",
            "info",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), doc)
}

fn findings(doc: &Value) -> Vec<&Value> {
    doc["findings"].as_array().unwrap().iter().collect()
}

/// Asserts exactly one finding of `rule` for `pid`, at `severity`, with evidence from `member`.
fn expect(doc: &Value, rule: &str, pid: i32, severity: &str, member: &str) {
    let f: Vec<&Value> = findings(doc)
        .into_iter()
        .filter(|f| f["rule"] == rule && f["pid"] == pid)
        .collect();
    assert_eq!(f.len(), 1, "{rule} for {pid}: {:#?}", findings(doc));
    assert_eq!(f[0]["severity"], severity, "{:#}", f[0]);
    assert!(
        f[0]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["member"] == member),
        "{rule} for {pid}: no evidence from {member}: {:#}",
        f[0]
    );
}

fn none_on(doc: &Value, pid: i32) {
    let on: Vec<&Value> = findings(doc)
        .into_iter()
        .filter(|f| f["pid"] == pid)
        .collect();
    assert!(on.is_empty(), "control {pid}: {on:#?}");
}

/// The reasons the rules not run on this input give, by rule.
fn not_run(doc: &Value) -> Vec<(String, String)> {
    doc["not_checked"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n.get("pids").is_none())
        .map(|n| {
            (
                n["rule"].as_str().unwrap().to_string(),
                n["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

mod netbsd {
    use super::*;
    use netbsd_encoder::{Addr, Enc, File, Pcb, Proc, Sizes, World};

    const P_TRACED: i32 = 0x800;

    fn proc(
        pid: i32,
        ppid: i32,
        comm: &'static str,
        argv: Vec<&'static str>,
        path: &'static str,
    ) -> Proc {
        Proc {
            pid,
            ppid,
            pgid: pid,
            sid: pid,
            comm,
            stat: 3,
            flag: 0x80,
            uvalid: true,
            start: (1_700_000_000, 0),
            argv: Some(argv),
            env: Some(vec!["PATH=/bin:/usr/bin", "HOME=/root"]),
            path: Some(path),
            nice: 20,
            ..Proc::default()
        }
    }

    fn world() -> World {
        let mut procs = vec![
            proc(1, 0, "init", vec!["init"], "/sbin/init"),
            // Controls.
            proc(10, 1, "sleep", vec!["sleep", "600"], "/bin/sleep"),
            proc(11, 1, "sh", vec!["sh", "-c", "sleep 600; :"], "/bin/sh"),
            // A traced shell whose stdin is a connected TCP socket.
            Proc {
                flag: 0x80 | P_TRACED,
                ..proc(100, 1, "sh", vec!["sh", "-i"], "/bin/sh")
            },
            proc(101, 1, "sleep", vec!["[kworker/0:1]"], "/bin/sleep"),
            Proc {
                env: Some(vec!["LD_PRELOAD=/tmp/.x/evil.so", "HISTFILE=/dev/null"]),
                ..proc(102, 1, "sleep", vec!["sleep", "600"], "/bin/sleep")
            },
            proc(103, 1, "x", vec!["./x"], "/tmp/x"),
            Proc {
                ruid: 1000,
                euid: 0,
                svuid: 0,
                ..proc(104, 1, "sh", vec!["sh", "-p"], "/bin/sh")
            },
            proc(
                105,
                1,
                "nginx",
                vec!["nginx: master process"],
                "/usr/pkg/sbin/nginx",
            ),
            proc(106, 105, "sh", vec!["sh"], "/bin/sh"),
            proc(107, 999, "sleep", vec!["sleep", "600"], "/bin/sleep"),
            proc(108, 1, "gamma", vec!["beta"], "/usr/bin/alpha"),
        ];
        for p in &mut procs {
            if p.ruid == 0 {
                p.euid = 0;
            }
        }
        World {
            procs,
            files: vec![
                File {
                    pid: 100,
                    fd: 0,
                    ftype: 2,
                    vtype: 0,
                    flag: 3,
                    offset: 0,
                    fdata: 0xa200,
                },
                File {
                    pid: 10,
                    fd: 0,
                    ftype: 1,
                    vtype: 4,
                    flag: 1,
                    offset: 0,
                    fdata: 0x5000,
                },
            ],
            pcbs: vec![Pcb {
                list: "sysctl/net.inet.tcp.pcblist",
                sockaddr: 0xa200,
                family: 2,
                sock_type: 1,
                protocol: 6,
                tstate: 4,
                local: Addr::In(Ipv4Addr::new(10, 0, 0, 5), 40000),
                remote: Addr::In(Ipv4Addr::new(192, 0, 2, 7), 4444),
                ..Pcb::default()
            }],
            page_size: Some(4096),
            passwd: Some("root:*:0:0::/root:/bin/sh\n"),
        }
    }

    #[test]
    fn netbsd_dump_in_both_byte_orders() {
        for big in [false, true] {
            let dir = TempDir::new("check-netbsd");
            world().write(dir.path(), Enc { big }, Sizes::KNOWN);
            let (code, doc) = check(dir.path());
            assert_eq!(code, 1, "{doc:#}");
            assert_eq!(doc["input"], "netbsd");
            let args = |pid: i32, f: &str| format!("sysctl/kern.proc_args/{pid}/{f}");
            expect(&doc, "traced", 100, "medium", "sysctl/kern.proc2");
            expect(&doc, "shell-socket", 100, "high", "sysctl/kern.file2");
            expect(
                &doc,
                "kernel-thread-masquerade",
                101,
                "high",
                &args(101, "argv"),
            );
            expect(&doc, "ld-preload", 102, "high", &args(102, "env"));
            expect(&doc, "history-off", 102, "medium", &args(102, "env"));
            expect(
                &doc,
                "exe-writable-dir",
                103,
                "medium",
                &args(103, "pathname"),
            );
            expect(&doc, "setuid-shell", 104, "high", "sysctl/kern.proc2");
            expect(
                &doc,
                "service-spawned-shell",
                106,
                "high",
                "sysctl/kern.proc2",
            );
            expect(&doc, "hidden-process", 999, "medium", "sysctl/kern.proc2");
            expect(&doc, "name-mismatch", 108, "low", &args(108, "argv"));
            for control in [1, 10, 11, 105, 107] {
                none_on(&doc, control);
            }
            let not_run = not_run(&doc);
            for rule in [
                "exe-deleted",
                "exe-memfd",
                "anon-exec-memory",
                "deleted-library",
                "orphan-socket",
                "proc-overmount",
                "full-capabilities-nonroot",
            ] {
                assert!(
                    not_run
                        .iter()
                        .any(|(r, why)| r == rule && why.contains("NetBSD")),
                    "{rule}: {not_run:?}"
                );
            }
        }
    }
}

mod solaris {
    use super::*;
    use solaris_encoder::{Enc, FdinfoSpec, Gen, PR_PEERSOCKNAME, PR_SOCKETNAME, PR_SOCKOPT_TYPE};

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

    /// What a planted process differs in.
    #[derive(Default)]
    struct Spec {
        pid: i32,
        ppid: i32,
        fname: &'static str,
        psargs: &'static str,
        exe: Option<&'static str>,
        ruid: u32,
        euid: u32,
        pr_flags: i32,
        /// (vaddr, name, pr_mflags) of each mapping.
        maps: Vec<(u64, &'static str, i32)>,
    }

    fn write(root: &Path, enc: &Enc, s: &Spec) {
        let mut g = Gen::new(enc, s.pid as u64);
        let dir = format!("proc/{}", s.pid);
        let mut ps = g.psinfo();
        ps.pid = s.pid;
        ps.ppid = s.ppid;
        ps.pgid = s.pid;
        ps.sid = s.pid;
        ps.uid = s.ruid;
        ps.euid = s.euid;
        ps.gid = 0;
        ps.egid = 0;
        ps.nlwp = 1;
        ps.nzomb = 0;
        ps.flag = 0;
        ps.fname = s.fname.as_bytes().to_vec();
        ps.psargs = s.psargs.as_bytes().to_vec();
        ps.dmodel = if enc.lp64() { 2 } else { 1 };
        ps.lwp.sname = b'S';
        ps.start = Timestruc {
            sec: 1_700_000_000,
            nsec: 0,
        };
        put(root, &format!("{dir}/psinfo"), &enc.psinfo(&ps));
        let mut st = g.pstatus(enc);
        st.pid = s.pid;
        st.ppid = s.ppid;
        st.pgid = s.pid;
        st.sid = s.pid;
        st.nlwp = 1;
        st.flags = s.pr_flags;
        st.dmodel = ps.dmodel;
        put(root, &format!("{dir}/status"), &enc.pstatus(&st));
        let mut c = g.prcred(0);
        c.ruid = s.ruid;
        c.euid = s.euid;
        c.suid = s.euid;
        c.rgid = 0;
        c.egid = 0;
        c.sgid = 0;
        c.groups = vec![];
        put(root, &format!("{dir}/cred"), &enc.prcred(&c));
        let maps: Vec<Vec<u8>> = s
            .maps
            .iter()
            .map(|(vaddr, name, flags)| {
                let mut m: Prxmap = g.prxmap();
                m.vaddr = *vaddr;
                m.size = 0x2000;
                m.mapname = name.as_bytes().to_vec();
                m.offset = 0;
                m.mflags = *flags;
                m.pagesize = 4096;
                enc.prxmap(&m)
            })
            .collect();
        put(root, &format!("{dir}/xmap"), &maps.concat());
        if let Some(exe) = s.exe {
            link(root, &format!("{dir}/path/a.out"), exe);
        }
    }

    /// A connected TCP socket as descriptor `fd` of `pid` (`prfdinfo_t` with its socket names).
    fn tcp_fd(root: &Path, enc: &Enc, pid: i32, fd: i32) {
        let mut int = vec![0u8; 4];
        enc.put_n(&mut int, 0, 4, 2); // SOCK_STREAM
        let spec = FdinfoSpec {
            fd,
            mode: 0o140666,
            ino: 5000,
            fileflags: 2,
            locktype: 3,
            lockpid: -1,
            locksysid: -1,
            peerpid: -1,
            misc: vec![
                (PR_SOCKOPT_TYPE, int),
                (PR_SOCKETNAME, enc.sockaddr_in([10, 0, 0, 5], 40000)),
                (PR_PEERSOCKNAME, enc.sockaddr_in([192, 0, 2, 7], 4444)),
            ],
            ..FdinfoSpec::default()
        };
        put(
            root,
            &format!("proc/{pid}/fdinfo/{fd}"),
            &enc.prfdinfo(&spec),
        );
    }

    const PR_PTRACE: i32 = 0x400_0000;
    const TEXT: i32 = 0x5; // MA_READ | MA_EXEC
    const DATA: i32 = 0x6; // MA_READ | MA_WRITE
    const RWX: i32 = 0x7;

    fn tree(root: &Path, enc: &Enc) {
        let text = |name| vec![(0x10000u64, name, TEXT), (0x20000, name, DATA)];
        let specs = [
            Spec {
                pid: 1,
                ppid: 0,
                fname: "init",
                psargs: "/sbin/init",
                exe: Some("/sbin/init"),
                maps: text("a.out"),
                ..Spec::default()
            },
            // Controls.
            Spec {
                pid: 10,
                ppid: 1,
                fname: "sleep",
                psargs: "sleep 600",
                exe: Some("/usr/bin/sleep"),
                maps: text("a.out"),
                ..Spec::default()
            },
            Spec {
                pid: 11,
                ppid: 1,
                fname: "sh",
                psargs: "sh -c sleep 600; :",
                exe: Some("/usr/bin/sh"),
                maps: text("a.out"),
                ..Spec::default()
            },
            // A traced shell whose stdin is a TCP connection.
            Spec {
                pid: 100,
                ppid: 1,
                fname: "sh",
                psargs: "sh -i",
                exe: Some("/usr/bin/sh"),
                pr_flags: PR_PTRACE,
                maps: text("a.out"),
                ..Spec::default()
            },
            Spec {
                pid: 101,
                ppid: 1,
                fname: "sleep",
                psargs: "[kworker/0:1]",
                exe: Some("/usr/bin/sleep"),
                maps: text("a.out"),
                ..Spec::default()
            },
            Spec {
                pid: 102,
                ppid: 1,
                fname: "x",
                psargs: "./x",
                exe: Some("/tmp/x"),
                maps: text("a.out"),
                ..Spec::default()
            },
            Spec {
                pid: 103,
                ppid: 1,
                fname: "inject",
                psargs: "inject",
                exe: Some("/usr/bin/inject"),
                maps: vec![(0x10000, "a.out", TEXT), (0x40000, "", RWX)],
                ..Spec::default()
            },
            Spec {
                pid: 104,
                ppid: 1,
                fname: "sh",
                psargs: "sh -p",
                exe: Some("/usr/bin/sh"),
                ruid: 100,
                euid: 0,
                maps: text("a.out"),
                ..Spec::default()
            },
            Spec {
                pid: 105,
                ppid: 1,
                fname: "httpd",
                psargs: "/usr/apache2/bin/httpd -k start",
                exe: Some("/usr/apache2/bin/httpd"),
                maps: text("a.out"),
                ..Spec::default()
            },
            Spec {
                pid: 106,
                ppid: 105,
                fname: "sh",
                psargs: "sh",
                exe: Some("/usr/bin/sh"),
                maps: text("a.out"),
                ..Spec::default()
            },
            Spec {
                pid: 107,
                ppid: 999,
                fname: "sleep",
                psargs: "sleep 600",
                exe: Some("/usr/bin/sleep"),
                maps: text("a.out"),
                ..Spec::default()
            },
            // A 32-bit program's executable heap: Solaris's default, low.
            Spec {
                pid: 108,
                ppid: 1,
                fname: "old",
                psargs: "old",
                exe: Some("/opt/old/bin/old"),
                maps: vec![(0x10000, "a.out", TEXT), (0x30000, "", 0x10 | RWX)],
                ..Spec::default()
            },
        ];
        for s in &specs {
            write(root, enc, s);
        }
        tcp_fd(root, enc, 100, 0);
    }

    #[test]
    fn solaris_trees_of_each_data_model_and_byte_order() {
        for (name, endian) in [
            ("Amd64", Endianness::Little),
            ("Sparc", Endianness::Big),
            ("Sparcv9", Endianness::Big),
        ] {
            let enc = Enc::new(name, endian);
            let dir = TempDir::new("check-solaris");
            tree(dir.path(), &enc);
            let (code, doc) = check(dir.path());
            assert_eq!(code, 1, "{name}: {doc:#}");
            assert_eq!(doc["input"], "solaris", "{name}");
            expect(&doc, "traced", 100, "medium", "proc/100/status");
            expect(&doc, "shell-socket", 100, "high", "proc/100/fdinfo/0");
            expect(
                &doc,
                "kernel-thread-masquerade",
                101,
                "high",
                "proc/101/psinfo",
            );
            expect(
                &doc,
                "exe-writable-dir",
                102,
                "medium",
                "proc/102/path/a.out",
            );
            expect(&doc, "anon-exec-memory", 103, "high", "proc/103/xmap");
            expect(&doc, "setuid-shell", 104, "high", "proc/104/cred");
            expect(
                &doc,
                "service-spawned-shell",
                106,
                "high",
                "proc/106/psinfo",
            );
            // A copied tree (no capture manifest) may not hold every process: low.
            expect(&doc, "hidden-process", 999, "low", "proc/107/psinfo");
            expect(&doc, "anon-exec-memory", 108, "low", "proc/108/xmap");
            for control in [1, 10, 11, 105, 107] {
                none_on(&doc, control);
            }
            let not_run = not_run(&doc);
            for rule in [
                "exe-deleted",
                "exe-memfd",
                "ld-preload",
                "history-off",
                "deleted-library",
                "orphan-socket",
                "proc-overmount",
                "full-capabilities-nonroot",
            ] {
                assert!(
                    not_run.iter().any(|(r, _)| r == rule),
                    "{name} {rule}: {not_run:?}"
                );
            }
        }
    }
}
