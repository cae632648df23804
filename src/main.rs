use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = panteras::cli::Cli::parse();
    match panteras::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
