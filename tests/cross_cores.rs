//! Cores of other architectures, made at test time: a freestanding program built by Debian's cross
//! compilers crashes under qemu-user, which writes an ELF core of its guest (`qemu_<prog>_<time>_<pid>.core`).
//! Covers the ABIs the corpus lacks (ppc, ppc64 big-endian, mips o32 big-endian, mips n32, mips n64,
//! s390x, sh4) with known argv, environment, pid and signal, and `readelf -n` agreement. qemu-user
//! writes no core for alpha and hppa, and Debian has no loongarch64 compiler: their cores are written by
//! the test-only writer from the layout reference (the last test).
//! `.ci/run` installs qemu-user and the cross compilers.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use procsift::analyze::core::analyze;

const LONG_ARG: &str =
    "an argument longer than the eighty bytes of pr_psargs, so only the stack has all of it";

/// (compiler, extra flags, qemu, expected arch, expected byte order).
const TARGETS: &[(&str, &[&str], &str, &str, &str)] = &[
    ("powerpc64-linux-gnu-gcc", &[], "qemu-ppc64", "ppc64", "big"),
    ("powerpc-linux-gnu-gcc", &[], "qemu-ppc", "ppc", "big"),
    ("mips-linux-gnu-gcc", &[], "qemu-mips", "mips-o32", "big"),
    (
        "mips64el-linux-gnuabi64-gcc",
        &[],
        "qemu-mips64el",
        "mips-n64",
        "little",
    ),
    (
        "mips64el-linux-gnuabi64-gcc",
        &["-mabi=n32"],
        "qemu-mipsn32el",
        "mips-n32",
        "little",
    ),
    ("s390x-linux-gnu-gcc", &[], "qemu-s390x", "s390x", "big"),
    ("sh4-linux-gnu-gcc", &[], "qemu-sh4", "sh", "little"),
];

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

fn make_core(dir: &Path, cc: &str, flags: &[&str], qemu: &str) -> (PathBuf, u32) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/bare_crash.c");
    let exe = dir.join("prog");
    let out = Command::new(cc)
        .args(flags)
        .args([
            "-static",
            "-nostdlib",
            "-ffreestanding",
            "-fno-stack-protector",
            "-O0",
            "-o",
        ])
        .arg(&exe)
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cc}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // qemu kills itself with SIGSEGV after writing the guest's core; the 32 MiB limit lets the guest core
    // (about 8 MiB) through and keeps the kernel's core of qemu itself small.
    let child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -c 32768 && exec \"$@\"")
        .arg("sh")
        .arg(qemu)
        .args(["./prog", "first", "b b", LONG_ARG])
        .current_dir(dir)
        .env_clear()
        .env("PROCSIFT_CROSS_MARKER", "qemu-user")
        .spawn()
        .unwrap();
    let pid = child.id();
    let _ = child.wait_with_output();
    let core = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("qemu_prog_") && n.ends_with(".core")
        })
        .unwrap_or_else(|| panic!("{qemu} wrote no core in {}", dir.display()));
    (core, pid)
}

#[test]
fn qemu_user_cores_of_other_architectures() {
    let missing: Vec<&str> = TARGETS
        .iter()
        .flat_map(|(cc, _, q, _, _)| [*cc, *q])
        .filter(|t| !have(t))
        .collect();
    assert!(
        missing.is_empty(),
        "missing {missing:?}: .ci/run installs qemu-user and the cross compilers"
    );
    for (cc, flags, qemu, arch, order) in TARGETS {
        let dir = common::TempDir::new("xcore");
        let (core, pid) = make_core(dir.path(), cc, flags, qemu);
        let bytes = std::fs::read(&core).unwrap();
        let s = analyze(&bytes, "core").unwrap_or_else(|e| panic!("{arch}: {e}"));
        let info = s.core.as_ref().unwrap();
        assert_eq!(
            (info.arch.as_str(), info.byte_order.name()),
            (*arch, *order),
            "{arch}"
        );
        let p = &s.processes[0];
        assert_eq!(
            p.pid, pid as i32,
            "{arch}: sh exec'd qemu, whose pid is the guest's"
        );
        assert_eq!(p.comm.as_ref().unwrap().as_bytes(), b"prog", "{arch}");
        assert_eq!(info.signal.as_ref().map(|s| s.number), Some(11), "{arch}");
        let argv: Vec<String> = p.argv.iter().flatten().map(|a| a.escaped()).collect();
        assert_eq!(argv, ["./prog", "first", "b b", LONG_ARG], "{arch}");
        let env: Vec<String> = p.env.iter().flatten().map(|a| a.escaped()).collect();
        assert!(
            env.iter().any(|e| e == "PROCSIFT_CROSS_MARKER=qemu-user"),
            "{arch}: {env:?}"
        );
        // pc in the program's executable mapping, sp in a writable one.
        let t = &p.threads.as_ref().unwrap()[0];
        let (pc, sp) = (t.pc.unwrap(), t.sp.unwrap());
        let maps = p.maps.as_ref().unwrap();
        let at = |a: u64| maps.iter().find(|m| m.start <= a && a < m.end);
        assert!(
            at(pc).is_some_and(|m| m.perms.contains('x')),
            "{arch}: pc {pc:#x}"
        );
        assert!(
            at(sp).is_some_and(|m| m.perms.contains('w')),
            "{arch}: sp {sp:#x}"
        );
        // The notes agree with readelf.
        let out = Command::new("readelf")
            .args(["-n", "-W"])
            .arg(&core)
            .output()
            .unwrap();
        let theirs: Vec<(String, u64)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut f = l.split_whitespace();
                let owner = f.next().filter(|o| !o.starts_with("0x"))?;
                let size = u64::from_str_radix(f.next()?.strip_prefix("0x")?, 16).ok()?;
                f.next()?;
                Some((owner.to_string(), size))
            })
            .collect();
        let ours: Vec<(String, u64)> = info
            .notes
            .iter()
            .map(|n| (n.owner.clone(), n.size))
            .collect();
        assert_eq!(ours, theirs, "{arch}");
    }
}

