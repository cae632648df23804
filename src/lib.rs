//! panteras: generates the deployment of a PanteraS host from the same
//! `restricted/` files as the old `generate_yml.sh`.

pub mod app;
pub mod check;
pub mod cli;
pub mod container;
pub mod engine;
pub mod finding;
pub mod fleet;
pub mod haproxy16;
pub mod identity;
pub mod import;
pub mod inventory;
pub mod layers;
pub mod line;
pub mod marathon_deploy;
pub mod output;
pub mod params;
pub mod render;
pub mod routers;
pub mod scope;
pub mod settings;
pub mod shell;
pub mod show;
pub mod tags;
pub mod term;
pub mod upgrade;
pub mod values;
pub mod vars;
pub mod yaml;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::CommandFactory;

use check::{Finding, Severity};
use cli::{
    CheckArgs, Cli, ClusterArgs, Command, ConfigArgs, GenerateArgs, InputArgs, OutputArgs, Role,
    Shell,
};
use identity::{RealSystem, System};
use layers::{Flags, Inputs, Layers};
use output::Mode;
use render::RenderedFile;
use settings::Settings;

/// How much to say, and whether in colour.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    pub quiet: bool,
    pub colour: bool,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let system = RealSystem::default();
    let ui = Ui {
        quiet: cli.quiet,
        colour: term::colour(),
    };
    match cli.command {
        Command::Generate(args) => generate(&args, &system, ui),
        Command::Cluster(args) => cluster(&args, ui),
        Command::Check(args) => check(&args, &system, ui),
        Command::Config(args) => config(&args, &system, ui),
        Command::Status(args) => status(&args, &system, ui),
        Command::App(command) => app::run(&command, ui),
        Command::MarathonDeploy { args } => marathon_deploy::run(&args, ui),
        Command::Completions { shell } => completions(shell),
        Command::Man => man(),
    }
}

/// Reads the layers and resolves this host's settings; the findings are
/// the values that could not be used (each an error).
pub fn resolve(input: &InputArgs, system: &dyn System) -> Result<(Layers, Settings, Vec<Finding>)> {
    let mut env = Vec::new();
    let mut env_not_utf8 = Vec::new();
    for (name, value) in std::env::vars_os() {
        match (name.into_string(), value.into_string()) {
            (Ok(name), Ok(value)) => env.push((name, value)),
            (Ok(name), Err(_)) => env_not_utf8.push(name),
            (Err(_), _) => {}
        }
    }
    let (defaults_file, named) = input.defaults_file();
    if named && !defaults_file.exists() {
        bail!(
            "--defaults-file {}: no such file; a file named on the command line must exist\n  \
             fix: name an existing file, or leave the option out (then $PANTERAS_DEFAULTS or \
             /etc/default/panteras is read when it exists)",
            defaults_file.display()
        );
    }
    let inputs = Inputs {
        env,
        env_not_utf8,
        defaults_file,
        dir: input.dir.clone(),
        flags: flags(input),
        machine_hostname: system.hostname(),
    };
    let layers = Layers::load(&inputs)?;
    let (settings, problems) = Settings::resolve(&layers, system);
    Ok((layers, settings, problems))
}

/// Prints findings on stderr (warnings only unless quiet); returns the
/// number of errors and of warnings.
pub(crate) fn report(findings: &[Finding], ui: Ui) -> (usize, usize) {
    let mut stderr = std::io::stderr().lock();
    let (mut errors, mut warnings) = (0, 0);
    for finding in findings {
        let label = match finding.severity {
            Severity::Error => {
                errors += 1;
                term::error_label(ui.colour)
            }
            Severity::Warning => {
                warnings += 1;
                if ui.quiet {
                    continue;
                }
                term::warning_label(ui.colour)
            }
        };
        let _ = writeln!(stderr, "{label} {finding}");
    }
    (errors, warnings)
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Resolves, checks, renders, then writes (or shows) the files. Nothing is
/// written unless every step before it succeeded.
pub fn generate(args: &GenerateArgs, system: &dyn System, ui: Ui) -> Result<ExitCode> {
    let (layers, settings, mut findings) = resolve(&args.input, system)?;
    findings.extend(check::check(&settings, &layers, true));
    strictly(&mut findings, args.output.strict);
    check::explain_typos(&mut findings, &layers);
    let (errors, _) = report(&findings, ui);
    if errors > 0 {
        bail!("{} above; nothing was written", plural(errors, "error"));
    }
    let mut files = render::render(
        &settings,
        args.output.templates.as_deref(),
        args.output.image_files,
    )?;
    files.push(output::env_file(Path::new("")));
    let out = args.out.as_ref().unwrap_or(&args.input.dir);
    write_out(out, &files, &args.output, ui)
}

/// With `--strict`, every warning counts as an error (and is shown even
/// with `--quiet`).
pub(crate) fn strictly(findings: &mut [Finding], strict: bool) {
    if strict {
        for finding in findings {
            finding.severity = Severity::Error;
        }
    }
}

/// Where progress and data go: nowhere for a quiet run that writes.
fn printer(ui: Ui, mode: Mode) -> Box<dyn Write> {
    if ui.quiet && mode == Mode::Write {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stdout().lock())
    }
}

