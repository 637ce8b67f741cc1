//! The pictures: SVG drawn with maud (so every label is escaped like the rest of the page), colours as
//! presentation attributes (the policy allows no `style` attribute). Each picture is bounded in size
//! whatever the input: the timeline is binned, the bar charts show the top [`TOP`].

use std::collections::{BTreeMap, HashMap};

use maud::{Markup, html};

use super::Ev;
use crate::diff::Kind;
use crate::model::{Process, Snapshot};

/// How many processes a bar chart shows.
pub const TOP: usize = 15;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
/// Time bins of the timeline's rows.
const BINS: usize = 120;
/// Names listed in one bin's tooltip.
const NAMES: usize = 6;

/// Colours of event kinds (and of process starts).
fn colour(kind: &str) -> &'static str {
    match kind {
        "start" => "#2457c5",
        "fork" => "#4c8bf5",
        "exec" => "#1b7f3b",
        "exit" => "#b3261e",
        "uid" | "gid" | "sid" => "#6a1b9a",
        "ptrace" => "#e65100",
        "comm" => "#00838f",
        "coredump" => "#000000",
        "lost" => "#9e9e9e",
        _ => "#795548",
    }
}

/// `12:04:05` (or the date as well when `span` is a day or more).
fn clock(t: f64, span: f64) -> String {
    match crate::time::Timestamp::from_secs_f64(t) {
        Some(ts) => {
            let (d, c) = ts.parts();
            if span >= 86_400.0 {
                format!("{d} {c}")
            } else {
                c
            }
        }
        None => "?".into(),
    }
}

/// One row of a timeline: counts per bin and kind, and the first names in each bin.
struct Row {
    label: &'static str,
    from: f64,
    to: f64,
    counts: Vec<BTreeMap<String, usize>>,
    names: Vec<Vec<String>>,
}

impl Row {
    fn new(label: &'static str, from: f64, to: f64) -> Row {
        let to = if to > from { to } else { from + 1.0 };
        Row {
            label,
            from,
            to,
            counts: vec![BTreeMap::new(); BINS],
            names: vec![Vec::new(); BINS],
        }
    }

    /// Counts one thing of `kind` at `t`; outside the row's window it is not drawn.
    fn add(&mut self, t: f64, kind: &str, name: impl FnOnce() -> String) {
        if !t.is_finite() || t < self.from || t > self.to {
            return;
        }
        let i = (((t - self.from) / (self.to - self.from)) * BINS as f64) as usize;
        let i = i.min(BINS - 1);
        *self.counts[i].entry(kind.to_string()).or_default() += 1;
        if self.names[i].len() < NAMES {
            self.names[i].push(name());
        }
    }

