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

fn cli(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let out = common::bin().args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `signals CORE` works on a corpus core of each system, from the signal state the core records.
#[test]
fn signals_on_a_core_of_each_system() {
    for rel in [
        "linux/elfutils-testfile71-x86_64.core",
        "freebsd/bsi-amd64-bsi-k.core",
        "netbsd/lldb-2lwp_t2_SIGSEGV.amd64.core",
        "illumos/nsu-k.kozlov-lab16-amd64.core",
    ] {
        let s = load(rel);
        let table = only(&s)
            .signal_actions
            .as_ref()
            .unwrap_or_else(|| panic!("{rel}"));
        let segv = table
            .iter()
            .find(|a| a.name.as_deref() == Some("SIGSEGV"))
            .unwrap_or_else(|| panic!("{rel}: no SIGSEGV row"));
        assert!(segv.blocked.is_some() && segv.pending.is_some(), "{rel}");
        let path = corpus(rel);
        let (ok, out, err) = cli(&["signals".as_ref(), path.as_os_str()]);
        assert!(ok && out.contains("SIGSEGV"), "{rel}: {err}");
    }
    // FreeBSD and NetBSD record dispositions (ki_sigcatch/ki_sigignore, cpi_sigcatch/cpi_sigignore).
    let s = load("freebsd/bsi-amd64-bsi-k.core");
    assert!(
        only(&s)
            .signal_actions
            .iter()
            .flatten()
            .all(|a| ["default", "caught", "ignored"].contains(&a.action.as_str()))
    );
    // illumos: the action of the signal being delivered (pr_action) and nothing made up for the others.
    let s = load("illumos/nsu-k.kozlov-lab16-amd64.core");
    let t = only(&s).signal_actions.as_ref().unwrap();
    assert_eq!(t[10].action, "default", "SIGSEGV's pr_action");
    assert_eq!(t[0].action, "", "SIGHUP's action is not in the core");
}

/// FreeBSD 8-11 on i386 wrote a prpsinfo without pr_pid; without NT_PROCSTAT_PROC the pid is unknown:
/// absent from JSON and `-` in tables, never 0. Made from the i386 corpus core by renaming its
/// NT_PROCSTAT_PROC note (type 8) to an unknown type.
#[test]
fn freebsd_unknown_pid_is_absent_not_zero() {
    let path = corpus("freebsd/bsi-i386-bsi.core");
    let mut bytes = std::fs::read(&path).unwrap();
    let c = procsift::formats::elfcore::Core::parse(&bytes).unwrap();
    let at = c.notes.iter().find(|n| n.n_type == 8).unwrap().offset as usize;
    drop(c);
    bytes[at + 8..at + 12].copy_from_slice(&999u32.to_le_bytes());
    let s = analyze(&bytes, "no-pid").unwrap();
    assert_eq!(only(&s).known_pid(), None);
    let json = serde_json::to_value(only(&s)).unwrap();
    assert!(json.get("pid").is_none(), "{}", json.get("pid").unwrap());
    assert!(s.warnings.iter().any(|w| w.member == "NT_PRPSINFO"));
    let dir = common::TempDir::new("nopid");
    let file = dir.path().join("core");
    std::fs::write(&file, &bytes).unwrap();
    let (ok, out, err) = cli(&["ps".as_ref(), file.as_os_str()]);
    assert!(ok, "{err}");
    let row = out.lines().nth(1).unwrap();
    assert!(row.trim_start().starts_with('-'), "{out}");
    assert!(!out.contains("2147483648"), "{out}");
    let (ok, out, _) = cli(&["core".as_ref(), file.as_os_str()]);
    assert!(
        ok && out.contains("  pid ") && !out.contains("pid      0"),
        "{out}"
    );
    let (ok, out, _) = cli(&[
        "ps".as_ref(),
        file.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["processes"][0].get("pid").is_none(),
        "{}",
        v["processes"][0]
    );
}

/// A Linux core records no fds: `info` says so instead of 0.
#[test]
fn linux_core_info_has_no_made_up_fd_count() {
    let path = corpus("linux/elfutils-testfile71-x86_64.core");
    let (ok, out, _) = cli(&["info".as_ref(), path.as_os_str()]);
    assert!(ok);
    let line = out.lines().find(|l| l.starts_with("open fds")).unwrap();
    assert!(!line.ends_with(" 0"), "{line}");
    let (ok, out, _) = cli(&[
        "info".as_ref(),
        path.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["counts"].get("fds").is_none(), "{}", v["counts"]);
    // The illumos core records its fds (4 NT_FDINFO), its host name and page size.
    let path = corpus("illumos/nsu-k.kozlov-lab16-amd64.core");
    let (ok, out, _) = cli(&[
        "info".as_ref(),
        path.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["counts"]["fds"], 4);
    assert_eq!(v["host"]["hostname"], "fit-main");
    assert_eq!(v["host"]["page_size"], 4096);
}

/// NetBSD: auxv 13 is AT_STACKBASE, the LWP notes are named by their ptrace request, SI_NOINFO is named,
/// and the executable comes from AT_SUN_EXECNAME.
#[test]
fn netbsd_names() {
    let s = load("netbsd/lldb-1lwp_SIGSEGV.aarch64.core");
    let info = s.core.as_ref().unwrap();
    let auxv13 = info.auxv.iter().find(|a| a.kind == 13).unwrap();
    assert_eq!(auxv13.name.as_deref(), Some("AT_STACKBASE"));
    let lwp: Vec<Option<&str>> = info
        .notes
        .iter()
        .filter(|n| n.owner.starts_with("NetBSD-CORE@"))
        .map(|n| n.name.as_deref())
        .collect();
    assert_eq!(lwp, [Some("PT_GETREGS"), Some("PT_GETFPREGS")]);
    let sig = info.signal.as_ref().unwrap();
    assert_eq!(sig.code, Some(32767));
    assert!(sig.code_name.as_deref().unwrap().starts_with("SI_NOINFO"));
    assert_eq!(
        only(&s).exe.as_ref().unwrap().as_bytes(),
        b"/tmp/netbsd-core/./1lwp_SIGSEGV.evbarm"
    );
    let s = load("netbsd/lldb-2lwp_t2_SIGSEGV.amd64.core");
    assert!(
        s.core
            .as_ref()
            .unwrap()
            .notes
            .iter()
            .all(|n| n.name.is_some()),
        "every NetBSD amd64 note is named"
    );
}

/// FreeBSD 12+ writes one NT_PTLWPINFO per thread: its siginfo gives the code and the fault address.
/// Written by the test-only writer (the corpus' FreeBSD cores are 11.x), offsets from `sys/sys/ptrace.h`
/// and `sys/sys/procfs.h` by hand; also the umask and rlimit notes, which the core report shows.
#[test]
fn freebsd_ptlwpinfo_siginfo() {
    use common::core_writer::CoreWriter;
    let mut w = CoreWriter::new(true, false, 62).osabi(9);
    let mut ps = CoreWriter::zeroed(120);
    w.put(&mut ps, 0, 4, 1);
    w.put(&mut ps, 8, 8, 120);
    ps[16..19].copy_from_slice(b"srv");
    ps[33..39].copy_from_slice(b"srv -d");
    w.put(&mut ps, 116, 4, 3131);
    w.note("FreeBSD", 3, ps);
    // prstatus_t: version, statussz, gregsetsz, fpregsetsz, osreldate 32, cursig 36, pid (lwp) 40; then
    // struct reg (amd64: 25 registers of 8 bytes, rip at slot 20? not checked here).
    let mut st = CoreWriter::zeroed(48 + 200);
    w.put(&mut st, 0, 4, 1);
    w.put(&mut st, 32, 4, 1_400_000);
    w.put(&mut st, 36, 4, 11);
    w.put(&mut st, 40, 4, 100_777);
    w.note("FreeBSD", 1, st);
    // NT_PTLWPINFO: int structsize (160), then ptrace_lwpinfo: pl_lwpid 0, pl_event 4, pl_flags 8,
    // pl_sigmask 12, pl_siglist 28, pl_siginfo 48 (si_signo +0, si_errno +4, si_code +8, si_pid +12,
    // si_uid +16, si_status +20, si_addr +24), pl_tdname 128.
    let mut lwp = CoreWriter::zeroed(4 + 160);
    w.put(&mut lwp, 0, 4, 160);
    let l = 4;
    w.put(&mut lwp, l, 4, 100_777);
    w.put(&mut lwp, l + 4, 4, 1);
    w.put(&mut lwp, l + 8, 4, 0x20);
    w.put(&mut lwp, l + 12, 4, 1 << 29); // SIGUSR1 (30) blocked
    w.put(&mut lwp, l + 48, 4, 11);
    w.put(&mut lwp, l + 56, 4, 2); // SEGV_ACCERR
    w.put(&mut lwp, l + 72, 8, 0x7fff_dead_b000);
    lwp[l + 128..l + 132].copy_from_slice(b"main");
    w.note("FreeBSD", 17, lwp);
    let mut umask = CoreWriter::zeroed(6);
    w.put(&mut umask, 0, 4, 2);
    w.put(&mut umask, 4, 2, 0o027);
    w.note("FreeBSD", 12, umask);
    let mut rl = CoreWriter::zeroed(4 + 16 * 16);
    w.put(&mut rl, 0, 4, 16);
    for i in 0..16 {
        w.put(&mut rl, 4 + 16 * i, 8, i64::MAX as u64);
        w.put(&mut rl, 12 + 16 * i, 8, i64::MAX as u64);
    }
    w.put(&mut rl, 4 + 16 * 8, 8, 1024); // nofile soft
    w.note("FreeBSD", 13, rl);
    let bytes = w.build();
    let s = analyze(&bytes, "ptlwpinfo").unwrap();
    let p = only(&s);
    assert_eq!(p.pid, 3131);
    let sig = s.core.as_ref().unwrap().signal.as_ref().unwrap();
    assert_eq!(
        (sig.number, sig.code, sig.fault_address, sig.thread),
        (11, Some(2), Some(0x7fff_dead_b000), Some(100_777))
    );
    assert!(sig.code_name.as_deref().unwrap().starts_with("SEGV_ACCERR"));
    let t = &p.threads.as_ref().unwrap()[0];
    assert_eq!(t.sig_blocked.as_deref(), Some("0000000020000000"));
    assert_eq!(t.name.as_ref().unwrap().as_bytes(), b"main");
    assert_eq!(p.umask, Some(0o027));
    let dir = common::TempDir::new("fbsd");
    let file = dir.path().join("core");
    std::fs::write(&file, &bytes).unwrap();
    let (ok, out, err) = cli(&["core".as_ref(), file.as_os_str()]);
    assert!(ok, "{err}");
    assert!(out.contains("0x7fffdeadb000"), "{out}");
    assert!(out.contains("umask") && out.contains("0027"), "{out}");
    assert!(
        out.contains("nofile") && out.contains("1024 / unlimited"),
        "{out}"
    );
}

/// illumos NT_SECFLAGS and NT_LWPNAME that cannot be decoded are warnings naming the note and its offset,
/// not silence. Made from the amd64 corpus core by shrinking each note's descriptor to 4 bytes (the walk
/// then resynchronizes on the next note).
#[test]
fn illumos_secflags_and_lwpname_errors_are_warnings() {
    for (t, name) in [(24u32, "NT_SECFLAGS"), (25, "NT_LWPNAME")] {
        let path = corpus("illumos/nsu-k.kozlov-lab16-amd64.core");
        let mut bytes = std::fs::read(&path).unwrap();
        let c = procsift::formats::elfcore::Core::parse(&bytes).unwrap();
        let n = c
            .notes
            .iter()
            .find(|n| n.n_type == t && n.name == b"CORE")
            .unwrap();
        let (at, desc_at) = (n.offset as usize, n.desc_offset);
        drop(c);
        bytes[at + 4..at + 8].copy_from_slice(&4u32.to_le_bytes());
        let s = analyze(&bytes, "shrunk").unwrap();
        assert!(
            s.warnings
                .iter()
                .any(|w| w.member == name && w.offset == Some(desc_at)),
            "{name}: {:?}",
            s.warnings
        );
    }
}

/// A truncated NT_SIGINFO is no signal at all: the thread's pr_cursig stays in charge (it used to become
/// a default siginfo with signal 0). Written by the test-only writer: an x86_64 prstatus (cursig 11 at 12,
/// pr_pid at 32) followed by an 8-byte NT_SIGINFO.
#[test]
fn truncated_siginfo_does_not_override_pr_cursig() {
    use common::core_writer::CoreWriter;
    let mut w = CoreWriter::new(true, false, 62);
    let mut st = CoreWriter::zeroed(336);
    w.put(&mut st, 0, 4, 11);
    w.put(&mut st, 12, 2, 11);
    w.put(&mut st, 32, 4, 777);
    w.note("CORE", 1, st);
    w.note("CORE", 0x5349_4749, vec![11, 0, 0, 0, 0, 0, 0, 0]);
    let s = analyze(&w.build(), "short-siginfo").unwrap();
    let p = only(&s);
    assert_eq!(p.threads.as_ref().unwrap()[0].signal, Some(11));
    assert_eq!(signal(&s), 11);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.member == "NT_SIGINFO" && w.offset.is_some()),
        "{:?}",
        s.warnings
    );
}
