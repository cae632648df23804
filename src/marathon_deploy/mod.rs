//! `panteras marathon-deploy`: marathon_deploy 0.1.55's command line, so a
//! job that runs `marathon_deploy ARGS` runs `panteras marathon-deploy
//! ARGS` and deploys the same app, with panteras' checks before anything
//! is sent. The JSON is built as marathon_deploy builds it ([`build`]);
//! each `-u` URL is a Marathon (a cluster) deployed to in turn, the first
//! that fails stopping the run, and the run ends with what each got.

mod args;
mod build;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};

use crate::Ui;
use crate::app::Findings;
use crate::app::accept::{self, Mode};
use crate::app::deploy::{self, Sending};
use crate::app::marathon::{Marathon, without_credentials};
use crate::app::plan::{Macros, Plan, field};

/// How long each wait may take when `-t` is not given: marathon_deploy's
/// fixed limit.
const TIMEOUT: Duration = Duration::from_secs(300);
/// How often Marathon is asked while waiting: marathon_deploy's pause.
const INTERVAL: Duration = Duration::from_secs(3);

/// Runs marathon_deploy's command line `words`.
pub fn run(words: &[String], ui: Ui) -> Result<ExitCode> {
    let args = args::parse(words).map_err(|e| anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    if args.help {
        write!(out, "{}", args::USAGE)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.version {
        writeln!(
            out,
            "panteras {} (marathon_deploy 0.1.55's command line)",
            env!("CARGO_PKG_VERSION")
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let environment: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let macros = Macros::new(environment.iter().cloned(), &[]);
    let mut findings = Findings::default();
    let plan = build::build(&args, &environment, &macros, &mut findings);
    if let Some(plan) = &plan {
        refusals(plan, &mut findings);
    }
    let named = std::path::PathBuf::from(args.plan.as_deref().unwrap_or("deploy.yml"));
    let findings = findings.sorted(&[named]);
    let (errors, _) = crate::report(&findings, ui);
    let plan = match plan {
        Some(plan) if errors == 0 => plan,
        _ => bail!(
            "{} above; nothing was sent",
            crate::plural(errors.max(1), "error")
        ),
    };
    if args.noop {
        crate::app::masked_note(std::slice::from_ref(&plan), false, ui);
        writeln!(out, "{}", crate::app::plan::shown(&plan, false)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Both or neither, as marathon_deploy takes them.
    let (user, password) = match (&args.user, &args.password) {
        (Some(u), Some(p)) => (Some(u.as_str()), Some(p.as_str())),
        _ => (None, None),
    };
    let marathons: Vec<Marathon> = args
        .urls
        .iter()
        .map(|url| Marathon::new(std::slice::from_ref(url), user, password))
        .collect::<Result<_>>()?;
    let sending = Sending {
        partial: true,
        wait_first: true,
        force: false,
        timeout: args.timeout.unwrap_or(TIMEOUT),
        interval: args.interval.unwrap_or(INTERVAL),
    };
    for (done, marathon) in marathons.iter().enumerate() {
        let shown = without_credentials(&args.urls[done]);
        if let Err(e) = deploy::deploy_one(marathon, &plan, &sending, ui) {
            let rest: Vec<String> = args.urls[done + 1..]
                .iter()
                .map(|u| without_credentials(u))
                .collect();
            let mut e = e.context(format!("{shown}: not deployed"));
            if done > 0 {
                let deployed: Vec<String> = args.urls[..done]
                    .iter()
                    .map(|u| without_credentials(u))
                    .collect();
                e = e.context(format!("deployed to {}", deployed.join(", ")));
            }
            if !rest.is_empty() {
                e = e.context(format!(
                    "not tried, after {shown} failed: {}",
                    rest.join(", ")
                ));
            }
            return Err(e);
        }
        if !ui.quiet {
            eprintln!("{shown}: deployed");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What Marathon 1.4.10 would refuse of the app as marathon_deploy sends
/// it (a PUT that updates the app), at the plan's lines.
fn refusals(plan: &Plan, findings: &mut Findings) {
    let id = plan.app.get("id").and_then(serde_json::Value::as_str);
    let id = id.map(|id| format!("/{}", id.trim_start_matches('/')));
    for refusal in accept::judge(&plan.app, Mode::Update, id.as_deref(), None) {
        findings.error(
            plan.spot(&refusal.pointer),
            &field(&refusal.pointer),
            format!(
                "Marathon 1.4.10 would refuse it ({}): {}; marathon_deploy sends it all the same",
                refusal.answer(),
                refusal.words()
            ),
            "change it to what Marathon 1.4.10 takes (README: App plans, what check proves)",
        );
    }
}
