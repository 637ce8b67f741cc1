//! What each report command does: read the input, build the report, write it, choose the exit status.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use procsift::analyze::{self, Detail};
use procsift::capture::{self, CaptureOptions};
use procsift::diff::Kind;
use procsift::model::Snapshot;
use procsift::report::{self, Column, Format, PsOptions, Report};
use procsift::snapshot::reader::OpenOptions;
use procsift::{Error, Result};

use super::Context;
use super::args::{CheckArgs, Command, DiffArgs, Filters, RuleArgs};
use super::{archive, output};

/// The summary without the signal dispositions: for the reports that do not show them (all but `show`,
/// `signals`, `core` and JSON records of `ps`).
const QUIET: Detail = Detail {
    signals: false,
    ..Detail::SUMMARY
};

/// Runs `command`.
pub fn run(ctx: Context, command: Command) -> Result<ExitCode> {
    match command {
        Command::Capture(a) => archive::capture(ctx, a),
        Command::Verify(a) => archive::verify(&a.snapshot),
        Command::Export(a) => super::export::export(ctx, a),
        Command::Timeline(a) => super::timeline::timeline(ctx, a),
        Command::Metrics(a) => super::timeline::metrics(ctx, a),
        Command::Gcore(a) => super::gcore::gcore(ctx, a),
        Command::Diff(a) => diff(ctx, a),
        Command::Report(a) => super::page::report(ctx, a),
        Command::Check(a) => check(ctx, a),
        Command::Ps(a) => {
            let format = a.list.common.format;
            let mut opts = PsOptions {
                filter: a.list.filters.filter(),
                records: matches!(format, Format::Json | Format::Ndjson),
                all: a.list.all,
                ..PsOptions::default()
            };
            if let Some(cols) = &a.columns {
                opts.columns = Some(Column::parse_list(cols).map_err(Error::Usage)?);
            }
            if let Some(sort) = &a.sort {
                opts.sort = PsOptions::parse_sort(sort).map_err(Error::Usage)?;
            }
            let pids = Some(a.list.filters.pids.clone()).filter(|p| !p.is_empty());
            let mut snapshot = load_only(
                ctx,
                a.list.input.as_deref(),
                a.list.stored.core,
                ps_detail(&opts),
                pids,
            )?;
            if a.list.all {
                snapshot.include_event_processes();
            }
            let report = report::ps(&snapshot, &opts);
            filtered(report, snapshot, &a.list.filters, format)
        }
        Command::Tree(a) => {
            let mut snapshot = load(ctx, a.input.as_deref(), a.stored.core, QUIET)?;
            if a.all {
                snapshot.include_event_processes();
            }
            let report = report::tree(&snapshot, &a.filters.filter());
            filtered(report, snapshot, &a.filters, a.common.format)
        }
        Command::Show(a) => {
            let (input, pid) = input_and_pid(a.input, a.pid)?;
            need_pid(input.as_deref(), pid, "show")?;
            let snapshot = load_only(
                ctx,
                input.as_deref(),
                a.stored.core,
                Detail::FULL,
                pid.map(|p| vec![p]),
            )?;
            let pid = pid_or_single(&snapshot, pid, "show")?;
            shown(report::show(&snapshot, pid)?, snapshot, a.common.format)
        }
        Command::Maps(a) => {
            let (input, pid) = input_and_pid(a.input, a.pid)?;
            need_pid(input.as_deref(), pid, "maps")?;
            let detail = Detail {
                maps: true,
                ..QUIET
            };
            let snapshot = load_with(
                ctx,
                input.as_deref(),
                a.stored.core,
                detail,
                pid.map(|p| vec![p]),
                true,
            )?;
            let pid = pid_or_single(&snapshot, pid, "maps")?;
            shown(report::maps(&snapshot, pid)?, snapshot, a.common.format)
        }
        Command::Threads(t) => {
            let a = t.list;
            let (input, pid) = input_and_pid(a.input, a.pid)?;
            let detail = Detail {
                threads: true,
                ..QUIET
            };
            if t.stack && input.is_none() {
                return Err(Error::Usage(
                    "--stack unwinds the threads of a core: give a core file as INPUT".into(),
                ));
            }
            let snapshot = match (&input, t.stack) {
                (Some(path), true) => {
                    load_with_stacks(ctx, path, a.stored.core, detail, &t.modules)?
                }
                _ => load_only(
                    ctx,
                    input.as_deref(),
                    a.stored.core,
                    detail,
                    only(pid, &a.filters),
                )?,
            };
            if t.stack && snapshot.core.is_none() {
                return Err(Error::Usage(
                    "--stack unwinds the threads of a core: give a core file as INPUT (a snapshot or a /proc tree holds no stack memory)".into(),
                ));
            }
            let report = if t.stack {
                report::stacks(&snapshot, pid, &a.filters.filter())?
            } else {
                report::threads(&snapshot, pid, &a.filters.filter())?
            };
            match pid {
                Some(_) => shown(report, snapshot, a.common.format),
                None => filtered(report, snapshot, &a.filters, a.common.format),
            }
        }
        Command::Files(a) => {
            let (input, pid) = input_and_pid(a.input, a.pid)?;
            let detail = Detail { fds: true, ..QUIET };
            let snapshot = load_only(
                ctx,
                input.as_deref(),
                a.stored.core,
                detail,
                only(pid, &a.filters),
            )?;
            let report = report::files(&snapshot, pid, &a.filters.filter())?;
            match pid {
                Some(_) => shown(report, snapshot, a.common.format),
                None => filtered(report, snapshot, &a.filters, a.common.format),
            }
        }
        Command::Info(a) => {
            let detail = Detail {
                threads: true,
                fds: true,
                ..QUIET
            };
            if let (Some(path), None) = (&a.input, a.stored.core)
                && let Some(c) = info_counted(ctx, path, detail)?
            {
                let report = report::info_with(&c.snapshot, c.processes, c.threads, c.fds);
                return shown(report, c.snapshot, a.common.format);
            }
            let snapshot = load(ctx, a.input.as_deref(), a.stored.core, detail)?;
            shown(report::info(&snapshot), snapshot, a.common.format)
        }
        Command::Signals(a) => {
            let (input, pid) = input_and_pid(a.input, a.pid)?;
            need_pid(input.as_deref(), pid, "signals")?;
            let detail = Detail {
                limits: true,
                ..Detail::SUMMARY
            };
            let snapshot = load_only(
                ctx,
                input.as_deref(),
                a.stored.core,
                detail,
                pid.map(|p| vec![p]),
            )?;
            let pid = pid_or_single(&snapshot, pid, "signals")?;
            shown(report::signals(&snapshot, pid)?, snapshot, a.common.format)
        }
        Command::Core(a) => {
            let snapshot = redacted(
                ctx,
                analyze::open_stored_core(
                    &a.core,
                    a.pid,
                    &OpenOptions::default(),
                    Some(&a.modules.search()),
                )?,
            );
            shown(report::core(&snapshot)?, snapshot, a.common.format)
        }
        Command::Events(a) => {
            let Some(input) = a.input else {
                return Err(Error::Usage(
                    "the live host has no recorded process events: record them with `procsift capture \
                     -o FILE` (add --watch SECS to record longer), then run `procsift events FILE`"
                        .into(),
                ));
            };
            let snapshot = load(ctx, Some(&input), None, QUIET)?;
            let opts = report::EventsOptions {
                pids: a.pids.clone(),
                kinds: a.kinds.iter().map(|k| k.trim().to_string()).collect(),
                threads: a.threads,
            };
            shown(report::events(&snapshot, &opts)?, snapshot, a.common.format)
        }
    }
}

