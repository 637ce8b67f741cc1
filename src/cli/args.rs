//! The command line's arguments and help texts (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use procsift::report::{self, Column, Filter, Format};

const ABOUT: &str = "Process forensics: capture a host's process records, analyze them anywhere.";

const AFTER_HELP: &str = "\
INPUT is a snapshot archive written by `procsift capture` (.tar, or .tar.gz/.tar.zst), a directory shaped \
like /proc (an extracted snapshot, or a tree copied from a Linux or Solaris host), a dump of NetBSD sysctl \
answers, or an ELF core (Linux of any architecture, illumos/Solaris, FreeBSD, NetBSD). Without INPUT, every \
report but `events` reads the live host.

Tables fit the terminal when on one (the last column is cut, like ps) and are whole when piped. Values from \
the evidence are shown with control and invisible characters escaped (\\n, \\x1b, \\u{202e}).

Exit status: 0 done; 1 --pid/--user/--container matched no process, `diff` found differences, `verify` found \
mismatches; 2 an error (one line on stderr).";

/// `procsift`.
#[derive(Parser)]
#[command(name = "procsift", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// Hide secrets in every report: environment values and secret-looking arguments (--password=...,
    /// TOKEN=..., -p VALUE, user:password@ in URLs) become <redacted:HASH>, the same secret always the same
    /// placeholder. The input is only read: an archive keeps its evidence and its hashes.
    #[arg(long, global = true)]
    pub redact: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Archive the live host's process records into one snapshot file.
    #[command(after_help = CAPTURE_HELP)]
    Capture(CaptureArgs),
    /// List processes, like `ps -eo pid,ppid,user,stat,nlwp,rss,vsz,start,time,args`.
    #[command(after_help = PS_HELP)]
    Ps(PsArgs),
    /// Show the parent/child forest, with each process's pid in every nested pid namespace.
    #[command(after_help = TREE_HELP)]
    Tree(ListArgs),
    /// Everything about one process: arguments, environment, credentials, status, limits, namespaces, cgroup.
    #[command(
        override_usage = "procsift show [OPTIONS] [INPUT] <PID>",
        after_help = "Examples:\n  procsift show 1\n  procsift show host.tar 5752\n  procsift show core.5752                 # a core's only process\n  procsift show host.tar 5752 --format json | jq .process.env"
    )]
    Show(PidArgs),
    /// Threads of every process, or of one (LWPs; a core's threads with their signal and registers).
    #[command(
        override_usage = "procsift threads [OPTIONS] [INPUT] [PID]",
        after_help = "Examples:\n  procsift threads host.tar\n  procsift threads host.tar 5752\n  procsift threads core.5752\n  procsift threads core.5752 --stack      # every thread's backtrace\n  procsift threads core.5752 --stack --sysroot /srv/rootfs --debug-dir ./debug"
    )]
    Threads(ThreadsArgs),
    /// Memory map of one process, like `pmap -x`.
    #[command(
        override_usage = "procsift maps [OPTIONS] [INPUT] <PID>",
        after_help = "Examples:\n  procsift maps host.tar 5752\n  procsift maps 1 --format csv\n  procsift maps core.5752                 # with what the core holds of each mapping"
    )]
    Maps(PidArgs),
    /// Open files and sockets, like lsof: sockets joined to their endpoints and state.
    #[command(
        override_usage = "procsift files [OPTIONS] [INPUT] [PID]",
        after_help = "Examples:\n  procsift files host.tar\n  procsift files host.tar 5752\n  procsift files core.5752\n  procsift files --format json | jq '.fds[] | select(.socket.state == \"LISTEN\")'"
    )]
    Files(OptPidArgs),
    /// Process events recorded during a capture: fork, exec, exit, uid/gid/sid, ptrace, comm, coredump.
    #[command(after_help = EVENTS_HELP)]
    Events(EventsArgs),
    /// Host facts, capture window, counts and warnings.
    #[command(
        after_help = "Examples:\n  procsift info host.tar\n  procsift info                         # the live host"
    )]
    Info(InputArgs),
    /// What a process does with each signal, like `psig` (Solaris snapshots and cores).
    #[command(
        override_usage = "procsift signals [OPTIONS] [INPUT] <PID>",
        after_help = "Examples:\n  procsift signals solaris-proc/ 1234\n  procsift signals host.tar 1234 --format json"
    )]
    Signals(PidArgs),
    /// Explain a crash from an ELF core (Linux of any architecture, illumos/Solaris, FreeBSD, NetBSD).
    #[command(after_help = CORE_HELP)]
    Core(CoreArgs),
    /// What changed between two snapshots: processes started and exited, and what changed in the others.
    #[command(after_help = DIFF_HELP)]
    Diff(DiffArgs),
    /// Write many snapshots as Parquet (or NDJSON) datasets for DuckDB, Spark, Trino, ClickHouse.
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
    /// What happened when, across snapshots and cores: process starts, recorded fork/exec/exit events,
    /// capture windows and crashes; as a table, CSV, Timesketch JSONL or a Sleuth Kit bodyfile.
    #[command(after_help = TIMELINE_HELP)]
    Timeline(TimelineArgs),
    /// A snapshot's (or the live host's) numbers for monitoring, in the Prometheus text format or the
    /// Mackerel plugin format.
    #[command(after_help = METRICS_HELP)]
    Metrics(MetricsArgs),
    /// One self-contained HTML page of a snapshot (or of a diff) to hand over: host, custody, pictures,
    /// the process tree with every process's detail.
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
    /// Anomaly findings with their evidence: deleted or fileless programs, injected code, preloaded
    /// libraries, reverse and web shells, tracing, hidden processes, ...
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Write a core file of a live process without gdb (Linux, x86_64 and aarch64); the process goes on
    /// as before.
    #[command(after_help = GCORE_HELP)]
    Gcore(GcoreArgs),
    /// Check every member of a snapshot archive against the SHA-256 hashes in its manifest.
    #[command(
        after_help = "Examples:\n  procsift verify host.tar && echo intact\n\nExit status: 0 intact, 1 mismatches found, 2 the archive could not be read."
    )]
    Verify(VerifyArgs),
}

