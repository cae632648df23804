//! The command line: clap definitions, turned into validated inputs before
//! anything else runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Generates the deployment of a PanteraS (paas-in-a-box) host.
#[derive(Parser, Debug)]
#[command(name = "panteras", version, propagate_version = true)]
pub struct Cli {
    /// Print only data and errors: no progress lines, no warnings.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write docker-compose.yml and the daemons' files for this host.
    #[command(after_long_help = generate_help())]
    Generate(GenerateArgs),
    /// Write the files of every host of a cluster described in one inventory.
    #[command(after_long_help = CLUSTER_HELP)]
    Cluster(ClusterArgs),
    /// Report every problem of this host's settings, with where each value came from.
    #[command(after_long_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Print every variable with its final value and where it came from.
    #[command(after_long_help = CONFIG_HELP)]
    Config(ConfigArgs),
    /// Tell whether this host's container runs what its docker-compose.yml names.
    #[command(after_long_help = STATUS_HELP)]
    Status(StatusArgs),
    /// Marathon app plans: render, check and deploy them.
    #[command(subcommand)]
    App(AppCommand),
    /// Deploy one plan with marathon_deploy 0.1.55's command line (-u, -e, -f, -i, -r, -n, -U/-p, -t, ...).
    #[command(disable_help_flag = true, after_long_help = MARATHON_DEPLOY_HELP)]
    MarathonDeploy {
        /// marathon_deploy's arguments, as they are: [PLAN] [OPTIONS].
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Print a shell completion script.
    #[command(after_long_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the manual page (roff).
    #[command(after_long_help = MAN_HELP)]
    Man,
}

const MARATHON_DEPLOY_HELP: &str = "\
`panteras marathon-deploy -h` shows marathon_deploy's options. A job that
runs `marathon_deploy ARGS` runs `panteras marathon-deploy ARGS`; README,
\"Moving from marathon_deploy\", lists what differs and why.";

/// Shells with completion scripts.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// The role of the host; sets MASTER and SLAVE.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Master and slave on one host.
    Standalone,
    /// MASTER=true, SLAVE=false.
    Master,
    /// MASTER=false, SLAVE=true.
    Slave,
}

/// Where this host's values come from: shared by every subcommand that
/// resolves settings.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Directory that holds restricted/.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// The role of this host (sets MASTER and SLAVE).
    #[arg(long, value_enum)]
    pub role: Option<Role>,
    /// This host's IPv4 address (sets IP).
    #[arg(long, value_name = "IPV4")]
    pub ip: Option<String>,
    /// Address the daemons listen on (sets LISTEN_IP).
    #[arg(long, value_name = "IPV4")]
    pub listen_ip: Option<String>,
    /// Set any variable; wins over every file and the environment.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Host-wide settings read before restricted/; it must exist. Without
    /// it, $PANTERAS_DEFAULTS or else /etc/default/panteras is read when it
    /// exists.
    #[arg(long, value_name = "FILE")]
    pub defaults_file: Option<PathBuf>,
}