/// Writes the report (exit status 0). The report and the model are left to the process exit: freeing a
/// model of thousands of processes would cost more time than the report took.
fn shown(report: Report, snapshot: Snapshot, format: Format) -> Result<ExitCode> {
    output::emit(&report, format)?;
    std::mem::forget((report, snapshot));
    Ok(ExitCode::SUCCESS)
}

/// Writes the report of a list filtered by `--pid`/`--user`/`--container`; when the filter matches no
/// process the (empty) report is still written, a line on stderr says so and the exit status is 1, as
/// `ps -p` does.
fn filtered(
    report: Report,
    snapshot: Snapshot,
    filters: &Filters,
    format: Format,
) -> Result<ExitCode> {
    let filter = filters.filter();
    let unmatched = !filter.is_empty() && filter.select(&snapshot).next().is_none();
    let source = snapshot.source.path.clone();
    shown(report, snapshot, format)?;
    if !unmatched {
        return Ok(ExitCode::SUCCESS);
    }
    let within = if source.is_empty() {
        String::new()
    } else {
        format!(" in {source}")
    };
    output::error(&format!(
        "no process matches {}{within}",
        filters.describe()
    ));
    Ok(ExitCode::from(1))
}

fn diff(ctx: Context, a: DiffArgs) -> Result<ExitCode> {
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
        pids: a.pids.clone(),
        ignore,
        // Under --redact the models are redacted before the rules read them (`diff_paired`).
        check: rule_options(a.rules.clone(), false)?,
    };
    let findings = opts.wants_kind(Kind::Findings);
    let detail = Detail {
        env: findings,
        fds: opts.wants_kind(Kind::Fds) || opts.wants_kind(Kind::Sockets) || findings,
        maps: opts.wants_kind(Kind::Maps) || findings,
        limits: opts.wants_kind(Kind::Limits),
        ..QUIET
    };
    if std::env::var_os(FULL_READ).is_none() {
        return diff_paired(ctx, &a, &opts, detail);
    }
    // The reference read (see `FULL_READ`): both models whole, each built on its own, as `diff` read them before.
    // The two inputs are independent: read them at the same time.
    let (old, new) = std::thread::scope(|s| {
        let new = s.spawn(|| load(ctx, a.new.as_deref(), None, detail));
        let old = load(ctx, Some(&a.old), None, detail);
        (
            old,
            new.join()
                .unwrap_or_else(|_| Err(Error::Usage("reading NEW failed".into()))),
        )
    });
    let (old, new) = (old?, new?);
    let d = procsift::diff::compare(&old, &new, &opts)?;
    emit_diff(d, a.common.format, (old, new))
}