// Paragraphs are single lines: clap wraps them at the terminal's width.
const CAPTURE_HELP: &str = "Examples:
  procsift capture -o host.tar
  procsift capture --no-environ --case IR-2026-17 --examiner 'on-call SRE' --note 'before reboot'
  procsift capture -o host.tar --watch 30      # also record process events for 30 s after the scan
  procsift capture --output-dir /var/lib/procsift --every 300 --keep-for 7d   # every 5 min
  procsift capture --output-dir /var/lib/procsift --every 60 --profile minimal --keep 1440
  procsift capture -o ir.tar --core 5752       # with a core of process 5752: cores/5752.core

The archive is written to a temporary name and renamed when complete; the summary line ends with its SHA-256. Copy it anywhere and run `procsift ps host.tar` (or tree, show, threads, maps, files, info, events) there.

With --output-dir each capture goes to DIR/<host>/<YYYY-MM-DD>/<HH>/<host>-<UTC time>.tar and a line `<time> TAB <sha256> TAB <path>` is appended to DIR/<host>/index.tsv; --every repeats it. A failed capture is logged and the next one runs. SIGTERM or SIGINT stops the loop after the capture in progress; a second one drops that capture (its temporary file is removed) and stops at once.

--core PID takes a core of the process first (as `procsift gcore` does: the process is stopped while its memory is read, not signalled) and stores it as cores/PID.core, hashed like every member; read it in place with `procsift core ir.tar --pid PID` (or any report with `--core PID`), or extract it for gdb with `tar xf ir.tar cores/PID.core`.

Process events (fork, exec, exit, uid/gid changes, ...) are recorded from before the scan until after it (plus --watch) through the kernel's process connector; that needs CAP_NET_ADMIN. Without it the capture goes on, and the manifest and `info` say why events were not recorded.";

const PS_HELP: &str = "Examples:
  procsift ps                          # the live host
  procsift ps host.tar --all           # with the processes that lived and died during the capture
  procsift ps host.tar --sort -rss     # biggest first
  procsift ps host.tar -o pid,user,nspid,cgroup,args --user www-data
  procsift ps host.tar --format json | jq '.processes[] | select(.euid == 0) | .pid'

Exit status 1 when --pid, --user or --container match no process (like ps -p).";

const TREE_HELP: &str = "Examples:
  procsift tree host.tar
  procsift tree host.tar --all           # with processes known only from the capture's events
  procsift tree host.tar --pid 5752     # one process with its ancestors and descendants
  procsift tree --container 4026532500  # one pid namespace";

