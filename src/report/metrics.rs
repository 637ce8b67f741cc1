//! `metrics`: a snapshot's (or the live host's) numbers for monitoring — load averages, uptime, processes
//! by state, threads, memory, and the top processes by CPU time and resident memory — in the Prometheus
//! text exposition format (for node_exporter's textfile collector) or the Mackerel plugin format.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::visible;
use crate::model::{Process, Snapshot};
use crate::time::Timestamp;

/// One sample: metric name, labels, value.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Metric name (`procsift_load1`).
    pub name: &'static str,
    /// Labels, in order.
    pub labels: Vec<(&'static str, String)>,
    /// The value.
    pub value: f64,
}

/// A metric family: its samples and what they mean.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    /// Name.
    pub name: &'static str,
    /// `gauge` or `counter`.
    pub kind: &'static str,
    /// One-line help.
    pub help: &'static str,
    /// Samples.
    pub samples: Vec<Sample>,
}

/// The metrics of `s`: host-wide values, processes by state, and the `top` processes by CPU seconds and
/// by resident memory (labelled with pid, comm and user). A value the snapshot lacks is no sample.
pub fn families(s: &Snapshot, top: usize) -> Vec<Family> {
    let host = s.host.hostname.clone();
    let labels = |extra: Vec<(&'static str, String)>| {
        let mut l: Vec<(&'static str, String)> = host.iter().map(|h| ("host", h.clone())).collect();
        l.extend(extra);
        l
    };
    let one = |name, kind, help, value: Option<f64>| Family {
        name,
        kind,
        help,
        samples: value
            .filter(|v| v.is_finite())
            .map(|value| Sample {
                name,
                labels: labels(Vec::new()),
                value,
            })
            .into_iter()
            .collect(),
    };
    let h = &s.host;
    let kib = |v: Option<u64>| v.map(|k| k as f64 * 1024.0);
    let mut out = vec![
        one(
            "procsift_load1",
            "gauge",
            "1-minute load average (/proc/loadavg).",
            h.loadavg.map(|l| l[0]),
        ),
        one(
            "procsift_load5",
            "gauge",
            "5-minute load average (/proc/loadavg).",
            h.loadavg.map(|l| l[1]),
        ),
        one(
            "procsift_load15",
            "gauge",
            "15-minute load average (/proc/loadavg).",
            h.loadavg.map(|l| l[2]),
        ),
        one(
            "procsift_uptime_seconds",
            "gauge",
            "Seconds since boot (/proc/uptime).",
            h.uptime_secs,
        ),
        one(
            "procsift_boot_time_seconds",
            "gauge",
            "Boot time, seconds since the epoch (btime of /proc/stat).",
            h.boot_time.map(|t| t.as_secs_f64()),
        ),
        one(
            "procsift_memory_total_bytes",
            "gauge",
            "Total memory (MemTotal of /proc/meminfo).",
            kib(h.mem_total_kib),
        ),
        one(
            "procsift_memory_available_bytes",
            "gauge",
            "Available memory (MemAvailable of /proc/meminfo).",
            kib(h.mem_available_kib),
        ),
        one(
            "procsift_capture_timestamp_seconds",
            "gauge",
            "When the records were read, seconds since the epoch.",
            captured_at(s).map(|t| t.as_secs_f64()),
        ),
    ];
    let mut states: BTreeMap<String, u64> = BTreeMap::new();
    let mut threads = 0u64;
    let mut threads_known = false;
    for p in &s.processes {
        *states
            .entry(p.state.clone().unwrap_or_else(|| "unknown".into()))
            .or_default() += 1;
        if let Some(n) = p.nlwp {
            threads += u64::from(n);
            threads_known = true;
        }
    }
    out.push(Family {
        name: "procsift_processes",
        kind: "gauge",
        help: "Processes by state (the one-letter state of ps: R running, S sleeping, D disk wait, Z zombie, T stopped, I idle).",
        samples: states
            .into_iter()
            .map(|(state, n)| Sample {
                name: "procsift_processes",
                labels: labels(vec![("state", state)]),
                value: n as f64,
            })
            .collect(),
    });
    out.push(one(
        "procsift_threads",
        "gauge",
        "Threads of every process (the sum of nlwp).",
        threads_known.then_some(threads as f64),
    ));
    let proc_labels = |p: &Process| {
        labels(vec![
            ("pid", p.pid_text()),
            (
                "comm",
                p.comm.as_ref().map(|c| c.escaped()).unwrap_or_default(),
            ),
            (
                "user",
                p.cred
                    .user
                    .clone()
                    .or_else(|| p.cred.uid.map(|u| u.to_string()))
                    .unwrap_or_default(),
            ),
        ])
    };
    let cpu = |p: &Process| match (p.user_time, p.system_time) {
        (None, None) => None,
        (u, s) => Some(u.unwrap_or(0.0) + s.unwrap_or(0.0)),
    };
    let mut by_cpu: Vec<(&Process, f64)> = s
        .processes
        .iter()
        .filter_map(|p| Some((p, cpu(p)?)))
        .collect();
    by_cpu.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.pid.cmp(&b.0.pid)));
    out.push(Family {
        name: "procsift_process_cpu_seconds_total",
        kind: "counter",
        help: "CPU seconds (user + system) of the processes that used the most, since each started.",
        samples: by_cpu
            .iter()
            .take(top)
            .map(|(p, v)| Sample {
                name: "procsift_process_cpu_seconds_total",
                labels: proc_labels(p),
                value: *v,
            })
            .collect(),
    });
    let mut by_rss: Vec<(&Process, u64)> = s
        .processes
        .iter()
        .filter_map(|p| Some((p, p.memory.as_ref()?.rss_kib?)))
        .collect();
    by_rss.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.pid.cmp(&b.0.pid)));
    out.push(Family {
        name: "procsift_process_resident_memory_bytes",
        kind: "gauge",
        help: "Resident memory of the processes that use the most (VmRSS).",
        samples: by_rss
            .iter()
            .take(top)
            .map(|(p, kib)| Sample {
                name: "procsift_process_resident_memory_bytes",
                labels: proc_labels(p),
                value: *kib as f64 * 1024.0,
            })
            .collect(),
    });
    out.retain(|f| !f.samples.is_empty());
    out
}

