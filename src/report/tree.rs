//! `tree`: the parent/child forest, like `pstree -p`, with each process's pid in every pid namespace.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::table::{Cell, ColumnSpec, Kind, Table};
use super::{Block, Filter, Report};
use crate::model::{Process, Snapshot};

/// The `tree` report. A process whose parent is not in the input is a root. With a filter, the selected
/// processes are shown with their ancestors (so each stays in context) and their descendants.
pub fn tree(snapshot: &Snapshot, filter: &Filter) -> Report {
    let procs = &snapshot.processes;
    let present: BTreeMap<i32, &Process> = procs.iter().map(|p| (p.pid, p)).collect();
    let mut children: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    let mut roots = Vec::new();
    for p in procs {
        match p.ppid.filter(|pp| *pp != p.pid && present.contains_key(pp)) {
            Some(pp) => children.entry(pp).or_default().push(p.pid),
            None => roots.push(p.pid),
        }
    }
    let shown = visible(snapshot, filter, &present, &children);
    let mut text = Vec::new();
    let mut records = Vec::new();
    let mut rows = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // Roots first; then anything not reached from a root (a ppid cycle in damaged input) as a root of its own.
    let rest: Vec<i32> = present.keys().copied().collect();
    // The children of processes at MAX_DEPTH, with their depth: drawn after the subtree they belong to,
    // each as a root marked as continued.
    let mut deferred = std::collections::VecDeque::new();
    for pid in roots.iter().chain(rest.iter()) {
        if shown.contains(pid) && !seen.contains(pid) {
            let mut at = Walk {
                present: &present,
                children: &children,
                shown: &shown,
                text: &mut text,
                rows: &mut rows,
                seen: &mut seen,
                deferred: &mut deferred,
            };
            records.push(at.walk(*pid, "", "", (0, 0), false));
            while let Some((pid, depth)) = at.deferred.pop_front() {
                if !at.seen.contains(&pid) {
                    records.push(at.walk(pid, "", "", (depth, 0), true));
                }
            }
        }
    }
    Report {
        name: "tree",
        record_key: "tree",
        table: Table {
            columns: vec![
                ColumnSpec::new("PID", Kind::Number),
                ColumnSpec::new("PPID", Kind::Number),
                ColumnSpec::new("DEPTH", Kind::Number),
                ColumnSpec::new("NSPID", Kind::Text),
                ColumnSpec::new("ARGS", Kind::Text),
            ],
            rows,
        },
        records,
        text: Some(text),
        ..Report::default()
    }
    .about(snapshot)
}

/// The pids to draw: everything without a filter; otherwise matches, their ancestors and descendants.
fn visible(
    snapshot: &Snapshot,
    filter: &Filter,
    present: &BTreeMap<i32, &Process>,
    children: &BTreeMap<i32, Vec<i32>>,
) -> std::collections::BTreeSet<i32> {
    if filter.is_empty() {
        return present.keys().copied().collect();
    }
    let mut out = std::collections::BTreeSet::new();
    for p in filter.select(snapshot) {
        // Ancestors, bounded by the number of processes so a ppid cycle cannot loop forever.
        let mut cur = Some(p.pid);
        let mut steps = 0;
        while let Some(pid) = cur {
            if !out.insert(pid) || steps > present.len() {
                break;
            }
            steps += 1;
            cur = present
                .get(&pid)
                .and_then(|q| q.ppid)
                .filter(|pp| present.contains_key(pp));
        }
        let mut stack = vec![p.pid];
        while let Some(pid) = stack.pop() {
            for c in children.get(&pid).into_iter().flatten() {
                if out.insert(*c) {
                    stack.push(*c);
                }
            }
        }
    }
    out
}

/// How deep the drawing nests. The children of a process at this depth are drawn after its subtree,
/// each as a root marked as continued (with its true depth): a chain of processes each the parent of the
/// next (a fork chain, or a forged archive) would otherwise indent each line by three more columns than
/// the last (output quadratic in the depth), recurse once per level, and nest the JSON deeper than
/// parsers read (serde_json stops at 128 levels; a node at depth 60 is at level 123).
const MAX_DEPTH: usize = 60;

/// The state of one drawing of the forest.
struct Walk<'a, 'p> {
    present: &'a BTreeMap<i32, &'p Process>,
    children: &'a BTreeMap<i32, Vec<i32>>,
    shown: &'a std::collections::BTreeSet<i32>,
    text: &'a mut Vec<Block>,
    rows: &'a mut Vec<Vec<Cell>>,
    seen: &'a mut std::collections::BTreeSet<i32>,
    deferred: &'a mut std::collections::VecDeque<(i32, usize)>,
}

