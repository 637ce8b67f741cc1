//! Every report over a model whose every text came from a hostile process: newlines, carriage returns,
//! ESC and C1 sequences, DEL, bidirectional overrides and invisible characters in argv, comm, paths,
//! environment, thread names, user names, cgroups, sockets, limits, namespaces, core notes and auxv, process
//! events, signal names, the host's facts, and warnings. Table and text (piped and on a terminal) and CSV
//! never carry one of those characters raw and keep one record per line; JSON keeps the exact bytes.

use serde_json::Value;

use super::testutil::sample;
use super::*;
use crate::bytes::{ByteString, unescape};
use crate::model::*;

/// Every character that must not reach a terminal, in one string.
const EVIL: &str =
    "A\nB\rC\tD\x1b[31mE\x07F\x7fG\u{9b}2JH\u{85}I\u{202e}J\u{2066}K\u{200b}L\u{2028}M\u{feff}N";
/// The same as raw bytes, with a byte that is not UTF-8.
const EVIL_BYTES: &[u8] = b"a\nb\x1b]0;title\x07c\xc2\x9bd\xe2\x80\xaee\xff\r";

fn evil(tag: &str) -> String {
    format!("{tag}:{EVIL}")
}

fn hostile() -> Snapshot {
    let mut s = sample();
    s.source.path = evil("path");
    s.host.hostname = Some(evil("host"));
    s.host.os_release = Some(evil("os"));
    s.warnings
        .push(Warning::at(evil("member"), 3, evil("message")));
    for p in &mut s.processes {
        p.comm = Some(ByteString::new(EVIL_BYTES));
        let mut argv = vec![ByteString::from(evil("arg").as_str())];
        argv.push(ByteString::new(EVIL_BYTES));
        p.argv = Some(argv);
        p.env = Some(vec![ByteString::from(evil("ENV=").as_str())]);
        p.exe = Some(ByteString::new(EVIL_BYTES));
        p.cwd = Some(ByteString::from(evil("cwd").as_str()));
        p.cgroup = Some(vec![ByteString::from(evil("0::/cg").as_str())]);
        p.cred.user = Some(evil("user"));
        p.cred.euser = Some(evil("euser"));
        p.state = Some(evil("S"));
        p.wchan = Some(evil("wchan"));
        p.tty_name = Some(evil("tty"));
        p.limits = Some(vec![Limit {
            name: evil("limit"),
            soft: Some(1),
            hard: None,
            unit: Some(evil("unit")),
        }]);
        p.namespaces = Some(vec![Namespace {
            kind: evil("ns"),
            inode: 1,
            link: Some(evil("link")),
        }]);
        p.signal_actions = Some(vec![SignalAction {
            signal: 1,
            name: Some(evil("SIG")),
            action: evil("action"),
            handler: None,
            mask: vec![evil("mask")],
            flags: vec![evil("flag")],
            ..SignalAction::default()
        }]);
        for t in p.threads.iter_mut().flatten() {
            t.name = Some(ByteString::new(EVIL_BYTES));
            t.wchan = Some(evil("twchan"));
            t.state = Some(evil("T"));
            t.unwind_stop = Some(evil("stop"));
            t.frames = Some(vec![crate::model::Frame {
                pc: 0x1000,
                module: Some(ByteString::new(EVIL_BYTES)),
                module_offset: Some(0x10),
                function: Some(ByteString::new(EVIL_BYTES)),
                function_offset: Some(4),
                file: Some(ByteString::new(EVIL_BYTES)),
                line: Some(7),
                found_by: evil("cfi"),
                ..crate::model::Frame::default()
            }]);
        }
        for fd in p.fds.iter_mut().flatten() {
            fd.target = Some(ByteString::from(evil("fd").as_str()));
            fd.mode = Some(evil("mode"));
            if let Some(sock) = &mut fd.socket {
                sock.state = Some(evil("LISTEN"));
                if let Some(l) = &mut sock.local {
                    l.address = ByteString::from(evil("addr").as_str());
                }
            }
        }
        for m in p.maps.iter_mut().flatten() {
            m.path = Some(ByteString::new(EVIL_BYTES));
            m.perms = evil("perms");
        }
    }
    s.events = Some(EventLog {
        recorded: true,
        events: vec![ProcEvent {
            kind: "exec".into(),
            pid: Some(101),
            tgid: Some(101),
            argv: Some(vec![ByteString::new(EVIL_BYTES)]),
            exe: Some(ByteString::from(evil("exe").as_str())),
            details_error: Some(evil("err")),
            ..ProcEvent::default()
        }],
        ..EventLog::default()
    });
    s
}

