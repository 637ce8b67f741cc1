//! `--redact` on the command line: every report hides environment values and secret-looking arguments
//! behind stable placeholders, the archive it reads is left byte for byte as it was and still verifies,
//! and `capture --redact` is refused (a capture keeps the raw evidence).

mod common;

use std::path::Path;

use common::{TempDir, bin};
use procsift::capture::{CaptureOptions, capture_to_path};
use procsift::model::redact::placeholder;

const SECRETS: [&str; 6] = [
    "hunter2",
    "s3cr3t-pw",
    "tok-123456",
    "AKIAEXAMPLE",
    "urlpass",
    "envvalue-private",
];

/// A fake /proc with one process whose argv and environment hold secrets, captured into `dir/s.tar`.
fn archive(dir: &Path) -> std::path::PathBuf {
    let proc = dir.join("proc");
    let put = |rel: &str, bytes: &[u8]| {
        let p = proc.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    put("stat", b"cpu  1 2 3 4\nbtime 1700000000\n");
    put(
        "4242/stat",
        b"4242 (dbtool) S 1 4242 4242 0 -1 4194560 0 0 0 0 3 4 0 0 20 0 1 0 5 0 0\n",
    );
    put(
        "4242/status",
        b"Name:\tdbtool\nPid:\t4242\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
    );
    put(
        "4242/cmdline",
        b"dbtool\0-u\0admin\0-p\0hunter2\0--password=s3cr3t-pw\0--token\0tok-123456\0\
AWS_SECRET_ACCESS_KEY=AKIAEXAMPLE\0https://alice:urlpass@db.example/x\0--verbose\0",
    );
    put(
        "4242/environ",
        b"HOME=/root\0DB_PASSWORD=envvalue-private\0",
    );
    let out = dir.join("s.tar");
    capture_to_path(
        &CaptureOptions {
            proc_root: proc,
            etc_root: dir.join("no-etc"),
            ..CaptureOptions::default()
        },
        &out,
    )
    .unwrap();
    out
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_report_is_redacted_and_the_evidence_is_untouched() {
    let dir = TempDir::new("redact");
    let tar = archive(dir.path());
    let t = tar.to_str().unwrap();
    let before = std::fs::read(&tar).unwrap();

    // Without --redact the secrets are there (the evidence is complete).
    let (_, plain, _) = run(&["show", t, "4242", "--format", "json"]);
    for s in SECRETS {
        assert!(plain.contains(s), "{s} missing from the unredacted show");
    }

    let reports: Vec<Vec<&str>> = vec![
        vec!["--redact", "show", t, "4242"],
        vec!["show", t, "4242", "--format", "json", "--redact"],
        vec!["ps", t, "--redact", "-o", "pid,args"],
        vec!["ps", t, "--redact", "--format", "json"],
        vec!["ps", t, "--redact", "--format", "csv"],
        vec!["tree", t, "--redact"],
        vec!["info", t, "--redact", "--format", "json"],
        vec!["files", t, "--redact", "--format", "ndjson"],
        vec!["diff", t, t, "--redact", "--format", "json"],
    ];
    for args in &reports {
        let (code, out, err) = run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        for s in SECRETS {
            assert!(!out.contains(s), "{args:?} shows {s}:\n{out}");
        }
    }

    // The placeholders are stable: the same secret, the same placeholder, in every report.
    let (_, show, _) = run(&["--redact", "show", t, "4242", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&show).unwrap();
    let argv: Vec<&str> = v["process"]["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let p = |s: &str| placeholder(s.as_bytes());
    assert_eq!(
        argv,
        vec![
            "dbtool".to_string(),
            "-u".into(),
            "admin".into(),
            "-p".into(),
            p("hunter2"),
            format!("--password={}", p("s3cr3t-pw")),
            "--token".into(),
            p("tok-123456"),
            format!("AWS_SECRET_ACCESS_KEY={}", p("AKIAEXAMPLE")),
            format!("https://alice:{}@db.example/x", p("urlpass")),
            "--verbose".into(),
        ]
    );
    let env: Vec<&str> = v["process"]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        env,
        vec![
            format!("HOME={}", p("/root")),
            format!("DB_PASSWORD={}", p("envvalue-private"))
        ]
    );
    let (_, ps, _) = run(&["ps", t, "--redact", "-o", "args"]);
    assert!(ps.contains(&p("hunter2")), "{ps}");

    // The archive is byte for byte what it was, and verifies.
    assert_eq!(std::fs::read(&tar).unwrap(), before);
    let (code, out, _) = run(&["--redact", "verify", t]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn capture_refuses_redact() {
    let dir = TempDir::new("redact-capture");
    let out = dir.path().join("x.tar");
    let (code, _, err) = run(&["capture", "--redact", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("--no-environ"), "{err}");
    assert!(!out.exists());
}
