use super::*;
use crate::model::*;
use crate::report::testutil::sample;

const HOSTILE: &str =
    "<img src=x onerror=alert(1)></script><script>alert(2)</script>\"'&amp;\u{202e}\x1b[31m";

fn hostile_bytes() -> ByteString {
    ByteString::new(HOSTILE.as_bytes())
}

/// The sample snapshot with the hostile string in every text field a page shows: names, arguments,
/// environment, user, paths, cgroup, files, sockets, maps, host facts, chain of custody, warnings, events.
fn hostile() -> Snapshot {
    let mut s = sample();
    s.host.hostname = Some(HOSTILE.into());
    s.host.os_release = Some(HOSTILE.into());
    s.capture = Some(CaptureInfo {
        case: Some(HOSTILE.into()),
        examiner: Some(HOSTILE.into()),
        note: Some(HOSTILE.into()),
        started: Some(Timestamp {
            secs: 1_795_350_200,
            nanos: 0,
        }),
        finished: Some(Timestamp {
            secs: 1_795_350_201,
            nanos: 0,
        }),
        ..CaptureInfo::default()
    });
    s.warnings.push(Warning::at(HOSTILE, 3, HOSTILE));
    for p in &mut s.processes {
        p.comm = Some(hostile_bytes());
        p.argv = Some(vec![hostile_bytes(), hostile_bytes()]);
        p.env = Some(vec![ByteString::new(format!("K={HOSTILE}").as_bytes())]);
        p.cwd = Some(hostile_bytes());
        p.exe = Some(hostile_bytes());
        p.cred.user = Some(HOSTILE.into());
        p.cred.euser = Some(HOSTILE.into());
        p.cgroup = Some(vec![hostile_bytes()]);
        p.wchan = Some(HOSTILE.into());
        p.fds = Some(vec![Fd {
            fd: 3,
            kind: FdKind::Socket,
            target: Some(hostile_bytes()),
            mode: None,
            flags: None,
            pos: None,
            inode: Some(7),
            socket: Some(Socket {
                protocol: "unix".into(),
                local: Some(SocketEndpoint {
                    address: hostile_bytes(),
                    port: None,
                }),
                remote: None,
                state: Some(HOSTILE.into()),
                socket_type: None,
                uid: None,
                netns: None,
            }),
        }]);
        p.maps = Some(vec![Mapping {
            start: 0x1000,
            end: 0x2000,
            perms: "r-xp".into(),
            path: Some(hostile_bytes()),
            ..Mapping::default()
        }]);
        p.unread.push(Unread {
            field: "env".into(),
            member: HOSTILE.into(),
            error: HOSTILE.into(),
        });
    }
    s
}

/// Every tag of `html`, as (name, attribute text). A naive scanner: the page's own markup is regular.
fn tags(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("a tag is closed");
        let tag = &rest[..end];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect();
        let attrs = tag[name.len().min(tag.len())..].to_string();
        out.push((name.to_lowercase(), attrs));
        rest = &rest[end..];
        // The style sheet and script are constants: skip their bodies.
        for raw in ["style", "script"] {
            if name == raw && !tag.starts_with('/') {
                let close = format!("</{raw}>");
                let j = rest.find(&close).expect("closed");
                rest = &rest[j + 1..];
            }
        }
    }
    out
}

/// The names of the attributes in a tag's attribute text (outside quoted values).
fn attribute_names(attrs: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut quoted = false;
    let mut word = String::new();
    for c in attrs.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.clear();
            }
            _ if quoted => {}
            '=' | ' ' | '/' => {
                if !word.is_empty() {
                    names.push(std::mem::take(&mut word));
                }
            }
            _ => word.push(c),
        }
    }
    if !word.is_empty() && !quoted {
        names.push(word);
    }
    names
}

const ALLOWED: &[&str] = &[
    "!doctype", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
    "nav", "a", "main", "section", "div", "table", "thead", "tbody", "tr", "th", "td", "span",
    "ul", "li", "details", "summary", "input", "button", "article", "footer", "script", "svg", "g",
    "rect", "text", "line", "pre", "path", "circle", "tspan",
];

fn assert_inert(page: &str) {
    let scripts = tags(page)
        .iter()
        .filter(|(n, a)| n == "script" && !a.starts_with('/'))
        .count();
    for (name, attrs) in tags(page) {
        assert!(
            ALLOWED.contains(&name.as_str()),
            "unexpected element <{name}{attrs}>"
        );
        let lower = attrs.to_lowercase();
        for a in attribute_names(&lower) {
            assert!(
                !a.starts_with("on"),
                "event handler attribute in <{name}{attrs}>"
            );
            assert!(
                a != "style" && a != "src" && a != "srcdoc",
                "{a} attribute in <{name}{attrs}>"
            );
        }
        assert!(
            !lower.contains("javascript:"),
            "javascript: URL in <{name}{attrs}>"
        );
    }
    assert!(!page.contains("<img"), "an img element was written");
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;"));
    // The bidirectional override and ESC are shown as escapes, not passed through.
    assert!(!page.contains('\u{202e}') && !page.contains('\x1b'));
    assert!(page.contains("\\u{202e}\\x1b[31m"));
    // Only the page's own script: one opening tag, and no `</script>` but its own.
    assert_eq!(scripts, 1);
    assert_eq!(page.matches("</script>").count(), 1);
}