const CORE_HELP: &str = "Examples:
  procsift core core.1234
  procsift core core.1234 --format json | jq .core.signal
  procsift core ir.tar --pid 5752          # the core `capture --core 5752` stored, read in place
  procsift threads core.1234            # every report also reads a core
  procsift maps core.1234               # the only process is the default PID
  procsift core core.1234 --sysroot /srv/crashed-root --debug-dir ./debug
  procsift threads core.1234 --stack    # every thread's backtrace

Shows the signal and its code, the fault address and what is mapped there, the signalled thread's registers and backtrace, every thread, the full argv and environment when the dumped stack holds them, the auxv, the notes, and which note each value came from.

Backtraces: every thread is unwound from its registers and the dumped stack with the CFI (.eh_frame, .debug_frame) of the files the core names, then frame pointers, then a stack scan; each frame says how it was found. A file is used only when its build-id matches the one the core dumped (or, without one, its headers): by default at the paths the core names on this machine, with --sysroot DIR under DIR, and debug files by build-id in /usr/lib/debug and --debug-dir DIRs. Without them, frames are module + offset.";

const GCORE_HELP: &str = "Examples:
  procsift gcore 5752                      # writes core.5752
  procsift gcore 5752 -o suspect.core --all
  procsift gcore 5752 --max-size 2G        # the threads' stacks first, then by address
  procsift core suspect.core && gdb /proc/5752/exe suspect.core