impl InputArgs {
    /// The defaults file to read, and whether it must exist: one named on
    /// the command line must; the environment's or the usual one may be
    /// missing (there is then nothing to read).
    pub fn defaults_file(&self) -> (PathBuf, bool) {
        match &self.defaults_file {
            Some(path) => (path.clone(), true),
            None => (
                std::env::var_os("PANTERAS_DEFAULTS")
                    .filter(|v| !v.is_empty())
                    .map_or_else(|| PathBuf::from("/etc/default/panteras"), PathBuf::from),
                false,
            ),
        }
    }
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Directory to write to [default: --dir].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A cluster inventory and where to write its hosts.
#[derive(Args, Debug)]
pub struct ClusterArgs {
    /// The inventory (YAML): name, datacenter, settings, masters, slaves.
    #[arg(long, value_name = "FILE", required_unless_present = "import")]
    pub inventory: Option<PathBuf>,
    /// Directory that gets one directory per host.
    #[arg(long, value_name = "DIR", required_unless_present = "import")]
    pub out: Option<PathBuf>,
    /// Print the inventory of running hosts instead: DIR has a folder per
    /// host with its docker-compose.yml and restricted/ (as generate_yml.sh
    /// or panteras left them); each host keeps its names, address, roles
    /// and settings.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["inventory", "out", "prune", "ansible"])]
    pub import: Option<PathBuf>,
    /// Remove the folders of hosts the inventory no longer has.
    #[arg(long)]
    pub prune: bool,
    /// Also write an Ansible inventory and playbook that roll the hosts out
    /// (DIR may be --out itself: beside the hosts' folders).
    #[arg(long, value_name = "DIR")]
    pub ansible: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What to do with rendered files.
#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Print the files that would be written; write nothing.
    #[arg(long, conflicts_with_all = ["diff", "check"])]
    pub dry_run: bool,
    /// Print what would change against the files on disk, write nothing:
    /// docker-compose.yml key by key (what the container gets), the other
    /// files as unified diffs.
    #[arg(long)]
    pub diff: bool,
    /// Exit 1 when any file would change; write nothing.
    #[arg(long)]
    pub check: bool,
    /// Count warnings as errors: write nothing while any remains.
    #[arg(long)]
    pub strict: bool,
    /// Directory whose templates replace the built-in ones of the same name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Write only what generate_yml.sh wrote (docker-compose.yml, which
    /// mounts no file of panteras', and restricted/env): the container runs
    /// the image's own daemon files. The first step of a migration.
    #[arg(long)]
    pub image_files: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Count warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// Also check that the ports the started daemons need are free on LISTEN_IP.
    #[arg(long)]
    pub ports: bool,
    /// Then say what moving this host to PanteraS 0.4.4, its last release,
    /// changes: variables, programs, routing, ports, volumes, users, the
    /// masters' state, versions.
    #[arg(long, value_name = "VERSION", value_parser = ["0.4.4"])]
    pub upgrade_to: Option<String>,
}

/// Output formats of `config`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A readable table.
    Text,
    /// An array of {"name", "value", "source"} objects.
    Json,
    /// KEY='value' lines a shell (or the old generate_yml.sh) can source.
    Env,
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Show passwords and the stats auth instead of masking them.
    #[arg(long)]
    pub show_secrets: bool,
}

/// Output formats of `status`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFormat {
    /// One line per finding.
    Text,
    /// One object: project, service, container, state, reasons, exit_code.
    Json,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The folder of docker-compose.yml and restricted/ (and where --diff
    /// reads the host's settings from, as generate does).
    #[command(flatten)]
    pub input: InputArgs,
    /// Compare the container with what panteras would give it: its
    /// environment key by key and the daemon files at the paths panteras
    /// mounts them (read through the Engine API), each difference said to
    /// be a deliberate change of README's or not.
    #[arg(long, conflicts_with = "format")]
    pub diff: bool,
    /// With --diff: compare with the first step of a migration (the image's
    /// own daemon files, as generate --image-files gives).
    #[arg(long, requires = "diff")]
    pub image_files: bool,
    /// The compose project [default: $COMPOSE_PROJECT_NAME, else the folder's name, as Compose takes it].
    #[arg(long, value_name = "NAME", env = "COMPOSE_PROJECT_NAME")]
    pub project: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: StatusFormat,
}

const STATUS_HELP: &str = "Examples:
  panteras status                       # in the folder of docker-compose.yml
  panteras status --dir /opt/panteras --format json

The Docker Engine is asked through its API socket: $DOCKER_HOST, else
/var/run/docker.sock.

Exit status: 0 up to date; 3 needs `docker compose up -d` (the image, the
environment or a mounted file differs, or the digest label is missing);
4 not running (exited, restarting, paused, ...); 5 no container; 1 the
compose file or the engine cannot be read.

With --diff (text only), the container is compared with what `panteras
generate` (or `generate --image-files`, with --image-files) would give it
from this folder's restricted/: 0 no difference, 3 differences, 5 no
container, 1 the settings or the engine cannot be read. Run it before each
step of a migration from generate_yml.sh.";

/// `panteras app ...`.
#[derive(Subcommand, Debug)]
pub enum AppCommand {
    /// Print each plan as the Marathon JSON deploy would send.
    #[command(after_long_help = APP_RENDER_HELP)]
    Render(PlanArgs),
    /// Report the problems of the plans: what Marathon 1.4.10 refuses,
    /// routing tags, TCP ports, health checks, canaries.
    #[command(after_long_help = APP_CHECK_HELP)]
    Check(AppCheckArgs),
    /// Send each plan to Marathon and wait until its tasks run and are healthy.
    #[command(after_long_help = APP_DEPLOY_HELP)]
    Deploy(DeployArgs),
}

