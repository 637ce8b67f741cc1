//! The `procsift` command line: argument parsing and dispatch only; the work happens in the library.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use procsift::analyze::{self, Detail};
use procsift::capture::{self, CaptureOptions};
use procsift::diff::Kind;
use procsift::model::{InputKind, Snapshot};
use procsift::report::{self, Column, Filter, Format, PsOptions, Report};
use procsift::snapshot::reader::{self, OpenOptions};
use procsift::{Error, Result};

const ABOUT: &str = "Process forensics: capture a host's process records, analyze them anywhere.";

const INPUT_HELP: &str = "INPUT is a snapshot archive (.tar, .tar.gz, .tar.zst), a directory shaped like /proc \
(an extracted snapshot or a copied tree); without INPUT the live host's /proc is read.";

#[derive(Parser)]
#[command(name = "procsift", version, about = ABOUT, after_help = INPUT_HELP)]
struct Cli {
    /// Hide secrets in every report: environment values and secret-looking arguments (--password=...,
    /// TOKEN=..., -p VALUE, user:password@ in URLs) become <redacted:HASH>, the same secret always the same
    /// placeholder. The input is only read: an archive keeps its evidence and its hashes.
    #[arg(long, global = true)]
    redact: bool,
    #[command(subcommand)]
    command: Command,
}

/// `--redact`, set once from the command line: [`load`] applies it to every model it builds.
static REDACT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[derive(Subcommand)]
enum Command {
    /// Archive the live host's process records into one snapshot file.
    #[command(
        after_help = "Examples:\n  procsift capture -o host.tar\n  procsift capture --no-environ --case IR-2026-17 --examiner 'on-call SRE' --note 'before reboot'\n  procsift capture -o host.tar --watch 30      # also record process events for 30 s after the scan\n\nThe archive is written to a temporary name and renamed when complete. Copy it anywhere and run\n`procsift ps host.tar` (or tree, show, threads, maps, files, info, events) there.\n\nProcess events (fork, exec, exit, uid/gid changes, ...) are recorded from before the scan until after\nit (plus --watch) through the kernel's process connector; that needs CAP_NET_ADMIN. Without it the\ncapture goes on, and the manifest and `info` say why events were not recorded."
    )]
    Capture(CaptureArgs),
    /// List processes, like `ps -eo pid,ppid,user,stat,nlwp,rss,vsz,start,time,args`.
    #[command(
        after_help = "Examples:\n  procsift ps                          # the live host\n  procsift ps host.tar --all           # with the processes that lived and died during the capture\n  procsift ps host.tar --sort -rss     # biggest first\n  procsift ps host.tar -o pid,user,nspid,cgroup,args --user www-data\n  procsift ps host.tar --format json | jq '.processes[] | select(.euid == 0) | .pid'"
    )]
    Ps(PsArgs),
    /// Show the parent/child forest, with each process's pid in every nested pid namespace.
    #[command(
        after_help = "Examples:\n  procsift tree host.tar\n  procsift tree host.tar --all           # with processes known only from the capture's events\n  procsift tree host.tar --pid 5752     # one process with its ancestors and descendants\n  procsift tree --container 4026532500  # one pid namespace"
    )]
    Tree(ListArgs),
    /// Everything about one process: arguments, environment, credentials, status, limits, namespaces, cgroup.
    #[command(
        after_help = "Examples:\n  procsift show 1\n  procsift show host.tar 5752\n  procsift show host.tar 5752 --format json | jq .process.env"
    )]
    Show(PidArgs),
    /// Threads of every process, or of one.
    #[command(
        after_help = "Examples:\n  procsift threads host.tar\n  procsift threads host.tar 5752"
    )]
    Threads(OptPidArgs),
    /// Memory map of one process, like `pmap -x`.
    #[command(
        after_help = "Examples:\n  procsift maps host.tar 5752\n  procsift maps 1 --format csv"
    )]
    Maps(PidArgs),
    /// Open files and sockets, like lsof: sockets joined to their endpoints and state.
    #[command(
        after_help = "Examples:\n  procsift files host.tar\n  procsift files host.tar 5752\n  procsift files --format json | jq '.fds[] | select(.socket.state == \"LISTEN\")'"
    )]
    Files(OptPidArgs),
    /// Process events recorded during the capture: fork, exec, exit, uid/gid/sid, ptrace, comm, coredump.
    #[command(after_help = EVENTS_HELP)]
    Events(EventsArgs),
    /// Host facts, capture window, counts and warnings.
    #[command(
        after_help = "Examples:\n  procsift info host.tar\n  procsift info                         # the live host"
    )]
    Info(InputArgs),
    /// What a process does with each signal, like `psig` (Solaris snapshots and cores).
    #[command(
        after_help = "Examples:\n  procsift signals solaris-proc/ 1234\n  procsift signals host.tar 1234 --format json"
    )]
    Signals(PidArgs),
    /// Explain a crash from an ELF core (Linux of any architecture, illumos/Solaris, FreeBSD, NetBSD).
    #[command(
        after_help = "Examples:\n  procsift core core.1234\n  procsift core core.1234 --format json | jq .core.signal\n  procsift threads core.1234            # every report also reads a core\n  procsift maps core.1234               # the only process is the default PID\n\nShows the signal and its code, the fault address and what is mapped there, the signalled thread's\nregisters, every thread, the full argv and environment when the dumped stack holds them, the auxv,\nthe notes, and which note each value came from."
    )]
    Core(CoreArgs),
    /// What changed between two snapshots: processes started and exited, and what changed in the others.
    #[command(after_help = DIFF_HELP)]
    Diff(DiffArgs),
    /// Check every member of a snapshot archive against the SHA-256 hashes in its manifest.
    #[command(
        after_help = "Examples:\n  procsift verify host.tar && echo intact\n\nExit status: 0 intact, 1 mismatches found, 2 the archive could not be read."
    )]
    Verify(VerifyArgs),
}

