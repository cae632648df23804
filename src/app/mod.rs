//! `panteras app`: Marathon app plans in YAML or JSON, checked against what
//! Marathon 1.4.10 and the PaaS's HAProxy template will do with them,
//! rendered as Marathon JSON, and deployed and watched.
//!
//! A run reads every plan ([`plan`]), turns each `service:` block into
//! `SERVICE_NAME`/`SERVICE_TAGS` ([`service`]), checks them all together
//! ([`rules`]) and, for `deploy`, sends them to Marathon one by one
//! ([`deploy`], over [`marathon`]).

pub mod accept;
pub mod deploy;
mod diff;
pub mod marathon;
pub mod plan;
mod registration;
pub mod rules;
pub mod service;
mod upgrade;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::Ui;
use crate::cli::{AppCommand, PlanArgs};
use crate::finding::{Finding, Severity};
use plan::{Macros, Plan, Spot};

mod schema {
    include!(concat!(env!("OUT_DIR"), "/marathon_schema.rs"));
}

/// What a run found in its plans, each with where it was found.
#[derive(Default)]
pub struct Findings(Vec<(Option<Spot>, Finding)>);

impl Findings {
    /// An error at `spot` about `field` (a plan's field as written, or
    /// empty for the whole file).
    pub fn error(&mut self, spot: Spot, field: &str, problem: String, fix: &str) {
        let finding = Finding::error(subject(&spot, field), problem, fix.to_string());
        self.0.push((Some(spot), finding));
    }

    /// A warning at `spot` about `field`.
    pub fn warning(&mut self, spot: Spot, field: &str, problem: String, fix: &str) {
        let finding = Finding::warning(subject(&spot, field), problem, fix.to_string());
        self.0.push((Some(spot), finding));
    }

    /// A finding about the run rather than a plan.
    pub fn general(&mut self, finding: Finding) {
        self.0.push((None, finding));
    }

    /// How many errors so far.
    pub fn errors(&self) -> usize {
        self.0
            .iter()
            .filter(|(_, f)| f.severity == Severity::Error)
            .count()
    }

    /// The findings about the run first, then plan by plan in the order
    /// given (an overlay's after them), line by line.
    pub(crate) fn sorted(self, plans: &[std::path::PathBuf]) -> Vec<Finding> {
        let mut files: Vec<String> = plans.iter().map(|p| p.display().to_string()).collect();
        for (spot, _) in &self.0 {
            if let Some(spot) = spot
                .as_ref()
                .filter(|s| !files.iter().any(|f| **f == *s.file))
            {
                files.push(spot.file.to_string());
            }
        }
        let mut list = self.0;
        list.sort_by_key(|(spot, _)| {
            spot.as_ref().map(|s| {
                let file = files
                    .iter()
                    .position(|f| **f == *s.file)
                    .unwrap_or(usize::MAX);
                (file, s.line)
            })
        });
        list.into_iter().map(|(_, f)| f).collect()
    }
}

fn subject(spot: &Spot, field: &str) -> String {
    let at = if spot.line == 0 {
        spot.file.to_string()
    } else {
        spot.to_string()
    };
    if field.is_empty() {
        at
    } else {
        format!("{at}: {field}")
    }
}

