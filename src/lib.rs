//! panteras: generates the deployment of a PanteraS host from the same
//! `restricted/` files as the old `generate_yml.sh`.

pub mod cli;
pub mod identity;
pub mod layers;
pub mod output;
pub mod params;
pub mod render;
pub mod settings;
pub mod shell;
pub mod values;
pub mod vars;

use std::process::ExitCode;

use anyhow::Result;

use cli::{Cli, Command, GenerateArgs, Role};
use identity::{RealSystem, System};
use layers::{Flags, Inputs, Layers};
use output::Mode;
use settings::Settings;

/// Runs a parsed command line; the exit code is 1 when `--check` finds drift.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Generate(args) => generate(&args, &RealSystem::default()),
    }
}

/// Reads the layers, resolves, renders, then writes (or shows) the files.
/// Nothing is written unless every step before it succeeded.
pub fn generate(args: &GenerateArgs, system: &dyn System) -> Result<ExitCode> {
    let inputs = Inputs {
        env: std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect(),
        defaults_file: args.defaults_file.clone(),
        dir: args.dir.clone(),
        flags: flags(args),
        machine_hostname: system.hostname(),
    };
    let layers = Layers::load(&inputs)?;
    let settings = Settings::resolve(&layers, system)?;
    let files = render::render(&settings, args.templates.as_deref())?;
    let mode = match (args.dry_run, args.diff, args.check) {
        (true, _, _) => Mode::DryRun,
        (_, true, true) => Mode::DiffCheck,
        (_, true, false) => Mode::Diff,
        (_, false, true) => Mode::Check,
        _ => Mode::Write,
    };
    let out = args.out.as_ref().unwrap_or(&args.dir);
    let changed = output::apply(out, &files, mode, &mut std::io::stdout().lock())?;
    let drift = changed && matches!(mode, Mode::Check | Mode::DiffCheck);
    Ok(if drift {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn flags(args: &GenerateArgs) -> Flags {
    let mut named = Vec::new();
    if let Some(role) = args.role {
        let (master, slave) = match role {
            Role::Standalone => ("true", "true"),
            Role::Master => ("true", "false"),
            Role::Slave => ("false", "true"),
        };
        named.push(("MASTER", master.to_string(), "--role"));
        named.push(("SLAVE", slave.to_string(), "--role"));
    }
    if let Some(ip) = &args.ip {
        named.push(("IP", ip.clone(), "--ip"));
    }
    if let Some(ip) = &args.listen_ip {
        named.push(("LISTEN_IP", ip.clone(), "--listen-ip"));
    }
    Flags {
        named,
        set: args.set.clone(),
    }
}
