//! The `procsift` command line: arguments ([`args`]), what each command does ([`run`], [`archive`]) and
//! where the output goes ([`output`]). Options travel as values ([`Context`]); there is no global state.

mod archive;
mod args;
mod export;
mod gcore;
mod output;
mod page;
mod periodic;
mod run;
mod timeline;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

/// What every command may need from the global options.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context {
    /// `--redact`: every model is redacted before it is reported.
    pub redact: bool,
}

/// Parses the command line, runs the command, and turns the outcome into the exit status: the command's
/// own (0, or 1 for "no match" / "differences" / "mismatches"), or 2 with a one-line error.
pub fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let ctx = Context { redact: cli.redact };
    match run::run(ctx, cli.command) {
        Ok(code) => code,
        Err(e) => {
            output::error(&e.to_string());
            #[cfg(target_os = "linux")]
            if let procsift::Error::Interrupted(sig) = e {
                // Die by the signal, as without the handler that held it while the process was let go.
                procsift::os::ptrace::die_by(sig);
            }
            ExitCode::from(2)
        }
    }
}

/// Help and version go to stdout with status 0; a usage error is one line on stderr (what is wrong, and
/// which `--help` to read) with status 2, instead of clap's block of five to seven lines.
fn usage_error(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        _ => {}
    }
    output::error(&one_line(&e.render().to_string(), subcommand().as_deref()));
    ExitCode::from(2)
}

/// The subcommand named on the command line, if any (the first word that is one).
fn subcommand() -> Option<String> {
    let cmd = <args::Cli as clap::CommandFactory>::command();
    std::env::args()
        .skip(1)
        .find(|a| cmd.find_subcommand(a).is_some())
}

/// clap's rendered error in one line: its message (with the possible values or a similar name when clap
/// gives them), then `see 'procsift CMD --help'` for the command its usage line (or else `subcommand`)
/// names.
fn one_line(rendered: &str, subcommand: Option<&str>) -> String {
    let (body, usage) = match rendered.find("\nUsage:") {
        Some(i) => (&rendered[..i], &rendered[i + 1..]),
        None => (rendered, ""),
    };
    let mut parts: Vec<String> = Vec::new();
    for (i, para) in body.split("\n\n").enumerate() {
        let text = para
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let text = text.strip_prefix("error: ").unwrap_or(&text).to_string();
        let wanted =
            i == 0 || text.starts_with("[possible values") || text.starts_with("tip: a similar");
        if wanted && !text.is_empty() {
            parts.push(text);
        }
    }
    let command: Vec<&str> = usage
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("Usage:")
        .split_whitespace()
        .take_while(|w| !w.starts_with(['[', '<', '-']))
        .collect();
    let command = match (command.is_empty(), subcommand) {
        (false, _) => command.join(" "),
        (true, Some(sub)) => format!("procsift {sub}"),
        (true, None) => "procsift".to_string(),
    };
    format!("{}; see '{command} --help'", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_become_one_line() {
        let rendered = "error: unexpected argument '-r' found\n\n  tip: to pass '-r' as a value, use '-- -r'\n\nUsage: procsift ps [OPTIONS] [INPUT]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered, Some("ps")),
            "unexpected argument '-r' found; see 'procsift ps --help'"
        );
        let rendered = "error: invalid value 'nope' for '--format <FORMAT>'\n  [possible values: table, json, ndjson, csv]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered, Some("ps")),
            "invalid value 'nope' for '--format <FORMAT>' [possible values: table, json, ndjson, csv]; see 'procsift ps --help'"
        );
        let rendered = "error: the following required arguments were not provided:\n  <OLD>\n\nUsage: procsift diff <OLD> [NEW]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered, None),
            "the following required arguments were not provided: <OLD>; see 'procsift diff --help'"
        );
    }
}
