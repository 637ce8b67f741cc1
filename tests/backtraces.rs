//! Backtraces of cores made at test time, checked against gdb's `thread apply all bt` on the same
//! core and binary: a C program with known call chains (testdata/fixtures/callchain.c: three threads, each
//! blocked or crashing several named functions deep) built at `-O0 -g` and at `-O2
//! -fomit-frame-pointer` without debug information, dumped by the kernel (a fault, an abort) and by
//! gdb's `gcore`. Every frame of the program must have gdb's function name (and at -O0 -g its file
//! and line); the same cores with an empty `--sysroot` still list every thread's frames.
//! Linux only: it needs the kernel's cores, ptrace and gdb.
#![cfg(target_os = "linux")]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::TempDir;
use serde_json::Value;

/// The program's own functions, as gdb and procsift name them.
const OURS: &[&str] = &[
    "main",
    "level1",
    "level2",
    "level3",
    "level3.cold",
    "alpha_start",
    "alpha_outer",
    "alpha_inner",
    "beta_start",
    "beta_outer",
    "beta_middle",
    "beta_inner",
];

/// The known chains, innermost first (what the source says, whatever gdb thinks).
const MAIN_CHAIN: &[&str] = &["level3", "level2", "level1", "main"];
const ALPHA_CHAIN: &[&str] = &["alpha_inner", "alpha_outer", "alpha_start"];
const BETA_CHAIN: &[&str] = &["beta_inner", "beta_middle", "beta_outer", "beta_start"];

fn compile(dir: &Path, flags: &[&str]) -> PathBuf {
    let exe = dir.join("callchain");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/callchain.c");
    let out = Command::new("gcc")
        .args(flags)
        .args(["-pthread", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("gcc");
    assert!(
        out.status.success(),
        "gcc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Runs the program in `mode`; returns the child and its pid once it is ready.
fn start(dir: &Path, exe: &Path, mode: &str) -> (std::process::Child, i32) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -c unlimited && exec \"$0\" \"$@\"")
        .arg(exe)
        .arg(mode)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pid = line
        .trim()
        .strip_prefix("ready ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no ready line: {line:?}"));
    (child, pid)
}

/// A kernel core of the program dying in `mode` (fault or abort).
fn kernel_core(dir: &Path, exe: &Path, mode: &str) -> PathBuf {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap();
    assert!(
        !pattern.starts_with('|') && !pattern.contains('/'),
        "core_pattern is {pattern:?}: .ci/run sets it to 'core'"
    );
    let (mut child, _) = start(dir, exe, mode);
    assert!(!child.wait().unwrap().success());
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("core"))
        .expect("the kernel wrote a core")
}

/// A gdb `gcore` of the program waiting.
fn gcore(dir: &Path, exe: &Path) -> PathBuf {
    let (mut child, pid) = start(dir, exe, "wait");
    let core = dir.join("gcore.out");
    let out = Command::new("gdb")
        .args(["-batch", "-nx", "-p", &pid.to_string(), "-ex"])
        .arg(format!("gcore {}", core.display()))
        .output()
        .expect("gdb");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        core.exists(),
        "gdb wrote no core: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    core
}

/// One frame as gdb prints it: (pc when printed, function, file basename, line).
#[derive(Debug, Clone, PartialEq)]
struct GdbFrame {
    pc: Option<u64>,
    function: String,
    file: Option<String>,
    line: Option<u32>,
}