fn opts() -> Options {
    Options {
        redacted: false,
        generated: Timestamp {
            secs: 1_795_350_300,
            nanos: 0,
        },
    }
}

#[test]
fn hostile_values_stay_text_in_a_snapshot_page() {
    let s = hostile();
    let page = snapshot_page(
        &Evidence {
            snapshot: &s,
            verify: None,
            sha256: None,
            size: None,
            findings: None,
        },
        &opts(),
    );
    assert_inert(&page);
    // Every pid has its line and its panel.
    for p in &s.processes {
        assert!(
            page.contains(&format!("<article class=\"proc\" id=\"p{}\">", p.pid)),
            "{}",
            p.pid
        );
        assert!(page.contains(&format!("href=\"#p{}\">{}</a>", p.pid, p.pid)));
    }
}

#[test]
fn hostile_values_stay_text_in_a_diff_page() {
    let old = hostile();
    let mut new = hostile();
    // 102 exited, 103 started, 101 changed its arguments.
    new.processes.retain(|p| p.pid != 102);
    let mut started = new.processes[0].clone();
    started.pid = 103;
    new.processes.push(started);
    new.processes[2].argv = Some(vec![hostile_bytes()]);
    new.sort();
    let d = crate::diff::compare(&old, &new, &crate::diff::Options::default()).unwrap();
    let ev = |s| Evidence {
        snapshot: s,
        verify: None,
        sha256: None,
        size: None,
        findings: None,
    };
    let page = diff_page(&ev(&old), &ev(&new), &d, &opts());
    assert_inert(&page);
    assert!(
        page.contains("id=\"x102\""),
        "the exited process has a panel"
    );
    assert!(
        page.contains("<span class=\"tag t-s\">+</span><a href=\"#p103\">"),
        "103 is marked started"
    );
    assert!(
        page.contains("<span class=\"tag t-x\">−</span><a href=\"#x102\">"),
        "102 is marked exited"
    );
}

#[test]
fn the_policy_names_the_page_s_own_style_and_script() {
    let s = sample();
    let page = snapshot_page(
        &Evidence {
            snapshot: &s,
            verify: None,
            sha256: None,
            size: None,
            findings: None,
        },
        &opts(),
    );
    let style = page
        .split("<style>")
        .nth(1)
        .and_then(|r| r.split("</style>").next())
        .unwrap();
    let script = page
        .split("<script>")
        .nth(1)
        .and_then(|r| r.split("</script>").next())
        .unwrap();
    let csp = content_security_policy();
    assert!(
        csp.contains(&hash_source(style)) && csp.contains(&hash_source(script)),
        "{csp}"
    );
    assert!(csp.starts_with("default-src 'none';"));
    assert!(page.contains(&format!("content=\"{csp}\"")));
}

#[test]
fn a_ppid_cycle_and_a_deep_chain_are_drawn_once_each() {
    let mut s = sample();
    // 1 -> 100 -> 101 -> 102 -> 1: a cycle in damaged input.
    s.processes[0].ppid = Some(102);
    for i in 0..3000 {
        let mut p = s.processes[3].clone();
        p.pid = 1000 + i;
        p.ppid = Some(999 + i);
        s.processes.push(p);
    }
    s.sort();
    let page = snapshot_page(
        &Evidence {
            snapshot: &s,
            verify: None,
            sha256: None,
            size: None,
            findings: None,
        },
        &opts(),
    );
    for p in &s.processes {
        assert_eq!(
            page.matches(&format!("href=\"#p{0}\">{0}</a>", p.pid))
                .count(),
            1,
            "{}",
            p.pid
        );
    }
    let tree = page
        .split("<div id=\"tree\">")
        .nth(1)
        .unwrap()
        .split("</div>")
        .next()
        .unwrap();
    assert_eq!(tree.matches("<li>").count(), s.processes.len());
    assert_eq!(tree.matches("<li>").count(), tree.matches("</li>").count());
}

/// The hostile snapshot with process 101 running a deleted executable from /tmp whose name is the
/// hostile string: an `exe-deleted` finding (high) with the string in its summary and evidence.
fn with_deleted_exe() -> Snapshot {
    let mut s = hostile();
    let p = s.processes.iter_mut().find(|p| p.pid == 101).unwrap();
    p.exe = Some(ByteString::new(
        format!("/tmp/{HOSTILE} (deleted)").as_bytes(),
    ));
    s
}

/// The part of `page` between `from` and the next `to`.
fn between<'a>(page: &'a str, from: &str, to: &str) -> &'a str {
    let start = page
        .find(from)
        .unwrap_or_else(|| panic!("{from} not in the page"));
    let rest = &page[start..];
    &rest[..rest.find(to).unwrap_or(rest.len())]
}

