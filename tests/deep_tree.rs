//! `tree` over a hostile process tree: a chain of processes each the parent of the next (a fork chain
//! anyone can make on a live host, or a forged archive). The text once indented every level by three
//! more columns (output quadratic in the depth: a chain of 20,000 was 600 MB of spaces), recursed once
//! per level (a stack overflow past some tens of thousands) and nested the JSON as deep as the chain
//! (which serde_json, like many parsers, refuses past 128 levels).

use procsift::analyze;
use procsift::model::Source;
use procsift::report::{self, Format, Report};
use procsift::snapshot::{MemoryBuilder, RawSnapshot};

/// A Linux /proc tree of `n` processes, pid `first + i` the parent of pid `first + i + 1` (or, with
/// `descending`, pid `first + n - 1 - i` the parent of the one below it).
fn chain(first: i32, n: i32, descending: bool) -> RawSnapshot {
    let mut b = MemoryBuilder::new();
    for i in 0..n {
        let (pid, ppid) = if descending {
            (first + n - 1 - i, first + n - i)
        } else {
            (first + i, first + i - 1)
        };
        let stat = format!(
            "{pid} (chain) S {ppid} {first} {first} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1000 \
             1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0"
        );
        b.file(format!("proc/{pid}/stat"), stat.as_bytes());
        b.file(format!("proc/{pid}/cmdline"), b"chain\0");
    }
    b.build(None, Vec::new(), Source::default())
}

fn rendered(r: &Report, format: Format) -> String {
    let mut out = Vec::new();
    report::render::render(r, format, None, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Every process is drawn once; no line is indented past the nesting bound; JSON nests no deeper than
/// serde_json reads back; every process deeper than the bound is in a subtree marked as continued.
fn check_chain(n: i32, descending: bool) {
    let s = analyze::analyze(&chain(100, n, descending));
    assert_eq!(s.processes.len(), n as usize);
    let r = report::tree(&s, &Default::default());

    let text = rendered(&r, Format::Table);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), n as usize, "one line per process");
    let longest = lines.iter().map(|l| l.chars().count()).max().unwrap();
    assert!(longest < 400, "a line of {longest} characters");
    let mut drawn = std::collections::BTreeMap::new();
    for l in &lines {
        let l = l.trim_start_matches([' ', '│', '├', '└', '─']);
        let pid: i32 = l[..l.find(' ').unwrap()].parse().unwrap();
        *drawn.entry(pid).or_insert(0) += 1;
    }
    assert_eq!(drawn.len(), n as usize);
    assert!(
        drawn
            .iter()
            .all(|(pid, k)| *k == 1 && (100..100 + n).contains(pid))
    );

    let json: serde_json::Value = serde_json::from_str(&rendered(&r, Format::Json)).unwrap();
    let roots = json["tree"].as_array().unwrap();
    // The chain's head is the only real root; the others continue the chain below the bound.
    let real: Vec<_> = roots
        .iter()
        .filter(|n| n.get("continued").is_none())
        .collect();
    assert_eq!(real.len(), 1);
    assert_eq!(real[0]["pid"], if descending { 100 + n - 1 } else { 100 });
    let mut count = 0;
    let mut stack: Vec<&serde_json::Value> = roots.iter().collect();
    while let Some(node) = stack.pop() {
        count += 1;
        if node.get("continued").is_some() {
            assert_eq!(node["continued"], true);
            // Its parent is in the output, as the process nested deepest in another subtree.
            assert!(node["ppid"].is_i64());
        }
        stack.extend(node["children"].as_array().into_iter().flatten());
    }
    assert_eq!(count, n);

    // CSV: one row per process, its depth counted from the chain's head.
    let csv = rendered(&r, Format::Csv);
    assert_eq!(csv.lines().count(), n as usize + 1);
}

#[test]
fn a_deep_chain_is_drawn_in_bounded_width_and_nesting() {
    check_chain(3000, false);
    check_chain(3000, true);
}

/// A chain as long as a host's pid space allows, on a stack the size of the CLI's main thread: every
/// format renders (no stack overflow, no quadratic output).
#[test]
fn a_chain_of_40000_processes_renders_in_every_format() {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(|| {
            let n = 40_000;
            let s = analyze::analyze(&chain(100, n, false));
            let r = report::tree(&s, &Default::default());
            for f in [Format::Table, Format::Json, Format::Ndjson, Format::Csv] {
                let out = rendered(&r, f);
                assert!(
                    out.len() < 2000 * n as usize,
                    "{f:?}: {} bytes for {n} processes",
                    out.len()
                );
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