/// `thread apply all bt` per LWP.
fn gdb_bt(exe: &Path, core: &Path) -> HashMap<i32, Vec<GdbFrame>> {
    let out = Command::new("gdb")
        .args([
            "-batch",
            "-nx",
            "-ex",
            "set width 0",
            "-ex",
            "thread apply all bt",
        ])
        .arg(exe)
        .arg(core)
        .output()
        .expect("gdb");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut threads: HashMap<i32, Vec<GdbFrame>> = HashMap::new();
    let mut tid = None;
    for line in text.lines() {
        if line.starts_with("Thread ") {
            tid = line
                .split("LWP ")
                .nth(1)
                .and_then(|s| s.split(')').next())
                .and_then(|s| s.trim().parse::<i32>().ok());
            if let Some(t) = tid {
                threads.entry(t).or_default();
            }
            continue;
        }
        let (Some(t), Some(rest)) = (tid, line.strip_prefix('#')) else {
            continue;
        };
        let rest = rest
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
        let (pc, rest) = match rest.strip_prefix("0x") {
            Some(r) => {
                let (hex, after) = r.split_once(" in ").unwrap_or((r, ""));
                (u64::from_str_radix(hex.trim(), 16).ok(), after)
            }
            None => (None, rest),
        };
        let function = rest.split(" (").next().unwrap_or("").trim().to_string();
        let (file, line_no) = match rest.rsplit_once(" at ") {
            Some((_, loc)) => {
                let (f, l) = loc.rsplit_once(':').unwrap_or((loc, ""));
                (
                    Some(f.rsplit('/').next().unwrap_or(f).to_string()),
                    l.trim().parse().ok(),
                )
            }
            None => (None, None),
        };
        threads.entry(t).or_default().push(GdbFrame {
            pc,
            // gdb names a GCC cold part `f[cold]`; the symbol (and procsift) say `f.cold`.
            function: function.replace("[cold]", ".cold"),
            file,
            line: line_no,
        });
    }
    assert!(
        !threads.is_empty(),
        "gdb printed no threads: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    threads
}

/// procsift's frames per thread, from `threads CORE --stack --format json` (plus extra arguments).
/// Returns the frames per thread and the JSON warnings as text.
fn ours(core: &Path, extra: &[&str]) -> (HashMap<i32, Vec<Value>>, String) {
    let out = common::bin()
        .args(["threads"])
        .arg(core)
        .args(["--stack", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "procsift failed: {stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = v["warnings"].to_string();
    let threads = v["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tid"].as_i64().unwrap() as i32,
                t["frames"].as_array().cloned().unwrap_or_default(),
            )
        })
        .collect();
    (threads, warnings)
}

fn is_ours(name: &str) -> bool {
    OURS.contains(&name)
}