/// The layout of one Linux ABI as the layout reference gives it (docs/core-layouts.md), for the cores
/// written below: offsets are written here by hand, not taken from the decoder.
struct Layout {
    arch: &'static str,
    machine: u16,
    is_64: bool,
    big: bool,
    prstatus_size: usize,
    /// Offset of `pr_pid` (ppid, pgrp, sid follow, 4 bytes each).
    pr_pid: usize,
    /// Offset of `pr_sigpend` and its width (`pr_sighold` follows).
    sigpend: (usize, usize),
    /// Offset of `pr_reg`, register width, pc slot, sp slot.
    regs: (usize, usize, usize, usize),
    prpsinfo_size: usize,
    /// Offsets of `pr_uid` (and its width), `pr_pid`, `pr_fname`, `pr_psargs` in `elf_prpsinfo`.
    psinfo: (usize, usize, usize, usize, usize),
    /// SIGBUS on this ABI.
    sigbus: i32,
}

const WRITTEN: &[Layout] = &[
    Layout {
        arch: "alpha",
        machine: 0x9026,
        is_64: true,
        big: false,
        prstatus_size: 384,
        pr_pid: 32,
        sigpend: (16, 8),
        regs: (112, 8, 31, 30),
        prpsinfo_size: 136,
        psinfo: (16, 4, 24, 40, 56),
        sigbus: 10,
    },
    Layout {
        arch: "hppa",
        machine: 15,
        is_64: false,
        big: true,
        prstatus_size: 396,
        pr_pid: 24,
        sigpend: (16, 4),
        regs: (72, 4, 40, 30),
        prpsinfo_size: 128,
        psinfo: (8, 4, 16, 32, 48),
        sigbus: 10,
    },
    Layout {
        arch: "loongarch64",
        machine: 258,
        is_64: true,
        big: false,
        prstatus_size: 480,
        pr_pid: 32,
        sigpend: (16, 8),
        regs: (112, 8, 33, 3),
        prpsinfo_size: 136,
        psinfo: (16, 4, 24, 40, 56),
        sigbus: 7,
    },
];

