//! What the evidence says never changes the analyst's terminal. A process's argv, comm, file names,
//! mapped paths and environment hold newlines, carriage returns, ESC sequences, C1 controls and
//! bidirectional overrides; every table and text report (and CSV) must show them as visible escapes, one
//! process per line, while JSON keeps the exact bytes. Needs root (capture of every process, process
//! events), python3.
#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, bin, escaped, run_json};

/// The issue's reproduction: an argument that, printed raw, forges a `ps` row for pid 1 and colours the
/// terminal red.
const FORGED: &[u8] = b"x\n    1      0  root  S ... /sbin/FAKE-ROW \x1b[31mRED\x1b[0m";

/// A process that renames itself (comm, thread name), holds open and maps a file with a hostile name, and
/// has a hostile environment variable.
const RENAMER: &str = r#"
import ctypes, mmap, sys, time
ctypes.CDLL(None).prctl(15, sys.argv[2].encode("utf-8", "surrogateescape"), 0, 0, 0)
f = open(sys.argv[1], "w+b")
f.write(b"\0" * 4096)
f.flush()
m = mmap.mmap(f.fileno(), 4096)
print("ready", flush=True)
time.sleep(300)
"#;

/// comm of the renamer: a newline, an ESC sequence that clears the screen, a C1 CSI (U+009B) and a
/// right-to-left override (15 bytes, the most a comm holds).
const COMM: &str = "c\n\x1b[2J\u{9b}\u{202e}ab";
/// The renamer's file: a carriage return, a newline, an OSC sequence that sets the window title, DEL, a
/// right-to-left override and a line separator.
const FILE_NAME: &str = "evil\r\n\x1b]0;pwned\x07\x7f\u{202e}txt\u{2028}end";
/// The renamer's environment variable.
const ENV_VALUE: &str = "v\n\x1b[31mred\u{9b}1m\u{2066}iso";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `python3 -c 'import time; time.sleep(300)' FORGED` and waits until its argv is in place.
fn start_forger() -> Killed {
    let child = Command::new("python3")
        .args(["-c", "import time; time.sleep(300)"])
        .arg(std::ffi::OsStr::from_bytes(FORGED))
        .stdout(Stdio::null())
        .spawn()
        .expect("run python3");
    let pid = child.id();
    let child = Killed(child);
    for _ in 0..2000 {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cmdline.windows(8).any(|w| w == b"FAKE-ROW") {
            return child;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("python3 never showed its argv");
}

fn start_renamer(dir: &std::path::Path) -> (Killed, std::path::PathBuf) {
    let file = dir.join(FILE_NAME);
    let mut child = Command::new("python3")
        .args(["-c", RENAMER])
        .arg(&file)
        .arg(COMM)
        .env("EVIL", ENV_VALUE)
        .stdout(Stdio::piped())
        .spawn()
        .expect("run python3");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    (Killed(child), file)
}

/// No control character, C1 control, bidirectional control or other invisible format character from the
/// evidence reaches the output; only `\n` ends lines. And no line starts with the forged row.
fn assert_inert(what: &str, out: &[u8]) {
    let text = std::str::from_utf8(out)
        .unwrap_or_else(|e| panic!("{what}: output is not UTF-8 ({e}): {out:?}"));
    for c in text.chars() {
        let bad = (c < ' ' && c != '\n')
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        assert!(!bad, "{what}: raw {c:?} in the output:\n{text}");
    }
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("1      0  root  S ..."),
            "{what}: a forged row:\n{text}"
        );
        if line.contains("FAKE-ROW") {
            assert!(
                line.contains("x\\n    1      0  root  S ... /sbin/FAKE-ROW \\x1b[31mRED\\x1b[0m"),
                "{what}: the forged argument is not shown escaped on its own line: {line:?}"
            );
        }
    }
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    bin().args(args).env("NO_COLOR", "1").output().unwrap()
}