#[test]
fn findings_come_first_linked_to_their_process_and_stay_text() {
    let s = with_deleted_exe();
    let outcome = crate::check::check(&s, &crate::check::Options::default());
    let f = outcome
        .findings
        .iter()
        .find(|f| f.rule == "exe-deleted")
        .expect("exe-deleted found");
    assert_eq!(
        (f.pid, f.severity),
        (Some(101), crate::check::Severity::High)
    );
    let page = snapshot_page(
        &Evidence {
            snapshot: &s,
            verify: None,
            sha256: None,
            size: None,
            findings: Some(&outcome),
        },
        &opts(),
    );
    assert_inert(&page);
    // First in the page, before the summary.
    assert!(page.contains("<main><section id=\"findings\">"));
    let section = between(&page, "<section id=\"findings\">", "</section>");
    let row = between(section, "<span class=\"sev s-high\">high</span>", "</tr>");
    assert!(row.contains("exe-deleted"), "{row}");
    assert!(row.contains("<a href=\"#p101\">101</a>"), "{row}");
    // The evidence: the member, and the hostile path as text.
    assert!(row.contains("proc/101/exe"), "{row}");
    assert!(
        row.contains("/tmp/&lt;img src=x onerror=alert(1)&gt;"),
        "{row}"
    );
    // As many rows as findings, most severe first, and the totals line `check` prints.
    assert_eq!(
        section.matches("<span class=\"sev s-").count(),
        outcome.findings.len()
    );
    let order: Vec<&str> = section
        .split("<span class=\"sev s-")
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
        .collect();
    let rank = |s: &str| crate::check::Severity::parse(s).unwrap();
    assert!(
        order.windows(2).all(|w| rank(w[0]) >= rank(w[1])),
        "{order:?}"
    );
    assert!(section.contains(&format!("{} finding", outcome.findings.len())));
    // What was not checked, with the reason, as `check` says it.
    assert!(!outcome.not_checked.is_empty());
    for n in &outcome.not_checked {
        assert!(
            section.contains(&html! { (Ev(&n.reason)) }.into_string()),
            "{} not said",
            n.reason
        );
    }
    // The process's own panel lists its finding and links back.
    let panel = between(&page, "<article class=\"proc\" id=\"p101\">", "</article>");
    assert!(panel.contains("exe-deleted"), "{panel}");
    assert!(panel.contains("href=\"#findings\""), "{panel}");
}

#[test]
fn a_page_says_when_the_rules_were_not_run() {
    let s = sample();
    let page = snapshot_page(
        &Evidence {
            snapshot: &s,
            verify: None,
            sha256: None,
            size: None,
            findings: None,
        },
        &opts(),
    );
    assert!(between(&page, "<section id=\"findings\">", "</section>").contains("were not run"));
}

#[test]
fn a_diff_page_lists_new_and_resolved_findings() {
    let old = hostile();
    let new = with_deleted_exe();
    let check = |s| crate::check::check(s, &crate::check::Options::default());
    let (o, n) = (check(&old), check(&new));
    let d = crate::diff::compare(&old, &new, &crate::diff::Options::default()).unwrap();
    let ev = |s, f| Evidence {
        snapshot: s,
        verify: None,
        sha256: None,
        size: None,
        findings: Some(f),
    };
    let page = diff_page(&ev(&old, &o), &ev(&new, &n), &d, &opts());
    assert_inert(&page);
    let section = between(&page, "<section id=\"findings\">", "</section>");
    let keys: Vec<_> = o.findings.iter().map(crate::check::Finding::key).collect();
    let added = n
        .findings
        .iter()
        .filter(|f| !keys.contains(&f.key()))
        .count();
    assert!(added >= 1);
    let fresh = between(section, &format!("New in NEW ({added})"), "<h3>");
    assert!(
        fresh.contains("exe-deleted") && fresh.contains("<a href=\"#p101\">101</a>"),
        "{fresh}"
    );
    assert!(section.contains("Resolved: in OLD, not in NEW (0)"));
    // 101 is marked changed on the tree.
    let tree = between(&page, "<div id=\"tree\">", "</div>");
    let at = tree.find("<a href=\"#p101\">").unwrap();
    assert!(
        tree[..at].ends_with("<span class=\"tag t-c\">~</span>")
            || tree[..at]
                .ends_with("<span class=\"tag t-c\">~</span><span class=\"tag t-h\">!</span>"),
        "{}",
        &tree[at.saturating_sub(120)..at]
    );
    // The other way round the finding is resolved, linked to the process as OLD saw it (still running).
    let d = crate::diff::compare(&new, &old, &crate::diff::Options::default()).unwrap();
    let page = diff_page(&ev(&new, &n), &ev(&old, &o), &d, &opts());
    let section = between(&page, "<section id=\"findings\">", "</section>");
    assert!(section.contains("New in NEW (0)"));
    let gone = between(
        section,
        &format!("Resolved: in OLD, not in NEW ({added})"),
        "<h3>",
    );
    assert!(
        gone.contains("exe-deleted") && gone.contains("<a href=\"#p101\">101</a>"),
        "{gone}"
    );
}
