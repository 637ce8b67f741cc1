//! `procsift check` on a planted scene: every condition the rules flag is created for real inside a
//! private pid and mount namespace (testdata/fixtures/check/scene.sh), captured there by procsift, and each
//! finding is asserted with its pid — from the archive, from the extracted directory, and from kernel
//! cores of five planted processes — with no finding on the ordinary processes beside them.
//! Needs root (unshare, mount, setuid, strace), gcc, strace, python3 and tar; redis-server and PostgreSQL are
//! used as controls when installed. .ci/run installs them.
#![cfg(target_os = "linux")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::TempDir;
use serde_json::Value;

/// Capability names by number (include/uapi/linux/capability.h).
const CAP_NAMES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// setpriv's list of every capability this process may hand on: `+all`, less those outside its
/// bounding set.
fn all_caps() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let bnd = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
        .unwrap();
    let last: usize = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut caps = String::from("+all");
    for (bit, name) in CAP_NAMES.iter().enumerate().take(last + 1) {
        if bnd & (1 << bit) == 0 {
            caps.push_str(&format!(",-{name}"));
        }
    }
    caps
}

fn compile(out: &Path, args: &[&str]) {
    let o = Command::new("gcc")
        .args(args)
        .arg("-o")
        .arg(out)
        .output()
        .expect("run gcc (apt-get install gcc)");
    assert!(
        o.status.success(),
        "gcc: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The running scene: the namespace's init is killed (and with it every planted process) on drop.
struct Scene {
    unshare: Child,
    dir: PathBuf,
    _shm: TempDir,
    pids: BTreeMap<String, i32>,
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Scene {
    fn pid(&self, name: &str) -> i32 {
        *self
            .pids
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.pids))
    }

    /// The ordinary processes that must give no finding.
    fn controls(&self) -> impl Iterator<Item = (&String, &i32)> {
        self.pids.iter().filter(|(n, _)| n.starts_with("control"))
    }

    fn start() -> Scene {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/check");
        // Not under /tmp: only the planted programs may run from a writable directory.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("check-scene-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        compile(
            &dir.join("plant"),
            &["-O1", fixtures.join("plant.c").to_str().unwrap(), "-ldl"],
        );
        compile(
            &dir.join("libplant.so"),
            &[
                "-shared",
                "-fPIC",
                fixtures.join("planted_lib.c").to_str().unwrap(),
            ],
        );
        let shm = TempDir(PathBuf::from(format!(
            "/dev/shm/procsift-check-{}",
            std::process::id()
        )));
        let mut unshare = Command::new("unshare")
            .args([
                "--pid",
                "--mount",
                "--net",
                "--fork",
                "--mount-proc",
                "--kill-child",
                "bash",
            ])
            .arg(fixtures.join("scene.sh"))
            .arg(&dir)
            .arg(shm.path())
            .arg(env!("CARGO_BIN_EXE_procsift"))
            .arg(all_caps())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run unshare (util-linux)");
        let mut line = String::new();
        BufReader::new(unshare.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "ready",
            "the scene did not come up: {}",
            std::fs::read_to_string(dir.join("scene.err")).unwrap_or_default()
        );
        let pids = std::fs::read_to_string(dir.join("pids"))
            .unwrap()
            .lines()
            .filter_map(|l| {
                let (n, p) = l.split_once(' ')?;
                Some((n.to_string(), p.trim().parse().ok()?))
            })
            .collect();
        Scene {
            unshare,
            dir,
            _shm: shm,
            pids,
        }
    }
}

/// `procsift check ARGS --format json`: the exit status and the document.
fn check(args: &[&str]) -> (i32, Value) {
    let out = common::bin()
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

fn findings(doc: &Value) -> Vec<&Value> {
    doc["findings"].as_array().unwrap().iter().collect()
}

/// The findings of `rule` for `pid`.
fn of<'a>(doc: &'a Value, rule: &str, pid: i32) -> Vec<&'a Value> {
    findings(doc)
        .into_iter()
        .filter(|f| f["rule"] == rule && f["pid"] == pid)
        .collect()
}