/// When the records were read: the capture's start, else boot time + uptime.
pub fn captured_at(s: &Snapshot) -> Option<Timestamp> {
    s.capture.as_ref().and_then(|c| c.started).or_else(|| {
        let b = s.host.boot_time?;
        Timestamp::from_secs_f64(b.as_secs_f64() + s.host.uptime_secs?)
    })
}

/// A label value in the exposition format: what could move a terminal shown as a visible escape first
/// (`\x1b`, `\u{202e}`; so the text format stays one sample per line and safe to `cat`), then `\`, `"` and
/// newline escaped as the format requires (`\\`, `\"`, `\n`).
pub fn label_value(v: &str) -> String {
    let shown = visible(v);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE`, then the samples; no
/// timestamps (node_exporter's textfile collector refuses them; `procsift_capture_timestamp_seconds` says
/// when the values were read).
pub fn prometheus(families: &[Family]) -> String {
    let mut out = String::new();
    for f in families {
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind);
        for s in &f.samples {
            out.push_str(s.name);
            if !s.labels.is_empty() {
                out.push('{');
                for (i, (k, v)) in s.labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{k}=\"{}\"", label_value(v));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", number(s.value));
        }
    }
    out
}

/// A Mackerel metric-name part: ASCII letters, digits, `-` and `_` kept, anything else `_`.
fn mackerel_part(v: &str) -> String {
    let s: String = v
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "_".into() } else { s }
}

/// The Mackerel name of a sample: `procsift.<graph>.<metric>`, e.g. `procsift.loadavg.load1`,
/// `procsift.processes.S`, `procsift.process_cpu.nginx_1234`.
fn mackerel_name(s: &Sample) -> String {
    let label = |k: &str| {
        s.labels
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let proc_key = || format!("{}_{}", mackerel_part(label("comm")), label("pid"));
    match s.name {
        "procsift_load1" => "procsift.loadavg.load1".into(),
        "procsift_load5" => "procsift.loadavg.load5".into(),
        "procsift_load15" => "procsift.loadavg.load15".into(),
        "procsift_uptime_seconds" => "procsift.uptime.seconds".into(),
        "procsift_boot_time_seconds" => "procsift.boot_time.seconds".into(),
        "procsift_memory_total_bytes" => "procsift.memory.total".into(),
        "procsift_memory_available_bytes" => "procsift.memory.available".into(),
        "procsift_capture_timestamp_seconds" => "procsift.capture.timestamp".into(),
        "procsift_processes" => format!("procsift.processes.{}", mackerel_part(label("state"))),
        "procsift_threads" => "procsift.threads.total".into(),
        "procsift_process_cpu_seconds_total" => format!("procsift.process_cpu.{}", proc_key()),
        "procsift_process_resident_memory_bytes" => {
            format!("procsift.process_rss.{}", proc_key())
        }
        other => format!("procsift.other.{}", mackerel_part(other)),
    }
}

/// The Mackerel plugin format: `name TAB value TAB epoch` per sample, `epoch` the capture's time.
pub fn mackerel(families: &[Family], epoch: i64) -> String {
    let mut out = String::new();
    for f in families {
        for s in &f.samples {
            let _ = writeln!(out, "{}\t{}\t{epoch}", mackerel_name(s), number(s.value));
        }
    }
    out
}

/// The graph definitions mackerel-agent asks a plugin for (`MACKEREL_AGENT_PLUGIN_META=1`): the header line
/// `# mackerel-agent-plugin`, then one JSON object.
pub fn mackerel_meta() -> String {
    let graph = |label: &str, unit: &str, metrics: &[&str]| {
        serde_json::json!({
            "label": label,
            "unit": unit,
            "metrics": metrics.iter().map(|m| serde_json::json!({"name": m, "label": m})).collect::<Vec<_>>(),
        })
    };
    let meta = serde_json::json!({
        "graphs": {
            "procsift.loadavg": graph("procsift load average", "float", &["load1", "load5", "load15"]),
            "procsift.uptime": graph("procsift uptime", "float", &["seconds"]),
            "procsift.memory": graph("procsift memory", "bytes", &["total", "available"]),
            "procsift.processes": graph("procsift processes by state", "integer", &["*"]),
            "procsift.threads": graph("procsift threads", "integer", &["total"]),
            "procsift.process_cpu": graph("procsift top processes by CPU seconds", "float", &["*"]),
            "procsift.process_rss": graph("procsift top processes by RSS", "bytes", &["*"]),
        }
    });
    format!("# mackerel-agent-plugin\n{meta}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_as_the_format_requires() {
        assert_eq!(label_value("a\"b\\c"), "a\\\"b\\\\c");
        // A newline is first the visible two characters `\n`, whose backslash the format doubles.
        assert_eq!(label_value("x\ny"), "x\\\\ny");
        assert_eq!(label_value("\x1b[31m"), "\\\\x1b[31m");
    }

    #[test]
    fn mackerel_names_are_plain() {
        let s = Sample {
            name: "procsift_process_cpu_seconds_total",
            labels: vec![
                ("host", "h".into()),
                ("pid", "12".into()),
                ("comm", "kworker/0:1 x".into()),
            ],
            value: 1.5,
        };
        assert_eq!(mackerel_name(&s), "procsift.process_cpu.kworker_0_1_x_12");
    }
}