/// The build-ids procsift read from the core's dumped header pages are the ones `eu-unstrip -n --core`
/// lists, module by module (matched by start address).
fn build_ids_match_eu_unstrip(core: &Path, what: &str) {
    let out = Command::new("eu-unstrip")
        .args(["-n", "--core"])
        .arg(core)
        .output()
        .expect("eu-unstrip (elfutils)");
    let theirs: HashMap<u64, String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let start = f.next()?.split('+').next()?.strip_prefix("0x")?;
            let id = f.next()?.split('@').next()?;
            Some((u64::from_str_radix(start, 16).ok()?, id.to_string()))
        })
        .collect();
    let v: Value = serde_json::from_slice(
        &common::bin()
            .arg("threads")
            .arg(core)
            .args(["--stack", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let mut compared = 0;
    for m in v["core"]["modules"].as_array().unwrap() {
        if let (Some(id), Some(start)) = (m["build_id"].as_str(), m["start"].as_u64()) {
            assert_eq!(
                theirs.get(&start).map(String::as_str),
                Some(id),
                "{what}: {m}"
            );
            compared += 1;
        }
    }
    assert!(
        compared >= 2,
        "{what}: the program and libc at least: {theirs:?}"
    );
}

/// Every program frame of every thread agrees with gdb; the known chains are there.
fn compare(exe: &Path, core: &Path, debug: bool, what: &str) {
    let gdb = gdb_bt(exe, core);
    let (mine, _) = ours(core, &[]);
    assert_eq!(
        {
            let mut k: Vec<_> = mine.keys().copied().collect();
            k.sort();
            k
        },
        {
            let mut k: Vec<_> = gdb.keys().copied().collect();
            k.sort();
            k
        },
        "{what}: threads"
    );
    let mut chains_seen = 0;
    for (tid, theirs) in &gdb {
        let frames = &mine[tid];
        let their_prog: Vec<&GdbFrame> = theirs.iter().filter(|f| is_ours(&f.function)).collect();
        let my_prog: Vec<&Value> = frames
            .iter()
            .filter(|f| f["function"].as_str().is_some_and(is_ours))
            .collect();
        let names = |v: &[&Value]| -> Vec<String> {
            v.iter()
                .map(|f| f["function"].as_str().unwrap().to_string())
                .collect()
        };
        let their_names: Vec<String> = their_prog.iter().map(|f| f.function.clone()).collect();
        // gdb stops at main; procsift goes on to _start: compare up to main.
        assert_eq!(
            names(&my_prog),
            their_names,
            "{what}: thread {tid}: procsift {frames:#?}\ngdb {theirs:#?}"
        );
        for (m, g) in my_prog.iter().zip(&their_prog) {
            if let Some(pc) = g.pc {
                assert_eq!(
                    m["pc"].as_u64(),
                    Some(pc),
                    "{what}: thread {tid}: {m} vs {g:?}"
                );
            }
            assert!(m["module"].as_str().unwrap().ends_with("/callchain"), "{m}");
            assert!(m["module_offset"].is_u64() && m["sp"].is_u64(), "{m}");
            assert!(m["function_offset"].is_u64(), "{m}");
            if debug {
                let file = m["file"].as_str().unwrap_or("");
                assert_eq!(
                    Some(file.rsplit('/').next().unwrap()),
                    g.file.as_deref(),
                    "{what}: thread {tid}: {m} vs {g:?}"
                );
                assert_eq!(
                    m["line"].as_u64(),
                    g.line.map(u64::from),
                    "{what}: {m} vs {g:?}"
                );
            } else {
                assert!(m.get("file").is_none(), "no debug information: {m}");
            }
        }
        // The known chain of this thread, in order (a cold part stands for its function).
        let plain: Vec<String> = names(&my_prog)
            .into_iter()
            .map(|n| n.trim_end_matches(".cold").to_string())
            .collect();
        for chain in [MAIN_CHAIN, ALPHA_CHAIN, BETA_CHAIN] {
            if plain.first().map(String::as_str) == Some(chain[0]) {
                assert_eq!(plain, chain, "{what}: thread {tid}");
                chains_seen += 1;
            }
        }
        // How each frame was found: the registers for the first, CFI for the program's callers
        // (the modules are here, and x86_64 binaries carry .eh_frame).
        assert_eq!(frames[0]["found_by"], "context", "{what}");
        for f in &my_prog[..] {
            if !std::ptr::eq(*f, &frames[0]) {
                assert_eq!(f["found_by"], "cfi", "{what}: {f}");
            }
        }
    }
    assert_eq!(chains_seen, 3, "{what}: every thread's chain");
}

/// The same core with an empty sysroot: no module files, every thread still has frames (module +
/// offset), a warning says why, nothing fails.
fn without_modules(core: &Path, what: &str) {
    let empty = TempDir::new("empty-sysroot");
    let (mine, warnings) = ours(core, &["--sysroot", empty.path().to_str().unwrap()]);
    assert_eq!(mine.len(), 3, "{what}");
    for (tid, frames) in &mine {
        assert!(!frames.is_empty(), "{what}: thread {tid}");
        assert_eq!(frames[0]["found_by"], "context");
        for f in frames {
            assert!(
                f.get("function").is_none(),
                "{what}: no symbols without files: {f}"
            );
            assert!(
                f["module"].is_string() && f["module_offset"].is_u64(),
                "{f}"
            );
        }
    }
    assert!(
        warnings.contains("not found: their frames are module + offset"),
        "{what}: {warnings}"
    );
    let out = common::bin()
        .arg("core")
        .arg(core)
        .args(["--sysroot", empty.path().to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("backtrace of the signalled thread"), "{text}");
    assert!(text.contains("module + offset"), "{text}");
}

fn variant(flags: &[&str], debug: bool, tag: &str) {
    let dir = TempDir::new(tag);
    let exe = compile(dir.path(), flags);
    for mode in ["fault", "abort"] {
        let sub = dir.path().join(mode);
        std::fs::create_dir_all(&sub).unwrap();
        let core = kernel_core(&sub, &exe, mode);
        let what = format!("{tag} kernel core ({mode})");
        compare(&exe, &core, debug, &what);
        build_ids_match_eu_unstrip(&core, &what);
        without_modules(&core, &what);
        // `core` shows the signalled thread's backtrace down to main.
        let out = common::bin().arg("core").arg(&core).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let bt: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("backtrace of the signalled thread"))
            .take_while(|l| l.starts_with(' ') || l.starts_with("backtrace"))
            .collect();
        let joined = bt.join("\n");
        for f in MAIN_CHAIN {
            assert!(joined.contains(&format!(" in {f}")), "{what}: {joined}");
        }
        if mode == "abort" {
            assert!(joined.contains("abort"), "{what}: {joined}");
        }
    }
    let sub = dir.path().join("gcore");
    std::fs::create_dir_all(&sub).unwrap();
    let core = gcore(&sub, &exe);
    let what = format!("{tag} gcore");
    compare(&exe, &core, debug, &what);
    build_ids_match_eu_unstrip(&core, &what);
    without_modules(&core, &what);
}

#[test]
fn o0_debug_cores_match_gdb() {
    variant(&["-O0", "-g"], true, "bt-O0g");
}

#[test]
fn o2_no_frame_pointer_cores_match_gdb() {
    variant(&["-O2", "-fomit-frame-pointer"], false, "bt-O2");
}

#[test]
fn stack_needs_a_core() {
    let out = common::bin().args(["threads", "--stack"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("core"), "{err}");
}

/// A fault in a signal handler: the unwind crosses the signal frame (glibc's `__restore_rt`, whose CFI
/// restores the interrupted registers from the kernel's `ucontext`) back to the interrupted `pause()`,
/// `waiter` and `main`, as gdb does.
#[test]
fn through_a_signal_handler() {
    let dir = TempDir::new("bt-signal");
    let exe = dir.path().join("sighandler");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/sighandler.c");
    let out = Command::new("gcc")
        .args(["-O1", "-g", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("gcc");
    assert!(out.status.success());
    let status = Command::new("sh")
        .arg("-c")
        .arg("ulimit -c unlimited && exec \"$0\"")
        .arg(&exe)
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(!status.success());
    let core = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("core"))
        .expect("the kernel wrote a core");
    let prog = ["in_handler", "handler", "waiter", "main"];
    let gdb: Vec<String> = gdb_bt(&exe, &core)
        .into_values()
        .next()
        .unwrap()
        .into_iter()
        .map(|f| f.function)
        .filter(|f| prog.contains(&f.as_str()))
        .collect();
    assert_eq!(gdb, prog, "gdb");
    let (mine, _) = ours(&core, &[]);
    let frames = mine.into_values().next().unwrap();
    let names: Vec<&str> = frames
        .iter()
        .filter_map(|f| f["function"].as_str())
        .collect();
    let ours_prog: Vec<&str> = names.iter().copied().filter(|f| prog.contains(f)).collect();
    assert_eq!(ours_prog, prog, "{frames:#?}");
    // The trampoline is named, and the interrupted pause() comes right after it.
    let at = names
        .iter()
        .position(|n| *n == "__restore_rt")
        .expect("__restore_rt");
    assert!(names[at + 1].contains("pause"), "{names:?}");
    assert!(
        frames.iter().all(|f| f["found_by"] != "scan"),
        "{frames:#?}"
    );
}

/// The files of the crashed machine under `--sysroot`, and a separate debug file under `--debug-dir`
/// (`.build-id/ab/cdef....debug`): the program, moved away from the path the core names, is found under
/// the sysroot (names from its symbol table), and its stripped DWARF in the debug directory (lines).
#[test]
fn sysroot_and_debug_dir() {
    let dir = TempDir::new("bt-sysroot");
    let exe = compile(dir.path(), &["-O0", "-g"]);
    let core = kernel_core(dir.path(), &exe, "fault");
    // The debug file, and the program without DWARF.
    let debug = dir.path().join("callchain.debug");
    let run = |cmd: &mut Command| {
        let out = cmd.output().expect("binutils");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(Command::new("objcopy")
        .arg("--only-keep-debug")
        .arg(&exe)
        .arg(&debug));
    run(Command::new("objcopy").arg("--strip-debug").arg(&exe));
    let notes = Command::new("readelf")
        .arg("-n")
        .arg(&exe)
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&notes.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Build ID: ").map(str::to_string))
        .expect("a build-id");
    let debug_dir = dir.path().join("debug");
    let id_dir = debug_dir.join(".build-id").join(&id[..2]);
    std::fs::create_dir_all(&id_dir).unwrap();
    std::fs::rename(&debug, id_dir.join(format!("{}.debug", &id[2..]))).unwrap();
    // The program moves into the sysroot at the path the core names.
    let sysroot = dir.path().join("sysroot");
    let inside = sysroot.join(exe.strip_prefix("/").unwrap());
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::rename(&exe, &inside).unwrap();
    let main_thread = |extra: &[&str]| -> Vec<Value> {
        let (mine, _) = ours(&core, extra);
        mine.into_values()
            .find(|f| f.iter().any(|x| x["function"] == "level3"))
            .unwrap_or_else(|| mine_without_names(&core, extra))
    };
    let sysroot_arg = sysroot.to_str().unwrap();
    let debug_arg = debug_dir.to_str().unwrap();

    // Both: names and lines.
    let f = main_thread(&["--sysroot", sysroot_arg, "--debug-dir", debug_arg]);
    let level3 = f.iter().find(|x| x["function"] == "level3").unwrap();
    assert!(
        level3["file"].as_str().unwrap().ends_with("callchain.c"),
        "{level3}"
    );
    assert!(level3["line"].is_u64(), "{level3}");
    // The sysroot alone: names from the symbol table, no lines.
    let f = main_thread(&["--sysroot", sysroot_arg]);
    let level3 = f.iter().find(|x| x["function"] == "level3").unwrap();
    assert!(level3.get("file").is_none(), "{level3}");
    // Neither: the program is not where the core says; its frames are module + offset.
    let (mine, warnings) = ours(&core, &[]);
    assert!(
        mine.values()
            .flatten()
            .all(|x| x["function"] != "level3" && x["function"] != "main"),
        "{mine:?}"
    );
    assert!(warnings.contains("not found"), "{warnings}");
}

/// The signalled (first) thread's frames, for runs where no frame is named.
fn mine_without_names(core: &Path, extra: &[&str]) -> Vec<Value> {
    let out = common::bin()
        .arg("threads")
        .arg(core)
        .args(["--stack", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["threads"][0]["frames"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Mangled names from the symbol table, demangled as gdb shows them: C++ (Itanium: a template's
/// member in nested namespaces) and Rust (less the hash gdb keeps).
#[test]
fn cpp_and_rust_names_are_demangled_as_gdb_shows_them() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures");
    for (compiler, args, src, expect) in [
        (
            "g++",
            vec!["-O0"],
            "mangled.cpp",
            vec![
                "outer::inner::Box<int>::crash(int)",
                "outer::inner::level(int)",
                "main",
            ],
        ),
        (
            "rustc",
            vec![
                "-C",
                "opt-level=1",
                "-C",
                "debuginfo=0",
                "-C",
                "panic=abort",
            ],
            "mangled.rs",
            vec![
                "mangled::inner::boom",
                "mangled::inner::level",
                "mangled::main",
            ],
        ),
    ] {
        let dir = TempDir::new("bt-mangled");
        let exe = dir.path().join("mangled");
        let out = Command::new(compiler)
            .args(&args)
            .arg("-o")
            .arg(&exe)
            .arg(fixtures.join(src))
            .output()
            .unwrap_or_else(|e| panic!("{compiler}: {e}"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let status = Command::new("sh")
            .arg("-c")
            .arg("ulimit -c unlimited && exec \"$0\"")
            .arg(&exe)
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(!status.success());
        let core = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("core"))
            .expect("the kernel wrote a core");
        // gdb keeps the hash of a legacy Rust name (`::h0123456789abcdef`); procsift leaves it out, as
        // Rust's own backtraces and eu-stack do.
        let gdb: Vec<String> = gdb_bt(&exe, &core)
            .into_values()
            .next()
            .unwrap()
            .into_iter()
            .map(|f| match f.function.rsplit_once("::h") {
                Some((name, hash))
                    if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) =>
                {
                    name.to_string()
                }
                _ => f.function,
            })
            .collect();
        let (mine, _) = ours(&core, &[]);
        let names: Vec<String> = mine
            .into_values()
            .next()
            .unwrap()
            .iter()
            .filter_map(|f| f["function"].as_str().map(str::to_string))
            .collect();
        for e in &expect {
            assert!(names.iter().any(|n| n == e), "{src}: {e} in {names:?}");
            assert!(gdb.iter().any(|n| n == e), "{src}: gdb has {e}: {gdb:?}");
        }
        let order: Vec<&String> = names
            .iter()
            .filter(|n| expect.contains(&n.as_str()))
            .collect();
        assert_eq!(order, expect.iter().collect::<Vec<_>>(), "{src}");
    }
}
