//! A child that becomes a zombie between two captures: its parent does not reap it. The child had a
//! listening socket, a file open and its mappings; it exits with status 3. `diff` must say that it
//! exited and was not reaped (state `S` to `Z`, `exited 3` from its stat `exit_code`), that its
//! descriptors, listening socket and mappings were released, and invent nothing: no exec to an empty
//! argv, no control-group move, no unloaded libraries one by one. Needs root (captures of other users'
//! processes read their ns links), python3.
#![cfg(target_os = "linux")]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, bin};
use serde_json::Value;

struct Parent(Child);

impl Drop for Parent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The parent forks a child that listens on 127.0.0.1 (port written to `dir/port`), opens `dir/log`,
/// and exits 3 once something is written to the FIFO `dir/go` (it sleeps in the FIFO's open until
/// then, so a capture always sees it in state `S`); the parent never waits for it.
const PARENT: &str = r#"
import os, socket, sys, time
d = sys.argv[1]
os.mkfifo(os.path.join(d, "go"))
pid = os.fork()
if pid == 0:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
    log = open(os.path.join(d, "log"), "w")
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write("%d %d" % (os.getpid(), s.getsockname()[1]))
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    with open(os.path.join(d, "go")) as go:
        go.read()
    os._exit(3)
time.sleep(300)
"#;

fn capture(out: &std::path::Path) {
    let o = bin()
        .args(["capture", "--no-events", "-o"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn state(pid: i32) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rfind(')')
        .and_then(|c| stat.get(c + 2..c + 3))
        .unwrap_or("?")
        .to_string()
}

fn diff(args: &[&str]) -> (i32, Value) {
    let o = bin()
        .arg("diff")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code().unwrap_or(-1), v)
}

#[test]
fn a_child_that_became_a_zombie_is_a_state_change_with_its_resources_released() {
    let dir = TempDir::new("zombie");
    let d = dir.path();
    let parent = Parent(
        Command::new("python3")
            .args(["-c", PARENT, d.to_str().unwrap()])
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let (child, port) = loop {
        if let Ok(s) = std::fs::read_to_string(d.join("port")) {
            let mut f = s.split(' ').map(|x| x.parse::<i32>().unwrap());
            break (f.next().unwrap(), f.next().unwrap());
        }
        assert!(Instant::now() < deadline, "the child did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    let (old, new) = (d.join("old.tar"), d.join("new.tar"));
    // Asleep in the FIFO's open (it was seen running between its polls of a file before, a flaky S).
    while state(child) != "S" {
        assert!(Instant::now() < deadline, "the child did not wait");
        std::thread::sleep(Duration::from_millis(20));
    }
    capture(&old);
    std::fs::write(d.join("go"), b"go").unwrap();
    while state(child) != "Z" {
        assert!(
            Instant::now() < deadline,
            "the child did not become a zombie"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    capture(&new);
    let (o, n) = (old.to_str().unwrap(), new.to_str().unwrap());
    let pid = child.to_string();

    let (status, d1) = diff(&[o, n, "--pid", &pid]);
    assert_eq!(status, 1, "{d1}");
    let changes = d1["changes"].as_array().unwrap();
    let kinds: Vec<&str> = changes
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    let st = changes
        .iter()
        .find(|c| c["kind"] == "state")
        .unwrap_or_else(|| panic!("no state change: {kinds:?}"));
    assert_eq!(
        (st["old"].as_str(), st["new"].as_str()),
        (Some("S"), Some("Z"))
    );
    let note = st["note"].as_str().unwrap();
    assert!(
        note.contains("exited, not yet reaped") && note.contains("exited 3"),
        "{note}"
    );
    // Nothing invented: the zombie's empty cmdline, cgroup and namespaces are no change.
    for k in ["exec", "cgroup", "namespaces", "cwd", "threads"] {
        assert!(!kinds.contains(&k), "{k} reported: {d1}");
    }
    // Released: the listening socket, the log file, and the mappings in one change.
    let listener = changes
        .iter()
        .find(|c| c["kind"] == "sockets")
        .unwrap_or_else(|| panic!("no socket change: {d1}"));
    assert!(
        listener["old"]
            .as_str()
            .unwrap()
            .contains(&format!("tcp 127.0.0.1:{port} LISTEN")),
        "{listener}"
    );
    assert!(listener["new"].is_null());
    assert!(
        listener["note"]
            .as_str()
            .unwrap()
            .contains("listening socket released"),
        "{listener}"
    );
    assert!(
        changes.iter().any(|c| c["kind"] == "fds"
            && c["new"].is_null()
            && c["old"].as_str().unwrap().ends_with("/log")),
        "{d1}"
    );
    let maps: Vec<&Value> = changes.iter().filter(|c| c["kind"] == "maps").collect();
    assert_eq!(maps.len(), 1, "{maps:?}");
    assert_eq!(maps[0]["field"], "maps");
    assert!(maps[0]["old"].as_u64().unwrap() > 5 && maps[0]["new"].is_null());

    // --only fds,sockets: the released descriptors are differences.
    let (status, d2) = diff(&[o, n, "--pid", &pid, "--only", "fds,sockets"]);
    assert_eq!(status, 1, "{d2}");
    assert!(
        d2["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "sockets"),
        "{d2}"
    );

    // Streamed (as users run it) and read whole, the same bytes in every format.
    for args in [vec![o, n], vec![o, n, "--pid", &pid], vec![n, o]] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
        common::diff_streams_as_whole(&args);
    }

    // The table says it too, on one line per change.
    let t = bin().args(["diff", o, n, "--pid", &pid]).output().unwrap();
    let text = String::from_utf8_lossy(&t.stdout);
    assert!(text.contains("exited, not yet reaped: exited 3"), "{text}");
    drop(parent);
}
