//! Hostile manifests: a real capture of this host whose `manifest.json` is rewritten with numbers no host
//! has (huge or zero clock ticks, page size 0, boot times at the ends of the 64-bit range, far-future
//! years, event clocks at the ends of their range). Every report and the diff run on them in this debug
//! build (overflow checks on): none may panic, and the impossible host facts are warnings naming
//! `manifest.json`, the fields treated as unknown.

mod common;

use std::io::Read;
use std::path::Path;

use common::{TempDir, bin};
use serde_json::{Value, json};

/// The members of a tar, in order: (path, bytes, link target).
type Members = Vec<(String, Vec<u8>, Option<Vec<u8>>)>;

fn read_tar(path: &Path) -> Members {
    let mut a = tar::Archive::new(std::fs::File::open(path).unwrap());
    let mut out = Vec::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let link = e
            .link_name_bytes()
            .filter(|_| e.header().entry_type().is_symlink())
            .map(|l| l.to_vec());
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.push((name, data, link));
    }
    out
}

fn write_tar(path: &Path, members: &Members, manifest: &Value) {
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, data, link) in members {
        if name == "manifest.json" {
            continue;
        }
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match link {
            Some(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, name, std::str::from_utf8(target).unwrap_or("x"))
                    .unwrap();
            }
            None => {
                h.set_size(data.len() as u64);
                b.append_data(&mut h, name, &data[..]).unwrap();
            }
        }
    }
    let bytes = serde_json::to_vec(manifest).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_size(bytes.len() as u64);
    b.append_data(&mut h, "manifest.json", &bytes[..]).unwrap();
    b.finish().unwrap();
}

/// Runs procsift; it must not panic (exit status 101, "panicked" on stderr). Returns stdout.
fn no_panic(args: &[&str]) -> String {
    let out = bin().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() != Some(101) && !err.contains("panicked"),
        "procsift {args:?} panicked: {err}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn set(v: &mut Value, path: &[&str], value: Value) {
    let mut cur = v;
    for k in &path[..path.len() - 1] {
        if cur.get(*k).is_none_or(Value::is_null) {
            cur[*k] = json!({});
        }
        cur = cur.get_mut(*k).unwrap();
    }
    cur[path[path.len() - 1]] = value;
}

#[test]
fn hostile_manifest_numbers_never_panic_and_are_unknown() {
    let dir = TempDir::new("hostile-manifest");
    let base = dir.path().join("base.tar");
    let out = bin().args(["capture", "-o"]).arg(&base).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut members = read_tar(&base);
    // A process started 10^11 clock ticks after boot: with a huge clock rate, its start time's fraction
    // of a second needs more than 64 bits on the way.
    members.insert(
        0,
        (
            "proc/999999/stat".into(),
            b"999999 (late) S 1 999999 999999 0 -1 4194304 0 0 0 0 7 3 0 0 20 0 1 0 \
              100000000000 1000000 10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0"
                .to_vec(),
            None,
        ),
    );
    let manifest: Value = serde_json::from_slice(
        &members
            .iter()
            .find(|m| m.0 == "manifest.json")
            .expect("manifest")
            .1,
    )
    .unwrap();
    let pid = std::process::id().to_string();

    // (field path, hostile value, the warning expected in `info`, if the field is a host fact)
    let far = "292277026596-12-04T15:30:07Z"; // i64::MAX seconds
    let cases: Vec<(Vec<&str>, Value, Option<&str>)> = vec![
        (
            vec!["host", "clk_tck"],
            json!(u64::MAX),
            Some("clock ticks"),
        ),
        (vec!["host", "clk_tck"], json!(0), Some("clock ticks")),
        (
            vec!["host", "clk_tck"],
            json!(1u64 << 40),
            Some("clock ticks"),
        ),
        (vec!["host", "page_size"], json!(0), Some("page size")),
        (
            vec!["host", "page_size"],
            json!(u64::MAX),
            Some("page size"),
        ),
        (vec!["host", "page_size"], json!(4097), Some("page size")),
        (vec!["host", "boot_time"], json!(far), Some("boot time")),
        (
            vec!["host", "boot_time"],
            json!("9999-12-31T23:59:59Z"),
            None,
        ),
        (
            vec!["host", "boot_time"],
            json!("0000-01-01T00:00:00Z"),
            Some("boot time"),
        ),
        (vec!["capture", "started"], json!(far), None),
        (
            vec!["capture", "finished"],
            json!("0000-01-01T00:00:00Z"),
            None,
        ),
        (vec!["capture", "started_boottime"], json!(1e308), None),
        (vec!["capture", "finished_boottime"], json!(-1e308), None),
        // A year past what 64-bit seconds hold: not a time this build can hold, so the manifest is
        // unreadable (a warning) and the members are still analyzed.
        (
            vec!["host", "boot_time"],
            json!("99999999999999-01-01T00:00:00Z"),
            None,
        ),
        (
            vec!["events", "clock", "monotonic_ns"],
            json!(u64::MAX),
            None,
        ),
        (
            vec!["events", "clock", "boottime_ns"],
            json!(u64::MAX),
            None,
        ),
        (vec!["events", "clock", "utc"], json!(far), None),
        (vec!["events", "watch_secs"], json!(1e308), None),
        (vec!["events", "count"], json!(u64::MAX), None),
    ];
    for (i, (path, value, expect)) in cases.iter().enumerate() {
        let mut m = manifest.clone();
        set(&mut m, path, value.clone());
        let tar = dir.path().join(format!("hostile{i}.tar"));
        write_tar(&tar, &members, &m);
        let t = tar.to_str().unwrap();
        let b = base.to_str().unwrap();
        for format in ["table", "json"] {
            for args in [
                vec!["ps", t],
                vec![
                    "ps",
                    t,
                    "--all",
                    "-o",
                    "pid,start,etime,time,pcpu,pmem,stat",
                ],
                vec!["tree", t],
                vec!["show", t, &pid],
                vec!["threads", t],
                vec!["maps", t, &pid],
                vec!["files", t],
                vec!["signals", t, &pid],
                vec!["info", t],
                vec!["events", t],
                vec!["diff", b, t],
                vec!["diff", t, b],
                vec!["diff", t, t],
            ] {
                let mut args = args.clone();
                args.extend(["--format", format]);
                no_panic(&args);
            }
        }
        let info: Value =
            serde_json::from_str(&no_panic(&["info", t, "--format", "json"])).unwrap();
        if let Some(what) = expect {
            let warned = info["warnings"].as_array().unwrap().iter().any(|w| {
                w["member"] == "manifest.json"
                    && w["message"].as_str().unwrap().contains(what)
                    && w["message"].as_str().unwrap().contains("impossible")
            });
            assert!(
                warned,
                "{path:?} = {value}: no warning: {}",
                info["warnings"]
            );
            // Unknown, or (boot time) taken from `proc/stat` instead.
            let field = path[1];
            assert!(
                info["host"].get(field).is_none_or(|v| v != value),
                "{path:?} = {value}: still in host: {}",
                info["host"]
            );
        }
    }
}