/// Writes the diff and chooses the exit status: 0 when nothing changed, else 1. `held` (the models)
/// is let go without freeing it piece by piece: the process ends.
fn emit_diff<T>(d: procsift::diff::Diff, format: Format, held: T) -> Result<ExitCode> {
    output::emit(&report::diff(&d), format)?;
    let code = if d.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    std::mem::forget((held, d));
    Ok(code)
}

/// `diff` of two inputs opened without building their models, then built together: when both are
/// Linux records, a process whose evidence is the same bytes in both is decoded and held once (see
/// `analyze::analyze_pair`: NEW holds a stand-in that OLD's process completes); cores and Solaris,
/// illumos and NetBSD records are built each on its own, as before. Both models are whole but for the
/// stand-ins, so that `check` (the `findings` kind) reads each side once, both sides at the same time.
fn diff_paired(
    ctx: Context,
    a: &DiffArgs,
    opts: &procsift::diff::Options,
    detail: Detail,
) -> Result<ExitCode> {
    use procsift::input::Input as Opened;
    // Two archives whose manifests record process digests: the processes unchanged since OLD are
    // known before either is read, and NEW is read without them (their records are OLD's).
    let known = match a.new.as_deref() {
        Some(new) => std::thread::scope(|s| {
            let n = s.spawn(|| procsift::snapshot::reader::recorded_digests(new));
            let o = procsift::snapshot::reader::recorded_digests(&a.old);
            match (o, n.join().ok().flatten()) {
                (Some(o), Some(n)) => Some(
                    procsift::snapshot::digests::shared(&o, &n)
                        .into_iter()
                        .collect::<std::collections::BTreeSet<i32>>(),
                ),
                _ => None,
            }
        }),
        None => None,
    };
    // OLD's processes that NEW shares are read without their mappings and limits: the walk skips
    // them, no rule reads limits, and the rules read no process's mappings but its own, which both
    // sides hold the same.
    let (old, new) = std::thread::scope(|s| {
        let new = s.spawn(|| open_input_skipping(a.new.as_deref(), detail, known.clone(), None));
        let old = open_input_skipping(Some(&a.old), detail, None, known.clone());
        (
            old,
            new.join()
                .unwrap_or_else(|_| Err(Error::Usage("reading NEW failed".into()))),
        )
    });
    let (mut old_in, mut new_in) = (old?, new?);
    let mut pair = match (&old_in, &new_in) {
        (Opened::Snapshot(o), Opened::Snapshot(n)) => {
            analyze::analyze_pair(o, n, detail, known.as_ref())
        }
        _ => None,
    };
    if pair.is_none() && known.is_some() {
        // The digests could not be used (see `analyze::analyze_pair`): both read whole.
        old_in = open_input(Some(&a.old), detail)?;
        new_in = open_input(a.new.as_deref(), detail)?;
        pair = match (&old_in, &new_in) {
            (Opened::Snapshot(o), Opened::Snapshot(n)) => analyze::analyze_pair(o, n, detail, None),
            _ => None,
        };
    }
    let pair = match pair {
        Some(pair) => pair,
        None => analyze::linux::Pair {
            old: analyze::analyze_input(&old_in, detail)?,
            new: analyze::analyze_input(&new_in, detail)?,
            shared: Default::default(),
        },
    };
    let pair = analyze::linux::Pair {
        old: redacted(ctx, pair.old),
        new: redacted(ctx, pair.new),
        ..pair
    };
    let d = procsift::diff::compare_shared(
        &pair.old,
        &pair.new,
        &|p| pair.model(p),
        &pair.shared,
        opts,
    )?;
    emit_diff(d, a.common.format, (pair, old_in, new_in))
}