/// A core of one hostile process.
fn hostile_core() -> Snapshot {
    let mut s = hostile();
    s.processes.truncate(1);
    s.core = Some(CoreInfo {
        os: evil("os"),
        arch: evil("arch"),
        elf_class: 64,
        byte_order: crate::abi::Endianness::Little,
        kernel: Some(evil("kernel")),
        signal: Some(CoreSignal {
            number: 11,
            name: Some(evil("SIGSEGV")),
            code_name: Some(evil("code")),
            source: evil("source"),
            ..CoreSignal::default()
        }),
        auxv: vec![AuxEntry {
            name: Some(evil("AT_EXECFN")),
            kind: 31,
            value: 0x1000,
            string: Some(ByteString::new(EVIL_BYTES)),
        }],
        notes: vec![NoteSummary {
            owner: evil("CORE"),
            kind: 1,
            name: Some(evil("NT_PRSTATUS")),
            size: 1,
            offset: 2,
        }],
        provenance: vec![Provenance {
            field: evil("pid"),
            source: evil("note"),
        }],
        mappings_omitted: Some(evil("omitted")),
        live: Some(crate::model::LiveDump {
            tool: evil("tool"),
            missing: vec![crate::model::MissingMemory {
                start: 0x1000,
                end: 0x2000,
                reason: evil("reason"),
                errno: Some(evil("errno")),
            }],
            ..crate::model::LiveDump::default()
        }),
        modules: vec![crate::model::CoreModule {
            path: ByteString::new(EVIL_BYTES),
            status: evil("not used"),
            file: Some(evil("file")),
            note: Some(evil("note")),
            frames: 1,
            ..crate::model::CoreModule::default()
        }],
    });
    s
}

fn reports(s: &Snapshot) -> Vec<Report> {
    let all = Filter::default();
    let mut out = vec![
        ps(s, &PsOptions::default()),
        ps(
            s,
            &PsOptions {
                columns: Some(Column::parse_list(&Column::names().join(",")).unwrap()),
                ..PsOptions::default()
            },
        ),
        tree(s, &all),
        info(s),
        threads(s, None, &all).unwrap(),
        crate::report::stacks(s, None, &all).unwrap(),
        files(s, None, &all).unwrap(),
    ];
    let pid = s.processes[s.processes.len() - 1].pid;
    out.push(show(s, pid).unwrap());
    out.push(maps(s, pid).unwrap());
    out.push(signals(s, pid).unwrap());
    out.extend(events(s, &EventsOptions::default()).ok());
    out.extend(core(s).ok());
    out.push(timeline::timeline(&timeline::merge(timeline::entries(
        s,
        Some(crate::time::Timestamp {
            secs: 1_795_355_238,
            nanos: 0,
        }),
    ))));
    out
}

/// No character that needs escaping, and no line but those the layout makes.
fn assert_inert(what: &str, text: &str) {
    for c in text.chars() {
        assert!(
            c == '\n' || !escape::needs_escape(c),
            "{what}: raw {c:?} in:\n{text}"
        );
    }
}

