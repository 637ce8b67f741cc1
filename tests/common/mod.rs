//! Helpers shared by the integration tests: running the binary, temporary directories, the spawnee.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub mod core_writer;
pub mod hostile;
#[path = "../../src/testdata.rs"]
mod testdata;
#[allow(unused_imports)]
pub use testdata::{corpus, corpus_bytes, corpus_dir};

/// A spawned process killed and reaped when the test ends, whatever the outcome.
pub struct Kid(pub Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The procsift binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_procsift"))
}

/// Runs procsift with `args`; panics with its stderr when it fails.
pub fn run_ok(args: &[&std::ffi::OsStr]) -> Output {
    let out = bin().args(args).output().expect("run procsift");
    assert!(
        out.status.success(),
        "procsift {:?} failed: {}\n{}",
        args,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs procsift and parses its stdout as one JSON document.
pub fn run_json(args: &[&str]) -> Value {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    let out = run_ok(&args);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// A fresh, empty directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p =
            std::env::temp_dir().join(format!("procsift-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running spawnee (testdata/fixtures/spawnee.c) inside a new pid namespace.
pub struct Spawnee {
    /// The `unshare` process; killing it kills the namespace's init, the spawnee.
    pub unshare: Child,
    /// The spawnee's pid as seen from the host.
    pub pid: i32,
    /// Its pid inside its namespace (1: it is the namespace's init).
    pub inner_pid: i32,
    /// The TCP port it listens on at 127.0.0.1.
    pub port: u16,
    /// The file it holds open.
    pub file: PathBuf,
    /// Its argv, exactly.
    pub argv: Vec<Vec<u8>>,
    _dir: TempDir,
}

impl Drop for Spawnee {
    fn drop(&mut self) {
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}

/// Compiles the spawnee and starts it under `unshare --pid --fork --kill-child` with `argv[1..]` and an
/// environment holding `marker`.
pub fn spawn(args: &[&[u8]], marker: &str) -> Spawnee {
    let dir = TempDir::new("spawnee");
    let exe = dir.path().join("spawnee");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/spawnee.c");
    let cc = Command::new("gcc")
        .args(["-O1", "-pthread", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("run gcc (apt-get install gcc)");
    assert!(
        cc.status.success(),
        "gcc: {}",
        String::from_utf8_lossy(&cc.stderr)
    );
    let file = dir.path().join("evidence file.txt");
    std::fs::write(&file, b"held open by the spawnee\n").unwrap();

    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--kill-child"]).arg(&exe);
    for a in args {
        cmd.arg(std::ffi::OsStr::from_bytes(a));
    }
    let mut unshare = cmd
        .env_clear()
        .env("SPAWNEE_FILE", &file)
        .env("PROCSIFT_MARKER", marker)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run unshare (util-linux)");
    let mut line = String::new();
    BufReader::new(unshare.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let mut words = line.split_whitespace().skip(1);
    let port: u16 = words
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("spawnee said {line:?}"));
    let inner_pid: i32 = words.next().and_then(|w| w.parse().ok()).unwrap();
    // unshare --fork: the spawnee is unshare's only child.
    let children =
        std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", unshare.id())).unwrap();
    let pid: i32 = children
        .split_whitespace()
        .next()
        .and_then(|w| w.parse().ok())
        .expect("unshare's child");
    let mut argv = vec![exe.as_os_str().as_bytes().to_vec()];
    argv.extend(args.iter().map(|a| a.to_vec()));
    Spawnee {
        unshare,
        pid,
        inner_pid,
        port,
        file,
        argv,
        _dir: dir,
    }
}

/// Escapes bytes the way procsift's JSON does (see docs/schema.md).
pub fn escaped(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// `procsift diff ARGS` (two inputs) streamed, as users run it, prints exactly what the reference read
/// prints (`PROCSIFT_FULL_READ`: both models built whole, as before `diff` streamed): the same stdout,
/// stderr and exit status in every format. Returns the streamed table output.
pub fn diff_streams_as_whole(args: &[&std::ffi::OsStr]) -> String {
    let mut table = String::new();
    for format in ["table", "json", "ndjson", "csv"] {
        let run = |full: bool| {
            let mut cmd = bin();
            cmd.arg("diff")
                .args(args)
                .arg(format!("--format={format}"))
                .env_remove("PROCSIFT_FULL_READ");
            if full {
                cmd.env("PROCSIFT_FULL_READ", "1");
            }
            let out = cmd.output().expect("run procsift diff");
            (out.stdout, out.stderr, out.status.code())
        };
        let (streamed, whole) = (run(false), run(true));
        assert!(
            streamed == whole,
            "procsift diff {args:?} --format={format} streamed differs from the whole read:\n--- \
             streamed (exit {:?}):\n{}\n{}\n--- whole (exit {:?}):\n{}\n{}",
            streamed.2,
            String::from_utf8_lossy(&streamed.0),
            String::from_utf8_lossy(&streamed.1),
            whole.2,
            String::from_utf8_lossy(&whole.0),
            String::from_utf8_lossy(&whole.1),
        );
        if format == "table" {
            table = String::from_utf8_lossy(&streamed.0).into_owned();
        }
    }
    table
}

/// Runs each SQL query through DuckDB (Python) in `cwd`; each result is its rows as JSON arrays (values
/// cast to text by DuckDB, NULL as null).
pub fn duckdb(cwd: &Path, queries: &[&str]) -> Vec<Vec<Vec<Value>>> {
    let script = r#"
import json, sys, duckdb
con = duckdb.connect()
out = []
for q in json.load(sys.stdin):
    rows = con.sql(q).fetchall()
    out.append([[None if v is None else str(v) for v in r] for r in rows])
print(json.dumps(out))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(queries).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "duckdb (pip install duckdb): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The manifest's text in a tar archive's bytes (`manifest.json`'s data), and the offset where it starts.
pub fn manifest_text(bytes: &[u8]) -> (usize, String) {
    let at = bytes
        .windows(20)
        .position(|w| w == b"{\n  \"format_version\"")
        .expect("a manifest");
    let end = at + bytes[at..].iter().position(|b| *b == 0).unwrap();
    (at, String::from_utf8(bytes[at..end].to_vec()).unwrap())
}
