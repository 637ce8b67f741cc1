//! The columns `ps -o` can show: header, how to read the value from a process, how to sort by it.

use serde_json::{Value, json};

use super::table::{Cell, ColumnSpec, Kind};
use crate::model::{Process, Snapshot};

/// A `ps` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// Process id.
    Pid,
    /// Parent process id.
    Ppid,
    /// Process group id.
    Pgid,
    /// Session id.
    Sid,
    /// Effective user name (numeric when unknown), like `ps -o user`.
    User,
    /// Real user name.
    Ruser,
    /// Real user id.
    Uid,
    /// Effective user id.
    Euid,
    /// Real group id.
    Gid,
    /// Real group name.
    Group,
    /// State letter, with the BSD modifiers where the source has them (Linux: `Ssl`, `R+`, `SN`).
    Stat,
    /// Thread count.
    Nlwp,
    /// Resident set, KiB.
    Rss,
    /// Virtual size, KiB.
    Vsz,
    /// Resident shared, KiB.
    Shared,
    /// Proportional set size, KiB.
    Pss,
    /// Swap, KiB.
    Swap,
    /// Start time (UTC, `HH:MM:SS` today's captures, date otherwise; full RFC 3339 in JSON).
    Start,
    /// Cumulative CPU time (`[DD-]HH:MM:SS`).
    Time,
    /// Elapsed time since start, relative to the capture.
    Etime,
    /// Controlling terminal.
    Tty,
    /// Nice value.
    Ni,
    /// Kernel priority.
    Pri,
    /// Command name.
    Comm,
    /// Executable path.
    Exe,
    /// Full command line.
    Args,
    /// Pid in each nested pid namespace.
    Nspid,
    /// Pid-namespace inode.
    Pidns,
    /// Network-namespace inode.
    Netns,
    /// Control groups.
    Cgroup,
    /// Wait channel.
    Wchan,
    /// CPU use, percent of one CPU: recent (Solaris `pr_pctcpu`, NetBSD `p_pctcpu`) or over the
    /// process's life (Linux, as procps computes it).
    Pcpu,
    /// Share of memory, percent (Solaris `pr_pctmem`; Linux RSS / MemTotal).
    Pmem,
    /// Zone name, or zone id when the name is not known (Solaris).
    Zone,
    /// Project id (Solaris `pr_projid`).
    Project,
    /// Task id (Solaris `pr_taskid`).
    Task,
    /// Data model, `ILP32` or `LP64` (Solaris `pr_dmodel`).
    Dmodel,
    /// Where the process is known from: `scan` (/proc), `events` (only the capture's process events:
    /// it lived during the capture but was not read), `scan+events` (read, and events speak of it).
    Seen,
    /// How it exited during the capture, from its exit event: `exited 3`, `killed SIGKILL`; `-` when it
    /// did not (or events were not recorded).
    Exit,
    /// What could not be read of it, by error: `EACCES: cwd,env,exe,fds` (`-` when everything was).
    Unread,
}

/// The default columns of `ps --all`: the default ones with `seen` and `exit` before `args`.
pub const ALL_PS_COLUMNS: &[Column] = &[
    Column::Pid,
    Column::Ppid,
    Column::User,
    Column::Stat,
    Column::Nlwp,
    Column::Rss,
    Column::Vsz,
    Column::Start,
    Column::Time,
    Column::Seen,
    Column::Exit,
    Column::Args,
];

/// The Solaris default: `ps -eo pid,ppid,user,zone,s,nlwp,pcpu,pmem,rss,vsz,stime,time,args`.
pub const SOLARIS_PS_COLUMNS: &[Column] = &[
    Column::Pid,
    Column::Ppid,
    Column::User,
    Column::Zone,
    Column::Stat,
    Column::Nlwp,
    Column::Pcpu,
    Column::Pmem,
    Column::Rss,
    Column::Vsz,
    Column::Start,
    Column::Time,
    Column::Args,
];

/// The NetBSD default: `ps -axo pid,ppid,user,stat,nlwp,pcpu,rss,vsz,start,time,wchan,args` (`wchan`
/// is `p_wmesg`, as NetBSD ps shows it).
pub const NETBSD_PS_COLUMNS: &[Column] = &[
    Column::Pid,
    Column::Ppid,
    Column::User,
    Column::Stat,
    Column::Nlwp,
    Column::Pcpu,
    Column::Rss,
    Column::Vsz,
    Column::Start,
    Column::Time,
    Column::Wchan,
    Column::Args,
];

