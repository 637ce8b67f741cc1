//! `procsift report`: the HTML page of a real capture, loaded in a real browser (headless Chromium,
//! Debian's `chromium`): every pid is in the DOM after the script ran, the marker's arguments are there,
//! no script error or Content-Security-Policy violation is logged, hostile arguments stay text, `--redact`
//! leaves no secret in the file, a diff page marks the started and exited markers, a bad input writes no
//! file, and a screenshot is taken.

mod common;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use common::{TempDir, bin};

const HOSTILE_IMG: &str = "<img src=x onerror=alert(1)>";
const HOSTILE_END: &str = "</script><script>alert(2)</script>";
const SECRET: &str = "s3cr3t-html-value-4711";

/// A sleeping python3 with `args` after its program and `SECRET_TOKEN=<SECRET>` in its environment;
/// killed when dropped.
struct Marker(Child);

impl Marker {
    fn start(args: &[&str]) -> Marker {
        let child = Command::new("python3")
            .arg("-c")
            .arg("import sys, time\nprint('ready', flush=True)\ntime.sleep(600)")
            .args(args)
            .env("SECRET_TOKEN", SECRET)
            .stdout(Stdio::piped())
            .spawn()
            .expect("run python3");
        let mut m = Marker(child);
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(m.0.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line.trim(), "ready");
        m
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn capture(out: &Path) {
    let o = bin()
        .args(["capture", "--no-events", "-o"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "capture: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn report(args: &[&std::ffi::OsStr]) -> Output {
    bin().arg("report").args(args).output().unwrap()
}

fn report_ok(args: &[&std::ffi::OsStr]) {
    let o = report(args);
    assert!(
        o.status.success(),
        "report {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The pids in the capture, as `ps --format json` lists them.
fn pids(tar: &Path) -> Vec<i64> {
    let v = common::run_json(&["ps", tar.to_str().unwrap(), "--format", "json"]);
    v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["pid"].as_i64())
        .collect()
}

/// Runs headless Chromium on `page` (with `#fragment` when given) with `extra` arguments; returns its
/// stdout and the console messages it logged.
fn chromium(page: &Path, fragment: &str, extra: &[&str]) -> (String, Vec<String>) {
    let profile = TempDir::new("chromium-profile");
    let url = format!("file://{}{fragment}", page.display());
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(&url)
        .output()
        .expect("run chromium (apt-get install chromium)");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8_lossy(&out.stderr);
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

/// The DOM after the page's script ran.
fn dom(page: &Path) -> String {
    let (dom, console) = chromium(page, "", &["--dump-dom"]);
    assert!(
        console.is_empty(),
        "the page logged (script error or policy violation): {console:#?}"
    );
    assert!(dom.contains("</html>"), "no DOM dumped: {dom}");
    dom
}

#[test]
fn a_capture_s_page_in_a_browser_has_every_pid_and_runs_nothing_from_the_evidence() {
    let dir = TempDir::new("html");
    let marker = Marker::start(&["--html-marker", "alpha beta", HOSTILE_IMG, HOSTILE_END]);
    let tar = dir.path().join("host.tar");
    capture(&tar);
    let page = dir.path().join("host.html");
    report_ok(&[tar.as_os_str(), "-o".as_ref(), page.as_os_str()]);
    let html = std::fs::read_to_string(&page).unwrap();

    // In the file: the hostile arguments escaped, never raw; one script element, the page's own.
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert!(!html.contains(HOSTILE_IMG) && !html.contains(HOSTILE_END));
    assert_eq!(html.matches("<script").count(), 1);
    assert!(
        html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
    );
    // The environment is there without --redact (the evidence is complete).
    assert!(html.contains(SECRET));

    let dom = dom(&page);
    // The script ran (it shows the search box and counts the processes) under the page's policy.
    assert!(
        dom.contains("<div class=\"tools\" id=\"tools\">"),
        "search not shown"
    );
    let pids = pids(&tar);
    assert!(pids.contains(&i64::from(marker.pid())));
    assert!(
        dom.contains(&format!("<span id=\"qn\">{} processes</span>", pids.len())),
        "the script did not count {} processes",
        pids.len()
    );
    for pid in &pids {
        assert!(
            dom.contains(&format!("<a href=\"#p{pid}\">{pid}</a>")),
            "pid {pid} is not in the tree"
        );
        assert!(
            dom.contains(&format!("id=\"p{pid}\"")),
            "pid {pid} has no detail"
        );
    }
    // The marker's arguments, one per line of its detail, as text.
    let detail = dom
        .split(&format!("id=\"p{}\"", marker.pid()))
        .nth(1)
        .unwrap()
        .split("</article>")
        .next()
        .unwrap();
    for (i, a) in [
        "--html-marker",
        "alpha beta",
        "&lt;img src=x onerror=alert(1)&gt;",
        "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;",
    ]
    .iter()
    .enumerate()
    {
        assert!(
            detail.contains(&format!("argv[{}]  {a}\n", i + 3)),
            "argv[{}] {a} not in {detail}",
            i + 3
        );
    }
    // No element was made from the evidence.
    assert!(!dom.contains("<img"), "an img element was created");
    assert_eq!(dom.matches("<script").count(), 1);
}

#[test]
fn redact_leaves_no_secret_in_the_file() {
    let dir = TempDir::new("html-redact");
    let marker = Marker::start(&["--html-redact-marker", "--password=hunter2-html"]);
    let tar = dir.path().join("host.tar");
    capture(&tar);
    let page = dir.path().join("redacted.html");
    report_ok(&[
        "--redact".as_ref(),
        tar.as_os_str(),
        "-o".as_ref(),
        page.as_os_str(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("--html-redact-marker"));
    assert!(
        !html.contains(SECRET),
        "the environment value is in the page"
    );
    assert!(
        !html.contains("hunter2-html"),
        "the password argument is in the page"
    );
    assert!(html.contains("SECRET_TOKEN=&lt;redacted:"));
    assert!(html.contains("redacted</th><td>yes"));
    drop(marker);
}

#[test]
fn a_diff_page_marks_the_started_and_exited_markers() {
    let dir = TempDir::new("html-diff");
    let gone = Marker::start(&["--html-exits"]);
    let old = dir.path().join("old.tar");
    capture(&old);
    let gone_pid = gone.pid();
    drop(gone);
    let came = Marker::start(&["--html-starts"]);
    let new = dir.path().join("new.tar");
    capture(&new);
    let page = dir.path().join("diff.html");
    report_ok(&[
        old.as_os_str(),
        "--diff".as_ref(),
        new.as_os_str(),
        "-o".as_ref(),
        page.as_os_str(),
    ]);
    let dom = dom(&page);
    let started = format!(
        "<span class=\"tag t-s\">+</span><a href=\"#p{0}\">{0}</a>",
        came.pid()
    );
    let exited = format!("<span class=\"tag t-x\">−</span><a href=\"#x{gone_pid}\">{gone_pid}</a>");
    assert!(dom.contains(&started), "started marker not marked");
    assert!(dom.contains(&exited), "exited marker not marked");
    let line = |mark: &str| {
        dom.split(mark)
            .nth(1)
            .and_then(|r| r.split("</span></").next())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line(&started).contains("--html-starts"),
        "{}",
        line(&started)
    );
    assert!(line(&exited).contains("--html-exits"), "{}", line(&exited));
}

#[test]
fn a_bad_input_writes_no_file_and_exits_2() {
    let dir = TempDir::new("html-bad");
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, b"this is not a snapshot at all, just some bytes").unwrap();
    let page = dir.path().join("out.html");
    for input in [junk.clone(), dir.path().join("missing.tar")] {
        let o = report(&[input.as_os_str(), "-o".as_ref(), page.as_os_str()]);
        assert_eq!(o.status.code(), Some(2), "{input:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!page.exists(), "a page was written for {input:?}");
    }
    // A bad NEW of a diff too, and nothing half-written is left beside the page.
    let good = dir.path().join("good.tar");
    capture(&good);
    let o = report(&[
        good.as_os_str(),
        "--diff".as_ref(),
        junk.as_os_str(),
        "-o".as_ref(),
        page.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!page.exists());
    let left: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.as_os_str().as_bytes().ends_with(b".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // -o is required.
    let o = report(&[good.as_os_str()]);
    assert_eq!(o.status.code(), Some(2));
}

/// A scene of its own (a pid namespace with its own /proc, so no other process of this host is in it):
/// a few marker processes, captured from inside, rendered, and a screenshot taken with one process's
/// detail open.
#[test]
fn a_screenshot_of_a_small_scene() {
    let dir = TempDir::new("html-shot");
    let tar = dir.path().join("scene.tar");
    let script = format!(
        "hostname demo-host; sleep 600 & python3 -c 'import time; time.sleep(600)' --serve --port 8080 & \
         (exec -a worker sleep 601) & sleep 0.3; {} capture --no-events --case IR-demo --examiner 'on-call SRE' \
         --note 'demo scene' -o {} 2>/dev/null; kill %1 %2 %3",
        env!("CARGO_BIN_EXE_procsift"),
        tar.display()
    );
    let o = Command::new("unshare")
        .args([
            "--pid",
            "--fork",
            "--mount-proc",
            "--uts",
            "bash",
            "-c",
            &script,
        ])
        .output()
        .expect("run unshare");
    assert!(
        o.status.success() && tar.exists(),
        "scene: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let pids = pids(&tar);
    assert!(pids.len() >= 4 && pids.len() < 10, "{pids:?}");
    let page = dir.path().join("scene.html");
    report_ok(&[tar.as_os_str(), "-o".as_ref(), page.as_os_str()]);
    let png = dir.path().join("scene.png");
    let (_, console) = chromium(
        &page,
        "#p1",
        &[
            "--window-size=1280,900",
            "--hide-scrollbars",
            &format!("--screenshot={}", png.display()),
        ],
    );
    assert!(console.is_empty(), "{console:#?}");
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    // IHDR: the window's size.
    assert_eq!(&bytes[16..24], &[0, 0, 5, 0, 0, 0, 3, 0x84]);
    if let Ok(keep) = std::env::var("PROCSIFT_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
        std::fs::copy(&page, format!("{}.html", png.display())).ok();
    }
}

/// A pid namespace of its own (its own /proc): captures `old` when given, then starts a marker that runs
/// from a deleted executable named `<img src=x onerror=alert(1)>` (a copy of sleep under `dir`, removed
/// once it runs), captures `new`, and stops the marker. Returns the marker's pid in the namespace (the
/// pid the captures record).
fn deleted_exe_scene(dir: &Path, old: Option<&Path>, new: &Path) -> i64 {
    let exe = dir.join(HOSTILE_IMG);
    let pidfile = dir.join("marker.pid");
    let script = r#"set -e
if [ -n "$OLD" ]; then "$PROCSIFT" capture --no-events -o "$OLD" 2>/dev/null; fi
cp /bin/sleep "$EXE"
"$EXE" 600 &
m=$!
while [ "$(readlink /proc/$m/exe)" != "$EXE" ]; do sleep 0.05; done
rm "$EXE"
echo $m > "$PIDFILE"
"$PROCSIFT" capture --no-events -o "$NEW" 2>/dev/null
kill $m
"#;
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "bash", "-c", script])
        .env("PROCSIFT", env!("CARGO_BIN_EXE_procsift"))
        .env("EXE", &exe)
        .env("PIDFILE", &pidfile)
        .env("NEW", new)
        .env("OLD", old.map(Path::as_os_str).unwrap_or_default());
    let o = cmd.output().expect("run unshare");
    assert!(
        o.status.success() && new.exists(),
        "scene: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The findings table's row of `rule` (from the severity label to the row's end) in `html`.
fn finding_row<'a>(html: &'a str, section: &str, rule: &str) -> Option<&'a str> {
    let s = html.split(section).nth(1)?;
    s.split("</tr>")
        .take_while(|r| !r.contains("</section>"))
        .find(|r| r.contains(&format!("<td>{rule}<div")))
}

#[test]
fn a_finding_is_on_the_page_linked_to_its_process_and_its_evidence_stays_text() {
    let dir = TempDir::new("html-findings");
    let tar = dir.path().join("scene.tar");
    let pid = deleted_exe_scene(dir.path(), None, &tar);
    // What `check` says about the marker, to compare with the page.
    let o = bin()
        .args(["check", "--min-severity", "info", "--format", "json"])
        .arg(&tar)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let check: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let finding = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "exe-deleted")
        .expect("check finds exe-deleted")
        .clone();
    assert_eq!(finding["pid"].as_i64(), Some(pid));
    let page = dir.path().join("scene.html");
    report_ok(&[tar.as_os_str(), "-o".as_ref(), page.as_os_str()]);
    let dom = dom(&page);

    // The findings come first, before the summary.
    let main = dom.split("<main>").nth(1).unwrap();
    assert!(
        main.starts_with("<section id=\"findings\">"),
        "{}",
        &main[..200.min(main.len())]
    );
    let row = finding_row(&dom, "<section id=\"findings\">", "exe-deleted")
        .expect("the exe-deleted finding is on the page");
    // Its severity as check gives it, a link to the marker's detail, which exists.
    let severity = finding["severity"].as_str().unwrap();
    assert!(
        row.contains(&format!(
            "<span class=\"sev s-{severity}\">{severity}</span>"
        )),
        "{row}"
    );
    assert!(
        row.contains(&format!("<a href=\"#p{pid}\">{pid}</a>")),
        "{row}"
    );
    assert!(dom.contains(&format!("<article class=\"proc\" id=\"p{pid}\">")));
    // The evidence: the member, and the executable's hostile name as text.
    let member = finding["evidence"][0]["member"].as_str().unwrap();
    assert_eq!(member, format!("proc/{pid}/exe"));
    assert!(row.contains(member), "{row}");
    assert!(
        row.contains("&lt;img src=x onerror=alert(1)&gt; (deleted)"),
        "{row}"
    );
    assert!(!dom.contains("<img"), "an img element was created");
    assert_eq!(dom.matches("<script").count(), 1);
    // Every finding and every "not checked" line of `check` is on the page.
    let findings = dom.split("<section id=\"findings\">").nth(1).unwrap();
    let findings = findings.split("</section>").next().unwrap();
    assert_eq!(
        findings.matches("<span class=\"sev s-").count(),
        check["findings"].as_array().unwrap().len()
    );
    for n in check["not_checked"].as_array().unwrap() {
        let line = format!("<span class=\"c\">{}</span>: ", n["rule"].as_str().unwrap());
        assert!(findings.contains(&line), "{line} not in {findings}");
    }
    // The marker's own panel lists its finding.
    let panel = dom
        .split(&format!("id=\"p{pid}\""))
        .nth(1)
        .unwrap()
        .split("</article>")
        .next()
        .unwrap();
    assert!(panel.contains("exe-deleted"), "{panel}");

    // `check`'s rule options: --skip, and an allowlist that covers the marker's directory, leave the
    // finding out of the page; the other findings stay.
    let others = check["findings"].as_array().unwrap().len() - 1;
    let allow = dir.path().join("reviewed.txt");
    std::fs::write(
        &allow,
        format!("# reviewed\nexe-deleted {}/*\n", dir.path().display()),
    )
    .unwrap();
    for opts in [
        ["--skip", "exe-deleted"],
        ["--allow", allow.to_str().unwrap()],
    ] {
        let page = dir.path().join("reviewed.html");
        let _ = std::fs::remove_file(&page);
        let mut args = vec![tar.as_os_str(), "-o".as_ref(), page.as_os_str()];
        args.extend(opts.iter().map(|o| std::ffi::OsStr::new(*o)));
        report_ok(&args);
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(
            finding_row(&html, "<section id=\"findings\">", "exe-deleted").is_none(),
            "{opts:?} left exe-deleted on the page"
        );
        let section = html.split("<section id=\"findings\">").nth(1).unwrap();
        let section = section.split("</section>").next().unwrap();
        assert_eq!(
            section.matches("<span class=\"sev s-").count(),
            others,
            "{opts:?}"
        );
        if opts[0] == "--allow" {
            assert!(section.contains("1 allowed by the allowlist"), "{section}");
        }
    }
    // An unknown rule is a usage error, before anything is read or written.
    let page = dir.path().join("unknown-rule.html");
    let o = report(&[
        tar.as_os_str(),
        "-o".as_ref(),
        page.as_os_str(),
        "--rules".as_ref(),
        "no-such-rule".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no-such-rule"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!page.exists());
}

#[test]
fn a_diff_page_shows_the_new_finding() {
    let dir = TempDir::new("html-findings-diff");
    let (old, new) = (dir.path().join("old.tar"), dir.path().join("new.tar"));
    let pid = deleted_exe_scene(dir.path(), Some(&old), &new);
    let page = dir.path().join("diff.html");
    report_ok(&[
        old.as_os_str(),
        "--diff".as_ref(),
        new.as_os_str(),
        "-o".as_ref(),
        page.as_os_str(),
    ]);
    let dom = dom(&page);
    let fresh = dom
        .split("<h3>New in NEW (")
        .nth(1)
        .expect("new findings listed")
        .split("<h3>")
        .next()
        .unwrap();
    let row = finding_row(fresh, "<table", "exe-deleted").expect("exe-deleted is new");
    assert!(
        row.contains(&format!("<a href=\"#p{pid}\">{pid}</a>")),
        "{row}"
    );
    assert!(
        row.contains("&lt;img src=x onerror=alert(1)&gt; (deleted)"),
        "{row}"
    );
    assert!(!dom.contains("<img"));
    // Nothing was resolved: OLD's findings are all still there.
    assert!(dom.contains("<h3>Resolved: in OLD, not in NEW (0)</h3>"));
    // The marker started between the snapshots and has its full detail.
    assert!(dom.contains(&format!(
        "<span class=\"tag t-s\">+</span><a href=\"#p{pid}\">{pid}</a>"
    )));
    assert!(dom.contains(&format!("<article class=\"proc\" id=\"p{pid}\">")));
}