const DIFF_HELP: &str = "Examples:
  procsift diff 0200.tar 0205.tar                 # summary, then every change per process
  procsift diff 0200.tar                          # against the live host, now
  procsift diff 0200.tar 0205.tar --ignore-volatile --only exec,credentials,sockets
  procsift diff 0200.tar 0205.tar --pid 5752 --format json | jq '.changes[] | select(.highlight)'
  procsift diff before.tar core.5752              # a core against its process in a snapshot

A process is (boot id, pid, start time): a reused pid is one process exiting and another starting.
Kinds: system, started, exited, transient, exec, credentials, parent, cwd, namespaces, cgroup, threads, fds,
sockets, maps, limits, cpu, memory, io. Highlighted (!): privilege gains, new listening sockets, new
executable anonymous or deleted-file mappings. cpu% and rates use the time between the captures.

Exit status: 0 no differences, 1 differences, 2 trouble (as diff(1)).";

const EVENTS_HELP: &str = "Examples:
  procsift events host.tar                         # the timeline, in kernel time order
  procsift events host.tar --kind exec,exit        # what ran, and how it ended
  procsift events host.tar --pid 5752 --threads    # one process, with its threads' events
  procsift events host.tar --format ndjson | jq 'select(.kind == \"exit\" and .signal)'

`capture` records the events from before the scan until after it (plus --watch SECS). TIME is UTC.
An exec's program (argv, exe) is read from /proc right after the event: a process that exited at once
says `not read: ENOENT`. `lost` rows mark where the kernel dropped events (ENOBUFS).";