/// `ps -eo pid,ppid,user,stat,nlwp,rss,vsz,start,time,args`.
pub const DEFAULT_PS_COLUMNS: &[Column] = &[
    Column::Pid,
    Column::Ppid,
    Column::User,
    Column::Stat,
    Column::Nlwp,
    Column::Rss,
    Column::Vsz,
    Column::Start,
    Column::Time,
    Column::Args,
];

const ALL: &[(Column, &str, &[&str])] = &[
    (Column::Pid, "pid", &[]),
    (Column::Ppid, "ppid", &[]),
    (Column::Pgid, "pgid", &["pgrp"]),
    (Column::Sid, "sid", &["sess", "session"]),
    (Column::User, "user", &["euser", "uname"]),
    (Column::Ruser, "ruser", &[]),
    (Column::Uid, "uid", &["ruid"]),
    (Column::Euid, "euid", &[]),
    (Column::Gid, "gid", &["rgid"]),
    (Column::Group, "group", &["rgroup"]),
    (Column::Stat, "stat", &["s", "state"]),
    (Column::Nlwp, "nlwp", &["thcount"]),
    (Column::Rss, "rss", &["rssize", "rsz"]),
    (Column::Vsz, "vsz", &["vsize"]),
    (Column::Shared, "shared", &["share"]),
    (Column::Pss, "pss", &[]),
    (Column::Swap, "swap", &[]),
    (Column::Start, "start", &["lstart", "stime", "start_time"]),
    (Column::Time, "time", &["cputime"]),
    (Column::Etime, "etime", &[]),
    (Column::Tty, "tty", &["tt", "tname"]),
    (Column::Ni, "ni", &["nice"]),
    (Column::Pri, "pri", &["priority"]),
    (Column::Comm, "comm", &["ucomm", "fname"]),
    (Column::Exe, "exe", &[]),
    (Column::Args, "args", &["cmd", "command"]),
    (Column::Nspid, "nspid", &[]),
    (Column::Pidns, "pidns", &[]),
    (Column::Netns, "netns", &[]),
    (Column::Cgroup, "cgroup", &[]),
    (Column::Wchan, "wchan", &[]),
    (Column::Pcpu, "pcpu", &["%cpu"]),
    (Column::Pmem, "pmem", &["%mem"]),
    (Column::Zone, "zone", &["zoneid"]),
    (Column::Project, "project", &["projid"]),
    (Column::Task, "task", &["taskid"]),
    (Column::Dmodel, "dmodel", &[]),
    (Column::Seen, "seen", &[]),
    (Column::Exit, "exit", &["fate"]),
    (Column::Unread, "unread", &[]),
];

impl Column {
    /// Looks a column up by its `ps -o` keyword (or an alias), case-insensitively.
    pub fn parse(name: &str) -> Option<Column> {
        let name = name.trim().to_ascii_lowercase();
        ALL.iter()
            .find(|(_, n, aliases)| *n == name || aliases.contains(&name.as_str()))
            .map(|(c, _, _)| *c)
    }

