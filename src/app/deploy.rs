//! `panteras app deploy`: each plan sent to Marathon in turn (`PUT
//! /v2/apps/{id}`), then watched until its deployment is done and its tasks
//! run and pass their health checks; a deployment that outlives the
//! timeout is deleted, which makes Marathon roll it back.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::marathon::{Marathon, Reply};
use super::plan::{Plan, field};
use crate::Ui;
use crate::cli::DeployArgs;

/// Deploys `plans` in order to each cluster in turn (one `--marathon`
/// list, or each `--cluster`); the first failure stops the run, which ends
/// with what each cluster got.
pub fn run(plans: &[Plan], args: &DeployArgs, ui: Ui) -> Result<ExitCode> {
    let timeout = duration(&args.timeout, "--timeout")?;
    let interval = duration(&args.interval, "--interval")?;
    let user = std::env::var("MARATHON_USER")
        .ok()
        .filter(|u| !u.is_empty());
    let password = std::env::var("MARATHON_PASSWORD").ok();
    let lists: Vec<Vec<String>> = if args.cluster.is_empty() {
        vec![args.marathon.clone()]
    } else {
        args.cluster
            .iter()
            .map(|c| {
                c.split(',')
                    .filter(|u| !u.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .collect()
    };
    // Every cluster's URLs are read before anything is sent.
    let clusters: Vec<Marathon> = lists
        .iter()
        .map(|urls| Marathon::new(urls, user.as_deref(), password.as_deref()))
        .collect::<Result<_>>()?;
    let several = clusters.len() > 1;
    let mut out = std::io::stdout().lock();
    if args.dry_run {
        super::masked_note(plans, args.plans.show_secrets, ui);
        for marathon in &clusters {
            for plan in plans {
                writeln!(
                    out,
                    "PUT {}{}",
                    marathon.url(),
                    put_path(plan, args.force, false)
                )?;
                // Text first: a reader that stops reading is an io::Error,
                // which ends the run as SIGPIPE would.
                writeln!(
                    out,
                    "{}",
                    super::plan::shown(plan, args.plans.show_secrets)?
                )?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.diff {
        for marathon in &clusters {
            if several {
                writeln!(out, "# {}", marathon.url())?;
            }
            for plan in plans {
                let reply = marathon.request("GET", &app_path(plan), None)?;
                let current = match reply.status {
                    200 => reply.body.get("app").cloned().unwrap_or(Value::Null),
                    404 => Value::Null,
                    _ => bail!(
                        "GET {}: Marathon answered {}",
                        app_path(plan),
                        reply.message()
                    ),
                };
                write!(out, "{}", super::diff::diff(plan, &app_id(plan), &current))?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let sending = Sending {
        partial: false,
        wait_first: false,
        force: args.force,
        timeout,
        interval,
    };
    for (n, marathon) in clusters.iter().enumerate() {
        if let Err(e) = deploy_all(marathon, plans, &sending, ui) {
            if !several {
                return Err(e);
            }
            let mut lines = vec![format!("cluster {} ({}): failed", n + 1, marathon.url())];
            for (k, other) in clusters.iter().enumerate().filter(|(k, _)| *k != n) {
                let what = if k < n { "deployed" } else { "not tried" };
                lines.push(format!("cluster {} ({}): {what}", k + 1, other.url()));
            }
            lines.sort();
            return Err(e.context(lines.join("\n")));
        }
        if several && !ui.quiet {
            eprintln!("cluster {} ({}): deployed", n + 1, marathon.url());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Deploys `plans` in order to one Marathon; the first that fails stops.
fn deploy_all(marathon: &Marathon, plans: &[Plan], sending: &Sending, ui: Ui) -> Result<()> {
    for (done, plan) in plans.iter().enumerate() {
        let id = app_id(plan);
        if let Err(e) = deploy_one(marathon, plan, sending, ui) {
            let rest: Vec<String> = plans[done + 1..].iter().map(app_id).collect();
            let e = if rest.is_empty() {
                e
            } else {
                e.context(format!(
                    "not deployed, after {id} failed: {}",
                    rest.join(", ")
                ))
            };
            return Err(e.context(format!("{id} was not deployed")));
        }
    }
    Ok(())
}

/// How a plan is sent and watched.
pub struct Sending {
    /// A PUT without `partialUpdate=false`: Marathon keeps what the plan
    /// leaves out (as marathon_deploy sends).
    pub partial: bool,
    /// Before sending, wait until no deployment of the app runs (as
    /// marathon_deploy does), rather than be refused with 409.
    pub wait_first: bool,
    pub force: bool,
    pub timeout: Duration,
    pub interval: Duration,
}

/// Sends one plan and watches it until its tasks run and are healthy.
pub fn deploy_one(marathon: &Marathon, plan: &Plan, sending: &Sending, ui: Ui) -> Result<()> {
    let id = app_id(plan);
    let started = Instant::now();
    Deployment {
        marathon,
        plan,
        force: sending.force,
        partial: sending.partial,
        wait_first: sending.wait_first,
        deadline: started + sending.timeout,
        timeout: sending.timeout,
        interval: sending.interval,
        progress: Progress::new(&id, ui),
    }
    .run()?;
    if !ui.quiet {
        eprintln!("{id}: deployed in {} s", started.elapsed().as_secs());
    }
    Ok(())
}

/// The app's id as Marathon keeps it: absolute.
fn app_id(plan: &Plan) -> String {
    format!("/{}", plan.id().unwrap_or("").trim_start_matches('/'))
}

fn app_path(plan: &Plan) -> String {
    format!("/v2/apps{}", app_id(plan))
}

/// The whole app replaces Marathon's (no field of the old one is kept);
/// `partial`: Marathon keeps what the plan leaves out.
fn put_path(plan: &Plan, force: bool, partial: bool) -> String {
    let query = match (partial, force) {
        (false, false) => "?partialUpdate=false",
        (false, true) => "?partialUpdate=false&force=true",
        (true, false) => "",
        (true, true) => "?force=true",
    };
    format!("{}{query}", app_path(plan))
}

/// A duration: `300`, `300s`, `5m`, `1h`, `500ms`.
pub fn duration(text: &str, option: &str) -> Result<Duration> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number.parse().ok().filter(|n| *n > 0).with_context(|| {
        format!("{option} {text}: not a duration; write e.g. 300s, 5m, 1h or 500ms")
    })?;
    Ok(match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => bail!("{option} {text}: not a duration; write e.g. 300s, 5m, 1h or 500ms"),
    })
}

/// One plan's deployment, from PUT to healthy tasks.
struct Deployment<'a> {
    marathon: &'a Marathon,
    plan: &'a Plan,
    force: bool,
    partial: bool,
    wait_first: bool,
    deadline: Instant,
    timeout: Duration,
    interval: Duration,
    progress: Progress,
}

impl Deployment<'_> {
    fn run(mut self) -> Result<()> {
        let deployment = self.put()?;
        let result = self.watch(deployment.as_deref());
        self.progress.finish();
        result
    }

    /// Sends the app; a 409 waits for the deployments that lock it (or,
    /// with --force, cancels them). Returns the deployment started.
    fn put(&mut self) -> Result<Option<String>> {
        if self.wait_first {
            self.wait_unlocked()?;
        }
        loop {
            let path = put_path(self.plan, self.force, self.partial);
            let reply = self.marathon.request("PUT", &path, Some(&self.plan.app))?;
            match reply.status {
                200 | 201 if !reply.body.is_object() => bail!(
                    "PUT {path}: the answer (HTTP {}) is not Marathon's (not a JSON object); \
                     is --marathon Marathon itself? Nothing is known of the deployment",
                    reply.status
                ),
                200 | 201 => {
                    return Ok(reply
                        .body
                        .get("deploymentId")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .or(reply.deployment)
                        .or_else(|| {
                            reply
                                .body
                                .pointer("/deployments/0/id")
                                .and_then(Value::as_str)
                                .map(str::to_string)
                        })
                        .map(|id| crate::term::printable(&id, 100)));
                }
                409 => {
                    let locks: Vec<String> = reply
                        .body
                        .get("deployments")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|d| d.get("id").and_then(Value::as_str))
                        .map(|id| crate::term::printable(id, 100))
                        .collect();
                    self.wait_for_locks(&locks)?;
                }
                400 | 422 => bail!("{}", refused(self.plan, &reply)),
                401 | 403 => bail!(
                    "Marathon at {} refused the credentials: {} (give them in the URL or MARATHON_USER and MARATHON_PASSWORD)",
                    self.marathon.url(),
                    reply.message()
                ),
                _ => bail!("PUT {path}: Marathon answered {}", reply.message()),
            }
        }
    }

    /// Waits until no deployment Marathon runs names the app.
    fn wait_unlocked(&mut self) -> Result<()> {
        let id = app_id(self.plan);
        // A Marathon that cannot be reached before anything is sent is an
        // error at once, as a PUT that cannot be sent is.
        let mut first = true;
        loop {
            let reply = if first {
                first = false;
                self.marathon.request("GET", "/v2/deployments", None)?
            } else {
                self.poll("/v2/deployments")?
            };
            if reply.status != 200 {
                bail!("GET /v2/deployments: Marathon answered {}", reply.message());
            }
            let locks: Vec<String> = reply
                .body
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| {
                    d.get("affectedApps")
                        .and_then(Value::as_array)
                        .is_some_and(|apps| apps.iter().any(|a| a.as_str() == Some(id.as_str())))
                })
                .filter_map(|d| d.get("id").and_then(Value::as_str))
                .map(|d| crate::term::printable(d, 100))
                .collect();
            if locks.is_empty() {
                return Ok(());
            }
            if Instant::now() >= self.deadline {
                bail!(
                    "still locked by deployment {} after {} s; nothing was sent",
                    locks.join(", "),
                    self.timeout.as_secs()
                );
            }
            self.progress.state(
                &format!(
                    "waiting for deployment {} of this app to end",
                    locks.join(", ")
                ),
                0,
                0,
            );
            std::thread::sleep(self.interval);
        }
    }

    /// Waits until the deployments in `locks` are gone.
    fn wait_for_locks(&mut self, locks: &[String]) -> Result<()> {
        if locks.is_empty() {
            // A 409 that names no deployment: ask again after a while.
            if Instant::now() >= self.deadline {
                bail!(
                    "Marathon still refuses the app as locked after {} s; --force cancels what locks it",
                    self.timeout.as_secs()
                );
            }
            std::thread::sleep(self.interval);
            return Ok(());
        }
        loop {
            let running = self.deployments()?;
            let left: Vec<&String> = locks
                .iter()
                .filter(|l| running.iter().any(|r| r == *l))
                .collect();
            if left.is_empty() {
                return Ok(());
            }
            let shown: Vec<&str> = left.iter().map(|s| s.as_str()).collect();
            if Instant::now() >= self.deadline {
                bail!(
                    "still locked by deployment {} after {} s; --force cancels it",
                    shown.join(", "),
                    self.timeout.as_secs()
                );
            }
            self.progress.state(
                &format!(
                    "waiting for deployment {} of this app to end (--force cancels it)",
                    shown.join(", ")
                ),
                0,
                0,
            );
            std::thread::sleep(self.interval);
        }
    }

    /// `GET path`, asked again every interval while no Marathon answers
    /// (a leader election, a restart) until the deadline.
    fn poll(&mut self, path: &str) -> Result<Reply> {
        loop {
            match self.marathon.request("GET", path, None) {
                Ok(reply) => return Ok(reply),
                Err(e) if Instant::now() < self.deadline => {
                    let first = format!("{e:#}");
                    let first = first.lines().next().unwrap_or("");
                    self.progress.state(&format!("{first}; asking again"), 0, 0);
                    std::thread::sleep(self.interval);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The ids of the deployments Marathon runs now.
    fn deployments(&mut self) -> Result<Vec<String>> {
        let reply = self.poll("/v2/deployments")?;
        if reply.status != 200 {
            bail!("GET /v2/deployments: Marathon answered {}", reply.message());
        }
        Ok(reply
            .body
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d.get("id").and_then(Value::as_str))
            .map(|id| crate::term::printable(id, 100))
            .collect())
    }

    /// Waits until `deployment` is done and the tasks run and are healthy;
    /// at the deadline the deployment is deleted (rolled back).
    fn watch(&mut self, deployment: Option<&str>) -> Result<()> {
        loop {
            let running = match deployment {
                Some(id) => self.deployments()?.iter().any(|d| d == id),
                None => false,
            };
            let reply = self.poll(&app_path(self.plan))?;
            let app = reply.body.get("app").cloned().unwrap_or(Value::Null);
            if reply.status != 200 {
                bail!(
                    "GET {}: Marathon answered {}",
                    app_path(self.plan),
                    reply.message()
                );
            }
            if !is_the_app(&app, self.plan) {
                bail!(
                    "GET {}: the answer (HTTP 200) is not this app as Marathon describes it \
                     (a JSON object with its id and instances); is --marathon Marathon itself? \
                     Nothing is known of the deployment",
                    app_path(self.plan)
                );
            }
            let tasks = Tasks::of(&app);
            if !running && tasks.ready() {
                return Ok(());
            }
            let state = match (running, deployment) {
                (true, Some(id)) => format!("deployment {id}: {}", tasks.shown()),
                _ => tasks.shown(),
            };
            self.progress.state(&state, tasks.done(), tasks.wanted());
            if Instant::now() >= self.deadline {
                return Err(self.time_out(deployment.filter(|_| running), &tasks));
            }
            std::thread::sleep(self.interval);
        }
    }

    /// Cancels a deployment that ran out of time: Marathon starts another
    /// that restores the app as it was.
    fn time_out(&mut self, deployment: Option<&str>, tasks: &Tasks) -> anyhow::Error {
        let secs = self.timeout.as_secs();
        let Some(id) = deployment else {
            return anyhow::anyhow!(
                "timed out after {secs} s: {}; the deployment had ended, so there is nothing to roll back",
                tasks.shown()
            );
        };
        match self
            .marathon
            .request("DELETE", &format!("/v2/deployments/{id}"), None)
        {
            Ok(reply) if reply.status == 200 => {
                let rollback = crate::term::printable(
                    reply
                        .body
                        .get("deploymentId")
                        .and_then(Value::as_str)
                        .unwrap_or("?"),
                    100,
                );
                anyhow::anyhow!(
                    "timed out after {secs} s ({}): deployment {id} was cancelled and Marathon rolls the app back (deployment {rollback})",
                    tasks.shown()
                )
            }
            Ok(reply) if reply.status == 404 => anyhow::anyhow!(
                "timed out after {secs} s ({}): deployment {id} ended as it was being cancelled",
                tasks.shown()
            ),
            Ok(reply) => anyhow::anyhow!(
                "timed out after {secs} s ({}), and cancelling deployment {id} failed: Marathon answered {}; \
                 cancel it by hand: DELETE /v2/deployments/{id}",
                tasks.shown(),
                reply.message()
            ),
            Err(e) => anyhow::anyhow!(
                "timed out after {secs} s ({}), and cancelling deployment {id} failed: {e:#}; \
                 cancel it by hand: DELETE /v2/deployments/{id}",
                tasks.shown()
            ),
        }
    }
}

/// A 400 or 422: Marathon's message and each detail at the plan's line.
fn refused(plan: &Plan, reply: &Reply) -> String {
    let mut text = format!("Marathon refused the app: {}", reply.message());
    for detail in reply
        .body
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let path = detail.get("path").and_then(Value::as_str).unwrap_or("");
        let pointer = marathon_path(path);
        let errors: Vec<String> = detail
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|e| crate::term::printable(e, 300))
            .collect();
        let shown = field(&pointer);
        text.push_str(&format!(
            "\n  {}: {}: {}",
            plan.spot(&pointer),
            if shown.is_empty() { "the app" } else { &shown },
            errors.join("; ")
        ));
    }
    text
}

/// Marathon's path of a field (`/healthChecks(0)/path`) as a JSON pointer.
fn marathon_path(path: &str) -> String {
    let mut out = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        match part.split_once('(') {
            Some((name, rest)) if rest.ends_with(')') => {
                out.push('/');
                out.push_str(name);
                out.push('/');
                out.push_str(&rest[..rest.len() - 1]);
            }
            _ => {
                out.push('/');
                out.push_str(part);
            }
        }
    }
    out
}

/// The app's tasks as Marathon counts them.
struct Tasks {
    instances: u64,
    running: u64,
    healthy: u64,
    checked: bool,
}

impl Tasks {
    fn of(app: &Value) -> Tasks {
        let count = |key: &str| app.get(key).and_then(Value::as_u64).unwrap_or(0);
        Tasks {
            instances: count("instances"),
            running: count("tasksRunning"),
            healthy: count("tasksHealthy"),
            checked: app
                .get("healthChecks")
                .and_then(Value::as_array)
                .is_some_and(|c| !c.is_empty()),
        }
    }

    fn ready(&self) -> bool {
        self.running >= self.instances && (!self.checked || self.healthy >= self.instances)
    }

    fn done(&self) -> u64 {
        if self.checked {
            self.healthy
        } else {
            self.running
        }
        .min(self.instances)
    }

    fn wanted(&self) -> u64 {
        self.instances
    }

    fn shown(&self) -> String {
        let mut text = format!("{}/{} tasks running", self.running, self.instances);
        if self.checked {
            text.push_str(&format!(", {}/{} healthy", self.healthy, self.instances));
        }
        text
    }
}

/// Progress while waiting: a bar on a terminal, one line per change
/// otherwise, nothing when quiet.
struct Progress {
    id: String,
    bar: Option<indicatif::ProgressBar>,
    last: String,
    quiet: bool,
}

impl Progress {
    fn new(id: &str, ui: Ui) -> Progress {
        let bar = (!ui.quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} {wide_msg} {elapsed}",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
            bar.set_prefix(id.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            id: id.to_string(),
            bar,
            last: String::new(),
            quiet: ui.quiet,
        }
    }

    fn state(&mut self, text: &str, done: u64, wanted: u64) {
        match &self.bar {
            Some(bar) => {
                bar.set_length(wanted);
                bar.set_position(done);
                bar.set_message(text.to_string());
            }
            None if !self.quiet && text != self.last => eprintln!("{}: {text}", self.id),
            None => {}
        }
        self.last = text.to_string();
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Whether `app`, from GET /v2/apps/{id}, is the plan's app as Marathon
/// describes one: its id (with or without the leading `/`) and a number of
/// instances.
fn is_the_app(app: &Value, plan: &Plan) -> bool {
    let id = |v: &Value| {
        v.get("id")
            .and_then(Value::as_str)
            .map(|i| i.trim_start_matches('/').to_string())
    };
    id(app).is_some() && id(app) == id(&plan.app) && app.get("instances").is_some_and(Value::is_u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units() {
        assert_eq!(duration("300", "t").unwrap(), Duration::from_secs(300));
        assert_eq!(duration("5m", "t").unwrap(), Duration::from_secs(300));
        assert_eq!(duration("250ms", "t").unwrap(), Duration::from_millis(250));
        for bad in ["", "0", "5 m", "-1", "1d", "s"] {
            assert!(duration(bad, "--timeout").is_err(), "{bad}");
        }
    }

    #[test]
    fn marathons_paths_become_pointers() {
        assert_eq!(
            marathon_path("/healthChecks(0)/path"),
            "/healthChecks/0/path"
        );
        assert_eq!(
            marathon_path("/upgradeStrategy/minimumHealthCapacity"),
            "/upgradeStrategy/minimumHealthCapacity"
        );
        assert_eq!(marathon_path("/"), "");
    }
}