/// Opens an input of `diff` (the live host when `None`) with the members `detail` needs indexed or read,
/// without building its model.
fn open_input(input: Option<&Path>, detail: Detail) -> Result<procsift::input::Input> {
    open_input_skipping(input, detail, None, None)
}

/// [`open_input`], an archive read without the stored members of the processes `skip` names, and
/// without the mappings and limits of those `skip_private` names (see `OpenOptions::skip`, `skip_private`).
fn open_input_skipping(
    input: Option<&Path>,
    detail: Detail,
    skip: Option<std::collections::BTreeSet<i32>>,
    skip_private: Option<std::collections::BTreeSet<i32>>,
) -> Result<procsift::input::Input> {
    let select = detail.selection();
    match input {
        Some(path) => procsift::input::open(
            path,
            &OpenOptions {
                select,
                skip,
                skip_private,
                ..OpenOptions::default()
            },
        ),
        None => Ok(procsift::input::Input::Snapshot(Box::new(
            capture::capture_to_memory(&CaptureOptions {
                reading: capture::Reading {
                    select,
                    ..capture::Reading::default()
                },
                ..CaptureOptions::default()
            })?,
        ))),
    }
}

/// The lists of the model the rules read: environments, open files, mappings and the extras (the
/// executable, namespaces, mount tables); not threads, limits or signal dispositions.
const CHECK_DETAIL: Detail = Detail {
    env: true,
    threads: false,
    fds: true,
    maps: true,
    limits: false,
    extras: true,
    signals: false,
};

/// `check`'s options from `--rules`, `--skip` and `--allow` (a usage error names an unknown rule or the
/// allowlist line that does not parse).
pub fn rule_options(a: RuleArgs, redact: bool) -> Result<procsift::check::Options> {
    let trim = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let mut opts = procsift::check::Options {
        rules: trim(a.rules),
        skip: trim(a.skip),
        redact,
        ..Default::default()
    };
    opts.validate().map_err(Error::Usage)?;
    if let Some(path) = &a.allow {
        let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        opts.allow =
            procsift::check::Allowlist::parse(&text, |id| procsift::check::rule(id).is_some())
                .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    }
    Ok(opts)
}