/// The plans of a run and what fills them in.
#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Marathon app definitions, YAML or JSON, each with an optional service: block.
    #[arg(required = true, value_name = "PLAN")]
    pub plans: Vec<PathBuf>,
    /// Merge NAME.yml (or .yaml, .json) beside each plan over it.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// A macro's value (%%KEY%% in a plan); wins over the environment.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Count warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// Marathon's app schema to check against instead of the built-in one
    /// (Marathon 1.4.10's v2/schema/AppDefinition.json).
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Print the values of macros named like secrets (%%DB_PASSWORD%%) in
    /// render and --dry-run; they are shown as ******** otherwise.
    #[arg(long)]
    pub show_secrets: bool,
}

/// `app check`: the plans, and the image line their tags are read for.
#[derive(Args, Debug)]
pub struct AppCheckArgs {
    #[command(flatten)]
    pub plans: PlanArgs,
    /// Also say what each routing tag becomes on this PanteraS release
    /// (0.4.4: Fabio routes `paas-` tags only).
    #[arg(long, value_name = "VERSION", value_parser = ["0.4.4"])]
    pub image: Option<String>,
    /// With --image: add the new tags to each plan's SERVICE_*_TAGS where
    /// the plan writes them, keeping the old ones (hosts of either release
    /// route the app while the cluster moves).
    #[arg(long, requires = "image")]
    pub fix: bool,
}

/// Where and how to deploy.
#[derive(Args, Debug)]
pub struct DeployArgs {
    #[command(flatten)]
    pub plans: PlanArgs,
    /// Marathon's URL; several (repeated or comma-separated) are tried in
    /// turn. Credentials may be in the URL (http://user:password@host:8080)
    /// or in MARATHON_USER and MARATHON_PASSWORD.
    #[arg(
        long,
        value_name = "URL",
        env = "MARATHON_URL",
        value_delimiter = ',',
        required_unless_present = "cluster",
        hide_env_values = true
    )]
    pub marathon: Vec<String>,
    /// One Marathon cluster, as its URLs tried in turn (comma-separated);
    /// repeated, the plans are deployed to each cluster in turn, the first
    /// failure stopping the run, which ends with each cluster's result.
    /// Given, --marathon and MARATHON_URL are not used.
    #[arg(long, value_name = "URL[,URL...]")]
    pub cluster: Vec<String>,
    /// How long one plan's deployment may take before it is cancelled
    /// (and Marathon rolls it back).
    #[arg(long, value_name = "DURATION", default_value = "300s")]
    pub timeout: String,
    /// How often to ask Marathon how the deployment goes.
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub interval: String,
    /// Cancel a deployment of the app that is still running (force=true).
    #[arg(long)]
    pub force: bool,
    /// Print the requests that would be sent; send nothing.
    #[arg(long, conflicts_with = "diff")]
    pub dry_run: bool,
    /// Print a diff of each app against what Marathon has now; send nothing.
    #[arg(long)]
    pub diff: bool,
}

const APP_RENDER_HELP: &str = "Examples:
  panteras app render web.yml
  panteras app render web.yml --env prod --set VERSION=1.4.2 > web.json

Macros: %%NAME%% in a value is filled from the environment or --set NAME=...;
an undefined or empty one is an error. --env prod merges prod.yml (or
prod.yaml, prod.json) beside the plan over it: maps key by key, lists whole.";