    /// Parses a comma-separated list (`pid,user,args`); the error names the unknown keyword.
    pub fn parse_list(list: &str) -> Result<Vec<Column>, String> {
        list.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                Column::parse(s).ok_or_else(|| {
                    format!(
                        "unknown column {s:?}; known: {}",
                        Column::names().join(", ")
                    )
                })
            })
            .collect()
    }

    /// Every keyword, in documentation order.
    pub fn names() -> Vec<&'static str> {
        ALL.iter().map(|(_, n, _)| *n).collect()
    }

    /// The keyword (`pid`), also the JSON/CSV key.
    pub fn key(self) -> &'static str {
        ALL.iter()
            .find(|(c, _, _)| *c == self)
            .map_or("?", |(_, n, _)| n)
    }

    /// Table header (`PID`).
    pub fn header(self) -> String {
        self.key().to_ascii_uppercase()
    }

    /// Whether the column holds numbers (right-aligned, numeric sort).
    pub fn numeric(self) -> bool {
        use Column::*;
        matches!(
            self,
            Pid | Ppid
                | Pgid
                | Sid
                | Uid
                | Euid
                | Gid
                | Nlwp
                | Rss
                | Vsz
                | Shared
                | Pss
                | Swap
                | Ni
                | Pri
                | Pidns
                | Netns
                | Pcpu
                | Pmem
                | Project
                | Task
        )
    }

    /// The value as JSON (`null` when absent): numbers stay numbers, times RFC 3339 / seconds.
    pub fn value(self, p: &Process, s: &Snapshot) -> Value {
        use Column::*;
        let mem = p.memory.as_ref();
        match self {
            Pid => json!(p.known_pid()),
            Ppid => json!(p.ppid),
            Pgid => json!(p.pgid),
            Sid => json!(p.sid),
            // The effective user; where only the real one is known (a Linux core's `pr_uid`), that one,
            // as a number when no name is known (as ps does).
            User => json!(
                p.cred
                    .euser
                    .clone()
                    .or_else(|| p.cred.euid.map(|u| u.to_string()))
                    .or_else(|| p.cred.user.clone())
                    .or_else(|| p.cred.uid.map(|u| u.to_string()))
            ),
            Ruser => json!(
                p.cred
                    .user
                    .clone()
                    .or_else(|| p.cred.uid.map(|u| u.to_string()))
            ),
            Uid => json!(p.cred.uid),
            Euid => json!(p.cred.euid),
            Gid => json!(p.cred.gid),
            Group => json!(
                p.cred
                    .group
                    .clone()
                    .or_else(|| p.cred.gid.map(|g| g.to_string()))
            ),
            Stat => json!(p.stat.as_ref().or(p.state.as_ref())),
            Nlwp => json!(p.nlwp),
            Rss => json!(mem.and_then(|m| m.rss_kib)),
            Vsz => json!(mem.and_then(|m| m.vsz_kib)),
            Shared => json!(mem.and_then(|m| m.shared_kib)),
            Pss => json!(mem.and_then(|m| m.pss_kib)),
            Swap => json!(mem.and_then(|m| m.swap_kib)),
            Start => json!(p.start_time.map(|t| t.rfc3339())),
            Time => json!(cpu_secs(p)),
            Etime => json!(elapsed(p, s)),
            Tty => json!(p.tty_name),
            Ni => json!(p.nice),
            Pri => json!(p.priority),
            Comm => json!(p.comm.as_ref().map(|c| c.escaped())),
            Exe => json!(p.exe.as_ref().map(|c| c.escaped())),
            Args => json!(p.command_line()),
            Nspid => json!(p.nspid),
            Pidns => json!(ns_inode(p, "pid")),
            Netns => json!(ns_inode(p, "net")),
            Cgroup => json!(
                p.cgroup.as_ref().map(|c| c
                    .iter()
                    .map(|l| l.escaped())
                    .collect::<Vec<_>>()
                    .join(";"))
            ),
            Wchan => json!(p.wchan),
            Pcpu => json!(p.pct_cpu.map(|v| (v * 10.0).round() / 10.0)),
            Pmem => json!(p.pct_mem.map(|v| (v * 10.0).round() / 10.0)),
            Zone => json!(p.zone.clone().or_else(|| p.zone_id.map(|z| {
                if z == 0 {
                    "global".to_string()
                } else {
                    z.to_string()
                }
            }))),
            Project => json!(p.project_id),
            Task => json!(p.task_id),
            Dmodel => json!(p.data_model),
            Seen => json!(match &p.events {
                Some(e) if e.seen_only_in_events => "events",
                Some(_) => "scan+events",
                None => "scan",
            }),
            Exit => json!(
                p.events
                    .as_ref()
                    .and_then(|e| e.exit_text())
                    .or_else(|| p.exit.as_ref().map(|e| format!("{}, not reaped", e.text())))
            ),
            Unread => json!(unread_text(p)),
        }
    }

    /// What CSV writes for the column: numbers (CPU and elapsed times in seconds), times, or text.
    pub fn kind(self) -> Kind {
        use Column::*;
        match self {
            Start => Kind::Time,
            Time | Etime => Kind::Number,
            c if c.numeric() => Kind::Number,
            _ => Kind::Text,
        }
    }

    /// The table header and kind of the column (CPU and elapsed times are left-aligned, like the
    /// other times of the row).
    pub fn spec(self) -> ColumnSpec {
        ColumnSpec {
            header: self.header(),
            kind: self.kind(),
            right: self.numeric(),
            wrap: false,
        }
    }

    /// The cell of `p`: table text (`-` when absent) and CSV value.
    pub fn cell(self, p: &Process, s: &Snapshot) -> Cell {
        use Column::*;
        match self {
            Start => p
                .start_time
                .map_or(Cell::Absent, |t| Cell::time(t, short_start(t, s))),
            Time => cpu_secs(p).map_or(Cell::Absent, Cell::Duration),
            Etime => elapsed(p, s).map_or(Cell::Absent, Cell::Duration),
            Nspid => p.nspid.as_ref().map_or(Cell::Absent, |v| {
                Cell::text(
                    v.iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                )
            }),
            Tty => p
                .tty_name
                .clone()
                .map_or_else(|| Cell::Mark("?".into()), Cell::Text),
            _ => match self.value(p, s) {
                Value::Null => Cell::Absent,
                Value::String(s) => Cell::Text(s),
                v if self.numeric() => Cell::Number(v.to_string()),
                v => Cell::Text(v.to_string()),
            },
        }
    }

    /// The value as table text (`-` when absent).
    pub fn display(self, p: &Process, s: &Snapshot) -> String {
        self.cell(p, s).shown().into_owned()
    }
}