/// Asserts one finding of `rule` for `pid` at `severity` whose evidence names `member`; returns it.
fn expect<'a>(doc: &'a Value, rule: &str, pid: i32, severity: &str, member: &str) -> &'a Value {
    let f = of(doc, rule, pid);
    assert_eq!(f.len(), 1, "{rule} for pid {pid}: {:#?}", findings(doc));
    let f = f[0];
    assert_eq!(f["severity"], severity, "{f:#}");
    assert!(f["attack"].as_str().unwrap().starts_with('T'), "{f:#}");
    assert!(
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["member"] == member),
        "{rule} for {pid}: no evidence from {member}: {f:#}"
    );
    f
}

fn summary(f: &Value) -> &str {
    f["summary"].as_str().unwrap()
}

#[test]
fn planted_scene() {
    let s = Scene::start();
    let tar = s.dir.join("scene.tar");
    let tar_s = tar.to_str().unwrap();
    let err = std::fs::read_to_string(s.dir.join("capture.err")).unwrap_or_default();
    assert!(tar.is_file(), "no capture: {err}");

    let (code, doc) = check(&[tar_s, "--min-severity", "info"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["input"], "linux");
    let p = |n: &str| s.pid(n);

    let f = expect(
        &doc,
        "exe-deleted",
        p("exe-deleted"),
        "medium",
        &format!("proc/{}/exe", p("exe-deleted")),
    );
    assert!(summary(f).contains("deleted-sleep (deleted)"), "{f:#}");
    let f = expect(
        &doc,
        "exe-memfd",
        p("exe-memfd"),
        "high",
        &format!("proc/{}/exe", p("exe-memfd")),
    );
    assert!(summary(f).contains("/memfd:payload (deleted)"), "{f:#}");
    let f = expect(
        &doc,
        "exe-writable-dir",
        p("exe-writable-dir"),
        "medium",
        &format!("proc/{}/exe", p("exe-writable-dir")),
    );
    assert!(summary(f).contains("under /dev/shm/"), "{f:#}");
    let f = expect(
        &doc,
        "anon-exec-memory",
        p("anon-exec-memory"),
        "high",
        &format!("proc/{}/maps", p("anon-exec-memory")),
    );
    assert!(
        f["evidence"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(" rwxp anonymous (8 KiB)"),
        "{f:#}"
    );
    let f = expect(
        &doc,
        "deleted-library",
        p("deleted-library"),
        "high",
        &format!("proc/{}/maps", p("deleted-library")),
    );
    assert!(summary(f).contains("libdel.so (deleted)"), "{f:#}");
    let f = expect(
        &doc,
        "library-writable-dir",
        p("deleted-library"),
        "medium",
        &format!("proc/{}/maps", p("deleted-library")),
    );
    assert!(summary(f).contains("under /dev/shm/"), "{f:#}");
    let f = expect(
        &doc,
        "ld-preload",
        p("ld-preload"),
        "medium",
        &format!("proc/{}/environ", p("ld-preload")),
    );
    assert!(
        summary(f).contains("LD_PRELOAD=") && summary(f).contains("libplant.so"),
        "{f:#}"
    );
    let f = expect(
        &doc,
        "kernel-thread-masquerade",
        p("kernel-thread-masquerade"),
        "high",
        &format!("proc/{}/cmdline", p("kernel-thread-masquerade")),
    );
    assert!(summary(f).contains("[kworker/0:7]"), "{f:#}");
    let f = expect(
        &doc,
        "name-mismatch",
        p("name-mismatch"),
        "low",
        &format!("proc/{}/stat", p("name-mismatch")),
    );
    assert!(summary(f).contains("comm gamma, argv[0] beta"), "{f:#}");
    let f = expect(
        &doc,
        "traced",
        p("traced"),
        "medium",
        &format!("proc/{}/status", p("traced")),
    );
    assert!(
        summary(f).contains(&format!("by {} (strace)", p("tracer"))),
        "{f:#}"
    );
    let f = expect(
        &doc,
        "shell-socket",
        p("shell-socket"),
        "high",
        &format!("proc/{}/fd/0", p("shell-socket")),
    );
    assert!(summary(f).contains("tcp 127.0.0.1:"), "{f:#}");
    let f = expect(
        &doc,
        "service-spawned-shell",
        p("service-spawned-shell"),
        "high",
        &format!("proc/{}/stat", p("service-spawned-shell")),
    );
    assert!(summary(f).contains("network service nginx"), "{f:#}");
    let f = expect(
        &doc,
        "history-off",
        p("history-off"),
        "medium",
        &format!("proc/{}/environ", p("history-off")),
    );
    assert!(summary(f).contains("HISTFILE=/dev/null"), "{f:#}");
    let init_userns =
        std::fs::read_link("/proc/self/ns/user").unwrap().to_str() == Some("user:[4026531837]");
    expect(
        &doc,
        "full-capabilities-nonroot",
        p("full-capabilities-nonroot"),
        if init_userns { "high" } else { "low" },
        &format!("proc/{}/status", p("full-capabilities-nonroot")),
    );
    let f = expect(
        &doc,
        "setuid-shell",
        p("setuid-shell"),
        "high",
        &format!("proc/{}/status", p("setuid-shell")),
    );
    assert!(summary(f).contains("as user 0 for user 65534"), "{f:#}");
    // The covered process: a mount on its /proc directory, and its child's parent missing.
    let hidden = p("hidden-parent");
    let f = expect(&doc, "proc-overmount", hidden, "high", "proc/1/mountinfo");
    assert!(
        summary(f).contains(&format!("a mount on /proc/{hidden}")),
        "{f:#}"
    );
    let f = expect(
        &doc,
        "hidden-process",
        hidden,
        "high",
        &format!("proc/{}/stat", p("hidden-child")),
    );
    assert!(
        summary(f).contains(&format!("parent of process {},", p("hidden-child"))),
        "{f:#}"
    );
    // Its listening socket: held by no process the listing shows.
    let orphan: Vec<&Value> = findings(&doc)
        .into_iter()
        .filter(|f| f["rule"] == "orphan-socket")
        .collect();
    assert_eq!(orphan.len(), 1, "{orphan:#?}");
    // The capture saw one pid namespace: a process of another may share its network namespace.
    assert_eq!(orphan[0]["severity"], "low");
    assert!(summary(orphan[0]).contains("shows only the processes of pid namespace"));
    assert!(orphan[0].get("pid").is_none());
    assert!(summary(orphan[0]).contains("tcp 127.0.0.1:") && summary(orphan[0]).contains("LISTEN"));
    // The namespace's /etc/ld.so.preload: host-wide.
    let preload: Vec<&Value> = findings(&doc)
        .into_iter()
        .filter(|f| f["rule"] == "ld-preload" && f.get("pid").is_none())
        .collect();
    assert_eq!(preload.len(), 1, "{preload:#?}");
    assert_eq!(preload[0]["evidence"][0]["member"], "etc/ld.so.preload");
    assert!(
        preload[0]["evidence"][0]["detail"]
            .as_str()
            .unwrap()
            .ends_with("/libplant.so")
    );

    // The capture ran from a copy of procsift in /dev/shm: its own process is found there, as info.
    let manifest = Command::new("tar")
        .args(["xOf", tar_s, "manifest.json"])
        .output()
        .unwrap();
    let manifest: Value = serde_json::from_slice(&manifest.stdout).unwrap();
    let own = manifest["capture"]["pid"].as_i64().expect("capture.pid") as i32;
    assert!(!s.pids.values().any(|&p| p == own), "{own}: {:?}", s.pids);
    let f = expect(&doc, "exe-writable-dir", own, "info", "manifest.json");
    assert!(
        summary(f).contains("/procsift under /dev/shm/")
            && summary(f).ends_with("; info: procsift's own process, which read these records"),
        "{f:#}"
    );
    assert!(
        findings(&doc)
            .iter()
            .filter(|f| f["pid"] == own)
            .all(|f| f["severity"] == "info"),
        "{doc:#}"
    );

    // No finding on the controls, at any severity; and nothing about a pid outside the scene's plan.
    for (c, &pid) in s.controls() {
        let on: Vec<&Value> = findings(&doc)
            .into_iter()
            .filter(|f| f["pid"] == pid)
            .collect();
        assert!(on.is_empty(), "{c} ({pid}): {on:#?}");
    }
    // PostgreSQL's server processes retitle themselves (argv[0] "postgres: checkpointer"): they are among
    // the controls (its five auxiliary processes), and a client's backend on a TCP connection with them.
    if s.pids.contains_key("control-postgres") {
        let retitled = s
            .controls()
            .filter(|(c, _)| c.starts_with("control-postgres-"))
            .count();
        assert!(retitled >= 6, "{:?}", s.pids);
    }
    // The probe answered for the threads of multi-threaded processes (redis-server's), each the thread of
    // a listed process, and did not call them hidden.
    let probe = Command::new("tar")
        .args(["xOf", tar_s, "probe/pids"])
        .output()
        .unwrap();
    assert!(probe.status.success());
    let text = String::from_utf8_lossy(&probe.stdout);
    assert!(text.starts_with("# listed at boottime "), "{text}");
    let answered: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    if s.pids.contains_key("control-redis") {
        assert!(answered.len() >= 2, "{answered:?}");
    }
    for n in &answered {
        let st = Command::new("tar")
            .args(["xOf", tar_s, &format!("probe/{n}/status")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&st.stdout);
        let tgid = text
            .lines()
            .find_map(|l| l.strip_prefix("Tgid:"))
            .map(str::trim);
        assert_ne!(
            tgid,
            Some(n.as_str()),
            "probe {n} is a process, not a thread: {text}"
        );
    }
    assert!(
        findings(&doc)
            .iter()
            .all(|f| f["rule"] != "hidden-process" || f["pid"] == hidden),
        "{:#?}",
        findings(&doc)
    );

    // The extracted directory gives the same findings.
    let extracted = s.dir.join("extracted");
    std::fs::create_dir_all(&extracted).unwrap();
    let x = Command::new("tar")
        .args(["xf", tar_s, "-C"])
        .arg(&extracted)
        .output()
        .unwrap();
    assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stderr));
    let (code, from_dir) = check(&[extracted.to_str().unwrap(), "--min-severity", "info"]);
    assert_eq!(code, 1);
    let key = |d: &Value| -> BTreeSet<String> {
        findings(d)
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {}",
                    f["rule"], f["pid"], f["severity"], f["summary"]
                )
            })
            .collect()
    };
    assert_eq!(key(&doc), key(&from_dir));

    // Kernel cores of planted processes.
    let core = |name: &str| -> PathBuf {
        let d = s.dir.join("cores").join(name);
        std::fs::read_dir(&d)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("core"))
            .unwrap_or_else(|| panic!("no core in {}", d.display()))
    };
    for (name, rule, severity, member) in [
        ("deleted", "exe-deleted", "medium", "NT_FILE"),
        ("memfd", "exe-memfd", "high", "NT_FILE"),
        (
            "rwx",
            "anon-exec-memory",
            "high",
            "PT_LOAD (program headers)",
        ),
        (
            "preload",
            "ld-preload",
            "medium",
            "PT_LOAD (the dumped stack)",
        ),
        ("kworker", "kernel-thread-masquerade", "high", "NT_PRPSINFO"),
    ] {
        let plant = match name {
            "deleted" => "exe-deleted",
            "memfd" => "exe-memfd",
            "rwx" => "anon-exec-memory",
            "preload" => "ld-preload",
            _ => "kernel-thread-masquerade",
        };
        let c = core(name);
        let (code, doc) = check(&[c.to_str().unwrap(), "--min-severity", "info"]);
        assert_eq!(code, 1, "{doc:#}");
        assert_eq!(doc["input"], "linux-core");
        let f = of(&doc, rule, p(plant));
        assert_eq!(f.len(), 1, "{rule} in the core of {name}: {doc:#}");
        assert_eq!(f[0]["severity"], severity, "{:#}", f[0]);
        assert!(
            f[0]["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["member"].as_str().unwrap().starts_with(member)),
            "{:#}",
            f[0]
        );
        // What a core cannot show is said, not silently skipped.
        let nc: Vec<&str> = doc["not_checked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["rule"].as_str().unwrap())
            .collect();
        assert!(
            nc.contains(&"traced") && nc.contains(&"orphan-socket"),
            "{nc:?}"
        );
    }

    // --redact hides the environment values the findings quote.
    let (_, red) = check(&[tar_s, "--redact"]);
    let f = &of(&red, "ld-preload", p("ld-preload"))[0];
    assert!(summary(f).contains("LD_PRELOAD=<redacted:"), "{f:#}");
    assert!(!f.to_string().contains("libplant.so"), "{f:#}");

    // An allowlist leaves out what it names, by executable path and by command name.
    let allow = s.dir.join("allow.txt");
    std::fs::write(
        &allow,
        "# reviewed\nexe-memfd /memfd:payload\nkernel-thread-masquerade sleep\n",
    )
    .unwrap();
    let (_, allowed) = check(&[tar_s, "--allow", allow.to_str().unwrap()]);
    assert!(of(&allowed, "exe-memfd", p("exe-memfd")).is_empty());
    assert!(
        of(
            &allowed,
            "kernel-thread-masquerade",
            p("kernel-thread-masquerade")
        )
        .is_empty()
    );
    assert_eq!(allowed["allowed"], 2);
    assert_eq!(
        of(&allowed, "deleted-library", p("deleted-library")).len(),
        1
    );

    // --rules, --skip and --min-severity; the exit status follows what is shown.
    let (code, only) = check(&[
        tar_s,
        "--rules",
        "name-mismatch",
        "--min-severity",
        "medium",
    ]);
    assert_eq!((code, findings(&only).len()), (0, 0), "{only:#}");
    let (code, only) = check(&[tar_s, "--rules", "name-mismatch"]);
    assert_eq!(code, 1);
    assert!(findings(&only).iter().all(|f| f["rule"] == "name-mismatch"));
    let (_, skipped) = check(&[tar_s, "--skip", "exe-memfd,traced"]);
    assert!(
        findings(&skipped)
            .iter()
            .all(|f| f["rule"] != "exe-memfd" && f["rule"] != "traced")
    );
    let bad = common::bin()
        .args(["check", tar_s, "--rules", "nope"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown rule \"nope\""));

    // The table: one line per finding, then the evidence with its members.
    let table = common::bin().args(["check", tar_s]).output().unwrap();
    assert_eq!(table.status.code(), Some(1));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("SEVERITY  RULE"), "{text}");
    assert!(text.contains("\nevidence:\n"), "{text}");
    assert!(
        text.contains(&format!("proc/{}/exe", p("exe-memfd"))),
        "{text}"
    );

    // diff: the findings of the scene that the capture before the plants did not have.
    let before = s.dir.join("before.tar");
    let out = common::bin()
        .args(["diff"])
        .arg(&before)
        .args([tar_s, "--only", "findings", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes = d["changes"].as_array().unwrap();
    assert!(
        changes.iter().all(|c| c["kind"] == "findings"),
        "{changes:#?}"
    );
    let new = |rule: &str, pid: i32| {
        changes
            .iter()
            .any(|c| c["field"] == rule && c["pid"] == pid && c["new"]["rule"] == rule)
    };
    assert!(new("exe-memfd", p("exe-memfd")) && new("shell-socket", p("shell-socket")));
    for (c, &pid) in s.controls() {
        assert!(changes.iter().all(|x| x["pid"] != pid), "{c}: {changes:#?}");
    }
    // The namespace before the plants (a shell, sleep, tail, python's http.server, redis-server,
    // PostgreSQL with a client): nothing at medium or above.
    let (code, clean) = check(&[before.to_str().unwrap(), "--min-severity", "medium"]);
    assert_eq!((code, findings(&clean).len()), (0, 0), "{clean:#}");
    let (_, before_doc) = check(&[before.to_str().unwrap(), "--min-severity", "info"]);
    let planted: BTreeSet<i32> = s
        .pids
        .iter()
        .filter(|(n, _)| !n.starts_with("control"))
        .map(|(_, p)| *p)
        .collect();
    assert!(
        findings(&before_doc).iter().all(|f| f["pid"]
            .as_i64()
            .is_none_or(|p| !planted.contains(&(p as i32)))),
        "{before_doc:#}"
    );

    let csv = common::bin()
        .args(["check", tar_s, "--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(
        csv.starts_with("SEVERITY,RULE,PID,COMMAND,SUMMARY,ATTACK,EVIDENCE\n"),
        "{csv}"
    );

    // `export` writes the same findings (every severity) and what could not be checked, as tables
    // DuckDB reads.
    let ds = s.dir.join("dataset");
    common::run_ok(&[
        "export".as_ref(),
        tar.as_os_str(),
        "-o".as_ref(),
        ds.as_os_str(),
    ]);
    let r = common::duckdb(
        &s.dir,
        &[
            "SELECT rule, pid, severity, attack, len(evidence_members), evidence_members[1] \
             FROM read_parquet('dataset/findings/**/*.parquet', hive_partitioning = true)",
            "SELECT rule, reason, len(pids) \
             FROM read_parquet('dataset/not_checked/**/*.parquet', hive_partitioning = true)",
        ],
    );
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        v => Some(v.to_string()),
    };
    let mut exported: Vec<Vec<Option<String>>> = r[0]
        .iter()
        .map(|row| row.iter().map(text).collect())
        .collect();
    let mut listed: Vec<Vec<Option<String>>> = findings(&doc)
        .iter()
        .map(|f| {
            let ev = f["evidence"].as_array().unwrap();
            vec![
                text(&f["rule"]),
                f["pid"].as_i64().map(|p| p.to_string()),
                text(&f["severity"]),
                text(&f["attack"]),
                Some(ev.len().to_string()),
                ev.first().and_then(|e| text(&e["member"])),
            ]
        })
        .collect();
    exported.sort();
    listed.sort();
    assert!(listed.len() > 10, "{listed:?}");
    assert_eq!(exported, listed);
    let mut exported: Vec<Vec<Option<String>>> = r[1]
        .iter()
        .map(|row| row.iter().map(text).collect())
        .collect();
    let mut listed: Vec<Vec<Option<String>>> = doc["not_checked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            vec![
                text(&n["rule"]),
                text(&n["reason"]),
                Some(n["pids"].as_array().map_or(0, Vec::len).to_string()),
            ]
        })
        .collect();
    exported.sort();
    listed.sort();
    assert_eq!(exported, listed);
    // --redact: the environment values the findings quote are hidden there too.
    let red = s.dir.join("dataset-redacted");
    common::run_ok(&[
        "--redact".as_ref(),
        "export".as_ref(),
        tar.as_os_str(),
        "-o".as_ref(),
        red.as_os_str(),
        "--format".as_ref(),
        "ndjson".as_ref(),
    ]);
    let rows = ndjson_rows(&red.join("findings"));
    let preload = rows
        .iter()
        .find(|f| f["rule"] == "ld-preload" && f["pid"] == p("ld-preload"))
        .expect("ld-preload exported");
    assert!(
        preload["summary"]
            .as_str()
            .unwrap()
            .contains("LD_PRELOAD=<redacted:"),
        "{preload:#}"
    );
    assert!(!preload.to_string().contains("libplant.so"), "{preload:#}");
    // --no-findings: no check tables; an unknown rule is a usage error.
    let plain = s.dir.join("dataset-plain");
    common::run_ok(&[
        "export".as_ref(),
        tar.as_os_str(),
        "-o".as_ref(),
        plain.as_os_str(),
        "--no-findings".as_ref(),
    ]);
    assert!(plain.join("processes").is_dir() && !plain.join("findings").exists());
    let o = common::bin()
        .args(["export", tar_s, "-o"])
        .arg(s.dir.join("dataset-bad"))
        .args(["--rules", "no-such-rule"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!s.dir.join("dataset-bad").exists());
}

/// Every row of the NDJSON files under `dir` (walked).
fn ndjson_rows(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "ndjson") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.extend(
                    text.lines()
                        .map(|l| serde_json::from_str::<Value>(l).unwrap()),
                );
            }
        }
    }
    out
}
