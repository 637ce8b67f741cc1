//! Solaris /proc trees, written by the test-only encoder for i386, amd64, sparc and sparcv9 (each in its
//! native byte order, and one tree that mixes them), analyzed through the CLI: ps with the Solaris
//! columns, show (pflags, pcred, ptime), threads (prstat -mL), maps (pmap -x) and signals (psig).

mod common;
mod solaris_encoder;

use std::path::Path;

use procsift::abi::Endianness;
use procsift::formats::solaris::{Prusage, SigAction, Timestruc, WordSet};
use serde_json::Value;
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
    ps.lwp.nice = 20;
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
        assert_eq!(t1["sig_blocked"], "SIGINT");
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
        assert!(
            text.contains("FORK|MSACCT") && text.contains("zone         global"),
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

        let f = json(&["files", r, &pid_s, "--format", "json"]);
        let fds: Vec<(i64, &str)> = f["fds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["fd"].as_i64().unwrap(), x["target"].as_str().unwrap()))
            .collect();
        assert_eq!(fds, vec![(0, "/dev/pts/3"), (3, "/var/log/sleepy.log")]);
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
    let r = dir.path().to_str().unwrap();
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