/// What `--dry-run`, `--diff` and `--check` ask for.
fn output_mode(args: &OutputArgs) -> Mode {
    match (args.dry_run, args.diff, args.check) {
        (true, _, _) => Mode::DryRun,
        (_, true, true) => Mode::DiffCheck,
        (_, true, false) => Mode::Diff,
        (_, false, true) => Mode::Check,
        _ => Mode::Write,
    }
}

/// Writes (or shows, diffs, checks) rendered files under `out`.
fn write_out(out: &Path, files: &[RenderedFile], args: &OutputArgs, ui: Ui) -> Result<ExitCode> {
    let mode = output_mode(args);
    let changed = output::apply(out, files, mode, &mut *printer(ui, mode))?;
    let drift = changed && matches!(mode, Mode::Check | Mode::DiffCheck);
    Ok(if drift {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Renders every host of an inventory; writes nothing when any host has
/// an error. A warning shared by many hosts is said once.
pub fn cluster(args: &ClusterArgs, ui: Ui) -> Result<ExitCode> {
    if let Some(dir) = &args.import {
        return import(dir, args, ui);
    }
    let (Some(inventory), Some(out)) = (&args.inventory, &args.out) else {
        bail!("--inventory and --out are needed (or --import DIR)");
    };
    let inventory = inventory::Inventory::read(inventory)?;
    let renderer = render::Renderer::new(args.output.templates.as_deref())?;
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut warnings: Vec<(Finding, Vec<&str>)> = Vec::new();
    let mut consul = Vec::new();
    let mut members = Vec::new();
    for host in inventory.hosts() {
        let (layers, settings, mut findings) = host.resolve()?;
        if args.ansible.is_some() {
            members.push(fleet::ansible::Member::of(host, &settings));
        }
        findings.extend(check::check(&settings, &layers, false));
        findings.extend(fleet::line_change::refused(
            &out.join(&host.name),
            &settings,
            inventory.line_change(),
        ));
        consul.push((host.name.as_str(), check::ConsulRole::of(&settings)));
        for finding in findings {
            if finding.severity == Severity::Error {
                let subject = format!("host {} ({}): {}", host.name, host.origin, finding.subject);
                errors.push(Finding { subject, ..finding });
            } else if let Some((_, hosts)) = warnings
                .iter_mut()
                .find(|(w, _)| (&w.problem, &w.fix) == (&finding.problem, &finding.fix))
            {
                hosts.push(&host.name);
            } else {
                warnings.push((finding, vec![&host.name]));
            }
        }
        if errors.is_empty() {
            files.extend(host.files(&renderer, &settings, args.output.image_files)?);
        }
    }
    let warnings = warnings.into_iter().map(|(finding, hosts)| {
        let listed = hosts.iter().take(3).copied().collect::<Vec<_>>().join(", ");
        let more = if hosts.len() > 3 {
            format!(" and {} more", hosts.len() - 3)
        } else {
            String::new()
        };
        let which = if hosts.len() == 1 { "host" } else { "hosts" };
        Finding {
            subject: format!("{which} {listed}{more}: {}", finding.subject),
            ..finding
        }
    });
    errors.extend(check::consul_servers(&consul));
    let stale = inventory.stale_folders(out);
    let stale_found = stale.iter().map(|name| {
        Finding::warning(
            format!("{}/", out.join(name).display()),
            "the folder of a host that the inventory no longer has (its container may still \
             run there)"
                .into(),
            "stop it on that host (docker compose down), then remove the folder, or run again \
             with --prune"
                .into(),
        )
    });
    let mut all: Vec<Finding> = errors
        .into_iter()
        .chain(warnings)
        .chain(stale_found.filter(|_| !args.prune))
        .collect();
    strictly(&mut all, args.output.strict);
    let (error_count, _) = report(&all, ui);
    if error_count > 0 {
        bail!(
            "{} above; nothing was written",
            plural(error_count, "error")
        );
    }
    // The rollout's files join the hosts' when they go below --out (one
    // set, written together); elsewhere they are a set of their own.
    let mut apart = Vec::new();
    if let Some(dir) = &args.ansible {
        for member in &mut members {
            member.take_files(&files);
        }
        let ansible = fleet::ansible::files(&inventory, &members, dir, out)?;
        match fleet::ansible::below(dir, out)? {
            Some(prefix) => files.extend(ansible.into_iter().map(|f| RenderedFile {
                path: prefix.join(&f.path),
                ..f
            })),
            None => apart = ansible,
        }
    }
    let mut written = write_out(out, &files, &args.output, ui)?;
    if let (Some(dir), false) = (&args.ansible, apart.is_empty())
        && write_out(dir, &apart, &args.output, ui)? == ExitCode::FAILURE
    {
        written = ExitCode::FAILURE;
    }
    let mode = output_mode(&args.output);
    let pruned = if args.prune || matches!(mode, Mode::Check | Mode::DiffCheck) {
        output::prune(out, &stale, mode, &mut *printer(ui, mode))?
    } else {
        false
    };
    let drift = pruned && matches!(mode, Mode::Check | Mode::DiffCheck);
    Ok(if drift { ExitCode::FAILURE } else { written })
}

/// Prints the inventory of the hosts' folders under `dir`; what it cannot
/// keep is said on stderr, host by host.
fn import(dir: &Path, args: &ClusterArgs, ui: Ui) -> Result<ExitCode> {
    let imported = import::import(dir, args.output.templates.as_deref())?;
    std::io::stdout()
        .lock()
        .write_all(imported.text.as_bytes())?;
    let mut stderr = std::io::stderr().lock();
    if !ui.quiet {
        for folder in &imported.skipped {
            writeln!(
                stderr,
                "skipped {}/: no docker-compose.yml and no restricted/, not a host's folder",
                term::printable(folder, 300)
            )?;
        }
    }
    for note in &imported.notes {
        writeln!(
            stderr,
            "{} {}",
            term::warning_label(ui.colour),
            term::printable(note, 2000)
        )?;
    }
    if !ui.quiet {
        writeln!(
            stderr,
            "imported {}; {}",
            plural(imported.hosts, "host"),
            if imported.notes.is_empty() {
                "every host keeps what its container has".to_string()
            } else {
                format!("{} not kept (above)", plural(imported.notes.len(), "value"))
            }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Tells whether this folder's container runs what its compose file names.
fn status(args: &cli::StatusArgs, system: &dyn System, ui: Ui) -> Result<ExitCode> {
    if args.diff {
        return status_diff(args, system, ui);
    }
    let report = fleet::status::status(&args.input.dir, args.project.as_deref())?;
    let mut out = std::io::stdout().lock();
    match args.format {
        cli::StatusFormat::Text => {
            for line in report.lines() {
                writeln!(out, "{line}")?;
            }
        }
        cli::StatusFormat::Json => writeln!(out, "{}", report.json())?,
    }
    Ok(ExitCode::from(report.state.code()))
}

/// Compares the running container with what this folder's settings give.
fn status_diff(args: &cli::StatusArgs, system: &dyn System, ui: Ui) -> Result<ExitCode> {
    let (layers, settings, mut findings) = resolve(&args.input, system)?;
    findings.extend(check::check(&settings, &layers, true));
    check::explain_typos(&mut findings, &layers);
    let (errors, _) = report(&findings, ui);
    if errors > 0 {
        bail!("{} above; nothing was compared", plural(errors, "error"));
    }
    // The image-files step mounts no daemon file: its compose file alone.
    let files = render::render(&settings, None, args.image_files)?;
    let found = fleet::status::diff(
        &args.input.dir,
        args.project.as_deref(),
        &settings,
        &files,
        args.image_files,
    )?;
    let mut out = std::io::stdout().lock();
    for line in &found.lines {
        writeln!(out, "{line}")?;
    }
    Ok(ExitCode::from(match (found.found, found.any) {
        (false, _) => 5,
        (true, true) => 3,
        (true, false) => 0,
    }))
}

/// The host's roles, when the environment or `--role` gave them rather
/// than its files (the old docs set slaves up with `MASTER=false
/// ./generate_yml.sh`): which roles were checked, and where they came from.
fn roles_given(settings: &settings::Settings) -> Option<String> {
    use layers::Source;
    let given: Vec<String> = ["MASTER", "SLAVE"]
        .iter()
        .filter_map(|name| {
            let resolved = settings.get(name);
            let from = match &resolved.source {
                Source::Env => "the environment".to_string(),
                Source::Flag(flag) => (*flag).to_string(),
                _ => return None,
            };
            Some(format!("{name}={} from {from}", resolved.value))
        })
        .collect();
    if given.is_empty() {
        return None;
    }
    let roles = match (settings.flag("MASTER"), settings.flag("SLAVE")) {
        (true, true) => "a master that is also a slave",
        (true, false) => "a master only",
        (false, true) => "a slave only",
        (false, false) => "neither a master nor a slave",
    };
    Some(format!("checked as {roles} ({})", given.join(", ")))
}

/// Reports every problem of this host's settings.
pub fn check(args: &CheckArgs, system: &dyn System, ui: Ui) -> Result<ExitCode> {
    let (layers, settings, mut findings) = resolve(&args.input, system)?;
    findings.extend(check::check(&settings, &layers, true));
    if args.ports {
        findings.extend(check::ports(&settings));
    }
    findings.sort_by_key(|f| f.severity);
    check::explain_typos(&mut findings, &layers);
    let (errors, warnings) = report(&findings, ui);
    if !ui.quiet {
        let mut out = std::io::stdout().lock();
        if let Some(roles) = roles_given(&settings) {
            writeln!(out, "{roles}")?;
        }
        writeln!(
            out,
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        )?;
    }
    // What the move changes is said of settings that stand: with errors,
    // it would describe a host that cannot run.
    if args.upgrade_to.is_some() {
        if errors > 0 {
            bail!(
                "{} above: fix them first; the upgrade report describes the host as its settings stand",
                plural(errors, "error")
            );
        }
        if settings.line().name != line::V03.name {
            bail!(
                "this host follows the {} line already (PANTERAS_IMAGE_LINE, from {}): the \
                 upgrade report reads a host of the 0.3 line",
                settings.line().name,
                settings.get("PANTERAS_IMAGE_LINE").source
            );
        }
        let mut out = std::io::stdout().lock();
        for line in upgrade::report(&settings) {
            writeln!(out, "{}", term::printable(&line, 4000))?;
        }
    }
    let failed = errors > 0 || (args.strict && warnings > 0);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints every variable with its value and source.
pub fn config(args: &ConfigArgs, system: &dyn System, ui: Ui) -> Result<ExitCode> {
    let (_, settings, problems) = resolve(&args.input, system)?;
    let (errors, _) = report(&problems, Ui { quiet: true, ..ui });
    if errors > 0 {
        bail!("{} above", plural(errors, "error"));
    }
    let text = show::format(&settings, args.format, args.show_secrets)?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn completions(shell: Shell) -> Result<ExitCode> {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "panteras", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(ExitCode::SUCCESS)
}

/// One manual page: the command, then each subcommand with its synopsis,
/// description, options and examples.
fn man() -> Result<ExitCode> {
    let command = Cli::command();
    let mut page = Vec::new();
    let top = clap_mangen::Man::new(command.clone());
    top.render_title(&mut page)?;
    top.render_name_section(&mut page)?;
    top.render_synopsis_section(&mut page)?;
    top.render_description_section(&mut page)?;
    top.render_options_section(&mut page)?;
    // The subcommands are sections of this page, not pages of their own;
    // `app`'s own subcommands each get one.
    let mut leaves = Vec::new();
    for sub in command.get_subcommands() {
        if sub.has_subcommands() {
            for inner in sub.get_subcommands() {
                let name = format!("panteras {} {}", sub.get_name(), inner.get_name());
                leaves.push((name, inner.clone()));
            }
        } else {
            leaves.push((format!("panteras {}", sub.get_name()), sub.clone()));
        }
    }
    writeln!(page, ".SH SUBCOMMANDS")?;
    for (name, sub) in &leaves {
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        writeln!(
            page,
            ".TP\n\\fB{name}\\fR\n{} (see {} below)",
            roff_text(&about),
            name.to_uppercase()
        )?;
    }
    top.render_version_section(&mut page)?;
    for (name, sub) in leaves {
        let man = clap_mangen::Man::new(sub.bin_name(name.clone()));
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part)?;
        man.render_description_section(&mut part)?;
        man.render_options_section(&mut part)?;
        man.render_extra_section(&mut part)?;
        let part = String::from_utf8_lossy(&part)
            .replace(".SH EXTRA", ".SS \"EXAMPLES AND NOTES\"")
            .replace(".SH ", ".SS ");
        writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
        page.extend_from_slice(part.as_bytes());
    }
    std::io::stdout().lock().write_all(&page)?;
    Ok(ExitCode::SUCCESS)
}

/// Text for a roff line: backslashes and hyphens escaped, no line
/// starting with a control character.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.' | '\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

fn flags(input: &InputArgs) -> Flags {
    let mut named = Vec::new();
    if let Some(role) = input.role {
        let (master, slave) = match role {
            Role::Standalone => ("true", "true"),
            Role::Master => ("true", "false"),
            Role::Slave => ("false", "true"),
        };
        named.push(("MASTER", master.to_string(), "--role"));
        named.push(("SLAVE", slave.to_string(), "--role"));
    }
    if let Some(ip) = &input.ip {
        named.push(("IP", ip.clone(), "--ip"));
    }
    if let Some(ip) = &input.listen_ip {
        named.push(("LISTEN_IP", ip.clone(), "--listen-ip"));
    }
    Flags {
        named,
        set: input.set.clone(),
    }
}
