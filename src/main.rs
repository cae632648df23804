//! The `panteras` command: parse the command line, run, print the error chain.

use std::process::ExitCode;

use clap::Parser;
use panteras::term;

fn main() -> ExitCode {
    let cli = panteras::cli::Cli::parse();
    match panteras::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{} {error}", term::error_label(term::colour()));
            for cause in error.chain().skip(1) {
                eprintln!("caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
