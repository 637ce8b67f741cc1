//! Cores of other architectures, made at test time: a freestanding program built by Debian's cross
//! compilers crashes under qemu-user, which writes an ELF core of its guest (`qemu_<prog>_<time>_<pid>.core`).
//! Covers the ABIs the corpus lacks (ppc, ppc64 big-endian, mips o32 big-endian, mips n32, mips n64,
//! s390x) with known argv, environment, pid and signal, and `readelf -n` agreement.
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