impl Walk<'_, '_> {
    /// Draws `pid` (at `depth` in the forest, `level` in this drawing) and its subtree down to
    /// [`MAX_DEPTH`] levels; returns its JSON record.
    fn walk(
        &mut self,
        pid: i32,
        prefix: &str,
        branch: &str,
        (depth, level): (usize, usize),
        continued: bool,
    ) -> Value {
        let Some(p) = self.present.get(&pid) else {
            return Value::Null;
        };
        self.seen.insert(pid);
        let mut line = format!("{prefix}{branch}{}", label(p));
        if continued {
            line.push_str(&format!(
                " [continued: child of {}, depth {depth}]",
                p.ppid.map_or_else(|| "-".to_string(), |pp| pp.to_string())
            ));
        }
        self.text.push(Block::Line(line));
        self.rows.push(vec![
            Cell::num(pid),
            Cell::opt_num(p.ppid),
            Cell::num(depth),
            Cell::opt_text(nspid_text(p)),
            Cell::text(p.command_line()),
        ]);
        let kids: Vec<i32> = self
            .children
            .get(&pid)
            .into_iter()
            .flatten()
            .copied()
            .filter(|c| self.shown.contains(c) && !self.seen.contains(c))
            .collect();
        let mut child_records = Vec::new();
        if level >= MAX_DEPTH {
            self.deferred.extend(kids.iter().map(|c| (*c, depth + 1)));
        } else {
            let child_prefix = format!(
                "{prefix}{}",
                match branch {
                    "" => "",
                    "├─ " => "│  ",
                    _ => "   ",
                }
            );
            for (i, c) in kids.iter().enumerate() {
                let b = if i + 1 == kids.len() {
                    "└─ "
                } else {
                    "├─ "
                };
                child_records.push(self.walk(*c, &child_prefix, b, (depth + 1, level + 1), false));
            }
        }
        let mut record = json!({
            "pid": p.pid,
            "ppid": p.ppid,
            "nspid": p.nspid,
            "comm": p.comm,
            "argv": p.argv,
            "user": p.cred.euser.clone().or_else(|| p.cred.user.clone()),
            "children": child_records,
        });
        if let Some(obj) = record.as_object_mut() {
            // Unknown is absent, never null.
            obj.retain(|_, v| !v.is_null());
            if let Some(e) = &p.events {
                obj.insert("events".into(), serde_json::to_value(e).unwrap_or_default());
            }
            if continued {
                obj.insert("continued".into(), Value::Bool(true));
            }
        }
        record
    }
}

/// `5752 (ns: 1) sleep 100`: the pid, the inner pids when the process is in a nested pid namespace, and the
/// command line.
fn label(p: &Process) -> String {
    let mut s = match nspid_text(p) {
        Some(ns) => format!("{} (ns: {}) {}", p.pid, ns, p.command_line()),
        None => format!("{} {}", p.pid, p.command_line()),
    };
    if let Some(e) = &p.events {
        let mut marks = Vec::new();
        if e.seen_only_in_events {
            marks.push("only in events".to_string());
        }
        if let Some(x) = e.exit_text() {
            marks.push(x);
        }
        if !marks.is_empty() {
            s.push_str(&format!(" [{}]", marks.join(", ")));
        }
    }
    s
}

fn nspid_text(p: &Process) -> Option<String> {
    let chain = p.nspid.as_ref().filter(|v| v.len() > 1)?;
    Some(
        chain[1..]
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::sample;

    #[test]
    fn draws_forest_with_namespace_pids() {
        let r = tree(&sample(), &Filter::default());
        let mut out = Vec::new();
        crate::report::render::render(&r, crate::report::Format::Table, None, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1 /sbin/init\n└─ 100 unshare --pid --fork sleep\n   └─ 101 (ns: 1) sleep 100 200 \\xff\n      └─ 102 (ns: 2) worker\n"
        );
        assert_eq!(r.records.len(), 1);
        assert_eq!(
            r.records[0]["children"][0]["children"][0]["nspid"],
            json!([101, 1])
        );
    }

    #[test]
    fn filter_keeps_ancestors() {
        let f = Filter {
            pids: vec![101],
            ..Filter::default()
        };
        let r = tree(&sample(), &f);
        assert_eq!(
            r.table
                .texts()
                .iter()
                .map(|r| r[0].clone())
                .collect::<Vec<_>>(),
            ["1", "100", "101", "102"]
        );
        let f = Filter {
            pids: vec![100],
            users: vec!["root".into()],
            ..Filter::default()
        };
        let r = tree(&sample(), &f);
        assert_eq!(r.table.rows.len(), 4);
    }

    #[test]
    fn ppid_cycle_terminates() {
        let mut s = sample();
        s.processes[0].ppid = Some(102);
        let r = tree(&s, &Filter::default());
        // Every process has a present parent, so nothing is a root: each is still drawn exactly once.
        assert_eq!(r.table.rows.len(), 4);
        let f = Filter {
            pids: vec![101],
            ..Filter::default()
        };
        let _ = tree(&s, &f);
    }
}