/// `check`: the findings, exit status 1 when one is at or above `--min-severity`.
fn check(ctx: Context, a: CheckArgs) -> Result<ExitCode> {
    let format = a.common.format;
    if a.list_rules {
        return shown_plain(report::check_rules(), format);
    }
    let min = procsift::check::Severity::parse(a.min_severity.trim()).map_err(Error::Usage)?;
    let opts = rule_options(a.rules, ctx.redact)?;
    // The rules read the model as captured; --redact hides secrets in what they report.
    let snapshot = match (&a.input, a.probe_pids) {
        (Some(_), true) => {
            return Err(Error::Usage(
                "--probe-pids probes the live host; a capture records a probe with `procsift capture \
                 --probe-pids`"
                    .into(),
            ));
        }
        (None, true) => analyze::analyze_with(
            &capture::capture_to_memory(&CaptureOptions {
                probe_pids: true,
                reading: capture::Reading {
                    select: CHECK_DETAIL.selection(),
                    ..capture::Reading::default()
                },
                ..CaptureOptions::default()
            })?,
            CHECK_DETAIL,
        ),
        (input, false) => load(
            Context { redact: false },
            input.as_deref(),
            None,
            CHECK_DETAIL,
        )?,
    };
    let outcome = procsift::check::check(&snapshot, &opts);
    let code = if outcome.worst().is_some_and(|w| w >= min) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    let report = report::check(&snapshot, &outcome, min);
    output::emit(&report, format)?;
    std::mem::forget((report, snapshot, outcome));
    Ok(code)
}

/// Writes a report that reads no input (exit status 0).
fn shown_plain(report: Report, format: Format) -> Result<ExitCode> {
    output::emit(&report, format)?;
    Ok(ExitCode::SUCCESS)
}

/// The pid the user gave, or the only process of a core or of a one-process input.
fn pid_or_single(snapshot: &Snapshot, pid: Option<i32>, command: &str) -> Result<i32> {
    match (pid, snapshot.processes.as_slice()) {
        (Some(pid), _) => Ok(pid),
        // A core, or a one-process input (`/proc/<pid>`, a copy of one process's directory).
        (None, [only]) => Ok(only.pid),
        (None, _) => Err(pid_required(command)),
    }
}

/// Without INPUT (the live host) a PID is required: say so before reading the host.
fn need_pid(input: Option<&Path>, pid: Option<i32>, command: &str) -> Result<()> {
    match (input, pid) {
        (None, None) => Err(pid_required(command)),
        _ => Ok(()),
    }
}

fn pid_required(command: &str) -> Error {
    Error::Usage(format!(
        "a PID is required: procsift {command} [INPUT] PID; see 'procsift {command} --help'"
    ))
}

/// Splits `[INPUT] [PID]`: with two values the first is the input; a single value is a PID when it is a
/// number (a file named like a number is given with a path: `./1234`), otherwise the input.
fn input_and_pid(
    first: Option<String>,
    second: Option<String>,
) -> Result<(Option<PathBuf>, Option<i32>)> {
    let parse_pid = |s: &str| {
        s.parse::<i32>()
            .map_err(|_| Error::Usage(format!("not a process id: {s:?}")))
    };
    match (first, second) {
        (None, _) => Ok((None, None)),
        (Some(one), None) if one.parse::<i32>().is_ok() => Ok((None, Some(parse_pid(&one)?))),
        (Some(one), None) => Ok((Some(PathBuf::from(one)), None)),
        (Some(input), Some(pid)) => Ok((Some(PathBuf::from(input)), Some(parse_pid(&pid)?))),
    }
}

/// The detail a `ps` needs: only what its columns, sort keys and filters show. With the usual columns
/// a live or directory read then fetches each process's `stat`, `status` and `cmdline`, as `ps` itself
/// does; JSON records carry every field, so they take the summary.
fn ps_detail(opts: &PsOptions) -> Detail {
    // `unread` says what of the process's records could not be read, so it asks for all of the
    // summary's members (a narrowed read would only try, and report on, stat, status and cmdline).
    let extra = |c: &Column| {
        matches!(
            c,
            Column::Exe
                | Column::Pidns
                | Column::Netns
                | Column::Cgroup
                | Column::Pss
                | Column::Unread
        )
    };
    let columns = opts.columns.as_deref().unwrap_or_default();
    if opts.records
        || opts.filter.container.is_some()
        || columns.iter().any(extra)
        || opts.sort.iter().any(|(c, _)| extra(c))
    {
        Detail::SUMMARY
    } else {
        Detail::LIST
    }
}

