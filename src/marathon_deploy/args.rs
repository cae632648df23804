//! marathon_deploy 0.1.55's command line, read as it reads it: one plan
//! (`deploy.yml` when none is named), options before or after it.

use std::time::Duration;

/// What the command line asks for.
#[derive(Debug, Default)]
pub struct Args {
    pub plan: Option<String>,
    /// `-u`: each URL a Marathon (a cluster) deployed to in turn.
    pub urls: Vec<String>,
    pub environment: Option<String>,
    pub ignore_defaults: bool,
    pub force: bool,
    /// `-r :a,:b`: top-level fields left out.
    pub remove: Vec<String>,
    pub noop: bool,
    pub user: Option<String>,
    pub password: Option<String>,
    pub timeout: Option<Duration>,
    /// panteras' own: how often Marathon is asked while waiting.
    pub interval: Option<Duration>,
    pub help: bool,
    pub version: bool,
}

/// The default Marathon of marathon_deploy.
pub const DEFAULT_URL: &str = "http://localhost:8080";

pub const USAGE: &str = "\
Usage: panteras marathon-deploy [PLAN] [OPTIONS]

Deploys one Marathon app plan as marathon_deploy 0.1.55 does (PLAN defaults
to deploy.yml), with panteras' checks before anything is sent.

  -u, --url URL[,URL...]          Marathons to deploy to, each in turn (default http://localhost:8080)
  -e, --environment NAME          environment: NAME.yml (or .json) beside the plan is merged (default PREPRODUCTION)
  -i, --ignore-preproduction-defaults
                                  no resource caps outside PRODUCTION
  -f, --force                     set env.UNIQUE_ID, so Marathon restarts the app
  -r, --remove :a,:b              leave these top-level fields out
  -n, --noop                      print the JSON and send nothing
  -U, --username USER             basic auth (with -p)
  -p, --password PASSWORD         basic auth (with -U)
  -t, --timeout SECONDS           how long each wait may take (default 300)
  -l, --logfile FILE              accepted; panteras writes to stderr
  -d, --debug                     accepted
      --interval DURATION         how often Marathon is asked while waiting (default 3s)
  -v, --version                   print the version
  -h, --help                      print this help
";

/// Reads the words after `marathon-deploy`.
pub fn parse(words: &[String]) -> Result<Args, String> {
    let mut args = Args::default();
    let mut plans = Vec::new();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        let (name, inline) = match word.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (word.as_str(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| words.next().cloned())
                .ok_or_else(|| format!("{name} needs {what}"))
        };
        match name {
            "-u" | "--url" => {
                args.urls = value("a URL")?
                    .split(',')
                    .filter(|u| !u.is_empty())
                    .map(|u| u.trim_end_matches('/').to_string())
                    .collect();
            }
            "-e" | "--environment" => args.environment = Some(value("a name")?),
            "-i" | "--ignore-preproduction-defaults" => args.ignore_defaults = true,
            "-f" | "--force" => args.force = true,
            "-r" | "--remove" => {
                for item in value(":field,:field")?.split(',') {
                    let Some(field) = item.strip_prefix(':').filter(|f| !f.is_empty()) else {
                        return Err(format!(
                            "-r {item}: marathon_deploy takes fields as :name (a Ruby symbol), e.g. -r :constraints,:healthChecks"
                        ));
                    };
                    args.remove.push(field.to_string());
                }
            }
            "-n" | "--noop" => args.noop = true,
            "-U" | "--username" => args.user = Some(value("a user name")?),
            "-p" | "--password" => args.password = Some(value("a password")?),
            "-t" | "--timeout" => {
                let text = value("seconds")?;
                let seconds: u64 = text
                    .parse()
                    .map_err(|_| format!("-t {text}: not a number of seconds"))?;
                args.timeout = Some(Duration::from_secs(seconds));
            }
            "--interval" => {
                let text = value("a duration")?;
                args.interval = Some(
                    crate::app::deploy::duration(&text, "--interval").map_err(|e| e.to_string())?,
                );
            }
            "-l" | "--logfile" => {
                value("a file")?;
            }
            "-d" | "--debug" => {}
            "-v" | "--version" => args.version = true,
            "-h" | "--help" => args.help = true,
            other if other.starts_with('-') && other.len() > 1 => {
                return Err(format!(
                    "{}: not an option of marathon_deploy (see --help)",
                    crate::term::printable(other, 100)
                ));
            }
            plan => plans.push(plan.to_string()),
        }
    }
    match plans.as_slice() {
        [] => {}
        [one] => args.plan = Some(one.clone()),
        many => {
            return Err(format!(
                "{} plans named ({}); marathon_deploy deploys one plan a run",
                many.len(),
                many.join(", ")
            ));
        }
    }
    if args.urls.is_empty() {
        args.urls.push(DEFAULT_URL.to_string());
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn options_come_before_or_after_the_plan() {
        let args = parse(&words(
            "-e staging deploy.yml -u http://a:8080/,http://b:8080 -f -r :constraints,:id",
        ))
        .unwrap();
        assert_eq!(args.plan.as_deref(), Some("deploy.yml"));
        assert_eq!(args.urls, ["http://a:8080", "http://b:8080"]);
        assert_eq!(args.environment.as_deref(), Some("staging"));
        assert!(args.force);
        assert_eq!(args.remove, ["constraints", "id"]);
        let args = parse(&words(
            "--url=http://c:8080 --timeout 600 --logfile x.log --debug",
        ))
        .unwrap();
        assert_eq!(args.plan, None);
        assert_eq!(args.urls, ["http://c:8080"]);
        assert_eq!(args.timeout, Some(Duration::from_secs(600)));
    }

    #[test]
    fn what_marathon_deploy_refuses_is_refused() {
        for bad in ["a.yml b.yml", "--dry-run", "-r constraints", "-u"] {
            assert!(parse(&words(bad)).is_err(), "{bad}");
        }
        assert_eq!(parse(&[]).unwrap().urls, [DEFAULT_URL]);
    }
}
