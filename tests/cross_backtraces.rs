//! Backtraces of other architectures' cores, made at test time: a freestanding call chain
//! (testdata/fixtures/bare_chain.c: _start -> chain_a -> chain_b -> chain_c, which faults) built by
//! Debian's cross compilers at -O0 -g and at -O2 -fomit-frame-pointer, run under qemu-user, which
//! writes the guest's core. qemu's cores name no files (no NT_FILE), so the program is given with
//! `--exe`, as to `gdb EXE CORE`, and checked against the core's auxv. For every architecture that
//! procsift unwinds with CFI, the chain must come out in order, found by CFI (s390x: leaf functions
//! keep the caller's registers in floating-point registers a core's general registers do not
//! have, so a stack scan may take over there). `.ci/run` installs qemu-user and the cross compilers.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// (compiler, extra flags, qemu, procsift's arch name, whether every caller must be found by CFI).
/// mips: without libc nothing sets up $gp, so the program is built without PIC calls; and its gcc
/// emits no .eh_frame for C unless asked.
const TARGETS: &[(&str, &[&str], &str, &str, bool)] = &[
    (
        "aarch64-linux-gnu-gcc",
        &[],
        "qemu-aarch64",
        "aarch64",
        true,
    ),
    ("i686-linux-gnu-gcc", &[], "qemu-i386", "i386", true),
    ("powerpc64-linux-gnu-gcc", &[], "qemu-ppc64", "ppc64", true),
    ("powerpc-linux-gnu-gcc", &[], "qemu-ppc", "ppc", true),
    ("s390x-linux-gnu-gcc", &[], "qemu-s390x", "s390x", false),
    (
        "mips-linux-gnu-gcc",
        &["-mno-abicalls", "-fno-pic", "-fasynchronous-unwind-tables"],
        "qemu-mips",
        "mips-o32",
        true,
    ),
    (
        "mips64el-linux-gnuabi64-gcc",
        &["-mno-abicalls", "-fno-pic", "-fasynchronous-unwind-tables"],
        "qemu-mips64el",
        "mips-n64",
        true,
    ),
];

const CHAIN: &[&str] = &["chain_c", "chain_b", "chain_a", "_start"];

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

fn build(dir: &Path, cc: &str, flags: &[&str], name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/bare_chain.c");
    let exe = dir.join(name);
    let out = Command::new(cc)
        .args(flags)
        .args([
            "-static",
            "-nostdlib",
            "-ffreestanding",
            "-fno-stack-protector",
            "-Wl,-e,_start",
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
    exe
}

fn qemu_core(dir: &Path, qemu: &str, exe: &Path) -> PathBuf {
    let _ = Command::new("sh")
        .arg("-c")
        .arg("ulimit -c 32768 && exec \"$@\"")
        .arg("sh")
        .arg(qemu)
        .arg(exe)
        .current_dir(dir)
        .output()
        .unwrap();
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("qemu_") && n.ends_with(".core")
        })
        .unwrap_or_else(|| panic!("{qemu} wrote no core in {}", dir.display()))
}