fn render_to(r: &Report, format: Format, width: Option<usize>) -> String {
    let mut out = Vec::new();
    render::render(r, format, width, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn no_report_lets_a_control_character_through() {
    for s in [hostile(), hostile_core()] {
        let mut reports = reports(&s);
        reports.push(diff(
            &crate::diff::compare(&sample(), &s, &crate::diff::Options::default()).unwrap(),
        ));
        for r in &reports {
            for width in [None, Some(80), Some(20)] {
                let text = render_to(r, Format::Table, width);
                assert_inert(&format!("{} table {width:?}", r.name), &text);
                assert!(!text.is_empty(), "{}", r.name);
            }
            let csv = render_to(r, Format::Csv, None);
            assert_inert(&format!("{} csv", r.name), &csv);
            // One CSV line per row: a value never adds a line.
            assert_eq!(csv.lines().count(), r.table.rows.len() + 1, "{}", r.name);
        }
        // One process, one line: `ps` and `tree` print a line per process.
        let n = s.processes.len();
        let ps_text = render_to(&reports[0], Format::Table, None);
        assert_eq!(ps_text.lines().count(), n + 1, "{ps_text}");
        let tree_text = render_to(&reports[2], Format::Table, Some(80));
        assert_eq!(tree_text.lines().count(), n, "{tree_text}");
    }
}

#[test]
fn json_keeps_the_exact_bytes() {
    let s = hostile();
    let r = show(&s, 102).unwrap();
    let doc: Value = serde_json::from_str(&render_to(&r, Format::Json, None)).unwrap();
    let p = &doc["process"];
    let bytes = |v: &Value| unescape(v.as_str().unwrap()).unwrap();
    assert_eq!(bytes(&p["comm"]), EVIL_BYTES);
    assert_eq!(bytes(&p["argv"][0]), evil("arg").as_bytes());
    assert_eq!(bytes(&p["argv"][1]), EVIL_BYTES);
    assert_eq!(bytes(&p["env"][0]), evil("ENV=").as_bytes());
    assert_eq!(p["user"], evil("user"));
    assert_eq!(doc["warnings"][1]["member"], evil("member"));
    let nd = render_to(&ps(&s, &PsOptions::default()), Format::Ndjson, None);
    let first: Value = serde_json::from_str(nd.lines().next().unwrap()).unwrap();
    assert_eq!(bytes(&first["argv"][1]), EVIL_BYTES);
}

#[test]
fn tables_show_the_escapes() {
    let s = hostile();
    let text = render_to(&show(&s, 102).unwrap(), Format::Table, None);
    assert!(
        text.contains("a\\nb\\x1b]0;title\\x07c\\u{9b}d\\u{202e}e\\xff\\r"),
        "{text}"
    );
    assert!(
        text.contains("arg:A\\nB\\rC\\tD\\x1b[31mE\\x07F\\x7fG\\u{9b}2JH\\u{85}I\\u{202e}J\\u{2066}K\\u{200b}L\\u{2028}M\\u{feff}N"),
        "{text}"
    );
}

#[test]
fn bodyfile_and_metrics_keep_hostile_text_inert_and_in_place() {
    for s in [hostile(), hostile_core()] {
        let entries = timeline::merge(timeline::entries(
            &s,
            Some(crate::time::Timestamp {
                secs: 1_795_355_238,
                nanos: 0,
            }),
        ));
        assert!(!entries.is_empty());
        let mut body = Vec::new();
        timeline::write_bodyfile(&entries, &mut body).unwrap();
        let body = String::from_utf8(body).unwrap();
        assert_inert("bodyfile", &body);
        assert_eq!(body.lines().count(), entries.len(), "{body}");
        for line in body.lines() {
            assert_eq!(line.split('|').count(), 11, "{line}");
        }
        let mut jsonl = Vec::new();
        timeline::write_jsonl(&entries, &mut jsonl).unwrap();
        let jsonl = String::from_utf8(jsonl).unwrap();
        assert_eq!(jsonl.lines().count(), entries.len());
        for line in jsonl.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            assert!(v["message"].is_string() && v["datetime"].is_string(), "{v}");
        }

        let families = metrics::families(&s, 100);
        let samples: usize = families.iter().map(|f| f.samples.len()).sum();
        assert!(samples > 0);
        let prom = metrics::prometheus(&families);
        assert_inert("prometheus", &prom);
        assert_eq!(
            prom.lines().filter(|l| !l.starts_with('#')).count(),
            samples,
            "{prom}"
        );
        for line in prom.lines().filter(|l| !l.starts_with('#')) {
            // Outside quoted label values, a sample line is `name{labels} value`: every quote that
            // opens or closes a value is unescaped, so their number is even.
            let unescaped_quotes = line
                .replace("\\\\", "")
                .replace("\\\"", "")
                .matches('"')
                .count();
            assert_eq!(unescaped_quotes % 2, 0, "{line}");
        }
        let mk = metrics::mackerel(&families, 1_795_355_238);
        // The tabs are the format's own separators.
        assert_inert("mackerel", &mk.replace('\t', " "));
        assert_eq!(mk.lines().count(), samples);
        for line in mk.lines() {
            assert_eq!(line.split('\t').count(), 3, "{line}");
        }
    }
}

/// The text of `line` from display column `col` on.
fn from_column(line: &str, col: usize) -> &str {
    let mut w = 0;
    for (i, c) in line.char_indices() {
        if w >= col {
            return &line[i..];
        }
        w += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
    }
    ""
}

/// A diff whose values wrap on a terminal: one change is one row, and no wrapped value makes a line that
/// looks like a row. The new argv forges rows after runs of spaces, blank-looking characters (Hangul
/// fillers, no-break and ideographic spaces) and controls, so that a piece of it could start a line.
#[test]
fn wrapped_diff_values_never_look_like_rows() {
    let mut new = hostile();
    let forged = format!(
        "x{}    1  13:01:15  init  started  process  -  /sbin/FAKE-ROW\n{}  system  processes  1  2 {}  {EVIL}",
        " ".repeat(70),
        "\u{3164}\u{a0}\u{3000}".repeat(20),
        "y ".repeat(40)
    );
    new.processes[1].argv = Some(vec![ByteString::from(forged.as_str())]);
    new.processes[1].cwd = Some(ByteString::from(forged.as_str()));
    let d = crate::diff::compare(&sample(), &new, &crate::diff::Options::default()).unwrap();
    let r = diff(&d);
    let kinds: Vec<&str> = crate::diff::Kind::ALL.iter().map(|k| k.name()).collect();
    for width in [80, 100, 120, 160, 200, 400] {
        let text = render_to(&r, Format::Table, Some(width));
        assert_inert(&format!("diff {width}"), &text);
        let lines: Vec<&str> = text.lines().collect();
        let head = lines
            .iter()
            .position(|l| l.starts_with('!') && l.contains("PID"))
            .unwrap();
        let header = lines[head];
        let kind_at = header.find("KIND").unwrap();
        let old_at = header.find("OLD");
        let mut rows = 0;
        for line in &lines[head + 1..] {
            assert!(
                unicode_width::UnicodeWidthStr::width(*line) <= width,
                "{line}"
            );
            let continued = match old_at {
                // Beside the row: a continuation has nothing before OLD.
                Some(at) => line.get(..at).is_some_and(|s| s.trim().is_empty()),
                // Under the row: blanks, then a header or the continuation mark.
                None => {
                    let rest = line.trim_start_matches(' ');
                    line.starts_with(' ')
                        && ["OLD ", "NEW ", "NOTE ", "…"]
                            .iter()
                            .any(|m| rest.starts_with(m))
                }
            };
            if continued {
                continue;
            }
            let kind = from_column(line, kind_at);
            assert!(
                kinds.iter().any(|k| kind.starts_with(&format!("{k} "))),
                "{width}: neither a row nor a continuation: {line:?}\n{text}"
            );
            rows += 1;
        }
        assert_eq!(rows, d.changes.len(), "{width}:\n{text}");
        assert!(
            text.contains("FAKE-ROW"),
            "{width}: the value is shown:\n{text}"
        );
    }
}