/// Runs `args` in table and CSV format, checks stdout and stderr, and returns the table's stdout.
fn table_and_csv(what: &str, args: &[&std::ffi::OsStr]) -> String {
    let mut table = String::new();
    for format in ["table", "csv"] {
        let mut a = args.to_vec();
        a.extend([
            std::ffi::OsStr::new("--format"),
            std::ffi::OsStr::new(format),
        ]);
        let out = run(&a);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{what} {format}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_inert(&format!("{what} --format {format} (stdout)"), &out.stdout);
        assert_inert(&format!("{what} --format {format} (stderr)"), &out.stderr);
        if format == "table" {
            table = String::from_utf8(out.stdout).unwrap();
        }
    }
    table
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

/// Waits until the capture `pid` runs its event-listener thread.
fn wait_for_listener(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for t in tasks.flatten() {
                let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
                if comm.trim() == "procsift-events" {
                    return;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the capture never started listening to process events");
}

#[test]
fn hostile_text_never_reaches_the_terminal() {
    let dir = TempDir::new("inject");
    let before = dir.path().join("before.tar");
    let after = dir.path().join("after.tar");
    let out = run(&[
        os("capture"),
        os("-o"),
        before.as_os_str(),
        os("--no-events"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let forger = start_forger();
    let (renamer, file) = start_renamer(dir.path());
    let fpid = forger.0.id().to_string();
    let rpid = renamer.0.id().to_string();

    // Live `ps`, piped.
    let live = table_and_csv("ps (live)", &[os("ps")]);
    assert!(live.contains("FAKE-ROW"), "{live}");

    let out = run(&[
        os("capture"),
        os("-o"),
        after.as_os_str(),
        os("--no-events"),
        os("--note"),
        os("note\n\x1b[31m\u{202e}"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tar = after.as_os_str();

    let ps = table_and_csv("ps", &[os("ps"), tar]);
    let processes = run_json(&["ps", tar.to_str().unwrap(), "--format", "json"])["processes"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        ps.lines().count(),
        processes + 1,
        "one process, one line:\n{ps}"
    );
    assert!(
        ps.lines()
            .any(|l| l.trim_start().starts_with(&format!("{fpid} ")) && l.contains("FAKE-ROW")),
        "{ps}"
    );
    let tree = table_and_csv("tree", &[os("tree"), tar]);
    assert!(tree.contains("FAKE-ROW"), "{tree}");
    let show = table_and_csv("show", &[os("show"), tar, os(&fpid)]);
    assert!(show.contains("FAKE-ROW"), "{show}");
    let show = table_and_csv("show", &[os("show"), tar, os(&rpid)]);
    assert!(
        show.contains("EVIL=v\\n\\x1b[31mred\\u{9b}1m\\u{2066}iso"),
        "{show}"
    );
    let diff = table_and_csv("diff", &[os("diff"), before.as_os_str(), tar]);
    assert!(diff.contains("FAKE-ROW"), "{diff}");
    let files = table_and_csv("files", &[os("files"), tar, os(&rpid)]);
    assert!(
        files.contains("evil\\r\\n\\x1b]0;pwned\\x07\\x7f\\u{202e}txt\\u{2028}end"),
        "{files}"
    );
    assert!(files.contains("c\\n\\x1b[2J\\u{9b}\\u{202e}ab"), "{files}");
    let threads = table_and_csv("threads", &[os("threads"), tar, os(&rpid)]);
    assert!(
        threads.contains("c\\n\\x1b[2J\\u{9b}\\u{202e}ab"),
        "{threads}"
    );
    let maps = table_and_csv("maps", &[os("maps"), tar, os(&rpid)]);
    assert!(maps.contains("pwned"), "{maps}");
    let info = table_and_csv("info", &[os("info"), tar]);
    assert!(info.contains("note\\n\\x1b[31m\\u{202e}"), "{info}");
    table_and_csv(
        "ps --all",
        &[
            os("ps"),
            tar,
            os("--all"),
            os("-o"),
            os("pid,comm,exe,args,cgroup"),
        ],
    );

    // JSON keeps the exact bytes (in the one documented byte-string escape).
    let tar = tar.to_str().unwrap();
    let doc = run_json(&["show", tar, &fpid, "--format", "json"]);
    assert_eq!(doc["process"]["argv"][3], escaped(FORGED).as_str());
    assert_eq!(
        doc["process"]["argv"][3].as_str().unwrap().as_bytes(),
        FORGED
    );
    let doc = run_json(&["show", tar, &rpid, "--format", "json"]);
    assert_eq!(doc["process"]["comm"], COMM);
    let env = format!("EVIL={ENV_VALUE}");
    assert!(
        doc["process"]["env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == env.as_str()),
        "{:?}",
        doc["process"]["env"]
    );
    let doc = run_json(&["files", tar, &rpid, "--format", "json"]);
    let file = file.to_str().unwrap();
    assert!(
        doc["fds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["target"] == file),
        "{doc:#}"
    );
    let nd = bin()
        .args(["ps", tar, "--format", "ndjson"])
        .output()
        .unwrap();
    let forged_json = String::from_utf8_lossy(FORGED).into_owned();
    assert!(
        String::from_utf8(nd.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .any(|r| r["argv"][3] == forged_json.as_str())
    );
    drop(forger);
    drop(renamer);
}

/// A core of the forger (gdb's gcore) and the process events of a capture that saw it start: the `core`
/// and `events` reports too.
#[test]
fn hostile_text_in_cores_and_events() {
    let dir = TempDir::new("inject-core");
    let tar = dir.path().join("events.tar");
    let capture = bin()
        .args(["capture", "--no-environ", "--watch", "2", "-o"])
        .arg(&tar)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_listener(capture.id());
    let forger = start_forger();
    let out = capture.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = table_and_csv("events", &[os("events"), tar.as_os_str()]);
    assert!(events.contains("FAKE-ROW"), "{events}");

    let core = dir.path().join("forger.core");
    let pid = forger.0.id().to_string();
    let gdb = Command::new("gdb")
        .args(["-batch", "-nx", "-p", &pid, "-ex"])
        .arg(format!("gcore {}", core.display()))
        .output()
        .expect("run gdb");
    assert!(core.exists(), "{}", String::from_utf8_lossy(&gdb.stderr));
    drop(forger);
    let text = table_and_csv("core", &[os("core"), core.as_os_str()]);
    assert!(text.contains("FAKE-ROW"), "{text}");
    for report in ["ps", "tree", "show", "threads", "maps", "files", "info"] {
        table_and_csv(report, &[os(report), core.as_os_str()]);
    }
}