    fn draw(&self, y: f64, height: f64) -> Markup {
        let max = self
            .counts
            .iter()
            .map(|c| c.values().sum::<usize>())
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        let bw = (WIDTH - LEFT - RIGHT) / BINS as f64;
        let span = self.to - self.from;
        html! {
            text x="4" y=(fmt(y + height / 2.0)) { (self.label) }
            line.ax x1=(LEFT) y1=(fmt(y + height)) x2=(WIDTH - RIGHT) y2=(fmt(y + height)) {}
            text x=(LEFT) y=(fmt(y + height + 13.0)) { (clock(self.from, span)) }
            text x=(WIDTH - RIGHT) y=(fmt(y + height + 13.0)) text-anchor="end" { (clock(self.to, span)) }
            text x=(fmt(LEFT + (WIDTH - LEFT - RIGHT) / 2.0)) y=(fmt(y + height + 13.0)) text-anchor="middle" { (clock(self.from + span / 2.0, span)) }
            text x=(LEFT) y=(fmt(y - 3.0)) { "bars of " (fmt_secs(span / BINS as f64)) ", height ∝ √count, highest " (max as u64) " (hover a bar for what is in it)" }
            @for (i, bin) in self.counts.iter().enumerate() {
                @let total: usize = bin.values().sum();
                @if total > 0 {
                    g {
                        title {
                            (total) " between " (clock(self.from + span * i as f64 / BINS as f64, span))
                            " and " (clock(self.from + span * (i + 1) as f64 / BINS as f64, span)) ": "
                            (Ev(&bin.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")))
                            @if !self.names[i].is_empty() {
                                " — " (Ev(&self.names[i].join("; ")))
                                @if total > self.names[i].len() { "; …" }
                            }
                        }
                        @for (kind, top, h) in stack(bin, total, max, y + height, height) {
                            rect x=(fmt(LEFT + bw * i as f64)) y=(fmt(top)) width=(fmt((bw - 1.0).max(1.0))) height=(fmt(h)) fill=(colour(kind)) {}
                        }
                    }
                }
            }
        }
    }
}

/// The segments of one bin's bar, bottom up: kind, top and height. The bar's height grows with the
/// square root of the bin's count (so that a burst does not flatten everything else), each kind's share
/// of it in proportion.
fn stack(
    bin: &BTreeMap<String, usize>,
    total: usize,
    max: f64,
    bottom: f64,
    height: f64,
) -> Vec<(&str, f64, f64)> {
    let bar = ((total as f64 / max).sqrt() * height).max(1.5);
    let mut top = bottom;
    bin.iter()
        .map(|(kind, n)| {
            let h = (bar * *n as f64 / total.max(1) as f64).max(1.0);
            top -= h;
            (kind.as_str(), top, h)
        })
        .collect()
}

/// `3.5`, two decimals at most.
fn fmt(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn fmt_secs(s: f64) -> String {
    if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 60.0 {
        format!("{:.1} min", s / 60.0)
    } else if s >= 1.0 {
        format!("{s:.1} s")
    } else if s >= 0.001 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

fn who(pid: Option<i32>, comm: Option<String>) -> String {
    format!(
        "{} {}",
        pid.map_or("-".into(), |p| p.to_string()),
        comm.unwrap_or_default()
    )
}

/// The timeline: when the processes started, from the earliest start to the end of the capture; and the
/// capture window itself, with the process events recorded in it (by kind) and the starts that fell in it.
pub fn timeline(s: &Snapshot) -> Markup {
    let starts: Vec<(f64, &Process)> = s
        .processes
        .iter()
        .filter_map(|p| p.start_time.map(|t| (t.as_secs_f64(), p)))
        .collect();
    let name = |p: &Process| who(p.known_pid(), p.comm.as_ref().map(|c| c.escaped()));
    let capture = s.capture.as_ref();
    let events = s.events.as_ref();
    let window_from = capture
        .and_then(|c| c.started)
        .or(events.and_then(|e| e.subscribed))
        .map(|t| t.as_secs_f64());
    let window_to = events
        .and_then(|e| e.unsubscribed)
        .or(capture.and_then(|c| c.finished))
        .map(|t| t.as_secs_f64());
    let first = starts.iter().map(|(t, _)| *t).fold(f64::INFINITY, f64::min);
    let last = window_to.or(window_from).unwrap_or_else(|| {
        starts
            .iter()
            .map(|(t, _)| *t)
            .fold(f64::NEG_INFINITY, f64::max)
    });
    let mut rows = Vec::new();
    if first.is_finite() && last.is_finite() {
        let mut row = Row::new("starts", first, last.max(first));
        for (t, p) in &starts {
            row.add(*t, "start", || name(p));
        }
        rows.push(row);
    }
    let mut note = None;
    if let (Some(from), Some(to)) = (window_from, window_to) {
        let mut row = Row::new("capture", from.min(to), to.max(from));
        match events {
            Some(log) if log.recorded || !log.events.is_empty() => {
                for e in &log.events {
                    if let Some(t) = e.time {
                        let comm = e.comm.as_ref().map(|c| c.escaped()).or_else(|| {
                            e.tgid
                                .or(e.pid)
                                .and_then(|pid| s.process(pid))
                                .and_then(|p| p.comm.as_ref().map(|c| c.escaped()))
                        });
                        row.add(t.as_secs_f64(), &e.kind, || {
                            format!("{} {}", e.kind, who(e.tgid.or(e.pid), comm))
                        });
                    }
                }
            }
            Some(log) => {
                note = Some(format!(
                    "process events were not recorded: {}",
                    log.reason.as_deref().unwrap_or("no reason given")
                ))
            }
            None => note = Some("this input holds no record of process events".to_string()),
        }
        for (t, p) in &starts {
            row.add(*t, "start", || format!("start {}", name(p)));
        }
        rows.push(row);
    }
    let row_h = 70.0;
    let height = 24.0 + rows.len() as f64 * (row_h + 40.0) + 24.0;
    let kinds: Vec<String> = {
        let mut k: Vec<String> = rows
            .iter()
            .flat_map(|r| r.counts.iter().flat_map(|c| c.keys().cloned()))
            .collect();
        k.sort();
        k.dedup();
        k
    };
    html! {
        @if rows.is_empty() {
            p.hint { "No start times in this input: nothing to draw." }
        } @else {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (fmt(height)) } width=(WIDTH) height=(fmt(height)) role="img" aria-label="timeline of process starts and recorded events" {
                @for (i, r) in rows.iter().enumerate() {
                    (r.draw(24.0 + i as f64 * (row_h + 40.0), row_h))
                }
                @let ly = height - 8.0;
                @for (i, k) in kinds.iter().enumerate() {
                    rect x=(fmt(LEFT + i as f64 * 90.0)) y=(fmt(ly - 9.0)) width="10" height="10" fill=(colour(k)) {}
                    text x=(fmt(LEFT + 14.0 + i as f64 * 90.0)) y=(fmt(ly)) { (Ev(k)) }
                }
            }
            @if let Some(n) = note { p.hint { (Ev(&n)) } }
        }
    }
}

/// What a bar chart measures.
#[derive(Clone, Copy)]
pub enum Measure {
    /// Resident set (KiB).
    Rss,
    /// User + system CPU time (seconds).
    Cpu,
}

/// The [`TOP`] processes by `m`, as horizontal bars, each linked to its detail.
pub fn top_bars(s: &Snapshot, ids: &HashMap<i32, String>, m: Measure) -> Markup {
    let value = |p: &Process| -> Option<f64> {
        match m {
            Measure::Rss => p.memory.as_ref().and_then(|x| x.rss_kib).map(|k| k as f64),
            Measure::Cpu => match (p.user_time, p.system_time) {
                (None, None) => None,
                (u, st) => Some(u.unwrap_or(0.0) + st.unwrap_or(0.0)),
            },
        }
    };
    let mut v: Vec<(f64, &Process)> = s
        .processes
        .iter()
        .filter_map(|p| {
            value(p)
                .filter(|x| x.is_finite() && *x > 0.0)
                .map(|x| (x, p))
        })
        .collect();
    v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.pid.cmp(&b.1.pid)));
    v.truncate(TOP);
    let shown = |x: f64| match m {
        Measure::Rss if x >= 1024.0 * 1024.0 => format!("{:.1} GiB", x / 1024.0 / 1024.0),
        Measure::Rss if x >= 1024.0 => format!("{:.1} MiB", x / 1024.0),
        Measure::Rss => format!("{x:.0} KiB"),
        Measure::Cpu => format!("{x:.2} s ({})", super::super::cpu_time(x)),
    };
    bars(
        &v.iter()
            .map(|(x, p)| {
                (
                    format!(
                        "{} {}",
                        p.pid_text(),
                        p.comm.as_ref().map(|c| c.escaped()).unwrap_or_default()
                    ),
                    *x,
                    shown(*x),
                    ids.get(&p.pid).cloned(),
                    "#2457c5",
                )
            })
            .collect::<Vec<_>>(),
        match m {
            Measure::Rss => "no process has a resident set size in this input",
            Measure::Cpu => "no process has CPU times in this input",
        },
    )
}

/// The diff's changes per kind.
pub fn kind_bars(summary: &BTreeMap<Kind, (usize, usize)>) -> Markup {
    let rows: Vec<(String, f64, String, Option<String>, &str)> = summary
        .iter()
        .map(|(k, (n, h))| {
            let c = match k {
                Kind::Started => "#1b7f3b",
                Kind::Exited | Kind::Transient => "#b3261e",
                _ => "#9a6100",
            };
            let text = if *h > 0 {
                format!("{n} ({h} highlighted)")
            } else {
                n.to_string()
            };
            (k.name().to_string(), *n as f64, text, None, c)
        })
        .collect();
    bars(&rows, "no differences")
}

/// Horizontal bars: label, value, value text, link target, colour.
fn bars(rows: &[(String, f64, String, Option<String>, &str)], empty: &str) -> Markup {
    const W: f64 = 460.0;
    const LABEL: f64 = 170.0;
    const VALUE: f64 = 110.0;
    const H: f64 = 18.0;
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let height = rows.len() as f64 * H + 6.0;
    let label = |s: &str| -> String {
        let mut out: String = s.chars().take(26).collect();
        if s.chars().count() > 26 {
            out.push('…');
        }
        out
    };
    html! {
        @if rows.is_empty() || max <= 0.0 {
            p.hint { (empty) }
        } @else {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (W) " " (fmt(height)) } width=(W) height=(fmt(height)) role="img" {
                @for (i, (name, x, text, link, colour)) in rows.iter().enumerate() {
                    @let y = 3.0 + i as f64 * H;
                    @let w = (x / max * (W - LABEL - VALUE)).max(1.0);
                    @let bar = html! {
                        title { (Ev(name)) ": " (Ev(text)) }
                        text x=(fmt(LABEL - 6.0)) y=(fmt(y + 12.0)) text-anchor="end" { (Ev(&label(name))) }
                        rect x=(LABEL) y=(fmt(y + 2.0)) width=(fmt(w)) height=(fmt(H - 5.0)) fill=(colour) {}
                        text x=(fmt(LABEL + w + 5.0)) y=(fmt(y + 12.0)) { (Ev(text)) }
                    };
                    @match link {
                        Some(id) => a href={ "#" (id) } { (bar) },
                        None => g { (bar) },
                    }
                }
            }
        }
    }
}

