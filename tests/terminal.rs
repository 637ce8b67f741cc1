//! Tables and text on a terminal fit its width, one process per line; piped, they stay whole; a terminal
//! that reports no size (0x0) is treated as one of unknown width. Runs each report under `script(1)` (a
//! pseudo-terminal). Needs root (capture), python3, script (util-linux).
#![cfg(target_os = "linux")]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{TempDir, bin, corpus, run_json};

/// A child killed when dropped.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A process whose command line is far wider than a terminal (words of 9 letters, 80 of them).
fn start_wide() -> Killed {
    let long: Vec<String> = (0..80).map(|i| format!("word{i:05}")).collect();
    let child = Command::new("python3")
        .args(["-c", "import time; time.sleep(300)"])
        .args(&long)
        .stdout(Stdio::null())
        .spawn()
        .expect("run python3");
    let pid = child.id();
    let child = Killed(child);
    for _ in 0..2000 {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cmdline.windows(9).any(|w| w == b"word00079") {
            return child;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("python3 never showed its argv");
}

/// Runs procsift with `args` on a pseudo-terminal of `cols` columns (`COLUMNS` unset: the size comes
/// from the terminal) and returns its lines.
fn on_terminal(cols: u16, args: &[&str]) -> Vec<String> {
    let cmd = format!(
        "stty cols {cols} rows 40; exec {} {}",
        env!("CARGO_BIN_EXE_procsift"),
        args.join(" ")
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("COLUMNS")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run script (util-linux)");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}\n{text}",
        out.status
    );
    text.split("\r\n")
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

fn width(line: &str) -> usize {
    line.chars().count()
}

#[test]
fn reports_fit_an_80_column_terminal_and_pipes_stay_whole() {
    let dir = TempDir::new("terminal");
    let before = dir.path().join("before.tar");
    let after = dir.path().join("after.tar");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = bin().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let o = std::ffi::OsStr::new;
    run(&[o("capture"), o("--no-events"), o("-o"), before.as_os_str()]);
    let wide = start_wide();
    let pid = wide.0.id().to_string();
    run(&[o("capture"), o("--no-events"), o("-o"), after.as_os_str()]);
    drop(wide);
    let (b, a) = (before.to_str().unwrap(), after.to_str().unwrap());
    let processes = run_json(&["ps", a, "--format", "json"])["processes"]
        .as_array()
        .unwrap()
        .len();
    let core = corpus("linux/elfutils-testfile-riscv64-core");
    let core = core.to_str().unwrap();

    let reports: Vec<Vec<&str>> = vec![
        vec!["ps", a],
        vec!["ps", a, "-o", "pid,user,cgroup,exe,args"],
        vec!["tree", a],
        vec!["show", a, &pid],
        vec!["threads", a],
        vec!["files", a, &pid],
        vec!["maps", a, &pid],
        vec!["info", a],
        vec!["diff", b, a],
        vec!["core", core],
        vec!["verify", a],
    ];
    for args in &reports {
        let lines = on_terminal(80, args);
        assert!(!lines.is_empty(), "{args:?}");
        for l in &lines {
            assert!(width(l) <= 80, "{args:?}: {} columns: {l}", width(l));
        }
    }
    // One process, one line: the table has a header and a row per process; the tree a line each.
    assert_eq!(on_terminal(80, &["ps", a]).len(), processes + 1);
    assert_eq!(on_terminal(80, &["tree", a]).len(), processes);
    // The wide process's row is cut at the width, like ps.
    let row = on_terminal(80, &["ps", a])
        .into_iter()
        .find(|l| l.trim_start().starts_with(&format!("{pid} ")))
        .unwrap();
    assert_eq!(width(&row), 80, "{row}");
    // `diff` shows what changed at 80 and 120 columns too: the started process's whole command line (its
    // NEW, wrapped) and its note, which names this test as its parent.
    for cols in [80, 120] {
        let text = on_terminal(cols, &["diff", b, a]).join("\n");
        assert!(
            text.contains("word00000") && text.contains("word00079"),
            "{cols}: {text}"
        );
        assert!(
            text.contains(&format!("parent {}", std::process::id())),
            "{cols}: {text}"
        );
    }
    // `show` wraps a long value under itself: nothing of it is lost.
    let show = on_terminal(80, &["show", a, &pid]).join("\n");
    assert!(show.contains("word00079"), "{show}");

    // Piped: whole lines.
    let out = bin().args(["ps", a]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("word00000") && l.contains("word00079")),
        "{text}"
    );
    let out = bin().args(["tree", a]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("word00000") && l.contains("word00079")),
        "{text}"
    );

    // A terminal that says it is 0x0 is one of unknown width: no fitting, the header on one line.
    let lines = on_terminal(0, &["ps", a]);
    assert!(
        lines[0].contains("PID") && lines[0].contains("ARGS"),
        "{lines:?}"
    );
    assert_eq!(lines.len(), processes + 1);
    assert!(lines.iter().any(|l| l.contains("word00079")), "{lines:?}");
}
