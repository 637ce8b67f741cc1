//! Output plumbing: reports to stdout (fitted to a terminal, whole when piped, a closed pipe is not an
//! error), and errors and warnings to stderr (one line each, red/yellow on a terminal). Everything written
//! passes through the report layer's one escape ([`procsift::report::visible`]).

use std::io::{IsTerminal, Write};

use procsift::model::Warning;
use procsift::report::{Format, Report, render, visible};
use procsift::{Error, Result};

/// Writes `report` in `format` to stdout, then (for table and CSV, whose stdout must stay parseable) its
/// warnings to stderr.
pub fn emit(report: &Report, format: Format) -> Result<()> {
    let stdout = std::io::stdout();
    let width = if stdout.is_terminal() {
        terminal_width()
    } else {
        None
    };
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = render::render(report, format, width, &mut out).and_then(|_| out.flush());
    match written {
        Ok(()) => {}
        // A closed pipe (`procsift ps | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(Error::io("standard output", e)),
    }
    if matches!(format, Format::Table | Format::Csv) {
        print_warnings(&report.warnings);
    }
    Ok(())
}

/// The terminal's width in columns: `COLUMNS` when set, else what the terminal says; `None` when neither
/// gives a positive number (a terminal that reports 0x0 is one of unknown width: nothing is fitted).
fn terminal_width() -> Option<usize> {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok());
    from_env
        .or_else(|| {
            rustix::termios::tcgetwinsize(std::io::stdout())
                .ok()
                .map(|w| usize::from(w.ws_col))
        })
        .filter(|w| *w > 0)
}

/// Prints the first warnings of each side on stderr, prefixed with the side (`OLD: `, `NEW: `) when there
/// are two inputs.
fn print_warnings(warnings: &[(Option<&'static str>, Warning)]) {
    const SHOWN: usize = 10;
    let mut sides: Vec<Option<&str>> = warnings.iter().map(|(s, _)| *s).collect();
    sides.dedup();
    for side in sides {
        let prefix = side.map_or(String::new(), |s| format!("{}: ", s.to_uppercase()));
        let of_side: Vec<&Warning> = warnings
            .iter()
            .filter(|(s, _)| *s == side)
            .map(|(_, w)| w)
            .collect();
        for w in of_side.iter().take(SHOWN) {
            warning(&format!("{prefix}{w}"));
        }
        if of_side.len() > SHOWN {
            warning(&format!(
                "{prefix}... and {} more warnings (all of them are in --format json)",
                of_side.len() - SHOWN
            ));
        }
    }
}

fn colored() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// One line on stderr: `error: ...`.
pub fn error(msg: &str) {
    let msg = visible(msg);
    if colored() {
        eprintln!("\x1b[1;31merror:\x1b[0m {msg}");
    } else {
        eprintln!("error: {msg}");
    }
}

/// One line on stderr: `warning: ...`.
pub fn warning(msg: &str) {
    let msg = visible(msg);
    if colored() {
        eprintln!("\x1b[33mwarning:\x1b[0m {msg}");
    } else {
        eprintln!("warning: {msg}");
    }
}

/// One line on stderr, as it is (a capture's summary).
pub fn note(msg: &str) {
    eprintln!("{}", visible(msg));
}
