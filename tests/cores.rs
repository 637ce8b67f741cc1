//! The real cores of ../shared/corpus: every fact CORPUS.md lists (and the pc/sp the layout reference
//! read out of them), and agreement with `readelf -n` on the notes.

mod common;

use std::path::PathBuf;

use procsift::analyze::core::analyze;
use procsift::model::{Process, Snapshot};

fn corpus(rel: &str) -> PathBuf {
    common::corpus(rel)
}

fn load(rel: &str) -> Snapshot {
    let path = corpus(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    analyze(&bytes, rel).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn only(s: &Snapshot) -> &Process {
    assert_eq!(s.processes.len(), 1);
    &s.processes[0]
}

/// (pid, ppid, pgid, sid) as CORPUS.md gives them.
fn ids(p: &Process) -> (i32, Option<i32>, Option<i32>, Option<i32>) {
    (p.pid, p.ppid, p.pgid, p.sid)
}

fn signal(s: &Snapshot) -> i32 {
    s.core
        .as_ref()
        .and_then(|c| c.signal.as_ref())
        .map_or(0, |s| s.number)
}

fn tids_and_signals(p: &Process) -> Vec<(i32, i32)> {
    p.threads
        .iter()
        .flatten()
        .map(|t| (t.tid, t.signal.unwrap_or(-1)))
        .collect()
}

fn pc_sp(p: &Process, tid: i32) -> (u64, u64) {
    let t = p
        .threads
        .iter()
        .flatten()
        .find(|t| t.tid == tid)
        .expect("thread");
    (t.pc.expect("pc"), t.sp.expect("sp"))
}

fn comm(p: &Process) -> &[u8] {
    p.comm.as_ref().map(|c| c.as_bytes()).unwrap_or_default()
}

fn psargs(p: &Process) -> &[u8] {
    p.psargs.as_ref().map(|c| c.as_bytes()).unwrap_or_default()
}

fn file_backed(p: &Process) -> Vec<(u64, u64, Vec<u8>)> {
    p.maps
        .iter()
        .flatten()
        .filter_map(|m| Some((m.start, m.offset, m.path.as_ref()?.as_bytes().to_vec())))
        .collect()
}

/// NT_FILE entry count, read from the core's own note summary and the model's file-backed maps.
fn nt_file_count(rel: &str) -> usize {
    let bytes = std::fs::read(corpus(rel)).unwrap();
    let core = procsift::formats::elfcore::Core::parse(&bytes).unwrap();
    let mut w = Vec::new();
    let lc = procsift::formats::elfcore::linux::decode(&core, &mut w);
    lc.files.map_or(0, |f| f.files.len())
}

#[test]
fn linux_s390x() {
    let s = load("linux/elfutils-testfile67-s390x.core");
    let p = only(&s);
    assert_eq!(ids(p), (805, Some(804), Some(804), Some(699)));
    assert_eq!(signal(&s), 4);
    assert_eq!((p.cred.uid, p.cred.gid), (Some(0), Some(0)));
    assert_eq!(comm(p), b"1");
    assert_eq!(psargs(p), b"./1 ");
    assert_eq!(pc_sp(p, 805), (0x8000_00d6, 0x3ff_ffa8_4380));
    let core = s.core.as_ref().unwrap();
    assert_eq!(
        (core.arch.as_str(), core.byte_order.name()),
        ("s390x", "big")
    );
}

#[test]
fn linux_x86_64_null_deref() {
    let s = load("linux/elfutils-testfile71-x86_64.core");
    let p = only(&s);
    assert_eq!(ids(p), (9664, Some(2868), Some(9664), Some(2868)));
    let sig = s.core.as_ref().unwrap().signal.as_ref().unwrap();
    assert_eq!(
        (sig.number, sig.code, sig.source.as_str()),
        (11, Some(1), "NT_SIGINFO")
    );
    // int main(){return *(int*)0x12345678;}
    assert_eq!(sig.fault_address, Some(0x1234_5678));
    assert_eq!((p.cred.uid, p.cred.gid), (Some(1000), Some(1000)));
    assert_eq!((comm(p), psargs(p)), (&b"a.out"[..], &b"./a.out "[..]));
    assert_eq!(nt_file_count("linux/elfutils-testfile71-x86_64.core"), 10);
    // The stack still holds argv: exactly what psargs summarized.
    assert_eq!(p.argv.as_ref().map(|a| a.len()), Some(1));
    assert_eq!(p.argv.as_ref().unwrap()[0].as_bytes(), b"./a.out");
}

#[test]
fn linux_aarch64() {
    let s = load("linux/elfutils-testfile_aarch64_core");
    let p = only(&s);
    assert_eq!(ids(p), (16547, Some(3822), Some(16547), Some(3822)));
    assert_eq!(signal(&s), 11);
    assert_eq!((p.cred.uid, p.cred.gid), (Some(0), Some(0)));
    assert_eq!((comm(p), psargs(p)), (&b"a.out"[..], &b"./a.out "[..]));
    assert_eq!(nt_file_count("linux/elfutils-testfile_aarch64_core"), 6);
    let t = &p.threads.as_ref().unwrap()[0];
    let regs = t.registers.as_ref().unwrap();
    assert_eq!(regs.len(), 34);
    assert_eq!(regs.iter().find(|r| r.name == "pc").map(|r| r.value), t.pc);
}

#[test]
fn linux_i686() {
    let s = load("linux/elfutils-testfile_i686_core");
    let p = only(&s);
    assert_eq!(ids(p), (27395, Some(1130), Some(27395), Some(1130)));
    assert_eq!(signal(&s), 11);
    assert_eq!((p.cred.uid, p.cred.gid), (Some(1000), Some(1000)));
    assert_eq!((comm(p), psargs(p)), (&b"a.out"[..], &b"./a.out "[..]));
    assert_eq!(nt_file_count("linux/elfutils-testfile_i686_core"), 9);
    assert_eq!(s.core.as_ref().unwrap().arch, "i386");
}

#[test]
fn linux_gcore_three_stopped_threads() {
    let s = load("linux/lldb-gcore-linux-x86_64.core");
    let p = only(&s);
    assert_eq!(p.pid, 5669);
    let threads = tids_and_signals(p);
    assert_eq!(threads.len(), 3);
    assert!(threads.iter().all(|(_, sig)| *sig == 19), "{threads:?}");
}

#[test]
fn linux_thread_crash() {
    let s = load("linux/lldb-thread_crash-linux-x86_64.core");
    let p = only(&s);
    assert_eq!(p.pid, 5222);
    assert_eq!(tids_and_signals(p), vec![(5250, 4), (5222, 0), (5249, 0)]);
    assert_eq!(
        s.core.as_ref().unwrap().signal.as_ref().unwrap().thread,
        Some(5250)
    );
    let text = p
        .maps
        .iter()
        .flatten()
        .find(|m| m.start == 0x40_0000)
        .expect("PT_LOAD at 0x400000");
    assert_eq!(text.dumped_bytes, Some(0));
}

#[test]
fn linux_pyelftools_32_and_64() {
    let s = load("linux/pyelftools-core_linux32.elf");
    let p = only(&s);
    assert_eq!(ids(p), (11038, Some(10442), Some(11038), Some(10442)));
    assert_eq!((p.state.as_deref(), p.flags), (Some("R"), Some(0x40_0600)));
    assert_eq!((p.cred.uid, p.cred.gid), (Some(1000), Some(1000)));
    assert_eq!(
        (comm(p), psargs(p)),
        (&b"coredump"[..], &b"./coredump foo bar 42 "[..])
    );
    assert_eq!(nt_file_count("linux/pyelftools-core_linux32.elf"), 10);
    let maps = file_backed(p);
    assert_eq!(maps[0].0, 0x5662_4000);
    assert_eq!(maps[0].2, b"/tmp/coredump");
    assert!(maps.last().unwrap().2.ends_with(b"/ld-2.27.so"));
    let argv: Vec<&[u8]> = p.argv.iter().flatten().map(|a| a.as_bytes()).collect();
    assert_eq!(argv, vec![&b"./coredump"[..], b"foo", b"bar", b"42"]);

    let s = load("linux/pyelftools-core_linux64.elf");
    let p = only(&s);
    assert_eq!(ids(p), (23395, Some(23187), Some(23395), Some(23187)));
    assert_eq!(
        (p.state.as_deref(), p.nice, p.flags),
        (Some("R"), Some(0), Some(0x40_0600))
    );
    assert_eq!(
        (comm(p), psargs(p)),
        (&b"coredump_self"[..], &b"./coredump_self foo bar 42 "[..])
    );
    assert_eq!(nt_file_count("linux/pyelftools-core_linux64.elf"), 10);
    let maps = file_backed(p);
    assert_eq!((maps[0].0, maps[0].1), (0x40_0000, 0));
    assert_eq!(maps[0].2, b"/home/max42/pyelftools/test/coredump_self");
    let last = maps.last().unwrap();
    assert_eq!((last.0, last.1), (0x7fa4_5999_d000, 0x26000));
    assert_eq!(last.2, b"/lib/x86_64-linux-gnu/ld-2.23.so");
    assert_eq!(
        p.exe.as_ref().unwrap().as_bytes(),
        b"/home/max42/pyelftools/test/coredump_self"
    );
}

#[test]
fn linux_rizin_zero_run_in_notes() {
    let s = load("linux/rizin-core-linux-x86_64");
    let p = only(&s);
    let (pc, sp) = pc_sp(p, p.threads.as_ref().unwrap()[0].tid);
    assert_eq!((pc, sp), (0x5614_9dfb_014d, 0x7ffc_8354_c0b0));
    let regs = p.threads.as_ref().unwrap()[0].registers.as_ref().unwrap();
    assert_eq!(
        regs.iter().find(|r| r.name == "flags").map(|r| r.value),
        Some(0x10202)
    );
    // CORPUS.md quotes rizin's listing of an earlier version of this file (/home/florian/dev/crash/...);
    // the stored bytes hold a shortened path, and the 52 zero bytes are what the shortening left.
    let first = p
        .maps
        .as_ref()
        .unwrap()
        .iter()
        .find(|m| m.start == 0x5614_9dfa_f000)
        .unwrap();
    assert_eq!(
        first.path.as_ref().unwrap().as_bytes(),
        b"bins/elf/core/crash-linux-x86_64"
    );
    assert_eq!(p.maps.as_ref().unwrap().len(), 21, "one per PT_LOAD");
    // The zero run is reported, and the notes after it are still read.
    assert!(
        s.warnings
            .iter()
            .any(|w| w.message.contains("52 zero bytes")),
        "{:?}",
        s.warnings
    );
    let notes = &s.core.as_ref().unwrap().notes;
    assert!(
        notes.iter().any(|n| n.owner == "LINUX" && n.kind == 0x202),
        "XSTATE after the zero run"
    );
}

/// (core, arch, pid, ppid, signal, pc, sp).
type Case = (&'static str, &'static str, i32, Option<i32>, i32, u64, u64);

#[test]
fn linux_other_architectures() {
    // (core, arch, pid, ppid, signal, pc, sp) — pid/ppid/signal from CORPUS.md, pc/sp from the layout
    // reference's reading of the same cores.
    let cases: [Case; 4] = [
        (
            "linux/elfutils-testfile63-arm.core",
            "arm",
            11087,
            Some(11063),
            11,
            0x8500,
            0xbeee_64f4,
        ),
        (
            "linux/elfutils-testfile-m68k-core",
            "m68k",
            1963,
            Some(1084),
            11,
            0x8000_03fe,
            0xefe7_1434,
        ),
        (
            "linux/elfutils-testfile-riscv64-core",
            "riscv64",
            6801,
            Some(1155),
            11,
            0x1049a,
            0x3f_ff98_1240,
        ),
        (
            "linux/lldb-linux-mipsel-gnuabio32.core",
            "mips-o32",
            3532,
            Some(29164),
            11,
            0x40_0130,
            0x7fdd_4e60,
        ),
    ];
    for (rel, arch, pid, ppid, sig, pc, sp) in cases {
        let s = load(rel);
        let p = only(&s);
        assert_eq!(s.core.as_ref().unwrap().arch, arch, "{rel}");
        assert_eq!((p.pid, p.ppid), (pid, ppid), "{rel}");
        assert_eq!(signal(&s), sig, "{rel}");
        assert_eq!(pc_sp(p, pid), (pc, sp), "{rel}");
    }
    let s = load("linux/elfutils-testfile-m68k-core");
    let p = only(&s);
    assert_eq!((p.cred.uid, p.cred.gid), (Some(1000), Some(501)));
    assert_eq!(nt_file_count("linux/elfutils-testfile-m68k-core"), 10);
    let s = load("linux/elfutils-testfile-riscv64-core");
    assert_eq!(psargs(only(&s)), b"/tmp/a.out ");
    assert_eq!(nt_file_count("linux/elfutils-testfile-riscv64-core"), 9);
    let s = load("linux/elfutils-testfile63-arm.core");
    assert_eq!((only(&s).pgid, only(&s).sid), (Some(11087), Some(11063)));
    // lldb: 1 thread, 5 memory regions (mips); 1 thread, 2 regions (ppc64le).
    let s = load("linux/lldb-linux-mipsel-gnuabio32.core");
    assert_eq!(only(&s).maps.as_ref().unwrap().len(), 5);
    let s = load("linux/lldb-linux-ppc64le.core");
    let p = only(&s);
    assert_eq!(
        (
            p.pid,
            p.threads.as_ref().unwrap().len(),
            p.maps.as_ref().unwrap().len()
        ),
        (28147, 1, 2)
    );
    assert_eq!(pc_sp(p, 28147).1, 0x3fff_ffff_f050);
    assert_eq!(s.core.as_ref().unwrap().arch, "ppc64");
}

#[test]
fn netbsd_cores() {
    for (rel, pid, threads, regions) in [
        (
            "netbsd/lldb-1lwp_SIGSEGV.aarch64.core",
            8339,
            vec![(1, 11)],
            32,
        ),
        (
            "netbsd/lldb-1lwp_SIGSEGV.amd64.core",
            693,
            vec![(1, 11)],
            21,
        ),
        (
            "netbsd/lldb-2lwp_t2_SIGSEGV.amd64.core",
            622,
            vec![(2, 11), (1, 0)],
            24,
        ),
    ] {
        let s = load(rel);
        let p = only(&s);
        assert_eq!(p.pid, pid, "{rel}");
        assert_eq!(tids_and_signals(p), threads, "{rel}");
        assert_eq!(p.maps.as_ref().unwrap().len(), regions, "{rel}");
        assert_eq!(s.core.as_ref().unwrap().os, "netbsd");
        assert!(
            p.threads.iter().flatten().all(|t| t.pc.is_some()),
            "{rel}: registers decoded"
        );
    }
}

#[test]
fn freebsd_pid_quirks() {
    let s = load("freebsd/bsi-amd64-bsi-k.core");
    let p = only(&s);
    assert_eq!(ids(p), (4189, Some(2309), Some(4189), Some(2309)));
    assert_eq!((comm(p), psargs(p)), (&b"bsi"[..], &b"bsi -k"[..]));
    // NT_PRSTATUS pr_pid is the thread id, not the pid.
    assert_eq!(tids_and_signals(p), vec![(101_733, 11)]);
    let core = s.core.as_ref().unwrap();
    assert_eq!(
        core.kernel.as_deref(),
        Some("FreeBSD __FreeBSD_version 1100514")
    );
    assert!(
        core.provenance
            .iter()
            .any(|v| v.field == "pid" && v.source.contains("ki_pid"))
    );
    assert_eq!(p.cred.groups.as_ref().map(|g| g.len()), Some(2));
    // NT_PROCSTAT_FILES: the terminal on 0-2, and the executable from the text vnode.
    let fds: Vec<(i32, procsift::model::FdKind, String)> = p
        .fds
        .iter()
        .flatten()
        .map(|f| (f.fd, f.kind, f.target.as_ref().unwrap().escaped()))
        .collect();
    assert_eq!(fds.len(), 3);
    assert!(
        fds.iter()
            .all(|(_, k, t)| *k == procsift::model::FdKind::Device && t == "/dev/pts/0"),
        "{fds:?}"
    );
    assert_eq!(p.exe.as_ref().unwrap().as_bytes(), b"/usr/local/bin/bsi");
    // NT_PROCSTAT_VMMAP names the mapped files.
    assert!(p.maps.iter().flatten().any(|m| {
        m.path
            .as_ref()
            .is_some_and(|x| x.as_bytes() == b"/libexec/ld-elf.so.1")
    }));

    let s = load("freebsd/bsi-i386-bsi.core");
    let p = only(&s);
    assert_eq!((p.pid, p.ppid, p.sid), (709, Some(621), Some(621)));
    assert_eq!(tids_and_signals(p), vec![(100_074, 11)]);
    let prov = &s.core.as_ref().unwrap().provenance;
    assert!(
        prov.iter()
            .any(|v| v.field == "pid" && v.source.contains("no pr_pid")),
        "the 108-byte prpsinfo has no pr_pid, and the report says which source it used: {prov:?}"
    );
}

/// `readelf -n` lists the same notes (owner and size, in order) for every core it parses correctly.
#[test]
fn notes_agree_with_readelf() {
    if std::process::Command::new("readelf")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("readelf (binutils) is required: .ci/run installs it");
    }
    let mut checked = 0;
    for dir in ["linux", "freebsd", "netbsd", "illumos"] {
        for entry in std::fs::read_dir(corpus(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            // GNU readelf mis-parses the notes after the zero run in this one (CORPUS.md).
            if path.is_dir() || name == "rizin-core-linux-x86_64" {
                continue;
            }
            let out = std::process::Command::new("readelf")
                .args(["-n", "-W"])
                .arg(&path)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let theirs: Vec<(String, u64)> = text
                .lines()
                .filter_map(|l| {
                    // "  CORE  0x00000150  NT_PRSTATUS (prstatus structure)"; NT_FILE's own address
                    // lines start with 0x and are skipped.
                    let mut f = l.split_whitespace();
                    let owner = f.next().filter(|o| !o.starts_with("0x"))?;
                    let size = u64::from_str_radix(f.next()?.strip_prefix("0x")?, 16).ok()?;
                    f.next()?;
                    Some((owner.to_string(), size))
                })
                .collect();
            let s = load(&format!("{dir}/{name}"));
            let ours: Vec<(String, u64)> = s
                .core
                .as_ref()
                .unwrap()
                .notes
                .iter()
                .map(|n| (n.owner.clone(), n.size))
                .collect();
            assert_eq!(ours, theirs, "{dir}/{name}");
            checked += 1;
        }
    }
    assert!(checked >= 18, "only {checked} cores compared");
}

#[test]
fn illumos_amd64() {
    let s = load("illumos/nsu-k.kozlov-lab16-amd64.core");
    let p = only(&s);
    assert_eq!(ids(p), (11341, Some(10998), Some(11341), Some(10998)));
    assert_eq!(
        (p.cred.uid, p.cred.euid, p.cred.gid, p.cred.egid),
        (Some(4887), Some(4887), Some(4899), Some(4899))
    );
    assert_eq!(
        p.cred.groups.as_ref().map(|g| g.len()),
        Some(1),
        "prcred ngroups=1"
    );
    assert_eq!((comm(p), psargs(p)), (&b"a.out"[..], &b"./a.out"[..]));
    assert_eq!(p.nlwp, Some(1));
    assert_eq!(p.zone.as_deref(), Some("fit-main"));
    let core = s.core.as_ref().unwrap();
    assert_eq!(
        core.kernel.as_deref(),
        Some("SunOS fit-main 5.11 illumos-b97b1727bc i86pc")
    );
    assert_eq!(core.os, "solaris");
    let fds: Vec<(i32, String)> = p
        .fds
        .iter()
        .flatten()
        .map(|f| (f.fd, f.target.as_ref().unwrap().escaped()))
        .collect();
    assert_eq!(
        fds,
        vec![
            (0, "/dev/pts/28".into()),
            (1, "/dev/pts/28".into()),
            (2, "/dev/pts/28".into()),
            (3, "/dev/tty".into())
        ]
    );
    assert_eq!(signal(&s), 11);
    assert_eq!(tids_and_signals(p), vec![(1, 11)]);
    // argv and environment through psinfo's pr_argv / pr_envp.
    let argv: Vec<&[u8]> = p.argv.iter().flatten().map(|a| a.as_bytes()).collect();
    assert_eq!(argv, vec![&b"./a.out"[..]]);
    assert!(p.env.as_ref().is_some_and(|e| !e.is_empty()));
}

#[test]
fn illumos_i386() {
    let s = load("illumos/nsu-a.chepenkov-lab20-i386.core");
    let p = only(&s);
    assert_eq!(ids(p), (26100, Some(25503), Some(26100), Some(25503)));
    assert_eq!((p.cred.uid, p.cred.gid), (Some(4981), Some(4996)));
    assert_eq!(comm(p), b"a.out");
    let notes = &s.core.as_ref().unwrap().notes;
    let size = |name: &str| {
        notes
            .iter()
            .find(|n| n.name.as_deref() == Some(name))
            .map(|n| n.size)
    };
    assert_eq!(
        (size("NT_PSINFO"), size("NT_LWPSINFO"), size("NT_LWPSTATUS")),
        (Some(0x150), Some(0x68), Some(0x320))
    );
    let fds = p.fds.as_ref().unwrap();
    assert_eq!(fds.len(), 4);
    let fd3 = fds.iter().find(|f| f.fd == 3).unwrap();
    assert!(fd3.target.as_ref().unwrap().as_bytes().ends_with(b"/lab20"));
    assert_eq!(fd3.kind, procsift::model::FdKind::Dir);
    let t = &p.threads.as_ref().unwrap()[0];
    assert_eq!((t.tid, t.signal), (1, Some(11)));
    assert!(t.pc.is_some() && t.sp.is_some());
}

/// One spelling of the data model and byte order from every input (docs/schema.md: lower case): each
/// core's JSON says `ilp32`/`lp64` and `little`/`big`, and agrees with its ELF class and `EI_DATA`.
#[test]
fn data_model_and_byte_order_are_lower_case_from_every_core() {
    let cores = [
        ("linux/elfutils-testfile67-s390x.core", "lp64", "big"),
        ("linux/elfutils-testfile_i686_core", "ilp32", "little"),
        ("linux/lldb-linux-mipsel-gnuabio32.core", "ilp32", "little"),
        ("linux/elfutils-testfile-m68k-core", "ilp32", "big"),
        ("freebsd/bsi-amd64-bsi-k.core", "lp64", "little"),
        ("netbsd/lldb-1lwp_SIGSEGV.aarch64.core", "lp64", "little"),
        ("illumos/nsu-a.chepenkov-lab20-i386.core", "ilp32", "little"),
        ("illumos/nsu-k.kozlov-lab16-amd64.core", "lp64", "little"),
    ];
    for (rel, model, order) in cores {
        let v = serde_json::to_value(load(rel)).unwrap();
        assert_eq!(v["host"]["data_model"], model, "{rel}");
        assert_eq!(v["host"]["byte_order"], order, "{rel}");
        assert_eq!(v["core"]["byte_order"], order, "{rel}");
        for p in v["processes"].as_array().unwrap() {
            if let Some(m) = p.get("data_model") {
                assert_eq!(m, model, "{rel}: process data_model");
            }
        }
    }
}