/// Rows the change tree draws at most.
pub const TREE_ROWS: usize = 200;

/// A diff drawn on the tree: the processes that started, exited or changed (beyond cpu, memory and io)
/// with their ancestors for context, one row each, indented by depth, joined to their parent, each linked
/// to its detail.
pub fn change_tree(nodes: &[super::Node], order: &[(usize, usize)]) -> Markup {
    use super::Mark;
    // Keep a marked process and every ancestor on the path to it. An ancestor already kept has its own
    // ancestors kept: the walk up stops there, so a deep chain of marked processes costs its length,
    // not its square.
    let mut keep = vec![false; nodes.len()];
    let mut path: Vec<usize> = Vec::new();
    for &(i, depth) in order {
        path.truncate(depth);
        path.push(i);
        if nodes[i].mark != Mark::Plain {
            for &a in path.iter().rev() {
                if std::mem::replace(&mut keep[a], true) {
                    break;
                }
            }
        }
    }
    let rows: Vec<(usize, usize)> = order.iter().copied().filter(|(i, _)| keep[*i]).collect();
    let more = rows.len().saturating_sub(TREE_ROWS);
    let rows = &rows[..rows.len().min(TREE_ROWS)];
    const H: f64 = 17.0;
    const INDENT: f64 = 16.0;
    let height = rows.len() as f64 * H + 8.0;
    // The row of each process's nearest drawn ancestor: where its connector starts.
    let mut last_at_depth: Vec<f64> = Vec::new();
    let mut parents = Vec::with_capacity(rows.len());
    for (r, &(_, depth)) in rows.iter().enumerate() {
        let y = 4.0 + r as f64 * H + H / 2.0;
        parents.push(if depth == 0 {
            None
        } else {
            last_at_depth.get(depth - 1).copied()
        });
        last_at_depth.truncate(depth);
        last_at_depth.push(y);
    }
    let style = |m: Mark| match m {
        Mark::Started => ("#1b7f3b", "+"),
        Mark::Exited => ("#b3261e", "−"),
        Mark::Changed => ("#9a6100", "~"),
        Mark::Plain => ("#9aa3b2", ""),
    };
    html! {
        @if rows.is_empty() {
            p.hint { "No process started, exited or changed (beyond cpu, memory and io)." }
        } @else {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (fmt(height)) } width=(WIDTH) height=(fmt(height)) role="img" aria-label="processes that started, exited or changed, on the tree" {
                @for (r, &(i, depth)) in rows.iter().enumerate() {
                    @let n = &nodes[i];
                    @let y = 4.0 + r as f64 * H + H / 2.0;
                    @let x = 10.0 + depth as f64 * INDENT;
                    @let (colour, sign) = style(n.mark);
                    @if let Some(py) = parents[r] {
                        path.ax fill="none" d={ "M" (fmt(x - INDENT)) " " (fmt(py + 4.0)) "V" (fmt(y)) "H" (fmt(x - 5.0)) } {}
                    }
                    a href={ "#" (n.id) } {
                        title { (Ev(&format!("{} {}", n.p.pid_text(), n.p.command_line()))) }
                        circle cx=(fmt(x)) cy=(fmt(y)) r="4.5" fill=(colour) {}
                        text x=(fmt(x + 9.0)) y=(fmt(y + 4.0)) {
                            @if !sign.is_empty() { tspan fill=(colour) { (sign) " " } }
                            (n.p.pid_text()) " "
                            (Ev(&n.p.comm.as_ref().map(|c| c.escaped()).unwrap_or_default()))
                            @let kinds = n.changes.iter().filter(|c| !matches!(c.kind, Kind::Started | Kind::Exited)).map(|c| c.kind.name()).collect::<std::collections::BTreeSet<_>>();
                            @if !kinds.is_empty() { tspan fill="#5b6475" { " [" (kinds.into_iter().collect::<Vec<_>>().join(", ")) "]" } }
                        }
                    }
                }
            }
            @if more > 0 { p.hint { "and " (more) " more rows: the tree below has them all." } }
        }
    }
}