/// Cores of architectures qemu-user cannot dump (alpha, hppa) or Debian has no compiler for
/// (loongarch64), written by the test-only writer from the layout reference: a SIGBUS at a known
/// address, pid, credentials, registers, NT_FILE and a stack with argv and environment.
#[test]
fn written_cores_of_alpha_hppa_and_loongarch64() {
    use common::core_writer::{CoreWriter, PF_R, PF_W, PF_X, linux_stack};
    for l in WRITTEN {
        let mut w = CoreWriter::new(l.is_64, l.big, l.machine);
        let word = if l.is_64 { 8 } else { 4 };
        let (text, stack_base) = (0x10000u64, 0x7f00_0000u64);
        let (pc, sp) = (text + 0x124, stack_base + 0x40);
        let mut st = CoreWriter::zeroed(l.prstatus_size);
        w.put(&mut st, 0, 4, l.sigbus as u64); // pr_info.si_signo
        w.put(&mut st, 12, 2, l.sigbus as u64); // pr_cursig
        w.put(&mut st, l.sigpend.0, l.sigpend.1, 1 << 1); // SIGINT pending
        w.put(&mut st, l.sigpend.0 + l.sigpend.1, l.sigpend.1, 1 << 14); // SIGTERM-ish blocked
        for (i, v) in [4242u64, 4241, 4242, 4200].iter().enumerate() {
            w.put(&mut st, l.pr_pid + 4 * i, 4, *v);
        }
        let (reg, width, pc_slot, sp_slot) = l.regs;
        // hppa's iaoq[0] carries the privilege level (3, user) in its low bits.
        let pc_raw = if l.arch == "hppa" { pc | 3 } else { pc };
        w.put(&mut st, reg + pc_slot * width, width, pc_raw);
        w.put(&mut st, reg + sp_slot * width, width, sp);
        w.note("CORE", 1, st);

        let mut ps = CoreWriter::zeroed(l.prpsinfo_size);
        let (uid, uid_w, pid, fname, psargs) = l.psinfo;
        ps[1] = b'R';
        w.put(&mut ps, uid, uid_w, 70_001);
        w.put(&mut ps, uid + uid_w, uid_w, 70_002);
        for (i, v) in [4242u64, 4241, 4242, 4200].iter().enumerate() {
            w.put(&mut ps, pid + 4 * i, 4, *v);
        }
        ps[fname..fname + 4].copy_from_slice(b"prog");
        ps[psargs..psargs + 9].copy_from_slice(b"prog -x y");
        w.note("CORE", 3, ps);

        let mut si = CoreWriter::zeroed(128);
        w.put(&mut si, 0, 4, l.sigbus as u64);
        w.put(&mut si, 8, 4, 2); // BUS_ADRERR
        w.put(&mut si, if l.is_64 { 16 } else { 12 }, word, 0xdead_0000);
        w.note("CORE", 0x5349_4749, si);

        let (stack, auxv) = linux_stack(
            stack_base,
            word,
            l.big,
            &["/usr/bin/prog", "-x", "y y"],
            &["PROCSIFT_WRITTEN=1"],
            &[(6, 8192), (3, text + 0x40)],
        );
        w.note("CORE", 6, auxv);

        let path = b"/usr/bin/prog\0";
        let mut file = CoreWriter::zeroed(2 * word + 3 * word);
        w.put(&mut file, 0, word, 1);
        w.put(&mut file, word, word, 8192);
        w.put(&mut file, 2 * word, word, text);
        w.put(&mut file, 3 * word, word, text + 0x2000);
        w.put(&mut file, 4 * word, word, 0);
        file.extend_from_slice(path);
        w.note("CORE", 0x4649_4c45, file);

        w.load(text, Vec::new(), 0x2000, PF_R | PF_X);
        let len = stack.len() as u64;
        w.load(stack_base, stack, len, PF_R | PF_W);
        let bytes = w.build();

        let s = analyze(&bytes, "written").unwrap_or_else(|e| panic!("{}: {e}", l.arch));
        let info = s.core.as_ref().unwrap();
        assert_eq!(info.arch, l.arch);
        assert!(s.warnings.is_empty(), "{}: {:?}", l.arch, s.warnings);
        let p = &s.processes[0];
        assert_eq!(
            (p.pid, p.ppid, p.sid),
            (4242, Some(4241), Some(4200)),
            "{}",
            l.arch
        );
        assert_eq!(p.comm.as_ref().unwrap().as_bytes(), b"prog", "{}", l.arch);
        assert_eq!(
            (p.cred.uid, p.cred.gid),
            (Some(70_001), Some(70_002)),
            "{}",
            l.arch
        );
        let sig = info.signal.as_ref().unwrap();
        assert_eq!(
            (sig.number, sig.name.as_deref(), sig.fault_address),
            (l.sigbus, Some("SIGBUS"), Some(0xdead_0000)),
            "{}",
            l.arch
        );
        assert!(
            sig.code_name
                .as_deref()
                .unwrap_or("")
                .starts_with("BUS_ADRERR"),
            "{}: {sig:?}",
            l.arch
        );
        let t = &p.threads.as_ref().unwrap()[0];
        assert_eq!(
            (t.tid, t.pc, t.sp),
            (4242, Some(pc), Some(sp)),
            "{}",
            l.arch
        );
        assert_eq!(
            t.sig_pending.as_deref(),
            Some("0000000000000002"),
            "{}",
            l.arch
        );
        let maps = p.maps.as_ref().unwrap();
        let m = maps.iter().find(|m| m.start == text).unwrap();
        assert_eq!(
            m.path.as_ref().unwrap().as_bytes(),
            b"/usr/bin/prog",
            "{}",
            l.arch
        );
        assert_eq!(
            p.exe.as_ref().unwrap().as_bytes(),
            b"/usr/bin/prog",
            "{}",
            l.arch
        );
        let argv: Vec<String> = p.argv.iter().flatten().map(|a| a.escaped()).collect();
        assert_eq!(argv, ["/usr/bin/prog", "-x", "y y"], "{}", l.arch);
        assert_eq!(
            p.env
                .iter()
                .flatten()
                .map(|a| a.escaped())
                .collect::<Vec<_>>(),
            ["PROCSIFT_WRITTEN=1"],
            "{}",
            l.arch
        );
        assert_eq!(s.host.page_size, Some(8192), "{}", l.arch);
        // The signals report reads the masks the core records.
        let sigint = p
            .signal_actions
            .as_ref()
            .unwrap()
            .iter()
            .find(|a| a.signal == 2)
            .unwrap();
        assert_eq!(sigint.pending, Some(true), "{}", l.arch);
    }
}