#[derive(Args)]
struct EventsArgs {
    /// Snapshot archive written by `procsift capture`.
    input: PathBuf,
    /// Only events of these processes (repeat or separate with commas); a fork also matches its parent.
    #[arg(long = "pid", value_delimiter = ',')]
    pids: Vec<i32>,
    /// Only these kinds: fork, exec, exit, uid, gid, sid, ptrace, comm, coredump (repeat or use commas).
    #[arg(long = "kind", value_delimiter = ',')]
    kinds: Vec<String>,
    /// Also show thread creation and exit (by default only processes' own events).
    #[arg(long)]
    threads: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct DiffArgs {
    /// The earlier snapshot: archive, /proc-shaped directory or ELF core.
    old: PathBuf,
    /// The later snapshot (default: the live host, read now).
    new: Option<PathBuf>,
    /// Only these kinds of change (repeat or separate with commas; the list is in the help below).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Only these pids (repeat or separate with commas); host-wide changes are then left out.
    #[arg(long = "pid", value_delimiter = ',')]
    pids: Vec<i32>,
    /// Leave out these kinds or fields (e.g. cpu,io,euid,ns/net,limit); repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Leave out what changes by itself on a running host: cpu, memory, io, load average, available
    /// memory and the process count.
    #[arg(long)]
    ignore_volatile: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct CaptureArgs {
    /// Output file (default: procsift-<host>-<UTC time>.tar in the current directory).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Leave out process environments (they may hold secrets).
    #[arg(long)]
    no_environ: bool,
    /// Case identifier, kept in the manifest (chain of custody).
    #[arg(long)]
    case: Option<String>,
    /// Who ran the capture, kept in the manifest.
    #[arg(long)]
    examiner: Option<String>,
    /// Free-text note, kept in the manifest.
    #[arg(long)]
    note: Option<String>,
    /// Seconds after which a blocked read (a process stuck in D state) is abandoned and recorded.
    #[arg(long, default_value_t = 2.0)]
    read_timeout: f64,
    /// Go on recording process events for SECS seconds after the scan, before closing the archive.
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    watch: f64,
    /// Do not record process events.
    #[arg(long, conflicts_with = "watch")]
    no_events: bool,
    /// Hidden, for tests: read this directory instead of /proc (a fake tree; see README, "Security and
    /// reliability").
    #[arg(long, hide = true)]
    proc_root: Option<PathBuf>,
    /// Hidden, for tests: read passwd, group and os-release from this directory instead of /etc.
    #[arg(long, hide = true)]
    etc_root: Option<PathBuf>,
}

#[derive(Args)]
struct Common {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args)]
struct Filters {
    /// Only these pids (repeat or separate with commas).
    #[arg(long = "pid", value_delimiter = ',')]
    pids: Vec<i32>,
    /// Only processes whose real or effective user is this name or uid (repeat or separate with commas).
    #[arg(long = "user", value_delimiter = ',')]
    users: Vec<String>,
    /// Only processes in this container: a pid-namespace inode, or text found in a cgroup path.
    #[arg(long)]
    container: Option<String>,
}

impl Filters {
    fn filter(&self) -> Filter {
        Filter {
            pids: self.pids.clone(),
            users: self.users.clone(),
            container: self.container.clone(),
        }
    }
}

#[derive(Args)]
struct InputArgs {
    /// Snapshot archive, /proc-shaped directory or ELF core (default: the live host).
    input: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct ListArgs {
    /// Snapshot archive, /proc-shaped directory or ELF core (default: the live host).
    input: Option<PathBuf>,
    /// Also the processes known only from the capture's process events (they started or exited during
    /// the capture and were not read), marked with how they exited.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    filters: Filters,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct PsArgs {
    #[command(flatten)]
    list: ListArgs,
    /// Sort by these columns; prefix with - for descending (e.g. -rss,pid).
    #[arg(long)]
    sort: Option<String>,
    /// Columns to show, comma-separated (e.g. pid,ppid,user,nspid,args). `--help` lists them.
    #[arg(short = 'o', long = "columns", long_help = columns_help())]
    columns: Option<String>,
}

#[derive(Args)]
struct PidArgs {
    /// [INPUT] PID: an optional snapshot, directory or core, then the process id (optional for a core).
    #[arg(required = true, num_args = 1..=2, value_names = ["INPUT", "PID"])]
    args: Vec<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct OptPidArgs {
    /// [INPUT] [PID]: an optional snapshot or directory, then an optional process id.
    #[arg(num_args = 0..=2, value_names = ["INPUT", "PID"])]
    args: Vec<String>,
    #[command(flatten)]
    filters: Filters,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct CoreArgs {
    /// The core file.
    core: PathBuf,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct VerifyArgs {
    /// The snapshot archive to check.
    snapshot: PathBuf,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    REDACT.store(cli.redact, std::sync::atomic::Ordering::Relaxed);
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            print_error(&e.to_string());
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Capture(a) => capture(a),
        Command::Ps(a) => {
            let mut snapshot = load(a.list.input.as_deref(), Detail::SUMMARY)?;
            if a.list.all {
                snapshot.include_event_processes();
            }
            let mut opts = PsOptions {
                filter: a.list.filters.filter(),
                records: matches!(a.list.common.format, Format::Json | Format::Ndjson),
                all: a.list.all,
                ..PsOptions::default()
            };
            if let Some(cols) = &a.columns {
                opts.columns = Some(Column::parse_list(cols).map_err(Error::Usage)?);
            }
            if let Some(sort) = &a.sort {
                opts.sort = PsOptions::parse_sort(sort).map_err(Error::Usage)?;
            }
            emit(
                &report::ps(&snapshot, &opts),
                snapshot,
                a.list.common.format,
            )
        }
        Command::Tree(a) => {
            let mut snapshot = load(a.input.as_deref(), Detail::SUMMARY)?;
            if a.all {
                snapshot.include_event_processes();
            }
            emit(
                &report::tree(&snapshot, &a.filters.filter()),
                snapshot,
                a.common.format,
            )
        }
        Command::Show(a) => {
            let (input, pid) = input_and_pid(&a.args)?;
            let snapshot = load(input.as_deref(), Detail::FULL)?;
            let pid = pid_or_single(&snapshot, pid)?;
            emit(&report::show(&snapshot, pid)?, snapshot, a.common.format)
        }
        Command::Maps(a) => {
            let (input, pid) = input_and_pid(&a.args)?;
            let snapshot = load(
                input.as_deref(),
                Detail {
                    maps: true,
                    ..Detail::SUMMARY
                },
            )?;
            let pid = pid_or_single(&snapshot, pid)?;
            emit(&report::maps(&snapshot, pid)?, snapshot, a.common.format)
        }
        Command::Threads(a) => {
            let (input, pid) = input_and_pid(&a.args)?;
            let detail = Detail {
                threads: true,
                ..Detail::SUMMARY
            };
            let snapshot = load(input.as_deref(), detail)?;
            emit(
                &report::threads(&snapshot, pid, &a.filters.filter())?,
                snapshot,
                a.common.format,
            )
        }
        Command::Files(a) => {
            let (input, pid) = input_and_pid(&a.args)?;
            let detail = Detail {
                fds: true,
                ..Detail::SUMMARY
            };
            let snapshot = load(input.as_deref(), detail)?;
            emit(
                &report::files(&snapshot, pid, &a.filters.filter())?,
                snapshot,
                a.common.format,
            )
        }
        Command::Info(a) => {
            let snapshot = load(
                a.input.as_deref(),
                Detail {
                    threads: true,
                    fds: true,
                    ..Detail::SUMMARY
                },
            )?;
            emit(&report::info(&snapshot), snapshot, a.common.format)
        }
        Command::Signals(a) => {
            let (input, pid) = input_and_pid(&a.args)?;
            let snapshot = load(
                input.as_deref(),
                Detail {
                    limits: true,
                    ..Detail::SUMMARY
                },
            )?;
            let pid = pid_or_single(&snapshot, pid)?;
            emit(&report::signals(&snapshot, pid)?, snapshot, a.common.format)
        }
        Command::Core(a) => {
            let snapshot = load(Some(&a.core), Detail::FULL)?;
            emit(&report::core(&snapshot)?, snapshot, a.common.format)
        }
        Command::Events(a) => {
            let snapshot = load(Some(&a.input), Detail::SUMMARY)?;
            let opts = report::EventsOptions {
                pids: a.pids,
                kinds: a.kinds.iter().map(|k| k.trim().to_string()).collect(),
                threads: a.threads,
            };
            emit(
                &report::events(&snapshot, &opts)?,
                snapshot,
                a.common.format,
            )
        }
        Command::Verify(a) => verify(&a.snapshot),
        Command::Diff(a) => diff(a),
    }
}

fn diff(a: DiffArgs) -> Result<ExitCode> {
    let only = a
        .only
        .iter()
        .map(|k| Kind::parse(k.trim()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let mut ignore: Vec<String> = a.ignore.iter().map(|s| s.trim().to_string()).collect();
    if a.ignore_volatile {
        ignore.extend(procsift::diff::VOLATILE.iter().map(|s| s.to_string()));
    }
    let opts = procsift::diff::Options {
        only,
        pids: a.pids,
        ignore,
    };
    let detail = Detail {
        fds: opts.wants_kind(Kind::Fds) || opts.wants_kind(Kind::Sockets),
        maps: opts.wants_kind(Kind::Maps),
        limits: opts.wants_kind(Kind::Limits),
        ..Detail::SUMMARY
    };
    // The two inputs are independent: read them at the same time.
    let (old, new) = std::thread::scope(|s| {
        let new = s.spawn(|| load(a.new.as_deref(), detail));
        let old = load(Some(&a.old), detail);
        (
            old,
            new.join()
                .unwrap_or_else(|_| Err(Error::Usage("reading NEW failed".into()))),
        )
    });
    let (old, new) = (old?, new?);
    let d = procsift::diff::compare(&old, &new, &opts)?;
    let format = a.common.format;
    let stdout = std::io::stdout();
    let width = if stdout.is_terminal() {
        terminal_width()
    } else {
        None
    };
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = report::diff::render_diff(&d, format, width, &mut out).and_then(|_| out.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(Error::io("standard output", e)),
    }
    if matches!(format, Format::Table | Format::Csv) {
        for (side, s) in [("OLD", &old), ("NEW", &new)] {
            print_warnings(s, side);
        }
    }
    Ok(if d.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The pid the user gave, or the only process of a core or a one-process input (`/proc/<pid>`).
fn pid_or_single(snapshot: &Snapshot, pid: Option<i32>) -> Result<i32> {
    match (pid, snapshot.processes.as_slice()) {
        (Some(pid), _) => Ok(pid),
        (None, [only]) => Ok(only.pid),
        (None, _) => Err(Error::Usage("a PID is required".into())),
    }
}

/// Splits `[INPUT] [PID]`: with two values the first is the input; a single value is a PID when it is a
/// number and no file of that name exists, otherwise the input.
fn input_and_pid(args: &[String]) -> Result<(Option<PathBuf>, Option<i32>)> {
    let parse_pid = |s: &str| {
        s.parse::<i32>()
            .map_err(|_| Error::Usage(format!("not a process id: {s:?}")))
    };
    match args {
        [] => Ok((None, None)),
        [one] if one.parse::<i32>().is_ok() && !Path::new(one).exists() => {
            Ok((None, Some(parse_pid(one)?)))
        }
        [one] => Ok((Some(PathBuf::from(one)), None)),
        [input, pid, ..] => Ok((Some(PathBuf::from(input)), Some(parse_pid(pid)?))),
    }
}

/// Reads the input (or the live host) and builds the model with the lists `detail` asks for, redacted
/// when `--redact` was given.
fn load(input: Option<&Path>, detail: Detail) -> Result<Snapshot> {
    let snapshot = match input {
        Some(path) => analyze::open(path, detail, &OpenOptions::default())?,
        None => analyze::analyze_with(
            &capture::capture_to_memory(&CaptureOptions::default())?,
            detail,
        ),
    };
    Ok(if REDACT.load(std::sync::atomic::Ordering::Relaxed) {
        procsift::model::redact::redacted(snapshot)
    } else {
        snapshot
    })
}

fn emit(report: &Report, snapshot: Snapshot, format: Format) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let width = if stdout.is_terminal() {
        terminal_width()
    } else {
        None
    };
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = report::render::render(report, &snapshot, format, width, &mut out)
        .and_then(|_| out.flush());
    if matches!(written, Ok(())) && matches!(format, Format::Table | Format::Csv) {
        print_warnings(&snapshot, "");
    }
    // The process exits next: freeing a model of thousands of processes would cost more time than the
    // report took, so it is left to the exit.
    std::mem::forget(snapshot);
    match written {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A closed pipe (`procsift ps | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(Error::io("standard output", e)),
    }
}

fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| comfy_table::Table::new().width())
}

/// Prints the first warnings of `snapshot` on stderr, each prefixed with `side` (`OLD`, `NEW`) if given.
fn print_warnings(snapshot: &Snapshot, side: &str) {
    const SHOWN: usize = 10;
    let prefix = if side.is_empty() {
        String::new()
    } else {
        format!("{side}: ")
    };
    let n = snapshot.warnings.len();
    for w in snapshot.warnings.iter().take(SHOWN) {
        print_warning(&format!("{prefix}{w}"));
    }
    if n > SHOWN {
        print_warning(&format!(
            "{prefix}... and {} more warnings (all of them are in --format json)",
            n - SHOWN
        ));
    }
}

fn colored() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn print_error(msg: &str) {
    if colored() {
        eprintln!("\x1b[1;31merror:\x1b[0m {msg}");
    } else {
        eprintln!("error: {msg}");
    }
}

fn print_warning(msg: &str) {
    if colored() {
        eprintln!("\x1b[33mwarning:\x1b[0m {msg}");
    } else {
        eprintln!("warning: {msg}");
    }
}

fn capture(a: CaptureArgs) -> Result<ExitCode> {
    if REDACT.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Error::Usage(
            "--redact hides secrets in reports; a capture keeps the raw evidence (use --no-environ to \
             leave environments out)"
                .into(),
        ));
    }
    if !(a.read_timeout.is_finite() && a.read_timeout > 0.0) {
        return Err(Error::Usage(
            "--read-timeout must be a positive number of seconds".into(),
        ));
    }
    if !(a.watch.is_finite() && a.watch >= 0.0) {
        return Err(Error::Usage(
            "--watch must be zero or a positive number of seconds".into(),
        ));
    }
    let opts = CaptureOptions {
        events: (!a.no_events).then(|| std::time::Duration::from_secs_f64(a.watch)),
        no_environ: a.no_environ,
        case: a.case,
        examiner: a.examiner,
        note: a.note,
        read_timeout: std::time::Duration::from_secs_f64(a.read_timeout),
        progress: std::io::stderr().is_terminal(),
        command: std::env::args().collect(),
        ..CaptureOptions::default()
    };
    let opts = CaptureOptions {
        proc_root: a.proc_root.unwrap_or(opts.proc_root),
        etc_root: a.etc_root.unwrap_or(opts.etc_root),
        ..opts
    };
    let out = match a.output {
        Some(p) => p,
        None => PathBuf::from(capture::default_output_name(
            &capture::host::hostname(),
            procsift::time::Timestamp::now(),
        )),
    };
    let summary = capture::capture_to_path(&opts, &out)?;
    let errors: Vec<String> = summary
        .read_errors
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    eprintln!(
        "{}: {} processes, {} members, {} bytes; {} members not read{}; {} processes vanished",
        out.display(),
        summary.processes,
        summary.members,
        summary.bytes,
        summary.failed,
        if errors.is_empty() {
            String::new()
        } else {
            format!(" ({})", errors.join(", "))
        },
        summary.vanished
    );
    match (&summary.events, &summary.events_reason) {
        (Some(n), None) => eprintln!(
            "{}: {n} process events recorded, {} lost",
            out.display(),
            summary.events_lost
        ),
        (Some(n), Some(r)) if summary.events_lost > 0 || *n > 0 => {
            print_warning(&format!("process events: {n} recorded, then: {r}"))
        }
        (_, Some(r)) => print_warning(&format!("process events were not recorded: {r}")),
        (None, None) => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(path: &Path) -> Result<ExitCode> {
    let raw = reader::open_path(path, &OpenOptions::default())?;
    if raw.source.kind != InputKind::Archive || (raw.manifest.is_none() && raw.damage.is_empty()) {
        return Err(Error::Usage(format!(
            "{}: not a snapshot archive with a manifest; nothing to verify",
            path.display()
        )));
    }
    let report = reader::verify(&raw);
    println!("{report}");
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