/// `EACCES: cwd,env,exe; ENOENT: fds`: the fields that could not be read, grouped by error.
fn unread_text(p: &Process) -> Option<String> {
    let mut by_error: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for u in &p.unread {
        let fields = by_error.entry(u.error.as_str()).or_default();
        if !fields.contains(&u.field.as_str()) {
            fields.push(&u.field);
        }
    }
    (!by_error.is_empty()).then(|| {
        by_error
            .iter()
            .map(|(e, f)| format!("{e}: {}", f.join(",")))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn cpu_secs(p: &Process) -> Option<f64> {
    match (p.user_time, p.system_time) {
        (None, None) => None,
        (u, s) => Some(u.unwrap_or(0.0) + s.unwrap_or(0.0)),
    }
}

/// Seconds from the process's start to the moment of the snapshot (capture start, or now for live).
fn elapsed(p: &Process, s: &Snapshot) -> Option<f64> {
    let start = p.start_time?;
    let at = s
        .capture
        .as_ref()
        .and_then(|c| c.started)
        .unwrap_or_else(crate::time::Timestamp::now);
    Some((at.as_secs_f64() - start.as_secs_f64()).max(0.0))
}

fn ns_inode(p: &Process, kind: &str) -> Option<u64> {
    p.namespaces
        .as_ref()?
        .iter()
        .find(|n| n.kind == kind && n.link.is_none())
        .map(|n| n.inode)
}

/// `ps` prints `HH:MM` for processes started within a day of the snapshot and the date otherwise; procsift
/// prints `HH:MM:SS` (UTC) for the same day as the snapshot and `YYYY-MM-DD` otherwise.
fn short_start(t: crate::time::Timestamp, s: &Snapshot) -> String {
    let at = s
        .capture
        .as_ref()
        .and_then(|c| c.started)
        .unwrap_or_else(crate::time::Timestamp::now);
    let (date, time) = t.parts();
    if at.parts().0 == date { time } else { date }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Linux core knows the real uid (`pr_uid`) and no names: USER shows the number, as ps does.
    #[test]
    fn user_falls_back_to_the_real_uid() {
        let s = Snapshot::default();
        let mut p = Process {
            pid: 6801,
            ..Process::default()
        };
        assert_eq!(Column::User.display(&p, &s), "-");
        p.cred.uid = Some(1000);
        assert_eq!(Column::User.display(&p, &s), "1000");
        p.cred.user = Some("alice".into());
        assert_eq!(Column::User.display(&p, &s), "alice");
        p.cred.euid = Some(0);
        assert_eq!(Column::User.display(&p, &s), "0");
        p.cred.euser = Some("root".into());
        assert_eq!(Column::User.display(&p, &s), "root");
    }

    #[test]
    fn parses_keywords_and_aliases() {
        assert_eq!(Column::parse("PID"), Some(Column::Pid));
        assert_eq!(Column::parse("cmd"), Some(Column::Args));
        assert_eq!(
            Column::parse_list("pid,rss,comm").unwrap(),
            vec![Column::Pid, Column::Rss, Column::Comm]
        );
        let err = Column::parse_list("pid,bogus").unwrap_err();
        assert!(err.contains("\"bogus\""), "{err}");
        for name in Column::names() {
            assert_eq!(Column::parse(name).map(Column::key), Some(name));
        }
    }
}