/// The processes a report about `pid` (or the `--pid` filter) needs read; `None` for all.
fn only(pid: Option<i32>, filters: &Filters) -> Option<Vec<i32>> {
    match pid {
        Some(p) => Some(vec![p]),
        None => Some(filters.pids.clone()).filter(|p| !p.is_empty()),
    }
}

/// The environment variable that makes every read of an input whole: every member of every process is
/// indexed and decoded (the environment, the extras and the signal dispositions too; the bulky lists the
/// report asks for), as
/// before reports read only what they show. The tests compare each report's output with and without it.
pub const FULL_READ: &str = "PROCSIFT_FULL_READ";

/// Reads the input (or the live host) and builds the model with the lists `detail` asks for, redacted
/// when `--redact` was given. With `stored` (`--core PID`), the model is that of the core of PID the
/// snapshot archive holds.
pub fn load(
    ctx: Context,
    input: Option<&Path>,
    stored: Option<i32>,
    detail: Detail,
) -> Result<Snapshot> {
    load_with(ctx, input, stored, detail, None, false)
}

/// Like [`load`]; a live or directory read fetches only the members `detail` needs, and only of the
/// processes `pids` names when given; an archive's index holds only those (a core is read whole, a
/// copied directory too). A pid that is not in the input has the input read again whole, so that the
/// error names how many processes it has.
pub fn load_only(
    ctx: Context,
    input: Option<&Path>,
    stored: Option<i32>,
    detail: Detail,
    pids: Option<Vec<i32>>,
) -> Result<Snapshot> {
    load_with(ctx, input, stored, detail, pids, false)
}

/// [`load_only`], reading the live host's `smaps` too when `smaps` is set (per-mapping sizes for
/// `maps`).
fn load_with(
    ctx: Context,
    input: Option<&Path>,
    stored: Option<i32>,
    detail: Detail,
    pids: Option<Vec<i32>>,
    smaps: bool,
) -> Result<Snapshot> {
    if let Some(pid) = stored {
        let Some(path) = input else {
            return Err(Error::Usage(
                "--core PID reads a core a snapshot archive holds: name the archive (INPUT)".into(),
            ));
        };
        let snapshot = analyze::open_stored_core(path, Some(pid), &OpenOptions::default(), None)?;
        return Ok(redacted(ctx, snapshot));
    }
    // The reference read the tests hold the narrowed reads to (see `tests/same_output.rs`): every
    // member of every process indexed and decoded with the lists the report asks for, as all reads of
    // an input were before reports read only what they show. Not for users: it only makes them slower.
    let (detail, pids) = if input.is_some() && std::env::var_os(FULL_READ).is_some() {
        let whole = Detail {
            env: true,
            extras: true,
            signals: true,
            ..detail
        };
        (whole, None)
    } else {
        (detail, pids)
    };
    let select = procsift::snapshot::Selection {
        pids,
        ..detail.selection()
    };
    let snapshot = match input {
        Some(path) => {
            let wanted = select.pids.clone();
            let snapshot = analyze::open(
                path,
                detail,
                &OpenOptions {
                    select: select.clone(),
                    ..OpenOptions::default()
                },
            )?;
            let missing = wanted
                .iter()
                .flatten()
                .any(|pid| !snapshot.processes.iter().any(|p| p.pid == *pid));
            if missing {
                // A pid that is not there: the message says how many processes the input has, so the
                // input is read again, every process of it.
                analyze::open(
                    path,
                    detail,
                    &OpenOptions {
                        select: procsift::snapshot::Selection {
                            pids: None,
                            ..select
                        },
                        ..OpenOptions::default()
                    },
                )?
            } else {
                snapshot
            }
        }
        None => analyze::analyze_with(
            &capture::capture_to_memory(&CaptureOptions {
                reading: capture::Reading {
                    select,
                    ..capture::Reading::default()
                },
                smaps,
                ..CaptureOptions::default()
            })?,
            detail,
        ),
    };
    Ok(redacted(ctx, snapshot))
}

