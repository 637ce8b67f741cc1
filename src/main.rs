//! The `procsift` command line (see the `cli` module): the work happens in the library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