Every thread is stopped with PTRACE_SEIZE and PTRACE_INTERRUPT (no signal is sent), its registers and the process's memory are read (a second thread writes each chunk while the next is read), and every thread is let go; stderr says how long the process was stopped. --brief-stop lets it go once its memory is copied into procsift's own, then writes the copy. The core is not synced to the disk unless --sync is given (the kernel writes it back within seconds, as for gdb's cores). A process that was stopped (T) before stays stopped. The core is the kernel's format: gdb, eu-stack, readelf and every procsift report read it.

Which mappings are dumped follows the process's own /proc/PID/coredump_filter, as the kernel would for a crash (by default: anonymous memory, written copies of file mappings, the first page of each ELF file); --filter sets the bits instead, --all takes every readable mapping. Device memory and MADV_DONTDUMP mappings are never dumped. Zero pages are holes in the file: they take no disk.

Needs permission to trace the process: your own (when kernel.yama.ptrace_scope allows) or, as root, any. A process already traced (by gdb, strace) cannot be dumped. The file is written to FILE.tmp and renamed when complete; an existing FILE is never replaced. It is readable by its owner only (mode 0600, as the kernel's cores): it holds the process's memory.

Exit status: 0 written; 2 not written (one line on stderr says why).";

const DIFF_HELP: &str = "Examples:
  procsift diff 0200.tar 0205.tar                 # summary, then every change per process
  procsift diff 0200.tar                          # against the live host, now
  procsift diff 0200.tar 0205.tar --ignore-volatile --only exec,credentials,sockets
  procsift diff 0200.tar 0205.tar --pid 5752 --format json | jq '.changes[] | select(.highlight)'
  procsift diff before.tar core.5752              # a core against its process in a snapshot

A process is (boot id, pid, start time): a reused pid is one process exiting and another starting. Kinds: system, started, exited, transient, exec, credentials, parent, cwd, namespaces, cgroup, threads, fds, sockets, maps, limits, cpu, memory, io, findings (a `procsift check` finding of NEW that OLD does not have; FIELD is the rule). Highlighted (!): privilege gains, new listening sockets, new executable anonymous or deleted-file mappings, new findings of medium or high severity. cpu% and rates use the time between the captures.

Exit status: 0 no differences, 1 differences, 2 trouble (as diff(1)).";

const REPORT_HELP: &str = "Examples:
  procsift report host.tar -o host.html
  procsift report host.tar -o host.html --redact       # environment values and secret-looking arguments hidden
  procsift report 0200.tar --diff 0205.tar -o what-changed.html
  procsift report host.tar -o host.html --allow reviewed.txt  # findings the site reviewed left out, as in check

The page loads nothing (no scripts, styles, fonts or images from anywhere) and opens offline in any browser; everything but search and collapse-all works without JavaScript. It shows the host facts, the capture window, the chain of custody (case, examiner, note), the file's SHA-256 and the verification of every member against the manifest, the counts, pictures (process starts and recorded events over time, memory and CPU by process), and the process tree: click a pid for its arguments, environment, credentials, namespaces, cgroup, files and sockets, maps, threads and limits. With --diff, what started, exited and changed is marked on the tree of NEW. The findings are those of `check`, with its --rules, --skip and --allow. Every value from the evidence is shown as text.

The file is written only when the page is complete: a bad input writes nothing and exits 2.";

const CHECK_HELP: &str = "Examples:
  procsift check                                   # the live host
  procsift check host.tar
  procsift check host.tar --min-severity medium --format json | jq '.findings[] | {rule, pid, summary}'
  procsift check core.5752                         # a core: the rules that can run on one process
  procsift check host.tar --allow reviewed.txt     # leave out what the site has reviewed
  procsift check --list-rules                      # every rule, what it looks at, where it runs

The table lists each finding (SEVERITY, RULE, PID, COMMAND, SUMMARY), then the evidence: the archive member or core note that shows it and what it says. What a rule could not check (an input it cannot run on, records that were not captured or could not be read) is listed under `not checked` (JSON: not_checked). An allowlist has one `RULE PATTERN` per line: a rule id or *, then an executable path (a path ending in /* covers a directory), or a command name; # starts a comment.

Exit status: 0 no finding at or above --min-severity, 1 findings, 2 an error.";

const EVENTS_HELP: &str = "Examples:
  procsift events host.tar                         # the timeline, in kernel time order
  procsift events host.tar --kind exec,exit        # what ran, and how it ended
  procsift events host.tar --pid 5752 --threads    # one process, with its threads' events
  procsift events host.tar --format ndjson | jq 'select(.kind == \"exit\" and .signal)'

`capture` records the events from before the scan until after it (plus --watch SECS); the live host has no recorded events, so INPUT is a capture. TIME is UTC. An exec's program (argv, exe) is read from /proc right after the event: a process that exited at once says `not read: ENOENT`. `lost` rows mark where the kernel dropped events (ENOBUFS).";

/// Which of `check`'s rules run, and which findings a site has reviewed: `check`, `report`, `export`
/// and `diff` take the same options.
#[derive(Args, Clone)]
pub struct RuleArgs {
    /// Run only these rules (repeat or separate with commas; `check --list-rules` lists them).
    #[arg(long = "rules", value_name = "ID", value_delimiter = ',')]
    pub rules: Vec<String>,
    /// Do not run these rules (repeat or separate with commas).
    #[arg(long = "skip", value_name = "ID", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Leave out the findings this allowlist covers (one `RULE PATTERN` per line; see `check --help`).
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,
}

/// `check`.
#[derive(Args)]
pub struct CheckArgs {
    /// Snapshot archive, /proc-shaped directory, NetBSD dump or ELF core (default: the live host).
    pub input: Option<PathBuf>,
    /// Show, and exit 1 for, findings of this severity and above: info, low, medium, high.
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    pub min_severity: String,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// List every rule: id, severity, ATT&CK technique, what it looks at, benign causes, inputs.
    #[arg(long)]
    pub list_rules: bool,
    /// Live host only: also look up every pid up to pid_max for processes the listing of /proc leaves
    /// out (as `capture --probe-pids`; about 0.25 s per 100,000 pids).
    #[arg(long)]
    pub probe_pids: bool,
    #[command(flatten)]
    pub common: Common,
}

const EXPORT_HELP: &str = "Examples:
  procsift export /var/lib/procsift -o dataset/
  procsift export a.tar b.tar core.5752 -o dataset/ --format ndjson
  duckdb -c \"SELECT host, count(*) FROM read_parquet('dataset/processes/**/*.parquet', hive_partitioning=true) GROUP BY host\"
  duckdb -c \"SELECT host, rule, pid, summary FROM read_parquet('dataset/findings/**/*.parquet', hive_partitioning=true) WHERE severity = 'high'\"

Tables: captures, processes, threads, fds, sockets, maps, events, findings (what `check` finds: every severity, with --rules, --skip and --allow as given), not_checked (what its rules could not look at); each a directory of OUTDIR/<table>/host=<hostname>/date=<YYYY-MM-DD>/<capture_id>.parquet. Every row has capture_id, host and captured_at (UTC). The columns are in docs/schema.md. The same input always gives the same files, byte for byte; exporting again replaces them. A directory INPUT is a snapshot when it looks like one (an extracted archive, a copied /proc, a NetBSD dump), otherwise every archive and core under it is exported (files being written, *.tmp, are left out). Environments are not exported (they are read for the rules only; --no-findings skips both).

Exit status: 0 every input exported; 2 some input could not be read (the others are exported).";

const TIMELINE_HELP: &str = "Examples:
  procsift timeline /var/lib/procsift/web-01 core.5752          # a table, oldest first
  procsift timeline *.tar --format bodyfile > body && mactime -b body -d
  procsift timeline *.tar --format jsonl > events.jsonl           # import into Timesketch
  procsift timeline host.tar --format csv

Entries: process starts (start ticks + boot time; a process seen in many captures of one boot is one entry), the fork, exec, exit, uid, gid, session, ptrace, rename and core-dump events a capture recorded, capture windows, and crashes from cores (at the core file's modification time, which the core itself does not record). Times are UTC. A directory INPUT is walked as export walks it. bodyfile is The Sleuth Kit's body format 3 (`mactime -b`): the entry's exact time and text in the name field (with `|` as `%7C`, `%` as `%25`, and control characters escaped), its time in all four time fields, the process's uid and gid (-1 when unknown). jsonl has Timesketch's `message`, `datetime`, `timestamp_desc` and `timestamp` (microseconds), then `data_type`, `hostname`, `pid`, `ppid`, `uid`, `gid`, `user`, `comm`, `source` (absent when unknown).";

const METRICS_HELP: &str = "Examples:
  procsift metrics > /var/lib/node_exporter/textfile/procsift.prom.$$ && mv /var/lib/node_exporter/textfile/procsift.prom.$$ /var/lib/node_exporter/textfile/procsift.prom
  procsift metrics host.tar --top 5
  procsift metrics --format mackerel     # as a mackerel-agent plugin command

Metrics: load averages, uptime, boot time, total and available memory, processes by state, threads, and the --top processes by CPU seconds and by resident memory (labels pid, comm, user). Values the input lacks are left out, never 0. Prometheus: text exposition format 0.0.4 without timestamps (node_exporter's textfile collector refuses them; procsift_capture_timestamp_seconds says when the values were read); label values escaped as the format requires, after control characters are made visible. Mackerel: `name TAB value TAB epoch`, the epoch the capture's; with MACKEREL_AGENT_PLUGIN_META=1 the graph definitions instead.";

/// Output formats of `timeline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TimelineFormat {
    /// Aligned columns for people.
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// One Timesketch JSON object per line.
    Jsonl,
    /// The Sleuth Kit's body format (for `mactime -b`).
    Bodyfile,
}

/// `timeline`.
#[derive(Args)]
pub struct TimelineArgs {
    /// Snapshot archives, directories of them, /proc-shaped directories, ELF cores.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TimelineFormat::Table)]
    pub format: TimelineFormat,
}

/// Output formats of `metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricsFormat {
    /// Prometheus text exposition format (node_exporter's textfile collector).
    Prometheus,
    /// Mackerel plugin format: name, value and epoch, tab-separated.
    Mackerel,
}

/// `metrics`.
#[derive(Args)]
pub struct MetricsArgs {
    /// Snapshot archive, /proc-shaped directory or ELF core (default: the live host, read now).
    pub input: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MetricsFormat::Prometheus)]
    pub format: MetricsFormat,
    /// How many processes to list by CPU seconds and by resident memory.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
}

/// `export`.
#[derive(Args)]
pub struct ExportArgs {
    /// Snapshot archives, directories of them, /proc-shaped directories, ELF cores.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The dataset's directory (created if missing).
    #[arg(short = 'o', long = "output", value_name = "OUTDIR")]
    pub output: PathBuf,
    /// File format of the tables.
    #[arg(long, value_enum, default_value_t = procsift::export::Format::Parquet)]
    pub format: procsift::export::Format,
    /// Inputs read at the same time (default: the number of CPUs). Memory holds one input per job.
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Do not run `check`'s rules: no `findings` and `not_checked` tables (and the environments, which
    /// only the rules read, are not read).
    #[arg(long, conflicts_with_all = ["rules", "skip", "allow"])]
    pub no_findings: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// `events`.
#[derive(Args)]
pub struct EventsArgs {
    /// Snapshot archive written by `procsift capture` (the live host has no recorded events).
    pub input: Option<PathBuf>,
    /// Only events of these processes (repeat or separate with commas); a fork also matches its parent.
    #[arg(long = "pid", value_delimiter = ',')]
    pub pids: Vec<i32>,
    /// Only these kinds: fork, exec, exit, uid, gid, sid, ptrace, comm, coredump (repeat or use commas).
    #[arg(long = "kind", value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// Also show thread creation and exit (by default only processes' own events).
    #[arg(long)]
    pub threads: bool,
    #[command(flatten)]
    pub common: Common,
}

/// `diff`.
#[derive(Args)]
pub struct DiffArgs {
    /// The earlier snapshot: archive, /proc-shaped directory, NetBSD dump or ELF core.
    pub old: PathBuf,
    /// The later snapshot (default: the live host, read now).
    pub new: Option<PathBuf>,
    /// Only these kinds of change (repeat or separate with commas; the list is in the help below).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Only these pids (repeat or separate with commas); host-wide changes are then left out.
    #[arg(long = "pid", value_delimiter = ',')]
    pub pids: Vec<i32>,
    /// Leave out these kinds or fields (e.g. cpu,io,euid,ns/net,limit); repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Leave out what changes by itself on a running host: cpu, memory, io, load average, available
    /// memory and the process count.
    #[arg(long)]
    pub ignore_volatile: bool,
    /// The `check` rules and allowlist of the `findings` kind (a finding is new when NEW has it and
    /// OLD does not; one the allowlist covers is never new).
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub common: Common,
}

/// `report`.
#[derive(Args)]
pub struct ReportArgs {
    /// The snapshot (archive, /proc-shaped directory, NetBSD dump or ELF core); with --diff, the earlier.
    pub input: PathBuf,
    /// Compare INPUT with this later snapshot: the page shows what started, exited and changed.
    #[arg(long, value_name = "NEW")]
    pub diff: Option<PathBuf>,
    /// The HTML file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// `capture`.
#[derive(Args)]
pub struct CaptureArgs {
    /// Output file (default: procsift-<host>-<UTC time>.tar in the current directory).
    #[arg(short = 'o', long = "output", conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,
    /// Write into a tree sharded on time, DIR/<host>/<YYYY-MM-DD>/<HH>/<host>-<UTC time>.tar, and append
    /// each archive's time, SHA-256 and path to DIR/<host>/index.tsv. Runs at lower CPU and I/O priority.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Capture every SECS seconds, on the clock (a capture that takes longer skips ticks, never stacks),
    /// until --count captures or SIGTERM/SIGINT. Needs --output-dir.
    #[arg(long, value_name = "SECS", requires = "output_dir")]
    pub every: Option<f64>,
    /// With --every: stop after N captures.
    #[arg(long, value_name = "N", requires = "every")]
    pub count: Option<u64>,
    /// With --output-dir: keep only the newest N archives of this host (the oldest are deleted after each
    /// capture).
    #[arg(long, value_name = "N", requires = "output_dir")]
    pub keep: Option<usize>,
    /// With --output-dir: delete archives older than DURATION (90s, 30m, 12h, 7d, 2w) after each capture.
    #[arg(long, value_name = "DURATION", requires = "output_dir")]
    pub keep_for: Option<String>,
    /// Leave out process environments (they may hold secrets).
    #[arg(long)]
    pub no_environ: bool,
    /// What to read of each process: `full` (the default), or `minimal`: only what ps, tree, files and
    /// the diff's identity need (stat, status, cmdline, exe, fd links, socket tables; Linux), for
    /// frequent captures of a busy host.
    #[arg(long, value_name = "PROFILE", default_value = "full", value_parser = ["full", "minimal"])]
    pub profile: String,
    /// Also read every process's smaps (Linux): resident, dirty and anonymous KiB per mapping for
    /// `maps`, as pmap -x shows them. Costs capture time (see the README).
    #[arg(long)]
    pub smaps: bool,
    /// Case identifier, kept in the manifest (chain of custody).
    #[arg(long)]
    pub case: Option<String>,
    /// Who ran the capture, kept in the manifest.
    #[arg(long)]
    pub examiner: Option<String>,
    /// Free-text note, kept in the manifest.
    #[arg(long)]
    pub note: Option<String>,
    /// Seconds after which a blocked read (a process stuck in D state) is abandoned and recorded.
    #[arg(long, default_value_t = 2.0)]
    pub read_timeout: f64,
    /// Go on recording process events for SECS seconds after the scan, before closing the archive.
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    pub watch: f64,
    /// Do not record process events.
    #[arg(long, conflicts_with = "watch")]
    pub no_events: bool,
    /// Also look up every pid up to pid_max for processes the listing of /proc leaves out (hidden
    /// processes); costs about 0.25 s per 100,000 pids (Linux).
    #[arg(long)]
    pub probe_pids: bool,
    /// Also store a core of each of these processes (Linux, x86_64 and aarch64; as `procsift gcore`
    /// writes it) as cores/PID.core, taken before the scan; repeat or separate with commas.
    #[arg(long = "core", value_name = "PID", value_delimiter = ',')]
    pub cores: Vec<i32>,
    /// Hidden, for tests: read this directory instead of /proc (a fake tree; see README, "Security and
    /// reliability").
    #[arg(long, hide = true)]
    pub proc_root: Option<PathBuf>,
    /// Hidden, for tests: read passwd, group and os-release from this directory instead of /etc.
    #[arg(long, hide = true)]
    pub etc_root: Option<PathBuf>,
}

/// `gcore`.
#[derive(Args)]
pub struct GcoreArgs {
    /// The process id.
    pub pid: i32,
    /// Output file (default: core.PID in the current directory); an existing file is never replaced.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Dump every readable mapping (file-backed text and shared memory too), whatever the filter.
    #[arg(long)]
    pub all: bool,
    /// coredump_filter bits to apply, hexadecimal as in /proc/PID/coredump_filter (default: the
    /// process's own).
    #[arg(long, value_name = "MASK")]
    pub filter: Option<String>,
    /// Leave out memory past SIZE bytes of file (suffixes K, M, G, T); the threads' stacks go first.
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// Wait for the core to reach the disk before naming it (fsync): a host powered off right after the
    /// dump keeps it. By default the kernel writes it back within seconds, as for gdb's and the kernel's
    /// own cores.
    #[arg(long)]
    pub sync: bool,
    /// Hidden: the default (do not wait for the disk), accepted as earlier versions took it.
    #[arg(long, hide = true, conflicts_with = "sync")]
    pub no_sync: bool,
    /// Stop the process only while its memory is copied into procsift's own memory, then write the core
    /// (a shorter stop, a slower dump, as much memory again as the process's); by default it stays
    /// stopped until its memory is written.
    #[arg(long)]
    pub brief_stop: bool,
    /// Hidden, for tests: keep the process stopped MS milliseconds longer, between its registers and its
    /// memory.
    #[arg(long, hide = true, value_name = "MS")]
    pub hold_ms: Option<u64>,
}

/// Options every report takes.
#[derive(Args)]
pub struct Common {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `--pid`, `--user`, `--container`.
#[derive(Args)]
pub struct Filters {
    /// Only these pids (repeat or separate with commas).
    #[arg(long = "pid", value_delimiter = ',')]
    pub pids: Vec<i32>,
    /// Only processes whose real or effective user is this name or uid (repeat or separate with commas).
    #[arg(long = "user", value_delimiter = ',')]
    pub users: Vec<String>,
    /// Only processes in this container: a pid-namespace inode, or text found in a cgroup path.
    #[arg(long)]
    pub container: Option<String>,
}

impl Filters {
    /// The report filter.
    pub fn filter(&self) -> Filter {
        Filter {
            pids: self.pids.clone(),
            users: self.users.clone(),
            container: self.container.clone(),
        }
    }

    /// The filter as the user wrote it (`--pid 7,8 --user www`), for messages.
    pub fn describe(&self) -> String {
        let join = |v: Vec<String>| v.join(",");
        let mut parts = Vec::new();
        if !self.pids.is_empty() {
            parts.push(format!(
                "--pid {}",
                join(self.pids.iter().map(|p| p.to_string()).collect())
            ));
        }
        if !self.users.is_empty() {
            parts.push(format!("--user {}", join(self.users.clone())));
        }
        if let Some(c) = &self.container {
            parts.push(format!("--container {c}"));
        }
        parts.join(" ")
    }
}

/// Reports that take only an input.
#[derive(Args)]
pub struct InputArgs {
    /// Snapshot archive, /proc-shaped directory, NetBSD dump or ELF core (default: the live host).
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub stored: StoredCore,
    #[command(flatten)]
    pub common: Common,
}

/// Reports that list processes (`tree`; `ps` adds to them).
#[derive(Args)]
pub struct ListArgs {
    /// Snapshot archive, /proc-shaped directory, NetBSD dump or ELF core (default: the live host).
    pub input: Option<PathBuf>,
    /// Also the processes known only from the capture's process events (they started or exited during
    /// the capture and were not read), marked with how they exited.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub filters: Filters,
    #[command(flatten)]
    pub stored: StoredCore,
    #[command(flatten)]
    pub common: Common,
}

/// `ps`.
#[derive(Args)]
pub struct PsArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Sort by these columns; prefix with - for descending (e.g. --sort -rss,pid).
    #[arg(long, allow_hyphen_values = true)]
    pub sort: Option<String>,
    /// Columns to show, comma-separated (e.g. pid,ppid,user,nspid,args). `--help` lists them.
    #[arg(short = 'o', long = "columns", long_help = columns_help())]
    pub columns: Option<String>,
}

/// `[INPUT] PID` (show, maps, signals).
#[derive(Args)]
pub struct PidArgs {
    /// Snapshot archive, /proc-shaped directory, NetBSD dump or ELF core (default: the live host). A lone
    /// number is the PID: name a file called like a number as ./1234.
    #[arg(value_name = "INPUT")]
    pub input: Option<String>,
    /// The process id (optional for a core: its only process).
    #[arg(value_name = "PID")]
    pub pid: Option<String>,
    #[command(flatten)]
    pub stored: StoredCore,
    #[command(flatten)]
    pub common: Common,
}

/// `[INPUT] [PID]` (threads, files).
#[derive(Args)]
pub struct OptPidArgs {
    /// Snapshot archive, /proc-shaped directory, NetBSD dump or ELF core (default: the live host). A lone
    /// number is the PID: name a file called like a number as ./1234.
    #[arg(value_name = "INPUT")]
    pub input: Option<String>,
    /// Only this process.
    #[arg(value_name = "PID")]
    pub pid: Option<String>,
    #[command(flatten)]
    pub filters: Filters,
    #[command(flatten)]
    pub stored: StoredCore,
    #[command(flatten)]
    pub common: Common,
}

/// `core`.
#[derive(Args)]
pub struct CoreArgs {
    /// The core file, or a snapshot archive holding cores (`capture --core`).
    pub core: PathBuf,
    /// In a snapshot archive: the process whose core to read (default: the archive's only core).
    #[arg(long)]
    pub pid: Option<i32>,
    #[command(flatten)]
    pub modules: ModuleArgs,
    #[command(flatten)]
    pub common: Common,
}

/// `--core PID`: read a core a snapshot archive holds instead of its /proc records.
#[derive(Args)]
pub struct StoredCore {
    /// Read the core of PID that the snapshot archive holds (`capture --core`, cores/PID.core) instead
    /// of the archive's /proc records.
    #[arg(long = "core", value_name = "PID")]
    pub core: Option<i32>,
}

/// `threads`: `[INPUT] [PID]` and the backtraces of a core.
#[derive(Args)]
pub struct ThreadsArgs {
    #[command(flatten)]
    pub list: OptPidArgs,
    /// Unwind every thread of a core and print each one's backtrace (one row per frame).
    #[arg(long)]
    pub stack: bool,
    #[command(flatten)]
    pub modules: ModuleArgs,
}

/// Where the module files of a core's process are looked for when its threads are unwound.
#[derive(Args)]
pub struct ModuleArgs {
    /// Look up the files the core names (executable, libraries) under DIR instead of / (a copy of
    /// the crashed machine's root, or a container image); its usr/lib/debug is searched too.
    #[arg(long, value_name = "DIR")]
    pub sysroot: Option<PathBuf>,
    /// Also look for separate debug files by build-id under DIR (gdb's .build-id/ab/cdef....debug
    /// tree, or a debuginfod cache); repeatable. /usr/lib/debug (under --sysroot when given) is
    /// always searched.
    #[arg(long = "debug-dir", value_name = "DIR")]
    pub debug_dirs: Vec<PathBuf>,
    /// The program the process ran, as `gdb EXE CORE` takes it: for a core that names no files (no
    /// NT_FILE: older kernels, qemu-user), or another copy of the program. Checked against the core's
    /// build-id, or its auxv (program headers, entry point).
    #[arg(long, value_name = "FILE")]
    pub exe: Option<PathBuf>,
}

impl ModuleArgs {
    /// The search the unwinder's file-system provider does.
    pub fn search(&self) -> procsift::unwind::ModuleSearch {
        procsift::unwind::ModuleSearch {
            sysroot: self.sysroot.clone(),
            debug_dirs: self.debug_dirs.clone(),
            exe: self.exe.clone(),
        }
    }
}

/// `verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The snapshot archive to check.
    pub snapshot: PathBuf,
}

fn columns_help() -> String {
    format!(
        "Columns to show, comma-separated. Known columns: {}. Default: {}.",
        Column::names().join(", "),
        report::DEFAULT_PS_COLUMNS
            .iter()
            .map(|c| c.key())
            .collect::<Vec<_>>()
            .join(",")
    )
}