const APP_CHECK_HELP: &str = "Examples:
  panteras app check apps/*.yml --env prod
  panteras app check apps/*.yml --strict     # warnings fail too
  panteras app check apps/*.yml --image 0.4.4        # each routing tag on 0.4.4
  panteras app check apps/*.yml --image 0.4.4 --fix  # and add the new tags

Exit status: 0 no errors, 1 errors (or warnings with --strict).";

const APP_DEPLOY_HELP: &str = "Examples:
  panteras app deploy web.yml --marathon http://master-1:8080,http://master-2:8080
  panteras app deploy web.yml --marathon https://ops:secret@marathon.example.com --diff
  MARATHON_USER=ops MARATHON_PASSWORD=... panteras app deploy apps/*.yml --timeout 10m

Each plan is sent with PUT /v2/apps/ID (the whole app, created or replaced),
then watched until its deployment ends and its tasks run (and pass their
health checks). A deployment still running at --timeout is deleted, which
makes Marathon roll the app back, and the run fails. Plans deploy in the
order given; the first failure stops the run.";

const CLUSTER_HELP: &str = "Examples:
  panteras cluster --inventory cluster.yaml --out hosts
  panteras cluster --inventory cluster.yaml --out hosts --check   # CI drift check
  panteras cluster --inventory cluster.yaml --out hosts --prune   # and remove old hosts' folders
  panteras cluster --inventory cluster.yaml --out hosts --ansible hosts
  ansible-playbook -i hosts/inventory.yml hosts/site.yml           # roll it out
  ansible-playbook -i hosts/inventory.yml hosts/site.yml -e panteras_bootstrap=true
                                   # a new or stopped cluster: all masters at once
  panteras cluster --import fetched > cluster.yaml
                                   # running hosts' folders (docker-compose.yml,
                                   # restricted/) read back into an inventory

The inventory (YAML):
  name: prod                    # CLUSTER_NAME
  datacenter: ams1              # CONSUL_DC
  masters_are_slaves: true      # every master runs the slave daemons too
  settings: {KEY: value}        # any variable, for every host
  rollout:                      # for --ansible; each key optional
    panteras_dir: /opt/panteras # where the files go on the hosts
    serial: 25%                 # slaves per batch: N or N%
    max_fail_percentage: 0      # slaves of a batch that may fail
    gate_timeout: 300           # seconds each gate may take in all
    gates: {zookeeper: true, consul: true, mesos: true, marathon: true}
  masters:
    - host: master-1            # required: the host's name
      ip: 10.0.0.1              # required: its IPv4 address
      fqdn: master-1.example.com  # optional; default: host
      slave: false              # a master's own choice over masters_are_slaves
      panteras_dir: /srv/panteras  # where --ansible puts its files on the host
      settings: {KEY: value}    # this host's variables, over the cluster's
  slaves:
    - {host: slave-1, ip: 10.0.1.1}

Every host gets DIR/<host>/restricted/host (shell assignments that panteras
and generate_yml.sh both read), DIR/<host>/docker-compose.yml and
DIR/<host>/generated/, exactly what `panteras generate` writes on that host
from that restricted/host (with no other restricted/ file and an empty
environment). ZOOKEEPER_HOSTS, ZOOKEEPER_ID, MESOS_MASTER_QUORUM and
CONSUL_HOSTS (-bootstrap-expect N and a -join of every master, by ip) are
derived. Copy DIR/<host>/ to the host and run `docker compose up -d` there.
A folder of DIR that panteras wrote for a host the inventory no longer has
is reported (--check fails), and removed with --prune.";

const CHECK_HELP: &str = "Examples:
  panteras check                  # errors and warnings for this host
  panteras check --strict --ports # warnings fail too; test the ports

Exit status: 0 no errors, 1 errors (or warnings with --strict).";

const CONFIG_HELP: &str = "Examples:
  panteras config
  panteras config --format json | jq '.[] | select(.source != \"default\")'
  panteras config --format env > restricted/resolved";

const COMPLETIONS_HELP: &str = "Examples:
  panteras completions bash > /etc/bash_completion.d/panteras
  panteras completions zsh > \"${fpath[1]}/_panteras\"
  panteras completions fish > ~/.config/fish/completions/panteras.fish";

const MAN_HELP: &str = "Example:
  mkdir -p /usr/local/share/man/man1
  panteras man > /usr/local/share/man/man1/panteras.1";

fn generate_help() -> String {
    let mut lines = String::new();
    let mut line = String::from(" ");
    for var in crate::vars::VARS {
        if line.len() + var.name.len() > 78 {
            lines.push_str(&line);
            lines.push('\n');
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(var.name);
    }
    lines.push_str(&line);
    format!(
        "Examples:
  panteras generate --ip 192.168.10.10 --out demo
  panteras generate --role master --set ZOOKEEPER_ID=2
  panteras generate --diff        # what would change on this host
  panteras generate --check       # exit 1 when a file is stale

Values come from (later wins): defaults, the environment, the defaults file,
restricted/common, restricted/host, restricted/overwrite, then flags.

Variables (environment or restricted/ files; see the README for each):
{lines}"
    )
}