/// `info` of a snapshot archive: read through its member index, each process's `stat` and `status`
/// only, its threads and open files counted from the index (see
/// [`procsift::analyze::linux_info`]). `None` when INPUT is not an archive procsift can count so (a
/// directory, a core, a Solaris or NetBSD capture), or with [`FULL_READ`]; an archive without a usable
/// index is then analyzed as read (the walk reads every member).
fn info_counted(
    ctx: Context,
    path: &Path,
    detail: Detail,
) -> Result<Option<procsift::analyze::linux_info::Counted>> {
    use procsift::snapshot::reader::{self, InputFormat};
    let archive = matches!(
        reader::sniff(path)?,
        InputFormat::Tar | InputFormat::TarGz | InputFormat::TarZst
    );
    if !archive || std::env::var_os(FULL_READ).is_some() {
        return Ok(None);
    }
    let opts = OpenOptions {
        select: detail.selection(),
        counts: true,
        ..OpenOptions::default()
    };
    let mut raw = reader::open_path(path, &opts)?;
    // A manifest that records the totals: the read held no process; those the events name are read.
    if raw.listed.is_some()
        && let Some(pids) = procsift::analyze::linux_info::named(&raw)
        && !pids.is_empty()
    {
        raw = reader::open_path(
            path,
            &OpenOptions {
                select: procsift::snapshot::Selection {
                    pids: Some(pids),
                    ..opts.select.clone()
                },
                ..opts.clone()
            },
        )?;
        if raw.listed.is_none() {
            // Walked with that selection: read it whole.
            raw = reader::open_path(
                path,
                &OpenOptions {
                    counts: false,
                    ..opts
                },
            )?;
        }
    }
    if raw.listed.is_none() {
        // Walked: every member the detail needs was read.
        let counted = procsift::analyze::linux_info::whole(&raw, detail);
        return Ok(Some(redacted_counts(ctx, counted)));
    }
    Ok(procsift::analyze::linux_info::count(&raw).map(|c| redacted_counts(ctx, c)))
}

/// The counted model redacted when `--redact` was given.
fn redacted_counts(
    ctx: Context,
    c: procsift::analyze::linux_info::Counted,
) -> procsift::analyze::linux_info::Counted {
    procsift::analyze::linux_info::Counted {
        snapshot: redacted(ctx, c.snapshot),
        ..c
    }
}

/// The model redacted when `--redact` was given.
fn redacted(ctx: Context, snapshot: Snapshot) -> Snapshot {
    if ctx.redact {
        procsift::model::redact::redacted(snapshot)
    } else {
        snapshot
    }
}

/// Reads the input as [`load`] does; a core's threads are also unwound, with module files looked up as
/// `--sysroot` and `--debug-dir` say. With `stored` (`--core PID`), the core of PID the snapshot
/// archive holds is read and unwound.
fn load_with_stacks(
    ctx: Context,
    input: &Path,
    stored: Option<i32>,
    detail: Detail,
    modules: &super::args::ModuleArgs,
) -> Result<Snapshot> {
    let search = modules.search();
    let snapshot = match stored {
        Some(pid) => {
            analyze::open_stored_core(input, Some(pid), &OpenOptions::default(), Some(&search))?
        }
        None => analyze::open_with_stacks(input, detail, &OpenOptions::default(), &search)?,
    };
    Ok(redacted(ctx, snapshot))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_number_is_a_pid() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(input_and_pid(s("1"), None).unwrap(), (None, Some(1)));
        assert_eq!(
            input_and_pid(s("./1"), None).unwrap(),
            (Some(PathBuf::from("./1")), None)
        );
        assert_eq!(
            input_and_pid(s("host.tar"), s("5752")).unwrap(),
            (Some(PathBuf::from("host.tar")), Some(5752))
        );
        assert!(input_and_pid(s("host.tar"), s("x")).is_err());
        assert_eq!(input_and_pid(None, None).unwrap(), (None, None));
    }
}
