//! The `panteras` command: parse the command line, run, print the error chain.

use std::process::ExitCode;

use clap::Parser;
use panteras::term;

fn main() -> ExitCode {
    let cli = panteras::cli::Cli::parse();
    match panteras::run(cli) {
        Ok(code) => code,
        // A reader that stopped reading (`panteras cluster --diff | head`)
        // ends the run quietly, with the status of a program ended by
        // SIGPIPE.
        Err(error) if broken_pipe(&error) => ExitCode::from(141),
        Err(error) => {
            eprintln!("{} {error}", term::error_label(term::colour()));
            for cause in error.chain().skip(1) {
                eprintln!("caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