/// The signalled thread's frames and the JSON warnings, from `threads CORE --stack --format json`.
fn frames(core: &Path, exe: &Path) -> (Vec<Value>, Value, Value) {
    let out = common::bin()
        .arg("threads")
        .arg(core)
        .arg("--stack")
        .arg("--exe")
        .arg(exe)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = v["threads"][0]["frames"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    (f, v["warnings"].clone(), v["core"].clone())
}

#[test]
fn qemu_user_cores_unwind_with_cfi() {
    let missing: Vec<&str> = TARGETS
        .iter()
        .flat_map(|(cc, _, q, _, _)| [*cc, *q])
        .filter(|t| !have(t))
        .collect();
    assert!(
        missing.is_empty(),
        "missing {missing:?}: .ci/run installs qemu-user and the cross compilers"
    );
    for (cc, extra, qemu, arch, all_cfi) in TARGETS {
        for (flags, debug) in [
            (&["-O0", "-g"][..], true),
            (&["-O2", "-fomit-frame-pointer"][..], false),
        ] {
            let what = format!("{arch} {flags:?}");
            let dir = common::TempDir::new("xbt");
            let flags = [flags, extra].concat();
            let exe = build(dir.path(), cc, &flags, "prog");
            let core = qemu_core(dir.path(), qemu, &exe);
            let (f, warnings, info) = frames(&core, &exe);
            assert_eq!(info["arch"], *arch, "{what}");
            let names: Vec<&str> = f
                .iter()
                .take(CHAIN.len())
                .map(|x| x["function"].as_str().unwrap_or("?"))
                .collect();
            assert_eq!(names, CHAIN, "{what}: {f:#?}\n{warnings}");
            assert_eq!(f[0]["found_by"], "context", "{what}");
            for x in &f[1..CHAIN.len()] {
                if *all_cfi {
                    assert_eq!(x["found_by"], "cfi", "{what}: {x}");
                } else {
                    assert!(
                        x["found_by"] == "cfi" || x["found_by"] == "scan",
                        "{what}: {x}"
                    );
                }
                assert!(x["module"].as_str().unwrap().ends_with("prog"), "{what}");
            }
            assert_eq!(f[1]["found_by"], "cfi", "{what}: the leaf's caller");
            if debug {
                assert!(
                    f[..CHAIN.len()].iter().all(|x| x["file"]
                        .as_str()
                        .is_some_and(|p| p.ends_with("bare_chain.c"))
                        && x["line"].is_u64()),
                    "{what}: {f:#?}"
                );
            }
            let module = info["modules"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["frames"].as_u64() > Some(0))
                .cloned()
                .unwrap();
            // Checked against the build-id when qemu dumped the header page, else against the auxv.
            assert!(
                module["status"] == "used: build-id matches"
                    || module["status"] == "used: headers match (no build-id)",
                "{what}: {module}"
            );

            // Another build of the program, linked elsewhere, is not this one: the build-id or the
            // auxv (program headers, entry point) says so, and nothing is named. (Without a
            // build-id the auxv is all a qemu core has: a rebuild with the very same layout would
            // pass it, as the README says.)
            let other = build(
                dir.path(),
                cc,
                &[&flags[..], &["-Wl,-Ttext-segment=0x30000000"]].concat(),
                "other",
            );
            let (g, warnings, _) = frames(&core, &other);
            assert!(
                g.iter().all(|x| x.get("function").is_none()),
                "{what}: a mismatched file must not name frames: {g:#?}"
            );
            assert!(
                warnings.to_string().contains("not used: build-id mismatch"),
                "{what}: {warnings}"
            );
        }
    }
}

/// Every core of the shared corpus, unwound without module files: nothing fails, every thread with a
/// pc has its context frame first; lldb's NetBSD cores, whose tests assert the backtraces bar, foo,
/// main (and bar, foo, lwp_main in thread 2), have at least those three frames from the frame-pointer
/// chain (the binaries are not in the corpus, so only their number can be checked).
#[test]
fn corpus_cores_unwind_without_modules() {
    use procsift::analyze::core::analyze_with_stacks;
    use procsift::unwind::NoModules;
    let mut seen = 0;
    for os in ["linux", "freebsd", "illumos", "netbsd"] {
        let dir = common::corpus(os);
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = e.path();
            if !path.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let Ok(s) = analyze_with_stacks(&bytes, "corpus", &NoModules) else {
                continue;
            };
            seen += 1;
            for t in s.processes[0].threads.iter().flatten() {
                let Some(pc) = t.pc else { continue };
                let f = t.frames.as_ref().expect("unwound");
                assert_eq!(
                    (f[0].pc, f[0].found_by.as_str()),
                    (pc, "context"),
                    "{path:?}"
                );
            }
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let lldb_thread = match name.as_str() {
                "lldb-1lwp_SIGSEGV.amd64.core" | "lldb-1lwp_SIGSEGV.aarch64.core" => Some(1),
                "lldb-2lwp_t2_SIGSEGV.amd64.core" => Some(2),
                _ => None,
            };
            if let Some(tid) = lldb_thread {
                let t = s.processes[0]
                    .threads
                    .iter()
                    .flatten()
                    .find(|t| t.tid == tid)
                    .unwrap();
                let f = t.frames.as_ref().unwrap();
                assert!(f.len() >= 3, "{name}: {f:#?}");
                assert!(
                    f[1..3].iter().all(|x| x.found_by == "frame-pointer"),
                    "{name}: {f:#?}"
                );
            }
        }
    }
    assert!(seen >= 20, "{seen} corpus cores");
}