/// Runs `panteras app ...`.
pub fn run(command: &AppCommand, ui: Ui) -> Result<ExitCode> {
    match command {
        AppCommand::Render(args) => {
            let plans = load(args, ui)?;
            let mut out = std::io::stdout().lock();
            masked_note(&plans, args.show_secrets, ui);
            for plan in &plans {
                // Text first: a reader that stops reading is an io::Error,
                // which ends the run as SIGPIPE would.
                writeln!(out, "{}", plan::shown(plan, args.show_secrets)?)?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        AppCommand::Check(args) if args.image.is_some() => {
            // The tags are said even of plans Marathon 1.4.10 refuses;
            // nothing is written while an error remains.
            let (plans, errors) = load_all(&args.plans, ui)?;
            upgrade::tags(&plans, args.fix && errors == 0, ui)?;
            if errors > 0 {
                let written = if args.fix {
                    "; nothing was written"
                } else {
                    ""
                };
                bail!("{} above{written}", crate::plural(errors, "error"));
            }
            Ok(ExitCode::SUCCESS)
        }
        AppCommand::Check(args) => {
            let plans = load(&args.plans, ui)?;
            if !ui.quiet {
                eprintln!("{}: no errors", crate::plural(plans.len(), "plan"));
            }
            Ok(ExitCode::SUCCESS)
        }
        AppCommand::Deploy(args) => {
            let plans = load(&args.plans, ui)?;
            deploy::run(&plans, args, ui)
        }
    }
}

/// Says, when values are masked in what is printed, that they are.
pub fn masked_note(plans: &[Plan], show: bool, ui: Ui) {
    if !show && !ui.quiet && plans.iter().any(|p| !p.secrets.is_empty()) {
        eprintln!(
            "note: the values of macros named like secrets are shown as ********; \
             --show-secrets prints them (deploy sends them as they are)"
        );
    }
}

/// Reads, fills in and checks every plan of a run; reports what was found
/// and fails when any error (or, with --strict, any warning) remains.
pub fn load(args: &PlanArgs, ui: Ui) -> Result<Vec<Plan>> {
    let (plans, errors) = load_all(args, ui)?;
    if errors > 0 {
        bail!(
            "{} above; nothing was rendered or sent",
            crate::plural(errors, "error")
        );
    }
    Ok(plans)
}

/// Reads, fills in and checks every plan of a run; reports what was found
/// and returns the plans that could be read with the number of errors.
pub fn load_all(args: &PlanArgs, ui: Ui) -> Result<(Vec<Plan>, usize)> {
    let set = macro_values(&args.set)?;
    if let Some(env) = &args.env {
        environment_name(env)?;
    }
    let schema = match (&args.schema, schema::SCHEMA) {
        (Some(path), _) => {
            let shown = path.display().to_string();
            let text = crate::layers::read_input(path, &shown)?
                .with_context(|| format!("--schema {shown}: no such file"))?;
            Some(rules::Schema::new(&text, &shown)?)
        }
        (None, Some(text)) => Some(rules::Schema::new(text, "the built-in schema")?),
        (None, None) => None,
    };
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let macros = Macros::new(env, &set);
    let mut findings = Findings::default();
    if schema.is_none() {
        findings.general(Finding::warning(
            "Marathon's schema".into(),
            "this build of panteras has none built in; plans are not checked against it".into(),
            "pass --schema AppDefinition.json (Marathon 1.4.10's v2/schema)".into(),
        ));
    }
    let mut plans = Vec::new();
    for path in &args.plans {
        if let Some(mut plan) = plan::read(path, args.env.as_deref(), &macros, &mut findings) {
            service::apply(&mut plan, &mut findings);
            plans.push(plan);
        }
    }
    rules::check(&plans, schema.as_ref(), &mut findings);
    let mut findings = findings.sorted(&args.plans);
    crate::strictly(&mut findings, args.strict);
    let (errors, _) = crate::report(&findings, ui);
    Ok((plans, errors))
}

/// `--set KEY=VALUE` pairs, each KEY a macro's name.
fn macro_values(set: &[String]) -> Result<Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut values = Vec::new();
    for item in set {
        match item.split_once('=') {
            Some((key, value))
                if !key.is_empty()
                    && !key.starts_with(|c: char| c.is_ascii_digit())
                    && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                values.push((key.to_string(), value.to_string()));
            }
            _ => errors.push(format!(
                "--set {}: not KEY=VALUE with KEY a macro's name (letters, digits and _, as in %%KEY%%)",
                crate::vars::brief("", item)
            )),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(values)
}

/// An environment's name: a file name beside the plans, never a path.
fn environment_name(env: &str) -> Result<()> {
    let ok = !env.is_empty()
        && !env.starts_with('.')
        && env.len() <= 64
        && env
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !ok {
        bail!(
            "--env {}: not an environment's name; write letters, digits, _, - and . \
             (NAME.yml beside the plan is read)",
            crate::vars::brief("", env)
        );
    }
    Ok(())
}
